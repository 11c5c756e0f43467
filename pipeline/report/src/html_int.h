/* SPDX-License-Identifier: MIT */
/* HTML building blocks of the report (private to libtl_report). */
#ifndef TL_HTML_INT_H
#define TL_HTML_INT_H

#include "tasklab/base.h"

/** Append s HTML-escaped (text and attribute values alike: & < > " ' escaped;
 * invalid UTF-8 and control characters other than tab and newline become
 * U+FFFD, so hostile scenario content renders as text and validates). */
void tl_html_esc(tl_buf *b, const char *s);
void tl_html_escn(tl_buf *b, const char *s, size_t n);
/** tl_html_esc of a printf-formatted string. */
void tl_html_escf(tl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** Append the unescaped value of <Data Name='name'>…</Data> of a one-line event
 * record; 0 when absent. */
int tl_html_data_field(const char *xml, const char *name, tl_buf *out);
/** Append "<pre>" + s escaped + "</pre>". */
void tl_html_pre(tl_buf *b, const char *cls, const char *s);

#endif /* TL_HTML_INT_H */
