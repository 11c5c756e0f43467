/* SPDX-License-Identifier: MIT */
/*
 * The platform layer: the few host calls that differ between POSIX and
 * Windows (mingw-w64, run natively or under Wine), so that no file outside
 * base/ needs an #ifdef _WIN32. Implemented in base/src/platform.c; the
 * contained file walk, folder locks and temporary folders (walk.c, lock.c)
 * have their Windows halves beside their POSIX ones.
 *
 * Invariants:
 *  - the POSIX side is the call it replaces, unchanged (same bytes, same
 *    errors on Linux);
 *  - on Windows, paths are UTF-8 and reach the system through the wide (-W)
 *    API; standard streams and every file are binary: tasklab writes "\n"
 *    line ends on both platforms.
 *
 * Ownership: nothing here allocates, except where a comment says so.
 */
#ifndef TL_PLATFORM_H
#define TL_PLATFORM_H

#include "tasklab/base.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What the system appends to an executable's name. */
#ifdef _WIN32
#define TL_EXE_SUFFIX ".exe"
#else
#define TL_EXE_SUFFIX ""
#endif

/** Once at the top of main(): stdout line-buffered (a CI log shows each
 * line as it is written); on Windows also binary stdin/stdout/stderr and
 * binary as the default mode of fopen (no CR added or removed). */
void tl_platform_init(void);

/** What a path names, without following a final symbolic link or reparse
 * point (lstat): */
enum { TL_PATH_MISSING = 0, TL_PATH_FILE, TL_PATH_DIR, TL_PATH_LINK, TL_PATH_OTHER };
int tl_path_kind(const char *path);

/** Online processors (at least 1). */
int tl_ncpus(void);
/** Peak resident set of this process in KiB (0 when unknown). */
long tl_peak_rss_kb(void);
/** mkdtemp: tmpl ends in "XXXXXX", replaced in place; the folder is private
 * to this user. Returns tmpl, or NULL with errno set. */
char *tl_mkdtemp(char *tmpl);
/** The running executable's full path into buf (n bytes). 0, or -1. */
int tl_self_exe(char *buf, size_t n);
/** The 1, 5 and 15 minute load averages; -1 each when unknown (Windows). */
void tl_loadavg(double la[3]);
/** The folder holding the running executable into buf (n bytes), without a
 * trailing separator. 0 on success, -1 when unknown. */
int tl_self_dir(char *buf, size_t n);
/** isatty. */
int tl_isatty(int fd);
/** inet_pton(AF_INET / AF_INET6): 1 parsed, 0 not an address. */
int tl_inet_pton4(const char *src, unsigned char dst[4]);
int tl_inet_pton6(const char *src, unsigned char dst[16]);

/** The absolute path path resolves to (links and "." / ".." resolved on
 * POSIX; the full path on Windows); caller tl_free()s. NULL with errno set
 * (missing). */
char *tl_realpath(const char *path);
/** Size of the regular file path (a link is not followed), -1 when absent or
 * not a regular file. */
long long tl_regular_file_size(const char *path);
/** Bytes [from, end) of the regular file path (no link followed, never
 * blocking on a FIFO), the last `max` of them at most, into buf (NUL added;
 * max + 1 bytes). Returns the count, -1 on error. */
long tl_read_tail(const char *path, long long from, char *buf, size_t max);
/** Hard link `to` -> `from`; when impossible (another file system), a copy
 * written atomically; either way executable. A link is never symbolic. */
tl_status tl_link_or_copy(const char *from, const char *to, tl_diag *d);
/** Block until this process holds the lock file path (created if missing);
 * -1 when it cannot be opened. Release with tl_lock_release. */
int tl_lock_wait(const char *path);
void tl_lock_release(int lock);
/** getline: one line of f with its end into *buf (malloc'd, grown; the
 * caller free()s it). Its length, or -1 at the end of the file. */
long tl_getline(char **buf, size_t *cap, FILE *f);
/** The user id (0 on Windows): per-user default folders. */
unsigned long tl_uid(void);

#ifdef __cplusplus
}
#endif

#endif
