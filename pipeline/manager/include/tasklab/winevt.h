/* SPDX-License-Identifier: MIT */
/*
 * The manager's eventchannel conversion on its own (wazuh.md §3): the agent's
 * {"Message":…,"Event":"<Event…>"} payload becomes analysisd's {"win":{…}}
 * JSON. Used by benchmarks and tools that want pre-converted events.
 */
#ifndef TL_WINEVT_H
#define TL_WINEVT_H

#include "tasklab/base.h"

/** Convert one payload. *out_json is owned by the caller (tl_free). A
 * malformed payload is TL_E_PARSE with d->msg as analysisd words it. */
tl_status tl_winevt_convert(const char *payload_json, char **out_json, tl_diag *d);

#endif /* TL_WINEVT_H */
