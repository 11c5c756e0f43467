/* SPDX-License-Identifier: MIT */
/*
 * Wazuh decoder XML loader (analysisd decode-xml.c / decoder_list.c) and
 * DecodeEvent (decoder.c), wazuh.md §4.
 *
 * Structure, as analysisd builds it:
 *  - Two top-level lists: decoders with <program_name> and those without.
 *    An event that has a program_name is tried ONLY against the first list
 *    (so JSON after a syslog header never reaches the `json` decoder).
 *  - A decoder with <parent> becomes a child of EVERY top-level decoder of
 *    that name (in both lists); grandchildren do not exist.
 *  - Children that share a name form a chain: when a later same-name child
 *    with a <regex> is added, every earlier same-name child with a <regex>
 *    gets `get_next`. Later chain members may not have <prematch> or <fts>;
 *    offset="after_regex" needs an earlier same-name member.
 *  - Repeated <regex>/<prematch>/<program_name>/<parent> elements are
 *    concatenated (ms-dhcp-ipv4 ends a prematch with '|' and continues it).
 *
 * DecodeEvent: the first top-level decoder whose program_name and prematch
 * match wins. Its children are scanned in order: a child with a prematch
 * that matches is taken (and becomes the event's decoder info), a child
 * without prematch is taken at once (the info stays the parent's); a failing
 * chain head skips its whole chain. Then the taken child's plugin runs, or
 * its regex and those of the following chain members (a failing member is
 * skipped while get_next is set). No child matching leaves the event decoded
 * as the parent with no fields. A parent without children runs its own regex.
 * Offsets: after_parent = end of the parent's prematch (or the whole log for
 * program_name decoders), after_prematch = end of the child's prematch,
 * after_regex = end of the previous successful regex in the chain.
 *
 * Names: a child is shown (alerts, decoded_as) with its parent's name and
 * shares its id, unless <use_own_name>true</use_own_name>.
 *
 * The built-in `windows_eventchannel` decoder (type ossec) handles queue 'f'
 * through winevt.c and the JSON field extraction of json_decoder.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "decode/decoder_int.h"
#include "rules/expr_int.h"
#include "rules/rules_int.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TL_DECODER_ORDER_SIZE 256
#define MAXCAPS 64

enum { OFF_PARENT = 1, OFF_PREMATCH = 2, OFF_PREVREGEX = 4 };
enum { PLUGIN_NONE = 0, PLUGIN_JSON, PLUGIN_PF, PLUGIN_SYMANTEC_WS, PLUGIN_SONICWALL, PLUGIN_OSSEC_ALERT };

typedef struct dorder {
    size_t nnames;
    char **names; /* names[i] for dynamic; static ones keep their text too */
    int *sidx;    /* static field index or -1 */
} dorder;

typedef struct dec {
    tl_decoder_info info;
    char *own_name;
    char *parent;
    char *ftscomment;
    char **fts;
    size_t nfts;
    tl_expr *program_name, *prematch, *regex;
    int prematch_fp; /* the log's fingerprint can rule the prematch out */
    int prematch_offset, regex_offset, plugin_offset;
    int plugin;
    tl_sonicwall_rx *sonicwall; /* PLUGIN_SONICWALL's patterns */
    int use_own_name;
    tl_json_null nulls;
    tl_json_array arrays;
    dorder *order;
    size_t norder;
    int get_next;
} dec;

typedef struct dnode {
    dec *d;
    struct dnode *next;
    struct dnode *child;
} dnode;

struct tl_decoder_set {
    dnode *pn, *npn;
    dec **all;
    size_t nall, capall;
    dnode **nodes; /* every node, for freeing */
    size_t nnodes, capnodes;
    char **names; /* id - 1 -> name (addDecoder2list) */
    size_t nnames, capnames;
    char **loaded; /* basenames already loaded */
    size_t nloaded, caploaded;
};

static const tl_decoder_info g_winevt_info = {
    "windows_eventchannel", "windows_eventchannel", NULL, TL_CAT_OSSEC, 0, NULL, 0, NULL,
    TL_DECODER_ID_WINEVT};

static const char *const g_builtin_names[] = {"windows_eventchannel",
                                              "json",
                                              "rootcheck",
                                              "syscheck_integrity_changed",
                                              "syscheck_new_entry",
                                              "syscheck_deleted",
                                              "syscollector",
                                              "ciscat",
                                              "hostinfo",
                                              "sca",
                                              "dbsync",
                                              "upgrade",
                                              "task_manager",
                                              NULL};

/* ---- small growable arrays --------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t n, size_t elsz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nw = tl_realloc(*arr, nc * elsz);
    if (!nw)
        return -1;
    *arr = nw;
    *cap = nc;
    return 0;
}

static void dec_free(dec *d)
{
    if (!d)
        return;
    tl_free(d->own_name);
    tl_free(d->parent);
    tl_free(d->ftscomment);
    for (size_t i = 0; i < d->nfts; i++)
        tl_free(d->fts[i]);
    tl_free(d->fts);
    tl_expr_free(d->program_name);
    tl_expr_free(d->prematch);
    tl_expr_free(d->regex);
    tl_plugin_sonicwall_free(d->sonicwall);
    for (size_t i = 0; i < d->norder; i++) {
        for (size_t j = 0; j < d->order[i].nnames; j++)
            tl_free(d->order[i].names[j]);
        tl_free(d->order[i].names);
        tl_free(d->order[i].sidx);
    }
    tl_free(d->order);
    tl_free(d);
}

tl_status tl_decoder_set_new(tl_decoder_set **out)
{
    if (!out)
        return TL_E_INVAL;
    tl_decoder_set *ds = tl_calloc(1, sizeof *ds);
    if (!ds)
        return TL_E_NOMEM;
    *out = ds;
    return TL_OK;
}

void tl_decoder_set_free(tl_decoder_set *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->nall; i++)
        dec_free(ds->all[i]);
    tl_free(ds->all);
    for (size_t i = 0; i < ds->nnodes; i++)
        tl_free(ds->nodes[i]);
    tl_free(ds->nodes);
    for (size_t i = 0; i < ds->nnames; i++)
        tl_free(ds->names[i]);
    tl_free(ds->names);
    for (size_t i = 0; i < ds->nloaded; i++)
        tl_free(ds->loaded[i]);
    tl_free(ds->loaded);
    tl_free(ds);
}

size_t tl_decoder_set_count(const tl_decoder_set *ds) { return ds ? ds->nall : 0; }

int tl_decoder_set_has(const tl_decoder_set *ds, const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; g_builtin_names[i]; i++)
        if (strcmp(g_builtin_names[i], name) == 0)
            return 1;
    if (!ds)
        return 0;
    for (size_t i = 0; i < ds->nnames; i++)
        if (strcmp(ds->names[i], name) == 0)
            return 1;
    return 0;
}

int tl_decoder_set_has_field(const tl_decoder_set *ds, const char *name)
{
    for (size_t i = 0; ds && name && i < ds->nall; i++)
        for (size_t o = 0; o < ds->all[i]->norder; o++)
            for (size_t k = 0; k < ds->all[i]->order[o].nnames; k++)
                if (tl_ascii_casecmp(ds->all[i]->order[o].names[k], name) == 0)
                    return 1;
    return 0;
}

int tl_decoder_set_open_fields(const tl_decoder_set *ds, const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; g_builtin_names[i]; i++)
        if (strcmp(g_builtin_names[i], name) == 0)
            return 1;
    for (size_t i = 0; ds && i < ds->nall; i++)
        if (ds->all[i]->plugin == PLUGIN_JSON &&
            (!strcmp(ds->all[i]->info.name ? ds->all[i]->info.name : "", name) ||
             (ds->all[i]->own_name && !strcmp(ds->all[i]->own_name, name))))
            return 1;
    return 0;
}

/* addDecoder2list/getDecoderfromlist: id by name, 1-based. */
static int name_id(tl_decoder_set *ds, const char *name, int add)
{
    for (size_t i = 0; i < ds->nnames; i++)
        if (strcmp(ds->names[i], name) == 0)
            return (int)i + 1;
    if (!add)
        return 0;
    if (grow((void **)&ds->names, &ds->capnames, ds->nnames, sizeof *ds->names) < 0)
        return -1;
    char *c = tl_strdup(name);
    if (!c)
        return -1;
    ds->names[ds->nnames++] = c;
    return (int)ds->nnames;
}

int tl_decoder_set_id(const tl_decoder_set *ds, const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "windows_eventchannel") == 0)
        return TL_DECODER_ID_WINEVT;
    if (!ds)
        return 0;
    for (size_t i = 0; i < ds->nnames; i++)
        if (strcmp(ds->names[i], name) == 0)
            return (int)i + 1;
    return 0;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct lctx {
    tl_decoder_set *ds;
    const char *file;
    tl_diag *d;
    tl_decoder_warn_fn warn;
    void *warn_ctx;
} lctx;

static tl_status lfail(lctx *c, int line, tl_status st, const char *fmt, const char *a,
                       const char *b)
{
    tl_diag_set(c->d, c->file, line, fmt, a ? a : "", b ? b : "");
    return st;
}

static void lwarn(lctx *c, int line, const char *fmt, const char *a, const char *b)
{
    if (!c->warn)
        return;
    char msg[700], full[900];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    snprintf(full, sizeof full, "%s:%d: %s", c->file, line, msg);
    c->warn(c->warn_ctx, full);
}

/* _loadmemory: concatenate repeated element contents. */
static tl_status append_str(char **dst, const char *s)
{
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);
    char *n = tl_realloc(*dst, a + b + 1);
    if (!n)
        return TL_E_NOMEM;
    memcpy(n + a, s, b + 1);
    *dst = n;
    return TL_OK;
}

static int ci_eq(const char *a, const char *b) { return tl_strcasecmp(a, b) == 0; }

/* OS_StrBreak(',', s, 256) + the per-word trim analysisd applies: skip
 * leading spaces, cut at the first space. Returns words in *out. */
static tl_status split_words(const char *s, char ***out, size_t *n)
{
    tl_status st = TL_OK;
    char **w = NULL;
    size_t nw = 0, cap = 0;
    const char *p = s;
    for (;;) {
        const char *comma = nw + 1 < TL_DECODER_ORDER_SIZE ? strchr(p, ',') : NULL;
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *ws = p;
        while (len > 0 && *ws == ' ') {
            ws++;
            len--;
        }
        size_t wl = 0;
        while (wl < len && ws[wl] != ' ')
            wl++;
        if (grow((void **)&w, &cap, nw, sizeof *w) < 0)
            TL_FAIL(TL_E_NOMEM);
        w[nw] = tl_strndup(ws, wl);
        TL_TRY_ALLOC(w[nw]);
        nw++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = w;
    *n = nw;
    return TL_OK;
cleanup:
    for (size_t i = 0; i < nw; i++)
        tl_free(w[i]);
    tl_free(w);
    return st;
}

static int order_static(const char *w)
{
    if (strcmp(w, "user") == 0)
        return TL_SF_DSTUSER;
    return tl_static_field_index(w);
}

static tl_status parse_order(lctx *c, dec *d, const tl_osxml_node *el)
{
    tl_status st = TL_OK;
    char **words = NULL;
    size_t nw = 0;
    TL_TRY(split_words(el->content, &words, &nw));
    for (size_t i = 0; i < nw; i++) {
        if (words[i][0] == '\0') {
            st = lfail(c, el->line, TL_E_PARSE,
                       "decode-xml: Wrong field '%s' in the order of decoder '%s'", el->content,
                       d->own_name);
            goto cleanup;
        }
    }
    for (size_t i = 0; i < d->norder; i++) { /* a repeated <order> replaces */
        for (size_t j = 0; j < d->order[i].nnames; j++)
            tl_free(d->order[i].names[j]);
        tl_free(d->order[i].names);
        tl_free(d->order[i].sidx);
    }
    tl_free(d->order);
    d->order = tl_calloc(nw, sizeof *d->order);
    d->norder = 0;
    TL_TRY_ALLOC(d->order);
    d->norder = nw;
    for (size_t i = 0; i < nw; i++) {
        /* "a|b": the capture fills every listed name */
        size_t np = 1;
        for (const char *q = words[i]; *q; q++)
            np += *q == '|';
        dorder *o = &d->order[i];
        o->names = tl_calloc(np, sizeof *o->names);
        o->sidx = tl_calloc(np, sizeof *o->sidx);
        TL_TRY_ALLOC(o->names);
        TL_TRY_ALLOC(o->sidx);
        const char *q = words[i];
        for (size_t k = 0; k < np; k++) {
            const char *bar = strchr(q, '|');
            size_t l = bar ? (size_t)(bar - q) : strlen(q);
            o->names[k] = tl_strndup(q, l);
            TL_TRY_ALLOC(o->names[k]);
            o->nnames = k + 1;
            if (l == 0) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "decode-xml: Wrong field '%s' in the order of decoder '%s'", el->content,
                           d->own_name);
                goto cleanup;
            }
            o->sidx[k] = order_static(o->names[k]);
            q = bar ? bar + 1 : q + l;
        }
    }
cleanup:
    for (size_t i = 0; i < nw; i++)
        tl_free(words[i]);
    tl_free(words);
    return st;
}

static tl_status parse_fts(lctx *c, dec *d, const tl_osxml_node *el)
{
    tl_status st = TL_OK;
    char **words = NULL;
    size_t nw = 0;
    TL_TRY(split_words(el->content, &words, &nw));
    for (size_t i = 0; i < nw; i++) {
        if (words[i][0] == '\0') {
            st = lfail(c, el->line, TL_E_PARSE,
                       "decode-xml: Wrong field '%s' in the fts decoder '%s'", el->content,
                       d->own_name);
            goto cleanup;
        }
    }
    {
        char **nf = tl_realloc(d->fts, (d->nfts + nw + 1) * sizeof *nf);
        TL_TRY_ALLOC(nf);
        d->fts = nf;
        for (size_t i = 0; i < nw; i++) {
            d->fts[d->nfts++] = words[i];
            words[i] = NULL;
        }
        d->fts[d->nfts] = NULL;
    }
cleanup:
    for (size_t i = 0; i < nw; i++)
        tl_free(words[i]);
    tl_free(words);
    return st;
}

/* offset/type attributes of prematch, regex, program_name, plugin_decoder. */
static tl_status read_attrs(lctx *c, const dec *d, const tl_osxml_node *el, int *offset,
                            int *has_type, tl_expr_type *type)
{
    *offset = 0;
    for (size_t i = 0; i < el->nattr; i++) {
        const char *an = el->attr_name[i], *av = el->attr_val[i];
        if (ci_eq(an, "offset")) {
            if (strcmp(av, "after_parent") == 0)
                *offset |= OFF_PARENT;
            else if (strcmp(av, "after_prematch") == 0)
                *offset |= OFF_PREMATCH;
            else if (strcmp(av, "after_regex") == 0)
                *offset |= OFF_PREVREGEX;
            else
                return lfail(c, el->line, TL_E_PARSE,
                             "(2107): Decoder configuration error: '%s' (invalid offset '%s').",
                             d->own_name, av);
        } else if (ci_eq(an, "type") && type) {
            if (!tl_expr_type_parse(av, type) || *type == TL_EXPR_STRING)
                return lfail(c, el->line, TL_E_PARSE,
                             "(2107): Decoder configuration error: '%s' (invalid type '%s').",
                             d->own_name, av);
            *has_type = 1;
        } else {
            return lfail(c, el->line, TL_E_PARSE,
                         "(2107): Decoder configuration error: '%s' (invalid attribute '%s').",
                         d->own_name, an);
        }
    }
    return TL_OK;
}

static tl_status compile_expr(lctx *c, dec *d, int line, tl_expr_type type, const char *pat,
                              int capture, tl_expr **out)
{
    tl_diag ed;
    tl_diag_clear(&ed);
    tl_status st = tl_expr_compile(type, pat, 0, capture, out, &ed);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        char m[1100];
        snprintf(m, sizeof m, "%s", ed.msg);
        return lfail(c, line, TL_E_REGEX, "(1452): Syntax error on regex: '%s': %s.", pat, m);
    }
    return TL_OK;
}

static int tl_category_parse(const char *s, tl_category *out)
{
    static const struct {
        const char *n;
        tl_category c;
    } t[] = {{"firewall", TL_CAT_FIREWALL},
             {"ids", TL_CAT_IDS},
             {"web-log", TL_CAT_WEBLOG},
             {"syslog", TL_CAT_SYSLOG},
             {"squid", TL_CAT_SQUID},
             {"windows", TL_CAT_WINDOWS},
             {"host-information", TL_CAT_HOST_INFO},
             {"ossec", TL_CAT_OSSEC}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(s, t[i].n) == 0) {
            *out = t[i].c;
            return 1;
        }
    return 0;
}

static tl_status add_node(tl_decoder_set *ds, dnode **listp, dec *d, dnode **out)
{
    if (grow((void **)&ds->nodes, &ds->capnodes, ds->nnodes, sizeof *ds->nodes) < 0)
        return TL_E_NOMEM;
    dnode *n = tl_calloc(1, sizeof *n);
    if (!n)
        return TL_E_NOMEM;
    ds->nodes[ds->nnodes++] = n;
    n->d = d;
    dnode **pp = listp;
    while (*pp)
        pp = &(*pp)->next;
    *pp = n;
    if (out)
        *out = n;
    return TL_OK;
}

/* _OS_AddOSDecoder: checks of a new entry against an existing list. */
static tl_status check_into_list(lctx *c, int line, dnode *list, dec *d)
{
    int rm_f = 0;
    if (list) {
        for (dnode *t = list; t; t = t->next) {
            if (d->parent && strcmp(t->d->own_name, d->own_name) == 0) {
                if ((t->d->prematch || t->d->regex) && d->regex_offset)
                    rm_f = 1;
                if (d->prematch)
                    return lfail(c, line, TL_E_PARSE,
                                 "(2104): Invalid decoder '%s': a multi-regex decoder cannot "
                                 "have a prematch%s.",
                                 d->own_name, "");
                if (d->nfts)
                    return lfail(c, line, TL_E_PARSE,
                                 "(2105): Invalid decoder '%s': a multi-regex decoder cannot "
                                 "have fts%s.",
                                 d->own_name, "");
            }
        }
    }
    if (!rm_f && (d->regex_offset & OFF_PREVREGEX))
        return lfail(c, line, TL_E_PARSE,
                     "(2108): Invalid offset for decoder '%s': after_regex needs a previous "
                     "regex%s.",
                     d->own_name, "");
    return TL_OK;
}

static void mark_get_next(dnode *list, const dec *d)
{
    for (dnode *t = list; t; t = t->next)
        if (d->parent && strcmp(t->d->own_name, d->own_name) == 0 && t->d->regex && d->regex)
            t->d->get_next = 1;
}

static tl_status register_decoder(lctx *c, int line, dec *d)
{
    tl_decoder_set *ds = c->ds;
    tl_status st;
    if (d->parent) {
        int found = 0;
        dnode *lists[2] = {ds->pn, ds->npn};
        /* validate first so a failure leaves the lists untouched */
        for (int li = 0; li < 2; li++)
            for (dnode *t = lists[li]; t; t = t->next)
                if (strcmp(t->d->own_name, d->parent) == 0) {
                    found = 1;
                    if ((st = check_into_list(c, line, t->child, d)) != TL_OK)
                        return st;
                }
        if (!found)
            return lfail(c, line, TL_E_PARSE, "(2103): Parent decoder '%s' not found for '%s'.",
                         d->parent, d->own_name);
        for (int li = 0; li < 2; li++)
            for (dnode *t = lists[li]; t; t = t->next)
                if (strcmp(t->d->own_name, d->parent) == 0) {
                    mark_get_next(t->child, d);
                    if ((st = add_node(ds, &t->child, d, NULL)) != TL_OK)
                        return st;
                }
    } else {
        dnode **lp = d->program_name ? &ds->pn : &ds->npn;
        if ((st = check_into_list(c, line, *lp, d)) != TL_OK)
            return st;
        if ((st = add_node(ds, lp, d, NULL)) != TL_OK)
            return st;
    }
    return TL_OK;
}

static tl_status read_decoder(lctx *c, const tl_osxml_node *n)
{
    tl_status st = TL_OK;
    dec *d = NULL;
    char *regex = NULL, *prematch = NULL, *pname = NULL;
    tl_expr_type rt = TL_EXPR_OSREGEX, pt = TL_EXPR_OSREGEX, nt = TL_EXPR_OSMATCH;
    int have_order = 0;

    if (strcmp(n->name, "decoder") != 0)
        return lfail(c, n->line, TL_E_PARSE, "(1230): Invalid element in the configuration: '%s'.",
                     n->name, NULL);
    if (n->nattr < 1 || !ci_eq(n->attr_name[0], "name"))
        return lfail(c, n->line, TL_E_PARSE, "(1230): Invalid element in the configuration: '%s'.",
                     n->name, NULL);
    for (size_t i = 1; i < n->nattr; i++)
        if (!ci_eq(n->attr_name[i], "id") && !ci_eq(n->attr_name[i], "status"))
            return lfail(c, n->line, TL_E_PARSE,
                         "(1230): Invalid element in the configuration: '%s'.", n->name, NULL);
    if (n->nchildren == 0)
        return lfail(c, n->line, TL_E_PARSE,
                     "(1231): Invalid NULL element in the configuration%s%s.", "", NULL);

    d = tl_calloc(1, sizeof *d);
    TL_TRY_ALLOC(d);
    d->own_name = tl_strdup(n->attr_val[0]);
    TL_TRY_ALLOC(d->own_name);
    d->info.type = TL_CAT_SYSLOG;

    for (size_t j = 0; j < n->nchildren; j++) {
        const tl_osxml_node *el = n->children[j];
        const char *en = el->name;
        const char *ct = el->content ? el->content : "";
        int off = 0, has_type = 0;
        tl_expr_type ty = TL_EXPR_OSREGEX;
        if (ci_eq(en, "parent")) {
            TL_TRY(append_str(&d->parent, ct));
        } else if (ci_eq(en, "type")) {
            if (!tl_category_parse(ct, &d->info.type)) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (invalid type '%s').",
                           d->own_name, ct);
                goto cleanup;
            }
        } else if (ci_eq(en, "order")) {
            TL_TRY(parse_order(c, d, el));
            have_order = 1;
        } else if (ci_eq(en, "fts")) {
            TL_TRY(parse_fts(c, d, el));
        } else if (ci_eq(en, "ftscomment")) {
            tl_free(d->ftscomment);
            d->ftscomment = tl_strdup(ct);
            TL_TRY_ALLOC(d->ftscomment);
        } else if (ci_eq(en, "program_name")) {
            TL_TRY(read_attrs(c, d, el, &off, &has_type, &ty));
            if (off) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (offset on '%s').",
                           d->own_name, en);
                goto cleanup;
            }
            if (has_type)
                nt = ty;
            TL_TRY(append_str(&pname, ct));
        } else if (ci_eq(en, "prematch")) {
            TL_TRY(read_attrs(c, d, el, &off, &has_type, &ty));
            if (off & ~OFF_PARENT) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (prematch offset must be "
                           "after_parent%s).",
                           d->own_name, "");
                goto cleanup;
            }
            if (prematch && off) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (only the first %s may have "
                           "an offset).",
                           d->own_name, en);
                goto cleanup;
            }
            if (!prematch)
                d->prematch_offset = off;
            if (has_type)
                pt = ty;
            TL_TRY(append_str(&prematch, ct));
        } else if (ci_eq(en, "regex")) {
            TL_TRY(read_attrs(c, d, el, &off, &has_type, &ty));
            if (regex && off) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (only the first %s may have "
                           "an offset).",
                           d->own_name, en);
                goto cleanup;
            }
            if (!regex)
                d->regex_offset = off;
            if (has_type)
                rt = ty;
            TL_TRY(append_str(&regex, ct));
        } else if (ci_eq(en, "use_own_name")) {
            if (strcmp(ct, "true") == 0)
                d->use_own_name = 1;
            else if (strcmp(ct, "false") == 0)
                d->use_own_name = 0;
            else {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (use_own_name '%s').",
                           d->own_name, ct);
                goto cleanup;
            }
        } else if (ci_eq(en, "accumulate")) {
            d->info.accumulate = 1;
        } else if (ci_eq(en, "plugin_decoder")) {
            TL_TRY(read_attrs(c, d, el, &off, &has_type, NULL));
            if (off & OFF_PREVREGEX) {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (plugin offset '%s').",
                           d->own_name, "after_regex");
                goto cleanup;
            }
            d->plugin_offset = off;
            if (strcmp(ct, "JSON_Decoder") == 0) {
                d->plugin = PLUGIN_JSON;
            } else if (strcmp(ct, "PF_Decoder") == 0) {
                d->plugin = PLUGIN_PF;
            } else if (strcmp(ct, "SymantecWS_Decoder") == 0) {
                d->plugin = PLUGIN_SYMANTEC_WS;
            } else if (strcmp(ct, "SonicWall_Decoder") == 0) {
                d->plugin = PLUGIN_SONICWALL;
                if (!d->sonicwall)
                    TL_TRY(tl_plugin_sonicwall_new(&d->sonicwall));
            } else if (strcmp(ct, "OSSECAlert_Decoder") == 0) {
                d->plugin = PLUGIN_OSSEC_ALERT;
            } else {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (unknown plugin '%s').",
                           d->own_name, ct);
                goto cleanup;
            }
        } else if (ci_eq(en, "json_null_field")) {
            if (strcmp(ct, "string") == 0)
                d->nulls = TL_JSON_NULL_STRING;
            else if (strcmp(ct, "discard") == 0)
                d->nulls = TL_JSON_NULL_DISCARD;
            else if (strcmp(ct, "empty") == 0) {
                d->nulls = TL_JSON_NULL_STRING;
                lwarn(c, el->line,
                      "decoder '%s': json_null_field '%s' is deprecated; using 'string'",
                      d->own_name, ct);
            } else {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (json_null_field '%s').",
                           d->own_name, ct);
                goto cleanup;
            }
        } else if (ci_eq(en, "json_array_structure")) {
            if (strcmp(ct, "array") == 0)
                d->arrays = TL_JSON_ARRAY_ARRAY;
            else if (strcmp(ct, "csv") == 0)
                d->arrays = TL_JSON_ARRAY_CSV;
            else {
                st = lfail(c, el->line, TL_E_PARSE,
                           "(2107): Decoder configuration error: '%s' (json_array_structure '%s').",
                           d->own_name, ct);
                goto cleanup;
            }
        } else {
            st = lfail(c, el->line, TL_E_PARSE,
                       "(1230): Invalid element in the configuration: '%s'.", en, NULL);
            goto cleanup;
        }
    }

    if (!prematch && !d->parent && !pname) {
        st = lfail(c, n->line, TL_E_PARSE, "(2106): No 'prematch' found in decoder: '%s'.",
                   d->own_name, NULL);
        goto cleanup;
    }
    if ((!regex && (d->nfts || have_order)) || (regex && !have_order)) {
        st = lfail(c, n->line, TL_E_PARSE, "(2107): Decoder configuration error: '%s'.",
                   d->own_name, NULL);
        goto cleanup;
    }
    if (regex)
        TL_TRY(compile_expr(c, d, n->line, rt, regex, 1, &d->regex));
    if (prematch) {
        TL_TRY(compile_expr(c, d, n->line, pt, prematch, 0, &d->prematch));
        d->prematch_fp = tl_expr_fp_filterable(d->prematch);
    }
    if (pname)
        TL_TRY(compile_expr(c, d, n->line, nt, pname, 0, &d->program_name));

    /* ids and shown names */
    {
        int own = name_id(c->ds, d->own_name, 1);
        if (own < 0)
            TL_FAIL(TL_E_NOMEM);
        if (d->parent && !d->use_own_name) {
            int pid = name_id(c->ds, d->parent, 0);
            d->info.id = pid > 0 ? pid : own;
            d->info.name = d->parent;
        } else {
            d->info.id = own;
            d->info.name = d->own_name;
        }
        d->info.own_name = d->own_name;
        d->info.parent = d->parent;
        d->info.fts = (const char *const *)d->fts;
        d->info.nfts = d->nfts;
        d->info.ftscomment = d->ftscomment;
    }

    if (grow((void **)&c->ds->all, &c->ds->capall, c->ds->nall, sizeof *c->ds->all) < 0)
        TL_FAIL(TL_E_NOMEM);
    TL_TRY(register_decoder(c, n->line, d));
    c->ds->all[c->ds->nall++] = d;
    d = NULL;

cleanup:
    dec_free(d);
    tl_free(regex);
    tl_free(prematch);
    tl_free(pname);
    return st;
}

tl_status tl_decoder_set_load_buffer(tl_decoder_set *ds, const char *name, const char *xml,
                                     size_t len, tl_decoder_warn_fn warn, void *warn_ctx,
                                     tl_diag *d)
{
    if (!ds || !xml)
        return TL_E_INVAL;
    tl_status st = TL_OK;
    tl_osxml_node *root = NULL;
    tl_diag xd;
    tl_diag_clear(&xd);
    lctx c = {ds, name ? name : "", d, warn, warn_ctx};
    st = tl_osxml_parse(xml, len, c.file, &root, &xd);
    if (st != TL_OK) {
        if (st == TL_E_NOMEM)
            return st;
        tl_diag_set(d, c.file, xd.line, "(1226): Error reading XML file '%s': %s (line %d).",
                    c.file, xd.msg, xd.line);
        return TL_E_PARSE;
    }
    for (size_t i = 0; i < root->nchildren; i++)
        TL_TRY(read_decoder(&c, root->children[i]));
cleanup:
    tl_osxml_free(root);
    return st;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int is_loaded(const tl_decoder_set *ds, const char *bn)
{
    for (size_t i = 0; i < ds->nloaded; i++)
        if (strcmp(ds->loaded[i], bn) == 0)
            return 1;
    return 0;
}

static tl_status mark_loaded(tl_decoder_set *ds, const char *bn)
{
    if (is_loaded(ds, bn))
        return TL_OK;
    if (grow((void **)&ds->loaded, &ds->caploaded, ds->nloaded, sizeof *ds->loaded) < 0)
        return TL_E_NOMEM;
    char *c = tl_strdup(bn);
    if (!c)
        return TL_E_NOMEM;
    ds->loaded[ds->nloaded++] = c;
    return TL_OK;
}

tl_status tl_decoder_set_load_file(tl_decoder_set *ds, const char *path, tl_decoder_warn_fn warn,
                                   void *warn_ctx, tl_diag *d)
{
    if (!ds || !path)
        return TL_E_INVAL;
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(path, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_decoder_set_load_buffer(ds, path, data, len, warn, warn_ctx, d);
    tl_free(data);
    if (st == TL_OK)
        st = mark_loaded(ds, base_name(path));
    return st;
}

typedef struct dfile {
    char *base;
    char *path;
    size_t dir;
} dfile;

static int dfile_cmp(const void *a, const void *b)
{
    const dfile *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    if (c)
        return c;
    return x->dir < y->dir ? -1 : x->dir > y->dir;
}

tl_status tl_decoder_set_load_dirs(tl_decoder_set *ds, const char *const *dirs, size_t ndirs,
                                   const char *const *exclude, size_t nexclude,
                                   tl_decoder_warn_fn warn, void *warn_ctx, tl_diag *d)
{
    if (!ds || (ndirs && !dirs))
        return TL_E_INVAL;
    tl_status st = TL_OK;
    dfile *files = NULL;
    size_t nf = 0, cap = 0;
    for (size_t i = 0; i < ndirs; i++) {
        DIR *dh = opendir(dirs[i]);
        if (!dh) {
            tl_diag_set(d, dirs[i], 0, "Could not open decoder directory '%s'.", dirs[i]);
            TL_FAIL(TL_E_IO);
        }
        struct dirent *e;
        while ((e = readdir(dh))) {
            size_t l = strlen(e->d_name);
            if (l < 4 || strcmp(e->d_name + l - 4, ".xml") != 0 || e->d_name[0] == '.')
                continue;
            char *p = tl_path_join(dirs[i], e->d_name);
            struct stat sb;
            if (!p || stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
                tl_free(p);
                if (!p) {
                    closedir(dh);
                    TL_FAIL(TL_E_NOMEM);
                }
                continue;
            }
            if (grow((void **)&files, &cap, nf, sizeof *files) < 0) {
                tl_free(p);
                closedir(dh);
                TL_FAIL(TL_E_NOMEM);
            }
            files[nf].path = p;
            files[nf].base = tl_strdup(e->d_name);
            files[nf].dir = i;
            if (!files[nf].base) {
                tl_free(p);
                closedir(dh);
                TL_FAIL(TL_E_NOMEM);
            }
            nf++;
        }
        closedir(dh);
    }
    if (nf)
        qsort(files, nf, sizeof *files, dfile_cmp);
    for (size_t i = 0; i < nf; i++) {
        if (is_loaded(ds, files[i].base))
            continue;
        int skip = 0;
        for (size_t k = 0; k < nexclude; k++)
            if (exclude[k] && (strcmp(base_name(exclude[k]), files[i].base) == 0 ||
                               strcmp(exclude[k], files[i].path) == 0))
                skip = 1;
        if (skip)
            continue;
        TL_TRY(tl_decoder_set_load_file(ds, files[i].path, warn, warn_ctx, d));
    }
cleanup:
    for (size_t i = 0; i < nf; i++) {
        tl_free(files[i].base);
        tl_free(files[i].path);
    }
    tl_free(files);
    return st;
}

/* ---- decoding ------------------------------------------------------------ */

static int xexec(const tl_expr *e, const char *s, const char **end)
{
    if (!s)
        return 0;
    const char *en = NULL;
    if (!tl_expr_exec(e, s, NULL, 0, NULL, &en))
        return 0;
    if (end)
        *end = en ? en : s + strlen(s);
    return 1;
}

static tl_status set_static(tl_event *ev, int idx, const char *v, size_t n)
{
    char *c = tl_strndup(v, n);
    if (!c)
        return TL_E_NOMEM;
    tl_free(ev->stat[idx]);
    ev->stat[idx] = c;
    return TL_OK;
}

static tl_status apply_order(tl_event *ev, const dec *d, const tl_capture *caps, size_t ncap)
{
    tl_status st = TL_OK;
    for (size_t i = 0; i < ncap && i < TL_DECODER_ORDER_SIZE; i++) {
        if (i >= d->norder)
            break;
        const char *v = caps[i].start ? caps[i].start : "";
        size_t vl = caps[i].start ? caps[i].len : 0;
        const dorder *o = &d->order[i];
        for (size_t k = 0; k < o->nnames; k++) {
            if (o->sidx[k] >= 0) {
                TL_TRY(set_static(ev, o->sidx[k], v, vl));
            } else if (ev->nfields < TL_DECODER_ORDER_SIZE) {
                TL_TRY(tl_event_add_field(ev, o->names[k], strlen(o->names[k]), v, vl));
            }
        }
    }
cleanup:
    return st;
}

static void set_result(tl_event *ev, const dec *info)
{
    ev->decoded = 1;
    ev->decoder_info = &info->info;
    ev->decoder_name = info->info.name;
    ev->decoder_parent = info->parent;
    ev->decoder_type = info->info.type;
}

static tl_status decode_list(const dnode *node, tl_event *ev, tl_decoder_trace_fn trace, void *tctx)
{
    tl_status st = TL_OK;
    const char *log = ev->log ? ev->log : "";
    tl_capture caps[MAXCAPS];
    for (; node; node = node->next) {
        const dec *nd = node->d;
        const char *pmatch = NULL, *cmatch = NULL, *regex_prev = NULL;
        if (ev->program_name) {
            if (!nd->program_name || !xexec(nd->program_name, ev->program_name, NULL)) {
                if (trace)
                    trace(tctx, nd->own_name, 0);
                continue;
            }
            pmatch = log;
        }
        if (nd->prematch) {
            if ((nd->prematch_fp && !tl_expr_exec_maybe(nd->prematch, tl_event_log_fp(ev))) ||
                !xexec(nd->prematch, log, &pmatch)) {
                if (trace)
                    trace(tctx, nd->own_name, 0);
                continue;
            }
        }
        if (trace)
            trace(tctx, nd->own_name, 1);
        set_result(ev, nd);
        const dnode *child = node->child;
        const dec *nn = nd;
        if (!child) {
            child = node;
        } else {
            while (child) {
                nn = child->d;
                if (nn->prematch) {
                    const char *l2 = (nn->prematch_offset & OFF_PARENT) ? pmatch : log;
                    /* l2 is the log or a suffix of it: the log's fingerprint holds */
                    if ((!nn->prematch_fp ||
                         tl_expr_exec_maybe(nn->prematch, tl_event_log_fp(ev))) &&
                        xexec(nn->prematch, l2, &cmatch)) {
                        if (trace)
                            trace(tctx, nn->own_name, 1);
                        set_result(ev, nn);
                        break;
                    }
                    if (trace)
                        trace(tctx, nn->own_name, 0);
                } else {
                    cmatch = pmatch;
                    break;
                }
                if (nn->get_next) {
                    do {
                        child = child->next;
                    } while (child && child->d->get_next);
                    if (!child)
                        return TL_OK;
                    child = child->next;
                } else {
                    child = child->next;
                }
                nn = NULL;
            }
        }
        if (!nn || !child)
            return TL_OK;
        if (nn->plugin) {
            const char *in = log;
            if (nn->plugin_offset & OFF_PARENT)
                in = pmatch ? pmatch : log;
            else if (nn->plugin_offset & OFF_PREMATCH)
                in = cmatch ? cmatch : (pmatch ? pmatch : log);
            /* analysisd moves lf->log to the offset before calling the plugin */
            ev->log = in;
            if (nn->plugin == PLUGIN_JSON)
                return tl_json_decode(ev, in, nn->nulls, nn->arrays);
            /* the others read lf->log after the header and ignore the offset */
            if (nn->plugin == PLUGIN_PF)
                return tl_plugin_pf(ev, log);
            if (nn->plugin == PLUGIN_SYMANTEC_WS)
                return tl_plugin_symantec_ws(ev, log);
            if (nn->plugin == PLUGIN_SONICWALL)
                return tl_plugin_sonicwall(nn->sonicwall, ev, log);
            if (nn->plugin == PLUGIN_OSSEC_ALERT)
                return tl_plugin_ossec_alert(ev, log);
            return TL_OK;
        }
        while (child) {
            if (nn->regex) {
                const char *llog = log;
                if (nn->regex_offset & OFF_PARENT)
                    llog = pmatch;
                else if (nn->regex_offset & OFF_PREMATCH)
                    llog = cmatch ? cmatch : pmatch;
                else if (nn->regex_offset & OFF_PREVREGEX)
                    llog = regex_prev ? regex_prev : (cmatch ? cmatch : pmatch);
                if (!llog)
                    llog = log;
                size_t ncap = 0;
                const char *end = NULL;
                if (!tl_expr_exec(nn->regex, llog, caps, MAXCAPS, &ncap, &end)) {
                    if (nn->get_next && child->next) {
                        child = child->next;
                        nn = child->d;
                        continue;
                    }
                    return TL_OK;
                }
                regex_prev = end ? end : llog + strlen(llog);
                TL_TRY(apply_order(ev, nn, caps, ncap));
            }
            if (nn->get_next && child->next) {
                child = child->next;
                nn = child->d;
                continue;
            }
            break;
        }
        return TL_OK;
    }
cleanup:
    return st;
}

tl_status tl_decode_ex(const tl_decoder_set *ds, tl_event *ev, tl_decoder_trace_fn trace,
                       void *trace_ctx, tl_diag *d)
{
    if (!ev)
        return TL_E_INVAL;
    if (ev->queue == 'f') {
        tl_status st = tl_winevt_decode_event(ev, d);
        if (st != TL_OK)
            return st;
        ev->decoded = 1;
        ev->decoder_info = &g_winevt_info;
        ev->decoder_name = g_winevt_info.name;
        ev->decoder_parent = NULL;
        ev->decoder_type = TL_CAT_OSSEC;
        if (trace)
            trace(trace_ctx, g_winevt_info.name, 1);
        return TL_OK;
    }
    if (!ds)
        return TL_OK;
    return decode_list(ev->program_name ? ds->pn : ds->npn, ev, trace, trace_ctx);
}

tl_status tl_decode(const tl_decoder_set *ds, tl_event *ev, tl_diag *d)
{
    return tl_decode_ex(ds, ev, NULL, NULL, d);
}

const tl_decoder_info *tl_event_decoder_info(const tl_event *ev)
{
    return ev ? ev->decoder_info : NULL;
}
