/* SPDX-License-Identifier: MIT */
/*
 * tasklab vary: run the generator's variants (vary_gen.c) of every attack
 * scenario through the pipeline and report which spellings lose detection.
 *
 * Steps of the study:
 *  1. load each scenario (the loader's checks) and its JSON document; benign
 *     scenarios are listed, not varied; an attack scenario with no command step
 *     is bad input;
 *  2. record the original once (tl_pipeline_record), replay it with the ruleset
 *     and keep its alerts and its task history: the fields of every task file
 *     the steps leave under C:\Windows\System32\Tasks, after each step;
 *  3. generate the variants: each applicable transformation alone, in the fixed
 *     order of tl_vt_defs, then seeded combinations (at most one per group,
 *     tokens freely, never an alternative path in a combination) until N,
 *     skipping duplicates; a variant's seed is derived from (seed, scenario
 *     name, attempt), so it does not depend on -j;
 *  4. run each variant the same way. Equivalence is checked before detection:
 *     the task histories must be equal (name, Actions, Triggers, Principals,
 *     leaf by leaf, attributes included). A variant the simulator refuses is
 *     REFUSED (a spelling the sheet accepts that the simulator does not: a
 *     simulator gap, reported with its message).
 *
 * Task fields compared: every element and attribute below Actions, Triggers and
 * Principals of the task XML, as "Triggers/LogonTrigger/Enabled=true" lines in
 * document order, plus the task's path. RegistrationInfo (Author, Date, URI,
 * Description), Settings and the security descriptor are not compared (an /xml
 * import keeps the file's; evasion.md §1 speaks of "the same task").
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/vary.h"

#include "tasklab/manager.h"
#include "tasklab/scenario.h"
#include "studies_int.h"
#include "vary_int.h"

#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V_EQUIV = 0, V_GENBUG, V_REFUSED };

typedef struct vrule {
    char id[16];
    int level;
} vrule;

typedef struct vrules {
    vrule *v;
    size_t n;
} vrules;

typedef struct vvar {
    uint32_t set;    /* transformations applied */
    char *desc;      /* "steps[0]: ...\n" lines */
    char *json;      /* the variant scenario document */
    int status;
    char *message;   /* generator bug / refusal */
    vrules rules;    /* alerts at >= level: rule -> max level */
} vvar;

typedef struct vscen {
    char *path;
    char *name;
    int attack;
    int recorded; /* 1: a recording scenario (events, no steps); 2: no command step
                   * (found by listing a folder): listed, not varied */
    cJSON *doc;
    char *text;
    vrules orig;      /* original's rules at >= level */
    char **history;   /* task states, distinct consecutive */
    size_t nhist;
    tl_vstep_task *tasks; /* per file-order step */
    char **task_store;    /* owned strings behind tasks */
    size_t ntasks, nstore;
    uint32_t applicable;
    vvar *vars;
    size_t nvars;
} vscen;

struct tl_vary_report {
    char *profile;
    char *build;
    uint64_t seed;
    int n, level;
    uint32_t enabled;
    vscen *sc;
    size_t nsc;
};

/* ---- helpers ---------------------------------------------------------------------- */

static void vrules_free(vrules *r)
{
    tl_free(r->v);
    r->v = NULL;
    r->n = 0;
}

static int vrule_cmp(const void *a, const void *b)
{
    const vrule *x = a, *y = b;
    size_t lx = strlen(x->id), ly = strlen(y->id);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Rules with an alert at >= level, each with its highest level, sorted by id. */
static tl_status alerts_rules(const char *alerts, int level, vrules *out)
{
    memset(out, 0, sizeof *out);
    const char *p = alerts;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        cJSON *j = cJSON_ParseWithLength(p, n);
        p = e ? e + 1 : NULL;
        if (!j)
            continue;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "rule");
        const cJSON *id = r ? cJSON_GetObjectItemCaseSensitive(r, "id") : NULL;
        const cJSON *lv = r ? cJSON_GetObjectItemCaseSensitive(r, "level") : NULL;
        if (cJSON_IsString(id) && cJSON_IsNumber(lv) && lv->valueint >= level &&
            strlen(id->valuestring) < sizeof out->v[0].id) {
            size_t k;
            for (k = 0; k < out->n; k++)
                if (!strcmp(out->v[k].id, id->valuestring))
                    break;
            if (k == out->n) {
                vrule *nv = tl_realloc(out->v, (out->n + 1) * sizeof *nv);
                if (!nv) {
                    cJSON_Delete(j);
                    vrules_free(out);
                    return TL_E_NOMEM;
                }
                out->v = nv;
                snprintf(out->v[k].id, sizeof out->v[k].id, "%s", id->valuestring);
                out->v[k].level = lv->valueint;
                out->n++;
            } else if (lv->valueint > out->v[k].level) {
                out->v[k].level = lv->valueint;
            }
        }
        cJSON_Delete(j);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, vrule_cmp);
    return TL_OK;
}

static const vrule *vrules_find(const vrules *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].id, id))
            return &r->v[i];
    return NULL;
}

/* UTF-16LE (with BOM) or UTF-8 file bytes -> UTF-8 text (owned). */
static char *to_utf8(const char *data, size_t len)
{
    const unsigned char *u = (const unsigned char *)data;
    if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        tl_buf b = TL_BUF_INIT;
        for (size_t i = 2; i + 1 < len; i += 2) {
            unsigned cp = (unsigned)u[i] | ((unsigned)u[i + 1] << 8);
            if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < len) {
                unsigned lo = (unsigned)u[i + 2] | ((unsigned)u[i + 3] << 8);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            }
            tl_buf_put_utf8(&b, cp);
        }
        return tl_buf_take(&b);
    }
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        return tl_strndup(data + 3, len - 3);
    return tl_strndup(data, len);
}

static void flatten(xmlNode *n, tl_buf *path, tl_buf *out)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        size_t mark = path->len;
        if (path->len)
            tl_buf_putc(path, '/');
        tl_buf_puts(path, (const char *)n->name);
        for (xmlAttr *a = n->properties; a; a = a->next) {
            xmlChar *v = xmlNodeGetContent((xmlNode *)a);
            tl_buf_printf(out, "  %s@%s=%s\n", tl_buf_cstr(path), (const char *)a->name,
                          v ? (const char *)v : "");
            xmlFree(v);
        }
        int kids = 0;
        for (xmlNode *k = n->children; k; k = k->next)
            if (k->type == XML_ELEMENT_NODE)
                kids = 1;
        if (!kids) {
            xmlChar *v = xmlNodeGetContent(n);
            tl_buf_printf(out, "  %s=%s\n", tl_buf_cstr(path), v ? (const char *)v : "");
            xmlFree(v);
        } else {
            flatten(n->children, path, out);
        }
        path->len = mark;
        if (path->data)
            path->data[mark] = 0;
    }
}

/* The compared fields of a task file, appended to out. */
static void task_fields(const char *utf8, tl_buf *out)
{
    size_t len = strlen(utf8);
    xmlDoc *x = xmlReadMemory(utf8, (int)len, NULL, "UTF-8",
                              XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
    if (!x) {
        tl_buf_puts(out, "  (not XML)\n");
        return;
    }
    xmlNode *root = xmlDocGetRootElement(x);
    for (xmlNode *n = root ? root->children : NULL; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *nm = (const char *)n->name;
        if (strcmp(nm, "Actions") && strcmp(nm, "Triggers") && strcmp(nm, "Principals"))
            continue;
        tl_buf path = TL_BUF_INIT;
        tl_buf_puts(&path, nm);
        for (xmlAttr *a = n->properties; a; a = a->next) {
            xmlChar *v = xmlNodeGetContent((xmlNode *)a);
            tl_buf_printf(out, "  %s@%s=%s\n", nm, (const char *)a->name, v ? (const char *)v : "");
            xmlFree(v);
        }
        flatten(n->children, &path, out);
        tl_buf_free(&path);
    }
    xmlFreeDoc(x);
}

/* ---- task history from a recording -------------------------------------------------- */

typedef struct tfile {
    char *name;  /* "\\x" */
    char *utf8;  /* current content, NULL when removed */
} tfile;

typedef struct hist_ctx {
    tfile *f;
    size_t nf;
    size_t cur_step;  /* step being collected */
    int changed;
    char **hist;
    size_t nhist;
    /* tasks per execution-order step (what the step left; for alternative paths) */
    char **step_name, **step_xml;
    size_t nsteps;
    tl_status st;
} hist_ctx;

static const char TASKS[] = "windows/system32/tasks/";

static tl_status hist_snapshot(hist_ctx *h)
{
    /* canonical state: the tasks, sorted by name, with their fields */
    size_t *ord = tl_calloc(h->nf ? h->nf : 1, sizeof *ord);
    if (!ord)
        return TL_E_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < h->nf; i++)
        if (h->f[i].utf8)
            ord[n++] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(h->f[ord[j - 1]].name, h->f[ord[j]].name) > 0; j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        tl_buf_printf(&b, "task %s\n", h->f[ord[i]].name);
        task_fields(h->f[ord[i]].utf8, &b);
    }
    tl_free(ord);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    char *s = tl_buf_take(&b);
    if (!s)
        s = tl_strdup("");
    if (!s)
        return TL_E_NOMEM;
    if (h->nhist && !strcmp(h->hist[h->nhist - 1], s)) {
        tl_free(s);
        return TL_OK;
    }
    char **nv = tl_realloc(h->hist, (h->nhist + 1) * sizeof *nv);
    if (!nv) {
        tl_free(s);
        return TL_E_NOMEM;
    }
    h->hist = nv;
    h->hist[h->nhist++] = s;
    return TL_OK;
}

static int on_file(void *ctx, size_t step, const char *rel, const char *data, size_t len, int del)
{
    hist_ctx *h = ctx;
    if (step == (size_t)-1)
        return 0; /* the endpoint's own tasks: the same in every run */
    if (step != h->cur_step) {
        if (h->changed && (h->st = hist_snapshot(h)) != TL_OK)
            return 1;
        h->changed = 0;
        h->cur_step = step;
    }
    size_t tl = sizeof TASKS - 1;
    if (strlen(rel) <= tl || tl_strncasecmp(rel, TASKS, tl))
        return 0;
    tl_buf nb = TL_BUF_INIT;
    for (const char *p = rel + tl - 1; *p; p++)
        tl_buf_putc(&nb, *p == '/' ? '\\' : *p);
    char *name = tl_buf_take(&nb);
    if (!name) {
        h->st = TL_E_NOMEM;
        return 1;
    }
    size_t k;
    for (k = 0; k < h->nf; k++)
        if (!strcmp(h->f[k].name, name))
            break;
    if (k == h->nf) {
        tfile *nv = tl_realloc(h->f, (h->nf + 1) * sizeof *nv);
        if (!nv) {
            tl_free(name);
            h->st = TL_E_NOMEM;
            return 1;
        }
        h->f = nv;
        h->f[k].name = name;
        h->f[k].utf8 = NULL;
        h->nf++;
    } else {
        tl_free(name);
    }
    tl_free(h->f[k].utf8);
    h->f[k].utf8 = del ? NULL : to_utf8(data, len);
    if (!del && !h->f[k].utf8) {
        h->st = TL_E_NOMEM;
        return 1;
    }
    if (!del && step < h->nsteps && !h->step_name[step]) {
        h->step_name[step] = tl_strdup(h->f[k].name);
        h->step_xml[step] = tl_strdup(h->f[k].utf8);
    }
    h->changed = 1;
    return 0;
}

static void hist_ctx_free(hist_ctx *h)
{
    for (size_t i = 0; i < h->nf; i++) {
        tl_free(h->f[i].name);
        tl_free(h->f[i].utf8);
    }
    tl_free(h->f);
    for (size_t i = 0; i < h->nhist; i++)
        tl_free(h->hist[i]);
    tl_free(h->hist);
    for (size_t i = 0; i < h->nsteps; i++) {
        tl_free(h->step_name[i]);
        tl_free(h->step_xml[i]);
    }
    tl_free(h->step_name);
    tl_free(h->step_xml);
    memset(h, 0, sizeof *h);
}

static tl_status collect_history(const tl_recording *rec, size_t nsteps, hist_ctx *h)
{
    memset(h, 0, sizeof *h);
    h->cur_step = (size_t)-1;
    h->nsteps = nsteps;
    h->step_name = tl_calloc(nsteps ? nsteps : 1, sizeof *h->step_name);
    h->step_xml = tl_calloc(nsteps ? nsteps : 1, sizeof *h->step_xml);
    if (!h->step_name || !h->step_xml)
        return TL_E_NOMEM;
    tl_status st = tl_recording_files(rec, on_file, h);
    if (st != TL_OK)
        return h->st != TL_OK ? h->st : st;
    if (h->changed)
        return hist_snapshot(h);
    return TL_OK;
}

/* ---- one run ----------------------------------------------------------------------- */

typedef struct study {
    const tl_vary_opts *o;
    const tl_ruleset *rs;
    tl_vary_report *rep;
    /* work list: (scenario, variant) pairs; variant SIZE_MAX = the original */
    size_t (*work)[2];
    size_t nwork;
    atomic_size_t next;
    pthread_mutex_t lock;
    tl_status st;
    tl_diag d;
    size_t first_bad;
} study;

/* Simulate and replay one scenario document. *refused gets the simulator's
 * message when it refused a step (status TL_OK then). */
static tl_status run_doc(const study *s, const char *path, const char *json, vrules *rules,
                         hist_ctx *h, size_t nsteps, char **refused, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_scenario *sc = NULL;
    tl_recording *rec = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    memset(rules, 0, sizeof *rules);
    memset(h, 0, sizeof *h);
    *refused = NULL;
    tl_diag ld;
    tl_diag_clear(&ld);
    st = tl_scenario_load_mem(path, json, strlen(json), &sc, &ld);
    if (st == TL_E_PARSE) {
        char m[1024];
        tl_diag_format(&ld, m, sizeof m);
        *refused = tl_strdup(m);
        return *refused ? TL_OK : TL_E_NOMEM;
    }
    if (st != TL_OK) {
        *d = ld;
        return st;
    }
    tl_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.etc_dir = s->o->etc_dir;
    ro.shared_dir = s->o->shared_dir;
    st = tl_pipeline_record(sc, &ro, &rec, &ld);
    if (st == TL_E_PARSE || st == TL_E_INVAL) {
        char m[1024];
        tl_diag_format(&ld, m, sizeof m);
        *refused = tl_strdup(m);
        st = *refused ? TL_OK : TL_E_NOMEM;
        goto cleanup;
    }
    if (st != TL_OK) {
        *d = ld;
        goto cleanup;
    }
    TL_TRY(collect_history(rec, nsteps, h));
    TL_TRY(tl_pipeline_replay(rec, s->rs, NULL, &res, d));
    TL_TRY(alerts_rules(res.alerts_json, s->o->level, rules));
cleanup:
    tl_run_result_clear(&res);
    tl_recording_free(rec);
    tl_scenario_free(sc);
    return st;
}

/* The first difference of two histories, as a message (owned). */
static char *history_diff(char **a, size_t na, char **b, size_t nb)
{
    tl_buf m = TL_BUF_INIT;
    size_t i = 0;
    while (i < na && i < nb && !strcmp(a[i], b[i]))
        i++;
    if (i >= na || i >= nb) {
        tl_buf_printf(&m, "the original's tasks went through %zu states, the variant's %zu", na, nb);
        return tl_buf_take(&m);
    }
    const char *x = a[i], *y = b[i];
    /* first differing line */
    const char *lx = x, *ly = y;
    const char *task = NULL;
    size_t tasklen = 0;
    while (*lx && *ly) {
        const char *ex = strchr(lx, '\n'), *ey = strchr(ly, '\n');
        size_t nx = ex ? (size_t)(ex - lx) : strlen(lx), ny = ey ? (size_t)(ey - ly) : strlen(ly);
        if (nx != ny || memcmp(lx, ly, nx))
            break;
        if (!strncmp(lx, "task ", 5)) {
            task = lx + 5;
            tasklen = nx - 5;
        }
        lx += nx + (ex ? 1 : 0);
        ly += ny + (ey ? 1 : 0);
    }
    size_t nx = strcspn(lx, "\n"), ny = strcspn(ly, "\n");
    tl_buf_printf(&m, "task state %zu", i + 1);
    if (task)
        tl_buf_printf(&m, " (task %.*s)", (int)tasklen, task);
    tl_buf_printf(&m, ": original '%.*s', variant '%.*s'", (int)(nx > 200 ? 200 : nx), lx,
                  (int)(ny > 200 ? 200 : ny), ly);
    if (!nx)
        tl_buf_puts(&m, " (the variant has more)");
    return tl_buf_take(&m);
}

static size_t doc_steps(const cJSON *doc)
{
    return (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "steps"));
}

/* File-order index of execution-order step k (sorted by "at", ties in file order). */
static void exec_order(const cJSON *doc, size_t *map, size_t n)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(doc, "steps");
    double *at = tl_calloc(n ? n : 1, sizeof *at);
    for (size_t i = 0; i < n; i++) {
        map[i] = i;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, (int)i), "at");
        if (at)
            at[i] = cJSON_IsNumber(a) ? a->valuedouble : 0;
    }
    if (!at)
        return;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && at[map[j - 1]] > at[map[j]]; j--) {
            size_t t = map[j];
            map[j] = map[j - 1];
            map[j - 1] = t;
        }
    tl_free(at);
}

static tl_status run_original(study *s, vscen *v, tl_diag *d)
{
    hist_ctx h;
    char *refused = NULL;
    size_t n = doc_steps(v->doc);
    tl_status st = run_doc(s, v->path, v->text, &v->orig, &h, n, &refused, d);
    if (st == TL_OK && refused) {
        tl_diag_set(d, v->path, 0, "%s", refused);
        st = TL_E_PARSE;
    }
    tl_free(refused);
    if (st != TL_OK) {
        hist_ctx_free(&h);
        return st;
    }
    v->history = h.hist;
    v->nhist = h.nhist;
    h.hist = NULL;
    h.nhist = 0;
    /* what each step registered, by file order */
    size_t *map = tl_calloc(n ? n : 1, sizeof *map);
    v->tasks = tl_calloc(n ? n : 1, sizeof *v->tasks);
    v->task_store = tl_calloc(2 * (n ? n : 1), sizeof *v->task_store);
    if (!map || !v->tasks || !v->task_store) {
        tl_free(map);
        hist_ctx_free(&h);
        return TL_E_NOMEM;
    }
    exec_order(v->doc, map, n);
    v->ntasks = n;
    for (size_t k = 0; k < n; k++) {
        size_t f = map[k];
        v->tasks[f].name = h.step_name[k];
        v->tasks[f].xml = h.step_xml[k];
        v->task_store[v->nstore++] = h.step_name[k];
        v->task_store[v->nstore++] = h.step_xml[k];
        h.step_name[k] = h.step_xml[k] = NULL;
    }
    tl_free(map);
    hist_ctx_free(&h);
    return TL_OK;
}

static tl_status run_variant(study *s, vscen *v, vvar *x, tl_diag *d)
{
    hist_ctx h;
    char *refused = NULL;
    cJSON *vd = cJSON_Parse(x->json);
    size_t n = vd ? doc_steps(vd) : 0;
    cJSON_Delete(vd);
    tl_status st = run_doc(s, v->path, x->json, &x->rules, &h, n, &refused, d);
    if (st != TL_OK) {
        hist_ctx_free(&h);
        return st;
    }
    if (refused) {
        x->status = V_REFUSED;
        x->message = refused;
    } else {
        int same = h.nhist == v->nhist;
        for (size_t i = 0; same && i < h.nhist; i++)
            same = !strcmp(h.hist[i], v->history[i]);
        if (!same) {
            x->status = V_GENBUG;
            x->message = history_diff(v->history, v->nhist, h.hist, h.nhist);
            if (!x->message)
                st = TL_E_NOMEM;
        }
    }
    hist_ctx_free(&h);
    return st;
}

static void *worker(void *arg)
{
    study *s = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= s->nwork)
            break;
        vscen *v = &s->rep->sc[s->work[i][0]];
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st = s->work[i][1] == (size_t)-1
                           ? run_original(s, v, &d)
                           : run_variant(s, v, &v->vars[s->work[i][1]], &d);
        if (st != TL_OK) {
            pthread_mutex_lock(&s->lock);
            if (s->st == TL_OK || i < s->first_bad) {
                s->st = st;
                s->d = d;
                s->first_bad = i;
            }
            pthread_mutex_unlock(&s->lock);
        }
    }
    tl_manager_thread_cleanup();
    return NULL;
}

static void run_threads(study *s, int jobs)
{
    atomic_store(&s->next, 0);
    tl_studies_run_threads(jobs, worker, s);
}

/* ---- generation ------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int popcount32(uint32_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static tl_status add_variant(vscen *v, cJSON *vd, uint32_t applied, const char *desc, int *dup)
{
    char *json = cJSON_PrintUnformatted(vd);
    *dup = 0;
    if (!json)
        return TL_E_NOMEM;
    for (size_t i = 0; i < v->nvars; i++)
        if (!strcmp(v->vars[i].json, json)) {
            *dup = 1;
            cJSON_free(json);
            return TL_OK;
        }
    vvar *nv = tl_realloc(v->vars, (v->nvars + 1) * sizeof *nv);
    if (!nv) {
        cJSON_free(json);
        return TL_E_NOMEM;
    }
    v->vars = nv;
    vvar *x = &v->vars[v->nvars];
    memset(x, 0, sizeof *x);
    x->set = applied;
    x->json = tl_strdup(json);
    x->desc = tl_strdup(desc ? desc : "");
    cJSON_free(json);
    if (!x->json || !x->desc) {
        tl_free(x->json);
        tl_free(x->desc);
        return TL_E_NOMEM;
    }
    v->nvars++;
    return TL_OK;
}

static tl_status generate(const tl_vary_opts *o, uint32_t enabled, vscen *v)
{
    tl_status st = TL_OK;
    uint32_t ap = v->applicable & enabled;
    uint64_t base = mix64(o->seed ^ name_hash(v->name));
    /* singles */
    for (int vt = 0; vt < TL_VT_COUNT && (int)v->nvars < o->n; vt++) {
        if (!(ap & (1u << vt)))
            continue;
        cJSON *vd = NULL;
        uint32_t applied = 0;
        tl_buf desc = TL_BUF_INIT;
        st = tl_vary_make(v->doc, 1u << vt, mix64(base + (uint64_t)vt), v->tasks, v->ntasks, &vd,
                          &applied, &desc);
        int dup = 0;
        if (st == TL_OK && vd)
            st = add_variant(v, vd, applied, tl_buf_cstr(&desc), &dup);
        cJSON_Delete(vd);
        tl_buf_free(&desc);
        if (st != TL_OK)
            return st;
    }
    /* seeded combinations */
    uint32_t comb = ap & ~((1u << TL_VT_XML) | (1u << TL_VT_CMDLET) | (1u << TL_VT_CIM));
    for (int vt = 0; vt < TL_VT_COUNT; vt++) /* PowerShell spellings: singles only */
        if (tl_vt_defs[vt].group == TL_VG_PSH)
            comb &= ~(1u << vt);
    if (popcount32(comb) < 2)
        return TL_OK;
    tl_rng rng;
    tl_rng_seed(&rng, base ^ 0xC0FFEEull);
    for (int attempt = 0; (int)v->nvars < o->n && attempt < 40 * o->n + 100; attempt++) {
        uint32_t set = 0;
        for (int g = TL_VG_OPTCHAR; g <= TL_VG_WOW; g++) {
            int members[TL_VT_COUNT], nm = 0;
            for (int vt = 0; vt < TL_VT_COUNT; vt++)
                if ((comb & (1u << vt)) && tl_vt_defs[vt].group == g)
                    members[nm++] = vt;
            if (!nm)
                continue;
            if (g == TL_VG_TOKEN) {
                for (int k = 0; k < nm; k++)
                    if (tl_rng_below(&rng, 2))
                        set |= 1u << members[k];
            } else if (tl_rng_below(&rng, 2)) {
                set |= 1u << members[tl_rng_below(&rng, (uint64_t)nm)];
            }
        }
        /* a cmd.exe obfuscation and another launcher exclude each other */
        uint32_t shellm = 0, launchm = 0;
        for (int vt = 0; vt < TL_VT_COUNT; vt++) {
            if (tl_vt_defs[vt].group == TL_VG_SHELL)
                shellm |= 1u << vt;
            if (tl_vt_defs[vt].group == TL_VG_LAUNCH)
                launchm |= 1u << vt;
        }
        if ((set & shellm) && (set & launchm))
            set &= tl_rng_below(&rng, 2) ? ~shellm : ~launchm;
        if (popcount32(set) < 2)
            continue;
        cJSON *vd = NULL;
        uint32_t applied = 0;
        tl_buf desc = TL_BUF_INIT;
        st = tl_vary_make(v->doc, set, mix64(base + 1000 + (uint64_t)attempt), v->tasks, v->ntasks,
                          &vd, &applied, &desc);
        int dup = 0;
        if (st == TL_OK && vd && popcount32(applied) >= 2)
            st = add_variant(v, vd, applied, tl_buf_cstr(&desc), &dup);
        cJSON_Delete(vd);
        tl_buf_free(&desc);
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}

/* ---- the study ----------------------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned mask;
} builds[] = {{"10.0.19041", TL_VB_W10}, {"win10-2004", TL_VB_W10}, {"10.0.22631", TL_VB_W11},
              {"win11-23h2", TL_VB_W11}};

const char *tl_vary_builds_text(void)
{
    return "10.0.19041 (Windows 10 2004, alias win10-2004) and 10.0.22631 (Windows 11 23H2, "
           "alias win11-23h2)";
}

void tl_vary_transforms_text(tl_buf *out)
{
    for (int i = 0; i < TL_VT_COUNT; i++)
        tl_buf_printf(out, "  %-14s %s%s\n", tl_vt_defs[i].name, tl_vt_defs[i].what,
                      tl_vt_defs[i].builds == TL_VB_W10 ? " (Win10 2004 only: --build 10.0.19041)"
                                                        : "");
}

static void vscen_free(vscen *v)
{
    tl_free(v->path);
    tl_free(v->name);
    cJSON_Delete(v->doc);
    tl_free(v->text);
    vrules_free(&v->orig);
    for (size_t i = 0; i < v->nhist; i++)
        tl_free(v->history[i]);
    tl_free(v->history);
    for (size_t i = 0; i < v->nstore; i++)
        tl_free(v->task_store[i]);
    tl_free(v->task_store);
    tl_free(v->tasks);
    for (size_t i = 0; i < v->nvars; i++) {
        tl_free(v->vars[i].desc);
        tl_free(v->vars[i].json);
        tl_free(v->vars[i].message);
        vrules_free(&v->vars[i].rules);
    }
    tl_free(v->vars);
}

void tl_vary_report_free(tl_vary_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsc; i++)
        vscen_free(&r->sc[i]);
    tl_free(r->sc);
    tl_free(r->profile);
    tl_free(r->build);
    tl_free(r);
}

tl_status tl_vary_run(const tl_vary_opts *o, tl_vary_report **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_ruleset *rs = NULL;
    tl_vary_report *rep = NULL;
    study s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);

    /* options */
    unsigned bmask = TL_VB_BOTH;
    int need_all = 1;
    if (o->build) {
        size_t k;
        for (k = 0; k < sizeof builds / sizeof builds[0]; k++)
            if (!tl_strcasecmp(o->build, builds[k].name))
                break;
        if (k == sizeof builds / sizeof builds[0]) {
            tl_diag_set(d, NULL, 0,
                        "--build %s: evasion.md covers only %s", o->build, tl_vary_builds_text());
            st = TL_E_INVAL;
            goto cleanup;
        }
        bmask = builds[k].mask;
        need_all = 0;
    }
    uint32_t enabled = 0;
    if (o->n_transforms) {
        for (size_t i = 0; i < o->n_transforms; i++) {
            int vt = tl_vt_find(o->transforms[i]);
            if (vt < 0) {
                tl_buf names = TL_BUF_INIT;
                for (int k = 0; k < TL_VT_COUNT; k++)
                    tl_buf_printf(&names, "%s%s", k ? ", " : "", tl_vt_defs[k].name);
                tl_diag_set(d, NULL, 0, "--transform %s: unknown transformation (known: %s)",
                            o->transforms[i], tl_buf_cstr(&names));
                tl_buf_free(&names);
                st = TL_E_INVAL;
                goto cleanup;
            }
            unsigned b = tl_vt_defs[vt].builds;
            if (need_all ? b != TL_VB_BOTH : !(b & bmask)) {
                tl_diag_set(d, NULL, 0,
                            "--transform %s: evasion.md marks it accepted only on Windows 10 2004 "
                            "(give --build 10.0.19041)",
                            o->transforms[i]);
                st = TL_E_INVAL;
                goto cleanup;
            }
            enabled |= 1u << vt;
        }
    } else {
        for (int vt = 0; vt < TL_VT_COUNT; vt++) {
            unsigned b = tl_vt_defs[vt].builds;
            if (need_all ? b == TL_VB_BOTH : (b & bmask) != 0)
                enabled |= 1u << vt;
        }
    }
    if (o->n < 1 || o->level < 0) {
        tl_diag_set(d, NULL, 0, "--n must be at least 1");
        st = TL_E_INVAL;
        goto cleanup;
    }

    rep = tl_calloc(1, sizeof *rep);
    TL_TRY_ALLOC(rep);
    rep->profile = tl_strdup(o->profile_name ? o->profile_name : "custom");
    rep->build = tl_strdup(o->build ? o->build : "both");
    TL_TRY_ALLOC(rep->profile);
    TL_TRY_ALLOC(rep->build);
    rep->seed = o->seed;
    rep->n = o->n;
    rep->level = o->level;
    rep->enabled = enabled;
    rep->sc = tl_calloc(o->n_scenarios ? o->n_scenarios : 1, sizeof *rep->sc);
    TL_TRY_ALLOC(rep->sc);

    /* 1. scenarios */
    for (size_t i = 0; i < o->n_scenarios; i++) {
        vscen *v = &rep->sc[rep->nsc++];
        tl_scenario *sc = NULL;
        TL_TRY(tl_scenario_load(o->scenarios[i], &sc, d));
        v->path = tl_strdup(o->scenarios[i]);
        v->name = tl_strdup(tl_scenario_name(sc));
        v->attack = !strcmp(tl_scenario_kind(sc), "attack");
        tl_scenario_free(sc);
        TL_TRY_ALLOC(v->path);
        TL_TRY_ALLOC(v->name);
        size_t len = 0;
        TL_TRY(tl_file_read(o->scenarios[i], &v->text, &len, d));
        v->doc = cJSON_ParseWithLength(v->text, len);
        if (!v->doc) {
            tl_diag_set(d, o->scenarios[i], 0, "invalid JSON");
            st = TL_E_PARSE;
            goto cleanup;
        }
        if (cJSON_GetObjectItemCaseSensitive(v->doc, "recording")) {
            v->recorded = 1; /* recorded event logs: no command line to respell */
            continue;
        }
        if (!v->attack)
            continue;
        int ncmd = 0;
        const cJSON *step;
        cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(v->doc, "steps"))
            if (cJSON_GetObjectItemCaseSensitive(step, "command"))
                ncmd++;
        if (!ncmd && o->listed && o->listed[i]) {
            v->recorded = 2; /* file and registry steps only: no command line to respell */
            continue;
        }
        if (!ncmd) {
            tl_diag_set(d, o->scenarios[i], 0,
                        "no command steps: nothing to vary (tasklab vary varies command lines)");
            st = TL_E_INVAL;
            goto cleanup;
        }
    }
    /* 2. the ruleset, then the originals */
    TL_TRY(tl_profile_load(&o->prof, &rs, d));
    s.o = o;
    s.rs = rs;
    s.rep = rep;
    s.work = tl_calloc(rep->nsc ? rep->nsc : 1, sizeof *s.work);
    TL_TRY_ALLOC(s.work);
    for (size_t i = 0; i < rep->nsc; i++)
        if (rep->sc[i].attack && !rep->sc[i].recorded) {
            s.work[s.nwork][0] = i;
            s.work[s.nwork][1] = (size_t)-1;
            s.nwork++;
        }
    run_threads(&s, o->jobs);
    if (s.st != TL_OK) {
        st = s.st;
        *d = s.d;
        goto cleanup;
    }
    /* 3. variants */
    size_t total = 0;
    for (size_t i = 0; i < rep->nsc; i++) {
        vscen *v = &rep->sc[i];
        if (!v->attack || v->recorded)
            continue;
        v->applicable = tl_vary_applicable(v->doc, v->tasks, v->ntasks);
        TL_TRY(generate(o, enabled, v));
        total += v->nvars;
    }
    tl_free(s.work);
    s.work = tl_calloc(total ? total : 1, sizeof *s.work);
    TL_TRY_ALLOC(s.work);
    s.nwork = 0;
    for (size_t i = 0; i < rep->nsc; i++)
        for (size_t k = 0; k < rep->sc[i].nvars; k++) {
            s.work[s.nwork][0] = i;
            s.work[s.nwork][1] = k;
            s.nwork++;
        }
    s.first_bad = 0;
    run_threads(&s, o->jobs);
    if (s.st != TL_OK) {
        st = s.st;
        *d = s.d;
        goto cleanup;
    }
    *out = rep;
    rep = NULL;
cleanup:
    tl_free(s.work);
    pthread_mutex_destroy(&s.lock);
    tl_ruleset_free(rs);
    tl_vary_report_free(rep);
    return st;
}

/* ---- reports ------------------------------------------------------------------------------- */

static int var_evaded(const vscen *v, const vvar *x)
{
    return x->status == V_EQUIV && v->orig.n && !x->rules.n;
}

void tl_vary_report_counts(const tl_vary_report *r, tl_vary_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < r->nsc; i++) {
        const vscen *v = &r->sc[i];
        if (!v->attack || v->recorded)
            continue;
        c->scenarios++;
        for (size_t k = 0; k < v->nvars; k++) {
            const vvar *x = &v->vars[k];
            c->variants++;
            if (x->status == V_GENBUG)
                c->genbug++;
            else if (x->status == V_REFUSED)
                c->refused++;
            else {
                c->equivalent++;
                if (!v->orig.n)
                    c->undetected++;
                else if (x->rules.n)
                    c->detected++;
                else
                    c->evaded++;
            }
        }
    }
}

static void set_names(uint32_t set, tl_buf *out, const char *sep)
{
    int first = 1;
    for (int vt = 0; vt < TL_VT_COUNT; vt++)
        if (set & (1u << vt)) {
            tl_buf_printf(out, "%s%s", first ? "" : sep, tl_vt_defs[vt].name);
            first = 0;
        }
}

static void rules_text(const vrules *r, tl_buf *out)
{
    if (!r->n) {
        tl_buf_puts(out, "-");
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        tl_buf_printf(out, "%s%s L%d", i ? ", " : "", r->v[i].id, r->v[i].level);
}

/* Per-rule tallies over equivalent variants of scenarios whose original it detects. */
typedef struct rtally {
    char id[16];
    size_t survived, evaded;
} rtally;

static int rtally_cmp(const void *a, const void *b)
{
    const rtally *x = a, *y = b;
    size_t lx = strlen(x->id), ly = strlen(y->id);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->id, y->id);
}

static rtally *tally_rules(const tl_vary_report *r, size_t *n)
{
    rtally *t = NULL;
    *n = 0;
    for (size_t i = 0; i < r->nsc; i++) {
        const vscen *v = &r->sc[i];
        for (size_t j = 0; v->attack && !v->recorded && j < v->orig.n; j++) {
            size_t k;
            for (k = 0; k < *n; k++)
                if (!strcmp(t[k].id, v->orig.v[j].id))
                    break;
            if (k == *n) {
                rtally *nt = tl_realloc(t, (*n + 1) * sizeof *nt);
                if (!nt)
                    return t;
                t = nt;
                memset(&t[k], 0, sizeof t[k]);
                snprintf(t[k].id, sizeof t[k].id, "%s", v->orig.v[j].id);
                (*n)++;
            }
            for (size_t x = 0; x < v->nvars; x++) {
                const vvar *vv = &v->vars[x];
                if (vv->status != V_EQUIV)
                    continue;
                if (vrules_find(&vv->rules, t[k].id))
                    t[k].survived++;
                else
                    t[k].evaded++;
            }
        }
    }
    if (*n)
        qsort(t, *n, sizeof *t, rtally_cmp);
    return t;
}

/* Why an attack scenario is listed and not varied. */
static const char *not_varied_why(const vscen *v)
{
    return v->recorded == 2 ? "no command steps (nothing to respell)"
                            : "a recording (no command lines)";
}

void tl_vary_report_text(const tl_vary_report *r, tl_buf *out)
{
    tl_buf_printf(out,
                  "tasklab vary: profile %s, build %s, seed %llu, n %d, detection at level >= %d\n"
                  "transformations: ",
                  r->profile, r->build, (unsigned long long)r->seed, r->n, r->level);
    set_names(r->enabled, out, ", ");
    tl_buf_puts(out, "\n");
    for (size_t i = 0; i < r->nsc; i++) {
        const vscen *v = &r->sc[i];
        if (!v->attack || v->recorded) {
            tl_buf_printf(out, "\n%s: %s, not varied\n", v->name,
                          !v->attack ? "benign" : not_varied_why(v));
            continue;
        }
        tl_buf_printf(out, "\n%s: original detected by ", v->name);
        rules_text(&v->orig, out);
        tl_buf_printf(out, "; %zu variant%s\n", v->nvars, v->nvars == 1 ? "" : "s");
        if (!v->nvars)
            tl_buf_puts(out, "  (no transformation applies to its command lines)\n");
        for (size_t k = 0; k < v->nvars; k++) {
            const vvar *x = &v->vars[k];
            tl_buf names = TL_BUF_INIT;
            set_names(x->set, &names, "+");
            tl_buf_printf(out, "  %3zu  %-28s ", k + 1, tl_buf_cstr(&names));
            tl_buf_free(&names);
            if (x->status == V_GENBUG) {
                tl_buf_printf(out, "GENERATOR BUG  %s\n", x->message);
            } else if (x->status == V_REFUSED) {
                tl_buf_printf(out, "REFUSED        %s\n", x->message);
            } else if (!v->orig.n) {
                tl_buf_puts(out, "undetected     (so is the original) ");
                rules_text(&x->rules, out);
                tl_buf_putc(out, '\n');
            } else if (!x->rules.n) {
                tl_buf_puts(out, "EVADED         lost ");
                rules_text(&v->orig, out);
                tl_buf_putc(out, '\n');
            } else {
                tl_buf_puts(out, "detected       ");
                rules_text(&x->rules, out);
                int lost = 0;
                for (size_t j = 0; j < v->orig.n; j++)
                    if (!vrules_find(&x->rules, v->orig.v[j].id)) {
                        tl_buf_printf(out, "%s%s", lost ? ", " : "; lost ", v->orig.v[j].id);
                        lost = 1;
                    }
                tl_buf_putc(out, '\n');
            }
            /* the changed command lines, indented */
            const char *p = x->desc;
            while (p && *p) {
                const char *e = strchr(p, '\n');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                tl_buf_puts(out, "         ");
                for (size_t c = 0; c < n && c < 300; c++)
                    tl_buf_putc(out, p[c] == '\n' ? ' ' : p[c]);
                if (n > 300)
                    tl_buf_puts(out, "...");
                tl_buf_putc(out, '\n');
                p = e ? e + 1 : NULL;
            }
        }
    }
    size_t nt = 0;
    rtally *t = tally_rules(r, &nt);
    tl_buf_printf(out, "\nPer rule (equivalent variants of the scenarios it detects at level >= %d):\n",
                  r->level);
    tl_buf_puts(out, "  rule      survived  evaded\n");
    for (size_t i = 0; i < nt; i++)
        tl_buf_printf(out, "  %-9s %8zu  %6zu\n", t[i].id, t[i].survived, t[i].evaded);
    if (!nt)
        tl_buf_puts(out, "  (no rule detects an original)\n");
    tl_free(t);
    tl_vary_counts c;
    tl_vary_report_counts(r, &c);
    tl_buf_printf(out,
                  "\nSummary (%s): %zu attack scenarios, %zu variants: %zu equivalent (%zu detected, "
                  "%zu EVADED entirely, %zu undetected like their original), %zu generator bugs, "
                  "%zu refused by the simulator\n",
                  r->profile, c.scenarios, c.variants, c.equivalent, c.detected, c.evaded,
                  c.undetected, c.genbug, c.refused);
}

static void rules_json(const vrules *r, tl_buf *out)
{
    tl_buf_putc(out, '[');
    for (size_t i = 0; i < r->n; i++) {
        tl_buf_printf(out, "%s{\"rule\": ", i ? ", " : "");
        tl_buf_json_str(out, r->v[i].id);
        tl_buf_printf(out, ", \"level\": %d}", r->v[i].level);
    }
    tl_buf_putc(out, ']');
}

void tl_vary_report_json(const tl_vary_report *r, tl_buf *out)
{
    tl_vary_counts c;
    tl_vary_report_counts(r, &c);
    tl_buf_puts(out, "{\"tasklab_vary\": 1, \"profile\": ");
    tl_buf_json_str(out, r->profile);
    tl_buf_puts(out, ", \"build\": ");
    tl_buf_json_str(out, r->build);
    tl_buf_printf(out, ", \"seed\": %llu, \"n\": %d, \"level\": %d, \"transforms\": [",
                  (unsigned long long)r->seed, r->n, r->level);
    int first = 1;
    for (int vt = 0; vt < TL_VT_COUNT; vt++)
        if (r->enabled & (1u << vt)) {
            tl_buf_puts(out, first ? "" : ", ");
            tl_buf_json_str(out, tl_vt_defs[vt].name);
            first = 0;
        }
    tl_buf_printf(out,
                  "],\n \"counts\": {\"scenarios\": %zu, \"variants\": %zu, \"equivalent\": %zu, "
                  "\"detected\": %zu, \"evaded\": %zu, \"undetected\": %zu, \"generator_bug\": %zu, "
                  "\"refused\": %zu},\n \"scenarios\": [",
                  c.scenarios, c.variants, c.equivalent, c.detected, c.evaded, c.undetected,
                  c.genbug, c.refused);
    int fs = 1;
    for (size_t i = 0; i < r->nsc; i++) {
        const vscen *v = &r->sc[i];
        tl_buf_puts(out, fs ? "\n  {\"name\": " : ",\n  {\"name\": ");
        fs = 0;
        tl_buf_json_str(out, v->name);
        tl_buf_printf(out, ", \"kind\": \"%s\"", v->attack ? "attack" : "benign");
        if (v->recorded == 1)
            tl_buf_puts(out, ", \"recording\": true");
        else if (v->recorded == 2)
            tl_buf_puts(out, ", \"no_command_steps\": true");
        if (!v->attack || v->recorded) {
            tl_buf_puts(out, ", \"variants\": []}");
            continue;
        }
        tl_buf_puts(out, ", \"original\": ");
        rules_json(&v->orig, out);
        tl_buf_puts(out, ", \"variants\": [");
        for (size_t k = 0; k < v->nvars; k++) {
            const vvar *x = &v->vars[k];
            static const char *const stn[] = {"equivalent", "generator-bug", "refused"};
            tl_buf_printf(out, "%s\n    {\"index\": %zu, \"transforms\": [", k ? "," : "", k + 1);
            int f2 = 1;
            for (int vt = 0; vt < TL_VT_COUNT; vt++)
                if (x->set & (1u << vt)) {
                    tl_buf_puts(out, f2 ? "" : ", ");
                    tl_buf_json_str(out, tl_vt_defs[vt].name);
                    f2 = 0;
                }
            tl_buf_puts(out, "], \"changes\": ");
            tl_buf_json_str(out, x->desc);
            tl_buf_printf(out, ", \"status\": \"%s\"", stn[x->status]);
            if (x->message) {
                tl_buf_puts(out, ", \"message\": ");
                tl_buf_json_str(out, x->message);
            }
            if (x->status == V_EQUIV) {
                tl_buf_printf(out, ", \"detected\": %s, \"evaded\": %s, \"rules\": ",
                              x->rules.n ? "true" : "false", var_evaded(v, x) ? "true" : "false");
                rules_json(&x->rules, out);
                tl_buf_puts(out, ", \"lost\": [");
                int f3 = 1;
                for (size_t j = 0; j < v->orig.n; j++)
                    if (!vrules_find(&x->rules, v->orig.v[j].id)) {
                        tl_buf_puts(out, f3 ? "" : ", ");
                        tl_buf_json_str(out, v->orig.v[j].id);
                        f3 = 0;
                    }
                tl_buf_putc(out, ']');
            }
            tl_buf_putc(out, '}');
        }
        tl_buf_puts(out, v->nvars ? "\n  ]}" : "]}");
    }
    tl_buf_puts(out, "\n ],\n \"rules\": [");
    size_t nt = 0;
    rtally *t = tally_rules(r, &nt);
    for (size_t i = 0; i < nt; i++) {
        tl_buf_printf(out, "%s{\"rule\": ", i ? ", " : "");
        tl_buf_json_str(out, t[i].id);
        tl_buf_printf(out, ", \"survived\": %zu, \"evaded\": %zu}", t[i].survived, t[i].evaded);
    }
    tl_free(t);
    tl_buf_puts(out, "]}\n");
}

static void xml_text(tl_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            tl_buf_puts(out, "&amp;");
        else if (*s == '<')
            tl_buf_puts(out, "&lt;");
        else if (*s == '>')
            tl_buf_puts(out, "&gt;");
        else if (*s == '"')
            tl_buf_puts(out, "&quot;");
        else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            tl_buf_printf(out, "&#x%X;", (unsigned)(unsigned char)*s);
        else
            tl_buf_putc(out, *s);
    }
}

void tl_vary_report_junit(const tl_vary_report *r, tl_buf *out)
{
    tl_vary_counts c;
    tl_vary_report_counts(r, &c);
    /* every scenario has at least one testcase, so a merge of --shard slices
     * knows each scenario's place: one without variants has a skipped one */
    size_t unvaried = 0;
    for (size_t i = 0; i < r->nsc; i++)
        unvaried += !r->sc[i].attack || r->sc[i].recorded || !r->sc[i].nvars;
    tl_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    tl_buf_printf(out,
                  "<testsuite name=\"tasklab vary (%s)\" tests=\"%zu\" failures=\"%zu\" "
                  "errors=\"%zu\" skipped=\"%zu\">\n",
                  r->profile, c.variants + unvaried, c.evaded, c.genbug + c.refused,
                  c.undetected + unvaried);
    for (size_t i = 0; i < r->nsc; i++) {
        const vscen *v = &r->sc[i];
        if (!v->attack || v->recorded || !v->nvars) {
            const char *why = !v->attack ? "benign"
                              : v->recorded ? not_varied_why(v)
                                            : "no transformation applies to its command lines";
            tl_buf_puts(out, "  <testcase classname=\"");
            xml_text(out, v->name);
            tl_buf_printf(out, "\" name=\"not varied\"><skipped message=\"%s\"/></testcase>\n", why);
            continue;
        }
        for (size_t k = 0; k < v->nvars; k++) {
            const vvar *x = &v->vars[k];
            tl_buf names = TL_BUF_INIT;
            set_names(x->set, &names, "+");
            tl_buf_puts(out, "  <testcase classname=\"");
            xml_text(out, v->name);
            tl_buf_printf(out, "\" name=\"#%zu ", k + 1);
            xml_text(out, tl_buf_cstr(&names));
            tl_buf_puts(out, "\">");
            tl_buf_free(&names);
            if (x->status == V_GENBUG || x->status == V_REFUSED) {
                tl_buf_printf(out, "<error message=\"%s: ",
                              x->status == V_GENBUG ? "generator bug" : "refused by the simulator");
                xml_text(out, x->message ? x->message : "");
                tl_buf_puts(out, "\"/>");
            } else if (!v->orig.n) {
                tl_buf_puts(out, "<skipped message=\"the original is not detected either\"/>");
            } else if (!x->rules.n) {
                tl_buf_puts(out, "<failure message=\"evaded: no alert at level &gt;= ");
                tl_buf_printf(out, "%d", r->level);
                tl_buf_puts(out, "\">");
                xml_text(out, x->desc);
                tl_buf_puts(out, "</failure>");
            }
            tl_buf_puts(out, "</testcase>\n");
        }
    }
    tl_buf_puts(out, "</testsuite>\n</testsuites>\n");
}
