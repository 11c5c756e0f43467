/* SPDX-License-Identifier: MIT */
/*
 * A reader for the XML dialect of Wazuh's os_xml (src/os_xml/os_xml.c and
 * os_xml_variables.c), used for rule files and ossec.conf.
 *
 * Why not libxml2: os_xml is not XML. It does no entity decoding ("&amp;"
 * stays five characters), knows no CDATA, allows several root elements, and
 * a "<" preceded by a backslash is text, not a tag ("\<" reaches the regex
 * compiler as the two characters "\<", which OS_Regex and PCRE2 both read as a
 * literal "<"). A conforming parser would reject or rewrite the stock rule
 * files (0910 uses "\<\w+.*\>"), so this file reproduces os_xml's reading and
 * its error texts ("XMLERR: Element 'x' not closed.") instead.
 *
 * Variables: a root-level <var name="X">value</var> defines $X for every later
 * element content and attribute value of the same file. "$" followed by a
 * name character starts a reference; an unknown name is an error
 * ("XMLERR: Unknown variable: 'X'."). "$(" and a trailing "$" stay literal,
 * so "$(win.system.computer)" and "^x$" pass through.
 *
 * Invariants: every node owns its strings; `line` is the 1-based line of the
 * element's "<". Content is kept verbatim (no trimming), as os_xml does.
 */
#include "rules/rules_int.h"

#include <ctype.h>
#include <string.h>

typedef struct xreader {
    const char *p;
    const char *end;
    int line;
    const char *file;
    tl_diag *d;
} xreader;

static void xfail(xreader *r, int line, const char *fmt, const char *arg) {
    char msg[600];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    tl_diag_set(r->d, r->file, line, "%s", msg);
}

void tl_osxml_free(tl_osxml_node *n) {
    if (!n)
        return;
    for (size_t i = 0; i < n->nchildren; i++)
        tl_osxml_free(n->children[i]);
    tl_free(n->children);
    for (size_t i = 0; i < n->nattr; i++) {
        tl_free(n->attr_name[i]);
        tl_free(n->attr_val[i]);
    }
    tl_free(n->attr_name);
    tl_free(n->attr_val);
    tl_free(n->name);
    tl_free(n->content);
    tl_free(n);
}

const char *tl_osxml_attr(const tl_osxml_node *n, const char *name) {
    for (size_t i = 0; i < n->nattr; i++)
        if (strcmp(n->attr_name[i], name) == 0)
            return n->attr_val[i];
    return NULL;
}

static tl_status push_child(tl_osxml_node *parent, tl_osxml_node *c) {
    if (parent->nchildren == parent->capchildren) {
        size_t nc = parent->capchildren ? parent->capchildren * 2 : 4;
        tl_osxml_node **nv = tl_realloc(parent->children, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        parent->children = nv;
        parent->capchildren = nc;
    }
    parent->children[parent->nchildren++] = c;
    return TL_OK;
}

static int xpeek(xreader *r, size_t k) {
    return (r->p + k < r->end) ? (unsigned char)r->p[k] : -1;
}

static void xadvance(xreader *r, size_t k) {
    for (size_t i = 0; i < k && r->p < r->end; i++) {
        if (*r->p == '\n')
            r->line++;
        r->p++;
    }
}

static int is_name_end(int c) {
    return c == -1 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/' ||
           c == '=';
}

static void skip_ws(xreader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n'))
        xadvance(r, 1);
}

/* Skip "<!-- ... -->" and "<? ... ?>" and "<!DOCTYPE ...>". Returns 1 if
 * something was skipped, 0 if not at one, -1 on error. */
static int skip_special(xreader *r) {
    if (xpeek(r, 0) != '<')
        return 0;
    if (xpeek(r, 1) == '!' && xpeek(r, 2) == '-' && xpeek(r, 3) == '-') {
        int line = r->line;
        xadvance(r, 4);
        while (r->p < r->end) {
            if (xpeek(r, 0) == '-' && xpeek(r, 1) == '-' && xpeek(r, 2) == '>') {
                xadvance(r, 3);
                return 1;
            }
            xadvance(r, 1);
        }
        xfail(r, line, "XMLERR: Comment not closed.", NULL);
        return -1;
    }
    if (xpeek(r, 1) == '?' || xpeek(r, 1) == '!') {
        int line = r->line;
        while (r->p < r->end && *r->p != '>')
            xadvance(r, 1);
        if (r->p >= r->end) {
            xfail(r, line, "XMLERR: Element '%s' not closed.", "?");
            return -1;
        }
        xadvance(r, 1);
        return 1;
    }
    return 0;
}

static tl_status read_elem(xreader *r, tl_osxml_node **out, int depth);

/* Content and children of an open element until its closing tag. */
static tl_status read_body(xreader *r, tl_osxml_node *n, int depth) {
    tl_status st = TL_OK;
    tl_buf text = TL_BUF_INIT;
    for (;;) {
        if (text.oom) {
            st = TL_E_NOMEM;
            goto cleanup;
        }
        if (r->p >= r->end) {
            xfail(r, n->line, "XMLERR: Element '%s' not closed.", n->name);
            st = TL_E_PARSE;
            goto cleanup;
        }
        int c = xpeek(r, 0);
        if (c == '<') {
            // os_xml: "\<" is text, the backslash kept.
            // os_xml: "\<" is text (the backslash kept); "\\<" is an escaped
            // backslash followed by a real tag (0800 has "E:\\</field>")
            size_t nbs = 0;
            while (nbs < text.len && text.data[text.len - 1 - nbs] == '\\')
                nbs++;
            if (nbs % 2 == 1) {
                tl_buf_putc(&text, '<');
                xadvance(r, 1);
                continue;
            }
            int sk = skip_special(r);
            if (sk < 0) {
                st = TL_E_PARSE;
                goto cleanup;
            }
            if (sk > 0)
                continue;
            if (xpeek(r, 1) == '/') {
                const char *nm = r->p + 2;
                const char *q = nm;
                while (q < r->end && *q != '>')
                    q++;
                size_t len = (size_t)(q - nm);
                while (len > 0 && (nm[len - 1] == ' ' || nm[len - 1] == '\t' ||
                                   nm[len - 1] == '\n' || nm[len - 1] == '\r'))
                    len--;
                if (q >= r->end || strlen(n->name) != len || memcmp(nm, n->name, len) != 0) {
                    xfail(r, n->line, "XMLERR: Element '%s' not closed.", n->name);
                    st = TL_E_PARSE;
                    goto cleanup;
                }
                xadvance(r, (size_t)(q - r->p) + 1);
                break;
            }
            tl_osxml_node *child = NULL;
            TL_TRY(read_elem(r, &child, depth + 1));
            st = push_child(n, child);
            if (st != TL_OK) {
                tl_osxml_free(child);
                goto cleanup;
            }
            continue;
        }
        tl_buf_putc(&text, (char)c);
        xadvance(r, 1);
    }
    TL_TRY(tl_buf_status(&text));
    n->content = tl_buf_take(&text);
    TL_TRY_ALLOC(n->content);
cleanup:
    tl_buf_free(&text);
    return st;
}

static tl_status add_attr(xreader *r, tl_osxml_node *n, char *name, char *val, int line) {
    for (size_t i = 0; i < n->nattr; i++) {
        if (strcmp(n->attr_name[i], name) == 0) {
            xfail(r, line, "XMLERR: Attribute '%s' already defined.", name);
            tl_free(name);
            tl_free(val);
            return TL_E_PARSE;
        }
    }
    char **an = tl_realloc(n->attr_name, (n->nattr + 1) * sizeof *an);
    if (!an) {
        tl_free(name);
        tl_free(val);
        return TL_E_NOMEM;
    }
    n->attr_name = an;
    char **av = tl_realloc(n->attr_val, (n->nattr + 1) * sizeof *av);
    if (!av) {
        tl_free(name);
        tl_free(val);
        return TL_E_NOMEM;
    }
    n->attr_val = av;
    n->attr_name[n->nattr] = name;
    n->attr_val[n->nattr] = val;
    n->nattr++;
    return TL_OK;
}

static tl_status read_elem(xreader *r, tl_osxml_node **out, int depth) {
    tl_status st = TL_OK;
    tl_osxml_node *n = NULL;
    if (depth > 64) {
        xfail(r, r->line, "XMLERR: Max depth reached.", NULL);
        return TL_E_LIMIT;
    }
    n = tl_calloc(1, sizeof *n);
    TL_TRY_ALLOC(n);
    n->line = r->line;
    xadvance(r, 1); /* '<' */
    const char *s = r->p;
    while (!is_name_end(xpeek(r, 0)))
        xadvance(r, 1);
    if (r->p == s) {
        xfail(r, n->line, "XMLERR: Malformed XML does not start with '<'.", NULL);
        TL_FAIL(TL_E_PARSE);
    }
    n->name = tl_strndup(s, (size_t)(r->p - s));
    TL_TRY_ALLOC(n->name);
    for (;;) {
        skip_ws(r);
        int c = xpeek(r, 0);
        if (c == -1) {
            xfail(r, n->line, "XMLERR: Element '%s' not closed.", n->name);
            TL_FAIL(TL_E_PARSE);
        }
        if (c == '>') {
            xadvance(r, 1);
            TL_TRY(read_body(r, n, depth));
            break;
        }
        if (c == '/') {
            if (xpeek(r, 1) != '>') {
                xfail(r, n->line, "XMLERR: Bad formed XML. Element '%s' not closed.", n->name);
                TL_FAIL(TL_E_PARSE);
            }
            xadvance(r, 2);
            n->content = tl_strdup("");
            TL_TRY_ALLOC(n->content);
            break;
        }
        /* attribute */
        int aline = r->line;
        const char *an = r->p;
        while (!is_name_end(xpeek(r, 0)))
            xadvance(r, 1);
        char *aname = tl_strndup(an, (size_t)(r->p - an));
        TL_TRY_ALLOC(aname);
        skip_ws(r);
        if (xpeek(r, 0) != '=') {
            xfail(r, aline, "XMLERR: Attribute '%s' has no value.", aname);
            tl_free(aname);
            TL_FAIL(TL_E_PARSE);
        }
        xadvance(r, 1);
        skip_ws(r);
        int q = xpeek(r, 0);
        if (q != '"' && q != '\'') {
            xfail(r, aline, "XMLERR: Attribute '%s' not followed by a \" or '.", aname);
            tl_free(aname);
            TL_FAIL(TL_E_PARSE);
        }
        xadvance(r, 1);
        const char *vs = r->p;
        while (r->p < r->end && *r->p != (char)q)
            xadvance(r, 1);
        if (r->p >= r->end) {
            xfail(r, aline, "XMLERR: Attribute '%s' not closed.", aname);
            tl_free(aname);
            TL_FAIL(TL_E_PARSE);
        }
        char *aval = tl_strndup(vs, (size_t)(r->p - vs));
        if (!aval) {
            tl_free(aname);
            TL_FAIL(TL_E_NOMEM);
        }
        xadvance(r, 1);
        TL_TRY(add_attr(r, n, aname, aval, aline));
    }
    *out = n;
    n = NULL;
cleanup:
    tl_osxml_free(n);
    return st;
}

/* ---- variables ----------------------------------------------------------- */

typedef struct xvars {
    char **name;
    char **val;
    size_t n;
} xvars;

static int is_var_char(int c) {
    return isalnum(c) || c == '_' || c == '-';
}

static tl_status expand(xreader *r, const xvars *v, char **s, int line) {
    if (!*s || !strchr(*s, '$'))
        return TL_OK;
    tl_buf b = TL_BUF_INIT;
    const char *p = *s;
    while (*p) {
        // "\$" is not a reference (0800 has the PCRE2 text "\$true")
        if (*p == '$' && is_var_char((unsigned char)p[1]) && !(p > *s && p[-1] == '\\')) {
            const char *q = p + 1;
            while (is_var_char((unsigned char)*q))
                q++;
            size_t len = (size_t)(q - p - 1);
            const char *val = NULL;
            for (size_t i = v->n; i-- > 0;) {
                if (strlen(v->name[i]) == len && memcmp(v->name[i], p + 1, len) == 0) {
                    val = v->val[i];
                    break;
                }
            }
            if (!val) {
                char nm[256];
                snprintf(nm, sizeof nm, "%.*s", (int)(len > 200 ? 200 : len), p + 1);
                xfail(r, line, "XMLERR: Unknown variable: '%s'.", nm);
                tl_buf_free(&b);
                return TL_E_PARSE;
            }
            tl_buf_puts(&b, val);
            p = q;
            continue;
        }
        tl_buf_putc(&b, *p++);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    tl_free(*s);
    *s = tl_buf_take(&b);
    return *s ? TL_OK : TL_E_NOMEM;
}

static tl_status apply_vars(xreader *r, const xvars *v, tl_osxml_node *n) {
    tl_status st = expand(r, v, &n->content, n->line);
    if (st != TL_OK)
        return st;
    for (size_t i = 0; i < n->nattr; i++) {
        st = expand(r, v, &n->attr_val[i], n->line);
        if (st != TL_OK)
            return st;
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        st = apply_vars(r, v, n->children[i]);
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}

tl_status tl_osxml_parse(const char *data, size_t len, const char *file, tl_osxml_node **out,
                         tl_diag *d) {
    tl_status st = TL_OK;
    xreader r = {data, data + len, 1, file, d};
    xvars v = {NULL, NULL, 0};
    tl_osxml_node *root = tl_calloc(1, sizeof *root);
    TL_TRY_ALLOC(root);
    root->name = tl_strdup("");
    TL_TRY_ALLOC(root->name);
    root->line = 1;
    for (;;) {
        skip_ws(&r);
        if (r.p >= r.end)
            break;
        int sk = skip_special(&r);
        if (sk < 0)
            TL_FAIL(TL_E_PARSE);
        if (sk > 0)
            continue;
        if (*r.p != '<') {
            xfail(&r, r.line, "XMLERR: Malformed XML does not start with '<'.", NULL);
            TL_FAIL(TL_E_PARSE);
        }
        if (xpeek(&r, 1) == '/') {
            xfail(&r, r.line, "XMLERR: Element not opened.", NULL);
            TL_FAIL(TL_E_PARSE);
        }
        tl_osxml_node *n = NULL;
        TL_TRY(read_elem(&r, &n, 1));
        if (strcmp(n->name, "var") == 0) {
            const char *nm = tl_osxml_attr(n, "name");
            if (!nm || n->nattr != 1) {
                xfail(&r, n->line,
                      "XMLERR: Only \"name\" is allowed as an attribute for a variable.", NULL);
                tl_osxml_free(n);
                TL_FAIL(TL_E_PARSE);
            }
            st = expand(&r, &v, &n->content, n->line);
            if (st != TL_OK) {
                tl_osxml_free(n);
                goto cleanup;
            }
            char **nn = tl_realloc(v.name, (v.n + 1) * sizeof *nn);
            if (nn)
                v.name = nn;
            char **nv = nn ? tl_realloc(v.val, (v.n + 1) * sizeof *nv) : NULL;
            if (nv)
                v.val = nv;
            char *k = nv ? tl_strdup(nm) : NULL;
            char *val = k ? tl_strdup(n->content ? n->content : "") : NULL;
            if (!val) {
                tl_free(k);
                tl_osxml_free(n);
                TL_FAIL(TL_E_NOMEM);
            }
            v.name[v.n] = k;
            v.val[v.n] = val;
            v.n++;
            tl_osxml_free(n);
            continue;
        }
        st = apply_vars(&r, &v, n);
        if (st == TL_OK)
            st = push_child(root, n);
        if (st != TL_OK) {
            tl_osxml_free(n);
            goto cleanup;
        }
    }
    *out = root;
    root = NULL;
cleanup:
    for (size_t i = 0; i < v.n; i++) {
        tl_free(v.name[i]);
        tl_free(v.val[i]);
    }
    tl_free(v.name);
    tl_free(v.val);
    tl_osxml_free(root);
    return st;
}
