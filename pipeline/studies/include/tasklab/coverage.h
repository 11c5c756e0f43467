/* SPDX-License-Identifier: MIT */
/*
 * libtl_studies, coverage: which procedures each ruleset detects under which
 * Sysmon config. Every scenario runs through the whole pipeline once per
 * Sysmon config and per profile; each run is summarised as the rules that
 * fired (id, level, count) and the highest level. The numbers `tasklab
 * coverage` prints and the matrix of `tasklab report` both come from
 * tl_coverage_run, so they cannot disagree.
 *
 * Counting (level >= TL_COVERAGE_DETECT_LEVEL): for the first profile all its
 * rules count; for every other profile only the rules the first one lacks
 * ("own" rules), so a rule pack is judged by what it adds.
 *
 * Ownership: a tl_coverage owns its rows and strings; release with
 * tl_coverage_free. Options and everything they point at are borrowed.
 */
#ifndef TL_COVERAGE_H
#define TL_COVERAGE_H

#include "tasklab/pipeline.h"

#include <stddef.h>

#define TL_COVERAGE_MAX_PROFILES 3
#define TL_COVERAGE_MAX_FIRED 64
#define TL_COVERAGE_DETECT_LEVEL 6

typedef struct tl_coverage_fired {
    int id, level, count;
} tl_coverage_fired;

/** One run: a scenario under one Sysmon config and one profile. */
typedef struct tl_coverage_cell {
    int ran;       /* 0 = skipped (config or ruleset unavailable) */
    int max_level; /* highest level of any alert */
    int own_max;   /* highest level among rules the first profile lacks */
    size_t n_fired;
    tl_coverage_fired fired[TL_COVERAGE_MAX_FIRED]; /* in order of first appearance */
} tl_coverage_cell;

typedef struct tl_coverage_row {
    char *scenario, *kind, *technique, *actor; /* owned */
    size_t scenario_index;                     /* index into the options' scenarios */
    size_t config;                             /* index into the options' configs */
    tl_coverage_cell cells[TL_COVERAGE_MAX_PROFILES];
} tl_coverage_row;

typedef struct tl_coverage_sum {
    int attack_runs, attack_detected, benign_runs, benign_fp;
} tl_coverage_sum;

typedef struct tl_coverage {
    tl_coverage_row *rows; /* scenario-major, then config, in the options' order */
    size_t n_rows;
    size_t n_profiles;
    tl_coverage_sum sum[TL_COVERAGE_MAX_PROFILES];
    char *gaps; /* "- name (actor, config): not detected ...\n" lines, "" when none */
    size_t n_load_errors; /* scenarios that failed to load (reported through on_error) */
} tl_coverage;

/** Called once per run, in a deterministic order per (scenario, config) (but
 * from worker threads when jobs > 1: calls for different scenarios, or for
 * different configs of one scenario, may interleave; the calls of one config
 * come in profile order from one thread).
 * r is borrowed for the call; st/d tell why a run failed (r then empty). */
typedef void (*tl_coverage_run_fn)(void *ctx, size_t scenario, size_t config, size_t profile,
                                   const tl_scenario *sc, tl_status st, const tl_run_result *r,
                                   const tl_diag *d);
/** Called for a scenario that cannot be loaded (the run goes on without it). */
typedef void (*tl_coverage_error_fn)(void *ctx, const tl_diag *d);

typedef struct tl_coverage_opts {
    const char *const *scenarios; /* scenario file paths */
    size_t n_scenarios;
    const char *const *profiles; /* profile names (column titles) */
    const tl_ruleset *const *rulesets; /* one per profile; NULL = unavailable (cells skipped) */
    size_t n_profiles;                 /* 1 .. TL_COVERAGE_MAX_PROFILES */
    const char *const *configs;        /* Sysmon config paths; NULL = the scenario's own */
    const char *const *config_names;
    size_t n_configs;
    const tl_run_opts *run; /* template (AR mode, etc_dir, shared_dir); sysmon_config is set per run */
    int timeline_config;    /* index of the config whose runs get ro.timeline = 1, or -1 */
    int jobs;               /* worker threads ((scenario, config) units in parallel, longest
                               first); <= 1: one, in input order */
    tl_coverage_run_fn on_run;
    tl_coverage_error_fn on_error;
    void *ctx;
} tl_coverage_opts;

/** Run the study. TL_OK (load errors are counted, not fatal); TL_E_NOMEM;
 * TL_E_INVAL for bad options. *out is owned (tl_coverage_free), set on success. */
tl_status tl_coverage_run(const tl_coverage_opts *o, tl_coverage **out);
void tl_coverage_free(tl_coverage *c);

/** Append "115006 L6×1, 115009 L10×1": the fired rules at level >= min, leaving
 * out those `skip` (may be NULL) also has; "—" when none. */
void tl_coverage_fired_text(const tl_coverage_cell *c, int min, const tl_ruleset *skip,
                            tl_buf *out);

#endif /* TL_COVERAGE_H */
