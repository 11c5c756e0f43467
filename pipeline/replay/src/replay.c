/* SPDX-License-Identifier: MIT */
/*
 * Recording readers: an index pass, then records one at a time in
 * EventRecordID order.
 *
 * Every kind is read in two passes so memory stays bounded whatever the file
 * size: the open pass walks the whole file once and keeps, per record, only
 * its EventRecordID and where it is (byte offset + length for XML and JSON
 * lines, the libevtx record index for .evtx); tl_replay_next then sorts that
 * index (stable) and re-reads each record in turn. Records larger than
 * TL_REPLAY_MAX_RECORD and records that do not parse are counted as damage
 * and skipped; the first few are described in tl_replay_damage().
 *
 * Why EventRecordID order: a Windows agent reads each channel in record
 * order, and the oracle (../shared/reference/oracle/README.md) fed its
 * manager "in EventRecordID order"; merged recordings of EVTX-ATTACK-SAMPLES
 * store Security and Sysmon records interleaved in file order, yet the oracle
 * sent them sorted by EventRecordID (checked on all three merged files).
 */
#define _POSIX_C_SOURCE 200809L
#include "replay_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char evtx_magic[8] = {'E', 'l', 'f', 'F', 'i', 'l', 'e', '\0'};

tl_replay_kind tl_replay_sniff(const char *path)
{
    char head[64];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(head, 1, sizeof head, f);
        fclose(f);
    }
    if (n >= 8 && !memcmp(head, evtx_magic, 8))
        return TL_REPLAY_EVTX;
    size_t i = 0;
    if (n >= 3 && (unsigned char)head[0] == 0xEF && (unsigned char)head[1] == 0xBB &&
        (unsigned char)head[2] == 0xBF)
        i = 3;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i < n && (head[i] == '{' || head[i] == '"' || head[i] == 'f'))
        return TL_REPLAY_JSONL;
    if (i < n && head[i] == '<')
        return TL_REPLAY_XML;
    /* evtxexport prints a banner line before the XML */
    if (n > 0 && memchr(head, '<', n))
        return TL_REPLAY_XML;
    return TL_REPLAY_AUTO;
}

void tl_replay_damage_add(tl_replay *r, size_t number, const char *fmt, ...)
{
    r->ndamaged++;
    if (r->ndamaged <= 3) {
        va_list ap;
        if (r->damage.len)
            tl_buf_puts(&r->damage, "; ");
        tl_buf_printf(&r->damage, "record %zu: ", number);
        va_start(ap, fmt);
        tl_buf_vprintf(&r->damage, fmt, ap);
        va_end(ap);
    }
}

tl_status tl_replay_index_add(tl_replay *r, uint64_t id, uint64_t pos, uint32_t len, uint32_t flags)
{
    if (r->nidx == r->capidx) {
        if (r->nidx >= TL_REPLAY_MAX_RECORDS)
            return TL_E_LIMIT;
        size_t nc = r->capidx ? r->capidx * 2 : 256;
        tl_replay_idx *nv = tl_realloc(r->idx, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        r->idx = nv;
        r->capidx = nc;
    }
    tl_replay_idx *e = &r->idx[r->nidx];
    e->id = id;
    e->pos = pos;
    e->len = len;
    e->flags = flags;
    e->number = (uint32_t)(r->nidx + 1);
    e->cached = NULL;
    e->cached_len = 0;
    e->time = 0;
    r->nidx++;
    return TL_OK;
}

/* ---- XML exports ---------------------------------------------------------- */

/* Find "<Event" followed by whitespace, '>' or '/' in b[from..n). */
static const char *find_event_start(const char *b, size_t n, size_t from)
{
    for (size_t i = from; i + 6 < n; i++) {
        if (b[i] == '<' && !memcmp(b + i + 1, "Event", 5)) {
            char c = b[i + 6];
            if (c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\r' || c == '\n')
                return b + i;
        }
    }
    return NULL;
}

static const char *find_str(const char *b, size_t n, size_t from, const char *s)
{
    size_t sl = strlen(s);
    for (size_t i = from; i + sl <= n; i++)
        if (b[i] == s[0] && !memcmp(b + i, s, sl))
            return b + i;
    return NULL;
}

/* Read bytes [pos, pos+len) of the file into r->raw. */
static tl_status read_span(tl_replay *r, uint64_t pos, size_t len)
{
    tl_buf_reset(&r->raw);
    if (fseeko(r->f, (off_t)pos, SEEK_SET) != 0)
        return TL_E_IO;
    char tmp[8192];
    while (len) {
        size_t want = len < sizeof tmp ? len : sizeof tmp;
        size_t got = fread(tmp, 1, want, r->f);
        if (!got)
            return TL_E_IO;
        tl_buf_append(&r->raw, tmp, got);
        len -= got;
    }
    return tl_buf_status(&r->raw);
}

/* Index pass over an XML export: a sliding window over the file; every
 * <Event ...>...</Event> (or <Event/>) becomes an index entry. */
static tl_status index_xml(tl_replay *r)
{
    tl_status st = TL_OK;
    tl_buf win = TL_BUF_INIT;
    uint64_t base = 0; /* file offset of win.data[0] */
    char tmp[65536];
    size_t scan = 0;
    int eof = 0;
    size_t number = 0;
    for (;;) {
        if (!eof) {
            size_t got = fread(tmp, 1, sizeof tmp, r->f);
            if (got)
                tl_buf_append(&win, tmp, got);
            else
                eof = 1;
            TL_TRY(tl_buf_status(&win));
        }
        for (;;) {
            const char *s = find_event_start(win.data ? win.data : "", win.len, scan);
            if (!s) {
                /* keep a tail that could hold the start of "<Event " */
                scan = win.len > 7 ? win.len - 7 : 0;
                break;
            }
            size_t so = (size_t)(s - win.data);
            const char *e = find_str(win.data, win.len, so, "</Event>");
            const char *selfclose = NULL;
            {
                const char *gt = memchr(s, '>', win.len - so);
                if (gt && gt[-1] == '/' && (!e || gt < e))
                    selfclose = gt;
            }
            size_t end;
            if (selfclose)
                end = (size_t)(selfclose - win.data) + 1;
            else if (e)
                end = (size_t)(e - win.data) + 8;
            else {
                if (win.len - so > TL_REPLAY_MAX_RECORD) {
                    number++;
                    tl_replay_damage_add(r, number, "larger than %d bytes, skipped",
                                         TL_REPLAY_MAX_RECORD);
                    scan = win.len; /* skip to the next start */
                    /* drop the window: the rest of this record is discarded */
                    base += win.len;
                    tl_buf_reset(&win);
                    scan = 0;
                    break;
                }
                scan = so;
                break;
            }
            number++;
            size_t rl = end - so;
            if (rl > TL_REPLAY_MAX_RECORD) {
                tl_replay_damage_add(r, number, "larger than %d bytes, skipped",
                                     TL_REPLAY_MAX_RECORD);
            } else {
                uint64_t id = 0;
                tl_buf_reset(&r->ev);
                tl_status rs = tl_replay_render(s, rl, &r->ev, NULL, &id, NULL);
                if (rs == TL_E_NOMEM)
                    TL_FAIL(rs);
                if (rs != TL_OK)
                    tl_replay_damage_add(r, number, "not a well-formed Event element");
                else
                    TL_TRY(tl_replay_index_add(r, id, base + so, (uint32_t)rl, 0));
            }
            scan = end;
        }
        /* slide: drop what is before scan */
        if (scan > 0) {
            memmove(win.data, win.data + scan, win.len - scan);
            win.len -= scan;
            win.data[win.len] = '\0';
            base += scan;
            scan = 0;
        }
        if (eof) {
            /* an Event started but the file ends before its end tag */
            if (find_event_start(win.data ? win.data : "", win.len, 0)) {
                number++;
                tl_replay_damage_add(r, number, "cut short by the end of the file");
            }
            break;
        }
    }
cleanup:
    tl_buf_free(&win);
    return st;
}

/* ---- agent JSON lines ------------------------------------------------------ */

static tl_status index_jsonl(tl_replay *r)
{
    tl_status st = TL_OK;
    uint64_t off = 0, start = 0;
    size_t number = 0, len = 0;
    int c;
    int toolong = 0;
    tl_time last_time = 0; /* a capture's log line takes the time of the record before it */
    r->capture = -1;       /* decided by the first line that parses */
    for (;;) {
        c = getc(r->f);
        if (c == EOF || c == '\n') {
            if (len > 0) {
                number++;
                if (toolong)
                    tl_replay_damage_add(r, number, "line longer than %d bytes, skipped",
                                         TL_REPLAY_MAX_RECORD);
                else {
                    /* the record id needs the line itself: parse it now */
                    long here = ftell(r->f);
                    tl_replay_record rec;
                    tl_status rs = tl_replay_jsonl_load(r, start, len, number, &rec);
                    if (rs == TL_E_NOMEM)
                        return rs;
                    if (rs == TL_OK) {
                        TL_TRY(tl_replay_index_add(r, rec.record_id, start, (uint32_t)len, 0));
                        r->idx[r->nidx - 1].number = (uint32_t)number;
                        if (rec.queue && !rec.event_len)
                            r->idx[r->nidx - 1].time = last_time;
                        else
                            last_time = rec.time;
                    }
                    if (fseek(r->f, here, SEEK_SET) != 0)
                        return TL_E_IO;
                }
            }
            if (c == EOF)
                break;
            off++;
            start = off;
            len = 0;
            toolong = 0;
            continue;
        }
        off++;
        if (len == 0 && (c == ' ' || c == '\t' || c == '\r')) {
            start = off;
            continue;
        }
        len++;
        if (len > TL_REPLAY_MAX_RECORD)
            toolong = 1;
    }
cleanup:
    return st;
}

/* Parse one JSON line at [pos, pos+len) into r->ev / r->msg / rec. */
tl_status tl_replay_jsonl_load(tl_replay *r, uint64_t pos, size_t len, size_t number,
                               tl_replay_record *rec)
{
    tl_status st = read_span(r, pos, len);
    if (st != TL_OK) {
        tl_replay_damage_add(r, number, "cannot read the line");
        return st == TL_E_NOMEM ? st : TL_E_PARSE;
    }
    char *line = r->raw.data;
    size_t ll = r->raw.len;
    while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
        line[--ll] = '\0';
    cJSON *outer = NULL, *obj = NULL;
    const char *js = line;
    if (ll && line[0] == '"') {
        /* a queue line as a JSON string (the oracle's .queue files) */
        outer = cJSON_ParseWithLength(line, ll);
        if (!cJSON_IsString(outer)) {
            cJSON_Delete(outer);
            tl_replay_damage_add(r, number, "not a JSON string");
            return TL_E_PARSE;
        }
        js = outer->valuestring;
    }
    size_t jl = strlen(js);
    int isq = tl_replay_is_queue_msg(js, jl);
    if (r->capture < 0)
        r->capture = isq;
    const char *ec = strstr(js, "->EventChannel:");
    if (r->capture > 0) {
        /* a queue capture: the message as the manager read it */
        if (!isq) {
            tl_replay_damage_add(r, number, "not an analysisd queue message (the file is a "
                                            "queue capture: its first line is one)");
            cJSON_Delete(outer);
            return TL_E_PARSE;
        }
        tl_buf_reset(&r->qline);
        tl_buf_append(&r->qline, js, jl);
        if (js[0] != 'f' || !ec) {
            /* a log line (queue 1: logcollector, e.g. the active response's output) */
            cJSON_Delete(outer);
            memset(rec, 0, sizeof *rec);
            tl_buf_reset(&r->ev);
            tl_buf_reset(&r->chan);
            rec->event = tl_buf_cstr(&r->ev);
            rec->channel = tl_buf_cstr(&r->chan);
            rec->number = number;
            rec->queue = tl_buf_cstr(&r->qline);
            rec->queue_len = r->qline.len;
            return tl_buf_status(&r->qline);
        }
    }
    if (ec && js[0] != '{')
        js = ec + strlen("->EventChannel:");
    obj = cJSON_Parse(js);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(obj, "Event");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "Message");
    if (!cJSON_IsString(ev)) {
        tl_replay_damage_add(r, number, "no \"Event\" string in the JSON line");
        cJSON_Delete(obj);
        cJSON_Delete(outer);
        return TL_E_PARSE;
    }
    tl_buf_reset(&r->ev);
    tl_buf_reset(&r->chan);
    tl_buf_reset(&r->msg);
    memset(rec, 0, sizeof *rec);
    st = tl_replay_render(ev->valuestring, strlen(ev->valuestring), &r->ev, &r->chan,
                          &rec->record_id, &rec->time);
    if (st == TL_OK && cJSON_IsString(msg)) {
        tl_buf_puts(&r->msg, msg->valuestring);
        rec->message = tl_buf_cstr(&r->msg);
    }
    cJSON_Delete(obj);
    cJSON_Delete(outer);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        tl_replay_damage_add(r, number, "its Event is not a well-formed Event element");
        return TL_E_PARSE;
    }
    rec->event = tl_buf_cstr(&r->ev);
    rec->event_len = r->ev.len;
    rec->channel = tl_buf_cstr(&r->chan);
    rec->number = number;
    if (r->capture > 0) {
        rec->queue = tl_buf_cstr(&r->qline);
        rec->queue_len = r->qline.len;
        TL_TRY(tl_buf_status(&r->qline));
    }
    return tl_buf_status(&r->msg);
cleanup:
    return st;
}

int tl_replay_is_queue_msg(const char *s, size_t n)
{
    if (n < 3 || s[1] != ':' || (unsigned char)s[0] <= ' ' || s[0] == '{' || s[0] == '"')
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] == '|')
            i++; /* pipe + x is x (wazuh.md §2.1) */
        else if (s[i] == ':')
            return 1;
    }
    return 0;
}

/* ---- common ------------------------------------------------------------- */

int tl_replay_have_evtx(void) { return 1; }
int tl_replay_have_libevtx(void) { return TL_REPLAY_HAVE_EVTX; }

tl_status tl_replay_open(const char *path, tl_replay_kind kind, tl_replay **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_replay *r = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        tl_diag_set(d, path, 0, "cannot read: %s", strerror(errno));
        return TL_E_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        tl_diag_set(d, path, 0, "not a regular file (a recording must be a file)");
        return TL_E_IO;
    }
    if (sb.st_size == 0) {
        tl_diag_set(d, path, 0, "empty file, no records");
        return TL_E_PARSE;
    }
    if (kind == TL_REPLAY_AUTO)
        kind = tl_replay_sniff(path);
    if (kind == TL_REPLAY_AUTO) {
        tl_diag_set(d, path, 0,
                    "not a recording (neither EVTX, an XML export nor agent JSON lines)");
        return TL_E_PARSE;
    }
    r = tl_calloc(1, sizeof *r);
    TL_TRY_ALLOC(r);
    r->kind = kind;
    r->path = tl_strdup(path);
    TL_TRY_ALLOC(r->path);
    r->chunk_loaded = UINT64_MAX;
    if (kind == TL_REPLAY_EVTX) {
        st = tl_replay_evtxo_open(r, d);
        if (st != TL_OK)
            goto cleanup;
    } else if (kind == TL_REPLAY_EVTX_LIBEVTX) {
        st = tl_replay_evtx_open(r, d);
        if (st != TL_OK)
            goto cleanup;
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) {
            tl_diag_set(d, path, 0, "cannot read: %s", strerror(errno));
            TL_FAIL(TL_E_IO);
        }
        st = kind == TL_REPLAY_XML ? index_xml(r) : index_jsonl(r);
        if (st == TL_E_LIMIT)
            tl_diag_set(d, path, 0, "more than %d records", TL_REPLAY_MAX_RECORDS);
        else if (st == TL_E_IO)
            tl_diag_set(d, path, 0, "read error");
        if (st != TL_OK)
            goto cleanup;
    }
    if (r->nidx == 0) {
        if (r->ndamaged)
            tl_diag_set(d, path, 0, "no record could be read (%s)", tl_buf_cstr(&r->damage));
        else
            tl_diag_set(d, path, 0, "no records in this %s",
                        kind == TL_REPLAY_EVTX || kind == TL_REPLAY_EVTX_LIBEVTX ? "EVTX file"
                        : kind == TL_REPLAY_XML ? "XML export"
                                                : "JSON lines file");
        TL_FAIL(TL_E_PARSE);
    }
    *out = r;
    r = NULL;
cleanup:
    tl_replay_free(r);
    return st;
}

static int cmp_idx(const void *a, const void *b)
{
    const tl_replay_idx *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->number < y->number ? -1 : x->number > y->number;
}

size_t tl_replay_count(const tl_replay *r) { return r->nidx; }
size_t tl_replay_damaged(const tl_replay *r) { return r->ndamaged; }

const char *tl_replay_damage(const tl_replay *r)
{
    if (r->ndamaged > 3 && !r->damage_more) {
        tl_replay *m = (tl_replay *)r; /* annotate once, lazily */
        tl_buf_printf(&m->damage, "; %zu more", r->ndamaged - 3);
        m->damage_more = 1;
    }
    return r->damage.len ? tl_buf_cstr(&r->damage) : "";
}

tl_status tl_replay_next(tl_replay *r, tl_replay_record *rec, int *got)
{
    *got = 0;
    if (!r->sorted) {
        if (r->capture <= 0) /* a queue capture keeps the order the manager read it in */
            qsort(r->idx, r->nidx, sizeof *r->idx, cmp_idx);
        r->sorted = 1;
    }
    while (r->next < r->nidx) {
        const tl_replay_idx *e = &r->idx[r->next++];
        tl_status st;
        if (r->kind == TL_REPLAY_EVTX)
            st = tl_replay_evtxo_load(r, e, rec);
        else if (r->kind == TL_REPLAY_EVTX_LIBEVTX)
            st = tl_replay_evtx_load(r, e, rec);
        else if (r->kind == TL_REPLAY_JSONL) {
            st = tl_replay_jsonl_load(r, e->pos, e->len, e->number, rec);
            if (st == TL_OK && rec->queue && !rec->event_len)
                rec->time = e->time;
        }
        else {
            st = read_span(r, e->pos, e->len);
            if (st == TL_OK) {
                memset(rec, 0, sizeof *rec);
                tl_buf_reset(&r->ev);
                tl_buf_reset(&r->chan);
                st = tl_replay_render(r->raw.data, r->raw.len, &r->ev, &r->chan,
                                      &rec->record_id, &rec->time);
                rec->event = tl_buf_cstr(&r->ev);
                rec->event_len = r->ev.len;
                rec->channel = tl_buf_cstr(&r->chan);
                rec->number = e->number;
            }
            if (st != TL_OK && st != TL_E_NOMEM)
                tl_replay_damage_add(r, e->number, "could not be read again");
        }
        if (st == TL_E_NOMEM)
            return st;
        if (st == TL_OK) {
            *got = 1;
            return TL_OK;
        }
    }
    return TL_OK;
}

void tl_replay_free(tl_replay *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    tl_replay_evtx_close(r);
    tl_replay_evtxo_close(r);
    for (size_t i = 0; i < r->nidx; i++)
        if (!(r->idx[i].flags & TL_REPLAY_OWN))
            tl_free(r->idx[i].cached);
    tl_free(r->idx);
    tl_free(r->xbuf);
    tl_free(r->path);
    tl_buf_free(&r->raw);
    tl_buf_free(&r->ev);
    tl_buf_free(&r->chan);
    tl_buf_free(&r->msg);
    tl_buf_free(&r->qline);
    tl_buf_free(&r->damage);
    tl_free(r);
}
