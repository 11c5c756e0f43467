/* SPDX-License-Identifier: MIT */
/*
 * tasklab agent: the Wazuh Windows agent's side of the pipeline.
 *
 *  - forwarder: wraps an EvtRender XML record as the agent's eventchannel
 *    payload {"Message":…,"Event":…} (wazuh.md §1/§1.1) and builds the
 *    analysisd queue line "<q>:[<id>] (<name>) <ip>-><location>:<log>";
 *  - agent.conf: which <localfile> entries (eventchannel channels, syslog/json
 *    files) the Windows agent reads;
 *  - logcollector: follows a file from its last offset and emits complete lines
 *    with the Windows read_syslog rules (wazuh.md §1.2);
 *  - execd: runs an active-response program with the Wazuh 4.2+ stdin protocol
 *    (wazuh.md §11.2), in-process, as a Linux child process or under Wine, on
 *    the virtual clock.
 *
 * Ownership: every returned char * is freed with tl_free(); every object is
 * released with its _free() (NULL is a no-op). No libxml2/cJSON types leak here.
 */
#ifndef TL_AGENT_H
#define TL_AGENT_H

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- forwarder ------------------------------------------------------------ */

/**
 * The eventchannel payload the agent sends for one record:
 * `{"Message":"<message>","Event":"<xml>"}`, Message first and omitted when
 * `message` is NULL. `xml` goes through win_format_event_string first (every
 * `\n`/`\r` becomes a space; a tab right after `\n`, `\r` or `:` becomes a
 * space); both strings are JSON-escaped exactly as cJSON prints them.
 * @param message rendered text (CRLF inside), or NULL; borrowed.
 * @param xml     EvtRender XML, single-quoted attributes; borrowed, not NULL.
 * @return newly allocated payload (tl_free), NULL on out of memory.
 */
char *tl_agent_eventchannel_payload(const char *message /* may be NULL */, const char *xml);

/**
 * The line analysisd receives: `<q>:[<id>] (<name>) <ip>-><location>:<log>`,
 * every `:` inside `location` escaped as `|:` (wazuh.md §1, OS_CleanMSG splits at
 * the first unescaped ':'). Example: q 'f', "001", "WS01", "any", "EventChannel".
 * All strings borrowed; returns tl_free()-owned text, NULL on out of memory.
 */
char *tl_agent_queue_line(char q, const char *agent_id, const char *agent_name,
                          const char *agent_ip, const char *location, const char *log);

/* ---- agent.conf ------------------------------------------------------------ */

typedef struct tl_agent_conf tl_agent_conf;

/**
 * Load an agent.conf (several top-level `<agent_config [os="…"]>` blocks, as
 * the manager's etc/shared/<group>/agent.conf) or an ossec.conf
 * (`<ossec_config>`). Blocks whose `os` attribute does not match "windows"
 * (OS_Match-style substring, case-insensitive) are ignored; `name`/`profile`
 * filters are ignored (documented). `<localfile>` with `<log_format>`
 * eventchannel, syslog or json are kept; others are ignored.
 * @param out owned result on TL_OK. @param d diagnostics (file, line) on error.
 * @return TL_OK, TL_E_IO, TL_E_PARSE (not XML / localfile without location).
 */
tl_status tl_agent_conf_load(const char *path, tl_agent_conf **out, tl_diag *d);
/** Same as tl_agent_conf_load on an in-memory text; `name` is used in diagnostics. */
tl_status tl_agent_conf_parse(const char *text, size_t len, const char *name,
                              tl_agent_conf **out, tl_diag *d);
void tl_agent_conf_free(tl_agent_conf *c);
/** 1 when an eventchannel <localfile> names `channel` (case-insensitive), else 0. */
int tl_agent_conf_reads_channel(const tl_agent_conf *c, const char *channel);
/** Number of syslog/json file <localfile> entries, in document order. */
size_t tl_agent_conf_file_count(const tl_agent_conf *c);
/** Location of file entry i, verbatim (e.g. "logs\\scheduled-tasks.log"); borrowed. */
const char *tl_agent_conf_file_location(const tl_agent_conf *c, size_t i);
/** "syslog" | "json" for file entry i; borrowed. */
const char *tl_agent_conf_file_format(const tl_agent_conf *c, size_t i);

/* ---- logcollector ------------------------------------------------------- */

typedef struct tl_logcollector tl_logcollector;

/**
 * Follow `host_path`, forwarding lines with `location` (queue '1'). Starts at
 * offset 0 (the file may not exist yet). `windows`: apply the Windows rules of
 * read_syslog (cut at the last '\r', skip lines of <= 2 bytes and lines starting
 * with '#'); lines containing NUL are always dropped. Strings are copied.
 */
tl_status tl_logcollector_new(const char *location, const char *host_path, int windows,
                              tl_logcollector **out);
/** Read host_path inside `mem` (borrowed, it must outlive lc; resolved ignoring
 * case) instead of the host: the replay's memory drive. */
void tl_logcollector_use_memdrive(tl_logcollector *lc, tl_memdrive *mem);
/** Read what was appended to host_path since the last call; call emit(ctx, location, line)
 * per complete line ('\n'-terminated; a partial last line waits for its end). A file
 * that shrank is re-read from 0 (rotation). A missing file is TL_OK with no lines. */
tl_status tl_logcollector_poll(tl_logcollector *lc,
                               void (*emit)(void *ctx, const char *location, const char *line),
                               void *ctx);
void tl_logcollector_free(tl_logcollector *lc);

/* ---- execd ---------------------------------------------------------------- */

typedef enum tl_ar_mode { TL_AR_INPROC, TL_AR_EXEC, TL_AR_WINE } tl_ar_mode;

typedef struct tl_execd_opts {
    tl_ar_mode mode;
    const char *exe_path;   /* exec: Linux analyze-scheduled-task; wine: the .exe */
    const char *drive_c;    /* host folder laid out as the endpoint's C: drive (task files are there);
                               wine mode: NULL means <wineprefix>/drive_c */
    const char *agent_dir;  /* Windows path of the agent install dir, e.g.
                               "C:\\Program Files (x86)\\ossec-agent" (NULL: that default) */
    const char *wineprefix; /* wine mode; NULL: $WINEPREFIX, else ${TMPDIR:-/tmp}/tasklab-wine-<uid> */
    int timeout_ms;         /* exec/wine: wall-clock watchdog per program run, only for killing a
                               hung program (the run then counts as failed); 0: TL_EXECD_TIMEOUT_MS */
} tl_execd_opts;

/** Default watchdog of one AR program run (exec and wine modes), in milliseconds. */
#define TL_EXECD_TIMEOUT_MS 120000

typedef struct tl_execd tl_execd;

/**
 * Create an execd. Creates `<agent_dir>\logs` and `<agent_dir>\active-response\bin`
 * under drive_c; in exec and wine modes installs (copies) exe_path there under the
 * executable name at its first run by this execd (Wazuh runs
 * `active-response/bin/<executable>`). Wine mode: initialises the prefix when it has
 * no system.reg (wineboot --init, under a lock) and starts `wineserver -p30`, which
 * keeps runs warm and exits by itself 30 s after the last one.
 * Borrowed strings are copied. @return TL_OK, TL_E_INVAL (bad opts), TL_E_IO.
 */
tl_status tl_execd_new(const tl_execd_opts *o, tl_execd **out, tl_diag *d);
/** As tl_execd_new in inproc mode on the memory drive `mem` (borrowed, it must
 * outlive the execd) instead of o->drive_c: the agent's folders are made there,
 * the AR core reads and appends there, and tl_execd_host_path gives paths inside
 * it ("Program Files (x86)/ossec-agent/logs"). No host file is touched. */
tl_status tl_execd_new_in_memory(const tl_execd_opts *o, tl_memdrive *mem, tl_execd **out,
                                 tl_diag *d);
void tl_execd_free(tl_execd *x);
/**
 * Run one AR for the manager's message (wazuh.md §11.2 analysisd->agent JSON)
 * with executable name `executable` (e.g. "analyze-scheduled-task.exe"): rewrite
 * command→"add", origin.module→"wazuh-execd", append parameters.program, run the
 * program with the line on stdin, answer its check_keys (continue/abort), and
 * when timeout > 0 and keys were sent, schedule the "delete" run at now+timeout.
 * The program sees the virtual time `now` (env TASKLAB_TIME, ISO-8601 UTC).
 * @return TL_OK when the program ran (whatever its exit status: see
 * tl_execd_last_exit and tl_execd_failures), TL_E_PARSE (message not JSON), TL_E_NOTFOUND (program
 * missing), TL_E_IO (could not run).
 */
tl_status tl_execd_run(tl_execd *x, const char *executable, const char *manager_message,
                       int timeout, tl_time now, tl_diag *d);
/** Fire expired timeouts ("delete" runs, at their expiry time) up to now, oldest first. */
tl_status tl_execd_tick(tl_execd *x, tl_time now, tl_diag *d);
/** Host path of a file under the agent dir, e.g. tl_execd_host_path(x, "logs\\scheduled-tasks.log")
 * (components matched case-insensitively against existing folders); tl_free. */
char *tl_execd_host_path(const tl_execd *x, const char *rel_winpath);
/** Exit status of the last program run (-1 when none ran / killed). */
int tl_execd_last_exit(const tl_execd *x);
/**
 * Number of program runs that failed: the program exited non-zero, was killed
 * (signal, or the watchdog of tl_execd_opts.timeout_ms), or wrote nothing to
 * active-response\active-responses.log (every Wazuh AR program logs its runs
 * there). The run itself still returns TL_OK: the pipeline goes on, and the
 * caller reports the failures (tasklab exits 1).
 */
size_t tl_execd_failures(const tl_execd *x);
/** One line describing the first failed run ("" when none): borrowed, valid
 * until x is freed. E.g. "analyze-scheduled-task.exe (add at
 * 2024-01-01T00:00:01.5Z) exited with status 1: ERROR: C:\...: not XML". */
const char *tl_execd_failure(const tl_execd *x);
/** Number of pending timeout entries ("delete" runs not fired yet). */
size_t tl_execd_pending(const tl_execd *x);

#ifdef __cplusplus
}
#endif

#endif /* TL_AGENT_H */
