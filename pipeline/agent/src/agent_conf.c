/* SPDX-License-Identifier: MIT */
/*
 * agent.conf / ossec.conf <localfile> reader.
 *
 * agent.conf (etc/shared/<group>/agent.conf) is a sequence of top-level
 * <agent_config> elements, i.e. not one XML document; we parse it with libxml2
 * inside a synthetic root (placed on the first line so line numbers stay
 * right). An <agent_config os="…"> applies when one of its '|' alternatives is
 * a case-insensitive substring of the agent's OS string ("Microsoft Windows",
 * as OS_Match does on the agent's uname); name/profile filters are not modelled.
 * <ossec_config> blocks and bare <localfile> elements are read as well.
 *
 * Kept: eventchannel (location = channel name), syslog and json files. A file
 * listed twice (same location, case-insensitive) is kept once, as logcollector
 * does ("Duplicated log file given").
 */
#include "tasklab/agent.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

typedef struct lf {
    char *location;
    char *format;
} lf;

struct tl_agent_conf {
    lf *channels;
    size_t nch;
    lf *files;
    size_t nfiles;
};

static const char *AGENT_OS = "Microsoft Windows";

static int os_matches(const char *pat)
{
    if (!pat)
        return 1;
    const char *p = pat;
    for (;;) {
        const char *e = strchr(p, '|');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char alt[256];
        if (n >= sizeof alt)
            n = sizeof alt - 1;
        memcpy(alt, p, n);
        alt[n] = '\0';
        if (n && tl_strcasestr(AGENT_OS, alt))
            return 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}

/* Trimmed text of the first child element `name`; *out NULL when absent. */
static tl_status child_text(xmlNode *n, const char *name, char **out)
{
    *out = NULL;
    for (xmlNode *k = n->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, name) == 0) {
            xmlChar *c = xmlNodeGetContent(k);
            const char *t = c ? (const char *)c : "";
            size_t a = strspn(t, " \t\r\n"), e = strlen(t);
            while (e > a && strchr(" \t\r\n", t[e - 1]))
                e--;
            *out = tl_strndup(t + a, e - a);
            xmlFree(c);
            return *out ? TL_OK : TL_E_NOMEM;
        }
    }
    return TL_OK;
}

static tl_status add(lf **v, size_t *n, char *loc, char *fmt)
{
    for (size_t i = 0; i < *n; i++) {
        if (tl_strcasecmp((*v)[i].location, loc) == 0) {
            tl_free(loc);
            tl_free(fmt);
            return TL_OK;
        }
    }
    lf *nv = tl_realloc(*v, (*n + 1) * sizeof **v);
    if (!nv) {
        tl_free(loc);
        tl_free(fmt);
        return TL_E_NOMEM;
    }
    *v = nv;
    nv[*n].location = loc;
    nv[*n].format = fmt;
    (*n)++;
    return TL_OK;
}

static tl_status read_localfile(tl_agent_conf *c, xmlNode *n, const char *name, tl_diag *d)
{
    char *loc = NULL, *fmt = NULL;
    if (child_text(n, "location", &loc) != TL_OK || child_text(n, "log_format", &fmt) != TL_OK) {
        tl_free(loc);
        return TL_E_NOMEM;
    }
    if (!loc || !*loc) {
        tl_diag_set(d, name, (int)xmlGetLineNo(n), "<localfile> without <location>");
        tl_free(loc);
        tl_free(fmt);
        return TL_E_PARSE;
    }
    if (!fmt || !*fmt) {
        tl_diag_set(d, name, (int)xmlGetLineNo(n), "<localfile> '%s' without <log_format>", loc);
        tl_free(loc);
        tl_free(fmt);
        return TL_E_PARSE;
    }
    if (tl_strcasecmp(fmt, "eventchannel") == 0)
        return add(&c->channels, &c->nch, loc, fmt);
    if (tl_strcasecmp(fmt, "syslog") == 0 || tl_strcasecmp(fmt, "json") == 0) {
        for (char *p = fmt; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        return add(&c->files, &c->nfiles, loc, fmt);
    }
    tl_free(loc);
    tl_free(fmt);
    return TL_OK; /* other formats are not modelled */
}

static tl_status walk(tl_agent_conf *c, xmlNode *n, const char *name, tl_diag *d)
{
    tl_status st = TL_OK;
    for (xmlNode *k = n->children; k && st == TL_OK; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        const char *kn = (const char *)k->name;
        if (strcmp(kn, "agent_config") == 0) {
            xmlChar *os = xmlGetProp(k, (const xmlChar *)"os");
            int ok = os_matches((const char *)os);
            xmlFree(os);
            if (ok)
                st = walk(c, k, name, d);
        } else if (strcmp(kn, "ossec_config") == 0) {
            st = walk(c, k, name, d);
        } else if (strcmp(kn, "localfile") == 0) {
            st = read_localfile(c, k, name, d);
        }
    }
    return st;
}

tl_status tl_agent_conf_parse(const char *text, size_t len, const char *name,
                              tl_agent_conf **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf w = TL_BUF_INIT;
    xmlDoc *doc = NULL;
    tl_agent_conf *c = tl_calloc(1, sizeof *c);
    TL_TRY_ALLOC(c);
    /* Drop an XML declaration (it cannot sit inside the synthetic root). */
    const char *p = text;
    size_t n = len;
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF) {
        p += 3;
        n -= 3;
    }
    tl_buf_puts(&w, "<tl_agent_conf_root>");
    if (n >= 5 && memcmp(p, "<?xml", 5) == 0) {
        const char *e = strstr(p, "?>");
        if (e) {
            tl_buf_append(&w, "", 0);
            n -= (size_t)(e + 2 - p);
            p = e + 2;
        }
    }
    tl_buf_append(&w, p, n);
    tl_buf_puts(&w, "</tl_agent_conf_root>");
    TL_TRY(tl_buf_status(&w));
    doc = xmlReadMemory(w.data, (int)w.len, name, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        tl_diag_set(d, name, e ? e->line : 0, "not valid XML: %s",
                    e && e->message ? e->message : "parse error");
        /* libxml2 messages end with a newline */
        size_t ml = strlen(d ? d->msg : "");
        if (d && ml && d->msg[ml - 1] == '\n')
            d->msg[ml - 1] = '\0';
        TL_FAIL(TL_E_PARSE);
    }
    TL_TRY(walk(c, xmlDocGetRootElement(doc), name, d));
    *out = c;
    c = NULL;
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, name, 0, "out of memory");
    xmlFreeDoc(doc);
    tl_buf_free(&w);
    tl_agent_conf_free(c);
    return st;
}

tl_status tl_agent_conf_load(const char *path, tl_agent_conf **out, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(path, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_agent_conf_parse(data, len, path, out, d);
    tl_free(data);
    return st;
}

void tl_agent_conf_free(tl_agent_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nch; i++) {
        tl_free(c->channels[i].location);
        tl_free(c->channels[i].format);
    }
    for (size_t i = 0; i < c->nfiles; i++) {
        tl_free(c->files[i].location);
        tl_free(c->files[i].format);
    }
    tl_free(c->channels);
    tl_free(c->files);
    tl_free(c);
}

int tl_agent_conf_reads_channel(const tl_agent_conf *c, const char *channel)
{
    for (size_t i = 0; c && channel && i < c->nch; i++)
        if (tl_strcasecmp(c->channels[i].location, channel) == 0)
            return 1;
    return 0;
}

size_t tl_agent_conf_file_count(const tl_agent_conf *c) { return c ? c->nfiles : 0; }

const char *tl_agent_conf_file_location(const tl_agent_conf *c, size_t i)
{
    return c && i < c->nfiles ? c->files[i].location : NULL;
}

const char *tl_agent_conf_file_format(const tl_agent_conf *c, size_t i)
{
    return c && i < c->nfiles ? c->files[i].format : NULL;
}
