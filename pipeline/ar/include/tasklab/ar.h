/* SPDX-License-Identifier: MIT */
/*
 * analyze-scheduled-task: the active-response program of the Wazuh blog
 * (seed), hardened. One portable core used three ways: linked into the
 * agent's execd (inproc), as the Linux executable `analyze-scheduled-task`,
 * and as the Windows executable `analyze-scheduled-task.exe` (mingw-w64, runs
 * under Wine).
 *
 * What it does for one Wazuh 4.2+ AR message (stdin, one line):
 *  1. validates the message (JSON object, version 1, command add|delete,
 *     parameters.alert object; at most TL_AR_MAX_INPUT bytes);
 *  2. takes the task path from the alert's decoded
 *     data.win.eventdata.targetObject (doubled backslashes undone), never from
 *     the message text; Event 13 / Event 12 DeleteValue targets lose their value
 *     name (Id, Index, SD, …);
 *  3. reads C:\Windows\System32\Tasks\<path> (UTF-16LE/BE with BOM, UTF-8 with or
 *     without BOM, Wine's comment line; the XML declaration's encoding is
 *     ignored), parses it with a small hardened reader (task_xml.c);
 *  4. appends ONE JSON line to <install dir>\logs\scheduled-tasks.log in the
 *     seed's shape {"ScheduledTaskAR": <Get-ScheduledTask action(s)>, "TaskName":
 *     "<leaf>", <tasklab extras>} — or an error record when the task file is
 *     gone — and writes Wazuh-style lines to active-response\active-responses.log.
 *
 * It never starts a process and never evaluates what it read.
 * Ownership: returned strings are freed with tl_free().
 */
#ifndef TL_AR_H
#define TL_AR_H

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest accepted stdin line (bytes, without EOL). */
#define TL_AR_MAX_INPUT ((size_t)1 << 20)
/** Largest accepted task file (bytes). */
#define TL_AR_MAX_TASK_FILE ((size_t)4 << 20)

/** The program's line I/O with execd (stdin/stdout, or callbacks inproc). */
typedef struct tl_ar_io {
    void *ctx;
    /** Read one line without its EOL ("\n" or "\r\n") into *line (tl_free).
     * TL_OK; TL_E_NOTFOUND at EOF before any byte; TL_E_LIMIT when the line
     * is longer than `limit` (the rest of the line is consumed). */
    tl_status (*read_line)(void *ctx, size_t limit, char **line);
    /** Write one line to execd; the callee appends the EOL and flushes. */
    tl_status (*write_line)(void *ctx, const char *line);
} tl_ar_io;

/** Where the program runs. All strings borrowed. */
typedef struct tl_ar_env {
    /** Host folder that plays C: (Linux builds); NULL = real Windows paths. */
    const char *drive_c;
    /** Host path of the agent install dir (…\ossec-agent); NOT NULL. */
    const char *install_dir;
    /** Name used in active-responses.log when the message has no
     * parameters.program, e.g. "active-response/bin/analyze-scheduled-task". */
    const char *program_name;
    /** Virtual time for the active-responses.log prefix. */
    tl_time now;
    /** 1: output lines end with CRLF (Windows StreamWriter.WriteLine); 0: LF. */
    int crlf;
    /** 1: send check_keys (key = the task path) and honour continue/abort. */
    int check_keys;
    /** A drive held in memory (borrowed; NULL = the host): task files are read
     * from it ("Windows/System32/Tasks/…") and the logs appended to it below
     * install_dir, then a path inside it ("Program Files (x86)/ossec-agent");
     * drive_c is unused. No host file is touched. */
    tl_memdrive *mem;
} tl_ar_env;

/**
 * Run the program once: read the message with io, act, write the logs.
 * @return the process exit status: 0 success (also "delete" and an error record
 * for a vanished task), 1 bad input or task file, 2 log not writable.
 */
int tl_ar_run(const tl_ar_env *env, const tl_ar_io *io);

/* ---- building blocks (used by the tests and fuzzers) ----------------------- */

/**
 * Task path from a decoded targetObject (`HKLM\\SOFTWARE\\…\\TaskCache\\Tree\\F\\N`,
 * doubled backslashes as Wazuh delivers them; single ones accepted too).
 * `event_id`/`event_type` (may be NULL) decide whether the last component is a
 * value name: Event 13 (SetValue) and Event 12 DeleteValue strip it; without
 * them a last component Id/Index/SD is stripped. *path = "\\F\\N" (tl_free).
 * @return TL_OK, TL_E_INVAL (not under TaskCache\Tree, empty or bad component).
 */
tl_status tl_ar_task_path(const char *target_object, const char *event_id,
                          const char *event_type, char **path, tl_diag *d);

/** What a record is built from. */
typedef struct tl_ar_task_ref {
    const char *task_path;   /* "\\Folder\\Name" */
    const char *server_name; /* CimSystemProperties.ServerName; NULL → null */
    const char *event_type;  /* "CreateKey", "SetValue", "DeleteValue", … or NULL */
    const char *value_name;  /* value name stripped from targetObject or NULL */
} tl_ar_task_ref;

/**
 * Render the scheduled-tasks.log line (no EOL) from the task file bytes.
 * @return TL_OK; TL_E_PARSE (not XML, truncated, not a <Task>), TL_E_INVAL
 * (unexpected encoding), TL_E_LIMIT (too large / too deep); d names the problem.
 */
tl_status tl_ar_render_task(const char *data, size_t len, const tl_ar_task_ref *ref,
                            char **line, tl_diag *d);

/** The error record for a task that cannot be found:
 * {"ScheduledTaskAR": null, "TaskName": "<leaf>", "TaskPath": …, "Error": "<why>"}. */
char *tl_ar_error_record(const tl_ar_task_ref *ref, const char *why);

/**
 * Resolve a Windows path ("C:\\Windows\\…") to a host path under drive_c,
 * matching every component case-insensitively against what exists (exact
 * match first, then the first case-insensitive match in byte order). Missing
 * components are kept as given. drive_c NULL: returns a copy of winpath.
 */
char *tl_ar_host_path(const char *drive_c, const char *winpath);

#ifdef __cplusplus
}
#endif

#endif /* TL_AR_H */
