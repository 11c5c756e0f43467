/* SPDX-License-Identifier: MIT */
/*
 * libtl_report: `tasklab report`, a static HTML site of what the pipeline
 * produced — an index (the library table with each profile's test result, the
 * coverage matrix with exactly the numbers of `tasklab coverage`, the mutation
 * score when given) and one page per scenario (the timeline on the virtual
 * clock, the process tree, logged and dropped events with the Sysmon config
 * rule that decided, the manager's alerts with their rule chain, the AR run and
 * its record, the task files, the golden comparison when it fails).
 *
 * The report only reads: it runs the scenarios through the driver's public API
 * (tl_pipeline_run with a timeline, tl_expect_check, tl_golden_compare) and the
 * coverage study (tasklab/coverage.h), and writes nothing but the output folder.
 *
 * Output folder (a choice, see pipeline/report/README.md): the site is built in
 * a new sibling folder `.DIR.tmp-XXXXXX` and renamed to DIR at the end, so a
 * failed run leaves no half-written report. An existing DIR is replaced only
 * when it is empty or a previous tasklab report (it holds the marker file
 * `.tasklab-report`); anything else is refused (TL_E_INVAL) and left alone.
 *
 * Determinism: the same inputs give the same bytes (no wall-clock time, host
 * name or absolute path of the checkout in the pages; scenarios sorted by name).
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include "tasklab/pipeline.h"

#include <stddef.h>

typedef struct tl_report_opts {
    const char *out_dir;
    const char *const *scenarios; /* scenario files */
    size_t n_scenarios;
    const char *const *profiles;       /* 1 .. TL_COVERAGE_MAX_PROFILES */
    const tl_ruleset *const *rulesets; /* per profile; NULL = unavailable (skipped) */
    size_t n_profiles;
    const char *const *configs; /* Sysmon configs of the coverage matrix; [0] NULL = own */
    const char *const *config_names;
    size_t n_configs;
    const char *golden_dir;  /* golden root: <golden_dir>/<profile>/<name>.alerts.json */
    const char *mutate_json; /* `tasklab mutate --format json` output, or NULL */
    const tl_run_opts *run;  /* template for every run (AR mode, etc_dir, shared_dir) */
    const char *home;        /* paths under it are shown relative to it (may be NULL) */
    int jobs;                /* scenarios run in parallel */
} tl_report_opts;

typedef struct tl_report_summary {
    size_t scenarios, pages, failed, errors, skipped;
    int old_left; /* a previous report held files a person added: left as .DIR.old-XXXXXX */
} tl_report_summary;

/**
 * Run everything and write the site.
 * @return TL_OK; TL_E_INVAL (d: an --out that is not a report, bad options);
 *         TL_E_IO (d: cannot write), TL_E_PARSE (d: a scenario or the
 *         mutation file does not load), TL_E_NOMEM. Nothing is left behind on
 *         failure. `sum` (may be NULL) is written on success.
 */
tl_status tl_report_write(const tl_report_opts *o, tl_report_summary *sum, tl_diag *d);

/**
 * The checks of tl_report_write that need no run and write nothing: the
 * scenarios load, the mutation file is a JSON object, the --out folder would
 * be accepted (rulesets are not looked at). Same statuses as tl_report_write.
 */
tl_status tl_report_check(const tl_report_opts *o, tl_diag *d);

#endif /* TL_REPORT_H */
