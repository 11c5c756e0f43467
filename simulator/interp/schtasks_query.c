/* SPDX-License-Identifier: MIT */
/*
 * What `schtasks /query` prints (console output, issue 14). windows.md §4.4
 * says which tasks are missing from it — a Tree key without SD, an Index of 0
 * or none (Tarrask and its variant) — and §7 gives its switches; the fact
 * sheets are silent on the layout itself, which follows Windows 10's output
 * as commonly reproduced [A]:
 *
 *   (blank line)
 *   Folder: \
 *   TaskName                                 Next Run Time          Status
 *   ======================================== ====================== ===============
 *   test-task                                N/A                    Ready
 *
 * one block per folder (the root first, then subfolders depth-first in
 * case-insensitive order), tasks by name; a folder with no task the user may
 * see prints "INFO: There are no scheduled tasks presently available at your
 * access level." under its header. TABLE shows leaf names (padded to 40, 22
 * and 15 columns), CSV ("TaskName","Next Run Time","Status", header once per
 * folder) and LIST (HostName, TaskName, Next Run Time, Status, Logon Mode)
 * full paths; /NH drops the headers. /TN prints that task's folder with that
 * task only. Next Run Time, en-US ("3/13/2024 9:00:00 AM", the endpoint's
 * clock taken as local time [A]): the next start of an enabled TimeTrigger or
 * a daily CalendarTrigger after now, with a Repetition interval applied;
 * "N/A" for logon, boot, event and other triggers. Status: Ready or Disabled.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "service.h"

static const xmlNode *kid(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

static int kid_text(const xmlNode *n, const char *name, char *buf, size_t len)
{
    const xmlNode *c = kid(n, name);
    buf[0] = 0;
    if (!c)
        return 0;
    xmlChar *t = xmlNodeGetContent(c);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
    xmlFree(t);
    return 1;
}

/* "PT5M", "PT1H", "P1D" -> seconds (0 when not understood). */
static int64_t duration_s(const char *d)
{
    int64_t total = 0, v = 0;
    int in_time = 0;
    if (*d++ != 'P')
        return 0;
    for (; *d; d++) {
        if (*d == 'T') {
            in_time = 1;
        } else if (*d >= '0' && *d <= '9') {
            v = v * 10 + (*d - '0');
            if (v > 100000000)
                return 0;
        } else {
            int64_t m = *d == 'D' ? 86400 : *d == 'H' && in_time ? 3600 : *d == 'M' && in_time ? 60 : *d == 'S' && in_time ? 1 : -1;
            if (m < 0)
                return 0;
            total += v * m;
            v = 0;
        }
    }
    return total;
}

/* The next start (seconds since the epoch) after now, or -1. */
static int64_t next_run(const tl_task *t, int64_t now)
{
    if (!t->xml || !t->enabled)
        return -1;
    xmlDocPtr doc = xmlReadMemory(t->xml, (int)strlen(t->xml), "task.xml", "UTF-8",
                                  XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    if (!doc)
        return -1;
    int64_t best = -1;
    const xmlNode *trs = kid(xmlDocGetRootElement(doc), "Triggers");
    for (const xmlNode *c = trs ? trs->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char sb[64], en[16], iv[32], du[32];
        int time_t_ = !strcmp((const char *)c->name, "TimeTrigger");
        int daily = !strcmp((const char *)c->name, "CalendarTrigger") && kid(c, "ScheduleByDay");
        if (!(time_t_ || daily) || !kid_text(c, "StartBoundary", sb, sizeof sb))
            continue;
        if (kid_text(c, "Enabled", en, sizeof en) && !strcmp(en, "false"))
            continue;
        tl_time st;
        if (tl_time_parse_iso(sb, &st) != TL_OK)
            continue;
        int64_t start = st / TL_USEC_PER_SEC, step = 0, until = INT64_MAX;
        if (daily) {
            char di[16];
            long k = kid_text(kid(c, "ScheduleByDay"), "DaysInterval", di, sizeof di) ? atol(di) : 1;
            step = (k > 0 ? k : 1) * 86400;
        }
        const xmlNode *rep = kid(c, "Repetition");
        if (rep && kid_text(rep, "Interval", iv, sizeof iv) && duration_s(iv) > 0) {
            /* repeat within each occurrence: for a one-time trigger, for Duration (or forever) */
            int64_t ri = duration_s(iv);
            int64_t dur = kid_text(rep, "Duration", du, sizeof du) ? duration_s(du) : 0;
            if (!step) {
                step = ri;
                if (dur > 0)
                    until = start + dur;
            }
        }
        int64_t nx = start;
        if (nx <= now) {
            if (!step)
                continue;
            nx = start + ((now - start) / step + 1) * step;
        }
        if (nx > until)
            continue;
        if (best < 0 || nx < best)
            best = nx;
    }
    xmlFreeDoc(doc);
    return best;
}

static void fmt_next(const tl_task *t, int64_t now, char out[40])
{
    int64_t n = next_run(t, now);
    if (n < 0) {
        snprintf(out, 40, "N/A");
        return;
    }
    int y, mo, d, h, mi, se, us;
    tl_time_civil(n * TL_USEC_PER_SEC, &y, &mo, &d, &h, &mi, &se, &us);
    snprintf(out, 40, "%d/%d/%d %d:%02d:%02d %s", mo, d, y, h % 12 ? h % 12 : 12, mi, se,
             h < 12 ? "AM" : "PM");
}

/* Listed by schtasks: not deleted, loaded by the service, SD and a non-zero Index. */
static int listed(tl_sim *s, const tl_task *t)
{
    return !t->deleted && !t->unloaded && tl_task_visible(s, t);
}

static int cmp_ci(const void *a, const void *b)
{
    return tl_strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* The folder part of a task path ("\" for "\x", "\A\B" for "\A\B\x"). Owned. */
static char *folder_of(const char *path)
{
    const char *last = strrchr(path, '\\');
    if (!last || last == path)
        return tl_strdup("\\");
    return tl_strndup(path, (size_t)(last - path));
}

static const char *leaf_of(const char *path)
{
    const char *last = strrchr(path, '\\');
    return last ? last + 1 : path;
}

static void header(tl_buf *b, int csv, int list, int nh)
{
    if (nh || list)
        return;
    if (csv)
        tl_buf_puts(b, "\"TaskName\",\"Next Run Time\",\"Status\"\r\n");
    else
        tl_buf_puts(b, "TaskName                                 Next Run Time          Status\r\n"
                       "======================================== ====================== ===============\r\n");
}

static void row(tl_sim *s, tl_buf *b, const tl_task *t, int csv, int list)
{
    char nx[40];
    fmt_next(t, s->now / TL_USEC_PER_SEC, nx);
    const char *status = t->enabled ? "Ready" : "Disabled";
    if (csv)
        tl_buf_printf(b, "\"%s\",\"%s\",\"%s\"\r\n", t->path, nx, status);
    else if (list)
        tl_buf_printf(b,
                      "HostName:      %s\r\nTaskName:      %s\r\nNext Run Time: %s\r\n"
                      "Status:        %s\r\nLogon Mode:    Interactive/Background\r\n\r\n",
                      s->sc->hostname, t->path, nx, status);
    else
        tl_buf_printf(b, "%-40s %-22s %s\r\n", leaf_of(t->path), nx, status);
}

tl_status tl_schtasks_query_text(tl_sim *s, const char *format, int no_header, const tl_task *only,
                                 char **out)
{
    tl_status st = TL_OK;
    int csv = format && !tl_strcasecmp(format, "CSV");
    int list = format && !tl_strcasecmp(format, "LIST");
    tl_buf b = TL_BUF_INIT;
    char **folders = NULL;
    size_t nf = 0;
    /* every folder that holds a task or a subfolder (from the task paths) */
    TL_TRY_ALLOC(folders = tl_calloc(s->ntasks * 8 + 1, sizeof *folders));
    TL_TRY_ALLOC(folders[nf++] = tl_strdup("\\"));
    for (size_t i = 0; i < s->ntasks && !only; i++) {
        if (s->tasks[i].deleted || s->tasks[i].unloaded)
            continue;
        char *f = folder_of(s->tasks[i].path);
        TL_TRY_ALLOC(f);
        /* the folder and each parent */
        while (f && strcmp(f, "\\")) {
            int seen = 0;
            for (size_t k = 0; k < nf && !seen; k++)
                seen = !tl_strcasecmp(folders[k], f);
            if (seen || nf >= s->ntasks * 8)
                break;
            folders[nf++] = f;
            f = folder_of(f);
            TL_TRY_ALLOC(f);
        }
        tl_free(f);
    }
    qsort(folders + 1, nf - 1, sizeof *folders, cmp_ci);
    if (only) {
        tl_free(folders[0]);
        TL_TRY_ALLOC(folders[0] = folder_of(only->path));
    }
    for (size_t k = 0; k < nf; k++) {
        const tl_task **in = NULL;
        size_t n = 0;
        if (!(in = tl_calloc(s->ntasks + 1, sizeof *in))) {
            st = TL_E_NOMEM;
            goto cleanup;
        }
        for (size_t i = 0; i < s->ntasks; i++) {
            const tl_task *t = &s->tasks[i];
            if ((only && t != only) || !listed(s, t))
                continue;
            char *f = folder_of(t->path);
            if (!f) {
                tl_free(in);
                st = TL_E_NOMEM;
                goto cleanup;
            }
            if (!tl_strcasecmp(f, folders[k]))
                in[n++] = t;
            tl_free(f);
        }
        /* by name */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && tl_strcasecmp(leaf_of(in[j - 1]->path), leaf_of(in[j]->path)) > 0; j--) {
                const tl_task *x = in[j];
                in[j] = in[j - 1];
                in[j - 1] = x;
            }
        tl_buf_printf(&b, "\r\nFolder: %s\r\n", folders[k]);
        header(&b, csv, list, no_header);
        if (!n)
            tl_buf_puts(&b, "INFO: There are no scheduled tasks presently available at your access "
                            "level.\r\n");
        for (size_t i = 0; i < n; i++)
            row(s, &b, in[i], csv, list);
        tl_free(in);
    }
    TL_TRY(tl_buf_status(&b));
    *out = tl_buf_take(&b);
    TL_TRY_ALLOC(*out);
cleanup:
    for (size_t k = 0; folders && k < nf; k++)
        tl_free(folders[k]);
    tl_free(folders);
    tl_buf_free(&b);
    return st;
}
