/* SPDX-License-Identifier: MIT */
/*
 * tasklab test: run scenarios (in parallel with -j N), check each scenario's
 * hand-written expectations, then compare alerts.json and events.xml with the
 * golden snapshots golden/<profile>/<name>.{alerts.json,events.xml}.
 *
 * Results are collected per scenario and printed in input order, so the
 * output does not depend on -j. --bless rewrites snapshots only when every
 * expectation of every scenario passed and no scenario failed to run, each
 * file atomically; it is refused when the CI environment variable is set.
 * The last line is always `N passed, N failed[, N skipped]`.
 *
 * An events.xml larger than TL_GOLDEN_INLINE_MAX (the soak scenario's, tens of
 * MB) is snapshotted as its SHA-256, byte count and line count in
 * <name>.events.xml.sha256 instead of verbatim; `tasklab run --out` shows it.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <cjson/cJSON.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum verdict { V_PASS, V_FAIL, V_SKIP, V_ERROR };

/* The snapshot of events.xml: tl_golden_events_snapshot (pipeline.h). */
static char *events_snapshot(const char *events, const char *digest, const char **suffix)
{
    return tl_golden_events_snapshot(events, digest, suffix);
}

typedef struct item {
    const char *path;
    char name[256];
    enum verdict v;
    int expect_failed;
    tl_buf report;
    char *alerts;
    char *events;
    char *events_digest; /* events.xml streamed by the driver: its .sha256 line */
    int recorded;        /* a recording scenario: alerts snapshotted as digests */
    char summary[512];
    double seconds; /* wall time, for JUnit's time attribute only */
} item;

typedef struct test_ctx {
    item *items;
    size_t n;
    atomic_size_t next;
    const tl_ruleset *rs;
    tl_run_opts ro;
    const char *golden_dir;
    int bless;
    int expect_only; /* --expect-only: no golden comparison */
    const char *profile;
    atomic_size_t done;
    pthread_mutex_t progress_lock;
    tl_cli_progress progress;
} test_ctx;

/* 1 when the scenario's expect JSON (an array, or NULL) has an item. */
static int has_expect_item(const char *expect_json)
{
    if (!expect_json)
        return 0;
    const char *p = expect_json + strspn(expect_json, " \t\r\n");
    if (*p != '[')
        return 1;
    p++;
    p += strspn(p, " \t\r\n");
    return *p && *p != ']';
}

static void run_one(test_ctx *t, item *it)
{
    tl_scenario *sc = NULL;
    tl_expect *ex = NULL;
    tl_run_result res;
    tl_diag d;
    memset(&res, 0, sizeof res);
    tl_diag_clear(&d);
    tl_status st = tl_scenario_load(it->path, &sc, &d);
    if (st != TL_OK) {
        char msg[2048];
        tl_diag_format(&d, msg, sizeof msg);
        tl_buf_printf(&it->report, "  %s\n", msg);
        it->v = V_ERROR;
        snprintf(it->name, sizeof it->name, "%s", it->path);
        return;
    }
    snprintf(it->name, sizeof it->name, "%s", tl_scenario_name(sc));
    if (!has_expect_item(tl_scenario_expect_json(sc)) && tl_scenario_kind(sc) &&
        !strcmp(tl_scenario_kind(sc), "attack")) {
        /* without one, an attack nothing detects would pass on its golden files */
        tl_buf_printf(&it->report,
                      "  %s: $.expect: an attack scenario needs at least one expect item (the "
                      "alerts a person expects from its source; scenarios/README.md)\n",
                      tl_scenario_path(sc));
        it->v = V_ERROR;
        goto done;
    }
    st = tl_expect_new(tl_scenario_expect_json(sc), t->profile, &ex, &d);
    if (st != TL_OK) {
        tl_buf_printf(&it->report, "  %s: %s\n", tl_scenario_path(sc), d.msg);
        it->v = V_ERROR;
        goto done;
    }
    tl_run_opts ro = t->ro;
    ro.expect = ex; /* counts the logged records against the `events` items */
    st = tl_pipeline_run(sc, t->rs, &ro, &res, &d);
    if (st == TL_E_NOTFOUND) {
        tl_buf_printf(&it->report, "  skipped: %s\n", d.msg);
        it->v = V_SKIP;
        goto done;
    }
    if (st != TL_OK) {
        char msg[2048];
        tl_diag_format(&d, msg, sizeof msg);
        tl_buf_printf(&it->report, "  %s\n", msg);
        it->v = V_ERROR;
        goto done;
    }
    snprintf(it->summary, sizeof it->summary, "%s", res.summary);
    int failed = 0;
    tl_expect_data xd = {res.alerts_json, res.tasks_log, res.tasks_json, res.console_json};
    st = tl_expect_finish(ex, &xd, &it->report, &failed, &d);
    if (st != TL_OK) {
        tl_buf_printf(&it->report, "  %s: %s\n", tl_scenario_path(sc), d.msg);
        it->v = V_ERROR;
        goto done;
    }
    if (res.n_ar_failed) {
        /* the AR did not do its job: the alerts cannot be trusted (issue 10) */
        tl_buf_printf(&it->report, "  active response failed (%zu of %zu runs): %s\n",
                      res.n_ar_failed, res.n_ar_runs, res.ar_failure);
        failed = 1;
    }
    it->expect_failed = failed;
    int same_a = 1, same_e = 1;
    if (!t->bless && !t->expect_only) {
        char gpath[4096];
        const char *suffix;
        char *asnap = tl_golden_alerts_snapshot(res.alerts_json, res.recorded, &suffix);
        snprintf(gpath, sizeof gpath, "%s/%s%s", t->golden_dir, it->name, suffix);
        if (asnap)
            tl_golden_compare(gpath, asnap, 1, &it->report, &same_a, &d);
        else
            same_a = 0;
        tl_free(asnap);
        char *snap = events_snapshot(res.events_xml, res.events_digest, &suffix);
        snprintf(gpath, sizeof gpath, "%s/%s%s", t->golden_dir, it->name, suffix);
        if (snap)
            tl_golden_compare(gpath, snap, 0, &it->report, &same_e, &d);
        else
            same_e = 0;
        tl_free(snap);
    }
    it->v = (failed || !same_a || !same_e) ? V_FAIL : V_PASS;
    it->alerts = res.alerts_json;
    it->events = res.events_xml;
    it->events_digest = res.events_digest;
    it->recorded = res.recorded;
    res.alerts_json = NULL;
    res.events_xml = NULL;
    res.events_digest = NULL;
done:
    tl_run_result_clear(&res);
    tl_expect_free(ex);
    tl_scenario_free(sc);
}

static void *worker(void *arg)
{
    test_ctx *t = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&t->next, 1);
        if (i >= t->n)
            break;
        double t0 = tl_cli_monotonic();
        run_one(t, &t->items[i]);
        t->items[i].seconds = tl_cli_monotonic() - t0;
        size_t done = atomic_fetch_add(&t->done, 1) + 1;
        pthread_mutex_lock(&t->progress_lock);
        tl_cli_progress_step(&t->progress, done, t->n);
        pthread_mutex_unlock(&t->progress_lock);
    }
    tl_manager_thread_cleanup();
    return NULL;
}

static void xml_escape(tl_buf *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': tl_buf_puts(f, "&lt;"); break;
        case '>': tl_buf_puts(f, "&gt;"); break;
        case '&': tl_buf_puts(f, "&amp;"); break;
        case '"': tl_buf_puts(f, "&quot;"); break;
        default:
            if ((unsigned char)*s < 32 && *s != '\n' && *s != '\t')
                tl_buf_putc(f, '?');
            else
                tl_buf_putc(f, *s);
        }
    }
}

static int write_junit(const char *path, const char *profile, const tl_cli_run_info *ri,
                       item *items, size_t n)
{
    /* built in memory, then written by tl_file_write_atomic: a link is
     * followed to its target, a FIFO or device written into, never replaced */
    tl_buf out = TL_BUF_INIT;
    tl_buf *f = &out;
    size_t nf = 0, ns = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        nf += items[i].v == V_FAIL || items[i].v == V_ERROR;
        ns += items[i].v == V_SKIP;
        total += items[i].seconds;
    }
    /* the time attributes are the only bytes that differ from run to run */
    tl_buf_printf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    tl_buf_printf(f,
            "<testsuite name=\"tasklab.%s\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
            "time=\"%.3f\">\n",
            profile, n, nf, ns, total);
    {
        /* the run's envelope: which slice of which run (--merge-results) */
        tl_buf env = TL_BUF_INIT;
        tl_cli_run_info_junit(ri, &env);
        tl_buf_puts(f, tl_buf_cstr(&env));
        tl_buf_free(&env);
    }
    for (size_t i = 0; i < n; i++) {
        tl_buf_printf(f, "  <testcase classname=\"golden.%s\" name=\"", profile);
        xml_escape(f, items[i].name);
        tl_buf_printf(f, "\" time=\"%.3f\">", items[i].seconds);
        if (items[i].v == V_SKIP) {
            tl_buf_printf(f, "<skipped message=\"");
            xml_escape(f, tl_buf_cstr(&items[i].report));
            tl_buf_printf(f, "\"/>");
        } else if (items[i].v != V_PASS) {
            tl_buf_printf(f, "<failure message=\"%s\">", items[i].v == V_ERROR ? "error" : "mismatch");
            xml_escape(f, tl_buf_cstr(&items[i].report));
            tl_buf_printf(f, "</failure>");
        }
        tl_buf_printf(f, "</testcase>\n");
    }
    tl_buf_printf(f, "</testsuite>\n");
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_buf_status(&out) != TL_OK) {
        tl_buf_free(&out);
        fprintf(stderr, "tasklab test: %s: out of memory\n", path);
        return 2;
    }
    tl_status st = tl_file_write_atomic(path, out.data, out.len, &d);
    tl_buf_free(&out);
    if (st != TL_OK) {
        tl_cli_error(&d);
        return 2;
    }
    return 0;
}

enum {
    O_T_BLESS = 1,
    O_T_JUNIT,
    O_T_GOLDEN,
    O_T_JOBS,
    O_T_SCENARIOS,
    O_T_EXPECT_ONLY,
    O_T_DRAFT,
    O_T_MERGE
};
static const tl_cli_opt test_opts[] = {
    {"--scenarios", "DIR", O_T_SCENARIOS,
     "scenarios of your own (a rules repository's tasklab/scenarios/), with or beside the library",
     TL_OPT_MULTI},
    {"--golden", "DIR", O_T_GOLDEN, "golden files in DIR (default: golden/<profile> of tasklab)", 0},
    {"--expect-only", NULL, O_T_EXPECT_ONLY, "check the expectations only, no golden file", 0},
    {"--draft-expect", "SCENARIO", O_T_DRAFT,
     "print candidate expect items from one run, to review (never written)", 0},
    {"--bless", NULL, O_T_BLESS, "rewrite the golden files (only when every expectation passes)", 0},
    {"--junit", "FILE", O_T_JUNIT, "also write a JUnit XML report", 0},
    {"-j", "N", O_T_JOBS, "run N scenarios at a time (output order does not change)", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPTS_AR, TL_CLI_OPT_SYSMON_CONFIG, TL_CLI_OPT_SHARD,
    TL_CLI_OPT_MERGE(O_T_MERGE), TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_test_def = {
    "test", "[SCENARIO|DIR...]",
    "check each scenario's expectations, then its golden alerts.json and events.xml",
    test_opts, tl_cli_cmd_test,
    "The last line is `N passed, N failed` (`, N skipped` when some were skipped).\n"
    "A CI matrix: job I runs `tasklab test --shard I/N --junit part-I.xml ...`; a last job\n"
    "runs `tasklab test --merge-results --junit all.xml part-*.xml`: the JUnit report of\n"
    "the unsharded run (times aside: each testcase keeps its own, the suite's is the sum),\n"
    "exit 1 when a test failed, 2 when a part is missing, twice, of another run or broken.\n"};

/* The options that do not change a run's results (the run id leaves them out). */
static const int test_skip_ids[] = {O_T_JUNIT, O_T_JOBS, TL_OC_SHARD, O_T_MERGE,
                                    TL_OC_VERBOSE_WARNINGS, 0};

/* --merge-results: the parts' JUnit into one (merge.c) */
static int merge_junit(const char *junit, char **files, size_t n)
{
    tl_cli_merge_result mr;
    int rc = tl_cli_merge_results("test", files, n, &mr);
    if (!rc) {
        if (junit) {
            tl_diag d;
            tl_diag_clear(&d);
            if (tl_file_write_atomic(junit, tl_buf_cstr(&mr.out), mr.out.len, &d) != TL_OK) {
                tl_cli_error(&d);
                rc = 2;
            }
        } else
            fwrite(tl_buf_cstr(&mr.out), 1, mr.out.len, stdout);
        if (!rc) {
            /* the summary line of the unsharded run, on stderr when the report is on stdout */
            FILE *f = junit ? stdout : stderr;
            size_t np = mr.tests - mr.failures - mr.skipped;
            if (mr.skipped)
                fprintf(f, "%zu passed, %zu failed, %zu skipped\n", np, mr.failures, mr.skipped);
            else
                fprintf(f, "%zu passed, %zu failed\n", np, mr.failures);
            rc = mr.failures ? 1 : 0;
        }
    }
    tl_cli_merge_result_free(&mr);
    return rc;
}

/* --draft-expect: candidate items from one run, one per rule id and level in
 * order of first alert, for a person to review and prune; prints, never writes. */
static int draft_expect(tl_cli_common *c, const char *argv0, const char *path)
{
    int rc = 0;
    tl_scenario *sc = NULL;
    tl_ruleset *rs = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_scenario_load(path, &sc, &d);
    if (st == TL_OK)
        st = tl_cli_load_ruleset(c, &rs, &d);
    if (st == TL_OK) {
        tl_run_opts ro;
        tl_cli_fill_run_opts(c, argv0, &ro);
        st = tl_pipeline_run(sc, rs, &ro, &res, &d);
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto out;
    }
    char ids[256][16];
    int lv[256], cnt[256];
    size_t n = 0;
    for (const char *q = res.alerts_json; q && *q;) {
        const char *nl = strchr(q, '\n');
        size_t l = nl ? (size_t)(nl - q) : strlen(q);
        cJSON *a = cJSON_ParseWithLength(q, l);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(r, "level");
        if (cJSON_IsString(id) && strlen(id->valuestring) < 16) {
            int level = cJSON_IsNumber(lev) ? lev->valueint : 0;
            size_t k;
            for (k = 0; k < n; k++)
                if (!strcmp(ids[k], id->valuestring) && lv[k] == level)
                    break;
            if (k == n && n < 256) {
                snprintf(ids[n], sizeof ids[n], "%s", id->valuestring);
                lv[n] = level;
                cnt[n++] = 0;
            }
            if (k < n)
                cnt[k]++;
        }
        cJSON_Delete(a);
        q = nl ? nl + 1 : q + l;
    }
    printf("\"expect\": [\n");
    for (size_t k = 0; k < n; k++)
        printf("  {\"count\": %d, \"match\": {\"rule.id\": \"%s\", \"rule.level\": %d}, \"why\": "
               "\"TODO: why the source says so\"}%s\n",
               cnt[k], ids[k], lv[k], k + 1 < n ? "," : "");
    printf("]\n");
    fprintf(stderr,
            "tasklab test: %zu candidate item%s from one run of %s with profile %s: keep only "
            "what the source supports (nothing was written)\n",
            n, tl_cli_plural(n), tl_scenario_name(sc), c->profile);
out:
    tl_run_result_clear(&res);
    tl_ruleset_free(rs);
    tl_scenario_free(sc);
    return rc;
}

int tl_cli_cmd_test(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, nargs = 0, bless = 0, jobs = 1, expect_only = 0, merge = 0;
    tl_cli_run_info ri;
    memset(&ri, 0, sizeof ri);
    const char *junit = NULL, *golden_override = NULL, *draft = NULL;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *golden_dir = NULL, *default_scen = NULL;
    tl_cli_list files = {0};
    tl_ruleset *rs = NULL;
    item *items = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_test_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND)
            args[nargs++] = (char *)p.val;
        else if (o == O_T_SCENARIOS)
            args[nargs++] = (char *)p.val;
        else if (o == O_T_EXPECT_ONLY)
            expect_only = 1;
        else if (o == O_T_DRAFT)
            draft = p.val;
        else if (o == O_T_MERGE)
            merge = 1;
        else if (o == O_T_BLESS)
            bless = 1;
        else if (o == O_T_JUNIT)
            junit = p.val;
        else if (o == O_T_GOLDEN)
            golden_override = p.val;
        else if (o == O_T_JOBS) {
            char *end;
            long j = strtol(p.val, &end, 10);
            if (*end || j < 1 || j > 256) {
                fprintf(stderr, "tasklab test: -j needs a number from 1 to 256, not '%s'\n", p.val);
                rc = 2;
                goto done;
            }
            jobs = (int)j;
        } else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (bless && getenv("CI") && *getenv("CI")) {
        fprintf(stderr, "tasklab test: --bless is refused when CI is set\n");
        rc = 2;
        goto done;
    }
    if (draft) {
        rc = draft_expect(&c, argv[0], draft);
        goto done;
    }
    if (merge) {
        rc = merge_junit(junit, args, (size_t)nargs);
        goto done;
    }
    if (bless && expect_only) {
        fprintf(stderr, "tasklab test: --bless and --expect-only exclude each other\n");
        rc = 2;
        goto done;
    }
    if (!nargs) {
        default_scen = tl_path_join(tl_cli_home(), "scenarios");
        args[nargs++] = default_scen;
    }
    if (tl_cli_expand_scenarios(args, nargs, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    /* golden files are named by scenario: two scenarios of one name would share them */
    for (size_t i = 0; i < files.n; i++)
        for (size_t k = i + 1; k < files.n; k++) {
            const char *a = strrchr(files.v[i], '/'), *b = strrchr(files.v[k], '/');
            a = a ? a + 1 : files.v[i];
            b = b ? b + 1 : files.v[k];
            if (!strcmp(a, b)) {
                fprintf(stderr, "tasklab test: %s: a scenario of this name is also given: %s\n",
                        files.v[k], files.v[i]);
                rc = 2;
                goto done;
            }
        }
    if (tl_cli_run_info_init(&ri, &tl_cli_cmd_test_def, argc, argv, test_skip_ids, &files, files.n,
                             1, c.shard_i, c.shard_n) != TL_OK ||
        tl_cli_shard_filter(&files, c.shard_i, c.shard_n) != TL_OK) {
        rc = 2;
        goto done;
    }
    if (golden_override)
        golden_dir = tl_strdup(golden_override);
    else {
        tl_buf b = TL_BUF_INIT;
        tl_buf_printf(&b, "%s/golden/%s", tl_cli_home(), c.profile);
        golden_dir = tl_buf_take(&b);
    }
    /* finish (or roll back) a bless that was killed, and drop the temporary
     * files of dead runs, before anything is compared */
    if (tl_fileset_recover(golden_dir, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_clean_stale(golden_dir);
    tl_status st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st == TL_E_NOTFOUND) {
        printf("skipped: %s\n0 passed, 0 failed, %zu skipped\n", d.msg, files.n);
        rc = 77;
        goto done;
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    items = calloc(files.n ? files.n : 1, sizeof *items);
    if (!items) {
        rc = 2;
        goto done;
    }
    for (size_t i = 0; i < files.n; i++) {
        items[i].path = files.v[i];
        tl_buf_init(&items[i].report);
    }
    test_ctx t;
    memset(&t, 0, sizeof t);
    t.items = items;
    t.n = files.n;
    atomic_init(&t.next, 0);
    atomic_init(&t.done, 0);
    pthread_mutex_init(&t.progress_lock, NULL);
    tl_cli_progress_start(&t.progress, "tasklab test");
    t.rs = rs;
    tl_cli_fill_run_opts(&c, argv[0], &t.ro);
    t.golden_dir = golden_dir;
    t.bless = bless;
    t.expect_only = expect_only;
    /* A user ruleset (--ruleset/--wazuh-dir) stands in for the profile it is
     * compared with: that profile's expectations and golden files apply. */
    t.profile = c.profile;
    /* Wine runs share one prefix: keep them sequential. */
    if (c.ar_mode == TL_AR_WINE)
        jobs = 1;
    if ((size_t)jobs > files.n)
        jobs = files.n ? (int)files.n : 1;
    if (jobs <= 1) {
        worker(&t);
    } else {
        pthread_t *th = calloc((size_t)jobs, sizeof *th);
        int started = 0;
        for (int k = 0; th && k < jobs; k++)
            if (pthread_create(&th[k], NULL, worker, &t) == 0)
                started++;
        if (!started)
            worker(&t);
        for (int k = 0; k < started; k++)
            pthread_join(th[k], NULL);
        free(th);
    }
    tl_cli_progress_end(&t.progress);
    pthread_mutex_destroy(&t.progress_lock);

    size_t np = 0, nf = 0, ns = 0, nerr = 0, nexp = 0;
    for (size_t i = 0; i < files.n; i++) {
        item *it = &items[i];
        const char *tag = it->v == V_PASS   ? "PASS"
                          : it->v == V_SKIP ? "SKIP"
                          : it->v == V_FAIL ? "FAIL"
                                            : "ERROR";
        printf("%-5s %-34s %s\n", tag, it->name, it->v == V_PASS ? it->summary : "");
        if (it->v != V_PASS)
            fputs(tl_buf_cstr(&it->report), stdout);
        np += it->v == V_PASS;
        nf += it->v == V_FAIL;
        ns += it->v == V_SKIP;
        nerr += it->v == V_ERROR;
        nexp += it->expect_failed != 0;
    }
    if (bless) {
        if (nexp || nerr) {
            fprintf(stderr,
                    "tasklab test: --bless refused: %zu scenario%s failed expectations or an "
                    "active response, %zu "
                    "could not run; no golden file was changed\n",
                    nexp, nexp == 1 ? "" : "s", nerr);
            rc = 1;
        } else if (tl_mkdirs(golden_dir, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
        } else {
            size_t nw = 0;
            for (size_t i = 0; i < files.n && rc == 0; i++) {
                item *it = &items[i];
                if (it->v == V_SKIP)
                    continue;
                /* the scenario's golden set changes all-or-nothing, even
                 * when killed (base fileset.c: temporaries, journal, renames) */
                const char *suffix, *asuffix;
                char *snap = events_snapshot(it->events, it->events_digest, &suffix);
                char *asnap = tl_golden_alerts_snapshot(it->alerts, it->recorded, &asuffix);
                char ga[300], gaother[300], ge[300], gother[300];
                snprintf(ga, sizeof ga, "%s%s", it->name, asuffix);
                snprintf(gaother, sizeof gaother, "%s%s", it->name,
                         strcmp(asuffix, ".alerts.json") ? ".alerts.json" : ".alerts.digest");
                snprintf(ge, sizeof ge, "%s%s", it->name, suffix);
                snprintf(gother, sizeof gother, "%s%s", it->name,
                         strcmp(suffix, ".events.xml") ? ".events.xml" : ".events.xml.sha256");
                tl_fileset_entry set[] = {{ga, asnap, asnap ? strlen(asnap) : 0},
                                          {gaother, NULL, 0},
                                          {ge, snap, snap ? strlen(snap) : 0},
                                          {gother, NULL, 0}};
                if (!snap || !asnap || tl_fileset_commit(golden_dir, it->name, set, 4, &d) != TL_OK)
                    rc = 2;
                tl_free(snap);
                tl_free(asnap);
                nw++;
            }
            if (rc)
                tl_cli_error(&d);
            else
                printf("blessed %zu scenario%s into %s\n", nw, nw == 1 ? "" : "s", golden_dir);
        }
    }
    if (junit && write_junit(junit, c.profile, &ri, items, files.n) != 0)
        rc = 2;
    if (ns)
        printf("%zu passed, %zu failed, %zu skipped\n", np, nf + nerr, ns);
    else
        printf("%zu passed, %zu failed\n", np, nf + nerr);
    if (!rc) {
        if (nerr)
            rc = 2;
        else if (nf)
            rc = 1;
        else if (!np && ns)
            rc = 77;
    }
done:
    for (size_t i = 0; items && i < files.n; i++) {
        tl_buf_free(&items[i].report);
        tl_free(items[i].alerts);
        tl_free(items[i].events);
        tl_free(items[i].events_digest);
    }
    free(items);
    tl_ruleset_free(rs);
    tl_cli_list_free(&files);
    tl_cli_common_free(&c);
    tl_cli_run_info_free(&ri);
    tl_free(golden_dir);
    tl_free(default_scen);
    free(args);
    return rc;
}
