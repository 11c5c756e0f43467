/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: `tasklab logtest`'s stdin reader (tl_cli_logtest_stream in
 * pipeline/cli/cmd_logtest.c). The input is the whole of stdin: split into
 * lines, each event through one logtest session of the default profile's
 * ruleset (so frequency and firedtimes state carries over between lines),
 * printed as wazuh-logtest's text (even-sized inputs) or JSON (odd). Output
 * goes to /dev/null. Errors are fine; crashes, leaks and sanitizer reports
 * are not.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include "cli.h"

#include "fuzz_ruleset.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;
    if (!size)
        return 0; /* fmemopen refuses an empty buffer */
    const tl_ruleset *rs = tl_fuzz_ruleset();
    tl_logtest *lt = NULL;
    tl_logtest_opts o;
    memset(&o, 0, sizeof o);
    o.rules_debug = (size & 2) != 0;
    if (tl_logtest_new(rs, &o, &lt) != TL_OK)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (in) {
        tl_cli_logtest_last last;
        (void)tl_cli_logtest_stream(lt, in, sink, sink, (int)(size & 1), &last);
        fclose(in);
    }
    tl_logtest_free(lt);
    return 0;
}
