/* SPDX-License-Identifier: MIT */
/*
 * Pre-decoding (analysisd cleanevent.c OS_CleanMSG, wazuh.md §2).
 *
 * Input: a queue line "q:location:log".
 *  - The location ends at the first ':' not escaped as "|:" (for agent
 *    locations "[id] (name) ip->path" the search starts after "->", so an
 *    IPv6 address does not split it). "|:" in the location becomes ":".
 *  - "[001] (WS01) any->EventChannel" gives agent_id "001", agent_name
 *    "WS01", agent_ip "any", location "(WS01) any->EventChannel",
 *    location_path "EventChannel" and hostname "WS01". Any other location is
 *    manager-local: agent_id "000", agent_name = hostname = manager name,
 *    agent_ip NULL, location_path = location.
 *  - full_log = the log text. log starts after a recognised syslog-like
 *    header; then dec_timestamp (the header's date text), hostname and
 *    program_name ("name: ", "name[pid]: " or "name[pid]:") are set.
 *
 * Recognised headers (positions checked like analysisd: separators only):
 *   "Dec 25 20:45:02 "                 (Mmm dd hh:mm:ss)
 *   "2015 Dec 29 10:00:01 "            (YYYY Mmm dd hh:mm:ss)
 *   "2015-12-29T10:00:01[.frac][Z|+hh:mm|-hh:mm] "  (ISO 8601)
 *   "2015-12-29 10:00:01,123 "         (YYYY-MM-DD hh:mm:ss,mmm)
 * Not headers: the active-response log's "2025/01/15 10:00:00 ..." and the
 * IIS/Windows-firewall "2006-07-23 04:40:02 ..." (their decoders match the
 * date themselves), and anything starting with '{' (log == full_log).
 * Not reproduced: xferlog, snort/suricata, apache, OSX ASL and squid forms.
 *
 * Worked example: "1:stdin:Dec 25 20:45:02 MyHost prog[123]: msg" ->
 * dec_timestamp "Dec 25 20:45:02", hostname "MyHost", program_name "prog",
 * log "msg", full_log "Dec 25 20:45:02 MyHost prog[123]: msg".
 */
#include "decoder_int.h"

#include <ctype.h>
#include <string.h>

static int is_host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* Length of the timestamp text and offset of what follows it; 0 = none. */
static size_t header_len(const char *s, size_t n, size_t *ts_len)
{
    if (n >= 17 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':' && s[15] == ' ') {
        *ts_len = 15;
        return 16;
    }
    if (n >= 21 && s[4] == ' ' && s[8] == ' ' && s[11] == ' ' && s[14] == ':' && s[17] == ':' &&
        s[20] == ' ') {
        *ts_len = 20;
        return 21;
    }
    if (n >= 21 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':') {
        size_t i = 19;
        if (i < n && s[i] == '.') {
            size_t j = i + 1;
            while (j < n && isdigit((unsigned char)s[j]))
                j++;
            if (j == i + 1)
                return 0;
            i = j;
        }
        if (i < n && s[i] == 'Z') {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            if (i + 6 > n || !isdigit((unsigned char)s[i + 1]) ||
                !isdigit((unsigned char)s[i + 2]) || s[i + 3] != ':' ||
                !isdigit((unsigned char)s[i + 4]) || !isdigit((unsigned char)s[i + 5]))
                return 0;
            i += 6;
        }
        if (i < n && s[i] == ' ') {
            *ts_len = i;
            return i + 1;
        }
        return 0;
    }
    if (n >= 25 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' &&
        s[19] == ',' && s[23] == ' ') {
        *ts_len = 23;
        return 24;
    }
    return 0;
}

/* "name:" or "name[pid]:" (a space after the ':' is optional) at p; returns the name length and
 * sets *after to the message start, or 0 when there is no program name. */
static size_t program_at(const char *p, const char **after)
{
    size_t l = 0;
    while (p[l] && p[l] != ' ' && p[l] != ':' && p[l] != '[')
        l++;
    if (l == 0)
        return 0;
    const char *q = p + l;
    if (*q == '[') {
        const char *rb = strchr(q, ']');
        if (!rb || memchr(q, ' ', (size_t)(rb - q)))
            return 0;
        q = rb + 1;
        /* "name[pid]:msg": some syslog daemons put no space after "]:"
         * (the engine INIs of Wazuh's ruleset tests rely on it) */
        if (*q == ':' && q[1] != ' ' && q[1] != '\0') {
            *after = q + 1;
            return l;
        }
    }
    if (*q != ':')
        return 0;
    *after = q[1] == ' ' ? q + 2 : q + 1; /* "prog[1]:msg" is accepted too */
    return l;
}

static tl_status parse_header(tl_event *ev)
{
    const char *s = ev->full_log;
    size_t n = strlen(s), ts = 0;
    size_t off = header_len(s, n, &ts);
    if (!off)
        return TL_OK;
    ev->dec_timestamp = tl_strndup(s, ts);
    if (!ev->dec_timestamp)
        return TL_E_NOMEM;
    const char *p = s + off;
    if (*p == ' ')
        p++;
    ev->log = p;
    const char *h = p;
    while (is_host_char(*h))
        h++;
    const char *prog = NULL;
    if (h > p && *h == ' ') {
        char *host = tl_strndup(p, (size_t)(h - p));
        if (!host)
            return TL_E_NOMEM;
        tl_free(ev->hostname);
        ev->hostname = host;
        prog = h + 1;
        ev->log = prog;
    } else if (h > p && (*h == ':' || *h == '[')) {
        prog = p; /* "prog: msg" without a hostname */
    }
    if (prog) {
        const char *after = NULL;
        size_t l = program_at(prog, &after);
        if (l) {
            ev->program_name = tl_strndup(prog, l);
            if (!ev->program_name)
                return TL_E_NOMEM;
            ev->log = after;
        }
    }
    return TL_OK;
}

/* Copy s[0..n) turning "|:" into ":". */
static char *unescape_location(const char *s, size_t n)
{
    char *o = tl_malloc(n + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|' && i + 1 < n && s[i + 1] == ':')
            continue;
        o[j++] = s[i];
    }
    o[j] = '\0';
    return o;
}

tl_status tl_predecode(const char *queue_line, const char *manager_name, tl_time now, tl_event *ev,
                       tl_diag *d)
{
    if (!queue_line || !ev)
        return TL_E_INVAL;
    tl_status st = TL_OK;
    const char *mgr = manager_name ? manager_name : "manager";
    if (strlen(queue_line) < 2 || queue_line[1] != ':') {
        tl_diag_set(d, NULL, 0, "Invalid message format (expected 'q:location:log').");
        return TL_E_PARSE;
    }
    tl_event_init(ev);
    ev->queue = queue_line[0];
    ev->time = now;
    const char *msg = queue_line + 2;
    const char *from = msg;
    if (*msg == '[' || *msg == '(') {
        const char *arrow = strstr(msg, "->");
        if (arrow)
            from = arrow + 2;
    }
    const char *colon = from;
    for (;;) {
        colon = strchr(colon, ':');
        if (!colon || colon == msg || colon[-1] != '|')
            break;
        colon++;
    }
    if (!colon) {
        tl_diag_set(d, NULL, 0, "Invalid message format: no location.");
        TL_FAIL(TL_E_PARSE);
    }
    char *loc = unescape_location(msg, (size_t)(colon - msg));
    TL_TRY_ALLOC(loc);

    const char *rest = loc;
    if (*loc == '[') {
        const char *rb = strchr(loc, ']');
        if (!rb) {
            tl_free(loc);
            tl_diag_set(d, NULL, 0, "Invalid message format: bad agent id.");
            TL_FAIL(TL_E_PARSE);
        }
        ev->agent_id = tl_strndup(loc + 1, (size_t)(rb - loc - 1));
        rest = rb + 1;
        if (*rest == ' ')
            rest++;
    }
    const char *arrow = strstr(rest, "->");
    if (*rest == '(' && arrow && strchr(rest, ')') && strchr(rest, ')') < arrow) {
        const char *rp = strchr(rest, ')');
        ev->agent_name = tl_strndup(rest + 1, (size_t)(rp - rest - 1));
        const char *ip = rp + 1;
        if (*ip == ' ')
            ip++;
        ev->agent_ip = tl_strndup(ip, (size_t)(arrow - ip));
        ev->location = tl_strdup(rest);
        ev->location_path = tl_strdup(arrow + 2);
        ev->hostname = tl_strdup(ev->agent_name);
        if (!ev->agent_id)
            ev->agent_id = tl_strdup("000");
        tl_free(loc);
        if (!ev->agent_id || !ev->agent_name || !ev->agent_ip || !ev->location ||
            !ev->location_path || !ev->hostname)
            TL_FAIL(TL_E_NOMEM);
    } else {
        if (!ev->agent_id)
            ev->agent_id = tl_strdup("000");
        ev->agent_name = tl_strdup(mgr);
        ev->hostname = tl_strdup(mgr);
        ev->location = tl_strdup(rest);
        ev->location_path = tl_strdup(rest);
        tl_free(loc);
        if (!ev->agent_id || !ev->agent_name || !ev->hostname || !ev->location ||
            !ev->location_path)
            TL_FAIL(TL_E_NOMEM);
    }
    ev->full_log = tl_strdup(colon + 1);
    TL_TRY_ALLOC(ev->full_log);
    ev->log = ev->full_log;
    TL_TRY(parse_header(ev));
    return TL_OK;
cleanup:
    tl_event_clear(ev);
    return st;
}
