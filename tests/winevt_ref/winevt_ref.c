/* SPDX-License-Identifier: MIT */
/*
 * THE REFERENCE: the EventChannel converter as it was before the single-pass
 * rewrite (pipeline/manager/src/decode/winevt.c at 842cc56), kept verbatim
 * under test only (renamed entry points) so the differential tests and the
 * eventchannel fuzz target can compare the product byte for byte with it.
 * Do not optimise or fix it: it defines "the same behaviour".
 *
 * DecodeWinevt (wazuh.md §3): the agent's eventchannel payload
 * {"Message":"<text>","Event":"<Event xmlns='...'>...</Event>"} becomes the
 * {"win":{"system":{...},"eventdata":{...}}} JSON analysisd stores as
 * full_log, plus the dotted fields JSON_Decoder would extract from it.
 *
 * Reproduced quirks (each one is visible in real alerts):
 *  - The Event string is re-encoded as a JSON string literal first
 *    (cJSON_PrintUnformatted), and the os_xml reader parses THAT text from its
 *    first '<'. So every backslash of a value arrives doubled, every '"'
 *    arrives as \" , and a double-quoted attribute fails ("XMLERR: Attribute
 *    'Name' not followed by a \" or '.") because '=' is followed by '\'.
 *  - os_xml does no entity decoding (&amp; stays 5 bytes) and knows no CDATA.
 *    A '<' preceded by an odd run of backslashes is text, not a tag (in the
 *    re-encoded text backslashes come in pairs, so values ending in '\' such
 *    as Sysmon's CurrentDirectory still close normally).
 *  - On an XML error only win.system.message survives.
 *  - System: Provider Name/Guid/EventSourceName, TimeCreated SystemTime (only
 *    as first attribute), Execution ProcessID/ThreadID (only as first/second
 *    attribute), Level/Keywords kept for severityValue, Correlation skipped,
 *    Security gives nothing (analysisd compares the attribute VALUE with
 *    "UserID"), any other element with content -> name with its first letter
 *    lowercased. severityValue then message are appended last.
 *  - EventData: <Data Name='X'> -> key X with the first letter lowercased;
 *    values that are empty, "-" or "(NULL)" are dropped, trailing whitespace
 *    is trimmed (never the first byte, as the C loop stops at str+1); nameless
 *    Data values are joined with ", " into "data" after all other keys.
 *  - Audit policy (Security 4719, §3.2; any event with these Data names):
 *    CategoryId/SubcategoryId stay as they are and add "category" and
 *    "subcategory" texts (only with Level and Keywords in System);
 *    AuditPolicyChanges moves to "auditPolicyChangesId" and "%%8449, %%8451"
 *    becomes auditPolicyChanges "Success added, Failure added". These keys
 *    come after the other Data keys, before "data".
 *  - Any other child of Event (UserData, ...): the children of each of its
 *    children are merged into one object named after the LAST grandchild.
 *  - message = cJSON_PrintUnformatted(Message) passed through
 *    wstr_unescape_json: literal quotes at both ends, real CR/LF, single
 *    backslashes.
 *
 * Worked example (wazuh.md §3.1): Data Name='Image' with the XML text
 * C:\Windows\system32\svchost.exe gives the field win.eventdata.image with
 * the value C:\\Windows\\system32\\svchost.exe (two backslash bytes each),
 * printed in full_log as "C:\\\\Windows...".
 *
 * Cost: the payload is scanned without cJSON when its members are plain
 * strings (the agent's case; anything else - \u escapes, numbers, nested
 * values, bad syntax - goes to cJSON so its verdict stays exact), the Event
 * text is re-encoded by a copy when it is already in cJSON's canonical form,
 * then one linear XML scan into flat arrays (no per-node strings) and one
 * output pass (escape scans and copies in SSE2 16-byte blocks where the
 * compiler offers SSE2, 8-byte words otherwise). The fields are produced
 * directly (they equal what JSON_Decoder would read back from the output, see
 * test_decoders_winevt_fields_equal_json_decoder), so the hot path never
 * re-parses its own JSON. Escapes are handled a block at a time: the payload
 * scan takes every escape of a 16-byte block from one mask, and every text a
 * value can point into (Event, message, joined data, audit text) keeps 16
 * bytes of slack, so a value's last < 16 bytes are escaped as one masked
 * block (test_decoders_winevt_block_paths_change_nothing).
 */
#include "winevt_ref.h"

#include "decode/decoder_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- fast string building (same bytes as tl_buf_json_strn / cJSON) ------ */

/* Make room for `extra` more bytes (plus NUL) in one step. */
static int buf_reserve(tl_buf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + extra + 1)
        nc *= 2;
    char *p = tl_realloc(b->data, nc);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->data = p;
    b->cap = nc;
    return 1;
}

/* Extra output bytes per input byte when JSON-escaped as cJSON prints:
 * \" \\ \b \f \n \r \t take 1 more, other control bytes \u00XX 5 more. */
static const unsigned char g_esc_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

#if !defined(__SSE2__)
/* 1 when one of the 8 bytes of w needs escaping (< 0x20, '"' or '\\'). */
static inline int swar_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t lt20 = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"');
    uint64_t bs = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q;
    uint64_t zb = (bs - ones) & ~bs;
    return ((lt20 | zq | zb) & high) != 0;
}
#endif

#if defined(__SSE2__)
/* Bit i set when byte i of the 16 at p needs escaping (< 0x20, '"', '\\'). */
static inline unsigned sse_esc_mask(const unsigned char *p)
{
    const __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(w, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    const __m128i q = _mm_cmpeq_epi8(w, _mm_set1_epi8('"'));
    const __m128i bs = _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, bs)));
}
#endif

/* memchr for the short spans of an event's XML (a value, a tag): inline, so
 * the many calls per event cost no library call and set-up. */
static inline const char *find_byte(const char *p, const char *end, char c)
{
#if defined(__SSE2__)
    const __m128i v = _mm_set1_epi8(c);
    while (end - p >= 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), v));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    for (; p < end; p++)
        if (*p == c)
            return p;
    return NULL;
}

/* The second byte of a two-byte JSON escape as cJSON prints it (\" \\ \b
 * \f \n \r \t); 0 for the other bytes that need escaping (\u00XX). */
static const char g_esc2[256] = {
    ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
    ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

/* JSON-escape s[0..n) with quotes. pad: the 16 bytes from s + n may be read
 * (they lie inside the same allocation; their values do not matter), so the
 * last < 16 bytes are one masked block too. Room is reserved for the
 * unescaped length (plus 16 bytes of slack for block copies) first and
 * grown only when an escape needs more (amortised doubling); clean blocks
 * are copied whole. */
static void buf_json_esc_pad(tl_buf *b, const char *s, size_t n, int pad)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!buf_reserve(b, n + 2 + 16))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        if (pad && i + 16 > n) {
            /* the last < 16 bytes: s[n..n+16) is readable (pad), the bytes
             * past n are masked out; the store lands in the reserved slack */
            _mm_storeu_si128((__m128i *)(void *)o,
                             _mm_loadu_si128((const __m128i *)(const void *)(u + i)));
            unsigned m = sse_esc_mask(u + i) & ((1u << (n - i)) - 1u);
            if (!m) {
                o += n - i;
                i = n;
                break;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            o += k;
            i += k;
        } else if (i + 16 <= n) {
            /* room: the rest unescaped + quote + NUL + 16 is always there */
            _mm_storeu_si128((__m128i *)(void *)o,
                             _mm_loadu_si128((const __m128i *)(const void *)(u + i)));
            unsigned m = sse_esc_mask(u + i);
            if (!m) {
                o += 16;
                i += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            o += k;
            i += k;
        }
#else
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (!swar_needs_escape(w)) {
                memcpy(o, &w, 8);
                o += 8;
                i += 8;
                continue;
            }
        }
#endif
        unsigned char c = u[i++];
        if (!g_esc_extra[c]) {
            *o++ = (char)c;
            continue;
        }
        /* this escape (<= 6 bytes) + the rest unescaped + closing quote + NUL
         * + the block-copy slack */
        size_t at = (size_t)(o - b->data);
        if (at + 6 + (n - i) + 2 + 16 > b->cap) {
            b->len = at;
            if (!buf_reserve(b, 6 + (n - i) + 1 + 16))
                return;
            o = b->data + at;
        }
        o[0] = '\\';
        if (g_esc2[c]) {
            o[1] = g_esc2[c];
            o += 2;
        } else {
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

/* buf_json_esc_pad without the pad: s[n] may be the last readable byte. */
static void buf_json_esc(tl_buf *b, const char *s, size_t n)
{
    buf_json_esc_pad(b, s, n, 0);
}

static void buf_put(tl_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* ---- a minimal os_xml reader over a read-only text --------------------- */

typedef struct xslice {
    const char *p;
    size_t n;
} xslice;

typedef struct xnode {
    xslice name;
    xslice content;
    int first_attr, nattr;
    int first_child, last_child, next;
} xnode;

typedef struct xattr {
    xslice name, value;
} xattr;

#define XDOC_INLINE_NODES 96
#define XDOC_INLINE_ATTRS 64

/* nodes/attrs start in the inline arrays (a Sysmon event needs ~40 nodes),
 * so the common case allocates nothing. */
typedef struct xdoc {
    xnode *nodes;
    size_t nn, capn;
    xattr *attrs;
    size_t na, capa;
    const char *p, *end;
    char err[160];
    int oom;
    xnode inl_nodes[XDOC_INLINE_NODES];
    xattr inl_attrs[XDOC_INLINE_ATTRS];
} xdoc;

static void xdoc_init(xdoc *x)
{
    x->nodes = x->inl_nodes;
    x->nn = 0;
    x->capn = XDOC_INLINE_NODES;
    x->attrs = x->inl_attrs;
    x->na = 0;
    x->capa = XDOC_INLINE_ATTRS;
    x->p = x->end = NULL;
    x->err[0] = '\0';
    x->oom = 0;
}

/* Double an array that may still live in its owner's inline storage. */
static void *grow_inline(void *cur, const void *inl, size_t *cap, size_t elsz)
{
    size_t nc = *cap * 2;
    void *nw;
    if (cur == inl) {
        nw = tl_malloc(nc * elsz);
        if (nw)
            memcpy(nw, cur, *cap * elsz);
    } else {
        nw = tl_realloc(cur, nc * elsz);
    }
    if (nw)
        *cap = nc;
    return nw;
}

#define XML_MAX_DEPTH 128

static void xerr(xdoc *x, const char *fmt, const xslice *s)
{
    if (x->err[0])
        return;
    if (s) {
        int n = s->n > 60 ? 60 : (int)s->n;
        char tmp[64];
        memcpy(tmp, s->p, (size_t)n);
        tmp[n] = '\0';
        snprintf(x->err, sizeof x->err, fmt, tmp);
    } else {
        snprintf(x->err, sizeof x->err, "%s", fmt);
    }
}

static int xnew_node(xdoc *x, int parent)
{
    if (x->nn == x->capn) {
        xnode *nw = grow_inline(x->nodes, x->inl_nodes, &x->capn, sizeof *nw);
        if (!nw) {
            x->oom = 1;
            return -1;
        }
        x->nodes = nw;
    }
    int id = (int)x->nn++;
    xnode *n = &x->nodes[id];
    memset(n, 0, sizeof *n);
    n->first_child = n->last_child = n->next = -1;
    n->first_attr = (int)x->na;
    if (parent >= 0) {
        xnode *pn = &x->nodes[parent];
        if (pn->last_child >= 0)
            x->nodes[pn->last_child].next = id;
        else
            pn->first_child = id;
        pn->last_child = id;
    }
    return id;
}

static int xadd_attr(xdoc *x, xslice name, xslice value)
{
    if (x->na == x->capa) {
        xattr *nw = grow_inline(x->attrs, x->inl_attrs, &x->capa, sizeof *nw);
        if (!nw) {
            x->oom = 1;
            return -1;
        }
        x->attrs = nw;
    }
    x->attrs[x->na].name = name;
    x->attrs[x->na].value = value;
    x->na++;
    return 0;
}

/* "<!--...-->" and "<?...?>" at p (which is '<'): 1 skipped, 0 not a
 * comment, -1 unterminated. */
static int xskip_comment(xdoc *x)
{
    const char *p = x->p;
    if (x->end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
        for (const char *q = p + 4; q + 3 <= x->end; q++)
            if (q[0] == '-' && q[1] == '-' && q[2] == '>') {
                x->p = q + 3;
                return 1;
            }
        return -1;
    }
    if (x->end - p >= 2 && p[1] == '?') {
        for (const char *q = p + 2; q + 2 <= x->end; q++)
            if (q[0] == '?' && q[1] == '>') {
                x->p = q + 2;
                return 1;
            }
        return -1;
    }
    return 0;
}

/* xskip_comment only when the byte after '<' can start "<!--" or "<?". */
static inline int xmaybe_comment(xdoc *x)
{
    if (x->p + 1 < x->end && (x->p[1] == '!' || x->p[1] == '?'))
        return xskip_comment(x);
    return 0;
}

/* Bytes that end an attribute name: '>', '/', '=' and the C locale's isspace. */
static const unsigned char g_attr_stop[256] = {
    ['>'] = 1,  ['/'] = 1,  ['='] = 1,  [' '] = 1,  ['\t'] = 1,
    ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* os_xml _getattributes: returns 0 after '>', '/' after a '/', -1 on error. */
static int xattributes(xdoc *x, int node)
{
    int loc = 0; /* 0 name, 1 value */
    char quote = 0;
    const char *ns = NULL, *vs = NULL;
    xslice name = {NULL, 0};
    while (x->p < x->end) {
        char c = *x->p;
        if (loc == 0 && (c == '>' || c == '/')) {
            if (ns) {
                xslice s = {ns, (size_t)(x->p - ns)};
                xerr(x, "XMLERR: Attribute '%s' has no value.", &s);
                return -1;
            }
            x->p++;
            if (c == '/')
                return '/';
            return 0;
        } else if (loc == 0 && c == '=') {
            name.p = ns ? ns : x->p;
            name.n = ns ? (size_t)(x->p - ns) : 0;
            xnode *n = &x->nodes[node];
            for (int i = 0; i < n->nattr; i++) {
                xattr *a = &x->attrs[n->first_attr + i];
                if (a->name.n == name.n && memcmp(a->name.p, name.p, name.n) == 0) {
                    xerr(x, "XMLERR: Attribute '%s' already defined.", &name);
                    return -1;
                }
            }
            x->p++;
            c = x->p < x->end ? *x->p : '\0';
            while (x->p < x->end && isspace((unsigned char)c)) {
                x->p++;
                c = x->p < x->end ? *x->p : '\0';
            }
            if (c != '"' && c != '\'') {
                xerr(x, "XMLERR: Attribute '%s' not followed by a \" or '.", &name);
                return -1;
            }
            quote = c;
            x->p++;
            vs = x->p;
            loc = 1;
            continue;
        } else if (loc == 0 && isspace((unsigned char)c)) {
            if (ns) {
                xslice s = {ns, (size_t)(x->p - ns)};
                xerr(x, "XMLERR: Attribute '%s' has no value.", &s);
                return -1;
            }
        } else if (loc == 1) {
            /* inside a value only the closing quote matters */
            const char *q = find_byte(x->p, x->end, quote);
            if (!q)
                break;
            x->p = q;
            xslice v = {vs, (size_t)(x->p - vs)};
            if (xadd_attr(x, name, v) < 0)
                return -1;
            x->nodes[node].nattr++;
            loc = 0;
            ns = NULL;
        } else if (loc == 0 && !ns) {
            /* a name starts: its other bytes take none of the branches above */
            ns = x->p++;
            while (x->p < x->end && !g_attr_stop[(unsigned char)*x->p])
                x->p++;
            continue;
        }
        x->p++;
    }
    xerr(x, "XMLERR: End of file while reading an attribute.", NULL);
    return -1;
}

/* '>' and the C locale's isspace bytes: where an element name ends. */
static const unsigned char g_name_stop[256] = {
    ['>'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* x->p is at '<' of an opening tag. */
static int xelement(xdoc *x, int parent, int depth)
{
    if (depth > XML_MAX_DEPTH) {
        xerr(x, "XMLERR: Max recursion level reached.", NULL);
        return -1;
    }
    int id = xnew_node(x, parent);
    if (id < 0)
        return -1;
    x->p++;
    const char *ns = x->p;
    while (x->p < x->end && !g_name_stop[(unsigned char)*x->p])
        x->p++;
    if (x->p >= x->end) {
        xerr(x, "XMLERR: End of file and some elements were not closed.", NULL);
        return -1;
    }
    xslice name = {ns, (size_t)(x->p - ns)};
    int selfclose = 0;
    if (name.n > 0 && name.p[name.n - 1] == '/') {
        selfclose = 1;
        name.n--;
    }
    x->nodes[id].name = name;
    if (isspace((unsigned char)*x->p)) {
        x->p++;
        int r = xattributes(x, id);
        if (r < 0)
            return -1;
        if (r == '/')
            selfclose = 1;
    } else {
        x->p++; /* '>' */
    }
    if (selfclose) {
        x->nodes[id].content.p = x->p;
        x->nodes[id].content.n = 0;
        return 0;
    }
    const char *cstart = x->p;
    while (x->p < x->end) {
        const char *lt = find_byte(x->p, x->end, '<');
        if (!lt)
            break;
        x->p = lt;
        int cm = xmaybe_comment(x);
        if (cm < 0) {
            xerr(x, "XMLERR: Comment not closed.", NULL);
            return -1;
        }
        if (cm > 0)
            continue;
        /* a '<' after an odd run of backslashes is text */
        size_t bs = 0;
        while (lt - bs > x->nodes[id].name.p && lt[-(ptrdiff_t)bs - 1] == '\\')
            bs++;
        if (bs & 1) {
            x->p++;
            continue;
        }
        if (x->p + 1 < x->end && x->p[1] == '/') {
            const char *cs = x->p + 2;
            const char *q = find_byte(cs, x->end, '>');
            if (!q) {
                xerr(x, "XMLERR: End of file and some elements were not closed.", NULL);
                return -1;
            }
            if ((size_t)(q - cs) != name.n || memcmp(cs, name.p, name.n) != 0) {
                xerr(x, "XMLERR: Element '%s' not closed.", &name);
                return -1;
            }
            x->nodes[id].content.p = cstart;
            x->nodes[id].content.n = (size_t)(lt - cstart);
            x->p = q + 1;
            return 0;
        }
        if (xelement(x, id, depth + 1) < 0)
            return -1;
        cstart = x->p; /* os_xml restarts its content buffer after a child */
    }
    x->p = x->end;
    xerr(x, "XMLERR: End of file and some elements were not closed.", NULL);
    return -1;
}

/* Parse a whole text; roots are the nodes with parent -1 (node 0 first). */
static int xparse(xdoc *x, const char *s, size_t n)
{
    x->p = s;
    x->end = s + n;
    while (x->p < x->end) {
        if (*x->p != '<') {
            x->p++;
            continue;
        }
        int cm = xmaybe_comment(x);
        if (cm < 0) {
            xerr(x, "XMLERR: Comment not closed.", NULL);
            return -1;
        }
        if (cm > 0)
            continue;
        if (x->p + 1 < x->end && x->p[1] == '/') {
            xerr(x, "XMLERR: Element not opened.", NULL);
            return -1;
        }
        if (xelement(x, -1, 0) < 0)
            return -1;
    }
    return 0;
}

static void xdoc_free(xdoc *x)
{
    if (x->nodes != x->inl_nodes)
        tl_free(x->nodes);
    if (x->attrs != x->inl_attrs)
        tl_free(x->attrs);
}

static int xeq(xslice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* ---- the agent payload without cJSON (common case) ----------------------- */

/* One string member value of the payload object, as raw JSON text between
 * its quotes. `canon` = the raw text is exactly what cJSON would print for
 * the decoded string (no "\/", no raw control bytes), so the re-encode is a
 * plain copy. */
typedef struct jspan {
    const char *p;
    size_t n;
    int set;
    int canon;
} jspan;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= 32)
        p++;
    return p;
}

/* What may follow a backslash in a JSON string: 1 an escape cJSON prints
 * the same way, 2 "\/" (valid, printed back as '/'), 0 anything else ("\u"
 * included: cJSON decides those). */
static const unsigned char g_jesc_ok[256] = {
    ['"'] = 1, ['\\'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1, ['/'] = 2,
};

/* The rest of a JSON string value from *pp (after its opening quote) to its
 * closing quote: 1 with *pp at that quote, 0 when the fast path must give
 * up (unterminated, "\u" or a bad escape). *canon drops to 0 on "\/" or a raw
 * control byte. The 16-byte blocks handle every escape of a block from one
 * mask (paths and messages are dense with them). */
static int scan_str(const char **pp, const char *end, int *canon)
{
    const char *p = *pp;
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned m = sse_esc_mask((const unsigned char *)p);
        const char *next = p + 16;
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            unsigned char c = (unsigned char)p[k];
            if (c == '"') {
                *pp = p + k;
                return 1;
            }
            if (c == '\\') {
                if (p + k + 1 >= end)
                    return 0;
                unsigned char ok = g_jesc_ok[(unsigned char)p[k + 1]];
                if (!ok)
                    return 0;
                if (ok == 2)
                    *canon = 0;
                if (k == 15) { /* the escaped byte opens the next block */
                    next = p + 17;
                    break;
                }
                m &= ~(3u << k); /* the backslash and the byte it escapes */
                continue;
            }
            *canon = 0; /* raw control byte: cJSON accepts it, prints \u00XX */
            m &= m - 1;
        }
        p = next;
    }
#else
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (swar_needs_escape(w))
            break;
        p += 8;
    }
#endif
    for (;;) {
        while (p < end && !g_esc_extra[(unsigned char)*p])
            p++;
        if (p >= end)
            return 0; /* unterminated */
        if (*p == '"') {
            *pp = p;
            return 1;
        }
        if (*p == '\\') {
            unsigned char ok = p + 1 < end ? g_jesc_ok[(unsigned char)p[1]] : 0;
            if (!ok)
                return 0;
            if (ok == 2)
                *canon = 0;
            p += 2;
        } else {
            *canon = 0;
            p++;
        }
    }
}

/* Scan {"k":"v",...} where every value is a string without \u escapes and
 * every key is escape-free. Returns 1 with the first "Event"/"Message"
 * members (cJSON_GetObjectItem compares case-insensitively), 0 when anything
 * else is seen: the caller then lets cJSON decide, so odd inputs (numbers,
 * nested values, \u escapes, bad syntax, a BOM) keep cJSON's exact verdict. */
static int fast_scan(const char *s, size_t len, jspan *ev, jspan *msg)
{
    const char *p = s, *end = s + len;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return 0;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return 0;
        const char *k = ++p;
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (p >= end || *p != '"')
            return 0;
        size_t kn = (size_t)(p - k);
        p = skip_ws(p + 1, end);
        if (p >= end || *p != ':')
            return 0;
        p = skip_ws(p + 1, end);
        if (p >= end || *p != '"')
            return 0;
        const char *v = ++p;
        int canon = 1;
        if (!scan_str(&p, end, &canon))
            return 0;
        jspan sp = {v, (size_t)(p - v), 1, canon};
        if (kn == 5 && !ev->set && tl_strncasecmp(k, "Event", 5) == 0)
            *ev = sp;
        else if (kn == 7 && !msg->set && tl_strncasecmp(k, "Message", 7) == 0)
            *msg = sp;
        p = skip_ws(p + 1, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return 1;
        return 0;
    }
}

/* cJSON_PrintUnformatted of the string a span holds. */
static void span_print(tl_buf *b, const jspan *sp)
{
    if (sp->canon) {
        if (!buf_reserve(b, sp->n + 2))
            return;
        b->data[b->len] = '"';
        memcpy(b->data + b->len + 1, sp->p, sp->n);
        b->data[b->len + 1 + sp->n] = '"';
        b->len += sp->n + 2;
        b->data[b->len] = '\0';
        return;
    }
    tl_buf dec = TL_BUF_INIT;
    if (!buf_reserve(&dec, sp->n)) {
        b->oom = 1;
        return;
    }
    char *o = dec.data;
    for (size_t i = 0; i < sp->n; i++) {
        char c = sp->p[i];
        if (c == '\\' && i + 1 < sp->n) {
            char e = sp->p[++i];
            switch (e) {
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: c = e; break; /* " \\ / */
            }
        }
        *o++ = c;
    }
    dec.len = (size_t)(o - dec.data);
    buf_json_esc(b, dec.data, dec.len);
    tl_buf_free(&dec);
}

/* Stage 1 of DecodeWinevt: the cJSON_PrintUnformatted texts of Event (enc)
 * and Message (pmsg, when present). */
static tl_status payload_texts(const char *payload, tl_buf *enc, tl_buf *pmsg, int *has_msg,
                               tl_diag *d)
{
    tl_status st = TL_OK;
    jspan ev = {NULL, 0, 0, 0}, msg = {NULL, 0, 0, 0};
    *has_msg = 0;
    if (fast_scan(payload, strlen(payload), &ev, &msg)) {
        if (!ev.set) {
            tl_diag_set(d, NULL, 0, "Malformed JSON received. No 'Event' field found.");
            return TL_E_PARSE;
        }
        span_print(enc, &ev);
        if (msg.set) {
            span_print(pmsg, &msg);
            *has_msg = 1;
        }
        if (tl_buf_status(enc) != TL_OK || tl_buf_status(pmsg) != TL_OK)
            return TL_E_NOMEM;
        return TL_OK;
    }
    tl_cjson_hooks_init();
    const char *endp = NULL;
    cJSON *root = cJSON_ParseWithOpts(payload, &endp, 0);
    if (!root) {
        tl_diag_set(d, NULL, 0, "Malformed EventChannel JSON event.");
        return TL_E_PARSE;
    }
    cJSON *items[2] = {cJSON_GetObjectItem(root, "Event"), cJSON_GetObjectItem(root, "Message")};
    tl_buf *dst[2] = {enc, pmsg};
    if (!items[0]) {
        tl_diag_set(d, NULL, 0, "Malformed JSON received. No 'Event' field found.");
        TL_FAIL(TL_E_PARSE);
    }
    for (int i = 0; i < 2; i++) {
        if (!items[i])
            continue;
        if (cJSON_IsString(items[i])) {
            const char *vs = items[i]->valuestring ? items[i]->valuestring : "";
            buf_json_esc(dst[i], vs, strlen(vs));
        } else {
            char *p = cJSON_PrintUnformatted(items[i]);
            TL_TRY_ALLOC(p);
            tl_buf_puts(dst[i], p);
            cJSON_free(p);
        }
    }
    *has_msg = items[1] != NULL;
    if (tl_buf_status(enc) != TL_OK || tl_buf_status(pmsg) != TL_OK)
        st = TL_E_NOMEM;
cleanup:
    cJSON_Delete(root);
    return st;
}

/* ---- output model ------------------------------------------------------ */

enum { SEC_SYSTEM = 0, SEC_EVENTDATA, SEC_EXTRA };

typedef struct wkv {
    const char *k;
    size_t kn;
    const char *v;
    size_t vn;
    unsigned char sec;
    unsigned char lower; /* lowercase the first byte of k */
} wkv;

#define WOUT_INLINE 64

typedef struct wout {
    wkv *kv;
    size_t n, cap;
    int oom;
    wkv inl[WOUT_INLINE];
} wout;

static void wadd(wout *o, int sec, const char *k, size_t kn, int lower, const char *v, size_t vn)
{
    if (o->oom)
        return;
    if (o->n == o->cap) {
        wkv *nw = grow_inline(o->kv, o->inl, &o->cap, sizeof *nw);
        if (!nw) {
            o->oom = 1;
            return;
        }
        o->kv = nw;
    }
    wkv *e = &o->kv[o->n++];
    e->k = k;
    e->kn = kn;
    e->v = v;
    e->vn = vn;
    e->sec = (unsigned char)sec;
    e->lower = (unsigned char)lower;
}

/* replace_win_format's trim: drop trailing whitespace but never byte 0. */
static xslice wtrim(xslice s)
{
    if (s.n == 0)
        return s;
    size_t e = s.n - 1;
    while (e > 0 && isspace((unsigned char)s.p[e]))
        e--;
    /* the C loop stops with end == str even if str[0] is a space */
    s.n = e + 1;
    return s;
}

static int wkeep(xslice v) { return v.n > 0 && !xeq(v, "-") && !xeq(v, "(NULL)"); }

/* wstr_unescape_json's table: the byte a backslash pair stands for, 0 when
 * the backslash is kept as it is. */
static const char g_unesc[256] = {
    ['b'] = '\b', ['t'] = '\t', ['n'] = '\n', ['f'] = '\f',
    ['r'] = '\r', ['"'] = '"', ['\\'] = '\\',
};

/* wstr_unescape_json: \b \t \n \f \r \" \\ back to bytes, anything else kept. */
static void unescape_json(tl_buf *out, const char *s, size_t n)
{
    if (!buf_reserve(out, n + 16)) /* the result is never longer; 16 for block copies */
        return;
    char *o = out->data + out->len;
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* copy 16 bytes at a time up to the next backslash (out has the room) */
        size_t run = 0;
        for (;;) {
            if (i + run + 16 > n) {
                const char *bsl = memchr(s + i + run, '\\', n - i - run);
                run = bsl ? (size_t)(bsl - (s + i)) : n - i;
                memcpy(o, s + i, run);
                break;
            }
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i + run));
            _mm_storeu_si128((__m128i *)(void *)(o + run), w);
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('\\')));
            if (m) {
                run += (size_t)__builtin_ctz(m);
                break;
            }
            run += 16;
        }
#else
        const char *bsl = memchr(s + i, '\\', n - i);
        size_t run = bsl ? (size_t)(bsl - (s + i)) : n - i;
        memcpy(o, s + i, run);
#endif
        o += run;
        i += run;
        if (i >= n)
            break;
        char r = i + 1 < n ? g_unesc[(unsigned char)s[i + 1]] : '\0';
        if (r) {
            *o++ = r;
            i += 2;
        } else {
            *o++ = '\\';
            i += 1;
        }
    }
    *o = '\0';
    out->len = (size_t)(o - out->data);
}

static void json_key(tl_buf *b, const char *k, size_t kn, int lower, int pad)
{
    size_t plain = 0;
#if defined(__SSE2__)
    /* a key read from the XML (pad: 16 readable bytes after it) is checked
     * a block at a time */
    if (pad) {
        while (plain < kn) {
            unsigned m = sse_esc_mask((const unsigned char *)k + plain);
            if (kn - plain < 16)
                m &= (1u << (kn - plain)) - 1u;
            if (m) {
                plain += (size_t)__builtin_ctz(m);
                break;
            }
            plain += kn - plain < 16 ? kn - plain : 16;
        }
    }
#else
    (void)pad;
#endif
    while (plain < kn && !g_esc_extra[(unsigned char)k[plain]])
        plain++;
    if (plain == kn) { /* nothing to escape: quote, copy, fold the first byte */
        if (!buf_reserve(b, kn + 2))
            return;
        char *o = b->data + b->len;
        o[0] = '"';
        memcpy(o + 1, k, kn);
        if (lower && kn > 0)
            o[1] = (char)tolower((unsigned char)o[1]);
        o[kn + 1] = '"';
        b->len += kn + 2;
        b->data[b->len] = '\0';
        return;
    }
    size_t start = b->len;
    buf_json_esc(b, k, kn);
    /* an A-Z first byte is written raw right after the quote; any escaped
     * first byte starts with '\\', which tolower leaves alone */
    if (lower && kn > 0 && !b->oom)
        b->data[start + 1] = (char)tolower((unsigned char)b->data[start + 1]);
}

/* The JSON decoder's field limit (analysisd.decoder_order_size). */
#define TL_DECODER_ORDER_SIZE 256

static tl_status add_dotted(tl_event *ev, const char *prefix, size_t pn, const wkv *e)
{
    if (ev->nfields >= TL_DECODER_ORDER_SIZE)
        return TL_OK; /* "Too many fields for JSON decoder." */
    char stack[256];
    size_t n = pn + e->kn;
    char *name = n <= sizeof stack ? stack : tl_malloc(n);
    if (!name)
        return TL_E_NOMEM;
    memcpy(name, prefix, pn);
    memcpy(name + pn, e->k, e->kn);
    if (e->lower && e->kn > 0)
        name[pn] = (char)tolower((unsigned char)name[pn]);
    tl_status st = tl_event_add_field(ev, name, n, e->v, e->vn);
    if (name != stack)
        tl_free(name);
    return st;
}

static const char *severity_name(int level, unsigned long long kw)
{
    switch (level) {
    case 0:
        if (kw & 0x10000000000000ULL)
            return "AUDIT_FAILURE";
        if (kw & 0x20000000000000ULL)
            return "AUDIT_SUCCESS";
        return "UNKNOWN";
    case 1: return "CRITICAL";
    case 2: return "ERROR";
    case 3: return "WARNING";
    case 4: return "INFORMATION";
    case 5: return "VERBOSE";
    default: return "UNKNOWN";
    }
}

static void slice_cstr(xslice s, char *out, size_t outsz)
{
    size_t n = s.n < outsz - 1 ? s.n : outsz - 1;
    memcpy(out, s.p, n);
    out[n] = '\0';
}

/* Walk the parsed Event and collect keys (values point into `text`). */
/* EventData names DecodeWinevt translates (wazuh.md §3.2), matched after the
 * first-letter lowercasing, so "CategoryId" and "categoryId" both count. */
static int audit_name(xslice n, const char *rest)
{
    size_t rl = strlen(rest);
    return n.n == rl + 1 && memcmp(n.p + 1, rest, rl) == 0;
}

typedef struct audit_ids {
    xslice cat, sub, apc; /* last kept values (trimmed) */
    int has_cat, has_sub, has_apc;
} audit_ids;

static void walk_event(const xdoc *x, wout *o, tl_buf *joined, const xnode **level,
                       const xnode **keywords, xslice *extra_name, audit_ids *au)
{
    if (x->nn == 0)
        return;
    const xnode *root = &x->nodes[0];
    for (int ci = root->first_child; ci >= 0; ci = x->nodes[ci].next) {
        const xnode *child = &x->nodes[ci];
        int is_sys = xeq(child->name, "System");
        int is_ed = !is_sys && xeq(child->name, "EventData");
        for (int ai = child->first_child; ai >= 0; ai = x->nodes[ai].next) {
            const xnode *ca = &x->nodes[ai];
            const xattr *at = &x->attrs[ca->first_attr];
            if (is_sys) {
                if (xeq(ca->name, "Provider")) {
                    for (int l = 0; l < ca->nattr; l++) {
                        if (xeq(at[l].name, "Name"))
                            wadd(o, SEC_SYSTEM, "providerName", 12, 0, at[l].value.p,
                                 at[l].value.n);
                        else if (xeq(at[l].name, "Guid"))
                            wadd(o, SEC_SYSTEM, "providerGuid", 12, 0, at[l].value.p,
                                 at[l].value.n);
                        else if (xeq(at[l].name, "EventSourceName"))
                            wadd(o, SEC_SYSTEM, "eventSourceName", 15, 0, at[l].value.p,
                                 at[l].value.n);
                    }
                } else if (xeq(ca->name, "TimeCreated")) {
                    if (ca->nattr > 0 && xeq(at[0].name, "SystemTime"))
                        wadd(o, SEC_SYSTEM, "systemTime", 10, 0, at[0].value.p, at[0].value.n);
                } else if (xeq(ca->name, "Execution")) {
                    if (ca->nattr > 0 && xeq(at[0].name, "ProcessID"))
                        wadd(o, SEC_SYSTEM, "processID", 9, 0, at[0].value.p, at[0].value.n);
                    if (ca->nattr > 1 && xeq(at[1].name, "ThreadID"))
                        wadd(o, SEC_SYSTEM, "threadID", 8, 0, at[1].value.p, at[1].value.n);
                } else if (xeq(ca->name, "Channel")) {
                    wadd(o, SEC_SYSTEM, "channel", 7, 0, ca->content.p, ca->content.n);
                } else if (xeq(ca->name, "Security")) {
                    /* analysisd tests values[0] == "UserID": never true */
                    if (ca->nattr > 0 && xeq(at[0].value, "UserID"))
                        wadd(o, SEC_SYSTEM, "securityUserID", 14, 0, at[0].value.p, at[0].value.n);
                } else if (xeq(ca->name, "Level")) {
                    *level = ca;
                    wadd(o, SEC_SYSTEM, "level", 5, 0, ca->content.p, ca->content.n);
                } else if (xeq(ca->name, "Keywords")) {
                    *keywords = ca;
                    wadd(o, SEC_SYSTEM, "keywords", 8, 0, ca->content.p, ca->content.n);
                } else if (xeq(ca->name, "Correlation")) {
                    /* skipped */
                } else if (ca->content.n > 0) {
                    wadd(o, SEC_SYSTEM, ca->name.p, ca->name.n, 1, ca->content.p, ca->content.n);
                }
            } else if (is_ed) {
                int named = -1;
                if (xeq(ca->name, "Data")) {
                    for (int l = 0; l < ca->nattr; l++)
                        if (xeq(at[l].name, "Name")) {
                            named = l;
                            break;
                        }
                    if (!wkeep(ca->content))
                        continue;
                    xslice v = wtrim(ca->content);
                    if (named >= 0) {
                        xslice nm = at[named].value;
                        char c0 = nm.n ? nm.p[0] : 0;
                        if ((c0 == 'A' || c0 == 'a') && audit_name(nm, "uditPolicyChanges")) {
                            /* the codes move to auditPolicyChangesId */
                            wadd(o, SEC_EVENTDATA, "auditPolicyChangesId", 20, 0, v.p, v.n);
                            au->apc = v;
                            au->has_apc = 1;
                            continue;
                        }
                        if ((c0 == 'C' || c0 == 'c') && audit_name(nm, "ategoryId")) {
                            au->cat = v;
                            au->has_cat = 1;
                        } else if ((c0 == 'S' || c0 == 's') && audit_name(nm, "ubcategoryId")) {
                            au->sub = v;
                            au->has_sub = 1;
                        }
                        wadd(o, SEC_EVENTDATA, nm.p, nm.n, 1, v.p, v.n);
                    } else {
                        if (joined->len > 0)
                            tl_buf_append(joined, ", ", 2);
                        tl_buf_append(joined, v.p, v.n);
                    }
                } else if (wkeep(ca->content)) {
                    xslice v = wtrim(ca->content);
                    wadd(o, SEC_EVENTDATA, ca->name.p, ca->name.n, 1, v.p, v.n);
                }
            } else {
                for (int gi = ca->first_child; gi >= 0; gi = x->nodes[gi].next) {
                    const xnode *g = &x->nodes[gi];
                    if (!wkeep(g->content))
                        continue;
                    xslice v = wtrim(g->content);
                    wadd(o, SEC_EXTRA, g->name.p, g->name.n, 1, v.p, v.n);
                }
                *extra_name = ca->name;
            }
        }
    }
}

/* ---- audit policy translation (wazuh.md §3.2) ---------------------------- */

typedef struct audit_sub {
    int id;
    const char *name;
} audit_sub;

static const audit_sub g_sub_8272[] = {{12288, "Security State Change"},
                                       {12289, "Security System Extension"},
                                       {12290, "System Integrity"},
                                       {12291, "IPsec Driver"},
                                       {12292, "Other System Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8273[] = {
    {12544, "Logon"},           {12545, "Logoff"},
    {12546, "Account Lockout"}, {12547, "IPsec Main Mode"},
    {12548, "Special Logon"},   {12549, "IPSec Extended Mode"},
    {12550, "IPSec Quick Mode"}, {12551, "Other Logon/Logoff Events"},
    {12552, "Network Policy Server"}, {12553, "User/Device Claims"},
    {12554, "Group Membership"}, {0, NULL}};
static const audit_sub g_sub_8274[] = {{12800, "File System"},
                                       {12801, "Registry"},
                                       {12802, "Kernel Object"},
                                       {12803, "SAM"},
                                       {12804, "Other Object Access Events"},
                                       {12805, "Certification Services"},
                                       {12806, "Application Generated"},
                                       {12807, "Handle Manipulation"},
                                       {12808, "File Share"},
                                       {12809, "Filtering Platform Packet Drop"},
                                       {12810, "Filtering Platform Connection"},
                                       {12811, "Detailed File Share"},
                                       {12812, "Removable Storage"},
                                       {12813, "Central Policy Staging"},
                                       {0, NULL}};
static const audit_sub g_sub_8275[] = {{13056, "Sensitive Privilege Use"},
                                       {13057, "Non Sensitive Privilege Use"},
                                       {13058, "Other Privilege Use Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8276[] = {{13312, "Process Creation"},
                                       {13313, "Process Termination"},
                                       {13314, "DPAPI Activity"},
                                       {13315, "RPC Events"},
                                       {13316, "Plug and Play Events"},
                                       {13317, "Token Right Adjusted Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8277[] = {{13568, "Audit Policy Change"},
                                       {13569, "Authentication Policy Change"},
                                       {13570, "Authorization Policy Change"},
                                       {13571, "MPSSVC Rule-Level Policy Change"},
                                       {13572, "Filtering Platform Policy Change"},
                                       {13573, "Other Policy Change Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8278[] = {{13824, "User Account Management"},
                                       {13825, "Computer Account Management"},
                                       {13826, "Security Group Management"},
                                       {13827, "Distribution Group Management"},
                                       {13828, "Application Group Management"},
                                       {13829, "Other Account Management Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8279[] = {{14080, "Directory Service Access"},
                                       {14081, "Directory Service Changes"},
                                       {14082, "Directory Service Replication"},
                                       {14083, "Detailed Directory Service Replication"},
                                       {0, NULL}};
static const audit_sub g_sub_8280[] = {{14336, "Credential Validation"},
                                       {14337, "Kerberos Service Ticket Operations"},
                                       {14338, "Other Account Logon Events"},
                                       {14339, "Kerberos Authentication Service"},
                                       {0, NULL}};

static const struct {
    int id;
    const char *name;
    const audit_sub *subs;
} g_audit_cat[] = {{8272, "System", g_sub_8272},          {8273, "Logon/Logoff", g_sub_8273},
                   {8274, "Object Access", g_sub_8274},   {8275, "Privilege Use", g_sub_8275},
                   {8276, "Detailed Tracking", g_sub_8276}, {8277, "Policy Change", g_sub_8277},
                   {8278, "Account Management", g_sub_8278}, {8279, "DS Access", g_sub_8279},
                   {8280, "Account Logon", g_sub_8280}};

/* Copy v with every "%%" removed into out (NUL-terminated, truncated). */
static void strip_pct(xslice v, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < v.n && o + 1 < outsz; i++) {
        if (v.p[i] == '%' && i + 1 < v.n && v.p[i + 1] == '%') {
            i++;
            continue;
        }
        out[o++] = v.p[i];
    }
    out[o] = '\0';
}

static long audit_num(xslice v)
{
    char b[64];
    strip_pct(v, b, sizeof b);
    return strtol(b, NULL, 10);
}

/* AuditPolicyChanges codes -> "Success added, Failure added" in apc_text
 * (at most 4 comma-separated pieces, unknown codes skipped). */
static void audit_changes(xslice v, tl_buf *apc_text)
{
    char b[512];
    strip_pct(v, b, sizeof b);
    char *piece = b;
    for (int k = 0; k < 4 && piece; k++) {
        char *comma = k < 3 ? strchr(piece, ',') : NULL;
        if (comma)
            *comma = '\0';
        long code = strtol(piece, NULL, 10);
        const char *t = code == 8448   ? "Success removed"
                        : code == 8449 ? "Success added"
                        : code == 8450 ? "Failure removed"
                        : code == 8451 ? "Failure added"
                                       : NULL;
        if (t) {
            if (apc_text->len)
                tl_buf_puts(apc_text, ", ");
            tl_buf_puts(apc_text, t);
        }
        piece = comma ? comma + 1 : NULL;
    }
}

/* 1 when p[0..n) lies inside one of the four texts (each with 16 bytes of
 * slack after its end), so 16 bytes from p + n may be read. */
static int in_bufs(const tl_buf *const bufs[4], const char *p, size_t n)
{
    uintptr_t v = (uintptr_t)p;
    for (int i = 0; i < 4; i++) {
        uintptr_t lo = (uintptr_t)bufs[i]->data;
        if (lo && v >= lo && v + n <= lo + bufs[i]->len)
            return 1;
    }
    return 0;
}

/* Core conversion. ev may be NULL (pure conversion). */
static tl_status winevt_run(const char *payload, tl_buf *out, tl_event *ev, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf enc = TL_BUF_INIT, joined = TL_BUF_INIT, msg = TL_BUF_INIT;
    tl_buf printed = TL_BUF_INIT, apc_text = TL_BUF_INIT;
    audit_ids au;
    memset(&au, 0, sizeof au);
    int has_msg = 0;
    xdoc x;
    wout o;
    o.kv = o.inl;
    o.n = 0;
    o.cap = WOUT_INLINE;
    o.oom = 0;
    xdoc_init(&x);
    const xnode *level = NULL, *keywords = NULL;
    xslice extra = {NULL, 0};
    char sevbuf[8] = {0};
    const char *sev = NULL;

    TL_TRY(payload_texts(payload, &enc, &printed, &has_msg, d));
    /* values point into enc, msg, joined and apc_text: each gets 16 bytes of
     * slack before any pointer into it is taken (buf_json_esc_pad) */
    if (!buf_reserve(&enc, 16))
        TL_FAIL(TL_E_NOMEM);

    if (xparse(&x, enc.data, enc.len) == 0) {
        walk_event(&x, &o, &joined, &level, &keywords, &extra, &au);
    } else {
        /* "Could not read XML string": keep only the message */
        if (x.oom)
            TL_FAIL(TL_E_NOMEM);
        o.n = 0;
        memset(&au, 0, sizeof au);
        tl_buf_reset(&joined);
        level = keywords = NULL;
        extra.p = NULL;
    }
    if (o.oom)
        TL_FAIL(TL_E_NOMEM);
    TL_TRY(tl_buf_status(&joined));

    if (level && keywords) {
        char lv[64], kw[64];
        slice_cstr(level->content, lv, sizeof lv);
        slice_cstr(keywords->content, kw, sizeof kw);
        int level_n = (int)strtol(lv, NULL, 10);
        unsigned long long kw_n = strtoull(kw, NULL, 16);
        sev = severity_name(level_n, kw_n);
        (void)sevbuf;
        wadd(&o, SEC_SYSTEM, "severityValue", 13, 0, sev, strlen(sev));
    }
    if (has_msg) {
        unescape_json(&msg, printed.data ? printed.data : "", printed.len);
        if (!buf_reserve(&msg, 16))
            TL_FAIL(TL_E_NOMEM);
        xslice m = {msg.data ? msg.data : "", msg.len};
        m = wtrim(m);
        wadd(&o, SEC_SYSTEM, "message", 7, 0, m.p, m.n);
    }
    /* category / subcategory only when System had Level and Keywords and both
     * ids were kept; then the audit-policy text; then the nameless data */
    if (level && keywords && au.has_cat && au.has_sub) {
        long cid = audit_num(au.cat), sid = audit_num(au.sub);
        for (size_t i = 0; i < sizeof g_audit_cat / sizeof g_audit_cat[0]; i++) {
            if (g_audit_cat[i].id != cid)
                continue;
            wadd(&o, SEC_EVENTDATA, "category", 8, 0, g_audit_cat[i].name,
                 strlen(g_audit_cat[i].name));
            for (const audit_sub *sb = g_audit_cat[i].subs; sb->name; sb++)
                if (sb->id == sid) {
                    wadd(&o, SEC_EVENTDATA, "subcategory", 11, 0, sb->name, strlen(sb->name));
                    break;
                }
            break;
        }
    }
    if (au.has_apc) {
        audit_changes(au.apc, &apc_text);
        if (!buf_reserve(&apc_text, 16))
            TL_FAIL(TL_E_NOMEM);
        if (apc_text.len)
            wadd(&o, SEC_EVENTDATA, "auditPolicyChanges", 18, 0, apc_text.data, apc_text.len);
    }
    if (joined.len > 0) {
        if (!buf_reserve(&joined, 16))
            TL_FAIL(TL_E_NOMEM);
        wadd(&o, SEC_EVENTDATA, "data", 4, 0, joined.data, joined.len);
    }
    if (o.oom)
        TL_FAIL(TL_E_NOMEM);

    /* {"win":{"system":{...},"eventdata":{...},"<extra>":{...}}} */
    size_t have[3] = {0, 0, 0};
    for (size_t i = 0; i < o.n; i++)
        have[o.kv[i].sec]++;
    if (!buf_reserve(out, enc.len + msg.len * 2 + 64 * o.n + 64))
        TL_FAIL(TL_E_NOMEM);
    /* 16 readable bytes follow every text a value can point into, so the
     * escaping reads whole blocks (buf_json_esc_pad) */
    const tl_buf *const padded[4] = {&enc, &msg, &joined, &apc_text}; /* +16: above */
    buf_put(out, "{\"win\":{\"system\":{", 18);
    for (int sec = 0; sec < 3; sec++) {
        if (sec == SEC_EVENTDATA) {
            if (!have[sec])
                continue;
            buf_put(out, "},\"eventdata\":{", 15);
        } else if (sec == SEC_EXTRA) {
            if (!extra.p)
                continue;
            buf_put(out, "},", 2);
            json_key(out, extra.p, extra.n, 1, in_bufs(padded, extra.p, extra.n));
            buf_put(out, ":{", 2);
        }
        int first = 1;
        for (size_t i = 0; i < o.n; i++) {
            const wkv *e = &o.kv[i];
            if (e->sec != sec)
                continue;
            if (!first)
                buf_put(out, ",", 1);
            first = 0;
            json_key(out, e->k, e->kn, e->lower, in_bufs(padded, e->k, e->kn));
            buf_put(out, ":", 1);
            buf_json_esc_pad(out, e->v, e->vn, in_bufs(padded, e->v, e->vn));
        }
    }
    buf_put(out, "}}}", 3);
    TL_TRY(tl_buf_status(out));

    if (ev) {
        char extra_prefix[256];
        size_t epn = 0;
        if (extra.p && extra.n + 6 < sizeof extra_prefix) {
            memcpy(extra_prefix, "win.", 4);
            memcpy(extra_prefix + 4, extra.p, extra.n);
            if (extra.n > 0)
                extra_prefix[4] = (char)tolower((unsigned char)extra_prefix[4]);
            extra_prefix[4 + extra.n] = '.';
            epn = extra.n + 5;
        }
        for (size_t i = 0; i < o.n; i++) {
            const wkv *e = &o.kv[i];
            if (e->sec == SEC_SYSTEM)
                TL_TRY(add_dotted(ev, "win.system.", 11, e));
        }
        for (size_t i = 0; i < o.n; i++) {
            const wkv *e = &o.kv[i];
            if (e->sec == SEC_EVENTDATA)
                TL_TRY(add_dotted(ev, "win.eventdata.", 14, e));
        }
        if (extra.p) {
            tl_buf pre = TL_BUF_INIT;
            const char *pp = extra_prefix;
            if (!epn) { /* absurdly long element name */
                tl_buf_puts(&pre, "win.");
                size_t at = pre.len;
                tl_buf_append(&pre, extra.p, extra.n);
                tl_buf_putc(&pre, '.');
                if (tl_buf_status(&pre) != TL_OK) {
                    tl_buf_free(&pre);
                    TL_FAIL(TL_E_NOMEM);
                }
                pre.data[at] = (char)tolower((unsigned char)pre.data[at]);
                pp = pre.data;
                epn = pre.len;
            }
            for (size_t i = 0; i < o.n && st == TL_OK; i++) {
                const wkv *e = &o.kv[i];
                if (e->sec == SEC_EXTRA)
                    st = add_dotted(ev, pp, epn, e);
            }
            tl_buf_free(&pre);
            if (st != TL_OK)
                goto cleanup;
        }
    }

cleanup:
    tl_buf_free(&printed);
    tl_buf_free(&apc_text);
    tl_buf_free(&enc);
    tl_buf_free(&joined);
    tl_buf_free(&msg);
    if (o.kv != o.inl)
        tl_free(o.kv);
    xdoc_free(&x);
    return st;
}

tl_status tl_winevt_ref_convert(const char *payload_json, char **out_json, tl_diag *d)
{
    if (!payload_json || !out_json)
        return TL_E_INVAL;
    tl_buf out = TL_BUF_INIT;
    tl_status st = winevt_run(payload_json, &out, NULL, d);
    if (st != TL_OK) {
        tl_buf_free(&out);
        return st;
    }
    char *s = tl_buf_take(&out);
    if (!s)
        return TL_E_NOMEM;
    *out_json = s;
    return TL_OK;
}

tl_status tl_winevt_ref_decode_event(tl_event *ev, tl_diag *d)
{
    tl_buf out = TL_BUF_INIT;
    tl_status st = winevt_run(ev->log ? ev->log : "", &out, ev, d);
    if (st != TL_OK) {
        tl_buf_free(&out);
        return st;
    }
    size_t n = out.len;
    char *s = tl_buf_take(&out);
    if (!s)
        return TL_E_NOMEM;
    tl_free(ev->full_log);
    ev->full_log = s;
    ev->full_log_end = s + n;
    ev->log = s;
    tl_free(ev->program_name);
    ev->program_name = NULL;
    tl_free(ev->dec_timestamp);
    ev->dec_timestamp = NULL;
    return TL_OK;
}
