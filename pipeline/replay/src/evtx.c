/* SPDX-License-Identifier: MIT */
/*
 * .evtx files through libevtx (Debian libevtx-dev), when tasklab is built
 * with it; without it, opening an .evtx reports the reader unavailable.
 *
 * libevtx renders each record's binary XML as indented XML text; render.c
 * turns that into the EvtRender form. The index pass asks libevtx only for
 * each record's identifier (its EventRecordID); the XML is made once, when
 * the record is replayed.
 *
 * Damage: libevtx skips the records of a chunk whose header or checksum is
 * bad and offers what it can still find as "recovered" records (also records
 * left in slack space by the log's own reuse). An intact file is replayed
 * from its normal records only, as a Windows agent would read the log; a file
 * libevtx flags as corrupted, or any record it cannot read, is reported, and
 * its recovered records whose EventRecordID is not already among the normal
 * ones are replayed too (the oracle's 208 files are all intact).
 */
#define _POSIX_C_SOURCE 200809L
#include "replay_int.h"

#include <stdlib.h>
#include <string.h>

#if TL_REPLAY_HAVE_EVTX
#include <libevtx.h>

static void evtx_err(libevtx_error_t **e, char *out, size_t outsz)
{
    out[0] = '\0';
    if (e && *e) {
        libevtx_error_sprint(*e, out, outsz);
        libevtx_error_free(e);
        /* keep the first line */
        char *nl = strchr(out, '\n');
        if (nl)
            *nl = '\0';
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The EventRecordID written in the record's XML (libevtx's own identifier is
 * the record's number in this file, which differs in merged recordings);
 * libevtx's identifier when the XML has none. The record is rendered on the
 * way and, while the cache has room, kept in *cached ("event\0channel\0",
 * owned by the caller) so the replay pass need not ask libevtx again: making
 * the XML is most of the cost of a record. 1 on success, as libevtx. */
static int xml_record_id(tl_replay *r, libevtx_record_t *rec, uint64_t *id, libevtx_error_t **e,
                         char **cached, size_t *cached_len, tl_time *time)
{
    size_t sz = 0;
    *cached = NULL;
    if (libevtx_record_get_utf8_xml_string_size(rec, &sz, e) != 1)
        return -1;
    if (sz == 0 || sz > TL_REPLAY_MAX_RECORD)
        return libevtx_record_get_identifier(rec, id, e);
    if (r->xcap < sz + 1) {
        char *nb = tl_realloc(r->xbuf, sz + 1);
        if (!nb)
            return -1;
        r->xbuf = nb;
        r->xcap = sz + 1;
    }
    if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)r->xbuf, sz, e) != 1)
        return -1;
    r->xbuf[sz] = '\0';
    tl_buf_reset(&r->ev);
    tl_buf_reset(&r->chan);
    uint64_t rid = 0;
    if (tl_replay_render(r->xbuf, strnlen(r->xbuf, sz), &r->ev, &r->chan, &rid, time) == TL_OK &&
        rid) {
        *id = rid;
        size_t need = r->ev.len + r->chan.len + 2;
        if (r->cached_bytes + need <= TL_REPLAY_CACHE_BYTES) {
            char *c = tl_malloc(need);
            if (c) {
                memcpy(c, r->ev.data, r->ev.len + 1);
                memcpy(c + r->ev.len + 1, r->chan.data ? r->chan.data : "", r->chan.len + 1);
                *cached = c;
                *cached_len = r->ev.len;
                r->cached_bytes += need;
            }
        }
        return 1;
    }
    const char *p = strstr(r->xbuf, "<EventRecordID>");
    if (!p)
        return libevtx_record_get_identifier(rec, id, e);
    uint64_t v = 0;
    for (p += 15; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    *id = v;
    return 1;
}

tl_status tl_replay_evtx_open(tl_replay *r, tl_diag *d)
{
    tl_status st = TL_OK;
    libevtx_file_t *f = NULL;
    libevtx_error_t *e = NULL;
    uint64_t *ids = NULL;
    char msg[512];
    if (libevtx_file_initialize(&f, &e) != 1) {
        evtx_err(&e, msg, sizeof msg);
        return TL_E_NOMEM;
    }
    r->evtx = f;
    if (libevtx_file_open(f, r->path, LIBEVTX_OPEN_READ, &e) != 1) {
        evtx_err(&e, msg, sizeof msg);
        tl_diag_set(d, r->path, 0, "not a readable EVTX file (libevtx: %s)", msg);
        return TL_E_PARSE;
    }
    int n = 0, nrec = 0;
    if (libevtx_file_get_number_of_records(f, &n, &e) != 1) {
        evtx_err(&e, msg, sizeof msg);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        libevtx_record_t *rec = NULL;
        uint64_t id = 0;
        char *cached = NULL;
        size_t clen = 0;
        tl_time t = 0;
        if (libevtx_file_get_record_by_index(f, i, &rec, &e) != 1 ||
            xml_record_id(r, rec, &id, &e, &cached, &clen, &t) != 1) {
            evtx_err(&e, msg, sizeof msg);
            tl_replay_damage_add(r, (size_t)i + 1, "unreadable (libevtx: %s)", msg);
            libevtx_record_free(&rec, NULL);
            continue;
        }
        libevtx_record_free(&rec, NULL);
        st = tl_replay_index_add(r, id, (uint64_t)i, 0, 0);
        if (st != TL_OK) {
            tl_free(cached);
            goto cleanup;
        }
        r->idx[r->nidx - 1].cached = cached;
        r->idx[r->nidx - 1].cached_len = clen;
        r->idx[r->nidx - 1].time = t;
    }
    nrec = n;
    uint8_t corrupted = (uint8_t)libevtx_file_is_corrupted(f, &e);
    if (e)
        libevtx_error_free(&e);
    if (corrupted == 1 || r->ndamaged) {
        int nr = 0;
        if (corrupted == 1) {
            r->ndamaged++; /* the file itself */
            if (r->damage.len)
                tl_buf_puts(&r->damage, "; ");
            tl_buf_printf(&r->damage, "libevtx flags the file corrupted (%zu records readable)",
                          r->nidx);
        }
        if (libevtx_file_get_number_of_recovered_records(f, &nr, &e) != 1) {
            evtx_err(&e, msg, sizeof msg);
            nr = 0;
        }
        size_t nn = r->nidx;
        ids = tl_malloc((nn ? nn : 1) * sizeof *ids);
        TL_TRY_ALLOC(ids);
        for (size_t k = 0; k < nn; k++)
            ids[k] = r->idx[k].id;
        qsort(ids, nn, sizeof *ids, cmp_u64);
        /* name the lost records: the first gap in the EventRecordIDs */
        for (size_t k = 1; k < nn; k++)
            if (ids[k] > ids[k - 1] + 1 && ids[k] - ids[k - 1] < 1000000) {
                tl_buf_printf(&r->damage, "; EventRecordID %llu to %llu missing",
                              (unsigned long long)ids[k - 1] + 1,
                              (unsigned long long)ids[k] - 1);
                break;
            }
        for (int i = 0; i < nr; i++) {
            libevtx_record_t *rec = NULL;
            uint64_t id = 0;
            char *cached = NULL;
            size_t clen = 0;
            tl_time t = 0;
            if (libevtx_file_get_recovered_record_by_index(f, i, &rec, &e) != 1 ||
                xml_record_id(r, rec, &id, &e, &cached, &clen, &t) != 1) {
                evtx_err(&e, msg, sizeof msg);
                libevtx_record_free(&rec, NULL);
                continue;
            }
            libevtx_record_free(&rec, NULL);
            tl_free(cached); /* recovered records are read again when replayed */
            if (cached)
                r->cached_bytes -= clen; /* approximate: channel bytes stay counted */
            if (bsearch(&id, ids, nn, sizeof *ids, cmp_u64))
                continue;
            TL_TRY(tl_replay_index_add(r, id, (uint64_t)i, 0, TL_REPLAY_RECOVERED));
            r->idx[r->nidx - 1].number = (uint32_t)(nrec + i + 1);
        }
    }
cleanup:
    tl_free(ids);
    if (st == TL_E_LIMIT)
        tl_diag_set(d, r->path, 0, "more than %u records", TL_REPLAY_MAX_RECORDS);
    return st;
}

tl_status tl_replay_evtx_load(tl_replay *r, const tl_replay_idx *ix, tl_replay_record *rec)
{
    libevtx_file_t *f = r->evtx;
    libevtx_record_t *er = NULL;
    libevtx_error_t *e = NULL;
    char msg[512];
    int ok;
    if (ix->cached) {
        memset(rec, 0, sizeof *rec);
        rec->event = ix->cached;
        rec->event_len = ix->cached_len;
        rec->channel = ix->cached + ix->cached_len + 1;
        rec->record_id = ix->id;
        rec->time = ix->time;
        rec->number = ix->number;
        return TL_OK;
    }
    if (ix->flags & TL_REPLAY_RECOVERED)
        ok = libevtx_file_get_recovered_record_by_index(f, (int)ix->pos, &er, &e);
    else
        ok = libevtx_file_get_record_by_index(f, (int)ix->pos, &er, &e);
    size_t sz = 0;
    if (ok == 1)
        ok = libevtx_record_get_utf8_xml_string_size(er, &sz, &e);
    if (ok == 1 && (sz == 0 || sz > TL_REPLAY_MAX_RECORD)) {
        libevtx_record_free(&er, NULL);
        tl_replay_damage_add(r, ix->number, "XML of %zu bytes, skipped", sz);
        return TL_E_PARSE;
    }
    if (ok == 1) {
        if (r->xcap < sz + 1) {
            char *nb = tl_realloc(r->xbuf, sz + 1);
            if (!nb) {
                libevtx_record_free(&er, NULL);
                return TL_E_NOMEM;
            }
            r->xbuf = nb;
            r->xcap = sz + 1;
        }
        ok = libevtx_record_get_utf8_xml_string(er, (uint8_t *)r->xbuf, sz, &e);
    }
    libevtx_record_free(&er, NULL);
    if (ok != 1) {
        evtx_err(&e, msg, sizeof msg);
        tl_replay_damage_add(r, ix->number, "unreadable (libevtx: %s)", msg);
        return TL_E_PARSE;
    }
    size_t xl = strnlen(r->xbuf, sz);
    memset(rec, 0, sizeof *rec);
    tl_buf_reset(&r->ev);
    tl_buf_reset(&r->chan);
    tl_status st =
        tl_replay_render(r->xbuf, xl, &r->ev, &r->chan, &rec->record_id, &rec->time);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        tl_replay_damage_add(r, ix->number, "libevtx's XML is not a well-formed Event");
        return TL_E_PARSE;
    }
    rec->event = tl_buf_cstr(&r->ev);
    rec->event_len = r->ev.len;
    rec->channel = tl_buf_cstr(&r->chan);
    rec->number = ix->number;
    return TL_OK;
}

void tl_replay_evtx_close(tl_replay *r)
{
    if (r->evtx) {
        libevtx_file_t *f = r->evtx;
        libevtx_file_close(f, NULL);
        libevtx_file_free(&f, NULL);
        r->evtx = NULL;
    }
}

#else /* !TL_REPLAY_HAVE_EVTX */

tl_status tl_replay_evtx_open(tl_replay *r, tl_diag *d)
{
    tl_diag_set(d, r->path, 0,
                "reading .evtx needs libevtx, and this tasklab was built without it "
                "(install libevtx-dev and libbfio-dev, rebuild; or replay an XML export)");
    return TL_E_NOTFOUND;
}

tl_status tl_replay_evtx_load(tl_replay *r, const tl_replay_idx *e, tl_replay_record *rec)
{
    (void)r;
    (void)e;
    (void)rec;
    return TL_E_PARSE;
}

void tl_replay_evtx_close(tl_replay *r) { (void)r; }

#endif
