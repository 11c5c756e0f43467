/* SPDX-License-Identifier: MIT */
/*
 * Task registration through the Task Scheduler COM API (`Schedule.Service`,
 * taskschd.dll) from scripts: VBScript and JScript under wscript.exe /
 * cscript.exe, and PowerShell's `New-Object -ComObject Schedule.Service`
 * (evasion.md §4 "COM Schedule.Service"; Atomic T1053.005 #5 does the same
 * from a Word macro). What the endpoint shows [V S6249, A for Event 7]: the
 * host's own process (Event 1, from whoever started it), Event 7 taskschd.dll
 * in the host when it creates the object, then the Schedule service's writes
 * (TaskCache, the task file, Security 4698 whose ClientProcessId is the host,
 * TaskScheduler 106) — and no schtasks.exe.
 *
 * The scripts are interpreted, not guessed: statements of the three
 * languages that drive the object model,
 *
 *   Set service = CreateObject("Schedule.Service")      var s = new ActiveXObject("Schedule.Service");
 *   service.Connect                                     $s = New-Object -ComObject Schedule.Service
 *   Set folder = service.GetFolder("\")                 $s.Connect()
 *   Set def = service.NewTask(0)                        $d = $s.NewTask(0)
 *   def.RegistrationInfo.Author = "x"                   $d.Settings.Hidden = $true
 *   Set t = def.Triggers.Create(9)                      $a = $d.Actions.Create(0); $a.Path = "calc.exe"
 *   Set a = def.Actions.Create(0): a.Path = "calc.exe"  $s.GetFolder("\").RegisterTaskDefinition("x", $d, 6, $null, $null, 3)
 *   call folder.RegisterTaskDefinition("x", def, 6, , , 3)
 *
 * with variables, constants (`Const`, `var`/`let`/`const`), string and number
 * literals, `&`/`+` concatenation, member chains and calls, `On Error Resume
 * Next`, `WScript.Echo` (printed by cscript only) and `WScript.Quit`.
 * ITaskFolder: RegisterTaskDefinition, RegisterTask (XML text), GetTask,
 * DeleteTask, GetFolder, CreateFolder; registered tasks: Run, Enabled, Name,
 * Path, Xml. Anything else a script does (If, loops, functions, dates, other
 * COM objects) is a scenario error naming the line: the scenario must not
 * rely on tasklab guessing. The numeric constants (trigger types 0 event, 1
 * time, 2 daily, 3 weekly, 6 idle, 7 registration, 8 boot, 9 logon, 11 session
 * state; action 0 exec, 5 COM handler; creation flags 2 create, 4 update, 6
 * create or update; logon types 0–6; run level 1 highest) and the HRESULTs
 * are Microsoft's documented ones — the fact sheets are silent on them [A].
 *
 * Errors as the hosts report them [A: fact sheets silent]: an HRESULT from
 * the service (access denied for a SYSTEM task from a non-elevated caller,
 * 0x800700B7 "already exists" under flag 2, 0x80070002 under flag 4 without
 * the task) stops the script unless `On Error Resume Next`; cscript prints
 * `<script>(<line>, <column>) (null): <message>`, wscript a dialog (nothing on
 * the console), PowerShell `Exception calling "<Method>" with "<n>"
 * argument(s): "<message> (Exception from HRESULT: 0x…)"` and goes on; the
 * host's exit code is then 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"

typedef enum { D_VBS, D_JS, D_PS } dialect;

/* Return on failure (the functions here own nothing at that point). */
#define TL_TRY_RET(expr)                                                                           \
    do {                                                                                           \
        tl_status try_st_ = (expr);                                                                \
        if (try_st_ != TL_OK)                                                                      \
            return try_st_;                                                                        \
    } while (0)

/* ---- tokens ------------------------------------------------------------------ */
typedef enum { K_END, K_EOS, K_ID, K_VAR, K_PARAM, K_STR, K_NUM, K_P } tkind;

typedef struct tok {
    tkind k;
    char *s;  /* K_ID/K_VAR/K_PARAM: name; K_STR: decoded text */
    double n; /* K_NUM */
    char p;   /* K_P: the punctuation character */
    int line, col;
} tok;

/* ---- values and objects --------------------------------------------------- */
typedef enum { CV_EMPTY, CV_NULL, CV_STR, CV_NUM, CV_BOOL, CV_OBJ } cvk;
typedef struct cval {
    cvk k;
    char *s;
    double n; /* CV_NUM; CV_BOOL: 0 / 1 */
    size_t obj;
} cval;

typedef enum {
    O_WSCRIPT,
    O_SERVICE,
    O_FOLDER,
    O_DEF,
    O_REGINFO,
    O_PRINCIPAL,
    O_SETTINGS,
    O_IDLE,
    O_TRIGGERS,
    O_TRIGGER,
    O_REPETITION,
    O_ACTIONS,
    O_ACTION,
    O_TASK
} otype;

typedef struct cprop {
    char *name;
    cval v;
} cprop;

typedef struct cobj {
    otype t;
    int kind;   /* trigger / action type */
    char *path; /* folder or task path */
    cprop *props;
    size_t nprops;
    size_t kids[6]; /* DEF: reginfo, principal, settings, triggers, actions; SETTINGS: idle; TRIGGER: repetition */
    size_t *items;  /* collections */
    size_t nitems;
} cobj;

typedef struct var {
    char *name;
    cval v;
} var;

#define MAX_ARGS 8

typedef struct cx {
    tl_exec_ctx *c;
    long proc;
    dialect d;
    int cscript;        /* console host: 1 cscript (prints errors and Echo), 2 cscript //B (Echo only) */
    const char *script; /* file name for messages */
    tok *t;
    size_t nt, pos;
    cobj *o;
    size_t no, capo;
    var *vars;
    size_t nvars;
    int resume_next;  /* VBS On Error Resume Next */
    int quit;         /* WScript.Quit */
    int rc;
    int depth;
    int loaded;       /* taskschd.dll loaded */
    int failed_stmt;  /* PS: a statement failed ($? false) */
} cx;

static void cv_free(cval *v)
{
    tl_free(v->s);
    memset(v, 0, sizeof *v);
}

static tl_status cv_copy(const cval *a, cval *out)
{
    *out = *a;
    out->s = NULL;
    if (a->s && !(out->s = tl_strdup(a->s)))
        return TL_E_NOMEM;
    return TL_OK;
}

static const char *lang(const cx *x)
{
    return x->d == D_VBS ? "vbscript" : x->d == D_JS ? "jscript" : "powershell";
}

/* A construct tasklab does not interpret, or a script the language refuses. */
static tl_status serr(cx *x, const tok *at, const char *fmt, const char *a)
{
    char m[400];
    snprintf(m, sizeof m, fmt, a ? a : "");
    return tl_sim_step_error(x->c->s, x->c->d, TL_E_PARSE, "%s: %s line %d: %s", lang(x),
                             x->script, at ? at->line : 0, m);
}

/* ---- lexer ------------------------------------------------------------------- */

static int id_start(int ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_'; }
static int id_char(int ch) { return id_start(ch) || (ch >= '0' && ch <= '9'); }

static tl_status push_tok(cx *x, tok t, size_t *cap)
{
    if (x->nt == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        tok *nv = tl_realloc(x->t, nc * sizeof *nv);
        if (!nv) {
            tl_free(t.s);
            return TL_E_NOMEM;
        }
        x->t = nv;
        *cap = nc;
    }
    x->t[x->nt++] = t;
    return TL_OK;
}

static tl_status lex(cx *x, const char *src)
{
    tl_status st = TL_OK;
    size_t cap = 0;
    int line = 1, paren = 0;
    const char *bol = src;
    tl_buf b = TL_BUF_INIT;
    for (const char *p = src;;) {
        tok t;
        memset(&t, 0, sizeof t);
        t.line = line;
        t.col = (int)(p - bol) + 1;
        char ch = *p;
        if (!ch) {
            t.k = K_END;
            tl_buf_free(&b);
            return push_tok(x, t, &cap);
        }
        if (ch == ' ' || ch == '\t' || ch == '\r') {
            p++;
            continue;
        }
        /* line continuations: VBS " _", PowerShell "`" at the end of a line */
        if ((x->d == D_VBS && ch == '_' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n'))) ||
            (x->d == D_PS && ch == '`' && (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')))) {
            p = strchr(p, '\n') + 1;
            line++;
            bol = p;
            continue;
        }
        /* comments */
        if ((x->d == D_VBS && (ch == '\'' || ((ch == 'R' || ch == 'r') && !tl_strncasecmp(p, "rem", 3) &&
                                               (p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || !p[3]) &&
                                               (x->nt == 0 || x->t[x->nt - 1].k == K_EOS)))) ||
            (x->d == D_JS && ch == '/' && p[1] == '/') || (x->d == D_PS && ch == '#')) {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if ((x->d == D_JS && ch == '/' && p[1] == '*') || (x->d == D_PS && ch == '<' && p[1] == '#')) {
            const char *e = strstr(p + 2, x->d == D_JS ? "*/" : "#>");
            if (!e) {
                tl_buf_free(&b);
                return serr(x, &t, "unterminated comment", NULL);
            }
            for (const char *q = p; q < e; q++)
                if (*q == '\n') {
                    line++;
                    bol = q + 1;
                }
            p = e + 2;
            continue;
        }
        if (ch == '\n' || (ch == ':' && x->d == D_VBS) || ch == ';') {
            if (ch == '\n') {
                line++;
                bol = p + 1;
            }
            p++;
            /* inside parentheses a new line does not end the statement */
            if (ch == '\n' && paren > 0)
                continue;
            if (x->nt && x->t[x->nt - 1].k == K_EOS)
                continue;
            t.k = K_EOS;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (ch == '"' || (ch == '\'' && x->d != D_VBS)) {
            char q = ch;
            tl_buf_reset(&b);
            p++;
            for (;;) {
                if (!*p || (*p == '\n' && x->d == D_VBS)) {
                    tl_buf_free(&b);
                    return serr(x, &t, "unterminated string", NULL);
                }
                if (*p == q) {
                    if ((x->d == D_VBS || (x->d == D_PS && q == '\'') || (x->d == D_PS && q == '"')) &&
                        p[1] == q) {
                        tl_buf_putc(&b, q);
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n') {
                    line++;
                    bol = p + 1;
                }
                if (x->d == D_JS && *p == '\\' && p[1]) {
                    char e = p[1];
                    tl_buf_putc(&b, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
                    p += 2;
                    continue;
                }
                if (x->d == D_PS && q == '"' && *p == '`' && p[1]) {
                    char e = p[1];
                    tl_buf_putc(&b, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? ' ' : e);
                    p += 2;
                    continue;
                }
                if (x->d == D_PS && q == '"' && *p == '$' && (id_start(p[1]) || p[1] == '(')) {
                    tl_buf_free(&b);
                    return serr(x, &t, "variables inside a double-quoted string are not interpreted by tasklab (use '...' or +)", NULL);
                }
                tl_buf_putc(&b, *p++);
            }
            TL_TRY(tl_buf_status(&b));
            t.k = K_STR;
            t.s = tl_strdup(tl_buf_cstr(&b));
            if (!t.s)
                return TL_E_NOMEM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (ch >= '0' && ch <= '9') {
            char *end;
            if (x->d == D_JS && ch == '0' && (p[1] == 'x' || p[1] == 'X'))
                t.n = (double)strtoul(p + 2, &end, 16);
            else
                t.n = strtod(p, &end);
            p = end;
            t.k = K_NUM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (x->d == D_VBS && ch == '&' && (p[1] == 'H' || p[1] == 'h')) {
            char *end;
            t.n = (double)strtoul(p + 2, &end, 16);
            p = *end == '&' ? end + 1 : end;
            t.k = K_NUM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (x->d == D_PS && ch == '$' && id_start(p[1])) {
            const char *s0 = ++p;
            while (id_char(*p))
                p++;
            t.k = K_VAR;
            if (!(t.s = tl_strndup(s0, (size_t)(p - s0))))
                return TL_E_NOMEM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (x->d == D_PS && ch == '-' && id_start(p[1])) {
            const char *s0 = ++p;
            while (id_char(*p))
                p++;
            t.k = K_PARAM;
            if (!(t.s = tl_strndup(s0, (size_t)(p - s0))))
                return TL_E_NOMEM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (id_start(ch)) {
            const char *s0 = p;
            while (id_char(*p) || (x->d == D_PS && *p == '-' && id_start(p[1])))
                p++;
            t.k = K_ID;
            if (!(t.s = tl_strndup(s0, (size_t)(p - s0))))
                return TL_E_NOMEM;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        if (strchr(".(),=&+[]{}|!<>-*/:", ch)) {
            if (ch == '(')
                paren++;
            else if (ch == ')' && paren > 0)
                paren--;
            t.k = K_P;
            t.p = ch;
            p++;
            TL_TRY(push_tok(x, t, &cap));
            continue;
        }
        tl_buf_free(&b);
        {
            char c2[2] = {ch, 0};
            return serr(x, &t, "unexpected character '%s'", c2);
        }
    }
cleanup:
    tl_buf_free(&b);
    return st;
}

/* ---- objects ---------------------------------------------------------------- */

static tl_status obj_new(cx *x, otype t, size_t *out)
{
    if (x->no == x->capo) {
        size_t nc = x->capo ? x->capo * 2 : 16;
        cobj *nv = tl_realloc(x->o, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        x->o = nv;
        x->capo = nc;
    }
    if (x->no >= 100000)
        return serr(x, &x->t[x->pos], "too many objects (tasklab's limit: 100,000)", NULL);
    memset(&x->o[x->no], 0, sizeof x->o[x->no]);
    x->o[x->no].t = t;
    *out = x->no++;
    return TL_OK;
}

static cval *prop_find(cobj *o, const char *name)
{
    for (size_t i = 0; i < o->nprops; i++)
        if (!tl_strcasecmp(o->props[i].name, name))
            return &o->props[i].v;
    return NULL;
}

static tl_status prop_set(cobj *o, const char *name, const cval *v)
{
    cval *p = prop_find(o, name);
    if (p) {
        cv_free(p);
        return cv_copy(v, p);
    }
    cprop *np = tl_realloc(o->props, (o->nprops + 1) * sizeof *np);
    if (!np)
        return TL_E_NOMEM;
    o->props = np;
    np[o->nprops].name = tl_strdup(name);
    if (!np[o->nprops].name)
        return TL_E_NOMEM;
    if (cv_copy(v, &np[o->nprops].v) != TL_OK) {
        tl_free(np[o->nprops].name);
        return TL_E_NOMEM;
    }
    o->nprops++;
    return TL_OK;
}

/* A value as the text a BSTR property gets (VBS True is -1, a JScript/PowerShell true "True"). */
static char *cv_text(const cval *v)
{
    char buf[64];
    switch (v->k) {
    case CV_STR: return tl_strdup(v->s);
    case CV_NUM:
        if (v->n > -1e15 && v->n < 1e15 && v->n == (double)(long long)v->n)
            snprintf(buf, sizeof buf, "%lld", (long long)v->n);
        else
            snprintf(buf, sizeof buf, "%g", v->n);
        return tl_strdup(buf);
    case CV_BOOL: return tl_strdup(v->n ? "True" : "False");
    default: return tl_strdup("");
    }
}

static int cv_truthy(const cval *v)
{
    if (v->k == CV_BOOL || v->k == CV_NUM)
        return v->n != 0;
    if (v->k == CV_STR)
        return !tl_strcasecmp(v->s, "true") || !tl_strcasecmp(v->s, "-1");
    return 0;
}

static long cv_long(const cval *v)
{
    if (v->k == CV_NUM || v->k == CV_BOOL)
        return v->n > -2e9 && v->n < 2e9 ? (long)v->n : 0; /* NaN and huge: 0 */
    if (v->k == CV_STR)
        return strtol(v->s, NULL, 10);
    return 0;
}

/* The properties each interface accepts (what a script may set). */
static const char *const props_reginfo[] = {"Author", "Description", "Date", "Documentation",
                                            "Source", "URI", "Version", "SecurityDescriptor", NULL};
static const char *const props_principal[] = {"Id", "UserId", "GroupId", "LogonType", "RunLevel",
                                              "DisplayName", NULL};
static const char *const props_settings[] = {
    "AllowDemandStart", "RestartInterval", "RestartCount", "MultipleInstances",
    "StopIfGoingOnBatteries", "DisallowStartIfOnBatteries", "AllowHardTerminate",
    "StartWhenAvailable", "RunOnlyIfNetworkAvailable", "ExecutionTimeLimit", "Enabled",
    "DeleteExpiredTaskAfter", "Priority", "Compatibility", "Hidden", "RunOnlyIfIdle",
    "WakeToRun", "DisallowStartOnRemoteAppSession", "UseUnifiedSchedulingEngine", NULL};
static const char *const props_idle[] = {"IdleDuration", "WaitTimeout", "StopOnIdleEnd",
                                         "RestartOnIdle", NULL};
static const char *const props_trigger[] = {
    "Id", "StartBoundary", "EndBoundary", "ExecutionTimeLimit", "Enabled", "Delay", "UserId",
    "DaysInterval", "WeeksInterval", "DaysOfWeek", "RandomDelay", "Subscription", "StateChange",
    NULL};
static const char *const props_repetition[] = {"Interval", "Duration", "StopAtDurationEnd", NULL};
static const char *const props_action[] = {"Id", "Path", "Arguments", "WorkingDirectory",
                                           "ClassId", "Data", NULL};

static int in_list(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (!tl_strcasecmp(*l, name))
            return 1;
    return 0;
}

static const char *const *settable(otype t)
{
    switch (t) {
    case O_REGINFO: return props_reginfo;
    case O_PRINCIPAL: return props_principal;
    case O_SETTINGS: return props_settings;
    case O_IDLE: return props_idle;
    case O_TRIGGER: return props_trigger;
    case O_REPETITION: return props_repetition;
    case O_ACTION: return props_action;
    default: return NULL;
    }
}

static const char *iface(otype t)
{
    static const char *const n[] = {"WScript",          "ITaskService",     "ITaskFolder",
                                    "ITaskDefinition",  "IRegistrationInfo", "IPrincipal",
                                    "ITaskSettings",    "IIdleSettings",    "ITriggerCollection",
                                    "ITrigger",         "IRepetitionPattern", "IActionCollection",
                                    "IAction",          "IRegisteredTask"};
    return n[t];
}

/* ---- the task XML of a definition ------------------------------------------ */

static void xesc(tl_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': tl_buf_puts(b, "&lt;"); break;
        case '>': tl_buf_puts(b, "&gt;"); break;
        case '&': tl_buf_puts(b, "&amp;"); break;
        case '"': tl_buf_puts(b, "&quot;"); break;
        default: tl_buf_putc(b, *s);
        }
    }
}

/* <Name>text</Name> when the property is set; booleans as true/false. */
static void elem(tl_buf *b, cobj *o, const char *prop, const char *name, int boolean)
{
    cval *v = prop_find(o, prop);
    if (!v || v->k == CV_EMPTY || v->k == CV_NULL)
        return;
    tl_buf_printf(b, "<%s>", name);
    if (boolean) {
        tl_buf_puts(b, cv_truthy(v) ? "true" : "false");
    } else {
        char *t = cv_text(v);
        if (t)
            xesc(b, t);
        tl_free(t);
    }
    tl_buf_printf(b, "</%s>", name);
}

/* A setting: the script's value, else the default of a new definition. */
static void setting(tl_buf *b, cobj *o, const char *prop, const char *name, const char *def,
                    int boolean)
{
    if (prop_find(o, prop))
        elem(b, o, prop, name, boolean);
    else
        tl_buf_printf(b, "<%s>%s</%s>", name, def, name);
}

static const char *logon_type_name(long lt)
{
    static const char *const n[] = {"None", "Password", "S4U", "InteractiveToken", "Group",
                                    "ServiceAccount", "InteractiveTokenOrPassword"};
    return lt >= 0 && lt <= 6 ? n[lt] : NULL;
}

/* The definition as task XML, with the principal RegisterTaskDefinition gives it. */
static tl_status def_xml(cx *x, size_t def, const char *user_id, long logon_type, tl_buf *b,
                         const tok *at)
{
    cobj *d = &x->o[def];
    cobj *ri = &x->o[d->kids[0]], *pr = &x->o[d->kids[1]], *se = &x->o[d->kids[2]];
    cobj *trs = &x->o[d->kids[3]], *acs = &x->o[d->kids[4]];
    tl_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                   "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
                   "<RegistrationInfo>");
    elem(b, ri, "Date", "Date", 0);
    elem(b, ri, "Author", "Author", 0);
    elem(b, ri, "Version", "Version", 0);
    elem(b, ri, "Description", "Description", 0);
    elem(b, ri, "Documentation", "Documentation", 0);
    elem(b, ri, "Source", "Source", 0);
    tl_buf_puts(b, "</RegistrationInfo><Triggers>");
    static const struct {
        int type;
        const char *el;
    } trig[] = {{0, "EventTrigger"}, {1, "TimeTrigger"},         {2, "CalendarTrigger"},
                {3, "CalendarTrigger"}, {6, "IdleTrigger"},   {7, "RegistrationTrigger"},
                {8, "BootTrigger"},  {9, "LogonTrigger"},        {11, "SessionStateChangeTrigger"}};
    for (size_t i = 0; i < trs->nitems; i++) {
        cobj *t = &x->o[trs->items[i]];
        const char *el = NULL;
        for (size_t k = 0; k < sizeof trig / sizeof trig[0]; k++)
            if (trig[k].type == t->kind)
                el = trig[k].el;
        tl_buf_printf(b, "<%s", el);
        cval *id = prop_find(t, "Id");
        if (id && id->k == CV_STR) {
            tl_buf_puts(b, " id=\"");
            xesc(b, id->s);
            tl_buf_putc(b, '"');
        }
        tl_buf_putc(b, '>');
        cobj *rp = &x->o[t->kids[0]];
        if (prop_find(rp, "Interval")) {
            tl_buf_puts(b, "<Repetition>");
            elem(b, rp, "Interval", "Interval", 0);
            elem(b, rp, "Duration", "Duration", 0);
            elem(b, rp, "StopAtDurationEnd", "StopAtDurationEnd", 1);
            tl_buf_puts(b, "</Repetition>");
        }
        elem(b, t, "StartBoundary", "StartBoundary", 0);
        elem(b, t, "EndBoundary", "EndBoundary", 0);
        elem(b, t, "ExecutionTimeLimit", "ExecutionTimeLimit", 0);
        setting(b, t, "Enabled", "Enabled", "true", 1);
        if (t->kind == 0)
            elem(b, t, "Subscription", "Subscription", 0);
        if (t->kind == 9)
            elem(b, t, "UserId", "UserId", 0);
        if (t->kind == 0 || t->kind == 7 || t->kind == 8 || t->kind == 9 || t->kind == 11)
            elem(b, t, "Delay", "Delay", 0);
        if (t->kind == 1 || t->kind == 2 || t->kind == 3)
            elem(b, t, "RandomDelay", "RandomDelay", 0);
        if (t->kind == 2) {
            tl_buf_puts(b, "<ScheduleByDay>");
            setting(b, t, "DaysInterval", "DaysInterval", "1", 0);
            tl_buf_puts(b, "</ScheduleByDay>");
        } else if (t->kind == 3) {
            static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday"};
            cval *dw = prop_find(t, "DaysOfWeek");
            long mask = dw ? cv_long(dw) : 1;
            tl_buf_puts(b, "<ScheduleByWeek>");
            setting(b, t, "WeeksInterval", "WeeksInterval", "1", 0);
            tl_buf_puts(b, "<DaysOfWeek>");
            for (int k = 0; k < 7; k++)
                if (mask & (1L << k))
                    tl_buf_printf(b, "<%s />", days[k]);
            tl_buf_puts(b, "</DaysOfWeek></ScheduleByWeek>");
        }
        tl_buf_printf(b, "</%s>", el);
    }
    tl_buf_puts(b, "</Triggers><Principals><Principal id=\"");
    cval *pid = prop_find(pr, "Id");
    char *pidt = pid ? cv_text(pid) : NULL;
    const char *context = pidt && *pidt ? pidt : "Author";
    xesc(b, context);
    tl_buf_puts(b, "\">");
    cval *gid = prop_find(pr, "GroupId");
    if (user_id) {
        tl_buf_puts(b, "<UserId>");
        xesc(b, user_id);
        tl_buf_puts(b, "</UserId>");
    } else if (gid && gid->k == CV_STR) {
        tl_buf_puts(b, "<GroupId>");
        xesc(b, gid->s);
        tl_buf_puts(b, "</GroupId>");
    }
    if (logon_type_name(logon_type) && logon_type != 0 && logon_type != 4 && logon_type != 5)
        tl_buf_printf(b, "<LogonType>%s</LogonType>", logon_type_name(logon_type));
    cval *rl = prop_find(pr, "RunLevel");
    tl_buf_printf(b, "<RunLevel>%s</RunLevel></Principal></Principals><Settings>",
                  rl && cv_long(rl) == 1 ? "HighestAvailable" : "LeastPrivilege");
    static const char *const mip[] = {"Parallel", "Queue", "IgnoreNew", "StopExisting"};
    cval *mi = prop_find(se, "MultipleInstances");
    long mii = mi ? cv_long(mi) : 2;
    tl_buf_printf(b, "<MultipleInstancesPolicy>%s</MultipleInstancesPolicy>",
                  mii >= 0 && mii <= 3 ? mip[mii] : "IgnoreNew");
    setting(b, se, "DisallowStartIfOnBatteries", "DisallowStartIfOnBatteries", "true", 1);
    setting(b, se, "StopIfGoingOnBatteries", "StopIfGoingOnBatteries", "true", 1);
    setting(b, se, "AllowHardTerminate", "AllowHardTerminate", "true", 1);
    setting(b, se, "StartWhenAvailable", "StartWhenAvailable", "false", 1);
    setting(b, se, "RunOnlyIfNetworkAvailable", "RunOnlyIfNetworkAvailable", "false", 1);
    cobj *id = &x->o[se->kids[0]];
    tl_buf_puts(b, "<IdleSettings>");
    setting(b, id, "IdleDuration", "Duration", "PT10M", 0);
    setting(b, id, "WaitTimeout", "WaitTimeout", "PT1H", 0);
    setting(b, id, "StopOnIdleEnd", "StopOnIdleEnd", "true", 1);
    setting(b, id, "RestartOnIdle", "RestartOnIdle", "false", 1);
    tl_buf_puts(b, "</IdleSettings>");
    setting(b, se, "AllowDemandStart", "AllowStartOnDemand", "true", 1);
    setting(b, se, "Enabled", "Enabled", "true", 1);
    setting(b, se, "Hidden", "Hidden", "false", 1);
    setting(b, se, "RunOnlyIfIdle", "RunOnlyIfIdle", "false", 1);
    setting(b, se, "WakeToRun", "WakeToRun", "false", 1);
    setting(b, se, "ExecutionTimeLimit", "ExecutionTimeLimit", "PT72H", 0);
    elem(b, se, "DeleteExpiredTaskAfter", "DeleteExpiredTaskAfter", 0);
    setting(b, se, "Priority", "Priority", "7", 0);
    tl_buf_puts(b, "</Settings><Actions Context=\"");
    xesc(b, context);
    tl_buf_puts(b, "\">");
    tl_free(pidt);
    for (size_t i = 0; i < acs->nitems; i++) {
        cobj *a = &x->o[acs->items[i]];
        const char *el = a->kind == 5 ? "ComHandler" : "Exec";
        tl_buf_printf(b, "<%s", el);
        cval *aid = prop_find(a, "Id");
        if (aid && aid->k == CV_STR) {
            tl_buf_puts(b, " id=\"");
            xesc(b, aid->s);
            tl_buf_putc(b, '"');
        }
        tl_buf_putc(b, '>');
        if (a->kind == 5) {
            elem(b, a, "ClassId", "ClassId", 0);
            elem(b, a, "Data", "Data", 0);
        } else {
            cval *path = prop_find(a, "Path");
            if (!path || path->k != CV_STR || !path->s[0]) {
                tl_buf_free(b);
                return serr(x, at, "RegisterTaskDefinition: an action without a Path (the service "
                                   "refuses it)", NULL);
            }
            elem(b, a, "Path", "Command", 0);
            elem(b, a, "Arguments", "Arguments", 0);
            elem(b, a, "WorkingDirectory", "WorkingDirectory", 0);
        }
        tl_buf_printf(b, "</%s>", el);
    }
    tl_buf_puts(b, "</Actions></Task>");
    return tl_buf_status(b);
}

/* `name` relative to a folder path ("\\", "\\A"), or absolute; into b. */
static void join_path(tl_buf *b, const char *folder, const char *name)
{
    size_t fl = strlen(folder);
    if (name[0] == '\\')
        tl_buf_puts(b, name);
    else
        tl_buf_printf(b, "%s%s%s", folder, fl && folder[fl - 1] == '\\' ? "" : "\\", name);
}

/* ---- errors the service returns --------------------------------------------- */

/* A COM method failed with hr: the host's error handling (see the top comment). */
static tl_status com_fail(cx *x, const tok *at, const char *method, int nargs, unsigned hr,
                          const char *text, cval *out)
{
    memset(out, 0, sizeof *out);
    x->rc = 1;
    if (x->d == D_VBS && x->resume_next)
        return TL_OK;
    if (x->d == D_PS) {
        tl_sim_console_printf(x->c->s,
                              "Exception calling \"%s\" with \"%d\" argument(s): \"%s (Exception "
                              "from HRESULT: 0x%08X)\"\n",
                              method, nargs, text, hr);
        x->failed_stmt = 1;
        return TL_OK;
    }
    if (x->cscript == 1)
        tl_sim_console_printf(x->c->s, "%s(%d, %d) (null): %s\n", x->script, at->line, at->col,
                              text);
    x->quit = 1; /* the script stops */
    return TL_OK;
}

/* ---- methods and properties -------------------------------------------------- */

static tl_status eval_expr(cx *x, cval *out);

static int is_system_user(const char *u)
{
    return !tl_strcasecmp(u, "SYSTEM") || !tl_strcasecmp(u, "NT AUTHORITY\\SYSTEM") ||
           !tl_strcasecmp(u, "S-1-5-18") || !tl_strcasecmp(u, "LocalSystem");
}

/* RegisterTaskDefinition(path, def, flags, user, password, logonType[, sddl]) and
 * RegisterTask(path, xml, …): the Schedule service registers the task for the host. */
static tl_status do_register(cx *x, const tok *at, cobj *folder, const char *method, cval *a,
                             size_t na, cval *out)
{
    tl_status st = TL_OK;
    tl_sim *s = x->c->s;
    int by_xml = !tl_strcasecmp(method, "RegisterTask");
    char *path = NULL, *name = NULL, *user = NULL;
    tl_buf xml = TL_BUF_INIT, full = TL_BUF_INIT;
    memset(out, 0, sizeof *out);
    if (na < 3)
        return serr(x, at, "%s needs at least 3 arguments (path, definition, flags)", method);
    TL_TRY_ALLOC(name = cv_text(&a[0]));
    if (!by_xml && (a[1].k != CV_OBJ || x->o[a[1].obj].t != O_DEF))
        return serr(x, at, "RegisterTaskDefinition: the second argument is not a task definition", NULL);
    if (by_xml && a[1].k != CV_STR)
        return serr(x, at, "RegisterTask: the second argument is not XML text", NULL);
    long flags = cv_long(&a[2]);
    long logon = na > 5 ? cv_long(&a[5]) : 0;
    if (na > 3 && a[3].k == CV_STR && a[3].s[0])
        TL_TRY_ALLOC(user = tl_strdup(a[3].s));
    /* the full path: a name relative to the folder, or absolute */
    join_path(&full, folder->path, name);
    TL_TRY(tl_buf_status(&full));
    char msg[300];
    st = tl_task_path_canon(tl_buf_cstr(&full), &path, msg, sizeof msg);
    if (st == TL_E_PARSE || st == TL_E_INVAL) {
        st = com_fail(x, at, method, (int)na, 0x80070057u, "The parameter is incorrect.", out);
        goto cleanup;
    }
    TL_TRY(st);
    /* who the task runs as */
    const char *uid = NULL;
    int system = 0;
    char sidbuf[200];
    if (user && is_system_user(user)) {
        uid = "S-1-5-18";
        system = 1;
        logon = 5;
    } else if (user) {
        uid = user;
    } else if (!by_xml) {
        cval *pu = prop_find(&x->o[x->o[a[1].obj].kids[1]], "UserId");
        cval *pg = prop_find(&x->o[x->o[a[1].obj].kids[1]], "GroupId");
        if (pu && pu->k == CV_STR && pu->s[0]) {
            uid = pu->s;
            system = is_system_user(pu->s);
            if (system)
                uid = "S-1-5-18";
        } else if (!(pg && pg->k == CV_STR && pg->s[0])) {
            /* no user: the caller's own account (its SID, as schtasks /create stores it) */
            snprintf(sidbuf, sizeof sidbuf, "%s", s->users[x->c->user].sid);
            uid = sidbuf;
            system = x->c->user == 0;
        }
        if (logon == 0) {
            cval *plt = prop_find(&x->o[x->o[a[1].obj].kids[1]], "LogonType");
            logon = plt ? cv_long(plt) : 3;
        }
    }
    if (by_xml) {
        tl_buf_puts(&xml, a[1].s);
        system = system || strstr(a[1].s, "<UserId>S-1-5-18</UserId>") ||
                 strstr(a[1].s, "<UserId>SYSTEM</UserId>");
    } else {
        TL_TRY(def_xml(x, a[1].obj, uid, logon, &xml, at));
    }
    /* a task for SYSTEM or another account needs an administrator's elevated token [A] */
    if ((system || (user && !is_system_user(user))) && x->c->integrity < 2) {
        st = com_fail(x, at, method, (int)na, 0x80070005u, "Access is denied.", out);
        goto cleanup;
    }
    tl_task *old = tl_task_find(s, path);
    if (old && !(flags & 4)) {
        st = com_fail(x, at, method, (int)na, 0x800700B7u,
                      "Cannot create a file when that file already exists.", out);
        goto cleanup;
    }
    if (!old && !(flags & 2)) {
        st = com_fail(x, at, method, (int)na, 0x80070002u,
                      "The system cannot find the file specified.", out);
        goto cleanup;
    }
    long save = s->caller_proc;
    s->caller_proc = x->proc; /* 4698's ClientProcessId: the script host */
    st = tl_task_register(s, path, tl_buf_cstr(&xml), 1, x->c->user, msg, sizeof msg);
    s->caller_proc = save;
    if (st == TL_E_PARSE || st == TL_E_INVAL) {
        /* the service refuses the definition (SCHED_E_MALFORMEDXML) */
        st = com_fail(x, at, method, (int)na, 0x80041318u, "The task XML is malformed.", out);
        goto cleanup;
    }
    TL_TRY(st);
    size_t ti;
    TL_TRY(obj_new(x, O_TASK, &ti));
    TL_TRY_ALLOC(x->o[ti].path = tl_strdup(path));
    out->k = CV_OBJ;
    out->obj = ti;
cleanup:
    tl_free(path);
    tl_free(name);
    tl_free(user);
    tl_buf_free(&xml);
    tl_buf_free(&full);
    return st;
}

static tl_status new_def(cx *x, size_t *out)
{
    size_t d;
    TL_TRY_RET(obj_new(x, O_DEF, &d));
    static const otype kids[] = {O_REGINFO, O_PRINCIPAL, O_SETTINGS, O_TRIGGERS, O_ACTIONS};
    for (size_t i = 0; i < 5; i++) {
        size_t k;
        TL_TRY_RET(obj_new(x, kids[i], &k));
        x->o[d].kids[i] = k;
    }
    size_t idle;
    TL_TRY_RET(obj_new(x, O_IDLE, &idle));
    x->o[x->o[d].kids[2]].kids[0] = idle;
    *out = d;
    return TL_OK;
}

static tl_status load_taskschd(cx *x)
{
    if (x->loaded)
        return TL_OK;
    x->loaded = 1;
    return tl_sim_image_load(x->c->s, x->proc, "C:\\Windows\\System32\\taskschd.dll");
}

static tl_status create_object(cx *x, const tok *at, const cval *progid, cval *out)
{
    memset(out, 0, sizeof *out);
    if (progid->k != CV_STR || tl_strcasecmp(progid->s, "Schedule.Service"))
        return serr(x, at, "CreateObject(\"%s\"): tasklab models only Schedule.Service",
                    progid->k == CV_STR ? progid->s : "?");
    size_t o;
    TL_TRY_RET(load_taskschd(x));
    TL_TRY_RET(obj_new(x, O_SERVICE, &o));
    out->k = CV_OBJ;
    out->obj = o;
    return TL_OK;
}

/* obj.name or obj.name(args): a method call or a property get. */
static tl_status member(cx *x, const tok *at, size_t oi, const char *name, cval *a, size_t na,
                        cval *out)
{
    tl_sim *s = x->c->s;
    cobj *o = &x->o[oi];
    memset(out, 0, sizeof *out);
#define IS(n) (!tl_strcasecmp(name, n))
    switch (o->t) {
    case O_WSCRIPT:
        if (IS("Echo")) {
            if (x->cscript) {
                for (size_t i = 0; i < na; i++) {
                    char *t = cv_text(&a[i]);
                    if (!t)
                        return TL_E_NOMEM;
                    tl_sim_console_printf(s, "%s%s", i ? " " : "", t);
                    tl_free(t);
                }
                tl_sim_console_puts(s, "\n");
            }
            return TL_OK;
        }
        if (IS("Quit")) {
            x->rc = na ? (int)cv_long(&a[0]) : 0;
            x->quit = 2;
            return TL_OK;
        }
        if (IS("CreateObject") && na >= 1)
            return create_object(x, at, &a[0], out);
        if (IS("Sleep"))
            return TL_OK;
        break;
    case O_SERVICE:
        if (IS("Connect"))
            return TL_OK; /* the local machine; RPC to the Schedule service */
        if (IS("Connected")) {
            out->k = CV_BOOL;
            out->n = 1;
            return TL_OK;
        }
        if (IS("NewTask")) {
            size_t d;
            TL_TRY_RET(new_def(x, &d));
            out->k = CV_OBJ;
            out->obj = d;
            return TL_OK;
        }
        /* fall through: GetFolder */
        /* FALLTHRU */
    case O_FOLDER:
        if (IS("GetFolder") || IS("CreateFolder")) {
            char *p = na ? cv_text(&a[0]) : tl_strdup("\\");
            if (!p)
                return TL_E_NOMEM;
            size_t f;
            tl_status st = obj_new(x, O_FOLDER, &f);
            if (st != TL_OK) {
                tl_free(p);
                return st;
            }
            if (o->t == O_FOLDER && p[0] != '\\') {
                tl_buf b = TL_BUF_INIT;
                join_path(&b, x->o[oi].path, p);
                tl_free(p);
                p = tl_buf_take(&b);
                if (!p)
                    return TL_E_NOMEM;
            }
            x->o[f].path = p;
            out->k = CV_OBJ;
            out->obj = f;
            return TL_OK;
        }
        if (o->t != O_FOLDER)
            break;
        if (IS("Path") || IS("Name")) {
            out->k = CV_STR;
            out->s = tl_strdup(o->path);
            return out->s ? TL_OK : TL_E_NOMEM;
        }
        if (IS("RegisterTaskDefinition") || IS("RegisterTask"))
            return do_register(x, at, o, name, a, na, out);
        if (IS("GetTask") || IS("DeleteTask")) {
            if (!na)
                return serr(x, at, "%s needs the task's name", name);
            char *n = cv_text(&a[0]), *canon = NULL;
            if (!n)
                return TL_E_NOMEM;
            tl_buf b = TL_BUF_INIT;
            join_path(&b, o->path, n);
            tl_free(n);
            char msg[300];
            tl_status st = tl_buf_status(&b) == TL_OK
                               ? tl_task_path_canon(tl_buf_cstr(&b), &canon, msg, sizeof msg)
                               : TL_E_NOMEM;
            tl_buf_free(&b);
            if (st == TL_E_NOMEM)
                return st;
            tl_task *t = st == TL_OK ? tl_task_find(s, canon) : NULL;
            if (!t || t->unloaded) {
                tl_free(canon);
                return com_fail(x, at, name, (int)na, 0x80070002u,
                                "The system cannot find the file specified.", out);
            }
            if (IS("DeleteTask")) {
                if (x->c->integrity < 2 && t->owner != x->c->user) {
                    tl_free(canon);
                    return com_fail(x, at, name, (int)na, 0x80070005u, "Access is denied.", out);
                }
                long save = s->caller_proc;
                s->caller_proc = x->proc;
                st = tl_task_delete(s, t, x->c->user);
                s->caller_proc = save;
                tl_free(canon);
                return st;
            }
            size_t ti;
            st = obj_new(x, O_TASK, &ti);
            if (st != TL_OK) {
                tl_free(canon);
                return st;
            }
            x->o[ti].path = canon;
            out->k = CV_OBJ;
            out->obj = ti;
            return TL_OK;
        }
        break;
    case O_DEF: {
        static const char *const kid[] = {"RegistrationInfo", "Principal", "Settings", "Triggers",
                                          "Actions"};
        for (size_t i = 0; i < 5; i++)
            if (IS(kid[i])) {
                out->k = CV_OBJ;
                out->obj = o->kids[i];
                return TL_OK;
            }
        if (IS("XmlText")) {
            tl_buf b = TL_BUF_INIT;
            TL_TRY_RET(def_xml(x, oi, NULL, 3, &b, at));
            out->k = CV_STR;
            out->s = tl_buf_take(&b);
            return out->s ? TL_OK : TL_E_NOMEM;
        }
        break;
    }
    case O_SETTINGS:
        if (IS("IdleSettings")) {
            out->k = CV_OBJ;
            out->obj = o->kids[0];
            return TL_OK;
        }
        break;
    case O_TRIGGERS:
    case O_ACTIONS:
        if (IS("Create")) {
            long type = na ? cv_long(&a[0]) : -1;
            int ok = o->t == O_TRIGGERS ? (type == 0 || type == 1 || type == 2 || type == 3 ||
                                           type == 6 || type == 7 || type == 8 || type == 9 ||
                                           type == 11)
                                        : (type == 0 || type == 5);
            if (!ok) {
                char n[32];
                snprintf(n, sizeof n, "%ld", type);
                return serr(x, at, "Create(%s): a type tasklab does not model", n);
            }
            size_t k, r = 0;
            TL_TRY_RET(obj_new(x, o->t == O_TRIGGERS ? O_TRIGGER : O_ACTION, &k));
            if (o->t == O_TRIGGERS)
                TL_TRY_RET(obj_new(x, O_REPETITION, &r));
            o = &x->o[oi]; /* obj_new may move the table */
            size_t *ni = tl_realloc(o->items, (o->nitems + 1) * sizeof *ni);
            if (!ni)
                return TL_E_NOMEM;
            o->items = ni;
            o->items[o->nitems++] = k;
            x->o[k].kind = (int)type;
            x->o[k].kids[0] = r;
            out->k = CV_OBJ;
            out->obj = k;
            return TL_OK;
        }
        if (IS("Count")) {
            out->k = CV_NUM;
            out->n = (double)o->nitems;
            return TL_OK;
        }
        break;
    case O_TRIGGER:
        if (IS("Repetition")) {
            out->k = CV_OBJ;
            out->obj = o->kids[0];
            return TL_OK;
        }
        break;
    case O_TASK: {
        tl_task *t = tl_task_find(s, o->path);
        if (IS("Name") || IS("Path")) {
            const char *leaf = strrchr(o->path, '\\');
            out->k = CV_STR;
            out->s = tl_strdup(IS("Path") ? o->path : leaf ? leaf + 1 : o->path);
            return out->s ? TL_OK : TL_E_NOMEM;
        }
        if (!t)
            return com_fail(x, at, name, (int)na, 0x80070002u,
                            "The system cannot find the file specified.", out);
        if (IS("Enabled")) {
            out->k = CV_BOOL;
            out->n = t->enabled;
            return TL_OK;
        }
        if (IS("Xml")) {
            out->k = CV_STR;
            out->s = tl_strdup(t->xml ? t->xml : "");
            return out->s ? TL_OK : TL_E_NOMEM;
        }
        if (IS("Run") || IS("RunEx")) {
            long save = s->caller_proc;
            s->caller_proc = x->proc;
            tl_status st = tl_task_run(s, t);
            s->caller_proc = save;
            return st;
        }
        break;
    }
    default:
        break;
    }
    /* a property of a settable interface reads what the script set */
    const char *const *l = settable(o->t);
    if (l && in_list(l, name) && na == 0) {
        cval *v = prop_find(o, name);
        return v ? cv_copy(v, out) : TL_OK;
    }
#undef IS
    char m[200];
    snprintf(m, sizeof m, "%s.%s", iface(o->t), name);
    return serr(x, at, "%s: not in tasklab's model of the Task Scheduler API", m);
}

static tl_status member_set(cx *x, const tok *at, size_t oi, const char *name, const cval *v)
{
    cobj *o = &x->o[oi];
    if (o->t == O_TASK && !tl_strcasecmp(name, "Enabled")) {
        tl_task *t = tl_task_find(x->c->s, o->path);
        if (!t) {
            cval dummy;
            return com_fail(x, at, "Enabled", 1, 0x80070002u,
                            "The system cannot find the file specified.", &dummy);
        }
        long save = x->c->s->caller_proc;
        x->c->s->caller_proc = x->proc;
        tl_status st = tl_task_set_enabled(x->c->s, t, cv_truthy(v), x->c->user);
        x->c->s->caller_proc = save;
        return st;
    }
    const char *const *l = settable(o->t);
    if (!l || !in_list(l, name)) {
        char m[200];
        snprintf(m, sizeof m, "%s.%s", iface(o->t), name);
        return serr(x, at, "%s = …: not in tasklab's model of the Task Scheduler API", m);
    }
    return prop_set(o, name, v);
}

/* ---- parser / evaluator ------------------------------------------------------- */

static tok *cur(cx *x) { return &x->t[x->pos]; }
static int is_p(cx *x, char p) { return cur(x)->k == K_P && cur(x)->p == p; }
static int is_kw(cx *x, const char *kw)
{
    return cur(x)->k == K_ID && !tl_strcasecmp(cur(x)->s, kw);
}
static int at_eos(cx *x) { return cur(x)->k == K_EOS || cur(x)->k == K_END; }

static var *var_find(cx *x, const char *name)
{
    for (size_t i = 0; i < x->nvars; i++)
        if (x->d == D_JS ? !strcmp(x->vars[i].name, name) : !tl_strcasecmp(x->vars[i].name, name))
            return &x->vars[i];
    return NULL;
}

static tl_status var_set(cx *x, const char *name, const cval *v)
{
    var *p = var_find(x, name);
    if (p) {
        cv_free(&p->v);
        return cv_copy(v, &p->v);
    }
    var *nv = tl_realloc(x->vars, (x->nvars + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    x->vars = nv;
    if (!(nv[x->nvars].name = tl_strdup(name)))
        return TL_E_NOMEM;
    if (cv_copy(v, &nv[x->nvars].v) != TL_OK) {
        tl_free(nv[x->nvars].name);
        return TL_E_NOMEM;
    }
    x->nvars++;
    return TL_OK;
}

/* Arguments up to `close` (')' or, for a VBS call without parentheses, the end of
 * the statement); VBS allows empty ones ("a, , b"). */
static tl_status parse_args(cx *x, char close, cval *a, size_t *na)
{
    *na = 0;
    if (close ? is_p(x, close) : at_eos(x))
        return TL_OK;
    for (;;) {
        if (*na == MAX_ARGS)
            return serr(x, cur(x), "more than 8 arguments", NULL);
        memset(&a[*na], 0, sizeof a[*na]);
        if (!(is_p(x, ',') || (close ? is_p(x, close) : at_eos(x))))
            TL_TRY_RET(eval_expr(x, &a[*na]));
        (*na)++;
        if (!is_p(x, ','))
            break;
        x->pos++;
    }
    return TL_OK;
}

static void args_free(cval *a, size_t na)
{
    for (size_t i = 0; i < na; i++)
        cv_free(&a[i]);
}

/* primary: literal, variable, ( expr ), CreateObject(…), new ActiveXObject(…),
 * New-Object -ComObject X, WScript */
static tl_status primary(cx *x, cval *out)
{
    tok *t = cur(x);
    memset(out, 0, sizeof *out);
    if (t->k == K_STR) {
        x->pos++;
        out->k = CV_STR;
        out->s = tl_strdup(t->s);
        return out->s ? TL_OK : TL_E_NOMEM;
    }
    if (t->k == K_NUM) {
        x->pos++;
        out->k = CV_NUM;
        out->n = t->n;
        return TL_OK;
    }
    if (is_p(x, '-') && x->t[x->pos + 1].k == K_NUM) {
        x->pos += 2;
        out->k = CV_NUM;
        out->n = -x->t[x->pos - 1].n;
        return TL_OK;
    }
    if (is_p(x, '(')) {
        x->pos++;
        TL_TRY_RET(eval_expr(x, out));
        if (!is_p(x, ')'))
            return serr(x, cur(x), "')' expected", NULL);
        x->pos++;
        return TL_OK;
    }
    if (t->k == K_VAR) {
        x->pos++;
        if (!tl_strcasecmp(t->s, "true") || !tl_strcasecmp(t->s, "false")) {
            out->k = CV_BOOL;
            out->n = !tl_strcasecmp(t->s, "true");
            return TL_OK;
        }
        if (!tl_strcasecmp(t->s, "null")) {
            out->k = CV_NULL;
            return TL_OK;
        }
        var *v = var_find(x, t->s);
        return v ? cv_copy(&v->v, out) : TL_OK; /* an unset PowerShell variable is $null */
    }
    if (t->k == K_ID) {
        const char *n = t->s;
        if ((x->d == D_VBS && (!tl_strcasecmp(n, "True") || !tl_strcasecmp(n, "False"))) ||
            (x->d == D_JS && (!strcmp(n, "true") || !strcmp(n, "false")))) {
            x->pos++;
            out->k = CV_BOOL;
            out->n = (n[0] == 'T' || n[0] == 't') ? 1 : 0;
            if (x->d == D_VBS && out->n)
                out->n = 1;
            return TL_OK;
        }
        if ((x->d == D_VBS && (!tl_strcasecmp(n, "Nothing") || !tl_strcasecmp(n, "Null") ||
                               !tl_strcasecmp(n, "Empty"))) ||
            (x->d == D_JS && (!strcmp(n, "null") || !strcmp(n, "undefined")))) {
            x->pos++;
            out->k = CV_NULL;
            return TL_OK;
        }
        if (x->d != D_PS && !tl_strcasecmp(n, "WScript") && !var_find(x, n)) {
            x->pos++;
            size_t o;
            TL_TRY_RET(obj_new(x, O_WSCRIPT, &o));
            out->k = CV_OBJ;
            out->obj = o;
            return TL_OK;
        }
        if (x->d == D_VBS && !tl_strcasecmp(n, "CreateObject") && !var_find(x, n)) {
            x->pos++;
            cval a[MAX_ARGS];
            size_t na = 0;
            int paren = is_p(x, '(');
            if (paren)
                x->pos++;
            tl_status st = parse_args(x, paren ? ')' : 0, a, &na);
            if (st == TL_OK && paren && !is_p(x, ')'))
                st = serr(x, cur(x), "')' expected", NULL);
            if (st == TL_OK && paren)
                x->pos++;
            if (st == TL_OK)
                st = na ? create_object(x, t, &a[0], out) : serr(x, t, "CreateObject needs a ProgID", NULL);
            args_free(a, na);
            return st;
        }
        if (x->d == D_JS && !strcmp(n, "new")) {
            x->pos++;
            if (!is_kw(x, "ActiveXObject"))
                return serr(x, cur(x), "new: tasklab models only new ActiveXObject(\"Schedule.Service\")", NULL);
            x->pos++;
            if (!is_p(x, '('))
                return serr(x, cur(x), "'(' expected", NULL);
            x->pos++;
            cval a[MAX_ARGS];
            size_t na = 0;
            tl_status st = parse_args(x, ')', a, &na);
            if (st == TL_OK && !is_p(x, ')'))
                st = serr(x, cur(x), "')' expected", NULL);
            if (st == TL_OK) {
                x->pos++;
                st = na ? create_object(x, t, &a[0], out) : serr(x, t, "ActiveXObject needs a ProgID", NULL);
            }
            args_free(a, na);
            return st;
        }
        if (x->d == D_PS && !tl_strcasecmp(n, "New-Object")) {
            x->pos++;
            if (cur(x)->k != K_PARAM || tl_strncasecmp(cur(x)->s, "Com", 3))
                return serr(x, cur(x), "New-Object: tasklab models only New-Object -ComObject Schedule.Service", NULL);
            x->pos++;
            cval id;
            memset(&id, 0, sizeof id);
            if (cur(x)->k == K_ID) {
                /* a bare word: Schedule.Service */
                tl_buf b = TL_BUF_INIT;
                while (cur(x)->k == K_ID || is_p(x, '.')) {
                    tl_buf_puts(&b, cur(x)->k == K_ID ? cur(x)->s : ".");
                    x->pos++;
                }
                id.k = CV_STR;
                id.s = tl_buf_take(&b);
                if (!id.s)
                    return TL_E_NOMEM;
            } else {
                TL_TRY_RET(primary(x, &id));
            }
            tl_status st = create_object(x, t, &id, out);
            cv_free(&id);
            return st;
        }
        if (x->d != D_PS) {
            var *v = var_find(x, n);
            if (v) {
                x->pos++;
                return cv_copy(&v->v, out);
            }
        }
        return serr(x, t, "'%s': not a variable or function tasklab knows", n);
    }
    return serr(x, t, "unexpected %s", t->k == K_EOS ? "end of statement" : t->k == K_END ? "end of script" : t->k == K_P ? "punctuation" : "token");
}

/* postfix: primary ( .name [ (args) ] )* — with `lv` set, stop before a final
 * `.name =` so that the caller assigns it (*lv_obj, lv_name). */
static tl_status postfix(cx *x, cval *out, int lv, size_t *lv_obj, char *lv_name, size_t lvn)
{
    if (++x->depth > TL_LIMIT_PS_DEPTH) {
        x->depth--;
        return serr(x, cur(x), "expression nested too deeply", NULL);
    }
    tl_status st = primary(x, out);
    while (st == TL_OK && is_p(x, '.') && x->t[x->pos + 1].k == K_ID) {
        tok *nt = &x->t[x->pos + 1];
        int call = x->t[x->pos + 2].k == K_P && x->t[x->pos + 2].p == '(';
        if (lv && !call && x->t[x->pos + 2].k == K_P && x->t[x->pos + 2].p == '=') {
            if (out->k != CV_OBJ) {
                st = serr(x, nt, "'%s': assignment to a member of something that is not an object", nt->s);
                break;
            }
            *lv_obj = out->obj;
            snprintf(lv_name, lvn, "%s", nt->s);
            x->pos += 2;
            break;
        }
        if (out->k != CV_OBJ) {
            st = serr(x, nt, "'.%s' on a value that is not an object (Object required)", nt->s);
            break;
        }
        x->pos += 2;
        cval a[MAX_ARGS];
        size_t na = 0;
        if (call) {
            x->pos++;
            st = parse_args(x, ')', a, &na);
            if (st == TL_OK && !is_p(x, ')'))
                st = serr(x, cur(x), "')' expected", NULL);
            if (st == TL_OK)
                x->pos++;
        } else if (x->d == D_VBS && lv && !at_eos(x) && !is_p(x, '.') && !is_p(x, '=') &&
                   !is_p(x, '&') && !is_p(x, ')') && !is_p(x, ',')) {
            /* VBS: a statement-level call without parentheses (obj.M a, b) */
            st = parse_args(x, 0, a, &na);
        }
        if (st == TL_OK) {
            size_t o = out->obj;
            cval r;
            cv_free(out);
            st = member(x, nt, o, nt->s, a, na, &r);
            *out = r;
        }
        args_free(a, na);
        if (x->quit)
            break;
    }
    x->depth--;
    return st;
}

static tl_status eval_expr(cx *x, cval *out)
{
    TL_TRY_RET(postfix(x, out, 0, NULL, NULL, 0));
    while (!x->quit && (is_p(x, '&') || is_p(x, '+'))) {
        x->pos++;
        cval r;
        tl_status st = postfix(x, &r, 0, NULL, NULL, 0);
        if (st != TL_OK) {
            cv_free(out);
            return st;
        }
        if (out->k == CV_NUM && r.k == CV_NUM && x->t[x->pos - 1].k != K_P) {
            out->n += r.n;
        } else if (out->k == CV_NUM && r.k == CV_NUM) {
            out->n += r.n;
        } else {
            char *a = cv_text(out), *b = cv_text(&r);
            tl_buf cat = TL_BUF_INIT;
            if (a && b) {
                tl_buf_puts(&cat, a);
                tl_buf_puts(&cat, b);
            }
            tl_free(a);
            tl_free(b);
            cv_free(out);
            cv_free(&r);
            if (tl_buf_status(&cat) != TL_OK) {
                tl_buf_free(&cat);
                return TL_E_NOMEM;
            }
            out->k = CV_STR;
            out->s = tl_buf_take(&cat);
            if (!out->s)
                out->s = tl_strdup("");
            if (!out->s)
                return TL_E_NOMEM;
            continue;
        }
        cv_free(&r);
    }
    return TL_OK;
}

/* Skip a VBS Function/Sub body or a JS function { … }: defined, never called. */
static tl_status skip_definition(cx *x)
{
    tok *t = cur(x);
    if (x->d == D_VBS) {
        const char *kind = t->s;
        for (x->pos++; cur(x)->k != K_END; x->pos++)
            if (is_kw(x, "End") && x->t[x->pos + 1].k == K_ID &&
                !tl_strcasecmp(x->t[x->pos + 1].s, kind)) {
                x->pos += 2;
                return TL_OK;
            }
        return serr(x, t, "%s without End", kind);
    }
    int depth = 0;
    for (x->pos++; cur(x)->k != K_END; x->pos++) {
        if (is_p(x, '{'))
            depth++;
        else if (is_p(x, '}') && --depth == 0) {
            x->pos++;
            return TL_OK;
        }
    }
    return serr(x, t, "function without its closing '}'", NULL);
}

static tl_status statement(cx *x)
{
    tok *t = cur(x);
    tl_status st = TL_OK;
    if (x->d == D_VBS && t->k == K_ID) {
        if (is_kw(x, "Option") || is_kw(x, "Dim") || is_kw(x, "Private") || is_kw(x, "Public")) {
            while (!at_eos(x))
                x->pos++;
            return TL_OK;
        }
        if (is_kw(x, "On") && x->t[x->pos + 1].k == K_ID &&
            !tl_strcasecmp(x->t[x->pos + 1].s, "Error")) {
            x->pos += 2;
            x->resume_next = is_kw(x, "Resume");
            while (!at_eos(x))
                x->pos++;
            return TL_OK;
        }
        if (is_kw(x, "Function") || is_kw(x, "Sub"))
            return skip_definition(x);
        if (is_kw(x, "Set") || is_kw(x, "Call"))
            x->pos++;
        else if (is_kw(x, "Const")) {
            x->pos++;
            for (;;) {
                if (cur(x)->k != K_ID)
                    return serr(x, cur(x), "Const: a name expected", NULL);
                const char *name = cur(x)->s;
                x->pos++;
                if (!is_p(x, '='))
                    return serr(x, cur(x), "Const: '=' expected", NULL);
                x->pos++;
                cval v;
                TL_TRY_RET(eval_expr(x, &v));
                st = var_set(x, name, &v);
                cv_free(&v);
                TL_TRY_RET(st);
                if (!is_p(x, ','))
                    return TL_OK;
                x->pos++;
            }
        } else if (is_kw(x, "If") || is_kw(x, "For") || is_kw(x, "Do") || is_kw(x, "While") ||
                   is_kw(x, "Select") || is_kw(x, "With")) {
            return serr(x, t, "'%s': tasklab interprets straight-line scripts only", t->s);
        }
    }
    if (x->d == D_JS && t->k == K_ID) {
        if (!strcmp(t->s, "function"))
            return skip_definition(x);
        if (!strcmp(t->s, "if") || !strcmp(t->s, "for") || !strcmp(t->s, "while") ||
            !strcmp(t->s, "try") || !strcmp(t->s, "do") || !strcmp(t->s, "switch"))
            return serr(x, t, "'%s': tasklab interprets straight-line scripts only", t->s);
        if (!strcmp(t->s, "var") || !strcmp(t->s, "let") || !strcmp(t->s, "const")) {
            x->pos++;
            for (;;) {
                if (cur(x)->k != K_ID)
                    return serr(x, cur(x), "a name expected", NULL);
                const char *name = cur(x)->s;
                x->pos++;
                cval v;
                memset(&v, 0, sizeof v);
                if (is_p(x, '=')) {
                    x->pos++;
                    TL_TRY_RET(eval_expr(x, &v));
                }
                st = var_set(x, name, &v);
                cv_free(&v);
                TL_TRY_RET(st);
                if (!is_p(x, ','))
                    return TL_OK;
                x->pos++;
            }
        }
    }
    if (x->d == D_PS) {
        /* [void]… casts discard the value */
        while (is_p(x, '[') && x->t[x->pos + 1].k == K_ID && x->t[x->pos + 2].k == K_P &&
               x->t[x->pos + 2].p == ']')
            x->pos += 3;
        t = cur(x);
        if (t->k == K_ID && !tl_strcasecmp(t->s, "New-Object")) {
            cval v;
            TL_TRY_RET(eval_expr(x, &v));
            cv_free(&v);
            goto tail;
        }
        if (t->k == K_ID)
            return serr(x, t, "'%s': tasklab interprets COM calls only in a script that uses New-Object -ComObject", t->s);
    }
    /* simple variable assignment */
    t = cur(x);
    if ((t->k == K_ID || t->k == K_VAR) && x->t[x->pos + 1].k == K_P &&
        x->t[x->pos + 1].p == '=') {
        const char *name = t->s;
        x->pos += 2;
        cval v;
        TL_TRY_RET(eval_expr(x, &v));
        if (!(t->k == K_VAR && !tl_strcasecmp(name, "null")))
            st = var_set(x, name, &v);
        cv_free(&v);
        goto tailst;
    }
    {
        size_t lo = (size_t)-1;
        char ln[64] = "";
        cval v;
        TL_TRY_RET(postfix(x, &v, 1, &lo, ln, sizeof ln));
        if (ln[0]) {
            cv_free(&v);
            tok *at = cur(x);
            x->pos++; /* '=' */
            cval r;
            TL_TRY_RET(eval_expr(x, &r));
            st = member_set(x, at, lo, ln, &r);
            cv_free(&r);
        } else {
            cv_free(&v);
        }
    }
tailst:
    TL_TRY_RET(st);
tail:
    if (x->d == D_PS && is_p(x, '|')) {
        /* … | Out-Null */
        x->pos++;
        if (!is_kw(x, "Out-Null"))
            return serr(x, cur(x), "a pipeline into '%s' is not interpreted by tasklab (only Out-Null)",
                        cur(x)->k == K_ID ? cur(x)->s : "?");
        x->pos++;
    }
    return TL_OK;
}

static tl_status run(cx *x, const char *src)
{
    TL_TRY_RET(lex(x, src));
    while (cur(x)->k != K_END && !x->quit) {
        if (cur(x)->k == K_EOS) {
            x->pos++;
            continue;
        }
        TL_TRY_RET(tl_sim_work_command(x->c->s));
        x->failed_stmt = 0;
        TL_TRY_RET(statement(x));
        if (x->quit)
            break;
        if (!at_eos(x))
            return serr(x, cur(x), "unexpected text after the statement", NULL);
    }
    return TL_OK;
}

static void cx_free(cx *x)
{
    for (size_t i = 0; i < x->nt; i++)
        tl_free(x->t[i].s);
    tl_free(x->t);
    for (size_t i = 0; i < x->no; i++) {
        for (size_t k = 0; k < x->o[i].nprops; k++) {
            tl_free(x->o[i].props[k].name);
            cv_free(&x->o[i].props[k].v);
        }
        tl_free(x->o[i].props);
        tl_free(x->o[i].items);
        tl_free(x->o[i].path);
    }
    tl_free(x->o);
    for (size_t i = 0; i < x->nvars; i++) {
        tl_free(x->vars[i].name);
        cv_free(&x->vars[i].v);
    }
    tl_free(x->vars);
}

tl_status tl_com_run_script(tl_exec_ctx *c, long proc, int language, int console_host,
                            const char *script_name, const char *text, int *rc)
{
    cx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.proc = proc;
    x.d = language == TL_COM_VBSCRIPT ? D_VBS : language == TL_COM_JSCRIPT ? D_JS : D_PS;
    x.cscript = console_host;
    x.script = script_name;
    tl_status st = run(&x, text);
    if (st == TL_OK)
        *rc = x.rc;
    cx_free(&x);
    return st;
}

int tl_com_ps_script_uses_com(const char *script)
{
    const char *p = tl_strcasestr(script, "-ComObject");
    return p && tl_strcasestr(p, "Schedule.Service") != NULL;
}

/* ---- the script hosts --------------------------------------------------------- */

/* wscript.exe / cscript.exe [//options] script [arguments]: runs the script file
 * (read from the endpoint) in process proc. The language is the file's
 * extension (.vbs, .js) or //E:vbscript|jscript. */
tl_status tl_interp_script_host(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                                size_t argc, int *rc)
{
    (void)cmdline;
    tl_status st = TL_OK;
    tl_sim *s = c->s;
    int cscript = argc && tl_strcasestr(argv[0], "cscript") != NULL;
    int nologo = 0, batch = 0, language = -1;
    const char *file = NULL;
    char *text = NULL, *path = NULL;
    *rc = 0;
    for (size_t i = 1; i < argc && !file; i++) {
        const char *a = argv[i];
        if (a[0] == '/') {
            const char *o = a[1] == '/' ? a + 2 : a + 1;
            if (!tl_strcasecmp(o, "nologo"))
                nologo = 1;
            else if (!tl_strcasecmp(o, "b"))
                batch = 1; /* no script errors or prompts shown */
            else if (!tl_strncasecmp(o, "e:", 2))
                language = !tl_strcasecmp(o + 2, "vbscript") || !tl_strcasecmp(o + 2, "vbs")
                               ? TL_COM_VBSCRIPT
                           : !tl_strcasecmp(o + 2, "jscript") || !tl_strcasecmp(o + 2, "javascript")
                               ? TL_COM_JSCRIPT
                               : -2;
            continue;
        }
        file = a;
    }
    if (cscript && !nologo)
        tl_sim_console_puts(s, "Microsoft (R) Windows Script Host Version 5.812\n"
                               "Copyright (C) Microsoft Corporation. All rights reserved.\n\n");
    if (!file) {
        /* no script: the host shows its usage (a dialog under wscript) */
        *rc = 0;
        return TL_OK;
    }
    /* a relative name is found in the host's working directory */
    if (!(file[0] && file[1] == ':') && !(file[0] == '\\' && file[1] == '\\')) {
        tl_buf b = TL_BUF_INIT;
        const char *cwd = s->procs[proc].cwd ? s->procs[proc].cwd : "C:\\Windows\\System32\\";
        tl_buf_printf(&b, "%s%s%s", cwd, cwd[0] && cwd[strlen(cwd) - 1] == '\\' ? "" : "\\", file);
        TL_TRY_ALLOC(path = tl_buf_take(&b));
    } else {
        TL_TRY_ALLOC(path = tl_strdup(file));
    }
    const char *ext = strrchr(path, '.');
    if (language == -1 && ext)
        language = !tl_strcasecmp(ext, ".vbs") ? TL_COM_VBSCRIPT
                   : !tl_strcasecmp(ext, ".js") ? TL_COM_JSCRIPT
                                               : -2;
    const tl_vfile *f = tl_fs_find(s, path);
    if (!f) {
        if (cscript)
            tl_sim_console_printf(s, "Input Error: Can not find script file \"%s\".\n", path);
        *rc = 1;
        goto cleanup;
    }
    if (language < 0) {
        st = tl_sim_step_error(s, c->d, TL_E_PARSE,
                               "%s: tasklab interprets .vbs and .js scripts (or //E:vbscript|jscript)",
                               path);
        goto cleanup;
    }
    TL_TRY(tl_text_decode(f->data, f->len, &text));
    TL_TRY(tl_com_run_script(c, proc, language, cscript ? (batch ? 2 : 1) : 0, path, text, rc));
cleanup:
    tl_free(text);
    tl_free(path);
    return st;
}

/* ---- scripts for other tools (tasklab vary: alternative creation paths) ------- */

/* Append s as a string literal of the language. */
static void lit(tl_buf *b, int language, const char *s)
{
    char q = language == TL_COM_POWERSHELL ? '\'' : '"';
    tl_buf_putc(b, q);
    for (; *s; s++) {
        if (*s == '\r' || (*s == '\n' && language == TL_COM_VBSCRIPT))
            continue; /* a VBScript literal holds no line break; XML needs none */
        if (*s == q && language != TL_COM_JSCRIPT)
            tl_buf_putc(b, q); /* doubled */
        else if (language == TL_COM_JSCRIPT && (*s == q || *s == '\\'))
            tl_buf_putc(b, '\\');
        else if (language == TL_COM_JSCRIPT && *s == '\n') {
            tl_buf_puts(b, "\\n");
            continue;
        }
        tl_buf_putc(b, *s);
    }
    tl_buf_putc(b, q);
}

tl_status tl_sim_com_script(int language, const char *task_path, const char *xml, const char *user,
                            char **out)
{
    if (language != TL_COM_VBSCRIPT && language != TL_COM_JSCRIPT && language != TL_COM_POWERSHELL)
        return TL_E_INVAL;
    int sys = user && is_system_user(user);
    tl_buf b = TL_BUF_INIT;
    const char *lt = sys ? "5" : "3";
    switch (language) {
    case TL_COM_VBSCRIPT:
        tl_buf_puts(&b, "Set service = CreateObject(\"Schedule.Service\")\r\nservice.Connect\r\n"
                        "Set folder = service.GetFolder(\"\\\")\r\nfolder.RegisterTask ");
        lit(&b, language, task_path);
        tl_buf_puts(&b, ", ");
        lit(&b, language, xml);
        tl_buf_puts(&b, ", 6, ");
        if (user)
            lit(&b, language, user);
        tl_buf_printf(&b, ", , %s\r\n", lt);
        break;
    case TL_COM_JSCRIPT:
        tl_buf_puts(&b, "var service = new ActiveXObject(\"Schedule.Service\");\r\nservice.Connect();\r\n"
                        "service.GetFolder(\"\\\\\").RegisterTask(");
        lit(&b, language, task_path);
        tl_buf_puts(&b, ", ");
        lit(&b, language, xml);
        tl_buf_puts(&b, ", 6, ");
        if (user)
            lit(&b, language, user);
        else
            tl_buf_puts(&b, "null");
        tl_buf_printf(&b, ", null, %s);\r\n", lt);
        break;
    default:
        tl_buf_puts(&b, "$service = New-Object -ComObject Schedule.Service\n$service.Connect()\n"
                        "[void]$service.GetFolder('\\').RegisterTask(");
        lit(&b, language, task_path);
        tl_buf_puts(&b, ", ");
        lit(&b, language, xml);
        tl_buf_puts(&b, ", 6, ");
        if (user)
            lit(&b, language, user);
        else
            tl_buf_puts(&b, "$null");
        tl_buf_printf(&b, ", $null, %s)\n", lt);
        break;
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&b);
    return *out ? TL_OK : TL_E_NOMEM;
}
