/* SPDX-License-Identifier: MIT */
/*
 * tasklab ruleset-test: Wazuh's ruleset/testing/runtests.py INI format
 * (wazuh.md §12) on the tasklab engine.
 *
 *   tasklab ruleset-test [--profile P] [--ruleset DIR] [--rules FILE]...
 *                        [--decoders FILE]... [--test-ruleset DIR]
 *                        [--known-failures FILE] [--now TIME] [-v] [--strict] INI...
 *
 * --now TIME (ISO 8601, default 2024-01-01T00:00:00Z, a Monday) is the receive
 * time of each case's first event (one second more per event): it feeds <time>
 * and <weekday>, never the wall clock.
 * --test-ruleset DIR adds DIR's test_*rules.xml / test_*decoders.xml as
 * runtests.py copies them into etc/ (every INI then runs against the stock
 * ruleset plus all test rules). --known-failures FILE is the reviewed list of
 * cases still failing ("<ini>:<line> cause" a line): they are reported and
 * counted apart; a listed case that passes is a failure (drop it from the list).
 *
 * Ruleset: --ruleset DIR loads DIR/rules and DIR/decoders (the layout of
 * ../shared/reference/wazuh-full) with the stock manager's defaults
 * (0215-policy_rules.xml excluded, DIR/etc/lists/ registered); otherwise the profile's rules (default:
 * pipeline/etc; wazuh: the reference ruleset + pipeline/etc local rules).
 * --rules / --decoders add files after the folders, in the order given
 * (runtests.py copies its test_*_rules.xml / test_*_decoders.xml into etc/,
 * which sorts after the stock files). Like runtests.py, rule 60000 is taken
 * as `decoded_as json` so the INIs' pre-converted {"win":...} lines reach
 * the Windows rules (an engine option; no file is edited).
 *
 * Prints one line per failing case (file:line, section, key, expected vs
 * got; -v adds the logtest phases and rule debugging of the case's last
 * event) and ends with "N passed, N failed" (", N skipped" when some `pass`
 * cases cannot pass with this ruleset: their decoder or rule is missing, the
 * rule's parents are missing, or it needs a CDB list that is absent; each
 * gets a line saying why; --strict counts them as failures). Exit status: 0 all passed,
 * 1 some failed, 2 bad input / configuration, 77 when the ruleset needs
 * ../shared and it is absent.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* runtests.py's ^test_(.*_)?<kind>.xml$ (kind "rules" or "decoders"). */
static int is_test_file(const char *name, const char *kind)
{
    size_t n = strlen(name), k = strlen(kind);
    if (strncmp(name, "test_", 5) != 0 || n < 5 + k + 4)
        return 0;
    const char *rest = name + 5;
    size_t rl = n - 5;
    if (strcmp(rest + rl - 4, ".xml") != 0 || strncmp(rest + rl - 4 - k, kind, k) != 0)
        return 0;
    return rl == k + 4 || rest[rl - 4 - k - 1] == '_';
}

/* --test-ruleset DIR: the files runtests.py copies into etc/rules and
 * etc/decoders (wazuh.md §12.1), in basename order. */
static tl_status add_test_ruleset(const char *dir_path, tl_cli_list *rules, tl_cli_list *decoders,
                                  tl_diag *d)
{
    DIR *dir = opendir(dir_path);
    if (!dir) {
        tl_diag_set(d, dir_path, 0, "--test-ruleset: cannot read folder: %s", strerror(errno));
        return TL_E_IO;
    }
    tl_status st = TL_OK;
    tl_cli_list r = {0}, dd = {0};
    struct dirent *e;
    while ((e = readdir(dir)) && st == TL_OK) {
        tl_cli_list *to = is_test_file(e->d_name, "rules")      ? &r
                          : is_test_file(e->d_name, "decoders") ? &dd
                                                                : NULL;
        if (!to)
            continue;
        char *p = tl_path_join(dir_path, e->d_name);
        st = p ? tl_cli_list_add(to, p) : TL_E_NOMEM;
        tl_free(p);
    }
    closedir(dir);
    qsort(r.v, r.n, sizeof *r.v, cmp_str);
    qsort(dd.v, dd.n, sizeof *dd.v, cmp_str);
    for (size_t i = 0; i < r.n && st == TL_OK; i++)
        st = tl_cli_list_add(rules, r.v[i]);
    for (size_t i = 0; i < dd.n && st == TL_OK; i++)
        st = tl_cli_list_add(decoders, dd.v[i]);
    tl_cli_list_free(&r);
    tl_cli_list_free(&dd);
    if (st == TL_E_NOMEM)
        tl_diag_set(d, dir_path, 0, "out of memory");
    return st;
}

/* --known-failures FILE: one "<ini basename>:<line>" a line, then its cause;
 * '#' starts a comment line. */
static tl_status read_known(const char *path, tl_cli_list *out, char **data_out, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(path, &data, &len, d);
    if (st != TL_OK)
        return st;
    char *p = data;
    int line = 0;
    while (p && *p && st == TL_OK) {
        line++;
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#') {
            char *end = p;
            while (*end && *end != ' ' && *end != '\t')
                end++;
            *end = '\0';
            if (!strchr(p, ':')) {
                tl_diag_set(d, path, line, "expected <file.ini>:<line>, got '%s'", p);
                st = TL_E_PARSE;
                break;
            }
            st = tl_cli_list_add(out, p);
        }
        p = nl ? nl + 1 : NULL;
    }
    *data_out = data;
    return st;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void warn_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    if (!tl_cli_quiet_warnings)
        fprintf(stderr, "tasklab: warning: %s\n", msg);
}

/* Rules + decoders for ruleset-test: like tl_cli_load_ruleset, plus extra
 * decoder files. */
static tl_status load_ruleset(const tl_cli_common *c, const tl_cli_list *decoders,
                              tl_ruleset **out, tl_diag *d)
{
    if (!decoders->n && !c->ruleset_dir)
        return tl_cli_load_ruleset(c, out, d);
    if (c->wazuh_dir) {
        tl_diag_set(d, c->wazuh_dir, 0,
                    "--wazuh-dir cannot be combined with --ruleset or --decoders");
        return TL_E_INVAL;
    }
    tl_status st = TL_OK;
    tl_ruleset_opts ro;
    char *rdir = NULL, *ddir = NULL, *conf = NULL, *base = NULL, *local = NULL;
    const char *rdirs[1], *ddirs[1];
    const char **rfiles = tl_calloc(c->rules.n + 2, sizeof *rfiles);
    size_t nr = 0;
    memset(&ro, 0, sizeof ro);
    ro.warn = warn_stderr;
    TL_TRY_ALLOC(rfiles);
    if (c->ruleset_dir) {
        if (!is_dir(c->ruleset_dir)) {
            tl_diag_set(d, c->ruleset_dir, 0, "--ruleset: not a folder");
            TL_FAIL(TL_E_INVAL);
        }
        rdir = tl_path_join(c->ruleset_dir, "rules");
        ddir = tl_path_join(c->ruleset_dir, "decoders");
        TL_TRY_ALLOC(rdir);
        TL_TRY_ALLOC(ddir);
        if (!is_dir(rdir)) {
            tl_diag_set(d, c->ruleset_dir, 0, "--ruleset: no rules/ folder in it");
            TL_FAIL(TL_E_INVAL);
        }
        rdirs[0] = rdir;
        ro.rule_dirs = rdirs;
        ro.n_rule_dirs = 1;
        ro.stock_ruleset = 1;
        ro.stock_dir = c->ruleset_dir;
        if (is_dir(ddir)) {
            ddirs[0] = ddir;
            ro.decoder_dirs = ddirs;
            ro.n_decoder_dirs = 1;
        }
    } else if (c->profile && !strcmp(c->profile, "wazuh")) {
        base = tl_path_join(c->shared_dir ? c->shared_dir : "", "reference/wazuh-full");
        conf = tl_path_join(c->etc_dir, "ossec-wazuh.conf");
        local = tl_path_join(c->etc_dir, "rules/local_rules.xml");
        TL_TRY_ALLOC(base);
        TL_TRY_ALLOC(conf);
        TL_TRY_ALLOC(local);
        if (!is_dir(base)) {
            tl_diag_set(d, base, 0, "the wazuh profile needs the Wazuh reference ruleset, not found");
            TL_FAIL(TL_E_NOTFOUND);
        }
        ro.ossec_conf = conf;
        ro.base_dir = base;
        rfiles[nr++] = local;
    } else {
        conf = tl_path_join(c->etc_dir, "ossec.conf");
        TL_TRY_ALLOC(conf);
        ro.ossec_conf = conf;
        ro.base_dir = c->etc_dir;
    }
    for (size_t i = 0; i < c->rules.n; i++)
        rfiles[nr++] = c->rules.v[i];
    ro.rule_files = rfiles;
    ro.n_rule_files = nr;
    ro.decoder_files = (const char *const *)decoders->v;
    ro.n_decoder_files = decoders->n;
    st = tl_ruleset_load(&ro, out, d);
cleanup:
    tl_free(rfiles);
    tl_free(rdir);
    tl_free(ddir);
    tl_free(conf);
    tl_free(base);
    tl_free(local);
    return st;
}

enum { O_RT_DECODERS = 1, O_RT_VERBOSE, O_RT_STRICT, O_RT_TEST_RULESET, O_RT_KNOWN, O_RT_NOW };
static const tl_cli_opt rstest_opts[] = {
    {"--test-ruleset", "DIR", O_RT_TEST_RULESET,
     "the test-only rules and decoders of Wazuh's testing/ruleset (as runtests.py copies them)",
     TL_OPT_MULTI},
    {"--known-failures", "FILE", O_RT_KNOWN,
     "the reviewed list of cases still failing: counted apart (one that passes fails)", 0},
    {"--now", "TIME", O_RT_NOW,
     "receive time of each case's first event, for <time>/<weekday> (default "
     "2024-01-01T00:00:00Z)",
     0},
    {"-v", NULL, O_RT_VERBOSE, "for each failing case, the logtest phases and rule debugging", 0},
    {"--strict", NULL, O_RT_STRICT, "count cases this ruleset cannot pass as failures, not skips", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_ruleset_test_def = {
    "ruleset-test", "INI...", "Wazuh's ruleset .ini tests (runtests.py format) on tasklab's engine",
    rstest_opts, tl_cli_cmd_ruleset_test, NULL};

int tl_cli_cmd_ruleset_test(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    tl_cli_list decoders = {0}, inis = {0}, known = {0};
    char *known_data = NULL;
    const char *known_path = NULL;
    tl_time now = 0;
    int rc = 0, flags = 0;
    tl_ruleset *rs = NULL;
    tl_buf report = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);

    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_ruleset_test_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == O_RT_DECODERS || o == TL_OPT_OPERAND) {
            if (tl_cli_list_add(o == O_RT_DECODERS ? &decoders : &inis, p.val) != TL_OK) {
                rc = 2;
                goto done;
            }
        } else if (o == O_RT_TEST_RULESET || o == O_RT_KNOWN) {
            tl_status s2;
            if (o == O_RT_KNOWN) {
                known_path = p.val;
                s2 = read_known(known_path, &known, &known_data, &d);
            } else {
                s2 = add_test_ruleset(p.val, &c.rules, &decoders, &d);
            }
            if (s2 != TL_OK) {
                tl_cli_error(&d);
                rc = 2;
                goto done;
            }
        } else if (o == O_RT_NOW) {
            if (tl_time_parse_iso(p.val, &now) != TL_OK || now == 0) {
                fprintf(stderr, "tasklab ruleset-test: --now needs a time like "
                                "2024-01-01T00:00:00Z\n");
                rc = 2;
                goto done;
            }
        } else if (o == O_RT_VERBOSE) {
            flags |= TL_RSTEST_VERBOSE;
        } else if (o == O_RT_STRICT) {
            flags |= TL_RSTEST_STRICT;
        } else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    /* --decoders (a shared row) go with the test ruleset's decoders */
    for (size_t i = 0; i < c.decoders.n; i++)
        if (tl_cli_list_add(&decoders, c.decoders.v[i]) != TL_OK) {
            rc = 2;
            goto done;
        }
    tl_cli_list_free(&c.decoders);
    if (!inis.n) {
        fprintf(stderr, "tasklab ruleset-test: no INI file given (see tasklab ruleset-test --help)\n");
        rc = 2;
        goto done;
    }
    tl_status st = load_ruleset(&c, &decoders, &rs, &d);
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    tl_diag_clear(&d);
    (void)tl_ruleset_winevt_as_json(rs, &d); /* no rule 60000: nothing to rewrite */

    tl_rstest_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.known = (const char *const *)known.v;
    stats.nknown = known.n;
    stats.start = now;
    for (size_t i = 0; i < inis.n; i++) {
        tl_diag_clear(&d);
        tl_buf_reset(&report);
        st = tl_rstest_run_file(rs, inis.v[i], flags, &report, &stats, &d);
        fputs(tl_buf_cstr(&report), stdout);
        if (st != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
        }
    }
    if (known_path)
        printf("%zu known failures (each listed with its cause in %s)\n", stats.known_failed,
               known_path);
    if (stats.skipped)
        printf("%zu passed, %zu failed, %zu skipped\n", stats.passed, stats.failed, stats.skipped);
    else
        printf("%zu passed, %zu failed\n", stats.passed, stats.failed);
    if (rc == 0 && stats.failed)
        rc = 1;
done:
    tl_buf_free(&report);
    tl_ruleset_free(rs);
    tl_cli_list_free(&decoders);
    tl_cli_list_free(&inis);
    tl_cli_list_free(&known);
    tl_free(known_data);
    tl_cli_common_free(&c);
    return rc;
}
