/* SPDX-License-Identifier: MIT */
/*
 * tasklab bench: throughput figures, measured from outside the libraries (the
 * libraries never read the wall clock). Each figure is the median of --runs
 * runs (default 5); memory is the process's peak RSS before and after the
 * longest run, to show it stays flat.
 *
 *   bench rules    [-n N]   a seeded mix of Sysmon events (made by the simulator
 *                           from the soak scenario's background generator and
 *                           the library's attack scenarios) through the full
 *                           manager path: eventchannel conversion, decoders, every
 *                           rule of the profile, alert JSON; then the same events
 *                           pre-converted to {"win":…} JSON lines (json decoder).
 *   bench rules --input FILE  the messages of FILE (one JSON string a line, as
 *                           the oracle evtx .queue files), in order, through
 *                           the full manager path; -n defaults to one pass over them.
 *                           With --out ALERTS each run also writes its alerts.json
 *                           lines to ALERTS (truncated per run; the write and the
 *                           final fclose are inside the timed span).
 *   bench queue --out FILE  write the messages the manager receives while the
 *                           scenario library runs (the input of the A/B comparison).
 *   bench sysmon   [-n N]   raw events (process create, file create, registry
 *                           set/create) through a Sysmon config (default
 *                           sysmon-modular) to rendered XML.
 *   bench mutate [-j N]     tasklab mutate over the profile's own rules and the whole
 *                           library (soak included): mutants per second, wall and CPU.
 *   bench pipeline          the whole scenario library through the pipeline
 *                           (in-process AR, sequential), and the soak alone.
 *   bench vary [-n N] [-j N] [SCENARIO...]  tasklab vary (--n N, default 50,
 *                           seed 1) over the library's schtasks scenarios
 *                           (attack scenarios with a schtasks command step, the
 *                           soak aside) or the given ones: variants per second,
 *                           wall and CPU, and the load average at start and end.
 *   bench replay [FILE...]  recorded event logs (default: every .evtx of
 *                           ../shared/reference/evtx) through the full replay
 *                           path: tasklab's EVTX reader, queue line, a fresh
 *                           engine per file with the profile's rules (use
 *                           --profile wazuh for the complete stock ruleset).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1 /* getloadavg, wait4 (bench report) */
#include "cli.h"
#include "tasklab/platform.h"
#include "tasklab/proc.h"

#include "tasklab/replay.h"
#include "tasklab/studies.h"
#include "tasklab/vary.h"
#include "tasklab/sysmon.h"
#include "tasklab/winevt.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static tl_cli_progress bench_prog; /* "tasklab bench: run r/R" on a terminal */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Process CPU time: on a loaded shared machine it is the steadier figure. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    return tl_peak_rss_kb();
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Collect queue lines from scenarios via the simulator + agent forwarder. */
static tl_status collect_events(tl_cli_common *c, tl_cli_list *lines, size_t max, tl_diag *d)
{
    tl_cli_list files = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    tl_status st = tl_cli_expand_scenarios(args, 1, &files, d);
    for (size_t i = 0; st == TL_OK && i < files.n && lines->n < max; i++) {
        tl_scenario *sc = NULL;
        tl_sim *sim = NULL;
        if (tl_scenario_load(files.v[i], &sc, d) != TL_OK)
            continue;
        tl_sim_opts so;
        memset(&so, 0, sizeof so);
        so.etc_dir = c->etc_dir;
        so.shared_dir = c->shared_dir;
        if (tl_sim_new(sc, &so, &sim, d) == TL_OK) {
            for (size_t s = 0; s < tl_sim_step_count(sim) && lines->n < max; s++) {
                if (tl_sim_run_step(sim, s, d) != TL_OK)
                    break;
                tl_record r;
                while (tl_sim_next_record(sim, &r) && lines->n < max) {
                    char *p = tl_agent_eventchannel_payload(r.message, r.xml);
                    char *q = p ? tl_agent_queue_line('f', "001", tl_scenario_agent_name(sc),
                                                      "any", "EventChannel", p)
                                : NULL;
                    if (q)
                        st = tl_cli_list_add(lines, q);
                    tl_free(p);
                    tl_free(q);
                }
            }
        }
        tl_sim_free(sim);
        tl_scenario_free(sc);
    }
    tl_cli_list_free(&files);
    tl_free(dir);
    return st;
}

/* --input FILE: one JSON string a line ("f:[001] (x) any->EventChannel:{...}"),
 * the form of the oracle's evtx .queue files and of `bench queue`. */
static tl_status read_queue_file(const char *path, tl_cli_list *lines, tl_diag *d)
{
    /* streamed (the library's messages exceed tl_file_read's 64 MiB bound);
     * one line is at most 16 MiB */
    FILE *f = fopen(path, "rb");
    if (!f) {
        tl_diag_set(d, path, 0, "cannot open: %s", strerror(errno));
        return TL_E_IO;
    }
    tl_cli_init_json();
    tl_status st = TL_OK;
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0;
    long n;
    while (st == TL_OK && (n = tl_getline(&buf, &cap, f)) >= 0) {
        lineno++;
        if (n > 16L * 1024 * 1024) {
            tl_diag_set(d, path, lineno, "line longer than 16 MiB");
            st = TL_E_LIMIT;
            break;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        if (!n)
            continue;
        cJSON *j = cJSON_ParseWithLength(buf, (size_t)n);
        if (!j || !cJSON_IsString(j)) {
            tl_diag_set(d, path, lineno, "expected one JSON string a line");
            st = TL_E_PARSE;
        } else {
            st = tl_cli_list_add(lines, j->valuestring);
        }
        cJSON_Delete(j);
    }
    free(buf);
    fclose(f);
    return st;
}

/* bench queue --out FILE: every message the manager receives while the scenario
 * library runs through the pipeline (the input of `bench rules --input`). */
static int bench_queue(tl_cli_common *c, const char *argv0, const char *out_path)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_ruleset *rs = NULL;
    tl_cli_list files = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    int rc = 0;
    size_t n = 0;
    FILE *f = NULL;
    if (!out_path) {
        fprintf(stderr, "tasklab bench queue: --out FILE is required\n");
        rc = 2;
        goto done;
    }
    if (tl_cli_load_ruleset(c, &rs, &d) != TL_OK ||
        tl_cli_expand_scenarios(args, 1, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    f = fopen(out_path, "wb");
    if (!f) {
        fprintf(stderr, "tasklab bench queue: cannot write %s\n", out_path);
        rc = 2;
        goto done;
    }
    tl_run_opts ro;
    tl_cli_fill_run_opts(c, argv0, &ro);
    ro.keep_queue = 1;
    for (size_t i = 0; i < files.n; i++) {
        tl_scenario *sc = NULL;
        tl_run_result res;
        memset(&res, 0, sizeof res);
        if (tl_scenario_load(files.v[i], &sc, &d) != TL_OK)
            continue;
        if (tl_pipeline_run(sc, rs, &ro, &res, &d) == TL_OK && res.queue) {
            fputs(res.queue, f);
            for (const char *q = res.queue; (q = strchr(q, '\n')); q++)
                n++;
        }
        tl_run_result_clear(&res);
        tl_scenario_free(sc);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "tasklab bench queue: cannot write %s\n", out_path);
        rc = 2;
    }
    f = NULL;
    printf("queue: %zu messages from %zu scenarios written to %s\n", n, files.n, out_path);
done:
    tl_cli_list_free(&files);
    tl_ruleset_free(rs);
    tl_free(dir);
    return rc;
}

static int bench_rules(tl_cli_common *c, size_t n, int runs, const char *input,
                       const char *alerts_path)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_ruleset *rs = NULL;
    tl_cli_list lines = {0}, conv = {0};
    int rc = 0;
    if (tl_cli_load_ruleset(c, &rs, &d) != TL_OK) {
        tl_cli_error(&d);
        return 2;
    }
    if (input) {
        if (read_queue_file(input, &lines, &d) != TL_OK || !lines.n) {
            if (d.msg[0])
                tl_cli_error(&d);
            else
                fprintf(stderr, "tasklab bench: %s holds no message\n", input);
            rc = 2;
            goto done;
        }
        if (!n)
            n = lines.n;
    } else if (collect_events(c, &lines, 20000, &d) != TL_OK || !lines.n) {
        fprintf(stderr, "tasklab bench: could not build the event mix\n");
        rc = 2;
        goto done;
    }
    if (!n)
        n = 200000;
    /* Pre-converted form: 1:[001] (host) any->EventChannel:{"win":…} */
    for (size_t i = 0; i < lines.n && !input; i++) {
        const char *payload = strstr(lines.v[i], "->EventChannel:");
        char *json = NULL;
        if (payload && tl_winevt_convert(payload + 15, &json, &d) == TL_OK) {
            char *q = tl_agent_queue_line('1', "001", "bench", "any", "EventChannel", json);
            if (q)
                tl_cli_list_add(&conv, q);
            tl_free(q);
        }
        tl_free(json);
    }
    for (int pass = 0; pass < (input ? 1 : 2); pass++) {
        tl_cli_list *set = pass ? &conv : &lines;
        double *rate = calloc((size_t)runs, sizeof *rate);
        double *crate = calloc((size_t)runs, sizeof *crate);
        long rss0 = peak_rss_kb();
        size_t alerts = 0;
        for (int r = 0; r < runs && rate; r++) {
            tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
            tl_engine *e = NULL;
            tl_engine_opts eo = {"wazuh-manager", "node01"};
            if (tl_engine_new(rs, &eo, &e) != TL_OK) {
                rc = 2;
                break;
            }
            tl_time t = INT64_C(1700000000) * TL_USEC_PER_SEC;
            alerts = 0;
            double t0 = now_s(), c0 = cpu_s();
            FILE *af = alerts_path ? fopen(alerts_path, "wb") : NULL;
            if (alerts_path && !af) {
                fprintf(stderr, "tasklab bench: cannot write %s\n", alerts_path);
                tl_engine_free(e);
                rc = 2;
                break;
            }
            for (size_t i = 0; i < n; i++) {
                tl_result res;
                tl_diag ed;
                t += 1000;
                if (tl_engine_process(e, set->v[i % set->n], t, &res, &ed) == TL_OK &&
                    res.alert_json) {
                    alerts++;
                    if (af) {
                        fputs(res.alert_json, af);
                        fputc('\n', af);
                    }
                }
            }
            if (af && fclose(af) != 0) {
                fprintf(stderr, "tasklab bench: cannot write %s\n", alerts_path);
                tl_engine_free(e);
                rc = 2;
                break;
            }
            double dt = now_s() - t0;
            rate[r] = (double)n / dt;
            if (crate)
                crate[r] = (double)n / (cpu_s() - c0);
            tl_engine_free(e);
        }
        if (rate && crate && rc == 0)
            printf("rules/%s: %.0f events/s wall, %.0f events/s CPU (median of %d runs, %zu "
                   "events each, %zu distinct, %zu rules, %zu alerts/run%s%s); peak RSS %ld -> %ld "
                   "KiB\n",
                   input ? "input" : pass ? "pre-converted-json" : "full-path", median(rate, runs),
                   median(crate, runs), runs, n, set->n, tl_ruleset_rule_count(rs), alerts,
                   alerts_path ? " written to " : "", alerts_path ? alerts_path : "", rss0,
                   peak_rss_kb());
        free(rate);
        free(crate);
    }
done:
    tl_cli_list_free(&lines);
    tl_cli_list_free(&conv);
    tl_ruleset_free(rs);
    return rc;
}

/* Every *.evtx below dir, sorted by path (deterministic whatever the
 * directory order). */
static tl_status find_evtx(const char *dir, int depth, tl_cli_list *out)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return TL_E_IO;
    tl_cli_list here = {0};
    struct dirent *de;
    tl_status st = TL_OK;
    while (st == TL_OK && (de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = tl_path_join(dir, de->d_name);
        if (!p) {
            st = TL_E_NOMEM;
            break;
        }
        st = tl_cli_list_add(&here, p);
        tl_free(p);
    }
    closedir(dh);
    for (size_t i = 1; i < here.n; i++) /* insertion sort: small folders */
        for (size_t k = i; k > 0 && strcmp(here.v[k - 1], here.v[k]) > 0; k--) {
            char *t = here.v[k];
            here.v[k] = here.v[k - 1];
            here.v[k - 1] = t;
        }
    for (size_t i = 0; st == TL_OK && i < here.n; i++) {
        struct stat sb;
        size_t l = strlen(here.v[i]);
        if (stat(here.v[i], &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode) && depth < 8)
            st = find_evtx(here.v[i], depth + 1, out);
        else if (S_ISREG(sb.st_mode) && l > 5 && !strcmp(here.v[i] + l - 5, ".evtx"))
            st = tl_cli_list_add(out, here.v[i]);
    }
    tl_cli_list_free(&here);
    return st;
}

static int bench_replay(tl_cli_common *c, char **files, int nfiles, int runs)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_ruleset *rs = NULL;
    tl_cli_list list = {0};
    int rc = 0;
    if (nfiles == 0) {
        char *dir = tl_path_join(c->shared_dir, "reference/evtx");
        if (!dir || find_evtx(dir, 0, &list) != TL_OK || !list.n) {
            fprintf(stderr, "tasklab bench: no recordings found in %s\n", dir ? dir : "?");
            tl_free(dir);
            return 77;
        }
        tl_free(dir);
    } else {
        for (int i = 0; i < nfiles; i++)
            if (tl_cli_list_add(&list, files[i]) != TL_OK)
                return 2;
    }
    if (tl_cli_load_ruleset(c, &rs, &d) != TL_OK) {
        tl_cli_error(&d);
        tl_cli_list_free(&list);
        return 2;
    }
    double *rate = calloc((size_t)runs, sizeof *rate);
    double *crate = calloc((size_t)runs, sizeof *crate);
    long rss0 = peak_rss_kb();
    size_t records = 0, alerts = 0, unreadable = 0;
    tl_buf q = TL_BUF_INIT;
    for (int r = 0; r < runs && rate && crate && !rc; r++) {
        tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
        records = alerts = unreadable = 0;
        double t0 = now_s(), c0 = cpu_s();
        for (size_t f = 0; f < list.n && !rc; f++) {
            tl_replay *rp = NULL;
            tl_engine *e = NULL;
            tl_engine_opts eo = {"wazuh-manager", "node01"};
            if (tl_replay_open(list.v[f], TL_REPLAY_AUTO, &rp, &d) != TL_OK) {
                unreadable++;
                continue;
            }
            if (tl_engine_new(rs, &eo, &e) != TL_OK) {
                tl_replay_free(rp);
                rc = 2;
                break;
            }
            tl_replay_record rec;
            int got = 0;
            tl_time now = 0;
            int first = 1;
            while (tl_replay_next(rp, &rec, &got) == TL_OK && got) {
                if (first)
                    now = rec.time; /* one burst per file, as `tasklab replay` */
                first = 0;
                tl_buf_reset(&q);
                tl_replay_queue_line(&rec, "001", "evtx-lab", 0, &q);
                tl_result res;
                tl_diag ed;
                if (tl_engine_process(e, tl_buf_cstr(&q), now, &res, &ed) == TL_OK &&
                    res.alert_json)
                    alerts++;
                records++;
            }
            tl_engine_free(e);
            tl_replay_free(rp);
        }
        rate[r] = (double)records / (now_s() - t0);
        crate[r] = (double)records / (cpu_s() - c0);
    }
    if (!rc && rate && crate)
        printf("replay: %.0f records/s wall, %.0f records/s CPU (median of %d runs; %zu files, "
               "%zu unreadable, %zu records, %zu alerts per run; profile %s, %zu rules); peak "
               "RSS %ld -> %ld KiB\n",
               median(rate, runs), median(crate, runs), runs, list.n, unreadable, records, alerts,
               c->wazuh_dir ? "--wazuh-dir" : c->ruleset_dir ? "--ruleset" : c->profile,
               tl_ruleset_rule_count(rs), rss0, peak_rss_kb());
    tl_buf_free(&q);
    free(rate);
    free(crate);
    tl_ruleset_free(rs);
    tl_cli_list_free(&list);
    return rc;
}

static int bench_sysmon(tl_cli_common *c, const char *config, size_t n, int runs)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_sysmon_config *cfg = NULL;
    char *path = config ? tl_strdup(config)
                        : tl_path_join(c->shared_dir,
                                       "reference/sysmon/sysmon-modular_sysmonconfig.xml");
    if (tl_sysmon_config_load(path, &cfg, &d) != TL_OK) {
        tl_cli_error(&d);
        tl_free(path);
        return d.msg[0] && strstr(d.msg, "open") ? 77 : 2;
    }
    static const char *images[] = {
        "C:\\Windows\\System32\\schtasks.exe", "C:\\Windows\\System32\\svchost.exe",
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Users\\alice\\AppData\\Local\\Temp\\tmp77E5.exe", "C:\\Windows\\explorer.exe"};
    static const char *targets[] = {
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\X\\Index",
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
        "HKU\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming",
        "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\X"};
    static const char *files[] = {"C:\\Windows\\System32\\Tasks\\WinUpdate",
                                  "C:\\Users\\alice\\Downloads\\report.pdf",
                                  "C:\\Windows\\Prefetch\\CHROME.EXE-1234.pf",
                                  "C:\\Users\\alice\\AppData\\Local\\Temp\\x.ps1"};
    tl_buf xml = TL_BUF_INIT, msg = TL_BUF_INIT;
    tl_rng rng;
    double *rate = calloc((size_t)runs, sizeof *rate);
    double *crate = calloc((size_t)runs, sizeof *crate);
    size_t logged = 0;
    long rss0 = peak_rss_kb();
    for (int r = 0; r < runs && rate; r++) {
        tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
        tl_rng_seed(&rng, 42);
        logged = 0;
        double t0 = now_s(), c0 = cpu_s();
        for (size_t i = 0; i < n; i++) {
            const char *img = images[tl_rng_below(&rng, 6)];
            tl_evfield f[24];
            size_t nf = 0;
            int id;
            switch (tl_rng_below(&rng, 3)) {
            case 0:
                id = 1;
                f[nf++] = (tl_evfield){"UtcTime", "2024-01-01 00:00:00.000"};
                f[nf++] = (tl_evfield){"ProcessGuid", "{46067b23-bb2d-6256-0800-000000004c00}"};
                f[nf++] = (tl_evfield){"ProcessId", "1360"};
                f[nf++] = (tl_evfield){"Image", img};
                f[nf++] = (tl_evfield){"FileVersion", "10.0.19041.1"};
                f[nf++] = (tl_evfield){"Description", "Tool"};
                f[nf++] = (tl_evfield){"Product", "Microsoft Windows"};
                f[nf++] = (tl_evfield){"Company", "Microsoft Corporation"};
                f[nf++] = (tl_evfield){"OriginalFileName", strrchr(img, '\\') + 1};
                f[nf++] = (tl_evfield){"CommandLine", img};
                f[nf++] = (tl_evfield){"CurrentDirectory", "C:\\Windows\\system32\\"};
                f[nf++] = (tl_evfield){"User", "DESKTOP\\alice"};
                f[nf++] = (tl_evfield){"LogonGuid", "{46067b23-dfb9-6251-30f5-7a0000000000}"};
                f[nf++] = (tl_evfield){"LogonId", "0x7af530"};
                f[nf++] = (tl_evfield){"TerminalSessionId", "1"};
                f[nf++] = (tl_evfield){"IntegrityLevel", "High"};
                f[nf++] = (tl_evfield){"Hashes", "SHA256=00"};
                f[nf++] = (tl_evfield){"ParentProcessGuid", "{46067b23-bb2d-6256-0700-000000004c00}"};
                f[nf++] = (tl_evfield){"ParentProcessId", "1200"};
                f[nf++] = (tl_evfield){"ParentImage", "C:\\Windows\\System32\\cmd.exe"};
                f[nf++] = (tl_evfield){"ParentCommandLine", "cmd.exe"};
                f[nf++] = (tl_evfield){"ParentUser", "DESKTOP\\alice"};
                break;
            case 1:
                id = 13;
                f[nf++] = (tl_evfield){"EventType", "SetValue"};
                f[nf++] = (tl_evfield){"UtcTime", "2024-01-01 00:00:00.000"};
                f[nf++] = (tl_evfield){"ProcessGuid", "{46067b23-de3e-6251-0400-000000004c00}"};
                f[nf++] = (tl_evfield){"ProcessId", "1008"};
                f[nf++] = (tl_evfield){"Image", img};
                f[nf++] = (tl_evfield){"TargetObject", targets[tl_rng_below(&rng, 4)]};
                f[nf++] = (tl_evfield){"Details", "DWORD (0x00000003)"};
                f[nf++] = (tl_evfield){"User", "NT AUTHORITY\\SYSTEM"};
                break;
            default:
                id = 11;
                f[nf++] = (tl_evfield){"UtcTime", "2024-01-01 00:00:00.000"};
                f[nf++] = (tl_evfield){"ProcessGuid", "{46067b23-de3e-6251-0400-000000004c00}"};
                f[nf++] = (tl_evfield){"ProcessId", "1008"};
                f[nf++] = (tl_evfield){"Image", img};
                f[nf++] = (tl_evfield){"TargetFilename", files[tl_rng_below(&rng, 4)]};
                f[nf++] = (tl_evfield){"CreationUtcTime", "2024-01-01 00:00:00.000"};
                f[nf++] = (tl_evfield){"User", "NT AUTHORITY\\SYSTEM"};
            }
            tl_sysmon_event ev = {id, f, nf};
            tl_sysmon_verdict v;
            tl_sysmon_filter(cfg, &ev, &v);
            if (v.logged) {
                tl_winevt_system sys;
                tl_sysmon_system_defaults(id, &sys);
                sys.computer = "DESKTOP-4E0BQFT";
                sys.record_id = i;
                tl_buf_reset(&xml);
                tl_buf_reset(&msg);
                tl_sysmon_render(cfg, &ev, v.rule_name, &sys, &xml, &msg);
                logged++;
            }
        }
        rate[r] = (double)n / (now_s() - t0);
        if (crate)
            crate[r] = (double)n / (cpu_s() - c0);
    }
    if (rate && crate)
        printf("sysmon: %.0f events/s wall, %.0f events/s CPU (median of %d runs, %zu raw events "
               "each, %zu logged and rendered, config %s); peak RSS %ld -> %ld KiB\n",
               median(rate, runs), median(crate, runs), runs, n, logged, path, rss0,
               peak_rss_kb());
    free(rate);
    free(crate);
    tl_buf_free(&xml);
    tl_buf_free(&msg);
    tl_sysmon_config_free(cfg);
    tl_free(path);
    return 0;
}

static int bench_pipeline(tl_cli_common *c, const char *argv0, int runs)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_ruleset *rs = NULL;
    tl_cli_list files = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    int rc = 0;
    if (tl_cli_load_ruleset(c, &rs, &d) != TL_OK ||
        tl_cli_expand_scenarios(args, 1, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_run_opts ro;
    tl_cli_fill_run_opts(c, argv0, &ro);
    double *lib = calloc((size_t)runs, sizeof *lib), *soak = calloc((size_t)runs, sizeof *soak);
    double *clib = calloc((size_t)runs, sizeof *clib), *csoak = calloc((size_t)runs, sizeof *csoak);
    size_t nrun = 0;
    for (int r = 0; r < runs && lib && soak && clib && csoak; r++) {
        tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
        double t_lib = 0, t_soak = 0, c_lib = 0, c_soak = 0;
        nrun = 0;
        for (size_t i = 0; i < files.n; i++) {
            tl_scenario *sc = NULL;
            tl_run_result res;
            memset(&res, 0, sizeof res);
            if (tl_scenario_load(files.v[i], &sc, &d) != TL_OK)
                continue;
            double t0 = now_s(), c0 = cpu_s();
            tl_status st = tl_pipeline_run(sc, rs, &ro, &res, &d);
            double dt = now_s() - t0, dc = cpu_s() - c0;
            if (st == TL_OK) {
                nrun++;
                if (strstr(tl_scenario_name(sc), "soak")) {
                    t_soak += dt;
                    c_soak += dc;
                } else {
                    t_lib += dt;
                    c_lib += dc;
                }
            }
            tl_run_result_clear(&res);
            tl_scenario_free(sc);
        }
        lib[r] = t_lib;
        soak[r] = t_soak;
        clib[r] = c_lib;
        csoak[r] = c_soak;
    }
    if (lib && soak && clib && csoak)
        printf("pipeline: library without the soak %.3f s wall / %.3f s CPU, soak %.3f s wall / "
               "%.3f s CPU (median of %d runs, %zu scenarios ran, AR %s, sequential)\n",
               median(lib, runs), median(clib, runs), median(soak, runs), median(csoak, runs),
               runs, nrun,
               c->ar_mode == TL_AR_INPROC ? "in-process" : c->ar_mode == TL_AR_EXEC ? "exec" : "wine");
    free(lib);
    free(soak);
    free(clib);
    free(csoak);
done:
    tl_cli_list_free(&files);
    tl_ruleset_free(rs);
    tl_free(dir);
    return rc;
}

/* bench report: `tasklab report --out DIR [-j N] [SCENARIO...]` in a child
 * process per run (what a user runs, start-up and ruleset loading included). */
static int bench_report(const char *out_dir, int jobs, char **operands, int noperands, int runs)
{
    int rc = 0;
    char self[4096];
    int sl = tl_self_exe(self, sizeof self) == 0 ? 1 : 0;
    char tmpl[4200] = "";
    const char *out = out_dir;
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    char **args = calloc((size_t)noperands + 8, sizeof *args);
    char jbuf[16];
    if (!wall || !cpu || !args || sl <= 0) {
        fprintf(stderr, "tasklab bench: cannot start\n");
        rc = 2;
        goto done;
    }
    if (!out) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/tasklab-bench-report.XXXXXX", t && *t ? t : "/tmp");
        if (!tl_mkdtemp(tmpl)) {
            fprintf(stderr, "tasklab bench: cannot create a folder in %s: %s\n",
                    t && *t ? t : "/tmp", strerror(errno));
            rc = 2;
            goto done;
        }
    }
    char rdir[4300];
    snprintf(rdir, sizeof rdir, "%s/report", out ? out : tmpl);
    int na = 0;
    args[na++] = self;
    args[na++] = "report";
    args[na++] = "--out";
    args[na++] = rdir;
    if (jobs > 0) {
        snprintf(jbuf, sizeof jbuf, "%d", jobs);
        args[na++] = "-j";
        args[na++] = jbuf;
    }
    for (int i = 0; i < noperands; i++)
        args[na++] = operands[i];
    args[na] = NULL;
    double la0[3] = {0, 0, 0}, la1[3] = {0, 0, 0};
    tl_loadavg(la0);
    for (int r = 0; r < runs; r++) {
        tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
        tl_walk_remove(out ? out : tmpl, "report", 0, NULL);
        fflush(NULL);
        double t0 = now_s();
        int status = tl_proc_run_measured(args, r != 0, &cpu[r]); /* the ruleset notes once */
        if (status == -1) {
            fprintf(stderr, "tasklab bench: cannot run %s report\n", self);
            rc = 2;
            goto done;
        }
        wall[r] = now_s() - t0;
        if (status != 0) {
            fprintf(stderr, "tasklab bench: tasklab report failed (status %d)\n", status);
            rc = 2;
            goto done;
        }
    }
    tl_loadavg(la1);
    printf("report: %s in %.2f s wall, %.2f s CPU (user+sys; median of %d runs; each run's wall:",
           noperands ? "the scenarios given" : "the whole library", median(wall, runs),
           median(cpu, runs), runs);
    for (int r = 0; r < runs; r++)
        printf(" %.2f", wall[r]); /* sorted by median() */
    printf(" s; -j %s; load average %.2f before, %.2f after; %ld CPUs)\n", jobs > 0 ? jbuf : "default",
           la0[0], la1[0], (long)tl_ncpus());
done:
    if (tmpl[0]) {
        char *slash = strrchr(tmpl, '/');
        *slash = '\0';
        tl_walk_remove(tmpl, slash + 1, 0, NULL);
    } else if (out) {
        tl_walk_remove(out, "report", 0, NULL);
    }
    free(wall);
    free(cpu);
    free(args);
    return rc;
}

static int bench_mutate(tl_cli_common *c, int jobs, int runs)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_list files = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    tl_buf gd = TL_BUF_INIT;
    int rc = 0;
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    size_t total = 0, replays = 0;
    double score = 0;
    if (!wall || !cpu || tl_cli_expand_scenarios(args, 1, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_buf_printf(&gd, "%s/golden/%s", tl_cli_home(), c->profile);
    tl_mutate_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.prof.profile = c->profile;
    mo.prof.ruleset_dir = c->ruleset_dir;
    mo.prof.wazuh_dir = c->wazuh_dir;
    mo.prof.extra_rules = (const char *const *)c->rules.v;
    mo.prof.n_extra_rules = c->rules.n;
    mo.prof.etc_dir = c->etc_dir;
    mo.prof.shared_dir = c->shared_dir;
    mo.profile_name = c->profile;
    mo.scenarios = (const char *const *)files.v;
    mo.n_scenarios = files.n;
    mo.golden_dir = tl_buf_cstr(&gd);
    mo.jobs = jobs;
    mo.etc_dir = c->etc_dir;
    mo.shared_dir = c->shared_dir;
    for (int r = 0; r < runs; r++) {
        tl_mutate_report *rep = NULL;
        double t0 = now_s(), c0 = cpu_s();
        if (tl_mutate_run(&mo, &rep, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
        wall[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
        tl_mutate_report_counts(rep, NULL, NULL, NULL, NULL, &total);
        replays = tl_mutate_report_replays(rep);
        score = tl_mutate_report_score(rep);
        tl_mutate_report_free(rep);
    }
    double mw = median(wall, runs), mc = median(cpu, runs);
    printf("mutate: %zu mutants x %zu scenarios in %.2f s wall (%.1f mutants/s), %.2f s CPU "
           "(median of %d runs, -j %d, profile %s, %zu full replays, score %.1f%%)\n",
           total, files.n, mw, mw > 0 ? (double)total / mw : 0.0, mc, runs, jobs, c->profile,
           replays, score);
done:
    free(wall);
    free(cpu);
    tl_buf_free(&gd);
    tl_cli_list_free(&files);
    tl_free(dir);
    return rc;
}

/* An attack scenario (not a recording, not the soak) with a command step that
 * runs schtasks: what `bench vary` measures by default. */
static int schtasks_scenario(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    tl_diag d;
    if (tl_file_read(path, &text, &len, &d) != TL_OK)
        return 0;
    cJSON *j = cJSON_ParseWithLength(text, len);
    tl_free(text);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    int yes = cJSON_IsString(kind) && !strcmp(kind->valuestring, "attack") &&
              !cJSON_GetObjectItemCaseSensitive(j, "recording") &&
              !(cJSON_IsString(name) && strstr(name->valuestring, "soak"));
    int sch = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(j, "steps"))
    {
        const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(step, "command");
        if (cJSON_IsString(cmd) && tl_strcasestr(cmd->valuestring, "schtasks"))
            sch = 1;
    }
    cJSON_Delete(j);
    return yes && sch;
}

static void print_load(const char *what)
{
    /* /proc/loadavg (Linux): the 1, 5 and 15 minute figures */
    double la[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    int ok = f && fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) == 3;
    if (f)
        fclose(f);
    if (ok)
        printf("%s%.2f %.2f %.2f", what, la[0], la[1], la[2]);
    else
        printf("%s(unknown)", what);
}

static int bench_vary(tl_cli_common *c, char **files_in, int nfiles, int n, int jobs, int runs)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_list files = {0}, all = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    int rc = 0;
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    tl_vary_counts vc;
    memset(&vc, 0, sizeof vc);
    if (!wall || !cpu || !dir) {
        rc = 2;
        goto done;
    }
    if (nfiles) {
        if (tl_cli_expand_scenarios(files_in, nfiles, &files, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
    } else {
        if (tl_cli_expand_scenarios(args, 1, &all, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
        for (size_t i = 0; i < all.n; i++)
            if (schtasks_scenario(all.v[i]) && tl_cli_list_add(&files, all.v[i]) != TL_OK) {
                rc = 2;
                goto done;
            }
    }
    tl_vary_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.prof.profile = c->profile;
    vo.prof.ruleset_dir = c->ruleset_dir;
    vo.prof.wazuh_dir = c->wazuh_dir;
    vo.prof.extra_rules = (const char *const *)c->rules.v;
    vo.prof.n_extra_rules = c->rules.n;
    vo.prof.extra_decoders = (const char *const *)c->decoders.v;
    vo.prof.n_extra_decoders = c->decoders.n;
    vo.prof.etc_dir = c->etc_dir;
    vo.prof.shared_dir = c->shared_dir;
    vo.profile_name = c->profile;
    vo.scenarios = (const char *const *)files.v;
    vo.n_scenarios = files.n;
    vo.n = n;
    vo.seed = 1;
    vo.level = 6;
    vo.jobs = jobs;
    vo.etc_dir = c->etc_dir;
    vo.shared_dir = c->shared_dir;
    vo.display_root = tl_cli_home();
    print_load("bench vary: load average at start ");
    printf("\n");
    fflush(stdout);
    for (int r = 0; r < runs; r++) {
        tl_cli_progress_step(&bench_prog, (size_t)r, (size_t)runs);
        tl_vary_report *rep = NULL;
        double t0 = now_s(), c0 = cpu_s();
        tl_status st = tl_vary_run(&vo, &rep, &d);
        if (st != TL_OK) {
            if (d.file[0])
                tl_cli_error(&d);
            else
                fprintf(stderr, "tasklab bench vary: %s\n", d.msg[0] ? d.msg : tl_strerror(st));
            rc = st == TL_E_NOTFOUND ? 77 : 2;
            goto done;
        }
        wall[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
        tl_vary_report_counts(rep, &vc);
        tl_vary_report_free(rep);
    }
    double mw = median(wall, runs), mc = median(cpu, runs);
    printf("vary: %zu variants of %zu scenarios in %.2f s wall (%.1f variants/s), %.2f s CPU "
           "(%.1f variants/s CPU, %.2f ms CPU a variant) (median of %d runs, -j %d, --n %d, seed 1, "
           "profile %s; the originals, ruleset load and equivalence checks included)",
           vc.variants, vc.scenarios, mw, mw > 0 ? (double)vc.variants / mw : 0.0, mc,
           mc > 0 ? (double)vc.variants / mc : 0.0,
           vc.variants ? 1000.0 * mc / (double)vc.variants : 0.0, runs, jobs, n, c->profile);
    print_load("; load average at end ");
    printf("\n");
done:
    free(wall);
    free(cpu);
    tl_cli_list_free(&files);
    tl_cli_list_free(&all);
    tl_free(dir);
    return rc;
}

enum { O_B_N = 1, O_B_RUNS, O_B_CONFIG, O_B_INPUT, O_B_OUT, O_B_JOBS };
static const tl_cli_opt bench_opts[] = {
    {"-n", "N", O_B_N, "events per run for rules|sysmon (default 200000); `bench vary`: variants "
     "per scenario (default 50)", 0},
    {"--runs", "R", O_B_RUNS, "runs per figure; the median is printed (default 5)", 0},
    {"--config", "FILE", O_B_CONFIG, "the Sysmon config of `bench sysmon` (default sysmon-modular)", 0},
    {"--input", "FILE", O_B_INPUT,
     "`bench rules`: time these queue messages (one JSON string a line) instead of the mix", 0},
    {"--out", "FILE", O_B_OUT,
     "`bench queue`: where to write the library's forwarded messages; `bench rules`: write each "
     "run's alerts.json lines there (timed); `bench report`: the folder its report goes in "
     "(default: a temporary one)", 0},
    {"-j", "N", O_B_JOBS, "`bench mutate|vary`: worker threads (default 2); `bench report`: its -j", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPTS_AR, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_bench_def = {
    "bench",
    "[rules|queue|sysmon|pipeline|mutate|vary [SCENARIO...]|report [SCENARIO...]|replay [FILE...]]",
    "throughput figures (wall and CPU time, median of several runs, peak memory)", bench_opts,
    tl_cli_cmd_bench, NULL};

int tl_cli_cmd_bench(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    const char *what = NULL, *config = NULL, *input = NULL, *out_path = NULL;
    char **operands = calloc((size_t)argc + 1, sizeof *operands);
    int noperands = 0;
    if (!operands)
        return 2;
    size_t n = 0;
    int runs = 5, rc = 0, jobs = 2, jobs_set = 0;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_bench_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND) {
            if (!what)
                what = p.val;
            else
                operands[noperands++] = (char *)p.val;
        } else if (o == O_B_CONFIG) {
            config = p.val;
        } else if (o == O_B_INPUT) {
            input = p.val;
        } else if (o == O_B_OUT) {
            out_path = p.val;
        } else if (o == O_B_N || o == O_B_RUNS || o == O_B_JOBS) {
            char *end;
            long v = strtol(p.val, &end, 10);
            if (*end || v < 1) {
                fprintf(stderr, "tasklab bench: %s needs a positive number\n",
                        o == O_B_N ? "-n" : o == O_B_JOBS ? "-j" : "--runs");
                rc = 2;
                goto done;
            }
            if (o == O_B_N)
                n = (size_t)v;
            else if (o == O_B_JOBS) {
                jobs = v > 64 ? 64 : (int)v;
                jobs_set = 1;
            }
            else
                runs = (int)v;
        } else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    tl_cli_progress_start(&bench_prog, "tasklab bench: run");
    if (!what || !strcmp(what, "rules"))
        rc = bench_rules(&c, n, runs, input, out_path);
    else if (!strcmp(what, "queue"))
        rc = bench_queue(&c, argv[0], out_path);
    else if (!strcmp(what, "sysmon"))
        rc = bench_sysmon(&c, config, n ? n : 200000, runs);
    else if (!strcmp(what, "pipeline"))
        rc = bench_pipeline(&c, argv[0], runs);
    else if (!strcmp(what, "replay"))
        rc = bench_replay(&c, operands, noperands, runs);
    else if (!strcmp(what, "mutate"))
        rc = bench_mutate(&c, jobs, runs);
    else if (!strcmp(what, "report"))
        rc = bench_report(out_path, jobs_set ? jobs : 0, operands, noperands, runs);
    else if (!strcmp(what, "vary"))
        rc = bench_vary(&c, operands, noperands, n ? (int)(n > 100000 ? 100000 : n) : 50, jobs,
                        runs);
    else {
        fprintf(stderr,
                "tasklab bench: unknown benchmark '%s' (rules, queue, sysmon, pipeline, mutate, vary, "
                "report or replay)\n",
                what);
        rc = 2;
    }
    tl_cli_progress_end(&bench_prog);
done:
    free(operands);
    tl_cli_common_free(&c);
    return rc;
}
