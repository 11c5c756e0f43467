/* SPDX-License-Identifier: MIT */
/*
 * The manager's event ("Eventinfo" in analysisd): what pre-decoding and
 * decoding fill in and what rules read. Private to libtl_manager and tests.
 *
 * Lifecycle: tl_event_init -> tl_predecode (fills queue/location/log) ->
 * tl_decode (decoder + fields) -> rule matching reads it -> tl_event_clear.
 * Every string is owned by the event and freed by tl_event_clear.
 *
 * Field naming: dynamic fields keep their dotted names ("win.eventdata.image",
 * "ScheduledTaskAR.Execute") in decode order; lookups are case-insensitive and
 * return the first match, as analysisd's FindField does. Static fields
 * (srcip, dstuser, id, ...) live in `stat[]`, indexed by tl_static_field.
 */
#ifndef TL_EVENT_INT_H
#define TL_EVENT_INT_H

#include "tasklab/base.h"

#include <stddef.h>

typedef enum tl_static_field {
    TL_SF_SRCIP = 0,
    TL_SF_DSTIP,
    TL_SF_SRCPORT,
    TL_SF_DSTPORT,
    TL_SF_PROTOCOL,
    TL_SF_ACTION,
    TL_SF_SRCUSER,
    TL_SF_DSTUSER,
    TL_SF_ID,
    TL_SF_STATUS,
    TL_SF_URL,
    TL_SF_DATA,
    TL_SF_EXTRA_DATA,
    TL_SF_SYSTEMNAME,
    TL_SF_COUNT
} tl_static_field;

/* Decoder "type" / rule "category" (analysisd's values). */
typedef enum tl_category {
    TL_CAT_SYSLOG = 0,
    TL_CAT_FIREWALL,
    TL_CAT_IDS,
    TL_CAT_WEBLOG,
    TL_CAT_SQUID,
    TL_CAT_WINDOWS,
    TL_CAT_HOST_INFO,
    TL_CAT_OSSEC,
    TL_CAT_OSSEC_ALERT /* OSSECAlert_Decoder's OSSEC_ALERT: no rule matching (no rule has it) */
} tl_category;

typedef struct tl_field {
    char *name;
    char *value;
} tl_field;

typedef struct tl_event {
    /* --- pre-decoding (OS_CleanMSG) --- */
    char queue;          /* '1' syslog file, 'f' eventchannel, ... */
    char *agent_id;      /* "001"; "000" for manager-local events */
    char *agent_name;    /* "(name)" of the location, else manager name */
    char *agent_ip;      /* registered ip or "any" */
    char *location;      /* full location as analysisd keeps it: "(name) ip->path" */
    char *location_path; /* text after "->" (the alert's "location") */
    char *full_log;      /* the log as received (for winevt: replaced by the {"win":..} JSON) */
    /* full_log's terminating NUL when whoever set full_log knew its length
     * (full_log is never written in place), else NULL: tl_event_text_len */
    const char *full_log_end;
    const char *log;     /* points into full_log (or log_buf): the message after any header */
    char *log_buf;       /* owned copy when log is not a suffix of full_log (macOS ASL) */
    char *hostname;      /* pre-decoded hostname or agent name */
    char *program_name;  /* NULL when none */
    char *dec_timestamp; /* NULL when none */
    /* One allocation holding the pre-decoder's agent_id, agent_name,
     * agent_ip, location, location_path and hostname (NULL: none). Those six
     * may point into it (never free or reassign them yourself: use
     * tl_event_set_str); tl_event_clear frees it. */
    char *head;
    size_t head_len;

    /* --- decoding --- */
    const char *decoder_name;   /* borrowed from the ruleset: "windows_eventchannel", "json" */
    const char *decoder_parent; /* borrowed; NULL unless a child decoder matched */
    tl_category decoder_type;   /* syslog by default */
    int decoded;                /* a decoder matched */
    /* borrowed tl_decoder_info of the matched decoder (decoder_int.h), NULL if none */
    const struct tl_decoder_info *decoder_info;
    char *alert_rule_id; /* OSSECAlert_Decoder: the alert's rule id, else NULL */
    int alert_complete;  /* OSSECAlert_Decoder read the whole line: the rule is generated_rule */

    char *stat[TL_SF_COUNT]; /* static fields, NULL when unset */
    tl_field *fields;        /* dynamic fields in decode order */
    size_t nfields;
    size_t cap;
    void *field_arena; /* private to event.c: the blocks holding field names and values */

    tl_time time; /* receive time (virtual clock) */

    /* The log's fingerprint (rules/expr_int.h tl_tri) for <match>, <regex>
     * and decoder prematches, built at most once per log by
     * tl_event_log_fp: fp is storage lent by the engine (NULL: none);
     * fp_log/fp_len the log it was built for; fp_state 0 not built, 1 built,
     * 2 the log is too short to be worth one. */
    struct tl_tri *fp;
    const char *fp_log;
    size_t fp_len;
    unsigned char fp_state;
} tl_event;

void tl_event_init(tl_event *ev);
/** The fingerprint of ev->log (built on first use; NULL when ev has no fp
 * storage, no log, or a log under 128 bytes); with a log, ev->fp_len is
 * strlen(ev->log) afterwards in every case.
 * Whoever replaces ev->log by a new text while the old one is alive (or by
 * a suffix) needs nothing more: a log pointer other than fp_log rebuilds. */
const struct tl_tri *tl_event_log_fp(tl_event *ev);
/** strlen(p), without a scan when p points into ev->full_log and its end is
 * known (full_log_end): the log and every suffix of it the decoders pass. */
size_t tl_event_text_len(const tl_event *ev, const char *p);
void tl_event_clear(tl_event *ev);
/** Replace *slot (one of ev's agent_id, agent_name, agent_ip, location,
 * location_path, hostname) by s, taking ownership of s (a tl_malloc'd
 * string or NULL); the old value is freed unless it lies in ev->head. */
void tl_event_set_str(tl_event *ev, char **slot, char *s);
/** tl_event_clear, except that the field storage (fields array and one
 * emptied arena block) moves into `spare` (an event used only as a holder;
 * whatever storage it held is freed) for tl_event_adopt_storage. */
void tl_event_clear_keep(tl_event *ev, tl_event *spare);
/** Give ev, which has no dynamic fields yet, the storage kept in spare. */
void tl_event_adopt_storage(tl_event *ev, tl_event *spare);
/** Append a dynamic field (copies name and value into the event's field
 * arena; never free or reassign fields[i].name/value yourself). */
tl_status tl_event_add_field(tl_event *ev, const char *name, size_t nlen, const char *value,
                             size_t vlen);
/** First dynamic field named `name` (ASCII case-insensitive); NULL if none. Borrowed. */
const char *tl_event_find_field(const tl_event *ev, const char *name);
/** Static field index for a name ("srcip", "dstuser", "system_name", ...); -1 if not static. */
int tl_static_field_index(const char *name);

#endif /* TL_EVENT_INT_H */
