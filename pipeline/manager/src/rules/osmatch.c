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

#include "rules/expr_int.h"

/** Wazuh's OS_PATTERN_MAXSIZE. */
#define TL_OSMATCH_MAXSIZE 2048

typedef struct om_alt {
    char *lit; /* folded to lower case, NUL-terminated */
    size_t len;
    int begin;
    int end;
    tl_lit find; /* substring alternatives of >= 2 bytes */
    tl_tri_lit tri; /* what the text's fingerprint must hold (substring alternatives) */
} om_alt;

struct tl_osmatch {
    om_alt *alts;
    size_t nalts;
    int negate;
    /* every alternative is '^' + at least one byte: the text's first byte
     * must be in `first` (both cases of each alternative's first byte) */
    int all_begin;
    unsigned char first[32];
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
        if (!a->begin && !a->end && n >= 2) {
            tl_lit_init(&a->find, a->lit, n);
            tl_tri_lit_init(&a->tri, a->lit, n);
        }
        p = q ? q + 1 : p + n;
    }
    m->all_begin = 1;
    for (size_t k = 0; k < nalts && m->all_begin; k++) {
        const om_alt *a = &m->alts[k];
        if (!a->begin || a->len == 0) {
            m->all_begin = 0;
            break;
        }
        unsigned char c0 = (unsigned char)a->lit[0], c1 = om_other_case(c0);
        m->first[c0 >> 3] |= (unsigned char)(1u << (c0 & 7));
        m->first[c1 >> 3] |= (unsigned char)(1u << (c1 & 7));
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
    if (a->len >= 2) {
        size_t at = tl_lit_find(&a->find, s, len);
        return at == (size_t)-1 ? at : at + a->len;
    }
    unsigned char f = (unsigned char)a->lit[0], g = om_other_case(f);
    size_t i = tl_find_byte2(s, len, f, g);
    if (i < len)
        return i + 1;
    return (size_t)-1;
}

/* Crude byte frequencies in logs (JSON and syslog text): the literal's
 * rarest adjacent pair is the one searched for. */
static int om_freq(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
    switch (c) {
    case 'e': case 't': case 'a': case 'o': case 'i': case 'n': case ' ': case '"':
        return 12;
    case 's': case 'r': case 'h': case 'l': case 'd': case 'c': case 'u': case '\\':
        return 10;
    case ':': case ',': case 'm': case 'p': case 'g': case 'f':
        return 8;
    default:
        break;
    }
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 6;
    if (c == '.' || c == '-' || c == '_' || c == '/' || c == '{' || c == '}')
        return 5;
    return 1;
}

void tl_lit_init(tl_lit *L, const char *s, size_t len)
{
    L->s = s;
    L->len = len;
    L->pj = 0;
    int best = 1 << 30;
    for (size_t j = 0; j + 1 < len; j++) {
        int sc = om_freq((unsigned char)s[j]) + om_freq((unsigned char)s[j + 1]);
        if (sc < best) {
            best = sc;
            L->pj = j;
        }
    }
    L->a = (unsigned char)s[L->pj];
    L->b = om_other_case(L->a);
    L->c = (unsigned char)s[L->pj + 1];
    L->d = om_other_case(L->c);
}

size_t tl_lit_find(const tl_lit *L, const unsigned char *s, size_t n)
{
    if (L->len > n)
        return (size_t)-1;
    const size_t last = n - L->len; /* last start */
    const size_t pj = L->pj;
    size_t i = 0; /* candidate start */
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)L->a), vb = _mm_set1_epi8((char)L->b);
    const __m128i vc = _mm_set1_epi8((char)L->c), vd = _mm_set1_epi8((char)L->d);
    /* blocks of 16 starts whose pair bytes s[i+pj .. i+pj+16] lie inside s */
    for (; i + 16 <= last + 1; i += 16) {
        const unsigned char *q = s + i + pj;
        __m128i w0 = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i w1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 1));
        unsigned m = (unsigned)_mm_movemask_epi8(
                         _mm_or_si128(_mm_cmpeq_epi8(w0, va), _mm_cmpeq_epi8(w0, vb))) &
                     (unsigned)_mm_movemask_epi8(
                         _mm_or_si128(_mm_cmpeq_epi8(w1, vc), _mm_cmpeq_epi8(w1, vd)));
        while (m) {
            unsigned h = (unsigned)__builtin_ctz(m);
            if (om_eq(s + i + h, L->s, L->len))
                return i + h;
            m &= m - 1;
        }
    }
    if (i <= last) {
        /* fewer than 16 starts left (short field values are the common case):
         * their pair bytes s[i+pj .. last+pj+1] go into a zeroed block, so one
         * more 16-byte step replaces up to 15 scalar ones; starts past last
         * are masked off and candidates are checked on s itself */
        size_t k = last - i + 2; /* pair bytes left, <= 17 */
        unsigned char pad[32] = {0};
        memcpy(pad, s + i + pj, k);
        __m128i w0 = _mm_loadu_si128((const __m128i *)(const void *)pad);
        __m128i w1 = _mm_loadu_si128((const __m128i *)(const void *)(pad + 1));
        unsigned m = (unsigned)_mm_movemask_epi8(
                         _mm_or_si128(_mm_cmpeq_epi8(w0, va), _mm_cmpeq_epi8(w0, vb))) &
                     (unsigned)_mm_movemask_epi8(
                         _mm_or_si128(_mm_cmpeq_epi8(w1, vc), _mm_cmpeq_epi8(w1, vd)));
        m &= (1u << (last - i + 1)) - 1u;
        while (m) {
            unsigned h = (unsigned)__builtin_ctz(m);
            if (om_eq(s + i + h, L->s, L->len))
                return i + h;
            m &= m - 1;
        }
        return (size_t)-1;
    }
#endif
    for (; i <= last; i++) {
        unsigned char x = s[i + pj], y = s[i + pj + 1];
        if ((x == L->a || x == L->b) && (y == L->c || y == L->d) && om_eq(s + i, L->s, L->len))
            return i;
    }
    return (size_t)-1;
}

#if defined(__SSE2__)
/* The 16 bytes at p with 'A'..'Z' folded to lower case (bytes >= 0x80 are
 * negative as signed and stay as they are). */
static inline __m128i om_fold16(const unsigned char *p)
{
    __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i up = _mm_and_si128(_mm_cmpgt_epi8(w, _mm_set1_epi8('A' - 1)),
                               _mm_cmplt_epi8(w, _mm_set1_epi8('Z' + 1)));
    return _mm_add_epi8(w, _mm_and_si128(up, _mm_set1_epi8(32)));
}

/* Mark the 4 grams that are the 32-bit lanes of the folded block w (the
 * hash is the low 16 bits of each lane after the mask, so one pextrw reads
 * it; g is t->gen held in a register, as a byte store may alias it). */
static inline void om_tri_mark4(unsigned char *has, unsigned char g, __m128i w, __m128i k,
                                __m128i mask)
{
    __m128i h = _mm_and_si128(_mm_srli_epi32(_mm_madd_epi16(w, k), 4), mask);
    has[_mm_extract_epi16(h, 0)] = g;
    has[_mm_extract_epi16(h, 2)] = g;
    has[_mm_extract_epi16(h, 4)] = g;
    has[_mm_extract_epi16(h, 6)] = g;
}
#endif

void tl_tri_build(tl_tri *t, const char *str, size_t n)
{
    if (++t->gen == 0) {
        memset(t->has, 0, sizeof t->has);
        t->gen = 1;
    }
    const unsigned char *u = (const unsigned char *)str;
    size_t i = 0;
#if defined(__SSE2__)
    /* eight grams per block: at i, i + 2, ..., i + 14 (bytes i .. i + 17) */
    const __m128i k = _mm_set1_epi32((int)(0x7F4Bu << 16 | 0x9E37u));
    const __m128i mask = _mm_set1_epi32((1 << TL_TRI_BITS) - 1);
    unsigned char *has = t->has;
    const unsigned char g = t->gen;
    for (; i + 18 <= n; i += 16) {
        om_tri_mark4(has, g, om_fold16(u + i), k, mask);
        om_tri_mark4(has, g, om_fold16(u + i + 2), k, mask);
    }
#endif
    for (; i + TL_TRI_GRAM <= n; i += TL_TRI_STRIDE)
        t->has[tl_tri_hash(om_fold(u[i]), om_fold(u[i + 1]), om_fold(u[i + 2]),
                           om_fold(u[i + 3]))] = t->gen;
}

void tl_tri_lit_init(tl_tri_lit *L, const char *lit, size_t len)
{
    memset(L, 0, sizeof *L);
    const unsigned char *l = (const unsigned char *)lit;
    if (len < TL_TRI_GRAM + TL_TRI_STRIDE - 1)
        return; /* some phase has no gram */
    for (size_t p = 0; p < TL_TRI_STRIDE; p++) {
        /* offsets p, p + STRIDE, ... <= len - GRAM */
        size_t cnt = (len - TL_TRI_GRAM - p) / TL_TRI_STRIDE + 1;
        for (size_t k = 0; k < 4 && k < cnt; k++) {
            /* spread: the k-th of up to 4 picks among the cnt offsets */
            size_t idx = cnt <= 4 ? k : k * (cnt - 1) / 3;
            const unsigned char *q = l + p + idx * TL_TRI_STRIDE;
            uint16_t v = (uint16_t)tl_tri_hash(q[0], q[1], q[2], q[3]);
            int dup = 0;
            for (int j = 0; j < L->n[p]; j++)
                dup |= L->h[p][j] == v;
            if (!dup)
                L->h[p][L->n[p]++] = v;
        }
    }
    L->ok = 1;
}

static int om_exec(const tl_osmatch *m, const char *str, size_t len, const tl_tri *t,
                   const char **end)
{
    if (!m || !str)
        return 0;
    const unsigned char *s = (const unsigned char *)str;
    /* no alternative can start at the text's first byte: none matches */
    size_t nalts = m->all_begin && !(m->first[s[0] >> 3] & (1u << (s[0] & 7))) ? 0 : m->nalts;
    for (size_t k = 0; k < nalts; k++) {
        const om_alt *a = &m->alts[k];
        if (t && !tl_tri_may_hold(t, &a->tri))
            continue;
        size_t e = om_alt_match(a, s, len);
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

int tl_osmatch_maybe(const tl_osmatch *m, const tl_tri *t)
{
    if (!m || !t)
        return 1;
    for (size_t k = 0; k < m->nalts; k++)
        if (tl_tri_may_hold(t, &m->alts[k].tri))
            return 1;
    return 0;
}

int tl_osmatch_fp_filterable(const tl_osmatch *m)
{
    if (!m || !m->nalts)
        return 0;
    for (size_t k = 0; k < m->nalts; k++)
        if (!m->alts[k].tri.ok)
            return 0;
    return 1;
}

int tl_osmatch_first_set(const tl_osmatch *m, unsigned char set[32])
{
    if (!m || m->negate || !m->all_begin)
        return 0;
    memcpy(set, m->first, 32);
    return 1;
}

int tl_osmatch_negated(const tl_osmatch *m)
{
    return m ? m->negate : 0;
}

int tl_osmatch_exec_end(const tl_osmatch *m, const char *str, const char **end)
{
    return str ? om_exec(m, str, strlen(str), NULL, end) : 0;
}

int tl_osmatch_exec_tri(const tl_osmatch *m, const char *str, size_t len, const tl_tri *t)
{
    return str ? om_exec(m, str, len, t, NULL) : 0;
}

int tl_osmatch_exec(const tl_osmatch *m, const char *str)
{
    return tl_osmatch_exec_end(m, str, NULL);
}
