/* SPDX-License-Identifier: MIT */
/*
 * Entry points of the interpreters, one block per interpreter, for the
 * dispatch table (dispatch.c). Only dispatch.c and each interpreter's own
 * file include this header: interpreters reach one another through
 * tl_sim_exec / tl_sim_launch (interp.h), never directly.
 */
#ifndef TL_SIM_INTERPRETERS_H
#define TL_SIM_INTERPRETERS_H

#include "interp.h"

/* cmd.c: cmd.exe /c|/k <line>; a line typed into a running cmd.exe */
tl_status tl_interp_cmd(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                        int *exit_code);
tl_status tl_interp_cmd_line(tl_exec_ctx *c, long proc, const char *line, int *exit_code);

/* powershell.c: powershell.exe / pwsh.exe -Command|-EncodedCommand|<script>; a script
 * typed into a running PowerShell */
tl_status tl_interp_powershell(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                               size_t argc, int *exit_code);
tl_status tl_interp_powershell_script(tl_exec_ctx *c, long proc, const char *script,
                                      int *exit_code);

/* schtasks.c */
tl_status tl_interp_schtasks(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                             size_t argc, int *exit_code);
/* reg.c */
tl_status tl_interp_reg(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                        int *exit_code);
/* at.c */
tl_status tl_interp_at(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                       int *exit_code);
/* ghosttask.c */
tl_status tl_interp_ghosttask(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                              size_t argc, int *exit_code);

/* script_com.c: wscript.exe / cscript.exe [//options] script.vbs|.js [args] */
tl_status tl_interp_script_host(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                                size_t argc, int *exit_code);

/* wmic.c: wmic.exe [/global:switches] process|job|path <class> call create ... */
tl_status tl_interp_wmic(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                         int *exit_code);

#endif /* TL_SIM_INTERPRETERS_H */
