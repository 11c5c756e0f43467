/* SPDX-License-Identifier: MIT */
/*
 * Recording scenarios (private to libtl_pipeline): a scenario whose
 * "recording" names recorded events instead of steps (scenarios/README.md).
 * run.c and replay.c take their records from here instead of the simulator.
 */
#ifndef TL_RECORDED_INT_H
#define TL_RECORDED_INT_H

#include "tasklab/replay.h"
#include "tasklab/scenario.h"

/**
 * Open the recording a recording scenario names. The name (validated by the
 * loader) is looked up in <shared_dir>/reference/evtx, then in the scenario's
 * folder; the file found must resolve (links included) inside that folder.
 * TL_E_NOTFOUND (d: why; callers report the scenario as skipped) when it is in
 * neither and ../shared is absent, or when this build cannot read .evtx files;
 * TL_E_IO / TL_E_PARSE / TL_E_INVAL (d: file and cause) otherwise.
 * `sysmon_config` is the run's override: a recording cannot be filtered again,
 * so any override is TL_E_NOTFOUND ("does not apply").
 * *out owned by the caller (tl_replay_free), set on TL_OK only.
 */
tl_status tl_recorded_open(const tl_scenario *sc, const char *shared_dir,
                           const char *sysmon_config, tl_replay **out, tl_diag *d);

/** The queue line the agent forwards for rec (replay's form, no Message),
 * appended to line. */
void tl_recorded_line(const tl_scenario *sc, const tl_replay_record *rec, tl_buf *line);

#endif /* TL_RECORDED_INT_H */
