/* SPDX-License-Identifier: MIT */
/*
 * Noise streams through the pipeline (issue 10): a scenario's events.xml
 * beyond TL_EVENTS_INLINE_MAX is never held in memory. The driver hashes it
 * for the golden ".sha256" snapshot and, with an out folder, appends it to
 * events.xml; 1,000,000 noise events once took 0.7-1.4 GB, 100,000,000 were
 * accepted and reached 4.2 GB.
 */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tasklab/pipeline.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"

#if defined(__SANITIZE_ADDRESS__)
#define TL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TL_ASAN 1
#endif
#endif

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_noise_stream_events_xml_is_not_materialised(void **state)
{
    (void)state;
    /* 60,000 noise events make a ~40 MB events.xml */
    const char *json =
        "{\"name\":\"noisy\",\"title\":\"noise\",\"kind\":\"benign\",\"endpoint\":{\"hostname\":"
        "\"H\",\"users\":[{\"name\":\"alice\"}]},\"start\":\"2022-04-13T11:59:41Z\",\"seed\":3,"
        "\"steps\":[{\"at\":0,\"noise\":{\"events\":60000,\"duration\":3600}}]}";
    tl_diag d;
    tl_diag_clear(&d);
    tl_scenario *sc = NULL;
    assert_int_equal(tl_scenario_load_mem("noisy.json", json, strlen(json), &sc, &d), TL_OK);
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = "default";
    po.etc_dir = ETC;
    po.shared_dir = TL_SHARED_DIR;
    tl_ruleset *rs = NULL;
    assert_int_equal(tl_profile_load(&po, &rs, &d), TL_OK);

    char out_dir[] = "/tmp/tl-noise-XXXXXX";
    assert_non_null(mkdtemp(out_dir));
    tl_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.ar_mode = TL_AR_INPROC;
    ro.etc_dir = ETC;
    ro.shared_dir = TL_SHARED_DIR;
    ro.out_dir = out_dir;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    long before = max_rss_kb();
    tl_status st = tl_pipeline_run(sc, rs, &ro, &res, &d);
    long grown = max_rss_kb() - before;
    if (st != TL_OK) {
        char m[2048];
        tl_diag_format(&d, m, sizeof m);
        print_error("run failed: %s\n", m);
    }
    assert_int_equal(st, TL_OK);
    assert_null(res.events_xml);
    assert_non_null(res.events_digest);

    /* the file on disk is the whole document and matches the digest */
    char path[512];
    snprintf(path, sizeof path, "%s/noisy/events.xml", out_dir);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_file_read(path, &data, &len, &d), TL_OK);
    assert_true(len > TL_EVENTS_INLINE_MAX);
    assert_memory_equal(data, "<Events>\n", 9);
    assert_string_equal(data + len - 10, "</Events>\n");
    char hex[65];
    tl_sha256_hex(data, len, hex);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    char want[160];
    snprintf(want, sizeof want, "sha256 %s bytes %zu lines %zu\n", hex, len, lines);
    assert_string_equal(res.events_digest, want);
    tl_free(data);
#ifndef TL_ASAN
    /* far below the document's size (ASan's quarantine keeps freed memory resident) */
    if (grown > 16 * 1024) {
        print_error("peak RSS grew by %ld KB for a %zu-byte events.xml\n", grown, len);
        fail();
    }
#else
    (void)grown;
#endif
    snprintf(path, sizeof path, "rm -rf '%s'", out_dir);
    assert_int_equal(system(path), 0);
    tl_run_result_clear(&res);
    tl_ruleset_free(rs);
    tl_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_stream_events_xml_is_not_materialised),
    };
    return cmocka_run_group_tests_name("noise_stream", tests, NULL, NULL);
}
