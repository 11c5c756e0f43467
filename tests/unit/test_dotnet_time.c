/* SPDX-License-Identifier: MIT */
/*
 * .NET DateTime text for PowerShell (issue 14, "New-ScheduledTaskTrigger -Daily
 * -At 9am ... gives the registration time as StartBoundary"):
 * - tl_dotnet_datetime_parse against a table of what DateTime.Parse gives under
 *   en-US (and the text it refuses), with the virtual clock at a fixed "now";
 * - end to end: PowerShell steps registering tasks with -At 9am, 3pm,
 *   (Get-Date).AddMinutes(1), "09:00", "9:00 AM", "2026-12-07 09:00", [datetime]
 *   casts, .AddHours/.AddDays, and the task's StartBoundary (tasks.json) is
 *   09:00 / 15:00 / now + 1 min on the virtual clock; text .NET cannot read is a
 *   step error naming the value.
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

#include "dotnet_time.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"

/* 2026-12-06 08:57:12.345678 UTC */
static tl_time now_fixed(void)
{
    return (tl_time)tl_time_from_civil(2026, 12, 6, 8, 57, 12) * TL_USEC_PER_SEC + 345678;
}

static void test_dotnet_time_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want; /* NULL: FormatException */
    } rows[] = {
        /* a time alone: today */
        {"9am", "2026-12-06T09:00:00"},
        {"9 AM", "2026-12-06T09:00:00"},
        {"3pm", "2026-12-06T15:00:00"},
        {"3PM", "2026-12-06T15:00:00"},
        {"12am", "2026-12-06T00:00:00"},
        {"12pm", "2026-12-06T12:00:00"},
        {"09:00", "2026-12-06T09:00:00"},
        {"9:00 AM", "2026-12-06T09:00:00"},
        {"9:30pm", "2026-12-06T21:30:00"},
        {"21:30:15", "2026-12-06T21:30:15"},
        {"  07:45  ", "2026-12-06T07:45:00"},
        /* a date alone: midnight */
        {"2026-12-07", "2026-12-07T00:00:00"},
        {"12/7/2026", "2026-12-07T00:00:00"},
        {"12/7", "2026-12-07T00:00:00"},
        {"12/7/26", "2026-12-07T00:00:00"},
        {"1/2/75", "1975-01-02T00:00:00"},
        {"December 7, 2026", "2026-12-07T00:00:00"},
        {"7 Dec 2026", "2026-12-07T00:00:00"},
        {"Monday, December 7, 2026", "2026-12-07T00:00:00"},
        {"2024-02-29", "2024-02-29T00:00:00"},
        /* both */
        {"2026-12-07 09:00", "2026-12-07T09:00:00"},
        {"2026-12-07T09:00:00", "2026-12-07T09:00:00"},
        {"2026/12/07 09:00", "2026-12-07T09:00:00"},
        {"12/7/2026 9:00 AM", "2026-12-07T09:00:00"},
        {"12/07/2026 15:04:05", "2026-12-07T15:04:05"},
        {"9:00 PM 12/7/2026", "2026-12-07T21:00:00"},
        {"Dec 7 2026 3pm", "2026-12-07T15:00:00"},
        /* zones: to the endpoint's local time (UTC) */
        {"2026-12-07T09:00:00Z", "2026-12-07T09:00:00"},
        {"2026-12-07T09:00:00+02:00", "2026-12-07T07:00:00"},
        {"2026-12-07 09:00 -0500", "2026-12-07T14:00:00"},
        /* refused */
        {"", NULL},
        {"9", NULL},
        {"tomorrow", NULL},
        {"13pm", NULL},
        {"25:00", NULL},
        {"9:60", NULL},
        {"2026-13-01", NULL},
        {"2026-02-30", NULL},
        {"2025-02-29", NULL},
        {"12/7/2026/1", NULL},
        {"9:00 xm", NULL},
        {"now", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tl_time t = 0;
        int ok = tl_dotnet_datetime_parse(rows[i].in, now_fixed(), &t);
        char got[32] = "(refused)";
        if (ok)
            tl_dotnet_datetime_boundary(t, got);
        if (ok != (rows[i].want != NULL) || (ok && strcmp(got, rows[i].want))) {
            print_error("\"%s\": got %s, want %s\n", rows[i].in, got,
                        rows[i].want ? rows[i].want : "(refused)");
            fail();
        }
    }
}

static void test_dotnet_time_format(void **state)
{
    (void)state;
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_dotnet_datetime_format(now_fixed(), NULL, &b), TL_OK);
    assert_string_equal(tl_buf_cstr(&b), "12/06/2026 08:57:12");
    tl_buf_reset(&b);
    assert_int_equal(tl_dotnet_datetime_format(now_fixed(), "yyyy (MM) h:mm tt 'at' fff", &b),
                     TL_OK);
    assert_string_equal(tl_buf_cstr(&b), "2026 (12) 8:57 AM at 345");
    tl_buf_free(&b);
}

/* ---- end to end ------------------------------------------------------------------ */

typedef struct run {
    tl_scenario *sc;
    tl_sim *sim;
    char *tasks;
    tl_status st;
    tl_diag d;
    char msg[2048];
} run;

static void run_free(run *r)
{
    tl_sim_free(r->sim);
    tl_scenario_free(r->sc);
    tl_free(r->tasks);
}

static void json_str(tl_buf *b, const char *s)
{
    tl_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            tl_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            tl_buf_puts(b, "\\n");
        else
            tl_buf_putc(b, *s);
    }
    tl_buf_putc(b, '"');
}

/* One elevated PowerShell step of alice at 2026-12-06T08:57:12Z running script. */
static tl_status run_ps(run *r, const char *script)
{
    tl_buf j = TL_BUF_INIT;
    memset(r, 0, sizeof *r);
    tl_buf_puts(&j, "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\",\"endpoint\":{"
                    "\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                    "\"admin\":true}]},\"start\":\"2026-12-06T08:57:12.000Z\",\"seed\":3,"
                    "\"steps\":[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"parent\":"
                    "\"C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe\","
                    "\"command\":");
    json_str(&j, script);
    tl_buf_puts(&j, "}]}");
    assert_int_equal(tl_buf_status(&j), TL_OK);
    r->st = tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &r->sc, &r->d);
    tl_buf_free(&j);
    if (r->st == TL_OK) {
        tl_sim_opts o = {ETC, TL_SHARED_DIR, NULL, NULL};
        r->st = tl_sim_new(r->sc, &o, &r->sim, &r->d);
    }
    for (size_t i = 0; r->st == TL_OK && i < tl_sim_step_count(r->sim); i++)
        r->st = tl_sim_run_step(r->sim, i, &r->d);
    if (r->st == TL_OK)
        r->st = tl_sim_tasks_json(r->sim, &r->tasks);
    tl_diag_format(&r->d, r->msg, sizeof r->msg);
    return r->st;
}

/* The StartBoundary of task \name in tasks.json, or "" */
static void boundary_of(const run *r, const char *name, char out[64])
{
    char key[128];
    snprintf(key, sizeof key, "\"Path\":\"\\\\%s\"", name);
    out[0] = 0;
    const char *p = r->tasks ? strstr(r->tasks, key) : NULL;
    const char *sb = p ? strstr(p, "\"StartBoundary\":\"") : NULL;
    if (!sb)
        return;
    sb += strlen("\"StartBoundary\":\"");
    const char *e = strchr(sb, '"');
    snprintf(out, 64, "%.*s", (int)(e ? e - sb : 0), sb);
}

static void test_dotnet_time_trigger_at(void **state)
{
    (void)state;
    static const struct {
        const char *at;
        const char *want; /* the StartBoundary; the step starts at 08:57:12 */
    } rows[] = {
        {"9am", "2026-12-06T09:00:00"},
        {"3pm", "2026-12-06T15:00:00"},
        {"'09:00'", "2026-12-06T09:00:00"},
        {"\"9:00 AM\"", "2026-12-06T09:00:00"},
        {"'2026-12-07 09:00'", "2026-12-07T09:00:00"},
        {"([datetime]'2026-12-07 09:00')", "2026-12-07T09:00:00"},
        {"([datetime]::Parse('12/7/2026 3:30 PM'))", "2026-12-07T15:30:00"},
        {"(Get-Date).AddMinutes(1)", "2026-12-06T08:58:12"},
        {"(Get-Date).AddHours(2)", "2026-12-06T10:57:12"},
        {"(Get-Date).AddDays(1).Date.AddHours(9)", "2026-12-07T09:00:00"},
        {"(Get-Date -Hour 9 -Minute 0 -Second 0).AddDays(1)", "2026-12-07T09:00:00"},
        {"([datetime]::Today).AddDays(2)", "2026-12-08T00:00:00"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        for (int form = 0; form < 2; form++) {
            char script[600];
            int bare = rows[i].at[0] >= '0' && rows[i].at[0] <= '9';
            if (form == 0) /* Microsoft's example: -Daily -At 9am */
                snprintf(script, sizeof script,
                         "$t = New-ScheduledTaskTrigger -Daily -At %s\n"
                         "Register-ScheduledTask -TaskName D -Action (New-ScheduledTaskAction "
                         "-Execute calc.exe) -Trigger $t",
                         rows[i].at);
            else /* -Once with the value in a variable first (a bare 9am is a string
                  * only in argument mode: quoted here) */
                snprintf(script, sizeof script,
                         "$when = %s%s%s; Register-ScheduledTask -TaskName D -Action "
                         "(New-ScheduledTaskAction -Execute calc.exe) -Trigger "
                         "(New-ScheduledTaskTrigger -Once -At $when)",
                         bare ? "'" : "", rows[i].at, bare ? "'" : "");
            run r;
            tl_status st = run_ps(&r, script);
            char got[64] = "";
            if (st == TL_OK)
                boundary_of(&r, "D", got);
            if (st != TL_OK || strcmp(got, rows[i].want)) {
                print_error("-At %s (form %d): StartBoundary \"%s\", want %s%s%s\n", rows[i].at,
                            form, got, rows[i].want, st != TL_OK ? "; " : "",
                            st != TL_OK ? r.msg : "");
                run_free(&r);
                fail();
            }
            /* the trigger kind follows the switch */
            assert_non_null(strstr(r.tasks, form == 0 ? "\"Type\":\"CalendarTrigger\""
                                                      : "\"Type\":\"TimeTrigger\""));
            run_free(&r);
        }
    }
}

/* (Get-Date).AddMinutes(1) is one minute after the moment the statement runs on
 * the virtual clock (the clock moves a few ms as the step's events are made), not
 * the registration time. */
static void test_dotnet_time_get_date_is_virtual_now(void **state)
{
    (void)state;
    run r;
    assert_int_equal(run_ps(&r, "$t = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1)"
                                "; Register-ScheduledTask -TaskName M -Action "
                                "(New-ScheduledTaskAction -Execute calc.exe) -Trigger $t"),
                     TL_OK);
    char got[64];
    boundary_of(&r, "M", got);
    assert_string_equal(got, "2026-12-06T08:58:12");
    run_free(&r);
    /* "$d" in a string is the invariant text of the date */
    assert_int_equal(run_ps(&r, "$d = [datetime]'2026-12-07 09:00'; Register-ScheduledTask "
                                "-TaskName S -Action (New-ScheduledTaskAction -Execute calc.exe "
                                "-Argument \"at $d\")"),
                     TL_OK);
    assert_non_null(strstr(r.tasks, "\"Arguments\":\"at 12/07/2026 09:00:00\""));
    run_free(&r);
}

/* What DateTime.Parse refuses is PowerShell's binding error: a step error naming the
 * value, never a silent "now". */
static void test_dotnet_time_bad_at_is_step_error(void **state)
{
    (void)state;
    static const char *const bad[] = {"tomorrow", "'25:00'", "9", "([datetime]'13/45/2026')",
                                      "(Get-Date).AddFortnights(1)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char script[300];
        snprintf(script, sizeof script, "New-ScheduledTaskTrigger -Daily -At %s", bad[i]);
        run r;
        tl_status st = run_ps(&r, script);
        if (st != TL_E_PARSE) {
            print_error("-At %s: status %d, want a parse error\n", bad[i], (int)st);
            run_free(&r);
            fail();
        }
        assert_non_null(strstr(r.msg, "$.steps[0]"));
        run_free(&r);
    }
    run r;
    assert_int_equal(run_ps(&r, "New-ScheduledTaskTrigger -Daily -At tomorrow"), TL_E_PARSE);
    assert_non_null(strstr(r.msg, "Cannot convert value \"tomorrow\" to type \"System.DateTime\""));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dotnet_time_parse_table),
        cmocka_unit_test(test_dotnet_time_format),
        cmocka_unit_test(test_dotnet_time_trigger_at),
        cmocka_unit_test(test_dotnet_time_get_date_is_virtual_now),
        cmocka_unit_test(test_dotnet_time_bad_at_is_step_error),
    };
    return cmocka_run_group_tests_name("dotnet_time", tests, NULL, NULL);
}
