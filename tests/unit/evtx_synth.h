/* SPDX-License-Identifier: MIT */
/*
 * A small writer of synthetic .evtx files for tests and the fuzz corpus:
 * byte-level BinXml (elements, attributes, text, substitutions, template
 * instances with inline or shared definitions), records, chunks with their
 * CRC32s and the file header. Made from the format's description (see
 * pipeline/replay/src/evtx_file.c), not from any recording, so the tests
 * need nothing from ../shared and the committed corpus holds no third-party
 * data.
 *
 * Example (one record whose Event holds one text element):
 *   ev_chunk ch; ev_chunk_init(&ch, 1);
 *   size_t r = ev_rec_begin(&ch, 1);
 *   ev_frag(&ch);
 *   size_t e = ev_open(&ch, "Event", 0); ev_close_start(&ch);
 *   ... ev_end(&ch, e);
 *   ev_eof(&ch); ev_rec_end(&ch, r);
 *   ev_chunk_finish(&ch); ev_file_write(path, &ch, 1);
 */
#ifndef TL_TEST_EVTX_SYNTH_H
#define TL_TEST_EVTX_SYNTH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EV_CHUNK 65536u

typedef struct ev_chunk {
    uint8_t d[EV_CHUNK];
    size_t n;        /* bytes used */
    size_t last_rec; /* offset of the last record */
    uint64_t first_id, last_id;
} ev_chunk;

static uint32_t ev_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

static void ev_put(ev_chunk *c, const void *p, size_t n)
{
    if (n && c->n + n <= EV_CHUNK) {
        memcpy(c->d + c->n, p, n);
        c->n += n;
    }
}
static void ev_u8(ev_chunk *c, uint8_t v) { ev_put(c, &v, 1); }
static void ev_u16(ev_chunk *c, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    ev_put(c, b, 2);
}
static void ev_u32(ev_chunk *c, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ev_put(c, b, 4);
}
static void ev_u64(ev_chunk *c, uint64_t v)
{
    ev_u32(c, (uint32_t)v);
    ev_u32(c, (uint32_t)(v >> 32));
}
static void ev_set32(ev_chunk *c, size_t at, uint32_t v)
{
    c->d[at] = (uint8_t)v;
    c->d[at + 1] = (uint8_t)(v >> 8);
    c->d[at + 2] = (uint8_t)(v >> 16);
    c->d[at + 3] = (uint8_t)(v >> 24);
}
/* UTF-16LE of an ASCII/Latin-1 string, no terminator */
static void ev_utf16(ev_chunk *c, const char *s)
{
    for (; *s; s++)
        ev_u16(c, (uint8_t)*s);
}

static void ev_chunk_init(ev_chunk *c, uint64_t first_id)
{
    memset(c, 0, sizeof *c);
    memcpy(c->d, "ElfChnk", 8);
    c->n = 512;
    c->first_id = first_id;
    c->last_id = first_id;
}

/* An inline name at the current offset (offset field then the name). */
static void ev_name(ev_chunk *c, const char *name)
{
    ev_u32(c, (uint32_t)(c->n + 4));
    ev_u32(c, 0); /* next name in the hash bucket */
    ev_u16(c, 0); /* hash (not checked by readers) */
    ev_u16(c, (uint16_t)strlen(name));
    ev_utf16(c, name);
    ev_u16(c, 0);
}

static void ev_frag(ev_chunk *c)
{
    uint8_t h[4] = {0x0F, 1, 1, 0};
    ev_put(c, h, 4);
}
static void ev_eof(ev_chunk *c) { ev_u8(c, 0x00); }

/* Open an element (deps: with the 2-byte dependency id, as in records and
 * template definitions). Returns the offset of its size field, for ev_end.
 * With attrs, call ev_attrs_begin/ev_attrs_end around the attributes. */
static size_t ev_open(ev_chunk *c, const char *name, int attrs, int deps)
{
    ev_u8(c, attrs ? 0x41 : 0x01);
    if (deps)
        ev_u16(c, 0xFFFF);
    size_t at = c->n;
    ev_u32(c, 0);
    ev_name(c, name);
    return at;
}
static size_t ev_attrs_begin(ev_chunk *c)
{
    size_t at = c->n;
    ev_u32(c, 0);
    return at;
}
static void ev_attrs_end(ev_chunk *c, size_t at) { ev_set32(c, at, (uint32_t)(c->n - at - 4)); }
static void ev_attr(ev_chunk *c, const char *name) /* then a value or substitution */
{
    ev_u8(c, 0x06);
    ev_name(c, name);
}
static void ev_close_start(ev_chunk *c) { ev_u8(c, 0x02); }
/* End an element opened at size field sz: with content (end tag) or empty. */
static void ev_end(ev_chunk *c, size_t sz)
{
    ev_u8(c, 0x04);
    ev_set32(c, sz, (uint32_t)(c->n - sz - 4));
}
static void ev_end_empty(ev_chunk *c, size_t sz)
{
    ev_u8(c, 0x03);
    ev_set32(c, sz, (uint32_t)(c->n - sz - 4));
}
static void ev_text(ev_chunk *c, const char *s)
{
    ev_u8(c, 0x05);
    ev_u8(c, 0x01);
    ev_u16(c, (uint16_t)strlen(s));
    ev_utf16(c, s);
}
static void ev_sub(ev_chunk *c, uint16_t idx, uint8_t type, int optional)
{
    ev_u8(c, optional ? 0x0E : 0x0D);
    ev_u16(c, idx);
    ev_u8(c, type);
}

/* Start a record; returns its offset for ev_rec_end. */
static size_t ev_rec_begin(ev_chunk *c, uint64_t id)
{
    size_t at = c->n;
    uint8_t sig[4] = {0x2a, 0x2a, 0, 0};
    ev_put(c, sig, 4);
    ev_u32(c, 0);
    ev_u64(c, id);
    ev_u64(c, 132000000000000000ull); /* written time */
    c->last_id = id;
    return at;
}
static void ev_rec_end(ev_chunk *c, size_t at)
{
    size_t sz = c->n - at + 4;
    ev_u32(c, (uint32_t)sz);
    ev_set32(c, at + 4, (uint32_t)sz);
    c->last_rec = at;
}

/* Template instance header: definition inline (returns the offset of the
 * definition's size field to patch with ev_def_end) or shared (def_off). */
static size_t ev_tmpl_inline(ev_chunk *c, size_t *def_off)
{
    ev_u8(c, 0x0C);
    ev_u8(c, 1);
    ev_u32(c, 0x1234);
    *def_off = c->n + 4;
    ev_u32(c, (uint32_t)*def_off);
    ev_u32(c, 0); /* next definition */
    for (int i = 0; i < 16; i++)
        ev_u8(c, (uint8_t)(0xA0 + i)); /* definition GUID */
    size_t dsz = c->n;
    ev_u32(c, 0);
    ev_frag(c);
    return dsz;
}
static void ev_def_end(ev_chunk *c, size_t dsz)
{
    ev_eof(c);
    ev_set32(c, dsz, (uint32_t)(c->n - dsz - 4));
}
static void ev_tmpl_shared(ev_chunk *c, size_t def_off)
{
    ev_u8(c, 0x0C);
    ev_u8(c, 1);
    ev_u32(c, 0x1234);
    ev_u32(c, (uint32_t)def_off);
}

typedef struct ev_value_desc {
    uint8_t type;
    const void *data;
    uint16_t size;
} ev_value_desc;

static void ev_values(ev_chunk *c, const ev_value_desc *v, size_t n)
{
    ev_u32(c, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        ev_u16(c, v[i].size);
        ev_u8(c, v[i].type);
        ev_u8(c, 0);
    }
    for (size_t i = 0; i < n; i++)
        ev_put(c, v[i].data, v[i].size);
}

static void ev_chunk_finish(ev_chunk *c)
{
    uint8_t *d = c->d;
    ev_set32(c, 8, (uint32_t)c->first_id);
    ev_set32(c, 16, (uint32_t)c->last_id);
    ev_set32(c, 24, (uint32_t)c->first_id);
    ev_set32(c, 32, (uint32_t)c->last_id);
    ev_set32(c, 40, 128);
    ev_set32(c, 44, (uint32_t)c->last_rec);
    ev_set32(c, 48, (uint32_t)c->n);
    ev_set32(c, 52, ev_crc32(0, d + 512, c->n - 512));
    ev_set32(c, 124, ev_crc32(ev_crc32(0, d, 120), d + 128, 384));
}

/* Write a file of nchunks finished chunks (whole 64 KiB each). 0 on success. */
static int ev_file_write(const char *path, const ev_chunk *chunks, size_t nchunks)
{
    uint8_t h[4096];
    memset(h, 0, sizeof h);
    memcpy(h, "ElfFile", 8);
    h[32] = 128;          /* header size */
    h[36] = 1;            /* minor version */
    h[38] = 3;            /* major version */
    h[40] = 0x00;         /* header block size 4096 */
    h[41] = 0x10;
    h[42] = (uint8_t)nchunks;
    uint32_t crc = ev_crc32(0, h, 120);
    h[124] = (uint8_t)crc;
    h[125] = (uint8_t)(crc >> 8);
    h[126] = (uint8_t)(crc >> 16);
    h[127] = (uint8_t)(crc >> 24);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    for (size_t i = 0; i < nchunks && ok; i++)
        ok = fwrite(chunks[i].d, 1, EV_CHUNK, f) == EV_CHUNK;
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif /* TL_TEST_EVTX_SYNTH_H */
