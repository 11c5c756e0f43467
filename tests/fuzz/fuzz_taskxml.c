/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: task XML. The input (UTF-8, or any BOM) is normalised as the
 * Schedule service does on registration; a valid task's actions go through
 * the TaskCache Actions blob and back, which must give the same actions. The
 * raw input is also fed to the blob reader.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *txt = NULL, *norm = NULL, msg[300];
    tl_task t;
    memset(&t, 0, sizeof t);
    int ver;
    char *ctx = NULL;
    tl_task_action *acts = NULL;
    size_t n = 0;
    if (tl_task_actions_parse(data, size, &ver, &ctx, &acts, &n) == TL_OK) {
        tl_task_actions_free(acts, n);
        tl_free(ctx);
    }
    if (tl_text_decode(data, size, &txt) != TL_OK)
        return 0;
    if (tl_taskxml_normalize(txt, "\\fuzz", &norm, &t, msg, sizeof msg) == TL_OK) {
        unsigned char *blob = NULL, *file = NULL;
        size_t blen = 0, flen = 0;
        if (tl_task_actions_blob(t.context, t.actions, t.nactions, 3, &blob, &blen) == TL_OK) {
            acts = NULL;
            ctx = NULL;
            if (tl_task_actions_parse(blob, blen, &ver, &ctx, &acts, &n) != TL_OK)
                abort();
            size_t k = 0;
            for (size_t i = 0; i < t.nactions; i++) {
                if (t.actions[i].com > 1)
                    continue;
                if (k >= n || tl_strcasecmp(acts[k].command, t.actions[i].command) != 0)
                    abort();
                k++;
            }
            tl_task_actions_free(acts, n);
            tl_free(ctx);
            tl_free(blob);
        }
        if (tl_taskxml_file_bytes(norm, &file, &flen) == TL_OK)
            tl_free(file);
    }
    tl_free(norm);
    tl_free(t.author);
    tl_free(t.date);
    tl_free(t.description);
    tl_free(t.uri);
    tl_free(t.context);
    tl_free(t.user_id);
    tl_task_actions_free(t.actions, t.nactions);
    tl_free(txt);
    return 0;
}
