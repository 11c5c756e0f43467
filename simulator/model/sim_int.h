/* SPDX-License-Identifier: MIT */
/*
 * The endpoint model (simulator/model/): the private state of the simulated
 * endpoint (tl_sim) and the operations every other part of the simulator
 * builds on:
 *   sim_core.c    endpoint construction, users, processes, GUIDs, the virtual
 *                 clock, the event queue (raw event -> Sysmon filter ->
 *                 rendered record), noise
 *   sim_reg.c     registry (case-insensitive keys keeping stored casing)
 *   sim_fs.c      file system (case-insensitive paths, drive_c mirroring)
 *   console.c     what the user's console shows per command step
 * The endpoint's task records (tl_task) live here as data; the Task Scheduler
 * service that owns them is simulator/service/ (service.h), the command
 * interpreters simulator/interp/ (interp.h), the Sysmon engine
 * simulator/sysmon/, the scenario loader and step runner simulator/scenario/.
 * Layering: model <- service <- interp (through one dispatch table) <- steps.
 *
 * Invariants: every raw event goes through tl_sim_emit_sysmon(); records are
 * rendered lazily at pop time so EventRecordIDs increase in time order per
 * channel; everything random comes from s->rng seeded by the scenario seed.
 */
#ifndef TL_SIM_INT_H
#define TL_SIM_INT_H

#include <stdint.h>

#include "scenario_int.h"
#include "tasklab/sim.h"
#include "tasklab/limits.h"
#include "tasklab/sysmon.h"

/* ---- registry ----------------------------------------------------------- */
#define TL_REG_NONE 0
#define TL_REG_SZ 1
#define TL_REG_EXPAND_SZ 2
#define TL_REG_BINARY 3
#define TL_REG_DWORD 4
#define TL_REG_MULTI_SZ 7
#define TL_REG_QWORD 11

typedef struct tl_regval {
    char *name; /* "" = (Default) */
    uint32_t type;
    unsigned char
        *data; /* strings: UTF-8, NUL-terminated (len excludes NUL); MULTI_SZ: '\n'-joined */
    size_t len;
} tl_regval;

typedef struct tl_regkey {
    char *name;
    struct tl_regkey *parent;
    struct tl_regkey **subs;
    size_t nsubs, capsubs;
    tl_regval *vals;
    size_t nvals, capvals;
} tl_regkey;

/* The Task Scheduler's registry cache (windows.md): Tree, Tasks, Plain, Logon, Boot. */
#define TL_TASKCACHE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache"

/* ---- file system ------------------------------------------------------- */
typedef struct tl_vfile {
    char *path; /* canonical Windows path, casing of creation, "C:\..." */
    unsigned char *data;
    size_t len;
    tl_time created;
    /* A copy of a stock Windows program (copy C:\Windows\System32\schtasks.exe
     * %TEMP%\u.exe): the original's path, whose version resource (OriginalFileName,
     * Description) and interpreter the copy keeps (windows.md 1.5, evasion.md 4);
     * data is then empty (no real binary). NULL for any other file. Owned. */
    char *copy_of;
} tl_vfile;

/* ---- users and processes ----------------------------------------------- */
typedef struct tl_user {
    char *name;   /* "alice", "SYSTEM" */
    char *domain; /* "DESKTOP-4E0BQFT", "NT AUTHORITY" */
    char *sid;
    int admin;
    uint64_t logon_id;      /* medium (filtered) token */
    uint64_t logon_id_elev; /* elevated linked token (admins) */
    unsigned session;
    tl_time logon_time;
} tl_user;

typedef struct tl_proc {
    unsigned pid;
    char guid[40];
    char *image;
    char *cmdline;
    char *cwd;
    size_t user;   /* index into s->users */
    int integrity; /* 0 Low 1 Medium 2 High 3 System */
    uint64_t logon_id;
    unsigned session;
    long parent; /* index into s->procs, -1 none */
    tl_time start;
    int wow64;
    int taskschd_loaded; /* Event 7 for taskschd.dll already reported */
    tl_time taskschd_logged; /* TimeCreated of that Event 7 when the config logged it, else 0 */
    int exited;          /* gone (the host rebooted): never found as a running process */
} tl_proc;

/* ---- tasks ---------------------------------------------------------------- */
typedef struct tl_task_action {
    int com;         /* 0 Exec, 1 ComHandler */
    char *id;        /* may be NULL */
    char *command;   /* Exec: Command / Com: ClassId */
    char *arguments; /* Exec: Arguments / Com: Data */
    char *workdir;
} tl_task_action;

typedef struct tl_task {
    char *path;    /* "\test-task", "\Updates\x": casing as registered */
    char guid[40]; /* "{0A1B...}" uppercase */
    char *xml;     /* normalised XML text, UTF-8, LF line ends, no BOM; NULL for registry-only */
    /* facts extracted from xml (or GhostTask arguments) */
    char *author, *date, *description, *uri, *context, *user_id;
    tl_task_action *actions;
    size_t nactions;
    int enabled, hidden;
    int trigger_class; /* 1 Boot, 2 Logon, 3 Plain */
    int logon_trigger;    /* has a LogonTrigger */
    char *logon_user_id;  /* its UserId, NULL = any user */
    int highest;          /* Principal RunLevel HighestAvailable */
    int registry_only;
    size_t owner; /* user index that registered the task */
    int deleted;
    int running;
    int unloaded; /* in TaskCache but not loaded by the Schedule service (GhostTask, reg
                     import, a task whose Tree key went away) until it restarts */
} tl_task;

typedef struct tl_console tl_console; /* console.c */

/* ---- event queue ---------------------------------------------------------- */
typedef struct tl_qrec {
    tl_time time; /* TimeCreated */
    uint64_t seq;    /* within the stream */
    uint32_t stream; /* tie-break: same TimeCreated -> stream, then seq */
    size_t step;
    int sysmon; /* 1 Sysmon event, 0 generic */
    int chan;   /* 0 Sysmon, 1 Security, 2 TaskScheduler */
    int id;
    tl_evfield *fields; /* names static; one owned block with the values */
    size_t nfields;
    const char *rule_name; /* borrowed from config */
    const char *explain;   /* explain_own, or borrowed from the sim's verdict memo */
    char *explain_own;
    tl_winevt_system sys; /* generic: provider/channel strings static */
    const char *edata_name;
    const char *msg_first;
} tl_qrec;

/* A producer of events: the steps (in order) or one noise generator. Jitter
 * and ordering derive from (stream, seq) so the record stream does not
 * depend on how the caller interleaves run_step and next_record. */
typedef struct tl_stream {
    uint32_t id;     /* 0 = steps, 1 + k = noise generator k */
    uint64_t seq;    /* events emitted so far (logged or not) */
    tl_time last[3]; /* last TimeCreated per channel */
} tl_stream;

typedef struct tl_noise {
    tl_stream stream;
    size_t step;
    tl_time start;
    double duration;
    long total, done;
    tl_rng rng;
} tl_noise;

typedef struct tl_cmdvars tl_cmdvars;

struct tl_sim {
    const tl_scenario *sc;
    const tl_sysmon_config *cfg;
    struct tl_sm_memo *memo;     /* verdicts of cfg per distinct referenced values (owned) */
    tl_sysmon_config *cfg_owned; /* cfg when this sim loaded it (no config_loader) */
    char *drive_c;
    tl_memdrive *mem; /* borrowed: mirror into this memory drive (too, when drive_c is set) */
    tl_diag fs_diag; /* why the last endpoint file operation failed (drive path, host mirror) */
    char *agent_dir;
    char *computer; /* FQDN or hostname */
    char *user_domain;
    int x86;
    int win7; /* NT 6.1 or older (os_build < 6.2): tasks run under taskeng.exe */
    int at_enabled; /* Schedule\Configuration EnableAt was 1 at the last boot (evasion.md 2.3) */
    tl_rng rng;
    char fver[64];          /* FileVersion of the stock images (os_build) */
    char machine_prefix[9]; /* 8 hex digits */
    char host_suffix[13];   /* 12 hex digits */
    unsigned guid_counter;
    tl_time boot;
    tl_time now; /* clock: advances within a step */
    unsigned sysmon_pid, sysmon_tid;
    unsigned next_pid;
    uint64_t next_logon;
    /* registry, files */
    tl_regkey *hklm, *hku, *hkcr;
    tl_vfile *files;
    size_t nfiles, capfiles;
    int has_copies; /* some file is a copy of a stock program (tl_vfile.copy_of) */
    /* users, processes */
    tl_user *users;
    size_t nusers;
    tl_proc *procs;
    size_t nprocs, capprocs;
    long schedule_svc; /* proc index of the Schedule svchost */
    long caller_proc;  /* process calling the Task Scheduler API now (-1 none) */
    long services_exe;
    /* tasks */
    tl_task *tasks;
    size_t ntasks, captasks;
    /* queue (binary heap by time, seq) */
    tl_qrec *q;
    size_t nq, capq;
    tl_stream steps_stream;
    tl_stream *cur_stream; /* where the next emitted event belongs */
    uint64_t recid[3];
    tl_noise *noise;
    size_t nnoise, capnoise;
    size_t steps_run; /* steps executed so far in order: records are released only up to
                         the next unrun step's time */
    int quiet;        /* baseline construction: no events */
    tl_sim_dropped_fn on_dropped;
    void *dropped_ctx;
    int task_depth;   /* task runs nested in task actions (bounded) */
    int batch_depth;  /* batch files run by batch files (bounded) */
    int exec_depth;   /* interpreters running inside one another now (TL_LIMIT_EXEC_DEPTH) */
    /* work budget of the run (scenario "limits", tasklab/limits.h) */
    long work_events;   /* raw events emitted by steps and the tasks they run (noise aside) */
    long work_commands; /* processes started by interpreters, cmd lines, PowerShell statements */
    int over_budget;    /* sticky: the current step exceeded a budget (its diag says which) */
    tl_diag *cur_diag;  /* the running step's diag (budget errors are reported there) */
    size_t cur_step;
    const tl_step *cur;
    /* current popped record (owned; the buffers are reused from record to record) */
    tl_buf out_xb, out_mb;
    char *out_explain;
    tl_console *console; /* what command steps printed (console.c), NULL until the first */
    struct tl_cmdvars *cmdvars; /* cmd.exe variables `set` stored (evasion.c), NULL until one */
};

/* Release s->cmdvars (interp/evasion.c). */
void tl_ev_free(tl_sim *s);

/* ---- sim_core.c ---------------------------------------------------------- */
tl_status tl_sim_emit_sysmon(tl_sim *s, int id, tl_time t, const tl_evfield *f, size_t n);
tl_status tl_sim_emit_generic(tl_sim *s, int chan, int id, tl_time t, const tl_evfield *f,
                              size_t n);
/* The same, logged after `after` (a TimeCreated already given to a record that caused
 * this one: the Task Scheduler client's Event 7 before the service's 4698-4702). */
tl_status tl_sim_emit_generic_after(tl_sim *s, int chan, int id, tl_time t, tl_time after,
                                    const tl_evfield *f, size_t n);
/* Advance the clock by a small deterministic step (ms .. tens of ms) and return it. */
tl_time tl_sim_tick(tl_sim *s, int min_us, int max_us);
long tl_sim_user_find(const tl_sim *s, const char *name);
const char *tl_sim_user_display(const tl_sim *s, size_t u, char *buf, size_t n);
/* Create a process (Event 1 unless quiet). Returns its index or -1 (NOMEM). */
tl_status tl_sim_proc_create(tl_sim *s, long parent, size_t user, int integrity, const char *image,
                             const char *cmdline, const char *cwd, long *out);
tl_status tl_sim_image_load(tl_sim *s, long proc, const char *dll);
/* Raw registry events from a process: id 12/13/14 with EventType. */
tl_status tl_sim_reg_event(tl_sim *s, long proc, const char *etype, const char *target,
                           const char *details);
tl_status tl_sim_file_event(tl_sim *s, long proc, const char *path, tl_time created);
/* Error naming the current step. */
tl_status tl_sim_step_error(tl_sim *s, tl_diag *d, tl_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Count one command line (process started, cmd line, batch line, PowerShell statement)
 * against the run's budget; TL_E_LIMIT (reported on the current step) when exceeded. */
tl_status tl_sim_work_command(tl_sim *s);
/* The host restarts at s->now: every process ends, the boot processes (System,
 * smss, services, the Schedule service's svchost, Sysmon) start again, quietly
 * (no events: the boot is not simulated), with the boot 90 s before now [A].
 * Users are logged off (a logon step starts their explorer.exe again). */
tl_status tl_sim_reboot(tl_sim *s);
/* The first running process of user with this image (case-insensitive), or -1. */
long tl_sim_proc_find(const tl_sim *s, size_t user, const char *image);
int tl_sim_is_x64(const tl_sim *s);
/* The endpoint's Windows folder as the host spells it: "C:\Windows", or the scenario's
 * endpoint.windir ("C:\WINDOWS"). Borrowed from the scenario. */
const char *tl_sim_windir(const tl_sim *s);
/* A copy of text whose leading "C:\Windows" (any case, after an optional '"', followed by
 * '\', '"', ' ' or the end) is spelled as tl_sim_windir(); other text is copied unchanged.
 * Owned by the caller (tl_free); NULL when out of memory. */
char *tl_sim_windir_spell(const tl_sim *s, const char *text);
/* Map an image path to what Sysmon reports for a wow64 process. */
char *tl_sim_wow64_image(const char *image);
/* 1 when path names a stock Windows program the endpoint has without a file in the
 * model (C:\Windows\System32\schtasks.exe, its SysWOW64 twin, ...: an image with
 * known version information in System32, SysWOW64, System32\wbem or
 * System32\WindowsPowerShell\v1.0). */
int tl_sim_system_program(const char *path);
/* 1 when the endpoint's build does not have the program image (evasion.md §2.6: WMIC,
 * deprecated, is off by default on new Windows 11 24H2 installs, build 26100, and not
 * installed on Server 2025 [S]; tasklab takes a 26100+ endpoint as a new install). */
int tl_sim_program_absent(const tl_sim *s, const char *image);
/* What runs when image is started: the original's path when image is a copy of a
 * stock program (tl_vfile.copy_of: a renamed schtasks.exe still is schtasks, its
 * Event 1 has the copy's Image and the original's OriginalFileName and
 * Description), else image itself. Borrowed. */
const char *tl_sim_image_origin(const tl_sim *s, const char *image);

/* ---- sim_reg.c ----------------------------------------------------------- */
tl_regkey *tl_reg_key_new(const char *name, tl_regkey *parent);
void tl_reg_key_free(tl_regkey *k);
/* Normalise a user-supplied key path ("HKEY_LOCAL_MACHINE\...", "HKCU\...") into Sysmon's
 * form ("HKLM\...", "HKU\<SID>\..."). user_sid is used for HKCU. Owned result. */
tl_status tl_reg_normalize(const char *path, const char *user_sid, char **out);
/* Find a key by normalised path (case-insensitive). */
tl_regkey *tl_reg_find(tl_sim *s, const char *npath);
/* Create path components; *created_from receives the first created component index (-1 none);
 * returns the leaf. Emits no events (the caller does). */
tl_status tl_reg_create(tl_sim *s, const char *npath, tl_regkey **leaf, char ***created,
                        size_t *ncreated);
/* Path of key as Sysmon shows it (stored casing). Owned. */
char *tl_reg_key_path(const tl_regkey *k);
tl_regval *tl_reg_val_find(tl_regkey *k, const char *name);
tl_status tl_reg_val_set(tl_regkey *k, const char *name, uint32_t type, const void *data,
                         size_t len);
int tl_reg_val_delete(tl_regkey *k, const char *name);
void tl_reg_key_delete(tl_regkey *k);
/* Sysmon Details text for a value. Owned. */
char *tl_reg_details(uint32_t type, const unsigned char *data, size_t len);
uint32_t tl_reg_type_from_name(const char *n);
const char *tl_reg_type_name(uint32_t t);

/* High level registry operations that also emit Sysmon events from process proc. */
tl_status tl_sim_reg_create_key(tl_sim *s, long proc, const char *npath, int always_event,
                                tl_regkey **out);
tl_status tl_sim_reg_set(tl_sim *s, long proc, const char *npath, const char *value, uint32_t type,
                         const void *data, size_t len);
tl_status tl_sim_reg_delete_value(tl_sim *s, long proc, const char *npath, const char *value);
tl_status tl_sim_reg_delete_key(tl_sim *s, long proc, const char *npath);

/* ---- sim_fs.c ------------------------------------------------------------ */
tl_vfile *tl_fs_find(const tl_sim *s, const char *winpath);
/* Write (create or overwrite) a file; emits Event 11 from proc unless proc < 0. */
tl_status tl_sim_file_write(tl_sim *s, long proc, const char *winpath, const void *data,
                            size_t len);
tl_status tl_sim_file_delete(tl_sim *s, long proc, const char *winpath);
/* Copy file src to dst as cmd's `copy` does: Event 11 for dst from proc, dst's
 * bytes (and copy_of) those of src. src may also name a stock program of the
 * endpoint (tl_sim_system_program), which is not a file of the model: dst then
 * becomes a copy of it. TL_E_NOTFOUND when src does not exist; TL_E_INVAL (with
 * s->fs_diag) when dst cannot be written. */
tl_status tl_sim_file_copy(tl_sim *s, long proc, const char *src, const char *dst);
/** 1 when process proc may not write or delete winpath (below high integrity,
 * under the agent's folder); proc < 0 (internal writers) is never denied;
 * -1 when out of memory. */
int tl_sim_file_denied(const tl_sim *s, long proc, const char *winpath);
/* 1 when winpath names a folder of the model. */
int tl_sim_dir_exists(const tl_sim *s, const char *winpath);
/* Create a folder (and its parents) without events. */
tl_status tl_sim_dir_create(tl_sim *s, const char *winpath);
tl_status tl_fs_mirror(const tl_sim *s, const char *root, const tl_vfile *f, int del, tl_diag *d);
/** A file or folder changed (del: removed): mirror it to drive_c and to the
 * memory drive, each that is set. */
tl_status tl_fs_changed(tl_sim *s, const tl_vfile *f, int del);
/* UTF-8 <-> UTF-16LE helpers. Owned results. */
/* Length of UTF-8 text in UTF-16 code units (what Windows' character limits count). */
size_t tl_utf16_units(const char *s);
tl_status tl_utf8_to_utf16le(const char *s, size_t n, unsigned char **out, size_t *outlen);
tl_status tl_utf16le_to_utf8(const unsigned char *s, size_t n, char **out, size_t *outlen);
/* Decode a file's bytes (BOM sniffing: UTF-16LE/BE BOM, UTF-8 BOM, else UTF-8). */
tl_status tl_text_decode(const unsigned char *data, size_t len, char **out);
/* Expand %SystemRoot%, %windir%, %TEMP% ... for user u. Owned. */
char *tl_sim_expand_env(const tl_sim *s, size_t user, const char *in);

/* ---- console.c ------------------------------------------------------------ */
/* A command step starts (file_index: its $.steps index) / ends with its exit code. */
tl_status tl_sim_console_begin(tl_sim *s, size_t file_index, const char *user, const char *parent,
                               const char *command);
void tl_sim_console_end(tl_sim *s, int exit_code);
/* Text a program prints to the user's console, on standard output / standard error
 * (shown unless that stream is redirected, or inside a task run). */
void tl_sim_console_puts(tl_sim *s, const char *text);
void tl_sim_console_err(tl_sim *s, const char *text);
void tl_sim_console_printf(tl_sim *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A note from tasklab itself (not a program's output) about what the step did that tasklab
 * does not simulate ("remote host SRV02 not simulated: no task created on it"): kept with
 * the running command step's record (console.txt, `console` notes, explain) and in the
 * run's list (tl_sim_notes_text, the run summary). Fails only on NOMEM. */
tl_status tl_sim_note(tl_sim *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* cmd.exe redirects a command's stream (0 stdout, 1 stderr) away: +1 before, -1 after. */
void tl_sim_console_mute(tl_sim *s, int stream, int delta);
void tl_sim_console_free(tl_sim *s);


tl_status tl_sim_baseline_registry(tl_sim *s);

#endif /* TL_SIM_INT_H */
