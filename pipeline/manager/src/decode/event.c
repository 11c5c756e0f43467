/* SPDX-License-Identifier: MIT */
/*
 * The manager's event (analysisd's Eventinfo): init/clear, dynamic fields and
 * the static-field name table.
 *
 * Invariants:
 *  - Every string reachable from a tl_event is owned by it, except
 *    decoder_name/decoder_parent/decoder_info, which are borrowed from the
 *    decoder set that decoded it.
 *  - Field names and values live in a per-event arena ("name\0value\0"
 *    carved from 4 KiB blocks), so a Sysmon event's ~25 fields cost one or
 *    two allocations on the hot eventchannel path; tl_event_clear frees the
 *    blocks. Nobody frees or reassigns fields[i].name/value individually.
 *  - tl_event_clear_keep/tl_event_adopt_storage let a caller (the engine)
 *    carry the fields array and one emptied arena block over to the next
 *    event instead of freeing and reallocating them.
 *  - The pre-decoder's six location strings (agent_id ... hostname) share
 *    one allocation (ev->head); whoever replaces one goes through
 *    tl_event_set_str, which frees the old value only when it is not in it.
 *  - Lookups are ASCII case-insensitive and return the first match in decode
 *    order, as analysisd's FindField does.
 */
#include "decode/event_int.h"
#include "rules/expr_int.h"

#include <stdint.h>
#include <string.h>

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

#define ARENA_BLOCK 4096

static char *arena_alloc(tl_event *ev, size_t n)
{
    arena_block *b = ev->field_arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        arena_block *nb = tl_malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (b && n > ARENA_BLOCK) {
            /* a big one-off block goes behind the current one, which keeps its room */
            nb->next = b->next;
            b->next = nb;
            nb->used = n;
            return nb->data;
        }
        nb->next = b;
        ev->field_arena = nb;
        b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(arena_block *b)
{
    while (b) {
        arena_block *n = b->next;
        tl_free(b);
        b = n;
    }
}

size_t tl_event_text_len(const tl_event *ev, const char *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)ev->full_log, hi = (uintptr_t)ev->full_log_end;
    if (hi && a >= lo && a <= hi)
        return (size_t)(hi - a);
    return strlen(p);
}

const struct tl_tri *tl_event_log_fp(tl_event *ev)
{
    if (!ev->log)
        return NULL;
    if (!ev->fp_state || ev->fp_log != ev->log) {
        ev->fp_log = ev->log;
        ev->fp_len = tl_event_text_len(ev, ev->log);
        ev->fp_state = ev->fp && ev->fp_len >= 128 ? 1 : 2;
        if (ev->fp_state == 1)
            tl_tri_build(ev->fp, ev->log, ev->fp_len);
    }
    return ev->fp_state == 1 ? ev->fp : NULL;
}

void tl_event_init(tl_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->decoder_type = TL_CAT_SYSLOG;
}

/* p lies in ev->head (freed with it, never alone) */
static int in_head(const tl_event *ev, const char *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)ev->head;
    return ev->head && a >= lo && a < lo + ev->head_len;
}

static void free_str(tl_event *ev, char *p)
{
    if (!in_head(ev, p))
        tl_free(p);
}

void tl_event_set_str(tl_event *ev, char **slot, char *s)
{
    free_str(ev, *slot);
    *slot = s;
}

void tl_event_clear(tl_event *ev)
{
    if (!ev)
        return;
    free_str(ev, ev->agent_id);
    free_str(ev, ev->agent_name);
    free_str(ev, ev->agent_ip);
    free_str(ev, ev->location);
    free_str(ev, ev->location_path);
    free_str(ev, ev->hostname);
    tl_free(ev->head);
    tl_free(ev->full_log);
    tl_free(ev->program_name);
    tl_free(ev->log_buf);
    tl_free(ev->dec_timestamp);
    tl_free(ev->alert_rule_id);
    for (size_t i = 0; i < TL_SF_COUNT; i++)
        tl_free(ev->stat[i]);
    arena_free(ev->field_arena);
    tl_free(ev->fields);
    tl_event_init(ev);
}

void tl_event_clear_keep(tl_event *ev, tl_event *spare)
{
    if (!ev)
        return;
    tl_free(spare->fields);
    arena_free(spare->field_arena);
    spare->fields = ev->fields;
    spare->cap = ev->cap;
    spare->nfields = 0;
    arena_block *b = ev->field_arena;
    /* keep the newest block (the one with room), free the rest */
    if (b) {
        arena_free(b->next);
        b->next = NULL;
        b->used = 0;
    }
    spare->field_arena = b;
    ev->fields = NULL;
    ev->cap = 0;
    ev->nfields = 0;
    ev->field_arena = NULL;
    tl_event_clear(ev);
}

void tl_event_adopt_storage(tl_event *ev, tl_event *spare)
{
    if (ev->fields || ev->field_arena || ev->nfields)
        return;
    ev->fields = spare->fields;
    ev->cap = spare->cap;
    ev->field_arena = spare->field_arena;
    spare->fields = NULL;
    spare->cap = 0;
    spare->field_arena = NULL;
}

tl_status tl_event_add_field(tl_event *ev, const char *name, size_t nlen, const char *value,
                             size_t vlen)
{
    if (ev->nfields == ev->cap) {
        size_t ncap = ev->cap ? ev->cap * 2 : 32;
        tl_field *nf = tl_realloc(ev->fields, ncap * sizeof *nf);
        if (!nf)
            return TL_E_NOMEM;
        ev->fields = nf;
        ev->cap = ncap;
    }
    char *blk = arena_alloc(ev, nlen + vlen + 2);
    if (!blk)
        return TL_E_NOMEM;
    memcpy(blk, name, nlen);
    blk[nlen] = '\0';
    memcpy(blk + nlen + 1, value, vlen);
    blk[nlen + 1 + vlen] = '\0';
    ev->fields[ev->nfields].name = blk;
    ev->fields[ev->nfields].value = blk + nlen + 1;
    ev->nfields++;
    return TL_OK;
}

const char *tl_event_find_field(const tl_event *ev, const char *name)
{
    if (!ev || !name)
        return NULL;
    for (size_t i = 0; i < ev->nfields; i++)
        if (tl_strcasecmp(ev->fields[i].name, name) == 0)
            return ev->fields[i].value;
    return NULL;
}

static const char *const g_static_names[TL_SF_COUNT] = {
    [TL_SF_SRCIP] = "srcip",
    [TL_SF_DSTIP] = "dstip",
    [TL_SF_SRCPORT] = "srcport",
    [TL_SF_DSTPORT] = "dstport",
    [TL_SF_PROTOCOL] = "protocol",
    [TL_SF_ACTION] = "action",
    [TL_SF_SRCUSER] = "srcuser",
    [TL_SF_DSTUSER] = "dstuser",
    [TL_SF_ID] = "id",
    [TL_SF_STATUS] = "status",
    [TL_SF_URL] = "url",
    [TL_SF_DATA] = "data",
    [TL_SF_EXTRA_DATA] = "extra_data",
    [TL_SF_SYSTEMNAME] = "system_name",
};

int tl_static_field_index(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < TL_SF_COUNT; i++)
        if (strcmp(g_static_names[i], name) == 0)
            return i;
    return -1;
}
