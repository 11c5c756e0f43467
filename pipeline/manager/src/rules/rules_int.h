/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the manager's rule engine: the os_xml-compatible
 * reader, compiled rules (one tl_rule per <rule>), the rule tree, CDB-style
 * lists, active-response commands and bindings, and the per-run engine
 * state. Used by libtl_manager, logtest/ruleset-test front ends and tests.
 *
 * Invariants:
 *  - A tl_ruleset is immutable after tl_ruleset_load; everything that changes
 *    while events flow (firedtimes, ignore timers, if_matched_* memory, the
 *    alerts.json byte offset) lives in tl_engine, indexed by tl_rule.idx.
 *  - The rule tree is stored as per-rule child arrays. analysisd keeps one
 *    child list per tree node, but every node of a rule receives the same
 *    children (children are only ever attached to rules loaded earlier), so a
 *    per-rule list walks identically and is cheaper.
 *  - Children are kept in Wazuh's sibling order: inserted before the first
 *    sibling with a strictly lower internal level (tl_rule.ilevel), so level-0
 *    rules come first in load order, then levels descending, ties in load order.
 */
#ifndef TL_RULES_INT_H
#define TL_RULES_INT_H

#include "tasklab/manager.h"

#include "decode/decoder_int.h"
#include "decode/event_int.h"
#include "rules/expr_int.h"

#include <stdint.h>
#include <stdio.h>

/* ---- os_xml-compatible reader (rules_xml.c) ----------------------------- */

typedef struct tl_osxml_node {
    char *name;
    char **attr_name;
    char **attr_val;
    size_t nattr;
    char *content; /* verbatim text (never NULL after a successful parse) */
    int line;
    struct tl_osxml_node **children;
    size_t nchildren, capchildren;
} tl_osxml_node;

/** Parse os_xml text into a nameless root node whose children are the file's
 * root elements, with root-level <var> elements applied and removed. On error
 * fills d (file, line, "XMLERR: ...") and returns TL_E_PARSE. *out owned by
 * the caller (tl_osxml_free). */
tl_status tl_osxml_parse(const char *data, size_t len, const char *file, tl_osxml_node **out,
                         tl_diag *d);
void tl_osxml_free(tl_osxml_node *n);
/** Attribute value or NULL (exact name). Borrowed. */
const char *tl_osxml_attr(const tl_osxml_node *n, const char *name);
/* Earlier names of the reader, still used by decoders.c. (libtl_ar has its
 * own tl_xml_parse for task XML; the linked names here are tl_osxml_*.) */
#define tl_xnode tl_osxml_node
#define tl_xml_parse tl_osxml_parse
#define tl_xnode_free tl_osxml_free
#define tl_xnode_attr tl_osxml_attr

/* ---- IP lists (srcip/dstip, white_list) ---------------------------------- */

typedef struct tl_cidr {
    int v6;
    uint8_t addr[16];
    int prefix; /* bits */
} tl_cidr;

typedef struct tl_iplist {
    tl_cidr *v;
    size_t n;
    int negate; /* "!" before the element value */
} tl_iplist;

/** Parse one address or CIDR ("10.0.0.0/8", "10.0.0.0/255.0.0.0", "::1",
 * "!1.2.3.4"); appends to l. 0 on success, -1 when invalid. */
int tl_iplist_add(tl_iplist *l, const char *s);
/** 1 when ip (text) is inside any entry (negate NOT applied). */
int tl_iplist_contains(const tl_iplist *l, const char *ip);
void tl_iplist_clear(tl_iplist *l);

/* ---- CDB lists (lists.c) ------------------------------------------------ */

typedef struct tl_list {
    char *path;  /* as named in ossec.conf / the rule ("etc/lists/audit-keys") */
    char **keys; /* sorted (strcmp) */
    char **vals;
    size_t n;
} tl_list;

typedef enum tl_list_lookup {
    TL_LIST_MATCH_KEY = 0,
    TL_LIST_NOT_MATCH_KEY,
    TL_LIST_MATCH_KEY_VALUE,
    TL_LIST_ADDRESS_MATCH_KEY,
    TL_LIST_NOT_ADDRESS_MATCH_KEY,
    TL_LIST_ADDRESS_MATCH_KEY_VALUE
} tl_list_lookup;

/** Load a text list ("key:value" or "key" per line; "#"-less, as Wazuh's
 * make_cdb input). Keys may be quoted with '"' to contain ':'. */
tl_status tl_list_load(const char *path, const char *name, tl_list **out, tl_diag *d);
void tl_list_free(tl_list *l);
/** Value for key (borrowed) or NULL. */
const char *tl_list_get(const tl_list *l, const char *key);
/** Evaluate a rule <list> lookup on `value` (NULL = field missing -> 0). */
int tl_list_check(const tl_list *l, tl_list_lookup lk, const tl_expr *check_value,
                  const char *value);

/* ---- active response (conf.c, ar_bind.c) -------------------------------- */

typedef struct tl_ar_command {
    char *name;
    char *executable;
    char *extra_args; /* NULL or the configured text */
    int timeout_allowed;
} tl_ar_command;

#define TL_AR_LOC_LOCAL 1
#define TL_AR_LOC_SERVER 2
#define TL_AR_LOC_DEFINED 4
#define TL_AR_LOC_ALL 8

typedef struct tl_ar_binding {
    char *name; /* "<command><timeout>" */
    const tl_ar_command *cmd;
    int location;         /* TL_AR_LOC_* bits */
    const char *loc_name; /* "local", "server", "defined-agent", "all" */
    char *agent_id;       /* defined-agent */
    char *rules_id;       /* comma list or NULL */
    char *rules_group;    /* OS_Regex text or NULL */
    tl_osregex *group_re; /* compiled rules_group */
    int level;            /* -1 when unset */
    int timeout;
    int repeated_offenders_set;
} tl_ar_binding;

/* ---- rules --------------------------------------------------------------- */

/* <options> */
#define TL_OPT_ALERT_BY_EMAIL 0x01
#define TL_OPT_NO_EMAIL_ALERT 0x02
#define TL_OPT_LOG_ALERT 0x04
#define TL_OPT_NO_LOG 0x08
#define TL_OPT_NO_AR 0x10
#define TL_OPT_NO_FULL_LOG 0x20
#define TL_OPT_NO_COUNTER 0x40

/* context (same_* / different_*) */
enum {
    TL_CTX_SAME_SRCIP = 1u << 0,
    TL_CTX_SAME_DSTIP = 1u << 1,
    TL_CTX_SAME_SRCPORT = 1u << 2,
    TL_CTX_SAME_DSTPORT = 1u << 3,
    TL_CTX_SAME_PROTOCOL = 1u << 4,
    TL_CTX_SAME_ACTION = 1u << 5,
    TL_CTX_SAME_ID = 1u << 6,
    TL_CTX_SAME_URL = 1u << 7,
    TL_CTX_SAME_DATA = 1u << 8,
    TL_CTX_SAME_EXTRA_DATA = 1u << 9,
    TL_CTX_SAME_STATUS = 1u << 10,
    TL_CTX_SAME_SYSTEMNAME = 1u << 11,
    TL_CTX_SAME_SRCUSER = 1u << 12,
    TL_CTX_SAME_DSTUSER = 1u << 13,
    TL_CTX_SAME_LOCATION = 1u << 14,
    TL_CTX_SAME_AGENT = 1u << 15,
    TL_CTX_DIFF_SRCIP = 1u << 16,
    TL_CTX_DIFF_DSTIP = 1u << 17,
    TL_CTX_DIFF_SRCPORT = 1u << 18,
    TL_CTX_DIFF_DSTPORT = 1u << 19,
    TL_CTX_DIFF_PROTOCOL = 1u << 20,
    TL_CTX_DIFF_ACTION = 1u << 21,
    TL_CTX_DIFF_ID = 1u << 22,
    TL_CTX_DIFF_URL = 1u << 23,
    TL_CTX_DIFF_DATA = 1u << 24,
    TL_CTX_DIFF_EXTRA_DATA = 1u << 25,
    TL_CTX_DIFF_STATUS = 1u << 26,
    TL_CTX_DIFF_SYSTEMNAME = 1u << 27,
    TL_CTX_DIFF_SRCUSER = 1u << 28,
    TL_CTX_DIFF_DSTUSER = 1u << 29,
    TL_CTX_DIFF_LOCATION = 1u << 30,
    TL_CTX_GLOBAL_FREQUENCY = 1u << 31
};

typedef struct tl_rule_field {
    char *name;
    size_t fid; /* interned name (tl_ruleset.fnames), for the per-event lookup cache */
    tl_expr *e;
    int has_need;        /* e needs a literal in the value (set by tl_rules_tree_index) */
    tl_pair_bloom need;  /* that literal's pair summary */
} tl_rule_field;

typedef struct tl_rule_list {
    char *field;  /* field name as written */
    int stat_idx; /* static field index, -1 for dynamic */
    tl_list_lookup lookup;
    tl_expr *check_value; /* OS_Regex on the list value, or NULL */
    char *path;
    const tl_list *list; /* NULL when the list could not be loaded */
} tl_rule_list;

/* One condition slot; the engine walks these in analysisd's order. */
/* The <compiled_rule> functions 4.14.7 registers (wazuh.md §5.3). */
enum {
    TL_COMPILED_NONE = 0,
    TL_COMPILED_CHECK_ID_SIZE,
    TL_COMPILED_COMP_SRCUSER_DSTUSER,
    TL_COMPILED_COMP_MSWIN_TARGETUSER_CALLERUSER_DIFF,
    TL_COMPILED_IS_SIMPLE_HTTP_REQUEST,
    TL_COMPILED_IS_VALID_CRAWLER
};

/* Children of one rule as the walk needs them for an event: those whose
 * decoded_as / program_name can pass, in sibling order. Built by
 * tl_rules_tree_index; ids are tl_decoder_set ids (slot 0: no decoder or a
 * decoder no child names; nnames + 1: windows_eventchannel). */
typedef struct tl_vidx tl_vidx;
typedef struct tl_kids {
    struct tl_rule **v;
    size_t n;
    tl_vidx *vx; /* value-keyed sublists of v (NULL when not worth it) */
} tl_kids;
/* A list of children split on the value of one field (rules_tree.c): a child
 * with an OS_Regex <field> that can only match a few exact values
 * (^4698$|^4699$) is kept only in the sublists of those values, in sibling
 * order with the unkeyed children; `other` (the unkeyed children alone) is
 * for an event whose value is none of them or that lacks the field. */
typedef struct tl_vkey {
    char *val; /* ASCII lower case (OS_Regex literals ignore case) */
    size_t len;
    tl_kids kids;
} tl_vkey;
struct tl_vidx {
    size_t fid; /* the keyed field */
    tl_kids other;
    tl_vkey *keys;
    size_t nkeys, maxlen;
    uint32_t *tab; /* open addressing on the folded value: key index + 1, 0 = empty */
    size_t mask;
};
/** The children of L to try when the keyed field of L->vx has value v
 * (NULL: missing); L itself when L has no value index. */
const tl_kids *tl_vidx_pick(const tl_kids *L, const char *v);
typedef struct tl_kidx {
    size_t nslots;
    uint16_t *slot;  /* decoder slot -> pair index (0: the generic pair) */
    tl_kids *lists;  /* pair k: [2k] event without program_name, [2k+1] with one */
    size_t npairs;
} tl_kidx;

typedef enum tl_cond {
    TL_C_DECODED_AS = 0,
    TL_C_PROGRAM_NAME,
    TL_C_ID,
    TL_C_SYSTEM_NAME,
    TL_C_PROTOCOL,
    TL_C_MATCH,
    TL_C_REGEX,
    TL_C_ACTION,
    TL_C_URL,
    TL_C_LOCATION,
    TL_C_FIELD,
    TL_C_SRCIP,
    TL_C_DSTIP,
    TL_C_SRCPORT,
    TL_C_DSTPORT,
    TL_C_COMPILED,
    TL_C_USER,
    TL_C_SRCGEOIP,
    TL_C_DSTGEOIP,
    TL_C_MAXSIZE,
    TL_C_TIME,
    TL_C_WEEKDAY,
    TL_C_DATA,
    TL_C_EXTRA_DATA,
    TL_C_HOSTNAME,
    TL_C_STATUS,
    TL_C_CHECK_DIFF,
    TL_C_IF_FTS,
    TL_C_LIST,
    TL_C_CONTEXT,
    TL_C_COUNT
} tl_cond;

/** Name of a condition for traces ("decoded_as", "field", ...). */
const char *tl_cond_name(tl_cond c);

typedef struct tl_rule {
    int id;
    char id_str[12];
    int level;  /* 0..16 as written */
    int ilevel; /* sibling-order key: (level ? level : 99) * (accuracy ? 100 : 1) */
    int accuracy;
    int noalert;
    int maxsize;
    int frequency; /* as written (0 = none); analysisd stores frequency - 2 */
    int timeframe; /* seconds */
    int ignore_time;
    int overwrite;

    int has_category;
    tl_category category;
    char *decoded_as;
    int decoded_as_id;             /* tl_decoder_set_id of decoded_as (0 = unknown) */
    const char *decoded_as_id_src; /* the decoded_as string the id was computed for */

    /* expression conditions (NULL = absent) */
    tl_expr *program_name, *id_e, *system_name, *protocol, *match, *regex, *action, *url, *location,
        *srcport, *dstport, *user, *srcgeoip, *dstgeoip, *data, *extra_data, *hostname, *status;
    tl_rule_field *fields;
    size_t nfields;
    tl_iplist *srcip, *dstip;
    int has_time, time_neg, time_start, time_end; /* minutes since midnight, [start,end) */
    int weekdays;                                 /* bit 0 = Sunday; 0 = unset */
    tl_rule_list *lists;
    size_t nlists;
    char *missing_list; /* first <list> path ossec.conf did not register (7616) */
    int check_diff, if_fts;
    int compiled; /* <compiled_rule>: a TL_COMPILED_* function, 0 none */

    /* tree */
    char *if_sid;   /* as written (concatenated) */
    char *if_group; /* OS_WordMatch pattern */
    int if_level;   /* 0 = unset */
    int *matched_sids;
    size_t nmatched_sids;
    char *if_matched_sid;
    char *if_matched_group;
    tl_osmatch *if_matched_group_m;
    tl_expr *if_matched_regex;
    int ctx_off; /* an overwrite without if_matched_*: context 0, the kept search
                    lists and frequency no longer apply (wazuh.md §5.2) */
    unsigned ctx; /* TL_CTX_* */
    int ctx_geo;  /* same_/different_ src/dst geoip: no GeoIP data here, never satisfied */
    int ctx_not_same_agent; /* <not_same_agent/>: only events of other agents count */
    char **same_fields, **different_fields;
    size_t nsame_fields, ndifferent_fields;
    char **ignore_fields, **ckignore_fields; /* <ignore>, <check_if_ignored> */
    size_t nignore_fields, nckignore_fields;

    /* output */
    char *description;
    char *groups; /* group string: wrapper name + each <group> appended */
    char **mitre_ids;
    size_t nmitre;
    char *info;
    char *cve;
    unsigned options; /* TL_OPT_* */

    char *file;
    int line;

    /* tree links */
    struct tl_rule **children;
    size_t nchildren, capchildren;
    int in_tree;
    struct tl_kidx *kidx; /* decoder-indexed children (rules_tree.c), NULL when not worth it */
    /* The indexed walk's log prefilter (rules_tree.c tl_rules_tree_index),
     * set when the rule has <match> or <regex> (so it needs a log): the
     * log's first byte must be in lpf_first (when lpf_has_first), and the
     * log's fingerprint, when built, must not refute lpf_fp[0] (<match>) or
     * lpf_fp[1] (<regex>) (NULL: not refutable). */
    unsigned char lpf;
    unsigned char lpf_has_first;
    unsigned char lpf_first[32];
    const tl_expr *lpf_fp[2];

    /* bindings */
    const tl_ar_binding **ars;
    size_t nars;

    /* engine indices */
    size_t idx;           /* load order index; engine state slot */
    int stores_events;    /* some rule's if_matched_sid names this rule */
    size_t *feeds_groups; /* if_matched_group lists (rule idx of the consumer) */
    size_t nfeeds_groups;
} tl_rule;

struct tl_ruleset {
    tl_decoder_set *ds; /* owned */
    tl_rule **rules;    /* load order (including rules that are not in the tree) */
    size_t nrules, caprules;
    tl_rule **top; /* top-level siblings */
    size_t ntop, captop;

    tl_list **lists;
    size_t nlists;

    tl_ar_command *cmds;
    size_t ncmds;
    tl_ar_binding *ars;
    size_t nars;

    int log_alert_level;
    int email_alert_level;
    char *node_name;     /* <cluster><node_name>, NULL when unset */
    char **mitre_warned; /* unknown MITRE ids already warned about */
    char **fnames;       /* distinct <field> names (case-insensitive), indexed by fid */
    size_t nfnames;
    size_t *fhash; /* open addressing by lowercased name hash: (fid+1, hash) pairs, 0 = empty */
    size_t fhash_mask;
    size_t *idhash; /* open addressing by rule id: rules[] index + 1, 0 = empty */
    size_t idhash_mask;
    size_t nmitre_warned;
    tl_iplist white_list;
    int max_timeframe;
    int uses_matched_regex;

    tl_warn_fn warn;
    void *warn_ctx;
};

/* rules.c */
/** Load one rule file into rs (appending to the tree). Fatal problems return
 * TL_E_RULE/TL_E_PARSE/TL_E_REGEX with d set; warnings go to rs->warn. */
tl_status tl_rules_load_file(tl_ruleset *rs, const char *path, const char *base_dir, tl_diag *d);
/** Intern a field name (case-insensitive); *fid receives its index. */
tl_status tl_ruleset_field_id(tl_ruleset *rs, const char *name, size_t *fid);
/** Comparisons made by the rule loader's lookups (rule by id, field name
 * interning, sorted sibling insertion): a test counter that shows the loading
 * work grows n log n, not n squared. Not thread-safe; tests only read it. */
extern unsigned long long tl_rules_load_cmps;
/** Build rs->fhash (after the last rule file). */
tl_status tl_ruleset_index_fields(tl_ruleset *rs);
/** ASCII case-insensitive compare (no locale). */
int tl_ascii_casecmp(const char *a, const char *b);
/** fid of an event field name, or (size_t)-1 when no rule uses it. */
size_t tl_ruleset_lookup_fid(const tl_ruleset *rs, const char *name);
/** Same as tl_rules_load_file on text held in memory (`path` names it in messages). */
tl_status tl_rules_load_buffer(tl_ruleset *rs, const char *path, const char *data, size_t len,
                               const char *base_dir, tl_diag *d);
/** An empty ruleset (decoder set with the built-ins only, default alert
 * levels) for building one piece by piece: load decoders into rs->ds, rule
 * buffers/files, then tl_ruleset_finish. */
tl_status tl_ruleset_new_empty(tl_ruleset **out);
/** Link if_matched_*, index field names and bind ARs (tl_ruleset_load does it). */
tl_status tl_ruleset_finish(tl_ruleset *rs, tl_diag *d);
/** Find a loaded rule by id (NULL if none). */
tl_rule *tl_ruleset_find(const tl_ruleset *rs, int id);
void tl_rule_free(tl_rule *r);
void tl_ruleset_warnf(const tl_ruleset *rs, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* rules_tree.c */
/** Attach a freshly loaded rule to the tree (if_sid/if_level/if_group/category). */
tl_status tl_rules_tree_add(tl_ruleset *rs, tl_rule *r);
/** Wazuh OS_WordMatch: case-insensitive substring with '|' alternatives and '^' prefix. */
int tl_word_match(const char *pattern, const char *str);
/** After all files: link if_matched_sid / if_matched_group producers. */
tl_status tl_rules_tree_finish(tl_ruleset *rs, tl_diag *d);
/** (Re)build every rule's decoder-indexed children (call after any change
 * to the tree or to a rule's decoded_as / program_name). */
tl_status tl_rules_tree_index(tl_ruleset *rs);
void tl_kidx_free(tl_kidx *k);
/** The decoder slot of tl_kidx for a decoder id. */
size_t tl_kidx_slot_of(const tl_ruleset *rs, int decoder_id);
/** Print the tree (for debugging / tests): "id(level)" with indentation. */
void tl_rules_tree_dump(const tl_ruleset *rs, tl_buf *out);

/* conf.c */
typedef struct tl_conf {
    char **rule_dirs, **decoder_dirs, **rule_files, **decoder_files, **rule_excludes,
        **decoder_excludes, **lists;
    size_t nrule_dirs, ndecoder_dirs, nrule_files, ndecoder_files, nrule_excludes,
        ndecoder_excludes, nlists;
    int log_alert_level, email_alert_level; /* -1 unset */
    int jsonout, alerts_log;
    int has_ruleset; /* the file had a <ruleset> block */
    char *node_name;
} tl_conf;
/** Read ossec.conf (every <ossec_config> block) into c and rs (commands, ARs,
 * white_list, alert levels). Relative paths are kept as written. */
tl_status tl_conf_load(const char *path, tl_conf *c, tl_ruleset *rs, tl_diag *d);
void tl_conf_clear(tl_conf *c);

/* ar_bind.c */
/** Bind every <active-response> to matching rules (wazuh.md §11.1). */
tl_status tl_ar_bind_all(tl_ruleset *rs, tl_diag *d);
/** Build the analysisd->agent AR JSON message into out. */
void tl_ar_build_message(const tl_ar_binding *ar, const char *node_name, const char *alert_json,
                         tl_buf *out);

/* ---- engine internals ----------------------------------------------------- */

/* A copy of an event kept for if_matched_* searches (refcounted: one event
 * can sit in several lists). */
typedef struct tl_stored_event tl_stored_event;
struct tl_stored_event {
    int refs;
    int matched;
    int64_t sec;
    char *agent_id;
    char *location;
    char *log;
    char *full_log;
    char *stat[TL_SF_COUNT];
    tl_field *fields;
    size_t nfields;
};

typedef struct tl_event_list {
    tl_stored_event **v;
    size_t head, n, cap; /* ring buffer, oldest at head */
} tl_event_list;

typedef struct tl_ignore_entry {
    char **vals;
    size_t n;
} tl_ignore_entry;

typedef struct tl_rule_state {
    long firedtimes;
    int64_t time_ignored;       /* seconds; 0 = never */
    tl_event_list sid_events;   /* events that fired this rule (if_matched_sid memory) */
    tl_event_list group_events; /* for a consumer of if_matched_group */
    tl_ignore_entry *ignored;
    size_t nignored;
} tl_rule_state;

struct tl_engine {
    const tl_ruleset *rs;
    char *manager_name;
    char *node_name;
    tl_rule_state *st;
    tl_event_list last_events; /* for if_matched_regex */
    int64_t alert_offset;      /* bytes of alerts.json written so far */

    tl_engine_trace_fn trace;
    void *trace_ctx;

    /* per-event dynamic-field lookup cache, indexed by fid */
    const char **fcache;
    uint32_t *fgen;
    uint32_t gen;
    /* pair summaries of the values, computed when a condition first needs one */
    tl_pair_bloom *fbloom;
    uint32_t *fbgen;

    /* per-event scratch (valid until the next process call) */
    tl_event ev;
    int have_ev;
    const tl_rule *matched;
    tl_buf alert;
    tl_buf desc;
    tl_buf *ar_msgs;
    tl_ar_request *ar_reqs;
    size_t nar, capar;
    char *ar_agent_ids;
    tl_stored_event **ctx_prev; /* events used by the last context match */
    size_t nctx_prev, capctx_prev;
    const tl_rule *ctx_rule;
};

/** Build the alert JSON for the engine's current event and matched rule. */
tl_status tl_alert_build(tl_engine *e, const tl_rule *r, long firedtimes, const char *description,
                         tl_buf *out);
/** MITRE technique lookup: name and tactics (NULL-terminated), or 0 if unknown. */
int tl_mitre_lookup(const char *id, const char **technique, const char *const **tactics);
/** Expand $(field) in a rule description (wazuh.md §9) into out. */
void tl_description_expand(const char *desc, const tl_event *ev, tl_buf *out);

/** Append, after a failed condition named as the trace names it ("field X",
 * "match", "decoded_as", ...), what it checked and the value it saw:
 * " (osregex '^12$' vs value '13')". Values and patterns longer than clip
 * bytes are cut with "..." (clip 0: whole). Nothing for other conditions. */
void tl_rule_failure_detail(const tl_event *ev, const tl_rule *r, const char *failed, size_t clip,
                            tl_buf *out);
/** "syslog", "ossec", ... (a decoder's type, a top-level rule's category). */
const char *tl_category_name(tl_category c);

/* Accessors for logtest / ruleset-test (valid until the next process call). */
/** Walk the tree for the engine's current event (no side effects beyond the
 * context marks and check_diff/if_fts memory). */
const tl_rule *tl_engine_walk(tl_engine *e);
/** The event of the last tl_engine_process call (NULL before the first). */
const tl_event *tl_engine_event(const tl_engine *e);
/** The rule the last walk returned (NULL when none). */
const tl_rule *tl_engine_matched_rule(const tl_engine *e);
/** Previous events that satisfied the matched context rule, newest first. */
size_t tl_engine_prev_count(const tl_engine *e);
const char *tl_engine_prev_full_log(const tl_engine *e, size_t i);

#endif /* TL_RULES_INT_H */
