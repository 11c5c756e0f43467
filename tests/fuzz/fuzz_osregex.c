/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the manager's matching primitives. The input is split
 * on its first NUL: the part before is a pattern, the part after a subject
 * string. The first byte of the pattern picks the expression type (osmatch,
 * osregex, pcre2, string) and whether captures are kept; the pattern is then
 * compiled, and on success matched and executed against the subject, checking
 * that every capture and the end pointer lie inside the subject.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/expr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int limits_set;
    if (!limits_set) {
        tl_expr_set_pcre2_limits(20000, 2000); /* keep runs fast */
        limits_set = 1;
    }
    if (size < 1)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    size_t slen = nul ? size - plen - 1 : 0;
    char *pattern = tl_strndup((const char *)data, plen);
    char *subject = tl_strndup(nul ? (const char *)nul + 1 : "", slen);
    if (!pattern || !subject) {
        tl_free(pattern);
        tl_free(subject);
        return 0;
    }
    unsigned sel = plen ? (unsigned char)pattern[0] : 0;
    tl_expr_type type = (tl_expr_type)(sel % 4);
    int capture = (sel >> 2) & 1;
    int negate = (sel >> 3) & 1;
    const char *pat = plen ? pattern + 1 : pattern;

    tl_expr *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_expr_compile(type, pat, negate, capture, &e, &d) == TL_OK) {
        size_t sl = strlen(subject);
        int m = tl_expr_match(e, subject);
        tl_capture caps[TL_OSREGEX_MAX_CAPTURES];
        size_t ncap = 0;
        const char *end = NULL;
        int x = tl_expr_exec(e, subject, caps, TL_OSREGEX_MAX_CAPTURES, &ncap, &end);
        if (type != TL_EXPR_PCRE2 && (m != (negate ? !x : x)))
            abort(); /* match and exec must agree (PCRE2 limits aside) */
        if (x) {
            if (!end || end < subject || end > subject + sl)
                abort();
            if (ncap > TL_OSREGEX_MAX_CAPTURES)
                abort();
            for (size_t i = 0; i < ncap; i++) {
                if (caps[i].start &&
                    (caps[i].start < subject || caps[i].start + caps[i].len > subject + sl))
                    abort();
            }
        }
        if (tl_expr_match(e, NULL) != 0)
            abort();
        tl_expr_free(e);
    }
    /* The raw engines too, on the same text. */
    tl_osregex *r = NULL;
    if (tl_osregex_compile(pat, &r, NULL) == TL_OK) {
        size_t n = 0;
        const char *end = NULL;
        tl_capture caps[4];
        if (tl_osregex_exec(r, subject, caps, 4, &n, &end) && n > tl_osregex_ncaptures(r))
            abort();
        tl_osregex_free(r);
    }
    tl_osmatch *m = NULL;
    if (tl_osmatch_compile(pat, &m, NULL) == TL_OK) {
        (void)tl_osmatch_exec(m, subject);
        tl_osmatch_free(m);
    }
    tl_free(pattern);
    tl_free(subject);
    return 0;
}
