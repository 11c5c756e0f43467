/* SPDX-License-Identifier: MIT */
/*
 * The coverage study (tasklab coverage, and the matrix of tasklab report):
 * every scenario x Sysmon config x profile through the pipeline, each run
 * summarised by the rules that fired. Scenarios may run on several threads;
 * each writes only its own rows, and the totals and the gaps are computed
 * afterwards in input order, so the result does not depend on `jobs`.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/coverage.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Summarise alerts.json into (rule id, level) entries in order of first
 * appearance. `base` (may be NULL) is the baseline ruleset: a rule it also
 * has does not count towards own_max. */
static void summarise(const char *alerts, const tl_ruleset *base, tl_coverage_cell *c)
{
    c->n_fired = 0;
    c->max_level = c->own_max = 0;
    for (const char *p = alerts; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        p = nl ? nl + 1 : p + l;
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(rule, "level");
        if (cJSON_IsString(id)) {
            int rid = atoi(id->valuestring);
            int level = cJSON_IsNumber(lev) ? lev->valueint : 0;
            size_t k;
            for (k = 0; k < c->n_fired; k++)
                if (c->fired[k].id == rid && c->fired[k].level == level)
                    break;
            if (k == c->n_fired && c->n_fired < TL_COVERAGE_MAX_FIRED) {
                c->fired[k].id = rid;
                c->fired[k].level = level;
                c->fired[k].count = 0;
                c->n_fired++;
            }
            if (k < c->n_fired)
                c->fired[k].count++;
            if (level > c->max_level)
                c->max_level = level;
            if (level > c->own_max && !(base && tl_ruleset_has_rule(base, rid)))
                c->own_max = level;
        }
        cJSON_Delete(a);
    }
}

void tl_coverage_fired_text(const tl_coverage_cell *c, int min, const tl_ruleset *skip,
                            tl_buf *b)
{
    int any = 0;
    for (size_t k = 0; k < c->n_fired; k++) {
        if (c->fired[k].level < min || (skip && tl_ruleset_has_rule(skip, c->fired[k].id)))
            continue;
        tl_buf_printf(b, "%s%d L%d×%d", any ? ", " : "", c->fired[k].id, c->fired[k].level,
                      c->fired[k].count);
        any = 1;
    }
    if (!any)
        tl_buf_puts(b, "—");
}

/* A unit of work: one scenario under one Sysmon config (with the configs that
 * alias its own config, see run_unit). Units run on the worker threads
 * longest first (the soak's 120,000 noise events are most of the library's
 * work; started last it would run alone at the end), each writing only its
 * own rows. */
typedef struct unit {
    size_t scen, config;
    size_t cost; /* estimated: noise events + a constant per run */
} unit;

/* One parse per Sysmon config file (the library's scenarios share three or
 * four; each simulation parsed its own): the simulator's config_loader. The
 * file is read on every call and a config is reused only for the same path
 * and the same bytes, so a run sees what tl_sysmon_config_load would give it;
 * errors are not kept (each run reports its own). Shared by the workers. */
typedef struct cfg_entry {
    char *path;
    char *bytes;
    size_t len;
    tl_sysmon_config *cfg;
} cfg_entry;

typedef struct cfg_cache {
    pthread_mutex_t lock;
    cfg_entry *v;
    size_t n, cap;
} cfg_cache;

static const tl_sysmon_config *cache_find(cfg_cache *c, const char *path, const char *bytes,
                                          size_t len)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].path, path) && c->v[i].len == len &&
            !memcmp(c->v[i].bytes, bytes, len))
            return c->v[i].cfg;
    return NULL;
}

static tl_status cache_load(void *ctx, const char *path, const tl_sysmon_config **out, tl_diag *d)
{
    cfg_cache *c = ctx;
    char *bytes = NULL;
    size_t len = 0;
    tl_sysmon_config *cfg = NULL;
    if (!path) {
        tl_diag_set(d, "", 0, "no configuration path given");
        return TL_E_INVAL;
    }
    tl_status st = tl_file_read(path, &bytes, &len, d);
    if (st != TL_OK)
        return st;
    pthread_mutex_lock(&c->lock);
    const tl_sysmon_config *have = cache_find(c, path, bytes, len);
    pthread_mutex_unlock(&c->lock);
    if (have) {
        tl_free(bytes);
        *out = have;
        return TL_OK;
    }
    st = tl_sysmon_config_load_mem(bytes, len, path, &cfg, d); /* outside the lock */
    if (st != TL_OK) {
        tl_free(bytes);
        return st;
    }
    pthread_mutex_lock(&c->lock);
    have = cache_find(c, path, bytes, len); /* another worker may have been quicker */
    if (!have && c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        cfg_entry *nv = tl_realloc(c->v, nc * sizeof *nv);
        if (nv) {
            c->v = nv;
            c->cap = nc;
        }
    }
    char *pcopy = have ? NULL : tl_strdup(path);
    if (!have && pcopy && c->n < c->cap) {
        c->v[c->n].path = pcopy;
        c->v[c->n].bytes = bytes;
        c->v[c->n].len = len;
        c->v[c->n].cfg = cfg;
        c->n++;
        have = cfg;
        bytes = NULL;
        pcopy = NULL;
        cfg = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    tl_free(pcopy);
    tl_free(bytes);
    tl_sysmon_config_free(cfg);
    if (!have)
        return TL_E_NOMEM;
    *out = have;
    return TL_OK;
}

static void cache_free(cfg_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        tl_free(c->v[i].path);
        tl_free(c->v[i].bytes);
        tl_sysmon_config_free(c->v[i].cfg);
    }
    tl_free(c->v);
    pthread_mutex_destroy(&c->lock);
}

typedef struct study {
    const tl_coverage_opts *o;
    tl_coverage *cov;
    unit *units;
    size_t n_units;
    int *loaded;          /* per row (scenario x config): 1 loaded, 0 not */
    atomic_int *reported; /* per scenario: its load error was told */
    atomic_size_t next;
    atomic_int oom;
    pthread_mutex_t err_lock;
    cfg_cache configs;
} study;

static char *dup_or_empty(const char *s) { return tl_strdup(s ? s : ""); }

static int sharing(const tl_coverage_opts *o)
{
    return o->run->ar_mode == TL_AR_INPROC && !o->run->out_dir && !o->run->trace;
}

/* The run options of config k (the study's config cache loads its Sysmon config). */
static tl_run_opts run_opts(const tl_coverage_opts *o, cfg_cache *configs, size_t k)
{
    tl_run_opts ro = *o->run;
    ro.sysmon_config = o->configs[k];
    ro.timeline = (int)k == o->timeline_config;
    if (!ro.config_loader) {
        ro.config_loader = cache_load;
        ro.config_loader_ctx = configs;
    }
    return ro;
}

/* A full pipeline run of scenario sc under config k and profile p. Shared,
 * the profiles q > p not done yet (done[q] 0) are replayed alongside it
 * (tl_pipeline_run_also: one simulation, each record decoded once for all),
 * their results in res[q], sts[q], ds[q] and done[q] set; without such
 * profiles it hands out its recording (when *rec is still NULL). */
static tl_status full_run(const tl_coverage_opts *o, cfg_cache *configs, const tl_scenario *sc,
                          size_t k, size_t p, tl_recording **rec, tl_run_result *res,
                          tl_status *sts, tl_diag *ds, int *done)
{
    tl_run_opts ro = run_opts(o, configs, k);
    const tl_ruleset *also[TL_COVERAGE_MAX_PROFILES];
    size_t q_of[TL_COVERAGE_MAX_PROFILES], m = 0;
    for (size_t q = p + 1; sharing(o) && q < o->n_profiles; q++)
        if (o->rulesets[q] && !done[q]) {
            also[m] = o->rulesets[q];
            q_of[m++] = q;
        }
    if (!m) {
        ro.record = sharing(o) && !*rec ? rec : NULL;
        return tl_pipeline_run(sc, o->rulesets[p], &ro, &res[p], &ds[p]);
    }
    tl_run_result ares[TL_COVERAGE_MAX_PROFILES];
    tl_status asts[TL_COVERAGE_MAX_PROFILES];
    tl_diag ads[TL_COVERAGE_MAX_PROFILES];
    tl_status st = tl_pipeline_run_also(sc, o->rulesets[p], &ro, &res[p], &ds[p], also, m, ares,
                                        asts, ads);
    if (st != TL_OK)
        return st; /* the profiles after p try a run of their own */
    for (size_t j = 0; j < m; j++) {
        res[q_of[j]] = ares[j];
        sts[q_of[j]] = asts[j];
        ds[q_of[j]] = ads[j];
        done[q_of[j]] = 1;
    }
    return st;
}

/* The index of the scenario's own config (the first NULL one), n_configs when none. */
static size_t own_config(const tl_coverage_opts *o)
{
    for (size_t k = 0; k < o->n_configs; k++)
        if (!o->configs[k])
            return k;
    return o->n_configs;
}

/* Config k names the scenario's own config again (a scenario written for
 * sysmon-modular, its row under sysmon-modular): the same runs as own_k's. */
static int is_alias(const tl_coverage_opts *o, const tl_scenario *sc, size_t k, size_t own_k)
{
    return sharing(o) && own_k < k && o->configs[k] && o->config_names && o->config_names[k] &&
           (int)k != o->timeline_config &&
           !strcmp(tl_scenario_sysmon_config(sc), o->config_names[k]);
}

static void fill_row(study *s, tl_coverage_row *row, size_t i, size_t k, const tl_scenario *sc)
{
    row->scenario_index = i;
    row->config = k;
    row->scenario = dup_or_empty(tl_scenario_name(sc));
    row->kind = dup_or_empty(tl_scenario_kind(sc));
    row->technique = dup_or_empty(tl_scenario_technique(sc));
    row->actor = dup_or_empty(tl_scenario_actor(sc));
    if (!row->scenario || !row->kind || !row->technique || !row->actor)
        atomic_store(&s->oom, 1);
}

/* Runs are shared, never repeated (issue 17: the report's speed):
 *  - the simulation does not depend on the rules, so for each config it is
 *    recorded once (tl_pipeline_record, or the full run below hands out its
 *    recording: tl_run_opts.record) and replayed for every other profile
 *    (tl_pipeline_replay: alerts, AR and logcollector byte-identical to a full
 *    run, checked for the whole library by unit.test_record_replay);
 *  - only the first profile's run under the timeline config is a full run (the
 *    report's page needs its timeline and events); the other profiles' runs
 *    there get its events snapshot, which no rule changes;
 *  - a config that is the scenario's own (a scenario written for
 *    sysmon-modular, its row under sysmon-modular) is the same run: the own
 *    config's unit reuses its results for that row too.
 * Exec and Wine AR modes, an out folder or a trace take full runs, as before. */
static void run_unit(study *s, size_t i, size_t k)
{
    const tl_coverage_opts *o = s->o;
    tl_scenario *sc = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_scenario_load(o->scenarios[i], &sc, &d) != TL_OK) {
        if (o->on_error && !atomic_exchange(&s->reported[i], 1)) {
            pthread_mutex_lock(&s->err_lock);
            o->on_error(o->ctx, &d);
            pthread_mutex_unlock(&s->err_lock);
        }
        return;
    }
    int share = sharing(o);
    size_t own_k = own_config(o);
    if (is_alias(o, sc, k, own_k)) { /* its rows are written by the own config's unit */
        tl_scenario_free(sc);
        return;
    }
    s->loaded[i * o->n_configs + k] = 1;
    /* the own config's results per profile, kept for the alias rows */
    tl_run_result own[TL_COVERAGE_MAX_PROFILES];
    tl_status own_st[TL_COVERAGE_MAX_PROFILES];
    tl_diag own_d[TL_COVERAGE_MAX_PROFILES];
    int keep_own = share && k == own_k;
    memset(own, 0, sizeof own);
    tl_coverage_row *row = &s->cov->rows[i * o->n_configs + k];
    fill_row(s, row, i, k, sc);
    tl_recording *rec = NULL;
    tl_run_result res[TL_COVERAGE_MAX_PROFILES];
    tl_status sts[TL_COVERAGE_MAX_PROFILES];
    tl_diag ds[TL_COVERAGE_MAX_PROFILES];
    int full[TL_COVERAGE_MAX_PROFILES];
    int done[TL_COVERAGE_MAX_PROFILES]; /* replayed alongside a full run */
    const tl_run_result *first = NULL; /* the full run whose events the others share */
    memset(res, 0, sizeof res);
    memset(done, 0, sizeof done);
    /* the full runs first (all of them without sharing; with it, the timeline
     * config's first that succeeds, the profiles after it replayed alongside),
     * which may hand out the recording */
    for (size_t p = 0; p < o->n_profiles; p++) {
        full[p] = 0;
        if (!o->rulesets[p] || done[p])
            continue;
        full[p] = !share || ((int)k == o->timeline_config && !first);
        if (!full[p])
            continue;
        tl_diag_clear(&ds[p]);
        sts[p] = full_run(o, &s->configs, sc, k, p, &rec, res, sts, ds, done);
        if (share && sts[p] == TL_OK)
            first = &res[p];
    }
    /* then the other profiles: one replay of the recording for all of them,
     * each record decoded once (tl_pipeline_replay_many) */
    const tl_ruleset *rrs[TL_COVERAGE_MAX_PROFILES];
    size_t rp_of[TL_COVERAGE_MAX_PROFILES], m = 0;
    for (size_t p = 0; p < o->n_profiles; p++)
        if (o->rulesets[p] && !full[p] && !done[p]) {
            rrs[m] = o->rulesets[p];
            rp_of[m++] = p;
        }
    if (m) {
        tl_run_result mres[TL_COVERAGE_MAX_PROFILES];
        tl_status msts[TL_COVERAGE_MAX_PROFILES];
        tl_diag mds[TL_COVERAGE_MAX_PROFILES];
        tl_status rst = TL_OK;
        tl_diag rd;
        tl_diag_clear(&rd);
        tl_pipeline_replay_opts po;
        memset(&po, 0, sizeof po);
        po.ar_mode = o->run->ar_mode;
        po.ar_exe = o->run->ar_exe;
        if (!rec) { /* simulated once, replayed as it goes, nothing kept */
            tl_run_opts ro = run_opts(o, &s->configs, k);
            ro.timeline = 0;
            rst = tl_pipeline_record_replay(sc, &ro, rrs, m, &po, mres, msts, mds, &rd);
        } else {
            rst = tl_pipeline_replay_many(rec, rrs, m, &po, mres, msts, mds);
        }
        for (size_t j = 0; j < m; j++) {
            size_t p = rp_of[j];
            if (rst != TL_OK) {
                memset(&res[p], 0, sizeof res[p]);
                sts[p] = rst;
                ds[p] = rd;
            } else {
                res[p] = mres[j];
                sts[p] = msts[j];
                ds[p] = mds[j];
            }
        }
    }
    /* in profile order: the events snapshot of the full run, the cells, the callbacks */
    for (size_t p = 0; p < o->n_profiles; p++) {
        if (!o->rulesets[p])
            continue;
        tl_status st = sts[p];
        if (st == TL_OK && !full[p] && first) {
            res[p].events_xml = first->events_xml ? tl_strdup(first->events_xml) : NULL;
            res[p].events_digest = first->events_digest ? tl_strdup(first->events_digest) : NULL;
            res[p].n_records = first->n_records;
            if (!res[p].events_xml && !res[p].events_digest)
                st = TL_E_NOMEM;
        }
        if (st == TL_OK) {
            summarise(res[p].alerts_json, p ? o->rulesets[0] : NULL, &row->cells[p]);
            row->cells[p].ran = 1;
        } else if (st == TL_E_NOMEM) {
            atomic_store(&s->oom, 1);
        }
        if (o->on_run)
            o->on_run(o->ctx, i, k, p, sc, st, &res[p], &ds[p]);
        if (keep_own) { /* kept (and freed) with the unit */
            own[p] = res[p];
            own_st[p] = st;
            own_d[p] = ds[p];
            if (first == &res[p])
                first = &own[p];
            memset(&res[p], 0, sizeof res[p]);
        }
    }
    for (size_t p = 0; p < o->n_profiles; p++)
        tl_run_result_clear(&res[p]);
    tl_recording_free(rec);
    for (size_t a = k + 1; keep_own && a < o->n_configs; a++) {
        if (!is_alias(o, sc, a, own_k))
            continue;
        tl_coverage_row *ar = &s->cov->rows[i * o->n_configs + a];
        s->loaded[i * o->n_configs + a] = 1;
        fill_row(s, ar, i, a, sc);
        for (size_t p = 0; p < o->n_profiles; p++) {
            if (!o->rulesets[p])
                continue;
            if (own_st[p] == TL_OK) {
                summarise(own[p].alerts_json, p ? o->rulesets[0] : NULL, &ar->cells[p]);
                ar->cells[p].ran = 1;
            }
            if (o->on_run)
                o->on_run(o->ctx, i, a, p, sc, own_st[p], &own[p], &own_d[p]);
        }
    }
    for (size_t p = 0; p < TL_COVERAGE_MAX_PROFILES; p++)
        tl_run_result_clear(&own[p]);
    tl_scenario_free(sc);
}

static void *worker(void *arg)
{
    study *s = arg;
    for (;;) {
        size_t u = atomic_fetch_add(&s->next, 1);
        if (u >= s->n_units)
            break;
        run_unit(s, s->units[u].scen, s->units[u].config);
    }
    tl_manager_thread_cleanup();
    return NULL;
}

static int cmp_unit(const void *a, const void *b)
{
    const unit *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->scen != y->scen)
        return x->scen < y->scen ? -1 : 1;
    return (x->config > y->config) - (x->config < y->config);
}

/* The units, longest first: the cost is read from the scenario (a file that
 * does not load costs nothing here; its units report the error). */
static tl_status plan(study *s)
{
    const tl_coverage_opts *o = s->o;
    size_t n = o->n_scenarios * o->n_configs;
    s->units = tl_calloc(n ? n : 1, sizeof *s->units);
    if (!s->units)
        return TL_E_NOMEM;
    for (size_t i = 0; i < o->n_scenarios; i++) {
        size_t cost = 1000; /* the endpoint's baseline, the steps */
        tl_scenario *sc = NULL;
        tl_diag d;
        if (o->jobs > 1 && tl_scenario_load(o->scenarios[i], &sc, &d) == TL_OK)
            cost += tl_scenario_noise_events(sc);
        tl_scenario_free(sc);
        for (size_t k = 0; k < o->n_configs; k++) {
            unit *u = &s->units[s->n_units++];
            u->scen = i;
            u->config = k;
            /* the timeline config's unit does one more run (the full one) */
            u->cost = cost + ((int)k == o->timeline_config ? cost / 2 : 0);
        }
    }
    if (o->jobs > 1)
        qsort(s->units, s->n_units, sizeof *s->units, cmp_unit);
    return TL_OK;
}

void tl_coverage_free(tl_coverage *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_rows; i++) {
        tl_free(c->rows[i].scenario);
        tl_free(c->rows[i].kind);
        tl_free(c->rows[i].technique);
        tl_free(c->rows[i].actor);
    }
    tl_free(c->rows);
    tl_free(c->gaps);
    tl_free(c);
}

/* Totals and gaps, in input order. */
static tl_status tally(const tl_coverage_opts *o, tl_coverage *cov)
{
    tl_buf gaps = TL_BUF_INIT;
    for (size_t r = 0; r < cov->n_rows; r++) {
        const tl_coverage_row *row = &cov->rows[r];
        int attack = !strcmp(row->kind, "attack"), benign = !strcmp(row->kind, "benign");
        const char *cname = o->config_names[row->config];
        for (size_t p = 0; p < o->n_profiles; p++) {
            const tl_coverage_cell *ce = &row->cells[p];
            if (!ce->ran)
                continue;
            int lvl = p ? ce->own_max : ce->max_level;
            char by[160];
            if (p)
                snprintf(by, sizeof by, "%s (its rules not in %s)", o->profiles[p], o->profiles[0]);
            else
                snprintf(by, sizeof by, "%s", o->profiles[p]);
            tl_coverage_sum *s = &cov->sum[p];
            if (attack) {
                s->attack_runs++;
                if (lvl >= TL_COVERAGE_DETECT_LEVEL)
                    s->attack_detected++;
                else
                    tl_buf_printf(&gaps, "- %s (%s, %s): not detected at level >= %d by %s\n",
                                  row->scenario, row->actor, cname, TL_COVERAGE_DETECT_LEVEL, by);
            }
            if (benign) {
                s->benign_runs++;
                if (lvl >= TL_COVERAGE_DETECT_LEVEL) {
                    s->benign_fp++;
                    tl_buf fp = TL_BUF_INIT;
                    tl_coverage_fired_text(ce, TL_COVERAGE_DETECT_LEVEL, p ? o->rulesets[0] : NULL,
                                           &fp);
                    tl_buf_printf(&gaps,
                                  "- %s (benign, %s): false positive at level %d by %s: %s\n",
                                  row->scenario, cname, lvl, by, tl_buf_cstr(&fp));
                    tl_buf_free(&fp);
                }
            }
        }
    }
    cov->gaps = tl_buf_take(&gaps);
    return cov->gaps ? TL_OK : TL_E_NOMEM;
}

tl_status tl_coverage_run(const tl_coverage_opts *o, tl_coverage **out)
{
    tl_status st = TL_OK;
    study s;
    tl_coverage *cov = NULL;
    tl_coverage_row *rows = NULL;
    size_t total = 0;
    memset(&s, 0, sizeof s);
    if (!o || !o->n_profiles || o->n_profiles > TL_COVERAGE_MAX_PROFILES || !o->n_configs ||
        !o->run)
        return TL_E_INVAL;
    if (o->n_scenarios && o->n_configs > SIZE_MAX / o->n_scenarios)
        return TL_E_LIMIT;
    total = o->n_scenarios * o->n_configs;
    cov = tl_calloc(1, sizeof *cov);
    TL_TRY_ALLOC(cov);
    cov->n_profiles = o->n_profiles;
    rows = tl_calloc(total ? total : 1, sizeof *rows);
    TL_TRY_ALLOC(rows);
    s.loaded = tl_calloc(total ? total : 1, sizeof *s.loaded);
    TL_TRY_ALLOC(s.loaded);
    s.reported = tl_calloc(o->n_scenarios ? o->n_scenarios : 1, sizeof *s.reported);
    TL_TRY_ALLOC(s.reported);
    for (size_t i = 0; i < o->n_scenarios; i++)
        atomic_init(&s.reported[i], 0);
    s.o = o;
    s.cov = cov;
    cov->rows = rows;
    cov->n_rows = total;
    atomic_init(&s.next, 0);
    atomic_init(&s.oom, 0);
    TL_TRY(plan(&s));
    pthread_mutex_init(&s.err_lock, NULL);
    pthread_mutex_init(&s.configs.lock, NULL);
    int jobs = o->jobs > 1 ? o->jobs : 1;
    if ((size_t)jobs > s.n_units)
        jobs = s.n_units ? (int)s.n_units : 1;
    if (jobs == 1) {
        worker(&s);
    } else {
        pthread_t th[16];
        int n = jobs > 16 ? 16 : jobs, started = 0;
        for (int t = 0; t < n; t++)
            if (pthread_create(&th[t], NULL, worker, &s) == 0)
                started++;
            else
                break;
        if (!started)
            worker(&s);
        for (int t = 0; t < started; t++)
            pthread_join(th[t], NULL);
    }
    pthread_mutex_destroy(&s.err_lock);
    cache_free(&s.configs);
    if (atomic_load(&s.oom))
        TL_FAIL(TL_E_NOMEM);
    /* drop the rows of scenarios that did not load (any of whose units could
     * not load it: a file that changed meanwhile), keeping the order */
    size_t w = 0;
    for (size_t i = 0; i < o->n_scenarios; i++) {
        int all = 1;
        for (size_t k = 0; k < o->n_configs; k++)
            all &= s.loaded[i * o->n_configs + k];
        if (!all) {
            cov->n_load_errors++;
            for (size_t k = 0; k < o->n_configs; k++) {
                tl_coverage_row *row = &rows[i * o->n_configs + k];
                tl_free(row->scenario);
                tl_free(row->kind);
                tl_free(row->technique);
                tl_free(row->actor);
                memset(row, 0, sizeof *row);
            }
            continue;
        }
        for (size_t k = 0; k < o->n_configs; k++)
            rows[w++] = rows[i * o->n_configs + k];
    }
    cov->n_rows = w;
    TL_TRY(tally(o, cov));
    *out = cov;
    cov = NULL;
cleanup:
    tl_free(s.loaded);
    tl_free(s.reported);
    tl_free(s.units);
    tl_coverage_free(cov);
    return st;
}
