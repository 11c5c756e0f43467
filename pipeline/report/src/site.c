/* SPDX-License-Identifier: MIT */
/*
 * The output folder of the report, written all or nothing.
 *
 * The site is built in a fresh sibling `.<base>.tmp-XXXXXX` (mkdtemp, so it is
 * ours alone) and only renamed to DIR when every file is written. DIR itself:
 *   - absent: the temporary folder is renamed to it;
 *   - an empty folder: removed (rmdir) and replaced;
 *   - a previous tasklab report (it has the marker `.tasklab-report`, whose
 *     content lists the files that report wrote): renamed aside to
 *     `.<base>.old-XXXXXX`, the new one renamed in, then the files the marker
 *     lists are deleted from the old one and the folder removed — a file a
 *     person added there is never deleted (the old folder then stays, and the
 *     caller is told);
 *   - anything else: refused, nothing touched.
 * On any failure the temporary folder's files (only those this code wrote)
 * are removed and the folder with them.
 */
#define _POSIX_C_SOURCE 200809L
#include "site_int.h"
#include "tasklab/platform.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER ".tasklab-report"
#define MARKER_HEAD "tasklab report\n"

struct tl_site {
    char *dir;  /* final */
    char *tmp;  /* the folder being built */
    char **files;
    size_t n, cap;
};

static char *sibling(const char *dir, const char *what)
{
    /* ".<base>.<what>-XXXXXX" next to dir */
    const char *slash = strrchr(dir, '/');
    tl_buf b = TL_BUF_INIT;
    if (slash)
        tl_buf_append(&b, dir, (size_t)(slash - dir) + 1);
    tl_buf_printf(&b, ".%s.%s-XXXXXX", slash ? slash + 1 : dir, what);
    return tl_buf_take(&b);
}

/* The checks of tl_site_open that create nothing: DIR is absent (with a
 * folder to be created in), an empty folder, or a previous report. */
static tl_status check_dir(const char *dir, char *clean, size_t cap, int *is_report, tl_diag *d)
{
    size_t l = strlen(dir);
    *is_report = 0;
    if (!l || l >= cap) {
        tl_diag_set(d, dir, 0, "--out: bad folder name");
        return TL_E_INVAL;
    }
    memcpy(clean, dir, l + 1);
    while (l > 1 && clean[l - 1] == '/')
        clean[--l] = '\0';
    const char *base = strrchr(clean, '/');
    base = base ? base + 1 : clean;
    if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(clean, "/")) {
        tl_diag_set(d, dir, 0, "--out must name a folder of its own, not '%s'", base);
        return TL_E_INVAL;
    }
    struct stat sb;
    int kind = tl_path_kind(clean);
    if (kind == TL_PATH_MISSING) {
        /* the parent must be a folder */
        char parent[4096];
        snprintf(parent, sizeof parent, "%.*s", base == clean ? 1 : (int)(base - clean), base == clean ? "." : clean);
        if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            tl_diag_set(d, dir, 0, "cannot create the report folder: %s is not a folder", parent);
            return TL_E_IO;
        }
        return TL_OK;
    }
    if (kind != TL_PATH_DIR) {
        tl_diag_set(d, dir, 0, "--out exists and is not a folder (refused)");
        return TL_E_INVAL;
    }
    char *m = tl_path_join(clean, MARKER);
    *is_report = m && access(m, F_OK) == 0;
    tl_free(m);
    if (*is_report)
        return TL_OK;
    DIR *dh = opendir(clean);
    int entries = 0;
    if (dh) {
        struct dirent *e;
        while ((e = readdir(dh)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                entries++;
        closedir(dh);
    }
    if (!dh || entries) {
        tl_diag_set(d, dir, 0,
                    "--out exists and is not a tasklab report (no %s); refused, choose a new "
                    "folder",
                    MARKER);
        return TL_E_INVAL;
    }
    return TL_OK;
}

tl_status tl_site_check(const char *dir, tl_diag *d)
{
    char clean[4096];
    int is_report;
    return check_dir(dir, clean, sizeof clean, &is_report, d);
}

tl_status tl_site_open(const char *dir, tl_site **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_site *s = NULL;
    char clean[4096];
    int is_report = 0;
    TL_TRY(check_dir(dir, clean, sizeof clean, &is_report, d));
    (void)is_report;
    s = tl_calloc(1, sizeof *s);
    TL_TRY_ALLOC(s);
    s->dir = tl_strdup(clean);
    TL_TRY_ALLOC(s->dir);
    s->tmp = sibling(clean, "tmp");
    TL_TRY_ALLOC(s->tmp);
    if (!tl_mkdtemp(s->tmp)) {
        tl_diag_set(d, dir, 0, "cannot create the report folder: %s", strerror(errno));
        tl_free(s->tmp);
        s->tmp = NULL;
        TL_FAIL(TL_E_IO);
    }
    /* mkdtemp makes it 0700; a report is for reading: the usual mode */
    mode_t mask = umask(0);
    umask(mask);
    chmod(s->tmp, 0777 & ~mask);
    *out = s;
    s = NULL;
cleanup:
    tl_site_abort(s);
    return st;
}

tl_status tl_site_write(tl_site *s, const char *name, const char *data, size_t len, tl_diag *d)
{
    tl_status st = TL_OK;
    char *p = NULL, *copy = NULL;
    FILE *f = NULL;
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
        tl_diag_set(d, s->dir, 0, "not a plain file name: %s", name);
        return TL_E_INVAL;
    }
    p = tl_path_join(s->tmp, name);
    copy = tl_strdup(name);
    TL_TRY_ALLOC(p);
    TL_TRY_ALLOC(copy);
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        char **nv = tl_realloc(s->files, nc * sizeof *nv);
        TL_TRY_ALLOC(nv);
        s->files = nv;
        s->cap = nc;
    }
    f = fopen(p, "wx");
    if (!f) {
        tl_diag_set(d, s->dir, 0, "cannot write %s: %s", name, strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    s->files[s->n++] = copy; /* listed before writing: removed on abort */
    copy = NULL;
    if (fwrite(data, 1, len, f) != len) {
        tl_diag_set(d, s->dir, 0, "cannot write %s: %s", name, strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    int rc = fclose(f);
    f = NULL;
    if (rc != 0) {
        tl_diag_set(d, s->dir, 0, "cannot write %s: %s", name, strerror(errno));
        TL_FAIL(TL_E_IO);
    }
cleanup:
    if (f)
        fclose(f);
    tl_free(p);
    tl_free(copy);
    return st;
}

/* Delete the listed files of folder `dir`, then the folder. 0 when it is gone. */
static int remove_listed(const char *dir, char *const *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *p = tl_path_join(dir, files[i]);
        if (p)
            unlink(p);
        tl_free(p);
    }
    return rmdir(dir);
}

/* The marker of an old report: "tasklab report\n" then one file name a line. */
static int remove_old_report(const char *dir)
{
    char *m = tl_path_join(dir, MARKER);
    char *text = NULL;
    size_t len = 0;
    tl_diag d;
    int rc = -1;
    if (m && tl_file_read(m, &text, &len, &d) == TL_OK &&
        !strncmp(text, MARKER_HEAD, strlen(MARKER_HEAD))) {
        for (char *p = text + strlen(MARKER_HEAD); *p;) {
            char *nl = strchr(p, '\n');
            if (nl)
                *nl = '\0';
            /* only plain names in the folder itself */
            if (*p && *p != '.' && !strchr(p, '/')) {
                char *f = tl_path_join(dir, p);
                if (f)
                    unlink(f);
                tl_free(f);
            }
            p = nl ? nl + 1 : p + strlen(p);
        }
        unlink(m);
        rc = rmdir(dir);
    }
    tl_free(text);
    tl_free(m);
    return rc;
}

tl_status tl_site_commit(tl_site *s, int *old_left, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf man = TL_BUF_INIT;
    char *old = NULL;
    *old_left = 0;
    tl_buf_puts(&man, MARKER_HEAD);
    for (size_t i = 0; i < s->n; i++)
        tl_buf_printf(&man, "%s\n", s->files[i]);
    TL_TRY(tl_buf_status(&man));
    TL_TRY(tl_site_write(s, MARKER, man.data, man.len, d));
    if (tl_path_kind(s->dir) != TL_PATH_MISSING) {
        if (rmdir(s->dir) != 0) { /* not empty: the previous report (checked at open) */
            old = sibling(s->dir, "old");
            TL_TRY_ALLOC(old);
            if (!tl_mkdtemp(old) || rename(s->dir, old) != 0) {
                tl_diag_set(d, s->dir, 0, "cannot move the previous report aside: %s",
                            strerror(errno));
                if (old[0])
                    rmdir(old);
                TL_FAIL(TL_E_IO);
            }
        }
    }
    if (rename(s->tmp, s->dir) != 0) {
        tl_diag_set(d, s->dir, 0, "cannot rename the report into place: %s", strerror(errno));
        if (old)
            rename(old, s->dir); /* put the previous one back */
        TL_FAIL(TL_E_IO);
    }
    tl_free(s->tmp);
    s->tmp = NULL;
    if (old && remove_old_report(old) != 0)
        *old_left = 1;
cleanup:
    tl_free(old);
    tl_buf_free(&man);
    return st;
}

void tl_site_abort(tl_site *s)
{
    if (!s)
        return;
    if (s->tmp)
        remove_listed(s->tmp, s->files, s->n);
    for (size_t i = 0; i < s->n; i++)
        tl_free(s->files[i]);
    tl_free(s->files);
    tl_free(s->tmp);
    tl_free(s->dir);
    tl_free(s);
}
