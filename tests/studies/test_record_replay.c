/* SPDX-License-Identifier: MIT */
/*
 * The seam tasklab mutate stands on: recording a scenario once and replaying
 * it through the manager, execd and the logcollector gives exactly what
 * tl_pipeline_run gives (alerts.json, active-responses.log,
 * scheduled-tasks.log byte for byte), for every scenario of the library with
 * the tasklab profile (the rule pack's AR triggers run the AR), and for a few
 * with the default profile. A difference would make every mutation verdict
 * untrustworthy. The recording a full run hands out (tl_run_opts.record: the
 * report replays it for its other profiles instead of simulating again) is
 * the one tl_pipeline_record makes: same files, same forwarded lines, and its
 * replay gives the run's outputs too. tl_pipeline_replay_many (one replay for
 * several rulesets, each record decoded once) gives each ruleset's
 * tl_pipeline_replay, and so does tl_pipeline_record_replay (the same
 * replays following the simulation, the recording not kept);
 * tl_pipeline_run_also (a run with other rulesets replayed alongside it, each
 * record decoded once for all) gives each ruleset's tl_pipeline_run.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/pipeline.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A recording's endpoint files as text: "step rel del len\n" + data. */
/* The library's scenario files (names, sorted; at most 256), each strdup'd. */
static size_t library_scenarios(const char *scen, char *names[256])
{
    size_t n = 0;
    DIR *dir = opendir(scen);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    return n;
}

static int add_file(void *ctx, size_t step, const char *rel, const char *data, size_t len, int del)
{
    FILE *f = ctx;
    fprintf(f, "%zd %s %d %zu\n", (ssize_t)step, rel, del, len);
    if (data)
        fwrite(data, 1, len, f);
    return 0;
}

static char *files_text(const tl_recording *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(tl_recording_files(r, add_file, f), TL_OK);
    fclose(f);
    return text;
}

static void check_profile(const char *profile, size_t max)
{
    char etc[4096], scen[4096], shared[4096];
    snprintf(etc, sizeof etc, "%s/pipeline/etc", TL_SOURCE_DIR);
    snprintf(scen, sizeof scen, "%s/scenarios", TL_SOURCE_DIR);
    snprintf(shared, sizeof shared, "%s", TL_SHARED_DIR);
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = profile;
    po.etc_dir = etc;
    po.shared_dir = shared;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_profile_load(&po, &rs, &d), TL_OK);

    char *names[256];
    size_t n = library_scenarios(scen, names);
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (checked < max) {
            char path[8500];
            snprintf(path, sizeof path, "%s/%s", scen, names[i]);
            tl_scenario *sc = NULL;
            assert_int_equal(tl_scenario_load(path, &sc, &d), TL_OK);
            tl_run_opts ro;
            memset(&ro, 0, sizeof ro);
            ro.etc_dir = etc;
            ro.shared_dir = shared;
            tl_run_result a, b, c;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            memset(&c, 0, sizeof c);
            tl_recording *runrec = NULL;
            ro.record = &runrec;
            tl_status st = tl_pipeline_run(sc, rs, &ro, &a, &d);
            ro.record = NULL;
            if (st == TL_E_NOTFOUND) { /* a reference Sysmon config without ../shared */
                tl_scenario_free(sc);
                free(names[i]);
                continue;
            }
            assert_int_equal(st, TL_OK);
            tl_recording *rec = NULL;
            assert_int_equal(tl_pipeline_record(sc, &ro, &rec, &d), TL_OK);
            tl_scenario_free(sc);
            assert_int_equal(tl_pipeline_replay(rec, rs, NULL, &b, &d), TL_OK);
            if (strcmp(a.alerts_json, b.alerts_json) || strcmp(a.ar_log, b.ar_log) ||
                strcmp(a.tasks_log, b.tasks_log))
{
                fprintf(stderr, "--- run alerts\n%s--- replay alerts\n%s--- run ar\n%s--- replay ar\n%s"
                        "--- run tasks\n%s--- replay tasks\n%s", a.alerts_json, b.alerts_json,
                        a.ar_log, b.ar_log, a.tasks_log, b.tasks_log);
                fail_msg("%s (%s): replay differs from run (above)", names[i], profile);
            }
            assert_int_equal(a.n_ar_runs, b.n_ar_runs);
            /* the run's own recording */
            assert_non_null(runrec);
            char *fa = files_text(rec), *fb = files_text(runrec);
            if (strcmp(fa, fb))
                fail_msg("%s (%s): the run's recording has other files than "
                         "tl_pipeline_record's:\n--- record\n%s\n--- run\n%s",
                         names[i], profile, fa, fb);
            free(fa);
            free(fb);
            assert_int_equal(tl_recording_forwarded(rec), tl_recording_forwarded(runrec));
            assert_int_equal(tl_pipeline_replay(runrec, rs, NULL, &c, &d), TL_OK);
            if (strcmp(a.alerts_json, c.alerts_json) || strcmp(a.ar_log, c.ar_log) ||
                strcmp(a.tasks_log, c.tasks_log) || a.n_ar_runs != c.n_ar_runs)
                fail_msg("%s (%s): the replay of the run's recording differs from the run",
                         names[i], profile);
            tl_recording_free(runrec);
            tl_recording_free(rec);
            tl_run_result_clear(&a);
            tl_run_result_clear(&b);
            tl_run_result_clear(&c);
            checked++;
        }
        free(names[i]);
    }
    assert_true(checked > 0);
    tl_ruleset_free(rs);
}

static tl_ruleset *load_profile(const char *profile)
{
    char etc[4096];
    snprintf(etc, sizeof etc, "%s/pipeline/etc", TL_SOURCE_DIR);
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = profile;
    po.etc_dir = etc;
    po.shared_dir = TL_SHARED_DIR;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_profile_load(&po, &rs, &d), TL_OK);
    return rs;
}

/* tl_pipeline_replay_many (the report's replays: each record decoded once for
 * every profile) gives, for every scenario and each of its rulesets, what
 * tl_pipeline_replay gives alone. */
static void test_replay_many_matches_replay(void **state)
{
    (void)state;
    char etc[4096], scen[4096];
    snprintf(etc, sizeof etc, "%s/pipeline/etc", TL_SOURCE_DIR);
    snprintf(scen, sizeof scen, "%s/scenarios", TL_SOURCE_DIR);
    tl_ruleset *def = load_profile("default"), *tasklab = load_profile("tasklab");
    const tl_ruleset *rs[3] = {tasklab, def, tasklab};
    char *names[256];
    size_t n = library_scenarios(scen, names), checked = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8500];
        snprintf(path, sizeof path, "%s/%s", scen, names[i]);
        tl_scenario *sc = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        assert_int_equal(tl_scenario_load(path, &sc, &d), TL_OK);
        tl_run_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.etc_dir = etc;
        ro.shared_dir = TL_SHARED_DIR;
        tl_recording *rec = NULL;
        tl_status st = tl_pipeline_record(sc, &ro, &rec, &d);
        if (st == TL_E_NOTFOUND) { /* a reference Sysmon config without ../shared */
            tl_scenario_free(sc);
            free(names[i]);
            continue;
        }
        assert_int_equal(st, TL_OK);
        tl_run_result many[3], live[3];
        tl_status sts[3], lsts[3];
        tl_diag ds[3], lds[3];
        assert_int_equal(tl_pipeline_replay_many(rec, rs, 3, NULL, many, sts, ds), TL_OK);
        /* the same replays following the simulation, nothing kept */
        assert_int_equal(tl_pipeline_record_replay(sc, &ro, rs, 3, NULL, live, lsts, lds, &d),
                         TL_OK);
        tl_scenario_free(sc);
        for (size_t k = 0; k < 3; k++) {
            assert_int_equal(lsts[k], TL_OK);
            if (strcmp(live[k].alerts_json, many[k].alerts_json) ||
                strcmp(live[k].ar_log, many[k].ar_log) ||
                strcmp(live[k].tasks_log, many[k].tasks_log) ||
                live[k].n_ar_runs != many[k].n_ar_runs || live[k].n_records != many[k].n_records ||
                strcmp(live[k].summary, many[k].summary))
                fail_msg("%s (ruleset %zu): tl_pipeline_record_replay differs from "
                         "tl_pipeline_replay_many:\n--- many\n%s--- record_replay\n%s",
                         names[i], k, many[k].alerts_json, live[k].alerts_json);
            tl_run_result_clear(&live[k]);
        }
        for (size_t k = 0; k < 3; k++) {
            tl_run_result one;
            memset(&one, 0, sizeof one);
            assert_int_equal(tl_pipeline_replay(rec, rs[k], NULL, &one, &d), TL_OK);
            assert_int_equal(sts[k], TL_OK);
            if (strcmp(one.alerts_json, many[k].alerts_json) ||
                strcmp(one.ar_log, many[k].ar_log) || strcmp(one.tasks_log, many[k].tasks_log) ||
                one.n_ar_runs != many[k].n_ar_runs || one.n_alerts != many[k].n_alerts ||
                strcmp(one.summary, many[k].summary))
                fail_msg("%s (ruleset %zu): tl_pipeline_replay_many differs from "
                         "tl_pipeline_replay:\n--- one\n%s--- many\n%s",
                         names[i], k, one.alerts_json, many[k].alerts_json);
            tl_run_result_clear(&one);
            tl_run_result_clear(&many[k]);
        }
        tl_recording_free(rec);
        checked++;
        free(names[i]);
    }
    assert_true(checked > 0);
    tl_ruleset_free(def);
    tl_ruleset_free(tasklab);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* tl_pipeline_run_also (the report's timeline run, its other profiles replayed
 * alongside with each record decoded once): the run gives what
 * tl_pipeline_run gives (with the timeline), each replay what a full run with
 * its ruleset gives, for every scenario of the library. */
static void test_run_also_matches_runs(void **state)
{
    (void)state;
    char etc[4096], scen[4096];
    snprintf(etc, sizeof etc, "%s/pipeline/etc", TL_SOURCE_DIR);
    snprintf(scen, sizeof scen, "%s/scenarios", TL_SOURCE_DIR);
    tl_ruleset *def = load_profile("default"), *tasklab = load_profile("tasklab");
    const tl_ruleset *also[2] = {tasklab, def};
    char *names[256];
    size_t n = library_scenarios(scen, names), checked = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8500];
        snprintf(path, sizeof path, "%s/%s", scen, names[i]);
        tl_scenario *sc = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        assert_int_equal(tl_scenario_load(path, &sc, &d), TL_OK);
        tl_run_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.etc_dir = etc;
        ro.shared_dir = TL_SHARED_DIR;
        ro.timeline = 1;
        tl_run_result main_r, one, aout[2];
        tl_status asts[2];
        tl_diag ads[2];
        memset(&main_r, 0, sizeof main_r);
        memset(&one, 0, sizeof one);
        tl_status st = tl_pipeline_run_also(sc, def, &ro, &main_r, &d, also, 2, aout, asts, ads);
        if (st == TL_E_NOTFOUND) { /* a reference Sysmon config without ../shared */
            assert_int_equal(asts[0], TL_E_NOTFOUND);
            tl_scenario_free(sc);
            free(names[i]);
            continue;
        }
        assert_int_equal(st, TL_OK);
        assert_int_equal(tl_pipeline_run(sc, def, &ro, &one, &d), TL_OK);
        if (!same(one.alerts_json, main_r.alerts_json) || !same(one.events_xml, main_r.events_xml) ||
            !same(one.events_digest, main_r.events_digest) ||
            !same(one.timeline_json, main_r.timeline_json) || !same(one.ar_log, main_r.ar_log) ||
            !same(one.tasks_log, main_r.tasks_log) || strcmp(one.summary, main_r.summary))
            fail_msg("%s: tl_pipeline_run_also's run differs from tl_pipeline_run:\n--- run\n%s"
                     "--- run_also\n%s",
                     names[i], one.alerts_json, main_r.alerts_json);
        tl_run_result_clear(&one);
        ro.timeline = 0;
        for (size_t k = 0; k < 2; k++) {
            assert_int_equal(asts[k], TL_OK);
            assert_int_equal(tl_pipeline_run(sc, also[k], &ro, &one, &d), TL_OK);
            if (!same(one.alerts_json, aout[k].alerts_json) || !same(one.ar_log, aout[k].ar_log) ||
                !same(one.tasks_log, aout[k].tasks_log) || one.n_ar_runs != aout[k].n_ar_runs ||
                one.n_alerts != aout[k].n_alerts || one.n_records != aout[k].n_records)
                fail_msg("%s (ruleset %zu): the replay alongside tl_pipeline_run_also differs "
                         "from tl_pipeline_run:\n--- run\n%s--- replay\n%s",
                         names[i], k, one.alerts_json, aout[k].alerts_json);
            tl_run_result_clear(&one);
            tl_run_result_clear(&aout[k]);
        }
        tl_run_result_clear(&main_r);
        tl_scenario_free(sc);
        checked++;
        free(names[i]);
    }
    assert_true(checked > 0);
    tl_ruleset_free(def);
    tl_ruleset_free(tasklab);
}

static void test_replay_matches_run_tasklab(void **state)
{
    (void)state;
    check_profile("tasklab", 1000);
}

static void test_replay_matches_run_default(void **state)
{
    (void)state;
    check_profile("default", 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_matches_run_tasklab),
        cmocka_unit_test(test_replay_matches_run_default),
        cmocka_unit_test(test_replay_many_matches_replay),
        cmocka_unit_test(test_run_also_matches_runs),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
