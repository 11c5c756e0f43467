/* SPDX-License-Identifier: MIT */
/*
 * A folder tree held in memory, with the semantics of base's contained walk
 * (walk.c) on a host folder: the temporary drive of a replay (the active
 * response reads task files from it and appends its logs, the logcollector
 * reads those logs) without a single file created, written or removed on the
 * host. Nothing here can touch the host: there is no host path at all.
 *
 * Invariants (the same as walk.c, so a run on a memory drive and one on a host
 * folder give the same bytes):
 *  - a relative path is split at '/' and '\\'; empty components are skipped;
 *    "." and ".." are refused (TL_E_INVAL); at most TL_WALK_MAX_DEPTH
 *    components of at most 255 bytes each;
 *  - with TL_WALK_FOLD a component matches an existing entry ignoring case
 *    (tl_wincasecmpn): an exact match wins, else the smallest by byte order;
 *  - without TL_WALK_CREATE a missing folder on the way is TL_E_NOTFOUND;
 *  - reading or appending a folder is TL_E_NOTFOUND with *kind
 *    TL_WALK_FOLDER; removing a folder removes its tree; removing what is
 *    missing is TL_OK.
 * Entries are stored by their full path ('/' separated, the spelling of their
 * creation); lookups scan the list (a replay's drive holds a few dozen).
 *
 * Worked example: write "Windows/System32/Tasks/T" with FOLD|CREATE on an
 * empty drive creates the folders "Windows", "Windows/System32",
 * "Windows/System32/Tasks" and the file; a later FOLD read of
 * "windows\\SYSTEM32\\tasks\\t" finds it; "Windows/../x" is refused.
 */
#include "tasklab/base.h"

#include "platform_int.h"

#include <string.h>

#define NAME_MAX_BYTES 255

typedef struct mentry {
    char *path; /* full path, '/' separated */
    int isdir;
    char *data; /* files: NUL-terminated (not counted in len) */
    size_t len;
} mentry;

struct tl_memdrive {
    char *name; /* for diagnostics, in place of a host folder */
    mentry *v;
    size_t n, cap;
};

tl_status tl_memdrive_new(const char *name, tl_memdrive **out)
{
    tl_memdrive *m = tl_calloc(1, sizeof *m);
    if (!m)
        return TL_E_NOMEM;
    m->name = tl_strdup(name ? name : "(memory drive)");
    if (!m->name) {
        tl_free(m);
        return TL_E_NOMEM;
    }
    *out = m;
    return TL_OK;
}

void tl_memdrive_free(tl_memdrive *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        tl_free(m->v[i].path);
        tl_free(m->v[i].data);
    }
    tl_free(m->v);
    tl_free(m->name);
    tl_free(m);
}


static tl_status check_rel(const tl_memdrive *m, const char *rel, tl_diag *d)
{
    size_t pos = 0, len = 0, n = 0;
    const char *c;
    while ((c = tl_rel_next_comp(rel, &pos, &len)) != NULL) {
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
            tl_diag_set(d, m->name, 0, "refusing path component \"%.*s\" in \"%s\"", (int)len, c,
                        rel);
            return TL_E_INVAL;
        }
        if (len > NAME_MAX_BYTES) {
            tl_diag_set(d, m->name, 0, "path component longer than %d bytes in \"%.200s\"",
                        NAME_MAX_BYTES, rel);
            return TL_E_LIMIT;
        }
        if (++n > TL_WALK_MAX_DEPTH) {
            tl_diag_set(d, m->name, 0, "path deeper than %d components: \"%.200s\"",
                        TL_WALK_MAX_DEPTH, rel);
            return TL_E_LIMIT;
        }
    }
    if (n == 0) {
        tl_diag_set(d, m->name, 0, "empty path below the folder");
        return TL_E_INVAL;
    }
    return TL_OK;
}

/* The entry that is the child `comp` of folder `dir` (dlen bytes, 0 = root),
 * exactly or (FOLD) ignoring case, smallest by byte order; -1 when none. */
static long find_child(const tl_memdrive *m, const char *dir, size_t dlen, const char *comp,
                       size_t clen, unsigned flags)
{
    long best = -1;
    size_t off = dlen ? dlen + 1 : 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *p = m->v[i].path;
        if (dlen && (strncmp(p, dir, dlen) || p[dlen] != '/'))
            continue;
        const char *name = p + off;
        if (strchr(name, '/'))
            continue;
        size_t nlen = strlen(name);
        if (nlen == clen && !memcmp(name, comp, clen))
            return (long)i; /* an exact match wins */
        if ((flags & TL_WALK_FOLD) && tl_wincasecmpn(name, nlen, comp, clen) == 0 &&
            (best < 0 || strcmp(name, m->v[best].path + off) < 0))
            best = (long)i;
    }
    return best;
}

static tl_status push(tl_memdrive *m, const char *path, size_t plen, int isdir, long *idx)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 32;
        mentry *nv = tl_realloc(m->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        m->v = nv;
        m->cap = nc;
    }
    mentry *e = &m->v[m->n];
    memset(e, 0, sizeof *e);
    e->path = tl_strndup(path, plen);
    if (!e->path)
        return TL_E_NOMEM;
    e->isdir = isdir;
    *idx = (long)m->n++;
    return TL_OK;
}

/* Resolve rel's folders (creating them with TL_WALK_CREATE) into *dir (the
 * parent's full path, owned) and the leaf component; *leaf_idx is the leaf's
 * entry or -1. */
static tl_status resolve(tl_memdrive *m, const char *rel, unsigned flags, char **dir,
                         const char **leaf, size_t *leaf_len, long *leaf_idx, tl_diag *d)
{
    tl_status st = check_rel(m, rel, d);
    if (st != TL_OK)
        return st;
    tl_buf cur = TL_BUF_INIT;
    size_t pos = 0, len = 0;
    const char *c = tl_rel_next_comp(rel, &pos, &len);
    for (;;) {
        size_t npos = pos, nlen = 0;
        const char *nc = tl_rel_next_comp(rel, &npos, &nlen);
        if (!nc)
            break; /* c is the leaf */
        long k = find_child(m, cur.data, cur.len, c, len, flags);
        if (k >= 0 && !m->v[k].isdir) {
            tl_diag_set(d, m->name, 0, "\"%.*s\" is not a folder", (int)len, c);
            tl_buf_free(&cur);
            return TL_E_IO;
        }
        if (k < 0) {
            if (!(flags & TL_WALK_CREATE)) {
                tl_diag_set(d, m->name, 0, "no folder \"%.*s\" on the way to \"%.300s\"",
                            (int)len, c, rel);
                tl_buf_free(&cur);
                return TL_E_NOTFOUND;
            }
            if (cur.len)
                tl_buf_putc(&cur, '/');
            tl_buf_append(&cur, c, len);
            if (tl_buf_status(&cur) != TL_OK || push(m, cur.data, cur.len, 1, &k) != TL_OK) {
                tl_buf_free(&cur);
                return TL_E_NOMEM;
            }
        } else {
            tl_buf_reset(&cur);
            tl_buf_puts(&cur, m->v[k].path);
        }
        c = nc;
        len = nlen;
        pos = npos;
    }
    if (tl_buf_status(&cur) != TL_OK) {
        tl_buf_free(&cur);
        return TL_E_NOMEM;
    }
    *leaf_idx = find_child(m, cur.data, cur.len, c, len, flags);
    *leaf = c;
    *leaf_len = len;
    *dir = tl_buf_take(&cur);
    if (!*dir)
        *dir = tl_strdup("");
    return *dir ? TL_OK : TL_E_NOMEM;
}

/* A new file or folder entry dir/leaf. */
static tl_status add_leaf(tl_memdrive *m, const char *dir, const char *leaf, size_t leaf_len,
                          int isdir, long *idx)
{
    tl_buf p = TL_BUF_INIT;
    if (dir[0]) {
        tl_buf_puts(&p, dir);
        tl_buf_putc(&p, '/');
    }
    tl_buf_append(&p, leaf, leaf_len);
    tl_status st = tl_buf_status(&p);
    if (st == TL_OK)
        st = push(m, p.data, p.len, isdir, idx);
    tl_buf_free(&p);
    return st;
}

/* The entry rel names (*k, -1 when its leaf is missing), resolved without
 * creating anything: the lookup of remove, peek and read. */
static tl_status lookup(tl_memdrive *m, const char *rel, unsigned flags, long *k, tl_diag *d)
{
    char *dir = NULL;
    const char *leaf = NULL;
    size_t ll = 0;
    tl_status st = resolve(m, rel, flags & ~(unsigned)TL_WALK_CREATE, &dir, &leaf, &ll, k, d);
    tl_free(dir);
    return st;
}

static tl_status set_data(mentry *e, const void *a, size_t alen, const void *b, size_t blen)
{
    char *nd = tl_malloc(alen + blen + 1);
    if (!nd)
        return TL_E_NOMEM;
    if (alen)
        memcpy(nd, a, alen);
    if (blen)
        memcpy(nd + alen, b, blen);
    nd[alen + blen] = 0;
    tl_free(e->data);
    e->data = nd;
    e->len = alen + blen;
    return TL_OK;
}

/* Write (append 0) or append data to the file rel, made when missing; a folder
 * there is refused: as tl_walk_write (TL_E_IO) or tl_walk_append (TL_E_NOTFOUND,
 * and the folders on the way must exist). */
static tl_status put_file(tl_memdrive *m, const char *rel, unsigned flags, int append,
                          const void *data, size_t len, tl_diag *d)
{
    char *dir = NULL;
    const char *leaf = NULL;
    size_t ll = 0;
    long k = -1;
    if (append)
        flags &= ~(unsigned)TL_WALK_CREATE;
    tl_status st = resolve(m, rel, flags, &dir, &leaf, &ll, &k, d);
    if (st != TL_OK)
        return st;
    if (k >= 0 && m->v[k].isdir) {
        if (append)
            tl_diag_set(d, m->name, 0, "\"%.300s\" is a folder", rel);
        else
            tl_diag_set(d, m->name, 0, "cannot write \"%.300s\": Is a directory", rel);
        tl_free(dir);
        return append ? TL_E_NOTFOUND : TL_E_IO;
    }
    if (k < 0)
        st = add_leaf(m, dir, leaf, ll, 0, &k);
    tl_free(dir);
    if (st == TL_OK && append)
        st = set_data(&m->v[k], m->v[k].data, m->v[k].len, data, len);
    else if (st == TL_OK)
        st = set_data(&m->v[k], data, len, NULL, 0);
    return st;
}

tl_status tl_memdrive_write(tl_memdrive *m, const char *rel, unsigned flags, const void *data,
                            size_t len, tl_diag *d)
{
    return put_file(m, rel, flags, 0, data, len, d);
}

tl_status tl_memdrive_append(tl_memdrive *m, const char *rel, unsigned flags, const void *data,
                             size_t len, tl_diag *d)
{
    return put_file(m, rel, flags, 1, data, len, d);
}

tl_status tl_memdrive_mkdir(tl_memdrive *m, const char *rel, unsigned flags, tl_diag *d)
{
    char *dir = NULL;
    const char *leaf = NULL;
    size_t ll = 0;
    long k = -1;
    tl_status st = resolve(m, rel, flags | TL_WALK_CREATE, &dir, &leaf, &ll, &k, d);
    if (st != TL_OK)
        return st;
    if (k >= 0 && !m->v[k].isdir) {
        tl_diag_set(d, m->name, 0, "\"%.300s\" exists and is not a folder", rel);
        st = TL_E_IO;
    } else if (k < 0) {
        st = add_leaf(m, dir, leaf, ll, 1, &k);
    }
    tl_free(dir);
    return st;
}

tl_status tl_memdrive_remove(tl_memdrive *m, const char *rel, unsigned flags, tl_diag *d)
{
    long k = -1;
    tl_status st = lookup(m, rel, flags, &k, d);
    if (st == TL_E_NOTFOUND) {
        tl_diag_clear(d);
        return TL_OK; /* nothing there: nothing to remove */
    }
    if (st != TL_OK || k < 0)
        return st;
    /* the entry and (a folder) everything below it */
    char *victim = tl_strdup(m->v[k].path);
    if (!victim)
        return TL_E_NOMEM;
    size_t vl = strlen(victim), w = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *p = m->v[i].path;
        if (!strcmp(p, victim) || (!strncmp(p, victim, vl) && p[vl] == '/')) {
            tl_free(m->v[i].path);
            tl_free(m->v[i].data);
            continue;
        }
        m->v[w++] = m->v[i];
    }
    m->n = w;
    tl_free(victim);
    return TL_OK;
}

const char *tl_memdrive_peek(tl_memdrive *m, const char *rel, unsigned flags, size_t *len,
                             int *kind)
{
    long k = -1;
    if (kind)
        *kind = TL_WALK_MISSING;
    tl_status st = lookup(m, rel, flags, &k, NULL);
    if (st != TL_OK || k < 0) {
        if (kind && st != TL_OK && st != TL_E_NOTFOUND)
            *kind = TL_WALK_OTHER;
        return NULL;
    }
    if (m->v[k].isdir) {
        if (kind)
            *kind = TL_WALK_FOLDER;
        return NULL;
    }
    if (kind)
        *kind = TL_WALK_FILE;
    *len = m->v[k].len;
    return m->v[k].data ? m->v[k].data : "";
}

tl_status tl_memdrive_read(tl_memdrive *m, const char *rel, unsigned flags, size_t max,
                           char **data, size_t *len, int *kind, tl_diag *d)
{
    long k = -1;
    int kd = TL_WALK_MISSING;
    tl_status st = lookup(m, rel, flags, &k, d);
    if (st == TL_OK && k < 0) {
        tl_diag_set(d, m->name, 0, "\"%.300s\" does not exist", rel);
        st = TL_E_NOTFOUND;
    } else if (st == TL_OK && m->v[k].isdir) {
        kd = TL_WALK_FOLDER;
        tl_diag_set(d, m->name, 0, "\"%.300s\" is a folder", rel);
        st = TL_E_NOTFOUND;
    } else if (st == TL_OK && m->v[k].len > max) {
        kd = TL_WALK_FILE;
        tl_diag_set(d, rel, 0, "file larger than %lu bytes (the limit)", (unsigned long)max);
        st = TL_E_LIMIT;
    } else if (st == TL_OK) {
        kd = TL_WALK_FILE;
        char *c = tl_malloc(m->v[k].len + 1);
        if (!c) {
            st = TL_E_NOMEM;
        } else {
            if (m->v[k].len)
                memcpy(c, m->v[k].data, m->v[k].len);
            c[m->v[k].len] = 0;
            *data = c;
            *len = m->v[k].len;
        }
    } else if (st != TL_E_NOTFOUND) {
        kd = TL_WALK_OTHER;
    }
    if (kind)
        *kind = kd;
    return st;
}

size_t tl_memdrive_count(const tl_memdrive *m)
{
    return m->n;
}

const char *tl_memdrive_entry(const tl_memdrive *m, size_t i, const char **data, size_t *len,
                              int *isdir)
{
    if (i >= m->n)
        return NULL;
    *isdir = m->v[i].isdir;
    *data = m->v[i].isdir ? NULL : (m->v[i].data ? m->v[i].data : "");
    *len = m->v[i].isdir ? 0 : m->v[i].len;
    return m->v[i].path;
}
