/* SPDX-License-Identifier: MIT */
/*
 * The manager's pre-decoding and decoding (analysisd up to "Phase 2"):
 *
 *   queue line "q:location:log"
 *     -> tl_predecode   (OS_CleanMSG: agent/location split, syslog header,
 *                        hostname, program_name; wazuh.md §2)
 *     -> tl_decode      (queue 'f': DecodeWinevt + JSON_Decoder, §3;
 *                        otherwise the Wazuh XML decoder list, §4)
 *
 * A tl_decoder_set is the compiled decoder list; it is immutable after the
 * last load call and may be shared by many threads that decode at once.
 * Everything an event receives from the set (decoder_name, decoder_parent,
 * decoder info) is borrowed and stays valid until tl_decoder_set_free.
 *
 * Field values are stored exactly as analysisd stores them: eventchannel
 * values keep the doubled backslashes of the JSON re-encode, message values
 * keep their literal quotes and real CR/LF, JSON numbers are "%i"/"%f", ...
 *
 * Not reproduced (documented gaps): Security 4719's extra decoded keys
 * (categoryId/subcategoryId/auditPolicyChanges names); os_xml's per-element
 * size limit; OS_CleanMSG's xferlog/snort/suricata/apache/OSX-ASL/squid
 * header forms. The non-JSON plugin decoders (PF, SymantecWS, SonicWall,
 * OSSECAlert) are in plugin_decoders.c; they read ev->log after the header.
 * JSON_Decoder with an offset moves ev->log to that offset, as analysisd
 * moves lf->log before calling a plugin.
 */
#ifndef TL_DECODER_INT_H
#define TL_DECODER_INT_H

#include "decode/event_int.h"
#include "tasklab/base.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Compiled decoders, immutable after load. */
typedef struct tl_decoder_set tl_decoder_set;

/** What a matched decoder tells the rest of the manager (alert "decoder"
 * object, if_fts). Borrowed from the set; see tl_event_decoder_info(). */
typedef struct tl_decoder_info {
    const char *name;       /* name shown in alerts (parent's name unless use_own_name) */
    const char *own_name;   /* the <decoder name="..."> of this very entry */
    const char *parent;     /* parent decoder name, NULL for a top-level decoder */
    tl_category type;       /* <type>, default syslog */
    int accumulate;         /* <accumulate/> present */
    const char *const *fts; /* <fts> names (trimmed), NULL-terminated; NULL when none */
    size_t nfts;
    const char *ftscomment; /* <ftscomment>, NULL when none */
    int id;                 /* analysisd-style decoder id (children share the parent's) */
} tl_decoder_info;

/** Warning sink for loaders (one line per call, no trailing newline). */
typedef void (*tl_decoder_warn_fn)(void *ctx, const char *msg);
/** Trace sink for decoding: called with the name of each decoder tried. */
typedef void (*tl_decoder_trace_fn)(void *ctx, const char *decoder_name, int matched);

/** Empty set (it already knows the built-in windows_eventchannel decoder).
 * *out is owned by the caller, freed with tl_decoder_set_free. */
tl_status tl_decoder_set_new(tl_decoder_set **out);
/** 1 when some decoder's <order> names this field (case-insensitive). */
int tl_decoder_set_has_field(const tl_decoder_set *ds, const char *name);
/** 1 when decoder `name` is built in (C-coded in analysisd: eventchannel, json,
 * syscheck, sca, ...) or uses JSON_Decoder: its field names are open-ended. */
int tl_decoder_set_open_fields(const tl_decoder_set *ds, const char *name);

/** Load one decoder XML file (os_xml syntax: several <decoder> roots, <var>,
 * no entity decoding). Errors give one line with file:line in d, e.g.
 * "(1226): Error reading XML file 'x.xml': XMLERR: Element 'regex' not closed. (line 7)."
 * or "Invalid decoder element 'foo'" and TL_E_PARSE (TL_E_REGEX for a bad
 * pattern). After a failed load the set may hold the decoders read before
 * the error; callers treat the whole load as failed. warn may be NULL. */
tl_status tl_decoder_set_load_file(tl_decoder_set *ds, const char *path, tl_decoder_warn_fn warn,
                                   void *warn_ctx, tl_diag *d);

/** Load one decoder XML text held in memory (`name` is used in messages). */
tl_status tl_decoder_set_load_buffer(tl_decoder_set *ds, const char *name, const char *xml,
                                     size_t len, tl_decoder_warn_fn warn, void *warn_ctx,
                                     tl_diag *d);

/** Load every *.xml in dirs, in basename order across all dirs (a basename
 * already loaded, from an earlier dir or an earlier call, is skipped; names
 * in exclude are skipped). A missing dir is an error (TL_E_IO). */
tl_status tl_decoder_set_load_dirs(tl_decoder_set *ds, const char *const *dirs, size_t ndirs,
                                   const char *const *exclude, size_t nexclude,
                                   tl_decoder_warn_fn warn, void *warn_ctx, tl_diag *d);

/** 1 when a decoder of that name exists (rules' <decoded_as> validation);
 * includes the built-in windows_eventchannel. Case-sensitive like analysisd. */
int tl_decoder_set_has(const tl_decoder_set *ds, const char *name);

/** analysisd's decoder id for a name (what <decoded_as> compiles to): the
 * id events decoded by that name carry in tl_decoder_info.id; children that
 * do not use_own_name carry their parent's id. 0 when unknown. The built-in
 * windows_eventchannel has TL_DECODER_ID_WINEVT. */
int tl_decoder_set_id(const tl_decoder_set *ds, const char *name);
#define TL_DECODER_ID_WINEVT 1000000

/** Number of decoder entries loaded (children included, built-ins excluded). */
size_t tl_decoder_set_count(const tl_decoder_set *ds);

/** Free the set; NULL is fine. Events decoded with it must be cleared first. */
void tl_decoder_set_free(tl_decoder_set *ds);

/** OS_CleanMSG on an analysisd queue line "q:location:log", e.g.
 * `f:[001] (WS01) any->EventChannel:{"Message":...}` or `1:stdin:Dec 25 ...`.
 * manager_name is the agent name/hostname of manager-local events (agent 000).
 * ev must be initialised (tl_event_init) and empty; on failure it is left
 * cleared and d says why ("Invalid message format: no location."). */
/* plugin_decoders.c: the non-JSON plugin decoders on lf->log (wazuh.md §4.3). */
tl_status tl_plugin_pf(tl_event *ev, const char *log);
tl_status tl_plugin_symantec_ws(tl_event *ev, const char *log);
/* SonicWall_Decoder's compiled OS_Regex patterns (one per decoder using it). */
typedef struct tl_sonicwall_rx tl_sonicwall_rx;
tl_status tl_plugin_sonicwall_new(tl_sonicwall_rx **out);
void tl_plugin_sonicwall_free(tl_sonicwall_rx *p);
/** Sets decoder_type (syslog, ids, firewall or squid) and the static fields. */
tl_status tl_plugin_sonicwall(const tl_sonicwall_rx *p, tl_event *ev, const char *log);
/** Sets decoder_type TL_CAT_OSSEC_ALERT always; alert_rule_id once the
 * rule id is read; on a complete alert line also alert_complete, location,
 * location_path, hostname, srcip, dstuser and full_log/log (the original
 * log). */
tl_status tl_plugin_ossec_alert(tl_event *ev, const char *log);

tl_status tl_predecode(const char *queue_line, const char *manager_name, tl_time now, tl_event *ev,
                       tl_diag *d);

/** Decode a pre-decoded event. Queue 'f' -> DecodeWinevt (full_log/log become
 * the {"win":...} JSON) + JSON field extraction; otherwise the decoder list.
 * Sets ev->decoder_name/decoder_parent/decoder_type/decoded and fields.
 * No decoder matching is not an error (ev->decoded stays 0).
 * A malformed eventchannel event returns TL_E_PARSE with d->msg =
 * "Malformed EventChannel JSON event." (or "Malformed JSON received. No
 * 'Event' field found."); analysisd drops such events. ds may be NULL for
 * queue 'f' only. */
tl_status tl_decode(const tl_decoder_set *ds, tl_event *ev, tl_diag *d);

/** tl_decode with a trace callback (logtest -v); trace may be NULL. */
tl_status tl_decode_ex(const tl_decoder_set *ds, tl_event *ev, tl_decoder_trace_fn trace,
                       void *trace_ctx, tl_diag *d);

/** The decoder that matched ev (borrowed), NULL when none. */
const tl_decoder_info *tl_event_decoder_info(const tl_event *ev);

/** The pure eventchannel conversion: agent payload {"Message":..,"Event":..}
 * -> the unformatted {"win":{...}} JSON analysisd stores as full_log.
 * *out_json is owned by the caller (tl_free). TL_E_PARSE on a malformed
 * payload (d->msg as for tl_decode). An Event whose XML os_xml cannot read
 * still succeeds (only win.system.message is kept, as analysisd does). */
tl_status tl_winevt_convert(const char *payload_json, char **out_json, tl_diag *d);

/* ---- JSON_Decoder options (<json_null_field>, <json_array_structure>) ---- */
typedef enum tl_json_null { TL_JSON_NULL_STRING = 0, TL_JSON_NULL_DISCARD } tl_json_null;
typedef enum tl_json_array { TL_JSON_ARRAY_ARRAY = 0, TL_JSON_ARRAY_CSV } tl_json_array;

/** JSON_Decoder on `text` (trailing bytes ignored): adds dotted fields and the
 * top-level static keys to ev. Invalid JSON adds nothing and returns TL_OK
 * (analysisd only logs "Malformed JSON string"). */
tl_status tl_json_decode(tl_event *ev, const char *text, tl_json_null nulls, tl_json_array arrays);
/** Test hook: nonzero sends every text to cJSON, past the one-pass scanner
 * of plain objects (results must not change;
 * test_decoders_json_fast_path_changes_nothing compares). */
extern int tl_json_fast_off;

/** Internal (decoders.c -> winevt.c): DecodeWinevt on ev->log; replaces
 * full_log/log with the {"win":...} JSON, clears program_name/dec_timestamp
 * and adds the win.* fields. Decoder name/type are set by the caller. */
tl_status tl_winevt_decode_event(tl_event *ev, tl_diag *d);
/** For tests: 1 when the payload's members are read without cJSON (plain
 * string members with an "Event"), 0 when cJSON decides. */
int tl_winevt_payload_is_fast(const char *payload_json);

/** Route cJSON through tl_malloc/tl_free (idempotent, thread-safe). */
void tl_cjson_hooks_init(void);

#ifdef __cplusplus
}
#endif

#endif /* TL_DECODER_INT_H */
