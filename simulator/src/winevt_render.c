/* SPDX-License-Identifier: MIT */
/*
 * Windows event rendering, as EvtRender(EvtRenderEventXml) prints a record
 * and as the event's rendered Message reads (facts/windows.md §1.2, §1.3):
 *
 *   <Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>
 *   <Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-…}'/><EventID>12</EventID>
 *   <Version>2</Version><Level>4</Level><Task>12</Task><Opcode>0</Opcode>
 *   <Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='…1234567Z'/>
 *   <EventRecordID>184</EventRecordID><Correlation/><Execution ProcessID='5944' ThreadID='4436'/>
 *   <Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>…</Computer>
 *   <Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'>…</Data>…
 *   </EventData></Event>
 *
 * (wrapped here; the output is ONE line with no whitespace between elements).
 * Escaping: text escapes & < > only; attribute values also escape ' (they are
 * single-quoted); other control characters than TAB/CR/LF become &#xN;. The
 * Message is "<title>\r\nName: value\r\n…" with values verbatim and no
 * trailing CRLF.
 *
 * Sysmon events are reduced to the config's schema: no RuleName before 4.1,
 * no OriginalFileName before 4.21, no ParentUser / trailing User (and the
 * SourceUser/TargetUser pair of 8 and 10) before 4.80. Empty values render as
 * "-", the way Sysmon prints missing strings [A beyond RuleName].
 */
#include "tasklab/sysmon.h"

#include <string.h>

#include "sysmon_int.h"

static const char SYSMON_GUID[] = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}";

static void xml_escaped(tl_buf *b, const char *s, int attr)
{
    if (!s)
        return;
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char ch = (unsigned char)*p;
        const char *rep = NULL;
        char num[8];
        if (ch == '\0')
            break;
        if (ch == '&')
            rep = "&amp;";
        else if (ch == '<')
            rep = "&lt;";
        else if (ch == '>')
            rep = "&gt;";
        else if (ch == '\'' && attr)
            rep = "&apos;";
        else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
            static const char hex[] = "0123456789ABCDEF";
            size_t k = 0;
            num[k++] = '&';
            num[k++] = '#';
            num[k++] = 'x';
            if (ch >= 16)
                num[k++] = hex[ch >> 4];
            num[k++] = hex[ch & 15];
            num[k++] = ';';
            num[k] = '\0';
            rep = num;
        }
        if (rep) {
            tl_buf_append(b, run, (size_t)(p - run));
            tl_buf_puts(b, rep);
            run = p + 1;
        }
    }
    tl_buf_puts(b, run);
}

static void put_uint(tl_buf *b, uint64_t v)
{
    char tmp[24];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tl_buf_append(b, tmp + k, sizeof tmp - k);
}

static void put_int(tl_buf *b, int v)
{
    if (v < 0) {
        tl_buf_putc(b, '-');
        put_uint(b, (uint64_t)(-(int64_t)v));
    } else {
        put_uint(b, (uint64_t)v);
    }
}

static void render_system(tl_buf *x, const tl_winevt_system *s)
{
    char ts[32];
    tl_buf_puts(x, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                   "<Provider Name='");
    xml_escaped(x, s->provider_name ? s->provider_name : "", 1);
    if (s->provider_guid) {
        tl_buf_puts(x, "' Guid='");
        xml_escaped(x, s->provider_guid, 1);
    }
    tl_buf_puts(x, "'/><EventID>");
    put_int(x, s->event_id);
    tl_buf_puts(x, "</EventID><Version>");
    put_int(x, s->version);
    tl_buf_puts(x, "</Version><Level>");
    put_int(x, s->level);
    tl_buf_puts(x, "</Level><Task>");
    put_int(x, s->task);
    tl_buf_puts(x, "</Task><Opcode>");
    put_int(x, s->opcode);
    tl_buf_puts(x, "</Opcode><Keywords>");
    xml_escaped(x, s->keywords ? s->keywords : "0x8000000000000000", 0);
    tl_time_fmt_systemtime(s->time_created, ts);
    tl_buf_puts(x, "</Keywords><TimeCreated SystemTime='");
    tl_buf_puts(x, ts);
    tl_buf_puts(x, "'/><EventRecordID>");
    put_uint(x, s->record_id);
    tl_buf_puts(x, "</EventRecordID><Correlation/><Execution ProcessID='");
    put_uint(x, s->pid);
    tl_buf_puts(x, "' ThreadID='");
    put_uint(x, s->tid);
    tl_buf_puts(x, "'/><Channel>");
    xml_escaped(x, s->channel ? s->channel : "", 0);
    tl_buf_puts(x, "</Channel><Computer>");
    xml_escaped(x, s->computer ? s->computer : "", 0);
    tl_buf_puts(x, "</Computer>");
    if (s->user_sid && *s->user_sid) {
        tl_buf_puts(x, "<Security UserID='");
        xml_escaped(x, s->user_sid, 1);
        tl_buf_puts(x, "'/>");
    } else {
        tl_buf_puts(x, "<Security/>");
    }
    tl_buf_puts(x, "</System>");
}

static void put_data(tl_buf *x, tl_buf *m, const char *name, const char *value)
{
    tl_buf_puts(x, "<Data Name='");
    xml_escaped(x, name, 1);
    tl_buf_puts(x, "'>");
    xml_escaped(x, value, 0);
    tl_buf_puts(x, "</Data>");
    if (m) {
        tl_buf_puts(m, "\r\n");
        tl_buf_puts(m, name);
        tl_buf_puts(m, ": ");
        tl_buf_puts(m, value ? value : "");
    }
}

static tl_status buf_st(const tl_buf *a, const tl_buf *b)
{
    if (tl_buf_status(a) != TL_OK || (b && tl_buf_status(b) != TL_OK))
        return TL_E_NOMEM;
    return TL_OK;
}

void tl_sysmon_system_defaults(int id, tl_winevt_system *sys)
{
    const tl_sm_evtype *t = tl_sm_evtype_get(id);
    memset(sys, 0, sizeof *sys);
    sys->provider_name = "Microsoft-Windows-Sysmon";
    sys->provider_guid = SYSMON_GUID;
    sys->event_id = id;
    sys->version = t ? t->version : 0;
    sys->level = 4;
    sys->task = id;
    sys->opcode = 0;
    sys->keywords = "0x8000000000000000";
    sys->channel = "Microsoft-Windows-Sysmon/Operational";
    sys->user_sid = "S-1-5-18";
}

void tl_winevt_security_defaults(int id, tl_winevt_system *sys)
{
    memset(sys, 0, sizeof *sys);
    sys->provider_name = "Microsoft-Windows-Security-Auditing";
    sys->provider_guid = "{54849625-5478-4994-a5ba-3e3b0328c30d}";
    sys->event_id = id;
    sys->version = 1;
    sys->level = 0;
    sys->task = 12804;
    sys->opcode = 0;
    sys->keywords = "0x8020000000000000";
    sys->channel = "Security";
    sys->user_sid = NULL;
}

void tl_winevt_taskscheduler_defaults(int id, tl_winevt_system *sys)
{
    memset(sys, 0, sizeof *sys);
    sys->provider_name = "Microsoft-Windows-TaskScheduler";
    sys->provider_guid = "{de7b24ea-73c8-4a09-985d-5bdadcfa9017}";
    sys->event_id = id;
    sys->version = 0;
    sys->level = 4;
    sys->task = id;
    /* start/stop opcodes for instance and action events [A] */
    sys->opcode = (id == 100 || id == 129 || id == 200) ? 1 : (id == 102 || id == 201) ? 2 : 0;
    sys->keywords = "0x8000000000000000";
    sys->channel = "Microsoft-Windows-TaskScheduler/Operational";
    sys->user_sid = "S-1-5-18";
}

/* Does the config's schema carry this field of event id? */
static int schema_has(int schema, int id, const char *name, int is_last)
{
    if (strcmp(name, "OriginalFileName") == 0)
        return schema >= 421;
    if (schema < 480) {
        if (strcmp(name, "ParentUser") == 0)
            return 0;
        if ((id == 8 || id == 10) &&
            (strcmp(name, "SourceUser") == 0 || strcmp(name, "TargetUser") == 0))
            return 0;
        if (is_last && strcmp(name, "User") == 0)
            return 0;
    }
    return 1;
}

tl_status tl_sysmon_render(const tl_sysmon_config *c, const tl_sysmon_event *ev,
                           const char *rule_name, const tl_winevt_system *sys, tl_buf *xml,
                           tl_buf *message)
{
    if (!ev || !sys || !xml)
        return TL_E_INVAL;
    const int schema = tl_sm_schema_num(c);
    const tl_sm_evtype *t = tl_sm_evtype_get(ev->id);
    /* "trailing User": the id's 4.90 layout ends with User (7, 11-14, ...) */
    const int user_last =
        t && t->nfields && strcmp(t->fields[t->nfields - 1], "User") == 0 && ev->id != 1;
    render_system(xml, sys);
    if (message)
        tl_buf_puts(message, t ? t->title : "Sysmon event:");
    tl_buf_puts(xml, "<EventData>");
    if (schema >= 410 && (!t || t->kind >= 0))
        put_data(xml, message, "RuleName", rule_name && *rule_name ? rule_name : "-");
    for (size_t i = 0; i < ev->nfields; i++) {
        const char *name = ev->fields[i].name;
        if (!name || strcmp(name, "RuleName") == 0)
            continue;
        if (!schema_has(schema, ev->id, name, user_last))
            continue;
        const char *v = ev->fields[i].value;
        put_data(xml, message, name, v && *v ? v : "-");
    }
    tl_buf_puts(xml, "</EventData></Event>");
    return buf_st(xml, message);
}

tl_status tl_winevt_render(const tl_winevt_system *sys, const tl_evfield *fields, size_t n,
                           const char *eventdata_name, const char *message_first_line,
                           tl_buf *xml, tl_buf *message)
{
    if (!sys || !xml || (n && !fields))
        return TL_E_INVAL;
    tl_buf *m = message_first_line ? message : NULL;
    render_system(xml, sys);
    if (m)
        tl_buf_puts(m, message_first_line);
    if (eventdata_name) {
        tl_buf_puts(xml, "<EventData Name='");
        xml_escaped(xml, eventdata_name, 1);
        tl_buf_puts(xml, "'>");
    } else {
        tl_buf_puts(xml, "<EventData>");
    }
    for (size_t i = 0; i < n; i++)
        put_data(xml, m, fields[i].name ? fields[i].name : "", fields[i].value);
    tl_buf_puts(xml, "</EventData></Event>");
    return buf_st(xml, m);
}
