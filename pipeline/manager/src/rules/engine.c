/* SPDX-License-Identifier: MIT */
/*
 * The rule engine: analysisd's per-event loop (analysisd.c) and
 * OS_CheckIfRuleMatch (rules.c), on the virtual clock (wazuh.md §6, §8).
 *
 * Walk: top-level rules in order, skipping those whose category differs from
 * the decoder type; a rule whose own conditions pass tries its children
 * depth-first in sibling order and returns the first non-NULL child result;
 * with no child result a noalert rule returns NULL (the walk continues with
 * its next sibling: noalert is transparent) and any other rule returns itself.
 * The first non-NULL result ends the walk; level 0 means "no alert".
 *
 * Conditions are checked in analysisd's order (tl_cond): decoded_as,
 * program_name, id, system_name, protocol, match, regex, action, url,
 * location, each field, srcip, dstip, srcport, dstport, user, geoip, maxsize,
 * time, weekday, data, extra_data, hostname, status, check_diff, if_fts,
 * lists, context. The order only matters for traces and for the side effects
 * of the context search (events marked as used), which come last.
 *
 * Context memory (if_matched_sid / if_matched_group / if_matched_regex):
 * when a rule is returned by the walk (any level) and some context rule
 * depends on it, a copy of the event is appended to its list. A context
 * search walks a list newest first, stops at the first event outside the
 * timeframe or already used by a rule of this level or higher, skips events
 * of other agents (unless global_frequency) and those failing same_* /
 * different_*, and succeeds on the (frequency-1)-th acceptable event. As in
 * analysisd, only the current event, the newest and the deciding stored event
 * are marked as used.
 *
 * <time> and <weekday> read the virtual receive time in UTC (analysisd uses
 * the manager's local zone; tasklab's managers run in UTC).
 *
 * No allocation in the match loop: conditions only read precompiled data;
 * the per-event scratch buffers of the engine are reused. The event's field
 * array and arena block are kept for the next event; its dynamic fields are
 * indexed by fid only when the walk meets its first <field> condition, and a
 * memo of the previous event's field names spares the hash lookup when the
 * decoder emits the same names in the same order.
 */
#include "rules/rules_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct diff_entry {
    size_t rule_idx;
    char *agent_id;
    char *last;
} diff_entry;

typedef struct fts_entry {
    char *key;
} fts_entry;

#define MEMO_FIELDS 64
#define MEMO_NAME 48

/* engine-private extras kept outside the public-ish struct */
typedef struct engine_extra {
    /* rules whose state owns memory (event lists, ignore entries): freeing
     * an engine visits these, not the whole state array (a fresh engine per
     * replayed file made tl_engine_free walk 4,500 idle rules each time) */
    uint32_t *owned;
    size_t nowned, capowned;
    diff_entry *diffs;
    size_t ndiffs;
    char **fts;
    size_t nfts;
    int cur_matched; /* "matched" mark of the event being processed */
    int indexed;     /* the current walk's event fields are in fcache */
    tl_event spare;  /* field storage kept from the previous event */
    int ev_borrowed; /* e->ev is a shallow copy of a tl_decoded (tl_engine_process_decoded) */
    /* fid memo: field i of the previous indexed event had name memo_name[i]
     * and fid memo_fid[i] when memo_ok[i] (names shorter than MEMO_NAME); decoders emit the
     * same names in the same order for events of one kind */
    unsigned char memo_ok[MEMO_FIELDS];
    size_t memo_fid[MEMO_FIELDS];
    char memo_name[MEMO_FIELDS][MEMO_NAME];
    char failbuf[300];
    size_t dec_slot; /* tl_kidx slot of the event's decoder (this walk) */
    int has_prog;    /* the event has a program name (this walk) */
    tl_tri tri;      /* storage of the event's log fingerprint (tl_event_log_fp) */
} engine_extra;

static engine_extra *X(tl_engine *e);

/* Note that rule state idx is about to own memory (call before its first
 * allocation: an empty list or no ignore entries yet). */
static tl_status own_state(tl_engine *e, size_t idx);

const char *tl_cond_name(tl_cond c) {
    static const char *const n[TL_C_COUNT] = {
        "decoded_as", "program_name", "id",      "system_name", "protocol",   "match",
        "regex",      "action",       "url",     "location",    "field",      "srcip",
        "dstip",      "srcport",      "dstport", "compiled_rule", "user",     "srcgeoip",
        "dstgeoip",   "maxsize",      "time",    "weekday",     "data",       "extra_data",
        "hostname",   "status",       "check_diff", "if_fts",   "list",       "context"};
    return (c >= 0 && c < TL_C_COUNT) ? n[c] : "?";
}

/* ---- stored events -------------------------------------------------------- */

static void sev_unref(tl_stored_event *s) {
    if (!s || --s->refs > 0)
        return;
    tl_free(s->agent_id);
    tl_free(s->location);
    tl_free(s->log);
    tl_free(s->full_log);
    for (int i = 0; i < TL_SF_COUNT; i++)
        tl_free(s->stat[i]);
    for (size_t i = 0; i < s->nfields; i++) {
        tl_free(s->fields[i].name);
        tl_free(s->fields[i].value);
    }
    tl_free(s->fields);
    tl_free(s);
}

static tl_stored_event *sev_new(const tl_event *ev, int matched) {
    tl_stored_event *s = tl_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->refs = 1;
    s->matched = matched;
    s->sec = ev->time / TL_USEC_PER_SEC;
    int bad = 0;
#define DUP(dst, src)                                                                              \
    do {                                                                                           \
        if (src) {                                                                                 \
            dst = tl_strdup(src);                                                                  \
            bad |= dst == NULL;                                                                    \
        }                                                                                          \
    } while (0)
    DUP(s->agent_id, ev->agent_id);
    DUP(s->location, ev->location);
    DUP(s->log, ev->log);
    DUP(s->full_log, ev->full_log);
    for (int i = 0; i < TL_SF_COUNT; i++)
        DUP(s->stat[i], ev->stat[i]);
    if (ev->nfields) {
        s->fields = tl_calloc(ev->nfields, sizeof *s->fields);
        bad |= s->fields == NULL;
        if (s->fields) {
            s->nfields = ev->nfields;
            for (size_t i = 0; i < ev->nfields; i++) {
                DUP(s->fields[i].name, ev->fields[i].name);
                DUP(s->fields[i].value, ev->fields[i].value);
            }
        }
    }
#undef DUP
    if (bad) {
        sev_unref(s);
        return NULL;
    }
    return s;
}

static const char *sev_field(const tl_stored_event *s, const char *name) {
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].name && tl_strcasecmp(s->fields[i].name, name) == 0)
            return s->fields[i].value;
    return NULL;
}

#define EL_MAX 65536

static void el_clear(tl_event_list *l) {
    if (!l->cap)
        return; /* never used: most rules of a fresh engine per replayed file */
    for (size_t i = 0; i < l->n; i++)
        sev_unref(l->v[(l->head + i) % l->cap]);
    tl_free(l->v);
    memset(l, 0, sizeof *l);
}

static tl_stored_event *el_at(const tl_event_list *l, size_t i) /* 0 = oldest */
{
    return l->v[(l->head + i) % l->cap];
}

static void el_prune(tl_event_list *l, int64_t now_sec, int64_t keep_sec) {
    while (l->n && (now_sec - el_at(l, 0)->sec > keep_sec || l->n >= EL_MAX)) {
        sev_unref(el_at(l, 0));
        l->head = (l->head + 1) % l->cap;
        l->n--;
    }
}

static tl_status el_push(tl_event_list *l, tl_stored_event *s) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        tl_stored_event **nv = tl_malloc(nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        for (size_t i = 0; i < l->n; i++)
            nv[i] = el_at(l, i);
        tl_free(l->v);
        l->v = nv;
        l->cap = nc;
        l->head = 0;
    }
    l->v[(l->head + l->n) % l->cap] = s;
    l->n++;
    s->refs++;
    return TL_OK;
}

/* ---- engine lifecycle ------------------------------------------------------ */

typedef struct engine_full {
    struct tl_engine pub;
    engine_extra x;
} engine_full;

static engine_extra *X(tl_engine *e) {
    return &((engine_full *)e)->x;
}

tl_status tl_engine_new(const tl_ruleset *rs, const tl_engine_opts *o, tl_engine **out) {
    if (!rs || !out)
        return TL_E_INVAL;
    engine_full *f = tl_calloc(1, sizeof *f);
    if (!f)
        return TL_E_NOMEM;
    tl_engine *e = &f->pub;
    e->rs = rs;
    e->manager_name = tl_strdup(o && o->manager_name ? o->manager_name : "wazuh-manager");
    const char *node =
        o && o->node_name ? o->node_name : (rs->node_name ? rs->node_name : "undefined");
    e->node_name = tl_strdup(node);
    e->st = tl_calloc(rs->nrules ? rs->nrules : 1, sizeof *e->st);
    e->fcache = tl_calloc(rs->nfnames ? rs->nfnames : 1, sizeof *e->fcache);
    e->fgen = tl_calloc(rs->nfnames ? rs->nfnames : 1, sizeof *e->fgen);
    e->fbloom = tl_calloc(rs->nfnames ? rs->nfnames : 1, sizeof *e->fbloom);
    e->fbgen = tl_calloc(rs->nfnames ? rs->nfnames : 1, sizeof *e->fbgen);
    if (!e->manager_name || !e->node_name || !e->st || !e->fcache || !e->fgen || !e->fbloom ||
        !e->fbgen) {
        tl_engine_free(e);
        return TL_E_NOMEM;
    }
    tl_event_init(&e->ev);
    tl_buf_init(&e->alert);
    tl_buf_init(&e->desc);
    *out = e;
    return TL_OK;
}

void tl_engine_free(tl_engine *e) {
    if (!e)
        return;
    engine_extra *x = X(e);
    if (e->st) {
        for (size_t oi = 0; oi < x->nowned; oi++) {
            tl_rule_state *s = &e->st[x->owned[oi]];
            el_clear(&s->sid_events);
            el_clear(&s->group_events);
            for (size_t k = 0; k < s->nignored; k++) {
                for (size_t j = 0; j < s->ignored[k].n; j++)
                    tl_free(s->ignored[k].vals[j]);
                tl_free(s->ignored[k].vals);
            }
            tl_free(s->ignored);
            s->ignored = NULL; /* a rule can be listed twice (an allocation failed) */
            s->nignored = 0;
        }
    }
    tl_free(e->st);
    tl_free(e->fcache);
    tl_free(e->fgen);
    tl_free(e->fbloom);
    tl_free(e->fbgen);
    el_clear(&e->last_events);
    if (e->have_ev && !x->ev_borrowed)
        tl_event_clear(&e->ev);
    tl_event_clear(&x->spare);
    tl_buf_free(&e->alert);
    tl_buf_free(&e->desc);
    for (size_t i = 0; i < e->capar; i++)
        tl_buf_free(&e->ar_msgs[i]);
    tl_free(e->ar_msgs);
    tl_free(e->ar_reqs);
    for (size_t i = 0; i < e->nctx_prev; i++)
        sev_unref(e->ctx_prev[i]);
    tl_free(e->ctx_prev);
    for (size_t i = 0; i < x->ndiffs; i++) {
        tl_free(x->diffs[i].agent_id);
        tl_free(x->diffs[i].last);
    }
    tl_free(x->diffs);
    tl_free(x->owned);
    for (size_t i = 0; i < x->nfts; i++)
        tl_free(x->fts[i]);
    tl_free(x->fts);
    tl_free(e->manager_name);
    tl_free(e->node_name);
    tl_free(e);
}

void tl_engine_set_trace(tl_engine *e, tl_engine_trace_fn fn, void *ctx) {
    e->trace = fn;
    e->trace_ctx = ctx;
}

void tl_engine_expand_description(const tl_engine *e, const char *desc, tl_buf *out) {
    if (!desc)
        return;
    if (!e->have_ev) {
        tl_buf_puts(out, desc);
        return;
    }
    tl_description_expand(desc, &e->ev, out);
}

long long tl_engine_alert_offset(const tl_engine *e) {
    return (long long)e->alert_offset;
}

/* ---- conditions ------------------------------------------------------------ */

static const char *ev_stat(const tl_event *ev, tl_static_field f) {
    return ev->stat[f];
}

static int decoded_as_ok(const tl_rule *r, const tl_event *ev) {
    if (!ev->decoder_name)
        return 0;
    const tl_decoder_info *di = tl_event_decoder_info(ev);
    if (di && r->decoded_as_id && r->decoded_as_id_src == r->decoded_as)
        return di->id == r->decoded_as_id; /* analysisd compares decoder ids */
    /* no id (rewritten after load): compare names */
    if (strcmp(ev->decoder_name, r->decoded_as) == 0)
        return 1;
    if (ev->decoder_parent && strcmp(ev->decoder_parent, r->decoded_as) == 0)
        return 1;
    if (di && di->own_name && strcmp(di->own_name, r->decoded_as) == 0)
        return 1;
    return 0;
}

static int ipcheck(const tl_iplist *l, const char *ip) {
    if (!ip)
        return 0;
    int in = tl_iplist_contains(l, ip);
    return l->negate ? !in : in;
}

static int str_eq(const char *a, const char *b) {
    return a && b && strcmp(a, b) == 0;
}

static tl_status context_search(tl_engine *e, const tl_rule *r, int *ok);

static int check_diff(tl_engine *e, const tl_rule *r) {
    engine_extra *x = X(e);
    const char *agent = e->ev.agent_id ? e->ev.agent_id : "000";
    const char *log = e->ev.log ? e->ev.log : "";
    for (size_t i = 0; i < x->ndiffs; i++) {
        diff_entry *d = &x->diffs[i];
        if (d->rule_idx == r->idx && strcmp(d->agent_id, agent) == 0) {
            if (strcmp(d->last, log) == 0)
                return 0;
            char *n = tl_strdup(log);
            if (!n)
                return 0;
            tl_free(d->last);
            d->last = n;
            return 1;
        }
    }
    diff_entry *nv = tl_realloc(x->diffs, (x->ndiffs + 1) * sizeof *nv);
    if (!nv)
        return 0;
    x->diffs = nv;
    nv[x->ndiffs].rule_idx = r->idx;
    nv[x->ndiffs].agent_id = tl_strdup(agent);
    nv[x->ndiffs].last = tl_strdup(log);
    if (nv[x->ndiffs].agent_id && nv[x->ndiffs].last)
        x->ndiffs++;
    else {
        tl_free(nv[x->ndiffs].agent_id);
        tl_free(nv[x->ndiffs].last);
    }
    return 0; /* first time: stored, no alert */
}

static const char *fts_value(const tl_event *ev, const char *name) {
    if (strcmp(name, "location") == 0)
        return ev->location;
    if (strcmp(name, "name") == 0)
        return ev->decoder_name;
    if (strcmp(name, "user") == 0)
        return ev->stat[TL_SF_DSTUSER] ? ev->stat[TL_SF_DSTUSER] : ev->stat[TL_SF_SRCUSER];
    if (strcmp(name, "hostname") == 0)
        return ev->hostname;
    if (strcmp(name, "program_name") == 0)
        return ev->program_name;
    int si = tl_static_field_index(name);
    if (si >= 0)
        return ev->stat[si];
    return tl_event_find_field(ev, name);
}

static int check_fts(tl_engine *e) {
    engine_extra *x = X(e);
    const tl_decoder_info *di = tl_event_decoder_info(&e->ev);
    if (!di || !di->fts || !di->nfts)
        return 0;
    tl_buf k = TL_BUF_INIT;
    tl_buf_puts(&k, di->name ? di->name : "");
    for (size_t i = 0; i < di->nfts; i++) {
        const char *v = fts_value(&e->ev, di->fts[i]);
        tl_buf_putc(&k, '\x1f');
        tl_buf_puts(&k, v ? v : "");
    }
    if (tl_buf_status(&k) != TL_OK) {
        tl_buf_free(&k);
        return 0;
    }
    for (size_t i = 0; i < x->nfts; i++) {
        if (strcmp(x->fts[i], tl_buf_cstr(&k)) == 0) {
            tl_buf_free(&k);
            return 0;
        }
    }
    char **nv = tl_realloc(x->fts, (x->nfts + 1) * sizeof *nv);
    if (!nv) {
        tl_buf_free(&k);
        return 0;
    }
    x->fts = nv;
    nv[x->nfts] = tl_buf_take(&k);
    if (nv[x->nfts])
        x->nfts++;
    tl_buf_free(&k);
    return 1;
}

static const char *list_value(const tl_event *ev, const tl_rule_list *L) {
    if (L->stat_idx >= 0)
        return ev->stat[L->stat_idx];
    return tl_event_find_field(ev, L->field);
}

/* Index the event's dynamic fields by fid (first occurrence wins, as
 * FindField returns the first match) for the current walk generation. */
static void index_fields(tl_engine *e) {
    engine_extra *x = X(e);
    for (size_t i = 0; i < e->ev.nfields; i++) {
        const tl_field *f = &e->ev.fields[i];
        if (!f->name)
            continue;
        size_t fid;
        if (i < MEMO_FIELDS) {
            char *m = x->memo_name[i];
            if (x->memo_ok[i] && m[0] == f->name[0] && strcmp(m, f->name) == 0) {
                fid = x->memo_fid[i];
            } else {
                fid = tl_ruleset_lookup_fid(e->rs, f->name);
                size_t n = strlen(f->name);
                x->memo_ok[i] = n < MEMO_NAME;
                if (n < MEMO_NAME) {
                    memcpy(m, f->name, n + 1);
                    x->memo_fid[i] = fid;
                }
            }
        } else {
            fid = tl_ruleset_lookup_fid(e->rs, f->name);
        }
        if (fid != (size_t)-1 && e->fgen[fid] != e->gen) {
            e->fgen[fid] = e->gen;
            e->fcache[fid] = f->value;
        }
    }
    X(e)->indexed = 1;
}

/* The <compiled_rule> functions of 4.14.7 (compiled_rules/generic_samples.c,
 * wazuh.md §5.3); 1 = the function returned the event (the rule goes on). */
static int compiled_rule(int fn, const tl_event *ev) {
    const char *log = ev->log ? ev->log : "";
    switch (fn) {
    case TL_COMPILED_CHECK_ID_SIZE: {
        const char *id = ev_stat(ev, TL_SF_ID);
        return id && strlen(id) >= 10;
    }
    case TL_COMPILED_COMP_SRCUSER_DSTUSER: {
        const char *su = ev_stat(ev, TL_SF_SRCUSER), *du = ev_stat(ev, TL_SF_DSTUSER);
        return !su || !du || strcmp(su, du) == 0;
    }
    case TL_COMPILED_COMP_MSWIN_TARGETUSER_CALLERUSER_DIFF: {
        const char *t = strstr(log, "Target Account Name");
        const char *c = strstr(log, "Caller User Name");
        if (!t || !c)
            return 0;
        t = strchr(t, ':');
        c = strchr(c, ':');
        if (!t || !c)
            return 0;
        for (t++, c++; *t; t++, c++) {
            if (*t != *c)
                return 1;
            if (t[0] == '\t' || (t[0] == ' ' && t[1] == ' '))
                break;
        }
        return 0;
    }
    case TL_COMPILED_IS_SIMPLE_HTTP_REQUEST: {
        const char *url = ev_stat(ev, TL_SF_URL);
        return url && (strcmp(url, "/") == 0 || !strchr(url, '?'));
    }
    case TL_COMPILED_IS_VALID_CRAWLER: {
        static const char *const pre[] = {"66.249.", "72.14.", "209.85.", "65.55.",
                                          "207.46.", "74.6.",  "72.30.",  "67.195."};
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            if (strncmp(log, pre[i], strlen(pre[i])) == 0)
                return 1;
        return 0;
    }
    }
    return 0;
}

/* Returns TL_C_COUNT when every own condition holds, else the failing one.
 * *fidx receives the index of the failing <field>/<list>. */
static tl_cond eval_rule(tl_engine *e, const tl_rule *r, size_t *fidx) {
    tl_event *ev = &e->ev;
#define EXPR(slot, cond, value)                                                                    \
    do {                                                                                           \
        if (r->slot && !tl_expr_match(r->slot, (value)))                                           \
            return cond;                                                                           \
    } while (0)
    if (r->decoded_as && !decoded_as_ok(r, ev))
        return TL_C_DECODED_AS;
    EXPR(program_name, TL_C_PROGRAM_NAME, ev->program_name);
    EXPR(id_e, TL_C_ID, ev_stat(ev, TL_SF_ID));
    EXPR(system_name, TL_C_SYSTEM_NAME, ev_stat(ev, TL_SF_SYSTEMNAME));
    EXPR(protocol, TL_C_PROTOCOL, ev_stat(ev, TL_SF_PROTOCOL));
    if (r->match || r->regex) {
        /* <match>/<regex> on the log, with the log's fingerprint as a
         * prefilter (built once per log, when first needed) */
        if (!ev->log)
            return r->match ? TL_C_MATCH : TL_C_REGEX;
        const tl_tri *t = tl_event_log_fp(ev); /* sets ev->fp_len */
        if (tl_expr_prefilter_off)
            t = NULL; /* the reference walk of the differential tests */
        if (r->match && !tl_expr_match_tri(r->match, ev->log, ev->fp_len, t))
            return TL_C_MATCH;
        if (r->regex && !tl_expr_match_tri(r->regex, ev->log, ev->fp_len, t))
            return TL_C_REGEX;
    }
    EXPR(action, TL_C_ACTION, ev_stat(ev, TL_SF_ACTION));
    EXPR(url, TL_C_URL, ev_stat(ev, TL_SF_URL));
    EXPR(location, TL_C_LOCATION, ev->location);
    if (r->nfields && !X(e)->indexed)
        index_fields(e);
    for (size_t i = 0; i < r->nfields; i++) {
        const tl_rule_field *rf = &r->fields[i];
        size_t fid = rf->fid;
        const char *v = e->fgen[fid] == e->gen ? e->fcache[fid] : NULL;
        if (v && rf->has_need && !tl_expr_prefilter_off) {
            /* the literal the expression needs cannot be in the value (a
             * value too long to summarize usefully gets an all-ones word) */
            if (e->fbgen[fid] != e->gen) {
                size_t vn = strlen(v);
                if (vn > TL_PAIR_BLOOM_MAX_TEXT)
                    e->fbloom[fid].w = ~(uint64_t)0;
                else
                    tl_pair_bloom_of(v, vn, &e->fbloom[fid]);
                e->fbgen[fid] = e->gen;
            }
            if (!tl_pair_bloom_holds(&e->fbloom[fid], &rf->need)) {
                *fidx = i;
                return TL_C_FIELD;
            }
        }
        if (!tl_expr_match(rf->e, v)) {
            *fidx = i;
            return TL_C_FIELD;
        }
    }
    if (r->srcip && !ipcheck(r->srcip, ev_stat(ev, TL_SF_SRCIP)))
        return TL_C_SRCIP;
    if (r->dstip && !ipcheck(r->dstip, ev_stat(ev, TL_SF_DSTIP)))
        return TL_C_DSTIP;
    EXPR(srcport, TL_C_SRCPORT, ev_stat(ev, TL_SF_SRCPORT));
    EXPR(dstport, TL_C_DSTPORT, ev_stat(ev, TL_SF_DSTPORT));
    if (r->compiled && !compiled_rule(r->compiled, ev))
        return TL_C_COMPILED;
    if (r->user) {
        const char *u =
            ev_stat(ev, TL_SF_DSTUSER) ? ev_stat(ev, TL_SF_DSTUSER) : ev_stat(ev, TL_SF_SRCUSER);
        if (!tl_expr_match(r->user, u))
            return TL_C_USER;
    }
    EXPR(srcgeoip, TL_C_SRCGEOIP, (const char *)NULL); /* no GeoIP database */
    EXPR(dstgeoip, TL_C_DSTGEOIP, (const char *)NULL);
    if (r->maxsize && (!ev->log || (int)tl_event_text_len(ev, ev->log) < r->maxsize))
        return TL_C_MAXSIZE;
    if (r->has_time || r->weekdays) {
        int y, mo, d, h, mi, s, us;
        tl_time_civil(ev->time, &y, &mo, &d, &h, &mi, &s, &us);
        if (r->has_time) {
            int m = h * 60 + mi;
            int in = m >= r->time_start && m < r->time_end;
            if (r->time_neg ? in : !in)
                return TL_C_TIME;
        }
        if (r->weekdays) {
            int64_t days = ev->time / (TL_USEC_PER_SEC * 86400);
            if (ev->time < 0 && ev->time % (TL_USEC_PER_SEC * 86400))
                days--;
            int wd = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
            if (!(r->weekdays & (1 << wd)))
                return TL_C_WEEKDAY;
        }
    }
    EXPR(data, TL_C_DATA, ev_stat(ev, TL_SF_DATA));
    EXPR(extra_data, TL_C_EXTRA_DATA, ev_stat(ev, TL_SF_EXTRA_DATA));
    EXPR(hostname, TL_C_HOSTNAME, ev->hostname);
    EXPR(status, TL_C_STATUS, ev_stat(ev, TL_SF_STATUS));
#undef EXPR
    if (r->check_diff && !check_diff(e, r))
        return TL_C_CHECK_DIFF;
    if (r->if_fts && !check_fts(e))
        return TL_C_IF_FTS;
    for (size_t i = 0; i < r->nlists; i++) {
        const tl_rule_list *L = &r->lists[i];
        if (!tl_list_check(L->list, L->lookup, L->check_value, list_value(ev, L))) {
            *fidx = i;
            return TL_C_LIST;
        }
    }
    if (!r->ctx_off && (r->nmatched_sids || r->if_matched_group_m || r->if_matched_regex)) {
        int ok = 0;
        if (context_search(e, r, &ok) != TL_OK || !ok)
            return TL_C_CONTEXT;
    }
    return TL_C_COUNT;
}

static int same_ok(unsigned ctx, unsigned flag, const char *a, const char *b) {
    if (!(ctx & flag))
        return 1;
    return str_eq(a, b);
}

static int diff_ok(unsigned ctx, unsigned flag, const char *a, const char *b) {
    if (!(ctx & flag))
        return 1;
    return a && b && strcmp(a, b) != 0;
}

static tl_status ctx_prev_push(tl_engine *e, tl_stored_event *s) {
    if (e->nctx_prev == e->capctx_prev) {
        size_t nc = e->capctx_prev ? e->capctx_prev * 2 : 8;
        tl_stored_event **nv = tl_realloc(e->ctx_prev, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        e->ctx_prev = nv;
        e->capctx_prev = nc;
    }
    s->refs++;
    e->ctx_prev[e->nctx_prev++] = s;
    return TL_OK;
}

static void ctx_prev_clear(tl_engine *e) {
    for (size_t i = 0; i < e->nctx_prev; i++)
        sev_unref(e->ctx_prev[i]);
    e->nctx_prev = 0;
    e->ctx_rule = NULL;
}

/* Search_LastSids / Search_LastGroups / Search_LastEvents. */
static tl_status context_search(tl_engine *e, const tl_rule *r, int *ok) {
    const tl_event *ev = &e->ev;
    const tl_ruleset *rs = e->rs;
    tl_event_list *l = NULL;
    *ok = 0;
    if (r->nmatched_sids) {
        const tl_rule *p = tl_ruleset_find(rs, r->matched_sids[0]);
        if (!p)
            return TL_OK;
        l = &e->st[p->idx].sid_events;
    } else if (r->if_matched_group_m) {
        l = &e->st[r->idx].group_events;
    } else {
        l = &e->last_events;
    }
    if (!l->n || r->ctx_geo)
        return TL_OK;
    int64_t now = ev->time / TL_USEC_PER_SEC;
    int need = r->frequency ? r->frequency - 2 : 0;
    int count = 0;
    unsigned c = r->ctx;
    tl_stored_event *first = el_at(l, l->n - 1);
    size_t mark = e->nctx_prev;
    for (size_t k = l->n; k-- > 0;) {
        tl_stored_event *s = el_at(l, k);
        if (now - s->sec > r->timeframe)
            break;
        if (s->matched >= r->ilevel)
            break;
        if (r->ctx_not_same_agent) {
            if (str_eq(s->agent_id, ev->agent_id))
                continue;
        } else if (!(c & TL_CTX_GLOBAL_FREQUENCY) && !str_eq(s->agent_id, ev->agent_id)) {
            continue;
        }
        if (!same_ok(c, TL_CTX_SAME_SRCIP, s->stat[TL_SF_SRCIP], ev->stat[TL_SF_SRCIP]) ||
            !same_ok(c, TL_CTX_SAME_DSTIP, s->stat[TL_SF_DSTIP], ev->stat[TL_SF_DSTIP]) ||
            !same_ok(c, TL_CTX_SAME_SRCPORT, s->stat[TL_SF_SRCPORT], ev->stat[TL_SF_SRCPORT]) ||
            !same_ok(c, TL_CTX_SAME_DSTPORT, s->stat[TL_SF_DSTPORT], ev->stat[TL_SF_DSTPORT]) ||
            !same_ok(c, TL_CTX_SAME_PROTOCOL, s->stat[TL_SF_PROTOCOL], ev->stat[TL_SF_PROTOCOL]) ||
            !same_ok(c, TL_CTX_SAME_ACTION, s->stat[TL_SF_ACTION], ev->stat[TL_SF_ACTION]) ||
            !same_ok(c, TL_CTX_SAME_ID, s->stat[TL_SF_ID], ev->stat[TL_SF_ID]) ||
            !same_ok(c, TL_CTX_SAME_URL, s->stat[TL_SF_URL], ev->stat[TL_SF_URL]) ||
            !same_ok(c, TL_CTX_SAME_DATA, s->stat[TL_SF_DATA], ev->stat[TL_SF_DATA]) ||
            !same_ok(c, TL_CTX_SAME_EXTRA_DATA, s->stat[TL_SF_EXTRA_DATA],
                     ev->stat[TL_SF_EXTRA_DATA]) ||
            !same_ok(c, TL_CTX_SAME_STATUS, s->stat[TL_SF_STATUS], ev->stat[TL_SF_STATUS]) ||
            !same_ok(c, TL_CTX_SAME_SYSTEMNAME, s->stat[TL_SF_SYSTEMNAME],
                     ev->stat[TL_SF_SYSTEMNAME]) ||
            !same_ok(c, TL_CTX_SAME_SRCUSER, s->stat[TL_SF_SRCUSER], ev->stat[TL_SF_SRCUSER]) ||
            !same_ok(c, TL_CTX_SAME_DSTUSER, s->stat[TL_SF_DSTUSER], ev->stat[TL_SF_DSTUSER]) ||
            !same_ok(c, TL_CTX_SAME_LOCATION, s->location, ev->location) ||
            !same_ok(c, TL_CTX_SAME_AGENT, s->agent_id, ev->agent_id))
            continue;
        if (!diff_ok(c, TL_CTX_DIFF_SRCIP, s->stat[TL_SF_SRCIP], ev->stat[TL_SF_SRCIP]) ||
            !diff_ok(c, TL_CTX_DIFF_DSTIP, s->stat[TL_SF_DSTIP], ev->stat[TL_SF_DSTIP]) ||
            !diff_ok(c, TL_CTX_DIFF_SRCPORT, s->stat[TL_SF_SRCPORT], ev->stat[TL_SF_SRCPORT]) ||
            !diff_ok(c, TL_CTX_DIFF_DSTPORT, s->stat[TL_SF_DSTPORT], ev->stat[TL_SF_DSTPORT]) ||
            !diff_ok(c, TL_CTX_DIFF_PROTOCOL, s->stat[TL_SF_PROTOCOL], ev->stat[TL_SF_PROTOCOL]) ||
            !diff_ok(c, TL_CTX_DIFF_ACTION, s->stat[TL_SF_ACTION], ev->stat[TL_SF_ACTION]) ||
            !diff_ok(c, TL_CTX_DIFF_ID, s->stat[TL_SF_ID], ev->stat[TL_SF_ID]) ||
            !diff_ok(c, TL_CTX_DIFF_URL, s->stat[TL_SF_URL], ev->stat[TL_SF_URL]) ||
            !diff_ok(c, TL_CTX_DIFF_DATA, s->stat[TL_SF_DATA], ev->stat[TL_SF_DATA]) ||
            !diff_ok(c, TL_CTX_DIFF_EXTRA_DATA, s->stat[TL_SF_EXTRA_DATA],
                     ev->stat[TL_SF_EXTRA_DATA]) ||
            !diff_ok(c, TL_CTX_DIFF_STATUS, s->stat[TL_SF_STATUS], ev->stat[TL_SF_STATUS]) ||
            !diff_ok(c, TL_CTX_DIFF_SYSTEMNAME, s->stat[TL_SF_SYSTEMNAME],
                     ev->stat[TL_SF_SYSTEMNAME]) ||
            !diff_ok(c, TL_CTX_DIFF_SRCUSER, s->stat[TL_SF_SRCUSER], ev->stat[TL_SF_SRCUSER]) ||
            !diff_ok(c, TL_CTX_DIFF_DSTUSER, s->stat[TL_SF_DSTUSER], ev->stat[TL_SF_DSTUSER]) ||
            !diff_ok(c, TL_CTX_DIFF_LOCATION, s->location, ev->location))
            continue;
        int skip = 0;
        for (size_t i = 0; i < r->nsame_fields && !skip; i++)
            skip = !str_eq(sev_field(s, r->same_fields[i]),
                           tl_event_find_field(ev, r->same_fields[i]));
        for (size_t i = 0; i < r->ndifferent_fields && !skip; i++) {
            const char *a = sev_field(s, r->different_fields[i]);
            const char *b = tl_event_find_field(ev, r->different_fields[i]);
            skip = !(a && b && strcmp(a, b) != 0);
        }
        if (skip)
            continue;
        if (r->if_matched_regex && !r->nmatched_sids && !r->if_matched_group_m &&
            !tl_expr_match(r->if_matched_regex, s->log))
            continue;
        tl_status st = ctx_prev_push(e, s);
        if (st != TL_OK)
            return st;
        if (count < need) {
            count++;
            continue;
        }
        /* matched */
        X(e)->cur_matched = r->ilevel;
        s->matched = r->ilevel;
        first->matched = r->ilevel;
        e->ctx_rule = r;
        *ok = 1;
        return TL_OK;
    }
    /* not matched: forget what this search collected */
    while (e->nctx_prev > mark)
        sev_unref(e->ctx_prev[--e->nctx_prev]);
    return TL_OK;
}

/* ---- the walk ---------------------------------------------------------------- */

static const char *fail_text(tl_engine *e, const tl_rule *r, tl_cond c, size_t fidx) {
    engine_extra *x = X(e);
    if (c == TL_C_FIELD) {
        snprintf(x->failbuf, sizeof x->failbuf, "field %s", r->fields[fidx].name);
        return x->failbuf;
    }
    if (c == TL_C_LIST) {
        snprintf(x->failbuf, sizeof x->failbuf, "list %s", r->lists[fidx].field);
        return x->failbuf;
    }
    return tl_cond_name(c);
}

/* 0 when r cannot match because its <match>/<regex> cannot pass on the log
 * (no log; the log's first byte is not one an all-'^' <match> accepts; the
 * log's fingerprint, when already built, lacks a literal they need) or the
 * event lacks the field of r's first <field> (a missing field fails even
 * negated, whatever the conditions before it say; the conditions before
 * <match> and <field> have no side effects), so the indexed walk skips r
 * without evaluating it: the
 * walk's result is the same (test_rules_indexed_walk_changes_nothing); the
 * logtest trace, which reports every tried rule, walks without it. */
static inline int may_match(tl_engine *e, const tl_rule *r) {
    if (r->lpf) {
        /* <match>/<regex> need a log; its first byte and (when already
         * built for this log) its fingerprint can rule them out */
        const tl_event *ev = &e->ev;
        const unsigned char *log = (const unsigned char *)ev->log;
        if (!log)
            return 0;
        if (r->lpf_has_first && !(r->lpf_first[log[0] >> 3] & (1u << (log[0] & 7))))
            return 0;
        if (ev->fp_state == 1 && ev->fp_log == ev->log && !tl_expr_prefilter_off &&
            ((r->lpf_fp[0] && !tl_expr_exec_maybe(r->lpf_fp[0], ev->fp)) ||
             (r->lpf_fp[1] && !tl_expr_exec_maybe(r->lpf_fp[1], ev->fp))))
            return 0;
    }
    if (!r->nfields)
        return 1;
    if (!X(e)->indexed)
        index_fields(e);
    return e->fgen[r->fields[0].fid] == e->gen;
}

static const tl_rule *check_rule(tl_engine *e, const tl_rule *r, int depth) {
    size_t fidx = 0;
    size_t mark = e->nctx_prev;
    tl_cond c = eval_rule(e, r, &fidx);
    if (e->trace)
        e->trace(e->trace_ctx, r->id_str, r->description, depth, c == TL_C_COUNT,
                 c == TL_C_COUNT ? NULL : fail_text(e, r, c, fidx));
    if (c != TL_C_COUNT)
        return NULL;
    tl_rule *const *kids = r->children;
    size_t nk = r->nchildren;
    if (r->kidx && !e->trace) {
        /* only the children whose decoded_as / program_name can pass (and
         * whose exact-value <field>, see rules_tree.c) */
        const tl_kidx *k = r->kidx;
        const engine_extra *x = X(e);
        size_t pair = x->dec_slot < k->nslots ? k->slot[x->dec_slot] : 0;
        const tl_kids *L = &k->lists[2 * pair + (size_t)x->has_prog];
        if (L->vx) {
            /* only the children whose exact-value <field> can pass */
            size_t fid = L->vx->fid;
            if (!x->indexed)
                index_fields(e);
            L = tl_vidx_pick(L, e->fgen[fid] == e->gen ? e->fcache[fid] : NULL);
        }
        kids = L->v;
        nk = L->n;
    }
    int skip = !e->trace;
    for (size_t i = 0; i < nk; i++) {
        if (skip && !may_match(e, kids[i]))
            continue;
        const tl_rule *res = check_rule(e, kids[i], depth + 1);
        if (res)
            return res;
    }
    if (r->noalert) {
        // a context match of a transparent rule is not the final one
        if (e->ctx_rule == r) {
            while (e->nctx_prev > mark)
                sev_unref(e->ctx_prev[--e->nctx_prev]);
            e->ctx_rule = NULL;
        }
        return NULL;
    }
    return r;
}

/* Per-walk scratch: a new field-cache generation, the decoder slot. */
static void walk_setup(tl_engine *e) {
    const tl_ruleset *rs = e->rs;
    if (++e->gen == 0) { /* wrapped: invalidate every slot */
        memset(e->fgen, 0, (e->rs->nfnames ? rs->nfnames : 1) * sizeof *e->fgen);
        memset(e->fbgen, 0, (e->rs->nfnames ? rs->nfnames : 1) * sizeof *e->fbgen);
        e->gen = 1;
    }
    /* the fields are indexed by the first <field> condition the walk meets */
    X(e)->indexed = 0;
    {
        const tl_decoder_info *di = e->ev.decoder_name ? tl_event_decoder_info(&e->ev) : NULL;
        int did = di ? di->id
                     : e->ev.decoder_name ? tl_decoder_set_id(rs->ds, e->ev.decoder_name)
                                          : 0;
        X(e)->dec_slot = tl_kidx_slot_of(rs, did);
        X(e)->has_prog = e->ev.program_name != NULL;
    }
}

const tl_rule *tl_engine_walk(tl_engine *e) {
    const tl_ruleset *rs = e->rs;
    walk_setup(e);
    for (size_t i = 0; i < rs->ntop; i++) {
        const tl_rule *t = rs->top[i];
        if (t->category != e->ev.decoder_type || (!e->trace && !may_match(e, t)))
            continue;
        const tl_rule *res = check_rule(e, t, 0);
        if (res)
            return res;
    }
    return NULL;
}

/* ---- after the walk ---------------------------------------------------------- */

static const char *ignore_value(const tl_event *ev, const char *name) {
    if (strcmp(name, "user") == 0)
        return ev->stat[TL_SF_DSTUSER] ? ev->stat[TL_SF_DSTUSER] : ev->stat[TL_SF_SRCUSER];
    int si = tl_static_field_index(name);
    if (si >= 0)
        return ev->stat[si];
    return tl_event_find_field(ev, name);
}

static int is_ignored(tl_engine *e, const tl_rule *r) {
    tl_rule_state *s = &e->st[r->idx];
    for (size_t k = 0; k < s->nignored; k++) {
        const tl_ignore_entry *ie = &s->ignored[k];
        if (ie->n != r->nckignore_fields)
            continue;
        int all = 1;
        for (size_t j = 0; j < ie->n && all; j++)
            all = str_eq(ie->vals[j], ignore_value(&e->ev, r->ckignore_fields[j]));
        if (all)
            return 1;
    }
    return 0;
}

static tl_status own_state(tl_engine *e, size_t idx) {
    engine_extra *x = X(e);
    if (x->nowned == x->capowned) {
        size_t nc = x->capowned ? x->capowned * 2 : 16;
        uint32_t *nv = tl_realloc(x->owned, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        x->owned = nv;
        x->capowned = nc;
    }
    x->owned[x->nowned++] = (uint32_t)idx;
    return TL_OK;
}

static void add_ignore(tl_engine *e, const tl_rule *r) {
    tl_rule_state *s = &e->st[r->idx];
    if (!s->ignored && !s->sid_events.cap && !s->group_events.cap &&
        own_state(e, r->idx) != TL_OK)
        return;
    tl_ignore_entry ie = {NULL, 0};
    ie.vals = tl_calloc(r->nignore_fields ? r->nignore_fields : 1, sizeof *ie.vals);
    if (!ie.vals)
        return;
    for (size_t j = 0; j < r->nignore_fields; j++) {
        const char *v = ignore_value(&e->ev, r->ignore_fields[j]);
        ie.vals[j] = v ? tl_strdup(v) : NULL;
    }
    ie.n = r->nignore_fields;
    tl_ignore_entry *nv = tl_realloc(s->ignored, (s->nignored + 1) * sizeof *nv);
    if (!nv) {
        for (size_t j = 0; j < ie.n; j++)
            tl_free(ie.vals[j]);
        tl_free(ie.vals);
        return;
    }
    s->ignored = nv;
    s->ignored[s->nignored++] = ie;
}

static int safe_chars(const char *s, const char *extra) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
            continue;
        if (!strchr(extra, ch))
            return 0;
    }
    return 1;
}

static tl_status ar_push(tl_engine *e, const tl_ar_binding *ar, const char *loc_name,
                         const char *agent, const char *alert_json) {
    if (e->nar == e->capar) {
        size_t nc = e->capar ? e->capar * 2 : 4;
        tl_buf *nb = tl_realloc(e->ar_msgs, nc * sizeof *nb);
        if (!nb)
            return TL_E_NOMEM;
        e->ar_msgs = nb;
        for (size_t i = e->capar; i < nc; i++)
            tl_buf_init(&e->ar_msgs[i]);
        tl_ar_request *nr = tl_realloc(e->ar_reqs, nc * sizeof *nr);
        if (!nr)
            return TL_E_NOMEM;
        e->ar_reqs = nr;
        e->capar = nc;
    }
    tl_buf *m = &e->ar_msgs[e->nar];
    tl_buf_reset(m);
    tl_ar_build_message(ar, e->node_name, alert_json, m);
    if (tl_buf_status(m) != TL_OK)
        return TL_E_NOMEM;
    tl_ar_request *q = &e->ar_reqs[e->nar++];
    q->name = ar->name;
    q->executable = ar->cmd->executable;
    q->location = loc_name;
    q->agent_id = agent;
    q->timeout = ar->timeout;
    q->message = tl_buf_cstr(m);
    return TL_OK;
}

static tl_status store_event(tl_engine *e, const tl_rule *r) {
    const tl_ruleset *rs = e->rs;
    if (!r->stores_events && !r->nfeeds_groups)
        return TL_OK;
    tl_stored_event *s = sev_new(&e->ev, X(e)->cur_matched);
    if (!s)
        return TL_E_NOMEM;
    int64_t now = e->ev.time / TL_USEC_PER_SEC;
    tl_status st = TL_OK;
    if (r->stores_events) {
        tl_rule_state *rst = &e->st[r->idx];
        tl_event_list *l = &rst->sid_events;
        if (!rst->ignored && !rst->sid_events.cap && !rst->group_events.cap)
            st = own_state(e, r->idx);
        el_prune(l, now, rs->max_timeframe);
        if (st == TL_OK)
            st = el_push(l, s);
    }
    for (size_t i = 0; i < r->nfeeds_groups && st == TL_OK; i++) {
        tl_rule_state *gst = &e->st[r->feeds_groups[i]];
        tl_event_list *l = &gst->group_events;
        if (!gst->ignored && !gst->sid_events.cap && !gst->group_events.cap)
            st = own_state(e, r->feeds_groups[i]);
        el_prune(l, now, rs->max_timeframe);
        if (st == TL_OK)
            st = el_push(l, s);
    }
    sev_unref(s);
    return st;
}

/* Forget the previous event (its storage kept for the next one unless it was
 * borrowed) and the per-event scratch. */
static void begin_event(tl_engine *e, tl_result *out) {
    memset(out, 0, sizeof *out);
    if (e->have_ev && !X(e)->ev_borrowed)
        tl_event_clear_keep(&e->ev, &X(e)->spare);
    X(e)->ev_borrowed = 0;
    tl_event_init(&e->ev);
    e->have_ev = 1;
    e->matched = NULL;
    e->nar = 0;
    ctx_prev_clear(e);
    X(e)->cur_matched = 0;
    tl_buf_reset(&e->alert);
    tl_buf_reset(&e->desc);
}

static tl_status after_decode(tl_engine *e, tl_time now, tl_result *out);

tl_status tl_engine_process(tl_engine *e, const char *queue_line, tl_time now, tl_result *out,
                            tl_diag *d) {
    tl_status st = TL_OK;
    const tl_ruleset *rs = e->rs;
    begin_event(e, out);

    st = tl_predecode(queue_line, e->manager_name, now, &e->ev, d);
    if (st != TL_OK)
        return st == TL_E_NOMEM ? st : TL_E_PARSE;
    tl_event_adopt_storage(&e->ev, &X(e)->spare);
    e->ev.time = now;
    e->ev.fp = &X(e)->tri; /* the log's fingerprint, shared by decoders and rules */
    st = tl_decode(rs->ds, &e->ev, d);
    if (st != TL_OK)
        return st == TL_E_NOMEM ? st : TL_E_PARSE;
    return after_decode(e, now, out);
}

/* A decoded event kept for engines over rulesets with the same decoders. */
struct tl_decoded {
    tl_event ev;
};

tl_status tl_engine_decode(tl_engine *e, const char *queue_line, tl_time now, tl_decoded **out,
                           tl_diag *d) {
    tl_decoded *dv = tl_calloc(1, sizeof *dv);
    if (!dv)
        return TL_E_NOMEM;
    tl_event_init(&dv->ev);
    tl_status st = tl_predecode(queue_line, e->manager_name, now, &dv->ev, d);
    if (st == TL_OK) {
        dv->ev.time = now;
        st = tl_decode(e->rs->ds, &dv->ev, d);
    }
    if (st != TL_OK) {
        tl_decoded_free(dv);
        return st == TL_E_NOMEM ? st : TL_E_PARSE;
    }
    *out = dv;
    return TL_OK;
}

void tl_decoded_free(tl_decoded *dv) {
    if (!dv)
        return;
    tl_event_clear(&dv->ev);
    tl_free(dv);
}

tl_status tl_engine_process_decoded(tl_engine *e, const tl_decoded *dv, tl_time now,
                                    tl_result *out, tl_diag *d) {
    (void)d;
    begin_event(e, out);
    /* a shallow copy: the walk and the alert only read the event; begin_event
     * and tl_engine_free never free a borrowed one */
    e->ev = dv->ev;
    e->ev.time = now;
    X(e)->ev_borrowed = 1;
    return after_decode(e, now, out);
}

int tl_engine_rule_holds(tl_engine *e, int rule_id, const tl_decoded *dv, tl_time now) {
    const tl_rule *r = tl_ruleset_find(e->rs, rule_id);
    if (!r || !r->in_tree)
        return -1;
    tl_result out;
    begin_event(e, &out);
    e->ev = dv->ev;
    e->ev.time = now;
    X(e)->ev_borrowed = 1;
    walk_setup(e);
    size_t fidx = 0;
    return eval_rule(e, r, &fidx) == TL_C_COUNT;
}

/* Walk, state, alert and AR messages for the event in e->ev. */
static tl_status after_decode(tl_engine *e, tl_time now, tl_result *out) {
    tl_status st = TL_OK;
    const tl_ruleset *rs = e->rs;
    const tl_rule *r;
    int ossec_alert = e->ev.decoder_type == TL_CAT_OSSEC_ALERT;
    if (ossec_alert) {
        /* OSSECAlert_Decoder: no rule matching; the alert's own rule, looked up
         * by its id as analysisd's rules hash keys it ("%d"), is used as is
         * (wazuh.md §4.3); no rule: the event is dropped */
        r = NULL;
        if (e->ev.alert_rule_id) {
            char *endp = NULL;
            long id = strtol(e->ev.alert_rule_id, &endp, 10);
            char canon[24];
            snprintf(canon, sizeof canon, "%ld", id);
            if (id >= 0 && id <= INT32_MAX && strcmp(canon, e->ev.alert_rule_id) == 0)
                r = tl_ruleset_find(rs, (int)id);
            if (!r)
                tl_ruleset_warnf(rs, "Rule id '%s' not found internally: %s",
                                 e->ev.alert_rule_id, e->ev.full_log ? e->ev.full_log : "");
        }
        if (!r || !e->ev.alert_complete)
            return TL_OK;
    } else {
        r = tl_engine_walk(e);
    }
    if (rs->uses_matched_regex) {
        tl_stored_event *s = sev_new(&e->ev, 0);
        if (!s)
            return TL_E_NOMEM;
        el_prune(&e->last_events, now / TL_USEC_PER_SEC, rs->max_timeframe);
        st = el_push(&e->last_events, s);
        sev_unref(s);
        if (st != TL_OK)
            return st;
    }
    if (!r)
        return TL_OK;
    if (e->ctx_rule != r)
        ctx_prev_clear(e);
    e->matched = r;
    out->matched = 1;
    out->rule_id = r->id_str;
    out->level = r->level;
    tl_rule_state *rst = &e->st[r->idx];
    if (!ossec_alert) /* a generated rule is not counted */
        rst->firedtimes++;
    long fired = rst->firedtimes;
    /* analysisd's rule loop stops at a level-0 rule, before it copies the
     * event into the rule's if_matched_sid / if_matched_group memory (wazuh.md
     * §6: level 0 ends the search, the memory is filled last): a frequency rule
     * over a level-0 parent never counts anything (60013 over 60010). Events
     * stopped by the ignore timer or an ignore list are not stored either. */
    if (r->level == 0)
        return TL_OK;
    int64_t sec = now / TL_USEC_PER_SEC;
    if (r->ignore_time) {
        if (rst->time_ignored == 0)
            rst->time_ignored = sec;
        else if (sec - rst->time_ignored < r->ignore_time)
            return TL_OK;
        else
            rst->time_ignored = sec;
    }
    if (r->nckignore_fields && is_ignored(e, r))
        return TL_OK;
    if (r->nignore_fields)
        add_ignore(e, r);
    TL_TRY(store_event(e, r));

    int logged = !(r->options & TL_OPT_NO_LOG) &&
                 (r->level >= rs->log_alert_level || (r->options & TL_OPT_LOG_ALERT));
    if (!logged && !r->nars)
        return TL_OK;
    tl_description_expand(r->description, &e->ev, &e->desc);
    TL_TRY(tl_buf_status(&e->desc));
    TL_TRY(tl_alert_build(e, r, fired, tl_buf_cstr(&e->desc), &e->alert));
    if (logged) {
        out->alert_json = tl_buf_cstr(&e->alert);
        e->alert_offset += (int64_t)e->alert.len + 1;
    }
    for (size_t i = 0; i < r->nars; i++) {
        const tl_ar_binding *ar = r->ars[i];
        const char *du = e->ev.stat[TL_SF_DSTUSER], *sip = e->ev.stat[TL_SF_SRCIP];
        if (du && !safe_chars(du, "._@?-")) {
            tl_ruleset_warnf(
                rs, "rule %d: (1105): Invalid username: '%s'. Active response '%s' skipped.", r->id,
                du, ar->name);
            continue;
        }
        if (sip && !safe_chars(sip, ".:_-")) {
            tl_ruleset_warnf(
                rs, "rule %d: (1104): Invalid ip address: '%s'. Active response '%s' skipped.",
                r->id, sip, ar->name);
            continue;
        }
        if (sip && rs->white_list.n && tl_iplist_contains(&rs->white_list, sip))
            continue;
        const char *agent = e->ev.agent_id ? e->ev.agent_id : "000";
        if (ar->location & TL_AR_LOC_LOCAL)
            TL_TRY(ar_push(e, ar, "local", agent, tl_buf_cstr(&e->alert)));
        if (ar->location & TL_AR_LOC_SERVER)
            TL_TRY(ar_push(e, ar, "server", "000", tl_buf_cstr(&e->alert)));
        if (ar->location & TL_AR_LOC_DEFINED)
            TL_TRY(ar_push(e, ar, "defined-agent", ar->agent_id, tl_buf_cstr(&e->alert)));
        if (ar->location & TL_AR_LOC_ALL)
            TL_TRY(ar_push(e, ar, "all", "all", tl_buf_cstr(&e->alert)));
    }
    out->n_ar = e->nar;
    out->ar = e->ar_reqs;
cleanup:
    return st;
}

const tl_event *tl_engine_event(const tl_engine *e) {
    return e->have_ev ? &e->ev : NULL;
}

const tl_rule *tl_engine_matched_rule(const tl_engine *e) {
    return e->matched;
}

size_t tl_engine_prev_count(const tl_engine *e) {
    return e->nctx_prev;
}

const char *tl_engine_prev_full_log(const tl_engine *e, size_t i) {
    return i < e->nctx_prev ? e->ctx_prev[i]->full_log : NULL;
}
