/* SPDX-License-Identifier: MIT */
/*
 * The subcommands, in the order `tasklab --help` lists them. Each entry is the
 * tl_cli_cmd of a cmd_*.c file (its option table, summary and main); adding a
 * subcommand is one line here plus its declaration in cli.h (see the comment
 * above tl_cli_opt there).
 */
#include "cli.h"

#include <stddef.h>

const tl_cli_cmd *const tl_cli_commands[] = {
    &tl_cli_cmd_run_def,      &tl_cli_cmd_test_def,   &tl_cli_cmd_logtest_def,
    &tl_cli_cmd_ruleset_test_def, &tl_cli_cmd_sysmon_def, &tl_cli_cmd_explain_def,
    &tl_cli_cmd_coverage_def, &tl_cli_cmd_replay_def, &tl_cli_cmd_lint_def, &tl_cli_cmd_list_def, &tl_cli_cmd_new_def, &tl_cli_cmd_bench_def,
    &tl_cli_cmd_report_def,   &tl_cli_cmd_compare_def,
    &tl_cli_cmd_mutate_def,
    &tl_cli_cmd_vary_def,
    &tl_cli_cmd_export_def,
    &tl_cli_cmd_version_def,
    NULL,
};
