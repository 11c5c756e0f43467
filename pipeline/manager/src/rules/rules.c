/* SPDX-License-Identifier: MIT */
/*
 * Rule file loading (analysisd src/analysisd/rules.c fn Rules_OP_ReadRules,
 * wazuh.md §5): one <group name="..."> wrapper per root element, <rule>
 * children, every attribute and element compiled once here so that the match
 * loop never parses or allocates.
 *
 * Quirks reproduced on purpose:
 *  - repeated <match>, <regex>, <user>, <if_sid>, <description>, <info>,
 *    <group>, ... are concatenated ("<if_sid>1</if_sid><if_sid>2</if_sid>" is
 *    "12"); the last type=/negate= attribute seen is the one compiled;
 *  - a rule's group string is the wrapper name verbatim, each inner <group>
 *    appended with no separator;
 *  - only the first newline of each <description> becomes a space;
 *  - frequency is kept as written (analysisd stores frequency - 2; the engine
 *    compensates);
 *  - duplicate ids keep the first rule (warning 7612) unless overwrite="yes".
 *
 * Messages: fatal problems fill the tl_diag with "file:line" and Wazuh's text
 * plus the rule id; warnings go to the ruleset's warn callback as
 * "file:line: rule N: text". Options this engine does not evaluate
 * (compiled_rule, if_fts without decoder fts, ...) are warnings, never
 * silently ignored.
 */
#include "rules/rules_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void tl_ruleset_warnf(const tl_ruleset *rs, const char *fmt, ...) {
    if (!rs || !rs->warn)
        return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rs->warn(rs->warn_ctx, msg);
}

unsigned long long tl_rules_load_cmps;

static uint64_t name_hash(const char *s);

/* Intern: a lookup in rs->fhash (rebuilt, twice as large, when half full). */
tl_status tl_ruleset_field_id(tl_ruleset *rs, const char *name, size_t *fid) {
    if (!rs->fhash || (rs->nfnames + 1) * 2 > rs->fhash_mask + 1) {
        tl_status st = tl_ruleset_index_fields(rs);
        if (st != TL_OK)
            return st;
    }
    size_t got = tl_ruleset_lookup_fid(rs, name);
    if (got != (size_t)-1) {
        *fid = got;
        return TL_OK;
    }
    char **nv = tl_realloc(rs->fnames, (rs->nfnames + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    rs->fnames = nv;
    nv[rs->nfnames] = tl_strdup(name);
    if (!nv[rs->nfnames])
        return TL_E_NOMEM;
    *fid = rs->nfnames++;
    uint64_t h = name_hash(name);
    size_t k = (size_t)h & rs->fhash_mask;
    while (rs->fhash[2 * k])
        k = (k + 1) & rs->fhash_mask;
    rs->fhash[2 * k] = *fid + 1;
    rs->fhash[2 * k + 1] = (size_t)h;
    return TL_OK;
}

int tl_ascii_casecmp(const char *a, const char *b) {
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y || !x)
            return (int)x - (int)y;
    }
}

/* A cheap case-insensitive hash: the length and the first and last 8 bytes
 * with bit 5 set (ASCII letters fold to lower case; other bytes may collide,
 * which the full compare after a hit sorts out), mixed so that every bit of
 * the result depends on all of them. Event field names share long prefixes
 * ("win.eventdata."), so the tail carries the difference. */
static uint64_t name_hash(const char *s) {
    size_t n = strlen(s);
    uint64_t a = 0, z = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
    } else {
        memcpy(&a, s, n);
    }
    a |= UINT64_C(0x2020202020202020);
    z |= UINT64_C(0x2020202020202020);
    uint64_t h = (a * UINT64_C(0x9E3779B97F4A7C15)) ^ (z * UINT64_C(0xC2B2AE3D27D4EB4F)) ^ n;
    h ^= h >> 32;
    h *= UINT64_C(0xD6E8FEB86659FD93);
    h ^= h >> 29;
    return h;
}

/* rs->fhash holds (fid + 1, full hash) pairs: slot k is fhash[2k], fhash[2k+1];
 * fid + 1 == 0 marks an empty slot. The stored hash is compared before the
 * (long, shared-prefix) names are. */
tl_status tl_ruleset_index_fields(tl_ruleset *rs) {
    size_t cap = 16;
    while (cap < rs->nfnames * 2 + 1)
        cap *= 2;
    tl_free(rs->fhash);
    rs->fhash = tl_calloc(cap * 2, sizeof *rs->fhash);
    if (!rs->fhash)
        return TL_E_NOMEM;
    rs->fhash_mask = cap - 1;
    for (size_t i = 0; i < rs->nfnames; i++) {
        uint64_t h = name_hash(rs->fnames[i]);
        size_t k = (size_t)h & rs->fhash_mask;
        while (rs->fhash[2 * k])
            k = (k + 1) & rs->fhash_mask;
        rs->fhash[2 * k] = i + 1;
        rs->fhash[2 * k + 1] = (size_t)h;
    }
    return TL_OK;
}

size_t tl_ruleset_lookup_fid(const tl_ruleset *rs, const char *name) {
    if (!rs->fhash)
        return (size_t)-1;
    uint64_t h = name_hash(name);
    size_t k = (size_t)h & rs->fhash_mask;
    while (rs->fhash[2 * k]) {
        size_t fid = rs->fhash[2 * k] - 1;
        tl_rules_load_cmps++;
        if (rs->fhash[2 * k + 1] == (size_t)h && (strcmp(rs->fnames[fid], name) == 0 ||
                                                  tl_ascii_casecmp(rs->fnames[fid], name) == 0))
            return fid;
        k = (k + 1) & rs->fhash_mask;
    }
    return (size_t)-1;
}

static size_t id_slot(int id, size_t mask) {
    uint64_t h = (uint64_t)(uint32_t)id * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & mask;
}

/* (Re)build rs->idhash for cap slots (a power of two > 2 * nrules). */
static tl_status index_ids(tl_ruleset *rs, size_t cap) {
    size_t *nh = tl_calloc(cap, sizeof *nh);
    if (!nh)
        return TL_E_NOMEM;
    tl_free(rs->idhash);
    rs->idhash = nh;
    rs->idhash_mask = cap - 1;
    for (size_t i = 0; i < rs->nrules; i++) {
        size_t k = id_slot(rs->rules[i]->id, rs->idhash_mask);
        while (rs->idhash[k])
            k = (k + 1) & rs->idhash_mask;
        rs->idhash[k] = i + 1;
    }
    return TL_OK;
}

/* The first rule in load order with this id (ids are unique in rules[]:
 * a duplicate is refused, 7612). */
tl_rule *tl_ruleset_find(const tl_ruleset *rs, int id) {
    if (!rs->idhash) {
        for (size_t i = 0; i < rs->nrules; i++)
            if (tl_rules_load_cmps++, rs->rules[i]->id == id)
                return rs->rules[i];
        return NULL;
    }
    tl_rule *best = NULL;
    for (size_t k = id_slot(id, rs->idhash_mask); rs->idhash[k]; k = (k + 1) & rs->idhash_mask) {
        tl_rule *r = rs->rules[rs->idhash[k] - 1];
        tl_rules_load_cmps++;
        if (r->id == id && (!best || r->idx < best->idx))
            best = r;
    }
    return best;
}

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        tl_free(v[i]);
    tl_free(v);
}

static void iplist_free(tl_iplist *l) {
    if (!l)
        return;
    tl_iplist_clear(l);
    tl_free(l);
}

/* Free everything a rule owns except its tree links. */
static void rule_free_content(tl_rule *r) {
    tl_expr *const exprs[] = {
        r->program_name, r->id_e,     r->system_name, r->protocol,        r->match,
        r->regex,        r->action,   r->url,         r->location,        r->srcport,
        r->dstport,      r->user,     r->srcgeoip,    r->dstgeoip,        r->data,
        r->extra_data,   r->hostname, r->status,      r->if_matched_regex};
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
        tl_expr_free(exprs[i]);
    for (size_t i = 0; i < r->nfields; i++) {
        tl_free(r->fields[i].name);
        tl_expr_free(r->fields[i].e);
    }
    tl_free(r->fields);
    iplist_free(r->srcip);
    iplist_free(r->dstip);
    for (size_t i = 0; i < r->nlists; i++) {
        tl_free(r->lists[i].field);
        tl_free(r->lists[i].path);
        tl_expr_free(r->lists[i].check_value);
    }
    tl_free(r->lists);
    tl_free(r->missing_list);
    tl_free(r->decoded_as);
    tl_free(r->matched_sids);
    tl_free(r->if_matched_sid);
    tl_free(r->if_matched_group);
    tl_osmatch_free(r->if_matched_group_m);
    strv_free(r->same_fields, r->nsame_fields);
    strv_free(r->different_fields, r->ndifferent_fields);
    strv_free(r->ignore_fields, r->nignore_fields);
    strv_free(r->ckignore_fields, r->nckignore_fields);
    tl_free(r->description);
    tl_free(r->groups);
    strv_free(r->mitre_ids, r->nmitre);
    tl_free(r->info);
    tl_free(r->cve);
    tl_free(r->file);
    tl_free(r->ars);
    tl_free(r->feeds_groups);
}

void tl_rule_free(tl_rule *r) {
    if (!r)
        return;
    rule_free_content(r);
    tl_free(r->if_sid);
    tl_free(r->if_group);
    tl_free(r->children);
    tl_kidx_free(r->kidx);
    tl_free(r);
}

/* ---- small helpers --------------------------------------------------------- */

static int all_digits(const char *s) {
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Append s to *dst (loadmemory). */
static tl_status cat(char **dst, const char *s) {
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);
    char *n = tl_realloc(*dst, a + b + 1);
    if (!n)
        return TL_E_NOMEM;
    memcpy(n + a, s, b + 1);
    *dst = n;
    return TL_OK;
}

static tl_status strv_push(char ***v, size_t *n, const char *s) {
    char **nv = tl_realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    *v = nv;
    nv[*n] = tl_strdup(s);
    if (!nv[*n])
        return TL_E_NOMEM;
    (*n)++;
    return TL_OK;
}

/* Parse "HH[:MM] [am|pm]" at *p; minutes since midnight or -1. */
static int parse_clock(const char **p) {
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    int h = 0, m = 0;
    while (isdigit((unsigned char)*s))
        h = h * 10 + (*s++ - '0');
    if (*s == ':') {
        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s))
            m = m * 10 + (*s++ - '0');
    }
    while (*s == ' ')
        s++;
    if (tl_strncasecmp(s, "am", 2) == 0) {
        if (h == 12)
            h = 0;
        s += 2;
    } else if (tl_strncasecmp(s, "pm", 2) == 0) {
        if (h < 12)
            h += 12;
        s += 2;
    }
    if (h > 23 || m > 59)
        return -1;
    *p = s;
    return h * 60 + m;
}

/* OS_IsValidTime: "[!]T1 - T2"; a range that wraps midnight is stored as the
 * negation of its complement, as analysisd does. */
static int parse_time_range(const char *s, int *neg, int *start, int *end) {
    int ng = 0;
    while (*s == ' ')
        s++;
    if (*s == '!') {
        ng = 1;
        s++;
    }
    int a = parse_clock(&s);
    if (a < 0)
        return -1;
    while (*s == ' ')
        s++;
    if (*s != '-')
        return -1;
    s++;
    int b = parse_clock(&s);
    if (b < 0)
        return -1;
    while (*s == ' ')
        s++;
    if (*s)
        return -1;
    if (a > b) {
        int t = a;
        a = b;
        b = t;
        ng = !ng;
    }
    *neg = ng;
    *start = a;
    *end = b;
    return 0;
}

/* OS_IsValidDay: day names, "weekdays", "weekends", separated by ',' or ' '
 * (a range "monday - friday" is accepted too). Bitmask, bit 0 = Sunday. */
static int parse_weekdays(const char *s) {
    static const char *const names[7][2] = {
        {"sunday", "sun"},   {"monday", "mon"}, {"tuesday", "tue"}, {"wednesday", "wed"},
        {"thursday", "thu"}, {"friday", "fri"}, {"saturday", "sat"}};
    int mask = 0, neg = 0, prev = -1, range = 0;
    while (*s == ' ')
        s++;
    if (*s == '!') {
        neg = 1;
        s++;
    }
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s)
            break;
        if (*s == '-') {
            range = 1;
            s++;
            continue;
        }
        const char *w = s;
        while (*s && *s != ' ' && *s != ',' && *s != '-')
            s++;
        size_t len = (size_t)(s - w);
        int day = -1;
        if (len == 8 && tl_strncasecmp(w, "weekdays", 8) == 0) {
            mask |= 0x3e;
            prev = -1;
            continue;
        }
        if (len == 8 && tl_strncasecmp(w, "weekends", 8) == 0) {
            mask |= 0x41;
            prev = -1;
            continue;
        }
        for (int i = 0; i < 7 && day < 0; i++)
            for (int j = 0; j < 2; j++)
                if (strlen(names[i][j]) == len && tl_strncasecmp(w, names[i][j], len) == 0)
                    day = i;
        if (day < 0)
            return -1;
        if (range && prev >= 0) {
            for (int i = prev;; i = (i + 1) % 7) {
                mask |= 1 << i;
                if (i == day)
                    break;
            }
        }
        mask |= 1 << day;
        prev = day;
        range = 0;
    }
    if (!mask)
        return -1;
    if (neg)
        mask = (~mask) & 0x7f;
    return mask ? mask : -1;
}

/* ---- the rule parser ----------------------------------------------------- */

typedef struct pexpr {
    char *text;
    tl_expr_type type;
    int negate;
    int line;
    const char *tag;
} pexpr;

typedef struct rctx {
    tl_ruleset *rs;
    const char *file;
    const char *base_dir;
    tl_diag *d;
    tl_rule *r;
} rctx;

static void rwarn(rctx *c, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void rwarn(rctx *c, int line, const char *fmt, ...) {
    char msg[1000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_ruleset_warnf(c->rs, "%s:%d: rule %d: %s", c->file, line, c->r ? c->r->id : 0, msg);
}

/* negate="yes|no" and type="..." (w_check_attr_negate / w_check_attr_type):
 * a bad value is warning 7600 and the default stays. Other attributes are
 * warned about (analysisd ignores them). */
static void expr_attrs(rctx *c, const tl_osxml_node *n, pexpr *pe, int allow_field_name) {
    for (size_t i = 0; i < n->nattr; i++) {
        const char *an = n->attr_name[i], *av = n->attr_val[i];
        if (strcmp(an, "negate") == 0) {
            if (tl_strcasecmp(av, "yes") == 0)
                pe->negate = 1;
            else if (tl_strcasecmp(av, "no") == 0)
                pe->negate = 0;
            else
                rwarn(c, n->line, "(7600): Invalid value '%s' for attribute '%s' in rule %d.", av,
                      an, c->r->id);
        } else if (strcmp(an, "type") == 0) {
            tl_expr_type t;
            if (tl_expr_type_parse(av, &t) && t != TL_EXPR_STRING)
                pe->type = t;
            else
                rwarn(c, n->line, "(7600): Invalid value '%s' for attribute '%s' in rule %d.", av,
                      an, c->r->id);
        } else if (!(allow_field_name && strcmp(an, "name") == 0)) {
            rwarn(c, n->line, "attribute '%s' of <%s> is not supported and was ignored", an,
                  n->name);
        }
    }
}

static tl_status compile_expr(rctx *c, pexpr *pe, tl_expr **out) {
    if (!pe->text)
        return TL_OK;
    tl_diag sub;
    tl_diag_clear(&sub);
    tl_status st = tl_expr_compile(pe->type, pe->text, pe->negate, 0, out, &sub);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        tl_diag_set(c->d, c->file, pe->line, "(5107): Syntax error on tag '%s' in rule %d: %s",
                    pe->tag, c->r->id, sub.msg);
        return TL_E_REGEX;
    }
    return TL_OK;
}

static int ctx_flag(const char *name, unsigned *flag) {
    static const struct {
        const char *n;
        unsigned f;
    } t[] = {
        {"same_source_ip", TL_CTX_SAME_SRCIP},
        {"same_srcip", TL_CTX_SAME_SRCIP},
        {"same_dstip", TL_CTX_SAME_DSTIP},
        {"same_src_port", TL_CTX_SAME_SRCPORT},
        {"same_srcport", TL_CTX_SAME_SRCPORT},
        {"same_dst_port", TL_CTX_SAME_DSTPORT},
        {"same_dstport", TL_CTX_SAME_DSTPORT},
        {"same_protocol", TL_CTX_SAME_PROTOCOL},
        {"same_action", TL_CTX_SAME_ACTION},
        {"same_id", TL_CTX_SAME_ID},
        {"same_url", TL_CTX_SAME_URL},
        {"same_data", TL_CTX_SAME_DATA},
        {"same_extra_data", TL_CTX_SAME_EXTRA_DATA},
        {"same_status", TL_CTX_SAME_STATUS},
        {"same_system_name", TL_CTX_SAME_SYSTEMNAME},
        {"same_srcuser", TL_CTX_SAME_SRCUSER},
        {"same_user", TL_CTX_SAME_DSTUSER},
        {"same_dstuser", TL_CTX_SAME_DSTUSER},
        {"same_location", TL_CTX_SAME_LOCATION},
        {"same_agent", TL_CTX_SAME_AGENT},
        {"not_same_source_ip", TL_CTX_DIFF_SRCIP},
        {"different_srcip", TL_CTX_DIFF_SRCIP},
        {"different_dstip", TL_CTX_DIFF_DSTIP},
        {"different_src_port", TL_CTX_DIFF_SRCPORT},
        {"different_srcport", TL_CTX_DIFF_SRCPORT},
        {"different_dst_port", TL_CTX_DIFF_DSTPORT},
        {"different_dstport", TL_CTX_DIFF_DSTPORT},
        {"different_protocol", TL_CTX_DIFF_PROTOCOL},
        {"different_action", TL_CTX_DIFF_ACTION},
        {"different_id", TL_CTX_DIFF_ID},
        {"not_same_id", TL_CTX_DIFF_ID},
        {"different_url", TL_CTX_DIFF_URL},
        {"different_data", TL_CTX_DIFF_DATA},
        {"different_extra_data", TL_CTX_DIFF_EXTRA_DATA},
        {"different_status", TL_CTX_DIFF_STATUS},
        {"different_system_name", TL_CTX_DIFF_SYSTEMNAME},
        {"different_srcuser", TL_CTX_DIFF_SRCUSER},
        {"different_user", TL_CTX_DIFF_DSTUSER},
        {"not_same_user", TL_CTX_DIFF_DSTUSER},
        {"different_dstuser", TL_CTX_DIFF_DSTUSER},
        {"different_location", TL_CTX_DIFF_LOCATION},
        {"global_frequency", TL_CTX_GLOBAL_FREQUENCY},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (tl_strcasecmp(name, t[i].n) == 0) {
            *flag = t[i].f;
            return 1;
        }
    }
    return 0;
}

/* Expression elements checked against one slot. */
typedef enum pslot {
    PS_MATCH = 0,
    PS_REGEX,
    PS_PROGRAM_NAME,
    PS_ID,
    PS_SYSTEM_NAME,
    PS_PROTOCOL,
    PS_ACTION,
    PS_URL,
    PS_LOCATION,
    PS_SRCPORT,
    PS_DSTPORT,
    PS_USER,
    PS_SRCGEOIP,
    PS_DSTGEOIP,
    PS_DATA,
    PS_EXTRA_DATA,
    PS_HOSTNAME,
    PS_STATUS,
    PS_IF_MATCHED_REGEX,
    PS_COUNT
} pslot;

static const struct {
    const char *tag;
    tl_expr_type def;
} pslot_info[PS_COUNT] = {
    {"match", TL_EXPR_OSMATCH},
    {"regex", TL_EXPR_OSREGEX},
    {"program_name", TL_EXPR_OSMATCH},
    {"id", TL_EXPR_OSMATCH},
    {"system_name", TL_EXPR_OSMATCH},
    {"protocol", TL_EXPR_OSMATCH},
    {"action", TL_EXPR_STRING},
    {"url", TL_EXPR_OSMATCH},
    {"location", TL_EXPR_OSMATCH},
    {"srcport", TL_EXPR_OSMATCH},
    {"dstport", TL_EXPR_OSMATCH},
    {"user", TL_EXPR_OSMATCH},
    {"srcgeoip", TL_EXPR_OSMATCH},
    {"dstgeoip", TL_EXPR_OSMATCH},
    {"data", TL_EXPR_OSMATCH},
    {"extra_data", TL_EXPR_OSMATCH},
    {"hostname", TL_EXPR_OSMATCH},
    {"status", TL_EXPR_OSMATCH},
    {"if_matched_regex", TL_EXPR_OSREGEX},
};

static tl_expr **pslot_target(tl_rule *r, pslot s) {
    switch (s) {
    case PS_MATCH: return &r->match;
    case PS_REGEX: return &r->regex;
    case PS_PROGRAM_NAME: return &r->program_name;
    case PS_ID: return &r->id_e;
    case PS_SYSTEM_NAME: return &r->system_name;
    case PS_PROTOCOL: return &r->protocol;
    case PS_ACTION: return &r->action;
    case PS_URL: return &r->url;
    case PS_LOCATION: return &r->location;
    case PS_SRCPORT: return &r->srcport;
    case PS_DSTPORT: return &r->dstport;
    case PS_USER: return &r->user;
    case PS_SRCGEOIP: return &r->srcgeoip;
    case PS_DSTGEOIP: return &r->dstgeoip;
    case PS_DATA: return &r->data;
    case PS_EXTRA_DATA: return &r->extra_data;
    case PS_HOSTNAME: return &r->hostname;
    case PS_STATUS: return &r->status;
    case PS_IF_MATCHED_REGEX: return &r->if_matched_regex;
    default: return NULL;
    }
}

static int category_parse(const char *s, tl_category *c) {
    static const struct {
        const char *n;
        tl_category c;
    } t[] = {{"firewall", TL_CAT_FIREWALL}, {"ids", TL_CAT_IDS},
             {"syslog", TL_CAT_SYSLOG},     {"web-log", TL_CAT_WEBLOG},
             {"squid", TL_CAT_SQUID},       {"windows", TL_CAT_WINDOWS},
             {"ossec", TL_CAT_OSSEC},       {"host-information", TL_CAT_HOST_INFO}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(s, t[i].n) == 0) {
            *c = t[i].c;
            return 1;
        }
    }
    return 0;
}

/* Lists_OP_LoadList names: everything from the first ".cdb" on is cut. */
static size_t list_name_len(const char *p) {
    const char *c = strstr(p, ".cdb");
    return c ? (size_t)(c - p) : strlen(p);
}

/* A rule's <list> must name a list ossec.conf registered (its text path or
 * the .cdb path); analysisd never loads one on its own (wazuh.md §5.4). */
static const tl_list *find_list(const tl_ruleset *rs, const char *path) {
    size_t pl = list_name_len(path);
    for (size_t i = 0; i < rs->nlists; i++) {
        const char *q = rs->lists[i]->path;
        size_t ql = list_name_len(q);
        if (ql == pl && memcmp(q, path, pl) == 0)
            return rs->lists[i];
    }
    return NULL;
}

static tl_status parse_list_elem(rctx *c, const tl_osxml_node *n) {
    tl_rule *r = c->r;
    tl_status st = TL_OK;
    const char *field = tl_osxml_attr(n, "field");
    const char *lookup = tl_osxml_attr(n, "lookup");
    const char *check = tl_osxml_attr(n, "check_value");
    for (size_t i = 0; i < n->nattr; i++) {
        const char *an = n->attr_name[i];
        if (strcmp(an, "field") && strcmp(an, "lookup") && strcmp(an, "check_value"))
            rwarn(c, n->line, "attribute '%s' of <list> is not supported and was ignored", an);
    }
    if (!field || !*field) {
        tl_diag_set(c->d, c->file, n->line,
                    "rule %d: (1235): Invalid value for element 'list': missing 'field'.", r->id);
        return TL_E_RULE;
    }
    static const char *const lk[] = {
        "match_key",         "not_match_key",         "match_key_value",
        "address_match_key", "not_address_match_key", "address_match_key_value"};
    int li = 0;
    if (lookup) {
        li = -1;
        for (int i = 0; i < 6; i++)
            if (strcmp(lookup, lk[i]) == 0)
                li = i;
        if (li < 0) {
            tl_diag_set(c->d, c->file, n->line,
                        "rule %d: (1235): Invalid value for element 'list': lookup '%s'.", r->id,
                        lookup);
            return TL_E_RULE;
        }
    }
    tl_rule_list *nv = tl_realloc(r->lists, (r->nlists + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    r->lists = nv;
    tl_rule_list *L = &r->lists[r->nlists];
    memset(L, 0, sizeof *L);
    r->nlists++;
    L->field = tl_strdup(field);
    L->path = tl_strdup(n->content);
    if (!L->field || !L->path)
        return TL_E_NOMEM;
    L->stat_idx = tl_static_field_index(field);
    L->lookup = (tl_list_lookup)li;
    if (check) {
        /* check_value is compiled with OSMatch_Compile (not a regex) */
        pexpr pe = {(char *)check, TL_EXPR_OSMATCH, 0, n->line, "list"};
        st = compile_expr(c, &pe, &L->check_value);
        if (st != TL_OK)
            return st;
    }
    L->list = find_list(c->rs, L->path);
    if (!L->list && !r->missing_list) {
        r->missing_list = tl_strdup(L->path);
        if (!r->missing_list)
            return TL_E_NOMEM;
    }
    return st;
}

static tl_status parse_mitre(rctx *c, const tl_osxml_node *n) {
    tl_rule *r = c->r;
    size_t nid = 0, ntac = 0, ntec = 0;
    for (size_t i = 0; i < n->nchildren; i++) {
        const tl_osxml_node *ch = n->children[i];
        if (tl_strcasecmp(ch->name, "id") == 0)
            nid++;
        else if (tl_strcasecmp(ch->name, "tacticID") == 0)
            ntac++;
        else if (tl_strcasecmp(ch->name, "techniqueID") == 0)
            ntec++;
        else {
            rwarn(c, ch->line, "Invalid option '%s' for rule '%d' (mitre). Ignored.", ch->name,
                  r->id);
        }
    }
    if (nid && (ntac || ntec)) {
        rwarn(c, n->line, "mitre block mixes <id> with <tacticID>/<techniqueID>; block dropped");
        return TL_OK;
    }
    if (ntac || ntec) {
        rwarn(c, n->line, "mitre <tacticID>/<techniqueID> form is not supported; block dropped");
        return TL_OK;
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        const tl_osxml_node *ch = n->children[i];
        if (tl_strcasecmp(ch->name, "id") != 0)
            continue;
        if (!ch->content[0]) {
            rwarn(c, ch->line, "empty mitre <id>; block dropped");
            for (size_t k = 0; k < r->nmitre; k++)
                tl_free(r->mitre_ids[k]);
            r->nmitre = 0;
            return TL_OK;
        }
        tl_status st = strv_push(&r->mitre_ids, &r->nmitre, ch->content);
        if (st != TL_OK)
            return st;
        if (!tl_mitre_lookup(ch->content, NULL, NULL)) {
            int seen = 0;
            for (size_t k = 0; k < c->rs->nmitre_warned && !seen; k++)
                seen = strcmp(c->rs->mitre_warned[k], ch->content) == 0;
            if (!seen) {
                st = strv_push(&c->rs->mitre_warned, &c->rs->nmitre_warned, ch->content);
                if (st != TL_OK)
                    return st;
                rwarn(c, ch->line, "Mitre Technique ID '%s' not found in database.", ch->content);
            }
        }
    }
    return TL_OK;
}

static int attr_int(const char *v, int lo, int hi, int *out) {
    if (!all_digits(v) || strlen(v) > 9)
        return 0;
    int x = atoi(v);
    if (x < lo || x > hi)
        return 0;
    *out = x;
    return 1;
}

static tl_status parse_attributes(rctx *c, const tl_osxml_node *n) {
    tl_rule *r = c->r;
    int have_id = 0, have_level = 0;
    r->timeframe = 360;
    r->accuracy = 1;
    for (size_t i = 0; i < n->nattr; i++) {
        const char *an = n->attr_name[i], *av = n->attr_val[i];
        if (strcmp(an, "id") == 0) {
            if (!all_digits(av) || strlen(av) > 6) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid rule id: '%s'.", av);
                return TL_E_RULE;
            }
            r->id = atoi(av);
            snprintf(r->id_str, sizeof r->id_str, "%d", r->id);
            have_id = 1;
        } else if (strcmp(an, "level") == 0) {
            if (!attr_int(av, 0, 16, &r->level)) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid level '%s' (0-16).", av);
                return TL_E_RULE;
            }
            have_level = 1;
        } else if (strcmp(an, "maxsize") == 0) {
            if (!attr_int(av, 1, 9999, &r->maxsize)) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid maxsize '%s' (1-9999).", av);
                return TL_E_RULE;
            }
        } else if (strcmp(an, "frequency") == 0) {
            if (!attr_int(av, 2, 9999, &r->frequency)) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid frequency '%s' (2-9999).",
                            av);
                return TL_E_RULE;
            }
        } else if (strcmp(an, "timeframe") == 0) {
            if (!attr_int(av, 1, 999999999, &r->timeframe)) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid timeframe '%s'.", av);
                return TL_E_RULE;
            }
        } else if (strcmp(an, "ignore") == 0) {
            if (!attr_int(av, 0, 999999999, &r->ignore_time)) {
                tl_diag_set(c->d, c->file, n->line, "rules_op: Invalid ignore '%s'.", av);
                return TL_E_RULE;
            }
        } else if (strcmp(an, "accuracy") == 0) {
            r->accuracy = strcmp(av, "0") != 0;
        } else if (strcmp(an, "noalert") == 0) {
            r->noalert = 1;
        } else if (strcmp(an, "overwrite") == 0) {
            if (strcmp(av, "yes") == 0)
                r->overwrite = 1;
            else if (strcmp(av, "no") == 0)
                r->overwrite = 0;
            else {
                tl_diag_set(c->d, c->file, n->line,
                            "rules_op: Invalid value '%s' for attribute 'overwrite'.", av);
                return TL_E_RULE;
            }
        } else {
            tl_diag_set(c->d, c->file, n->line,
                        "rules_op: Invalid attribute \"%s\". Only id, level, maxsize, accuracy, "
                        "noalert, ignore, frequency and timeframe are allowed.",
                        an);
            return TL_E_RULE;
        }
    }
    if (!have_id || !have_level) {
        tl_diag_set(c->d, c->file, n->line,
                    "rules_op: Invalid rule: 'id' and 'level' are required.");
        return TL_E_RULE;
    }
    r->ilevel = (r->level ? r->level : 99) * (r->accuracy ? 100 : 1);
    return TL_OK;
}

static int is_expr_tag(const char *name, pslot *out) {
    static const struct {
        const char *n;
        pslot s;
    } t[] = {{"match", PS_MATCH},
             {"regex", PS_REGEX},
             {"program_name", PS_PROGRAM_NAME},
             {"id", PS_ID},
             {"system_name", PS_SYSTEM_NAME},
             {"protocol", PS_PROTOCOL},
             {"action", PS_ACTION},
             {"url", PS_URL},
             {"location", PS_LOCATION},
             {"srcport", PS_SRCPORT},
             {"dstport", PS_DSTPORT},
             {"user", PS_USER},
             {"srcgeoip", PS_SRCGEOIP},
             {"dstgeoip", PS_DSTGEOIP},
             {"data", PS_DATA},
             {"extra_data", PS_EXTRA_DATA},
             {"hostname", PS_HOSTNAME},
             {"status", PS_STATUS},
             {"if_matched_regex", PS_IF_MATCHED_REGEX}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (tl_strcasecmp(name, t[i].n) == 0) {
            *out = t[i].s;
            return 1;
        }
    }
    return 0;
}

/* Parse one <rule>. On success *out is the new rule (not yet in the tree). */
static tl_status parse_rule(rctx *c, const tl_osxml_node *rn, const char *group_name,
                            tl_rule **out) {
    tl_status st = TL_OK;
    pexpr pe[PS_COUNT];
    memset(pe, 0, sizeof pe);
    for (int i = 0; i < PS_COUNT; i++) {
        pe[i].type = pslot_info[i].def;
        pe[i].tag = pslot_info[i].tag;
    }
    tl_rule *r = tl_calloc(1, sizeof *r);
    TL_TRY_ALLOC(r);
    c->r = r;
    r->line = rn->line;
    r->file = tl_strdup(c->file);
    TL_TRY_ALLOC(r->file);
    TL_TRY(parse_attributes(c, rn));
    r->groups = tl_strdup(group_name);
    TL_TRY_ALLOC(r->groups);
    if (rn->nchildren == 0) {
        tl_diag_set(c->d, c->file, rn->line,
                    "rules_op: Rule '%d' without any option. It may lead to false positives and "
                    "some services may crash. Ignoring rule.",
                    r->id);
        TL_FAIL(TL_E_RULE);
    }
    int have_ctx_opt = 0;
    for (size_t k = 0; k < rn->nchildren; k++) {
        const tl_osxml_node *n = rn->children[k];
        const char *name = n->name;
        const char *v = n->content;
        pslot ps;
        unsigned flag;
        if (is_expr_tag(name, &ps)) {
            if (ps == PS_SRCGEOIP || ps == PS_DSTGEOIP)
                rwarn(c, n->line,
                      "<%s> needs GeoIP data, which this engine does not have; the "
                      "rule never matches",
                      name);
            expr_attrs(c, n, &pe[ps], 0);
            TL_TRY(cat(&pe[ps].text, v));
            pe[ps].line = n->line;
        } else if (tl_strcasecmp(name, "field") == 0) {
            const char *fname = tl_osxml_attr(n, "name");
            if (!fname || !*fname) {
                tl_diag_set(c->d, c->file, n->line,
                            "rule %d: (1235): Invalid value for element 'field': missing 'name'.",
                            r->id);
                TL_FAIL(TL_E_RULE);
            }
            if (tl_static_field_index(fname) >= 0 || strcmp(fname, "srcgeoip") == 0 ||
                strcmp(fname, "dstgeoip") == 0 || strcmp(fname, "user") == 0) {
                tl_diag_set(c->d, c->file, n->line, "rule %d: Field '%s' is static.", r->id, fname);
                TL_FAIL(TL_E_RULE);
            }
            pexpr fp = {(char *)v, TL_EXPR_OSREGEX, 0, n->line, "field"};
            expr_attrs(c, n, &fp, 1);
            tl_rule_field *nv = tl_realloc(r->fields, (r->nfields + 1) * sizeof *nv);
            TL_TRY_ALLOC(nv);
            r->fields = nv;
            memset(&nv[r->nfields], 0, sizeof nv[0]);
            nv[r->nfields].name = tl_strdup(fname);
            TL_TRY_ALLOC(nv[r->nfields].name);
            r->nfields++;
            TL_TRY(tl_ruleset_field_id(c->rs, fname, &nv[r->nfields - 1].fid));
            TL_TRY(compile_expr(c, &fp, &nv[r->nfields - 1].e));
        } else if (tl_strcasecmp(name, "description") == 0) {
            char *tmp = tl_strdup(v);
            TL_TRY_ALLOC(tmp);
            char *nl = strchr(tmp, '\n');
            if (nl)
                *nl = ' ';
            st = cat(&r->description, tmp);
            tl_free(tmp);
            TL_TRY(st);
        } else if (tl_strcasecmp(name, "group") == 0) {
            tl_buf b = TL_BUF_INIT;
            for (const char *p = v; *p; p++)
                if (*p != '\n')
                    tl_buf_putc(&b, *p);
            st = tl_buf_status(&b);
            if (st == TL_OK)
                st = cat(&r->groups, tl_buf_cstr(&b));
            tl_buf_free(&b);
            TL_TRY(st);
        } else if (tl_strcasecmp(name, "info") == 0) {
            const char *ty = tl_osxml_attr(n, "type");
            if (ty && strcmp(ty, "text") && strcmp(ty, "link") && strcmp(ty, "cve") &&
                strcmp(ty, "osvdb"))
                rwarn(c, n->line, "(7600): Invalid value '%s' for attribute 'type' in rule %d.", ty,
                      r->id);
            TL_TRY(cat(&r->info, v));
        } else if (tl_strcasecmp(name, "cve") == 0) {
            TL_TRY(cat(&r->cve, v));
        } else if (tl_strcasecmp(name, "if_sid") == 0) {
            TL_TRY(cat(&r->if_sid, v));
        } else if (tl_strcasecmp(name, "if_group") == 0) {
            TL_TRY(cat(&r->if_group, v));
        } else if (tl_strcasecmp(name, "if_level") == 0) {
            if (!attr_int(v, 1, 16, &r->if_level)) {
                tl_diag_set(c->d, c->file, n->line,
                            "rule %d: (1235): Invalid value for element 'if_level': %s.", r->id, v);
                TL_FAIL(TL_E_RULE);
            }
        } else if (tl_strcasecmp(name, "if_matched_sid") == 0) {
            TL_TRY(cat(&r->if_matched_sid, v));
        } else if (tl_strcasecmp(name, "if_matched_group") == 0) {
            TL_TRY(cat(&r->if_matched_group, v));
        } else if (tl_strcasecmp(name, "decoded_as") == 0) {
            // analysisd refuses the file; the reference ruleset is a subset of
            // Wazuh's (no rootcheck/syscheck/ossec decoders), so warn instead
            if (c->rs->ds && !tl_decoder_set_has(c->rs->ds, v))
                rwarn(c, n->line, "Invalid decoder name: '%s'. The rule never matches.", v);
            tl_free(r->decoded_as);
            r->decoded_as = tl_strdup(v);
            TL_TRY_ALLOC(r->decoded_as);
            r->decoded_as_id = c->rs->ds ? tl_decoder_set_id(c->rs->ds, v) : 0;
            r->decoded_as_id_src = r->decoded_as;
        } else if (tl_strcasecmp(name, "category") == 0) {
            if (!category_parse(v, &r->category)) {
                tl_diag_set(c->d, c->file, n->line, "rule %d: (1273): Invalid category: '%s'.",
                            r->id, v);
                TL_FAIL(TL_E_RULE);
            }
            r->has_category = 1;
        } else if (tl_strcasecmp(name, "srcip") == 0 || tl_strcasecmp(name, "dstip") == 0) {
            tl_iplist **lp = tl_strcasecmp(name, "srcip") == 0 ? &r->srcip : &r->dstip;
            if (!*lp) {
                *lp = tl_calloc(1, sizeof **lp);
                TL_TRY_ALLOC(*lp);
            }
            const char *ip = v;
            while (*ip == ' ')
                ip++;
            if (*ip == '!') {
                (*lp)->negate = 1;
                ip++;
            }
            const char *neg = tl_osxml_attr(n, "negate");
            if (neg && tl_strcasecmp(neg, "yes") == 0)
                (*lp)->negate = 1;
            if (tl_iplist_add(*lp, ip) != 0) {
                tl_diag_set(c->d, c->file, n->line,
                            "rule %d: (1235): Invalid value for element '%s': %s.", r->id, name, v);
                TL_FAIL(TL_E_RULE);
            }
        } else if (tl_strcasecmp(name, "time") == 0) {
            if (parse_time_range(v, &r->time_neg, &r->time_start, &r->time_end) != 0) {
                tl_diag_set(c->d, c->file, n->line,
                            "rule %d: (1235): Invalid value for element 'time': %s.", r->id, v);
                TL_FAIL(TL_E_RULE);
            }
            r->has_time = 1;
        } else if (tl_strcasecmp(name, "weekday") == 0) {
            int m = parse_weekdays(v);
            if (m < 0) {
                tl_diag_set(c->d, c->file, n->line,
                            "rule %d: (1235): Invalid value for element 'weekday': %s.", r->id, v);
                TL_FAIL(TL_E_RULE);
            }
            r->weekdays = m;
        } else if (tl_strcasecmp(name, "list") == 0) {
            TL_TRY(parse_list_elem(c, n));
        } else if (tl_strcasecmp(name, "mitre") == 0) {
            TL_TRY(parse_mitre(c, n));
        } else if (tl_strcasecmp(name, "options") == 0) {
            static const struct {
                const char *n;
                unsigned f;
            } ot[] = {{"alert_by_email", TL_OPT_ALERT_BY_EMAIL},
                      {"no_email_alert", TL_OPT_NO_EMAIL_ALERT},
                      {"log_alert", TL_OPT_LOG_ALERT},
                      {"no_log", TL_OPT_NO_LOG},
                      {"no_ar", TL_OPT_NO_AR},
                      {"no_full_log", TL_OPT_NO_FULL_LOG},
                      {"no_counter", TL_OPT_NO_COUNTER}};
            const char *p = v;
            while (*p) {
                while (*p == ',' || *p == ' ')
                    p++;
                if (!*p)
                    break;
                const char *w = p;
                while (*p && *p != ',' && *p != ' ')
                    p++;
                size_t len = (size_t)(p - w);
                int ok = 0;
                for (size_t i = 0; i < sizeof ot / sizeof ot[0]; i++) {
                    if (strlen(ot[i].n) == len && strncmp(w, ot[i].n, len) == 0) {
                        r->options |= ot[i].f;
                        ok = 1;
                    }
                }
                if (!ok) {
                    tl_diag_set(c->d, c->file, n->line,
                                "rule %d: (1235): Invalid value for element 'options': %.*s.",
                                r->id, (int)len, w);
                    TL_FAIL(TL_E_RULE);
                }
            }
        } else if (tl_strcasecmp(name, "same_field") == 0) {
            TL_TRY(strv_push(&r->same_fields, &r->nsame_fields, v));
            have_ctx_opt = 1;
        } else if (tl_strcasecmp(name, "different_field") == 0 ||
                   tl_strcasecmp(name, "not_same_field") == 0) {
            TL_TRY(strv_push(&r->different_fields, &r->ndifferent_fields, v));
            have_ctx_opt = 1;
        } else if (tl_strcasecmp(name, "same_srcgeoip") == 0 ||
                   tl_strcasecmp(name, "same_dstgeoip") == 0 ||
                   tl_strcasecmp(name, "different_srcgeoip") == 0 ||
                   tl_strcasecmp(name, "different_dstgeoip") == 0) {
            r->ctx_geo = 1;
            have_ctx_opt = 1;
            rwarn(c, n->line,
                  "<%s> needs GeoIP data, which this engine does not have; the rule "
                  "never matches",
                  name);
        } else if (tl_strcasecmp(name, "not_same_agent") == 0) {
            r->ctx_not_same_agent = 1;
            have_ctx_opt = 1;
        } else if (ctx_flag(name, &flag)) {
            r->ctx |= flag;
            if (flag != TL_CTX_GLOBAL_FREQUENCY)
                have_ctx_opt = 1;
        } else if (tl_strcasecmp(name, "ignore") == 0 ||
                   tl_strcasecmp(name, "check_if_ignored") == 0) {
            int ck = tl_strcasecmp(name, "check_if_ignored") == 0;
            const char *p = v;
            while (*p) {
                while (*p == ',' || *p == ' ')
                    p++;
                if (!*p)
                    break;
                const char *w = p;
                while (*p && *p != ',' && *p != ' ')
                    p++;
                char *f = tl_strndup(w, (size_t)(p - w));
                TL_TRY_ALLOC(f);
                st = ck ? strv_push(&r->ckignore_fields, &r->nckignore_fields, f)
                        : strv_push(&r->ignore_fields, &r->nignore_fields, f);
                tl_free(f);
                TL_TRY(st);
            }
        } else if (tl_strcasecmp(name, "check_diff") == 0) {
            r->check_diff = 1;
        } else if (tl_strcasecmp(name, "if_fts") == 0) {
            r->if_fts = 1;
        } else if (tl_strcasecmp(name, "compiled_rule") == 0) {
            /* generic_samples.c via .function_list: exact names, no trimming */
            static const char *const fn[] = {"check_id_size", "comp_srcuser_dstuser",
                                             "comp_mswin_targetuser_calleruser_diff",
                                             "is_simple_http_request", "is_valid_crawler"};
            r->compiled = 0;
            for (int i = 0; i < 5; i++)
                if (strcmp(v, fn[i]) == 0)
                    r->compiled = i + 1;
            if (!r->compiled) {
                tl_diag_set(c->d, c->file, n->line, "rule %d: Compiled rule not found: '%s'",
                            r->id, v);
                TL_FAIL(TL_E_RULE);
            }
        } else if (tl_strcasecmp(name, "var") == 0) {
            tl_diag_set(c->d, c->file, n->line, "rule %d: Invalid option '%s' for rule '%d'.",
                        r->id, name, r->id);
            TL_FAIL(TL_E_RULE);
        } else {
            tl_diag_set(c->d, c->file, n->line, "rule %d: Invalid option '%s' for rule '%d'.",
                        r->id, name, r->id);
            TL_FAIL(TL_E_RULE);
        }
    }
    if (!r->description) {
        tl_diag_set(c->d, c->file, rn->line, "rule %d: No such description at rule '%d'.", r->id,
                    r->id);
        TL_FAIL(TL_E_RULE);
    }
    for (int i = 0; i < PS_COUNT; i++)
        TL_TRY(compile_expr(c, &pe[i], pslot_target(r, (pslot)i)));
    if (r->if_matched_group) {
        tl_diag sub;
        tl_diag_clear(&sub);
        st = tl_osmatch_compile(r->if_matched_group, &r->if_matched_group_m, &sub);
        if (st == TL_E_NOMEM)
            goto cleanup;
        if (st != TL_OK) {
            tl_diag_set(c->d, c->file, rn->line,
                        "(5107): Syntax error on tag 'if_matched_group' in rule %d: %s", r->id,
                        sub.msg);
            TL_FAIL(TL_E_REGEX);
        }
    }
    if (r->if_matched_sid) {
        const char *p = r->if_matched_sid;
        while (*p) {
            while (*p == ',' || *p == ' ')
                p++;
            if (!*p)
                break;
            if (!isdigit((unsigned char)*p)) {
                tl_diag_set(c->d, c->file, rn->line,
                            "rule %d: (1235): Invalid value for element 'if_matched_sid': %s.",
                            r->id, r->if_matched_sid);
                TL_FAIL(TL_E_RULE);
            }
            int sid = atoi(p);
            while (isdigit((unsigned char)*p))
                p++;
            int *nv = tl_realloc(r->matched_sids, (r->nmatched_sids + 1) * sizeof *nv);
            TL_TRY_ALLOC(nv);
            r->matched_sids = nv;
            nv[r->nmatched_sids++] = sid;
        }
        // if_matched_sid without if_sid implies if_sid = that sid
        if (!r->if_sid && !r->if_group && !r->if_level) {
            r->if_sid = tl_strdup(r->if_matched_sid);
            TL_TRY_ALLOC(r->if_sid);
        }
    }
    int has_if_matched = r->if_matched_sid || r->if_matched_group || r->if_matched_regex;
    if ((have_ctx_opt || r->frequency) && !has_if_matched) {
        tl_diag_set(c->d, c->file, rn->line,
                    "Invalid use of frequency/context options. Missing if_matched on rule '%d'.",
                    r->id);
        TL_FAIL(TL_E_RULE);
    }
    if (r->if_fts)
        rwarn(c, rn->line,
              "<if_fts> needs the first-time-seen database; here it matches only the first event "
              "carrying each combination of the decoder's <fts> fields in this run");
    *out = r;
    r = NULL;
cleanup:
    for (int i = 0; i < PS_COUNT; i++)
        tl_free(pe[i].text);
    tl_rule_free(r);
    return st;
}

static tl_status add_rule(tl_ruleset *rs, tl_rule *r) {
    if (rs->nrules == rs->caprules) {
        size_t nc = rs->caprules ? rs->caprules * 2 : 256;
        tl_rule **nv = tl_realloc(rs->rules, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        rs->rules = nv;
        rs->caprules = nc;
    }
    if (!rs->idhash || (rs->nrules + 1) * 2 > rs->idhash_mask + 1) {
        size_t cap = 256;
        while (cap < (rs->nrules + 1) * 2 + 1)
            cap *= 2;
        tl_status st = index_ids(rs, cap);
        if (st != TL_OK)
            return st;
    }
    r->idx = rs->nrules;
    rs->rules[rs->nrules++] = r;
    size_t k = id_slot(r->id, rs->idhash_mask);
    while (rs->idhash[k])
        k = (k + 1) & rs->idhash_mask;
    rs->idhash[k] = r->idx + 1;
    return TL_OK;
}

static int str_differs(const char *a, const char *b) {
    return (a || b) && (!a || !b || strcmp(a, b) != 0);
}

/* overwrite="yes" (rules.c Rules_OP_ReadRules + rules_list.c OS_AddRuleInfo,
 * wazuh.md §5.2): the new rule's RuleInfo replaces the original's in place;
 * kept from the original are its tree position (id, if_sid, if_group,
 * if_level, children) and its if_matched_sid / if_matched_group with their
 * search lists (the implied if_sid and the event search are only set up for
 * non-overwrite rules). An overwrite without any if_matched_* has context 0:
 * the kept lists and the frequency no longer apply. */
static void overwrite_rule(rctx *c, tl_rule *old, tl_rule *nw) {
    static const char fmt[] = "(7605): It is not possible to overwrite '%s' value in rule '%d'. "
                              "The original value is retained.";
    /* an if_sid equal to if_matched_sid is the implied one (not set up for
     * an overwrite): only if_matched_sid is compared then */
    int implied = nw->if_sid && nw->if_matched_sid && !strcmp(nw->if_sid, nw->if_matched_sid);
    if (nw->if_sid && !implied && str_differs(old->if_sid, nw->if_sid))
        rwarn(c, nw->line, fmt, "if_sid", old->id);
    if (nw->if_level && old->if_level != nw->if_level)
        rwarn(c, nw->line, fmt, "if_level", old->id);
    if (nw->if_group && !nw->if_matched_group)
        rwarn(c, nw->line, fmt, "if_group", old->id); /* the original's string is gone */
    if (nw->if_matched_sid && str_differs(old->if_matched_sid, nw->if_matched_sid))
        rwarn(c, nw->line, fmt, "if_matched_sid", old->id);
    if (nw->if_matched_group && str_differs(old->if_matched_group, nw->if_matched_group))
        rwarn(c, nw->line, fmt, "if_matched_group", old->id);
    int nw_ctx = nw->if_matched_sid || nw->if_matched_group || nw->if_matched_regex;
    tl_rule tmp = *old;
    *old = *nw;
    /* keep the tree position */
    old->if_sid = tmp.if_sid;
    old->if_group = tmp.if_group;
    old->if_level = tmp.if_level;
    old->children = tmp.children;
    old->nchildren = tmp.nchildren;
    old->capchildren = tmp.capchildren;
    old->kidx = tmp.kidx;
    old->in_tree = tmp.in_tree;
    old->idx = tmp.idx;
    /* keep the original's if_matched_sid / if_matched_group search */
    old->matched_sids = tmp.matched_sids;
    old->nmatched_sids = tmp.nmatched_sids;
    old->if_matched_sid = tmp.if_matched_sid;
    old->if_matched_group = tmp.if_matched_group;
    old->if_matched_group_m = tmp.if_matched_group_m;
    old->ctx_off = !nw_ctx;
    /* free what was replaced (the new rule's own copies of the kept fields) */
    tmp.if_sid = nw->if_sid;
    tmp.if_group = nw->if_group;
    tmp.matched_sids = nw->matched_sids;
    tmp.if_matched_sid = nw->if_matched_sid;
    tmp.if_matched_group = nw->if_matched_group;
    tmp.if_matched_group_m = nw->if_matched_group_m;
    tmp.children = NULL;
    tmp.kidx = NULL;
    rule_free_content(&tmp);
    tl_free(tmp.if_sid);
    tl_free(tmp.if_group);
    memset(nw, 0, sizeof *nw);
    tl_free(nw);
}

tl_status tl_rules_load_file(tl_ruleset *rs, const char *path, const char *base_dir, tl_diag *d) {
    char *data = NULL;
    size_t len = 0;
    tl_diag sub;
    tl_diag_clear(&sub);
    tl_status st = tl_file_read(path, &data, &len, &sub);
    if (st != TL_OK) {
        tl_diag_set(d, path, 0, "(1226): Error reading XML file '%s': %s", path, sub.msg);
        return st;
    }
    st = tl_rules_load_buffer(rs, path, data, len, base_dir, d);
    tl_free(data);
    return st;
}

tl_status tl_rules_load_buffer(tl_ruleset *rs, const char *path, const char *data, size_t len,
                               const char *base_dir, tl_diag *d) {
    tl_status st = TL_OK;
    tl_osxml_node *root = NULL;
    tl_diag sub;
    tl_diag_clear(&sub);
    rctx c = {rs, path, base_dir, d, NULL};
    st = tl_osxml_parse(data, len, path, &root, &sub);
    if (st != TL_OK) {
        if (st != TL_E_NOMEM)
            tl_diag_set(d, path, sub.line, "(1226): Error reading XML file '%s': %s (line %d).",
                        path, sub.msg, sub.line);
        goto cleanup;
    }
    for (size_t i = 0; i < root->nchildren; i++) {
        const tl_osxml_node *g = root->children[i];
        if (tl_strcasecmp(g->name, "group") != 0) {
            tl_diag_set(d, path, g->line,
                        "rules_op: Invalid root element \"%s\".Only \"group\" is allowed", g->name);
            TL_FAIL(TL_E_RULE);
        }
        const char *gname = tl_osxml_attr(g, "name");
        if (g->nattr != 1 || !gname) {
            tl_diag_set(d, path, g->line,
                        "rules_op: Invalid root element \"%s\".Only the group name is allowed",
                        g->name);
            TL_FAIL(TL_E_RULE);
        }
        for (size_t k = 0; k < g->nchildren; k++) {
            const tl_osxml_node *rn = g->children[k];
            if (tl_strcasecmp(rn->name, "rule") != 0) {
                tl_diag_set(d, path, rn->line,
                            "Invalid configuration. '%s' is not a valid element.", rn->name);
                TL_FAIL(TL_E_RULE);
            }
            tl_rule *r = NULL;
            c.r = NULL;
            TL_TRY(parse_rule(&c, rn, gname, &r));
            c.r = r;
            if (r->missing_list) {
                /* 7616: the new rule is dropped (an overwrite leaves the
                 * original intact, test 999918) */
                rwarn(&c, r->line, "(7616): List '%s' could not be loaded. Rule '%d' will be ignored.",
                      r->missing_list, r->id);
                tl_rule_free(r);
                continue;
            }
            tl_rule *old = tl_ruleset_find(rs, r->id);
            if (old && r->overwrite) {
                overwrite_rule(&c, old, r);
                continue;
            }
            if (old) {
                rwarn(&c, r->line,
                      "(7612): Rule ID '%d' is duplicated. Only the first occurrence will be "
                      "considered.",
                      r->id);
                tl_rule_free(r);
                continue;
            }
            if (r->overwrite)
                rwarn(&c, r->line,
                      "(7613): Rule ID '%d' does not exist but 'overwrite' is set to 'yes'. Still, "
                      "the rule will be loaded.",
                      r->id);
            st = add_rule(rs, r);
            if (st != TL_OK) {
                tl_rule_free(r);
                goto cleanup;
            }
            TL_TRY(tl_rules_tree_add(rs, r));
        }
    }
cleanup:
    tl_osxml_free(root);
    return st;
}
