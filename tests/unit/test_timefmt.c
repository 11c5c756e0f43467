/* SPDX-License-Identifier: MIT */
/*
 * tl_time_fmt_sysmon and tl_time_fmt_systemtime write their digits without
 * printf (they run twice per logged record: the soak logs ~50,000 per run):
 * checked against the printf formats they replaced over 1970-2100 in steps
 * that reach every field's range (leap days, month and year ends, every
 * microsecond digit).
 */
#include "tasklab/base.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void check(tl_time t)
{
    int y, mo, d, h, mi, s, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    char want[64], got[32];
    snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d.%03d", y, mo, d, h, mi, s,
             us / 1000);
    tl_time_fmt_sysmon(t, got);
    if (strcmp(want, got))
        fail_msg("sysmon %lld: want %s, got %s", (long long)t, want, got);
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06d0Z", y, mo, d, h, mi, s, us);
    tl_time_fmt_systemtime(t, got);
    if (strcmp(want, got))
        fail_msg("systemtime %lld: want %s, got %s", (long long)t, want, got);
}

static void test_timefmt_equals_printf(void **state)
{
    (void)state;
    const tl_time end = tl_time_from_civil(2100, 12, 31, 23, 59, 59) * TL_USEC_PER_SEC;
    /* a step coprime with every field's period: hours, minutes, seconds and
     * microseconds all take many values */
    for (tl_time t = 0; t < end; t += (tl_time)86400 * TL_USEC_PER_SEC / 7 + 3600000007LL)
        check(t);
    /* around every month end of a leap and a common year, and the epoch */
    for (int y = 2023; y <= 2024; y++)
        for (int m = 1; m <= 12; m++) {
            tl_time t = tl_time_from_civil(y, m, 1, 0, 0, 0) * TL_USEC_PER_SEC;
            for (tl_time dt = -2000001; dt <= 2000001; dt += 999999)
                check(t + dt);
        }
    check(0);
    check(999999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timefmt_equals_printf),
    };
    return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
