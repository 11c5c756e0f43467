/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the eventchannel path of the manager. The input is used as the
 * agent payload {"Message":..,"Event":..}: once through the pure conversion
 * (tl_winevt_convert) and once as a queue-'f' event through tl_predecode and
 * tl_decode. Any input must give TL_OK or a clean TL_E_PARSE, never a crash
 * or a leak; converting the pre-decoded log must give what tl_decode
 * stored as full_log. Differential: the single-pass converter must give what
 * the converter it replaced (tests/winevt_ref/winevt_ref.c) gives - same
 * status, same diagnostic, same bytes, same fields.
 */
#include "decode/decoder_int.h"
#include "winevt_ref.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char prefix[] = "f:[001] (WS01) any->EventChannel:";
    char *line = malloc(sizeof prefix + size);
    if (!line)
        return 0;
    memcpy(line, prefix, sizeof prefix - 1);
    memcpy(line + sizeof prefix - 1, data, size);
    line[sizeof prefix - 1 + size] = '\0';
    const char *payload = line + sizeof prefix - 1;

    tl_diag d;
    tl_diag_clear(&d);
    char *out = NULL;
    tl_status st = tl_winevt_convert(payload, &out, &d);
    if (st != TL_OK && st != TL_E_PARSE)
        abort();
    {
        tl_diag rd;
        tl_diag_clear(&rd);
        char *ref = NULL;
        if (tl_winevt_ref_convert(payload, &ref, &rd) != st || strcmp(rd.msg, d.msg) != 0)
            abort();
        if (st == TL_OK && strcmp(ref, out) != 0)
            abort();
        tl_free(ref);
    }
    tl_free(out);
    out = NULL;

    tl_event ev;
    tl_event_init(&ev);
    if (tl_predecode(line, "wazuh-manager", 0, &ev, &d) == TL_OK) {
        /* DecodeWinevt reads lf->log, i.e. after any syslog-like header */
        st = tl_winevt_convert(ev.log, &out, &d);
        tl_status st2 = tl_decode(NULL, &ev, &d);
        if (st2 != st)
            abort();
        if (st == TL_OK && strcmp(out, ev.full_log) != 0)
            abort();
        for (size_t i = 0; i < ev.nfields; i++)
            if (strncmp(ev.fields[i].name, "win.", 4) != 0)
                abort();
        /* the reference's fields, from the same pre-decoded event */
        tl_event rev;
        tl_event_init(&rev);
        if (tl_predecode(line, "wazuh-manager", 0, &rev, &d) != TL_OK)
            abort();
        if (tl_winevt_ref_decode_event(&rev, &d) != st2)
            abort();
        if (st2 == TL_OK) {
            if (strcmp(rev.full_log, ev.full_log) != 0 || rev.nfields != ev.nfields)
                abort();
            for (size_t i = 0; i < ev.nfields; i++)
                if (strcmp(ev.fields[i].name, rev.fields[i].name) != 0 ||
                    strcmp(ev.fields[i].value, rev.fields[i].value) != 0)
                    abort();
        }
        tl_event_clear(&rev);
    }
    tl_event_clear(&ev);
    tl_free(out);
    free(line);
    return 0;
}
