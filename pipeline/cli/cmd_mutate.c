/* SPDX-License-Identifier: MIT */
/*
 * tasklab mutate: mutation testing of the user's own rules against the
 * scenario library (libtl_studies does the work; this is the front).
 *
 *   tasklab mutate [--profile P] [--ruleset DIR | --wazuh-dir DIR | --rules FILE...]
 *                  [--scenarios DIR] [--golden DIR] [--rule ID]... [--include-stock]
 *                  [-j N] [--format text|json|junit] [--min-score PCT]
 *
 * Exit status: 0; 1 when --min-score is given and the score is below it; 2 for
 * bad input (unknown --rule id, rules or scenarios that do not load, a malformed
 * mutants-equivalent.txt line: the message names the file and line); 77 when the
 * profile needs ../shared and it is absent.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "tasklab/studies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return 0;
    *out = (int)v;
    return 1;
}

enum { O_M_JOBS = 1, O_M_RULE, O_M_FORMAT, O_M_MIN, O_M_SCEN, O_M_GOLDEN, O_M_STOCK, O_M_MERGE };
static const tl_cli_opt mutate_opts[] = {
    {"--rule", "ID", O_M_RULE, "only this rule's mutants (the id must be under test)",
     TL_OPT_MULTI},
    {"--include-stock", NULL, O_M_STOCK, "mutate the stock rule files too (NNNN-*.xml)", 0},
    {"--scenarios", "DIR", O_M_SCEN, "the scenario library (default: scenarios/)", 0},
    {"--golden", "DIR", O_M_GOLDEN, "golden files (default: golden/<profile>)", 0},
    {"-j", "N", O_M_JOBS, "worker threads (the report is the same for any N)", 0},
    {"--format", "F", O_M_FORMAT, "text (default), json or junit", 0},
    {"--min-score", "PCT", O_M_MIN, "exit 1 when the mutation score is below PCT", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_SHARD, TL_CLI_OPT_MERGE(O_M_MERGE), TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_mutate_def = {
    "mutate", "",
    "mutation testing: which conditions of your rules no scenario would notice breaking",
    mutate_opts, tl_cli_cmd_mutate,
    "Mutants are single changes to one rule of your own rule files (--rules files; else the\n"
    "non-stock files of --ruleset/--wazuh-dir; else the profile's local rules and rule pack).\n"
    "KILLED: some scenario's expectations or golden file notice it; SURVIVED: none does.\n"
    "Reviewed equivalent mutants: mutants-equivalent.txt next to the rule file, one\n"
    "'rule-id: mutation: reason' a line. --shard I/N runs every N-th mutant from the I-th;\n"
    "`tasklab mutate --merge-results [--min-score PCT] part-*.json` (or the parts' JUnit)\n"
    "writes the report of the unsharded run and checks --min-score on it.\n"
    "Exit: 0; 1 below --min-score; 2 bad input (file and line named).\n"};

/* The options that do not change the report (the run id leaves them out). */
static const int mutate_skip_ids[] = {O_M_JOBS,  TL_OC_SHARD, O_M_FORMAT, O_M_MIN, O_M_MERGE,
                                      TL_OC_VERBOSE_WARNINGS, 0};

int tl_cli_cmd_mutate(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, jobs = 1, include_stock = 0, nids = 0, merge = 0;
    char **mfiles = calloc((size_t)argc + 1, sizeof *mfiles);
    size_t nmfiles = 0;
    tl_cli_run_info ri;
    memset(&ri, 0, sizeof ri);
    const char *format = "text", *scen_dir = NULL, *golden = NULL;
    double min_score = -1;
    int *ids = calloc((size_t)argc + 1, sizeof *ids);
    char *default_scen = NULL, *golden_dir = NULL;
    tl_cli_list files = {0};
    tl_mutate_report *rep = NULL;
    tl_buf out = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);
    if (!ids || !mfiles) {
        free(ids);
        free(mfiles);
        return 2;
    }
    tl_cli_parse ps;
    tl_cli_parse_init(&ps, &tl_cli_cmd_mutate_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&ps)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND) {
            mfiles[nmfiles++] = (char *)ps.val; /* --merge-results' reports */
        } else if (o == O_M_MERGE) {
            merge = 1;
        } else if (o == O_M_JOBS) {
            if (!parse_int(ps.val, 1, 64, &jobs)) {
                fprintf(stderr, "tasklab mutate: -j needs a number from 1 to 64\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_M_RULE) {
            if (!parse_int(ps.val, 1, 999999999, &ids[nids])) {
                fprintf(stderr, "tasklab mutate: --rule %s: not a rule id\n", ps.val);
                rc = 2;
                goto done;
            }
            nids++;
        } else if (o == O_M_FORMAT) {
            format = ps.val;
            if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "junit")) {
                fprintf(stderr, "tasklab mutate: --format text|json|junit\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_M_MIN) {
            char *end = NULL;
            min_score = strtod(ps.val, &end);
            if (!*ps.val || *end || min_score < 0 || min_score > 100) {
                fprintf(stderr, "tasklab mutate: --min-score needs a percentage (0-100)\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_M_SCEN) {
            scen_dir = ps.val;
        } else if (o == O_M_GOLDEN) {
            golden = ps.val;
        } else if (o == O_M_STOCK) {
            include_stock = 1;
        } else if (tl_cli_common_set(&c, o, ps.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (merge) {
        tl_cli_merge_result mr;
        rc = tl_cli_merge_results("mutate", mfiles, nmfiles, &mr);
        if (!rc) {
            fwrite(tl_buf_cstr(&mr.out), 1, mr.out.len, stdout);
            if (min_score >= 0 && mr.score + 1e-9 < min_score) {
                fprintf(stderr, "tasklab mutate: mutation score %.1f%% is below --min-score %g%%\n",
                        mr.score, min_score);
                rc = 1;
            }
        }
        tl_cli_merge_result_free(&mr);
        goto done;
    }
    if (nmfiles) {
        fprintf(stderr, "tasklab mutate: unexpected argument '%s' (scenarios: --scenarios DIR)\n",
                mfiles[0]);
        rc = 2;
        goto done;
    }
    if (!scen_dir) {
        default_scen = tl_path_join(tl_cli_home(), "scenarios");
        scen_dir = default_scen;
    }
    {
        char *args[1] = {(char *)scen_dir};
        if (tl_cli_expand_scenarios(args, 1, &files, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
    }
    if (golden)
        golden_dir = tl_strdup(golden);
    else {
        tl_buf b = TL_BUF_INIT;
        tl_buf_printf(&b, "%s/golden/%s", tl_cli_home(), c.profile);
        golden_dir = tl_buf_take(&b);
    }
    tl_mutate_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.prof.profile = c.profile;
    mo.prof.ruleset_dir = c.ruleset_dir;
    mo.prof.wazuh_dir = c.wazuh_dir;
    mo.prof.extra_rules = (const char *const *)c.rules.v;
    mo.prof.n_extra_rules = c.rules.n;
    mo.prof.etc_dir = c.etc_dir;
    mo.prof.shared_dir = c.shared_dir;
    mo.profile_name = c.profile;
    mo.scenarios = (const char *const *)files.v;
    mo.n_scenarios = files.n;
    mo.golden_dir = golden_dir;
    mo.rule_ids = ids;
    mo.n_rule_ids = (size_t)nids;
    mo.include_stock = include_stock;
    mo.jobs = jobs;
    mo.etc_dir = c.etc_dir;
    mo.shared_dir = c.shared_dir;
    mo.display_root = tl_cli_home();
    mo.shard_i = c.shard_i;
    mo.shard_n = c.shard_n;
    tl_status st = tl_mutate_run(&mo, &rep, &d);
    if (st == TL_E_NOTFOUND) {
        fprintf(stderr, "tasklab mutate: skipped: %s\n", d.msg);
        rc = 77;
        goto done;
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    if (!strcmp(format, "json"))
        tl_mutate_report_json(rep, &out);
    else if (!strcmp(format, "junit"))
        tl_mutate_report_junit(rep, &out);
    else
        tl_mutate_report_text(rep, &out);
    if (strcmp(format, "text") &&
        (tl_cli_run_info_init(&ri, &tl_cli_cmd_mutate_def, argc, argv, mutate_skip_ids, &files,
                              tl_mutate_report_total(rep), 1, c.shard_i, c.shard_n) != TL_OK ||
         tl_cli_run_info_inject(&ri, !strcmp(format, "junit"), &out) != TL_OK)) {
        fprintf(stderr, "tasklab mutate: out of memory\n");
        rc = 2;
        goto done;
    }
    if (tl_buf_status(&out) != TL_OK) {
        fprintf(stderr, "tasklab mutate: out of memory\n");
        rc = 2;
        goto done;
    }
    fwrite(tl_buf_cstr(&out), 1, out.len, stdout);
    if (min_score >= 0 && tl_mutate_report_score(rep) + 1e-9 < min_score) {
        fprintf(stderr, "tasklab mutate: mutation score %.1f%% is below --min-score %g%%\n",
                tl_mutate_report_score(rep), min_score);
        rc = 1;
    }
done:
    tl_buf_free(&out);
    tl_mutate_report_free(rep);
    tl_cli_list_free(&files);
    tl_free(default_scen);
    tl_free(golden_dir);
    free(ids);
    free(mfiles);
    tl_cli_run_info_free(&ri);
    tl_cli_common_free(&c);
    return rc;
}
