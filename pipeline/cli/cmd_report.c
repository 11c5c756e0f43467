/* SPDX-License-Identifier: MIT */
/*
 * tasklab report --out DIR [--profile P]... [--scenarios DIR] [--golden DIR]
 *                [--mutate FILE.json] [-j N] [SCENARIO...]
 * A static HTML site of the library (libtl_report, pipeline/report/). A
 * SCENARIO is a file, a folder, or a name looked up in --scenarios (default:
 * the project's scenarios/). Profiles default to those of `tasklab coverage`
 * (default and tasklab); the Sysmon configs of the matrix are coverage's too.
 * Exit 0 when the report was written (failing scenarios are shown in it),
 * 2 for bad input (one line; nothing written).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/platform.h"
#include "tasklab/coverage.h"
#include "tasklab/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_file_or_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

enum { O_RP_OUT = 1, O_RP_PROFILE, O_RP_SCENARIOS, O_RP_GOLDEN, O_RP_MUTATE, O_RP_JOBS };
static const tl_cli_opt report_opts[] = {
    {"--out", "DIR", O_RP_OUT, "the report's folder (required; replaced only if it is a report)", 0},
    {"--profile", "P", O_RP_PROFILE, "a profile (default: default and tasklab; at most 3)",
     TL_OPT_MULTI},
    {"--scenarios", "DIR", O_RP_SCENARIOS, "where bare scenario names are found (default: scenarios/)",
     0},
    {"--golden", "DIR", O_RP_GOLDEN, "the golden root, DIR/<profile>/<name>.* (default: golden/)", 0},
    {"--mutate", "FILE", O_RP_MUTATE, "add the mutation score and survivors (tasklab mutate JSON)", 0},
    {"-j", "N", O_RP_JOBS, "scenarios run in parallel (default: the number of CPUs, at most 8)", 0},
    TL_CLI_OPTS_USER_RULES, TL_CLI_OPTS_AR, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_report_def = {
    "report", "[SCENARIO|NAME|DIR...]",
    "a static HTML site: each scenario's timeline, the coverage matrix, the test results",
    report_opts, tl_cli_cmd_report,
    "Open DIR/index.html in a browser (no network needed). The coverage matrix has the\n"
    "numbers of `tasklab coverage` for the same scenarios and profiles.\n"};

int tl_cli_cmd_report(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *out = NULL, *scen_dir = NULL, *golden = NULL, *mutate = NULL;
    const char *profiles[TL_COVERAGE_MAX_PROFILES];
    int nprof = 0, nargs = 0, jobs = 0, rc = 0;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *def_scen = NULL, *def_golden = NULL, *modular = NULL, *swift = NULL;
    tl_cli_list resolved = {0}, files = {0};
    tl_ruleset *rs[TL_COVERAGE_MAX_PROFILES] = {NULL};
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse ps;
    tl_cli_parse_init(&ps, &tl_cli_cmd_report_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&ps)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND) {
            args[nargs++] = (char *)ps.val;
        } else if (o == O_RP_OUT) {
            out = ps.val;
        } else if (o == O_RP_SCENARIOS) {
            scen_dir = ps.val;
        } else if (o == O_RP_GOLDEN) {
            golden = ps.val;
        } else if (o == O_RP_MUTATE) {
            mutate = ps.val;
        } else if (o == O_RP_JOBS) {
            char *end;
            long n = strtol(ps.val, &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "tasklab report: -j needs a number from 1 to 64\n");
                rc = 2;
                goto done;
            }
            jobs = (int)n;
        } else if (o == O_RP_PROFILE) {
            if (nprof == TL_COVERAGE_MAX_PROFILES) {
                fprintf(stderr, "tasklab report: --profile given more than %d times\n",
                        TL_COVERAGE_MAX_PROFILES);
                rc = 2;
                goto done;
            }
            if (tl_cli_common_set(&c, TL_OC_PROFILE, ps.val) < 0) {
                rc = 2;
                goto done;
            }
            profiles[nprof++] = ps.val;
        } else if (tl_cli_common_set(&c, o, ps.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!out) {
        fprintf(stderr, "tasklab report: --out DIR is required\n");
        rc = 2;
        goto done;
    }
    if (!nprof) {
        profiles[nprof++] = "default";
        profiles[nprof++] = "tasklab";
    }
    if (!scen_dir)
        scen_dir = def_scen = tl_path_join(tl_cli_home(), "scenarios");
    if (!golden)
        golden = def_golden = tl_path_join(tl_cli_home(), "golden");
    if (!scen_dir || !golden) {
        rc = 2;
        goto done;
    }
    /* a bare name is a scenario of --scenarios */
    for (int i = 0; i < nargs; i++) {
        if (is_file_or_dir(args[i]) || strchr(args[i], '/')) {
            if (tl_cli_list_add(&resolved, args[i]) != TL_OK)
                goto oom;
            continue;
        }
        tl_buf b = TL_BUF_INIT;
        size_t l = strlen(args[i]);
        tl_buf_printf(&b, "%s/%s%s", scen_dir, args[i],
                      l > 5 && !strcmp(args[i] + l - 5, ".json") ? "" : ".json");
        tl_status st = tl_buf_status(&b) == TL_OK ? tl_cli_list_add(&resolved, tl_buf_cstr(&b))
                                                  : TL_E_NOMEM;
        tl_buf_free(&b);
        if (st != TL_OK)
            goto oom;
    }
    if (!nargs && tl_cli_list_add(&resolved, scen_dir) != TL_OK)
        goto oom;
    if (tl_cli_expand_scenarios(resolved.v, (int)resolved.n, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    if (!files.n) {
        fprintf(stderr, "tasklab report: %s: no scenario files\n", scen_dir);
        rc = 2;
        goto done;
    }
    modular = tl_path_join(c.shared_dir, "reference/sysmon/sysmon-modular_sysmonconfig.xml");
    swift = tl_path_join(c.shared_dir, "reference/sysmon/swiftonsecurity_sysmonconfig-export.xml");
    if (!modular || !swift)
        goto oom;
    const char *configs[3] = {NULL, modular, swift};
    const char *config_names[3] = {"own", "sysmon-modular", "swiftonsecurity"};
    tl_run_opts ro;
    tl_cli_fill_run_opts(&c, argv[0], &ro);
    if (!jobs) {
        long n = tl_ncpus();
        jobs = n < 1 ? 1 : n > 8 ? 8 : (int)n;
    }
    tl_report_opts o;
    memset(&o, 0, sizeof o);
    o.out_dir = out;
    o.scenarios = (const char *const *)files.v;
    o.n_scenarios = files.n;
    o.profiles = profiles;
    o.rulesets = (const tl_ruleset *const *)rs;
    o.n_profiles = (size_t)nprof;
    o.configs = configs;
    o.config_names = config_names;
    o.n_configs = 3;
    o.golden_dir = golden;
    o.mutate_json = mutate;
    o.run = &ro;
    o.home = tl_cli_home();
    o.jobs = jobs;
    /* bad input is told before the rulesets load (one line, nothing written) */
    if (tl_report_check(&o, &d) != TL_OK) {
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
    tl_report_summary sum;
    tl_status st = tl_report_write(&o, &sum, &d);
    if (st != TL_OK) {
        if (st == TL_E_NOMEM)
            fprintf(stderr, "tasklab report: out of memory\n");
        else
            tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    printf("report: %s/index.html (%zu scenario%s, %zu failed, %zu errors, %zu skipped)\n", out,
           sum.scenarios, sum.scenarios == 1 ? "" : "s", sum.failed, sum.errors, sum.skipped);
    if (sum.old_left)
        fprintf(stderr, "tasklab report: the previous report held other files; it was kept "
                        "beside %s as .%s.old-*\n",
                out, out);
    goto done;
oom:
    fprintf(stderr, "tasklab report: out of memory\n");
    rc = 2;
done:
    for (int p = 0; p < TL_COVERAGE_MAX_PROFILES; p++)
        tl_ruleset_free(rs[p]);
    tl_free(modular);
    tl_free(swift);
    tl_free(def_scen);
    tl_free(def_golden);
    tl_cli_list_free(&resolved);
    tl_cli_list_free(&files);
    c.profile = "default";
    tl_cli_common_free(&c);
    free(args);
    return rc;
}
