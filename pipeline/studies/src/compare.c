/* SPDX-License-Identifier: MIT */
/*
 * tasklab compare: a scenario's simulated records against a recording of the
 * same procedure, field by field (tasklab/compare.h has the rules).
 *
 * Both sides are one-line EvtRender XML (the simulator writes it; tl_replay
 * re-serialises recordings into it), so fields are read as escaped text and
 * compared byte for byte. Each record becomes a flat list of fields:
 *   System.Provider, System.Version, System.Level, System.Task, System.Opcode,
 *   System.Keywords, System.TimeCreated, System.EventRecordID,
 *   System.ProcessID, System.ThreadID, System.Channel, System.Computer,
 *   System.UserID, and every <Data Name='X'> as X.
 *
 * Worked example (mshta-dropper against its recording): the simulated Event 1
 * of schtasks.exe aligns with record 4129; ProcessGuid, ProcessId, UtcTime,
 * LogonGuid, Hashes differ (legitimate), CommandLine and Image are equal; the
 * simulated Event 12/13 TaskCache writes by svchost.exe have no counterpart and
 * the recording holds no Event 12 or 13 by svchost.exe at all: not logged by the
 * recording's config. Records 4125-4128 (cmd, rundll32, mshta, a connection)
 * are before the scenario's single step: not simulated.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/compare.h"

#include "tasklab/replay.h"
#include "tasklab/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 100000 /* records per side (a twin is a handful) */

typedef struct field {
    char *name, *value;
} field;

typedef struct event {
    char *channel;
    int eid;
    char *image, *target; /* folded alignment keys ("" when none) */
    char *label;          /* "Sysmon 1 C:\...\schtasks.exe" */
    char *record_id;
    field *f;
    size_t nf;
    long match; /* index on the other side, -1 */
} event;

typedef struct side {
    event *v;
    size_t n, cap;
} side;

typedef struct diff {
    int kind;         /* D_FIELD, D_ONLY_SIM, D_ONLY_REC */
    int real;         /* 1 real, 0 legitimate */
    size_t sim, rec;  /* event indexes (when they apply) */
    char *field;      /* D_FIELD */
    char *sim_value;  /* NULL: absent */
    char *rec_value;
    const char *why;  /* the class */
} diff;

enum { D_FIELD = 0, D_ONLY_SIM, D_ONLY_REC };

struct tl_compare {
    char *scenario, *recording;
    side sim, rec;
    diff *d;
    size_t nd, capd, nreal, nlegit, naligned;
};

/* ---- parsing the EvtRender form ------------------------------------------------ */

static tl_status add_field(event *e, const char *name, size_t nl, const char *val, size_t vl)
{
    field *nv = tl_realloc(e->f, (e->nf + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    e->f = nv;
    nv[e->nf].name = tl_strndup(name, nl);
    nv[e->nf].value = tl_strndup(val, vl);
    if (!nv[e->nf].name || !nv[e->nf].value) {
        tl_free(nv[e->nf].name);
        tl_free(nv[e->nf].value);
        return TL_E_NOMEM;
    }
    e->nf++;
    return TL_OK;
}

/* <Tag>text</Tag> inside the System element. */
static tl_status sys_text(event *e, const char *x, const char *tag, const char *name)
{
    char open[40];
    snprintf(open, sizeof open, "<%s", tag);
    const char *p = strstr(x, open);
    if (!p || (p[strlen(open)] != '>' && p[strlen(open)] != ' '))
        return TL_OK;
    p = strchr(p, '>');
    if (!p || p[-1] == '/')
        return TL_OK;
    p++;
    const char *q = strchr(p, '<');
    return q ? add_field(e, name, strlen(name), p, (size_t)(q - p)) : TL_OK;
}

/* attr='value' of the first <Tag ...> element. */
static tl_status sys_attr(event *e, const char *x, const char *tag, const char *attr,
                          const char *name)
{
    char open[40], a[40];
    snprintf(open, sizeof open, "<%s ", tag);
    snprintf(a, sizeof a, " %s='", attr);
    const char *p = strstr(x, open);
    if (!p)
        return TL_OK;
    const char *end = strchr(p, '>');
    const char *v = strstr(p, a);
    if (!v || (end && v > end))
        return TL_OK;
    v += strlen(a);
    const char *q = strchr(v, '\'');
    return q ? add_field(e, name, strlen(name), v, (size_t)(q - v)) : TL_OK;
}

static const char *get(const event *e, const char *name)
{
    for (size_t i = 0; i < e->nf; i++)
        if (!strcmp(e->f[i].name, name))
            return e->f[i].value;
    return NULL;
}

static char *fold(const char *s)
{
    char *f = tl_strdup(s ? s : "");
    for (char *p = f; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return f;
}

static tl_status parse_event(const char *xml, event *e)
{
    tl_status st = TL_OK;
    memset(e, 0, sizeof *e);
    e->match = -1;
    const char *sys_end = strstr(xml, "</System>");
    char *sys = sys_end ? tl_strndup(xml, (size_t)(sys_end - xml)) : tl_strdup(xml);
    TL_TRY_ALLOC(sys);
    TL_TRY(sys_attr(e, sys, "Provider", "Name", "System.Provider"));
    TL_TRY(sys_text(e, sys, "EventID", "System.EventID"));
    TL_TRY(sys_text(e, sys, "Version", "System.Version"));
    TL_TRY(sys_text(e, sys, "Level", "System.Level"));
    TL_TRY(sys_text(e, sys, "Task", "System.Task"));
    TL_TRY(sys_text(e, sys, "Opcode", "System.Opcode"));
    TL_TRY(sys_text(e, sys, "Keywords", "System.Keywords"));
    TL_TRY(sys_attr(e, sys, "TimeCreated", "SystemTime", "System.TimeCreated"));
    TL_TRY(sys_text(e, sys, "EventRecordID", "System.EventRecordID"));
    TL_TRY(sys_attr(e, sys, "Execution", "ProcessID", "System.ProcessID"));
    TL_TRY(sys_attr(e, sys, "Execution", "ThreadID", "System.ThreadID"));
    TL_TRY(sys_text(e, sys, "Channel", "System.Channel"));
    TL_TRY(sys_text(e, sys, "Computer", "System.Computer"));
    TL_TRY(sys_attr(e, sys, "Security", "UserID", "System.UserID"));
    /* <Data Name='X'>v</Data> and <Data Name='X'/> after System */
    for (const char *p = sys_end ? sys_end : xml; (p = strstr(p, "<Data Name='")) != NULL;) {
        const char *n = p + strlen("<Data Name='");
        const char *nq = strchr(n, '\'');
        if (!nq)
            break;
        const char *gt = strchr(nq, '>');
        if (!gt)
            break;
        if (gt[-1] == '/') {
            TL_TRY(add_field(e, n, (size_t)(nq - n), "", 0));
            p = gt + 1;
            continue;
        }
        const char *end = strstr(gt + 1, "</Data>");
        if (!end)
            break;
        TL_TRY(add_field(e, n, (size_t)(nq - n), gt + 1, (size_t)(end - gt - 1)));
        p = end + strlen("</Data>");
    }
    {
        const char *ch = get(e, "System.Channel");
        const char *id = get(e, "System.EventID");
        e->channel = tl_strdup(ch ? ch : "");
        e->eid = id ? atoi(id) : 0;
        const char *img = get(e, "Image");
        if (!img)
            img = get(e, "SourceImage");
        const char *tgt = NULL;
        if (e->eid != 1) {
            static const char *const tkeys[] = {"TargetObject", "TargetFilename", "TargetImage",
                                                "TaskName", "DestinationIp"};
            for (size_t k = 0; !tgt && k < sizeof tkeys / sizeof tkeys[0]; k++)
                tgt = get(e, tkeys[k]);
        }
        e->image = fold(img);
        e->target = fold(tgt);
        const char *rid = get(e, "System.EventRecordID");
        e->record_id = tl_strdup(rid ? rid : "?");
        tl_buf l = TL_BUF_INIT;
        const char *chs = strstr(e->channel, "Sysmon") ? "Sysmon" : e->channel;
        tl_buf_printf(&l, "%s %d", chs, e->eid);
        if (img)
            tl_buf_printf(&l, " %s", img);
        if (tgt)
            tl_buf_printf(&l, " -> %s", tgt);
        e->label = tl_buf_take(&l);
        TL_TRY_ALLOC(e->channel);
        TL_TRY_ALLOC(e->image);
        TL_TRY_ALLOC(e->target);
        TL_TRY_ALLOC(e->record_id);
        TL_TRY_ALLOC(e->label);
    }
cleanup:
    tl_free(sys);
    return st;
}

static void event_free(event *e)
{
    for (size_t i = 0; i < e->nf; i++) {
        tl_free(e->f[i].name);
        tl_free(e->f[i].value);
    }
    tl_free(e->f);
    tl_free(e->channel);
    tl_free(e->image);
    tl_free(e->target);
    tl_free(e->label);
    tl_free(e->record_id);
}

static tl_status side_add(side *s, const char *xml, tl_diag *d, const char *what)
{
    if (s->n >= MAX_EVENTS) {
        tl_diag_set(d, what, 0, "more than %d records: not a twin of a scenario", MAX_EVENTS);
        return TL_E_LIMIT;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        event *nv = tl_realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        s->v = nv;
        s->cap = nc;
    }
    tl_status st = parse_event(xml, &s->v[s->n]);
    if (st != TL_OK) {
        event_free(&s->v[s->n]);
        return st;
    }
    s->n++;
    return TL_OK;
}

/* ---- classification ------------------------------------------------------------ */

/* Fields whose values legitimately differ between two runs of one procedure. */
static const char *legit_class(const char *name)
{
    static const struct {
        const char *name;
        const char *why;
    } t[] = {
        {"System.TimeCreated", "time"},
        {"System.EventRecordID", "record id"},
        {"System.ProcessID", "process id (of the logger)"},
        {"System.ThreadID", "thread id (of the logger)"},
        {"System.Computer", "host name"},
        {"System.UserID", "user SID"},
        {"UtcTime", "time"},
        {"CreationUtcTime", "time"},
        {"PreviousCreationUtcTime", "time"},
        {"ProcessGuid", "GUID"},
        {"ParentProcessGuid", "GUID"},
        {"SourceProcessGuid", "GUID"},
        {"SourceProcessGUID", "GUID"},
        {"TargetProcessGuid", "GUID"},
        {"TargetProcessGUID", "GUID"},
        {"LogonGuid", "GUID"},
        {"ProcessId", "process id"},
        {"ParentProcessId", "process id"},
        {"SourceProcessId", "process id"},
        {"TargetProcessId", "process id"},
        {"SourceThreadId", "thread id"},
        {"LogonId", "logon id"},
        {"SubjectLogonId", "logon id"},
        {"TerminalSessionId", "session"},
        {"Hashes", "hash"},
        {"Hash", "hash"},
        {"User", "lab user name"},
        {"ParentUser", "lab user name"},
        {"SubjectUserName", "lab user name"},
        {"SubjectUserSid", "user SID"},
        {"SubjectDomainName", "host or domain name"},
        {"RuleName", "Sysmon config (rule names)"},
        /* the host's patch level: Windows 7 SP1 keeps RTM builds of many binaries */
        {"FileVersion", "patch level of the host"},
        /* what started the chain is not simulated: a scenario's "parent" is an
         * already running process named by its image only (scenarios/README.md) */
        {"ParentCommandLine", "the unsimulated parent's command line"},
        {"CurrentDirectory", "working folder inherited from the unsimulated parent"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].name, name))
            return t[i].why;
    return NULL;
}

/* Fields later Sysmon versions added: absent from an older recording's event. */
static int newer_sysmon_field(const char *name)
{
    static const char *const t[] = {"OriginalFileName", /* Sysmon 10 */
                                    "ParentUser",       /* Sysmon 13.30 */
                                    "User",             /* Events 11-13 since Sysmon 13.30 */
                                    "Archived",         /* Event 23/26 */
                                    NULL};
    for (size_t i = 0; t[i]; i++)
        if (!strcmp(t[i], name))
            return 1;
    return 0;
}

static tl_status add_diff(tl_compare *c, diff x)
{
    if (c->nd == c->capd) {
        size_t nc = c->capd ? c->capd * 2 : 32;
        diff *nv = tl_realloc(c->d, nc * sizeof *nv);
        if (!nv) {
            tl_free(x.field);
            tl_free(x.sim_value);
            tl_free(x.rec_value);
            return TL_E_NOMEM;
        }
        c->d = nv;
        c->capd = nc;
    }
    c->d[c->nd++] = x;
    if (x.real)
        c->nreal++;
    else
        c->nlegit++;
    return TL_OK;
}

static tl_status field_diff(tl_compare *c, size_t si, size_t ri, const char *name, const char *sv,
                            const char *rv)
{
    diff x;
    memset(&x, 0, sizeof x);
    x.kind = D_FIELD;
    x.sim = si;
    x.rec = ri;
    x.why = legit_class(name);
    if (!x.why && (!sv || !rv) && newer_sysmon_field(name))
        x.why = "Sysmon version (a field newer versions add)";
    x.real = x.why == NULL;
    if (!x.why)
        x.why = sv && rv ? "value" : sv ? "only in the simulation" : "only in the recording";
    x.field = tl_strdup(name);
    x.sim_value = sv ? tl_strdup(sv) : NULL;
    x.rec_value = rv ? tl_strdup(rv) : NULL;
    if (!x.field || (sv && !x.sim_value) || (rv && !x.rec_value)) {
        tl_free(x.field);
        tl_free(x.sim_value);
        tl_free(x.rec_value);
        return TL_E_NOMEM;
    }
    return add_diff(c, x);
}

static int same_key(const event *a, const event *b)
{
    return a->eid == b->eid && !strcmp(a->channel, b->channel) && !strcmp(a->image, b->image) &&
           !strcmp(a->target, b->target);
}

static tl_status align_and_compare(tl_compare *c)
{
    tl_status st = TL_OK;
    size_t from = 0;
    for (size_t i = 0; i < c->sim.n; i++) {
        event *s = &c->sim.v[i];
        for (size_t j = from; j < c->rec.n; j++)
            if (c->rec.v[j].match < 0 && same_key(s, &c->rec.v[j])) {
                s->match = (long)j;
                c->rec.v[j].match = (long)i;
                from = j + 1;
                break;
            }
    }
    for (size_t i = 0; i < c->sim.n; i++) {
        event *s = &c->sim.v[i];
        if (s->match < 0) {
            /* does the recording log this kind of event of this image at all? A
             * process creation is never excused when the recording logs process
             * creations: configs filter registry, file and image-load events by
             * target, not the procedure's own processes. */
            int logged = 0;
            for (size_t j = 0; j < c->rec.n && !logged; j++) {
                const event *r = &c->rec.v[j];
                logged = r->eid == s->eid && !strcmp(r->channel, s->channel) &&
                         (s->eid == 1 || !strcmp(r->image, s->image));
            }
            diff x;
            memset(&x, 0, sizeof x);
            x.kind = D_ONLY_SIM;
            x.sim = i;
            x.real = logged;
            x.why = logged ? "the recording logs such events, but not this one"
                           : "not logged by the recording's Sysmon config (no such event of this "
                             "image in it)";
            TL_TRY(add_diff(c, x));
            continue;
        }
        c->naligned++;
        const event *r = &c->rec.v[s->match];
        for (size_t k = 0; k < s->nf; k++) {
            const char *rv = get(r, s->f[k].name);
            if (!rv || strcmp(rv, s->f[k].value))
                TL_TRY(field_diff(c, i, (size_t)s->match, s->f[k].name, s->f[k].value, rv));
        }
        for (size_t k = 0; k < r->nf; k++)
            if (!get(s, r->f[k].name))
                TL_TRY(field_diff(c, i, (size_t)s->match, r->f[k].name, NULL, r->f[k].value));
    }
    if (!c->naligned && c->sim.n) {
        diff x; /* nothing of the procedure is in the recording: not its twin */
        memset(&x, 0, sizeof x);
        x.kind = D_ONLY_SIM;
        x.sim = 0;
        x.real = 1;
        x.why = "no simulated record aligns with any recorded one";
        TL_TRY(add_diff(c, x));
    }
    for (size_t j = 0; j < c->rec.n; j++)
        if (c->rec.v[j].match < 0) {
            diff x;
            memset(&x, 0, sizeof x);
            x.kind = D_ONLY_REC;
            x.rec = j;
            x.real = 0;
            x.why = "not simulated (the recording holds more than the scenario's steps)";
            TL_TRY(add_diff(c, x));
        }
cleanup:
    return st;
}

/* ---- the study ------------------------------------------------------------------ */

tl_status tl_compare_run(const tl_scenario *sc, const tl_compare_opts *o, tl_compare **out,
                         tl_diag *d)
{
    tl_status st = TL_OK;
    tl_compare *c = NULL;
    tl_sim *sim = NULL;
    tl_replay *rp = NULL;
    if (tl_scenario_recording(sc)) {
        tl_diag_set(d, tl_scenario_path(sc), 0,
                    "a recording scenario: nothing simulated to compare (name a simulated "
                    "scenario)");
        return TL_E_INVAL;
    }
    c = tl_calloc(1, sizeof *c);
    TL_TRY_ALLOC(c);
    c->scenario = tl_strdup(tl_scenario_name(sc));
    c->recording = tl_strdup(o->recording);
    TL_TRY_ALLOC(c->scenario);
    TL_TRY_ALLOC(c->recording);
    tl_sim_opts so;
    memset(&so, 0, sizeof so);
    so.etc_dir = o->etc_dir;
    so.shared_dir = o->shared_dir;
    TL_TRY(tl_sim_new(sc, &so, &sim, d));
    {
        tl_record r;
        while (tl_sim_next_record(sim, &r))
            TL_TRY(side_add(&c->sim, r.xml, d, tl_scenario_path(sc)));
        for (size_t i = 0; i < tl_sim_step_count(sim); i++) {
            TL_TRY(tl_sim_run_step(sim, i, d));
            while (tl_sim_next_record(sim, &r))
                TL_TRY(side_add(&c->sim, r.xml, d, tl_scenario_path(sc)));
        }
    }
    TL_TRY(tl_replay_open(o->recording, TL_REPLAY_AUTO, &rp, d));
    {
        tl_replay_record rr;
        int got = 0;
        while ((st = tl_replay_next(rp, &rr, &got)) == TL_OK && got)
            if (rr.event_len) /* a queue capture's log lines (no Event) have nothing to align */
                TL_TRY(side_add(&c->rec, rr.event, d, o->recording));
        TL_TRY(st);
        if (!c->rec.n) {
            tl_diag_set(d, o->recording, 0, "no record could be read");
            TL_FAIL(TL_E_PARSE);
        }
    }
    TL_TRY(align_and_compare(c));
    *out = c;
    c = NULL;
cleanup:
    tl_replay_free(rp);
    tl_sim_free(sim);
    tl_compare_free(c);
    return st;
}

void tl_compare_free(tl_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->sim.n; i++)
        event_free(&c->sim.v[i]);
    for (size_t i = 0; i < c->rec.n; i++)
        event_free(&c->rec.v[i]);
    tl_free(c->sim.v);
    tl_free(c->rec.v);
    for (size_t i = 0; i < c->nd; i++) {
        tl_free(c->d[i].field);
        tl_free(c->d[i].sim_value);
        tl_free(c->d[i].rec_value);
    }
    tl_free(c->d);
    tl_free(c->scenario);
    tl_free(c->recording);
    tl_free(c);
}

size_t tl_compare_real(const tl_compare *c) { return c->nreal; }

/* ---- output --------------------------------------------------------------------- */

static void put_value(tl_buf *out, const char *v)
{
    if (!v) {
        tl_buf_puts(out, "(absent)");
        return;
    }
    size_t n = strlen(v);
    tl_buf_putc(out, '"');
    tl_buf_append(out, v, n > 200 ? 200 : n);
    if (n > 200)
        tl_buf_puts(out, "…");
    tl_buf_putc(out, '"');
}

void tl_compare_text(const tl_compare *c, tl_buf *out)
{
    tl_buf_printf(out, "compare %s with %s: %zu simulated, %zu recorded records, %zu aligned\n",
                  c->scenario, c->recording, c->sim.n, c->rec.n, c->naligned);
    for (size_t i = 0; i < c->sim.n; i++) {
        const event *s = &c->sim.v[i];
        if (s->match < 0)
            continue;
        tl_buf_printf(out, "\nsimulated #%zu %s = record %s\n", i + 1, s->label,
                      c->rec.v[s->match].record_id);
        for (size_t k = 0; k < c->nd; k++) {
            const diff *x = &c->d[k];
            if (x->kind != D_FIELD || x->sim != i)
                continue;
            tl_buf_printf(out, "  %-10s %s (%s): ", x->real ? "REAL" : "legitimate", x->field,
                          x->why);
            put_value(out, x->sim_value);
            tl_buf_puts(out, " vs ");
            put_value(out, x->rec_value);
            tl_buf_putc(out, '\n');
        }
    }
    int hdr = 0;
    for (size_t k = 0; k < c->nd; k++) {
        const diff *x = &c->d[k];
        if (x->kind != D_ONLY_SIM)
            continue;
        if (!hdr++)
            tl_buf_puts(out, "\nonly in the simulation:\n");
        tl_buf_printf(out, "  %-10s simulated #%zu %s: %s\n", x->real ? "REAL" : "legitimate",
                      x->sim + 1, c->sim.v[x->sim].label, x->why);
    }
    hdr = 0;
    for (size_t k = 0; k < c->nd; k++) {
        const diff *x = &c->d[k];
        if (x->kind != D_ONLY_REC)
            continue;
        if (!hdr++)
            tl_buf_puts(out, "\nonly in the recording:\n");
        tl_buf_printf(out, "  %-10s record %s %s: %s\n", "legitimate", c->rec.v[x->rec].record_id,
                      c->rec.v[x->rec].label, x->why);
    }
    tl_buf_printf(out, "\n%zu real difference%s, %zu legitimate\n", c->nreal,
                  c->nreal == 1 ? "" : "s", c->nlegit);
}

void tl_compare_json(const tl_compare *c, tl_buf *out)
{
    tl_buf_puts(out, "{\"tasklab_compare\":1,\"scenario\":");
    tl_buf_json_str(out, c->scenario);
    tl_buf_puts(out, ",\"recording\":");
    tl_buf_json_str(out, c->recording);
    tl_buf_printf(out, ",\"simulated\":%zu,\"recorded\":%zu,\"aligned\":%zu,\"real\":%zu,"
                       "\"legitimate\":%zu,\"differences\":[",
                  c->sim.n, c->rec.n, c->naligned, c->nreal, c->nlegit);
    static const char *const kinds[] = {"field", "only_simulated", "only_recorded"};
    for (size_t k = 0; k < c->nd; k++) {
        const diff *x = &c->d[k];
        tl_buf_printf(out, "%s{\"kind\":\"%s\",\"real\":%s,\"class\":", k ? "," : "",
                      kinds[x->kind], x->real ? "true" : "false");
        tl_buf_json_str(out, x->why);
        if (x->kind != D_ONLY_REC) {
            tl_buf_printf(out, ",\"simulated\":%zu,\"simulated_event\":", x->sim + 1);
            tl_buf_json_str(out, c->sim.v[x->sim].label);
        }
        if (x->kind != D_ONLY_SIM) {
            tl_buf_puts(out, ",\"record\":");
            tl_buf_json_str(out, c->rec.v[x->rec].record_id);
            tl_buf_puts(out, ",\"recorded_event\":");
            tl_buf_json_str(out, c->rec.v[x->rec].label);
        }
        if (x->kind == D_FIELD) {
            tl_buf_puts(out, ",\"field\":");
            tl_buf_json_str(out, x->field);
            tl_buf_puts(out, ",\"simulated_value\":");
            if (x->sim_value)
                tl_buf_json_str(out, x->sim_value);
            else
                tl_buf_puts(out, "null");
            tl_buf_puts(out, ",\"recorded_value\":");
            if (x->rec_value)
                tl_buf_json_str(out, x->rec_value);
            else
                tl_buf_puts(out, "null");
        }
        tl_buf_putc(out, '}');
    }
    tl_buf_puts(out, "]}\n");
}
