/* SPDX-License-Identifier: MIT */
/* PowerShell ScheduledTasks cmdlets (placeholder, replaced below). */
#include "sim_int.h"

tl_status ps_run_script(tl_exec_ctx *c, long psproc, const char *script, int *rc)
{
    (void)c;
    (void)psproc;
    (void)script;
    *rc = 0;
    return TL_OK;
}
