/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the agent side (tl_agent): the eventchannel payload byte for
 * byte (wazuh.md §1.1), the queue line, agent.conf parsing, the logcollector
 * (partial lines, Windows read_syslog rules, rotation) and execd (message
 * rewrite, check_keys, timeouts on the virtual clock, and identical logs in
 * the inproc and exec modes; wine mode when TL_TEST_WINE_EXE names the .exe).
 */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include "tasklab/agent.h"
#include "tasklab/ar.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

/* ---- forwarder -------------------------------------------------------------------- */

#define MSG_13                                                                                     \
    "Registry value set:\r\nRuleName: technique_id=T1053,technique_name=Scheduled Task\r\n"       \
    "EventType: SetValue\r\nUtcTime: 2025-01-15 10:00:00.120\r\n"                                  \
    "ProcessGuid: {1f2e3d4c-8a60-6787-1a00-000000000700}\r\nProcessId: 1188\r\n"                    \
    "Image: C:\\Windows\\system32\\svchost.exe\r\n"                                                \
    "TargetObject: HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\"   \
    "Tree\\WinUpdate\\Index\r\nDetails: DWORD (0x00000003)\r\nUser: NT AUTHORITY\\SYSTEM"

#define XML_13                                                                                     \
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "     \
    "Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>13" \
    "</EventID><Version>2</Version><Level>4</Level><Task>13</Task><Opcode>0</Opcode><Keywords>"    \
    "0x8000000000000000</Keywords><TimeCreated SystemTime='2025-01-15T10:00:00.1234567Z'/>"        \
    "<EventRecordID>1001</EventRecordID><Correlation/><Execution ProcessID='2900' "                \
    "ThreadID='3312'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>"           \
    "WS01.corp.example</Computer><Security UserID='S-1-5-18'/></System><EventData><Data "          \
    "Name='RuleName'>technique_id=T1053,technique_name=Scheduled Task</Data><Data "                \
    "Name='EventType'>SetValue</Data><Data Name='UtcTime'>2025-01-15 10:00:00.120</Data><Data "    \
    "Name='ProcessGuid'>{1f2e3d4c-8a60-6787-1a00-000000000700}</Data><Data "                       \
    "Name='ProcessId'>1188</Data><Data Name='Image'>C:\\Windows\\system32\\svchost.exe</Data>"     \
    "<Data Name='TargetObject'>HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\"  \
    "TaskCache\\Tree\\WinUpdate\\Index</Data><Data Name='Details'>DWORD (0x00000003)</Data><Data " \
    "Name='User'>NT AUTHORITY\\SYSTEM</Data></EventData></Event>"

static void test_agent_payload_byte_exact(void **state)
{
    (void)state;
    char *p = tl_agent_eventchannel_payload(MSG_13, XML_13);
    assert_non_null(p);
    const char *want =
        "{\"Message\":\"Registry value set:\\r\\nRuleName: technique_id=T1053,technique_name="
        "Scheduled Task\\r\\nEventType: SetValue\\r\\nUtcTime: 2025-01-15 10:00:00.120\\r\\n"
        "ProcessGuid: {1f2e3d4c-8a60-6787-1a00-000000000700}\\r\\nProcessId: 1188\\r\\nImage: "
        "C:\\\\Windows\\\\system32\\\\svchost.exe\\r\\nTargetObject: HKLM\\\\SOFTWARE\\\\Microsoft"
        "\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\\Index\\r"
        "\\nDetails: DWORD (0x00000003)\\r\\nUser: NT AUTHORITY\\\\SYSTEM\",\"Event\":\"<Event "
        "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
        "Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>"
        "13</EventID><Version>2</Version><Level>4</Level><Task>13</Task><Opcode>0</Opcode>"
        "<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2025-01-15T10:00:00."
        "1234567Z'/><EventRecordID>1001</EventRecordID><Correlation/><Execution ProcessID='2900' "
        "ThreadID='3312'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS01."
        "corp.example</Computer><Security UserID='S-1-5-18'/></System><EventData><Data "
        "Name='RuleName'>technique_id=T1053,technique_name=Scheduled Task</Data><Data "
        "Name='EventType'>SetValue</Data><Data Name='UtcTime'>2025-01-15 10:00:00.120</Data><Data "
        "Name='ProcessGuid'>{1f2e3d4c-8a60-6787-1a00-000000000700}</Data><Data "
        "Name='ProcessId'>1188</Data><Data Name='Image'>C:\\\\Windows\\\\system32\\\\svchost.exe"
        "</Data><Data Name='TargetObject'>HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\"
        "CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\\Index</Data><Data "
        "Name='Details'>DWORD (0x00000003)</Data><Data Name='User'>NT AUTHORITY\\\\SYSTEM</Data>"
        "</EventData></Event>\"}";
    assert_string_equal(p, want);
    /* The fragments of wazuh.md §1.1, in order. */
    static const char *const frags[] = {
        "{\"Message\":\"Registry value set:\\r\\nRuleName: technique_id=T1053,technique_name="
        "Scheduled Task\\r\\nEventType: SetValue\\r\\n",
        "\\r\\nImage: C:\\\\Windows\\\\system32\\\\svchost.exe\\r\\n",
        "\\r\\nUser: NT AUTHORITY\\\\SYSTEM\",\"Event\":\"<Event xmlns='http://schemas.microsoft.com"
        "/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' "
        "Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>13</EventID>",
        "<Correlation/><Execution ProcessID='2900' ThreadID='3312'/>",
        "<Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'>technique_id=T1053,"
        "technique_name=Scheduled Task</Data>",
        "<Data Name='Image'>C:\\\\Windows\\\\system32\\\\svchost.exe</Data>",
        "</EventData></Event>\"}"};
    const char *at = p;
    for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++) {
        const char *f = strstr(at, frags[i]);
        if (!f)
            fail_msg("fragment %zu missing or out of order", i);
        at = f + strlen(frags[i]);
    }
    /* cJSON reads back exactly what went in. */
    cJSON *j = cJSON_Parse(p);
    assert_string_equal(cJSON_GetObjectItem(j, "Message")->valuestring, MSG_13);
    assert_string_equal(cJSON_GetObjectItem(j, "Event")->valuestring, XML_13);
    assert_string_equal(j->child->string, "Message");
    cJSON_Delete(j);
    tl_free(p);
}

static void test_agent_payload_without_message_and_format(void **state)
{
    (void)state;
    char *p = tl_agent_eventchannel_payload(NULL, "<Event><Data>a\r\n\tb:\t\tc\td\"e</Data></Event>");
    /* \r and \n become spaces; tabs right after \n, \r or ':' become spaces; quotes escaped */
    assert_string_equal(p, "{\"Event\":\"<Event><Data>a   b:  c\\td\\\"e</Data></Event>\"}");
    tl_free(p);
    p = tl_agent_eventchannel_payload("m\x01", "<x/>");
    assert_string_equal(p, "{\"Message\":\"m\\u0001\",\"Event\":\"<x/>\"}");
    tl_free(p);
}

static void test_agent_queue_line(void **state)
{
    (void)state;
    char *q = tl_agent_queue_line('f', "001", "WS01", "any", "EventChannel", "{\"Event\":\"x\"}");
    assert_string_equal(q, "f:[001] (WS01) any->EventChannel:{\"Event\":\"x\"}");
    tl_free(q);
    q = tl_agent_queue_line('1', "001", "WS01", "any",
                            "C:\\Program Files (x86)\\ossec-agent\\logs\\scheduled-tasks.log",
                            "{\"a\":1}");
    assert_string_equal(q, "1:[001] (WS01) any->C|:\\Program Files (x86)\\ossec-agent\\logs\\"
                           "scheduled-tasks.log:{\"a\":1}");
    tl_free(q);
    q = tl_agent_queue_line('1', "002", "DESKTOP-4E0BQFT", "10.0.0.5", "logs\\scheduled-tasks.log",
                            "");
    assert_string_equal(q, "1:[002] (DESKTOP-4E0BQFT) 10.0.0.5->logs\\scheduled-tasks.log:");
    tl_free(q);
}

/* ---- agent.conf --------------------------------------------------------------------- */

static void test_agent_conf_blocks_and_filters(void **state)
{
    (void)state;
    const char *text =
        "<?xml version=\"1.0\"?>\n"
        "<agent_config os=\"windows\">\n"
        "  <localfile>\n    <location>Microsoft-Windows-Sysmon/Operational</location>\n"
        "    <log_format>eventchannel</log_format>\n  </localfile>\n"
        "</agent_config>\n"
        "<agent_config os=\"Linux\">\n"
        "  <localfile><location>/var/log/syslog</location><log_format>syslog</log_format></localfile>\n"
        "</agent_config>\n"
        "<agent_config>\n"
        "  <localfile><location> logs\\scheduled-tasks.log </location><log_format>SYSLOG</log_format>"
        "</localfile>\n"
        "  <localfile><location>logs\\Scheduled-Tasks.log</location><log_format>syslog</log_format>"
        "</localfile>\n"
        "  <localfile><location>C:\\x\\app.json</location><log_format>json</log_format></localfile>\n"
        "  <localfile><location>C:\\x\\iis.log</location><log_format>iis</log_format></localfile>\n"
        "</agent_config>\n";
    tl_agent_conf *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_agent_conf_parse(text, strlen(text), "agent.conf", &c, &d), TL_OK);
    assert_true(tl_agent_conf_reads_channel(c, "Microsoft-Windows-Sysmon/Operational"));
    assert_true(tl_agent_conf_reads_channel(c, "microsoft-windows-sysmon/operational"));
    assert_false(tl_agent_conf_reads_channel(c, "Security"));
    assert_int_equal(tl_agent_conf_file_count(c), 2);
    assert_string_equal(tl_agent_conf_file_location(c, 0), "logs\\scheduled-tasks.log");
    assert_string_equal(tl_agent_conf_file_format(c, 0), "syslog");
    assert_string_equal(tl_agent_conf_file_location(c, 1), "C:\\x\\app.json");
    assert_string_equal(tl_agent_conf_file_format(c, 1), "json");
    assert_null(tl_agent_conf_file_location(c, 2));
    tl_agent_conf_free(c);
}

static void test_agent_conf_project_default(void **state)
{
    (void)state;
    tl_agent_conf *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_agent_conf_load(TL_SOURCE_DIR "/pipeline/etc/agent.conf", &c, &d), TL_OK);
    assert_true(tl_agent_conf_reads_channel(c, "Microsoft-Windows-Sysmon/Operational"));
    /* the blog's AR log first, then the stock agent's active-responses.log */
    assert_int_equal(tl_agent_conf_file_count(c), 2);
    assert_string_equal(tl_agent_conf_file_location(c, 0), "logs\\scheduled-tasks.log");
    assert_string_equal(tl_agent_conf_file_location(c, 1), "active-response\\active-responses.log");
    assert_string_equal(tl_agent_conf_file_format(c, 1), "syslog");
    tl_agent_conf_free(c);
    /* the stock Windows agent ossec.conf, when ../shared is there */
    FILE *f = fopen(TL_SHARED_DIR "/reference/wazuh-full/etc/win32-agent-ossec.conf", "rb");
    if (!f)
        skip();
    fclose(f);
    assert_int_equal(
        tl_agent_conf_load(TL_SHARED_DIR "/reference/wazuh-full/etc/win32-agent-ossec.conf", &c, &d),
        TL_OK);
    assert_true(tl_agent_conf_reads_channel(c, "Security"));
    assert_false(tl_agent_conf_reads_channel(c, "Microsoft-Windows-Sysmon/Operational"));
    int ar = 0;
    for (size_t i = 0; i < tl_agent_conf_file_count(c); i++)
        ar |= strcmp(tl_agent_conf_file_location(c, i), "active-response\\active-responses.log") == 0;
    assert_true(ar);
    tl_agent_conf_free(c);
}

static void test_agent_conf_errors(void **state)
{
    (void)state;
    tl_agent_conf *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    const char *bad = "<agent_config>\n<localfile>\n<location>x</location>\n</agent_config>\n";
    assert_int_equal(tl_agent_conf_parse(bad, strlen(bad), "bad.conf", &c, &d), TL_E_PARSE);
    assert_null(c);
    assert_string_equal(d.file, "bad.conf");
    assert_true(d.line >= 3);
    const char *noloc = "<agent_config>\n  <localfile><log_format>syslog</log_format></localfile>\n"
                        "</agent_config>";
    tl_diag_clear(&d);
    assert_int_equal(tl_agent_conf_parse(noloc, strlen(noloc), "n.conf", &c, &d), TL_E_PARSE);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "without <location>"));
    tl_diag_clear(&d);
    assert_int_equal(tl_agent_conf_load("/nonexistent/agent.conf", &c, &d), TL_E_IO);
}

/* ---- logcollector --------------------------------------------------------------------- */

typedef struct lines {
    char v[16][256];
    size_t n;
} lines;

static void collect(void *ctx, const char *location, const char *line)
{
    lines *l = ctx;
    assert_string_equal(location, "logs\\scheduled-tasks.log");
    if (l->n < 16)
        snprintf(l->v[l->n++], 256, "%s", line);
}

static void append(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

typedef struct lens {
    size_t len[8];
    char first[8], last[8];
    size_t n;
} lens;

static void collect_len(void *ctx, const char *location, const char *line)
{
    (void)location;
    lens *l = ctx;
    if (l->n < 8) {
        size_t n = strlen(line);
        l->len[l->n] = n;
        l->first[l->n] = n ? line[0] : 0;
        l->last[l->n] = n ? line[n - 1] : 0;
        l->n++;
    }
}

/* read_syslog reads a line with fgets(str, OS_MAXSTR - OS_LOG_HEADER): at most
 * 65,279 bytes a read. A longer line is sent cut to its first 65,278 bytes and
 * the rest of it, through its '\n', is discarded ([A], logcollector.c). A line of
 * 65,278 bytes plus '\n' is whole. */
static void test_agent_logcollector_long_line_cut(void **state)
{
    (void)state;
    char path[] = "/tmp/tl-test-agent-lc-long-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    size_t big = 211602;
    char *buf = malloc(big + 1);
    assert_non_null(buf);
    memset(buf, 'a', big);
    buf[65277] = 'b'; /* the last byte kept */
    buf[65278] = 'c'; /* the first byte dropped */
    buf[big - 1] = 'z';
    buf[big] = '\n';
    append(path, buf, big + 1);
    append(path, "next\n", 5);
    memset(buf, 'x', 65278);
    buf[65278] = '\n';
    append(path, buf, 65279);
    free(buf);
    tl_logcollector *lc = NULL;
    assert_int_equal(tl_logcollector_new("x", path, 1, &lc), TL_OK);
    lens l;
    memset(&l, 0, sizeof l);
    assert_int_equal(tl_logcollector_poll(lc, collect_len, &l), TL_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.len[0], 65278);
    assert_int_equal(l.last[0], 'b');
    assert_int_equal(l.len[1], 4);
    assert_int_equal(l.first[1], 'n');
    assert_int_equal(l.len[2], 65278);
    assert_int_equal(l.last[2], 'x');
    tl_logcollector_free(lc);
    unlink(path);
}

static void test_agent_logcollector_partial_lines_and_windows_rules(void **state)
{
    (void)state;
    char path[] = "/tmp/tl-test-agent-lc-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* the file does not exist yet */
    tl_logcollector *lc = NULL;
    assert_int_equal(tl_logcollector_new("logs\\scheduled-tasks.log", path, 1, &lc), TL_OK);
    lines l;
    memset(&l, 0, sizeof l);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 0);
    append(path, "{\"ScheduledTaskAR\": nu", 22);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 0); /* not complete yet */
    append(path, "ll, \"TaskName\": \"x\"}\r\n", 23);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "{\"ScheduledTaskAR\": null, \"TaskName\": \"x\"}");
    /* skipped: <= 2 bytes, comments, NUL; cut at the LAST \r */
    static const char more[] = "ab\r\n\r\n#comment\r\nnul\0here\r\nkeep\rthis\rpart\r\n"
                               "cut\rhere\nplain\n";
    append(path, more, sizeof more - 1);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[1], "keep\rthis\rpart");
    assert_string_equal(l.v[2], "cut");
    assert_string_equal(l.v[3], "plain");
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 4); /* nothing new */
    /* truncation: read again from the start */
    FILE *f = fopen(path, "wb");
    fputs("again\n", f);
    fclose(f);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.v[4], "again");
    tl_logcollector_free(lc);
    /* non-Windows agent: short lines and '#' kept, \r kept */
    assert_int_equal(tl_logcollector_new("logs\\scheduled-tasks.log", path, 0, &lc), TL_OK);
    append(path, "#c\r\nab\n", 7);
    memset(&l, 0, sizeof l);
    assert_int_equal(tl_logcollector_poll(lc, collect, &l), TL_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[1], "#c\r");
    assert_string_equal(l.v[2], "ab");
    tl_logcollector_free(lc);
    unlink(path);
}

/* ---- execd ------------------------------------------------------------------------------ */

#define AGENT_WIN "C:\\Program Files (x86)\\ossec-agent"

static const char TASK_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Task version=\"1.2\" "
    "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\"><Settings><Hidden>false"
    "</Hidden></Settings><Actions Context=\"Author\"><Exec><Command>C:\\Windows\\System32\\calc.exe"
    "</Command></Exec></Actions></Task>\n";

static char *manager_message(const char *task)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "{\"version\":1,\"origin\":{\"name\":\"node01\",\"module\":\"wazuh-analysisd\"},"
                    "\"command\":\"analyze-scheduled-task0\",\"parameters\":{\"extra_args\":[],"
                    "\"alert\":{\"timestamp\":\"2022-04-13T11:59:41.600+0000\",\"rule\":{\"level\":6,"
                    "\"id\":\"115006\"},\"agent\":{\"id\":\"001\",\"name\":\"DESKTOP-4E0BQFT\"},"
                    "\"data\":{\"win\":{\"system\":{\"eventID\":\"12\",\"computer\":"
                    "\"DESKTOP-4E0BQFT\"},\"eventdata\":{\"eventType\":\"CreateKey\",\"targetObject\":"
                    "\"HKLM\\\\\\\\SOFTWARE\\\\\\\\Microsoft\\\\\\\\Windows NT\\\\\\\\CurrentVersion"
                    "\\\\\\\\Schedule\\\\\\\\TaskCache\\\\\\\\Tree\\\\\\\\");
    tl_buf_puts(&b, task);
    tl_buf_puts(&b, "\"}}}}}}");
    return tl_buf_take(&b);
}

typedef struct xfx {
    char root[128];
    char drive[4200];
} xfx;

static void make_drive(xfx *f)
{
    snprintf(f->root, sizeof f->root, "/tmp/tl-test-agent-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->drive, sizeof f->drive, "%s/drive_c", f->root);
    char p[4400];
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks", f->drive);
    assert_int_equal(tl_mkdirs(p, NULL), TL_OK);
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/test-task", f->drive);
    FILE *fp = fopen(p, "wb");
    fputs(TASK_XML, fp);
    fclose(fp);
}

static void rm_drive(xfx *f)
{
    if (!f->root[0])
        return;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root); /* test-owned temporary folder */
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->root);
}

static char *read_agent_file(tl_execd *x, const char *rel)
{
    char *p = tl_execd_host_path(x, rel);
    char *data = NULL;
    size_t len;
    if (tl_file_read(p, &data, &len, NULL) != TL_OK)
        data = tl_strdup("");
    tl_free(p);
    return data;
}

/* Run the same sequence in one mode; returns both logs joined. */
/* Use the Wine prefix's own drive_c as the endpoint's C: (the program then
 * reads the real C:\ under Wine, without TASKLAB_DRIVE_C). The agent folder
 * in that scratch prefix is reset first. */
static void use_prefix_drive(xfx *f, const char *prefix)
{
    char rp[4096];
    assert_non_null(realpath(prefix, rp));
    f->root[0] = '\0';
    snprintf(f->drive, sizeof f->drive, "%s/drive_c", rp);
    char *agent = tl_ar_host_path(f->drive, AGENT_WIN);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", agent); /* scratch prefix given to the test */
    assert_int_equal(system(cmd), 0);
    tl_free(agent);
    char *tasks = tl_ar_host_path(f->drive, "C:\\Windows\\System32\\Tasks");
    assert_int_equal(tl_mkdirs(tasks, NULL), TL_OK);
    char *task = tl_path_join(tasks, "test-task");
    FILE *fp = fopen(task, "wb");
    fputs(TASK_XML, fp);
    fclose(fp);
    tl_free(task);
    tl_free(tasks);
}

static char *run_sequence(tl_ar_mode mode, const char *exe, const char *prefix)
{
    xfx f;
    if (mode == TL_AR_WINE && exe == NULL) {
        exe = getenv("TL_TEST_WINE_EXE");
        use_prefix_drive(&f, prefix);
    } else {
        make_drive(&f);
    }
    tl_execd_opts o = {mode, exe, f.drive, AGENT_WIN, prefix, 0};
    tl_execd *x = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_execd_new(&o, &x, &d);
    if (st != TL_OK)
        fail_msg("tl_execd_new: %s", d.msg);
    tl_time t0 = (tl_time)1649851181600000LL;
    char *m1 = manager_message("test-task");
    char *m2 = manager_message("gone");
    assert_int_equal(tl_execd_run(x, "analyze-scheduled-task.exe", m1, 60, t0, &d), TL_OK);
    assert_int_equal(tl_execd_last_exit(x), 0);
    assert_int_equal(tl_execd_pending(x), 1);
    /* same key while pending: abort */
    assert_int_equal(tl_execd_run(x, "analyze-scheduled-task.exe", m1, 60, t0 + 10000000, &d), TL_OK);
    assert_int_equal(tl_execd_pending(x), 1);
    assert_int_equal(tl_execd_run(x, "analyze-scheduled-task.exe", m2, 0, t0 + 20000000, &d), TL_OK);
    assert_int_equal(tl_execd_pending(x), 1);
    /* refreshed at t0+10 s: due at t0+70 s */
    assert_int_equal(tl_execd_tick(x, t0 + 69000000, &d), TL_OK);
    assert_int_equal(tl_execd_pending(x), 1);
    assert_int_equal(tl_execd_tick(x, t0 + 75000000, &d), TL_OK);
    assert_int_equal(tl_execd_pending(x), 0);
    char *a = read_agent_file(x, "active-response\\active-responses.log");
    char *t = read_agent_file(x, "logs\\scheduled-tasks.log");
    tl_buf all = TL_BUF_INIT;
    /* the Windows build writes CRLF (StreamWriter.WriteLine / text-mode fopen) */
    for (const char *p = a; *p; p++)
        if (*p != '\r')
            tl_buf_putc(&all, *p);
    tl_buf_puts(&all, "----\n");
    for (const char *p = t; *p; p++)
        if (*p != '\r')
            tl_buf_putc(&all, *p);
    tl_free(a);
    tl_free(t);
    tl_free(m1);
    tl_free(m2);
    tl_execd_free(x);
    rm_drive(&f);
    return tl_buf_take(&all);
}

static void test_agent_execd_inproc_protocol(void **state)
{
    (void)state;
    char *all = run_sequence(TL_AR_INPROC, NULL, NULL);
    /* the message the program got: command, module rewritten in place, program last */
    assert_non_null(strstr(
        all, "2022/04/13 11:59:41 active-response/bin/analyze-scheduled-task.exe: {\"version\":1,"
             "\"origin\":{\"name\":\"node01\",\"module\":\"wazuh-execd\"},\"command\":\"add\","
             "\"parameters\":{\"extra_args\":[],\"alert\":{"));
    assert_non_null(strstr(all, "}}}},\"program\":\"active-response/bin/"
                                "analyze-scheduled-task.exe\"}}\n"));
    assert_non_null(strstr(all, "2022/04/13 11:59:51 active-response/bin/analyze-scheduled-task.exe: "
                                "Aborted\n"));
    /* the delete run at its expiry time (t0 + 10 s + 60 s), no handshake */
    assert_non_null(strstr(all, "2022/04/13 12:00:51 active-response/bin/analyze-scheduled-task.exe: "
                                "{\"version\":1,\"origin\":{\"name\":\"node01\",\"module\":"
                                "\"wazuh-execd\"},\"command\":\"delete\""));
    const char *tasks = strstr(all, "----\n") + 5;
    assert_memory_equal(tasks, "{\"ScheduledTaskAR\": {\"CimClass\"", 31);
    assert_non_null(strstr(tasks, "\n{\"ScheduledTaskAR\": null, \"TaskName\": \"gone\""));
    tl_free(all);
}

/* Byte comparison that reports the first difference with some context. */
static void assert_same(const char *want, const char *got, const char *what)
{
    size_t i = 0;
    while (want[i] && want[i] == got[i])
        i++;
    if (want[i] == got[i])
        return;
    size_t from = i > 60 ? i - 60 : 0;
    fail_msg("%s differs at byte %zu:\n  want ...%.140s\n  got  ...%.140s", what, i, want + from,
             got + from);
}

static void test_agent_execd_modes_identical(void **state)
{
    (void)state;
    char *in = run_sequence(TL_AR_INPROC, NULL, NULL);
    char *ex = run_sequence(TL_AR_EXEC, TL_AR_EXE, NULL);
    assert_same(in, ex, "exec mode");
    const char *wexe = getenv("TL_TEST_WINE_EXE");
    const char *wpfx = getenv("TL_TEST_WINEPREFIX");
    if (wexe && *wexe && wpfx && *wpfx) {
        char *wi = run_sequence(TL_AR_WINE, wexe, wpfx);
        assert_same(in, wi, "wine mode");
        tl_free(wi);
        wi = run_sequence(TL_AR_WINE, NULL, wpfx); /* C: = the prefix's drive_c */
        assert_same(in, wi, "wine mode on the prefix's drive_c");
        tl_free(wi);
    }
    tl_free(in);
    tl_free(ex);
}

static void test_agent_execd_bad_input(void **state)
{
    (void)state;
    xfx f;
    make_drive(&f);
    tl_execd_opts o = {TL_AR_INPROC, NULL, f.drive, NULL, NULL, 0};
    tl_execd *x = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_execd_new(&o, &x, &d), TL_OK);
    assert_int_equal(tl_execd_run(x, "analyze-scheduled-task.exe", "not json", 0, 0, &d), TL_E_PARSE);
    assert_int_equal(tl_execd_run(x, "../../evil.exe", "{}", 0, 0, &d), TL_E_INVAL);
    char *p = tl_execd_host_path(x, "logs\\scheduled-tasks.log");
    assert_non_null(strstr(p, "/drive_c/Program Files (x86)/ossec-agent/logs/scheduled-tasks.log"));
    tl_free(p);
    tl_execd_free(x);
    tl_execd_opts e = {TL_AR_EXEC, "/nonexistent/analyze-scheduled-task", f.drive, NULL, NULL, 0};
    assert_int_equal(tl_execd_new(&e, &x, &d), TL_E_NOTFOUND);
    rm_drive(&f);
}

static void noop_emit(void *ctx, const char *location, const char *line)
{
    (void)location;
    (void)line;
    ++*(int *)ctx;
}

/* Allocation failures: NULL / TL_E_NOMEM, no crash, no leak (ASan build). */
static void test_agent_alloc_fail(void **state)
{
    (void)state;
    int done = 0;
    for (long k = 1; k < 1000 && !done; k++) {
        tl_alloc_fail_at(k);
        char *p = tl_agent_eventchannel_payload(MSG_13, XML_13);
        char *q = tl_agent_queue_line('f', "001", "WS01", "any", "C:\\x", "log");
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        if (used < k) {
            assert_non_null(p);
            assert_non_null(q);
            done = 1;
        } else {
            assert_true(!p || !q);
        }
        tl_free(p);
        tl_free(q);
    }
    assert_true(done);
    const char *conf = "<agent_config><localfile><location>a.log</location><log_format>syslog"
                       "</log_format></localfile><localfile><location>Security</location>"
                       "<log_format>eventchannel</log_format></localfile></agent_config>";
    done = 0;
    for (long k = 1; k < 1000 && !done; k++) {
        tl_agent_conf *c = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_alloc_fail_at(k);
        tl_status st = tl_agent_conf_parse(conf, strlen(conf), "a.conf", &c, &d);
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        if (used < k) {
            assert_int_equal(st, TL_OK);
            assert_int_equal(tl_agent_conf_file_count(c), 1);
            done = 1;
        } else {
            assert_int_equal(st, TL_E_NOMEM);
            assert_null(c);
        }
        tl_agent_conf_free(c);
    }
    assert_true(done);
    char path[] = "/tmp/tl-test-agent-af-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char content[] = "line one\nline two\npartial";
    assert_int_equal(write(fd, content, sizeof content - 1), (ssize_t)(sizeof content - 1));
    close(fd);
    done = 0;
    for (long k = 1; k < 1000 && !done; k++) {
        tl_logcollector *lc = NULL;
        int n = 0;
        tl_alloc_fail_at(k);
        tl_status st = tl_logcollector_new("x", path, 1, &lc);
        if (st == TL_OK)
            st = tl_logcollector_poll(lc, noop_emit, &n);
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        if (used < k) {
            assert_int_equal(st, TL_OK);
            assert_int_equal(n, 2);
            done = 1;
        } else {
            assert_int_equal(st, TL_E_NOMEM);
        }
        tl_logcollector_free(lc);
    }
    assert_true(done);
    unlink(path);
    /* execd inproc: the run either completes or reports TL_E_NOMEM */
    xfx f;
    make_drive(&f);
    tl_execd_opts o = {TL_AR_INPROC, NULL, f.drive, AGENT_WIN, NULL, 0};
    char *m1 = manager_message("test-task");
    done = 0;
    for (long k = 1; k < 20000 && !done; k++) {
        tl_execd *x = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_alloc_fail_at(k);
        tl_status st = tl_execd_new(&o, &x, &d);
        if (st == TL_OK)
            st = tl_execd_run(x, "analyze-scheduled-task.exe", m1, 30, 0, &d);
        if (st == TL_OK)
            st = tl_execd_tick(x, (tl_time)60 * TL_USEC_PER_SEC, &d);
        long used = tl_alloc_count();
        tl_alloc_fail_at(0);
        if (used < k) {
            assert_int_equal(st, TL_OK);
            assert_int_equal(tl_execd_last_exit(x), 0);
            done = 1;
        } else {
            assert_true(st == TL_OK || st == TL_E_NOMEM);
        }
        tl_execd_free(x);
    }
    assert_true(done);
    tl_free(m1);
    rm_drive(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_payload_byte_exact),
        cmocka_unit_test(test_agent_payload_without_message_and_format),
        cmocka_unit_test(test_agent_queue_line),
        cmocka_unit_test(test_agent_conf_blocks_and_filters),
        cmocka_unit_test(test_agent_conf_project_default),
        cmocka_unit_test(test_agent_conf_errors),
        cmocka_unit_test(test_agent_logcollector_partial_lines_and_windows_rules),
        cmocka_unit_test(test_agent_logcollector_long_line_cut),
        cmocka_unit_test(test_agent_execd_inproc_protocol),
        cmocka_unit_test(test_agent_execd_modes_identical),
        cmocka_unit_test(test_agent_execd_bad_input),
        cmocka_unit_test(test_agent_alloc_fail),
    };
    return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
