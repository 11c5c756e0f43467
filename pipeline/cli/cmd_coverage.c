/* SPDX-License-Identifier: MIT */
/*
 * tasklab coverage: which procedures each ruleset detects, under which Sysmon
 * config. Every scenario runs through the whole pipeline once per Sysmon config
 * (the scenario's own, sysmon-modular, SwiftOnSecurity) and per profile (the
 * blog's rules = `default`, tasklab's rule pack = `tasklab`, or the profiles
 * given with --profile). The output is a Markdown table (or JSON with --json):
 * one row per scenario and config, one column per profile listing the rules
 * that fired (`id Llevel×count`) and the highest level; then the gaps: attack
 * scenarios that no rule detects at level >= 6, per profile and config.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/sysmon.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROFILES 3
#define MAX_USER_CONFIGS 4
#define DETECT_LEVEL 6

#define MAX_FIRED 64

typedef struct cell {
    int id[MAX_FIRED], lv[MAX_FIRED], cnt[MAX_FIRED];
    int n;
    int max_level;
    int own_max; /* highest level among rules the baseline profile lacks */
    int ran;     /* 0 = skipped (config or ruleset unavailable) */
} cell;

/* Summarise alerts.json into (rule id, level) entries in order of first
 * appearance. `base` (may be NULL) is the baseline ruleset: a rule it also
 * has does not count towards own_max. */
static void summarise(const char *alerts, const tl_ruleset *base, cell *c)
{
    c->n = 0;
    c->max_level = c->own_max = 0;
    for (const char *p = alerts; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        p = nl ? nl + 1 : p + l;
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(rule, "level");
        if (cJSON_IsString(id)) {
            int rid = atoi(id->valuestring);
            int level = cJSON_IsNumber(lev) ? lev->valueint : 0;
            int k;
            for (k = 0; k < c->n; k++)
                if (c->id[k] == rid && c->lv[k] == level)
                    break;
            if (k == c->n && c->n < MAX_FIRED) {
                c->id[k] = rid;
                c->lv[k] = level;
                c->cnt[k] = 0;
                c->n++;
            }
            if (k < c->n)
                c->cnt[k]++;
            if (level > c->max_level)
                c->max_level = level;
            if (level > c->own_max && !(base && tl_ruleset_has_rule(base, rid)))
                c->own_max = level;
        }
        cJSON_Delete(a);
    }
}

/* "115006 L6×1, 115009 L10×1" of the entries at level >= min, or "—". */
static void fired_text(const cell *c, int min, const tl_ruleset *skip, tl_buf *b)
{
    int any = 0;
    for (int k = 0; k < c->n; k++) {
        if (c->lv[k] < min || (skip && tl_ruleset_has_rule(skip, c->id[k])))
            continue;
        tl_buf_printf(b, "%s%d L%d×%d", any ? ", " : "", c->id[k], c->lv[k], c->cnt[k]);
        any = 1;
    }
    if (!any)
        tl_buf_puts(b, "—");
}

enum { O_CV_PROFILE = 1, O_CV_SYSMON, O_CV_JSON, O_CV_OWN, O_CV_REQUIRE };
static const tl_cli_opt coverage_opts[] = {
    {"--profile", "P", O_CV_PROFILE, "a profile column (default: default and tasklab; at most 3)",
     TL_OPT_MULTI},
    {"--sysmon-config", "FILE", O_CV_SYSMON,
     "a Sysmon config row instead of sysmon-modular and SwiftOnSecurity (at most 4)", TL_OPT_MULTI},
    {"--own-config", NULL, O_CV_OWN, "only each scenario's own Sysmon config", 0},
    {"--json", NULL, O_CV_JSON, "JSON instead of a Markdown table", 0},
    {"--require", "P", O_CV_REQUIRE,
     "exit 1 when profile P misses an attack or fires on a benign run (P must be a column)", 0},
    TL_CLI_OPTS_USER_RULES, TL_CLI_OPTS_AR, TL_CLI_OPT_SHARD, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_coverage_def = {
    "coverage", "[SCENARIO|DIR...]",
    "procedures x rules x Sysmon configs: which rules fire on each scenario, and the gaps",
    coverage_opts, tl_cli_cmd_coverage, NULL};

int tl_cli_cmd_coverage(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, nargs = 0, json = 0, own_only = 0;
    const char *profiles[MAX_PROFILES];
    const char *require = NULL;
    const char *user_configs[MAX_USER_CONFIGS];
    int nuser_conf = 0;
    int nprof = 0;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *default_scen = NULL;
    tl_cli_list files = {0};
    tl_ruleset *rs[MAX_PROFILES] = {NULL};
    cJSON *out = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse ps;
    tl_cli_parse_init(&ps, &tl_cli_cmd_coverage_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&ps)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND)
            args[nargs++] = (char *)ps.val;
        else if (o == O_CV_JSON)
            json = 1;
        else if (o == O_CV_OWN)
            own_only = 1;
        else if (o == O_CV_REQUIRE)
            require = ps.val;
        else if (o == O_CV_PROFILE || o == O_CV_SYSMON) {
            int *n = o == O_CV_PROFILE ? &nprof : &nuser_conf;
            int max = o == O_CV_PROFILE ? MAX_PROFILES : MAX_USER_CONFIGS;
            if (*n == max) {
                fprintf(stderr, "tasklab coverage: %s given more than %d times\n",
                        o == O_CV_PROFILE ? "--profile" : "--sysmon-config", max);
                rc = 2;
                goto done;
            }
            if (o == O_CV_PROFILE && tl_cli_common_set(&c, TL_OC_PROFILE, ps.val) < 0) {
                rc = 2;
                goto done;
            }
            (o == O_CV_PROFILE ? profiles : user_configs)[(*n)++] = ps.val;
        } else if (tl_cli_common_set(&c, o, ps.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!nprof) {
        profiles[nprof++] = "default";
        profiles[nprof++] = "tasklab";
    }
    if (require) {
        /* a gate on a profile this run does not compute could never fail */
        int found = 0;
        for (int k = 0; k < nprof; k++)
            found |= !strcmp(require, profiles[k]);
        if (!found) {
            if (tl_cli_common_set(&c, TL_OC_PROFILE, require) == 0)
                fprintf(stderr,
                        "tasklab coverage: --require %s: profile %s is not computed in this run "
                        "(add --profile %s)\n",
                        require, require, require);
            rc = 2;
            goto done;
        }
    }
    if (!nargs) {
        default_scen = tl_path_join(tl_cli_home(), "scenarios");
        args[nargs++] = default_scen;
    }
    if (tl_cli_expand_scenarios(args, nargs, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    if (tl_cli_shard_filter(&files, c.shard_i, c.shard_n) != TL_OK) {
        rc = 2;
        goto done;
    }
    for (int p = 0; p < nprof; p++) {
        c.profile = profiles[p];
        tl_status st = tl_cli_load_ruleset(&c, &rs[p], &d);
        if (st != TL_OK && st != TL_E_NOTFOUND) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
    }
    char *modular = tl_path_join(c.shared_dir, "reference/sysmon/sysmon-modular_sysmonconfig.xml");
    char *swift =
        tl_path_join(c.shared_dir, "reference/sysmon/swiftonsecurity_sysmonconfig-export.xml");
    /* the scenario's own config, then sysmon-modular and SwiftOnSecurity, or the
     * configs given with --sysmon-config (checked now: a bad file is an error,
     * not a column of skipped runs) */
    const char *configs[1 + MAX_USER_CONFIGS] = {NULL, modular, swift};
    const char *config_names[1 + MAX_USER_CONFIGS] = {"own", "sysmon-modular", "swiftonsecurity"};
    int nconf = own_only ? 1 : 3;
    if (nuser_conf) {
        for (int k = 0; k < nuser_conf; k++) {
            tl_sysmon_config *sc = NULL;
            if (tl_sysmon_config_load(user_configs[k], &sc, &d) != TL_OK) {
                tl_cli_error(&d);
                rc = 2;
                tl_free(modular);
                tl_free(swift);
                goto done;
            }
            tl_sysmon_config_free(sc);
            const char *bn = strrchr(user_configs[k], '/');
            configs[1 + k] = user_configs[k];
            config_names[1 + k] = bn ? bn + 1 : user_configs[k];
        }
        nconf = own_only ? 1 : 1 + nuser_conf;
    }

    out = cJSON_CreateArray();
    if (!json) {
        printf("| scenario | kind | technique | actor | Sysmon config |");
        for (int p = 0; p < nprof; p++)
            printf(p ? " %s: rules fired | max | max of rules not in %s |"
                     : " %s: rules fired | max |",
                   profiles[p], profiles[0]);
        printf("\n|---|---|---|---|---|");
        for (int p = 0; p < nprof; p++)
            printf(p ? "---|---|---|" : "---|---|");
        printf("\n");
    }
    tl_buf gaps = TL_BUF_INIT;
    /* per profile: attack runs, attack runs detected (by the profile's own
     * rules for p > 0), benign runs, benign runs with a false positive */
    int n_att[MAX_PROFILES] = {0}, n_det[MAX_PROFILES] = {0};
    int n_ben[MAX_PROFILES] = {0}, n_fp[MAX_PROFILES] = {0};
    tl_cli_progress prog;
    tl_cli_progress_start(&prog, "tasklab coverage");
    for (size_t i = 0; i < files.n; i++) {
        tl_scenario *sc = NULL;
        tl_cli_progress_step(&prog, i, files.n);
        if (tl_scenario_load(files.v[i], &sc, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            continue;
        }
        for (int k = 0; k < nconf; k++) {
            cell cells[MAX_PROFILES];
            memset(cells, 0, sizeof cells);
            for (int p = 0; p < nprof; p++) {
                if (!rs[p])
                    continue;
                tl_run_opts ro;
                tl_run_result res;
                memset(&res, 0, sizeof res);
                c.profile = profiles[p];
                tl_cli_fill_run_opts(&c, argv[0], &ro);
                ro.sysmon_config = configs[k];
                if (tl_pipeline_run(sc, rs[p], &ro, &res, &d) == TL_OK) {
                    summarise(res.alerts_json, p ? rs[0] : NULL, &cells[p]);
                    cells[p].ran = 1;
                }
                tl_run_result_clear(&res);
            }
            const char *kind = tl_scenario_kind(sc) ? tl_scenario_kind(sc) : "";
            const char *actor = tl_scenario_actor(sc) ? tl_scenario_actor(sc) : "";
            int attack = !strcmp(kind, "attack"), benign = !strcmp(kind, "benign");
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "scenario", tl_scenario_name(sc));
            cJSON_AddStringToObject(row, "kind", kind);
            cJSON_AddStringToObject(row, "technique",
                                    tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "");
            cJSON_AddStringToObject(row, "actor", actor);
            cJSON_AddStringToObject(row, "sysmon_config", config_names[k]);
            if (!json)
                printf("| %s | %s | %s | %s | %s |", tl_scenario_name(sc), kind,
                       tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "", actor,
                       config_names[k]);
            for (int p = 0; p < nprof; p++) {
                cJSON *pc = cJSON_AddObjectToObject(row, profiles[p]);
                if (!cells[p].ran) {
                    cJSON_AddStringToObject(pc, "status", "skipped");
                    if (!json)
                        printf(p ? " skipped | — | — |" : " skipped | — |");
                    continue;
                }
                const cell *ce = &cells[p];
                tl_buf txt = TL_BUF_INIT;
                fired_text(ce, 0, NULL, &txt);
                cJSON_AddStringToObject(pc, "fired", tl_buf_cstr(&txt));
                cJSON *arr = cJSON_AddArrayToObject(pc, "rules");
                for (int r = 0; r < ce->n; r++) {
                    cJSON *o = cJSON_CreateObject();
                    char idb[16];
                    snprintf(idb, sizeof idb, "%d", ce->id[r]);
                    cJSON_AddStringToObject(o, "id", idb);
                    cJSON_AddNumberToObject(o, "level", ce->lv[r]);
                    cJSON_AddNumberToObject(o, "count", ce->cnt[r]);
                    if (p)
                        cJSON_AddBoolToObject(o, "own", !tl_ruleset_has_rule(rs[0], ce->id[r]));
                    cJSON_AddItemToArray(arr, o);
                }
                cJSON_AddNumberToObject(pc, "max_level", ce->max_level);
                int detected = ce->max_level >= DETECT_LEVEL;
                cJSON_AddBoolToObject(pc, "detected", detected);
                if (p) {
                    cJSON_AddNumberToObject(pc, "own_max_level", ce->own_max);
                    cJSON_AddBoolToObject(pc, "own_detected", ce->own_max >= DETECT_LEVEL);
                }
                if (!json) {
                    printf(" %s | %d |", tl_buf_cstr(&txt), ce->max_level);
                    if (p)
                        printf(" %d |", ce->own_max);
                }
                tl_buf_free(&txt);
                /* what counts for this profile: all its rules for the first
                 * one, the rules it adds to the first one for the others */
                int lvl = p ? ce->own_max : ce->max_level;
                char by[160];
                if (p)
                    snprintf(by, sizeof by, "%s (its rules not in %s)", profiles[p], profiles[0]);
                else
                    snprintf(by, sizeof by, "%s", profiles[p]);
                if (attack) {
                    n_att[p]++;
                    if (lvl >= DETECT_LEVEL)
                        n_det[p]++;
                    else
                        tl_buf_printf(&gaps, "- %s (%s, %s): not detected at level >= %d by %s\n",
                                      tl_scenario_name(sc), actor, config_names[k], DETECT_LEVEL,
                                      by);
                }
                if (benign) {
                    n_ben[p]++;
                    if (lvl >= DETECT_LEVEL) {
                        n_fp[p]++;
                        tl_buf fp = TL_BUF_INIT;
                        fired_text(ce, DETECT_LEVEL, p ? rs[0] : NULL, &fp);
                        tl_buf_printf(&gaps, "- %s (benign, %s): false positive at level %d by %s: %s\n",
                                      tl_scenario_name(sc), config_names[k], lvl, by,
                                      tl_buf_cstr(&fp));
                        tl_buf_free(&fp);
                    }
                }
            }
            if (!json)
                printf("\n");
            cJSON_AddItemToArray(out, row);
        }
        tl_scenario_free(sc);
    }
    tl_cli_progress_end(&prog);
    int failed = 0;
    for (int p = 0; p < nprof; p++)
        if (require && !strcmp(require, profiles[p]) &&
            (n_det[p] < n_att[p] || n_fp[p] || !rs[p]))
            failed = 1;
    if (json) {
        cJSON *top = cJSON_CreateObject();
        cJSON_AddItemToObject(top, "rows", out);
        out = top;
        cJSON *sum = cJSON_AddArrayToObject(top, "summary");
        for (int p = 0; p < nprof; p++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "profile", profiles[p]);
            cJSON_AddStringToObject(o, "rules", p ? "not in the first profile" : "all");
            cJSON_AddNumberToObject(o, "attack_runs", n_att[p]);
            cJSON_AddNumberToObject(o, "attack_runs_detected", n_det[p]);
            cJSON_AddNumberToObject(o, "benign_runs", n_ben[p]);
            cJSON_AddNumberToObject(o, "benign_runs_false_positive", n_fp[p]);
            cJSON_AddItemToArray(sum, o);
        }
        char *js = cJSON_Print(out);
        if (js)
            printf("%s\n", js);
        cJSON_free(js);
    } else {
        printf("\n### Summary (level >= %d)\n\n", DETECT_LEVEL);
        for (int p = 0; p < nprof; p++) {
            if (p)
                printf("- %s, its rules not in %s: ", profiles[p], profiles[0]);
            else
                printf("- %s, all its rules: ", profiles[p]);
            printf("%d of %d attack runs detected, %d of %d benign runs with a false positive\n",
                   n_det[p], n_att[p], n_fp[p], n_ben[p]);
        }
        printf("\n### Gaps (attack not detected at level >= %d) and false positives\n\n%s",
               DETECT_LEVEL, gaps.len ? tl_buf_cstr(&gaps) : "none\n");
    }
    if (failed && !rc) {
        fprintf(stderr, "tasklab coverage: profile %s has gaps or false positives (--require)\n",
                require);
        rc = 1;
    }
    tl_buf_free(&gaps);
    tl_free(modular);
    tl_free(swift);
done:
    cJSON_Delete(out);
    for (int p = 0; p < MAX_PROFILES; p++)
        tl_ruleset_free(rs[p]);
    tl_cli_list_free(&files);
    c.profile = "default";
    tl_cli_common_free(&c);
    tl_free(default_scen);
    free(args);
    return rc;
}
