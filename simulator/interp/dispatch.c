/* SPDX-License-Identifier: MIT */
/*
 * The one dispatch table of the command interpreters, keyed by image base
 * name. The launcher (launch.c) looks every new process up here; the step
 * runner (scenario/steps.c) looks up a step's parent to hand it the text
 * typed into it. A new interpreter is one line here and one block in
 * interpreters.h.
 */
#include <string.h>

#include "interpreters.h"

static const tl_interp table[] = {
    {"cmd.exe", tl_interp_cmd, tl_interp_cmd_line},
    {"powershell.exe", tl_interp_powershell, tl_interp_powershell_script},
    {"pwsh.exe", tl_interp_powershell, tl_interp_powershell_script},
    {"schtasks.exe", tl_interp_schtasks, NULL},
    {"reg.exe", tl_interp_reg, NULL},
    {"at.exe", tl_interp_at, NULL},
    {"GhostTask.exe", tl_interp_ghosttask, NULL},
    {"wscript.exe", tl_interp_script_host, NULL},
    {"cscript.exe", tl_interp_script_host, NULL},
    {"wmic.exe", tl_interp_wmic, NULL},
};

const tl_interp *tl_interp_find(const char *image)
{
    const char *b = strrchr(image, '\\');
    b = b ? b + 1 : image;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (tl_strcasecmp(table[i].image, b) == 0)
            return &table[i];
    return NULL;
}
