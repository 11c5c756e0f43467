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
#include "tasklab/coverage.h"
#include "tasklab/platform.h"
#include "tasklab/sysmon.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROFILES TL_COVERAGE_MAX_PROFILES
#define MAX_USER_CONFIGS 4
#define DETECT_LEVEL TL_COVERAGE_DETECT_LEVEL

typedef struct cov_cli {
    int rc;
    tl_cli_progress prog;
    size_t n;
    atomic_size_t done; /* scenarios whose first run ended (the workers count them) */
} cov_cli;

static void on_load_error(void *ctx, const tl_diag *d)
{
    cov_cli *cc = ctx;
    tl_cli_error(d);
    cc->rc = 2;
}

static void on_run(void *ctx, size_t scenario, size_t config, size_t profile,
                   const tl_scenario *sc, tl_status st, const tl_run_result *r, const tl_diag *d)
{
    cov_cli *cc = ctx;
    (void)sc, (void)st, (void)r, (void)d;
    (void)scenario;
    if (config == 0 && profile == 0) /* from any worker thread: a count, not an index */
        tl_cli_progress_step(&cc->prog, atomic_fetch_add(&cc->done, 1) + 1, cc->n);
}

enum { O_CV_PROFILE = 1, O_CV_SYSMON, O_CV_JSON, O_CV_OWN, O_CV_REQUIRE, O_CV_MERGE, O_CV_JOBS };
static const tl_cli_opt coverage_opts[] = {
    {"--profile", "P", O_CV_PROFILE, "a profile column (default: default and tasklab; at most 3)",
     TL_OPT_MULTI},
    {"--sysmon-config", "FILE", O_CV_SYSMON,
     "a Sysmon config row instead of sysmon-modular and SwiftOnSecurity (at most 4)", TL_OPT_MULTI},
    {"--own-config", NULL, O_CV_OWN, "only each scenario's own Sysmon config", 0},
    {"--json", NULL, O_CV_JSON, "JSON instead of a Markdown table", 0},
    {"-j", "N", O_CV_JOBS,
     "scenarios run in parallel (default: the number of CPUs, at most 8; same output)", 0},
    {"--require", "P", O_CV_REQUIRE,
     "exit 1 when profile P misses an attack or fires on a benign run (P must be a column)", 0},
    TL_CLI_OPTS_USER_RULES, TL_CLI_OPTS_AR, TL_CLI_OPT_SHARD, TL_CLI_OPT_MERGE(O_CV_MERGE),
    TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_coverage_def = {
    "coverage", "[SCENARIO|DIR...]",
    "procedures x rules x Sysmon configs: which rules fire on each scenario, and the gaps",
    coverage_opts, tl_cli_cmd_coverage,
    "A CI matrix: job I runs `tasklab coverage --json --shard I/N ... >part-I.json`; a last\n"
    "job runs `tasklab coverage --merge-results [--require P] part-*.json`: the JSON of the\n"
    "unsharded run (rows in its order, summary counts summed), --require checked on it.\n"};

/* The options that do not change the report (the run id leaves them out). */
static const int coverage_skip_ids[] = {TL_OC_SHARD, O_CV_MERGE, O_CV_REQUIRE,
                                        TL_OC_VERBOSE_WARNINGS, O_CV_JOBS, 0};

/* --merge-results: the parts' JSON into one (merge.c); --require on the merged summary */
static int merge_coverage(const char *require, char **files, size_t n)
{
    tl_cli_merge_result mr;
    int rc = tl_cli_merge_results("coverage", files, n, &mr);
    if (!rc) {
        fwrite(tl_buf_cstr(&mr.out), 1, mr.out.len, stdout);
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(mr.merged, "summary");
        int found = 0;
        for (const cJSON *o = sum ? sum->child : NULL; require && o; o = o->next) {
            const cJSON *pn = cJSON_GetObjectItemCaseSensitive(o, "profile");
            if (!cJSON_IsString(pn) || strcmp(pn->valuestring, require))
                continue;
            found = 1;
            const cJSON *ar = cJSON_GetObjectItemCaseSensitive(o, "attack_runs");
            const cJSON *ad = cJSON_GetObjectItemCaseSensitive(o, "attack_runs_detected");
            const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "benign_runs_false_positive");
            if (!cJSON_IsNumber(ar) || !cJSON_IsNumber(ad) || !cJSON_IsNumber(fp) ||
                ad->valuedouble < ar->valuedouble || fp->valuedouble > 0) {
                fprintf(stderr,
                        "tasklab coverage: profile %s has gaps or false positives (--require)\n",
                        require);
                rc = 1;
            }
        }
        if (require && !found) {
            fprintf(stderr, "tasklab coverage: --require %s: profile %s is not a column of these "
                            "reports\n",
                    require, require);
            rc = 2;
        }
    }
    tl_cli_merge_result_free(&mr);
    return rc;
}

int tl_cli_cmd_coverage(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, nargs = 0, json = 0, own_only = 0, merge = 0, jobs = 0;
    tl_cli_run_info ri;
    memset(&ri, 0, sizeof ri);
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
    tl_coverage *cov = NULL;
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
        else if (o == O_CV_MERGE)
            merge = 1;
        else if (o == O_CV_JOBS) {
            char *end;
            long n = strtol(ps.val, &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "tasklab coverage: -j needs a number from 1 to 64\n");
                rc = 2;
                goto done;
            }
            jobs = (int)n;
        }
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
    if (merge) {
        rc = merge_coverage(require, args, (size_t)nargs);
        goto done;
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
    /* the envelope: the whole list, and one row per Sysmon config (as counted below) */
    size_t rows_per = own_only ? 1 : nuser_conf ? 1 + (size_t)nuser_conf : 3;
    if (tl_cli_run_info_init(&ri, &tl_cli_cmd_coverage_def, argc, argv, coverage_skip_ids,
                             &files, files.n, rows_per, c.shard_i, c.shard_n) != TL_OK ||
        tl_cli_shard_filter(&files, c.shard_i, c.shard_n) != TL_OK) {
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

    tl_run_opts ro;
    tl_cli_fill_run_opts(&c, argv[0], &ro);
    cov_cli cc = {rc, {0}, files.n, 0};
    if (!jobs) {
        long n = tl_ncpus();
        jobs = n < 1 ? 1 : n > 8 ? 8 : (int)n;
    }
    tl_coverage_opts co;
    memset(&co, 0, sizeof co);
    co.scenarios = (const char *const *)files.v;
    co.n_scenarios = files.n;
    co.profiles = profiles;
    co.rulesets = (const tl_ruleset *const *)rs;
    co.n_profiles = (size_t)nprof;
    co.configs = configs;
    co.config_names = config_names;
    co.n_configs = (size_t)nconf;
    co.run = &ro;
    co.timeline_config = -1;
    co.jobs = jobs;
    co.on_run = on_run;
    co.on_error = on_load_error;
    co.ctx = &cc;
    tl_cli_progress_start(&cc.prog, "tasklab coverage");
    tl_status cst = tl_coverage_run(&co, &cov);
    tl_cli_progress_end(&cc.prog);
    rc = cc.rc;
    if (cst != TL_OK) {
        fprintf(stderr, "tasklab coverage: out of memory\n");
        rc = 2;
        tl_free(modular);
        tl_free(swift);
        goto done;
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
    for (size_t r = 0; r < cov->n_rows; r++) {
        const tl_coverage_row *row = &cov->rows[r];
        cJSON *jr = cJSON_CreateObject();
        cJSON_AddStringToObject(jr, "scenario", row->scenario);
        cJSON_AddStringToObject(jr, "kind", row->kind);
        cJSON_AddStringToObject(jr, "technique", row->technique);
        cJSON_AddStringToObject(jr, "actor", row->actor);
        cJSON_AddStringToObject(jr, "sysmon_config", config_names[row->config]);
        if (!json)
            printf("| %s | %s | %s | %s | %s |", row->scenario, row->kind, row->technique,
                   row->actor, config_names[row->config]);
        for (int p = 0; p < nprof; p++) {
            cJSON *pc = cJSON_AddObjectToObject(jr, profiles[p]);
            const tl_coverage_cell *ce = &row->cells[p];
            if (!ce->ran) {
                cJSON_AddStringToObject(pc, "status", "skipped");
                if (!json)
                    printf(p ? " skipped | — | — |" : " skipped | — |");
                continue;
            }
            tl_buf txt = TL_BUF_INIT;
            tl_coverage_fired_text(ce, 0, NULL, &txt);
            cJSON_AddStringToObject(pc, "fired", tl_buf_cstr(&txt));
            cJSON *arr = cJSON_AddArrayToObject(pc, "rules");
            for (size_t k = 0; k < ce->n_fired; k++) {
                cJSON *o = cJSON_CreateObject();
                char idb[16];
                snprintf(idb, sizeof idb, "%d", ce->fired[k].id);
                cJSON_AddStringToObject(o, "id", idb);
                cJSON_AddNumberToObject(o, "level", ce->fired[k].level);
                cJSON_AddNumberToObject(o, "count", ce->fired[k].count);
                if (p)
                    cJSON_AddBoolToObject(o, "own", !tl_ruleset_has_rule(rs[0], ce->fired[k].id));
                cJSON_AddItemToArray(arr, o);
            }
            cJSON_AddNumberToObject(pc, "max_level", ce->max_level);
            cJSON_AddBoolToObject(pc, "detected", ce->max_level >= DETECT_LEVEL);
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
        }
        if (!json)
            printf("\n");
        cJSON_AddItemToArray(out, jr);
    }
    int failed = 0;
    for (int p = 0; p < nprof; p++)
        if (require && !strcmp(require, profiles[p]) &&
            (cov->sum[p].attack_detected < cov->sum[p].attack_runs || cov->sum[p].benign_fp ||
             !rs[p]))
            failed = 1;
    if (json) {
        cJSON *top = cJSON_CreateObject();
        /* which slice of which run (--merge-results) */
        cJSON_AddItemToObject(top, "run", tl_cli_run_info_cjson(&ri));
        cJSON_AddItemToObject(top, "rows", out);
        out = top;
        cJSON *sum = cJSON_AddArrayToObject(top, "summary");
        for (int p = 0; p < nprof; p++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "profile", profiles[p]);
            cJSON_AddStringToObject(o, "rules", p ? "not in the first profile" : "all");
            cJSON_AddNumberToObject(o, "attack_runs", cov->sum[p].attack_runs);
            cJSON_AddNumberToObject(o, "attack_runs_detected", cov->sum[p].attack_detected);
            cJSON_AddNumberToObject(o, "benign_runs", cov->sum[p].benign_runs);
            cJSON_AddNumberToObject(o, "benign_runs_false_positive", cov->sum[p].benign_fp);
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
                   cov->sum[p].attack_detected, cov->sum[p].attack_runs, cov->sum[p].benign_fp, cov->sum[p].benign_runs);
        }
        printf("\n### Gaps (attack not detected at level >= %d) and false positives\n\n%s",
               DETECT_LEVEL, cov->gaps[0] ? cov->gaps : "none\n");
    }
    if (failed && !rc) {
        fprintf(stderr, "tasklab coverage: profile %s has gaps or false positives (--require)\n",
                require);
        rc = 1;
    }
    tl_free(modular);
    tl_free(swift);
done:
    tl_coverage_free(cov);
    cJSON_Delete(out);
    for (int p = 0; p < MAX_PROFILES; p++)
        tl_ruleset_free(rs[p]);
    tl_cli_list_free(&files);
    tl_cli_run_info_free(&ri);
    c.profile = "default";
    tl_cli_common_free(&c);
    tl_free(default_scen);
    free(args);
    return rc;
}
