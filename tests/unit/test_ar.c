/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyze-scheduled-task (tl_ar): task path resolution for every
 * registry event kind, hostile task names, task-file encodings, the seed's
 * output shape byte for byte, error records, bad inputs, the check_keys
 * handshake, and proof that the program contains no way to start a process.
 * Each test builds a fresh temporary C: drive with the agent's folders.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/ar.h"

#include <cjson/cJSON.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define TREE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\"
#define AGENT "Program Files (x86)/ossec-agent"

/* The seed's line for the blog's task (windows.md §9), derived from the blog
 * sample: ConvertTo-Json -Compress inside the script's wrapper. */
static const char SEED_PREFIX[] =
    "{\"ScheduledTaskAR\": {\"CimClass\":{\"CimSuperClassName\":\"MSFT_TaskAction\",\"CimSuperC"
    "lass\":{\"CimSuperClassName\":null,\"CimSuperClass\":null,\"CimClassProperties\":\"Id\",\""
    "CimClassQualifiers\":\"\",\"CimClassMethods\":\"\",\"CimSystemProperties\":\"Microsoft.Man"
    "agement.Infrastructure.CimSystemProperties\"},\"CimClassProperties\":[\"Id\",\"Arguments\""
    ",\"Execute\",\"WorkingDirectory\"],\"CimClassQualifiers\":[],\"CimClassMethods\":[],\"CimS"
    "ystemProperties\":{\"Namespace\":\"Root/Microsoft/Windows/TaskScheduler\",\"ServerName\":\""
    "DESKTOP-4E0BQFT\",\"ClassName\":\"MSFT_TaskExecAction\",\"Path\":null}},\"CimInstancePrope"
    "rties\":[{\"Name\":\"Id\",\"Value\":null,\"CimType\":14,\"Flags\":\"Property, NotModified,"
    " NullValue\",\"IsValueModified\":false},{\"Name\":\"Arguments\",\"Value\":null,\"CimType\""
    ":14,\"Flags\":\"Property, NotModified, NullValue\",\"IsValueModified\":false},{\"Name\":\""
    "Execute\",\"Value\":\"C:\\\\Windows\\\\System32\\\\calc.exe\",\"CimType\":14,\"Flags\":\"P"
    "roperty, NotModified\",\"IsValueModified\":false},{\"Name\":\"WorkingDirectory\",\"Value\""
    ":null,\"CimType\":14,\"Flags\":\"Property, NotModified, NullValue\",\"IsValueModified\":fa"
    "lse}],\"CimSystemProperties\":{\"Namespace\":\"Root/Microsoft/Windows/TaskScheduler\",\"Se"
    "rverName\":\"DESKTOP-4E0BQFT\",\"ClassName\":\"MSFT_TaskExecAction\",\"Path\":null},\"Id\""
    ":null,\"Arguments\":null,\"Execute\":\"C:\\\\Windows\\\\System32\\\\calc.exe\",\"WorkingDi"
    "rectory\":null,\"PSComputerName\":null}, \"TaskName\": \"test-task\"";

/* The blog's test-task as the Schedule service stores it (UTF-16LE, BOM, CRLF). */
static const char BLOG_TASK_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"
    "<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
    "  <RegistrationInfo>\r\n    <Date>2022-04-13T13:59:41</Date>\r\n"
    "    <Author>WORKGROUP\\DESKTOP-4E0BQFT$</Author>\r\n    <URI>\\test-task</URI>\r\n"
    "  </RegistrationInfo>\r\n"
    "  <Triggers>\r\n    <LogonTrigger>\r\n      <Enabled>true</Enabled>\r\n    </LogonTrigger>\r\n"
    "  </Triggers>\r\n"
    "  <Principals>\r\n    <Principal id=\"Author\">\r\n      <UserId>S-1-5-18</UserId>\r\n"
    "      <RunLevel>LeastPrivilege</RunLevel>\r\n    </Principal>\r\n  </Principals>\r\n"
    "  <Settings>\r\n    <Enabled>true</Enabled>\r\n    <Hidden>false</Hidden>\r\n  </Settings>\r\n"
    "  <Actions Context=\"Author\">\r\n    <Exec>\r\n"
    "      <Command>C:\\Windows\\System32\\calc.exe</Command>\r\n    </Exec>\r\n"
    "  </Actions>\r\n</Task>\r\n";

/* ---- helpers ------------------------------------------------------------------ */

static char *utf16le(const char *utf8, size_t *len)
{
    /* ASCII/BMP only is enough for the fixtures; non-ASCII fixtures use UTF-8. */
    size_t n = strlen(utf8);
    char *o = malloc(2 + 2 * n);
    o[0] = (char)0xFF;
    o[1] = (char)0xFE;
    for (size_t i = 0; i < n; i++) {
        o[2 + 2 * i] = utf8[i];
        o[3 + 2 * i] = 0;
    }
    *len = 2 + 2 * n;
    return o;
}

typedef struct fx {
    char root[256];
    char drive[300];
    char install[400];
} fx;

static void mkdirs(const char *p) { assert_int_equal(tl_mkdirs(p, NULL), TL_OK); }

static void put_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (tl_file_read(path, &data, &len, NULL) != TL_OK)
        return tl_strdup("");
    return data;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/tl-test-ar-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->drive, sizeof f->drive, "%s/drive_c", f->root);
    snprintf(f->install, sizeof f->install, "%s/" AGENT, f->drive);
    char p[600];
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks", f->drive);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/logs", f->install);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/active-response/bin", f->install);
    mkdirs(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[400];
    /* test-owned temporary folder only */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->root);
    free(f);
    return 0;
}

/* Task file at C:\Windows\System32\Tasks\<rel> (rel uses '/'). */
static void put_task(fx *f, const char *rel, const void *data, size_t len)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/%s", f->drive, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdirs(p);
    *slash = '/';
    put_file(p, data, len);
}

static void put_task_xml16(fx *f, const char *rel, const char *xml)
{
    size_t n;
    char *d = utf16le(xml, &n);
    put_task(f, rel, d, n);
    free(d);
}

/* The analysisd->execd message for an alert on targetObject (single
 * backslashes here; doubled as Wazuh delivers them). */
static char *message(const char *cmd, const char *event_id, const char *event_type,
                     const char *target, const char *computer)
{
    tl_buf dbl = TL_BUF_INIT, b = TL_BUF_INIT;
    for (const char *p = target; *p; p++) {
        tl_buf_putc(&dbl, *p);
        if (*p == '\\')
            tl_buf_putc(&dbl, '\\');
    }
    tl_buf_printf(&b, "{\"version\":1,\"origin\":{\"name\":\"node01\",\"module\":\"wazuh-execd\"},"
                      "\"command\":\"%s\",\"parameters\":{\"extra_args\":[],\"alert\":{"
                      "\"rule\":{\"level\":6,\"id\":\"115006\"},\"agent\":{\"id\":\"001\",\"name\":"
                      "\"WS01\"},\"data\":{\"win\":{\"system\":{\"eventID\":\"%s\"",
                  cmd, event_id);
    if (computer) {
        tl_buf_puts(&b, ",\"computer\":");
        tl_buf_json_str(&b, computer);
    }
    tl_buf_puts(&b, "},\"eventdata\":{");
    if (event_type)
        tl_buf_printf(&b, "\"eventType\":\"%s\",", event_type);
    tl_buf_puts(&b, "\"targetObject\":");
    tl_buf_json_str(&b, dbl.data);
    tl_buf_puts(&b, "}}},\"full_log\":\"HKLM\\\\SOFTWARE\\\\...\\\\Tree\\\\Decoy\\r\\n\"},"
                    "\"program\":\"active-response/bin/analyze-scheduled-task.exe\"}}");
    tl_buf_free(&dbl);
    return tl_buf_take(&b);
}

/* In-memory execd side of the protocol. */
typedef struct mio {
    const char *lines[4];
    size_t n, next;
    tl_buf written;
    size_t big; /* when > 0, the first line is this many 'x' bytes */
} mio;

static tl_status m_read(void *ctx, size_t limit, char **line)
{
    mio *m = ctx;
    if (m->big && m->next == 0) {
        m->next++;
        if (m->big > limit)
            return TL_E_LIMIT;
        *line = tl_calloc(1, m->big + 1);
        memset(*line, 'x', m->big);
        return TL_OK;
    }
    if (m->next >= m->n)
        return TL_E_NOTFOUND;
    const char *s = m->lines[m->next++];
    if (strlen(s) > limit)
        return TL_E_LIMIT;
    *line = tl_strdup(s);
    return *line ? TL_OK : TL_E_NOMEM;
}

static tl_status m_write(void *ctx, const char *line)
{
    mio *m = ctx;
    tl_buf_puts(&m->written, line);
    tl_buf_putc(&m->written, '\n');
    return TL_OK;
}

/* Run the AR with one message; returns exit status. */
static int run_ar(fx *f, const char *msg, int check_keys, mio *m)
{
    mio local;
    memset(&local, 0, sizeof local);
    if (!m)
        m = &local;
    if (msg) {
        m->lines[0] = msg;
        if (m->n == 0)
            m->n = 1;
    }
    tl_ar_env env = {f->drive, f->install, "active-response/bin/analyze-scheduled-task.exe",
                     (tl_time)1649851182 * TL_USEC_PER_SEC, 0, check_keys, NULL};
    tl_ar_io io = {m, m_read, m_write};
    int rc = tl_ar_run(&env, &io);
    if (m == &local)
        tl_buf_free(&local.written);
    return rc;
}

static char *tasks_log(fx *f)
{
    char p[600];
    snprintf(p, sizeof p, "%s/logs/scheduled-tasks.log", f->install);
    return slurp(p);
}

static char *ar_log(fx *f)
{
    char p[600];
    snprintf(p, sizeof p, "%s/active-response/active-responses.log", f->install);
    return slurp(p);
}

static char *path_of(const char *target, const char *eid, const char *etype, tl_status *st)
{
    char *p = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    *st = tl_ar_task_path(target, eid, etype, &p, &d);
    return p;
}

/* ---- path resolution ------------------------------------------------------------ */

static void test_ar_path_every_event_kind(void **state)
{
    (void)state;
    static const struct {
        const char *target, *eid, *etype, *want;
    } cases[] = {
        /* Wazuh delivers doubled backslashes */
        {"HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\"
         "Tree\\\\test-task", "12", "CreateKey", "\\test-task"},
        {TREE "WinUpdate\\Index", "13", "SetValue", "\\WinUpdate"},
        {TREE "WinUpdate\\Id", "13", "SetValue", "\\WinUpdate"},
        {TREE "WinUpdate\\SD", "13", "SetValue", "\\WinUpdate"},
        {TREE "WinUpdate\\SD", "12", "DeleteValue", "\\WinUpdate"},
        {TREE "WinUpdate", "12", "DeleteKey", "\\WinUpdate"},
        {TREE "Old Name", "14", "RenameKey", "\\Old Name"},
        {TREE "Updates\\neHneiobyhcrJJ", "12", "CreateKey", "\\Updates\\neHneiobyhcrJJ"},
        {TREE "Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan\\Index", "13", "SetValue",
         "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan"},
        /* no eventType: Event 13 strips; otherwise Id/Index/SD are value names */
        {TREE "X\\Index", "13", NULL, "\\X"},
        {TREE "X\\SD", NULL, NULL, "\\X"},
        {TREE "X\\Other", NULL, NULL, "\\X\\Other"},
        /* the seed's regex would answer "Index" here */
        {"hklm\\software\\microsoft\\windows nt\\currentversion\\schedule\\taskcache\\tree\\Low\\Index",
         "13", "SetValue", "\\Low"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_status st;
        char *p = path_of(cases[i].target, cases[i].eid, cases[i].etype, &st);
        assert_int_equal(st, TL_OK);
        assert_string_equal(p, cases[i].want);
        tl_free(p);
    }
}

static void test_ar_path_rejects_outside_tree(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks\\{GUID}",
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
        TREE "..\\..\\..\\evil",
        TREE "a\\\\\\\\b", /* empty component after undoubling */
        TREE "bad:name",
        TREE "c*d",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_status st;
        char *p = path_of(bad[i], "12", "CreateKey", &st);
        assert_int_not_equal(st, TL_OK);
        assert_null(p);
    }
    tl_status st;
    /* a value directly on the Tree key names no task */
    char *p = path_of(TREE "OnlyValue", "13", "SetValue", &st);
    assert_int_not_equal(st, TL_OK);
    assert_null(p);
    p = path_of(TREE, "12", "CreateKey", &st);
    assert_int_not_equal(st, TL_OK);
}

/* ---- seed output ------------------------------------------------------------------- */

static void test_ar_seed_output_byte_exact(void **state)
{
    fx *f = *state;
    put_task_xml16(f, "test-task", BLOG_TASK_XML);
    char *msg = message("add", "12", "CreateKey", TREE "test-task", "DESKTOP-4E0BQFT");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_memory_equal(log, SEED_PREFIX, strlen(SEED_PREFIX));
    const char *rest = log + strlen(SEED_PREFIX);
    assert_string_equal(
        rest, ", \"TaskPath\": \"\\\\test-task\", \"Source\": \"task-file\", \"File\": "
              "\"C:\\\\Windows\\\\System32\\\\Tasks\\\\test-task\", \"Hidden\": false, \"Enabled\": "
              "true, \"Author\": \"WORKGROUP\\\\DESKTOP-4E0BQFT$\", \"Actions\": "
              "[{\"Type\":\"Exec\",\"Id\":null,\"Execute\":\"C:\\\\Windows\\\\System32\\\\calc.exe\","
              "\"Arguments\":null,\"WorkingDirectory\":null}], \"Triggers\": "
              "[{\"Type\":\"LogonTrigger\",\"Enabled\":\"true\"}], \"Principal\": "
              "{\"Id\":\"Author\",\"UserId\":\"S-1-5-18\",\"RunLevel\":\"LeastPrivilege\"}, "
              "\"RegistryEvent\": {\"EventType\":\"CreateKey\",\"Value\":null}, \"SD\": "
              "\"unknown\"}\n");
    /* exactly one line */
    assert_int_equal(strchr(log, '\n') - log + 1, (long)strlen(log));
    char *al = ar_log(f);
    assert_non_null(strstr(al, "2022/04/13 11:59:42 active-response/bin/analyze-scheduled-task.exe: "
                               "Starting\n"));
    assert_non_null(strstr(al, "analyze-scheduled-task.exe: Ended\n"));
    tl_free(al);
    tl_free(log);
    tl_free(msg);
}

static void test_ar_server_name_from_alert(void **state)
{
    fx *f = *state;
    put_task_xml16(f, "t1", BLOG_TASK_XML);
    char *msg = message("add", "13", "SetValue", TREE "t1\\Index", "ar-win-dc.attackrange.local");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_non_null(strstr(log, "\"ServerName\":\"ar-win-dc\""));
    assert_non_null(strstr(log, "\"TaskName\": \"t1\""));
    assert_non_null(strstr(log, "\"RegistryEvent\": {\"EventType\":\"SetValue\",\"Value\":\"Index\"}"));
    tl_free(log);
    tl_free(msg);
    /* no computer: agent.name */
    msg = message("add", "12", "CreateKey", TREE "t1", NULL);
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    log = tasks_log(f);
    assert_non_null(strstr(strchr(log, '\n') + 1, "\"ServerName\":\"WS01\""));
    tl_free(log);
    tl_free(msg);
}

/* ---- hostile names --------------------------------------------------------------- */

static void test_ar_hostile_names_round_trip(void **state)
{
    fx *f = *state;
    static const struct {
        const char *name, *json;
    } names[] = {
        {"'; Start-Process calc; '", "'; Start-Process calc; '"},
        {"Task With Spaces", "Task With Spaces"},
        {"100% & done!", "100% & done!"},
        {"$(calc.exe)", "$(calc.exe)"},
        {"`whoami` {x}", "`whoami` {x}"},
        {"T\xc3\xa2" "che planifi\xc3\xa9" "e \xe8\xae\xa1\xe5\x88\x92",
         "T\xc3\xa2" "che planifi\xc3\xa9" "e \xe8\xae\xa1\xe5\x88\x92"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char xml[2048];
        snprintf(xml, sizeof xml,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Task xmlns=\"http://schemas.microsoft."
                 "com/windows/2004/02/mit/task\"><Actions><Exec><Command>cmd.exe</Command>"
                 "<Arguments>/c echo &quot;%s&quot; &amp;&amp; calc</Arguments></Exec></Actions>"
                 "</Task>",
                 "x");
        char rel[512];
        snprintf(rel, sizeof rel, "Folder/%s", names[i].name);
        put_task(f, rel, xml, strlen(xml));
        char target[512];
        snprintf(target, sizeof target, TREE "Folder\\%s\\Id", names[i].name);
        char *msg = message("add", "13", "SetValue", target, "WS01");
        char lp[600];
        snprintf(lp, sizeof lp, "%s/logs/scheduled-tasks.log", f->install);
        unlink(lp);
        assert_int_equal(run_ar(f, msg, 0, NULL), 0);
        char *log = tasks_log(f);
        /* the name comes back literally: TaskName, then the full TaskPath */
        tl_buf want = TL_BUF_INIT, path = TL_BUF_INIT;
        tl_buf_printf(&path, "\\Folder\\%s", names[i].json);
        tl_buf_puts(&want, "\"TaskName\": ");
        tl_buf_json_str(&want, names[i].json);
        tl_buf_puts(&want, ", \"TaskPath\": ");
        tl_buf_json_str(&want, path.data);
        tl_buf_free(&path);
        assert_non_null(strstr(log, want.data));
        assert_non_null(strstr(log, "\"Arguments\":\"/c echo \\\"x\\\" && calc\""));
        tl_buf_free(&want);
        tl_free(log);
        tl_free(msg);
    }
}

/* Nothing in the AR program can start a process: no such call in its sources. */
static void test_ar_sources_start_no_process(void **state)
{
    (void)state;
    static const char *const files[] = {"src/ar_run.c", "src/ar_record.c", "src/ar_fs.c",
                                        "src/task_xml.c", "main.c"};
    static const char *const banned[] = {"system(",     "popen(",         "fork(",
                                         "vfork(",      "execv",          "execl",
                                         "posix_spawn", "CreateProcess",  "ShellExecute",
                                         "WinExec",     "_wsystem",       "_spawn",
                                         "_popen",      "_wpopen",        "CoCreateInstance"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/pipeline/ar/%s", TL_SOURCE_DIR, files[i]);
        char *src = slurp(p);
        assert_true(strlen(src) > 100);
        for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++) {
            if (strstr(src, banned[k]))
                fail_msg("%s mentions %s", files[i], banned[k]);
        }
        tl_free(src);
    }
}

/* ---- encodings ------------------------------------------------------------------- */

static const char SIMPLE_BODY[] =
    "<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n"
    "  <Settings><Hidden>true</Hidden></Settings>\n"
    "  <Actions><Exec><Command>C:\\Windows\\system32\\calc.exe\"</Command><Arguments></Arguments>"
    "</Exec></Actions>\n</Task>\n";

static void check_simple(fx *f, const char *rel, const void *data, size_t len)
{
    put_task(f, rel, data, len);
    char target[256];
    snprintf(target, sizeof target, TREE "%s", rel);
    char *msg = message("add", "12", "CreateKey", target, "WS01");
    char lp[600];
    snprintf(lp, sizeof lp, "%s/logs/scheduled-tasks.log", f->install);
    unlink(lp);
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    /* stray quote kept, empty Arguments is null, Hidden read */
    assert_non_null(strstr(log, "\"Execute\":\"C:\\\\Windows\\\\system32\\\\calc.exe\\\"\""));
    assert_non_null(strstr(log, "\"Arguments\":null,\"Execute\""));
    assert_non_null(strstr(log, "\"Hidden\": true"));
    tl_free(log);
    tl_free(msg);
}

static void test_ar_task_file_encodings(void **state)
{
    fx *f = *state;
    tl_buf b = TL_BUF_INIT;
    /* UTF-8 with BOM declaring UTF-16 (Atomic T1053.005 #8) */
    tl_buf_puts(&b, "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n");
    tl_buf_puts(&b, SIMPLE_BODY);
    check_simple(f, "atomic red team", b.data, b.len);
    /* UTF-8 without BOM */
    tl_buf_reset(&b);
    tl_buf_puts(&b, "<?xml version=\"1.0\"?>");
    tl_buf_puts(&b, SIMPLE_BODY);
    check_simple(f, "plain8", b.data, b.len);
    /* Wine's file: BOM, comment first line, no declaration */
    tl_buf_reset(&b);
    tl_buf_puts(&b, "\xEF\xBB\xBF<!-- Task definition created by Wine -->\n");
    tl_buf_puts(&b, SIMPLE_BODY);
    check_simple(f, "winefile", b.data, b.len);
    /* UTF-16LE with BOM */
    size_t n;
    char *u = utf16le(SIMPLE_BODY, &n);
    check_simple(f, "utf16", u, n);
    /* UTF-16BE with BOM */
    for (size_t i = 0; i < n; i += 2) {
        char t = u[i];
        u[i] = u[i + 1];
        u[i + 1] = t;
    }
    check_simple(f, "utf16be", u, n);
    free(u);
    tl_buf_free(&b);
}

/* ---- actions ----------------------------------------------------------------------- */

static void test_ar_several_actions_and_com_handler(void **state)
{
    fx *f = *state;
    const char *xml =
        "<Task xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Actions "
        "Context=\"Author\"><Exec id=\"first\"><Command>a.exe</Command><Arguments>-x</Arguments>"
        "<WorkingDirectory>C:\\w</WorkingDirectory></Exec><ComHandler><ClassId>{0A2D3F6E-1111-"
        "2222-3333-444455556666}</ClassId><Data>&lt;d/&gt;</Data></ComHandler></Actions></Task>";
    put_task(f, "multi", xml, strlen(xml));
    char *msg = message("add", "12", "CreateKey", TREE "multi", "WS01");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_memory_equal(log, "{\"ScheduledTaskAR\": [{\"CimClass\"", 32);
    assert_non_null(strstr(log, "\"Id\":\"first\",\"Arguments\":\"-x\",\"Execute\":\"a.exe\","
                                "\"WorkingDirectory\":\"C:\\\\w\",\"PSComputerName\":null},"));
    assert_non_null(strstr(log, "\"CimClassProperties\":[\"Id\",\"ClassId\",\"Data\"]"));
    assert_non_null(strstr(log, "\"ClassName\":\"MSFT_TaskComHandlerAction\""));
    assert_non_null(strstr(log, "\"ClassId\":\"{0A2D3F6E-1111-2222-3333-444455556666}\","
                                "\"Data\":\"<d/>\",\"PSComputerName\":null}], \"TaskName\": \"multi\""));
    tl_free(log);
    tl_free(msg);
}

static void test_ar_hidden_sd_less_task(void **state)
{
    fx *f = *state;
    const char *xml = "<Task><Settings><Hidden>true</Hidden></Settings><Actions><Exec><Command>"
                      "C:\\ProgramData\\x.exe</Command></Exec></Actions></Task>";
    put_task(f, "WinUpdate", xml, strlen(xml));
    char *msg = message("add", "12", "DeleteValue", TREE "WinUpdate\\SD", "WS01");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_non_null(strstr(log, "\"TaskName\": \"WinUpdate\""));
    assert_non_null(strstr(log, "\"Hidden\": true"));
    assert_non_null(strstr(log, "\"RegistryEvent\": {\"EventType\":\"DeleteValue\",\"Value\":\"SD\"}, "
                                "\"SD\": \"deleted\"}"));
    tl_free(log);
    tl_free(msg);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_ar_task_gone_error_record(void **state)
{
    fx *f = *state;
    char *msg = message("add", "12", "DeleteKey", TREE "Gone Task", "WS01");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_string_equal(
        log, "{\"ScheduledTaskAR\": null, \"TaskName\": \"Gone Task\", \"TaskPath\": "
             "\"\\\\Gone Task\", \"Source\": \"task-file\", \"File\": \"C:\\\\Windows\\\\System32\\\\"
             "Tasks\\\\Gone Task\", \"RegistryEvent\": {\"EventType\":\"DeleteKey\",\"Value\":null}, "
             "\"SD\": \"unknown\", \"Error\": \"task file not found: C:\\\\Windows\\\\System32\\\\"
             "Tasks\\\\Gone Task\"}\n");
    tl_free(log);
    tl_free(msg);
}

static void expect_failure(fx *f, const char *msg, size_t big, int want_rc, const char *want_err)
{
    char lp[600];
    snprintf(lp, sizeof lp, "%s/logs/scheduled-tasks.log", f->install);
    char *before = slurp(lp);
    mio m;
    memset(&m, 0, sizeof m);
    m.big = big;
    if (big)
        m.n = 1;
    int rc = run_ar(f, msg, 0, &m);
    tl_buf_free(&m.written);
    assert_int_equal(rc, want_rc);
    char *after = slurp(lp);
    assert_string_equal(before, after); /* nothing, not even half a line */
    char *al = ar_log(f);
    if (!strstr(al, want_err))
        fail_msg("active-responses.log lacks '%s':\n%s", want_err, al);
    tl_free(al);
    tl_free(before);
    tl_free(after);
}

static void test_ar_bad_inputs(void **state)
{
    fx *f = *state;
    expect_failure(f, "this is not json", 0, 1, ": ERROR: Invalid input format: not JSON");
    expect_failure(f, "[1,2]", 0, 1, "ERROR: Invalid input format: not a JSON object");
    expect_failure(f, "{\"version\":1,\"command\":\"add\",\"parameters\":{}}", 0, 1,
                   "ERROR: Invalid input format: 'parameters.alert' missing");
    expect_failure(f, "{\"version\":2,\"command\":\"add\"}", 0, 1, "'version' must be 1");
    expect_failure(f, "{\"version\":1,\"command\":\"add\",\"parameters\":{\"alert\":{}}}", 0, 1,
                   "ERROR: alert has no string 'data.win.eventdata.targetObject'");
    expect_failure(f, NULL, (size_t)10 << 20, 1, "ERROR: input line longer than 1048576 bytes");
    expect_failure(f, NULL, 0, 1, "ERROR: Cannot read 'input' from stdin");
    char *msg = message("add", "13", "SetValue", "HKLM\\SOFTWARE\\Run\\x", "WS01");
    expect_failure(f, msg, 0, 1, "ERROR: targetObject is not under TaskCache\\Tree");
    tl_free(msg);
}

static void test_ar_bad_task_files(void **state)
{
    fx *f = *state;
    static const struct {
        const char *data;
        size_t len;
        const char *err;
    } bad[] = {
        {"<Task><Actions><Exec><Command>cut", 33, "unclosed element (truncated file?)"},
        {"just text, no XML", 17, "text before the root element (not XML)"},
        {"<?xml version=\"1.0\" encoding=\"windows-1252\"?><Task>caf\xe9</Task>", 60,
         "unexpected encoding: invalid UTF-8 at byte"},
        {"\xFF\xFE<\0T\0", 5, "unexpected encoding: odd length"},
        {"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Task>&e;</Task>", 69,
         "DOCTYPE and other declarations are not allowed"},
        {"<Task>&e;</Task>", 16, "unknown entity"},
        {"<NotATask/>", 11, "root element is <NotATask>, not <Task>"},
        {"<Task></Tusk>", 13, "mismatched end tag"},
        {"<!-- cut", 8, "unterminated comment (truncated file?)"},
        {"<Task><!-- cut", 14, "unterminated comment (truncated file?)"},
        {"<?xml version=\"1.0\"", 19, "unterminated processing instruction (truncated file?)"},
        {"<Task><?pi cut", 14, "unterminated processing instruction (truncated file?)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "bad%zu", i);
        put_task(f, rel, bad[i].data, bad[i].len);
        char target[256];
        snprintf(target, sizeof target, TREE "%s", rel);
        char *msg = message("add", "12", "CreateKey", target, "WS01");
        expect_failure(f, msg, 0, 1, bad[i].err);
        tl_free(msg);
    }
}

static void test_ar_unwritable_log(void **state)
{
    fx *f = *state;
    put_task_xml16(f, "ok", BLOG_TASK_XML);
    char lp[600];
    snprintf(lp, sizeof lp, "%s/logs/scheduled-tasks.log", f->install);
    mkdirs(lp); /* a folder where the log should be: cannot be opened for append */
    char *msg = message("add", "12", "CreateKey", TREE "ok", "WS01");
    assert_int_equal(run_ar(f, msg, 0, NULL), 2);
    char *al = ar_log(f);
    assert_non_null(strstr(al, "ERROR: cannot write scheduled-tasks.log: "));
    tl_free(al);
    tl_free(msg);
}

/* ---- protocol ----------------------------------------------------------------------- */

static void test_ar_check_keys_continue_and_abort(void **state)
{
    fx *f = *state;
    put_task_xml16(f, "k", BLOG_TASK_XML);
    char *msg = message("add", "12", "CreateKey", TREE "k", "WS01");
    mio m;
    memset(&m, 0, sizeof m);
    m.lines[1] = "{\"version\":1,\"command\":\"abort\"}";
    m.n = 2;
    assert_int_equal(run_ar(f, msg, 1, &m), 0);
    assert_string_equal(m.written.data,
                        "{\"version\":1,\"origin\":{\"name\":\"analyze-scheduled-task.exe\",\"module\":"
                        "\"active-response\"},\"command\":\"check_keys\",\"parameters\":{\"keys\":"
                        "[\"\\\\k\"]}}\n");
    tl_buf_free(&m.written);
    char *log = tasks_log(f);
    assert_string_equal(log, "");
    tl_free(log);
    char *al = ar_log(f);
    assert_non_null(strstr(al, "analyze-scheduled-task.exe: Aborted\n"));
    tl_free(al);
    memset(&m, 0, sizeof m);
    m.lines[1] = "{\"version\":1,\"command\":\"continue\"}";
    m.n = 2;
    assert_int_equal(run_ar(f, msg, 1, &m), 0);
    tl_buf_free(&m.written);
    log = tasks_log(f);
    assert_non_null(strstr(log, "\"TaskName\": \"k\""));
    tl_free(log);
    tl_free(msg);
}

static void test_ar_delete_command_does_nothing(void **state)
{
    fx *f = *state;
    put_task_xml16(f, "d", BLOG_TASK_XML);
    char *msg = message("delete", "12", "CreateKey", TREE "d", "WS01");
    assert_int_equal(run_ar(f, msg, 1, NULL), 0);
    char *log = tasks_log(f);
    assert_string_equal(log, "");
    tl_free(log);
    char *al = ar_log(f);
    assert_non_null(strstr(al, ": Ended\n"));
    tl_free(al);
    tl_free(msg);
}

static void test_ar_case_insensitive_drive(void **state)
{
    fx *f = *state;
    char p[600];
    /* the endpoint's folders exist only in another casing */
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks", f->drive);
    assert_int_equal(rmdir(p), 0);
    snprintf(p, sizeof p, "%s/Windows/System32", f->drive);
    assert_int_equal(rmdir(p), 0);
    snprintf(p, sizeof p, "%s/Windows", f->drive);
    assert_int_equal(rmdir(p), 0);
    snprintf(p, sizeof p, "%s/windows/system32/tasks/Sub", f->drive);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/windows/system32/tasks/Sub/Mixed", f->drive);
    size_t n;
    char *u = utf16le(BLOG_TASK_XML, &n);
    put_file(p, u, n);
    free(u);
    char *msg = message("add", "12", "CreateKey", TREE "SUB\\mixed", "WS01");
    assert_int_equal(run_ar(f, msg, 0, NULL), 0);
    char *log = tasks_log(f);
    assert_non_null(strstr(log, "\"TaskName\": \"mixed\""));
    assert_non_null(strstr(log, "\"Execute\":\"C:\\\\Windows\\\\System32\\\\calc.exe\""));
    tl_free(log);
    tl_free(msg);
}

/* Every allocation failure gives TL_E_NOMEM (or an error exit), never a crash,
 * a leak (ASan build) or half a line in scheduled-tasks.log. */
static void test_ar_alloc_fail(void **state)
{
    fx *f = *state;
    size_t n;
    char *u = utf16le(BLOG_TASK_XML, &n);
    tl_ar_task_ref ref = {"\\test-task", "DESKTOP-4E0BQFT", "CreateKey", NULL};
    int done = 0;
    for (long k = 1; k < 10000 && !done; k++) {
        char *line = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_alloc_fail_at(k);
        tl_status st = tl_ar_render_task(u, n, &ref, &line, &d);
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        if (used < k) {
            assert_int_equal(st, TL_OK);
            done = 1;
            assert_memory_equal(line, SEED_PREFIX, strlen(SEED_PREFIX));
            tl_free(line);
        } else {
            assert_int_equal(st, TL_E_NOMEM);
            assert_null(line);
        }
    }
    assert_true(done);
    put_task(f, "test-task", u, n);
    free(u);
    char *msg = message("add", "12", "CreateKey", TREE "test-task", "DESKTOP-4E0BQFT");
    char lp[600];
    snprintf(lp, sizeof lp, "%s/logs/scheduled-tasks.log", f->install);
    done = 0;
    for (long k = 1; k < 10000 && !done; k++) {
        unlink(lp);
        mio m;
        memset(&m, 0, sizeof m);
        m.lines[0] = msg;
        m.n = 1;
        tl_ar_env env = {f->drive, f->install, "active-response/bin/analyze-scheduled-task.exe", 0,
                         0, 0, NULL};
        tl_ar_io io = {&m, m_read, m_write};
        tl_alloc_fail_at(k);
        int rc = tl_ar_run(&env, &io);
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        tl_buf_free(&m.written);
        char *log = tasks_log(f);
        if (used < k) { /* no failure injected: the complete run */
            assert_int_equal(rc, 0);
            done = 1;
            assert_memory_equal(log, SEED_PREFIX, strlen(SEED_PREFIX));
        } else {
            /* failed run: nothing or exactly one whole line */
            size_t len = strlen(log);
            assert_true(len == 0 || (strchr(log, '\n') == log + len - 1));
        }
        tl_free(log);
    }
    assert_true(done);
    tl_free(msg);
}

/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n, cp;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* issue 10: invalid UTF-8 in a registry path (task path, value name) gives a
 * line a strict JSON reader accepts: each invalid sequence becomes U+FFFD. */
static void test_ar_invalid_utf8_is_replaced(void **state)
{
    (void)state;
    tl_ar_task_ref ref = {"\\bad\xff\xfe" "x\xc3(\xe2\x82 \xed\xa0\x80y\xf0\x9f\x98\x80", "H",
                          "SetValue", "v\x80"};
    char *line = tl_ar_error_record(&ref, "gone \xc0\xaf");
    assert_non_null(line);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(line, &end, 1);
    assert_non_null(j);
    assert_true(utf8_valid(line));
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(j, "TaskPath");
    assert_true(cJSON_IsString(tp));
    /* \xff, \xfe, \xc3 (before '('), \xe2\x82 (truncated), \xed\xa0\x80 (a surrogate: 3
     * bytes, each invalid); valid characters kept */
    assert_string_equal(tp->valuestring, "\\bad\xef\xbf\xbd\xef\xbf\xbdx\xef\xbf\xbd(\xef\xbf\xbd "
                                         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\xf0\x9f\x98\x80");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(j, "RegistryEvent"), "Value")
                            ->valuestring,
                        "v\xef\xbf\xbd");
    cJSON_Delete(j);
    tl_free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar_path_every_event_kind),
        cmocka_unit_test(test_ar_path_rejects_outside_tree),
        cmocka_unit_test(test_ar_sources_start_no_process),
        cmocka_unit_test_setup_teardown(test_ar_seed_output_byte_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_server_name_from_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_hostile_names_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_task_file_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_several_actions_and_com_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_hidden_sd_less_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_task_gone_error_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_bad_task_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_unwritable_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_check_keys_continue_and_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_delete_command_does_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_case_insensitive_drive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ar_alloc_fail, setup, teardown),
        cmocka_unit_test(test_ar_invalid_utf8_is_replaced),
    };
    return cmocka_run_group_tests_name("ar", tests, NULL, NULL);
}
