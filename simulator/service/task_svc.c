/* SPDX-License-Identifier: MIT */
/*
 * The Task Scheduler service (Schedule, hosted by
 * "C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule", SYSTEM).
 *
 * Registration write order — the ONE place it is modelled (windows.md §5, [A]):
 *   1. CreateKey: each missing TaskCache\Tree component and the leaf,
 *      Tasks\{GUID}, then Plain|Logon|Boot\{GUID}
 *   2. SetValue Tree\<path>\Id (REG_SZ {GUID}), \Index (DWORD), \SD (binary)
 *   3. SetValue Tasks\{GUID}\Path, \URI, \Hash, \Schema, \Date, \Author,
 *      \Description (only when set), \Triggers, \Actions, \DynamicInfo
 *   4. The task file C:\Windows\System32\Tasks\<path> (Event 11)
 *   5. Security 4698 and TaskScheduler/Operational 106 when those channels are on
 * An update (schtasks /create /f on an existing task, /change, Set-ScheduledTask)
 * rewrites the Tasks\{GUID} values (3) and the file (4), then 4702 / 140.
 * Deletion: DeleteKey Tree\<path>, Tasks\{GUID}, Plain|Logon|Boot\{GUID}, the
 * file is removed, then 4699 / 141.
 *
 * Index ([A] windows.md §4.4): 1 Boot, 2 Logon, 3 Plain (time/calendar/other),
 * i.e. the list the task is filed under; Index 0 or a missing Index or SD
 * hides the task from schtasks /query (tl_task_visible).
 *
 * Actions blob (§4.3): u16 version (3), u32 len + context (UTF-16LE), then
 * per action u16 magic (0x6666 Exec, 0x7777 ComHandler), u32 len + id,
 * Exec: u32 len + command, u32 len + arguments, u32 len + working dir;
 * ComHandler [A]: 16-byte CLSID, u32 len + data; u16 flags (version 3).
 */
#include <stdio.h>
#include <string.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"

#define CH_SECURITY 1
#define CH_TASKSCHED 2

/* A self-relative security descriptor: owner SYSTEM, DACL granting SYSTEM and
 * Administrators full access, Authenticated Users read ([A] content). */
static const unsigned char task_sd[] = {
    0x01, 0x00, 0x04, 0x80, 0x14, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x2c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00,
    0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x40, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0xff, 0x01, 0x1f, 0x00,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18,
    0x00, 0xff, 0x01, 0x1f, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00,
    0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x89, 0x00, 0x12, 0x00, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0b, 0x00, 0x00, 0x00};

/* ---- lookup, names ----------------------------------------------------------- */

/* Task paths compare as Windows names: case folded beyond ASCII ([A], tl_wincasecmp). */
tl_task *tl_task_find(tl_sim *s, const char *path)
{
    for (size_t i = 0; i < s->ntasks; i++)
        if (!s->tasks[i].deleted && tl_wincasecmp(s->tasks[i].path, path) == 0)
            return &s->tasks[i];
    return NULL;
}

tl_status tl_task_path_canon(const char *name, char **out, char *msg, size_t msgsz)
{
    tl_buf b = TL_BUF_INIT;
    if (!name[0] || strlen(name) > 238) {
        snprintf(msg, msgsz, "invalid task name \"%s\" (empty or longer than 238 characters)",
                 name);
        return TL_E_PARSE;
    }
    const char *p = name;
    if (*p == '\\')
        p++;
    if (!*p) {
        snprintf(msg, msgsz, "invalid task name \"%s\"", name);
        return TL_E_PARSE;
    }
    for (const char *q = p; *q; q++) {
        if (strchr("/:*?\"<>|", *q) || (unsigned char)*q < 0x20 ||
            (*q == '\\' && (q[1] == '\\' || q[1] == 0))) {
            snprintf(msg, msgsz,
                     "invalid task name \"%s\" (the filename, directory name, or "
                     "volume label syntax is incorrect)",
                     name);
            return TL_E_PARSE;
        }
    }
    /* components "." / ".." and trailing dots/spaces are refused by Windows too */
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "\\");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
            (n && (c[n - 1] == ' ' || c[n - 1] == '.'))) {
            snprintf(msg, msgsz, "invalid task name \"%s\"", name);
            return TL_E_PARSE;
        }
        c += n;
        if (*c)
            c++;
    }
    tl_buf_putc(&b, '\\');
    tl_buf_puts(&b, p);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&b);
    return TL_OK;
}

static char *tree_key(const char *path)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, TL_TASKCACHE "\\Tree%s", path);
    return tl_buf_take(&b);
}

static char *cache_key(const char *sub, const char *guid)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, TL_TASKCACHE "\\%s\\%s", sub, guid);
    return tl_buf_take(&b);
}

static const char *class_list(int c) { return c == 1 ? "Boot" : c == 2 ? "Logon" : "Plain"; }

int tl_task_visible(tl_sim *s, const tl_task *t)
{
    char *tk = tree_key(t->path);
    if (!tk)
        return 0;
    tl_regkey *k = tl_reg_find(s, tk);
    tl_free(tk);
    if (!k)
        return 0;
    tl_regval *sd = tl_reg_val_find(k, "SD");
    tl_regval *ix = tl_reg_val_find(k, "Index");
    if (!sd || !ix)
        return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < 4 && i < ix->len; i++)
        v |= (uint32_t)ix->data[i] << (8 * i);
    return v != 0;
}

/* ---- binary values -------------------------------------------------------------- */

static void put16(tl_buf *b, unsigned v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    tl_buf_append(b, c, 2);
}
static void put32(tl_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    tl_buf_append(b, c, 4);
}
static void put64(tl_buf *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}
static tl_status put_wstr(tl_buf *b, const char *s)
{
    unsigned char *u = NULL;
    size_t n = 0;
    if (!s)
        s = "";
    tl_status st = tl_utf8_to_utf16le(s, strlen(s), &u, &n);
    if (st != TL_OK)
        return st;
    put32(b, (uint32_t)n);
    tl_buf_append(b, u, n);
    tl_free(u);
    return TL_OK;
}

static int parse_guid(const char *g, unsigned char out[16])
{
    unsigned v[11];
    if (!g || sscanf(g, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &v[0], &v[1], &v[2], &v[3],
                     &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]) != 11)
        return 0;
    out[0] = (unsigned char)v[0];
    out[1] = (unsigned char)(v[0] >> 8);
    out[2] = (unsigned char)(v[0] >> 16);
    out[3] = (unsigned char)(v[0] >> 24);
    out[4] = (unsigned char)v[1];
    out[5] = (unsigned char)(v[1] >> 8);
    out[6] = (unsigned char)v[2];
    out[7] = (unsigned char)(v[2] >> 8);
    for (int i = 0; i < 8; i++)
        out[8 + i] = (unsigned char)v[3 + i];
    return 1;
}

tl_status tl_task_actions_blob(const char *context, const tl_task_action *a, size_t n, int version,
                               unsigned char **out, size_t *len)
{
    tl_status st = TL_OK;
    tl_buf b = TL_BUF_INIT;
    put16(&b, (unsigned)version);
    TL_TRY(put_wstr(&b, context ? context : "Author"));
    for (size_t i = 0; i < n; i++) {
        if (a[i].com == 1) {
            put16(&b, 0x7777);
            TL_TRY(put_wstr(&b, a[i].id));
            unsigned char g[16];
            memset(g, 0, sizeof g);
            parse_guid(a[i].command, g);
            tl_buf_append(&b, g, 16);
            TL_TRY(put_wstr(&b, a[i].arguments));
        } else if (a[i].com == 0) {
            put16(&b, 0x6666);
            TL_TRY(put_wstr(&b, a[i].id));
            TL_TRY(put_wstr(&b, a[i].command));
            TL_TRY(put_wstr(&b, a[i].arguments));
            TL_TRY(put_wstr(&b, a[i].workdir));
        } else {
            continue; /* email / message box actions are not stored here */
        }
        if (version >= 3)
            put16(&b, 0);
    }
    TL_TRY(tl_buf_status(&b));
    *len = b.len;
    *out = (unsigned char *)tl_buf_take(&b);
    return TL_OK;
cleanup:
    tl_buf_free(&b);
    return st;
}

void tl_task_actions_free(tl_task_action *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tl_free(a[i].id);
        tl_free(a[i].command);
        tl_free(a[i].arguments);
        tl_free(a[i].workdir);
    }
    tl_free(a);
}

typedef struct rd {
    const unsigned char *p;
    size_t n, off;
} rd;
static int get16(rd *r, unsigned *v)
{
    if (r->n - r->off < 2)
        return 0;
    *v = (unsigned)(r->p[r->off] | r->p[r->off + 1] << 8);
    r->off += 2;
    return 1;
}
static int get32(rd *r, uint32_t *v)
{
    if (r->n - r->off < 4)
        return 0;
    *v = (uint32_t)r->p[r->off] | (uint32_t)r->p[r->off + 1] << 8 |
         (uint32_t)r->p[r->off + 2] << 16 | (uint32_t)r->p[r->off + 3] << 24;
    r->off += 4;
    return 1;
}
static tl_status get_wstr(rd *r, char **out, int nullable)
{
    uint32_t l;
    if (!get32(r, &l) || l > r->n - r->off || (l & 1))
        return TL_E_PARSE;
    if (l == 0 && nullable) {
        *out = NULL;
        return TL_OK;
    }
    tl_status st = tl_utf16le_to_utf8(r->p + r->off, l, out, NULL);
    r->off += l;
    return st;
}

tl_status tl_task_actions_parse(const unsigned char *b, size_t len, int *version, char **context,
                                tl_task_action **acts, size_t *n)
{
    tl_status st;
    rd r = {b, len, 0};
    unsigned v;
    char *ctx = NULL;
    tl_task_action *a = NULL;
    size_t na = 0, cap = 0;
    if (!get16(&r, &v))
        return TL_E_PARSE;
    TL_TRY(get_wstr(&r, &ctx, 0));
    while (r.off < r.n) {
        unsigned magic;
        if (!get16(&r, &magic))
            TL_FAIL(TL_E_PARSE);
        if (na == cap) {
            size_t nc = cap ? cap * 2 : 2;
            tl_task_action *nw = tl_realloc(a, nc * sizeof *nw);
            TL_TRY_ALLOC(nw);
            a = nw;
            cap = nc;
        }
        tl_task_action *x = &a[na++];
        memset(x, 0, sizeof *x);
        TL_TRY(get_wstr(&r, &x->id, 1));
        if (magic == 0x6666) {
            TL_TRY(get_wstr(&r, &x->command, 0));
            TL_TRY(get_wstr(&r, &x->arguments, 1));
            TL_TRY(get_wstr(&r, &x->workdir, 1));
        } else if (magic == 0x7777) {
            if (r.n - r.off < 16)
                TL_FAIL(TL_E_PARSE);
            const unsigned char *g = r.p + r.off;
            char gs[40];
            snprintf(gs, sizeof gs,
                     "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}", g[3],
                     g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
                     g[13], g[14], g[15]);
            r.off += 16;
            x->com = 1;
            TL_TRY_ALLOC(x->command = tl_strdup(gs));
            TL_TRY(get_wstr(&r, &x->arguments, 1));
        } else {
            TL_FAIL(TL_E_PARSE);
        }
        if (v >= 3) {
            unsigned flags;
            if (!get16(&r, &flags))
                TL_FAIL(TL_E_PARSE);
        }
    }
    *version = (int)v;
    *context = ctx;
    *acts = a;
    *n = na;
    return TL_OK;
cleanup:
    tl_free(ctx);
    tl_task_actions_free(a, na);
    return st;
}

static uint64_t filetime(tl_time t) { return (uint64_t)(t * 10) + UINT64_C(116444736000000000); }

static tl_status dyninfo_blob(tl_time created, tl_time lastrun, unsigned char out[36])
{
    tl_buf b = TL_BUF_INIT;
    put32(&b, 3);
    put64(&b, filetime(created));
    put64(&b, lastrun ? filetime(lastrun) : 0);
    put32(&b, 0);
    put32(&b, lastrun ? 0 : 0x41303); /* SCHED_S_TASK_HAS_NOT_RUN */
    put64(&b, lastrun ? filetime(lastrun) : 0);
    if (tl_buf_status(&b) != TL_OK || b.len != 36) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    memcpy(out, b.data, 36);
    tl_buf_free(&b);
    return TL_OK;
}

/* Opaque Triggers blob [A]: header version 0x17, boundaries, padding 0x48. */
static tl_status triggers_blob(const tl_task *t, tl_time now, unsigned char **out, size_t *len)
{
    tl_buf b = TL_BUF_INIT;
    unsigned char hdr[8] = {0x17, 0, 0, 0, 0, 0, 0, 0};
    tl_buf_append(&b, hdr, 8);
    put64(&b, filetime(now));
    put64(&b, 0);
    put32(&b, (uint32_t)t->trigger_class);
    put32(&b, 0x48484848u);
    unsigned char magic = t->trigger_class == 2 || t->logon_trigger ? 0xaa
                          : t->trigger_class == 1                 ? 0xff
                                                                  : 0xdd;
    unsigned char rec[8] = {magic, magic, 0, 0, 0x48, 0x48, 0x48, 0x48};
    tl_buf_append(&b, rec, 8);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *len = b.len;
    *out = (unsigned char *)tl_buf_take(&b);
    return TL_OK;
}

/* ---- registration --------------------------------------------------------------- */

static tl_status set_sz(tl_sim *s, long p, const char *key, const char *name, const char *v)
{
    return tl_sim_reg_set(s, p, key, name, TL_REG_SZ, v ? v : "", v ? strlen(v) : 0);
}

static tl_status set_dword(tl_sim *s, long p, const char *key, const char *name, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return tl_sim_reg_set(s, p, key, name, TL_REG_DWORD, b, 4);
}

static char *task_file_path(const char *path)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "C:\\Windows\\System32\\Tasks%s", path);
    return tl_buf_take(&b);
}

/* Step 3 of the write order: Tasks\{GUID} values. */
static tl_status write_task_values(tl_sim *s, long svc, tl_task *t, const unsigned char *file,
                                   size_t flen)
{
    tl_status st;
    char *tk = NULL;
    unsigned char *blob = NULL, *trig = NULL;
    size_t blen = 0, tlen = 0;
    TL_TRY_ALLOC(tk = cache_key("Tasks", t->guid));
    TL_TRY(set_sz(s, svc, tk, "Path", t->path));
    TL_TRY(set_sz(s, svc, tk, "URI", t->path));
    if (file) {
        unsigned char h[32];
        tl_sha256(file + 2, flen - 2, h);
        TL_TRY(tl_sim_reg_set(s, svc, tk, "Hash", TL_REG_BINARY, h, 32));
        TL_TRY(set_dword(s, svc, tk, "Schema", 0x00010002));
    }
    if (t->date)
        TL_TRY(set_sz(s, svc, tk, "Date", t->date));
    if (t->author)
        TL_TRY(set_sz(s, svc, tk, "Author", t->author));
    if (t->description)
        TL_TRY(set_sz(s, svc, tk, "Description", t->description));
    TL_TRY(triggers_blob(t, s->now, &trig, &tlen));
    TL_TRY(tl_sim_reg_set(s, svc, tk, "Triggers", TL_REG_BINARY, trig, tlen));
    TL_TRY(tl_task_actions_blob(t->context, t->actions, t->nactions, 3, &blob, &blen));
    TL_TRY(tl_sim_reg_set(s, svc, tk, "Actions", TL_REG_BINARY, blob, blen));
    unsigned char dyn[36];
    TL_TRY(dyninfo_blob(s->now, 0, dyn));
    TL_TRY(tl_sim_reg_set(s, svc, tk, "DynamicInfo", TL_REG_BINARY, dyn, 36));
cleanup:
    tl_free(tk);
    tl_free(blob);
    tl_free(trig);
    return st;
}

static tl_status security_event(tl_sim *s, int id, const tl_task *t, size_t caller)
{
    if (!s->sc->chan_security || s->quiet)
        return TL_OK;
    char lid[24], mname[80];
    const tl_user *u = &s->users[caller];
    const tl_proc *lp = s->caller_proc >= 0 ? &s->procs[s->caller_proc] : NULL;
    snprintf(lid, sizeof lid, "0x%llx",
             (unsigned long long)(lp && lp->user == caller ? lp->logon_id : u->logon_id));
    /* TaskContent is the registered XML as Windows holds it: CRLF line ends */
    tl_buf crlf = TL_BUF_INIT;
    for (const char *p = t->xml ? t->xml : ""; *p; p++) {
        if (*p == '\n' && (p == t->xml || p[-1] != '\r'))
            tl_buf_putc(&crlf, '\r');
        tl_buf_putc(&crlf, *p);
    }
    if (tl_buf_status(&crlf) != TL_OK) {
        tl_buf_free(&crlf);
        return TL_E_NOMEM;
    }
    /* Version 1 (Win10/11): the calling process is named after the task content */
    char cpid[16], ppid[16], key[32];
    const tl_proc *cp = s->caller_proc >= 0 ? &s->procs[s->caller_proc] : NULL;
    snprintf(cpid, sizeof cpid, "%u", cp ? cp->pid : 0);
    snprintf(ppid, sizeof ppid, "%u", cp && cp->parent >= 0 ? s->procs[cp->parent].pid : 0);
    snprintf(key, sizeof key, "%llu",
             (unsigned long long)(UINT64_C(0x5f000000000000) +
                                  (cp ? (uint64_t)cp->pid * 7919u : 0) +
                                  (uint64_t)(s->sc->seed % 100000)));
    tl_evfield f[] = {{"SubjectUserSid", u->sid},
                      {"SubjectUserName", caller == 0 ? s->sc->hostname : u->name},
                      {"SubjectDomainName", caller == 0 ? s->user_domain : u->domain},
                      {"SubjectLogonId", lid},
                      {"TaskName", t->path},
                      {id == 4702 ? "TaskContentNew" : "TaskContent", tl_buf_cstr(&crlf)},
                      {"ClientProcessStartKey", key},
                      {"ClientProcessId", cpid},
                      {"ParentProcessId", ppid},
                      {"RpcCallClientLocality", "0"},
                      {"FQDN", s->computer}};
    if (caller == 0) {
        /* SYSTEM acting: the machine account, as Windows reports it */
        snprintf(mname, sizeof mname, "%s$", s->sc->hostname);
        f[1].value = mname;
    }
    tl_status st = tl_sim_emit_generic_after(s, CH_SECURITY, id, s->now, cp ? cp->taskschd_logged : 0,
                                             f, sizeof f / sizeof f[0]);
    tl_buf_free(&crlf);
    return st;
}

static tl_status tasksched_event(tl_sim *s, int id, const tl_task *t, size_t caller)
{
    if (!s->sc->chan_taskscheduler || s->quiet)
        return TL_OK;
    char who[300];
    tl_sim_user_display(s, caller, who, sizeof who);
    tl_evfield f[] = {{"TaskName", t->path}, {id == 106 ? "UserContext" : "UserName", who}};
    const tl_proc *cp = s->caller_proc >= 0 ? &s->procs[s->caller_proc] : NULL;
    return tl_sim_emit_generic_after(s, CH_TASKSCHED, id, s->now, cp ? cp->taskschd_logged : 0, f,
                                     2);
}

static tl_status task_slot(tl_sim *s, tl_task **out)
{
    if (s->ntasks == s->captasks) {
        size_t nc = s->captasks ? s->captasks * 2 : 32;
        tl_task *nt = tl_realloc(s->tasks, nc * sizeof *nt);
        if (!nt)
            return TL_E_NOMEM;
        s->tasks = nt;
        s->captasks = nc;
    }
    tl_task *t = &s->tasks[s->ntasks++];
    memset(t, 0, sizeof *t);
    *out = t;
    return TL_OK;
}

static void new_guid(tl_sim *s, char out[40])
{
    uint64_t a = tl_rng_next(&s->rng), b = tl_rng_next(&s->rng);
    snprintf(out, 40, "{%08X-%04X-%04X-%04X-%012llX}", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffffu, (unsigned)((a & 0x0fffu) | 0x4000u),
             (unsigned)(((b >> 48) & 0x3fffu) | 0x8000u),
             (unsigned long long)(b & UINT64_C(0xffffffffffff)));
}

void tl_task_free_fields(tl_task *t)
{
    tl_free(t->path);
    tl_free(t->logon_user_id);
    tl_free(t->xml);
    tl_free(t->author);
    tl_free(t->date);
    tl_free(t->description);
    tl_free(t->uri);
    tl_free(t->context);
    tl_free(t->user_id);
    tl_task_actions_free(t->actions, t->nactions);
    memset(t, 0, sizeof *t);
}

/* The task's file in System32\Tasks with bytes already made by tl_taskxml_file_bytes. */
static tl_status put_file(tl_sim *s, long svc, const tl_task *t, const unsigned char *bytes,
                          size_t len)
{
    char *fp = task_file_path(t->path);
    if (!fp)
        return TL_E_NOMEM;
    tl_status st = tl_sim_file_write(s, svc, fp, bytes, len);
    tl_free(fp);
    return st;
}

static tl_status write_file(tl_sim *s, long svc, tl_task *t, unsigned char **bytes, size_t *len)
{
    tl_status st = tl_taskxml_file_bytes(t->xml, bytes, len);
    return st == TL_OK ? put_file(s, svc, t, *bytes, *len) : st;
}

tl_status tl_task_register(tl_sim *s, const char *path, const char *xml, int overwrite,
                           size_t caller, char *msg, size_t msgsz)
{
    tl_status st;
    tl_task tmp;
    memset(&tmp, 0, sizeof tmp);
    char *norm = NULL, *trk = NULL, *tsk = NULL, *lst = NULL;
    unsigned char *file = NULL;
    size_t flen = 0;
    long svc = s->schedule_svc;
    tl_task *old = tl_task_find(s, path);
    if (old && !overwrite) {
        snprintf(msg, msgsz, "ERROR: Cannot create a file when that file already exists.");
        return TL_E_INVAL;
    }
    TL_TRY(tl_taskxml_normalize(xml, path, &norm, &tmp, msg, msgsz));
    tmp.xml = norm;
    norm = NULL;
    if (old) {
        /* update in place: keep Id/GUID, rewrite Tasks values and the file */
        tl_task *t = old;
        TL_TRY_ALLOC(tmp.path = tl_strdup(t->path));
        memcpy(tmp.guid, t->guid, sizeof tmp.guid);
        int old_class = t->trigger_class;
        tmp.owner = t->owner;
        tl_task_free_fields(t);
        *t = tmp;
        memset(&tmp, 0, sizeof tmp);
        if (old_class != t->trigger_class) {
            TL_TRY_ALLOC(lst = cache_key(class_list(old_class), t->guid));
            if (tl_reg_find(s, lst))
                TL_TRY(tl_sim_reg_delete_key(s, svc, lst));
            tl_free(lst);
            TL_TRY_ALLOC(lst = cache_key(class_list(t->trigger_class), t->guid));
            TL_TRY(tl_sim_reg_create_key(s, svc, lst, 0, NULL));
        }
        TL_TRY(tl_taskxml_file_bytes(t->xml, &file, &flen));
        TL_TRY(write_task_values(s, svc, t, file, flen));
        TL_TRY(put_file(s, svc, t, file, flen)); /* the same bytes: made once */
        TL_TRY(security_event(s, 4702, t, caller));
        TL_TRY(tasksched_event(s, 140, t, caller));
        st = TL_OK;
        goto cleanup;
    }
    TL_TRY_ALLOC(tmp.path = tl_strdup(path));
    new_guid(s, tmp.guid);
    tmp.owner = caller;
    tl_task *t;
    TL_TRY(task_slot(s, &t));
    *t = tmp;
    memset(&tmp, 0, sizeof tmp);
    TL_TRY_ALLOC(trk = tree_key(t->path));
    TL_TRY_ALLOC(tsk = cache_key("Tasks", t->guid));
    TL_TRY_ALLOC(lst = cache_key(class_list(t->trigger_class), t->guid));
    /* 1. keys */
    TL_TRY(tl_sim_reg_create_key(s, svc, trk, 0, NULL));
    TL_TRY(tl_sim_reg_create_key(s, svc, tsk, 0, NULL));
    TL_TRY(tl_sim_reg_create_key(s, svc, lst, 0, NULL));
    /* 2. Tree values */
    TL_TRY(set_sz(s, svc, trk, "Id", t->guid));
    TL_TRY(set_dword(s, svc, trk, "Index", (uint32_t)t->trigger_class));
    TL_TRY(tl_sim_reg_set(s, svc, trk, "SD", TL_REG_BINARY, task_sd, sizeof task_sd));
    /* 3. Tasks values */
    TL_TRY(tl_taskxml_file_bytes(t->xml, &file, &flen));
    TL_TRY(write_task_values(s, svc, t, file, flen));
    /* 4. file (the same bytes: made once) */
    TL_TRY(put_file(s, svc, t, file, flen));
    /* 5. channels */
    TL_TRY(security_event(s, 4698, t, caller));
    TL_TRY(tasksched_event(s, 106, t, caller));
    st = TL_OK;
cleanup:
    tl_task_free_fields(&tmp);
    tl_free(norm);
    tl_free(trk);
    tl_free(tsk);
    tl_free(lst);
    tl_free(file);
    return st;
}

tl_status tl_task_delete(tl_sim *s, tl_task *t, size_t caller)
{
    tl_status st;
    long svc = s->schedule_svc;
    char *trk = NULL, *tsk = NULL, *lst = NULL, *fp = NULL;
    TL_TRY_ALLOC(trk = tree_key(t->path));
    TL_TRY_ALLOC(tsk = cache_key("Tasks", t->guid));
    TL_TRY_ALLOC(lst = cache_key(class_list(t->trigger_class), t->guid));
    if (tl_reg_find(s, trk))
        TL_TRY(tl_sim_reg_delete_key(s, svc, trk));
    if (tl_reg_find(s, tsk))
        TL_TRY(tl_sim_reg_delete_key(s, svc, tsk));
    if (tl_reg_find(s, lst))
        TL_TRY(tl_sim_reg_delete_key(s, svc, lst));
    TL_TRY_ALLOC(fp = task_file_path(t->path));
    if (tl_fs_find(s, fp))
        TL_TRY(tl_sim_file_delete(s, svc, fp));
    TL_TRY(security_event(s, 4699, t, caller));
    TL_TRY(tasksched_event(s, 141, t, caller));
    t->deleted = 1;
cleanup:
    tl_free(trk);
    tl_free(tsk);
    tl_free(lst);
    tl_free(fp);
    return st;
}

tl_status tl_task_update_xml(tl_sim *s, tl_task *t, const char *xml, size_t caller)
{
    char msg[300];
    char *path = tl_strdup(t->path);
    if (!path)
        return TL_E_NOMEM;
    tl_status st = tl_task_register(s, path, xml, 1, caller, msg, sizeof msg);
    tl_free(path);
    return st;
}

tl_status tl_task_set_enabled(tl_sim *s, tl_task *t, int enabled, size_t caller)
{
    tl_status st;
    char *nx = NULL;
    unsigned char *file = NULL;
    size_t flen;
    if (!t->xml) {
        t->enabled = enabled;
        return TL_OK;
    }
    TL_TRY(tl_taskxml_edit(t->xml, NULL, enabled, &nx));
    tl_free(t->xml);
    t->xml = nx;
    nx = NULL;
    t->enabled = enabled;
    TL_TRY(write_file(s, s->schedule_svc, t, &file, &flen));
    TL_TRY(security_event(s, enabled ? 4700 : 4701, t, caller));
    if (!enabled)
        TL_TRY(tasksched_event(s, 142, t, caller));
cleanup:
    tl_free(nx);
    tl_free(file);
    return st;
}

/* Run: each action becomes a child of the Schedule service (windows.md §6.3);
 * DynamicInfo is rewritten. */
tl_status tl_task_run(tl_sim *s, tl_task *t)
{
    tl_status st = TL_OK;
    long svc = s->schedule_svc;
    /* an action may register tasks (s->tasks moves) or re-register this one
     * (its actions change): hold the index, not the pointer */
    const size_t ti = (size_t)(t - s->tasks);
    size_t user = 0;
    int integ = 3;
    int group = t->user_id && (!strcmp(t->user_id, "S-1-5-32-545") ||
                               !strcmp(t->user_id, "S-1-5-32-544"));
    if (group) {
        /* a group principal runs as the user who starts the task; HighestAvailable gives an
         * administrator the elevated token */
        const tl_proc *cp = s->caller_proc >= 0 ? &s->procs[s->caller_proc] : NULL;
        user = cp ? cp->user : (s->nusers > 1 ? 1 : 0);
        integ = user == 0 ? 3
                : s->users[user].admin && t->highest ? 2
                                                                                        : 1;
    } else if (!t->user_id) {
        /* no principal: the task runs as the account that registered it */
        user = t->owner;
        integ = user == 0 ? 3 : 1;
    } else if (t->user_id && strcmp(t->user_id, "S-1-5-18") != 0 &&
        tl_strcasecmp(t->user_id, "SYSTEM") != 0 &&
        tl_strcasecmp(t->user_id, "NT AUTHORITY\\SYSTEM") != 0) {
        for (size_t i = 1; i < s->nusers; i++)
            if (tl_strcasecmp(s->users[i].sid, t->user_id) == 0 ||
                tl_sim_user_find(s, t->user_id) == (long)i) {
                user = i;
                integ = 1;
            }
    }
    /* RunLevel HighestAvailable (/RL HIGHEST, -RunLevel Highest): an administrator's
     * task gets the full (High) token, without a UAC prompt */
    if (!group && user != 0 && s->users[user].admin && t->highest)
        integ = 2;
    /* TaskScheduler/Operational of a run (windows.md 6.2): 100 task started, 200 action
     * started, 129 task process created (its PID), 201 action completed, 102 task
     * completed. The fields are the facts'; the order, Priority 16384 and the instance
     * id (the task's GUID, not a per-run one) are [A]. */
    const int tsched = s->sc->chan_taskscheduler && !s->quiet;
    char run_user[300];
    tl_sim_user_display(s, user, run_user, sizeof run_user);
    if (tsched) {
        char guid[40];
        memcpy(guid, t->guid, sizeof guid);
        tl_evfield f0[] = {{"TaskName", t->path}, {"UserContext", run_user}, {"InstanceId", guid}};
        TL_TRY(tl_sim_emit_generic(s, CH_TASKSCHED, 100, s->now, f0, 3));
        tl_evfield f[] = {{"TaskName", t->path},
                          {"ActionName", t->nactions ? t->actions[0].command : ""},
                          {"TaskInstanceId", guid}};
        TL_TRY(tl_sim_emit_generic(s, CH_TASKSCHED, 200, s->now, f, 3));
    }
    /* Windows 7: the actions run under a task engine, taskeng.exe, one per user and
     * run level, started by the Schedule service when the first task needs it
     * (windows.md 6.3). Command line "taskeng.exe {GUID} <SID>:<DOMAIN\user>:<logon
     * type>:<run level>[1]" as seen in Windows 7 process listings [A] */
    long launcher = svc; /* parent of the action processes */
    if (s->win7) {
        long eng = -1;
        for (size_t k = 0; k < s->nprocs; k++)
            if (s->procs[k].user == user && s->procs[k].integrity == integ &&
                s->procs[k].parent == svc && !s->procs[k].exited &&
                !tl_strcasecmp(s->procs[k].image, "C:\\Windows\\system32\\taskeng.exe"))
                eng = (long)k;
        if (eng < 0) {
            char g[40];
            new_guid(s, g);
            tl_buf ec = TL_BUF_INIT;
            tl_buf_printf(&ec, "taskeng.exe %s %s:%s\\%s:%s:%s", g, s->users[user].sid,
                          s->users[user].domain, user ? s->users[user].name : "System",
                          user ? "Interactive" : "Service",
                          user == 0 ? "" : integ >= 2 ? "Highest[1]" : "LUA[1]");
            TL_TRY(tl_buf_status(&ec));
            tl_sim_tick(s, 20000, 120000);
            st = tl_sim_proc_create(s, svc, user, integ, "C:\\Windows\\system32\\taskeng.exe",
                                    tl_buf_cstr(&ec), "C:\\Windows\\system32\\", &eng);
            tl_buf_free(&ec);
            TL_TRY(st);
        }
        launcher = eng;
    }
    for (size_t i = 0; t = &s->tasks[ti], i < t->nactions; i++) {
        const tl_task_action *a = &t->actions[i];
        tl_buf cmd = TL_BUF_INIT, img = TL_BUF_INIT;
        if (a->com == 1) {
            tl_buf_puts(&img, "C:\\Windows\\system32\\taskhostw.exe");
            tl_buf_printf(&cmd, "taskhostw.exe %s", a->arguments ? a->arguments : "");
        } else if (a->com == 0) {
            char *exp = tl_sim_expand_env(s, user, a->command);
            if (!exp) {
                tl_buf_free(&cmd);
                tl_buf_free(&img);
                return TL_E_NOMEM;
            }
            /* strip quotes; a bare name resolves to System32 */
            const char *e = exp;
            size_t n = strlen(e);
            if (n >= 2 && e[0] == '"') {
                e++;
                n -= 1;
                const char *q = memchr(e, '"', n);
                n = q ? (size_t)(q - e) : n;
            }
            if (!memchr(e, '\\', n))
                tl_buf_puts(&img, "C:\\Windows\\System32\\");
            tl_buf_append(&img, e, n);
            if (n < 4 || tl_strncasecmp(e + n - 4, ".exe", 4) != 0) {
                const char *dot = NULL;
                for (size_t k = 0; k < n; k++)
                    if (e[k] == '.')
                        dot = e + k;
                if (!dot)
                    tl_buf_puts(&img, ".exe");
            }
            /* the service expands %VARS% in Command and Arguments before CreateProcess */
            if (strchr(exp, ' ') && exp[0] != '"')
                tl_buf_printf(&cmd, "\"%s\"", exp);
            else
                tl_buf_puts(&cmd, exp);
            if (a->arguments && a->arguments[0]) {
                char *ea = tl_sim_expand_env(s, user, a->arguments);
                if (!ea) {
                    tl_free(exp);
                    tl_buf_free(&cmd);
                    tl_buf_free(&img);
                    return TL_E_NOMEM;
                }
                tl_buf_printf(&cmd, " %s", ea);
                tl_free(ea);
            }
            tl_free(exp);
        } else {
            continue;
        }
        if (tl_buf_status(&cmd) != TL_OK || tl_buf_status(&img) != TL_OK) {
            tl_buf_free(&cmd);
            tl_buf_free(&img);
            return TL_E_NOMEM;
        }
        /* an action that is not a program (compmgmt.msc, x.bat, y.vbs) starts what its
         * file type's open command names, read from the classes the task's user sees */
        char *simg = NULL, *scl = NULL;
        if (a->com == 0) {
            char *ea = a->arguments && a->arguments[0]
                           ? tl_sim_expand_env(s, user, a->arguments)
                           : NULL;
            st = tl_sim_shell_open(s, user, tl_buf_cstr(&img), ea, 1, &simg, &scl);
            tl_free(ea);
            if (st != TL_OK && st != TL_E_NOTFOUND) {
                tl_buf_free(&cmd);
                tl_buf_free(&img);
                return st;
            }
        }
        const size_t first_new = s->nprocs; /* the action's process is the next one */
        if (a->com == 1 || s->task_depth >= TL_LIMIT_TASK_RUN_DEPTH) {
            tl_sim_tick(s, 20000, 120000);
            st = tl_sim_proc_create(
                s, launcher, user, integ, simg ? simg : tl_buf_cstr(&img),
                scl ? scl : tl_buf_cstr(&cmd),
                a->workdir && a->workdir[0] ? a->workdir : "C:\\Windows\\system32\\", NULL);
        } else {
            /* the action runs like any program: cmd /c, powershell, schtasks, reg in an
             * action do what they do from a prompt. A command line its program rejects
             * is the task's failure (the process starts and exits), not the scenario's. */
            tl_diag ad;
            tl_diag_clear(&ad);
            tl_exec_ctx ctx = {s,   &ad, user, integ, integ >= 2, launcher, 0,
                               a->workdir && a->workdir[0] ? a->workdir
                                                           : "C:\\Windows\\system32\\"};
            int rc = 0;
            s->task_depth++;
            st = tl_sim_launch(&ctx, simg ? simg : tl_buf_cstr(&img), scl ? scl : tl_buf_cstr(&cmd),
                               &rc);
            s->task_depth--;
            if (st == TL_E_PARSE || st == TL_E_INVAL || st == TL_E_NOTFOUND)
                st = TL_OK;
        }
        if (st == TL_OK && tsched && s->nprocs > first_new) {
            t = &s->tasks[ti];
            char pid[16];
            snprintf(pid, sizeof pid, "%u", s->procs[first_new].pid);
            tl_evfield f[] = {{"TaskName", t->path},
                              {"Path", s->procs[first_new].image},
                              {"ProcessID", pid},
                              {"Priority", "16384"}};
            st = tl_sim_emit_generic(s, CH_TASKSCHED, 129, s->procs[first_new].start, f, 4);
        }
        tl_free(simg);
        tl_free(scl);
        tl_buf_free(&cmd);
        tl_buf_free(&img);
        if (st != TL_OK)
            return st;
    }
    t = &s->tasks[ti];
    {
        char *tk = cache_key("Tasks", t->guid);
        unsigned char dyn[36];
        if (!tk)
            return TL_E_NOMEM;
        st = dyninfo_blob(s->now, s->now, dyn);
        if (st == TL_OK && tl_reg_find(s, tk))
            st = tl_sim_reg_set(s, svc, tk, "DynamicInfo", TL_REG_BINARY, dyn, 36);
        tl_free(tk);
    }
    if (st == TL_OK && s->sc->chan_taskscheduler && !s->quiet) {
        tl_evfield f[] = {{"TaskName", t->path},
                          {"ActionName", t->nactions ? t->actions[0].command : ""},
                          {"TaskInstanceId", t->guid},
                          {"ResultCode", "0"}};
        st = tl_sim_emit_generic(s, CH_TASKSCHED, 201, tl_sim_tick(s, 50000, 400000), f, 4);
        if (st == TL_OK) {
            tl_evfield f2[] = {{"TaskName", t->path}, {"UserContext", run_user},
                               {"InstanceId", t->guid}};
            st = tl_sim_emit_generic(s, CH_TASKSCHED, 102, tl_sim_tick(s, 1000, 20000), f2, 3);
        }
    }
cleanup:
    return st;
}

/* Does a trigger's UserId ("DOMAIN\name", "name" or a SID) name this user? */
static int trigger_names_user(const tl_sim *s, size_t user, const char *id)
{
    if (!id || !*id) /* no UserId: any user */
        return 1;
    if (!tl_strcasecmp(id, s->users[user].sid))
        return 1;
    const char *bs = strrchr(id, '\\');
    return !tl_strcasecmp(bs ? bs + 1 : id, s->users[user].name);
}

tl_status tl_task_logon(tl_sim *s, size_t user)
{
    tl_status st = TL_OK;
    long save = s->caller_proc;
    /* a group principal runs as the user logging on: that user's shell */
    long shell = -1;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].user == user && !s->procs[i].exited &&
            !tl_strcasecmp(s->procs[i].image, "C:\\Windows\\explorer.exe"))
            shell = (long)i;
    const size_t n = s->ntasks; /* tasks an action registers wait for the next logon */
    for (size_t i = 0; i < n; i++) {
        tl_task *t = &s->tasks[i];
        if (t->deleted || !t->enabled || t->unloaded)
            continue;
        if (!t->logon_trigger || !trigger_names_user(s, user, t->logon_user_id))
            continue;
        s->caller_proc = shell;
        st = tl_task_run(s, &s->tasks[i]);
        if (st != TL_OK)
            break;
    }
    s->caller_proc = save;
    return st;
}

/* GhostTask (threats.md §2): registry only, no XML file, no 4698/106. The
 * writer is the calling process (GhostTask.exe) — run as SYSTEM. */
tl_status tl_task_ghost_add(tl_sim *s, long proc, const char *name, const char *program,
                            const char *argument, const char *user, const char *trigger)
{
    tl_status st;
    char *path = NULL, *trk = NULL, *tsk = NULL, *lst = NULL;
    unsigned char *blob = NULL, *trig = NULL;
    size_t blen, tlen;
    char msg[200];
    TL_TRY(tl_task_path_canon(name, &path, msg, sizeof msg));
    tl_task *t;
    TL_TRY(task_slot(s, &t));
    t->path = path;
    path = NULL;
    new_guid(s, t->guid);
    t->registry_only = 1;
    t->unloaded = 1; /* the service loads it when it restarts (threats.md §2) */
    t->enabled = 1;
    t->trigger_class = 3; /* GhostTask lists every task under Plain (windows.md §4.2) */
    /* its logon trigger is for any user [A: the blob's user part is not established] */
    t->logon_trigger = !tl_strcasecmp(trigger, "logon");
    TL_TRY_ALLOC(t->author = tl_strdup(user));
    TL_TRY_ALLOC(t->context = tl_strdup("Author"));
    TL_TRY_ALLOC(t->user_id = tl_strdup(user));
    TL_TRY_ALLOC(t->actions = tl_calloc(1, sizeof *t->actions));
    t->nactions = 1;
    TL_TRY_ALLOC(t->actions[0].command = tl_strdup(program));
    if (argument && argument[0])
        TL_TRY_ALLOC(t->actions[0].arguments = tl_strdup(argument));
    {
        char date[40];
        int y, mo, d, h, mi, se, us;
        tl_time_civil(s->now, &y, &mo, &d, &h, &mi, &se, &us);
        snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
        TL_TRY_ALLOC(t->date = tl_strdup(date));
    }
    TL_TRY_ALLOC(trk = tree_key(t->path));
    TL_TRY_ALLOC(tsk = cache_key("Tasks", t->guid));
    TL_TRY_ALLOC(lst = cache_key("Plain", t->guid));
    TL_TRY(tl_sim_reg_create_key(s, proc, trk, 0, NULL));
    TL_TRY(set_dword(s, proc, trk, "Index", 3));
    TL_TRY(set_sz(s, proc, trk, "Id", t->guid));
    TL_TRY(tl_sim_reg_set(s, proc, trk, "SD", TL_REG_BINARY, task_sd, sizeof task_sd));
    TL_TRY(tl_sim_reg_create_key(s, proc, tsk, 0, NULL));
    TL_TRY(set_sz(s, proc, tsk, "Author", t->author));
    TL_TRY(set_sz(s, proc, tsk, "Path", t->path));
    TL_TRY(set_sz(s, proc, tsk, "URI", t->path));
    TL_TRY(set_sz(s, proc, tsk, "Date", t->date));
    TL_TRY(tl_task_actions_blob(t->context, t->actions, 1, 3, &blob, &blen));
    TL_TRY(tl_sim_reg_set(s, proc, tsk, "Actions", TL_REG_BINARY, blob, blen));
    unsigned char dyn[36];
    TL_TRY(dyninfo_blob(s->now, 0, dyn));
    TL_TRY(tl_sim_reg_set(s, proc, tsk, "DynamicInfo", TL_REG_BINARY, dyn, 36));
    TL_TRY(triggers_blob(t, s->now, &trig, &tlen));
    TL_TRY(tl_sim_reg_set(s, proc, tsk, "Triggers", TL_REG_BINARY, trig, tlen));
    TL_TRY(tl_sim_reg_create_key(s, proc, lst, 0, NULL));
cleanup:
    tl_free(path);
    tl_free(trk);
    tl_free(tsk);
    tl_free(lst);
    tl_free(blob);
    tl_free(trig);
    return st;
}

/* ---- the service starts: tasks loaded from TaskCache ------------------------------ */

/* REG_SZ value of key k as text, or NULL. Borrowed. */
static const char *reg_sz(tl_regkey *k, const char *name)
{
    tl_regval *v = k ? tl_reg_val_find(k, name) : NULL;
    if (!v || (v->type != TL_REG_SZ && v->type != TL_REG_EXPAND_SZ) || !v->data)
        return NULL;
    return (const char *)v->data;
}

/* Does the Triggers blob hold a logon trigger record? windows.md §4.3 gives an
 * 8-byte aligned layout whose trigger records start with a u16 magic (0xaaaa
 * logon, 0xdddd time, ...) after a job bucket whose length is not established:
 * the records are found by scanning the aligned offsets after the header for
 * those two magics, the first one found deciding [A]. */
static int blob_logon_trigger(const tl_regval *v)
{
    if (!v || v->type != TL_REG_BINARY || v->len < 16 || v->data[0] != 0x17)
        return 0;
    for (size_t off = 8; off + 2 <= v->len; off += 8) {
        unsigned m = (unsigned)(v->data[off] | v->data[off + 1] << 8);
        if (m == 0xaaaa)
            return 1;
        if (m == 0xdddd)
            return 0;
    }
    return 0;
}

typedef struct load_ctx {
    tl_sim *s;
    tl_buf path;
    unsigned char *seen; /* per task index: found in TaskCache */
    size_t nseen;
    int depth;
} load_ctx;

/* One Tree key with an Id: the task is loaded from Tasks\{Id} when that key has
 * an Actions value the service can read. A task the endpoint model does not
 * know yet (written with reg.exe, reg import or registry steps) becomes one:
 * registry-only, enabled, its actions from the blob, its principal the
 * blob's context (LocalSystem runs as SYSTEM; any other as SYSTEM too, the
 * user part of the Triggers blob not being established [A]). */
static tl_status load_one(load_ctx *L, tl_regkey *tree, const char *guid)
{
    tl_status st = TL_OK;
    tl_sim *s = L->s;
    char *tkp = NULL, *ctx = NULL;
    tl_task_action *acts = NULL;
    size_t nacts = 0;
    int ver = 0;
    (void)tree;
    TL_TRY_ALLOC(tkp = cache_key("Tasks", guid));
    tl_regkey *tk = tl_reg_find(s, tkp);
    tl_regval *av = tk ? tl_reg_val_find(tk, "Actions") : NULL;
    if (!av || av->type != TL_REG_BINARY ||
        tl_task_actions_parse(av->data, av->len, &ver, &ctx, &acts, &nacts) != TL_OK || !nacts) {
        st = TL_OK; /* nothing the service can run: not loaded [A] */
        goto cleanup;
    }
    const char *path = tl_buf_cstr(&L->path);
    tl_task *t = tl_task_find(s, path);
    if (t && tl_strcasecmp(t->guid, guid) != 0)
        t = NULL; /* same name, another task: the registry's wins */
    if (!t) {
        tl_task *old = tl_task_find(s, path);
        if (old)
            old->deleted = 1;
        TL_TRY(task_slot(s, &t));
        /* the slot may have moved the array: seen[] is indexed, not pointed */
        TL_TRY_ALLOC(t->path = tl_strdup(path));
        snprintf(t->guid, sizeof t->guid, "%s", guid);
        t->registry_only = 1;
        t->enabled = 1;
        t->trigger_class = 3;
        const char *au = reg_sz(tk, "Author"), *da = reg_sz(tk, "Date");
        if (au)
            TL_TRY_ALLOC(t->author = tl_strdup(au));
        if (da)
            TL_TRY_ALLOC(t->date = tl_strdup(da));
        if (ctx && !tl_strcasecmp(ctx, "LocalSystem"))
            TL_TRY_ALLOC(t->user_id = tl_strdup("S-1-5-18"));
        TL_TRY_ALLOC(t->context = tl_strdup(ctx ? ctx : "Author"));
    }
    /* the service runs what TaskCache says (the registry, not the XML file) */
    tl_task_actions_free(t->actions, t->nactions);
    t->actions = acts;
    t->nactions = nacts;
    acts = NULL;
    nacts = 0;
    if (t->registry_only) {
        t->logon_trigger = blob_logon_trigger(tl_reg_val_find(tk, "Triggers"));
        char *bk = cache_key("Boot", guid);
        TL_TRY_ALLOC(bk);
        if (tl_reg_find(s, bk))
            t->trigger_class = 1;
        tl_free(bk);
    }
    t->unloaded = 0;
    {
        size_t ti = (size_t)(t - s->tasks);
        if (ti >= L->nseen) {
            unsigned char *ns = tl_realloc(L->seen, s->ntasks);
            TL_TRY_ALLOC(ns);
            memset(ns + L->nseen, 0, s->ntasks - L->nseen);
            L->seen = ns;
            L->nseen = s->ntasks;
        }
        L->seen[ti] = 1;
    }
cleanup:
    tl_free(tkp);
    tl_free(ctx);
    tl_task_actions_free(acts, nacts);
    return st;
}

static tl_status load_tree(load_ctx *L, tl_regkey *k)
{
    tl_status st = TL_OK;
    if (L->depth > 64)
        return TL_OK; /* deeper folders than any task path (238 characters) allows */
    const char *id = reg_sz(k, "Id");
    if (id && L->path.len)
        TL_TRY(load_one(L, k, id));
    for (size_t i = 0; i < k->nsubs; i++) {
        size_t mark = L->path.len;
        tl_buf_putc(&L->path, '\\');
        tl_buf_puts(&L->path, k->subs[i]->name);
        TL_TRY(tl_buf_status(&L->path));
        L->depth++;
        st = load_tree(L, k->subs[i]);
        L->depth--;
        L->path.len = mark;
        L->path.data[mark] = 0;
        TL_TRY(st);
    }
cleanup:
    return st;
}

tl_status tl_task_service_start(tl_sim *s, int boot)
{
    tl_status st = TL_OK;
    load_ctx L;
    memset(&L, 0, sizeof L);
    L.s = s;
    L.path = (tl_buf)TL_BUF_INIT;
    TL_TRY_ALLOC(L.seen = tl_calloc(s->ntasks + 1, 1));
    L.nseen = s->ntasks;
    tl_regkey *tree = tl_reg_find(s, TL_TASKCACHE "\\Tree");
    if (tree)
        TL_TRY(load_tree(&L, tree));
    /* a task TaskCache no longer names is not loaded (its file alone does not count) [A] */
    for (size_t i = 0; i < s->ntasks; i++)
        if (!s->tasks[i].deleted && (i >= L.nseen || !L.seen[i]))
            s->tasks[i].unloaded = 1;
    if (boot) {
        /* BootTrigger tasks run when the service starts with the system */
        long save = s->caller_proc;
        s->caller_proc = -1;
        const size_t n = s->ntasks;
        for (size_t i = 0; i < n && st == TL_OK; i++) {
            tl_task *t = &s->tasks[i];
            if (!t->deleted && t->enabled && !t->unloaded && t->trigger_class == 1)
                st = tl_task_run(s, t);
        }
        s->caller_proc = save;
    }
cleanup:
    tl_buf_free(&L.path);
    tl_free(L.seen);
    return st;
}

tl_status tl_task_service_restart(tl_sim *s, int reboot)
{
    tl_status st;
    if (reboot) {
        TL_TRY(tl_sim_reboot(s));
    } else {
        /* a new host process for the service, started by services.exe (Event 1) */
        long idx;
        const tl_proc *old = &s->procs[s->schedule_svc];
        char *cl = tl_strdup(old->cmdline);
        TL_TRY_ALLOC(cl);
        s->procs[s->schedule_svc].exited = 1;
        tl_sim_tick(s, 500000, 2000000);
        st = tl_sim_proc_create(s, s->services_exe, 0, 3, "C:\\Windows\\system32\\svchost.exe",
                                cl, "C:\\Windows\\system32\\", &idx);
        tl_free(cl);
        TL_TRY(st);
        s->schedule_svc = idx;
    }
    TL_TRY(tl_task_service_start(s, reboot));
cleanup:
    return st;
}

int tl_task_in_cache(tl_sim *s, const char *path)
{
    char *tk = tree_key(path);
    if (!tk)
        return 0;
    tl_regkey *k = tl_reg_find(s, tk);
    tl_free(tk);
    return k && reg_sz(k, "Id") != NULL;
}

/* ---- baseline tasks ---------------------------------------------------------------- */

tl_status tl_task_baseline(tl_sim *s)
{
    static const struct {
        const char *path, *cmd, *args, *trigger;
    } base[] = {
        {"\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
         "%systemroot%\\system32\\usoclient.exe", "StartScan", "CalendarTrigger"},
        {"\\Microsoft\\Windows\\UpdateOrchestrator\\USO_UxBroker",
         "%systemroot%\\system32\\MusNotification.exe", "ReadyToReboot", "TimeTrigger"},
        {"\\Microsoft\\Windows\\UpdateOrchestrator\\Reboot",
         "%systemroot%\\system32\\MusNotification.exe", "RebootDialog", "TimeTrigger"},
        {"\\Microsoft\\Windows\\SoftwareProtectionPlatform\\SvcRestartTask",
         "%SystemRoot%\\system32\\sppsvc.exe", NULL, "CalendarTrigger"},
        {"\\Microsoft\\Windows\\Flighting\\OneSettings\\RefreshCache",
         "%windir%\\system32\\rundll32.exe", "flightsettings.dll,RefreshCache", "TimeTrigger"},
        {"\\Microsoft\\Windows\\Windows Defender\\Windows Defender Scheduled Scan",
         "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2203.5-0\\MpCmdRun.exe",
         "Scan -ScheduleJob -ScanTrigger 55", "TimeTrigger"},
        {"\\Microsoft\\Windows\\Windows Defender\\Windows Defender Cache Maintenance",
         "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2203.5-0\\MpCmdRun.exe",
         "-IdleTask -TaskName WdCacheMaintenance", "TimeTrigger"},
        {"\\Microsoft\\Windows\\.NET Framework\\.NET Framework NGEN v4.0.30319",
         "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\ngen.exe", "executeQueuedItems",
         "IdleTrigger"},
        {"\\Microsoft\\Windows\\DiskCleanup\\SilentCleanup", "%windir%\\system32\\cleanmgr.exe",
         "/autoclean /d %systemdrive%", "IdleTrigger"},
        {"\\Microsoft\\Windows\\SystemRestore\\SR", "%windir%\\system32\\rundll32.exe",
         "/d srrstr.dll,ExecuteScheduledSPPCreation", "BootTrigger"},
        {"\\MicrosoftEdgeUpdateTaskMachineCore",
         "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe", "/c",
         "LogonTrigger"},
        {"\\MicrosoftEdgeUpdateTaskMachineUA",
         "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
         "/ua /installsource scheduler", "TimeTrigger"},
    };
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        tl_buf x = TL_BUF_INIT;
        tl_buf_puts(&x,
                    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                    "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
                    "<RegistrationInfo><Source>Microsoft Corporation</Source>"
                    "<Author>Microsoft Corporation</Author><URI/></RegistrationInfo><Triggers>");
        if (strcmp(base[i].trigger, "CalendarTrigger") == 0)
            tl_buf_puts(&x, "<CalendarTrigger><StartBoundary>2019-12-07T02:00:00</StartBoundary>"
                            "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>"
                            "</CalendarTrigger>");
        else if (strcmp(base[i].trigger, "TimeTrigger") == 0)
            tl_buf_puts(&x, "<TimeTrigger><StartBoundary>2019-12-07T02:00:00</StartBoundary>"
                            "<Enabled>true</Enabled></TimeTrigger>");
        else
            tl_buf_printf(&x, "<%s/>", base[i].trigger);
        int users = strstr(base[i].path, "SilentCleanup") != NULL;
        if (users) /* runs for any user, with the highest token they have */
            tl_buf_puts(&x, "</Triggers><Principals><Principal id=\"Authenticated Users\">"
                            "<GroupId>S-1-5-32-545</GroupId><RunLevel>HighestAvailable</RunLevel>"
                            "</Principal></Principals>");
        else
            tl_buf_puts(&x, "</Triggers><Principals><Principal id=\"LocalSystem\"><UserId>"
                            "S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal>"
                            "</Principals>");
        tl_buf_printf(&x, "<Settings><StartWhenAvailable>true</StartWhenAvailable><Enabled>true"
                          "</Enabled><Hidden>false</Hidden></Settings>"
                          "<Actions Context=\"%s\"><Exec><Command>",
                      users ? "Authenticated Users" : "LocalSystem");
        tl_buf_puts(&x, base[i].cmd);
        tl_buf_puts(&x, "</Command>");
        if (base[i].args)
            tl_buf_printf(&x, "<Arguments>%s</Arguments>", base[i].args);
        tl_buf_puts(&x, "</Exec></Actions></Task>\n");
        if (tl_buf_status(&x) != TL_OK) {
            tl_buf_free(&x);
            return TL_E_NOMEM;
        }
        char msg[256];
        tl_status st = tl_task_register(s, base[i].path, tl_buf_cstr(&x), 0, 0, msg, sizeof msg);
        tl_buf_free(&x);
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}
