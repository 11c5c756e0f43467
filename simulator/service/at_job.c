/* SPDX-License-Identifier: MIT */
/*
 * AT jobs: what the Schedule service makes of a job that at.exe or WMI's
 * Win32_ScheduledJob.Create (wmic job call create, Invoke-CimMethod) hands it
 * (evasion.md §4: both go through the service, behind the same EnableAt gate,
 * which the callers check).
 *
 * The job's name, XML and principal are not established by the facts
 * (evasion.md §5 item 7): tasklab names it \At<n> (the smallest unused n,
 * "said to be At<n>"), runs it as SYSTEM, and gives it a CalendarTrigger
 * (ScheduleByWeek for weekdays, ScheduleByMonth for day numbers) or, with no
 * days, a TimeTrigger at the next occurrence of the time [A]. The command's
 * first token (CommandLineToArgvW) is the action's Command, the text after it
 * as typed its Arguments.
 */
#include <stdio.h>
#include <string.h>

#include "interp.h" /* tl_argv_split */
#include "service.h"


tl_status tl_task_at_job(tl_sim *s, size_t caller_user, int h, int m, const int wdays[7],
                         const int mdays[32], const char *command, int *job_id)
{
    tl_status st = TL_OK;
    tl_buf x = TL_BUF_INIT;
    char *path = NULL;
    int nw = 0, nm = 0, id = 0;
    *job_id = 0;
    static const char *const wd_el[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    for (int k = 0; k < 7; k++)
        nw += wdays[k] != 0;
    for (int k = 1; k <= 31; k++)
        nm += mdays[k] != 0;
    /* the next occurrence of h:m on the virtual clock */
    int y, mo, d, hh, mi, se, us;
    tl_time_civil(s->now, &y, &mo, &d, &hh, &mi, &se, &us);
    tl_time start = (tl_time)tl_time_from_civil(y, mo, d, h, m, 0) * TL_USEC_PER_SEC;
    if (start <= s->now)
        start += (tl_time)86400 * TL_USEC_PER_SEC;
    tl_time_civil(start, &y, &mo, &d, &hh, &mi, &se, &us);
    char sb[40];
    snprintf(sb, sizeof sb, "%04d-%02d-%02dT%02d:%02d:00", y, mo, d, hh, mi);
    /* \At<n>, the smallest n not in use */
    for (int n = 1; n < 10000 && !path; n++) {
        char name[16];
        snprintf(name, sizeof name, "\\At%d", n);
        if (!tl_task_find(s, name)) {
            TL_TRY_ALLOC(path = tl_strdup(name));
            id = n;
        }
    }
    if (!path)
        goto cleanup; /* no free name: the service refuses */
    tl_buf_puts(&x, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
                    "<Task version=\"1.2\" "
                    "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n"
                    "  <Triggers>\n");
    if (nw || nm) {
        tl_buf_printf(&x, "    <CalendarTrigger>\n      <StartBoundary>%s</StartBoundary>\n"
                          "      <Enabled>true</Enabled>\n",
                      sb);
        if (nw) {
            tl_buf_puts(&x, "      <ScheduleByWeek>\n        <DaysOfWeek>\n");
            for (int k = 0; k < 7; k++)
                if (wdays[k])
                    tl_buf_printf(&x, "          <%s />\n", wd_el[k]);
            tl_buf_puts(&x, "        </DaysOfWeek>\n        <WeeksInterval>1</WeeksInterval>\n"
                            "      </ScheduleByWeek>\n");
        } else {
            tl_buf_puts(&x, "      <ScheduleByMonth>\n        <DaysOfMonth>\n");
            for (int k = 1; k <= 31; k++)
                if (mdays[k])
                    tl_buf_printf(&x, "          <Day>%d</Day>\n", k);
            tl_buf_puts(&x, "        </DaysOfMonth>\n        <Months>\n");
            static const char *const mons[] = {"January", "February", "March",     "April",
                                               "May",     "June",     "July",      "August",
                                               "September", "October", "November", "December"};
            for (int k = 0; k < 12; k++)
                tl_buf_printf(&x, "          <%s />\n", mons[k]);
            tl_buf_puts(&x, "        </Months>\n      </ScheduleByMonth>\n");
        }
        tl_buf_puts(&x, "    </CalendarTrigger>\n");
    } else {
        tl_buf_printf(&x, "    <TimeTrigger>\n      <StartBoundary>%s</StartBoundary>\n"
                          "      <Enabled>true</Enabled>\n    </TimeTrigger>\n",
                      sb);
    }
    tl_buf_puts(&x, "  </Triggers>\n  <Principals>\n    <Principal id=\"Author\">\n"
                    "      <UserId>S-1-5-18</UserId>\n      <RunLevel>HighestAvailable</RunLevel>\n"
                    "    </Principal>\n  </Principals>\n  <Settings>\n"
                    "    <Enabled>true</Enabled>\n  </Settings>\n"
                    "  <Actions Context=\"Author\">\n    <Exec>\n      <Command>");
    {
        const char *cl = command;
        char **av = NULL;
        size_t ac = 0;
        TL_TRY(tl_argv_split(cl, &av, &ac));
        tl_buf_put_xml_text(&x, ac ? av[0] : cl);
        tl_buf_puts(&x, "</Command>\n");
        /* the arguments: the text after the program token, as typed */
        const char *rest = cl;
        if (*rest == '"') {
            const char *q = strchr(rest + 1, '"');
            rest = q ? q + 1 : rest + strlen(rest);
        } else {
            rest += strcspn(rest, " \t");
        }
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (*rest) {
            tl_buf_puts(&x, "      <Arguments>");
            tl_buf_put_xml_text(&x, rest);
            tl_buf_puts(&x, "</Arguments>\n");
        }
        tl_argv_free(av, ac);
    }
    tl_buf_puts(&x, "    </Exec>\n  </Actions>\n</Task>\n");
    TL_TRY(tl_buf_status(&x));
    {
        char msg[300];
        st = tl_task_register(s, path, tl_buf_cstr(&x), 0, caller_user, msg, sizeof msg);
        if (st == TL_E_PARSE || st == TL_E_INVAL) {
            st = TL_OK; /* the service refused the job */
            goto cleanup;
        }
        TL_TRY(st);
    }
    *job_id = id;
cleanup:
    tl_buf_free(&x);
    tl_free(path);
    return st;
}
