/* SPDX-License-Identifier: MIT */
/*
 * The Sysmon filter: FilterEventRules / MatchFilterGroup of SysmonCommon as
 * described in facts/windows.md §2.3, over the sets compiled by
 * sysmon_config.c.
 *
 *   1. exclude sets of the event's type, in document order: any match drops;
 *   2. include sets: the first match logs the event with its RuleName;
 *   3. nothing matched: one set -> its default (include-only drops,
 *      exclude-only logs); several sets -> drop;
 *   4. no element for the type at all -> the manifest default (tl_sm_kinds).
 *
 * Inside a set, groupRelation "or" tries items in document order and stops at
 * the first match; "and" needs one match per conjunct (plain filters on one
 * field form one ORed conjunct, every <Rule> is its own conjunct). A <Rule>
 * aggregate is "and" (every filter, short-circuit at the first miss) or "or".
 *
 * RuleName: every matching filter whose effective name (own, <Rule>,
 * <RuleGroup>) is non-empty overwrites a running name, which is never reset
 * during one call -- so a <Rule> that fails half-way can leave its name behind
 * for a later unnamed match (the "stale name" quirk of rules.c). The verdict
 * reports the running name, "-" when none.
 *
 * Speed: only fields the event type's rules reference are looked up (by the
 * position the schema predicts, then by name) and lower-cased once, into a
 * stack buffer (heap only for events over 16 KiB). Rule text was lower-cased
 * at load, so every comparison is a length check plus memcmp/memchr.
 */
#include "tasklab/sysmon.h"

#include <stdio.h>
#include <string.h>

#include "sysmon_int.h"

typedef struct ev_ctx {
    const char *val[TL_SM_MAX_FIELDS]; /* lower-cased value, NULL when absent */
    uint32_t len[TL_SM_MAX_FIELDS];
    uint32_t tail[TL_SM_MAX_FIELDS];                         /* offset after the last '\' */
    uint64_t bloom[TL_SM_MAX_FIELDS][TL_SM_BLOOM_BITS / 64]; /* byte pairs of the value */
    const char *name;                                        /* running RuleName */
    const tl_sm_filter *last;                                /* last filter that matched */
    const tl_sm_item *last_item;                             /* item it belongs to */
} ev_ctx;

/* Equality of n bytes; short strings without a libc call, 8-byte words first. */
static inline int mem_eq(const char *a, const char *b, uint32_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
        if (n <= 16) {
            memcpy(&x, a + n - 8, 8);
            memcpy(&y, b + n - 8, 8);
            return x == y;
        }
        return memcmp(a + 8, b + 8, n - 8) == 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return 0;
    }
    return 1;
}

static int find(const char *h, uint32_t hl, const char *n, uint32_t nl)
{
    if (nl == 0)
        return 1;
    if (nl > hl)
        return 0;
    const char *p = h, *end = h + (hl - nl) + 1;
    const char c0 = n[0];
    if (nl == 1)
        return memchr(h, c0, hl) != NULL;
    const char c1 = n[1];
    while (p < end) {
        p = memchr(p, c0, (size_t)(end - p));
        if (!p)
            return 0;
        if (p[1] == c1 && mem_eq(p + 2, n + 2, nl - 2))
            return 1;
        p++;
    }
    return 0;
}

static inline int eq(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    return vl == dl && mem_eq(v, d, dl);
}

static inline int begins(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    return vl >= dl && mem_eq(v, d, dl);
}

static inline int ends(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    return vl >= dl && mem_eq(v + vl - dl, d, dl);
}

static int strcmp_n(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    uint32_t m = vl < dl ? vl : dl;
    int r = memcmp(v, d, m);
    if (r)
        return r;
    return vl < dl ? -1 : vl > dl;
}

static inline int maybe_in(const uint64_t *bloom, const uint16_t *bg, uint8_t nbg)
{
    for (uint8_t i = 0; i < nbg; i++) {
        if (!((bloom[bg[i] >> 6] >> (bg[i] & 63)) & 1))
            return 0;
    }
    return 1;
}

/* Substring test with the Bloom prefilter. */
static inline int has(const ev_ctx *x, uint16_t fid, const char *v, uint32_t vl, const char *n,
                      uint32_t nl, const uint16_t *bg, uint8_t nbg)
{
    return maybe_in(x->bloom[fid], bg, nbg) && find(v, vl, n, nl);
}

#define HAS_TEXT(f) has(x, (f)->field, v, vl, (f)->text, (f)->len, (f)->bg, (f)->nbg)
#define HAS_ITEM(f, it) has(x, (f)->field, v, vl, (it)->s, (it)->len, (it)->bg, (it)->nbg)

static int filter_match(const tl_sm_filter *f, const ev_ctx *x)
{
    const char *v = x->val[f->field];
    if (!v)
        return 0; /* the event has no such field: never matches */
    const uint32_t vl = x->len[f->field];
    const char *d = f->text;
    const uint32_t dl = f->len;
    switch (f->cond) {
    case TL_SM_IS:
        return eq(v, vl, d, dl);
    case TL_SM_IS_NOT:
        return !eq(v, vl, d, dl);
    case TL_SM_IS_ANY:
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (eq(v, vl, f->items[i].s, f->items[i].len))
                return 1;
        }
        return 0;
    case TL_SM_CONTAINS:
        return HAS_TEXT(f);
    case TL_SM_EXCLUDES:
        return !HAS_TEXT(f);
    case TL_SM_CONTAINS_ANY:
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (HAS_ITEM(f, &f->items[i]))
                return 1;
        }
        return 0;
    case TL_SM_CONTAINS_ALL:
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (!HAS_ITEM(f, &f->items[i]))
                return 0;
        }
        return f->nitems > 0;
    case TL_SM_EXCLUDES_ANY: /* as the code does: no item is a substring */
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (HAS_ITEM(f, &f->items[i]))
                return 0;
        }
        return 1;
    case TL_SM_EXCLUDES_ALL: /* as the code does: at least one item is missing */
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (!HAS_ITEM(f, &f->items[i]))
                return 1;
        }
        return 0;
    case TL_SM_BEGIN_WITH:
        return begins(v, vl, d, dl);
    case TL_SM_NOT_BEGIN_WITH:
        return !begins(v, vl, d, dl);
    case TL_SM_END_WITH:
        return ends(v, vl, d, dl);
    case TL_SM_NOT_END_WITH:
        return !ends(v, vl, d, dl);
    case TL_SM_LESS_THAN:
        return strcmp_n(v, vl, d, dl) < 0;
    case TL_SM_MORE_THAN:
        return strcmp_n(v, vl, d, dl) > 0;
    case TL_SM_IMAGE:
        if (f->image_tail) {
            uint32_t t = x->tail[f->field];
            return eq(v + t, vl - t, d, dl);
        }
        return eq(v, vl, d, dl);
    default:
        return 0;
    }
}

static inline void hit(ev_ctx *x, const tl_sm_filter *f, const tl_sm_item *it)
{
    if (f->name)
        x->name = f->name;
    x->last = f;
    x->last_item = it;
}

static int item_match(const tl_sm_set *s, const tl_sm_item *it, ev_ctx *x)
{
    const tl_sm_filter *f = &s->filters[it->first];
    if (it->kind == TL_SM_ITEM_FILTER) {
        if (filter_match(f, x)) {
            hit(x, f, it);
            return 1;
        }
        return 0;
    }
    if (it->count == 0)
        return 0;
    if (it->relation == TL_SM_REL_AND) {
        for (uint32_t i = 0; i < it->count; i++) {
            if (!filter_match(&f[i], x))
                return 0; /* names of earlier hits stay (stale-name quirk) */
            hit(x, &f[i], it);
        }
        return 1;
    }
    for (uint32_t i = 0; i < it->count; i++) {
        if (filter_match(&f[i], x)) {
            hit(x, &f[i], it);
            return 1;
        }
    }
    return 0;
}

/* "or" set with an exact-match index: the first matching item in document
 * order is the lower of (a) the first indexed key hit and (b) the first
 * scanned item that matches; scanned items are tried in order up to (a), so
 * names left by half-matching aggregates behave as in a plain scan. */
static int set_match_indexed(const tl_sm_set *s, ev_ctx *x)
{
    uint32_t cand = UINT32_MAX;
    for (uint32_t p = 0; p < s->nprobes; p++) {
        const uint16_t fid = s->probes[p].field;
        const char *v = x->val[fid];
        if (!v)
            continue;
        uint32_t vl = x->len[fid];
        if (s->probes[p].tail) {
            v += x->tail[fid];
            vl -= x->tail[fid];
        }
        const uint64_t h = tl_sm_hash(v, vl, fid, s->probes[p].tail);
        for (uint32_t i = (uint32_t)h & s->key_mask;; i = (i + 1) & s->key_mask) {
            const tl_sm_key *e = &s->keys[i];
            if (!e->s)
                break;
            if (e->h == h && e->len == vl && e->field == fid && e->tail == s->probes[p].tail &&
                mem_eq(e->s, v, vl)) {
                if (e->item < cand)
                    cand = e->item;
                break;
            }
        }
    }
    for (uint32_t j = 0; j < s->nscan && s->scan[j] < cand; j++) {
        if (item_match(s, &s->items[s->scan[j]], x))
            return 1;
    }
    if (cand == UINT32_MAX)
        return 0;
    const tl_sm_item *it = &s->items[cand];
    hit(x, &s->filters[it->first], it);
    return 1;
}

static int set_match(const tl_sm_set *s, ev_ctx *x)
{
    if (s->keys)
        return set_match_indexed(s, x);
    if (s->relation == TL_SM_REL_OR) {
        for (size_t i = 0; i < s->nitems; i++) {
            if (item_match(s, &s->items[i], x))
                return 1;
        }
        return 0;
    }
    if (s->nbuckets == 0)
        return 0;
    for (uint16_t b = 0; b < s->nbuckets; b++) {
        int ok = 0;
        for (size_t i = 0; i < s->nitems && !ok; i++) {
            if (s->items[i].bucket == b)
                ok = item_match(s, &s->items[i], x);
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* Explanations are built with plain copies (no printf: this runs per event). */
typedef struct sb {
    char *p;
    size_t left; /* bytes left including the NUL */
} sb;

static void sb_putn(sb *b, const char *s, size_t n)
{
    if (b->left == 0)
        return;
    if (n >= b->left)
        n = b->left - 1;
    memcpy(b->p, s, n);
    b->p += n;
    b->left -= n;
    *b->p = '\0';
}

static void sb_put(sb *b, const char *s) { sb_putn(b, s, strlen(s)); }

/* At most max bytes of s; a cut is marked with an ellipsis (never silent). */
static void sb_putmax(sb *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    sb_putn(b, s, n > max ? max : n);
    if (n > max)
        sb_put(b, "\xe2\x80\xa6");
}

static void sb_int(sb *b, long v)
{
    char tmp[24];
    size_t k = sizeof tmp;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--k] = '-';
    sb_putn(b, tmp + k, sizeof tmp - k);
}

static const char *onmatch_name(const tl_sm_set *s)
{
    return s->onmatch == TL_SM_EXCLUDE ? "exclude" : "include";
}

static const char *rel_name(int rel) { return rel == TL_SM_REL_AND ? "and" : "or"; }

/* "<RegistryEvent onmatch="include"> (line 1651) in RuleGroup name="" groupRelation="or" (line
 * 1650)" */
static void sb_set(sb *b, const tl_sm_set *s)
{
    sb_put(b, "<");
    sb_put(b, tl_sm_kinds[s->kind].name);
    sb_put(b, " onmatch=\"");
    sb_put(b, onmatch_name(s));
    sb_put(b, "\"> (line ");
    sb_int(b, s->elem_line);
    if (s->group_line) {
        sb_put(b, ") in RuleGroup name=\"");
        sb_putmax(b, s->group_name, TL_SM_EXPLAIN_NAME_MAX);
        sb_put(b, "\" groupRelation=\"");
        sb_put(b, rel_name(s->relation));
        sb_put(b, "\" (line ");
        sb_int(b, s->group_line);
        sb_put(b, ")");
    } else {
        sb_put(b, ") directly in EventFiltering (groupRelation ");
        sb_put(b, rel_name(s->relation));
        sb_put(b, ")");
    }
}

static void explain_match(const tl_sysmon_config *c, const tl_sm_set *s, const ev_ctx *x,
                          const char *verdict, char *out, size_t outsz)
{
    const tl_sm_filter *f = x->last;
    const tl_sm_item *it = x->last_item;
    sb b = {out, outsz};
    sb_put(&b, verdict);
    sb_put(&b, " by ");
    sb_put(&b, onmatch_name(s));
    if (f) {
        const char *fname = tl_sm_field_name(f->field);
        sb_put(&b, " rule <");
        sb_put(&b, fname);
        sb_put(&b, " condition=\"");
        sb_put(&b, tl_sm_cond_names[f->cond]);
        sb_put(&b, "\">");
        sb_putmax(&b, f->orig, TL_SM_EXPLAIN_TEXT_MAX);
        sb_put(&b, "</");
        sb_put(&b, fname);
        sb_put(&b, "> (");
        sb_putmax(&b, c->source, TL_SM_EXPLAIN_PATH_MAX);
        sb_put(&b, " line ");
        sb_int(&b, f->line);
        sb_put(&b, ")");
        if (it && it->kind == TL_SM_ITEM_RULE) {
            sb_put(&b, " in <Rule name=\"");
            sb_putmax(&b, it->rule_name ? it->rule_name : "", TL_SM_EXPLAIN_NAME_MAX);
            sb_put(&b, "\" groupRelation=\"");
            sb_put(&b, rel_name(it->relation));
            sb_put(&b, "\"> (line ");
            sb_int(&b, it->line);
            sb_put(&b, ")");
        }
        sb_put(&b, " of ");
    } else {
        sb_put(&b, " set ");
    }
    sb_set(&b, s);
}

/* Value of a referenced field: at the position the schema predicts, else by
 * name. A field the event type does not have in schema 4.90 (Details on
 * Event 12) never exists, even if the caller passed one. */
static const char *find_value(const tl_sysmon_event *ev, const tl_sm_ref *r)
{
    if (r->pos < 0)
        return NULL;
    if ((size_t)r->pos < ev->nfields && ev->fields[r->pos].name &&
        strcmp(ev->fields[r->pos].name, r->name) == 0)
        return ev->fields[r->pos].value ? ev->fields[r->pos].value : "";
    for (size_t i = 0; i < ev->nfields; i++) {
        if (ev->fields[i].name && tl_strcasecmp(ev->fields[i].name, r->name) == 0)
            return ev->fields[i].value ? ev->fields[i].value : "";
    }
    return NULL;
}

void tl_sysmon_filter(const tl_sysmon_config *c, const tl_sysmon_event *ev, tl_sysmon_verdict *out)
{
    out->logged = 0;
    out->rule_name = "-";
    out->explain[0] = '\0';
    sb b = {out->explain, sizeof out->explain};
    if (!c || !ev) {
        sb_put(&b, "dropped: no config or event");
        return;
    }
    const tl_sm_evtype *t = tl_sm_evtype_get(ev->id);
    if (!t) {
        sb_put(&b, "dropped: ");
        sb_int(&b, ev->id);
        sb_put(&b, " is not a Sysmon event id");
        return;
    }
    if (t->kind < 0) {
        out->logged = 1;
        sb_put(&b, "logged: event ");
        sb_int(&b, ev->id);
        sb_put(&b, " cannot be filtered");
        return;
    }
    const tl_sm_kind *k = &tl_sm_kinds[t->kind];
    if (!c->has_kind[ev->id]) {
        out->logged = k->default_log;
        sb_put(&b, k->default_log ? "logged: " : "dropped: ");
        sb_putmax(&b, c->source, TL_SM_EXPLAIN_PATH_MAX);
        sb_put(&b, " has no <");
        sb_put(&b, k->name);
        sb_put(&b, "> element; the manifest default ");
        sb_put(&b, k->default_log ? "logs" : "drops");
        sb_put(&b, " event ");
        sb_int(&b, ev->id);
        return;
    }

    ev_ctx x;
    x.name = NULL;
    x.last = NULL;
    x.last_item = NULL;

    /* lower-case the referenced values once */
    const tl_sm_ref *refs = c->refs[ev->id];
    const size_t nrefs = c->nrefs[ev->id];
    const char *raw[TL_SM_MAX_FIELDS];
    size_t total = 0;
    for (size_t i = 0; i < nrefs; i++) {
        raw[i] = find_value(ev, &refs[i]);
        if (raw[i]) {
            size_t l = strlen(raw[i]);
            if (l > 0xffffffu)
                l = 0xffffffu;
            x.len[refs[i].field] = (uint32_t)l;
            total += l + 1;
        }
    }
    char stackbuf[16384];
    char *buf = stackbuf, *heap = NULL;
    if (total > sizeof stackbuf) {
        heap = tl_malloc(total);
        if (!heap) {
            sb_put(&b, "dropped: out of memory");
            return;
        }
        buf = heap;
    }
    char *w = buf;
    for (size_t i = 0; i < nrefs; i++) {
        const uint16_t fid = refs[i].field;
        if (!raw[i]) {
            x.val[fid] = NULL;
            continue;
        }
        const uint32_t l = x.len[fid];
        uint32_t tail = 0;
        uint64_t *bloom = x.bloom[fid];
        memset(bloom, 0, sizeof x.bloom[0]);
        unsigned char prev = 0;
        for (uint32_t j = 0; j < l; j++) {
            char ch = raw[i][j];
            if (ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + ('a' - 'A'));
            else if (ch == '\\')
                tail = j + 1;
            w[j] = ch;
            if (j) {
                uint16_t bg = tl_sm_bigram(prev, (unsigned char)ch);
                bloom[bg >> 6] |= UINT64_C(1) << (bg & 63);
            }
            prev = (unsigned char)ch;
        }
        w[l] = '\0';
        x.val[fid] = w;
        x.tail[fid] = tail;
        w += l + 1;
    }

    tl_sm_set *const *sets = c->by_id[ev->id];
    const size_t ne = c->nexcl[ev->id], ni = c->nincl[ev->id];
    for (size_t i = 0; i < ne; i++) {
        if (set_match(sets[i], &x)) {
            explain_match(c, sets[i], &x, "dropped", out->explain, sizeof out->explain);
            goto done;
        }
    }
    for (size_t i = ne; i < ne + ni; i++) {
        if (set_match(sets[i], &x)) {
            out->logged = 1;
            out->rule_name = x.name ? x.name : "-";
            explain_match(c, sets[i], &x, "logged", out->explain, sizeof out->explain);
            size_t used = strlen(out->explain);
            sb tailb = {out->explain + used, sizeof out->explain - used};
            sb_put(&tailb, "; RuleName ");
            sb_putmax(&tailb, out->rule_name, TL_SM_EXPLAIN_NAME_MAX);
            goto done;
        }
    }
    if (ne + ni == 1) {
        const tl_sm_set *s = sets[0];
        out->logged = s->onmatch == TL_SM_EXCLUDE;
        sb_put(&b, out->logged ? "logged" : "dropped");
        sb_put(&b, ": no rule matched and ");
        sb_set(&b, s);
        sb_put(&b, " is the only rule set, so its default ");
        sb_put(&b, out->logged ? "logs" : "drops");
    } else {
        sb_put(&b, "dropped: no rule matched and ");
        sb_put(&b, k->name);
        sb_put(&b, " has ");
        sb_int(&b, (long)(ne + ni));
        sb_put(&b, " rule sets (");
        sb_int(&b, (long)ni);
        sb_put(&b, " include, ");
        sb_int(&b, (long)ne);
        sb_put(&b, " exclude)");
    }
done:
    tl_free(heap);
}

/* ---- verdict memo ---------------------------------------------------------
 *
 * A verdict depends only on the event id and the values of the fields the
 * id's sets reference (c->refs): the lookup, the lower-casing and every
 * comparison read nothing else, and the explanation names the deciding rule,
 * set and config, never a value. So a simulator that filters many events with
 * equal referenced values (the soak's noise: 120,000 events from a few dozen
 * distinct programs and keys, ProcessGuid, UtcTime and ProcessId aside, which
 * no filter of the id references) keeps the verdict of each distinct key.
 *
 * The key is the id and, per reference in order, a presence byte, the length
 * and the raw bytes: exact equality, never a hash alone. The table is direct
 * mapped (a colliding key replaces the older one: recomputing is always
 * correct). Explanations are interned for the memo's life, so a caller may
 * keep them as long as the memo (bounded: past TL_SM_MEMO_POOL_MAX bytes an
 * explanation is handed out as a copy-me string instead). */
#define TL_SM_MEMO_SLOTS 1024u
#define TL_SM_MEMO_KEY_MAX 4096u           /* longer keys are filtered directly */
#define TL_SM_MEMO_POOL_MAX (4u << 20)     /* interned explanation bytes */

typedef struct memo_slot {
    uint64_t h;
    char *key; /* NULL: empty */
    uint32_t klen, kcap;
    int logged;
    const char *rule_name; /* borrowed from the config (or static "-") */
    const char *explain;   /* interned */
} memo_slot;

typedef struct memo_str {
    uint64_t h;
    char *s; /* NULL: empty */
} memo_str;

struct tl_sm_memo {
    const tl_sysmon_config *c;
    memo_slot *slots; /* TL_SM_MEMO_SLOTS, allocated on first use */
    memo_str *pool;   /* interned explanations, open addressing */
    size_t npool, cappool, pool_bytes;
    char *kbuf;
    size_t kcap;
    tl_sysmon_verdict v; /* scratch for misses */
};

tl_sm_memo *tl_sm_memo_new(const tl_sysmon_config *c)
{
    tl_sm_memo *m = tl_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->c = c;
    m->slots = tl_calloc(TL_SM_MEMO_SLOTS, sizeof *m->slots);
    m->kbuf = tl_malloc(TL_SM_MEMO_KEY_MAX);
    m->kcap = TL_SM_MEMO_KEY_MAX;
    if (!m->slots || !m->kbuf) {
        tl_sm_memo_free(m);
        return NULL;
    }
    return m;
}

void tl_sm_memo_free(tl_sm_memo *m)
{
    if (!m)
        return;
    if (m->slots) {
        for (size_t i = 0; i < TL_SM_MEMO_SLOTS; i++)
            tl_free(m->slots[i].key);
    }
    tl_free(m->slots);
    for (size_t i = 0; i < m->cappool; i++)
        tl_free(m->pool[i].s);
    tl_free(m->pool);
    tl_free(m->kbuf);
    tl_free(m);
}

static uint64_t memo_hash(const char *p, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

/* *out: the interned copy of s, or NULL when the pool is full (not an error). */
static tl_status memo_intern(tl_sm_memo *m, const char *s, const char **out)
{
    *out = NULL;
    const size_t n = strlen(s);
    const uint64_t h = memo_hash(s, n);
    if (m->cappool) {
        for (size_t i = (size_t)h & (m->cappool - 1);; i = (i + 1) & (m->cappool - 1)) {
            if (!m->pool[i].s)
                break;
            if (m->pool[i].h == h && !strcmp(m->pool[i].s, s)) {
                *out = m->pool[i].s;
                return TL_OK;
            }
        }
    }
    if (m->pool_bytes + n + 1 > TL_SM_MEMO_POOL_MAX)
        return TL_OK;
    if (2 * (m->npool + 1) > m->cappool) {
        size_t nc = m->cappool ? 2 * m->cappool : 64;
        memo_str *np = tl_calloc(nc, sizeof *np);
        if (!np)
            return TL_E_NOMEM;
        for (size_t i = 0; i < m->cappool; i++) {
            if (!m->pool[i].s)
                continue;
            size_t j = (size_t)m->pool[i].h & (nc - 1);
            while (np[j].s)
                j = (j + 1) & (nc - 1);
            np[j] = m->pool[i];
        }
        tl_free(m->pool);
        m->pool = np;
        m->cappool = nc;
    }
    char *copy = tl_malloc(n + 1);
    if (!copy)
        return TL_E_NOMEM;
    memcpy(copy, s, n + 1);
    size_t i = (size_t)h & (m->cappool - 1);
    while (m->pool[i].s)
        i = (i + 1) & (m->cappool - 1);
    m->pool[i].h = h;
    m->pool[i].s = copy;
    m->npool++;
    m->pool_bytes += n + 1;
    *out = copy;
    return TL_OK;
}

/* The memo key of ev into m->kbuf; 0 when it is too long. */
static int memo_key(tl_sm_memo *m, const tl_sysmon_event *ev, size_t *klen)
{
    char *w = m->kbuf, *end = m->kbuf + m->kcap;
    const tl_sm_ref *refs = m->c->refs[ev->id];
    const size_t nrefs = m->c->nrefs[ev->id];
    *w++ = (char)ev->id;
    for (size_t i = 0; i < nrefs; i++) {
        const char *v = find_value(ev, &refs[i]);
        if (!v) {
            if (w == end)
                return 0;
            *w++ = 0;
            continue;
        }
        const size_t l = strlen(v);
        if ((size_t)(end - w) < 5 + l)
            return 0;
        *w++ = 1;
        const uint32_t l32 = (uint32_t)l;
        memcpy(w, &l32, 4);
        memcpy(w + 4, v, l);
        w += 4 + l;
    }
    *klen = (size_t)(w - m->kbuf);
    return 1;
}

tl_status tl_sm_memo_filter(tl_sm_memo *m, const tl_sysmon_event *ev, tl_sm_result *out)
{
    tl_sysmon_verdict *v = &m->v;
    size_t klen = 0;
    /* only ids with rule sets are worth a key: the others decide in a few steps */
    const tl_sm_evtype *t = ev && ev->id > 0 && ev->id < TL_SM_MAX_ID ? tl_sm_evtype_get(ev->id) : NULL;
    const int keyed = t && t->kind >= 0 && m->c && m->c->has_kind[ev->id] && memo_key(m, ev, &klen);
    memo_slot *sl = NULL;
    uint64_t h = 0;
    if (keyed) {
        h = memo_hash(m->kbuf, klen);
        sl = &m->slots[h & (TL_SM_MEMO_SLOTS - 1)];
        if (sl->key && sl->h == h && sl->klen == klen && !memcmp(sl->key, m->kbuf, klen)) {
            out->logged = sl->logged;
            out->rule_name = sl->rule_name;
            out->explain = sl->explain;
            out->stable = 1;
            return TL_OK;
        }
    }
    tl_sysmon_filter(m->c, ev, v);
    /* the filter's own out-of-memory verdict (values over 16 KiB) */
    if (!v->logged && !strncmp(v->explain, "dropped: out of memory", 22))
        return TL_E_NOMEM;
    const char *in = NULL;
    if (memo_intern(m, v->explain, &in) != TL_OK)
        return TL_E_NOMEM;
    out->logged = v->logged;
    out->rule_name = v->rule_name;
    out->explain = in ? in : v->explain;
    out->stable = in != NULL;
    if (!sl || !in)
        return TL_OK; /* not kept: computed again next time */
    if (sl->kcap < klen) {
        char *nk = tl_realloc(sl->key, klen);
        if (!nk)
            return TL_E_NOMEM;
        sl->key = nk;
        sl->kcap = (uint32_t)klen;
    }
    memcpy(sl->key, m->kbuf, klen);
    sl->h = h;
    sl->klen = (uint32_t)klen;
    sl->logged = out->logged;
    sl->rule_name = out->rule_name;
    sl->explain = in;
    return TL_OK;
}
