/* SPDX-License-Identifier: MIT */
/*
 * tl_replay: recorded Windows event logs in, agent messages out.
 *
 * Three kinds of recording are read, each record becoming what the Wazuh
 * Windows agent forwards for it (wazuh.md §1): the Event XML as EvtRender
 * writes it (no whitespace between elements, attributes in single quotes,
 * `&` `<` `>` escaped in text and also `'` `"` in attributes, values byte for
 * byte except the XML end-of-line rule: CR LF and a lone CR become LF).
 *  - `.evtx` files, through tasklab's own EVTX reader (evtx_file.c,
 *    evtx_binxml.c), or through libevtx when asked (TL_REPLAY_EVTX_LIBEVTX,
 *    when tasklab was built with it: tl_replay_have_libevtx());
 *  - XML exports (`wevtutil qe /f:xml`, `evtxexport -f xml`, an <Events>
 *    document): every <Event>…</Event> element, whatever its formatting;
 *  - agent JSON lines ({"Message":…,"Event":"<Event…>"}), also in the queue
 *    form `f:[001] (name) any->EventChannel:{…}` or as a JSON string a line
 *    (the oracle's `.queue` files).
 *  - a queue capture: a JSON lines file whose first line is an analysisd
 *    queue message (`f:[001] (name) any->EventChannel:{…}`, `1:[001] (name)
 *    any->logs\scheduled-tasks.log:…`, bare or as a JSON string, as
 *    `tasklab export --format queue` and `replay --format queue` write it).
 *    It is what a manager read, in the order it read it: its messages are
 *    replayed verbatim (tl_replay_record.queue), in file order. A line of
 *    another queue than `f` (a log line the agent's logcollector read, such as
 *    the active response's output) has no Event: its record has event "",
 *    record id 0 and the time of the record before it.
 *
 * Order: records are returned sorted by EventRecordID (stable for equal ids),
 * as a real manager receives one burst per channel; a queue capture in file
 * order. The reader keeps only a
 * small index in memory (record id + position, ~24 bytes a record); record
 * payloads are read one at a time, so memory does not grow with record size.
 *
 * Damage: a record that cannot be read or rendered is skipped and counted;
 * tl_replay_damage() describes the first few (with the record number).
 *
 * Example: libevtx gives
 *   <Event xmlns="…">\n  <System>\n    <Provider Name="X"/>…<Data Name="A">a &amp; b</Data>
 * and the agent forwards
 *   <Event xmlns='…'><System><Provider Name='X'/>…<Data Name='A'>a &amp; b</Data>
 */
#ifndef TL_REPLAY_H
#define TL_REPLAY_H

#include "tasklab/base.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tl_replay tl_replay; /* an open recording */

typedef enum tl_replay_kind {
    TL_REPLAY_AUTO = 0,
    TL_REPLAY_EVTX,
    TL_REPLAY_XML,
    TL_REPLAY_JSONL,
    TL_REPLAY_EVTX_LIBEVTX /* .evtx through libevtx (differential tests; needs tl_replay_have_libevtx) */
} tl_replay_kind;

typedef struct tl_replay_record {
    const char *event;   /* EvtRender XML, NUL-terminated (may hold other control characters) */
    size_t event_len;
    const char *message; /* the agent's Message text, or NULL (left out) */
    const char *channel; /* "" when the record names none */
    uint64_t record_id;  /* EventRecordID (0 when absent) */
    tl_time time;        /* TimeCreated SystemTime (0 when absent) */
    size_t number;       /* 1-based position of the record in the file */
    const char *queue;   /* a queue capture's message as the manager read it, or NULL */
    size_t queue_len;
} tl_replay_record;      /* borrowed: valid until the next tl_replay_next / free */

/** 1: .evtx files can be read (tasklab's own reader, always built in). */
int tl_replay_have_evtx(void);
/** 1 when tasklab was also built with libevtx (TL_REPLAY_EVTX_LIBEVTX), else 0. */
int tl_replay_have_libevtx(void);

/** Kind of a file from its first bytes (ElfFile signature, '<', '{' or '"'). */
tl_replay_kind tl_replay_sniff(const char *path);

/**
 * Open a recording and index its records. path is borrowed. kind AUTO sniffs.
 * Returns TL_E_IO (unreadable, not a regular file), TL_E_PARSE (not a
 * recording of that kind, nothing readable), TL_E_NOTFOUND
 * (TL_REPLAY_EVTX_LIBEVTX without libevtx), TL_E_LIMIT (more records than the index allows), TL_E_NOMEM; d
 * names the file. *out owned by the caller (tl_replay_free).
 */
tl_status tl_replay_open(const char *path, tl_replay_kind kind, tl_replay **out, tl_diag *d);
void tl_replay_free(tl_replay *r);

/** Records indexed (in replay order). */
size_t tl_replay_count(const tl_replay *r);

/**
 * Next record in EventRecordID order. *got = 0 at the end. A record that
 * turns out unreadable is skipped and counted as damage (never an error);
 * only TL_E_NOMEM is returned as a failure.
 */
tl_status tl_replay_next(tl_replay *r, tl_replay_record *rec, int *got);

/** Records skipped as damaged so far (unreadable, corrupt, too large). */
size_t tl_replay_damaged(const tl_replay *r);
/** One line describing the damage ("record 17: …; 3 more"), "" when none.
 * Borrowed. */
const char *tl_replay_damage(const tl_replay *r);

/**
 * Render one XML Event element (any formatting, either quote style) in the
 * EvtRender form the agent sends. Appends to out. Also reports the record's
 * Channel, EventRecordID and TimeCreated when the pointers are non-NULL
 * (channel is appended to *channel, a caller-owned tl_buf).
 * TL_E_PARSE when xml is not one well-nested element; TL_E_LIMIT when it is
 * nested deeper than 64.
 */
tl_status tl_replay_render(const char *xml, size_t len, tl_buf *out, tl_buf *channel,
                           uint64_t *record_id, tl_time *time);

/**
 * The analysisd queue line of a record, as remoted writes it
 * (`f:[ID] (NAME) any->EventChannel:{"Message":…,"Event":…}`), appended to out
 * without a newline. with_message 0 leaves Message out. A record of a queue
 * capture (rec->queue) is its message verbatim: agent_id, agent_name and
 * with_message do not apply.
 */
void tl_replay_queue_line(const tl_replay_record *rec, const char *agent_id,
                          const char *agent_name, int with_message, tl_buf *out);

#endif /* TL_REPLAY_H */
