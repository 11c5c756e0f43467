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
#include "tasklab/sysmon.h"

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
    /* Studies: see tl_ruleset_opts (a substituted rule file, a rule-file observer). */
    const char *subst_path;
    const char *subst_data;
    size_t subst_len;
    void (*rule_file_fn)(void *ctx, const char *path);
    void *rule_file_ctx;
} tl_profile_opts;

/** Load the ruleset a profile names. TL_E_NOTFOUND when the profile needs
 * ../shared and it is absent (callers report "skipped"). */
tl_status tl_profile_load(const tl_profile_opts *o, tl_ruleset **out, tl_diag *d);

typedef struct tl_expect tl_expect;
typedef struct tl_recording tl_recording;

typedef struct tl_run_opts {
    tl_ar_mode ar_mode;
    const char *ar_exe;     /* exec: Linux executable; wine: the .exe */
    const char *wineprefix; /* wine mode */
    const char *out_dir;    /* when set: write DIR/<name>/{events.xml,alerts.json,...} */
    const char *etc_dir;
    const char *shared_dir;
    const char *sysmon_config; /* override the scenario's Sysmon config */
    int trace;                 /* record a step-by-step trace (tasklab explain) */
    int trace_why_not;         /* trace: a rule id; each event says why it did not match */
    int trace_verbose;         /* trace: long records and values whole, not folded */
    int color;                 /* colour the trace */
    int ar_timeout_ms;         /* exec/wine: watchdog of one AR run (0: TL_EXECD_TIMEOUT_MS) */
    int keep_queue;            /* fill tl_run_result.queue */
    int timeline;              /* record the structured timeline (tasklab report) */
    tl_expect *expect;         /* borrowed, may be NULL: every logged record is counted against
                                  its `events` items (tl_expect_event) as the run goes */
    tl_sysmon_config_loader config_loader; /* may be NULL: loads the simulator's Sysmon
                                              config (tl_sim_opts.config_loader) */
    void *config_loader_ctx;
    tl_recording **record;     /* tl_pipeline_run, when set: on TL_OK *record gets the run's
                                  recording (owned, tl_recording_free), the one
                                  tl_pipeline_record makes of the same scenario and options
                                  (studies replay it for their other rulesets) */
} tl_run_opts;

/* events.xml up to this size is returned (and kept in golden/) byte for byte; a larger one
 * is streamed (to the out folder when there is one) and only its digest is returned. */
#define TL_EVENTS_INLINE_MAX (1024 * 1024)

typedef struct tl_run_result {
    char *events_xml;    /* <Events> document, one record a line; NULL when streamed */
    char *events_digest; /* when streamed: "sha256 HEX bytes N lines M\n" (golden .sha256) */
    char *alerts_json;  /* alerts.json content (one alert a line) */
    char *ar_log;       /* active-responses.log */
    char *tasks_log;    /* scheduled-tasks.log */
    char *trace;        /* explain trace when requested */
    char *queue;        /* keep_queue: every message the manager received, in order, one JSON
                           string a line (the form of the oracle's evtx .queue files) */
    char *timeline_json; /* when requested: the run as a JSON object (see below) */
    char *tasks_json;   /* the endpoint's tasks at the end of the run: a JSON array (sim.h
                           tl_sim_tasks_json), what `tasks` expectations count */
    char *console_json; /* what each command step printed: a JSON array of {"step", "command",
                           "exit_code", "output"} (sim.h tl_sim_console_json) */
    char *console_txt;  /* the same as text, written to OUT/<name>/console.txt */
    char *notes;        /* what the steps did that tasklab does not simulate, one a line
                           "$.steps[N]: remote host SRV02 not simulated: ..." ("" none) */
    size_t n_records;
    int recorded;        /* a recording scenario's run: golden files hold digests only */
    size_t n_alerts;
    size_t n_ar_runs;
    size_t n_ar_failed;   /* AR runs that failed (tl_execd_failures): the run is not to be trusted */
    char ar_failure[512]; /* the first failure, described (tl_execd_failure); "" when none */
    int max_level;
    char summary[512]; /* "12 events, 2 alerts (115006 L6, 115009 L10), 1 AR run[ (1 failed)]" */
} tl_run_result;

void tl_run_result_clear(tl_run_result *r);

/* The timeline (tl_run_opts.timeline): what `tasklab explain` prints, as data
 * for reports. A JSON object {"items": [...], "omitted": N, "tasks": [...]}.
 * Items in the order they happened on the virtual clock, each with "kind",
 * "time" (microseconds since the epoch) and "iso" (UTC):
 *   step     "index", "text" (the step as explain describes it)
 *   record   "event_time" (Sysmon's UtcTime, else "time"), "step", "channel", "event_id", "summary", "rule" (the Sysmon config
 *            rule that logged it, when Sysmon), "xml", "forwarded", "manager"
 *   dropped  "step", "event_id", "rule" (the config rule that dropped it; "time" is
 *            when the event happened, comparable with a record's "event_time"),
 *            "fields" (the event's data, name -> value; it was never rendered)
 *   ar       "executable", "message" (the AR's stdin)
 *   line     "location", "line" (a line the logcollector read), "manager"
 * "manager" is {"rule_id", "level", "alert", "chain": [{"id", "description", "fired"}],
 * "alert_json"} (absent when no rule matched). A chain entry's "description"
 * has its $(field)s filled: for the alert's own rule ("fired": true) it is the
 * alert's rule.description as alerts.json has it; for a rule that only matched
 * on the way down ("fired": false; Wazuh writes nothing for it) it is filled
 * from the same event the way analysisd fills an alert's (wazuh.md §9), and
 * "raw" keeps the rule's own text when the filling changed it. At most TL_TIMELINE_MAX_ITEMS
 * items are kept ("omitted" counts the rest: the soak's background noise).
 * "tasks": [{"path", "xml"}] the task files the run wrote that still exist at
 * its end (read from the endpoint). */
#define TL_TIMELINE_MAX_ITEMS 2000

/** Run a scenario through the pipeline. */
tl_status tl_pipeline_run(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                          tl_run_result *out, tl_diag *d);

/* ---- hand-written expectations (scenarios/README.md "expect") ----------------
 * An item counts alerts (`match`), logged event records (`events`), the active
 * response's records (`ar`), the endpoint's final tasks (`tasks`) or the command
 * steps' console output (`console`). Compile once per run with tl_expect_new,
 * feed the records as they are logged (tl_run_opts.expect does it), then
 * tl_expect_finish with the rest of the run's output. */

/** Parse and validate a scenario's "expect" array (compact JSON; NULL = none)
 * for `profile` (NULL: every item applies). *out owned (tl_expect_free), set on
 * TL_OK only. TL_E_PARSE with d's message naming the JSON path
 * ("$.expect[2].events.System.EventID__gt: expected a number"). */
tl_status tl_expect_new(const char *expect_json, const char *profile, tl_expect **out, tl_diag *d);
void tl_expect_free(tl_expect *e);
/** Start counting records (resets the counts): `events` items are checked by
 * tl_expect_finish only after this or tl_expect_event was called. */
void tl_expect_events_begin(tl_expect *e);
/** Count one logged record (EvtRender XML, borrowed; e NULL: nothing). */
tl_status tl_expect_event(tl_expect *e, const char *xml);

/** What a run produced, borrowed; a NULL member leaves that kind's items unchecked. */
typedef struct tl_expect_data {
    const char *alerts_json;  /* alerts.json: `match` items */
    const char *tasks_log;    /* scheduled-tasks.log: `ar` items */
    const char *tasks_json;   /* tl_run_result.tasks_json: `tasks` items */
    const char *console_json; /* tl_run_result.console_json: `console` items */
} tl_expect_data;

/** Compare every applying item's count; appends one line per failed item to
 * `report` and sets *failed to their number. TL_E_PARSE (d) when the data is
 * not what it should be (a line of alerts.json that is not JSON). */
tl_status tl_expect_finish(tl_expect *e, const tl_expect_data *in, tl_buf *report, int *failed,
                           tl_diag *d);

/** Check the expectations on alerts.json content only (studies that replay
 * the rules: the other kinds do not depend on them). As tl_expect_new + finish. */
tl_status tl_expect_check(const char *expect_json, const char *profile, const char *alerts_json,
                          tl_buf *report, int *failed, tl_diag *d);
/** Check every kind on a finished run (events from r->events_xml when it was
 * kept in memory; a streamed one leaves `events` items unchecked). */
tl_status tl_expect_check_run(const char *expect_json, const char *profile,
                              const tl_run_result *r, tl_buf *report, int *failed, tl_diag *d);

/** Compare `actual` with the golden file; on mismatch append a semantic
 * summary (alerts only: rule ids/levels added, removed, changed) and a unified
 * diff to report. *same = 1 when byte-identical. A missing golden file is a
 * mismatch ("no golden file"). */
tl_status tl_golden_compare(const char *golden_path, const char *actual, int is_alerts,
                            tl_buf *report, int *same, tl_diag *d);

/** An events.xml larger than this is snapshotted as its digest. */
#define TL_GOLDEN_INLINE_MAX TL_EVENTS_INLINE_MAX

/** The golden snapshot of events.xml (what `tasklab test` compares): the text
 * itself, or "sha256 HEX bytes N lines N\n" when larger than
 * TL_GOLDEN_INLINE_MAX; `events` NULL: the driver streamed it and `digest` (the
 * run result's events_digest) is that line. *suffix gets the golden file's suffix (static). Owned
 * result (tl_free), NULL on out of memory. */
char *tl_golden_events_snapshot(const char *events, const char *digest, const char **suffix);

/** The golden snapshot of alerts.json: the text itself (*suffix ".alerts.json"),
 * or for a recording scenario's run (`recorded`, tl_run_result.recorded) one
 * digest line per alert (*suffix ".alerts.digest"): its rule id, level,
 * description and groups, and the SHA-256 of the alert's canonical JSON without
 * timestamp, id, manager and agent (golden.c) — recorded events are other
 * projects' data and never go into golden/. Owned result (tl_free), NULL on out
 * of memory. */
char *tl_golden_alerts_snapshot(const char *alerts, int recorded, const char **suffix);

/* ---- record once, replay many times (studies: tasklab mutate) ----------------
 * A recording is everything of a scenario's run that does not depend on the
 * rules: the steps and their endpoint-file changes, the records and the queue
 * lines the agent forwards, in the driver's processing order. Replaying it with
 * a ruleset runs the manager, execd (the AR) and the logcollector exactly as
 * tl_pipeline_run does; alerts.json, active-responses.log and
 * scheduled-tasks.log come out byte-identical (events_xml is not kept: NULL). */

/** Simulate sc once (no manager). Uses o->etc_dir, o->shared_dir,
 * o->sysmon_config. *out owned (tl_recording_free), set on TL_OK only; the
 * scenario may be freed afterwards. Statuses as tl_pipeline_run. */
tl_status tl_pipeline_record(const tl_scenario *sc, const tl_run_opts *o, tl_recording **out,
                             tl_diag *d);
void tl_recording_free(tl_recording *r);
/** The scenario's name (borrowed). */
const char *tl_recording_name(const tl_recording *r);
/** Number of queue lines the agent forwards from the simulator. */
size_t tl_recording_forwarded(const tl_recording *r);

/** Told of the endpoint's files: first those the endpoint starts with (step
 * (size_t)-1), then, per step in execution order, the files it wrote (del 0,
 * the whole new content) or removed (del 1, data NULL). rel is the path below
 * the drive, '/' separated, with the casing the simulator created it with.
 * Everything borrowed for the call; a non-zero return stops the walk. */
typedef int (*tl_recording_file_fn)(void *ctx, size_t step, const char *rel, const char *data,
                                    size_t len, int del);
/** Walk the recorded file changes (tasklab vary compares the task files a run
 * leaves). TL_OK, or TL_E_INTERNAL when fn stopped the walk. */
tl_status tl_recording_files(const tl_recording *r, tl_recording_file_fn fn, void *ctx);

/** Called once per line the manager receives (records and logcollector lines),
 * in order, seq counting from 0; res is NULL when the manager dropped it. */
typedef void (*tl_pipeline_feed_fn)(void *ctx, size_t seq, const char *line, tl_time now,
                                  const tl_result *res);

typedef struct tl_pipeline_replay_opts {
    tl_ar_mode ar_mode; /* inproc (0) or exec */
    const char *ar_exe;
    tl_engine_trace_fn trace; /* engine trace sink (rules tried), may be NULL */
    void *trace_ctx;
    tl_pipeline_feed_fn on_feed; /* after each manager line, may be NULL */
    void *feed_ctx;
} tl_pipeline_replay_opts;

/** Replay a recording with rs (borrowed; recordings and rulesets may be shared
 * by threads). o may be NULL. out as tl_pipeline_run's, events_xml NULL. */
tl_status tl_pipeline_replay(const tl_recording *rec, const tl_ruleset *rs,
                             const tl_pipeline_replay_opts *o, tl_run_result *out, tl_diag *d);

/** tl_pipeline_replay of one recording with n rulesets at once: out[k],
 * sts[k] and ds[k] are what tl_pipeline_replay(rec, rs[k], o, &out[k], &ds[k])
 * gives (out[k] set only when sts[k] is TL_OK), while each eventchannel record
 * is decoded once for all of them (decoding it does not depend on the
 * ruleset). o may be NULL; its trace and on_feed must be NULL (TL_E_INVAL).
 * Returns TL_OK, or a status that failed every replay (then sts[] has it). */
tl_status tl_pipeline_replay_many(const tl_recording *rec, const tl_ruleset *const *rs, size_t n,
                                  const tl_pipeline_replay_opts *o, tl_run_result *out,
                                  tl_status *sts, tl_diag *ds);

/** tl_pipeline_record and tl_pipeline_replay_many of the recording with
 * rs[0..n) in one go, without keeping the recording: the replays follow the
 * simulation (each eventchannel record decoded once for all of them, each
 * forwarded line dropped once they have it). out, sts, ds as
 * tl_pipeline_replay_many's; po may be NULL, its trace and on_feed must be
 * NULL. Returns the simulation's status (d): a failure fails every replay. */
tl_status tl_pipeline_record_replay(const tl_scenario *sc, const tl_run_opts *o,
                                    const tl_ruleset *const *rs, size_t n,
                                    const tl_pipeline_replay_opts *po, tl_run_result *out,
                                    tl_status *sts, tl_diag *ds, tl_diag *d);

/** tl_pipeline_run with rs and, beside it, tl_pipeline_replay_many of the
 * run's recording with also[0..n_also), replayed as the run goes: the
 * simulation is done once and each eventchannel record decoded once for the
 * run and all the replays (tasklab report: the timeline run of one profile and
 * the other profiles under the same Sysmon config). out and d are the run's,
 * as tl_pipeline_run's; also_out[k], also_sts[k], also_ds[k] what
 * tl_pipeline_replay_many(recording, also, n_also, NULL, ...) gives (a failed
 * run fails every replay with its status; also_out[k] is set only when
 * also_sts[k] is TL_OK). The AR runs inproc or as a child (--ar wine:
 * TL_E_INVAL, for the run and every replay). */
tl_status tl_pipeline_run_also(const tl_scenario *sc, const tl_ruleset *rs, const tl_run_opts *o,
                               tl_run_result *out, tl_diag *d, const tl_ruleset *const *also,
                               size_t n_also, tl_run_result *also_out, tl_status *also_sts,
                               tl_diag *also_ds);

#endif /* TL_PIPELINE_H */
