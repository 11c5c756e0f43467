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

/* A queue line every engine decodes alike whatever its decoders: an
 * eventchannel record ('f' queue: the built-in windows_eventchannel decoder,
 * tl_decode). Other lines are decoded by each engine. */
static inline int tl_replay_shared_decoding(const char *line)
{
    return line && line[0] == 'f' && line[1] == ':';
}

/* Live replays (a full run that also runs other rulesets, run.c): replays of
 * the recording b builds, with rs[0..n), that follow it as it grows. After
 * each tl_recb_step / tl_recb_record the run calls tl_replay_live_next, which
 * replays the new item; when the run decoded that item's line itself
 * (decoded 1: dv, or NULL with dst and dd when the decoding dropped it), its
 * engines take that decoding, so each record is decoded once for the run and
 * all of them. tl_replay_live_finish then gives out[k] = what
 * tl_pipeline_replay_many of the finished recording gives (sts[k], ds[k] the
 * caller's arrays, filled as the replays go).
 *   tl_replay_live_new(b, keep, rs, n, o, sts, ds, &l)   after tl_recb_start;
 *                                keep 0: the recording is not handed out, so
 *                                each item's line is freed once replayed
 *   tl_replay_live_next(l, decoded, dv, dst, dd)   after each item added
 *   tl_replay_live_finish(l, out)                  at the end of the run
 *   tl_replay_live_free(l)                         (NULL is fine)
 * The return of _next is TL_OK or a status that fails every replay
 * (out of memory). b, rs, o, sts, ds borrowed until tl_replay_live_free. */
typedef struct tl_replay_live tl_replay_live;
tl_status tl_replay_live_new(tl_recb *b, int keep_rec, const tl_ruleset *const *rs, size_t n,
                             const tl_pipeline_replay_opts *o, tl_status *sts, tl_diag *ds,
                             tl_replay_live **out);
tl_status tl_replay_live_next(tl_replay_live *l, int decoded, const tl_decoded *dv, tl_status dst,
                              const tl_diag *dd);
void tl_replay_live_finish(tl_replay_live *l, tl_run_result *out);
void tl_replay_live_free(tl_replay_live *l);

#endif /* TL_RECORD_INT_H */
