/* SPDX-License-Identifier: MIT */
/*
 * Rule files as text, for mutation: a small scanner that finds each <rule> and
 * its direct children with their byte ranges and lines, and the generator that
 * turns one rule into its mutants. A mutant is a byte-range replacement in the
 * rule file's text; the mutated text is then loaded by the real rule loader
 * (tl_ruleset_opts.subst_*), so a mutant means exactly what the same XML would
 * mean to the manager, and a mutant that does not load is reported as invalid.
 *
 * The scanner follows elements, comments, processing instructions and CDATA;
 * it does not validate (the rule loader does) and keeps no entity decoding:
 * names and patterns are shown as written. os_xml variables ($TL_...) are not
 * expanded and variable definitions are not mutated: a <var> is shared by many
 * rules, and a mutant is one change to one rule.
 *
 * Mutants of one rule, in this order (names as shown in the report):
 *   delete <field name="x">        each condition element (every if_sid entry alone
 *   delete if_sid entry 61603      when it lists several)
 *   negate <field name="x">        field/match/regex (or "un-negate" when negated)
 *   drop ^ from <field name="x">   each ^ / $ anchor of a field/match/regex pattern
 *   cut "alt" from <...>           each literal alternative of an alternation
 *   case-sensitive <...>           pcre2 with a leading (?i) (case-insensitive the reverse)
 *   level 6 -> 0                   to 0, below log_alert_level, below each
 *                                  <active-response> level and if_level threshold it meets
 *   frequency 8 -> 4 / -> 16, timeframe 120 -> 60 / -> 240, remove ignore="60"
 *   if_sid 100500 -> 61603         moved to the parent's parent (single parent)
 * Duplicate names within a rule get " #2", " #3", ...
 */
#define _POSIX_C_SOURCE 200809L
#include "studies_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_MAX_DEPTH 64

/* ---- scanner ---------------------------------------------------------------- */

typedef struct sframe {
    tl_rx_elem e;
    int is_rule;
} sframe;

typedef struct scan {
    const char *t;
    size_t len, pos, lpos;
    int line;
    const char *path;
    tl_diag *d;
} scan;

static int line_at(scan *s, size_t pos)
{
    for (; s->lpos < pos && s->lpos < s->len; s->lpos++)
        if (s->t[s->lpos] == '\n')
            s->line++;
    return s->line;
}

static const char *find(const scan *s, size_t from, const char *what)
{
    size_t wl = strlen(what);
    for (size_t i = from; i + wl <= s->len; i++)
        if (!memcmp(s->t + i, what, wl))
            return s->t + i;
    return NULL;
}

static int is_name_ch(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static tl_status push_kid(tl_rx_rule *r, const tl_rx_elem *e)
{
    tl_rx_elem *nv = tl_realloc(r->kids, (r->nkids + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    r->kids = nv;
    r->kids[r->nkids++] = *e;
    return TL_OK;
}

static tl_status push_rule(tl_rx_file *f, const tl_rx_rule *r)
{
    tl_rx_rule *nv = tl_realloc(f->rules, (f->nrules + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    f->rules = nv;
    f->rules[f->nrules++] = *r;
    return TL_OK;
}

const tl_rx_attr *tl_rx_attr_find(const tl_rx_elem *e, const char *name)
{
    for (size_t i = 0; i < e->nattr; i++)
        if (!tl_strcasecmp(e->attr[i].name, name))
            return &e->attr[i];
    return NULL;
}

char *tl_rx_attr_dup(const tl_rx_file *f, const tl_rx_elem *e, const char *name)
{
    const tl_rx_attr *a = tl_rx_attr_find(e, name);
    return a ? tl_strndup(f->text + a->vstart, a->vend - a->vstart) : NULL;
}

static int attr_int(const tl_rx_file *f, const tl_rx_elem *e, const char *name, int dflt)
{
    char *v = tl_rx_attr_dup(f, e, name);
    int r = v ? atoi(v) : dflt;
    tl_free(v);
    return r;
}

static int stateful_name(const char *n)
{
    return !strncmp(n, "if_matched_", 11) || !strncmp(n, "same_", 5) ||
           !strncmp(n, "different_", 10) || !strncmp(n, "not_same_", 9) || !strcmp(n, "ignore") ||
           !strcmp(n, "check_if_ignored") || !strcmp(n, "check_diff") || !strcmp(n, "if_fts");
}

/* Close element e (stack top popped); parent is the new top or NULL. */
static tl_status close_elem(tl_rx_file *f, sframe *e, sframe *parent, tl_rx_rule *cur, int *in_rule)
{
    if (e->is_rule) {
        cur->self = e->e;
        cur->id = attr_int(f, &e->e, "id", -1);
        cur->level = attr_int(f, &e->e, "level", 0);
        if (tl_rx_attr_find(&e->e, "frequency") || tl_rx_attr_find(&e->e, "timeframe") ||
            tl_rx_attr_find(&e->e, "ignore"))
            f->stateful = 1;
        tl_status st = push_rule(f, cur);
        if (st != TL_OK)
            return st;
        memset(cur, 0, sizeof *cur);
        *in_rule = 0;
        return TL_OK;
    }
    if (parent && parent->is_rule) {
        if (stateful_name(e->e.name))
            f->stateful = 1;
        return push_kid(cur, &e->e);
    }
    return TL_OK;
}

tl_status tl_rx_scan(const char *path, const char *text, size_t len, tl_rx_file *f, tl_diag *d)
{
    tl_status st = TL_OK;
    scan s = {text, len, 0, 0, 1, path, d};
    sframe stack[RX_MAX_DEPTH];
    size_t depth = 0;
    tl_rx_rule cur;
    int in_rule = 0;
    memset(&cur, 0, sizeof cur);
    memset(f, 0, sizeof *f);
    f->text = (char *)text;
    f->len = len;
    f->path = tl_strdup(path);
    TL_TRY_ALLOC(f->path);

    while (s.pos < len) {
        if (text[s.pos] != '<') {
            s.pos++;
            continue;
        }
        size_t lt = s.pos;
        const char *endp = NULL;
        if (lt + 1 >= len || !(isalpha((unsigned char)text[lt + 1]) || text[lt + 1] == '_' ||
                               text[lt + 1] == '/' || text[lt + 1] == '!' || text[lt + 1] == '?')) {
            s.pos++; /* a bare '<' in text (os_xml lets a pattern have one) */
            continue;
        }
        /* comments, processing instructions, CDATA, other declarations: skipped whole
         * (the first that matches; "<!" last) */
        static const struct {
            const char *open, *close;
        } skips[] = {{"<!--", "-->"}, {"<?", "?>"}, {"<![CDATA[", "]]>"}, {"<!", ">"}};
        size_t k = 0;
        while (k < sizeof skips / sizeof skips[0] &&
               strncmp(text + lt, skips[k].open, strlen(skips[k].open)))
            k++;
        if (k < sizeof skips / sizeof skips[0]) {
            endp = find(&s, lt + strlen(skips[k].open), skips[k].close);
            if (!endp)
                goto unterminated;
            s.pos = (size_t)(endp - text) + strlen(skips[k].close);
            continue;
        }
        if (lt + 1 < len && text[lt + 1] == '/') {
            endp = find(&s, lt + 2, ">");
            if (!endp)
                goto unterminated;
            if (!depth) {
                tl_diag_set(d, path, line_at(&s, lt), "closing tag without an open element");
                TL_FAIL(TL_E_PARSE);
            }
            sframe *e = &stack[--depth];
            e->e.tend = lt;
            e->e.end = (size_t)(endp - text) + 1;
            TL_TRY(close_elem(f, e, depth ? &stack[depth - 1] : NULL, &cur, &in_rule));
            s.pos = e->e.end;
            continue;
        }
        /* open tag */
        sframe fr;
        memset(&fr, 0, sizeof fr);
        fr.e.start = lt;
        fr.e.line = line_at(&s, lt);
        size_t i = lt + 1, n = 0;
        while (i < len && is_name_ch((unsigned char)text[i])) {
            if (n + 1 < sizeof fr.e.name)
                fr.e.name[n++] = (char)tolower((unsigned char)text[i]);
            i++;
        }
        int self_close = 0;
        for (;;) {
            while (i < len && isspace((unsigned char)text[i]))
                i++;
            if (i >= len)
                goto unterminated;
            if (text[i] == '>') {
                i++;
                break;
            }
            if (text[i] == '/' && i + 1 < len && text[i + 1] == '>') {
                self_close = 1;
                i += 2;
                break;
            }
            size_t an = i;
            while (i < len && is_name_ch((unsigned char)text[i]))
                i++;
            size_t ae = i;
            while (i < len && isspace((unsigned char)text[i]))
                i++;
            if (ae == an || i >= len || text[i] != '=') {
                tl_diag_set(d, path, line_at(&s, i < len ? i : len), "malformed attribute in <%s>",
                            fr.e.name);
                TL_FAIL(TL_E_PARSE);
            }
            i++;
            while (i < len && isspace((unsigned char)text[i]))
                i++;
            if (i >= len || (text[i] != '"' && text[i] != '\''))
                goto unterminated;
            char q = text[i++];
            size_t vs = i;
            while (i < len && text[i] != q)
                i++;
            if (i >= len)
                goto unterminated;
            if (fr.e.nattr < TL_RX_MAX_ATTR) {
                tl_rx_attr *a = &fr.e.attr[fr.e.nattr++];
                size_t nl = ae - an < sizeof a->name - 1 ? ae - an : sizeof a->name - 1;
                memcpy(a->name, text + an, nl);
                a->name[nl] = '\0';
                a->vstart = vs;
                a->vend = i;
            }
            i++;
        }
        fr.e.open_end = i;
        fr.e.tstart = i;
        fr.is_rule = !strcmp(fr.e.name, "rule");
        if (fr.is_rule) {
            if (in_rule) {
                tl_diag_set(d, path, fr.e.line, "<rule> inside a <rule>");
                TL_FAIL(TL_E_PARSE);
            }
            in_rule = 1;
        }
        s.pos = i;
        if (self_close) {
            fr.e.tend = fr.e.end = i;
            TL_TRY(close_elem(f, &fr, depth ? &stack[depth - 1] : NULL, &cur, &in_rule));
            continue;
        }
        if (depth == RX_MAX_DEPTH) {
            tl_diag_set(d, path, fr.e.line, "elements nested deeper than %d", RX_MAX_DEPTH);
            TL_FAIL(TL_E_LIMIT);
        }
        stack[depth++] = fr;
    }
    if (depth) {
        tl_diag_set(d, path, stack[depth - 1].e.line, "<%s> is never closed", stack[depth - 1].e.name);
        TL_FAIL(TL_E_PARSE);
    }
    goto cleanup;
unterminated:
    tl_diag_set(d, path, line_at(&s, s.pos), "unterminated markup");
    st = TL_E_PARSE;
cleanup:
    tl_free(cur.kids);
    if (st != TL_OK)
        tl_rx_file_clear(f);
    return st;
}

void tl_rx_file_clear(tl_rx_file *f)
{
    for (size_t i = 0; i < f->nrules; i++)
        tl_free(f->rules[i].kids);
    tl_free(f->rules);
    tl_free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---- generator -------------------------------------------------------------- */

void tl_mutants_clear(tl_mutants *m)
{
    for (size_t i = 0; i < m->n; i++) {
        tl_free(m->v[i].name);
        tl_free(m->v[i].repl);
        tl_free(m->v[i].parents);
    }
    tl_free(m->v);
    memset(m, 0, sizeof *m);
}

typedef struct gen {
    const tl_mutgen_ctx *c;
    const tl_rx_file *f;
    const tl_rx_rule *r;
    tl_mutants *out;
    size_t first; /* index of this rule's first mutant, for name de-duplication */
    int own;      /* the mutants being added change only the rule's own conditions */
    int level;    /* ... change only the rule's level */
} gen;

static tl_status add(gen *g, const char *name, size_t cs, size_t ce, const char *repl, int reach,
                     const int *parents, size_t nparents)
{
    tl_mutants *m = g->out;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        tl_mutant *nv = tl_realloc(m->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        m->v = nv;
        m->cap = nc;
    }
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%d: %s", g->r->id, name);
    /* de-duplicate within the rule */
    size_t dup = 1;
    for (size_t i = g->first; i < m->n; i++) {
        const char *o = m->v[i].name;
        size_t bl = b.len;
        if (!strncmp(o, tl_buf_cstr(&b), bl) && (o[bl] == '\0' || !strncmp(o + bl, " #", 2)))
            dup++;
    }
    if (dup > 1)
        tl_buf_printf(&b, " #%zu", dup);
    tl_mutant x;
    memset(&x, 0, sizeof x);
    x.rule_id = g->r->id;
    x.file = g->f;
    x.line = g->r->self.line;
    x.cut_start = cs;
    x.cut_end = ce;
    x.reach = reach;
    x.own = g->own;
    x.where_holds = g->level;
    x.name = tl_buf_take(&b);
    x.repl = tl_strdup(repl);
    if (nparents) {
        x.parents = tl_calloc(nparents, sizeof *x.parents);
        if (x.parents)
            memcpy(x.parents, parents, nparents * sizeof *parents);
        x.nparents = nparents;
    }
    if (!x.name || !x.repl || (nparents && !x.parents)) {
        tl_free(x.name);
        tl_free(x.repl);
        tl_free(x.parents);
        return TL_E_NOMEM;
    }
    m->v[m->n++] = x;
    return TL_OK;
}

static int is_meta(const char *n)
{
    static const char *const meta[] = {"description", "mitre", "options", "group", "info",
                                       "pci_dss", "gdpr", "hipaa", "nist_800_53", "tsc",
                                       "gpg13", "var"};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (!strcmp(n, meta[i]))
            return 1;
    return 0;
}

static int is_parent_elem(const char *n)
{
    return !strcmp(n, "if_sid") || !strcmp(n, "if_group") || !strcmp(n, "if_level") ||
           !strcmp(n, "if_matched_sid") || !strcmp(n, "if_matched_group");
}

static int is_pattern_elem(const char *n)
{
    return !strcmp(n, "field") || !strcmp(n, "match") || !strcmp(n, "regex");
}

/* "<field name=\"x\">", "<decoded_as>json</decoded_as>" or "<match>" */
static void label(const tl_rx_file *f, const tl_rx_elem *e, tl_buf *b)
{
    const tl_rx_attr *a = tl_rx_attr_find(e, "name");
    if (a) {
        tl_buf_printf(b, "<%s name=\"%.*s\">", e->name, (int)(a->vend - a->vstart),
                      f->text + a->vstart);
        return;
    }
    size_t tl = e->tend - e->tstart;
    if (tl && tl <= 40 && !memchr(f->text + e->tstart, '\n', tl))
        tl_buf_printf(b, "<%s>%.*s</%s>", e->name, (int)tl, f->text + e->tstart, e->name);
    else
        tl_buf_printf(b, "<%s>", e->name);
}

static const tl_rx_rule *find_rule(const tl_mutgen_ctx *c, int id, const tl_rx_file **fo)
{
    for (size_t i = 0; i < c->nfiles; i++)
        for (size_t k = 0; k < c->files[i].nrules; k++)
            if (c->files[i].rules[k].id == id) {
                if (fo)
                    *fo = &c->files[i];
                return &c->files[i].rules[k];
            }
    return NULL;
}

/* Split an if_sid list "61603, 92028" into ids; returns count (<= max). */
static size_t split_ids(const char *s, size_t len, int *ids, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        while (i < len && (isspace((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (i >= len)
            break;
        ids[n++] = atoi(s + i);
        while (i < len && !isspace((unsigned char)s[i]) && s[i] != ',')
            i++;
    }
    return n;
}

static int lit_char_ok(const char *p, size_t i, size_t end, size_t *step)
{
    char ch = p[i];
    *step = 1;
    if (ch == '\\') {
        if (i + 1 >= end)
            return 0;
        char nx = p[i + 1];
        if (isalnum((unsigned char)nx))
            return 0; /* \s \d \w \b ... are classes, not literals */
        *step = 2;
        return 1;
    }
    return !strchr(".^$*+?()[]{}|", ch);
}

/* Pattern mutants of one element: anchors, literal alternatives. */
static tl_status pattern_mutants(gen *g, const tl_rx_elem *e, const char *lab)
{
    const char *t = g->f->text;
    size_t s = e->tstart, en = e->tend;
    tl_buf nm = TL_BUF_INIT;
    tl_status st = TL_OK;
    /* anchors */
    int in_class = 0;
    for (size_t i = s; i < en; i++) {
        char ch = t[i];
        if (ch == '\\') {
            i++;
            continue;
        }
        if (in_class) {
            if (ch == ']')
                in_class = 0;
            continue;
        }
        if (ch == '[') {
            in_class = 1;
            if (i + 1 < en && t[i + 1] == ']')
                i++;
            continue;
        }
        int anchor = ch == '^' || (ch == '$' && !(i + 1 < en && (isalpha((unsigned char)t[i + 1]) ||
                                                             t[i + 1] == '_')));
        if (!anchor)
            continue;
        tl_buf_reset(&nm);
        tl_buf_printf(&nm, "drop %c from %s", ch, lab);
        TL_TRY(tl_buf_status(&nm));
        TL_TRY(add(g, tl_buf_cstr(&nm), i, i + 1, "", TL_REACH_TRIED, NULL, 0));
    }
    /* alternations: a stack of group content starts */
    {
        size_t gstart[RX_MAX_DEPTH];
        size_t alt_from[RX_MAX_DEPTH];
        size_t bars[RX_MAX_DEPTH][64];
        size_t nbars[RX_MAX_DEPTH];
        size_t dep = 0;
        gstart[0] = s;
        alt_from[0] = s;
        nbars[0] = 0;
        in_class = 0;
        for (size_t i = s; i <= en; i++) {
            char ch = i < en ? t[i] : ')';
            int closing = i == en;
            if (!closing) {
                if (ch == '\\') {
                    i++;
                    continue;
                }
                if (in_class) {
                    if (ch == ']')
                        in_class = 0;
                    continue;
                }
                if (ch == '[') {
                    in_class = 1;
                    if (i + 1 < en && t[i + 1] == ']')
                        i++;
                    continue;
                }
                if (ch == '(') {
                    size_t j = i + 1;
                    if (j < en && t[j] == '?') {
                        size_t k = j + 1;
                        while (k < en && (isalpha((unsigned char)t[k]) || t[k] == '-'))
                            k++;
                        if (k < en && t[k] == ')' && k > j + 1) { /* (?i) flags */
                            i = k;
                            continue;
                        }
                        j = j + 1;
                        if (j < en && (t[j] == ':' || t[j] == '=' || t[j] == '!' || t[j] == '>' ||
                                       t[j] == '|'))
                            j++;
                        else
                            while (j < en && t[j] != ':' && t[j] != ')')
                                j++;
                        if (j < en && t[j] == ':')
                            j++;
                    }
                    if (dep + 1 >= RX_MAX_DEPTH)
                        break;
                    dep++;
                    gstart[dep] = j;
                    nbars[dep] = 0;
                    i = j - 1;
                    continue;
                }
                if (ch == '|') {
                    if (nbars[dep] < 64)
                        bars[dep][nbars[dep]++] = i;
                    continue;
                }
                if (ch != ')')
                    continue;
            }
            /* end of a group (or of the pattern): its alternatives */
            if (nbars[dep]) {
                size_t nalt = nbars[dep] + 1;
                for (size_t a = 0; a < nalt; a++) {
                    size_t as = a ? bars[dep][a - 1] + 1 : gstart[dep];
                    size_t ae = a < nbars[dep] ? bars[dep][a] : i;
                    if (ae <= as)
                        continue;
                    int lit = 1;
                    for (size_t k = as, step = 1; k < ae && lit; k += step)
                        lit = lit_char_ok(t, k, ae, &step);
                    if (!lit)
                        continue;
                    size_t cs = a < nbars[dep] ? as : bars[dep][a - 1];
                    size_t ce = a < nbars[dep] ? ae + 1 : ae;
                    tl_buf_reset(&nm);
                    tl_buf_printf(&nm, "cut \"%.*s\" from %s", (int)(ae - as), t + as, lab);
                    TL_TRY(tl_buf_status(&nm));
                    TL_TRY(add(g, tl_buf_cstr(&nm), cs, ce, "", TL_REACH_TRIED, NULL, 0));
                }
            }
            if (closing)
                break;
            if (dep)
                dep--;
        }
        (void)alt_from;
    }
    /* case */
    {
        char *type = tl_rx_attr_dup(g->f, e, "type");
        int pcre = type && !tl_strcasecmp(type, "pcre2");
        tl_free(type);
        if (pcre) {
            tl_buf_reset(&nm);
            if (en - s >= 4 && !memcmp(t + s, "(?i)", 4)) {
                tl_buf_printf(&nm, "case-sensitive %s", lab);
                TL_TRY(tl_buf_status(&nm));
                TL_TRY(add(g, tl_buf_cstr(&nm), s, s + 4, "", TL_REACH_TRIED, NULL, 0));
            } else {
                tl_buf_printf(&nm, "case-insensitive %s", lab);
                TL_TRY(tl_buf_status(&nm));
                TL_TRY(add(g, tl_buf_cstr(&nm), s, s, "(?i)", TL_REACH_TRIED, NULL, 0));
            }
        }
    }
cleanup:
    tl_buf_free(&nm);
    return st;
}

static int cmp_int_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

tl_status tl_mutgen_rule(const tl_mutgen_ctx *c, const tl_rx_file *f, const tl_rx_rule *r,
                         tl_mutants *out)
{
    tl_status st = TL_OK;
    gen g = {c, f, r, out, out->n, 0, 0};
    const char *t = f->text;
    tl_buf nm = TL_BUF_INIT, lab = TL_BUF_INIT;
    int nparent_elems = 0;
    for (size_t k = 0; k < r->nkids; k++)
        nparent_elems += is_parent_elem(r->kids[k].name);

    /* 1. deletions */
    for (size_t k = 0; k < r->nkids; k++) {
        const tl_rx_elem *e = &r->kids[k];
        if (is_meta(e->name))
            continue;
        if (!strcmp(e->name, "if_sid")) {
            int ids[64];
            size_t n = split_ids(t + e->tstart, e->tend - e->tstart, ids, 64);
            if (n > 1) {
                for (size_t i = 0; i < n; i++) {
                    tl_buf rest = TL_BUF_INIT;
                    for (size_t j = 0; j < n; j++)
                        if (j != i)
                            tl_buf_printf(&rest, "%s%d", rest.len ? ", " : "", ids[j]);
                    tl_buf_reset(&nm);
                    tl_buf_printf(&nm, "delete if_sid entry %d", ids[i]);
                    st = tl_buf_status(&rest) != TL_OK ? TL_E_NOMEM : tl_buf_status(&nm);
                    /* fewer parents: tried on a subset of the events where the rule was */
                    if (st == TL_OK)
                        st = add(&g, tl_buf_cstr(&nm), e->tstart, e->tend, tl_buf_cstr(&rest),
                                 TL_REACH_TRIED, NULL, 0);
                    tl_buf_free(&rest);
                    TL_TRY(st);
                }
                continue;
            }
        }
        tl_buf_reset(&lab);
        label(f, e, &lab);
        tl_buf_reset(&nm);
        tl_buf_printf(&nm, "delete %s", tl_buf_cstr(&lab));
        TL_TRY(tl_buf_status(&nm));
        /* Without its only parent element the rule moves to the top level; without
         * <category> it passes the top-level prefilter: it may be tried anywhere. */
        int reach = (is_parent_elem(e->name) && nparent_elems <= 1) || !strcmp(e->name, "category")
                        ? TL_REACH_ALL
                        : TL_REACH_TRIED;
        if (is_parent_elem(e->name) && nparent_elems > 1)
            reach = TL_REACH_ALL; /* another parent element takes over: not a subset */
        /* a condition of the rule itself (not where it hangs, not the top-level
         * prefilter <category>) */
        g.own = !is_parent_elem(e->name) && strcmp(e->name, "category") != 0;
        st = add(&g, tl_buf_cstr(&nm), e->start, e->end, "", reach, NULL, 0);
        g.own = 0;
        TL_TRY(st);
    }
    /* 2. negate, 3. patterns: the rule's own conditions */
    g.own = 1;
    for (size_t k = 0; k < r->nkids; k++) {
        const tl_rx_elem *e = &r->kids[k];
        if (!is_pattern_elem(e->name))
            continue;
        tl_buf_reset(&lab);
        label(f, e, &lab);
        const tl_rx_attr *a = tl_rx_attr_find(e, "negate");
        int neg = 0;
        if (a) {
            char *v = tl_strndup(t + a->vstart, a->vend - a->vstart);
            TL_TRY_ALLOC(v);
            neg = !tl_strcasecmp(v, "yes");
            tl_free(v);
        }
        tl_buf_reset(&nm);
        tl_buf_printf(&nm, "%s %s", neg ? "un-negate" : "negate", tl_buf_cstr(&lab));
        TL_TRY(tl_buf_status(&nm));
        if (a) {
            TL_TRY(add(&g, tl_buf_cstr(&nm), a->vstart, a->vend, neg ? "no" : "yes",
                       TL_REACH_TRIED, NULL, 0));
        } else {
            size_t at = e->open_end - 1;
            if (at > e->start && t[at - 1] == '/')
                at--;
            TL_TRY(add(&g, tl_buf_cstr(&nm), at, at, " negate=\"yes\"", TL_REACH_TRIED, NULL, 0));
        }
    }
    /* 3. patterns */
    for (size_t k = 0; k < r->nkids; k++) {
        const tl_rx_elem *e = &r->kids[k];
        if (!is_pattern_elem(e->name))
            continue;
        tl_buf_reset(&lab);
        label(f, e, &lab);
        TL_TRY(tl_buf_status(&lab));
        TL_TRY(pattern_mutants(&g, e, tl_buf_cstr(&lab)));
    }
    g.own = 0;
    /* 4. levels */
    {
        const tl_rx_attr *la = tl_rx_attr_find(&r->self, "level");
        int L = r->level;
        int targets[80];
        size_t nt = 0;
        if (la && L > 0) {
            targets[nt++] = 0;
            if (L >= c->log_alert_level && c->log_alert_level > 0)
                targets[nt++] = c->log_alert_level - 1;
            for (size_t i = 0; i < c->n_ar_levels && nt < 40; i++)
                if (L >= c->ar_levels[i] && c->ar_levels[i] > 0)
                    targets[nt++] = c->ar_levels[i] - 1;
            for (size_t i = 0; i < c->nfiles && nt < 80; i++)
                for (size_t j = 0; j < c->files[i].nrules && nt < 80; j++) {
                    const tl_rx_rule *o = &c->files[i].rules[j];
                    for (size_t q = 0; q < o->nkids && nt < 80; q++)
                        if (!strcmp(o->kids[q].name, "if_level")) {
                            int need = atoi(c->files[i].text + o->kids[q].tstart);
                            if (L >= need && need > 0)
                                targets[nt++] = need - 1;
                        }
                }
            qsort(targets, nt, sizeof *targets, cmp_int_desc);
            /* Siblings are ordered by level (level 0 first), so the mutant may
             * move ahead of siblings that answered before the rule was tried:
             * it can be tried wherever a parent matched (not only where the
             * rule was tried). Its parents: the if_sid entries; under if_group,
             * if_level or at the top level, anywhere. */
            int lp[64];
            size_t nlp = 0;
            int other_parent = 0;
            for (size_t k = 0; k < r->nkids; k++) {
                const tl_rx_elem *e = &r->kids[k];
                if (!strcmp(e->name, "if_sid"))
                    nlp += split_ids(t + e->tstart, e->tend - e->tstart, lp + nlp, 64 - nlp);
                else if (is_parent_elem(e->name))
                    other_parent = 1;
            }
            int lreach = nlp && !other_parent ? TL_REACH_PARENTS : TL_REACH_ALL;
            g.level = 1;
            /* distinct, descending; "to 0" last */
            for (size_t i = 0; i < nt; i++) {
                if (targets[i] == L || (i && targets[i] == targets[i - 1]) || targets[i] < 0)
                    continue;
                tl_buf_reset(&nm);
                tl_buf_printf(&nm, "level %d -> %d", L, targets[i]);
                char v[16];
                snprintf(v, sizeof v, "%d", targets[i]);
                TL_TRY(tl_buf_status(&nm));
                TL_TRY(add(&g, tl_buf_cstr(&nm), la->vstart, la->vend, v, lreach,
                           lreach == TL_REACH_PARENTS ? lp : NULL,
                           lreach == TL_REACH_PARENTS ? nlp : 0));
            }
            g.level = 0;
        }
    }
    /* 5. frequency / timeframe / ignore */
    {
        static const char *const attrs[] = {"frequency", "timeframe"};
        for (size_t i = 0; i < 2; i++) {
            const tl_rx_attr *a = tl_rx_attr_find(&r->self, attrs[i]);
            if (!a)
                continue;
            int v = atoi(t + a->vstart);
            int to[2] = {v / 2, v * 2};
            for (int k = 0; k < 2; k++) {
                if (to[k] == v || to[k] < 1)
                    continue;
                char val[16];
                snprintf(val, sizeof val, "%d", to[k]);
                tl_buf_reset(&nm);
                tl_buf_printf(&nm, "%s %d -> %d", attrs[i], v, to[k]);
                TL_TRY(tl_buf_status(&nm));
                TL_TRY(add(&g, tl_buf_cstr(&nm), a->vstart, a->vend, val, TL_REACH_TRIED, NULL, 0));
            }
        }
        const tl_rx_attr *a = tl_rx_attr_find(&r->self, "ignore");
        if (a) {
            size_t cs = a->vstart;
            while (cs > r->self.start && t[cs - 1] != ' ' && t[cs - 1] != '\t' && t[cs - 1] != '\n')
                cs--; /* back to the attribute name */
            tl_buf_reset(&nm);
            tl_buf_printf(&nm, "remove ignore=\"%.*s\"", (int)(a->vend - a->vstart), t + a->vstart);
            TL_TRY(tl_buf_status(&nm));
            TL_TRY(add(&g, tl_buf_cstr(&nm), cs, a->vend + 1, "", TL_REACH_TRIED, NULL, 0));
        }
    }
    /* 6. if_sid moved to the parent's parent */
    for (size_t k = 0; k < r->nkids; k++) {
        const tl_rx_elem *e = &r->kids[k];
        if (strcmp(e->name, "if_sid") != 0)
            continue;
        int ids[2];
        if (split_ids(t + e->tstart, e->tend - e->tstart, ids, 2) != 1)
            continue;
        const tl_rx_file *pf = NULL;
        const tl_rx_rule *p = find_rule(c, ids[0], &pf);
        if (!p)
            continue;
        for (size_t q = 0; q < p->nkids; q++) {
            const tl_rx_elem *pe = &p->kids[q];
            if (strcmp(pe->name, "if_sid") != 0)
                continue;
            int gp[64];
            size_t ng = split_ids(pf->text + pe->tstart, pe->tend - pe->tstart, gp, 64);
            if (!ng)
                break;
            tl_buf list = TL_BUF_INIT;
            for (size_t j = 0; j < ng; j++)
                tl_buf_printf(&list, "%s%d", j ? ", " : "", gp[j]);
            tl_buf_reset(&nm);
            tl_buf_printf(&nm, "if_sid %d -> %s", ids[0], tl_buf_cstr(&list));
            st = tl_buf_status(&list) != TL_OK ? TL_E_NOMEM : tl_buf_status(&nm);
            /* now a child of the grandparents: tried only where one of them matched */
            if (st == TL_OK)
                st = add(&g, tl_buf_cstr(&nm), e->tstart, e->tend, tl_buf_cstr(&list),
                         TL_REACH_PARENTS, gp, ng);
            tl_buf_free(&list);
            TL_TRY(st);
            break;
        }
    }
cleanup:
    tl_buf_free(&nm);
    tl_buf_free(&lab);
    return st;
}
