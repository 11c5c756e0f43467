/* SPDX-License-Identifier: MIT */
/*
 * tl_replay: the EvtRender form of recorded events and the three readers
 * (XML exports, agent JSON lines, .evtx through libevtx), including bad
 * input: empty, not a recording, not a regular file, truncated, damaged.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/replay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char *render(const char *xml, tl_status *st_out, uint64_t *id, tl_time *t, tl_buf *chan)
{
    tl_buf out = TL_BUF_INIT;
    tl_status st = tl_replay_render(xml, strlen(xml), &out, chan, id, t);
    if (st_out)
        *st_out = st;
    return tl_buf_take(&out);
}

static void test_replay_render_libevtx_form(void **state)
{
    (void)state;
    /* libevtx's indented output with double quotes and entities */
    const char *in =
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
        "  <System>\n"
        "    <Provider Name=\"Microsoft-Windows-Security-Auditing\" Guid=\"{5484}\"/>\n"
        "    <EventID>4698</EventID>\n"
        "    <TimeCreated SystemTime=\"2019-03-19T00:02:04.319945200Z\"/>\n"
        "    <EventRecordID>566836</EventRecordID>\n"
        "    <Correlation/>\n"
        "    <Channel>Security</Channel>\n"
        "    <Security/>\n"
        "  </System>\n"
        "  <EventData>\n"
        "    <Data Name=\"TaskName\">\\CYAlyNSS</Data>\n"
        "    <Data Name=\"TaskContent\">&lt;?xml version=\"1.0\"?&gt;\r\n  &lt;Task&gt; a &amp; b</Data>\n"
        "    <Data Name=\"RuleName\"></Data>\n"
        "    <Data Name=\"Odd\">x\x0f\ty </Data>\n"
        "    <Data Name=\"Q&apos;\">it's</Data>\n"
        "  </EventData>\n"
        "  <UserData>\n"
        "    <LogFileCleared xmlns=\"http://manifests.microsoft.com/win/2004/08/windows/eventlog\">\n"
        "      <SubjectUserName>bob</SubjectUserName>\n"
        "    </LogFileCleared>\n"
        "  </UserData>\n"
        "</Event>\n";
    tl_status st;
    uint64_t id = 0;
    tl_time t = 0;
    tl_buf chan = TL_BUF_INIT;
    char *out = render(in, &st, &id, &t, &chan);
    assert_int_equal(st, TL_OK);
    assert_string_equal(
        out, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
             "<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{5484}'/>"
             "<EventID>4698</EventID><TimeCreated SystemTime='2019-03-19T00:02:04.319945200Z'/>"
             "<EventRecordID>566836</EventRecordID><Correlation/><Channel>Security</Channel>"
             "<Security/></System><EventData><Data Name='TaskName'>\\CYAlyNSS</Data>"
             "<Data Name='TaskContent'>&lt;?xml version=\"1.0\"?&gt;\n  &lt;Task&gt; a &amp; b"
             "</Data><Data Name='RuleName'/><Data Name='Odd'>x\x0f\ty </Data>"
             "<Data Name='Q&apos;'>it's</Data></EventData><UserData><LogFileCleared>"
             "<SubjectUserName>bob</SubjectUserName></LogFileCleared></UserData></Event>");
    assert_true(id == 566836);
    assert_string_equal(tl_buf_cstr(&chan), "Security");
    tl_time want;
    assert_int_equal(tl_time_parse_iso("2019-03-19T00:02:04.3199452Z", &want), TL_OK);
    assert_true(t == want);
    tl_free(out);
    tl_buf_free(&chan);
}

static void test_replay_render_is_idempotent(void **state)
{
    (void)state;
    const char *agent = "<Event xmlns='x'><System><EventID>1</EventID><Channel/></System>"
                        "<EventData><Data Name='C'>&quot;a&quot; &amp;amp; 'b'</Data><Data/>"
                        "</EventData></Event>";
    tl_status st;
    char *once = render(agent, &st, NULL, NULL, NULL);
    assert_int_equal(st, TL_OK);
    assert_string_equal(once, "<Event xmlns='x'><System><EventID>1</EventID><Channel/></System>"
                              "<EventData><Data Name='C'>\"a\" &amp;amp; 'b'</Data><Data/>"
                              "</EventData></Event>");
    char *twice = render(once, &st, NULL, NULL, NULL);
    assert_string_equal(once, twice);
    tl_free(once);
    tl_free(twice);
}

static void test_replay_render_rejects_bad_xml(void **state)
{
    (void)state;
    const char *bad[] = {"", "<Other/>", "<Event><System></Event>", "<Event><A x=1/></Event>",
                         "<Event>", "<Event><A x='1></A></Event>", "text"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_status st;
        char *o = render(bad[i], &st, NULL, NULL, NULL);
        assert_int_equal(st, TL_E_PARSE);
        tl_free(o);
    }
    /* nesting deeper than 64 */
    tl_buf deep = TL_BUF_INIT;
    tl_buf_puts(&deep, "<Event>");
    for (int i = 0; i < 70; i++)
        tl_buf_puts(&deep, "<a>");
    tl_status st;
    char *o = render(tl_buf_cstr(&deep), &st, NULL, NULL, NULL);
    assert_int_equal(st, TL_E_LIMIT);
    tl_free(o);
    tl_buf_free(&deep);
}

static char *write_tmp(const char *name, const char *data, size_t len)
{
    char *path = malloc(512);
    snprintf(path, 512, "%s/tl_replay_%ld_%s", "/tmp", (long)getpid(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

/* All records of a file as "id:channel|" plus the count of damaged ones. */
static tl_status replay_all(const char *path, tl_buf *out, size_t *damaged)
{
    tl_replay *r = NULL;
    tl_diag d;
    tl_status st = tl_replay_open(path, TL_REPLAY_AUTO, &r, &d);
    if (st != TL_OK)
        return st;
    tl_replay_record rec;
    int got;
    while (tl_replay_next(r, &rec, &got) == TL_OK && got)
        tl_buf_printf(out, "%llu:%s:%s|", (unsigned long long)rec.record_id, rec.channel,
                      rec.message ? rec.message : "-");
    *damaged = tl_replay_damaged(r);
    tl_replay_free(r);
    return TL_OK;
}

static void test_replay_xml_export_sorted_by_record_id(void **state)
{
    (void)state;
    /* wevtutil writes events back to back, evtxexport with a banner */
    const char *x = "evtxexport 20181227\n\n<?xml version=\"1.0\"?>\n"
                    "<Event xmlns='e'><System><EventRecordID>7</EventRecordID><Channel>Security"
                    "</Channel></System></Event>\n"
                    "<Event xmlns=\"e\">\n  <System>\n    <EventRecordID>3</EventRecordID>\n"
                    "    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>\n  </System>\n"
                    "</Event>\n<Event><System><EventRecordID>5</EventRecordID></System></Event>";
    char *p = write_tmp("x.xml", x, strlen(x));
    tl_buf out = TL_BUF_INIT;
    size_t dmg = 9;
    assert_int_equal(replay_all(p, &out, &dmg), TL_OK);
    assert_string_equal(tl_buf_cstr(&out),
                        "3:Microsoft-Windows-Sysmon/Operational:-|5::-|7:Security:-|");
    assert_int_equal(dmg, 0);
    tl_buf_free(&out);
    unlink(p);
    free(p);
}

static void test_replay_xml_export_truncated_keeps_what_it_can(void **state)
{
    (void)state;
    const char *x = "<Events><Event><System><EventRecordID>1</EventRecordID></System></Event>"
                    "<Event><System><EventRecordID>2</EventRecordID></Sys></Event>"
                    "<Event><System><EventRecordID>3</EventRecordID></System></Event>"
                    "<Event><System><EventRecordID>4</Event";
    char *p = write_tmp("t.xml", x, strlen(x));
    tl_buf out = TL_BUF_INIT;
    size_t dmg = 0;
    assert_int_equal(replay_all(p, &out, &dmg), TL_OK);
    assert_string_equal(tl_buf_cstr(&out), "1::-|3::-|");
    assert_int_equal(dmg, 2); /* record 2 malformed, record 4 cut */
    tl_buf_free(&out);
    unlink(p);
    free(p);
}

static void test_replay_jsonl_forms(void **state)
{
    (void)state;
    const char *x =
        "{\"Message\":\"Process Create:\",\"Event\":\"<Event xmlns='e'><System><EventRecordID>2"
        "</EventRecordID><Channel>A</Channel></System></Event>\"}\n"
        "\"f:[001] (evtx-lab) any->EventChannel:{\\\"Event\\\":\\\"<Event xmlns='e'><System>"
        "<EventRecordID>1</EventRecordID></System></Event>\\\"}\"\n"
        "\n"
        "f:[002] (h) any->EventChannel:{\"Event\":\"<Event><System><EventRecordID>3"
        "</EventRecordID></System></Event>\"}\n"
        "{\"no\":\"event\"}\n";
    char *p = write_tmp("j.json", x, strlen(x));
    tl_buf out = TL_BUF_INIT;
    size_t dmg = 0;
    assert_int_equal(replay_all(p, &out, &dmg), TL_OK);
    assert_string_equal(tl_buf_cstr(&out), "1::-|2:A:Process Create:|3::-|");
    assert_int_equal(dmg, 1);
    tl_buf_free(&out);
    unlink(p);
    free(p);
}

/* A queue capture (what `export --format queue` writes): file order, each
 * message verbatim, the AR's "1:" lines included (time of the record before). */
static void test_replay_queue_capture(void **state)
{
    (void)state;
    const char *x =
        "\"f:[001] (WS) any->EventChannel:{\\\"Event\\\":\\\"<Event xmlns='e'><System>"
        "<EventRecordID>9</EventRecordID><TimeCreated SystemTime='2024-02-01T10:00:00.0Z'/>"
        "<Channel>Security</Channel></System></Event>\\\"}\"\n"
        "\"1:[001] (WS) any->logs\\\\scheduled-tasks.log:{\\\"TaskName\\\": \\\"x\\\"}\"\n"
        "f:[001] (WS) any->EventChannel:{\"Event\":\"<Event><System><EventRecordID>2"
        "</EventRecordID><Channel>S</Channel></System></Event>\"}\n"
        "1:a|:b:ok\n"
        "{\"Event\":\"<Event/>\"}\n";
    char *p = write_tmp("c.queue", x, strlen(x));
    tl_replay *r = NULL;
    tl_diag d;
    assert_int_equal(tl_replay_open(p, TL_REPLAY_AUTO, &r, &d), TL_OK);
    tl_replay_record rec;
    int got = 0;
    tl_buf b = TL_BUF_INIT;
    const char *want[4] = {
        ("f:[001] (WS) any->EventChannel:{\"Event\":\"<Event xmlns='e'><System><EventRecordID>9"
         "</EventRecordID><TimeCreated SystemTime='2024-02-01T10:00:00.0Z'/><Channel>Security"
         "</Channel></System></Event>\"}"),
        "1:[001] (WS) any->logs\\scheduled-tasks.log:{\"TaskName\": \"x\"}",
        ("f:[001] (WS) any->EventChannel:{\"Event\":\"<Event><System><EventRecordID>2"
         "</EventRecordID><Channel>S</Channel></System></Event>\"}"),
        "1:a|:b:ok"};
    tl_time t0 = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tl_replay_next(r, &rec, &got), TL_OK);
        assert_int_equal(got, 1);
        tl_buf_reset(&b);
        tl_replay_queue_line(&rec, "007", "other", 1, &b); /* verbatim: no re-heading */
        assert_string_equal(tl_buf_cstr(&b), want[i]);
        if (i == 0) {
            assert_int_equal(rec.record_id, 9);
            assert_string_equal(rec.channel, "Security");
            t0 = rec.time;
            assert_true(t0 != 0);
        }
        if (i == 1) {
            assert_int_equal(rec.event_len, 0);
            assert_int_equal(rec.record_id, 0);
            assert_true(rec.time == t0);
        }
    }
    assert_int_equal(tl_replay_next(r, &rec, &got), TL_OK);
    assert_int_equal(got, 0);
    assert_int_equal(tl_replay_damaged(r), 1); /* the agent JSON line: not a queue message */
    assert_non_null(strstr(tl_replay_damage(r), "record 5: not an analysisd queue message"));
    tl_buf_free(&b);
    tl_replay_free(r);
    unlink(p);
    free(p);
}

static void test_replay_queue_line_form(void **state)
{
    (void)state;
    tl_replay_record rec;
    memset(&rec, 0, sizeof rec);
    rec.event = "<Event><Data>C:\\a \"b\"\x0f</Data></Event>";
    rec.event_len = strlen(rec.event);
    rec.message = "m\r\n";
    tl_buf b = TL_BUF_INIT;
    tl_replay_queue_line(&rec, "001", "evtx-lab", 0, &b);
    assert_string_equal(tl_buf_cstr(&b), "f:[001] (evtx-lab) any->EventChannel:{\"Event\":"
                                         "\"<Event><Data>C:\\\\a \\\"b\\\"\\u000f</Data></Event>\"}");
    tl_buf_reset(&b);
    tl_replay_queue_line(&rec, "007", "ws", 1, &b);
    assert_string_equal(tl_buf_cstr(&b), "f:[007] (ws) any->EventChannel:{\"Message\":\"m\\r\\n\","
                                         "\"Event\":\"<Event><Data>C:\\\\a \\\"b\\\"\\u000f</Data>"
                                         "</Event>\"}");
    tl_buf_free(&b);
}

static void test_replay_bad_files(void **state)
{
    (void)state;
    tl_replay *r = NULL;
    tl_diag d;
    char *empty = write_tmp("empty.evtx", "", 0);
    assert_int_equal(tl_replay_open(empty, TL_REPLAY_AUTO, &r, &d), TL_E_PARSE);
    assert_non_null(strstr(d.msg, "empty"));
    char *junk = write_tmp("junk.bin", "\x01\x02\x03 hello", 9);
    assert_int_equal(tl_replay_open(junk, TL_REPLAY_AUTO, &r, &d), TL_E_PARSE);
    assert_non_null(strstr(d.msg, "not a recording"));
    char *noev = write_tmp("noev.xml", "<Events></Events>", 17);
    assert_int_equal(tl_replay_open(noev, TL_REPLAY_AUTO, &r, &d), TL_E_PARSE);
    assert_non_null(strstr(d.msg, "no records"));
    /* a device or a folder never hangs or reads forever */
    assert_int_equal(tl_replay_open("/dev/zero", TL_REPLAY_AUTO, &r, &d), TL_E_IO);
    assert_int_equal(tl_replay_open("/tmp", TL_REPLAY_AUTO, &r, &d), TL_E_IO);
    assert_int_equal(tl_replay_open("/nonexistent/x.evtx", TL_REPLAY_AUTO, &r, &d), TL_E_IO);
    /* an EVTX signature with garbage after it */
    char hdr[4096];
    memset(hdr, 0x41, sizeof hdr);
    memcpy(hdr, "ElfFile", 8);
    char *fake = write_tmp("fake.evtx", hdr, sizeof hdr);
    tl_status st = tl_replay_open(fake, TL_REPLAY_AUTO, &r, &d);
    if (tl_replay_have_evtx())
        assert_int_equal(st, TL_E_PARSE);
    else
        assert_int_equal(st, TL_E_NOTFOUND);
    assert_null(r);
    unlink(empty);
    unlink(junk);
    unlink(noev);
    unlink(fake);
    free(empty);
    free(junk);
    free(noev);
    free(fake);
}

/* A real recording cut short: what libevtx still reads is replayed and the
 * damage is reported (needs libevtx and ../shared). */
static void test_replay_evtx_truncated(void **state)
{
    (void)state;
    if (!tl_replay_have_evtx())
        skip();
    const char *src = TL_SHARED_DIR "/reference/evtx/Command and Control/bits_openvpn.evtx";
    FILE *f = fopen(src, "rb");
    if (!f)
        skip();
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    /* intact */
    char *p = write_tmp("full.evtx", buf, (size_t)n);
    tl_buf out = TL_BUF_INIT;
    size_t dmg = 0;
    assert_int_equal(replay_all(p, &out, &dmg), TL_OK);
    size_t full = 0;
    for (const char *s = tl_buf_cstr(&out); *s; s++)
        full += *s == '|';
    assert_true(full > 100);
    assert_int_equal(dmg, 0);
    unlink(p);
    free(p);
    /* cut in the middle of its second chunk, and a byte flipped in the first */
    long cut = 4096 + 65536 + 30000;
    assert_true(cut < n);
    buf[4096 + 512 + 100] ^= 0x5a;
    p = write_tmp("cut.evtx", buf, (size_t)cut);
    tl_buf_reset(&out);
    dmg = 0;
    tl_status st = replay_all(p, &out, &dmg);
    size_t got = 0;
    for (const char *s = tl_buf_cstr(&out); *s; s++)
        got += *s == '|';
    if (st == TL_OK) {
        assert_true(got < full);
        assert_true(dmg > 0);
    } else {
        assert_int_equal(st, TL_E_PARSE);
    }
    tl_buf_free(&out);
    unlink(p);
    free(p);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_render_libevtx_form),
        cmocka_unit_test(test_replay_render_is_idempotent),
        cmocka_unit_test(test_replay_render_rejects_bad_xml),
        cmocka_unit_test(test_replay_xml_export_sorted_by_record_id),
        cmocka_unit_test(test_replay_xml_export_truncated_keeps_what_it_can),
        cmocka_unit_test(test_replay_jsonl_forms),
        cmocka_unit_test(test_replay_queue_line_form),
        cmocka_unit_test(test_replay_queue_capture),
        cmocka_unit_test(test_replay_bad_files),
        cmocka_unit_test(test_replay_evtx_truncated),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
