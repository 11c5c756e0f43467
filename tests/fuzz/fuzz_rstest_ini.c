/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the `.ini` reader and runner of `tasklab ruleset-test`
 * (pipeline/manager/src/output/rstest.c, Wazuh's runtests.py format). The input is
 * one INI file, run from memory against the default profile's ruleset: the
 * reader (sections, continuation lines, repeated keys, CR/LF, NUL bytes),
 * then one logtest session per `log N pass|fail` case. Errors are fine;
 * crashes, leaks and sanitizer reports are not (issue 10 found a
 * heap-buffer-overflow on a NUL byte followed by '\r').
 */
#include "tasklab/manager.h"

#include "fuzz_ruleset.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tl_ruleset *rs = tl_fuzz_ruleset();
    tl_buf report = TL_BUF_INIT;
    tl_rstest_stats stats;
    memset(&stats, 0, sizeof stats);
    tl_diag d;
    tl_diag_clear(&d);
    /* verbose: the logtest text of failing cases goes through the report too */
    (void)tl_rstest_run_mem(rs, "fuzz.ini", (const char *)data, size, TL_RSTEST_VERBOSE, &report,
                            &stats, &d);
    tl_buf_free(&report);
    return 0;
}
