/* SPDX-License-Identifier: MIT */
/*
 * Hand-written expectations (style.md §9), checked on every run and never
 * rewritten by --bless. Vocabulary borrowed from suricata-verify's filters:
 *
 *   "expect": [
 *     {"count": 1, "match": {"rule.id": "115009", "data.TaskName": "test-task"}},
 *     {"count": 0, "match": {"rule.id": "115006"}, "why": "CreateKey is excluded"},
 *     {"count": 2, "match": {"rule.level__gte": 6, "has-key": "data.win.eventdata.image"}}
 *   ]
 *
 * Each item counts the alerts for which every condition of `match` holds and
 * compares with `count` exactly. Paths are dotted with [i] indexing
 * (`rule.mitre.id[0]`); operators are key suffixes: __contains, __startswith,
 * __endswith, __gt, __gte, __lt, __lte, __len; `has-key` / `not-has-key` take
 * a path or a list of paths. Types are strict: "rule.id" is the string
 * "115009", "rule.level" the number 6. Unknown or duplicate keys are errors
 * naming the JSON path ($[2].match.rule.idd). An item may name the profiles it
 * applies to ("profiles": ["default", "wazuh"]); without it, it applies to all.
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

static int cond_holds(const cJSON *alert, const char *path, op_t op, const cJSON *want)
{
    const cJSON *v = resolve(alert, path);
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

/* Validate one "match" object; fills d and returns TL_E_PARSE on error. */
static tl_status validate_match(const cJSON *m, size_t idx, tl_diag *d)
{
    if (!cJSON_IsObject(m)) {
        tl_diag_set(d, "", 0, "$.expect[%zu].match: expected an object", idx);
        return TL_E_PARSE;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, m)
    {
        if (has_dup(m, c)) {
            tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: duplicate key", idx, c->string);
            return TL_E_PARSE;
        }
        if (!strcmp(c->string, "has-key") || !strcmp(c->string, "not-has-key")) {
            if (cJSON_IsString(c))
                continue;
            if (cJSON_IsArray(c)) {
                const cJSON *e;
                cJSON_ArrayForEach(e, c) if (!cJSON_IsString(e))
                {
                    tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: expected strings", idx,
                                c->string);
                    return TL_E_PARSE;
                }
                continue;
            }
            tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: expected a path or a list of paths",
                        idx, c->string);
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
                        tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: expected a number", idx,
                                    c->string);
                        return TL_E_PARSE;
                    }
                    if ((op == OP_STARTS || op == OP_ENDS) && !cJSON_IsString(c)) {
                        tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: expected a string", idx,
                                    c->string);
                        return TL_E_PARSE;
                    }
                }
            if (!known) {
                tl_diag_set(d, "", 0, "$.expect[%zu].match.%s: unknown operator '%s'", idx,
                            c->string, dunder);
                return TL_E_PARSE;
            }
        }
    }
    return TL_OK;
}

static int alert_matches(const cJSON *alert, const cJSON *m)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, m)
    {
        int neg = !strcmp(c->string, "not-has-key");
        if (neg || !strcmp(c->string, "has-key")) {
            if (cJSON_IsString(c)) {
                if ((resolve(alert, c->valuestring) != NULL) == neg)
                    return 0;
            } else {
                const cJSON *e;
                cJSON_ArrayForEach(e, c) if ((resolve(alert, e->valuestring) != NULL) == neg) return 0;
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
        if (!cond_holds(alert, path, op, c))
            return 0;
    }
    return 1;
}

tl_status tl_expect_check(const char *expect_json, const char *profile, const char *alerts_json,
                          tl_buf *report, int *failed, tl_diag *d)
{
    tl_status st = TL_OK;
    cJSON *ex = NULL;
    cJSON **alerts = NULL;
    size_t nalerts = 0, cap = 0;
    int nfail = 0;

    ex = cJSON_Parse(expect_json ? expect_json : "[]");
    if (!ex || !cJSON_IsArray(ex)) {
        tl_diag_set(d, "", 0, "$.expect: expected an array");
        TL_FAIL(TL_E_PARSE);
    }
    /* Parse alerts.json, one object per line. */
    for (const char *p = alerts_json; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            if (nalerts == cap) {
                size_t nc = cap ? cap * 2 : 16;
                cJSON **na = tl_realloc(alerts, nc * sizeof *na);
                TL_TRY_ALLOC(na);
                alerts = na;
                cap = nc;
            }
            cJSON *a = cJSON_ParseWithLength(p, len);
            if (!a) {
                tl_diag_set(d, "alerts.json", (int)nalerts + 1, "not a JSON object");
                TL_FAIL(TL_E_PARSE);
            }
            alerts[nalerts++] = a;
        }
        p = nl ? nl + 1 : p + len;
    }
    size_t idx = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, ex)
    {
        if (!cJSON_IsObject(item)) {
            tl_diag_set(d, "", 0, "$.expect[%zu]: expected an object", idx);
            TL_FAIL(TL_E_PARSE);
        }
        const cJSON *count = NULL, *match = NULL, *profiles = NULL, *c;
        cJSON_ArrayForEach(c, item)
        {
            if (has_dup(item, c)) {
                tl_diag_set(d, "", 0, "$.expect[%zu].%s: duplicate key", idx, c->string);
                TL_FAIL(TL_E_PARSE);
            }
            if (!strcmp(c->string, "count"))
                count = c;
            else if (!strcmp(c->string, "match"))
                match = c;
            else if (!strcmp(c->string, "profiles")) {
                const cJSON *e;
                profiles = c;
                if (!cJSON_IsArray(c)) {
                    tl_diag_set(d, "", 0, "$.expect[%zu].profiles: expected a list of names", idx);
                    TL_FAIL(TL_E_PARSE);
                }
                cJSON_ArrayForEach(e, c) if (!cJSON_IsString(e) ||
                                             (strcmp(e->valuestring, "default") &&
                                              strcmp(e->valuestring, "tasklab") &&
                                              strcmp(e->valuestring, "wazuh")))
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
            count->valuedouble != floor(count->valuedouble)) {
            tl_diag_set(d, "", 0, "$.expect[%zu].count: expected a whole number", idx);
            TL_FAIL(TL_E_PARSE);
        }
        if (!match) {
            tl_diag_set(d, "", 0, "$.expect[%zu].match: missing", idx);
            TL_FAIL(TL_E_PARSE);
        }
        TL_TRY(validate_match(match, idx, d));
        if (profiles && profile) {
            int applies = 0;
            const cJSON *e;
            cJSON_ArrayForEach(e, profiles) applies |= !strcmp(e->valuestring, profile);
            if (!applies) {
                idx++;
                continue;
            }
        }
        int n = 0;
        for (size_t i = 0; i < nalerts; i++)
            n += alert_matches(alerts[i], match);
        if (n != count->valueint) {
            nfail++;
            char *m = cJSON_PrintUnformatted(match);
            tl_buf_printf(report, "  expectation $.expect[%zu] failed: %d alert%s matched %s, expected %d\n",
                          idx, n, n == 1 ? "" : "s", m ? m : "?", count->valueint);
            cJSON_free(m);
        }
        idx++;
    }
    TL_TRY(tl_buf_status(report));
    *failed = nfail;
cleanup:
    for (size_t i = 0; i < nalerts; i++)
        cJSON_Delete(alerts[i]);
    tl_free(alerts);
    cJSON_Delete(ex);
    return st;
}
