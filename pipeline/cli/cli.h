/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the tasklab command line (private to pipeline/cli/).
 * Each command lives in its own cmd_*.c file.
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include "tasklab/manager.h"
#include "tasklab/pipeline.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

typedef struct tl_cli_list {
    char **v;
    size_t n;
} tl_cli_list;

typedef struct tl_cli_common {
    const char *profile;
    const char *ruleset_dir;
    const char *wazuh_dir;
    tl_cli_list rules;
    tl_ar_mode ar_mode;
    const char *ar_exe;
    const char *wineprefix;
    const char *sysmon_config;
    char *etc_dir;
    char *shared_dir;
    char *default_exe;
} tl_cli_common;

extern int tl_cli_quiet_warnings;

const char *tl_cli_home(void);
char *tl_cli_etc_dir(void);
char *tl_cli_shared_dir(void);
void tl_cli_error(const tl_diag *d);
void tl_cli_init_json(void);
void tl_cli_list_free(tl_cli_list *l);
tl_status tl_cli_list_add(tl_cli_list *l, const char *s);
tl_status tl_cli_expand_scenarios(char **args, int nargs, tl_cli_list *out, tl_diag *d);
void tl_cli_common_init(tl_cli_common *c);
void tl_cli_common_free(tl_cli_common *c);
int tl_cli_common_opt(tl_cli_common *c, int argc, char **argv, int *i);
tl_status tl_cli_load_ruleset(const tl_cli_common *c, tl_ruleset **rs, tl_diag *d);
void tl_cli_fill_run_opts(tl_cli_common *c, const char *argv0, tl_run_opts *ro);

extern const char tl_cli_usage[];
int tl_cli_run(int argc, char **argv);
int tl_cli_sysmon(int argc, char **argv);
int tl_cli_explain(int argc, char **argv);
int tl_cli_cmd_test(int argc, char **argv);
int tl_cli_cmd_logtest(int argc, char **argv);
int tl_cli_cmd_ruleset_test(int argc, char **argv);
int tl_cli_cmd_bench(int argc, char **argv);
int tl_cli_cmd_coverage(int argc, char **argv);

#endif /* TL_CLI_H */
