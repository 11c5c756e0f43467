/* SPDX-License-Identifier: MIT */
/*
 * Private to libtl_studies: the evasion-variant generator of tasklab vary
 * (vary_gen.c) and what vary.c needs of it.
 *
 * A scenario step's command is parsed into a vcmd: the shell that reads it
 * (cmd.exe, PowerShell, or a plain CreateProcess line), the program token as
 * typed, the argument tokens (each with the white space before it, switches
 * recognised by the program's own switch list) and a tail (redirections).
 * A transformation rewrites a vcmd (or, for launchers and alternative creation
 * paths, the step around it); the step's JSON is then rewritten and the whole
 * scenario re-loaded, so every variant is a scenario the normal loader accepts.
 */
#ifndef TL_VARY_INT_H
#define TL_VARY_INT_H

#include "tasklab/base.h"

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* Windows builds of evasion.md (bit mask). */
#define TL_VB_W10 1u /* Windows 10 2004, 10.0.19041 (WCO) */
#define TL_VB_W11 2u /* Windows 11 23H2, 10.0.22631 (ArgFuscator) */
#define TL_VB_BOTH (TL_VB_W10 | TL_VB_W11)

enum tl_vt {
    TL_VT_DASH,
    TL_VT_FE63,
    TL_VT_QUOTE,
    TL_VT_CASE,
    TL_VT_SUPS,
    TL_VT_REGSUP,
    TL_VT_REGINSERT,
    TL_VT_ROOTKEY,
    TL_VT_CARET,
    TL_VT_ENVSUB,
    TL_VT_DELAYED,
    TL_VT_CALL,
    TL_VT_POWERSHELL,
    TL_VT_PWSH,
    TL_VT_DOTNET,
    TL_VT_WOW64,
    TL_VT_XML,
    TL_VT_CMDLET,
    TL_VT_CIM,
    TL_VT_PS_DASH, /* vary_ps.c: PowerShell spellings (evasion.md §2.4) */
    TL_VT_PS_PREFIX,
    TL_VT_PS_ENC,
    TL_VT_PS_TICK,
    TL_VT_PS_CONCAT,
    TL_VT_ICIM,
    TL_VT_COUNT
};

/* Groups: at most one transformation of a group in a combination. */
enum { TL_VG_OPTCHAR, TL_VG_TOKEN, TL_VG_SHELL, TL_VG_LAUNCH, TL_VG_WOW, TL_VG_ALT, TL_VG_PSH };

typedef struct tl_vt_def {
    const char *name;
    int group;        /* TL_VG_* (TL_VG_TOKEN members combine with each other) */
    unsigned builds;  /* TL_VB_* where evasion.md marks it accepted */
    const char *what; /* one line for --help and the report */
    const char *source;
} tl_vt_def;

extern const tl_vt_def tl_vt_defs[TL_VT_COUNT];

/** The transformation named `name`, or -1. */
int tl_vt_find(const char *name);

/** What the original run left for a step (alternative creation paths need the
 * task the step registered): the task's name ("\\Updates\\x") and its XML as
 * UTF-8 text, both borrowed; NULL when the step registered no task. */
typedef struct tl_vstep_task {
    const char *name;
    const char *xml;
} tl_vstep_task;

/**
 * Make one variant: apply the transformations `set` (bit i = enum tl_vt i) to
 * every command step of the scenario document `doc` where they apply.
 * tasks[i] (may be NULL) is what step i (file order) of the original run
 * registered. seed drives every random choice. On TL_OK *out is a new
 * document (cJSON_Delete) and *applied the transformations that changed at
 * least one step (a set that changes nothing gives *out NULL). desc gets one
 * line per changed step: "steps[i]: <new command>".
 */
tl_status tl_vary_make(const struct cJSON *doc, uint32_t set, uint64_t seed,
                       const tl_vstep_task *tasks, size_t ntasks, struct cJSON **out,
                       uint32_t *applied, tl_buf *desc);

/** The transformations that apply to at least one step of doc (bit set). */
uint32_t tl_vary_applicable(const struct cJSON *doc, const tl_vstep_task *tasks, size_t ntasks);

/** Apply one transformation to one command line read by `shell` ("cmd",
 * "powershell", "direct"); the result (owned, tl_free) or NULL when it does not
 * apply. For unit tests of the spellings. */
char *tl_vary_apply_line(const char *shell, const char *line, int vt, uint64_t seed);

/** vary_ps.c: apply PowerShell spelling vt (TL_VT_PS_* or TL_VT_ICIM) to a step's command,
 * read by PowerShell (ps_shell 1: a script) or by cmd.exe / CreateProcess (a powershell.exe
 * command line); the new command (owned, tl_free) or NULL when it does not apply. */
char *tl_vary_ps_apply(int ps_shell, const char *line, int vt, tl_rng *rng);

#endif /* TL_VARY_INT_H */
