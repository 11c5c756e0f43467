/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the Wazuh decoder XML loader and DecodeEvent. The input is
 * loaded as a decoder file; whether or not it loads, a few fixed events and
 * the input's own first line are decoded with the resulting set. Errors must
 * come back as statuses with a message, never as crashes or leaks.
 */
#include "decode/decoder_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = malloc(size + 1);
    if (!xml)
        return 0;
    memcpy(xml, data, size);
    xml[size] = '\0';
    tl_decoder_set *ds = NULL;
    if (tl_decoder_set_new(&ds) != TL_OK) {
        free(xml);
        return 0;
    }
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_decoder_set_load_buffer(ds, "fuzz.xml", xml, size, NULL, NULL, &d);
    if (st != TL_OK && d.msg[0] == '\0')
        abort();

    char first[512] = "1:stdin:";
    size_t fl = strcspn(xml, "\n");
    if (fl > sizeof first - 9)
        fl = sizeof first - 9;
    memcpy(first + 8, xml, fl);
    first[8 + fl] = '\0';
    const char *lines[] = {
        "1:stdin:Dec 25 20:45:02 MyHost sshd[123]: Accepted password for bob from 1.2.3.4",
        "1:[001] (WS01) any->x.log:{\"a\":{\"b\":[1,2]},\"srcip\":\"1.1.1.1\"}",
        "1:stdin:wazuh: Agent buffer: '90%'.",
        "1:stdin:2006-09-18 22:26:23 DROP UDP 11.152.183.14 239.255.255.250 65299 1900 ",
        first,
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        tl_event ev;
        tl_event_init(&ev);
        if (tl_predecode(lines[i], "m", 0, &ev, &d) == TL_OK)
            (void)tl_decode(ds, &ev, &d);
        tl_event_clear(&ev);
    }
    tl_decoder_set_free(ds);
    free(xml);
    return 0;
}
