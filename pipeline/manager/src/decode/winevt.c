/* SPDX-License-Identifier: MIT */
/*
 * DecodeWinevt (wazuh.md §3): the agent's eventchannel payload
 * {"Message":"<text>","Event":"<Event xmlns='...'>...</Event>"} becomes the
 * {"win":{"system":{...},"eventdata":{...}}} JSON analysisd stores as
 * full_log, plus the dotted fields JSON_Decoder would extract from it.
 *
 * Reproduced quirks (each one is visible in real alerts):
 *  - The Event string is re-encoded as a JSON string literal first
 *    (cJSON_PrintUnformatted), and the os_xml reader parses THAT text from its
 *    first '<'. So every backslash of a value arrives doubled, every '"'
 *    arrives as \" , and a double-quoted attribute fails ("XMLERR: Attribute
 *    'Name' not followed by a \" or '.") because '=' is followed by '\'.
 *  - os_xml does no entity decoding (&amp; stays 5 bytes) and knows no CDATA.
 *    A '<' preceded by an odd run of backslashes is text, not a tag (in the
 *    re-encoded text backslashes come in pairs, so values ending in '\' such
 *    as Sysmon's CurrentDirectory still close normally). Comments and <?..?>
 *    are skipped but stay in the content of the element holding them; an
 *    element's content restarts after each child element.
 *  - On an XML error only win.system.message survives.
 *  - System: Provider Name/Guid/EventSourceName, TimeCreated SystemTime (only
 *    as first attribute), Execution ProcessID/ThreadID (only as first/second
 *    attribute), Level/Keywords kept for severityValue, Correlation skipped,
 *    Security gives nothing (analysisd compares the attribute VALUE with
 *    "UserID"), any other element with content -> name with its first letter
 *    lowercased. severityValue then message are appended last.
 *  - EventData: <Data Name='X'> -> key X with the first letter lowercased;
 *    values that are empty, "-" or "(NULL)" are dropped, trailing whitespace
 *    is trimmed (never the first byte, as the C loop stops at str+1); nameless
 *    Data values are joined with ", " into "data" after all other keys.
 *  - Audit policy (Security 4719, §3.2; any event with these Data names):
 *    CategoryId/SubcategoryId stay as they are and add "category" and
 *    "subcategory" texts (only with Level and Keywords in System);
 *    AuditPolicyChanges moves to "auditPolicyChangesId" and "%%8449, %%8451"
 *    becomes auditPolicyChanges "Success added, Failure added". These keys
 *    come after the other Data keys, before "data".
 *  - Any other child of Event (UserData, ...): the children of each of its
 *    children are merged into one object named after the LAST grandchild.
 *  - Only the first top-level element is converted; later ones are read
 *    (an error in them fails the whole event) and ignored.
 *  - message = cJSON_PrintUnformatted(Message) passed through
 *    wstr_unescape_json: literal quotes at both ends, real CR/LF, single
 *    backslashes.
 *
 * Worked example (wazuh.md §3.1): Data Name='Image' with the XML text
 * C:\Windows\system32\svchost.exe gives the field win.eventdata.image with
 * the value C:\\Windows\\system32\\svchost.exe (two backslash bytes each),
 * printed in full_log as "C:\\\\Windows...".
 *
 * How (one pass, no tree): the payload is scanned without cJSON when its
 * members are plain strings (the agent's case; anything else - \u escapes,
 * numbers, nested values, bad syntax - goes to cJSON so its verdict stays
 * exact). When the Event string is already in cJSON's canonical form (the
 * agent's case) its raw text IS the re-encoded text, so the XML is read in
 * place inside the payload; otherwise it is re-encoded into a buffer first.
 * One scan of that text then does the reading and the writing: each element
 * that becomes a member gets its "key":" written when its tag is read, and
 * its content is JSON-escaped into the member list of its section (system,
 * eventdata, the extra object) while the scan looks for the next '<' - one
 * 16-byte SSE2 mask finds both the bytes to escape and the '<', clean blocks
 * are copied whole. When the element closes the member is kept, re-written
 * trimmed (rare), or dropped by moving the section's end back. Elements that
 * give nothing are only scanned. The sections live in stack buffers (heap
 * only for big events) and are joined into one allocation at the end; the
 * fields are the kept members' (key, value) slices of the text, so the hot
 * path never re-parses its own JSON
 * (test_decoders_winevt_fields_equal_json_decoder). The message of a
 * canonical payload is copied as it is: escaping wstr_unescape_json's result
 * gives back the same bytes. Bounded: nesting stops at 129 levels, attribute
 * names are checked for duplicates through a hash beyond 16 attributes, and
 * every buffer grows by doubling, so time and memory are linear in the
 * payload. The implementation this replaced is kept in
 * tests/winevt_ref/winevt_ref.c; tests/unit/test_winevt.c and the
 * eventchannel fuzz target compare the two byte for byte.
 */
#include "tasklab/winevt.h"

#include "decode/decoder_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- output buffers ------------------------------------------------------ */

/* A growable byte buffer that starts in storage its owner lends (inl, may be
 * NULL), so a typical event allocates nothing. No NUL is kept. */
typedef struct wbuf {
    char *d;
    size_t len, cap;
    char *inl;
    int oom;
} wbuf;

static void wb_init(wbuf *b, char *inl, size_t cap)
{
    b->d = inl;
    b->len = 0;
    b->cap = inl ? cap : 0;
    b->inl = inl;
    b->oom = 0;
}

static void wb_free(wbuf *b)
{
    if (b->d != b->inl)
        tl_free(b->d);
    b->d = b->inl = NULL;
    b->len = b->cap = 0;
}

/* Make cap >= len + need (doubling); 0 on OOM (then every later write is
 * dropped and the conversion returns TL_E_NOMEM). */
static int wb_grow(wbuf *b, size_t need)
{
    if (b->oom)
        return 0;
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->len + need)
        nc *= 2;
    char *p;
    if (b->d == b->inl) {
        p = tl_malloc(nc);
        if (p && b->len)
            memcpy(p, b->d, b->len);
    } else {
        p = tl_realloc(b->d, nc);
    }
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->d = p;
    b->cap = nc;
    return 1;
}

static inline int wb_room(wbuf *b, size_t need)
{
    return b->cap - b->len >= need ? !b->oom : wb_grow(b, need);
}

static inline void wb_put(wbuf *b, const char *s, size_t n)
{
    if (!n || !wb_room(b, n))
        return;
    memcpy(b->d + b->len, s, n);
    b->len += n;
}

static inline void wb_putc(wbuf *b, char c)
{
    if (!wb_room(b, 1))
        return;
    b->d[b->len++] = c;
}

/* ---- JSON escaping as cJSON prints strings ----------------------------- */

/* Bytes cJSON escapes: control bytes, '"' and '\\' (1 = needs an escape). */
static const unsigned char g_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* The second byte of a two-byte JSON escape as cJSON prints it (\" \\ \b
 * \f \n \r \t); 0 for the other bytes that need escaping (\u00XX). */
static const char g_esc2[256] = {
    ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
    ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

#if defined(__SSE2__)
/* Bit i set when byte i of w needs escaping (< 0x20, '"', '\\'). */
static inline unsigned sse_esc_mask_v(__m128i w)
{
    const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(w, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    const __m128i q = _mm_cmpeq_epi8(w, _mm_set1_epi8('"'));
    const __m128i bs = _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, bs)));
}

static inline unsigned sse_esc_mask(const unsigned char *p)
{
    return sse_esc_mask_v(_mm_loadu_si128((const __m128i *)(const void *)p));
}
#endif

/* Room an escaping loop keeps ahead of its output: one 16-byte block store
 * plus one 6-byte \u00XX escape plus a closing quote. */
#define WB_SLACK 24

/* Append p[..end) JSON-escaped (without quotes) to b; with stop_lt, stop at
 * the first '<'. Bytes up to lim (>= end) may be read: whole 16-byte blocks
 * are loaded while they fit below lim, the bytes past end masked out.
 * Returns where it stopped: end, or the '<'. */
static const char *esc_run(wbuf *b, const char *p, const char *end, const char *lim, int stop_lt)
{
    if (!wb_room(b, WB_SLACK))
        return end;
    char *o = b->d + b->len;
    const char *olim = b->d + b->cap - WB_SLACK;
    static const char hex[] = "0123456789abcdef";
    while (p < end) {
        if (o > olim) {
            b->len = (size_t)(o - b->d);
            if (!wb_grow(b, WB_SLACK))
                return end;
            o = b->d + b->len;
            olim = b->d + b->cap - WB_SLACK;
        }
#if defined(__SSE2__)
        if (lim - p >= 16) {
            const __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)o, w);
            unsigned m = sse_esc_mask_v(w);
            if (stop_lt)
                m |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('<')));
            size_t left = (size_t)(end - p);
            if (left < 16) {
                m &= (1u << left) - 1u;
                if (!m) {
                    o += left;
                    p = end;
                    break;
                }
            }
            if (!m) {
                o += 16;
                p += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            o += k;
            p += k;
        }
#endif
        unsigned char c = (unsigned char)*p;
        if (stop_lt && c == '<')
            break;
        p++;
        if (!g_esc[c]) {
            *o++ = (char)c;
            continue;
        }
        o[0] = '\\';
        if (g_esc2[c]) {
            o[1] = g_esc2[c];
            o += 2;
        } else {
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        }
    }
    b->len = (size_t)(o - b->d);
    return p;
}

/* "s[0..n)" JSON-escaped with quotes, as cJSON prints a string. */
static void wb_json_str(wbuf *b, const char *s, size_t n, const char *lim)
{
    wb_putc(b, '"');
    esc_run(b, s, s + n, lim, 0);
    wb_putc(b, '"');
}

/* memchr for the short spans of an event's XML (a value, a tag): inline, so
 * the many calls per event cost no library call and set-up. */
static inline const char *find_byte(const char *p, const char *end, char c)
{
#if defined(__SSE2__)
    const __m128i v = _mm_set1_epi8(c);
    while (end - p >= 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), v));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    for (; p < end; p++)
        if (*p == c)
            return p;
    return NULL;
}

#if !defined(__SSE2__)
/* 1 when one of the 8 bytes of w needs escaping (< 0x20, '"' or '\\'). */
static inline int swar_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t lt20 = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"');
    uint64_t bs = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q;
    uint64_t zb = (bs - ones) & ~bs;
    return ((lt20 | zq | zb) & high) != 0;
}
#endif

/* ---- the agent payload without cJSON (common case) ----------------------- */

/* One string member value of the payload object, as raw JSON text between
 * its quotes. `canon` = the raw text is exactly what cJSON would print for
 * the decoded string (no "\/", no raw control bytes), so the re-encode is a
 * plain copy. */
typedef struct jspan {
    const char *p;
    size_t n;
    int set;
    int canon;
} jspan;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= 32)
        p++;
    return p;
}

/* What may follow a backslash in a JSON string: 1 an escape cJSON prints
 * the same way, 2 "\/" (valid, printed back as '/'), 0 anything else ("\u"
 * included: cJSON decides those). */
static const unsigned char g_jesc_ok[256] = {
    ['"'] = 1, ['\\'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1, ['/'] = 2,
};

/* The rest of a JSON string value from *pp (after its opening quote) to its
 * closing quote: 1 with *pp at that quote, 0 when the fast path must give
 * up (unterminated, "\u" or a bad escape). *canon drops to 0 on "\/" or a raw
 * control byte. The 16-byte blocks handle every escape of a block from one
 * mask (paths and messages are dense with them). */
static int scan_str(const char **pp, const char *end, int *canon)
{
    const char *p = *pp;
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned m = sse_esc_mask((const unsigned char *)p);
        const char *next = p + 16;
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            unsigned char c = (unsigned char)p[k];
            if (c == '"') {
                *pp = p + k;
                return 1;
            }
            if (c == '\\') {
                if (p + k + 1 >= end)
                    return 0;
                unsigned char ok = g_jesc_ok[(unsigned char)p[k + 1]];
                if (!ok)
                    return 0;
                if (ok == 2)
                    *canon = 0;
                if (k == 15) { /* the escaped byte opens the next block */
                    next = p + 17;
                    break;
                }
                m &= ~(3u << k); /* the backslash and the byte it escapes */
                continue;
            }
            *canon = 0; /* raw control byte: cJSON accepts it, prints \u00XX */
            m &= m - 1;
        }
        p = next;
    }
#else
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (swar_needs_escape(w))
            break;
        p += 8;
    }
#endif
    for (;;) {
        while (p < end && !g_esc[(unsigned char)*p])
            p++;
        if (p >= end)
            return 0; /* unterminated */
        if (*p == '"') {
            *pp = p;
            return 1;
        }
        if (*p == '\\') {
            unsigned char ok = p + 1 < end ? g_jesc_ok[(unsigned char)p[1]] : 0;
            if (!ok)
                return 0;
            if (ok == 2)
                *canon = 0;
            p += 2;
        } else {
            *canon = 0;
            p++;
        }
    }
}

/* Scan {"k":"v",...} where every value is a string without \u escapes and
 * every key is escape-free. Returns 1 with the first "Event"/"Message"
 * members (cJSON_GetObjectItem compares case-insensitively), 0 when anything
 * else is seen: the caller then lets cJSON decide, so odd inputs (numbers,
 * nested values, \u escapes, bad syntax, a BOM) keep cJSON's exact verdict. */
static int fast_scan(const char *s, size_t len, jspan *ev, jspan *msg)
{
    const char *p = s, *end = s + len;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return 0;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return 0;
        const char *k = ++p;
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (p >= end || *p != '"')
            return 0;
        size_t kn = (size_t)(p - k);
        p = skip_ws(p + 1, end);
        if (p >= end || *p != ':')
            return 0;
        p = skip_ws(p + 1, end);
        if (p >= end || *p != '"')
            return 0;
        const char *v = ++p;
        int canon = 1;
        if (!scan_str(&p, end, &canon))
            return 0;
        jspan sp = {v, (size_t)(p - v), 1, canon};
        if (kn == 5 && !ev->set && tl_strncasecmp(k, "Event", 5) == 0)
            *ev = sp;
        else if (kn == 7 && !msg->set && tl_strncasecmp(k, "Message", 7) == 0)
            *msg = sp;
        p = skip_ws(p + 1, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return 1;
        return 0;
    }
}

/* cJSON_PrintUnformatted of the string a span holds. */
static void span_print(wbuf *b, const jspan *sp)
{
    if (sp->canon) {
        wb_putc(b, '"');
        wb_put(b, sp->p, sp->n);
        wb_putc(b, '"');
        return;
    }
    wbuf dec;
    wb_init(&dec, NULL, 0);
    if (!wb_room(&dec, sp->n + 1)) {
        b->oom = 1;
        return;
    }
    char *o = dec.d;
    for (size_t i = 0; i < sp->n; i++) {
        char c = sp->p[i];
        if (c == '\\' && i + 1 < sp->n) {
            char e = sp->p[++i];
            switch (e) {
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            default: c = e; break; /* " \\ / */
            }
        }
        *o++ = c;
    }
    dec.len = (size_t)(o - dec.d);
    wb_json_str(b, dec.d, dec.len, dec.d + dec.len);
    wb_free(&dec);
}

/* Stage 1 of DecodeWinevt: where the re-encoded Event text (what os_xml
 * reads) and the printed Message are. */
typedef struct wtexts {
    const char *xml, *xml_lim; /* the XML text; bytes up to xml_lim may be read */
    size_t xml_n;
    int has_msg;
    int msg_canon;    /* msg is a canonical JSON string's raw text (no quotes) */
    const char *msg;  /* else cJSON_PrintUnformatted(Message) */
    size_t msg_n;
} wtexts;

/* A re-encoded text in b, with 16 zero bytes after it (so it can be read in
 * whole blocks). */
static void texts_from_buf(wbuf *b, const char **p, size_t *n, const char **lim)
{
    if (wb_room(b, 16))
        memset(b->d + b->len, 0, 16);
    *p = b->d ? b->d : "";
    *n = b->d ? b->len : 0;
    *lim = *p + (b->d ? b->len + 16 : 0);
}

/* payload[plen] is its NUL. enc and pmsg receive the texts that are not in
 * place in the payload. */
static tl_status payload_texts(const char *payload, size_t plen, wbuf *enc, wbuf *pmsg,
                               wtexts *t, tl_diag *d)
{
    tl_status st = TL_OK;
    jspan ev = {NULL, 0, 0, 0}, msg = {NULL, 0, 0, 0};
    memset(t, 0, sizeof *t);
    if (fast_scan(payload, plen, &ev, &msg)) {
        if (!ev.set) {
            tl_diag_set(d, NULL, 0, "Malformed JSON received. No 'Event' field found.");
            return TL_E_PARSE;
        }
        if (ev.canon) {
            /* the raw text is what cJSON would print between the quotes (the
             * quotes themselves never change what os_xml reads: it starts at
             * the first '<' and a text ending inside a tag fails either way) */
            t->xml = ev.p;
            t->xml_n = ev.n;
            t->xml_lim = payload + plen + 1;
        } else {
            span_print(enc, &ev);
            texts_from_buf(enc, &t->xml, &t->xml_n, &t->xml_lim);
        }
        if (msg.set) {
            t->has_msg = 1;
            if (msg.canon) {
                t->msg_canon = 1;
                t->msg = msg.p;
                t->msg_n = msg.n;
            } else {
                span_print(pmsg, &msg);
                t->msg = pmsg->d ? pmsg->d : "";
                t->msg_n = pmsg->len;
            }
        }
        if (enc->oom || pmsg->oom)
            return TL_E_NOMEM;
        return TL_OK;
    }
    tl_cjson_hooks_init();
    const char *endp = NULL;
    cJSON *root = cJSON_ParseWithOpts(payload, &endp, 0);
    if (!root) {
        tl_diag_set(d, NULL, 0, "Malformed EventChannel JSON event.");
        return TL_E_PARSE;
    }
    cJSON *items[2] = {cJSON_GetObjectItem(root, "Event"), cJSON_GetObjectItem(root, "Message")};
    wbuf *dst[2] = {enc, pmsg};
    if (!items[0]) {
        tl_diag_set(d, NULL, 0, "Malformed JSON received. No 'Event' field found.");
        TL_FAIL(TL_E_PARSE);
    }
    for (int i = 0; i < 2; i++) {
        if (!items[i])
            continue;
        if (cJSON_IsString(items[i])) {
            const char *vs = items[i]->valuestring ? items[i]->valuestring : "";
            size_t vn = strlen(vs);
            wb_json_str(dst[i], vs, vn, vs + vn);
        } else {
            char *p = cJSON_PrintUnformatted(items[i]);
            TL_TRY_ALLOC(p);
            wb_put(dst[i], p, strlen(p));
            cJSON_free(p);
        }
    }
    texts_from_buf(enc, &t->xml, &t->xml_n, &t->xml_lim);
    if (items[1]) {
        t->has_msg = 1;
        t->msg = pmsg->d ? pmsg->d : "";
        t->msg_n = pmsg->len;
    }
    if (enc->oom || pmsg->oom)
        st = TL_E_NOMEM;
cleanup:
    cJSON_Delete(root);
    return st;
}

/* ---- the single pass: os_xml's reading, DecodeWinevt's writing ----------- */

enum { SEC_SYSTEM = 0, SEC_EVENTDATA, SEC_EXTRA };

/* A kept member: its key and value (both raw, as in the text) for the
 * fields; sec says which object it is in. */
typedef struct wkv {
    const char *k;
    size_t kn;
    const char *v;
    size_t vn;
    unsigned char sec;
    unsigned char lower; /* lowercase the first byte of k */
} wkv;

typedef struct xslice {
    const char *p;
    size_t n;
} xslice;

typedef struct xattr {
    xslice name, value;
} xattr;

/* What an element is to the conversion (from its parent's role and its name). */
enum {
    R_NONE,      /* read only */
    R_ROOT,      /* the first top-level element */
    R_SYS,       /* <System> under it */
    R_ED,        /* <EventData> under it */
    R_OTHER,     /* any other child of it (UserData, ...) */
    R_SYSITEM,   /* a child of System */
    R_EDITEM,    /* a child of EventData */
    R_OTHERITEM, /* a child of R_OTHER: names the extra object */
    R_EXVAL      /* a child of R_OTHERITEM: a member of the extra object */
};

/* What the content of an element gives when it closes. */
enum {
    K_NONE,     /* nothing */
    K_ALWAYS,   /* the member, even empty (Channel, Level, Keywords) */
    K_NONEMPTY, /* the member when the content is not empty (System's others) */
    K_KEEP,     /* the member unless empty, "-" or "(NULL)"; trailing space trimmed */
    K_ANON      /* as K_KEEP, but into the joined "data" text */
};

/* Side effects of a kept value (which Data it was). */
enum { A_NONE, A_LEVEL, A_KEYWORDS, A_APC, A_CAT, A_SUB };

typedef struct wframe {
    const char *name; /* the element name (close tag check, backslash look-back bound) */
    size_t nlen;
    const char *cstart; /* where its content (re)started */
    unsigned char role, kind, act, sec;
    /* the member being written (kind != K_NONE, K_ANON) */
    const char *key;
    size_t klen;
    int lower;
    size_t item_at; /* section length before the member: dropping it */
    size_t val_at;  /* section length after the value's opening quote */
} wframe;

#define XML_MAX_DEPTH 128
#define WKV_INLINE 64
#define WAT_INLINE 16

typedef struct audit_ids {
    xslice cat, sub, apc; /* last kept values (trimmed) */
    int has_cat, has_sub, has_apc;
} audit_ids;

typedef struct wconv {
    const char *end, *lim; /* the text's end; bytes up to lim may be read */
    wbuf *sec;             /* [3] the members of system, eventdata, the extra object */
    wbuf *joined;          /* nameless Data values, ", "-joined (raw) */
    wkv *kv;
    size_t nkv, capkv;
    xslice level, keywords;
    int has_level, has_keywords;
    audit_ids au;
    xslice extra;
    int has_extra;
    int roots;
    int oom;
    /* the attributes of the element being read */
    xattr *at;
    size_t nat, capat;
    uint32_t *ah; /* open-addressing set of attribute names (index + 1), beyond WAT_INLINE */
    size_t ahcap, ahn;
    wkv inl_kv[WKV_INLINE];
    xattr inl_at[WAT_INLINE];
    wframe st[XML_MAX_DEPTH + 1];
} wconv;

/* Double an array that may still live in its owner's inline storage. */
static void *grow_inline(void *cur, const void *inl, size_t *cap, size_t elsz)
{
    size_t nc = *cap * 2;
    void *nw;
    if (cur == inl) {
        nw = tl_malloc(nc * elsz);
        if (nw)
            memcpy(nw, cur, *cap * elsz);
    } else {
        nw = tl_realloc(cur, nc * elsz);
    }
    if (nw)
        *cap = nc;
    return nw;
}

static void kv_add(wconv *c, int sec, const char *k, size_t kn, int lower, const char *v, size_t vn)
{
    if (c->oom)
        return;
    if (c->nkv == c->capkv) {
        wkv *nw = grow_inline(c->kv, c->inl_kv, &c->capkv, sizeof *nw);
        if (!nw) {
            c->oom = 1;
            return;
        }
        c->kv = nw;
    }
    wkv *e = &c->kv[c->nkv++];
    e->k = k;
    e->kn = kn;
    e->v = v;
    e->vn = vn;
    e->sec = (unsigned char)sec;
    e->lower = (unsigned char)lower;
}

/* [,]"key": with the key JSON-escaped and, when lower, its first byte
 * lowercased (an escaped first byte starts with '\\', which tolower keeps). */
static void put_key(wbuf *b, const char *k, size_t kn, int lower, const char *lim)
{
    /* the common key (an element or attribute name) needs no escaping: one
     * reservation, one copy */
    size_t i = 0;
    while (i < kn && !g_esc[(unsigned char)k[i]])
        i++;
    if (i == kn && wb_room(b, kn + 4)) {
        char *o = b->d + b->len;
        if (b->len)
            *o++ = ',';
        *o++ = '"';
        memcpy(o, k, kn);
        if (lower && kn > 0)
            *o = (char)tolower((unsigned char)*o);
        o += kn;
        *o++ = '"';
        *o++ = ':';
        b->len = (size_t)(o - b->d);
        return;
    }
    if (b->len)
        wb_putc(b, ',');
    wb_putc(b, '"');
    size_t at = b->len;
    esc_run(b, k, k + kn, lim, 0);
    if (lower && kn > 0 && !b->oom)
        b->d[at] = (char)tolower((unsigned char)b->d[at]);
    wb_put(b, "\":", 2);
}

/* A member with a constant key that needs no escaping. */
static void put_member_lit(wconv *c, int sec, const char *k, size_t kn, const char *v, size_t vn,
                           const char *lim)
{
    wbuf *b = &c->sec[sec];
    if (b->len)
        wb_putc(b, ',');
    wb_putc(b, '"');
    wb_put(b, k, kn);
    wb_put(b, "\":", 2);
    wb_json_str(b, v, vn, lim);
    kv_add(c, sec, k, kn, 0, v, vn);
}

static int xeq(const char *p, size_t n, const char *lit, size_t ln)
{
    return n == ln && memcmp(p, lit, ln) == 0;
}
#define XEQ(p, n, lit) xeq((p), (n), (lit), sizeof(lit) - 1)

/* replace_win_format's trim: drop trailing whitespace but never byte 0. */
static size_t wtrim_len(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t e = n - 1;
    while (e > 0 && isspace((unsigned char)p[e]))
        e--;
    /* the C loop stops with end == str even if str[0] is a space */
    return e + 1;
}

static int wkeep(const char *p, size_t n)
{
    return n > 0 && !XEQ(p, n, "-") && !XEQ(p, n, "(NULL)");
}

/* EventData names DecodeWinevt translates (wazuh.md §3.2), matched after the
 * first-letter lowercasing, so "CategoryId" and "categoryId" both count. */
static int audit_name(xslice n, char up, const char *rest, size_t rl)
{
    return n.n == rl + 1 && (n.p[0] == up || n.p[0] == up + 32) && memcmp(n.p + 1, rest, rl) == 0;
}

/* ---- reading a tag (os_xml _ReadElem / _getattributes) ------------------- */

/* '>' and the C locale's isspace bytes: where an element name ends. */
static const unsigned char g_name_stop[256] = {
    ['>'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* Bytes that end an attribute name: '>', '/', '=' and the C locale's isspace. */
static const unsigned char g_attr_stop[256] = {
    ['>'] = 1,  ['/'] = 1,  ['='] = 1,  [' '] = 1,  ['\t'] = 1,
    ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* The first byte of p[..end) that ends an element name, or end. */
static inline const char *scan_name(const char *p, const char *end, const char *lim)
{
#if defined(__SSE2__)
    while (lim - p >= 16 && p < end) {
        const __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
        const __m128i t = _mm_sub_epi8(w, _mm_set1_epi8(9)); /* \t..\r -> 0..4 */
        const __m128i ws = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t);
        const __m128i gt = _mm_cmpeq_epi8(w, _mm_set1_epi8('>'));
        const __m128i sp = _mm_cmpeq_epi8(w, _mm_set1_epi8(' '));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(ws, _mm_or_si128(gt, sp)));
        if (m) {
            const char *q = p + __builtin_ctz(m);
            return q < end ? q : end;
        }
        p += 16;
    }
    if (p >= end)
        return end;
#endif
    while (p < end && !g_name_stop[(unsigned char)*p])
        p++;
    return p;
}

static uint32_t name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Put attribute i into the name set (which has room). */
static void ah_insert(wconv *c, size_t i)
{
    size_t mask = c->ahcap - 1;
    size_t h = name_hash(c->at[i].name.p, c->at[i].name.n) & mask;
    while (c->ah[h])
        h = (h + 1) & mask;
    c->ah[h] = (uint32_t)(i + 1);
    c->ahn++;
}

/* (Re)build the name set for the element's attributes 0..nat-1 with room
 * for twice as many. -1 on OOM. */
static int ah_rebuild(wconv *c, size_t want)
{
    size_t cap = 64;
    while (cap < want * 2)
        cap *= 2;
    if (cap > c->ahcap) {
        uint32_t *nw = tl_realloc(c->ah, cap * sizeof *nw);
        if (!nw)
            return -1;
        c->ah = nw;
        c->ahcap = cap;
    }
    memset(c->ah, 0, c->ahcap * sizeof *c->ah);
    c->ahn = 0;
    for (size_t i = 0; i < c->nat; i++)
        ah_insert(c, i);
    return 0;
}

/* 1 when an attribute of the element being read is already named n. */
static int attr_defined(wconv *c, xslice n)
{
    if (c->nat < WAT_INLINE) {
        for (size_t i = 0; i < c->nat; i++)
            if (c->at[i].name.n == n.n && memcmp(c->at[i].name.p, n.p, n.n) == 0)
                return 1;
        return 0;
    }
    if (c->ahn != c->nat) /* first use for this element */
        if (ah_rebuild(c, c->nat + 1) < 0) {
            c->oom = 1;
            return 1;
        }
    size_t mask = c->ahcap - 1;
    for (size_t h = name_hash(n.p, n.n) & mask; c->ah[h]; h = (h + 1) & mask) {
        const xattr *a = &c->at[c->ah[h] - 1];
        if (a->name.n == n.n && memcmp(a->name.p, n.p, n.n) == 0)
            return 1;
    }
    return 0;
}

static int attr_add(wconv *c, xslice name, xslice value)
{
    if (c->nat == c->capat) {
        xattr *nw = grow_inline(c->at, c->inl_at, &c->capat, sizeof *nw);
        if (!nw) {
            c->oom = 1;
            return -1;
        }
        c->at = nw;
    }
    c->at[c->nat].name = name;
    c->at[c->nat].value = value;
    c->nat++;
    if (c->nat > WAT_INLINE) { /* the name set is in use: keep it current */
        if (c->ahn * 2 + 2 > c->ahcap) {
            if (ah_rebuild(c, c->nat) < 0) {
                c->oom = 1;
                return -1;
            }
        } else {
            ah_insert(c, c->nat - 1);
        }
    }
    return 0;
}

/* os_xml _getattributes from p (after the space that ended the name): the
 * position after the '>' or '/' that ends the tag (*slash = 1 for '/'), or
 * NULL on an error. */
static const char *read_attrs(wconv *c, const char *p, int *slash)
{
    const char *end = c->end;
    const char *ns = NULL;
    while (p < end) {
        char ch = *p;
        if (ch == '>' || ch == '/') {
            if (ns)
                return NULL; /* "Attribute '%s' has no value." */
            *slash = ch == '/';
            return p + 1;
        }
        if (ch == '=') {
            xslice name = {ns ? ns : p, ns ? (size_t)(p - ns) : 0};
            if (attr_defined(c, name))
                return NULL; /* "Attribute '%s' already defined." */
            p++;
            while (p < end && *p != '>' && g_name_stop[(unsigned char)*p])
                p++;
            if (p >= end || (*p != '"' && *p != '\''))
                return NULL; /* "not followed by a \" or '." */
            const char *vs = p + 1;
            const char *q = find_byte(vs, end, *p);
            if (!q)
                return NULL; /* "End of file while reading an attribute." */
            xslice v = {vs, (size_t)(q - vs)};
            if (attr_add(c, name, v) < 0)
                return NULL;
            ns = NULL;
            p = q + 1;
            continue;
        }
        if (g_name_stop[(unsigned char)ch]) { /* a space */
            if (ns)
                return NULL; /* "Attribute '%s' has no value." */
            p++;
            continue;
        }
        /* a name starts: its other bytes take none of the branches above */
        ns = p++;
        while (p < end && !g_attr_stop[(unsigned char)*p])
            p++;
    }
    return NULL; /* "End of file while reading an attribute." */
}

/* "<!--...-->" and "<?...?>" at p (which is '<'): 1 with *pp after it, 0 not
 * one, -1 unterminated. */
static int skip_comment_slow(const char **pp, const char *end)
{
    const char *p = *pp;
    if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
        for (const char *q = p + 4; q + 3 <= end; q++)
            if (q[0] == '-' && q[1] == '-' && q[2] == '>') {
                *pp = q + 3;
                return 1;
            }
        return -1;
    }
    if (p[1] == '?') {
        for (const char *q = p + 2; q + 2 <= end; q++)
            if (q[0] == '?' && q[1] == '>') {
                *pp = q + 2;
                return 1;
            }
        return -1;
    }
    return 0;
}

static inline int skip_comment(const char **pp, const char *end)
{
    const char *p = *pp;
    if (end - p < 2 || (p[1] != '!' && p[1] != '?'))
        return 0;
    return skip_comment_slow(pp, end);
}

/* ---- what an element gives ----------------------------------------------- */

/* Start the member of f in section sec: "key":" (its content follows). */
static void member_open(wconv *c, wframe *f, int sec, const char *k, size_t kn, int lower)
{
    wbuf *b = &c->sec[sec];
    f->sec = (unsigned char)sec;
    f->key = k;
    f->klen = kn;
    f->lower = lower;
    f->item_at = b->len;
    put_key(b, k, kn, lower, c->lim);
    wb_putc(b, '"');
    f->val_at = b->len;
}

/* The role of a new element at depth d named (n, nn) with the attributes in
 * c->at; writes what its tag alone gives. */
static void elem_open(wconv *c, wframe *f, int d, const char *n, size_t nn)
{
    unsigned char pr = d ? c->st[d - 1].role : R_NONE;
    f->role = R_NONE;
    f->kind = K_NONE;
    f->act = A_NONE;
    if (d == 0) {
        if (c->roots++ == 0)
            f->role = R_ROOT;
        return;
    }
    const xattr *at = c->at;
    switch (pr) {
    case R_ROOT:
        f->role = XEQ(n, nn, "System") ? R_SYS : XEQ(n, nn, "EventData") ? R_ED : R_OTHER;
        return;
    case R_SYS:
        f->role = R_SYSITEM;
        switch (nn) {
        case 8:
            if (XEQ(n, nn, "Provider")) {
                for (size_t l = 0; l < c->nat; l++) {
                    const xattr *a = &at[l];
                    if (XEQ(a->name.p, a->name.n, "Name"))
                        put_member_lit(c, SEC_SYSTEM, "providerName", 12, a->value.p, a->value.n,
                                       c->lim);
                    else if (XEQ(a->name.p, a->name.n, "Guid"))
                        put_member_lit(c, SEC_SYSTEM, "providerGuid", 12, a->value.p, a->value.n,
                                       c->lim);
                    else if (XEQ(a->name.p, a->name.n, "EventSourceName"))
                        put_member_lit(c, SEC_SYSTEM, "eventSourceName", 15, a->value.p,
                                       a->value.n, c->lim);
                }
                return;
            }
            if (XEQ(n, nn, "Security")) {
                /* analysisd tests values[0] == "UserID": never true */
                if (c->nat > 0 && XEQ(at[0].value.p, at[0].value.n, "UserID"))
                    put_member_lit(c, SEC_SYSTEM, "securityUserID", 14, at[0].value.p,
                                   at[0].value.n, c->lim);
                return;
            }
            if (XEQ(n, nn, "Keywords")) {
                f->kind = K_ALWAYS;
                f->act = A_KEYWORDS;
                member_open(c, f, SEC_SYSTEM, "keywords", 8, 0);
                return;
            }
            break;
        case 11:
            if (XEQ(n, nn, "TimeCreated")) {
                if (c->nat > 0 && XEQ(at[0].name.p, at[0].name.n, "SystemTime"))
                    put_member_lit(c, SEC_SYSTEM, "systemTime", 10, at[0].value.p, at[0].value.n,
                                   c->lim);
                return;
            }
            if (XEQ(n, nn, "Correlation"))
                return;
            break;
        case 9:
            if (XEQ(n, nn, "Execution")) {
                if (c->nat > 0 && XEQ(at[0].name.p, at[0].name.n, "ProcessID"))
                    put_member_lit(c, SEC_SYSTEM, "processID", 9, at[0].value.p, at[0].value.n,
                                   c->lim);
                if (c->nat > 1 && XEQ(at[1].name.p, at[1].name.n, "ThreadID"))
                    put_member_lit(c, SEC_SYSTEM, "threadID", 8, at[1].value.p, at[1].value.n,
                                   c->lim);
                return;
            }
            break;
        case 7:
            if (XEQ(n, nn, "Channel")) {
                f->kind = K_ALWAYS;
                member_open(c, f, SEC_SYSTEM, "channel", 7, 0);
                return;
            }
            break;
        case 5:
            if (XEQ(n, nn, "Level")) {
                f->kind = K_ALWAYS;
                f->act = A_LEVEL;
                member_open(c, f, SEC_SYSTEM, "level", 5, 0);
                return;
            }
            break;
        default: break;
        }
        f->kind = K_NONEMPTY;
        member_open(c, f, SEC_SYSTEM, n, nn, 1);
        return;
    case R_ED:
        f->role = R_EDITEM;
        if (XEQ(n, nn, "Data")) {
            for (size_t l = 0; l < c->nat; l++) {
                if (!XEQ(at[l].name.p, at[l].name.n, "Name"))
                    continue;
                xslice nm = at[l].value;
                f->kind = K_KEEP;
                if (audit_name(nm, 'A', "uditPolicyChanges", 17)) {
                    /* the codes move to auditPolicyChangesId */
                    f->act = A_APC;
                    member_open(c, f, SEC_EVENTDATA, "auditPolicyChangesId", 20, 0);
                    return;
                }
                if (audit_name(nm, 'C', "ategoryId", 9))
                    f->act = A_CAT;
                else if (audit_name(nm, 'S', "ubcategoryId", 12))
                    f->act = A_SUB;
                member_open(c, f, SEC_EVENTDATA, nm.p, nm.n, 1);
                return;
            }
            f->kind = K_ANON;
            return;
        }
        f->kind = K_KEEP;
        member_open(c, f, SEC_EVENTDATA, n, nn, 1);
        return;
    case R_OTHER:
        f->role = R_OTHERITEM;
        c->extra.p = n;
        c->extra.n = nn;
        c->has_extra = 1;
        return;
    case R_OTHERITEM:
        f->role = R_EXVAL;
        f->kind = K_KEEP;
        member_open(c, f, SEC_EXTRA, n, nn, 1);
        return;
    default: return;
    }
}

/* f closes with the content [cs, ce); the section holds the escaped content
 * after f->val_at. */
static void elem_close(wconv *c, wframe *f, const char *cs, const char *ce)
{
    if (f->kind == K_NONE)
        return;
    size_t n = (size_t)(ce - cs);
    if (f->kind == K_ANON) {
        if (!wkeep(cs, n))
            return;
        n = wtrim_len(cs, n);
        if (c->joined->len > 0)
            wb_put(c->joined, ", ", 2);
        wb_put(c->joined, cs, n);
        return;
    }
    wbuf *b = &c->sec[f->sec];
    if (f->kind == K_NONEMPTY ? n == 0 : f->kind == K_KEEP && !wkeep(cs, n)) {
        b->len = f->item_at; /* dropped */
        return;
    }
    if (f->kind == K_KEEP) {
        size_t tn = wtrim_len(cs, n);
        if (tn != n) { /* re-written trimmed */
            b->len = f->val_at;
            esc_run(b, cs, cs + tn, c->lim, 0);
            n = tn;
        }
    }
    wb_putc(b, '"');
    kv_add(c, f->sec, f->key, f->klen, f->lower, cs, n);
    switch (f->act) {
    case A_LEVEL:
        c->level.p = cs;
        c->level.n = n;
        c->has_level = 1;
        break;
    case A_KEYWORDS:
        c->keywords.p = cs;
        c->keywords.n = n;
        c->has_keywords = 1;
        break;
    case A_APC:
        c->au.apc.p = cs;
        c->au.apc.n = n;
        c->au.has_apc = 1;
        break;
    case A_CAT:
        c->au.cat.p = cs;
        c->au.cat.n = n;
        c->au.has_cat = 1;
        break;
    case A_SUB:
        c->au.sub.p = cs;
        c->au.sub.n = n;
        c->au.has_sub = 1;
        break;
    default: break;
    }
}

/* The text as os_xml reads it (OS_ReadXMLString: every top-level element,
 * each in full), writing the members as it goes. 0 read, -1 an XML error
 * (or OOM: c->oom). */
static int xml_convert(wconv *c, const char *p)
{
    const char *end = c->end, *lim = c->lim;
    int d = 0; /* open elements */
    for (;;) {
        if (c->oom)
            return -1;
        if (d == 0) {
            const char *lt = find_byte(p, end, '<');
            if (!lt)
                return 0;
            p = lt;
            int cm = skip_comment(&p, end);
            if (cm < 0)
                return -1; /* "Comment not closed." */
            if (cm > 0)
                continue;
            if (end - p >= 2 && p[1] == '/')
                return -1; /* "Element not opened." */
        } else {
            wframe *f = &c->st[d - 1];
            int writing = f->kind != K_NONE && f->kind != K_ANON;
            const char *lt;
            if (writing) {
                lt = esc_run(&c->sec[f->sec], p, end, lim, 1);
            } else {
                lt = find_byte(p, end, '<');
                if (!lt)
                    lt = end;
            }
            if (lt >= end)
                return -1; /* "End of file and some elements were not closed." */
            p = lt;
            int cm = skip_comment(&p, end);
            if (cm < 0)
                return -1;
            if (cm > 0) { /* a comment stays in the content */
                if (writing)
                    esc_run(&c->sec[f->sec], lt, p, lim, 0);
                continue;
            }
            /* a '<' after an odd run of backslashes is text */
            size_t bs = 0;
            while (lt - bs > f->name && lt[-(ptrdiff_t)bs - 1] == '\\')
                bs++;
            if (bs & 1) {
                if (writing)
                    wb_putc(&c->sec[f->sec], '<');
                p++;
                continue;
            }
            if (end - p >= 2 && p[1] == '/') {
                const char *cs = p + 2;
                if ((size_t)(end - cs) <= f->nlen || cs[f->nlen] != '>')
                    return -1; /* "Element '%s' not closed." (or end of file) */
                for (size_t i = 0; i < f->nlen; i++)
                    if (cs[i] != f->name[i])
                        return -1;
                elem_close(c, f, f->cstart, lt);
                p = cs + f->nlen + 1;
                d--;
                if (d > 0) /* os_xml restarts its content buffer after a child */
                    c->st[d - 1].cstart = p;
                continue;
            }
            if (writing) /* the content so far is dropped by the child */
                c->sec[f->sec].len = f->val_at;
        }
        /* an element opens at p */
        if (d > XML_MAX_DEPTH)
            return -1; /* "Max recursion level reached." */
        p++;
        const char *ns = p;
        p = scan_name(p, end, lim);
        if (p >= end)
            return -1; /* "End of file and some elements were not closed." */
        size_t nn = (size_t)(p - ns);
        int selfclose = 0;
        if (nn > 0 && ns[nn - 1] == '/') {
            selfclose = 1;
            nn--;
        }
        c->nat = 0;
        c->ahn = 0;
        if (*p != '>') { /* a space: attributes */
            int slash = 0;
            p = read_attrs(c, p + 1, &slash);
            if (!p)
                return -1;
            if (slash)
                selfclose = 1;
        } else {
            p++;
        }
        wframe *f = &c->st[d];
        f->name = ns;
        f->nlen = nn;
        elem_open(c, f, d, ns, nn);
        if (selfclose) {
            elem_close(c, f, p, p);
            if (d > 0)
                c->st[d - 1].cstart = p;
        } else {
            f->cstart = p;
            d++;
        }
    }
}

/* ---- severity, audit policy, message ---------------------------------- */

static const char *severity_name(int level, unsigned long long kw)
{
    switch (level) {
    case 0:
        if (kw & 0x10000000000000ULL)
            return "AUDIT_FAILURE";
        if (kw & 0x20000000000000ULL)
            return "AUDIT_SUCCESS";
        return "UNKNOWN";
    case 1: return "CRITICAL";
    case 2: return "ERROR";
    case 3: return "WARNING";
    case 4: return "INFORMATION";
    case 5: return "VERBOSE";
    default: return "UNKNOWN";
    }
}

static void slice_cstr(xslice s, char *out, size_t outsz)
{
    size_t n = s.n < outsz - 1 ? s.n : outsz - 1;
    memcpy(out, s.p, n);
    out[n] = '\0';
}

/* wstr_unescape_json's table: the byte a backslash pair stands for, 0 when
 * the backslash is kept as it is. */
static const char g_unesc[256] = {
    ['b'] = '\b', ['t'] = '\t', ['n'] = '\n', ['f'] = '\f',
    ['r'] = '\r', ['"'] = '"', ['\\'] = '\\',
};

/* wstr_unescape_json: \b \t \n \f \r \" \\ back to bytes, anything else kept. */
static void unescape_json(wbuf *out, const char *s, size_t n)
{
    if (!wb_room(out, n + 16)) /* the result is never longer; 16 for block copies */
        return;
    char *o = out->d + out->len;
    size_t i = 0;
    for (;;) {
#if defined(__SSE2__)
        /* whole blocks up to the next backslash (the output never runs ahead
         * of the input, so a 16-byte store stays in the n + 16 reserved) */
        while (i + 16 <= n) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)o, w);
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('\\')));
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                i += k;
                o += k;
                goto esc;
            }
            i += 16;
            o += 16;
        }
#endif
        while (i < n && s[i] != '\\')
            *o++ = s[i++];
        if (i >= n)
            break;
#if defined(__SSE2__)
    esc:;
#endif
        char r = i + 1 < n ? g_unesc[(unsigned char)s[i + 1]] : '\0';
        if (r) {
            *o++ = r;
            i += 2;
        } else {
            *o++ = '\\';
            i += 1;
        }
    }
    out->len = (size_t)(o - out->d);
}

/* ---- audit policy translation (wazuh.md §3.2) ---------------------------- */

typedef struct audit_sub {
    int id;
    const char *name;
} audit_sub;

static const audit_sub g_sub_8272[] = {{12288, "Security State Change"},
                                       {12289, "Security System Extension"},
                                       {12290, "System Integrity"},
                                       {12291, "IPsec Driver"},
                                       {12292, "Other System Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8273[] = {
    {12544, "Logon"},           {12545, "Logoff"},
    {12546, "Account Lockout"}, {12547, "IPsec Main Mode"},
    {12548, "Special Logon"},   {12549, "IPSec Extended Mode"},
    {12550, "IPSec Quick Mode"}, {12551, "Other Logon/Logoff Events"},
    {12552, "Network Policy Server"}, {12553, "User/Device Claims"},
    {12554, "Group Membership"}, {0, NULL}};
static const audit_sub g_sub_8274[] = {{12800, "File System"},
                                       {12801, "Registry"},
                                       {12802, "Kernel Object"},
                                       {12803, "SAM"},
                                       {12804, "Other Object Access Events"},
                                       {12805, "Certification Services"},
                                       {12806, "Application Generated"},
                                       {12807, "Handle Manipulation"},
                                       {12808, "File Share"},
                                       {12809, "Filtering Platform Packet Drop"},
                                       {12810, "Filtering Platform Connection"},
                                       {12811, "Detailed File Share"},
                                       {12812, "Removable Storage"},
                                       {12813, "Central Policy Staging"},
                                       {0, NULL}};
static const audit_sub g_sub_8275[] = {{13056, "Sensitive Privilege Use"},
                                       {13057, "Non Sensitive Privilege Use"},
                                       {13058, "Other Privilege Use Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8276[] = {{13312, "Process Creation"},
                                       {13313, "Process Termination"},
                                       {13314, "DPAPI Activity"},
                                       {13315, "RPC Events"},
                                       {13316, "Plug and Play Events"},
                                       {13317, "Token Right Adjusted Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8277[] = {{13568, "Audit Policy Change"},
                                       {13569, "Authentication Policy Change"},
                                       {13570, "Authorization Policy Change"},
                                       {13571, "MPSSVC Rule-Level Policy Change"},
                                       {13572, "Filtering Platform Policy Change"},
                                       {13573, "Other Policy Change Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8278[] = {{13824, "User Account Management"},
                                       {13825, "Computer Account Management"},
                                       {13826, "Security Group Management"},
                                       {13827, "Distribution Group Management"},
                                       {13828, "Application Group Management"},
                                       {13829, "Other Account Management Events"},
                                       {0, NULL}};
static const audit_sub g_sub_8279[] = {{14080, "Directory Service Access"},
                                       {14081, "Directory Service Changes"},
                                       {14082, "Directory Service Replication"},
                                       {14083, "Detailed Directory Service Replication"},
                                       {0, NULL}};
static const audit_sub g_sub_8280[] = {{14336, "Credential Validation"},
                                       {14337, "Kerberos Service Ticket Operations"},
                                       {14338, "Other Account Logon Events"},
                                       {14339, "Kerberos Authentication Service"},
                                       {0, NULL}};

static const struct {
    int id;
    const char *name;
    const audit_sub *subs;
} g_audit_cat[] = {{8272, "System", g_sub_8272},          {8273, "Logon/Logoff", g_sub_8273},
                   {8274, "Object Access", g_sub_8274},   {8275, "Privilege Use", g_sub_8275},
                   {8276, "Detailed Tracking", g_sub_8276}, {8277, "Policy Change", g_sub_8277},
                   {8278, "Account Management", g_sub_8278}, {8279, "DS Access", g_sub_8279},
                   {8280, "Account Logon", g_sub_8280}};

/* Copy v with every "%%" removed into out (NUL-terminated, truncated). */
static void strip_pct(xslice v, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < v.n && o + 1 < outsz; i++) {
        if (v.p[i] == '%' && i + 1 < v.n && v.p[i + 1] == '%') {
            i++;
            continue;
        }
        out[o++] = v.p[i];
    }
    out[o] = '\0';
}

static long audit_num(xslice v)
{
    char b[64];
    strip_pct(v, b, sizeof b);
    return strtol(b, NULL, 10);
}

/* AuditPolicyChanges codes -> "Success added, Failure added" in apc_text
 * (at most 4 comma-separated pieces, unknown codes skipped). */
static void audit_changes(xslice v, tl_buf *apc_text)
{
    char b[512];
    strip_pct(v, b, sizeof b);
    char *piece = b;
    for (int k = 0; k < 4 && piece; k++) {
        char *comma = k < 3 ? strchr(piece, ',') : NULL;
        if (comma)
            *comma = '\0';
        long code = strtol(piece, NULL, 10);
        const char *t = code == 8448   ? "Success removed"
                        : code == 8449 ? "Success added"
                        : code == 8450 ? "Failure removed"
                        : code == 8451 ? "Failure added"
                                       : NULL;
        if (t) {
            if (apc_text->len)
                tl_buf_puts(apc_text, ", ");
            tl_buf_puts(apc_text, t);
        }
        piece = comma ? comma + 1 : NULL;
    }
}

/* ---- fields ---------------------------------------------------------------- */

/* The JSON decoder's field limit (analysisd.decoder_order_size). */
#define TL_DECODER_ORDER_SIZE 256

static tl_status add_dotted(tl_event *ev, const char *prefix, size_t pn, const wkv *e)
{
    if (ev->nfields >= TL_DECODER_ORDER_SIZE)
        return TL_OK; /* "Too many fields for JSON decoder." */
    char stack[256];
    size_t n = pn + e->kn;
    char *name = n <= sizeof stack ? stack : tl_malloc(n);
    if (!name)
        return TL_E_NOMEM;
    memcpy(name, prefix, pn);
    memcpy(name + pn, e->k, e->kn);
    if (e->lower && e->kn > 0)
        name[pn] = (char)tolower((unsigned char)name[pn]);
    tl_status st = tl_event_add_field(ev, name, n, e->v, e->vn);
    if (name != stack)
        tl_free(name);
    return st;
}

/* The fields JSON_Decoder would read from the output, in its order. */
static tl_status add_fields(tl_event *ev, const wconv *c)
{
    tl_status st = TL_OK;
    for (size_t i = 0; i < c->nkv; i++)
        if (c->kv[i].sec == SEC_SYSTEM)
            TL_TRY(add_dotted(ev, "win.system.", 11, &c->kv[i]));
    for (size_t i = 0; i < c->nkv; i++)
        if (c->kv[i].sec == SEC_EVENTDATA)
            TL_TRY(add_dotted(ev, "win.eventdata.", 14, &c->kv[i]));
    if (!c->has_extra)
        return TL_OK;
    /* "win." + the extra object's name (first byte lowercased) + "." */
    char stack[256];
    size_t pn = c->extra.n + 5;
    char *pre = pn <= sizeof stack ? stack : tl_malloc(pn);
    if (!pre)
        return TL_E_NOMEM;
    memcpy(pre, "win.", 4);
    memcpy(pre + 4, c->extra.p, c->extra.n);
    if (c->extra.n > 0)
        pre[4] = (char)tolower((unsigned char)pre[4]);
    pre[4 + c->extra.n] = '.';
    for (size_t i = 0; i < c->nkv && st == TL_OK; i++)
        if (c->kv[i].sec == SEC_EXTRA)
            st = add_dotted(ev, pre, pn, &c->kv[i]);
    if (pre != stack)
        tl_free(pre);
cleanup:
    return st;
}

/* ---- the conversion ------------------------------------------------------ */

/* Inline sizes: a Sysmon event's system members take ~600 bytes, its
 * eventdata ~1-3 KiB. */
#define SYS_INLINE 2048
#define ED_INLINE 8192
#define EX_INLINE 1024
#define AUX_INLINE 512
#define MSG_INLINE 4096

/* Core conversion of payload[0..plen) (payload[plen] is its NUL): *out (n
 * bytes + NUL, owned by the caller) and, with ev, the fields. */
static tl_status winevt_run(const char *payload, size_t plen, char **out, size_t *out_n,
                            tl_event *ev, tl_diag *d)
{
    tl_status st = TL_OK;
    char s_sys[SYS_INLINE], s_ed[ED_INLINE], s_ex[EX_INLINE], s_join[AUX_INLINE];
    char s_key[AUX_INLINE], s_msg[MSG_INLINE];
    wbuf sec[3], joined, xkey, msgv, enc, pmsg;
    tl_buf apc_text = TL_BUF_INIT;
    wb_init(&sec[SEC_SYSTEM], s_sys, sizeof s_sys);
    wb_init(&sec[SEC_EVENTDATA], s_ed, sizeof s_ed);
    wb_init(&sec[SEC_EXTRA], s_ex, sizeof s_ex);
    wb_init(&joined, s_join, sizeof s_join);
    wb_init(&xkey, s_key, sizeof s_key);
    wb_init(&msgv, s_msg, sizeof s_msg);
    wb_init(&enc, NULL, 0);
    wb_init(&pmsg, NULL, 0);
    wconv cv;
    wconv *c = &cv;
    c->sec = sec;
    c->joined = &joined;
    c->kv = c->inl_kv;
    c->nkv = 0;
    c->capkv = WKV_INLINE;
    c->at = c->inl_at;
    c->nat = 0;
    c->capat = WAT_INLINE;
    c->ah = NULL;
    c->ahcap = c->ahn = 0;
    c->oom = 0;
    c->roots = 0;
    c->has_level = c->has_keywords = c->has_extra = 0;
    memset(&c->au, 0, sizeof c->au);

    wtexts t;
    int msg_direct = 0;
    TL_TRY(payload_texts(payload, plen, &enc, &pmsg, &t, d));
    c->end = t.xml + t.xml_n;
    c->lim = t.xml_lim;
    int r = xml_convert(c, t.xml);
    if (c->oom || sec[0].oom || sec[1].oom || sec[2].oom || joined.oom)
        TL_FAIL(TL_E_NOMEM);
    if (r < 0) {
        /* "Could not read XML string": keep only the message */
        for (int i = 0; i < 3; i++)
            sec[i].len = 0;
        joined.len = 0;
        c->nkv = 0;
        c->has_level = c->has_keywords = c->has_extra = 0;
        memset(&c->au, 0, sizeof c->au);
    }

    if (c->has_level && c->has_keywords) {
        char lv[64], kw[64];
        slice_cstr(c->level, lv, sizeof lv);
        slice_cstr(c->keywords, kw, sizeof kw);
        const char *sev = severity_name((int)strtol(lv, NULL, 10), strtoull(kw, NULL, 16));
        size_t sn = strlen(sev);
        put_member_lit(c, SEC_SYSTEM, "severityValue", 13, sev, sn, sev + sn);
    }
    if (t.has_msg) {
        if (t.msg_canon) {
            /* the value is "<decoded text>" (wstr_unescape_json of the printed
             * string); escaping it gives back \"<raw text>\" byte for byte, so
             * the output is a copy */
            wb_putc(&msgv, '"');
            unescape_json(&msgv, t.msg, t.msg_n);
            wb_putc(&msgv, '"');
            if (wtrim_len(msgv.d, msgv.len) == msgv.len && !msgv.oom) {
                msg_direct = 1; /* the last system member: written when joining */
                kv_add(c, SEC_SYSTEM, "message", 7, 0, msgv.d, msgv.len);
            } else {
                size_t mn = wtrim_len(msgv.d, msgv.len);
                put_member_lit(c, SEC_SYSTEM, "message", 7, msgv.d, mn, msgv.d + mn);
            }
        } else {
            unescape_json(&msgv, t.msg, t.msg_n);
            size_t mn = wtrim_len(msgv.d, msgv.len);
            put_member_lit(c, SEC_SYSTEM, "message", 7, msgv.d, mn, msgv.d + mn);
        }
        if (msgv.oom)
            TL_FAIL(TL_E_NOMEM);
    }
    /* category / subcategory only when System had Level and Keywords and both
     * ids were kept; then the audit-policy text; then the nameless data */
    if (c->has_level && c->has_keywords && c->au.has_cat && c->au.has_sub) {
        long cid = audit_num(c->au.cat), sid = audit_num(c->au.sub);
        for (size_t i = 0; i < sizeof g_audit_cat / sizeof g_audit_cat[0]; i++) {
            if (g_audit_cat[i].id != cid)
                continue;
            const char *cn = g_audit_cat[i].name;
            put_member_lit(c, SEC_EVENTDATA, "category", 8, cn, strlen(cn), cn + strlen(cn));
            for (const audit_sub *sb = g_audit_cat[i].subs; sb->name; sb++)
                if (sb->id == sid) {
                    put_member_lit(c, SEC_EVENTDATA, "subcategory", 11, sb->name,
                                   strlen(sb->name), sb->name + strlen(sb->name));
                    break;
                }
            break;
        }
    }
    if (c->au.has_apc) {
        audit_changes(c->au.apc, &apc_text);
        TL_TRY(tl_buf_status(&apc_text));
        if (apc_text.len)
            put_member_lit(c, SEC_EVENTDATA, "auditPolicyChanges", 18, apc_text.data,
                           apc_text.len, apc_text.data + apc_text.len);
    }
    if (joined.len > 0)
        put_member_lit(c, SEC_EVENTDATA, "data", 4, joined.d, joined.len, joined.d + joined.len);
    if (c->has_extra) {
        /* the extra object's key: JSON-escaped, first byte lowercased */
        wb_putc(&xkey, '"');
        esc_run(&xkey, c->extra.p, c->extra.p + c->extra.n, c->lim, 0);
        if (c->extra.n > 0 && !xkey.oom)
            xkey.d[1] = (char)tolower((unsigned char)xkey.d[1]);
        wb_putc(&xkey, '"');
    }
    if (c->oom || sec[0].oom || sec[1].oom || sec[2].oom || xkey.oom)
        TL_FAIL(TL_E_NOMEM);

    /* {"win":{"system":{...},"eventdata":{...},"<extra>":{...}}} */
    /* ,"message":"\"<raw>\"" */
    size_t mdn = msg_direct ? (sec[0].len ? 1 : 0) + 13 + t.msg_n + 3 : 0;
    size_t n = 18 + sec[0].len + mdn + (sec[1].len ? 15 + sec[1].len : 0) +
               (c->has_extra ? 2 + xkey.len + 2 + sec[2].len : 0) + 3;
    char *s = tl_malloc(n + 1);
    TL_TRY_ALLOC(s);
    char *o = s;
    memcpy(o, "{\"win\":{\"system\":{", 18);
    o += 18;
    if (sec[0].len)
        memcpy(o, sec[0].d, sec[0].len);
    o += sec[0].len;
    if (msg_direct) {
        if (sec[0].len)
            *o++ = ',';
        memcpy(o, "\"message\":\"\\\"", 13);
        memcpy(o + 13, t.msg, t.msg_n);
        memcpy(o + 13 + t.msg_n, "\\\"\"", 3);
        o += 13 + t.msg_n + 3;
    }
    if (sec[1].len) {
        memcpy(o, "},\"eventdata\":{", 15);
        memcpy(o + 15, sec[1].d, sec[1].len);
        o += 15 + sec[1].len;
    }
    if (c->has_extra) {
        memcpy(o, "},", 2);
        memcpy(o + 2, xkey.d, xkey.len);
        o += 2 + xkey.len;
        memcpy(o, ":{", 2);
        if (sec[2].len)
            memcpy(o + 2, sec[2].d, sec[2].len);
        o += 2 + sec[2].len;
    }
    memcpy(o, "}}}", 4);

    if (ev) {
        st = add_fields(ev, c);
        if (st != TL_OK) {
            tl_free(s);
            goto cleanup;
        }
    }
    *out = s;
    *out_n = n;

cleanup:
    tl_buf_free(&apc_text);
    for (int i = 0; i < 3; i++)
        wb_free(&sec[i]);
    wb_free(&joined);
    wb_free(&xkey);
    wb_free(&msgv);
    wb_free(&enc);
    wb_free(&pmsg);
    if (c->kv != c->inl_kv)
        tl_free(c->kv);
    if (c->at != c->inl_at)
        tl_free(c->at);
    tl_free(c->ah);
    return st;
}

tl_status tl_winevt_convert(const char *payload_json, char **out_json, tl_diag *d)
{
    if (!payload_json || !out_json)
        return TL_E_INVAL;
    char *s = NULL;
    size_t n = 0;
    tl_status st = winevt_run(payload_json, strlen(payload_json), &s, &n, NULL, d);
    if (st != TL_OK)
        return st;
    *out_json = s;
    return TL_OK;
}

int tl_winevt_payload_is_fast(const char *payload_json)
{
    jspan ev = {NULL, 0, 0, 0}, msg = {NULL, 0, 0, 0};
    return fast_scan(payload_json, strlen(payload_json), &ev, &msg) && ev.set;
}

tl_status tl_winevt_decode_event(tl_event *ev, tl_diag *d)
{
    const char *payload = ev->log ? ev->log : "";
    size_t plen = ev->log ? tl_event_text_len(ev, ev->log) : 0;
    char *s = NULL;
    size_t n = 0;
    /* the fields are copied from the payload before full_log is replaced */
    tl_status st = winevt_run(payload, plen, &s, &n, ev, d);
    if (st != TL_OK)
        return st;
    tl_free(ev->full_log);
    ev->full_log = s;
    ev->full_log_end = s + n;
    ev->log = s;
    tl_free(ev->program_name);
    ev->program_name = NULL;
    tl_free(ev->dec_timestamp);
    ev->dec_timestamp = NULL;
    return TL_OK;
}
