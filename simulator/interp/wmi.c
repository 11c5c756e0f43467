/* SPDX-License-Identifier: MIT */
/*
 * The two WMI methods attackers use for T1053 (evasion.md §2.6, §3.3, §4), shared
 * by wmic.exe (wmic.c) and PowerShell's Invoke-CimMethod / Invoke-WmiMethod. Not
 * an interpreter: what the WMI provider host does when a client calls them.
 *
 *   Win32_Process.Create(CommandLine, CurrentDirectory)
 *       The provider host C:\Windows\System32\wbem\WmiPrvSE.exe starts the
 *       command line verbatim (§3.3 [A]); the child runs as the caller (its
 *       user and integrity), its Event 1 parent is WmiPrvSE.exe (§2.6 [A]:
 *       "gives schtasks a WmiPrvSE.exe parent"). ReturnValue 0 and the child's
 *       ProcessId; an empty command line is ReturnValue 21 (invalid parameter)
 *       and no process [A: the sheets are silent on the return codes].
 *   Win32_ScheduledJob.Create(Command, StartTime, RunRepeatedly, DaysOfWeek,
 *                             DaysOfMonth, InteractWithDesktop)
 *       An AT job through the Schedule service (§4: "as for at.exe, without
 *       at.exe"), behind at.exe's gate: before Windows 8, or EnableAt = 1 at
 *       the last boot (§2.3). The job is tl_task_at_job's \At<n>; the API
 *       caller the service logs (4698 ClientProcessId) is WmiPrvSE.exe [A: §5
 *       item 5 leaves the hosting process open]. ReturnValue 0 and JobId;
 *       the gate closed: 8 (unknown failure), no task [A]; not an elevated
 *       administrator: 2 (access denied) [A]; a StartTime that is not
 *       "********HHMMSS.ffffff+UUU": 21 [A].
 *
 * WmiPrvSE.exe is taken as already running (SYSTEM, started by the DCOM
 * launcher before the step), so it logs no Event 1 of its own [A].
 */
#include <stdio.h>
#include <string.h>

#include "interp.h"
#include "service.h"

#define WMIPRVSE "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"

/* The running provider host (SYSTEM), started quietly when there is none. */
static tl_status provider_host(tl_sim *s, long *out)
{
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].user == 0 && !s->procs[i].exited &&
            !tl_strcasecmp(s->procs[i].image, WMIPRVSE)) {
            *out = (long)i;
            return TL_OK;
        }
    int q = s->quiet;
    s->quiet = 1;
    tl_time save = s->now;
    s->now -= (tl_time)(30 + tl_rng_below(&s->rng, 600)) * TL_USEC_PER_SEC;
    tl_status st = tl_sim_proc_create(s, s->services_exe, 0, 3, WMIPRVSE,
                                      "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured "
                                      "-Embedding",
                                      "C:\\Windows\\system32\\", out);
    s->now = save;
    s->quiet = q;
    return st;
}

tl_status tl_wmi_process_create(tl_exec_ctx *c, const char *command_line, const char *cwd,
                                unsigned *pid, int *ret)
{
    tl_sim *s = c->s;
    *pid = 0;
    const char *p = command_line ? command_line : "";
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) {
        *ret = 21;
        return TL_OK;
    }
    long host;
    tl_status st = provider_host(s, &host);
    if (st != TL_OK)
        return st;
    tl_exec_ctx sub = *c;
    sub.parent = host;
    sub.wow64 = 0;
    sub.cwd = cwd && *cwd ? cwd : NULL;
    size_t first = s->nprocs;
    int rc = 0;
    /* the child has no console of the caller's: what it prints is not seen */
    tl_sim_console_mute(s, 0, 1);
    tl_sim_console_mute(s, 1, 1);
    st = tl_sim_exec(&sub, command_line, &rc);
    tl_sim_console_mute(s, 0, -1);
    tl_sim_console_mute(s, 1, -1);
    if (st != TL_OK)
        return st;
    if (s->nprocs > first)
        *pid = s->procs[first].pid;
    *ret = 0;
    return TL_OK;
}

/* "********HHMMSS.ffffff+UUU" (the date part may be given too: "yyyymmdd"). */
static int start_time(const char *t, int *h, int *m)
{
    if (!t || strlen(t) < 25 || t[14] != '.' || (t[21] != '+' && t[21] != '-'))
        return 0;
    for (int i = 8; i < 14; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    *h = (t[8] - '0') * 10 + (t[9] - '0');
    *m = (t[10] - '0') * 10 + (t[11] - '0');
    return *h < 24 && *m < 60;
}

tl_status tl_wmi_job_create(tl_exec_ctx *c, const char *command, const char *start,
                            unsigned days_of_week, unsigned days_of_month, int *job_id, int *ret)
{
    tl_sim *s = c->s;
    int h = 0, m = 0;
    *job_id = 0;
    if (!command || !*command || !start_time(start, &h, &m)) {
        *ret = 21;
        return TL_OK;
    }
    if (!s->win7 && !s->at_enabled) {
        *ret = 8;
        return TL_OK;
    }
    if (c->integrity < 2) {
        *ret = 2;
        return TL_OK;
    }
    int wdays[7] = {0}, mdays[32] = {0};
    for (int k = 0; k < 7; k++)
        wdays[k] = (days_of_week >> k) & 1u;
    for (int k = 1; k <= 31; k++)
        mdays[k] = (days_of_month >> (k - 1)) & 1u;
    long host;
    tl_status st = provider_host(s, &host);
    if (st != TL_OK)
        return st;
    long save = s->caller_proc;
    s->caller_proc = host;
    st = tl_task_at_job(s, c->user, h, m, wdays, mdays, command, job_id);
    s->caller_proc = save;
    if (st != TL_OK)
        return st;
    *ret = *job_id ? 0 : 8;
    return TL_OK;
}
