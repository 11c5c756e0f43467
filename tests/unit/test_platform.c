/* SPDX-License-Identifier: MIT */
/*
 * The platform layer (tasklab/platform.h). The Windows build parses addresses
 * with tl_own_pton4/6 (no inet_pton in msvcrt); the manager's CIDR lists
 * would match differently if those accepted other strings than glibc's
 * inet_pton, so every case of the table (and every mutation of it by one
 * character) must give the same verdict and the same bytes from both.
 * tl_path_kind is lstat's view; tl_mkdtemp a private fresh folder; the
 * UTF-8 encoder round-trips through the decoder.
 */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform_int.h"
#include "tasklab/base.h"
#include "tasklab/platform.h"

static const char *const cases[] = {
    "", "0", "1", "1.2.3", "1.2.3.4", "1.2.3.4.", ".1.2.3.4", "1..2.3", "255.255.255.255",
    "256.1.1.1", "01.2.3.4", "0.0.0.0", "00.0.0.0", "1.2.3.04", "1.2.3.4 ", " 1.2.3.4",
    "1.2.3.-4", "1.2.3.4/24", "999.1.1.1", "1.2.3.0255", "192.168.001.1", "10.0.0.1",
    "::", ":", ":::", "::1", "1::", "1:", ":1", "::1:", "1::2", "1:::2", "1::2::3",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::8", "1:2:3:4:5:6::8", "12345::", "fffff::", "FFFF::ffff", "ffff::ffff:",
    "::ffff:1.2.3.4", "::1.2.3.4", "1.2.3.4::", "::ffff:1.2.3", "::ffff:1.2.3.4.5",
    "::ffff:01.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::abc.1.2.3",
    "::ffff:256.1.1.1", "fe80::1%eth0", "2001:db8::", "2001:DB8:0:0:8:800:200C:417A",
    "0:0:0:0:0:0:0:0", "0000:0000::", "00000::", "g::", "::g", "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7", "a:b:c:d:e:f:1.2.3.4",
    "::1.2.3.4:5", "1.2.3.4:5::", "::0.0.0.0", "1::1.2.3.4", "1:2::1.2.3.4",
};

static void same_verdict(const char *s)
{
    unsigned char a4[4] = {0}, b4[4] = {0}, a6[16] = {0}, b6[16] = {0};
    int want4 = inet_pton(AF_INET, s, a4) == 1;
    int got4 = tl_own_pton4(s, b4);
    if (want4 != got4)
        fail_msg("IPv4 '%s': inet_pton %d, own %d", s, want4, got4);
    if (want4)
        assert_memory_equal(a4, b4, 4);
    int want6 = inet_pton(AF_INET6, s, a6) == 1;
    int got6 = tl_own_pton6(s, b6);
    if (want6 != got6)
        fail_msg("IPv6 '%s': inet_pton %d, own %d", s, want6, got6);
    if (want6)
        assert_memory_equal(a6, b6, 16);
}

static void test_own_pton_matches_inet_pton(void **state)
{
    (void)state;
    static const char alphabet[] = "0:.1f";
    size_t tried = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        same_verdict(cases[i]);
        tried++;
        /* every one-character change: replace, insert, delete */
        char buf[80];
        size_t n = strlen(cases[i]);
        for (size_t p = 0; p <= n && n + 1 < sizeof buf; p++) {
            for (const char *c = alphabet; *c; c++) {
                memcpy(buf, cases[i], n + 1);
                if (p < n) {
                    buf[p] = *c;
                    same_verdict(buf);
                }
                memcpy(buf, cases[i], p);
                buf[p] = *c;
                memcpy(buf + p + 1, cases[i] + p, n - p + 1);
                same_verdict(buf);
                tried += 2;
            }
            if (p < n) {
                memcpy(buf, cases[i], p);
                memcpy(buf + p, cases[i] + p + 1, n - p);
                same_verdict(buf);
                tried++;
            }
        }
    }
    assert_true(tried > 5000);
}

static void test_path_kind_is_lstat(void **state)
{
    (void)state;
    const char *tmpd = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/tl-platform-XXXXXX", tmpd && *tmpd ? tmpd : "/tmp");
    assert_non_null(tl_mkdtemp(tmpl));
    struct stat sb;
    assert_int_equal(stat(tmpl, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    char f[600], l[600], m[600], p[600];
    snprintf(f, sizeof f, "%s/file", tmpl);
    snprintf(l, sizeof l, "%s/link", tmpl);
    snprintf(m, sizeof m, "%s/missing", tmpl);
    snprintf(p, sizeof p, "%s/fifo", tmpl);
    FILE *fp = fopen(f, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(symlink(f, l), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(tl_path_kind(f), TL_PATH_FILE);
    assert_int_equal(tl_path_kind(tmpl), TL_PATH_DIR);
    assert_int_equal(tl_path_kind(l), TL_PATH_LINK);
    assert_int_equal(tl_path_kind(m), TL_PATH_MISSING);
    assert_int_equal(tl_path_kind(p), TL_PATH_OTHER);
    char self[4096];
    assert_int_equal(tl_self_dir(self, sizeof self), 0);
    assert_int_equal(tl_path_kind(self), TL_PATH_DIR);
    assert_true(tl_ncpus() >= 1);
    unlink(f);
    unlink(l);
    unlink(p);
    assert_int_equal(rmdir(tmpl), 0);
}

/* tl_utf8_encode (the AR's task-file reader and the expectations' character
 * references write through it): the known byte forms at each length
 * boundary, and every scalar value survives encode -> tl_utf8_decode. */
static void test_utf8_encode_round_trips(void **state)
{
    (void)state;
    static const struct {
        unsigned long cp;
        const char *bytes;
    } known[] = {
        {0x24, "\x24"},          {0x7F, "\x7F"},         {0x80, "\xC2\x80"},
        {0x7FF, "\xDF\xBF"},     {0x800, "\xE0\xA0\x80"}, {0xFE63, "\xEF\xB9\xA3"},
        {0xFFFF, "\xEF\xBF\xBF"}, {0x10000, "\xF0\x90\x80\x80"},
        {0x1F600, "\xF0\x9F\x98\x80"}, {0x10FFFF, "\xF4\x8F\xBF\xBF"},
    };
    char u[4];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t n = tl_utf8_encode(known[i].cp, u);
        assert_int_equal(n, strlen(known[i].bytes));
        assert_memory_equal(u, known[i].bytes, n);
    }
    for (unsigned long cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        unsigned long back = 0;
        size_t n = tl_utf8_encode(cp, u);
        assert_int_equal(tl_utf8_decode(u, n, &back), n);
        assert_int_equal(back, cp);
    }
}

/* tl_buf_put_utf8 appends what tl_utf8_encode writes (replay's and vary's
 * text goes through it); tl_buf_reserve makes room that can be written
 * directly, and fails (sticky) once the buffer is out of memory. */
static void test_buf_put_utf8_and_reserve(void **state)
{
    (void)state;
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "a");
    tl_buf_put_utf8(&b, 0xE9);
    tl_buf_put_utf8(&b, 0x2013);
    tl_buf_put_utf8(&b, 0x1F600);
    tl_buf_put_utf8(&b, 'z');
    assert_string_equal(tl_buf_cstr(&b), "a\xC3\xA9\xE2\x80\x93\xF0\x9F\x98\x80z");
    assert_int_equal(b.len, 11);
    assert_int_equal(tl_buf_reserve(&b, 1000), TL_OK);
    assert_true(b.cap >= b.len + 1000 + 1);
    memset(b.data + b.len, 'x', 1000);
    b.len += 1000;
    b.data[b.len] = '\0';
    assert_int_equal(strlen(tl_buf_cstr(&b)), 1011);
    b.oom = 1;
    assert_int_equal(tl_buf_reserve(&b, 1), TL_E_NOMEM);
    assert_int_equal(tl_buf_status(&b), TL_E_NOMEM);
    tl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_pton_matches_inet_pton),
        cmocka_unit_test(test_path_kind_is_lstat),
        cmocka_unit_test(test_utf8_encode_round_trips),
        cmocka_unit_test(test_buf_put_utf8_and_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
