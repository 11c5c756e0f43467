/* SPDX-License-Identifier: MIT */
/*
 * EvtRender form of an Event element (the XML the Windows agent ships).
 *
 * Input is one <Event> element as libevtx prints it (indented, double
 * quotes, entities), as wevtutil exports it, or already in agent form. It is
 * read with a small tolerant tokenizer, not an XML library: real Security
 * records hold characters XML 1.0 forbids (U+000F, U+0008…), which libxml2
 * would reject, and the agent carries them through. Output rules, checked
 * byte for byte against what the oracle fed a real analysisd
 * (../shared/reference/oracle/README.md):
 *  - no whitespace between elements: text made only of whitespace next to a
 *    child element is formatting and dropped; the text of a leaf element is
 *    kept exactly (leading/trailing spaces, tabs, control characters);
 *  - an element with no content is written `<X a='v'/>`;
 *  - attributes in single quotes; entities decoded, then `& < > ' "`
 *    re-escaped in attribute values and `& < >` in text;
 *  - XML end-of-line handling: CR LF and a lone CR become LF (what an XML
 *    reader hands EvtRender's consumer; the oracle's messages have no CR).
 * Comments, processing instructions and DOCTYPE are skipped.
 */
#include "replay_int.h"

#include <string.h>

#define MAX_DEPTH 64

typedef struct el_state {
    const char *name;
    size_t name_len;
    int open_pending; /* start tag written without its '>' yet */
    int has_child;
} el_state;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int is_name_char(char c)
{
    return c && !is_space(c) && c != '>' && c != '/' && c != '=' && c != '<' && c != '\'' &&
           c != '"';
}

/* Decode entities and line ends of s[0..n) and append it escaped for a text
 * node (attr 0) or an attribute value (attr 1). An unknown or malformed
 * entity is kept as its characters (and its '&' escaped). */
void tl_replay_escape(tl_buf *b, const char *s, size_t n, int attr)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned long cp = 0;
        if (c == '&') {
            const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
            int ok = 0;
            if (semi) {
                size_t el = (size_t)(semi - (s + i)) + 1;
                const char *e = s + i;
                if (el == 4 && !memcmp(e, "&lt;", 4))
                    cp = '<', ok = 1;
                else if (el == 4 && !memcmp(e, "&gt;", 4))
                    cp = '>', ok = 1;
                else if (el == 5 && !memcmp(e, "&amp;", 5))
                    cp = '&', ok = 1;
                else if (el == 6 && !memcmp(e, "&quot;", 6))
                    cp = '"', ok = 1;
                else if (el == 6 && !memcmp(e, "&apos;", 6))
                    cp = '\'', ok = 1;
                else if (el > 3 && e[1] == '#') {
                    int hex = e[2] == 'x' || e[2] == 'X';
                    size_t k = hex ? 3 : 2;
                    ok = k < el - 1;
                    for (; ok && k < el - 1; k++) {
                        char h = e[k];
                        int v = h >= '0' && h <= '9'   ? h - '0'
                                : hex && h >= 'a' && h <= 'f' ? h - 'a' + 10
                                : hex && h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                            : -1;
                        if (v < 0 || cp > 0x10FFFF)
                            ok = 0;
                        else
                            cp = cp * (hex ? 16u : 10u) + (unsigned)v;
                    }
                    if (ok && (cp == 0 || cp > 0x10FFFF))
                        ok = 0;
                }
                if (ok)
                    i += el - 1;
                if (ok && cp == '\r') {
                    /* a referenced CR follows the end-of-line rule too, so the
                     * agent form renders to itself */
                    cp = '\n';
                    if (i + 1 < n && s[i + 1] == '\n')
                        i++;
                    else if (i + 5 < n && !memcmp(s + i + 1, "&#10;", 5))
                        i += 5;
                }
            }
            if (!ok)
                cp = '&';
        } else if (c == '\r') {
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
            cp = '\n';
        } else {
            /* copy a run of plain bytes at once */
            size_t j = i;
            while (j < n && s[j] != '&' && s[j] != '\r' && s[j] != '<' && s[j] != '>' &&
                   s[j] != '\'' && s[j] != '"')
                j++;
            if (j > i) {
                tl_buf_append(b, s + i, j - i);
                i = j - 1;
                continue;
            }
            cp = (unsigned char)c;
        }
        switch (cp) {
        case '&': tl_buf_puts(b, "&amp;"); break;
        case '<': tl_buf_puts(b, "&lt;"); break;
        case '>': tl_buf_puts(b, "&gt;"); break;
        case '\'':
            tl_buf_puts(b, attr ? "&apos;" : "'");
            break;
        case '"':
            tl_buf_puts(b, attr ? "&quot;" : "\"");
            break;
        default:
            if (cp < 0x80)
                tl_buf_putc(b, (char)cp);
            else
                tl_buf_put_utf8(b, cp);
        }
    }
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return 0;
    return 1;
}

/* Whitespace only once entities are decoded (&#10; counts): such text next to
 * a child element is formatting. */
static int all_space_decoded(const char *s, size_t n)
{
    if (all_space(s, n))
        return 1;
    if (!memchr(s, '&', n))
        return 0;
    tl_buf t = TL_BUF_INIT;
    tl_replay_escape(&t, s, n, 0);
    int r = !t.oom && all_space(t.data ? t.data : "", t.len);
    tl_buf_free(&t);
    return r;
}

static uint64_t parse_u64(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

tl_status tl_replay_render(const char *xml, size_t len, tl_buf *out, tl_buf *channel,
                           uint64_t *record_id, tl_time *time)
{
    el_state st[MAX_DEPTH];
    int depth = 0, done = 0;
    const char *text = NULL; /* pending text of the current element */
    size_t text_len = 0;
    size_t i = 0;
    /* which leaf we are inside, for Channel / EventRecordID */
    int in_channel = 0, in_recid = 0;

    if (record_id)
        *record_id = 0;
    if (time)
        *time = 0;
    while (i < len && !done) {
        if (xml[i] != '<') {
            size_t j = i;
            while (j < len && xml[j] != '<')
                j++;
            if (depth > 0) {
                text = xml + i;
                text_len = j - i;
            }
            i = j;
            continue;
        }
        /* markup */
        if (i + 3 < len && !memcmp(xml + i, "<!--", 4)) {
            const char *e = NULL;
            for (size_t k = i + 4; k + 2 < len; k++)
                if (xml[k] == '-' && xml[k + 1] == '-' && xml[k + 2] == '>') {
                    e = xml + k;
                    break;
                }
            if (!e)
                return TL_E_PARSE;
            i = (size_t)(e - xml) + 3;
            continue;
        }
        if (i + 1 < len && (xml[i + 1] == '?' || xml[i + 1] == '!')) {
            const char *e = memchr(xml + i, '>', len - i);
            if (!e)
                return TL_E_PARSE;
            i = (size_t)(e - xml) + 1;
            continue;
        }
        if (i + 1 < len && xml[i + 1] == '/') {
            /* end tag */
            size_t k = i + 2, ns = k;
            while (k < len && is_name_char(xml[k]))
                k++;
            size_t nl = k - ns;
            while (k < len && is_space(xml[k]))
                k++;
            if (k >= len || xml[k] != '>' || depth == 0)
                return TL_E_PARSE;
            el_state *cur = &st[depth - 1];
            if (nl != cur->name_len || memcmp(xml + ns, cur->name, nl))
                return TL_E_PARSE;
            if (text && text_len && !(cur->has_child && all_space_decoded(text, text_len))) {
                if (cur->open_pending) {
                    tl_buf_putc(out, '>');
                    cur->open_pending = 0;
                }
                if (in_channel && channel)
                    tl_replay_escape(channel, text, text_len, 0);
                if (in_recid && record_id)
                    *record_id = parse_u64(text, text_len);
                tl_replay_escape(out, text, text_len, 0);
            }
            text = NULL;
            text_len = 0;
            in_channel = in_recid = 0;
            if (cur->open_pending)
                tl_buf_puts(out, "/>");
            else {
                tl_buf_puts(out, "</");
                tl_buf_append(out, cur->name, cur->name_len);
                tl_buf_putc(out, '>');
            }
            depth--;
            if (depth == 0)
                done = 1;
            i = k + 1;
            continue;
        }
        /* start tag */
        size_t k = i + 1, ns = k;
        while (k < len && is_name_char(xml[k]))
            k++;
        size_t nl = k - ns;
        if (!nl)
            return TL_E_PARSE;
        if (depth == MAX_DEPTH)
            return TL_E_LIMIT;
        if (depth > 0) {
            el_state *par = &st[depth - 1];
            if (text && text_len && !all_space_decoded(text, text_len)) {
                /* mixed content: keep the text */
                if (par->open_pending) {
                    tl_buf_putc(out, '>');
                    par->open_pending = 0;
                }
                tl_replay_escape(out, text, text_len, 0);
            }
            if (par->open_pending) {
                tl_buf_putc(out, '>');
                par->open_pending = 0;
            }
            par->has_child = 1;
        } else if (nl != 5 || memcmp(xml + ns, "Event", 5)) {
            return TL_E_PARSE;
        }
        text = NULL;
        text_len = 0;
        in_channel = nl == 7 && !memcmp(xml + ns, "Channel", 7);
        in_recid = nl == 13 && !memcmp(xml + ns, "EventRecordID", 13);
        int is_time = nl == 11 && !memcmp(xml + ns, "TimeCreated", 11);
        tl_buf_putc(out, '<');
        tl_buf_append(out, xml + ns, nl);
        /* attributes */
        for (;;) {
            while (k < len && is_space(xml[k]))
                k++;
            if (k >= len)
                return TL_E_PARSE;
            if (xml[k] == '>' || (xml[k] == '/' && k + 1 < len && xml[k + 1] == '>'))
                break;
            size_t an = k;
            while (k < len && is_name_char(xml[k]))
                k++;
            size_t al = k - an;
            while (k < len && is_space(xml[k]))
                k++;
            if (!al || k >= len || xml[k] != '=')
                return TL_E_PARSE;
            k++;
            while (k < len && is_space(xml[k]))
                k++;
            if (k >= len || (xml[k] != '\'' && xml[k] != '"'))
                return TL_E_PARSE;
            char q = xml[k++];
            const char *ve = memchr(xml + k, q, len - k);
            if (!ve)
                return TL_E_PARSE;
            size_t vl = (size_t)(ve - (xml + k));
            if (depth > 0 && al >= 5 && !memcmp(xml + an, "xmlns", 5) &&
                (al == 5 || xml[an + 5] == ':')) {
                /* namespace declarations below Event are not forwarded
                 * (the oracle's messages have none: UserData's
                 * <LogFileCleared xmlns='…'> arrives as <LogFileCleared>) */
                k = (size_t)(ve - xml) + 1;
                continue;
            }
            tl_buf_putc(out, ' ');
            tl_buf_append(out, xml + an, al);
            tl_buf_puts(out, "='");
            tl_replay_escape(out, xml + k, vl, 1);
            tl_buf_putc(out, '\'');
            if (is_time && time && al == 10 && !memcmp(xml + an, "SystemTime", 10) && vl < 64) {
                char tb[64];
                memcpy(tb, xml + k, vl);
                tb[vl] = '\0';
                tl_time t;
                if (tl_time_parse_iso(tb, &t) == TL_OK)
                    *time = t;
            }
            k = (size_t)(ve - xml) + 1;
        }
        if (xml[k] == '/') {
            tl_buf_puts(out, "/>");
            in_channel = in_recid = 0;
            if (depth == 0)
                done = 1;
            i = k + 2;
            if (depth > 0)
                st[depth - 1].has_child = 1;
            continue;
        }
        st[depth].name = xml + ns;
        st[depth].name_len = nl;
        st[depth].open_pending = 1;
        st[depth].has_child = 0;
        depth++;
        i = k + 1;
    }
    if (!done)
        return TL_E_PARSE;
    return tl_buf_status(out) == TL_OK && (!channel || tl_buf_status(channel) == TL_OK)
               ? TL_OK
               : TL_E_NOMEM;
}

void tl_replay_queue_line(const tl_replay_record *rec, const char *agent_id,
                          const char *agent_name, int with_message, tl_buf *out)
{
    if (rec->queue) {
        tl_buf_append(out, rec->queue, rec->queue_len);
        return;
    }
    tl_buf_printf(out, "f:[%s] (%s) any->EventChannel:{", agent_id, agent_name);
    if (with_message && rec->message) {
        tl_buf_puts(out, "\"Message\":");
        tl_buf_json_str(out, rec->message);
        tl_buf_putc(out, ',');
    }
    tl_buf_puts(out, "\"Event\":");
    tl_buf_json_strn(out, rec->event, rec->event_len);
    tl_buf_putc(out, '}');
}
