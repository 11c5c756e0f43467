/* SPDX-License-Identifier: MIT */
/*
 * File access of the AR program (private), the only place that differs
 * between Windows and POSIX: UTF-8 paths become UTF-16 for _wfopen/CreateFileW
 * on Windows; on POSIX a Windows path below C: is resolved against a host
 * folder component by component, case-insensitively (the simulator mirrors
 * files case-insensitively, Windows paths are case-insensitive).
 */
#ifndef TL_AR_FS_INT_H
#define TL_AR_FS_INT_H

#include "tasklab/ar.h"
#include "tasklab/base.h"

enum { TL_ARFS_FOUND = 0, TL_ARFS_MISSING = 1, TL_ARFS_FOLDER = 2 };

/** Read a whole file of at most `limit` bytes. *kind tells missing/folder (then
 * TL_E_NOTFOUND). TL_E_LIMIT when larger, TL_E_IO on other errors. */
tl_status tl_arfs_read(const char *path, size_t limit, char **data, size_t *len, int *kind,
                       tl_diag *d);
/** Append data with one write; on a short write the file is cut back to its
 * old size, so a reader never sees half a line. */
tl_status tl_arfs_append(const char *path, const char *data, size_t len, tl_diag *d);
/** Read the task file at Windows path `winpath` ("C:\\Windows\\…"): on POSIX
 * with drive_c through base's descriptor-relative walk below drive_c (never
 * following a link, regular files only, a FIFO never blocks); else (Windows,
 * drive_c NULL) the path itself, as tl_arfs_read. */
tl_status tl_arfs_read_drive(const char *drive_c, const char *winpath, size_t limit, char **data,
                             size_t *len, int *kind, tl_diag *d);
/** tl_arfs_append on `rel` below host folder `root` (POSIX: the same walk). */
tl_status tl_arfs_append_under(const char *root, const char *rel, const char *data, size_t len,
                               tl_diag *d);
/** tl_arfs_read_drive or, with env->mem, the same read on the memory drive. */
tl_status tl_arfs_env_read(const tl_ar_env *env, const char *winpath, size_t limit, char **data,
                           size_t *len, int *kind, tl_diag *d);
/** tl_arfs_append_under(env->install_dir, rel) or, with env->mem, the same append
 * on the memory drive. */
tl_status tl_arfs_env_append(const tl_ar_env *env, const char *rel, const char *data, size_t len,
                             tl_diag *d);
/** Join host folder `dir` and a relative path using '\\' (or '/') separators;
 * on POSIX each component is matched case-insensitively against what exists. */
char *tl_arfs_join(const char *dir, const char *rel);



/* Shared with ar_run.c: is the last component of a targetObject a value name? */
int tl_ar_int_is_value_event(const char *leaf, const char *event_id, const char *event_type);
#endif /* TL_AR_FS_INT_H */
