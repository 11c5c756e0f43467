/* SPDX-License-Identifier: MIT */
/*
 * Hardened reader for Task Scheduler task files; see task_xml_int.h for the
 * accepted dialect and why it is our own code.
 *
 * Two passes: (1) tl_arxml_to_utf8 decides the encoding from the bytes (BOM or
 * the first character), validates it strictly and normalises line ends;
 * (2) a recursive-descent parser with an explicit depth limit builds a tree of
 * element nodes. Every error names the line (of the decoded text) and stops;
 * nothing is ever partially returned.
 *
 * Worked example: the bytes FF FE 3C 00 54 00 … ("<T…" in UTF-16LE) become the
 * UTF-8 text "<Task …>…"; `<Arguments>/C a &gt; b</Arguments>` gives a node
 * named "Arguments" with text "/C a > b".
 */
#include "task_xml_int.h"

#include <string.h>

/* ---- encoding ------------------------------------------------------------ */

/* Decode one UTF-8 sequence strictly; returns its length or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned long v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Append one decoded character with line-end normalisation: CR LF and a lone
 * CR both become LF. `pending_cr` carries a CR across calls. */
static void put_char(tl_buf *b, unsigned long cp, int *pending_cr)
{
    if (*pending_cr) {
        *pending_cr = 0;
        tl_buf_putc(b, '\n');
        if (cp == '\n')
            return;
    }
    if (cp == '\r') {
        *pending_cr = 1;
        return;
    }
    tl_buf_put_utf8(b, cp);
}

tl_status tl_arxml_to_utf8(const char *data, size_t len, char **out, size_t *outlen, tl_diag *d)
{
    tl_status st = TL_OK;
    const unsigned char *s = (const unsigned char *)data;
    tl_buf b = TL_BUF_INIT;
    int enc = 0; /* 0 utf-8, 1 utf-16le, 2 utf-16be */
    size_t i = 0;
    int pcr = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        i = 3;
    } else if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        enc = 1;
        i = 2;
    } else if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        enc = 2;
        i = 2;
    } else if (len >= 2 && s[0] != 0 && s[1] == 0) {
        enc = 1;
    } else if (len >= 2 && s[0] == 0 && s[1] != 0) {
        enc = 2;
    }
    if (enc == 0) {
        while (i < len) {
            unsigned long cp;
            size_t k = utf8_decode(s + i, len - i, &cp);
            if (k == 0) {
                tl_diag_set(d, "", 0, "unexpected encoding: invalid UTF-8 at byte %zu", i);
                TL_FAIL(TL_E_INVAL);
            }
            if (cp == 0) {
                tl_diag_set(d, "", 0, "unexpected encoding: NUL byte at %zu", i);
                TL_FAIL(TL_E_INVAL);
            }
            put_char(&b, cp, &pcr);
            i += k;
        }
    } else {
        if ((len - i) % 2 != 0) {
            tl_diag_set(d, "", 0, "unexpected encoding: odd length for UTF-16 (truncated file?)");
            TL_FAIL(TL_E_INVAL);
        }
        while (i < len) {
            unsigned long u = enc == 1 ? (unsigned long)(s[i] | (s[i + 1] << 8))
                                       : (unsigned long)((s[i] << 8) | s[i + 1]);
            size_t at = i;
            i += 2;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (i + 2 > len) {
                    tl_diag_set(d, "", 0, "unexpected encoding: lone UTF-16 surrogate at byte %zu",
                                at);
                    TL_FAIL(TL_E_INVAL);
                }
                unsigned long lo = enc == 1 ? (unsigned long)(s[i] | (s[i + 1] << 8))
                                            : (unsigned long)((s[i] << 8) | s[i + 1]);
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    tl_diag_set(d, "", 0, "unexpected encoding: lone UTF-16 surrogate at byte %zu",
                                at);
                    TL_FAIL(TL_E_INVAL);
                }
                i += 2;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                tl_diag_set(d, "", 0, "unexpected encoding: lone UTF-16 surrogate at byte %zu", at);
                TL_FAIL(TL_E_INVAL);
            } else if (u == 0) {
                tl_diag_set(d, "", 0, "unexpected encoding: NUL character at byte %zu", at);
                TL_FAIL(TL_E_INVAL);
            }
            put_char(&b, u, &pcr);
        }
    }
    if (pcr)
        tl_buf_putc(&b, '\n');
    TL_TRY(tl_buf_status(&b));
    *outlen = b.len;
    *out = tl_buf_take(&b);
cleanup:
    tl_buf_free(&b);
    return st;
}

/* ---- parser -------------------------------------------------------------- */

typedef struct xp {
    const char *s;
    size_t n, i;
    int line;
    size_t nodes;
    tl_diag *d;
} xp;

static tl_status xerr(xp *p, tl_status st, const char *what)
{
    tl_diag_set(p->d, "", p->line, "task XML: %s", what);
    return st;
}

static int at_end(const xp *p) { return p->i >= p->n; }

static int starts(const xp *p, const char *lit)
{
    size_t k = strlen(lit);
    return p->n - p->i >= k && memcmp(p->s + p->i, lit, k) == 0;
}

static void adv(xp *p, size_t k)
{
    for (size_t j = 0; j < k && p->i < p->n; j++, p->i++)
        if (p->s[p->i] == '\n')
            p->line++;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(xp *p)
{
    while (!at_end(p) && is_ws(p->s[p->i]))
        adv(p, 1);
}

static int is_name_char(unsigned char c)
{
    if (c >= 0x80)
        return 1; /* non-ASCII name characters: accepted, already valid UTF-8 */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == ':' || c == '-' || c == '.';
}

static int is_name_start(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

/* Read a Name; start and len describe it in the input. */
static tl_status read_name(xp *p, size_t *start, size_t *len)
{
    if (at_end(p) || !is_name_start((unsigned char)p->s[p->i]))
        return xerr(p, TL_E_PARSE, "expected a name");
    *start = p->i;
    while (!at_end(p) && is_name_char((unsigned char)p->s[p->i]))
        p->i++;
    *len = p->i - *start;
    if (*len > 256)
        return xerr(p, TL_E_LIMIT, "name longer than 256 bytes");
    return TL_OK;
}

static char *local_name(const char *s, size_t len)
{
    const char *c = memchr(s, ':', len);
    /* Keep the full name for the xmlns:prefix declarations themselves. */
    if (c && !(len >= 6 && memcmp(s, "xmlns:", 6) == 0)) {
        len -= (size_t)(c + 1 - s);
        s = c + 1;
    }
    return tl_strndup(s, len);
}

/* Decode one reference starting at '&'; appends to b. */
static tl_status read_ref(xp *p, tl_buf *b)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    adv(p, 1); /* '&' */
    if (starts(p, "#")) {
        adv(p, 1);
        int hex = 0;
        if (starts(p, "x")) {
            hex = 1;
            adv(p, 1);
        }
        unsigned long v = 0;
        size_t digits = 0;
        while (!at_end(p) && p->s[p->i] != ';') {
            char c = p->s[p->i];
            int dv;
            if (c >= '0' && c <= '9')
                dv = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                dv = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                dv = c - 'A' + 10;
            else
                return xerr(p, TL_E_PARSE, "bad character reference");
            v = v * (hex ? 16u : 10u) + (unsigned long)dv;
            if (v > 0x10FFFF || ++digits > 8)
                return xerr(p, TL_E_PARSE, "character reference out of range");
            p->i++;
        }
        if (at_end(p) || digits == 0)
            return xerr(p, TL_E_PARSE, "unterminated character reference");
        adv(p, 1);
        if (v == 0 || (v >= 0xD800 && v <= 0xDFFF) ||
            (v < 0x20 && v != '\t' && v != '\n' && v != '\r'))
            return xerr(p, TL_E_PARSE, "character reference to a forbidden character");
        tl_buf_put_utf8(b, v);
        return TL_OK;
    }
    for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
        if (starts(p, ents[k].name)) {
            adv(p, strlen(ents[k].name));
            tl_buf_putc(b, ents[k].c);
            return TL_OK;
        }
    }
    return xerr(p, TL_E_PARSE, "unknown entity (only &lt; &gt; &amp; &quot; &apos; and &#…; are allowed)");
}

/* Skip markup from its opening (open, at p) to the end of its closing; `unterminated`
 * is the error when the file ends first. */
static tl_status skip_markup(xp *p, const char *open, const char *close, const char *unterminated)
{
    adv(p, strlen(open));
    while (!at_end(p) && !starts(p, close))
        adv(p, 1);
    if (at_end(p))
        return xerr(p, TL_E_PARSE, unterminated);
    adv(p, strlen(close));
    return TL_OK;
}

static tl_status skip_comment(xp *p)
{
    return skip_markup(p, "<!--", "-->", "unterminated comment (truncated file?)");
}

static tl_status skip_pi(xp *p)
{
    return skip_markup(p, "<?", "?>", "unterminated processing instruction (truncated file?)");
}

/* Comments, PIs and whitespace outside the root element. */
static tl_status skip_misc(xp *p)
{
    tl_status st;
    for (;;) {
        skip_ws(p);
        if (starts(p, "<!--")) {
            if ((st = skip_comment(p)) != TL_OK)
                return st;
        } else if (starts(p, "<?")) {
            if ((st = skip_pi(p)) != TL_OK)
                return st;
        } else if (starts(p, "<!")) {
            return xerr(p, TL_E_PARSE, "DOCTYPE and other declarations are not allowed");
        } else {
            return TL_OK;
        }
    }
}

static void node_free(tl_xnode *n);

static tl_status parse_element(xp *p, int depth, tl_xnode **out)
{
    tl_status st = TL_OK;
    tl_xnode *n = NULL;
    tl_buf text = TL_BUF_INIT, val = TL_BUF_INIT;
    tl_xnode **tail;
    tl_xattr **atail;
    size_t ns, nl;

    if (depth > TL_XML_MAX_DEPTH)
        return xerr(p, TL_E_LIMIT, "elements nested too deeply");
    if (++p->nodes > TL_XML_MAX_NODES)
        return xerr(p, TL_E_LIMIT, "too many elements");
    adv(p, 1); /* '<' */
    TL_TRY(read_name(p, &ns, &nl));
    n = tl_calloc(1, sizeof *n);
    TL_TRY_ALLOC(n);
    n->name = local_name(p->s + ns, nl);
    TL_TRY_ALLOC(n->name);
    tail = &n->kids;
    atail = &n->attrs;
    /* attributes */
    for (;;) {
        size_t before = p->i;
        skip_ws(p);
        if (at_end(p))
            TL_FAIL(xerr(p, TL_E_PARSE, "unterminated start tag (truncated file?)"));
        if (starts(p, "/>")) {
            adv(p, 2);
            n->text = tl_strdup("");
            TL_TRY_ALLOC(n->text);
            *out = n;
            n = NULL;
            goto cleanup;
        }
        if (p->s[p->i] == '>') {
            adv(p, 1);
            break;
        }
        if (p->i == before)
            TL_FAIL(xerr(p, TL_E_PARSE, "expected whitespace between attributes"));
        size_t as, al;
        TL_TRY(read_name(p, &as, &al));
        skip_ws(p);
        if (at_end(p) || p->s[p->i] != '=')
            TL_FAIL(xerr(p, TL_E_PARSE, "attribute without '='"));
        adv(p, 1);
        skip_ws(p);
        if (at_end(p) || (p->s[p->i] != '"' && p->s[p->i] != '\''))
            TL_FAIL(xerr(p, TL_E_PARSE, "attribute value not quoted"));
        char q = p->s[p->i];
        adv(p, 1);
        tl_buf_reset(&val);
        while (!at_end(p) && p->s[p->i] != q) {
            char c = p->s[p->i];
            if (c == '<')
                TL_FAIL(xerr(p, TL_E_PARSE, "'<' in attribute value"));
            if (c == '&') {
                TL_TRY(read_ref(p, &val));
                continue;
            }
            tl_buf_putc(&val, is_ws(c) ? ' ' : c); /* attribute-value normalisation */
            adv(p, 1);
        }
        if (at_end(p))
            TL_FAIL(xerr(p, TL_E_PARSE, "unterminated attribute value (truncated file?)"));
        adv(p, 1);
        TL_TRY(tl_buf_status(&val));
        tl_xattr *a = tl_calloc(1, sizeof *a);
        TL_TRY_ALLOC(a);
        *atail = a;
        atail = &a->next;
        a->name = local_name(p->s + as, al);
        a->value = tl_strdup(tl_buf_cstr(&val));
        TL_TRY_ALLOC(a->name);
        TL_TRY_ALLOC(a->value);
    }
    /* content */
    for (;;) {
        if (at_end(p))
            TL_FAIL(xerr(p, TL_E_PARSE, "unclosed element (truncated file?)"));
        char c = p->s[p->i];
        if (c == '<') {
            if (starts(p, "</")) {
                adv(p, 2);
                size_t es, el;
                TL_TRY(read_name(p, &es, &el));
                if (el != nl || memcmp(p->s + es, p->s + ns, nl) != 0)
                    TL_FAIL(xerr(p, TL_E_PARSE, "mismatched end tag"));
                skip_ws(p);
                if (at_end(p) || p->s[p->i] != '>')
                    TL_FAIL(xerr(p, TL_E_PARSE, "unterminated end tag (truncated file?)"));
                adv(p, 1);
                break;
            } else if (starts(p, "<!--")) {
                TL_TRY(skip_comment(p));
            } else if (starts(p, "<![CDATA[")) {
                adv(p, 9);
                while (!at_end(p) && !starts(p, "]]>")) {
                    tl_buf_putc(&text, p->s[p->i]);
                    adv(p, 1);
                }
                if (at_end(p))
                    TL_FAIL(xerr(p, TL_E_PARSE, "unterminated CDATA section (truncated file?)"));
                adv(p, 3);
            } else if (starts(p, "<?")) {
                TL_TRY(skip_pi(p));
            } else if (starts(p, "<!")) {
                TL_FAIL(xerr(p, TL_E_PARSE, "declaration inside an element"));
            } else {
                tl_xnode *k = NULL;
                TL_TRY(parse_element(p, depth + 1, &k));
                *tail = k;
                tail = &k->next;
            }
        } else if (c == '&') {
            TL_TRY(read_ref(p, &text));
        } else {
            if (c == ']' && starts(p, "]]>"))
                TL_FAIL(xerr(p, TL_E_PARSE, "']]>' in character data"));
            tl_buf_putc(&text, c);
            adv(p, 1);
        }
    }
    TL_TRY(tl_buf_status(&text));
    n->text = tl_strdup(tl_buf_cstr(&text));
    TL_TRY_ALLOC(n->text);
    *out = n;
    n = NULL;
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(p->d, "", p->line, "out of memory");
    node_free(n);
    tl_buf_free(&text);
    tl_buf_free(&val);
    return st;
}

static void node_free(tl_xnode *n)
{
    while (n) {
        tl_xnode *next = n->next;
        tl_xattr *a = n->attrs;
        while (a) {
            tl_xattr *an = a->next;
            tl_free(a->name);
            tl_free(a->value);
            tl_free(a);
            a = an;
        }
        node_free(n->kids);
        tl_free(n->name);
        tl_free(n->text);
        tl_free(n);
        n = next;
    }
}

void tl_arxml_free(tl_xnode *n) { node_free(n); }

tl_status tl_arxml_parse(const char *data, size_t len, tl_xnode **root, tl_diag *d)
{
    tl_status st = TL_OK;
    char *u = NULL;
    size_t ul = 0;
    tl_xnode *r = NULL;
    TL_TRY(tl_arxml_to_utf8(data, len, &u, &ul, d));
    xp p = {u, ul, 0, 1, 0, d};
    TL_TRY(skip_misc(&p));
    if (at_end(&p)) {
        st = xerr(&p, TL_E_PARSE, "no root element (empty or not XML)");
        goto cleanup;
    }
    if (p.s[p.i] != '<') {
        st = xerr(&p, TL_E_PARSE, "text before the root element (not XML)");
        goto cleanup;
    }
    TL_TRY(parse_element(&p, 1, &r));
    TL_TRY(skip_misc(&p));
    if (!at_end(&p)) {
        st = xerr(&p, TL_E_PARSE, "content after the root element");
        goto cleanup;
    }
    *root = r;
    r = NULL;
cleanup:
    node_free(r);
    tl_free(u);
    return st;
}

const tl_xnode *tl_arxml_child(const tl_xnode *n, const char *name)
{
    for (const tl_xnode *k = n ? n->kids : NULL; k; k = k->next)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

const char *tl_arxml_child_text(const tl_xnode *n, const char *name)
{
    const tl_xnode *k = tl_arxml_child(n, name);
    return k ? k->text : NULL;
}

const char *tl_arxml_attr(const tl_xnode *n, const char *name)
{
    for (const tl_xattr *a = n ? n->attrs : NULL; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a->value;
    return NULL;
}
