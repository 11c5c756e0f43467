/* SPDX-License-Identifier: MIT */
/*
 * tl_buf: a growable NUL-terminated buffer with sticky out-of-memory state,
 * so long formatting sequences check for failure once at the end.
 */
#include "tasklab/base.h"

#include <stdio.h>
#include <string.h>

void tl_buf_init(tl_buf *b) { memset(b, 0, sizeof *b); }

void tl_buf_free(tl_buf *b)
{
    tl_free(b->data);
    memset(b, 0, sizeof *b);
}

void tl_buf_reset(tl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(tl_buf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < b->len + extra + 1) {
        if (ncap > ((size_t)-1) / 2) {
            b->oom = 1;
            return 0;
        }
        ncap *= 2;
    }
    char *p = tl_realloc(b->data, ncap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->data = p;
    b->cap = ncap;
    return 1;
}

void tl_buf_append(tl_buf *b, const void *p, size_t n)
{
    if (!grow(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tl_buf_puts(tl_buf *b, const char *s) { tl_buf_append(b, s, strlen(s)); }

void tl_buf_putc(tl_buf *b, char c) { tl_buf_append(b, &c, 1); }

void tl_buf_put_utf8(tl_buf *b, unsigned long cp)
{
    char u[4];
    tl_buf_append(b, u, tl_utf8_encode(cp, u));
}

tl_status tl_buf_reserve(tl_buf *b, size_t n) { return grow(b, n) ? TL_OK : TL_E_NOMEM; }

void tl_buf_put_xml_text(tl_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            tl_buf_puts(b, "&amp;");
        else if (*s == '<')
            tl_buf_puts(b, "&lt;");
        else if (*s == '>')
            tl_buf_puts(b, "&gt;");
        else
            tl_buf_putc(b, *s);
    }
}

void tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (!grow(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tl_buf_printf(tl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tl_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Nonzero when one of the 8 bytes of w needs escaping (< 0x20, '"' or '\\'):
 * the classic "has a zero byte / has a byte less than" bit tricks. */
static uint64_t json_special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t lt = (w - ones * 0x20) & ~w;
    return (lt | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high;
}

/* Same escaping as cJSON 1.7.15's print_string_ptr: \" \\ \b \f \n \r \t,
 * other control bytes as \u00XX, everything else (UTF-8 included) verbatim. */
void tl_buf_json_strn(tl_buf *b, const char *s, size_t n)
{
    if (!grow(b, n + 2))
        return;
    b->data[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        /* a run of bytes copied as they are, 8 at a time while it lasts */
        size_t j = i;
        while (j + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + j, 8);
            if (json_special8(w))
                break;
            j += 8;
        }
        while (j < n) {
            unsigned char c = (unsigned char)s[j];
            if (c < 32 || c == '"' || c == '\\')
                break;
            j++;
        }
        tl_buf_append(b, s + i, j - i);
        if (j >= n)
            break;
        unsigned char c = (unsigned char)s[j];
        char tmp[8];
        const char *esc = tmp;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: snprintf(tmp, sizeof tmp, "\\u%04x", c);
        }
        tl_buf_puts(b, esc);
        i = j + 1;
    }
    tl_buf_putc(b, '"');
}

void tl_buf_json_str(tl_buf *b, const char *s) { tl_buf_json_strn(b, s, strlen(s)); }

tl_status tl_buf_status(const tl_buf *b) { return b->oom ? TL_E_NOMEM : TL_OK; }

char *tl_buf_take(tl_buf *b)
{
    if (b->oom) {
        tl_buf_free(b);
        return NULL;
    }
    char *r = b->data;
    if (!r)
        r = tl_strdup("");
    memset(b, 0, sizeof *b);
    return r;
}

const char *tl_buf_cstr(const tl_buf *b) { return b->data ? b->data : ""; }

int tl_buf_event_data(tl_buf *out, const char *xml, const char *name, size_t max)
{
    char pat[96];
    if ((size_t)snprintf(pat, sizeof pat, "<Data Name='%s'>", name) >= sizeof pat)
        return 0;
    const char *p = xml ? strstr(xml, pat) : NULL;
    if (!p)
        return 0;
    p += strlen(pat);
    const char *e = strstr(p, "</Data>");
    if (!e)
        return 0;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t n = 0;
    while (p < e) {
        if (n == max) {
            tl_buf_puts(out, "\xe2\x80\xa6"); /* … */
            break;
        }
        int done = 0;
        if (*p == '&')
            for (size_t i = 0; i < sizeof ents / sizeof ents[0] && !done; i++)
                if (!strncmp(p, ents[i].ent, strlen(ents[i].ent))) {
                    tl_buf_putc(out, ents[i].c);
                    p += strlen(ents[i].ent);
                    done = 1;
                }
        if (!done)
            tl_buf_putc(out, *p++);
        n++;
    }
    return 1;
}
