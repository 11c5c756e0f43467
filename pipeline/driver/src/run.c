/* SPDX-License-Identifier: MIT */
/*
 * The pipeline driver: one scenario, end to end, on the virtual clock.
 *
 * Everything that happens is a timed job, processed in (time, kind, sequence)
 * order:
 *   - a scenario STEP at its `at` offset (the simulator runs the command and
 *     queues the event records Sysmon and the other channels logged);
 *   - a RECORD the simulator produced, at its TimeCreated: the agent forwards it
 *     (if agent.conf reads that channel) and the manager receives it at the same
 *     instant;
 *   - an AR run, TL_AR_DELAY after the alert that triggered it: execd runs
 *     analyze-scheduled-task (in-process, as a Linux child or under Wine), which
 *     reads the endpoint's task file and appends to scheduled-tasks.log;
 *   - a logcollector POLL, TL_POLL_DELAY after an AR run: new complete lines of
 *     every file localfile go to the manager.
 * Ties are broken records < AR runs < polls < steps, then by creation order, so
 * the output is a total order independent of -j, AR mode or machine.
 *
 * The simulator mirrors every endpoint file into a host folder laid out as the
 * C: drive (`drive_c`); execd runs the AR against that folder in every mode, so
 * the three AR modes see the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/pipeline.h"

#include "record_int.h"
#include "recorded_int.h"
#include "tasklab/sim.h"
#include "timeline_int.h"
#include "trace_int.h"

#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TL_AR_DELAY (500 * 1000)    /* alert -> AR start: 0.5 s */
#define TL_POLL_DELAY (1000 * 1000) /* AR -> logcollector read: 1 s */

enum job_kind { JOB_RECORD = 0, JOB_AR = 1, JOB_POLL = 2, JOB_STEP = 3 };

typedef struct job {
    tl_time time;
    int kind;
    uint64_t seq;
    /* JOB_AR */
    char *executable;
    char *message;
    int timeout;
    /* JOB_STEP */
    size_t step;
} job;

typedef struct jobq {
    job *v;
    size_t n, cap;
    uint64_t seq;
} jobq;

static int job_less(const job *a, const job *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    if (a->kind != b->kind)
        return a->kind < b->kind;
    return a->seq < b->seq;
}

static tl_status jobq_push(jobq *q, job j)
{
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        job *nv = tl_realloc(q->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        q->v = nv;
        q->cap = nc;
    }
    j.seq = q->seq++;
    size_t i = q->n++;
    q->v[i] = j;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!job_less(&q->v[i], &q->v[p]))
            break;
        job t = q->v[i];
        q->v[i] = q->v[p];
        q->v[p] = t;
        i = p;
    }
    return TL_OK;
}

static job jobq_pop(jobq *q)
{
    job top = q->v[0];
    q->v[0] = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && job_less(&q->v[l], &q->v[m]))
            m = l;
        if (r < q->n && job_less(&q->v[r], &q->v[m]))
            m = r;
        if (m == i)
            break;
        job t = q->v[i];
        q->v[i] = q->v[m];
        q->v[m] = t;
        i = m;
    }
    return top;
}

static void job_free(job *j)
{
    tl_free(j->executable);
    tl_free(j->message);
}

void tl_run_result_clear(tl_run_result *r)
{
    tl_free(r->events_xml);
    tl_free(r->events_digest);
    tl_free(r->alerts_json);
    tl_free(r->ar_log);
    tl_free(r->tasks_log);
    tl_free(r->trace);
    tl_free(r->queue);
    tl_free(r->timeline_json);
    tl_free(r->tasks_json);
    tl_free(r->console_json);
    tl_free(r->console_txt);
    tl_free(r->notes);
    memset(r, 0, sizeof *r);
}

/* events.xml is kept in memory up to TL_EVENTS_INLINE_MAX bytes (what golden/ keeps byte
 * for byte). Past that it is streamed: hashed and counted for the golden ".sha256"
 * snapshot and, with an out folder, appended to events.xml.part~ (renamed to events.xml
 * at the end). A scenario's noise (up to TL_LIMIT_NOISE_EVENTS) thus costs no memory. */
typedef struct evsink {
    tl_buf buf; /* while inline */
    int streaming;
    tl_sha256_ctx sha;
    uint64_t bytes, lines;
    FILE *f;    /* streaming with an out folder */
    char *path; /* DIR/<name>/events.xml, or NULL */
    char *part; /* path + ".part~" */
} evsink;

static uint64_t count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

static tl_status evsink_stream(evsink *e, const char *p, size_t n, tl_diag *d)
{
    tl_sha256_update(&e->sha, p, n);
    e->bytes += n;
    e->lines += count_lines(p, n);
    if (e->f && fwrite(p, 1, n, e->f) != n) {
        tl_diag_set(d, e->part, 0, "cannot write: %s", strerror(errno));
        return TL_E_IO;
    }
    return TL_OK;
}

static tl_status evsink_put(evsink *e, const char *p, size_t n, tl_diag *d)
{
    if (!e->streaming) {
        tl_buf_append(&e->buf, p, n);
        tl_status st = tl_buf_status(&e->buf);
        if (st != TL_OK || e->buf.len <= TL_EVENTS_INLINE_MAX)
            return st;
        e->streaming = 1;
        tl_sha256_init(&e->sha);
        if (e->path) {
            e->f = fopen(e->part, "wb");
            if (!e->f) {
                tl_diag_set(d, e->part, 0, "cannot create: %s", strerror(errno));
                return TL_E_IO;
            }
        }
        st = evsink_stream(e, e->buf.data, e->buf.len, d);
        tl_buf_free(&e->buf);
        return st;
    }
    return evsink_stream(e, p, n, d);
}

/* Stream from the first byte (a recording scenario: only the digest is kept,
 * recorded events never go into golden/). */
static tl_status evsink_stream_all(evsink *e, tl_diag *d)
{
    e->streaming = 1;
    tl_sha256_init(&e->sha);
    if (e->path) {
        e->f = fopen(e->part, "wb");
        if (!e->f) {
            tl_diag_set(d, e->part, 0, "cannot create: %s", strerror(errno));
            return TL_E_IO;
        }
    }
    return TL_OK;
}

/* Close the stream: the file gets its name, the digest line is returned (owned). */
static tl_status evsink_finish(evsink *e, char **digest, tl_diag *d)
{
    if (e->f) {
        int bad = ferror(e->f);
        if (fclose(e->f) != 0)
            bad = 1;
        e->f = NULL;
        if (bad) {
            tl_diag_set(d, e->part, 0, "cannot write: %s", strerror(errno));
            return TL_E_IO;
        }
        if (rename(e->part, e->path) != 0) {
            tl_diag_set(d, e->path, 0, "cannot rename: %s", strerror(errno));
            return TL_E_IO;
        }
    }
    unsigned char dg[32];
    char hex[65];
    tl_sha256_final(&e->sha, dg);
    tl_sha256_hex_of(dg, hex);
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "sha256 %s bytes %llu lines %llu\n", hex, (unsigned long long)e->bytes,
                  (unsigned long long)e->lines);
    *digest = tl_buf_take(&b);
    return *digest ? TL_OK : TL_E_NOMEM;
}

static void evsink_free(evsink *e)
{
    if (e->f) {
        fclose(e->f);
        remove(e->part);
    }
    tl_buf_free(&e->buf);
    tl_free(e->path);
    tl_free(e->part);
}

/* Per-run state shared with callbacks. */
typedef struct run_ctx {
    const tl_scenario *sc;
    tl_engine *engine;
    tl_execd *execd;
    jobq *q;
    evsink events;
    tl_buf alerts;
    tl_buf trace;
    tl_time now;
    size_t n_records, n_alerts, n_ar;
    int max_level;
    tl_buf fired; /* "115006 L6, 115009 L10" */
    tl_status cb_status;
    tl_diag *d;
    int tracing;
    int color;
    tl_buf chain; /* rules matched on the way down, for the trace */
    tl_buf chain_desc; /* the same rules, one a line with its description */
    tl_buf desc;       /* the timeline's chain: one rule's description, filled */
    int keep_queue;
    tl_buf queue; /* every message fed to the manager, one JSON string a line */
    tl_timeline *tl; /* the structured timeline, when asked for */
    int recorded;    /* a recording scenario: no endpoint, so no active response */
    int verbose;     /* trace: long lines whole */
    tl_whynot *why;  /* trace --why-not RULE, or NULL */
    int64_t day;     /* trace: the day of the last time printed (-1: none yet) */
    struct dropped_line *dropped; /* trace: dropped events not printed yet */
    size_t ndropped, capdropped;
    uint64_t dropped_seq;
} run_ctx;

/* A Sysmon event the config dropped, waiting for its place in the trace: the
 * trace is in time order, and the simulator drops events while it runs a
 * step, before the records of that step come out of its queue. */
typedef struct dropped_line {
    tl_time t;
    uint64_t seq;
    char *text; /* the item's lines, without the leading time */
} dropped_line;

/* One JSON string literal + '\n' (the form of the oracle's .queue files). */
static void queue_append(tl_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    tl_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': tl_buf_puts(b, "\\\""); break;
        case '\\': tl_buf_puts(b, "\\\\"); break;
        case '\n': tl_buf_puts(b, "\\n"); break;
        case '\r': tl_buf_puts(b, "\\r"); break;
        case '\t': tl_buf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20) {
                char u[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
                tl_buf_puts(b, u);
            } else {
                tl_buf_putc(b, (char)*p);
            }
        }
    }
    tl_buf_puts(b, "\"\n");
}

#define C(x) tl_trace_color(c->color, TL_C_##x)

/* Start an item line of the trace: a "-- YYYY-MM-DD --" line when the day
 * changes, then the indent and the virtual time "HH:MM:SS.mmm ". */
static void trace_at(run_ctx *c, tl_time t, const char *indent)
{
    int y, mo, d, h, mi, sec, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &sec, &us);
    int64_t day = (int64_t)y * 400 + mo * 32 + d;
    if (day != c->day) {
        tl_buf_printf(&c->trace, "-- %04d-%02d-%02d (UTC, virtual clock) --\n", y, mo, d);
        c->day = day;
    }
    tl_buf_printf(&c->trace, "%s%02d:%02d:%02d.%03d ", indent, h, mi, sec, us / 1000);
}

static int cmp_dropped(const void *a, const void *b)
{
    const dropped_line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print the dropped events that happened at or before `until`, in time order. */
static void flush_dropped(run_ctx *c, tl_time until)
{
    if (!c->ndropped)
        return;
    qsort(c->dropped, c->ndropped, sizeof *c->dropped, cmp_dropped);
    size_t k = 0;
    for (; k < c->ndropped && c->dropped[k].t <= until; k++) {
        trace_at(c, c->dropped[k].t, "  ");
        tl_buf_puts(&c->trace, c->dropped[k].text);
        tl_free(c->dropped[k].text);
    }
    memmove(c->dropped, c->dropped + k, (c->ndropped - k) * sizeof *c->dropped);
    c->ndropped -= k;
}

/* A long record (an AR's stdin, a scheduled-tasks.log line) on one line:
 * cut at 200 bytes with its length said, unless verbose. */
static void trace_fold(run_ctx *c, const char *s)
{
    size_t n = strlen(s);
    if (c->verbose || n <= 200) {
        tl_buf_puts(&c->trace, s);
        return;
    }
    size_t k = 200;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--; /* never cut inside a UTF-8 sequence */
    tl_buf_append(&c->trace, s, k);
    tl_buf_printf(&c->trace, "… (%zu bytes; -v shows it whole)", n);
}

/* Trace sink: keep the rules whose own conditions matched (the walked chain). */
static void on_rule(void *ctx, const char *rule_id, const char *description, int depth,
                    int matched, const char *failed)
{
    run_ctx *c = ctx;
    if (c->why)
        tl_whynot_trace(c->why, rule_id, depth, matched, failed);
    if (matched && c->tracing) {
        tl_buf_printf(&c->chain, "%s%s", c->chain.len ? " -> " : "", rule_id);
        tl_buf_printf(&c->chain_desc, "      rule %s: ", rule_id);
        /* $(field) filled from the event, as the alert's rule.description is */
        if (description && *description)
            tl_engine_expand_description(c->engine, description, &c->chain_desc);
        else
            tl_buf_puts(&c->chain_desc, "(no description)");
        tl_buf_putc(&c->chain_desc, '\n');
    }
    if (matched && c->tl && tl_timeline_open(c->tl)) {
        /* $(field)s filled from the event as analysisd fills an alert's: the
         * alert's own rule then takes the alert's text (tl_timeline_manager) */
        tl_buf_reset(&c->desc);
        if (description)
            tl_engine_expand_description(c->engine, description, &c->desc);
        tl_timeline_chain(c->tl, rule_id, description,
                          tl_buf_status(&c->desc) == TL_OK ? tl_buf_cstr(&c->desc) : NULL);
    }
}

static void note_alert(run_ctx *c, const tl_result *res)
{
    c->n_alerts++;
    if (res->level > c->max_level)
        c->max_level = res->level;
    if (c->fired.len)
        tl_buf_puts(&c->fired, ", ");
    tl_buf_printf(&c->fired, "%s L%d", res->rule_id ? res->rule_id : "?", res->level);
}

/* Feed one queue line to the manager; collect the alert and schedule ARs.
 * decoded: the caller decoded the line (dv, or NULL when the decoding dropped
 * it with status dst and diagnostics dd), see feed_line. */
static tl_status manager_feed(run_ctx *c, const char *line, int decoded, const tl_decoded *dv,
                              tl_status dst, const tl_diag *dd)
{
    tl_status st = TL_OK;
    tl_result res;
    tl_diag d;
    tl_diag_clear(&d);
    memset(&res, 0, sizeof res);
    if (c->keep_queue)
        queue_append(&c->queue, line);
    if (!decoded) {
        st = tl_engine_process(c->engine, line, c->now, &res, &d);
    } else if (dv) {
        st = tl_engine_process_decoded(c->engine, dv, c->now, &res, &d);
    } else {
        st = dst;
        d = *dd;
    }
    if (st == TL_E_PARSE) {
        /* analysisd drops a malformed event and goes on; so do we, but say so. */
        if (c->tracing)
            tl_buf_printf(&c->trace, "    manager: dropped: %s\n", d.msg);
        if (c->why) {
            tl_whynot_reset(c->why);
            tl_buf_printf(&c->trace, "    why not: the manager dropped the event before any rule\n");
        }
        if (c->tl)
            tl_timeline_manager(c->tl, 0, NULL, 0, NULL);
        return TL_OK;
    }
    if (st != TL_OK) {
        tl_diag_set(c->d, tl_scenario_path(c->sc), 0, "manager: %s", d.msg[0] ? d.msg : tl_strerror(st));
        return st;
    }
    if (c->tl)
        tl_timeline_manager(c->tl, res.matched, res.rule_id, res.level, res.alert_json);
    if (c->tracing) {
        if (res.matched)
            tl_buf_printf(&c->trace, "    manager: %srule %s level %d%s%s  (chain %s)\n",
                          res.alert_json ? C(RED) : "", res.rule_id, res.level,
                          res.alert_json ? " -> ALERT" : " (no alert)", C(RESET),
                          tl_buf_cstr(&c->chain));
        else
            tl_buf_puts(&c->trace, "    manager: no rule matched\n");
        if (res.matched) /* each rule of the chain and what it says (issue 13 item 8) */
            tl_buf_append(&c->trace, tl_buf_cstr(&c->chain_desc), c->chain_desc.len);
        if (res.alert_json)
            tl_trace_decoded_fields(res.alert_json, "      ", c->verbose, &c->trace);
        if (c->why)
            tl_whynot_explain(c->why, &res, "    ", &c->trace);
        tl_buf_reset(&c->chain);
        tl_buf_reset(&c->chain_desc);
    }
    if (res.alert_json) {
        tl_buf_puts(&c->alerts, res.alert_json);
        tl_buf_putc(&c->alerts, '\n');
        note_alert(c, &res);
    }
    for (size_t i = 0; i < res.n_ar; i++) {
        const tl_ar_request *ar = &res.ar[i];
        if (c->recorded) {
            if (c->tracing)
                tl_buf_printf(&c->trace,
                              "    active response %s not run: a recording has no endpoint\n",
                              ar->name);
            continue;
        }
        job j;
        memset(&j, 0, sizeof j);
        j.time = c->now + TL_AR_DELAY;
        j.kind = JOB_AR;
        j.executable = tl_strdup(ar->executable);
        j.message = tl_strdup(ar->message);
        j.timeout = ar->timeout;
        if (!j.executable || !j.message) {
            job_free(&j);
            return TL_E_NOMEM;
        }
        if (c->tracing) {
            tl_buf_printf(&c->trace, "    active response %s (%s) scheduled for ", ar->name,
                          ar->executable);
            char hms[32];
            tl_time_fmt_sysmon(j.time, hms); /* "YYYY-MM-DD HH:MM:SS.mmm" */
            tl_buf_printf(&c->trace, "%s\n", hms + 11);
        }
        st = jobq_push(c->q, j);
        if (st != TL_OK) {
            job_free(&j);
            return st;
        }
    }
    return TL_OK;
}

static void on_line(void *ctx, const char *location, const char *line)
{
    run_ctx *c = ctx;
    if (c->cb_status != TL_OK)
        return;
    char *q = tl_agent_queue_line('1', tl_scenario_agent_id(c->sc), tl_scenario_agent_name(c->sc),
                                  "any", location, line);
    if (!q) {
        c->cb_status = TL_E_NOMEM;
        return;
    }
    if (c->tracing) {
        flush_dropped(c, c->now);
        trace_at(c, c->now, "  ");
        tl_buf_printf(&c->trace, "logcollector %s: ", location);
        trace_fold(c, line);
        tl_buf_putc(&c->trace, '\n');
    }
    if (c->tl)
        tl_timeline_line(c->tl, c->now, location, line);
    c->cb_status = manager_feed(c, q, 0, NULL, TL_OK, NULL);
    tl_free(q);
}

/* A record's queue line to the manager and, with live replays (another
 * ruleset's replay of this run's recording, tl_pipeline_run_also), to them:
 * an eventchannel line is decoded once for all. The line's recording item
 * has been added (tl_recb_record). */
static tl_status feed_line(run_ctx *c, tl_replay_live *live, const char *line)
{
    if (!live)
        return manager_feed(c, line, 0, NULL, TL_OK, NULL);
    tl_decoded *dv = NULL;
    tl_diag dd;
    tl_diag_clear(&dd);
    tl_status dst = TL_OK;
    int decoded = tl_replay_shared_decoding(line);
    if (decoded) {
        dst = tl_engine_decode(c->engine, line, c->now, &dv, &dd);
        if (dst == TL_E_NOMEM)
            return dst;
    }
    tl_status st = manager_feed(c, line, decoded, dv, dst, &dd);
    if (st == TL_OK)
        st = tl_replay_live_next(live, decoded, dv, dst, &dd);
    tl_decoded_free(dv);
    return st;
}

static void on_dropped(void *ctx, int id, tl_time t, size_t step, const tl_evfield *f, size_t n,
                       const char *explain)
{
    run_ctx *c = ctx;
    if (c->tl)
        tl_timeline_dropped(c->tl, id, t, step, f, n, explain);
    if (!c->tracing)
        return;
    /* "Microsoft-Windows-Sysmon/Operational event 12 (step 1) [dropped]: CreateKey ..."
     * and the config rule that dropped it (file, line, RuleGroup), dimmed */
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%sMicrosoft-Windows-Sysmon/Operational event %d (step %zu) [dropped]",
                  C(DIM), id, step + 1);
    tl_buf sum = TL_BUF_INIT;
    tl_trace_fields_summary(id, f, n, &sum);
    if (sum.len)
        tl_buf_printf(&b, ": %s", tl_buf_cstr(&sum));
    tl_buf_free(&sum);
    tl_buf_printf(&b, "%s\n    %s%s%s\n", C(RESET), C(DIM), explain ? explain : "dropped",
                  C(RESET));
    if (c->why)
        tl_buf_printf(&b, "    why not: never reached the manager (the Sysmon config dropped it)\n");
    if (c->ndropped == c->capdropped) {
        size_t nc = c->capdropped ? c->capdropped * 2 : 16;
        dropped_line *nv = tl_realloc(c->dropped, nc * sizeof *nv);
        if (!nv) {
            tl_buf_free(&b);
            c->cb_status = TL_E_NOMEM;
            return;
        }
        c->dropped = nv;
        c->capdropped = nc;
    }
    char *text = tl_buf_take(&b);
    if (!text) {
        c->cb_status = TL_E_NOMEM;
        return;
    }
    c->dropped[c->ndropped].t = t;
    c->dropped[c->ndropped].seq = c->dropped_seq++;
    c->dropped[c->ndropped].text = text;
    c->ndropped++;
}

static char *read_host_file(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    tl_diag d;
    if (tl_file_read(path, &data, &len, &d) != TL_OK)
        return tl_strdup("");
    return data;
}

/* The first run of a process removes what killed runs left in $TMPDIR (their
 * private folders, identified by a free owner lock; see base lock.c). */
static void clean_stale_once(void)
{
    static atomic_int done;
    if (!atomic_exchange(&done, 1))
        tl_clean_stale_tmpdir();
}

/* Remove `name` inside `dir` (a folder tasklab itself created: the temporary
 * drive, OUT/<name>) through base's descriptor-relative walk: a single
 * component that is never "." or "..", and no symbolic link is followed, so
 * nothing outside `dir` can be removed. */
static tl_status remove_in(const char *dir, const char *name, tl_diag *d)
{
    if (!name[0] || strchr(name, '/') || strchr(name, '\\') || !strcmp(name, ".") ||
        !strcmp(name, "..")) {
        tl_diag_set(d, dir, 0, "refusing to remove \"%s\": not a plain name", name);
        return TL_E_INVAL;
    }
    return tl_walk_remove(dir, name, 0, d);
}

/* Remove, in a Wine prefix's drive_c, what a previous scenario may have left
 * that the AR could read: the task folder and the agent's folders. Path
 * components are matched case-insensitively, as Wine does; links are never
 * followed (a prefix's drive_c/users holds links into $HOME). */
static void wine_reset(const char *drive)
{
    static const char *const paths[] = {"windows/system32/tasks",
                                        "Program Files (x86)/ossec-agent",
                                        "Program Files/ossec-agent"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        tl_walk_remove(drive, paths[i], TL_WALK_FOLD, NULL);
}

static tl_status run(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                     tl_run_result *out, tl_diag *d, const tl_ruleset *const *also, size_t n_also,
                     tl_run_result *also_out, tl_status *also_sts, tl_diag *also_ds)
{
    tl_status st = TL_OK;
    run_ctx c;
    jobq q;
    tl_sim *sim = NULL;
    tl_agent_conf *aconf = NULL;
    tl_logcollector **lcs = NULL;
    size_t nlc = 0;
    char drive[4096], temp_dir[4000];
    int temp_lock = -1;
    char *scen_dir = NULL, *agent_conf_path = NULL;
    int temp_drive = 0, wine_drive = 0;
    tl_record rec;
    int have_rec = 0;
    tl_time rec_time = 0;
    char *rec_xml = NULL, *rec_msg = NULL, *rec_channel = NULL, *rec_explain = NULL;
    size_t rec_step = 0;
    size_t next_step = 0, nsteps = 0;
    tl_replay *rp = NULL; /* a recording scenario's records */
    tl_buf rline = TL_BUF_INIT;
    tl_time burst = 0;
    uint64_t rec_number = 0; /* a recorded record's EventRecordID */
    tl_recb *rb = NULL;        /* o->record: the run's recording, built as it goes */
    tl_memdrive *rmem = NULL;  /* ... and the simulator's second mirror it reads */
    tl_replay_live *live = NULL; /* the replays of also[] (n_also > 0) */
    tl_pipeline_replay_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.ar_mode = o->ar_mode;
    lo.ar_exe = o->ar_exe;

    memset(&c, 0, sizeof c);
    memset(&q, 0, sizeof q);
    {
        /* the expectations are part of the scenario: a malformed one is a load
         * error of every command that runs it, before anything runs */
        tl_expect *ex = NULL;
        tl_diag ed;
        tl_diag_clear(&ed);
        st = tl_expect_new(tl_scenario_expect_json(sc), NULL, &ex, &ed);
        tl_expect_free(ex);
        if (st != TL_OK) {
            tl_diag_set(d, tl_scenario_path(sc), 0, "%s", ed.msg[0] ? ed.msg : tl_strerror(st));
            return st;
        }
        tl_expect_events_begin(o->expect);
    }
    c.sc = sc;
    c.q = &q;
    c.d = d;
    c.tracing = o->trace;
    c.color = o->color;
    c.verbose = o->trace_verbose;
    c.day = -1;
    c.keep_queue = o->keep_queue;
    tl_buf_init(&c.chain);
    tl_buf_init(&c.chain_desc);
    tl_buf_init(&c.events.buf);
    tl_buf_init(&c.alerts);
    tl_buf_init(&c.trace);
    tl_buf_init(&c.fired);

    /* The endpoint's C: drive on the host. */
    if (o->out_dir) {
        scen_dir = tl_path_join(o->out_dir, tl_scenario_name(sc));
        TL_TRY_ALLOC(scen_dir);
        TL_TRY(remove_in(o->out_dir, tl_scenario_name(sc), d));
        TL_TRY(tl_mkdirs(scen_dir, d));
        snprintf(drive, sizeof drive, "%s/drive_c", scen_dir);
        TL_TRY(tl_mkdirs(drive, d));
        TL_TRY_ALLOC(c.events.path = tl_path_join(scen_dir, "events.xml"));
        tl_buf pp = TL_BUF_INIT;
        tl_buf_printf(&pp, "%s.part~", c.events.path);
        TL_TRY_ALLOC(c.events.part = tl_buf_take(&pp));
    } else if (o->ar_mode == TL_AR_WINE && o->wineprefix) {
        /* Wine: the simulator materialises the endpoint into the prefix's own C:
         * drive, so the Windows program reads C:\Windows\System32\Tasks as on a real
         * host. Only the folders a scenario writes that the AR reads are reset
         * before and after each run (scenarios run one at a time in wine mode). */
        snprintf(drive, sizeof drive, "%s/drive_c", o->wineprefix);
        wine_drive = 1;
        wine_reset(drive);
    } else {
        /* a private (0700) $TMPDIR/tasklab-XXXXXX of this run, its owner lock
         * held until the end; the drive is drive_c inside it */
        clean_stale_once();
        TL_TRY(tl_tempdir_new(temp_dir, sizeof temp_dir, &temp_lock, d));
        temp_drive = 1;
        snprintf(drive, sizeof drive, "%s/drive_c", temp_dir);
        TL_TRY(tl_walk_mkdir(temp_dir, "drive_c", 0, d));
    }

    if (tl_scenario_recording(sc)) {
        /* recorded events instead of the simulator (recorded.c) */
        c.recorded = 1;
        if (o->record || n_also) {
            TL_TRY(tl_recb_new(sc, &rb));
            TL_TRY(tl_recb_start(rb, NULL, NULL, NULL));
        }
        if (n_also)
            TL_TRY(tl_replay_live_new(rb, o->record != NULL, also, n_also, &lo, also_sts, also_ds, &live));
        TL_TRY(tl_recorded_open(sc, o->shared_dir, o->sysmon_config, &rp, d));
        TL_TRY(evsink_stream_all(&c.events, d));
        if (c.tracing)
            tl_buf_printf(&c.trace, "recording %s: %zu records, received in one burst\n",
                          tl_scenario_recording(sc), tl_replay_count(rp));
    } else {
        tl_sim_opts so;
        memset(&so, 0, sizeof so);
        so.etc_dir = o->etc_dir;
        so.shared_dir = o->shared_dir;
        so.sysmon_config = o->sysmon_config;
        so.drive_c = drive;
        if (o->record || n_also) {
            /* the simulator mirrors into a memory drive too, which only it
             * writes (the AR writes the host drive): the recording's files */
            TL_TRY(tl_memdrive_new("(memory drive)", &rmem));
            TL_TRY(tl_recb_new(sc, &rb));
        }
        TL_TRY(tl_sim_new_via(sc, &so, rmem, o->config_loader, o->config_loader_ctx, &sim, d));
    }
    if (o->timeline) {
        c.tl = tl_timeline_new();
        TL_TRY_ALLOC(c.tl);
    }
    if (sim && (c.tl || c.tracing))
        tl_sim_set_dropped_hook(sim, on_dropped, &c);

    tl_engine_opts eo = {"wazuh-manager", "node01"};
    TL_TRY(tl_engine_new(rs, &eo, &c.engine));
    if (c.tracing || c.tl)
        tl_engine_set_trace(c.engine, on_rule, &c);
    if (c.tracing && o->trace_why_not) {
        st = tl_whynot_new(c.engine, o->trace_why_not, c.verbose, &c.why);
        if (st == TL_E_NOTFOUND)
            tl_diag_set(d, NULL, 0, "--why-not %d: no such rule in the ruleset's tree",
                        o->trace_why_not);
        TL_TRY(st);
        tl_whynot_describe(c.why, &c.trace);
        tl_buf_putc(&c.trace, '\n');
    }

    tl_execd_opts xo;
    memset(&xo, 0, sizeof xo);
    xo.mode = o->ar_mode;
    xo.exe_path = o->ar_exe;
    xo.drive_c = drive;
    xo.agent_dir = sim ? tl_sim_agent_dir(sim) : "C:\\Program Files (x86)\\ossec-agent";
    xo.wineprefix = o->wineprefix;
    xo.timeout_ms = o->ar_timeout_ms;
    TL_TRY(tl_execd_new(&xo, &c.execd, d));

    agent_conf_path = tl_path_join(o->etc_dir, "agent.conf");
    TL_TRY_ALLOC(agent_conf_path);
    TL_TRY(tl_agent_conf_load(agent_conf_path, &aconf, d));
    if (rb && sim) {
        TL_TRY(tl_recb_start(rb, sim, rmem, aconf));
        if (n_also)
            TL_TRY(tl_replay_live_new(rb, o->record != NULL, also, n_also, &lo, also_sts, also_ds, &live));
    }
    nlc = tl_agent_conf_file_count(aconf);
    if (nlc) {
        lcs = tl_calloc(nlc, sizeof *lcs);
        TL_TRY_ALLOC(lcs);
        for (size_t i = 0; i < nlc; i++) {
            const char *loc = tl_agent_conf_file_location(aconf, i);
            char *host = tl_execd_host_path(c.execd, loc);
            TL_TRY_ALLOC(host);
            st = tl_logcollector_new(loc, host, 1, &lcs[i]);
            tl_free(host);
            TL_TRY(st);
        }
    }

    nsteps = sim ? tl_sim_step_count(sim) : 0;
    TL_TRY(evsink_put(&c.events, "<Events>\n", strlen("<Events>\n"), d));

    for (;;) {
        /* Candidates: next step, the record lookahead, the job queue. */
        if (!have_rec && rp) {
            tl_replay_record rr;
            int got = 0;
            TL_TRY(tl_replay_next(rp, &rr, &got));
            if (got) {
                if (!c.n_records)
                    burst = rr.time;
                tl_buf_reset(&rline);
                tl_recorded_line(sc, &rr, &rline);
                TL_TRY(tl_buf_status(&rline));
                have_rec = 1;
                rec_time = burst;
                rec_step = 0;
                rec_number = rr.record_id;
                tl_free(rec_xml);
                tl_free(rec_msg);
                tl_free(rec_channel);
                tl_free(rec_explain);
                rec_msg = rec_explain = NULL;
                rec_xml = tl_strndup(rr.event, rr.event_len);
                rec_channel = tl_strdup(rr.channel);
                TL_TRY_ALLOC(rec_xml);
                TL_TRY_ALLOC(rec_channel);
            }
        } else if (!have_rec && tl_sim_next_record(sim, &rec)) {
            have_rec = 1;
            rec_time = rec.time;
            rec_step = rec.step;
            tl_free(rec_xml);
            tl_free(rec_msg);
            tl_free(rec_channel);
            tl_free(rec_explain);
            rec_xml = tl_strdup(rec.xml);
            rec_msg = rec.message ? tl_strdup(rec.message) : NULL;
            rec_channel = tl_strdup(rec.channel);
            rec_explain = rec.explain ? tl_strdup(rec.explain) : NULL;
            TL_TRY_ALLOC(rec_xml);
            TL_TRY_ALLOC(rec_channel);
        }
        job cand;
        int have_cand = 0;
        if (have_rec) {
            memset(&cand, 0, sizeof cand);
            cand.time = rec_time;
            cand.kind = JOB_RECORD;
            have_cand = 1;
        }
        if (q.n && (!have_cand || job_less(&q.v[0], &cand))) {
            cand = q.v[0];
            have_cand = 2;
        }
        if (next_step < nsteps) {
            job sj;
            memset(&sj, 0, sizeof sj);
            sj.time = tl_sim_step_time(sim, next_step);
            sj.kind = JOB_STEP;
            if (!have_cand || job_less(&sj, &cand)) {
                cand = sj;
                have_cand = 3;
            }
        }
        if (!have_cand)
            break;

        c.now = cand.time;
        TL_TRY(tl_execd_tick(c.execd, c.now, d));

        if (have_cand == 3) {
            if (c.tracing) {
                flush_dropped(&c, c.now);
                trace_at(&c, c.now, "");
                tl_buf_printf(&c.trace, "%sstep %zu%s ", tl_trace_color(c.color, TL_C_BOLD),
                              next_step + 1, tl_trace_color(c.color, TL_C_RESET));
                tl_trace_describe_step(tl_scenario_path(sc), next_step, &c.trace);
                tl_buf_putc(&c.trace, '\n');
            }
            if (c.tl) {
                tl_buf desc = TL_BUF_INIT;
                tl_trace_describe_step(tl_scenario_path(sc), next_step, &desc);
                tl_timeline_step(c.tl, c.now, next_step, tl_buf_cstr(&desc));
                tl_buf_free(&desc);
            }
            TL_TRY(tl_sim_run_step(sim, next_step, d));
            TL_TRY(c.cb_status);
            if (rb)
                TL_TRY(tl_recb_step(rb, c.now));
            if (live)
                TL_TRY(tl_replay_live_next(live, 0, NULL, TL_OK, NULL));
            if (c.tracing) {
                int rc = 0;
                const char *out_text =
                    tl_sim_console_step(sim, tl_sim_step_file_index(sim, next_step), &rc);
                if (out_text)
                    tl_trace_console(out_text, rc, &c.trace);
                const char *notes =
                    tl_sim_console_step_notes(sim, tl_sim_step_file_index(sim, next_step));
                for (const char *p = notes ? notes : ""; *p;) {
                    const char *nl = strchr(p, '\n');
                    size_t l = nl ? (size_t)(nl - p) : strlen(p);
                    tl_buf_printf(&c.trace, "  %stasklab: %.*s%s\n",
                                  tl_trace_color(c.color, TL_C_YELLOW), (int)l, p,
                                  tl_trace_color(c.color, TL_C_RESET));
                    p = nl ? nl + 1 : p + l;
                }
            }
            next_step++;
        } else if (have_cand == 1) {
            have_rec = 0;
            c.n_records++;
            TL_TRY(tl_expect_event(o->expect, rec_xml));
            TL_TRY(evsink_put(&c.events, rec_xml, strlen(rec_xml), d));
            TL_TRY(evsink_put(&c.events, "\n", 1, d));
            if (c.tracing)
            {
                const char *eid = strstr(rec_xml, "<EventID");
                eid = eid ? strchr(eid, '>') : NULL;
                int id = eid ? atoi(eid + 1) : 0;
                flush_dropped(&c, rec_time);
                trace_at(&c, rec_time, "  ");
                tl_buf_printf(&c.trace, "%s%s event %d%s ", tl_trace_color(c.color, TL_C_CYAN),
                              rec_channel, id, tl_trace_color(c.color, TL_C_RESET));
                if (rp)
                    tl_buf_printf(&c.trace, "(record %llu)", (unsigned long long)rec_number);
                else
                    tl_buf_printf(&c.trace, "(step %zu)", rec_step + 1);
                tl_buf sum = TL_BUF_INIT;
                tl_trace_record_summary(rec_xml, &sum);
                if (sum.len)
                    tl_buf_printf(&c.trace, ": %s", tl_buf_cstr(&sum));
                tl_buf_free(&sum);
                tl_buf_putc(&c.trace, '\n');
                if (rec_explain)
                    tl_buf_printf(&c.trace, "    %s%s%s\n", tl_trace_color(c.color, TL_C_DIM),
                                  rec_explain, tl_trace_color(c.color, TL_C_RESET));
            }
            int forwarded = rp || tl_agent_conf_reads_channel(aconf, rec_channel);
            if (c.tracing && !forwarded)
                tl_buf_printf(&c.trace, "    not forwarded: agent.conf does not read %s%s\n",
                              rec_channel, c.why ? "; so no rule sees it" : "");
            if (c.tl) {
                if (!tl_timeline_open(c.tl) && !c.tracing)
                    tl_engine_set_trace(c.engine, NULL, NULL); /* the rest is only counted */
                tl_timeline_record(c.tl, rec_time, rec_step, rec_channel, rec_xml, rec_explain,
                                   forwarded);
            }
            if (rb && (rp || !forwarded))
                TL_TRY(tl_recb_record(rb, rec_time, rp ? tl_buf_cstr(&rline) : NULL));
            if (rp) {
                TL_TRY(feed_line(&c, live, tl_buf_cstr(&rline)));
            } else if (forwarded) {
                char *payload = tl_agent_eventchannel_payload(rec_msg, rec_xml);
                TL_TRY_ALLOC(payload);
                char *line = tl_agent_queue_line('f', tl_scenario_agent_id(sc),
                                                 tl_scenario_agent_name(sc), "any",
                                                 "EventChannel", payload);
                tl_free(payload);
                TL_TRY_ALLOC(line);
                if (rb && (st = tl_recb_record(rb, rec_time, line)) != TL_OK) {
                    tl_free(line);
                    TL_FAIL(st);
                }
                st = feed_line(&c, live, line);
                tl_free(line);
                TL_TRY(st);
            } else if (live) {
                TL_TRY(tl_replay_live_next(live, 0, NULL, TL_OK, NULL));
            }
        } else {
            job j = jobq_pop(&q);
            if (j.kind == JOB_AR) {
                c.n_ar++;
                if (c.tracing) {
                    flush_dropped(&c, c.now);
                    trace_at(&c, c.now, "  ");
                    tl_buf_printf(&c.trace, "execd runs %s\n    stdin: ", j.executable);
                    trace_fold(&c, j.message);
                    tl_buf_putc(&c.trace, '\n');
                }
                if (c.tl)
                    tl_timeline_ar(c.tl, c.now, j.executable, j.message);
                st = tl_execd_run(c.execd, j.executable, j.message, j.timeout, c.now, d);
                if (st == TL_OK) {
                    job p;
                    memset(&p, 0, sizeof p);
                    p.time = c.now + TL_POLL_DELAY;
                    p.kind = JOB_POLL;
                    st = jobq_push(&q, p);
                }
                job_free(&j);
                TL_TRY(st);
            } else if (j.kind == JOB_POLL) {
                for (size_t i = 0; i < nlc; i++) {
                    TL_TRY(tl_logcollector_poll(lcs[i], on_line, &c));
                    TL_TRY(c.cb_status);
                }
            }
        }
    }
    if (c.tracing)
        flush_dropped(&c, INT64_MAX);
    TL_TRY(evsink_put(&c.events, "</Events>\n", strlen("</Events>\n"), d));
    TL_TRY(tl_buf_status(&c.alerts));
    TL_TRY(tl_buf_status(&c.trace));

    {
        char *arlog = tl_execd_host_path(c.execd, "active-response\\active-responses.log");
        char *tlog = tl_execd_host_path(c.execd, "logs\\scheduled-tasks.log");
        TL_TRY_ALLOC(arlog);
        out->ar_log = read_host_file(arlog);
        out->tasks_log = tlog ? read_host_file(tlog) : tl_strdup("");
        tl_free(arlog);
        tl_free(tlog);
    }
    if (c.events.streaming)
        TL_TRY(evsink_finish(&c.events, &out->events_digest, d));
    else
        out->events_xml = tl_buf_take(&c.events.buf);
    out->alerts_json = tl_buf_take(&c.alerts);
    out->trace = o->trace ? tl_buf_take(&c.trace) : NULL;
    if (o->keep_queue) {
        TL_TRY(tl_buf_status(&c.queue));
        out->queue = tl_buf_take(&c.queue);
        if (!out->queue)
            out->queue = tl_strdup("");
        TL_TRY_ALLOC(out->queue);
    }
    if (c.tl) {
        out->timeline_json = tl_timeline_finish(c.tl, sim);
        c.tl = NULL;
        TL_TRY_ALLOC(out->timeline_json);
    }
    if (sim) {
        TL_TRY(tl_sim_tasks_json(sim, &out->tasks_json));
        TL_TRY(tl_sim_console_json(sim, &out->console_json));
        TL_TRY(tl_sim_console_text(sim, &out->console_txt));
        TL_TRY(tl_sim_notes_text(sim, &out->notes));
    } else { /* a recording: no endpoint whose tasks or console could be known */
        TL_TRY_ALLOC(out->tasks_json = tl_strdup("[]"));
        TL_TRY_ALLOC(out->console_json = tl_strdup("[]"));
        TL_TRY_ALLOC(out->console_txt = tl_strdup(""));
        TL_TRY_ALLOC(out->notes = tl_strdup(""));
    }
    out->n_records = c.n_records;
    out->recorded = c.recorded;
    out->n_alerts = c.n_alerts;
    out->n_ar_runs = c.n_ar;
    out->n_ar_failed = tl_execd_failures(c.execd);
    snprintf(out->ar_failure, sizeof out->ar_failure, "%s", tl_execd_failure(c.execd));
    out->max_level = c.max_level;
    {
        char failed[40] = "";
        if (out->n_ar_failed)
            snprintf(failed, sizeof failed, " (%zu failed)", out->n_ar_failed);
        snprintf(out->summary, sizeof out->summary, "%zu event%s, %zu alert%s%s%s%s, %zu AR run%s%s",
                 c.n_records, c.n_records == 1 ? "" : "s", c.n_alerts, c.n_alerts == 1 ? "" : "s",
                 c.n_alerts ? " (" : "", tl_buf_cstr(&c.fired), c.n_alerts ? ")" : "", c.n_ar,
                 c.n_ar == 1 ? "" : "s", failed);
    }
    if ((!out->events_xml && !out->events_digest) || !out->alerts_json || !out->ar_log ||
        !out->tasks_log)
        TL_FAIL(TL_E_NOMEM);

    if (scen_dir) {
        struct {
            const char *name;
            const char *data;
        } files[] = {{"events.xml", out->events_xml},
                     {"alerts.json", out->alerts_json},
                     {"active-responses.log", out->ar_log},
                     {"scheduled-tasks.log", out->tasks_log},
                     {"console.txt", out->console_txt},
                     {"tasks.json", out->tasks_json}};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            if (!files[i].data)
                continue; /* events.xml streamed */
            char *p = tl_path_join(scen_dir, files[i].name);
            TL_TRY_ALLOC(p);
            st = tl_file_write_atomic(p, files[i].data, strlen(files[i].data), d);
            tl_free(p);
            TL_TRY(st);
        }
    }

    if (live)
        tl_replay_live_finish(live, also_out);
    if (rb && o->record) {
        *o->record = tl_recb_finish(rb);
        rb = NULL;
    }

cleanup:
    tl_replay_live_free(live); /* before rb: it reads rb's recording */
    tl_recb_free(rb);

    if (st != TL_OK)
        tl_run_result_clear(out);
    while (q.n) {
        job j = jobq_pop(&q);
        job_free(&j);
    }
    tl_free(q.v);
    for (size_t i = 0; lcs && i < nlc; i++)
        tl_logcollector_free(lcs[i]);
    tl_free(lcs);
    tl_agent_conf_free(aconf);
    tl_free(agent_conf_path);
    tl_execd_free(c.execd);
    tl_engine_free(c.engine);
    tl_timeline_free(c.tl);
    tl_sim_free(sim);
    tl_memdrive_free(rmem);
    tl_replay_free(rp);
    tl_buf_free(&rline);
    tl_free(rec_xml);
    tl_free(rec_msg);
    tl_free(rec_channel);
    tl_free(rec_explain);
    evsink_free(&c.events);
    tl_buf_free(&c.alerts);
    tl_buf_free(&c.trace);
    tl_buf_free(&c.queue);
    tl_buf_free(&c.fired);
    tl_buf_free(&c.chain);
    tl_buf_free(&c.chain_desc);
    tl_buf_free(&c.desc);
    for (size_t i = 0; i < c.ndropped; i++)
        tl_free(c.dropped[i].text);
    tl_free(c.dropped);
    tl_whynot_free(c.why);
    if (temp_drive)
        tl_tempdir_free(temp_dir, temp_lock);
    if (wine_drive)
        wine_reset(drive);
    tl_free(scen_dir);
    return st;
}

tl_status tl_pipeline_run(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                          tl_run_result *out, tl_diag *d)
{
    return run(sc, rs, o, out, d, NULL, 0, NULL, NULL, NULL);
}

tl_status tl_pipeline_run_also(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                               tl_run_result *out, tl_diag *d, const tl_ruleset *const *also,
                               size_t n_also, tl_run_result *also_out, tl_status *also_sts,
                               tl_diag *also_ds)
{
    for (size_t k = 0; k < n_also; k++) {
        memset(&also_out[k], 0, sizeof also_out[k]);
        tl_diag_clear(&also_ds[k]);
        also_sts[k] = TL_OK;
    }
    tl_status st = TL_E_INVAL;
    if (n_also && o->ar_mode == TL_AR_WINE) /* a replay runs the AR inproc or as a child */
        tl_diag_set(d, tl_scenario_path(sc), 0, "replays alongside a run need the inproc or exec AR");
    else
        st = run(sc, rs, o, out, d, also, n_also, also_out, also_sts, also_ds);
    for (size_t k = 0; st != TL_OK && k < n_also; k++) { /* a failed run fails them all */
        tl_run_result_clear(&also_out[k]);
        also_sts[k] = st;
        also_ds[k] = *d;
    }
    return st;
}
