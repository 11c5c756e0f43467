/* SPDX-License-Identifier: MIT */
/*
 * Folder locks, private temporary folders, and the cleaning of what killed
 * runs left behind.
 *
 * Invariants:
 *  - a lock is flock(LOCK_EX) on a file inside the folder, held by an open
 *    descriptor: the kernel drops it when the process dies, so a lock can
 *    never be stale, and "can I take the lock" is exactly "is the owner dead";
 *  - a private temporary folder is mkdtemp's (0700) "<TMPDIR>/tasklab-XXXXXX"
 *    (TMPDIR unset: /dev/shm when usable, else /tmp; see tmp_dir)
 *    holding "owner.lock", locked by its creator before the file gets that
 *    name (it is created as "owner.lock.new", locked, then renamed): a cleaner
 *    that finds owner.lock unlocked knows the creator is gone;
 *  - the cleaners remove only what tasklab itself names: "tasklab-" + 6
 *    characters folders owned by this user whose owner.lock is free, and
 *    "*.<pid>.tmp~" regular files whose <pid> is no live process. Anything
 *    else (no owner.lock, another user's, a live pid) is left alone.
 *
 * On Windows a lock is LockFileEx on the lock file (released when its
 * handle closes, also when the process dies); the temporary folder is
 * TMPDIR's, else the user's; the cleaners remove nothing yet.
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* flock, mkdtemp, kill */
#endif
#include "tasklab/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef ST_NOEXEC
#define ST_NOEXEC 8 /* Linux's statvfs flag (glibc names it under _GNU_SOURCE only) */
#endif

tl_status tl_dir_lock(const char *dir, int *fd, tl_diag *d)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        tl_diag_set(d, dir, 0, "cannot open folder: %s", strerror(errno));
        return TL_E_IO;
    }
    int lfd = openat(dfd, TL_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e = errno;
    close(dfd);
    if (lfd < 0) {
        tl_diag_set(d, dir, 0, "cannot open the lock file %s: %s", TL_LOCK_NAME, strerror(e));
        return TL_E_IO;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        e = errno;
        close(lfd);
        if (e == EWOULDBLOCK) {
            tl_diag_set(d, dir, 0,
                        "another tasklab run is writing into this folder (it holds %s); wait "
                        "for it to end or use another --out",
                        TL_LOCK_NAME);
            return TL_E_INVAL;
        }
        tl_diag_set(d, dir, 0, "cannot lock %s: %s", TL_LOCK_NAME, strerror(e));
        return TL_E_IO;
    }
    *fd = lfd;
    return TL_OK;
}

void tl_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the descriptor releases the flock */
}

/* A memory file system usable for private temporary folders: writable and
 * searchable by this user, not read-only, programs may run from it (`--ar
 * exec` runs the AR program installed in the temporary drive), and at least
 * 64 MiB free. */
static int mem_tmp_ok(const char *dir)
{
    struct statvfs v;
    return statvfs(dir, &v) == 0 && !(v.f_flag & (ST_RDONLY | ST_NOEXEC)) &&
           (unsigned long long)v.f_bavail * v.f_frsize >= (64ull << 20) &&
           access(dir, W_OK | X_OK) == 0;
}

/* Where private temporary folders go: $TMPDIR when set; else /dev/shm when
 * usable (mem_tmp_ok); else /tmp. A temporary drive is a few small files made
 * and removed by every run (tasklab report: hundreds of runs): on a disk file
 * system mounted with `discard`, as this project's machines are, each removal
 * waits for the device, which made the report's wall time several times its
 * CPU time (issue 17). Nothing of a temporary drive outlives its run. */
static const char *tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    if (t && *t)
        return t;
    return mem_tmp_ok("/dev/shm") ? "/dev/shm" : "/tmp";
}

tl_status tl_tempdir_new(char *path, size_t n, int *lockfd, tl_diag *d)
{
    if ((size_t)snprintf(path, n, "%s/tasklab-XXXXXX", tmp_dir()) >= n) {
        tl_diag_set(d, tmp_dir(), 0, "temporary folder path too long");
        return TL_E_LIMIT;
    }
    if (!mkdtemp(path)) { /* mode 0700: private to this user */
        tl_diag_set(d, path, 0, "cannot create a temporary folder: %s", strerror(errno));
        return TL_E_IO;
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int lfd = dfd < 0 ? -1
                      : openat(dfd, "owner.lock.new",
                               O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX) != 0 ||
        renameat(dfd, "owner.lock.new", dfd, "owner.lock") != 0) {
        tl_diag_set(d, path, 0, "cannot create the owner lock: %s", strerror(errno));
        if (lfd >= 0)
            close(lfd);
        if (dfd >= 0)
            close(dfd);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        tl_walk_remove(path, slash + 1, 0, NULL);
        *slash = '/';
        return TL_E_IO;
    }
    close(dfd);
    *lockfd = lfd;
    return TL_OK;
}

tl_status tl_tempdir_free(const char *path, int lockfd)
{
    tl_status st = TL_OK;
    const char *slash = strrchr(path, '/');
    if (slash) {
        char parent[4096];
        size_t pl = (size_t)(slash - path);
        if (pl == 0)
            pl = 1;
        if (pl < sizeof parent) {
            memcpy(parent, path, pl);
            parent[pl] = '\0';
            st = tl_walk_remove(parent, slash + 1, 0, NULL);
        }
    }
    tl_dir_unlock(lockfd);
    return st;
}

/* "tasklab-" + 6 characters mkdtemp may use */
static int is_tempdir_name(const char *n)
{
    if (strncmp(n, "tasklab-", 8) != 0 || strlen(n) != 14)
        return 0;
    for (const char *p = n + 8; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* "<anything>.<pid>.tmp~" -> pid, else 0 */
static long tmp_owner(const char *n)
{
    size_t len = strlen(n);
    if (len < 8 || strcmp(n + len - 5, ".tmp~") != 0)
        return 0;
    size_t e = len - 5, b = e;
    while (b > 0 && n[b - 1] >= '0' && n[b - 1] <= '9')
        b--;
    if (b == e || b == 0 || n[b - 1] != '.' || e - b > 9)
        return 0;
    return strtol(n + b, NULL, 10);
}

static int pid_dead(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

size_t tl_clean_stale(const char *dir)
{
    size_t removed = 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    int dfd2 = dup(dfd);
    DIR *dh = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
    if (!dh) {
        if (dfd2 >= 0)
            close(dfd2);
        close(dfd);
        return 0;
    }
    /* names first: removing while reading may skip entries */
    tl_buf names = TL_BUF_INIT;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL)
        if (is_tempdir_name(e->d_name) || tmp_owner(e->d_name))
            tl_buf_append(&names, e->d_name, strlen(e->d_name) + 1);
    closedir(dh);
    for (size_t off = 0; names.data && off < names.len; off += strlen(names.data + off) + 1) {
        const char *n = names.data + off;
        struct stat sb;
        if (fstatat(dfd, n, &sb, AT_SYMLINK_NOFOLLOW) != 0 || sb.st_uid != geteuid())
            continue;
        if (is_tempdir_name(n) && S_ISDIR(sb.st_mode)) {
            int tfd = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int lfd = tfd < 0 ? -1 : openat(tfd, "owner.lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
            if (tfd >= 0)
                close(tfd);
            if (lfd < 0)
                continue; /* not ours, or from before owner locks: left alone */
            if (flock(lfd, LOCK_EX | LOCK_NB) == 0 && tl_walk_remove(dir, n, 0, NULL) == TL_OK)
                removed++;
            close(lfd);
        } else if (S_ISREG(sb.st_mode) && pid_dead(tmp_owner(n))) {
            if (unlinkat(dfd, n, 0) == 0)
                removed++;
        }
    }
    tl_buf_free(&names);
    close(dfd);
    return removed;
}

size_t tl_clean_stale_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    if (t && *t)
        return tl_clean_stale(t);
    /* both places a run with TMPDIR unset may have used */
    return tl_clean_stale("/dev/shm") + tl_clean_stale("/tmp");
}

#else /* _WIN32 */

#include "platform_int.h"
#include "tasklab/platform.h"

#include <io.h>
#include <windows.h>

/* A lock is LockFileEx on the lock file's handle, wrapped in a C runtime
 * descriptor: closing it (or the process ending) releases it. */
static int lock_file(const char *dir, const char *name, int wait, DWORD *err)
{
    char *p = tl_path_join(dir, name);
    wchar_t *w = p ? tl_win_wide(p) : NULL;
    tl_free(p);
    if (!w) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return -1;
    }
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    *err = GetLastError();
    tl_free(w);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY), 0, 1, 0,
                    &ov)) {
        *err = GetLastError();
        CloseHandle(h);
        return -2;
    }
    int fd = _open_osfhandle((intptr_t)h, 0);
    if (fd < 0) {
        *err = ERROR_TOO_MANY_OPEN_FILES;
        CloseHandle(h);
    }
    return fd;
}

tl_status tl_dir_lock(const char *dir, int *fd, tl_diag *d)
{
    DWORD err = 0;
    int lfd = lock_file(dir, TL_LOCK_NAME, 0, &err);
    if (lfd == -2) {
        tl_diag_set(d, dir, 0,
                    "another tasklab run is writing into this folder (it holds %s); wait "
                    "for it to end or use another --out",
                    TL_LOCK_NAME);
        return TL_E_INVAL;
    }
    if (lfd < 0) {
        tl_diag_set(d, dir, 0, "cannot open the lock file %s: %s", TL_LOCK_NAME,
                    strerror(tl_win_errno(err)));
        return TL_E_IO;
    }
    *fd = lfd;
    return TL_OK;
}

void tl_dir_unlock(int fd)
{
    if (fd >= 0)
        _close(fd); /* closing the handle releases the lock */
}

/* TMPDIR as on POSIX (under Wine a Unix path resolves on the current drive),
 * else the user's temporary folder, without its trailing separator. */
static void tmp_dir(char *out, size_t n)
{
    const char *t = getenv("TMPDIR");
    if (t && *t) {
        snprintf(out, n, "%s", t);
        return;
    }
    wchar_t w[MAX_PATH + 2];
    DWORD k = GetTempPathW(MAX_PATH + 1, w);
    char *u = k && k <= MAX_PATH ? tl_win_utf8(w) : NULL;
    snprintf(out, n, "%s", u ? u : ".");
    tl_free(u);
    size_t l = strlen(out);
    while (l > 1 && (out[l - 1] == '\\' || out[l - 1] == '/'))
        out[--l] = '\0';
}

tl_status tl_tempdir_new(char *path, size_t n, int *lockfd, tl_diag *d)
{
    char t[1024];
    tmp_dir(t, sizeof t);
    if ((size_t)snprintf(path, n, "%s/tasklab-XXXXXX", t) >= n) {
        tl_diag_set(d, t, 0, "temporary folder path too long");
        return TL_E_LIMIT;
    }
    if (!tl_mkdtemp(path)) {
        tl_diag_set(d, path, 0, "cannot create a temporary folder: %s", strerror(errno));
        return TL_E_IO;
    }
    DWORD err = 0;
    int lfd = lock_file(path, "owner.lock", 1, &err);
    if (lfd < 0) {
        tl_diag_set(d, path, 0, "cannot create the owner lock: %s", strerror(tl_win_errno(err)));
        char *slash = strrchr(path, '/');
        *slash = '\0';
        tl_walk_remove(path, slash + 1, 0, NULL);
        *slash = '/';
        return TL_E_IO;
    }
    *lockfd = lfd;
    return TL_OK;
}

tl_status tl_tempdir_free(const char *path, int lockfd)
{
    tl_status st = TL_OK;
    tl_dir_unlock(lockfd); /* first: an open owner.lock keeps its folder from going */
    const char *slash = strrchr(path, '/');
    if (slash) {
        char parent[4096];
        size_t pl = (size_t)(slash - path);
        if (pl == 0)
            pl = 1;
        if (pl < sizeof parent) {
            memcpy(parent, path, pl);
            parent[pl] = '\0';
            st = tl_walk_remove(parent, slash + 1, 0, NULL);
        }
    }
    return st;
}

/* Not on Windows yet: what killed runs left in the temporary folder stays. */
size_t tl_clean_stale(const char *dir)
{
    (void)dir;
    return 0;
}
size_t tl_clean_stale_tmpdir(void) { return 0; }

#endif
