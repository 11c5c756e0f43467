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
 *  - TL_AR_EXEC: fork + execv of the Linux program installed (copied) as
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
#define _GNU_SOURCE /* pipe2, O_CLOEXEC */
#include "tasklab/agent.h"
#include "tasklab/ar.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_STDOUT_LINE ((size_t)4 << 20)

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
    char *h = tl_ar_host_path(x->drive_c, w.data);
    tl_buf_free(&w);
    return h;
}

static tl_status copy_file(const char *from, const char *to, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(from, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_file_write_atomic(to, data, len, d);
    tl_free(data);
    if (st == TL_OK && chmod(to, 0755) != 0) {
        tl_diag_set(d, to, 0, "cannot make executable: %s", strerror(errno));
        st = TL_E_IO;
    }
    return st;
}

/* Install the AR program at `to`: a hard link to `from`, or a copy when the
 * link is impossible (EXDEV: the drive is on another file system; EPERM...).
 * Never a symbolic link: the program locates the agent's folder from
 * /proc/self/exe, which would name `from`'s folder (issue 10: every AR alert
 * was lost with --out on a tmpfs). A link is never open for writing; a copy is
 * written to a temporary name and renamed, and a child forked meanwhile by
 * another worker that still holds its write descriptor makes execve fail with
 * ETXTBSY for microseconds, which spawn() retries. */
static tl_status install_program(const char *from, const char *to, tl_diag *d)
{
    if (unlink(to) != 0 && errno != ENOENT) {
        tl_diag_set(d, to, 0, "cannot replace: %s", strerror(errno));
        return TL_E_IO;
    }
    if (link(from, to) == 0)
        return TL_OK;
    return copy_file(from, to, d);
}

/* ---- child processes --------------------------------------------------------- */

typedef struct child {
    pid_t pid;
    int in, out, err; /* our ends; -1 when closed */
    tl_buf obuf;      /* stdout bytes not consumed yet */
    tl_buf ebuf;      /* stderr (first 4 KiB kept) */
    int out_eof;
    int exited, status; /* reaped */
    int timed_out;      /* killed by the watchdog */
    long guard_ms;
    struct timespec start;
} child;

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* envp = environ minus the keys we set, plus `add` (NULL-terminated "K=V"). */
static char **make_env(char *const *add)
{
    static const char *const drop[] = {"DISPLAY=", "WAYLAND_DISPLAY=", "WINEDEBUG=", "WINEPREFIX=",
                                       "WINEARCH=", "WINEDLLOVERRIDES=", "TASKLAB_"};
    size_t n = 0, m = 0;
    while (environ && environ[n])
        n++;
    while (add[m])
        m++;
    char **env = tl_calloc(n + m + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        for (size_t j = 0; j < sizeof drop / sizeof drop[0]; j++)
            if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
                skip = 1;
        if (!skip)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = add[j];
    env[k] = NULL;
    return env;
}

/* In a forked child after a failed exec: say why on stderr (async-signal-safe)
 * and exit 127. */
static void exec_failed(int err)
{
    char msg[48] = "exec failed: errno ";
    size_t n = strlen(msg);
    char dig[12];
    int k = 0;
    unsigned v = err < 0 ? 0u : (unsigned)err;
    do
        dig[k++] = (char)('0' + v % 10);
    while ((v /= 10) && k < (int)sizeof dig);
    while (k)
        msg[n++] = dig[--k];
    msg[n++] = '\n';
    if (write(2, msg, n) < 0)
        _exit(127);
    _exit(127);
}

static tl_status spawn(child *c, char *const argv[], char *const envp[], const char *cwd,
                       int use_path, tl_diag *d)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    memset(c, 0, sizeof *c);
    c->in = c->out = c->err = -1;
    if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0) {
        tl_diag_set(d, "", 0, "execd: pipe: %s", strerror(errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        tl_diag_set(d, "", 0, "execd: fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
            _exit(126);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        /* ETXTBSY: a file written by this process is still open in another
         * child between its fork and exec; that clears in microseconds. */
        for (int tries = 0; tries < 200; tries++) {
            if (use_path)
                execvpe(argv[0], argv, envp);
            else
                execve(argv[0], argv, envp);
            if (errno != ETXTBSY)
                break;
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        exec_failed(errno);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    c->pid = pid;
    c->in = pin[1];
    c->out = pout[0];
    c->err = perr[0];
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    tl_buf_init(&c->obuf);
    tl_buf_init(&c->ebuf);
    return TL_OK;
fail:
    for (int i = 0; i < 2; i++) {
        if (pin[i] >= 0)
            close(pin[i]);
        if (pout[i] >= 0)
            close(pout[i]);
        if (perr[i] >= 0)
            close(perr[i]);
    }
    return TL_E_IO;
}

/* Write all of data to the child's stdin; SIGPIPE is blocked meanwhile. */
static tl_status child_write(child *c, const char *data, size_t len)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    tl_status st = TL_OK;
    while (len) {
        ssize_t w = write(c->in, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            st = TL_E_IO;
            break;
        }
        data += w;
        len -= (size_t)w;
    }
    if (st != TL_OK) { /* consume the pending SIGPIPE before unblocking */
        struct timespec zero = {0, 0};
        sigtimedwait(&set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return st;
}

/* Pump stdout/stderr until a full stdout line is available (want_line), or
 * until both are at EOF or the process has exited and its pipes are drained.
 * Not waiting for EOF after exit matters under Wine: a wineserver started by
 * the wine loader daemonises with our pipes still open. Returns 0 ok, -1 on
 * the guard timeout. */
static int child_pump(child *c, int want_line)
{
    for (;;) {
        if (want_line && memchr(c->obuf.data ? c->obuf.data : "", '\n', c->obuf.len))
            return 0;
        if (c->out < 0 && c->err < 0)
            return 0;
        if (want_line && c->out < 0)
            return 0;
        if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
            c->exited = 1;
        long left = c->guard_ms - elapsed_ms(&c->start);
        if (left <= 0)
            return -1;
        struct pollfd fds[2];
        int nf = 0, io = -1, ie = -1;
        if (c->out >= 0) {
            fds[nf].fd = c->out;
            fds[nf].events = POLLIN;
            io = nf++;
        }
        if (c->err >= 0) {
            fds[nf].fd = c->err;
            fds[nf].events = POLLIN;
            ie = nf++;
        }
        /* after exit: only what is already buffered in the pipes */
        int r = poll(fds, (nfds_t)nf, c->exited ? 0 : (int)(left > 50 ? 50 : left));
        if (r < 0 && errno != EINTR)
            return -1;
        if (r == 0 && c->exited)
            return 0;
        if (r <= 0)
            continue;
        char buf[8192];
        if (io >= 0 && fds[io].revents) {
            ssize_t n = read(c->out, buf, sizeof buf);
            if (n <= 0) {
                close_fd(&c->out);
                c->out_eof = 1;
            } else if (c->obuf.len < MAX_STDOUT_LINE) {
                tl_buf_append(&c->obuf, buf, (size_t)n);
            }
        }
        if (ie >= 0 && fds[ie].revents) {
            ssize_t n = read(c->err, buf, sizeof buf);
            if (n <= 0)
                close_fd(&c->err);
            else if (c->ebuf.len < 4096)
                tl_buf_append(&c->ebuf, buf, (size_t)n);
        }
    }
}

/* Take one line from obuf (without "\r\n"/"\n"); NULL when none. */
static char *take_line(child *c)
{
    if (!c->obuf.len)
        return NULL;
    char *nl = memchr(c->obuf.data, '\n', c->obuf.len);
    size_t n = nl ? (size_t)(nl - c->obuf.data) : c->obuf.len;
    size_t k = n;
    if (k && c->obuf.data[k - 1] == '\r')
        k--;
    char *line = tl_strndup(c->obuf.data, k);
    size_t rest = c->obuf.len - (nl ? n + 1 : n);
    memmove(c->obuf.data, c->obuf.data + c->obuf.len - rest, rest);
    c->obuf.len = rest;
    c->obuf.data[rest] = '\0';
    return line;
}

/* Close stdin, drain, reap (killing the child when the watchdog expired).
 * Returns the exit status, -1 when killed (c->timed_out, or a signal in
 * c->status). */
static int child_finish(child *c)
{
    close_fd(&c->in);
    int timed_out = child_pump(c, 0) != 0;
    int rc = -1;
    if (!c->exited) {
        if (timed_out)
            kill(c->pid, SIGKILL);
        while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {
        }
    }
    c->timed_out = timed_out;
    if (!timed_out && WIFEXITED(c->status))
        rc = WEXITSTATUS(c->status);
    close_fd(&c->out);
    close_fd(&c->err);
    tl_buf_free(&c->obuf); /* c->ebuf (stderr) is left to the caller */
    return rc;
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
static long long log_size(const char *path)
{
    struct stat sb;
    if (!path || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    return (long long)sb.st_size;
}

/* The last "ERROR: ..." line appended to the log after offset `from` (the
 * last 8 KiB at most), into out; "" when none. */
static void last_error_line(const char *path, long long from, char *out, size_t n)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat sb;
    if (from < 0)
        from = 0;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > from) {
        char buf[8193];
        long long len = sb.st_size - from;
        if (len > 8192) {
            from = sb.st_size - 8192;
            len = 8192;
        }
        ssize_t r = pread(fd, buf, (size_t)len, (off_t)from);
        if (r > 0) {
            buf[r] = '\0';
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
    close(fd);
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
    last_error_line(arlog, before, detail, sizeof detail);
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
    long long after = log_size(arlog);
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
    long long before = log_size(arlog);

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
        tl_ar_env env = {x->drive_c, agent_host, pn.data, now, 0, 1};
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
    char prefix_kv[PATH_MAX + 16];
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

    child c;
    char *argv_exec[] = {exe_host, NULL};
    char *argv_wine[] = {"wine", exe_host, NULL};
    TL_TRY(spawn(&c, x->mode == TL_AR_WINE ? argv_wine : argv_exec, envp, agent_host,
                 x->mode == TL_AR_WINE, d));
    c.guard_ms = x->timeout_ms;
    tl_buf_reset(&wline);
    tl_buf_puts(&wline, line);
    tl_buf_putc(&wline, '\n');
    if (tl_buf_status(&wline) == TL_OK && child_write(&c, wline.data, wline.len) == TL_OK &&
        msg) {
        if (child_pump(&c, 1) == 0) {
            tmp = take_line(&c);
            if (tmp) {
                char *reply = NULL;
                st = on_first_line(x, msg, executable, tmp, timeout, now, &reply);
                if (reply) {
                    tl_buf_reset(&wline);
                    tl_buf_puts(&wline, reply);
                    tl_buf_putc(&wline, '\n');
                    if (tl_buf_status(&wline) == TL_OK)
                        child_write(&c, wline.data, wline.len);
                    tl_free(reply);
                }
            }
        }
    }
    x->last_exit = child_finish(&c);
    tl_buf errcopy = c.ebuf; /* all of stderr (first 4 KiB), ours to free */
    if (x->last_exit == 127 || x->last_exit == 126) {
        tl_diag_set(d, exe_host, 0, "execd: cannot run %s (exit %d)%s%s",
                    x->mode == TL_AR_WINE ? "wine" : "the program", x->last_exit,
                    errcopy.len ? ": " : "", tl_buf_cstr(&errcopy));
        st = TL_E_IO;
    } else {
        char how[96];
        how[0] = '\0';
        if (c.timed_out)
            snprintf(how, sizeof how, "timed out after %d s (watchdog) and was killed",
                     (x->timeout_ms + 999) / 1000);
        else if (x->last_exit < 0 && WIFSIGNALED(c.status))
            snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(c.status));
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

/* Run a helper (wineboot, wineserver) with /dev/null as stdin/stdout/stderr:
 * wineserver daemonises and must not keep pipes of ours. Exit status or -1. */
static int run_quiet(char *const argv[], char *const envp[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execvpe(argv[0], argv, envp);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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

tl_status tl_execd_new(const tl_execd_opts *o, tl_execd **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_execd *x = NULL;
    char rp[PATH_MAX], rp2[PATH_MAX];
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
    char dflt_prefix[PATH_MAX];
    const char *prefix = o->wineprefix;
    if (o->mode == TL_AR_WINE && (!prefix || !*prefix)) {
        prefix = getenv("WINEPREFIX");
        if (!prefix || !*prefix) {
            const char *tmpd = getenv("TMPDIR");
            snprintf(dflt_prefix, sizeof dflt_prefix, "%s/tasklab-wine-%ld",
                     tmpd && *tmpd ? tmpd : "/tmp", (long)getuid());
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
        if (!realpath(prefix, rp)) {
            tl_diag_set(d, prefix, 0, "cannot resolve: %s", strerror(errno));
            TL_FAIL(TL_E_IO);
        }
        x->wineprefix = tl_strdup(rp);
        TL_TRY_ALLOC(x->wineprefix);
        pdrive = tl_path_join(rp, "drive_c");
        TL_TRY_ALLOC(pdrive);
    }
    const char *drive = o->drive_c ? o->drive_c : pdrive;
    if (!drive) {
        tl_diag_set(d, "", 0, "execd: drive_c is required");
        TL_FAIL(TL_E_INVAL);
    }
    TL_TRY(tl_mkdirs(drive, d));
    if (!realpath(drive, rp)) {
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
        char prefix_kv[PATH_MAX + 16];
        snprintf(prefix_kv, sizeof prefix_kv, "WINEPREFIX=%s", x->wineprefix);
        char *add[] = {prefix_kv, "WINEDEBUG=-all", "WINEARCH=win64",
                       "WINEDLLOVERRIDES=mscoree,mshtml=", NULL};
        envp = make_env(add);
        TL_TRY_ALLOC(envp);
        /* One initialiser at a time (parallel scenario runs share the prefix). */
        char *lockp = tl_path_join(x->wineprefix, ".tasklab-init.lock");
        TL_TRY_ALLOC(lockp);
        lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        tl_free(lockp);
        if (lockfd >= 0)
            flock(lockfd, LOCK_EX);
        char *sysreg = tl_path_join(x->wineprefix, "system.reg");
        TL_TRY_ALLOC(sysreg);
        int have = access(sysreg, F_OK) == 0;
        tl_free(sysreg);
        if (!have) {
            char *a1[] = {"wineboot", "--init", NULL};
            char *a2[] = {"wineserver", "-w", NULL};
            if (run_quiet(a1, envp) != 0) {
                tl_diag_set(d, x->wineprefix, 0, "wineboot --init failed (is wine installed?)");
                TL_FAIL(TL_E_IO);
            }
            run_quiet(a2, envp);
        }
        /* Persistent server for 30 s after the last client: warm runs, and it
         * goes away by itself (no process is left behind). */
        char *a3[] = {"wineserver", "-p30", NULL};
        run_quiet(a3, envp);
        /* C: of the program is the prefix's drive_c unless the simulator's
         * drive is elsewhere: then the program maps C: to Z:\<drive>. */
        if (!(realpath(pdrive, rp2) && strcmp(rp2, x->drive_c) == 0)) {
            x->drive_env = to_wine_path(x->drive_c);
            TL_TRY_ALLOC(x->drive_env);
        }
    }
    *out = x;
    x = NULL;
cleanup:
    if (lockfd >= 0)
        close(lockfd); /* releases the flock */
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
