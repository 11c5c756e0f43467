/* SPDX-License-Identifier: MIT */
/*
 * analyze-scheduled-task(.exe): the executable around tl_ar_run.
 *
 * stdin/stdout: the Wazuh 4.2+ execd protocol (one JSON line in; a check_keys
 * line out and its continue/abort reply in). Binary mode on Windows: the
 * protocol lines end with "\n"; execd strips a "\r" if one appears anyway.
 *
 * Where things are (documented tasklab conventions):
 *  - install dir = two levels above the folder holding this executable
 *    (<install>\active-response\bin\analyze-scheduled-task.exe, Wazuh's layout);
 *    env TASKLAB_AGENT_DIR (host path) overrides it;
 *  - Windows: the task file is read from C:\Windows\System32\Tasks\<path>;
 *    Linux: C: is the host folder in env TASKLAB_DRIVE_C (required). Under
 *    Wine, TASKLAB_DRIVE_C (e.g. Z:\tmp\run\drive_c) may also point C: at
 *    another folder, so a shared prefix can serve many simulated endpoints;
 *    paths in the output keep saying C:\;
 *  - time: env TASKLAB_TIME ("YYYY-MM-DDTHH:MM:SS[.f]Z", a tasklab extension
 *    execd sets from its virtual clock) stamps active-responses.log; without it
 *    the wall clock is used, as Wazuh's own AR programs do;
 *  - output lines end with CRLF on Windows (StreamWriter.WriteLine in the seed
 *    script) and LF on Linux; Wazuh's Windows logcollector cuts at the last
 *    '\r', so both give the same events.
 * Exit status: 0 ok, 1 bad input or task file, 2 output not writable / setup.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* open flags, ftruncate, readlink */
#endif
#include "tasklab/ar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

static tl_status read_line_stdin(void *ctx, size_t limit, char **line)
{
    (void)ctx;
    tl_buf b = TL_BUF_INIT;
    int c, any = 0, over = 0;
    while ((c = getchar()) != EOF) {
        any = 1;
        if (c == '\n')
            break;
        if (b.len >= limit)
            over = 1; /* keep consuming the line */
        else
            tl_buf_putc(&b, (char)c);
    }
    if (!any) {
        tl_buf_free(&b);
        return TL_E_NOTFOUND;
    }
    if (over) {
        tl_buf_free(&b);
        return TL_E_LIMIT;
    }
    if (b.len && b.data[b.len - 1] == '\r')
        b.data[--b.len] = '\0';
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *line = tl_buf_take(&b);
    return *line ? TL_OK : TL_E_NOMEM;
}

static tl_status write_line_stdout(void *ctx, const char *line)
{
    (void)ctx;
    if (fputs(line, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) != 0)
        return TL_E_IO;
    return TL_OK;
}

/* Path of this executable as UTF-8 (tl_free). */
static char *self_path(void)
{
#ifdef _WIN32
    wchar_t w[4096];
    DWORD n = GetModuleFileNameW(NULL, w, 4096);
    if (n == 0 || n >= 4096)
        return NULL;
    int k = WideCharToMultiByte(CP_UTF8, 0, w, (int)n, NULL, 0, NULL, NULL);
    char *s = k > 0 ? tl_malloc((size_t)k + 1) : NULL;
    if (!s)
        return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, (int)n, s, k, NULL, NULL);
    s[k] = '\0';
    return s;
#else
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return tl_strdup(buf);
#endif
}

static int is_sep(char c) { return c == '/' || c == '\\'; }

/* Strip the last component of s in place; returns that component. */
static char *pop(char *s)
{
    size_t n = strlen(s);
    while (n && is_sep(s[n - 1]))
        s[--n] = '\0';
    while (n && !is_sep(s[n - 1]))
        n--;
    char *comp = s + n;
    if (n == 0)
        return NULL;
    s[n - 1] = '\0';
    return comp;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    char *self = self_path();
    char *install = NULL;
    char name[300];
    const char *exe_name = "analyze-scheduled-task";
    if (self) {
        char *tmp = tl_strdup(self);
        char *leaf = tmp ? pop(tmp) : NULL;
        if (leaf)
            exe_name = leaf;
        snprintf(name, sizeof name, "active-response/bin/%s", exe_name);
        tl_free(tmp);
    } else {
        snprintf(name, sizeof name, "active-response/bin/%s", exe_name);
    }
    const char *env_dir = getenv("TASKLAB_AGENT_DIR");
    if (env_dir && *env_dir) {
        install = tl_strdup(env_dir);
    } else if (self) {
        install = tl_strdup(self);
        char *exe = install ? pop(install) : NULL;
        char *bin = exe ? pop(install) : NULL;
        char *ar = bin ? pop(install) : NULL;
        if (!ar || tl_strcasecmp(bin, "bin") != 0 || tl_strcasecmp(ar, "active-response") != 0) {
            fprintf(stderr, "analyze-scheduled-task: cannot locate the agent install dir: the "
                            "executable is not in <install>\\active-response\\bin (set "
                            "TASKLAB_AGENT_DIR)\n");
            tl_free(install);
            tl_free(self);
            return 2;
        }
    }
    tl_free(self);
    if (!install) {
        fprintf(stderr, "analyze-scheduled-task: cannot locate the agent install dir\n");
        return 2;
    }
    const char *drive_c = getenv("TASKLAB_DRIVE_C");
    if (drive_c && !*drive_c)
        drive_c = NULL;
#ifndef _WIN32
    if (!drive_c) {
        fprintf(stderr, "analyze-scheduled-task: TASKLAB_DRIVE_C (host folder playing C:) is "
                        "not set\n");
        tl_free(install);
        return 2;
    }
#endif
    tl_time now = (tl_time)time(NULL) * TL_USEC_PER_SEC;
    const char *vt = getenv("TASKLAB_TIME");
    if (vt && *vt && tl_time_parse_iso(vt, &now) != TL_OK) {
        fprintf(stderr, "analyze-scheduled-task: TASKLAB_TIME '%s' is not an ISO-8601 UTC time\n",
                vt);
        tl_free(install);
        return 2;
    }
    const char *ck = getenv("TASKLAB_CHECK_KEYS");
    tl_ar_env env = {drive_c, install, name, now,
#ifdef _WIN32
                     1,
#else
                     0,
#endif
                     !(ck && strcmp(ck, "0") == 0), NULL};
    tl_ar_io io = {NULL, read_line_stdin, write_line_stdout};
    int rc = tl_ar_run(&env, &io);
    tl_free(install);
    return rc;
}
