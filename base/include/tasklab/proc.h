/* SPDX-License-Identifier: MIT */
/*
 * Child processes with piped standard streams (the platform layer's process
 * part, base/src/proc.c): what execd needs to run an active-response program
 * with the Wazuh stdin/stdout protocol, and helpers run quietly (wineboot).
 *
 * POSIX: fork + execve/execvpe, pipes, poll, waitpid (moved from execd.c
 * unchanged). Windows: CreateProcessW with anonymous pipes, the command line
 * quoted as the MS C runtime parses it, PeekNamedPipe polling.
 *
 * Ownership: tl_proc_start's *out is freed by tl_proc_free; tl_proc_env's
 * array (not its strings, borrowed from environ and `add`) by tl_free.
 */
#ifndef TL_PROC_H
#define TL_PROC_H

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tl_proc tl_proc;

/** Start argv[0] (searched in PATH when use_path) with environment envp
 * (NULL-terminated "K=V"; NULL: ours), in folder cwd (NULL: ours), stdin,
 * stdout and stderr piped. guard_ms: wall-clock watchdog of the run. */
tl_status tl_proc_start(tl_proc **out, char *const argv[], char *const envp[], const char *cwd,
                        int use_path, long guard_ms, tl_diag *d);
/** Write all of data to the child's stdin (a closed pipe is TL_E_IO, never a signal). */
tl_status tl_proc_write(tl_proc *p, const char *data, size_t len);
/** Read until a full stdout line is available, or stdout ends, or the child
 * exited and its pipes are drained. 0, or -1 when the watchdog expired. */
int tl_proc_wait_line(tl_proc *p);
/** The next stdout line without "\r\n"/"\n" (caller tl_free()s), NULL when none. */
char *tl_proc_take_line(tl_proc *p);
/** Close stdin, drain, reap (killing the child when the watchdog expired).
 * Returns the exit status, -1 when killed: *timed_out (watchdog) or *signo
 * (a signal; 0 when none) say how. */
int tl_proc_finish(tl_proc *p, int *timed_out, int *signo);
/** What the child wrote on stderr (its first 4 KiB), NUL-terminated. */
const char *tl_proc_stderr(const tl_proc *p);
void tl_proc_free(tl_proc *p);

/** Run argv (PATH searched) with envp and null standard streams; wait.
 * Exit status, or -1. */
int tl_proc_run_quiet(char *const argv[], char *const envp[]);
/** Run argv[0] (a path) with stdout to the null device, stderr too when
 * null_stderr; wait. Exit status (-1 when it could not run or was killed),
 * and the child's user+system CPU seconds into *cpu_s. */
int tl_proc_run_measured(char *const argv[], int null_stderr, double *cpu_s);
/** Our environment minus entries starting with one of drop[0..ndrop), plus
 * add (NULL-terminated). NULL when out of memory. */
char **tl_proc_env(const char *const *drop, size_t ndrop, char *const *add);

#ifdef __cplusplus
}
#endif

#endif
