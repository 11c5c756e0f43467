/* SPDX-License-Identifier: MIT */
/*
 * tasklab Sysmon engine: loads a real Sysmon configuration (schema 4.x XML),
 * decides for a raw kernel-level event whether Sysmon would log it and under
 * which RuleName (the FilterEventRules algorithm of SysmonCommon, see
 * facts/windows.md §2), and renders Windows event records exactly as
 * EvtRender prints them (one line, single-quoted attributes) together with
 * the rendered Message text the Wazuh agent forwards.
 *
 * A generic renderer covers the other providers tasklab emits (Security
 * 4698-4702, Microsoft-Windows-TaskScheduler/Operational).
 *
 * Ownership: a tl_sysmon_config is immutable after load and may be shared by
 * several threads for filtering and rendering. Strings handed back as
 * "borrowed" live as long as the config. tl_sysmon_filter() allocates nothing
 * (it uses ~40 KiB of stack, the verdict included; only events whose referenced values exceed 16 KiB
 * in total take one heap buffer) and keeps no state between calls.
 *
 * Escaping choice (documented contract): element text escapes only `&` `<`
 * `>` (as `&amp;` `&lt;` `&gt;`); quotes stay raw, as in real 4698 TaskContent
 * and Sysmon CommandLine values seen through Wazuh. Attribute values (single
 * quoted) additionally escape `'` as `&apos;`. Control characters other than
 * TAB/CR/LF are written as `&#xN;`. The Message text is verbatim.
 */
#ifndef TL_SYSMON_H
#define TL_SYSMON_H

#include <stddef.h>
#include <stdint.h>

#include "tasklab/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded, compiled Sysmon configuration (opaque, immutable). */
typedef struct tl_sysmon_config tl_sysmon_config;

/**
 * Load a Sysmon configuration file.
 * @param path  file to read (borrowed).
 * @param out   receives the owned config on TL_OK (free with tl_sysmon_config_free).
 * @param d     optional caller-owned diagnostics: file, line and a message naming
 *              the offending element / condition.
 * @return TL_OK; TL_E_IO (unreadable); TL_E_PARSE (not XML, unknown element,
 *         unknown condition, bad onmatch/groupRelation); TL_E_NOMEM.
 */
tl_status tl_sysmon_config_load(const char *path, tl_sysmon_config **out, tl_diag *d);

/**
 * Same as tl_sysmon_config_load on an in-memory document.
 * @param xml              document bytes (borrowed; need not be NUL-terminated).
 * @param len              length in bytes.
 * @param name_for_errors  file name put into diagnostics (borrowed; may be NULL).
 */
tl_status tl_sysmon_config_load_mem(const char *xml, size_t len, const char *name_for_errors,
                                    tl_sysmon_config **out, tl_diag *d);

/** Release a config; NULL is a no-op. */
void tl_sysmon_config_free(tl_sysmon_config *c);

/**
 * A loader a caller may give in place of tl_sysmon_config_load (a study that
 * runs many scenarios keeps one parse per config file): the same statuses and
 * diagnostics for the same file; *out is borrowed and must outlive its user.
 */
typedef tl_status (*tl_sysmon_config_loader)(void *ctx, const char *path,
                                             const tl_sysmon_config **out, tl_diag *d);

/** The config's `schemaversion` attribute as written ("4.90"); borrowed. */
const char *tl_sysmon_config_schema(const tl_sysmon_config *c);

/** HashAlgorithms normalised to Sysmon's Hashes order ("*" -> "SHA1,MD5,SHA256,IMPHASH";
 * otherwise the configured list upper-cased, e.g. "MD5,SHA256"); "" when the config has
 * none. Borrowed. */
const char *tl_sysmon_config_hashes(const tl_sysmon_config *c);

/** One named value of an event (both strings borrowed from the caller). */
typedef struct tl_evfield {
    const char *name;
    const char *value;
} tl_evfield;

/**
 * A raw Sysmon event: all EventData fields of schema 4.90 EXCEPT RuleName, in
 * windows.md §1.1 order (the renderer drops those the config's schema lacks).
 * id: 1, 7, 11, 12, 13, 14 (other Sysmon ids are accepted by the filter and
 * rendered generically). Fields are looked up by name, so order only matters
 * for rendering.
 */
typedef struct tl_sysmon_event {
    int id;
    const tl_evfield *fields;
    size_t nfields;
} tl_sysmon_event;

/* The explanation names the config file whole (any path a file can be opened
 * by: PATH_MAX), the deciding rule's text up to 1024 bytes and names
 * (RuleGroup, Rule, RuleName) up to 256; a longer one is cut with an ellipsis.
 * TL_SYSMON_EXPLAIN_MAX holds all of them with the words around. */
#define TL_SM_EXPLAIN_PATH_MAX 4096
#define TL_SM_EXPLAIN_TEXT_MAX 1024
#define TL_SM_EXPLAIN_NAME_MAX 256
#define TL_SYSMON_EXPLAIN_MAX 8192

/** The filter's decision. */
typedef struct tl_sysmon_verdict {
    int logged;            /* 1 when Sysmon would write the event */
    const char *rule_name; /* "-" when unnamed; borrowed from config (or static) */
    /* which rule decided: element, condition, value, config file and line, RuleGroup */
    char explain[TL_SYSMON_EXPLAIN_MAX];
} tl_sysmon_verdict;

/**
 * Decide whether the config logs ev and with which RuleName (windows.md §2.3).
 * Never allocates. c and ev are borrowed; out is fully written.
 */
void tl_sysmon_filter(const tl_sysmon_config *c, const tl_sysmon_event *ev, tl_sysmon_verdict *out);

/** System section values for rendering. All strings borrowed. */
typedef struct tl_winevt_system {
    const char *provider_name, *provider_guid; /* NULL guid -> Guid attribute omitted */
    int event_id, version, level, task, opcode;
    const char *keywords; /* "0x8000000000000000" */
    tl_time time_created;
    uint64_t record_id;
    unsigned pid, tid;
    const char *channel, *computer;
    const char *user_sid; /* "S-1-5-18"; NULL -> <Security/> */
} tl_winevt_system;

/**
 * Fill sys with the constant Sysmon System values for event id: provider
 * Microsoft-Windows-Sysmon and its lowercase GUID, Version from §1.1, Level 4,
 * Task = id, Opcode 0, Keywords 0x8000000000000000, channel
 * Microsoft-Windows-Sysmon/Operational, user S-1-5-18. The caller then sets
 * time_created, record_id, pid, tid and computer. Static strings.
 */
void tl_sysmon_system_defaults(int id, tl_winevt_system *sys);

/**
 * Render a Sysmon event as one-line XML and its Message text.
 * Fields are filtered to the config's schema (RuleName since 4.1,
 * OriginalFileName since 4.21, trailing User/ParentUser since 4.80) and
 * RuleName is put first (rule_name NULL or "" -> "-" in both the XML and the
 * Message, as current Sysmon writes it). Any other empty/NULL value is rendered
 * as "-" too (Sysmon's placeholder for a missing string); pass "(Empty)" for an
 * empty registry string as Sysmon does. Field order is the caller's.
 * @param c         config (borrowed; NULL = schema 4.90).
 * @param xml       appended to (caller-owned); receives `<Event …>…</Event>`.
 * @param message   appended to (caller-owned, may be NULL); "Process Create:\r\nRuleName: …".
 * @return TL_OK, TL_E_NOMEM (buffer oom), TL_E_INVAL (NULL ev/sys/xml).
 */
tl_status tl_sysmon_render(const tl_sysmon_config *c, const tl_sysmon_event *ev,
                           const char *rule_name, const tl_winevt_system *sys, tl_buf *xml,
                           tl_buf *message);

/**
 * Render a generic event (Security, TaskScheduler): fields in the given order.
 * @param eventdata_name  value for `<EventData Name='X'>` (NULL: no attribute).
 * @param message_first_line  NULL -> no Message is produced (message untouched).
 * @param message         may be NULL.
 */
tl_status tl_winevt_render(const tl_winevt_system *sys, const tl_evfield *fields, size_t n,
                           const char *eventdata_name, const char *message_first_line, tl_buf *xml,
                           tl_buf *message);

/** System values of Security-Auditing event id (4698-4702): provider GUID
 * {54849625-…}, Version 1, Level 0, Task 12804, Opcode 0, Keywords
 * 0x8020000000000000, channel Security, user_sid NULL (<Security/>). */
void tl_winevt_security_defaults(int id, tl_winevt_system *sys);

/** System values of Microsoft-Windows-TaskScheduler/Operational event id (106,
 * 140, 141, 142, 200, 201, ...): lowercase provider GUID {de7b24ea-…}, Version 0,
 * Level 4, Task = id, Opcode 1 for 100/129/200 and 2 for 102/201 (else 0),
 * Keywords 0x8000000000000000, user S-1-5-18. */
void tl_winevt_taskscheduler_defaults(int id, tl_winevt_system *sys);

/* ---- schema helpers (static data) ------------------------------------- */

/**
 * EventData field names of Sysmon event id for schema 4.90, INCLUDING the
 * leading "RuleName", in §1.1 order. Returns NULL (and *n = 0) for an id the
 * engine has no field table for. Static array.
 */
const char *const *tl_sysmon_event_fields(int id, size_t *n);

/** Message first line ("Process Create:") for id, or NULL. Static string. */
const char *tl_sysmon_event_title(int id);

#ifdef __cplusplus
}
#endif

#endif /* TL_SYSMON_H */
