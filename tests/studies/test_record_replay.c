/* SPDX-License-Identifier: MIT */
/*
 * The seam tasklab mutate stands on: recording a scenario once and replaying
 * it through the manager, execd and the logcollector gives exactly what
 * tl_pipeline_run gives (alerts.json, active-responses.log,
 * scheduled-tasks.log byte for byte), for every scenario of the library with
 * the tasklab profile (the rule pack's AR triggers run the AR), and for a few
 * with the default profile. A difference would make every mutation verdict
 * untrustworthy.
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

#include <cmocka.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
            tl_run_result a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            tl_status st = tl_pipeline_run(sc, rs, &ro, &a, &d);
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
            tl_recording_free(rec);
            tl_run_result_clear(&a);
            tl_run_result_clear(&b);
            checked++;
        }
        free(names[i]);
    }
    assert_true(checked > 0);
    tl_ruleset_free(rs);
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
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
