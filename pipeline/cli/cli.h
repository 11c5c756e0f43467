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

#include <stdio.h>

typedef struct tl_cli_list {
    char **v;
    size_t n;
} tl_cli_list;

typedef struct tl_cli_common {
    const char *profile;
    const char *ruleset_dir;
    const char *wazuh_dir;
    tl_cli_list rules;
    tl_cli_list decoders; /* --decoders FILE... */
    tl_ar_mode ar_mode;
    const char *ar_exe;
    const char *wineprefix;
    int ar_timeout_ms; /* --ar-timeout SECONDS; 0: the default */
    const char *sysmon_config;
    char *etc_dir;
    char *shared_dir;
    char *default_exe;
    int strict_rules;     /* --strict-rules: a warning about the user's files is exit 2 */
    int shard_i, shard_n; /* --shard I/N (1-based); 0/0 = everything */
} tl_cli_common;

/* ---- option tables (opts.c) ---------------------------------------------
 * One table per subcommand: the parser (tl_cli_parse_next) and the help
 * (tl_cli_print_help, and the top-level usage) are both generated from it.
 *
 * To add a subcommand FOO (a small, local edit):
 *   1. in cmd_foo.c, an array `static const tl_cli_opt foo_opts[]` of rows
 *      {"--name", "METAVAR" or NULL for a flag, O_ID, "help", flags}, ids of your
 *      own from 1 up, plus any shared rows (TL_CLI_OPTS_RULESET, …_AR, …_SHARD),
 *      ended by TL_CLI_OPT_END;
 *   2. `const tl_cli_cmd tl_cli_cmd_foo_def = {"foo", "OPERANDS", "one-line summary",
 *      foo_opts, tl_cli_cmd_foo, "optional more text\n"};`
 *   3. declare it below and add `&tl_cli_cmd_foo_def` to tl_cli_commands[] in
 *      commands.c (the order there is the order of `tasklab --help`).
 * main() dispatches through tl_cli_commands[]; tests/cli checks that every
 * command answers --help with exit 0.
 */
enum {
    TL_OPT_END = -3,
    TL_OPT_HELP = -2,   /* help printed on stdout: exit 0 */
    TL_OPT_ERR = -1,    /* message printed on stderr: exit 2 */
    TL_OPT_OPERAND = 0, /* a non-option argument, in p->val */
    /* shared rows, applied by tl_cli_common_set */
    TL_OC_FIRST = 1000,
    TL_OC_PROFILE = TL_OC_FIRST,
    TL_OC_RULESET,
    TL_OC_WAZUH_DIR,
    TL_OC_RULES,
    TL_OC_DECODERS,
    TL_OC_AR,
    TL_OC_AR_EXE,
    TL_OC_WINEPREFIX,
    TL_OC_AR_TIMEOUT,
    TL_OC_SYSMON_CONFIG,
    TL_OC_VERBOSE_WARNINGS,
    TL_OC_STRICT_RULES,
    TL_OC_SHARD,
};
#define TL_OPT_MULTI 1u /* may be given more than once */

typedef struct tl_cli_opt {
    const char *name;    /* "--out" or "-j" */
    const char *metavar; /* "DIR" when it takes a value, NULL for a flag */
    int id;              /* returned by tl_cli_parse_next */
    const char *help;    /* one line */
    unsigned flags;      /* TL_OPT_MULTI */
} tl_cli_opt;
#define TL_CLI_OPT_END {NULL, NULL, 0, NULL, 0}

/* the configuration a run uses */
#define TL_CLI_OPT_PROFILE                                                                         \
    {"--profile", "P", TL_OC_PROFILE, "configuration: default, tasklab or wazuh (default: default)", 0}
#define TL_CLI_OPTS_RULESET TL_CLI_OPT_PROFILE, TL_CLI_OPTS_USER_RULES
#define TL_CLI_OPTS_USER_RULES                                                                     \
    {"--ruleset", "DIR", TL_OC_RULESET, "your rules/ and decoders/ instead of the profile's", 0},   \
    {"--wazuh-dir", "DIR", TL_OC_WAZUH_DIR, "an installed Wazuh manager tree (etc/ossec.conf)", 0}, \
    {"--rules", "FILE", TL_OC_RULES, "an extra rule file, loaded last (local_rules.xml replaces the profile's)", TL_OPT_MULTI}, \
    {"--decoders", "FILE", TL_OC_DECODERS, "an extra decoder file, loaded last", TL_OPT_MULTI},  \
    {"--strict-rules", NULL, TL_OC_STRICT_RULES, "a warning about your own rule files is an error (exit 2)", 0}, \
    {"--verbose-warnings", NULL, TL_OC_VERBOSE_WARNINGS, "list the stock ruleset's load warnings one by one", 0}
/* the active response's mode */
#define TL_CLI_OPTS_AR                                                                             \
    {"--ar", "MODE", TL_OC_AR, "active response: inproc, exec or wine (default: inproc)", 0},      \
    {"--ar-exe", "PATH", TL_OC_AR_EXE, "the AR executable for --ar exec|wine", 0},                 \
    {"--wineprefix", "DIR", TL_OC_WINEPREFIX, "the Wine prefix for --ar wine", 0},                 \
    {"--ar-timeout", "SECONDS", TL_OC_AR_TIMEOUT,                                                 \
     "kill an AR program still running after this wall-clock time (default 120); a failed AR run " \
     "exits 1", 0}
#define TL_CLI_OPT_SYSMON_CONFIG                                                                   \
    {"--sysmon-config", "FILE", TL_OC_SYSMON_CONFIG, "a Sysmon config XML instead of the scenario's", 0}
/* a deterministic slice of the scenarios, for a CI matrix */
#define TL_CLI_OPT_SHARD                                                                           \
    {"--shard", "I/N", TL_OC_SHARD, "run only slice I of N: items I, I+N, I+2N... of the run (see --merge-results)", 0}

typedef struct tl_cli_cmd {
    const char *name;
    const char *operands; /* "SCENARIO|DIR..." for the synopsis, or "" */
    const char *summary;  /* one line */
    const tl_cli_opt *opts;
    int (*main)(int argc, char **argv); /* argv[0] is the command's name */
    const char *more;                   /* extra help text (NULL or ending in '\n') */
} tl_cli_cmd;

typedef struct tl_cli_parse {
    const tl_cli_cmd *cmd;
    int argc;
    char **argv;
    int i;
    int operands_only;
    const char *val; /* the option's value or the operand */
} tl_cli_parse;

void tl_cli_parse_init(tl_cli_parse *p, const tl_cli_cmd *cmd, int argc, char **argv);
int tl_cli_parse_next(tl_cli_parse *p);
void tl_cli_print_help(const tl_cli_cmd *cmd, FILE *f);
void tl_cli_print_usage(FILE *f);
/* Print tasklab's notes on a run ("$.steps[N]: remote host X not simulated: ...", one a
 * line; tl_run_result.notes), each as "  note: ..." under its summary line. */
void tl_cli_print_notes(const char *notes);
const tl_cli_cmd *tl_cli_find_command(const char *name);
/** Apply a shared row (TL_OC_*); 0 done, -1 bad value (message printed). */
int tl_cli_common_set(tl_cli_common *c, int id, const char *val);
const char *tl_cli_plural(size_t n);
extern const tl_cli_cmd *const tl_cli_commands[];

/* ---- shards and --merge-results (merge.c) ----------------------------------
 * A shardable report carries its run's envelope (merge.c explains the slice
 * rule, the envelope and the checks). A command that shards:
 *   tl_cli_run_info ri;
 *   tl_cli_run_info_init(&ri, &tl_cli_cmd_foo_def, argc, argv, skip_ids, &files,
 *                        files.n, 1, c.shard_i, c.shard_n);   (before slicing files)
 *   ... tl_cli_run_info_junit(&ri, buf) after <testsuite ...>\n, or
 *   tl_cli_run_info_cjson(&ri) as the JSON report's "run" member;
 * and `--merge-results FILE...` calls tl_cli_merge_results("foo", ...). */
typedef struct tl_cli_run_info {
    const char *command;  /* borrowed: the command's name */
    char *options;        /* owned: the result-shaping options, as given */
    char id[17];          /* 16 hex digits of SHA-256(command, options, item names) */
    size_t items;         /* items of the whole run (scenarios, mutants) */
    size_t per_item;      /* report entries per item (coverage: Sysmon configs) */
    int shard_i, shard_n; /* 1/1 when not sharded */
} tl_cli_run_info;
/** skip_ids: option ids (0-ended) that do not shape results (outputs, -j,
 * --shard); items: the whole run's list, in order (base names are hashed);
 * total: items of the whole run. @return TL_OK, TL_E_NOMEM. */
tl_status tl_cli_run_info_init(tl_cli_run_info *ri, const tl_cli_cmd *cmd, int argc, char **argv,
                               const int *skip_ids, const tl_cli_list *items, size_t total,
                               size_t per_item, int shard_i, int shard_n);
void tl_cli_run_info_free(tl_cli_run_info *ri);
/** The JUnit <properties> block (indented 2, one line each), appended to out. */
void tl_cli_run_info_junit(const tl_cli_run_info *ri, tl_buf *out);
/** The JSON "run" object (a cJSON *, owned by the caller; NULL out of memory). */
struct cJSON *tl_cli_run_info_cjson(const tl_cli_run_info *ri);
/** Put the envelope into a report written elsewhere (mutate's): JUnit after the
 * <testsuite ...> line, JSON as the first member. */
tl_status tl_cli_run_info_inject(const tl_cli_run_info *ri, int junit, tl_buf *report);
typedef struct tl_cli_merge_result {
    tl_buf out;          /* the merged report */
    int junit;           /* the reports were JUnit (else JSON) */
    size_t tests, failures, errors, skipped; /* JUnit sums; mutate: mutants */
    double score;        /* mutate: killed / (killed + survived) * 100 */
    struct cJSON *merged; /* tree-shaped JSON (coverage): the merged tree */
} tl_cli_merge_result;
/** Merge the reports `files` of every slice of one run of `command`. Messages
 * on stderr ("file: JSON path: what"). @return 0, or 2 (bad input). */
int tl_cli_merge_results(const char *command, char **files, size_t n, tl_cli_merge_result *r);
void tl_cli_merge_result_free(tl_cli_merge_result *r);
#define TL_CLI_OPT_MERGE(id)                                                                       \
    {"--merge-results", NULL, id,                                                                  \
     "the operands are the reports (JSON or JUnit) of every --shard I/N of one run: write the "    \
     "one report the unsharded run writes", 0}

/* ---- terminal (term.c) ----------------------------------------------------- */
/** 1 when fd is a terminal and neither NO_COLOR nor TERM=dumb says no colour. */
int tl_cli_color(int fd);
/** Progress on stderr, only on a terminal and only once the work has taken ~1 s
 *  (TASKLAB_PROGRESS_AFTER=seconds changes that delay). */
typedef struct tl_cli_progress {
    const char *what;
    double t0;
    double after; /* seconds before the first progress line */
    int shown;
    int tty;
} tl_cli_progress;
void tl_cli_progress_start(tl_cli_progress *p, const char *what);
void tl_cli_progress_step(tl_cli_progress *p, size_t done, size_t total);
void tl_cli_progress_end(tl_cli_progress *p);
double tl_cli_monotonic(void);

extern int tl_cli_quiet_warnings;

const char *tl_cli_home(void);
char *tl_cli_etc_dir(void);
char *tl_cli_shared_dir(void);
void tl_cli_error(const tl_diag *d);
void tl_cli_init_json(void);
void tl_cli_list_free(tl_cli_list *l);
tl_status tl_cli_list_add(tl_cli_list *l, const char *s);
/** 1 when the file a "file:line: ..." message names is one of the user's
 * (--rules, --decoders, inside --ruleset, a --wazuh-dir's etc/). */
int tl_cli_is_user_file(const tl_cli_common *c, const char *msg);
tl_status tl_cli_shard_filter(tl_cli_list *files, int shard_i, int shard_n);
tl_status tl_cli_expand_scenarios(char **args, int nargs, tl_cli_list *out, tl_diag *d);
void tl_cli_common_init(tl_cli_common *c);
void tl_cli_common_free(tl_cli_common *c);
int tl_cli_common_opt(tl_cli_common *c, int argc, char **argv, int *i);
int tl_cli_ar_failed(const char *scenario_path, const tl_run_result *res);

/** What logtest's stdin loop saw: the last event's result and the lines in error. */
typedef struct tl_cli_logtest_last {
    int have; /* the last processed event matched a rule */
    char rule[16], level[16], dec[256];
    unsigned long errors; /* lines that could not be processed */
} tl_cli_logtest_last;
/**
 * logtest's stdin reader (also the fuzz target tests/fuzz/fuzz_logtest_stdin.c):
 * one event a line from `in` ("\n", a "\r" before it stripped, empty lines
 * skipped) through lt; each result to `out` (text, or JSON when json), each
 * line that cannot be processed one message on `err` naming its number. A
 * line longer than TL_LOGTEST_MAX_EVENT is consumed without being kept
 * (memory stays bounded). @return TL_OK, TL_E_NOMEM, TL_E_IO (read error);
 * messages printed.
 */
tl_status tl_cli_logtest_stream(tl_logtest *lt, FILE *in, FILE *out, FILE *err, int json,
                                tl_cli_logtest_last *last);
tl_status tl_cli_load_ruleset(const tl_cli_common *c, tl_ruleset **rs, tl_diag *d);
void tl_cli_fill_run_opts(tl_cli_common *c, const char *argv0, tl_run_opts *ro);

extern const tl_cli_cmd tl_cli_cmd_run_def, tl_cli_cmd_test_def, tl_cli_cmd_logtest_def,
    tl_cli_cmd_ruleset_test_def, tl_cli_cmd_sysmon_def, tl_cli_cmd_explain_def,
    tl_cli_cmd_coverage_def, tl_cli_cmd_report_def, tl_cli_cmd_bench_def, tl_cli_cmd_version_def,
    tl_cli_cmd_replay_def,
    tl_cli_cmd_mutate_def, tl_cli_cmd_compare_def;
int tl_cli_cmd_version(int argc, char **argv);
extern const tl_cli_cmd tl_cli_cmd_lint_def, tl_cli_cmd_list_def, tl_cli_cmd_new_def;
int tl_cli_cmd_list(int argc, char **argv);
int tl_cli_cmd_new(int argc, char **argv);
int tl_cli_cmd_lint(int argc, char **argv);
int tl_cli_run(int argc, char **argv);
int tl_cli_sysmon(int argc, char **argv);
int tl_cli_explain(int argc, char **argv);
int tl_cli_cmd_test(int argc, char **argv);
int tl_cli_cmd_logtest(int argc, char **argv);
int tl_cli_cmd_ruleset_test(int argc, char **argv);
int tl_cli_cmd_bench(int argc, char **argv);
int tl_cli_cmd_coverage(int argc, char **argv);
int tl_cli_cmd_replay(int argc, char **argv);
int tl_cli_cmd_compare(int argc, char **argv);
int tl_cli_cmd_report(int argc, char **argv);
int tl_cli_cmd_mutate(int argc, char **argv);
extern const tl_cli_cmd tl_cli_cmd_vary_def;
int tl_cli_cmd_vary(int argc, char **argv);
extern const tl_cli_cmd tl_cli_cmd_export_def;
int tl_cli_cmd_export(int argc, char **argv);

#endif /* TL_CLI_H */
