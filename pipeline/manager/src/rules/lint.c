/* SPDX-License-Identifier: MIT */
/*
 * Checks on a compiled ruleset that the loader cannot make one rule at a
 * time (tasklab lint; the loader's own warnings and errors are the other
 * checks):
 *
 *   shadowed-sibling   a rule that can never match: at each of its parents an
 *                      earlier sibling (analysisd tries children in order and
 *                      the first match wins) has no condition of its own, so
 *                      every event that reaches the parent stops there.
 *                      Example: under 60000, rule A (no <field>, no <match>)
 *                      then rule B (<field name="x">y</field>): B is dead.
 *   description-field  a $(field) in a description that nothing can give a
 *                      value: not a static field, not in any decoder's
 *                      <order>, not tested by the rule or its ancestors, and
 *                      the rule is not on a JSON-decoded branch (decoded_as
 *                      json, or a win./data. name of the eventchannel and
 *                      JSON decoders, whose keys are open-ended).
 *   no-scenario        (when the caller gives the rule ids that fired in the
 *                      scenario library) an alerting rule no scenario reaches.
 */
#include "decode/decoder_int.h"
#include "decode/event_int.h"
#include "rules/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No condition beyond its place in the tree: every event reaching a parent matches it. */
static int unconditional(const tl_rule *r)
{
    return !r->program_name && !r->id_e && !r->system_name && !r->protocol && !r->match &&
           !r->regex && !r->action && !r->url && !r->location && !r->srcport && !r->dstport &&
           !r->user && !r->srcgeoip && !r->dstgeoip && !r->data && !r->extra_data &&
           !r->hostname && !r->status && !r->nfields && !r->srcip && !r->dstip && !r->has_time &&
           !r->weekdays && !r->nlists && !r->check_diff && !r->if_fts && !r->compiled &&
           !r->decoded_as && !r->has_category && !r->frequency && !r->if_matched_sid &&
           !r->if_matched_group && !r->if_matched_regex && !r->ctx && !r->nsame_fields &&
           !r->ndifferent_fields && !r->if_level && !r->missing_list && !r->maxsize &&
           !r->ignore_time && !r->nignore_fields && !r->nckignore_fields;
}

typedef struct parents {
    const tl_rule **v;
    size_t n;
} parents;

/* Parents of every rule, by load index. */
static parents *collect_parents(const tl_ruleset *rs)
{
    parents *p = tl_calloc(rs->nrules ? rs->nrules : 1, sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < rs->nrules; i++) {
        const tl_rule *r = rs->rules[i];
        for (size_t k = 0; k < r->nchildren; k++) {
            parents *q = &p[r->children[k]->idx];
            const tl_rule **nv = tl_realloc(q->v, (q->n + 1) * sizeof *nv);
            if (!nv)
                continue;
            q->v = nv;
            q->v[q->n++] = r;
        }
    }
    return p;
}

/* The unconditional sibling before r among parent's children, or NULL. */
static const tl_rule *shadow_at(const tl_rule *parent, const tl_rule *r)
{
    for (size_t k = 0; k < parent->nchildren && parent->children[k] != r; k++)
        if (unconditional(parent->children[k]))
            return parent->children[k];
    return NULL;
}

/* 1 when r or an ancestor (depth-limited) tests `name` or is JSON-decoded. */
static int branch_gives(const tl_ruleset *rs, const parents *pa, const tl_rule *r,
                        const char *name, int depth)
{
    if (depth > 64)
        return 1; /* a cycle the tree builder let through: do not guess */
    if (r->decoded_as && tl_decoder_set_open_fields(rs->ds, r->decoded_as))
        return 1;
    for (size_t i = 0; i < r->nfields; i++)
        if (tl_ascii_casecmp(r->fields[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < r->nlists; i++)
        if (r->lists[i].field && tl_ascii_casecmp(r->lists[i].field, name) == 0)
            return 1;
    const parents *p = &pa[r->idx];
    for (size_t i = 0; i < p->n; i++)
        if (branch_gives(rs, pa, p->v[i], name, depth + 1))
            return 1;
    return 0;
}

static int producible(const tl_ruleset *rs, const parents *pa, const tl_rule *r, const char *name)
{
    if (tl_static_field_index(name) >= 0)
        return 1;
    static const char *const always[] = {"full_log", "location", "decoder", "agent.name",
                                         "agent.id", "timestamp", "log", NULL};
    for (size_t i = 0; always[i]; i++)
        if (tl_ascii_casecmp(always[i], name) == 0)
            return 1;
    if (!strncmp(name, "win.", 4) || !strncmp(name, "data.", 5) || !strncmp(name, "audit.", 6))
        return 1;
    if (tl_decoder_set_has_field(rs->ds, name))
        return 1;
    return branch_gives(rs, pa, r, name, 0);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

void tl_ruleset_lint(const tl_ruleset *rs, const int *fired, size_t nfired, tl_lint_fn fn,
                     void *ctx)
{
    if (!rs || !fn)
        return;
    parents *pa = collect_parents(rs);
    if (!pa)
        return;
    char msg[600];
    for (size_t i = 0; i < rs->nrules; i++) {
        const tl_rule *r = rs->rules[i];
        if (!r->in_tree)
            continue;
        /* shadowed-sibling: dead at every parent */
        const parents *p = &pa[r->idx];
        const tl_rule *first = NULL;
        size_t dead = 0;
        for (size_t k = 0; k < p->n; k++) {
            const tl_rule *s = shadow_at(p->v[k], r);
            if (s) {
                dead++;
                if (!first)
                    first = s;
            }
        }
        if (p->n && dead == p->n) {
            snprintf(msg, sizeof msg,
                     "rule %d can never match: sibling rule %d (%s:%d) has no condition of its own "
                     "and is tried first under rule %d",
                     r->id, first->id, first->file ? first->file : "?", first->line, p->v[0]->id);
            fn(ctx, r->file, r->line, "shadowed-sibling", msg);
        }
        /* description-field */
        for (const char *d = r->description; d && (d = strstr(d, "$(")) != NULL;) {
            const char *e = strchr(d + 2, ')');
            if (!e)
                break;
            char name[256];
            size_t n = (size_t)(e - d - 2);
            if (n && n < sizeof name) {
                memcpy(name, d + 2, n);
                name[n] = '\0';
                if (!producible(rs, pa, r, name)) {
                    snprintf(msg, sizeof msg,
                             "rule %d: description uses $(%s), a field no decoder of this ruleset "
                             "extracts and no ancestor rule tests",
                             r->id, name);
                    fn(ctx, r->file, r->line, "description-field", msg);
                }
            }
            d = e + 1;
        }
        /* no-scenario */
        if (fired && r->level >= rs->log_alert_level && !r->noalert &&
            !bsearch(&r->id, fired, nfired, sizeof *fired, cmp_int)) {
            snprintf(msg, sizeof msg, "rule %d (level %d) fires in no scenario of the library",
                     r->id, r->level);
            fn(ctx, r->file, r->line, "no-scenario", msg);
        }
    }
    for (size_t i = 0; i < rs->nrules; i++)
        tl_free(pa[i].v);
    tl_free(pa);
}
