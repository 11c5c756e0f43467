/* SPDX-License-Identifier: MIT */
/*
 * Scenario loader: strict JSON schema check of a scenario file (format in
 * scenarios/README.md) into an immutable tl_scenario.
 *
 * Every error is one line naming the file and the JSON path of the offending
 * node, e.g. "scenarios/x.json: $.steps[2].at: expected a number"; JSON syntax
 * errors carry the line number instead. Unknown keys, duplicate keys (cJSON
 * accepts them silently, we do not), wrong types and impossible times
 * (negative or non-finite offsets, offsets beyond ten years, a start outside
 * 1990..2100) are rejected. The "expect" array is opaque here: it is kept as
 * compact JSON text for the test driver.
 *
 * Steps are stored in execution order: a stable sort by time, so ties keep
 * the order of the file.
 */
#include "tasklab/scenario.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "tasklab/limits.h"

#define MAX_AT_SECONDS 315360000.0 /* ten years */

void tl_sim_json_hooks(void);

/* cJSON cannot tell an allocation failure from a syntax error; the hook
 * remembers (per thread) that an allocation failed. */
static _Thread_local int json_oom;

static void *json_malloc(size_t n)
{
    void *p = tl_malloc(n);
    if (!p)
        json_oom = 1;
    return p;
}

/* Route cJSON through the tasklab allocator. Set before every use: other
 * modules may install their own (equivalent) hooks. */
void tl_sim_json_hooks(void)
{
    cJSON_Hooks h = {json_malloc, tl_free};
    cJSON_InitHooks(&h);
}

typedef struct ld {
    const char *file;
    tl_diag *d;
    char path[256];
    double noise_total; /* noise events of the steps read so far */
} ld;

static tl_status perr(ld *l, const char *fmt, const char *a)
{
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    tl_diag_set(l->d, l->file, 0, "%s: %s", l->path, msg);
    return TL_E_PARSE;
}

/* Path helpers: push a key / index onto l->path, pop by restoring length. */
static size_t push_key(ld *l, const char *k)
{
    size_t n = strlen(l->path);
    snprintf(l->path + n, sizeof l->path - n, ".%s", k);
    return n;
}
static size_t push_idx(ld *l, size_t i)
{
    size_t n = strlen(l->path);
    snprintf(l->path + n, sizeof l->path - n, "[%zu]", i);
    return n;
}

/* Check obj is an object whose keys are all in allowed (NULL-terminated) and
 * unique. */
static tl_status check_keys(ld *l, const cJSON *obj, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return perr(l, "expected an object", NULL);
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], c->string) == 0)
                ok = 1;
        size_t n = push_key(l, c->string);
        if (!ok) {
            tl_status st = perr(l, "unknown key", NULL);
            l->path[n] = 0;
            return st;
        }
        for (const cJSON *p = obj->child; p != c; p = p->next)
            if (strcmp(p->string, c->string) == 0) {
                tl_status st = perr(l, "duplicate key", NULL);
                l->path[n] = 0;
                return st;
            }
        l->path[n] = 0;
    }
    return TL_OK;
}

/* Get an optional string member; required -> error when missing. null allowed
 * only when nullable. *out is an owned copy (NULL when absent/null). */
static tl_status get_str(ld *l, const cJSON *obj, const char *key, int required, int nullable,
                         char **out)
{
    tl_status st = TL_OK;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    size_t n = push_key(l, key);
    *out = NULL;
    if (!v) {
        if (required)
            st = perr(l, "missing required key", NULL);
    } else if (cJSON_IsNull(v) && nullable) {
        /* absent */
    } else if (!cJSON_IsString(v)) {
        st = perr(l, nullable ? "expected a string or null" : "expected a string", NULL);
    } else if (required && v->valuestring[0] == 0) {
        st = perr(l, "must not be empty", NULL);
    } else {
        *out = tl_strdup(v->valuestring);
        if (!*out)
            st = TL_E_NOMEM;
    }
    l->path[n] = 0;
    return st;
}

static tl_status get_bool(ld *l, const cJSON *obj, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return TL_OK;
    size_t n = push_key(l, key);
    tl_status st = TL_OK;
    if (!cJSON_IsBool(v))
        st = perr(l, "expected true or false", NULL);
    else
        *out = cJSON_IsTrue(v);
    l->path[n] = 0;
    return st;
}

/* Number member; required -> error when missing. */
static tl_status get_num(ld *l, const cJSON *obj, const char *key, int required, double *out,
                         int *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (present)
        *present = v != NULL;
    size_t n = push_key(l, key);
    tl_status st = TL_OK;
    if (!v) {
        if (required)
            st = perr(l, "missing required key", NULL);
    } else if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        st = perr(l, "expected a number", NULL);
    } else {
        *out = v->valuedouble;
    }
    l->path[n] = 0;
    return st;
}

static int one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static tl_status check_enum(ld *l, const char *key, const char *val, const char *const *list,
                            const char *what)
{
    if (!val || one_of(val, list))
        return TL_OK;
    size_t n = push_key(l, key);
    tl_status st = perr(l, "expected %s", what);
    l->path[n] = 0;
    return st;
}

/* [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 bytes: never "." or "..", never a
 * separator, never hidden. */
static int valid_scenario_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 128)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || !(c == '.' || c == '_' || c == '-')))
            return 0;
    }
    return 1;
}

/* A recording scenario's "recording": a relative name below the recordings'
 * folder or the scenario's own folder (scenarios/README.md). '/'-separated
 * components of [A-Za-z0-9 ._@-], each starting with a letter, digit or '_'
 * (so never "." or ".."), not ending in a space or dot, and a known extension.
 * No absolute path, no backslash, no empty component. */
static int valid_recording_name(const char *n)
{
    size_t len = strlen(n), comp = 0;
    if (len == 0 || len > 512)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        char c = n[i];
        if (c == '/' || c == 0) {
            if (comp == 0 || comp > 255 || n[i - 1] == ' ' || n[i - 1] == '.')
                return 0;
            comp = 0;
            continue;
        }
        int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (comp == 0 ? c != '_' : !strchr(" ._@-", c)))
            return 0;
        comp++;
    }
    static const char *const ext[] = {".evtx", ".xml", ".json"};
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
        size_t el = strlen(ext[k]);
        if (len > el && !tl_strncasecmp(n + len - el, ext[k], el))
            return 1;
    }
    return 0;
}

static int valid_hostname(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 63)
        return 0;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static int valid_username(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 20)
        return 0;
    for (const char *p = u; *p; p++)
        if (strchr("\"/\\[]:;|=,+*?<>@", *p) || (unsigned char)*p < 0x20)
            return 0;
    return 1;
}

static tl_status load_endpoint(ld *l, tl_scenario *s, const cJSON *ep)
{
    static const char *const keys[] = {"hostname", "domain",   "os_build", "arch", "sysmon_config",
                                       "windir",   "channels", "users",    NULL};
    static const char *const arches[] = {"x64", "x86", NULL};
    tl_status st;
    size_t n = push_key(l, "endpoint");
    TL_TRY(check_keys(l, ep, keys));
    TL_TRY(get_str(l, ep, "hostname", 1, 0, &s->hostname));
    if (!valid_hostname(s->hostname)) {
        size_t m = push_key(l, "hostname");
        st = perr(l, "invalid host name \"%s\"", s->hostname);
        l->path[m] = 0;
        goto cleanup;
    }
    TL_TRY(get_str(l, ep, "domain", 0, 1, &s->domain));
    TL_TRY(get_str(l, ep, "os_build", 0, 0, &s->os_build));
    TL_TRY(get_str(l, ep, "arch", 0, 0, &s->arch));
    TL_TRY(check_enum(l, "arch", s->arch, arches, "\"x64\" or \"x86\""));
    /* The Windows folder's casing: C:\Windows on current installs, C:\WINDOWS on hosts whose
     * %SystemRoot% is spelled so (evasion.md 2.5, 3.2). Only the casing may differ: every
     * path the simulator models lives in C:\Windows. */
    TL_TRY(get_str(l, ep, "windir", 0, 0, &s->windir));
    if (s->windir && tl_strcasecmp(s->windir, "C:\\Windows") != 0) {
        size_t m = push_key(l, "windir");
        st = perr(l, "must be C:\\Windows in some casing (e.g. \"C:\\\\WINDOWS\"), not \"%s\"",
                  s->windir);
        l->path[m] = 0;
        goto cleanup;
    }
    TL_TRY(get_str(l, ep, "sysmon_config", 0, 0, &s->sysmon_config));
    if (s->sysmon_config && !s->sysmon_config[0]) {
        size_t m = push_key(l, "sysmon_config");
        st = perr(l, "must not be empty", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(ep, "channels");
    if (ch) {
        static const char *const ckeys[] = {"security", "taskscheduler", NULL};
        size_t m = push_key(l, "channels");
        TL_TRY(check_keys(l, ch, ckeys));
        TL_TRY(get_bool(l, ch, "security", &s->chan_security));
        TL_TRY(get_bool(l, ch, "taskscheduler", &s->chan_taskscheduler));
        l->path[m] = 0;
    }
    const cJSON *us = cJSON_GetObjectItemCaseSensitive(ep, "users");
    if (us) {
        size_t m = push_key(l, "users");
        if (!cJSON_IsArray(us)) {
            st = perr(l, "expected an array", NULL);
            goto cleanup;
        }
        size_t cnt = (size_t)cJSON_GetArraySize(us);
        if (cnt) {
            TL_TRY_ALLOC(s->users = tl_calloc(cnt, sizeof *s->users));
        }
        size_t i = 0;
        for (const cJSON *u = us->child; u; u = u->next, i++) {
            static const char *const ukeys[] = {"name", "admin", NULL};
            size_t k = push_idx(l, i);
            TL_TRY(check_keys(l, u, ukeys));
            TL_TRY(get_str(l, u, "name", 1, 0, &s->users[i].name));
            s->nusers = i + 1;
            TL_TRY(get_bool(l, u, "admin", &s->users[i].admin));
            if (!valid_username(s->users[i].name) ||
                tl_strcasecmp(s->users[i].name, "SYSTEM") == 0) {
                size_t q = push_key(l, "name");
                st = perr(l, "invalid or reserved user name \"%s\"", s->users[i].name);
                l->path[q] = 0;
                goto cleanup;
            }
            for (size_t j = 0; j < i; j++)
                if (tl_strcasecmp(s->users[j].name, s->users[i].name) == 0) {
                    size_t q = push_key(l, "name");
                    st = perr(l, "duplicate user \"%s\"", s->users[i].name);
                    l->path[q] = 0;
                    goto cleanup;
                }
            l->path[k] = 0;
        }
        l->path[m] = 0;
    }
    st = TL_OK;
    l->path[n] = 0;
cleanup:
    return st;
}

static int known_user(const tl_scenario *s, const char *u)
{
    if (tl_strcasecmp(u, "SYSTEM") == 0)
        return 1;
    for (size_t i = 0; i < s->nusers; i++)
        if (tl_strcasecmp(s->users[i].name, u) == 0)
            return 1;
    return 0;
}

static const char *const reg_types[] = {"REG_SZ",    "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD",
                                        "REG_QWORD", "REG_BINARY",    "REG_NONE",     NULL};

static int is_hex_blob(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
            digits++;
        else if (*p != ' ' && *p != ',')
            return 0;
    }
    return digits % 2 == 0;
}

static tl_status load_registry(ld *l, tl_scenario *s, tl_step *st_, const cJSON *r)
{
    static const char *const keys[] = {"op", "key", "value", "type", "data", NULL};
    static const char *const ops[] = {"create_key", "set_value", "delete_value", "delete_key",
                                      NULL};
    tl_status st;
    char *op = NULL;
    size_t n = push_key(l, "registry");
    TL_TRY(check_keys(l, r, keys));
    TL_TRY(get_str(l, r, "op", 1, 0, &op));
    TL_TRY(check_enum(l, "op", op, ops,
                      "\"create_key\", \"set_value\", \"delete_value\" or \"delete_key\""));
    st_->reg_op = strcmp(op, "create_key") == 0     ? TL_REGOP_CREATE_KEY
                  : strcmp(op, "set_value") == 0    ? TL_REGOP_SET_VALUE
                  : strcmp(op, "delete_value") == 0 ? TL_REGOP_DELETE_VALUE
                                                    : TL_REGOP_DELETE_KEY;
    TL_TRY(get_str(l, r, "key", 1, 0, &st_->reg_key));
    int is_val = st_->reg_op == TL_REGOP_SET_VALUE || st_->reg_op == TL_REGOP_DELETE_VALUE;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(r, "type");
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(r, "data");
    if (!is_val && (v || ty || da)) {
        size_t m = push_key(l, v ? "value" : ty ? "type" : "data");
        st = perr(l, "not allowed with op \"%s\"", op);
        l->path[m] = 0;
        goto cleanup;
    }
    if (is_val) {
        TL_TRY(get_str(l, r, "value", 1, 0, &st_->reg_value));
        if (!v || !cJSON_IsString(v))
            goto cleanup;
    }
    if (st_->reg_op == TL_REGOP_DELETE_VALUE && (ty || da)) {
        size_t m = push_key(l, ty ? "type" : "data");
        st = perr(l, "not allowed with op \"%s\"", op);
        l->path[m] = 0;
        goto cleanup;
    }
    if (st_->reg_op == TL_REGOP_SET_VALUE) {
        TL_TRY(get_str(l, r, "type", 0, 0, &st_->reg_type));
        if (!st_->reg_type)
            TL_TRY_ALLOC(st_->reg_type = tl_strdup("REG_SZ"));
        TL_TRY(check_enum(l, "type", st_->reg_type, reg_types, "a registry type (REG_SZ, ...)"));
        size_t m = push_key(l, "data");
        const char *t = st_->reg_type;
        if (!da) {
            if (strcmp(t, "REG_NONE") != 0) {
                st = perr(l, "missing required key", NULL);
                goto cleanup;
            }
        } else if (strcmp(t, "REG_DWORD") == 0 || strcmp(t, "REG_QWORD") == 0) {
            double x = cJSON_IsNumber(da) ? da->valuedouble : -1;
            double lim = strcmp(t, "REG_DWORD") == 0 ? 4294967295.0 : 9007199254740992.0;
            if (!cJSON_IsNumber(da) || x < 0 || x > lim || floor(x) != x) {
                st = perr(l, "expected an unsigned integer for %s", t);
                goto cleanup;
            }
            char num[32];
            snprintf(num, sizeof num, "%.0f", x);
            TL_TRY_ALLOC(st_->reg_data = tl_strdup(num));
        } else if (strcmp(t, "REG_MULTI_SZ") == 0) {
            if (!cJSON_IsArray(da)) {
                st = perr(l, "expected an array of strings for REG_MULTI_SZ", NULL);
                goto cleanup;
            }
            tl_buf b = TL_BUF_INIT;
            for (const cJSON *e = da->child; e; e = e->next) {
                if (!cJSON_IsString(e) || strchr(e->valuestring, '\n')) {
                    tl_buf_free(&b);
                    st = perr(l, "expected an array of strings for REG_MULTI_SZ", NULL);
                    goto cleanup;
                }
                if (e != da->child)
                    tl_buf_putc(&b, '\n');
                tl_buf_puts(&b, e->valuestring);
            }
            TL_TRY_ALLOC(st_->reg_data = tl_buf_take(&b));
        } else if (strcmp(t, "REG_BINARY") == 0 || strcmp(t, "REG_NONE") == 0) {
            if (!cJSON_IsString(da) || !is_hex_blob(da->valuestring)) {
                st = perr(l, "expected a hex string (\"01 02 ff\") for %s", t);
                goto cleanup;
            }
            TL_TRY_ALLOC(st_->reg_data = tl_strdup(da->valuestring));
        } else {
            if (!cJSON_IsString(da)) {
                st = perr(l, "expected a string for %s", t);
                goto cleanup;
            }
            TL_TRY_ALLOC(st_->reg_data = tl_strdup(da->valuestring));
        }
        l->path[m] = 0;
    }
    st = TL_OK;
    l->path[n] = 0;
cleanup:
    (void)s;
    tl_free(op);
    return st;
}

static tl_status load_file(ld *l, tl_step *st_, const cJSON *f)
{
    static const char *const keys[] = {"op", "path", "content", "encoding", NULL};
    static const char *const ops[] = {"write", "delete", NULL};
    static const char *const encs[] = {"utf-8", "utf-8-bom", "utf-16le-bom", NULL};
    tl_status st;
    char *op = NULL, *enc = NULL;
    size_t n = push_key(l, "file");
    TL_TRY(check_keys(l, f, keys));
    TL_TRY(get_str(l, f, "op", 1, 0, &op));
    TL_TRY(check_enum(l, "op", op, ops, "\"write\" or \"delete\""));
    st_->file_delete = strcmp(op, "delete") == 0;
    TL_TRY(get_str(l, f, "path", 1, 0, &st_->file_path));
    const char *p = st_->file_path;
    if (!(((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':' && p[2] == '\\' && p[3])) {
        size_t m = push_key(l, "path");
        st = perr(l, "expected an absolute Windows path (C:\\...)", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    TL_TRY(get_str(l, f, "content", 0, 0, &st_->file_content));
    TL_TRY(get_str(l, f, "encoding", 0, 0, &enc));
    TL_TRY(check_enum(l, "encoding", enc, encs, "\"utf-8\", \"utf-8-bom\" or \"utf-16le-bom\""));
    if (st_->file_delete && (st_->file_content || enc)) {
        size_t m = push_key(l, st_->file_content ? "content" : "encoding");
        st = perr(l, "not allowed with op \"delete\"", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    if (!st_->file_delete && !st_->file_content) {
        size_t m = push_key(l, "content");
        st = perr(l, "missing required key", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    st_->file_enc = !enc                               ? TL_ENC_UTF8
                    : strcmp(enc, "utf-8-bom") == 0    ? TL_ENC_UTF8_BOM
                    : strcmp(enc, "utf-16le-bom") == 0 ? TL_ENC_UTF16LE_BOM
                                                       : TL_ENC_UTF8;
    st = TL_OK;
    l->path[n] = 0;
cleanup:
    tl_free(op);
    tl_free(enc);
    return st;
}

static tl_status load_step(ld *l, tl_scenario *s, tl_step *t, const cJSON *j)
{
    static const char *const keys[] = {"at",      "user",    "elevated", "parent",
                                       "wow64",   "image",   "command",  "registry",
                                       "file",    "noise",   "logon",    "trigger",
                                       "restart", "reboot",  "comment",  NULL};
    tl_status st;
    double at = 0;
    TL_TRY(check_keys(l, j, keys));
    TL_TRY(get_num(l, j, "at", 1, &at, NULL));
    if (at < 0 || at > MAX_AT_SECONDS) {
        size_t m = push_key(l, "at");
        st = perr(l, "impossible time offset (must be 0 .. 315360000 seconds)", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    t->time = s->start + (tl_time)llround(at * 1e6);
    int nkinds = 0;
    const char *kinds[] = {"command", "registry", "file",    "noise",
                           "logon",   "trigger",  "restart", "reboot"};
    for (int k = 0; k < 8; k++)
        if (cJSON_GetObjectItemCaseSensitive(j, kinds[k])) {
            nkinds++;
            t->kind = (tl_step_kind)k;
        }
    if (nkinds != 1) {
        st = perr(l,
                  "a step needs exactly one of \"command\", \"registry\", \"file\", \"noise\", "
                  "\"logon\", \"trigger\", \"restart\", \"reboot\"",
                  NULL);
        goto cleanup;
    }
    char *comment = NULL;
    TL_TRY(get_str(l, j, "comment", 0, 0, &comment));
    tl_free(comment);
    TL_TRY(get_str(l, j, "user", 0, 0, &t->user));
    if (t->user && !known_user(s, t->user)) {
        size_t m = push_key(l, "user");
        st = perr(l, "unknown user \"%s\" (not SYSTEM and not in $.endpoint.users)", t->user);
        l->path[m] = 0;
        goto cleanup;
    }
    t->elevated = -1;
    TL_TRY(get_bool(l, j, "elevated", &t->elevated));
    TL_TRY(get_str(l, j, "parent", 0, 0, &t->parent));
    TL_TRY(get_bool(l, j, "wow64", &t->wow64));
    if (t->kind != TL_STEP_COMMAND && t->wow64) {
        size_t m = push_key(l, "wow64");
        st = perr(l, "only allowed on command steps", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    TL_TRY(get_str(l, j, "image", 0, 0, &t->image));
    if (t->kind != TL_STEP_COMMAND && t->parent) {
        size_t m = push_key(l, "parent");
        st = perr(l, "only allowed on command steps", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    if ((t->kind == TL_STEP_NOISE || t->kind == TL_STEP_LOGON || t->kind == TL_STEP_TRIGGER ||
         t->kind == TL_STEP_RESTART || t->kind == TL_STEP_REBOOT) &&
        t->image) {
        size_t m = push_key(l, "image");
        st = perr(l, "only allowed on command, registry and file steps", NULL);
        l->path[m] = 0;
        goto cleanup;
    }
    if (t->kind == TL_STEP_COMMAND && t->image) {
        /* CreateProcess(image, command) from a program: a shell types lines, it does not
         * pass an application name (evasion.md §3.3) */
        static const char *const shells[] = {"cmd.exe", "powershell.exe", "pwsh.exe", NULL};
        const char *pb = t->parent ? strrchr(t->parent, '\\') : NULL;
        pb = pb ? pb + 1 : t->parent ? t->parent : "cmd.exe";
        int shell = 0;
        for (size_t k = 0; shells[k]; k++)
            shell |= !tl_strcasecmp(pb, shells[k]);
        const char *im = t->image;
        int abs = ((im[0] | 0x20) >= 'a' && (im[0] | 0x20) <= 'z') && im[1] == ':' && im[2] == '\\';
        if (shell || !abs) {
            size_t m = push_key(l, "image");
            st = perr(l,
                      shell ? "on a command step: the application name a program passes to "
                              "CreateProcess, so \"parent\" must be a program, not a shell (%s)"
                            : "on a command step: an absolute path (X:\\...), not \"%s\"",
                      shell ? pb : im);
            l->path[m] = 0;
            goto cleanup;
        }
    }
    switch (t->kind) {
    case TL_STEP_COMMAND:
        TL_TRY(get_str(l, j, "command", 1, 0, &t->command));
        if (!t->user && s->nusers == 0) {
            st = perr(l, "a command step needs \"user\" when $.endpoint.users is empty", NULL);
            goto cleanup;
        }
        break;
    case TL_STEP_REGISTRY:
        TL_TRY(load_registry(l, s, t, cJSON_GetObjectItemCaseSensitive(j, "registry")));
        break;
    case TL_STEP_FILE:
        TL_TRY(load_file(l, t, cJSON_GetObjectItemCaseSensitive(j, "file")));
        break;
    case TL_STEP_TRIGGER:
        TL_TRY(get_str(l, j, "trigger", 1, 0, &t->trigger_task));
        if (t->user || t->elevated != -1) {
            st = perr(l, "a trigger step takes no \"user\" or \"elevated\"", NULL);
            goto cleanup;
        }
        break;
    case TL_STEP_RESTART:
    case TL_STEP_REBOOT: {
        const char *k = t->kind == TL_STEP_RESTART ? "restart" : "reboot";
        if (t->user || t->elevated != -1) {
            st = perr(l, "a %s step takes no \"user\" or \"elevated\"", k);
            goto cleanup;
        }
        size_t m = push_key(l, k);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
        if (t->kind == TL_STEP_RESTART &&
            !(cJSON_IsString(v) && !tl_strcasecmp(v->valuestring, "Schedule"))) {
            st = perr(l, "the service that restarts must be \"Schedule\" (the only one simulated)",
                      NULL);
            goto cleanup;
        }
        if (t->kind == TL_STEP_REBOOT && !cJSON_IsTrue(v)) {
            st = perr(l, "must be true", NULL);
            goto cleanup;
        }
        l->path[m] = 0;
        break;
    }
    case TL_STEP_LOGON: {
        TL_TRY(get_str(l, j, "logon", 1, 0, &t->logon_user));
        size_t m = push_key(l, "logon");
        if (!tl_strcasecmp(t->logon_user, "SYSTEM") || !known_user(s, t->logon_user)) {
            st = perr(l, "unknown user \"%s\" (a user of $.endpoint.users logs on)",
                      t->logon_user);
            goto cleanup;
        }
        l->path[m] = 0;
        if (t->user || t->elevated != -1) {
            st = perr(l, "a logon step takes no \"user\" or \"elevated\"", NULL);
            goto cleanup;
        }
        break;
    }
    case TL_STEP_NOISE: {
        static const char *const nkeys[] = {"events", "duration", NULL};
        const cJSON *nz = cJSON_GetObjectItemCaseSensitive(j, "noise");
        size_t m = push_key(l, "noise");
        double ev = 0, du = 0;
        TL_TRY(check_keys(l, nz, nkeys));
        TL_TRY(get_num(l, nz, "events", 1, &ev, NULL));
        if (ev < 0 || ev + l->noise_total > TL_LIMIT_NOISE_EVENTS || floor(ev) != ev) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "expected a whole number of events; all noise steps together may have at "
                     "most %d (tasklab's limit, TL_LIMIT_NOISE_EVENTS)",
                     TL_LIMIT_NOISE_EVENTS);
            size_t q = push_key(l, "events");
            st = perr(l, "%s", msg);
            l->path[q] = 0;
            goto cleanup;
        }
        l->noise_total += ev;
        TL_TRY(get_num(l, nz, "duration", 1, &du, NULL));
        if (du < 0 || du > MAX_AT_SECONDS) {
            size_t q = push_key(l, "duration");
            st = perr(l, "impossible duration (must be 0 .. 315360000 seconds)", NULL);
            l->path[q] = 0;
            goto cleanup;
        }
        t->noise_events = (long)ev;
        t->noise_duration = du;
        l->path[m] = 0;
        break;
    }
    }
    st = TL_OK;
cleanup:
    return st;
}

static void free_step(tl_step *t)
{
    tl_free(t->user);
    tl_free(t->parent);
    tl_free(t->image);
    tl_free(t->logon_user);
    tl_free(t->trigger_task);
    tl_free(t->command);
    tl_free(t->reg_key);
    tl_free(t->reg_value);
    tl_free(t->reg_type);
    tl_free(t->reg_data);
    tl_free(t->file_path);
    tl_free(t->file_content);
}

void tl_scenario_free(tl_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsteps; i++)
        free_step(&s->steps[i]);
    tl_free(s->steps);
    for (size_t i = 0; i < s->nusers; i++)
        tl_free(s->users[i].name);
    tl_free(s->users);
    char **strs[] = {&s->path,          &s->dir,       &s->name,       &s->title,
                     &s->description,   &s->technique, &s->actor,      &s->kind,
                     &s->hostname,      &s->domain,    &s->os_build,   &s->arch,
                     &s->sysmon_config, &s->agent_id,  &s->agent_name, &s->expect_json,
                     &s->recording,     &s->windir};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        tl_free(*strs[i]);
    tl_free(s);
}

static int cmp_step(const void *a, const void *b)
{
    const tl_step *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->file_index < y->file_index ? -1 : x->file_index > y->file_index;
}

/* 1-based line of offset off in text. */
static int line_of(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && text[i]; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

/* "\u0000" escapes: cJSON decodes them to a NUL byte that silently ends the C string
 * ("C:\\x.txt\u0000.bat" would write C:\x.txt). To report the JSON path of the string,
 * a copy of the text gets the noncharacter U+FDD0 (same escape length) in their place,
 * and scan_tree finds it after parsing. *nul_off is the offset of the first one (0: none);
 * *marked stays NULL when the text already holds U+FDD0 (then only the line is named). */
#define NUL_MARK "\xEF\xB7\x90" /* U+FDD0 in UTF-8 */
static tl_status mark_nul_escapes(const char *json, size_t len, char **marked, size_t *nul_off,
                                  int *nul_marked)
{
    int in_str = 0;
    *nul_off = 0;
    *nul_marked = 0;
    for (size_t i = 0; i < len; i++) {
        if (!in_str) {
            in_str = json[i] == '"';
            continue;
        }
        if (json[i] == '"') {
            in_str = 0;
        } else if (json[i] == '\\' && i + 1 < len) {
            if (json[i + 1] == 'u' && i + 5 < len && memcmp(json + i + 2, "0000", 4) == 0) {
                if (!*nul_off)
                    *nul_off = i ? i : 1;
                if (!*marked) {
                    for (size_t k = 0; k + 6 <= len; k++)
                        if (!memcmp(json + k, NUL_MARK, 3) ||
                            !tl_strncasecmp(json + k, "\\ufdd0", 6))
                            return TL_OK; /* cannot mark: line only */
                    *marked = tl_malloc(len + 1);
                    if (!*marked)
                        return TL_E_NOMEM;
                    memcpy(*marked, json, len);
                    (*marked)[len] = 0;
                }
                memcpy(*marked + i + 2, "FDD0", 4);
                *nul_marked = 1;
            }
            i++;
        }
    }
    return TL_OK;
}

/* Depth bound (TL_LIMIT_JSON_DEPTH) and the NUL marks, with the JSON path. */
static tl_status scan_tree(ld *l, const cJSON *n, int depth)
{
    if (depth > TL_LIMIT_JSON_DEPTH) {
        char m[80];
        snprintf(m, sizeof m, "nested deeper than %d levels (tasklab's limit)",
                 TL_LIMIT_JSON_DEPTH);
        return perr(l, "%s", m);
    }
    if (n->string && strstr(n->string, NUL_MARK))
        return perr(l, "\\u0000 (a NUL character) inside a key", NULL);
    if (cJSON_IsString(n) && n->valuestring && strstr(n->valuestring, NUL_MARK))
        return perr(l, "\\u0000 (a NUL character) inside a string: Windows strings end at NUL",
                    NULL);
    size_t i = 0;
    for (const cJSON *c = n->child; c; c = c->next, i++) {
        size_t m = cJSON_IsObject(n) ? push_key(l, c->string ? c->string : "") : push_idx(l, i);
        tl_status st = scan_tree(l, c, depth + 1);
        l->path[m] = 0;
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}

static tl_status build(ld *l, tl_scenario *s, const cJSON *root)
{
    static const char *const keys[] = {"name", "title",      "description", "technique", "actor",
                                       "kind", "references", "endpoint",    "agent",     "start",
                                       "seed", "steps",      "expect",      "comment",   "limits",
                                       "recording", NULL};
    static const char *const kinds[] = {"attack", "benign", NULL};
    tl_status st;
    l->path[0] = '$';
    l->path[1] = 0;
    TL_TRY(check_keys(l, root, keys));
    TL_TRY(get_str(l, root, "name", 1, 0, &s->name));
    if (!valid_scenario_name(s->name)) {
        /* the name becomes host paths (OUT/<name>/, golden/<profile>/<name>.*) */
        size_t m = push_key(l, "name");
        st = perr(l, "invalid scenario name \"%s\": must match [A-Za-z0-9][A-Za-z0-9._-]*",
                  s->name);
        l->path[m] = 0;
        goto cleanup;
    }
    {
        /* name must equal the basename without .json */
        const char *b = strrchr(s->path, '/');
        b = b ? b + 1 : s->path;
        size_t bl = strlen(b);
        if (bl > 5 && strcmp(b + bl - 5, ".json") == 0)
            bl -= 5;
        if (strlen(s->name) != bl || strncmp(s->name, b, bl) != 0) {
            size_t m = push_key(l, "name");
            st = perr(l, "\"%s\" must equal the file name without .json", s->name);
            l->path[m] = 0;
            goto cleanup;
        }
    }
    TL_TRY(get_str(l, root, "title", 1, 0, &s->title));
    TL_TRY(get_str(l, root, "description", 0, 0, &s->description));
    TL_TRY(get_str(l, root, "technique", 0, 0, &s->technique));
    TL_TRY(get_str(l, root, "actor", 0, 0, &s->actor));
    TL_TRY(get_str(l, root, "kind", 1, 0, &s->kind));
    TL_TRY(check_enum(l, "kind", s->kind, kinds, "\"attack\" or \"benign\""));
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(root, "references");
    if (refs) {
        size_t m = push_key(l, "references");
        if (!cJSON_IsArray(refs)) {
            st = perr(l, "expected an array of strings", NULL);
            goto cleanup;
        }
        size_t i = 0;
        for (const cJSON *e = refs->child; e; e = e->next, i++)
            if (!cJSON_IsString(e)) {
                push_idx(l, i);
                st = perr(l, "expected a string", NULL);
                goto cleanup;
            }
        l->path[m] = 0;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "recording")) {
        /* a recording scenario: the recorded events stand for endpoint and steps */
        static const char *const excl[] = {"endpoint", "start", "seed", "steps", "limits", NULL};
        for (size_t k = 0; excl[k]; k++)
            if (cJSON_GetObjectItemCaseSensitive(root, excl[k])) {
                push_key(l, excl[k]);
                st = perr(l, "not allowed with \"recording\" (the recording is the endpoint and "
                             "its steps)",
                          NULL);
                goto cleanup;
            }
        TL_TRY(get_str(l, root, "recording", 1, 0, &s->recording));
        if (!valid_recording_name(s->recording)) {
            push_key(l, "recording");
            st = perr(l,
                      "invalid recording name \"%s\": a relative path of [A-Za-z0-9 ._@-] "
                      "components ending in .evtx, .xml or .json (no \"..\", no absolute path)",
                      s->recording);
            goto cleanup;
        }
        TL_TRY_ALLOC(s->hostname = tl_strdup("evtx-lab"));
    } else {
        const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
        if (!ep) {
            push_key(l, "endpoint");
            st = perr(l, "missing required key", NULL);
            goto cleanup;
        }
        TL_TRY(load_endpoint(l, s, ep));
    }
    const cJSON *ag = cJSON_GetObjectItemCaseSensitive(root, "agent");
    if (ag) {
        static const char *const akeys[] = {"id", "name", NULL};
        size_t m = push_key(l, "agent");
        TL_TRY(check_keys(l, ag, akeys));
        TL_TRY(get_str(l, ag, "id", 0, 0, &s->agent_id));
        TL_TRY(get_str(l, ag, "name", 0, 0, &s->agent_name));
        if (s->agent_id) {
            int ok = s->agent_id[0] != 0 && strlen(s->agent_id) <= 8;
            for (const char *p = s->agent_id; *p; p++)
                if (*p < '0' || *p > '9')
                    ok = 0;
            if (!ok) {
                push_key(l, "id");
                st = perr(l, "expected a numeric agent id such as \"001\"", NULL);
                goto cleanup;
            }
        }
        l->path[m] = 0;
    }
    if (!s->agent_id)
        TL_TRY_ALLOC(s->agent_id = tl_strdup("001"));
    if (!s->agent_name)
        TL_TRY_ALLOC(s->agent_name = tl_strdup(s->hostname));
    if (!s->recording) {
        char *start = NULL;
        TL_TRY(get_str(l, root, "start", 1, 0, &start));
        tl_status ps = tl_time_parse_iso(start, &s->start);
        int y = 0, mo, da, h, mi, se, us;
        if (ps == TL_OK)
            tl_time_civil(s->start, &y, &mo, &da, &h, &mi, &se, &us);
        if (ps != TL_OK || y < 1990 || y > 2100) {
            push_key(l, "start");
            st = perr(l, "expected an ISO 8601 UTC time between 1990 and 2100, got \"%s\"", start);
            tl_free(start);
            goto cleanup;
        }
        tl_free(start);
    }
    {
        double seed = 0;
        int present = 0;
        TL_TRY(get_num(l, root, "seed", 0, &seed, &present));
        if (present && (seed < 0 || seed > 9007199254740992.0 || floor(seed) != seed)) {
            push_key(l, "seed");
            st = perr(l, "expected a non-negative integer", NULL);
            goto cleanup;
        }
        s->seed = (uint64_t)seed;
    }
    s->limit_events = TL_LIMIT_DEFAULT_EVENTS;
    s->limit_commands = TL_LIMIT_DEFAULT_COMMANDS;
    if (cJSON_GetObjectItemCaseSensitive(root, "limits")) {
        static const char *const lkeys[] = {"events", "commands", NULL};
        static const struct {
            const char *key;
            double max;
        } lim[] = {{"events", TL_LIMIT_MAX_EVENTS}, {"commands", TL_LIMIT_MAX_COMMANDS}};
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(root, "limits");
        size_t m = push_key(l, "limits");
        TL_TRY(check_keys(l, lo, lkeys));
        for (size_t k = 0; k < 2; k++) {
            double v = 0;
            int present = 0;
            TL_TRY(get_num(l, lo, lim[k].key, 0, &v, &present));
            if (!present)
                continue;
            if (v < 1 || v > lim[k].max || floor(v) != v) {
                char msg[120];
                snprintf(msg, sizeof msg, "expected a whole number from 1 to %.0f", lim[k].max);
                push_key(l, lim[k].key);
                st = perr(l, "%s", msg);
                goto cleanup;
            }
            if (k == 0)
                s->limit_events = (long)v;
            else
                s->limit_commands = (long)v;
        }
        l->path[m] = 0;
    }
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    if (!s->recording) {
        size_t m = push_key(l, "steps");
        if (!steps) {
            st = perr(l, "missing required key", NULL);
            goto cleanup;
        }
        if (!cJSON_IsArray(steps)) {
            st = perr(l, "expected an array", NULL);
            goto cleanup;
        }
        size_t cnt = (size_t)cJSON_GetArraySize(steps);
        if (cnt)
            TL_TRY_ALLOC(s->steps = tl_calloc(cnt, sizeof *s->steps));
        size_t i = 0;
        for (const cJSON *e = steps->child; e; e = e->next, i++) {
            size_t k = push_idx(l, i);
            s->steps[i].file_index = i;
            s->nsteps = i + 1;
            TL_TRY(load_step(l, s, &s->steps[i], e));
            l->path[k] = 0;
        }
        l->path[m] = 0;
        if (s->nsteps > 1)
            qsort(s->steps, s->nsteps, sizeof *s->steps, cmp_step);
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expect");
    if (ex) {
        if (!cJSON_IsArray(ex)) {
            push_key(l, "expect");
            st = perr(l, "expected an array", NULL);
            goto cleanup;
        }
        tl_sim_json_hooks();
        TL_TRY_ALLOC(s->expect_json = cJSON_PrintUnformatted(ex));
    } else {
        TL_TRY_ALLOC(s->expect_json = tl_strdup("[]"));
    }
    if (!s->title)
        TL_TRY_ALLOC(s->title = tl_strdup(""));
    st = TL_OK;
cleanup:
    return st;
}

tl_status tl_scenario_load_mem(const char *path, const char *json, size_t len, tl_scenario **out,
                               tl_diag *d)
{
    tl_status st;
    cJSON *root = NULL;
    char *marked = NULL;
    tl_scenario *s = NULL;
    ld l = {path, d, {0}, 0};
    tl_sim_json_hooks();
    TL_TRY_ALLOC(s = tl_calloc(1, sizeof *s));
    TL_TRY_ALLOC(s->path = tl_strdup(path));
    {
        const char *sl = strrchr(path, '/');
        TL_TRY_ALLOC(s->dir = sl ? tl_strndup(path, (size_t)(sl - path) + (sl == path))
                                 : tl_strdup("."));
    }
    if (memchr(json, 0, len)) {
        tl_diag_set(d, path, 0, "NUL byte in scenario file");
        TL_FAIL(TL_E_PARSE);
    }
    const char *endp = NULL;
    size_t nul_off = 0;
    int nul_marked = 0;
    TL_TRY(mark_nul_escapes(json, len, &marked, &nul_off, &nul_marked));
    if (nul_off && !nul_marked) {
        tl_diag_set(d, path, line_of(json, nul_off),
                    "\\u0000 (a NUL character) inside a string: Windows strings end at NUL");
        TL_FAIL(TL_E_PARSE);
    }
    const char *text = marked ? marked : json;
    json_oom = 0;
    root = cJSON_ParseWithLengthOpts(text, len, &endp, 0);
    if (!root && json_oom)
        TL_FAIL(TL_E_NOMEM);
    if (!root) {
        /* cJSON returns NULL for OOM and syntax errors alike; endp points at the error. */
        size_t off = endp && endp >= text ? (size_t)(endp - text) : 0;
        tl_diag_set(d, path, line_of(json, off), "invalid JSON near offset %zu", off);
        TL_FAIL(TL_E_PARSE);
    }
    {
        size_t off = (size_t)(endp - text);
        while (off < len && (json[off] == ' ' || json[off] == '\t' || json[off] == '\n' ||
                             json[off] == '\r'))
            off++;
        if (off < len) {
            tl_diag_set(d, path, line_of(json, off),
                        "$: trailing content after the scenario's JSON object (offset %zu)", off);
            TL_FAIL(TL_E_PARSE);
        }
    }
    l.path[0] = '$';
    l.path[1] = 0;
    TL_TRY(scan_tree(&l, root, 0));
    l.path[0] = 0;
    TL_TRY(build(&l, s, root));
    *out = s;
    s = NULL;
cleanup:
    cJSON_Delete(root);
    tl_free(marked);
    tl_scenario_free(s);
    return st;
}

tl_status tl_scenario_load(const char *path, tl_scenario **out, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    /* a scenario path is always one the user named (an operand, or a regular
     * file of a folder they named): a pipe or FIFO is read, bounded */
    tl_status st = tl_file_read_user(path, TL_FILE_MAX, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_scenario_load_mem(path, data, len, out, d);
    tl_free(data);
    return st;
}

const char *tl_scenario_name(const tl_scenario *s) { return s->name; }
const char *tl_scenario_title(const tl_scenario *s) { return s->title; }
const char *tl_scenario_description(const tl_scenario *s)
{
    return s->description ? s->description : "";
}
const char *tl_scenario_kind(const tl_scenario *s) { return s->kind; }
const char *tl_scenario_technique(const tl_scenario *s) { return s->technique ? s->technique : ""; }
const char *tl_scenario_actor(const tl_scenario *s) { return s->actor ? s->actor : ""; }
const char *tl_scenario_hostname(const tl_scenario *s) { return s->hostname; }
const char *tl_scenario_agent_id(const tl_scenario *s) { return s->agent_id; }
const char *tl_scenario_agent_name(const tl_scenario *s) { return s->agent_name; }
const char *tl_scenario_expect_json(const tl_scenario *s) { return s->expect_json; }
const char *tl_scenario_path(const tl_scenario *s) { return s->path; }
tl_time tl_scenario_start(const tl_scenario *s) { return s->start; }
uint64_t tl_scenario_seed(const tl_scenario *s) { return s->seed; }
const char *tl_scenario_sysmon_config(const tl_scenario *s)
{
    return s->sysmon_config ? s->sysmon_config : "default";
}
size_t tl_scenario_step_count(const tl_scenario *s) { return s->nsteps; }
size_t tl_scenario_noise_events(const tl_scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nsteps; i++)
        n += s->steps[i].noise_events > 0 ? (size_t)s->steps[i].noise_events : 0;
    return n;
}
const char *tl_scenario_recording(const tl_scenario *s) { return s->recording; }
const char *tl_scenario_dir(const tl_scenario *s) { return s->dir; }
