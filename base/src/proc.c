/* SPDX-License-Identifier: MIT */
/*
 * Child processes (tasklab/proc.h). The POSIX half is execd's original code:
 * pipes with close-on-exec, fork + execve (execvpe when PATH is searched),
 * retrying ETXTBSY, poll on stdout/stderr, waitpid. Not waiting for EOF after
 * the child exited matters under Wine: a wineserver started by the wine
 * loader daemonises with our pipes still open.
 *
 * The Windows half: CreateProcessW with inheritable anonymous pipes (only
 * the child's ends inherited, through PROC_THREAD_ATTRIBUTE_HANDLE_LIST),
 * the command line quoted as the MS C runtime parses it, an environment
 * block built from envp, stdout/stderr polled with PeekNamedPipe.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pipe2, execvpe */
#endif
#include "tasklab/proc.h"
#include "platform_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STDOUT_LINE ((size_t)4 << 20)

/* Take one line from obuf (without "\r\n"/"\n"); NULL when none. */
static char *take_line(tl_buf *obuf)
{
    if (!obuf->len)
        return NULL;
    char *nl = memchr(obuf->data, '\n', obuf->len);
    size_t n = nl ? (size_t)(nl - obuf->data) : obuf->len;
    size_t k = n;
    if (k && obuf->data[k - 1] == '\r')
        k--;
    char *line = tl_strndup(obuf->data, k);
    size_t rest = obuf->len - (nl ? n + 1 : n);
    memmove(obuf->data, obuf->data + obuf->len - rest, rest);
    obuf->len = rest;
    obuf->data[rest] = '\0';
    return line;
}

#ifndef _WIN32

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct tl_proc {
    pid_t pid;
    int in, out, err; /* our ends; -1 when closed */
    tl_buf obuf;      /* stdout bytes not consumed yet */
    tl_buf ebuf;      /* stderr (first 4 KiB kept) */
    int out_eof;
    int exited, status; /* reaped */
    long guard_ms;
    struct timespec start;
};

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

char **tl_proc_env(const char *const *drop, size_t ndrop, char *const *add)
{
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
        for (size_t j = 0; j < ndrop; j++)
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

tl_status tl_proc_start(tl_proc **out, char *const argv[], char *const envp[], const char *cwd,
                        int use_path, long guard_ms, tl_diag *d)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    *out = NULL;
    tl_proc *c = tl_calloc(1, sizeof *c);
    if (!c) {
        tl_diag_set(d, "", 0, "execd: out of memory");
        return TL_E_NOMEM;
    }
    c->in = c->out = c->err = -1;
    if (!envp)
        envp = environ;
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
    c->guard_ms = guard_ms;
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    tl_buf_init(&c->obuf);
    tl_buf_init(&c->ebuf);
    *out = c;
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
    tl_free(c);
    return TL_E_IO;
}

/* Write all of data to the child's stdin; SIGPIPE is blocked meanwhile. */
tl_status tl_proc_write(tl_proc *c, const char *data, size_t len)
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
 * Returns 0 ok, -1 on the guard timeout. */
static int child_pump(tl_proc *c, int want_line)
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

int tl_proc_wait_line(tl_proc *c) { return child_pump(c, 1); }
char *tl_proc_take_line(tl_proc *c) { return take_line(&c->obuf); }

int tl_proc_finish(tl_proc *c, int *timed_out_out, int *signo)
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
    if (!timed_out && WIFEXITED(c->status))
        rc = WEXITSTATUS(c->status);
    if (timed_out_out)
        *timed_out_out = timed_out;
    if (signo)
        *signo = !timed_out && WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
    close_fd(&c->out);
    close_fd(&c->err);
    return rc;
}

const char *tl_proc_stderr(const tl_proc *c) { return tl_buf_cstr(&c->ebuf); }

void tl_proc_free(tl_proc *c)
{
    if (!c)
        return;
    close_fd(&c->in);
    close_fd(&c->out);
    close_fd(&c->err);
    tl_buf_free(&c->obuf);
    tl_buf_free(&c->ebuf);
    tl_free(c);
}

/* wineserver daemonises and must not keep pipes of ours: /dev/null. */
int tl_proc_run_quiet(char *const argv[], char *const envp[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execvpe(argv[0], argv, envp ? envp : environ);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tl_proc_run_measured(char *const argv[], int null_stderr, double *cpu_s)
{
    *cpu_s = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            if (null_stderr)
                dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#else /* _WIN32 */

#include <windows.h>

struct tl_proc {
    HANDLE proc;
    HANDLE in, out, err; /* our ends; NULL when closed */
    tl_buf obuf;         /* stdout bytes not consumed yet */
    tl_buf ebuf;         /* stderr (first 4 KiB kept) */
    int exited;
    DWORD code;
    long guard_ms;
    ULONGLONG start;
};

/* Spawns one at a time: between CreatePipe and the CreateProcess that
 * inherits them, the child's pipe ends are inheritable, and another thread's
 * child must not get them (its stdin would never see EOF). */
static SRWLOCK g_spawn = SRWLOCK_INIT;

static void hclose(HANDLE *h)
{
    if (*h)
        CloseHandle(*h);
    *h = NULL;
}

char **tl_proc_env(const char *const *drop, size_t ndrop, char *const *add)
{
    char **envv = _environ;
    size_t n = 0, m = 0;
    while (envv && envv[n])
        n++;
    while (add[m])
        m++;
    char **env = tl_calloc(n + m + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        for (size_t j = 0; j < ndrop; j++)
            if (_strnicmp(envv[i], drop[j], strlen(drop[j])) == 0)
                skip = 1;
        if (!skip)
            env[k++] = envv[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = add[j];
    env[k] = NULL;
    return env;
}

/* argv as one command line, quoted as the MS C runtime splits it again. */
static void quote_arg(tl_buf *b, const char *a)
{
    if (*a && !strpbrk(a, " \t\n\v\"")) {
        tl_buf_puts(b, a);
        return;
    }
    tl_buf_putc(b, '"');
    for (const char *p = a;; p++) {
        size_t bs = 0;
        while (*p == '\\') {
            p++;
            bs++;
        }
        if (!*p) {
            for (size_t i = 0; i < bs * 2; i++)
                tl_buf_putc(b, '\\');
            break;
        }
        for (size_t i = 0; i < (*p == '"' ? bs * 2 + 1 : bs); i++)
            tl_buf_putc(b, '\\');
        tl_buf_putc(b, *p);
    }
    tl_buf_putc(b, '"');
}

static wchar_t *command_line(char *const argv[])
{
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            tl_buf_putc(&b, ' ');
        quote_arg(&b, argv[i]);
    }
    wchar_t *w = tl_buf_status(&b) == TL_OK ? tl_win_wide(b.data) : NULL;
    tl_buf_free(&b);
    return w;
}

/* "K=V\0K=V\0\0" in UTF-16. */
static wchar_t *env_block(char *const envp[])
{
    size_t total = 1;
    wchar_t **parts = NULL;
    size_t n = 0;
    while (envp[n])
        n++;
    parts = tl_calloc(n + 1, sizeof *parts);
    if (!parts)
        return NULL;
    wchar_t *blk = NULL;
    for (size_t i = 0; i < n; i++) {
        parts[i] = tl_win_wide(envp[i]);
        if (!parts[i])
            goto done;
        total += wcslen(parts[i]) + 1;
    }
    blk = tl_malloc(total * sizeof *blk);
    if (blk) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = wcslen(parts[i]) + 1;
            memcpy(blk + o, parts[i], l * sizeof *blk);
            o += l;
        }
        blk[o] = L'\0';
    }
done:
    for (size_t i = 0; i < n; i++)
        tl_free(parts[i]);
    tl_free(parts);
    return blk;
}

static tl_status create(char *const argv[], char *const envp[], const char *cwd, int use_path,
                        HANDLE hin, HANDLE hout, HANDLE herr, PROCESS_INFORMATION *pi,
                        tl_diag *d)
{
    tl_status st = TL_OK;
    wchar_t *cmd = command_line(argv);
    wchar_t *app = use_path ? NULL : tl_win_wide(argv[0]);
    wchar_t *wcwd = cwd ? tl_win_wide(cwd) : NULL;
    wchar_t *blk = envp ? env_block(envp) : NULL;
    if (!cmd || (!use_path && !app) || (cwd && !wcwd) || (envp && !blk)) {
        tl_diag_set(d, argv[0], 0, "execd: cannot build the command line (out of memory or bad UTF-8)");
        st = TL_E_NOMEM;
        goto cleanup;
    }
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = hin;
    si.hStdOutput = hout;
    si.hStdError = herr;
    if (!CreateProcessW(app, cmd, NULL, NULL, TRUE, CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
                        blk, wcwd, &si, pi)) {
        int e = tl_win_errno(GetLastError());
        tl_diag_set(d, argv[0], 0, "execd: cannot start: %s", strerror(e));
        st = e == ENOENT ? TL_E_NOTFOUND : TL_E_IO;
    }
cleanup:
    tl_free(cmd);
    tl_free(app);
    tl_free(wcwd);
    tl_free(blk);
    return st;
}

tl_status tl_proc_start(tl_proc **out, char *const argv[], char *const envp[], const char *cwd,
                        int use_path, long guard_ms, tl_diag *d)
{
    *out = NULL;
    tl_proc *c = tl_calloc(1, sizeof *c);
    if (!c) {
        tl_diag_set(d, "", 0, "execd: out of memory");
        return TL_E_NOMEM;
    }
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE cin = NULL, cout = NULL, cerr = NULL;
    tl_status st = TL_OK;
    PROCESS_INFORMATION pi;
    memset(&pi, 0, sizeof pi);
    AcquireSRWLockExclusive(&g_spawn);
    if (!CreatePipe(&cin, &c->in, &sa, 0) || !CreatePipe(&c->out, &cout, &sa, 0) ||
        !CreatePipe(&c->err, &cerr, &sa, 0)) {
        tl_diag_set(d, "", 0, "execd: pipe: %s", strerror(tl_win_errno(GetLastError())));
        st = TL_E_IO;
    } else {
        SetHandleInformation(c->in, HANDLE_FLAG_INHERIT, 0);
        SetHandleInformation(c->out, HANDLE_FLAG_INHERIT, 0);
        SetHandleInformation(c->err, HANDLE_FLAG_INHERIT, 0);
        st = create(argv, envp, cwd, use_path, cin, cout, cerr, &pi, d);
    }
    hclose(&cin);
    hclose(&cout);
    hclose(&cerr);
    ReleaseSRWLockExclusive(&g_spawn);
    if (st != TL_OK) {
        tl_proc_free(c);
        return st;
    }
    CloseHandle(pi.hThread);
    c->proc = pi.hProcess;
    c->guard_ms = guard_ms;
    c->start = GetTickCount64();
    tl_buf_init(&c->obuf);
    tl_buf_init(&c->ebuf);
    *out = c;
    return TL_OK;
}

tl_status tl_proc_write(tl_proc *c, const char *data, size_t len)
{
    while (len) {
        DWORD w = 0;
        DWORD chunk = len > 65536 ? 65536 : (DWORD)len;
        if (!c->in || !WriteFile(c->in, data, chunk, &w, NULL) || w == 0)
            return TL_E_IO;
        data += w;
        len -= w;
    }
    return TL_OK;
}

/* Read what a pipe holds now; 1 data read, 0 nothing yet, -1 closed. */
static int drain(HANDLE *h, tl_buf *b, size_t keep)
{
    DWORD avail = 0;
    if (!PeekNamedPipe(*h, NULL, 0, NULL, &avail, NULL)) {
        hclose(h);
        return -1;
    }
    if (!avail)
        return 0;
    char buf[8192];
    DWORD n = 0;
    if (!ReadFile(*h, buf, avail < sizeof buf ? avail : (DWORD)sizeof buf, &n, NULL) || n == 0) {
        hclose(h);
        return -1;
    }
    if (b->len < keep)
        tl_buf_append(b, buf, n);
    return 1;
}

static int child_pump(tl_proc *c, int want_line)
{
    for (;;) {
        if (want_line && memchr(c->obuf.data ? c->obuf.data : "", '\n', c->obuf.len))
            return 0;
        if (!c->out && !c->err)
            return 0;
        if (want_line && !c->out)
            return 0;
        int was_exited = c->exited;
        if (!c->exited && WaitForSingleObject(c->proc, 0) == WAIT_OBJECT_0)
            c->exited = 1;
        if ((long)(GetTickCount64() - c->start) >= c->guard_ms)
            return -1;
        int got = 0;
        if (c->out)
            got |= drain(&c->out, &c->obuf, MAX_STDOUT_LINE) != 0;
        if (c->err)
            got |= drain(&c->err, &c->ebuf, 4096) != 0;
        /* after exit: only what is already in the pipes (a daemon that
         * inherited them may keep them open) */
        if (!got && was_exited)
            return 0;
        if (!got)
            Sleep(1);
    }
}

int tl_proc_wait_line(tl_proc *c) { return child_pump(c, 1); }
char *tl_proc_take_line(tl_proc *c) { return take_line(&c->obuf); }

int tl_proc_finish(tl_proc *c, int *timed_out_out, int *signo)
{
    hclose(&c->in);
    int timed_out = child_pump(c, 0) != 0;
    if (timed_out)
        TerminateProcess(c->proc, 1);
    WaitForSingleObject(c->proc, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(c->proc, &code);
    if (timed_out_out)
        *timed_out_out = timed_out;
    if (signo)
        *signo = 0;
    hclose(&c->out);
    hclose(&c->err);
    return timed_out ? -1 : (int)code;
}

const char *tl_proc_stderr(const tl_proc *c) { return tl_buf_cstr(&c->ebuf); }

void tl_proc_free(tl_proc *c)
{
    if (!c)
        return;
    hclose(&c->in);
    hclose(&c->out);
    hclose(&c->err);
    hclose(&c->proc);
    tl_buf_free(&c->obuf);
    tl_buf_free(&c->ebuf);
    tl_free(c);
}

int tl_proc_run_quiet(char *const argv[], char *const envp[])
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    PROCESS_INFORMATION pi;
    memset(&pi, 0, sizeof pi);
    AcquireSRWLockExclusive(&g_spawn);
    HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                             &sa, OPEN_EXISTING, 0, NULL);
    tl_status st = nul == INVALID_HANDLE_VALUE ? TL_E_IO
                                               : create(argv, envp, NULL, 1, nul, nul, nul, &pi, NULL);
    if (nul != INVALID_HANDLE_VALUE)
        CloseHandle(nul);
    ReleaseSRWLockExclusive(&g_spawn);
    if (st != TL_OK)
        return -1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return (int)code;
}

int tl_proc_run_measured(char *const argv[], int null_stderr, double *cpu_s)
{
    *cpu_s = 0;
    fflush(NULL);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    PROCESS_INFORMATION pi;
    memset(&pi, 0, sizeof pi);
    AcquireSRWLockExclusive(&g_spawn);
    HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                             &sa, OPEN_EXISTING, 0, NULL);
    tl_status st = nul == INVALID_HANDLE_VALUE
                       ? TL_E_IO
                       : create(argv, NULL, NULL, 0, GetStdHandle(STD_INPUT_HANDLE), nul,
                                null_stderr ? nul : GetStdHandle(STD_ERROR_HANDLE), &pi, NULL);
    if (nul != INVALID_HANDLE_VALUE)
        CloseHandle(nul);
    ReleaseSRWLockExclusive(&g_spawn);
    if (st != TL_OK)
        return -1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    FILETIME c0, e0, k, u;
    if (GetProcessTimes(pi.hProcess, &c0, &e0, &k, &u))
        *cpu_s = ((double)(((unsigned long long)k.dwHighDateTime << 32) | k.dwLowDateTime) +
                  (double)(((unsigned long long)u.dwHighDateTime << 32) | u.dwLowDateTime)) / 1e7;
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return (int)code;
}

#endif
