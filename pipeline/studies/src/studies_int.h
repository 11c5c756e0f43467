/* SPDX-License-Identifier: MIT */
/*
 * Private to libtl_studies: the rule-file scanner and the mutant generator.
 */
#ifndef TL_STUDIES_INT_H
#define TL_STUDIES_INT_H

#include "tasklab/base.h"

#include <stddef.h>

#define TL_RX_MAX_ATTR 8

typedef struct tl_rx_attr {
    char name[32];
    size_t vstart, vend; /* value bytes in the file text */
} tl_rx_attr;

/* One element in a rule file (a rule or a direct child of a rule). */
typedef struct tl_rx_elem {
    char name[48];
    size_t start;    /* '<' of the open tag */
    size_t open_end; /* just after the open tag's '>' */
    size_t tstart, tend; /* content (between the tags; empty for <x/>) */
    size_t end;      /* just after the close tag's '>' */
    int line;
    tl_rx_attr attr[TL_RX_MAX_ATTR];
    size_t nattr;
} tl_rx_elem;

typedef struct tl_rx_rule {
    int id;
    int level;
    tl_rx_elem self;
    tl_rx_elem *kids; /* direct children, in file order */
    size_t nkids;
} tl_rx_rule;

typedef struct tl_rx_file {
    char *path;
    char *text;
    size_t len;
    tl_rx_rule *rules;
    size_t nrules;
    int stateful; /* a rule uses frequency, if_matched_*, same_*, ignore, ... */
} tl_rx_file;

/** Scan a rule file's text (owned by the caller, must outlive f). TL_E_PARSE with d
 * (file, line) on a structure it cannot follow; TL_E_LIMIT when nested too deep. */
tl_status tl_rx_scan(const char *path, const char *text, size_t len, tl_rx_file *f, tl_diag *d);
void tl_rx_file_clear(tl_rx_file *f);
/** Value of attribute `name` of e as a new string (tl_free), NULL when absent. */
char *tl_rx_attr_dup(const tl_rx_file *f, const tl_rx_elem *e, const char *name);
const tl_rx_attr *tl_rx_attr_find(const tl_rx_elem *e, const char *name);

/* Where a mutant can first change a run (see the skip argument in mutate.c). */
enum tl_reach { TL_REACH_TRIED = 0, TL_REACH_ALL = 1, TL_REACH_PARENTS = 2 };

typedef struct tl_mutant {
    int rule_id;
    char *name;     /* "100531: delete <field name=\"win.eventdata.commandLine\">" */
    const tl_rx_file *file;
    int line;       /* the rule's line */
    size_t cut_start, cut_end; /* replace file bytes [cut_start, cut_end) ... */
    char *repl;                /* ... with this */
    int reach;
    int *parents; /* TL_REACH_PARENTS: the rules whose match lets the mutant be tried */
    size_t nparents;
    int own; /* changes only the rule's own conditions: same place, parents, level, outputs */
    int where_holds; /* a level change: can only matter where the rule's own conditions hold */
} tl_mutant;

typedef struct tl_mutants {
    tl_mutant *v;
    size_t n, cap;
} tl_mutants;

/* What the generator needs to know about the whole ruleset. */
typedef struct tl_mutgen_ctx {
    int log_alert_level;
    const int *ar_levels; /* <active-response><level> thresholds */
    size_t n_ar_levels;
    const tl_rx_file *files; /* every loaded rule file (for parents and if_level children) */
    size_t nfiles;
} tl_mutgen_ctx;

/** Append every mutant of rule r of file f, in a fixed order. */
tl_status tl_mutgen_rule(const tl_mutgen_ctx *c, const tl_rx_file *f, const tl_rx_rule *r,
                         tl_mutants *out);
void tl_mutants_clear(tl_mutants *m);

/* threads.c: run fn(arg) on `jobs` workers (clamped to 1..64), the caller being one of
 * them; returns when all have returned. */
void tl_studies_run_threads(int jobs, void *(*fn)(void *), void *arg);

#endif /* TL_STUDIES_INT_H */
