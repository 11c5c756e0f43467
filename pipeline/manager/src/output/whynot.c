/* SPDX-License-Identifier: MIT */
/*
 * Why a rule did not match an event (`tasklab explain --why-not RULE`).
 *
 * analysisd walks the rule tree from the top-level rule of the event's
 * category; a rule is only tried when its parent matched, and a parent's
 * children are tried in sibling order until one returns a rule. So a rule R
 * misses an event for one of these reasons, checked in this order:
 *   1. R was tried and one of its own conditions failed (the first one, in
 *      analysisd's order, with the value it saw: logtest -v's reasons);
 *   2. R was never tried because a rule above it (an ancestor: its if_sid /
 *      if_group / if_level / category parents, and theirs) was tried and
 *      failed;
 *   3. R was never tried although a direct parent matched: an earlier
 *      sibling's branch returned a rule first, so the walk stopped;
 *   4. no rule above R was tried at all: the event's category (from its
 *      decoder) is not the one R's tree starts with, or the walk ended in
 *      another branch first;
 *   5. R's conditions held, but the walk went on to a child of R, which is
 *      the event's rule (R "matched" only as part of the chain).
 *
 * The engine's trace sink (tl_engine_set_trace) tells tl_whynot_trace each
 * rule tried, its depth and the first failing condition; the failure is
 * described right away, while the engine still holds the event. A trace
 * call costs a rule lookup; nothing is kept for rules that are not R or one
 * of its ancestors.
 *
 * Worked example (the seed's rule 115006, if_sid 61614, on a Sysmon Event 13):
 *   7 matched, 60000 matched, 60004 matched, 61600 matched, 61614 failed on
 *   `field win.system.eventID` (osregex '^12$' vs value '13')
 *   -> "never tried: its parent 61614 did not match: field win.system.eventID
 *      (osregex '^12$' vs value '13')".
 */
#include "rules/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WN_MAX_DEPTH 64 /* deeper rules are tried, but their parent is not named */
#define WN_SHOWN 3      /* failed ancestors shown per event without verbose */
#define WN_KEPT 64      /* failed ancestors described per event (the rest are counted) */

enum { WN_NONE = 0, WN_ANCESTOR = 1, WN_PARENT = 2, WN_TARGET = 3 };

struct tl_whynot {
    tl_engine *e;
    const tl_rule *target;
    unsigned char *mark; /* by rule idx: WN_* */
    size_t nrules;
    int verbose;
    /* the current walk */
    int stack[WN_MAX_DEPTH];
    size_t tried, target_ok, anc_tried, anc_failed, parent_ok;
    int parent_ok_id;
    int anc_ok_id, anc_ok_depth; /* the deepest rule above the target that matched */
    tl_buf target_lines; /* one line per failed try of the target */
    struct wn_fail {
        int depth;  /* in the walk: the deepest failures are the closest to the target */
        char *text; /* "its parent N did not match: ..." */
    } fails[WN_KEPT];
    size_t nfails;
};

static void drop_fails(tl_whynot *w)
{
    for (size_t i = 0; i < w->nfails; i++)
        tl_free(w->fails[i].text);
    w->nfails = 0;
}

/* Clip a value shown to the user: 160 bytes unless verbose (0 = whole). */
static void put_value(tl_buf *b, const char *s, size_t clip)
{
    size_t n = strlen(s);
    if (clip && n > clip) {
        tl_buf_append(b, s, clip);
        tl_buf_puts(b, "...");
    } else {
        tl_buf_puts(b, s);
    }
}

static const char *expr_type(const tl_expr *x)
{
    switch (tl_expr_get_type(x)) {
    case TL_EXPR_OSMATCH: return "osmatch";
    case TL_EXPR_OSREGEX: return "osregex";
    case TL_EXPR_PCRE2: return "pcre2";
    case TL_EXPR_STRING: return "string";
    }
    return "?";
}

static void expr_detail(tl_buf *b, const tl_expr *x, const char *what, const char *value,
                        size_t clip)
{
    if (!x)
        return;
    tl_buf_printf(b, " (%s%s '", tl_expr_negated(x) ? "negated " : "", expr_type(x));
    put_value(b, tl_expr_pattern(x), clip);
    if (!value) {
        tl_buf_printf(b, "'; %s missing)", what);
    } else {
        tl_buf_printf(b, "' vs %s '", what);
        put_value(b, value, clip);
        tl_buf_puts(b, "')");
    }
}

void tl_rule_failure_detail(const tl_event *ev, const tl_rule *r, const char *failed, size_t clip,
                            tl_buf *b)
{
    if (!ev || !failed)
        return;
    if (!strncmp(failed, "field ", 6)) {
        const char *name = failed + 6;
        for (size_t i = 0; i < r->nfields; i++)
            if (!tl_strcasecmp(r->fields[i].name, name)) {
                expr_detail(b, r->fields[i].e, "value", tl_event_find_field(ev, name), clip);
                break;
            }
    } else if (!strcmp(failed, "decoded_as")) {
        tl_buf_printf(b, " (expected '%s', decoder '%s')", r->decoded_as ? r->decoded_as : "",
                      ev->decoder_name ? ev->decoder_name : "(none)");
    } else if (!strcmp(failed, "match")) {
        expr_detail(b, r->match, "log", ev->log, clip);
    } else if (!strcmp(failed, "regex")) {
        expr_detail(b, r->regex, "log", ev->log, clip);
    } else if (!strcmp(failed, "program_name")) {
        expr_detail(b, r->program_name, "program_name", ev->program_name, clip);
    } else if (!strcmp(failed, "hostname")) {
        expr_detail(b, r->hostname, "hostname", ev->hostname, clip);
    } else if (!strcmp(failed, "location")) {
        expr_detail(b, r->location, "location", ev->location, clip);
    }
}

/* tl_rule_failure_detail, plus what a context failure means (logtest keeps
 * its own wording without it). */
static void detail(const tl_event *ev, const tl_rule *r, const char *failed, size_t clip,
                   tl_buf *b)
{
    if (failed && !strcmp(failed, "context"))
        tl_buf_puts(b, " (frequency / if_matched_*: not enough earlier events in its timeframe)");
    else
        tl_rule_failure_detail(ev, r, failed, clip, b);
}

tl_status tl_whynot_new(tl_engine *e, int rule_id, int verbose, tl_whynot **out)
{
    const tl_ruleset *rs = e->rs;
    const tl_rule *t = tl_ruleset_find(rs, rule_id);
    if (!t || !t->in_tree)
        return TL_E_NOTFOUND;
    tl_whynot *w = tl_calloc(1, sizeof *w);
    if (!w)
        return TL_E_NOMEM;
    w->mark = tl_calloc(rs->nrules ? rs->nrules : 1, 1);
    if (!w->mark) {
        tl_free(w);
        return TL_E_NOMEM;
    }
    w->e = e;
    w->target = t;
    w->nrules = rs->nrules;
    w->verbose = verbose;
    w->anc_ok_depth = -1;
    tl_buf_init(&w->target_lines);
    /* ancestors: every rule with a marked child, to a fixed point (the tree
     * is a few levels deep: a few passes over the child arrays) */
    w->mark[t->idx] = WN_TARGET;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < rs->nrules; i++) {
            const tl_rule *r = rs->rules[i];
            if (w->mark[r->idx] == WN_TARGET)
                continue;
            for (size_t k = 0; k < r->nchildren; k++) {
                unsigned char m = w->mark[r->children[k]->idx];
                unsigned char want = m == WN_TARGET ? WN_PARENT : m ? WN_ANCESTOR : WN_NONE;
                if (want > w->mark[r->idx]) {
                    w->mark[r->idx] = want;
                    changed = 1;
                }
            }
        }
    }
    *out = w;
    return TL_OK;
}

void tl_whynot_free(tl_whynot *w)
{
    if (!w)
        return;
    tl_buf_free(&w->target_lines);
    drop_fails(w);
    tl_free(w->mark);
    tl_free(w);
}

/* The first parent of r that is on the way to the target (load order). */
static const tl_rule *first_parent(const tl_ruleset *rs, const tl_rule *r)
{
    for (size_t i = 0; i < rs->nrules; i++) {
        const tl_rule *p = rs->rules[i];
        for (size_t k = 0; k < p->nchildren; k++)
            if (p->children[k] == r)
                return p;
    }
    return NULL;
}

void tl_whynot_describe(const tl_whynot *w, tl_buf *out)
{
    const tl_rule *t = w->target;
    const tl_ruleset *rs = w->e->rs;
    tl_buf_printf(out, "rule %d (level %d, %s:%d): %s\n", t->id, t->level,
                  t->file ? t->file : "?", t->line, t->description ? t->description : "");
    tl_buf_puts(out, "  hangs under");
    if (t->if_sid)
        tl_buf_printf(out, " if_sid %s", t->if_sid);
    if (t->if_group)
        tl_buf_printf(out, " if_group %s", t->if_group);
    if (t->if_level)
        tl_buf_printf(out, " if_level %d", t->if_level);
    if (!t->if_sid && !t->if_group && !t->if_level)
        tl_buf_printf(out, " nothing: a top-level rule of category %s",
                      tl_category_name(t->category));
    if (t->decoded_as)
        tl_buf_printf(out, "; decoded_as %s", t->decoded_as);
    tl_buf_putc(out, '\n');
    /* one path from the top, through the first parent of each */
    int path[WN_MAX_DEPTH];
    size_t n = 0;
    for (const tl_rule *r = t; r && n < WN_MAX_DEPTH; r = first_parent(rs, r))
        path[n++] = r->id;
    tl_buf_puts(out, "  path:");
    while (n--)
        tl_buf_printf(out, " %d%s", path[n], n ? " >" : "");
    size_t parents = 0;
    for (size_t i = 0; i < w->nrules; i++)
        parents += w->mark[i] == WN_PARENT;
    if (parents > 1)
        tl_buf_printf(out, "  (one of %zu parents)", parents);
    tl_buf_putc(out, '\n');
}

void tl_whynot_trace(tl_whynot *w, const char *rule_id, int depth, int matched,
                     const char *failed)
{
    int id = atoi(rule_id);
    if (depth >= 0 && depth < WN_MAX_DEPTH)
        w->stack[depth] = id;
    const tl_rule *r = tl_ruleset_find(w->e->rs, id);
    if (!r || r->idx >= w->nrules || !w->mark[r->idx])
        return;
    size_t clip = w->verbose ? 0 : 160;
    const tl_event *ev = w->e->have_ev ? &w->e->ev : NULL;
    if (w->mark[r->idx] == WN_TARGET) {
        w->tried++;
        if (matched) {
            w->target_ok++;
            return;
        }
        if (depth > 0 && depth <= WN_MAX_DEPTH)
            tl_buf_printf(&w->target_lines, "tried (its parent %d matched) and failed: %s",
                          w->stack[depth - 1], failed ? failed : "?");
        else
            tl_buf_printf(&w->target_lines, "tried at the top level and failed: %s",
                          failed ? failed : "?");
        detail(ev, r, failed, clip, &w->target_lines);
        tl_buf_putc(&w->target_lines, '\n');
        return;
    }
    w->anc_tried++;
    if (matched && depth > w->anc_ok_depth) {
        w->anc_ok_depth = depth;
        w->anc_ok_id = id;
    }
    if (matched) {
        if (w->mark[r->idx] == WN_PARENT && !w->parent_ok++)
            w->parent_ok_id = id;
        return;
    }
    w->anc_failed++;
    if (w->nfails == WN_KEPT)
        return;
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s %d did not match: %s",
                  w->mark[r->idx] == WN_PARENT ? "its parent" : "rule above it:", id,
                  failed ? failed : "?");
    detail(ev, r, failed, clip, &b);
    char *text = tl_buf_take(&b);
    if (!text)
        return; /* out of memory: the failure is counted, not described */
    w->fails[w->nfails].depth = depth;
    w->fails[w->nfails].text = text;
    w->nfails++;
}



/* Each line of `lines` as "<indent><lead><line>". */
static void put_lines(tl_buf *out, const char *indent, const char *lead, const tl_buf *lines)
{
    const char *p = tl_buf_cstr(lines);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        tl_buf_printf(out, "%s%s", indent, lead);
        tl_buf_append(out, p, n);
        tl_buf_putc(out, '\n');
        p = nl ? nl + 1 : p + n;
    }
}

void tl_whynot_explain(tl_whynot *w, const tl_result *res, const char *indent, tl_buf *out)
{
    const tl_rule *t = w->target;
    const tl_ruleset *rs = w->e->rs;
    const tl_event *ev = w->e->have_ev ? &w->e->ev : NULL;
    int final = res && res->matched && res->rule_id ? atoi(res->rule_id) : 0;
    char lead[64];
    snprintf(lead, sizeof lead, "why not %d: ", t->id);
    if (w->target_ok && final == t->id) {
        tl_buf_printf(out, "%s%sit matched: this is the event's rule (level %d, %s)\n", indent,
                      lead, t->level,
                      res->alert_json ? "alert"
                                      : "no alert: below log_alert_level or no_log");
    } else if (w->target_ok) {
        const tl_rule *f = final ? tl_ruleset_find(rs, final) : NULL;
        if (f)
            tl_buf_printf(out,
                          "%s%sits own conditions hold, but the walk went on to rule %d (level "
                          "%d), the event's rule\n",
                          indent, lead, f->id, f->level);
        else
            tl_buf_printf(out,
                          "%s%sits own conditions hold, but it returns no rule (level 0 "
                          "noalert rules are transparent) and no child matched\n",
                          indent, lead);
    } else if (w->tried) {
        put_lines(out, indent, lead, &w->target_lines);
    } else if (w->anc_failed) {
        /* the deepest failures only (the closest to the rule), unless verbose */
        int deepest = -1;
        size_t at_deepest = 0;
        for (size_t k = 0; k < w->nfails; k++) {
            if (w->fails[k].depth > deepest) {
                deepest = w->fails[k].depth;
                at_deepest = 0;
            }
            at_deepest += w->fails[k].depth == deepest;
        }
        size_t show = w->verbose ? w->nfails : at_deepest < WN_SHOWN ? at_deepest : WN_SHOWN;
        for (size_t i = 0; i < show; i++) {
            /* insertion order by depth, deepest first (a stable selection) */
            size_t best = i;
            for (size_t k = i + 1; k < w->nfails; k++)
                if (w->fails[k].depth > w->fails[best].depth)
                    best = k;
            struct wn_fail f = w->fails[best];
            memmove(w->fails + i + 1, w->fails + i, (best - i) * sizeof *w->fails);
            w->fails[i] = f;
            tl_buf_printf(out, "%s%snever tried: %s\n", indent, lead, f.text);
        }
        if (w->anc_failed > show)
            tl_buf_printf(out, "%s%sand %zu more rule%s above it did not match%s\n", indent, lead,
                          w->anc_failed - show, w->anc_failed - show == 1 ? "" : "s",
                          w->verbose ? "" : " (-v lists them)");
        if (w->parent_ok)
            tl_buf_printf(out,
                          "%s%sits parent %d matched, but the walk ended first at rule %s\n",
                          indent, lead, w->parent_ok_id, final ? res->rule_id : "(none)");
    } else if (w->parent_ok) {
        tl_buf_printf(out,
                      "%s%snever tried: its parent %d matched, but an earlier sibling's branch "
                      "returned rule %s first (siblings are tried in order: level 0 first, then "
                      "by level, highest first)\n",
                      indent, lead, w->parent_ok_id, final ? res->rule_id : "(none)");
    } else if (w->anc_tried && w->anc_ok_id) {
        tl_buf_printf(out,
                      "%s%snever tried: rule %d above it matched, but the walk returned rule %s "
                      "from an earlier branch below it first\n",
                      indent, lead, w->anc_ok_id, final ? res->rule_id : "(none)");
    } else if (w->anc_tried) {
        tl_buf_printf(out, "%s%snever tried: the walk ended at rule %s before it reached %d\n",
                      indent, lead, final ? res->rule_id : "(none)", t->id);
    } else {
        /* the top-level rules the target hangs under, and their categories */
        int same = 0;
        size_t ntops = 0;
        tl_buf tops = TL_BUF_INIT;
        for (size_t i = 0; i < rs->ntop; i++) {
            const tl_rule *top = rs->top[i];
            if (!w->mark[top->idx])
                continue;
            tl_buf_printf(&tops, "%s%d (category %s)", tops.len ? ", " : "", top->id,
                          tl_category_name(top->category));
            same |= ev && top->category == ev->decoder_type;
            ntops++;
        }
        if (ev && !same)
            tl_buf_printf(out,
                          "%s%snever tried: the event's decoder is %s (category %s); rule %d "
                          "hangs under top-level rule%s %s\n",
                          indent, lead, ev->decoder_name ? ev->decoder_name : "(none)",
                          tl_category_name(ev->decoder_type), t->id, ntops == 1 ? "" : "s",
                          tl_buf_cstr(&tops));
        tl_buf_free(&tops);
        if (!ev || same)
            tl_buf_printf(out, "%s%snever tried: the walk ended at rule %s before it reached %d\n",
                          indent, lead, final ? res->rule_id : "(none)", t->id);
    }
    tl_whynot_reset(w);
}

void tl_whynot_reset(tl_whynot *w)
{
    w->tried = w->target_ok = w->anc_tried = w->anc_failed = w->parent_ok = 0;
    w->parent_ok_id = 0;
    w->anc_ok_id = 0;
    w->anc_ok_depth = -1;
    tl_buf_reset(&w->target_lines);
    drop_fails(w);
}
