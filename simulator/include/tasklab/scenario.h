/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: one JSON document per scenario (format in scenarios/README.md)
 * describing a simulated Windows endpoint and the timed steps run on it
 * (attacker command lines, registry and file edits, background noise).
 *
 * The loader is strict: unknown keys, wrong types, duplicate keys and
 * impossible times are errors whose message names the file and the JSON path
 * ("scenarios/x.json: $.steps[2].at: expected a number"). A loaded scenario is
 * immutable; the simulator (sim.h) runs it.
 */
#ifndef TL_SCENARIO_H
#define TL_SCENARIO_H

#include <stddef.h>

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_scenario tl_scenario;

/**
 * Load and validate a scenario file.
 * @param path  file name; its basename without ".json" must equal the "name" key.
 * @param out   receives an owned scenario (free with tl_scenario_free) on success only.
 * @param d     caller-owned diagnostics, may be NULL; filled on failure.
 * @return TL_OK, TL_E_IO (unreadable), TL_E_PARSE (bad JSON / schema), TL_E_NOMEM.
 */
tl_status tl_scenario_load(const char *path, tl_scenario **out, tl_diag *d);

/**
 * Same as tl_scenario_load on an in-memory document (used by the fuzz target and tests).
 * @param path  the name used in messages and for the name check (not opened).
 */
tl_status tl_scenario_load_mem(const char *path, const char *json, size_t len, tl_scenario **out,
                               tl_diag *d);

/** Release a scenario; NULL is a no-op. */
void tl_scenario_free(tl_scenario *s);

/* Accessors: borrowed strings, valid until tl_scenario_free. Never NULL
 * except tl_scenario_technique, which returns "" when absent. */
const char *tl_scenario_name(const tl_scenario *s);
const char *tl_scenario_title(const tl_scenario *s);
const char *tl_scenario_description(const tl_scenario *s);
const char *tl_scenario_kind(const tl_scenario *s); /* "attack" | "benign" */
const char *tl_scenario_technique(const tl_scenario *s);
const char *tl_scenario_actor(const tl_scenario *s);
const char *tl_scenario_hostname(const tl_scenario *s);
const char *tl_scenario_agent_id(const tl_scenario *s);   /* "001" by default */
const char *tl_scenario_agent_name(const tl_scenario *s); /* hostname by default */
/** The "expect" array as compact JSON text (cJSON_PrintUnformatted), "[]" if none. */
const char *tl_scenario_expect_json(const tl_scenario *s);
/** The path the scenario was loaded from. */
const char *tl_scenario_path(const tl_scenario *s);
/** Virtual start time (the "start" key). */
tl_time tl_scenario_start(const tl_scenario *s);
/** The "seed" key (0 when absent). */
uint64_t tl_scenario_seed(const tl_scenario *s);
/** The endpoint's "sysmon_config" value as written ("default" when absent). */
const char *tl_scenario_sysmon_config(const tl_scenario *s);
/** Number of steps. */
size_t tl_scenario_step_count(const tl_scenario *s);
/** The raw events of all its "noise" steps together (0 when none): what makes a
 * scenario long to run (studies schedule the longest first). */
size_t tl_scenario_noise_events(const tl_scenario *s);
/** A recording scenario's "recording" (a validated relative name such as
 * "Execution/x.evtx", resolved by the driver against ../shared/reference/evtx
 * and the scenario's folder), or NULL for a simulated scenario. Such a
 * scenario has no endpoint and no steps: its events are the recording's. */
const char *tl_scenario_recording(const tl_scenario *s);
/** The folder the scenario file is in ("." when none). */
const char *tl_scenario_dir(const tl_scenario *s);

#ifdef __cplusplus
}
#endif

#endif /* TL_SCENARIO_H */
