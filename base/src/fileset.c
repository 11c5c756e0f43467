/* SPDX-License-Identifier: MIT */
/*
 * A set of files in one folder replaced all-or-nothing (a scenario's golden
 * files: its alerts.json and its events snapshot, the other snapshot form
 * removed), even when the process is killed at any instant.
 *
 * Protocol, for set `tag` in folder dir:
 *   1. prepare: every new file is written in full to "<name>.<pid>.bless~"
 *      (fsync'd); a kill here leaves only those temporaries: the old set is
 *      intact and the next recovery removes them (roll back);
 *   2. commit: the journal ".<tag>.bless" lists "R <temp>\t<name>" (rename)
 *      and "D <name>" (remove) lines; it is written atomically, so it either
 *      exists whole or not at all — its existence is the commit point;
 *   3. apply: each rename and removal in order, then the journal is removed.
 *      Every step can be repeated (a temp already renamed is missing, a
 *      removed name is missing), so a kill here is completed by the next
 *      recovery (roll forward).
 * tl_fileset_recover(dir) applies every journal found and removes the
 * "*.<pid>.bless~" temporaries of dead processes that no journal names.
 *
 * Worked example: bless "soak" writes soak.alerts.json.4242.bless~ and
 * soak.events.xml.sha256.4242.bless~, then .soak.bless with
 *   R soak.alerts.json.4242.bless~	soak.alerts.json
 *   R soak.events.xml.sha256.4242.bless~	soak.events.xml.sha256
 *   D soak.events.xml
 * kill -9 after the first rename: the next `tasklab test` finds .soak.bless
 * and finishes the second rename and the removal before comparing anything.
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1
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
#include <sys/stat.h>
#include <unistd.h>

static int plain_name(const char *n)
{
    return n[0] && n[0] != '.' && !strchr(n, '/') && !strchr(n, '\t') && !strchr(n, '\n') &&
           strlen(n) < 200;
}

static tl_status apply_journal(int dfd, const char *dir, const char *jname, tl_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    tl_status st = tl_walk_read(dir, jname, 0, (size_t)1 << 20, &text, &len, NULL, d);
    if (st != TL_OK)
        return st;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break; /* a journal is written whole: an unterminated line is not ours */
        *nl = '\0';
        if (line[0] == 'R' && line[1] == ' ') {
            char *tab = strchr(line + 2, '\t');
            if (tab) {
                *tab = '\0';
                const char *from = line + 2, *to = tab + 1;
                if (plain_name(from) && plain_name(to) && renameat(dfd, from, dfd, to) != 0 &&
                    errno != ENOENT) {
                    tl_diag_set(d, dir, 0, "cannot rename %s to %s: %s", from, to,
                                strerror(errno));
                    st = TL_E_IO;
                }
            }
        } else if (line[0] == 'D' && line[1] == ' ') {
            if (plain_name(line + 2) && unlinkat(dfd, line + 2, 0) != 0 && errno != ENOENT) {
                tl_diag_set(d, dir, 0, "cannot remove %s: %s", line + 2, strerror(errno));
                st = TL_E_IO;
            }
        }
        line = nl + 1;
    }
    tl_free(text);
    if (st == TL_OK) {
        fsync(dfd);
        unlinkat(dfd, jname, 0);
    }
    return st;
}

tl_status tl_fileset_prepare(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                             tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf journal = TL_BUF_INIT;
    tl_buf jname = TL_BUF_INIT;
    if (!plain_name(tag)) {
        tl_diag_set(d, dir, 0, "invalid file set name \"%s\"", tag);
        return TL_E_INVAL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        tl_diag_set(d, dir, 0, "cannot open folder: %s", strerror(errno));
        return TL_E_IO;
    }
    for (size_t i = 0; i < n; i++) {
        if (!plain_name(e[i].name)) {
            tl_diag_set(d, dir, 0, "invalid file name \"%s\"", e[i].name);
            TL_FAIL(TL_E_INVAL);
        }
        if (!e[i].data) {
            tl_buf_printf(&journal, "D %s\n", e[i].name);
            continue;
        }
        char tmp[300];
        snprintf(tmp, sizeof tmp, "%s.%ld.bless~", e[i].name, (long)getpid());
        unlinkat(dfd, tmp, 0);
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            tl_diag_set(d, dir, 0, "cannot write %s: %s", tmp, strerror(errno));
            TL_FAIL(TL_E_IO);
        }
        const char *p = e[i].data;
        size_t left = e[i].len;
        int bad = 0;
        while (left && !bad) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                bad = 1;
                break;
            }
            p += w;
            left -= (size_t)w;
        }
        if (!bad && fsync(fd) != 0)
            bad = 1;
        int e2 = errno;
        if (close(fd) != 0)
            bad = 1;
        if (bad) {
            tl_diag_set(d, dir, 0, "write error on %s: %s", tmp, strerror(e2));
            unlinkat(dfd, tmp, 0);
            TL_FAIL(TL_E_IO);
        }
        tl_buf_printf(&journal, "R %s\t%s\n", tmp, e[i].name);
    }
    tl_buf_printf(&jname, ".%s.bless", tag);
    TL_TRY(tl_buf_status(&journal));
    TL_TRY(tl_buf_status(&jname));
    /* the commit point: the journal appears whole (temporary + rename) */
    TL_TRY(tl_walk_write(dir, jname.data, 0, journal.data, journal.len, d));
    fsync(dfd);
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, dir, 0, "out of memory");
    tl_buf_free(&journal);
    tl_buf_free(&jname);
    close(dfd);
    return st;
}

tl_status tl_fileset_commit(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                            tl_diag *d)
{
    tl_status st = tl_fileset_prepare(dir, tag, e, n, d);
    if (st != TL_OK)
        return st;
    return tl_fileset_recover(dir, d);
}

/* "<name>.<pid>.bless~" -> pid, else 0 */
static long bless_owner(const char *n)
{
    size_t len = strlen(n);
    if (len < 9 || strcmp(n + len - 7, ".bless~") != 0)
        return 0;
    size_t e = len - 7, b = e;
    while (b > 0 && n[b - 1] >= '0' && n[b - 1] <= '9')
        b--;
    if (b == e || b == 0 || n[b - 1] != '.')
        return 0;
    return strtol(n + b, NULL, 10);
}

tl_status tl_fileset_recover(const char *dir, tl_diag *d)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? TL_OK : TL_E_IO;
    tl_status st = TL_OK;
    tl_buf journals = TL_BUF_INIT, temps = TL_BUF_INIT;
    int dfd2 = dup(dfd);
    DIR *dh = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
    if (!dh) {
        if (dfd2 >= 0)
            close(dfd2);
        close(dfd);
        tl_diag_set(d, dir, 0, "cannot list folder: %s", strerror(errno));
        return TL_E_IO;
    }
    struct dirent *ent;
    while ((ent = readdir(dh)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (ent->d_name[0] == '.' && l > 7 && strcmp(ent->d_name + l - 6, ".bless") == 0)
            tl_buf_append(&journals, ent->d_name, l + 1);
        else if (bless_owner(ent->d_name))
            tl_buf_append(&temps, ent->d_name, l + 1);
    }
    closedir(dh);
    /* journals in name order: deterministic, and each set is independent */
    for (size_t off = 0; journals.data && off < journals.len;
         off += strlen(journals.data + off) + 1) {
        tl_status s2 = apply_journal(dfd, dir, journals.data + off, d);
        if (s2 != TL_OK)
            st = s2;
    }
    /* temporaries no journal took: a bless killed before its commit point */
    for (size_t off = 0; temps.data && off < temps.len; off += strlen(temps.data + off) + 1) {
        const char *t = temps.data + off;
        long pid = bless_owner(t);
        struct stat sb;
        if (fstatat(dfd, t, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            unlinkat(dfd, t, 0);
    }
    tl_buf_free(&journals);
    tl_buf_free(&temps);
    close(dfd);
    return st;
}

#else /* _WIN32 */

tl_status tl_fileset_prepare(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                             tl_diag *d)
{
    (void)tag;
    (void)e;
    (void)n;
    tl_diag_set(d, dir, 0, "file sets are not available in the Windows build");
    return TL_E_INTERNAL;
}
tl_status tl_fileset_commit(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                            tl_diag *d)
{
    return tl_fileset_prepare(dir, tag, e, n, d);
}
tl_status tl_fileset_recover(const char *dir, tl_diag *d)
{
    (void)dir;
    (void)d;
    return TL_OK;
}

#endif
