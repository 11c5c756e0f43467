/* SPDX-License-Identifier: MIT */
/*
 * at.exe [\\computer] time [/interactive] [/every:date[,...] | /next:date[,...]] "command"
 *
 * By build (evasion.md §2.3): before Windows 8 (os_build < 6.2) at.exe creates a
 * job; from Windows 8 on AT is deprecated and a job is created only when
 * HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\Configuration
 * EnableAt = 1 was set before the last reboot (a `reboot` step); otherwise it
 * prints the deprecation notice and exits 1.
 *
 * Switches (evasion.md §2.3, measured [V]): case-insensitive shorthands,
 * every prefix of a switch name ("/i" to "/interactiv" for /interactive, "/n:"
 * for /next:, "/e:" for /every:, "/d" for /delete, "/y" for /yes); quotes
 * inside a switch are removed by the command-line split. Option-character
 * substitution is rejected ("-interactive", U+2013, U+FE63 ...): at.exe then
 * prints its usage and exits 1 with no job, as does any other unknown switch.
 * The syntax is checked before the deprecation notice: the measurements saw a
 * different output for the rejected spellings even where AT was deprecated.
 * The messages are [A]: the facts give none ("Added a new job with job ID =
 * n", the deprecation notice, the usage of `at /?`).
 *
 * The job is a task the Schedule service registers like any other (task
 * file, TaskCache, 4698/106 — evasion.md §4 lists at.exe among the paths
 * through the service), made by tl_task_at_job (service/at_job.c, shared with
 * WMI's Win32_ScheduledJob.Create): \At<n>, SYSTEM, a CalendarTrigger for
 * /every or a TimeTrigger at the next occurrence of the time [A]. Needs an
 * administrator (elevated) [A]; otherwise "Access is denied"
 * (exit 1). at \\<other host> is not simulated (exit 0, no task).
 * `at [id] /delete [/yes]` deletes job \At<id>, or every \At<n> job with /yes
 * (without /yes at.exe asks, and with no console the answer is no [A]); `at`
 * and `at id` list jobs and change nothing.
 */
#include <stdio.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"

/* a is "/name" or "/name:value" with name a non-empty prefix of full, in any case
 * (at.exe's shorthands: "/i" ... "/interactive", "/n:1" for /next:1). */
static int sw_is(const char *a, const char *full)
{
    if (a[0] != '/')
        return 0;
    const char *e = strchr(a, ':');
    size_t n = e ? (size_t)(e - a - 1) : strlen(a + 1);
    return n >= 1 && n <= strlen(full) && tl_strncasecmp(a + 1, full, n) == 0;
}

static const char *const at_switches[] = {"interactive", "every", "next", "delete", "yes", NULL};

/* An at.exe switch spelled with another option character ("-interactive",
 * "\u2013every:M", "\uFE63delete"): the dashes schtasks and reg accept or that pySigma's
 * windash expands to (evasion.md §0, §2.1); at.exe accepts none of them (§2.3). */
static int dash_switch(const char *a)
{
    const unsigned char *u = (const unsigned char *)a;
    size_t n = 0;
    if (u[0] == '-')
        n = 1;
    else if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x95) /* U+2010-2015 */
        n = 3;
    else if (u[0] == 0xE2 && u[1] == 0x88 && u[2] == 0x92) /* U+2212 */
        n = 3;
    else if (u[0] == 0xEF && ((u[1] == 0xB9 && u[2] == 0xA3) || (u[1] == 0xBC && u[2] == 0x8D)))
        n = 3; /* U+FE63, U+FF0D */
    if (!n || !a[n])
        return 0;
    char b[80];
    snprintf(b, sizeof b, "/%s", a + n);
    for (size_t k = 0; at_switches[k]; k++)
        if (sw_is(b, at_switches[k]))
            return 1;
    return 0;
}

/* Where argument k (k >= 1) of cmdline starts, split as tl_argv_split splits it (argv[0]
 * without escapes, then the MSVC CRT rules of evasion.md §2.8); NULL past the end. */
static const char *arg_start(const char *p, size_t k)
{
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        p = q ? q + 1 : p + strlen(p);
    } else {
        p += strcspn(p, " \t");
    }
    for (size_t n = 1;; n++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return NULL;
        if (n == k)
            return p;
        int inq = 0;
        while (*p && (inq || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\') {
                size_t b = 0;
                while (p[b] == '\\')
                    b++;
                p += b;
                if (*p == '"' && b % 2)
                    p++; /* \" is a literal quote */
            } else if (*p == '"' && inq && p[1] == '"') {
                p += 2; /* "" inside quotes: a literal quote */
            } else if (*p == '"') {
                inq = !inq;
                p++;
            } else {
                p++;
            }
        }
    }
}

/* at.exe's time: hours ":" minutes, one or two digits each, in range, then an optional
 * A, AM, P or PM in any case (9:00PM). Anything else -- a sign, a space, more digits --
 * is no time [A: the sheet gives at.exe's time syntax no further]. */
static int parse_time(const char *a, int *h, int *m)
{
    int v[2] = {0, 0};
    for (int part = 0; part < 2; part++) {
        int nd = 0;
        while (*a >= '0' && *a <= '9' && nd < 3)
            v[part] = v[part] * 10 + (*a++ - '0'), nd++;
        if (nd < 1 || nd > 2)
            return 0;
        if (part == 0 && *a++ != ':')
            return 0;
    }
    if (v[0] > 23 || v[1] > 59)
        return 0;
    if (!tl_strcasecmp(a, "P") || !tl_strcasecmp(a, "PM"))
        v[0] = v[0] % 12 + 12;
    else if (!tl_strcasecmp(a, "A") || !tl_strcasecmp(a, "AM"))
        v[0] = v[0] % 12;
    else if (*a)
        return 0;
    *h = v[0];
    *m = v[1];
    return 1;
}

static int all_digits(const char *a)
{
    if (!*a)
        return 0;
    for (; *a; a++)
        if (*a < '0' || *a > '9')
            return 0;
    return 1;
}

/* A switch at.exe does not know, or a known one with another option character: its
 * usage (the text of `at /?` [A]) and exit 1, no job. */
static tl_status usage(tl_sim *s, int *rc)
{
    tl_sim_console_err(s, "The syntax of this command is:\r\n\r\n"
                          "AT [\\\\computername] [ [id] [/DELETE] | /DELETE [/YES]]\r\n"
                          "AT [\\\\computername] time [/INTERACTIVE]\r\n"
                          "    [ /EVERY:date[,...] | /NEXT:date[,...]] \"command\"\r\n");
    *rc = 1;
    return TL_OK;
}

/* Windows 8 and later without EnableAt at the last boot [A: the message]. */
static int deprecated(tl_sim *s, int *rc)
{
    if (s->win7 || s->at_enabled)
        return 0;
    tl_sim_console_err(s, "The AT command has been deprecated. Please use schtasks.exe "
                          "instead.\r\n\r\nThe request is not supported.\r\n");
    *rc = 1;
    return 1;
}

/* at [\\host] [id] [/delete [/yes]]: list (no change) or delete AT jobs. */
static tl_status at_delete_form(tl_exec_ctx *c, char **argv, size_t argc, size_t i, int remote,
                                int *rc)
{
    tl_sim *s = c->s;
    const char *id = NULL;
    int del = 0, yes = 0;
    if (i < argc && all_digits(argv[i]))
        id = argv[i++];
    for (; i < argc; i++) {
        if (sw_is(argv[i], "delete") && !strchr(argv[i], ':'))
            del = 1;
        else if (sw_is(argv[i], "yes") && !strchr(argv[i], ':'))
            yes = 1;
        else
            return usage(s, rc);
    }
    if (yes && !del)
        return usage(s, rc);
    if (deprecated(s, rc))
        return TL_OK;
    *rc = 0;
    if (!del || remote)
        return TL_OK; /* a listing, or jobs on a host tasklab does not simulate */
    if (c->integrity < 2) {
        tl_sim_console_err(s, "Access is denied.\r\n");
        *rc = 1;
        return TL_OK;
    }
    if (id) {
        char name[40];
        snprintf(name, sizeof name, "\\At%.20s", id);
        tl_task *t = tl_task_find(s, name);
        if (!t) {
            *rc = 1; /* no such job [A: the message is not established] */
            return TL_OK;
        }
        return tl_task_delete(s, t, c->user);
    }
    if (!yes)
        return TL_OK; /* "delete all jobs? (Y/N) [N]": no console answers, so no [A] */
    for (size_t k = 0; k < s->ntasks; k++) {
        const char *p = s->tasks[k].path;
        if (!s->tasks[k].deleted && !tl_strncasecmp(p, "\\At", 3) && all_digits(p + 3)) {
            tl_status st = tl_task_delete(s, &s->tasks[k], c->user);
            if (st != TL_OK)
                return st;
        }
    }
    return TL_OK;
}

tl_status tl_interp_at(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                       int *rc)
{
    (void)proc;
    tl_sim *s = c->s;
    tl_status st = TL_OK;
    size_t i = 1;
    int remote = 0;
    tl_buf cmd = TL_BUF_INIT;
    if (i < argc && argv[i][0] == '\\' && argv[i][1] == '\\') {
        const char *h = argv[i] + 2;
        remote = tl_strcasecmp(h, s->sc->hostname) && tl_strcasecmp(h, "localhost") &&
                 strcmp(h, "127.0.0.1");
        i++;
    }
    int h = 0, m = 0;
    if (i >= argc || argv[i][0] == '/' || dash_switch(argv[i]) || all_digits(argv[i]))
        return at_delete_form(c, argv, argc, i, remote, rc);
    if (!strchr(argv[i], ':'))
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "at: invalid time or id '%s'", argv[i]);
    if (!parse_time(argv[i], &h, &m))
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "at: invalid time '%s'", argv[i]);
    i++;
    const char *every = NULL;
    for (; i < argc && (argv[i][0] == '/' || dash_switch(argv[i])); i++) {
        if (sw_is(argv[i], "interactive") && !strchr(argv[i], ':'))
            continue;
        if (sw_is(argv[i], "every") || sw_is(argv[i], "next")) {
            const char *v = strchr(argv[i], ':');
            if (!v || !v[1])
                return usage(s, rc);
            every = v + 1;
            continue;
        }
        return usage(s, rc); /* "/x", "/delete" here, "-interactive" */
    }
    if (i >= argc || (i + 1 == argc && !argv[i][0]))
        return usage(s, rc); /* no command, or an empty one ("") [A: as a missing one] */
    if (deprecated(s, rc))
        return TL_OK;
    if (remote) {
        *rc = 0; /* a job on another host: not simulated */
        st = tl_sim_note(s, "remote host %s not simulated: no job created on it", argv[1] + 2);
        goto cleanup;
    }
    if (c->integrity < 2) {
        tl_sim_console_err(s, "Access is denied.\r\n");
        *rc = 1;
        return TL_OK;
    }
    /* the days of /every: weekday letters or day numbers */
    static const char *const wd_in[] = {"M", "T", "W", "Th", "F", "S", "Su"};
    int wdays[7] = {0}, mdays[32] = {0};
    for (const char *p = every; p && *p;) {
        size_t n = strcspn(p, ",");
        int ok = 0;
        for (int k = 0; k < 7 && !ok; k++)
            if (n == strlen(wd_in[k]) && !tl_strncasecmp(p, wd_in[k], n))
                wdays[k] = ok = 1;
        if (!ok && n && n <= 2) {
            int d = 0;
            for (size_t k = 0; k < n; k++)
                d = p[k] >= '0' && p[k] <= '9' ? d * 10 + (p[k] - '0') : -100;
            if (d >= 1 && d <= 31)
                mdays[d] = ok = 1;
        }
        if (!ok)
            return tl_sim_step_error(s, c->d, TL_E_PARSE, "at: invalid date '%.*s'", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    /* the command: one argument is the whole command ("command" in at's usage, its quotes
     * gone); several are the rest of the line as typed, so a quoted program path keeps its
     * quotes ("c:\a b\x.exe" arg) [A: evasion.md §2.3 says nothing of the command's text] */
    const char *raw = i + 1 < argc && cmdline ? arg_start(cmdline, i) : NULL;
    if (raw) {
        size_t n = strlen(raw);
        while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
            n--;
        tl_buf_append(&cmd, raw, n);
    } else {
        tl_buf_puts(&cmd, argv[i]);
    }
    TL_TRY(tl_buf_status(&cmd));
    int job = 0;
    TL_TRY(tl_task_at_job(s, c->user, h, m, wdays, mdays, tl_buf_cstr(&cmd), &job));
    if (!job) {
        *rc = 1;
        goto cleanup;
    }
    tl_sim_console_printf(s, "Added a new job with job ID = %d\r\n", job);
    *rc = 0;
cleanup:
    tl_buf_free(&cmd);
    return st;
}
