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
 * On Windows (the AR's mingw-w64 build) the functions join the path and use
 * plain stdio: the Windows platform layer is another issue's work, and there
 * the program reads C: directly (no host folder to escape from).
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* openat family, realpath */
#endif
#include "tasklab/base.h"

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

/* Next component of rel at *pos (skipping separators); NULL when none. */
static const char *next_comp(const char *rel, size_t *pos, size_t *len)
{
    size_t i = *pos;
    while (rel[i] == '/' || rel[i] == '\\')
        i++;
    if (!rel[i]) {
        *pos = i;
        return NULL;
    }
    size_t j = i;
    while (rel[j] && rel[j] != '/' && rel[j] != '\\')
        j++;
    *pos = j;
    *len = j - i;
    return rel + i;
}

/* Check rel: components, depth, name lengths. Returns the number of components. */
static tl_status check_rel(const char *root, const char *rel, size_t *ncomp, tl_diag *d)
{
    size_t pos = 0, len = 0, n = 0;
    const char *c;
    while ((c = next_comp(rel, &pos, &len)) != NULL) {
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
        const char *c = next_comp(rel, &pos, &len);
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
    const char *c = next_comp(rel, &pos, &len);
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

#else /* _WIN32: plain stdio on the joined path (see the comment atop). */

static char *join(const char *root, const char *rel)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, root);
    size_t pos = 0, len = 0;
    const char *c;
    while ((c = next_comp(rel, &pos, &len)) != NULL) {
        tl_buf_putc(&b, '\\');
        tl_buf_append(&b, c, len);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}

tl_status tl_walk_write(const char *root, const char *rel, unsigned flags, const void *data,
                        size_t len, tl_diag *d)
{
    (void)flags;
    size_t n;
    tl_status st = check_rel(root, rel, &n, d);
    if (st != TL_OK)
        return st;
    char *p = join(root, rel);
    if (!p)
        return TL_E_NOMEM;
    st = tl_file_write_atomic(p, data, len, d);
    tl_free(p);
    return st;
}

tl_status tl_walk_read(const char *root, const char *rel, unsigned flags, size_t max, char **data,
                       size_t *len, int *kind, tl_diag *d)
{
    (void)flags;
    size_t n;
    if (kind)
        *kind = TL_WALK_OTHER;
    tl_status st = check_rel(root, rel, &n, d);
    if (st != TL_OK)
        return st;
    char *p = join(root, rel);
    if (!p)
        return TL_E_NOMEM;
    st = tl_file_read_max(p, max, data, len, d);
    if (kind)
        *kind = st == TL_OK ? TL_WALK_FILE : TL_WALK_MISSING;
    tl_free(p);
    return st;
}

tl_status tl_walk_append(const char *root, const char *rel, unsigned flags, const void *data,
                         size_t len, tl_diag *d)
{
    (void)flags;
    size_t n;
    tl_status st = check_rel(root, rel, &n, d);
    if (st != TL_OK)
        return st;
    char *p = join(root, rel);
    if (!p)
        return TL_E_NOMEM;
    st = tl_file_append(p, data, len, d);
    tl_free(p);
    return st;
}

tl_status tl_walk_mkdir(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    (void)flags;
    size_t n;
    tl_status st = check_rel(root, rel, &n, d);
    if (st != TL_OK)
        return st;
    char *p = join(root, rel);
    if (!p)
        return TL_E_NOMEM;
    st = tl_mkdirs(p, d);
    tl_free(p);
    return st;
}

tl_status tl_walk_remove(const char *root, const char *rel, unsigned flags, tl_diag *d)
{
    (void)flags;
    (void)rel;
    tl_diag_set(d, root, 0, "folder removal is not available in the Windows build");
    return TL_E_INTERNAL;
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
    (void)path;
    (void)roots;
    (void)n;
    return 1;
#endif
}
