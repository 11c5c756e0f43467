/* SPDX-License-Identifier: MIT */
/*
 * tl_ar_run: one run of analyze-scheduled-task, following Wazuh's AR library
 * (src/active-response/active_responses.c): log "Starting" and the input line
 * to active-responses.log, validate the message, optionally exchange
 * check_keys with execd, act on "add", log "Ended".
 *
 * Invariants:
 *  - the task path comes only from parameters.alert.data.win.eventdata.targetObject;
 *  - nothing read is evaluated and no process is started;
 *  - scheduled-tasks.log receives exactly one complete line or nothing;
 *  - every failure leaves one "ERROR: …" line in active-responses.log and a
 *    non-zero exit status (1 bad input / task file, 2 output not writable).
 * The active-responses.log prefix is `YYYY/MM/DD HH:MM:SS <program>: ` with the
 * virtual time given by the caller (main.c takes it from TASKLAB_TIME).
 */
#include "tasklab/ar.h"

#include "ar_fs_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

typedef struct run {
    const tl_ar_env *env;
    const char *arlog;   /* active-response\active-responses.log below install_dir */
    const char *tasklog; /* logs\scheduled-tasks.log below install_dir */
    int log_failed;
} run;

/* cJSON reports an allocation failure as a parse failure; remember it. */
static _Thread_local int g_json_oom;
static void *hook_malloc(size_t n)
{
    void *p = tl_malloc(n);
    if (!p)
        g_json_oom = 1;
    return p;
}
static void hook_free(void *p) { tl_free(p); }

static void ar_log(run *r, const char *msg)
{
    char ts[32];
    tl_time_fmt_arlog(r->env->now, ts);
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s %s: ", ts, r->env->program_name);
    /* One log line per message: line breaks inside become spaces. */
    for (const char *p = msg; *p; p++)
        tl_buf_putc(&b, (*p == '\n' || *p == '\r') ? ' ' : *p);
    tl_buf_puts(&b, r->env->crlf ? "\r\n" : "\n");
    if (tl_buf_status(&b) != TL_OK ||
        tl_arfs_env_append(r->env, r->arlog, b.data, b.len, NULL) != TL_OK)
        r->log_failed = 1;
    tl_buf_free(&b);
}

static void ar_logf(run *r, const char *prefix, const tl_diag *d)
{
    char msg[1200];
    tl_diag_format(d, msg, sizeof msg);
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, prefix);
    tl_buf_puts(&b, msg);
    ar_log(r, tl_buf_status(&b) == TL_OK ? b.data : "ERROR: out of memory");
    tl_buf_free(&b);
}

static const cJSON *path_get(const cJSON *o, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n && o; i++)
        o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, keys[i]) : NULL;
    return o;
}

static const char *path_str(const cJSON *o, const char *const *keys, size_t n)
{
    const cJSON *v = path_get(o, keys, n);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* check_keys exchange; returns 1 continue, 0 abort, -1 error (logged). */
static int exchange_keys(run *r, const tl_ar_io *io, const char *key)
{
    tl_buf b = TL_BUF_INIT;
    char *reply = NULL;
    cJSON *rj = NULL;
    int res = -1;
    const char *name = strrchr(r->env->program_name, '/');
    name = name ? name + 1 : r->env->program_name;
    tl_buf_puts(&b, "{\"version\":1,\"origin\":{\"name\":");
    tl_buf_json_str(&b, name);
    tl_buf_puts(&b, ",\"module\":\"active-response\"},\"command\":\"check_keys\",\"parameters\":{"
                    "\"keys\":[");
    tl_buf_json_str(&b, key);
    tl_buf_puts(&b, "]}}");
    if (tl_buf_status(&b) != TL_OK || io->write_line(io->ctx, b.data) != TL_OK) {
        ar_log(r, "ERROR: cannot send check_keys to execd");
        goto done;
    }
    tl_status st = io->read_line(io->ctx, 2 * TL_AR_MAX_INPUT, &reply);
    if (st != TL_OK || !reply) {
        ar_log(r, "ERROR: no reply from execd to check_keys");
        goto done;
    }
    rj = cJSON_Parse(reply);
    const char *const k_cmd[] = {"command"};
    const char *cmd = path_str(rj, k_cmd, 1);
    if (!cmd) {
        ar_log(r, "ERROR: invalid reply from execd to check_keys");
        goto done;
    }
    if (strcmp(cmd, "continue") == 0)
        res = 1;
    else if (strcmp(cmd, "abort") == 0)
        res = 0;
    else
        ar_log(r, "ERROR: invalid value of 'command' in the reply to check_keys");
done:
    cJSON_Delete(rj);
    tl_free(reply);
    tl_buf_free(&b);
    return res;
}

int tl_ar_run(const tl_ar_env *env, const tl_ar_io *io)
{
    run r = {env, NULL, NULL, 0};
    char *line = NULL, *task_path = NULL, *file_win = NULL;
    char *data = NULL, *rec = NULL;
    cJSON *msg = NULL;
    tl_diag d;
    int rc = 1;
    size_t len = 0;

    cJSON_Hooks hooks = {hook_malloc, hook_free};
    cJSON_InitHooks(&hooks);
    tl_diag_clear(&d);
    r.arlog = "active-response\\active-responses.log";
    r.tasklog = "logs\\scheduled-tasks.log";
    ar_log(&r, "Starting");
    tl_status st = io->read_line(io->ctx, TL_AR_MAX_INPUT, &line);
    if (st == TL_OK && !line)
        st = TL_E_NOMEM;
    if (st == TL_E_NOTFOUND) {
        ar_log(&r, "ERROR: Cannot read 'input' from stdin (empty input)");
        goto done;
    }
    if (st == TL_E_LIMIT) {
        char m[128];
        snprintf(m, sizeof m, "ERROR: input line longer than %zu bytes, ignored",
                 (size_t)TL_AR_MAX_INPUT);
        ar_log(&r, m);
        goto done;
    }
    if (st != TL_OK) {
        ar_log(&r, "ERROR: Cannot read 'input' from stdin");
        goto done;
    }
    ar_log(&r, line);

    const char *end = NULL;
    g_json_oom = 0;
    msg = cJSON_ParseWithOpts(line, &end, 1);
    if (!msg && g_json_oom) {
        ar_log(&r, "ERROR: out of memory");
        goto done;
    }
    if (!msg || !cJSON_IsObject(msg)) {
        char m[160];
        if (!msg)
            snprintf(m, sizeof m, "ERROR: Invalid input format: not JSON (near byte %zu)",
                     end ? (size_t)(end - line) : (size_t)0);
        else
            snprintf(m, sizeof m, "ERROR: Invalid input format: not a JSON object");
        ar_log(&r, m);
        goto done;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(msg, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        ar_log(&r, "ERROR: Invalid input format: 'version' must be 1");
        goto done;
    }
    const char *const k_cmd[] = {"command"};
    const char *cmd = path_str(msg, k_cmd, 1);
    if (!cmd) {
        ar_log(&r, "ERROR: Invalid input format: 'command' missing");
        goto done;
    }
    if (strcmp(cmd, "delete") == 0) { /* nothing to undo */
        ar_log(&r, "Ended");
        rc = 0;
        goto done;
    }
    if (strcmp(cmd, "add") != 0) {
        ar_log(&r, "ERROR: Invalid value of 'command'");
        goto done;
    }
    const char *const k_alert[] = {"parameters", "alert"};
    const cJSON *alert = path_get(msg, k_alert, 2);
    if (!cJSON_IsObject(alert)) {
        ar_log(&r, "ERROR: Invalid input format: 'parameters.alert' missing or not an object");
        goto done;
    }
    const char *const k_tobj[] = {"data", "win", "eventdata", "targetObject"};
    const char *const k_eid[] = {"data", "win", "system", "eventID"};
    const char *const k_etype[] = {"data", "win", "eventdata", "eventType"};
    const char *const k_comp[] = {"data", "win", "system", "computer"};
    const char *const k_agent[] = {"agent", "name"};
    const char *tobj = path_str(alert, k_tobj, 4);
    if (!tobj) {
        ar_log(&r, "ERROR: alert has no string 'data.win.eventdata.targetObject'");
        goto done;
    }
    const char *etype = path_str(alert, k_etype, 4);
    if (tl_ar_task_path(tobj, path_str(alert, k_eid, 4), etype, &task_path, &d) != TL_OK) {
        ar_logf(&r, "ERROR: ", &d);
        goto done;
    }
    /* Value name that was stripped (if any), for the record. */
    const char *value_name = strrchr(tobj, '\\');
    value_name = value_name ? value_name + 1 : tobj;
    if (!tl_ar_int_is_value_event(value_name, path_str(alert, k_eid, 4), etype))
        value_name = NULL;
    /* ServerName: the endpoint's computer name (NetBIOS part of the FQDN). */
    char server[256] = "";
    const char *comp = path_str(alert, k_comp, 4);
    const char *agent = path_str(alert, k_agent, 2);
    if (comp && *comp) {
        size_t n = strcspn(comp, ".");
        if (n >= sizeof server)
            n = sizeof server - 1;
        memcpy(server, comp, n);
        server[n] = '\0';
    } else if (agent && *agent) {
        snprintf(server, sizeof server, "%s", agent);
    }
    tl_ar_task_ref ref = {task_path, server[0] ? server : NULL, etype, value_name};

    if (env->check_keys) {
        int k = exchange_keys(&r, io, task_path);
        if (k < 0)
            goto done;
        if (k == 0) {
            ar_log(&r, "Aborted");
            rc = 0;
            goto done;
        }
    }

    tl_buf fw = TL_BUF_INIT;
    tl_buf_puts(&fw, "C:\\Windows\\System32\\Tasks");
    tl_buf_puts(&fw, task_path);
    if (tl_buf_status(&fw) != TL_OK) {
        tl_buf_free(&fw);
        ar_log(&r, "ERROR: out of memory");
        goto done;
    }
    file_win = tl_buf_take(&fw);
    int kind = 0;
    st = tl_arfs_env_read(env, file_win, TL_AR_MAX_TASK_FILE, &data, &len, &kind, &d);
    if (st == TL_E_NOTFOUND) {
        tl_buf why = TL_BUF_INIT;
        tl_buf_printf(&why, "%s: %s",
                      kind == TL_ARFS_FOLDER ? "task path is a folder, not a task"
                                             : "task file not found",
                      file_win);
        rec = tl_buf_status(&why) == TL_OK ? tl_ar_error_record(&ref, why.data) : NULL;
        tl_buf_free(&why);
        if (!rec) {
            ar_log(&r, "ERROR: out of memory");
            goto done;
        }
        rc = 0;
    } else if (st != TL_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", d.msg); /* d.file is the host folder: not logged */
        tl_diag_set(&d, file_win, 0, "%s (%s)",
                    st == TL_E_LIMIT ? "task file too large" : "cannot read task file", why);
        ar_logf(&r, "ERROR: ", &d);
        goto done;
    } else {
        tl_diag_clear(&d);
        st = tl_ar_render_task(data, len, &ref, &rec, &d);
        if (st != TL_OK) {
            char m[1200];
            tl_diag_format(&d, m, sizeof m);
            tl_buf e = TL_BUF_INIT;
            tl_buf_printf(&e, "ERROR: %s: %s", file_win, m);
            ar_log(&r, tl_buf_status(&e) == TL_OK ? e.data : "ERROR: bad task file");
            tl_buf_free(&e);
            goto done;
        }
        rc = 0;
    }
    {
        tl_buf out = TL_BUF_INIT;
        tl_buf_puts(&out, rec);
        tl_buf_puts(&out, env->crlf ? "\r\n" : "\n");
        tl_diag_clear(&d);
        st = tl_buf_status(&out);
        if (st == TL_OK)
            st = tl_arfs_env_append(env, r.tasklog, out.data, out.len, &d);
        tl_buf_free(&out);
        if (st != TL_OK) {
            ar_logf(&r, "ERROR: cannot write scheduled-tasks.log: ", &d);
            rc = 2;
            goto done;
        }
    }
    ar_log(&r, "Ended");
done:
    if (r.log_failed && rc == 0)
        rc = 2;
    cJSON_Delete(msg);
    tl_free(line);
    tl_free(task_path);
    tl_free(file_win);
    tl_free(data);
    tl_free(rec);
    return rc;
}
