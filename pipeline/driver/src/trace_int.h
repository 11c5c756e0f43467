/* SPDX-License-Identifier: MIT */
/* Helpers for the explain trace (private to libtl_pipeline). */
#ifndef TL_TRACE_INT_H
#define TL_TRACE_INT_H

#include "tasklab/base.h"
#include "tasklab/sysmon.h"

typedef enum { TL_C_RESET, TL_C_BOLD, TL_C_CYAN, TL_C_YELLOW, TL_C_RED, TL_C_GREEN, TL_C_DIM } tl_trace_color_t;

/** ANSI code for c when on, else "". Static string. */
const char *tl_trace_color(int on, tl_trace_color_t c);
/** Append a one-line description of the step run at execution index i. */
void tl_trace_describe_step(const char *scenario_path, size_t exec_index, tl_buf *out);
/* What one event record is about, from its XML: the image and command line of
 * Event 1, the file of Event 11, the key of Events 12-14, the task of the
 * Security/TaskScheduler events ("" when none of these fields is there). */
void tl_trace_record_summary(const char *xml, tl_buf *out);
/* The same for a Sysmon event the config dropped: its id and data fields
 * (borrowed; the event was never rendered). */
void tl_trace_fields_summary(int id, const tl_evfield *f, size_t n, tl_buf *out);
/** Append what a command step printed on the console and its exit code,
 * indented under the step. */
void tl_trace_console(const char *output, int exit_code, tl_buf *out);
/** Append the alert's decoder and decoded fields (flattened, message left out):
 * values cut at 160 bytes and 40 lines unless verbose. */
void tl_trace_decoded_fields(const char *alert_json, const char *indent, int verbose, tl_buf *out);

#endif /* TL_TRACE_INT_H */
