/* SPDX-License-Identifier: MIT */
/*
 * Golden snapshot comparison: byte-exact, and on mismatch a report a detection
 * engineer can read — first what changed in rule terms (which rule ids and
 * levels appeared, vanished or changed count), then a unified diff.
 *
 * The diff trims the common head and tail, then runs an LCS over the middle
 * when it is small enough (<= 4000 x 4000 lines); a larger middle is shown as
 * one hunk. Context is 3 lines, as `diff -u`.
 */
#include "tasklab/pipeline.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

typedef struct lines {
    const char **p;
    size_t *len;
    size_t n;
} lines;

static tl_status split_lines(const char *s, lines *out)
{
    size_t cap = 0;
    memset(out, 0, sizeof *out);
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            const char **np = tl_realloc(out->p, nc * sizeof *np);
            if (!np)
                return TL_E_NOMEM;
            out->p = np;
            size_t *nl2 = tl_realloc(out->len, nc * sizeof *nl2);
            if (!nl2)
                return TL_E_NOMEM;
            out->len = nl2;
            cap = nc;
        }
        out->p[out->n] = p;
        out->len[out->n] = l;
        out->n++;
        p = nl ? nl + 1 : p + l;
    }
    return TL_OK;
}

static void lines_free(lines *l)
{
    tl_free(l->p);
    tl_free(l->len);
}

static int line_eq(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->len[i] == b->len[j] && !memcmp(a->p[i], b->p[j], a->len[i]);
}

/* ops: 0 = same, 1 = delete (a), 2 = insert (b) */
typedef struct edit {
    int op;
    size_t ai, bi;
} edit;

/* Print a line, at most 400 bytes of it; `skip` bytes are elided first so a
 * change deep inside a long event record is visible. */
static void put_line(tl_buf *r, char c, const lines *l, size_t i, size_t skip)
{
    tl_buf_putc(r, c);
    size_t len = l->len[i];
    if (skip >= len)
        skip = 0;
    if (skip)
        tl_buf_printf(r, "…[%zu bytes]", skip);
    size_t n = len - skip > 400 ? 400 : len - skip;
    tl_buf_append(r, l->p[i] + skip, n);
    if (skip + n < len)
        tl_buf_puts(r, "…");
    tl_buf_putc(r, '\n');
}

static tl_status unified_diff(const lines *a, const lines *b, const char *name, tl_buf *r)
{
    tl_status st = TL_OK;
    edit *ed = NULL;
    unsigned *dp = NULL;
    size_t ne = 0;
    size_t pre = 0, suf = 0;
    while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
        pre++;
    while (suf < a->n - pre && suf < b->n - pre &&
           line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
        suf++;
    size_t ma = a->n - pre - suf, mb = b->n - pre - suf;
    ed = tl_malloc((a->n + b->n + 1) * sizeof *ed);
    TL_TRY_ALLOC(ed);
    for (size_t i = 0; i < pre; i++)
        ed[ne++] = (edit){0, i, i};
    if (ma <= 4000 && mb <= 4000 && ma * mb > 0) {
        dp = tl_calloc((ma + 1) * (mb + 1), sizeof *dp);
        TL_TRY_ALLOC(dp);
#define DP(i, j) dp[(i) * (mb + 1) + (j)]
        for (size_t i = ma; i-- > 0;)
            for (size_t j = mb; j-- > 0;)
                DP(i, j) = line_eq(a, pre + i, b, pre + j) ? DP(i + 1, j + 1) + 1
                           : DP(i + 1, j) >= DP(i, j + 1) ? DP(i + 1, j)
                                                           : DP(i, j + 1);
        size_t i = 0, j = 0;
        while (i < ma || j < mb) {
            if (i < ma && j < mb && line_eq(a, pre + i, b, pre + j)) {
                ed[ne++] = (edit){0, pre + i, pre + j};
                i++;
                j++;
            } else if (j < mb && (i == ma || DP(i, j + 1) >= DP(i + 1, j))) {
                ed[ne++] = (edit){2, pre + i, pre + j};
                j++;
            } else {
                ed[ne++] = (edit){1, pre + i, pre + j};
                i++;
            }
        }
#undef DP
    } else {
        for (size_t i = 0; i < ma; i++)
            ed[ne++] = (edit){1, pre + i, pre};
        for (size_t j = 0; j < mb; j++)
            ed[ne++] = (edit){2, pre + ma, pre + j};
    }
    for (size_t i = 0; i < suf; i++)
        ed[ne++] = (edit){0, a->n - suf + i, b->n - suf + i};

    tl_buf_printf(r, "--- golden/%s\n+++ actual/%s\n", name, name);
    size_t k = 0, shown = 0;
    while (k < ne) {
        while (k < ne && ed[k].op == 0)
            k++;
        if (k >= ne)
            break;
        size_t start = k >= 3 ? k - 3 : 0;
        size_t end = k;
        /* extend the hunk while changes are within 6 lines of each other */
        for (size_t z = k; z < ne; z++) {
            if (ed[z].op != 0)
                end = z;
            else if (z - end > 6)
                break;
        }
        size_t stop = end + 4 < ne ? end + 4 : ne;
        size_t as = 0, bs = 0, ac = 0, bc = 0;
        for (size_t z = start; z < stop; z++) {
            if (ed[z].op != 2)
                ac++;
            if (ed[z].op != 1)
                bc++;
        }
        as = ed[start].ai + 1;
        bs = ed[start].bi + 1;
        tl_buf_printf(r, "@@ -%zu,%zu +%zu,%zu @@\n", as, ac, bs, bc);
        /* where the first removed and the first added line of the hunk part */
        size_t skip = 0, fd = (size_t)-1, fi = (size_t)-1;
        for (size_t z = start; z < stop; z++) {
            if (ed[z].op == 1 && fd == (size_t)-1)
                fd = ed[z].ai;
            if (ed[z].op == 2 && fi == (size_t)-1)
                fi = ed[z].bi;
        }
        if (fd != (size_t)-1 && fi != (size_t)-1) {
            size_t lcp = 0, m = a->len[fd] < b->len[fi] ? a->len[fd] : b->len[fi];
            while (lcp < m && a->p[fd][lcp] == b->p[fi][lcp])
                lcp++;
            skip = lcp > 300 ? lcp - 120 : 0;
        }
        for (size_t z = start; z < stop; z++) {
            if (ed[z].op == 0)
                put_line(r, ' ', a, ed[z].ai, 0);
            else if (ed[z].op == 1)
                put_line(r, '-', a, ed[z].ai, skip);
            else
                put_line(r, '+', b, ed[z].bi, skip);
            if (++shown > 200) {
                tl_buf_puts(r, "… (diff truncated)\n");
                goto done;
            }
        }
        k = stop;
    }
done:
    st = tl_buf_status(r);
cleanup:
    tl_free(ed);
    tl_free(dp);
    return st;
}

/* Count alerts per (rule id, level). */
typedef struct rl {
    char id[16];
    int level;
    int n_golden, n_actual;
    char desc[160];
} rl;

static void tally(const char *json_lines, rl *v, size_t *nv, size_t cap, int actual)
{
    for (const char *p = json_lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        p = nl ? nl + 1 : p + l;
        if (!a)
            continue;
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(rule, "level");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(rule, "description");
        if (cJSON_IsString(id)) {
            int level = cJSON_IsNumber(lv) ? lv->valueint : 0;
            size_t i;
            for (i = 0; i < *nv; i++)
                if (!strcmp(v[i].id, id->valuestring) && v[i].level == level)
                    break;
            if (i == *nv && *nv < cap) {
                memset(&v[i], 0, sizeof v[i]);
                snprintf(v[i].id, sizeof v[i].id, "%s", id->valuestring);
                v[i].level = level;
                if (cJSON_IsString(ds))
                    snprintf(v[i].desc, sizeof v[i].desc, "%s", ds->valuestring);
                (*nv)++;
            }
            if (i < *nv) {
                if (actual)
                    v[i].n_actual++;
                else
                    v[i].n_golden++;
            }
        }
        cJSON_Delete(a);
    }
}

static void semantic_summary(const char *golden, const char *actual, tl_buf *r)
{
    rl v[256];
    size_t nv = 0;
    tally(golden, v, &nv, 256, 0);
    tally(actual, v, &nv, 256, 1);
    for (size_t i = 0; i < nv; i++) {
        if (v[i].n_golden == v[i].n_actual)
            continue;
        /* a level change shows as one id vanishing at one level and appearing at another */
        int other = -1;
        for (size_t j = 0; j < nv; j++)
            if (j != i && !strcmp(v[j].id, v[i].id))
                other = (int)j;
        if (v[i].n_golden == 0)
            tl_buf_printf(r, "  rule %s (level %d) appeared: %d alert%s \"%s\"%s\n", v[i].id,
                          v[i].level, v[i].n_actual, v[i].n_actual == 1 ? "" : "s", v[i].desc,
                          other >= 0 ? " [level changed]" : "");
        else if (v[i].n_actual == 0)
            tl_buf_printf(r, "  rule %s (level %d) vanished: was %d alert%s \"%s\"%s\n", v[i].id,
                          v[i].level, v[i].n_golden, v[i].n_golden == 1 ? "" : "s", v[i].desc,
                          other >= 0 ? " [level changed]" : "");
        else
            tl_buf_printf(r, "  rule %s (level %d): %d -> %d alerts\n", v[i].id, v[i].level,
                          v[i].n_golden, v[i].n_actual);
    }
}

tl_status tl_golden_compare(const char *golden_path, const char *actual, int is_alerts,
                            tl_buf *report, int *same, tl_diag *d)
{
    tl_status st = TL_OK;
    char *golden = NULL;
    size_t glen = 0;
    lines a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    tl_diag rd;
    if (tl_file_read(golden_path, &golden, &glen, &rd) != TL_OK) {
        tl_buf_printf(report, "  no golden file %s (run `tasklab test --bless` after checking the output)\n",
                      golden_path);
        *same = 0;
        return tl_buf_status(report);
    }
    if (glen == strlen(actual) && !memcmp(golden, actual, glen)) {
        *same = 1;
        tl_free(golden);
        return TL_OK;
    }
    *same = 0;
    const char *base = strrchr(golden_path, '/');
    base = base ? base + 1 : golden_path;
    tl_buf_printf(report, "  %s differs from %s\n", base, golden_path);
    if (is_alerts)
        semantic_summary(golden, actual, report);
    TL_TRY(split_lines(golden, &a));
    TL_TRY(split_lines(actual, &b));
    TL_TRY(unified_diff(&a, &b, base, report));
cleanup:
    (void)d;
    lines_free(&a);
    lines_free(&b);
    tl_free(golden);
    return st;
}

char *tl_golden_events_snapshot(const char *events, const char *digest, const char **suffix)
{
    if (!events) { /* streamed by the driver: only its digest exists */
        *suffix = ".events.xml.sha256";
        return tl_strdup(digest ? digest : "");
    }
    size_t len = strlen(events);
    if (len <= TL_GOLDEN_INLINE_MAX) {
        *suffix = ".events.xml";
        return tl_strdup(events);
    }
    char hex[65];
    size_t nlines = 0;
    for (const char *p = events; *p; p++)
        nlines += *p == '\n';
    tl_sha256_hex(events, len, hex);
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "sha256 %s bytes %zu lines %zu\n", hex, len, nlines);
    *suffix = ".events.xml.sha256";
    return tl_buf_take(&b);
}

/* ---- recording scenarios: alerts as digests ------------------------------------
 * A recording scenario's alerts carry the recording's text (full_log, data),
 * which is another project's data and stays out of golden/. Its snapshot keeps,
 * per alert in order, one JSON line
 *   {"rule":{"id":"60228","level":4,"description":"…","groups":[…]},"sha256":"HEX"}
 * where HEX is the SHA-256 of the alert's canonical JSON: the alert without its
 * top-level timestamp, id, manager and agent, object keys sorted (byte order) at
 * every depth, no whitespace, as cJSON prints values. Any other field that
 * changes changes the digest; the rule part keeps the comparison's semantic
 * summary (rules added, vanished, level changed) readable. */

static int key_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Sort the keys of every object below n (stable for equal keys). */
static int sort_keys(cJSON *n, int depth)
{
    if (depth > 64)
        return -1;
    size_t k = 0;
    for (cJSON *c = n->child; c; c = c->next, k++)
        if (sort_keys(c, depth + 1) != 0)
            return -1;
    if (!cJSON_IsObject(n) || k < 2)
        return 0;
    cJSON **v = tl_malloc(k * sizeof *v);
    if (!v)
        return -1;
    k = 0;
    for (cJSON *c = n->child; c; c = c->next)
        v[k++] = c;
    /* insertion sort: stable, and objects are small */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && key_cmp(&v[j - 1], &v[j]) > 0; j--) {
            cJSON *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++) {
        v[i]->prev = i ? v[i - 1] : v[k - 1]; /* cJSON: the head's prev is the tail */
        v[i]->next = i + 1 < k ? v[i + 1] : NULL;
    }
    n->child = v[0];
    tl_free(v);
    return 0;
}

static tl_status digest_line(const char *line, size_t len, tl_buf *out)
{
    tl_status st = TL_OK;
    char *canon = NULL, *rule_txt = NULL;
    cJSON *a = cJSON_ParseWithLength(line, len), *rule = NULL;
    if (!a || !cJSON_IsObject(a)) {
        /* not an alert: digest the bytes so a change still shows */
        char hex[65];
        tl_sha256_hex(line, len, hex);
        tl_buf_printf(out, "{\"line\":\"not JSON\",\"sha256\":\"%s\"}\n", hex);
        goto cleanup;
    }
    static const char *const drop[] = {"timestamp", "id", "manager", "agent"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(a, drop[i]);
    rule = cJSON_CreateObject();
    TL_TRY_ALLOC(rule);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(a, "rule");
    static const char *const keep[] = {"id", "level", "description", "groups"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keep[i]);
        if (v) {
            cJSON *dup = cJSON_Duplicate(v, 1);
            TL_TRY_ALLOC(dup);
            cJSON_AddItemToObject(rule, keep[i], dup);
        }
    }
    if (sort_keys(a, 0) != 0)
        TL_FAIL(TL_E_NOMEM);
    canon = cJSON_PrintUnformatted(a);
    rule_txt = cJSON_PrintUnformatted(rule);
    TL_TRY_ALLOC(canon);
    TL_TRY_ALLOC(rule_txt);
    char hex[65];
    tl_sha256_hex(canon, strlen(canon), hex);
    tl_buf_printf(out, "{\"rule\":%s,\"sha256\":\"%s\"}\n", rule_txt, hex);
cleanup:
    cJSON_free(canon);
    cJSON_free(rule_txt);
    cJSON_Delete(rule);
    cJSON_Delete(a);
    return st;
}

char *tl_golden_alerts_snapshot(const char *alerts, int recorded, const char **suffix)
{
    if (!recorded) {
        *suffix = ".alerts.json";
        return tl_strdup(alerts ? alerts : "");
    }
    *suffix = ".alerts.digest";
    tl_buf b = TL_BUF_INIT;
    for (const char *p = alerts ? alerts : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l && digest_line(p, l, &b) != TL_OK) {
            tl_buf_free(&b);
            return NULL;
        }
        p = nl ? nl + 1 : p + l;
    }
    char *s = tl_buf_take(&b);
    return s ? s : tl_strdup("");
}
