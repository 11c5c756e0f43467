/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the Sysmon configuration loader: any byte string must load
 * or fail with a diagnostic (never crash, never leak). A config that loads is
 * exercised further: a few fixed events of every rendered type go through the
 * filter and the renderer, whose output must be one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasklab/sysmon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const tl_evfield f1[] = {
    {"UtcTime", "2025-01-15 10:00:00.120"},
    {"ProcessGuid", "{1f2e3d4c-8a60-6787-1a00-000000000700}"},
    {"ProcessId", "4120"},
    {"Image", "C:\\Windows\\System32\\schtasks.exe"},
    {"OriginalFileName", "schtasks.exe"},
    {"CommandLine", "schtasks /create /tn x /tr \"C:\\a b\\c.exe\" /sc onlogon"},
    {"User", "WS01\\alice"},
    {"ParentImage", "C:\\Windows\\System32\\cmd.exe"},
    {"ParentCommandLine", "cmd.exe"},
    {"ParentUser", "WS01\\alice"},
};
static const tl_evfield f12[] = {
    {"EventType", "CreateKey"},
    {"UtcTime", "2025-01-15 10:00:00.120"},
    {"ProcessGuid", "{1f2e3d4c-8a60-6787-1a00-000000000700}"},
    {"ProcessId", "1188"},
    {"Image", "C:\\Windows\\system32\\svchost.exe"},
    {"TargetObject", "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache"
                     "\\Tree\\x"},
    {"User", "NT AUTHORITY\\SYSTEM"},
};
static const tl_evfield f13[] = {
    {"EventType", "SetValue"},
    {"Image", "C:\\Windows\\system32\\reg.exe"},
    {"TargetObject", "HKLM\\SOFTWARE\\x\\Index"},
    {"Details", "DWORD (0x00000000)"},
};
static const tl_evfield f11[] = {
    {"Image", "C:\\Windows\\system32\\svchost.exe"},
    {"TargetFilename", "C:\\Windows\\System32\\Tasks\\x"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_sysmon_config *c = NULL;
    tl_diag d;
    if (tl_sysmon_config_load_mem((const char *)data, size, "fuzz.xml", &c, &d) != TL_OK)
        return 0;
    const tl_sysmon_event evs[] = {
        {1, f1, sizeof f1 / sizeof f1[0]},     {12, f12, sizeof f12 / sizeof f12[0]},
        {13, f13, sizeof f13 / sizeof f13[0]}, {14, f12, sizeof f12 / sizeof f12[0]},
        {11, f11, sizeof f11 / sizeof f11[0]}, {7, f11, sizeof f11 / sizeof f11[0]},
        {22, f11, sizeof f11 / sizeof f11[0]}, {4, f11, sizeof f11 / sizeof f11[0]},
    };
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        tl_sysmon_verdict v;
        tl_sysmon_filter(c, &evs[i], &v);
        if (!v.rule_name || strlen(v.explain) >= sizeof v.explain)
            abort();
        tl_winevt_system sys;
        tl_sysmon_system_defaults(evs[i].id, &sys);
        tl_buf_reset(&x);
        tl_buf_reset(&m);
        if (tl_sysmon_render(c, &evs[i], v.rule_name, &sys, &x, &m) == TL_OK &&
            strchr(tl_buf_cstr(&x), '\n'))
            abort();
    }
    tl_buf_free(&x);
    tl_buf_free(&m);
    (void)tl_sysmon_config_schema(c);
    (void)tl_sysmon_config_hashes(c);
    tl_sysmon_config_free(c);
    return 0;
}
