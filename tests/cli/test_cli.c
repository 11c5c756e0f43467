/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the command-line parser: the options every command shares,
 * their errors, and how SCENARIO|DIR arguments expand (sorted, .json only).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_all(tl_cli_common *c, int argc, char **argv, int *unknown)
{
    *unknown = 0;
    for (int i = 0; i < argc; i++) {
        int r = tl_cli_common_opt(c, argc, argv, &i);
        if (r < 0)
            return -1;
        if (r == 0)
            (*unknown)++;
    }
    return 0;
}

static void test_cli_parses_common_options(void **state)
{
    (void)state;
    tl_cli_common c;
    tl_cli_common_init(&c);
    char *argv[] = {"--profile", "wazuh", "--ar", "exec", "--rules", "a.xml", "--rules", "b.xml",
                    "--ruleset", "/r", "scenario.json"};
    int unknown;
    assert_int_equal(parse_all(&c, 11, argv, &unknown), 0);
    assert_string_equal(c.profile, "wazuh");
    assert_int_equal(c.ar_mode, TL_AR_EXEC);
    assert_int_equal(c.rules.n, 2);
    assert_string_equal(c.rules.v[1], "b.xml");
    assert_string_equal(c.ruleset_dir, "/r");
    assert_int_equal(unknown, 1); /* the scenario is left for the command */
    tl_cli_common_free(&c);
}

static void test_cli_rejects_bad_values(void **state)
{
    (void)state;
    tl_cli_common c;
    tl_cli_common_init(&c);
    int unknown;
    char *bad_profile[] = {"--profile", "nope"};
    assert_int_equal(parse_all(&c, 2, bad_profile, &unknown), -1);
    char *bad_mode[] = {"--ar", "docker"};
    assert_int_equal(parse_all(&c, 2, bad_mode, &unknown), -1);
    char *missing[] = {"--ruleset"};
    assert_int_equal(parse_all(&c, 1, missing, &unknown), -1);
    tl_cli_common_free(&c);
}

static void test_cli_expands_folders_sorted(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl-cli-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *names[] = {"b.json", "a.json", "notes.txt", ".hidden.json"};
    for (size_t i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
    }
    tl_cli_list l = {0};
    tl_diag d;
    char *args[] = {dir};
    assert_int_equal(tl_cli_expand_scenarios(args, 1, &l, &d), TL_OK);
    assert_int_equal(l.n, 2);
    assert_non_null(strstr(l.v[0], "/a.json"));
    assert_non_null(strstr(l.v[1], "/b.json"));
    tl_cli_list_free(&l);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.json", dir);
    char *args2[] = {missing};
    assert_int_equal(tl_cli_expand_scenarios(args2, 1, &l, &d), TL_E_NOTFOUND);
    assert_non_null(strstr(d.msg, "no such scenario file"));
    tl_cli_list_free(&l);
    for (size_t i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        remove(p);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_parses_common_options),
        cmocka_unit_test(test_cli_rejects_bad_values),
        cmocka_unit_test(test_cli_expands_folders_sorted),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
