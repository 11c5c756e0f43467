/* SPDX-License-Identifier: MIT */
/*
 * libtl_studies, compare: simulation versus reality (tasklab compare).
 *
 * The simulated event records of a scenario (the simulator and its Sysmon
 * config, no manager) are aligned with the records of a recording of the same
 * procedure, and every field of each aligned pair is compared. Differences
 * are classified:
 *   - legitimate: values that vary between any two runs of one procedure
 *     (GUIDs, process and thread ids, times, hashes, record ids, host names,
 *     the lab's user names and SIDs, logon ids and sessions) and what the
 *     Sysmon config decides (RuleName);
 *   - real: anything else (an image, a command line, a target, a field one
 *     side has and the other lacks...): a simulator bug or a difference to
 *     document.
 * Records of one side with no counterpart are listed too: a recorded record
 * the scenario does not simulate is "not simulated" (recordings hold more
 * than the procedure), a simulated record whose (channel, event id, image)
 * never occurs in the recording is "not logged by the recording's config";
 * any other simulated record without counterpart is a real difference.
 *
 * Alignment: in order, each simulated record takes the first unused recorded
 * record after the previous match with the same channel, event id, image
 * (ASCII case folded) and target object (TargetObject, TargetFilename,
 * TargetImage, or the task name; Event 1 is keyed by its image only so that a
 * different command line shows as a field difference).
 *
 * Ownership: a tl_compare is owned by the caller (tl_compare_free); options
 * and the scenario are borrowed for the call.
 */
#ifndef TL_COMPARE_H
#define TL_COMPARE_H

#include "tasklab/base.h"
#include "tasklab/scenario.h"

#include <stddef.h>

typedef struct tl_compare tl_compare;

typedef struct tl_compare_opts {
    const char *etc_dir;    /* pipeline/etc (the default Sysmon config) */
    const char *shared_dir; /* ../shared (reference Sysmon configs) */
    const char *recording;  /* the recording file (any kind tl_replay reads) */
} tl_compare_opts;

/**
 * Simulate sc and compare its records with the recording's.
 * @return TL_OK; TL_E_NOTFOUND (d: why; the caller skips) when the scenario
 * needs ../shared or the recording cannot be read by this build; TL_E_IO /
 * TL_E_PARSE / TL_E_INVAL (d) for bad input; TL_E_NOMEM. *out set on TL_OK.
 */
tl_status tl_compare_run(const tl_scenario *sc, const tl_compare_opts *o, tl_compare **out,
                         tl_diag *d);
void tl_compare_free(tl_compare *c);
/** Real differences (0: only legitimate ones). */
size_t tl_compare_real(const tl_compare *c);
/** The report as text (one line per difference) or JSON, appended to out. */
void tl_compare_text(const tl_compare *c, tl_buf *out);
void tl_compare_json(const tl_compare *c, tl_buf *out);

#endif /* TL_COMPARE_H */
