/* SPDX-License-Identifier: MIT */
/*
 * tasklab mutate: mutation testing of detection rules.
 *
 *  1. Load the ruleset once, learning its rule files in load order; scan them
 *     (rulexml.c) and generate the mutants of the user's own rules.
 *  2. Simulate every scenario once (tl_pipeline_record) and replay it with the
 *     unmutated ruleset, keeping, per manager event, the rule that answered
 *     (id, level, alert logged, AR count) and, per rule, the events on which it
 *     was TRIED (the walk evaluated it) and on which its own conditions MATCHED.
 *     Each event is decoded once (tl_engine_decode): decoding depends on the
 *     decoders only, and every mutant loads the same decoders.
 *  3. Per mutant (in parallel, -j N): load the ruleset with the one rule file
 *     replaced by its mutated text, then per scenario (fewest events first):
 *       a. SKIP when the mutant can provably never be tried in this scenario;
 *       b. QUICK CHECK, when no rule of the ruleset keeps state between events:
 *          run the mutated engine only on the events where the mutant can be
 *          tried and compare each answer with the unmutated one; cheaper forms
 *          for the two commonest kinds of mutant:
 *          b'. a mutant of R's own conditions: evaluate only R' on R's tried
 *              events and compare with where R held;
 *          b''. a level mutant: walk only the events where R's own conditions
 *              hold;
 *       c. otherwise REPLAY the whole recording (manager, AR, logcollector) and
 *          apply the scenario's checks: its expectations and its golden file.
 *     The first scenario whose checks notice the mutant kills it.
 *
 * Why (a) is sound. Two runs of one recording, with the unmutated ruleset and
 * with the mutant, are identical event by event up to the first event on which
 * the mutated rule R' is evaluated: every other rule is byte-for-byte the same,
 * so before that event the same rules match, the same state is kept, the same
 * alerts and AR runs happen and the same logcollector lines come back. R' can
 * only be evaluated on an event when the walk reaches it, which needs its parent
 * to match there (or, at the top level, the event's category). Up to the first
 * such event the runs agree, so that event is also one where the UNMUTATED run
 * reached R's place in the tree:
 *   - for mutants that keep R's place (conditions, patterns, counters, an
 *     if_sid entry removed from several: a subset of the parents, same sibling
 *     order), that is an event where R was TRIED;
 *   - a level change may move R' among its siblings (they are ordered by
 *     level, level 0 first), ahead of one that answered before R was tried:
 *     that is an event where one of R's if_sid parents MATCHED (anywhere when
 *     R hangs by if_group / if_level or at the top level);
 *   - for "if_sid moved to the parent's parent", an event where one of the
 *     grandparents MATCHED;
 *   - a mutant that deletes R's only parent element or its <category> may be
 *     tried anywhere: never skipped.
 * No such event in the unmutated run => no divergence ever => same bytes.
 *
 * Why (b) is sound. When no rule uses frequency/timeframe, if_matched_*,
 * same_ / different_, ignore or check_if_ignored, the engine's choice of rule for an
 * event depends only on the event and the ruleset (the tree walk keeps no
 * state); what follows the choice (firedtimes, alert id, alert text, AR message)
 * depends on the choices made so far and on the chosen rule's output attributes
 * (level included in the comparison; conditions are not in the alert). So if, on
 * every event where R' can be tried, the mutant chooses the same rule id at the
 * same level with the same logged/AR outcome as the unmutated run, and R' is
 * chosen nowhere else (it cannot be: it is not tried elsewhere), the whole run,
 * AR and logcollector included, is identical. Any difference => full replay (c),
 * which decides.
 *
 * Why (b') and (b'') are sound (stateless rulesets, as (b)). The walk visits
 * the same rules in the same order in both runs until it evaluates R / R'.
 * b': R' has R's place, level, children and outputs; where R' holds exactly
 * where R held, every decision of the walk is the same. b'': R' differs from R
 * in its level only, so where R's (= R''s) own conditions fail, the walk
 * passes over R' wherever it sits, as it passed over R; only the events where
 * they hold can differ, and (b) compares those.
 *
 * Killed = some scenario's checks notice: an expectation that held fails, or
 * alerts.json differs from the golden file. Survived = no scenario's checks
 * notice (normally: every scenario's alerts byte-identical to the unmutated run).
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/studies.h"

#include "studies_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum mstatus { M_KILLED = 0, M_SURVIVED, M_EQUIV, M_INVALID };

typedef struct mres {
    enum mstatus status;
    char *killer; /* scenario */
    const char *check; /* "expectation" | "golden" */
    char *reason;      /* equivalent: the allowlist's reason */
    char *error;       /* invalid: the loader's message */
    int unnoticed;     /* survived although some scenario's alerts changed */
    size_t replays;
} mres;

typedef struct u32v {
    uint32_t *v;
    size_t n, cap;
} u32v;

typedef struct evres {
    int rule; /* rule id, 0 = no rule */
    int level;
    unsigned char logged, nar, dropped;
} evres;

typedef struct sdata {
    char *path;
    char *name;
    tl_recording *rec;
    char *expect_json;
    char *golden; /* golden alerts, NULL when none */
    int golden_ok; /* the unmutated run matches it: the golden check is live */
    char *base_alerts;
    int base_failed;
    size_t nev, capev;
    char **lines;      /* freed once decoded */
    tl_decoded **dec;  /* per event, decoded once (NULL: the manager drops it) */
    tl_time *times;
    evres *res;
    u32v *tried;   /* per rule index */
    u32v *matched; /* per rule index */
    size_t cur;    /* feed seq of the event being processed (baseline) */
    const struct study *s;
} sdata;

typedef struct allow {
    int rule_id;
    char *rest; /* "mutation: reason" */
    char *file;
    int line;
    int used;
} allow;

typedef struct study {
    const tl_mutate_opts *o;
    tl_rx_file *files;
    char **file_texts;
    int *own;
    size_t nfiles;
    int *ids; /* sorted rule ids of every scanned file */
    size_t nids;
    int stateful;
    tl_mutants mut;
    mres *res;
    sdata *sc;
    size_t nsc;
    size_t *order; /* scenario evaluation order */
    allow *allow;
    size_t nallow;
    atomic_size_t next;
    size_t nrun; /* mutants to run (limit) */
    tl_status wst;
    tl_diag wd;
    pthread_mutex_t lock;
    size_t nown_rules;
    size_t nown_files;
} study;

struct tl_mutate_report {
    char *profile;
    size_t nsc;
    size_t nrules, nfiles;
    size_t n;
    char **names;
    char **files;
    int *lines;
    int *rule_ids;
    mres *res;
    char ***reaches;
    size_t *nreaches;
    size_t replays;
    char *no_golden; /* scenarios whose golden check is off, ", "-separated */
    size_t n_all;    /* mutants of the whole run, before --shard (for --merge-results) */
};

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static tl_status u32_push(u32v *v, uint32_t x)
{
    if (v->n && v->v[v->n - 1] == x)
        return TL_OK;
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        uint32_t *nv = tl_realloc(v->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->n++] = x;
    return TL_OK;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static long rule_index(const study *s, int id)
{
    const int *p = bsearch(&id, s->ids, s->nids, sizeof *s->ids, cmp_int);
    return p ? (long)(p - s->ids) : -1;
}

/* ---- rule files --------------------------------------------------------------- */

typedef struct pathlist {
    char **v;
    size_t n;
    tl_status st;
} pathlist;

static void on_rule_file(void *ctx, const char *path)
{
    pathlist *l = ctx;
    if (l->st != TL_OK)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], path))
            return;
    char **nv = tl_realloc(l->v, (l->n + 1) * sizeof *nv);
    char *p = tl_strdup(path);
    if (!nv || !p) {
        if (nv)
            l->v = nv;
        tl_free(p);
        l->st = TL_E_NOMEM;
        return;
    }
    l->v = nv;
    l->v[l->n++] = p;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The user's own rule files: the --rules files when there are some; else under
 * --wazuh-dir the etc/ ones; else every file not named as Wazuh names its stock
 * files (NNNN-*.xml; the project's stand-in for them,
 * 0010-tasklab_base_rules.xml, too): a --ruleset's own files, the profile's
 * local_rules.xml and rule pack. */
static int is_own(const tl_mutate_opts *o, const char *path)
{
    for (size_t i = 0; i < o->prof.n_extra_rules; i++)
        if (!strcmp(o->prof.extra_rules[i], path))
            return 1;
    if (o->prof.n_extra_rules)
        return 0;
    if (o->prof.wazuh_dir) {
        size_t l = strlen(o->prof.wazuh_dir);
        return !strncmp(path, o->prof.wazuh_dir, l) && !strncmp(path + l, "/etc/", 5);
    }
    const char *b = base_name(path);
    int stock = strlen(b) > 5 && isdigit((unsigned char)b[0]) && isdigit((unsigned char)b[1]) &&
                isdigit((unsigned char)b[2]) && isdigit((unsigned char)b[3]) && b[4] == '-';
    return !stock;
}

/* ---- allowlist ---------------------------------------------------------------- */

static tl_status load_allow(study *s, const char *path, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    tl_diag sub;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return TL_OK;
    for (size_t i = 0; i < s->nallow; i++)
        if (!strcmp(s->allow[i].file, path))
            return TL_OK;
    tl_status st = tl_file_read(path, &data, &len, &sub);
    if (st != TL_OK) {
        tl_diag_set(d, path, 0, "cannot read: %s", sub.msg);
        return st;
    }
    int line = 0;
    char *p = data;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        char *q = p;
        while (isspace((unsigned char)*q))
            q++;
        size_t ql = strlen(q);
        while (ql && isspace((unsigned char)q[ql - 1]))
            q[--ql] = '\0';
        if (*q && *q != '#') {
            char *e = q;
            while (isdigit((unsigned char)*e))
                e++;
            char *rest = e + 2;
            char *sep = (e > q && e[0] == ':' && e[1] == ' ') ? strstr(rest, ": ") : NULL;
            if (!sep || sep == rest || !sep[2]) {
                tl_diag_set(d, path, line,
                            "malformed line: expected 'rule-id: mutation: reason' "
                            "(e.g. '100531: delete <match>: no event can tell them apart')");
                tl_free(data);
                return TL_E_INVAL;
            }
            allow *nv = tl_realloc(s->allow, (s->nallow + 1) * sizeof *nv);
            if (!nv) {
                tl_free(data);
                return TL_E_NOMEM;
            }
            s->allow = nv;
            allow *a = &s->allow[s->nallow];
            memset(a, 0, sizeof *a);
            a->rule_id = atoi(q);
            a->rest = tl_strdup(rest);
            a->file = tl_strdup(path);
            a->line = line;
            if (!a->rest || !a->file) {
                tl_free(a->rest);
                tl_free(a->file);
                tl_free(data);
                return TL_E_NOMEM;
            }
            s->nallow++;
        }
        p = nl ? nl + 1 : NULL;
    }
    tl_free(data);
    return TL_OK;
}

/* ---- baseline ------------------------------------------------------------------- */

static void base_trace(void *ctx, const char *rule_id, const char *description, int depth,
                       int matched, const char *failed)
{
    sdata *sd = ctx;
    (void)description;
    (void)depth;
    (void)failed;
    long ix = rule_index(sd->s, atoi(rule_id));
    if (ix < 0)
        return;
    if (u32_push(&sd->tried[ix], (uint32_t)sd->cur) != TL_OK ||
        (matched && u32_push(&sd->matched[ix], (uint32_t)sd->cur) != TL_OK))
        sd->nev = (size_t)-1; /* out of memory: noticed after the replay */
}

static void base_feed(void *ctx, size_t seq, const char *line, tl_time now, const tl_result *res)
{
    sdata *sd = ctx;
    if (sd->nev == (size_t)-1)
        return;
    if (sd->nev == sd->capev) {
        size_t nc = sd->capev ? sd->capev * 2 : 256;
        char **nl = tl_realloc(sd->lines, nc * sizeof *nl);
        if (nl)
            sd->lines = nl;
        tl_time *nt = tl_realloc(sd->times, nc * sizeof *nt);
        if (nt)
            sd->times = nt;
        evres *nr = tl_realloc(sd->res, nc * sizeof *nr);
        if (nr)
            sd->res = nr;
        if (!nl || !nt || !nr) {
            sd->nev = (size_t)-1;
            return;
        }
        sd->capev = nc;
    }
    (void)seq;
    size_t i = sd->nev;
    sd->lines[i] = tl_strdup(line);
    sd->times[i] = now;
    memset(&sd->res[i], 0, sizeof sd->res[i]);
    if (!res) {
        sd->res[i].dropped = 1;
    } else if (res->matched) {
        sd->res[i].rule = res->rule_id ? atoi(res->rule_id) : 0;
        sd->res[i].level = res->level;
        sd->res[i].logged = res->alert_json != NULL;
        sd->res[i].nar = (unsigned char)(res->n_ar > 255 ? 255 : res->n_ar);
    }
    if (!sd->lines[i]) {
        sd->nev = (size_t)-1;
        return;
    }
    sd->nev++;
    sd->cur = sd->nev;
}

static tl_status prepare_scenario(study *s, sdata *sd, const tl_ruleset *rs, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_scenario *sc = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    const tl_mutate_opts *o = s->o;
    TL_TRY(tl_scenario_load(sd->path, &sc, d));
    sd->name = tl_strdup(tl_scenario_name(sc));
    sd->expect_json = tl_strdup(tl_scenario_expect_json(sc) ? tl_scenario_expect_json(sc) : "");
    TL_TRY_ALLOC(sd->name);
    TL_TRY_ALLOC(sd->expect_json);
    tl_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.etc_dir = o->etc_dir;
    ro.shared_dir = o->shared_dir;
    TL_TRY(tl_pipeline_record(sc, &ro, &sd->rec, d));
    sd->tried = tl_calloc(s->nids ? s->nids : 1, sizeof *sd->tried);
    sd->matched = tl_calloc(s->nids ? s->nids : 1, sizeof *sd->matched);
    TL_TRY_ALLOC(sd->tried);
    TL_TRY_ALLOC(sd->matched);
    tl_pipeline_replay_opts po;
    memset(&po, 0, sizeof po);
    po.trace = base_trace;
    po.trace_ctx = sd;
    po.on_feed = base_feed;
    po.feed_ctx = sd;
    sd->s = s;
    TL_TRY(tl_pipeline_replay(sd->rec, rs, &po, &res, d));
    if (sd->nev == (size_t)-1)
        TL_FAIL(TL_E_NOMEM);
    sd->base_alerts = res.alerts_json;
    res.alerts_json = NULL;
    /* decode every event once: decoding depends on the decoders only, which
     * every mutant shares (one rule file differs), so the quick check (b)
     * walks these with each mutant instead of decoding again */
    if (sd->nev) {
        tl_engine *e = NULL;
        tl_engine_opts eo = {"wazuh-manager", "node01"};
        sd->dec = tl_calloc(sd->nev, sizeof *sd->dec);
        TL_TRY_ALLOC(sd->dec);
        TL_TRY(tl_engine_new(rs, &eo, &e));
        for (size_t i = 0; i < sd->nev && st == TL_OK; i++) {
            tl_diag dd;
            tl_diag_clear(&dd);
            st = tl_engine_decode(e, sd->lines[i], sd->times[i], &sd->dec[i], &dd);
            if (st == TL_E_PARSE) {
                sd->dec[i] = NULL;
                st = TL_OK;
            }
            tl_free(sd->lines[i]);
            sd->lines[i] = NULL;
        }
        tl_engine_free(e);
        TL_TRY(st);
    }
    if (o->golden_dir) {
        char *gp = NULL;
        tl_buf b = TL_BUF_INIT;
        const char *suffix = res.recorded ? ".alerts.digest" : ".alerts.json";
        tl_buf_printf(&b, "%s/%s%s", o->golden_dir, sd->name, suffix);
        gp = tl_buf_take(&b);
        TL_TRY_ALLOC(gp);
        struct stat sb;
        if (stat(gp, &sb) == 0) {
            size_t len = 0;
            tl_diag sub;
            if (tl_file_read(gp, &sd->golden, &len, &sub) != TL_OK)
                sd->golden = NULL;
        }
        tl_free(gp);
    }
    if (sd->golden) {
        /* a recording scenario's golden file holds digests (tl_golden_alerts_snapshot):
         * they differ exactly when the alerts differ in a compared field */
        const char *suffix;
        char *snap = tl_golden_alerts_snapshot(sd->base_alerts, res.recorded, &suffix);
        TL_TRY_ALLOC(snap);
        sd->golden_ok = !strcmp(sd->golden, snap);
        tl_free(snap);
    }
    {
        tl_buf rep = TL_BUF_INIT;
        st = tl_expect_check(sd->expect_json, o->profile_name, sd->base_alerts, &rep,
                             &sd->base_failed, d);
        tl_buf_free(&rep);
        TL_TRY(st);
    }
cleanup:
    tl_run_result_clear(&res);
    tl_scenario_free(sc);
    return st;
}

static void sdata_clear(study *s, sdata *sd)
{
    for (size_t i = 0; i < sd->nev && sd->nev != (size_t)-1; i++) {
        tl_free(sd->lines[i]);
        if (sd->dec)
            tl_decoded_free(sd->dec[i]);
    }
    tl_free(sd->lines);
    tl_free(sd->dec);
    tl_free(sd->times);
    tl_free(sd->res);
    for (size_t i = 0; sd->tried && i < s->nids; i++)
        tl_free(sd->tried[i].v);
    for (size_t i = 0; sd->matched && i < s->nids; i++)
        tl_free(sd->matched[i].v);
    tl_free(sd->tried);
    tl_free(sd->matched);
    tl_recording_free(sd->rec);
    tl_free(sd->path);
    tl_free(sd->name);
    tl_free(sd->expect_json);
    tl_free(sd->golden);
    tl_free(sd->base_alerts);
}

/* ---- one mutant ------------------------------------------------------------------- */

/* Events where mutant m can first be tried in scenario sd (sorted), or all. */
static tl_status reach_events(const study *s, const tl_mutant *m, const sdata *sd, u32v *out,
                              int *all)
{
    *all = 0;
    memset(out, 0, sizeof *out);
    if (m->reach == TL_REACH_ALL) {
        *all = 1;
        return TL_OK;
    }
    if (m->reach == TL_REACH_TRIED) {
        long ix = rule_index(s, m->rule_id);
        if (ix >= 0)
            *out = sd->tried[ix]; /* borrowed: cap 0 marks it */
        out->cap = 0;
        return TL_OK;
    }
    /* parents: union of their matched lists */
    unsigned char *mark = NULL;
    if (sd->nev) {
        mark = tl_calloc(sd->nev, 1);
        if (!mark)
            return TL_E_NOMEM;
    }
    for (size_t i = 0; i < m->nparents; i++) {
        long ix = rule_index(s, m->parents[i]);
        if (ix < 0)
            continue;
        for (size_t k = 0; k < sd->matched[ix].n; k++)
            mark[sd->matched[ix].v[k]] = 1;
    }
    tl_status st = TL_OK;
    u32v v = {NULL, 0, 0};
    for (size_t e = 0; e < sd->nev && st == TL_OK; e++)
        if (mark[e])
            st = u32_push(&v, (uint32_t)e);
    tl_free(mark);
    if (st != TL_OK) {
        tl_free(v.v);
        return st;
    }
    if (!v.v) {
        v.cap = 1; /* owned, empty */
    }
    *out = v;
    return TL_OK;
}

/* (b') for a mutant of R's own conditions: 1 = R' holds on every event of ev
 * (R's tried events) exactly where R held in the unmutated run. Then every
 * walk is the same: it evaluates the same rules in the same order up to R,
 * and R' answers as R did, with the same children, level and outputs after. */
static tl_status own_same(study *s, const tl_ruleset *rs, const tl_mutant *m, const sdata *sd,
                          const u32v *ev, int *same)
{
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    *same = 1;
    long ix = rule_index(s, m->rule_id);
    if (ix < 0)
        return TL_OK;
    const u32v *mt = &sd->matched[ix];
    tl_status st = tl_engine_new(rs, &eo, &e);
    if (st != TL_OK)
        return st;
    size_t j = 0;
    for (size_t k = 0; k < ev->n && *same; k++) {
        uint32_t i = ev->v[k];
        while (j < mt->n && mt->v[j] < i)
            j++;
        int base = j < mt->n && mt->v[j] == i;
        if (!sd->dec[i]) {
            *same = !base;
            continue;
        }
        int h = tl_engine_rule_holds(e, m->rule_id, sd->dec[i], sd->times[i]);
        *same = h == base;
    }
    tl_engine_free(e);
    return TL_OK;
}

/* (b'') for a level mutant: keep only the events of ev (or of the whole
 * recording when all) on which the rule's own conditions hold. Elsewhere the
 * walk skips R' wherever it sits among its siblings, as it skipped R: both
 * runs answer alike there. ev becomes owned (cap != 0), *all 0. */
static tl_status holds_filter(const tl_ruleset *rs, const tl_mutant *m, const sdata *sd, u32v *ev,
                              int *all)
{
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    u32v out = {NULL, 0, 0};
    tl_status st = tl_engine_new(rs, &eo, &e);
    size_t n = *all ? sd->nev : ev->n;
    for (size_t k = 0; k < n && st == TL_OK; k++) {
        size_t i = *all ? k : ev->v[k];
        if (!sd->dec[i])
            continue;
        if (tl_engine_rule_holds(e, m->rule_id, sd->dec[i], sd->times[i]) != 0)
            st = u32_push(&out, (uint32_t)i);
    }
    tl_engine_free(e);
    if (ev->cap)
        tl_free(ev->v);
    if (st != TL_OK) {
        tl_free(out.v);
        memset(ev, 0, sizeof *ev);
        return st;
    }
    if (!out.cap)
        out.cap = 1;
    *ev = out;
    *all = 0;
    return TL_OK;
}

/* 1 = the mutant answers like the unmutated ruleset on every event of ev. */
static tl_status quick_same(const tl_ruleset *rs, const sdata *sd, const u32v *ev, int all,
                            int *same)
{
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    *same = 1;
    tl_status st = tl_engine_new(rs, &eo, &e);
    if (st != TL_OK)
        return st;
    size_t n = all ? sd->nev : ev->n;
    for (size_t k = 0; k < n && *same; k++) {
        size_t i = all ? k : ev->v[k];
        tl_result r;
        tl_diag d;
        tl_diag_clear(&d);
        if (!sd->dec[i]) { /* the manager drops it whatever the rules */
            *same = sd->res[i].dropped;
            continue;
        }
        st = tl_engine_process_decoded(e, sd->dec[i], sd->times[i], &r, &d);
        if (st != TL_OK)
            break;
        const evres *b = &sd->res[i];
        int rid = r.matched && r.rule_id ? atoi(r.rule_id) : 0;
        *same = !b->dropped && rid == b->rule && (!rid || r.level == b->level) &&
                (r.alert_json != NULL) == b->logged && (r.n_ar > 255 ? 255 : r.n_ar) == b->nar;
    }
    tl_engine_free(e);
    return st;
}

static tl_status run_mutant(study *s, size_t mi, tl_diag *d)
{
    tl_status st = TL_OK;
    const tl_mutant *m = &s->mut.v[mi];
    mres *r = &s->res[mi];
    tl_ruleset *rs = NULL;
    const tl_rx_file *f = m->file;
    /* mutated file text */
    {
        char *buf = tl_malloc(f->len - (m->cut_end - m->cut_start) + strlen(m->repl) + 1);
        TL_TRY_ALLOC(buf);
        size_t n = 0;
        memcpy(buf, f->text, m->cut_start);
        n += m->cut_start;
        memcpy(buf + n, m->repl, strlen(m->repl));
        n += strlen(m->repl);
        memcpy(buf + n, f->text + m->cut_end, f->len - m->cut_end);
        n += f->len - m->cut_end;
        buf[n] = '\0';
        tl_profile_opts po = s->o->prof;
        po.warn = quiet;
        po.warn_ctx = NULL;
        po.rule_file_fn = NULL;
        po.subst_path = f->path;
        po.subst_data = buf;
        po.subst_len = n;
        tl_diag ld;
        tl_diag_clear(&ld);
        st = tl_profile_load(&po, &rs, &ld);
        tl_free(buf);
        if (st == TL_E_NOMEM)
            goto cleanup;
        if (st != TL_OK) {
            char msg[1200];
            tl_diag_format(&ld, msg, sizeof msg);
            r->status = M_INVALID;
            r->error = tl_strdup(msg);
            st = r->error ? TL_OK : TL_E_NOMEM;
            goto cleanup;
        }
    }
    r->status = M_SURVIVED;
    for (size_t oi = 0; oi < s->nsc; oi++) {
        sdata *sd = &s->sc[s->order[oi]];
        u32v ev;
        int all = 0;
        TL_TRY(reach_events(s, m, sd, &ev, &all));
        int empty = !all && ev.n == 0;
        int same = 0;
        if (empty) {
            same = 1; /* (a): never tried here */
        } else if (!s->stateful && m->where_holds) {
            st = holds_filter(rs, m, sd, &ev, &all); /* (b'') then (b) */
            if (st == TL_OK)
                st = quick_same(rs, sd, &ev, 0, &same);
        } else if (!s->stateful && m->own && !all && m->reach == TL_REACH_TRIED) {
            st = own_same(s, rs, m, sd, &ev, &same); /* (b') */
        } else if (!s->stateful) {
            st = quick_same(rs, sd, &ev, all, &same); /* (b) */
        }
        if (ev.cap)
            tl_free(ev.v);
        TL_TRY(st);
        if (same)
            continue;
        /* (c) */
        tl_run_result res;
        memset(&res, 0, sizeof res);
        r->replays++;
        st = tl_pipeline_replay(sd->rec, rs, NULL, &res, d);
        if (st != TL_OK) {
            tl_run_result_clear(&res);
            goto cleanup;
        }
        if (strcmp(res.alerts_json, sd->base_alerts) != 0) {
            int failed = 0;
            tl_buf rep = TL_BUF_INIT;
            tl_diag ed;
            tl_diag_clear(&ed);
            st = tl_expect_check(sd->expect_json, s->o->profile_name, res.alerts_json, &rep,
                                 &failed, &ed);
            tl_buf_free(&rep);
            const char *check = NULL;
            if (st == TL_OK && failed > sd->base_failed)
                check = "expectation";
            else if (sd->golden_ok)
                check = "golden";
            st = TL_OK;
            if (check) {
                r->status = M_KILLED;
                r->check = check;
                r->killer = tl_strdup(sd->name);
                tl_run_result_clear(&res);
                TL_TRY_ALLOC(r->killer);
                break;
            }
            r->unnoticed = 1;
        }
        tl_run_result_clear(&res);
    }
cleanup:
    tl_ruleset_free(rs);
    return st;
}

static void *worker(void *arg)
{
    study *s = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= s->nrun)
            break;
        if (s->res[i].status == M_EQUIV)
            continue;
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st = run_mutant(s, i, &d);
        if (st != TL_OK) {
            pthread_mutex_lock(&s->lock);
            if (s->wst == TL_OK) {
                s->wst = st;
                s->wd = d;
            }
            pthread_mutex_unlock(&s->lock);
            atomic_store(&s->next, s->nrun);
        }
    }
    tl_manager_thread_cleanup();
    return NULL;
}

typedef struct prep_ctx {
    study *s;
    const tl_ruleset *rs;
    atomic_size_t next;
    tl_status st;
    tl_diag d;
    size_t first_bad;
    pthread_mutex_t lock;
} prep_ctx;

static void *prep_worker(void *arg)
{
    prep_ctx *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->s->nsc)
            break;
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st = prepare_scenario(p->s, &p->s->sc[i], p->rs, &d);
        if (st != TL_OK) {
            pthread_mutex_lock(&p->lock);
            if (p->st == TL_OK || i < p->first_bad) {
                p->st = st;
                p->d = d;
                p->first_bad = i;
            }
            pthread_mutex_unlock(&p->lock);
        }
    }
    tl_manager_thread_cleanup();
    return NULL;
}

static study *g_sort_study;
static int cmp_order(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const sdata *p = &g_sort_study->sc[x], *q = &g_sort_study->sc[y];
    if (p->nev != q->nev)
        return p->nev < q->nev ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* ---- the study ------------------------------------------------------------------- */

tl_status tl_mutate_run(const tl_mutate_opts *o, tl_mutate_report **out, tl_diag *d)
{
    tl_status st = TL_OK;
    study s;
    tl_ruleset *rs = NULL;
    pathlist pl = {NULL, 0, TL_OK};
    tl_mutate_report *rep = NULL;
    size_t n_all = 0;
    memset(&s, 0, sizeof s);
    s.o = o;
    pthread_mutex_init(&s.lock, NULL);

    /* 1. the unmutated ruleset and its files */
    {
        tl_profile_opts po = o->prof;
        po.rule_file_fn = on_rule_file;
        po.rule_file_ctx = &pl;
        TL_TRY(tl_profile_load(&po, &rs, d));
        TL_TRY(pl.st);
    }
    s.nfiles = pl.n;
    s.files = tl_calloc(pl.n ? pl.n : 1, sizeof *s.files);
    s.file_texts = tl_calloc(pl.n ? pl.n : 1, sizeof *s.file_texts);
    s.own = tl_calloc(pl.n ? pl.n : 1, sizeof *s.own);
    TL_TRY_ALLOC(s.files);
    TL_TRY_ALLOC(s.file_texts);
    TL_TRY_ALLOC(s.own);
    for (size_t i = 0; i < pl.n; i++) {
        size_t len = 0;
        TL_TRY(tl_file_read(pl.v[i], &s.file_texts[i], &len, d));
        TL_TRY(tl_rx_scan(pl.v[i], s.file_texts[i], len, &s.files[i], d));
        s.own[i] = o->include_stock || is_own(o, pl.v[i]);
        s.stateful |= s.files[i].stateful;
        s.nids += s.files[i].nrules;
    }
    s.ids = tl_calloc(s.nids ? s.nids : 1, sizeof *s.ids);
    TL_TRY_ALLOC(s.ids);
    {
        size_t k = 0;
        for (size_t i = 0; i < s.nfiles; i++)
            for (size_t j = 0; j < s.files[i].nrules; j++)
                s.ids[k++] = s.files[i].rules[j].id;
        qsort(s.ids, s.nids, sizeof *s.ids, cmp_int);
        size_t u = 0;
        for (size_t i = 0; i < s.nids; i++)
            if (!u || s.ids[u - 1] != s.ids[i])
                s.ids[u++] = s.ids[i];
        s.nids = u;
    }
    /* --rule ids must name rules under test */
    for (size_t i = 0; i < o->n_rule_ids; i++) {
        int found = 0;
        for (size_t f = 0; f < s.nfiles && !found; f++)
            for (size_t j = 0; s.own[f] && j < s.files[f].nrules && !found; j++)
                found = s.files[f].rules[j].id == o->rule_ids[i];
        if (!found) {
            tl_diag_set(d, "--rule", 0, "%d: no rule with this id among the rules under test%s",
                        o->rule_ids[i], o->include_stock ? "" : " (stock rules need --include-stock)");
            TL_FAIL(TL_E_INVAL);
        }
    }

    /* 2. mutants, in file order then rule order */
    {
        tl_mutgen_ctx gc;
        memset(&gc, 0, sizeof gc);
        gc.log_alert_level = tl_ruleset_log_alert_level(rs);
        int arl[32];
        size_t narl = tl_ruleset_ar_levels(rs, arl, 32);
        gc.ar_levels = arl;
        gc.n_ar_levels = narl < 32 ? narl : 32;
        gc.files = s.files;
        gc.nfiles = s.nfiles;
        for (size_t f = 0; f < s.nfiles; f++) {
            if (!s.own[f])
                continue;
            s.nown_files++;
            for (size_t j = 0; j < s.files[f].nrules; j++) {
                const tl_rx_rule *r = &s.files[f].rules[j];
                int want = !o->n_rule_ids;
                for (size_t k = 0; k < o->n_rule_ids && !want; k++)
                    want = o->rule_ids[k] == r->id;
                if (!want)
                    continue;
                s.nown_rules++;
                TL_TRY(tl_mutgen_rule(&gc, &s.files[f], r, &s.mut));
            }
            /* the reviewed allowlist next to the rules */
            char *dir = tl_strdup(s.files[f].path);
            TL_TRY_ALLOC(dir);
            char *sl = strrchr(dir, '/');
            if (sl)
                *sl = '\0';
            char *ap = tl_path_join(sl ? dir : ".", "mutants-equivalent.txt");
            tl_free(dir);
            TL_TRY_ALLOC(ap);
            st = load_allow(&s, ap, d);
            tl_free(ap);
            TL_TRY(st);
        }
    }
    s.nrun = s.mut.n;
    if (o->limit > 0 && (size_t)o->limit < s.nrun)
        s.nrun = (size_t)o->limit;
    n_all = s.nrun;
    s.res = tl_calloc(s.mut.n ? s.mut.n : 1, sizeof *s.res);
    TL_TRY_ALLOC(s.res);
    for (size_t i = 0; i < s.mut.n; i++)
        s.res[i].status = M_SURVIVED;
    /* allowlist entries: each must name a mutant (or a rule not selected by --rule) */
    for (size_t a = 0; a < s.nallow; a++) {
        allow *al = &s.allow[a];
        int rule_known = 0, selected = 0;
        for (size_t f = 0; f < s.nfiles; f++)
            for (size_t j = 0; s.own[f] && j < s.files[f].nrules; j++)
                rule_known |= s.files[f].rules[j].id == al->rule_id;
        for (size_t i = 0; i < s.mut.n; i++) {
            const tl_mutant *m = &s.mut.v[i];
            if (m->rule_id != al->rule_id)
                continue;
            selected = 1;
            const char *mut = strchr(m->name, ':') + 2;
            size_t ml = strlen(mut);
            if (!strncmp(al->rest, mut, ml) && !strncmp(al->rest + ml, ": ", 2) && al->rest[ml + 2]) {
                s.res[i].status = M_EQUIV;
                s.res[i].reason = tl_strdup(al->rest + ml + 2);
                TL_TRY_ALLOC(s.res[i].reason);
                al->used = 1;
                break;
            }
        }
        if (!al->used && (selected || !rule_known)) {
            tl_diag_set(d, al->file, al->line,
                        rule_known ? "no such mutant of rule %d (names as `tasklab mutate` prints them)"
                                   : "rule %d is not among the rules under test",
                        al->rule_id);
            TL_FAIL(TL_E_INVAL);
        }
    }

    /* --shard I/N: every N-th mutant from the I-th (the allowlist was checked
     * against all of them above) */
    if (o->shard_n > 0 && o->shard_i >= 1 && o->shard_i <= o->shard_n) {
        size_t k = 0;
        for (size_t i = 0; i < s.mut.n; i++) {
            if (i % (size_t)o->shard_n == (size_t)(o->shard_i - 1)) {
                s.mut.v[k] = s.mut.v[i];
                s.res[k] = s.res[i];
                k++;
            } else {
                tl_free(s.mut.v[i].name);
                tl_free(s.mut.v[i].repl);
                tl_free(s.mut.v[i].parents);
                tl_free(s.res[i].reason);
            }
        }
        s.mut.n = k;
        s.nrun = o->limit > 0 && (size_t)o->limit < k ? (size_t)o->limit : k;
    }

    /* 3. scenarios: record, baseline */
    s.nsc = o->n_scenarios;
    s.sc = tl_calloc(s.nsc ? s.nsc : 1, sizeof *s.sc);
    s.order = tl_calloc(s.nsc ? s.nsc : 1, sizeof *s.order);
    TL_TRY_ALLOC(s.sc);
    TL_TRY_ALLOC(s.order);
    for (size_t i = 0; i < s.nsc; i++) {
        s.sc[i].path = tl_strdup(o->scenarios[i]);
        TL_TRY_ALLOC(s.sc[i].path);
        s.order[i] = i;
    }
    {
        prep_ctx p;
        memset(&p, 0, sizeof p);
        p.s = &s;
        p.rs = rs;
        pthread_mutex_init(&p.lock, NULL);
        tl_studies_run_threads(o->jobs, prep_worker, &p);
        pthread_mutex_destroy(&p.lock);
        if (p.st != TL_OK) {
            *d = p.d;
            TL_FAIL(p.st);
        }
    }
    g_sort_study = &s;
    qsort(s.order, s.nsc, sizeof *s.order, cmp_order);

    /* 4. the mutants */
    tl_studies_run_threads(o->jobs, worker, &s);
    if (s.wst != TL_OK) {
        *d = s.wd;
        TL_FAIL(s.wst);
    }

    /* 5. the report */
    rep = tl_calloc(1, sizeof *rep);
    TL_TRY_ALLOC(rep);
    rep->profile = tl_strdup(o->profile_name ? o->profile_name : "");
    TL_TRY_ALLOC(rep->profile);
    rep->nsc = s.nsc;
    rep->nrules = s.nown_rules;
    rep->nfiles = s.nown_files;
    rep->n = s.nrun;
    rep->n_all = n_all;
    rep->names = tl_calloc(rep->n + 1, sizeof *rep->names);
    rep->files = tl_calloc(rep->n + 1, sizeof *rep->files);
    rep->lines = tl_calloc(rep->n + 1, sizeof *rep->lines);
    rep->rule_ids = tl_calloc(rep->n + 1, sizeof *rep->rule_ids);
    rep->res = tl_calloc(rep->n + 1, sizeof *rep->res);
    rep->reaches = tl_calloc(rep->n + 1, sizeof *rep->reaches);
    rep->nreaches = tl_calloc(rep->n + 1, sizeof *rep->nreaches);
    TL_TRY_ALLOC(rep->names);
    TL_TRY_ALLOC(rep->files);
    TL_TRY_ALLOC(rep->lines);
    TL_TRY_ALLOC(rep->rule_ids);
    TL_TRY_ALLOC(rep->res);
    TL_TRY_ALLOC(rep->reaches);
    TL_TRY_ALLOC(rep->nreaches);
    for (size_t i = 0; i < rep->n; i++) {
        const tl_mutant *m = &s.mut.v[i];
        rep->names[i] = tl_strdup(m->name);
        const char *fp = m->file->path;
        size_t rl = o->display_root ? strlen(o->display_root) : 0;
        if (rl && !strncmp(fp, o->display_root, rl) && fp[rl] == '/')
            fp += rl + 1;
        rep->files[i] = tl_strdup(fp);
        TL_TRY_ALLOC(rep->names[i]);
        TL_TRY_ALLOC(rep->files[i]);
        rep->lines[i] = m->line;
        rep->rule_ids[i] = m->rule_id;
        rep->res[i] = s.res[i];
        memset(&s.res[i], 0, sizeof s.res[i]);
        rep->replays += rep->res[i].replays;
        /* scenarios in which the rule is tried, i.e. its parent matches */
        long ix = rule_index(&s, m->rule_id);
        size_t nr = 0;
        for (size_t k = 0; ix >= 0 && k < s.nsc; k++)
            nr += s.sc[k].tried[ix].n > 0;
        if (nr) {
            rep->reaches[i] = tl_calloc(nr, sizeof *rep->reaches[i]);
            TL_TRY_ALLOC(rep->reaches[i]);
            for (size_t k = 0; k < s.nsc; k++)
                if (s.sc[k].tried[ix].n > 0) {
                    char *nm = tl_strdup(s.sc[k].name);
                    TL_TRY_ALLOC(nm);
                    rep->reaches[i][rep->nreaches[i]++] = nm;
                }
        }
    }
    {
        tl_buf b = TL_BUF_INIT;
        for (size_t k = 0; k < s.nsc; k++)
            if (!s.sc[k].golden_ok && o->golden_dir)
                tl_buf_printf(&b, "%s%s", b.len ? ", " : "", s.sc[k].name);
        tl_buf_puts(&b, "");
        rep->no_golden = tl_buf_take(&b);
        TL_TRY_ALLOC(rep->no_golden);
    }
    *out = rep;
    rep = NULL;

cleanup:
    tl_mutate_report_free(rep);
    for (size_t i = 0; s.sc && i < s.nsc; i++)
        sdata_clear(&s, &s.sc[i]);
    tl_free(s.sc);
    tl_free(s.order);
    for (size_t i = 0; s.res && i < s.mut.n; i++) {
        tl_free(s.res[i].killer);
        tl_free(s.res[i].reason);
        tl_free(s.res[i].error);
    }
    tl_free(s.res);
    tl_mutants_clear(&s.mut);
    for (size_t i = 0; i < s.nallow; i++) {
        tl_free(s.allow[i].rest);
        tl_free(s.allow[i].file);
    }
    tl_free(s.allow);
    for (size_t i = 0; s.files && i < s.nfiles; i++)
        tl_rx_file_clear(&s.files[i]);
    for (size_t i = 0; s.file_texts && i < s.nfiles; i++)
        tl_free(s.file_texts[i]);
    tl_free(s.files);
    tl_free(s.file_texts);
    tl_free(s.own);
    tl_free(s.ids);
    for (size_t i = 0; i < pl.n; i++)
        tl_free(pl.v[i]);
    tl_free(pl.v);
    tl_ruleset_free(rs);
    pthread_mutex_destroy(&s.lock);
    return st;
}

void tl_mutate_report_free(tl_mutate_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        if (r->names)
            tl_free(r->names[i]);
        if (r->files)
            tl_free(r->files[i]);
        if (r->res) {
            tl_free(r->res[i].killer);
            tl_free(r->res[i].reason);
            tl_free(r->res[i].error);
        }
        for (size_t k = 0; r->reaches && r->nreaches && k < r->nreaches[i]; k++)
            tl_free(r->reaches[i][k]);
        if (r->reaches)
            tl_free(r->reaches[i]);
    }
    tl_free(r->names);
    tl_free(r->files);
    tl_free(r->lines);
    tl_free(r->rule_ids);
    tl_free(r->res);
    tl_free(r->reaches);
    tl_free(r->nreaches);
    tl_free(r->profile);
    tl_free(r->no_golden);
    tl_free(r);
}

void tl_mutate_report_counts(const tl_mutate_report *r, size_t *killed, size_t *survived,
                             size_t *equivalent, size_t *invalid, size_t *total)
{
    size_t c[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < r->n; i++)
        c[r->res[i].status]++;
    if (killed)
        *killed = c[M_KILLED];
    if (survived)
        *survived = c[M_SURVIVED];
    if (equivalent)
        *equivalent = c[M_EQUIV];
    if (invalid)
        *invalid = c[M_INVALID];
    if (total)
        *total = r->n;
}

size_t tl_mutate_report_total(const tl_mutate_report *r) { return r->n_all; }

double tl_mutate_report_score(const tl_mutate_report *r)
{
    size_t k, s;
    tl_mutate_report_counts(r, &k, &s, NULL, NULL, NULL);
    return k + s ? 100.0 * (double)k / (double)(k + s) : 100.0;
}

size_t tl_mutate_report_replays(const tl_mutate_report *r)
{
    return r->replays;
}

static const char *status_word(enum mstatus s)
{
    static const char *const w[] = {"killed", "survived", "equivalent", "invalid"};
    return w[s];
}

void tl_mutate_report_text(const tl_mutate_report *r, tl_buf *out)
{
    size_t k, s, e, inv, t;
    tl_mutate_report_counts(r, &k, &s, &e, &inv, &t);
    tl_buf_printf(out, "tasklab mutate: profile %s, %zu rule%s in %zu file%s, %zu scenario%s, %zu mutants\n",
                  r->profile, r->nrules, r->nrules == 1 ? "" : "s", r->nfiles,
                  r->nfiles == 1 ? "" : "s", r->nsc, r->nsc == 1 ? "" : "s", t);
    for (size_t i = 0; i < r->n; i++) {
        const mres *m = &r->res[i];
        if (m->status == M_SURVIVED) {
            tl_buf_printf(out, "SURVIVED    %s\n            %s:%d\n", r->names[i], r->files[i],
                          r->lines[i]);
            if (r->nreaches[i]) {
                tl_buf_printf(out, "            rule tried in %zu scenario%s:", r->nreaches[i],
                              r->nreaches[i] == 1 ? "" : "s");
                for (size_t q = 0; q < r->nreaches[i] && q < 6; q++)
                    tl_buf_printf(out, "%s %s", q ? "," : "", r->reaches[i][q]);
                if (r->nreaches[i] > 6)
                    tl_buf_printf(out, ", ... (--format json lists all)");
                tl_buf_putc(out, '\n');
            } else {
                tl_buf_puts(out, "            no scenario reaches this rule (its parent never matches)\n");
            }
            if (m->unnoticed)
                tl_buf_puts(out, "            (alerts changed in a scenario without golden file or expectation)\n");
        } else if (m->status == M_INVALID) {
            tl_buf_printf(out, "INVALID     %s\n            %s\n", r->names[i], m->error);
        }
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->res[i].status == M_EQUIV)
            tl_buf_printf(out, "EQUIVALENT  %s: %s\n", r->names[i], r->res[i].reason);
    if (r->no_golden && r->no_golden[0])
        tl_buf_printf(out, "note: golden check off (no golden file, or it differs from the unmutated run): %s\n",
                      r->no_golden);
    /* per rule file, in the order the files load */
    for (size_t i = 0; i < r->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(r->files[j], r->files[i]);
        if (seen)
            continue;
        size_t c[4] = {0, 0, 0, 0};
        for (size_t j = i; j < r->n; j++)
            if (!strcmp(r->files[j], r->files[i]))
                c[r->res[j].status]++;
        tl_buf_printf(out, "file %s: %.1f%% (%zu killed, %zu survived, %zu equivalent, %zu invalid)\n",
                      r->files[i], c[0] + c[1] ? 100.0 * (double)c[0] / (double)(c[0] + c[1]) : 100.0,
                      c[0], c[1], c[2], c[3]);
    }
    tl_buf_printf(out, "mutation score %.1f%% (%zu killed, %zu survived; %zu equivalent, %zu invalid not counted)\n",
                  tl_mutate_report_score(r), k, s, e, inv);
}

static void json_str(tl_buf *b, const char *s)
{
    tl_buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            tl_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            tl_buf_puts(b, "\\n");
        else if (c < 0x20)
            tl_buf_printf(b, "\\u%04x", c);
        else
            tl_buf_putc(b, (char)c);
    }
    tl_buf_putc(b, '"');
}

void tl_mutate_report_json(const tl_mutate_report *r, tl_buf *out)
{
    size_t k, s, e, inv, t;
    tl_mutate_report_counts(r, &k, &s, &e, &inv, &t);
    tl_buf_puts(out, "{\"tasklab_mutate\":1,\"profile\":");
    json_str(out, r->profile);
    tl_buf_printf(out, ",\"rules\":%zu,\"scenarios\":%zu,\"score\":%.1f,", r->nrules, r->nsc,
                  tl_mutate_report_score(r));
    tl_buf_printf(out,
                  "\"counts\":{\"killed\":%zu,\"survived\":%zu,\"equivalent\":%zu,\"invalid\":%zu,"
                  "\"total\":%zu},\"mutants\":[",
                  k, s, e, inv, t);
    for (size_t i = 0; i < r->n; i++) {
        const mres *m = &r->res[i];
        tl_buf_puts(out, i ? ",\n{" : "\n{");
        tl_buf_puts(out, "\"name\":");
        json_str(out, r->names[i]);
        tl_buf_printf(out, ",\"rule\":\"%d\",\"mutation\":", r->rule_ids[i]);
        json_str(out, strchr(r->names[i], ':') + 2);
        tl_buf_puts(out, ",\"file\":");
        json_str(out, r->files[i]);
        tl_buf_printf(out, ",\"line\":%d,\"status\":\"%s\"", r->lines[i], status_word(m->status));
        if (m->killer) {
            tl_buf_puts(out, ",\"killed_by\":");
            json_str(out, m->killer);
            tl_buf_printf(out, ",\"check\":\"%s\"", m->check);
        }
        if (m->reason) {
            tl_buf_puts(out, ",\"reason\":");
            json_str(out, m->reason);
        }
        if (m->error) {
            tl_buf_puts(out, ",\"error\":");
            json_str(out, m->error);
        }
        tl_buf_puts(out, ",\"tried_in\":[");
        for (size_t q = 0; q < r->nreaches[i]; q++) {
            if (q)
                tl_buf_putc(out, ',');
            json_str(out, r->reaches[i][q]);
        }
        tl_buf_puts(out, "]}");
    }
    tl_buf_puts(out, "\n]}\n");
}

static void xml_str(tl_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': tl_buf_puts(b, "&lt;"); break;
        case '>': tl_buf_puts(b, "&gt;"); break;
        case '&': tl_buf_puts(b, "&amp;"); break;
        case '"': tl_buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                tl_buf_putc(b, *s);
        }
    }
}

void tl_mutate_report_junit(const tl_mutate_report *r, tl_buf *out)
{
    size_t k, s, e, inv, t;
    tl_mutate_report_counts(r, &k, &s, &e, &inv, &t);
    tl_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    tl_buf_printf(out,
                  "<testsuites><testsuite name=\"tasklab mutate\" tests=\"%zu\" failures=\"%zu\" "
                  "errors=\"0\" skipped=\"%zu\">\n",
                  t, s, e + inv);
    for (size_t i = 0; i < r->n; i++) {
        const mres *m = &r->res[i];
        tl_buf_puts(out, "<testcase classname=\"");
        xml_str(out, r->files[i]);
        tl_buf_puts(out, "\" name=\"");
        xml_str(out, r->names[i]);
        tl_buf_puts(out, "\"");
        if (m->status == M_KILLED) {
            tl_buf_puts(out, "/>\n");
            continue;
        }
        tl_buf_puts(out, ">");
        if (m->status == M_SURVIVED) {
            tl_buf_puts(out, "<failure message=\"survived: no scenario's checks notice it\">");
            xml_str(out, r->files[i]);
            tl_buf_printf(out, ":%d", r->lines[i]);
            tl_buf_puts(out, "</failure>");
        } else {
            tl_buf_puts(out, "<skipped message=\"");
            xml_str(out, m->status == M_EQUIV ? m->reason : m->error);
            tl_buf_puts(out, "\"/>");
        }
        tl_buf_puts(out, "</testcase>\n");
    }
    tl_buf_puts(out, "</testsuite></testsuites>\n");
}
