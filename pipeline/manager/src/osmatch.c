/* SPDX-License-Identifier: MIT */
/*
 * OS_Match: Wazuh's literal matcher (wazuh.md §7, `src/os_regex/os_match*.c`).
 *
 * The pattern is split on '|' into alternatives (there are no escapes: a
 * backslash is a backslash, and a pipe cannot be matched). Each alternative is
 * `^x$` equal, `^x` prefix, `x$` suffix or `x` substring, all ASCII
 * case-insensitive; an empty alternative matches everything. A '!' as the
 * first byte of the whole pattern negates the result.
 *
 * Invariants: compiled patterns are immutable; exec is thread-safe and does
 * not allocate.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "expr_int.h"

/** Wazuh's OS_PATTERN_MAXSIZE. */
#define TL_OSMATCH_MAXSIZE 2048

typedef struct om_alt {
    char *lit; /* folded to lower case, NUL-terminated */
    size_t len;
    int begin;
    int end;
} om_alt;

struct tl_osmatch {
    om_alt *alts;
    size_t nalts;
    int negate;
};


static unsigned char om_fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

size_t tl_find_byte2(const unsigned char *s, size_t n, unsigned char a, unsigned char b)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    for (; i + 16 <= n; i += 16) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(w, va), _mm_cmpeq_epi8(w, vb)));
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
    }
#endif
    for (; i < n; i++)
        if (s[i] == a || s[i] == b)
            return i;
    return n;
}

/* The other case of an ASCII letter (c itself otherwise). */
static unsigned char om_other_case(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return (unsigned char)(c - ('a' - 'A'));
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)(c + ('a' - 'A'));
    return c;
}

void tl_osmatch_free(tl_osmatch *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->alts && i < m->nalts; i++)
        tl_free(m->alts[i].lit);
    tl_free(m->alts);
    tl_free(m);
}

tl_status tl_osmatch_compile(const char *pattern, tl_osmatch **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_osmatch *m = NULL;
    if (!out)
        return TL_E_INVAL;
    *out = NULL;
    if (!pattern) {
        tl_diag_set(d, NULL, 0, "OS_Match pattern is missing");
        return TL_E_INVAL;
    }
    if (strlen(pattern) > TL_OSMATCH_MAXSIZE) {
        tl_diag_set(d, NULL, 0, "invalid OS_Match: pattern longer than %d bytes", TL_OSMATCH_MAXSIZE);
        return TL_E_REGEX;
    }
    m = tl_calloc(1, sizeof *m);
    TL_TRY_ALLOC(m);
    const char *p = pattern;
    if (*p == '!') {
        m->negate = 1;
        p++;
    }
    size_t nalts = 1;
    for (const char *q = p; *q; q++)
        nalts += *q == '|';
    m->alts = tl_calloc(nalts, sizeof *m->alts);
    TL_TRY_ALLOC(m->alts);
    m->nalts = nalts;
    for (size_t k = 0; k < nalts; k++) {
        const char *q = strchr(p, '|');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        om_alt *a = &m->alts[k];
        const char *b = p;
        if (n > 0 && b[0] == '^') {
            a->begin = 1;
            b++;
            n--;
        }
        if (n > 0 && b[n - 1] == '$') {
            a->end = 1;
            n--;
        }
        a->lit = tl_strndup(b, n);
        TL_TRY_ALLOC(a->lit);
        for (size_t i = 0; i < n; i++)
            a->lit[i] = (char)om_fold((unsigned char)a->lit[i]);
        a->len = n;
        p = q ? q + 1 : p + n;
    }
    *out = m;
    m = NULL;
cleanup:
    tl_osmatch_free(m);
    return st;
}

/* Case-insensitive compare of n bytes; lit is already folded. */
static int om_eq(const unsigned char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (om_fold(s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

/* Where alternative a matches in s (length len): offset of the byte after the
 * match, or (size_t)-1. */
static size_t om_alt_match(const om_alt *a, const unsigned char *s, size_t len)
{
    if (a->len > len)
        return (size_t)-1;
    if (a->begin && a->end)
        return (a->len == len && om_eq(s, a->lit, len)) ? len : (size_t)-1;
    if (a->begin)
        return om_eq(s, a->lit, a->len) ? a->len : (size_t)-1;
    if (a->end)
        return om_eq(s + len - a->len, a->lit, a->len) ? len : (size_t)-1;
    if (a->len == 0)
        return 0;
    unsigned char f = (unsigned char)a->lit[0], g = om_other_case(f);
    size_t last = len - a->len; /* last start that leaves room for the literal */
    for (size_t i = 0; i <= last; i++) {
        i += tl_find_byte2(s + i, last + 1 - i, f, g);
        if (i > last)
            break;
        if (om_eq(s + i + 1, a->lit + 1, a->len - 1))
            return i + a->len;
    }
    return (size_t)-1;
}

int tl_osmatch_exec_end(const tl_osmatch *m, const char *str, const char **end)
{
    if (!m || !str)
        return 0;
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    for (size_t k = 0; k < m->nalts; k++) {
        size_t e = om_alt_match(&m->alts[k], s, len);
        if (e != (size_t)-1) {
            if (m->negate)
                return 0;
            if (end)
                *end = str + e;
            return 1;
        }
    }
    if (!m->negate)
        return 0;
    if (end)
        *end = str;
    return 1;
}

int tl_osmatch_exec(const tl_osmatch *m, const char *str)
{
    return tl_osmatch_exec_end(m, str, NULL);
}
