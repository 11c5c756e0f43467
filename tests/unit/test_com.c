/* SPDX-License-Identifier: MIT */
/*
 * Task registration through the Task Scheduler COM API (issue 14): a VBScript
 * or JScript under wscript.exe / cscript.exe and PowerShell's New-Object
 * -ComObject Schedule.Service register the task with the Schedule service —
 * Event 7 taskschd.dll in the host, the service's writes, Security 4698 whose
 * ClientProcessId is the host — and no schtasks.exe runs. Errors the service
 * returns reach the script as the hosts report them; constructs tasklab does
 * not interpret are scenario errors naming the line. Through the public API
 * only (scenario in memory, tl_sim steps, records, tasks and console JSON).
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

/* Write `script` to C:\Users\Public\<file> (when file is set), then run `command`
 * as alice (elevated or not) from `parent`. Security channel on. */
static int run_script(run *r, const char *file, const char *script, const char *parent,
                      int elevated, const char *command)
{
    memset(r, 0, sizeof *r);
    tl_buf j = TL_BUF_INIT;
    tl_buf_puts(&j, "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\",\"endpoint\":{"
                    "\"hostname\":\"DESKTOP-4E0BQFT\",\"channels\":{\"security\":true},"
                    "\"users\":[{\"name\":\"alice\",\"admin\":true}]},"
                    "\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7,\"steps\":[");
    if (file) {
        tl_buf_printf(&j, "{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":"
                          "\"C:\\\\Users\\\\Public\\\\%s\",\"content\":",
                      file);
        json_str(&j, script);
        tl_buf_puts(&j, "}},");
    }
    tl_buf_printf(&j, "{\"at\":1,\"user\":\"alice\",\"elevated\":%s,\"parent\":",
                  elevated ? "true" : "false");
    json_str(&j, parent);
    tl_buf_puts(&j, ",\"command\":");
    json_str(&j, command);
    tl_buf_puts(&j, "}]}");
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
        }
    }
    if (r->st == TL_OK)
        r->st = tl_sim_tasks_json(r->sim, &r->tasks);
    if (r->st == TL_OK)
        r->st = tl_sim_console_json(r->sim, &r->console);
    tl_diag_format(&r->d, r->msg, sizeof r->msg);
    if (r->st != TL_OK)
        print_message("run failed: %s\n", r->msg);
    return r->st == TL_OK;
}

static int has(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

/* The <Data Name='name'> of the first record holding `marker`, into buf. */
static const char *data_of(const run *r, const char *marker, const char *name, char *buf, size_t n)
{
    const char *all = tl_buf_cstr(&r->all);
    const char *rec = strstr(all, marker);
    buf[0] = 0;
    if (!rec)
        return buf;
    const char *end = strstr(rec, "</Event>");
    const char *bol = rec; /* back to the record's start (its text may hold new lines) */
    while (bol > all && strncmp(bol, "<Event ", 7) != 0)
        bol--;
    char pat[96];
    snprintf(pat, sizeof pat, "<Data Name='%s'>", name);
    const char *p = strstr(bol, pat);
    if (!p || (end && p > end))
        return buf;
    p += strlen(pat);
    size_t l = strcspn(p, "<");
    snprintf(buf, n, "%.*s", (int)(l < n ? l : n - 1), p);
    return buf;
}

static const char *const vbs =
    "' learn.microsoft.com Task Scheduler scripting sample (time trigger), times filled in\n"
    "Option Explicit\n"
    "const TriggerTypeTime = 1\n"
    "const ActionTypeExec = 0\n"
    "Dim service, rootFolder, taskDefinition, trigger, Action\n"
    "Set service = CreateObject(\"Schedule.Service\")\n"
    "call service.Connect()\n"
    "Set rootFolder = service.GetFolder(\"\\\")\n"
    "Set taskDefinition = service.NewTask(0)\n"
    "taskDefinition.RegistrationInfo.Author = \"Administrator\"\n"
    "taskDefinition.Settings.Hidden = True\n"
    "Set trigger = taskDefinition.Triggers.Create(TriggerTypeTime)\n"
    "trigger.StartBoundary = \"2022-04-13T12:10:00\"\n"
    "Set Action = taskDefinition.Actions.Create( ActionTypeExec )\n"
    "Action.Path = \"C:\\Windows\\System32\\notepad.exe\"\n"
    "call rootFolder.RegisterTaskDefinition( _\n"
    "    \"Test TimeTrigger\", taskDefinition, 6, , , 3)\n"
    "WScript.Echo \"Task submitted.\"\n";

static void test_com_vbscript_cscript(void **state)
{
    (void)state;
    run r;
    assert_true(run_script(&r, "t.vbs", vbs, "C:\\Windows\\System32\\cmd.exe", 0,
                           "cscript C:\\Users\\Public\\t.vbs"));
    /* the task, registered by the service with the script's definition */
    assert_true(has(r.tasks, "\"Path\":\"\\\\Test TimeTrigger\""));
    assert_true(has(r.tasks, "\"Execute\":\"C:\\\\Windows\\\\System32\\\\notepad.exe\""));
    assert_true(has(r.tasks, "{\"Type\":\"TimeTrigger\",\"StartBoundary\":\"2022-04-13T12:10:00\""));
    assert_true(has(r.tasks, "\"Hidden\":true"));
    /* taskschd.dll loaded by cscript, 4698 names cscript as the client, no schtasks */
    char pid7[32], cpid[32];
    assert_true(has(tl_buf_cstr(&r.all), "<Data Name='Image'>C:\\Windows\\System32\\cscript.exe</Data><Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll"));
    data_of(&r, "<Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll", "ProcessId", pid7,
            sizeof pid7);
    data_of(&r, "<EventID>4698</EventID>", "ClientProcessId", cpid, sizeof cpid);
    assert_true(pid7[0]);
    assert_string_equal(cpid, pid7);
    assert_false(has(tl_buf_cstr(&r.all), "schtasks.exe"));
    /* cscript's console: banner, then WScript.Echo */
    assert_true(has(r.console, "\"exit_code\":0,\"output\":\"Microsoft (R) Windows Script Host "
                               "Version 5.812\\nCopyright (C) Microsoft Corporation. All rights "
                               "reserved.\\n\\nTask submitted.\\n\""));
    run_free(&r);
}

/* Typed at cmd.exe, the .vbs opens in wscript.exe (its file type's command): same
 * registration, nothing on the console. */
static void test_com_vbscript_wscript(void **state)
{
    (void)state;
    run r;
    assert_true(run_script(&r, "t.vbs", vbs, "C:\\Windows\\System32\\cmd.exe", 0,
                           "C:\\Users\\Public\\t.vbs"));
    assert_true(has(r.tasks, "\"Path\":\"\\\\Test TimeTrigger\""));
    assert_true(has(tl_buf_cstr(&r.all), "WScript.exe</Data><Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll"));
    assert_true(has(r.console, "\"exit_code\":0,\"output\":\"\""));
    run_free(&r);
}

static const char *const js =
    "// JScript through Schedule.Service\n"
    "var service = new ActiveXObject(\"Schedule.Service\");\n"
    "service.Connect();\n"
    "var def = service.NewTask(0);\n"
    "var t = def.Triggers.Create(9); t.UserId = \"DESKTOP-4E0BQFT\\\\alice\";\n"
    "var a = def.Actions.Create(0);\n"
    "a.Path = \"C:\\\\Users\\\\Public\\\\svc.exe\"; a.Arguments = \"-k \" + \"run\";\n"
    "service.GetFolder(\"\\\\\").RegisterTaskDefinition(\"Updater\", def, 6, null, null, 3);\n"
    "service.GetFolder(\"\\\\\").RegisterTaskDefinition(\"SysUpdater\", def, 6, \"SYSTEM\", null, 5);\n"
    "WScript.Echo(\"not reached\");\n";

/* A task for SYSTEM needs an elevated caller: E_ACCESSDENIED stops the script. */
static void test_com_jscript_access_denied(void **state)
{
    (void)state;
    run r;
    assert_true(run_script(&r, "t.js", js, "C:\\Windows\\System32\\cmd.exe", 0,
                           "cscript.exe //nologo C:\\Users\\Public\\t.js"));
    assert_true(has(r.tasks, "\"Name\":\"Updater\""));
    assert_true(has(r.tasks, "\"Arguments\":\"-k run\""));
    assert_true(has(r.tasks, "{\"Type\":\"LogonTrigger\",\"Enabled\":\"true\",\"UserId\":\"DESKTOP-4E0BQFT\\\\alice\"}"));
    assert_false(has(r.tasks, "SysUpdater"));
    assert_true(has(r.console, "\"exit_code\":1,\"output\":\"C:\\\\Users\\\\Public\\\\t.js(9, "));
    assert_true(has(r.console, ") (null): Access is denied.\\n\""));
    assert_false(has(r.console, "not reached"));
    run_free(&r);
    /* elevated, both register; the SYSTEM one runs as S-1-5-18 */
    assert_true(run_script(&r, "t.js", js, "C:\\Windows\\System32\\cmd.exe", 1,
                           "cscript.exe //nologo C:\\Users\\Public\\t.js"));
    assert_true(has(r.tasks, "\"Name\":\"SysUpdater\""));
    assert_true(has(r.tasks, "\"UserId\":\"S-1-5-18\""));
    assert_true(has(r.console, "not reached\\n"));
    run_free(&r);
}

static const char *const ps =
    "$s = New-Object -ComObject Schedule.Service\n"
    "$s.Connect()\n"
    "$d = $s.NewTask(0)\n"
    "$d.Settings.Hidden = $true\n"
    "$a = $d.Actions.Create(0)\n"
    "$a.Path = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'\n"
    "$a.Arguments = '-nop -w hidden -enc SQBFAFgA'\n"
    "[void]$d.Triggers.Create(8)\n"
    "$s.GetFolder('\\').RegisterTaskDefinition('PsCom', $d, 6, 'SYSTEM', $null, 5) | Out-Null\n"
    "$s.GetFolder('\\').RegisterTaskDefinition('PsCom', $d, 2, 'SYSTEM', $null, 5)\n";

static void test_com_powershell(void **state)
{
    (void)state;
    run r;
    assert_true(run_script(&r, NULL, NULL,
                           "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", 1, ps));
    assert_true(has(r.tasks, "\"Name\":\"PsCom\""));
    assert_true(has(r.tasks, "{\"Type\":\"BootTrigger\""));
    assert_true(has(tl_buf_cstr(&r.all), "powershell.exe</Data><Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll"));
    assert_false(has(tl_buf_cstr(&r.all), "schtasks.exe"));
    /* TASK_CREATE (2) on an existing task: the method throws, PowerShell goes on */
    assert_true(has(r.console, "Exception calling \\\"RegisterTaskDefinition\\\" with \\\"6\\\" "
                               "argument(s): \\\"Cannot create a file when that file already "
                               "exists. (Exception from HRESULT: 0x800700B7)\\\"\\n"));
    assert_true(has(r.console, "\"exit_code\":1"));
    run_free(&r);
}

/* What tasklab does not interpret is a scenario error naming the script's line. */
static void test_com_unsupported_is_error(void **state)
{
    (void)state;
    run r;
    assert_false(run_script(&r, "t.vbs",
                            "Set s = CreateObject(\"Schedule.Service\")\nIf 1 Then s.Connect\n",
                            "C:\\Windows\\System32\\cmd.exe", 0, "wscript C:\\Users\\Public\\t.vbs"));
    assert_int_equal(r.st, TL_E_PARSE);
    assert_true(has(r.msg, "$.steps[1].command: vbscript: C:\\Users\\Public\\t.vbs line 2: 'If': "
                           "tasklab interprets straight-line scripts only"));
    run_free(&r);
    assert_false(run_script(&r, "t.vbs", "Set s = CreateObject(\"Schedule.Service\")\ns.Frob 1\n",
                            "C:\\Windows\\System32\\cmd.exe", 0, "wscript C:\\Users\\Public\\t.vbs"));
    assert_true(has(r.msg, "line 2: ITaskService.Frob: not in tasklab's model of the Task Scheduler API"));
    run_free(&r);
    assert_false(run_script(&r, "t.vbs", "Set s = CreateObject(\"WScript.Shell\")\n",
                            "C:\\Windows\\System32\\cmd.exe", 0, "wscript C:\\Users\\Public\\t.vbs"));
    assert_true(has(r.msg, "line 1: CreateObject(\"WScript.Shell\"): tasklab models only Schedule.Service"));
    run_free(&r);
    /* a missing script is the host's own error, not the scenario's */
    assert_true(run_script(&r, NULL, NULL, "C:\\Windows\\System32\\cmd.exe", 0,
                           "cscript //nologo C:\\Users\\Public\\none.vbs"));
    assert_true(has(r.console, "\"exit_code\":1,\"output\":\"Input Error: Can not find script "
                               "file \\\"C:\\\\Users\\\\Public\\\\none.vbs\\\".\\n\""));
    run_free(&r);
}

/* tl_sim_com_script: a script for each language that, run, registers the given XML
 * (what tasklab vary uses as an alternative creation path). */
static void test_com_script_for_xml(void **state)
{
    (void)state;
    static const char *const xml =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\" "
        "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n  <Triggers>"
        "<LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>\r\n  <Actions "
        "Context=\"Author\"><Exec><Command>C:\\Users\\Public\\a b.exe</Command><Arguments>-x "
        "'q' \"d\"</Arguments></Exec></Actions>\r\n</Task>\r\n";
    for (int lang = 0; lang < 3; lang++) {
        char *script = NULL;
        assert_int_equal(tl_sim_com_script(lang, "\\Vary\\T", xml, lang == 2 ? "SYSTEM" : NULL,
                                           &script),
                         TL_OK);
        run r;
        int ok = lang == 2 ? run_script(&r, NULL, NULL,
                                        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                                        1, script)
                           : run_script(&r, lang ? "v.js" : "v.vbs", script,
                                        "C:\\Windows\\System32\\cmd.exe", 0,
                                        lang ? "cscript //nologo C:\\Users\\Public\\v.js"
                                             : "cscript //nologo C:\\Users\\Public\\v.vbs");
        if (!ok)
            print_error("%s\n", script);
        assert_true(ok);
        assert_true(has(r.tasks, "\"Path\":\"\\\\Vary\\\\T\""));
        assert_true(has(r.tasks, "\"Execute\":\"C:\\\\Users\\\\Public\\\\a b.exe\",\"Arguments\":\"-x 'q' \\\"d\\\"\""));
        assert_true(has(r.tasks, lang == 2 ? "\"UserId\":\"S-1-5-18\"" : "\"Type\":\"LogonTrigger\""));
        assert_true(has(r.console, "\"exit_code\":0"));
        assert_false(has(tl_buf_cstr(&r.all), "schtasks.exe"));
        run_free(&r);
        tl_free(script);
    }
    char *none = NULL;
    assert_int_equal(tl_sim_com_script(7, "\\x", "<Task/>", NULL, &none), TL_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_com_vbscript_cscript),
        cmocka_unit_test(test_com_vbscript_wscript),
        cmocka_unit_test(test_com_jscript_access_denied),
        cmocka_unit_test(test_com_powershell),
        cmocka_unit_test(test_com_unsupported_is_error),
        cmocka_unit_test(test_com_script_for_xml),
    };
    return cmocka_run_group_tests_name("com", tests, NULL, NULL);
}
