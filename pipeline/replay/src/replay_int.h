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
#define TL_REPLAY_OWN 2u       /* index flag: read by tasklab's own EVTX reader */

typedef struct tl_evtx_cache tl_evtx_cache; /* per-chunk names + scratch of the BinXml reader */

typedef struct tl_replay_idx {
    uint64_t id;     /* EventRecordID */
    uint64_t pos;    /* byte offset (XML, JSON lines) or libevtx record index */
    uint32_t len;    /* bytes (XML, JSON lines) */
    uint32_t flags;
    uint32_t number; /* 1-based position in the file */
    char *cached;    /* .evtx: rendered "event\0channel\0" kept from the index pass, or NULL
                        (owned by the entry, or by the reader's arena with TL_REPLAY_OWN) */
    size_t cached_len; /* bytes of the event in cached */
    tl_time time;      /* TimeCreated of a cached record */
} tl_replay_idx;

struct tl_replay {
    tl_replay_kind kind;
    char *path;
    FILE *f;    /* XML, JSON lines */
    void *evtx; /* libevtx_file_t * */
    uint8_t *chunk;         /* own EVTX reader: the chunk being read */
    size_t chunk_len;
    uint64_t chunk_loaded;  /* its number */
    tl_evtx_cache *ecache;
    void *arena;            /* own EVTX reader: blocks holding the cached renderings */
    char *xbuf; /* libevtx XML of the current record */
    size_t xcap;
    tl_replay_idx *idx;
    size_t nidx, capidx, next;
    int sorted;
    size_t ndamaged;
    size_t cached_bytes;
    int damage_more;
    int capture;            /* JSON lines: a manager queue capture (lines kept verbatim, in
                               file order), decided by the file's first line */
    tl_buf raw, ev, chan, msg, damage, qline;
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
/* replay.c: 1 when line[0..n) is an analysisd queue message: a queue
 * character, ':', a location that ends at a ':' not escaped by '|' (wazuh.md
 * §2.1). */
int tl_replay_is_queue_msg(const char *line, size_t n);

/* render.c: decode entities and line ends of s[0..n) and append it escaped
 * for a text node (attr 0) or an attribute value (attr 1). */
void tl_replay_escape(tl_buf *b, const char *s, size_t n, int attr);

/* evtx_file.c: tasklab's own EVTX reader */
uint32_t tl_evtx_crc32(uint32_t crc, const uint8_t *p, size_t n);
tl_status tl_replay_evtxo_open(tl_replay *r, tl_diag *d);
tl_status tl_replay_evtxo_load(tl_replay *r, const tl_replay_idx *e, tl_replay_record *rec);
void tl_replay_evtxo_close(tl_replay *r);

/* evtx_binxml.c: one record's BinXml -> EvtRender XML */
tl_evtx_cache *tl_evtx_cache_new(void);
void tl_evtx_cache_free(tl_evtx_cache *k);
/** Forget the names of the previous chunk (call when the chunk changes). */
void tl_evtx_cache_reset(tl_evtx_cache *k);
/**
 * Render the record at chunk[rec_off..rec_off+rec_size) (header included)
 * and append it to out; chan (reset first) receives the Channel text. Also
 * gives the EventRecordID and TimeCreated (0 when absent). TL_E_PARSE with
 * *why (a static string) when the record cannot be rendered (out is left as
 * it was), TL_E_NOMEM. chunk_len is what of the chunk is readable.
 */
tl_status tl_evtx_render(tl_evtx_cache *cache, const uint8_t *chunk, size_t chunk_len,
                         size_t rec_off, size_t rec_size, tl_buf *out, tl_buf *chan,
                         uint64_t *record_id, tl_time *time, const char **why);

/* evtx.c (stubs without libevtx) */
tl_status tl_replay_evtx_open(tl_replay *r, tl_diag *d);
tl_status tl_replay_evtx_load(tl_replay *r, const tl_replay_idx *e, tl_replay_record *rec);
void tl_replay_evtx_close(tl_replay *r);

#endif /* TL_REPLAY_INT_H */
