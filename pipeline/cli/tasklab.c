/* SPDX-License-Identifier: MIT */
/*
 * tasklab: the command-line front of the libraries. A thin layer: it parses
 * the command line (a contract CI scripts depend on, ARCHITECTURE.md), finds
 * the project's configuration, and calls libtl_pipeline / libtl_sim /
 * libtl_manager. Exit status: 0 success, 1 a test or expectation failed,
 * 2 bad input or configuration (always with a one-line message naming the file
 * and line), 77 when everything asked for was skipped (ctest's skip code).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/platform.h"

#include <dirent.h>
#include <errno.h>
#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TL_SOURCE_DIR
#define TL_SOURCE_DIR "."
#endif

/* ---- paths -------------------------------------------------------------- */

const char *tl_cli_home(void)
{
    const char *h = getenv("TASKLAB_HOME");
    return h && *h ? h : TL_SOURCE_DIR;
}

char *tl_cli_etc_dir(void) { return tl_path_join(tl_cli_home(), "pipeline/etc"); }

char *tl_cli_shared_dir(void)
{
    const char *s = getenv("TASKLAB_SHARED");
    if (s && *s)
        return tl_strdup(s);
    return tl_path_join(tl_cli_home(), "../shared");
}

void tl_cli_error(const tl_diag *d)
{
    char msg[2048];
    tl_diag_format(d, msg, sizeof msg);
    fprintf(stderr, "tasklab: %s\n", msg);
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void tl_cli_list_free(tl_cli_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        tl_free(l->v[i]);
    tl_free(l->v);
    memset(l, 0, sizeof *l);
}

tl_status tl_cli_list_add(tl_cli_list *l, const char *s)
{
    char **nv = tl_realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    l->v = nv;
    l->v[l->n] = tl_strdup(s);
    if (!l->v[l->n])
        return TL_E_NOMEM;
    l->n++;
    return TL_OK;
}

/* Expand SCENARIO|DIR arguments into sorted scenario file paths. */
tl_status tl_cli_expand_scenarios(char **args, int nargs, tl_cli_list *out, tl_diag *d)
{
    for (int i = 0; i < nargs; i++) {
        if (is_dir(args[i])) {
            DIR *dir = opendir(args[i]);
            if (!dir) {
                tl_diag_set(d, args[i], 0, "cannot read folder: %s", strerror(errno));
                return TL_E_IO;
            }
            tl_cli_list tmp = {0};
            struct dirent *e;
            while ((e = readdir(dir))) {
                size_t l = strlen(e->d_name);
                if (l > 5 && !strcmp(e->d_name + l - 5, ".json") && e->d_name[0] != '.') {
                    char *p = tl_path_join(args[i], e->d_name);
                    /* a folder lists regular files only: no FIFO, no link */
                    if (p && tl_path_kind(p) != TL_PATH_FILE) {
                        tl_free(p);
                        continue;
                    }
                    if (!p || tl_cli_list_add(&tmp, p) != TL_OK) {
                        tl_free(p);
                        closedir(dir);
                        tl_cli_list_free(&tmp);
                        return TL_E_NOMEM;
                    }
                    tl_free(p);
                }
            }
            closedir(dir);
            qsort(tmp.v, tmp.n, sizeof *tmp.v, cmp_str);
            for (size_t k = 0; k < tmp.n; k++)
                if (tl_cli_list_add(out, tmp.v[k]) != TL_OK) {
                    tl_cli_list_free(&tmp);
                    return TL_E_NOMEM;
                }
            tl_cli_list_free(&tmp);
        } else {
            struct stat sb;
            if (stat(args[i], &sb) != 0) {
                tl_diag_set(d, args[i], 0, "no such scenario file");
                return TL_E_NOTFOUND;
            }
            if (tl_cli_list_add(out, args[i]) != TL_OK)
                return TL_E_NOMEM;
        }
    }
    return TL_OK;
}

/* --shard I/N: keep the scenarios at positions I-1, I-1+N, ... of the run's
 * list (arguments in order, each folder in name order), in that order. Every
 * scenario is in exactly one slice, and the merged order is a round robin over
 * the slices (merge.c); the run id in each report catches slices of lists in
 * another order. */
tl_status tl_cli_shard_filter(tl_cli_list *files, int shard_i, int shard_n)
{
    if (shard_n <= 1 || !files->n)
        return TL_OK;
    size_t k = 0;
    for (size_t i = 0; i < files->n; i++) {
        if (i % (size_t)shard_n == (size_t)(shard_i - 1))
            files->v[k++] = files->v[i];
        else
            tl_free(files->v[i]);
    }
    files->n = k;
    return TL_OK;
}

/* ---- common option parsing ---------------------------------------------- */

/* Load warnings. A warning about the user's own files (--rules FILE, the
 * --ruleset DIR, the etc/ of a --wazuh-dir: the files a user edits) is always
 * printed, "file:line: rule N: message", and counted for --strict-rules; the
 * stock ruleset's own warnings (Wazuh's or tasklab's files) are counted and
 * summarised in one line after the load, listed one by one with
 * --verbose-warnings. One sink for the process: the ruleset keeps it, and
 * engines on worker threads may warn while they run. */
static struct {
    pthread_mutex_t lock;
    const tl_cli_common *c; /* the options of the load in progress */
    size_t user, stock;
} warn_sink = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

/* 1 when `file` (the text before the first ':') is one of the user's files. */
int tl_cli_is_user_file(const tl_cli_common *c, const char *msg)
{
    if (!c)
        return 0;
    size_t flen = strcspn(msg, ":");
    for (size_t i = 0; i < c->rules.n; i++)
        if (strlen(c->rules.v[i]) == flen && !strncmp(msg, c->rules.v[i], flen))
            return 1;
    for (size_t i = 0; i < c->decoders.n; i++)
        if (strlen(c->decoders.v[i]) == flen && !strncmp(msg, c->decoders.v[i], flen))
            return 1;
    const char *dirs[2] = {c->ruleset_dir, c->wazuh_dir};
    for (int k = 0; k < 2; k++) {
        if (!dirs[k])
            continue;
        size_t l = strlen(dirs[k]);
        while (l > 1 && dirs[k][l - 1] == '/')
            l--;
        if (flen < l || strncmp(msg, dirs[k], l) != 0)
            continue;
        const char *rest = msg + l;
        if (k == 0 && (rest[0] == ':' || rest[0] == '/'))
            return 1; /* anything in the user's ruleset folder, or the folder itself */
        if (k == 1 && !strncmp(rest, "/etc/", 5))
            return 1; /* a manager's etc/ is the user's; its ruleset/ is stock */
    }
    return 0;
}

static void warn_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    pthread_mutex_lock(&warn_sink.lock);
    if (tl_cli_is_user_file(warn_sink.c, msg)) {
        warn_sink.user++;
        fprintf(stderr, "tasklab: warning: %s\n", msg);
    } else {
        warn_sink.stock++;
        if (!tl_cli_quiet_warnings)
            fprintf(stderr, "tasklab: warning: %s\n", msg);
    }
    pthread_mutex_unlock(&warn_sink.lock);
}

int tl_cli_quiet_warnings = 1;

/* Every shared row, for tl_cli_common_opt (the unit tests' entry point). */
static const tl_cli_opt common_opts[] = {TL_CLI_OPTS_RULESET, TL_CLI_OPTS_AR, TL_CLI_OPT_SYSMON_CONFIG,
                                         TL_CLI_OPT_SHARD, TL_CLI_OPT_END};
static const tl_cli_cmd common_def = {"(common)", "", "", common_opts, NULL, NULL};

int tl_cli_common_set(tl_cli_common *c, int id, const char *v)
{
    switch (id) {
    case TL_OC_PROFILE:
        if (strcmp(v, "default") && strcmp(v, "wazuh") && strcmp(v, "tasklab")) {
            fprintf(stderr, "tasklab: unknown profile '%s' (expected default, tasklab or wazuh)\n",
                    v);
            return -1;
        }
        c->profile = v;
        return 0;
    case TL_OC_RULESET: c->ruleset_dir = v; return 0;
    case TL_OC_WAZUH_DIR: c->wazuh_dir = v; return 0;
    case TL_OC_RULES: return tl_cli_list_add(&c->rules, v) == TL_OK ? 0 : -1;
    case TL_OC_DECODERS: return tl_cli_list_add(&c->decoders, v) == TL_OK ? 0 : -1;
    case TL_OC_AR:
        if (!strcmp(v, "inproc"))
            c->ar_mode = TL_AR_INPROC;
        else if (!strcmp(v, "exec"))
            c->ar_mode = TL_AR_EXEC;
        else if (!strcmp(v, "wine"))
            c->ar_mode = TL_AR_WINE;
        else {
            fprintf(stderr, "tasklab: unknown AR mode '%s' (expected inproc, exec or wine)\n", v);
            return -1;
        }
        return 0;
    case TL_OC_AR_EXE: c->ar_exe = v; return 0;
    case TL_OC_WINEPREFIX: c->wineprefix = v; return 0;
    case TL_OC_AR_TIMEOUT: {
        char *end;
        long s = strtol(v, &end, 10);
        if (end == v || *end || s < 1 || s > 3600) {
            fprintf(stderr, "tasklab: --ar-timeout needs a number of seconds from 1 to 3600, not '%s'\n", v);
            return -1;
        }
        c->ar_timeout_ms = (int)s * 1000;
        return 0;
    }
    case TL_OC_SYSMON_CONFIG: c->sysmon_config = v; return 0;
    case TL_OC_VERBOSE_WARNINGS: tl_cli_quiet_warnings = 0; return 0;
    case TL_OC_STRICT_RULES: c->strict_rules = 1; return 0;
    case TL_OC_SHARD: {
        char *end;
        long i = strtol(v, &end, 10);
        long n = *end == '/' ? strtol(end + 1, &end, 10) : 0;
        if (*end || n < 1 || n > 1000 || i < 1 || i > n) {
            fprintf(stderr, "tasklab: --shard '%s': expected I/N with 1 <= I <= N <= 1000\n", v);
            return -1;
        }
        c->shard_i = (int)i;
        c->shard_n = (int)n;
        return 0;
    }
    default:
        fprintf(stderr, "tasklab: internal error: option %d not handled\n", id);
        return -1;
    }
}

/* Parse one shared option at argv[*i]. Returns 1 when consumed (advancing
 * *i), 0 when not a shared option, -1 on error. */
int tl_cli_common_opt(tl_cli_common *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (a[0] != '-')
        return 0;
    int known = 0;
    for (const tl_cli_opt *o = common_opts; o->name; o++)
        known |= !strcmp(o->name, a) || (o->metavar && !strncmp(o->name, a, strlen(o->name)) &&
                                         a[strlen(o->name)] == '=');
    if (!known)
        return 0;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &common_def, argc, argv);
    p.i = *i - 1;
    int id = tl_cli_parse_next(&p);
    if (id < TL_OC_FIRST)
        return -1;
    *i = p.i;
    return tl_cli_common_set(c, id, p.val) < 0 ? -1 : 1;
}

tl_status tl_cli_load_ruleset(const tl_cli_common *c, tl_ruleset **rs, tl_diag *d)
{
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = c->profile ? c->profile : "default";
    po.ruleset_dir = c->ruleset_dir;
    po.wazuh_dir = c->wazuh_dir;
    po.extra_rules = (const char *const *)c->rules.v;
    po.n_extra_rules = c->rules.n;
    po.extra_decoders = (const char *const *)c->decoders.v;
    po.n_extra_decoders = c->decoders.n;
    po.etc_dir = c->etc_dir;
    po.shared_dir = c->shared_dir;
    po.warn = warn_stderr;
    po.warn_ctx = NULL;
    pthread_mutex_lock(&warn_sink.lock);
    warn_sink.c = c;
    warn_sink.user = warn_sink.stock = 0;
    pthread_mutex_unlock(&warn_sink.lock);
    tl_status st = tl_profile_load(&po, rs, d);
    pthread_mutex_lock(&warn_sink.lock);
    size_t user = warn_sink.user, stock = warn_sink.stock;
    warn_sink.c = NULL;
    pthread_mutex_unlock(&warn_sink.lock);
    if (st != TL_OK)
        return st;
    if (stock && tl_cli_quiet_warnings)
        fprintf(stderr,
                "tasklab: note: %zu warning%s in the stock rules and decoders of profile %s "
                "(--verbose-warnings lists them)\n",
                stock, tl_cli_plural(stock), po.profile);
    if (user && c->strict_rules) {
        tl_ruleset_free(*rs);
        *rs = NULL;
        tl_diag_set(d, "", 0, "%zu warning%s about your rule files, an error with --strict-rules",
                    user, tl_cli_plural(user));
        return TL_E_RULE;
    }
    return TL_OK;
}

void tl_cli_common_init(tl_cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->profile = "default";
    c->ar_mode = TL_AR_INPROC;
    c->etc_dir = tl_cli_etc_dir();
    c->shared_dir = tl_cli_shared_dir();
}

void tl_cli_common_free(tl_cli_common *c)
{
    tl_free(c->etc_dir);
    tl_free(c->shared_dir);
    tl_free(c->default_exe);
    tl_cli_list_free(&c->rules);
    tl_cli_list_free(&c->decoders);
}

/* Default AR executable for exec/wine: next to the tasklab binary. */
void tl_cli_fill_run_opts(tl_cli_common *c, const char *argv0, tl_run_opts *ro)
{
    memset(ro, 0, sizeof *ro);
    ro->ar_mode = c->ar_mode;
    ro->ar_exe = c->ar_exe;
    ro->wineprefix = c->wineprefix ? c->wineprefix : getenv("WINEPREFIX");
    ro->etc_dir = c->etc_dir;
    ro->shared_dir = c->shared_dir;
    ro->sysmon_config = c->sysmon_config;
    ro->ar_timeout_ms = c->ar_timeout_ms;
    if (!ro->ar_exe && c->default_exe)
        ro->ar_exe = c->default_exe;
    if (!ro->ar_exe && c->ar_mode != TL_AR_INPROC) {
        char self[4096];
        if (tl_self_dir(self, sizeof self) != 0) {
            snprintf(self, sizeof self, "%s", argv0);
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(self, sizeof self, ".");
        }
        tl_buf b = TL_BUF_INIT;
        if (c->ar_mode == TL_AR_EXEC)
            tl_buf_printf(&b, "%s/analyze-scheduled-task%s", self, TL_EXE_SUFFIX);
        else
            tl_buf_printf(&b, "%s/../build-mingw/analyze-scheduled-task.exe", self);
        c->default_exe = tl_buf_take(&b);
        ro->ar_exe = c->default_exe;
    }
}

/* Report failed AR runs of a finished run on stderr; 1 when there were some. */
int tl_cli_ar_failed(const char *scenario_path, const tl_run_result *res)
{
    if (!res->n_ar_failed)
        return 0;
    fprintf(stderr, "tasklab: %s: %zu of %zu active-response run%s failed, first: %s\n",
            scenario_path, res->n_ar_failed, res->n_ar_runs, res->n_ar_runs == 1 ? "" : "s",
            res->ar_failure);
    return 1;
}

/* ---- run ---------------------------------------------------------------- */

enum { O_RUN_OUT = 1 };
static const tl_cli_opt run_opts[] = {
    {"--out", "DIR", O_RUN_OUT, "write DIR/<scenario>/{events.xml,alerts.json,...}", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPTS_AR, TL_CLI_OPT_SYSMON_CONFIG, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_run_def = {
    "run", "SCENARIO|DIR...", "run scenarios through the whole pipeline and print a summary of each",
    run_opts, tl_cli_run, NULL};

/* tasklab's notes on what a run did not simulate (a remote /s host), under its summary */
void tl_cli_print_notes(const char *notes)
{
    for (const char *p = notes ? notes : ""; *p;) {
        const char *nl = strchr(p, '\n');
        int l = (int)(nl ? nl - p : (long)strlen(p));
        printf("  note: %.*s\n", l, p);
        p += l + (nl ? 1 : 0);
    }
}

int tl_cli_run(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *out = NULL;
    int rc = 0, nargs = 0, skipped = 0, ran = 0, out_lock = -1;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    tl_cli_list files = {0};
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_run_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND)
            args[nargs++] = (char *)p.val;
        else if (o == O_RUN_OUT)
            out = p.val;
        else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!nargs) {
        fprintf(stderr, "tasklab run: no scenario given (see tasklab run --help)\n");
        rc = 2;
        goto done;
    }
    if (tl_cli_expand_scenarios(args, nargs, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_status st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    if (out && tl_mkdirs(out, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    /* one run at a time per output folder: two would mix their drives' logs */
    if (out && tl_dir_lock(out, &out_lock, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    for (size_t i = 0; i < files.n; i++) {
        tl_scenario *sc = NULL;
        tl_run_result res;
        tl_run_opts ro;
        memset(&res, 0, sizeof res);
        tl_diag_clear(&d);
        st = tl_scenario_load(files.v[i], &sc, &d);
        if (st != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            continue;
        }
        tl_cli_fill_run_opts(&c, argv[0], &ro);
        ro.out_dir = out;
        st = tl_pipeline_run(sc, rs, &ro, &res, &d);
        if (st == TL_E_NOTFOUND) {
            printf("%-34s skipped: %s\n", tl_scenario_name(sc), d.msg);
            skipped++;
        } else if (st != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
        } else {
            printf("%-34s %s\n", tl_scenario_name(sc), res.summary);
            tl_cli_print_notes(res.notes);
            ran++;
            if (tl_cli_ar_failed(tl_scenario_path(sc), &res) && rc == 0)
                rc = 1;
        }
        tl_run_result_clear(&res);
        tl_scenario_free(sc);
    }
    printf("%d scenario%s run%s", ran, ran == 1 ? "" : "s", skipped ? "" : "\n");
    if (skipped)
        printf(", %d skipped\n", skipped);
    if (out && ran)
        printf("outputs in %s/<scenario>/\n", out);
    if (rc == 0 && !ran && skipped)
        rc = 77;
done:
    tl_dir_unlock(out_lock);
    tl_ruleset_free(rs);
    tl_cli_list_free(&files);
    tl_cli_common_free(&c);
    free(args);
    return rc;
}

/* ---- sysmon ------------------------------------------------------------- */

enum { O_SM_CONFIG = 1, O_SM_EXPLAIN };
static const tl_cli_opt sysmon_opts[] = {
    {"--config", "FILE", O_SM_CONFIG, "a Sysmon config XML instead of the scenario's", 0},
    {"--explain", NULL, O_SM_EXPLAIN, "a comment before each record: the step and why it was logged", 0},
    TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_sysmon_def = {"sysmon", "SCENARIO",
                                         "print the event XML records a scenario logs (the Sysmon "
                                         "engine and the other channels only)",
                                         sysmon_opts, tl_cli_sysmon, NULL};

int tl_cli_sysmon(int argc, char **argv)
{
    const char *config = NULL, *scen = NULL;
    int explain = 0, rc = 0;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_sysmon_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR)
            return o == TL_OPT_HELP ? 0 : 2;
        if (o == O_SM_CONFIG)
            config = p.val;
        else if (o == O_SM_EXPLAIN)
            explain = 1;
        else if (!scen)
            scen = p.val;
        else {
            fprintf(stderr, "tasklab sysmon: one scenario at a time\n");
            return 2;
        }
    }
    if (!scen) {
        fprintf(stderr, "tasklab sysmon: no scenario given\n");
        return 2;
    }
    char *etc = tl_cli_etc_dir(), *shared = tl_cli_shared_dir();
    tl_scenario *sc = NULL;
    tl_sim *sim = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_scenario_load(scen, &sc, &d);
    if (st == TL_OK) {
        tl_sim_opts so;
        memset(&so, 0, sizeof so);
        so.etc_dir = etc;
        so.shared_dir = shared;
        so.sysmon_config = config;
        st = tl_sim_new(sc, &so, &sim, &d);
    }
    for (size_t i = 0; st == TL_OK && i < tl_sim_step_count(sim); i++) {
        st = tl_sim_run_step(sim, i, &d);
        tl_record r;
        while (st == TL_OK && tl_sim_next_record(sim, &r)) {
            if (explain)
                printf("<!-- step %zu: %s -->\n", r.step + 1, r.explain ? r.explain : "logged");
            printf("%s\n", r.xml);
        }
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
    }
    tl_sim_free(sim);
    tl_scenario_free(sc);
    tl_free(etc);
    tl_free(shared);
    return rc;
}

