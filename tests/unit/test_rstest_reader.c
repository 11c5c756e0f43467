/* SPDX-License-Identifier: MIT */
/*
 * The `.ini` reader of `tasklab ruleset-test` (pipeline/manager/src/output/rstest.c)
 * on hostile bytes (issue 10): a NUL byte inside a line once made the reader
 * read past its line copy and, with a '\r' after it, write one byte past it
 * (heap-buffer-overflow under ASan). Such a file is refused with one error
 * naming the file and the line; the same bytes from memory
 * (tl_rstest_run_mem) give the same answer.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tasklab/manager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tl_ruleset *empty_ruleset(void)
{
    static const char rules[] =
        "<group name=\"syslog,\"><rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog"
        "</category><description>syslog</description></rule></group>";
    char dir[] = "/tmp/tl_rstest_reader_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/r.xml", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(rules, f);
    fclose(f);
    const char *rf[1] = {path};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_files = rf;
    o.n_rule_files = 1;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_ruleset_load(&o, &rs, &d), TL_OK);
    unlink(path);
    rmdir(dir);
    return rs;
}

/* Write `len` bytes to a temporary .ini and run it. */
static tl_status run_bytes(tl_ruleset *rs, const char *data, size_t len, tl_diag *d)
{
    char path[] = "/tmp/tl_rstest_reader_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    tl_buf report = TL_BUF_INIT;
    tl_rstest_stats stats;
    memset(&stats, 0, sizeof stats);
    tl_diag_clear(d);
    tl_status st = tl_rstest_run_file(rs, path, 0, &report, &stats, d);
    tl_buf_free(&report);
    unlink(path);
    return st;
}

static void test_rstest_reader_nul_byte(void **state)
{
    (void)state;
    tl_ruleset *rs = empty_ruleset();
    tl_diag d;
    /* NUL in the middle of a key line, then "\r\n" right after the NUL */
    static const char a[] = "[s]\nlog 1 pass = abc\0\r\nrule = 1\n";
    assert_int_equal(run_bytes(rs, a, sizeof a - 1, &d), TL_E_PARSE);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "NUL"));
    /* a line that is a lone NUL followed by '\r' */
    static const char b[] = "[s]\nrule = 1\n\0\r\n";
    assert_int_equal(run_bytes(rs, b, sizeof b - 1, &d), TL_E_PARSE);
    assert_int_equal(d.line, 3);
    /* a NUL at the very end, no newline */
    static const char c[] = "[s]\nlog 1 pass = x\0";
    assert_int_equal(run_bytes(rs, c, sizeof c - 1, &d), TL_E_PARSE);
    assert_int_equal(d.line, 2);
    /* in memory: the same verdict */
    tl_buf report = TL_BUF_INIT;
    tl_rstest_stats stats;
    memset(&stats, 0, sizeof stats);
    tl_diag_clear(&d);
    assert_int_equal(tl_rstest_run_mem(rs, "mem.ini", a, sizeof a - 1, 0, &report, &stats, &d),
                     TL_E_PARSE);
    assert_string_equal(d.file, "mem.ini");
    assert_int_equal(d.line, 2);
    /* and good bytes still run */
    static const char ok[] = "[s]\nlog 1 fail = hello\r\nrule = 1\n";
    tl_diag_clear(&d);
    assert_int_equal(tl_rstest_run_mem(rs, "mem.ini", ok, sizeof ok - 1, 0, &report, &stats, &d),
                     TL_OK);
    assert_int_equal(stats.passed, 1);
    tl_buf_free(&report);
    tl_ruleset_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rstest_reader_nul_byte),
    };
    return cmocka_run_group_tests_name("rstest_reader", tests, NULL, NULL);
}
