/* SPDX-License-Identifier: MIT */
/*
 * libtl_pipeline: runs one scenario through the whole pipeline of
 * ARCHITECTURE.md (simulator -> Sysmon -> agent forwarder -> manager ->
 * execd -> analyze-scheduled-task -> logcollector -> manager) on the virtual
 * clock, and checks the result against the scenario's expectations and the
 * golden snapshots.
 *
 * Ownership: a tl_run_result owns its strings; release with
 * tl_run_result_clear(). The ruleset passed to tl_pipeline_run is borrowed and
 * may be shared by several threads running different scenarios.
 */
#ifndef TL_PIPELINE_H
#define TL_PIPELINE_H

#include "tasklab/agent.h"
#include "tasklab/base.h"
#include "tasklab/manager.h"
#include "tasklab/scenario.h"

#include <stddef.h>

/** Where configuration comes from. */
typedef struct tl_profile_opts {
    const char *profile;     /* "default" (pipeline/etc) or "wazuh" (reference ruleset + local rules) */
    const char *ruleset_dir; /* --ruleset DIR: a folder with rules/ and decoders/ (replaces the profile's) */
    const char *wazuh_dir;   /* --wazuh-dir DIR: an installed manager tree (ruleset/, etc/, etc/ossec.conf) */
    const char *const *extra_rules; /* --rules FILE... */
    size_t n_extra_rules;
    const char *const *extra_decoders; /* --decoders FILE... (loaded after the profile's) */
    size_t n_extra_decoders;
    const char *etc_dir;    /* pipeline/etc of the project */
    const char *shared_dir; /* ../shared (may not exist) */
    tl_warn_fn warn;
    void *warn_ctx;
} tl_profile_opts;

/** Load the ruleset a profile names. TL_E_NOTFOUND when the profile needs
 * ../shared and it is absent (callers report "skipped"). */
tl_status tl_profile_load(const tl_profile_opts *o, tl_ruleset **out, tl_diag *d);

typedef struct tl_run_opts {
    tl_ar_mode ar_mode;
    const char *ar_exe;     /* exec: Linux executable; wine: the .exe */
    const char *wineprefix; /* wine mode */
    const char *out_dir;    /* when set: write DIR/<name>/{events.xml,alerts.json,...} */
    const char *etc_dir;
    const char *shared_dir;
    const char *sysmon_config; /* override the scenario's Sysmon config */
    int trace;                 /* record a step-by-step trace (tasklab explain) */
    int color;                 /* colour the trace */
    int ar_timeout_ms;         /* exec/wine: watchdog of one AR run (0: TL_EXECD_TIMEOUT_MS) */
    int keep_queue;            /* fill tl_run_result.queue */
} tl_run_opts;

typedef struct tl_run_result {
    char *events_xml;   /* <Events> document, one record a line */
    char *alerts_json;  /* alerts.json content (one alert a line) */
    char *ar_log;       /* active-responses.log */
    char *tasks_log;    /* scheduled-tasks.log */
    char *trace;        /* explain trace when requested */
    char *queue;        /* keep_queue: every message the manager received, in order, one JSON
                           string a line (the form of the oracle's evtx .queue files) */
    size_t n_records;
    size_t n_alerts;
    size_t n_ar_runs;
    size_t n_ar_failed;   /* AR runs that failed (tl_execd_failures): the run is not to be trusted */
    char ar_failure[512]; /* the first failure, described (tl_execd_failure); "" when none */
    int max_level;
    char summary[512]; /* "12 events, 2 alerts (115006 L6, 115009 L10), 1 AR run[ (1 failed)]" */
} tl_run_result;

void tl_run_result_clear(tl_run_result *r);

/** Run a scenario through the pipeline. */
tl_status tl_pipeline_run(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                          tl_run_result *out, tl_diag *d);

/** Check the scenario's hand-written expectations against alerts.json
 * content for `profile` (items with a "profiles" list apply only to those). Appends one line per failed expectation to `report`. Returns TL_OK
 * with *failed set; TL_E_PARSE (with d) when an expectation is malformed. */
tl_status tl_expect_check(const char *expect_json, const char *profile, const char *alerts_json,
                          tl_buf *report, int *failed, tl_diag *d);

/** Compare `actual` with the golden file; on mismatch append a semantic
 * summary (alerts only: rule ids/levels added, removed, changed) and a unified
 * diff to report. *same = 1 when byte-identical. A missing golden file is a
 * mismatch ("no golden file"). */
tl_status tl_golden_compare(const char *golden_path, const char *actual, int is_alerts,
                            tl_buf *report, int *same, tl_diag *d);

#endif /* TL_PIPELINE_H */
