/* SPDX-License-Identifier: MIT */
/*
 * The command interpreters (simulator/interp/) and the launcher that reaches
 * them.
 *   launch.c      CreateProcess (tl_sim_exec, tl_sim_launch): image
 *                 resolution, Event 1, then the image's interpreter found in
 *                 the dispatch table; ShellExecute of documents
 *   dispatch.c    THE dispatch table: image base name -> interpreter
 *   cmdline.c     CommandLineToArgvW
 *   cmd.c         cmd.exe lines and batch files
 *   schtasks.c    schtasks.exe
 *   reg.c         reg.exe
 *   at.c          at.exe
 *   ghosttask.c   GhostTask.exe
 *   powershell.c  powershell.exe / pwsh.exe (ScheduledTasks cmdlets, Register-ScheduledJob)
 *   script_com.c  wscript.exe / cscript.exe, and the Task Scheduler COM object model
 *                 (Schedule.Service) that VBScript, JScript and PowerShell scripts drive
 *   wmic.c        wmic.exe (process / job call create, look-alike letters by build)
 *   wmi.c         Win32_Process.Create and Win32_ScheduledJob.Create, shared by wmic.exe
 *                 and PowerShell's Invoke-CimMethod
 *   schtasks_query.c  what schtasks /query prints
 *
 * Rule: an interpreter never calls another one. A program started from an
 * interpreter (cmd running schtasks, PowerShell running reg) goes through
 * tl_sim_exec / tl_sim_launch, which create the process and look its image up
 * in the table. Each interpreter's entry points are declared in
 * interpreters.h, which only dispatch.c and the interpreter itself include.
 */
#ifndef TL_SIM_INTERP_H
#define TL_SIM_INTERP_H

#include "sim_int.h"

typedef struct tl_exec_ctx {
    tl_sim *s;
    tl_diag *d;
    size_t user;
    int integrity;
    int elevated;
    long parent; /* launching process */
    int wow64;
    const char *cwd; /* working directory of the next process (NULL: the parent's) */
} tl_exec_ctx;

/* ---- the dispatch table (dispatch.c) --------------------------------------- */
/* A new process `proc` of the interpreter's image runs with command line
 * `cmdline` (argv: its CommandLineToArgvW split). c->parent is proc. */
typedef tl_status (*tl_interp_main_fn)(tl_exec_ctx *c, long proc, const char *cmdline,
                                       char **argv, size_t argc, int *exit_code);
/* Text typed into an already running process `proc` of the image (a scenario
 * step whose parent is cmd.exe or powershell.exe): one cmd line, one script. */
typedef tl_status (*tl_interp_text_fn)(tl_exec_ctx *c, long proc, const char *text,
                                       int *exit_code);
typedef struct tl_interp {
    const char *image;          /* base name, "schtasks.exe" (compared case-insensitively) */
    tl_interp_main_fn run;      /* NULL: the process only exists (no interpreter) */
    tl_interp_text_fn run_text; /* NULL: not a shell */
} tl_interp;
/* The entry for image (a path or a base name), or NULL for a program tasklab
 * does not interpret. Borrowed, static. */
const tl_interp *tl_interp_find(const char *image);

/* ---- launching (launch.c) ------------------------------------------------------ */
/* Launch command line cmdline from ctx->parent (process create + interpretation). */
tl_status tl_sim_exec(tl_exec_ctx *c, const char *cmdline, int *exit_code);
/* CreateProcess of `image` with `cmdline` from ctx->parent, then the image's
 * interpreter (schtasks, reg, cmd, powershell, ...). */
tl_status tl_sim_launch(tl_exec_ctx *c, const char *image, const char *cmdline, int *exit_code);
/* The image a program token names (bare names of system tools resolve to
 * System32, PowerShell to its v1.0 folder, others to the parent's folder;
 * ".exe" added when there is no extension). Owned; NULL on NOMEM. */
char *tl_sim_resolve_image(tl_exec_ctx *c, const char *token);
/* ShellExecute "open" of a file that is not a program (cmd.exe given a document,
 * the Task Scheduler running such an action): the process its file type's open
 * command starts. Sets *image and *cmdline (owned) and returns TL_OK, or
 * TL_E_NOTFOUND when `path` is a program (.exe, .com, no extension) or of a type
 * tasklab does not know. `for_task`: a .bat/.cmd action starts
 * cmd.exe /c ""<path>" <args>" (CreateProcess's batch rule); from cmd.exe the
 * caller runs a batch file itself. */
tl_status tl_sim_shell_open(tl_sim *s, size_t user, const char *path, const char *args,
                            int for_task, char **image, char **cmdline);

/* ---- cmdline.c ----------------------------------------------------------------- */
/* CommandLineToArgvW. argv owned (free with tl_argv_free). */
tl_status tl_argv_split(const char *cmdline, char ***argv, size_t *argc);
void tl_argv_free(char **argv, size_t argc);
/* Quote one argument so tl_argv_split gives it back. Owned. */
char *tl_argv_quote(const char *arg);

/* ---- schtasks.c: the /query listing (tests, explain) ----------------------------- */
tl_status tl_sim_schtasks_query(tl_sim *s, const char *format, char **out);
/* schtasks_query.c: the text `schtasks /query [/fo F] [/nh] [/tn X]` prints (only: that task). */
tl_status tl_schtasks_query_text(tl_sim *s, const char *format, int no_header, const tl_task *only,
                                 char **out);

/* ---- script_com.c: the Task Scheduler COM API from scripts ------------------------ */
/* Not an interpreter of its own (PowerShell and the script hosts share it): run `text`
 * (a script in `language`, TL_COM_* of sim.h, named script_name in messages) in process
 * proc, which calls Schedule.Service; console_host: 0 none (wscript), 1 cscript (prints
 * errors and WScript.Echo), 2 cscript //B (Echo only). */
tl_status tl_com_run_script(tl_exec_ctx *c, long proc, int language, int console_host,
                            const char *script_name, const char *text, int *exit_code);
/* 1 when a PowerShell script creates the Schedule.Service COM object. */
int tl_com_ps_script_uses_com(const char *script);

/* ---- wmi.c: the WMI methods behind wmic.exe and Invoke-CimMethod ------------------- */
/* Win32_Process.Create: WmiPrvSE.exe (SYSTEM, already running) starts command_line
 * verbatim as the caller (c->user, c->integrity), in cwd (NULL: its own). Sets *pid
 * (the child's ProcessId, 0 when none) and *ret (the method's ReturnValue). */
tl_status tl_wmi_process_create(tl_exec_ctx *c, const char *command_line, const char *cwd,
                                unsigned *pid, int *ret);
/* Win32_ScheduledJob.Create: an AT job (tl_task_at_job) behind at.exe's EnableAt gate;
 * start is the CIM time "********HHMMSS.ffffff+UUU", days_of_week bit 0 Monday .. bit 6
 * Sunday, days_of_month bit n-1 day n. Sets *job_id (0 none) and *ret (ReturnValue). */
tl_status tl_wmi_job_create(tl_exec_ctx *c, const char *command, const char *start,
                            unsigned days_of_week, unsigned days_of_month, int *job_id, int *ret);

#endif /* TL_SIM_INTERP_H */
