/* SPDX-License-Identifier: MIT */
/*
 * tasklab report: runs the library through the coverage study (tasklab/coverage.h)
 * — whose runs under each scenario's own Sysmon config are also the test runs
 * and carry the timeline — judges each own-config run as `tasklab test` does
 * (expectations, then the golden alerts and events), and renders:
 *
 *   index.html      library table, coverage matrix, mutation score (--mutate)
 *   <name>.html     one page per scenario (page.c)
 *   report.css      one stylesheet (screen and A4 print)
 *   report.js       expand/collapse all and table filters; the pages work without it
 *
 * Worked example: `tasklab report --out r scenarios/seed-test-task.json` runs
 * seed-test-task under its own config, sysmon-modular and SwiftOnSecurity with
 * the profiles default and tasklab (6 runs); the two own-config runs are
 * judged against golden/default/seed-test-task.* and golden/tasklab/..., and
 * the default one's timeline becomes r/seed-test-task.html.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/report.h"

#include "html_int.h"
#include "report_int.h"
#include "site_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_report_scen_free(tl_report_scen *s)
{
    tl_free(s->name);
    tl_free(s->title);
    tl_free(s->description);
    tl_free(s->kind);
    tl_free(s->technique);
    tl_free(s->actor);
    tl_free(s->page);
    tl_free(s->html);
    for (size_t p = 0; p < TL_COVERAGE_MAX_PROFILES; p++) {
        tl_report_prof *r = &s->prof[p];
        tl_free(r->why);
        tl_free(r->alerts);
        tl_free(r->golden);
        tl_free(r->timeline);
    }
}

/* Count alert lines and those at level >= 6. */
static void count_alerts(const char *alerts, size_t *n, size_t *ge6)
{
    *n = *ge6 = 0;
    for (const char *p = alerts; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(a, "rule"), "level");
        if (a) {
            (*n)++;
            if (cJSON_IsNumber(lv) && lv->valueint >= TL_COVERAGE_DETECT_LEVEL)
                (*ge6)++;
        }
        cJSON_Delete(a);
        p = nl ? nl + 1 : p + l;
    }
}

typedef struct ctx {
    const tl_report_opts *o;
    tl_report_scen *scen; /* indexed like o->scenarios */
} ctx;

static char *diag_text(const tl_diag *d)
{
    char msg[2048];
    tl_diag_format(d, msg, sizeof msg);
    return tl_strdup(msg);
}

/* The judgement of `tasklab test` on one own-config run. */
static void judge(const ctx *c, size_t prof, const tl_scenario *sc, const tl_run_result *r,
                  tl_report_prof *out)
{
    const tl_report_opts *o = c->o;
    tl_buf rep = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);
    int failed = 0, same_a = 1, same_e = 1;
    if (tl_expect_check_run(tl_scenario_expect_json(sc), o->profiles[prof], r, &rep, &failed,
                            &d) != TL_OK) {
        out->status = TL_REPORT_ERROR;
        out->why = diag_text(&d);
        tl_buf_free(&rep);
        return;
    }
    char gpath[4096];
    const char *asuffix;
    char *asnap = tl_golden_alerts_snapshot(r->alerts_json, r->recorded, &asuffix);
    snprintf(gpath, sizeof gpath, "%s/%s/%s%s", o->golden_dir, o->profiles[prof],
             tl_scenario_name(sc), asuffix);
    if (asnap)
        tl_golden_compare(gpath, asnap, 1, &rep, &same_a, &d);
    else
        same_a = 0;
    tl_free(asnap);
    if (!same_a) {
        char *g = NULL;
        size_t gl = 0;
        if (tl_file_read(gpath, &g, &gl, &d) == TL_OK)
            out->golden = g;
        out->golden_missing = out->golden == NULL;
    }
    const char *suffix;
    char *snap = tl_golden_events_snapshot(r->events_xml, r->events_digest, &suffix);
    snprintf(gpath, sizeof gpath, "%s/%s/%s%s", o->golden_dir, o->profiles[prof],
             tl_scenario_name(sc), suffix);
    if (snap)
        tl_golden_compare(gpath, snap, 0, &rep, &same_e, &d);
    else
        same_e = 0;
    tl_free(snap);
    out->status = (failed || !same_a || !same_e) ? TL_REPORT_FAIL : TL_REPORT_PASS;
    out->expect_failed = failed;
    out->golden_alerts_differ = !same_a;
    out->golden_events_differ = !same_e;
    out->why = tl_buf_take(&rep);
}

/* The page of s (a function of the options and s alone: tl_report_page
 * reads nothing else of the view), into s->html; s->oom when it fails. */
static void render_page(const tl_report_opts *o, tl_report_scen *s)
{
    tl_report_view v = {o, NULL, 0, NULL, NULL};
    tl_buf page = TL_BUF_INIT;
    tl_report_page(&v, s, &page);
    if (tl_buf_status(&page) != TL_OK) {
        tl_buf_free(&page);
        s->oom = 1;
        return;
    }
    s->html_len = page.len;
    s->html = tl_buf_take(&page);
    if (!s->html)
        s->oom = 1;
}

static void judge_run(ctx *c, size_t si, size_t prof, const tl_scenario *sc, tl_status st,
                      const tl_run_result *r, const tl_diag *d);

/* Each own-config run is judged by the worker that ran it; after the
 * scenario's last profile the same worker renders its page (pages are most of
 * the report's own work: rendered here, they run beside the other runs instead
 * of one after another at the end). */
static void on_run(void *vctx, size_t si, size_t conf, size_t prof, const tl_scenario *sc,
                   tl_status st, const tl_run_result *r, const tl_diag *d)
{
    ctx *c = vctx;
    if (conf != 0)
        return;
    judge_run(c, si, prof, sc, st, r, d);
    tl_report_scen *s = &c->scen[si];
    size_t want = 0;
    for (size_t p = 0; p < c->o->n_profiles; p++)
        want += c->o->rulesets[p] != NULL;
    if (++s->n_done == want && !s->oom)
        render_page(c->o, s);
}

static void judge_run(ctx *c, size_t si, size_t prof, const tl_scenario *sc, tl_status st,
                      const tl_run_result *r, const tl_diag *d)
{
    tl_report_prof *out = &c->scen[si].prof[prof];
    out->ran = 1;
    if (st == TL_E_NOTFOUND) {
        out->status = TL_REPORT_SKIP;
        out->why = tl_strdup(d->msg);
        return;
    }
    if (st != TL_OK) {
        out->status = TL_REPORT_ERROR;
        out->why = diag_text(d);
        return;
    }
    judge(c, prof, sc, r, out);
    out->alerts = tl_strdup(r->alerts_json);
    out->timeline = r->timeline_json ? tl_strdup(r->timeline_json) : NULL;
    count_alerts(r->alerts_json, &out->n_alerts, &out->n_ge6);
    out->n_ar = r->n_ar_runs;
    out->n_records = r->n_records;
    if (!out->alerts || (r->timeline_json && !out->timeline))
        c->scen[si].oom = 1;
}

/* Page file name: the scenario name with anything but [A-Za-z0-9._-] as '_'
 * (a loader-checked name is already plain; this is defence in depth). */
static char *page_name(const char *name, size_t idx, const tl_report_scen *all, size_t n)
{
    tl_buf b = TL_BUF_INIT;
    for (const char *p = name; *p && b.len < 120; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || (ch == '.' && b.len);
        tl_buf_putc(&b, ok ? ch : '_');
    }
    if (!b.len || !strcmp(tl_buf_cstr(&b), "index"))
        tl_buf_puts(&b, "_");
    for (size_t i = 0; i < n; i++)
        if (i != idx && all[i].page && !strncmp(all[i].page, tl_buf_cstr(&b), b.len) &&
            !strcmp(all[i].page + b.len, ".html")) {
            tl_buf_printf(&b, "-%zu", idx + 1);
            break;
        }
    tl_buf_puts(&b, ".html");
    return tl_buf_take(&b);
}

static int cmp_scen(const void *a, const void *b)
{
    const tl_report_scen *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Read every input before anything is written: the scenarios (metadata
 * and validation) and the mutation file. */
static tl_status read_inputs(const tl_report_opts *o, tl_report_scen **out_scen, cJSON **out_mut,
                             tl_diag *d)
{
    tl_status st = TL_OK;
    tl_report_scen *scen = NULL;
    cJSON *mutate = NULL;
    size_t n = o->n_scenarios;
    if (!o->out_dir || !o->n_profiles || o->n_profiles > TL_COVERAGE_MAX_PROFILES ||
        !o->n_configs || !o->run) {
        tl_diag_set(d, "report", 0, "bad options");
        return TL_E_INVAL;
    }
    if (o->mutate_json) {
        char *text = NULL;
        size_t len = 0;
        TL_TRY(tl_file_read(o->mutate_json, &text, &len, d));
        const char *end = NULL;
        mutate = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (!mutate || !cJSON_IsObject(mutate)) {
            int line = 1;
            for (const char *p = text; end && p < end && *p; p++)
                line += *p == '\n';
            tl_diag_set(d, o->mutate_json, line, "not a JSON object (tasklab mutate --format json)");
            tl_free(text);
            TL_FAIL(TL_E_PARSE);
        }
        tl_free(text);
        /* the shape `tasklab mutate --format json` writes (README) */
        const char *bad = NULL;
        char mbuf[96];
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(mutate, "tasklab_mutate");
        const cJSON *counts = cJSON_GetObjectItemCaseSensitive(mutate, "counts");
        const cJSON *muts = cJSON_GetObjectItemCaseSensitive(mutate, "mutants");
        const cJSON *score = cJSON_GetObjectItemCaseSensitive(mutate, "score");
        if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
            bad = "$.tasklab_mutate: expected 1 (the output of tasklab mutate --format json)";
        else if (score && !cJSON_IsNumber(score) && !cJSON_IsNull(score))
            bad = "$.score: expected a number (percent)";
        else if (!cJSON_IsObject(counts) ||
                 !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(counts, "killed")) ||
                 !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(counts, "survived")))
            bad = "$.counts: expected an object with numbers killed and survived";
        else if (!cJSON_IsArray(muts))
            bad = "$.mutants: expected an array";
        size_t k = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, muts)
        {
            if (bad)
                break;
            const cJSON *stt = cJSON_GetObjectItemCaseSensitive(x, "status");
            if (!cJSON_IsObject(x) || !cJSON_IsString(stt)) {
                snprintf(mbuf, sizeof mbuf, "$.mutants[%zu]: expected an object with a status", k);
                bad = mbuf;
            }
            k++;
        }
        if (bad) {
            tl_diag_set(d, o->mutate_json, 0, "%s", bad);
            TL_FAIL(TL_E_PARSE);
        }
    }
    scen = tl_calloc(n ? n : 1, sizeof *scen);
    TL_TRY_ALLOC(scen);
    for (size_t i = 0; i < n; i++) {
        tl_scenario *sc = NULL;
        TL_TRY(tl_scenario_load(o->scenarios[i], &sc, d));
        tl_report_scen *s = &scen[i];
        s->index = i;
        s->name = tl_strdup(tl_scenario_name(sc));
        s->title = tl_strdup(tl_scenario_title(sc));
        s->description = tl_strdup(tl_scenario_description(sc));
        s->kind = tl_strdup(tl_scenario_kind(sc) ? tl_scenario_kind(sc) : "");
        s->technique = tl_strdup(tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "");
        s->actor = tl_strdup(tl_scenario_actor(sc) ? tl_scenario_actor(sc) : "");
        s->start = tl_scenario_start(sc);
        s->n_steps = tl_scenario_step_count(sc);
        tl_scenario_free(sc);
        if (!s->name || !s->title || !s->description || !s->kind || !s->technique || !s->actor)
            TL_FAIL(TL_E_NOMEM);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(scen[i].name, scen[j].name)) {
                tl_diag_set(d, o->scenarios[i], 0, "scenario '%s' given twice", scen[i].name);
                TL_FAIL(TL_E_INVAL);
            }
    *out_scen = scen;
    *out_mut = mutate;
    scen = NULL;
    mutate = NULL;
cleanup:
    if (scen)
        for (size_t i = 0; i < n; i++)
            tl_report_scen_free(&scen[i]);
    tl_free(scen);
    cJSON_Delete(mutate);
    return st;
}

tl_status tl_report_check(const tl_report_opts *o, tl_diag *d)
{
    tl_report_scen *scen = NULL;
    cJSON *mutate = NULL;
    tl_status st = read_inputs(o, &scen, &mutate, d);
    if (st == TL_OK) {
        for (size_t i = 0; i < o->n_scenarios; i++)
            tl_report_scen_free(&scen[i]);
        st = tl_site_check(o->out_dir, d);
    }
    tl_free(scen);
    cJSON_Delete(mutate);
    return st;
}

tl_status tl_report_write(const tl_report_opts *o, tl_report_summary *sum, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_report_scen *scen = NULL;
    tl_report_scen *sorted = NULL;
    tl_coverage *cov = NULL;
    tl_site *site = NULL;
    cJSON *mutate = NULL;
    tl_buf page = TL_BUF_INIT;
    size_t n = o->n_scenarios;

    TL_TRY(read_inputs(o, &scen, &mutate, d));
    TL_TRY(tl_site_open(o->out_dir, &site, d));

    ctx c = {o, scen};
    tl_coverage_opts co;
    memset(&co, 0, sizeof co);
    co.scenarios = o->scenarios;
    co.n_scenarios = n;
    co.profiles = o->profiles;
    co.rulesets = o->rulesets;
    co.n_profiles = o->n_profiles;
    co.configs = o->configs;
    co.config_names = o->config_names;
    co.n_configs = o->n_configs;
    co.run = o->run;
    co.timeline_config = 0;
    co.jobs = o->jobs;
    co.on_run = on_run;
    co.ctx = &c;
    TL_TRY(tl_coverage_run(&co, &cov));
    for (size_t i = 0; i < n; i++)
        if (scen[i].oom)
            TL_FAIL(TL_E_NOMEM);
    if (cov->n_load_errors) { /* they loaded above: only a file changed meanwhile */
        tl_diag_set(d, "report", 0, "a scenario file changed while the report ran");
        TL_FAIL(TL_E_IO);
    }

    /* pages are named and listed by scenario name */
    sorted = tl_calloc(n ? n : 1, sizeof *sorted);
    TL_TRY_ALLOC(sorted);
    memcpy(sorted, scen, n * sizeof *scen);
    qsort(sorted, n, sizeof *sorted, cmp_scen);
    for (size_t i = 0; i < n; i++) {
        sorted[i].page = page_name(sorted[i].name, i, sorted, n);
        TL_TRY_ALLOC(sorted[i].page);
    }

    tl_report_view v = {o, sorted, n, cov, mutate};
    tl_report_index(&v, &page);
    TL_TRY(tl_buf_status(&page));
    TL_TRY(tl_site_write(site, "index.html", page.data, page.len, d));
    for (size_t i = 0; i < n; i++) {
        if (!sorted[i].html) { /* a scenario none of whose profiles ran */
            tl_buf_reset(&page);
            tl_report_page(&v, &sorted[i], &page);
            TL_TRY(tl_buf_status(&page));
            TL_TRY(tl_site_write(site, sorted[i].page, page.data, page.len, d));
            continue;
        }
        TL_TRY(tl_site_write(site, sorted[i].page, sorted[i].html, sorted[i].html_len, d));
        tl_free(sorted[i].html); /* written: its memory back before the next page */
        sorted[i].html = NULL;
    }
    TL_TRY(tl_site_write(site, "report.css", tl_report_css, strlen(tl_report_css), d));
    TL_TRY(tl_site_write(site, "report.js", tl_report_js, strlen(tl_report_js), d));
    int old_left = 0;
    TL_TRY(tl_site_commit(site, &old_left, d));
    if (sum) {
        memset(sum, 0, sizeof *sum);
        sum->scenarios = n;
        sum->pages = n + 1;
        sum->old_left = old_left;
        for (size_t i = 0; i < n; i++)
            for (size_t p = 0; p < o->n_profiles; p++) {
                int s = sorted[i].prof[p].status;
                sum->failed += s == TL_REPORT_FAIL;
                sum->errors += s == TL_REPORT_ERROR;
                sum->skipped += s == TL_REPORT_SKIP || !sorted[i].prof[p].ran;
            }
    }
cleanup:
    tl_site_abort(site);
    tl_buf_free(&page);
    if (sorted) { /* owns the strings after the copy (scen's are the same pointers) */
        for (size_t i = 0; i < n; i++)
            tl_report_scen_free(&sorted[i]);
    } else if (scen) {
        for (size_t i = 0; i < n; i++)
            tl_report_scen_free(&scen[i]);
    }
    tl_free(sorted);
    tl_free(scen);
    tl_coverage_free(cov);
    cJSON_Delete(mutate);
    return st;
}
