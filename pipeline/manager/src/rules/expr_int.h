/* SPDX-License-Identifier: MIT */
/*
 * Wazuh matching primitives for the manager (wazuh.md §7): OS_Match, OS_Regex,
 * PCRE2 and exact string, plus the `tl_expr` wrapper that rules and decoders
 * hold for every <match>, <regex>, <field>, <prematch>, ... element.
 *
 * Invariants:
 *  - OS_Match and OS_Regex are case-insensitive (analysisd compiles them with
 *    flags 0 through w_expression_compile); PCRE2 is compiled with options 0
 *    (case-sensitive, unanchored, no UTF).
 *  - Compiled objects are immutable after compile: exec/match functions only
 *    read them and are safe to call from several threads at once (PCRE2 match
 *    data lives in a per-thread cache, never in the tl_expr).
 *  - Captures point into the subject string passed to exec; they are valid as
 *    long as that string is.
 *  - All memory comes from tl_malloc/tl_free (PCRE2 via a general context).
 */
#ifndef TL_EXPR_INT_H
#define TL_EXPR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_osmatch tl_osmatch; /* Wazuh OS_Match pattern (wazuh.md §7) */
typedef struct tl_osregex tl_osregex; /* Wazuh OS_Regex pattern (wazuh.md §7) */

#define TL_OSREGEX_MAX_CAPTURES 32

/** One capture: a byte range inside the subject string (not NUL-terminated). */
typedef struct tl_capture {
    const char *start;
    size_t len;
} tl_capture;

/** Offset of the first byte of s[0..n) equal to a or b (pass a twice for a
 * single byte), or n when there is none. SSE2 when the compiler offers it. */
size_t tl_find_byte2(const unsigned char *s, size_t n, unsigned char a, unsigned char b);

/* ---- OS_Match ----------------------------------------------------------- */

/** Compile an OS_Match pattern. On success *out is owned by the caller (free
 * with tl_osmatch_free). Errors (empty/NULL pattern) fill d, return TL_E_REGEX. */
tl_status tl_osmatch_compile(const char *pattern, tl_osmatch **out, tl_diag *d);
/** 1 match, 0 no match (NULL str gives 0). */
int tl_osmatch_exec(const tl_osmatch *m, const char *str);
/** Like tl_osmatch_exec, also setting *end (may be NULL) on a match: the byte
 * after the first matching alternative's first occurrence (alternatives tried
 * in order), or str itself for a '!' pattern. */
int tl_osmatch_exec_end(const tl_osmatch *m, const char *str, const char **end);
/** Free a compiled pattern; NULL is fine. */
void tl_osmatch_free(tl_osmatch *m);

/* A folded literal and how to look for it fast: the pair of adjacent bytes
 * at offset pj (chosen to be rare in logs) is searched with SIMD in both
 * cases, then the whole literal is compared. */
typedef struct tl_lit {
    const char *s; /* folded to lower case; borrowed */
    size_t len;
    size_t pj;
    unsigned char a, b, c, d; /* s[pj] in both cases, s[pj + 1] in both cases */
} tl_lit;
/** Set up L for the folded literal s[0..len) (len >= 2; s borrowed). */
void tl_lit_init(tl_lit *L, const char *s, size_t len);
/** Offset of the first ASCII-case-insensitive occurrence of L in s[0..n),
 * or (size_t)-1. */
size_t tl_lit_find(const tl_lit *L, const unsigned char *s, size_t n);

/* A fingerprint of one text: the 4-byte grams (ASCII-folded, hashed to 14
 * bits) that START at every TL_TRI_STRIDE-th offset of it (0, 2, 4, ...). A
 * prefilter that lets OS_Match and OS_Regex skip a literal that cannot occur
 * (results identical: a collision only lets a literal through to the real
 * search). Built once per event for the log, in SSE2 blocks of 16 bytes.
 *
 * Why sampling every 2nd offset loses nothing: if a literal occurs at offset
 * s, its grams at literal offsets j with s + j even are all recorded, and
 * those are exactly the offsets of one phase p = s % 2. So a literal is kept
 * when, for SOME phase p, every sampled gram at its offsets j = p, p + 2, ...
 * is present; a literal shorter than 5 bytes has a phase with no gram and is
 * never filtered.
 *
 * Entries hold the generation of the build that set them, so a build clears
 * nothing (except every 255th, which clears the whole table): a tl_tri must
 * start zeroed. */
#define TL_TRI_BITS 14
#define TL_TRI_GRAM 4
#define TL_TRI_STRIDE 2
typedef struct tl_tri {
    unsigned char gen; /* the current build's mark */
    unsigned char has[1u << TL_TRI_BITS];
} tl_tri;
/* Hash of the folded gram g0..g3 (as SSE2's _mm_madd_epi16 computes it on
 * the little-endian 16-bit halves, read as signed). */
static inline unsigned tl_tri_hash(unsigned g0, unsigned g1, unsigned g2, unsigned g3)
{
    unsigned lo = g0 | g1 << 8, hi = g2 | g3 << 8;
    int32_t slo = (int32_t)lo - (int32_t)(lo & 0x8000u) * 2;
    int32_t shi = (int32_t)hi - (int32_t)(hi & 0x8000u) * 2;
    uint32_t r = (uint32_t)(slo * -25033) + (uint32_t)(shi * 32587); /* 0x9E37, 0x7F4B */
    return (r >> 4) & ((1u << TL_TRI_BITS) - 1u);
}
/** Fill t from s[0..n) (t zeroed before its first build). */
void tl_tri_build(tl_tri *t, const char *s, size_t n);
/* What a folded literal needs from a fingerprint: per phase, up to 4 gram
 * hashes (spread over the literal). ok 0: the literal is never filtered. */
typedef struct tl_tri_lit {
    unsigned char ok;
    unsigned char n[TL_TRI_STRIDE];
    uint16_t h[TL_TRI_STRIDE][4];
} tl_tri_lit;
/** Set up L for the folded literal lit[0..len). */
void tl_tri_lit_init(tl_tri_lit *L, const char *lit, size_t len);
/** 0 when the literal of L cannot occur in the text of t, else 1. */
static inline int tl_tri_may_hold(const tl_tri *t, const tl_tri_lit *L)
{
    if (!L->ok)
        return 1;
    for (int p = 0; p < TL_TRI_STRIDE; p++) {
        int all = 1;
        for (int j = 0; j < L->n[p] && all; j++)
            all = t->has[L->h[p][j]] == t->gen;
        if (all)
            return 1;
    }
    return 0;
}
int tl_osmatch_exec_tri(const tl_osmatch *m, const char *str, size_t len, const tl_tri *t);
int tl_osregex_maybe(const tl_osregex *rx, const tl_tri *t);
/** 0 when no alternative of m can match a text (or suffix of a text) whose
 * fingerprint is t (the '!' negation ignored, as tl_expr_exec does); else 1. */
int tl_osmatch_maybe(const tl_osmatch *m, const tl_tri *t);
/** 1 when every alternative needs a literal the fingerprint can rule out
 * (so tl_*_maybe may answer 0); computed once, at load. */
int tl_osmatch_fp_filterable(const tl_osmatch *m);
int tl_osregex_fp_filterable(const tl_osregex *rx);
/** 1 when m (its '!' negation included) can only match a text whose first
 * byte is in a known set, which is then written to set (a bit per byte);
 * 0 (set untouched) when any first byte may do. */
int tl_osmatch_first_set(const tl_osmatch *m, unsigned char set[32]);
/** 1 when m is negated with a leading '!'. */
int tl_osmatch_negated(const tl_osmatch *m);

/* ---- OS_Regex ----------------------------------------------------------- */

/** Compile an OS_Regex pattern. On success *out is owned by the caller (free
 * with tl_osregex_free). Bad escapes, misplaced quantifiers, unbalanced or
 * nested parentheses fill d and return TL_E_REGEX. */
tl_status tl_osregex_compile(const char *pattern, tl_osregex **out, tl_diag *d);
/** Match; on success returns 1, fills up to maxcap captures (one per '(' group,
 * in order) and *ncap, and sets *end to the first byte after the whole match
 * (analysisd uses it for offset="after_regex"/"after_prematch"). caps, ncap and
 * end may each be NULL. Returns 0 on no match (NULL str gives 0). */
int tl_osregex_exec(const tl_osregex *r, const char *str, tl_capture *caps, size_t maxcap,
                    size_t *ncap, const char **end);
/** Number of capture groups in the pattern (max over alternatives). */
size_t tl_osregex_ncaptures(const tl_osregex *r);
/** Free a compiled pattern; NULL is fine. */
void tl_osregex_free(tl_osregex *r);

/* ---- expressions (rule/decoder elements) -------------------------------- */

typedef enum tl_expr_type { TL_EXPR_OSMATCH, TL_EXPR_OSREGEX, TL_EXPR_PCRE2, TL_EXPR_STRING } tl_expr_type;
typedef struct tl_expr tl_expr; /* one rule/decoder expression: type + negate + compiled pattern */
/** tl_expr_match on the event log str (length len) with its triples t (NULL:
 * none). */
int tl_expr_match_tri(const tl_expr *e, const char *str, size_t len, const tl_tri *t);

/** Compile; PCRE2 errors go into d as "<PCRE2 message> at offset N".
 * capture != 0 keeps captures (decoders). *out owned by caller (tl_expr_free). */
tl_status tl_expr_compile(tl_expr_type type, const char *pattern, int negate, int capture,
                          tl_expr **out, tl_diag *d);
/** 1 when the expression holds for str (negate applied). str == NULL (missing
 * field) ALWAYS gives 0, even negated. */
int tl_expr_match(const tl_expr *e, const char *str);
/** Like tl_expr_match but without negate, returning captures and end pointer
 * (for decoders' regex/prematch with pcre2 or osregex). osregex: captures of
 * the matching alternative; pcre2: groups 1..n (a group that did not take
 * part has start NULL), *end = end of the whole match; osmatch: no captures,
 * *end as tl_osmatch_exec_end; string: no captures, *end = str + strlen(str).
 * *ncap = captures written (<= maxcap). caps/ncap/end may be NULL. */
int tl_expr_exec(const tl_expr *e, const char *str, tl_capture *caps, size_t maxcap, size_t *ncap,
                 const char **end);
tl_expr_type tl_expr_get_type(const tl_expr *e);
/** The source pattern as given to compile (owned by e). */
const char *tl_expr_pattern(const tl_expr *e);
/** Negate flag given at compile. */
int tl_expr_negated(const tl_expr *e);
/** Free; NULL is fine. */
void tl_expr_free(tl_expr *e);
/* Longest literal a PCRE2 pattern needs in every match, see expr.c. */
#define TL_PCRE_LIT_MAX 63
/** Write into out (outsz bytes, ASCII lower case, NUL-terminated) the
 * longest run of literal bytes every match of the PCRE2 pattern contains
 * (compared ignoring ASCII case), as far as a conservative reading of the
 * pattern can tell; returns its length, 0 when none is known. */
size_t tl_pcre_literal(const char *pattern, char *out, size_t outsz);
/** The literal (folded to lower case, *lit borrowed from e) that every text
 * an expression holds for must contain, ignoring ASCII case: the PCRE2
 * prefilter's, or an OS_Regex's single alternative's; 0 when there is none
 * or e is negated (then a missing literal proves nothing). */
size_t tl_expr_need_literal(const tl_expr *e, const char **lit);
/** OS_Regex counterpart: the need literal of a one-alternative pattern. */
size_t tl_osregex_need(const tl_osregex *r, const char **lit);
/* A 64-bit summary of a text: bit h(a,b) for every pair of adjacent bytes,
 * ASCII-folded. A text that contains a literal (ignoring case) holds every
 * pair of it, so tl_pair_bloom_holds(text, literal) == 0 proves the literal
 * absent; computing a short field value's summary once lets every condition
 * that needs a literal in that field be refused with one AND instruction. */
typedef struct tl_pair_bloom {
    uint64_t w;
} tl_pair_bloom;
/* Longer values fill the word and are left to the expressions. */
#define TL_PAIR_BLOOM_MAX_TEXT 160
/** Summary of s[0..n). */
void tl_pair_bloom_of(const char *s, size_t n, tl_pair_bloom *out);
/** 0 when a text with summary t cannot contain a literal with summary l. */
static inline int tl_pair_bloom_holds(const tl_pair_bloom *t, const tl_pair_bloom *l)
{
    return !(l->w & ~t->w);
}
/** Test hook: nonzero turns the PCRE2 literal prefilter, the <field> value
 * summaries and the rules' use of the log fingerprint off (results must not
 * change; test_expr_pcre_prefilter_changes_nothing and
 * test_rules_indexed_walk_changes_nothing compare). */
extern int tl_expr_prefilter_off;
/** For tl_expr_exec (no negate) on a text or any suffix of it whose
 * fingerprint is t: 0 when it cannot match, else 1 (t NULL: 1). */
int tl_expr_exec_maybe(const tl_expr *e, const tl_tri *t);
/** 1 when tl_expr_exec_maybe can ever answer 0 for e (osmatch/osregex whose
 * every alternative needs a literal of 5 bytes or more). */
int tl_expr_fp_filterable(const tl_expr *e);
/** For tl_expr_match / tl_expr_match_tri on a log (negations included): 1
 * when e can only hold on a text whose first byte is in a known set, which
 * is written to set; 0 (set untouched) when it may hold whatever the first
 * byte. */
int tl_expr_first_set(const tl_expr *e, unsigned char set[32]);
/** 1 when tl_expr_exec_maybe(e, t) == 0 proves that tl_expr_match_tri(e,
 * text, len, t) is 0 for the text whose fingerprint t is (e not negated and
 * tl_expr_fp_filterable(e)). */
int tl_expr_fp_refutes(const tl_expr *e);
/** Process-wide PCRE2 limits applied to expressions compiled afterwards
 * (0 keeps the current value). Defaults: match 1000000, depth 100000 (lower
 * when built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION). Call before
 * compiling, not concurrently with tl_expr_compile. */
void tl_expr_set_pcre2_limits(uint32_t match_limit, uint32_t depth_limit);
/** Free the calling thread's cached PCRE2 match data (each thread that matched
 * PCRE2 expressions may call it before exiting; harmless otherwise). */
void tl_expr_thread_cleanup(void);
/** Parse the type attribute value ("osmatch","osregex","pcre2","string";
 * case-insensitive). Returns 1 and sets *out on success, 0 otherwise. */
int tl_expr_type_parse(const char *s, tl_expr_type *out);

#ifdef __cplusplus
}
#endif

#endif /* TL_EXPR_INT_H */
