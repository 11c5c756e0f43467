/* SPDX-License-Identifier: MIT */
/*
 * The endpoint: construction of a scenario's host (users, baseline processes,
 * registry and tasks), process creation with Sysmon's GUID layout, the event
 * queue (the steps themselves run in scenario/steps.c).
 *
 * Event flow: a module produces a raw event (all schema-4.90 fields except
 * RuleName) and calls tl_sim_emit_sysmon(); the Sysmon engine decides whether it
 * is logged (tl_sysmon_filter, no allocation for dropped events) and the
 * logged ones are queued with their RuleName. Rendering (and with it the
 * EventRecordID) happens when the record is popped, so record ids increase in
 * time order per channel whatever the generation order.
 *
 * Release rule: tl_sim_next_record only returns records earlier than the time
 * of the next step not yet run, so a driver that alternates "run step, drain"
 * and one that runs every step first then drains see the same stream.
 *
 * GUIDs (windows.md §1.4): {MMMMMMMM-tttt-TTTT-cccc-SSSSSSSSSSSS} with M the
 * machine prefix, T:t the process start Unix time (high:low 16 bits), c a
 * 2-byte little-endian counter, S a host suffix; LogonGuid bytes 8..15 are the
 * LogonId little-endian. Prefix and suffix come from the scenario seed.
 *
 * Background noise ("noise" steps) is generated lazily while records are
 * popped, so 100,000 events need no more memory than one.
 */
#include "tasklab/sim.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"
#include "sim_int.h"
#include "sysmon_int.h"

#define CH_SYSMON 0
#define CH_SECURITY 1
#define CH_TASKSCHED 2

static const char *const chan_names[] = {"Microsoft-Windows-Sysmon/Operational", "Security",
                                         "Microsoft-Windows-TaskScheduler/Operational"};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '\\');
    return b ? b + 1 : p;
}

int tl_sim_is_x64(const tl_sim *s) { return !s->x86; }

const char *tl_sim_windir(const tl_sim *s)
{
    return s->sc && s->sc->windir ? s->sc->windir : "C:\\Windows";
}

char *tl_sim_windir_spell(const tl_sim *s, const char *text)
{
    const char *w = tl_sim_windir(s);
    size_t q = text[0] == '"';
    char *r = tl_strdup(text);
    if (r && !tl_strncasecmp(text + q, "C:\\Windows", 10) &&
        (text[q + 10] == '\\' || text[q + 10] == '"' || text[q + 10] == ' ' || !text[q + 10]))
        memcpy(r + q, w, 10); /* same length: only the casing differs (scenario loader) */
    return r;
}

/* Sysmon reports the paths of the Windows folder as the host spells it (evasion.md 3.2: the
 * folder's case comes from %SystemRoot%, "C:\WINDOWS\system32\schtasks.exe" on Splunk's
 * BOTS v2 hosts): the model keeps "C:\Windows" inside, the fields that carry a path are
 * spelled at emission. Which fields: the process and file paths Sysmon resolves itself. */
static int windir_field(const char *name)
{
    static const char *const names[] = {"Image", "ParentImage", "ImageLoaded", "TargetFilename",
                                        "CurrentDirectory", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

tl_time tl_sim_tick(tl_sim *s, int min_us, int max_us)
{
    s->now += min_us + (tl_time)tl_rng_below(&s->rng, (uint64_t)(max_us - min_us + 1));
    return s->now;
}

tl_status tl_sim_step_error(tl_sim *s, tl_diag *d, tl_status st, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *what = "command";
    if (s->cur) {
        switch (s->cur->kind) {
        case TL_STEP_REGISTRY:
            what = "registry";
            break;
        case TL_STEP_FILE:
            what = "file";
            break;
        case TL_STEP_NOISE:
            what = "noise";
            break;
        case TL_STEP_LOGON:
            what = "logon";
            break;
        case TL_STEP_TRIGGER:
            what = "trigger";
            break;
        case TL_STEP_RESTART:
            what = "restart";
            break;
        case TL_STEP_REBOOT:
            what = "reboot";
            break;
        default:
            break;
        }
        tl_diag_set(d, s->sc->path, 0, "$.steps[%zu].%s: %s", s->cur->file_index, what, msg);
        /* a task action reports into a private diag; a limit is the scenario's error */
        if (st == TL_E_LIMIT && s->cur_diag && s->cur_diag != d)
            tl_diag_set(s->cur_diag, s->sc->path, 0, "$.steps[%zu].%s: %s", s->cur->file_index,
                        what, msg);
    } else {
        tl_diag_set(d, s->sc->path, 0, "%s", msg);
    }
    return st;
}

long tl_sim_user_find(const tl_sim *s, const char *name)
{
    const char *bs = strrchr(name, '\\');
    if (bs)
        name = bs + 1;
    for (size_t i = 0; i < s->nusers; i++)
        if (tl_strcasecmp(s->users[i].name, name) == 0)
            return (long)i;
    return -1;
}

const char *tl_sim_user_display(const tl_sim *s, size_t u, char *buf, size_t n)
{
    snprintf(buf, n, "%s\\%s", s->users[u].domain, s->users[u].name);
    return buf;
}

char *tl_sim_wow64_image(const char *image)
{
    static const char sys32[] = "C:\\Windows\\System32\\";
    if (tl_strncasecmp(image, sys32, sizeof sys32 - 1) != 0)
        return tl_strdup(image);
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "C:\\Windows\\SysWOW64\\");
    tl_buf_puts(&b, image + sizeof sys32 - 1);
    return tl_buf_take(&b);
}

/* ---- version info of well-known images ---------------------------------- */
typedef struct vinfo {
    const char *name, *desc, *orig;
} vinfo;
static const vinfo vinfos[] = {
    {"schtasks.exe", "Task Scheduler Configuration Tool", "schtasks.exe"},
    {"cmd.exe", "Windows Command Processor", "Cmd.Exe"},
    {"powershell.exe", "Windows PowerShell", "PowerShell.EXE"},
    {"reg.exe", "Registry Console Tool", "reg.exe"},
    {"at.exe", "Schedule service command line interface", "at.exe"},
    {"svchost.exe", "Host Process for Windows Services", "svchost.exe"},
    {"calc.exe", "Windows Calculator", "CALC.EXE"},
    {"conhost.exe", "Console Window Host", "CONHOST.EXE"},
    {"taskhostw.exe", "Host Process for Windows Tasks", "taskhostw.exe"},
    {"notepad.exe", "Notepad", "NOTEPAD.EXE"},
    {"regsvr32.exe", "Microsoft(C) Register Server", "REGSVR32.EXE"},
    {"rundll32.exe", "Windows host process (Rundll32)", "RUNDLL32.EXE"},
    {"mshta.exe", "Microsoft (R) HTML Application host", "MSHTA.EXE"},
    {"wscript.exe", "Microsoft (R) Windows Based Script Host", "wscript.exe"},
    {"explorer.exe", "Windows Explorer", "EXPLORER.EXE"},
    {"backgroundtaskhost.exe", "Background Task Host", "backgroundTaskHost.exe"},
    {"mousocoreworker.exe", "MoUSO Core Worker Process", "MoUsoCoreWorker.exe"},
    {"wmiprvse.exe", "WMI Provider Host", "Wmiprvse.exe"},
    {"wmic.exe", "WMI Commandline Utility", "wmic.exe"}, /* [A] */
    {NULL, NULL, NULL}};

/* The Description of an image as the endpoint's Windows version has it:
 * schtasks.exe on Windows 7 (6.1) says "Manages scheduled tasks"
 * (windows.md 1.5; tasklab compare against the recorded Windows 7 twins). */
static const char *vinfo_desc(const tl_sim *s, const vinfo *vi)
{
    const char *b = s->sc->os_build ? s->sc->os_build : "";
    if (!strcmp(vi->name, "schtasks.exe") && !strncmp(b, "6.1", 3) && (b[3] == '.' || !b[3]))
        return "Manages scheduled tasks";
    return vi->desc;
}

static const vinfo *find_vinfo(const char *image);

int tl_sim_system_program(const char *path)
{
    static const char *const dirs[] = {
        "C:\\Windows\\System32\\", "C:\\Windows\\SysWOW64\\", "C:\\Windows\\System32\\wbem\\",
        "C:\\Windows\\SysWOW64\\wbem\\", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0\\", NULL};
    const char *b = base_name(path);
    size_t dl = (size_t)(b - path);
    for (size_t i = 0; dirs[i]; i++)
        if (dl == strlen(dirs[i]) && !tl_strncasecmp(path, dirs[i], dl))
            return find_vinfo(b) != NULL;
    return 0;
}

int tl_sim_program_absent(const tl_sim *s, const char *image)
{
    static const char wmic[] = "C:\\Windows\\System32\\wbem\\wmic.exe";
    if (tl_strcasecmp(image, wmic) && tl_strcasecmp(image, "C:\\Windows\\SysWOW64\\wbem\\wmic.exe"))
        return 0;
    const char *b = s->sc->os_build ? s->sc->os_build : "";
    unsigned maj = 0, min = 0, build = 0;
    return sscanf(b, "%u.%u.%u", &maj, &min, &build) == 3 && maj == 10 && build >= 26100;
}

const char *tl_sim_image_origin(const tl_sim *s, const char *image)
{
    if (!s->has_copies)
        return image;
    const tl_vfile *f = tl_fs_find(s, image);
    return f && f->copy_of ? f->copy_of : image;
}

static const vinfo *find_vinfo(const char *image)
{
    const char *b = base_name(image);
    for (const vinfo *v = vinfos; v->name; v++)
        if (tl_strcasecmp(v->name, b) == 0)
            return v;
    return NULL;
}

/* Deterministic pseudo hashes of an image (no real binaries exist here). */
static void image_hashes(const char *image, char *out, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *p = image; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        h = (h ^ (unsigned char)c) * UINT64_C(0x100000001b3);
    }
    /* eight "%016llX" and "SHA1=%.40s,MD5=%.32s,SHA256=%.64s,IMPHASH=%.32s" of
     * hex, hex+40, hex+8, hex+72, without printf (every process and image
     * load event of the soak's noise has one) */
    static const char xd[] = "0123456789ABCDEF";
    char hex[128];
    uint64_t x = h;
    for (size_t k = 0; k < 128; k += 16) {
        x = mix64(x + 0x9e3779b97f4a7c15ULL);
        uint64_t v = x;
        for (int i = 15; i >= 0; i--, v >>= 4)
            hex[k + (size_t)i] = xd[v & 15];
    }
    static const struct {
        const char *label;
        size_t off, len;
    } part[] = {{"SHA1=", 0, 40}, {",MD5=", 40, 32}, {",SHA256=", 8, 64}, {",IMPHASH=", 72, 32}};
    char tmp[200];
    size_t o = 0;
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        size_t l = strlen(part[i].label);
        memcpy(tmp + o, part[i].label, l);
        memcpy(tmp + o + l, hex + part[i].off, part[i].len);
        o += l + part[i].len;
    }
    if (!n)
        return;
    if (o > n - 1)
        o = n - 1; /* as snprintf truncates */
    memcpy(out, tmp, o);
    out[o] = '\0';
}

/* FileVersion of the endpoint's stock images (the same for every image): made
 * once per simulator into s->fver. */
static void file_version(const tl_sim *s, char *out, size_t n)
{
    const char *b = s->sc->os_build ? s->sc->os_build : "10.0.19044";
    int maj = 10, min = 0, build = 19044;
    sscanf(b, "%d.%d.%d", &maj, &min, &build);
    if (build >= 19041 && build <= 19045)
        build = 19041; /* 20H1..22H2 ship 19041 binaries */
    snprintf(out, n, "%d.%d.%d.1 (WinBuild.160101.0800)", maj, min, build);
}

/* ---- GUIDs, pids --------------------------------------------------------- */

/* What "%u" prints, into out (at least 11 bytes); no printf, as these run for
 * every event of the soak's noise. */
static void put_u(char *out, unsigned v)
{
    char tmp[12];
    size_t k = sizeof tmp;
    tmp[--k] = '\0';
    do {
        tmp[--k] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    memcpy(out, tmp + k, sizeof tmp - k);
}

/* v as exactly w lowercase hex digits ("%0<w>x" for v < 16^w); returns o + w. */
static char *put_hex(char *o, uint32_t v, int w)
{
    static const char xd[] = "0123456789abcdef";
    for (int i = w - 1; i >= 0; i--, v >>= 4)
        o[i] = xd[v & 15u];
    return o + w;
}

/* "{" machine prefix "-" tttt "-" TTTT "-", the common head of both GUID forms. */
static char *guid_head(const tl_sim *s, uint32_t t, char *o)
{
    *o++ = '{';
    size_t l = strlen(s->machine_prefix);
    memcpy(o, s->machine_prefix, l);
    o += l;
    *o++ = '-';
    o = put_hex(o, t & 0xffffu, 4);
    *o++ = '-';
    o = put_hex(o, t >> 16, 4);
    *o++ = '-';
    return o;
}

/* "{%s-%04x-%04x-%02x%02x-%s}" of prefix, t low, t high, counter bytes, suffix */
static void make_guid(const tl_sim *s, tl_time start, unsigned counter, char out[40])
{
    uint32_t t = (uint32_t)(start / TL_USEC_PER_SEC);
    char *o = guid_head(s, t, out);
    o = put_hex(o, counter & 0xffu, 2);
    o = put_hex(o, (counter >> 8) & 0xffu, 2);
    *o++ = '-';
    size_t l = strlen(s->host_suffix);
    memcpy(o, s->host_suffix, l);
    o += l;
    *o++ = '}';
    *o = '\0';
}

/* "{%s-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}" with the LogonId's bytes, little-endian */
static void make_logon_guid(const tl_sim *s, tl_time t0, uint64_t logon, char out[40])
{
    uint32_t t = (uint32_t)(t0 / TL_USEC_PER_SEC);
    char *o = guid_head(s, t, out);
    for (int i = 0; i < 8; i++) {
        o = put_hex(o, (uint32_t)(logon >> (8 * i)) & 0xffu, 2);
        if (i == 1)
            *o++ = '-';
    }
    *o++ = '}';
    *o = '\0';
}

static unsigned new_pid(tl_sim *s)
{
    s->next_pid += 4u * (1u + (unsigned)tl_rng_below(&s->rng, 60));
    if (s->next_pid > 15000)
        s->next_pid = 500 + 4u * (unsigned)tl_rng_below(&s->rng, 100);
    return s->next_pid;
}

static const char *integrity_name(int i)
{
    static const char *const n[] = {"Low", "Medium", "High", "System"};
    return n[i < 0 ? 0 : i > 3 ? 3 : i];
}

/* ---- event queue --------------------------------------------------------- */

static int qless(const tl_qrec *a, const tl_qrec *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    if (a->stream != b->stream)
        return a->stream < b->stream;
    return a->seq < b->seq;
}

static void qrec_free(tl_qrec *r)
{
    tl_free(r->fields);
    tl_free(r->explain_own);
}

static tl_status qpush(tl_sim *s, tl_qrec *r)
{
    if (s->nq == s->capq) {
        size_t nc = s->capq ? s->capq * 2 : 64;
        tl_qrec *nq = tl_realloc(s->q, nc * sizeof *nq);
        if (!nq)
            return TL_E_NOMEM;
        s->q = nq;
        s->capq = nc;
    }
    size_t i = s->nq++;
    s->q[i] = *r;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!qless(&s->q[i], &s->q[p]))
            break;
        tl_qrec t = s->q[i];
        s->q[i] = s->q[p];
        s->q[p] = t;
        i = p;
    }
    return TL_OK;
}

static void qpop(tl_sim *s, tl_qrec *out)
{
    *out = s->q[0];
    s->q[0] = s->q[--s->nq];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nq && qless(&s->q[l], &s->q[m]))
            m = l;
        if (r < s->nq && qless(&s->q[r], &s->q[m]))
            m = r;
        if (m == i)
            break;
        tl_qrec t = s->q[i];
        s->q[i] = s->q[m];
        s->q[m] = t;
        i = m;
    }
}

/* The fields with their values in one owned block (array, then the texts):
 * one allocation per queued record instead of one per field. */
static tl_status copy_fields(const tl_evfield *f, size_t n, tl_evfield **out)
{
    size_t len[64], total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(f[i].value ? f[i].value : "") + 1;
        if (i < 64)
            len[i] = l;
        total += l;
    }
    tl_evfield *c = tl_malloc((n ? n : 1) * sizeof *c + total);
    if (!c)
        return TL_E_NOMEM;
    char *w = (char *)(c + (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        const char *v = f[i].value ? f[i].value : "";
        size_t l = i < 64 ? len[i] : strlen(v) + 1;
        memcpy(w, v, l);
        c[i].name = f[i].name; /* static names */
        c[i].value = w;
        w += l;
    }
    *out = c;
    return TL_OK;
}

/* ---- work budget (tasklab/limits.h) ----------------------------------------- */

static tl_status over_budget(tl_sim *s, const char *what, long limit)
{
    s->over_budget = 1;
    return tl_sim_step_error(s, s->cur_diag, TL_E_LIMIT,
                             "more than %ld %s in one run (the work budget: scenario key "
                             "\"limits\".%s, at most %ld)",
                             limit, what, what,
                             !strcmp(what, "events") ? (long)TL_LIMIT_MAX_EVENTS
                                                     : (long)TL_LIMIT_MAX_COMMANDS);
}

static tl_status work_event(tl_sim *s)
{
    if (s->cur_stream != &s->steps_stream)
        return TL_OK; /* noise has its own cap (TL_LIMIT_NOISE_EVENTS) */
    if (s->over_budget || ++s->work_events > s->sc->limit_events)
        return over_budget(s, "events", s->sc->limit_events);
    return TL_OK;
}

tl_status tl_sim_work_command(tl_sim *s)
{
    if (s->over_budget || ++s->work_commands > s->sc->limit_commands)
        return over_budget(s, "commands", s->sc->limit_commands);
    return TL_OK;
}

void tl_sim_set_dropped_hook(tl_sim *s, tl_sim_dropped_fn fn, void *ctx)
{
    s->on_dropped = fn;
    s->dropped_ctx = ctx;
}

static tl_status emit_sysmon(tl_sim *s, int id, tl_time t, const tl_evfield *f, size_t n);

tl_status tl_sim_emit_sysmon(tl_sim *s, int id, tl_time t, const tl_evfield *f, size_t n)
{
    if (s->quiet)
        return TL_OK;
    if (!strcmp(tl_sim_windir(s), "C:\\Windows") || n > 32)
        return emit_sysmon(s, id, t, f, n);
    tl_evfield g[32];
    char *own[32] = {0};
    tl_status st = TL_OK;
    for (size_t i = 0; i < n; i++) {
        g[i] = f[i];
        if (f[i].value && windir_field(f[i].name)) {
            TL_TRY_ALLOC(own[i] = tl_sim_windir_spell(s, f[i].value));
            g[i].value = own[i];
        }
    }
    st = emit_sysmon(s, id, t, g, n);
cleanup:
    for (size_t i = 0; i < n; i++)
        tl_free(own[i]);
    return st;
}

static tl_status emit_sysmon(tl_sim *s, int id, tl_time t, const tl_evfield *f, size_t n)
{
    if (work_event(s) != TL_OK)
        return TL_E_LIMIT;
    tl_sysmon_event ev = {id, f, n};
    tl_sm_result v;
    if (tl_sm_memo_filter(s->memo, &ev, &v) != TL_OK)
        return TL_E_NOMEM;
    tl_stream *sm = s->cur_stream;
    uint64_t seq = ++sm->seq;
    if (!v.logged) {
        if (s->on_dropped)
            s->on_dropped(s->dropped_ctx, id, t, s->cur_step, f, n, v.explain);
        return TL_OK;
    }
    tl_qrec r;
    memset(&r, 0, sizeof r);
    /* TimeCreated lags UtcTime by 1..9 ms (seed sample: 8.5 ms) */
    uint64_t h = mix64(((uint64_t)sm->id << 48) ^ seq ^ (s->sc->seed * UINT64_C(0x9e3779b97f4a7c15)));
    r.time = t + 1000 + (tl_time)(h % 8000);
    /* Sysmon writes in processing order: TimeCreated never goes backwards */
    if (r.time <= sm->last[CH_SYSMON])
        r.time = sm->last[CH_SYSMON] + 37 + (tl_time)((h >> 20) % 400);
    sm->last[CH_SYSMON] = r.time;
    r.seq = seq;
    r.stream = sm->id;
    r.step = s->cur_step;
    r.sysmon = 1;
    r.chan = CH_SYSMON;
    r.id = id;
    r.rule_name = v.rule_name;
    tl_status st = copy_fields(f, n, &r.fields);
    if (st != TL_OK)
        return st;
    r.nfields = n;
    if (v.stable) {
        r.explain = v.explain; /* interned for the sim's life */
    } else {
        r.explain = r.explain_own = tl_strdup(v.explain);
    }
    if (!r.explain || qpush(s, &r) != TL_OK) {
        qrec_free(&r);
        return TL_E_NOMEM;
    }
    return TL_OK;
}

tl_status tl_sim_emit_generic(tl_sim *s, int chan, int id, tl_time t, const tl_evfield *f, size_t n)
{
    return tl_sim_emit_generic_after(s, chan, id, t, 0, f, n);
}

/* Records are merged by TimeCreated, and Sysmon's lag (1..9 ms) is longer than the
 * Security log's (0.5..3.5 ms): an event the service logs a few ms after a client's
 * Event 7 could otherwise sort before it, an effect shown before its cause (issue 14:
 * 4702 before the taskschd.dll load of the powershell.exe that made the change). */
tl_status tl_sim_emit_generic_after(tl_sim *s, int chan, int id, tl_time t, tl_time after,
                                    const tl_evfield *f, size_t n)
{
    if (s->quiet)
        return TL_OK;
    if (work_event(s) != TL_OK)
        return TL_E_LIMIT;
    tl_qrec r;
    memset(&r, 0, sizeof r);
    tl_stream *sm = s->cur_stream;
    r.seq = ++sm->seq;
    r.stream = sm->id;
    uint64_t h = mix64(((uint64_t)sm->id << 48) ^ r.seq ^ (s->sc->seed * UINT64_C(0x9e3779b97f4a7c15)) ^
                       (uint64_t)chan);
    r.time = t + 500 + (tl_time)(h % 3000);
    if (r.time <= after)
        r.time = after + 53 + (tl_time)((h >> 20) % 400);
    if (r.time <= sm->last[chan])
        r.time = sm->last[chan] + 53 + (tl_time)((h >> 20) % 400);
    sm->last[chan] = r.time;
    r.step = s->cur_step;
    r.chan = chan;
    r.id = id;
    tl_winevt_system *y = &r.sys;
    y->event_id = id;
    y->opcode = 0;
    if (chan == CH_SECURITY) {
        y->provider_name = "Microsoft-Windows-Security-Auditing";
        y->provider_guid = "{54849625-5478-4994-a5ba-3e3b0328c30d}";
        y->version = 1;
        y->level = 0;
        y->task = 12804;
        y->keywords = "0x8020000000000000";
        y->user_sid = NULL;
        y->pid = (unsigned)(s->procs[s->services_exe].pid + 12); /* lsass */
        y->tid = 700 + (unsigned)((h >> 32) % 4000) * 4;
        static const char *const first[] = {
            "A scheduled task was created.", "A scheduled task was deleted.",
            "A scheduled task was enabled.", "A scheduled task was disabled.",
            "A scheduled task was updated."};
        r.msg_first = id >= 4698 && id <= 4702 ? first[id - 4698] : NULL;
    } else {
        y->provider_name = "Microsoft-Windows-TaskScheduler";
        y->provider_guid = "{de7b24ea-73c8-4a09-985d-5bdadcfa9017}";
        y->version = 0;
        y->level = 4;
        y->task = id;
        y->keywords = "0x8000000000000000";
        y->user_sid = "S-1-5-18";
        y->pid = s->procs[s->schedule_svc].pid;
        y->tid = 900 + (unsigned)((h >> 32) % 3000) * 4;
        /* TaskScheduler/Operational: the EventData Name attribute and the first line
         * of the message, per event id (windows.md 6.2) */
        static const struct {
            int id;
            const char *edata, *first;
        } ts[] = {
            {100, "TaskStartEvent", "Task Started"},
            {102, "TaskSuccessEvent", "Task completed"},
            {106, "TaskRegistered", "Task registered"},
            {129, "CreatedTaskProcess", "Created Task Process"},
            {140, "TaskUpdated", "Task registration updated"},
            {141, "TaskRegistrationDeleted", "Task registration deleted"},
            {142, "TaskDisabled", "Task disabled"},
            {200, "ActionStart", "Action started"},
            {201, "ActionSuccess", "Action completed"},
        };
        r.msg_first = NULL;
        for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++)
            if (ts[k].id == id) {
                r.edata_name = ts[k].edata;
                r.msg_first = ts[k].first;
            }
    }
    y->channel = chan_names[chan];
    tl_status st = copy_fields(f, n, &r.fields);
    if (st != TL_OK)
        return st;
    r.nfields = n;
    if (qpush(s, &r) != TL_OK) {
        qrec_free(&r);
        return TL_E_NOMEM;
    }
    return TL_OK;
}

/* ---- processes ------------------------------------------------------------ */

static tl_status proc_add(tl_sim *s, tl_proc *p, long *out)
{
    if (s->nprocs == s->capprocs) {
        size_t nc = s->capprocs ? s->capprocs * 2 : 32;
        tl_proc *np = tl_realloc(s->procs, nc * sizeof *np);
        if (!np)
            return TL_E_NOMEM;
        s->procs = np;
        s->capprocs = nc;
    }
    s->procs[s->nprocs] = *p;
    *out = (long)s->nprocs++;
    return TL_OK;
}

static void proc_user_field(const tl_sim *s, const tl_proc *p, char *buf, size_t n)
{
    tl_sim_user_display(s, p->user, buf, n);
}

tl_status tl_sim_proc_create(tl_sim *s, long parent, size_t user, int integrity, const char *image,
                             const char *cmdline, const char *cwd, long *out)
{
    tl_status st;
    tl_proc p;
    memset(&p, 0, sizeof p);
    p.parent = parent;
    p.user = user;
    p.integrity = integrity;
    p.start = s->now;
    p.pid = new_pid(s);
    make_guid(s, p.start, ++s->guid_counter, p.guid);
    const tl_user *u = &s->users[user];
    p.logon_id = integrity >= 2 && u->admin && user != 0 ? u->logon_id_elev : u->logon_id;
    p.session = u->session;
    p.wow64 = parent >= 0 && s->procs[parent].wow64;
    TL_TRY_ALLOC(p.image = p.wow64 ? tl_sim_wow64_image(image) : tl_strdup(image));
    TL_TRY_ALLOC(p.cmdline = tl_strdup(cmdline));
    TL_TRY_ALLOC(p.cwd =
                     tl_strdup(cwd                                   ? cwd
                               : parent >= 0 && s->procs[parent].cwd ? s->procs[parent].cwd
                                                                     : "C:\\Windows\\system32\\"));
    long idx;
    TL_TRY(proc_add(s, &p, &idx));
    memset(&p, 0, sizeof p);
    if (!s->quiet) {
        const tl_proc *c = &s->procs[idx];
        const tl_proc *pp = parent >= 0 ? &s->procs[parent] : NULL;
        char utc[32], pid[16], ppid[16], lg[40], lid[24], sess[12], hashes[300],
            user_s[300], puser_s[300];
        tl_time_fmt_sysmon(c->start, utc);
        put_u(pid, c->pid);
        put_u(ppid, pp ? pp->pid : 0);
        make_logon_guid(s, u->logon_time, c->logon_id, lg);
        snprintf(lid, sizeof lid, "0x%llx", (unsigned long long)c->logon_id);
        put_u(sess, c->session);
        /* a renamed copy has the original's bytes: its hashes and version resource */
        const char *origin = tl_sim_image_origin(s, c->image);
        image_hashes(origin, hashes, sizeof hashes);
        const vinfo *vi = find_vinfo(origin);
        proc_user_field(s, c, user_s, sizeof user_s);
        if (pp)
            proc_user_field(s, pp, puser_s, sizeof puser_s);
        tl_evfield f[] = {
            {"UtcTime", utc},
            {"ProcessGuid", c->guid},
            {"ProcessId", pid},
            {"Image", c->image},
            {"FileVersion", vi ? s->fver : "-"},
            {"Description", vi ? vinfo_desc(s, vi) : "-"},
            {"Product", vi ? "Microsoft® Windows® Operating System" : "-"},
            {"Company", vi ? "Microsoft Corporation" : "-"},
            {"OriginalFileName", vi ? vi->orig : "-"},
            {"CommandLine", c->cmdline},
            {"CurrentDirectory", c->cwd},
            {"User", user_s},
            {"LogonGuid", lg},
            {"LogonId", lid},
            {"TerminalSessionId", sess},
            {"IntegrityLevel", integrity_name(c->integrity)},
            {"Hashes", hashes},
            {"ParentProcessGuid", pp ? pp->guid : "-"},
            {"ParentProcessId", ppid},
            {"ParentImage", pp ? pp->image : "-"},
            {"ParentCommandLine", pp ? pp->cmdline : "-"},
            {"ParentUser", pp ? puser_s : "-"},
        };
        TL_TRY(tl_sim_emit_sysmon(s, 1, c->start, f, sizeof f / sizeof f[0]));
    }
    if (out)
        *out = idx;
    st = TL_OK;
cleanup:
    tl_free(p.image);
    tl_free(p.cmdline);
    tl_free(p.cwd);
    return st;
}

tl_status tl_sim_image_load(tl_sim *s, long proc, const char *dll)
{
    if (s->quiet)
        return TL_OK;
    if (tl_strcasecmp(base_name(dll), "taskschd.dll") == 0) {
        if (s->procs[proc].taskschd_loaded)
            return TL_OK; /* a DLL is mapped once per process */
        s->procs[proc].taskschd_loaded = 1;
    }
    const tl_proc *p = &s->procs[proc];
    tl_time t = tl_sim_tick(s, 2000, 9000);
    char utc[32], pid[16], hashes[300], user_s[300];
    char *loaded = p->wow64 ? tl_sim_wow64_image(dll) : tl_strdup(dll);
    if (!loaded)
        return TL_E_NOMEM;
    tl_time_fmt_sysmon(t, utc);
    put_u(pid, p->pid);
    image_hashes(loaded, hashes, sizeof hashes);
    proc_user_field(s, p, user_s, sizeof user_s);
    int tsd = tl_strcasecmp(base_name(dll), "taskschd.dll") == 0;
    tl_evfield f[] = {
        {"UtcTime", utc},
        {"ProcessGuid", p->guid},
        {"ProcessId", pid},
        {"Image", p->image},
        {"ImageLoaded", loaded},
        {"FileVersion", s->fver},
        {"Description", tsd ? "Task Scheduler COM API" : "-"},
        {"Product", "Microsoft® Windows® Operating System"},
        {"Company", "Microsoft Corporation"},
        {"OriginalFileName", tsd ? "taskschd.dll" : base_name(dll)},
        {"Hashes", hashes},
        {"Signed", "true"},
        {"Signature", "Microsoft Windows"},
        {"SignatureStatus", "Valid"},
        {"User", user_s},
    };
    tl_time before = s->cur_stream->last[CH_SYSMON];
    tl_status st = tl_sim_emit_sysmon(s, 7, t, f, sizeof f / sizeof f[0]);
    if (st == TL_OK && tsd && s->cur_stream->last[CH_SYSMON] != before)
        s->procs[proc].taskschd_logged = s->cur_stream->last[CH_SYSMON]; /* it was logged */
    tl_free(loaded);
    return st;
}

tl_status tl_sim_reg_event(tl_sim *s, long proc, const char *etype, const char *target,
                           const char *details)
{
    if (s->quiet)
        return TL_OK;
    const tl_proc *p = &s->procs[proc];
    tl_time t = tl_sim_tick(s, 100, 900);
    char utc[32], pid[16], user_s[300];
    tl_time_fmt_sysmon(t, utc);
    put_u(pid, p->pid);
    proc_user_field(s, p, user_s, sizeof user_s);
    int id = strcmp(etype, "SetValue") == 0 ? 13 : strcmp(etype, "RenameKey") == 0 ? 14 : 12;
    tl_evfield f[9];
    size_t n = 0;
    f[n++] = (tl_evfield){"EventType", etype};
    f[n++] = (tl_evfield){"UtcTime", utc};
    f[n++] = (tl_evfield){"ProcessGuid", p->guid};
    f[n++] = (tl_evfield){"ProcessId", pid};
    f[n++] = (tl_evfield){"Image", p->image};
    f[n++] = (tl_evfield){"TargetObject", target};
    if (id == 13)
        f[n++] = (tl_evfield){"Details", details ? details : ""};
    if (id == 14)
        f[n++] = (tl_evfield){"NewName", details ? details : ""};
    f[n++] = (tl_evfield){"User", user_s};
    return tl_sim_emit_sysmon(s, id, t, f, n);
}

tl_status tl_sim_file_event(tl_sim *s, long proc, const char *path, tl_time created)
{
    if (s->quiet)
        return TL_OK;
    const tl_proc *p = &s->procs[proc];
    tl_time t = tl_sim_tick(s, 200, 2000);
    char utc[32], cutc[32], pid[16], user_s[300];
    tl_time_fmt_sysmon(t, utc);
    tl_time_fmt_sysmon(created ? created : t, cutc);
    put_u(pid, p->pid);
    proc_user_field(s, p, user_s, sizeof user_s);
    tl_evfield f[] = {
        {"UtcTime", utc},    {"ProcessGuid", p->guid}, {"ProcessId", pid},
        {"Image", p->image}, {"TargetFilename", path}, {"CreationUtcTime", cutc},
        {"User", user_s},
    };
    return tl_sim_emit_sysmon(s, 11, t, f, sizeof f / sizeof f[0]);
}

/* ---- construction ----------------------------------------------------------- */

static tl_status add_user(tl_sim *s, const char *name, const char *domain, const char *sid,
                          int admin, uint64_t logon, unsigned session, tl_time logon_time)
{
    tl_user *u = &s->users[s->nusers];
    memset(u, 0, sizeof *u);
    u->name = tl_strdup(name);
    u->domain = tl_strdup(domain);
    u->sid = tl_strdup(sid);
    s->nusers++;
    if (!u->name || !u->domain || !u->sid)
        return TL_E_NOMEM;
    u->admin = admin;
    u->logon_id = logon;
    u->logon_id_elev = admin ? logon + 0x28 + tl_rng_below(&s->rng, 0x200) : logon;
    u->session = session;
    u->logon_time = logon_time;
    return TL_OK;
}

static tl_status resolve_config(const tl_sim *s, const tl_sim_opts *o, char **out, tl_diag *d)
{
    const char *c = o && o->sysmon_config ? o->sysmon_config : tl_scenario_sysmon_config(s->sc);
    tl_buf b = TL_BUF_INIT;
    if (o && o->sysmon_config) {
        tl_buf_puts(&b, c);
    } else if (strcmp(c, "default") == 0) {
        tl_buf_printf(&b, "%s/sysmonconfig.xml", o && o->etc_dir ? o->etc_dir : "pipeline/etc");
    } else if (strcmp(c, "sysmon-modular") == 0 || strcmp(c, "swiftonsecurity") == 0) {
        if (!o || !o->shared_dir) {
            tl_diag_set(d, s->sc->path, 0,
                        "$.endpoint.sysmon_config: \"%s\" needs the shared reference folder", c);
            return TL_E_NOTFOUND;
        }
        tl_buf_printf(&b, "%s/reference/sysmon/%s", o->shared_dir,
                      c[1] == 'y' ? "sysmon-modular_sysmonconfig.xml"
                                  : "swiftonsecurity_sysmonconfig-export.xml");
        char *p = tl_buf_take(&b);
        if (!p)
            return TL_E_NOMEM;
        FILE *f = fopen(p, "rb");
        if (!f) {
            tl_diag_set(d, s->sc->path, 0, "$.endpoint.sysmon_config: %s: not found", p);
            tl_free(p);
            return TL_E_NOTFOUND;
        }
        fclose(f);
        *out = p;
        return TL_OK;
    } else if (c[0] == '/') {
        tl_buf_puts(&b, c);
    } else {
        tl_buf_printf(&b, "%s/%s", s->sc->dir, c);
    }
    if (tl_buf_status(&b) != TL_OK)
        return TL_E_NOMEM;
    if (!(o && o->sysmon_config) && strcmp(c, "default") != 0) {
        /* a path named by the scenario (untrusted) resolves only inside its own
         * folder, pipeline/etc or ../shared/reference; a file the user names
         * on the command line (--config) may be anywhere */
        tl_buf ref = TL_BUF_INIT;
        if (o && o->shared_dir)
            tl_buf_printf(&ref, "%s/reference", o->shared_dir);
        const char *roots[] = {s->sc->dir, o && o->etc_dir ? o->etc_dir : "pipeline/etc",
                               ref.len ? tl_buf_cstr(&ref) : NULL};
        int in = tl_path_inside(tl_buf_cstr(&b), roots, 3);
        tl_buf_free(&ref);
        if (in == 0) {
            tl_diag_set(d, s->sc->path, 0,
                        "$.endpoint.sysmon_config: %s: outside the scenario's folder, "
                        "pipeline/etc and ../shared/reference (a file named on the command "
                        "line, tasklab sysmon --config, may be anywhere)",
                        c);
            tl_buf_free(&b);
            return TL_E_INVAL;
        }
    }
    *out = tl_buf_take(&b);
    return *out ? TL_OK : TL_E_NOMEM;
}

tl_status tl_sim_baseline(tl_sim *s);

static tl_status proc_quiet(tl_sim *s, long parent, size_t user, int integ, const char *image,
                            const char *cmdline, unsigned pid, tl_time start, long *out)
{
    tl_time save = s->now;
    s->now = start;
    /* the boot processes' command lines come from %SystemRoot% (services' ImagePath) */
    char *cl = tl_sim_windir_spell(s, cmdline);
    if (!cl)
        return TL_E_NOMEM;
    tl_status st = tl_sim_proc_create(s, parent, user, integ, image, cl, NULL, out);
    tl_free(cl);
    s->now = save;
    if (st == TL_OK && pid)
        s->procs[*out].pid = pid;
    return st;
}

static tl_status sim_new(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                         tl_sysmon_config_loader loader, void *loader_ctx, tl_sim **out,
                         tl_diag *d);

tl_status tl_sim_new(const tl_scenario *sc, const tl_sim_opts *o, tl_sim **out, tl_diag *d)
{
    return sim_new(sc, o, NULL, NULL, NULL, out, d);
}

tl_status tl_sim_new_in_memory(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                               tl_sim **out, tl_diag *d)
{
    return sim_new(sc, o, mem, NULL, NULL, out, d);
}

tl_status tl_sim_new_via(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                         tl_sysmon_config_loader loader, void *loader_ctx, tl_sim **out,
                         tl_diag *d)
{
    return sim_new(sc, o, mem, loader, loader_ctx, out, d);
}

static tl_status sim_new(const tl_scenario *sc, const tl_sim_opts *o, tl_memdrive *mem,
                         tl_sysmon_config_loader loader, void *loader_ctx, tl_sim **out,
                         tl_diag *d)
{
    tl_status st;
    tl_sim *s = NULL;
    char *cfgpath = NULL;
    if (sc->recording) {
        /* its events are recorded ones: the driver replays them (pipeline/driver recorded.c) */
        tl_diag_set(d, sc->path, 0, "a recording scenario (%s): nothing to simulate",
                    sc->recording);
        return TL_E_INVAL;
    }
    TL_TRY_ALLOC(s = tl_calloc(1, sizeof *s));
    s->sc = sc;
    file_version(s, s->fver, sizeof s->fver);
    s->schedule_svc = -1;
    s->caller_proc = -1;
    s->cur_stream = &s->steps_stream;
    TL_TRY(resolve_config(s, o, &cfgpath, d));
    if (loader) {
        st = loader(loader_ctx, cfgpath, &s->cfg, d);
    } else {
        st = tl_sysmon_config_load(cfgpath, &s->cfg_owned, d);
        s->cfg = s->cfg_owned;
    }
    if (st == TL_E_IO) /* a missing default or scenario-relative config is a setup error */
        tl_diag_set(d, sc->path, 0, "$.endpoint.sysmon_config: %s: cannot read", cfgpath);
    if (st != TL_OK)
        goto cleanup;
    TL_TRY_ALLOC(s->memo = tl_sm_memo_new(s->cfg));
    if (o && o->drive_c)
        TL_TRY_ALLOC(s->drive_c = tl_strdup(o->drive_c));
    s->mem = mem; /* both when both are given (a run that also records) */

    s->x86 = sc->arch && strcmp(sc->arch, "x86") == 0;
    {
        int maj = 10, min = 0;
        if (sc->os_build)
            sscanf(sc->os_build, "%d.%d", &maj, &min);
        s->win7 = maj < 6 || (maj == 6 && min < 2);
    }
    TL_TRY_ALLOC(s->agent_dir = tl_strdup(s->x86 ? "C:\\Program Files\\ossec-agent"
                                                 : "C:\\Program Files (x86)\\ossec-agent"));
    {
        tl_buf b = TL_BUF_INIT;
        tl_buf_puts(&b, sc->hostname);
        if (sc->domain) {
            tl_buf_putc(&b, '.');
            tl_buf_puts(&b, sc->domain);
        }
        TL_TRY_ALLOC(s->computer = tl_buf_take(&b));
        if (sc->domain) {
            size_t n = strcspn(sc->domain, ".");
            TL_TRY_ALLOC(s->user_domain = tl_strndup(sc->domain, n));
            for (char *p = s->user_domain; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 32);
        } else {
            TL_TRY_ALLOC(s->user_domain = tl_strdup(sc->hostname));
        }
    }
    tl_rng_seed(&s->rng, sc->seed ^ UINT64_C(0x7461736b6c616221));
    snprintf(s->machine_prefix, sizeof s->machine_prefix, "%08x",
             (unsigned)(tl_rng_next(&s->rng) & 0xffffffffu));
    /* one draw per statement: the order of evaluation of function arguments
     * and operands is unspecified (gcc and clang differ), the bytes must not be */
    {
        unsigned lo = (unsigned)(tl_rng_below(&s->rng, 0x10) << 8);
        unsigned hi = (unsigned)(1 + tl_rng_below(&s->rng, 9));
        snprintf(s->host_suffix, sizeof s->host_suffix, "0000000%02x%03x", hi, lo);
    }
    {
        tl_time up_s = (tl_time)(3600 + tl_rng_below(&s->rng, 14 * 86400));
        tl_time up_us = (tl_time)tl_rng_below(&s->rng, 1000000);
        s->boot = sc->start - up_s * TL_USEC_PER_SEC - up_us;
    }
    s->sysmon_pid = 2000 + 4u * (unsigned)tl_rng_below(&s->rng, 1500);
    s->sysmon_tid = 2000 + 4u * (unsigned)tl_rng_below(&s->rng, 1500);
    s->next_pid = 400 + 4u * (unsigned)tl_rng_below(&s->rng, 50);
    s->recid[0] = 100 + tl_rng_below(&s->rng, 5000);
    s->recid[1] = 20000 + tl_rng_below(&s->rng, 50000);
    s->recid[2] = 500 + tl_rng_below(&s->rng, 5000);
    /* users: SYSTEM first */
    TL_TRY_ALLOC(s->users = tl_calloc(sc->nusers + 1, sizeof *s->users));
    TL_TRY(add_user(s, "SYSTEM", "NT AUTHORITY", "S-1-5-18", 1, 0x3e7, 0, s->boot));
    {
        unsigned a = 1000000000u + (unsigned)tl_rng_below(&s->rng, 3000000000u);
        unsigned b = 1000000000u + (unsigned)tl_rng_below(&s->rng, 3000000000u);
        unsigned c = 1000000000u + (unsigned)tl_rng_below(&s->rng, 3000000000u);
        for (size_t i = 0; i < sc->nusers; i++) {
            char sid[96];
            snprintf(sid, sizeof sid, "S-1-5-21-%u-%u-%u-%zu", a, b, c, 1001 + i);
            uint64_t logon = 0x20000 + tl_rng_below(&s->rng, 0x800000);
            tl_time lt = s->boot + (tl_time)(60 + tl_rng_below(&s->rng, 600)) * TL_USEC_PER_SEC;
            TL_TRY(add_user(s, sc->users[i].name, s->user_domain, sid, sc->users[i].admin, logon,
                            1 + (unsigned)i, lt));
        }
    }
    s->now = sc->start;
    s->quiet = 1;
    TL_TRY(tl_sim_baseline(s));
    s->quiet = 0;
    s->now = sc->start;
    *out = s;
    s = NULL;
    st = TL_OK;
cleanup:
    if (st != TL_OK && d && !d->msg[0]) {
        if (s && s->fs_diag.msg[0])
            *d = s->fs_diag;
        else
            tl_diag_set(d, sc->path, 0, "cannot set up the endpoint: %s", tl_strerror(st));
    }
    tl_free(cfgpath);
    tl_sim_free(s);
    return st;
}

/* Baseline processes (no events): System, services, the Schedule service,
 * each user's explorer.exe. Registry and tasks: task_svc.c / sim_reg.c. */

static tl_status boot_processes(tl_sim *s)
{
    tl_status st;
    long sys, smss, svc, idx;
    TL_TRY(proc_quiet(s, -1, 0, 3, "System", "", 4, s->boot, &sys));
    TL_TRY(proc_quiet(s, sys, 0, 3, "C:\\Windows\\System32\\smss.exe",
                      "\\SystemRoot\\System32\\smss.exe", 0, s->boot + 300000, &smss));
    TL_TRY(proc_quiet(s, -1, 0, 3, "C:\\Windows\\system32\\services.exe",
                      "C:\\Windows\\system32\\services.exe", 0, s->boot + 4000000, &svc));
    s->services_exe = svc;
    /* Windows 10 1703+ runs the Schedule service in its own host ("-p -s Schedule");
     * Windows 7 shares the netsvcs group host */
    TL_TRY(proc_quiet(s, svc, 0, 3, "C:\\Windows\\system32\\svchost.exe",
                      s->win7 ? "C:\\Windows\\system32\\svchost.exe -k netsvcs"
                              : "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
                      0,
                      s->boot + 9000000 + (tl_time)tl_rng_below(&s->rng, 5000000), &idx));
    s->schedule_svc = idx;
    TL_TRY(proc_quiet(s, svc, 0, 3,
                      s->x86 ? "C:\\Windows\\Sysmon.exe" : "C:\\Windows\\Sysmon64.exe",
                      s->x86 ? "C:\\Windows\\Sysmon.exe" : "C:\\Windows\\Sysmon64.exe",
                      s->sysmon_pid, s->boot + 11000000, &idx));
cleanup:
    return st;
}

tl_status tl_sim_reboot(tl_sim *s)
{
    for (size_t i = 0; i < s->nprocs; i++)
        s->procs[i].exited = 1;
    s->caller_proc = -1;
    s->boot = s->now - 90 * TL_USEC_PER_SEC;
    {
        /* AT jobs on Windows 8+ need EnableAt=1 and a reboot (evasion.md 2.3) */
        tl_regkey *k = tl_reg_find(
            s, "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\Configuration");
        tl_regval *v = k ? tl_reg_val_find(k, "EnableAt") : NULL;
        s->at_enabled = v && v->type == TL_REG_DWORD && v->len == 4 && v->data[0] == 1 &&
                        !v->data[1] && !v->data[2] && !v->data[3];
    }
    int q = s->quiet;
    s->quiet = 1;
    tl_status st = boot_processes(s);
    s->quiet = q;
    return st;
}

long tl_sim_proc_find(const tl_sim *s, size_t user, const char *image)
{
    for (size_t i = 0; i < s->nprocs; i++)
        if (!s->procs[i].exited && s->procs[i].user == user &&
            tl_strcasecmp(s->procs[i].image, image) == 0)
            return (long)i;
    return -1;
}

tl_status tl_sim_baseline(tl_sim *s)
{
    tl_status st;
    long idx;
    TL_TRY(boot_processes(s));
    for (size_t u = 1; u < s->nusers; u++) {
        TL_TRY(proc_quiet(s, -1, u, 1, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", 0,
                          s->users[u].logon_time + 5000000, &idx));
        tl_free(s->procs[idx].cwd);
        TL_TRY_ALLOC(s->procs[idx].cwd = tl_strdup("C:\\Windows\\system32\\"));
    }
    {
        static const char *const dirs[] = {"C:\\Windows\\System32\\Tasks",
                                           "C:\\Windows\\Tasks",
                                           "C:\\Windows\\Temp",
                                           "C:\\ProgramData",
                                           "C:\\Users\\Public",
                                           "C:\\Program Files"};
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
            TL_TRY(tl_sim_dir_create(s, dirs[i]));
        if (!s->x86) {
            TL_TRY(tl_sim_dir_create(s, "C:\\Windows\\SysWOW64"));
            TL_TRY(tl_sim_dir_create(s, "C:\\Program Files (x86)"));
        }
        tl_buf b = TL_BUF_INIT;
        for (size_t u = 1; u < s->nusers; u++) {
            tl_buf_reset(&b);
            tl_buf_printf(&b, "C:\\Users\\%s\\AppData\\Local\\Temp", s->users[u].name);
            st = tl_buf_status(&b);
            if (st == TL_OK)
                st = tl_sim_dir_create(s, tl_buf_cstr(&b));
            if (st == TL_OK) {
                tl_buf_reset(&b);
                tl_buf_printf(&b, "C:\\Users\\%s\\AppData\\Roaming", s->users[u].name);
                st = tl_buf_status(&b);
            }
            if (st == TL_OK)
                st = tl_sim_dir_create(s, tl_buf_cstr(&b));
            if (st == TL_OK) {
                tl_buf_reset(&b);
                tl_buf_printf(&b, "C:\\Users\\%s\\Desktop", s->users[u].name);
                st = tl_buf_status(&b);
            }
            if (st == TL_OK)
                st = tl_sim_dir_create(s, tl_buf_cstr(&b));
            if (st != TL_OK)
                break;
        }
        static const char *const agent_sub[] = {"", "\\logs", "\\active-response\\bin"};
        for (size_t i = 0; st == TL_OK && i < 3; i++) {
            tl_buf_reset(&b);
            tl_buf_printf(&b, "%s%s", s->agent_dir, agent_sub[i]);
            st = tl_buf_status(&b);
            if (st == TL_OK)
                st = tl_sim_dir_create(s, tl_buf_cstr(&b));
        }
        tl_buf_free(&b);
        TL_TRY(st);
    }
    TL_TRY(tl_sim_baseline_registry(s));
    TL_TRY(tl_task_baseline(s)); /* the stock tasks of a fresh install */
cleanup:
    return st;
}

void tl_sim_free(tl_sim *s)
{
    if (!s)
        return;
    tl_sysmon_config_free(s->cfg_owned);
    tl_sim_console_free(s);
    tl_ev_free(s);
    tl_free(s->drive_c);
    tl_free(s->agent_dir);
    tl_free(s->computer);
    tl_free(s->user_domain);
    tl_reg_key_free(s->hklm);
    tl_reg_key_free(s->hku);
    tl_reg_key_free(s->hkcr);
    for (size_t i = 0; i < s->nfiles; i++) {
        tl_free(s->files[i].path);
        tl_free(s->files[i].data);
        tl_free(s->files[i].copy_of);
    }
    tl_free(s->files);
    for (size_t i = 0; i < s->nusers; i++) {
        tl_free(s->users[i].name);
        tl_free(s->users[i].domain);
        tl_free(s->users[i].sid);
    }
    tl_free(s->users);
    for (size_t i = 0; i < s->nprocs; i++) {
        tl_free(s->procs[i].image);
        tl_free(s->procs[i].cmdline);
        tl_free(s->procs[i].cwd);
    }
    tl_free(s->procs);
    for (size_t i = 0; i < s->ntasks; i++) {
        tl_task_free_fields(&s->tasks[i]);
    }
    tl_free(s->tasks);
    for (size_t i = 0; i < s->nq; i++)
        qrec_free(&s->q[i]);
    tl_free(s->q);
    tl_free(s->noise);
    tl_buf_free(&s->out_xb);
    tl_buf_free(&s->out_mb);
    tl_free(s->out_explain);
    tl_sm_memo_free(s->memo);
    tl_free(s);
}

size_t tl_sim_step_count(const tl_sim *s) { return s->sc->nsteps; }

tl_time tl_sim_step_time(const tl_sim *s, size_t i)
{
    return i < s->sc->nsteps ? s->sc->steps[i].time : 0;
}

const char *tl_sim_agent_dir(const tl_sim *s) { return s->agent_dir; }

/* ---- noise -------------------------------------------------------------- */

static tl_time noise_next_time(const tl_noise *g)
{
    return g->start + (tl_time)(g->duration * 1e6 * (double)g->done / (double)g->total);
}

static const char *const noise_children[][2] = {
    {"C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe"},
    {"C:\\Windows\\System32\\backgroundTaskHost.exe",
     "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" "
     "-ServerName:BackgroundTaskHost.WebAccountBackgroundManagerTask"},
    {"C:\\Windows\\System32\\MoUsoCoreWorker.exe",
     "C:\\Windows\\System32\\mousocoreworker.exe -Embedding"},
    {"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
     "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /ua "
     "/installsource scheduler"},
    {"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
     "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding"},
    {"C:\\Windows\\System32\\SearchProtocolHost.exe",
     "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1_ "
     "Global\\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 \"Software\\Microsoft\\Windows Search\" "
     "\"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" "
     "\"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\""},
};
static const char *const noise_index_keys[] = {
    TL_TASKCACHE "\\Tree\\Microsoft\\Windows\\SoftwareProtectionPlatform\\SvcRestartTask\\Index",
    TL_TASKCACHE "\\Tree\\Microsoft\\Windows\\Flighting\\OneSettings\\RefreshCache\\Index",
};

static tl_status noise_one(tl_sim *s, tl_noise *g)
{
    tl_time t = noise_next_time(g);
    g->done++;
    size_t save_step = s->cur_step;
    tl_stream *save_stream = s->cur_stream;
    s->cur_step = g->step;
    s->cur_stream = &g->stream;
    uint64_t r = tl_rng_next(&g->rng);
    unsigned kind = (unsigned)(r % 100);
    const tl_proc *svc = &s->procs[s->schedule_svc];
    char utc[32], pid[16], pguid[40];
    tl_time_fmt_sysmon(t, utc);
    tl_status st = TL_OK;
    if (kind < 12) { /* Index rewrite by the Schedule service */
        put_u(pid, svc->pid);
        tl_evfield f[] = {{"EventType", "SetValue"},
                          {"UtcTime", utc},
                          {"ProcessGuid", svc->guid},
                          {"ProcessId", pid},
                          {"Image", svc->image},
                          {"TargetObject", noise_index_keys[(r >> 8) & 1]},
                          {"Details", "DWORD (0x00000003)"},
                          {"User", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 13, t, f, 8);
    } else if (kind < 35) { /* DynamicInfo rewrite on a task run */
        char key[200];
        put_u(pid, svc->pid);
        const tl_task *tk = s->ntasks ? &s->tasks[(r >> 8) % s->ntasks] : NULL;
        snprintf(key, sizeof key, TL_TASKCACHE "\\Tasks\\%s\\DynamicInfo",
                 tk ? tk->guid : "{00000000-0000-0000-0000-000000000000}");
        tl_evfield f[] = {{"EventType", "SetValue"},  {"UtcTime", utc},
                          {"ProcessGuid", svc->guid}, {"ProcessId", pid},
                          {"Image", svc->image},      {"TargetObject", key},
                          {"Details", "Binary Data"}, {"User", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 13, t, f, 8);
    } else if (kind < 60) { /* benign child of the Schedule service */
        size_t ci = (size_t)((r >> 8) % (sizeof noise_children / sizeof noise_children[0]));
        const char *img = noise_children[ci][0], *cmd = noise_children[ci][1];
        char cguid[40], ppid[16], hashes[300], lg[40];
        unsigned cpid = 1000 + 4u * (unsigned)((r >> 20) % 3000);
        make_guid(s, t, (unsigned)(0x8000 + g->done), cguid);
        make_logon_guid(s, s->boot, 0x3e7, lg);
        put_u(pid, cpid);
        put_u(ppid, svc->pid);
        image_hashes(img, hashes, sizeof hashes);
        const vinfo *vi = find_vinfo(img);
        tl_evfield f[] = {{"UtcTime", utc},
                          {"ProcessGuid", cguid},
                          {"ProcessId", pid},
                          {"Image", img},
                          {"FileVersion", vi ? s->fver : "-"},
                          {"Description", vi ? vinfo_desc(s, vi) : "-"},
                          {"Product", vi ? "Microsoft® Windows® Operating System" : "-"},
                          {"Company", "Microsoft Corporation"},
                          {"OriginalFileName", vi ? vi->orig : base_name(img)},
                          {"CommandLine", cmd},
                          {"CurrentDirectory", "C:\\Windows\\system32\\"},
                          {"User", "NT AUTHORITY\\SYSTEM"},
                          {"LogonGuid", lg},
                          {"LogonId", "0x3e7"},
                          {"TerminalSessionId", "0"},
                          {"IntegrityLevel", "System"},
                          {"Hashes", hashes},
                          {"ParentProcessGuid", svc->guid},
                          {"ParentProcessId", ppid},
                          {"ParentImage", svc->image},
                          {"ParentCommandLine", svc->cmdline},
                          {"ParentUser", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 1, t, f, sizeof f / sizeof f[0]);
    } else if (kind < 80) { /* temp file by the Edge updater */
        char path[200];
        put_u(pid, 3000 + 4u * (unsigned)((r >> 24) % 500));
        make_guid(s, s->boot + 60000000, 0x7000 + (unsigned)((r >> 24) % 500), pguid);
        snprintf(path, sizeof path, "C:\\Windows\\Temp\\MSI%05x.LOG",
                 (unsigned)((r >> 12) & 0xfffff));
        tl_evfield f[] = {
            {"UtcTime", utc},
            {"ProcessGuid", pguid},
            {"ProcessId", pid},
            {"Image", "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe"},
            {"TargetFilename", path},
            {"CreationUtcTime", utc},
            {"User", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 11, t, f, 7);
    } else if (kind < 84) { /* Update Orchestrator re-registers its tasks (blog rule 115007) */
        put_u(pid, svc->pid);
        tl_evfield f[] = {
            {"EventType", "CreateKey"},
            {"UtcTime", utc},
            {"ProcessGuid", svc->guid},
            {"ProcessId", pid},
            {"Image", svc->image},
            {"TargetObject", TL_TASKCACHE "\\Tree\\Microsoft\\Windows\\UpdateOrchestrator"},
            {"User", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 12, t, f, 7);
    } else { /* DLL loads */
        static const char *const dlls[] = {"C:\\Windows\\System32\\ntdll.dll",
                                           "C:\\Windows\\System32\\kernel32.dll",
                                           "C:\\Windows\\System32\\combase.dll"};
        char hashes[300];
        put_u(pid, svc->pid);
        const char *dll = dlls[(r >> 8) % 3];
        image_hashes(dll, hashes, sizeof hashes);
        tl_evfield f[] = {{"UtcTime", utc},
                          {"ProcessGuid", svc->guid},
                          {"ProcessId", pid},
                          {"Image", svc->image},
                          {"ImageLoaded", dll},
                          {"FileVersion", s->fver},
                          {"Description", "-"},
                          {"Product", "Microsoft® Windows® Operating System"},
                          {"Company", "Microsoft Corporation"},
                          {"OriginalFileName", base_name(dll)},
                          {"Hashes", hashes},
                          {"Signed", "true"},
                          {"Signature", "Microsoft Windows"},
                          {"SignatureStatus", "Valid"},
                          {"User", "NT AUTHORITY\\SYSTEM"}};
        st = tl_sim_emit_sysmon(s, 7, t, f, sizeof f / sizeof f[0]);
    }
    s->cur_step = save_step;
    s->cur_stream = save_stream;
    return st;
}

/* ---- popping --------------------------------------------------------------- */

int tl_sim_next_record(tl_sim *s, tl_record *out)
{
    tl_time limit = s->steps_run < s->sc->nsteps ? s->sc->steps[s->steps_run].time : INT64_MAX;
    /* advance the noise generators up to the earliest queued record */
    for (size_t i = 0; i < s->nnoise; i++) {
        tl_noise *g = &s->noise[i];
        while (g->done < g->total) {
            tl_time nt = noise_next_time(g);
            tl_time bound = s->nq ? s->q[0].time : INT64_MAX;
            if (bound > limit)
                bound = limit;
            if (nt >= bound && s->nq)
                break;
            if (nt >= limit)
                break;
            if (noise_one(s, g) != TL_OK)
                return 0;
        }
    }
    if (!s->nq || s->q[0].time >= limit)
        return 0;
    tl_qrec r;
    qpop(s, &r);
    tl_free(s->out_explain);
    s->out_explain = NULL;
    tl_buf *xml = &s->out_xb, *msg = &s->out_mb;
    tl_buf_reset(xml);
    tl_buf_reset(msg);
    tl_status st;
    if (r.sysmon) {
        tl_winevt_system sys;
        tl_sysmon_system_defaults(r.id, &sys);
        sys.time_created = r.time;
        sys.record_id = ++s->recid[CH_SYSMON];
        sys.pid = s->sysmon_pid;
        sys.tid = s->sysmon_tid;
        sys.computer = s->computer;
        tl_sysmon_event ev = {r.id, r.fields, r.nfields};
        st = tl_sysmon_render(s->cfg, &ev, r.rule_name, &sys, xml, msg);
    } else {
        r.sys.time_created = r.time;
        r.sys.record_id = ++s->recid[r.chan];
        r.sys.computer = s->computer;
        st = tl_winevt_render(&r.sys, r.fields, r.nfields, r.edata_name, r.msg_first, xml,
                              r.msg_first ? msg : NULL);
    }
    if (st != TL_OK || tl_buf_status(xml) != TL_OK || tl_buf_status(msg) != TL_OK) {
        tl_buf_free(xml); /* also clears the out-of-memory mark */
        tl_buf_free(msg);
        qrec_free(&r);
        return 0;
    }
    s->out_explain = r.explain_own; /* NULL when r.explain is the memo's */
    r.explain_own = NULL;
    out->time = r.time;
    out->channel = chan_names[r.chan];
    out->xml = tl_buf_cstr(xml);
    out->message = msg->len ? tl_buf_cstr(msg) : NULL;
    out->explain = r.explain;
    out->step = r.step;
    qrec_free(&r);
    return 1;
}
