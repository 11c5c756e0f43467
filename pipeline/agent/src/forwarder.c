/* SPDX-License-Identifier: MIT */
/*
 * Eventchannel forwarder and the analysisd queue line (wazuh.md §1, §1.1).
 *
 * The Windows agent (read_win_event_channel.c fn send_channel_event) renders a
 * record with EvtRender(EvtRenderEventXml), passes the XML through
 * logcollector.c fn win_format_event_string and sends
 *   {"Message":"<EvtFormatMessage text>","Event":"<xml>"}
 * printed by cJSON_PrintUnformatted — Message first, absent when formatting
 * failed. The Message keeps its CR LF; only the XML is reformatted.
 *
 * win_format_event_string walks the string: at '\n' or '\r' it writes a
 * space; after '\n', '\r' or ':' every directly following tab becomes a space
 * (the upstream loop converts the whole run of tabs).
 *
 * Queue line (remoted secure.c, mq_op.c): `<q>:[<id>] (<name>) <ip>-><location>:<log>`;
 * a ':' inside the location is escaped with a '|' in front (`C|:\…`), which is
 * what OS_CleanMSG skips when it looks for the first unescaped ':'.
 */
#include "tasklab/agent.h"

#include <string.h>

char *tl_agent_eventchannel_payload(const char *message, const char *xml)
{
    tl_buf b = TL_BUF_INIT;
    const char *src = xml ? xml : "";
    char *x = NULL;
    /* what follows changes only newlines and tabs: a record without any (all
     * of the simulator's) is used as it is, without a copy */
    if (src[strcspn(src, "\t\n\r")] && !(x = tl_strdup(src)))
        return NULL;
    for (char *p = x; p && *p;) {
        if (*p == '\n' || *p == '\r' || *p == ':') {
            if (*p != ':')
                *p = ' ';
            p++;
            while (*p == '\t')
                *p++ = ' ';
            continue;
        }
        p++;
    }
    tl_buf_putc(&b, '{');
    if (message) {
        tl_buf_puts(&b, "\"Message\":");
        tl_buf_json_str(&b, message);
        tl_buf_putc(&b, ',');
    }
    tl_buf_puts(&b, "\"Event\":");
    tl_buf_json_str(&b, x ? x : src);
    tl_buf_putc(&b, '}');
    tl_free(x);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}

char *tl_agent_queue_line(char q, const char *agent_id, const char *agent_name,
                          const char *agent_ip, const char *location, const char *log)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%c:[%s] (%s) %s->", q, agent_id ? agent_id : "", agent_name ? agent_name : "",
                  agent_ip ? agent_ip : "any");
    for (const char *p = location ? location : ""; *p; p++) {
        if (*p == ':')
            tl_buf_putc(&b, '|');
        tl_buf_putc(&b, *p);
    }
    tl_buf_putc(&b, ':');
    tl_buf_puts(&b, log ? log : "");
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}
