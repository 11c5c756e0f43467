/* SPDX-License-Identifier: MIT */
/*
 * wazuh-logtest on the tasklab engine (wazuh.md §12).
 *
 * One tl_logtest is one logtest token: an engine whose firedtimes, frequency
 * and if_matched_* memory carry over from event to event, and a virtual
 * clock (2024-01-01T00:00:00Z for the first event, +1 s per event, unless
 * the options say otherwise; never the wall clock).
 *
 * Each event is queued as analysisd's logtest does, "1:<location>:<event>"
 * (location "stdin"), except a raw eventchannel payload
 * ({"Message":...,"Event":"<Event ..."}), which is queued as "f:" so it takes
 * the DecodeWinevt path (4.x logtest has none; tasklab adds it so agent
 * payloads can be tried as they are).
 *
 * The result is the reply's "output" object (the alert JSON, built even when
 * the alert is not logged, with rule.level present for level 0 and no
 * "rule" when nothing matched) and wazuh_logtest.py's text rendering of it:
 *
 *   **Phase 1: Completed pre-decoding.
 *   \tfull event: '...'              then timestamp / hostname / program_name
 *
 *   **Phase 2: Completed decoding.
 *   \tname: '...'  \tparent: '...'   then every data key, dotted, sorted
 *
 *   **Rule debugging:                (rules_debug only)
 *   \tTrying rule: 1 - Generic template for all syslog rules.
 *   \t\t*Rule 1 matched
 *   \t\t*Trying child rules
 *
 *   **Phase 3: Completed filtering (rules).
 *   \tid, level, description, groups, firedtimes, then the other rule keys
 *   sorted, values as Python prints them (mail: 'False', groups: '['a', 'b']')
 *   **Alert to be generated.
 *
 * With rules_debug, a rule whose own conditions fail also gets a line
 * "\t\t*Rule N failed: <condition> (...)" naming the first failing condition
 * and, where it helps, the value it was checked against (tasklab's addition).
 */
#include "output/logtest_int.h"
#include "rules/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2024-01-01T00:00:00Z */
#define LT_DEFAULT_START (INT64_C(1704067200) * TL_USEC_PER_SEC)

struct tl_logtest {
    const tl_ruleset *rs;
    tl_engine *e;
    tl_logtest_opts o;
    char *location;
    char *manager_name;
    tl_time next;
    tl_buf qline;
    tl_buf text;
    tl_buf json;
    tl_buf dbg;
    tl_buf desc;
    char rule_id[16];
    char decoder[256];
};

/* ---- Python repr ---------------------------------------------------------- */

void tl_py_repr_str(tl_buf *b, const char *s)
{
    char q = '\'';
    if (strchr(s, '\'') && !strchr(s, '"'))
        q = '"';
    tl_buf_putc(b, q);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == (unsigned char)q || c == '\\') {
            tl_buf_putc(b, '\\');
            tl_buf_putc(b, (char)c);
        } else if (c == '\n')
            tl_buf_puts(b, "\\n");
        else if (c == '\r')
            tl_buf_puts(b, "\\r");
        else if (c == '\t')
            tl_buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            tl_buf_printf(b, "\\x%02x", c);
        else
            tl_buf_putc(b, (char)c);
    }
    tl_buf_putc(b, q);
}

static void py_number(tl_buf *b, double d)
{
    if (d < 1e16 && d > -1e16 && d == (double)(long long)d) { /* range first: no UB cast */
        tl_buf_printf(b, "%lld", (long long)d);
        return;
    }
    /* Python's shortest round-trip repr */
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    tl_buf_puts(b, tmp);
    if (!strpbrk(tmp, ".eEn"))
        tl_buf_puts(b, ".0");
}

void tl_py_repr(tl_buf *b, const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        tl_buf_puts(b, "None");
    else if (cJSON_IsTrue(v))
        tl_buf_puts(b, "True");
    else if (cJSON_IsFalse(v))
        tl_buf_puts(b, "False");
    else if (cJSON_IsString(v))
        tl_py_repr_str(b, v->valuestring ? v->valuestring : "");
    else if (cJSON_IsNumber(v))
        py_number(b, v->valuedouble);
    else if (cJSON_IsArray(v)) {
        tl_buf_putc(b, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            tl_py_repr(b, c);
            if (c->next)
                tl_buf_puts(b, ", ");
        }
        tl_buf_putc(b, ']');
    } else if (cJSON_IsObject(v)) {
        tl_buf_putc(b, '{');
        for (const cJSON *c = v->child; c; c = c->next) {
            tl_py_repr_str(b, c->string ? c->string : "");
            tl_buf_puts(b, ": ");
            tl_py_repr(b, c);
            if (c->next)
                tl_buf_puts(b, ", ");
        }
        tl_buf_putc(b, '}');
    }
}

void tl_py_str(tl_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v))
        tl_buf_puts(b, v->valuestring ? v->valuestring : "");
    else
        tl_py_repr(b, v);
}

/* ---- flattening (nested objects -> dotted keys) ----------------------------- */

/* wazuh_logtest.py prints a phase's fields with show_phase_info: the
 * "show first" keys in their order, then the others sorted; a nested object
 * is printed the same way (its keys sorted) with "key." as prefix. */

static int key_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static void put_kv(tl_buf *b, const char *key, const cJSON *v)
{
    tl_buf_printf(b, "\t%s: '", key);
    tl_py_str(b, v);
    tl_buf_puts(b, "'\n");
}

static void put_kv_str(tl_buf *b, const char *key, const char *v)
{
    tl_buf_printf(b, "\t%s: '%s'\n", key, v);
}

static void put_field(tl_buf *b, const char *prefix, const cJSON *v, int depth);

/* Print the members of obj: first the listed keys (in that order), then the
 * others sorted by key; nested objects recursively with "key." prefixes. */
static void put_sorted(tl_buf *b, const char *prefix, const cJSON *obj, const char *const *first,
                       int depth)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (!n)
        return;
    const cJSON **v = tl_malloc(n * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        v[n++] = c;
    qsort(v, n, sizeof *v, key_cmp);
    tl_buf key = TL_BUF_INIT;
    for (size_t k = 0; first && first[k]; k++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, first[k]);
        if (!c)
            continue;
        tl_buf_reset(&key);
        tl_buf_printf(&key, "%s%s", prefix, first[k]);
        put_field(b, tl_buf_cstr(&key), c, depth);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = v[i]->string ? v[i]->string : "";
        int skip = 0;
        for (size_t k = 0; first && first[k]; k++)
            if (!strcmp(first[k], name))
                skip = 1;
        if (skip)
            continue;
        tl_buf_reset(&key);
        tl_buf_printf(&key, "%s%s", prefix, name);
        put_field(b, tl_buf_cstr(&key), v[i], depth);
    }
    if (tl_buf_status(&key) != TL_OK)
        b->oom = 1;
    tl_buf_free(&key);
    tl_free(v);
}

static void put_field(tl_buf *b, const char *key, const cJSON *v, int depth)
{
    if (cJSON_IsObject(v) && depth < 64) {
        tl_buf prefix = TL_BUF_INIT;
        tl_buf_printf(&prefix, "%s.", key);
        if (tl_buf_status(&prefix) != TL_OK)
            b->oom = 1;
        else
            put_sorted(b, tl_buf_cstr(&prefix), v, NULL, depth + 1);
        tl_buf_free(&prefix);
        return;
    }
    put_kv(b, key, v);
}

/* ---- rule debugging ---------------------------------------------------------- */

static void explain_failure(tl_logtest *lt, const tl_rule *r, const char *failed)
{
    tl_buf *b = &lt->dbg;
    tl_buf_printf(b, "\t\t*Rule %d failed: %s", r->id, failed);
    if (lt->e->have_ev)
        tl_rule_failure_detail(&lt->e->ev, r, failed, 160, b);
    tl_buf_putc(b, '\n');
}

static void on_trace(void *ctx, const char *rule_id, const char *description, int depth,
                     int matched, const char *failed)
{
    tl_logtest *lt = ctx;
    (void)depth;
    tl_buf_printf(&lt->dbg, "\tTrying rule: %s - %s\n", rule_id, description ? description : "");
    const tl_rule *r = tl_ruleset_find(lt->rs, atoi(rule_id));
    if (matched) {
        tl_buf_printf(&lt->dbg, "\t\t*Rule %s matched\n", rule_id);
        if (r && r->nchildren)
            tl_buf_puts(&lt->dbg, "\t\t*Trying child rules\n");
    } else if (failed && r) {
        explain_failure(lt, r, failed);
    }
}

/* ---- session ------------------------------------------------------------------ */

tl_status tl_logtest_new(const tl_ruleset *rs, const tl_logtest_opts *o, tl_logtest **out)
{
    tl_status st = TL_OK;
    tl_logtest *lt = NULL;
    *out = NULL;
    if (!rs)
        return TL_E_INVAL;
    tl_cjson_hooks_init();
    lt = tl_calloc(1, sizeof *lt);
    TL_TRY_ALLOC(lt);
    if (o)
        lt->o = *o;
    lt->rs = rs;
    lt->location = tl_strdup(o && o->location ? o->location : "stdin");
    lt->manager_name = tl_strdup(o && o->manager_name ? o->manager_name : "wazuh-manager");
    TL_TRY_ALLOC(lt->location);
    TL_TRY_ALLOC(lt->manager_name);
    lt->o.location = lt->location;
    lt->o.manager_name = lt->manager_name;
    if (!lt->o.start)
        lt->o.start = LT_DEFAULT_START;
    if (lt->o.step <= 0)
        lt->o.step = TL_USEC_PER_SEC;
    lt->next = lt->o.start;
    tl_engine_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.manager_name = lt->manager_name;
    TL_TRY(tl_engine_new(rs, &eo, &lt->e));
    if (lt->o.rules_debug)
        tl_engine_set_trace(lt->e, on_trace, lt);
    *out = lt;
    lt = NULL;
cleanup:
    tl_logtest_free(lt);
    return st;
}

void tl_logtest_free(tl_logtest *lt)
{
    if (!lt)
        return;
    tl_engine_free(lt->e);
    tl_free(lt->location);
    tl_free(lt->manager_name);
    tl_buf_free(&lt->qline);
    tl_buf_free(&lt->text);
    tl_buf_free(&lt->json);
    tl_buf_free(&lt->dbg);
    tl_buf_free(&lt->desc);
    tl_free(lt);
}

/* A raw agent eventchannel payload: a JSON object whose "Event" is a string
 * holding the <Event> XML. */
static int is_eventchannel(const char *ev, size_t len)
{
    if (len < 2 || ev[0] != '{')
        return 0;
    cJSON *j = cJSON_ParseWithLength(ev, len);
    int yes = 0;
    if (j && cJSON_IsObject(j)) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "Event");
        if (cJSON_IsString(x) && x->valuestring && strstr(x->valuestring, "<Event"))
            yes = 1;
    }
    cJSON_Delete(j);
    return yes;
}

/* The alert JSON for the current event: the logged line when there is one,
 * else built by the alert builder (for a level under log_alert_level, or with
 * a blank rule that is removed again when nothing matched). */
static tl_status build_output(tl_logtest *lt, const tl_result *res, cJSON **out)
{
    tl_status st = TL_OK;
    tl_buf a = TL_BUF_INIT;
    cJSON *root = NULL;
    const tl_rule *r = res->matched ? lt->e->matched : NULL;
    *out = NULL;
    if (res->matched && res->alert_json) {
        tl_buf_puts(&a, res->alert_json);
    } else if (r) {
        const tl_rule_state *rst = &lt->e->st[r->idx];
        tl_buf_reset(&lt->desc);
        tl_description_expand(r->description ? r->description : "", &lt->e->ev, &lt->desc);
        TL_TRY(tl_buf_status(&lt->desc));
        TL_TRY(tl_alert_build(lt->e, r, rst->firedtimes, tl_buf_cstr(&lt->desc), &a));
    } else {
        tl_rule blank;
        memset(&blank, 0, sizeof blank);
        blank.description = (char *)"";
        blank.groups = (char *)"";
        snprintf(blank.id_str, sizeof blank.id_str, "0");
        TL_TRY(tl_alert_build(lt->e, &blank, 0, "", &a));
    }
    TL_TRY(tl_buf_status(&a));
    root = cJSON_Parse(tl_buf_cstr(&a));
    if (!root || !cJSON_IsObject(root))
        TL_FAIL(TL_E_INTERNAL);
    if (!r) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "rule");
    } else {
        cJSON *rule = cJSON_GetObjectItemCaseSensitive(root, "rule");
        if (rule && !cJSON_GetObjectItemCaseSensitive(rule, "level")) {
            /* logtest keeps level 0, as the rule object's first key */
            cJSON *lv = cJSON_CreateNumber(res->level);
            TL_TRY_ALLOC(lv);
            lv->string = tl_strdup("level");
            if (!lv->string || !cJSON_InsertItemInArray(rule, 0, lv)) {
                cJSON_Delete(lv);
                TL_FAIL(TL_E_NOMEM);
            }
        }
    }
    *out = root;
    root = NULL;
cleanup:
    cJSON_Delete(root);
    tl_buf_free(&a);
    return st;
}

static void render_text(tl_logtest *lt, const cJSON *root, const tl_result *res)
{
    tl_buf *b = &lt->text;
    const tl_event *ev = &lt->e->ev;
    const int have = lt->e->have_ev;

    tl_buf_puts(b, "**Phase 1: Completed pre-decoding.\n");
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(root, "full_log");
    if (cJSON_IsString(fl))
        put_kv(b, "full event", fl);
    if (have && (ev->dec_timestamp || ev->program_name)) {
        if (ev->dec_timestamp)
            put_kv_str(b, "timestamp", ev->dec_timestamp);
        if (ev->hostname)
            put_kv_str(b, "hostname", ev->hostname);
        if (ev->program_name)
            put_kv_str(b, "program_name", ev->program_name);
    }

    tl_buf_puts(b, "\n**Phase 2: Completed decoding.\n");
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "decoder");
    const cJSON *dname = dec ? cJSON_GetObjectItemCaseSensitive(dec, "name") : NULL;
    if (cJSON_IsString(dname)) {
        put_kv(b, "name", dname);
        const cJSON *par = cJSON_GetObjectItemCaseSensitive(dec, "parent");
        if (par)
            put_kv(b, "parent", par);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
        if (cJSON_IsObject(data))
            put_sorted(b, "", data, NULL, 0);
    } else {
        tl_buf_puts(b, "\tNo decoder matched.\n");
    }

    if (lt->o.rules_debug) {
        tl_buf_puts(b, "\n**Rule debugging:\n");
        tl_buf_puts(b, tl_buf_cstr(&lt->dbg));
    }

    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(root, "rule");
    if (cJSON_IsObject(rule)) {
        static const char *const first[] = {"id", "level", "description", "groups", "firedtimes",
                                            NULL};
        tl_buf_puts(b, "\n**Phase 3: Completed filtering (rules).\n");
        put_sorted(b, "", rule, first, 0);
        if (res->alert_json)
            tl_buf_puts(b, "**Alert to be generated.\n");
    }
}

tl_status tl_logtest_process(tl_logtest *lt, const char *event, size_t len,
                             tl_logtest_result *out, tl_diag *d)
{
    tl_status st = TL_OK;
    cJSON *root = NULL;
    char *js = NULL;
    tl_result res;
    memset(&res, 0, sizeof res);
    memset(out, 0, sizeof *out);
    out->rule_id = "";
    out->decoder = "";
    out->level = -1;
    out->text = "";
    out->json = "";
    tl_time now = lt->next;
    lt->next += lt->o.step;
    tl_buf_reset(&lt->text);
    tl_buf_reset(&lt->json);
    tl_buf_reset(&lt->dbg);
    lt->rule_id[0] = '\0';
    lt->decoder[0] = '\0';

    if (len > TL_LOGTEST_MAX_EVENT) {
        tl_diag_set(d, "", 0, "event of %zu bytes is longer than the %d bytes analysisd accepts; skipped",
                    len, TL_LOGTEST_MAX_EVENT);
        return TL_E_LIMIT;
    }
    if (memchr(event, '\0', len)) {
        tl_diag_set(d, "", 0, "event contains a NUL byte; skipped");
        return TL_E_PARSE;
    }
    tl_buf_reset(&lt->qline);
    tl_buf_putc(&lt->qline, is_eventchannel(event, len) ? 'f' : '1');
    tl_buf_putc(&lt->qline, ':');
    tl_buf_puts(&lt->qline, lt->location);
    tl_buf_putc(&lt->qline, ':');
    tl_buf_append(&lt->qline, event, len);
    TL_TRY(tl_buf_status(&lt->qline));

    st = tl_engine_process(lt->e, tl_buf_cstr(&lt->qline), now, &res, d);
    if (st != TL_OK)
        goto cleanup;
    if (!lt->e->have_ev) {
        tl_diag_set(d, "", 0, "event dropped by the engine");
        TL_FAIL(TL_E_PARSE);
    }
    /* OSSECAlert_Decoder: logtest shows the alert's rule with alert: false
     * (wazuh.md §4.3) */
    if (lt->e->ev.decoder_type == TL_CAT_OSSEC_ALERT)
        res.alert_json = NULL;

    TL_TRY(build_output(lt, &res, &root));
    js = cJSON_PrintUnformatted(root);
    TL_TRY_ALLOC(js);
    tl_buf_puts(&lt->json, js);
    render_text(lt, root, &res);
    TL_TRY(tl_buf_status(&lt->json));
    TL_TRY(tl_buf_status(&lt->text));
    TL_TRY(tl_buf_status(&lt->dbg));

    if (res.matched && lt->e->matched) {
        snprintf(lt->rule_id, sizeof lt->rule_id, "%s", lt->e->matched->id_str);
        out->matched = 1;
        out->level = res.level;
    }
    if (lt->e->ev.decoder_name)
        snprintf(lt->decoder, sizeof lt->decoder, "%s", lt->e->ev.decoder_name);
    out->rule_id = lt->rule_id;
    out->decoder = lt->decoder;
    out->alert = res.alert_json != NULL;
    out->text = tl_buf_cstr(&lt->text);
    out->json = tl_buf_cstr(&lt->json);
cleanup:
    if (js)
        cJSON_free(js);
    cJSON_Delete(root);
    if (st == TL_E_NOMEM)
        tl_diag_set(d, "", 0, "out of memory");
    else if (st == TL_E_INTERNAL && d && !d->msg[0])
        tl_diag_set(d, "", 0, "internal error: the alert JSON could not be rebuilt");
    return st;
}
