/* SPDX-License-Identifier: MIT */
/*
 * Virtual-clock time formats. tasklab never reads the wall clock: every time
 * is a tl_time (microseconds since the Unix epoch, UTC) derived from a
 * scenario's `start` and its step offsets. Civil conversion uses Howard
 * Hinnant's days-from-civil algorithm (public domain arithmetic), so no
 * dependence on the host's time zone or libc's gmtime.
 *
 * Worked example: 2022-04-13T11:59:41.5535365Z parses to 1649851181553536 us
 * (the 100 ns digit is dropped) and prints back as "...41.5535360Z".
 */
#include "tasklab/base.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t tl_time_from_civil(int y, int m, int d, int hh, int mm, int ss)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hh * 3600 + mm * 60 + ss;
}

void tl_time_civil(tl_time t, int *year, int *mon, int *day, int *hour, int *min, int *sec,
                   int *usec)
{
    int64_t secs = t / TL_USEC_PER_SEC;
    int64_t us = t % TL_USEC_PER_SEC;
    if (us < 0) {
        us += TL_USEC_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    *year = (int)(y + (m <= 2));
    *mon = (int)m;
    *day = (int)d;
    *hour = (int)(rem / 3600);
    *min = (int)(rem % 3600 / 60);
    *sec = (int)(rem % 60);
    *usec = (int)us;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return 0;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 1;
}

tl_status tl_time_parse_iso(const char *s, tl_time *out)
{
    int y, mo, d, h, mi, se;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
        return TL_E_PARSE;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
        !digits(&p, 2, &se))
        return TL_E_PARSE;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || se > 59)
        return TL_E_PARSE;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return TL_E_PARSE;
    int64_t us = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        int64_t scale = 100000;
        while (isdigit((unsigned char)*p)) {
            if (n < 6) {
                us += (*p - '0') * scale;
                scale /= 10;
            }
            n++;
            p++;
        }
        if (!n)
            return TL_E_PARSE;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return TL_E_PARSE;
    *out = tl_time_from_civil(y, mo, d, h, mi, se) * TL_USEC_PER_SEC + us;
    return TL_OK;
}

/* Clamp for the formatter: years 0-9999, two-digit fields 0-99 (the values are
 * always in range; this lets the compiler prove the output fits). */
#define Y(v) ((unsigned)(v) % 10000u)
#define M2(v) ((unsigned)(v) % 100u)

/* v as exactly w decimal digits (v < 10^w, as the clamps above make it):
 * what "%0<w>u" prints, without printf (two of these per logged record). */
static char *put_digits(char *o, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10u);
        v /= 10u;
    }
    return o + w;
}

/* "YYYY-MM-DD?HH:MM:SS." with sep between the date and the time. */
static char *date_time(char *o, int y, int mo, int d, int h, int mi, int s, char sep)
{
    o = put_digits(o, Y(y), 4);
    *o++ = '-';
    o = put_digits(o, M2(mo), 2);
    *o++ = '-';
    o = put_digits(o, M2(d), 2);
    *o++ = sep;
    o = put_digits(o, M2(h), 2);
    *o++ = ':';
    o = put_digits(o, M2(mi), 2);
    *o++ = ':';
    o = put_digits(o, M2(s), 2);
    *o++ = '.';
    return o;
}

void tl_time_fmt_systemtime(tl_time t, char out[32])
{
    int y, mo, d, h, mi, s, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    /* "%04u-%02u-%02uT%02u:%02u:%02u.%06u0Z" */
    char *o = date_time(out, y, mo, d, h, mi, s, 'T');
    o = put_digits(o, (unsigned)us % 1000000u, 6);
    *o++ = '0';
    *o++ = 'Z';
    *o = '\0';
}

void tl_time_fmt_sysmon(tl_time t, char out[32])
{
    int y, mo, d, h, mi, s, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    /* "%04u-%02u-%02u %02u:%02u:%02u.%03u" */
    char *o = date_time(out, y, mo, d, h, mi, s, ' ');
    o = put_digits(o, (unsigned)(us / 1000) % 1000u, 3);
    *o = '\0';
}

void tl_time_fmt_wazuh(tl_time t, char out[40])
{
    int y, mo, d, h, mi, s, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03u+0000", Y(y), M2(mo), M2(d), M2(h), M2(mi),
             M2(s), (unsigned)(us / 1000) % 1000u);
}

void tl_time_fmt_arlog(tl_time t, char out[32])
{
    int y, mo, d, h, mi, s, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    snprintf(out, 32, "%04u/%02u/%02u %02u:%02u:%02u", Y(y), M2(mo), M2(d), M2(h), M2(mi), M2(s));
}
