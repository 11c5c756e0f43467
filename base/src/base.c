/* SPDX-License-Identifier: MIT */
/*
 * Status names, the allocation hook, diagnostics and small string helpers.
 *
 * The allocation hook is process-global on purpose: the alloc_fail test suite
 * arms it, runs one public call and expects TL_E_NOMEM and no leak. Normal runs
 * never arm it, so the counter is the only cost.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/base.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tl_strerror(tl_status s)
{
    switch (s) {
    case TL_OK: return "ok";
    case TL_E_NOMEM: return "out of memory";
    case TL_E_INVAL: return "invalid argument";
    case TL_E_IO: return "i/o error";
    case TL_E_PARSE: return "parse error";
    case TL_E_RULE: return "rule error";
    case TL_E_REGEX: return "regex error";
    case TL_E_LIMIT: return "limit exceeded";
    case TL_E_INTERNAL: return "internal error";
    case TL_E_NOTFOUND: return "not found";
    }
    return "unknown status";
}

/* Per thread: tests arm the hook on their own thread; worker threads never race on it. */
static _Thread_local long g_fail_at; /* 0 = disarmed */
static _Thread_local long g_count;

void tl_alloc_fail_at(long n)
{
    g_fail_at = n > 0 ? n : 0;
    g_count = 0;
}

long tl_alloc_count(void) { return g_count; }

static int should_fail(void)
{
    g_count++;
    return g_fail_at > 0 && g_count == g_fail_at;
}

void *tl_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *tl_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *tl_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *tl_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t l = strnlen(s, n);
    char *r = tl_malloc(l + 1);
    if (!r)
        return NULL;
    memcpy(r, s, l);
    r[l] = '\0';
    return r;
}

char *tl_strdup(const char *s)
{
    return s ? tl_strndup(s, strlen(s)) : NULL;
}

void tl_free(void *p) { free(p); }

void tl_diag_clear(tl_diag *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}

void tl_diag_set(tl_diag *d, const char *file, int line, const char *fmt, ...)
{
    if (!d)
        return;
    va_list ap;
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    d->line = line;
    d->col = 0;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

void tl_diag_format(const tl_diag *d, char *out, size_t outsz)
{
    if (!outsz)
        return;
    if (d->file[0] && d->line > 0)
        snprintf(out, outsz, "%s:%d: %s", d->file, d->line, d->msg);
    else if (d->file[0])
        snprintf(out, outsz, "%s: %s", d->file, d->msg);
    else
        snprintf(out, outsz, "%s", d->msg);
}

int tl_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

size_t tl_utf8_decode(const char *s, size_t n, unsigned long *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned c = p[0];
    size_t need;
    unsigned long v;
    unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1, v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2, v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        unsigned b = i < n ? p[i] : 0;
        if (i == 1 ? (b < lo || b > hi) : (b & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return i;
        }
        v = (v << 6) | (b & 0x3f);
    }
    *cp = v;
    return need + 1;
}

size_t tl_utf8_encode(unsigned long cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Simple upper-case mapping ([A]: Windows compares names with its own upcase
 * table; this covers ASCII, Latin-1 Supplement, Latin Extended-A, Greek and
 * Cyrillic, one code point to one code point). */
static unsigned long win_upcase(unsigned long c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if (c < 0x100) {
        if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
            return c - 0x20;
        if (c == 0xff)
            return 0x178;
        if (c == 0xb5)
            return 0x39c;
        return c;
    }
    if (c < 0x180) {
        if ((c <= 0x12f || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) && (c & 1))
            return c - 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && !(c & 1))
            return c - 1;
        return c;
    }
    if (c >= 0x370 && c < 0x400) {
        if ((c >= 0x3b1 && c <= 0x3c1) || (c >= 0x3c3 && c <= 0x3cb))
            return c - 0x20;
        if (c == 0x3c2)
            return 0x3a3;
        if (c == 0x3ac)
            return 0x386;
        if (c >= 0x3ad && c <= 0x3af)
            return c - 0x25;
        if (c == 0x3cc)
            return 0x38c;
        if (c == 0x3cd || c == 0x3ce)
            return c - 0x3f;
        return c;
    }
    if (c >= 0x400 && c < 0x530) {
        if (c >= 0x430 && c <= 0x44f)
            return c - 0x20;
        if (c >= 0x450 && c <= 0x45f)
            return c - 0x50;
        if (((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
             (c >= 0x4d0 && c <= 0x52f)) &&
            (c & 1))
            return c - 1;
        if (c >= 0x4c1 && c <= 0x4ce && !(c & 1))
            return c - 1;
        if (c == 0x4cf)
            return 0x4c0;
        return c;
    }
    return c;
}

int tl_wincasecmpn(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        unsigned char xa = (unsigned char)a[i], xb = (unsigned char)b[j];
        if (xa < 0x80 && xb < 0x80) {
            /* ASCII on both sides (the common case): what the decoding path below
             * gives for them, without decoding */
            unsigned ua = xa >= 'a' && xa <= 'z' ? xa - 32u : xa;
            unsigned ub = xb >= 'a' && xb <= 'z' ? xb - 32u : xb;
            if (ua != ub)
                return ua < ub ? -1 : 1;
            i++, j++;
            continue;
        }
        unsigned long ca, cb;
        size_t ka = tl_utf8_decode(a + i, an - i, &ca), kb = tl_utf8_decode(b + j, bn - j, &cb);
        /* an invalid byte compares as itself, never equal to a valid character */
        if (ca == 0xfffd && ka == 1 && (unsigned char)a[i] >= 0x80)
            ca = 0x110000ul + (unsigned char)a[i];
        if (cb == 0xfffd && kb == 1 && (unsigned char)b[j] >= 0x80)
            cb = 0x110000ul + (unsigned char)b[j];
        ca = win_upcase(ca), cb = win_upcase(cb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        i += ka, j += kb;
    }
    return (i < an) - (j < bn);
}

int tl_wincasecmp(const char *a, const char *b)
{
    return tl_wincasecmpn(a, strlen(a), b, strlen(b));
}

int tl_strncasecmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

const char *tl_strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return hay;
    for (; *hay; hay++)
        if (tl_strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

void tl_rng_seed(tl_rng *r, uint64_t seed) { r->s = seed; }

uint64_t tl_rng_next(tl_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t tl_rng_below(tl_rng *r, uint64_t n)
{
    return n ? tl_rng_next(r) % n : 0;
}
