/* SPDX-License-Identifier: MIT */
/*
 * libtl_studies, vary: evasion variants of the library's attack scenarios.
 *
 * For each attack scenario the study derives variants of its command lines from
 * ../shared/facts/evasion.md (option characters, quote pairs, case, cmd.exe
 * carets and expansion, PowerShell and .NET launchers, 32-bit parents, and the
 * same task made by /xml import, the ScheduledTasks cmdlets or CIM), singly and
 * in seeded combinations. Each variant is a whole scenario run: simulated once
 * (tl_pipeline_record), then checked for equivalence — the task files it leaves
 * after every step must hold the same name, actions, triggers and principal as
 * the original's, field by field; one that does not is a GENERATOR BUG, not a
 * result — and replayed through the manager (tl_pipeline_replay). An equivalent
 * variant is EVADED when the original had an alert at level >= L and the variant
 * has none; each rule that fired at >= L on the original is SURVIVED or EVADED
 * by each variant.
 *
 * Ownership: options are borrowed for the call; a tl_vary_report is owned by the
 * caller (tl_vary_report_free). The report's bytes depend only on the options
 * (seed, n, transformations, build, scenarios), never on the number of jobs.
 */
#ifndef TL_VARY_H
#define TL_VARY_H

#include "tasklab/base.h"
#include "tasklab/pipeline.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tl_vary_opts {
    tl_profile_opts prof;           /* the ruleset (borrowed) */
    const char *profile_name;       /* for the report */
    const char *const *scenarios;   /* scenario files, in report order */
    size_t n_scenarios;
    const unsigned char *listed;    /* per scenario, or NULL: 1 if found by listing a folder, so an
                                       attack scenario with no command step is listed "not varied"
                                       (a file named on its own is an error) */
    const char *const *transforms;  /* --transform names; none: every one the build accepts */
    size_t n_transforms;
    const char *build;              /* NULL: rows accepted on both builds; else a build of the sheet */
    int n;                          /* variants per scenario (>= 1) */
    uint64_t seed;
    int level;                      /* detection threshold (default 6) */
    int jobs;                       /* worker threads */
    const char *etc_dir, *shared_dir;
    const char *display_root;       /* scenario paths in the report relative to this */
} tl_vary_opts;

typedef struct tl_vary_report tl_vary_report;

/** The builds evasion.md covers, for messages: "10.0.19041 (Windows 10 2004), ...". */
const char *tl_vary_builds_text(void);
/** Names of every transformation, in order, one per line with its description. */
void tl_vary_transforms_text(tl_buf *out);

/**
 * Run the study.
 * @return TL_OK; TL_E_INVAL with d: an unknown transformation, a build the sheet
 *         does not cover, an attack scenario with no command step
 *         named on its own (not found by listing a folder); TL_E_PARSE /
 *         TL_E_IO / TL_E_RULE: a scenario or the rules do not load (d names the
 *         file); TL_E_NOTFOUND: the profile needs ../shared, absent; TL_E_NOMEM.
 *         *out set on TL_OK only.
 */
tl_status tl_vary_run(const tl_vary_opts *o, tl_vary_report **out, tl_diag *d);
void tl_vary_report_free(tl_vary_report *r);

typedef struct tl_vary_counts {
    size_t scenarios;   /* attack scenarios varied */
    size_t variants;    /* all variants run */
    size_t equivalent;  /* same task state as the original */
    size_t detected;    /* equivalent, an alert at >= level (original detected too) */
    size_t evaded;      /* equivalent, original detected at >= level, variant not */
    size_t undetected;  /* equivalent, the original was not detected either */
    size_t genbug;      /* not the same task: generator bugs */
    size_t refused;     /* the simulator refused a spelling the sheet accepts */
} tl_vary_counts;

void tl_vary_report_counts(const tl_vary_report *r, tl_vary_counts *c);

/** Render as text, JSON (schema in README.md) or JUnit XML; appended to out. */
void tl_vary_report_text(const tl_vary_report *r, tl_buf *out);
void tl_vary_report_json(const tl_vary_report *r, tl_buf *out);
void tl_vary_report_junit(const tl_vary_report *r, tl_buf *out);

#endif /* TL_VARY_H */
