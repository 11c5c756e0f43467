/* SPDX-License-Identifier: MIT */
/*
 * File system of the simulated endpoint: a flat, ordered list of files and
 * folders on C:. Lookups are case-insensitive; a new path adopts the casing
 * of folders that already exist ("c:\windows\system32\tasks\x" is stored as
 * "C:\Windows\System32\Tasks\x"). Files keep raw bytes (task files are
 * UTF-16LE with BOM and CRLF).
 *
 * With drive_c set every write/delete is mirrored to the host folder, merging
 * case-insensitively into existing folders as Wine's drive_c needs; with mem
 * set, into that memory drive too, with the same semantics (base memdrive.c).
 * Also: UTF-8/UTF-16LE conversion and %VAR% expansion for command lines.
 */
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

#define IS_DIR(f) ((f)->len == (size_t)-1)

/* Canonical spelling of an endpoint path, with the path semantics of Windows
 * (Win32 path normalisation) applied before anything reaches the host:
 *   - '/' is '\', runs of separators collapse, the drive letter is upper-cased;
 *   - on an absolute drive path ("X:\..."): trailing dots and spaces of every
 *     component are trimmed; "." and a component that trims to nothing
 *     ("...", " . ") name the current folder and drop out; ".." removes the
 *     previous component and is clamped at the drive root ("C:\..\..\x" is
 *     "C:\x"), as Windows does;
 *   - anything else (relative, UNC) keeps its spelling and is refused by the
 *     writers (not an absolute drive path).
 * Whether Windows trims the trailing dots and spaces of inner components, and
 * what "..." names, is not in the fact sheets; trimming every component is
 * the reading that can never leave the drive [A].
 * Worked example: "c:\Users\..\..\bob. \.\...\x. " -> "C:\bob\x" (the second
 * ".." is clamped at C:\, "bob. " trims to "bob", "." and "..." drop out). */
static char *canon(const char *p)
{
    tl_buf b = TL_BUF_INIT;
    int absolute = ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':' &&
                   (p[2] == '\\' || p[2] == '/');
    if (!absolute) {
        for (const char *q = p; *q; q++) {
            char c = *q == '/' ? '\\' : *q;
            if (c == '\\' && b.len && b.data[b.len - 1] == '\\')
                continue;
            tl_buf_putc(&b, c);
        }
        while (b.len > 3 && b.data[b.len - 1] == '\\')
            b.data[--b.len] = 0;
        char *r = tl_buf_take(&b);
        if (r && r[0] >= 'a' && r[0] <= 'z' && r[1] == ':')
            r[0] = (char)(r[0] - 32);
        return r;
    }
    tl_buf_putc(&b, (char)((p[0] >= 'a' && p[0] <= 'z') ? p[0] - 32 : p[0]));
    tl_buf_puts(&b, ":\\");
    const char *q = p + 3;
    while (*q) {
        while (*q == '\\' || *q == '/')
            q++;
        if (!*q)
            break;
        const char *e = q;
        while (*e && *e != '\\' && *e != '/')
            e++;
        size_t n = (size_t)(e - q);
        int dotdot = n == 2 && q[0] == '.' && q[1] == '.';
        if (!dotdot)
            while (n && (q[n - 1] == '.' || q[n - 1] == ' '))
                n--;
        if (dotdot) {
            /* pop the last component; clamped at "X:\" */
            if (b.len > 3) {
                while (b.len > 3 && b.data[b.len - 1] != '\\')
                    b.len--;
                if (b.len > 3)
                    b.len--; /* the separator before it */
                if (b.data)
                    b.data[b.len] = 0;
            }
        } else if (n > 0) {
            if (b.len > 3)
                tl_buf_putc(&b, '\\');
            tl_buf_append(&b, q, n);
        }
        q = e;
    }
    return tl_buf_take(&b);
}

static long find_idx(const tl_sim *s, const char *path)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (tl_wincasecmp(s->files[i].path, path) == 0) /* [A] Windows case folding */
            return (long)i;
    return -1;
}

tl_vfile *tl_fs_find(const tl_sim *s, const char *winpath)
{
    char *c = canon(winpath);
    if (!c)
        return NULL;
    long i = find_idx(s, c);
    tl_free(c);
    return i >= 0 && !IS_DIR(&s->files[i]) ? &s->files[i] : NULL;
}

static tl_status add_entry(tl_sim *s, char *path, size_t len, tl_time t, long *out)
{
    if (s->nfiles == s->capfiles) {
        size_t nc = s->capfiles ? s->capfiles * 2 : 32;
        tl_vfile *nf = tl_realloc(s->files, nc * sizeof *nf);
        if (!nf)
            return TL_E_NOMEM;
        s->files = nf;
        s->capfiles = nc;
    }
    tl_vfile *f = &s->files[s->nfiles];
    f->path = path;
    f->data = NULL;
    f->len = len;
    f->created = t;
    f->copy_of = NULL;
    *out = (long)s->nfiles++;
    return TL_OK;
}

/* Make sure every parent folder of c exists; rewrite c's folder part to the
 * stored casing. */
static tl_status ensure_dirs(tl_sim *s, char *c)
{
    for (char *p = strchr(c + 3, '\\');; p = strchr(p + 1, '\\')) {
        char save = p ? *p : 0;
        if (p)
            *p = 0;
        else
            return TL_OK;
        long i = find_idx(s, c);
        if (i >= 0) {
            memcpy(c, s->files[i].path, strlen(c)); /* adopt stored casing */
        } else {
            char *d = tl_strdup(c);
            long idx;
            if (!d || add_entry(s, d, (size_t)-1, s->now, &idx) != TL_OK) {
                tl_free(d);
                *p = save;
                return TL_E_NOMEM;
            }
        }
        *p = save;
    }
}

/* The agent's folder (…\ossec-agent: its logs, the AR's scheduled-tasks.log)
 * is writable by Administrators and SYSTEM only, as under Program Files, so a
 * process below high integrity is denied (ERROR_ACCESS_DENIED). The agent
 * installer's ACL is not in the fact sheets: [A]. */
static int denied_canon(const tl_sim *s, long proc, const char *c)
{
    if (proc < 0 || (size_t)proc >= s->nprocs || s->procs[proc].integrity >= 2 || !s->agent_dir)
        return 0;
    size_t n = strlen(s->agent_dir);
    return tl_strncasecmp(c, s->agent_dir, n) == 0 && (c[n] == '\\' || c[n] == '\0');
}

int tl_sim_file_denied(const tl_sim *s, long proc, const char *winpath)
{
    char *c = canon(winpath);
    if (!c)
        return -1;
    int in = denied_canon(s, proc, c);
    tl_free(c);
    return in;
}

tl_status tl_sim_file_write(tl_sim *s, long proc, const char *winpath, const void *data, size_t len)
{
    tl_status st;
    char *c = NULL;
    unsigned char *copy = NULL;
    TL_TRY_ALLOC(c = canon(winpath));
    if (!(c[0] >= 'A' && c[0] <= 'Z' && c[1] == ':' && c[2] == '\\')) {
        tl_diag_set(&s->fs_diag, "", 0, "%s is not an absolute path on a drive", winpath);
        TL_FAIL(TL_E_INVAL);
    }
    if (!c[3]) {
        tl_diag_set(&s->fs_diag, "", 0, "%s is the drive root, not a file", winpath);
        TL_FAIL(TL_E_INVAL);
    }
    if (denied_canon(s, proc, c)) {
        tl_diag_set(&s->fs_diag, "", 0,
                    "access denied: %s: only administrators (elevated) and SYSTEM may write "
                    "under %s",
                    winpath, s->agent_dir);
        TL_FAIL(TL_E_INVAL);
    }
    TL_TRY(ensure_dirs(s, c));
    TL_TRY_ALLOC(copy = tl_malloc(len + 1));
    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    long i = find_idx(s, c);
    tl_time created = 0; /* 0: new file, CreationUtcTime = UtcTime */
    if (i >= 0) {
        if (IS_DIR(&s->files[i])) {
            tl_diag_set(&s->fs_diag, "", 0, "%s is a folder, not a file", s->files[i].path);
            TL_FAIL(TL_E_INVAL);
        }
        tl_free(s->files[i].data);
        created = s->files[i].created;
    } else {
        TL_TRY(add_entry(s, c, 0, s->now, &i));
        c = NULL;
    }
    s->files[i].data = copy;
    s->files[i].len = len;
    tl_free(s->files[i].copy_of); /* new bytes: no longer a copy of a program */
    s->files[i].copy_of = NULL;
    copy = NULL;
    if (proc >= 0) {
        TL_TRY(tl_sim_file_event(s, proc, s->files[i].path, created));
        if (!created)
            s->files[i].created = s->now; /* the event's UtcTime */
    }
    TL_TRY(tl_fs_changed(s, &s->files[i], 0));
    st = TL_OK;
cleanup:
    tl_free(c);
    tl_free(copy);
    return st;
}

tl_status tl_sim_file_delete(tl_sim *s, long proc, const char *winpath)
{
    /* Event 23/26 are not modelled (not in the reference configs) */
    char *c = canon(winpath);
    if (!c)
        return TL_E_NOMEM;
    if (denied_canon(s, proc, c)) {
        tl_diag_set(&s->fs_diag, "", 0,
                    "access denied: %s: only administrators (elevated) and SYSTEM may delete "
                    "under %s",
                    winpath, s->agent_dir);
        tl_free(c);
        return TL_E_INVAL;
    }
    long i = find_idx(s, c);
    tl_free(c);
    if (i < 0 || IS_DIR(&s->files[i]))
        return TL_E_NOTFOUND;
    tl_status st = tl_fs_changed(s, &s->files[i], 1);
    tl_free(s->files[i].path);
    tl_free(s->files[i].data);
    tl_free(s->files[i].copy_of);
    memmove(&s->files[i], &s->files[i + 1], (s->nfiles - (size_t)i - 1) * sizeof s->files[0]);
    s->nfiles--;
    return st;
}

/* Only C: is mirrored: another drive letter is a separate volume of the
 * endpoint, kept in the model (its events are logged) but never written to the
 * host, so "Z:\\x" can neither land in drive_c nor anywhere else. The host side
 * is reached only through base's descriptor-relative walk (tl_walk_*), which
 * matches components case-insensitively as Wine does and refuses symbolic
 * links, so nothing here can leave `root`. */
tl_status tl_fs_mirror(const tl_sim *s, const char *root, const tl_vfile *f, int del, tl_diag *d)
{
    (void)s;
    if (f->path[0] != 'C' || f->path[1] != ':' || f->path[2] != '\\' || !f->path[3])
        return TL_OK;
    const char *rel = f->path + 3;
    tl_status st;
    if (!root) {
        /* the memory drive: the same walk semantics, no host file */
        if (IS_DIR(f))
            st = del ? tl_memdrive_remove(s->mem, rel, TL_WALK_FOLD, d)
                     : tl_memdrive_mkdir(s->mem, rel, TL_WALK_FOLD | TL_WALK_CREATE, d);
        else if (del)
            st = tl_memdrive_remove(s->mem, rel, TL_WALK_FOLD, d);
        else
            st = tl_memdrive_write(s->mem, rel, TL_WALK_FOLD | TL_WALK_CREATE, f->data, f->len, d);
    } else if (IS_DIR(f))
        st = del ? tl_walk_remove(root, rel, TL_WALK_FOLD, d)
                 : tl_walk_mkdir(root, rel, TL_WALK_FOLD | TL_WALK_CREATE, d);
    else if (del)
        st = tl_walk_remove(root, rel, TL_WALK_FOLD, d);
    else
        st = tl_walk_write(root, rel, TL_WALK_FOLD | TL_WALK_CREATE, f->data, f->len, d);
    if (st == TL_E_NOMEM)
        tl_diag_set(d, root, 0, "out of memory while mirroring %s", f->path);
    return st;
}

int tl_sim_dir_exists(const tl_sim *s, const char *winpath)
{
    char *c = canon(winpath);
    long i = c ? find_idx(s, c) : -1;
    tl_free(c);
    return i >= 0 && IS_DIR(&s->files[i]);
}

tl_status tl_sim_file_copy(tl_sim *s, long proc, const char *src, const char *dst)
{
    tl_status st;
    char *orig = NULL, *data = NULL;
    size_t len = 0;
    const tl_vfile *f = tl_fs_find(s, src);
    if (f) {
        TL_TRY_ALLOC(data = tl_malloc(f->len + 1));
        if (f->len)
            memcpy(data, f->data, f->len);
        len = f->len;
        if (f->copy_of)
            TL_TRY_ALLOC(orig = tl_strdup(f->copy_of));
    } else {
        TL_TRY_ALLOC(orig = canon(src));
        if (!tl_sim_system_program(orig))
            TL_FAIL(TL_E_NOTFOUND);
    }
    TL_TRY(tl_sim_file_write(s, proc, dst, data ? data : "", len));
    if (orig) {
        tl_vfile *g = tl_fs_find(s, dst);
        if (!g)
            TL_FAIL(TL_E_INTERNAL);
        g->copy_of = orig;
        orig = NULL;
        s->has_copies = 1;
    }
    st = TL_OK;
cleanup:
    tl_free(orig);
    tl_free(data);
    return st;
}

tl_status tl_fs_changed(tl_sim *s, const tl_vfile *f, int del)
{
    tl_status st = TL_OK;
    if (s->drive_c)
        st = tl_fs_mirror(s, s->drive_c, f, del, &s->fs_diag);
    if (st == TL_OK && s->mem)
        st = tl_fs_mirror(s, NULL, f, del, &s->fs_diag);
    return st;
}

tl_status tl_sim_read_file(const tl_sim *s, const char *winpath, char **data, size_t *len)
{
    const tl_vfile *f = tl_fs_find(s, winpath);
    if (!f)
        return TL_E_NOTFOUND;
    char *c = tl_malloc(f->len + 1);
    if (!c)
        return TL_E_NOMEM;
    if (f->len)
        memcpy(c, f->data, f->len);
    c[f->len] = 0;
    *data = c;
    if (len)
        *len = f->len;
    return TL_OK;
}

tl_status tl_sim_append_file(tl_sim *s, const char *winpath, const void *data, size_t len)
{
    tl_vfile *f = tl_fs_find(s, winpath);
    if (!f)
        return tl_sim_file_write(s, -1, winpath, data, len);
    unsigned char *nd = tl_realloc(f->data, f->len + len + 1);
    if (!nd)
        return TL_E_NOMEM;
    memcpy(nd + f->len, data, len);
    f->len += len;
    nd[f->len] = 0;
    f->data = nd;
    return tl_fs_changed(s, f, 0);
}

tl_status tl_sim_materialize(const tl_sim *s, const char *dir, tl_diag *d)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        tl_status st = tl_fs_mirror(s, dir, &s->files[i], 0, d);
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}

/* ---- text encodings -------------------------------------------------------- */

size_t tl_utf16_units(const char *s)
{
    /* as tl_utf8_to_utf16le counts: a 4-byte sequence is a surrogate pair, every
     * other lead byte (or stray byte, which becomes U+FFFD) one unit */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n += (*p >> 3) == 30 ? 2 : 1;
    return n;
}

tl_status tl_utf8_to_utf16le(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
    unsigned char *o = tl_malloc(n * 4 + 2);
    if (!o)
        return TL_E_NOMEM;
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        uint32_t cp;
        unsigned c = *p;
        size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (l == 0 || p + l > e) {
            cp = 0xfffd;
            l = 1;
        } else if (l == 1) {
            cp = c;
        } else {
            cp = c & (0x7fu >> l);
            for (size_t i = 1; i < l; i++) {
                if ((p[i] & 0xc0) != 0x80) {
                    cp = 0xfffd;
                    l = 1;
                    break;
                }
                cp = (cp << 6) | (p[i] & 0x3fu);
            }
        }
        p += l;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
            o[k++] = (unsigned char)hi;
            o[k++] = (unsigned char)(hi >> 8);
            o[k++] = (unsigned char)lo;
            o[k++] = (unsigned char)(lo >> 8);
        } else {
            o[k++] = (unsigned char)cp;
            o[k++] = (unsigned char)(cp >> 8);
        }
    }
    *out = o;
    *outlen = k;
    return TL_OK;
}

static tl_status utf16_to_utf8(const unsigned char *s, size_t n, int be, char **out, size_t *outlen)
{
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t u = be ? (uint32_t)(s[i] << 8 | s[i + 1]) : (uint32_t)(s[i] | s[i + 1] << 8);
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
            uint32_t l =
                be ? (uint32_t)(s[i + 2] << 8 | s[i + 3]) : (uint32_t)(s[i + 2] | s[i + 3] << 8);
            if (l >= 0xdc00 && l < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
                i += 2;
            } else {
                u = 0xfffd;
            }
        } else if (u >= 0xd800 && u < 0xe000) {
            u = 0xfffd;
        }
        char t[4];
        size_t k;
        if (u < 0x80) {
            t[0] = (char)u;
            k = 1;
        } else if (u < 0x800) {
            t[0] = (char)(0xc0 | (u >> 6));
            t[1] = (char)(0x80 | (u & 0x3f));
            k = 2;
        } else if (u < 0x10000) {
            t[0] = (char)(0xe0 | (u >> 12));
            t[1] = (char)(0x80 | ((u >> 6) & 0x3f));
            t[2] = (char)(0x80 | (u & 0x3f));
            k = 3;
        } else {
            t[0] = (char)(0xf0 | (u >> 18));
            t[1] = (char)(0x80 | ((u >> 12) & 0x3f));
            t[2] = (char)(0x80 | ((u >> 6) & 0x3f));
            t[3] = (char)(0x80 | (u & 0x3f));
            k = 4;
        }
        tl_buf_append(&b, t, k);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    if (outlen)
        *outlen = b.len;
    *out = tl_buf_take(&b);
    return *out ? TL_OK : TL_E_NOMEM;
}

tl_status tl_utf16le_to_utf8(const unsigned char *s, size_t n, char **out, size_t *outlen)
{
    return utf16_to_utf8(s, n, 0, out, outlen);
}

tl_status tl_text_decode(const unsigned char *d, size_t len, char **out)
{
    if (len >= 2 && d[0] == 0xff && d[1] == 0xfe)
        return utf16_to_utf8(d + 2, len - 2, 0, out, NULL);
    if (len >= 2 && d[0] == 0xfe && d[1] == 0xff)
        return utf16_to_utf8(d + 2, len - 2, 1, out, NULL);
    if (len >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
        d += 3;
        len -= 3;
    }
    *out = tl_strndup((const char *)d, len);
    return *out ? TL_OK : TL_E_NOMEM;
}

char *tl_sim_expand_env(const tl_sim *s, size_t user, const char *in)
{
    tl_buf b = TL_BUF_INIT;
    const char *uname = s->users[user].name;
    for (const char *p = in; *p;) {
        const char *e = *p == '%' ? strchr(p + 1, '%') : NULL;
        if (!e || e == p + 1) {
            tl_buf_putc(&b, *p++);
            continue;
        }
        size_t n = (size_t)(e - p - 1);
        char var[64];
        if (n >= sizeof var) {
            tl_buf_putc(&b, *p++);
            continue;
        }
        memcpy(var, p + 1, n);
        var[n] = 0;
        const char *val = NULL;
        char tmp[300];
        if (!tl_strcasecmp(var, "SystemRoot") || !tl_strcasecmp(var, "windir"))
            val = tl_sim_windir(s);
        else if (!tl_strcasecmp(var, "SystemDrive"))
            val = "C:";
        else if (!tl_strcasecmp(var, "ProgramFiles"))
            val = "C:\\Program Files";
        else if (!tl_strcasecmp(var, "ProgramFiles(x86)"))
            val = s->x86 ? "C:\\Program Files" : "C:\\Program Files (x86)";
        else if (!tl_strcasecmp(var, "ProgramData") || !tl_strcasecmp(var, "ALLUSERSPROFILE"))
            val = "C:\\ProgramData";
        else if (!tl_strcasecmp(var, "PUBLIC"))
            val = "C:\\Users\\Public";
        else if (!tl_strcasecmp(var, "COMPUTERNAME"))
            val = s->sc->hostname;
        else if (!tl_strcasecmp(var, "USERNAME"))
            val = user ? uname : s->sc->hostname;
        else if (!tl_strcasecmp(var, "USERDOMAIN"))
            val = s->users[user].domain;
        else if (!tl_strcasecmp(var, "TEMP") || !tl_strcasecmp(var, "TMP")) {
            if (user)
                snprintf(tmp, sizeof tmp, "C:\\Users\\%s\\AppData\\Local\\Temp", uname);
            else
                snprintf(tmp, sizeof tmp, "C:\\Windows\\Temp");
            val = tmp;
        } else if (!tl_strcasecmp(var, "USERPROFILE")) {
            snprintf(tmp, sizeof tmp,
                     user ? "C:\\Users\\%s" : "C:\\Windows\\system32\\config\\systemprofile",
                     uname);
            val = tmp;
        } else if (!tl_strcasecmp(var, "LOCALAPPDATA")) {
            snprintf(tmp, sizeof tmp, "C:\\Users\\%s\\AppData\\Local", uname);
            val = tmp;
        } else if (!tl_strcasecmp(var, "APPDATA")) {
            snprintf(tmp, sizeof tmp, "C:\\Users\\%s\\AppData\\Roaming", uname);
            val = tmp;
        }
        if (val) {
            tl_buf_puts(&b, val);
            p = e + 1;
        } else {
            tl_buf_putc(&b, *p++);
        }
    }
    return tl_buf_take(&b);
}

tl_status tl_sim_dir_create(tl_sim *s, const char *winpath)
{
    tl_status st;
    char *c = canon(winpath);
    if (!c)
        return TL_E_NOMEM;
    st = ensure_dirs(s, c);
    if (st == TL_OK && find_idx(s, c) < 0) {
        long idx;
        st = add_entry(s, c, (size_t)-1, s->now, &idx);
        if (st == TL_OK) {
            return tl_fs_changed(s, &s->files[idx], 0);
        }
    }
    tl_free(c);
    return st;
}
