/* SPDX-License-Identifier: MIT */
/*
 * The simulated Windows endpoint: registry, file system, processes, users, a
 * virtual clock, the Task Scheduler service and the command interpreters
 * (cmd, schtasks, reg, at, PowerShell ScheduledTasks cmdlets). Running a
 * scenario step changes the endpoint state and produces raw kernel-level
 * events that go through the Sysmon engine (sysmon.h); the logged ones (and
 * optional Security / TaskScheduler channel events) are queued as rendered
 * Windows event records.
 *
 * Determinism: everything (GUIDs, pids, record ids, timestamps) derives from
 * the scenario's start time and seed; two runs give the same bytes.
 */
#ifndef TL_SIM_H
#define TL_SIM_H

#include <stddef.h>

#include "tasklab/base.h"
#include "tasklab/scenario.h"
#include "tasklab/sysmon.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_sim tl_sim;
struct tl_evfield;

/** Told of each Sysmon event the config dropped (for reports): its id, time,
 * producing step (execution index), data fields and the config rule that
 * dropped it. All pointers borrowed for the call. */
typedef void (*tl_sim_dropped_fn)(void *ctx, int event_id, tl_time t, size_t step,
                                  const struct tl_evfield *fields, size_t n, const char *explain);

typedef struct tl_sim_opts {
    const char *etc_dir;       /* pipeline/etc: default sysmon config lives here */
    const char *shared_dir;    /* ../shared (may be NULL or missing) */
    const char *sysmon_config; /* override path (tasklab sysmon --config), NULL = scenario's */
    const char *drive_c;       /* if non-NULL: materialise every file write/delete into this folder,
                                  laid out as a C: drive, case-insensitively merging into existing
                                  folders (a Wine drive_c) */
} tl_sim_opts;

/**
 * Build the endpoint of a scenario (baseline registry, files, processes) and
 * load its Sysmon config. The scenario is borrowed and must outlive the sim.
 * @return TL_OK; TL_E_NOTFOUND when the config names a reference config and
 *         shared_dir is missing (the test driver SKIPs); TL_E_PARSE / TL_E_IO for a
 *         bad config; TL_E_NOMEM. *out is owned (tl_sim_free) and set on success only.
 */
tl_status tl_sim_new(const tl_scenario *sc, const tl_sim_opts *o, tl_sim **out, tl_diag *d);
/** Free; NULL is a no-op. */
/** As tl_sim_new, mirroring every file write/delete into the memory drive `mem`
 * (borrowed; it must outlive the simulator) with the semantics and limits of the
 * host mirror: with o->drive_c NULL no host file is touched; with o->drive_c set
 * into both (a run that also records what the simulator alone wrote). */
tl_status tl_sim_new_in_memory(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                               tl_sim **out, tl_diag *d);
/** tl_sim_new_in_memory (mem may be NULL: tl_sim_new) with the Sysmon config
 * loaded by loader(loader_ctx, resolved path, ...) instead of
 * tl_sysmon_config_load (loader NULL: that); the config it gives is borrowed
 * and must outlive the simulator. */
tl_status tl_sim_new_via(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                         tl_sysmon_config_loader loader, void *loader_ctx, tl_sim **out,
                         tl_diag *d);
void tl_sim_free(tl_sim *s);
/** Install (fn NULL: remove) the hook told of every Sysmon event the config
 * drops from now on. ctx is borrowed. */
void tl_sim_set_dropped_hook(tl_sim *s, tl_sim_dropped_fn fn, void *ctx);
/** Number of steps (same as the scenario's). */
size_t tl_sim_step_count(const tl_sim *s);
/** Virtual time of step i in execution order (sorted by time, ties in file order). */
tl_time tl_sim_step_time(const tl_sim *s, size_t i);
/**
 * Execute step i (in execution order); produced records are queued.
 * @return TL_OK; TL_E_PARSE for an unparseable / invalid command line (d names
 *         the scenario step: "x.json: $.steps[0].command: schtasks: unknown switch /zz");
 *         TL_E_INVAL for a step impossible on the endpoint; TL_E_NOMEM.
 */
tl_status tl_sim_run_step(tl_sim *s, size_t i, tl_diag *d);

typedef struct tl_record {
    tl_time time;        /* event time (TimeCreated) */
    const char *channel; /* "Microsoft-Windows-Sysmon/Operational", "Security", ... */
    const char *xml;     /* one-line EvtRender XML, single-quoted attributes */
    const char *message; /* rendered Message text (CRLF), NULL when none */
    const char *explain; /* why Sysmon logged it (config rule), may be NULL */
    size_t step;         /* index of the producing step */
} tl_record;

/** Pop the next queued record in time order; 1 = got one (strings borrowed until
 * the next call or tl_sim_free), 0 = queue empty. */
int tl_sim_next_record(tl_sim *s, tl_record *out);

/** Read an endpoint file by Windows path (case-insensitive); TL_E_NOTFOUND when
 * missing. *data (NUL-terminated, not counted in *len) is freed with tl_free. */
tl_status tl_sim_read_file(const tl_sim *s, const char *winpath, char **data, size_t *len);
/** Append to a file on the endpoint (created if missing, used for the agent's
 * logs); mirrored to drive_c when set. Produces no events. */
tl_status tl_sim_append_file(tl_sim *s, const char *winpath, const void *data, size_t len);
/** "C:\\Program Files (x86)\\ossec-agent" (x64) / "C:\\Program Files\\ossec-agent" (x86). Borrowed.
 */
const char *tl_sim_agent_dir(const tl_sim *s);
/** The endpoint's tasks now (deleted ones aside), as a JSON array in
 * registration order: Name, Path, Id, Author, Actions, Triggers, Principal,
 * Hidden, Enabled, RegistryOnly, Loaded, SD, Index, Listed, File (task_state.c).
 * *out owned (tl_free), set on TL_OK only. */
tl_status tl_sim_tasks_json(tl_sim *s, char **out);
/** What the command steps run so far printed: a JSON array of {"step" ($.steps
 * index), "command", "exit_code", "output"} (console.c). *out owned. */
tl_status tl_sim_console_json(const tl_sim *s, char **out);
/** The same as a transcript (OUT/<name>/console.txt; "" with no command step). *out owned. */
tl_status tl_sim_console_text(const tl_sim *s, char **out);
/** The output of the command step just run, when it is step `file_index`
 * ($.steps index): borrowed text ("" when it printed nothing) and *exit_code; NULL otherwise. */
const char *tl_sim_console_step(const tl_sim *s, size_t file_index, int *exit_code);
/** tasklab's notes on the command step just run (what it did that tasklab does not
 * simulate, e.g. "remote host SRV02 not simulated: no task created on it"), one a line;
 * borrowed, "" when none; NULL when that step is not the last command step run. */
const char *tl_sim_console_step_notes(const tl_sim *s, size_t file_index);
/** Every note of the run so far, one a line "$.steps[N]: text\n" ("" when none). *out owned. */
tl_status tl_sim_notes_text(const tl_sim *s, char **out);
/* Languages of the Task Scheduler COM scripts tasklab interprets. */
#define TL_COM_VBSCRIPT 0
#define TL_COM_JSCRIPT 1
#define TL_COM_POWERSHELL 2
/** A script that registers `xml` (task XML text) as `task_path` through the
 * Schedule.Service COM object (ITaskFolder::RegisterTask, TASK_CREATE_OR_UPDATE):
 * a .vbs / .js for wscript/cscript, or a PowerShell script (New-Object -ComObject),
 * as an alternative creation path (evasion.md §4). `user`: "SYSTEM" (service
 * account) or NULL (the caller, interactive token). Pure text; *out owned (tl_free).
 * TL_E_INVAL for an unknown language. */
tl_status tl_sim_com_script(int language, const char *task_path, const char *xml,
                            const char *user, char **out);
/** The $.steps index of step i (execution order). */
size_t tl_sim_step_file_index(const tl_sim *s, size_t i);
/** Materialise the whole C: drive into dir (also works without drive_c mirroring). */
tl_status tl_sim_materialize(const tl_sim *s, const char *dir, tl_diag *d);

#ifdef __cplusplus
}
#endif

#endif /* TL_SIM_H */
