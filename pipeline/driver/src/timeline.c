/* SPDX-License-Identifier: MIT */
/*
 * The structured timeline of a run (tl_run_opts.timeline): the explain trace
 * as data, for `tasklab report`. Items are appended as the driver processes
 * them; after TL_TIMELINE_MAX_ITEMS only a count is kept (a soak run has
 * 100,000 background events, a page shows the first ones and says how many
 * more there were). Task files are noted from the events that name them
 * (FileCreate under System32\Tasks, Security/TaskScheduler TaskName) and read
 * from the endpoint when the run ends.
 */
#include "timeline_int.h"

#include "tasklab/pipeline.h"
#include "trace_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS 64

struct tl_timeline {
    cJSON *root, *items;
    cJSON *last;  /* the last record/line item (gets the manager verdict) */
    cJSON *chain; /* pending chain */
    size_t n, omitted;
    char *tasks[MAX_TASKS];
    size_t ntasks;
    int oom;
};

tl_timeline *tl_timeline_new(void)
{
    tl_timeline *t = tl_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->root = cJSON_CreateObject();
    t->items = cJSON_AddArrayToObject(t->root, "items");
    t->chain = cJSON_CreateArray();
    if (!t->root || !t->items || !t->chain) {
        tl_timeline_free(t);
        return NULL;
    }
    return t;
}

void tl_timeline_free(tl_timeline *t)
{
    if (!t)
        return;
    cJSON_Delete(t->root);
    cJSON_Delete(t->chain);
    for (size_t i = 0; i < t->ntasks; i++)
        tl_free(t->tasks[i]);
    tl_free(t);
}

int tl_timeline_open(const tl_timeline *t) { return t && t->n < TL_TIMELINE_MAX_ITEMS; }

static cJSON *item(tl_timeline *t, const char *kind, tl_time at)
{
    t->last = NULL;
    if (t->n >= TL_TIMELINE_MAX_ITEMS) {
        t->omitted++;
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(t->items, o)) {
        cJSON_Delete(o);
        t->oom = 1;
        return NULL;
    }
    t->n++;
    char iso[32];
    tl_time_fmt_systemtime(at, iso);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddNumberToObject(o, "time", (double)at);
    cJSON_AddStringToObject(o, "iso", iso);
    return o;
}

static void note_task(tl_timeline *t, const char *path)
{
    static const char dir[] = "C:\\Windows\\System32\\Tasks\\";
    if (tl_strncasecmp(path, dir, sizeof dir - 1) != 0 || !path[sizeof dir - 1])
        return;
    for (size_t i = 0; i < t->ntasks; i++)
        if (!tl_strcasecmp(t->tasks[i], path))
            return;
    if (t->ntasks == MAX_TASKS)
        return;
    char *p = tl_strdup(path);
    if (!p) {
        t->oom = 1;
        return;
    }
    t->tasks[t->ntasks++] = p;
}

void tl_timeline_step(tl_timeline *t, tl_time at, size_t index, const char *text)
{
    cJSON *o = item(t, "step", at);
    if (!o)
        return;
    cJSON_AddNumberToObject(o, "index", (double)index);
    cJSON_AddStringToObject(o, "text", text);
}

void tl_timeline_record(tl_timeline *t, tl_time at, size_t step, const char *channel,
                        const char *xml, const char *explain, int forwarded)
{
    tl_buf b = TL_BUF_INIT;
    if (tl_buf_event_data(&b, xml, "TargetFilename", 4096))
        note_task(t, tl_buf_cstr(&b));
    tl_buf_reset(&b);
    if (tl_buf_event_data(&b, xml, "TaskName", 4096) && tl_buf_cstr(&b)[0] == '\\') {
        tl_buf p = TL_BUF_INIT;
        tl_buf_printf(&p, "C:\\Windows\\System32\\Tasks%s", tl_buf_cstr(&b));
        note_task(t, tl_buf_cstr(&p));
        tl_buf_free(&p);
    }
    cJSON *o = item(t, "record", at);
    if (!o) {
        tl_buf_free(&b);
        return;
    }
    const char *eid = strstr(xml, "<EventID");
    eid = eid ? strchr(eid, '>') : NULL;
    tl_buf_reset(&b);
    tl_trace_record_summary(xml, &b);
    /* when the event happened (Sysmon's UtcTime; TimeCreated lags it by a few
     * ms): dropped events carry that time too */
    tl_time ev_time = at;
    tl_buf ut = TL_BUF_INIT;
    if (tl_buf_event_data(&ut, xml, "UtcTime", 40) && ut.len == 23) {
        ut.data[10] = 'T';
        if (tl_time_parse_iso(tl_buf_cstr(&ut), &ev_time) != TL_OK)
            ev_time = at;
    }
    tl_buf_free(&ut);
    cJSON_AddNumberToObject(o, "event_time", (double)ev_time);
    cJSON_AddNumberToObject(o, "step", (double)step);
    cJSON_AddStringToObject(o, "channel", channel);
    cJSON_AddNumberToObject(o, "event_id", eid ? atoi(eid + 1) : 0);
    cJSON_AddStringToObject(o, "summary", tl_buf_cstr(&b));
    if (explain)
        cJSON_AddStringToObject(o, "rule", explain);
    cJSON_AddStringToObject(o, "xml", xml);
    cJSON_AddBoolToObject(o, "forwarded", forwarded);
    t->last = o;
    tl_buf_free(&b);
}

void tl_timeline_dropped(tl_timeline *t, int id, tl_time at, size_t step, const tl_evfield *f,
                         size_t n, const char *explain)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].value && !strcmp(f[i].name, "TargetFilename"))
            note_task(t, f[i].value);
    cJSON *o = item(t, "dropped", at);
    if (!o)
        return;
    cJSON_AddNumberToObject(o, "step", (double)step);
    cJSON_AddNumberToObject(o, "event_id", id);
    cJSON_AddStringToObject(o, "rule", explain ? explain : "");
    cJSON *fields = cJSON_AddObjectToObject(o, "fields");
    for (size_t i = 0; fields && i < n; i++)
        cJSON_AddStringToObject(fields, f[i].name, f[i].value ? f[i].value : "");
}

void tl_timeline_ar(tl_timeline *t, tl_time at, const char *executable, const char *message)
{
    cJSON *o = item(t, "ar", at);
    if (!o)
        return;
    cJSON_AddStringToObject(o, "executable", executable);
    cJSON_AddStringToObject(o, "message", message);
}

void tl_timeline_line(tl_timeline *t, tl_time at, const char *location, const char *line)
{
    cJSON *o = item(t, "line", at);
    if (!o)
        return;
    cJSON_AddStringToObject(o, "location", location);
    cJSON_AddStringToObject(o, "line", line);
    t->last = o;
}

void tl_timeline_chain(tl_timeline *t, const char *rule_id, const char *raw, const char *filled)
{
    if (!t->last)
        return;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(t->chain, o)) {
        cJSON_Delete(o);
        t->oom = 1;
        return;
    }
    if (!filled) { /* the caller ran out of memory filling it */
        t->oom = 1;
        return;
    }
    raw = raw ? raw : "";
    if (!cJSON_AddStringToObject(o, "id", rule_id ? rule_id : "") ||
        !cJSON_AddStringToObject(o, "description", filled) ||
        !cJSON_AddFalseToObject(o, "fired") ||
        (strcmp(raw, filled) && !cJSON_AddStringToObject(o, "raw", raw)))
        t->oom = 1;
}

/* The alert's own rule in the chain (the last entry with its id) takes the
 * alert's rule.description, as alerts.json has it, and "fired". */
static void mark_fired(tl_timeline *t, cJSON *chain, const char *rule_id, const char *alert_json)
{
    cJSON *entry = NULL, *x;
    cJSON_ArrayForEach(x, chain)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
        if (cJSON_IsString(id) && !strcmp(id->valuestring, rule_id))
            entry = x;
    }
    if (!entry)
        return;
    cJSON *alert = cJSON_Parse(alert_json);
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(alert, "rule"), "description");
    if (cJSON_IsString(desc)) {
        cJSON *s = cJSON_CreateString(desc->valuestring);
        if (!s || !cJSON_ReplaceItemInObjectCaseSensitive(entry, "description", s)) {
            cJSON_Delete(s);
            t->oom = 1;
        }
    }
    cJSON *f = cJSON_CreateTrue();
    if (!f || !cJSON_ReplaceItemInObjectCaseSensitive(entry, "fired", f)) {
        cJSON_Delete(f);
        t->oom = 1;
    }
    cJSON_Delete(alert);
}

void tl_timeline_manager(tl_timeline *t, int matched, const char *rule_id, int level,
                         const char *alert_json)
{
    cJSON *chain = t->chain;
    t->chain = cJSON_CreateArray();
    if (!t->chain)
        t->oom = 1;
    if (!t->last || !matched) {
        cJSON_Delete(chain);
        return;
    }
    cJSON *m = cJSON_AddObjectToObject(t->last, "manager");
    if (!m) {
        cJSON_Delete(chain);
        t->oom = 1;
        return;
    }
    cJSON_AddStringToObject(m, "rule_id", rule_id ? rule_id : "");
    cJSON_AddNumberToObject(m, "level", level);
    cJSON_AddBoolToObject(m, "alert", alert_json != NULL);
    if (alert_json && rule_id)
        mark_fired(t, chain, rule_id, alert_json);
    cJSON_AddItemToObject(m, "chain", chain);
    if (alert_json)
        cJSON_AddStringToObject(m, "alert_json", alert_json);
}

/* Task files are UTF-16LE with a BOM (sim_fs.c); the timeline is UTF-8.
 * Unpaired surrogates become U+FFFD; other bytes pass through. */
static void to_utf8(const unsigned char *d, size_t n, tl_buf *out)
{
    if (n < 2 || d[0] != 0xFF || d[1] != 0xFE) {
        tl_buf_append(out, d, n);
        return;
    }
    for (size_t i = 2; i + 1 < n; i += 2) {
        unsigned cp = d[i] | (unsigned)d[i + 1] << 8;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < n) {
            unsigned lo = d[i + 2] | (unsigned)d[i + 3] << 8;
            if (lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;
        }
        if (cp == 0)
            cp = 0xFFFD;
        if (cp < 0x80) {
            tl_buf_putc(out, (char)cp);
        } else if (cp < 0x800) {
            tl_buf_putc(out, (char)(0xC0 | cp >> 6));
            tl_buf_putc(out, (char)(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            tl_buf_putc(out, (char)(0xE0 | cp >> 12));
            tl_buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
            tl_buf_putc(out, (char)(0x80 | (cp & 0x3F)));
        } else {
            tl_buf_putc(out, (char)(0xF0 | cp >> 18));
            tl_buf_putc(out, (char)(0x80 | ((cp >> 12) & 0x3F)));
            tl_buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
            tl_buf_putc(out, (char)(0x80 | (cp & 0x3F)));
        }
    }
}

char *tl_timeline_finish(tl_timeline *t, const tl_sim *sim)
{
    char *out = NULL;
    cJSON_AddNumberToObject(t->root, "omitted", (double)t->omitted);
    cJSON *tasks = cJSON_AddArrayToObject(t->root, "tasks");
    for (size_t i = 0; sim && tasks && i < t->ntasks; i++) {
        char *data = NULL;
        size_t len = 0;
        if (tl_sim_read_file(sim, t->tasks[i], &data, &len) != TL_OK)
            continue; /* deleted before the run ended */
        tl_buf u = TL_BUF_INIT;
        to_utf8((const unsigned char *)data, len, &u);
        tl_free(data);
        cJSON *o = cJSON_CreateObject();
        if (o && tl_buf_status(&u) == TL_OK && cJSON_AddItemToArray(tasks, o)) {
            cJSON_AddStringToObject(o, "path", t->tasks[i]);
            cJSON_AddStringToObject(o, "xml", tl_buf_cstr(&u));
        } else {
            cJSON_Delete(o);
            t->oom = 1;
        }
        tl_buf_free(&u);
    }
    if (!t->oom && tasks)
        out = cJSON_PrintUnformatted(t->root);
    tl_timeline_free(t);
    if (!out)
        return NULL;
    char *copy = tl_strdup(out); /* callers free with tl_free */
    cJSON_free(out);
    return copy;
}
