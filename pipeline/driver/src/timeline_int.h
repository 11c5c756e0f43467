/* SPDX-License-Identifier: MIT */
/* The structured timeline of a run (private to libtl_pipeline; format in pipeline.h). */
#ifndef TL_TIMELINE_INT_H
#define TL_TIMELINE_INT_H

#include "tasklab/base.h"
#include "tasklab/sim.h"
#include "tasklab/sysmon.h"

typedef struct tl_timeline tl_timeline;

tl_timeline *tl_timeline_new(void);
void tl_timeline_free(tl_timeline *t);
/** 1 while items are still kept (fewer than TL_TIMELINE_MAX_ITEMS). */
int tl_timeline_open(const tl_timeline *t);
void tl_timeline_step(tl_timeline *t, tl_time at, size_t index, const char *text);
void tl_timeline_record(tl_timeline *t, tl_time at, size_t step, const char *channel,
                        const char *xml, const char *explain, int forwarded);
void tl_timeline_dropped(tl_timeline *t, int id, tl_time at, size_t step, const tl_evfield *f,
                         size_t n, const char *explain);
void tl_timeline_ar(tl_timeline *t, tl_time at, const char *executable, const char *message);
void tl_timeline_line(tl_timeline *t, tl_time at, const char *location, const char *line);
/** A rule whose own conditions matched on the way down (the chain): raw is the
 * rule's description, filled its $(field)s filled from the event (NULL: out of
 * memory, the timeline fails). */
void tl_timeline_chain(tl_timeline *t, const char *rule_id, const char *raw, const char *filled);
/** The manager's verdict on the last record or line item (drops the chain when
 * nothing matched). */
void tl_timeline_manager(tl_timeline *t, int matched, const char *rule_id, int level,
                         const char *alert_json);
/** The task files the run wrote that still exist, then the JSON text (owned),
 * NULL on out of memory (the timeline is freed either way). */
char *tl_timeline_finish(tl_timeline *t, const tl_sim *sim);

#endif /* TL_TIMELINE_INT_H */
