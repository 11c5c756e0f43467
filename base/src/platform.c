/* SPDX-License-Identifier: MIT */
/*
 * The platform layer (tasklab/platform.h): POSIX calls on Linux, their
 * Windows equivalents in the mingw-w64 build, plus the UTF-8 <-> UTF-16
 * conversions the Windows halves of walk.c and lock.c share (platform_int.h).
 *
 * The address parsers tl_inet_pton4/6 are inet_pton on POSIX; on Windows our
 * own (tl_own_pton4/6), written to accept exactly what glibc's inet_pton
 * accepts (dotted quads without leading zeros; one "::"; an IPv4 tail) —
 * test_platform compares the two on Linux over a table of edge cases.
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* mkdtemp, readlink, realpath, flock, pread */
#endif
#include "tasklab/platform.h"
#include "tasklab/base.h"
#include "platform_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* ---- address parsers (own; used on Windows, compared on Linux) ------- */

int tl_own_pton4(const char *s, unsigned char out[4])
{
    unsigned char t[4];
    for (int n = 0; n < 4; n++) {
        if (*s < '0' || *s > '9')
            return 0;
        const char *b = s;
        unsigned v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (v > 255)
                return 0;
            s++;
        }
        if (s - b > 1 && *b == '0')
            return 0; /* no leading zero (not octal, as glibc) */
        t[n] = (unsigned char)v;
        if (n < 3 && *s++ != '.')
            return 0;
    }
    if (*s)
        return 0;
    memcpy(out, t, 4);
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tl_own_pton6(const char *s, unsigned char out[16])
{
    unsigned char t[16] = {0};
    size_t n = 0;
    long gap = -1; /* where "::" stands, in bytes */
    if (s[0] == ':') {
        if (s[1] != ':')
            return 0;
        gap = 0;
        s += 2;
    }
    while (*s) {
        const char *tok = s;
        unsigned v = 0;
        int h = 0;
        while (hexval(*s) >= 0) {
            if (++h > 4)
                return 0;
            v = v << 4 | (unsigned)hexval(*s);
            s++;
        }
        if (*s == '.') { /* an IPv4 tail ends the address */
            if (n + 4 > 16 || !tl_own_pton4(tok, t + n))
                return 0;
            n += 4;
            break;
        }
        if (h == 0 || n + 2 > 16)
            return 0;
        t[n++] = (unsigned char)(v >> 8);
        t[n++] = (unsigned char)v;
        if (!*s)
            break;
        if (*s++ != ':')
            return 0;
        if (*s == ':') {
            if (gap >= 0)
                return 0;
            gap = (long)n;
            s++;
        } else if (!*s) {
            return 0; /* a single trailing colon */
        }
    }
    if (gap >= 0) {
        if (n == 16)
            return 0; /* "::" must stand for at least one group */
        size_t tail = n - (size_t)gap;
        memmove(t + 16 - tail, t + gap, tail);
        memset(t + gap, 0, 16 - tail - (size_t)gap);
    } else if (n != 16) {
        return 0;
    }
    memcpy(out, t, 16);
    return 1;
}

#ifndef _WIN32

void tl_platform_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

int tl_path_kind(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return TL_PATH_MISSING;
    if (S_ISREG(sb.st_mode))
        return TL_PATH_FILE;
    if (S_ISDIR(sb.st_mode))
        return TL_PATH_DIR;
    if (S_ISLNK(sb.st_mode))
        return TL_PATH_LINK;
    return TL_PATH_OTHER;
}

int tl_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

long tl_peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss;
}

char *tl_mkdtemp(char *tmpl) { return mkdtemp(tmpl); }

int tl_self_exe(char *buf, size_t n)
{
    if (n < 2)
        return -1;
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    return 0;
}

void tl_loadavg(double la[3])
{
    if (getloadavg(la, 3) < 0)
        la[0] = la[1] = la[2] = -1;
}

int tl_self_dir(char *buf, size_t n)
{
    if (n < 2)
        return -1;
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

int tl_isatty(int fd) { return isatty(fd); }

int tl_inet_pton4(const char *src, unsigned char dst[4]) { return inet_pton(AF_INET, src, dst) == 1; }
int tl_inet_pton6(const char *src, unsigned char dst[16])
{
    return inet_pton(AF_INET6, src, dst) == 1;
}

char *tl_realpath(const char *path)
{
    char *r = realpath(path, NULL);
    if (!r)
        return NULL;
    char *c = tl_strdup(r);
    free(r);
    if (!c)
        errno = ENOMEM;
    return c;
}

long long tl_regular_file_size(const char *path)
{
    struct stat sb;
    if (!path || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    return (long long)sb.st_size;
}

long tl_read_tail(const char *path, long long from, char *buf, size_t max)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat sb;
    long got = -1;
    if (from < 0)
        from = 0;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        got = 0;
        if (sb.st_size > from) {
            long long len = sb.st_size - from;
            if (len > (long long)max) {
                from = sb.st_size - (long long)max;
                len = (long long)max;
            }
            ssize_t r = pread(fd, buf, (size_t)len, (off_t)from);
            if (r > 0) {
                buf[r] = '\0';
                got = (long)r;
            }
        }
    }
    close(fd);
    return got;
}

tl_status tl_link_or_copy(const char *from, const char *to, tl_diag *d)
{
    if (unlink(to) != 0 && errno != ENOENT) {
        tl_diag_set(d, to, 0, "cannot replace: %s", strerror(errno));
        return TL_E_IO;
    }
    if (link(from, to) == 0)
        return TL_OK;
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(from, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_file_write_atomic(to, data, len, d);
    tl_free(data);
    if (st == TL_OK && chmod(to, 0755) != 0) {
        tl_diag_set(d, to, 0, "cannot make executable: %s", strerror(errno));
        st = TL_E_IO;
    }
    return st;
}

int tl_lock_wait(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        flock(fd, LOCK_EX);
    return fd;
}

void tl_lock_release(int lock)
{
    if (lock >= 0)
        close(lock); /* releases the flock */
}

unsigned long tl_uid(void) { return (unsigned long)getuid(); }

long tl_getline(char **buf, size_t *cap, FILE *f) { return (long)getline(buf, cap, f); }

#else /* _WIN32 */

wchar_t *tl_win_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        errno = EINVAL;
        return NULL;
    }
    wchar_t *w = tl_malloc((size_t)n * sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

char *tl_win_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0)
        return NULL;
    char *s = tl_malloc((size_t)n);
    if (!s)
        return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

int tl_win_errno(unsigned long err)
{
    switch (err) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
        return EEXIST;
    case ERROR_DIR_NOT_EMPTY:
        return ENOTEMPTY;
    case ERROR_DIRECTORY:
        return ENOTDIR;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return ENOSPC;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    default:
        return EIO;
    }
}

void tl_platform_init(void)
{
    _setmode(0, _O_BINARY);
    _setmode(1, _O_BINARY);
    _setmode(2, _O_BINARY);
    _fmode = _O_BINARY;
    /* msvcrt has no line buffering (_IOLBF is full buffering and needs a size) */
    setvbuf(stdout, NULL, _IONBF, 0);
}

int tl_path_kind(const char *path)
{
    wchar_t *w = tl_win_wide(path);
    if (!w)
        return TL_PATH_MISSING;
    DWORD a = GetFileAttributesW(w);
    tl_free(w);
    if (a == INVALID_FILE_ATTRIBUTES)
        return TL_PATH_MISSING;
    if (a & FILE_ATTRIBUTE_REPARSE_POINT)
        return TL_PATH_LINK;
    if (a & FILE_ATTRIBUTE_DIRECTORY)
        return TL_PATH_DIR;
    if (a & FILE_ATTRIBUTE_DEVICE)
        return TL_PATH_OTHER;
    return TL_PATH_FILE;
}

int tl_ncpus(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors < 1 ? 1 : (int)si.dwNumberOfProcessors;
}

long tl_peak_rss_kb(void) { return 0; }

char *tl_mkdtemp(char *tmpl)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t l = strlen(tmpl);
    if (l < 6 || strcmp(tmpl + l - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return NULL;
    }
    static unsigned long long seq;
    for (int tries = 0; tries < 1000; tries++) {
        /* names only need to be unlikely to collide: a counter mixed with
         * the process id and the tick count (never part of an output) */
        unsigned long long x = (GetTickCount64() << 20) ^ ((unsigned long long)GetCurrentProcessId() << 8) ^
                               (++seq * 0x9E3779B97F4A7C15ull);
        for (int i = 0; i < 6; i++) {
            tmpl[l - 6 + i] = set[x % 36];
            x /= 36;
        }
        wchar_t *w = tl_win_wide(tmpl);
        if (!w)
            return NULL;
        BOOL ok = CreateDirectoryW(w, NULL);
        DWORD e = GetLastError();
        tl_free(w);
        if (ok)
            return tmpl;
        if (e != ERROR_ALREADY_EXISTS) {
            errno = tl_win_errno(e);
            return NULL;
        }
    }
    errno = EEXIST;
    return NULL;
}

int tl_self_exe(char *buf, size_t n)
{
    wchar_t w[32768];
    DWORD k = GetModuleFileNameW(NULL, w, (DWORD)(sizeof w / sizeof w[0]));
    if (k == 0 || k >= sizeof w / sizeof w[0])
        return -1;
    char *s = tl_win_utf8(w);
    if (!s || strlen(s) + 1 > n) {
        tl_free(s);
        return -1;
    }
    memcpy(buf, s, strlen(s) + 1);
    tl_free(s);
    return 0;
}

void tl_loadavg(double la[3]) { la[0] = la[1] = la[2] = -1; }

int tl_self_dir(char *buf, size_t n)
{
    wchar_t w[32768];
    DWORD k = GetModuleFileNameW(NULL, w, (DWORD)(sizeof w / sizeof w[0]));
    if (k == 0 || k >= sizeof w / sizeof w[0])
        return -1;
    char *s = tl_win_utf8(w);
    if (!s)
        return -1;
    char *sep = strrchr(s, '\\');
    char *slash = strrchr(s, '/');
    if (slash > sep)
        sep = slash;
    if (!sep || (size_t)(sep - s) + 1 > n) {
        tl_free(s);
        return -1;
    }
    *sep = '\0';
    memcpy(buf, s, (size_t)(sep - s) + 1);
    tl_free(s);
    return 0;
}

int tl_isatty(int fd) { return _isatty(fd); }

int tl_inet_pton4(const char *src, unsigned char dst[4]) { return tl_own_pton4(src, dst); }
int tl_inet_pton6(const char *src, unsigned char dst[16]) { return tl_own_pton6(src, dst); }

char *tl_realpath(const char *path)
{
    wchar_t *w = tl_win_wide(path);
    if (!w)
        return NULL;
    wchar_t full[32768];
    DWORD n = GetFullPathNameW(w, (DWORD)(sizeof full / sizeof full[0]), full, NULL);
    DWORD a = n && n < sizeof full / sizeof full[0] ? GetFileAttributesW(full) : INVALID_FILE_ATTRIBUTES;
    tl_free(w);
    if (a == INVALID_FILE_ATTRIBUTES && n && n < sizeof full / sizeof full[0] && !wcspbrk(full, L"*?")) {
        /* a device or FIFO under Wine has no attributes, but is listed */
        WIN32_FIND_DATAW fd;
        HANDLE fh = FindFirstFileW(full, &fd);
        if (fh != INVALID_HANDLE_VALUE) {
            FindClose(fh);
            a = fd.dwFileAttributes;
        }
    }
    if (n == 0 || n >= sizeof full / sizeof full[0] || a == INVALID_FILE_ATTRIBUTES) {
        errno = ENOENT;
        return NULL;
    }
    char *r = tl_win_utf8(full);
    if (!r)
        errno = ENOMEM;
    return r;
}

/* Open path without following a final reparse point; INVALID_HANDLE_VALUE
 * when missing, a reparse point, or not a disk file. */
static HANDLE open_regular(const char *path, DWORD access, DWORD disp, BY_HANDLE_FILE_INFORMATION *fi)
{
    wchar_t *w = tl_win_wide(path);
    if (!w)
        return INVALID_HANDLE_VALUE;
    DWORD a = GetFileAttributesW(w);
    HANDLE h = INVALID_HANDLE_VALUE;
    if (a == INVALID_FILE_ATTRIBUTES ? disp != OPEN_EXISTING : !(a & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)))
        h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, disp,
                        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    tl_free(w);
    if (h == INVALID_HANDLE_VALUE)
        return h;
    if (GetFileType(h) != FILE_TYPE_DISK || !GetFileInformationByHandle(h, fi) ||
        (fi->dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))) {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

long long tl_regular_file_size(const char *path)
{
    BY_HANDLE_FILE_INFORMATION fi;
    if (!path)
        return -1;
    HANDLE h = open_regular(path, FILE_READ_ATTRIBUTES, OPEN_EXISTING, &fi);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    CloseHandle(h);
    return (long long)(((unsigned long long)fi.nFileSizeHigh << 32) | fi.nFileSizeLow);
}

long tl_read_tail(const char *path, long long from, char *buf, size_t max)
{
    BY_HANDLE_FILE_INFORMATION fi;
    buf[0] = '\0';
    HANDLE h = open_regular(path, GENERIC_READ, OPEN_EXISTING, &fi);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    long long size = (long long)(((unsigned long long)fi.nFileSizeHigh << 32) | fi.nFileSizeLow);
    long got = 0;
    if (from < 0)
        from = 0;
    if (size > from) {
        long long len = size - from;
        if (len > (long long)max) {
            from = size - (long long)max;
            len = (long long)max;
        }
        OVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        ov.Offset = (DWORD)from;
        ov.OffsetHigh = (DWORD)((unsigned long long)from >> 32);
        DWORD n = 0;
        if (ReadFile(h, buf, (DWORD)len, &n, &ov) && n > 0) {
            buf[n] = '\0';
            got = (long)n;
        }
    }
    CloseHandle(h);
    return got;
}

tl_status tl_link_or_copy(const char *from, const char *to, tl_diag *d)
{
    wchar_t *wf = tl_win_wide(from), *wt = tl_win_wide(to);
    tl_status st = TL_OK;
    if (!wf || !wt) {
        tl_diag_set(d, to, 0, "bad file name");
        st = TL_E_INVAL;
        goto cleanup;
    }
    if (!DeleteFileW(wt) && GetLastError() != ERROR_FILE_NOT_FOUND) {
        tl_diag_set(d, to, 0, "cannot replace: %s", strerror(tl_win_errno(GetLastError())));
        st = TL_E_IO;
        goto cleanup;
    }
    if (!CreateHardLinkW(wt, wf, NULL) && !CopyFileW(wf, wt, FALSE)) {
        tl_diag_set(d, to, 0, "cannot copy the program: %s", strerror(tl_win_errno(GetLastError())));
        st = TL_E_IO;
    }
cleanup:
    tl_free(wf);
    tl_free(wt);
    return st;
}

int tl_lock_wait(const char *path)
{
    wchar_t *w = tl_win_wide(path);
    if (!w)
        return -1;
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    tl_free(w);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ov);
    int fd = _open_osfhandle((intptr_t)h, 0);
    if (fd < 0)
        CloseHandle(h);
    return fd;
}

void tl_lock_release(int lock)
{
    if (lock >= 0)
        _close(lock); /* closing the handle releases the lock */
}

unsigned long tl_uid(void) { return 0; }

long tl_getline(char **buf, size_t *cap, FILE *f)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        if (n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 128;
            char *nb = realloc(*buf, nc); /* malloc'd: the caller free()s it, as getline's */
            if (!nb) {
                errno = ENOMEM;
                return -1;
            }
            *buf = nb;
            *cap = nc;
        }
        (*buf)[n++] = (char)c;
        if (c == '\n')
            break;
    }
    if (n == 0)
        return -1;
    (*buf)[n] = '\0';
    return (long)n;
}

#endif
