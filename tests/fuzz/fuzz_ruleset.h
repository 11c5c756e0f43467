/* SPDX-License-Identifier: MIT */
/*
 * The ruleset of the fuzz targets that run events (rstest_ini, logtest_stdin):
 * the project's default profile (pipeline/etc: base rules, the blog's rules,
 * the eventchannel and json decoders), loaded once per process and kept
 * (libFuzzer's leak check runs per input, so a process-lifetime object is
 * not a leak).
 */
#ifndef TL_FUZZ_RULESET_H
#define TL_FUZZ_RULESET_H

#include "tasklab/pipeline.h"

#include <stdlib.h>
#include <string.h>

static const tl_ruleset *tl_fuzz_ruleset(void)
{
    static tl_ruleset *rs;
    if (!rs) {
        tl_profile_opts po;
        memset(&po, 0, sizeof po);
        po.profile = "default";
        po.etc_dir = TL_SOURCE_DIR "/pipeline/etc";
        tl_diag d;
        tl_diag_clear(&d);
        if (tl_profile_load(&po, &rs, &d) != TL_OK)
            abort(); /* the fuzzer is useless without it */
    }
    return rs;
}

#endif
