/* SPDX-License-Identifier: MIT */
/*
 * reg.exe (add / delete / query / import / export / save / compare).
 *
 * reg: keys in any spelling (HKLM, HKEY_CURRENT_USER, ...) — see sim_reg.c;
 * /v, /ve, /va, /t, /d, /s, /f, /reg:32|64. Usage errors (unknown switch,
 * missing key, bad root, bad /t or /d for the type) are scenario errors
 * (TL_E_PARSE). Writing HKLM needs an elevated token, writing under
 * ...\Schedule\TaskCache needs SYSTEM (its ACL; why Tarrask and GhostTask run
 * as SYSTEM); otherwise reg exits 1 ("Access is denied") without changes.
 * Prompts (no /f) are answered "Yes". reg import reads a .reg file (version
 * 5.00 or REGEDIT4) from the endpoint. The reading verbs a defender hunts
 * with write nothing to the registry: reg export writes the key and its subkeys
 * as a .reg file (UTF-16LE, "Windows Registry Editor Version 5.00", which reg
 * import reads back), reg save a hive file (needs an elevated token: the
 * backup privilege), reg compare prints "Result Compared: Identical|Different"
 * and exits 0 or 2 (reg's documented return codes). [A: the fact sheets are
 * silent on reg's file formats and messages; these follow reg /?.]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"
#include "evasion_int.h"

static int access_ok(const tl_exec_ctx *c, const char *npath)
{
    if (tl_strncasecmp(npath, TL_TASKCACHE, strlen(TL_TASKCACHE)) == 0)
        return c->user == 0;
    if (tl_strncasecmp(npath, "HKLM", 4) == 0 || tl_strncasecmp(npath, "HKCR", 4) == 0)
        return c->integrity >= 2;
    if (tl_strncasecmp(npath, "HKU\\", 4) == 0) {
        const char *sid = c->s->users[c->user].sid;
        size_t n = strlen(sid);
        return c->integrity >= 2 ||
               (tl_strncasecmp(npath + 4, sid, n) == 0 &&
                (npath[4 + n] == 0 || npath[4 + n] == '\\' || npath[4 + n] == '_'));
    }
    return 0;
}

static tl_status parse_data(tl_exec_ctx *c, uint32_t type, const char *d, const char *sep,
                            unsigned char **out, size_t *len)
{
    if (type == TL_REG_DWORD || type == TL_REG_QWORD) {
        char *end;
        unsigned long long v = strtoull(d, &end, (d[0] == '0' && (d[1] | 0x20) == 'x') ? 16 : 10);
        if (!d[0] || *end || (type == TL_REG_DWORD && v > 0xffffffffULL))
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "reg add: invalid %s data '%s'",
                                     tl_reg_type_name(type), d);
        size_t n = type == TL_REG_DWORD ? 4 : 8;
        unsigned char *b = tl_malloc(n);
        if (!b)
            return TL_E_NOMEM;
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)(v >> (8 * i));
        *out = b;
        *len = n;
        return TL_OK;
    }
    if (type == TL_REG_BINARY || type == TL_REG_NONE) {
        size_t n = strlen(d);
        if (n % 2)
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "reg add: invalid binary data '%s'",
                                     d);
        unsigned char *b = tl_malloc(n / 2 + 1);
        if (!b)
            return TL_E_NOMEM;
        for (size_t i = 0; i < n / 2; i++) {
            unsigned v;
            char h[3] = {d[2 * i], d[2 * i + 1], 0};
            char *end;
            v = (unsigned)strtoul(h, &end, 16);
            if (*end) {
                tl_free(b);
                return tl_sim_step_error(c->s, c->d, TL_E_PARSE,
                                         "reg add: invalid binary data '%s'", d);
            }
            b[i] = (unsigned char)v;
        }
        *out = b;
        *len = n / 2;
        return TL_OK;
    }
    if (type == TL_REG_MULTI_SZ) {
        /* separator (default \0, typed as the two characters \0) -> '\n' */
        tl_buf b = TL_BUF_INIT;
        const char *sp = sep ? sep : "\\0";
        size_t sl = strlen(sp);
        for (const char *p = d; *p;) {
            if (sl && strncmp(p, sp, sl) == 0) {
                tl_buf_putc(&b, '\n');
                p += sl;
            } else {
                tl_buf_putc(&b, *p++);
            }
        }
        if (tl_buf_status(&b) != TL_OK) {
            tl_buf_free(&b);
            return TL_E_NOMEM;
        }
        *len = b.len;
        *out = (unsigned char *)tl_buf_take(&b);
        return TL_OK;
    }
    *out = (unsigned char *)tl_strdup(d);
    *len = strlen(d);
    return *out ? TL_OK : TL_E_NOMEM;
}

static tl_status reg_import(tl_exec_ctx *c, long proc, const char *file, int *rc);

/* ---- reg query's listing [A: the fact sheets are silent on reg's output; this is its
 * documented layout: a blank line, the key's full name, one line per value
 * "    <name>    <type>    <data>", a blank line, then the subkeys' full names] ---------- */

static void query_value(tl_buf *b, const tl_regval *v)
{
    static const char *const tn[] = {"REG_NONE",  "REG_SZ",    "REG_EXPAND_SZ",
                                     "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
                                     "REG_LINK",  "REG_MULTI_SZ"};
    const char *type = v->type < 8 ? tn[v->type] : v->type == TL_REG_QWORD ? "REG_QWORD" : "REG_NONE";
    tl_buf_printf(b, "    %s    %s    ", v->name[0] ? v->name : "(Default)", type);
    if (v->type == TL_REG_SZ || v->type == TL_REG_EXPAND_SZ) {
        tl_buf_append(b, v->data, v->len);
    } else if (v->type == TL_REG_MULTI_SZ) {
        for (size_t i = 0; i < v->len; i++)
            if (v->data[i] == '\n')
                tl_buf_puts(b, "\\0");
            else
                tl_buf_putc(b, (char)v->data[i]);
    } else if (v->type == TL_REG_DWORD && v->len == 4) {
        tl_buf_printf(b, "0x%x",
                      (unsigned)(v->data[0] | v->data[1] << 8 | v->data[2] << 16 |
                                 (unsigned)v->data[3] << 24));
    } else if (v->type == TL_REG_QWORD && v->len == 8) {
        unsigned long long q = 0;
        for (int i = 7; i >= 0; i--)
            q = q << 8 | v->data[i];
        tl_buf_printf(b, "0x%llx", q);
    } else {
        for (size_t i = 0; i < v->len; i++)
            tl_buf_printf(b, "%02X", v->data[i]);
    }
    tl_buf_puts(b, "\r\n");
}

/* The full name reg prints: HKEY_LOCAL_MACHINE\..., HKEY_USERS\..., HKEY_CLASSES_ROOT\...,
 * and HKEY_CURRENT_USER\... when the user typed HKCU (the model keeps it under HKU\<SID>). */
static void query_name(tl_buf *b, const tl_regkey *k, const char *hkcu_sid)
{
    const tl_regkey *chain[80];
    size_t n = 0;
    for (; k && n < 80; k = k->parent)
        chain[n++] = k;
    if (!n)
        return;
    const char *root = chain[n - 1]->name;
    size_t i = n - 1;
    if (hkcu_sid && n >= 2 && !tl_strcasecmp(root, "HKU") &&
        !tl_strcasecmp(chain[n - 2]->name, hkcu_sid)) {
        tl_buf_puts(b, "HKEY_CURRENT_USER");
        i = n - 2;
    } else {
        tl_buf_puts(b, !tl_strcasecmp(root, "HKLM")   ? "HKEY_LOCAL_MACHINE"
                       : !tl_strcasecmp(root, "HKU")  ? "HKEY_USERS"
                       : !tl_strcasecmp(root, "HKCR") ? "HKEY_CLASSES_ROOT"
                                                      : root);
    }
    while (i-- > 0) {
        tl_buf_putc(b, '\\');
        tl_buf_puts(b, chain[i]->name);
    }
}

static void query_key(tl_buf *b, const tl_regkey *k, const char *vname, int ve, int recurse,
                      const char *hkcu_sid, int depth)
{
    tl_buf_puts(b, "\r\n");
    query_name(b, k, hkcu_sid);
    tl_buf_puts(b, "\r\n");
    for (size_t i = 0; i < k->nvals; i++)
        if ((!vname && !ve) || (ve && !k->vals[i].name[0]) ||
            (vname && !tl_strcasecmp(k->vals[i].name, vname)))
            query_value(b, &k->vals[i]);
    if (vname || ve) {
        tl_buf_puts(b, "\r\n");
        return;
    }
    if (recurse && depth < 64) {
        for (size_t i = 0; i < k->nsubs; i++)
            query_key(b, k->subs[i], NULL, 0, 1, hkcu_sid, depth + 1);
        return;
    }
    tl_buf_puts(b, "\r\n");
    for (size_t i = 0; i < k->nsubs; i++) {
        query_name(b, k->subs[i], hkcu_sid);
        tl_buf_puts(b, "\r\n");
    }
}

/* ---- reg export / save / compare ---------------------------------------------------- */

/* One value in .reg syntax; hex data wrapped as regedit does (",\" then two blanks). */
static tl_status export_value(tl_buf *b, const tl_regval *v)
{
    size_t col;
    if (v->name[0]) {
        tl_buf_putc(b, '"');
        for (const char *p = v->name; *p; p++) {
            if (*p == '"' || *p == '\\')
                tl_buf_putc(b, '\\');
            tl_buf_putc(b, *p);
        }
        tl_buf_puts(b, "\"=");
        col = strlen(v->name) + 3;
    } else {
        tl_buf_puts(b, "@=");
        col = 2;
    }
    if (v->type == TL_REG_SZ) {
        tl_buf_putc(b, '"');
        for (size_t i = 0; i < v->len; i++) {
            if (v->data[i] == '"' || v->data[i] == '\\')
                tl_buf_putc(b, '\\');
            tl_buf_putc(b, (char)v->data[i]);
        }
        tl_buf_puts(b, "\"\r\n");
        return tl_buf_status(b);
    }
    if (v->type == TL_REG_DWORD && v->len == 4) {
        tl_buf_printf(b, "dword:%08x\r\n",
                      (unsigned)(v->data[0] | v->data[1] << 8 | v->data[2] << 16 |
                                 (unsigned)v->data[3] << 24));
        return tl_buf_status(b);
    }
    unsigned char *wide = NULL;
    const unsigned char *d = v->data;
    size_t n = v->len;
    if (v->type == TL_REG_EXPAND_SZ || v->type == TL_REG_MULTI_SZ) {
        /* stored as UTF-16LE with its terminating NUL(s); MULTI_SZ items are '\n'-joined here */
        tl_buf t = TL_BUF_INIT;
        for (size_t i = 0; i < v->len; i++)
            tl_buf_putc(&t, v->data[i] == '\n' && v->type == TL_REG_MULTI_SZ ? '\0' : (char)v->data[i]);
        tl_buf_putc(&t, '\0');
        if (v->type == TL_REG_MULTI_SZ)
            tl_buf_putc(&t, '\0');
        tl_status st = tl_buf_status(&t);
        if (st == TL_OK) {
            wide = tl_malloc(t.len * 2 + 2);
            if (!wide)
                st = TL_E_NOMEM;
        }
        if (st != TL_OK) {
            tl_buf_free(&t);
            return st;
        }
        /* the text is ASCII in every scenario; other bytes pass through as one unit each */
        for (size_t i = 0; i < t.len; i++) {
            wide[2 * i] = (unsigned char)t.data[i];
            wide[2 * i + 1] = 0;
        }
        n = t.len * 2;
        d = wide;
        tl_buf_free(&t);
    }
    if (v->type == TL_REG_BINARY) {
        tl_buf_puts(b, "hex:");
        col += 4;
    } else {
        tl_buf_printf(b, "hex(%x):", (unsigned)v->type);
        col += v->type < 16 ? 7 : 8;
    }
    for (size_t i = 0; i < n; i++) {
        tl_buf_printf(b, "%02x", d[i]);
        col += 2;
        if (i + 1 < n) {
            tl_buf_putc(b, ',');
            col++;
            if (col > 76) {
                tl_buf_puts(b, "\\\r\n  ");
                col = 2;
            }
        }
    }
    tl_buf_puts(b, "\r\n");
    tl_free(wide);
    return tl_buf_status(b);
}

static tl_status export_key(tl_buf *b, const tl_regkey *k, const char *hkcu_sid, int depth)
{
    tl_status st = TL_OK;
    tl_buf_putc(b, '[');
    query_name(b, k, hkcu_sid);
    tl_buf_puts(b, "]\r\n");
    for (size_t i = 0; i < k->nvals; i++)
        TL_TRY(export_value(b, &k->vals[i]));
    tl_buf_puts(b, "\r\n");
    if (depth < 64)
        for (size_t i = 0; i < k->nsubs; i++)
            TL_TRY(export_key(b, k->subs[i], hkcu_sid, depth + 1));
    st = tl_buf_status(b);
cleanup:
    return st;
}

/* 1 when two keys hold the same values (and, with recurse, the same subkeys). */
static int same_key(const tl_regkey *a, const tl_regkey *b, int recurse, int depth)
{
    if (a->nvals != b->nvals)
        return 0;
    for (size_t i = 0; i < a->nvals; i++) {
        const tl_regval *w = tl_reg_val_find((tl_regkey *)b, a->vals[i].name);
        if (!w || w->type != a->vals[i].type || w->len != a->vals[i].len ||
            (w->len && memcmp(w->data, a->vals[i].data, w->len)))
            return 0;
    }
    if (!recurse || depth >= 64)
        return 1;
    if (a->nsubs != b->nsubs)
        return 0;
    for (size_t i = 0; i < a->nsubs; i++) {
        const tl_regkey *m = NULL;
        for (size_t j = 0; j < b->nsubs && !m; j++)
            if (!tl_strcasecmp(a->subs[i]->name, b->subs[j]->name))
                m = b->subs[j];
        if (!m || !same_key(a->subs[i], m, 1, depth + 1))
            return 0;
    }
    return 1;
}

/* reg export KEY FILE [/y] [/reg:32|64], reg save KEY FILE [/y] [/reg:32|64],
 * reg compare KEY1 KEY2 [/v NAME | /ve] [/oa|/od|/os|/on] [/s]. */
static tl_status reg_read_verb(tl_exec_ctx *c, long proc, char **argv, size_t argc, int *rc)
{
    tl_sim *s = c->s;
    tl_status st = TL_OK;
    const char *op = argv[1];
    int compare = !tl_strcasecmp(op, "compare"), save = !tl_strcasecmp(op, "save");
    char *k1 = NULL, *k2 = NULL, *fp = NULL;
    unsigned char *wide = NULL;
    tl_buf b = TL_BUF_INIT;
    const char *v = NULL;
    int ve = 0, rs = 0;
    if (argc < 4)
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: needs two operands", op);
    for (size_t i = 4; i < argc; i++) {
        tl_ev_reg_arg(argv[i], 0);
        const char *a = argv[i];
        const char *w = a[0] == '/' || a[0] == '-' ? a + 1 : NULL;
        if (w && compare && !tl_strcasecmp(w, "v") && i + 1 < argc) {
            v = argv[++i];
        } else if (w && compare && !tl_strcasecmp(w, "ve")) {
            ve = 1;
        } else if (w && compare && !tl_strcasecmp(w, "s")) {
            rs = 1;
        } else if (w && ((compare && (!tl_strcasecmp(w, "oa") || !tl_strcasecmp(w, "od") ||
                                      !tl_strcasecmp(w, "os") || !tl_strcasecmp(w, "on"))) ||
                         (!compare && !tl_strcasecmp(w, "y")) || !tl_strcasecmp(w, "reg:32") ||
                         !tl_strcasecmp(w, "reg:64"))) {
            /* accepted; the output options change only what is listed */
        } else {
            return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: invalid parameter '%s'", op, a);
        }
    }
    if (v && ve)
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: /v and /ve are exclusive", op);
    st = tl_reg_normalize(argv[2], s->users[c->user].sid, &k1);
    if (st == TL_OK && compare)
        st = tl_reg_normalize(argv[3], s->users[c->user].sid, &k2);
    if (st == TL_E_PARSE) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: invalid key name", op);
        goto cleanup;
    }
    TL_TRY(st);
    tl_regkey *a = tl_reg_find(s, k1), *bk = compare ? tl_reg_find(s, k2) : NULL;
    if (!a || (compare && !bk)) {
        *rc = 1;
        tl_sim_console_err(s, "ERROR: The system was unable to find the specified registry key "
                              "or value.\r\n");
        goto cleanup;
    }
    if (compare) {
        int same;
        if (v || ve) {
            const tl_regval *x = tl_reg_val_find(a, v ? v : ""), *y = tl_reg_val_find(bk, v ? v : "");
            same = x && y && x->type == y->type && x->len == y->len &&
                   (!x->len || !memcmp(x->data, y->data, x->len));
        } else {
            same = same_key(a, bk, rs, 0);
        }
        *rc = same ? 0 : 2;
        tl_sim_console_puts(s, same ? "\r\nResult Compared: Identical\r\nThe operation completed "
                                      "successfully.\r\n"
                                    : "\r\nResult Compared: Different\r\nThe operation completed "
                                      "successfully.\r\n");
        goto cleanup;
    }
    if (save && c->integrity < 2) {
        *rc = 1;
        tl_sim_console_err(s, "ERROR: A required privilege is not held by the client.\r\n");
        goto cleanup;
    }
    TL_TRY_ALLOC(fp = tl_sim_expand_env(s, c->user, argv[3]));
    if (!strchr(fp, '\\') && !strchr(fp, ':') && s->procs[proc].cwd) {
        tl_buf full = TL_BUF_INIT; /* a bare file name lands in the current directory */
        const char *cwd = s->procs[proc].cwd;
        tl_buf_puts(&full, cwd);
        if (cwd[0] && cwd[strlen(cwd) - 1] != '\\')
            tl_buf_putc(&full, '\\');
        tl_buf_puts(&full, fp);
        TL_TRY(tl_buf_status(&full));
        tl_free(fp);
        fp = tl_buf_take(&full);
    }
    int hkcu = !tl_strncasecmp(argv[2], "HKCU", 4) || !tl_strncasecmp(argv[2], "HKEY_CURRENT_USER", 17);
    size_t wn = 0;
    if (save) {
        /* a hive file: opaque here, its "regf" signature and the key's .reg text */
        tl_buf_puts(&b, "regf");
        TL_TRY(export_key(&b, a, hkcu ? s->users[c->user].sid : NULL, 0));
        int den = tl_sim_file_denied(s, proc, fp);
        st = den < 0 ? TL_E_NOMEM : den ? TL_E_IO : tl_sim_file_write(s, proc, fp, b.data, b.len);
    } else {
        tl_buf_puts(&b, "Windows Registry Editor Version 5.00\r\n\r\n");
        TL_TRY(export_key(&b, a, hkcu ? s->users[c->user].sid : NULL, 0));
        TL_TRY(tl_utf8_to_utf16le(b.data, b.len, &wide, &wn));
        unsigned char *bom = tl_malloc(wn + 2);
        TL_TRY_ALLOC(bom);
        bom[0] = 0xff;
        bom[1] = 0xfe;
        memcpy(bom + 2, wide, wn);
        tl_free(wide);
        wide = bom;
        int den = tl_sim_file_denied(s, proc, fp);
        st = den < 0 ? TL_E_NOMEM : den ? TL_E_IO : tl_sim_file_write(s, proc, fp, wide, wn + 2);
    }
    if (st == TL_E_IO) {
        *rc = 1;
        tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
        st = TL_OK;
        goto cleanup;
    }
    TL_TRY(st);
    tl_sim_console_puts(s, "The operation completed successfully.\r\n");
cleanup:
    tl_buf_free(&b);
    tl_free(wide);
    tl_free(fp);
    tl_free(k1);
    tl_free(k2);
    return st;
}

static tl_status reg_run(tl_exec_ctx *c, long proc, char **argv, size_t argc, int *rc)
{
    tl_sim *s = c->s;
    tl_status st = TL_OK;
    char *npath = NULL;
    unsigned char *data = NULL;
    int done_msg = 0;
    *rc = 0;
    if (argc < 2)
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg: missing operation");
    tl_ev_reg_arg(argv[1], 1); /* superscripts, inserted code points (evasion.md §2.2) */
    const char *op = argv[1];
    int add = !tl_strcasecmp(op, "add"), del = !tl_strcasecmp(op, "delete"),
        query = !tl_strcasecmp(op, "query"), import = !tl_strcasecmp(op, "import");
    if (!tl_strcasecmp(op, "export") || !tl_strcasecmp(op, "save") ||
        !tl_strcasecmp(op, "compare"))
        return reg_read_verb(c, proc, argv, argc, rc);
    if (!add && !del && !query && !import) {
        /* a shorthand of a verb is a measured rejection (§2.2): reg's usage error, exit 1
         * [A: the message is not in the facts sheets] */
        static const char *const verbs[] = {"add", "delete", "query", "import", "export",
                                            "save", "load", "unload", "restore", "copy",
                                            "compare", "flags", NULL};
        size_t n = strlen(op);
        for (size_t k = 0; n && verbs[k]; k++)
            if (n < strlen(verbs[k]) && !tl_strncasecmp(op, verbs[k], n)) {
                tl_sim_console_puts(s, "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n");
                *rc = 1;
                return TL_OK;
            }
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg: invalid operation '%s'", op);
    }
    if (argc < 3)
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: missing key name", op);
    if (import) {
        if (argc > 4 || (argc == 4 && tl_strncasecmp(argv[3], "/reg:", 5) != 0))
            return tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: invalid syntax");
        return reg_import(c, proc, argv[2], rc);
    }
    const char *v = NULL, *t = NULL, *d = NULL, *sep = NULL;
    int ve = 0, va = 0, qs = 0, qf = 0; /* reg query /s, /f */
    for (size_t i = 3; i < argc; i++) {
        tl_ev_reg_arg(argv[i], 0);
        const char *a = argv[i];
        if (a[0] != '/' && a[0] != '-') {
            st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: invalid parameter '%s'", op, a);
            goto cleanup;
        }
        const char *w = a + 1;
        const char **slot = !tl_strcasecmp(w, "v")          ? &v
                            : !tl_strcasecmp(w, "t") && add ? &t
                            : !tl_strcasecmp(w, "d") && add ? &d
                            : !tl_strcasecmp(w, "s") && add ? &sep
                                                            : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: missing value for %s", op, a);
                goto cleanup;
            }
            *slot = argv[++i];
        } else if (query && !tl_strcasecmp(w, "s")) {
            qs = 1;
        } else if (!tl_strcasecmp(w, "ve")) {
            ve = 1;
        } else if (!tl_strcasecmp(w, "va") && del) {
            va = 1;
        } else if (!tl_strcasecmp(w, "f") && (add || del || query)) {
            qf = query;
            if (query && i + 1 < argc && argv[i + 1][0] != '/')
                i++;
        } else if (!tl_strcasecmp(w, "reg:32") || !tl_strcasecmp(w, "reg:64") ||
                   (query && (!tl_strcasecmp(w, "s") || !tl_strcasecmp(w, "k") ||
                              !tl_strcasecmp(w, "c") || !tl_strcasecmp(w, "e") ||
                              !tl_strcasecmp(w, "z") || !tl_strcasecmp(w, "se")))) {
            /* accepted */
        } else {
            st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: invalid parameter '%s'", op, a);
            goto cleanup;
        }
    }
    if ((v != NULL) + ve + va > 1) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: /v, /ve and /va are exclusive", op);
        goto cleanup;
    }
    st = tl_reg_normalize(argv[2], s->users[c->user].sid, &npath);
    if (st == TL_E_PARSE) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg %s: invalid key name '%s'", op, argv[2]);
        goto cleanup;
    }
    TL_TRY(st);
    if (query) {
        tl_regkey *k = tl_reg_find(s, npath);
        tl_regval *qv = k && (v || ve) ? tl_reg_val_find(k, v ? v : "") : NULL;
        *rc = k && (qv || (!v && !ve)) ? 0 : 1;
        if (*rc) {
            tl_sim_console_err(s, "ERROR: The system was unable to find the specified registry "
                                  "key or value.\r\n");
        } else if (!qf) { /* a /f search's listing is not rendered [A] */
            int hkcu = !tl_strncasecmp(argv[2], "HKCU", 4) ||
                       !tl_strncasecmp(argv[2], "HKEY_CURRENT_USER", 17);
            tl_buf b = TL_BUF_INIT;
            query_key(&b, k, v, ve, qs, hkcu ? s->users[c->user].sid : NULL, 0);
            TL_TRY(tl_buf_status(&b));
            tl_sim_console_puts(s, tl_buf_cstr(&b));
            tl_buf_free(&b);
        }
        goto cleanup;
    }
    if (!access_ok(c, npath)) {
        *rc = 1;
        tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
        goto cleanup;
    }
    done_msg = 1; /* add / delete: reg says how it went */
    if (add) {
        uint32_t ty = tl_reg_type_from_name(t ? t : "REG_SZ");
        if (ty == UINT32_MAX) {
            st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg add: invalid type '%s'", t);
            goto cleanup;
        }
        if (!v && !ve) {
            if (t || d) {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg add: /t and /d need /v or /ve");
                goto cleanup;
            }
            TL_TRY(tl_sim_reg_create_key(s, proc, npath, 1, NULL));
            goto cleanup;
        }
        size_t len = 0;
        char *exp = NULL;
        if (ty == TL_REG_EXPAND_SZ || ty == TL_REG_SZ)
            exp = NULL; /* reg.exe stores the text as typed (cmd expanded %VAR% already) */
        TL_TRY(parse_data(c, ty, d ? d : "", sep, &data, &len));
        tl_free(exp);
        TL_TRY(tl_sim_reg_set(s, proc, npath, v ? v : "", ty, data, len));
        goto cleanup;
    }
    /* delete */
    if (v || ve) {
        st = tl_sim_reg_delete_value(s, proc, npath, v ? v : "");
        if (st == TL_E_NOTFOUND) {
            *rc = 1;
            st = TL_OK;
        }
    } else if (va) {
        tl_regkey *k = tl_reg_find(s, npath);
        if (!k) {
            *rc = 1;
            goto cleanup;
        }
        while (k->nvals) {
            char *name = tl_strdup(k->vals[0].name);
            TL_TRY_ALLOC(name);
            st = tl_sim_reg_delete_value(s, proc, npath, name);
            tl_free(name);
            TL_TRY(st);
        }
    } else {
        st = tl_sim_reg_delete_key(s, proc, npath);
        if (st == TL_E_NOTFOUND) {
            *rc = 1;
            st = TL_OK;
        }
    }
cleanup:
    if (done_msg && st == TL_OK) {
        if (*rc == 0)
            tl_sim_console_puts(s, "The operation completed successfully.\r\n");
        else
            tl_sim_console_err(s, "ERROR: The system was unable to find the specified registry "
                                  "key or value.\r\n");
    }
    tl_free(npath);
    tl_free(data);
    return st;
}

/* .reg file import: [key], [-key], "name"=..., @=..., "name"=-. A value line ending in
 * '\' goes on after the next line's leading blanks: regedit writes long hex values so
 * ("Actions"=hex:03,00,...,\ then "  66,66,..."). */
static tl_status reg_import(tl_exec_ctx *c, long proc, const char *file, int *rc)
{
    tl_sim *s = c->s;
    tl_status st = TL_OK;
    char *text = NULL, *key = NULL, *fp = tl_sim_expand_env(s, c->user, file);
    tl_buf lb = TL_BUF_INIT; /* one logical line */
    if (!fp)
        return TL_E_NOMEM;
    const tl_vfile *f = tl_fs_find(s, fp);
    if (!f) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s does not exist on the endpoint",
                               fp);
        goto cleanup;
    }
    TL_TRY(tl_text_decode(f->data, f->len, &text));
    int line = 0;
    char *p = text;
    while (*p) {
        char *e = p + strcspn(p, "\n");
        line++;
        tl_buf_reset(&lb);
        tl_buf_append(&lb, p, (size_t)(e - p));
        while (lb.len && (lb.data[lb.len - 1] == '\r' || lb.data[lb.len - 1] == ' '))
            lb.data[--lb.len] = 0;
        while (lb.len && (lb.data[0] == '"' || lb.data[0] == '@') && lb.data[lb.len - 1] == '\\' &&
               *e) {
            lb.data[--lb.len] = 0; /* continued on the next line */
            p = e + 1;
            e = p + strcspn(p, "\n");
            line++;
            while (*p == ' ' || *p == '\t')
                p++;
            tl_buf_append(&lb, p, (size_t)(e > p ? e - p : 0));
            while (lb.len && (lb.data[lb.len - 1] == '\r' || lb.data[lb.len - 1] == ' '))
                lb.data[--lb.len] = 0;
        }
        TL_TRY(tl_buf_status(&lb));
        char *l = lb.len ? lb.data : (char *)"";
        size_t n = lb.len;
        if (line == 1) {
            if (strcmp(l, "Windows Registry Editor Version 5.00") && strcmp(l, "REGEDIT4")) {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s: not a .reg file", fp);
                goto cleanup;
            }
        } else if (l[0] == '[') {
            if (n < 3 || l[n - 1] != ']') {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s:%d: bad key line", fp,
                                       line);
                goto cleanup;
            }
            l[n - 1] = 0;
            int delk = l[1] == '-';
            tl_free(key);
            key = NULL;
            st = tl_reg_normalize(l + 1 + delk, s->users[c->user].sid, &key);
            if (st != TL_OK) {
                st = st == TL_E_PARSE ? tl_sim_step_error(s, c->d, TL_E_PARSE,
                                                          "reg import: %s:%d: bad key", fp, line)
                                      : st;
                goto cleanup;
            }
            if (!access_ok(c, key)) {
                *rc = 1; /* the lines before stay imported */
                tl_sim_console_err(s, "ERROR: Error accessing the registry.\r\n");
                goto cleanup;
            }
            if (delk) {
                if (tl_reg_find(s, key))
                    TL_TRY(tl_sim_reg_delete_key(s, proc, key));
                tl_free(key);
                key = NULL;
            } else {
                TL_TRY(tl_sim_reg_create_key(s, proc, key, 0, NULL));
            }
        } else if ((l[0] == '"' || l[0] == '@') && key) {
            char name[256];
            char *q = l;
            size_t k = 0;
            if (*q == '@') {
                q++;
            } else {
                q++;
                while (*q && *q != '"' && k + 1 < sizeof name) {
                    if (*q == '\\' && q[1])
                        q++;
                    name[k++] = *q++;
                }
                if (*q != '"') {
                    st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s:%d: bad value line",
                                           fp, line);
                    goto cleanup;
                }
                q++;
            }
            name[k] = 0;
            if (*q++ != '=') {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s:%d: bad value line", fp,
                                       line);
                goto cleanup;
            }
            if (!strcmp(q, "-")) {
                tl_sim_reg_delete_value(s, proc, key, name);
            } else if (*q == '"') {
                tl_buf b = TL_BUF_INIT;
                for (q++; *q && *q != '"'; q++) {
                    if (*q == '\\' && q[1])
                        q++;
                    tl_buf_putc(&b, *q);
                }
                st = tl_buf_status(&b);
                if (st == TL_OK)
                    st = tl_sim_reg_set(s, proc, key, name, TL_REG_SZ, tl_buf_cstr(&b), b.len);
                tl_buf_free(&b);
                TL_TRY(st);
            } else if (!strncmp(q, "dword:", 6)) {
                unsigned long v = strtoul(q + 6, NULL, 16);
                unsigned char b4[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                                       (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
                TL_TRY(tl_sim_reg_set(s, proc, key, name, TL_REG_DWORD, b4, 4));
            } else if (!strncmp(q, "hex", 3)) {
                uint32_t ty = TL_REG_BINARY;
                q += 3;
                if (*q == '(') {
                    ty = (uint32_t)strtoul(q + 1, &q, 16);
                    if (*q == ')')
                        q++;
                }
                if (*q++ != ':') {
                    st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s:%d: bad hex value",
                                           fp, line);
                    goto cleanup;
                }
                tl_buf b = TL_BUF_INIT;
                while (*q) {
                    unsigned v;
                    if (sscanf(q, "%2x", &v) == 1)
                        tl_buf_putc(&b, (char)v);
                    q += strcspn(q, ",");
                    if (*q == ',')
                        q++;
                }
                st = tl_buf_status(&b);
                if (st == TL_OK)
                    st = tl_sim_reg_set(s, proc, key, name, ty, b.data ? b.data : "", b.len);
                tl_buf_free(&b);
                TL_TRY(st);
            } else {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE, "reg import: %s:%d: bad value", fp,
                                       line);
                goto cleanup;
            }
        }
        p = *e ? e + 1 : e;
    }
    /* reg import reports on standard error, success included (hence `2>nul` in
     * scripts) [A: the fact sheets are silent on reg's messages] */
    tl_sim_console_err(s, "The operation completed successfully.\r\n");
cleanup:
    tl_buf_free(&lb);
    tl_free(fp);
    tl_free(text);
    tl_free(key);
    return st;
}

tl_status tl_interp_reg(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                        int *rc)
{
    (void)cmdline;
    return reg_run(c, proc, argv, argc, rc);
}
