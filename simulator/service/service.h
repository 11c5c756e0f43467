/* SPDX-License-Identifier: MIT */
/*
 * The Task Scheduler service (simulator/service/): what the Schedule service
 * does when a caller registers, changes, deletes or runs a task, and when a
 * trigger fires or a user logs on.
 *   task_svc.c    registration, TaskCache writes (the ONE place that orders
 *                 them), Actions blob, deletion, runs, logon triggers,
 *                 registry-only (GhostTask) tasks, baseline tasks
 *   task_xml.c    task XML: parse, validate, normalise, edit, file bytes
 *   task_state.c  the endpoint's tasks as data (tl_sim_tasks_json, `tasks` expectations)
 * Interpreters (interp/) call these; a task's actions are started through the
 * launcher (interp.h, tl_sim_launch), never through an interpreter directly.
 */
#ifndef TL_SIM_SERVICE_H
#define TL_SIM_SERVICE_H

#include "sim_int.h"

/* ---- task_svc.c --------------------------------------------------------- */
tl_task *tl_task_find(tl_sim *s, const char *path);
/* Canonical task path "\a\b" from a user-supplied name ("a\b", "\a\b"). Validates
 * characters; TL_E_PARSE with msg filled on a name Windows refuses. */
tl_status tl_task_path_canon(const char *name, char **out, char *msg, size_t msgsz);
/* Register (create or, with overwrite, update) the task described by xml (UTF-8 text). */
tl_status tl_task_register(tl_sim *s, const char *path, const char *xml, int overwrite,
                           size_t caller_user, char *msg, size_t msgsz);
tl_status tl_task_delete(tl_sim *s, tl_task *t, size_t caller_user);
tl_status tl_task_set_enabled(tl_sim *s, tl_task *t, int enabled, size_t caller_user);
tl_status tl_task_update_xml(tl_sim *s, tl_task *t, const char *xml, size_t caller_user);
tl_status tl_task_run(tl_sim *s, tl_task *t);
/* Free a task's strings and actions and zero it. */
void tl_task_free_fields(tl_task *t);
/* User `user` logs on: the Schedule service runs, in registration order, every
 * enabled task it has loaded whose LogonTrigger is for any user or for this one. */
tl_status tl_task_logon(tl_sim *s, size_t user);
tl_status tl_task_ghost_add(tl_sim *s, long proc, const char *name, const char *program,
                            const char *argument, const char *user, const char *trigger);
/* Actions blob. */
tl_status tl_task_actions_blob(const char *context, const tl_task_action *a, size_t n, int version,
                               unsigned char **out, size_t *len);
tl_status tl_task_actions_parse(const unsigned char *b, size_t len, int *version, char **context,
                                tl_task_action **acts, size_t *n);
void tl_task_actions_free(tl_task_action *a, size_t n);
/* Visible in schtasks /query: Tree key has SD and a non-zero Index. */
int tl_task_visible(tl_sim *s, const tl_task *t);

/* ---- task_xml.c ---------------------------------------------------------- */
/* Parse task XML, validate it and normalise (2-space indent, URI set). Extracts facts into t
 * (actions, principal, settings). TL_E_PARSE with msg on malformed / invalid XML. */
tl_status tl_taskxml_normalize(const char *xml, const char *uri, char **out, tl_task *t, char *msg,
                               size_t msgsz);
/* 1 when the prolog of xml (before the root element) holds a DOCTYPE or other
 * "<!" declaration, which the Task Scheduler refuses (same rule as the AR's
 * reader, pipeline/ar/src/task_xml.c skip_misc). */
int tl_taskxml_has_doctype(const char *xml);
/* Replace all actions with one Exec, or toggle Settings/Enabled; returns new xml text. */
tl_status tl_taskxml_edit(const char *xml, const tl_task_action *newact, int enabled, char **out);
/* XML text -> file bytes: UTF-16LE, BOM, CRLF. */
tl_status tl_taskxml_file_bytes(const char *xml, unsigned char **out, size_t *len);

/* The Schedule service starts (tl_task_service_restart: its restart, or the
 * host's reboot): it loads every task TaskCache names (Tree\...\Id ->
 * Tasks\{Id} with a readable Actions value), registry-only ones included,
 * running what the registry's Actions say; tasks TaskCache no longer names
 * are not loaded. After a reboot its BootTrigger tasks run. */
tl_status tl_task_service_restart(tl_sim *s, int reboot);
tl_status tl_task_service_start(tl_sim *s, int boot);
/* 1 when TaskCache\Tree has a key with an Id for this task path. */
int tl_task_in_cache(tl_sim *s, const char *path);
tl_status tl_task_baseline(tl_sim *s);

/* ---- at_job.c ------------------------------------------------------------- */
/* Register the AT job "command at h:m" (wdays[0..6] Monday..Sunday, mdays[1..31]: the
 * days it repeats on; none: once, at the next h:m) for caller_user, as at.exe and
 * Win32_ScheduledJob.Create do: task \At<n>, SYSTEM. *job_id = n, or 0 when the service
 * refused it (no free name, an action it cannot store). The EnableAt gate is the
 * caller's. */
tl_status tl_task_at_job(tl_sim *s, size_t caller_user, int h, int m, const int wdays[7],
                         const int mdays[32], const char *command, int *job_id);

#endif /* TL_SIM_SERVICE_H */
