/* SPDX-License-Identifier: MIT */
/*
 * Hand-written expectations (style.md §9), checked on every run and never
 * rewritten by --bless. Vocabulary borrowed from suricata-verify's filters:
 *
 *   "expect": [
 *     {"count": 1, "match": {"rule.id": "115009", "data.TaskName": "test-task"}},
 *     {"count": 0, "match": {"rule.id": "115006"}, "why": "CreateKey is excluded"},
 *     {"count": 1, "events": {"System.EventID": 1, "EventData.Image__endswith": "\\schtasks.exe"}},
 *     {"count": 1, "ar": {"TaskName": "test-task", "Actions[0].Execute": "calc.exe"}},
 *     {"count": 1, "tasks": {"Path": "\\test-task", "Hidden": false, "Listed": true}},
 *     {"count": 1, "console": {"step": 0, "exit_code": 0, "output__contains": "SUCCESS"}}
 *   ]
 *
 * Each item names one kind of object and conditions on it: `match` the alerts
 * of alerts.json, `events` the logged event records (every channel; an object
 * {"System": {...}, "EventData": {...}} per record), `ar` the
 * scheduled-tasks.log records of the active response, `tasks` the endpoint's
 * tasks at the end of the run, `console` what each command step printed. It
 * counts the objects for which every condition holds and compares with `count`
 * exactly. Paths are dotted with [i] indexing (`rule.mitre.id[0]`); operators
 * are key suffixes: __contains, __startswith, __endswith, __gt, __gte, __lt,
 * __lte, __len; `has-key` / `not-has-key` take a path or a list of paths.
 * Types are strict: "rule.id" is the string "115009", "rule.level" the number 6.
 * Unknown or duplicate keys are errors naming the JSON path
 * ($.expect[2].match.rule.idd). An item may name the profiles it applies to
 * ("profiles": ["default", "wazuh"]); without it, it applies to all.
 *
 * Event records are counted as the driver logs them (tl_expect_event), so an
 * events.xml that is streamed rather than kept (the soak's) is checked too.
 */
#include "tasklab/pipeline.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef enum { OP_EQ, OP_CONTAINS, OP_STARTS, OP_ENDS, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_LEN } op_t;

static const struct {
    const char *suffix;
    op_t op;
} ops[] = {{"__contains", OP_CONTAINS}, {"__startswith", OP_STARTS}, {"__endswith", OP_ENDS},
           {"__gte", OP_GTE},           {"__gt", OP_GT},             {"__lte", OP_LTE},
           {"__lt", OP_LT},             {"__len", OP_LEN}};

/* The kinds of object an item counts: its key, and the noun of the failure line. */
typedef enum { K_ALERTS, K_EVENTS, K_AR, K_TASKS, K_CONSOLE, K_COUNT } kind_t;
static const struct {
    const char *key;
    const char *one, *many;
} kinds[K_COUNT] = {{"match", "alert", "alerts"},
                    {"events", "event", "events"},
                    {"ar", "AR record", "AR records"},
                    {"tasks", "task", "tasks"},
                    {"console", "console record", "console records"}};

typedef struct xitem {
    const cJSON *match; /* borrowed from root */
    kind_t kind;
    long count;
    int applies; /* the profile is one of its "profiles" */
    size_t got;  /* events counted so far (K_EVENTS) */
} xitem;

struct tl_expect {
    cJSON *root;
    xitem *items;
    size_t n;
    int want_events; /* some applying item is of kind events */
    int events_fed;  /* tl_expect_event was called for a run (even with no record) */
};

/* Resolve a dotted path with [i] indexing; NULL when absent. */
static const cJSON *resolve(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    const char *p = path;
    char key[256];
    while (cur && *p) {
        size_t n = strcspn(p, ".[");
        if (n >= sizeof key)
            return NULL;
        if (n) {
            memcpy(key, p, n);
            key[n] = '\0';
            if (!cJSON_IsObject(cur))
                return NULL;
            cur = cJSON_GetObjectItemCaseSensitive(cur, key);
            p += n;
        }
        while (cur && *p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (*end != ']' || idx < 0 || !cJSON_IsArray(cur))
                return NULL;
            cur = cJSON_GetArrayItem(cur, (int)idx);
            p = end + 1;
        }
        if (*p == '.')
            p++;
        else if (*p)
            return NULL;
    }
    return cur;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int cond_holds(const cJSON *obj, const char *path, op_t op, const cJSON *want)
{
    const cJSON *v = resolve(obj, path);
    if (!v)
        return 0;
    switch (op) {
    case OP_EQ:
        return cJSON_Compare(v, want, 1);
    case OP_CONTAINS:
        if (cJSON_IsString(v) && cJSON_IsString(want))
            return strstr(v->valuestring, want->valuestring) != NULL;
        if (cJSON_IsArray(v)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, v) if (cJSON_Compare(e, want, 1)) return 1;
        }
        return 0;
    case OP_STARTS:
        return cJSON_IsString(v) && cJSON_IsString(want) &&
               !strncmp(v->valuestring, want->valuestring, strlen(want->valuestring));
    case OP_ENDS:
        return cJSON_IsString(v) && cJSON_IsString(want) &&
               ends_with(v->valuestring, want->valuestring);
    case OP_GT: return cJSON_IsNumber(v) && v->valuedouble > want->valuedouble;
    case OP_GTE: return cJSON_IsNumber(v) && v->valuedouble >= want->valuedouble;
    case OP_LT: return cJSON_IsNumber(v) && v->valuedouble < want->valuedouble;
    case OP_LTE: return cJSON_IsNumber(v) && v->valuedouble <= want->valuedouble;
    case OP_LEN:
        if (cJSON_IsArray(v))
            return cJSON_GetArraySize(v) == want->valueint;
        if (cJSON_IsString(v))
            return (double)strlen(v->valuestring) == want->valuedouble;
        return 0;
    }
    return 0;
}

static int has_dup(const cJSON *obj, const cJSON *item)
{
    for (const cJSON *o = obj->child; o && o != item; o = o->next)
        if (o->string && !strcmp(o->string, item->string))
            return 1;
    return 0;
}

/* Validate one conditions object ($.expect[idx].<key>); TL_E_PARSE with d on error. */
static tl_status validate_match(const cJSON *m, size_t idx, const char *key, tl_diag *d)
{
    if (!cJSON_IsObject(m)) {
        tl_diag_set(d, "", 0, "$.expect[%zu].%s: expected an object", idx, key);
        return TL_E_PARSE;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, m)
    {
        if (has_dup(m, c)) {
            tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: duplicate key", idx, key, c->string);
            return TL_E_PARSE;
        }
        if (!strcmp(c->string, "has-key") || !strcmp(c->string, "not-has-key")) {
            if (cJSON_IsString(c))
                continue;
            if (cJSON_IsArray(c)) {
                const cJSON *e;
                cJSON_ArrayForEach(e, c) if (!cJSON_IsString(e))
                {
                    tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: expected strings", idx, key,
                                c->string);
                    return TL_E_PARSE;
                }
                continue;
            }
            tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: expected a path or a list of paths",
                        idx, key, c->string);
            return TL_E_PARSE;
        }
        if (strlen(c->string) >= 512) {
            tl_diag_set(d, "", 0, "$.expect[%zu].%s: a path longer than 511 bytes", idx, key);
            return TL_E_PARSE;
        }
        const char *dunder = strstr(c->string, "__");
        if (dunder) {
            int known = 0;
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                if (!strcmp(dunder, ops[i].suffix)) {
                    known = 1;
                    op_t op = ops[i].op;
                    int numeric = op == OP_GT || op == OP_GTE || op == OP_LT || op == OP_LTE ||
                                  op == OP_LEN;
                    if (numeric && !cJSON_IsNumber(c)) {
                        tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: expected a number", idx, key,
                                    c->string);
                        return TL_E_PARSE;
                    }
                    if ((op == OP_STARTS || op == OP_ENDS) && !cJSON_IsString(c)) {
                        tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: expected a string", idx, key,
                                    c->string);
                        return TL_E_PARSE;
                    }
                }
            if (!known) {
                tl_diag_set(d, "", 0, "$.expect[%zu].%s.%s: unknown operator '%s'", idx, key,
                            c->string, dunder);
                return TL_E_PARSE;
            }
        }
    }
    return TL_OK;
}

static int obj_matches(const cJSON *obj, const cJSON *m)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, m)
    {
        int neg = !strcmp(c->string, "not-has-key");
        if (neg || !strcmp(c->string, "has-key")) {
            if (cJSON_IsString(c)) {
                if ((resolve(obj, c->valuestring) != NULL) == neg)
                    return 0;
            } else {
                const cJSON *e;
                cJSON_ArrayForEach(e, c) if ((resolve(obj, e->valuestring) != NULL) == neg) return 0;
            }
            continue;
        }
        char path[512];
        op_t op = OP_EQ;
        snprintf(path, sizeof path, "%s", c->string);
        char *dunder = strstr(path, "__");
        if (dunder) {
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                if (!strcmp(dunder, ops[i].suffix))
                    op = ops[i].op;
            *dunder = '\0';
        }
        if (!cond_holds(obj, path, op, c))
            return 0;
    }
    return 1;
}

void tl_expect_free(tl_expect *e)
{
    if (!e)
        return;
    cJSON_Delete(e->root);
    tl_free(e->items);
    tl_free(e);
}

tl_status tl_expect_new(const char *expect_json, const char *profile, tl_expect **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_expect *e = tl_calloc(1, sizeof *e);
    TL_TRY_ALLOC(e);
    e->root = cJSON_Parse(expect_json ? expect_json : "[]");
    if (!e->root || !cJSON_IsArray(e->root)) {
        if (!e->root && !expect_json)
            TL_FAIL(TL_E_NOMEM);
        tl_diag_set(d, "", 0, "$.expect: expected an array");
        TL_FAIL(TL_E_PARSE);
    }
    size_t n = (size_t)cJSON_GetArraySize(e->root);
    if (n) {
        e->items = tl_calloc(n, sizeof *e->items);
        TL_TRY_ALLOC(e->items);
    }
    size_t idx = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, e->root)
    {
        if (!cJSON_IsObject(item)) {
            tl_diag_set(d, "", 0, "$.expect[%zu]: expected an object", idx);
            TL_FAIL(TL_E_PARSE);
        }
        const cJSON *count = NULL, *match = NULL, *profiles = NULL, *c;
        kind_t kind = K_ALERTS;
        cJSON_ArrayForEach(c, item)
        {
            if (has_dup(item, c)) {
                tl_diag_set(d, "", 0, "$.expect[%zu].%s: duplicate key", idx, c->string);
                TL_FAIL(TL_E_PARSE);
            }
            int k = -1;
            for (int i = 0; i < K_COUNT; i++)
                if (!strcmp(c->string, kinds[i].key))
                    k = i;
            if (k >= 0) {
                if (match) {
                    tl_diag_set(d, "", 0,
                                "$.expect[%zu].%s: an item has one of match, events, ar, tasks, "
                                "console (it also has %s)",
                                idx, c->string, kinds[kind].key);
                    TL_FAIL(TL_E_PARSE);
                }
                match = c;
                kind = (kind_t)k;
            } else if (!strcmp(c->string, "count"))
                count = c;
            else if (!strcmp(c->string, "profiles")) {
                const cJSON *p;
                profiles = c;
                if (!cJSON_IsArray(c)) {
                    tl_diag_set(d, "", 0, "$.expect[%zu].profiles: expected a list of names", idx);
                    TL_FAIL(TL_E_PARSE);
                }
                cJSON_ArrayForEach(p, c) if (!cJSON_IsString(p) ||
                                             (strcmp(p->valuestring, "default") &&
                                              strcmp(p->valuestring, "tasklab") &&
                                              strcmp(p->valuestring, "wazuh")))
                {
                    tl_diag_set(d, "", 0,
                                "$.expect[%zu].profiles: expected default, tasklab or wazuh", idx);
                    TL_FAIL(TL_E_PARSE);
                }
            } else if (!strcmp(c->string, "why") || !strcmp(c->string, "comment")) {
                if (!cJSON_IsString(c)) {
                    tl_diag_set(d, "", 0, "$.expect[%zu].%s: expected a string", idx, c->string);
                    TL_FAIL(TL_E_PARSE);
                }
            } else {
                tl_diag_set(d, "", 0, "$.expect[%zu].%s: unknown key", idx, c->string);
                TL_FAIL(TL_E_PARSE);
            }
        }
        if (!count || !cJSON_IsNumber(count) || count->valuedouble < 0 ||
            count->valuedouble > 1e9 || count->valuedouble != floor(count->valuedouble)) {
            tl_diag_set(d, "", 0, "$.expect[%zu].count: expected a whole number", idx);
            TL_FAIL(TL_E_PARSE);
        }
        if (!match) {
            tl_diag_set(d, "", 0,
                        "$.expect[%zu]: missing the conditions (match, events, ar, tasks or "
                        "console)",
                        idx);
            TL_FAIL(TL_E_PARSE);
        }
        TL_TRY(validate_match(match, idx, kinds[kind].key, d));
        xitem *x = &e->items[idx];
        x->match = match;
        x->kind = kind;
        x->count = (long)count->valuedouble;
        x->applies = 1;
        if (profiles && profile) {
            const cJSON *p;
            x->applies = 0;
            cJSON_ArrayForEach(p, profiles) x->applies |= !strcmp(p->valuestring, profile);
        }
        if (x->applies && kind == K_EVENTS)
            e->want_events = 1;
        idx++;
    }
    e->n = idx;
    *out = e;
    e = NULL;
cleanup:
    tl_expect_free(e);
    return st;
}

/* ---- event records as objects --------------------------------------------- */

/* Decode XML character data [p, e) (the five entities and &#N; / &#xN;) into b. */
static void xml_text(tl_buf *b, const char *p, const char *e)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    tl_buf_reset(b);
    while (p < e) {
        if (*p == '&') {
            int done = 0;
            for (size_t i = 0; i < sizeof ents / sizeof ents[0] && !done; i++) {
                size_t l = strlen(ents[i].ent);
                if ((size_t)(e - p) >= l && !strncmp(p, ents[i].ent, l)) {
                    tl_buf_putc(b, ents[i].c);
                    p += l;
                    done = 1;
                }
            }
            if (!done && e - p > 3 && p[1] == '#') {
                char *end;
                int hex = p[2] == 'x' || p[2] == 'X';
                unsigned long cp = strtoul(p + 2 + hex, &end, hex ? 16 : 10);
                if (end < e && *end == ';' && cp > 0 && cp <= 0x10FFFF) {
                    char u[4];
                    tl_buf_append(b, u, tl_utf8_encode(cp, u));
                    p = end + 1;
                    done = 1;
                }
            }
            if (done)
                continue;
        }
        tl_buf_putc(b, *p++);
    }
}

/* System values that are numbers in the event schema. */
static int numeric_field(const char *name)
{
    static const char *const num[] = {"EventID", "Version",   "Level",    "Task",
                                      "Opcode",  "EventRecordID", "ProcessID", "ThreadID"};
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        if (!strcmp(name, num[i]))
            return 1;
    return 0;
}

static tl_status add_value(cJSON *obj, const char *name, const char *text)
{
    cJSON *v;
    char *end;
    double x;
    if (numeric_field(name) && *text && (x = strtod(text, &end), !*end))
        v = cJSON_CreateNumber(x);
    else
        v = cJSON_CreateString(text);
    if (!v)
        return TL_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, name)) {
        cJSON_Delete(v); /* the first of a repeated name wins */
        return TL_OK;
    }
    cJSON_AddItemToObject(obj, name, v);
    return TL_OK;
}

/* Parse `name='value'` attributes of a start tag [p, e) into obj. */
static tl_status add_attrs(cJSON *obj, const char *p, const char *e, tl_buf *tmp)
{
    char name[64];
    for (;;) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        const char *n0 = p;
        while (p < e && *p != '=' && *p != ' ' && *p != '/' && *p != '>')
            p++;
        if (p >= e || *p != '=' || p == n0 || (size_t)(p - n0) >= sizeof name)
            return TL_OK;
        memcpy(name, n0, (size_t)(p - n0));
        name[p - n0] = '\0';
        p++;
        if (p >= e || (*p != '\'' && *p != '"'))
            return TL_OK;
        char q = *p++;
        const char *v0 = p;
        while (p < e && *p != q)
            p++;
        if (p >= e)
            return TL_OK;
        xml_text(tmp, v0, p);
        if (tl_buf_status(tmp) != TL_OK)
            return TL_E_NOMEM;
        if (add_value(obj, name, tl_buf_cstr(tmp)) != TL_OK)
            return TL_E_NOMEM;
        p++;
    }
}

/* Find `<tag` followed by ' ', '/' or '>' in [p, e). */
static const char *find_tag(const char *p, const char *e, const char *tag)
{
    size_t l = strlen(tag);
    while (p && p < e) {
        p = strstr(p, tag);
        if (!p || p + l > e)
            return NULL;
        char c = p[l];
        if (c == ' ' || c == '/' || c == '>')
            return p;
        p += l;
    }
    return NULL;
}

/* One record (EvtRender XML) as {"System": {...}, "EventData": {...}}:
 * System children by element name (text, or an object of their attributes:
 * Provider.Name, TimeCreated.SystemTime, Execution.ProcessID, Security.UserID),
 * EventData by each Data's Name. Owned (cJSON_Delete); NULL when out of memory. */
static cJSON *event_object(const char *xml)
{
    tl_buf tmp = TL_BUF_INIT;
    cJSON *o = cJSON_CreateObject(), *sys = NULL, *ed = NULL;
    if (!o)
        goto fail;
    sys = cJSON_AddObjectToObject(o, "System");
    ed = cJSON_AddObjectToObject(o, "EventData");
    if (!sys || !ed)
        goto fail;
    const char *s0 = strstr(xml, "<System>"), *s1 = s0 ? strstr(s0, "</System>") : NULL;
    if (s0 && s1) {
        const char *p = s0 + strlen("<System>");
        while (p < s1) {
            const char *lt = memchr(p, '<', (size_t)(s1 - p));
            if (!lt || lt[1] == '/')
                break;
            const char *gt = memchr(lt, '>', (size_t)(s1 - lt));
            if (!gt)
                break;
            size_t nl = strcspn(lt + 1, " />");
            char name[64];
            if (nl == 0 || nl >= sizeof name)
                break;
            memcpy(name, lt + 1, nl);
            name[nl] = '\0';
            int empty = gt[-1] == '/';
            const char *attr_end = empty ? gt - 1 : gt;
            if (lt + 1 + nl < attr_end) {
                cJSON *a = cJSON_AddObjectToObject(sys, name);
                if (!a || add_attrs(a, lt + 1 + nl, attr_end, &tmp) != TL_OK)
                    goto fail;
            } else if (empty) {
                if (!cJSON_AddObjectToObject(sys, name))
                    goto fail;
            }
            if (empty) {
                p = gt + 1;
                continue;
            }
            const char *close = strstr(gt + 1, "</");
            if (!close || close > s1)
                break;
            if (!cJSON_GetObjectItemCaseSensitive(sys, name)) {
                xml_text(&tmp, gt + 1, close);
                if (tl_buf_status(&tmp) != TL_OK || add_value(sys, name, tl_buf_cstr(&tmp)) != TL_OK)
                    goto fail;
            }
            const char *after = strchr(close, '>');
            if (!after)
                break;
            p = after + 1;
        }
    }
    const char *d0 = find_tag(xml, xml + strlen(xml), "<EventData");
    const char *d1 = d0 ? strstr(d0, "</EventData>") : NULL;
    for (const char *p = d0; p && d1 && (p = find_tag(p, d1, "<Data")) != NULL;) {
        const char *gt = memchr(p, '>', (size_t)(d1 - p));
        if (!gt)
            break;
        int empty = gt[-1] == '/';
        cJSON *tmpo = cJSON_CreateObject();
        if (!tmpo || add_attrs(tmpo, p + 5, empty ? gt - 1 : gt, &tmp) != TL_OK) {
            cJSON_Delete(tmpo);
            goto fail;
        }
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(tmpo, "Name");
        const char *close = empty ? gt + 1 : strstr(gt + 1, "</Data>");
        if (!close || close > d1) {
            cJSON_Delete(tmpo);
            break;
        }
        if (cJSON_IsString(nm)) {
            xml_text(&tmp, gt + 1, empty ? gt + 1 : close);
            tl_status st = tl_buf_status(&tmp);
            if (st == TL_OK)
                st = add_value(ed, nm->valuestring, tl_buf_cstr(&tmp));
            if (st != TL_OK) {
                cJSON_Delete(tmpo);
                goto fail;
            }
        }
        cJSON_Delete(tmpo);
        p = empty ? gt + 1 : close + strlen("</Data>");
    }
    tl_buf_free(&tmp);
    return o;
fail:
    tl_buf_free(&tmp);
    cJSON_Delete(o);
    return NULL;
}

tl_status tl_expect_event(tl_expect *e, const char *xml)
{
    if (!e)
        return TL_OK;
    e->events_fed = 1;
    if (!e->want_events || !xml)
        return TL_OK;
    cJSON *o = event_object(xml);
    if (!o)
        return TL_E_NOMEM;
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].applies && e->items[i].kind == K_EVENTS &&
            obj_matches(o, e->items[i].match))
            e->items[i].got++;
    cJSON_Delete(o);
    return TL_OK;
}

void tl_expect_events_begin(tl_expect *e)
{
    if (e) {
        e->events_fed = 1;
        for (size_t i = 0; i < e->n; i++)
            e->items[i].got = 0;
    }
}

/* ---- the check ------------------------------------------------------------ */

/* Parse text holding JSON objects, one a line ("alerts.json", "scheduled-tasks.log"). */
static tl_status parse_lines(const char *text, const char *name, cJSON **out, tl_diag *d)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return TL_E_NOMEM;
    int line = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        if (len && p[len - 1] == '\r')
            len--;
        if (len) {
            cJSON *a = cJSON_ParseWithLength(p, len);
            if (!a) {
                tl_diag_set(d, name, line, "not a JSON object");
                cJSON_Delete(arr);
                return TL_E_PARSE;
            }
            cJSON_AddItemToArray(arr, a);
        }
        p = nl ? nl + 1 : p + len;
    }
    *out = arr;
    return TL_OK;
}

tl_status tl_expect_finish(tl_expect *e, const tl_expect_data *in, tl_buf *report, int *failed,
                           tl_diag *d)
{
    tl_status st = TL_OK;
    cJSON *objs[K_COUNT] = {NULL};
    int have[K_COUNT] = {0};
    int nfail = 0;
    const char *names[K_COUNT] = {"alerts.json", NULL, "scheduled-tasks.log", "tasks", "console"};
    const char *texts[K_COUNT] = {in->alerts_json, NULL, in->tasks_log, in->tasks_json,
                                  in->console_json};
    for (int k = 0; k < K_COUNT; k++) {
        if (k == K_EVENTS || !texts[k])
            continue;
        int needed = 0;
        for (size_t i = 0; i < e->n; i++)
            needed |= e->items[i].applies && e->items[i].kind == (kind_t)k;
        if (!needed)
            continue;
        if (k == K_TASKS || k == K_CONSOLE) {
            objs[k] = cJSON_Parse(texts[k]);
            if (!objs[k] || !cJSON_IsArray(objs[k])) {
                tl_diag_set(d, names[k], 0, "not a JSON array");
                TL_FAIL(TL_E_PARSE);
            }
        } else {
            TL_TRY(parse_lines(texts[k], names[k], &objs[k], d));
        }
        have[k] = 1;
    }
    have[K_EVENTS] = e->events_fed;
    for (size_t i = 0; i < e->n; i++) {
        const xitem *x = &e->items[i];
        if (!x->applies || !have[x->kind])
            continue; /* another profile's item, or a kind this caller has no data for */
        size_t n = 0;
        if (x->kind == K_EVENTS) {
            n = x->got;
        } else {
            const cJSON *o;
            cJSON_ArrayForEach(o, objs[x->kind]) n += (size_t)obj_matches(o, x->match);
        }
        if ((long)n != x->count) {
            nfail++;
            char *m = cJSON_PrintUnformatted(x->match);
            tl_buf_printf(report, "  expectation $.expect[%zu] failed: %zu %s matched %s, expected %ld\n",
                          i, n, n == 1 ? kinds[x->kind].one : kinds[x->kind].many,
                          m ? m : "?", x->count);
            cJSON_free(m);
        }
    }
    TL_TRY(tl_buf_status(report));
    *failed = nfail;
cleanup:
    for (int k = 0; k < K_COUNT; k++)
        cJSON_Delete(objs[k]);
    return st;
}

tl_status tl_expect_check(const char *expect_json, const char *profile, const char *alerts_json,
                          tl_buf *report, int *failed, tl_diag *d)
{
    tl_expect_data in;
    memset(&in, 0, sizeof in);
    in.alerts_json = alerts_json ? alerts_json : "";
    tl_expect *e = NULL;
    tl_status st = tl_expect_new(expect_json, profile, &e, d);
    if (st == TL_OK)
        st = tl_expect_finish(e, &in, report, failed, d);
    tl_expect_free(e);
    return st;
}

tl_status tl_expect_check_run(const char *expect_json, const char *profile,
                              const tl_run_result *r, tl_buf *report, int *failed, tl_diag *d)
{
    tl_expect_data in;
    memset(&in, 0, sizeof in);
    in.alerts_json = r->alerts_json ? r->alerts_json : "";
    in.tasks_log = r->tasks_log;
    in.tasks_json = r->tasks_json;
    in.console_json = r->console_json;
    tl_expect *e = NULL;
    tl_status st = tl_expect_new(expect_json, profile, &e, d);
    if (st == TL_OK && r->events_xml) {
        /* one record a line in events.xml; a record's text may hold new lines */
        tl_expect_events_begin(e);
        const char *p = r->events_xml;
        while (st == TL_OK && (p = strstr(p, "<Event ")) != NULL) {
            const char *end = strstr(p, "</Event>");
            if (!end)
                break;
            size_t len = (size_t)(end - p) + strlen("</Event>");
            char *rec = tl_malloc(len + 1);
            if (!rec) {
                st = TL_E_NOMEM;
                break;
            }
            memcpy(rec, p, len);
            rec[len] = '\0';
            st = tl_expect_event(e, rec);
            tl_free(rec);
            p = end;
        }
    }
    if (st == TL_OK)
        st = tl_expect_finish(e, &in, report, failed, d);
    tl_expect_free(e);
    return st;
}
