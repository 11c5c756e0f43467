/* SPDX-License-Identifier: MIT */
/*
 * Logcollector for syslog-format files (read_syslog.c, wazuh.md §1.2).
 *
 * Each poll reads the bytes appended since the last offset. Only complete
 * lines ('\n'-terminated) are emitted; a partial tail is kept and completed by
 * a later poll, so a line written in two pieces is emitted once, whole. Rules:
 * the '\n' is stripped; a line containing NUL is dropped; on Windows the line
 * is cut at its LAST '\r', and lines of at most 2 bytes or starting with '#'
 * are skipped. A file shorter than the offset was truncated or rotated and is
 * read again from the start. A missing file is not an error.
 *
 * Long lines [A]: wazuh.md is silent on the read size. Wazuh's read_syslog reads
 * with fgets(str, OS_MAXSTR - OS_LOG_HEADER) (65,536 - 256: at most 65,279 bytes a
 * read); a line that fills a read without its '\n' is sent cut to its first
 * 65,278 bytes (the last byte read becomes the terminator) and the rest of it,
 * through its '\n', is read and discarded. Modelled here from Wazuh's source as
 * we know it; the partial buffer is therefore bounded too.
 */
#include "tasklab/agent.h"

#include <stdio.h>
#include <string.h>

/* fgets(str, OS_MAXSTR - OS_LOG_HEADER): bytes one read can return [A] */
#define TL_LC_READ_MAX (65536 - 256 - 1)

struct tl_logcollector {
    char *location;
    char *path;
    int windows;
    int skipping; /* discarding the rest of a cut line, through its '\n' */
    long long offset;
    tl_buf partial;
    tl_memdrive *mem; /* read path inside this memory drive instead of the host (borrowed) */
};

tl_status tl_logcollector_new(const char *location, const char *host_path, int windows,
                              tl_logcollector **out)
{
    tl_logcollector *lc = tl_calloc(1, sizeof *lc);
    if (!lc)
        return TL_E_NOMEM;
    lc->location = tl_strdup(location ? location : "");
    lc->path = tl_strdup(host_path ? host_path : "");
    lc->windows = windows;
    tl_buf_init(&lc->partial);
    if (!lc->location || !lc->path) {
        tl_logcollector_free(lc);
        return TL_E_NOMEM;
    }
    *out = lc;
    return TL_OK;
}

static tl_status emit_line(tl_logcollector *lc, char *s, size_t n,
                           void (*emit)(void *, const char *, const char *), void *ctx)
{
    if (memchr(s, '\0', n))
        return TL_OK;
    s[n] = '\0';
    if (lc->windows) {
        char *r = strrchr(s, '\r');
        if (r)
            *r = '\0';
        if (strlen(s) <= 2 || s[0] == '#')
            return TL_OK;
    }
    emit(ctx, lc->location, s);
    return TL_OK;
}

void tl_logcollector_use_memdrive(tl_logcollector *lc, tl_memdrive *mem)
{
    lc->mem = mem;
}

/* The bytes r of one read at the current offset: complete lines are emitted,
 * a partial tail kept in lc->partial. */
static tl_status consume(tl_logcollector *lc, const char *chunk, size_t r,
                         void (*emit)(void *, const char *, const char *), void *ctx)
{
    tl_status st = TL_OK;
    lc->offset += (long long)r;
    size_t start = 0;
    for (size_t i = 0; i < r; i++) {
        if (lc->skipping) {
            if (chunk[i] == '\n') {
                lc->skipping = 0;
                start = i + 1;
            }
            continue;
        }
        size_t n;
        if (chunk[i] == '\n') {
            tl_buf_append(&lc->partial, chunk + start, i - start);
            n = lc->partial.len;
        } else if (lc->partial.len + (i + 1 - start) >= TL_LC_READ_MAX) {
            /* a full read with no '\n': sent cut, the rest skipped */
            tl_buf_append(&lc->partial, chunk + start, i + 1 - start);
            n = TL_LC_READ_MAX - 1;
            lc->skipping = 1;
        } else {
            continue;
        }
        TL_TRY(tl_buf_status(&lc->partial));
        /* the buffer has room for the terminating NUL (tl_buf keeps one) */
        emit_line(lc, lc->partial.data ? lc->partial.data : (char[1]){0}, n, emit, ctx);
        tl_buf_reset(&lc->partial);
        start = i + 1;
    }
    if (!lc->skipping)
        tl_buf_append(&lc->partial, chunk + start, r - start);
    TL_TRY(tl_buf_status(&lc->partial));
cleanup:
    return st;
}

tl_status tl_logcollector_poll(tl_logcollector *lc,
                               void (*emit)(void *ctx, const char *location, const char *line),
                               void *ctx)
{
    tl_status st = TL_OK;
    if (lc->mem) {
        size_t len = 0;
        const char *data = tl_memdrive_peek(lc->mem, lc->path, TL_WALK_FOLD, &len, NULL);
        if (!data)
            return TL_OK;
        if ((long long)len < lc->offset) {
            lc->offset = 0;
            lc->skipping = 0;
            tl_buf_reset(&lc->partial);
        }
        for (size_t off = (size_t)lc->offset; st == TL_OK && off < len;) {
            size_t r = len - off > 65536 ? 65536 : len - off;
            st = consume(lc, data + off, r, emit, ctx);
            off += r;
        }
        return st;
    }
    FILE *f = fopen(lc->path, "rb");
    if (!f)
        return TL_OK;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return TL_E_IO;
    }
    long long size = ftell(f);
    if (size < lc->offset) {
        lc->offset = 0;
        lc->skipping = 0;
        tl_buf_reset(&lc->partial);
    }
    if (size == lc->offset || fseek(f, (long)lc->offset, SEEK_SET) != 0) {
        fclose(f);
        return TL_OK;
    }
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        TL_TRY(consume(lc, chunk, r, emit, ctx));
    if (ferror(f))
        st = TL_E_IO;
cleanup:
    fclose(f);
    return st;
}

void tl_logcollector_free(tl_logcollector *lc)
{
    if (!lc)
        return;
    tl_free(lc->location);
    tl_free(lc->path);
    tl_buf_free(&lc->partial);
    tl_free(lc);
}
