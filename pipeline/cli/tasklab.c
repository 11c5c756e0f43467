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

const char tl_cli_usage[] =
    "usage: tasklab <command> [options]\n"
    "\n"
    "commands:\n"
    "  run      [--out DIR] [--profile P] [--ar inproc|exec|wine] SCENARIO|DIR...\n"
    "  test     [--profile P] [--bless] [--junit FILE] [-j N] [--ar MODE] [SCENARIO|DIR...]\n"
    "  logtest  [-j] [-v] [--ruleset DIR] [--rules FILE]...   (events on stdin, one a line)\n"
    "  ruleset-test [--ruleset DIR] INI...\n"
    "  sysmon   [--config FILE] [--explain] SCENARIO\n"
    "  explain  [--profile P] SCENARIO\n"
    "  bench    rules|sysmon|pipeline [-n N] [--runs R]\n"
    "  coverage [--profile P]... [--sysmon-config FILE]... [--json] [--own-config] [--require P]\n"
    "           [SCENARIO|DIR...]\n"
    "\n"
    "common options:\n"
    "  --profile default|tasklab|wazuh  configuration to use (default: default)\n"
    "  --ruleset DIR             a folder with rules/ and decoders/ to use instead\n"
    "  --wazuh-dir DIR           an installed Wazuh manager tree (etc/ossec.conf, ruleset/)\n"
    "  --rules FILE              an extra rule file (repeatable)\n"
    "  --ar-exe PATH             the AR executable for --ar exec|wine\n"
    "  --wineprefix DIR          the Wine prefix for --ar wine\n"
    "environment: TASKLAB_HOME (project root), TASKLAB_SHARED (../shared), CI (refuses --bless)\n";

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

/* ---- common option parsing ---------------------------------------------- */

static void warn_stderr(void *ctx, const char *msg)
{
    int *quiet = ctx;
    if (!quiet || !*quiet)
        fprintf(stderr, "tasklab: warning: %s\n", msg);
}

int tl_cli_quiet_warnings = 1;

/* Parse one option shared by run/test/explain/coverage. Returns 1 when
 * consumed (advancing *i), 0 when not an option of ours, -1 on error. */
int tl_cli_common_opt(tl_cli_common *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (*i + 1 >= argc) {                                                                      \
            fprintf(stderr, "tasklab: option '%s' needs a value\n", a);                           \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    if (!strcmp(a, "--profile")) {
        NEED_ARG();
        c->profile = argv[++*i];
        if (strcmp(c->profile, "default") && strcmp(c->profile, "wazuh") &&
            strcmp(c->profile, "tasklab")) {
            fprintf(stderr, "tasklab: unknown profile '%s' (expected default, tasklab or wazuh)\n",
                    c->profile);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--ruleset")) {
        NEED_ARG();
        c->ruleset_dir = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--wazuh-dir")) {
        NEED_ARG();
        c->wazuh_dir = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--rules")) {
        NEED_ARG();
        if (tl_cli_list_add(&c->rules, argv[++*i]) != TL_OK)
            return -1;
        return 1;
    }
    if (!strcmp(a, "--ar")) {
        NEED_ARG();
        const char *m = argv[++*i];
        if (!strcmp(m, "inproc"))
            c->ar_mode = TL_AR_INPROC;
        else if (!strcmp(m, "exec"))
            c->ar_mode = TL_AR_EXEC;
        else if (!strcmp(m, "wine"))
            c->ar_mode = TL_AR_WINE;
        else {
            fprintf(stderr, "tasklab: unknown AR mode '%s' (expected inproc, exec or wine)\n", m);
            return -1;
        }
        return 1;
    }
    if (!strcmp(a, "--ar-exe")) {
        NEED_ARG();
        c->ar_exe = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--wineprefix")) {
        NEED_ARG();
        c->wineprefix = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--sysmon-config")) {
        NEED_ARG();
        c->sysmon_config = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--verbose-warnings")) {
        tl_cli_quiet_warnings = 0;
        return 1;
    }
#undef NEED_ARG
    return 0;
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
    po.etc_dir = c->etc_dir;
    po.shared_dir = c->shared_dir;
    po.warn = warn_stderr;
    po.warn_ctx = &tl_cli_quiet_warnings;
    return tl_profile_load(&po, rs, d);
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
    if (!ro->ar_exe && c->default_exe)
        ro->ar_exe = c->default_exe;
    if (!ro->ar_exe && c->ar_mode != TL_AR_INPROC) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
        } else {
            snprintf(self, sizeof self, "%s", argv0);
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(self, sizeof self, ".");
        }
        tl_buf b = TL_BUF_INIT;
        if (c->ar_mode == TL_AR_EXEC)
            tl_buf_printf(&b, "%s/analyze-scheduled-task", self);
        else
            tl_buf_printf(&b, "%s/../build-mingw/analyze-scheduled-task.exe", self);
        c->default_exe = tl_buf_take(&b);
        ro->ar_exe = c->default_exe;
    }
}

/* ---- run ---------------------------------------------------------------- */

int tl_cli_run(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *out = NULL;
    int rc = 0, nargs = 0, skipped = 0, ran = 0;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    tl_cli_list files = {0};
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    for (int i = 1; i < argc; i++) {
        int r = tl_cli_common_opt(&c, argc, argv, &i);
        if (r < 0) {
            rc = 2;
            goto done;
        }
        if (r)
            continue;
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tasklab: option '--out' needs a value\n");
                rc = 2;
                goto done;
            }
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "tasklab run: unknown option '%s' (see tasklab --help)\n", argv[i]);
            rc = 2;
            goto done;
        } else {
            args[nargs++] = argv[i];
        }
    }
    if (!nargs) {
        fprintf(stderr, "tasklab run: no scenario given (see tasklab --help)\n");
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
            ran++;
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
    tl_ruleset_free(rs);
    tl_cli_list_free(&files);
    tl_cli_common_free(&c);
    free(args);
    return rc;
}

/* ---- sysmon ------------------------------------------------------------- */

int tl_cli_sysmon(int argc, char **argv)
{
    const char *config = NULL, *scen = NULL;
    int explain = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--explain"))
            explain = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "tasklab sysmon: unknown option '%s' (see tasklab --help)\n", argv[i]);
            return 2;
        } else if (!scen)
            scen = argv[i];
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

/* ---- explain ------------------------------------------------------------ */

int tl_cli_explain(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *scen = NULL;
    int rc = 0;
    tl_ruleset *rs = NULL;
    tl_scenario *sc = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    tl_diag d;
    tl_diag_clear(&d);
    for (int i = 1; i < argc; i++) {
        int r = tl_cli_common_opt(&c, argc, argv, &i);
        if (r < 0) {
            rc = 2;
            goto done;
        }
        if (r)
            continue;
        if (argv[i][0] == '-') {
            fprintf(stderr, "tasklab explain: unknown option '%s' (see tasklab --help)\n", argv[i]);
            rc = 2;
            goto done;
        }
        scen = argv[i];
    }
    if (!scen) {
        fprintf(stderr, "tasklab explain: no scenario given\n");
        rc = 2;
        goto done;
    }
    tl_status st = tl_scenario_load(scen, &sc, &d);
    if (st == TL_OK)
        st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st == TL_OK) {
        tl_run_opts ro;
        tl_cli_fill_run_opts(&c, argv[0], &ro);
        ro.trace = 1;
        ro.color = isatty(1);
        st = tl_pipeline_run(sc, rs, &ro, &res, &d);
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    printf("scenario %s: %s\n\n%s\nfinal alerts:\n", tl_scenario_name(sc), tl_scenario_title(sc),
           res.trace ? res.trace : "");
    for (const char *p = res.alerts_json; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *a = cJSON_ParseWithLength(p, l);
        const cJSON *rule = cJSON_GetObjectItemCaseSensitive(a, "rule");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(rule, "id");
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(rule, "level");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(rule, "description");
        if (cJSON_IsString(id))
            printf("  rule %s level %d: %s\n", id->valuestring, cJSON_IsNumber(lv) ? lv->valueint : 0,
                   cJSON_IsString(ds) ? ds->valuestring : "");
        cJSON_Delete(a);
        p = nl ? nl + 1 : p + l;
    }
    printf("\n%s (full alerts: tasklab run --out DIR)\n", res.summary);
done:
    tl_run_result_clear(&res);
    tl_scenario_free(sc);
    tl_ruleset_free(rs);
    tl_cli_common_free(&c);
    return rc;
}

