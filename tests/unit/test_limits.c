/* SPDX-License-Identifier: MIT */
/*
 * Limits on untrusted input (tasklab/limits.h): a hostile scenario must end
 * as a clear error naming the step, quickly and in bounded memory, never as
 * a crash or a run that eats the machine. Each case here is a small but real
 * input of the kind an adversarial review used (issue 10): a PowerShell
 * expression nested 5,000 levels deep, cmd /c nested far beyond any real
 * procedure, a command line longer than CreateProcess accepts.
 */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"
#include "tasklab/limits.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct run {
    tl_scenario *sc;
    tl_sim *sim;
    tl_buf all; /* every record's xml, one a line */
    size_t nrec;
    tl_status st;
    tl_diag d;
    char msg[2048];
} run;

static void run_free(run *r)
{
    tl_sim_free(r->sim);
    tl_scenario_free(r->sc);
    tl_buf_free(&r->all);
}

/* A scenario "t" with these steps (a JSON array) and top-level extras
 * (",\"limits\":{...}" or ""). Returns 1 when every step ran. On a load or
 * step error r->st and r->msg tell why. */
static int run_json(run *r, const char *steps, const char *extra)
{
    memset(r, 0, sizeof *r);
    tl_buf j = TL_BUF_INIT;
    tl_buf_printf(&j,
                  "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\","
                  "\"endpoint\":{\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                  "\"admin\":true}]},\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7%s,"
                  "\"steps\":",
                  extra ? extra : "");
    tl_buf_puts(&j, steps);
    tl_buf_putc(&j, '}');
    assert_int_equal(tl_buf_status(&j), TL_OK);
    r->st = tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &r->sc, &r->d);
    tl_buf_free(&j);
    if (r->st == TL_OK) {
        tl_sim_opts o = {ETC, TL_SHARED_DIR, NULL, NULL};
        r->st = tl_sim_new(r->sc, &o, &r->sim, &r->d);
    }
    for (size_t i = 0; r->st == TL_OK && i < tl_sim_step_count(r->sim); i++) {
        r->st = tl_sim_run_step(r->sim, i, &r->d);
        tl_record rec;
        while (r->st == TL_OK && tl_sim_next_record(r->sim, &rec)) {
            tl_buf_puts(&r->all, rec.xml);
            tl_buf_putc(&r->all, '\n');
            r->nrec++;
        }
    }
    tl_diag_format(&r->d, r->msg, sizeof r->msg);
    return r->st == TL_OK;
}

/* One command step typed by alice at her prompt (parent cmd.exe). */
static int run_command(run *r, const char *cmd_json_escaped)
{
    tl_buf s = TL_BUF_INIT;
    tl_buf_printf(&s, "[{\"at\":0,\"user\":\"alice\",\"command\":\"%s\"}]", cmd_json_escaped);
    assert_int_equal(tl_buf_status(&s), TL_OK);
    int ok = run_json(r, s.data, NULL);
    tl_buf_free(&s);
    return ok;
}

/* Number of processes the endpoint started whose image ends with `name`. */
static size_t procs_named(const run *r, const char *name)
{
    size_t n = 0, l = strlen(name);
    for (size_t i = 0; r->sim && i < r->sim->nprocs; i++) {
        const char *img = r->sim->procs[i].image;
        size_t il = img ? strlen(img) : 0;
        if (il >= l && tl_strcasecmp(img + il - l, name) == 0)
            n++;
    }
    return n;
}

static void expect_step_error(const run *r, tl_status st, const char *msg)
{
    if (r->st != st || !strstr(r->msg, msg)) {
        print_error("expected status %d and \"%s\", got %d: %s\n", st, msg, r->st, r->msg);
        fail();
    }
}

/* ---- parser depth ---------------------------------------------------------------- */

/* powershell.exe -c "((((...1...))))" with 5,000 levels once overflowed the stack in
 * parse_primary/parse_pipeline and took the whole test run down. */
static void test_limits_powershell_deep_expression_is_step_error(void **state)
{
    (void)state;
    enum { N = 5000 };
    tl_buf c = TL_BUF_INIT;
    tl_buf_puts(&c, "powershell.exe -c \\\"");
    for (int i = 0; i < N; i++)
        tl_buf_putc(&c, '(');
    tl_buf_putc(&c, '1');
    for (int i = 0; i < N; i++)
        tl_buf_putc(&c, ')');
    tl_buf_puts(&c, "\\\"");
    run r;
    assert_false(run_command(&r, tl_buf_cstr(&c)));
    expect_step_error(&r, TL_E_LIMIT,
                      "scenarios/t.json: $.steps[0].command: powershell: expression nested "
                      "deeper than 100 levels");
    run_free(&r);
    tl_buf_free(&c);

    /* the same shape within the limit still evaluates */
    tl_buf_puts(&c, "powershell.exe -c \\\"$x = ");
    for (int i = 0; i < 50; i++)
        tl_buf_putc(&c, '(');
    tl_buf_puts(&c, "'calc.exe'");
    for (int i = 0; i < 50; i++)
        tl_buf_putc(&c, ')');
    tl_buf_puts(&c, "\\\"");
    assert_true(run_command(&r, tl_buf_cstr(&c)));
    run_free(&r);
    tl_buf_free(&c);
}

/* ---- size of values --------------------------------------------------------------- */

/* $a=$a+$a x24 once took 660 MB and 4.8 s, x34 ran out of memory; '{0}{0}' -f $a, "$a$a",
 * $a,$a and @{...} grow the same way. Each ends as a step error past
 * TL_LIMIT_PS_VALUE_BYTES (256 KiB), in bounded time and memory. */
static void test_limits_powershell_value_growth_is_step_error(void **state)
{
    (void)state;
    static const char *const grow[] = {"$a=$a+$a; ", "$a='{0}{0}' -f $a; ", "$a=\\\\\\\"$a$a\\\\\\\"; ",
                                       "$a=$a,$a; ", "$a=@{k=$a;l=$a}; ", "$a=($a,1)+$a; "};
    for (size_t g = 0; g < sizeof grow / sizeof grow[0]; g++) {
        tl_buf c = TL_BUF_INIT;
        tl_buf_puts(&c, "powershell.exe -NoProfile -Command \\\"$a='xxxxxxxxxxxxxxxx'; ");
        for (int i = 0; i < 40; i++)
            tl_buf_puts(&c, grow[g]);
        tl_buf_puts(&c, "'done'\\\"");
        run r;
        assert_false(run_command(&r, tl_buf_cstr(&c)));
        expect_step_error(&r, TL_E_LIMIT, "$.steps[0].command: powershell: a");
        expect_step_error(&r, TL_E_LIMIT, "larger than 262144 bytes (tasklab's limit, "
                                          "TL_LIMIT_PS_VALUE_BYTES)");
        run_free(&r);
        tl_buf_free(&c);
    }
    /* many variables of 128 KiB each: the total of the script's variables is capped */
    {
        tl_buf c = TL_BUF_INIT;
        tl_buf_puts(&c, "powershell.exe -c \\\"$a='xxxxxxxxxxxxxxxx'; ");
        for (int i = 0; i < 13; i++)
            tl_buf_puts(&c, "$a=$a+$a; "); /* 128 KiB */
        for (int i = 0; i < 10; i++)
            tl_buf_printf(&c, "$v%d=$a; ", i);
        tl_buf_puts(&c, "\\\"");
        run r;
        assert_false(run_command(&r, tl_buf_cstr(&c)));
        expect_step_error(&r, TL_E_LIMIT, "powershell: the script's variables larger than 1048576 "
                                          "bytes (tasklab's limit, TL_LIMIT_PS_VARS_BYTES)");
        run_free(&r);
        tl_buf_free(&c);
    }
    /* within the limit: 12 doublings (64 KiB) run and start the command built from it */
    {
        tl_buf c = TL_BUF_INIT;
        tl_buf_puts(&c, "powershell.exe -c \\\"$a='xxxxxxxxxxxxxxxx'; ");
        for (int i = 0; i < 12; i++)
            tl_buf_puts(&c, "$a=$a+$a; ");
        tl_buf_puts(&c, "$b=$a,$a,$a; cmd /c whoami\\\"");
        run r;
        assert_true(run_command(&r, tl_buf_cstr(&c)));
        assert_int_equal(procs_named(&r, "\\whoami.exe"), 1);
        run_free(&r);
        tl_buf_free(&c);
    }
}

/* ---- work budget ------------------------------------------------------------------ */

/* cmd /c cmd /c ... x4,000 once used 2.1 GB: nesting is capped, the step fails fast. */
static void test_limits_cmd_nesting_is_step_error(void **state)
{
    (void)state;
    tl_buf c = TL_BUF_INIT;
    for (int i = 0; i < 4000; i++)
        tl_buf_puts(&c, "cmd /c ");
    tl_buf_puts(&c, "whoami");
    run r;
    assert_false(run_command(&r, tl_buf_cstr(&c)));
    expect_step_error(&r, TL_E_LIMIT, "$.steps[0].command: processes nested deeper than 32 levels");
    run_free(&r);
    tl_buf_free(&c);

    /* powershell and cmd inside one another count together */
    for (int i = 0; i < 20; i++)
        tl_buf_puts(&c, "cmd /c powershell -c ");
    tl_buf_puts(&c, "whoami");
    assert_false(run_command(&r, tl_buf_cstr(&c)));
    expect_step_error(&r, TL_E_LIMIT, "processes nested deeper than 32 levels");
    run_free(&r);
    tl_buf_free(&c);

    /* 30 levels are fine: 31 processes (30 cmd + whoami) */
    for (int i = 0; i < 30; i++)
        tl_buf_puts(&c, "cmd /c ");
    tl_buf_puts(&c, "whoami");
    assert_true(run_command(&r, tl_buf_cstr(&c)));
    assert_int_equal(procs_named(&r, "\\whoami.exe"), 1);
    assert_int_equal(procs_named(&r, "\\cmd.exe"), 31); /* with alice's prompt */
    run_free(&r);
    tl_buf_free(&c);
}

/* CreateProcess takes at most 32,767 characters including the NUL: a longer command line
 * starts no process (ERROR_FILENAME_EXCED_RANGE), as on Windows; 32,766 characters work. */
static void test_limits_command_line_over_32767_starts_nothing(void **state)
{
    (void)state;
    /* typed at the prompt: cmd starts "schtasks" + " " + the rest of the line, one
     * character longer than the typed line (the double space of windows.md 1.5) */
    const char *head = "schtasks /create /tn big /tr calc.exe /sc onlogon /f /z ";
    for (int extra = 0; extra <= 1; extra++) {
        size_t want = (size_t)TL_LIMIT_CMDLINE_CHARS - 1 + (size_t)extra;
        tl_buf c = TL_BUF_INIT;
        tl_buf_puts(&c, head);
        while (c.len + 1 < want)
            tl_buf_putc(&c, 'A');
        run r;
        int ok = run_command(&r, tl_buf_cstr(&c));
        if (extra) {
            /* nothing started: no schtasks.exe process, no task */
            assert_true(ok);
            assert_int_equal(procs_named(&r, "\\schtasks.exe"), 0);
        } else {
            /* schtasks starts (and refuses the extra argument: a step error) */
            assert_false(ok);
            assert_int_equal(procs_named(&r, "\\schtasks.exe"), 1);
            assert_non_null(strstr(r.msg, "schtasks"));
        }
        run_free(&r);
        tl_buf_free(&c);
    }
}


/* A batch file that runs itself ten times per level once ran for minutes (10^8 lines
 * under the old silent depth cap): the nesting is now an error at TL_LIMIT_BATCH_DEPTH. */
static void test_limits_batch_recursion_is_step_error(void **state)
{
    (void)state;
    tl_buf b = TL_BUF_INIT;
    for (int i = 0; i < 10; i++)
        tl_buf_puts(&b, "C:\\\\r.bat\\r\\n");
    tl_buf steps = TL_BUF_INIT;
    tl_buf_printf(&steps,
                  "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:\\\\r.bat\","
                  "\"content\":\"%s\"}},{\"at\":1,\"user\":\"alice\",\"command\":\"C:\\\\r.bat\"}]",
                  tl_buf_cstr(&b));
    run r;
    assert_false(run_json(&r, tl_buf_cstr(&steps), NULL));
    expect_step_error(&r, TL_E_LIMIT,
                      "$.steps[1].command: batch files nested deeper than 8 levels (C:\\r.bat");
    run_free(&r);
    tl_buf_free(&b);
    tl_buf_free(&steps);
}

/* The per-run budget: commands and events, lowered by the scenario's "limits". */
static void test_limits_work_budget_is_step_error(void **state)
{
    (void)state;
    tl_buf b = TL_BUF_INIT;
    for (int i = 0; i < 100; i++)
        tl_buf_puts(&b, "echo x\\r\\n");
    tl_buf steps = TL_BUF_INIT;
    tl_buf_printf(&steps,
                  "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:\\\\e.bat\","
                  "\"content\":\"%s\"}},{\"at\":1,\"user\":\"alice\",\"command\":\"C:\\\\e.bat\"}]",
                  tl_buf_cstr(&b));
    run r;
    assert_false(run_json(&r, tl_buf_cstr(&steps), ",\"limits\":{\"commands\":50}"));
    expect_step_error(&r, TL_E_LIMIT,
                      "$.steps[1].command: more than 50 commands in one run (the work budget: "
                      "scenario key \"limits\".commands");
    run_free(&r);
    /* the default budget runs it */
    assert_true(run_json(&r, tl_buf_cstr(&steps), NULL));
    run_free(&r);

    const char *many = "[{\"at\":0,\"user\":\"alice\",\"command\":\"schtasks /create /tn a /tr "
                       "calc.exe /sc onlogon /f & schtasks /create /tn b /tr calc.exe /sc "
                       "onlogon /f\"}]";
    assert_false(run_json(&r, many, ",\"limits\":{\"events\":5}"));
    expect_step_error(&r, TL_E_LIMIT, "$.steps[0].command: more than 5 events in one run");
    run_free(&r);
    assert_true(run_json(&r, many, NULL));
    run_free(&r);

    /* the scenario may not raise the budget past the ceiling */
    assert_false(run_json(&r, "[]", ",\"limits\":{\"events\":1e9}"));
    expect_step_error(&r, TL_E_PARSE, "scenarios/t.json: $.limits.events: expected a whole number "
                                      "from 1 to 2000000");
    run_free(&r);
    assert_false(run_json(&r, "[]", ",\"limits\":{\"evnts\":1}"));
    expect_step_error(&r, TL_E_PARSE, "$.limits.evnts: unknown key");
    run_free(&r);
    tl_buf_free(&b);
    tl_buf_free(&steps);
}

/* A task whose action runs itself thirty times (schtasks /run) once reached 659,000
 * events and 2.5 GB: the chain is bounded and the fan-out ends on the budget. */
static void test_limits_task_run_fanout_ends_on_budget(void **state)
{
    (void)state;
    tl_buf a = TL_BUF_INIT;
    for (int i = 0; i < 30; i++)
        tl_buf_puts(&a, "schtasks /run /tn fan\\r\\n");
    tl_buf steps = TL_BUF_INIT;
    tl_buf_printf(&steps,
                  "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":"
                  "\"C:\\\\fan.bat\",\"content\":\"%s\"}},"
                  "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create "
                  "/tn fan /sc onlogon /ru SYSTEM /f /tr C:\\\\fan.bat\"},"
                  "{\"at\":2,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /run /tn "
                  "fan\"}]",
                  tl_buf_cstr(&a));
    run r;
    assert_false(run_json(&r, tl_buf_cstr(&steps), NULL));
    expect_step_error(&r, TL_E_LIMIT, "$.steps[2].command: more than ");
    assert_true(r.sim->work_events <= TL_LIMIT_DEFAULT_EVENTS + 1);
    run_free(&r);
    tl_buf_free(&a);
    tl_buf_free(&steps);
}

/* ---- strictness of the scenario file ---------------------------------------------- */

static void test_limits_scenario_json_strictness(void **state)
{
    (void)state;
    run r;
    /* trailing content after the object */
    const char *good = "{\"name\":\"t\",\"title\":\"x\",\"kind\":\"attack\",\"endpoint\":{"
                       "\"hostname\":\"H\",\"users\":[{\"name\":\"alice\"}]},\"start\":"
                       "\"2022-04-13T11:59:41Z\",\"steps\":[]}";
    tl_buf j = TL_BUF_INIT;
    tl_buf_printf(&j, "%s\n {\"steps\":[]}\n", good);
    tl_diag d;
    tl_diag_clear(&d);
    tl_scenario *sc = NULL;
    assert_int_equal(tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &sc, &d),
                     TL_E_PARSE);
    char m[2048];
    tl_diag_format(&d, m, sizeof m);
    assert_string_equal(m, "scenarios/t.json:2: $: trailing content after the scenario's JSON "
                           "object (offset 139)");
    tl_buf_free(&j);
    tl_buf_printf(&j, "%s \n\t\r\n", good);
    assert_int_equal(tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &sc, &d), TL_OK);
    tl_scenario_free(sc);
    tl_buf_free(&j);

    /* \u0000 in a string: C:\x.txt\u0000.bat once wrote C:\x.txt */
    assert_false(run_json(&r,
                          "[{\"at\":0,\"file\":{\"op\":\"write\",\"path\":\"C:\\\\x.txt\\u0000.bat\","
                          "\"content\":\"x\"}}]",
                          NULL));
    expect_step_error(&r, TL_E_PARSE,
                      "scenarios/t.json: $.steps[0].file.path: \\u0000 (a NUL character) inside "
                      "a string");
    run_free(&r);
    /* an escaped backslash before u0000 is just text */
    assert_true(run_json(&r,
                         "[{\"at\":0,\"file\":{\"op\":\"write\",\"path\":\"C:\\\\x\\\\u0000.txt\","
                         "\"content\":\"x\"}}]",
                         NULL));
    run_free(&r);

    /* nesting beyond TL_LIMIT_JSON_DEPTH (cJSON alone would take 1000) */
    tl_buf deep = TL_BUF_INIT;
    tl_buf_puts(&deep, "[{\"at\":0,\"command\":\"whoami\",\"comment\":");
    for (int i = 0; i < 200; i++)
        tl_buf_putc(&deep, '[');
    for (int i = 0; i < 200; i++)
        tl_buf_putc(&deep, ']');
    tl_buf_puts(&deep, "}]");
    assert_false(run_json(&r, tl_buf_cstr(&deep), NULL));
    expect_step_error(&r, TL_E_PARSE, "scenarios/t.json: $.steps[0].comment[0][0]");
    expect_step_error(&r, TL_E_PARSE, "nested deeper than 64 levels");
    run_free(&r);
    tl_buf_free(&deep);
}

/* Noise is capped per scenario (all noise steps together). */
static void test_limits_noise_count_is_capped(void **state)
{
    (void)state;
    run r;
    assert_false(run_json(&r, "[{\"at\":0,\"noise\":{\"events\":100000000,\"duration\":60}}]", NULL));
    expect_step_error(&r, TL_E_PARSE, "$.steps[0].noise.events: expected a whole number of events; "
                                      "all noise steps together may have at most 1000000");
    run_free(&r);
    assert_false(run_json(&r,
                          "[{\"at\":0,\"noise\":{\"events\":600000,\"duration\":60}},"
                          "{\"at\":1,\"noise\":{\"events\":600000,\"duration\":60}}]",
                          NULL));
    expect_step_error(&r, TL_E_PARSE, "$.steps[1].noise.events");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_powershell_deep_expression_is_step_error),
        cmocka_unit_test(test_limits_powershell_value_growth_is_step_error),
        cmocka_unit_test(test_limits_cmd_nesting_is_step_error),
        cmocka_unit_test(test_limits_command_line_over_32767_starts_nothing),
        cmocka_unit_test(test_limits_batch_recursion_is_step_error),
        cmocka_unit_test(test_limits_work_budget_is_step_error),
        cmocka_unit_test(test_limits_task_run_fanout_ends_on_budget),
        cmocka_unit_test(test_limits_scenario_json_strictness),
        cmocka_unit_test(test_limits_noise_count_is_capped),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
