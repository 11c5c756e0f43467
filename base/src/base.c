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
