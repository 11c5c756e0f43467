/* SPDX-License-Identifier: MIT */
/*
 * at.exe: deprecated since Windows 8 — it prints a pointer to schtasks and
 * exits 1 without creating a task; syntax is still checked.
 */
#include <stdio.h>
#include <string.h>

#include "interpreters.h"

tl_status tl_interp_at(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                       int *rc)
{
    (void)proc;
    (void)cmdline;
    size_t i = 1;
    if (i < argc && argv[i][0] == '\\' && argv[i][1] == '\\')
        i++;
    if (i < argc && argv[i][0] != '/' && !strchr(argv[i], ':')) {
        /* at [id] [/delete] */
        for (const char *p = argv[i]; *p; p++)
            if (*p < '0' || *p > '9')
                return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "at: invalid time or id '%s'",
                                         argv[i]);
    } else if (i < argc && argv[i][0] != '/') {
        int h, m;
        char tail[8];
        int n = sscanf(argv[i], "%d:%d%7s", &h, &m, tail);
        if (n < 2 || h < 0 || h > 23 || m < 0 || m > 59)
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "at: invalid time '%s'", argv[i]);
        if (i + 1 >= argc)
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "at: missing command");
    }
    *rc = 1; /* "The AT command has been deprecated. Please use schtasks.exe instead." */
    return TL_OK;
}
