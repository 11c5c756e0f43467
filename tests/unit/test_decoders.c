/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the manager's pre-decoding and decoding (wazuh.md §2-§4):
 * the eventchannel conversion byte for byte, its field naming and quirks,
 * JSON_Decoder renderings, the Wazuh decoder loader and DecodeEvent, and
 * OS_CleanMSG's location/agent/header handling.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "decode/decoder_int.h"
#include "rules/expr_int.h"

#include <cjson/cJSON.h>

#include <dirent.h>

/* ---- the §1.1 payload and its §3.1 conversion --------------------------- */

static const char *const SYSMON13_PAYLOAD =
    "{\"Message\":\"Registry value set:\\r\\nRuleName: technique_id=T1053,technique_name=Scheduled "
    "Task\\r\\nEventType: SetValue\\r\\nUtcTime: 2025-01-15 10:00:00.120\\r\\nProcessGuid: "
    "{1f2e3d4c-8a60-6787-1a00-000000000700}\\r\\nProcessId: 1188\\r\\nImage: "
    "C:\\\\Windows\\\\system32\\\\svchost.exe\\r\\nTargetObject: "
    "HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows "
    "NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\\Index\\r\\nDetails: "
    "DWORD "
    "(0x00000003)\\r\\nUser: NT AUTHORITY\\\\SYSTEM\",\"Event\":\"<Event "
    "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Sysmon' "
    "Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>13</EventID><Version>2</"
    "Version><Level>4</Level><Task>13</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</"
    "Keywords><TimeCreated "
    "SystemTime='2025-01-15T10:00:00.1234567Z'/><EventRecordID>1001</EventRecordID><Correlation/"
    "><Execution ProcessID='2900' "
    "ThreadID='3312'/><Channel>Microsoft-Windows-Sysmon/Operational</"
    "Channel><Computer>WS01.corp.example</Computer><Security "
    "UserID='S-1-5-18'/></System><EventData><Data "
    "Name='RuleName'>technique_id=T1053,technique_name=Scheduled Task</Data><Data "
    "Name='EventType'>SetValue</Data><Data Name='UtcTime'>2025-01-15 10:00:00.120</Data><Data "
    "Name='ProcessGuid'>{1f2e3d4c-8a60-6787-1a00-000000000700}</Data><Data "
    "Name='ProcessId'>1188</Data><Data "
    "Name='Image'>C:\\\\Windows\\\\system32\\\\svchost.exe</Data><Data "
    "Name='TargetObject'>HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows "
    "NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\\Index</Data><Data "
    "Name='Details'>DWORD (0x00000003)</Data><Data Name='User'>NT "
    "AUTHORITY\\\\SYSTEM</Data></EventData></Event>\"}";

static const char *const SYSMON13_CONVERTED =
    "{\"win\":{\"system\":{\"providerName\":\"Microsoft-Windows-Sysmon\",\"providerGuid\":\"{"
    "5770385f-c22a-43e0-bf4c-06f5698ffbd9}\",\"eventID\":\"13\",\"version\":\"2\",\"level\":\"4\","
    "\"task\":\"13\",\"opcode\":\"0\",\"keywords\":\"0x8000000000000000\",\"systemTime\":\"2025-01-"
    "15T10:00:00.1234567Z\",\"eventRecordID\":\"1001\",\"processID\":\"2900\",\"threadID\":"
    "\"3312\","
    "\"channel\":\"Microsoft-Windows-Sysmon/"
    "Operational\",\"computer\":\"WS01.corp.example\",\"severityValue\":\"INFORMATION\","
    "\"message\":\"\\\"Registry value set:\\r\\nRuleName: "
    "technique_id=T1053,technique_name=Scheduled Task\\r\\nEventType: SetValue\\r\\nUtcTime: "
    "2025-01-15 10:00:00.120\\r\\nProcessGuid: "
    "{1f2e3d4c-8a60-6787-1a00-000000000700}\\r\\nProcessId: 1188\\r\\nImage: "
    "C:\\\\Windows\\\\system32\\\\svchost.exe\\r\\nTargetObject: "
    "HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows "
    "NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tree\\\\WinUpdate\\\\Index\\r\\nDetails: "
    "DWORD "
    "(0x00000003)\\r\\nUser: NT "
    "AUTHORITY\\\\SYSTEM\\\"\"},\"eventdata\":{\"ruleName\":\"technique_id=T1053,technique_name="
    "Scheduled "
    "Task\",\"eventType\":\"SetValue\",\"utcTime\":\"2025-01-15 "
    "10:00:00.120\",\"processGuid\":\"{1f2e3d4c-8a60-6787-1a00-000000000700}\",\"processId\":"
    "\"1188\",\"image\":\"C:\\\\\\\\Windows\\\\\\\\system32\\\\\\\\svchost.exe\",\"targetObject\":"
    "\"HKLM\\\\\\\\SOFTWARE\\\\\\\\Microsoft\\\\\\\\Windows "
    "NT\\\\\\\\CurrentVersion\\\\\\\\Schedule\\\\\\\\TaskCache\\\\\\\\Tree\\\\\\\\WinUpdate\\\\\\\\"
    "Index\",\"details\":\"DWORD (0x00000003)\",\"user\":\"NT "
    "AUTHORITY\\\\\\\\SYSTEM\"}}}";

/* Build a payload from an Event XML text (written with real backslashes and
 * quotes) and an optional Message, JSON-escaping both. */
static char *payload(const char *message, const char *event_xml)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '{');
    if (message) {
        tl_buf_puts(&b, "\"Message\":");
        tl_buf_json_str(&b, message);
        tl_buf_putc(&b, ',');
    }
    tl_buf_puts(&b, "\"Event\":");
    tl_buf_json_str(&b, event_xml);
    tl_buf_putc(&b, '}');
    return tl_buf_take(&b);
}

static char *convert_ok(const char *pl)
{
    char *out = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_winevt_convert(pl, &out, &d);
    if (st != TL_OK)
        print_error("convert failed: %s\n", d.msg);
    assert_int_equal(st, TL_OK);
    assert_non_null(out);
    return out;
}

/* Decode a payload the way analysisd does (queue 'f') into ev. */
static void decode_winevt(const char *pl, tl_event *ev)
{
    tl_buf line = TL_BUF_INIT;
    tl_buf_puts(&line, "f:[001] (WS01) any->EventChannel:");
    tl_buf_puts(&line, pl);
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_predecode(tl_buf_cstr(&line), "wazuh-manager", 0, ev, &d), TL_OK);
    tl_buf_free(&line);
    assert_int_equal(tl_decode(NULL, ev, &d), TL_OK);
}

static void assert_field(const tl_event *ev, const char *name, const char *value)
{
    const char *v = tl_event_find_field(ev, name);
    if (!v) {
        print_error("field %s missing\n", name);
        fail();
    }
    assert_string_equal(v, value);
}

static void test_decoders_winevt_sysmon13_exact(void **state)
{
    (void)state;
    char *out = convert_ok(SYSMON13_PAYLOAD);
    assert_string_equal(out, SYSMON13_CONVERTED);
    tl_free(out);
}

static void test_decoders_winevt_event_fields(void **state)
{
    (void)state;
    tl_event ev;
    decode_winevt(SYSMON13_PAYLOAD, &ev);
    assert_string_equal(ev.decoder_name, "windows_eventchannel");
    assert_null(ev.decoder_parent);
    assert_int_equal(ev.decoder_type, TL_CAT_OSSEC);
    assert_true(ev.decoded);
    assert_string_equal(ev.full_log, SYSMON13_CONVERTED);
    assert_ptr_equal(ev.log, ev.full_log);
    assert_null(ev.program_name);
    assert_null(ev.dec_timestamp);
    assert_string_equal(ev.location_path, "EventChannel");
    assert_string_equal(ev.agent_id, "001");
    /* two backslash bytes per separator */
    assert_field(&ev, "win.eventdata.image", "C:\\\\Windows\\\\system32\\\\svchost.exe");
    assert_field(&ev, "win.system.eventID", "13");
    assert_field(&ev, "WIN.SYSTEM.EVENTID", "13"); /* FindField is case-insensitive */
    assert_field(&ev, "win.system.severityValue", "INFORMATION");
    const char *m = tl_event_find_field(&ev, "win.system.message");
    assert_non_null(m);
    assert_int_equal(m[0], '"');
    assert_int_equal(m[strlen(m) - 1], '"');
    assert_non_null(strstr(m, "Registry value set:\r\nRuleName:"));
    assert_non_null(strstr(m, "User: NT AUTHORITY\\SYSTEM\"")); /* single backslash */
    assert_null(tl_event_find_field(&ev, "win.system.securityUserID"));
    assert_null(tl_event_find_field(&ev, "win.system.correlation"));
    assert_string_equal(ev.fields[0].name, "win.system.providerName");
    tl_event_clear(&ev);
}

static void test_decoders_winevt_fields_equal_json_decoder(void **state)
{
    (void)state;
    tl_event a, b;
    decode_winevt(SYSMON13_PAYLOAD, &a);
    tl_event_init(&b);
    assert_int_equal(tl_json_decode(&b, a.full_log, TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY),
                     TL_OK);
    assert_int_equal(a.nfields, b.nfields);
    for (size_t i = 0; i < a.nfields; i++) {
        assert_string_equal(a.fields[i].name, b.fields[i].name);
        assert_string_equal(a.fields[i].value, b.fields[i].value);
    }
    tl_event_clear(&a);
    tl_event_clear(&b);
}

static void test_decoders_winevt_field_naming(void **state)
{
    (void)state;
    char *pl = payload(
        NULL, "<Event xmlns='x'><System><Provider Name='P'/><EventID Qualifiers='0'>4698</EventID>"
              "<Level>0</Level><Keywords>0x8020000000000000</Keywords></System><EventData>"
              "<Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='RuleName'>-</Data>"
              "<Data Name='Empty'></Data><Data Name='Nul'>(NULL)</Data>"
              "<Data Name='Trail'>abc   </Data><Data>first</Data><Data>-</Data><Data>second</Data>"
              "<Data Name='TaskContent'>&lt;?xml &amp; \"q\"</Data><Binary>00FF</Binary>"
              "</EventData></Event>");
    char *out = convert_ok(pl);
    assert_string_equal(
        out, "{\"win\":{\"system\":{\"providerName\":\"P\",\"eventID\":\"4698\",\"level\":\"0\","
             "\"keywords\":\"0x8020000000000000\",\"severityValue\":\"AUDIT_SUCCESS\"},"
             "\"eventdata\":{\"subjectUserSid\":\"S-1-5-18\",\"trail\":\"abc\","
             "\"taskContent\":\"&lt;?xml &amp; \\\\\\\"q\\\\\\\"\",\"binary\":\"00FF\","
             "\"data\":\"first, second\"}}}");
    tl_free(out);
    tl_free(pl);
}

static void test_decoders_winevt_severity_table(void **state)
{
    (void)state;
    static const struct {
        const char *level, *kw, *sev;
    } t[] = {
        {"1", "0x0", "CRITICAL"},
        {"2", "0x0", "ERROR"},
        {"3", "0x0", "WARNING"},
        {"4", "0x8000000000000000", "INFORMATION"},
        {"5", "0x0", "VERBOSE"},
        {"0", "0x8010000000000000", "AUDIT_FAILURE"},
        {"0", "0x8020000000000000", "AUDIT_SUCCESS"},
        {"0", "0x8000000000000000", "UNKNOWN"},
        {"7", "0x0", "UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char xml[256];
        snprintf(xml, sizeof xml,
                 "<Event><System><Level>%s</Level><Keywords>%s</Keywords></System></Event>",
                 t[i].level, t[i].kw);
        char *pl = payload(NULL, xml);
        tl_event ev;
        decode_winevt(pl, &ev);
        assert_field(&ev, "win.system.severityValue", t[i].sev);
        tl_event_clear(&ev);
        tl_free(pl);
    }
    /* Level without Keywords: no severityValue */
    char *pl = payload(NULL, "<Event><System><Level>4</Level></System></Event>");
    tl_event ev;
    decode_winevt(pl, &ev);
    assert_null(tl_event_find_field(&ev, "win.system.severityValue"));
    tl_event_clear(&ev);
    tl_free(pl);
}

static void test_decoders_winevt_message(void **state)
{
    (void)state;
    char *pl = payload("Line \"one\"\r\n\tC:\\x  \r\n",
                       "<Event><System><EventID>1</EventID></System></Event>");
    char *out = convert_ok(pl);
    assert_string_equal(out, "{\"win\":{\"system\":{\"eventID\":\"1\",\"message\":\"\\\"Line "
                             "\\\"one\\\"\\r\\n\\tC:\\\\x  \\r\\n\\\"\"}}}");
    tl_free(out);
    tl_free(pl);
    /* no Message key: no message */
    pl = payload(NULL, "<Event><System><EventID>1</EventID></System></Event>");
    out = convert_ok(pl);
    assert_string_equal(out, "{\"win\":{\"system\":{\"eventID\":\"1\"}}}");
    tl_free(out);
    tl_free(pl);
}

static void test_decoders_winevt_escaping_all_bytes(void **state)
{
    (void)state;
    /* Message with every byte 0x01..0xFF: the message value keeps \b \t \n
     * \f \r as bytes and the other control bytes as the six characters
     * \u00XX (wstr_unescape_json does not undo them); full_log escapes it
     * exactly as cJSON prints. */
    char raw[256];
    for (int i = 1; i < 256; i++)
        raw[i - 1] = (char)i;
    raw[255] = '\0';
    char *pl = payload(raw, "<Event><System/></Event>");
    tl_event ev;
    decode_winevt(pl, &ev);
    tl_buf want = TL_BUF_INIT;
    tl_buf_putc(&want, '"');
    for (int i = 1; i < 256; i++) {
        if (i < 32 && i != '\b' && i != '\t' && i != '\n' && i != '\f' && i != '\r')
            tl_buf_printf(&want, "\\u%04x", i);
        else
            tl_buf_putc(&want, (char)i);
    }
    tl_buf_putc(&want, '"');
    assert_field(&ev, "win.system.message", tl_buf_cstr(&want));
    tl_buf full = TL_BUF_INIT;
    tl_buf_puts(&full, "{\"win\":{\"system\":{\"message\":");
    tl_buf_json_str(&full, tl_buf_cstr(&want));
    tl_buf_puts(&full, "}}}");
    assert_string_equal(ev.full_log, tl_buf_cstr(&full));
    tl_buf_free(&want);
    tl_buf_free(&full);
    tl_event_clear(&ev);
    tl_free(pl);
}

/* The payload scanner has a fast path for plain string members and leaves
 * everything else to cJSON; equivalent payloads must convert identically
 * whichever path they take (\u escapes and non-string members force cJSON). */
static void test_decoders_winevt_payload_paths_agree(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"{\"Message\":\"a\\/b\\tc\",\"Event\":\"<Event><System><EventID>1<\\/EventID>"
         "</System></Event>\"}",
         "{\"Message\":\"a/b\\u0009c\",\"Event\":\"<Event><System><EventID>1</EventID>"
         "</System></Event>\"}"},
        {"{\"Message\":\"x\x01y\",\"Event\":\"<Event><System><EventID>2</EventID></System>"
         "</Event>\"}",
         "{\"Message\":\"x\\u0001y\",\"Event\":\"<Event><System><EventID>2</EventID></System>"
         "</Event>\"}"},
        {" {\"event\":\"<Event><System><EventID>3</EventID></System></Event>\",\"Event\":\"z\","
         "\"MESSAGE\":\"m\"} trailing",
         "{\"n\":1,\"event\":\"<Event><System><EventID>3</EventID></System></Event>\","
         "\"Event\":\"z\",\"MESSAGE\":\"m\"}"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *a = convert_ok(pairs[i][0]);
        char *b = convert_ok(pairs[i][1]);
        assert_string_equal(a, b);
        tl_free(a);
        tl_free(b);
    }
    char *out = convert_ok(pairs[2][0]);
    assert_string_equal(out,
                        "{\"win\":{\"system\":{\"eventID\":\"3\",\"message\":\"\\\"m\\\"\"}}}");
    tl_free(out);
    /* no Event member, on both paths */
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_winevt_convert("{\"Message\":\"m\"}", &out, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed JSON received. No 'Event' field found.");
    assert_int_equal(tl_winevt_convert("{\"Message\":\"m\",\"n\":[1]}", &out, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed JSON received. No 'Event' field found.");
    assert_int_equal(tl_winevt_convert("{\"Event\":\"<a>\",", &out, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed EventChannel JSON event.");
}

/* ---- the conversion's block-wise paths change nothing -------------------- */

static uint32_t lcg_next(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* Random text of n bytes, dense with what the escaping and scanning paths
 * treat specially: backslashes, quotes, CR LF TAB, other control bytes,
 * '/', UTF-8 and plain runs. */
static void rand_text(uint32_t *x, tl_buf *b, size_t n, int xml)
{
    static const char *const atoms[] = {"\\", "\"", "\r\n", "\t", "\x01", "\x1f", "/",
                                        "\xc3\xa9", "C:", "Windows", " ", "a", "0x1F", "'"};
    while (n > 0) {
        const char *a = atoms[lcg_next(x) % (sizeof atoms / sizeof atoms[0])];
        if (xml && a[0] == '\'')
            a = "q";
        size_t l = strlen(a) < n ? strlen(a) : n;
        tl_buf_append(b, a, l);
        n -= l;
    }
}

/* JSON string text as the agent may send it: escapes for '"' '\\' CR LF
 * TAB, '/' sometimes as "\/", other control bytes raw (cJSON takes them). */
static void agent_json_str(uint32_t *x, tl_buf *b, const char *s, size_t n)
{
    tl_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            tl_buf_putc(b, '\\'), tl_buf_putc(b, c);
        else if (c == '\r')
            tl_buf_puts(b, "\\r");
        else if (c == '\n')
            tl_buf_puts(b, "\\n");
        else if (c == '\t')
            tl_buf_puts(b, "\\t");
        else if (c == '/' && lcg_next(x) % 2)
            tl_buf_puts(b, "\\/");
        else
            tl_buf_putc(b, c);
    }
    tl_buf_putc(b, '"');
}

/* The value at a dotted path of the parsed conversion ("win.system.x"). */
static const char *json_path(const cJSON *root, const char *dotted)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", dotted);
    const cJSON *cur = root;
    for (char *p = tmp, *dot; cur && p; p = dot ? dot + 1 : NULL) {
        dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, p);
    }
    return cur && cJSON_IsString(cur) ? cur->valuestring : NULL;
}

/* The payload scan handles every escape of a 16-byte block from one mask,
 * and the output escaping reads whole blocks past a value's end when the
 * value lies in a padded text. Neither may change a byte: random payloads
 * (values of 0..40 bytes, so escapes land on every block offset and in
 * every tail) must convert (1) exactly as through cJSON's payload path
 * (forced by a non-string member), (2) to text cJSON prints back unchanged
 * (cJSON is the reference printer), (3) with every field equal to the value
 * cJSON reads at its path. */
static void test_decoders_winevt_block_paths_change_nothing(void **state)
{
    (void)state;
    uint32_t x = 20261206u;
    tl_cjson_hooks_init();
    for (int round = 0; round < 1500; round++) {
        tl_buf xml = TL_BUF_INIT, msg = TL_BUF_INIT, pl = TL_BUF_INIT;
        tl_buf_puts(&xml, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
                          "<System><Provider Name='P");
        rand_text(&x, &xml, lcg_next(&x) % 20, 1);
        tl_buf_puts(&xml, "'/><EventID>1</EventID><Level>4</Level><Keywords>0x80</Keywords>"
                          "<Computer>");
        rand_text(&x, &xml, lcg_next(&x) % 24, 1);
        tl_buf_puts(&xml, "</Computer></System><EventData>");
        int nd = (int)(lcg_next(&x) % 10);
        for (int i = 0; i < nd; i++) {
            if (lcg_next(&x) % 5 == 0)
                tl_buf_puts(&xml, "<Data>");
            else
                tl_buf_printf(&xml, "<Data Name='F%d'>", i);
            rand_text(&x, &xml, lcg_next(&x) % 41, 1);
            tl_buf_puts(&xml, "</Data>");
        }
        tl_buf_puts(&xml, "</EventData></Event>");
        rand_text(&x, &msg, lcg_next(&x) % 300, 0);
        tl_buf_puts(&pl, "{\"Message\":");
        agent_json_str(&x, &pl, msg.data, msg.len);
        tl_buf_puts(&pl, ",\"Event\":");
        agent_json_str(&x, &pl, xml.data, xml.len);
        size_t close = pl.len;
        tl_buf_puts(&pl, "}");
        assert_true(tl_winevt_payload_is_fast(tl_buf_cstr(&pl)));
        char *a = convert_ok(tl_buf_cstr(&pl));
        /* (1) the same members with a number: cJSON reads the payload */
        pl.len = close;
        tl_buf_puts(&pl, ",\"n\":1}");
        assert_false(tl_winevt_payload_is_fast(tl_buf_cstr(&pl)));
        char *b = convert_ok(tl_buf_cstr(&pl));
        assert_string_equal(a, b);
        /* (2) cJSON prints it back byte for byte */
        cJSON *root = cJSON_Parse(a);
        assert_non_null(root);
        char *again = cJSON_PrintUnformatted(root);
        assert_string_equal(again, a);
        /* (3) the fields are the values at their paths */
        tl_event ev;
        decode_winevt(tl_buf_cstr(&pl), &ev);
        assert_string_equal(ev.full_log, a);
        assert_int_equal(tl_event_text_len(&ev, ev.log), strlen(ev.log));
        assert_true(ev.nfields > 0);
        for (size_t i = 0; i < ev.nfields; i++) {
            const char *want = json_path(root, ev.fields[i].name);
            if (!want)
                print_error("round %d: %s not in %s\n", round, ev.fields[i].name, a);
            assert_non_null(want);
            assert_string_equal(ev.fields[i].value, want);
        }
        tl_event_clear(&ev);
        cJSON_free(again);
        cJSON_Delete(root);
        tl_free(a);
        tl_free(b);
        tl_buf_free(&xml);
        tl_buf_free(&msg);
        tl_buf_free(&pl);
    }
}

static void test_decoders_winevt_double_quoted_attribute_fails(void **state)
{
    (void)state;
    char *pl = payload("msg", "<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/>"
                              "<EventID>13</EventID></System><EventData><Data "
                              "Name=\"Image\">x</Data></EventData></Event>");
    char *out = convert_ok(pl);
    assert_string_equal(out, "{\"win\":{\"system\":{\"message\":\"\\\"msg\\\"\"}}}");
    tl_free(out);
    tl_free(pl);
}

static void test_decoders_winevt_trailing_backslash_and_quotes(void **state)
{
    (void)state;
    /* CurrentDirectory ends in '\': the doubled backslash must not escape '<' */
    char *pl = payload(NULL, "<Event><System><EventID>1</EventID></System><EventData>"
                             "<Data Name='CurrentDirectory'>C:\\Windows\\system32\\</Data>"
                             "<Data Name='CommandLine'>\"C:\\a b\\n.exe\" /c</Data>"
                             "</EventData></Event>");
    tl_event ev;
    decode_winevt(pl, &ev);
    assert_field(&ev, "win.eventdata.currentDirectory", "C:\\\\Windows\\\\system32\\\\");
    assert_field(&ev, "win.eventdata.commandLine", "\\\"C:\\\\a b\\\\n.exe\\\" /c");
    tl_event_clear(&ev);
    tl_free(pl);
}

static void test_decoders_winevt_userdata(void **state)
{
    (void)state;
    char *pl =
        payload(NULL, "<Event><System><EventID>106</EventID></System><UserData>"
                      "<Operation_StartedOperational xmlns='x'><ProviderName>A</ProviderName>"
                      "<Code>-</Code><Path>\\p</Path></Operation_StartedOperational>"
                      "</UserData></Event>");
    char *out = convert_ok(pl);
    assert_string_equal(out, "{\"win\":{\"system\":{\"eventID\":\"106\"},"
                             "\"operation_StartedOperational\":{\"providerName\":\"A\","
                             "\"path\":\"\\\\\\\\p\"}}}");
    tl_free(out);
    tl_free(pl);
}

static void test_decoders_winevt_malformed(void **state)
{
    (void)state;
    char *out = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_winevt_convert("{\"Message\":", &out, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed EventChannel JSON event.");
    assert_null(out);
    tl_diag_clear(&d);
    assert_int_equal(tl_winevt_convert("{\"Message\":\"x\"}", &out, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed JSON received. No 'Event' field found.");
    /* through tl_decode too */
    tl_event ev;
    tl_diag_clear(&d);
    assert_int_equal(tl_predecode("f:[001] (WS01) any->EventChannel:not json", "m", 0, &ev, &d),
                     TL_OK);
    assert_int_equal(tl_decode(NULL, &ev, &d), TL_E_PARSE);
    assert_string_equal(d.msg, "Malformed EventChannel JSON event.");
    tl_event_clear(&ev);
}

/* ---- JSON decoder --------------------------------------------------------- */

static void json_fields(const char *json, tl_json_null n, tl_json_array a, tl_event *ev)
{
    tl_event_init(ev);
    assert_int_equal(tl_json_decode(ev, json, n, a), TL_OK);
}

static void test_decoders_json_values(void **state)
{
    (void)state;
    tl_event ev;
    json_fields("{\"s\":\"a\\\\b\",\"t\":true,\"f\":false,\"i\":14,\"d\":1.5,\"big\":3000000000,"
                "\"neg\":-7,\"n\":null,\"e\":\"\",\"o\":{\"p\":{\"q\":\"deep\"},\"empty\":{}},"
                "\"arr\":[\"Id\",\"Arguments\"],\"earr\":[],\"oarr\":[{\"k\":1}]} trailing",
                TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY, &ev);
    assert_field(&ev, "s", "a\\b");
    assert_field(&ev, "t", "true");
    assert_field(&ev, "f", "false");
    assert_field(&ev, "i", "14");
    assert_field(&ev, "d", "1.500000");
    assert_field(&ev, "big", "3000000000.000000");
    assert_field(&ev, "neg", "-7");
    assert_field(&ev, "n", "null");
    assert_field(&ev, "e", "");
    assert_field(&ev, "o.p.q", "deep");
    assert_null(tl_event_find_field(&ev, "o.empty"));
    assert_field(&ev, "arr", "[\"Id\", \"Arguments\"]");
    assert_field(&ev, "earr", "[]");
    assert_field(&ev, "oarr", "[{\n\t\t\"k\":\t1\n\t}]");
    assert_string_equal(ev.fields[0].name, "s"); /* decode order */
    tl_event_clear(&ev);
}

static void test_decoders_json_null_and_csv_options(void **state)
{
    (void)state;
    tl_event ev;
    json_fields("{\"a\":null,\"b\":[\"x\",1,2.5,null,true,{\"o\":1},[1]],\"c\":[{}],\"d\":1}",
                TL_JSON_NULL_DISCARD, TL_JSON_ARRAY_CSV, &ev);
    assert_null(tl_event_find_field(&ev, "a"));
    assert_field(&ev, "b", "x,1,2.500000,null,true");
    assert_null(tl_event_find_field(&ev, "c"));
    assert_field(&ev, "d", "1");
    tl_event_clear(&ev);
}

static void test_decoders_json_static_keys(void **state)
{
    (void)state;
    tl_event ev;
    json_fields("{\"srcip\":\"10.0.0.1\",\"user\":\"bob\",\"id\":42,\"systemname\":\"h\","
                "\"data\":\"d\",\"nested\":{\"srcip\":\"1.1.1.1\"},\"url\":\"/x\"}",
                TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY, &ev);
    assert_string_equal(ev.stat[TL_SF_SRCIP], "10.0.0.1");
    assert_string_equal(ev.stat[TL_SF_DSTUSER], "bob");
    assert_string_equal(ev.stat[TL_SF_ID], "42");
    assert_string_equal(ev.stat[TL_SF_SYSTEMNAME], "h");
    assert_string_equal(ev.stat[TL_SF_DATA], "d");
    assert_string_equal(ev.stat[TL_SF_URL], "/x");
    assert_null(tl_event_find_field(&ev, "srcip"));
    assert_field(&ev, "nested.srcip", "1.1.1.1");
    assert_int_equal(ev.nfields, 1);
    tl_event_clear(&ev);
    /* "user" after dstuser is an ordinary field */
    json_fields("{\"dstuser\":\"a\",\"user\":\"b\"}", TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY,
                &ev);
    assert_string_equal(ev.stat[TL_SF_DSTUSER], "a");
    assert_field(&ev, "user", "b");
    tl_event_clear(&ev);
}

static void test_decoders_json_invalid_and_limit(void **state)
{
    (void)state;
    tl_event ev;
    json_fields("{\"ScheduledTaskAR\": , \"TaskName\": \"x\"}", TL_JSON_NULL_STRING,
                TL_JSON_ARRAY_ARRAY, &ev);
    assert_int_equal(ev.nfields, 0);
    tl_event_clear(&ev);
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '{');
    for (int i = 0; i < 300; i++)
        tl_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    tl_buf_putc(&b, '}');
    json_fields(tl_buf_cstr(&b), TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY, &ev);
    assert_int_equal(ev.nfields, 256);
    assert_field(&ev, "k255", "255");
    assert_null(tl_event_find_field(&ev, "k256"));
    tl_event_clear(&ev);
    tl_buf_free(&b);
}

/* Both readers of JSON_Decoder on one text: the same fields (names, values,
 * order) and static fields, with the one-pass scanner and with cJSON alone. */
static void json_same(const char *text, tl_json_null n, tl_json_array a, size_t *fields)
{
    tl_event x, y;
    tl_event_init(&x);
    tl_event_init(&y);
    x.stat[TL_SF_DSTUSER] = tl_strdup("before"); /* kept or replaced alike */
    y.stat[TL_SF_DSTUSER] = tl_strdup("before");
    tl_json_fast_off = 1;
    tl_status sx = tl_json_decode(&x, text, n, a);
    tl_json_fast_off = 0;
    tl_status sy = tl_json_decode(&y, text, n, a);
    assert_int_equal(sx, sy);
    if (x.nfields != y.nfields)
        print_error("%s: %zu fields from cJSON, %zu fast\n", text, x.nfields, y.nfields);
    assert_int_equal(x.nfields, y.nfields);
    for (size_t i = 0; i < x.nfields; i++) {
        assert_string_equal(x.fields[i].name, y.fields[i].name);
        assert_string_equal(x.fields[i].value, y.fields[i].value);
    }
    for (int i = 0; i < TL_SF_COUNT; i++)
        assert_string_equal(x.stat[i] ? x.stat[i] : "(none)", y.stat[i] ? y.stat[i] : "(none)");
    *fields += x.nfields;
    tl_event_clear(&x);
    tl_event_clear(&y);
}

static uint64_t jrand_state;
static unsigned jrand(unsigned n) /* xorshift64*, seeded: the same texts every run */
{
    jrand_state ^= jrand_state >> 12;
    jrand_state ^= jrand_state << 25;
    jrand_state ^= jrand_state >> 27;
    return (unsigned)((jrand_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

static void jrand_string(tl_buf *b)
{
    /* the first 14 are inside the scanner's subset */
    static const char *const pieces[] = {"a", "Z", "C:\\\\Windows", "\\\"", "\\n", "\\r\\n",
                                         "\\t", "\\/", "\\b", "\\f", "x y", "\xc3\xa4",
                                         "0123456789abcdef0123", "\\\\", "\\u0041", "\\q",
                                         "{", "}", ",", ":", "."};
    tl_buf_putc(b, '"');
    unsigned n = jrand(8);
    if (jrand(6) == 0)
        n += 40; /* long values: the 16-byte blocks */
    for (unsigned i = 0; i < n; i++)
        tl_buf_puts(b, pieces[jrand(jrand(40) ? 14 : sizeof pieces / sizeof pieces[0])]);
    tl_buf_putc(b, '"');
}

static void jrand_value(tl_buf *b, int depth);

static void jrand_object(tl_buf *b, int depth)
{
    static const char *const keys[] = {"k", "user", "srcip", "id", "dstuser", "win", "a.b",
                                       "system", "eventdata", "x\\\"y", "data", "k"};
    tl_buf_putc(b, '{');
    unsigned n = jrand(6);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            tl_buf_puts(b, jrand(8) ? "," : " ,\n ");
        if (jrand(5) == 0)
            jrand_string(b);
        else
            tl_buf_printf(b, "\"%s\"", keys[jrand(sizeof keys / sizeof keys[0])]);
        tl_buf_puts(b, jrand(6) ? ":" : " : ");
        jrand_value(b, depth + 1);
    }
    tl_buf_putc(b, '}');
}

static void jrand_value(tl_buf *b, int depth)
{
    static const char *const lits[] = {"true", "false", "null", "12", "-1.5", "tru", "nul"};
    unsigned k = jrand(depth > 3 ? 11 : 14);
    if (k < 5)
        jrand_string(b);
    else if (k < 8)
        tl_buf_puts(b, lits[k - 5]);
    else if (k == 8)
        tl_buf_puts(b, lits[3 + jrand(jrand(4) ? 2 : 4)]);
    else if (k == 9)
        tl_buf_puts(b, jrand(2) ? "[\"x\",1]" : "[]");
    else if (k == 10)
        tl_buf_puts(b, jrand(2) ? "{}" : " { } ");
    else
        jrand_object(b, depth);
}

/* The one-pass scanner of plain objects (strings, booleans, null, nested
 * objects; anything else rolls back to cJSON) gives exactly cJSON's fields:
 * on 20,000 seeded random texts (escapes, \u, static keys, numbers, arrays,
 * cut short or not), under each null/array option, and on the oracle's
 * recorded eventchannel messages pre-converted to {"win":...} JSON. */
static void test_decoders_json_fast_path_changes_nothing(void **state)
{
    (void)state;
    size_t fields = 0;
    jrand_state = UINT64_C(0x9E3779B97F4A7C15);
    for (int i = 0; i < 20000; i++) {
        tl_buf b = TL_BUF_INIT;
        jrand_object(&b, 0);
        if (jrand(10) == 0 && b.len > 2)
            b.len = 1 + jrand((unsigned)b.len - 1); /* cut short */
        tl_buf_putc(&b, '\0');
        b.len--;
        json_same(tl_buf_cstr(&b), (tl_json_null)(i & 1), (tl_json_array)((i >> 1) & 1), &fields);
        tl_buf_free(&b);
    }
    assert_true(fields > 20000);
    /* past the 256-field limit: values are dropped, their escapes still
     * decide (an invalid one makes the whole text invalid) */
    for (int bad = 0; bad < 3; bad++) {
        tl_buf b = TL_BUF_INIT;
        tl_buf_puts(&b, "{\"o\":{");
        for (int i = 0; i < 300; i++)
            tl_buf_printf(&b, "%s\"k%d\":\"v\\\\%d%s\"", i ? "," : "", i, i,
                          i == 280 && bad ? (bad == 1 ? "\\q" : "\\u0041") : "");
        tl_buf_puts(&b, "}}");
        size_t before = fields;
        json_same(tl_buf_cstr(&b), TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY, &fields);
        assert_int_equal(fields - before, bad == 1 ? 0 : 256);
        tl_buf_free(&b);
    }
    const char *qdir = TL_SHARED_DIR "/reference/oracle/evtx";
    DIR *dh = opendir(qdir);
    if (!dh)
        return;
    size_t msgs = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 6, ".queue") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", qdir, de->d_name);
        FILE *f = fopen(path, "rb");
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0 && msgs < 3000) {
            cJSON *j = cJSON_Parse(line);
            const char *pl = cJSON_IsString(j) ? strstr(j->valuestring, "->EventChannel:") : NULL;
            char *json = NULL;
            tl_diag d;
            tl_diag_clear(&d);
            if (pl && tl_winevt_convert(pl + 15, &json, &d) == TL_OK) {
                json_same(json, TL_JSON_NULL_STRING, TL_JSON_ARRAY_ARRAY, &fields);
                msgs++;
            }
            tl_free(json);
            cJSON_Delete(j);
        }
        free(line);
        if (f)
            fclose(f);
    }
    closedir(dh);
    assert_true(msgs > 1000);
}

/* ---- decoders --------------------------------------------------------------- */

static tl_decoder_set *load_xml(const char *xml)
{
    tl_decoder_set *ds = NULL;
    assert_int_equal(tl_decoder_set_new(&ds), TL_OK);
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_decoder_set_load_buffer(ds, "inline.xml", xml, strlen(xml), NULL, NULL, &d);
    if (st != TL_OK)
        print_error("load failed: %s:%d: %s\n", d.file, d.line, d.msg);
    assert_int_equal(st, TL_OK);
    return ds;
}

static void decode_line(const tl_decoder_set *ds, const char *line, tl_event *ev)
{
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_predecode(line, "wazuh-manager", 0, ev, &d), TL_OK);
    assert_int_equal(tl_decode(ds, ev, &d), TL_OK);
}

static const char *const PARENT_CHILD_XML =
    "<!-- parents, children, chains -->\n"
    "<decoder name=\"wazuh\">\n"
    "  <prematch>^wazuh: </prematch>\n"
    "</decoder>\n"
    "<decoder name=\"agent-buffer\">\n"
    "  <parent>wazuh</parent>\n"
    "  <prematch offset=\"after_parent\">^Agent buffer:</prematch>\n"
    "  <regex offset=\"after_prematch\">^ '(\\S+)'.</regex>\n"
    "  <order>level</order>\n"
    "</decoder>\n"
    "<decoder name=\"kv\">\n"
    "  <parent>wazuh</parent>\n"
    "  <prematch>kv </prematch>\n"
    "  <regex offset=\"after_prematch\">^a=(\\w+) </regex>\n"
    "  <order>a</order>\n"
    "</decoder>\n"
    "<decoder name=\"kv\">\n"
    "  <parent>wazuh</parent>\n"
    "  <regex offset=\"after_regex\">^b=(\\w+) </regex>\n"
    "  <order>srcip, user</order>\n"
    "</decoder>\n"
    "<decoder name=\"kv\">\n"
    "  <parent>wazuh</parent>\n"
    "  <regex offset=\"after_regex\">c=(\\w+)</regex>\n"
    "  <order>c|c2</order>\n"
    "</decoder>\n"
    "<decoder name=\"own\">\n"
    "  <parent>wazuh</parent>\n"
    "  <use_own_name>true</use_own_name>\n"
    "  <type>ossec</type>\n"
    "  <prematch>own </prematch>\n"
    "</decoder>\n"
    "<decoder name=\"ms-dhcp\">\n"
    "  <prematch>^\\d\\d,X|</prematch>\n"
    "  <prematch>^\\d\\d,Y</prematch>\n"
    "  <regex>^(\\d\\d),</regex>\n"
    "  <regex>(\\w)</regex>\n"
    "  <order>id,extra_data</order>\n"
    "</decoder>\n";

static void test_decoders_parent_child_prematch_offset(void **state)
{
    (void)state;
    tl_decoder_set *ds = load_xml(PARENT_CHILD_XML);
    tl_event ev;

    decode_line(ds, "1:stdin:wazuh: Agent buffer: '90%'.", &ev);
    assert_string_equal(ev.decoder_name, "wazuh"); /* child shows the parent's name */
    assert_string_equal(ev.decoder_parent, "wazuh");
    assert_string_equal(tl_event_decoder_info(&ev)->own_name, "agent-buffer");
    assert_field(&ev, "level", "90%");
    tl_event_clear(&ev);

    /* chain: after_regex continues where the previous regex stopped */
    decode_line(ds, "1:stdin:wazuh: kv a=1 b=2 c=3", &ev);
    assert_field(&ev, "a", "1");
    assert_string_equal(ev.stat[TL_SF_SRCIP], "2");
    assert_null(ev.stat[TL_SF_DSTUSER]); /* "user" got no capture */
    assert_field(&ev, "c", "3");
    assert_field(&ev, "c2", "3");
    tl_event_clear(&ev);

    /* a failing chain member is skipped, the next still runs */
    decode_line(ds, "1:stdin:wazuh: kv a=1 x=2 c=3", &ev);
    assert_field(&ev, "a", "1");
    assert_null(ev.stat[TL_SF_SRCIP]);
    assert_field(&ev, "c", "3");
    tl_event_clear(&ev);

    /* use_own_name */
    decode_line(ds, "1:stdin:wazuh: own thing", &ev);
    assert_string_equal(ev.decoder_name, "own");
    assert_int_equal(ev.decoder_type, TL_CAT_OSSEC);
    tl_event_clear(&ev);

    /* parent matched, no child: decoded as the parent, no fields */
    decode_line(ds, "1:stdin:wazuh: nothing here", &ev);
    assert_true(ev.decoded);
    assert_string_equal(ev.decoder_name, "wazuh");
    assert_null(ev.decoder_parent);
    assert_int_equal(ev.nfields, 0);
    tl_event_clear(&ev);

    /* repeated prematch/regex elements are concatenated */
    decode_line(ds, "1:stdin:12,Y rest", &ev);
    assert_string_equal(ev.decoder_name, "ms-dhcp");
    assert_string_equal(ev.stat[TL_SF_ID], "12");
    assert_string_equal(ev.stat[TL_SF_EXTRA_DATA], "Y");
    tl_event_clear(&ev);

    decode_line(ds, "1:stdin:no decoder for me", &ev);
    assert_false(ev.decoded);
    assert_null(ev.decoder_name);
    tl_event_clear(&ev);

    /* ids: a child shares its parent's id unless it uses its own name */
    assert_int_equal(tl_decoder_set_id(ds, "wazuh"), 1);
    decode_line(ds, "1:stdin:wazuh: kv a=1 b=2 c=3", &ev);
    assert_int_equal(tl_event_decoder_info(&ev)->id, tl_decoder_set_id(ds, "wazuh"));
    tl_event_clear(&ev);
    decode_line(ds, "1:stdin:wazuh: own x", &ev);
    assert_int_equal(tl_event_decoder_info(&ev)->id, tl_decoder_set_id(ds, "own"));
    assert_int_not_equal(tl_decoder_set_id(ds, "own"), tl_decoder_set_id(ds, "wazuh"));
    tl_event_clear(&ev);
    assert_int_equal(tl_decoder_set_id(ds, "windows_eventchannel"), TL_DECODER_ID_WINEVT);
    assert_int_equal(tl_decoder_set_id(ds, "nope"), 0);

    assert_true(tl_decoder_set_has(ds, "kv"));
    assert_true(tl_decoder_set_has(ds, "windows_eventchannel"));
    assert_false(tl_decoder_set_has(ds, "nope"));
    tl_decoder_set_free(ds);
}

static void test_decoders_first_parent_wins(void **state)
{
    (void)state;
    tl_decoder_set *ds = load_xml("<decoder name=\"a\"><prematch>^x</prematch></decoder>\n"
                                  "<decoder name=\"b\"><prematch>^xy</prematch></decoder>\n"
                                  "<decoder name=\"a1\"><parent>a</parent>"
                                  "<prematch>nomatch</prematch></decoder>\n"
                                  "<decoder name=\"b1\"><parent>b</parent>"
                                  "<regex>^(\\w+)</regex><order>w</order></decoder>\n");
    tl_event ev;
    decode_line(ds, "1:stdin:xyz", &ev);
    assert_string_equal(ev.decoder_name, "a"); /* a wins even though its child fails */
    assert_int_equal(ev.nfields, 0);
    tl_event_clear(&ev);
    tl_decoder_set_free(ds);
}

static void test_decoders_program_name_list(void **state)
{
    (void)state;
    tl_decoder_set *ds =
        load_xml("<decoder name=\"json\"><prematch>^{\\s*\"</prematch>"
                 "<plugin_decoder>JSON_Decoder</plugin_decoder></decoder>\n"
                 "<decoder name=\"sshd\"><program_name>^sshd</program_name></decoder>\n"
                 "<decoder name=\"sshd-user\"><parent>sshd</parent>"
                 "<regex type=\"pcre2\">user (\\w+) from (\\S+)</regex>"
                 "<order>srcuser, srcip</order></decoder>\n");
    tl_event ev;
    decode_line(ds, "1:/var/log/auth.log:Dec 25 20:45:02 MyHost sshd[123]: user bob from 1.2.3.4",
                &ev);
    assert_string_equal(ev.decoder_name, "sshd");
    assert_string_equal(ev.stat[TL_SF_SRCUSER], "bob");
    assert_string_equal(ev.stat[TL_SF_SRCIP], "1.2.3.4");
    tl_event_clear(&ev);
    /* JSON after a syslog header: only the program_name list is tried */
    decode_line(ds, "1:x:Dec 25 20:45:02 MyHost app: {\"a\":1}", &ev);
    assert_false(ev.decoded);
    tl_event_clear(&ev);
    decode_line(ds, "1:x:{\"a\":1,\"srcip\":\"9.9.9.9\"}", &ev);
    assert_string_equal(ev.decoder_name, "json");
    assert_field(&ev, "a", "1");
    assert_string_equal(ev.stat[TL_SF_SRCIP], "9.9.9.9");
    tl_event_clear(&ev);
    tl_decoder_set_free(ds);
}

static void test_decoders_load_errors(void **state)
{
    (void)state;
    static const struct {
        const char *xml, *msg;
        int line;
    } t[] = {
        {"<decoder name=\"a\">\n<prematch>x</prematch>\n<bogus>1</bogus></decoder>",
         "(1230): Invalid element in the configuration: 'bogus'.", 3},
        {"<decoder name=\"a\">\n<regex>(x)</regex></decoder>",
         "(2106): No 'prematch' found in decoder: 'a'.", 1},
        {"<decoder name=\"a\"><prematch>x</prematch><regex>(x)</regex></decoder>",
         "(2107): Decoder configuration error: 'a'.", 1},
        {"<decoder name=\"a\"><parent>zz</parent><regex>(x)</regex><order>q</order></decoder>",
         "(2103): Parent decoder 'zz' not found for 'a'.", 1},
        {"<decoder name=\"a\">\n<prematch>x</prematch>\n</decoder>\n<decoder name=\"b\">\n"
         "<prematch>y",
         NULL, 0},
        {"<decoder name=\"a\"><prematch>\\q</prematch></decoder>", NULL, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tl_decoder_set *ds = NULL;
        assert_int_equal(tl_decoder_set_new(&ds), TL_OK);
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st =
            tl_decoder_set_load_buffer(ds, "bad.xml", t[i].xml, strlen(t[i].xml), NULL, NULL, &d);
        assert_int_not_equal(st, TL_OK);
        assert_string_equal(d.file, "bad.xml");
        if (t[i].msg) {
            assert_string_equal(d.msg, t[i].msg);
            assert_int_equal(d.line, t[i].line);
        } else if (t[i].line == 0) {
            assert_non_null(strstr(d.msg, "(1226): Error reading XML file 'bad.xml': XMLERR"));
        } else {
            assert_int_equal(st, TL_E_REGEX);
        }
        tl_decoder_set_free(ds);
    }
}

#define REF_DECODERS TL_SHARED_DIR "/reference/wazuh-full/decoders"

static int have_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static tl_decoder_set *load_reference(void)
{
    tl_decoder_set *ds = NULL;
    assert_int_equal(tl_decoder_set_new(&ds), TL_OK);
    const char *dirs[] = {REF_DECODERS};
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_decoder_set_load_dirs(ds, dirs, 1, NULL, 0, NULL, NULL, &d);
    if (st != TL_OK)
        print_error("%s:%d: %s\n", d.file, d.line, d.msg);
    assert_int_equal(st, TL_OK);
    return ds;
}

static void test_decoders_reference_files_load(void **state)
{
    (void)state;
    if (!have_dir(REF_DECODERS))
        skip();
    tl_decoder_set *ds = load_reference();
    assert_true(tl_decoder_set_count(ds) > 50);
    assert_true(tl_decoder_set_has(ds, "ar_log_json"));
    assert_true(tl_decoder_set_has(ds, "json"));
    assert_true(tl_decoder_set_has(ds, "windows"));

    /* the AR log line of wazuh.md §11.3 */
    tl_event ev;
    decode_line(
        ds,
        "1:[001] (WS01) any->active-response\\active-responses.log:2025/01/15 10:00:01 "
        "active-response/bin/analyze-scheduled-task.exe: {\"version\":1,\"command\":\"add\","
        "\"parameters\":{\"program\":\"active-response/bin/analyze-scheduled-task.exe\"}}",
        &ev);
    assert_string_equal(ev.decoder_name, "ar_log_json");
    assert_string_equal(ev.decoder_parent, "ar_log_json");
    assert_null(ev.program_name); /* YYYY/MM/DD is not a syslog header */
    assert_field(&ev, "command", "add");
    assert_field(&ev, "parameters.program", "active-response/bin/analyze-scheduled-task.exe");
    tl_event_clear(&ev);

    /* the AR program's bare JSON line is decoded by `json` */
    decode_line(
        ds,
        "1:[001] (WS01) any->logs\\scheduled-tasks.log:{\"ScheduledTaskAR\":{\"Id\":"
        "\"Action1\",\"Arguments\":null,\"Execute\":\"C:\\\\Windows\\\\System32\\\\calc.exe\","
        "\"CimSystemProperties\":{\"ServerName\":\"DESKTOP-4E0BQFT\"}},\"TaskName\":\"test-task\"}",
        &ev);
    assert_string_equal(ev.decoder_name, "json");
    assert_null(ev.decoder_parent);
    assert_field(&ev, "ScheduledTaskAR.Arguments", "null");
    assert_field(&ev, "ScheduledTaskAR.Execute", "C:\\Windows\\System32\\calc.exe");
    assert_field(&ev, "ScheduledTaskAR.CimSystemProperties.ServerName", "DESKTOP-4E0BQFT");
    assert_field(&ev, "TaskName", "test-task");
    assert_string_equal(ev.location_path, "logs\\scheduled-tasks.log");
    tl_event_clear(&ev);

    /* windows firewall: use_own_name child of windows-date-format */
    decode_line(ds,
                "1:fw:2006-09-18 22:26:23 DROP UDP 11.152.183.14 239.255.255.250 65299 1900 "
                "310 - - - - - - - RECEIVE",
                &ev);
    assert_string_equal(ev.decoder_name, "windows-firewall");
    assert_int_equal(ev.decoder_type, TL_CAT_FIREWALL);
    assert_string_equal(ev.stat[TL_SF_ACTION], "DROP");
    assert_string_equal(ev.stat[TL_SF_PROTOCOL], "UDP");
    assert_string_equal(ev.stat[TL_SF_SRCIP], "11.152.183.14");
    assert_string_equal(ev.stat[TL_SF_DSTPORT], "1900");
    tl_event_clear(&ev);
    tl_decoder_set_free(ds);
}

/* The log fingerprint rules decoder prematches out (tl_event_log_fp): it must
 * never change a decoding. Every log line of Wazuh's own .ini tests, as it is
 * and padded past the 128 bytes from which the fingerprint is built, decoded
 * by the stock decoders with and without the fingerprint: same decoder, type,
 * log, program name, static and dynamic fields. */
static void fp_compare(const tl_decoder_set *ds, const char *line, tl_tri *tri, int *built)
{
    tl_event a, b;
    tl_diag d;
    tl_event_init(&a);
    tl_event_init(&b);
    int pa = tl_predecode(line, "wazuh-manager", 0, &a, &d) == TL_OK;
    int pb = tl_predecode(line, "wazuh-manager", 0, &b, &d) == TL_OK;
    assert_int_equal(pa, pb);
    if (pa) {
        b.fp = tri;
        assert_int_equal(tl_decode(ds, &a, &d), tl_decode(ds, &b, &d));
        *built += b.fp_state == 1;
        assert_string_equal(a.decoder_name ? a.decoder_name : "-", b.decoder_name ? b.decoder_name : "-");
        assert_string_equal(a.decoder_parent ? a.decoder_parent : "-",
                            b.decoder_parent ? b.decoder_parent : "-");
        assert_int_equal(a.decoder_type, b.decoder_type);
        assert_string_equal(a.log ? a.log : "-", b.log ? b.log : "-");
        assert_string_equal(a.program_name ? a.program_name : "-", b.program_name ? b.program_name : "-");
        for (int i = 0; i < TL_SF_COUNT; i++)
            assert_string_equal(a.stat[i] ? a.stat[i] : "-", b.stat[i] ? b.stat[i] : "-");
        assert_int_equal(a.nfields, b.nfields);
        for (size_t i = 0; i < a.nfields; i++) {
            assert_string_equal(a.fields[i].name, b.fields[i].name);
            assert_string_equal(a.fields[i].value, b.fields[i].value);
        }
    }
    tl_event_clear(&a);
    tl_event_clear(&b);
}

static void fp_ini_dir(const tl_decoder_set *ds, const char *dir, tl_tri *tri, int *nlogs, int *built)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".ini") != 0)
            continue;
        char path[1024], line[8192], q[9000];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            char *eq = strstr(line, " = ");
            if (strncmp(line, "log ", 4) != 0 || !eq)
                continue;
            char *v = eq + 3;
            v[strcspn(v, "\r\n")] = '\0';
            snprintf(q, sizeof q, "1:stdin:%s", v);
            fp_compare(ds, q, tri, built);
            snprintf(q, sizeof q, "1:stdin:%s %s", v,
                     "pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad "
                     "pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad");
            fp_compare(ds, q, tri, built);
            (*nlogs)++;
        }
        fclose(f);
    }
    closedir(dh);
}

static void test_decoders_fingerprint_changes_nothing(void **state)
{
    (void)state;
    if (!have_dir(REF_DECODERS))
        skip();
    tl_decoder_set *ds = load_reference();
    static tl_tri tri; /* zeroed, as tl_tri_build wants */
    int nlogs = 0, built = 0;
    fp_ini_dir(ds, TL_SHARED_DIR "/reference/wazuh-full/tests", &tri, &nlogs, &built);
    fp_ini_dir(ds, TL_SHARED_DIR "/reference/wazuh-full/tests/engine", &tri, &nlogs, &built);
    assert_true(nlogs > 1000);
    assert_true(built > 500); /* the fingerprint was really used */
    tl_decoder_set_free(ds);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_decoders_load_dirs_basename_order(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/tl_dec_XXXXXX";
    char *root = mkdtemp(tmpl);
    assert_non_null(root);
    char a[300], b[300], p[400];
    snprintf(a, sizeof a, "%s/ruleset", root);
    snprintf(b, sizeof b, "%s/etc", root);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    /* 0002 in etc must load before 0005 in ruleset (basename order across dirs) */
    snprintf(p, sizeof p, "%s/0005-second.xml", a);
    write_file(p, "<decoder name=\"second\"><prematch>^z</prematch></decoder>");
    snprintf(p, sizeof p, "%s/0002-first.xml", b);
    write_file(p, "<decoder name=\"first\"><prematch>^z</prematch></decoder>");
    /* same basename in etc is skipped */
    snprintf(p, sizeof p, "%s/0005-second.xml", b);
    write_file(p, "<decoder name=\"shadowed\"><prematch>^z</prematch></decoder>");
    snprintf(p, sizeof p, "%s/0009-excluded.xml", a);
    write_file(p, "<decoder name=\"excluded\"><prematch>^z</prematch></decoder>");
    snprintf(p, sizeof p, "%s/README.txt", a);
    write_file(p, "not xml");

    tl_decoder_set *ds = NULL;
    assert_int_equal(tl_decoder_set_new(&ds), TL_OK);
    const char *dirs[] = {a, b};
    const char *ex[] = {"0009-excluded.xml"};
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_decoder_set_load_dirs(ds, dirs, 2, ex, 1, NULL, NULL, &d), TL_OK);
    assert_int_equal(tl_decoder_set_count(ds), 2);
    assert_false(tl_decoder_set_has(ds, "shadowed"));
    assert_false(tl_decoder_set_has(ds, "excluded"));
    tl_event ev;
    decode_line(ds, "1:x:zzz", &ev);
    assert_string_equal(ev.decoder_name, "first");
    tl_event_clear(&ev);
    tl_decoder_set_free(ds);

    const char *files[] = {"ruleset/0005-second.xml", "etc/0002-first.xml", "etc/0005-second.xml",
                           "ruleset/0009-excluded.xml", "ruleset/README.txt"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        remove(p);
    }
    remove(a);
    remove(b);
    remove(root);
}

/* ---- predecoder ------------------------------------------------------------- */

static void test_decoders_predecode_agent_location(void **state)
{
    (void)state;
    tl_event ev;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_predecode("f:[001] (WS01) any->EventChannel:{\"Message\":\"a:b\"}",
                                  "wazuh-manager", 1234, &ev, &d),
                     TL_OK);
    assert_int_equal(ev.queue, 'f');
    assert_string_equal(ev.agent_id, "001");
    assert_string_equal(ev.agent_name, "WS01");
    assert_string_equal(ev.agent_ip, "any");
    assert_string_equal(ev.location, "(WS01) any->EventChannel");
    assert_string_equal(ev.location_path, "EventChannel");
    assert_string_equal(ev.hostname, "WS01");
    assert_string_equal(ev.full_log, "{\"Message\":\"a:b\"}");
    assert_ptr_equal(ev.log, ev.full_log);
    assert_null(ev.program_name);
    assert_null(ev.dec_timestamp);
    assert_int_equal(ev.time, 1234);
    tl_event_clear(&ev);

    /* IPv6 registered address and an escaped ':' in the path */
    assert_int_equal(
        tl_predecode("1:[002] (WS02) fe80::1->C|:\\logs\\x.log:hello", "m", 0, &ev, &d), TL_OK);
    assert_string_equal(ev.agent_ip, "fe80::1");
    assert_string_equal(ev.location_path, "C:\\logs\\x.log");
    assert_string_equal(ev.full_log, "hello");
    tl_event_clear(&ev);

    /* manager-local */
    assert_int_equal(tl_predecode("1:stdin:hello", "wazuh-manager", 0, &ev, &d), TL_OK);
    assert_string_equal(ev.agent_id, "000");
    assert_string_equal(ev.agent_name, "wazuh-manager");
    assert_string_equal(ev.hostname, "wazuh-manager");
    assert_string_equal(ev.location, "stdin");
    assert_string_equal(ev.location_path, "stdin");
    assert_null(ev.agent_ip);
    tl_event_clear(&ev);

    assert_int_equal(tl_predecode("1stdin", "m", 0, &ev, &d), TL_E_PARSE);
    assert_int_equal(tl_predecode("1:nocolon", "m", 0, &ev, &d), TL_E_PARSE);
}

static void test_decoders_predecode_syslog_header(void **state)
{
    (void)state;
    static const struct {
        const char *log, *ts, *host, *prog, *msg;
    } t[] = {
        {"Dec 25 20:45:02 MyHost prog[123]: msg", "Dec 25 20:45:02", "MyHost", "prog", "msg"},
        {"Dec  5 20:45:02 MyHost sshd: Accepted", "Dec  5 20:45:02", "MyHost", "sshd", "Accepted"},
        {"2015 Dec 29 10:00:01 host1 app: m", "2015 Dec 29 10:00:01", "host1", "app", "m"},
        {"2015-12-29T10:00:01.123456-08:00 h p: m", "2015-12-29T10:00:01.123456-08:00", "h", "p",
         "m"},
        /* wazuh.md §2.5: ISO 8601 with 'Z' and no fraction is no header */
        {"2015-12-29T10:00:01Z h p[1]: m", NULL, "mgr", NULL, NULL},
        /* §2.6 worked examples */
        {"2019-07-03T13:49:44.0Z RH1WVEPO1 EPOEvents - EventFwd [agentInfo@3401]",
         "2019-07-03T13:49:44.0Z RH1WVEPO", "EPOEvents", NULL, "- EventFwd [agentInfo@3401]"},
        {"2021-07-08T11:01:06-03:00 1.2.3.4 db[32167]:  category=\"Event\"",
         "2021-07-08T11:01:06-03:00", "1.2.3.4", "db", " category=\"Event\""},
        {"2023-01-23 03:22:26.410246-0800  localhost tccd[1030]: [com.apple.TCC:access] Update",
         "2023-01-23 03:22:26.410246-0800", "localhost", "tccd", "[com.apple.TCC:access] Update"},
        {"Mon Apr 17 18:27:14 2006 1 64.160.42.130 5450 /pub/f b _ i r u ftp 0 * c",
         "Mon Apr 17 18:27:14 2006", "mgr", NULL, "1 64.160.42.130 5450 /pub/f b _ i r u ftp 0 * c"},
        {"01/28-09:13:16.240702  [**] [1:2003:8] MS-SQL Worm [**]", "01/28-09:13:16.240702", "mgr",
         NULL, "[**] [1:2003:8] MS-SQL Worm [**]"},
        {"01/28/1979-09:13:16.240702  [**] [1:2003:8] ET x [**]", "01/28/1979-09:13:16.240702",
         "mgr", NULL, "[**] [1:2003:8] ET x [**]"},
        {"[Fri Feb 11 18:06:35 2004] [warn] [client 1.2.3.4] File does not exist: /x",
         "Fri Feb 11 18:06:35 2004", "mgr", NULL, "[warn] [client 1.2.3.4] File does not exist: /x"},
        {"[Time 2006.12.28 15:53:55 UTC] [Facility auth] [Sender sshd] [Message error: PAM: "
         "failure] [Host h1]",
         NULL, "h1", "sshd", "error: PAM: failure"},
        {"1140804070.368  11623 192.168.1.2 TCP_MISS/200 1234 GET http://a/", "1140804070.368 ",
         "mgr", NULL, "11623 192.168.1.2 TCP_MISS/200 1234 GET http://a/"},
        {"Dec 29 10:00:01 sunhost sshd[123]: [ID 800047 auth.info] Accepted publickey",
         "Dec 29 10:00:01", "sunhost", "sshd", "Accepted publickey"},
        {"Dec 29 10:00:01 my_host.ex-1 prog(x)/y@z: chars", "Dec 29 10:00:01", "my_host.ex-1",
         "prog(x)/y@z", "chars"},
        {"Dec 29 10:00:01 aixhost auth|security:info sshd[123]: Accepted password",
         "Dec 29 10:00:01", "aixhost", "sshd", "Accepted password"},
        {"Dec 29 10:00:01 host : x", "Dec 29 10:00:01", "host", "", "x"},
        {"Dec 29 10:00:01 sshd[12]: x", "Dec 29 10:00:01", "mgr", NULL, "sshd[12]: x"},
        /* cisco_ios.ini: '%' is not in hostname_map, so no program name */
        {"Apr 10 10:52:09 router %IPS-4-SIGNATURE: Sig:3051", "Apr 10 10:52:09", "router", NULL,
         "%IPS-4-SIGNATURE: Sig:3051"},
        {"Dec 25 20:45:02 MyHost just text", "Dec 25 20:45:02", "MyHost", NULL, "just text"},
        {"Dec 19 17:20:08 ubuntu test_pcre2_3[12345]:test_action x", "Dec 19 17:20:08", "ubuntu",
         "test_pcre2_3", "test_action x"},
        {"Dec 19 17:20:08 hostname_1 p[123]:", "Dec 19 17:20:08", "hostname_1", "p", ""},
        {"2014 Dec 20 09:29:47 WinEvtLog: Security: x", "2014 Dec 20 09:29:47", "mgr", "WinEvtLog",
         "Security: x"},
        /* not headers */
        {"2025/01/15 10:00:00 active-response/bin/x.exe: {\"a\":1}", NULL, "mgr", NULL, NULL},
        {"2006-07-23 04:40:02 1.2.3.4 - W3SVC3", NULL, "mgr", NULL, NULL},
        {"{\"Dec 25 20:45:02\": 1}", NULL, "mgr", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char line[400];
        snprintf(line, sizeof line, "1:stdin:%s", t[i].log);
        tl_event ev;
        tl_diag d;
        tl_diag_clear(&d);
        assert_int_equal(tl_predecode(line, "mgr", 0, &ev, &d), TL_OK);
        assert_string_equal(ev.full_log, t[i].log);
        if (t[i].ts)
            assert_string_equal(ev.dec_timestamp, t[i].ts);
        else
            assert_null(ev.dec_timestamp);
        assert_string_equal(ev.hostname, t[i].host);
        if (t[i].prog)
            assert_string_equal(ev.program_name, t[i].prog);
        else
            assert_null(ev.program_name);
        assert_string_equal(ev.log, t[i].msg ? t[i].msg : t[i].log);
        tl_event_clear(&ev);
    }
}

/* Every allocation failure must come back as a status (never a crash or a
 * leak: run under ASan). cJSON cannot tell an out-of-memory parse from a
 * malformed one, so the eventchannel path may say TL_E_PARSE. */
static void test_decoders_alloc_failures(void **state)
{
    (void)state;
    int done = 0;
    for (long n = 1; n < 400 && !done; n++) {
        tl_alloc_fail_at(n);
        tl_event ev;
        tl_event_init(&ev);
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st = tl_predecode("f:[001] (WS01) any->EventChannel:x", "m", 0, &ev, &d);
        if (st == TL_OK) {
            tl_event_clear(&ev);
            char *out = NULL;
            st = tl_winevt_convert(SYSMON13_PAYLOAD, &out, &d);
            tl_free(out);
        }
        tl_alloc_fail_at(0);
        assert_true(st == TL_OK || st == TL_E_NOMEM || st == TL_E_PARSE);
        done = st == TL_OK;
    }
    assert_true(done);

    static const char *const xml = "<decoder name=\"p\"><prematch>^p </prematch></decoder>"
                                   "<decoder name=\"c\"><parent>p</parent>"
                                   "<regex>^(\\w+) (\\w+)</regex><order>a, srcip</order></decoder>"
                                   "<decoder name=\"j\"><prematch>^{</prematch>"
                                   "<plugin_decoder>JSON_Decoder</plugin_decoder></decoder>";
    done = 0;
    for (long n = 1; n < 2000 && !done; n++) {
        tl_decoder_set *ds = NULL;
        tl_alloc_fail_at(n);
        tl_status st = tl_decoder_set_new(&ds);
        tl_diag d;
        tl_diag_clear(&d);
        if (st == TL_OK)
            st = tl_decoder_set_load_buffer(ds, "x.xml", xml, strlen(xml), NULL, NULL, &d);
        tl_event ev;
        tl_event_init(&ev);
        if (st == TL_OK)
            st = tl_predecode("1:stdin:p ab cd", "m", 0, &ev, &d);
        if (st == TL_OK)
            st = tl_decode(ds, &ev, &d);
        tl_event_clear(&ev);
        if (st == TL_OK)
            st = tl_predecode("1:stdin:{\"a\":[1,{\"b\":null}],\"c\":{\"d\":\"e\"}}", "m", 0, &ev,
                              &d);
        if (st == TL_OK)
            st = tl_decode(ds, &ev, &d);
        tl_alloc_fail_at(0);
        tl_event_clear(&ev);
        tl_decoder_set_free(ds);
        assert_true(st == TL_OK || st == TL_E_NOMEM);
        done = st == TL_OK;
    }
    assert_true(done);
}

/* wazuh.md §4.3: PF_Decoder and SymantecWS_Decoder on the sheet's examples. */
static void test_decoders_plugins_pf_symantec(void **state)
{
    (void)state;
    static const struct {
        int sym;
        const char *log;
        const char *action, *srcip, *srcport, *dstip, *dstport, *proto, *url, *user, *id;
    } t[] = {
        {0, "rule 2/(match) pass in on xl0: 140.211.166.3.6667 > 192.168.2.10.16290: P 7408:7677(269) ack 1773",
         "pass", "140.211.166.3", "6667", "192.168.2.10", "16290", "TCP", NULL, NULL, NULL},
        {0, "rule 3/(match) block out on xl0: 192.168.2.10.1514 > 192.168.2.190.1030:  udp 73", "block",
         "192.168.2.10", "1514", "192.168.2.190", "1030", "UDP", NULL, NULL, NULL},
        {0, "rule 1/(match) pass in on lo0: 127.0.0.1 > 127.0.0.1: icmp: echo reply", "pass",
         "127.0.0.1", NULL, "127.0.0.1", NULL, "ICMP", NULL, NULL, NULL},
        {0, "rule 1/(match) drop in on lo0: 1.2.3.4 > 5.6.7.8: x", NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL},
        {1, "20070717,73614,1=5,11=1.2.3.4,1106=News,60=http://news.bbc.co.uk/,10=userX,1000=212.58.240.42,2=27",
         NULL, "1.2.3.4", NULL, NULL, NULL, NULL, "http://news.bbc.co.uk/", "userX", "2=27"},
        {1, "20070717,73614,10=userc,3=1,2=1", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "userc",
         "3=1,2=1"},
        {1, "20070717,73614,3=7,2=29,5=x", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         "3=7,2=29,"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tl_event ev;
        tl_event_init(&ev);
        assert_int_equal(t[i].sym ? tl_plugin_symantec_ws(&ev, t[i].log) : tl_plugin_pf(&ev, t[i].log),
                         TL_OK);
        const char *want[] = {t[i].action, t[i].srcip, t[i].srcport, t[i].dstip, t[i].dstport,
                              t[i].proto, t[i].url, t[i].user, t[i].id};
        const tl_static_field f[] = {TL_SF_ACTION, TL_SF_SRCIP, TL_SF_SRCPORT, TL_SF_DSTIP,
                                     TL_SF_DSTPORT, TL_SF_PROTOCOL, TL_SF_URL, TL_SF_DSTUSER,
                                     TL_SF_ID};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            if (want[k])
                assert_string_equal(ev.stat[f[k]] ? ev.stat[f[k]] : "(unset)", want[k]);
            else
                assert_null(ev.stat[f[k]]);
        }
        tl_event_clear(&ev);
    }
}

/* wazuh.md §4.3: SonicWall_Decoder (decoder type, static fields, proto=, the
 * event-97 web regex) and OSSECAlert_Decoder on the plugin level. */
static void test_decoders_plugin_sonicwall(void **state)
{
    (void)state;
    static const struct {
        const char *log;
        tl_category type;
        const char *status, *id, *srcip, *srcport, *dstip, *dstport, *proto, *action, *url;
    } t[] = {
        {"id=firewall sn=000SERIAL time=\"2007-01-03 14:48:06\" fw=1.1.1.1 pri=6 c=262144 m=98 "
         "msg=\"Connection Opened\" n=23419 src=2.2.2.2:36701:WAN dst=1.1.1.1:50000:WAN "
         "proto=tcp/50000",
         TL_CAT_FIREWALL, "6", "98", "2.2.2.2", "36701", "1.1.1.1", "50000", "tcp", "pass", NULL},
        /* c=32: ids, whatever m says */
        {"id=firewall sn=000SERIAL fw=1.1.1.1 pri=1 c=32 m=30 msg=\"Administrator login denied\" "
         "n=7 src=2.2.2.2:36701:WAN dst=1.1.1.1:50000:WAN",
         TL_CAT_IDS, "1", "30", "2.2.2.2", "36701", "1.1.1.1", "50000", NULL, NULL, NULL},
        /* m=36: drop; the token after the match is rule=, not proto= */
        {"id=firewall sn=00301E0526B1 fw=67.32.44.2 pri=5 c=64 m=36 msg=\"TCP connection dropped\" "
         "n=2686 src=67.101.200.27:4507:WAN dst=67.32.44.2:445:LAN rule=0",
         TL_CAT_FIREWALL, "5", "36", "67.101.200.27", "4507", "67.32.44.2", "445", NULL, "drop",
         NULL},
        {"pri=5 c=64 m=537 n=1 src=1.1.1.1:1:X dst=2.2.2.2:2:Y proto=udp/53", TL_CAT_FIREWALL, "5",
         "537", "1.1.1.1", "1", "2.2.2.2", "2", "udp", "close", NULL},
        /* m=97: squid; id and url from result=, dstname= and arg= */
        {"pri=6 c=1024 m=97 n=1 src=1.2.3.4:1234:X0 dst=5.6.7.8:80:X1 proto=tcp/http op=1 "
         "result=200 dstname=example.com arg=/index.html",
         TL_CAT_SQUID, "6", "200", "1.2.3.4", "1234", "5.6.7.8", "80", "tcp", NULL,
         "example.com/index.html"},
        /* proto= with more than 6 bytes before '/': no protocol; other ids: syslog */
        {"pri=6 c=0 m=1197 n=1 src=1.2.3.4:1:X dst=5.6.7.8:2:Y proto=icmpv6x/1", TL_CAT_SYSLOG,
         "6", "1197", "1.2.3.4", "1", "5.6.7.8", "2", NULL, NULL, NULL},
        /* no port after the source address: match 2 fails, stop after match 1 */
        {"id=NSA3500BR pri=1 c=32 m=1388 msg=\"IPSec\" n=1 src=37.186.204.2 dst=172.29.168.2",
         TL_CAT_SYSLOG, "1", "1388", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        /* no pri= c= m= header: syslog, nothing */
        {"id=firewall something else", TL_CAT_SYSLOG, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL},
    };
    tl_sonicwall_rx *rx = NULL;
    assert_int_equal(tl_plugin_sonicwall_new(&rx), TL_OK);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tl_event ev;
        tl_event_init(&ev);
        ev.decoder_type = TL_CAT_OSSEC; /* the plugin sets the type first */
        assert_int_equal(tl_plugin_sonicwall(rx, &ev, t[i].log), TL_OK);
        assert_int_equal(ev.decoder_type, t[i].type);
        const char *want[] = {t[i].status, t[i].id,      t[i].srcip,  t[i].srcport, t[i].dstip,
                              t[i].dstport, t[i].proto,  t[i].action, t[i].url};
        const tl_static_field f[] = {TL_SF_STATUS,  TL_SF_ID,       TL_SF_SRCIP,
                                     TL_SF_SRCPORT, TL_SF_DSTIP,    TL_SF_DSTPORT,
                                     TL_SF_PROTOCOL, TL_SF_ACTION,  TL_SF_URL};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            if (want[k])
                assert_string_equal(ev.stat[f[k]] ? ev.stat[f[k]] : "(unset)", want[k]);
            else
                assert_null(ev.stat[f[k]]);
        }
        tl_event_clear(&ev);
    }
    tl_plugin_sonicwall_free(rx);
}

static void test_decoders_plugin_ossec_alert(void **state)
{
    (void)state;
    static const char line[] =
        "ossec: Alert Level: 3; Rule: 5715 - sshd: authentication success.; Location: (a1) "
        "10.0.0.2->/var/log/secure; srcip: 10.0.0.5; user: root;  Dec 10 01:02:03 h sshd[1]: ok";
    tl_event ev;
    tl_event_init(&ev);
    ev.location = tl_strdup("/var/ossec/logs/alerts/alerts.log");
    ev.full_log = tl_strdup(line);
    assert_non_null(ev.location);
    assert_non_null(ev.full_log);
    ev.log = ev.full_log;
    assert_int_equal(tl_plugin_ossec_alert(&ev, ev.log), TL_OK);
    assert_int_equal(ev.decoder_type, TL_CAT_OSSEC_ALERT);
    assert_string_equal(ev.alert_rule_id, "5715");
    assert_true(ev.alert_complete);
    const char *loc = "/var/ossec/logs/alerts/alerts.log|(a1) 10.0.0.2->/var/log/secure";
    assert_string_equal(ev.location, loc);
    assert_string_equal(ev.hostname, loc);
    assert_string_equal(ev.stat[TL_SF_SRCIP], "10.0.0.5");
    assert_string_equal(ev.stat[TL_SF_DSTUSER], "root");
    assert_string_equal(ev.full_log, "Dec 10 01:02:03 h sshd[1]: ok");
    assert_string_equal(ev.log, "Dec 10 01:02:03 h sshd[1]: ok");
    tl_event_clear(&ev);

    /* not an alert line: the type is still OSSEC_ALERT, with no rule */
    static const char *const bad[] = {
        "ossec: something else",
        "Alert Level: 3; Rule:5715 - x; Location: y; ", /* ':' not followed by ' ' */
        "Alert Level: 3; Rule: 5715 - x;Location: y; ", /* no "; Location: " */
        "Alert Level: 3; Rule: 5715 - x; Location: y; srcip: 1.2.3.4", /* entry with no ';' */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_event_init(&ev);
        assert_int_equal(tl_plugin_ossec_alert(&ev, bad[i]), TL_OK);
        assert_int_equal(ev.decoder_type, TL_CAT_OSSEC_ALERT);
        assert_false(ev.alert_complete);
        assert_null(ev.stat[TL_SF_SRCIP]);
        tl_event_clear(&ev);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoders_winevt_sysmon13_exact),
        cmocka_unit_test(test_decoders_winevt_event_fields),
        cmocka_unit_test(test_decoders_winevt_fields_equal_json_decoder),
        cmocka_unit_test(test_decoders_winevt_field_naming),
        cmocka_unit_test(test_decoders_winevt_severity_table),
        cmocka_unit_test(test_decoders_winevt_message),
        cmocka_unit_test(test_decoders_winevt_escaping_all_bytes),
        cmocka_unit_test(test_decoders_winevt_payload_paths_agree),
        cmocka_unit_test(test_decoders_winevt_block_paths_change_nothing),
        cmocka_unit_test(test_decoders_winevt_double_quoted_attribute_fails),
        cmocka_unit_test(test_decoders_winevt_trailing_backslash_and_quotes),
        cmocka_unit_test(test_decoders_winevt_userdata),
        cmocka_unit_test(test_decoders_winevt_malformed),
        cmocka_unit_test(test_decoders_json_values),
        cmocka_unit_test(test_decoders_json_null_and_csv_options),
        cmocka_unit_test(test_decoders_json_static_keys),
        cmocka_unit_test(test_decoders_json_invalid_and_limit),
        cmocka_unit_test(test_decoders_json_fast_path_changes_nothing),
        cmocka_unit_test(test_decoders_parent_child_prematch_offset),
        cmocka_unit_test(test_decoders_first_parent_wins),
        cmocka_unit_test(test_decoders_program_name_list),
        cmocka_unit_test(test_decoders_load_errors),
        cmocka_unit_test(test_decoders_reference_files_load),
        cmocka_unit_test(test_decoders_load_dirs_basename_order),
        cmocka_unit_test(test_decoders_fingerprint_changes_nothing),
        cmocka_unit_test(test_decoders_predecode_agent_location),
        cmocka_unit_test(test_decoders_predecode_syslog_header),
        cmocka_unit_test(test_decoders_alloc_failures),
        cmocka_unit_test(test_decoders_plugins_pf_symantec),
        cmocka_unit_test(test_decoders_plugin_sonicwall),
        cmocka_unit_test(test_decoders_plugin_ossec_alert),
    };
    return cmocka_run_group_tests_name("decoders", tests, NULL, NULL);
}
