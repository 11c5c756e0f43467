/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the task-file reader and record builder of analyze-scheduled-task
 * (encoding detection, the hardened XML reader, the Get-ScheduledTask JSON).
 * Any input must give TL_OK with one line of valid-looking JSON, or an error
 * with a diagnostic — never a crash, leak or hang.
 */
#include "tasklab/ar.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_ar_task_ref ref = {"\\Fuzz\\Task", "WS01", "SetValue", "SD"};
    char *line = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_ar_render_task((const char *)data, size, &ref, &line, &d);
    if (st == TL_OK) {
        /* one line, starting with the seed's key */
        if (!line || strncmp(line, "{\"ScheduledTaskAR\": ", 20) != 0 || strchr(line, '\n'))
            __builtin_trap();
    } else if (line || !d.msg[0]) {
        __builtin_trap();
    }
    tl_free(line);
    return 0;
}
