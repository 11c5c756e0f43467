/* SPDX-License-Identifier: MIT */
/*
 * The pages of the report: index.html (library table, coverage matrix,
 * mutation score) and one page per scenario (timeline, process tree, alerts,
 * task files, golden comparison). Semantic HTML that needs no script: tables
 * with headers, <details> for what expands, colour never the only signal
 * (every coloured cell also says its level or "gap"/"FP"). report.js only adds
 * expand/collapse-all buttons and filters.
 *
 * Every string from a scenario, an event, an alert or a rule goes through
 * tl_html_esc. Paths under the project's home are shown relative to it, so
 * the bytes do not depend on where the checkout lives.
 */
#define _POSIX_C_SOURCE 200809L
#include "html_int.h"
#include "report_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E(s) tl_html_esc(out, (s))

/* ---- shared pieces ------------------------------------------------------- */

static void head(tl_buf *out, const char *title)
{
    tl_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    E(title);
    tl_buf_puts(out, "</title>\n<link rel=\"stylesheet\" href=\"report.css\">\n"
                     "<script src=\"report.js\" defer></script>\n</head>\n<body>\n");
}

static void foot(tl_buf *out)
{
    tl_buf_puts(out, "<footer><p>Written by <code>tasklab report</code> from the pipeline's own "
                     "runs: virtual clock, no wall-clock time.</p></footer>\n</body>\n</html>\n");
}

/* Append s with every "<home>/" removed (paths relative to the project). */
static void esc_rel(tl_buf *out, const char *home, const char *s)
{
    size_t hl = home ? strlen(home) : 0;
    if (!s)
        return;
    if (!hl) {
        E(s);
        return;
    }
    const char *p = s;
    for (;;) {
        const char *q = strstr(p, home);
        if (!q) {
            E(p);
            return;
        }
        tl_html_escn(out, p, (size_t)(q - p));
        p = q + hl;
        if (*p == '/')
            p++;
    }
}

static const char *level_class(int lv)
{
    if (lv >= 13)
        return "lv-crit";
    if (lv >= 10)
        return "lv-high";
    if (lv >= 6)
        return "lv-mid";
    if (lv >= 1)
        return "lv-low";
    return "lv-none";
}

static const char *status_word(int s)
{
    switch (s) {
    case TL_REPORT_PASS: return "PASS";
    case TL_REPORT_FAIL: return "FAIL";
    case TL_REPORT_SKIP: return "SKIP";
    case TL_REPORT_ERROR: return "ERROR";
    default: return "—";
    }
}

static const char *status_class(int s)
{
    switch (s) {
    case TL_REPORT_PASS: return "pass";
    case TL_REPORT_FAIL: return "fail";
    case TL_REPORT_ERROR: return "fail";
    default: return "skip";
    }
}

/* Offset from the scenario start: "+3600.052 s". */
static void offset(tl_buf *out, tl_time t, tl_time start)
{
    long long us = (long long)(t - start);
    const char *sign = us < 0 ? "-" : "+";
    if (us < 0)
        us = -us;
    tl_buf_printf(out, "%s%lld.%03lld s", sign, us / 1000000, (us / 1000) % 1000);
}

static void pretty_json(tl_buf *out, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    char *s = j ? cJSON_Print(j) : NULL;
    tl_html_pre(out, "code", s ? s : json);
    cJSON_free(s);
    cJSON_Delete(j);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---- index --------------------------------------------------------------- */

static void library_table(const tl_report_view *v, tl_buf *out)
{
    const tl_report_opts *o = v->o;
    tl_buf_puts(out, "<section id=\"library\" aria-labelledby=\"h-library\">\n"
                     "<h2 id=\"h-library\">Library</h2>\n"
                     "<p>Each scenario under its own Sysmon config, judged as <code>tasklab test"
                     "</code> does (expectations, then the golden alerts and events) with each "
                     "profile.</p>\n"
                     "<div class=\"filters\" data-for=\"library-table\" hidden>"
                     "<label>Filter <input type=\"search\" class=\"f-text\"></label> "
                     "<label>Kind <select class=\"f-kind\"><option value=\"\">all</option>"
                     "<option value=\"attack\">attack</option><option value=\"benign\">benign"
                     "</option></select></label> "
                     "<label>Result <select class=\"f-result\"><option value=\"\">all</option>"
                     "<option value=\"PASS\">PASS</option><option value=\"FAIL\">FAIL</option>"
                     "</select></label></div>\n"
                     "<table id=\"library-table\" class=\"filterable\">\n<thead>\n<tr>"
                     "<th scope=\"col\" rowspan=\"2\">Scenario</th>"
                     "<th scope=\"col\" rowspan=\"2\">Technique</th>"
                     "<th scope=\"col\" rowspan=\"2\">Actor</th>"
                     "<th scope=\"col\" rowspan=\"2\">Kind</th>");
    for (size_t p = 0; p < o->n_profiles; p++) {
        tl_buf_puts(out, "<th scope=\"colgroup\" colspan=\"3\">");
        E(o->profiles[p]);
        tl_buf_puts(out, "</th>");
    }
    tl_buf_puts(out, "</tr>\n<tr>");
    for (size_t p = 0; p < o->n_profiles; p++)
        tl_buf_puts(out, "<th scope=\"col\">Result</th><th scope=\"col\">Alerts ≥ 6</th>"
                         "<th scope=\"col\">AR runs</th>");
    tl_buf_puts(out, "</tr>\n</thead>\n<tbody>\n");
    for (size_t i = 0; i < v->n; i++) {
        const tl_report_scen *s = &v->scen[i];
        tl_buf_puts(out, "<tr data-kind=\"");
        E(s->kind);
        tl_buf_puts(out, "\" data-result=\"");
        for (size_t p = 0; p < o->n_profiles; p++)
            tl_buf_printf(out, "%s ", status_word(s->prof[p].status));
        tl_buf_puts(out, "\"><th scope=\"row\"><a href=\"");
        E(s->page);
        tl_buf_puts(out, "\">");
        E(s->name);
        tl_buf_puts(out, "</a></th><td>");
        E(s->technique);
        tl_buf_puts(out, "</td><td>");
        E(s->actor);
        tl_buf_puts(out, "</td><td>");
        E(s->kind);
        tl_buf_puts(out, "</td>");
        for (size_t p = 0; p < o->n_profiles; p++) {
            const tl_report_prof *r = &s->prof[p];
            tl_buf_printf(out, "<td class=\"%s\">%s</td>", status_class(r->status),
                          status_word(r->status));
            if (r->status == TL_REPORT_PASS || r->status == TL_REPORT_FAIL)
                tl_buf_printf(out, "<td class=\"num\">%zu</td><td class=\"num\">%zu</td>",
                              r->n_ge6, r->n_ar);
            else
                tl_buf_puts(out, "<td class=\"num\">—</td><td class=\"num\">—</td>");
        }
        tl_buf_puts(out, "</tr>\n");
    }
    tl_buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

static void coverage_matrix(const tl_report_view *v, tl_buf *out)
{
    const tl_report_opts *o = v->o;
    const tl_coverage *cov = v->cov;
    tl_buf_printf(out,
                  "<section id=\"coverage\" aria-labelledby=\"h-coverage\">\n"
                  "<h2 id=\"h-coverage\">Coverage matrix</h2>\n"
                  "<p>The numbers of <code>tasklab coverage</code> (the same study): each cell is "
                  "one run, coloured by the highest alert level it reached and showing the rules "
                  "that fired (<code>id Llevel×count</code>). For a profile after the first, "
                  "<em>own</em> is the highest level among its rules that %s lacks, which is what "
                  "counts for it. <strong>gap</strong>: an attack not detected at level ≥ %d; "
                  "<strong>FP</strong>: a benign scenario with an alert at level ≥ %d.</p>\n",
                  "the first profile", TL_COVERAGE_DETECT_LEVEL, TL_COVERAGE_DETECT_LEVEL);
    tl_buf_puts(out, "<p class=\"legend\"><span class=\"lv-none\">no alert / level 0</span> "
                     "<span class=\"lv-low\">level 1–5</span> <span class=\"lv-mid\">level 6–9"
                     "</span> <span class=\"lv-high\">level 10–12</span> <span class=\"lv-crit\">"
                     "level 13–15</span></p>\n");
    tl_buf_puts(out, "<div class=\"filters\" data-for=\"coverage-table\" hidden>"
                     "<label>Filter <input type=\"search\" class=\"f-text\"></label> "
                     "<label>Kind <select class=\"f-kind\"><option value=\"\">all</option>"
                     "<option value=\"attack\">attack</option><option value=\"benign\">benign"
                     "</option></select></label></div>\n");
    tl_buf_puts(out, "<div class=\"wide\"><table id=\"coverage-table\" class=\"filterable matrix\">"
                     "\n<thead>\n<tr><th scope=\"col\" rowspan=\"2\">Procedure</th>");
    for (size_t k = 0; k < o->n_configs; k++) {
        tl_buf_printf(out, "<th scope=\"colgroup\" colspan=\"%zu\">Sysmon: ", o->n_profiles);
        esc_rel(out, o->home, o->config_names[k]);
        tl_buf_puts(out, "</th>");
    }
    tl_buf_puts(out, "</tr>\n<tr>");
    for (size_t k = 0; k < o->n_configs; k++)
        for (size_t p = 0; p < o->n_profiles; p++) {
            tl_buf_puts(out, "<th scope=\"col\">");
            E(o->profiles[p]);
            tl_buf_puts(out, "</th>");
        }
    tl_buf_puts(out, "</tr>\n</thead>\n<tbody>\n");
    /* rows come scenario-major, then config, in input order; shown by name */
    for (size_t si = 0; si < v->n; si++) {
        size_t r = 0;
        while (r < cov->n_rows && cov->rows[r].scenario_index != v->scen[si].index)
            r += o->n_configs;
        if (r >= cov->n_rows)
            continue;
        const tl_coverage_row *row0 = &cov->rows[r];
        tl_buf_puts(out, "<tr data-kind=\"");
        E(row0->kind);
        tl_buf_puts(out, "\"><th scope=\"row\"><a href=\"");
        E(v->scen[si].page);
        tl_buf_puts(out, "\">");
        E(row0->scenario);
        tl_buf_puts(out, "</a> <span class=\"sub\">");
        E(row0->kind);
        if (row0->actor[0]) {
            tl_buf_puts(out, " · ");
            E(row0->actor);
        }
        tl_buf_puts(out, "</span></th>");
        int attack = !strcmp(row0->kind, "attack"), benign = !strcmp(row0->kind, "benign");
        for (size_t k = 0; k < o->n_configs && r + k < cov->n_rows; k++) {
            const tl_coverage_row *row = &cov->rows[r + k];
            for (size_t p = 0; p < o->n_profiles; p++) {
                const tl_coverage_cell *ce = &row->cells[p];
                if (!ce->ran) {
                    tl_buf_puts(out, "<td class=\"skip\">skipped</td>");
                    continue;
                }
                int lvl = p ? ce->own_max : ce->max_level;
                int gap = attack && lvl < TL_COVERAGE_DETECT_LEVEL;
                int fp = benign && lvl >= TL_COVERAGE_DETECT_LEVEL;
                tl_buf_printf(out, "<td class=\"%s%s%s\">", level_class(ce->max_level),
                              gap ? " gap" : "", fp ? " fp" : "");
                tl_buf_printf(out, "<span class=\"lvl\">max %d", ce->max_level);
                if (p)
                    tl_buf_printf(out, " · own %d", ce->own_max);
                tl_buf_puts(out, "</span>");
                if (gap)
                    tl_buf_puts(out, " <strong class=\"mark\">gap</strong>");
                if (fp)
                    tl_buf_puts(out, " <strong class=\"mark\">FP</strong>");
                tl_buf txt = TL_BUF_INIT;
                tl_coverage_fired_text(ce, 0, NULL, &txt);
                tl_buf_puts(out, "<br><small>");
                E(tl_buf_cstr(&txt));
                tl_buf_puts(out, "</small></td>");
                tl_buf_free(&txt);
            }
        }
        tl_buf_puts(out, "</tr>\n");
    }
    tl_buf_puts(out, "</tbody>\n</table></div>\n");
    tl_buf_printf(out, "<h3>Summary (level ≥ %d)</h3>\n<ul class=\"summary\">\n",
                  TL_COVERAGE_DETECT_LEVEL);
    for (size_t p = 0; p < o->n_profiles; p++) {
        const tl_coverage_sum *s = &cov->sum[p];
        tl_buf_puts(out, "<li>");
        tl_html_escf(out, p ? "%s, its rules not in %s: " : "%s, all its rules: ", o->profiles[p],
                     o->profiles[0]);
        tl_buf_printf(out, "%d of %d attack runs detected, %d of %d benign runs with a false "
                           "positive</li>\n",
                      s->attack_detected, s->attack_runs, s->benign_fp, s->benign_runs);
    }
    tl_buf_puts(out, "</ul>\n<details class=\"gaps\"><summary>Gaps (attack not detected at level "
                     "≥ 6) and false positives</summary>\n<ul>\n");
    if (!cov->gaps[0])
        tl_buf_puts(out, "<li>none</li>\n");
    for (const char *p = cov->gaps; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l > 2 && p[0] == '-' && p[1] == ' ') {
            tl_buf_puts(out, "<li>");
            tl_html_escn(out, p + 2, l - 2);
            tl_buf_puts(out, "</li>\n");
        }
        p = nl ? nl + 1 : p + l;
    }
    tl_buf_puts(out, "</ul>\n</details>\n</section>\n");
}

/* The mutation section: what `tasklab mutate --format json` writes (README,
 * "Mutation testing"; report.c has checked its shape): "score" in percent with
 * one decimal, "counts" {killed, survived, equivalent, invalid, total} and
 * "mutants" [{name, rule, mutation, file, line, status, tried_in, ...}]. The
 * survivors are the mutants whose status is "survived", in the file's order. */
static void mutation(const tl_report_view *v, tl_buf *out)
{
    const cJSON *m = v->mutate;
    if (!m)
        return;
    tl_buf_puts(out, "<section id=\"mutation\" aria-labelledby=\"h-mutation\">\n"
                     "<h2 id=\"h-mutation\">Mutation testing</h2>\n");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(m, "score");
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(m, "counts");
    const cJSON *killed = cJSON_GetObjectItemCaseSensitive(counts, "killed");
    const cJSON *survived = cJSON_GetObjectItemCaseSensitive(counts, "survived");
    const cJSON *equiv = cJSON_GetObjectItemCaseSensitive(counts, "equivalent");
    const cJSON *invalid = cJSON_GetObjectItemCaseSensitive(counts, "invalid");
    const cJSON *profile = cJSON_GetObjectItemCaseSensitive(m, "profile");
    tl_buf_puts(out, "<p class=\"score\">");
    if (cJSON_IsNumber(score))
        tl_buf_printf(out, "Mutation score: <strong>%.1f%%</strong>", score->valuedouble);
    else
        tl_buf_puts(out, "Mutation score: none (no mutant was killed or survived)");
    tl_buf_printf(out, " (%d killed, %d survived", killed->valueint, survived->valueint);
    if (cJSON_IsNumber(equiv) && equiv->valueint)
        tl_buf_printf(out, ", %d equivalent", equiv->valueint);
    if (cJSON_IsNumber(invalid) && invalid->valueint)
        tl_buf_printf(out, ", %d invalid", invalid->valueint);
    tl_buf_puts(out, ")");
    if (cJSON_IsString(profile)) {
        tl_buf_puts(out, ", profile <code>");
        E(profile->valuestring);
        tl_buf_puts(out, "</code>");
    }
    tl_buf_puts(out, "</p>\n");
    const cJSON *muts = cJSON_GetObjectItemCaseSensitive(m, "mutants");
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, muts)
    {
        const cJSON *stt = cJSON_GetObjectItemCaseSensitive(x, "status");
        n += cJSON_IsString(stt) && !strcmp(stt->valuestring, "survived");
    }
    tl_buf_printf(out, "<h3>Survivors (%d)</h3>\n", n);
    if (n <= 0) {
        tl_buf_puts(out, "<p>None: every mutant was noticed by a test.</p>\n</section>\n");
        return;
    }
    static const char *const cols[] = {"rule", "mutation", "file", "line", "tried_in"};
    static const char *const heads[] = {"Rule", "Mutation", "File", "Line",
                                        "Scenarios where the rule is tried"};
    tl_buf_puts(out, "<table class=\"survivors\">\n<thead><tr>");
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        tl_buf_puts(out, "<th scope=\"col\">");
        E(heads[k]);
        tl_buf_puts(out, "</th>");
    }
    tl_buf_puts(out, "</tr></thead>\n<tbody>\n");
    cJSON_ArrayForEach(x, muts)
    {
        const cJSON *stt = cJSON_GetObjectItemCaseSensitive(x, "status");
        if (!cJSON_IsString(stt) || strcmp(stt->valuestring, "survived"))
            continue;
        tl_buf_puts(out, "<tr>");
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
            const cJSON *val = cJSON_GetObjectItemCaseSensitive(x, cols[k]);
            tl_buf_puts(out, "<td>");
            if (cJSON_IsString(val)) {
                E(val->valuestring);
            } else if (cJSON_IsNumber(val)) {
                tl_buf_printf(out, "%d", val->valueint);
            } else if (cJSON_IsArray(val)) {
                const cJSON *e;
                int first = 1;
                cJSON_ArrayForEach(e, val)
                {
                    if (!cJSON_IsString(e))
                        continue;
                    tl_buf_puts(out, first ? "" : ", ");
                    E(e->valuestring);
                    first = 0;
                }
                if (first)
                    tl_buf_puts(out, "none");
            }
            tl_buf_puts(out, "</td>");
        }
        tl_buf_puts(out, "</tr>\n");
    }
    tl_buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

void tl_report_index(const tl_report_view *v, tl_buf *out)
{
    const tl_report_opts *o = v->o;
    head(out, "tasklab report");
    tl_buf_puts(out, "<header>\n<h1>tasklab report</h1>\n<p>");
    tl_buf_printf(out, "%zu scenario%s; profiles ", v->n, v->n == 1 ? "" : "s");
    for (size_t p = 0; p < o->n_profiles; p++) {
        tl_buf_puts(out, p ? ", <code>" : "<code>");
        E(o->profiles[p]);
        tl_buf_puts(out, "</code>");
    }
    tl_buf_puts(out, "; Sysmon configs ");
    for (size_t k = 0; k < o->n_configs; k++) {
        tl_buf_puts(out, k ? ", " : "");
        esc_rel(out, o->home, o->config_names[k]);
    }
    tl_buf_puts(out, ".</p>\n<nav aria-label=\"sections\"><ul class=\"inline\">"
                     "<li><a href=\"#library\">Library</a></li>"
                     "<li><a href=\"#coverage\">Coverage matrix</a></li>");
    if (v->mutate)
        tl_buf_puts(out, "<li><a href=\"#mutation\">Mutation testing</a></li>");
    tl_buf_puts(out, "</ul></nav>\n</header>\n<main>\n");
    library_table(v, out);
    coverage_matrix(v, out);
    mutation(v, out);
    tl_buf_puts(out, "</main>\n");
    foot(out);
}

/* ---- scenario page ------------------------------------------------------- */

static int cmp_item_time(const void *a, const void *b)
{
    const cJSON *const *x = a, *const *y = b;
    double tx = jnum(*x, "time"), ty = jnum(*y, "time");
    if (tx != ty)
        return tx < ty ? -1 : 1;
    double ix = jnum(*x, "_seq"), iy = jnum(*y, "_seq");
    return (ix > iy) - (ix < iy);
}

/* The order of the page: the driver's processing order, with the dropped
 * events (told of as their step ran) merged in by when they happened — before
 * the first item that happened later (a record by its event time). */
static size_t merge_order(const cJSON *items, cJSON **vec, size_t cap)
{
    size_t nd = 0, nk = 0, seq = 0;
    cJSON *it;
    cJSON **dropped = tl_calloc(cap ? cap : 1, sizeof *dropped);
    if (!dropped)
        return 0;
    cJSON_ArrayForEach(it, items)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(it, "_seq");
        cJSON_AddNumberToObject(it, "_seq", (double)seq++);
        const char *kind = jstr(it, "kind");
        if (kind && !strcmp(kind, "dropped") && nd < cap)
            dropped[nd++] = it;
    }
    qsort(dropped, nd, sizeof *dropped, cmp_item_time);
    size_t di = 0;
    cJSON_ArrayForEach(it, items)
    {
        const char *kind = jstr(it, "kind");
        if (kind && !strcmp(kind, "dropped"))
            continue;
        double key = cJSON_GetObjectItemCaseSensitive(it, "event_time") ? jnum(it, "event_time")
                                                                        : jnum(it, "time");
        while (di < nd && jnum(dropped[di], "time") < key && nk < cap)
            vec[nk++] = dropped[di++];
        if (nk < cap)
            vec[nk++] = it;
    }
    while (di < nd && nk < cap)
        vec[nk++] = dropped[di++];
    tl_free(dropped);
    return nk;
}

static const char *channel_short(const char *ch)
{
    if (!ch)
        return "?";
    if (strstr(ch, "Sysmon"))
        return "Sysmon";
    if (strstr(ch, "TaskScheduler"))
        return "TaskScheduler";
    return ch;
}

/* EventData of a record as a JSON object (name -> value), for events the
 * manager did not turn into an alert. */
static char *eventdata_json(const char *xml)
{
    cJSON *o = cJSON_CreateObject();
    const char *p = xml;
    while (o && (p = strstr(p, "<Data Name='"))) {
        p += 12;
        const char *q = strchr(p, '\'');
        if (!q || q - p > 80)
            break;
        char name[96];
        memcpy(name, p, (size_t)(q - p));
        name[q - p] = '\0';
        tl_buf val = TL_BUF_INIT;
        tl_html_data_field(p - 12, name, &val);
        cJSON_AddStringToObject(o, name, tl_buf_cstr(&val));
        tl_buf_free(&val);
        p = q;
    }
    char *s = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    return s;
}

static void manager_block(tl_buf *out, const cJSON *m, int forwarded)
{
    if (!forwarded) {
        tl_buf_puts(out, "<p class=\"mgr none\">not forwarded: the agent does not read this "
                         "channel</p>\n");
        return;
    }
    if (!m) {
        tl_buf_puts(out, "<p class=\"mgr none\">manager: no rule matched</p>\n");
        return;
    }
    int lv = (int)jnum(m, "level");
    int alert = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "alert"));
    tl_buf_printf(out, "<p class=\"mgr\">manager: rule <code class=\"rule\">");
    E(jstr(m, "rule_id"));
    tl_buf_printf(out, "</code> level %d", lv);
    if (alert)
        tl_buf_printf(out, " <strong class=\"alert %s\">ALERT</strong>", level_class(lv));
    else
        tl_buf_puts(out, " (no alert)");
    tl_buf_puts(out, "</p>\n");
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(m, "chain");
    if (cJSON_GetArraySize(chain) > 0) {
        tl_buf_puts(out, "<ol class=\"chain\" aria-label=\"rule chain\">");
        const cJSON *r;
        cJSON_ArrayForEach(r, chain)
        {
            /* the alert's rule: its rule.description as alerts.json has it; a
             * rule that only matched: filled from the same event, and said so
             * when the filling changed its text (Wazuh writes none for it) */
            int fired = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "fired"));
            tl_buf_puts(out, fired ? "<li class=\"fired\"><code>" : "<li><code>");
            E(jstr(r, "id"));
            tl_buf_puts(out, "</code> ");
            E(jstr(r, "description"));
            if (!fired && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "raw")))
                tl_buf_puts(out, " <small class=\"filled\" title=\"Wazuh writes a description only "
                                 "for the alert&#39;s rule; this one is filled from the same "
                                 "event as analysisd fills an alert&#39;s\">(matched; filled from "
                                 "this event)</small>");
            tl_buf_puts(out, "</li>");
        }
        tl_buf_puts(out, "</ol>\n");
    }
}

static void timeline(const tl_report_view *v, const tl_report_scen *s, const cJSON *tl,
                     tl_buf *out)
{
    const char *home = v->o->home;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(tl, "items");
    int n = cJSON_GetArraySize(items);
    cJSON **vec = tl_calloc(n > 0 ? (size_t)n : 1, sizeof *vec);
    if (!vec) {
        out->oom = 1;
        return;
    }
    int k = (int)merge_order(items, vec, n > 0 ? (size_t)n : 0);
    tl_buf_puts(out, "<div class=\"filters\" data-for=\"timeline-table\" hidden>"
                     "<label>Filter <input type=\"search\" class=\"f-text\"></label> "
                     "<label>Show <select class=\"f-kind\"><option value=\"\">everything</option>"
                     "<option value=\"step\">steps</option><option value=\"record\">logged events"
                     "</option><option value=\"dropped\">dropped events</option>"
                     "<option value=\"alert\">alerts</option><option value=\"ar\">active response"
                     "</option></select></label></div>\n");
    tl_buf_puts(out, "<table id=\"timeline-table\" class=\"filterable timeline\">\n<thead><tr>"
                     "<th scope=\"col\">Time</th><th scope=\"col\">What</th>"
                     "<th scope=\"col\">Details</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < k; i++) {
        const cJSON *x = vec[i];
        const char *kind = jstr(x, "kind");
        tl_time t = (tl_time)jnum(x, "time");
        if (!kind)
            continue;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "manager");
        int alert = m && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "alert"));
        const char *dk = alert ? "alert" : !strcmp(kind, "line") ? "ar" : kind;
        tl_buf_printf(out, "<tr class=\"%s\" data-kind=\"%s\"><td class=\"time\"><time>", kind, dk);
        offset(out, t, s->start);
        tl_buf_puts(out, "</time><br><small>");
        E(jstr(x, "iso"));
        tl_buf_puts(out, "</small></td>");
        if (!strcmp(kind, "step")) {
            tl_buf_printf(out, "<th scope=\"row\">Step %d</th><td>", (int)jnum(x, "index") + 1);
            E(jstr(x, "text"));
            tl_buf_puts(out, "</td></tr>\n");
        } else if (!strcmp(kind, "record")) {
            tl_buf_printf(out, "<th scope=\"row\">%s %d", channel_short(jstr(x, "channel")),
                          (int)jnum(x, "event_id"));
            tl_buf_printf(out, "<br><small>step %d</small></th><td>", (int)jnum(x, "step") + 1);
            tl_buf_puts(out, "<p class=\"what\">");
            E(jstr(x, "summary"));
            tl_buf_puts(out, "</p>\n");
            if (jstr(x, "rule")) {
                tl_buf_puts(out, "<p class=\"cfg\">Sysmon config: ");
                esc_rel(out, home, jstr(x, "rule"));
                tl_buf_puts(out, "</p>\n");
            }
            manager_block(out, m, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "forwarded")));
            tl_buf_puts(out, "<details><summary>raw XML and decoded JSON</summary>\n"
                             "<h4>Event record (XML)</h4>\n");
            tl_html_pre(out, "code", jstr(x, "xml"));
            if (alert && jstr(m, "alert_json")) {
                tl_buf_puts(out, "<h4>Alert (decoded by the manager, JSON)</h4>\n");
                pretty_json(out, jstr(m, "alert_json"));
            } else {
                char *ed = eventdata_json(jstr(x, "xml"));
                tl_buf_puts(out, "<h4>EventData (JSON)</h4>\n");
                tl_html_pre(out, "code", ed ? ed : "{}");
                cJSON_free(ed);
            }
            tl_buf_puts(out, "</details></td></tr>\n");
        } else if (!strcmp(kind, "dropped")) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(x, "fields");
            tl_buf_printf(out, "<th scope=\"row\">Sysmon %d <span class=\"tag\">dropped</span>",
                          (int)jnum(x, "event_id"));
            tl_buf_printf(out, "<br><small>step %d</small></th><td>", (int)jnum(x, "step") + 1);
            tl_buf_puts(out, "<p class=\"what\">");
            const char *what = jstr(f, "CommandLine");
            if (!what)
                what = jstr(f, "TargetObject");
            if (!what)
                what = jstr(f, "TargetFilename");
            if (!what)
                what = jstr(f, "ImageLoaded");
            if (!what)
                what = jstr(f, "Image");
            E(what ? what : "");
            tl_buf_puts(out, "</p>\n<p class=\"cfg\">Sysmon config: ");
            esc_rel(out, home, jstr(x, "rule"));
            tl_buf_puts(out, "</p>\n<details><summary>event data (never written: no XML)"
                             "</summary>\n");
            char *fj = f ? cJSON_Print(f) : NULL;
            tl_html_pre(out, "code", fj ? fj : "{}");
            cJSON_free(fj);
            tl_buf_puts(out, "</details></td></tr>\n");
        } else if (!strcmp(kind, "ar")) {
            tl_buf_puts(out, "<th scope=\"row\">Active response</th><td><p class=\"what\">execd "
                             "runs <code>");
            E(jstr(x, "executable"));
            tl_buf_puts(out, "</code></p>\n<details><summary>the AR message (stdin)</summary>\n");
            pretty_json(out, jstr(x, "message") ? jstr(x, "message") : "");
            tl_buf_puts(out, "</details></td></tr>\n");
        } else if (!strcmp(kind, "line")) {
            tl_buf_puts(out, "<th scope=\"row\">AR output</th><td><p class=\"what\">logcollector "
                             "reads <code>");
            E(jstr(x, "location"));
            tl_buf_puts(out, "</code></p>\n");
            manager_block(out, m, 1);
            tl_buf_puts(out, "<details><summary>the record and decoded JSON</summary>\n"
                             "<h4>Record</h4>\n");
            pretty_json(out, jstr(x, "line") ? jstr(x, "line") : "");
            if (alert && jstr(m, "alert_json")) {
                tl_buf_puts(out, "<h4>Alert (decoded by the manager, JSON)</h4>\n");
                pretty_json(out, jstr(m, "alert_json"));
            }
            tl_buf_puts(out, "</details></td></tr>\n");
        } else {
            tl_buf_puts(out, "<th scope=\"row\">?</th><td></td></tr>\n");
        }
    }
    double omitted = jnum(tl, "omitted");
    if (omitted > 0)
        tl_buf_printf(out, "<tr class=\"omitted\"><td></td><th scope=\"row\">…</th><td>%.0f more "
                           "items not shown (the first %d are); <code>tasklab run --out DIR</code> "
                           "writes every event</td></tr>\n",
                      omitted, TL_TIMELINE_MAX_ITEMS);
    tl_buf_puts(out, "</tbody>\n</table>\n");
    tl_free(vec);
}

/* ---- process tree -------------------------------------------------------- */

typedef struct proc {
    char *guid, *parent, *image, *user, *integrity, *parent_image, *cmd;
    int dropped, shown;
} proc;

static char *field_of(const cJSON *x, const char *name)
{
    const char *kind = jstr(x, "kind");
    tl_buf b = TL_BUF_INIT;
    if (kind && !strcmp(kind, "dropped")) {
        const char *v = jstr(cJSON_GetObjectItemCaseSensitive(x, "fields"), name);
        tl_buf_puts(&b, v ? v : "");
    } else {
        tl_html_data_field(jstr(x, "xml"), name, &b);
    }
    return tl_buf_take(&b);
}

static void tree_node(tl_buf *out, proc *ps, size_t n, size_t i, int depth)
{
    proc *p = &ps[i];
    p->shown = 1;
    tl_buf_puts(out, "<li><code class=\"img\">");
    E(p->image);
    tl_buf_puts(out, "</code> <span class=\"sub\">");
    E(p->user);
    tl_buf_puts(out, " · ");
    E(p->integrity);
    tl_buf_puts(out, " integrity");
    if (p->dropped)
        tl_buf_puts(out, " · <span class=\"tag\">not logged</span>");
    tl_buf_puts(out, "</span><br><small>");
    E(p->cmd);
    tl_buf_puts(out, "</small>");
    int any = 0;
    for (size_t j = 0; j < n && depth < 32; j++)
        if (!ps[j].shown && ps[j].parent[0] && !strcmp(ps[j].parent, p->guid)) {
            if (!any)
                tl_buf_puts(out, "\n<ul>");
            any = 1;
            tree_node(out, ps, n, j, depth + 1);
        }
    if (any)
        tl_buf_puts(out, "</ul>\n");
    tl_buf_puts(out, "</li>\n");
}

static void process_tree(tl_buf *out, const cJSON *tl)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(tl, "items");
    int n = cJSON_GetArraySize(items);
    proc *ps = tl_calloc(n > 0 ? (size_t)n : 1, sizeof *ps);
    size_t np = 0;
    if (!ps) {
        out->oom = 1;
        return;
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, items)
    {
        const char *kind = jstr(x, "kind");
        if (!kind || (int)jnum(x, "event_id") != 1)
            continue;
        if (!strcmp(kind, "record") && strcmp(channel_short(jstr(x, "channel")), "Sysmon"))
            continue;
        if (strcmp(kind, "record") && strcmp(kind, "dropped"))
            continue;
        proc *p = &ps[np++];
        p->guid = field_of(x, "ProcessGuid");
        p->parent = field_of(x, "ParentProcessGuid");
        p->image = field_of(x, "Image");
        p->user = field_of(x, "User");
        p->integrity = field_of(x, "IntegrityLevel");
        p->parent_image = field_of(x, "ParentImage");
        p->cmd = field_of(x, "CommandLine");
        p->dropped = !strcmp(kind, "dropped");
        if (!p->guid || !p->parent || !p->image || !p->user || !p->integrity || !p->parent_image ||
            !p->cmd)
            out->oom = 1;
    }
    if (!out->oom) {
        if (!np) {
            tl_buf_puts(out, "<p>No process was created (or the timeline does not reach it).</p>\n");
        } else {
            tl_buf_puts(out, "<ul class=\"tree\">\n");
            for (size_t i = 0; i < np; i++) {
                int has_parent = 0;
                for (size_t j = 0; j < np; j++)
                    if (j != i && ps[i].parent[0] && !strcmp(ps[j].guid, ps[i].parent))
                        has_parent = 1;
                if (has_parent || ps[i].shown)
                    continue;
                /* a root: its parent existed before the scenario (or was not seen) */
                tl_buf_puts(out, "<li><code class=\"img\">");
                E(ps[i].parent_image[0] ? ps[i].parent_image : "(unknown parent)");
                tl_buf_puts(out, "</code> <span class=\"sub\">already running</span>\n<ul>");
                tree_node(out, ps, np, i, 0);
                tl_buf_puts(out, "</ul></li>\n");
            }
            tl_buf_puts(out, "</ul>\n");
        }
    }
    for (size_t i = 0; i < np; i++) {
        tl_free(ps[i].guid);
        tl_free(ps[i].parent);
        tl_free(ps[i].image);
        tl_free(ps[i].user);
        tl_free(ps[i].integrity);
        tl_free(ps[i].parent_image);
        tl_free(ps[i].cmd);
    }
    tl_free(ps);
}

/* ---- tasks, alerts, golden ------------------------------------------------ */

/* Append the unescaped text of each <tag>…</tag> inside `in` (XML entities
 * decoded for &lt; &gt; &amp; &quot; &apos;). */
static void xml_texts(tl_buf *out, const char *in, const char *tag, const char *label)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    for (const char *p = in; (p = strstr(p, open));) {
        p += strlen(open);
        const char *e = strstr(p, close);
        if (!e)
            break;
        tl_buf raw = TL_BUF_INIT, dec = TL_BUF_INIT;
        tl_buf_puts(&raw, "<Data Name='x'>");
        tl_buf_append(&raw, p, (size_t)(e - p));
        tl_buf_puts(&raw, "</Data>");
        tl_html_data_field(tl_buf_cstr(&raw), "x", &dec);
        tl_buf_puts(out, "<li>");
        tl_buf_puts(out, label);
        tl_buf_puts(out, " <code>");
        tl_html_esc(out, tl_buf_cstr(&dec));
        tl_buf_puts(out, "</code></li>");
        tl_buf_free(&raw);
        tl_buf_free(&dec);
        p = e;
    }
}

static void tasks(tl_buf *out, const cJSON *tl)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(tl, "tasks");
    if (cJSON_GetArraySize(ts) <= 0) {
        tl_buf_puts(out, "<p>No task file written by the scenario remains on the endpoint.</p>\n");
        return;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, ts)
    {
        const char *xml = jstr(t, "xml");
        tl_buf_puts(out, "<article class=\"task\"><h3><code>");
        E(jstr(t, "path"));
        tl_buf_puts(out, "</code></h3>\n<ul class=\"actions\">");
        xml_texts(out, xml ? xml : "", "Command", "Exec");
        xml_texts(out, xml ? xml : "", "Arguments", "arguments");
        xml_texts(out, xml ? xml : "", "ClassId", "ComHandler");
        tl_buf_puts(out, "</ul>\n<details><summary>task XML</summary>\n");
        tl_html_pre(out, "code", xml ? xml : "");
        tl_buf_puts(out, "</details></article>\n");
    }
}

/* One alert line as "rule L level: description". */
static void alert_line(tl_buf *out, const char *line, size_t len)
{
    cJSON *a = cJSON_ParseWithLength(line, len);
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
    tl_buf_puts(out, "<code class=\"rule\">");
    E(jstr(rule, "id") ? jstr(rule, "id") : "?");
    tl_buf_printf(out, "</code> L%d ", (int)jnum(rule, "level"));
    E(jstr(rule, "description"));
    cJSON_Delete(a);
}

static void alerts_table(tl_buf *out, const char *alerts, tl_time start)
{
    if (!alerts || !*alerts) {
        tl_buf_puts(out, "<p>No alert.</p>\n");
        return;
    }
    tl_buf_puts(out, "<table class=\"alerts\">\n<thead><tr><th scope=\"col\">Time</th>"
                     "<th scope=\"col\">Rule</th><th scope=\"col\">Level</th>"
                     "<th scope=\"col\">Description</th><th scope=\"col\">Alert</th></tr></thead>"
                     "\n<tbody>\n");
    for (const char *p = alerts; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        int lv = (int)jnum(rule, "level");
        tl_buf_printf(out, "<tr><td class=\"time\">");
        E(jstr(a, "timestamp"));
        tl_buf_puts(out, "</td><td><code class=\"rule\">");
        E(jstr(rule, "id"));
        tl_buf_printf(out, "</code></td><td class=\"%s num\">%d</td><td>", level_class(lv), lv);
        E(jstr(rule, "description"));
        tl_buf_puts(out, "</td><td><details><summary>JSON</summary>\n");
        char *s = a ? cJSON_Print(a) : NULL;
        tl_html_pre(out, "code", s ? s : "");
        cJSON_free(s);
        tl_buf_puts(out, "</details></td></tr>\n");
        cJSON_Delete(a);
        p = nl ? nl + 1 : p + l;
    }
    (void)start;
    tl_buf_puts(out, "</tbody>\n</table>\n");
}

static void side_by_side(tl_buf *out, const char *expected, const char *actual)
{
    tl_buf_puts(out, "<table class=\"sxs\">\n<thead><tr><th scope=\"col\">#</th>"
                     "<th scope=\"col\">Expected (golden)</th><th scope=\"col\">Actual</th>"
                     "</tr></thead>\n<tbody>\n");
    const char *e = expected ? expected : "", *a = actual ? actual : "";
    for (int i = 1; *e || *a; i++) {
        const char *ne = strchr(e, '\n'), *na = strchr(a, '\n');
        size_t le = ne ? (size_t)(ne - e) : strlen(e), la = na ? (size_t)(na - a) : strlen(a);
        int same = le == la && !memcmp(e, a, le);
        tl_buf_printf(out, "<tr class=\"%s\"><td class=\"num\">%d</td><td>", same ? "same" : "diff",
                      i);
        if (le)
            alert_line(out, e, le);
        else
            tl_buf_puts(out, "—");
        tl_buf_puts(out, "</td><td>");
        if (la)
            alert_line(out, a, la);
        else
            tl_buf_puts(out, "—");
        tl_buf_printf(out, "%s</td></tr>\n", same ? "" : " <strong class=\"mark\">differs</strong>");
        e = ne ? ne + 1 : e + le;
        a = na ? na + 1 : a + la;
    }
    tl_buf_puts(out, "</tbody>\n</table>\n");
}

void tl_report_page(const tl_report_view *v, const tl_report_scen *s, tl_buf *out)
{
    const tl_report_opts *o = v->o;
    head(out, s->name);
    tl_buf_puts(out, "<header>\n<nav aria-label=\"report\"><a href=\"index.html\">← tasklab "
                     "report</a></nav>\n<h1>");
    E(s->name);
    tl_buf_puts(out, "</h1>\n<p class=\"title\">");
    E(s->title);
    tl_buf_puts(out, "</p>\n</header>\n<main>\n<section aria-labelledby=\"h-about\">\n"
                     "<h2 id=\"h-about\">Scenario</h2>\n<p>");
    E(s->description);
    tl_buf_puts(out, "</p>\n<dl class=\"facts\"><dt>Technique</dt><dd>");
    E(s->technique);
    tl_buf_puts(out, "</dd><dt>Actor</dt><dd>");
    E(s->actor);
    tl_buf_puts(out, "</dd><dt>Kind</dt><dd>");
    E(s->kind);
    char iso[32];
    tl_time_fmt_systemtime(s->start, iso);
    tl_buf_puts(out, "</dd><dt>Start (virtual clock)</dt><dd><time>");
    E(iso);
    tl_buf_printf(out, "</time></dd><dt>Steps</dt><dd>%zu</dd></dl>\n", s->n_steps);
    tl_buf_puts(out, "<table class=\"results\">\n<thead><tr><th scope=\"col\">Profile</th>"
                     "<th scope=\"col\">Result</th><th scope=\"col\">Events</th>"
                     "<th scope=\"col\">Alerts</th><th scope=\"col\">Alerts ≥ 6</th>"
                     "<th scope=\"col\">AR runs</th></tr></thead>\n<tbody>\n");
    for (size_t p = 0; p < o->n_profiles; p++) {
        const tl_report_prof *r = &s->prof[p];
        tl_buf_puts(out, "<tr><th scope=\"row\">");
        E(o->profiles[p]);
        tl_buf_printf(out, "</th><td class=\"%s\">%s</td>", status_class(r->status),
                      status_word(r->status));
        if (r->status == TL_REPORT_PASS || r->status == TL_REPORT_FAIL)
            tl_buf_printf(out, "<td class=\"num\">%zu</td><td class=\"num\">%zu</td>"
                               "<td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n",
                          r->n_records, r->n_alerts, r->n_ge6, r->n_ar);
        else {
            tl_buf_puts(out, "<td colspan=\"4\">");
            esc_rel(out, o->home, r->why ? r->why : "not run");
            tl_buf_puts(out, "</td></tr>\n");
        }
    }
    tl_buf_puts(out, "</tbody>\n</table>\n</section>\n");

    /* the timeline of the first profile that ran */
    size_t tp = o->n_profiles;
    for (size_t p = 0; p < o->n_profiles && tp == o->n_profiles; p++)
        if (s->prof[p].timeline)
            tp = p;
    cJSON *tl = tp < o->n_profiles ? cJSON_Parse(s->prof[tp].timeline) : NULL;
    tl_buf_puts(out, "<section aria-labelledby=\"h-timeline\">\n<h2 id=\"h-timeline\">Timeline"
                     "</h2>\n");
    if (tl) {
        tl_buf_puts(out, "<p>On the virtual clock, with profile <code>");
        E(o->profiles[tp]);
        tl_buf_puts(out, "</code>: each step, every event Sysmon and the other channels logged "
                         "(with the config rule that logged it), the events the config dropped "
                         "(greyed, with the rule that dropped them), the manager's verdict and "
                         "rule chain, the active response and the alerts its output produced."
                         "</p>\n");
        timeline(v, s, tl, out);
    } else {
        tl_buf_puts(out, "<p>No run: every profile was skipped or failed to run.</p>\n");
    }
    tl_buf_puts(out, "</section>\n<section aria-labelledby=\"h-tree\">\n<h2 id=\"h-tree\">"
                     "Process tree</h2>\n");
    if (tl)
        process_tree(out, tl);
    tl_buf_puts(out, "</section>\n<section aria-labelledby=\"h-tasks\">\n<h2 id=\"h-tasks\">"
                     "Task files at the end of the run</h2>\n");
    if (tl)
        tasks(out, tl);
    tl_buf_puts(out, "</section>\n<section aria-labelledby=\"h-alerts\">\n<h2 id=\"h-alerts\">"
                     "Alerts</h2>\n");
    for (size_t p = 0; p < o->n_profiles; p++) {
        const tl_report_prof *r = &s->prof[p];
        if (r->status != TL_REPORT_PASS && r->status != TL_REPORT_FAIL)
            continue;
        tl_buf_puts(out, "<h3>Profile <code>");
        E(o->profiles[p]);
        tl_buf_puts(out, "</code></h3>\n");
        alerts_table(out, r->alerts, s->start);
    }
    tl_buf_puts(out, "</section>\n");
    for (size_t p = 0; p < o->n_profiles; p++) {
        const tl_report_prof *r = &s->prof[p];
        if (r->status != TL_REPORT_FAIL)
            continue;
        tl_buf_puts(out, "<section class=\"golden\" aria-labelledby=\"h-golden-");
        E(o->profiles[p]);
        tl_buf_puts(out, "\">\n<h2 id=\"h-golden-");
        E(o->profiles[p]);
        tl_buf_puts(out, "\">Golden comparison failed: profile <code>");
        E(o->profiles[p]);
        tl_buf_puts(out, "</code></h2>\n");
        if (r->golden_alerts_differ) {
            if (r->golden_missing)
                tl_buf_puts(out, "<p>No golden alerts file for this profile.</p>\n");
            side_by_side(out, r->golden, r->alerts);
        }
        tl_buf_puts(out, "<details open><summary>what <code>tasklab test</code> reports"
                         "</summary>\n");
        tl_buf_puts(out, "<pre class=\"code\">");
        esc_rel(out, o->home, r->why ? r->why : "");
        tl_buf_puts(out, "</pre>\n</details>\n</section>\n");
    }
    tl_buf_puts(out, "</main>\n");
    foot(out);
    cJSON_Delete(tl);
}
