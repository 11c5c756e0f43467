/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the pre-decoder (OS_CleanMSG, wazuh.md §2). The input is one
 * queue message "q:location:log" (NUL bytes end it, as a C string would).
 * Either it is refused with TL_E_PARSE, or every pointer it sets is inside its
 * own strings: log inside full_log (or the ASL copy), a program name of
 * hostname_map characters only (but for macOS ASL's [Sender X]). Crashes, leaks and sanitizer reports are findings.
 */
#include "decode/decoder_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int host_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '@' || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    tl_event ev;
    tl_event_init(&ev);
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_predecode(line, "mgr", 0, &ev, &d);
    if (st == TL_OK) {
        if (!ev.full_log || !ev.log || !ev.hostname || !ev.agent_id || !ev.location)
            abort();
        size_t fl = strlen(ev.full_log);
        int in_full = ev.log >= ev.full_log && ev.log <= ev.full_log + fl;
        int in_buf = ev.log_buf && ev.log == ev.log_buf;
        if (!in_full && !in_buf)
            abort();
        /* formats 1-5 take hostname_map characters only; macOS ASL's
         * [Sender X] takes X up to its ']' (wazuh.md §2.4) */
        if (ev.program_name && ev.full_log[0] != '[')
            for (const char *p = ev.program_name; *p; p++)
                if (!host_char(*p))
                    abort();
        if (ev.dec_timestamp && strlen(ev.dec_timestamp) > fl)
            abort();
        tl_event_clear(&ev);
    } else if (st != TL_E_PARSE && st != TL_E_NOMEM && st != TL_E_INVAL) {
        abort();
    }
    free(line);
    return 0;
}
