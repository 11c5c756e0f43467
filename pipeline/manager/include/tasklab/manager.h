/* SPDX-License-Identifier: MIT */
/*
 * tasklab manager: a re-implementation of wazuh-analysisd 4.14.7's decoding,
 * rule matching, alerts.json output and active-response binding.
 *
 * Two objects, as YARA splits rules and scanner:
 *  - tl_ruleset: decoders + rules + lists + AR bindings, compiled once by
 *    tl_ruleset_load and immutable afterwards (it may be shared by several
 *    engines, one per thread).
 *  - tl_engine: the mutable state of one analysisd run (firedtimes,
 *    frequency / if_matched_* memory, ignore timers, the alerts.json byte
 *    offset used in alert ids). Feed it queue lines in arrival order.
 *
 * Determinism: nothing here reads the wall clock; the `now` argument of
 * tl_engine_process is the receive time used for timestamps, alert ids,
 * frequency windows and <time>/<weekday>.
 */
#ifndef TL_MANAGER_H
#define TL_MANAGER_H

#include "tasklab/base.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_ruleset tl_ruleset; /* compiled decoders + rules + lists + AR bindings */
typedef struct tl_engine tl_engine;   /* mutable per-run state */

/** Warning sink: one line per call, "file:line: rule 123: ..." (no '\n'). */
typedef void (*tl_warn_fn)(void *ctx, const char *msg);

typedef struct tl_ruleset_opts {
    const char *ossec_conf; /* optional ossec.conf: <ruleset>, <command>, <active-response>, <alerts> */
    const char *base_dir;   /* relative dirs in ossec_conf resolve against this (like /var/ossec);
                               NULL: the folder of ossec_conf */
    const char *const *rule_dirs;
    size_t n_rule_dirs; /* in addition to ossec_conf's */
    const char *const *decoder_dirs;
    size_t n_decoder_dirs;
    const char *const *rule_files;
    size_t n_rule_files; /* single files (e.g. local_rules.xml, --rules FILE) */
    const char *const *decoder_files;
    size_t n_decoder_files;
    tl_warn_fn warn; /* kept by the ruleset: engines also warn while they run, so */
    void *warn_ctx;  /* warn_ctx must stay valid until tl_ruleset_free */
    int skip_conf_ruleset; /* 1: ignore ossec_conf's <ruleset> (dirs, files, lists, excludes);
                              keep only its <command>, <active-response>, <alerts>, <global> */
    int keep_conf_decoders; /* with skip_conf_ruleset: keep ossec_conf's decoders (a user
                               ruleset that has rules/ but no decoders/) */
    int stock_ruleset;     /* 1: when no <ruleset> of ossec_conf is in force, apply the block
                              an installed 4.14.7 manager has: <rule_exclude>
                              0215-policy_rules.xml and the six stock CDB lists
                              (etc/lists/..., text form; absent ones skipped) */
    const char *stock_dir; /* the stock lists resolve against this (NULL: base_dir) */
    /* Studies (tasklab mutate): the rule file whose path equals subst_path is read
     * from subst_data/subst_len instead of the disk (a mutated copy of it), and
     * rule_file_fn, when set, is told the path of every rule file as it loads. */
    const char *subst_path;
    const char *subst_data;
    size_t subst_len;
    void (*rule_file_fn)(void *ctx, const char *path);
    void *rule_file_ctx;
} tl_ruleset_opts;

/**
 * Load and compile a ruleset.
 *
 * Rule files from every rule dir (ossec_conf's first, then o->rule_dirs) are
 * loaded in basename order (a basename seen twice is loaded once, minus
 * <rule_exclude>), then o->rule_files in the given order. Decoders likewise.
 * Without ossec_conf the alert thresholds are those of Wazuh's default
 * manager configuration (log_alert_level 3, email_alert_level 12).
 *
 * @param o    options (borrowed; strings need only live during the call)
 * @param out  on TL_OK, a new ruleset owned by the caller (tl_ruleset_free)
 * @param d    on failure: file, line and a one-line message (Wazuh's wording)
 * @return TL_OK, TL_E_IO, TL_E_PARSE (XML), TL_E_RULE (bad rule), TL_E_REGEX,
 *         TL_E_NOMEM
 */
tl_status tl_ruleset_load(const tl_ruleset_opts *o, tl_ruleset **out, tl_diag *d);
/** Free; NULL is fine. No engine may use it afterwards. */
void tl_ruleset_free(tl_ruleset *rs);
/** A lint finding: file and line of the rule, a check name, a one-line message. */
typedef void (*tl_lint_fn)(void *ctx, const char *file, int line, const char *check,
                           const char *msg);
/**
 * Checks across rules (lint.c): shadowed-sibling, description-field, and with
 * `fired` (the ids of rules that fired in some scenario, sorted ascending;
 * NULL to skip) no-scenario. Findings go to fn in load order.
 * @param rs borrowed; fired borrowed, may be NULL.
 */
void tl_ruleset_lint(const tl_ruleset *rs, const int *fired, size_t nfired, tl_lint_fn fn,
                     void *ctx);
/** Number of rules in the tree (skipped/ignored rules are not counted). */
size_t tl_ruleset_rule_count(const tl_ruleset *rs);
/** 1 when a rule with this id is in the tree, else 0. */
int tl_ruleset_has_rule(const tl_ruleset *rs, int id);
/** Alert thresholds in force (from <alerts>). */
int tl_ruleset_log_alert_level(const tl_ruleset *rs);
/** The distinct <level> thresholds of the ruleset's <active-response> blocks
 * (those that bind by level), ascending; writes at most max, returns how many
 * there are. */
size_t tl_ruleset_ar_levels(const tl_ruleset *rs, int *out, size_t max);
int tl_ruleset_email_alert_level(const tl_ruleset *rs);
/** Append a text dump of the rule tree ("  61600 (0)\n    61603 (0)\n...") to a
 * NUL-terminated buffer the caller frees with tl_free. */
char *tl_ruleset_dump_tree(const tl_ruleset *rs);

typedef struct tl_engine_opts {
    const char *manager_name; /* alert manager.name, e.g. "wazuh-manager" */
    const char *node_name;    /* AR origin.name, "node01" ("undefined" when NULL) */
} tl_engine_opts;

/** New engine over rs (borrowed: rs must outlive the engine). *out owned by
 * the caller (tl_engine_free). */
tl_status tl_engine_new(const tl_ruleset *rs, const tl_engine_opts *o, tl_engine **out);
/** Free; NULL is fine. */
void tl_engine_free(tl_engine *e);
/** Release the calling thread's matching scratch (PCRE2 match data); a worker
 * thread that ran engines calls it before it exits. */
void tl_manager_thread_cleanup(void);

typedef struct tl_ar_request {
    const char *name;       /* "analyze-scheduled-task0" (command name + timeout) */
    const char *executable; /* "analyze-scheduled-task.exe" */
    const char *location;   /* "local" | "server" | "defined-agent" | "all" */
    const char *agent_id;   /* agent that should run it ("000" = the manager, "all") */
    int timeout;
    const char *message; /* analysisd->agent JSON, wazuh.md §11.2 */
} tl_ar_request;

typedef struct tl_result {
    int matched;             /* a rule was returned by the tree walk (level may be 0) */
    const char *rule_id;     /* "115006" or NULL */
    int level;
    const char *alert_json;  /* the alerts.json line (no '\n') when the alert is logged, else NULL */
    size_t n_ar;
    const tl_ar_request *ar; /* ARs to run for this event */
} tl_result; /* all pointers borrowed, valid until the next tl_engine_process / free */

/**
 * Feed one analysisd queue line (`f:[001] (HOST) any->EventChannel:{...}`,
 * `1:[001] (HOST) any->logs\scheduled-tasks.log:{...}`), received at virtual
 * time `now`. Decodes, walks the rule tree, builds the alert and the AR
 * messages, and advances the alerts.json offset by the logged line + '\n'.
 * A malformed event is TL_E_PARSE with d->msg (the engine stays usable).
 * @param out  filled on TL_OK (borrowed pointers, see tl_result)
 */
tl_status tl_engine_process(tl_engine *e, const char *queue_line, tl_time now, tl_result *out,
                            tl_diag *d);

/** A decoded event (pre-decoding and decoding done, no rule walked yet),
 * opaque. Decoding depends only on the decoders, not on the rules: studies
 * that run one recording against many rule variants (tasklab mutate) decode
 * each event once and walk it with every variant. */
typedef struct tl_decoded tl_decoded;

/**
 * Pre-decode and decode one queue line as tl_engine_process would, without
 * walking the rules and without touching the engine's state.
 * @param out  on TL_OK an owned event (tl_decoded_free); it borrows the
 *             engine's ruleset's decoders: that ruleset must outlive it
 * @return TL_E_PARSE (d set) for an event tl_engine_process would drop
 */
tl_status tl_engine_decode(tl_engine *e, const char *queue_line, tl_time now, tl_decoded **out,
                           tl_diag *d);
/** Free; NULL is fine. */
void tl_decoded_free(tl_decoded *dv);
/**
 * tl_engine_process for an event tl_engine_decode made (dv borrowed, read
 * only; it must outlive the engine's next process call). The engine's ruleset
 * must have loaded the same decoder files, in the same order, as the one that
 * decoded dv (same decoder ids); then the result equals tl_engine_process on
 * the same line at the same `now`.
 */
tl_status tl_engine_process_decoded(tl_engine *e, const tl_decoded *dv, tl_time now,
                                    tl_result *out, tl_diag *d);

/**
 * Rule `rule_id`'s own conditions (not its parents', not its children's) on
 * dv, evaluated as the walk evaluates them when it reaches the rule: 1 they
 * hold, 0 they do not, -1 no such rule in the tree. Same precondition on dv as
 * tl_engine_process_decoded; meant for rules that keep no state (frequency,
 * if_matched_*, same_ / different_ fields: their answer depends on the past).
 * The engine forgets its previous event, as a process call does.
 */
int tl_engine_rule_holds(tl_engine *e, int rule_id, const tl_decoded *dv, tl_time now);

/** Trace sink for logtest -v / ruleset-test: one call per rule tried, in walk
 * order. `failed` names the first failing condition ("field
 * win.eventdata.image", "decoded_as", ...) or is NULL when the rule's own
 * conditions all passed. depth 0 = top level. */
typedef void (*tl_engine_trace_fn)(void *ctx, const char *rule_id, const char *description,
                                   int depth, int matched, const char *failed);
/** Install (or remove with NULL) the trace sink. */
void tl_engine_set_trace(tl_engine *e, tl_engine_trace_fn fn, void *ctx);

/** Append desc with its $(field) references filled from the engine's current
 * event (the one being walked, else the last processed), as an alert's
 * rule.description is filled (wazuh.md §9). e and desc borrowed. */
void tl_engine_expand_description(const tl_engine *e, const char *desc, tl_buf *out);

/* ---- why a rule did not match (whynot.c; tasklab explain --why-not) ---------
 * Feed it the engine's trace calls (tl_engine_set_trace) of one walk, then ask
 * it after tl_engine_process: it says why the rule did not match that event
 * (its own failing condition and the value seen, the rule above it that
 * failed, the sibling that won first, the event's category) or that it did. */
typedef struct tl_whynot tl_whynot;
/** Follow rule `rule_id` through e's walks (e borrowed, must outlive it).
 * verbose: values and patterns whole, every failing rule above it listed.
 * @return TL_E_NOTFOUND when the ruleset has no such rule in its tree; *out
 *         owned (tl_whynot_free), set on TL_OK only. */
tl_status tl_whynot_new(tl_engine *e, int rule_id, int verbose, tl_whynot **out);
void tl_whynot_free(tl_whynot *w);
/** Append the rule: id, level, file:line, description, its parents as written
 * (if_sid / if_group / if_level / category, decoded_as) and a path from the top. */
void tl_whynot_describe(const tl_whynot *w, tl_buf *out);
/** One call of the engine's trace sink (same arguments). */
void tl_whynot_trace(tl_whynot *w, const char *rule_id, int depth, int matched,
                     const char *failed);
/** After tl_engine_process (res: its result, borrowed): append lines
 * "<indent>why not N: ..." for the event just walked, then forget the walk. */
void tl_whynot_explain(tl_whynot *w, const tl_result *res, const char *indent, tl_buf *out);
/** Forget the current walk (an event the manager dropped before walking). */
void tl_whynot_reset(tl_whynot *w);

/** Bytes of alerts.json written so far (the next alert id's suffix). */
long long tl_engine_alert_offset(const tl_engine *e);

/* ==== logtest and ruleset tests (logtest.c, rstest.c; owner: issue 3) ====
 * wazuh-logtest and ruleset/testing/runtests.py on top of the engine above
 * (wazuh.md §12). Virtual clock: the first event is received at
 * 2024-01-01T00:00:00Z (unless opts say otherwise), each later one 1 s after
 * the previous. */

typedef struct tl_logtest tl_logtest; /* one logtest token: an engine + its clock */

typedef struct tl_logtest_opts {
    int rules_debug;          /* -v: "**Rule debugging:" lines + why each rule failed */
    tl_time start;            /* receive time of the first event; 0 = 2024-01-01T00:00:00Z */
    tl_time step;             /* added per event; 0 = 1 s */
    const char *location;     /* NULL = "stdin" (events are queued as "1:stdin:<event>") */
    const char *manager_name; /* NULL = "wazuh-manager" */
} tl_logtest_opts;

typedef struct tl_logtest_result {
    const char *text;    /* wazuh-logtest's text: Phase 1..3, '\n'-terminated lines */
    const char *json;    /* the reply's "output" object, one line without '\n' */
    int matched;         /* a rule was returned by the tree walk (level may be 0) */
    const char *rule_id; /* "" when !matched */
    int level;           /* -1 when !matched */
    const char *decoder; /* decoder name shown in alerts; "" when none matched */
    int alert;           /* "**Alert to be generated." */
} tl_logtest_result; /* borrowed, valid until the next process call / free */

/** Longest event accepted (Wazuh's OS_MAXSTR - 1). */
#define TL_LOGTEST_MAX_EVENT 65535

/** New logtest session over rs (borrowed; must outlive the session). o may
 * be NULL. *out owned by the caller (tl_logtest_free). */
tl_status tl_logtest_new(const tl_ruleset *rs, const tl_logtest_opts *o, tl_logtest **out);
/** Free; NULL is fine. */
void tl_logtest_free(tl_logtest *lt);
/**
 * Process one event (one stdin line, without its newline). A raw
 * eventchannel payload ({"Message":..,"Event":"<Event..."}) goes through the
 * eventchannel path (queue 'f'); anything else is queued as "1:stdin:<event>".
 * Errors (TL_E_LIMIT for an event longer than TL_LOGTEST_MAX_EVENT,
 * TL_E_PARSE for a NUL byte or a malformed eventchannel event) fill d with
 * one line; the session stays usable and the clock still advances.
 */
tl_status tl_logtest_process(tl_logtest *lt, const char *event, size_t len,
                             tl_logtest_result *out, tl_diag *d);

/**
 * runtests.py's rewrite of rule 60000 as an engine option (the rule files
 * are not touched): its <decoded_as windows_eventchannel> and <category
 * ossec> are replaced by decoded_as json, and the rule (with its subtree)
 * moves under the syslog category root, so pre-converted {"win":...} JSON
 * lines decoded by `json` reach the Windows rules. TL_E_NOTFOUND (d set)
 * when there is no rule 60000 or no json decoder; rs is then unchanged.
 */
tl_status tl_ruleset_winevt_as_json(tl_ruleset *rs, tl_diag *d);

/** Counters of tl_rstest_run_file (added to, never reset), and the reviewed
 * list of cases known to fail (input, borrowed: "<ini basename>:<line>"
 * strings). A listed case that fails counts in known_failed, not failed; a
 * listed case that passes counts as failed (the list must shrink). */
typedef struct tl_rstest_stats {
    size_t passed, failed, skipped;
    const char *const *known;
    size_t nknown;
    size_t known_failed;
    tl_time start; /* input: receive time of each case's first event (feeds <time> and
                      <weekday>); 0 = 2024-01-01T00:00:00Z, a Monday */
} tl_rstest_stats;

#define TL_RSTEST_VERBOSE 1 /* report: the logtest text of each failing case's last event */
#define TL_RSTEST_STRICT 2  /* count would-be skips as failures */

/**
 * Run one runtests.py INI file (wazuh.md §12) against rs: one fresh logtest
 * session per `log N pass|fail` key (repeated keys accumulate into one
 * session), the last event's rule id / level / decoder compared with the
 * section's rule / alert / decoder. Appends one line per failing case to
 * report ("<file>:<line>: [<section>] <key>: <why>"). A `pass` case that
 * cannot pass with rs (its decoder is unknown, its rule is not in the tree,
 * or the rule needs a CDB list that could not be loaded) is skipped, with a
 * line saying why (unless TL_RSTEST_STRICT). TL_E_IO / TL_E_PARSE (d: file
 * and line) when the INI cannot be read.
 */
tl_status tl_rstest_run_file(const tl_ruleset *rs, const char *ini_path, int flags,
                             tl_buf *report, tl_rstest_stats *stats, tl_diag *d);
/** tl_rstest_run_file on `len` bytes already read (borrowed); ini_path names
 * them in reports and errors. A NUL byte in the text is an error (TL_E_PARSE,
 * d: file and line). */
tl_status tl_rstest_run_mem(const tl_ruleset *rs, const char *ini_path, const char *data,
                            size_t len, int flags, tl_buf *report, tl_rstest_stats *stats,
                            tl_diag *d);
/* ==== end of logtest and ruleset tests ==== */

#ifdef __cplusplus
}
#endif

#endif /* TL_MANAGER_H */
