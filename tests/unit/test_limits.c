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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_powershell_deep_expression_is_step_error),
        cmocka_unit_test(test_limits_cmd_nesting_is_step_error),
        cmocka_unit_test(test_limits_command_line_over_32767_starts_nothing),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
