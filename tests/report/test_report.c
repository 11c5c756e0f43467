/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the report's building blocks: HTML escaping of hostile text
 * (markup, quotes, invalid UTF-8, control characters) and the all-or-nothing
 * output folder (refusing a folder that is not a report, replacing one that
 * is, leaving nothing behind on abort).
 */
#define _POSIX_C_SOURCE 200809L
#include "html_int.h"
#include "site_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char *esc(const char *s, size_t n)
{
    tl_buf b = TL_BUF_INIT;
    tl_html_escn(&b, s, n);
    return tl_buf_take(&b);
}

static void test_report_escapes_markup(void **state)
{
    (void)state;
    const char *in = "<script>alert('x')</script> & \"q\"";
    char *o = esc(in, strlen(in));
    assert_string_equal(o, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    tl_free(o);
}

static void test_report_replaces_bad_bytes(void **state)
{
    (void)state;
    /* invalid UTF-8 (lone continuation, overlong, truncated), NUL, ESC, C1 */
    const char in[] = "a\x80"
                      "b\xC0\xAF"
                      "c\x00"
                      "d\x1B"
                      "e\xC2\x85"
                      "f\xE2\x82";
    char *o = esc(in, sizeof in - 1);
    assert_string_equal(o, "a\xEF\xBF\xBD"
                           "b\xEF\xBF\xBD\xEF\xBF\xBD"
                           "c\xEF\xBF\xBD"
                           "d\xEF\xBF\xBD"
                           "e\xEF\xBF\xBD"
                           "f\xEF\xBF\xBD\xEF\xBF\xBD");
    tl_free(o);
    const char ok[] = "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80\ttab\nline\r\n";
    o = esc(ok, sizeof ok - 1);
    assert_string_equal(o, "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80\ttab\nline\n");
    tl_free(o);
}

static void test_report_data_field_unescapes(void **state)
{
    (void)state;
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_html_data_field("<Data Name='A'>x</Data><Data Name='TaskName'>\\a&amp;b&lt;"
                                        "</Data>",
                                        "TaskName", &b),
                     1);
    assert_string_equal(tl_buf_cstr(&b), "\\a&b<");
    assert_int_equal(tl_html_data_field("<Data Name='A'>x</Data>", "TaskName", &b), 0);
    tl_buf_free(&b);
}

static char base[256];

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "%s/tl-report-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

static int count_entries(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static void test_report_site_all_or_nothing(void **state)
{
    (void)state;
    char dir[300], path[400];
    tl_diag d;
    tl_site *s = NULL;
    int left = 0;
    snprintf(dir, sizeof dir, "%s/out", base);
    /* abort: nothing left */
    assert_int_equal(tl_site_open(dir, &s, &d), TL_OK);
    assert_int_equal(tl_site_write(s, "index.html", "x", 1, &d), TL_OK);
    tl_site_abort(s);
    assert_int_equal(count_entries(base), 0);
    /* commit: the folder with the marker */
    assert_int_equal(tl_site_open(dir, &s, &d), TL_OK);
    assert_int_equal(tl_site_write(s, "index.html", "one", 3, &d), TL_OK);
    assert_int_equal(tl_site_commit(s, &left, &d), TL_OK);
    tl_site_abort(s);
    assert_int_equal(left, 0);
    snprintf(path, sizeof path, "%s/.tasklab-report", dir);
    assert_int_equal(access(path, F_OK), 0);
    /* a second report replaces the first */
    assert_int_equal(tl_site_open(dir, &s, &d), TL_OK);
    assert_int_equal(tl_site_write(s, "index.html", "two", 3, &d), TL_OK);
    assert_int_equal(tl_site_commit(s, &left, &d), TL_OK);
    tl_site_abort(s);
    assert_int_equal(count_entries(base), 1);
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/index.html", dir);
    assert_int_equal(tl_file_read(path, &text, &len, &d), TL_OK);
    assert_string_equal(text, "two");
    tl_free(text);
    /* a folder of other files is refused and untouched */
    snprintf(dir, sizeof dir, "%s/mine", base);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(tl_site_open(dir, &s, &d), TL_E_INVAL);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(count_entries(base), 2);
    /* names that are not a folder of their own */
    assert_int_equal(tl_site_open(".", &s, &d), TL_E_INVAL);
    assert_int_equal(tl_site_open("/", &s, &d), TL_E_INVAL);
    /* a file name with a slash cannot escape the folder */
    snprintf(dir, sizeof dir, "%s/out2", base);
    assert_int_equal(tl_site_open(dir, &s, &d), TL_OK);
    assert_int_equal(tl_site_write(s, "../escape.html", "x", 1, &d), TL_E_INVAL);
    tl_site_abort(s);
    snprintf(path, sizeof path, "%s/escape.html", base);
    assert_int_equal(access(path, F_OK) != 0, 1);
    assert_int_equal(count_entries(base), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_escapes_markup),
        cmocka_unit_test(test_report_replaces_bad_bytes),
        cmocka_unit_test(test_report_data_field_unescapes),
        cmocka_unit_test_setup_teardown(test_report_site_all_or_nothing, setup, teardown),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
