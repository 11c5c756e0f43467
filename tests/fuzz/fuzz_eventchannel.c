/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the eventchannel path of the manager. The input is used as the
 * agent payload {"Message":..,"Event":..}: once through the pure conversion
 * (tl_winevt_convert) and once as a queue-'f' event through tl_predecode and
 * tl_decode. Any input must give TL_OK or a clean TL_E_PARSE, never a crash
 * or a leak; converting the pre-decoded log must give what tl_decode
 * stored as full_log.
 */
#include "decode/decoder_int.h"

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
    }
    tl_event_clear(&ev);
    tl_free(out);
    free(line);
    return 0;
}
