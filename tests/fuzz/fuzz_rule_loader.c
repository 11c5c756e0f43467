/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the input is one rule file (os_xml text). It is loaded after
 * a fixed base (category roots, a json decoder, one parent rule with groups),
 * and when it loads, three events go through an engine so that the tree
 * walk, conditions, context memory and the alert builder see fuzzed rules.
 * Loader errors are expected; crashes, leaks and sanitizer reports are not.
 */
#include "rules/rules_int.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
    "<group name=\"syslog,\"><rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
    "<description>syslog</description></rule></group>"
    "<group name=\"ossec,\"><rule id=\"7\" level=\"0\" noalert=\"1\"><category>ossec</category>"
    "<description>ossec</description></rule></group>"
    "<group name=\"windows,sysmon,sysmon_event1,\"><rule id=\"100\" level=\"3\">"
    "<if_sid>1</if_sid><match>base</match><description>base $(srcip)</description></rule></group>";

static const char decoders[] = "<decoder name=\"json\"><prematch>^{\\s*\"</prematch>"
                               "<plugin_decoder>JSON_Decoder</plugin_decoder></decoder>";

static const char *const events[] = {
    "1:[001] (WS01) any->test.log:base event with login failed from 10.1.2.3",
    "1:[001] (WS01) any->test.log:{\"srcip\":\"10.1.2.3\",\"a\":{\"b\":\"c\"},\"l\":[1,2]}",
    "1:[002] (WS02) 10.0.0.2->/var/log/x:Jan 15 10:00:00 host prog[12]: base message",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tl_ruleset *rs = NULL;
    tl_engine *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_ruleset_new_empty(&rs) != TL_OK)
        return 0;
    if (tl_decoder_set_load_buffer(rs->ds, "dec.xml", decoders, sizeof decoders - 1, NULL, NULL,
                                   &d) != TL_OK)
        goto done;
    if (tl_rules_load_buffer(rs, "base.xml", base, sizeof base - 1, NULL, &d) != TL_OK)
        goto done;
    if (tl_rules_load_buffer(rs, "fuzz.xml", (const char *)data, size, NULL, &d) != TL_OK)
        goto done;
    if (tl_ruleset_finish(rs, &d) != TL_OK)
        goto done;
    tl_engine_opts eo = {"manager", "node01"};
    if (tl_engine_new(rs, &eo, &e) != TL_OK)
        goto done;
    tl_time t = INT64_C(1736935200000000);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
            tl_result r;
            (void)tl_engine_process(e, events[i], t, &r, &d);
            t += INT64_C(1000000);
        }
    }
done:
    tl_engine_free(e);
    tl_ruleset_free(rs);
    return 0;
}
