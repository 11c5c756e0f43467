/* SPDX-License-Identifier: MIT */
/*
 * File access of the AR program; see ar_fs_int.h. No process is ever
 * started here (nor anywhere in tl_ar): only open/read/write/stat/readdir.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* open flags, ftruncate, readlink */
#endif
#include "ar_fs_int.h"
#include "tasklab/ar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

#ifdef _WIN32
static wchar_t *to_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return NULL;
    wchar_t *w = tl_malloc((size_t)n * sizeof *w);
    if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        tl_free(w);
        return NULL;
    }
    return w;
}
#endif

tl_status tl_arfs_read(const char *path, size_t limit, char **data, size_t *len, int *kind,
                       tl_diag *d)
{
    tl_status st = TL_OK;
    FILE *f = NULL;
    tl_buf b = TL_BUF_INIT;
    *kind = TL_ARFS_FOUND;
#ifdef _WIN32
    wchar_t *w = to_wide(path);
    if (!w) {
        tl_diag_set(d, path, 0, "path is not valid UTF-8");
        return TL_E_INVAL;
    }
    struct _stat64 sb;
    if (_wstat64(w, &sb) != 0) {
        *kind = TL_ARFS_MISSING;
        tl_free(w);
        return TL_E_NOTFOUND;
    }
    if (sb.st_mode & _S_IFDIR) {
        *kind = TL_ARFS_FOLDER;
        tl_free(w);
        return TL_E_NOTFOUND;
    }
    f = _wfopen(w, L"rb");
    tl_free(w);
#else
    /* never follow a link, never block on a FIFO, regular files only */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat sb;
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *kind = TL_ARFS_MISSING;
            return TL_E_NOTFOUND;
        }
        if (errno == EISDIR || (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
            *kind = TL_ARFS_FOLDER;
            return TL_E_NOTFOUND;
        }
        tl_diag_set(d, path, 0, "cannot open: %s", strerror(errno));
        return TL_E_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int isdir = S_ISDIR(sb.st_mode);
        close(fd);
        if (isdir) {
            *kind = TL_ARFS_FOLDER;
            return TL_E_NOTFOUND;
        }
        tl_diag_set(d, path, 0, "not a regular file");
        return TL_E_IO;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    st = tl_fd_read_max(fd, limit, path, data, len, d);
    close(fd);
    return st;
#endif
    if (!f) {
        tl_diag_set(d, path, 0, "cannot open: %s", strerror(errno));
        return TL_E_IO;
    }
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + r > limit) {
            tl_diag_set(d, path, 0, "file larger than %zu bytes", limit);
            TL_FAIL(TL_E_LIMIT);
        }
        tl_buf_append(&b, chunk, r);
        TL_TRY(tl_buf_status(&b));
    }
    if (ferror(f)) {
        tl_diag_set(d, path, 0, "read error: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    *len = b.len;
    *data = tl_buf_take(&b);
    TL_TRY_ALLOC(*data);
cleanup:
    tl_buf_free(&b);
    fclose(f);
    return st;
}

tl_status tl_arfs_read_drive(const char *drive_c, const char *winpath, size_t limit, char **data,
                             size_t *len, int *kind, tl_diag *d)
{
#ifndef _WIN32
    if (drive_c) {
        const char *rel = winpath;
        if ((rel[0] == 'C' || rel[0] == 'c') && rel[1] == ':')
            rel += 2;
        int wk = TL_WALK_MISSING;
        tl_status st = tl_walk_read(drive_c, rel, TL_WALK_FOLD, limit, data, len, &wk, d);
        *kind = wk == TL_WALK_FOLDER ? TL_ARFS_FOLDER
                : wk == TL_WALK_MISSING ? TL_ARFS_MISSING
                                        : TL_ARFS_FOUND;
        return st;
    }
#endif
    char *host = tl_ar_host_path(drive_c, winpath);
    if (!host)
        return TL_E_NOMEM;
    tl_status st = tl_arfs_read(host, limit, data, len, kind, d);
    tl_free(host);
    return st;
}

tl_status tl_arfs_append_under(const char *root, const char *rel, const char *data, size_t len,
                               tl_diag *d)
{
#ifndef _WIN32
    return tl_walk_append(root, rel, TL_WALK_FOLD, data, len, d);
#else
    char *p = tl_arfs_join(root, rel);
    if (!p)
        return TL_E_NOMEM;
    tl_status st = tl_arfs_append(p, data, len, d);
    tl_free(p);
    return st;
#endif
}

tl_status tl_arfs_env_read(const tl_ar_env *env, const char *winpath, size_t limit, char **data,
                           size_t *len, int *kind, tl_diag *d)
{
    if (!env->mem)
        return tl_arfs_read_drive(env->drive_c, winpath, limit, data, len, kind, d);
    const char *rel = winpath;
    if ((rel[0] == 'C' || rel[0] == 'c') && rel[1] == ':')
        rel += 2;
    int wk = TL_WALK_MISSING;
    tl_status st = tl_memdrive_read(env->mem, rel, TL_WALK_FOLD, limit, data, len, &wk, d);
    *kind = wk == TL_WALK_FOLDER ? TL_ARFS_FOLDER
            : wk == TL_WALK_MISSING ? TL_ARFS_MISSING
                                    : TL_ARFS_FOUND;
    return st;
}

tl_status tl_arfs_env_append(const tl_ar_env *env, const char *rel, const char *data, size_t len,
                             tl_diag *d)
{
    if (!env->mem)
        return tl_arfs_append_under(env->install_dir, rel, data, len, d);
    tl_buf p = TL_BUF_INIT;
    tl_buf_puts(&p, env->install_dir);
    tl_buf_putc(&p, '/');
    tl_buf_puts(&p, rel);
    tl_status st = tl_buf_status(&p);
    if (st == TL_OK)
        st = tl_memdrive_append(env->mem, p.data, TL_WALK_FOLD, data, len, d);
    tl_buf_free(&p);
    return st;
}

tl_status tl_arfs_append(const char *path, const char *data, size_t len, tl_diag *d)
{
#ifdef _WIN32
    wchar_t *w = to_wide(path);
    if (!w) {
        tl_diag_set(d, path, 0, "path is not valid UTF-8");
        return TL_E_INVAL;
    }
    HANDLE h = CreateFileW(w, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    tl_free(w);
    if (h == INVALID_HANDLE_VALUE) {
        tl_diag_set(d, path, 0, "cannot open for append (error %lu)", (unsigned long)GetLastError());
        return TL_E_IO;
    }
    LARGE_INTEGER old;
    GetFileSizeEx(h, &old);
    DWORD done = 0;
    BOOL ok = WriteFile(h, data, (DWORD)len, &done, NULL);
    if (!ok || done != (DWORD)len) {
        DWORD e = GetLastError();
        CloseHandle(h);
        /* Cut back the partial line: reopen with write access to truncate. */
        wchar_t *w2 = to_wide(path);
        if (w2) {
            HANDLE h2 = CreateFileW(w2, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                                    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
            if (h2 != INVALID_HANDLE_VALUE) {
                SetFilePointerEx(h2, old, NULL, FILE_BEGIN);
                SetEndOfFile(h2);
                CloseHandle(h2);
            }
            tl_free(w2);
        }
        tl_diag_set(d, path, 0, "write error (error %lu)", (unsigned long)e);
        return TL_E_IO;
    }
    CloseHandle(h);
    return TL_OK;
#else
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        tl_diag_set(d, path, 0, "cannot open for append: %s", strerror(errno));
        return TL_E_IO;
    }
    struct stat sb;
    off_t old = fstat(fd, &sb) == 0 ? sb.st_size : -1;
    ssize_t w = write(fd, data, len);
    if (w < 0 || (size_t)w != len) {
        int e = w < 0 ? errno : ENOSPC;
        if (w > 0 && old >= 0 && ftruncate(fd, old) != 0) {
            /* nothing more we can do; reported below */
        }
        close(fd);
        tl_diag_set(d, path, 0, "write error: %s", strerror(e));
        return TL_E_IO;
    }
    if (close(fd) != 0) {
        tl_diag_set(d, path, 0, "write error: %s", strerror(errno));
        return TL_E_IO;
    }
    return TL_OK;
#endif
}

#ifndef _WIN32
/* The entry of `dir` equal to `name`, else the first (byte order) that is equal
 * ignoring ASCII case; NULL when none. Caller frees. */
static char *match_entry(const char *dir, const char *name)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return NULL;
    char *best = NULL;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (strcmp(e->d_name, name) == 0) {
            tl_free(best);
            best = tl_strdup(name);
            break;
        }
        if (tl_wincasecmp(e->d_name, name) == 0 && (!best || strcmp(e->d_name, best) < 0)) {
            tl_free(best);
            best = tl_strdup(e->d_name);
        }
    }
    closedir(dh);
    return best;
}
#endif

char *tl_arfs_join(const char *dir, const char *rel)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, dir);
#ifdef _WIN32
    const char sep = '\\';
#else
    const char sep = '/';
    int matching = 1;
#endif
    const char *p = rel;
    while (*p) {
        while (*p == '\\' || *p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '\\' && *e != '/')
            e++;
        char *comp = tl_strndup(p, (size_t)(e - p));
        if (!comp) {
            tl_buf_free(&b);
            return NULL;
        }
#ifndef _WIN32
        if (matching) {
            char *m = match_entry(b.len ? tl_buf_cstr(&b) : "/", comp);
            if (m) {
                tl_free(comp);
                comp = m;
            } else {
                matching = 0;
            }
        }
#endif
        if (b.len == 0 || b.data[b.len - 1] != sep)
            tl_buf_putc(&b, sep);
        tl_buf_puts(&b, comp);
        tl_free(comp);
        p = e;
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}
