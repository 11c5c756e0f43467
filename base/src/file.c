/* SPDX-License-Identifier: MIT */
/*
 * Whole-file helpers. Outputs are written atomically (temp file + rename) so
 * an interrupted or failed run never leaves a half-written file behind.
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* O_CLOEXEC, fcntl, realpath */
#endif
#include "tasklab/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#ifdef _WIN32
/* Windows: UTF-8 paths through the wide C runtime calls (platform_int.h). */
#include "platform_int.h"
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#define close(fd) _close(fd)
#define fstat(fd, sb) _fstat((fd), (sb))
#define stat _stat
#define IS_SEP(c) ((c) == '/' || (c) == '\\')
/* "C:", "C:\\", a doubled separator: nothing to create */
#define SKIP_MKDIR(p, i) (IS_SEP((p)[(i)-1]) || ((i) == 2 && (p)[1] == ':'))
static int tl_mkdir(const char *p)
{
    wchar_t *w = tl_win_wide(p);
    int r = w ? _wmkdir(w) : -1;
    tl_free(w);
    return r;
}
static int w_open(const char *p, int flags)
{
    wchar_t *w = tl_win_wide(p);
    int r = w ? _wopen(w, flags) : -1;
    tl_free(w);
    return r;
}
static FILE *w_fopen(const char *p, const char *mode)
{
    wchar_t *w = tl_win_wide(p), wm[8];
    size_t i = 0;
    for (; mode[i] && i + 1 < sizeof wm / sizeof wm[0]; i++)
        wm[i] = (wchar_t)mode[i];
    wm[i] = L'\0';
    FILE *f = w ? _wfopen(w, wm) : NULL;
    tl_free(w);
    return f;
}
static int w_rename(const char *a, const char *b)
{
    wchar_t *wa = tl_win_wide(a), *wb = tl_win_wide(b);
    int r = wa && wb ? _wrename(wa, wb) : -1;
    tl_free(wa);
    tl_free(wb);
    return r;
}
static int w_remove(const char *p)
{
    wchar_t *w = tl_win_wide(p);
    int r = w ? _wremove(w) : -1;
    tl_free(w);
    return r;
}
#define fopen(p, m) w_fopen((p), (m))
#define rename(a, b) w_rename((a), (b))
#define remove(p) w_remove(p)
#else
#include <fcntl.h>
#include <unistd.h>
#define tl_mkdir(p) mkdir((p), 0777)
#define IS_SEP(c) ((c) == '/')
#define SKIP_MKDIR(p, i) 0
#endif

/* Close-on-exec on POSIX ("e", glibc): a file we are writing must not be held
 * open by a child process (an AR program started by another worker thread),
 * or exec of a just-written executable fails with ETXTBSY. */
#ifdef _WIN32
#define MODE_R "rb"
#define MODE_W "wb"
#define MODE_A "ab"
#else
#define MODE_R "rbe"
#define MODE_W "wbe"
#define MODE_A "abe"
#endif

tl_status tl_fd_read_max(int fd, size_t max, const char *name, char **data, size_t *len, tl_diag *d)
{
    tl_status st = TL_OK;
    size_t cap = 4096, n = 0;
    char *buf = tl_malloc(cap);
    TL_TRY_ALLOC(buf);
    for (;;) {
        if (n + 1 >= cap) {
            size_t nc = cap * 2;
            if (nc > max + 2)
                nc = max + 2; /* room for one byte past the cap, and the NUL */
            if (nc <= cap) {
                tl_diag_set(d, name, 0, "file larger than %lu bytes (the limit)", (unsigned long)max);
                TL_FAIL(TL_E_LIMIT);
            }
            char *nb = tl_realloc(buf, nc);
            TL_TRY_ALLOC(nb);
            buf = nb;
            cap = nc;
        }
#ifdef _WIN32
        int r = _read(fd, buf + n, (unsigned)(cap - n - 1));
#else
        ssize_t r = read(fd, buf + n, cap - n - 1);
#endif
        if (r < 0) {
            if (errno == EINTR)
                continue;
            tl_diag_set(d, name, 0, "read error: %s", strerror(errno));
            TL_FAIL(TL_E_IO);
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            tl_diag_set(d, name, 0, "file larger than %lu bytes (the limit)", (unsigned long)max);
            TL_FAIL(TL_E_LIMIT);
        }
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, name, 0, "out of memory");
    tl_free(buf);
    return st;
}

static tl_status read_path(const char *path, size_t max, int any, char **data, size_t *len,
                           tl_diag *d);

tl_status tl_file_read_max(const char *path, size_t max, char **data, size_t *len, tl_diag *d)
{
    return read_path(path, max, 0, data, len, d);
}

tl_status tl_file_read_user(const char *path, size_t max, char **data, size_t *len, tl_diag *d)
{
    return read_path(path, max, 1, data, len, d);
}

static tl_status read_path(const char *path, size_t max, int any, char **data, size_t *len,
                           tl_diag *d)
{
#ifdef _WIN32
    int fd = w_open(path, _O_RDONLY | _O_BINARY);
#else
    /* O_NONBLOCK: opening a FIFO with no writer must not hang; the type is
     * checked right after, before any read. */
    int fd = open(path, O_RDONLY | (any ? 0 : O_NONBLOCK) | O_CLOEXEC | O_NOCTTY);
#endif
    if (fd < 0) {
        tl_diag_set(d, path, 0, "cannot open: %s", strerror(errno));
        return TL_E_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        tl_diag_set(d, path, 0, "cannot stat: %s", strerror(errno));
        close(fd);
        return TL_E_IO;
    }
    if (S_ISDIR(sb.st_mode)) {
        tl_diag_set(d, path, 0, "is a folder, not a file");
        close(fd);
        return TL_E_IO;
    }
    if (!S_ISREG(sb.st_mode) && !any) {
        tl_diag_set(d, path, 0, "not a regular file (a device, FIFO or socket is never read)");
        close(fd);
        return TL_E_IO;
    }
    if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > (unsigned long long)max) {
        tl_diag_set(d, path, 0, "file larger than %lu bytes (the limit)", (unsigned long)max);
        close(fd);
        return TL_E_LIMIT;
    }
#ifndef _WIN32
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
#endif
    tl_status st = tl_fd_read_max(fd, max, path, data, len, d);
    close(fd);
    return st;
}

tl_status tl_file_read(const char *path, char **data, size_t *len, tl_diag *d)
{
    return tl_file_read_max(path, TL_FILE_MAX, data, len, d);
}

#ifndef _WIN32
/* Write everything to an open descriptor. */
static int write_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* path exists and is not a regular file: write into it (a FIFO blocks until
 * a reader comes, as `> fifo` does). */
static tl_status write_through(const char *path, const void *data, size_t len, int creat,
                               tl_diag *d)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (creat ? O_CREAT | O_TRUNC : 0), 0666);
    if (fd < 0) {
        tl_diag_set(d, path, 0, "cannot write: %s", strerror(errno));
        return TL_E_IO;
    }
    int bad = write_fd(fd, data, len) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        tl_diag_set(d, path, 0, "write error: %s", strerror(e));
        return TL_E_IO;
    }
    return TL_OK;
}
#endif

tl_status tl_file_write_atomic(const char *path, const void *data, size_t len, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf tmp = TL_BUF_INIT;
    FILE *f = NULL;
    char *real = NULL;
#ifndef _WIN32
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        /* a link: the target is the output, the link stays */
        char *r = realpath(path, NULL);
        if (!r) {
            if (errno == ENOENT) /* dangling: create its target through it */
                return write_through(path, data, len, 1, d);
            tl_diag_set(d, path, 0, "cannot resolve the link: %s", strerror(errno));
            return TL_E_IO;
        }
        real = tl_strdup(r);
        free(r);
        if (!real) {
            tl_diag_set(d, path, 0, "out of memory");
            return TL_E_NOMEM;
        }
        path = real;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) {
            tl_diag_set(d, path, 0, "cannot write: is a folder");
            st = TL_E_IO;
        } else {
            st = write_through(path, data, len, 0, d);
        }
        tl_free(real);
        return st;
    }
    tl_buf_printf(&tmp, "%s.%ld.tmp~", path, (long)getpid());
#else
    tl_buf_printf(&tmp, "%s.tmp~", path);
#endif
    TL_TRY(tl_buf_status(&tmp));
    f = fopen(tmp.data, MODE_W);
    if (!f) {
        tl_diag_set(d, path, 0, "cannot write: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    if ((len && fwrite(data, 1, len, f) != len) || fflush(f) != 0) {
        tl_diag_set(d, path, 0, "write error: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    if (fclose(f) != 0) {
        f = NULL;
        tl_diag_set(d, path, 0, "write error: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    f = NULL;
#ifdef _WIN32
    remove(path);
#endif
    if (rename(tmp.data, path) != 0) {
        tl_diag_set(d, path, 0, "cannot rename: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
cleanup:
    if (f)
        fclose(f);
    if (st != TL_OK && tmp.data)
        remove(tmp.data);
    if (st == TL_E_NOMEM)
        tl_diag_set(d, path, 0, "out of memory");
    tl_buf_free(&tmp);
    tl_free(real);
    return st;
}

tl_status tl_file_append(const char *path, const void *data, size_t len, tl_diag *d)
{
    FILE *f = fopen(path, MODE_A);
    if (!f) {
        tl_diag_set(d, path, 0, "cannot open for append: %s", strerror(errno));
        return TL_E_IO;
    }
    int bad = (len && fwrite(data, 1, len, f) != len);
    if (fclose(f) != 0)
        bad = 1;
    if (bad) {
        tl_diag_set(d, path, 0, "write error: %s", strerror(errno));
        return TL_E_IO;
    }
    return TL_OK;
}

tl_status tl_mkdirs(const char *path, tl_diag *d)
{
    char *p = tl_strdup(path);
    if (!p)
        return TL_E_NOMEM;
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (IS_SEP(p[i]) || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (SKIP_MKDIR(p, i)) {
                p[i] = c;
                continue;
            }
            if (tl_mkdir(p) != 0 && errno != EEXIST) {
                tl_diag_set(d, p, 0, "cannot create folder: %s", strerror(errno));
                tl_free(p);
                return TL_E_IO;
            }
            p[i] = c;
        }
    }
    tl_free(p);
    return TL_OK;
}

char *tl_path_join(const char *a, const char *b)
{
    tl_buf x = TL_BUF_INIT;
    tl_buf_puts(&x, a);
    if (x.len && x.data[x.len - 1] != '/')
        tl_buf_putc(&x, '/');
    tl_buf_puts(&x, b);
    return tl_buf_take(&x);
}
