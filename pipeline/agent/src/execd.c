/* SPDX-License-Identifier: MIT */
/*
 * execd: runs active-response programs as the Wazuh 4.2+ agent does
 * (src/os_execd/execd.c fn ExecdRun, wazuh.md §11.2), on the virtual clock.
 *
 * For one manager message: parse it, set "command" to "add" and
 * origin.module to "wazuh-execd" in place (key order kept), append
 * parameters.program = "active-response/bin/<executable>", print it
 * unformatted and hand it to the program as one stdin line. Then read one line
 * from the program's stdout:
 *   - stdout closed first: no reply, no timeout entry;
 *   - check_keys: rkey = "<program basename>-k1-k2…"; when an entry with that
 *     rkey is pending its time is refreshed and the reply is "abort" (also
 *     with timeout 0); otherwise, when timeout > 0, a new entry keeps the
 *     message with "command":"delete" for now + timeout, and the reply is
 *     "continue". The reply is the message with "command" replaced.
 * tl_execd_tick runs the expired "delete" messages (no handshake) at their
 * expiry time. Repeated-offender timeouts are not modelled.
 *
 * Modes:
 *  - TL_AR_INPROC: tl_ar_run() with line callbacks (no process);
 *  - TL_AR_EXEC: the program (tl_proc_start: fork + execv on Linux) installed as
 *    <agent>\active-response\bin\<executable>, stdin/stdout/stderr pipes, no
 *    shell, cwd = the agent dir;
 *  - TL_AR_WINE: the same with argv {"wine", <unix path of the .exe>} and the
 *    environment of wine.md §4 (WINEDEBUG=-all, WINEARCH=win64,
 *    WINEDLLOVERRIDES="mscoree,mshtml=", no DISPLAY); a "\r" before "\n" on
 *    the program's stdout is stripped.
 * Every mode passes the virtual time as TASKLAB_TIME (ISO-8601 UTC) and the
 * host folder playing C: as TASKLAB_DRIVE_C (a Z:\ path under Wine unless that
 * folder is the prefix's own drive_c), so all three write identical logs.
 *
 * The program is installed by a hard link to exe_path, or by a copy when the
 * drive is on another file system (EXDEV): never by a symbolic link, since
 * the program finds the agent's folder from /proc/self/exe, which resolves
 * links to exe_path's own folder.
 *
 * Honest failures: a run whose program exits non-zero, dies of a signal, is
 * killed by the wall-clock watchdog (tl_execd_opts.timeout_ms, default
 * TL_EXECD_TIMEOUT_MS; it only kills, nothing of it reaches an output) or
 * writes nothing to active-responses.log is counted (tl_execd_failures) and
 * described (tl_execd_failure) for the caller's summary; in-process runs are
 * judged the same way by tl_ar_run's exit status.
 */
#include "tasklab/agent.h"
#include "tasklab/ar.h"
#include "tasklab/platform.h"
#include "tasklab/proc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXECD_PATH_MAX 4096 /* Linux's PATH_MAX (mingw's is 260) */

typedef struct pending {
    char *rkey;
    char *executable;
    char *message; /* "command":"delete" */
    tl_time added;
    int timeout;
} pending;

struct tl_execd {
    tl_ar_mode mode;
    char *exe_path;
    char *drive_c;    /* absolute host path */
    char *agent_win;  /* "C:\\Program Files (x86)\\ossec-agent" */
    char *wineprefix;
    char *drive_env;  /* TASKLAB_DRIVE_C value for the program, or NULL */
    pending *pend;
    size_t npend;
    char **installed; /* executables copied into the agent's bin folder */
    size_t ninstalled;
    int last_exit;
    int timeout_ms;   /* watchdog of one program run */
    size_t nfailed;   /* failed program runs */
    char *failure;    /* the first one, described; NULL when none */
    tl_memdrive *mem; /* inproc on a memory drive (borrowed); drive_c is NULL then */
};

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
static void hooks(void)
{
    cJSON_Hooks h = {hook_malloc, hook_free};
    cJSON_InitHooks(&h);
}

/* ---- paths ------------------------------------------------------------------ */

char *tl_execd_host_path(const tl_execd *x, const char *rel_winpath)
{
    tl_buf w = TL_BUF_INIT;
    if (((rel_winpath[0] | 0x20) >= 'a' && (rel_winpath[0] | 0x20) <= 'z') && rel_winpath[1] == ':') {
        tl_buf_puts(&w, rel_winpath);
    } else {
        tl_buf_puts(&w, x->agent_win);
        tl_buf_putc(&w, '\\');
        tl_buf_puts(&w, rel_winpath);
    }
    if (tl_buf_status(&w) != TL_OK) {
        tl_buf_free(&w);
        return NULL;
    }
    if (x->mem) {
        /* a path inside the memory drive: "Program Files (x86)/ossec-agent/…",
         * resolved (ignoring case) where it is used */
        const char *p = w.data;
        if (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':')
            p += 2;
        while (*p == '\\' || *p == '/')
            p++;
        tl_buf r = TL_BUF_INIT;
        for (; *p; p++)
            tl_buf_putc(&r, *p == '\\' ? '/' : *p);
        while (r.len && r.data[r.len - 1] == '/')
            r.data[--r.len] = 0;
        tl_buf_free(&w);
        if (tl_buf_status(&r) != TL_OK) {
            tl_buf_free(&r);
            return NULL;
        }
        char *h = tl_buf_take(&r);
        return h ? h : tl_strdup("");
    }
    char *h = tl_ar_host_path(x->drive_c, w.data);
    tl_buf_free(&w);
    return h;
}

/* Install the AR program at `to`: a hard link to `from`, or a copy when the
 * link is impossible (EXDEV: the drive is on another file system; EPERM...).
 * Never a symbolic link: the program locates the agent's folder from
 * /proc/self/exe, which would name `from`'s folder (issue 10: every AR alert
 * was lost with --out on a tmpfs). A link is never open for writing; a copy is
 * written to a temporary name and renamed, and a child forked meanwhile by
 * another worker that still holds its write descriptor makes execve fail with
 * ETXTBSY for microseconds, which tl_proc_start retries. */
static tl_status install_program(const char *from, const char *to, tl_diag *d)
{
    return tl_link_or_copy(from, to, d);
}

/* envp = environ minus the keys we set, plus `add` (NULL-terminated "K=V"). */
static char **make_env(char *const *add)
{
    static const char *const drop[] = {"DISPLAY=", "WAYLAND_DISPLAY=", "WINEDEBUG=", "WINEPREFIX=",
                                       "WINEARCH=", "WINEDLLOVERRIDES=", "TASKLAB_"};
    return tl_proc_env(drop, sizeof drop / sizeof drop[0], add);
}

/* ---- handshake ----------------------------------------------------------------- */

static char *with_command(const cJSON *msg, const char *cmd)
{
    cJSON *m = cJSON_Duplicate(msg, 1);
    if (!m)
        return NULL;
    cJSON *s = cJSON_CreateString(cmd);
    if (!s || !cJSON_ReplaceItemInObjectCaseSensitive(m, "command", s)) {
        cJSON_Delete(s);
        cJSON_Delete(m);
        return NULL;
    }
    char *out = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return out;
}

/* React to the program's first stdout line; *reply (tl_free) is NULL when
 * nothing is to be answered. */
static tl_status on_first_line(tl_execd *x, const cJSON *msg, const char *executable,
                               const char *line, int timeout, tl_time now, char **reply)
{
    tl_status st = TL_OK;
    cJSON *j = cJSON_Parse(line);
    tl_buf rkey = TL_BUF_INIT;
    *reply = NULL;
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "parameters");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(params, "keys");
    if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, "check_keys") != 0 ||
        !cJSON_IsArray(keys))
        goto cleanup; /* not a handshake: Wazuh ignores it */
    tl_buf_puts(&rkey, executable);
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (cJSON_IsString(k)) {
            tl_buf_putc(&rkey, '-');
            tl_buf_puts(&rkey, k->valuestring);
        }
    }
    TL_TRY(tl_buf_status(&rkey));
    pending *found = NULL;
    for (size_t i = 0; i < x->npend; i++)
        if (strcmp(x->pend[i].rkey, rkey.data) == 0)
            found = &x->pend[i];
    if (found) {
        found->added = now;
        *reply = with_command(msg, "abort");
        TL_TRY_ALLOC(*reply);
        goto cleanup;
    }
    if (timeout > 0) {
        pending p;
        memset(&p, 0, sizeof p);
        p.rkey = tl_buf_take(&rkey);
        p.executable = tl_strdup(executable);
        p.message = with_command(msg, "delete");
        p.added = now;
        p.timeout = timeout;
        pending *nv = tl_realloc(x->pend, (x->npend + 1) * sizeof *nv);
        if (!p.rkey || !p.executable || !p.message || !nv) {
            if (nv)
                x->pend = nv;
            tl_free(p.rkey);
            tl_free(p.executable);
            tl_free(p.message);
            TL_FAIL(TL_E_NOMEM);
        }
        x->pend = nv;
        x->pend[x->npend++] = p;
    }
    *reply = with_command(msg, "continue");
    TL_TRY_ALLOC(*reply);
cleanup:
    cJSON_Delete(j);
    tl_buf_free(&rkey);
    return st;
}

/* ---- inproc I/O ---------------------------------------------------------------- */

typedef struct inproc {
    tl_execd *x;
    const cJSON *msg; /* NULL for delete runs (no handshake) */
    const char *executable;
    const char *first; /* the message line */
    char *reply;
    int given, closed, timeout;
    tl_time now;
    tl_status st;
} inproc;

static tl_status ip_read(void *ctx, size_t limit, char **line)
{
    inproc *p = ctx;
    const char *s = NULL;
    if (!p->given) {
        p->given = 1;
        s = p->first;
    } else if (p->reply) {
        s = p->reply;
    } else {
        return TL_E_NOTFOUND;
    }
    if (strlen(s) > limit)
        return TL_E_LIMIT;
    *line = tl_strdup(s);
    if (s == p->reply) {
        tl_free(p->reply);
        p->reply = NULL;
        p->closed = 1;
    }
    return *line ? TL_OK : TL_E_NOMEM;
}

static tl_status ip_write(void *ctx, const char *line)
{
    inproc *p = ctx;
    if (p->closed || !p->msg || p->reply)
        return TL_E_IO; /* execd reads only the first line */
    p->closed = 1;
    tl_status st = on_first_line(p->x, p->msg, p->executable, line, p->timeout, p->now, &p->reply);
    if (st != TL_OK)
        p->st = st;
    if (p->reply)
        p->closed = 0;
    return st;
}

/* ---- judging a run -------------------------------------------------------------- */

/* Size of a regular host file, -1 when absent or not a regular file. */
static long long log_size(const tl_execd *x, const char *path)
{
    if (x->mem) {
        size_t len = 0;
        return path && tl_memdrive_peek(x->mem, path, TL_WALK_FOLD, &len, NULL) ? (long long)len
                                                                                : -1;
    }
    return tl_regular_file_size(path);
}

/* The last "ERROR: ..." line appended to the log after offset `from` (the
 * last 8 KiB at most), into out; "" when none. */
static void last_error_line(const tl_execd *x, const char *path, long long from, char *out,
                            size_t n)
{
    out[0] = '\0';
    if (x->mem) {
        size_t len = 0;
        const char *data = tl_memdrive_peek(x->mem, path, TL_WALK_FOLD, &len, NULL);
        if (!data)
            return;
        if (from < 0)
            from = 0;
        if ((long long)len > from) {
            if ((long long)len - from > 8192)
                from = (long long)len - 8192;
            const char *e = NULL;
            for (const char *p = data + from; (p = strstr(p, "ERROR: ")) != NULL; p++)
                e = p;
            if (e) {
                size_t k = strcspn(e, "\r\n");
                if (k >= n)
                    k = n - 1;
                memcpy(out, e, k);
                out[k] = '\0';
            }
        }
        return;
    }
    char buf[8193];
    if (tl_read_tail(path, from, buf, sizeof buf - 1) > 0) {
        char *e = NULL;
        for (char *p = buf; (p = strstr(p, "ERROR: ")) != NULL; p++)
            e = p;
        if (e) {
            size_t k = strcspn(e, "\r\n");
            if (k >= n)
                k = n - 1;
            memcpy(out, e, k);
            out[k] = '\0';
        }
    }
}

/* Count a failed run; describe the first one. */
static void note_failure(tl_execd *x, const char *executable, int is_add, tl_time now,
                         const char *what, const char *detail)
{
    x->nfailed++;
    if (x->failure)
        return;
    char tb[32];
    tl_time_fmt_systemtime(now, tb);
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s (%s at %s) %s%s%s", executable, is_add ? "add" : "delete", tb, what,
                  detail && *detail ? ": " : "", detail ? detail : "");
    if (tl_buf_status(&b) == TL_OK)
        x->failure = tl_buf_take(&b);
    else
        tl_buf_free(&b);
}

/* Judge a finished run: exit status `rc` (-1 killed), `killed_how` a
 * description when killed, stderr text, and whether active-responses.log
 * grew. */
static void judge_run(tl_execd *x, const char *executable, int is_add, tl_time now, int rc,
                      const char *killed_how, const char *arlog, long long before,
                      const char *stderr_text)
{
    char detail[512], what[96];
    last_error_line(x, arlog, before, detail, sizeof detail);
    if (!detail[0] && stderr_text && *stderr_text) {
        size_t k = strcspn(stderr_text, "\r\n");
        if (k >= sizeof detail)
            k = sizeof detail - 1;
        memcpy(detail, stderr_text, k);
        detail[k] = '\0';
    }
    if (rc != 0) {
        if (killed_how)
            snprintf(what, sizeof what, "%s", killed_how);
        else
            snprintf(what, sizeof what, "exited with status %d", rc);
        note_failure(x, executable, is_add, now, what, detail);
        return;
    }
    long long after = log_size(x, arlog);
    if (after < 0 || after <= before)
        note_failure(x, executable, is_add, now,
                     "wrote nothing to active-response\\active-responses.log", detail);
}

/* ---- running ------------------------------------------------------------------- */

static tl_status run_program(tl_execd *x, const char *executable, const char *line,
                             const cJSON *msg, int timeout, tl_time now, tl_diag *d)
{
    tl_status st = TL_OK;
    char tbuf[32];
    tl_time_fmt_systemtime(now, tbuf);
    char *exe_host = NULL, *agent_host = NULL, *tmp = NULL, *arlog = NULL;
    char **envp = NULL;
    tl_buf ev_time = TL_BUF_INIT, ev_drive = TL_BUF_INIT, wline = TL_BUF_INIT;
    x->last_exit = -1;

    agent_host = tl_execd_host_path(x, "");
    TL_TRY_ALLOC(agent_host);
    tl_buf_printf(&wline, "active-response\\bin\\%s", executable);
    TL_TRY(tl_buf_status(&wline));
    exe_host = tl_execd_host_path(x, wline.data);
    TL_TRY_ALLOC(exe_host);
    arlog = tl_execd_host_path(x, "active-response\\active-responses.log");
    TL_TRY_ALLOC(arlog);
    long long before = log_size(x, arlog);

    if (x->mode == TL_AR_INPROC) {
        inproc p;
        memset(&p, 0, sizeof p);
        p.x = x;
        p.msg = msg;
        p.executable = executable;
        p.first = line;
        p.timeout = timeout;
        p.now = now;
        tl_buf pn = TL_BUF_INIT;
        tl_buf_printf(&pn, "active-response/bin/%s", executable);
        TL_TRY(tl_buf_status(&pn));
        tl_ar_env env = {x->drive_c, agent_host, pn.data, now, 0, 1, x->mem};
        tl_ar_io io = {&p, ip_read, ip_write};
        x->last_exit = tl_ar_run(&env, &io);
        tl_buf_free(&pn);
        tl_free(p.reply);
        TL_TRY(p.st);
        judge_run(x, executable, msg != NULL, now, x->last_exit, NULL, arlog, before, NULL);
        goto cleanup;
    }

    /* exec / wine: install the program where Wazuh expects it (once per execd,
     * so a rebuilt program replaces an older copy left in a reused drive). */
    {
        int have = 0;
        for (size_t i = 0; i < x->ninstalled; i++)
            have |= strcmp(x->installed[i], executable) == 0;
        if (!have) {
            char *bin = tl_execd_host_path(x, "active-response\\bin");
            TL_TRY_ALLOC(bin);
            st = tl_mkdirs(bin, d);
            tl_free(bin);
            TL_TRY(st);
            TL_TRY(install_program(x->exe_path, exe_host, d));
            char **nv = tl_realloc(x->installed, (x->ninstalled + 1) * sizeof *nv);
            TL_TRY_ALLOC(nv);
            x->installed = nv;
            nv[x->ninstalled] = tl_strdup(executable);
            TL_TRY_ALLOC(nv[x->ninstalled]);
            x->ninstalled++;
        }
    }
    tl_buf_printf(&ev_time, "TASKLAB_TIME=%s", tbuf);
    if (x->drive_env)
        tl_buf_printf(&ev_drive, "TASKLAB_DRIVE_C=%s", x->drive_env);
    TL_TRY(tl_buf_status(&ev_time));
    TL_TRY(tl_buf_status(&ev_drive));
    char *add[8];
    size_t na = 0;
    add[na++] = ev_time.data;
    if (x->drive_env)
        add[na++] = ev_drive.data;
    char prefix_kv[EXECD_PATH_MAX + 16];
    if (x->mode == TL_AR_WINE) {
        snprintf(prefix_kv, sizeof prefix_kv, "WINEPREFIX=%s", x->wineprefix);
        add[na++] = prefix_kv;
        add[na++] = "WINEDEBUG=-all";
        add[na++] = "WINEARCH=win64";
        add[na++] = "WINEDLLOVERRIDES=mscoree,mshtml=";
    }
    add[na] = NULL;
    envp = make_env(add);
    TL_TRY_ALLOC(envp);

    tl_proc *c = NULL;
    char *argv_exec[] = {exe_host, NULL};
    char *argv_wine[] = {"wine", exe_host, NULL};
    TL_TRY(tl_proc_start(&c, x->mode == TL_AR_WINE ? argv_wine : argv_exec, envp, agent_host,
                         x->mode == TL_AR_WINE, x->timeout_ms, d));
    tl_buf_reset(&wline);
    tl_buf_puts(&wline, line);
    tl_buf_putc(&wline, '\n');
    if (tl_buf_status(&wline) == TL_OK && tl_proc_write(c, wline.data, wline.len) == TL_OK &&
        msg) {
        if (tl_proc_wait_line(c) == 0) {
            tmp = tl_proc_take_line(c);
            if (tmp) {
                char *reply = NULL;
                st = on_first_line(x, msg, executable, tmp, timeout, now, &reply);
                if (reply) {
                    tl_buf_reset(&wline);
                    tl_buf_puts(&wline, reply);
                    tl_buf_putc(&wline, '\n');
                    if (tl_buf_status(&wline) == TL_OK)
                        tl_proc_write(c, wline.data, wline.len);
                    tl_free(reply);
                }
            }
        }
    }
    int timed_out = 0, signo = 0;
    x->last_exit = tl_proc_finish(c, &timed_out, &signo);
    tl_buf errcopy = TL_BUF_INIT; /* all of stderr (first 4 KiB) */
    tl_buf_puts(&errcopy, tl_proc_stderr(c));
    tl_proc_free(c);
    if (x->last_exit == 127 || x->last_exit == 126) {
        tl_diag_set(d, exe_host, 0, "execd: cannot run %s (exit %d)%s%s",
                    x->mode == TL_AR_WINE ? "wine" : "the program", x->last_exit,
                    errcopy.len ? ": " : "", tl_buf_cstr(&errcopy));
        st = TL_E_IO;
    } else {
        char how[96];
        how[0] = '\0';
        if (timed_out)
            snprintf(how, sizeof how, "timed out after %d s (watchdog) and was killed",
                     (x->timeout_ms + 999) / 1000);
        else if (x->last_exit < 0 && signo)
            snprintf(how, sizeof how, "was killed by signal %d", signo);
        judge_run(x, executable, msg != NULL, now, x->last_exit, how[0] ? how : NULL, arlog,
                  before, tl_buf_cstr(&errcopy));
    }
    tl_buf_free(&errcopy);
cleanup:
    tl_free(tmp);
    tl_free(arlog);
    tl_free(envp);
    tl_free(exe_host);
    tl_free(agent_host);
    tl_buf_free(&ev_time);
    tl_buf_free(&ev_drive);
    tl_buf_free(&wline);
    return st;
}

static int bad_executable(const char *e)
{
    if (!e || !*e || strlen(e) > 255 || strcmp(e, ".") == 0 || strcmp(e, "..") == 0)
        return 1;
    for (const char *p = e; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == ':')
            return 1;
    return 0;
}

tl_status tl_execd_run(tl_execd *x, const char *executable, const char *manager_message,
                       int timeout, tl_time now, tl_diag *d)
{
    tl_status st = TL_OK;
    cJSON *m = NULL;
    char *line = NULL;
    tl_buf prog = TL_BUF_INIT;
    hooks();
    if (bad_executable(executable)) {
        tl_diag_set(d, "", 0, "execd: invalid executable name '%s'", executable ? executable : "");
        return TL_E_INVAL;
    }
    g_json_oom = 0;
    m = cJSON_Parse(manager_message ? manager_message : "");
    if (!m && g_json_oom)
        TL_FAIL(TL_E_NOMEM);
    cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "parameters");
    if (!cJSON_IsObject(m) || !cJSON_IsObject(params)) {
        tl_diag_set(d, "", 0, "execd: invalid active-response message (not a JSON object with "
                              "'parameters')");
        TL_FAIL(TL_E_PARSE);
    }
    if (cJSON_GetObjectItemCaseSensitive(m, "command"))
        cJSON_ReplaceItemInObjectCaseSensitive(m, "command", cJSON_CreateString("add"));
    cJSON *origin = cJSON_GetObjectItemCaseSensitive(m, "origin");
    if (cJSON_IsObject(origin) && cJSON_GetObjectItemCaseSensitive(origin, "module"))
        cJSON_ReplaceItemInObjectCaseSensitive(origin, "module", cJSON_CreateString("wazuh-execd"));
    tl_buf_printf(&prog, "active-response/bin/%s", executable);
    TL_TRY(tl_buf_status(&prog));
    TL_TRY_ALLOC(cJSON_AddStringToObject(params, "program", prog.data));
    line = cJSON_PrintUnformatted(m);
    TL_TRY_ALLOC(line);
    TL_TRY(run_program(x, executable, line, m, timeout, now, d));
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, "", 0, "execd: out of memory");
    cJSON_free(line);
    cJSON_Delete(m);
    tl_buf_free(&prog);
    return st;
}

tl_status tl_execd_tick(tl_execd *x, tl_time now, tl_diag *d)
{
    hooks();
    for (;;) {
        size_t best = (size_t)-1;
        tl_time bt = 0;
        for (size_t i = 0; i < x->npend; i++) {
            tl_time due = x->pend[i].added + (tl_time)x->pend[i].timeout * TL_USEC_PER_SEC;
            if (due <= now && (best == (size_t)-1 || due < bt)) {
                best = i;
                bt = due;
            }
        }
        if (best == (size_t)-1)
            return TL_OK;
        pending p = x->pend[best];
        memmove(x->pend + best, x->pend + best + 1, (x->npend - best - 1) * sizeof *x->pend);
        x->npend--;
        tl_status st = run_program(x, p.executable, p.message, NULL, 0, bt, d);
        tl_free(p.rkey);
        tl_free(p.executable);
        cJSON_free(p.message);
        if (st != TL_OK)
            return st;
    }
}

int tl_execd_last_exit(const tl_execd *x) { return x ? x->last_exit : -1; }
size_t tl_execd_failures(const tl_execd *x) { return x ? x->nfailed : 0; }
const char *tl_execd_failure(const tl_execd *x) { return x && x->failure ? x->failure : ""; }
size_t tl_execd_pending(const tl_execd *x) { return x ? x->npend : 0; }

/* ---- setup ------------------------------------------------------------------------ */

static char *to_wine_path(const char *abs)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "Z:");
    for (const char *p = abs; *p; p++)
        tl_buf_putc(&b, *p == '/' ? '\\' : *p);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}

static tl_status execd_new(const tl_execd_opts *o, tl_memdrive *mem, tl_execd **out, tl_diag *d);

tl_status tl_execd_new(const tl_execd_opts *o, tl_execd **out, tl_diag *d)
{
    return execd_new(o, NULL, out, d);
}

tl_status tl_execd_new_in_memory(const tl_execd_opts *o, tl_memdrive *mem, tl_execd **out,
                                 tl_diag *d)
{
    return execd_new(o, mem, out, d);
}

static tl_status execd_new(const tl_execd_opts *o, tl_memdrive *mem, tl_execd **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_execd *x = NULL;
    char *rp = NULL, *rp2 = NULL;
    char *dir = NULL, *pdrive = NULL;
    char **envp = NULL;
    int lockfd = -1;
    hooks();
    if (!o || (o->mode != TL_AR_INPROC && o->mode != TL_AR_EXEC && o->mode != TL_AR_WINE)) {
        tl_diag_set(d, "", 0, "execd: invalid mode");
        return TL_E_INVAL;
    }
    if (o->mode != TL_AR_INPROC && (!o->exe_path || !*o->exe_path)) {
        tl_diag_set(d, "", 0, "execd: %s mode needs the program path",
                    o->mode == TL_AR_WINE ? "wine" : "exec");
        return TL_E_INVAL;
    }
    /* Wine prefix: the option, else $WINEPREFIX, else ${TMPDIR:-/tmp}/tasklab-wine-<uid>
     * (created once, ~11 s, then reused by every run). */
    char dflt_prefix[EXECD_PATH_MAX];
    const char *prefix = o->wineprefix;
    if (o->mode == TL_AR_WINE && (!prefix || !*prefix)) {
        prefix = getenv("WINEPREFIX");
        if (!prefix || !*prefix) {
            const char *tmpd = getenv("TMPDIR");
            snprintf(dflt_prefix, sizeof dflt_prefix, "%s/tasklab-wine-%lu",
                     tmpd && *tmpd ? tmpd : "/tmp", tl_uid());
            prefix = dflt_prefix;
        }
    }
    if (o->mode != TL_AR_INPROC && access(o->exe_path, R_OK) != 0) {
        tl_diag_set(d, o->exe_path, 0, "AR program not found: %s", strerror(errno));
        return TL_E_NOTFOUND;
    }
    x = tl_calloc(1, sizeof *x);
    TL_TRY_ALLOC(x);
    x->mode = o->mode;
    x->last_exit = -1;
    x->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TL_EXECD_TIMEOUT_MS;
    x->agent_win = tl_strdup(o->agent_dir ? o->agent_dir : "C:\\Program Files (x86)\\ossec-agent");
    TL_TRY_ALLOC(x->agent_win);
    if (o->exe_path) {
        x->exe_path = tl_strdup(o->exe_path);
        TL_TRY_ALLOC(x->exe_path);
    }
    if (o->mode == TL_AR_WINE) {
        TL_TRY(tl_mkdirs(prefix, d));
        if (!(rp = tl_realpath(prefix))) {
            if (errno == ENOMEM)
                TL_FAIL(TL_E_NOMEM);
            tl_diag_set(d, prefix, 0, "cannot resolve: %s", strerror(errno));
            TL_FAIL(TL_E_IO);
        }
        x->wineprefix = tl_strdup(rp);
        TL_TRY_ALLOC(x->wineprefix);
        pdrive = tl_path_join(rp, "drive_c");
        TL_TRY_ALLOC(pdrive);
    }
    if (mem) {
        /* inproc on a memory drive: no host folder at all */
        if (o->mode != TL_AR_INPROC) {
            tl_diag_set(d, "", 0, "execd: a memory drive needs the inproc mode");
            TL_FAIL(TL_E_INVAL);
        }
        x->mem = mem;
        dir = tl_execd_host_path(x, "logs");
        TL_TRY_ALLOC(dir);
        TL_TRY(tl_memdrive_mkdir(x->mem, dir, TL_WALK_FOLD | TL_WALK_CREATE, d));
        tl_free(dir);
        dir = tl_execd_host_path(x, "active-response\\bin");
        TL_TRY_ALLOC(dir);
        TL_TRY(tl_memdrive_mkdir(x->mem, dir, TL_WALK_FOLD | TL_WALK_CREATE, d));
        *out = x;
        x = NULL;
        goto cleanup;
    }
    const char *drive = o->drive_c ? o->drive_c : pdrive;
    if (!drive) {
        tl_diag_set(d, "", 0, "execd: drive_c is required");
        TL_FAIL(TL_E_INVAL);
    }
    TL_TRY(tl_mkdirs(drive, d));
    tl_free(rp);
    if (!(rp = tl_realpath(drive))) {
        if (errno == ENOMEM)
            TL_FAIL(TL_E_NOMEM);
        tl_diag_set(d, drive, 0, "cannot resolve: %s", strerror(errno));
        TL_FAIL(TL_E_IO);
    }
    x->drive_c = tl_strdup(rp);
    TL_TRY_ALLOC(x->drive_c);
    if (o->mode == TL_AR_EXEC) {
        x->drive_env = tl_strdup(x->drive_c);
        TL_TRY_ALLOC(x->drive_env);
    }
    /* The agent's folders. */
    dir = tl_execd_host_path(x, "logs");
    TL_TRY_ALLOC(dir);
    TL_TRY(tl_mkdirs(dir, d));
    tl_free(dir);
    dir = tl_execd_host_path(x, "active-response\\bin");
    TL_TRY_ALLOC(dir);
    TL_TRY(tl_mkdirs(dir, d));

    if (o->mode == TL_AR_WINE) {
        char prefix_kv[EXECD_PATH_MAX + 16];
        snprintf(prefix_kv, sizeof prefix_kv, "WINEPREFIX=%s", x->wineprefix);
        char *add[] = {prefix_kv, "WINEDEBUG=-all", "WINEARCH=win64",
                       "WINEDLLOVERRIDES=mscoree,mshtml=", NULL};
        envp = make_env(add);
        TL_TRY_ALLOC(envp);
        /* One initialiser at a time (parallel scenario runs share the prefix). */
        char *lockp = tl_path_join(x->wineprefix, ".tasklab-init.lock");
        TL_TRY_ALLOC(lockp);
        lockfd = tl_lock_wait(lockp);
        tl_free(lockp);
        char *sysreg = tl_path_join(x->wineprefix, "system.reg");
        TL_TRY_ALLOC(sysreg);
        int have = access(sysreg, F_OK) == 0;
        tl_free(sysreg);
        if (!have) {
            char *a1[] = {"wineboot", "--init", NULL};
            char *a2[] = {"wineserver", "-w", NULL};
            if (tl_proc_run_quiet(a1, envp) != 0) {
                tl_diag_set(d, x->wineprefix, 0, "wineboot --init failed (is wine installed?)");
                TL_FAIL(TL_E_IO);
            }
            tl_proc_run_quiet(a2, envp);
        }
        /* Persistent server for 30 s after the last client: warm runs, and it
         * goes away by itself (no process is left behind). */
        char *a3[] = {"wineserver", "-p30", NULL};
        tl_proc_run_quiet(a3, envp);
        /* C: of the program is the prefix's drive_c unless the simulator's
         * drive is elsewhere: then the program maps C: to Z:\<drive>. */
        if (!((rp2 = tl_realpath(pdrive)) && strcmp(rp2, x->drive_c) == 0)) {
            x->drive_env = to_wine_path(x->drive_c);
            TL_TRY_ALLOC(x->drive_env);
        }
    }
    *out = x;
    x = NULL;
cleanup:
    tl_lock_release(lockfd);
    tl_free(rp);
    tl_free(rp2);
    tl_free(envp);
    tl_free(dir);
    tl_free(pdrive);
    tl_execd_free(x);
    return st;
}

void tl_execd_free(tl_execd *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->npend; i++) {
        tl_free(x->pend[i].rkey);
        tl_free(x->pend[i].executable);
        cJSON_free(x->pend[i].message);
    }
    tl_free(x->pend);
    for (size_t i = 0; i < x->ninstalled; i++)
        tl_free(x->installed[i]);
    tl_free(x->installed);
    tl_free(x->exe_path);
    tl_free(x->drive_c);
    tl_free(x->agent_win);
    tl_free(x->wineprefix);
    tl_free(x->drive_env);
    tl_free(x->failure);
    tl_free(x);
}
