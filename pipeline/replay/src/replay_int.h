/* SPDX-License-Identifier: MIT */
/*
 * Private to tl_replay: the reader object and the per-kind loaders.
 */
#ifndef TL_REPLAY_INT_H
#define TL_REPLAY_INT_H

#include "tasklab/replay.h"

#include <stdarg.h>
#include <stdio.h>

#ifndef TL_REPLAY_HAVE_EVTX
#define TL_REPLAY_HAVE_EVTX 0
#endif

#define TL_REPLAY_MAX_RECORD (1 << 20)     /* bytes of one record's XML or JSON line */
#define TL_REPLAY_MAX_RECORDS (16u << 20)  /* records in one file (index ~400 MiB at most) */

#define TL_REPLAY_CACHE_BYTES (64u << 20) /* rendered records kept between the passes */

#define TL_REPLAY_RECOVERED 1u /* index flag: a libevtx recovered record */

typedef struct tl_replay_idx {
    uint64_t id;     /* EventRecordID */
    uint64_t pos;    /* byte offset (XML, JSON lines) or libevtx record index */
    uint32_t len;    /* bytes (XML, JSON lines) */
    uint32_t flags;
    uint32_t number; /* 1-based position in the file */
    char *cached;    /* .evtx: rendered "event\0channel\0" kept from the index pass, or NULL */
    size_t cached_len; /* bytes of the event in cached */
    tl_time time;      /* TimeCreated of a cached record */
} tl_replay_idx;

struct tl_replay {
    tl_replay_kind kind;
    char *path;
    FILE *f;    /* XML, JSON lines */
    void *evtx; /* libevtx_file_t * */
    char *xbuf; /* libevtx XML of the current record */
    size_t xcap;
    tl_replay_idx *idx;
    size_t nidx, capidx, next;
    int sorted;
    size_t ndamaged;
    size_t cached_bytes;
    int damage_more;
    tl_buf raw, ev, chan, msg, damage;
};

void tl_replay_damage_add(tl_replay *r, size_t number, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
tl_status tl_replay_index_add(tl_replay *r, uint64_t id, uint64_t pos, uint32_t len,
                              uint32_t flags);
tl_status tl_replay_jsonl_load(tl_replay *r, uint64_t pos, size_t len, size_t number,
                               tl_replay_record *rec);

/* evtx.c (stubs without libevtx) */
tl_status tl_replay_evtx_open(tl_replay *r, tl_diag *d);
tl_status tl_replay_evtx_load(tl_replay *r, const tl_replay_idx *e, tl_replay_record *rec);
void tl_replay_evtx_close(tl_replay *r);

#endif /* TL_REPLAY_INT_H */
