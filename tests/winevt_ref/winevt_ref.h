/* SPDX-License-Identifier: MIT */
/*
 * The reference EventChannel converter (winevt_ref.c): the implementation the
 * product's single-pass converter replaced, kept for differential tests only.
 */
#ifndef TL_WINEVT_REF_H
#define TL_WINEVT_REF_H

#include "decode/decoder_int.h"

/** tl_winevt_convert as it was: *out_json owned by the caller (tl_free). */
tl_status tl_winevt_ref_convert(const char *payload_json, char **out_json, tl_diag *d);
/** tl_winevt_decode_event as it was (replaces ev->full_log, adds win.* fields). */
tl_status tl_winevt_ref_decode_event(tl_event *ev, tl_diag *d);

#endif /* TL_WINEVT_REF_H */
