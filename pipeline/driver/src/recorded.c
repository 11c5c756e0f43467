/* SPDX-License-Identifier: MIT */
/*
 * Recording scenarios: where their records come from.
 *
 * A recording scenario ({"recording": "Execution/x.evtx", ...}) has no
 * endpoint and no steps; its events are the recording's records, forwarded as
 * `tasklab replay` forwards them (tl_replay: EventRecordID order, the
 * EvtRender form, no Message) and received by the manager in one burst at the
 * first record's TimeCreated, as the oracle of ../shared/reference/oracle was
 * fed. Every record is forwarded whatever its channel (a recording is what a
 * collector already gathered), and no active response runs: there is no
 * endpoint whose task files it could read.
 *
 * Lookup, in this order: <shared_dir>/reference/evtx/<name> (the shared
 * public recordings, never copied into the repository), then
 * <scenario folder>/<name> (a user's own). The loader has already refused
 * absolute names, "..", backslashes and odd characters; the file found must
 * also resolve, links included, inside the folder it was found in.
 */
#define _POSIX_C_SOURCE 200809L
#include "recorded_int.h"
#include "tasklab/platform.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static tl_status try_base(const char *base, const char *name, tl_replay **out, int *found,
                          tl_diag *d)
{
    tl_status st = TL_OK;
    char *path = tl_path_join(base, name);
    *found = 0;
    if (!path)
        return TL_E_NOMEM;
    if (tl_path_kind(path) == TL_PATH_MISSING)
        goto cleanup; /* not here */
    *found = 1;
    const char *roots[1] = {base};
    if (tl_path_inside(path, roots, 1) != 1) {
        tl_diag_set(d, path, 0, "recording resolves outside %s: refused", base);
        TL_FAIL(TL_E_INVAL);
    }
    st = tl_replay_open(path, TL_REPLAY_AUTO, out, d);
cleanup:
    tl_free(path);
    return st;
}

tl_status tl_recorded_open(const tl_scenario *sc, const char *shared_dir,
                           const char *sysmon_config, tl_replay **out, tl_diag *d)
{
    tl_status st = TL_OK;
    const char *name = tl_scenario_recording(sc);
    char *evtx_dir = NULL;
    int found = 0;
    if (!name) {
        tl_diag_set(d, tl_scenario_path(sc), 0, "not a recording scenario");
        return TL_E_INVAL;
    }
    if (sysmon_config) {
        tl_diag_set(d, tl_scenario_path(sc), 0,
                    "recording %s: another Sysmon config does not apply to recorded events",
                    name);
        return TL_E_NOTFOUND;
    }
    struct stat sb;
    int have_shared = 0;
    if (shared_dir) {
        evtx_dir = tl_path_join(shared_dir, "reference/evtx");
        TL_TRY_ALLOC(evtx_dir);
        have_shared = stat(evtx_dir, &sb) == 0 && S_ISDIR(sb.st_mode);
    }
    if (have_shared) {
        TL_TRY(try_base(evtx_dir, name, out, &found, d));
        if (found)
            goto cleanup;
    }
    TL_TRY(try_base(tl_scenario_dir(sc), name, out, &found, d));
    if (found)
        goto cleanup;
    if (!have_shared) {
        tl_diag_set(d, tl_scenario_path(sc), 0,
                    "recording %s: not in the scenario's folder and %s is absent", name,
                    evtx_dir ? evtx_dir : "../shared/reference/evtx");
        TL_FAIL(TL_E_NOTFOUND);
    }
    tl_diag_set(d, tl_scenario_path(sc), 0, "$.recording: %s is neither in %s nor in %s", name,
                evtx_dir, tl_scenario_dir(sc));
    TL_FAIL(TL_E_IO);
cleanup:
    tl_free(evtx_dir);
    return st;
}

void tl_recorded_line(const tl_scenario *sc, const tl_replay_record *rec, tl_buf *line)
{
    tl_replay_queue_line(rec, tl_scenario_agent_id(sc), tl_scenario_agent_name(sc), 1, line);
}
