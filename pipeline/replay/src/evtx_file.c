/* SPDX-License-Identifier: MIT */
/*
 * .evtx files read by tasklab itself: the file header, 64 KiB chunks, their
 * CRC32 checksums and the event records in them; each record's BinXml is
 * rendered by evtx_binxml.c. No library is needed, so every build (Linux,
 * the Windows one of issue 18) reads .evtx; libevtx (evtx.c) stays as an
 * optional second reader for the differential test (TL_REPLAY_EVTX_LIBEVTX).
 *
 * Layout (all little-endian):
 *   file header, 4096 bytes: "ElfFile\0", ..., header size 128 @32, chunk
 *     count @42, flags @120, CRC32 of bytes 0..120 @124;
 *   chunks of 65536 bytes from offset 4096: "ElfChnk\0", first/last record
 *     numbers and ids @8..40, header size @40, last record offset @44, free
 *     space offset @48, CRC32 of the records (512..free space) @52, CRC32 of
 *     bytes 0..120 and 128..512 @124; 64 common-string and 32 template
 *     offsets @128..512; records from 512;
 *   record: 0x00002a2a, size @4, record id @8, written FILETIME @16, BinXml
 *     @24, a copy of the size in its last 4 bytes.
 *
 * Damage, reported with the record's number (its 1-based position in the
 * file) and never fatal unless nothing at all is readable:
 *  - a file header with a bad signature is not an EVTX file (TL_E_PARSE); a
 *    bad header checksum is reported and the chunks are read anyway;
 *  - a chunk without its signature is skipped (all-zero chunks are unused
 *    space, not damage); a chunk whose header or record checksum is wrong is
 *    reported and its records are still tried one by one (each record is
 *    bounds-checked on its own; libevtx does the same);
 *  - a record whose header or size is inconsistent is reported and the reader
 *    looks for the next record signature in the chunk (8-byte aligned);
 *  - a record whose BinXml does not render is reported and skipped;
 *  - a file cut short: the chunk that is cut is read as far as it goes.
 * Chunks past the header's chunk count are read only when intact (stale
 * chunks of a log that was cleared are not replayed; libevtx's rule).
 *
 * Memory: one chunk buffer and the per-chunk name cache; rendered records
 * are kept between the index pass and the replay pass up to
 * TL_REPLAY_CACHE_BYTES, beyond that a record's chunk is read again.
 */
#define _POSIX_C_SOURCE 200809L
#include "replay_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EVTX_HDR 4096u
#define EVTX_CHUNK 65536u

/* ---- CRC32 (IEEE, reflected), slicing by 8 ------------------------------ */

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xFF];
}

uint32_t tl_evtx_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                            ((uint32_t)p[3] << 24));
        uint32_t b = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
                     ((uint32_t)p[7] << 24);
        crc = crc_tab[7][a & 0xFF] ^ crc_tab[6][(a >> 8) & 0xFF] ^ crc_tab[5][(a >> 16) & 0xFF] ^
              crc_tab[4][a >> 24] ^ crc_tab[3][b & 0xFF] ^ crc_tab[2][(b >> 8) & 0xFF] ^
              crc_tab[1][(b >> 16) & 0xFF] ^ crc_tab[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc_tab[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* Read chunk k into r->chunk; bytes read (0 at the end of the file). A
 * chunk without the chunk signature is read no further than its header
 * (*unsigned_chunk set): unused space of a preallocated log is most of many
 * files. */
static size_t read_chunk(tl_replay *r, uint64_t k, int *unsigned_chunk)
{
    r->chunk_loaded = k;
    r->chunk_len = 0;
    tl_evtx_cache_reset(r->ecache);
    if (unsigned_chunk)
        *unsigned_chunk = 0;
    if (fseeko(r->f, (off_t)(EVTX_HDR + k * EVTX_CHUNK), SEEK_SET) != 0)
        return 0;
    size_t got = fread(r->chunk, 1, 512, r->f);
    if (got == 512 && memcmp(r->chunk, "ElfChnk", 8)) {
        if (unsigned_chunk)
            *unsigned_chunk = 1;
    } else if (got == 512) {
        got += fread(r->chunk + 512, 1, EVTX_CHUNK - 512, r->f);
    }
    r->chunk_len = got;
    return got;
}

static int all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zero[512];
    for (size_t i = 0; i < n; i += sizeof zero)
        if (memcmp(p + i, zero, n - i < sizeof zero ? n - i : sizeof zero))
            return 0;
    return 1;
}

static int record_ok(const uint8_t *c, size_t n, size_t off)
{
    if (off + 28 > n || c[off] != 0x2a || c[off + 1] != 0x2a || c[off + 2] || c[off + 3])
        return 0;
    uint32_t sz = rd32(c + off + 4);
    return sz >= 28 && off + sz <= n && rd32(c + off + sz - 4) == sz;
}

static void chunk_damage(tl_replay *r, uint64_t k, const char *what)
{
    r->ndamaged++;
    if (r->ndamaged <= 3) {
        if (r->damage.len)
            tl_buf_puts(&r->damage, "; ");
        tl_buf_printf(&r->damage, "chunk %llu: %s", (unsigned long long)k + 1, what);
    }
}

/* Rendered records kept from the index pass live in 1 MiB blocks (one
 * allocation per block, not per record); freed with the reader. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

static char *arena_alloc(tl_replay *r, size_t n)
{
    arena_block *b = r->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ((size_t)1 << 20) ? n : (size_t)1 << 20;
        arena_block *nb = tl_malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        r->arena = b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

/* Render the record at offset off of the loaded chunk into r->ev / r->chan. */
static tl_status render_at(tl_replay *r, size_t off, uint64_t *rid, tl_time *t, const char **why)
{
    tl_buf_reset(&r->ev);
    return tl_evtx_render(r->ecache, r->chunk, r->chunk_len, off, rd32(r->chunk + off + 4), &r->ev,
                          &r->chan, rid, t, why);
}

tl_status tl_replay_evtxo_open(tl_replay *r, tl_diag *d)
{
    tl_status st = TL_OK;
    uint8_t hdr[128];
    struct stat sb;
    r->f = fopen(r->path, "rb");
    if (!r->f) {
        tl_diag_set(d, r->path, 0, "cannot read: %s", strerror(errno));
        return TL_E_IO;
    }
    if (fstat(fileno(r->f), &sb) != 0)
        return TL_E_IO;
    r->chunk = tl_malloc(EVTX_CHUNK);
    r->ecache = tl_evtx_cache_new();
    if (!r->chunk || !r->ecache)
        return TL_E_NOMEM;
    if (fread(hdr, 1, sizeof hdr, r->f) != sizeof hdr || memcmp(hdr, "ElfFile", 8)) {
        tl_diag_set(d, r->path, 0, "not an EVTX file (no complete ElfFile header)");
        return TL_E_PARSE;
    }
    if (tl_evtx_crc32(0, hdr, 120) != rd32(hdr + 124)) {
        r->ndamaged++;
        tl_buf_puts(&r->damage, "file header checksum mismatch");
    }
    uint64_t hdr_chunks = (uint64_t)(hdr[42] | (hdr[43] << 8));
    uint64_t nchunks =
        (uint64_t)sb.st_size > EVTX_HDR ? ((uint64_t)sb.st_size - EVTX_HDR + EVTX_CHUNK - 1) / EVTX_CHUNK : 0;
    size_t number = 0;
    for (uint64_t k = 0; k < nchunks; k++) {
        int unsig = 0;
        size_t got = read_chunk(r, k, &unsig);
        const uint8_t *c = r->chunk;
        if (got < 512) {
            if (got && !all_zero(c, got))
                chunk_damage(r, k, "cut short by the end of the file");
            break;
        }
        if (unsig) {
            /* unused space is zero-filled; anything else lost its header */
            if (!all_zero(c, 512))
                chunk_damage(r, k, "no chunk signature, skipped");
            continue;
        }
        uint32_t hcrc = tl_evtx_crc32(tl_evtx_crc32(0, c, 120), c + 128, 384);
        int hdr_ok = hcrc == rd32(c + 124);
        uint32_t last = rd32(c + 44), free_off = rd32(c + 48);
        int data_ok = free_off >= 512 && free_off <= got &&
                      tl_evtx_crc32(0, c + 512, free_off - 512) == rd32(c + 52);
        int cut = got < EVTX_CHUNK;
        if (k >= hdr_chunks && (!hdr_ok || !data_ok))
            continue; /* a stale chunk past the header's count */
        if (cut)
            chunk_damage(r, k, "cut short by the end of the file");
        else if (!hdr_ok)
            chunk_damage(r, k, "header checksum mismatch");
        else if (!data_ok)
            chunk_damage(r, k, "record checksum mismatch");
        int trusted = hdr_ok && data_ok && !cut;
        size_t limit = trusted ? free_off : got;
        size_t off = 512;
        while (off + 28 <= limit && (!trusted || off <= last)) {
            if (!record_ok(c, limit, off)) {
                /* resynchronise on the next record signature */
                size_t nx = (off + 8) & ~(size_t)7;
                while (nx + 28 <= limit && !record_ok(c, limit, nx))
                    nx += 8;
                if (!trusted || nx + 28 <= limit) {
                    number++;
                    tl_replay_damage_add(r, number, "corrupt record header at chunk %llu offset %zu%s",
                                         (unsigned long long)k + 1, off,
                                         nx + 28 <= limit ? "" : ", rest of the chunk skipped");
                }
                if (nx + 28 > limit)
                    break;
                off = nx;
                continue;
            }
            uint32_t sz = rd32(c + off + 4);
            number++;
            uint64_t rid = 0;
            tl_time t = 0;
            const char *why = NULL;
            tl_status rs = render_at(r, off, &rid, &t, &why);
            if (rs == TL_E_NOMEM)
                return rs;
            if (rs != TL_OK) {
                tl_replay_damage_add(r, number, "EventRecordID %llu: %s",
                                     (unsigned long long)rd64(c + off + 8), why ? why : "unreadable");
            } else {
                if (!rid)
                    rid = rd64(c + off + 8);
                TL_TRY(tl_replay_index_add(r, rid, k * EVTX_CHUNK + off, sz, TL_REPLAY_OWN));
                tl_replay_idx *e = &r->idx[r->nidx - 1];
                e->number = (uint32_t)number;
                e->time = t;
                size_t need = r->ev.len + r->chan.len + 2;
                if (r->cached_bytes + need <= TL_REPLAY_CACHE_BYTES) {
                    char *cp = arena_alloc(r, need);
                    if (cp) {
                        memcpy(cp, r->ev.data, r->ev.len + 1);
                        memcpy(cp + r->ev.len + 1, r->chan.data ? r->chan.data : "", r->chan.len + 1);
                        e->cached = cp;
                        e->cached_len = r->ev.len;
                        r->cached_bytes += need;
                    }
                }
            }
            off += sz;
        }
    }
cleanup:
    if (st == TL_E_LIMIT)
        tl_diag_set(d, r->path, 0, "more than %u records", TL_REPLAY_MAX_RECORDS);
    return st;
}

tl_status tl_replay_evtxo_load(tl_replay *r, const tl_replay_idx *ix, tl_replay_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->record_id = ix->id;
    rec->number = ix->number;
    if (ix->cached) {
        rec->event = ix->cached;
        rec->event_len = ix->cached_len;
        rec->channel = ix->cached + ix->cached_len + 1;
        rec->time = ix->time;
        return TL_OK;
    }
    uint64_t k = ix->pos / EVTX_CHUNK;
    size_t off = (size_t)(ix->pos % EVTX_CHUNK);
    if ((r->chunk_loaded != k || !r->chunk_len) && read_chunk(r, k, NULL) < off + 28) {
        tl_replay_damage_add(r, ix->number, "could not be read again");
        return TL_E_PARSE;
    }
    uint64_t rid = 0;
    tl_time t = 0;
    const char *why = NULL;
    tl_status st = render_at(r, off, &rid, &t, &why);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        tl_replay_damage_add(r, ix->number, "could not be read again");
        return TL_E_PARSE;
    }
    rec->event = tl_buf_cstr(&r->ev);
    rec->event_len = r->ev.len;
    rec->channel = tl_buf_cstr(&r->chan);
    rec->time = t;
    return TL_OK;
}

void tl_replay_evtxo_close(tl_replay *r)
{
    for (arena_block *b = r->arena; b;) {
        arena_block *nx = b->next;
        tl_free(b);
        b = nx;
    }
    r->arena = NULL;
    tl_free(r->chunk);
    r->chunk = NULL;
    tl_evtx_cache_free(r->ecache);
    r->ecache = NULL;
}
