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
#include "rules/rules_int.h"

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

/* Siblings are sorted by ilevel, highest first, load order within a level:
 * the new rule goes after every sibling whose ilevel is >= its own (binary
 * search for the first sibling with a lower ilevel). */
static size_t insert_pos(tl_rule *const *v, size_t n, const tl_rule *r) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        tl_rules_load_cmps++;
        if (v[mid]->ilevel < r->ilevel)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
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
    size_t pos = insert_pos(*v, *n, r);
    memmove(&(*v)[pos + 1], &(*v)[pos], (*n - pos) * sizeof **v);
    (*v)[pos] = r;
    (*n)++;
    return TL_OK;
}

static tl_status add_child(tl_rule *parent, tl_rule *r) {
    /* r is added by one tl_rules_tree_add call (a rule is placed once), where
     * no other rule is inserted: if r is already a child (if_sid "5,5"), it is
     * the sibling just before its insertion point. */
    size_t pos = insert_pos(parent->children, parent->nchildren, r);
    if (pos > 0 && parent->children[pos - 1] == r)
        return TL_OK;
    return insert_sorted(&parent->children, &parent->nchildren, &parent->capchildren, r);
}

static void twarn(tl_ruleset *rs, const tl_rule *r, const char *msg) {
    tl_ruleset_warnf(rs, "%s:%d: rule %d: %s", r->file, r->line, r->id, msg);
}

const char *tl_category_name(tl_category c) {
    switch (c) {
    case TL_CAT_SYSLOG: return "syslog";
    case TL_CAT_FIREWALL: return "firewall";
    case TL_CAT_IDS: return "ids";
    case TL_CAT_WEBLOG: return "web-log";
    case TL_CAT_SQUID: return "squid";
    case TL_CAT_WINDOWS: return "windows";
    case TL_CAT_HOST_INFO: return "host-information";
    case TL_CAT_OSSEC: return "ossec";
    case TL_CAT_OSSEC_ALERT: return "ossec-alert";
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
                 tl_category_name(r->category), r->id);
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
    return tl_rules_tree_index(rs);
}

/* ---- decoder-indexed children ------------------------------------------------
 * analysisd compares a rule's decoded_as with the event's decoder id before
 * anything else, and a rule with <program_name> fails at once on an event
 * without one (a missing field fails even negated). For a parent with many
 * children the walk therefore only needs, per (decoder, has program name),
 * the children that can pass those two checks, in sibling order: the others
 * would fail their first condition. Same results, less work (the logtest
 * trace, which lists every tried rule, walks the full list). */

static void vidx_free(tl_vidx *vx) {
    if (!vx)
        return;
    for (size_t i = 0; i < vx->nkeys; i++) {
        tl_free(vx->keys[i].val);
        tl_free(vx->keys[i].kids.v);
    }
    tl_free(vx->keys);
    tl_free(vx->other.v);
    tl_free(vx->tab);
    tl_free(vx);
}

void tl_kidx_free(tl_kidx *k) {
    if (!k)
        return;
    for (size_t i = 0; i < 2 * k->npairs; i++) {
        tl_free(k->lists[i].v);
        vidx_free(k->lists[i].vx);
    }
    tl_free(k->lists);
    tl_free(k->slot);
    tl_free(k);
}

size_t tl_kidx_slot_of(const tl_ruleset *rs, int id) {
    size_t nn = rs->ds ? tl_decoder_set_count(rs->ds) : 0;
    if (id == TL_DECODER_ID_WINEVT)
        return nn + 1;
    return (id > 0 && (size_t)id <= nn) ? (size_t)id : 0;
}

/* The decoder id a child insists on (0: none usable as an index). */
static int kid_dec(const tl_rule *c) {
    if (c->decoded_as && c->decoded_as_id && c->decoded_as_id_src == c->decoded_as)
        return c->decoded_as_id;
    return 0;
}

/* ---- value-keyed children -----------------------------------------------------
 * Under 60000 / 61600 / 60001 ... most children start with a condition like
 * <field name="win.system.eventID">^4698$</field> or ^4720$|^624$: an OS_Regex
 * whose every alternative is '^', plain literal bytes, '$', which holds
 * exactly when the value equals one of the literals, ignoring ASCII case
 * (test_rules_value_sets_are_exact checks that claim against the matcher).
 * Such a child fails on any other value and on a missing field (a missing
 * field fails even negated), and the conditions before a <field> have no side
 * effect (those with one - check_diff, if_fts, lists, context - come after),
 * so a walk that skips it for such an event returns what the sequential walk
 * returns. Per child list, the field most children are keyed on gets a hash
 * table: value -> the children to try (the unkeyed ones and those whose set
 * holds the value, in sibling order). Worked example: under 61600 an event
 * with eventID 11 tries 61613 and the unkeyed children, not the twenty-odd
 * siblings keyed on other Sysmon event ids. */

/* Bytes OS_Regex compares as themselves (ignoring case) anywhere in an
 * alternative: no escape, group, anchor, alternation, and nothing non-ASCII. */
static int plain_lit_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '/' || c == ' ' || c == ':' || c == ',';
}

/* When e (OS_Regex, not negated) holds exactly for the values of a finite
 * set, call each(lit, len, ctx) for every alternative's literal and return
 * the number of alternatives; else 0 (each not called). */
static size_t exact_set(const tl_expr *e, void (*each)(const char *, size_t, void *), void *ctx) {
    if (!e || tl_expr_get_type(e) != TL_EXPR_OSREGEX || tl_expr_negated(e))
        return 0;
    const char *pat = tl_expr_pattern(e);
    if (!pat || !*pat)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        const char *p = pat;
        for (;;) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            if (len < 3 || p[0] != '^' || p[len - 1] != '$')
                return 0;
            for (size_t i = 1; i + 1 < len; i++)
                if (!plain_lit_byte((unsigned char)p[i]))
                    return 0;
            if (pass)
                each(p + 1, len - 2, ctx);
            n++;
            if (!bar)
                break;
            p = bar + 1;
        }
        if (pass || !each)
            return n;
    }
    return 0;
}

/* Index (in c->fields) of c's first exact-set <field> on fid, or -1. */
static long keyed_field(const tl_rule *c, size_t fid) {
    for (size_t i = 0; i < c->nfields; i++)
        if (c->fields[i].fid == fid && exact_set(c->fields[i].e, NULL, NULL))
            return (long)i;
    return -1;
}

static uint32_t fold_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static int fold_eq(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (x != y) /* y is folded already */
            return 0;
    }
    return 1;
}

typedef struct vcollect {
    tl_vidx *vx;
    size_t cap;
    int oom;
} vcollect;

static tl_vkey *vkey_find(const tl_vidx *vx, const char *v, size_t n) {
    if (!vx->tab || n > vx->maxlen)
        return NULL;
    for (size_t i = fold_hash(v, n) & vx->mask;; i = (i + 1) & vx->mask) {
        uint32_t k = vx->tab[i];
        if (!k)
            return NULL;
        tl_vkey *K = &vx->keys[k - 1];
        if (K->len == n && fold_eq(v, K->val, n))
            return K;
    }
}

/* Collect the distinct literals (folded) into vx->keys (no table yet). */
static void vcollect_add(const char *lit, size_t len, void *ctx) {
    vcollect *c = ctx;
    tl_vidx *vx = c->vx;
    if (c->oom)
        return;
    for (size_t i = 0; i < vx->nkeys; i++)
        if (vx->keys[i].len == len && fold_eq(lit, vx->keys[i].val, len))
            return;
    if (vx->nkeys == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 16;
        tl_vkey *nk = tl_realloc(vx->keys, nc * sizeof *nk);
        if (!nk) {
            c->oom = 1;
            return;
        }
        vx->keys = nk;
        c->cap = nc;
    }
    char *v = tl_malloc(len + 1);
    if (!v) {
        c->oom = 1;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)lit[i];
        v[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    v[len] = '\0';
    tl_vkey *K = &vx->keys[vx->nkeys++];
    memset(K, 0, sizeof *K);
    K->val = v;
    K->len = len;
    if (len > vx->maxlen)
        vx->maxlen = len;
}

typedef struct vmark {
    const char *val;
    size_t len;
    int hit;
} vmark;

static void vmark_each(const char *lit, size_t len, void *ctx) {
    vmark *m = ctx;
    if (len == m->len && fold_eq(lit, m->val, len))
        m->hit = 1;
}

/* Build L->vx when at least 4 children of L are keyed on one field. cnt:
 * scratch of rs->nfnames zeroes (left zeroed); kf: scratch of L->n. */
static tl_status vidx_build(const tl_ruleset *rs, tl_kids *L, size_t *cnt, long *kf) {
    tl_status st = TL_OK;
    tl_vidx *vx = NULL;
    size_t best_fid = 0, best = 0;
    /* the field most children are keyed on (the first to reach the count
     * wins a tie); a child counts once per field */
    for (size_t i = 0; i < L->n; i++) {
        const tl_rule *c = L->v[i];
        for (size_t f = 0; f < c->nfields; f++) {
            size_t fid = c->fields[f].fid;
            if (fid >= rs->nfnames || !exact_set(c->fields[f].e, NULL, NULL) ||
                keyed_field(c, fid) != (long)f)
                continue;
            if (++cnt[fid] > best) {
                best = cnt[fid];
                best_fid = fid;
            }
        }
    }
    for (size_t i = 0; i < L->n; i++)
        for (size_t f = 0; f < L->v[i]->nfields; f++)
            if (L->v[i]->fields[f].fid < rs->nfnames)
                cnt[L->v[i]->fields[f].fid] = 0;
    if (best < 4)
        return TL_OK;
    vx = tl_calloc(1, sizeof *vx);
    TL_TRY_ALLOC(vx);
    vx->fid = best_fid;
    vcollect col = {vx, 0, 0};
    for (size_t i = 0; i < L->n; i++) {
        kf[i] = keyed_field(L->v[i], best_fid);
        if (kf[i] >= 0)
            exact_set(L->v[i]->fields[kf[i]].e, vcollect_add, &col);
        if (col.oom)
            TL_FAIL(TL_E_NOMEM);
    }
    vx->other.v = tl_malloc(L->n * sizeof *vx->other.v);
    TL_TRY_ALLOC(vx->other.v);
    for (size_t i = 0; i < L->n; i++)
        if (kf[i] < 0)
            vx->other.v[vx->other.n++] = L->v[i];
    for (size_t k = 0; k < vx->nkeys; k++) {
        tl_vkey *K = &vx->keys[k];
        K->kids.v = tl_malloc(L->n * sizeof *K->kids.v);
        TL_TRY_ALLOC(K->kids.v);
        for (size_t i = 0; i < L->n; i++) {
            vmark m = {K->val, K->len, kf[i] < 0};
            if (kf[i] >= 0)
                exact_set(L->v[i]->fields[kf[i]].e, vmark_each, &m);
            if (m.hit)
                K->kids.v[K->kids.n++] = L->v[i];
        }
    }
    size_t tsz = 16;
    while (tsz < 2 * vx->nkeys)
        tsz *= 2;
    vx->tab = tl_calloc(tsz, sizeof *vx->tab);
    TL_TRY_ALLOC(vx->tab);
    vx->mask = tsz - 1;
    for (size_t k = 0; k < vx->nkeys; k++) {
        size_t i = fold_hash(vx->keys[k].val, vx->keys[k].len) & vx->mask;
        while (vx->tab[i])
            i = (i + 1) & vx->mask;
        vx->tab[i] = (uint32_t)(k + 1);
    }
    L->vx = vx;
    vx = NULL;
cleanup:
    vidx_free(vx);
    return st;
}

const tl_kids *tl_vidx_pick(const tl_kids *L, const char *v) {
    const tl_vidx *vx = L->vx;
    if (!vx)
        return L;
    if (!v)
        return &vx->other;
    const tl_vkey *K = vkey_find(vx, v, strlen(v));
    return K ? &K->kids : &vx->other;
}

/* 1 when some child list of r would get a value index. */
static int any_keyed(const tl_rule *r) {
    size_t n = 0;
    for (size_t i = 0; i < r->nchildren && n < 4; i++) {
        const tl_rule *c = r->children[i];
        for (size_t f = 0; f < c->nfields; f++)
            if (exact_set(c->fields[f].e, NULL, NULL)) {
                n++;
                break;
            }
    }
    return n >= 4;
}

static tl_status kidx_build(const tl_ruleset *rs, tl_rule *r, tl_kidx **out) {
    tl_status st = TL_OK;
    tl_kidx *k = NULL;
    int *ids = NULL;
    long *kf = NULL;
    size_t *cnt = NULL;
    size_t nids = 0, filt = 0;
    *out = NULL;
    if (r->nchildren < 4)
        return TL_OK;
    ids = tl_malloc(r->nchildren * sizeof *ids);
    TL_TRY_ALLOC(ids);
    kf = tl_malloc(r->nchildren * sizeof *kf);
    TL_TRY_ALLOC(kf);
    cnt = tl_calloc(rs->nfnames ? rs->nfnames : 1, sizeof *cnt);
    TL_TRY_ALLOC(cnt);
    for (size_t i = 0; i < r->nchildren; i++) {
        const tl_rule *c = r->children[i];
        int d = kid_dec(c);
        filt += d != 0 || c->program_name != NULL;
        if (!d)
            continue;
        int seen = 0;
        for (size_t j = 0; j < nids && !seen; j++)
            seen = ids[j] == d;
        if (!seen)
            ids[nids++] = d;
    }
    if (!(r->nchildren >= 8 && filt >= 4) && !any_keyed(r))
        goto cleanup; /* not worth it */
    k = tl_calloc(1, sizeof *k);
    TL_TRY_ALLOC(k);
    k->nslots = (rs->ds ? tl_decoder_set_count(rs->ds) : 0) + 2;
    k->slot = tl_calloc(k->nslots, sizeof *k->slot);
    TL_TRY_ALLOC(k->slot);
    k->npairs = nids + 1;
    if (k->npairs > 65535)
        TL_FAIL(TL_E_LIMIT);
    k->lists = tl_calloc(2 * k->npairs, sizeof *k->lists);
    TL_TRY_ALLOC(k->lists);
    for (size_t p = 0; p < k->npairs; p++) {
        int d = p ? ids[p - 1] : 0;
        if (p)
            k->slot[tl_kidx_slot_of(rs, d)] = (uint16_t)p;
        for (int prog = 0; prog < 2; prog++) {
            tl_kids *L = &k->lists[2 * p + (size_t)prog];
            L->v = tl_malloc(r->nchildren * sizeof *L->v);
            TL_TRY_ALLOC(L->v);
            for (size_t i = 0; i < r->nchildren; i++) {
                tl_rule *c = r->children[i];
                int cd = kid_dec(c);
                if (cd && cd != d)
                    continue;
                if (c->program_name && !prog)
                    continue;
                L->v[L->n++] = c;
            }
            TL_TRY(vidx_build(rs, L, cnt, kf));
        }
    }
    *out = k;
    k = NULL;
cleanup:
    tl_free(ids);
    tl_free(kf);
    tl_free(cnt);
    tl_kidx_free(k);
    return st;
}

/* The rule's log prefilter (rules_int.h lpf_*): what its <match> and
 * <regex> need of the log, so the indexed walk skips a rule that cannot
 * pass them without evaluating it (test_rules_indexed_walk_changes_nothing
 * compares with a walk that evaluates every rule). */
static void lpf_build(tl_rule *r) {
    unsigned char a[32], b[32];
    int ha = r->match && tl_expr_first_set(r->match, a);
    int hb = r->regex && tl_expr_first_set(r->regex, b);
    r->lpf = r->match || r->regex;
    r->lpf_has_first = (unsigned char)(ha || hb);
    for (int i = 0; i < 32; i++)
        r->lpf_first[i] = ha && hb ? (unsigned char)(a[i] & b[i]) : ha ? a[i] : hb ? b[i] : 0;
    r->lpf_fp[0] = r->match && tl_expr_fp_refutes(r->match) ? r->match : NULL;
    r->lpf_fp[1] = r->regex && tl_expr_fp_refutes(r->regex) ? r->regex : NULL;
}

tl_status tl_rules_tree_index(tl_ruleset *rs) {
    for (size_t i = 0; i < rs->nrules; i++) {
        tl_rule *r = rs->rules[i];
        /* a <field> whose expression needs a literal: its pair summary, for
         * the engine's per-value prefilter (expr_int.h tl_pair_bloom) */
        for (size_t f = 0; f < r->nfields; f++) {
            const char *lit = NULL;
            size_t n = tl_expr_need_literal(r->fields[f].e, &lit);
            r->fields[f].has_need = n >= 2;
            if (n >= 2)
                tl_pair_bloom_of(lit, n, &r->fields[f].need);
        }
        lpf_build(r);
        tl_kidx_free(r->kidx);
        r->kidx = NULL;
        if (!r->in_tree)
            continue;
        tl_status st = kidx_build(rs, r, &r->kidx);
        if (st != TL_OK)
            return st;
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
