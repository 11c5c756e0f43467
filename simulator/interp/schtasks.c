/* SPDX-License-Identifier: MIT */
/*
 * schtasks.exe (windows.md §7). Switches are case-insensitive and may start
 * with '/' or '-'. A command line Windows would refuse with a usage error
 * (unknown switch, missing value, bad /sc, /mo, /st, /sd, /d, /m, /rl value,
 * a task name with forbidden characters, a /tr longer than 262 characters, a
 * malformed /xml file) is a scenario error (TL_E_PARSE naming the step):
 * scenarios must not rely on guesses. Conditions Windows reports at run time
 * (access denied, task exists without /f, task not found, unknown /ru
 * account, remote /s host, a /xml file with a DOCTYPE [A]) make schtasks exit
 * 1 with no change.
 *
 * /create without /xml builds the task XML from the switches (mapping of §7,
 * [A]); with /xml the file is read from the endpoint (BOM-sniffed). Both go
 * through tl_taskxml_normalize and tl_task_register.
 * Supported for /change: /tr, /ru, /rl, /enable, /disable (other schedule
 * switches are validated and accepted without effect).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"
#include "evasion_int.h"

typedef struct sw {
    const char *name;
    int takes_value;
} sw;

static const sw create_sw[] = {
    {"s", 1}, {"u", 1},  {"p", 1},     {"ru", 1},      {"rp", 1}, {"sc", 1}, {"mo", 1},  {"d", 1},
    {"m", 1}, {"i", 1},  {"tn", 1},    {"tr", 1},      {"st", 1}, {"ri", 1}, {"et", 1},  {"du", 1},
    {"k", 0}, {"sd", 1}, {"ed", 1},    {"it", 0},      {"np", 0}, {"z", 0},  {"xml", 1}, {"v1", 0},
    {"f", 0}, {"rl", 1}, {"delay", 1}, {"hresult", 0}, {"ec", 1}, {NULL, 0}};
static const sw delete_sw[] = {{"s", 1}, {"u", 1},       {"p", 1}, {"tn", 1},
                               {"f", 0}, {"hresult", 0}, {NULL, 0}};
static const sw change_sw[] = {{"s", 1},       {"u", 1},  {"p", 1},  {"ru", 1},    {"rp", 1},
                               {"tn", 1},      {"tr", 1}, {"st", 1}, {"ri", 1},    {"et", 1},
                               {"du", 1},      {"k", 0},  {"sd", 1}, {"ed", 1},    {"enable", 0},
                               {"disable", 0}, {"it", 0}, {"z", 0},  {"delay", 1}, {"rl", 1},
                               {"hresult", 0}, {NULL, 0}};
static const sw run_sw[] = {{"s", 1}, {"u", 1},       {"p", 1}, {"tn", 1},
                            {"i", 0}, {"hresult", 0}, {NULL, 0}};
static const sw end_sw[] = {{"s", 1}, {"u", 1}, {"p", 1}, {"tn", 1}, {"hresult", 0}, {NULL, 0}};
static const sw query_sw[] = {{"s", 1}, {"u", 1},  {"p", 1},    {"fo", 1},      {"nh", 0},
                              {"v", 0}, {"tn", 1}, {"xml", -1}, {"hresult", 0}, {NULL, 0}};

#define MAXOPT 32
typedef struct opts {
    const char *name[MAXOPT];
    const char *val[MAXOPT];
    size_t n;
    int rejected; /* a spelling evasion.md measured as rejected: schtasks failed (exit 1) */
} opts;

/* What schtasks prints for an argument it does not take, and its exit status 1 [A: the
 * facts sheets give no message; this is the text of schtasks.exe's usage error]. */
static void reject(tl_sim *s, const char *typed)
{
    tl_sim_console_printf(s, "ERROR: Invalid argument/option - '%s'.\r\nType \"SCHTASKS /?\" for usage.\r\n",
                          typed);
}

static const char *opt(const opts *o, const char *name)
{
    for (size_t i = 0; i < o->n; i++)
        if (tl_strcasecmp(o->name[i], name) == 0)
            return o->val[i] ? o->val[i] : "";
    return NULL;
}

static tl_status parse_opts(tl_exec_ctx *c, const char *verb, const sw *table, char **argv,
                            size_t argc, size_t start, opts *o)
{
    o->n = 0;
    o->rejected = 0;
    for (size_t i = start; i < argc; i++) {
        char typed[256];
        snprintf(typed, sizeof typed, "%s", argv[i]);
        if (tl_ev_schtasks_arg(c->s, argv[i]) < 0) {
            reject(c->s, typed);
            o->rejected = 1;
            return TL_OK;
        }
        const char *a = argv[i];
        if ((a[0] != '/' && a[0] != '-') || !a[1])
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE,
                                     "schtasks %s: invalid argument/option - '%s'", verb, a);
        const sw *w = NULL;
        for (const sw *t = table; t->name; t++)
            if (tl_strcasecmp(t->name, a + 1) == 0)
                w = t;
        if (!w)
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE,
                                     "schtasks %s: invalid argument/option - '%s'", verb, a);
        for (size_t k = 0; k < o->n; k++)
            if (tl_strcasecmp(o->name[k], w->name) == 0)
                return tl_sim_step_error(c->s, c->d, TL_E_PARSE,
                                         "schtasks %s: duplicate option '%s'", verb, a);
        if (o->n == MAXOPT)
            return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "schtasks: too many options");
        o->name[o->n] = w->name;
        o->val[o->n] = NULL;
        if (w->takes_value == 1) {
            if (i + 1 >= argc)
                return tl_sim_step_error(c->s, c->d, TL_E_PARSE,
                                         "schtasks %s: missing value for option '%s'", verb, a);
            o->val[o->n] = argv[++i];
        } else if (w->takes_value == -1 && i + 1 < argc && argv[i + 1][0] != '/') {
            o->val[o->n] = argv[++i];
        }
        o->n++;
    }
    return TL_OK;
}

static int is_local_host(const tl_sim *s, const char *h)
{
    while (*h == '\\')
        h++;
    /* 127.0.0.1 also as a decimal or hex number (evasion.md §2.1 IP transform) */
    return !tl_strcasecmp(h, "localhost") || !tl_strcasecmp(h, "127.0.0.1") ||
           !strcmp(h, "2130706433") || !tl_strcasecmp(h, "0x7f000001") ||
           !tl_strcasecmp(h, ".") || !tl_strcasecmp(h, s->sc->hostname) ||
           !tl_strcasecmp(h, s->computer);
}

/* /s names a host tasklab does not simulate: say so (run summary, console.txt, explain),
 * what happened on it being unknown. The local events stay Windows' own: schtasks'
 * process and its taskschd.dll load, no local 4698 (the target logs it, evasion.md §4). */
static tl_status remote_note(tl_sim *s, const char *host, const char *what)
{
    while (*host == '\\')
        host++;
    return tl_sim_note(s, "remote host %s not simulated: %s", host, what);
}


static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* "HH:mm" or "HH:mm:ss" */
static int parse_hhmm(const char *s, int *h, int *m, int *sec)
{
    int a, b, c2 = 0;
    char tail;
    int n = sscanf(s, "%d:%d:%d%c", &a, &b, &c2, &tail);
    if (n == 3 || (n == 2 && sscanf(s, "%d:%d%c", &a, &b, &tail) == 2)) {
        if (a < 0 || a > 23 || b < 0 || b > 59 || c2 < 0 || c2 > 59)
            return 0;
        *h = a;
        *m = b;
        *sec = c2;
        return 1;
    }
    return 0;
}

/* "mm/dd/yyyy" */
static int parse_date(const char *s, int *y, int *mo, int *d)
{
    int a, b, c2;
    char tail;
    if (sscanf(s, "%d/%d/%d%c", &a, &b, &c2, &tail) != 3)
        return 0;
    if (a < 1 || a > 12 || b < 1 || b > 31 || c2 < 1900 || c2 > 2100)
        return 0;
    *mo = a;
    *d = b;
    *y = c2;
    return 1;
}

static const char *const days_short[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
static const char *const days_long[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
static const char *const months_short[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const months_long[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

/* Split a comma list; check each item against a table (or 1..31). */
static int list_ok(const char *v, const char *const *tab, size_t ntab, int allow_num)
{
    if (strcmp(v, "*") == 0)
        return 1;
    char item[16];
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof item)
            return 0;
        memcpy(item, p, n);
        item[n] = 0;
        int ok = 0;
        for (size_t i = 0; i < ntab; i++)
            if (tl_strcasecmp(item, tab[i]) == 0)
                ok = 1;
        if (allow_num && all_digits(item) && atoi(item) >= 1 && atoi(item) <= 31)
            ok = 1;
        if (allow_num && tl_strcasecmp(item, "LASTDAY") == 0)
            ok = 1;
        if (!ok)
            return 0;
        p += n;
        if (*p == ',')
            p++;
    }
    return 1;
}

static void emit_list(tl_buf *b, const char *v, const char *const *tab_s, const char *const *tab_l,
                      size_t ntab, const char *outer)
{
    tl_buf_printf(b, "<%s>", outer);
    if (strcmp(v, "*") == 0) {
        for (size_t i = 0; i < ntab; i++)
            tl_buf_printf(b, "<%s/>", tab_l[i]);
    } else {
        for (size_t i = 0; i < ntab; i++) {
            const char *p = v;
            while (*p) {
                size_t n = strcspn(p, ",");
                if (n == strlen(tab_s[i]) && tl_strncasecmp(p, tab_s[i], n) == 0)
                    tl_buf_printf(b, "<%s/>", tab_l[i]);
                p += n;
                if (*p == ',')
                    p++;
            }
        }
    }
    tl_buf_printf(b, "</%s>", outer);
}

/* Resolve /ru. Returns 0 unknown, 1 ok; *uid gets the UserId text, *user the caller index. */
static int resolve_ru(const tl_sim *s, const char *ru, char *uid, size_t n, long *user)
{
    if (!ru[0] || !tl_strcasecmp(ru, "SYSTEM") || !tl_strcasecmp(ru, "NT AUTHORITY\\SYSTEM")) {
        snprintf(uid, n, "S-1-5-18");
        *user = 0;
        return 1;
    }
    if (!tl_strcasecmp(ru, "LOCALSERVICE") || !tl_strcasecmp(ru, "NT AUTHORITY\\LOCALSERVICE") ||
        !tl_strcasecmp(ru, "NT AUTHORITY\\LOCAL SERVICE")) {
        snprintf(uid, n, "S-1-5-19");
        *user = 0;
        return 1;
    }
    if (!tl_strcasecmp(ru, "NETWORKSERVICE") ||
        !tl_strcasecmp(ru, "NT AUTHORITY\\NETWORKSERVICE") ||
        !tl_strcasecmp(ru, "NT AUTHORITY\\NETWORK SERVICE")) {
        snprintf(uid, n, "S-1-5-20");
        *user = 0;
        return 1;
    }
    const char *bs = strchr(ru, '\\');
    if (bs) {
        size_t dl = (size_t)(bs - ru);
        if (!(dl == strlen(s->user_domain) && !tl_strncasecmp(ru, s->user_domain, dl)) &&
            !(dl == 1 && ru[0] == '.'))
            return 0;
    }
    long u = tl_sim_user_find(s, ru);
    if (u <= 0)
        return 0;
    snprintf(uid, n, "%s", s->users[u].sid);
    *user = u;
    return 1;
}

static void iso_time(tl_time t, char out[32])
{
    int y, mo, d, h, mi, se, us;
    tl_time_civil(t, &y, &mo, &d, &h, &mi, &se, &us);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
}

/* Build task XML from /create switches. On a usage error returns TL_E_PARSE
 * with msg set. */
static tl_status build_xml(tl_exec_ctx *c, const opts *o, const char *path, const char *uid,
                           int is_system, tl_buf *x, char *msg, size_t msgsz)
{
    tl_sim *s = c->s;
    const char *sc = opt(o, "sc"), *mo = opt(o, "mo"), *d = opt(o, "d"), *m = opt(o, "m");
    const char *st_ = opt(o, "st"), *sd = opt(o, "sd"), *ed = opt(o, "ed"), *ri = opt(o, "ri");
    const char *et = opt(o, "et"), *du = opt(o, "du"), *tr = opt(o, "tr"), *rl = opt(o, "rl");
    const char *idle = opt(o, "i"), *delay = opt(o, "delay"), *ec = opt(o, "ec");
    static const char *const scs[] = {"MINUTE", "HOURLY",  "DAILY",   "WEEKLY", "MONTHLY",
                                      "ONCE",   "ONSTART", "ONLOGON", "ONIDLE", "ONEVENT"};
    int k = -1;
    for (int i = 0; i < 10; i++)
        if (tl_strcasecmp(sc, scs[i]) == 0)
            k = i;
    if (k < 0) {
        snprintf(msg, msgsz, "invalid value '%s' for /SC", sc);
        return TL_E_PARSE;
    }
    /* /mo validation */
    long mov = 1;
    static const long mo_max[] = {1439, 23, 365, 52, 12};
    const char *mo_word = NULL;
    if (mo) {
        if (k >= 5 && k <= 8) {
            snprintf(msg, msgsz, "/MO is not allowed with /SC %s", scs[k]);
            return TL_E_PARSE;
        }
        if (k == 4 && !all_digits(mo)) {
            static const char *const w[] = {"FIRST",  "SECOND", "THIRD",
                                            "FOURTH", "LAST",   "LASTDAY"};
            for (int i = 0; i < 6; i++)
                if (!tl_strcasecmp(mo, w[i]))
                    mo_word = w[i];
            if (!mo_word) {
                snprintf(msg, msgsz, "invalid value '%s' for /MO", mo);
                return TL_E_PARSE;
            }
        } else if (k <= 4) {
            if (!all_digits(mo) || atol(mo) < 1 || atol(mo) > mo_max[k]) {
                snprintf(msg, msgsz, "invalid value '%s' for /MO with /SC %s (1-%ld)", mo, scs[k],
                         mo_max[k]);
                return TL_E_PARSE;
            }
            mov = atol(mo);
        }
    }
    if (d && !((k == 3 && list_ok(d, days_short, 7, 0)) ||
               (k == 4 && (mo_word && strcmp(mo_word, "LASTDAY") != 0 ? list_ok(d, days_short, 7, 0)
                                                                      : list_ok(d, NULL, 0, 1))))) {
        snprintf(msg, msgsz, "invalid value '%s' for /D with /SC %s", d, scs[k]);
        return TL_E_PARSE;
    }
    if (m && (k != 4 || !list_ok(m, months_short, 12, 0))) {
        snprintf(msg, msgsz, "invalid value '%s' for /M", m);
        return TL_E_PARSE;
    }
    if (idle && (k != 8 || !all_digits(idle) || atoi(idle) < 1 || atoi(idle) > 999)) {
        snprintf(msg, msgsz, "invalid value '%s' for /I (ONIDLE only, 1-999)", idle);
        return TL_E_PARSE;
    }
    if (k == 8 && !idle) {
        snprintf(msg, msgsz, "/SC ONIDLE needs /I");
        return TL_E_PARSE;
    }
    if (ec && k != 9) {
        snprintf(msg, msgsz, "/EC is only valid with /SC ONEVENT");
        return TL_E_PARSE;
    }
    if (k == 9 && !ec) {
        snprintf(msg, msgsz, "/SC ONEVENT needs /EC");
        return TL_E_PARSE;
    }
    int h = 0, mi = 0, se = 0;
    int y, mon, day, hh, mm, ss, us;
    tl_time_civil(s->now, &y, &mon, &day, &hh, &mm, &ss, &us);
    if (st_) {
        if (!parse_hhmm(st_, &h, &mi, &se)) {
            snprintf(msg, msgsz, "invalid start time '%s' for /ST (HH:mm)", st_);
            return TL_E_PARSE;
        }
    } else {
        h = hh;
        mi = mm;
        se = 0;
    }
    if (sd && !parse_date(sd, &y, &mon, &day)) {
        snprintf(msg, msgsz, "invalid start date '%s' for /SD (mm/dd/yyyy)", sd);
        return TL_E_PARSE;
    }
    int ey = 0, emo = 0, eday = 0;
    if (ed && !parse_date(ed, &ey, &emo, &eday)) {
        snprintf(msg, msgsz, "invalid end date '%s' for /ED (mm/dd/yyyy)", ed);
        return TL_E_PARSE;
    }
    int eh = 0, emi = 0, ese = 0;
    if (et && !parse_hhmm(et, &eh, &emi, &ese)) {
        snprintf(msg, msgsz, "invalid end time '%s' for /ET (HH:mm)", et);
        return TL_E_PARSE;
    }
    if (et && du) {
        snprintf(msg, msgsz, "/ET and /DU are mutually exclusive");
        return TL_E_PARSE;
    }
    long duh = 0, dum = 0;
    if (du) {
        char tail;
        if (sscanf(du, "%ld:%ld%c", &duh, &dum, &tail) != 2 || duh < 0 || duh > 9999 || dum < 0 ||
            dum > 59) {
            snprintf(msg, msgsz, "invalid duration '%s' for /DU (HHHH:mm)", du);
            return TL_E_PARSE;
        }
    }
    if (ri && (!all_digits(ri) || atol(ri) < 1 || atol(ri) > 599940)) {
        snprintf(msg, msgsz, "invalid value '%s' for /RI", ri);
        return TL_E_PARSE;
    }
    long dmin = 0, dsec = 0;
    if (delay) {
        char tail;
        if (sscanf(delay, "%ld:%ld%c", &dmin, &dsec, &tail) != 2 || dmin < 0 || dmin > 9999 ||
            dsec < 0 || dsec > 59 || !(k == 6 || k == 7 || k == 9)) {
            snprintf(msg, msgsz, "invalid /DELAY '%s' (mmmm:ss, ONSTART/ONLOGON/ONEVENT only)",
                     delay);
            return TL_E_PARSE;
        }
    }
    if (rl && tl_strcasecmp(rl, "LIMITED") && tl_strcasecmp(rl, "HIGHEST")) {
        snprintf(msg, msgsz, "invalid value '%s' for /RL (LIMITED or HIGHEST)", rl);
        return TL_E_PARSE;
    }
    if (!tr) {
        snprintf(msg, msgsz, "/TR is required");
        return TL_E_PARSE;
    }
    if (strlen(tr) > 262 || !tr[0]) {
        snprintf(msg, msgsz, "invalid value for /TR: must be 1 to 262 characters");
        return TL_E_PARSE;
    }
    char start[40], now[32], who[300];
    snprintf(start, sizeof start, "%04d-%02d-%02dT%02d:%02d:%02d", y, mon, day, h, mi, se);
    iso_time(s->now, now);
    tl_sim_user_display(s, c->user, who, sizeof who);
    tl_buf_puts(x, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                   "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">");
    tl_buf_printf(x, "<RegistrationInfo><Date>%s</Date><Author>", now);
    tl_buf_put_xml_text(x, who);
    tl_buf_puts(x, "</Author><URI>");
    tl_buf_put_xml_text(x, path);
    tl_buf_puts(x, "</URI></RegistrationInfo><Triggers>");
    /* repetition */
    tl_buf rep = TL_BUF_INIT;
    if (k == 0 || k == 1 || ri || et || du) {
        tl_buf_puts(&rep, "<Repetition>");
        if (k == 0)
            tl_buf_printf(&rep, "<Interval>PT%ldM</Interval>", mov);
        else if (k == 1)
            tl_buf_printf(&rep, "<Interval>PT%ldH</Interval>", mov);
        else if (ri)
            tl_buf_printf(&rep, "<Interval>PT%sM</Interval>", ri);
        else
            tl_buf_puts(&rep, "<Interval>PT10M</Interval>");
        if (du)
            tl_buf_printf(&rep, "<Duration>PT%ldH%ldM</Duration>", duh, dum);
        else if (et) {
            long mins = (eh * 60 + emi) - (h * 60 + mi);
            if (mins <= 0)
                mins += 24 * 60;
            tl_buf_printf(&rep, "<Duration>PT%ldH%ldM</Duration>", mins / 60, mins % 60);
        }
        if (opt(o, "k"))
            tl_buf_puts(&rep, "<StopAtDurationEnd>true</StopAtDurationEnd>");
        else
            tl_buf_puts(&rep, "<StopAtDurationEnd>false</StopAtDurationEnd>");
        tl_buf_puts(&rep, "</Repetition>");
    }
    char endb[64] = "";
    if (ed)
        snprintf(endb, sizeof endb, "<EndBoundary>%04d-%02d-%02dT%02d:%02d:%02d</EndBoundary>", ey,
                 emo, eday, et ? eh : 23, et ? emi : 59, et ? ese : 59);
    else if (opt(o, "z") && et)
        snprintf(endb, sizeof endb, "<EndBoundary>%04d-%02d-%02dT%02d:%02d:%02d</EndBoundary>", y,
                 mon, day, eh, emi, ese);
    char delay_x[64] = "";
    if (delay)
        snprintf(delay_x, sizeof delay_x, "<Delay>PT%ldM%ldS</Delay>", dmin, dsec);
    switch (k) {
    case 0:
    case 1:
    case 5:
        tl_buf_printf(x,
                      "<TimeTrigger>%s<StartBoundary>%s</StartBoundary>%s<Enabled>true</Enabled>"
                      "</TimeTrigger>",
                      tl_buf_cstr(&rep), start, endb);
        break;
    case 2:
        tl_buf_printf(x,
                      "<CalendarTrigger>%s<StartBoundary>%s</StartBoundary>%s<Enabled>true"
                      "</Enabled><ScheduleByDay><DaysInterval>%ld</DaysInterval></ScheduleByDay>"
                      "</CalendarTrigger>",
                      tl_buf_cstr(&rep), start, endb, mov);
        break;
    case 3: {
        tl_buf_printf(x,
                      "<CalendarTrigger>%s<StartBoundary>%s</StartBoundary>%s<Enabled>true"
                      "</Enabled><ScheduleByWeek><WeeksInterval>%ld</WeeksInterval>",
                      tl_buf_cstr(&rep), start, endb, mov);
        /* default day: the start date's weekday */
        int64_t days = tl_time_from_civil(y, mon, day, 0, 0, 0) / 86400;
        int wd = (int)((days + 3) % 7); /* 1970-01-01 was a Thursday: Mon=0 */
        emit_list(x, d ? d : days_short[wd], days_short, days_long, 7, "DaysOfWeek");
        tl_buf_puts(x, "</ScheduleByWeek></CalendarTrigger>");
        break;
    }
    case 4:
        tl_buf_printf(x,
                      "<CalendarTrigger>%s<StartBoundary>%s</StartBoundary>%s<Enabled>true"
                      "</Enabled>",
                      tl_buf_cstr(&rep), start, endb);
        if (mo_word && strcmp(mo_word, "LASTDAY") != 0) {
            tl_buf_puts(x, "<ScheduleByMonthDayOfWeek><Weeks><Week>");
            tl_buf_puts(x, !strcmp(mo_word, "FIRST")    ? "1"
                           : !strcmp(mo_word, "SECOND") ? "2"
                           : !strcmp(mo_word, "THIRD")  ? "3"
                           : !strcmp(mo_word, "FOURTH") ? "4"
                                                        : "Last");
            tl_buf_puts(x, "</Week></Weeks>");
            emit_list(x, d ? d : "MON", days_short, days_long, 7, "DaysOfWeek");
            emit_list(x, m ? m : "*", months_short, months_long, 12, "Months");
            tl_buf_puts(x, "</ScheduleByMonthDayOfWeek>");
        } else {
            tl_buf_puts(x, "<ScheduleByMonth><DaysOfMonth>");
            if (mo_word)
                tl_buf_puts(x, "<Day>Last</Day>");
            else {
                const char *p = d ? d : "1";
                if (!strcmp(p, "*"))
                    p = "1";
                while (*p) {
                    size_t n = strcspn(p, ",");
                    tl_buf_puts(x, "<Day>");
                    tl_buf_append(x, p, n);
                    tl_buf_puts(x, "</Day>");
                    p += n;
                    if (*p == ',')
                        p++;
                }
            }
            tl_buf_puts(x, "</DaysOfMonth>");
            emit_list(x, m ? m : "*", months_short, months_long, 12, "Months");
            tl_buf_puts(x, "</ScheduleByMonth>");
        }
        tl_buf_puts(x, "</CalendarTrigger>");
        break;
    case 6:
        tl_buf_printf(x, "<BootTrigger>%s<Enabled>true</Enabled>%s</BootTrigger>", endb, delay_x);
        break;
    case 7:
        tl_buf_printf(x, "<LogonTrigger>%s<Enabled>true</Enabled>%s</LogonTrigger>", endb, delay_x);
        break;
    case 8:
        tl_buf_printf(x, "<IdleTrigger>%s<Enabled>true</Enabled></IdleTrigger>", endb);
        break;
    case 9:
        tl_buf_printf(x, "<EventTrigger>%s<Enabled>true</Enabled><Subscription>", endb);
        {
            tl_buf q = TL_BUF_INIT;
            tl_buf_printf(&q,
                          "<QueryList><Query Id=\"0\" Path=\"%s\"><Select Path=\"%s\">%s"
                          "</Select></Query></QueryList>",
                          ec, ec, mo ? mo : "*");
            tl_buf_put_xml_text(x, tl_buf_cstr(&q));
            tl_buf_free(&q);
        }
        tl_buf_printf(x, "</Subscription>%s</EventTrigger>", delay_x);
        break;
    }
    tl_buf_free(&rep);
    tl_buf_puts(x, "</Triggers><Principals><Principal id=\"Author\"><UserId>");
    tl_buf_put_xml_text(x, uid);
    tl_buf_puts(x, "</UserId>");
    if (!is_system) {
        const char *lt = opt(o, "np")                    ? "S4U"
                         : opt(o, "rp") && !opt(o, "it") ? "Password"
                                                         : "InteractiveToken";
        tl_buf_printf(x, "<LogonType>%s</LogonType>", lt);
    }
    tl_buf_printf(x, "<RunLevel>%s</RunLevel></Principal></Principals>",
                  rl && !tl_strcasecmp(rl, "HIGHEST") ? "HighestAvailable" : "LeastPrivilege");
    tl_buf_puts(x, "<Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>"
                   "<DisallowStartIfOnBatteries>true</DisallowStartIfOnBatteries>"
                   "<StopIfGoingOnBatteries>true</StopIfGoingOnBatteries>"
                   "<AllowHardTerminate>true</AllowHardTerminate>"
                   "<StartWhenAvailable>false</StartWhenAvailable>"
                   "<RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable><IdleSettings>");
    if (idle)
        tl_buf_printf(x, "<Duration>PT%sM</Duration>", idle);
    else
        tl_buf_puts(x, "<Duration>PT10M</Duration>");
    tl_buf_puts(x, "<WaitTimeout>PT1H</WaitTimeout><StopOnIdleEnd>true</StopOnIdleEnd>"
                   "<RestartOnIdle>false</RestartOnIdle></IdleSettings>"
                   "<AllowStartOnDemand>true</AllowStartOnDemand><Enabled>true</Enabled>"
                   "<Hidden>false</Hidden>");
    tl_buf_printf(x, "<RunOnlyIfIdle>%s</RunOnlyIfIdle>", k == 8 ? "true" : "false");
    tl_buf_puts(x, "<WakeToRun>false</WakeToRun><ExecutionTimeLimit>PT72H</ExecutionTimeLimit>");
    if (opt(o, "z"))
        tl_buf_puts(x, "<DeleteExpiredTaskAfter>PT0S</DeleteExpiredTaskAfter>");
    tl_buf_puts(x, "<Priority>7</Priority></Settings><Actions Context=\"Author\"><Exec><Command>");
    /* /tr: a quoted program, or up to the first space, is the Command */
    const char *p = tr;
    while (*p == ' ')
        p++;
    const char *cmd_s, *cmd_e, *args;
    if (*p == '"') {
        cmd_s = p + 1;
        cmd_e = strchr(cmd_s, '"');
        if (!cmd_e)
            cmd_e = cmd_s + strlen(cmd_s);
        args = *cmd_e ? cmd_e + 1 : cmd_e;
    } else {
        cmd_s = p;
        cmd_e = p + strcspn(p, " ");
        args = cmd_e;
    }
    while (*args == ' ')
        args++;
    char *cmdtxt = tl_strndup(cmd_s, (size_t)(cmd_e - cmd_s));
    if (!cmdtxt)
        return TL_E_NOMEM;
    tl_buf_put_xml_text(x, cmdtxt);
    tl_free(cmdtxt);
    tl_buf_puts(x, "</Command>");
    if (*args) {
        tl_buf_puts(x, "<Arguments>");
        tl_buf_put_xml_text(x, args);
        tl_buf_puts(x, "</Arguments>");
    }
    tl_buf_puts(x, "</Exec></Actions></Task>\n");
    return tl_buf_status(x);
}

static tl_status do_create(tl_exec_ctx *c, const opts *o, int *rc)
{
    tl_sim *s = c->s;
    tl_status st;
    char *path = NULL, *xmlfile = NULL, *xmltext = NULL;
    tl_buf x = TL_BUF_INIT;
    char msg[512];
    const char *tn = opt(o, "tn");
    if (!tn)
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks /create: /TN is required");
    st = tl_task_path_canon(tn, &path, msg, sizeof msg);
    if (st == TL_E_PARSE)
        return tl_sim_step_error(s, c->d, st, "schtasks /create: %s", msg);
    if (st != TL_OK)
        return st;
    const char *xmlp = opt(o, "xml");
    if (!xmlp && !opt(o, "sc")) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks /create: /SC is required");
        goto cleanup;
    }
    if (xmlp) {
        static const char *const excl[] = {"sc", "mo", "d",  "m",  "i",     "tr", "st",
                                           "ri", "et", "du", "k",  "sd",    "ed", "it",
                                           "np", "z",  "v1", "rl", "delay", "ec", NULL};
        for (size_t i = 0; excl[i]; i++)
            if (opt(o, excl[i])) {
                st = tl_sim_step_error(s, c->d, TL_E_PARSE,
                                       "schtasks /create: /%s cannot be used with /XML", excl[i]);
                goto cleanup;
            }
    }
    if (opt(o, "rp") && !opt(o, "ru") && !xmlp) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks /create: /RP needs /RU or /XML");
        goto cleanup;
    }
    if ((opt(o, "u") || opt(o, "p")) && !opt(o, "s")) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks /create: /U and /P need /S");
        goto cleanup;
    }
    if (opt(o, "s") && !is_local_host(s, opt(o, "s"))) {
        *rc = 0; /* registered on another machine: nothing happens here */
        tl_sim_console_printf(s, "SUCCESS: The scheduled task \"%s\" has successfully been created.\r\n",
                              tn);
        st = remote_note(s, opt(o, "s"), "no task created on it");
        goto cleanup;
    }
    /* principal */
    char uid[128];
    long ruser = (long)c->user;
    int is_system = c->user == 0;
    if (opt(o, "ru")) {
        if (!resolve_ru(s, opt(o, "ru"), uid, sizeof uid, &ruser)) {
            *rc = 1;
            tl_sim_console_err(s, "ERROR: No mapping between account names and security IDs was "
                                   "done.\r\n");
            st = TL_OK;
            goto cleanup;
        }
        is_system = ruser == 0;
    } else {
        snprintf(uid, sizeof uid, "%s", s->users[c->user].sid);
    }
    /* a task for another account, or with highest privileges, needs an elevated admin */
    int needs_admin =
        (ruser != (long)c->user) || (opt(o, "rl") && !tl_strcasecmp(opt(o, "rl"), "HIGHEST"));
    if (needs_admin && c->integrity < 2) {
        *rc = 1;
        tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
        st = TL_OK;
        goto cleanup;
    }
    if (xmlp) {
        char *fp = tl_sim_expand_env(s, c->user, xmlp);
        TL_TRY_ALLOC(fp);
        /* relative file names are relative to the current directory */
        if (!(fp[0] && fp[1] == ':')) {
            tl_buf b = TL_BUF_INIT;
            const char *cwd = s->procs[c->parent].cwd;
            tl_buf_puts(&b, cwd);
            if (cwd[strlen(cwd) - 1] != '\\')
                tl_buf_putc(&b, '\\');
            tl_buf_puts(&b, fp);
            tl_free(fp);
            fp = tl_buf_take(&b);
            TL_TRY_ALLOC(fp);
        }
        xmlfile = fp;
        const tl_vfile *f = tl_fs_find(s, xmlfile);
        if (!f) {
            st = tl_sim_step_error(s, c->d, TL_E_PARSE,
                                   "schtasks /create: /XML file %s does not exist on the endpoint",
                                   xmlfile);
            goto cleanup;
        }
        TL_TRY(tl_text_decode(f->data, f->len, &xmltext));
        /* Windows refuses a task XML with a DOCTYPE (as the AR's reader does).
         * [A] windows.md is silent on the message and code: schtasks' generic
         * "ERROR: The task XML is malformed." with exit 1, no task registered. */
        if (tl_taskxml_has_doctype(xmltext)) {
            *rc = 1;
            tl_sim_console_err(s, "ERROR: The task XML is malformed.\r\n");
            st = TL_OK;
            goto cleanup;
        }
    } else {
        st = build_xml(c, o, path, uid, is_system, &x, msg, sizeof msg);
        if (st == TL_E_PARSE) {
            st = tl_sim_step_error(s, c->d, st, "schtasks /create: %s", msg);
            goto cleanup;
        }
        TL_TRY(st);
    }
    if (tl_task_find(s, path) && !opt(o, "f")) {
        *rc = 1; /* the replace prompt is answered "N" without a console */
        tl_sim_console_printf(s,
                              "WARNING: The task name \"%s\" already exists. Do you want to "
                              "replace it (Y/N)? \r\n",
                              tn);
        st = TL_OK;
        goto cleanup;
    }
    st =
        tl_task_register(s, path, xmltext ? xmltext : tl_buf_cstr(&x), 1, c->user, msg, sizeof msg);
    if (st == TL_E_PARSE) {
        st = tl_sim_step_error(s, c->d, st, "schtasks /create: %s%s%s", xmlfile ? xmlfile : "",
                               xmlfile ? ": " : "", msg);
        goto cleanup;
    }
    TL_TRY(st);
    *rc = 0;
    tl_sim_console_printf(s, "SUCCESS: The scheduled task \"%s\" has successfully been created.\r\n",
                          tn);
cleanup:
    tl_free(path);
    tl_free(xmlfile);
    tl_free(xmltext);
    tl_buf_free(&x);
    return st;
}

static tl_status lookup(tl_exec_ctx *c, const char *verb, const opts *o, tl_task **t, int *rc)
{
    char *path = NULL, msg[300];
    const char *tn = opt(o, "tn");
    *t = NULL;
    if (!tn)
        return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "schtasks %s: /TN is required", verb);
    tl_status st = tl_task_path_canon(tn, &path, msg, sizeof msg);
    if (st == TL_E_PARSE)
        return tl_sim_step_error(c->s, c->d, st, "schtasks %s: %s", verb, msg);
    if (st != TL_OK)
        return st;
    tl_task *f = tl_task_find(c->s, path);
    tl_free(path);
    if (!f || f->unloaded || !tl_task_visible(c->s, f)) {
        *rc = 1;
        tl_sim_console_err(c->s, "ERROR: The system cannot find the file specified.\r\n");
        return TL_OK;
    }
    *t = f;
    return TL_OK;
}

static int may_modify(const tl_exec_ctx *c, const tl_task *t)
{
    if (c->integrity >= 2)
        return 1;
    if (t->owner == c->user)
        return 1;
    return t->user_id && !tl_strcasecmp(t->user_id, c->s->users[c->user].sid);
}

static tl_status schtasks_run(tl_exec_ctx *c, long proc, char **argv, size_t argc, int *rc)
{
    tl_sim *s = c->s;
    s->caller_proc = proc;
    opts o;
    tl_status st;
    tl_task *t = NULL;
    *rc = 0;
    if (argc < 2) { /* "schtasks" alone = /query */
        char *text = NULL;
        TL_TRY(tl_schtasks_query_text(s, NULL, 0, NULL, &text));
        tl_sim_console_puts(s, text);
        tl_free(text);
        return TL_OK;
    }
    char typed[256];
    snprintf(typed, sizeof typed, "%s", argv[1]);
    if (tl_ev_schtasks_arg(s, argv[1]) < 0) {
        reject(s, typed);
        *rc = 1;
        return TL_OK;
    }
    const char *verb = argv[1];
    if (verb[0] != '/' && verb[0] != '-')
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks: invalid argument/option - '%s'",
                                 verb);
    verb++;
    if (!tl_strcasecmp(verb, "create")) {
        TL_TRY(parse_opts(c, "/create", create_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        return do_create(c, &o, rc);
    }
    if (!tl_strcasecmp(verb, "delete")) {
        TL_TRY(parse_opts(c, "/delete", delete_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        if (opt(&o, "s") && !is_local_host(s, opt(&o, "s")))
            return remote_note(s, opt(&o, "s"), "no task deleted on it");
        if (opt(&o, "tn") && !strcmp(opt(&o, "tn"), "*")) {
            if (c->integrity < 2) {
                *rc = 1;
                return TL_OK;
            }
            for (size_t i = 0; i < s->ntasks; i++)
                if (!s->tasks[i].deleted && !strchr(s->tasks[i].path + 1, '\\') &&
                    !s->tasks[i].unloaded)
                    TL_TRY(tl_task_delete(s, &s->tasks[i], c->user));
            return TL_OK;
        }
        TL_TRY(lookup(c, "/delete", &o, &t, rc));
        if (!t)
            return TL_OK;
        if (!may_modify(c, t)) {
            *rc = 1;
            tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
            return TL_OK;
        }
        TL_TRY(tl_task_delete(s, t, c->user));
        tl_sim_console_printf(s, "SUCCESS: The scheduled task \"%s\" was successfully deleted.\r\n",
                              opt(&o, "tn"));
        return TL_OK;
    }
    if (!tl_strcasecmp(verb, "change")) {
        TL_TRY(parse_opts(c, "/change", change_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        if (opt(&o, "enable") && opt(&o, "disable"))
            return tl_sim_step_error(s, c->d, TL_E_PARSE,
                                     "schtasks /change: /ENABLE and /DISABLE are exclusive");
        if (o.n == 1 || (o.n == 0))
            return tl_sim_step_error(
                s, c->d, TL_E_PARSE,
                "schtasks /change: nothing to change (give at least one option)");
        if (opt(&o, "tr") && strlen(opt(&o, "tr")) > 262)
            return tl_sim_step_error(
                s, c->d, TL_E_PARSE,
                "schtasks /change: invalid value for /TR: over 262 characters");
        if (opt(&o, "s") && !is_local_host(s, opt(&o, "s")))
            return remote_note(s, opt(&o, "s"), "no task changed on it");
        TL_TRY(lookup(c, "/change", &o, &t, rc));
        if (!t)
            return TL_OK;
        if (!may_modify(c, t)) {
            *rc = 1;
            tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
            return TL_OK;
        }
        if (opt(&o, "tr")) {
            const char *tr = opt(&o, "tr");
            tl_task_action a;
            memset(&a, 0, sizeof a);
            const char *p = tr, *e, *args;
            if (*p == '"') {
                p++;
                e = strchr(p, '"');
                if (!e)
                    e = p + strlen(p);
                args = *e ? e + 1 : e;
            } else {
                e = p + strcspn(p, " ");
                args = e;
            }
            while (*args == ' ')
                args++;
            a.command = tl_strndup(p, (size_t)(e - p));
            a.arguments = (char *)args;
            if (!a.command)
                return TL_E_NOMEM;
            char *nx = NULL;
            st = tl_taskxml_edit(t->xml, &a, -1, &nx);
            tl_free(a.command);
            TL_TRY(st);
            st = tl_task_update_xml(s, t, nx, c->user);
            tl_free(nx);
            TL_TRY(st);
        }
        if (opt(&o, "enable"))
            TL_TRY(tl_task_set_enabled(s, t, 1, c->user));
        if (opt(&o, "disable"))
            TL_TRY(tl_task_set_enabled(s, t, 0, c->user));
        tl_sim_console_printf(s,
                              "SUCCESS: The parameters of scheduled task \"%s\" have been "
                              "changed.\r\n",
                              opt(&o, "tn"));
        return TL_OK;
    }
    if (!tl_strcasecmp(verb, "run")) {
        TL_TRY(parse_opts(c, "/run", run_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        if (opt(&o, "s") && !is_local_host(s, opt(&o, "s")))
            return remote_note(s, opt(&o, "s"), "no task run on it");
        TL_TRY(lookup(c, "/run", &o, &t, rc));
        if (!t)
            return TL_OK;
        /* tasks whose principal is the Users group run for whoever starts them
         * (SilentCleanup, abused by Lokibot for UAC bypass) */
        if (!may_modify(c, t) && !(t->user_id && !strcmp(t->user_id, "S-1-5-32-545"))) {
            *rc = 1;
            tl_sim_console_err(s, "ERROR: Access is denied.\r\n");
            return TL_OK;
        }
        if (!t->enabled) { /* a disabled task does not start on demand */
            *rc = 1;
            return TL_OK;
        }
        tl_sim_console_printf(s, "SUCCESS: Attempted to run the scheduled task \"%s\".\r\n",
                              opt(&o, "tn"));
        return tl_task_run(s, t);
    }
    if (!tl_strcasecmp(verb, "end")) {
        TL_TRY(parse_opts(c, "/end", end_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        if (opt(&o, "s") && !is_local_host(s, opt(&o, "s")))
            return remote_note(s, opt(&o, "s"), "no task ended on it");
        TL_TRY(lookup(c, "/end", &o, &t, rc));
        if (t)
            tl_sim_console_printf(s,
                                  "SUCCESS: The scheduled task \"%s\" has been terminated "
                                  "successfully.\r\n",
                                  opt(&o, "tn"));
        return TL_OK;
    }
    if (!tl_strcasecmp(verb, "query")) {
        TL_TRY(parse_opts(c, "/query", query_sw, argv, argc, 2, &o));
        if (o.rejected) {
            *rc = 1;
            return TL_OK;
        }
        const char *fo = opt(&o, "fo");
        if (fo && tl_strcasecmp(fo, "TABLE") && tl_strcasecmp(fo, "LIST") &&
            tl_strcasecmp(fo, "CSV"))
            return tl_sim_step_error(s, c->d, TL_E_PARSE,
                                     "schtasks /query: invalid value '%s' for /FO", fo);
        if (opt(&o, "s") && !is_local_host(s, opt(&o, "s")))
            return remote_note(s, opt(&o, "s"), "its tasks are not listed");
        if (opt(&o, "xml"))
            return TL_OK; /* the XML form of the listing: not rendered [A] */
        if (opt(&o, "tn")) {
            TL_TRY(lookup(c, "/query", &o, &t, rc));
            if (!t)
                return TL_OK;
        }
        char *text = NULL;
        TL_TRY(tl_schtasks_query_text(s, fo, opt(&o, "nh") != NULL, t, &text));
        tl_sim_console_puts(s, text);
        tl_free(text);
        return TL_OK;
    }
    if (!tl_strcasecmp(verb, "?"))
        return TL_OK;
    return tl_sim_step_error(s, c->d, TL_E_PARSE, "schtasks: invalid argument/option - '%s'",
                             argv[1]);
cleanup:
    return st;
}

tl_status tl_interp_schtasks(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                             size_t argc, int *rc)
{
    (void)cmdline;
    /* schtasks.exe loads the Task Scheduler client before it parses anything */
    tl_status st = tl_sim_image_load(c->s, proc, "C:\\Windows\\System32\\taskschd.dll");
    if (st != TL_OK)
        return st;
    return schtasks_run(c, proc, argv, argc, rc);
}

/* ---- schtasks /query output (used by tests and the explain trace) ---------------- */

tl_status tl_sim_schtasks_query(tl_sim *s, const char *format, char **out)
{
    return tl_schtasks_query_text(s, format, 0, NULL, out);
}
