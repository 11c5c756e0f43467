/* SPDX-License-Identifier: MIT */
/*
 * tl_limits: every bound tasklab puts on untrusted input, in one place.
 *
 * Scenario files, rule files, task XML, Sysmon configs and recordings come
 * from other people's repositories and run in CI, so each recursive parser
 * has a depth limit and each run a work budget. Exceeding one is never a
 * crash and never silent: the loader or the step fails with a message that
 * names the file (and the scenario step's JSON path) and tasklab exits 2.
 *
 * Two kinds of value live here:
 *  - Windows' own limits, enforced as Windows enforces them (the command
 *    line of CreateProcess, the registry's key depth, ...): exceeding them
 *    behaves as it would on the endpoint.
 *  - tasklab's budgets: far above anything a real procedure needs, far
 *    below what would exhaust the machine. They are tasklab's choice, not
 *    Windows behaviour; the scenario's "limits" object may lower the
 *    per-run budgets (TL_LIMIT_DEFAULT_*) and raise them up to the
 *    TL_LIMIT_MAX_* ceilings (scenarios/README.md, "limits").
 *
 * The same values are listed in scenarios/README.md and README.md.
 */
#ifndef TL_LIMITS_H
#define TL_LIMITS_H

/* ---- Windows' limits ---------------------------------------------------- */

/* CreateProcess: lpCommandLine is at most 32,767 UTF-16 characters including
 * the terminating NUL. A longer one fails with ERROR_FILENAME_EXCED_RANGE
 * (206, "The filename or extension is too long.") and no process starts. */
#define TL_LIMIT_CMDLINE_CHARS 32767
#define TL_WIN_ERROR_FILENAME_EXCED_RANGE 206

/* ---- parser depth (tasklab's) ------------------------------------------- */

/* PowerShell: nested (...), @{...} and [T]::M(...) in one script. */
#define TL_LIMIT_PS_DEPTH 100

/* ---- size of values (tasklab's) ----------------------------------------- */

/* PowerShell: one value made by a script ('a'+'b', '{0}{0}' -f $a, "$a$a",
 * a,b lists, @{...}), in bytes (text plus 64 per list/hash element), and the
 * total of a script's variables. A real command line is at most 32,767 UTF-16
 * characters (< 96 KiB of UTF-8), so no procedure needs more; doubling a
 * string 24 times would otherwise take gigabytes. */
#define TL_LIMIT_PS_VALUE_BYTES (256 * 1024)
#define TL_LIMIT_PS_VARS_BYTES (1024 * 1024)
/* Nested XML elements in a task XML (schtasks /xml, Register-ScheduledTask
 * -Xml) and in the AR's task reader. libxml2 itself stops at 256 without
 * XML_PARSE_HUGE, which tasklab never sets. */
#define TL_LIMIT_XML_DEPTH 64
/* Nested arrays/objects in a scenario file (cJSON's own limit is 1000). */
#define TL_LIMIT_JSON_DEPTH 64
/* Depth of the rule tree (a chain of if_sid/if_group children). */
#define TL_LIMIT_RULE_TREE_DEPTH 256

/* ---- work budget of one scenario run (tasklab's) ------------------------ */

/* Processes started by interpreters inside one another: cmd /c cmd /c ...,
 * powershell -c "cmd /c ..." (the step's own command is level 1). */
#define TL_LIMIT_EXEC_DEPTH 32
/* Batch files run from batch files (cmd.exe aborts batch processing when its
 * own stack runs out; tasklab stops at this depth). */
#define TL_LIMIT_BATCH_DEPTH 8
/* Task runs started by the actions of running tasks (schtasks /run in an
 * action, chained). */
#define TL_LIMIT_TASK_RUN_DEPTH 3

/* Per-run budgets: default, and the highest value a scenario may ask for. */
#define TL_LIMIT_DEFAULT_EVENTS 200000     /* raw events emitted by the steps (noise aside) */
#define TL_LIMIT_MAX_EVENTS 2000000
#define TL_LIMIT_DEFAULT_COMMANDS 20000    /* command lines and batch lines interpreted */
#define TL_LIMIT_MAX_COMMANDS 1000000
#define TL_LIMIT_NOISE_EVENTS 1000000      /* noise events in one scenario, all steps */

#endif /* TL_LIMITS_H */
