/* SPDX-License-Identifier: MIT */
/*
 * Shards and --merge-results (issue 13, item 4): `tasklab test|coverage|mutate
 * --shard I/N` runs slice I of N of the work on one CI machine, and
 * `--merge-results FILE...` combines the N reports into the one report an
 * unsharded run writes, byte for byte except for times.
 *
 * The slice. Items (scenarios of the run's list, in the order the run lists
 * them: arguments in order, each folder in name order; mutants in their
 * enumeration order) at positions I-1, I-1+N, I-1+2N, ... belong to slice I.
 * So slice I of T items holds exactly (T-I)/N + 1 of them (none when I > T),
 * and the merged order is a round robin over the slices: position p comes from
 * slice p mod N, its (p / N)-th item. No per-item index is needed.
 *
 * The run envelope. Every shardable report (sharded or not) says which run it
 * belongs to: the command, its result-shaping options (everything but --shard,
 * outputs, -j and the like), the run id (16 hex digits of the SHA-256 of the
 * command, those options and the name of every item of the whole run, in
 * order), the number of items of the whole run, the report entries per item
 * (coverage: one row per Sysmon config) and the slice "I/N" ("1/1" when not
 * sharded). JSON: a "run" object; JUnit: <properties> of the testsuite,
 * named tasklab.command, tasklab.options, tasklab.run, tasklab.items,
 * tasklab.entries and tasklab.shard. The merged report is the report of slice
 * "1/1": it can be compared with an unsharded one, or merged again.
 *
 * Merging checks, in order, each failure one line naming the file and the JSON
 * path (JUnit: an XPath), exit 2: the file reads and parses; it is a tasklab
 * report of this command (same format as the others); command, options, run id
 * and item count equal those of the first file; the N of every slice is the
 * same; no slice twice; no slice missing; each slice holds the number of
 * entries its position says; the rest of the header and the footer are the
 * same bytes in every slice.
 *
 * Output. JSON of coverage is rebuilt as a cJSON tree (rows in round-robin
 * order, summary numbers summed) and printed as the command prints it. The
 * line-shaped reports (mutate JSON: one mutant a line; JUnit: testcase
 * elements) are merged as bytes: each entry is copied verbatim from its slice,
 * the header is the first slice's with the counts recomputed (summed, or
 * recounted from the entries: mutate's score) and the slice set to 1/1.
 *
 * Times: a testcase keeps its slice's time; a testsuite's time is the sum of
 * the slices' testsuite times (the machine time spent on the tests, as an
 * unsharded run's testsuite time is the sum of its testcases').
 *
 * tasklab vary's entries are its scenarios: JSON "scenarios" (tree-shaped;
 * "counts" summed, the per-rule "rules" tallies recounted from the merged
 * variants), JUnit a scenario's run of testcases (one classname: one per
 * variant, or one "not varied" testcase).
 *
 * A new shardable command: write the envelope with
 * tl_cli_run_info_init + tl_cli_run_info_junit / tl_cli_run_info_cjson, shard
 * items round robin as above, and add a row to `formats` below (its JSON shape:
 * a cJSON tree with an items array and summed summary numbers, or one entry a
 * line).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the run envelope --------------------------------------------------- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

tl_status tl_cli_run_info_init(tl_cli_run_info *ri, const tl_cli_cmd *cmd, int argc, char **argv,
                               const int *skip_ids, const tl_cli_list *items, size_t total,
                               size_t per_item, int shard_i, int shard_n)
{
    memset(ri, 0, sizeof *ri);
    ri->command = cmd->name;
    ri->items = total;
    ri->per_item = per_item ? per_item : 1;
    ri->shard_i = shard_n > 0 ? shard_i : 1;
    ri->shard_n = shard_n > 0 ? shard_n : 1;
    tl_buf opts = TL_BUF_INIT;
    tl_sha256_ctx h;
    tl_sha256_init(&h);
    tl_sha256_update(&h, cmd->name, strlen(cmd->name) + 1);
    tl_cli_parse p;
    tl_cli_parse_init(&p, cmd, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_OPERAND || o == TL_OPT_HELP || o == TL_OPT_ERR)
            continue; /* operands: the items say what ran */
        int skip = 0;
        for (const int *s = skip_ids; s && *s; s++)
            skip |= *s == o;
        const tl_cli_opt *row = NULL;
        for (const tl_cli_opt *r = cmd->opts; r && r->name && !row; r++)
            if (r->id == o)
                row = r;
        if (skip || !row)
            continue;
        tl_buf_printf(&opts, "%s%s", opts.len ? " " : "", row->name);
        tl_sha256_update(&h, row->name, strlen(row->name) + 1);
        if (row->metavar && p.val) {
            tl_buf_printf(&opts, " %s", p.val);
            tl_sha256_update(&h, p.val, strlen(p.val) + 1);
        }
    }
    tl_sha256_update(&h, "", 1);
    char num[64];
    snprintf(num, sizeof num, "%zu/%zu", total, ri->per_item);
    tl_sha256_update(&h, num, strlen(num) + 1);
    for (size_t i = 0; items && i < items->n; i++) {
        const char *b = base_name(items->v[i]);
        tl_sha256_update(&h, b, strlen(b) + 1);
    }
    unsigned char dg[32];
    tl_sha256_final(&h, dg);
    for (int i = 0; i < 8; i++)
        snprintf(ri->id + 2 * i, 3, "%02x", dg[i]);
    if (tl_buf_status(&opts) != TL_OK) {
        tl_buf_free(&opts);
        return TL_E_NOMEM;
    }
    ri->options = opts.len ? tl_buf_take(&opts) : tl_strdup("");
    tl_buf_free(&opts);
    return ri->options ? TL_OK : TL_E_NOMEM;
}

void tl_cli_run_info_free(tl_cli_run_info *ri)
{
    if (ri)
        tl_free(ri->options);
}

static void xml_attr(tl_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': tl_buf_puts(b, "&lt;"); break;
        case '>': tl_buf_puts(b, "&gt;"); break;
        case '&': tl_buf_puts(b, "&amp;"); break;
        case '"': tl_buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                tl_buf_putc(b, *s);
        }
    }
}

void tl_cli_run_info_junit(const tl_cli_run_info *ri, tl_buf *out)
{
    tl_buf_puts(out, "  <properties>\n");
    tl_buf_printf(out, "    <property name=\"tasklab.command\" value=\"%s\"/>\n", ri->command);
    tl_buf_puts(out, "    <property name=\"tasklab.options\" value=\"");
    xml_attr(out, ri->options ? ri->options : "");
    tl_buf_puts(out, "\"/>\n");
    tl_buf_printf(out, "    <property name=\"tasklab.run\" value=\"%s\"/>\n", ri->id);
    tl_buf_printf(out, "    <property name=\"tasklab.items\" value=\"%zu\"/>\n", ri->items);
    tl_buf_printf(out, "    <property name=\"tasklab.entries\" value=\"%zu\"/>\n", ri->per_item);
    tl_buf_printf(out, "    <property name=\"tasklab.shard\" value=\"%d/%d\"/>\n", ri->shard_i,
                  ri->shard_n);
    tl_buf_puts(out, "  </properties>\n");
}

struct cJSON *tl_cli_run_info_cjson(const tl_cli_run_info *ri)
{
    cJSON *o = cJSON_CreateObject();
    char sh[32];
    snprintf(sh, sizeof sh, "%d/%d", ri->shard_i, ri->shard_n);
    if (!o || !cJSON_AddStringToObject(o, "command", ri->command) ||
        !cJSON_AddStringToObject(o, "options", ri->options ? ri->options : "") ||
        !cJSON_AddStringToObject(o, "id", ri->id) ||
        !cJSON_AddNumberToObject(o, "items", (double)ri->items) ||
        !cJSON_AddNumberToObject(o, "entries_per_item", (double)ri->per_item) ||
        !cJSON_AddStringToObject(o, "shard", sh)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

tl_status tl_cli_run_info_inject(const tl_cli_run_info *ri, int junit, tl_buf *report)
{
    const char *s = tl_buf_cstr(report);
    size_t at;
    tl_buf env = TL_BUF_INIT;
    if (junit) {
        const char *ts = strstr(s, "<testsuite ");
        const char *nl = ts ? strchr(ts, '\n') : NULL;
        if (!nl)
            return TL_E_INTERNAL;
        at = (size_t)(nl + 1 - s);
        tl_cli_run_info_junit(ri, &env);
    } else {
        if (s[0] != '{')
            return TL_E_INTERNAL;
        at = 1;
        cJSON *o = tl_cli_run_info_cjson(ri);
        char *js = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!js)
            return TL_E_NOMEM;
        tl_buf_printf(&env, "\"run\":%s,", js);
        cJSON_free(js);
    }
    tl_buf merged = TL_BUF_INIT;
    tl_buf_append(&merged, s, at);
    tl_buf_append(&merged, tl_buf_cstr(&env), env.len);
    tl_buf_append(&merged, s + at, report->len - at);
    tl_buf_free(&env);
    if (tl_buf_status(&merged) != TL_OK) {
        tl_buf_free(&merged);
        return TL_E_NOMEM;
    }
    tl_buf_free(report);
    *report = merged;
    return TL_OK;
}

/* ---- merging ------------------------------------------------------------ */

enum shape { SHAPE_TREE, SHAPE_LINES };
typedef struct format {
    const char *command;
    int junit;               /* JUnit reports of this command can be merged */
    enum shape json;         /* the shape of its JSON report */
    const char *items_key;   /* the array of entries */
    const char *summary_key; /* SHAPE_TREE: an array of objects (or one object) whose numbers
                                are summed */
    const char *derived_key; /* SHAPE_TREE: a member recomputed from the merged entries by
                                derive() (not compared across slices) */
    void (*derive)(cJSON *top);
    int group_cases;         /* JUnit: an item's entry is its run of consecutive testcases of
                                one classname (items with any number of testcases) */
} format;

static void vary_derive_rules(cJSON *top);

static const format formats[] = {
    {"test", 1, SHAPE_LINES, NULL, NULL, NULL, NULL, 0}, /* JUnit only (no JSON report) */
    {"coverage", 0, SHAPE_TREE, "rows", "summary", NULL, NULL, 0},
    {"mutate", 1, SHAPE_LINES, "mutants", NULL, NULL, NULL, 0},
    /* vary: one "scenarios" entry per scenario, "counts" summed, the per-rule
     * tallies recounted from the merged variants; JUnit: a scenario's testcases
     * (one per variant, one "not varied" testcase for a scenario without any) */
    {"vary", 1, SHAPE_TREE, "scenarios", "counts", "rules", vary_derive_rules, 1},
};

/* vary's "rules": per rule of an original (level >= L), the equivalent variants
 * of its scenarios that keep it (survived) and lose it (evaded), sorted by id
 * (shorter first, then bytes), as pipeline/studies vary.c tallies them. */
static int rule_id_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static void vary_derive_rules(cJSON *top)
{
    cJSON *rules = cJSON_CreateArray();
    if (!rules)
        return;
    const cJSON *sc;
    cJSON_ArrayForEach(sc, cJSON_GetObjectItemCaseSensitive(top, "scenarios"))
    {
        const cJSON *orig;
        cJSON_ArrayForEach(orig, cJSON_GetObjectItemCaseSensitive(sc, "original"))
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(orig, "rule");
            if (!cJSON_IsString(id))
                continue;
            double surv = 0, ev = 0;
            const cJSON *var;
            cJSON_ArrayForEach(var, cJSON_GetObjectItemCaseSensitive(sc, "variants"))
            {
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(var, "status");
                if (!cJSON_IsString(st) || strcmp(st->valuestring, "equivalent"))
                    continue;
                int has = 0;
                const cJSON *r;
                cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(var, "rules"))
                {
                    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(r, "rule");
                    has |= cJSON_IsString(rid) && !strcmp(rid->valuestring, id->valuestring);
                }
                *(has ? &surv : &ev) += 1;
            }
            /* insert in order, or add to the rule's tally */
            cJSON *at = rules->child, *prev = NULL;
            while (at) {
                const cJSON *aid = cJSON_GetObjectItemCaseSensitive(at, "rule");
                if (rule_id_cmp(aid->valuestring, id->valuestring) >= 0)
                    break;
                prev = at;
                at = at->next;
            }
            const cJSON *aid = at ? cJSON_GetObjectItemCaseSensitive(at, "rule") : NULL;
            if (aid && !strcmp(aid->valuestring, id->valuestring)) {
                cJSON *a = cJSON_GetObjectItemCaseSensitive(at, "survived");
                cJSON *b = cJSON_GetObjectItemCaseSensitive(at, "evaded");
                cJSON_SetNumberValue(a, a->valuedouble + surv);
                cJSON_SetNumberValue(b, b->valuedouble + ev);
                continue;
            }
            cJSON *o = cJSON_CreateObject();
            if (!o)
                continue;
            cJSON_AddStringToObject(o, "rule", id->valuestring);
            cJSON_AddNumberToObject(o, "survived", surv);
            cJSON_AddNumberToObject(o, "evaded", ev);
            if (!at)
                cJSON_AddItemToArray(rules, o);
            else if (!prev)
                cJSON_InsertItemInArray(rules, 0, o);
            else {
                int idx = 0;
                for (cJSON *q = rules->child; q != at; q = q->next)
                    idx++;
                cJSON_InsertItemInArray(rules, idx, o);
            }
        }
    }
    cJSON_ReplaceItemInObjectCaseSensitive(top, "rules", rules);
}

typedef struct shard {
    const char *path;
    char *text;
    size_t len;
    int junit;
    /* envelope */
    char command[64], options[4096], id[64], shard[32];
    long items, per_item;
    int si, sn;
    /* JSON */
    cJSON *doc;
    /* line-shaped: header [0, hdr_end), entries, footer [ftr, len) */
    size_t hdr_end, ftr;
    size_t n_ent;
    size_t *ent_off, *ent_len;
    /* JUnit testsuite counts */
    long tests, failures, errors, skipped;
    double time;
    int has_attr[5];
} shard;

typedef struct merge_ctx {
    const char *cmd;
    const format *fmt;
    shard *sh;
    size_t n;
} merge_ctx;

static int fail(merge_ctx *m, const char *file, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(merge_ctx *m, const char *file, const char *path, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tasklab %s --merge-results: %s: %s: %s\n", m->cmd, file, path, msg);
    return 2;
}

static int parse_slice(const char *s, int *i, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/')
        return 0;
    const char *b = end + 1;
    long c = strtol(b, &end, 10);
    if (end == b || *end || c < 1 || c > 1000 || a < 1 || a > c)
        return 0;
    *i = (int)a;
    *n = (int)c;
    return 1;
}

/* the envelope of a JSON report: $.run */
static int json_envelope(merge_ctx *m, shard *s)
{
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(s->doc, "run");
    if (!cJSON_IsObject(run))
        return fail(m, s->path, "$.run",
                    "missing: not a report of tasklab %s (or written before --merge-results "
                    "existed)",
                    m->cmd);
    static const char *const skeys[] = {"command", "options", "id", "shard"};
    char *dst[] = {s->command, s->options, s->id, s->shard};
    size_t dsz[] = {sizeof s->command, sizeof s->options, sizeof s->id, sizeof s->shard};
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, skeys[k]);
        char path[64];
        snprintf(path, sizeof path, "$.run.%s", skeys[k]);
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= dsz[k])
            return fail(m, s->path, path, "missing, not a string or too long");
        snprintf(dst[k], dsz[k], "%s", v->valuestring);
    }
    static const char *const nkeys[] = {"items", "entries_per_item"};
    long *ndst[] = {&s->items, &s->per_item};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, nkeys[k]);
        char path[64];
        snprintf(path, sizeof path, "$.run.%s", nkeys[k]);
        if (!cJSON_IsNumber(v) || v->valuedouble < (k ? 1 : 0) || v->valuedouble > 1e8 ||
            v->valuedouble != (double)(long)v->valuedouble)
            return fail(m, s->path, path, "missing or not a count");
        *ndst[k] = (long)v->valuedouble;
    }
    return 0;
}

static const xmlNode *first_elem(const xmlNode *n, const char *name)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
            return n;
    return NULL;
}

static const char *const junit_attrs[5] = {"tests", "failures", "errors", "skipped", "time"};

/* the envelope and counts of a JUnit report (libxml2 checks it is well formed) */
static int junit_envelope(merge_ctx *m, shard *s, size_t *n_cases)
{
    xmlDoc *doc = xmlReadMemory(s->text, (int)s->len, s->path, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char path[32], msg[256];
        snprintf(path, sizeof path, "line %d", e ? e->line : 0);
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "?");
        msg[strcspn(msg, "\n")] = '\0';
        return fail(m, s->path, path, "not well-formed XML: %s", msg);
    }
    int rc = 0;
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *ts = NULL;
    const char *tspath = "/testsuite";
    if (root && !strcmp((const char *)root->name, "testsuite"))
        ts = root;
    else if (root && !strcmp((const char *)root->name, "testsuites")) {
        ts = first_elem(root->children, "testsuite");
        tspath = "/testsuites/testsuite";
        if (ts && first_elem(ts->next, "testsuite"))
            ts = NULL;
    }
    if (!ts) {
        rc = fail(m, s->path, "/testsuite", "not a JUnit report of one testsuite");
        goto out;
    }
    for (int k = 0; k < 5; k++) {
        xmlChar *v = xmlGetProp(ts, (const xmlChar *)junit_attrs[k]);
        if (!v)
            continue;
        char *end;
        double x = strtod((const char *)v, &end);
        int bad = end == (char *)v || *end || x < 0 || x > 1e9 || (k < 4 && x != (double)(long)x);
        xmlFree(v);
        if (bad) {
            char path[96];
            snprintf(path, sizeof path, "%s/@%s", tspath, junit_attrs[k]);
            rc = fail(m, s->path, path, "not a %s", k < 4 ? "count" : "time in seconds");
            goto out;
        }
        s->has_attr[k] = 1;
        if (k == 0) s->tests = (long)x;
        if (k == 1) s->failures = (long)x;
        if (k == 2) s->errors = (long)x;
        if (k == 3) s->skipped = (long)x;
        if (k == 4) s->time = x;
    }
    const xmlNode *props = first_elem(ts->children, "properties");
    static const char *const names[] = {"tasklab.command", "tasklab.options", "tasklab.run",
                                        "tasklab.shard",   "tasklab.items",   "tasklab.entries"};
    int seen[6] = {0};
    for (const xmlNode *p = props ? props->children : NULL; p; p = p->next) {
        if (p->type != XML_ELEMENT_NODE || strcmp((const char *)p->name, "property"))
            continue;
        xmlChar *nm = xmlGetProp(p, (const xmlChar *)"name");
        xmlChar *val = xmlGetProp(p, (const xmlChar *)"value");
        for (int k = 0; nm && val && k < 6; k++) {
            if (strcmp((const char *)nm, names[k]))
                continue;
            seen[k] = 1;
            const char *v = (const char *)val;
            char *dst[] = {s->command, s->options, s->id, s->shard};
            size_t dsz[] = {sizeof s->command, sizeof s->options, sizeof s->id, sizeof s->shard};
            if (k < 4) {
                if (strlen(v) >= dsz[k])
                    seen[k] = 2;
                else
                    snprintf(dst[k], dsz[k], "%s", v);
            } else {
                char *end;
                long x = strtol(v, &end, 10);
                if (end == v || *end || x < (k == 5 ? 1 : 0) || x > 100000000)
                    seen[k] = 2;
                else
                    *(k == 4 ? &s->items : &s->per_item) = x;
            }
        }
        xmlFree(nm);
        xmlFree(val);
    }
    for (int k = 0; k < 6; k++)
        if (seen[k] != 1) {
            char path[160];
            snprintf(path, sizeof path, "%s/properties/property[@name='%s']", tspath, names[k]);
            rc = fail(m, s->path, path,
                      seen[k] ? "not a valid value"
                              : "missing: not a report of tasklab (or written before "
                                "--merge-results existed)");
            goto out;
        }
    size_t nc = 0;
    for (const xmlNode *c = ts->children; c; c = c->next)
        nc += c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "testcase");
    *n_cases = nc;
out:
    xmlFreeDoc(doc);
    return rc;
}

static int push_entry(shard *s, size_t off, size_t len)
{
    size_t *o = tl_realloc(s->ent_off, (s->n_ent + 1) * sizeof *o);
    if (!o)
        return -1;
    s->ent_off = o;
    size_t *l = tl_realloc(s->ent_len, (s->n_ent + 1) * sizeof *l);
    if (!l)
        return -1;
    s->ent_len = l;
    s->ent_off[s->n_ent] = off;
    s->ent_len[s->n_ent] = len;
    s->n_ent++;
    return 0;
}

/* JUnit as bytes: header up to the end of </properties> and its newline,
 * testcases (each from its line's start), footer from the last </testsuite>.
 * Our writers escape '<' in every attribute and text, so each literal
 * "<testcase" starts an element; comments, CDATA and DTDs are refused. */
static int junit_split(merge_ctx *m, shard *s, size_t n_cases)
{
    const char *t = s->text;
    if (strstr(t, "<!--") || strstr(t, "<![CDATA[") || strstr(t, "<!DOCTYPE"))
        return fail(m, s->path, "/", "comments, CDATA and DTDs are not in tasklab's reports");
    const char *pe = strstr(t, "</properties>");
    const char *fe = NULL;
    for (const char *q = t; (q = strstr(q, "</testsuite>")); q++)
        fe = q;
    if (!pe || !fe || fe < pe)
        return fail(m, s->path, "/testsuite", "no </properties> before </testsuite>");
    size_t h = (size_t)(pe - t) + strlen("</properties>");
    if (t[h] == '\n')
        h++;
    s->hdr_end = h;
    s->ftr = (size_t)(fe - t);
    size_t start = h;
    int first = 1;
    for (const char *q = t + h; (q = strstr(q, "<testcase")) && q < fe; q += 9) {
        size_t at = (size_t)(q - t);
        size_t ls = at;
        while (ls > h && (t[ls - 1] == ' ' || t[ls - 1] == '\t'))
            ls--;
        if (first) {
            for (size_t k = h; k < ls; k++)
                if (t[k] != ' ' && t[k] != '\t' && t[k] != '\n')
                    return fail(m, s->path, "/testsuite", "text before the first testcase");
            first = 0;
        } else if (push_entry(s, start, ls - start) < 0)
            return fail(m, s->path, "/", "out of memory");
        start = first ? h : ls;
    }
    if (!first && push_entry(s, start, s->ftr - start) < 0)
        return fail(m, s->path, "/", "out of memory");
    if (first)
        for (size_t k = h; k < s->ftr; k++)
            if (t[k] != ' ' && t[k] != '\t' && t[k] != '\n')
                return fail(m, s->path, "/testsuite", "text where testcases should be");
    if (s->n_ent != n_cases)
        return fail(m, s->path, "/testsuite/testcase",
                    "%zu testcase elements but %zu \"<testcase\" texts: not written by tasklab",
                    n_cases, s->n_ent);
    if (m->fmt->group_cases) {
        /* one entry per item: its run of testcases of one classname (vary: a
         * scenario's variants), kept as one byte range */
        size_t w = 0;
        const char *prev = NULL;
        size_t prev_len = 0;
        for (size_t i = 0; i < s->n_ent; i++) {
            const char *e = t + s->ent_off[i];
            const char *cn = strstr(e, "classname=\"");
            if (!cn || cn > e + s->ent_len[i])
                return fail(m, s->path, "/testsuite/testcase", "a testcase without a classname");
            cn += strlen("classname=\"");
            size_t cl = strcspn(cn, "\"");
            if (prev && cl == prev_len && !memcmp(cn, prev, cl)) {
                s->ent_len[w - 1] = s->ent_off[i] + s->ent_len[i] - s->ent_off[w - 1];
                continue;
            }
            s->ent_off[w] = s->ent_off[i];
            s->ent_len[w] = s->ent_len[i];
            w++;
            prev = cn;
            prev_len = cl;
        }
        s->n_ent = w;
    }
    return 0;
}

/* mutate's JSON as bytes: header up to `"mutants":[`, one entry a line
 * ("\n{...}" separated by ","), footer "\n]}\n". */
static int lines_split(merge_ctx *m, shard *s)
{
    char key[80];
    snprintf(key, sizeof key, "\"%s\":[", m->fmt->items_key);
    const char *t = s->text;
    const char *k = strstr(t, key);
    static const char tail[] = "\n]}\n";
    char path[96];
    snprintf(path, sizeof path, "$.%s", m->fmt->items_key);
    if (!k || s->len < sizeof tail - 1 || strcmp(t + s->len - (sizeof tail - 1), tail))
        return fail(m, s->path, path, "not laid out one entry a line as tasklab writes it");
    s->hdr_end = (size_t)(k - t) + strlen(key);
    s->ftr = s->len - (sizeof tail - 1);
    size_t p = s->hdr_end;
    while (p < s->ftr) {
        if (t[p] != '\n' || t[p + 1] != '{')
            return fail(m, s->path, path, "not laid out one entry a line as tasklab writes it");
        p++;
        const char *nl = memchr(t + p, '\n', s->ftr - p);
        size_t e = nl ? (size_t)(nl - t) : s->ftr;
        size_t l = e - p;
        if (nl && t[e - 1] == ',')
            l--; /* the separator belongs to neither entry */
        else if (nl)
            return fail(m, s->path, path, "not laid out one entry a line as tasklab writes it");
        if (push_entry(s, p, l) < 0)
            return fail(m, s->path, "/", "out of memory");
        p = e;
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s->doc, m->fmt->items_key);
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != s->n_ent)
        return fail(m, s->path, path, "%zu lines but %d array entries: not written by tasklab",
                    s->n_ent, cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1);
    return 0;
}

/* Replace the value after the first `needle` at or after `from` (up to the
 * next `"`, `,` or `}`) with `val`. 0, or -1 when not found. */
static int replace_value(tl_buf *b, size_t from, const char *needle, const char *val)
{
    const char *s = tl_buf_cstr(b);
    const char *k = strstr(s + from, needle);
    if (!k)
        return -1;
    size_t vs = (size_t)(k - s) + strlen(needle);
    size_t ve = vs + strcspn(s + vs, "\",}");
    tl_buf nb = TL_BUF_INIT;
    tl_buf_append(&nb, s, vs);
    tl_buf_puts(&nb, val);
    tl_buf_append(&nb, s + ve, b->len - ve);
    tl_buf_free(b);
    *b = nb;
    return 0;
}

static int shard_cmp(const void *a, const void *b)
{
    return ((const shard *)a)->si - ((const shard *)b)->si;
}

static size_t slice_items(long total, int i, int n)
{
    return (long)i <= total ? (size_t)((total - i) / n + 1) : 0;
}

/* The header of slice k with the merged counts in place: compared across
 * slices, then written. */
static int merged_header(merge_ctx *m, const shard *s, const long *sums, double time,
                         const size_t *mc, double score, tl_buf *out)
{
    tl_buf_append(out, s->text, s->hdr_end);
    int bad = 0;
    if (s->junit) {
        const char *ts = strstr(tl_buf_cstr(out), "<testsuite ");
        size_t from = ts ? (size_t)(ts - tl_buf_cstr(out)) : 0;
        for (int k = 0; k < 5; k++) {
            if (!s->has_attr[k])
                continue;
            char needle[32], val[64];
            snprintf(needle, sizeof needle, " %s=\"", junit_attrs[k]);
            if (k < 4)
                snprintf(val, sizeof val, "%ld", sums[k]);
            else
                snprintf(val, sizeof val, "%.3f", time);
            bad |= replace_value(out, from, needle, val);
        }
        bad |= replace_value(out, 0, "<property name=\"tasklab.shard\" value=\"", "1/1");
    } else {
        bad |= replace_value(out, 0, "\"shard\":\"", "1/1");
        if (mc) { /* mutate: recount from the entries */
            const char *tm = strstr(tl_buf_cstr(out), "\"tasklab_mutate\":");
            size_t from = tm ? (size_t)(tm - tl_buf_cstr(out)) : 0;
            char v[64];
            snprintf(v, sizeof v, "%.1f", score);
            bad |= replace_value(out, from, "\"score\":", v);
            static const char *const ck[] = {"\"killed\":", "\"survived\":", "\"equivalent\":",
                                             "\"invalid\":", "\"total\":"};
            for (int k = 0; k < 5; k++) {
                snprintf(v, sizeof v, "%zu", mc[k]);
                bad |= replace_value(out, from, ck[k], v);
            }
        }
    }
    if (bad || tl_buf_status(out) != TL_OK)
        return fail(m, s->path, s->junit ? "/testsuite" : "$", "header not as tasklab writes it");
    return 0;
}

static int merge_tree(merge_ctx *m, tl_cli_merge_result *r)
{
    shard *sh = m->sh;
    cJSON *top = cJSON_CreateObject();
    int rc = 0;
    char path[96];
    for (cJSON *it = sh[0].doc ? sh[0].doc->child : NULL; it && !rc; it = it->next) {
        if (!strcmp(it->string, "run")) {
            cJSON *run = cJSON_Duplicate(it, 1);
            cJSON_ReplaceItemInObjectCaseSensitive(run, "shard", cJSON_CreateString("1/1"));
            cJSON_AddItemToObject(top, "run", run);
        } else if (!strcmp(it->string, m->fmt->items_key)) {
            cJSON *rows = cJSON_AddArrayToObject(top, it->string);
            size_t per = (size_t)sh[0].per_item;
            for (long p = 0; p < sh[0].items; p++) {
                const shard *s = &sh[p % (long)m->n];
                const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s->doc, it->string);
                for (size_t q = 0; q < per; q++) {
                    const cJSON *e = cJSON_GetArrayItem(arr, (int)((size_t)(p / (long)m->n) * per + q));
                    cJSON_AddItemToArray(rows, cJSON_Duplicate(e, 1));
                }
            }
        } else if (m->fmt->derived_key && !strcmp(it->string, m->fmt->derived_key)) {
            cJSON_AddItemToObject(top, it->string, cJSON_Duplicate(it, 1)); /* derive() redoes it */
        } else if (m->fmt->summary_key && !strcmp(it->string, m->fmt->summary_key) &&
                   cJSON_IsObject(it)) {
            /* one object of counts: summed member by member */
            cJSON *sum = cJSON_Duplicate(it, 1);
            cJSON_AddItemToObject(top, it->string, sum);
            for (size_t k = 1; k < m->n && !rc; k++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(sh[k].doc, it->string);
                for (cJSON *f = sum->child; f && !rc; f = f->next) {
                    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, f->string);
                    snprintf(path, sizeof path, "$.%s.%s", it->string, f->string);
                    if (cJSON_IsNumber(f) && cJSON_IsNumber(g))
                        cJSON_SetNumberValue(f, f->valuedouble + g->valuedouble);
                    else if (!g || !cJSON_Compare(f, g, 1))
                        rc = fail(m, sh[k].path, path, "differs from %s's (a different run?)",
                                  sh[0].path);
                }
            }
        } else if (m->fmt->summary_key && !strcmp(it->string, m->fmt->summary_key)) {
            cJSON *sum = cJSON_Duplicate(it, 1);
            cJSON_AddItemToObject(top, it->string, sum);
            for (size_t k = 1; k < m->n && !rc; k++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(sh[k].doc, it->string);
                snprintf(path, sizeof path, "$.%s", it->string);
                if (!cJSON_IsArray(o) || cJSON_GetArraySize(o) != cJSON_GetArraySize(sum)) {
                    rc = fail(m, sh[k].path, path, "not the shape of %s's", sh[0].path);
                    break;
                }
                int j = 0;
                for (cJSON *a = sum->child; a && !rc; a = a->next, j++) {
                    const cJSON *b = cJSON_GetArrayItem(o, j);
                    for (cJSON *f = a->child; f && !rc; f = f->next) {
                        const cJSON *g = cJSON_GetObjectItemCaseSensitive(b, f->string);
                        snprintf(path, sizeof path, "$.%s[%d].%s", it->string, j, f->string);
                        if (cJSON_IsNumber(f) && cJSON_IsNumber(g))
                            cJSON_SetNumberValue(f, f->valuedouble + g->valuedouble);
                        else if (!g || !cJSON_Compare(f, g, 1))
                            rc = fail(m, sh[k].path, path, "differs from %s's (a different run?)",
                                      sh[0].path);
                    }
                }
            }
        } else {
            for (size_t k = 1; k < m->n && !rc; k++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(sh[k].doc, it->string);
                snprintf(path, sizeof path, "$.%s", it->string);
                if (!o || !cJSON_Compare(it, o, 1))
                    rc = fail(m, sh[k].path, path, "differs from %s's (a different run?)",
                              sh[0].path);
            }
            cJSON_AddItemToObject(top, it->string, cJSON_Duplicate(it, 1));
        }
    }
    if (!rc && m->fmt->derive)
        m->fmt->derive(top);
    if (!rc) {
        char *js = cJSON_Print(top);
        if (!js)
            rc = fail(m, sh[0].path, "$", "out of memory");
        else {
            tl_buf_printf(&r->out, "%s\n", js);
            cJSON_free(js);
        }
        r->merged = top;
        top = NULL;
    }
    cJSON_Delete(top);
    return rc;
}

static int merge_lines(merge_ctx *m, tl_cli_merge_result *r)
{
    shard *sh = m->sh;
    long sums[4] = {0, 0, 0, 0};
    double time = 0;
    size_t mc[5] = {0, 0, 0, 0, 0};
    double score = 100.0;
    int mutate_json = !sh[0].junit && !strcmp(m->cmd, "mutate");
    for (size_t k = 0; k < m->n; k++) {
        sums[0] += sh[k].tests;
        sums[1] += sh[k].failures;
        sums[2] += sh[k].errors;
        sums[3] += sh[k].skipped;
        time += sh[k].time;
        if (mutate_json) {
            const cJSON *arr = cJSON_GetObjectItemCaseSensitive(sh[k].doc, m->fmt->items_key);
            int j = 0;
            for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next, j++) {
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
                static const char *const w[] = {"killed", "survived", "equivalent", "invalid"};
                int q = 0;
                while (q < 4 && !(cJSON_IsString(st) && !strcmp(st->valuestring, w[q])))
                    q++;
                if (q == 4) {
                    char path[96];
                    snprintf(path, sizeof path, "$.%s[%d].status", m->fmt->items_key, j);
                    return fail(m, sh[k].path, path, "not killed, survived, equivalent or invalid");
                }
                mc[q]++;
                mc[4]++;
            }
        }
    }
    if (mc[0] + mc[1])
        score = 100.0 * (double)mc[0] / (double)(mc[0] + mc[1]);
    tl_buf h0 = TL_BUF_INIT;
    int rc = merged_header(m, &sh[0], sums, time, mutate_json ? mc : NULL, score, &h0);
    for (size_t k = 1; k < m->n && !rc; k++) {
        tl_buf hk = TL_BUF_INIT;
        rc = merged_header(m, &sh[k], sums, time, mutate_json ? mc : NULL, score, &hk);
        if (!rc && (hk.len != h0.len || memcmp(tl_buf_cstr(&hk), tl_buf_cstr(&h0), h0.len)))
            rc = fail(m, sh[k].path, sh[k].junit ? "/testsuite" : "$",
                      "header differs from %s's in more than counts and times (a different "
                      "run?)",
                      sh[0].path);
        else if (!rc && (sh[k].len - sh[k].ftr != sh[0].len - sh[0].ftr ||
                         memcmp(sh[k].text + sh[k].ftr, sh[0].text + sh[0].ftr,
                                sh[0].len - sh[0].ftr)))
            rc = fail(m, sh[k].path, sh[k].junit ? "/testsuite" : "$",
                      "the end differs from %s's", sh[0].path);
        tl_buf_free(&hk);
    }
    if (!rc) {
        tl_buf_append(&r->out, tl_buf_cstr(&h0), h0.len);
        for (long p = 0; p < sh[0].items; p++) {
            const shard *s = &sh[p % (long)m->n];
            size_t e = (size_t)(p / (long)m->n);
            if (!sh[0].junit)
                tl_buf_puts(&r->out, p ? ",\n" : "\n");
            tl_buf_append(&r->out, s->text + s->ent_off[e], s->ent_len[e]);
        }
        tl_buf_append(&r->out, sh[0].text + sh[0].ftr, sh[0].len - sh[0].ftr);
        r->tests = (size_t)sums[0];
        r->failures = (size_t)sums[1];
        r->errors = (size_t)sums[2];
        r->skipped = (size_t)sums[3];
        if (mutate_json) {
            r->tests = mc[4];
            r->failures = mc[1];
            r->skipped = mc[2] + mc[3];
        }
        size_t killed = r->tests - r->failures - r->skipped;
        r->score = killed + r->failures ? 100.0 * (double)killed / (double)(killed + r->failures)
                                        : 100.0;
    }
    tl_buf_free(&h0);
    return rc;
}

int tl_cli_merge_results(const char *command, char **files, size_t n, tl_cli_merge_result *r)
{
    memset(r, 0, sizeof *r);
    tl_buf_init(&r->out);
    merge_ctx m = {command, NULL, NULL, 0};
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
        if (!strcmp(formats[k].command, command))
            m.fmt = &formats[k];
    if (!m.fmt) {
        fprintf(stderr, "tasklab %s: --merge-results is not available for this command\n",
                command);
        return 2;
    }
    if (!n) {
        fprintf(stderr, "tasklab %s --merge-results: no report given (the JSON or JUnit files "
                        "of every --shard I/N)\n",
                command);
        return 2;
    }
    int rc = 0;
    shard *sh = tl_calloc(n, sizeof *sh);
    if (!sh)
        return 2;
    m.sh = sh;
    m.n = n;
    for (size_t k = 0; k < n && !rc; k++) {
        shard *s = &sh[k];
        s->path = files[k];
        tl_diag d;
        tl_diag_clear(&d);
        if (tl_file_read_user(s->path, TL_FILE_MAX, &s->text, &s->len, &d) != TL_OK) {
            rc = fail(&m, s->path, "$", "%s", d.msg);
            break;
        }
        if (strlen(s->text) != s->len) {
            rc = fail(&m, s->path, "$", "a NUL byte: not a report");
            break;
        }
        const char *p = s->text + strspn(s->text, " \t\r\n");
        s->junit = *p == '<';
        if (*p != '<' && *p != '{') {
            rc = fail(&m, s->path, "$", "neither JSON nor JUnit XML");
            break;
        }
        if (s->junit && !m.fmt->junit) {
            rc = fail(&m, s->path, "/", "tasklab %s writes no JUnit report (merge its --json output)",
                      command);
            break;
        }
        if (!s->junit && !m.fmt->items_key) {
            rc = fail(&m, s->path, "$", "tasklab %s writes no JSON report (merge its --junit output)",
                      command);
            break;
        }
        if (k && s->junit != sh[0].junit) {
            rc = fail(&m, s->path, s->junit ? "/" : "$", "%s, but %s is %s",
                      s->junit ? "JUnit XML" : "JSON", sh[0].path,
                      sh[0].junit ? "JUnit XML" : "JSON");
            break;
        }
        size_t n_cases = 0;
        if (s->junit) {
            rc = junit_envelope(&m, s, &n_cases);
        } else {
            const char *ep = NULL;
            s->doc = cJSON_ParseWithLengthOpts(s->text, s->len + 1, &ep, 1); /* with the NUL: cJSON wants it */
            if (!s->doc) {
                int line = 1;
                for (const char *q = s->text; ep && q < ep; q++)
                    line += *q == '\n';
                char where[32];
                snprintf(where, sizeof where, "line %d", line);
                rc = fail(&m, s->path, where, "not valid JSON");
            } else if (!cJSON_IsObject(s->doc))
                rc = fail(&m, s->path, "$", "not a JSON object");
            else
                rc = json_envelope(&m, s);
        }
        if (rc)
            break;
        const char *epath = s->junit ? "/testsuite/properties" : "$.run";
        char path[128];
        if (strcmp(s->command, command)) {
            snprintf(path, sizeof path, "%s%s", epath, s->junit ? "/property[@name='tasklab.command']" : ".command");
            rc = fail(&m, s->path, path, "a report of tasklab %s, not of tasklab %s", s->command,
                      command);
            break;
        }
        if (!parse_slice(s->shard, &s->si, &s->sn)) {
            snprintf(path, sizeof path, "%s%s", epath, s->junit ? "/property[@name='tasklab.shard']" : ".shard");
            rc = fail(&m, s->path, path, "'%s' is not I/N", s->shard);
            break;
        }
        if (k) {
            const shard *f = &sh[0];
            const char *jp[] = {".options", ".id", ".items"};
            const char *xp[] = {"/property[@name='tasklab.options']",
                                "/property[@name='tasklab.run']",
                                "/property[@name='tasklab.items']"};
            int diff = -1;
            if (strcmp(s->options, f->options))
                diff = 0;
            else if (s->items != f->items || s->per_item != f->per_item)
                diff = 2;
            else if (strcmp(s->id, f->id))
                diff = 1;
            if (diff >= 0) {
                snprintf(path, sizeof path, "%s%s", epath, s->junit ? xp[diff] : jp[diff]);
                if (diff == 0)
                    rc = fail(&m, s->path, path,
                              "a different run: options '%s', but %s has '%s'", s->options,
                              f->path, f->options);
                else if (diff == 2)
                    rc = fail(&m, s->path, path,
                              "a different run: %ld items, but %s has %ld", s->items, f->path,
                              f->items);
                else
                    rc = fail(&m, s->path, path,
                              "a different run (id %s, but %s has %s): another list of items",
                              s->id, f->path, f->id);
                break;
            }
            if (s->sn != f->sn) {
                snprintf(path, sizeof path, "%s%s", epath, s->junit ? "/property[@name='tasklab.shard']" : ".shard");
                rc = fail(&m, s->path, path, "slice %s, but %s is %s (another N)", s->shard,
                          f->path, f->shard);
                break;
            }
            for (size_t q = 0; q < k; q++)
                if (sh[q].si == s->si) {
                    snprintf(path, sizeof path, "%s%s", epath, s->junit ? "/property[@name='tasklab.shard']" : ".shard");
                    rc = fail(&m, s->path, path, "slice %s is given twice (also %s)", s->shard,
                              sh[q].path);
                    break;
                }
            if (rc)
                break;
        }
        if (s->junit)
            rc = junit_split(&m, s, n_cases);
        else if (m.fmt->json == SHAPE_LINES)
            rc = lines_split(&m, s);
        else {
            const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s->doc, m.fmt->items_key);
            snprintf(path, sizeof path, "$.%s", m.fmt->items_key);
            if (!cJSON_IsArray(arr))
                rc = fail(&m, s->path, path, "missing or not an array");
            else
                s->n_ent = (size_t)cJSON_GetArraySize(arr);
        }
    }
    if (!rc && n != (size_t)sh[0].sn) {
        /* a slice is missing: name it */
        int missing = 1;
        for (int i = 1; i <= sh[0].sn; i++) {
            int found = 0;
            for (size_t k = 0; k < n; k++)
                found |= sh[k].si == i;
            if (!found) {
                missing = i;
                break;
            }
        }
        rc = fail(&m, sh[0].path, sh[0].junit ? "/testsuite/properties/property[@name='tasklab.shard']" : "$.run.shard",
                  "slice %d/%d is missing (%zu of %d reports given)", missing, sh[0].sn, n,
                  sh[0].sn);
    }
    if (!rc) {
        qsort(sh, n, sizeof *sh, shard_cmp);
        for (size_t k = 0; k < n && !rc; k++) {
            size_t want = slice_items(sh[k].items, sh[k].si, sh[k].sn) * (size_t)sh[k].per_item;
            if (sh[k].n_ent != want) {
                char path[96];
                if (sh[k].junit)
                    snprintf(path, sizeof path, "/testsuite/testcase");
                else
                    snprintf(path, sizeof path, "$.%s", m.fmt->items_key);
                rc = fail(&m, sh[k].path, path,
                          "%zu entries, but slice %s of %ld items holds %zu (x %ld per item): "
                          "an unfinished or failed run?",
                          sh[k].n_ent, sh[k].shard, sh[k].items, want / (size_t)sh[k].per_item,
                          sh[k].per_item);
            }
        }
    }
    if (!rc) {
        r->junit = sh[0].junit;
        rc = !sh[0].junit && m.fmt->json == SHAPE_TREE ? merge_tree(&m, r) : merge_lines(&m, r);
    }
    if (!rc && tl_buf_status(&r->out) != TL_OK)
        rc = fail(&m, sh[0].path, "$", "out of memory");
    for (size_t k = 0; k < n; k++) {
        tl_free(sh[k].text);
        cJSON_Delete(sh[k].doc);
        tl_free(sh[k].ent_off);
        tl_free(sh[k].ent_len);
    }
    tl_free(sh);
    return rc;
}

void tl_cli_merge_result_free(tl_cli_merge_result *r)
{
    tl_buf_free(&r->out);
    cJSON_Delete(r->merged);
    r->merged = NULL;
}
