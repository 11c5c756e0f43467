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

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROFILES 3
#define DETECT_LEVEL 6

typedef struct cell {
    char fired[512]; /* "115006 L6×1, 115009 L10×1" */
    int max_level;
    int ran; /* 0 = skipped (config or ruleset unavailable) */
} cell;

/* Summarise alerts.json into "id Llevel×n" entries in order of first appearance. */
static void summarise(const char *alerts, cell *c)
{
    char ids[64][16];
    int lv[64], cnt[64], n = 0;
    c->max_level = 0;
    for (const char *p = alerts; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        p = nl ? nl + 1 : p + l;
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(rule, "level");
        if (cJSON_IsString(id)) {
            int level = cJSON_IsNumber(lev) ? lev->valueint : 0;
            int k;
            for (k = 0; k < n; k++)
                if (!strcmp(ids[k], id->valuestring) && lv[k] == level)
                    break;
            if (k == n && n < 64) {
                snprintf(ids[n], sizeof ids[n], "%s", id->valuestring);
                lv[n] = level;
                cnt[n] = 0;
                n++;
            }
            if (k < n)
                cnt[k]++;
            if (level > c->max_level)
                c->max_level = level;
        }
        cJSON_Delete(a);
    }
    c->fired[0] = '\0';
    size_t off = 0;
    for (int k = 0; k < n && off < sizeof c->fired; k++)
        off += (size_t)snprintf(c->fired + off, sizeof c->fired - off, "%s%s L%d×%d",
                                k ? ", " : "", ids[k], lv[k], cnt[k]);
    if (!n)
        snprintf(c->fired, sizeof c->fired, "—");
}

int tl_cli_cmd_coverage(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, nargs = 0, json = 0, own_only = 0;
    const char *profiles[MAX_PROFILES];
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--profile")) {
            if (i + 1 >= argc || nprof == MAX_PROFILES) {
                fprintf(stderr, "tasklab coverage: --profile needs a value (at most %d)\n",
                        MAX_PROFILES);
                rc = 2;
                goto done;
            }
            profiles[nprof++] = argv[++i];
            continue;
        }
        int r = tl_cli_common_opt(&c, argc, argv, &i);
        if (r < 0) {
            rc = 2;
            goto done;
        }
        if (r)
            continue;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--own-config"))
            own_only = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "tasklab coverage: unknown option '%s' (see tasklab --help)\n",
                    argv[i]);
            rc = 2;
            goto done;
        } else
            args[nargs++] = argv[i];
    }
    if (!nprof) {
        profiles[nprof++] = "default";
        profiles[nprof++] = "tasklab";
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
    const char *configs[3] = {NULL, modular, swift};
    const char *config_names[3] = {"own", "sysmon-modular", "swiftonsecurity"};
    int nconf = own_only ? 1 : 3;

    out = cJSON_CreateArray();
    if (!json) {
        printf("| scenario | kind | technique | actor | Sysmon config |");
        for (int p = 0; p < nprof; p++)
            printf(" %s: rules fired | max |", profiles[p]);
        printf("\n|---|---|---|---|---|");
        for (int p = 0; p < nprof; p++)
            printf("---|---|");
        printf("\n");
    }
    tl_buf gaps = TL_BUF_INIT;
    for (size_t i = 0; i < files.n; i++) {
        tl_scenario *sc = NULL;
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
                    summarise(res.alerts_json, &cells[p]);
                    cells[p].ran = 1;
                }
                tl_run_result_clear(&res);
            }
            const char *kind = tl_scenario_kind(sc) ? tl_scenario_kind(sc) : "";
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "scenario", tl_scenario_name(sc));
            cJSON_AddStringToObject(row, "kind", kind);
            cJSON_AddStringToObject(row, "technique",
                                    tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "");
            cJSON_AddStringToObject(row, "actor", tl_scenario_actor(sc) ? tl_scenario_actor(sc) : "");
            cJSON_AddStringToObject(row, "sysmon_config", config_names[k]);
            if (!json)
                printf("| %s | %s | %s | %s | %s |", tl_scenario_name(sc), kind,
                       tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "",
                       tl_scenario_actor(sc) ? tl_scenario_actor(sc) : "", config_names[k]);
            for (int p = 0; p < nprof; p++) {
                cJSON *pc = cJSON_AddObjectToObject(row, profiles[p]);
                if (!cells[p].ran) {
                    cJSON_AddStringToObject(pc, "status", "skipped");
                    if (!json)
                        printf(" skipped | — |");
                    continue;
                }
                cJSON_AddStringToObject(pc, "fired", cells[p].fired);
                cJSON_AddNumberToObject(pc, "max_level", cells[p].max_level);
                int detected = cells[p].max_level >= DETECT_LEVEL;
                cJSON_AddBoolToObject(pc, "detected", detected);
                if (!json)
                    printf(" %s | %d |", cells[p].fired, cells[p].max_level);
                if (!strcmp(kind, "attack") && !detected)
                    tl_buf_printf(&gaps, "- %s (%s, %s): not detected at level >= %d by %s\n",
                                  tl_scenario_name(sc),
                                  tl_scenario_actor(sc) ? tl_scenario_actor(sc) : "",
                                  config_names[k], DETECT_LEVEL, profiles[p]);
                if (!strcmp(kind, "benign") && detected)
                    tl_buf_printf(&gaps, "- %s (benign, %s): false positive at level %d by %s\n",
                                  tl_scenario_name(sc), config_names[k], cells[p].max_level,
                                  profiles[p]);
            }
            if (!json)
                printf("\n");
            cJSON_AddItemToArray(out, row);
        }
        tl_scenario_free(sc);
    }
    if (json) {
        char *s = cJSON_Print(out);
        if (s)
            printf("%s\n", s);
        cJSON_free(s);
    } else {
        printf("\n### Gaps (attack not detected at level >= %d) and false positives\n\n%s",
               DETECT_LEVEL, gaps.len ? tl_buf_cstr(&gaps) : "none\n");
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
