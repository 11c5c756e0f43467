/* SPDX-License-Identifier: MIT */
/*
 * The non-JSON plugin decoders of analysisd (src/analysisd/decoders/plugins,
 * wazuh.md §4.3): PF_Decoder (OpenBSD pf logs), SymantecWS_Decoder (Symantec
 * Web Security), SonicWall_Decoder and OSSECAlert_Decoder (logcollector's
 * `ossecalert` format). All read the log after the pre-decoder's header
 * (lf->log) and ignore the decoder's offset.
 *
 * Worked examples:
 *   PF: "rule 2/(match) pass in on xl0: 140.211.166.3.6667 > 192.168.2.10.16290: P 7408"
 *       -> action pass, srcip 140.211.166.3, srcport 6667, dstip 192.168.2.10,
 *          dstport 16290, protocol TCP
 *   SymantecWS: "20070717,73614,1=5,11=1.2.3.4,60=http://n/,10=userX,2=27"
 *       -> srcip 1.2.3.4, url http://n/, dstuser userX, id "2=27"
 *   SonicWall: "... pri=6 c=262144 m=98 msg=\"x\" n=1 src=2.2.2.2:36701:WAN
 *              dst=1.1.1.1:50000:WAN proto=tcp/50000"
 *       -> status 6, id 98, srcip 2.2.2.2, srcport 36701, dstip 1.1.1.1,
 *          dstport 50000, protocol tcp, type firewall, action pass
 *   OSSECAlert: "ossec: Alert Level: 3; Rule: 5715 - sshd: ok.; Location: (a1)
 *               10.0.0.2->/var/log/secure; srcip: 10.0.0.5; user: root;  orig"
 *       -> type ossec-alert, rule "5715" (the engine looks it up), location
 *          and hostname "<location>|(a1) 10.0.0.2->/var/log/secure", srcip
 *          10.0.0.5, dstuser root, log/full_log "orig"
 *
 * Where wazuh.md is silent (choices, each marked [A] below): SonicWall's
 * protocol is set only when the hostname_map run after "proto=" is followed
 * by '/'; its event-97 regex runs on the text after match 2; OSSECAlert's
 * "none -> stop" of an entry leaves the event without a rule (dropped).
 */
#include "decode/decoder_int.h"

#include "rules/expr_int.h"

#include <stdio.h>
#include <string.h>

static tl_status set_stat(tl_event *ev, tl_static_field f, const char *s, size_t n)
{
    char *v = tl_strndup(s, n);
    if (!v)
        return TL_E_NOMEM;
    tl_free(ev->stat[f]);
    ev->stat[f] = v;
    return TL_OK;
}

/* "a.b.c.d.port": the text before the 4th '.' is the address, after it the port. */
static tl_status set_ip_port(tl_event *ev, tl_static_field ipf, tl_static_field portf,
                             const char *s, size_t n)
{
    int dots = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' && ++dots == 4) {
            tl_status st = set_stat(ev, ipf, s, i);
            return st != TL_OK ? st : set_stat(ev, portf, s + i + 1, n - i - 1);
        }
    return set_stat(ev, ipf, s, n);
}

tl_status tl_plugin_pf(tl_event *ev, const char *log)
{
    tl_status st;
    const char *t = strchr(log, ')');
    if (!t || t[1] != ' ')
        return TL_OK;
    if (t[2] == 'p')
        st = set_stat(ev, TL_SF_ACTION, "pass", 4);
    else if (t[2] == 'b')
        st = set_stat(ev, TL_SF_ACTION, "block", 5);
    else
        return TL_OK;
    if (st != TL_OK)
        return st;
    t = strchr(t, ':');
    if (!t || t[1] != ' ')
        return TL_OK;
    const char *src = t + 2, *e = strchr(src, ' ');
    if (!e)
        return TL_OK;
    if ((st = set_ip_port(ev, TL_SF_SRCIP, TL_SF_SRCPORT, src, (size_t)(e - src))) != TL_OK)
        return st;
    if (e[1] != '>' || e[2] != ' ')
        return TL_OK;
    const char *dst = e + 3, *c = strchr(dst, ':');
    if (!c)
        return TL_OK;
    if ((st = set_ip_port(ev, TL_SF_DSTIP, TL_SF_DSTPORT, dst, (size_t)(c - dst))) != TL_OK)
        return st;
    c++;
    while (*c == ' ')
        c++;
    if (*c == 'u')
        return set_stat(ev, TL_SF_PROTOCOL, "UDP", 3);
    if (*c == 'i')
        return set_stat(ev, TL_SF_PROTOCOL, "ICMP", 4);
    return set_stat(ev, TL_SF_PROTOCOL, "TCP", 3);
}

tl_status tl_plugin_symantec_ws(tl_event *ev, const char *log)
{
    tl_status st = TL_OK;
    const char *p = strchr(log, ',');
    int have_user = 0, have_ip = 0, have_url = 0, have_id = 0;
    while (p && st == TL_OK) {
        p++; /* entry start */
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (!have_user && !strncmp(p, "10=", 3)) {
            have_user = 1;
            st = set_stat(ev, TL_SF_DSTUSER, p + 3, n - 3 > 128 ? 128 : n - 3);
        } else if (!have_ip && !strncmp(p, "11=", 3)) {
            have_ip = 1;
            st = set_stat(ev, TL_SF_SRCIP, p + 3, n - 3 > 128 ? 128 : n - 3);
        } else if (!have_url && !strncmp(p, "60=", 3)) {
            have_url = 1;
            st = set_stat(ev, TL_SF_URL, p + 3, n - 3 > 1024 ? 1024 : n - 3);
        } else if (!have_id && (!strncmp(p, "3=", 2) || !strncmp(p, "2=", 2))) {
            /* the entry itself, prefix included, 9 bytes: commas do not stop it */
            have_id = 1;
            size_t l = strlen(p);
            st = set_stat(ev, TL_SF_ID, p, l > 9 ? 9 : l);
        }
        p = e;
    }
    return st;
}

/* ---- SonicWall_Decoder ------------------------------------------------------ */

struct tl_sonicwall_rx {
    tl_osregex *head; /* pri=(\d) c=(\d+) m=(\d+) */
    tl_osregex *addr; /* src=(\d+.\d+.\d+.\d+):(\d+):\S+ dst=(\d+.\d+.\d+.\d+):(\d+): */
    tl_osregex *web;  /* result=(\d+) dstname=(\S+) arg=(\S+)$ */
};

tl_status tl_plugin_sonicwall_new(tl_sonicwall_rx **out)
{
    tl_status st = TL_OK;
    tl_diag d;
    tl_sonicwall_rx *p = tl_calloc(1, sizeof *p);
    TL_TRY_ALLOC(p);
    TL_TRY(tl_osregex_compile("pri=(\\d) c=(\\d+) m=(\\d+) ", &p->head, &d));
    TL_TRY(tl_osregex_compile(
        "src=(\\d+.\\d+.\\d+.\\d+):(\\d+):\\S+ dst=(\\d+.\\d+.\\d+.\\d+):(\\d+):", &p->addr, &d));
    TL_TRY(tl_osregex_compile("result=(\\d+) dstname=(\\S+) arg=(\\S+)$", &p->web, &d));
    *out = p;
    p = NULL;
cleanup:
    tl_plugin_sonicwall_free(p);
    return st;
}

void tl_plugin_sonicwall_free(tl_sonicwall_rx *p)
{
    if (!p)
        return;
    tl_osregex_free(p->head);
    tl_osregex_free(p->addr);
    tl_osregex_free(p->web);
    tl_free(p);
}

/* os_regex_maps.c hostname_map (isValidChar): A-Z a-z 0-9 ( ) - . / @ _ */
static int sw_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '@' || c == '_';
}

static int cap_is(const tl_capture *c, const char *s)
{
    size_t n = strlen(s);
    return c->start && c->len == n && memcmp(c->start, s, n) == 0;
}

static int cap_in(const tl_capture *c, const char *const *set)
{
    for (; *set; set++)
        if (cap_is(c, *set))
            return 1;
    return 0;
}

static tl_status set_cap(tl_event *ev, tl_static_field f, const tl_capture *c, size_t max)
{
    if (!c->start)
        return TL_OK;
    return set_stat(ev, f, c->start, c->len > max ? max : c->len);
}

tl_status tl_plugin_sonicwall(const tl_sonicwall_rx *p, tl_event *ev, const char *log)
{
    tl_status st = TL_OK;
    tl_capture h[3], a[4], w[3];
    size_t n = 0;
    const char *end = NULL;
    ev->decoder_type = TL_CAT_SYSLOG;
    memset(h, 0, sizeof h);
    if (!tl_osregex_exec(p->head, log, h, 3, &n, &end) || n < 3)
        return TL_OK;
    TL_TRY(set_cap(ev, TL_SF_STATUS, &h[0], (size_t)-1));
    TL_TRY(set_cap(ev, TL_SF_ID, &h[2], (size_t)-1));
    tl_capture cat = h[1];
    if (cat.len > 7)
        cat.len = 7; /* category: its first 7 bytes */
    const char *rest = end ? end : log + strlen(log);
    memset(a, 0, sizeof a);
    if (!tl_osregex_exec(p->addr, rest, a, 4, &n, &end) || n < 4)
        return TL_OK;
    TL_TRY(set_cap(ev, TL_SF_SRCIP, &a[0], (size_t)-1));
    TL_TRY(set_cap(ev, TL_SF_SRCPORT, &a[1], (size_t)-1));
    TL_TRY(set_cap(ev, TL_SF_DSTIP, &a[2], (size_t)-1));
    TL_TRY(set_cap(ev, TL_SF_DSTPORT, &a[3], (size_t)-1));
    rest = end ? end : rest + strlen(rest);
    /* the token after the next space: proto=<up to 6 hostname_map bytes>/ */
    const char *sp = strchr(rest, ' ');
    if (sp && strncmp(sp + 1, "proto=", 6) == 0) {
        const char *q = sp + 7;
        size_t k = 0;
        while (k < 6 && sw_host_char(q[k]) && q[k] != '/')
            k++;
        if (q[k] == '/') /* [A] */
            TL_TRY(set_stat(ev, TL_SF_PROTOCOL, q, k));
    }
    static const char *const pass[] = {"98", "597", "598", NULL};
    static const char *const drop[] = {"36", "37", "38", "173", "174", NULL};
    const tl_capture *id = &h[2];
    if (cap_is(&cat, "32")) {
        ev->decoder_type = TL_CAT_IDS;
    } else if (cap_in(id, pass)) {
        ev->decoder_type = TL_CAT_FIREWALL;
        TL_TRY(set_stat(ev, TL_SF_ACTION, "pass", 4));
    } else if (cap_in(id, drop)) {
        ev->decoder_type = TL_CAT_FIREWALL;
        TL_TRY(set_stat(ev, TL_SF_ACTION, "drop", 4));
    } else if (cap_is(id, "537")) {
        ev->decoder_type = TL_CAT_FIREWALL;
        TL_TRY(set_stat(ev, TL_SF_ACTION, "close", 5));
    } else if (cap_is(id, "97")) {
        ev->decoder_type = TL_CAT_SQUID;
        memset(w, 0, sizeof w);
        if (tl_osregex_exec(p->web, rest, w, 3, &n, NULL) && n == 3) { /* [A] on the rest */
            TL_TRY(set_cap(ev, TL_SF_ID, &w[0], (size_t)-1));
            tl_buf u;
            tl_buf_init(&u);
            tl_buf_append(&u, w[1].start, w[1].len);
            tl_buf_append(&u, w[2].start, w[2].len);
            st = tl_buf_status(&u);
            if (st == TL_OK) {
                tl_free(ev->stat[TL_SF_URL]);
                ev->stat[TL_SF_URL] = tl_buf_take(&u);
                if (!ev->stat[TL_SF_URL])
                    st = TL_E_NOMEM;
            }
            tl_buf_free(&u);
        }
    }
cleanup:
    return st;
}

/* ---- OSSECAlert_Decoder ----------------------------------------------------- */

tl_status tl_plugin_ossec_alert(tl_event *ev, const char *log)
{
    tl_status st = TL_OK;
    ev->decoder_type = TL_CAT_OSSEC_ALERT; /* always, first */
    if (strncmp(log, "Alert Level:", 12) != 0 && strncmp(log, "ossec: Alert Level", 18) != 0)
        return TL_OK;
    const char *p = strchr(log, ';');
    if (!p || !(p = strchr(p, ':')) || p[1] != ' ')
        return TL_OK;
    const char *id = p + 2, *ide = strchr(id, ' ');
    if (!ide)
        return TL_OK;
    /* the rule is looked up (and a missing one warned about) by the engine,
     * whether or not the rest of the line is complete */
    tl_free(ev->alert_rule_id);
    ev->alert_rule_id = tl_strndup(id, (size_t)(ide - id));
    TL_TRY_ALLOC(ev->alert_rule_id);
    p = strchr(ide, ';');
    if (!p || strncmp(p, "; Location: ", 12) != 0)
        return TL_OK;
    const char *loc = p + 12, *loce = strchr(loc, ';');
    if (!loce)
        return TL_OK;
    /* location := "<current location>|<loc>" (at most 254 bytes); hostname the same */
    const char *cur = ev->location ? ev->location : "";
    char lb[256];
    snprintf(lb, sizeof lb - 1, "%s|%.*s", cur, (int)(loce - loc), loc);
    p = loce + 1;
    const char *srcip = NULL, *user = NULL;
    size_t srcip_n = 0, user_n = 0;
    while (p[0] == ' ' && p[1] != ' ') {
        const char *en = p + 1, *ee = strchr(en, ';');
        if (!ee)
            return TL_OK; /* [A] no ';': stop, no rule */
        if (strncmp(en, "srcip: ", 7) == 0) {
            srcip = en + 7;
            srcip_n = (size_t)(ee - srcip);
        } else if (strncmp(en, "user: ", 6) == 0) {
            user = en + 6;
            user_n = (size_t)(ee - user);
        }
        p = ee + 1;
    }
    while (*p == ' ')
        p++;
    size_t rn = strlen(p);
    if (rn > 4094)
        rn = 4094;
    char *full = tl_strndup(p, rn), *l1 = tl_strdup(lb), *l2 = tl_strdup(lb), *l3 = tl_strdup(lb);
    if (!full || !l1 || !l2 || !l3 ||
        (srcip && (st = set_stat(ev, TL_SF_SRCIP, srcip, srcip_n)) != TL_OK) ||
        (user && (st = set_stat(ev, TL_SF_DSTUSER, user, user_n)) != TL_OK)) {
        tl_free(full);
        tl_free(l1);
        tl_free(l2);
        tl_free(l3);
        return st != TL_OK ? st : TL_E_NOMEM;
    }
    tl_event_set_str(ev, &ev->location, l1);
    tl_event_set_str(ev, &ev->location_path, l2);
    tl_event_set_str(ev, &ev->hostname, l3);
    tl_free(ev->full_log);
    ev->full_log = full;
    ev->full_log_end = NULL;
    tl_free(ev->log_buf);
    ev->log_buf = NULL;
    ev->log = full;
    ev->alert_complete = 1; /* generated_rule := the looked-up rule */
cleanup:
    return st;
}
