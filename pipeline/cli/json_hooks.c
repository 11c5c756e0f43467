/* SPDX-License-Identifier: MIT */
/* Route cJSON's allocations through tasklab's allocator (style.md §6). */
#include "cli.h"

#include <cjson/cJSON.h>

void tl_cli_init_json(void)
{
    cJSON_Hooks h = {tl_malloc, tl_free};
    cJSON_InitHooks(&h);
}
