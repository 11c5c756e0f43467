/* SPDX-License-Identifier: MIT */
/*
 * Windows command-line splitting as CommandLineToArgvW does it (the rules
 * every MSVC-built tool such as schtasks.exe and reg.exe sees):
 *   - argv[0] runs to the first whitespace, or is the text between the first
 *     pair of quotes; backslashes are literal there.
 *   - afterwards, arguments are separated by spaces/tabs outside quotes;
 *     2n backslashes + '"' give n backslashes and toggle quoting; 2n+1
 *     backslashes + '"' give n backslashes and a literal quote; backslashes
 *     not followed by a quote are literal; inside quotes, '""' gives a literal
 *     quote (and stays quoted, post-2008 behaviour).
 * Example: `schtasks /tr "C:\a b\c.exe \"x\"" /f` -> schtasks | /tr |
 * C:\a b\c.exe "x" | /f
 */
#include <string.h>

#include "interp.h"

void tl_argv_free(char **argv, size_t argc)
{
    if (!argv)
        return;
    for (size_t i = 0; i < argc; i++)
        tl_free(argv[i]);
    tl_free(argv);
}

static tl_status push(char ***v, size_t *n, size_t *cap, tl_buf *b)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char **nv = tl_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        *v = nv;
        *cap = nc;
    }
    if (tl_buf_status(b) != TL_OK)
        return TL_E_NOMEM;
    char *s = tl_buf_take(b);
    if (!s)
        return TL_E_NOMEM;
    (*v)[(*n)++] = s;
    return TL_OK;
}

tl_status tl_argv_split(const char *cmd, char ***argv, size_t *argc)
{
    tl_status st = TL_OK;
    char **v = NULL;
    size_t n = 0, cap = 0;
    tl_buf b = TL_BUF_INIT;
    const char *p = cmd;
    /* argv[0] */
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p) {
        if (*p == '"') {
            p++;
            while (*p && *p != '"')
                tl_buf_putc(&b, *p++);
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ' ' && *p != '\t')
                tl_buf_putc(&b, *p++);
        }
        TL_TRY(push(&v, &n, &cap, &b));
    }
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        int inq = 0;
        tl_buf_reset(&b);
        tl_buf_puts(&b, ""); /* make empty args ("") non-NULL */
        while (*p && (inq || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\') {
                size_t k = 0;
                while (p[k] == '\\')
                    k++;
                if (p[k] == '"') {
                    for (size_t i = 0; i < k / 2; i++)
                        tl_buf_putc(&b, '\\');
                    if (k % 2) {
                        tl_buf_putc(&b, '"');
                        p += k + 1;
                    } else {
                        p += k;
                    }
                } else {
                    for (size_t i = 0; i < k; i++)
                        tl_buf_putc(&b, '\\');
                    p += k;
                }
            } else if (*p == '"') {
                if (inq && p[1] == '"') {
                    tl_buf_putc(&b, '"');
                    p += 2;
                } else {
                    inq = !inq;
                    p++;
                }
            } else {
                tl_buf_putc(&b, *p++);
            }
        }
        TL_TRY(push(&v, &n, &cap, &b));
    }
    *argv = v;
    *argc = n;
    v = NULL;
cleanup:
    tl_buf_free(&b);
    tl_argv_free(v, n);
    return st;
}

char *tl_argv_quote(const char *arg)
{
    if (arg[0] && !strpbrk(arg, " \t\""))
        return tl_strdup(arg);
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '"');
    for (const char *p = arg;; p++) {
        size_t k = 0;
        while (p[k] == '\\')
            k++;
        if (!p[k]) {
            for (size_t i = 0; i < 2 * k; i++)
                tl_buf_putc(&b, '\\');
            break;
        }
        if (p[k] == '"') {
            for (size_t i = 0; i < 2 * k + 1; i++)
                tl_buf_putc(&b, '\\');
            tl_buf_putc(&b, '"');
        } else {
            for (size_t i = 0; i < k; i++)
                tl_buf_putc(&b, '\\');
            tl_buf_putc(&b, p[k]);
        }
        p += k;
    }
    tl_buf_putc(&b, '"');
    return tl_buf_take(&b);
}
