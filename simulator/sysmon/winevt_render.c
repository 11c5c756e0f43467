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

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#include "sysmon_int.h"

static const char SYSMON_GUID[] = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}";

/* Output goes through a small stack buffer flushed into the caller's tl_buf
 * in chunks: rendering makes ~100 tiny appends per event. */
typedef struct wr {
    tl_buf *b;
    char *p, *end;
    char buf[4096];
} wr;

static void wr_init(wr *w, tl_buf *b)
{
    w->b = b;
    w->p = w->buf;
    w->end = w->buf + sizeof w->buf;
}

static void wr_flush(wr *w)
{
    if (w->b && w->p > w->buf)
        tl_buf_append(w->b, w->buf, (size_t)(w->p - w->buf));
    w->p = w->buf;
}

static inline void wr_put(wr *w, const void *s, size_t n)
{
    if ((size_t)(w->end - w->p) < n) {
        wr_flush(w);
        if (n > sizeof w->buf) {
            tl_buf_append(w->b, s, n);
            return;
        }
    }
    memcpy(w->p, s, n);
    w->p += n;
}

static inline void wr_str(wr *w, const char *s) { wr_put(w, s, strlen(s)); }

#define WPUTS(w, lit) wr_put((w), (lit), sizeof(lit) - 1)

/* Escape classes: 1 = always (& < > and control characters other than TAB,
 * CR, LF), 2 = in attributes only ('). */
#define C1 1
static const uint8_t esc_tab[256] = {
    [1] = C1,  [2] = C1,  [3] = C1,  [4] = C1,  [5] = C1,   [6] = C1,   [7] = C1,   [8] = C1,
    [11] = C1, [12] = C1, [14] = C1, [15] = C1, [16] = C1,  [17] = C1,  [18] = C1,  [19] = C1,
    [20] = C1, [21] = C1, [22] = C1, [23] = C1, [24] = C1,  [25] = C1,  [26] = C1,  [27] = C1,
    [28] = C1, [29] = C1, [30] = C1, [31] = C1, ['&'] = C1, ['<'] = C1, ['>'] = C1, ['\''] = 2,
};
#undef C1

/* SWAR: does any byte of x equal c / fall below 0x20? (no false negatives;
 * haszero-style tests are exact for "any", which is all we need). */
#define TL_ONES UINT64_C(0x0101010101010101)
#define TL_HIGHS UINT64_C(0x8080808080808080)
static inline uint64_t has_byte(uint64_t x, unsigned char c)
{
    uint64_t y = x ^ (TL_ONES * c);
    return (y - TL_ONES) & ~y & TL_HIGHS;
}

static inline uint64_t has_ctrl(uint64_t x) { return (x - TL_ONES * 0x20) & ~x & TL_HIGHS; }

#if defined(__SSE2__) && defined(__GNUC__)
/* Bit i set when byte i of the 16 at p may need escaping: below 0x20, '&', '<', '>' and,
 * in attributes, '\''. TAB, CR and LF are flagged too; esc_tab decides. */
static inline unsigned sse_esc_mask(const unsigned char *p, int attr)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    __m128i m = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, _mm_set1_epi8('&')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('>')));
    if (attr)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The n bytes at s, escaped; runs that need nothing are copied whole. */
static void xml_escaped_n(wr *w, const char *s, size_t n, int attr)
{
    const uint8_t mask = attr ? 3 : 1;
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    while (p < end) {
#if defined(__SSE2__) && defined(__GNUC__)
        /* skip 16 clean bytes at a time */
        while (end - p >= 16) {
            unsigned m = sse_esc_mask(p, attr);
            if (m) {
                p += __builtin_ctz(m);
                break;
            }
            p += 16;
        }
#endif
        /* skip 8 clean bytes at a time */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (has_ctrl(x) | has_byte(x, '&') | has_byte(x, '<') | has_byte(x, '>') |
                (attr ? has_byte(x, '\'') : 0))
                break;
            p += 8;
        }
        if (p >= end)
            break;
        const uint8_t k = esc_tab[*p];
        if (!(k & mask)) {
            p++;
            continue;
        }
        wr_put(w, run, (size_t)(p - run));
        run = p + 1;
        switch (*p) {
        case '&':
            WPUTS(w, "&amp;");
            break;
        case '<':
            WPUTS(w, "&lt;");
            break;
        case '>':
            WPUTS(w, "&gt;");
            break;
        case '\'':
            WPUTS(w, "&apos;");
            break;
        default: {
            static const char hex[] = "0123456789ABCDEF";
            char num[8];
            size_t k2 = 0;
            num[k2++] = '&';
            num[k2++] = '#';
            num[k2++] = 'x';
            if (*p >= 16)
                num[k2++] = hex[*p >> 4];
            num[k2++] = hex[*p & 15];
            num[k2++] = ';';
            wr_put(w, num, k2);
        }
        }
        p++;
    }
    wr_put(w, run, (size_t)(end - run));
}

static void xml_escaped(wr *w, const char *s, int attr)
{
    if (s)
        xml_escaped_n(w, s, strlen(s), attr);
}

static void put_uint(wr *w, uint64_t v)
{
    char tmp[24];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wr_put(w, tmp + k, sizeof tmp - k);
}

static void put_int(wr *w, int v)
{
    if (v < 0) {
        WPUTS(w, "-");
        put_uint(w, (uint64_t)(-(int64_t)v));
    } else {
        put_uint(w, (uint64_t)v);
    }
}

/* "2022-04-13T11:59:41.5535360Z": 7 fraction digits, the 7th always 0 since
 * virtual time has microseconds (same text as tl_time_fmt_systemtime). */
static void put_systemtime(wr *w, tl_time t)
{
    int y, mo, d, h, mi, sec, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &sec, &us);
    if (y < 0 || y > 9999) {
        char ts[32];
        tl_time_fmt_systemtime(t, ts);
        wr_str(w, ts);
        return;
    }
    char o[28];
    o[0] = (char)('0' + y / 1000);
    o[1] = (char)('0' + y / 100 % 10);
    o[2] = (char)('0' + y / 10 % 10);
    o[3] = (char)('0' + y % 10);
    o[4] = '-';
    o[5] = (char)('0' + mo / 10);
    o[6] = (char)('0' + mo % 10);
    o[7] = '-';
    o[8] = (char)('0' + d / 10);
    o[9] = (char)('0' + d % 10);
    o[10] = 'T';
    o[11] = (char)('0' + h / 10);
    o[12] = (char)('0' + h % 10);
    o[13] = ':';
    o[14] = (char)('0' + mi / 10);
    o[15] = (char)('0' + mi % 10);
    o[16] = ':';
    o[17] = (char)('0' + sec / 10);
    o[18] = (char)('0' + sec % 10);
    o[19] = '.';
    for (int i = 25; i >= 20; i--) {
        o[i] = (char)('0' + us % 10);
        us /= 10;
    }
    o[26] = '0';
    o[27] = 'Z';
    wr_put(w, o, sizeof o);
}

static void render_system(wr *x, const tl_winevt_system *s)
{
    WPUTS(x, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
             "<Provider Name='");
    xml_escaped(x, s->provider_name ? s->provider_name : "", 1);
    if (s->provider_guid) {
        WPUTS(x, "' Guid='");
        xml_escaped(x, s->provider_guid, 1);
    }
    WPUTS(x, "'/><EventID>");
    put_int(x, s->event_id);
    WPUTS(x, "</EventID><Version>");
    put_int(x, s->version);
    WPUTS(x, "</Version><Level>");
    put_int(x, s->level);
    WPUTS(x, "</Level><Task>");
    put_int(x, s->task);
    WPUTS(x, "</Task><Opcode>");
    put_int(x, s->opcode);
    WPUTS(x, "</Opcode><Keywords>");
    xml_escaped(x, s->keywords ? s->keywords : "0x8000000000000000", 0);
    WPUTS(x, "</Keywords><TimeCreated SystemTime='");
    put_systemtime(x, s->time_created);
    WPUTS(x, "'/><EventRecordID>");
    put_uint(x, s->record_id);
    WPUTS(x, "</EventRecordID><Correlation/><Execution ProcessID='");
    put_uint(x, s->pid);
    WPUTS(x, "' ThreadID='");
    put_uint(x, s->tid);
    WPUTS(x, "'/><Channel>");
    xml_escaped(x, s->channel ? s->channel : "", 0);
    WPUTS(x, "</Channel><Computer>");
    xml_escaped(x, s->computer ? s->computer : "", 0);
    WPUTS(x, "</Computer>");
    if (s->user_sid && *s->user_sid) {
        WPUTS(x, "<Security UserID='");
        xml_escaped(x, s->user_sid, 1);
        WPUTS(x, "'/>");
    } else {
        WPUTS(x, "<Security/>");
    }
    WPUTS(x, "</System>");
}

static void put_data(wr *x, wr *m, const char *name, const char *value)
{
    const size_t nl = strlen(name), vl = value ? strlen(value) : 0;
    WPUTS(x, "<Data Name='");
    xml_escaped_n(x, name, nl, 1);
    WPUTS(x, "'>");
    xml_escaped_n(x, value ? value : "", vl, 0);
    WPUTS(x, "</Data>");
    if (m) {
        WPUTS(m, "\r\n");
        wr_put(m, name, nl);
        WPUTS(m, ": ");
        wr_put(m, value ? value : "", vl);
    }
}

static tl_status finish(wr *x, wr *m)
{
    wr_flush(x);
    if (m)
        wr_flush(m);
    if (tl_buf_status(x->b) != TL_OK || (m && tl_buf_status(m->b) != TL_OK))
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
    if (schema >= 480 && name[0] != 'O')
        return 1;
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
    wr xw, mw;
    wr *m = NULL;
    wr_init(&xw, xml);
    if (message) {
        wr_init(&mw, message);
        m = &mw;
        wr_str(m, t ? t->title : "Sysmon event:");
    }
    render_system(&xw, sys);
    WPUTS(&xw, "<EventData>");
    if (schema >= 410 && (!t || t->kind >= 0))
        put_data(&xw, m, "RuleName", rule_name && *rule_name ? rule_name : "-");
    for (size_t i = 0; i < ev->nfields; i++) {
        const char *name = ev->fields[i].name;
        if (!name || strcmp(name, "RuleName") == 0)
            continue;
        if (!schema_has(schema, ev->id, name, user_last))
            continue;
        const char *v = ev->fields[i].value;
        put_data(&xw, m, name, v && *v ? v : "-");
    }
    WPUTS(&xw, "</EventData></Event>");
    return finish(&xw, m);
}

tl_status tl_winevt_render(const tl_winevt_system *sys, const tl_evfield *fields, size_t n,
                           const char *eventdata_name, const char *message_first_line, tl_buf *xml,
                           tl_buf *message)
{
    if (!sys || !xml || (n && !fields))
        return TL_E_INVAL;
    wr xw, mw;
    wr *m = NULL;
    wr_init(&xw, xml);
    if (message_first_line && message) {
        wr_init(&mw, message);
        m = &mw;
        wr_str(m, message_first_line);
    }
    render_system(&xw, sys);
    if (eventdata_name) {
        WPUTS(&xw, "<EventData Name='");
        xml_escaped(&xw, eventdata_name, 1);
        WPUTS(&xw, "'>");
    } else {
        WPUTS(&xw, "<EventData>");
    }
    for (size_t i = 0; i < n; i++)
        put_data(&xw, m, fields[i].name ? fields[i].name : "", fields[i].value);
    WPUTS(&xw, "</EventData></Event>");
    return finish(&xw, m);
}
