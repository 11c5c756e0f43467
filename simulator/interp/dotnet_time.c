/* SPDX-License-Identifier: MIT */
/*
 * .NET DateTime text as Windows PowerShell 5.1 reads and writes it, for the
 * -At of New-ScheduledTaskTrigger / New-JobTrigger, [datetime] casts and
 * Get-Date (issue 14). PowerShell converts a string to [DateTime] with
 * DateTime.Parse; the endpoint's culture is en-US (tasklab models no other),
 * and for every form below en-US and the invariant culture that casts use
 * agree. The fact sheets are silent on all of this: the forms are .NET's
 * documented ones [A].
 *
 * Accepted (case-insensitive, white space between parts free):
 *   a time alone      9am, 9 AM, 3pm, 09:00, 9:00 AM, 21:30:15, 9:30pm, 9:00:00.250
 *                     -> today on the virtual clock, as DateTime.Parse fills
 *                        in the current date
 *   a date alone      2026-12-07, 12/7/2026, 12/7/26, 12/7, 2026/12/07,
 *                     December 7, 2026, 7 Dec 2026, Dec 2026 -> midnight
 *   both, either order, ISO 8601 with a 'T', a weekday name ("Monday,") and
 *   a zone (Z, GMT, +02:00, -0500): the time is converted to the endpoint's
 *   local time, which is UTC in tasklab (the endpoint has no time zone [A]).
 * Two-digit years follow en-US's calendar (00-49 -> 20xx, 50-99 -> 19xx),
 * month/day order is en-US's M/d, a day must exist in its month (Feb 29 only
 * in leap years), hours with AM/PM are 0-12.
 *
 * Worked example: at virtual 2026-12-06 08:57:12 UTC, "3pm" is
 * 2026-12-06 15:00:00, "12/7 9:00 AM" is 2026-12-07 09:00:00 and
 * "2026-12-07T09:00:00+02:00" is 2026-12-07 07:00:00.
 */
#include <stdio.h>
#include <string.h>

#include "dotnet_time.h"

enum { TK_NUM, TK_WORD, TK_SEP };

typedef struct tok {
    int kind;
    long num;   /* TK_NUM */
    int ndig;   /* TK_NUM: digits written */
    char w[12]; /* TK_WORD lower-cased (truncated), TK_SEP the character */
} tok;

#define MAXTOK 32

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int tokenize(const char *s, tok *t, size_t *nt)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '\t') {
            s++;
            continue;
        }
        if (n == MAXTOK)
            return 0;
        tok *k = &t[n];
        memset(k, 0, sizeof *k);
        if (*s >= '0' && *s <= '9') {
            k->kind = TK_NUM;
            while (*s >= '0' && *s <= '9') {
                if (k->ndig >= 9)
                    return 0;
                k->num = k->num * 10 + (*s++ - '0');
                k->ndig++;
            }
        } else if ((lower(*s) >= 'a' && lower(*s) <= 'z')) {
            k->kind = TK_WORD;
            size_t m = 0;
            while (lower(*s) >= 'a' && lower(*s) <= 'z') {
                if (m + 1 < sizeof k->w)
                    k->w[m++] = (char)lower(*s);
                else
                    return 0;
                s++;
            }
            /* "Sept." / "Dec." and "a.m." are not taken: "." is a separator */
        } else if (strchr(":/-.,+", *s)) {
            k->kind = TK_SEP;
            k->w[0] = *s++;
        } else {
            return 0;
        }
        n++;
    }
    *nt = n;
    return 1;
}

static int month_of(const char *w)
{
    static const char *const full[] = {"january", "february", "march",     "april",
                                       "may",     "june",     "july",      "august",
                                       "september", "october", "november", "december"};
    for (int i = 0; i < 12; i++) {
        if (!strcmp(w, full[i]))
            return i + 1;
        if (strlen(w) == 3 && !strncmp(w, full[i], 3))
            return i + 1;
    }
    if (!strcmp(w, "sept"))
        return 9;
    return 0;
}

static int is_weekday(const char *w)
{
    static const char *const d[] = {"sunday",   "monday", "tuesday", "wednesday",
                                    "thursday", "friday", "saturday"};
    for (int i = 0; i < 7; i++)
        if (!strcmp(w, d[i]) || (strlen(w) == 3 && !strncmp(w, d[i], 3)))
            return 1;
    return 0;
}

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

static int is_sep(const tok *t, char c) { return t->kind == TK_SEP && t->w[0] == c; }

static int year_of(const tok *t)
{
    if (t->ndig <= 2)
        return (int)(t->num < 50 ? 2000 + t->num : 1900 + t->num);
    return (int)t->num;
}

int tl_dotnet_datetime_parse(const char *s, tl_time now, tl_time *out)
{
    tok t[MAXTOK];
    size_t n = 0;
    if (!s || !tokenize(s, t, &n) || n == 0)
        return 0;
    unsigned char used[MAXTOK];
    memset(used, 0, sizeof used);
    int have_time = 0, hh = 0, mi = 0, se = 0, frac_us = 0, ampm = 0; /* 1 am, 2 pm */
    int have_zone = 0;
    long zone_s = 0;

    /* 1. the time: h:mm[:ss[.fff]] [am|pm], or h am|pm ("9am") */
    for (size_t i = 0; i < n && !have_time; i++) {
        if (t[i].kind != TK_NUM)
            continue;
        if (i + 2 < n && is_sep(&t[i + 1], ':') && t[i + 2].kind == TK_NUM) {
            size_t k = i;
            hh = (int)t[k].num;
            mi = (int)t[k + 2].num;
            if (t[k].ndig > 2 || t[k + 2].ndig > 2)
                return 0;
            used[k] = used[k + 1] = used[k + 2] = 1;
            k += 3;
            if (k + 1 < n && is_sep(&t[k], ':') && t[k + 1].kind == TK_NUM) {
                if (t[k + 1].ndig > 2)
                    return 0;
                se = (int)t[k + 1].num;
                used[k] = used[k + 1] = 1;
                k += 2;
                if (k + 1 < n && is_sep(&t[k], '.') && t[k + 1].kind == TK_NUM) {
                    /* fraction of a second, .NET takes up to 7 digits */
                    if (t[k + 1].ndig > 7)
                        return 0;
                    long f = t[k + 1].num;
                    for (int d = t[k + 1].ndig; d < 6; d++)
                        f *= 10;
                    for (int d = t[k + 1].ndig; d > 6; d--)
                        f /= 10;
                    frac_us = (int)f;
                    used[k] = used[k + 1] = 1;
                    k += 2;
                }
            }
            if (k < n && t[k].kind == TK_WORD && (!strcmp(t[k].w, "am") || !strcmp(t[k].w, "pm"))) {
                ampm = t[k].w[0] == 'a' ? 1 : 2;
                used[k] = 1;
            }
            have_time = 1;
        } else if (i + 1 < n && t[i + 1].kind == TK_WORD &&
                   (!strcmp(t[i + 1].w, "am") || !strcmp(t[i + 1].w, "pm"))) {
            if (t[i].ndig > 2)
                return 0;
            hh = (int)t[i].num;
            ampm = t[i + 1].w[0] == 'a' ? 1 : 2;
            used[i] = used[i + 1] = 1;
            have_time = 1;
        }
    }
    if (have_time) {
        if (ampm) {
            if (hh > 12)
                return 0;
            hh = hh % 12 + (ampm == 2 ? 12 : 0);
        }
        if (hh > 23 || mi > 59 || se > 59)
            return 0;
    }

    /* 2. a zone after the time or at the end: Z, GMT, UTC, +hh:mm, -hhmm */
    for (size_t i = 0; i < n; i++) {
        if (used[i])
            continue;
        if (t[i].kind == TK_WORD && (!strcmp(t[i].w, "z") || !strcmp(t[i].w, "gmt") ||
                                     !strcmp(t[i].w, "utc"))) {
            if (have_zone)
                return 0;
            have_zone = 1;
            used[i] = 1;
            /* "GMT+02:00" */
        } else if ((is_sep(&t[i], '+') || is_sep(&t[i], '-')) && have_time && i > 0 &&
                   (used[i - 1] || (t[i - 1].kind == TK_WORD && !strcmp(t[i - 1].w, "gmt"))) &&
                   i + 1 < n && t[i + 1].kind == TK_NUM) {
            /* a sign right after the time (or GMT): an offset, not a date separator */
            long h, m = 0;
            size_t k = i + 1;
            if (t[k].ndig == 4) {
                h = t[k].num / 100;
                m = t[k].num % 100;
                used[k] = 1;
            } else if (t[k].ndig <= 2) {
                h = t[k].num;
                used[k] = 1;
                if (k + 2 < n && is_sep(&t[k + 1], ':') && t[k + 2].kind == TK_NUM &&
                    t[k + 2].ndig == 2) {
                    m = t[k + 2].num;
                    used[k + 1] = used[k + 2] = 1;
                }
            } else {
                return 0;
            }
            if (h > 14 || m > 59)
                return 0;
            zone_s += (t[i].w[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
            have_zone = 1;
            used[i] = 1;
        }
    }

    /* 3. the date from what is left: numbers, separators, a month name, a weekday,
     * an ISO 'T' */
    long num[3];
    int nd[3];
    size_t nn = 0;
    int mon_word = 0;
    char sep = 0;
    for (size_t i = 0; i < n; i++) {
        if (used[i])
            continue;
        if (t[i].kind == TK_NUM) {
            if (nn == 3)
                return 0;
            num[nn] = t[i].num;
            nd[nn] = t[i].ndig;
            nn++;
        } else if (t[i].kind == TK_WORD) {
            int m = month_of(t[i].w);
            if (m) {
                if (mon_word)
                    return 0;
                mon_word = m;
            } else if (is_weekday(t[i].w)) {
                /* DateTime.Parse checks the weekday against the date; tasklab takes
                 * a matching one and does not check it [A] */
            } else if (!strcmp(t[i].w, "t") && have_time) {
                /* ISO 8601 date/time separator */
            } else {
                return 0;
            }
        } else { /* separator */
            char c = t[i].w[0];
            if (c == ',')
                continue;
            if (c == ':' || c == '+')
                return 0;
            if (sep && c != sep)
                return 0;
            sep = c;
        }
    }
    int y, mo, d, h0, m0, s0, us0;
    tl_time_civil(now, &y, &mo, &d, &h0, &m0, &s0, &us0);
    if (!have_time && !nn && !mon_word)
        return 0;
    if (mon_word) {
        if (sep && sep != '-' && sep != '.' && sep != '/')
            return 0;
        mo = mon_word;
        if (nn == 0)
            return 0;
        if (nn == 1) {
            /* "Dec 7" / "7 Dec": day of this year; "Dec 2026": the 1st */
            if (nd[0] >= 3) {
                y = (int)num[0];
                d = 1;
            } else {
                d = (int)num[0];
            }
        } else if (nn == 2) {
            /* "December 7, 2026" / "7 December 2026" / "2026 December 7" */
            if (nd[0] >= 3) {
                y = (int)num[0];
                d = (int)num[1];
            } else {
                tok yt;
                yt.ndig = nd[1];
                yt.num = num[1];
                d = (int)num[0];
                y = year_of(&yt);
            }
        } else {
            return 0;
        }
    } else if (nn == 3) {
        if (!sep)
            return 0;
        if (nd[0] >= 3) { /* yyyy-MM-dd, yyyy/MM/dd */
            y = (int)num[0];
            mo = (int)num[1];
            d = (int)num[2];
        } else { /* en-US M/d/yyyy */
            tok yt;
            yt.ndig = nd[2];
            yt.num = num[2];
            mo = (int)num[0];
            d = (int)num[1];
            y = year_of(&yt);
        }
    } else if (nn == 2) {
        if (!sep)
            return 0;
        if (nd[0] >= 3) { /* yyyy-MM: the 1st */
            y = (int)num[0];
            mo = (int)num[1];
            d = 1;
        } else { /* M/d of this year */
            mo = (int)num[0];
            d = (int)num[1];
        }
    } else if (nn == 1) {
        return 0; /* a lone number is no date ("9" needs am/pm or ":mm") */
    } else if (sep) {
        return 0;
    }
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo))
        return 0;
    if (!have_time)
        hh = mi = se = frac_us = 0;
    tl_time r = (tl_time)tl_time_from_civil(y, mo, d, hh, mi, se) * TL_USEC_PER_SEC + frac_us;
    if (have_zone)
        r -= (tl_time)zone_s * TL_USEC_PER_SEC; /* to UTC, the endpoint's local time */
    *out = r;
    return 1;
}

void tl_dotnet_datetime_boundary(tl_time t, char out[32])
{
    int y, mo, d, h, mi, se, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &se, &us);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
}

/* DateTime.ToString(format) for the custom specifiers yyyy yy MM M dd d HH H hh h mm m
 * ss s tt fff and quoted literals; "" = the invariant culture's default
 * "MM/dd/yyyy HH:mm:ss" (what "$d" gives in a PowerShell string). */
tl_status tl_dotnet_datetime_format(tl_time t, const char *fmt, tl_buf *b)
{
    int y, mo, d, h, mi, se, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &se, &us);
    if (!fmt || !*fmt)
        fmt = "MM/dd/yyyy HH:mm:ss";
    for (const char *p = fmt; *p;) {
        size_t r = 1;
        while (p[r] == p[0])
            r++;
        switch (*p) {
        case 'y':
            if (r >= 3)
                tl_buf_printf(b, "%04d", y);
            else
                tl_buf_printf(b, r == 2 ? "%02d" : "%d", y % 100);
            break;
        case 'M':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", mo);
            break;
        case 'd':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", d);
            break;
        case 'H':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", h);
            break;
        case 'h':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", h % 12 ? h % 12 : 12);
            break;
        case 'm':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", mi);
            break;
        case 's':
            tl_buf_printf(b, r >= 2 ? "%02d" : "%d", se);
            break;
        case 't':
            tl_buf_puts(b, r >= 2 ? (h < 12 ? "AM" : "PM") : (h < 12 ? "A" : "P"));
            break;
        case 'f': {
            int v = us;
            size_t k = r > 6 ? 6 : r;
            for (size_t z = k; z < 6; z++)
                v /= 10;
            tl_buf_printf(b, "%0*d", (int)k, v);
            for (size_t z = 6; z < r; z++)
                tl_buf_putc(b, '0');
            break;
        }
        case '\'':
        case '"': {
            const char *e = strchr(p + 1, *p);
            size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1);
            tl_buf_append(b, p + 1, len);
            p += len + 1 + (e ? 1 : 0);
            continue;
        }
        case '\\':
            if (p[1]) {
                tl_buf_putc(b, p[1]);
                p += 2;
                continue;
            }
            break;
        default:
            tl_buf_append(b, p, r);
            break;
        }
        p += r;
    }
    return tl_buf_status(b);
}
