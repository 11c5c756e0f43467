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
 * Headers: the eleven formats of OS_CleanMSG in its order (wazuh.md §2.2:
 * BSD syslog, proftpd, ISO 8601 with offset/fraction, year + BSD, macOS
 * ULS, xferlog, snort, suricata, Apache 2.2 error, macOS ASL, squid), only
 * the listed separator positions checked, first match wins. Formats 1-5 then
 * skip one space and take hostname and program name with hostname_map's
 * character set (A-Z a-z 0-9 ( ) - . / @ _; so "%IPS-4-SIGNATURE:" is no
 * program name), "prog:", "prog[pid]:", "prog[pid] ", AIX "fac|sev:" and the
 * Solaris "[ID n fac.sev]" removal (§2.3). Anything else (JSON, "<PRI>",
 * "2025/01/15 10:00:00 ..." of the AR log) leaves log == full_log.
 *
 * Worked example: "1:stdin:Dec 25 20:45:02 MyHost prog[123]: msg" ->
 * dec_timestamp "Dec 25 20:45:02", hostname "MyHost", program_name "prog",
 * log "msg", full_log "Dec 25 20:45:02 MyHost prog[123]: msg".
 */
#include "decode/decoder_int.h"

#include <ctype.h>
#include <string.h>

/* os_regex_maps.c hostname_map (isValidChar): A-Z a-z 0-9 ( ) - . / @ _ */
static int is_host_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '@' || c == '_';
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        tl_status s_ = (x);                                                                        \
        if (s_ != TL_OK)                                                                           \
            return s_;                                                                             \
    } while (0)

static int dig(char c)
{
    return c >= '0' && c <= '9';
}

/* The header formats of OS_CleanMSG, in its order (wazuh.md §2.2). q is the
 * view the positions are checked on (shifted by one byte for "Mär"), n its
 * length. Sets the timestamp (offset into the unshifted message and length,
 * ts_len 0: none) and the offset where log starts. Returns the format number
 * (1..11) or 0. */
static int header_format(const char *q, size_t n, size_t *ts_off, size_t *ts_len, size_t *log_off)
{
    *ts_off = 0;
    if (n >= 17 && q[3] == ' ' && q[6] == ' ' && q[9] == ':' && q[12] == ':' && q[15] == ' ') {
        *ts_len = 15; /* 1: BSD syslog "Dec 29 10:00:01 " */
        *log_off = 16;
        return 1;
    }
    if (n >= 24 && q[4] == '-' && q[7] == '-' && q[10] == ' ' && q[13] == ':' && q[16] == ':' &&
        q[19] == ',') {
        *ts_len = 23; /* 2: proftpd "2015-04-16 21:51:02,805 " */
        *log_off = 24;
        return 2;
    }
    if (n >= 33 && q[4] == '-' && q[7] == '-' && q[10] == 'T' && q[13] == ':' && q[16] == ':') {
        if (q[22] == ':' && q[25] == ' ') {
            *ts_len = 25; /* 3a: "2007-06-14T15:48:55-04:00 " */
            *log_off = 26;
            return 3;
        }
        if (q[19] == '.') {
            if (q[26] == ':') {
                *ts_len = 29; /* 3b: "2022-12-19T15:02:53.288+00:00 " */
                *log_off = 30;
            } else if (q[29] == ':') {
                *ts_len = 32; /* 3c: "2009-05-22T09:36:46.214994-07:00 " */
                *log_off = 33;
            } else {
                *ts_len = 31; /* 3d: any other fraction */
                *log_off = 32;
            }
            return 3;
        }
    }
    if (n >= 21 && dig(q[0]) && q[4] == ' ' && q[8] == ' ' && q[11] == ' ' && q[14] == ':' &&
        q[17] == ':' && q[20] == ' ') {
        *ts_len = 20; /* 4: "2015 Dec 29 10:00:01 " */
        *log_off = 21;
        return 4;
    }
    if (n >= 33 && dig(q[0]) && q[4] == '-' && q[7] == '-' && q[10] == ' ' && q[13] == ':' &&
        q[16] == ':' && q[19] == '.' && (q[26] == '+' || q[26] == '-') && q[31] == ' ') {
        *ts_len = 31; /* 5: macOS ULS "2021-04-21 10:16:09.404756-0700 " */
        *log_off = 32;
        return 5;
    }
    if (n >= 28 && q[3] == ' ' && q[7] == ' ' && q[10] == ' ' && q[19] == ' ' && q[24] == ' ' &&
        q[26] == ' ' && q[13] == ':' && q[16] == ':') {
        *ts_len = 24; /* 6: xferlog "Mon Apr 17 18:27:14 2006 " */
        *log_off = 25;
        return 6;
    }
    if (n >= 24 && q[2] == '/' && q[5] == '-' && q[8] == ':' && q[11] == ':' && q[14] == '.' &&
        q[21] == ' ') {
        *ts_len = 21; /* 7: snort "01/28-09:13:16.240702 " */
        *log_off = 23;
        return 7;
    }
    if (n >= 28 && q[2] == '/' && q[5] == '/' && q[10] == '-' && q[13] == ':' && q[16] == ':' &&
        q[19] == '.' && q[26] == ' ') {
        *ts_len = 26; /* 8: suricata "01/28/1979-09:13:16.240702 " */
        *log_off = 28;
        return 8;
    }
    if (n >= 27 && q[0] == '[' && q[4] == ' ' && q[8] == ' ' && q[11] == ' ' && q[20] == ' ' &&
        q[14] == ':' && q[17] == ':' && q[25] == ']') {
        *ts_off = 1; /* 9: Apache 2.2 error "[Fri Feb 11 18:06:35 2004] " */
        *ts_len = 24;
        *log_off = 27;
        return 9;
    }
    if (n >= 26 && q[0] == '[' && q[1] == 'T' && q[5] == ' ' && q[16] == ' ' && q[10] == '.' &&
        q[13] == '.' && q[19] == ':') {
        *ts_len = 0; /* 10: macOS ASL "[Time 2006.12.28 15:53:55 UTC] " */
        *log_off = 25;
        return 10;
    }
    if (n >= 32 && q[0] == '1' && dig(q[1]) && dig(q[2]) && dig(q[3]) && q[10] == '.' &&
        dig(q[13]) && q[14] == ' ' && (q[21] == ' ' || q[22] == ' ')) {
        size_t i = 14; /* 11: squid "1140804070.368  " */
        while (q[i] == ' ')
            i++;
        *ts_len = i - 1; /* the fraction and all but the last of the spaces */
        *log_off = i;
        return 11;
    }
    return 0;
}

static tl_status set_str(char **dst, const char *s, size_t n)
{
    char *v = tl_strndup(s, n);
    if (!v)
        return TL_E_NOMEM;
    tl_free(*dst);
    *dst = v;
    return TL_OK;
}

/* macOS ASL (format 10, wazuh.md §2.4): after "[Time ...] ", [Sender X] is
 * the program name, [Message X] the log, [Host X] the hostname (then stop). */
static tl_status parse_asl(tl_event *ev, const char *p, char **host)
{
    int have_prog = 0, have_msg = 0;
    for (const char *b = strchr(p, '['); b; b = strchr(b + 1, '[')) {
        if (!have_prog && !strncmp(b, "[Sender ", 8)) {
            const char *e = strchr(b + 8, ']');
            if (e) {
                TRY(set_str(&ev->program_name, b + 8, (size_t)(e - b - 8)));
                have_prog = 1;
            }
        } else if (!have_msg && !strncmp(b, "[Message ", 9)) {
            const char *e = strchr(b + 9, ']');
            if (e) {
                TRY(set_str(&ev->log_buf, b + 9, (size_t)(e - b - 9)));
                have_msg = 1;
            }
        } else if (!strncmp(b, "[Host ", 6)) {
            const char *e = strchr(b + 6, ']');
            if (e)
                TRY(set_str(host, b + 6, (size_t)(e - b - 6)));
            break;
        }
    }
    if (ev->log_buf)
        ev->log = ev->log_buf;
    return TL_OK;
}

/* Hostname and program name after formats 1-5 (wazuh.md §2.3). */
static tl_status parse_host_prog(tl_event *ev, const char *p, char **host)
{
    const char *h = p;
    while (is_host_char(*h))
        h++;
    if (h[0] == ':' && h[1] == ' ') {
        /* Solaris 8/9: "prog: msg", no hostname */
        TRY(set_str(&ev->program_name, p, (size_t)(h - p)));
        ev->log = h + 2;
        goto solaris_id;
    }
    if (*h != ' ')
        return TL_OK;
    TRY(set_str(host, p, (size_t)(h - p)));
    const char *prog = h + 1;
    ev->log = prog;
    const char *e = prog;
    while (is_host_char(*e))
        e++;
    const char *msg = NULL;
    const char *pe = e;
    if (*e == ':') {
        msg = e + 1;
        if (*msg == ' ')
            msg++;
    } else if (*e == '[' && dig(e[1])) {
        const char *d = e + 1;
        while (dig(*d))
            d++;
        if (d[0] == ']' && d[1] == ':') {
            msg = d + 2;
            if (*msg == ' ')
                msg++;
        } else if (d[0] == ']' && d[1] == ' ') {
            msg = d + 2;
        }
    } else if (*e == '|' && e[1] >= 'a' && e[1] <= 'z') {
        /* AIX "auth|security:info sshd[123]: msg" */
        const char *a = e + 1;
        while (isalnum((unsigned char)*a))
            a++;
        if (*a == ':') {
            a++;
            while (isalnum((unsigned char)*a))
                a++;
            if (*a == ' ') {
                const char *p2 = a + 1, *e2 = p2;
                while (is_host_char(*e2))
                    e2++;
                if (e2[0] == ':' && e2[1] == ' ') {
                    prog = p2;
                    pe = e2;
                    msg = e2 + 2;
                } else if (e2[0] == '[' && dig(e2[1])) {
                    const char *d = e2 + 1;
                    while (dig(*d))
                        d++;
                    if (d[0] == ']' && d[1] == ':' && d[2] == ' ') {
                        prog = p2;
                        pe = e2;
                        msg = d + 3;
                    }
                }
            }
        }
    }
    if (!msg)
        return TL_OK;
    TRY(set_str(&ev->program_name, prog, (size_t)(pe - prog)));
    ev->log = msg;
solaris_id:
    /* Solaris "[ID 800047 auth.info] " after the program name */
    if (!strncmp(ev->log, "[ID ", 4)) {
        const char *rb = strchr(ev->log, ']');
        if (rb && rb[1])
            ev->log = rb + 2;
        else if (rb)
            ev->log = rb + 1;
    }
    return TL_OK;
}

/* OS_CleanMSG's header parsing on full_log (wazuh.md §2.2-2.5). *host gets
 * the header's hostname (formats 1-5, 10) or stays NULL. */
static tl_status parse_header(tl_event *ev, char **host)
{
    const char *s = ev->full_log;
    size_t n = tl_event_text_len(ev, s);
    /* "Mär": the checks see a view shifted by one byte (wazuh.md §2.2) */
    const char *q = s;
    if (n >= 3 && s[0] == 'M' && (unsigned char)s[1] == 0xC3 && (unsigned char)s[2] == 0xA4)
        q = s + 1;
    size_t qn = n - (size_t)(q - s);
    size_t ts_off = 0, ts_len = 0, log_off = 0;
    int fmt = header_format(q, qn, &ts_off, &ts_len, &log_off);
    if (!fmt)
        return TL_OK;
    if (log_off > n)
        log_off = n;
    if (ts_len) {
        if (ts_off + ts_len > n)
            ts_len = n > ts_off ? n - ts_off : 0;
        TRY(set_str(&ev->dec_timestamp, s + ts_off, ts_len));
    }
    const char *p = s + log_off;
    ev->log = p;
    if (fmt == 10)
        return parse_asl(ev, p, host);
    if (fmt > 5)
        return TL_OK;
    if (*p == ' ')
        p++;
    ev->log = p;
    return parse_host_prog(ev, p, host);
}

/* Copy s[0..n) turning "|:" into ":" to o (room for n + 1); returns the
 * copy's length. */
static size_t unescape_location(const char *s, size_t n, char *o)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|' && i + 1 < n && s[i + 1] == ':')
            continue;
        o[j++] = s[i];
    }
    o[j] = '\0';
    return j;
}

/* Bump allocation in the event's head block (sized by the caller). */
typedef struct head_out {
    char *p;
} head_out;

static char *head_put(head_out *h, const char *s, size_t n)
{
    char *r = h->p;
    memcpy(r, s, n);
    r[n] = '\0';
    h->p += n + 1;
    return r;
}

tl_status tl_predecode(const char *queue_line, const char *manager_name, tl_time now, tl_event *ev,
                       tl_diag *d)
{
    if (!queue_line || !ev)
        return TL_E_INVAL;
    tl_status st = TL_OK;
    char *host = NULL;
    int agent_loc = 0;
    const char *mgr = manager_name ? manager_name : "manager";
    if (!queue_line[0] || queue_line[1] != ':') {
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
    /* The six location strings share one allocation (ev->head): the
     * unescaped location, then copies of the agent id, name and ip (or of
     * the manager's name); location and location_path are suffixes of the
     * location, hostname shares the agent name's bytes. */
    size_t ln = (size_t)(colon - msg), mn = strlen(mgr);
    ev->head_len = 4 * (ln + 1) + mn + 1 + 4;
    ev->head = tl_malloc(ev->head_len);
    TL_TRY_ALLOC(ev->head);
    char *loc = ev->head;
    head_out h = {loc + unescape_location(msg, ln, loc) + 1};
    static const char zero_id[] = "000";

    const char *rest = loc;
    if (*loc == '[') {
        const char *rb = strchr(loc, ']');
        if (!rb) {
            tl_diag_set(d, NULL, 0, "Invalid message format: bad agent id.");
            TL_FAIL(TL_E_PARSE);
        }
        ev->agent_id = head_put(&h, loc + 1, (size_t)(rb - loc - 1));
        rest = rb + 1;
        if (*rest == ' ')
            rest++;
    }
    const char *arrow = strstr(rest, "->");
    const char *rp = arrow ? strchr(rest, ')') : NULL;
    if (*rest == '(' && rp && rp < arrow) {
        ev->agent_name = head_put(&h, rest + 1, (size_t)(rp - rest - 1));
        const char *ip = rp + 1;
        if (*ip == ' ')
            ip++;
        ev->agent_ip = head_put(&h, ip, (size_t)(arrow - ip));
        ev->location = (char *)rest;
        ev->location_path = (char *)arrow + 2;
        ev->hostname = ev->agent_name;
        agent_loc = 1;
        if (!ev->agent_id)
            ev->agent_id = head_put(&h, zero_id, 3);
    } else {
        /* "[id] x" not starting with '(': hostname "" (wazuh.md §2.1) */
        agent_loc = ev->agent_id != NULL;
        if (!ev->agent_id)
            ev->agent_id = head_put(&h, zero_id, 3);
        ev->agent_name = head_put(&h, mgr, mn);
        ev->hostname = agent_loc ? h.p - 1 /* the name's NUL: "" */ : ev->agent_name;
        ev->location = (char *)rest;
        ev->location_path = (char *)rest;
    }
    {
        size_t fl = strlen(colon + 1);
        ev->full_log = tl_strndup(colon + 1, fl);
        TL_TRY_ALLOC(ev->full_log);
        ev->full_log_end = ev->full_log + fl;
    }
    ev->log = ev->full_log;
    TL_TRY(parse_header(ev, &host));
    /* The agent's name from the location replaces any header hostname; a
     * manager-local event keeps the header's, else the manager's name. */
    if (host && !agent_loc) {
        tl_event_set_str(ev, &ev->hostname, host);
        host = NULL;
    }
    tl_free(host);
    return TL_OK;
cleanup:
    tl_free(host);
    tl_event_clear(ev);
    return st;
}
