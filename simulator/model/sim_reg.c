/* SPDX-License-Identifier: MIT */
/*
 * Registry of the simulated endpoint: three trees named as Sysmon prints
 * their roots (HKLM, HKU, HKCR). Key lookup is case-insensitive; a key keeps
 * the casing it was created with, so TargetObject shows stored casing
 * ("HKLM\SOFTWARE\Microsoft\Windows NT\...") whatever the caller typed.
 *
 * tl_reg_normalize() maps every spelling a command line may use
 * (HKEY_LOCAL_MACHINE, HKLM:, HKCU -> HKU\<SID>, HKCU\Software\Classes ->
 * HKU\<SID>_Classes, HKEY_CLASSES_ROOT -> HKCR) to that form.
 *
 * Event model ([A], windows.md §1.1/§5): RegCreateKeyEx reports CreateKey
 * for every component it creates; a create on an existing key reports one
 * CreateKey for the key when the caller asks (scenario "create_key" steps,
 * as Sysmon reports the create-or-open call); value deletion is Event 12
 * DeleteValue; deleting a tree reports DeleteKey bottom-up.
 */
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

tl_regkey *tl_reg_key_new(const char *name, tl_regkey *parent)
{
    tl_regkey *k = tl_calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->name = tl_strdup(name);
    if (!k->name) {
        tl_free(k);
        return NULL;
    }
    k->parent = parent;
    return k;
}

static void val_clear(tl_regval *v)
{
    tl_free(v->name);
    tl_free(v->data);
}

void tl_reg_key_free(tl_regkey *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nsubs; i++)
        tl_reg_key_free(k->subs[i]);
    tl_free(k->subs);
    for (size_t i = 0; i < k->nvals; i++)
        val_clear(&k->vals[i]);
    tl_free(k->vals);
    tl_free(k->name);
    tl_free(k);
}

uint32_t tl_reg_type_from_name(const char *n)
{
    static const struct {
        const char *n;
        uint32_t t;
    } m[] = {{"REG_SZ", TL_REG_SZ},
             {"REG_EXPAND_SZ", TL_REG_EXPAND_SZ},
             {"REG_MULTI_SZ", TL_REG_MULTI_SZ},
             {"REG_DWORD", TL_REG_DWORD},
             {"REG_QWORD", TL_REG_QWORD},
             {"REG_BINARY", TL_REG_BINARY},
             {"REG_NONE", TL_REG_NONE}};
    if (!n)
        return TL_REG_SZ;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (tl_strcasecmp(m[i].n, n) == 0)
            return m[i].t;
    return UINT32_MAX;
}

const char *tl_reg_type_name(uint32_t t)
{
    switch (t) {
    case TL_REG_SZ:
        return "REG_SZ";
    case TL_REG_EXPAND_SZ:
        return "REG_EXPAND_SZ";
    case TL_REG_MULTI_SZ:
        return "REG_MULTI_SZ";
    case TL_REG_DWORD:
        return "REG_DWORD";
    case TL_REG_QWORD:
        return "REG_QWORD";
    case TL_REG_BINARY:
        return "REG_BINARY";
    default:
        return "REG_NONE";
    }
}

/* Strip a known root prefix (case-insensitive, followed by '\' or end). */
static const char *strip_root(const char *p, const char *root)
{
    size_t n = strlen(root);
    if (tl_strncasecmp(p, root, n) != 0)
        return NULL;
    if (p[n] == ':')
        n++;
    if (p[n] == 0)
        return p + n;
    if (p[n] == '\\')
        return p + n + 1;
    return NULL;
}

tl_status tl_reg_normalize(const char *path, const char *user_sid, char **out)
{
    tl_buf b = TL_BUF_INIT;
    const char *rest;
    while (*path == '\\')
        path++;
    if ((rest = strip_root(path, "HKEY_LOCAL_MACHINE")) || (rest = strip_root(path, "HKLM"))) {
        tl_buf_puts(&b, "HKLM");
    } else if ((rest = strip_root(path, "HKEY_CURRENT_USER")) ||
               (rest = strip_root(path, "HKCU"))) {
        const char *cls = strip_root(rest, "Software\\Classes");
        if (cls) {
            tl_buf_printf(&b, "HKU\\%s_Classes", user_sid);
            rest = cls;
        } else {
            tl_buf_printf(&b, "HKU\\%s", user_sid);
        }
    } else if ((rest = strip_root(path, "HKEY_USERS")) || (rest = strip_root(path, "HKU"))) {
        tl_buf_puts(&b, "HKU");
    } else if ((rest = strip_root(path, "HKEY_CLASSES_ROOT")) ||
               (rest = strip_root(path, "HKCR"))) {
        tl_buf_puts(&b, "HKCR");
    } else {
        return TL_E_PARSE;
    }
    /* copy components, dropping empty ones (trailing or doubled backslashes) */
    const char *p = rest;
    while (*p) {
        const char *e = strchr(p, '\\');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            tl_buf_putc(&b, '\\');
            tl_buf_append(&b, p, n);
        }
        p += n;
        if (*p == '\\')
            p++;
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&b);
    return TL_OK;
}

static tl_regkey *root_of(tl_sim *s, const char *npath, const char **rest)
{
    const char *bs = strchr(npath, '\\');
    size_t n = bs ? (size_t)(bs - npath) : strlen(npath);
    *rest = bs ? bs + 1 : npath + n;
    if (n == 4 && tl_strncasecmp(npath, "HKLM", 4) == 0)
        return s->hklm;
    if (n == 3 && tl_strncasecmp(npath, "HKU", 3) == 0)
        return s->hku;
    if (n == 4 && tl_strncasecmp(npath, "HKCR", 4) == 0)
        return s->hkcr;
    return NULL;
}

static tl_regkey *sub_find(const tl_regkey *k, const char *name, size_t n)
{
    for (size_t i = 0; i < k->nsubs; i++)
        if (tl_wincasecmpn(k->subs[i]->name, strlen(k->subs[i]->name), name, n) == 0) /* [A] */
            return k->subs[i];
    return NULL;
}

tl_regkey *tl_reg_find(tl_sim *s, const char *npath)
{
    const char *p;
    tl_regkey *k = root_of(s, npath, &p);
    while (k && *p) {
        const char *e = strchr(p, '\\');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        k = sub_find(k, p, n);
        p += n;
        if (*p == '\\')
            p++;
    }
    return k;
}

char *tl_reg_key_path(const tl_regkey *k)
{
    const tl_regkey *chain[128];
    size_t n = 0;
    for (const tl_regkey *c = k; c && n < 128; c = c->parent)
        chain[n++] = c;
    tl_buf b = TL_BUF_INIT;
    for (size_t i = n; i-- > 0;) {
        tl_buf_puts(&b, chain[i]->name);
        if (i)
            tl_buf_putc(&b, '\\');
    }
    return tl_buf_take(&b);
}

static tl_status sub_add(tl_regkey *k, const char *name, size_t n, tl_regkey **out)
{
    if (k->nsubs == k->capsubs) {
        size_t nc = k->capsubs ? k->capsubs * 2 : 4;
        tl_regkey **ns = tl_realloc(k->subs, nc * sizeof *ns);
        if (!ns)
            return TL_E_NOMEM;
        k->subs = ns;
        k->capsubs = nc;
    }
    char *nm = tl_strndup(name, n);
    if (!nm)
        return TL_E_NOMEM;
    tl_regkey *c = tl_reg_key_new(nm, k);
    tl_free(nm);
    if (!c)
        return TL_E_NOMEM;
    k->subs[k->nsubs++] = c;
    *out = c;
    return TL_OK;
}

tl_status tl_reg_create(tl_sim *s, const char *npath, tl_regkey **leaf, char ***created,
                        size_t *ncreated)
{
    const char *p;
    tl_regkey *k = root_of(s, npath, &p);
    if (created) {
        *created = NULL;
        *ncreated = 0;
    }
    if (!k)
        return TL_E_PARSE;
    while (*p) {
        const char *e = strchr(p, '\\');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tl_regkey *c = sub_find(k, p, n);
        if (!c) {
            tl_status st = sub_add(k, p, n, &c);
            if (st != TL_OK)
                return st;
            if (created) {
                char **nc = tl_realloc(*created, (*ncreated + 1) * sizeof *nc);
                char *kp = tl_reg_key_path(c);
                if (!nc || !kp) {
                    tl_free(kp);
                    if (nc)
                        *created = nc;
                    return TL_E_NOMEM;
                }
                *created = nc;
                nc[(*ncreated)++] = kp;
            }
        }
        k = c;
        p += n;
        if (*p == '\\')
            p++;
    }
    if (leaf)
        *leaf = k;
    return TL_OK;
}

tl_regval *tl_reg_val_find(tl_regkey *k, const char *name)
{
    for (size_t i = 0; i < k->nvals; i++)
        if (tl_wincasecmp(k->vals[i].name, name) == 0)
            return &k->vals[i];
    return NULL;
}

tl_status tl_reg_val_set(tl_regkey *k, const char *name, uint32_t type, const void *data,
                         size_t len)
{
    unsigned char *copy = tl_malloc(len + 1);
    if (!copy)
        return TL_E_NOMEM;
    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    tl_regval *v = tl_reg_val_find(k, name);
    if (!v) {
        if (k->nvals == k->capvals) {
            size_t nc = k->capvals ? k->capvals * 2 : 4;
            tl_regval *nv = tl_realloc(k->vals, nc * sizeof *nv);
            if (!nv) {
                tl_free(copy);
                return TL_E_NOMEM;
            }
            k->vals = nv;
            k->capvals = nc;
        }
        v = &k->vals[k->nvals];
        v->name = tl_strdup(name);
        if (!v->name) {
            tl_free(copy);
            return TL_E_NOMEM;
        }
        v->data = NULL;
        k->nvals++;
    }
    tl_free(v->data);
    v->type = type;
    v->data = copy;
    v->len = len;
    return TL_OK;
}

int tl_reg_val_delete(tl_regkey *k, const char *name)
{
    for (size_t i = 0; i < k->nvals; i++)
        if (tl_wincasecmp(k->vals[i].name, name) == 0) {
            val_clear(&k->vals[i]);
            memmove(&k->vals[i], &k->vals[i + 1], (k->nvals - i - 1) * sizeof k->vals[0]);
            k->nvals--;
            return 1;
        }
    return 0;
}

void tl_reg_key_delete(tl_regkey *k)
{
    tl_regkey *p = k->parent;
    if (p)
        for (size_t i = 0; i < p->nsubs; i++)
            if (p->subs[i] == k) {
                memmove(&p->subs[i], &p->subs[i + 1], (p->nsubs - i - 1) * sizeof p->subs[0]);
                p->nsubs--;
                break;
            }
    tl_reg_key_free(k);
}

char *tl_reg_details(uint32_t type, const unsigned char *d, size_t len)
{
    char buf[64];
    switch (type) {
    case TL_REG_DWORD: {
        uint32_t v = 0;
        for (size_t i = 0; i < 4 && i < len; i++)
            v |= (uint32_t)d[i] << (8 * i);
        snprintf(buf, sizeof buf, "DWORD (0x%08x)", v);
        return tl_strdup(buf);
    }
    case TL_REG_QWORD: {
        uint64_t v = 0;
        for (size_t i = 0; i < 8 && i < len; i++)
            v |= (uint64_t)d[i] << (8 * i);
        snprintf(buf, sizeof buf, "QWORD (0x%08x-0x%08x)", (unsigned)(v >> 32),
                 (unsigned)(v & 0xffffffffu));
        return tl_strdup(buf);
    }
    case TL_REG_SZ:
    case TL_REG_EXPAND_SZ:
        return tl_strdup(len ? (const char *)d : "(Empty)");
    case TL_REG_MULTI_SZ: {
        if (!len)
            return tl_strdup("(Empty)");
        char *c = tl_strndup((const char *)d, len);
        if (c)
            for (char *p = c; *p; p++)
                if (*p == '\n')
                    *p = ' ';
        return c;
    }
    default:
        return tl_strdup("Binary Data");
    }
}

/* ---- operations with events ------------------------------------------------ */

tl_status tl_sim_reg_create_key(tl_sim *s, long proc, const char *npath, int always_event,
                                tl_regkey **out)
{
    char **created = NULL;
    size_t nc = 0;
    tl_regkey *leaf = NULL;
    tl_status st = tl_reg_create(s, npath, &leaf, &created, &nc);
    for (size_t i = 0; st == TL_OK && i < nc; i++)
        st = tl_sim_reg_event(s, proc, "CreateKey", created[i], NULL);
    if (st == TL_OK && nc == 0 && always_event) {
        char *kp = tl_reg_key_path(leaf);
        st = kp ? tl_sim_reg_event(s, proc, "CreateKey", kp, NULL) : TL_E_NOMEM;
        tl_free(kp);
    }
    for (size_t i = 0; i < nc; i++)
        tl_free(created[i]);
    tl_free(created);
    if (st == TL_OK && out)
        *out = leaf;
    return st;
}

static char *value_target(const tl_regkey *k, const char *value)
{
    char *kp = tl_reg_key_path(k);
    if (!kp)
        return NULL;
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s\\%s", kp, value[0] ? value : "(Default)");
    tl_free(kp);
    return tl_buf_take(&b);
}

tl_status tl_sim_reg_set(tl_sim *s, long proc, const char *npath, const char *value, uint32_t type,
                         const void *data, size_t len)
{
    tl_regkey *k;
    tl_status st = tl_sim_reg_create_key(s, proc, npath, 0, &k);
    if (st != TL_OK)
        return st;
    st = tl_reg_val_set(k, value, type, data, len);
    if (st != TL_OK || s->quiet)
        return st;
    char *target = value_target(k, value);
    char *det = tl_reg_details(type, data, len);
    st = target && det ? tl_sim_reg_event(s, proc, "SetValue", target, det) : TL_E_NOMEM;
    tl_free(target);
    tl_free(det);
    return st;
}

tl_status tl_sim_reg_delete_value(tl_sim *s, long proc, const char *npath, const char *value)
{
    tl_regkey *k = tl_reg_find(s, npath);
    if (!k || !tl_reg_val_find(k, value))
        return TL_E_NOTFOUND;
    char *target = value_target(k, value);
    if (!target)
        return TL_E_NOMEM;
    tl_reg_val_delete(k, value);
    tl_status st = tl_sim_reg_event(s, proc, "DeleteValue", target, NULL);
    tl_free(target);
    return st;
}

static tl_status delete_events(tl_sim *s, long proc, tl_regkey *k)
{
    for (size_t i = 0; i < k->nsubs; i++) {
        tl_status st = delete_events(s, proc, k->subs[i]);
        if (st != TL_OK)
            return st;
    }
    char *kp = tl_reg_key_path(k);
    if (!kp)
        return TL_E_NOMEM;
    tl_status st = tl_sim_reg_event(s, proc, "DeleteKey", kp, NULL);
    tl_free(kp);
    return st;
}

tl_status tl_sim_reg_delete_key(tl_sim *s, long proc, const char *npath)
{
    tl_regkey *k = tl_reg_find(s, npath);
    if (!k || !k->parent)
        return TL_E_NOTFOUND;
    tl_status st = delete_events(s, proc, k);
    if (st == TL_OK)
        tl_reg_key_delete(k);
    return st;
}

/* ---- baseline ------------------------------------------------------------------ */

tl_status tl_sim_baseline_registry(tl_sim *s)
{
    tl_status st;
    TL_TRY_ALLOC(s->hklm = tl_reg_key_new("HKLM", NULL));
    TL_TRY_ALLOC(s->hku = tl_reg_key_new("HKU", NULL));
    TL_TRY_ALLOC(s->hkcr = tl_reg_key_new("HKCR", NULL));
    static const char *const keys[] = {
        TL_TASKCACHE "\\Tree",     TL_TASKCACHE "\\Tasks",
        TL_TASKCACHE "\\Plain",    TL_TASKCACHE "\\Logon",
        TL_TASKCACHE "\\Boot",     "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "HKLM\\SOFTWARE\\Classes", "HKLM\\System\\CurrentControlSet\\Services\\Schedule",
        "HKU\\.DEFAULT\\Software", "HKCR\\mscfile\\shell\\open\\command",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        TL_TRY(tl_reg_create(s, keys[i], NULL, NULL, NULL));
    {
        tl_regkey *k;
        TL_TRY(tl_reg_create(s, "HKLM\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", &k,
                             NULL, NULL));
        const char *id = s->x86 ? "x86 Family 6 Model 158 Stepping 10"
                                : "Intel64 Family 6 Model 158 Stepping 10";
        TL_TRY(tl_reg_val_set(k, "Identifier", TL_REG_SZ, id, strlen(id)));
        TL_TRY(tl_reg_create(s, "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", &k, NULL,
                             NULL));
        const char *b = s->sc->os_build ? s->sc->os_build : "10.0.19044";
        const char *cb = strrchr(b, '.');
        cb = cb ? cb + 1 : b;
        TL_TRY(tl_reg_val_set(k, "CurrentBuild", TL_REG_SZ, cb, strlen(cb)));
        TL_TRY(tl_reg_val_set(k, "ProductName", TL_REG_SZ, "Windows 10 Pro", 14));
    }
    for (size_t u = 1; u < s->nusers; u++) {
        char path[200];
        snprintf(path, sizeof path, "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                 s->users[u].sid);
        TL_TRY(tl_reg_create(s, path, NULL, NULL, NULL));
        snprintf(path, sizeof path, "HKU\\%s_Classes", s->users[u].sid);
        TL_TRY(tl_reg_create(s, path, NULL, NULL, NULL));
    }
cleanup:
    return st;
}
