/* SPDX-License-Identifier: MIT */
/* The report's model and renderers (private to libtl_report). */
#ifndef TL_REPORT_INT_H
#define TL_REPORT_INT_H

#include "tasklab/coverage.h"
#include "tasklab/report.h"

enum { TL_REPORT_NONE, TL_REPORT_PASS, TL_REPORT_FAIL, TL_REPORT_SKIP, TL_REPORT_ERROR };

/* One profile's own-config run of a scenario, judged as `tasklab test` does. */
typedef struct tl_report_prof {
    int ran, status;
    int expect_failed, golden_alerts_differ, golden_events_differ, golden_missing;
    char *why;      /* expectation failures + golden diff, or the error */
    char *alerts;   /* alerts.json */
    char *golden;   /* the golden alerts.json when it differs */
    char *timeline; /* pipeline.h's timeline JSON */
    size_t n_alerts, n_ge6, n_ar, n_records;
} tl_report_prof;

typedef struct tl_report_scen {
    size_t index; /* in the options' scenarios */
    char *name, *title, *description, *kind, *technique, *actor;
    char *page;
    tl_time start;
    size_t n_steps;
    int oom;
    size_t n_done; /* own-config profiles whose run was reported (on_run) */
    char *html;    /* the page, rendered by the worker that ran the scenario */
    size_t html_len;
    tl_report_prof prof[TL_COVERAGE_MAX_PROFILES];
} tl_report_scen;

void tl_report_scen_free(tl_report_scen *s);

typedef struct tl_report_view {
    const tl_report_opts *o;
    const tl_report_scen *scen; /* sorted by name */
    size_t n;
    const tl_coverage *cov;
    const void *mutate; /* cJSON object or NULL */
} tl_report_view;

void tl_report_index(const tl_report_view *v, tl_buf *out);
void tl_report_page(const tl_report_view *v, const tl_report_scen *s, tl_buf *out);

extern const char tl_report_css[];
extern const char tl_report_js[];

#endif /* TL_REPORT_INT_H */
