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
    uint32_t tail[TL_SM_MAX_FIELDS]; /* offset after the last '\' */
    const char *name;                /* running RuleName */
    const tl_sm_filter *last;        /* last filter that matched */
    const tl_sm_item *last_item;     /* item it belongs to */
} ev_ctx;

static int find(const char *h, uint32_t hl, const char *n, uint32_t nl)
{
    if (nl == 0)
        return 1;
    if (nl > hl)
        return 0;
    const char *p = h, *end = h + (hl - nl) + 1;
    const char c0 = n[0];
    while (p < end) {
        p = memchr(p, c0, (size_t)(end - p));
        if (!p)
            return 0;
        if (memcmp(p + 1, n + 1, nl - 1) == 0)
            return 1;
        p++;
    }
    return 0;
}

static inline int eq(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    return vl == dl && memcmp(v, d, dl) == 0;
}

static int strcmp_n(const char *v, uint32_t vl, const char *d, uint32_t dl)
{
    uint32_t m = vl < dl ? vl : dl;
    int r = memcmp(v, d, m);
    if (r)
        return r;
    return vl < dl ? -1 : vl > dl;
}

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
        return find(v, vl, d, dl);
    case TL_SM_EXCLUDES:
        return !find(v, vl, d, dl);
    case TL_SM_CONTAINS_ANY:
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (find(v, vl, f->items[i].s, f->items[i].len))
                return 1;
        }
        return 0;
    case TL_SM_CONTAINS_ALL:
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (!find(v, vl, f->items[i].s, f->items[i].len))
                return 0;
        }
        return f->nitems > 0;
    case TL_SM_EXCLUDES_ANY: /* as the code does: no item is a substring */
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (find(v, vl, f->items[i].s, f->items[i].len))
                return 0;
        }
        return 1;
    case TL_SM_EXCLUDES_ALL: /* as the code does: at least one item is missing */
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (!find(v, vl, f->items[i].s, f->items[i].len))
                return 1;
        }
        return 0;
    case TL_SM_BEGIN_WITH:
        return vl >= dl && memcmp(v, d, dl) == 0;
    case TL_SM_NOT_BEGIN_WITH:
        return !(vl >= dl && memcmp(v, d, dl) == 0);
    case TL_SM_END_WITH:
        return vl >= dl && memcmp(v + vl - dl, d, dl) == 0;
    case TL_SM_NOT_END_WITH:
        return !(vl >= dl && memcmp(v + vl - dl, d, dl) == 0);
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

static int set_match(const tl_sm_set *s, ev_ctx *x)
{
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

static void explain_match(const tl_sysmon_config *c, const tl_sm_set *s, const ev_ctx *x,
                          const char *verdict, char *out, size_t outsz)
{
    const tl_sm_filter *f = x->last;
    const tl_sm_item *it = x->last_item;
    char rule[160] = "";
    if (it && it->kind == TL_SM_ITEM_RULE)
        snprintf(rule, sizeof rule, " in <Rule name=\"%.60s\" groupRelation=\"%s\"> (line %d)",
                 it->rule_name ? it->rule_name : "", it->relation == TL_SM_REL_AND ? "and" : "or",
                 it->line);
    char grp[120];
    if (s->group_line)
        snprintf(grp, sizeof grp, "RuleGroup name=\"%.40s\" groupRelation=\"%s\" (line %d)",
                 s->group_name, s->relation == TL_SM_REL_AND ? "and" : "or", s->group_line);
    else
        snprintf(grp, sizeof grp, "EventFiltering (groupRelation %s)",
                 s->relation == TL_SM_REL_AND ? "and" : "or");
    if (f)
        snprintf(out, outsz,
                 "%s by %s rule <%s condition=\"%s\">%.100s</%s> (%.60s line %d)%s of <%s "
                 "onmatch=\"%s\"> (line %d) in %s",
                 verdict, s->onmatch == TL_SM_EXCLUDE ? "exclude" : "include",
                 tl_sm_field_name(f->field), tl_sm_cond_names[f->cond], f->orig,
                 tl_sm_field_name(f->field), c->source, f->line, rule, tl_sm_kinds[s->kind].name,
                 s->onmatch == TL_SM_EXCLUDE ? "exclude" : "include", s->elem_line, grp);
    else
        snprintf(out, outsz, "%s by <%s onmatch=\"%s\"> (line %d) in %s", verdict,
                 tl_sm_kinds[s->kind].name, s->onmatch == TL_SM_EXCLUDE ? "exclude" : "include",
                 s->elem_line, grp);
}

static const char *find_value(const tl_sysmon_event *ev, const tl_sm_ref *r)
{
    if (r->pos >= 0 && (size_t)r->pos < ev->nfields && ev->fields[r->pos].name &&
        strcmp(ev->fields[r->pos].name, r->name) == 0)
        return ev->fields[r->pos].value ? ev->fields[r->pos].value : "";
    for (size_t i = 0; i < ev->nfields; i++) {
        if (ev->fields[i].name && tl_strcasecmp(ev->fields[i].name, r->name) == 0)
            return ev->fields[i].value ? ev->fields[i].value : "";
    }
    return NULL;
}

void tl_sysmon_filter(const tl_sysmon_config *c, const tl_sysmon_event *ev,
                      tl_sysmon_verdict *out)
{
    out->logged = 0;
    out->rule_name = "-";
    out->explain[0] = '\0';
    if (!c || !ev) {
        snprintf(out->explain, sizeof out->explain, "dropped: no config or event");
        return;
    }
    const tl_sm_evtype *t = tl_sm_evtype_get(ev->id);
    if (!t) {
        snprintf(out->explain, sizeof out->explain, "dropped: %d is not a Sysmon event id",
                 ev->id);
        return;
    }
    if (t->kind < 0) {
        out->logged = 1;
        snprintf(out->explain, sizeof out->explain, "logged: event %d cannot be filtered",
                 ev->id);
        return;
    }
    const tl_sm_kind *k = &tl_sm_kinds[t->kind];
    if (!c->has_kind[ev->id]) {
        out->logged = k->default_log;
        snprintf(out->explain, sizeof out->explain,
                 "%s: %s has no <%s> element; the manifest default %s event %d",
                 k->default_log ? "logged" : "dropped", c->source, k->name,
                 k->default_log ? "logs" : "drops", ev->id);
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
            snprintf(out->explain, sizeof out->explain, "dropped: out of memory");
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
        for (uint32_t j = 0; j < l; j++) {
            char ch = raw[i][j];
            if (ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + ('a' - 'A'));
            else if (ch == '\\')
                tail = j + 1;
            w[j] = ch;
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
            goto done;
        }
    }
    if (ne + ni == 1) {
        const tl_sm_set *s = sets[0];
        out->logged = s->onmatch == TL_SM_EXCLUDE;
        snprintf(out->explain, sizeof out->explain,
                 "%s: no rule matched and <%s onmatch=\"%s\"> (line %d) is the only rule set, "
                 "so its default %s",
                 out->logged ? "logged" : "dropped", k->name,
                 s->onmatch == TL_SM_EXCLUDE ? "exclude" : "include", s->elem_line,
                 out->logged ? "logs" : "drops");
    } else {
        snprintf(out->explain, sizeof out->explain,
                 "dropped: no rule matched and %s has %zu rule sets (%zu include, %zu exclude)",
                 k->name, ne + ni, ni, ne);
    }
done:
    tl_free(heap);
}
