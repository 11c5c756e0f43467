/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the manager's matching primitives (expr_int.h): OS_Match,
 * OS_Regex, PCRE2 and exact-string expressions, negation and missing fields.
 * The tables follow wazuh.md §7. When ../shared is present, the patterns of
 * Wazuh's engine tests (the tests/engine .ini files and their ruleset XMLs) are read
 * at run time: every typed pattern must compile, and every rule element the
 * .ini expects to fire must hold on the value its decoder extracts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/expr_int.h"

/* ---- OS_Match ----------------------------------------------------------- */

typedef struct om_case {
    const char *pat;
    const char *subj;
    int match;
} om_case;

static const om_case om_cases[] = {
    /* substring, case-insensitive */
    {"abc", "xxABCxx", 1},
    {"abc", "xxabxcx", 0},
    {"Task Scheduler", "microsoft-windows-task scheduler/operational", 1},
    /* ^ prefix, $ suffix, ^$ equality */
    {"^abc", "abcdef", 1},
    {"^abc", "xabc", 0},
    {"def$", "abcDEF", 1},
    {"def$", "defx", 0},
    {"^abc$", "ABC", 1},
    {"^abc$", "abcd", 0},
    {"^abc$", "ab", 0},
    {"^$", "", 1},
    {"^$", "x", 0},
    /* alternatives, each with its own anchors */
    {"foo|bar", "xbarx", 1},
    {"foo|bar", "baz", 0},
    {"^foo|bar$", "foox", 1},
    {"^foo|bar$", "xbar", 1},
    {"^foo|bar$", "barx", 0},
    {"services.exe|svchost.exe", "C:\\Windows\\System32\\svchost.exe", 1},
    {"cdrom|/media|usb|/mount|floppy|dvd", "mounted /MEDIA/disk", 1},
    /* empty alternatives always match */
    {"a|", "zzz", 1},
    {"", "anything", 1},
    {"|", "", 1},
    {"^Starting rootcheck scan|^Ending rootcheck scan.|", "unrelated", 1},
    /* ! negates the whole pattern */
    {"!foo", "bar", 1},
    {"!foo", "xFOOx", 0},
    {"!foo|bar", "xbar", 0},
    {"!foo|bar", "baz", 1},
    {"!format=json", "format=raw", 1},
    {"!format=json", "format=json", 0},
    /* everything is literal: no escapes, no wildcards */
    {"a\\.b", "a\\.b", 1},
    {"a\\.b", "axb", 0},
    {"a.b", "a.b", 1},
    {"a.b", "axb", 0},
    {"a*b", "aab", 0},
    {"a*b", "xa*bx", 1},
    {"[x]?", "a[X]?", 1},
    {"^a^b$", "a^b", 1},
    {"$x", "a$x", 1},
};

static void test_regex_osmatch_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof om_cases / sizeof om_cases[0]; i++) {
        const om_case *c = &om_cases[i];
        tl_osmatch *m = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        if (tl_osmatch_compile(c->pat, &m, &d) != TL_OK)
            fail_msg("osmatch '%s' did not compile: %s", c->pat, d.msg);
        int got = tl_osmatch_exec(m, c->subj);
        if (got != c->match)
            fail_msg("osmatch '%s' on '%s': got %d, want %d", c->pat, c->subj, got, c->match);
        tl_osmatch_free(m);
    }
}

static void test_regex_osmatch_end_pointer(void **state)
{
    (void)state;
    tl_osmatch *m = NULL;
    assert_int_equal(tl_osmatch_compile("nomatch|Sched", &m, NULL), TL_OK);
    const char *s = "Task scheduler: done";
    const char *end = NULL;
    assert_int_equal(tl_osmatch_exec_end(m, s, &end), 1);
    assert_ptr_equal(end, s + 10);
    assert_int_equal(tl_osmatch_exec(m, NULL), 0);
    tl_osmatch_free(m);
}

/* ---- OS_Regex ----------------------------------------------------------- */

typedef struct rx_case {
    const char *pat;
    const char *subj;
    int match;
    int end; /* offset of *end, -1 = do not check */
    const char *caps[4];
} rx_case;

#define NOCAP {NULL, NULL, NULL, NULL}

static const rx_case rx_cases[] = {
    /* plain literals: case-insensitive substring search */
    {"error", "An ERROR occurred", 1, 8, NOCAP},
    {"aab", "aaab", 1, 4, NOCAP},
    {"abc", "ab", 0, -1, NOCAP},
    /* \w = alnum - @ _ */
    {"^\\w+$", "user-name@host_1", 1, 16, NOCAP},
    {"^\\w+$", "a.b", 0, -1, NOCAP},
    {"^\\w$", "/", 0, -1, NOCAP},
    /* \d, \D */
    {"\\d+", "abc123def", 1, 6, NOCAP},
    {"^\\d+$", "12a", 0, -1, NOCAP},
    {"^\\D+$", "abc-x", 1, 5, NOCAP},
    {"^\\D+$", "ab1", 0, -1, NOCAP},
    /* \s is a space only; \t is a tab; \S anything but a space */
    {"a\\sb", "a b", 1, 3, NOCAP},
    {"a\\sb", "a\tb", 0, -1, NOCAP},
    {"a\\tb", "a\tb", 1, 3, NOCAP},
    {"^\\S+$", "a\tb", 1, 3, NOCAP},
    {"^\\S+$", "a b", 0, -1, NOCAP},
    /* \p punctuation set, \W */
    {"x\\py", "x!y", 1, 3, NOCAP},
    {"x\\py", "x|y", 1, 3, NOCAP},
    {"x\\py", "x{y", 1, 3, NOCAP},
    {"x\\py", "x'y", 1, 3, NOCAP},
    {"x\\py", "x/y", 0, -1, NOCAP},
    {"x\\py", "x_y", 0, -1, NOCAP},
    {"x\\py", "x@y", 0, -1, NOCAP},
    {"x\\py", "x\\y", 0, -1, NOCAP},
    {"action_example_1\\p", "action_example_1*", 1, 17, NOCAP},
    {"a\\Wb", "a b", 1, 3, NOCAP},
    {"a\\Wb", "a.b", 1, 3, NOCAP},
    {"a\\Wb", "a_b", 0, -1, NOCAP},
    /* \. is any byte; a bare '.' is a literal dot */
    {"a\\.c", "aXc", 1, 3, NOCAP},
    {"^\\.*$", "", 1, 0, NOCAP},
    {"1.2", "1x2", 0, -1, NOCAP},
    {"1.2", "v1.2", 1, 4, NOCAP},
    /* literal escapes */
    {"C:\\\\Windows", "c:\\windows\\system32", 1, 10, NOCAP},
    {"f\\(x\\)", "f(x)", 1, 4, NOCAP},
    {"cost\\$", "cost$", 1, 5, NOCAP},
    {"cost\\$", "cost", 0, -1, NOCAP},
    {"\\<tag", "<TAG>", 1, 4, NOCAP},
    {"a\\|b", "a|b", 1, 3, NOCAP},
    {"a\\|b", "a", 0, -1, NOCAP},
    /* other characters, '+' after a literal, '*' after ')' are literal */
    {"[x]?{1}", "a[X]?{1}", 1, 8, NOCAP},
    {"a+", "a+", 1, 2, NOCAP},
    {"a+", "aa", 0, -1, NOCAP},
    {"+x", "a+x", 1, 3, NOCAP},
    {"(a)*", "a*", 1, 2, {"a", NULL, NULL, NULL}},
    {"a^b", "a^b", 1, 3, NOCAP},
    /* quantifiers: + needs one, * allows none */
    {"^a\\d*b$", "ab", 1, 2, NOCAP},
    {"^a\\d*b$", "a12b", 1, 4, NOCAP},
    {"^a\\d+b$", "ab", 0, -1, NOCAP},
    {"^a\\d+b$", "a1b", 1, 3, NOCAP},
    /* anchors are per alternative */
    {"^foo|bar$", "foox", 1, 3, NOCAP},
    {"^foo|bar$", "xbar", 1, 4, NOCAP},
    {"^foo|bar$", "barx", 0, -1, NOCAP},
    {"^foo|bar$", "xfoo", 0, -1, NOCAP},
    {"$", "abc", 1, 3, NOCAP},
    {"abc\\\\$", "abc\\", 1, 4, NOCAP},
    {"abc\\\\$", "abc\\x", 0, -1, NOCAP},
    /* empty alternative matches at the start */
    {"Thumbs.db:encryptable'.|:Zone.Identifier'.|", "whatever", 1, 0, NOCAP},
    {"", "x", 1, 0, NOCAP},
    /* the ruleset's SID patterns (backtracking through '-') */
    {"^S-1-5-\\S+-512$", "S-1-5-21-1004336348-1177238915-512", 1, 34, NOCAP},
    {"^S-1-5-\\S+-512$", "S-1-5-21-1004336348-512-5120", 0, -1, NOCAP},
    {"^S-1-5-21\\S+-498$", "S-1-5-21-1-2-3-498", 1, 18, NOCAP},
    {"\\.*Access denied for client", "x: ACCESS denied, access denied for client 10.0.0.1", 1, 42, NOCAP},
    {"'df -P':\\s+/dev/loop\\d+\\s+\\d+\\s+\\d+\\s+0\\s+100%\\s+/snap/\\w+/\\d+",
     "ossec: output: 'df -P': /dev/loop0   56704 56704 0 100% /snap/core18/1885", 1, 73, NOCAP},
    /* 0840: two literal backslashes (the field arrives doubled), \. any byte */
    {"^%systemroot%\\\\\\\\\\w+\\.exe$", "%SystemRoot%\\\\PSEXESVC.exe", 1, 26, NOCAP},
    {"^%systemroot%\\\\\\\\\\w+\\.exe$", "%SystemRoot%\\PSEXESVC.exe", 0, -1, NOCAP},
    {"^%systemroot%\\\\\\\\\\w+\\.exe$", "%SystemRoot%\\\\system32\\\\x.exe", 0, -1, NOCAP},
    /* decoder prematches: json and ar_log_json (end = offset after_prematch) */
    {"^{\\s*\"", "{\"a\":1}", 1, 2, NOCAP},
    {"^{\\s*\"", "{   \"a\":1}", 1, 5, NOCAP},
    {"^{\\s*\"", " {\"a\":1}", 0, -1, NOCAP},
    {"^\\d\\d\\d\\d/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d active-response/bin/\\S+: ",
     "2026/11/28 00:00:01 active-response/bin/a:b: {\"x\":1}", 1, 45, NOCAP},
    /* captures and the end pointer */
    {"\\S+ (\\S+)", "test_action action_example_1* tail", 1, 29, {"action_example_1*", NULL, NULL, NULL}},
    {"(\\w+) to (\\w+) from (\\S+)", "copy a to b from 10.0.0.1", 1, 25, {"a", "b", "10.0.0.1", NULL}},
    {"User '(\\w+)' logged from '(\\d+.\\d+.\\d+.\\d+)'", "User 'root' logged from '192.168.0.1' x", 1, 37,
     {"root", "192.168.0.1", NULL, NULL}},
    {"(\\d+)", "ab 1234 cd", 1, 7, {"1234", NULL, NULL, NULL}},
    {"^(\\S+) (\\.*)$", "a b c", 1, 5, {"a", "b c", NULL, NULL}},
    {"^(\\S+) (\\.*)$", "a ", 1, 2, {"a", "", NULL, NULL}},
    {"(\\d+)(\\w+)", "x 12ab", 1, 6, {"1", "2ab", NULL, NULL}},
    {"(?i)\\S+ ", "(?I)abc def", 1, 8, {"?I", NULL, NULL, NULL}},
    {"fieldx=(\\w+)", "fieldx=0 field1=1", 1, 8, {"0", NULL, NULL, NULL}},
    /* the loop hands over as soon as the rest can start (Wazuh's jump-ahead) */
    {"(\\d+)1", "2111", 1, 2, {"2", NULL, NULL, NULL}},
    {"(\\.+) for (\\S+)", "Authentication failure for root", 1, 31, {"Authentication failure", "root", NULL, NULL}},
    /* first matching alternative supplies the captures */
    {"field_A1=(\\w+)|field1=(\\w+) field2=(\\w+)", "fieldx=0 field1=1 field2=2", 1, 26, {"1", "2", NULL, NULL}},
    {"a=(\\w+)|b=(\\w+)", "b=2 a=1", 1, 7, {"1", NULL, NULL, NULL}},
};

static void test_regex_osregex_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rx_cases / sizeof rx_cases[0]; i++) {
        const rx_case *c = &rx_cases[i];
        tl_osregex *r = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        if (tl_osregex_compile(c->pat, &r, &d) != TL_OK)
            fail_msg("osregex '%s' did not compile: %s", c->pat, d.msg);
        tl_capture caps[TL_OSREGEX_MAX_CAPTURES];
        size_t ncap = 99;
        const char *end = NULL;
        int got = tl_osregex_exec(r, c->subj, caps, TL_OSREGEX_MAX_CAPTURES, &ncap, &end);
        if (got != c->match)
            fail_msg("osregex '%s' on '%s': got %d, want %d", c->pat, c->subj, got, c->match);
        if (got) {
            if (c->end >= 0 && end != c->subj + c->end)
                fail_msg("osregex '%s' on '%s': end at %td, want %d", c->pat, c->subj, end - c->subj, c->end);
            size_t want_n = 0;
            while (want_n < 4 && c->caps[want_n])
                want_n++;
            if (ncap != want_n)
                fail_msg("osregex '%s' on '%s': %zu captures, want %zu", c->pat, c->subj, ncap, want_n);
            for (size_t k = 0; k < want_n; k++) {
                if (caps[k].len != strlen(c->caps[k]) || memcmp(caps[k].start, c->caps[k], caps[k].len) != 0)
                    fail_msg("osregex '%s' on '%s': capture %zu is '%.*s', want '%s'", c->pat, c->subj, k,
                             (int)caps[k].len, caps[k].start, c->caps[k]);
            }
        } else if (ncap != 0) {
            fail_msg("osregex '%s' on '%s': no match but ncap=%zu", c->pat, c->subj, ncap);
        }
        tl_osregex_free(r);
    }
}

static void test_regex_osregex_bad_patterns(void **state)
{
    (void)state;
    static const char *bad[] = {
        "a\\n",     /* unsupported escapes */
        "a\\-b",    "\\/tmp", "\\[x", "x\\",   /* trailing backslash */
        "(a(b))",   /* one level of groups only */
        "(a|b)",    /* no pipe inside a group */
        "(abc",     "abc)",   "a)(b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_osregex *r = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st = tl_osregex_compile(bad[i], &r, &d);
        if (st != TL_E_REGEX)
            fail_msg("osregex '%s' compiled (status %d), want TL_E_REGEX", bad[i], (int)st);
        assert_null(r);
        if (d.msg[0] == '\0')
            fail_msg("osregex '%s': no diagnostic", bad[i]);
    }
    tl_diag d;
    tl_diag_clear(&d);
    tl_osregex *r = NULL;
    assert_int_equal(tl_osregex_compile("ok\\q", &r, &d), TL_E_REGEX);
    assert_non_null(strstr(d.msg, "\\q"));
}

static void test_regex_osregex_ncaptures(void **state)
{
    (void)state;
    tl_osregex *r = NULL;
    assert_int_equal(tl_osregex_compile("a(\\d)|b(\\d)(\\d)(\\w)|c", &r, NULL), TL_OK);
    assert_int_equal(tl_osregex_ncaptures(r), 3);
    /* fewer slots than groups: only maxcap are filled */
    tl_capture caps[2];
    size_t n = 0;
    assert_int_equal(tl_osregex_exec(r, "b12x", caps, 2, &n, NULL), 1);
    assert_int_equal(n, 2);
    assert_int_equal(caps[1].len, 1);
    assert_int_equal(caps[1].start[0], '2');
    /* NULL outputs are fine */
    assert_int_equal(tl_osregex_exec(r, "c", NULL, 0, NULL, NULL), 1);
    assert_int_equal(tl_osregex_exec(r, NULL, NULL, 0, NULL, NULL), 0);
    tl_osregex_free(r);
}

static void test_regex_osregex_pathological_is_bounded(void **state)
{
    (void)state;
    tl_osregex *r = NULL;
    assert_int_equal(tl_osregex_compile("\\.+\\.+\\.+\\.+\\.+\\.+x\\d", &r, NULL), TL_OK);
    char buf[20001];
    for (size_t i = 0; i < sizeof buf - 1; i++)
        buf[i] = (i % 7 == 0) ? 'x' : 'a';
    buf[sizeof buf - 1] = '\0';
    assert_int_equal(tl_osregex_exec(r, buf, NULL, 0, NULL, NULL), 0); /* returns, no match */
    tl_osregex_free(r);
}

/* ---- PCRE2 -------------------------------------------------------------- */

static tl_expr *compile_ok(tl_expr_type t, const char *pat, int negate, int capture)
{
    tl_expr *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_expr_compile(t, pat, negate, capture, &e, &d);
    if (st != TL_OK)
        fail_msg("'%s' did not compile: %s", pat, d.msg);
    return e;
}

static void test_regex_pcre2_semantics(void **state)
{
    (void)state;
    tl_expr *e = compile_ok(TL_EXPR_PCRE2, "regex_example_0", 0, 0);
    assert_int_equal(tl_expr_match(e, "test regex_example_0 x"), 1); /* unanchored */
    assert_int_equal(tl_expr_match(e, "REGEX_EXAMPLE_0"), 0);        /* case-sensitive */
    tl_expr_free(e);
    e = compile_ok(TL_EXPR_PCRE2, "(?i)regex_example_0", 0, 0);
    assert_int_equal(tl_expr_match(e, "REGEX_EXAMPLE_0"), 1);
    tl_expr_free(e);
    /* real ruleset style: escaped backslashes and alternation */
    e = compile_ok(TL_EXPR_PCRE2, "(?i)\\\\(schtasks|at)\\.exe$", 0, 0);
    assert_int_equal(tl_expr_match(e, "C:\\Windows\\System32\\SCHTASKS.EXE"), 1);
    assert_int_equal(tl_expr_match(e, "C:\\schtasks.exe.bak"), 0);
    tl_expr_free(e);
    /* no UTF: invalid UTF-8 is just bytes */
    e = compile_ok(TL_EXPR_PCRE2, "a.b", 0, 0);
    assert_int_equal(tl_expr_match(e, "a\xff" "b"), 1);
    tl_expr_free(e);
}

static void test_regex_pcre2_error_has_offset(void **state)
{
    (void)state;
    tl_expr *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_expr_compile(TL_EXPR_PCRE2, "ab(cd", 0, 0, &e, &d), TL_E_REGEX);
    assert_null(e);
    assert_string_equal(d.msg, "missing closing parenthesis at offset 5");
    tl_diag_clear(&d);
    assert_int_equal(tl_expr_compile(TL_EXPR_PCRE2, "x{2,1}", 0, 0, &e, &d), TL_E_REGEX);
    assert_non_null(strstr(d.msg, " at offset 5"));
}

static void test_regex_pcre2_captures(void **state)
{
    (void)state;
    tl_expr *e = compile_ok(TL_EXPR_PCRE2, "\\S+ (\\w+) (\\w+)@(\\d+)(x)?", 0, 1);
    const char *s = "test_protocol HTTP root@42 tail";
    tl_capture caps[8];
    size_t n = 0;
    const char *end = NULL;
    assert_int_equal(tl_expr_exec(e, s, caps, 8, &n, &end), 1);
    assert_int_equal(n, 4);
    assert_int_equal(caps[0].len, 4);
    assert_memory_equal(caps[0].start, "HTTP", 4);
    assert_memory_equal(caps[1].start, "root", 4);
    assert_memory_equal(caps[2].start, "42", 2);
    assert_null(caps[3].start); /* optional group that did not take part */
    assert_ptr_equal(end, s + 26);
    tl_expr_free(e);
    /* without capture=1 groups do not capture (PCRE2_NO_AUTO_CAPTURE) */
    e = compile_ok(TL_EXPR_PCRE2, "(\\w+)@(\\d+)", 0, 0);
    n = 9;
    assert_int_equal(tl_expr_exec(e, "root@42", caps, 8, &n, &end), 1);
    assert_int_equal(n, 0);
    tl_expr_free(e);
}

static void test_regex_pcre2_limits_stop_runaway(void **state)
{
    (void)state;
    tl_expr *e = compile_ok(TL_EXPR_PCRE2, "^(a+)+$", 0, 1);
    char buf[64];
    memset(buf, 'a', sizeof buf - 2);
    buf[sizeof buf - 2] = 'b';
    buf[sizeof buf - 1] = '\0';
    assert_int_equal(tl_expr_match(e, buf), 0); /* ends on the match limit */
    tl_expr_free(e);
}

/* ---- concurrency ------------------------------------------------------- */

typedef struct thr_arg {
    const tl_expr *pc;
    const tl_expr *rx;
    int bad;
} thr_arg;

static void *thr_main(void *p)
{
    thr_arg *a = p;
    char subj[64];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(subj, sizeof subj, "user%d@%d tail", i, i * 7);
        (void)n;
        tl_capture caps[4];
        size_t ncap = 0;
        const char *end = NULL;
        if (tl_expr_exec(a->pc, subj, caps, 4, &ncap, &end) != 1 || ncap != 2 ||
            (size_t)(end - subj) != caps[1].len + (size_t)(caps[1].start - subj) ||
            strncmp(caps[0].start, subj, caps[0].len) != 0 || caps[0].start != subj)
            a->bad++;
        if (tl_expr_exec(a->rx, subj, caps, 4, &ncap, &end) != 1 || ncap != 2 || caps[0].start != subj)
            a->bad++;
    }
    tl_expr_thread_cleanup();
    return NULL;
}

static void test_regex_shared_expressions_across_threads(void **state)
{
    (void)state;
    tl_expr *pc = compile_ok(TL_EXPR_PCRE2, "^(\\w+)@(\\d+)", 0, 1);
    tl_expr *rx = compile_ok(TL_EXPR_OSREGEX, "^(\\w+)@(\\d+)", 0, 1);
    pthread_t th[4];
    thr_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].pc = pc;
        args[i].rx = rx;
        args[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, thr_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].bad, 0);
    }
    tl_expr_free(pc);
    tl_expr_free(rx);
}

/* ---- tl_expr: string, negation, missing fields ------------------------- */

static void test_regex_string_is_exact(void **state)
{
    (void)state;
    tl_expr *e = compile_ok(TL_EXPR_STRING, "Yes", 0, 0);
    assert_int_equal(tl_expr_match(e, "Yes"), 1);
    assert_int_equal(tl_expr_match(e, "yes"), 0);
    assert_int_equal(tl_expr_match(e, "Yes "), 0);
    const char *end = NULL;
    assert_int_equal(tl_expr_exec(e, "Yes", NULL, 0, NULL, &end), 1);
    assert_string_equal(end, "");
    tl_expr_free(e);
}

static void test_regex_negate_and_missing_field(void **state)
{
    (void)state;
    static const struct {
        tl_expr_type t;
        const char *pat, *hit, *miss;
    } k[] = {{TL_EXPR_OSMATCH, "foo", "xfoo", "bar"},
             {TL_EXPR_OSREGEX, "f\\wo", "xfoo", "bar"},
             {TL_EXPR_PCRE2, "fo+", "xfoo", "bar"},
             {TL_EXPR_STRING, "foo", "foo", "bar"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        tl_expr *e = compile_ok(k[i].t, k[i].pat, 0, 0);
        tl_expr *n = compile_ok(k[i].t, k[i].pat, 1, 0);
        assert_int_equal(tl_expr_negated(n), 1);
        assert_int_equal(tl_expr_match(e, k[i].hit), 1);
        assert_int_equal(tl_expr_match(e, k[i].miss), 0);
        assert_int_equal(tl_expr_match(n, k[i].hit), 0);
        assert_int_equal(tl_expr_match(n, k[i].miss), 1);
        /* a missing field fails, negated or not */
        assert_int_equal(tl_expr_match(e, NULL), 0);
        assert_int_equal(tl_expr_match(n, NULL), 0);
        assert_int_equal(tl_expr_exec(n, NULL, NULL, 0, NULL, NULL), 0);
        /* exec ignores negate */
        assert_int_equal(tl_expr_exec(n, k[i].hit, NULL, 0, NULL, NULL), 1);
        assert_int_equal(tl_expr_get_type(e), k[i].t);
        assert_string_equal(tl_expr_pattern(e), k[i].pat);
        tl_expr_free(e);
        tl_expr_free(n);
    }
    /* osmatch '!' plus negate="yes" is a double negation */
    tl_expr *e = compile_ok(TL_EXPR_OSMATCH, "!format=json", 1, 0);
    assert_int_equal(tl_expr_match(e, "format=json"), 1);
    assert_int_equal(tl_expr_match(e, "format=raw"), 0);
    tl_expr_free(e);
}

static void test_regex_expr_osregex_exec(void **state)
{
    (void)state;
    tl_expr *e = compile_ok(TL_EXPR_OSREGEX, "\\S+ regex_example_(\\d+)", 0, 1);
    const char *s = "test_regex regex_example_0 more";
    tl_capture caps[4];
    size_t n = 0;
    const char *end = NULL;
    assert_int_equal(tl_expr_exec(e, s, caps, 4, &n, &end), 1);
    assert_int_equal(n, 1);
    assert_int_equal(caps[0].len, 1);
    assert_int_equal(caps[0].start[0], '0');
    assert_string_equal(end, " more");
    tl_expr_free(e);
    tl_diag d;
    tl_diag_clear(&d);
    e = NULL;
    assert_int_equal(tl_expr_compile(TL_EXPR_OSREGEX, "bad\\n", 0, 0, &e, &d), TL_E_REGEX);
    assert_null(e);
    assert_int_equal(tl_expr_compile(TL_EXPR_OSMATCH, NULL, 0, 0, &e, &d), TL_E_INVAL);
}

static void test_regex_type_parse(void **state)
{
    (void)state;
    tl_expr_type t = TL_EXPR_STRING;
    assert_int_equal(tl_expr_type_parse("osmatch", &t), 1);
    assert_int_equal(t, TL_EXPR_OSMATCH);
    assert_int_equal(tl_expr_type_parse("OSRegex", &t), 1);
    assert_int_equal(t, TL_EXPR_OSREGEX);
    assert_int_equal(tl_expr_type_parse("PCRE2", &t), 1);
    assert_int_equal(t, TL_EXPR_PCRE2);
    assert_int_equal(tl_expr_type_parse("string", &t), 1);
    assert_int_equal(t, TL_EXPR_STRING);
    assert_int_equal(tl_expr_type_parse("pcre", &t), 0);
    assert_int_equal(tl_expr_type_parse("", &t), 0);
    assert_int_equal(tl_expr_type_parse(NULL, &t), 0);
}

static void test_regex_out_of_memory_is_clean(void **state)
{
    (void)state;
    static const struct {
        tl_expr_type t;
        const char *pat;
    } k[] = {{TL_EXPR_OSMATCH, "a|^b|c$"}, {TL_EXPR_OSREGEX, "(\\d+)|x(\\w)"}, {TL_EXPR_PCRE2, "(a|b)+c"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        for (long n = 1; n < 64; n++) {
            tl_expr *e = NULL;
            tl_alloc_fail_at(n);
            tl_status st = tl_expr_compile(k[i].t, k[i].pat, 0, 1, &e, NULL);
            tl_alloc_fail_at(0);
            if (st == TL_OK) {
                assert_int_equal(tl_expr_match(e, "xbc"), 1);
                tl_expr_free(e);
                break;
            }
            assert_int_equal(st, TL_E_NOMEM);
            assert_null(e);
        }
    }
}

/* ---- Wazuh engine tests from ../shared (read, never copied) ------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

/* Decode the few XML entities the ruleset uses, in place. */
static void xml_unescape(char *s)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *w = s;
    for (const char *r = s; *r;) {
        size_t k;
        for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
            size_t l = strlen(ents[k].ent);
            if (strncmp(r, ents[k].ent, l) == 0) {
                *w++ = ents[k].c;
                r += l;
                break;
            }
        }
        if (k == sizeof ents / sizeof ents[0])
            *w++ = *r++;
    }
    *w = '\0';
}

/* Value of attribute `name` inside the tag text [tag, tag_end), or "". */
static void attr(const char *tag, const char *tag_end, const char *name, char *out, size_t outsz)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    out[0] = '\0';
    const char *p = strstr(tag, key);
    if (!p || p >= tag_end)
        return;
    p += strlen(key);
    const char *q = strchr(p, '"');
    if (!q || q > tag_end)
        return;
    snprintf(out, outsz, "%.*s", (int)(q - p), p);
}

typedef struct ref_elem {
    char name[64];
    char type[16];
    int negate;
    char pattern[1024];
} ref_elem;

/* Walk every element <name ...>text</name> with no child elements between
 * start and end; calls fn for each. Returns the number visited. */
static int walk_elems(const char *start, const char *end, void (*fn)(const ref_elem *, void *), void *ud)
{
    int n = 0;
    for (const char *p = start; p && p < end && (p = strchr(p, '<')) != NULL && p < end; p++) {
        if (p[1] == '/' || p[1] == '!' || p[1] == '?')
            continue;
        const char *gt = strchr(p, '>');
        if (!gt || gt >= end || gt[-1] == '/')
            continue;
        const char *lt = strchr(gt + 1, '<');
        if (!lt || lt >= end || lt[1] != '/')
            continue; /* has children: not a leaf */
        ref_elem e;
        memset(&e, 0, sizeof e);
        size_t nl = strcspn(p + 1, " \t\r\n>");
        snprintf(e.name, sizeof e.name, "%.*s", (int)nl, p + 1);
        attr(p, gt, "type", e.type, sizeof e.type);
        char neg[8];
        attr(p, gt, "negate", neg, sizeof neg);
        e.negate = strcmp(neg, "yes") == 0;
        snprintf(e.pattern, sizeof e.pattern, "%.*s", (int)(lt - gt - 1), gt + 1);
        xml_unescape(e.pattern);
        fn(&e, ud);
        n++;
    }
    return n;
}

/* The type Wazuh gives an element with no type attribute, or -1 when the
 * element is not an expression. */
static int default_type(const ref_elem *e, tl_expr_type *t)
{
    if (e->type[0])
        return tl_expr_type_parse(e->type, t) ? 0 : -1;
    if (strcmp(e->name, "match") == 0) {
        *t = TL_EXPR_OSMATCH;
        return 0;
    }
    if (strcmp(e->name, "regex") == 0 || strcmp(e->name, "field") == 0 || strcmp(e->name, "prematch") == 0) {
        *t = TL_EXPR_OSREGEX;
        return 0;
    }
    return -1;
}

static void compile_elem(const ref_elem *e, void *ud)
{
    int *count = ud;
    tl_expr_type t;
    if (default_type(e, &t) != 0)
        return;
    tl_expr *x = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_expr_compile(t, e->pattern, e->negate, 1, &x, &d) != TL_OK)
        fail_msg("<%s type=\"%s\">%s</%s> did not compile: %s", e->name, e->type, e->pattern, e->name, d.msg);
    tl_expr_free(x);
    (*count)++;
}

static void test_regex_reference_patterns_compile(void **state)
{
    (void)state;
    static const char *files[] = {
        "tests/engine/ruleset/test_osregex_regex_rules.xml", "tests/engine/ruleset/test_osregex_regex_decoders.xml",
        "tests/engine/ruleset/test_osmatch_regex_rules.xml", "tests/engine/ruleset/test_osmatch_regex_decoders.xml",
        "tests/engine/ruleset/test_pcre2_regex_rules.xml",   "tests/engine/ruleset/test_pcre2_regex_decoders.xml",
        "tests/engine/ruleset/test_expr_negation_rules.xml", "tests/engine/ruleset/test_decoders.xml",
        "rules/0580-win-security_rules.xml",                 "rules/0800-sysmon_id_1.xml",
        "rules/0830-sysmon_id_11.xml",                       "rules/0860-sysmon_id_13.xml",
        "rules/0015-ossec_rules.xml",                        "rules/0620-win-generic_rules.xml",
    };
    int count = 0, seen = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/reference/wazuh-full/%s", TL_SHARED_DIR, files[i]);
        char *text = slurp(path);
        if (!text)
            continue;
        seen++;
        walk_elems(text, text + strlen(text), compile_elem, &count);
        free(text);
    }
    if (!seen)
        skip();
    assert_true(count > 100);
}

typedef struct ini_ctx {
    const char *log;   /* the .ini's input line */
    const char *value; /* the decoded field: last token of the log */
    int checked;
    int failed;
    char why[1024];
} ini_ctx;

static void check_elem(const ref_elem *e, void *ud)
{
    ini_ctx *c = ud;
    tl_expr_type t;
    if (!e->type[0] || default_type(e, &t) != 0)
        return; /* only typed elements are under test here */
    /* Pre-decoded and geoip fields are not derivable from the log alone. */
    static const char *skip_names[] = {"location", "hostname", "program_name", "srcgeoip", "dstgeoip"};
    for (size_t i = 0; i < sizeof skip_names / sizeof skip_names[0]; i++)
        if (strcmp(e->name, skip_names[i]) == 0)
            return;
    const char *subject = (strcmp(e->name, "match") == 0 || strcmp(e->name, "regex") == 0) ? c->log : c->value;
    tl_expr *x = NULL;
    if (tl_expr_compile(t, e->pattern, e->negate, 0, &x, NULL) != TL_OK) {
        c->failed++;
        return;
    }
    if (!tl_expr_match(x, subject)) {
        c->failed++;
        snprintf(c->why, sizeof c->why, "<%.40s type=\"%.15s\" negate=\"%s\">%.200s</%.40s> on '%.200s'", e->name, e->type,
                 e->negate ? "yes" : "no", e->pattern, e->name, subject);
    }
    c->checked++;
    tl_expr_free(x);
}

/* For each [section] of an engine .ini: find its rule, and check that every
 * typed element of the rule holds for the logged value. */
static int run_ini(const char *ini_name, const char *rules_name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/reference/wazuh-full/tests/engine/%s", TL_SHARED_DIR, ini_name);
    char *ini = slurp(path);
    snprintf(path, sizeof path, "%s/reference/wazuh-full/tests/engine/ruleset/%s", TL_SHARED_DIR, rules_name);
    char *rules = slurp(path);
    int checked = 0;
    if (!ini || !rules) {
        free(ini);
        free(rules);
        return -1;
    }
    for (char *sec = ini; sec; sec = strstr(sec + 1, "\n[")) {
        char *next = strstr(sec + 1, "\n[");
        char *lp = strstr(sec, "log 1 pass = ");
        char *rp = strstr(sec, "\nrule = ");
        if (!lp || !rp || (next && (lp > next || rp > next)))
            continue;
        char log[2048], rule[32];
        lp += strlen("log 1 pass = ");
        snprintf(log, sizeof log, "%.*s", (int)strcspn(lp, "\r\n"), lp);
        rp += strlen("\nrule = ");
        snprintf(rule, sizeof rule, "%.*s", (int)strcspn(rp, "\r\n "), rp);
        const char *last = strrchr(log, ' ');
        last = last ? last + 1 : log;
        if (!strstr(last, "_example_") && !strstr(last, "format="))
            continue;
        char key[64];
        snprintf(key, sizeof key, "<rule id=\"%s\"", rule);
        char *rs = strstr(rules, key);
        if (!rs)
            continue;
        char *re = strstr(rs, "</rule>");
        if (!re)
            continue;
        ini_ctx c = {log, last, 0, 0, ""};
        walk_elems(rs, re, check_elem, &c);
        if (c.failed)
            fail_msg("%s rule %s: %s", ini_name, rule, c.why);
        checked += c.checked;
    }
    free(ini);
    free(rules);
    return checked;
}

static void test_regex_reference_ini_expectations(void **state)
{
    (void)state;
    int a = run_ini("test_osregex_regex.ini", "test_osregex_regex_rules.xml");
    int b = run_ini("test_osmatch_regex.ini", "test_osmatch_regex_rules.xml");
    int c = run_ini("test_pcre2_regex.ini", "test_pcre2_regex_rules.xml");
    if (a < 0 && b < 0 && c < 0)
        skip();
    assert_true(a > 10);
    assert_true(b >= 4);
    assert_true(c > 10);
}

static int teardown_group(void **state)
{
    (void)state;
    tl_expr_thread_cleanup();
    return 0;
}

/* The log prefilter (triples) and the pair search must never change a result:
 * random texts and patterns, with and without the prefilter, against a naive
 * case-insensitive substring search. */
static int naive_find(const char *s, const char *lit)
{
    size_t n = strlen(s), m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && (s[i + k] | 32) == (lit[k] | 32))
            k++;
        if (k == m)
            return 1;
    }
    return 0;
}

static void test_regex_prefilter_changes_nothing(void **state)
{
    (void)state;
    /* upper and lower case, JSON punctuation and a byte >= 0x80 */
    static const char alpha[] = "abAB:\" \\{}c1 \xc3Z";
    uint32_t x = 12345;
    static tl_tri tri;
    int filtered = 0;
    for (int round = 0; round < 6000; round++) {
        char text[700], lit[20], pat[64];
        size_t n = 100 + (round % 577);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            text[i] = alpha[(x >> 16) % (sizeof alpha - 1)];
        }
        text[n] = '\0';
        /* literals of 2..16 bytes (the fingerprint samples every 4th offset:
         * from 6 bytes on a literal can be filtered); every other round one
         * cut from the text at any offset, with its case flipped */
        size_t m = 2 + (round % 15);
        if (round & 1) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % (n - m);
            for (size_t i = 0; i < m; i++) {
                char ch = text[at + i];
                lit[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32)
                         : (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
                if (lit[i] == '|' || lit[i] == '\\' || lit[i] == '\0')
                    lit[i] = 'a';
            }
        } else {
            for (size_t i = 0; i < m; i++) {
                x = x * 1103515245u + 12345u;
                lit[i] = "abAB c1"[(x >> 16) % 7];
            }
        }
        lit[m] = '\0';
        snprintf(pat, sizeof pat, "qqq|%s", lit); /* q is not in alpha */
        tl_osmatch *om = NULL;
        tl_diag d;
        assert_int_equal(tl_osmatch_compile(pat, &om, &d), TL_OK);
        tl_tri_build(&tri, text, n);
        int want = naive_find(text, lit);
        assert_int_equal(tl_osmatch_exec(om, text), want);
        assert_int_equal(tl_osmatch_exec_tri(om, text, n, &tri), want);
        tl_osmatch_free(om);
        /* the fingerprint itself: present literals always pass, and it
         * does filter absent long ones (else it would be useless) */
        tl_tri_lit tl;
        char folded[20];
        for (size_t i = 0; i <= m; i++)
            folded[i] = (lit[i] >= 'A' && lit[i] <= 'Z') ? (char)(lit[i] + 32) : lit[i];
        tl_tri_lit_init(&tl, folded, m);
        if (want)
            assert_true(tl_tri_may_hold(&tri, &tl));
        else if (!tl_tri_may_hold(&tri, &tl))
            filtered++;
        /* OS_Regex: a literal run around a class */
        snprintf(pat, sizeof pat, "%s\\w*%s", lit, lit);
        tl_osregex *rx = NULL;
        if (tl_osregex_compile(pat, &rx, &d) == TL_OK) {
            int r0 = tl_osregex_exec(rx, text, NULL, 0, NULL, NULL);
            if (r0)
                assert_true(tl_osregex_maybe(rx, &tri));
            tl_osregex_free(rx);
        }
    }
    assert_true(filtered > 100);
}

/* tl_lit_find against a plain loop on texts of 0..80 bytes (the SIMD blocks,
 * the padded last block of fewer than 16 starts, and texts shorter than the
 * literal): the same first offset, with the literal's pair at every
 * position of it. */
static size_t plain_lit_find(const char *s, size_t n, const char *lit, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m) {
            unsigned char c = (unsigned char)s[i + k];
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + 32);
            if (c != (unsigned char)lit[k])
                break;
            k++;
        }
        if (k == m)
            return i;
    }
    return (size_t)-1;
}

static void test_regex_lit_find_short_texts(void **state)
{
    (void)state;
    static const char alpha[] = "abAB.c-";
    uint32_t x = 99;
    size_t found = 0;
    for (int round = 0; round < 200000; round++) {
        char text[96], lit[12];
        size_t n = (size_t)(round % 81), m = 2 + (size_t)(round % 9);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            text[i] = alpha[(x >> 16) % (sizeof alpha - 1)];
        }
        text[n] = '\0';
        for (size_t i = 0; i < m; i++) {
            x = x * 1103515245u + 12345u;
            lit[i] = "abc.-"[(x >> 16) % 5];
        }
        lit[m] = '\0';
        if ((round & 1) && n >= m) { /* plant it, upper case where it can be */
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 16) % (n - m + 1);
            for (size_t i = 0; i < m; i++)
                text[at + i] = (char)(lit[i] >= 'a' && lit[i] <= 'z' && (x & (2u << i))
                                          ? lit[i] - 32
                                          : lit[i]);
        }
        tl_lit L;
        tl_lit_init(&L, lit, m);
        /* a heap copy of exactly n bytes: reading past it would show under ASan */
        char *t = malloc(n ? n : 1);
        assert_non_null(t);
        memcpy(t, text, n);
        size_t want = plain_lit_find(text, n, lit, m);
        size_t got = tl_lit_find(&L, (const unsigned char *)t, n);
        free(t);
        if (got != want)
            print_error("'%s' in '%s': %zu, expected %zu\n", lit, text, got, want);
        assert_true(got == want);
        found += want != (size_t)-1;
        /* OS_Match with only '^' alternatives (the first-byte check) */
        char pat[40];
        snprintf(pat, sizeof pat, "^%s|^%c%s", lit, lit[1], lit);
        tl_osmatch *om = NULL;
        tl_diag d;
        assert_int_equal(tl_osmatch_compile(pat, &om, &d), TL_OK);
        int pre = plain_lit_find(text, n < m ? n : m, lit, m) == 0 ||
                  (n >= m + 1 && plain_lit_find(text, 1, lit + 1, 1) == 0 &&
                   plain_lit_find(text + 1, m, lit, m) == 0);
        assert_int_equal(tl_osmatch_exec(om, text), pre);
        tl_osmatch_free(om);
    }
    assert_true(found > 20000);
}

/* The pair summary never refuses a text that holds the literal (any case),
 * and does refuse most texts that lack it (else it would be useless). */
static void test_regex_pair_bloom_never_refuses_a_holder(void **state)
{
    (void)state;
    static const char alpha[] = "abcdefgABCDEFG.\\/-_ 0129\xc3";
    uint32_t x = 4242;
    size_t held = 0, refused = 0, absent = 0;
    for (int round = 0; round < 100000; round++) {
        char text[128], lit[16];
        size_t n = (size_t)(round % 100), m = 2 + (size_t)(round % 12);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            text[i] = alpha[(x >> 16) % (sizeof alpha - 1)];
        }
        text[n] = '\0';
        for (size_t i = 0; i < m; i++) {
            x = x * 1103515245u + 12345u;
            char ch = alpha[(x >> 16) % (sizeof alpha - 1)];
            lit[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        lit[m] = '\0';
        if ((round & 1) && n >= m) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 16) % (n - m + 1);
            for (size_t i = 0; i < m; i++)
                text[at + i] = (char)(lit[i] >= 'a' && lit[i] <= 'z' && (x & (4u << i))
                                          ? lit[i] - 32
                                          : lit[i]);
        }
        tl_pair_bloom tb, lb;
        tl_pair_bloom_of(text, n, &tb);
        tl_pair_bloom_of(lit, m, &lb);
        int holds = tl_pair_bloom_holds(&tb, &lb);
        if (plain_lit_find(text, n, lit, m) != (size_t)-1) {
            assert_true(holds);
            held++;
        } else {
            absent++;
            refused += !holds;
        }
    }
    assert_true(held > 30000);
    assert_true(refused > absent / 5);
}

/* ---- the PCRE2 literal prefilter ----------------------------------------- */

static void test_regex_pcre_literal(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *lit; /* "" = no prefilter */
    } cases[] = {
        {"(?i)reg.EXE", "reg"},
        {"(?i)\\\\csc\\.exe", "\\csc.exe"},
        {"(?i)\\\\(c|w)script\\.exe", "script.exe"},
        {"(?i)svchost.exe -k netsvcs -p", "exe -k netsvcs -p"},
        {"technique_id=T1053,technique_name=Scheduled Task", "technique_id=t1053,technique_name=scheduled task"},
        {"abc|defg", ""},            /* top-level alternation */
        {"x(abc|defg)xyz", "xyz"},   /* inside a group: not required */
        {"abcd?", "abc"},            /* the optional byte is dropped */
        {"abcd*ef", "abc"},
        {"abcd+ef", "abc"},
        {"abcd{2}ef", "abc"},
        {"abcd{2,}ef", "abc"},
        {"abcd{,2}ef", ""},          /* read differently across PCRE2 versions */
        {"ab{cd", ""},               /* a literal '{' */
        {"\\x41BCDEF", ""},          /* \x reads more bytes */
        {"\\p{L}abcdef", ""},
        {"\\1abcdef", ""},
        {"\\Qa|b\\Eabcdef", ""},
        {"(*UTF)\\N{U+202E}", ""},
        {"(*ACCEPT)abcdef", ""},
        {"(?x)a b c d", ""},         /* blanks mean nothing */
        {"ab(?i)cdef", ""},
        {"(?#a(b)abcdef", ""},
        {"[|]abc|d", ""},
        {"[|]abcd", "abcd"},         /* '|' inside a class is a member */
        {"[]|]abcd", "abcd"},
        {"[[:alpha:]|]abcd", "abcd"},
        {"\\dabc\\sdefg\\b", "defg"},
        {"\\Nabcd", "abcd"},
        {"a.b^c$d", ""},             /* no run of 3 or more: the caller needs 3 */
        {"(?:x)abcde(?=q)", "abcde"},
        {"caf\xc3\xa9", ""},         /* non-ASCII */
        {"Abc\\-Def", "abc-def"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[TL_PCRE_LIT_MAX + 1];
        size_t n = tl_pcre_literal(cases[i].pat, out, sizeof out);
        const char *got = n >= 3 ? out : "";
        if (strcmp(got, cases[i].lit) != 0)
            print_error("pattern %s: literal '%s', expected '%s'\n", cases[i].pat, got,
                        cases[i].lit);
        assert_string_equal(got, cases[i].lit);
    }
}

/* Random PCRE2 patterns from pieces the reader must get right (groups with
 * alternatives, classes holding '|' or ']', quantifiers of every form,
 * multi-byte escapes, option settings, verbs) against random subjects built
 * from the same bytes: the expression's verdict with the prefilter equals
 * PCRE2's alone, case flags included. */
static void test_regex_pcre_prefilter_changes_nothing(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "ab", "Cd", "x", "abc", "ABC", "bca", ".", "\\.", "\\\\", "\\d", "\\w+", "[a-c]",
        "[^x]", "(ab|cd)", "(?:e|f)", "?", "*", "+", "{2}", "{1,3}", "^", "$", "|", "[]a]",
        "[|]", "\\s", "-", "/", " ", "\\-", "(?=ab)", "\\b", "\\x41", "{,2}", "{", "}", "]",
        "(?i)", "(a", ")", "\\N", "[[:digit:]]", "d?", "e*?", "f++", "(?-i)", "(*ACCEPT)",
        "\\Qa.\\E", "\\1", "1", "2"};
    static const char alpha[] = "abcdefxABCDEF.\\ -/12ab";
    uint32_t x = 777;
    size_t compiled = 0, with_lit = 0, matches = 0, rejected = 0;
    for (int round = 0; round < 20000; round++) {
        char pat[200];
        size_t np = 1 + (round % 7), pl = 0;
        pl += (size_t)snprintf(pat, sizeof pat, "%s", round % 3 == 0 ? "(?i)" : "");
        for (size_t k = 0; k < np; k++) {
            x = x * 1103515245u + 12345u;
            const char *pc = pieces[(x >> 16) % (sizeof pieces / sizeof pieces[0])];
            if (pl + strlen(pc) + 1 < sizeof pat)
                pl += (size_t)snprintf(pat + pl, sizeof pat - pl, "%s", pc);
        }
        tl_expr *e = NULL;
        tl_diag d;
        if (tl_expr_compile(TL_EXPR_PCRE2, pat, 0, 0, &e, &d) != TL_OK)
            continue;
        compiled++;
        char lit[TL_PCRE_LIT_MAX + 1];
        int has = tl_pcre_literal(pat, lit, sizeof lit) >= 3;
        with_lit += has;
        for (int k = 0; k < 40; k++) {
            char subj[64];
            size_t n = (size_t)(k % 20) + 2;
            for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                subj[i] = alpha[(x >> 16) % (sizeof alpha - 1)];
            }
            subj[n] = '\0';
            if (has && k % 2) { /* plant the literal, sometimes in the other case */
                size_t ll = strlen(lit);
                for (size_t i = 0; i < ll && i + 1 < n; i++)
                    subj[i + 1] = (char)((k % 4 == 1 && lit[i] >= 'a' && lit[i] <= 'z')
                                             ? lit[i] - 32
                                             : lit[i]);
            }
            tl_expr_prefilter_off = 1;
            int want = tl_expr_match(e, subj);
            tl_expr_prefilter_off = 0;
            int got = tl_expr_match(e, subj);
            if (want != got)
                print_error("pattern '%s' subject '%s': %d with the prefilter, %d without\n", pat,
                            subj, got, want);
            assert_int_equal(got, want);
            matches += want;
            if (has && !want && !strstr(subj, lit))
                rejected++;
        }
        tl_expr_free(e);
    }
    print_message("pcre2 prefilter: %zu patterns, %zu with a literal, %zu matches, %zu "
                  "subjects without it\n",
                  compiled, with_lit, matches, rejected);
    assert_true(compiled > 5000);
    assert_true(with_lit > 1000);
    assert_true(matches > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regex_osmatch_table),
        cmocka_unit_test(test_regex_osmatch_end_pointer),
        cmocka_unit_test(test_regex_osregex_table),
        cmocka_unit_test(test_regex_osregex_bad_patterns),
        cmocka_unit_test(test_regex_osregex_ncaptures),
        cmocka_unit_test(test_regex_osregex_pathological_is_bounded),
        cmocka_unit_test(test_regex_pcre2_semantics),
        cmocka_unit_test(test_regex_pcre2_error_has_offset),
        cmocka_unit_test(test_regex_pcre2_captures),
        cmocka_unit_test(test_regex_pcre2_limits_stop_runaway),
        cmocka_unit_test(test_regex_shared_expressions_across_threads),
        cmocka_unit_test(test_regex_string_is_exact),
        cmocka_unit_test(test_regex_negate_and_missing_field),
        cmocka_unit_test(test_regex_expr_osregex_exec),
        cmocka_unit_test(test_regex_type_parse),
        cmocka_unit_test(test_regex_out_of_memory_is_clean),
        cmocka_unit_test(test_regex_reference_patterns_compile),
        cmocka_unit_test(test_regex_reference_ini_expectations),
        cmocka_unit_test(test_regex_prefilter_changes_nothing),
        cmocka_unit_test(test_regex_lit_find_short_texts),
        cmocka_unit_test(test_regex_pair_bloom_never_refuses_a_holder),
        cmocka_unit_test(test_regex_pcre_literal),
        cmocka_unit_test(test_regex_pcre_prefilter_changes_nothing),
    };
    return cmocka_run_group_tests_name("regex", tests, NULL, teardown_group);
}
