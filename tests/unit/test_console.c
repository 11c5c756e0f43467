/* SPDX-License-Identifier: MIT */
/*
 * Console output (issue 14): what each command step prints — schtasks' SUCCESS
 * and ERROR lines, the /query listing in Windows' layout (a Tarrask-hidden task
 * missing from it), reg's messages — with the step's exit code, and nothing
 * for a stream cmd.exe redirects. Through the public API (tl_sim_console_json).
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

#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"

typedef struct run {
    tl_scenario *sc;
    tl_sim *sim;
    tl_buf all; /* every record, one a line */
    char *tasks, *console;
    tl_status st;
    tl_diag d;
    char msg[2048];
} run;

static void run_free(run *r)
{
    tl_sim_free(r->sim);
    tl_scenario_free(r->sc);
    tl_buf_free(&r->all);
    tl_free(r->tasks);
    tl_free(r->console);
}

/* JSON string escaping of a script for a file step. */
static void json_str(tl_buf *b, const char *s)
{
    tl_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            tl_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            tl_buf_puts(b, "\\n");
        else if (*s == '\r')
            tl_buf_puts(b, "\\r");
        else if (*s == '\t')
            tl_buf_puts(b, "\\t");
        else
            tl_buf_putc(b, *s);
    }
    tl_buf_putc(b, '"');
}

static int has(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

/* The console JSON of a run of these cmd.exe lines, typed by alice elevated. */
static char *console_of(run *r, const char *const *lines, size_t n)
{
    tl_buf steps = TL_BUF_INIT;
    memset(r, 0, sizeof *r);
    tl_buf_puts(&steps, "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\",\"endpoint\":{"
                        "\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                        "\"admin\":true}]},\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7,"
                        "\"steps\":[");
    for (size_t i = 0; i < n; i++) {
        tl_buf_printf(&steps, "%s{\"at\":%zu,\"user\":\"%s\",\"elevated\":true,\"command\":", i ? "," : "",
                      i, strncmp(lines[i], "reg ", 4) ? "alice" : "SYSTEM");
        json_str(&steps, lines[i]);
        tl_buf_putc(&steps, '}');
    }
    tl_buf_puts(&steps, "]}");
    assert_int_equal(tl_buf_status(&steps), TL_OK);
    r->st = tl_scenario_load_mem("scenarios/t.json", steps.data, steps.len, &r->sc, &r->d);
    tl_buf_free(&steps);
    if (r->st == TL_OK) {
        tl_sim_opts o = {ETC, TL_SHARED_DIR, NULL, NULL};
        r->st = tl_sim_new(r->sc, &o, &r->sim, &r->d);
    }
    for (size_t i = 0; r->st == TL_OK && i < tl_sim_step_count(r->sim); i++)
        r->st = tl_sim_run_step(r->sim, i, &r->d);
    if (r->st == TL_OK)
        r->st = tl_sim_console_json(r->sim, &r->console);
    tl_diag_format(&r->d, r->msg, sizeof r->msg);
    if (r->st != TL_OK)
        print_error("run failed: %s\n", r->msg);
    assert_int_equal(r->st, TL_OK);
    return r->console;
}

static void test_console_schtasks(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "schtasks /create /tn WinUpdate /tr C:\\Windows\\Temp\\w.exe /sc daily /st 10:00 /ru SYSTEM",
        "schtasks /create /tn WinUpdate /tr C:\\Windows\\Temp\\w.exe /sc daily /st 10:00 /ru SYSTEM",
        "schtasks /query /tn WinUpdate",
        "reg delete \"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\WinUpdate\" /v SD /f",
        "schtasks /query",
        "schtasks /query /tn WinUpdate",
        "schtasks /create /tn Quiet /tr calc.exe /sc onlogon >nul",
        "schtasks /delete /tn Nothere /f 2>nul",
        "schtasks /delete /tn Nothere /f >nul",
    };
    run r;
    const char *c = console_of(&r, lines, sizeof lines / sizeof lines[0]);
    assert_true(has(c, "{\"step\":0,\"command\":\"schtasks /create /tn WinUpdate /tr "
                       "C:\\\\Windows\\\\Temp\\\\w.exe /sc daily /st 10:00 /ru SYSTEM\",\"exit_code\":0,"
                       "\"output\":\"SUCCESS: The scheduled task \\\"WinUpdate\\\" has successfully been "
                       "created.\\n\"}"));
    assert_true(has(c, "\"exit_code\":1,\"output\":\"WARNING: The task name \\\"WinUpdate\\\" already "
                       "exists. Do you want to replace it (Y/N)? \\n\"}"));
    /* /query /tn: its folder, the header, its row with the next daily start */
    assert_true(has(c, "{\"step\":2,\"command\":\"schtasks /query /tn WinUpdate\",\"exit_code\":0,"
                       "\"output\":\"\\nFolder: \\\\\\nTaskName                                 Next Run "
                       "Time          Status\\n======================================== "
                       "====================== ===============\\nWinUpdate                      "
                       "          4/14/2022 10:00:00 AM  Ready\\n\"}"));
    assert_true(has(c, "{\"step\":3,\"command\":\"reg delete"));
    assert_true(has(c, "\"exit_code\":0,\"output\":\"The operation completed successfully.\\n\"}"));
    /* without its SD the task is in no listing, and /query /tn does not find it */
    const char *all = strstr(c, "{\"step\":4,");
    const char *next = all ? strstr(all, "{\"step\":5,") : NULL;
    assert_non_null(next);
    assert_true(has(all, "\\nFolder: \\\\Microsoft\\\\Windows\\\\UpdateOrchestrator\\n"));
    assert_true(strstr(all, "WinUpdate") == NULL || strstr(all, "WinUpdate") > next);
    assert_true(has(next, "{\"step\":5,\"command\":\"schtasks /query /tn WinUpdate\",\"exit_code\":1,"
                          "\"output\":\"ERROR: The system cannot find the file specified.\\n\"}"));
    /* >nul hides SUCCESS (stdout), 2>nul the ERROR (stderr), >nul not the ERROR */
    assert_true(has(c, ">nul\",\"exit_code\":0,\"output\":\"\"}"));
    assert_true(has(c, "/f 2>nul\",\"exit_code\":1,\"output\":\"\"}"));
    assert_true(has(c, "/f >nul\",\"exit_code\":1,\"output\":\"ERROR: The system cannot find the "
                       "file specified.\\n\"}"));
    run_free(&r);
}

/* A task's action prints to no console: only the step's own programs are shown. */
static void test_console_task_action_silent(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "schtasks /create /tn Inner /tr \"cmd.exe /c schtasks /create /tn Nested /tr calc.exe /sc onlogon\" /sc onlogon",
        "schtasks /run /tn Inner",
    };
    run r;
    const char *c = console_of(&r, lines, 2);
    assert_true(has(c, "\"exit_code\":0,\"output\":\"SUCCESS: Attempted to run the scheduled task "
                       "\\\"Inner\\\".\\n\"}"));
    assert_false(has(c, "\\\"Nested\\\" has successfully been created"));
    /* the action did run: its schtasks created the task */
    assert_int_equal(tl_sim_tasks_json(r.sim, &r.tasks), TL_OK);
    assert_true(has(r.tasks, "\"Path\":\"\\\\Nested\""));
    run_free(&r);
}

/* reg import (issue 14, the GhostTask-style scenario): a regedit export, whose long hex
 * values go on over lines ending in '\\', imports whole; reg import reports success on
 * the console (standard error: `2>nul` hides it), and "Error accessing the registry" when
 * the account may not write a key (TaskCache is SYSTEM's). reg query lists the key in
 * reg's layout, which shows the continued value whole. */
static void test_console_reg_import(void **state)
{
    (void)state;
    static const char reg[] =
        "Windows Registry Editor Version 5.00\r\n\r\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache"
        "\\Tasks\\{11111111-2222-3333-4444-555555555555}]\r\n"
        "\"Path\"=\"\\\\imp\"\r\n"
        "\"Blob\"=hex:01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\\r\n"
        "  17,18,19,1a,\\\r\n"
        "  1b,1c\r\n"
        "\"After\"=dword:00000007\r\n";
    tl_buf j = TL_BUF_INIT;
    run r;
    memset(&r, 0, sizeof r);
    tl_buf_puts(&j, "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\",\"endpoint\":{"
                    "\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                    "\"admin\":true}]},\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7,"
                    "\"steps\":[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\","
                    "\"path\":\"C:\\\\Users\\\\Public\\\\t.reg\",\"encoding\":\"utf-16le-bom\","
                    "\"content\":");
    json_str(&j, reg);
    tl_buf_puts(&j, "}},{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":"
                    "\"reg import C:\\\\Users\\\\Public\\\\t.reg\"},"
                    "{\"at\":2,\"user\":\"SYSTEM\",\"command\":\"reg import "
                    "C:\\\\Users\\\\Public\\\\t.reg\"},"
                    "{\"at\":3,\"user\":\"SYSTEM\",\"command\":\"reg import "
                    "C:\\\\Users\\\\Public\\\\t.reg 2>nul\"},"
                    "{\"at\":4,\"user\":\"SYSTEM\",\"command\":\"reg query \\\"HKLM\\\\SOFTWARE"
                    "\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache"
                    "\\\\Tasks\\\\{11111111-2222-3333-4444-555555555555}\\\"\"}]}");
    assert_int_equal(tl_buf_status(&j), TL_OK);
    r.st = tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &r.sc, &r.d);
    tl_buf_free(&j);
    if (r.st == TL_OK) {
        tl_sim_opts o = {ETC, TL_SHARED_DIR, NULL, NULL};
        r.st = tl_sim_new(r.sc, &o, &r.sim, &r.d);
    }
    for (size_t i = 0; r.st == TL_OK && i < tl_sim_step_count(r.sim); i++)
        r.st = tl_sim_run_step(r.sim, i, &r.d);
    if (r.st == TL_OK)
        r.st = tl_sim_console_json(r.sim, &r.console);
    tl_diag_format(&r.d, r.msg, sizeof r.msg);
    if (r.st != TL_OK)
        print_error("run failed: %s\n", r.msg);
    assert_int_equal(r.st, TL_OK);
    const char *c = r.console;
    assert_true(has(c, "{\"step\":1,\"command\":\"reg import C:\\\\Users\\\\Public\\\\t.reg\","
                       "\"exit_code\":1,\"output\":\"ERROR: Error accessing the registry.\\n\"}"));
    assert_true(has(c, "{\"step\":2,\"command\":\"reg import C:\\\\Users\\\\Public\\\\t.reg\","
                       "\"exit_code\":0,\"output\":\"The operation completed successfully.\\n\"}"));
    assert_true(has(c, "{\"step\":3,\"command\":\"reg import C:\\\\Users\\\\Public\\\\t.reg "
                       "2>nul\",\"exit_code\":0,\"output\":\"\"}"));
    /* the continued value is whole (28 bytes), and the value after it is read */
    assert_true(has(c, "0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C\\n"));
    assert_true(has(c, "After    REG_DWORD    0x7\\n"));
    run_free(&r);
}

/* reg's reading verbs (issue 16: a defender's hunt of TaskCache must stay silent, so
 * the verbs must run): reg export writes a .reg file that reg import restores whole
 * (strings, DWORDs, binary values, subkeys); reg compare exits 0 on identical keys and
 * 2 on different ones; a missing key is exit 1; reg save writes its hive file. */
static void test_console_reg_export_compare(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "reg add HKLM\\SOFTWARE\\T\\A /v S /d hello /f",
        "reg add HKLM\\SOFTWARE\\T\\A /v N /t REG_DWORD /d 7 /f",
        "reg add HKLM\\SOFTWARE\\T\\A\\Sub /v B /t REG_BINARY /d 0102 /f",
        "reg export HKLM\\SOFTWARE\\T C:\\Users\\Public\\t.reg /y",
        "reg delete HKLM\\SOFTWARE\\T /f",
        "reg import C:\\Users\\Public\\t.reg",
        "reg query HKLM\\SOFTWARE\\T\\A /s",
        "reg compare HKLM\\SOFTWARE\\T\\A HKLM\\SOFTWARE\\T\\A /s",
        "reg compare HKLM\\SOFTWARE\\T\\A HKLM\\SOFTWARE\\T\\A\\Sub",
        "reg export HKLM\\SOFTWARE\\Nope C:\\Users\\Public\\n.reg",
        "reg save HKLM\\SOFTWARE\\T C:\\Users\\Public\\t.hiv /y",
    };
    run r;
    const char *c = console_of(&r, lines, sizeof lines / sizeof lines[0]);
    assert_true(has(c, "{\"step\":3,\"command\":\"reg export HKLM\\\\SOFTWARE\\\\T "
                       "C:\\\\Users\\\\Public\\\\t.reg /y\",\"exit_code\":0,"));
    assert_true(has(c, "{\"step\":5,\"command\":\"reg import C:\\\\Users\\\\Public\\\\t.reg\","
                       "\"exit_code\":0,"));
    /* restored from the export: all three values, the subkey included */
    assert_true(has(c, "    S    REG_SZ    hello\\n"));
    assert_true(has(c, "    N    REG_DWORD    0x7\\n"));
    assert_true(has(c, "    B    REG_BINARY    0102\\n"));
    assert_true(has(c, "\"step\":7,"));
    assert_true(has(c, "/s\",\"exit_code\":0,\"output\":\"\\nResult Compared: Identical\\n"));
    assert_true(has(c, "\\\\Sub\",\"exit_code\":2,\"output\":\"\\nResult Compared: Different\\n"));
    assert_true(has(c, "n.reg\",\"exit_code\":1,"));
    assert_true(has(c, "t.hiv /y\",\"exit_code\":0,"));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_schtasks),
        cmocka_unit_test(test_console_task_action_silent),
        cmocka_unit_test(test_console_reg_import),
        cmocka_unit_test(test_console_reg_export_compare),
    };
    return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
