/* SPDX-License-Identifier: MIT */
/*
 * OS_Regex: Wazuh's small regular-expression language (wazuh.md §7,
 * `src/os_regex/os_regex_compile.c` / `os_regex_execute.c`).
 *
 * Language: the pattern is split on unescaped '|' into alternatives, tried in
 * order; the first that matches wins and its groups are the captures. In each
 * alternative a leading '^' anchors at the start and a trailing unescaped '$'
 * at the end. Escapes: \w \W \d \D \s (space only) \S \p \t \. (any byte) and
 * the literal escapes \\ \( \) \$ \< \|; any other escape is a compile error.
 * '+' and '*' are quantifiers only right after an escape; everywhere else they
 * (like '.', '[', '?', ...) are literal bytes. '(' ')' make capture groups, one
 * level deep, not spanning '|'. Literals compare ASCII case-insensitively.
 *
 * Matching mirrors Wazuh's executor rather than a textbook regex engine: a
 * quantified escape keeps consuming bytes, but as soon as the *next* token of
 * the pattern also matches the current byte it jumps ahead to it (so a '+'
 * loop ends at the first place the rest can start), saving a restore point;
 * when the rest later fails the most recent restore point is resumed with the
 * loop consuming that byte instead. At most 4 restore points are kept, so,
 * as in Wazuh, deeply ambiguous patterns can miss matches a full regex would
 * find. A quantified escape that is the last token consumes greedily. If an
 * attempt fails for good, the search restarts one byte later (never for '^').
 *
 * Invariants: compiled patterns are immutable; exec uses only the stack and
 * is thread-safe; work per exec is bounded by TL_OSREGEX_STEP_LIMIT.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules/expr_int.h"

/** Wazuh's OS_PATTERN_MAXSIZE: longer patterns do not compile. */
#define TL_OSREGEX_MAXSIZE 2048
/** Wazuh keeps 4 restore points (pt_error[4]). */
#define TL_OSREGEX_SAVES 4
/** Upper bound on matcher steps per exec (guards pathological patterns). */
#define TL_OSREGEX_STEP_LIMIT 2000000L

enum { RK_SET, RK_OPEN, RK_CLOSE, RK_END };
enum { RQ_ONE, RQ_PLUS, RQ_STAR };
enum { RC_W, RC_NW, RC_D, RC_ND, RC_S, RC_NS, RC_P, RC_ANY, RC_TAB };

typedef struct rx_tok {
    uint8_t set[32]; /* RK_SET: bytes this token accepts (bit per byte) */
    uint8_t kind;    /* RK_* */
    uint8_t quant;   /* RQ_* */
    uint8_t group;   /* group index (RK_OPEN / RK_CLOSE) */
    uint32_t next;   /* index of the first non-group token after this one */
} rx_tok;

typedef struct rx_alt {
    rx_tok *toks; /* ends with RK_END */
    size_t ntok;
    size_t ngroups;
    int begin; /* '^' */
    int end;   /* '$' */
    int scan2; /* the first consuming token is RQ_ONE and accepts only sa/sb */
    unsigned char sa, sb;
    /* When the first two consuming tokens are both RQ_ONE sets, a start whose
     * next byte the second one refuses fails in rx_try after exactly
     * pre2_steps steps; exec charges them without the call. 0 = not usable. */
    size_t pre2_steps;
    int pair; /* scan2 and the second token also accepts only sc/sd */
    unsigned char sc, sd;
    /* the longest run of literal bytes (every literal byte of an OS_Regex
     * alternative must occur, in order: there is no optional token); an
     * alternative whose run is absent from the text is not tried */
    char run[32];
    tl_lit need; /* need.len 0: none */
    tl_tri_lit tri; /* what the text's fingerprint must hold for run */
} rx_alt;

/* Bits set in a 16-bit mask (no popcnt instruction assumed). */
static inline size_t rx_pop16(unsigned x)
{
    x = x - ((x >> 1) & 0x5555u);
    x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
    x = (x + (x >> 4)) & 0x0F0Fu;
    return (size_t)((x + (x >> 8)) & 0x1Fu);
}

/* First i in [from, len) with s[i] in {a,b} and s[i+1] in {c,d} (s[len] is
 * the NUL, never in a set), or len. *skipped counts the positions passed
 * over whose first byte was in {a,b} (each one a start rx_try would have
 * refused on its second byte). */
static size_t rx_find_pair(const unsigned char *s, size_t from, size_t len, const rx_alt *a,
                           size_t *skipped)
{
    size_t i = from, sk = 0;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a->sa), vb = _mm_set1_epi8((char)a->sb);
    const __m128i vc = _mm_set1_epi8((char)a->sc), vd = _mm_set1_epi8((char)a->sd);
    for (; i + 16 <= len; i += 16) {
        __m128i w0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i w1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        unsigned m1 = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(w0, va), _mm_cmpeq_epi8(w0, vb)));
        if (!m1)
            continue;
        unsigned m2 = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(w1, vc), _mm_cmpeq_epi8(w1, vd)));
        unsigned both = m1 & m2;
        if (both) {
            unsigned h = (unsigned)__builtin_ctz(both);
            sk += rx_pop16(m1 & ((1u << h) - 1u));
            *skipped = sk;
            return i + h;
        }
        sk += rx_pop16(m1);
    }
#endif
    for (; i < len; i++) {
        if (s[i] != a->sa && s[i] != a->sb)
            continue;
        if (s[i + 1] == a->sc || s[i + 1] == a->sd)
            break;
        sk++;
    }
    *skipped = sk;
    return i;
}

struct tl_osregex {
    rx_alt *alts;
    size_t nalts;
    size_t maxgroups;
};

static int rx_is_w(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '@' || c == '_';
}

static int rx_is_p(unsigned c)
{
    static const char set[] = "!\"#$%&'()*+,-.:;<=>?[]{|}";
    return c != '\0' && memchr(set, (int)c, sizeof set - 1) != NULL;
}

/* Does class `cls` accept byte c (Wazuh's regexmap)? NUL is never accepted. */
static int rx_class_has(int cls, unsigned c)
{
    if (c == 0)
        return 0;
    switch (cls) {
    case RC_W:
        return rx_is_w(c);
    case RC_NW:
        return !rx_is_w(c);
    case RC_D:
        return c >= '0' && c <= '9';
    case RC_ND:
        return !(c >= '0' && c <= '9');
    case RC_S:
        return c == ' ';
    case RC_NS:
        return c != ' ';
    case RC_P:
        return rx_is_p(c);
    case RC_ANY:
        return 1;
    case RC_TAB:
        return c == '\t';
    default:
        return 0;
    }
}

static void rx_set_add(rx_tok *t, unsigned c)
{
    t->set[c >> 3] = (uint8_t)(t->set[c >> 3] | (1u << (c & 7)));
}

static void rx_set_class(rx_tok *t, int cls)
{
    for (unsigned c = 1; c < 256; c++)
        if (rx_class_has(cls, c))
            rx_set_add(t, c);
}

/* A literal byte, ASCII case-insensitive. */
static void rx_set_literal(rx_tok *t, unsigned c)
{
    rx_set_add(t, c);
    if (c >= 'A' && c <= 'Z')
        rx_set_add(t, c + ('a' - 'A'));
    else if (c >= 'a' && c <= 'z')
        rx_set_add(t, c - ('a' - 'A'));
}

static inline int rx_tok_match(const rx_tok *t, unsigned char c)
{
    return (t->set[c >> 3] >> (c & 7)) & 1;
}

/* ---- compile ------------------------------------------------------------ */

static void rx_free_alts(rx_alt *alts, size_t n)
{
    if (!alts)
        return;
    for (size_t i = 0; i < n; i++)
        tl_free(alts[i].toks);
    tl_free(alts);
}

void tl_osregex_free(tl_osregex *r)
{
    if (!r)
        return;
    rx_free_alts(r->alts, r->nalts);
    tl_free(r);
}

/* Compile one alternative p[0..len) into a. */
static tl_status rx_compile_alt(const char *pat, const char *p, size_t len, rx_alt *a, tl_diag *d)
{
    tl_status st = TL_OK;
    /* Every source byte makes at most one token, plus RK_END. */
    a->toks = tl_calloc(len + 1, sizeof *a->toks);
    TL_TRY_ALLOC(a->toks);
    size_t i = 0, n = 0;
    int depth = 0;
    if (len > 0 && p[0] == '^') {
        a->begin = 1;
        i = 1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)p[i];
        rx_tok *t = &a->toks[n];
        if (c == '\\') {
            unsigned char e = i + 1 < len ? (unsigned char)p[i + 1] : '\0';
            t->kind = RK_SET;
            switch (e) {
            case 'w': rx_set_class(t, RC_W); break;
            case 'W': rx_set_class(t, RC_NW); break;
            case 'd': rx_set_class(t, RC_D); break;
            case 'D': rx_set_class(t, RC_ND); break;
            case 's': rx_set_class(t, RC_S); break;
            case 'S': rx_set_class(t, RC_NS); break;
            case 'p': rx_set_class(t, RC_P); break;
            case '.': rx_set_class(t, RC_ANY); break;
            case 't': rx_set_class(t, RC_TAB); break;
            case '\\': case '(': case ')': case '$': case '<': case '|':
                rx_set_literal(t, e);
                break;
            default:
                if (e == '\0')
                    tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': trailing backslash", pat);
                else
                    tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': unsupported escape '\\%c' at offset %zu",
                                pat, (e >= 0x20 && e < 0x7f) ? e : '?', (size_t)(p - pat) + i);
                TL_FAIL(TL_E_REGEX);
            }
            i += 2;
            if (i < len && (p[i] == '+' || p[i] == '*')) {
                t->quant = p[i] == '+' ? RQ_PLUS : RQ_STAR;
                i++;
            }
            n++;
            continue;
        }
        if (c == '(') {
            if (depth) {
                tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': nested parenthesis at offset %zu", pat,
                            (size_t)(p - pat) + i);
                TL_FAIL(TL_E_REGEX);
            }
            if (a->ngroups >= TL_OSREGEX_MAX_CAPTURES) {
                tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': more than %d groups", pat,
                            TL_OSREGEX_MAX_CAPTURES);
                TL_FAIL(TL_E_REGEX);
            }
            depth = 1;
            t->kind = RK_OPEN;
            t->group = (uint8_t)a->ngroups;
        } else if (c == ')') {
            if (!depth) {
                tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': unbalanced ')' at offset %zu", pat,
                            (size_t)(p - pat) + i);
                TL_FAIL(TL_E_REGEX);
            }
            depth = 0;
            t->kind = RK_CLOSE;
            t->group = (uint8_t)a->ngroups++;
        } else if (c == '$' && i + 1 == len) {
            a->end = 1; /* trailing unescaped '$' */
            i++;
            continue;
        } else {
            t->kind = RK_SET;
            rx_set_literal(t, c);
        }
        n++;
        i++;
    }
    if (depth) {
        tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': unbalanced '('", pat);
        TL_FAIL(TL_E_REGEX);
    }
    a->toks[n].kind = RK_END;
    a->ntok = n;
    /* Link every token to the next token that consumes input (or RK_END). */
    for (size_t k = n + 1; k-- > 0;) {
        if (k == n)
            a->toks[k].next = (uint32_t)n;
        else if (a->toks[k + 1].kind == RK_OPEN || a->toks[k + 1].kind == RK_CLOSE)
            a->toks[k].next = a->toks[k + 1].next;
        else
            a->toks[k].next = (uint32_t)(k + 1);
    }
cleanup:
    return st;
}

static size_t rx_skip_groups(const rx_tok *t, size_t ti);

/* When the first consuming token is a single byte in one or two forms (a
 * literal, case-folded), exec can look for its start with tl_find_byte2. */
static void rx_scan_setup(rx_alt *a)
{
    const rx_tok *ft = &a->toks[rx_skip_groups(a->toks, 0)];
    a->scan2 = 0;
    a->pre2_steps = 0;
    a->pair = 0;
    if (ft->kind != RK_SET || ft->quant != RQ_ONE)
        return;
    const rx_tok *t2 = &a->toks[ft->next];
    if (t2->kind == RK_SET && t2->quant == RQ_ONE)
        a->pre2_steps = (size_t)ft->next + 1; /* tokens 0..next, one step each */
    unsigned found[3];
    int nf = 0;
    for (unsigned c = 1; c < 256 && nf < 3; c++)
        if (rx_tok_match(ft, (unsigned char)c))
            found[nf++] = c;
    if (nf == 1 || nf == 2) {
        a->scan2 = 1;
        a->sa = (unsigned char)found[0];
        a->sb = (unsigned char)found[nf - 1];
    }
    if (a->scan2 && a->pre2_steps) {
        nf = 0;
        for (unsigned c = 1; c < 256 && nf < 3; c++)
            if (rx_tok_match(t2, (unsigned char)c))
                found[nf++] = c;
        if (nf == 1 || nf == 2) {
            a->pair = 1;
            a->sc = (unsigned char)found[0];
            a->sd = (unsigned char)found[nf - 1];
        }
    }
}

/* The folded byte a token accepts when it is a literal (RQ_ONE, one byte or
 * the two cases of one letter), else -1. */
static int rx_literal(const rx_tok *t)
{
    if (t->kind != RK_SET || t->quant != RQ_ONE)
        return -1;
    int n = 0, first = -1, second = -1;
    for (int b = 0; b < 256; b++)
        if (t->set[b >> 3] >> (b & 7) & 1) {
            if (++n > 2)
                return -1;
            if (first < 0)
                first = b;
            else
                second = b;
        }
    if (n == 1)
        return (first >= 'A' && first <= 'Z') ? first + 32 : first;
    if (n == 2 && first >= 'A' && first <= 'Z' && second == first + 32)
        return second;
    return -1;
}

static void rx_lit_setup(rx_alt *a)
{
    size_t best_n = 0, n = 0;
    char cur[sizeof a->run];
    char best[sizeof a->run];
    for (size_t i = 0; i <= a->ntok; i++) {
        const rx_tok *t = i < a->ntok ? &a->toks[i] : NULL;
        if (t && (t->kind == RK_OPEN || t->kind == RK_CLOSE))
            continue; /* groups consume nothing */
        int c = t ? rx_literal(t) : -1;
        if (c >= 0 && n < sizeof cur) {
            cur[n++] = (char)c;
            continue;
        }
        if (n > best_n) {
            best_n = n;
            memcpy(best, cur, n);
        }
        n = 0;
        if (c >= 0)
            cur[n++] = (char)c;
    }
    a->need.len = 0;
    memset(&a->tri, 0, sizeof a->tri);
    if (best_n >= 3) {
        memcpy(a->run, best, best_n);
        tl_lit_init(&a->need, a->run, best_n);
        tl_tri_lit_init(&a->tri, a->run, best_n);
    }
}

int tl_osregex_fp_filterable(const tl_osregex *rx)
{
    if (!rx || !rx->nalts)
        return 0;
    for (size_t k = 0; k < rx->nalts; k++)
        if (!rx->alts[k].tri.ok)
            return 0;
    return 1;
}

int tl_osregex_maybe(const tl_osregex *rx, const tl_tri *t)
{
    if (!rx || !t)
        return 1;
    for (size_t k = 0; k < rx->nalts; k++) {
        if (tl_tri_may_hold(t, &rx->alts[k].tri))
            return 1;
    }
    return 0;
}

tl_status tl_osregex_compile(const char *pattern, tl_osregex **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_osregex *r = NULL;
    if (!out)
        return TL_E_INVAL;
    *out = NULL;
    if (!pattern) {
        tl_diag_set(d, NULL, 0, "OS_Regex pattern is missing");
        return TL_E_INVAL;
    }
    size_t plen = strlen(pattern);
    if (plen > TL_OSREGEX_MAXSIZE) {
        tl_diag_set(d, NULL, 0, "invalid OS_Regex: pattern longer than %d bytes", TL_OSREGEX_MAXSIZE);
        return TL_E_REGEX;
    }
    /* Count alternatives: unescaped '|' (inside a group it is an error). */
    size_t nalts = 1;
    int depth = 0;
    for (size_t i = 0; i < plen; i++) {
        if (pattern[i] == '\\') {
            i++;
            if (i >= plen)
                break; /* reported by rx_compile_alt */
            continue;
        }
        if (pattern[i] == '(')
            depth = 1;
        else if (pattern[i] == ')')
            depth = 0;
        else if (pattern[i] == '|') {
            if (depth) {
                tl_diag_set(d, NULL, 0, "invalid OS_Regex '%s': '|' inside parenthesis at offset %zu",
                            pattern, i);
                return TL_E_REGEX;
            }
            nalts++;
        }
    }
    r = tl_calloc(1, sizeof *r);
    TL_TRY_ALLOC(r);
    r->alts = tl_calloc(nalts, sizeof *r->alts);
    TL_TRY_ALLOC(r->alts);
    r->nalts = nalts;
    const char *p = pattern;
    for (size_t k = 0; k < nalts; k++) {
        /* Find the end of this alternative. */
        const char *q = p;
        while (*q && *q != '|') {
            if (*q == '\\' && q[1])
                q++;
            q++;
        }
        TL_TRY(rx_compile_alt(pattern, p, (size_t)(q - p), &r->alts[k], d));
        rx_scan_setup(&r->alts[k]);
        rx_lit_setup(&r->alts[k]);
        if (r->alts[k].ngroups > r->maxgroups)
            r->maxgroups = r->alts[k].ngroups;
        p = *q ? q + 1 : q;
    }
    *out = r;
    r = NULL;
cleanup:
    tl_osregex_free(r);
    return st;
}

size_t tl_osregex_ncaptures(const tl_osregex *r)
{
    return r ? r->maxgroups : 0;
}

/* ---- execute ------------------------------------------------------------ */

typedef struct rx_save {
    size_t ti, p, cnt;
} rx_save;

/* Index of the first non-group token at or after ti. */
static size_t rx_skip_groups(const rx_tok *t, size_t ti)
{
    while (t[ti].kind == RK_OPEN || t[ti].kind == RK_CLOSE)
        ti++;
    return ti;
}

/* Try alternative a at start; on success fill cap positions and *endp. */
static int rx_try(const rx_alt *a, const unsigned char *s, size_t len, size_t start,
                  size_t *copen, size_t *cclose, size_t *endp, long *budget)
{
    const rx_tok *t = a->toks;
    rx_save saves[TL_OSREGEX_SAVES];
    size_t nsave = 0;
    size_t ti = 0, p = start, cnt = 0;

    for (;;) {
        if (--*budget < 0)
            return 0;
        const rx_tok *tok = &t[ti];
        switch (tok->kind) {
        case RK_OPEN:
            copen[tok->group] = p;
            ti++;
            continue;
        case RK_CLOSE:
            cclose[tok->group] = p;
            ti++;
            continue;
        case RK_END:
            if (!a->end || p == len) {
                *endp = p;
                return 1;
            }
            goto fail;
        default:
            break;
        }
        if (p == len) {
            /* Out of input: only a satisfied quantifier can be left behind. */
            if (tok->quant == RQ_STAR || (tok->quant == RQ_PLUS && cnt > 0)) {
                ti++;
                cnt = 0;
                continue;
            }
            goto fail;
        }
        unsigned char c = s[p];
        if (tok->quant == RQ_ONE) {
            if (rx_tok_match(tok, c)) {
                p++;
                ti++;
                cnt = 0;
                continue;
            }
            goto fail;
        }
        if (rx_tok_match(tok, c)) {
            if (cnt > 0 || tok->quant == RQ_STAR) {
                size_t nt = tok->next;
                if (t[nt].kind == RK_END) {
                    /* Last consuming token: swallow its whole run. */
                    size_t p0 = p;
                    while (p < len && rx_tok_match(tok, s[p]))
                        p++;
                    cnt += p - p0;
                    *budget -= (long)(p - p0);
                    continue;
                }
                if (rx_tok_match(&t[nt], c)) {
                    /* The rest can start here: jump, remembering where we were. */
                    if (nsave < TL_OSREGEX_SAVES) {
                        saves[nsave].ti = ti;
                        saves[nsave].p = p;
                        saves[nsave].cnt = cnt;
                        nsave++;
                    }
                    for (size_t g = ti + 1; g < nt; g++) {
                        if (t[g].kind == RK_OPEN)
                            copen[t[g].group] = p;
                        else
                            cclose[t[g].group] = p;
                    }
                    if (t[nt].quant == RQ_ONE) {
                        ti = nt + 1;
                        cnt = 0;
                    } else {
                        ti = nt;
                        cnt = 1;
                    }
                    p++;
                    continue;
                }
                /* Consume the run of bytes the rest cannot start with. */
                size_t p0 = p;
                do
                    p++;
                while (p < len && rx_tok_match(tok, s[p]) && !rx_tok_match(&t[nt], s[p]));
                cnt += p - p0;
                *budget -= (long)(p - p0);
                continue;
            }
            p++;
            cnt++;
            continue;
        }
        /* The quantified token stops matching: hand this byte to the rest. */
        if (tok->quant == RQ_STAR || cnt > 0) {
            ti++;
            cnt = 0;
            continue;
        }
    fail:
        if (nsave == 0)
            return 0;
        nsave--;
        ti = saves[nsave].ti;
        p = saves[nsave].p + 1; /* the loop keeps the byte it had given away */
        cnt = saves[nsave].cnt + 1;
    }
}

size_t tl_osregex_need(const tl_osregex *r, const char **lit)
{
    if (!r || r->nalts != 1 || !r->alts[0].need.len)
        return 0;
    *lit = r->alts[0].need.s;
    return r->alts[0].need.len;
}

int tl_osregex_exec(const tl_osregex *r, const char *str, tl_capture *caps, size_t maxcap,
                    size_t *ncap, const char **end)
{
    if (ncap)
        *ncap = 0;
    if (!r || !str)
        return 0;
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    long budget = TL_OSREGEX_STEP_LIMIT;
    size_t copen[TL_OSREGEX_MAX_CAPTURES], cclose[TL_OSREGEX_MAX_CAPTURES];

    for (size_t k = 0; k < r->nalts; k++) {
        const rx_alt *a = &r->alts[k];
        if (a->need.len && tl_lit_find(&a->need, s, len) == (size_t)-1)
            continue; /* a literal it needs is not in the text: it cannot match */
        size_t first = rx_skip_groups(a->toks, 0);
        const rx_tok *ft = &a->toks[first];
        size_t last_start = a->begin ? 0 : len;
        for (size_t start = 0; start <= last_start; start++) {
            if (ft->kind != RK_END && start > 0) {
                if (ft->quant == RQ_ONE) {
                    /* Cheap skip to a byte the first token accepts. */
                    if (a->pair) {
                        size_t skipped = 0;
                        start = rx_find_pair(s, start, len, a, &skipped);
                        /* the steps rx_try would have spent refusing them */
                        budget -= (long)(skipped * a->pre2_steps);
                        if (budget < 0)
                            return 0;
                    } else if (a->scan2)
                        start += tl_find_byte2(s + start, len - start, a->sa, a->sb);
                    else
                        while (start < len && !rx_tok_match(ft, s[start]))
                            start++;
                    if (start == len)
                        break;
                } else if (rx_tok_match(ft, s[start - 1])) {
                    /* A leading loop already had its chance from an earlier byte. */
                    continue;
                }
            }
            if (a->pre2_steps && start < len && rx_tok_match(ft, s[start]) &&
                !rx_tok_match(&a->toks[ft->next], s[start + 1])) {
                /* rx_try would take the first byte and fail on the second */
                budget -= (long)a->pre2_steps;
                if (budget < 0)
                    return 0;
                continue;
            }
            size_t endp = 0;
            for (size_t g = 0; g < a->ngroups; g++)
                copen[g] = cclose[g] = start;
            if (rx_try(a, s, len, start, copen, cclose, &endp, &budget)) {
                size_t n = a->ngroups < maxcap ? a->ngroups : maxcap;
                for (size_t g = 0; caps && g < n; g++) {
                    caps[g].start = str + copen[g];
                    caps[g].len = cclose[g] >= copen[g] ? cclose[g] - copen[g] : 0;
                }
                if (ncap)
                    *ncap = caps ? n : 0;
                if (end)
                    *end = str + endp;
                return 1;
            }
            if (budget < 0)
                return 0;
        }
    }
    return 0;
}
