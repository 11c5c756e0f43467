/* SPDX-License-Identifier: MIT */
/*
 * tasklab's own reader of an EVTX record's binary XML (BinXml), rendered
 * straight to the EvtRender form the Windows agent forwards (replay.h).
 *
 * Input: one 64 KiB chunk (or what is left of it at the end of a cut file)
 * and the offset of a record in it. Every offset in BinXml (element and
 * attribute names, template definitions, substitution values) is relative to
 * the chunk, so every read is checked against the chunk's length; nothing is
 * trusted. Recursion (child elements, BinXml inside a substitution, template
 * instances inside those) is bounded by EV_MAX_DEPTH, the work per record by
 * EV_MAX_WORK token visits and the output by TL_REPLAY_MAX_RECORD bytes, so a
 * hostile chunk whose templates refer to each other costs bounded time and
 * memory and is reported as damage.
 *
 * Tokens (one byte; 0x40 on open-element/value/attribute means "more"):
 *   0x00 end of fragment   0x01 open element    0x02 close start tag
 *   0x03 close empty tag   0x04 end element     0x05 value (text)
 *   0x06 attribute         0x07 CDATA           0x08 char reference
 *   0x09 entity reference  0x0a PI target       0x0b PI data
 *   0x0c template instance 0x0d substitution    0x0e optional substitution
 *   0x0f fragment header
 * A template instance names a definition (a fragment holding one element)
 * and carries the substitution values: a count, (size, type) descriptors,
 * then the values. A definition is inline the first time the chunk uses it
 * and referred to by offset afterwards; the chunk's definitions are looked up
 * through a small per-chunk cache (tl_evtx_cache).
 *
 * Output rules: these reproduce, byte for byte, what tasklab forwarded when
 * it read records through libevtx 20181227 (Debian's libevtx1) and
 * re-serialised libevtx's XML (render.c), which is the form of the oracle's
 * queue files (../shared/reference/oracle/README.md). The differential test
 * (tests/unit/test_evtx_diff.c) checks every record of the 208 shared
 * recordings against that path. In detail:
 *  - an element that has a value (text or a substituted value) is written
 *    with its value only, `<X a='v'>value</X>`, or `<X a='v'/>` when the value
 *    is empty; otherwise with its child elements, or `<X a='v'/>` without;
 *  - an element (or attribute) whose last substitution is a NULL value is
 *    left out; an array value repeats the element (attribute) once per item;
 *  - a value that is a single "\n" counts as empty;
 *  - text: CR LF and a lone CR become LF; `& < >` escaped, `' "` kept;
 *    attributes: entity references in the value decoded, then `& < > ' "`
 *    escaped (render.c's rule, tl_replay_escape);
 *  - xmlns attributes are kept on the root element only; only the first
 *    root element of a record is written, and it must be an Event;
 *  - UTF-16 strings end at the first NUL; a leading byte-order mark is
 *    dropped; a lone surrogate becomes U+FFFD; a surrogate pair is decoded
 *    with libevtx's formula (low surrogate minus 0xDFFF, so 0x3FF below the
 *    true code point) because the oracle was made that way;
 *  - integers in decimal (a negative signed value is written as libevtx
 *    does: '-' and the value with its sign bit cleared), hexadecimal types as
 *    0x and 8 or 16 lower-case digits, size_t values in decimal, booleans as
 *    true/false, GUIDs upper case in braces, FILETIME as
 *    2020-10-23T21:57:29.217562500Z, SYSTEMTIME as 2020-10-23T21:57:29.217Z,
 *    SIDs as S-1-5-18, binary as upper-case hex, Windows-1252 byte strings
 *    as UTF-8.
 * Where libevtx fails a record (a NULL value in a normal substitution, a
 * character reference, a value token of another type than a string, mixed
 * value types, a CDATA section, an array of binary values, an unpaired high
 * surrogate at the end of a string) this reader still renders it, the way
 * EvtRender would, and the differential test leaves those records out.
 */
#define _POSIX_C_SOURCE 200809L
#include "replay_int.h"

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define EV_MAX_DEPTH 48          /* nested elements + templates + embedded BinXml */
#define EV_MAX_WORK 2000000u     /* token visits per record */
#define EV_MAX_VALUES 4096u      /* substitution values of one template instance */

/* value types (the array flag 0x80 aside) */
enum {
    VT_NULL = 0x00, VT_STR = 0x01, VT_ASTR = 0x02, VT_I8 = 0x03, VT_U8 = 0x04,
    VT_I16 = 0x05, VT_U16 = 0x06, VT_I32 = 0x07, VT_U32 = 0x08, VT_I64 = 0x09,
    VT_U64 = 0x0a, VT_F32 = 0x0b, VT_F64 = 0x0c, VT_BOOL = 0x0d, VT_BIN = 0x0e,
    VT_GUID = 0x0f, VT_SIZE = 0x10, VT_FILETIME = 0x11, VT_SYSTIME = 0x12,
    VT_SID = 0x13, VT_HEX32 = 0x14, VT_HEX64 = 0x15, VT_BINXML = 0x21,
    VT_ARRAY = 0x80
};

typedef struct ev_val {
    uint32_t off;  /* chunk offset of the value */
    uint16_t size;
    uint8_t type;
} ev_val;

/* Per-element value being built: raw UTF-8, escaped when written. */
typedef struct ev_value {
    int set;      /* a value exists (even empty) */
    int utf16;    /* last set from a UTF-16 string / text token */
    int entries;  /* value entries */
    size_t first_len; /* bytes of the first entry */
} ev_value;

typedef struct ev_ctx {
    const uint8_t *c;  /* chunk */
    size_t n;          /* readable bytes of the chunk */
    tl_buf *out;
    tl_buf *vbuf; /* element values and value tables, by depth (EV_MAX_DEPTH + 1) */
    tl_buf *abuf; /* an attribute value */
    unsigned depth;
    int level;    /* element nesting in the output (0: the root) */
    unsigned long work;
    const char *why;  /* first error */
    int root_seen;
    tl_evtx_cache *cache;
    /* what the caller wants to know about the record */
    tl_buf *chan;
    uint64_t rid;
    tl_time time;
} ev_ctx;

static int fail(ev_ctx *x, const char *why)
{
    if (!x->why)
        x->why = why;
    return -1;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* ---- per-chunk cache: names and template definitions ------------------- */

#define EV_CACHE_SLOTS 1024u

typedef struct ev_name {
    uint32_t off;   /* chunk offset + 1 (0: empty slot) */
    uint32_t len;   /* UTF-8 bytes */
    uint32_t size;  /* bytes the name occupies in the chunk */
    uint32_t at;    /* offset of the UTF-8 text in tl_evtx_cache.names */
} ev_name;

struct tl_evtx_cache {
    ev_name slot[EV_CACHE_SLOTS];
    size_t used;
    tl_buf names;
    tl_buf vbuf[EV_MAX_DEPTH + 1];
    tl_buf abuf;
};

tl_evtx_cache *tl_evtx_cache_new(void) { return tl_calloc(1, sizeof(tl_evtx_cache)); }

void tl_evtx_cache_free(tl_evtx_cache *k)
{
    if (!k)
        return;
    tl_buf_free(&k->names);
    for (unsigned i = 0; i <= EV_MAX_DEPTH; i++)
        tl_buf_free(&k->vbuf[i]);
    tl_buf_free(&k->abuf);
    tl_free(k);
}

void tl_evtx_cache_reset(tl_evtx_cache *k)
{
    if (!k->used && !k->names.len)
        return;
    memset(k->slot, 0, sizeof k->slot);
    k->used = 0;
    tl_buf_reset(&k->names);
}

/* n bytes from s to d, n small (names, tag punctuation): fixed-size moves
 * the compiler inlines instead of a call to memcpy. */
static inline void copy_small(char *d, const char *s, size_t n)
{
    if (n >= 8) {
        if (n > 16) {
            memcpy(d, s, n);
            return;
        }
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/* Append a[0..an) b[0..bn) c[0..cn) with one capacity check. */
static inline void put3(tl_buf *o, const char *a, size_t an, const char *b, size_t bn,
                        const char *c, size_t cn)
{
    if (o->len + an + bn + cn + 1 > o->cap && tl_buf_reserve(o, an + bn + cn) != TL_OK)
        return;
    char *d = o->data + o->len;
    copy_small(d, a, an);
    copy_small(d + an, b, bn);
    copy_small(d + an + bn, c, cn);
    o->len += an + bn + cn;
    o->data[o->len] = '\0';
}

/* ---- UTF-16 / code pages ------------------------------------------------ */

/* Room for n more bytes (and the NUL) in b; -1 when out of memory. The
 * check inline, the growth in base (tl_buf_reserve). */
static inline int reserve(tl_buf *b, size_t n)
{
    if (!b->oom && b->len + n + 1 <= b->cap)
        return 0;
    return tl_buf_reserve(b, n) == TL_OK ? 0 : -1;
}

static void put_cp(tl_buf *b, uint32_t cp)
{
    if (reserve(b, 4) < 0)
        return;
    b->len += tl_utf8_encode(cp, b->data + b->len);
    b->data[b->len] = '\0';
}

/* The code point that the UTF-16 unit u, just read, starts at p[*i..n) (its
 * low surrogate read too), by libevtx's rules: a lone surrogate is U+FFFD, a
 * pair is decoded with libevtx's formula. *last: a high surrogate in the
 * string's last unit (U+FFFD, and the string ends there). */
static uint32_t utf16_cp(const uint8_t *p, size_t n, size_t *i, uint32_t u, int *last)
{
    *last = 0;
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (*i + 1 >= n) {
            *last = 1;
            return 0xFFFD;
        }
        uint32_t lo = rd16(p + *i);
        *i += 2;
        if (lo >= 0xDC00 && lo <= 0xDFFF)
            return ((u - 0xD800) << 10) + (lo - 0xDFFF) + 0x10000; /* libevtx's formula */
        return 0xFFFD;
    }
    if (u >= 0xDC00 && u <= 0xDFFF)
        return 0xFFFD;
    return u;
}

/* The run of UTF-16 units at p[i..n) that stand for themselves, copied to b
 * as bytes: units 1..0x7F, or with text set 0x20..0x7F other than & < >
 * (those need put_utf16_text's escaping). Returns where the run ends (n when
 * out of memory: b->oom is set). Eight units at a time with SSE2. */
static size_t ascii_run(tl_buf *b, const uint8_t *p, size_t i, size_t n, int text)
{
    if (reserve(b, (n - i) / 2 + 16) < 0)
        return n;
    char *o = b->data + b->len;
#if defined(__SSE2__)
    const __m128i lo = _mm_set1_epi16(text ? 0x1F : 0x00), hi = _mm_set1_epi16(0x80);
    const __m128i amp = _mm_set1_epi16('&'), lt = _mm_set1_epi16('<'), gt = _mm_set1_epi16('>');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i ok = _mm_and_si128(_mm_cmpgt_epi16(v, lo), _mm_cmplt_epi16(v, hi));
        if (text)
            ok = _mm_andnot_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(v, amp),
                                                            _mm_cmpeq_epi16(v, lt)),
                                               _mm_cmpeq_epi16(v, gt)),
                                  ok);
        if (_mm_movemask_epi8(ok) != 0xFFFF)
            break;
        _mm_storel_epi64((__m128i *)(void *)o, _mm_packus_epi16(v, v));
        o += 8;
        i += 16;
    }
#endif
    while (i + 1 < n) {
        uint8_t c = p[i];
        if (p[i + 1] || c >= 0x80 || !c ||
            (text && (c < 0x20 || c == '&' || c == '<' || c == '>')))
            break;
        *o++ = (char)c;
        i += 2;
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return i;
}

/* UTF-16LE bytes p[0..n) to UTF-8, ending at the first NUL (libevtx's
 * conversion, see the file comment). */
static void put_utf16(tl_buf *b, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        i = 2;
    while (i + 1 < n) {
        /* a run of ASCII at once */
        size_t j = ascii_run(b, p, i, n, 0);
        if (j > i) {
            i = j;
            continue;
        }
        if (b->oom)
            return;
        uint32_t u = rd16(p + i);
        i += 2;
        if (u == 0)
            return;
        int last;
        put_cp(b, utf16_cp(p, n, &i, u, &last));
        if (last)
            return;
    }
}

/* The same conversion with the text escaping of put_text done on the way
 * (one pass for the usual element: one string substitution). */
static void put_utf16_text(tl_buf *b, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        i = 2;
    if (reserve(b, n / 2 + 8) < 0)
        return;
    while (i + 1 < n) {
        size_t j = ascii_run(b, p, i, n, 1);
        if (j > i) {
            i = j;
            continue;
        }
        if (b->oom)
            return;
        uint32_t u = rd16(p + i);
        i += 2;
        switch (u) {
        case 0: return;
        case '&': tl_buf_append(b, "&amp;", 5); continue;
        case '<': tl_buf_append(b, "&lt;", 4); continue;
        case '>': tl_buf_append(b, "&gt;", 4); continue;
        case '\r':
            tl_buf_putc(b, '\n');
            if (i + 1 < n && rd16(p + i) == '\n')
                i += 2;
            continue;
        default: break;
        }
        int last;
        put_cp(b, utf16_cp(p, n, &i, u, &last));
        if (last)
            return;
    }
}

/* 1 when the UTF-16 string p[0..n) is exactly "\n" (a value libevtx
 * writes as empty). */
static int utf16_is_newline(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        i = 2;
    return i + 1 < n && rd16(p + i) == '\n' && (i + 3 >= n || rd16(p + i + 2) == 0);
}

static const uint16_t cp1252_hi[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

static void put_cp1252(tl_buf *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && p[i]; i++) {
        uint8_t c = p[i];
        put_cp(b, c >= 0x80 && c < 0xA0 ? cp1252_hi[c - 0x80] : c);
    }
}

/* ---- escaping ----------------------------------------------------------- */

/* Nonzero when one of the 8 bytes of w is '&', '<', '>' or CR. */
static uint64_t text_special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t a = w ^ (ones * '&'), l = w ^ (ones * '<'), g = w ^ (ones * '>'),
             r = w ^ (ones * '\r');
    return (((a - ones) & ~a) | ((l - ones) & ~l) | ((g - ones) & ~g) | ((r - ones) & ~r)) & high;
}

/* Text of an element: CR LF / CR -> LF, & < > escaped. */
static void put_text(tl_buf *b, const char *s, size_t n)
{
    if (reserve(b, 5 * n) < 0)
        return;
    char *o = b->data + b->len;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + j, 8);
            if (text_special8(w))
                break;
            j += 8;
        }
        while (j < n && s[j] != '&' && s[j] != '<' && s[j] != '>' && s[j] != '\r')
            j++;
        memcpy(o, s + i, j - i);
        o += j - i;
        if (j >= n)
            break;
        switch (s[j]) {
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        default:
            *o++ = '\n';
            if (j + 1 < n && s[j + 1] == '\n')
                j++;
        }
        i = j + 1;
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

/* ---- values ------------------------------------------------------------- */

static void put_u64(tl_buf *b, uint64_t v)
{
    char t[24];
    int k = 24;
    do {
        t[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tl_buf_append(b, t + k, (size_t)(24 - k));
}

/* libevtx's signed decimal: '-' and the value without its sign bit */
static void put_signed(tl_buf *b, uint64_t v, unsigned bits)
{
    uint64_t sign = (uint64_t)1 << (bits - 1);
    if (v & sign) {
        tl_buf_putc(b, '-');
        v &= ~sign;
        if (!v)
            v = sign;
    }
    put_u64(b, v);
}

static void put_hex(tl_buf *b, uint64_t v, unsigned digits)
{
    char t[18];
    static const char hx[] = "0123456789abcdef";
    t[0] = '0';
    t[1] = 'x';
    for (unsigned i = 0; i < digits; i++)
        t[2 + i] = hx[(v >> (4 * (digits - 1 - i))) & 0xF];
    tl_buf_append(b, t, 2 + digits);
}

/* Digits of v, zero-padded to w, at o; returns the end. */
static char *dig(char *o, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + w;
}

static char *hexu(char *o, uint32_t v, int w)
{
    static const char hx[] = "0123456789ABCDEF";
    for (int i = w - 1; i >= 0; i--) {
        o[i] = hx[v & 0xF];
        v >>= 4;
    }
    return o + w;
}

static void put_guid(tl_buf *b, const uint8_t *p)
{
    if (reserve(b, 38) < 0)
        return;
    char *o = b->data + b->len;
    *o++ = '{';
    o = hexu(o, rd32(p), 8);
    *o++ = '-';
    o = hexu(o, rd16(p + 4), 4);
    *o++ = '-';
    o = hexu(o, rd16(p + 6), 4);
    *o++ = '-';
    o = hexu(o, p[8], 2);
    o = hexu(o, p[9], 2);
    *o++ = '-';
    for (int i = 10; i < 16; i++)
        o = hexu(o, p[i], 2);
    *o = '}';
    b->len += 38;
    b->data[b->len] = '\0';
}

static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    /* days since 1970-01-01 -> y-m-d (proleptic Gregorian) */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS." for years 0..9999, else printf's form */
static void put_date(tl_buf *b, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                     unsigned sec)
{
    if (y < 0 || y > 9999) {
        tl_buf_printf(b, "%04lld-%02u-%02uT%02u:%02u:%02u.", (long long)y, mo, d, h, mi, sec);
        return;
    }
    if (reserve(b, 20) < 0)
        return;
    char *o = b->data + b->len;
    o = dig(o, (unsigned)y, 4);
    *o++ = '-';
    o = dig(o, mo, 2);
    *o++ = '-';
    o = dig(o, d, 2);
    *o++ = 'T';
    o = dig(o, h, 2);
    *o++ = ':';
    o = dig(o, mi, 2);
    *o++ = ':';
    o = dig(o, sec, 2);
    *o = '.';
    b->len += 20;
    b->data[b->len] = '\0';
}

static void put_filetime(tl_buf *b, uint64_t ft)
{
    uint64_t secs = ft / 10000000u, frac = ft % 10000000u;
    int64_t days = (int64_t)(secs / 86400u) - 134774; /* 1601-01-01 -> 1970-01-01 */
    unsigned sod = (unsigned)(secs % 86400u);
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    put_date(b, y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
    if (reserve(b, 10) < 0)
        return;
    char *o = dig(b->data + b->len, (unsigned)frac, 7);
    o[0] = '0';
    o[1] = '0';
    o[2] = 'Z';
    b->len += 10;
    b->data[b->len] = '\0';
}

static void put_systime(tl_buf *b, const uint8_t *p)
{
    /* fields as stored, each printed with its width (a bad date is shown as
     * it is, not rejected) */
    unsigned y = rd16(p), mo = rd16(p + 2), d = rd16(p + 6), h = rd16(p + 8), mi = rd16(p + 10),
             sec = rd16(p + 12), ms = rd16(p + 14);
    if (mo > 99 || d > 99 || h > 99 || mi > 99 || sec > 99 || ms > 999) {
        tl_buf_printf(b, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d, h, mi, sec, ms);
        return;
    }
    put_date(b, y, mo, d, h, mi, sec);
    if (reserve(b, 4) < 0)
        return;
    char *o = dig(b->data + b->len, ms, 3);
    *o = 'Z';
    b->len += 4;
    b->data[b->len] = '\0';
}

static int put_sid(tl_buf *b, const uint8_t *p, size_t n)
{
    if (n < 8)
        return -1;
    unsigned cnt = p[1];
    if (8 + 4 * (size_t)cnt > n)
        return -1;
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++)
        auth = (auth << 8) | p[i];
    tl_buf_puts(b, "S-");
    put_u64(b, p[0]);
    tl_buf_putc(b, '-');
    put_u64(b, auth);
    for (unsigned i = 0; i < cnt; i++) {
        tl_buf_putc(b, '-');
        put_u64(b, rd32(p + 8 + 4 * i));
    }
    return 0;
}

static void put_binary(tl_buf *b, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    if (reserve(b, 2 * n) < 0)
        return;
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = hx[p[i] >> 4];
        o[2 * i + 1] = hx[p[i] & 0xF];
    }
    b->len += 2 * n;
    b->data[b->len] = '\0';
}

/* Natural size of a fixed-size type, 0 for variable-size ones. */
static size_t type_size(uint8_t t, size_t have)
{
    switch (t & 0x7F) {
    case VT_I8: case VT_U8: return 1;
    case VT_I16: case VT_U16: return 2;
    case VT_I32: case VT_U32: case VT_F32: case VT_BOOL: case VT_HEX32: return 4;
    case VT_I64: case VT_U64: case VT_F64: case VT_FILETIME: case VT_HEX64: return 8;
    case VT_GUID: case VT_SYSTIME: return 16;
    case VT_SIZE: return have == 4 ? 4 : 8;
    default: return 0;
    }
}

/* Append the text of one value of type t (no array flag) at p[0..n). */
static int put_value(tl_buf *b, uint8_t t, const uint8_t *p, size_t n)
{
    size_t need = type_size(t, n);
    if (need && n < need)
        return -1;
    switch (t) {
    case VT_STR: put_utf16(b, p, n); return 0;
    case VT_ASTR: put_cp1252(b, p, n); return 0;
    case VT_I8: put_signed(b, p[0], 8); return 0;
    case VT_U8: put_u64(b, p[0]); return 0;
    case VT_I16: put_signed(b, rd16(p), 16); return 0;
    case VT_U16: put_u64(b, rd16(p)); return 0;
    case VT_I32: put_signed(b, rd32(p), 32); return 0;
    case VT_U32: put_u64(b, rd32(p)); return 0;
    case VT_I64: put_signed(b, rd64(p), 64); return 0;
    case VT_U64: put_u64(b, rd64(p)); return 0;
    case VT_SIZE: put_u64(b, n == 4 ? rd32(p) : rd64(p)); return 0;
    case VT_HEX32: put_hex(b, rd32(p), 8); return 0;
    case VT_HEX64: put_hex(b, rd64(p), 16); return 0;
    case VT_BOOL: tl_buf_puts(b, rd32(p) ? "true" : "false"); return 0;
    case VT_GUID: put_guid(b, p); return 0;
    case VT_FILETIME: put_filetime(b, rd64(p)); return 0;
    case VT_SYSTIME: put_systime(b, p); return 0;
    case VT_SID: return put_sid(b, p, n);
    case VT_BIN: put_binary(b, p, n); return 0;
    case VT_F32: {
        float f;
        uint32_t u = rd32(p);
        memcpy(&f, &u, 4);
        tl_buf_printf(b, "%.9g", (double)f);
        return 0;
    }
    case VT_F64: {
        double f;
        uint64_t u = rd64(p);
        memcpy(&f, &u, 8);
        tl_buf_printf(b, "%.17g", f);
        return 0;
    }
    default: return -1;
    }
}

/* ---- names -------------------------------------------------------------- */

/* The UTF-8 name stored at chunk offset off (*s, *len borrowed from the
 * cache); *size the bytes it takes in the chunk. */
static int get_name(ev_ctx *x, uint32_t off, const char **s, size_t *len, uint32_t *size)
{
    tl_evtx_cache *k = x->cache;
    uint32_t h = (off * 2654435761u) & (EV_CACHE_SLOTS - 1);
    for (unsigned probe = 0; probe < EV_CACHE_SLOTS; probe++) {
        ev_name *e = &k->slot[(h + probe) & (EV_CACHE_SLOTS - 1)];
        if (e->off == off + 1) {
            *s = k->names.data + e->at;
            *len = e->len;
            *size = e->size;
            return 0;
        }
        if (e->off == 0)
            break;
    }
    if ((size_t)off + 8 > x->n)
        return fail(x, "a name offset is outside the chunk");
    uint32_t chars = rd16(x->c + off + 6);
    uint32_t bytes = (chars + 1) * 2;
    if ((size_t)off + 8 + bytes > x->n)
        return fail(x, "a name runs past the end of the chunk");
    size_t at = k->names.len;
    put_utf16(&k->names, x->c + off + 8, (size_t)chars * 2);
    tl_buf_putc(&k->names, '\0');
    if (tl_buf_status(&k->names) != TL_OK)
        return fail(x, "out of memory");
    size_t nl = k->names.len - at - 1;
    /* a name the agent's XML could not carry (empty, or holding markup or
     * white space) makes the record unreadable, as it did through libevtx */
    if (nl == 0 || strpbrk(k->names.data + at, " \t\n\r<>/='\"") ||
        strlen(k->names.data + at) != nl) {
        k->names.len = at;
        k->names.data[at] = '\0';
        return fail(x, "an element or attribute name that is not an XML name");
    }
    if (k->used < EV_CACHE_SLOTS / 2) {
        for (unsigned probe = 0;; probe++) {
            ev_name *e = &k->slot[(h + probe) & (EV_CACHE_SLOTS - 1)];
            if (e->off == 0) {
                e->off = off + 1;
                e->len = (uint32_t)nl;
                e->size = 8 + bytes;
                e->at = (uint32_t)at;
                k->used++;
                break;
            }
        }
    }
    *s = k->names.data + at;
    *len = nl;
    *size = 8 + bytes;
    return 0;
}

/* ---- the reader --------------------------------------------------------- */

static int rd_element(ev_ctx *x, size_t off, int deps, const ev_val *vals, uint32_t nvals,
                      size_t *len);
static int rd_template(ev_ctx *x, size_t off, int deps, size_t *len);
static int rd_fragment(ev_ctx *x, size_t off, int deps, size_t *len);

static int tick(ev_ctx *x)
{
    if (++x->work > EV_MAX_WORK)
        return fail(x, "more BinXml work than any real record needs");
    if (x->out->len > TL_REPLAY_MAX_RECORD)
        return fail(x, "renders to more than 1 MiB");
    return 0;
}

/* Substitution idx into the value being built in vb (or, for BinXml, into
 * the output as child elements). 1 substituted, 0 NULL value, -1 error. */
static int substitute(ev_ctx *x, int deps, uint16_t idx, const ev_val *vals, uint32_t nvals,
                      size_t *arr_off, tl_buf *vb, ev_value *v, int *children)
{
    if (!vals || idx >= nvals)
        return fail(x, "a substitution refers to a value the template instance lacks");
    const ev_val *s = &vals[idx];
    uint8_t t = s->type;
    if (t == VT_NULL)
        return 0;
    const uint8_t *p = x->c + s->off;
    size_t n = s->size;
    if (t == VT_BINXML) {
        if (n == 0)
            return 0;
        size_t used = 0;
        uint8_t tok = p[0];
        int r;
        if ((tok & 0xBF) == 0x01)
            r = rd_element(x, s->off, 0, vals, nvals, &used);
        else if (tok == 0x0F)
            r = rd_fragment(x, s->off, deps, &used);
        else if (tok == 0x0C)
            r = rd_template(x, s->off, deps, &used);
        else
            return fail(x, "a BinXml value starts with an unexpected token");
        if (r < 0)
            return -1;
        *children = 1;
        return 1;
    }
    if (t & VT_ARRAY) {
        uint8_t base = t & 0x7F;
        if (n == 0)
            return 0;
        if (*arr_off >= n)
            return fail(x, "an array substitution overruns its value");
        const uint8_t *q = p + *arr_off;
        size_t rest = n - *arr_off, item;
        if (base == VT_STR) {
            item = rest;
            for (size_t i = 0; i + 1 < rest; i += 2)
                if (q[i] == 0 && q[i + 1] == 0) {
                    item = i + 2;
                    break;
                }
        } else if (base == VT_ASTR) {
            const uint8_t *z = memchr(q, 0, rest);
            item = z ? (size_t)(z - q) + 1 : rest;
        } else {
            item = type_size(base, rest);
            if (!item || item > rest)
                return fail(x, "an array substitution of an unsupported or cut type");
        }
        tl_buf_reset(vb);
        if (put_value(vb, base, q, item) < 0)
            return fail(x, "an array item cannot be read");
        *arr_off += item;
        if (*arr_off == n)
            *arr_off = 0;
        v->set = 1;
        v->utf16 = base == VT_STR;
        v->entries = 1;
        v->first_len = vb->len;
        return 1;
    }
    tl_buf_reset(vb);
    if (put_value(vb, t, p, n) < 0)
        return fail(x, "a substitution value of an unsupported type or size");
    v->set = 1;
    v->utf16 = t == VT_STR;
    v->entries = 1;
    v->first_len = vb->len;
    return 1;
}

/* Bytes of a name at noff when it is stored inline at p (else 0). */
static int inline_name(ev_ctx *x, size_t *p, uint32_t noff, int64_t *esize, const char **nm,
                       size_t *nl)
{
    uint32_t nsize = 0;
    if (noff > *p) {
        /* libevtx skips data between the token and a name stored later */
        if (esize)
            *esize -= (int64_t)(noff - *p);
        *p = noff;
    }
    if (get_name(x, noff, nm, nl, &nsize) < 0)
        return -1;
    if (noff == *p) {
        *p += nsize;
        if (esize)
            *esize -= nsize;
    }
    return 0;
}

static void note_time(ev_ctx *x, const char *v, size_t n)
{
    char tb[64];
    if (n >= sizeof tb)
        return;
    memcpy(tb, v, n);
    tb[n] = '\0';
    tl_time t;
    if (tl_time_parse_iso(tb, &t) == TL_OK)
        x->time = t;
}

/* One attribute token at off (repeated per item of an array value). */
static int rd_attribute(ev_ctx *x, size_t off, int deps, const ev_val *vals, uint32_t nvals,
                        int root, int is_time, size_t *len)
{
    size_t arr_off = 0, p;
    do {
        if (tick(x) < 0)
            return -1;
        p = off + 1;
        if (p + 4 > x->n)
            return fail(x, "an attribute runs past the end of the chunk");
        uint32_t noff = rd32(x->c + p);
        p += 4;
        const char *an;
        size_t al;
        if (inline_name(x, &p, noff, NULL, &an, &al) < 0)
            return -1;
        size_t aat = (size_t)(an - x->cache->names.data); /* the cache may move */
        if (p + 1 > x->n)
            return fail(x, "an attribute has no value");
        tl_buf *ab = x->abuf;
        tl_buf_reset(ab);
        ev_value av = {0, 0, 0, 0};
        int result = 1, kids = 0;
        uint8_t t = x->c[p];
        size_t tl;
        if ((t & 0xBF) == 0x05) {
            if (p + 4 > x->n || x->c[p + 1] != VT_STR)
                return fail(x, "an attribute value token that is not a string");
            tl = 4 + (size_t)rd16(x->c + p + 2) * 2;
            if (p + tl > x->n)
                return fail(x, "an attribute value runs past the end of the chunk");
            if (arr_off)
                return fail(x, "text after an array value");
            put_utf16(ab, x->c + p + 4, tl - 4);
        } else if (t == 0x0D || t == 0x0E) {
            if (p + 4 > x->n)
                return fail(x, "a substitution runs past the end of the chunk");
            tl = 4;
            result = substitute(x, deps, rd16(x->c + p + 1), vals, nvals, &arr_off, ab, &av, &kids);
            if (result < 0)
                return -1;
            if (kids)
                return fail(x, "an attribute whose value is BinXml");
        } else {
            return fail(x, "an attribute without a value or substitution");
        }
        p += tl;
        an = x->cache->names.data + aat;
        if (result) {
            int xmlns = al >= 5 && !memcmp(an, "xmlns", 5) && (al == 5 || an[5] == ':');
            if (root || !xmlns) {
                put3(x->out, " ", 1, an, al, "='", 2);
                const char *aval = ab->data ? ab->data : "";
                size_t k = 0;
                while (k < ab->len && aval[k] != '&' && aval[k] != '<' && aval[k] != '>' &&
                       aval[k] != '\'' && aval[k] != '"' && aval[k] != '\r')
                    k++;
                if (k == ab->len) /* nothing to escape (the usual case) */
                    put3(x->out, aval, ab->len, "'", 1, "", 0);
                else {
                    tl_replay_escape(x->out, aval, ab->len, 1);
                    tl_buf_putc(x->out, '\'');
                }
                if (is_time && al == 10 && !memcmp(an, "SystemTime", 10))
                    note_time(x, ab->data ? ab->data : "", ab->len);
            }
        }
    } while (arr_off > 0);
    *len = p - off;
    return 0;
}

static int is_empty_value(const tl_buf *vb, const ev_value *v)
{
    return vb->len == 0 || (v->entries == 1 && vb->len == 1 && vb->data[0] == '\n');
}

static int rd_element(ev_ctx *x, size_t off, int deps, const ev_val *vals, uint32_t nvals,
                      size_t *len)
{
    if (x->depth >= EV_MAX_DEPTH)
        return fail(x, "BinXml nested deeper than tasklab allows");
    x->depth++;
    unsigned my = x->depth;
    int root = x->level == 0;
    size_t arr_off = 0, p = off;
    do {
        if (tick(x) < 0)
            goto bad;
        p = off;
        size_t hdr = deps ? 3 : 1;
        if (p + hdr + 8 > x->n) {
            fail(x, "an element runs past the end of the chunk");
            goto bad;
        }
        uint8_t tok = x->c[p];
        int64_t esize = rd32(x->c + p + hdr);
        p += hdr + 4;
        uint32_t noff = rd32(x->c + p);
        p += 4;
        esize -= 4;
        const char *nm;
        size_t nl;
        if (inline_name(x, &p, noff, &esize, &nm, &nl) < 0)
            goto bad;
        size_t nat = (size_t)(nm - x->cache->names.data); /* the cache may move */
        size_t start = x->out->len;
        put3(x->out, "<", 1, nm, nl, "", 0);
        int is_time = nl == 11 && !memcmp(nm, "TimeCreated", 11);
        if (tok & 0x40) {
            if (p + 4 > x->n) {
                fail(x, "an attribute list runs past the end of the chunk");
                goto bad;
            }
            uint32_t alist = rd32(x->c + p);
            p += 4;
            esize -= 4;
            while (alist > 0) {
                if (p >= x->n || (x->c[p] & 0xBF) != 0x06) {
                    fail(x, "an attribute list holds something else than attributes");
                    goto bad;
                }
                size_t alen = 0;
                if (rd_attribute(x, p, deps, vals, nvals, root, is_time, &alen) < 0)
                    goto bad;
                if (alen > alist) {
                    fail(x, "attributes overrun their list");
                    goto bad;
                }
                alist -= (uint32_t)alen;
                p += alen;
                esize -= (int64_t)alen;
            }
        }
        if (p >= x->n || (x->c[p] != 0x02 && x->c[p] != 0x03)) {
            fail(x, "a start tag is not closed");
            goto bad;
        }
        uint8_t close = x->c[p];
        p++;
        esize--;
        size_t mark = x->out->len;
        tl_buf_putc(x->out, '>');
        tl_buf *vb = &x->vbuf[my];
        tl_buf_reset(vb);
        ev_value v = {0, 0, 0, 0};
        int result = 1, direct = 0;
        if (close == 0x02) {
            x->level++;
            while (esize > 0) {
                if (tick(x) < 0 || p >= x->n) {
                    fail(x, "an element runs past the end of the chunk");
                    x->level--;
                    goto bad;
                }
                uint8_t t = x->c[p];
                size_t tl = 0;
                int r = 0, kids = 0;
                switch (t & 0xBF) {
                case 0x01:
                    r = rd_element(x, p, deps, vals, nvals, &tl);
                    break;
                case 0x03:
                case 0x04:
                    tl = 1;
                    break;
                case 0x05:
                    if (p + 4 > x->n || x->c[p + 1] != VT_STR) {
                        r = fail(x, "a value token that is not a string");
                        break;
                    }
                    tl = 4 + (size_t)rd16(x->c + p + 2) * 2;
                    if (p + tl > x->n || arr_off) {
                        r = fail(x, "a value runs past the end of the chunk");
                        break;
                    }
                    if (!v.set)
                        tl_buf_reset(vb);
                    put_utf16(vb, x->c + p + 4, tl - 4);
                    v.set = 1;
                    v.utf16 = 1;
                    if (++v.entries == 1)
                        v.first_len = vb->len;
                    break;
                case 0x07: /* CDATA: kept as text */
                    if (p + 3 > x->n) {
                        r = fail(x, "a CDATA section runs past the end of the chunk");
                        break;
                    }
                    tl = 3 + (size_t)rd16(x->c + p + 1) * 2;
                    if (p + tl > x->n) {
                        r = fail(x, "a CDATA section runs past the end of the chunk");
                        break;
                    }
                    if (!v.set)
                        tl_buf_reset(vb);
                    put_utf16(vb, x->c + p + 3, tl - 3);
                    v.set = 1;
                    v.utf16 = 1;
                    v.entries++;
                    break;
                case 0x08: /* character reference: the character */
                    if (p + 3 > x->n) {
                        r = fail(x, "a character reference runs past the end of the chunk");
                        break;
                    }
                    tl = 3;
                    if (!v.set)
                        tl_buf_reset(vb);
                    put_cp(vb, rd16(x->c + p + 1) ? rd16(x->c + p + 1) : 0xFFFD);
                    v.set = 1;
                    v.utf16 = 1;
                    v.entries++;
                    break;
                case 0x09: { /* entity reference: the predefined ones decoded */
                    size_t q = p + 1;
                    if (q + 4 > x->n) {
                        r = fail(x, "an entity reference runs past the end of the chunk");
                        break;
                    }
                    uint32_t eo = rd32(x->c + q);
                    q += 4;
                    const char *en;
                    size_t el;
                    if (inline_name(x, &q, eo, NULL, &en, &el) < 0) {
                        r = -1;
                        break;
                    }
                    tl = q - p;
                    if (!v.set)
                        tl_buf_reset(vb);
                    static const char *const ents[5][2] = {
                        {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}};
                    int known = 0;
                    for (int i = 0; i < 5 && !known; i++)
                        if (strlen(ents[i][0]) == el && !memcmp(en, ents[i][0], el)) {
                            tl_buf_puts(vb, ents[i][1]);
                            known = 1;
                        }
                    if (!known) {
                        tl_buf_putc(vb, '&');
                        tl_buf_append(vb, en, el);
                        tl_buf_putc(vb, ';');
                    }
                    v.set = 1;
                    v.utf16 = 1;
                    v.entries++;
                    break;
                }
                case 0x0A: { /* processing instruction: left out */
                    size_t q = p + 1;
                    if (q + 4 > x->n) {
                        r = fail(x, "a processing instruction runs past the end of the chunk");
                        break;
                    }
                    uint32_t po = rd32(x->c + q);
                    q += 4;
                    const char *pn;
                    size_t pl;
                    if (inline_name(x, &q, po, NULL, &pn, &pl) < 0) {
                        r = -1;
                        break;
                    }
                    if (q < x->n && x->c[q] == 0x0B) {
                        if (q + 3 > x->n ||
                            q + 3 + (size_t)rd16(x->c + q + 1) * 2 > x->n) {
                            r = fail(x, "a processing instruction runs past the end of the chunk");
                            break;
                        }
                        q += 3 + (size_t)rd16(x->c + q + 1) * 2;
                    }
                    tl = q - p;
                    break;
                }
                case 0x0D:
                case 0x0E:
                    if (t & 0x40 || p + 4 > x->n) {
                        r = fail(x, "a substitution runs past the end of the chunk");
                        break;
                    }
                    tl = 4;
                    uint16_t si = rd16(x->c + p + 1);
                    if (esize == 5 && !v.set && !arr_off && x->out->len == mark + 1 &&
                        p + 4 < x->n && x->c[p + 4] == 0x04 && vals && si < nvals &&
                        vals[si].type == VT_STR) {
                        /* the usual element, one string and its end tag: written
                         * straight out (same bytes as the value path below) */
                        const uint8_t *sp = x->c + vals[si].off;
                        size_t sn = vals[si].size;
                        const char *nm2 = x->cache->names.data + nat;
                        x->out->len = mark;
                        size_t at = mark + 1;
                        tl_buf_putc(x->out, '>');
                        if (!utf16_is_newline(sp, sn))
                            put_utf16_text(x->out, sp, sn);
                        if (x->out->len == at) {
                            x->out->len = mark;
                            tl_buf_append(x->out, "/>", 2);
                        } else {
                            if (nl == 7 && !memcmp(nm2, "Channel", 7) && x->chan)
                                tl_buf_append(x->chan, x->out->data + at, x->out->len - at);
                            put3(x->out, "</", 2, nm2, nl, ">", 1);
                        }
                        direct = 1;
                        result = 1;
                        break;
                    }
                    r = substitute(x, deps, si, vals, nvals, &arr_off, vb, &v, &kids);
                    if (r >= 0) {
                        result = r; /* the last substitution decides (libevtx) */
                        r = 0;
                    }
                    break;
                default:
                    r = fail(x, "an unexpected token inside an element");
                }
                if (r < 0 || (int64_t)tl > esize) {
                    if (r >= 0)
                        fail(x, "an element's content overruns its size");
                    x->level--;
                    goto bad;
                }
                esize -= (int64_t)tl;
                p += tl;
                if (t == 0x03 || t == 0x04)
                    break;
            }
            x->level--;
        }
        if (esize != 0) {
            fail(x, "an element's size does not match its content");
            goto bad;
        }
        nm = x->cache->names.data + nat;
        if (direct) {
            /* written already */
        } else if (!result) {
            x->out->len = start;
            x->out->data[start] = '\0';
        } else if (v.set) {
            x->out->len = mark;
            if (is_empty_value(vb, &v)) {
                tl_buf_append(x->out, "/>", 2);
            } else {
                tl_buf_putc(x->out, '>');
                size_t at = x->out->len;
                if (v.utf16)
                    put_text(x->out, vb->data, vb->len);
                else
                    tl_replay_escape(x->out, vb->data, vb->len, 0);
                if (nl == 7 && !memcmp(nm, "Channel", 7) && x->chan)
                    tl_buf_append(x->chan, x->out->data + at, x->out->len - at);
                if (nl == 13 && !memcmp(nm, "EventRecordID", 13)) {
                    uint64_t id = 0;
                    for (size_t i = 0; i < vb->len && vb->data[i] >= '0' && vb->data[i] <= '9'; i++)
                        id = id * 10 + (uint64_t)(vb->data[i] - '0');
                    x->rid = id;
                }
                put3(x->out, "</", 2, nm, nl, ">", 1);
            }
        } else if (x->out->len > mark + 1) {
            put3(x->out, "</", 2, nm, nl, ">", 1);
        } else {
            x->out->len = mark;
            tl_buf_append(x->out, "/>", 2);
        }
    } while (arr_off > 0);
    x->depth--;
    *len = p - off;
    return 0;
bad:
    x->depth--;
    return -1;
}

/* Template instance at off: its values, then its definition's element. */
static int rd_template(ev_ctx *x, size_t off, int deps, size_t *len)
{
    if (x->depth >= EV_MAX_DEPTH)
        return fail(x, "templates nested deeper than tasklab allows");
    if (tick(x) < 0 || off + 10 >= x->n)
        return fail(x, "a template instance runs past the end of the chunk");
    size_t def = rd32(x->c + off + 6);
    size_t p = off + 10;
    if (def > p)
        p = def; /* data between the instance and its inline definition */
    if (def + 24 >= x->n)
        return fail(x, "a template definition is outside the chunk");
    size_t dsize = rd32(x->c + def + 20);
    int inl = def == p;
    size_t voff = inl ? p + 24 + dsize : p;
    if (voff + 4 >= x->n)
        return fail(x, "template values are outside the chunk");
    uint32_t cnt = rd32(x->c + voff);
    if (cnt > EV_MAX_VALUES || voff + 4 + (size_t)cnt * 4 >= x->n)
        return fail(x, "a template instance with too many values");
    /* the value table of this depth (deeper levels use their own) */
    x->depth++;
    tl_buf *vt = &x->vbuf[x->depth];
    tl_buf_reset(vt);
    if (reserve(vt, (size_t)cnt * sizeof(ev_val)) < 0) {
        x->depth--;
        return fail(x, "out of memory");
    }
    ev_val *vals = (ev_val *)(void *)vt->data;
    size_t q = voff + 4 + (size_t)cnt * 4;
    for (uint32_t i = 0; i < cnt; i++) {
        const uint8_t *dsc = x->c + voff + 4 + 4 * (size_t)i;
        vals[i].size = rd16(dsc);
        vals[i].type = dsc[2];
        vals[i].off = (uint32_t)q;
        q += vals[i].size;
    }
    if (q >= x->n) {
        x->depth--;
        return fail(x, "template values run past the end of the chunk");
    }
    size_t vsize = q - voff;
    /* the definition: fragment header, one element, end of fragment */
    size_t d = def + 24, el = 0;
    int r;
    if (x->c[d] != 0x0F || d + 5 > x->n || (x->c[d + 4] & 0xBF) != 0x01)
        r = fail(x, "a template definition does not hold an element");
    else
        r = rd_element(x, d + 4, deps, vals, cnt, &el);
    x->depth--;
    if (r < 0)
        return -1;
    d += 4 + el;
    if (d >= x->n || x->c[d] != 0x00)
        return fail(x, "a template definition does not end after its element");
    d++;
    *len = (p - off) + vsize + (inl ? d - def : 0);
    return 0;
}

static int rd_fragment(ev_ctx *x, size_t off, int deps, size_t *len)
{
    if (off + 5 > x->n)
        return fail(x, "a fragment runs past the end of the chunk");
    size_t sub = 0;
    uint8_t t = x->c[off + 4];
    int r;
    if ((t & 0xBF) == 0x01)
        r = rd_element(x, off + 4, deps, NULL, 0, &sub);
    else if (t == 0x0C)
        r = rd_template(x, off + 4, deps, &sub);
    else
        r = fail(x, "a fragment holds neither an element nor a template");
    if (r < 0)
        return -1;
    *len = 4 + sub;
    return 0;
}

tl_status tl_evtx_render(tl_evtx_cache *cache, const uint8_t *chunk, size_t chunk_len,
                         size_t rec_off, size_t rec_size, tl_buf *out, tl_buf *chan,
                         uint64_t *record_id, tl_time *time, const char **why)
{
    ev_ctx x;
    memset(&x, 0, sizeof x);
    x.c = chunk;
    x.n = chunk_len;
    x.cache = cache;
    x.chan = chan;
    x.out = out;
    x.vbuf = cache->vbuf;
    x.abuf = &cache->abuf;
    size_t base = out->len;
    size_t p = rec_off + 24, end = rec_off + rec_size - 4;
    if (end > chunk_len)
        end = chunk_len;
    if (chan)
        tl_buf_reset(chan);
    while (p < end) {
        uint8_t t = chunk[p];
        if (t == 0x00)
            break;
        if (t != 0x0F) {
            fail(&x, "the record does not start with a BinXml fragment");
            break;
        }
        size_t before = out->len, used = 0;
        x.level = 0;
        if (rd_fragment(&x, p, 1, &used) < 0)
            break;
        if (x.root_seen) {
            out->len = before; /* libevtx keeps the first root element only */
            if (out->data)
                out->data[before] = '\0';
        } else if (out->len > before) {
            x.root_seen = 1;
        }
        p += used;
    }
    if (!x.why && !x.root_seen)
        fail(&x, "the record holds no element");
    const char *o = out->data ? out->data + base : "";
    if (!x.why && !out->oom &&
        (out->len - base < 7 || memcmp(o, "<Event", 6) ||
         (o[6] != ' ' && o[6] != '>' && o[6] != '/')))
        fail(&x, "the record's root element is not an Event");
    tl_status st = TL_OK;
    if (out->oom || (chan && chan->oom) || cache->abuf.oom || cache->names.oom)
        st = TL_E_NOMEM;
    else if (x.why)
        st = TL_E_PARSE;
    if (st != TL_OK && !out->oom) {
        out->len = base;
        if (out->data)
            out->data[base] = '\0';
    }
    if (st == TL_OK) {
        if (record_id)
            *record_id = x.rid;
        if (time)
            *time = x.time;
    }
    if (why)
        *why = st == TL_E_NOMEM ? "out of memory" : x.why;
    return st;
}
