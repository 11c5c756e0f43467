/* SPDX-License-Identifier: MIT */
/*
 * libtl_studies: studies that run the pipeline many times. For now one:
 * mutation testing of detection rules (tasklab mutate).
 *
 * A mutant is one small change to one rule of the user's own rule files (a
 * condition deleted or negated, a pattern weakened, a level lowered, ...). Each
 * scenario is simulated once (tl_pipeline_record); each mutant ruleset replays
 * the recordings (tl_pipeline_replay). A mutant is KILLED when some scenario's
 * checks notice it (an expectation that held fails, or alerts.json no longer
 * equals the golden file); it SURVIVED when no scenario's checks notice it.
 *
 * Ownership: options are borrowed for the call; a tl_mutate_report is owned by
 * the caller (tl_mutate_report_free). Output is deterministic: the same bytes
 * for any number of jobs.
 */
#ifndef TL_STUDIES_H
#define TL_STUDIES_H

#include "tasklab/base.h"
#include "tasklab/pipeline.h"

#include <stddef.h>

typedef struct tl_mutate_opts {
    tl_profile_opts prof;               /* the ruleset under test (borrowed) */
    const char *profile_name;           /* for expectations' "profiles" filter */
    const char *const *scenarios;       /* scenario files, in the order to report */
    size_t n_scenarios;
    const char *golden_dir;             /* golden/<profile>; NULL: expectations only */
    const int *rule_ids;                /* --rule: only these rules (0 = all own rules) */
    size_t n_rule_ids;
    int include_stock;                  /* mutate stock rule files too */
    int jobs;                           /* worker threads, >= 1 */
    const char *etc_dir;                /* pipeline/etc (agent.conf, Sysmon config) */
    const char *shared_dir;             /* ../shared */
    int limit;                          /* > 0: stop after this many mutants (bench) */
    const char *display_root;           /* file names in the report relative to this */
    int shard_i, shard_n;               /* --shard I/N: mutants i with i % N == I - 1; 0/0 all */
} tl_mutate_opts;

typedef struct tl_mutate_report tl_mutate_report;

/**
 * Generate the mutants, run them against the scenarios and classify them.
 * @return TL_OK; TL_E_INVAL (an unknown --rule id, a malformed or stale line in a
 *         mutants-equivalent.txt: d names the file and line); TL_E_RULE /
 *         TL_E_PARSE / TL_E_IO (the rules or a scenario do not load: d names the
 *         file and line); TL_E_NOTFOUND (the profile needs ../shared, absent);
 *         TL_E_NOMEM. *out set on TL_OK only.
 */
tl_status tl_mutate_run(const tl_mutate_opts *o, tl_mutate_report **out, tl_diag *d);
void tl_mutate_report_free(tl_mutate_report *r);

/** Counts: killed, survived, equivalent (allowlisted), invalid (mutant rule
 * does not load), total. Score = killed / (killed + survived), 100 when both 0. */
void tl_mutate_report_counts(const tl_mutate_report *r, size_t *killed, size_t *survived,
                             size_t *equivalent, size_t *invalid, size_t *total);
double tl_mutate_report_score(const tl_mutate_report *r);
/** Mutants of the whole run before --shard: the report of shard I/N holds
 * those of index I-1, I-1+N, ... (tasklab mutate --merge-results). */
size_t tl_mutate_report_total(const tl_mutate_report *r);
/** Replays run (scenario x mutant pairs not proven unchanged by a cheaper check). */
size_t tl_mutate_report_replays(const tl_mutate_report *r);

/** Render as text, JSON (schema in README.md) or JUnit XML; appended to out. */
void tl_mutate_report_text(const tl_mutate_report *r, tl_buf *out);
void tl_mutate_report_json(const tl_mutate_report *r, tl_buf *out);
void tl_mutate_report_junit(const tl_mutate_report *r, tl_buf *out);

#endif /* TL_STUDIES_H */
