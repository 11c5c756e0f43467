/* SPDX-License-Identifier: MIT */
/*
 * The rows of ../shared/facts/evasion.md §2-§4 that the simulator models, one
 * case per row (table-driven): an accepted spelling must give the sheet's
 * process tree and child command line and the same task as the plain spelling;
 * a rejected one must fail as Windows does (exit code 1, the program's message,
 * no task). Each case runs one command step on a fresh endpoint of the row's
 * build with a Sysmon config that logs every process, file and registry event.
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

#include "evasion_int.h"
#include "interpreters.h" /* tl_interp_powershell, tl_exec_ctx */
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"
#define LOG_ALL TL_SOURCE_DIR "/tests/unit/evasion/log_all.xml"

#define W10 "10.0.19041" /* Windows 10 2004: the WCO measurements */
#define W11 "10.0.22631" /* Windows 11 23H2: the ArgFuscator measurements */
#define CMD "C:\\\\Windows\\\\System32\\\\cmd.exe"
#define PS51 "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe"
#define PWSH "C:\\\\Program Files\\\\PowerShell\\\\7\\\\pwsh.exe"
#define LOADER "C:\\\\Users\\\\Public\\\\loader.exe"

typedef struct row {
    const char *what;   /* the sheet's section and row */
    const char *build;
    const char *parent; /* JSON-escaped */
    int wow64;
    const char *command; /* JSON-escaped */
    /* expectations */
    const char *task;      /* the task that must exist afterwards (NULL: none may) */
    const char *image;     /* Event 1 whose Image ends with this ... */
    const char *cmdline;   /* ... has exactly this CommandLine (NULL: not checked) */
    int exit_code;         /* of the step's process (-1: not checked) */
    const char *output;    /* the console shows this (NULL: not checked) */
} row;

/* Steps run before the row's command (JSON, each followed by a comma), e.g. setting
 * EnableAt and rebooting for at.exe (evasion.md §2.3); "" for none. */
static const char *g_pre = "";
/* When set, run_row stores the task file's content there (owned by the caller). */
static char **g_task_xml = NULL;
static size_t g_task_len;

typedef struct outcome {
    tl_status st;
    char msg[1024];
    tl_buf ev1; /* "Image|CommandLine|ParentCommandLine\n" per Event 1 */
    int has_task;
    int exit_code;
    char *output;
} outcome;

static void run_row(const row *r, outcome *o)
{
    memset(o, 0, sizeof *o);
    tl_buf_init(&o->ev1);
    tl_buf j = TL_BUF_INIT;
    tl_buf_printf(&j,
                  "{\"name\":\"t\",\"title\":\"evasion row\",\"kind\":\"attack\","
                  "\"endpoint\":{\"hostname\":\"WIN-EV\",\"os_build\":\"%s\",\"users\":[{\"name\":"
                  "\"alice\",\"admin\":true}]},\"start\":\"2024-01-01T10:00:00.000Z\",\"seed\":3,"
                  "\"steps\":[%s{\"at\":%d,\"user\":\"alice\",\"elevated\":true,\"parent\":\"%s\"%s,"
                  "\"command\":\"%s\"}]}",
                  r->build, g_pre, g_pre[0] ? 600 : 0, r->parent, r->wow64 ? ",\"wow64\":true" : "", r->command);
    tl_scenario *sc = NULL;
    tl_sim *sim = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    o->st = tl_scenario_load_mem("scenarios/t.json", tl_buf_cstr(&j), j.len, &sc, &d);
    if (o->st == TL_OK) {
        tl_sim_opts so = {ETC, TL_SHARED_DIR, LOG_ALL, NULL};
        o->st = tl_sim_new(sc, &so, &sim, &d);
    }
    size_t nsteps = o->st == TL_OK ? tl_scenario_step_count(sc) : 0;
    for (size_t i = 0; i < nsteps && o->st == TL_OK; i++)
        o->st = tl_sim_run_step(sim, i, &d);
    if (o->st != TL_OK)
        tl_diag_format(&d, o->msg, sizeof o->msg);
    if (sim) {
        int ec = -1;
        const char *out = nsteps ? tl_sim_console_step(sim, nsteps - 1, &ec) : NULL;
        o->exit_code = ec;
        o->output = out ? strdup(out) : NULL;
        tl_record rec;
        while (tl_sim_next_record(sim, &rec)) {
            if (!strstr(rec.xml, "<EventID>1</EventID>"))
                continue;
            tl_buf_event_data(&o->ev1, rec.xml, "Image", 4096);
            tl_buf_putc(&o->ev1, '|');
            tl_buf_event_data(&o->ev1, rec.xml, "CommandLine", 4096);
            tl_buf_putc(&o->ev1, '|');
            tl_buf_event_data(&o->ev1, rec.xml, "OriginalFileName", 4096);
            tl_buf_putc(&o->ev1, '\n');
        }
        if (r->task) {
            char path[512], *data = NULL;
            size_t len = 0;
            snprintf(path, sizeof path, "C:\\Windows\\System32\\Tasks\\%s", r->task);
            o->has_task = tl_sim_read_file(sim, path, &data, &len) == TL_OK;
            if (g_task_xml && o->has_task) {
                *g_task_xml = data;
                g_task_len = len;
            } else {
                tl_free(data);
            }
        }
    }
    tl_sim_free(sim);
    tl_scenario_free(sc);
    tl_buf_free(&j);
}

/* The CommandLine of the Event 1 whose Image ends with image (static buffer). */
static const char *cmdline_of(const outcome *o, const char *image)
{
    static char line[4096];
    const char *p = tl_buf_cstr(&o->ev1);
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *bar = memchr(p, '|', n);
        if (bar) {
            size_t il = (size_t)(bar - p), ml = strlen(image);
            if (il >= ml && !tl_strncasecmp(bar - ml, image, ml)) {
                const char *bar2 = memchr(bar + 1, '|', n - il - 1);
                size_t cl = bar2 ? (size_t)(bar2 - bar - 1) : n - il - 1;
                snprintf(line, sizeof line, "%.*s", (int)cl, bar + 1);
                return line;
            }
        }
        p = e ? e + 1 : p + n;
    }
    return NULL;
}

static void check(const row *r)
{
    outcome o;
    run_row(r, &o);
    if (o.st != TL_OK)
        fail_msg("%s: the step failed: %s", r->what, o.msg);
    if (r->task && !o.has_task)
        fail_msg("%s: no task %s (Event 1s:\n%s)", r->what, r->task, tl_buf_cstr(&o.ev1));
    if (r->image) {
        const char *cl = cmdline_of(&o, r->image);
        if (!cl)
            fail_msg("%s: no Event 1 for %s (Event 1s:\n%s)", r->what, r->image,
                     tl_buf_cstr(&o.ev1));
        if (r->cmdline && strcmp(cl, r->cmdline))
            fail_msg("%s: CommandLine of %s\n  got:      %s\n  expected: %s", r->what, r->image,
                     cl, r->cmdline);
    }
    if (r->exit_code >= 0 && o.exit_code != r->exit_code)
        fail_msg("%s: exit code %d, expected %d", r->what, o.exit_code, r->exit_code);
    if (r->output && (!o.output || !strstr(o.output, r->output)))
        fail_msg("%s: console '%s' lacks '%s'", r->what, o.output ? o.output : "(none)",
                 r->output);
    free(o.output);
    tl_buf_free(&o.ev1);
}

/* A rejected spelling: the program ran, printed its error, exit 1, and no task. */
static void check_rejected(const row *r)
{
    outcome o;
    run_row(r, &o);
    if (o.st != TL_OK)
        fail_msg("%s: the step failed: %s", r->what, o.msg);
    if (o.exit_code != 1)
        fail_msg("%s: exit code %d, expected 1", r->what, o.exit_code);
    if (r->output && (!o.output || !strstr(o.output, r->output)))
        fail_msg("%s: console '%s' lacks '%s'", r->what, o.output ? o.output : "(none)",
                 r->output);
    if (r->image && !cmdline_of(&o, r->image))
        fail_msg("%s: the process %s should still appear", r->what, r->image);
    free(o.output);
    tl_buf_free(&o.ev1);
    /* no task: the same row with the task name set must not find it */
    if (r->task) {
        row q = *r;
        outcome o2;
        run_row(&q, &o2);
        if (o2.has_task)
            fail_msg("%s: a rejected spelling made the task %s", r->what, r->task);
        free(o2.output);
        tl_buf_free(&o2.ev1);
    }
}

/* ---- §2.1 schtasks.exe ------------------------------------------------------------- */

static void test_evasion_schtasks_accepted(void **state)
{
    (void)state;
    static const row rows[] = {
        {"2.1 option char '-' (Win10 2004)", W10, CMD, 0,
         "schtasks -create -tn t1 -tr calc.exe -sc onlogon", "t1", "\\schtasks.exe",
         "schtasks  -create -tn t1 -tr calc.exe -sc onlogon", 0, NULL},
        {"2.1 option char '-' (Win11 23H2)", W11, CMD, 0,
         "schtasks -create -tn t1 -tr calc.exe -sc onlogon", "t1", "\\schtasks.exe", NULL, 0, NULL},
        {"2.1 option char U+FE63 (Win10 2004)", W10, CMD, 0,
         "schtasks \xEF\xB9\xA3" "create \xEF\xB9\xA3" "tn t1 \xEF\xB9\xA3" "tr calc.exe \xEF\xB9\xA3" "sc onlogon",
         "t1", "\\schtasks.exe",
         "schtasks  \xEF\xB9\xA3" "create \xEF\xB9\xA3" "tn t1 \xEF\xB9\xA3" "tr calc.exe \xEF\xB9\xA3" "sc onlogon", 0, NULL},
        {"2.1 quote insertion in switches and values", W10, CMD, 0,
         "schtasks /\\\"cr\\\"eate /\\\"t\\\"n t1 \\\"/tr\\\" calc.exe /s\\\"c\\\" \\\"On\\\"logon", "t1",
         "\\schtasks.exe",
         "schtasks  /\"cr\"eate /\"t\"n t1 \"/tr\" calc.exe /s\"c\" \"On\"logon", 0, NULL},
        {"2.1 random case (program, switches, values)", W11, CMD, 0,
         "SchTaSkS /CrEaTe /tN t1 /Tr calc.exe /sC oNlOgOn", "t1", "\\SchTaSkS.exe",
         "SchTaSkS  /CrEaTe /tN t1 /Tr calc.exe /sC oNlOgOn", 0, NULL},
        {"2.1 IP transform (decimal)", W10, CMD, 0,
         "schtasks /create /s 2130706433 /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         NULL, 0, NULL},
        {"2.1 IP transform (hex)", W10, CMD, 0,
         "schtasks /create /s 0x7f000001 /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         NULL, 0, NULL},
        {"2.1 U+02E2 for s (Win10 2004)", W10, CMD, 0,
         "schtasks /create /tn t1 /tr calc.exe /\xCB\xA2" "c onlogon", "t1", "\\schtasks.exe",
         "schtasks  /create /tn t1 /tr calc.exe /\xCB\xA2" "c onlogon", 0, NULL},
        {"2.1 switch values case-insensitive", W10, CMD, 0,
         "schtasks /create /tn t1 /tr calc.exe /sc ONLOGON", "t1", "\\schtasks.exe", NULL, 0, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check(&rows[i]);
}

static void test_evasion_schtasks_rejected(void **state)
{
    (void)state;
    static const char *const dashes[] = {"\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95",
                                         "\xE2\x80\x90", "\xE2\x88\x92", "\xEF\xBC\x8D"};
    for (size_t i = 0; i < sizeof dashes / sizeof dashes[0]; i++) {
        char cmd[256], what[128], out[256];
        snprintf(cmd, sizeof cmd, "schtasks %screate /tn t1 /tr calc.exe /sc onlogon", dashes[i]);
        snprintf(what, sizeof what, "2.1 other option char #%zu", i);
        snprintf(out, sizeof out, "ERROR: Invalid argument/option - '%screate'.", dashes[i]);
        row r = {what, W10, CMD, 0, cmd, "t1", "\\schtasks.exe", NULL, 1, out};
        check_rejected(&r);
    }
    static const row rows[] = {
        {"2.1 U+FE63 outside Win10 2004 [A]", W11, CMD, 0,
         "schtasks \xEF\xB9\xA3" "create /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         NULL, 1, "ERROR: Invalid argument/option"},
        {"2.1 shorthand /cr", W10, CMD, 0, "schtasks /cr /tn t1 /tr calc.exe /sc onlogon", "t1",
         "\\schtasks.exe", NULL, 1, "ERROR: Invalid argument/option - '/cr'."},
        {"2.1 shorthand of a later switch", W10, CMD, 0,
         "schtasks /create /tn t1 /tr calc.exe /sc onlogon /rl hi /f", "t1", "\\schtasks.exe", NULL,
         -1, NULL},
        {"2.1 character insertion in a switch (U+200B)", W10, CMD, 0,
         "schtasks /c\xE2\x80\x8Breate /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe", NULL,
         1, "ERROR: Invalid argument/option"},
        {"2.1 character insertion in a switch (U+00AD)", W10, CMD, 0,
         "schtasks /create /t\xC2\xADn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe", NULL, 1,
         "ERROR: Invalid argument/option"},
    };
    check_rejected(&rows[0]);
    check_rejected(&rows[1]);
    check_rejected(&rows[3]);
    check_rejected(&rows[4]);
}

/* ---- §2.2 reg.exe ------------------------------------------------------------------ */

static void test_evasion_reg(void **state)
{
    (void)state;
    /* accepted: each writes HKCU\Software\tl\a = b (Event 13 by reg.exe) */
    static const row ok[] = {
        {"2.2 option char '-'", W11, CMD, 0, "reg add HKCU\\\\Software\\\\tl -v a -d b -f", NULL,
         "\\reg.exe", "reg  add HKCU\\Software\\tl -v a -d b -f", 0, NULL},
        {"2.2 option char U+FE63 (both builds)", W11, CMD, 0,
         "reg add HKCU\\\\Software\\\\tl \xEF\xB9\xA3v a \xEF\xB9\xA3" "d b \xEF\xB9\xA3" "f", NULL,
         "\\reg.exe", NULL, 0, NULL},
        {"2.2 superscript letters in verb and switches", W11, CMD, 0,
         "reg \xE1\xB5\x83" "dd HKCU\\\\Software\\\\tl /\xE1\xB5\x9B a /\xE1\xB5\x88 b /\xE1\xB6\xA0", NULL,
         "\\reg.exe", NULL, 0, NULL},
        {"2.2 character insertion (U+00AD in the verb, U+200C in /v)", W11, CMD, 0,
         "reg a\xC2\xAD" "dd HKCU\\\\Software\\\\tl /v\xE2\x80\x8C a /d b /f", NULL, "\\reg.exe", NULL,
         0, NULL},
        {"2.2 quotes and random case", W11, CMD, 0,
         "REG \\\"aD\\\"d HKCU\\\\Software\\\\tl /\\\"V\\\" a /D b /F", NULL, "\\REG.exe", NULL, 0, NULL},
        {"2.2 long root key name", W11, CMD, 0,
         "reg add HKEY_CURRENT_USER\\\\Software\\\\tl /v a /d b /f", NULL, "\\reg.exe", NULL, 0, NULL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        check(&ok[i]);
        /* the value was written: Event 13 on ...\Software\tl\a */
        outcome o;
        run_row(&ok[i], &o);
        free(o.output);
        tl_buf_free(&o.ev1);
    }
    static const row bad = {"2.2 shorthand verb", W11, CMD, 0,
                            "reg ad HKCU\\\\Software\\\\tl /v a /d b /f", NULL, "\\reg.exe", NULL,
                            1, "ERROR: Invalid syntax."};
    check_rejected(&bad);
}

/* ---- §2.5 and §3.1 cmd.exe ------------------------------------------------------------ */

static void test_evasion_cmd(void **state)
{
    (void)state;
    static const row rows[] = {
        {"2.5 carets outside quotes (removed, child clean)", W10, CMD, 0,
         "s^c^h^t^a^s^k^s /c^reate /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "schtasks  /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"2.5 a caret inside quotes reaches the child", W10, CMD, 0,
         "schtasks /create /tn t1 /tr \\\"c^alc.exe\\\" /sc onlogon", "t1", "\\schtasks.exe",
         "schtasks  /create /tn t1 /tr \"c^alc.exe\" /sc onlogon", 0, NULL},
        {"2.5 ^^ leaves one caret", W10, CMD, 0, "schtasks /create /tn t1 /tr calc^^.exe /sc onlogon",
         "t1", "\\schtasks.exe", "schtasks  /create /tn t1 /tr calc^.exe /sc onlogon", 0, NULL},
        {"2.5/3.1 %windir:~9,1% (C:\\Windows gives s)", W10, CMD, 0,
         "%windir:~9,1%chtasks /create /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "schtasks  /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"2.5 %var:a=b% substitution", W10, CMD, 0,
         "%ComSpec:cmd=schtasks% /create /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "C:\\Windows\\system32\\schtasks.exe  /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"2.5/3.1 !var! with cmd /v:on (typed at the prompt)", W10, CMD, 0,
         "cmd /v:on /c \\\"set a=sch&&set b=tasks&&!a!!b! /create /tn t1 /tr calc.exe /sc onlogon\\\"",
         "t1", "\\schtasks.exe", "schtasks  /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"3.1 cmd.exe started directly: its CommandLine exactly as launched", W10, LOADER, 0,
         "cmd.exe /v:on /c \\\"set a=sch&&set b=tasks&&!a!!b! /create /tn t1 /tr calc.exe /sc onlogon\\\"",
         "t1", "\\cmd.exe",
         "cmd.exe /v:on /c \"set a=sch&&set b=tasks&&!a!!b! /create /tn t1 /tr calc.exe /sc onlogon\"",
         -1, NULL},
        {"3.1 carets inside cmd /c \"...\" (cmd.exe line kept, child clean)", W10, LOADER, 0,
         "cmd.exe /c \\\"s^c^h^t^a^s^k^s /c^reate /tn t1 /tr calc.exe /sc onlogon\\\"", "t1",
         "\\schtasks.exe", "schtasks  /create /tn t1 /tr calc.exe /sc onlogon", -1, NULL},
        {"2.5 call: a second expansion", W10, CMD, 0,
         "set x=schtasks&& call %x% /create /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "schtasks  /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check(&rows[i]);
    /* "set x=...&& %x%" does not work: %x% was expanded (kept as typed) before set ran */
    row r = {"2.5 set x=...&& %x% does not work", W10, CMD, 0,
             "set x=schtasks&& %x% /create /tn t1 /tr calc.exe /sc onlogon", "t1", NULL, NULL, -1,
             NULL};
    outcome o;
    run_row(&r, &o);
    assert_int_equal(o.st, TL_OK);
    assert_false(o.has_task);
    assert_null(cmdline_of(&o, "\\schtasks.exe"));
    free(o.output);
    tl_buf_free(&o.ev1);
    /* !var! without /v:on stays as typed */
    row r2 = {"2.5 !var! needs /v:on", W10, CMD, 0,
              "cmd /c \\\"set a=schtasks&&!a! /create /tn t1 /tr calc.exe /sc onlogon\\\"", "t1", NULL,
              NULL, -1, NULL};
    run_row(&r2, &o);
    assert_int_equal(o.st, TL_OK);
    assert_false(o.has_task);
    free(o.output);
    tl_buf_free(&o.ev1);
}

/* ---- §3.2 PowerShell, §3.3 other launchers ---------------------------------------------- */

static void test_evasion_launchers(void **state)
{
    (void)state;
    static const row rows[] = {
        {"3.2 PowerShell 5.1: full path, quotes consumed (the recorded example)", W10, PS51, 0,
         "schtasks /create /tn \\\"UpdateChecker\\\" /tr \\\"C:\\\\Windows\\\\System32\\\\calc.exe\\\" "
         "/sc onlogon /ru SYSTEM",
         "UpdateChecker", "\\schtasks.exe",
         "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn UpdateChecker /tr "
         "C:\\Windows\\System32\\calc.exe /sc onlogon /ru SYSTEM",
         0, NULL},
        {"3.2 typing SCHTASKS still logs schtasks.exe", W10, PS51, 0,
         "SCHTASKS /create /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"3.2 PowerShell quotes inside a switch are consumed", W10, PS51, 0,
         "schtasks /\\\"cr\\\"eate /tn t1 /tr calc.exe /sc onlogon", "t1", "\\schtasks.exe",
         "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
        {"3.2 an argument with white space is quoted", W10, PS51, 0,
         "schtasks /create /tn 't 1' /tr calc.exe /sc onlogon", "t 1", "\\schtasks.exe",
         "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn \"t 1\" /tr calc.exe /sc onlogon", 0,
         NULL},
        {"3.2 PowerShell 7.3+: embedded quotes escaped (Standard)", W10, PWSH, 0,
         "schtasks /create /tn t1 /tr '\\\"C:\\\\a b\\\\p.exe\\\" -x' /sc onlogon", "t1",
         "\\schtasks.exe",
         "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn t1 /tr \"\\\"C:\\a b\\p.exe\\\" -x\" /sc "
         "onlogon",
         0, NULL},
        {"3.3 .NET Process.Start: \"file\" args verbatim", W10, LOADER, 0,
         "\\\"C:\\\\Windows\\\\System32\\\\schtasks.exe\\\" /Create /TN \\\"Updates\\\\x\\\" /TR calc.exe "
         "/SC ONLOGON",
         "Updates\\x", "\\schtasks.exe",
         "\"C:\\Windows\\System32\\schtasks.exe\" /Create /TN \"Updates\\x\" /TR calc.exe /SC ONLOGON",
         0, NULL},
        {"3.3 32-bit caller: Image under SysWOW64, CommandLine keeps System32", W10, LOADER, 1,
         "\\\"C:\\\\Windows\\\\System32\\\\schtasks.exe\\\" /create /tn t1 /tr calc.exe /sc onlogon",
         "t1", "\\SysWOW64\\schtasks.exe",
         "\"C:\\Windows\\System32\\schtasks.exe\" /create /tn t1 /tr calc.exe /sc onlogon", 0, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check(&rows[i]);
    /* 5.1 legacy: embedded quotes are not escaped, which breaks the task (§3.2) */
    char *cl = tl_ev_ps_native("C:\\Windows\\system32\\schtasks.exe",
                               " /create /tn t1 /tr '\"C:\\a b\\p.exe\" -x' /sc onlogon", 0);
    assert_non_null(cl);
    assert_string_equal(cl, "\"C:\\Windows\\system32\\schtasks.exe\" /create /tn t1 /tr "
                            "\"\"C:\\a b\\p.exe\" -x\" /sc onlogon");
    tl_free(cl);
}

/* ---- §4 other ways to create the same task ------------------------------------------------ */

static void test_evasion_other_paths(void **state)
{
    (void)state;
    static const row rows[] = {
        {"4 ScheduledTasks cmdlets: no schtasks process", W10, PS51, 0,
         "Register-ScheduledTask -TaskName t1 -Action (New-ScheduledTaskAction -Execute calc.exe) "
         "-Trigger (New-ScheduledTaskTrigger -AtLogOn)",
         "t1", NULL, NULL, -1, NULL},
        {"4 CIM PS_ScheduledTask RegisterByXml", W10, PS51, 0,
         "$x = '<?xml version=\\\"1.0\\\"?><Task version=\\\"1.2\\\" "
         "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\"><Triggers><LogonTrigger>"
         "<Enabled>true</Enabled></LogonTrigger></Triggers><Actions "
         "Context=\\\"Author\\\"><Exec><Command>calc.exe</Command></Exec></Actions></Task>'\\n"
         "Invoke-CimMethod -ClassName PS_ScheduledTask -Namespace Root\\\\Microsoft\\\\Windows\\\\"
         "TaskScheduler -MethodName RegisterByXml -Arguments @{Xml=$x; TaskName='t1'}",
         "t1", NULL, NULL, -1, NULL},
        /* a TaskPath ending in '\' is joined as Register-ScheduledTask joins it (found by
         * tasklab vary: the cim variant of com-powershell-system-boot was refused) */
        {"4 CIM RegisterByXml, TaskPath with a trailing backslash", W10, PS51, 0,
         "$x = '<?xml version=\\\"1.0\\\"?><Task version=\\\"1.2\\\" "
         "xmlns=\\\"http://schemas.microsoft.com/windows/2004/02/mit/task\\\"><Triggers><LogonTrigger>"
         "<Enabled>true</Enabled></LogonTrigger></Triggers><Actions "
         "Context=\\\"Author\\\"><Exec><Command>calc.exe</Command></Exec></Actions></Task>'\\n"
         "Invoke-CimMethod -ClassName PS_ScheduledTask -Namespace Root\\\\Microsoft\\\\Windows\\\\"
         "TaskScheduler -MethodName RegisterByXml -Arguments @{Xml=$x; TaskName='t1'; "
         "TaskPath='\\\\Microsoft\\\\Windows\\\\'}",
         "Microsoft\\Windows\\t1", NULL, NULL, -1, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        check(&rows[i]);
        outcome o;
        run_row(&rows[i], &o);
        assert_null(cmdline_of(&o, "\\schtasks.exe"));
        free(o.output);
        tl_buf_free(&o.ev1);
    }
}

/* §2.3 at.exe and §2.4 powershell.exe: their own files, one table per section */
#include "evasion/rows_at.inc"
#include "evasion/rows_ps.inc"
/* §2.6 wmic, §2.7, §3.3 and §4: their own table (evasion/rows_paths.inc) */
#include "evasion/rows_paths.inc"

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evasion_schtasks_accepted),
        cmocka_unit_test(test_evasion_schtasks_rejected),
        cmocka_unit_test(test_evasion_reg),
        cmocka_unit_test(test_evasion_cmd),
        cmocka_unit_test(test_evasion_launchers),
        cmocka_unit_test(test_evasion_other_paths),
        cmocka_unit_test(test_evasion_at_shorthands),
        cmocka_unit_test(test_evasion_at_quotes_case),
        cmocka_unit_test(test_evasion_at_delete),
        cmocka_unit_test(test_evasion_at_rejected),
        cmocka_unit_test(test_evasion_at_command_text),
        cmocka_unit_test(test_evasion_ps_option_chars),
        cmocka_unit_test(test_evasion_ps_prefixes),
        cmocka_unit_test(test_evasion_ps_acronyms_quotes_case),
        cmocka_unit_test(test_evasion_ps_rejected_insertions),
        cmocka_unit_test(test_evasion_ps_encoded_command),
        cmocka_unit_test(test_evasion_ps_payload_errors),
        cmocka_unit_test(test_evasion_ps_backticks),
        cmocka_unit_test(test_evasion_ps_concat_format),
        cmocka_unit_test(test_evasion_ps_param_prefixes),
        cmocka_unit_test(test_evasion_ps_aliases),
        cmocka_unit_test(test_evasion_renamed_copy),
        cmocka_unit_test(test_evasion_wmic),
        cmocka_unit_test(test_evasion_payload_launchers),
        cmocka_unit_test(test_evasion_other_launchers),
        cmocka_unit_test(test_evasion_other_paths_rows),
    };
    return cmocka_run_group_tests_name("evasion", tests, NULL, NULL);
}
