/* SPDX-License-Identifier: MIT */
/*
 * Building a recording (replay.c), shared by tl_pipeline_record and a full run
 * that also hands out its recording (tl_run_opts.record, run.c): both feed the
 * same builder in the same order, so a run's recording is the one
 * tl_pipeline_record makes of the same scenario and options.
 *
 *   tl_recb_new(sc, &b)
 *   tl_recb_start(b, sim, mem, aconf)  after tl_sim_new_in_memory(…, mem, …) and
 *                                      loading agent.conf; sim NULL: a
 *                                      recording scenario (no endpoint)
 *   tl_recb_step(b, t)                 after each step, at the step's time
 *   tl_recb_record(b, t, line)         each record in order; line is the
 *                                      forwarded queue line, NULL when not forwarded
 *   tl_recb_finish(b)                  the recording (owned); b is gone
 * tl_recb_free(b) drops an unfinished one (NULL is fine). Every string is
 * copied; sim, mem and aconf are borrowed for the call (mem until the last
 * tl_recb_step).
 */
#ifndef TL_RECORD_INT_H
#define TL_RECORD_INT_H

#include "tasklab/pipeline.h"
#include "tasklab/platform.h"
#include "tasklab/sim.h"

typedef struct tl_recb tl_recb;

tl_status tl_recb_new(const tl_scenario *sc, tl_recb **out);
tl_status tl_recb_start(tl_recb *b, const tl_sim *sim, const tl_memdrive *mem,
                        const tl_agent_conf *aconf);
tl_status tl_recb_step(tl_recb *b, tl_time t);
tl_status tl_recb_record(tl_recb *b, tl_time t, const char *line);
tl_recording *tl_recb_finish(tl_recb *b);
void tl_recb_free(tl_recb *b);

#endif /* TL_RECORD_INT_H */
