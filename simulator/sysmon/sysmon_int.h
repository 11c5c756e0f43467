/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the Sysmon engine (config loader, filter, renderer).
 *
 * A loaded configuration is compiled into rule SETS: one per (RuleGroup x
 * event element kind x onmatch), as SysmonCommon keeps them. A set holds its
 * ITEMS in document order; an item is either one field filter or a <Rule>
 * aggregate over a contiguous run of filters. For every Sysmon event id the
 * config precomputes the list of sets that apply (exclude sets first, then
 * include sets, each in document order) and the list of event fields those
 * sets reference, so tl_sysmon_filter() only lower-cases what it compares.
 *
 * Invariants:
 *  - all rule text (tl_sm_filter.text, list items) is environment-expanded and
 *    ASCII lower-cased at load; comparisons lower-case the event value once;
 *  - tl_sm_filter.name is the EFFECTIVE name (own name, else the enclosing
 *    <Rule name>, else the <RuleGroup name>) or NULL when that is empty;
 *  - every string is owned by the config's arena and freed with it;
 *  - the config is never written after tl_sysmon_config_load*() returns.
 */
#ifndef TL_SYSMON_INT_H
#define TL_SYSMON_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tasklab/sysmon.h"

#define TL_SM_MAX_ID 32     /* Sysmon event ids 1..29 fit below this */
#define TL_SM_MAX_FIELDS 96 /* distinct EventData field names (case-folded) */

typedef enum tl_sm_cond {
    TL_SM_IS = 0,
    TL_SM_IS_NOT,
    TL_SM_IS_ANY,
    TL_SM_CONTAINS,
    TL_SM_EXCLUDES,
    TL_SM_CONTAINS_ANY,
    TL_SM_CONTAINS_ALL,
    TL_SM_EXCLUDES_ANY,
    TL_SM_EXCLUDES_ALL,
    TL_SM_BEGIN_WITH,
    TL_SM_NOT_BEGIN_WITH,
    TL_SM_END_WITH,
    TL_SM_NOT_END_WITH,
    TL_SM_LESS_THAN,
    TL_SM_MORE_THAN,
    TL_SM_IMAGE,
    TL_SM_NCOND
} tl_sm_cond;

/** Condition keyword as written in configs ("begin with"), by tl_sm_cond. */
extern const char *const tl_sm_cond_names[TL_SM_NCOND];

/* Substring prefilter: a 1024-bit Bloom set of the value's byte pairs is
 * built per event; a needle can only occur when its sampled pairs are in it. */
#define TL_SM_BLOOM_BITS 1024
static inline uint16_t tl_sm_bigram(unsigned char a, unsigned char b)
{
    return (uint16_t)(((unsigned)a * 131u + b) & (TL_SM_BLOOM_BITS - 1));
}

typedef struct tl_sm_str {
    const char *s;
    uint32_t len;
    uint16_t bg[3]; /* sampled bigrams of s (lower-cased) */
    uint8_t nbg;
} tl_sm_str;

typedef struct tl_sm_filter {
    uint16_t field;     /* global field id (tl_sm_field_name) */
    uint8_t cond;       /* tl_sm_cond */
    uint8_t image_tail; /* TL_SM_IMAGE: rule text has no '\' -> compare the last path part */
    uint32_t len;       /* length of text */
    const char *text;   /* expanded, lower-cased rule text */
    uint16_t bg[3];     /* sampled bigrams of text (contains / excludes) */
    uint8_t nbg;
    const tl_sm_str *items; /* list conditions: ';'-separated items (empty ones skipped) */
    uint32_t nitems;
    int line;
    const char *name; /* effective RuleName or NULL */
    const char *orig; /* rule text as written (explain) */
} tl_sm_filter;

enum { TL_SM_ITEM_FILTER = 0, TL_SM_ITEM_RULE = 1 };
enum { TL_SM_REL_OR = 0, TL_SM_REL_AND = 1 };
enum { TL_SM_INCLUDE = 0, TL_SM_EXCLUDE = 1 };

typedef struct tl_sm_item {
    uint8_t kind;     /* TL_SM_ITEM_* */
    uint8_t relation; /* aggregates: TL_SM_REL_* */
    uint16_t bucket;  /* AND sets: conjunct index (same field -> same bucket) */
    uint32_t first;   /* index of the first filter in the set's filter array */
    uint32_t count;   /* filters in the item (1 for a plain filter) */
    int line;
    const char *rule_name; /* <Rule name> as written, NULL when absent/empty */
} tl_sm_item;

/* Exact-match index of an "or" set: `is`, `is any` and `image` filters that
 * are whole items, keyed by (field, whole value or last path part). */
typedef struct tl_sm_key {
    uint64_t h;
    const char *s; /* NULL = empty slot */
    uint32_t len;
    uint32_t item; /* lowest item index with this key */
    uint16_t field;
    uint8_t tail; /* 1: key is compared with the value's last path part */
} tl_sm_key;

typedef struct tl_sm_probe {
    uint16_t field;
    uint8_t tail;
} tl_sm_probe;

typedef struct tl_sm_set {
    int kind;     /* index into tl_sm_kinds */
    int onmatch;  /* TL_SM_INCLUDE / TL_SM_EXCLUDE */
    int relation; /* the RuleGroup's relation */
    int elem_line;
    int group_line;         /* 0 for elements directly under EventFiltering */
    const char *group_name; /* "" when none */
    tl_sm_item *items;
    size_t nitems, cap_items;
    tl_sm_filter *filters;
    size_t nfilters, cap_filters;
    uint16_t nbuckets; /* AND sets: number of conjuncts */
    /* "or" sets: index (arena); items not in it are scanned in document order */
    tl_sm_key *keys; /* open addressing, key_mask + 1 slots; NULL = no index */
    uint32_t key_mask;
    tl_sm_probe *probes; /* distinct (field, tail) pairs present in keys */
    uint32_t nprobes;
    uint32_t *scan; /* indexes of the non-indexed items, ascending */
    uint32_t nscan;
} tl_sm_set;

/** FNV-1a over n bytes, seeded with the field and key kind. */
static inline uint64_t tl_sm_hash(const char *s, uint32_t n, uint16_t field, uint8_t tail)
{
    uint64_t h = 1469598103934665603ull ^ ((uint64_t)field << 1 | tail);
    for (uint32_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/** An event element of the config ("ProcessCreate") and the ids it covers. */
typedef struct tl_sm_kind {
    const char *name;
    int ids[3];
    int nids;
    int default_log; /* manifest default when the config has no element */
} tl_sm_kind;

extern const tl_sm_kind tl_sm_kinds[];
extern const size_t tl_sm_nkinds;

/** Per-id static schema data (schema 4.90). */
typedef struct tl_sm_evtype {
    int id;
    int version;
    const char *title;         /* message first line */
    const char *const *fields; /* including "RuleName" first (except 4 and 16) */
    size_t nfields;
    int kind; /* index into tl_sm_kinds, -1 when not filterable */
} tl_sm_evtype;

/** Static data for id, or NULL. */
const tl_sm_evtype *tl_sm_evtype_get(int id);
/** Global id of a field name (case-insensitive), -1 when unknown. */
int tl_sm_field_id(const char *name);
/** Canonical spelling of a field id. */
const char *tl_sm_field_name(int field);

/** Arena chunk. */
typedef struct tl_sm_chunk {
    struct tl_sm_chunk *next;
    size_t used, cap;
    /* data follows */
} tl_sm_chunk;

/** Fields one event id's sets reference, with their canonical positions. */
typedef struct tl_sm_ref {
    uint16_t field;
    int16_t pos; /* index in the raw event (no RuleName) for schema 4.90, -1 if the id lacks it */
    const char *name;
} tl_sm_ref;

struct tl_sysmon_config {
    char *schema;     /* as written */
    int schema_num;   /* 4.90 -> 490, 4.1 -> 410, 3.4 -> 340 */
    char *hashes;     /* normalised HashAlgorithms ("SHA1,MD5,SHA256,IMPHASH"), "" if absent */
    char *source;     /* file name for explain */
    tl_sm_set **sets; /* every set, document order */
    size_t nsets, cap_sets;
    /* per event id: sets to evaluate, excludes first */
    tl_sm_set **by_id[TL_SM_MAX_ID];
    uint16_t nexcl[TL_SM_MAX_ID], nincl[TL_SM_MAX_ID];
    tl_sm_ref *refs[TL_SM_MAX_ID];
    uint16_t nrefs[TL_SM_MAX_ID];
    int has_kind[TL_SM_MAX_ID]; /* an element for the id's kind exists */
    tl_sm_chunk *arena;
};

/** Schema number of the config (490 when c is NULL). */
int tl_sm_schema_num(const tl_sysmon_config *c);

/* ---- verdict memo (sysmon_filter.c) ----------------------------------------
 * tl_sysmon_filter() keeps no state; a simulator that filters many events with
 * one config keeps a memo of the verdicts of the distinct referenced values it
 * saw (one owner, not shared between threads). Same verdicts as
 * tl_sysmon_filter() on the same config, by construction (exact keys). */
typedef struct tl_sm_memo tl_sm_memo;

typedef struct tl_sm_result {
    int logged;
    const char *rule_name; /* as tl_sysmon_verdict.rule_name */
    const char *explain;   /* valid until the memo is freed when stable, else until the next call */
    int stable;
} tl_sm_result;

/** A memo for config c (borrowed, must outlive it); NULL when out of memory. */
tl_sm_memo *tl_sm_memo_new(const tl_sysmon_config *c);
/** Free; NULL is a no-op. */
void tl_sm_memo_free(tl_sm_memo *m);
/** The verdict of tl_sysmon_filter(c, ev): from the memo when ev's id and
 * referenced values were seen, else computed and kept.
 * @return TL_OK (*out written); TL_E_NOMEM (*out undefined). */
tl_status tl_sm_memo_filter(tl_sm_memo *m, const tl_sysmon_event *ev, tl_sm_result *out);

#endif /* TL_SYSMON_INT_H */
