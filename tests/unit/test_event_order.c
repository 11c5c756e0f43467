/* SPDX-License-Identifier: MIT */
/*
 * Event order (issue 14: "after a PowerShell Set-ScheduledTask, Security 4702 is
 * logged before the taskschd.dll load of the powershell.exe that made the
 * change"). The records of a run are merged by TimeCreated, and Sysmon's lag is
 * longer than the Security log's, so an update the service logged a few ms after
 * the client's Event 7 could sort before it. For every path that changes a task
 * (Set-ScheduledTask with -Action / -Trigger / -Principal / -Settings, piped
 * Get-ScheduledTask | Set-ScheduledTask, -InputObject, Enable-/Disable-
 * ScheduledTask and the same piped, a second step in a powershell.exe that had
 * already loaded taskschd.dll, CIM RegisterByXml over an existing task, COM
 * RegisterTaskDefinition (update) from cscript and from PowerShell, schtasks
 * /change, schtasks /create /f) and over many seeds (the slip depends on the
 * jitter), this checks in the logged order:
 *   - the change is logged (4702, or 4700/4701 for enable/disable) naming \T;
 *   - the Event 7 of taskschd.dll in its ClientProcessId comes before it;
 *   - the TaskScheduler record of the same change (140/142) comes after it too.
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
#define PS "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe"
#define NSEEDS 24
#define MAXREC 400

typedef struct path {
    const char *what;
    const char *steps; /* JSON steps after the task \T is created at 0 (and files at 0) */
    int id;            /* the Security event of the change */
} path;

/* A file step writing text (JSON-escaped already) to C:\Users\Public\<name> at 0.5 s. */
#define FILE_STEP(name, text)                                                                      \
    "{\"at\":0.5,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:\\\\Users\\\\Public\\\\" \
    name "\",\"content\":\"" text "\"}},"

#define PS_STEP(at, script)                                                                        \
    "{\"at\":" #at ",\"user\":\"alice\",\"elevated\":true,\"parent\":\"" PS "\",\"command\":\""      \
    script "\"}"

#define CMD_STEP(at, line)                                                                         \
    "{\"at\":" #at ",\"user\":\"alice\",\"elevated\":true,\"command\":\"" line "\"}"

static const path paths[] = {
    {"Set-ScheduledTask -Action",
     PS_STEP(2, "Set-ScheduledTask -TaskName T -Action (New-ScheduledTaskAction -Execute notepad.exe)"),
     4702},
    {"Set-ScheduledTask -Trigger",
     PS_STEP(2, "Set-ScheduledTask -TaskName T -Trigger (New-ScheduledTaskTrigger -AtStartup)"), 4702},
    {"Set-ScheduledTask -Principal",
     PS_STEP(2, "Set-ScheduledTask T -Principal (New-ScheduledTaskPrincipal -UserId SYSTEM "
                "-RunLevel Highest)"),
     4702},
    {"Set-ScheduledTask -Settings",
     PS_STEP(2, "Set-ScheduledTask -TaskName T -Settings (New-ScheduledTaskSettingsSet -Hidden)"),
     4702},
    {"Get-ScheduledTask | Set-ScheduledTask",
     PS_STEP(2, "Get-ScheduledTask -TaskName T | Set-ScheduledTask -Action "
                "(New-ScheduledTaskAction -Execute notepad.exe)"),
     4702},
    {"Set-ScheduledTask -InputObject",
     PS_STEP(2, "$t = Get-ScheduledTask T; Set-ScheduledTask -InputObject $t -Settings "
                "(New-ScheduledTaskSettingsSet -Hidden)"),
     4702},
    {"Disable-ScheduledTask", PS_STEP(2, "Disable-ScheduledTask -TaskName T"), 4701},
    {"Get-ScheduledTask | Disable-ScheduledTask", PS_STEP(2, "Get-ScheduledTask T | Disable-ScheduledTask"),
     4701},
    {"Enable-ScheduledTask", CMD_STEP(1, "schtasks /change /tn T /disable") "," PS_STEP(2, "Enable-ScheduledTask -TaskName T"),
     4700},
    {"second step in the same powershell.exe",
     PS_STEP(1, "Get-ScheduledTask -TaskName T") "," PS_STEP(2, "Set-ScheduledTask -TaskName T "
                                                                "-Action (New-ScheduledTaskAction "
                                                                "-Execute notepad.exe)"),
     4702},
    {"CIM RegisterByXml over an existing task",
     FILE_STEP("t.xml", "<?xml version=\\\"1.0\\\"?><Task version=\\\"1.2\\\" "
                        "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\">"
                        "<Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>"
                        "<Actions Context=\\\"Author\\\"><Exec><Command>notepad.exe</Command>"
                        "</Exec></Actions></Task>")
         PS_STEP(2, "$x = Get-Content C:\\\\Users\\\\Public\\\\t.xml | Out-String; Invoke-CimMethod "
                    "-ClassName PS_ScheduledTask -Namespace Root\\\\Microsoft\\\\Windows\\\\TaskScheduler "
                    "-MethodName RegisterByXml -Arguments @{Force=$true; Xml=$x; TaskName='T'}"),
     4702},
    {"COM RegisterTaskDefinition (update) from cscript",
     FILE_STEP("u.vbs", "Set s = CreateObject(\\\"Schedule.Service\\\")\\n"
                        "s.Connect\\n"
                        "Set d = s.NewTask(0)\\n"
                        "Set tr = d.Triggers.Create(9)\\n"
                        "Set a = d.Actions.Create(0)\\n"
                        "a.Path = \\\"notepad.exe\\\"\\n"
                        "s.GetFolder(\\\"\\\\\\\").RegisterTaskDefinition \\\"T\\\", d, 6, , , 3\\n")
         CMD_STEP(2, "cscript //NoLogo C:\\\\Users\\\\Public\\\\u.vbs"),
     4702},
    {"COM RegisterTaskDefinition (update) from PowerShell",
     PS_STEP(2, "$s = New-Object -ComObject Schedule.Service\\n$s.Connect()\\n$d = "
                "$s.NewTask(0)\\n$a = $d.Actions.Create(0)\\n$a.Path = 'notepad.exe'\\n[void]"
                "$d.Triggers.Create(9)\\n$s.GetFolder('\\\\').RegisterTaskDefinition('T', $d, 4, "
                "$null, $null, 3) | Out-Null"),
     4702},
    {"schtasks /change", CMD_STEP(2, "schtasks /change /tn T /tr notepad.exe"), 4702},
    {"schtasks /create /f", CMD_STEP(2, "schtasks /create /tn T /tr notepad.exe /sc onstart /ru SYSTEM /f"),
     4702},
};

static const char *field(const char *rec, const char *name, char *buf, size_t n)
{
    char pat[80];
    snprintf(pat, sizeof pat, "<Data Name='%s'>", name);
    const char *p = strstr(rec, pat);
    buf[0] = 0;
    if (!p)
        return buf;
    p += strlen(pat);
    size_t l = strcspn(p, "<");
    snprintf(buf, n, "%.*s", (int)(l < n ? l : n - 1), p);
    return buf;
}

static int event_id(const char *rec)
{
    const char *p = strstr(rec, "<EventID>");
    return p ? atoi(p + 9) : -1;
}

static void check_path(const path *p, unsigned seed)
{
    tl_buf j = TL_BUF_INIT;
    tl_buf_printf(&j,
                  "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\",\"endpoint\":{"
                  "\"hostname\":\"DESKTOP-4E0BQFT\",\"channels\":{\"security\":true,"
                  "\"taskscheduler\":true},\"users\":[{\"name\":\"alice\",\"admin\":true}]},"
                  "\"start\":\"2026-12-06T08:00:00.000Z\",\"seed\":%u,\"steps\":["
                  "{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":"
                  "\"schtasks /create /tn T /tr calc.exe /sc onlogon\"},%s]}",
                  seed, p->steps);
    assert_int_equal(tl_buf_status(&j), TL_OK);
    tl_scenario *sc = NULL;
    tl_sim *sim = NULL;
    tl_diag d;
    memset(&d, 0, sizeof d);
    tl_status st = tl_scenario_load_mem("scenarios/t.json", j.data, j.len, &sc, &d);
    tl_buf_free(&j);
    if (st == TL_OK) {
        tl_sim_opts o = {ETC, TL_SHARED_DIR, NULL, NULL};
        st = tl_sim_new(sc, &o, &sim, &d);
    }
    char *recs[MAXREC];
    size_t n = 0;
    for (size_t i = 0; st == TL_OK && i < tl_sim_step_count(sim); i++) {
        st = tl_sim_run_step(sim, i, &d);
        tl_record r;
        while (st == TL_OK && tl_sim_next_record(sim, &r))
            if (n < MAXREC)
                recs[n++] = tl_strdup(r.xml);
    }
    tl_record r;
    while (st == TL_OK && tl_sim_next_record(sim, &r))
        if (n < MAXREC)
            recs[n++] = tl_strdup(r.xml);
    if (st != TL_OK) {
        char m[2048];
        tl_diag_format(&d, m, sizeof m);
        print_error("%s (seed %u): run failed: %s\n", p->what, seed, m);
        fail();
    }
    /* the change, after the registration's 4698 */
    size_t change = n, ts = n;
    char buf[200], cpid[32] = "";
    for (size_t i = 0; i < n; i++) {
        int id = event_id(recs[i]);
        if (id == p->id && change == n && !strcmp(field(recs[i], "TaskName", buf, sizeof buf), "\\T")) {
            change = i;
            field(recs[i], "ClientProcessId", cpid, sizeof cpid);
        }
        if ((id == 140 || id == 142) && ts == n &&
            !strcmp(field(recs[i], "TaskName", buf, sizeof buf), "\\T"))
            ts = i;
    }
    if (change == n) {
        print_error("%s (seed %u): no %d for \\T was logged\n", p->what, seed, p->id);
        fail();
    }
    size_t load = n;
    for (size_t i = 0; i < n; i++)
        if (event_id(recs[i]) == 7 && !strcmp(field(recs[i], "ProcessId", buf, sizeof buf), cpid) &&
            strstr(field(recs[i], "ImageLoaded", buf, sizeof buf), "taskschd.dll"))
            load = i;
    if (load == n || load > change) {
        print_error("%s (seed %u): Event 7 taskschd.dll of ClientProcessId %s at record %zu, %d "
                    "at record %zu: the change is logged before its client loaded the API\n",
                    p->what, seed, cpid, load, p->id, change);
        fail();
    }
    if (p->id != 4700 && (ts == n || ts < load)) {
        print_error("%s (seed %u): TaskScheduler 140/142 at %zu, Event 7 at %zu\n", p->what, seed,
                    ts, load);
        fail();
    }
    for (size_t i = 0; i < n; i++)
        tl_free(recs[i]);
    tl_sim_free(sim);
    tl_scenario_free(sc);
}

static void test_event_order_change_after_client_load(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
        for (unsigned seed = 1; seed <= NSEEDS; seed++)
            check_path(&paths[k], seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_order_change_after_client_load),
    };
    return cmocka_run_group_tests_name("event_order", tests, NULL, NULL);
}
