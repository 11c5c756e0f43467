/* SPDX-License-Identifier: MIT */
/*
 * Rule/decoder expressions (wazuh.md §7, `src/shared/expression.c`): one
 * compiled pattern of type osmatch, osregex, pcre2 or string, plus the
 * element's negate flag.
 *
 * PCRE2 is compiled with options 0 (case-sensitive, unanchored, no UTF), plus
 * PCRE2_NO_AUTO_CAPTURE when the caller does not want captures; JIT is tried
 * and silently skipped when unavailable. Every expression carries a match
 * context with a match limit and a depth limit, so hostile patterns or
 * subjects end as "no match" instead of running away. All PCRE2 memory goes
 * through tl_malloc/tl_free via a general context.
 *
 * Thread-safety: a compiled tl_expr is never written after compile. PCRE2
 * match data lives in a per-thread cache (grown on demand, never shrunk), so
 * any number of threads may match the same expressions at once and a match
 * does not allocate in the steady state. tl_expr_thread_cleanup() releases
 * the calling thread's cache.
 *
 * Missing fields: a NULL subject never matches, whatever the negate flag.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "rules/expr_int.h"
#include "tasklab/manager.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
static uint32_t g_match_limit = 20000;
static uint32_t g_depth_limit = 2000;
#else
static uint32_t g_match_limit = 1000000;
static uint32_t g_depth_limit = 100000;
#endif

/* Smallest cached match data: enough for the usual decoder captures. */
#define TL_EXPR_MD_MIN_PAIRS (TL_OSREGEX_MAX_CAPTURES + 1)

struct tl_expr {
    tl_expr_type type;
    int negate;
    int capture;
    char *pattern;
    tl_osmatch *om;
    tl_osregex *rx;
    pcre2_code *code;
    pcre2_match_context *mctx;
    uint32_t pcre_groups; /* capture groups in the PCRE2 pattern */
    int jit;              /* JIT compiled: matched with pcre2_jit_match (same results, no
                             per-call option checks) */
    char need_s[TL_PCRE_LIT_MAX + 1]; /* PCRE2: a literal every match contains (folded) */
    tl_lit need;                      /* need.len 0: none */
};

int tl_expr_prefilter_off;

static _Thread_local pcre2_match_data *tls_md;
static _Thread_local uint32_t tls_md_pairs;

static void *pc_malloc(PCRE2_SIZE n, void *ud)
{
    (void)ud;
    return tl_malloc(n);
}

static void pc_free(void *p, void *ud)
{
    (void)ud;
    tl_free(p);
}

void tl_expr_set_pcre2_limits(uint32_t match_limit, uint32_t depth_limit)
{
    if (match_limit)
        g_match_limit = match_limit;
    if (depth_limit)
        g_depth_limit = depth_limit;
}

void tl_manager_thread_cleanup(void) { tl_expr_thread_cleanup(); }

void tl_expr_thread_cleanup(void)
{
    pcre2_match_data_free(tls_md);
    tls_md = NULL;
    tls_md_pairs = 0;
}

/* The calling thread's match data with at least `pairs` ovector pairs, or
 * NULL when out of memory. */
static pcre2_match_data *md_get(uint32_t pairs)
{
    if (tls_md && tls_md_pairs >= pairs)
        return tls_md;
    uint32_t n = pairs < TL_EXPR_MD_MIN_PAIRS ? TL_EXPR_MD_MIN_PAIRS : pairs;
    /* The match data keeps a copy of the allocator, so the context can go. */
    pcre2_general_context *g = pcre2_general_context_create(pc_malloc, pc_free, NULL);
    if (!g)
        return NULL;
    pcre2_match_data *md = pcre2_match_data_create(n, g);
    pcre2_general_context_free(g);
    if (!md)
        return NULL;
    pcre2_match_data_free(tls_md);
    tls_md = md;
    tls_md_pairs = n;
    return md;
}

void tl_expr_free(tl_expr *e)
{
    if (!e)
        return;
    tl_osmatch_free(e->om);
    tl_osregex_free(e->rx);
    pcre2_code_free(e->code);
    pcre2_match_context_free(e->mctx);
    tl_free(e->pattern);
    tl_free(e);
}

/* ---- a literal every PCRE2 match contains ----------------------------------
 * A field like originalFileName is tested against dozens of patterns such as
 * (?i)reg.EXE or (?i)\\csc\.exe per event, nearly all failing; a PCRE2 call
 * costs ~300 instructions, a search for a literal the pattern cannot do
 * without ~30. tl_pcre_literal reads the pattern conservatively: it gives up
 * (no prefilter) on anything it does not fully understand, and otherwise
 * returns the longest run of literal bytes at the top level (outside every
 * group) of a pattern without top-level alternation, dropping a byte a
 * quantifier makes optional. Compared ignoring ASCII case, which accepts a
 * superset of what a case-sensitive pattern accepts. Gives up on: (* verbs
 * ((*ACCEPT) ends a match early), option settings other than a leading
 * (?i) ((?x) changes what a blank means), comments, \Q..\E, escapes that
 * read more than one byte after the backslash (\x41, \p{L}, \g1, \c?, octal
 * and back references), a '{' that is not a plain {n}, {n,} or {n,m}, and
 * non-ASCII bytes. Worked example: (?i)\\(c|w)script\.exe gives "script.exe"
 * ('\\' is a top-level byte too, but the group breaks the run);
 * (?i)reg.EXE gives "reg" (the first of two runs of 3); a|b gives nothing.
 * test_expr_pcre_literal lists the cases; test_expr_pcre_prefilter_changes_nothing
 * compares every stock PCRE2 rule field with and without it. */

/* Escapes that stand for one byte class or assertion (no extra bytes read). */
static int pl_simple_escape(unsigned char c)
{
    return c && strchr("dDsSwWbBhHvVRtnrfeaAzZGKX", c) != NULL;
}

size_t tl_pcre_literal(const char *pat, char *out, size_t outsz)
{
    const unsigned char *p = (const unsigned char *)pat;
    char run[TL_PCRE_LIT_MAX + 1];
    size_t rn = 0, best = 0;
    int depth = 0, last_lit = 0;
    if (!pat || outsz == 0)
        return 0;
    out[0] = '\0';
    if (strncmp(pat, "(?i)", 4) == 0)
        p += 4;
#define PL_END_RUN()                                                                               \
    do {                                                                                           \
        if (depth == 0 && rn > best && rn < outsz) {                                               \
            memcpy(out, run, rn);                                                                  \
            out[rn] = '\0';                                                                        \
            best = rn;                                                                             \
        }                                                                                          \
        rn = 0;                                                                                    \
        last_lit = 0;                                                                              \
    } while (0)
    while (*p) {
        unsigned char c = *p;
        if (c >= 0x80)
            return 0;
        if (c == '\\') {
            unsigned char n = p[1];
            if (!n || n >= 0x80)
                return 0;
            if ((n >= '0' && n <= '9') || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z')) {
                if (!pl_simple_escape(n) && !(n == 'N' && p[2] != '{'))
                    return 0;
                PL_END_RUN();
                p += 2;
                continue;
            }
            /* \ + punctuation: that byte */
            if (depth == 0 && rn < TL_PCRE_LIT_MAX) {
                run[rn++] = (char)(n >= 'A' && n <= 'Z' ? n + 32 : n);
                last_lit = 1;
            } else {
                PL_END_RUN();
            }
            p += 2;
            continue;
        }
        switch (c) {
        case '(':
            if (p[1] == '*')
                return 0;
            if (p[1] == '?') {
                unsigned char k = p[2];
                if (k == '#' || (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || k == '-' ||
                    k == '^' || k == ')' || k == 'C' || k == '(' || k == '&' || k == 'R' ||
                    (k >= '0' && k <= '9') || k == '+')
                    return 0; /* options, comments, calls, conditions */
                if (k == 'P' || k == '\'')
                    return 0;
            }
            PL_END_RUN();
            depth++;
            p++;
            continue;
        case ')':
            PL_END_RUN();
            if (depth == 0)
                return 0;
            depth--;
            p++;
            continue;
        case '|':
            if (depth == 0)
                return 0; /* top-level alternation */
            p++;
            continue;
        case '[': {
            /* skip the class: ']' first (after an optional '^') is a member,
             * \ escapes one byte, [: [. [= open a POSIX item closed by :] .] =] */
            PL_END_RUN();
            const unsigned char *q = p + 1;
            if (*q == '^')
                q++;
            if (*q == ']')
                q++;
            for (;;) {
                if (!*q || *q >= 0x80)
                    return 0;
                if (*q == '\\') {
                    if (!q[1] || q[1] == 'Q' || q[1] == 'E')
                        return 0;
                    q += 2;
                    continue;
                }
                if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
                    unsigned char t = q[1];
                    q += 2;
                    while (*q && !(*q == t && q[1] == ']'))
                        q++;
                    if (!*q)
                        return 0;
                    q += 2;
                    continue;
                }
                if (*q == ']')
                    break;
                q++;
            }
            p = q + 1;
            continue;
        }
        case '?':
        case '*':
        case '+':
        case '{':
            /* the byte before is optional or repeated: not part of the run */
            if (c == '{') {
                const unsigned char *q = p + 1;
                int digits = 0, comma = 0;
                while ((*q >= '0' && *q <= '9') || (*q == ',' && !comma)) {
                    if (*q == ',')
                        comma = 1;
                    else
                        digits++;
                    q++;
                }
                if (*q != '}' || !digits || p[1] == ',')
                    return 0; /* a literal '{', or a form another PCRE2 may read otherwise */
                p = q;
            }
            if (last_lit && rn)
                rn--;
            PL_END_RUN();
            p++;
            continue;
        case '.':
        case '^':
        case '$':
            PL_END_RUN();
            p++;
            continue;
        default:
            if (c < 0x20 || c == 0x7f)
                return 0;
            if (depth == 0 && rn < TL_PCRE_LIT_MAX) {
                run[rn++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                last_lit = 1;
            } else if (depth == 0) {
                PL_END_RUN();
            }
            p++;
            continue;
        }
    }
    if (depth != 0)
        return 0;
    PL_END_RUN();
#undef PL_END_RUN
    return best;
}

size_t tl_expr_need_literal(const tl_expr *e, const char **lit)
{
    if (!e || e->negate)
        return 0;
    if (e->type == TL_EXPR_PCRE2 && e->need.len) {
        *lit = e->need_s;
        return e->need.len;
    }
    if (e->type == TL_EXPR_OSREGEX)
        return tl_osregex_need(e->rx, lit);
    return 0;
}

void tl_pair_bloom_of(const char *s, size_t n, tl_pair_bloom *out)
{
    /* one 64-bit word: a few instructions a byte (fold, hash, or) */
    uint64_t w = 0;
    const unsigned char *u = (const unsigned char *)s;
    unsigned prev = n ? u[0] : 0;
    prev += (unsigned)(prev - 'A' < 26u) << 5;
    for (size_t i = 1; i < n; i++) {
        unsigned c = u[i];
        c += (unsigned)(c - 'A' < 26u) << 5;
        w |= (uint64_t)1 << ((prev * 167u + c * 13u) & 63u);
        prev = c;
    }
    out->w = w;
}

static tl_status pcre_compile_expr(tl_expr *e, tl_diag *d)
{
    tl_status st = TL_OK;
    pcre2_compile_context *cctx = NULL;
    pcre2_general_context *g = pcre2_general_context_create(pc_malloc, pc_free, NULL);
    TL_TRY_ALLOC(g);
    cctx = pcre2_compile_context_create(g);
    TL_TRY_ALLOC(cctx);
    int err = 0;
    PCRE2_SIZE off = 0;
    uint32_t opts = e->capture ? 0 : PCRE2_NO_AUTO_CAPTURE;
    e->code = pcre2_compile((PCRE2_SPTR)e->pattern, PCRE2_ZERO_TERMINATED, opts, &err, &off, cctx);
    if (!e->code) {
        if (err == PCRE2_ERROR_HEAP_FAILED || err == PCRE2_ERROR_NOMEMORY) {
            tl_diag_set(d, NULL, 0, "out of memory compiling PCRE2 pattern");
            TL_FAIL(TL_E_NOMEM);
        }
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            msg[0] = '\0';
        tl_diag_set(d, NULL, 0, "%s at offset %zu", (const char *)msg, (size_t)off);
        TL_FAIL(TL_E_REGEX);
    }
    e->jit = pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE) == 0; /* interpreter if no JIT */
    if (tl_pcre_literal(e->pattern, e->need_s, sizeof e->need_s) >= 3)
        tl_lit_init(&e->need, e->need_s, strlen(e->need_s));
    if (pcre2_pattern_info(e->code, PCRE2_INFO_CAPTURECOUNT, &e->pcre_groups) != 0)
        e->pcre_groups = 0;
    e->mctx = pcre2_match_context_create(g);
    TL_TRY_ALLOC(e->mctx);
    pcre2_set_match_limit(e->mctx, g_match_limit);
    pcre2_set_depth_limit(e->mctx, g_depth_limit);
cleanup:
    pcre2_compile_context_free(cctx);
    pcre2_general_context_free(g);
    return st;
}

tl_status tl_expr_compile(tl_expr_type type, const char *pattern, int negate, int capture,
                          tl_expr **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_expr *e = NULL;
    if (!out)
        return TL_E_INVAL;
    *out = NULL;
    if (!pattern) {
        tl_diag_set(d, NULL, 0, "expression pattern is missing");
        return TL_E_INVAL;
    }
    e = tl_calloc(1, sizeof *e);
    TL_TRY_ALLOC(e);
    e->type = type;
    e->negate = negate != 0;
    e->capture = capture != 0;
    e->pattern = tl_strdup(pattern);
    TL_TRY_ALLOC(e->pattern);
    switch (type) {
    case TL_EXPR_OSMATCH:
        TL_TRY(tl_osmatch_compile(pattern, &e->om, d));
        break;
    case TL_EXPR_OSREGEX:
        TL_TRY(tl_osregex_compile(pattern, &e->rx, d));
        break;
    case TL_EXPR_PCRE2:
        TL_TRY(pcre_compile_expr(e, d));
        break;
    case TL_EXPR_STRING:
        break;
    default:
        tl_diag_set(d, NULL, 0, "unknown expression type %d", (int)type);
        TL_FAIL(TL_E_INVAL);
    }
    *out = e;
    e = NULL;
cleanup:
    tl_expr_free(e);
    return st;
}

/* PCRE2 match; with caps, fills them. Limits/oom count as no match. */
static int pcre_exec(const tl_expr *e, const char *str, tl_capture *caps, size_t maxcap,
                     size_t *ncap, const char **end)
{
    uint32_t want = 1;
    if (caps && maxcap && e->pcre_groups) {
        size_t g = e->pcre_groups < maxcap ? e->pcre_groups : maxcap;
        want = (uint32_t)g + 1;
    }
    size_t len = strlen(str);
    if (e->need.len && !tl_expr_prefilter_off &&
        tl_lit_find(&e->need, (const unsigned char *)str, len) == (size_t)-1)
        return 0; /* a literal every match holds is not there */
    pcre2_match_data *md = md_get(want);
    if (!md)
        return 0;
    int rc = e->jit ? pcre2_jit_match(e->code, (PCRE2_SPTR)str, len, 0, 0, md, e->mctx)
                    : pcre2_match(e->code, (PCRE2_SPTR)str, PCRE2_ZERO_TERMINATED, 0, 0, md,
                                  e->mctx);
    if (rc < 0)
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t pairs = pcre2_get_ovector_count(md);
    if (end)
        *end = str + (ov[1] >= ov[0] ? ov[1] : ov[0]);
    if (caps && maxcap) {
        size_t n = e->pcre_groups < maxcap ? e->pcre_groups : maxcap;
        for (size_t g = 0; g < n; g++) {
            size_t i = g + 1;
            /* Groups past rc (or past the ovector) did not take part. */
            if (i >= pairs || (rc > 0 && i >= (size_t)rc) || ov[2 * i] == PCRE2_UNSET) {
                caps[g].start = NULL;
                caps[g].len = 0;
            } else {
                caps[g].start = str + ov[2 * i];
                caps[g].len = ov[2 * i + 1] >= ov[2 * i] ? ov[2 * i + 1] - ov[2 * i] : 0;
            }
        }
        if (ncap)
            *ncap = n;
    }
    return 1;
}

int tl_expr_exec(const tl_expr *e, const char *str, tl_capture *caps, size_t maxcap, size_t *ncap,
                 const char **end)
{
    if (ncap)
        *ncap = 0;
    if (!e || !str)
        return 0;
    switch (e->type) {
    case TL_EXPR_OSMATCH:
        return tl_osmatch_exec_end(e->om, str, end);
    case TL_EXPR_OSREGEX:
        return tl_osregex_exec(e->rx, str, caps, maxcap, ncap, end);
    case TL_EXPR_PCRE2:
        return pcre_exec(e, str, caps, maxcap, ncap, end);
    case TL_EXPR_STRING:
        if (strcmp(str, e->pattern) != 0)
            return 0;
        if (end)
            *end = str + strlen(str);
        return 1;
    }
    return 0;
}

int tl_expr_match(const tl_expr *e, const char *str)
{
    if (!e || !str)
        return 0; /* a missing field fails even when negated */
    int r;
    switch (e->type) {
    case TL_EXPR_OSMATCH:
        r = tl_osmatch_exec(e->om, str);
        break;
    case TL_EXPR_OSREGEX:
        r = tl_osregex_exec(e->rx, str, NULL, 0, NULL, NULL);
        break;
    case TL_EXPR_PCRE2:
        r = pcre_exec(e, str, NULL, 0, NULL, NULL);
        break;
    case TL_EXPR_STRING:
        r = strcmp(str, e->pattern) == 0;
        break;
    default:
        r = 0;
        break;
    }
    return e->negate ? !r : r;
}

int tl_expr_match_tri(const tl_expr *e, const char *str, size_t len, const tl_tri *t)
{
    if (!e || !str)
        return 0;
    int r;
    if (t && e->type == TL_EXPR_OSMATCH)
        r = tl_osmatch_exec_tri(e->om, str, len, t);
    else if (t && e->type == TL_EXPR_OSREGEX && !tl_osregex_maybe(e->rx, t))
        r = 0;
    else
        return tl_expr_match(e, str);
    return e->negate ? !r : r;
}

int tl_expr_exec_maybe(const tl_expr *e, const tl_tri *t)
{
    if (!e || !t)
        return 1;
    if (e->type == TL_EXPR_OSMATCH)
        return tl_osmatch_maybe(e->om, t);
    if (e->type == TL_EXPR_OSREGEX)
        return tl_osregex_maybe(e->rx, t);
    return 1;
}

int tl_expr_fp_filterable(const tl_expr *e)
{
    if (!e)
        return 0;
    if (e->type == TL_EXPR_OSMATCH)
        return tl_osmatch_fp_filterable(e->om);
    if (e->type == TL_EXPR_OSREGEX)
        return tl_osregex_fp_filterable(e->rx);
    return 0;
}

int tl_expr_first_set(const tl_expr *e, unsigned char set[32])
{
    if (!e || e->negate || e->type != TL_EXPR_OSMATCH)
        return 0;
    return tl_osmatch_first_set(e->om, set);
}

int tl_expr_fp_refutes(const tl_expr *e)
{
    if (!e || e->negate || !tl_expr_fp_filterable(e))
        return 0;
    /* osmatch: a '!' pattern holds where no alternative matches */
    return e->type != TL_EXPR_OSMATCH || !tl_osmatch_negated(e->om);
}

tl_expr_type tl_expr_get_type(const tl_expr *e)
{
    return e ? e->type : TL_EXPR_OSMATCH;
}

const char *tl_expr_pattern(const tl_expr *e)
{
    return e ? e->pattern : NULL;
}

int tl_expr_negated(const tl_expr *e)
{
    return e ? e->negate : 0;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

int tl_expr_type_parse(const char *s, tl_expr_type *out)
{
    static const struct {
        const char *name;
        tl_expr_type type;
    } names[] = {{"osmatch", TL_EXPR_OSMATCH},
                 {"osregex", TL_EXPR_OSREGEX},
                 {"pcre2", TL_EXPR_PCRE2},
                 {"string", TL_EXPR_STRING}};
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (ascii_ieq(s, names[i].name)) {
            if (out)
                *out = names[i].type;
            return 1;
        }
    }
    return 0;
}
