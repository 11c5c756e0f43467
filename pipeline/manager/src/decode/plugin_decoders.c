/* SPDX-License-Identifier: MIT */
/*
 * The non-JSON plugin decoders of analysisd (src/analysisd/decoders/plugins,
 * wazuh.md §4.3) that tasklab implements: PF_Decoder (OpenBSD pf logs) and
 * SymantecWS_Decoder (Symantec Web Security). Both read the log after the
 * pre-decoder's header (lf->log) and ignore the decoder's offset.
 *
 * Worked examples:
 *   PF: "rule 2/(match) pass in on xl0: 140.211.166.3.6667 > 192.168.2.10.16290: P 7408"
 *       -> action pass, srcip 140.211.166.3, srcport 6667, dstip 192.168.2.10,
 *          dstport 16290, protocol TCP
 *   SymantecWS: "20070717,73614,1=5,11=1.2.3.4,60=http://n/,10=userX,2=27"
 *       -> srcip 1.2.3.4, url http://n/, dstuser userX, id "2=27"
 */
#include "decode/decoder_int.h"

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
