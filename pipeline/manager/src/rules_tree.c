/* SPDX-License-Identifier: MIT */
/*
 * The rule tree (analysisd src/analysisd/rules_list.c fn OS_AddChild,
 * _AddtoRule; wazuh.md §6).
 *
 * Where a rule hangs, decided when it is loaded (only rules loaded before it
 * can be parents), in analysisd's precedence:
 *   id < 10          -> top level (the category roots 1..7 of 0010-rules_config.xml)
 *   <if_sid>         -> child of each listed id (and inherits its category)
 *   <if_level N>     -> child of every rule whose internal level >= N*100
 *   <if_group G>     -> child of every rule whose group string OS_WordMatch(G)es
 *   none             -> child of the first top-level rule of its category
 *
 * Sibling order: a child is inserted before the first sibling whose internal
 * level is strictly lower (level 0 counts as 99, everything x100 unless
 * accuracy="0"). Worked example (wazuh.md §6): under 61609 the siblings
 * 92151 (12), 92156 (12), 92153 (10), 115001 (10, loaded later than 92153),
 * 92152 (6), 92157 (6), 92154 (4).
 */
#include "rules_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int tl_word_match(const char *pattern, const char *str) {
    if (!pattern || !str)
        return 0;
    const char *p = pattern;
    for (;;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            if (p[0] == '^') {
                if (len > 1 && strlen(str) >= len - 1 && tl_strncasecmp(str, p + 1, len - 1) == 0)
                    return 1;
            } else {
                size_t sl = strlen(str);
                for (size_t i = 0; i + len <= sl; i++)
                    if (tl_strncasecmp(str + i, p, len) == 0)
                        return 1;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static tl_status insert_sorted(tl_rule ***v, size_t *n, size_t *cap, tl_rule *r) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        tl_rule **nv = tl_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        *v = nv;
        *cap = nc;
    }
    size_t pos = *n;
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i]->ilevel < r->ilevel) {
            pos = i;
            break;
        }
    }
    memmove(&(*v)[pos + 1], &(*v)[pos], (*n - pos) * sizeof **v);
    (*v)[pos] = r;
    (*n)++;
    return TL_OK;
}

static tl_status add_child(tl_rule *parent, tl_rule *r) {
    for (size_t i = 0; i < parent->nchildren; i++)
        if (parent->children[i] == r)
            return TL_OK;
    return insert_sorted(&parent->children, &parent->nchildren, &parent->capchildren, r);
}

static void twarn(tl_ruleset *rs, const tl_rule *r, const char *msg) {
    tl_ruleset_warnf(rs, "%s:%d: rule %d: %s", r->file, r->line, r->id, msg);
}

static const char *cat_name(tl_category c) {
    switch (c) {
    case TL_CAT_SYSLOG: return "syslog";
    case TL_CAT_FIREWALL: return "firewall";
    case TL_CAT_IDS: return "ids";
    case TL_CAT_WEBLOG: return "web-log";
    case TL_CAT_SQUID: return "squid";
    case TL_CAT_WINDOWS: return "windows";
    case TL_CAT_HOST_INFO: return "host-information";
    case TL_CAT_OSSEC: return "ossec";
    }
    return "?";
}

tl_status tl_rules_tree_add(tl_ruleset *rs, tl_rule *r) {
    tl_status st = TL_OK;
    if (r->id < 10) {
        st = insert_sorted(&rs->top, &rs->ntop, &rs->captop, r);
        if (st == TL_OK)
            r->in_tree = 1;
        return st;
    }
    if (r->if_sid) {
        for (const char *p = r->if_sid; *p; p++) {
            if (!isdigit((unsigned char)*p) && *p != ',' && *p != ' ') {
                char msg[600];
                snprintf(msg, sizeof msg,
                         "(7618): Invalid 'if_sid' value: '%s'. Rule '%d' will be ignored.",
                         r->if_sid, r->id);
                tl_ruleset_warnf(rs, "%s:%d: rule %d: %s", r->file, r->line, r->id, msg);
                return TL_OK;
            }
        }
        int found = 0, any = 0;
        const char *p = r->if_sid;
        while (*p) {
            while (*p == ',' || *p == ' ')
                p++;
            if (!*p)
                break;
            int sid = atoi(p);
            while (isdigit((unsigned char)*p))
                p++;
            any = 1;
            tl_rule *parent = tl_ruleset_find(rs, sid);
            if (!parent || !parent->in_tree || parent == r) {
                char msg[300];
                snprintf(msg, sizeof msg,
                         "(7617): Signature ID '%d' was not found and will be ignored in the "
                         "'if_sid' option of rule '%d'.",
                         sid, r->id);
                tl_ruleset_warnf(rs, "%s:%d: rule %d: %s", r->file, r->line, r->id, msg);
                continue;
            }
            if (!found) {
                r->category = parent->category;
                r->has_category = parent->has_category;
            }
            TL_TRY(add_child(parent, r));
            found++;
        }
        if (!found) {
            (void)any;
            char msg[300];
            snprintf(msg, sizeof msg,
                     "(7619): Empty 'if_sid' value (none of the listed rules was found). Rule "
                     "'%d' will be ignored.",
                     r->id);
            twarn(rs, r, msg);
            return TL_OK;
        }
        r->in_tree = 1;
        return TL_OK;
    }
    if (r->if_level) {
        int found = 0;
        for (size_t i = 0; i < rs->nrules; i++) {
            tl_rule *x = rs->rules[i];
            if (x == r || !x->in_tree)
                continue;
            if (x->ilevel >= r->if_level * 100) {
                TL_TRY(add_child(x, r));
                found++;
            }
        }
        if (!found) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "(7608): Level '%d' was not found. Invalid 'if_level'. Rule '%d' will be "
                     "ignored.",
                     r->if_level, r->id);
            tl_ruleset_warnf(rs, "%s:%d: rule %d: %s", r->file, r->line, r->id, msg);
            return TL_OK;
        }
        r->in_tree = 1;
        return TL_OK;
    }
    if (r->if_group) {
        int found = 0;
        for (size_t i = 0; i < rs->nrules; i++) {
            tl_rule *x = rs->rules[i];
            if (x == r || !x->in_tree)
                continue;
            if (tl_word_match(r->if_group, x->groups)) {
                TL_TRY(add_child(x, r));
                found++;
            }
        }
        if (!found) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "(7610): Group '%.400s' was not found. Invalid 'if_group'. Rule '%d' will be "
                     "ignored.",
                     r->if_group, r->id);
            twarn(rs, r, msg);
            return TL_OK;
        }
        r->in_tree = 1;
        return TL_OK;
    }
    for (size_t i = 0; i < rs->ntop; i++) {
        if (rs->top[i]->category == r->category) {
            TL_TRY(add_child(rs->top[i], r));
            r->in_tree = 1;
            return TL_OK;
        }
    }
    {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "(7611): Category '%s' was not found. Invalid 'category'. Rule '%d' will be "
                 "ignored.",
                 cat_name(r->category), r->id);
        twarn(rs, r, msg);
    }
cleanup:
    return st;
}

tl_status tl_rules_tree_finish(tl_ruleset *rs, tl_diag *d) {
    (void)d;
    rs->max_timeframe = 0;
    for (size_t i = 0; i < rs->nrules; i++) {
        tl_rule *r = rs->rules[i];
        if (!r->in_tree)
            continue;
        if (r->nmatched_sids || r->if_matched_group || r->if_matched_regex) {
            if (r->timeframe > rs->max_timeframe)
                rs->max_timeframe = r->timeframe;
        }
        if (r->if_matched_regex)
            rs->uses_matched_regex = 1;
        for (size_t k = 0; k < r->nmatched_sids; k++) {
            tl_rule *p = tl_ruleset_find(rs, r->matched_sids[k]);
            if (!p) {
                tl_ruleset_warnf(rs,
                                 "%s:%d: rule %d: if_matched_sid '%d' was not found; the rule "
                                 "never matches",
                                 r->file, r->line, r->id, r->matched_sids[k]);
                continue;
            }
            p->stores_events = 1;
        }
        if (r->if_matched_group_m) {
            for (size_t k = 0; k < rs->nrules; k++) {
                tl_rule *x = rs->rules[k];
                if (!x->groups || !tl_osmatch_exec(r->if_matched_group_m, x->groups))
                    continue;
                size_t *nv = tl_realloc(x->feeds_groups, (x->nfeeds_groups + 1) * sizeof *nv);
                if (!nv)
                    return TL_E_NOMEM;
                x->feeds_groups = nv;
                nv[x->nfeeds_groups++] = r->idx;
            }
        }
    }
    return TL_OK;
}

static void dump(const tl_rule *const *v, size_t n, int depth, tl_buf *out) {
    if (depth > 32)
        return;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < depth; k++)
            tl_buf_puts(out, "  ");
        tl_buf_printf(out, "%d (%d)\n", v[i]->id, v[i]->level);
        dump((const tl_rule *const *)v[i]->children, v[i]->nchildren, depth + 1, out);
    }
}

void tl_rules_tree_dump(const tl_ruleset *rs, tl_buf *out) {
    dump((const tl_rule *const *)rs->top, rs->ntop, 0, out);
}
