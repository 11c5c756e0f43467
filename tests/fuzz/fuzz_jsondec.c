/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: JSON_Decoder. The first byte picks json_null_field and
 * json_array_structure; the rest is decoded as an event's log. Invalid JSON
 * must add nothing; at most 256 dynamic fields are ever stored.
 */
#include "decode/decoder_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    tl_json_null nulls = (data[0] & 1) ? TL_JSON_NULL_DISCARD : TL_JSON_NULL_STRING;
    tl_json_array arrays = (data[0] & 2) ? TL_JSON_ARRAY_CSV : TL_JSON_ARRAY_ARRAY;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    tl_event ev;
    tl_event_init(&ev);
    tl_status st = tl_json_decode(&ev, text, nulls, arrays);
    if (st != TL_OK || ev.nfields > 256)
        abort();
    for (size_t i = 0; i < ev.nfields; i++)
        if (!ev.fields[i].name || !ev.fields[i].value)
            abort();
    tl_event_clear(&ev);
    free(text);
    return 0;
}
