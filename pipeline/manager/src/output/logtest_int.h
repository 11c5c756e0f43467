/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of logtest.c and rstest.c (private to libtl_manager):
 * Python-style rendering of JSON values as wazuh-logtest prints them.
 */
#ifndef TL_LOGTEST_INT_H
#define TL_LOGTEST_INT_H

#include "tasklab/base.h"

#include <cjson/cJSON.h>

/** Append Python's repr() of the string s (quote choice and escapes as
 * CPython: '...' unless s holds ' and no ", \\ \n \r \t \xNN). */
void tl_py_repr_str(tl_buf *b, const char *s);
/** Append Python's repr() of a JSON value as json.loads() would give it
 * (str, int, float, True/False/None, [..], {..}). */
void tl_py_repr(tl_buf *b, const cJSON *v);
/** Append str() of a JSON value: strings verbatim, everything else repr(). */
void tl_py_str(tl_buf *b, const cJSON *v);

#endif /* TL_LOGTEST_INT_H */
