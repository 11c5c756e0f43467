/* SPDX-License-Identifier: MIT */
/*
 * tasklab explain: one scenario, step by step, on the virtual clock (the
 * driver writes the trace, pipeline/driver/src/run.c and trace.c; this is the
 * front).
 *
 *   tasklab explain [--profile P | --ruleset DIR ...] [--sysmon-config FILE]
 *                   [--why-not RULE] [-v] SCENARIO
 *
 * Every item line starts with its time (HH:MM:SS.mmm, UTC; a "-- date --"
 * line when the day changes): each step and what its command printed, each
 * record Sysmon and the other channels logged (with the config rule that
 * logged it) and each Sysmon event the config DROPPED (with the rule that
 * dropped it: config file, line, RuleGroup), the manager's rule chain with
 * every description filled as the alert fills it, each AR run and each line
 * the logcollector read. With --why-not RULE, each event the manager saw also
 * says why RULE did not match it (whynot.c). Long AR records (its stdin, the
 * scheduled-tasks.log line) fold to one line unless -v.
 *
 * Exit status: 0; 1 when an AR run failed; 2 bad input (the scenario, the
 * rules, an unknown --why-not rule); 77 when the profile needs ../shared and
 * it is absent.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { O_WHY_NOT = 1, O_VERBOSE };

static const tl_cli_opt explain_opts[] = {
    TL_CLI_OPTS_RULESET,
    TL_CLI_OPTS_AR,
    TL_CLI_OPT_SYSMON_CONFIG,
    {"--why-not", "RULE", O_WHY_NOT,
     "for each event: why rule RULE did not match it (the condition that failed and the value "
     "seen, the rule above it that failed, the event's decoder)", 0},
    {"-v", NULL, O_VERBOSE, "long AR records, values and patterns whole (folded to one line "
                            "otherwise); every failing rule above --why-not's rule", 0},
    {"--verbose", NULL, O_VERBOSE, "same as -v", 0},
    TL_CLI_OPT_END};

const tl_cli_cmd tl_cli_cmd_explain_def = {
    "explain", "SCENARIO",
    "step by step: each step, the records it logged and the events the Sysmon config dropped, the "
    "rule chain of each alert, the AR runs",
    explain_opts, tl_cli_explain,
    "Every line starts with its time on the virtual clock (UTC). A dropped Sysmon event is marked\n"
    "[dropped] and names the config rule that dropped it (file, line, RuleGroup).\n"
    "Example: tasklab explain --why-not 115006 scenarios/seed-sysmon-modular.json\n"};

/* A rule id as --why-not takes it: 1..999999, digits only. */
static int parse_rule_id(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v <= 0 || v > 999999 || s[0] == '+' || s[0] == '-' || s[0] == ' ')
        return 0;
    return (int)v;
}

int tl_cli_explain(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *scen = NULL, *why_not = NULL;
    int rc = 0, verbose = 0;
    tl_ruleset *rs = NULL;
    tl_scenario *sc = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_parse ps;
    tl_cli_parse_init(&ps, &tl_cli_cmd_explain_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&ps)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND) {
            if (scen) {
                fprintf(stderr, "tasklab explain: one scenario at a time\n");
                rc = 2;
                goto done;
            }
            scen = ps.val;
        } else if (o == O_WHY_NOT) {
            why_not = ps.val;
        } else if (o == O_VERBOSE) {
            verbose = 1;
        } else if (tl_cli_common_set(&c, o, ps.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    int why_id = 0;
    if (why_not && !(why_id = parse_rule_id(why_not))) {
        fprintf(stderr, "tasklab explain: --why-not %s: not a rule id (a number, 1 to 999999)\n",
                why_not);
        rc = 2;
        goto done;
    }
    if (!scen) {
        fprintf(stderr, "tasklab explain: no scenario given\n");
        rc = 2;
        goto done;
    }
    tl_status st = tl_scenario_load(scen, &sc, &d);
    if (st == TL_OK)
        st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st == TL_OK && why_id && !tl_ruleset_has_rule(rs, why_id)) {
        fprintf(stderr, "tasklab explain: --why-not %d: no rule %d in the ruleset (profile %s)\n",
                why_id, why_id, c.profile ? c.profile : "default");
        rc = 2;
        goto done;
    }
    if (st == TL_OK) {
        tl_run_opts ro;
        tl_cli_fill_run_opts(&c, argv[0], &ro);
        ro.trace = 1;
        ro.trace_why_not = why_id;
        ro.trace_verbose = verbose;
        ro.color = tl_cli_color(1);
        st = tl_pipeline_run(sc, rs, &ro, &res, &d);
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    printf("scenario %s: %s\n\n%s\nfinal alerts:\n", tl_scenario_name(sc), tl_scenario_title(sc),
           res.trace ? res.trace : "");
    for (const char *p = res.alerts_json; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(rule, "level");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(rule, "description");
        if (cJSON_IsString(id))
            printf("  rule %s level %d: %s\n", id->valuestring, cJSON_IsNumber(lv) ? lv->valueint : 0,
                   cJSON_IsString(ds) ? ds->valuestring : "");
        cJSON_Delete(a);
        p = nl ? nl + 1 : p + l;
    }
    printf("\n%s (full alerts: tasklab run --out DIR)\n", res.summary);
    tl_cli_print_notes(res.notes);
    if (tl_cli_ar_failed(tl_scenario_path(sc), &res))
        rc = 1;
done:
    tl_run_result_clear(&res);
    tl_scenario_free(sc);
    tl_ruleset_free(rs);
    tl_cli_common_free(&c);
    return rc;
}
