/* SPDX-License-Identifier: MIT */
/*
 * HTML escaping for the report. Everything a page shows that comes from a
 * scenario, an event or an alert is hostile input: a task named
 * `<script>alert(1)</script>` must appear as those characters. Escaping covers
 * text and double- or single-quoted attribute values; bytes that are not valid
 * UTF-8, NUL and other control characters are replaced by U+FFFD so that the
 * page stays valid HTML (tidy, and the browser's parser, accept it).
 */
#include "html_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid;
 * *banned = 1 for a valid sequence HTML does not allow (C1 control, noncharacter). */
static size_t utf8_len(const unsigned char *s, size_t n, int *banned)
{
    *banned = 0;
    unsigned c = s[0];
    size_t l;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        l = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        l = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        l = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (l > n)
        return 0;
    for (size_t i = 1; i < l; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((l == 3 && cp < 0x800) || (l == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    /* noncharacters and C1 controls are not allowed in HTML text */
    if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
        *banned = 1;
    return l;
}

void tl_html_escn(tl_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* a run of printable ASCII that needs no escaping goes in one append
         * (most of a page: event XML, JSON, task files) */
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '&' && p[j] != '<' &&
               p[j] != '>' && p[j] != '"' && p[j] != '\'')
            j++;
        if (j > i) {
            tl_buf_append(b, p + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = p[i];
        switch (c) {
        case '&': tl_buf_puts(b, "&amp;"); i++; continue;
        case '<': tl_buf_puts(b, "&lt;"); i++; continue;
        case '>': tl_buf_puts(b, "&gt;"); i++; continue;
        case '"': tl_buf_puts(b, "&quot;"); i++; continue;
        case '\'': tl_buf_puts(b, "&#39;"); i++; continue;
        case '\t':
        case '\n': tl_buf_putc(b, (char)c); i++; continue;
        case '\r': i++; continue; /* CRLF in task files and messages */
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            tl_buf_puts(b, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        int banned;
        size_t l = utf8_len(p + i, n - i, &banned);
        if (!l || banned) {
            tl_buf_puts(b, "\xEF\xBF\xBD");
            i += l ? l : 1;
            continue;
        }
        tl_buf_append(b, p + i, l);
        i += l;
    }
}

void tl_html_esc(tl_buf *b, const char *s)
{
    if (s)
        tl_html_escn(b, s, strlen(s));
}

void tl_html_escf(tl_buf *b, const char *fmt, ...)
{
    tl_buf t = TL_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    tl_buf_vprintf(&t, fmt, ap);
    va_end(ap);
    tl_html_escn(b, tl_buf_cstr(&t), t.len);
    if (tl_buf_status(&t) != TL_OK)
        tl_buf_puts(b, "\xEF\xBF\xBD"); /* the caller's buffer status stays honest below */
    tl_buf_free(&t);
}

int tl_html_data_field(const char *xml, const char *name, tl_buf *out)
{
    return tl_buf_event_data(out, xml, name, SIZE_MAX);
}

void tl_html_pre(tl_buf *b, const char *cls, const char *s)
{
    if (cls)
        tl_buf_printf(b, "<pre class=\"%s\">", cls);
    else
        tl_buf_puts(b, "<pre>");
    tl_html_esc(b, s);
    tl_buf_puts(b, "</pre>\n");
}
