/* SPDX-License-Identifier: MIT */
/*
 * The oracle test: every recording of ../shared/reference/evtx/ replayed
 * through tasklab's agent stage and manager, checked against what a real
 * wazuh-analysisd 4.14.7 made of it (../shared/reference/oracle/evtx/, see
 * its README for how those files were produced).
 *
 * Per recording <slug> (index.json maps slug -> path):
 *  - queue:    each forwarded message equals the line of <slug>.queue
 *              (byte for byte, same count);
 *  - decoded:  for each event, full_log equals archives.json's, `data`
 *              equals archives.json's `data`, and the rule that matched
 *              (level >= 1) equals archives.json's `rule.id`/`rule.level`;
 *  - alerts:   the alerts equal <slug>.alerts.json in count and order, every
 *              field compared except timestamp, id, manager, agent and
 *              rule.mitre (the oracle ran without a MITRE database).
 * A fresh engine per recording, all its records received at one instant (the
 * oracle sent each file in one burst), as `tasklab replay` does.
 *
 * Known differences: tests/oracle/known-differences.txt lists slugs that
 * differ for a documented cause ("slug<TAB>cause"); they are reported but do
 * not fail, and a listed slug that now matches fails (the list must shrink).
 *
 * usage: oracle_evtx SHARED_DIR ETC_DIR KNOWN_FILE [PROFILE]   exit 77 when
 * SHARED_DIR lacks the oracle.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/manager.h"
#include "tasklab/pipeline.h"
#include "tasklab/replay.h"
#include "tasklab/winevt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *read_all(const char *path, size_t *len)
{
    char *data = NULL;
    size_t n = 0;
    tl_diag d;
    if (tl_file_read(path, &data, &n, &d) != TL_OK)
        return NULL;
    if (len)
        *len = n;
    return data;
}

/* Next '\n'-terminated line of *p (NULL at the end). */
static const char *next_line(const char **p, size_t *len)
{
    const char *s = *p;
    if (!s || !*s)
        return NULL;
    const char *nl = strchr(s, '\n');
    *len = nl ? (size_t)(nl - s) : strlen(s);
    *p = nl ? nl + 1 : s + *len;
    return s;
}

/* a + "/" + b + suffix, owned by the caller (tl_free). */
static char *pjoin(const char *a, const char *b, const char *suffix)
{
    tl_buf x = TL_BUF_INIT;
    tl_buf_printf(&x, "%s/%s%s", a, b, suffix);
    return tl_buf_take(&x);
}

static void drop_key(cJSON *o, const char *k) { cJSON_Delete(cJSON_DetachItemFromObjectCaseSensitive(o, k)); }

/* An alert minus the fields that legitimately differ, printed compactly. */
static char *norm_alert(const char *line, size_t len)
{
    cJSON *a = cJSON_ParseWithLength(line, len);
    if (!a)
        return NULL;
    drop_key(a, "timestamp");
    drop_key(a, "id");
    drop_key(a, "manager");
    drop_key(a, "agent");
    drop_key(cJSON_GetObjectItemCaseSensitive(a, "rule"), "mitre");
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

/* `data` as analysisd prints it from a full_log: empty strings left out,
 * a string starting with '[' that parses as JSON becomes that array
 * (wazuh.md §10, W_JSON_AddField). Modifies o in place. */
static void data_form(cJSON *o)
{
    cJSON *c = o ? o->child : NULL;
    while (c) {
        cJSON *next = c->next;
        if (cJSON_IsObject(c)) {
            data_form(c);
            if (!c->child)
                cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
        } else if (cJSON_IsString(c)) {
            if (!c->valuestring[0])
                cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
            else if (c->valuestring[0] == '[') {
                cJSON *arr = cJSON_Parse(c->valuestring);
                if (cJSON_IsArray(arr)) {
                    arr->string = c->string; /* the key moves to the array */
                    c->string = NULL;
                    cJSON_ReplaceItemViaPointer(o, c, arr);
                }
                else
                    cJSON_Delete(arr);
            }
        }
        c = next;
    }
}

static int is_known(const char *known, const char *slug)
{
    size_t sl = strlen(slug);
    const char *p = known;
    size_t ll;
    const char *l;
    while ((l = next_line(&p, &ll))) {
        if (ll > sl && !memcmp(l, slug, sl) && (l[sl] == '\t' || l[sl] == ' '))
            return 1;
    }
    return 0;
}

typedef struct check {
    char first[1024]; /* first difference */
    int bad;
} check;

static void differ(check *c, const char *fmt, const char *a, const char *b, size_t i)
{
    c->bad++;
    if (c->first[0])
        return;
    char av[300], bv[300];
    { size_t al = a ? strlen(a) : 0, bl = b ? strlen(b) : 0, k = 0; while (k < al && k < bl && a[k] == b[k]) k++; size_t from = k > 120 ? k - 120 : 0; if (from > al) from = al; a = a ? a + from : a; if (b) b = b + (from < bl ? from : bl); }
    snprintf(av, sizeof av, "%.280s", a ? a : "(none)");
    snprintf(bv, sizeof bv, "%.280s", b ? b : "(none)");
    snprintf(c->first, sizeof c->first, "%s #%zu: tasklab %s | wazuh %s", fmt, i + 1, av, bv);
}

static int check_one(const tl_ruleset *rs, const char *oracle_dir, const char *evtx_dir,
                     const char *slug, const char *rel, check *c, size_t *nrec, size_t *nal)
{
    tl_replay *r = NULL;
    tl_engine *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_buf q = TL_BUF_INIT, oq = TL_BUF_INIT, ours = TL_BUF_INIT;
    char *queue = NULL, *arch = NULL, *alerts = NULL;
    char *path = pjoin(evtx_dir, rel, "");
    tl_status os = tl_replay_open(path, TL_REPLAY_AUTO, &r, &d);
    tl_free(path);
    if (os != TL_OK) {
        snprintf(c->first, sizeof c->first, "cannot replay: %.900s", d.msg);
        c->bad++;
        return 0;
    }
    path = pjoin(oracle_dir, slug, ".queue");
    queue = read_all(path, NULL);
    tl_free(path);
    path = pjoin(oracle_dir, slug, ".archives.json");
    arch = read_all(path, NULL);
    tl_free(path);
    path = pjoin(oracle_dir, slug, ".alerts.json");
    alerts = read_all(path, NULL);
    tl_free(path);
    if (!queue || !arch || !alerts) {
        snprintf(c->first, sizeof c->first, "oracle files missing for %.900s", slug);
        c->bad++;
        goto out;
    }
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    if (tl_engine_new(rs, &eo, &e) != TL_OK)
        abort();
    const char *qp = queue, *ap = arch;
    tl_replay_record rec;
    int got = 0;
    tl_time now = 0;
    size_t i = 0;
    while (tl_replay_next(r, &rec, &got) == TL_OK && got) {
        if (i == 0)
            now = rec.time;
        tl_buf_reset(&q);
        tl_replay_queue_line(&rec, "001", "evtx-lab", 0, &q);
        tl_buf_reset(&oq);
        tl_buf_json_str(&oq, tl_buf_cstr(&q));
        size_t ll = 0, al = 0;
        const char *ol = next_line(&qp, &ll);
        if (!ol || ll != oq.len || memcmp(ol, oq.data, ll))
            differ(c, "queue line", tl_buf_cstr(&oq), ol, i);
        /* decoded form */
        const char *arl = next_line(&ap, &al);
        cJSON *aj = arl ? cJSON_ParseWithLength(arl, al) : NULL;
        const char *payload = strstr(tl_buf_cstr(&q), "EventChannel:") + 13;
        char *full = NULL;
        if (tl_winevt_convert(payload, &full, &d) != TL_OK)
            full = NULL;
        const cJSON *afl = cJSON_GetObjectItemCaseSensitive(aj, "full_log");
        if (!full || !cJSON_IsString(afl) || strcmp(full, afl->valuestring))
            differ(c, "full_log of event", full, cJSON_IsString(afl) ? afl->valuestring : NULL, i);
        else {
            cJSON *mine = cJSON_Parse(full);
            data_form(mine);
            char *m = cJSON_PrintUnformatted(mine);
            char *o = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(aj, "data"));
            if (!m || !o || strcmp(m, o))
                differ(c, "data of event", m, o, i);
            cJSON_free(m);
            cJSON_free(o);
            cJSON_Delete(mine);
        }
        tl_free(full);
        tl_result res;
        if (tl_engine_process(e, tl_buf_cstr(&q), now, &res, &d) != TL_OK)
            memset(&res, 0, sizeof res);
        const cJSON *ar = cJSON_GetObjectItemCaseSensitive(aj, "rule");
        const cJSON *arid = cJSON_GetObjectItemCaseSensitive(ar, "id");
        const cJSON *arlv = cJSON_GetObjectItemCaseSensitive(ar, "level");
        char mine_rule[64] = "", theirs_rule[64] = "";
        if (res.matched && res.level >= 1)
            snprintf(mine_rule, sizeof mine_rule, "%s L%d", res.rule_id, res.level);
        if (cJSON_IsString(arid))
            snprintf(theirs_rule, sizeof theirs_rule, "%s L%d", arid->valuestring,
                     cJSON_IsNumber(arlv) ? arlv->valueint : 0);
        if (strcmp(mine_rule, theirs_rule))
            differ(c, "rule of event", mine_rule, theirs_rule, i);
        cJSON_Delete(aj);
        if (res.alert_json) {
            tl_buf_puts(&ours, res.alert_json);
            tl_buf_putc(&ours, '\n');
        }
        i++;
    }
    *nrec += i;
    {
        size_t ll;
        if (next_line(&qp, &ll))
            differ(c, "queue line count", "fewer", "more", i);
        if (next_line(&ap, &ll))
            differ(c, "archives line count", "fewer", "more", i);
    }
    /* alerts */
    {
        const char *mp = ours.data ? ours.data : "", *op = alerts;
        size_t ml, ol, k = 0;
        const char *m, *o;
        for (;; k++) {
            m = next_line(&mp, &ml);
            o = next_line(&op, &ol);
            if (!m && !o)
                break;
            char *mn = m ? norm_alert(m, ml) : NULL, *on = o ? norm_alert(o, ol) : NULL;
            if (!mn || !on || strcmp(mn, on))
                differ(c, "alert", mn, on, k);
            cJSON_free(mn);
            cJSON_free(on);
        }
        *nal += k;
    }
out:
    tl_engine_free(e);
    tl_replay_free(r);
    tl_free(queue);
    tl_free(arch);
    tl_free(alerts);
    tl_buf_free(&q);
    tl_buf_free(&oq);
    tl_buf_free(&ours);
    return c->bad == 0;
}

static void warn_quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: oracle_evtx SHARED_DIR ETC_DIR KNOWN_FILE [PROFILE]\n");
        return 2;
    }
    const char *shared = argv[1], *etc = argv[2], *known_path = argv[3];
    const char *profile = argc > 4 ? argv[4] : "wazuh";
    char *oracle_dir = pjoin(shared, "reference/oracle/evtx", "");
    char *evtx_dir = pjoin(shared, "reference/evtx", "");
    char *index_path = pjoin(oracle_dir, "index.json", "");
    struct stat sb;
    if (stat(index_path, &sb) != 0 || stat(evtx_dir, &sb) != 0) {
        printf("skipped: %s not found\n", index_path);
        return 77;
    }
    char *known = read_all(known_path, NULL);
    if (!known)
        known = tl_strdup("");
    char *idx = read_all(index_path, NULL);
    cJSON *index = idx ? cJSON_Parse(idx) : NULL;
    if (!cJSON_IsObject(index)) {
        fprintf(stderr, "%s: not a JSON object\n", index_path);
        return 2;
    }
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = profile;
    po.etc_dir = etc;
    po.shared_dir = shared;
    po.warn = warn_quiet;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_profile_load(&po, &rs, &d);
    if (st != TL_OK) {
        fprintf(stderr, "profile %s: %s: %s\n", profile, d.file, d.msg);
        return st == TL_E_NOTFOUND ? 77 : 2;
    }
    size_t nfiles = 0, nmatch = 0, nknown = 0, nfail = 0, nrec = 0, nal = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, index)
    {
        if (!cJSON_IsString(it))
            continue;
        check c;
        memset(&c, 0, sizeof c);
        int ok = check_one(rs, oracle_dir, evtx_dir, it->string, it->valuestring, &c, &nrec, &nal);
        int kn = is_known(known, it->string);
        nfiles++;
        if (ok && !kn)
            nmatch++;
        else if (ok && kn) {
            printf("FIXED (remove from %s): %s\n", known_path, it->string);
            nfail++;
        } else if (kn) {
            printf("known  %s: %d difference%s; first: %s\n", it->string, c.bad,
                   c.bad == 1 ? "" : "s", c.first);
            nknown++;
        } else {
            printf("DIFFER %s: %d difference%s; first: %s\n", it->string, c.bad,
                   c.bad == 1 ? "" : "s", c.first);
            nfail++;
        }
    }
    printf("%zu recordings (%zu records, %zu oracle alerts), profile %s: %zu identical, %zu known "
           "differences, %zu failing\n",
           nfiles, nrec, nal, profile, nmatch, nknown, nfail);
    cJSON_Delete(index);
    tl_free(idx);
    tl_free(oracle_dir);
    tl_free(evtx_dir);
    tl_free(index_path);
    tl_free(known);
    tl_ruleset_free(rs);
    return nfail ? 1 : 0;
}
