/* SPDX-License-Identifier: MIT */
/*
 * tasklab vary: evasion variants of the attack scenarios (libtl_studies does
 * the work, pipeline/studies/src/vary.c; this is the front).
 *
 *   tasklab vary [--profile P | --ruleset DIR ...] [--n N] [--seed S]
 *                [--transform NAME]... [--build B] [--level L]
 *                [--format text|json|junit] [--require P] [-j N] [--shard I/N]
 *                [SCENARIO|DIR...]
 *   tasklab vary --merge-results [--require P] REPORT...
 *
 * JSON and JUnit reports carry the run envelope of merge.c (command, the
 * options that shape results, run id, scenario count, slice): `--shard I/N`
 * varies scenarios I, I+N, ... and `--merge-results` joins the slices' reports
 * into the unsharded run's report, byte for byte (JUnit times aside).
 *
 * Exit status: 0; 1 when --require P is given and an equivalent variant of an
 * attack scenario has no alert at >= L under P while its original has one; 2
 * bad input (an unknown transformation, a --build evasion.md does not cover, an
 * attack scenario with no command step, a scenario or rules that do not load);
 * 77 when the profile needs ../shared and it is absent.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "tasklab/vary.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_V_N = 1, O_V_SEED, O_V_TRANSFORM, O_V_BUILD, O_V_LEVEL, O_V_FORMAT, O_V_REQUIRE, O_V_JOBS,
       O_V_LIST, O_V_MERGE };
/* options that do not shape the report (the run envelope leaves them out) */
static const int vary_skip_ids[] = {O_V_JOBS, TL_OC_SHARD, O_V_FORMAT, O_V_MERGE, O_V_LIST, 0};
static const tl_cli_opt vary_opts[] = {
    {"--n", "N", O_V_N, "variants per scenario: each transformation alone, then seeded combinations (default 20)", 0},
    {"--seed", "S", O_V_SEED, "seed of every random choice (default 1): same seed, same bytes", 0},
    {"--transform", "NAME", O_V_TRANSFORM, "only this transformation (repeatable; --list-transforms)", TL_OPT_MULTI},
    {"--build", "B", O_V_BUILD, "a Windows build of evasion.md: 10.0.19041 or 10.0.22631 (default: rows accepted on both)", 0},
    {"--level", "L", O_V_LEVEL, "an alert at this level or above detects (default 6)", 0},
    {"--format", "F", O_V_FORMAT, "text (default), json or junit", 0},
    {"--require", "P", O_V_REQUIRE, "exit 1 when an equivalent variant evades profile P entirely", 0},
    {"-j", "N", O_V_JOBS, "worker threads (the report is the same for any N)", 0},
    {"--list-transforms", NULL, O_V_LIST, "list the transformations and exit", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_SHARD, TL_CLI_OPT_MERGE(O_V_MERGE), TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_vary_def = {
    "vary", "[SCENARIO|DIR...]",
    "evasion variants: which accepted spellings of the attacks' command lines lose detection",
    vary_opts, tl_cli_cmd_vary,
    "Transformations come from ../shared/facts/evasion.md (accepted rows only, per build). Each\n"
    "variant is a full scenario run; one that leaves a different task (name, actions, triggers,\n"
    "principal) is a GENERATOR BUG, one the simulator refuses is REFUSED; neither is a result.\n"
    "EVADED: the original had an alert at >= L, the variant none. Default scenarios: scenarios/.\n"
    "--shard I/N varies scenarios I, I+N, ...; --merge-results REPORT... joins the slices' JSON or\n"
    "JUnit reports into the unsharded run's report (with --require: its gate).\n"
    "Exit: 0; 1 with --require when a variant evades; 2 bad input.\n"};

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

int tl_cli_cmd_vary(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, profile_given = 0, merge = 0;
    tl_cli_run_info ri;
    memset(&ri, 0, sizeof ri);
    long n = 20, level = 6, jobs = 1;
    unsigned long long seed = 1;
    const char *format = "text", *build = NULL, *require = NULL;
    tl_cli_list ops = {0}, files = {0}, transforms = {0};
    char *default_scen = NULL;
    unsigned char *listed = NULL;
    tl_vary_report *rep = NULL;
    tl_buf out = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_parse ps;
    tl_cli_parse_init(&ps, &tl_cli_cmd_vary_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&ps)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND) {
            if (tl_cli_list_add(&ops, ps.val) != TL_OK) {
                rc = 2;
                goto done;
            }
        } else if (o == O_V_N) {
            if (!parse_long(ps.val, 1, 100000, &n)) {
                fprintf(stderr, "tasklab vary: --n needs a number from 1 to 100000\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_V_SEED) {
            char *end = NULL;
            seed = strtoull(ps.val, &end, 10);
            if (!*ps.val || *end || ps.val[0] == '-') {
                fprintf(stderr, "tasklab vary: --seed needs a whole number\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_V_TRANSFORM) {
            if (tl_cli_list_add(&transforms, ps.val) != TL_OK) {
                rc = 2;
                goto done;
            }
        } else if (o == O_V_BUILD) {
            build = ps.val;
        } else if (o == O_V_LEVEL) {
            if (!parse_long(ps.val, 0, 16, &level)) {
                fprintf(stderr, "tasklab vary: --level needs a level from 0 to 16\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_V_FORMAT) {
            format = ps.val;
            if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "junit")) {
                fprintf(stderr, "tasklab vary: --format text|json|junit\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_V_REQUIRE) {
            require = ps.val;
        } else if (o == O_V_JOBS) {
            if (!parse_long(ps.val, 1, 64, &jobs)) {
                fprintf(stderr, "tasklab vary: -j needs a number from 1 to 64\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_V_MERGE) {
            merge = 1;
        } else if (o == O_V_LIST) {
            tl_vary_transforms_text(&out);
            fwrite(tl_buf_cstr(&out), 1, out.len, stdout);
            goto done;
        } else {
            if (o == TL_OC_PROFILE)
                profile_given = 1;
            if (tl_cli_common_set(&c, o, ps.val) < 0) {
                rc = 2;
                goto done;
            }
        }
    }
    if (merge) {
        tl_cli_merge_result mr;
        rc = tl_cli_merge_results("vary", ops.v, ops.n, &mr);
        if (!rc) {
            fwrite(tl_buf_cstr(&mr.out), 1, mr.out.len, stdout);
            size_t evaded = mr.failures;
            if (!mr.junit) {
                const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(mr.merged, "counts");
                const cJSON *ev = cJSON_GetObjectItemCaseSensitive(cnt, "evaded");
                evaded = cJSON_IsNumber(ev) ? (size_t)ev->valuedouble : 0;
            }
            if (require && evaded) {
                fprintf(stderr,
                        "tasklab vary: %zu equivalent variant%s evade%s profile %s entirely\n",
                        evaded, evaded == 1 ? "" : "s", evaded == 1 ? "s" : "", require);
                rc = 1;
            }
        }
        tl_cli_merge_result_free(&mr);
        goto done;
    }
    if (require) {
        if (strcmp(require, "default") && strcmp(require, "tasklab") && strcmp(require, "wazuh")) {
            fprintf(stderr, "tasklab vary: --require %s: expected default, tasklab or wazuh\n",
                    require);
            rc = 2;
            goto done;
        }
        if (profile_given && strcmp(require, c.profile)) {
            fprintf(stderr, "tasklab vary: --require %s with --profile %s: give one profile\n",
                    require, c.profile);
            rc = 2;
            goto done;
        }
        if (!profile_given && tl_cli_common_set(&c, TL_OC_PROFILE, require) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!ops.n) {
        default_scen = tl_path_join(tl_cli_home(), "scenarios");
        if (!default_scen || tl_cli_list_add(&ops, default_scen) != TL_OK) {
            rc = 2;
            goto done;
        }
    }
    if (tl_cli_expand_scenarios(ops.v, (int)ops.n, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    if (strcmp(format, "text") &&
        tl_cli_run_info_init(&ri, &tl_cli_cmd_vary_def, argc, argv, vary_skip_ids, &files, files.n,
                             1, c.shard_i, c.shard_n) != TL_OK) {
        fprintf(stderr, "tasklab vary: out of memory\n");
        rc = 2;
        goto done;
    }
    if (tl_cli_shard_filter(&files, c.shard_i, c.shard_n) != TL_OK) {
        rc = 2;
        goto done;
    }
    tl_vary_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.prof.profile = c.profile;
    vo.prof.ruleset_dir = c.ruleset_dir;
    vo.prof.wazuh_dir = c.wazuh_dir;
    vo.prof.extra_rules = (const char *const *)c.rules.v;
    vo.prof.n_extra_rules = c.rules.n;
    vo.prof.extra_decoders = (const char *const *)c.decoders.v;
    vo.prof.n_extra_decoders = c.decoders.n;
    vo.prof.etc_dir = c.etc_dir;
    vo.prof.shared_dir = c.shared_dir;
    vo.profile_name = c.ruleset_dir || c.wazuh_dir ? "custom" : c.profile;
    vo.scenarios = (const char *const *)files.v;
    vo.n_scenarios = files.n;
    /* a file named on the command line is strict (no command step: exit 2);
     * one found by listing a folder with no command step is listed, not varied */
    listed = tl_calloc(files.n ? files.n : 1, 1);
    if (!listed) {
        fprintf(stderr, "tasklab vary: out of memory\n");
        rc = 2;
        goto done;
    }
    for (size_t k = 0; k < files.n; k++) {
        listed[k] = 1;
        for (size_t j = 0; j < ops.n; j++)
            if (!strcmp(files.v[k], ops.v[j]))
                listed[k] = 0;
    }
    vo.listed = listed;
    vo.transforms = (const char *const *)transforms.v;
    vo.n_transforms = transforms.n;
    vo.build = build;
    vo.n = (int)n;
    vo.seed = seed;
    vo.level = (int)level;
    vo.jobs = (int)jobs;
    vo.etc_dir = c.etc_dir;
    vo.shared_dir = c.shared_dir;
    vo.display_root = tl_cli_home();
    tl_status st = tl_vary_run(&vo, &rep, &d);
    if (st == TL_E_NOTFOUND) {
        fprintf(stderr, "tasklab vary: skipped: %s\n", d.msg);
        rc = 77;
        goto done;
    }
    if (st != TL_OK) {
        if (d.file[0])
            tl_cli_error(&d);
        else
            fprintf(stderr, "tasklab vary: %s\n", d.msg[0] ? d.msg : tl_strerror(st));
        rc = 2;
        goto done;
    }
    if (!strcmp(format, "json")) {
        /* the envelope first, then the report's members; printed as the merge
         * prints a merged report (cJSON_Print), so the two compare byte for byte */
        tl_buf raw = TL_BUF_INIT;
        tl_vary_report_json(rep, &raw);
        cJSON *doc = tl_buf_status(&raw) == TL_OK ? cJSON_Parse(tl_buf_cstr(&raw)) : NULL;
        tl_buf_free(&raw);
        cJSON *top = doc ? cJSON_CreateObject() : NULL;
        cJSON *run = top ? tl_cli_run_info_cjson(&ri) : NULL;
        char *js = NULL;
        if (run) {
            cJSON_AddItemToObject(top, "run", run);
            while (doc->child) {
                cJSON *it = cJSON_DetachItemViaPointer(doc, doc->child);
                cJSON_AddItemToObject(top, it->string, it);
            }
            js = cJSON_Print(top);
        }
        if (js)
            tl_buf_printf(&out, "%s\n", js);
        else
            out.oom = 1;
        cJSON_free(js);
        cJSON_Delete(top);
        cJSON_Delete(doc);
    } else if (!strcmp(format, "junit")) {
        tl_vary_report_junit(rep, &out);
        if (tl_cli_run_info_inject(&ri, 1, &out) != TL_OK)
            out.oom = 1;
    } else {
        tl_vary_report_text(rep, &out);
    }
    if (tl_buf_status(&out) != TL_OK) {
        fprintf(stderr, "tasklab vary: out of memory\n");
        rc = 2;
        goto done;
    }
    fwrite(tl_buf_cstr(&out), 1, out.len, stdout);
    if (require) {
        tl_vary_counts vc;
        tl_vary_report_counts(rep, &vc);
        if (vc.evaded) {
            fprintf(stderr,
                    "tasklab vary: %zu equivalent variant%s evade%s profile %s entirely (no alert "
                    "at level >= %ld)\n",
                    vc.evaded, vc.evaded == 1 ? "" : "s", vc.evaded == 1 ? "s" : "", require,
                    level);
            rc = 1;
        }
    }
done:
    tl_cli_run_info_free(&ri);
    tl_buf_free(&out);
    tl_vary_report_free(rep);
    tl_cli_list_free(&ops);
    tl_cli_list_free(&files);
    tl_cli_list_free(&transforms);
    tl_free(default_scen);
    tl_free(listed);
    tl_cli_common_free(&c);
    return rc;
}
