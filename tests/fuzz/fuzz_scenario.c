/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: scenario JSON. Loads the input as scenarios/f.json; when it
 * loads and asks for little noise, also builds the endpoint with the default
 * Sysmon config and runs every step, draining the records. Errors are fine;
 * crashes, leaks and sanitizer reports are not.
 */
#include <stdint.h>
#include <string.h>

#include "scenario_int.h"
#include "tasklab/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_diag d;
    tl_scenario *sc = NULL;
    if (tl_scenario_load_mem("scenarios/f.json", (const char *)data, size, &sc, &d) != TL_OK)
        return 0;
    for (size_t i = 0; i < sc->nsteps; i++)
        if (sc->steps[i].kind == TL_STEP_NOISE && sc->steps[i].noise_events > 2000)
            goto done;
    tl_sim_opts o = {TL_SOURCE_DIR "/pipeline/etc", NULL, NULL, NULL};
    tl_sim *s = NULL;
    if (tl_sim_new(sc, &o, &s, &d) == TL_OK) {
        for (size_t i = 0; i < tl_sim_step_count(s); i++) {
            if (tl_sim_run_step(s, i, &d) != TL_OK)
                break;
            tl_record r;
            while (tl_sim_next_record(s, &r))
                ;
        }
        tl_sim_free(s);
    }
done:
    tl_scenario_free(sc);
    return 0;
}
