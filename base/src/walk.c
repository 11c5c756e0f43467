/* SPDX-License-Identifier: MIT */
/*
 * Contained file access: every path below a root folder is reached by a
 * descriptor-relative walk, one component at a time, with
 * openat(O_NOFOLLOW|O_DIRECTORY) for folders and O_NOFOLLOW for the leaf, so
 * nothing done here can leave the root, even when a symbolic link, a FIFO or a
 * device appears inside it (placed there by another process, a Wine prefix or
 * a hostile user): a link is refused, never followed; a leaf that is not a
 * regular file is refused for reading and appending, and replaced (not written
 * through) by an atomic write or a removal.
 *
 * Invariants:
 *  - a relative path is split at '/' and '\\'; empty components are skipped;
 *    "." and ".." are refused (TL_E_INVAL) — callers resolve them first, the
 *    simulator with Windows semantics (sim_fs.c), so a ".." here is an attack;
 *  - at most TL_WALK_MAX_DEPTH components, each at most 255 bytes;
 *  - with TL_WALK_FOLD a component matches an existing entry ignoring ASCII
 *    case (an exact match wins, else the smallest by byte order — the
 *    deterministic pick Wine's case-insensitive lookup needs);
 *  - removal of a folder tree never follows a link and never leaves it.
 *
 * Worked example: root "/t/out/x/drive_c", rel "Windows\\System32\\Tasks\\T",
 * flags FOLD|CREATE: open root; "Windows" matches existing "windows" -> openat
 * "windows"; "System32" -> "system32"; "Tasks" missing -> mkdirat "Tasks";
 * write "T" as ".T.<pid>.tmp~" then renameat onto "T". A "Tasks" that is a
 * symbolic link to /etc stops the walk: "refusing to follow a symbolic link".
 *
 * On Windows the same checks run on the joined path with every folder on the
 * way held open (see the comment atop the Windows half below).
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* openat family, realpath */
#endif
#include "tasklab/base.h"
#include "tasklab/platform.h"

#include "platform_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#define NAME_MAX_BYTES 255


/* Check rel: components, depth, name lengths. Returns the number of components. */
static tl_status check_rel(const char *root, const char *rel, size_t *ncomp, tl_diag *d)
{
    size_t pos = 0, len = 0, n = 0;
    const char *c;
    while ((c = tl_rel_next_comp(rel, &pos, &len)) != NULL) {
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
            tl_diag_set(d, root, 0, "refusing path component \"%.*s\" in \"%s\"", (int)len, c,
                        rel);
            return TL_E_INVAL;
        }
        if (len > NAME_MAX_BYTES) {
            tl_diag_set(d, root, 0, "path component longer than %d bytes in \"%.200s\"",
                        NAME_MAX_BYTES, rel);
            return TL_E_LIMIT;
        }
        if (++n > TL_WALK_MAX_DEPTH) {
            tl_diag_set(d, root, 0, "path deeper than %d components: \"%.200s\"",
                        TL_WALK_MAX_DEPTH, rel);
            return TL_E_LIMIT;
        }
    }
    if (n == 0) {
        tl_diag_set(d, root, 0, "empty path below the folder");
        return TL_E_INVAL;
    }
    *ncomp = n;
    return TL_OK;
}

#ifndef _WIN32

/* The name of dirfd's entry matching comp (exactly, or ignoring case with
 * TL_WALK_FOLD); comp itself when none. out has NAME_MAX_BYTES + 1 bytes. */
static tl_status match_comp(int dirfd, const char *comp, size_t len, unsigned flags, char *out)
{
    memcpy(out, comp, len);
    out[len] = '\0';
    if (!(flags & TL_WALK_FOLD))
        return TL_OK;
    struct stat sb;
    if (fstatat(dirfd, out, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        return TL_OK; /* exact match wins */
    int fd2 = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd2 < 0)
        return TL_OK;
    DIR *dh = fdopendir(fd2);
    if (!dh) {
        close(fd2);
        return TL_OK;
    }
    char best[NAME_MAX_BYTES + 1];
    int have = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        /* Windows name comparison ([A] simple case mapping, tl_wincasecmpn) */
        size_t elen = strlen(e->d_name);
        if (elen <= NAME_MAX_BYTES && tl_wincasecmpn(e->d_name, elen, comp, len) == 0 &&
            (!have || strcmp(e->d_name, best) < 0)) {
            memcpy(best, e->d_name, elen + 1);
            have = 1;
        }
    }
    closedir(dh);
    if (have)
        memcpy(out, best, len + 1);
    return TL_OK;
}

static tl_status refuse(int dirfd, const char *root, const char *name, int err, tl_diag *d)
{
    struct stat sb;
    if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode)) {
        tl_diag_set(d, root, 0, "refusing to follow a symbolic link at \"%s\"", name);
        return TL_E_IO;
    }
    if (err == ENOTDIR) {
        tl_diag_set(d, root, 0, "\"%s\" is not a folder", name);
        return TL_E_IO;
    }
    tl_diag_set(d, root, 0, "cannot open folder \"%s\": %s", name, strerror(err));
    return err == ENOENT ? TL_E_NOTFOUND : TL_E_IO;
}

/* Open the folder that holds rel's last component; *leaf gets that component
 * (matched per flags). *dirfd is owned by the caller (close). */
static tl_status walk_parent(const char *root, const char *rel, unsigned flags, int *dirfd,
                             char leaf[NAME_MAX_BYTES + 1], tl_diag *d)
{
    size_t ncomp = 0;
    tl_status st = check_rel(root, rel, &ncomp, d);
    if (st != TL_OK)
        return st;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if ((flags & TL_WALK_CREATE) && errno == ENOENT) {
            st = tl_mkdirs(root, d);
            if (st != TL_OK)
                return st;
            fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (fd < 0) {
            tl_diag_set(d, root, 0, "cannot open folder: %s", strerror(errno));
            return errno == ENOENT ? TL_E_NOTFOUND : TL_E_IO;
        }
    }
    size_t pos = 0, len = 0;
    for (size_t i = 0; i + 1 < ncomp; i++) {
        const char *c = tl_rel_next_comp(rel, &pos, &len);
        char name[NAME_MAX_BYTES + 1];
        match_comp(fd, c, len, flags, name);
        int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && (flags & TL_WALK_CREATE)) {
            if (mkdirat(fd, name, 0777) != 0 && errno != EEXIST) {
                tl_diag_set(d, root, 0, "cannot create folder \"%s\" of \"%.300s\": %s", name,
                            rel, strerror(errno));
                close(fd);
                return TL_E_IO;
            }
            nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd < 0) {
            int e = errno;
            if (e == ENOENT) {
                tl_diag_set(d, root, 0, "no folder \"%s\" on the way to \"%.300s\"", name, rel);
                st = TL_E_NOTFOUND;
            } else if (e == ELOOP || e == ENOTDIR) {
                st = refuse(fd, root, name, ENOTDIR, d);
            } else {
                st = refuse(fd, root, name, e, d);
            }
            close(fd);
            return st;
        }
        close(fd);
        fd = nfd;
    }
    const char *c = tl_rel_next_comp(rel, &pos, &len);
    match_comp(fd, c, len, flags, leaf);
    *dirfd = fd;
    return TL_OK;
}

static tl_status write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return TL_E_IO;
        }
        if (w == 0) {
            errno = ENOSPC;
            return TL_E_IO;
        }
        p += w;
        len -= (size_t)w;
    }
    return TL_OK;
}

tl_status tl_walk_write(const char *root, const char *rel, unsigned flags, const void *data,
                        size_t len, tl_diag *d)
{
    int dfd = -1, fd = -1;
    char leaf[NAME_MAX_BYTES + 1];
    char tmp[NAME_MAX_BYTES + 64];
    tl_status st = walk_parent(root, rel, flags, &dfd, leaf, d);
    if (st != TL_OK)
        return st;
    snprintf(tmp, sizeof tmp, ".%.200s.%ld.tmp~", leaf, (long)getpid());
    unlinkat(dfd, tmp, 0);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        tl_diag_set(d, root, 0, "cannot write \"%.300s\": %s", rel, strerror(errno));
        st = TL_E_IO;
        goto cleanup;
    }
    if (write_all(fd, data, len) != TL_OK) {
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, strerror(errno));
        st = TL_E_IO;
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, strerror(errno));
        st = TL_E_IO;
        goto cleanup;
    }
    fd = -1;
    if (renameat(dfd, tmp, dfd, leaf) != 0) {
        tl_diag_set(d, root, 0, "cannot write \"%.300s\": %s", rel, strerror(errno));
        st = TL_E_IO;
        goto cleanup;
    }
cleanup:
    if (fd >= 0)
        close(fd);
    if (st != TL_OK)
        unlinkat(dfd, tmp, 0);
    close(dfd);
    return st;
}

/* Open rel's leaf (O_NOFOLLOW|O_NONBLOCK); regular files only. */
static tl_status open_leaf(const char *root, const char *rel, unsigned flags, int oflags,
                           int *out, int *kind, tl_diag *d)
{
    int dfd = -1;
    char leaf[NAME_MAX_BYTES + 1];
    if (kind)
        *kind = TL_WALK_MISSING;
    tl_status st = walk_parent(root, rel, flags, &dfd, leaf, d);
    if (st == TL_E_NOTFOUND)
        return st;
    if (st != TL_OK) {
        if (kind)
            *kind = TL_WALK_OTHER;
        return st;
    }
    int fd = openat(dfd, leaf, oflags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        struct stat sb;
        if (e == ENOENT) {
            tl_diag_set(d, root, 0, "\"%.300s\" does not exist", rel);
            st = TL_E_NOTFOUND;
        } else if (e == EISDIR ||
                   (fstatat(dfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))) {
            if (kind)
                *kind = TL_WALK_FOLDER;
            tl_diag_set(d, root, 0, "\"%.300s\" is a folder", rel);
            st = TL_E_NOTFOUND;
        } else if (e == ELOOP) {
            if (kind)
                *kind = TL_WALK_OTHER;
            tl_diag_set(d, root, 0, "refusing to follow a symbolic link at \"%.300s\"", rel);
            st = TL_E_IO;
        } else {
            if (kind)
                *kind = TL_WALK_OTHER;
            tl_diag_set(d, root, 0, "cannot open \"%.300s\": %s", rel, strerror(e));
            st = TL_E_IO;
        }
        close(dfd);
        return st;
    }
    close(dfd);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int isdir = S_ISDIR(sb.st_mode);
        close(fd);
        if (kind)
            *kind = isdir ? TL_WALK_FOLDER : TL_WALK_OTHER;
        tl_diag_set(d, root, 0, "\"%.300s\" is not a regular file", rel);
        return isdir ? TL_E_NOTFOUND : TL_E_IO;
    }
    /* a regular file: blocking reads and writes from here on */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (kind)
        *kind = TL_WALK_FILE;
    *out = fd;
    return TL_OK;
}

tl_status tl_walk_read(const char *root, const char *rel, unsigned flags, size_t max, char **data,
                       size_t *len, int *kind, tl_diag *d)
{
    int fd = -1;
    tl_status st = open_leaf(root, rel, flags, O_RDONLY, &fd, kind, d);
    if (st != TL_OK)
        return st;
    st = tl_fd_read_max(fd, max, rel, data, len, d);
    close(fd);
    return st;
}

tl_status tl_walk_append(const char *root, const char *rel, unsigned flags, const void *data,
                         size_t len, tl_diag *d)
{
    int fd = -1;
    tl_status st = open_leaf(root, rel, flags, O_WRONLY | O_APPEND | O_CREAT, &fd, NULL, d);
    if (st != TL_OK)
        return st;
    struct stat sb;
    off_t old = fstat(fd, &sb) == 0 ? sb.st_size : -1;
    if (write_all(fd, data, len) != TL_OK) {
        int e = errno;
        /* cut back a partial line so a reader never sees half of it */
        if (old >= 0 && ftruncate(fd, old) != 0) {
            /* nothing more to do; reported below */
        }
        close(fd);
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, strerror(e));
        return TL_E_IO;
    }
    if (close(fd) != 0) {
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, strerror(errno));
        return TL_E_IO;
    }
    return TL_OK;
}

tl_status tl_walk_mkdir(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    int dfd = -1;
    char leaf[NAME_MAX_BYTES + 1];
    tl_status st = walk_parent(root, rel, flags | TL_WALK_CREATE, &dfd, leaf, d);
    if (st != TL_OK)
        return st;
    if (mkdirat(dfd, leaf, 0777) != 0 && errno != EEXIST) {
        tl_diag_set(d, root, 0, "cannot create folder \"%.300s\": %s", rel, strerror(errno));
        st = TL_E_IO;
    } else {
        struct stat sb;
        if (fstatat(dfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode)) {
            tl_diag_set(d, root, 0, "\"%.300s\" exists and is not a folder", rel);
            st = TL_E_IO;
        }
    }
    close(dfd);
    return st;
}

/* Remove dirfd's entry `name`: a file or link is unlinked, a folder emptied
 * (never following a link) and removed. */
static tl_status remove_at(int pfd, const char *name, int depth, const char *root, tl_diag *d)
{
    struct stat sb;
    if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? TL_OK : TL_E_IO;
    if (!S_ISDIR(sb.st_mode)) {
        if (unlinkat(pfd, name, 0) != 0 && errno != ENOENT) {
            tl_diag_set(d, root, 0, "cannot remove \"%s\": %s", name, strerror(errno));
            return TL_E_IO;
        }
        return TL_OK;
    }
    if (depth > TL_WALK_MAX_DEPTH + 8) {
        tl_diag_set(d, root, 0, "folder tree deeper than %d levels; not removed",
                    TL_WALK_MAX_DEPTH + 8);
        return TL_E_LIMIT;
    }
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        tl_diag_set(d, root, 0, "cannot open folder \"%s\": %s", name, strerror(errno));
        return TL_E_IO;
    }
    DIR *dh = fdopendir(fd);
    if (!dh) {
        close(fd);
        return TL_E_IO;
    }
    tl_status st = TL_OK;
    for (;;) {
        /* collect names first: removing while reading may skip entries */
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        rewinddir(dh);
        while ((e = readdir(dh)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                char **nn = tl_realloc(names, nc * sizeof *nn);
                if (!nn) {
                    st = TL_E_NOMEM;
                    break;
                }
                names = nn;
                cap = nc;
            }
            if (!(names[n] = tl_strdup(e->d_name))) {
                st = TL_E_NOMEM;
                break;
            }
            n++;
        }
        for (size_t i = 0; i < n; i++) {
            if (st == TL_OK)
                st = remove_at(fd, names[i], depth + 1, root, d);
            tl_free(names[i]);
        }
        tl_free(names);
        if (st != TL_OK || n == 0)
            break;
    }
    closedir(dh);
    if (st == TL_OK && unlinkat(pfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        tl_diag_set(d, root, 0, "cannot remove folder \"%s\": %s", name, strerror(errno));
        st = TL_E_IO;
    }
    if (st == TL_E_NOMEM)
        tl_diag_set(d, root, 0, "out of memory while removing \"%s\"", name);
    return st;
}

tl_status tl_walk_remove(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    int dfd = -1;
    char leaf[NAME_MAX_BYTES + 1];
    tl_status st = walk_parent(root, rel, flags & ~(unsigned)TL_WALK_CREATE, &dfd, leaf, d);
    if (st == TL_E_NOTFOUND) {
        tl_diag_clear(d);
        return TL_OK; /* nothing there: nothing to remove */
    }
    if (st != TL_OK)
        return st;
    st = remove_at(dfd, leaf, 0, root, d);
    close(dfd);
    return st;
}

#else /* _WIN32 */

/*
 * Windows: the path is joined, but every folder on the way is opened
 * (without following a reparse point, refused when it is one) and kept open
 * without FILE_SHARE_DELETE until the operation ends, so none of them can be
 * renamed, removed or replaced by a junction meanwhile: the joined path
 * names exactly the folders checked. The leaf is opened with
 * FILE_FLAG_OPEN_REPARSE_POINT and refused when it is a reparse point or not
 * a disk file. Measured under Wine 8: a Unix symbolic link to a folder shows
 * as a reparse point (refused), one to a file does not (Wine follows it):
 * reads and appends go through such a link, writes (temporary + rename) and
 * removals replace or remove the link itself.
 */
#include <fcntl.h>
#include <io.h>
#include <windows.h>

typedef struct wwalk {
    tl_buf path;                          /* root + '\\' + components so far */
    HANDLE held[TL_WALK_MAX_DEPTH + 1];   /* folders kept open */
    size_t nheld;
} wwalk;

static void ww_free(wwalk *w)
{
    for (size_t i = 0; i < w->nheld; i++)
        CloseHandle(w->held[i]);
    w->nheld = 0;
    tl_buf_free(&w->path);
}

static const char *errstr(DWORD e) { return strerror(tl_win_errno(e)); }

/* Attributes of path (INVALID_FILE_ATTRIBUTES when missing); *err the error. */
static DWORD attrs_of(const char *path, DWORD *err)
{
    wchar_t *w = tl_win_wide(path);
    if (!w) {
        *err = ERROR_INVALID_NAME;
        return INVALID_FILE_ATTRIBUTES;
    }
    DWORD a = GetFileAttributesW(w);
    *err = a == INVALID_FILE_ATTRIBUTES ? GetLastError() : 0;
    tl_free(w);
    return a;
}

/* Open a folder for holding: no FILE_SHARE_DELETE, reparse point not followed. */
static HANDLE hold_dir(const char *path, DWORD *err)
{
    wchar_t *w = tl_win_wide(path);
    if (!w) {
        *err = ERROR_INVALID_NAME;
        return INVALID_HANDLE_VALUE;
    }
    HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                           NULL);
    *err = GetLastError();
    tl_free(w);
    BY_HANDLE_FILE_INFORMATION fi;
    if (h != INVALID_HANDLE_VALUE &&
        (!GetFileInformationByHandle(h, &fi) || !(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
         (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))) {
        CloseHandle(h);
        *err = ERROR_DIRECTORY;
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

/* With TL_WALK_FOLD: the entry of folder `dir` matching comp ignoring case
 * (an exact match wins, else the smallest by byte order), else comp. */
static void match_comp(const char *dir, const char *comp, size_t len, unsigned flags, char *out)
{
    memcpy(out, comp, len);
    out[len] = '\0';
    if (!(flags & TL_WALK_FOLD))
        return;
    tl_buf pat = TL_BUF_INIT;
    tl_buf_printf(&pat, "%s\\*", dir);
    wchar_t *w = tl_buf_status(&pat) == TL_OK ? tl_win_wide(pat.data) : NULL;
    tl_buf_free(&pat);
    if (!w)
        return;
    WIN32_FIND_DATAW fd;
    HANDLE fh = FindFirstFileW(w, &fd);
    tl_free(w);
    if (fh == INVALID_HANDLE_VALUE)
        return;
    char best[NAME_MAX_BYTES + 1];
    int have = 0;
    do {
        char *u = tl_win_utf8(fd.cFileName);
        if (!u)
            continue;
        size_t ulen = strlen(u);
        if (ulen <= NAME_MAX_BYTES && tl_wincasecmpn(u, ulen, comp, len) == 0) {
            if (ulen == len && memcmp(u, comp, len) == 0) {
                memcpy(best, u, ulen + 1);
                have = 2; /* exact */
            } else if (have != 2 && (!have || strcmp(u, best) < 0)) {
                memcpy(best, u, ulen + 1);
                have = 1;
            }
        }
        tl_free(u);
    } while (have != 2 && FindNextFileW(fh, &fd));
    FindClose(fh);
    if (have)
        memcpy(out, best, strlen(best) + 1);
}

/* Walk to the folder holding rel's leaf: w->path is that folder, every
 * folder of it held; *leaf the matched last component. */
static tl_status walk_parent(const char *root, const char *rel, unsigned flags, wwalk *w,
                             char leaf[NAME_MAX_BYTES + 1], tl_diag *d)
{
    size_t ncomp = 0;
    tl_status st = check_rel(root, rel, &ncomp, d);
    if (st != TL_OK)
        return st;
    memset(w, 0, sizeof *w);
    tl_buf_puts(&w->path, root);
    while (w->path.len > 1 && (w->path.data[w->path.len - 1] == '/' || w->path.data[w->path.len - 1] == '\\'))
        w->path.data[--w->path.len] = '\0';
    if (tl_buf_status(&w->path) != TL_OK)
        return TL_E_NOMEM;
    DWORD err = 0;
    HANDLE h = hold_dir(w->path.data, &err);
    if (h == INVALID_HANDLE_VALUE && (flags & TL_WALK_CREATE) && attrs_of(w->path.data, &err) == INVALID_FILE_ATTRIBUTES) {
        st = tl_mkdirs(root, d);
        if (st != TL_OK)
            return st;
        h = hold_dir(w->path.data, &err);
    }
    if (h == INVALID_HANDLE_VALUE) {
        tl_diag_set(d, root, 0, "cannot open folder: %s", errstr(err));
        return tl_win_errno(err) == ENOENT ? TL_E_NOTFOUND : TL_E_IO;
    }
    w->held[w->nheld++] = h;
    size_t pos = 0, len = 0;
    for (size_t i = 0; i + 1 < ncomp; i++) {
        const char *c = tl_rel_next_comp(rel, &pos, &len);
        char name[NAME_MAX_BYTES + 1];
        match_comp(w->path.data, c, len, flags, name);
        size_t keep = w->path.len;
        tl_buf_putc(&w->path, '\\');
        tl_buf_puts(&w->path, name);
        if (tl_buf_status(&w->path) != TL_OK)
            return TL_E_NOMEM;
        DWORD a = attrs_of(w->path.data, &err);
        if (a == INVALID_FILE_ATTRIBUTES && tl_win_errno(err) == ENOENT && (flags & TL_WALK_CREATE)) {
            wchar_t *wp = tl_win_wide(w->path.data);
            if (!wp)
                return TL_E_NOMEM;
            if (!CreateDirectoryW(wp, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
                err = GetLastError();
                tl_free(wp);
                tl_diag_set(d, root, 0, "cannot create folder \"%s\" of \"%.300s\": %s", name, rel,
                            errstr(err));
                return TL_E_IO;
            }
            tl_free(wp);
            a = attrs_of(w->path.data, &err);
        }
        if (a == INVALID_FILE_ATTRIBUTES) {
            if (tl_win_errno(err) == ENOENT) {
                tl_diag_set(d, root, 0, "no folder \"%s\" on the way to \"%.300s\"", name, rel);
                return TL_E_NOTFOUND;
            }
            tl_diag_set(d, root, 0, "cannot open folder \"%s\": %s", name, errstr(err));
            return TL_E_IO;
        }
        if (a & FILE_ATTRIBUTE_REPARSE_POINT) {
            tl_diag_set(d, root, 0, "refusing to follow a symbolic link at \"%s\"", name);
            return TL_E_IO;
        }
        if (!(a & FILE_ATTRIBUTE_DIRECTORY)) {
            tl_diag_set(d, root, 0, "\"%s\" is not a folder", name);
            return TL_E_IO;
        }
        h = hold_dir(w->path.data, &err);
        if (h == INVALID_HANDLE_VALUE) {
            if (err == ERROR_DIRECTORY)
                tl_diag_set(d, root, 0, "refusing to follow a symbolic link at \"%s\"", name);
            else
                tl_diag_set(d, root, 0, "cannot open folder \"%s\": %s", name, errstr(err));
            return TL_E_IO;
        }
        w->held[w->nheld++] = h;
        (void)keep;
    }
    const char *c = tl_rel_next_comp(rel, &pos, &len);
    match_comp(w->path.data, c, len, flags, leaf);
    return TL_OK;
}

static wchar_t *leaf_path(wwalk *w, const char *leaf)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s\\%s", w->path.data, leaf);
    wchar_t *r = tl_buf_status(&b) == TL_OK ? tl_win_wide(b.data) : NULL;
    tl_buf_free(&b);
    return r;
}

static tl_status write_handle(HANDLE h, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        DWORD chunk = len > (1u << 30) ? (1u << 30) : (DWORD)len, n = 0;
        if (!WriteFile(h, p, chunk, &n, NULL) || n == 0)
            return TL_E_IO;
        p += n;
        len -= n;
    }
    return TL_OK;
}

tl_status tl_walk_write(const char *root, const char *rel, unsigned flags, const void *data,
                        size_t len, tl_diag *d)
{
    wwalk w;
    char leaf[NAME_MAX_BYTES + 1];
    char tmp[NAME_MAX_BYTES + 64];
    wchar_t *wl = NULL, *wt = NULL;
    HANDLE h = INVALID_HANDLE_VALUE;
    tl_status st = walk_parent(root, rel, flags, &w, leaf, d);
    if (st != TL_OK)
        goto cleanup;
    snprintf(tmp, sizeof tmp, ".%.200s.%lu.tmp~", leaf, (unsigned long)GetCurrentProcessId());
    wl = leaf_path(&w, leaf);
    wt = leaf_path(&w, tmp);
    if (!wl || !wt)
        TL_FAIL(TL_E_NOMEM);
    DeleteFileW(wt);
    h = CreateFileW(wt, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        tl_diag_set(d, root, 0, "cannot write \"%.300s\": %s", rel, errstr(GetLastError()));
        TL_FAIL(TL_E_IO);
    }
    if (write_handle(h, data, len) != TL_OK) {
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, errstr(GetLastError()));
        TL_FAIL(TL_E_IO);
    }
    CloseHandle(h);
    h = INVALID_HANDLE_VALUE;
    if (!MoveFileExW(wt, wl, MOVEFILE_REPLACE_EXISTING)) {
        tl_diag_set(d, root, 0, "cannot write \"%.300s\": %s", rel, errstr(GetLastError()));
        TL_FAIL(TL_E_IO);
    }
cleanup:
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    if (st != TL_OK && wt)
        DeleteFileW(wt);
    tl_free(wl);
    tl_free(wt);
    ww_free(&w);
    return st;
}

/* Open rel's leaf; regular disk files only. */
static tl_status open_leaf(const char *root, const char *rel, unsigned flags, DWORD access,
                           DWORD disp, HANDLE *out, int *kind, tl_diag *d)
{
    wwalk w;
    char leaf[NAME_MAX_BYTES + 1];
    if (kind)
        *kind = TL_WALK_MISSING;
    tl_status st = walk_parent(root, rel, flags, &w, leaf, d);
    if (st != TL_OK) {
        if (kind && st != TL_E_NOTFOUND)
            *kind = TL_WALK_OTHER;
        ww_free(&w);
        return st;
    }
    wchar_t *wl = leaf_path(&w, leaf);
    if (!wl) {
        ww_free(&w);
        return TL_E_NOMEM;
    }
    DWORD a = GetFileAttributesW(wl);
    DWORD err = a == INVALID_FILE_ATTRIBUTES ? GetLastError() : 0;
    HANDLE h = INVALID_HANDLE_VALUE;
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT)) {
        if (kind)
            *kind = TL_WALK_OTHER;
        tl_diag_set(d, root, 0, "refusing to follow a symbolic link at \"%.300s\"", rel);
        st = TL_E_IO;
    } else if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY)) {
        if (kind)
            *kind = TL_WALK_FOLDER;
        tl_diag_set(d, root, 0, "\"%.300s\" is a folder", rel);
        st = TL_E_NOTFOUND;
    } else if (a == INVALID_FILE_ATTRIBUTES && disp == OPEN_EXISTING) {
        if (tl_win_errno(err) == ENOENT) {
            tl_diag_set(d, root, 0, "\"%.300s\" does not exist", rel);
            st = TL_E_NOTFOUND;
        } else {
            if (kind)
                *kind = TL_WALK_OTHER;
            tl_diag_set(d, root, 0, "cannot open \"%.300s\": %s", rel, errstr(err));
            st = TL_E_IO;
        }
    } else {
        h = CreateFileW(wl, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, disp,
                        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        BY_HANDLE_FILE_INFORMATION fi;
        if (h == INVALID_HANDLE_VALUE) {
            err = GetLastError();
            if (kind && tl_win_errno(err) != ENOENT)
                *kind = TL_WALK_OTHER;
            tl_diag_set(d, root, 0, "cannot open \"%.300s\": %s", rel, errstr(err));
            st = tl_win_errno(err) == ENOENT ? TL_E_NOTFOUND : TL_E_IO;
        } else if (GetFileType(h) != FILE_TYPE_DISK || !GetFileInformationByHandle(h, &fi) ||
                   (fi.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))) {
            CloseHandle(h);
            h = INVALID_HANDLE_VALUE;
            if (kind)
                *kind = TL_WALK_OTHER;
            tl_diag_set(d, root, 0, "\"%.300s\" is not a regular file", rel);
            st = TL_E_IO;
        } else if (kind) {
            *kind = TL_WALK_FILE;
        }
    }
    tl_free(wl);
    ww_free(&w);
    *out = h;
    return st;
}

tl_status tl_walk_read(const char *root, const char *rel, unsigned flags, size_t max, char **data,
                       size_t *len, int *kind, tl_diag *d)
{
    HANDLE h = INVALID_HANDLE_VALUE;
    tl_status st = open_leaf(root, rel, flags, GENERIC_READ, OPEN_EXISTING, &h, kind, d);
    if (st != TL_OK)
        return st;
    int fd = _open_osfhandle((intptr_t)h, _O_RDONLY | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h);
        tl_diag_set(d, root, 0, "cannot open \"%.300s\": too many open files", rel);
        return TL_E_IO;
    }
    st = tl_fd_read_max(fd, max, rel, data, len, d);
    _close(fd);
    return st;
}

tl_status tl_walk_append(const char *root, const char *rel, unsigned flags, const void *data,
                         size_t len, tl_diag *d)
{
    HANDLE h = INVALID_HANDLE_VALUE;
    tl_status st = open_leaf(root, rel, flags, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, &h, NULL, d);
    if (st != TL_OK)
        return st;
    LARGE_INTEGER zero, old;
    zero.QuadPart = 0;
    if (!SetFilePointerEx(h, zero, &old, FILE_END)) {
        CloseHandle(h);
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, errstr(GetLastError()));
        return TL_E_IO;
    }
    if (write_handle(h, data, len) != TL_OK) {
        DWORD e = GetLastError();
        /* cut back a partial line so a reader never sees half of it */
        if (SetFilePointerEx(h, old, NULL, FILE_BEGIN))
            SetEndOfFile(h);
        CloseHandle(h);
        tl_diag_set(d, root, 0, "write error on \"%.300s\": %s", rel, errstr(e));
        return TL_E_IO;
    }
    CloseHandle(h);
    return TL_OK;
}

tl_status tl_walk_mkdir(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    wwalk w;
    char leaf[NAME_MAX_BYTES + 1];
    tl_status st = walk_parent(root, rel, flags | TL_WALK_CREATE, &w, leaf, d);
    if (st != TL_OK) {
        ww_free(&w);
        return st;
    }
    wchar_t *wl = leaf_path(&w, leaf);
    if (!wl) {
        ww_free(&w);
        return TL_E_NOMEM;
    }
    if (!CreateDirectoryW(wl, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
        tl_diag_set(d, root, 0, "cannot create folder \"%.300s\": %s", rel, errstr(GetLastError()));
        st = TL_E_IO;
    } else {
        DWORD a = GetFileAttributesW(wl);
        if (a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY) ||
            (a & FILE_ATTRIBUTE_REPARSE_POINT)) {
            tl_diag_set(d, root, 0, "\"%.300s\" exists and is not a folder", rel);
            st = TL_E_IO;
        }
    }
    tl_free(wl);
    ww_free(&w);
    return st;
}

/* Remove `path` (UTF-16): a file or reparse point itself, a folder emptied
 * (never entering a reparse point) and removed. */
static tl_status remove_w(const wchar_t *path, int depth, const char *root, tl_diag *d)
{
    DWORD a = GetFileAttributesW(path);
    if (a == INVALID_FILE_ATTRIBUTES)
        return tl_win_errno(GetLastError()) == ENOENT ? TL_OK : TL_E_IO;
    if (a & FILE_ATTRIBUTE_READONLY)
        SetFileAttributesW(path, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    if (!(a & FILE_ATTRIBUTE_DIRECTORY) || (a & FILE_ATTRIBUTE_REPARSE_POINT)) {
        BOOL ok = (a & FILE_ATTRIBUTE_DIRECTORY) ? RemoveDirectoryW(path) : DeleteFileW(path);
        if (!ok && tl_win_errno(GetLastError()) != ENOENT) {
            char *u = tl_win_utf8(path);
            tl_diag_set(d, root, 0, "cannot remove \"%s\": %s", u ? u : "?", errstr(GetLastError()));
            tl_free(u);
            return TL_E_IO;
        }
        return TL_OK;
    }
    if (depth > TL_WALK_MAX_DEPTH + 8) {
        tl_diag_set(d, root, 0, "folder tree deeper than %d levels; not removed",
                    TL_WALK_MAX_DEPTH + 8);
        return TL_E_LIMIT;
    }
    size_t pl = wcslen(path);
    wchar_t *pat = tl_malloc((pl + 3) * sizeof *pat);
    if (!pat)
        return TL_E_NOMEM;
    memcpy(pat, path, pl * sizeof *pat);
    memcpy(pat + pl, L"\\*", 3 * sizeof *pat);
    tl_status st = TL_OK;
    WIN32_FIND_DATAW fd;
    HANDLE fh = FindFirstFileW(pat, &fd);
    tl_free(pat);
    if (fh != INVALID_HANDLE_VALUE) {
        do {
            if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
                continue;
            size_t cl = wcslen(fd.cFileName);
            wchar_t *child = tl_malloc((pl + cl + 2) * sizeof *child);
            if (!child) {
                st = TL_E_NOMEM;
                break;
            }
            memcpy(child, path, pl * sizeof *child);
            child[pl] = L'\\';
            memcpy(child + pl + 1, fd.cFileName, (cl + 1) * sizeof *child);
            st = remove_w(child, depth + 1, root, d);
            tl_free(child);
        } while (st == TL_OK && FindNextFileW(fh, &fd));
        FindClose(fh);
    }
    if (st == TL_OK && !RemoveDirectoryW(path) && tl_win_errno(GetLastError()) != ENOENT) {
        char *u = tl_win_utf8(path);
        tl_diag_set(d, root, 0, "cannot remove folder \"%s\": %s", u ? u : "?", errstr(GetLastError()));
        tl_free(u);
        st = TL_E_IO;
    }
    return st;
}

tl_status tl_walk_remove(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    wwalk w;
    char leaf[NAME_MAX_BYTES + 1];
    tl_status st = walk_parent(root, rel, flags & ~(unsigned)TL_WALK_CREATE, &w, leaf, d);
    if (st == TL_E_NOTFOUND) {
        ww_free(&w);
        tl_diag_clear(d);
        return TL_OK; /* nothing there: nothing to remove */
    }
    if (st == TL_OK) {
        wchar_t *wl = leaf_path(&w, leaf);
        st = wl ? remove_w(wl, 0, root, d) : TL_E_NOMEM;
        tl_free(wl);
    }
    ww_free(&w);
    return st;
}

#endif

int tl_path_inside(const char *path, const char *const *roots, size_t n)
{
#ifndef _WIN32
    char *rp = realpath(path, NULL);
    if (!rp)
        return -1;
    int inside = 0;
    for (size_t i = 0; i < n && !inside; i++) {
        if (!roots[i])
            continue;
        char *rr = realpath(roots[i], NULL);
        if (!rr)
            continue;
        size_t l = strlen(rr);
        inside = strncmp(rp, rr, l) == 0 && (rp[l] == '/' || rp[l] == '\0' || l == 1);
        free(rr);
    }
    free(rp);
    return inside;
#else
    char *rp = tl_realpath(path);
    if (!rp)
        return -1;
    int inside = 0;
    for (size_t i = 0; i < n && !inside; i++) {
        if (!roots[i])
            continue;
        char *rr = tl_realpath(roots[i]);
        if (!rr)
            continue;
        size_t l = strlen(rr);
        while (l > 0 && (rr[l - 1] == '\\' || rr[l - 1] == '/'))
            l--; /* "C:\\" */
        inside = tl_wincasecmpn(rp, strlen(rp) < l ? strlen(rp) : l, rr, l) == 0 && strlen(rp) >= l &&
                 (rp[l] == '\\' || rp[l] == '/' || rp[l] == '\0');
        tl_free(rr);
    }
    tl_free(rp);
    return inside;
#endif
}
