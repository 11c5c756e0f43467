/* SPDX-License-Identifier: MIT */
/*
 * JSON_Decoder (wazuh.md §4.1; analysisd's plugins/json_decoder.c readJSON and
 * fillData): every leaf of a JSON object becomes a dynamic field named by its
 * dotted path, rendered as analysisd renders it:
 *
 *   string        as is (after JSON unescape)     "a\\b" -> a\b
 *   true/false    "true" / "false"
 *   number        "%i" of valueint when (double)valueint == valuedouble,
 *                 else "%f" (1.5 -> "1.500000"; 3e9 -> "3000000000.000000",
 *                 because cJSON saturates valueint at INT_MAX)
 *   null          "null" (json_null_field string, the default) or dropped
 *                 (discard)
 *   array         cJSON_Print (formatted: ["Id", "Arguments"]) by default, or
 *                 the scalar elements joined with ',' (json_array_structure
 *                 csv; objects and nested arrays skipped, no field when
 *                 nothing was joined)
 *   object        recursed; an empty object adds nothing
 *
 * Top-level keys srcip dstip srcport dstport protocol action srcuser dstuser
 * id status url data extra_data systemname fill the static fields instead
 * (the last one wins); "user" fills dstuser while dstuser is empty (4.14.1+),
 * otherwise it is an ordinary field. At most 256 dynamic fields per event
 * ("Too many fields for JSON decoder."). Bytes after the JSON value are
 * ignored; invalid JSON adds nothing (analysisd only logs a debug line).
 *
 * Cost: an object whose leaves are strings, booleans or null (pre-converted
 * eventchannel JSON, the AR log) is read by a one-pass scanner that fills the
 * same fields in the same order without building a cJSON tree; anything else
 * (numbers, arrays, \u escapes, errors) is rolled back and left to cJSON.
 */
#include "decode/decoder_int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define TL_DECODER_ORDER_SIZE 256

static void *hook_malloc(size_t n) { return tl_malloc(n); }
static void hook_free(void *p) { tl_free(p); }

static pthread_once_t g_hooks_once = PTHREAD_ONCE_INIT;

static void hooks_init_once(void)
{
    cJSON_Hooks h = {hook_malloc, hook_free};
    cJSON_InitHooks(&h);
}

void tl_cjson_hooks_init(void) { pthread_once(&g_hooks_once, hooks_init_once); }

typedef struct jctx {
    tl_event *ev;
    tl_json_null nulls;
    tl_json_array arrays;
    tl_buf key;
    tl_status st;
    int fast;                  /* fast path: keep the pre-pass static values */
    char *saved[TL_SF_COUNT];  /* static values before the fast pass */
} jctx;

static const struct {
    const char *key;
    tl_static_field f;
} g_json_static[] = {
    {"srcip", TL_SF_SRCIP},
    {"dstip", TL_SF_DSTIP},
    {"srcport", TL_SF_SRCPORT},
    {"dstport", TL_SF_DSTPORT},
    {"protocol", TL_SF_PROTOCOL},
    {"action", TL_SF_ACTION},
    {"srcuser", TL_SF_SRCUSER},
    {"dstuser", TL_SF_DSTUSER},
    {"id", TL_SF_ID},
    {"status", TL_SF_STATUS},
    {"url", TL_SF_URL},
    {"data", TL_SF_DATA},
    {"extra_data", TL_SF_EXTRA_DATA},
    {"systemname", TL_SF_SYSTEMNAME},
};

/* fillData: key is the full dotted key (len klen), NULL-free. */
static void fill_n(jctx *c, const char *key, size_t klen, const char *value, size_t vlen);

static void fill(jctx *c, const char *key, size_t klen, const char *value)
{
    fill_n(c, key, klen, value, strlen(value));
}

static void set_static_n(jctx *c, tl_static_field f, const char *value, size_t vlen)
{
    char *v = tl_strndup(value, vlen);
    if (!v) {
        c->st = TL_E_NOMEM;
        return;
    }
    /* the fast path may still roll back: the value it started with is
     * freed (or put back) when it ends */
    if (!c->fast || c->ev->stat[f] != c->saved[f])
        tl_free(c->ev->stat[f]);
    c->ev->stat[f] = v;
}

static void fill_k(jctx *c, const char *key, size_t klen, const char *value, size_t vlen,
                   int undotted);

static void fill_n(jctx *c, const char *key, size_t klen, const char *value, size_t vlen)
{
    fill_k(c, key, klen, value, vlen, memchr(key, '.', klen) == NULL);
}

/* fill_n for a key already known to hold a '.' (undotted = 0) or not. */
static void fill_k(jctx *c, const char *key, size_t klen, const char *value, size_t vlen,
                   int undotted)
{
    if (c->st != TL_OK)
        return;
    if (undotted) {
        for (size_t i = 0; i < sizeof g_json_static / sizeof g_json_static[0]; i++)
            if (strlen(g_json_static[i].key) == klen &&
                memcmp(g_json_static[i].key, key, klen) == 0) {
                set_static_n(c, g_json_static[i].f, value, vlen);
                return;
            }
        if (klen == 4 && memcmp(key, "user", 4) == 0 && !c->ev->stat[TL_SF_DSTUSER]) {
            set_static_n(c, TL_SF_DSTUSER, value, vlen);
            return;
        }
    }
    if (c->ev->nfields >= TL_DECODER_ORDER_SIZE)
        return; /* "Too many fields for JSON decoder." */
    c->st = tl_event_add_field(c->ev, key, klen, value, vlen);
}

static void number_str(const cJSON *n, char out[64])
{
    if ((double)n->valueint == n->valuedouble)
        snprintf(out, 64, "%i", n->valueint);
    else
        snprintf(out, 64, "%f", n->valuedouble);
}

static void read_json(jctx *c, const cJSON *item, int has_parent)
{
    for (; item && c->st == TL_OK; item = item->next) {
        size_t base = c->key.len;
        int has_key = 0;
        if (item->string) {
            if (has_parent)
                tl_buf_putc(&c->key, '.');
            tl_buf_puts(&c->key, item->string);
            has_key = 1;
            if (tl_buf_status(&c->key) != TL_OK) {
                c->st = TL_E_NOMEM;
                return;
            }
        }
        const char *k = c->key.data ? c->key.data : "";
        size_t kl = c->key.len;
        switch (item->type & 0xFF) {
        case cJSON_String:
            if (has_key)
                fill(c, k, kl, item->valuestring ? item->valuestring : "");
            break;
        case cJSON_Number:
            if (has_key) {
                char v[64];
                number_str(item, v);
                fill(c, k, kl, v);
            }
            break;
        case cJSON_True:
            if (has_key)
                fill(c, k, kl, "true");
            break;
        case cJSON_False:
            if (has_key)
                fill(c, k, kl, "false");
            break;
        case cJSON_NULL:
            if (has_key && c->nulls == TL_JSON_NULL_STRING)
                fill(c, k, kl, "null");
            break;
        case cJSON_Array:
            if (!has_key)
                break;
            if (c->arrays == TL_JSON_ARRAY_CSV) {
                tl_buf v = TL_BUF_INIT;
                int any = 0;
                for (const cJSON *e = item->child; e; e = e->next) {
                    char num[64];
                    const char *s = NULL;
                    switch (e->type & 0xFF) {
                    case cJSON_String: s = e->valuestring ? e->valuestring : ""; break;
                    case cJSON_Number:
                        number_str(e, num);
                        s = num;
                        break;
                    case cJSON_True: s = "true"; break;
                    case cJSON_False: s = "false"; break;
                    case cJSON_NULL: s = "null"; break;
                    default: break;
                    }
                    if (!s)
                        continue;
                    if (any)
                        tl_buf_putc(&v, ',');
                    tl_buf_puts(&v, s);
                    any = 1;
                }
                if (tl_buf_status(&v) != TL_OK)
                    c->st = TL_E_NOMEM;
                else if (any)
                    fill(c, k, kl, v.data ? v.data : "");
                tl_buf_free(&v);
            } else {
                char *p = cJSON_Print(item);
                if (!p) {
                    c->st = TL_E_NOMEM;
                    break;
                }
                fill(c, k, kl, p);
                cJSON_free(p);
            }
            break;
        case cJSON_Object: read_json(c, item->child, has_key || has_parent); break;
        default: break;
        }
        c->key.len = base;
        if (c->key.data)
            c->key.data[base] = '\0';
    }
}

/* ---- fast path: objects of strings, true, false and null --------------- */

/* The common input (pre-converted eventchannel JSON, the AR log's lines) is
 * an object whose leaves are strings, booleans or null. The fast path reads
 * exactly that subset as cJSON would and fills the same fields in the same
 * order, in one pass and without building a tree. Anything outside the
 * subset (numbers, arrays, \u escapes, invalid escapes, a BOM, deep nesting,
 * any syntax error) stops it: the fields it added are dropped, the static
 * fields get their old values back, and cJSON decides, so odd inputs keep
 * cJSON's verdict and rendering. */

#define FAST_MAX_DEPTH 64

#define FAST_KEY_MAX 1024

typedef struct fjson {
    const char *end; /* the text's NUL */
    jctx *c;
    char *tmp; /* unescaped string */
    size_t tmpcap;
    size_t klen;             /* dotted key in key[0..klen) */
    char key[FAST_KEY_MAX]; /* (longer keys are left to cJSON) */
    char stk[4096];          /* tmp while it fits */
} fjson;

/* Room for tmp: at least n bytes (contents not kept); 0 when out of memory. */
static int fj_tmp_room(fjson *f, size_t n)
{
    if (f->tmpcap >= n)
        return 1;
    size_t nc = f->tmpcap * 2;
    while (nc < n)
        nc *= 2;
    char *t = tl_malloc(nc);
    if (!t)
        return 0;
    if (f->tmp != f->stk)
        tl_free(f->tmp);
    f->tmp = t;
    f->tmpcap = nc;
    return 1;
}

/* Escapes cJSON maps to one byte (\u is left to cJSON). */
static const char g_unesc[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

static const char *fj_ws(const char *p)
{
    while ((unsigned char)(*p - 1) < 32) /* 1..32 */
        p++;
    return p;
}

/* p at the opening quote. Returns the closing quote, or NULL when the string
 * is outside the subset (unterminated, \u, an invalid escape). *esc is set
 * when the raw text holds a backslash. Clean 16-byte blocks are skipped whole. */
static const char *fj_str_end(const char *p, const char *end, int *esc)
{
    (void)end; /* only the SSE2 block scan needs it */
    p++;
    *esc = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
#endif
    for (;;) {
#if defined(__SSE2__)
        while (p + 16 <= end) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
            int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(w, q), _mm_cmpeq_epi8(w, b)));
            if (m) {
                p += __builtin_ctz((unsigned)m);
                break;
            }
            p += 16;
        }
#endif
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p;
        if (ch == '\\') {
            if (!g_unesc[(unsigned char)p[1]])
                return NULL;
            *esc = 1;
            p += 2;
            continue;
        }
        if (!ch)
            return NULL;
        p++;
    }
}

/* cJSON's unescape of s[0..n) (a string fj_str_end accepted) into f->tmp,
 * NUL-terminated; NULL when out of memory. */
static const char *fj_unescape(fjson *f, const char *s, size_t n)
{
    if (!fj_tmp_room(f, n + 17))
        return NULL;
    char *o = f->tmp;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i b = _mm_set1_epi8('\\');
#endif
    while (i < n) {
#if defined(__SSE2__)
        if (i + 16 <= n) {
            /* copy 16 bytes (tmp has 16 spare), keep those before a backslash */
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)o, w);
            int m = _mm_movemask_epi8(_mm_cmpeq_epi8(w, b));
            if (!m) {
                o += 16;
                i += 16;
                continue;
            }
            int k = __builtin_ctz((unsigned)m);
            o += k;
            i += (size_t)k;
        }
#endif
        if (s[i] != '\\') {
            *o++ = s[i++];
            continue;
        }
        *o++ = g_unesc[(unsigned char)s[i + 1]];
        i += 2;
    }
    *o = '\0';
    return f->tmp;
}

/* A string value at p (the opening quote), scanned and unescaped in one
 * pass into f->tmp (*val, *vlen; NUL-terminated). Returns the byte after the
 * closing quote, NULL when the string is outside the subset (then *oom tells
 * whether memory ran out). The text between the quotes is never longer than
 * what is left of it, so tmp is sized once for that (+16 for block copies). */
static const char *fj_string(fjson *f, const char *p, const char **val, size_t *vlen, int *oom)
{
    const char *s = p + 1;
    *oom = 0;
    if (!fj_tmp_room(f, (size_t)(f->end - s) + 17)) {
        *oom = 1;
        return NULL;
    }
    char *o = f->tmp;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
#endif
    for (;;) {
#if defined(__SSE2__)
        while (s + 16 <= f->end) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)s);
            _mm_storeu_si128((__m128i *)(void *)o, w);
            int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(w, q), _mm_cmpeq_epi8(w, b)));
            if (m) {
                int k = __builtin_ctz((unsigned)m);
                s += k;
                o += k;
                break;
            }
            s += 16;
            o += 16;
        }
#endif
        unsigned char ch = (unsigned char)*s;
        if (ch == '"') {
            *o = '\0';
            *val = f->tmp;
            *vlen = (size_t)(o - f->tmp);
            return s + 1;
        }
        if (ch == '\\') {
            /* runs of escapes ("\r\n\t\t" in Windows messages) are taken
             * here, without a block load per escape */
            do {
                char r = g_unesc[(unsigned char)s[1]];
                if (!r)
                    return NULL;
                *o++ = r;
                s += 2;
            } while (*s == '\\');
            continue;
        }
        if (!ch)
            return NULL;
        *o++ = (char)ch;
        s++;
    }
}

/* Object members at p ('{'); c->key holds the dotted prefix. Returns the
 * byte after the closing '}', or NULL when the text leaves the subset. */
static const char *fj_object(fjson *f, const char *p, int has_parent, int depth)
{
    jctx *c = f->c;
    if (depth > FAST_MAX_DEPTH)
        return NULL;
    p = fj_ws(p + 1);
    if (*p == '}')
        return p + 1;
    for (;;) {
        if (*p != '"')
            return NULL;
        int kesc;
        const char *ke = fj_str_end(p, f->end, &kesc);
        if (!ke)
            return NULL;
        const char *ks = p + 1;
        size_t base = f->klen, kn = (size_t)(ke - ks);
        if (kesc) {
            ks = fj_unescape(f, ks, kn);
            if (!ks) {
                c->st = TL_E_NOMEM;
                return NULL;
            }
            kn = strlen(ks); /* cJSON's key is a C string */
        }
        if (base + 1 + kn >= FAST_KEY_MAX)
            return NULL;
        if (has_parent)
            f->key[f->klen++] = '.';
        memcpy(f->key + f->klen, ks, kn);
        f->klen += kn;
        f->key[f->klen] = '\0';
        p = fj_ws(ke + 1);
        if (*p != ':')
            return NULL;
        p = fj_ws(p + 1);
        const char *k = f->key;
        size_t kl = f->klen;
        switch (*p) {
        case '"': {
            /* (no \u escapes here, so the decoded value holds no NUL and its
             * length is what cJSON's C string would give) */
            const char *v;
            size_t vn;
            int oom;
            const char *after = fj_string(f, p, &v, &vn, &oom);
            if (!after) {
                if (oom)
                    c->st = TL_E_NOMEM;
                return NULL;
            }
            if (has_parent)
                fill_k(c, k, kl, v, vn, 0);
            else
                fill_n(c, k, kl, v, vn);
            p = after;
            break;
        }
        case 't':
            if (strncmp(p, "true", 4) != 0)
                return NULL;
            fill_n(c, k, kl, "true", 4);
            p += 4;
            break;
        case 'f':
            if (strncmp(p, "false", 5) != 0)
                return NULL;
            fill_n(c, k, kl, "false", 5);
            p += 5;
            break;
        case 'n':
            if (strncmp(p, "null", 4) != 0)
                return NULL;
            if (c->nulls == TL_JSON_NULL_STRING)
                fill_n(c, k, kl, "null", 4);
            p += 4;
            break;
        case '{':
            p = fj_object(f, p, 1, depth + 1);
            if (!p)
                return NULL;
            break;
        default:
            return NULL; /* numbers, arrays, junk: cJSON decides */
        }
        if (c->st != TL_OK)
            return NULL;
        f->klen = base;
        p = fj_ws(p);
        if (*p == ',') {
            p = fj_ws(p + 1);
            continue;
        }
        if (*p != '}')
            return NULL;
        return p + 1;
    }
}

/* 1 when text was in the subset and its fields were added, or when memory
 * ran out (c->st says so); 0 when the caller must use cJSON (the event is as
 * it was before the call). */
static int fast_decode(jctx *c, const char *text)
{
    const char *p = fj_ws(text);
    if (*p != '{')
        return 0;
    tl_event *ev = c->ev;
    size_t nf0 = ev->nfields;
    memcpy(c->saved, ev->stat, sizeof c->saved);
    c->fast = 1;
    fjson fs;
    fjson *f = &fs;
    f->end = p + tl_event_text_len(ev, p);
    f->c = c;
    f->tmp = f->stk;
    f->tmpcap = sizeof f->stk;
    f->klen = 0;
    f->key[0] = '\0';
    const char *e = fj_object(f, p, 0, 0);
    if (f->tmp != f->stk)
        tl_free(f->tmp);
    c->fast = 0;
    int ok = e != NULL || c->st != TL_OK;
    for (int i = 0; i < TL_SF_COUNT; i++) {
        if (ev->stat[i] == c->saved[i])
            continue;
        if (ok) {
            tl_free(c->saved[i]); /* replaced for good */
        } else {
            tl_free(ev->stat[i]); /* roll back */
            ev->stat[i] = c->saved[i];
        }
    }
    if (!ok)
        ev->nfields = nf0; /* their arena bytes stay until the event is cleared */
    return ok;
}

int tl_json_fast_off;

tl_status tl_json_decode(tl_event *ev, const char *text, tl_json_null nulls, tl_json_array arrays)
{
    if (!ev || !text)
        return TL_E_INVAL;
    if (!tl_json_fast_off) {
        jctx fc = {ev, nulls, arrays, TL_BUF_INIT, TL_OK, 0, {NULL}};
        int done = fast_decode(&fc, text);
        tl_buf_free(&fc.key);
        if (done)
            return fc.st;
    }
    tl_cjson_hooks_init();
    const char *endp = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &endp, 0);
    if (!root)
        return TL_OK; /* "Malformed JSON string": decoded, no fields */
    jctx c = {ev, nulls, arrays, TL_BUF_INIT, TL_OK, 0, {NULL}};
    read_json(&c, root, 0);
    tl_buf_free(&c.key);
    cJSON_Delete(root);
    return c.st;
}
