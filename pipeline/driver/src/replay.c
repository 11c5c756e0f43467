/* SPDX-License-Identifier: MIT */
/*
 * Record once, replay many times: the seam studies (tasklab mutate) use to run
 * one scenario against many rulesets.
 *
 * Everything before the manager does not depend on the rules: the simulator's
 * steps, the records Sysmon and the other channels log, which of them the agent
 * forwards, and the files the simulator writes on the endpoint. The recording
 * keeps exactly that, in the order run.c's discrete-event loop processes it:
 *   - STEP items (the step's time, and the endpoint files it changed);
 *   - RECORD items (the record's time and, when agent.conf reads its channel,
 *     the analysisd queue line the agent sends).
 * run.c interleaves AR runs and logcollector polls with those by (time, kind,
 * sequence); the relative order of steps and records is fixed by the simulator
 * alone (AR runs and polls never touch the simulator), so replay merges its own
 * job queue with the recorded sequence with the same comparison and gets the
 * same total order. Ties: records < AR runs < polls < steps, as in run.c.
 *
 * Endpoint files: the simulator mirrors its files into a drive held in memory
 * (base memdrive.c: the semantics and limits of the host walk, no host file);
 * the recording reads it after tl_sim_new and after each step and keeps what
 * changed (whole file contents, as the mirroring writes whole files). The
 * active response only reads that drive, so replay builds a temporary drive
 * lazily, at the first AR run, from the initial files plus the changes of the
 * steps done so far, and applies each later step's changes at the step's turn:
 * in memory for the inproc AR (the AR core and the logcollector read it there),
 * a private host folder for exec and wine. An inproc replay touches no disk.
 *
 * The replay is checked against tl_pipeline_run (alerts.json,
 * active-responses.log, scheduled-tasks.log byte-identical) for every scenario
 * of the library by the CTest `unit.test_record_replay`.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/pipeline.h"
#include "tasklab/platform.h"

#include "record_int.h"
#include "recorded_int.h"
#include "tasklab/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TL_AR_DELAY (500 * 1000)    /* same as run.c: alert -> AR start */
#define TL_POLL_DELAY (1000 * 1000) /* same as run.c: AR -> logcollector read */

enum { K_RECORD = 0, K_AR = 1, K_POLL = 2, K_STEP = 3 };

typedef struct rfile {
    char *rel;  /* path relative to the drive, '/' separated */
    char *data; /* NULL for a folder */
    size_t len;
    int del;   /* in a change list: 1 = removed */
    int isdir; /* a folder (data NULL) */
} rfile;

typedef struct rfiles {
    rfile *v;
    size_t n, cap;
} rfiles;

typedef struct ritem {
    tl_time time;
    int kind;    /* K_RECORD or K_STEP */
    char *line;  /* K_RECORD: the queue line, NULL when not forwarded */
    rfiles chg;  /* K_STEP: files the step changed */
} ritem;

struct tl_recording {
    char *name;
    char *path;
    char *agent_id;
    char *agent_name;
    char *agent_dir;
    char **locations; /* agent.conf file <localfile>s */
    size_t nloc;
    rfiles init; /* the drive after tl_sim_new */
    ritem *items;
    size_t nitems, capitems;
    size_t nrecords, nforwarded;
    int recorded; /* a recording scenario: its records, no active response (recorded.c) */
};

/* ---- files ------------------------------------------------------------------ */

static tl_status rfiles_push(rfiles *f, rfile x)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 16;
        rfile *nv = tl_realloc(f->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        f->v = nv;
        f->cap = nc;
    }
    f->v[f->n++] = x;
    return TL_OK;
}

static void rfiles_free(rfiles *f)
{
    for (size_t i = 0; i < f->n; i++) {
        tl_free(f->v[i].rel);
        tl_free(f->v[i].data);
    }
    tl_free(f->v);
    memset(f, 0, sizeof *f);
}

static int rfile_cmp(const void *a, const void *b)
{
    return strcmp(((const rfile *)a)->rel, ((const rfile *)b)->rel);
}

/* A private temporary drive: base's "$TMPDIR/tasklab-XXXXXX" with its owner
 * lock (so the stale-file cleaner of another tasklab process leaves it alone
 * while this one lives), the drive being drive_c inside it, as run.c does. */
typedef struct tdrive {
    char dir[4000];
    char drive[4096];
    int lock;
    int live;
    tl_memdrive *mem; /* a drive in memory instead (nothing on the host) */
} tdrive;

/* What of the drive a replay needs: the AR reads only task files
 * (C:\Windows\System32\Tasks) and writes only below the agent's folder, which the
 * logcollector reads (pipeline/ar/README.md); nothing else of the endpoint is
 * read after the simulator is done. Keeping only these two trees (and the
 * folders above them) makes a recording cheap: most of the drive is never
 * read, copied or rebuilt. kept[] are '/' separated, compared ignoring case. */
typedef struct keep {
    const char *v[2];
    size_t n;
} keep;

/* 1: rel is inside a kept tree, 2: a folder above one, 0: neither */
static int kept(const keep *k, const char *rel)
{
    size_t n = strlen(rel);
    for (size_t i = 0; i < k->n; i++) {
        size_t m = strlen(k->v[i]);
        if (n >= m && !tl_strncasecmp(rel, k->v[i], m) && (rel[m] == 0 || rel[m] == '/'))
            return 1;
        if (n < m && !tl_strncasecmp(rel, k->v[i], n) && k->v[i][n] == '/')
            return 2;
    }
    return 0;
}

/* The kept entries of a memory drive (the simulator's mirror). */
static tl_status mem_entries(const tl_memdrive *m, const keep *k, rfiles *f)
{
    for (size_t i = 0, n = tl_memdrive_count(m); i < n; i++) {
        const char *data = NULL;
        size_t len = 0;
        int isdir = 0;
        const char *rel = tl_memdrive_entry(m, i, &data, &len, &isdir);
        if (!kept(k, rel))
            continue;
        rfile x;
        memset(&x, 0, sizeof x);
        x.rel = tl_strdup(rel);
        x.isdir = isdir;
        if (!isdir) {
            x.len = len;
            x.data = tl_malloc(len + 1);
            if (x.data) {
                memcpy(x.data, data, len);
                x.data[len] = 0;
            }
        }
        if (!x.rel || (!isdir && !x.data) || rfiles_push(f, x) != TL_OK) {
            tl_free(x.rel);
            tl_free(x.data);
            return TL_E_NOMEM;
        }
    }
    return TL_OK;
}

/* The kept files of the simulator's memory mirror, sorted. */
static tl_status snapshot(const tl_memdrive *mem, const keep *k, rfiles *out)
{
    memset(out, 0, sizeof *out);
    tl_status st = mem_entries(mem, k, out);
    if (st != TL_OK) {
        rfiles_free(out);
        return st;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, rfile_cmp);
    return TL_OK;
}

static tl_status copy_entry(const rfile *src, int del, rfiles *dst)
{
    rfile x;
    memset(&x, 0, sizeof x);
    x.rel = tl_strdup(src->rel);
    x.del = del;
    x.isdir = src->isdir;
    x.len = src->len;
    if (src->data && !del) {
        x.data = tl_malloc(src->len + 1);
        if (x.data) {
            memcpy(x.data, src->data, src->len);
            x.data[src->len] = '\0';
        }
    }
    if (!x.rel || (src->data && !del && !x.data)) {
        tl_free(x.rel);
        tl_free(x.data);
        return TL_E_NOMEM;
    }
    tl_status st = rfiles_push(dst, x);
    if (st != TL_OK) {
        tl_free(x.rel);
        tl_free(x.data);
    }
    return st;
}

/* Changes from a to b (both sorted): added/changed entries of b in order, then
 * removed entries of a in reverse order (children before their folder). */
#define TL_TRY_ST(expr)                                                                            \
    do {                                                                                           \
        tl_status st_ = (expr);                                                                    \
        if (st_ != TL_OK)                                                                          \
            return st_;                                                                            \
    } while (0)

static tl_status diff(const rfiles *a, const rfiles *b, rfiles *out)
{
    size_t i = 0, j = 0;
    memset(out, 0, sizeof *out);
    while (j < b->n) {
        int c = i < a->n ? strcmp(a->v[i].rel, b->v[j].rel) : 1;
        if (c < 0) {
            i++;
            continue;
        }
        if (c == 0) {
            const rfile *x = &a->v[i], *y = &b->v[j];
            int same = x->isdir == y->isdir &&
                       (x->isdir || (x->len == y->len && !memcmp(x->data, y->data, x->len)));
            i++;
            j++;
            if (same)
                continue;
            TL_TRY_ST(copy_entry(y, 0, out));
            continue;
        }
        TL_TRY_ST(copy_entry(&b->v[j], 0, out));
        j++;
    }
    for (size_t k = a->n; k-- > 0;) {
        const rfile *x = &a->v[k];
        if (!bsearch(x, b->v, b->n, sizeof *b->v, rfile_cmp))
            TL_TRY_ST(copy_entry(x, 1, out));
    }
    return TL_OK;
}

/* Apply changes below root through base's descriptor-relative walk (never a
 * link, never outside root), as the simulator's own mirroring writes them. */
static tl_status apply(const tdrive *t, const rfiles *f, tl_diag *d)
{
    const char *root = t->drive;
    for (size_t i = 0; i < f->n; i++) {
        const rfile *x = &f->v[i];
        tl_status st;
        if (t->mem && x->del)
            st = tl_memdrive_remove(t->mem, x->rel, 0, d);
        else if (t->mem && x->isdir)
            st = tl_memdrive_mkdir(t->mem, x->rel, 0, d);
        else if (t->mem)
            st = tl_memdrive_write(t->mem, x->rel, TL_WALK_CREATE, x->data, x->len, d);
        else if (x->del)
            st = tl_walk_remove(root, x->rel, 0, d);
        else if (x->isdir)
            st = tl_walk_mkdir(root, x->rel, 0, d);
        else
            st = tl_walk_write(root, x->rel, TL_WALK_CREATE, x->data, x->len, d);
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}


static tl_status tdrive_new(tdrive *t, int in_memory, tl_diag *d)
{
    t->lock = -1;
    t->live = 0;
    t->mem = NULL;
    if (in_memory)
        return tl_memdrive_new("(memory drive)", &t->mem);
    tl_status st = tl_tempdir_new(t->dir, sizeof t->dir, &t->lock, d);
    if (st != TL_OK)
        return st;
    t->live = 1;
    snprintf(t->drive, sizeof t->drive, "%s/drive_c", t->dir);
    return tl_walk_mkdir(t->dir, "drive_c", 0, d);
}

static void tdrive_free(tdrive *t)
{
    tl_memdrive_free(t->mem);
    t->mem = NULL;
    if (t->live)
        tl_tempdir_free(t->dir, t->lock);
    t->live = 0;
}

/* ---- recording ---------------------------------------------------------------- */

static tl_status push_item(tl_recording *r, ritem it)
{
    if (r->nitems == r->capitems) {
        size_t nc = r->capitems ? r->capitems * 2 : 64;
        ritem *nv = tl_realloc(r->items, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        r->items = nv;
        r->capitems = nc;
    }
    r->items[r->nitems++] = it;
    return TL_OK;
}

void tl_recording_free(tl_recording *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nitems; i++) {
        tl_free(r->items[i].line);
        rfiles_free(&r->items[i].chg);
    }
    tl_free(r->items);
    rfiles_free(&r->init);
    for (size_t i = 0; i < r->nloc; i++)
        tl_free(r->locations[i]);
    tl_free(r->locations);
    tl_free(r->name);
    tl_free(r->path);
    tl_free(r->agent_id);
    tl_free(r->agent_name);
    tl_free(r->agent_dir);
    tl_free(r);
}

const char *tl_recording_name(const tl_recording *r)
{
    return r->name;
}

size_t tl_recording_forwarded(const tl_recording *r)
{
    return r->nforwarded;
}

tl_status tl_recording_files(const tl_recording *r, tl_recording_file_fn fn, void *ctx)
{
    for (size_t i = 0; i < r->init.n; i++) {
        const rfile *x = &r->init.v[i];
        if (!x->isdir && fn(ctx, (size_t)-1, x->rel, x->data, x->len, 0))
            return TL_E_INTERNAL;
    }
    size_t step = 0;
    for (size_t k = 0; k < r->nitems; k++) {
        const ritem *it = &r->items[k];
        if (it->kind != K_STEP)
            continue;
        for (size_t i = 0; i < it->chg.n; i++) {
            const rfile *x = &it->chg.v[i];
            if (!x->isdir && fn(ctx, step, x->rel, x->data, x->len, x->del))
                return TL_E_INTERNAL;
        }
        step++;
    }
    return TL_OK;
}

/* ---- building a recording ----------------------------------------------------
 * One builder for tl_pipeline_record and for a full run that hands out its
 * recording (tl_run_opts.record, run.c): both feed it the same things in the
 * same order, so the two recordings of a scenario are the same. The endpoint
 * files are read from the memory drive the simulator mirrors into (for a full
 * run, a second mirror beside its host drive, which only the simulator
 * writes: the AR's own files are the replay's to make). */
struct tl_recb {
    tl_recording *r;
    const tl_memdrive *mem; /* borrowed: the simulator's mirror (NULL: a recording scenario) */
    keep kp;
    char *agent_rel;
    rfiles prev; /* the kept files after tl_sim_new or the last step */
};

void tl_recb_free(tl_recb *b)
{
    if (!b)
        return;
    tl_recording_free(b->r);
    tl_free(b->agent_rel);
    rfiles_free(&b->prev);
    tl_free(b);
}

tl_status tl_recb_new(const tl_scenario *sc, tl_recb **out)
{
    tl_status st = TL_OK;
    tl_recb *b = tl_calloc(1, sizeof *b);
    TL_TRY_ALLOC(b);
    TL_TRY_ALLOC(b->r = tl_calloc(1, sizeof *b->r));
    tl_recording *r = b->r;
    TL_TRY_ALLOC(r->name = tl_strdup(tl_scenario_name(sc)));
    TL_TRY_ALLOC(r->path = tl_strdup(tl_scenario_path(sc)));
    TL_TRY_ALLOC(r->agent_id = tl_strdup(tl_scenario_agent_id(sc)));
    TL_TRY_ALLOC(r->agent_name = tl_strdup(tl_scenario_agent_name(sc)));
    *out = b;
    b = NULL;
cleanup:
    tl_recb_free(b);
    return st;
}

tl_status tl_recb_start(tl_recb *b, const tl_sim *sim, const tl_memdrive *mem,
                        const tl_agent_conf *aconf)
{
    tl_status st = TL_OK;
    tl_recording *r = b->r;
    if (!sim) { /* a recording scenario: its records, no endpoint, no active response */
        r->recorded = 1;
        TL_TRY_ALLOC(r->agent_dir = tl_strdup(""));
        return TL_OK;
    }
    b->mem = mem;
    TL_TRY_ALLOC(r->agent_dir = tl_strdup(tl_sim_agent_dir(sim)));
    {
        /* "C:\Program Files (x86)\ossec-agent" -> "Program Files (x86)/ossec-agent" */
        tl_buf ab = TL_BUF_INIT;
        const char *a = r->agent_dir;
        if (a[0] && a[1] == ':')
            a += 2;
        while (*a == '\\')
            a++;
        for (; *a; a++)
            tl_buf_putc(&ab, *a == '\\' ? '/' : *a);
        TL_TRY_ALLOC(b->agent_rel = tl_buf_take(&ab));
        b->kp.v[0] = "Windows/System32/Tasks";
        b->kp.v[1] = b->agent_rel;
        b->kp.n = 2;
    }
    r->nloc = tl_agent_conf_file_count(aconf);
    if (r->nloc) {
        TL_TRY_ALLOC(r->locations = tl_calloc(r->nloc, sizeof *r->locations));
        for (size_t i = 0; i < r->nloc; i++)
            TL_TRY_ALLOC(r->locations[i] = tl_strdup(tl_agent_conf_file_location(aconf, i)));
    }
    rfiles none;
    memset(&none, 0, sizeof none);
    TL_TRY(snapshot(mem, &b->kp, &b->prev));
    TL_TRY(diff(&none, &b->prev, &r->init)); /* none is empty: everything is new */
cleanup:
    return st;
}

tl_status tl_recb_step(tl_recb *b, tl_time t)
{
    tl_status st = TL_OK;
    ritem it;
    rfiles cur;
    memset(&it, 0, sizeof it);
    memset(&cur, 0, sizeof cur);
    it.kind = K_STEP;
    it.time = t;
    if (b->mem) {
        TL_TRY(snapshot(b->mem, &b->kp, &cur));
        TL_TRY(diff(&b->prev, &cur, &it.chg));
        rfiles_free(&b->prev);
        b->prev = cur;
        memset(&cur, 0, sizeof cur);
    }
    TL_TRY(push_item(b->r, it));
    memset(&it, 0, sizeof it);
cleanup:
    rfiles_free(&cur);
    rfiles_free(&it.chg);
    return st;
}

tl_status tl_recb_record(tl_recb *b, tl_time t, const char *line)
{
    ritem it;
    memset(&it, 0, sizeof it);
    it.kind = K_RECORD;
    it.time = t;
    if (line && !(it.line = tl_strdup(line)))
        return TL_E_NOMEM;
    tl_status st = push_item(b->r, it);
    if (st != TL_OK) {
        tl_free(it.line);
        return st;
    }
    b->r->nrecords++;
    if (line)
        b->r->nforwarded++;
    return TL_OK;
}

tl_recording *tl_recb_finish(tl_recb *b)
{
    tl_recording *r = b->r;
    b->r = NULL;
    tl_recb_free(b);
    return r;
}

/* tl_pipeline_record (out set) and tl_pipeline_record_replay (n replays that
 * follow the simulation; out NULL: the recording is not kept). */
static tl_status record(const tl_scenario *sc, const tl_run_opts *o, tl_recording **out,
                        tl_diag *d, const tl_ruleset *const *rs, size_t n,
                        const tl_pipeline_replay_opts *po, tl_run_result *rout, tl_status *sts,
                        tl_diag *ds)
{
    tl_status st = TL_OK;
    tl_replay_live *live = NULL;
    tl_recb *b = NULL;
    tl_sim *sim = NULL;
    tl_agent_conf *aconf = NULL;
    char *agent_conf_path = NULL;
    tdrive td = {.lock = -1};
    tl_record rec;
    int have_rec = 0;
    size_t next_step = 0, nsteps = 0;

    TL_TRY(tl_recb_new(sc, &b));
    if (tl_scenario_recording(sc)) {
        /* the recording's records, forwarded as run.c forwards them */
        tl_replay *rp = NULL;
        tl_buf line = TL_BUF_INIT;
        tl_replay_record rr;
        int got = 0;
        tl_time burst = 0;
        TL_TRY(tl_recb_start(b, NULL, NULL, NULL));
        if (n)
            TL_TRY(tl_replay_live_new(b, out != NULL, rs, n, po, sts, ds, &live));
        TL_TRY(tl_recorded_open(sc, o->shared_dir, o->sysmon_config, &rp, d));
        while ((st = tl_replay_next(rp, &rr, &got)) == TL_OK && got) {
            if (!b->r->nrecords)
                burst = rr.time;
            tl_buf_reset(&line);
            tl_recorded_line(sc, &rr, &line);
            st = tl_buf_status(&line);
            if (st == TL_OK)
                st = tl_recb_record(b, burst, tl_buf_cstr(&line));
            if (st == TL_OK && live)
                st = tl_replay_live_next(live, 0, NULL, TL_OK, NULL);
            if (st != TL_OK)
                break;
        }
        tl_buf_free(&line);
        tl_replay_free(rp);
        TL_TRY(st);
        goto done;
    }
    /* the simulator mirrors its files into a memory drive, with the host walk's
     * semantics and limits (base memdrive.c): a recording touches no disk */
    TL_TRY(tdrive_new(&td, 1, d));

    tl_sim_opts so;
    memset(&so, 0, sizeof so);
    so.etc_dir = o->etc_dir;
    so.shared_dir = o->shared_dir;
    so.sysmon_config = o->sysmon_config;

    TL_TRY(tl_sim_new_via(sc, &so, td.mem, o->config_loader, o->config_loader_ctx, &sim, d));
    agent_conf_path = tl_path_join(o->etc_dir, "agent.conf");
    TL_TRY_ALLOC(agent_conf_path);
    TL_TRY(tl_agent_conf_load(agent_conf_path, &aconf, d));
    TL_TRY(tl_recb_start(b, sim, td.mem, aconf));
    if (n)
        TL_TRY(tl_replay_live_new(b, out != NULL, rs, n, po, sts, ds, &live));

    nsteps = tl_sim_step_count(sim);
    for (;;) {
        if (!have_rec && tl_sim_next_record(sim, &rec))
            have_rec = 1;
        int take_step = 0;
        if (next_step < nsteps) {
            tl_time t = tl_sim_step_time(sim, next_step);
            /* run.c: a step goes first only when strictly earlier (records < steps on ties) */
            take_step = !have_rec || t < rec.time;
        }
        if (!have_rec && !take_step)
            break;
        if (take_step) {
            tl_time t = tl_sim_step_time(sim, next_step);
            TL_TRY(tl_sim_run_step(sim, next_step, d));
            next_step++;
            TL_TRY(tl_recb_step(b, t));
            if (live)
                TL_TRY(tl_replay_live_next(live, 0, NULL, TL_OK, NULL));
            continue;
        }
        have_rec = 0;
        if (tl_agent_conf_reads_channel(aconf, rec.channel)) {
            char *payload = tl_agent_eventchannel_payload(rec.message, rec.xml);
            TL_TRY_ALLOC(payload);
            char *line = tl_agent_queue_line('f', b->r->agent_id, b->r->agent_name, "any",
                                             "EventChannel", payload);
            tl_free(payload);
            TL_TRY_ALLOC(line);
            st = tl_recb_record(b, rec.time, line);
            tl_free(line);
            TL_TRY(st);
        } else {
            TL_TRY(tl_recb_record(b, rec.time, NULL));
        }
        if (live)
            TL_TRY(tl_replay_live_next(live, 0, NULL, TL_OK, NULL));
    }
done:
    if (live)
        tl_replay_live_finish(live, rout);
    if (out) {
        *out = tl_recb_finish(b);
        b = NULL;
    }

cleanup:
    tl_replay_live_free(live); /* before b: it reads b's recording */
    tl_recb_free(b);
    tl_agent_conf_free(aconf);
    tl_free(agent_conf_path);
    tl_sim_free(sim);
    tdrive_free(&td);
    return st;
}

tl_status tl_pipeline_record(const tl_scenario *sc, const tl_run_opts *o, tl_recording **out,
                             tl_diag *d)
{
    return record(sc, o, out, d, NULL, 0, NULL, NULL, NULL, NULL);
}

tl_status tl_pipeline_record_replay(const tl_scenario *sc, const tl_run_opts *o,
                                    const tl_ruleset *const *rs, size_t n,
                                    const tl_pipeline_replay_opts *po, tl_run_result *out,
                                    tl_status *sts, tl_diag *ds, tl_diag *d)
{
    tl_status st = TL_E_INVAL;
    for (size_t k = 0; k < n; k++) {
        memset(&out[k], 0, sizeof out[k]);
        tl_diag_clear(&ds[k]);
        sts[k] = TL_OK;
    }
    if (po && (po->trace || po->on_feed)) /* callbacks see one replay at a time */
        tl_diag_set(d, tl_scenario_path(sc), 0, "replays side by side take no callbacks");
    else if (n)
        st = record(sc, o, NULL, d, rs, n, po, out, sts, ds);
    else
        st = TL_OK;
    for (size_t k = 0; st != TL_OK && k < n; k++) { /* a failed simulation fails them all */
        tl_run_result_clear(&out[k]);
        sts[k] = st;
        ds[k] = *d;
    }
    return st;
}

/* ---- replay ------------------------------------------------------------------- */

typedef struct rjob {
    tl_time time;
    int kind;
    uint64_t seq;
    char *executable;
    char *message;
    int timeout;
} rjob;

typedef struct rq {
    rjob *v;
    size_t n, cap;
    uint64_t seq;
} rq;

static int rjob_less(const rjob *a, const rjob *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    if (a->kind != b->kind)
        return a->kind < b->kind;
    return a->seq < b->seq;
}

static tl_status rq_push(rq *q, rjob j)
{
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        rjob *nv = tl_realloc(q->v, nc * sizeof *nv);
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
        if (!rjob_less(&q->v[i], &q->v[p]))
            break;
        rjob t = q->v[i];
        q->v[i] = q->v[p];
        q->v[p] = t;
        i = p;
    }
    return TL_OK;
}

static rjob rq_pop(rq *q)
{
    rjob top = q->v[0];
    q->v[0] = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && rjob_less(&q->v[l], &q->v[m]))
            m = l;
        if (r < q->n && rjob_less(&q->v[r], &q->v[m]))
            m = r;
        if (m == i)
            break;
        rjob t = q->v[i];
        q->v[i] = q->v[m];
        q->v[m] = t;
        i = m;
    }
    return top;
}

typedef struct rp {
    const tl_recording *rec;
    const tl_pipeline_replay_opts *o;
    tl_engine *engine;
    tl_execd *execd;
    tl_logcollector **lcs;
    rq q;
    tl_buf alerts;
    tl_time now;
    size_t steps_done;
    size_t feed_seq;
    size_t n_alerts, n_ar;
    int max_level;
    tdrive td;
    int have_drive;
    tl_status cb_status;
    tl_diag *d;
} rp;

/* What follows the manager's answer to one line: the alert, the AR runs. */
static tl_status after_feed(rp *c, const char *line, tl_status st, const tl_result *res,
                            const tl_diag *d)
{
    size_t seq = c->feed_seq++;
    if (st == TL_E_PARSE) {
        if (c->o && c->o->on_feed)
            c->o->on_feed(c->o->feed_ctx, seq, line, c->now, NULL);
        return TL_OK; /* dropped, as run.c does */
    }
    if (st != TL_OK) {
        tl_diag_set(c->d, c->rec->path, 0, "manager: %s", d->msg[0] ? d->msg : tl_strerror(st));
        return st;
    }
    if (c->o && c->o->on_feed)
        c->o->on_feed(c->o->feed_ctx, seq, line, c->now, res);
    if (res->alert_json) {
        tl_buf_puts(&c->alerts, res->alert_json);
        tl_buf_putc(&c->alerts, '\n');
        c->n_alerts++;
        if (res->level > c->max_level)
            c->max_level = res->level;
    }
    for (size_t i = 0; i < res->n_ar && !c->rec->recorded; i++) {
        rjob j;
        memset(&j, 0, sizeof j);
        j.time = c->now + TL_AR_DELAY;
        j.kind = K_AR;
        j.executable = tl_strdup(res->ar[i].executable);
        j.message = tl_strdup(res->ar[i].message);
        j.timeout = res->ar[i].timeout;
        st = (!j.executable || !j.message) ? TL_E_NOMEM : rq_push(&c->q, j);
        if (st != TL_OK) {
            tl_free(j.executable);
            tl_free(j.message);
            return st;
        }
    }
    return TL_OK;
}

static tl_status feed(rp *c, const char *line)
{
    tl_result res;
    tl_diag d;
    tl_diag_clear(&d);
    memset(&res, 0, sizeof res);
    tl_status st = tl_engine_process(c->engine, line, c->now, &res, &d);
    return after_feed(c, line, st, &res, &d);
}

/* feed() for a line decoded once for several engines (dv NULL: the decoding
 * dropped it, with status dst and diagnostics dd, as tl_engine_process would). */
static tl_status feed_decoded(rp *c, const char *line, const tl_decoded *dv, tl_status dst,
                              const tl_diag *dd)
{
    tl_result res;
    tl_diag d;
    tl_diag_clear(&d);
    memset(&res, 0, sizeof res);
    if (!dv)
        return after_feed(c, line, dst, &res, dd);
    tl_status st = tl_engine_process_decoded(c->engine, dv, c->now, &res, &d);
    return after_feed(c, line, st, &res, &d);
}

static void on_line(void *ctx, const char *location, const char *line)
{
    rp *c = ctx;
    if (c->cb_status != TL_OK)
        return;
    char *q = tl_agent_queue_line('1', c->rec->agent_id, c->rec->agent_name, "any", location, line);
    if (!q) {
        c->cb_status = TL_E_NOMEM;
        return;
    }
    c->cb_status = feed(c, q);
    tl_free(q);
}

/* The endpoint drive, execd and logcollectors, made at the first AR run. */
static tl_status ensure_drive(rp *c)
{
    tl_status st = TL_OK;
    const tl_recording *r = c->rec;
    if (c->have_drive)
        return TL_OK;
    c->have_drive = 1; /* c->td is freed by the caller whatever happens next */
    /* inproc: a memory drive (the AR program and the logcollector read it
     * there); exec and wine need one on the host */
    int in_memory = !c->o || c->o->ar_mode == TL_AR_INPROC;
    TL_TRY(tdrive_new(&c->td, in_memory, c->d));
    TL_TRY(apply(&c->td, &r->init, c->d));
    for (size_t i = 0, s = 0; i < r->nitems && s < c->steps_done; i++)
        if (r->items[i].kind == K_STEP) {
            TL_TRY(apply(&c->td, &r->items[i].chg, c->d));
            s++;
        }
    tl_execd_opts xo;
    memset(&xo, 0, sizeof xo);
    xo.mode = c->o ? c->o->ar_mode : TL_AR_INPROC;
    xo.exe_path = c->o ? c->o->ar_exe : NULL;
    xo.drive_c = in_memory ? NULL : c->td.drive;
    xo.agent_dir = r->agent_dir;
    TL_TRY(in_memory ? tl_execd_new_in_memory(&xo, c->td.mem, &c->execd, c->d)
                     : tl_execd_new(&xo, &c->execd, c->d));
    if (r->nloc) {
        c->lcs = tl_calloc(r->nloc, sizeof *c->lcs);
        TL_TRY_ALLOC(c->lcs);
        for (size_t i = 0; i < r->nloc; i++) {
            char *host = tl_execd_host_path(c->execd, r->locations[i]);
            TL_TRY_ALLOC(host);
            st = tl_logcollector_new(r->locations[i], host, 1, &c->lcs[i]);
            tl_free(host);
            TL_TRY(st);
            if (c->td.mem)
                tl_logcollector_use_memdrive(c->lcs[i], c->td.mem);
        }
    }
cleanup:
    return st;
}

/* Run c's queued jobs (AR runs, logcollector polls) that come before the
 * recorded item `before` (NULL: all of them), in run.c's order. */
static tl_status run_due(rp *c, const rjob *before)
{
    tl_status st = TL_OK;
    while (c->q.n && (!before || rjob_less(&c->q.v[0], before))) {
        c->now = c->q.v[0].time;
        if (c->execd)
            TL_TRY(tl_execd_tick(c->execd, c->now, c->d));
        rjob j = rq_pop(&c->q);
        if (j.kind == K_AR) {
            c->n_ar++;
            st = ensure_drive(c);
            if (st == TL_OK)
                st = tl_execd_run(c->execd, j.executable, j.message, j.timeout, c->now, c->d);
            if (st == TL_OK) {
                rjob p;
                memset(&p, 0, sizeof p);
                p.time = c->now + TL_POLL_DELAY;
                p.kind = K_POLL;
                st = rq_push(&c->q, p);
            }
            tl_free(j.executable);
            tl_free(j.message);
            TL_TRY(st);
        } else if (j.kind == K_POLL) {
            for (size_t i = 0; c->lcs && i < c->rec->nloc; i++) {
                TL_TRY(tl_logcollector_poll(c->lcs[i], on_line, c));
                TL_TRY(c->cb_status);
            }
        }
    }
cleanup:
    return st;
}

/* The recorded item `it` (a step or a record) at its time, after the jobs due before it. */
static tl_status run_item(rp *c, const ritem *it, const tl_decoded *dv, int shared,
                          tl_status dst, const tl_diag *dd)
{
    tl_status st = TL_OK;
    rjob cand;
    memset(&cand, 0, sizeof cand);
    cand.time = it->time;
    cand.kind = it->kind;
    TL_TRY(run_due(c, &cand));
    c->now = it->time;
    if (c->execd)
        TL_TRY(tl_execd_tick(c->execd, c->now, c->d));
    if (it->kind == K_STEP) {
        c->steps_done++;
        if (c->have_drive)
            TL_TRY(apply(&c->td, &it->chg, c->d));
    } else if (it->line) {
        TL_TRY(shared ? feed_decoded(c, it->line, dv, dst, dd) : feed(c, it->line));
    }
cleanup:
    return st;
}

/* The replay's outputs (c's drive, alerts and counts) into out. */
static tl_status finish(rp *c, tl_run_result *out)
{
    const tl_recording *rec = c->rec;
    TL_TRY_ST(tl_buf_status(&c->alerts));
    memset(out, 0, sizeof *out);
    if (c->execd) {
        char *arlog = tl_execd_host_path(c->execd, "active-response\\active-responses.log");
        char *tlog = tl_execd_host_path(c->execd, "logs\\scheduled-tasks.log");
        char *data = NULL;
        size_t len = 0;
        tl_diag sub;
        if (c->td.mem) {
            out->ar_log = arlog && tl_memdrive_read(c->td.mem, arlog, TL_WALK_FOLD, TL_FILE_MAX,
                                                    &data, &len, NULL, &sub) == TL_OK
                              ? data
                              : tl_strdup("");
            data = NULL;
            out->tasks_log = tlog && tl_memdrive_read(c->td.mem, tlog, TL_WALK_FOLD, TL_FILE_MAX,
                                                      &data, &len, NULL, &sub) == TL_OK
                                 ? data
                                 : tl_strdup("");
        } else {
            out->ar_log = arlog && tl_file_read(arlog, &data, &len, &sub) == TL_OK
                              ? data
                              : tl_strdup("");
            data = NULL;
            out->tasks_log = tlog && tl_file_read(tlog, &data, &len, &sub) == TL_OK
                                 ? data
                                 : tl_strdup("");
        }
        tl_free(arlog);
        tl_free(tlog);
    } else {
        out->ar_log = tl_strdup("");
        out->tasks_log = tl_strdup("");
    }
    out->alerts_json = tl_buf_take(&c->alerts);
    out->n_records = rec->nrecords;
    out->recorded = rec->recorded;
    out->n_alerts = c->n_alerts;
    out->n_ar_runs = c->n_ar;
    out->max_level = c->max_level;
    snprintf(out->summary, sizeof out->summary, "%zu events, %zu alert%s, %zu AR run%s",
             rec->nrecords, c->n_alerts, c->n_alerts == 1 ? "" : "s", c->n_ar,
             c->n_ar == 1 ? "" : "s");
    if (!out->alerts_json || !out->ar_log || !out->tasks_log) {
        tl_run_result_clear(out);
        return TL_E_NOMEM;
    }
    return TL_OK;
}

static void rp_free(rp *c)
{
    while (c->q.n) {
        rjob j = rq_pop(&c->q);
        tl_free(j.executable);
        tl_free(j.message);
    }
    tl_free(c->q.v);
    for (size_t i = 0; c->lcs && i < c->rec->nloc; i++)
        tl_logcollector_free(c->lcs[i]);
    tl_free(c->lcs);
    tl_execd_free(c->execd);
    tl_engine_free(c->engine);
    tl_buf_free(&c->alerts);
    tdrive_free(&c->td);
}

/* n replays of one recording side by side (tl_pipeline_replay_many, and a
 * full run's live replays): each eventchannel record is decoded once for all
 * of them. */
typedef struct tl_replay_live {
    const tl_recording *rec; /* borrowed; may still grow (a full run's, live) */
    tl_recording *drop;      /* live and not handed out: its lines are freed once replayed */
    rp *c;
    size_t n;
    size_t next; /* the first item not replayed yet */
    size_t alive;
    tl_status *sts;
    tl_diag *ds;
} tl_replay_live;

static void live_free(tl_replay_live *l)
{
    for (size_t k = 0; l->c && k < l->n; k++)
        rp_free(&l->c[k]);
    tl_free(l->c);
    l->c = NULL;
}

/* n engines over rs (sts[k], ds[k]: each replay's status and diagnostics). */
static tl_status live_init(tl_replay_live *l, const tl_recording *rec, const tl_ruleset *const *rs,
                           size_t n, const tl_pipeline_replay_opts *o, tl_status *sts,
                           tl_diag *ds)
{
    memset(l, 0, sizeof *l);
    l->rec = rec;
    l->n = n;
    l->sts = sts;
    l->ds = ds;
    l->c = tl_calloc(n ? n : 1, sizeof *l->c);
    if (!l->c)
        return TL_E_NOMEM;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    for (size_t k = 0; k < n; k++) {
        l->c[k].rec = rec;
        l->c[k].o = o;
        l->c[k].d = &ds[k];
        l->c[k].td.lock = -1;
        tl_buf_init(&l->c[k].alerts);
        tl_diag_clear(&ds[k]);
        sts[k] = tl_engine_new(rs[k], &eo, &l->c[k].engine);
        l->alive += sts[k] == TL_OK;
    }
    return TL_OK;
}

/* Replay item idx with every live engine. decoded: the caller decoded its
 * line (dv, or NULL with status dst and diagnostics dd when the decoding
 * dropped it); otherwise an eventchannel line is decoded here, once. */
static tl_status live_item(tl_replay_live *l, size_t idx, int decoded, const tl_decoded *dv,
                           tl_status dst, const tl_diag *dd)
{
    tl_status st = TL_OK;
    const ritem *it = &l->rec->items[idx];
    tl_decoded *own = NULL;
    tl_diag od;
    tl_diag_clear(&od);
    int shared = it->kind == K_RECORD && it->line && (decoded || (l->alive > 1 && tl_replay_shared_decoding(it->line)));
    for (size_t k = 0; k < l->n && l->alive; k++) {
        if (l->sts[k] != TL_OK)
            continue;
        if (shared && !decoded) {
            /* decoded once, by the first engine that reaches it: its jobs due
             * before it are done, and decoding reads no state */
            TL_TRY(run_due(&l->c[k], &(rjob){.time = it->time, .kind = it->kind}));
            dst = tl_engine_decode(l->c[k].engine, it->line, it->time, &own, &od);
            if (dst == TL_E_NOMEM)
                TL_FAIL(dst);
            dv = own;
            dd = &od;
            decoded = 1;
        }
        l->sts[k] = run_item(&l->c[k], it, dv, shared, dst, dd);
        l->alive -= l->sts[k] != TL_OK;
    }
cleanup:
    tl_decoded_free(own);
    return st;
}

/* The jobs left, then each replay's outputs. */
static void live_end(tl_replay_live *l, tl_run_result *out)
{
    for (size_t k = 0; k < l->n; k++) {
        if (l->sts[k] == TL_OK)
            l->sts[k] = run_due(&l->c[k], NULL);
        if (l->sts[k] == TL_OK)
            l->sts[k] = finish(&l->c[k], &out[k]);
    }
}

tl_status tl_replay_live_new(tl_recb *b, int keep_rec, const tl_ruleset *const *rs, size_t n,
                             const tl_pipeline_replay_opts *o, tl_status *sts, tl_diag *ds,
                             tl_replay_live **out)
{
    tl_replay_live *l = tl_calloc(1, sizeof *l);
    if (!l)
        return TL_E_NOMEM;
    tl_status st = live_init(l, b->r, rs, n, o, sts, ds);
    if (st != TL_OK) {
        tl_replay_live_free(l);
        return st;
    }
    l->next = b->r->nitems;
    l->drop = keep_rec ? NULL : b->r;
    *out = l;
    return TL_OK;
}

tl_status tl_replay_live_next(tl_replay_live *l, int decoded, const tl_decoded *dv, tl_status dst,
                              const tl_diag *dd)
{
    tl_status st = TL_OK;
    size_t n = l->rec->nitems;
    for (; l->next < n && st == TL_OK; l->next++) {
        st = live_item(l, l->next, decoded && l->next + 1 == n, dv, dst, dd);
        if (l->drop) { /* read by nothing after its turn (a drive is made from steps only) */
            tl_free(l->drop->items[l->next].line);
            l->drop->items[l->next].line = NULL;
        }
    }
    return st;
}

void tl_replay_live_finish(tl_replay_live *l, tl_run_result *out)
{
    for (size_t k = 0; k < l->n; k++)
        memset(&out[k], 0, sizeof out[k]);
    live_end(l, out);
}

void tl_replay_live_free(tl_replay_live *l)
{
    if (!l)
        return;
    live_free(l);
    tl_free(l);
}

tl_status tl_pipeline_replay_many(const tl_recording *rec, const tl_ruleset *const *rs, size_t n,
                                  const tl_pipeline_replay_opts *o, tl_run_result *out,
                                  tl_status *sts, tl_diag *ds)
{
    tl_status st = TL_OK;
    tl_replay_live l;
    if (!n)
        return TL_OK;
    if (o && (o->trace || o->on_feed)) /* callbacks see one replay at a time */
        return TL_E_INVAL;
    for (size_t k = 0; k < n; k++)
        memset(&out[k], 0, sizeof out[k]);
    TL_TRY(live_init(&l, rec, rs, n, o, sts, ds));
    for (size_t idx = 0; idx < rec->nitems && l.alive; idx++)
        TL_TRY(live_item(&l, idx, 0, NULL, TL_OK, NULL));
    live_end(&l, out);
cleanup:
    for (size_t k = 0; k < n; k++) {
        if (st != TL_OK) {
            tl_run_result_clear(&out[k]);
            sts[k] = st;
        }
    }
    live_free(&l);
    return st;
}

tl_status tl_pipeline_replay(const tl_recording *rec, const tl_ruleset *rs,
                             const tl_pipeline_replay_opts *o, tl_run_result *out, tl_diag *d)
{
    tl_status st = TL_OK;
    rp c;
    memset(&c, 0, sizeof c);
    c.rec = rec;
    c.o = o;
    c.d = d;
    c.td.lock = -1;
    tl_buf_init(&c.alerts);

    tl_engine_opts eo = {"wazuh-manager", "node01"};
    TL_TRY(tl_engine_new(rs, &eo, &c.engine));
    if (o && o->trace)
        tl_engine_set_trace(c.engine, o->trace, o->trace_ctx);
    for (size_t idx = 0; idx < rec->nitems; idx++)
        TL_TRY(run_item(&c, &rec->items[idx], NULL, 0, TL_OK, NULL));
    TL_TRY(run_due(&c, NULL));
    TL_TRY(finish(&c, out));
cleanup:
    rp_free(&c);
    return st;
}
