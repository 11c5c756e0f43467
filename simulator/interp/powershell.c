/* SPDX-License-Identifier: MIT */
/*
 * A small PowerShell interpreter for the ScheduledTasks module (windows.md
 * §8, Atomic T1053.005 #4, #6, #8, #9): statements separated by ';' or new
 * lines, "$x = ..." assignments, pipelines, parenthesised sub-expressions,
 * single/double-quoted strings (double quotes expand $variables and
 * backtick escapes), @{ } hash tables, comma lists, [System.IO.File]::
 * ReadAllText(), Get-Content | Out-String.
 *
 * Cmdlets: New-ScheduledTaskAction, New-ScheduledTaskTrigger,
 * New-ScheduledTaskPrincipal, New-ScheduledTaskSettingsSet, New-ScheduledTask,
 * Register-ScheduledTask (-InputObject | -Action/-Trigger/-Principal/-Settings/
 * -User/-RunLevel | -Xml), Set-ScheduledTask, Unregister-ScheduledTask,
 * Enable-/Disable-/Start-ScheduledTask, Invoke-CimMethod ... PS_ScheduledTask
 * RegisterByXml. Other Verb-Noun cmdlets are harmless no-ops; a bare word
 * naming a program (schtasks, reg, cmd ...) is launched as a child process.
 * No schtasks.exe appears for cmdlets: only powershell.exe is seen (Event 1 +
 * Event 7 taskschd.dll), then the Schedule service's writes.
 * Syntax errors (unterminated string or parenthesis, unknown parameter of a
 * ScheduledTasks cmdlet, missing value) are scenario errors (TL_E_PARSE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"
#include "evasion_int.h"
#include "dotnet_time.h"

typedef enum vk {
    V_NULL = 0,
    V_STR,
    V_BOOL,
    V_ACTION,
    V_TRIGGER,
    V_PRINCIPAL,
    V_SETTINGS,
    V_TASK,
    V_HASH,
    V_LIST,
    V_DATE /* a [DateTime]: tm */
} vk;

typedef struct val val;
struct val {
    vk k;
    char *s;         /* V_STR; V_TRIGGER/ACTION/PRINCIPAL/SETTINGS: XML fragment */
    int b;           /* V_BOOL */
    tl_time tm;      /* V_DATE: local time (= UTC on the endpoint) */
    char *run_level; /* principal */
    char *user_id;   /* principal: the resolved UserId text */
    char *task_path; /* V_TASK from Get-ScheduledTask: the registered task's path */
    int is_system;
    val *items;  /* V_LIST / V_TASK parts / V_HASH values */
    char **keys; /* V_HASH */
    size_t n;
};

typedef struct psvar {
    char *name;
    val v;
    size_t w; /* val_weight(&v) */
} psvar;

typedef struct ps {
    tl_exec_ctx *c;
    long proc;
    const char *p; /* cursor */
    psvar *vars;
    size_t nvars;
    int rc;
    int depth;  /* parse_primary calls active (bounded by TL_LIMIT_PS_DEPTH) */
    int pwsh;   /* PowerShell 6+ (pwsh.exe): more backtick escapes */
    int failed; /* the current statement stopped on a PowerShell error (ps_fail) */
    size_t var_bytes; /* sum of the variables' weights (TL_LIMIT_PS_VARS_BYTES) */
} ps;

static void val_free(val *v)
{
    tl_free(v->s);
    tl_free(v->run_level);
    tl_free(v->user_id);
    tl_free(v->task_path);
    for (size_t i = 0; i < v->n; i++) {
        if (v->items)
            val_free(&v->items[i]);
        if (v->keys)
            tl_free(v->keys[i]);
    }
    tl_free(v->items);
    tl_free(v->keys);
    memset(v, 0, sizeof *v);
}

static tl_status val_copy(const val *a, val *out)
{
    memset(out, 0, sizeof *out);
    out->k = a->k;
    out->b = a->b;
    out->tm = a->tm;
    out->is_system = a->is_system;
    if ((a->s && !(out->s = tl_strdup(a->s))) ||
        (a->run_level && !(out->run_level = tl_strdup(a->run_level))) ||
        (a->user_id && !(out->user_id = tl_strdup(a->user_id))) ||
        (a->task_path && !(out->task_path = tl_strdup(a->task_path)))) {
        val_free(out);
        return TL_E_NOMEM;
    }
    if (a->n) {
        out->items = tl_calloc(a->n, sizeof *out->items);
        if (!out->items) {
            val_free(out);
            return TL_E_NOMEM;
        }
        if (a->keys) {
            out->keys = tl_calloc(a->n, sizeof *out->keys);
            if (!out->keys) {
                val_free(out);
                return TL_E_NOMEM;
            }
        }
        for (size_t i = 0; i < a->n; i++) {
            out->n = i + 1;
            if (val_copy(&a->items[i], &out->items[i]) != TL_OK ||
                (a->keys && !(out->keys[i] = tl_strdup(a->keys[i])))) {
                val_free(out);
                return TL_E_NOMEM;
            }
        }
    }
    return TL_OK;
}

/* The size a value counts for against TL_LIMIT_PS_VALUE_BYTES: its text plus 64 bytes per
 * element. Values are checked as they grow, so the recursion is bounded too. */
static size_t val_weight(const val *v)
{
    size_t w = (v->s ? strlen(v->s) : 0) + (v->run_level ? strlen(v->run_level) : 0) +
               (v->user_id ? strlen(v->user_id) : 0) + (v->task_path ? strlen(v->task_path) : 0);
    for (size_t i = 0; i < v->n; i++) {
        w += 64 + (v->keys && v->keys[i] ? strlen(v->keys[i]) : 0);
        if (v->items)
            w += val_weight(&v->items[i]);
    }
    return w;
}

/* A value past tasklab's budget: a scenario error (exit 2), as for TL_LIMIT_PS_DEPTH, not a
 * PowerShell error -- PowerShell itself would build the string, tasklab declines to [A]. */
static tl_status too_big(ps *x, const char *what, size_t limit)
{
    return tl_sim_step_error(x->c->s, x->c->d, TL_E_LIMIT,
                             "powershell: %s larger than %zu bytes (tasklab's limit, %s)", what,
                             limit,
                             limit == TL_LIMIT_PS_VALUE_BYTES ? "TL_LIMIT_PS_VALUE_BYTES"
                                                               : "TL_LIMIT_PS_VARS_BYTES");
}

static tl_status err(ps *x, const char *fmt, const char *a)
{
    char m[400];
    snprintf(m, sizeof m, fmt, a ? a : "");
    return tl_sim_step_error(x->c->s, x->c->d, TL_E_PARSE, "powershell: %s", m);
}

/* A PowerShell error, not a scenario error: the attacker's spelling was wrong the way
 * PowerShell says (a command that is not found, an ambiguous parameter prefix). Printed
 * as Windows PowerShell prints an error record (without the "At line:" position block
 * [A]); the statement stops, the script goes on with the next one, and powershell.exe
 * exits 1 when the last statement failed. The ids are PowerShell's [S evasion.md §2.4]. */
static void ps_fail(ps *x, const char *target, const char *msg, const char *category,
                    const char *fqid)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s : %s\r\n    + CategoryInfo          : %s\r\n"
                      "    + FullyQualifiedErrorId : %s\r\n\r\n",
                  target, msg, category, fqid);
    if (tl_buf_status(&b) == TL_OK)
        tl_sim_console_err(x->c->s, tl_buf_cstr(&b));
    tl_buf_free(&b);
    x->failed = 1;
}

/* A command name no command can have: one that starts with a dash or another non-ASCII
 * character (the first unknown token of powershell.exe's command line, "-no<U+00AD>profile",
 * "<U+FE63>NoProfile" [A: no command of the endpoint has such a name]) or holds a control
 * character (a backtick escape such as `t inside Register-Scheduled`task). */
static int impossible_name(const char *n)
{
    const unsigned char *u = (const unsigned char *)n;
    if (u[0] == '-' || u[0] >= 0x80)
        return 1;
    for (; *u; u++)
        if (*u < 0x20 || *u == 0x7f)
            return 1;
    return 0;
}

static void not_found(ps *x, const char *name)
{
    tl_buf m = TL_BUF_INIT, cat = TL_BUF_INIT;
    tl_buf_printf(&m, "The term '%s' is not recognized as the name of a cmdlet, function, script "
                      "file, or operable program. Check the spelling of the name, or if a path was "
                      "included, verify that the path is correct and try again.",
                  name);
    tl_buf_printf(&cat, "ObjectNotFound: (%s:String) [], CommandNotFoundException", name);
    if (tl_buf_status(&m) == TL_OK && tl_buf_status(&cat) == TL_OK)
        ps_fail(x, name, tl_buf_cstr(&m), tl_buf_cstr(&cat), "CommandNotFoundException");
    else
        x->failed = 1;
    tl_buf_free(&m);
    tl_buf_free(&cat);
}

/* The character a backtick escape gives (evasion.md §2.4: `0 `a `b `f `n `r `t `v, and in
 * PowerShell 6+ also `e and `u{hex}); any other character is itself. *p is just past the
 * backtick and is advanced over the escape; the UTF-8 bytes go to b. */
static void backtick(ps *x, const char **p, tl_buf *b)
{
    static const char esc[] = "0abfnrtv", ctl[] = "\0\a\b\f\n\r\t\v";
    char e = **p;
    const char *k = e ? strchr(esc, e) : NULL;
    if (k) {
        tl_buf_putc(b, ctl[k - esc]);
        (*p)++;
        return;
    }
    if (x->pwsh && e == 'e') {
        tl_buf_putc(b, 0x1b);
        (*p)++;
        return;
    }
    if (x->pwsh && e == 'u' && (*p)[1] == '{') {
        const char *q = *p + 2;
        unsigned long cp = 0;
        size_t nd = 0;
        for (; nd < 6 && ((*q >= '0' && *q <= '9') || ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f'));
             q++, nd++)
            cp = cp * 16 + (unsigned long)(*q <= '9' ? *q - '0' : (*q | 0x20) - 'a' + 10);
        if (nd && *q == '}' && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) {
            if (cp < 0x80) {
                tl_buf_putc(b, (char)cp);
            } else if (cp < 0x800) {
                tl_buf_putc(b, (char)(0xc0 | (cp >> 6)));
                tl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
            } else if (cp < 0x10000) {
                tl_buf_putc(b, (char)(0xe0 | (cp >> 12)));
                tl_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
                tl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
            } else {
                tl_buf_putc(b, (char)(0xf0 | (cp >> 18)));
                tl_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
                tl_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
                tl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
            }
            *p = q + 1;
            return;
        }
    }
    if (e) {
        tl_buf_putc(b, e);
        (*p)++;
    }
}

static void skip_ws(ps *x)
{
    for (;;) {
        while (*x->p == ' ' || *x->p == '\t' || *x->p == '\r' || (*x->p == '`' && x->p[1] == '\n'))
            x->p += *x->p == '`' ? 2 : 1;
        if (*x->p == '#') {
            while (*x->p && *x->p != '\n')
                x->p++;
            continue;
        }
        break;
    }
}

static const val *var_get(ps *x, const char *name)
{
    for (size_t i = 0; i < x->nvars; i++)
        if (tl_strcasecmp(x->vars[i].name, name) == 0)
            return &x->vars[i].v;
    return NULL;
}

static tl_status var_set(ps *x, const char *name, val *v)
{
    size_t w = val_weight(v);
    if (w > TL_LIMIT_PS_VALUE_BYTES)
        return too_big(x, "a value", TL_LIMIT_PS_VALUE_BYTES);
    for (size_t i = 0; i < x->nvars; i++)
        if (tl_strcasecmp(x->vars[i].name, name) == 0) {
            if (x->var_bytes - x->vars[i].w + w > TL_LIMIT_PS_VARS_BYTES)
                return too_big(x, "the script's variables", TL_LIMIT_PS_VARS_BYTES);
            x->var_bytes = x->var_bytes - x->vars[i].w + w;
            val_free(&x->vars[i].v);
            x->vars[i].v = *v;
            x->vars[i].w = w;
            memset(v, 0, sizeof *v);
            return TL_OK;
        }
    if (x->var_bytes + w > TL_LIMIT_PS_VARS_BYTES)
        return too_big(x, "the script's variables", TL_LIMIT_PS_VARS_BYTES);
    psvar *nv = tl_realloc(x->vars, (x->nvars + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    x->vars = nv;
    nv[x->nvars].name = tl_strdup(name);
    if (!nv[x->nvars].name)
        return TL_E_NOMEM;
    nv[x->nvars].v = *v;
    nv[x->nvars].w = w;
    x->var_bytes += w;
    memset(v, 0, sizeof *v);
    x->nvars++;
    return TL_OK;
}

static int ident_ch(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == ':';
}

static tl_status read_varname(ps *x, char *name, size_t n)
{
    size_t k = 0;
    x->p++; /* $ */
    if (*x->p == '{') {
        x->p++;
        while (*x->p && *x->p != '}' && k + 1 < n)
            name[k++] = *x->p++;
        if (*x->p != '}')
            return err(x, "unterminated ${...}", NULL);
        x->p++;
    } else {
        while (ident_ch(*x->p) && k + 1 < n) {
            if (*x->p == ':' && !(k == 3 && !tl_strncasecmp(name, "env", 3)))
                break;
            name[k++] = *x->p++;
        }
    }
    name[k] = 0;
    return TL_OK;
}

static void val_str_of(const val *v, tl_buf *b)
{
    if (v->k == V_STR)
        tl_buf_puts(b, v->s ? v->s : "");
    else if (v->k == V_BOOL)
        tl_buf_puts(b, v->b ? "True" : "False");
    else if (v->k == V_DATE)
        (void)tl_dotnet_datetime_format(v->tm, NULL, b); /* status kept in b */
    else if (v->k == V_LIST)
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                tl_buf_putc(b, ' ');
            val_str_of(&v->items[i], b);
        }
}

static tl_status parse_string(ps *x, val *out)
{
    tl_buf b = TL_BUF_INIT;
    char q = *x->p++;
    for (;;) {
        char ch = *x->p;
        if (!ch) {
            tl_buf_free(&b);
            return err(x, "unterminated string", NULL);
        }
        if (ch == q) {
            if (x->p[1] == q) { /* doubled quote */
                tl_buf_putc(&b, q);
                x->p += 2;
                continue;
            }
            x->p++;
            break;
        }
        if (q == '"' && ch == '`' && x->p[1]) {
            x->p++;
            backtick(x, &x->p, &b);
            continue;
        }
        if (q == '"' && ch == '$' && (ident_ch(x->p[1]) || x->p[1] == '{')) {
            char name[64];
            tl_status st = read_varname(x, name, sizeof name);
            if (st != TL_OK) {
                tl_buf_free(&b);
                return st;
            }
            if (!tl_strncasecmp(name, "env:", 4)) {
                char pct[80];
                snprintf(pct, sizeof pct, "%%%s%%", name + 4);
                char *e = tl_sim_expand_env(x->c->s, x->c->user, pct);
                if (e)
                    tl_buf_puts(&b, strchr(e, '%') ? "" : e);
                tl_free(e);
            } else {
                const val *v = var_get(x, name);
                if (v)
                    val_str_of(v, &b);
            }
            if (b.len > TL_LIMIT_PS_VALUE_BYTES) {
                tl_buf_free(&b);
                return too_big(x, "a string", TL_LIMIT_PS_VALUE_BYTES);
            }
            continue;
        }
        tl_buf_putc(&b, ch);
        x->p++;
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    out->k = V_STR;
    out->s = tl_buf_take(&b);
    return out->s ? TL_OK : TL_E_NOMEM;
}

static tl_status parse_pipeline(ps *x, val *out, char end);
static tl_status parse_primary(ps *x, val *out, int bare_ok);

static tl_status date_members(ps *x, val *v);
static tl_status to_date(ps *x, const val *v, const char *what, tl_time *out);

/* One value: string, $var, (expr), @{...}, [T]::M(args), bareword, number. */
static tl_status parse_primary_at(ps *x, val *out, int bare_ok)
{
    tl_status st;
    memset(out, 0, sizeof *out);
    skip_ws(x);
    char ch = *x->p;
    if (ch == '\'' || ch == '"')
        return parse_string(x, out);
    if (ch == '@' && (x->p[1] == '"' || x->p[1] == '\'')) {
        /* here-string @" ... "@ */
        char q = x->p[1];
        const char *s = strchr(x->p + 2, '\n');
        if (!s)
            return err(x, "bad here-string", NULL);
        s++;
        const char *e = s;
        for (;; e++) {
            if (!*e)
                return err(x, "unterminated here-string", NULL);
            if (*e == q && e[1] == '@' && (e == s || e[-1] == '\n'))
                break;
        }
        size_t n = (size_t)(e - s);
        if (n && s[n - 1] == '\n')
            n--;
        if (n && s[n - 1] == '\r')
            n--;
        out->k = V_STR;
        TL_TRY_ALLOC(out->s = tl_strndup(s, n));
        x->p = e + 2;
        return TL_OK;
    }
    if (ch == '$') {
        char name[64];
        TL_TRY(read_varname(x, name, sizeof name));
        if (!tl_strcasecmp(name, "true") || !tl_strcasecmp(name, "false")) {
            out->k = V_BOOL;
            out->b = !tl_strcasecmp(name, "true");
            return TL_OK;
        }
        if (!tl_strcasecmp(name, "null"))
            return TL_OK;
        const val *v = var_get(x, name);
        if (v)
            TL_TRY(val_copy(v, out));
        TL_TRY(date_members(x, out)); /* $d.AddMinutes(1) */
        /* property access $x.Prop: ignored (value kept) */
        while (*x->p == '.' && ident_ch(x->p[1])) {
            x->p++;
            while (ident_ch(*x->p))
                x->p++;
        }
        return TL_OK;
    }
    if (ch == '(') {
        x->p++;
        TL_TRY(parse_pipeline(x, out, ')'));
        skip_ws(x);
        if (*x->p != ')')
            return err(x, "missing ')'", NULL);
        x->p++;
        TL_TRY(date_members(x, out)); /* (Get-Date).AddMinutes(1) */
        /* (expr).Prop and (expr).Method(...): not evaluated, the value is kept */
        while (*x->p == '.' && ident_ch(x->p[1])) {
            x->p++;
            while (ident_ch(*x->p))
                x->p++;
            if (*x->p == '(') {
                int depth = 0;
                char q = 0;
                for (; *x->p; x->p++) {
                    if (q) {
                        if (*x->p == q)
                            q = 0;
                    } else if (*x->p == '\'' || *x->p == '"') {
                        q = *x->p;
                    } else if (*x->p == '(') {
                        depth++;
                    } else if (*x->p == ')' && --depth == 0) {
                        x->p++;
                        break;
                    }
                }
                if (depth)
                    return err(x, "missing ')'", NULL);
            }
        }
        return TL_OK;
    }
    if (ch == '@' && x->p[1] == '{') {
        x->p += 2;
        out->k = V_HASH;
        for (;;) {
            while (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r' || *x->p == ';')
                x->p++;
            if (*x->p == '}') {
                x->p++;
                return TL_OK;
            }
            if (!*x->p)
                return err(x, "missing '}'", NULL);
            const char *ks = x->p;
            while (ident_ch(*x->p))
                x->p++;
            if (x->p == ks)
                return err(x, "bad hash table key", NULL);
            char *key = tl_strndup(ks, (size_t)(x->p - ks));
            TL_TRY_ALLOC(key);
            skip_ws(x);
            if (*x->p != '=') {
                tl_free(key);
                return err(x, "missing '=' in hash table", NULL);
            }
            x->p++;
            val v;
            st = parse_primary(x, &v, 1);
            if (st != TL_OK) {
                tl_free(key);
                return st;
            }
            val *ni = tl_realloc(out->items, (out->n + 1) * sizeof *ni);
            char **nk = ni ? tl_realloc(out->keys, (out->n + 1) * sizeof *nk) : NULL;
            if (ni)
                out->items = ni;
            if (!ni || !nk) {
                tl_free(key);
                val_free(&v);
                return TL_E_NOMEM;
            }
            out->keys = nk;
            out->items[out->n] = v;
            out->keys[out->n] = key;
            out->n++;
            if (val_weight(out) > TL_LIMIT_PS_VALUE_BYTES)
                return too_big(x, "a hash table", TL_LIMIT_PS_VALUE_BYTES);
        }
    }
    if (ch == '{') {
        /* a script block: kept as its text (Register-ScheduledJob -ScriptBlock stores it) */
        const char *s0 = ++x->p;
        int depth = 1;
        char q = 0;
        for (; *x->p; x->p++) {
            if (q) {
                if (*x->p == q)
                    q = 0;
            } else if (*x->p == '\'' || *x->p == '"') {
                q = *x->p;
            } else if (*x->p == '{') {
                depth++;
            } else if (*x->p == '}' && --depth == 0) {
                break;
            }
        }
        if (depth)
            return err(x, "missing '}'", NULL);
        out->k = V_STR;
        out->s = tl_strndup(s0, (size_t)(x->p - s0));
        x->p++;
        return out->s ? TL_OK : TL_E_NOMEM;
    }
    if (ch == '[') {
        const char *e = strchr(x->p, ']');
        if (!e)
            return err(x, "missing ']'", NULL);
        size_t tn = (size_t)(e - x->p - 1);
        if ((tn == 8 && !tl_strncasecmp(x->p + 1, "datetime", 8)) ||
            (tn == 15 && !tl_strncasecmp(x->p + 1, "System.DateTime", 15))) {
            /* [datetime]::Now / ::Today / ::Parse('…'), or a cast [datetime]'…' (PowerShell
             * casts with the invariant culture: the same as en-US for every form tasklab reads) */
            x->p = e + 1;
            if (x->p[0] == ':' && x->p[1] == ':') {
                const char *ms = x->p += 2;
                while (ident_ch(*x->p) && *x->p != ':')
                    x->p++;
                size_t ml = (size_t)(x->p - ms);
                out->k = V_DATE;
                out->tm = x->c->s->now;
                if ((ml == 3 && !tl_strncasecmp(ms, "Now", 3)) ||
                    (ml == 6 && !tl_strncasecmp(ms, "UtcNow", 6))) {
                } else if (ml == 5 && !tl_strncasecmp(ms, "Today", 5)) {
                    out->tm -= out->tm % (86400 * TL_USEC_PER_SEC);
                } else if (ml == 5 && !tl_strncasecmp(ms, "Parse", 5) && *x->p == '(') {
                    x->p++;
                    val a;
                    TL_TRY(parse_primary(x, &a, 1));
                    skip_ws(x);
                    if (*x->p != ')') {
                        val_free(&a);
                        return err(x, "missing ')'", NULL);
                    }
                    x->p++;
                    st = to_date(x, &a, "[datetime]::Parse", &out->tm);
                    val_free(&a);
                    TL_TRY(st);
                } else {
                    char mn[40];
                    snprintf(mn, sizeof mn, "%.*s", (int)(ml < 39 ? ml : 39), ms);
                    return err(x, "[datetime]::%s is not modelled by tasklab", mn);
                }
            } else {
                val a;
                TL_TRY(parse_primary(x, &a, 0));
                st = to_date(x, &a, "[datetime]", &out->tm);
                val_free(&a);
                TL_TRY(st);
                out->k = V_DATE;
            }
            return date_members(x, out);
        }
        /* [Environment]::SetEnvironmentVariable(name, value, 'User'|'Machine'|'Process'):
         * User writes HKCU\Environment, Machine the Session Manager's Environment key (an
         * elevated token only, else .NET throws: access denied, nothing written), Process
         * (the default) only this process. The Lokibot/UACME windir hijack of the
         * SilentCleanup task sets windir this way too (evasion-lokibot-windir-spellings). */
        if (!tl_strncasecmp(x->p, "[Environment]::SetEnvironmentVariable(", 38) ||
            !tl_strncasecmp(x->p, "[System.Environment]::SetEnvironmentVariable(", 45)) {
            x->p = strchr(x->p, '(') + 1;
            val a[3];
            size_t na = 0;
            memset(a, 0, sizeof a);
            for (;;) {
                skip_ws(x);
                if (na == 3) {
                    st = err(x, "SetEnvironmentVariable: too many arguments", NULL);
                    goto env_done;
                }
                st = parse_primary(x, &a[na], 0);
                if (st != TL_OK)
                    goto env_done;
                na++;
                skip_ws(x);
                if (*x->p == ',') {
                    x->p++;
                    continue;
                }
                if (*x->p != ')') {
                    st = err(x, "missing ')'", NULL);
                    goto env_done;
                }
                x->p++;
                break;
            }
            if (na < 2 || a[0].k != V_STR || (a[1].k != V_STR && a[1].k != V_NULL) ||
                (na == 3 && a[2].k != V_STR)) {
                st = err(x, "SetEnvironmentVariable(name, value[, target]) needs strings", NULL);
                goto env_done;
            }
            {
                const char *tgt = na == 3 ? a[2].s : "Process";
                const char *key = !tl_strcasecmp(tgt, "User") ? "HKCU\\Environment"
                                  : !tl_strcasecmp(tgt, "Machine")
                                      ? "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
                                      : NULL;
                if (!key && tl_strcasecmp(tgt, "Process")) {
                    st = err(x, "SetEnvironmentVariable: unknown target '%s'", tgt);
                    goto env_done;
                }
                if (key && (key[2] != 'L' || x->c->integrity >= 2)) {
                    char *np = NULL;
                    st = tl_reg_normalize(key, x->c->s->users[x->c->user].sid, &np);
                    if (st == TL_OK) {
                        const char *v = a[1].s ? a[1].s : "";
                        st = tl_sim_reg_set(x->c->s, x->proc, np, a[0].s, TL_REG_SZ, v, strlen(v));
                    }
                    tl_free(np);
                } /* else UnauthorizedAccessException: nothing written */
            }
        env_done:
            for (size_t i = 0; i < na; i++)
                val_free(&a[i]);
            if (st == TL_OK)
                out->k = V_NULL;
            return st;
        }
        int is_file = !tl_strncasecmp(x->p, "[System.IO.File]::ReadAllText(", 30) ||
                      !tl_strncasecmp(x->p, "[IO.File]::ReadAllText(", 23);
        const char *open = strchr(x->p, '(');
        if (!open)
            return err(x, "unsupported expression", NULL);
        x->p = open + 1;
        val a;
        TL_TRY(parse_primary(x, &a, 1));
        skip_ws(x);
        if (*x->p != ')') {
            val_free(&a);
            return err(x, "missing ')'", NULL);
        }
        x->p++;
        if (is_file && a.k == V_STR) {
            const tl_vfile *f = tl_fs_find(x->c->s, a.s);
            if (!f) {
                st = err(x, "file %s does not exist on the endpoint", a.s);
                val_free(&a);
                return st;
            }
            out->k = V_STR;
            st = tl_text_decode(f->data, f->len, &out->s);
            val_free(&a);
            return st;
        }
        val_free(&a);
        return TL_OK; /* other static calls: $null */
    }
    if (!bare_ok)
        return err(x, "unexpected '%s'", x->p);
    /* bareword / number */
    tl_buf b = TL_BUF_INIT;
    while (*x->p && !strchr(" \t\r\n;|(),}", *x->p))
        tl_buf_putc(&b, *x->p++);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    out->k = V_STR;
    out->s = tl_buf_take(&b);
    return out->s ? TL_OK : TL_E_NOMEM;
cleanup:
    return st;
}

/* Every nesting of the grammar ((...), @{...}, [T]::M(...)) passes through here: the
 * depth bound keeps a hostile "((((...))))" from exhausting the stack. */
static tl_status parse_primary(ps *x, val *out, int bare_ok)
{
    if (x->depth >= TL_LIMIT_PS_DEPTH) {
        memset(out, 0, sizeof *out);
        return tl_sim_step_error(x->c->s, x->c->d, TL_E_LIMIT,
                                 "powershell: expression nested deeper than %d levels "
                                 "(tasklab's limit, TL_LIMIT_PS_DEPTH)",
                                 TL_LIMIT_PS_DEPTH);
    }
    x->depth++;
    tl_status st = parse_primary_at(x, out, bare_ok);
    x->depth--;
    if (st != TL_OK)
        val_free(out); /* a partly built value (missing ')' after (expr), a bad @{...}) */
    return st;
}

/* value possibly followed by ,value,... */
static tl_status parse_value(ps *x, val *out)
{
    tl_status st = parse_primary(x, out, 1);
    if (st != TL_OK)
        return st;
    const char *save = x->p;
    skip_ws(x);
    if (*x->p != ',') {
        x->p = save;
        return TL_OK;
    }
    val list;
    memset(&list, 0, sizeof list);
    list.k = V_LIST;
    TL_TRY_ALLOC(list.items = tl_calloc(1, sizeof *list.items));
    list.items[0] = *out;
    list.n = 1;
    memset(out, 0, sizeof *out);
    size_t lw = 64 + val_weight(&list.items[0]);
    while (*x->p == ',') {
        x->p++;
        val v;
        st = parse_primary(x, &v, 1);
        if (st != TL_OK)
            goto cleanup;
        val *ni = tl_realloc(list.items, (list.n + 1) * sizeof *ni);
        if (!ni) {
            val_free(&v);
            TL_FAIL(TL_E_NOMEM);
        }
        list.items = ni;
        list.items[list.n++] = v;
        lw += 64 + val_weight(&v);
        if (lw > TL_LIMIT_PS_VALUE_BYTES)
            TL_FAIL(too_big(x, "a list", TL_LIMIT_PS_VALUE_BYTES));
        save = x->p;
        skip_ws(x);
        if (*x->p != ',')
            x->p = save;
    }
    *out = list;
    return TL_OK;
cleanup:
    val_free(&list);
    return st;
}

/* ---- expressions: + and -f (evasion.md §2.4, Invoke-Obfuscation) ---------------- */

/* .NET composite formatting, as the -f operator does it: {index[,alignment][:format]},
 * {{ and }} for braces. The alignment pads with spaces; a format string is not applied
 * (the strings obfuscators split take none). A bad item is .NET's FormatException. */
static tl_status ps_format(ps *x, const char *fmt, const val *args, val *out)
{
    tl_buf b = TL_BUF_INIT;
    size_t nargs = args->k == V_LIST ? args->n : 1;
    for (const char *p = fmt; *p; p++) {
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            tl_buf_putc(&b, *p++);
            continue;
        }
        if (*p == '}')
            goto bad;
        if (*p != '{') {
            tl_buf_putc(&b, *p);
            continue;
        }
        p++;
        size_t idx = 0;
        int nd = 0;
        while (*p >= '0' && *p <= '9' && nd < 6)
            idx = idx * 10 + (size_t)(*p++ - '0'), nd++;
        long align = 0;
        if (*p == ',') {
            char *e;
            align = strtol(p + 1, &e, 10);
            if (e == p + 1 || align > 1000 || align < -1000)
                goto bad;
            p = e;
        }
        if (*p == ':')
            while (*p && *p != '}')
                p++;
        if (!nd || *p != '}' || idx >= nargs)
            goto bad;
        tl_buf item = TL_BUF_INIT;
        val_str_of(args->k == V_LIST ? &args->items[idx] : args, &item);
        size_t len = item.len; /* bytes: the strings obfuscators split are ASCII */
        if (align > 0)
            for (size_t k = len; k < (size_t)align; k++)
                tl_buf_putc(&b, ' ');
        tl_buf_append(&b, item.data ? item.data : "", len);
        if (align < 0)
            for (size_t k = len; k < (size_t)-align; k++)
                tl_buf_putc(&b, ' ');
        tl_buf_free(&item);
        if (b.len > TL_LIMIT_PS_VALUE_BYTES) {
            tl_buf_free(&b);
            return too_big(x, "a -f result", TL_LIMIT_PS_VALUE_BYTES);
        }
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    out->k = V_STR;
    out->s = tl_buf_take(&b);
    return out->s ? TL_OK : TL_E_NOMEM;
bad:
    tl_buf_free(&b);
    ps_fail(x, "", "Error formatting a string: Input string was not in a correct format..",
            "InvalidOperation: (:) [], RuntimeException", "FormatError");
    return TL_OK;
}

static int is_int(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s || strlen(s) > 9)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* value [-f value]...: -f binds tighter than + and looser than ',' (about_Operator_Precedence),
 * so "{1}{0}" -f 'a','b' formats with two arguments. */
static tl_status parse_fmt(ps *x, val *out, int *quoted)
{
    tl_status st = TL_OK;
    skip_ws(x);
    *quoted = *x->p == '\'' || *x->p == '"';
    TL_TRY(parse_value(x, out));
    for (;;) {
        const char *save = x->p;
        skip_ws(x);
        if (!(x->p[0] == '-' && (x->p[1] | 0x20) == 'f' && !ident_ch(x->p[2]) && x->p[2] != '-')) {
            x->p = save;
            return TL_OK;
        }
        x->p += 2;
        val rhs, res;
        memset(&res, 0, sizeof res);
        TL_TRY(parse_value(x, &rhs));
        tl_buf f = TL_BUF_INIT;
        val_str_of(out, &f);
        st = tl_buf_status(&f);
        if (st == TL_OK)
            st = ps_format(x, tl_buf_cstr(&f), &rhs, &res);
        tl_buf_free(&f);
        val_free(&rhs);
        val_free(out);
        *out = res;
        TL_TRY(st);
        *quoted = 1;
    }
cleanup:
    return st;
}

/* An expression: term [+ term]... String + anything concatenates, a list + anything appends,
 * two unquoted integers add. */
static tl_status parse_expr_at(ps *x, val *out)
{
    tl_status st;
    int lq = 0, rq = 0;
    TL_TRY(parse_fmt(x, out, &lq));
    for (;;) {
        const char *save = x->p;
        skip_ws(x);
        if (*x->p != '+' || x->p[1] == '+' || x->p[1] == '=') {
            x->p = save;
            return TL_OK;
        }
        x->p++;
        val rhs;
        TL_TRY(parse_fmt(x, &rhs, &rq));
        if (out->k == V_LIST) {
            val *ni = tl_realloc(out->items, (out->n + 1) * sizeof *ni);
            if (!ni) {
                val_free(&rhs);
                return TL_E_NOMEM;
            }
            out->items = ni;
            out->items[out->n++] = rhs;
            if (val_weight(out) > TL_LIMIT_PS_VALUE_BYTES)
                return too_big(x, "a list", TL_LIMIT_PS_VALUE_BYTES);
            continue;
        }
        tl_buf b = TL_BUF_INIT;
        if (!lq && !rq && out->k == V_STR && rhs.k == V_STR && is_int(out->s) && is_int(rhs.s)) {
            tl_buf_printf(&b, "%ld", strtol(out->s, NULL, 10) + strtol(rhs.s, NULL, 10));
        } else {
            val_str_of(out, &b);
            val_str_of(&rhs, &b);
            lq = 1;
        }
        val_free(&rhs);
        val_free(out);
        st = tl_buf_status(&b);
        if (st != TL_OK) {
            tl_buf_free(&b);
            return st;
        }
        out->k = V_STR;
        out->s = tl_buf_take(&b);
        TL_TRY_ALLOC(out->s);
        if (strlen(out->s) > TL_LIMIT_PS_VALUE_BYTES)
            return too_big(x, "a string", TL_LIMIT_PS_VALUE_BYTES);
    }
cleanup:
    return st;
}

static tl_status parse_expr(ps *x, val *out)
{
    tl_status st = parse_expr_at(x, out);
    if (st != TL_OK)
        val_free(out); /* the left operand of a failed + or -f */
    return st;
}

/* ---- cmdlet arguments ---------------------------------------------------------- */
#define MAXARG 24
typedef struct args {
    char *name[MAXARG]; /* NULL = positional */
    val v[MAXARG];
    size_t n;
} args;

static void args_free(args *a)
{
    for (size_t i = 0; i < a->n; i++) {
        tl_free(a->name[i]);
        val_free(&a->v[i]);
    }
    a->n = 0;
}

static const val *arg(const args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->name[i] && tl_strcasecmp(a->name[i], name) == 0)
            return &a->v[i];
    return NULL;
}

static const val *pos(const args *a, size_t k)
{
    for (size_t i = 0; i < a->n; i++)
        if (!a->name[i] && k-- == 0)
            return &a->v[i];
    return NULL;
}

static const char *sval(const val *v) { return v && v->k == V_STR ? v->s : NULL; }

/* switch parameters (no value) of the cmdlets we know */
static const char *const switches[] = {"AtLogon",
                                       "AtStartup",
                                       "Once",
                                       "Daily",
                                       "Weekly",
                                       "Hidden",
                                       "Force",
                                       "Disable",
                                       "AllowStartIfOnBatteries",
                                       "DontStopIfGoingOnBatteries",
                                       "StartWhenAvailable",
                                       "RunOnlyIfNetworkAvailable",
                                       "WakeToRun",
                                       "AsJob",
                                       "Raw",
                                       "Confirm",
                                       "WhatIf",
                                       "NoNewline",
                                       NULL};

static int is_switch(const char *n)
{
    for (size_t i = 0; switches[i]; i++)
        if (!tl_strcasecmp(switches[i], n))
            return 1;
    return 0;
}

/* Parameters of the cmdlets tasklab runs that take a value: one of them with no
 * value is an error, as in PowerShell. Any other parameter with no value
 * (followed by the end of the command or by another -Name) is a switch of a
 * cmdlet tasklab does not model (-UseBasicParsing, -NoNewWindow, -Wait). */
static const char *const value_params[] = {
    "Action",     "Argument",   "Arguments",   "At",          "CimSession",   "ClassName",
    "DaysInterval", "Description", "Execute",  "GroupId",     "Id",           "InputObject",
    "LogonType",  "MethodName", "Namespace",   "Password",    "Principal",    "ProcessTokenSidType",
    "RequiredPrivilege", "RunLevel", "Settings", "TaskName",  "TaskPath",     "Trigger",
    "User",       "UserId",     "WorkingDirectory", "Xml",    NULL};

static int takes_value(const char *n)
{
    for (size_t i = 0; value_params[i]; i++)
        if (!tl_strcasecmp(value_params[i], n))
            return 1;
    return 0;
}

/* The parameters of the cmdlets whose prefixes tasklab resolves (evasion.md §2.4:
 * "unique prefixes of cmdlet parameters (-TaskN, -Exec, -Arg); an ambiguous prefix fails
 * with AmbiguousParameter", [S]). The lists are the cmdlets' parameters as the
 * ScheduledTasks (CDXML: CimSession, ThrottleLimit, AsJob) and CimCmdlets modules
 * declare them [A: the sheet names only the examples], plus the common parameters every
 * cmdlet has (the sheet: "-E matches ErrorAction"). */
static const char *const common_params[] = {
    "Verbose",       "Debug",           "ErrorAction",  "WarningAction",   "InformationAction",
    "ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer",
    "PipelineVariable", NULL};
#define CDXML "CimSession", "ThrottleLimit", "AsJob"
static const char *const p_action[] = {"Execute", "Argument", "WorkingDirectory", "Id", CDXML, NULL};
static const char *const p_trigger[] = {
    "Once", "Daily", "Weekly", "AtStartup", "AtLogOn", "At", "RandomDelay", "RepetitionInterval",
    "RepetitionDuration", "DaysInterval", "WeeksInterval", "DaysOfWeek", "User", NULL};
static const char *const p_principal[] = {"UserId",           "GroupId",           "LogonType",
                                          "RunLevel",         "ProcessTokenSidType",
                                          "RequiredPrivilege", "Id", CDXML, NULL};
static const char *const p_task[] = {"Action", "Trigger", "Settings", "Principal", "Description",
                                     CDXML, NULL};
static const char *const p_register[] = {
    "TaskName", "TaskPath", "Action",    "Trigger", "Settings",    "User", "Password",
    "RunLevel", "Principal", "Description", "Xml", "InputObject", "Force", CDXML, NULL};
static const char *const p_set[] = {"TaskName",  "TaskPath", "Action",    "Trigger",
                                    "Settings",  "User",     "Password",  "Principal",
                                    "InputObject", CDXML, NULL};
static const char *const p_by_name[] = {"TaskName", "TaskPath", "InputObject", CDXML, NULL};
static const char *const p_unregister[] = {"TaskName", "TaskPath", "InputObject", "PassThru",
                                           "WhatIf",   "Confirm",  CDXML,         NULL};
static const char *const p_cim[] = {"ClassName", "Namespace",  "MethodName", "Arguments",
                                    "CimSession", "InputObject", "Query",     "QueryDialect",
                                    "ResourceUri", "CimClass",  "ComputerName",
                                    "OperationTimeoutSec", "WhatIf", "Confirm", NULL};
static const struct {
    const char *cmdlet;
    const char *const *params;
} cmdlet_params[] = {
    {"New-ScheduledTaskAction", p_action},   {"New-ScheduledTaskTrigger", p_trigger},
    {"New-ScheduledTaskPrincipal", p_principal}, {"New-ScheduledTask", p_task},
    {"Register-ScheduledTask", p_register},  {"Set-ScheduledTask", p_set},
    {"Unregister-ScheduledTask", p_unregister}, {"Enable-ScheduledTask", p_by_name},
    {"Disable-ScheduledTask", p_by_name},    {"Start-ScheduledTask", p_by_name},
    {"Stop-ScheduledTask", p_by_name},       {"Get-ScheduledTask", p_by_name},
    {"Invoke-CimMethod", p_cim},
};

/* Resolve a typed parameter name of cmdlet: an exact name stays, a unique prefix becomes
 * the full name (*name replaced), several matches are PowerShell's AmbiguousParameter
 * (ps_fail), none leaves it to the cmdlet (its own "unknown parameter" check). */
static tl_status resolve_param(ps *x, const char *cmdlet, char **name)
{
    const char *const *lists[2] = {NULL, common_params};
    for (size_t i = 0; cmdlet && i < sizeof cmdlet_params / sizeof cmdlet_params[0]; i++)
        if (!tl_strcasecmp(cmdlet, cmdlet_params[i].cmdlet))
            lists[0] = cmdlet_params[i].params;
    if (!lists[0])
        return TL_OK;
    size_t n = strlen(*name), hits = 0;
    const char *hit = NULL;
    tl_buf all = TL_BUF_INIT;
    for (int l = 0; l < 2; l++)
        for (size_t k = 0; lists[l][k]; k++) {
            if (!tl_strcasecmp(lists[l][k], *name))
                goto done; /* exact */
            if (strlen(lists[l][k]) > n && !tl_strncasecmp(lists[l][k], *name, n)) {
                hit = lists[l][k];
                hits++;
                tl_buf_printf(&all, " -%s", hit);
            }
        }
    if (hits == 1) {
        char *full = tl_strdup(hit);
        if (!full) {
            tl_buf_free(&all);
            return TL_E_NOMEM;
        }
        tl_free(*name);
        *name = full;
    } else if (hits > 1) {
        tl_buf m = TL_BUF_INIT, cat = TL_BUF_INIT, id = TL_BUF_INIT;
        tl_buf_printf(&m, "Parameter cannot be processed because the parameter name '%s' is "
                          "ambiguous. Possible matches include:%s.",
                      *name, tl_buf_cstr(&all));
        tl_buf_printf(&cat, "InvalidArgument: (:) [%s], ParameterBindingException", cmdlet);
        tl_buf_printf(&id, "AmbiguousParameter,%s", cmdlet);
        tl_status st = tl_buf_status(&m) == TL_OK && tl_buf_status(&cat) == TL_OK &&
                               tl_buf_status(&id) == TL_OK
                           ? TL_OK
                           : TL_E_NOMEM;
        if (st == TL_OK)
            ps_fail(x, cmdlet, tl_buf_cstr(&m), tl_buf_cstr(&cat), tl_buf_cstr(&id));
        tl_buf_free(&m);
        tl_buf_free(&cat);
        tl_buf_free(&id);
        tl_buf_free(&all);
        return st;
    }
done:
    tl_buf_free(&all);
    return TL_OK;
}

/* cmdlet: the command's name, for its parameter prefixes (NULL: none resolved). */
static tl_status parse_args(ps *x, args *a, char end, const char *cmdlet)
{
    for (;;) {
        skip_ws(x);
        char ch = *x->p;
        if (!ch || ch == ';' || ch == '\n' || ch == '|' || ch == end || ch == '}')
            return TL_OK;
        if (a->n == MAXARG)
            return err(x, "too many arguments", NULL);
        size_t i = a->n;
        memset(&a->v[i], 0, sizeof a->v[i]);
        a->name[i] = NULL;
        if (ch == '-' && ((x->p[1] | 0x20) >= 'a' && (x->p[1] | 0x20) <= 'z')) {
            const char *s = ++x->p;
            while (ident_ch(*x->p) && *x->p != ':')
                x->p++;

            a->name[i] = tl_strndup(s, (size_t)(x->p - s));
            if (!a->name[i])
                return TL_E_NOMEM;
            a->n++;
            if (!x->failed) {
                tl_status rs = resolve_param(x, cmdlet, &a->name[i]);
                if (rs != TL_OK)
                    return rs;
            }
            if (*x->p == ':') { /* -Confirm:$false */
                x->p++;
                tl_status st = parse_primary(x, &a->v[i], 1);
                if (st != TL_OK)
                    return st;
                continue;
            }
            if (is_switch(a->name[i])) {
                a->v[i].k = V_BOOL;
                a->v[i].b = 1;
                continue;
            }
            skip_ws(x);
            char nc = *x->p;
            int none = !nc || nc == ';' || nc == '\n' || nc == '|' || nc == end || nc == '}' ||
                       (nc == '-' && ((x->p[1] | 0x20) >= 'a' && (x->p[1] | 0x20) <= 'z'));
            if (none && takes_value(a->name[i]))
                return err(x, "missing value for parameter -%s", a->name[i]);
            if (none) {
                a->v[i].k = V_BOOL;
                a->v[i].b = 1;
                continue;
            }
            tl_status st = parse_value(x, &a->v[i]);
            if (st != TL_OK)
                return st;
            continue;
        }
        a->n++;
        tl_status st = parse_value(x, &a->v[i]);
        if (st != TL_OK)
            return st;
    }
}

static tl_status check_params(ps *x, const char *cmdlet, const args *a, const char *const *allowed)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!a->name[i])
            continue;
        int ok = 0;
        for (size_t k = 0; allowed[k]; k++)
            if (!tl_strcasecmp(allowed[k], a->name[i]))
                ok = 1;
        if (!ok) {
            char m[200];
            snprintf(m, sizeof m, "%s: unknown parameter -%s", cmdlet, a->name[i]);
            return err(x, "%s", m);
        }
    }
    return TL_OK;
}


static tl_status make_frag(val *out, vk k, tl_buf *b)
{
    if (tl_buf_status(b) != TL_OK) {
        tl_buf_free(b);
        return TL_E_NOMEM;
    }
    out->k = k;
    out->s = tl_buf_take(b);
    return out->s ? TL_OK : TL_E_NOMEM;
}

/* A string as [DateTime] (DateTime.Parse under en-US, dotnet_time.c), or an error
 * worded as PowerShell's conversion error: a scenario never relies on a guess. */
static tl_status to_date(ps *x, const val *v, const char *what, tl_time *out)
{
    if (v && v->k == V_DATE) {
        *out = v->tm;
        return TL_OK;
    }
    if (v && v->k == V_STR && tl_dotnet_datetime_parse(v->s, x->c->s->now, out))
        return TL_OK;
    char m[300];
    snprintf(m, sizeof m, "%s: Cannot convert value \"%.200s\" to type \"System.DateTime\"", what,
             v && v->k == V_STR ? v->s : v && v->k == V_NULL ? "$null" : "(object)");
    return err(x, "%s", m);
}

static int month_days(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* A number argument of a DateTime method (AddMinutes(1), AddDays(-0.5)). */
static int num_arg(const val *a, double *out)
{
    if (!a || a->k != V_STR || !a->s || !a->s[0])
        return 0;
    char *e = NULL;
    double v = strtod(a->s, &e);
    if (!e || *e || v != v || v > 1e9 || v < -1e9)
        return 0;
    *out = v;
    return 1;
}

/* The members of a [DateTime] after a value ((Get-Date).AddMinutes(1).Date, $d.AddHours(2),
 * .ToString('yyyy')), applied left to right. A member tasklab does not model is an error. */
static tl_status date_members(ps *x, val *v)
{
    while (v->k == V_DATE && *x->p == '.' && ident_ch(x->p[1]) && x->p[1] != ':') {
        const char *ns = ++x->p;
        while (ident_ch(*x->p) && *x->p != ':')
            x->p++;
        char name[40];
        size_t nl = (size_t)(x->p - ns);
        if (nl >= sizeof name)
            nl = sizeof name - 1;
        memcpy(name, ns, nl);
        name[nl] = 0;
        val a;
        memset(&a, 0, sizeof a);
        int call = *x->p == '(';
        if (call) {
            x->p++;
            skip_ws(x);
            if (*x->p != ')') {
                tl_status st = parse_primary(x, &a, 1);
                if (st != TL_OK)
                    return st;
                skip_ws(x);
            }
            if (*x->p != ')') {
                val_free(&a);
                return err(x, "missing ')'", NULL);
            }
            x->p++;
        }
        static const struct {
            const char *name;
            double us;
        } add[] = {{"AddDays", 86400e6},   {"AddHours", 3600e6},    {"AddMinutes", 60e6},
                   {"AddSeconds", 1e6},    {"AddMilliseconds", 1e3}, {NULL, 0}};
        double n = 0;
        int done = 0;
        for (size_t i = 0; add[i].name; i++)
            if (call && !tl_strcasecmp(name, add[i].name)) {
                if (!num_arg(&a, &n)) {
                    val_free(&a);
                    return err(x, "DateTime.%s: the argument is not a number", name);
                }
                /* .NET rounds the scaled value to whole milliseconds */
                double ms = n * add[i].us / 1e3;
                v->tm += (tl_time)(ms + (ms >= 0 ? 0.5 : -0.5)) * 1000;
                done = 1;
            }
        if (!done && call && (!tl_strcasecmp(name, "AddMonths") || !tl_strcasecmp(name, "AddYears"))) {
            if (!num_arg(&a, &n) || n != (double)(long)n || n > 120000 || n < -120000) {
                val_free(&a);
                return err(x, "DateTime.%s: the argument is not a whole number", name);
            }
            int y, mo, d, h, mi, se, us;
            tl_time_civil(v->tm, &y, &mo, &d, &h, &mi, &se, &us);
            long m0 = (long)y * 12 + (mo - 1) + (long)n * (tl_strcasecmp(name, "AddYears") ? 1 : 12);
            y = (int)(m0 / 12);
            mo = (int)(m0 % 12) + 1;
            if (y < 1 || y > 9999) {
                val_free(&a);
                return err(x, "DateTime.%s: the result is out of range", name);
            }
            if (d > month_days(y, mo))
                d = month_days(y, mo); /* Jan 31 + 1 month = Feb 28/29, as .NET */
            v->tm = (tl_time)tl_time_from_civil(y, mo, d, h, mi, se) * TL_USEC_PER_SEC + us;
            done = 1;
        }
        if (!done && !tl_strcasecmp(name, "Date")) {
            v->tm -= ((v->tm % (86400 * TL_USEC_PER_SEC)) + 86400 * TL_USEC_PER_SEC) %
                     (86400 * TL_USEC_PER_SEC);
            done = 1;
        }
        if (!done && call &&
            (!tl_strcasecmp(name, "ToUniversalTime") || !tl_strcasecmp(name, "ToLocalTime")))
            done = 1; /* the endpoint's local time is UTC [A] */
        if (!done && call && !tl_strcasecmp(name, "ToString")) {
            tl_buf b = TL_BUF_INIT;
            tl_status st = tl_dotnet_datetime_format(v->tm, sval(&a), &b);
            val_free(&a);
            if (st != TL_OK) {
                tl_buf_free(&b);
                return st;
            }
            val_free(v);
            return make_frag(v, V_STR, &b);
        }
        val_free(&a);
        if (!done)
            return err(x, "DateTime member .%s is not modelled by tasklab", name);
    }
    return TL_OK;
}

/* A -At value (a [DateTime], or text DateTime.Parse reads under en-US: 9am, 3pm, "09:00",
 * "2026-12-07 09:00") as the StartBoundary text "YYYY-MM-DDTHH:MM:SS" the library's triggers
 * carry. No -At: the virtual clock's now. Text .NET cannot read is PowerShell's binding error. */
static tl_status at_time(ps *x, const char *cmdlet, const val *v, char out[32])
{
    tl_time t = x->c->s->now;
    if (v) {
        char what[120];
        snprintf(what, sizeof what, "%s: Cannot process argument transformation on parameter 'At'",
                 cmdlet);
        tl_status st = to_date(x, v, what, &t);
        if (st != TL_OK)
            return st;
    }
    tl_dotnet_datetime_boundary(t, out);
    return TL_OK;
}

static int resolve_user(ps *x, const char *u, char *uid, size_t n)
{
    tl_sim *s = x->c->s;
    if (!tl_strcasecmp(u, "SYSTEM") || !tl_strcasecmp(u, "NT AUTHORITY\\SYSTEM") ||
        !strcmp(u, "S-1-5-18")) {
        snprintf(uid, n, "S-1-5-18");
        return 2;
    }
    long k = tl_sim_user_find(s, u);
    if (k > 0) {
        snprintf(uid, n, "%s\\%s", s->users[k].domain, s->users[k].name);
        return 1;
    }
    snprintf(uid, n, "%s", u);
    return 1;
}

static tl_status cm_action(ps *x, const args *a, val *out)
{
    static const char *const ok[] = {"Execute", "Argument", "WorkingDirectory", "Id", NULL};
    tl_status st = check_params(x, "New-ScheduledTaskAction", a, ok);
    if (st != TL_OK)
        return st;
    const char *ex = sval(arg(a, "Execute"));
    if (!ex)
        ex = sval(pos(a, 0));
    if (!ex)
        return err(x, "New-ScheduledTaskAction: -Execute is required", NULL);
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "<Exec><Command>");
    tl_buf_put_xml_text(&b, ex);
    tl_buf_puts(&b, "</Command>");
    if (sval(arg(a, "Argument"))) {
        tl_buf_puts(&b, "<Arguments>");
        tl_buf_put_xml_text(&b, sval(arg(a, "Argument")));
        tl_buf_puts(&b, "</Arguments>");
    }
    if (sval(arg(a, "WorkingDirectory"))) {
        tl_buf_puts(&b, "<WorkingDirectory>");
        tl_buf_put_xml_text(&b, sval(arg(a, "WorkingDirectory")));
        tl_buf_puts(&b, "</WorkingDirectory>");
    }
    tl_buf_puts(&b, "</Exec>");
    return make_frag(out, V_ACTION, &b);
}

static tl_status cm_trigger(ps *x, const char *cmdlet, const args *a, val *out)
{
    static const char *const ok[] = {"AtLogon",
                                     "AtStartup",
                                     "Once",
                                     "Daily",
                                     "Weekly",
                                     "At",
                                     "DaysInterval",
                                     "WeeksInterval",
                                     "DaysOfWeek",
                                     "RepetitionInterval",
                                     "RepetitionDuration",
                                     "RandomDelay",
                                     "User",
                                     NULL};
    tl_status st = check_params(x, cmdlet, a, ok);
    if (st != TL_OK)
        return st;
    char at[32];
    st = at_time(x, cmdlet, arg(a, "At"), at);
    if (st != TL_OK)
        return st;
    tl_buf b = TL_BUF_INIT;
    if (arg(a, "AtLogon")) {
        tl_buf_puts(&b, "<LogonTrigger><Enabled>true</Enabled>");
        if (sval(arg(a, "User"))) {
            tl_buf_puts(&b, "<UserId>");
            tl_buf_put_xml_text(&b, sval(arg(a, "User")));
            tl_buf_puts(&b, "</UserId>");
        }
        tl_buf_puts(&b, "</LogonTrigger>");
    } else if (arg(a, "AtStartup")) {
        tl_buf_puts(&b, "<BootTrigger><Enabled>true</Enabled></BootTrigger>");
    } else if (arg(a, "Once")) {
        tl_buf_puts(&b, "<TimeTrigger>");
        if (arg(a, "RepetitionInterval")) {
            /* a New-TimeSpan value ("PT5M") or a "hh:mm:ss" string */
            const char *ri = sval(arg(a, "RepetitionInterval"));
            int hh = 0, mm = 0, ss = 0;
            tl_buf_puts(&b, "<Repetition><Interval>");
            if (ri && ri[0] == 'P')
                tl_buf_puts(&b, ri);
            else if (ri && sscanf(ri, "%d:%d:%d", &hh, &mm, &ss) == 3 && hh >= 0 && mm >= 0)
                tl_buf_printf(&b, "PT%dM", hh * 60 + mm);
            else
                tl_buf_puts(&b, "PT5M");
            tl_buf_puts(&b, "</Interval>");
            const char *rd = sval(arg(a, "RepetitionDuration"));
            if (rd && rd[0] == 'P')
                tl_buf_printf(&b, "<Duration>%s</Duration>", rd);
            tl_buf_puts(&b, "</Repetition>");
        }
        tl_buf_printf(&b, "<StartBoundary>%s</StartBoundary><Enabled>true</Enabled></TimeTrigger>",
                      at);
    } else if (arg(a, "Daily")) {
        const char *di = sval(arg(a, "DaysInterval"));
        tl_buf_printf(&b,
                      "<CalendarTrigger><StartBoundary>%s</StartBoundary><Enabled>true"
                      "</Enabled><ScheduleByDay><DaysInterval>%s</DaysInterval>"
                      "</ScheduleByDay></CalendarTrigger>",
                      at, di ? di : "1");
    } else if (arg(a, "Weekly")) {
        const char *wi = sval(arg(a, "WeeksInterval"));
        tl_buf_printf(&b,
                      "<CalendarTrigger><StartBoundary>%s</StartBoundary><Enabled>true"
                      "</Enabled><ScheduleByWeek><DaysOfWeek>",
                      at);
        const val *dw = arg(a, "DaysOfWeek");
        static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
        size_t n = dw ? (dw->k == V_LIST ? dw->n : 1) : 0;
        for (size_t i = 0; i < n; i++) {
            const char *d = sval(dw->k == V_LIST ? &dw->items[i] : dw);
            for (int k = 0; d && k < 7; k++)
                if (!tl_strcasecmp(d, days[k]))
                    tl_buf_printf(&b, "<%s />", days[k]);
        }
        tl_buf_printf(&b,
                      "</DaysOfWeek><WeeksInterval>%s</WeeksInterval></ScheduleByWeek>"
                      "</CalendarTrigger>",
                      wi ? wi : "1");
    } else {
        tl_buf_free(&b);
        return err(x,
                   "New-ScheduledTaskTrigger: one of -AtLogon, -AtStartup, -Once, -Daily, "
                   "-Weekly is required",
                   NULL);
    }
    return make_frag(out, V_TRIGGER, &b);
}

static tl_status cm_principal(ps *x, const args *a, val *out)
{
    static const char *const ok[] = {"UserId",
                                     "GroupId",
                                     "RunLevel",
                                     "LogonType",
                                     "Id",
                                     "ProcessTokenSidType",
                                     "RequiredPrivilege",
                                     NULL};
    tl_status st = check_params(x, "New-ScheduledTaskPrincipal", a, ok);
    if (st != TL_OK)
        return st;
    const char *rl = sval(arg(a, "RunLevel"));
    if (rl && tl_strcasecmp(rl, "Highest") && tl_strcasecmp(rl, "Limited"))
        return err(x, "New-ScheduledTaskPrincipal: invalid -RunLevel '%s'", rl);
    tl_buf b = TL_BUF_INIT;
    char uid[200];
    int sys = 0;
    if (sval(arg(a, "GroupId"))) {
        const char *g = sval(arg(a, "GroupId"));
        tl_buf_puts(&b, "<GroupId>");
        tl_buf_put_xml_text(&b, !tl_strcasecmp(g, "BUILTIN\\Administrators") || !tl_strcasecmp(g, "Administrators")
                     ? "S-1-5-32-544"
                 : !tl_strcasecmp(g, "BUILTIN\\Users") || !tl_strcasecmp(g, "Users")
                     ? "S-1-5-32-545"
                     : g);
        tl_buf_puts(&b, "</GroupId>");
    } else {
        const char *u = sval(arg(a, "UserId"));
        if (!u)
            u = sval(pos(a, 0));
        if (!u) {
            tl_buf_free(&b);
            return err(x, "New-ScheduledTaskPrincipal: -UserId or -GroupId is required", NULL);
        }
        sys = resolve_user(x, u, uid, sizeof uid) == 2;
        tl_buf_puts(&b, "<UserId>");
        tl_buf_put_xml_text(&b, uid);
        tl_buf_puts(&b, "</UserId>");
        const char *lt = sval(arg(a, "LogonType"));
        tl_buf_printf(&b, "<LogonType>%s</LogonType>",
                      lt    ? (!tl_strcasecmp(lt, "Interactive") ? "InteractiveToken" : lt)
                      : sys ? "ServiceAccount"
                            : "InteractiveToken");
    }
    tl_buf_printf(&b, "<RunLevel>%s</RunLevel>",
                  rl && !tl_strcasecmp(rl, "Highest") ? "HighestAvailable" : "LeastPrivilege");
    st = make_frag(out, V_PRINCIPAL, &b);
    out->is_system = sys;
    return st;
}

static tl_status cm_settings(ps *x, const args *a, val *out)
{
    (void)x;
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>");
    tl_buf_printf(&b, "<DisallowStartIfOnBatteries>%s</DisallowStartIfOnBatteries>",
                  arg(a, "AllowStartIfOnBatteries") ? "false" : "true");
    tl_buf_printf(&b, "<StopIfGoingOnBatteries>%s</StopIfGoingOnBatteries>",
                  arg(a, "DontStopIfGoingOnBatteries") ? "false" : "true");
    tl_buf_puts(&b, "<AllowHardTerminate>true</AllowHardTerminate>");
    tl_buf_printf(&b, "<StartWhenAvailable>%s</StartWhenAvailable>",
                  arg(a, "StartWhenAvailable") ? "true" : "false");
    tl_buf_puts(&b, "<RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable><IdleSettings>"
                    "<StopOnIdleEnd>true</StopOnIdleEnd><RestartOnIdle>false</RestartOnIdle>"
                    "</IdleSettings><AllowStartOnDemand>true</AllowStartOnDemand>");
    tl_buf_printf(&b, "<Enabled>%s</Enabled>", arg(a, "Disable") ? "false" : "true");
    tl_buf_printf(&b, "<Hidden>%s</Hidden>", arg(a, "Hidden") ? "true" : "false");
    tl_buf_puts(&b, "<RunOnlyIfIdle>false</RunOnlyIfIdle><DisallowStartOnRemoteAppSession>false"
                    "</DisallowStartOnRemoteAppSession><UseUnifiedSchedulingEngine>true"
                    "</UseUnifiedSchedulingEngine><WakeToRun>false</WakeToRun>"
                    "<ExecutionTimeLimit>PT72H</ExecutionTimeLimit><Priority>7</Priority>");
    return make_frag(out, V_SETTINGS, &b);
}

/* Append fragments of kind k found in v (single or list) to b. */
static void frags(tl_buf *b, const val *v, vk k)
{
    if (!v)
        return;
    if (v->k == V_LIST) {
        for (size_t i = 0; i < v->n; i++)
            frags(b, &v->items[i], k);
    } else if (v->k == k && v->s) {
        tl_buf_puts(b, v->s);
    }
}

/* Task definition as XML (V_TASK.s) from parts. */
static tl_status build_task(ps *x, const val *action, const val *trigger, const val *principal,
                            const val *settings, const char *desc, const char *user,
                            const char *runlevel, val *out)
{
    tl_buf b = TL_BUF_INIT;
    int sys = 0;
    memset(out, 0, sizeof *out);
    tl_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                    "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
                    "<RegistrationInfo>");
    if (desc) {
        tl_buf_puts(&b, "<Description>");
        tl_buf_put_xml_text(&b, desc);
        tl_buf_puts(&b, "</Description>");
    }
    tl_buf_puts(&b, "<URI/></RegistrationInfo><Triggers>");
    frags(&b, trigger, V_TRIGGER);
    tl_buf_puts(&b, "</Triggers><Principals><Principal id=\"Author\">");
    if (principal && principal->k == V_PRINCIPAL) {
        tl_buf_puts(&b, principal->s);
        sys = principal->is_system;
    } else {
        char uid[200];
        if (user)
            sys = resolve_user(x, user, uid, sizeof uid) == 2;
        else
            tl_sim_user_display(x->c->s, x->c->user, uid, sizeof uid), sys = x->c->user == 0;
        tl_buf_puts(&b, "<UserId>");
        tl_buf_put_xml_text(&b, uid);
        tl_buf_printf(&b, "</UserId><LogonType>%s</LogonType><RunLevel>%s</RunLevel>",
                      sys ? "ServiceAccount" : "InteractiveToken",
                      runlevel && !tl_strcasecmp(runlevel, "Highest") ? "HighestAvailable"
                                                                      : "LeastPrivilege");
    }
    tl_buf_puts(&b, "</Principal></Principals><Settings>");
    if (settings && settings->k == V_SETTINGS)
        tl_buf_puts(&b, settings->s);
    else {
        val dflt;
        args none;
        none.n = 0;
        memset(&dflt, 0, sizeof dflt);
        tl_status st = cm_settings(x, &none, &dflt);
        if (st != TL_OK) {
            tl_buf_free(&b);
            return st;
        }
        tl_buf_puts(&b, dflt.s);
        val_free(&dflt);
    }
    tl_buf_puts(&b, "</Settings><Actions Context=\"Author\">");
    frags(&b, action, V_ACTION);
    tl_buf_puts(&b, "</Actions></Task>\n");
    tl_status st = make_frag(out, V_TASK, &b);
    out->is_system = sys;
    return st;
}

static tl_status task_path_of(ps *x, const args *a, const char *cmdlet, int name_required,
                              char **out)
{
    const char *tn = sval(arg(a, "TaskName"));
    if (!tn)
        tn = sval(pos(a, 0));
    const char *tp = sval(arg(a, "TaskPath"));
    *out = NULL;
    if (!tn) {
        if (name_required)
            return err(x, "%s: -TaskName is required", cmdlet);
        return TL_OK;
    }
    tl_buf b = TL_BUF_INIT;
    if (tp && strcmp(tp, "\\")) {
        tl_buf_puts(&b, tp);
        if (tp[strlen(tp) - 1] != '\\')
            tl_buf_putc(&b, '\\');
    }
    tl_buf_puts(&b, tn);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    char msg[300];
    tl_status st = tl_task_path_canon(tl_buf_cstr(&b), out, msg, sizeof msg);
    tl_buf_free(&b);
    if (st == TL_E_PARSE)
        return err(x, "%s", msg);
    return st;
}

static tl_status do_register(ps *x, const char *path, const char *xml, int force, int is_system)
{
    char msg[400];
    if (is_system && x->c->integrity < 2) {
        x->rc = 1; /* Access is denied */
        return TL_OK;
    }
    if (tl_task_find(x->c->s, path) && !force) {
        x->rc = 1; /* Cannot create a file when that file already exists */
        return TL_OK;
    }
    tl_status st = tl_task_register(x->c->s, path, xml, 1, x->c->user, msg, sizeof msg);
    if (st == TL_E_PARSE)
        return err(x, "%s", msg);
    if (st == TL_E_INVAL) {
        x->rc = 1;
        return TL_OK;
    }
    return st;
}

/* Path from an XML's RegistrationInfo/URI (RegisterByXml). */
static char *uri_of(const char *xml)
{
    const char *s = strstr(xml, "<URI>");
    if (!s)
        return NULL;
    s += 5;
    const char *e = strstr(s, "</URI>");
    return e ? tl_strndup(s, (size_t)(e - s)) : NULL;
}

static int xml_is_system(const char *xml)
{
    return strstr(xml, "<UserId>S-1-5-18</UserId>") || strstr(xml, "<UserId>SYSTEM</UserId>");
}

/* Register-ScheduledJob (PSScheduledJob, Windows PowerShell 5.1; evasion.md §4): a task
 * \Microsoft\Windows\PowerShell\ScheduledJobs\<Name> whose action starts PowerShell to load
 * the job's definition from the user's store and run it [V ScheduledJobDefinition.cs]. The
 * definition file the store holds (the script block) and the task's principal and settings
 * are not given by the facts: the task runs as the registering user (its SID, interactive
 * token) and the definition file is not written [A]. Needs an elevated session [A]. */
static tl_status cm_scheduled_job(ps *x, const args *a, val *out)
{
    static const char *const ok[] = {"Name",        "ScriptBlock",     "FilePath",
                                     "Trigger",     "ScheduledJobOption", "Credential",
                                     "RunNow",      "RunEvery",        "ArgumentList",
                                     "MaxResultCount", "InitializationScript", "RunAs32",
                                     "Authentication", NULL};
    tl_status st = check_params(x, "Register-ScheduledJob", a, ok);
    tl_sim *s = x->c->s;
    char *path = NULL;
    tl_buf b = TL_BUF_INIT, store = TL_BUF_INIT, p = TL_BUF_INIT;
    memset(out, 0, sizeof *out);
    if (st != TL_OK)
        return st;
    const char *name = sval(arg(a, "Name"));
    if (!name)
        name = sval(pos(a, 0));
    if (!name)
        return err(x, "Register-ScheduledJob: -Name is required", NULL);
    if (!arg(a, "ScriptBlock") && !arg(a, "FilePath") && !pos(a, 1))
        return err(x, "Register-ScheduledJob: -ScriptBlock or -FilePath is required", NULL);
    if (x->c->integrity < 2) {
        x->rc = 1; /* Access is denied */
        return TL_OK;
    }
    /* the module drives the Task Scheduler through its COM API [A] */
    TL_TRY(tl_sim_image_load(s, x->proc, "C:\\Windows\\System32\\taskschd.dll"));
    tl_buf_printf(&p, "\\Microsoft\\Windows\\PowerShell\\ScheduledJobs\\%s", name);
    TL_TRY(tl_buf_status(&p));
    char msg[300];
    st = tl_task_path_canon(tl_buf_cstr(&p), &path, msg, sizeof msg);
    if (st == TL_E_PARSE) {
        st = err(x, "Register-ScheduledJob: %s", msg);
        goto cleanup;
    }
    TL_TRY(st);
    if (tl_task_find(s, path)) {
        x->rc = 1; /* a job of that name exists */
        goto cleanup;
    }
    char *la = tl_sim_expand_env(s, x->c->user, "%LOCALAPPDATA%");
    TL_TRY_ALLOC(la);
    tl_buf_printf(&store, "%s\\Microsoft\\Windows\\PowerShell\\ScheduledJobs", la);
    tl_free(la);
    tl_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" "
                    "xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">"
                    "<RegistrationInfo><URI/></RegistrationInfo><Triggers>");
    frags(&b, arg(a, "Trigger"), V_TRIGGER);
    tl_buf_printf(&b, "</Triggers><Principals><Principal id=\"Author\"><UserId>%s</UserId>"
                      "<LogonType>InteractiveToken</LogonType><RunLevel>LeastPrivilege</RunLevel>"
                      "</Principal></Principals><Settings><Enabled>true</Enabled></Settings>"
                      "<Actions Context=\"Author\"><Exec><Command>powershell.exe</Command>"
                      "<Arguments>",
                  s->users[x->c->user].sid);
    tl_buf args_text = TL_BUF_INIT;
    tl_buf_printf(&args_text,
                  "-NoLogo -NonInteractive -WindowStyle Hidden -Command \"Import-Module "
                  "PSScheduledJob; $jobDef = "
                  "[Microsoft.PowerShell.ScheduledJob.ScheduledJobDefinition]::LoadFromStore('%s', "
                  "'%s'); $jobDef.Run()\"",
                  name, tl_buf_cstr(&store));
    tl_buf_put_xml_text(&b, tl_buf_cstr(&args_text));
    tl_buf_free(&args_text);
    tl_buf_puts(&b, "</Arguments></Exec></Actions></Task>");
    TL_TRY(tl_buf_status(&b));
    st = do_register(x, path, tl_buf_cstr(&b), 0, 0);
cleanup:
    tl_free(path);
    tl_buf_free(&b);
    tl_buf_free(&store);
    tl_buf_free(&p);
    return st;
}

/* xml with the element <tag …>…</tag> (or <tag/>) given the content inner; with no
 * such element, <tag>inner</tag> goes before the first of <Principals>, <Settings>,
 * <Actions>. *out owned. */
static tl_status replace_element(const char *xml, const char *tag, const char *inner, char **out)
{
    tl_buf b = TL_BUF_INIT;
    char open[40], close[40];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *os = xml;
    size_t ol = strlen(open);
    while ((os = strstr(os, open)) && !strchr(" >/\t\r\n", os[ol]))
        os += ol;
    if (os) {
        const char *gt = strchr(os, '>');
        if (!gt)
            return TL_E_PARSE;
        const char *rest;
        if (gt[-1] == '/') {
            rest = gt + 1;
        } else {
            const char *ce = strstr(gt, close);
            if (!ce)
                return TL_E_PARSE;
            rest = ce + strlen(close);
        }
        tl_buf_append(&b, xml, (size_t)(os - xml));
        /* keep the open tag's attributes (<Actions Context="Author">) */
        if (gt[-1] == '/')
            tl_buf_append(&b, os, (size_t)(gt - 1 - os));
        else
            tl_buf_append(&b, os, (size_t)(gt - os));
        tl_buf_printf(&b, ">%s%s%s", inner, close, rest);
    } else {
        const char *at = NULL;
        static const char *const next[] = {"<Principals", "<Settings", "<Actions", "</Task>"};
        for (size_t i = 0; i < 4 && !at; i++)
            at = strstr(xml, next[i]);
        if (!at)
            return TL_E_PARSE;
        tl_buf_append(&b, xml, (size_t)(at - xml));
        tl_buf_printf(&b, "<%s>%s%s%s", tag, inner, close, at);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&b);
    return *out ? TL_OK : TL_E_NOMEM;
}

/* Set-ScheduledTask: -Action, -Trigger, -Principal and -Settings replace those parts of the
 * registered definition (-InputObject: the object's whole definition is written back);
 * the service rewrites the task and logs 4702 / 140. A principal for another account
 * (SYSTEM) needs an elevated session, as for Register-ScheduledTask. */
static tl_status set_task(ps *x, tl_task *t, const args *a, const val *io)
{
    tl_status st = TL_OK;
    char *xml = NULL, *nx = NULL;
    static const struct {
        const char *param, *tag;
        vk kind;
    } parts[] = {{"Action", "Actions", V_ACTION},
                 {"Trigger", "Triggers", V_TRIGGER},
                 {"Principal", "Principals", V_PRINCIPAL},
                 {"Settings", "Settings", V_SETTINGS}};
    int changed = 0;
    if (io && io->k == V_TASK && io->s && io->s[0]) {
        TL_TRY_ALLOC(xml = tl_strdup(io->s));
        changed = 1;
    } else {
        TL_TRY_ALLOC(xml = tl_strdup(t->xml ? t->xml : ""));
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const val *v = arg(a, parts[i].param);
        if (!v)
            continue;
        const val *first = v->k == V_LIST && v->n ? &v->items[0] : v;
        if (first->k != parts[i].kind) {
            char m[120];
            snprintf(m, sizeof m, "Set-ScheduledTask: -%s is not a %s object", parts[i].param,
                     parts[i].param);
            st = err(x, "%s", m);
            goto cleanup;
        }
        tl_buf inner = TL_BUF_INIT;
        if (parts[i].kind == V_PRINCIPAL) {
            /* the principal keeps the id the actions run under */
            char ctx[64] = "Author";
            const char *c = strstr(xml, "<Actions Context=\"");
            if (c) {
                c += strlen("<Actions Context=\"");
                const char *e = strchr(c, '"');
                if (e && e - c < (long)sizeof ctx)
                    snprintf(ctx, sizeof ctx, "%.*s", (int)(e - c), c);
            }
            tl_buf_printf(&inner, "<Principal id=\"%s\">%s</Principal>", ctx, first->s);
            if (first->is_system && x->c->integrity < 2) {
                tl_buf_free(&inner);
                x->rc = 1; /* Access is denied */
                goto cleanup;
            }
        } else {
            frags(&inner, v, parts[i].kind);
        }
        if (tl_buf_status(&inner) != TL_OK) {
            tl_buf_free(&inner);
            TL_FAIL(TL_E_NOMEM);
        }
        st = replace_element(xml, parts[i].tag, tl_buf_cstr(&inner), &nx);
        tl_buf_free(&inner);
        if (st == TL_E_PARSE) {
            st = err(x, "Set-ScheduledTask: the task's definition has no %s element",
                     parts[i].tag);
            goto cleanup;
        }
        TL_TRY(st);
        tl_free(xml);
        xml = nx;
        nx = NULL;
        changed = 1;
    }
    if (changed)
        st = tl_task_update_xml(x->c->s, t, xml, x->c->user);
cleanup:
    tl_free(xml);
    tl_free(nx);
    return st;
}

/* Invoke-CimMethod -ClassName Win32_Process|Win32_ScheduledJob -MethodName Create
 * -Arguments @{...} (evasion.md §3.3, §4): the WMI methods of wmi.c; prints the
 * returned __PARAMETERS as PowerShell's table [A: the sheets are silent on it]. */
static tl_status cim_win32_create(ps *x, const char *cls, const val *h)
{
    const char *cl = NULL, *cwd = NULL, *command = NULL, *start = NULL;
    unsigned long dow = 0, dom = 0;
    for (size_t i = 0; h && h->k == V_HASH && i < h->n; i++) {
        const char *k = h->keys[i], *v = sval(&h->items[i]);
        if (!tl_strcasecmp(k, "CommandLine"))
            cl = v;
        else if (!tl_strcasecmp(k, "CurrentDirectory"))
            cwd = v;
        else if (!tl_strcasecmp(k, "Command"))
            command = v;
        else if (!tl_strcasecmp(k, "StartTime"))
            start = v;
        else if (!tl_strcasecmp(k, "DaysOfWeek") && v)
            dow = strtoul(v, NULL, 10);
        else if (!tl_strcasecmp(k, "DaysOfMonth") && v)
            dom = strtoul(v, NULL, 10);
    }
    tl_sim *s = x->c->s;
    int ret = 0;
    if (!tl_strcasecmp(cls, "Win32_Process")) {
        unsigned pid = 0;
        tl_status st = tl_wmi_process_create(x->c, cl ? cl : "", cwd, &pid, &ret);
        if (st != TL_OK)
            return st;
        tl_sim_console_puts(s, "\nProcessId ReturnValue PSComputerName\n"
                               "--------- ----------- --------------\n");
        tl_sim_console_printf(s, "%9u %11d\n\n", pid, ret);
    } else {
        int job = 0;
        tl_status st = tl_wmi_job_create(x->c, command ? command : "", start, (unsigned)dow,
                                         (unsigned)dom, &job, &ret);
        if (st != TL_OK)
            return st;
        tl_sim_console_puts(s, "\nJobId ReturnValue PSComputerName\n"
                               "----- ----------- --------------\n");
        tl_sim_console_printf(s, "%5d %11d\n\n", job, ret);
    }
    return TL_OK;
}

static tl_status run_cmdlet(ps *x, const char *name, args *a, const val *input, val *out)
{
    tl_status st = TL_OK;
    tl_sim *s = x->c->s;
    char *path = NULL;
    memset(out, 0, sizeof *out);
    if (tl_strcasestr(name, "ScheduledTask") ||
        (!tl_strcasecmp(name, "Invoke-CimMethod") && sval(arg(a, "ClassName")) &&
         !tl_strcasecmp(sval(arg(a, "ClassName")), "PS_ScheduledTask")))
        TL_TRY(tl_sim_image_load(s, x->proc, "C:\\Windows\\System32\\taskschd.dll"));
    if (!tl_strcasecmp(name, "New-ScheduledTaskAction"))
        return cm_action(x, a, out);
    if (!tl_strcasecmp(name, "New-ScheduledTaskTrigger") || !tl_strcasecmp(name, "New-JobTrigger"))
        return cm_trigger(x, name, a, out);
    if (!tl_strcasecmp(name, "Register-ScheduledJob"))
        return cm_scheduled_job(x, a, out);
    if (!tl_strcasecmp(name, "New-ScheduledTaskPrincipal"))
        return cm_principal(x, a, out);
    if (!tl_strcasecmp(name, "New-ScheduledTaskSettingsSet"))
        return cm_settings(x, a, out);
    if (!tl_strcasecmp(name, "New-ScheduledTask")) {
        static const char *const ok[] = {"Action",   "Trigger",     "Principal",
                                         "Settings", "Description", NULL};
        TL_TRY(check_params(x, name, a, ok));
        if (!arg(a, "Action"))
            return err(x, "New-ScheduledTask: -Action is required", NULL);
        return build_task(x, arg(a, "Action"), arg(a, "Trigger"), arg(a, "Principal"),
                          arg(a, "Settings"), sval(arg(a, "Description")), NULL, NULL, out);
    }
    if (!tl_strcasecmp(name, "Register-ScheduledTask")) {
        static const char *const ok[] = {
            "TaskName", "TaskPath", "InputObject", "Action", "Trigger", "Principal",   "Settings",
            "User",     "Password", "RunLevel",    "Xml",    "Force",   "Description", NULL};
        TL_TRY(check_params(x, name, a, ok));
        const val *io = arg(a, "InputObject");
        if (!io && input && input->k == V_TASK)
            io = input;
        const char *xmlt = sval(arg(a, "Xml"));
        TL_TRY(task_path_of(x, a, name, 0, &path));
        if (!path && xmlt) {
            char *u = uri_of(xmlt);
            if (u) {
                char msg[300];
                st = tl_task_path_canon(u, &path, msg, sizeof msg);
                tl_free(u);
                TL_TRY(st);
            }
        }
        if (!path) {
            st = err(x, "Register-ScheduledTask: -TaskName is required", NULL);
            goto cleanup;
        }
        int force = arg(a, "Force") && arg(a, "Force")->b;
        if (xmlt) {
            st = do_register(x, path, xmlt, force, xml_is_system(xmlt) && x->c->user != 0);
        } else if (io) {
            if (io->k != V_TASK) {
                st = err(x, "Register-ScheduledTask: -InputObject is not a task definition", NULL);
                goto cleanup;
            }
            st = do_register(x, path, io->s, force, io->is_system && x->c->user != 0);
        } else if (arg(a, "Action")) {
            val t;
            TL_TRY(build_task(x, arg(a, "Action"), arg(a, "Trigger"), arg(a, "Principal"),
                              arg(a, "Settings"), sval(arg(a, "Description")), sval(arg(a, "User")),
                              sval(arg(a, "RunLevel")), &t));
            st = do_register(x, path, t.s, force, t.is_system && x->c->user != 0);
            val_free(&t);
        } else {
            st = err(x, "Register-ScheduledTask: needs -Action, -InputObject or -Xml", NULL);
        }
        goto cleanup;
    }
    if (!tl_strcasecmp(name, "Set-ScheduledTask") ||
        !tl_strcasecmp(name, "Unregister-ScheduledTask") ||
        !tl_strcasecmp(name, "Enable-ScheduledTask") ||
        !tl_strcasecmp(name, "Disable-ScheduledTask") ||
        !tl_strcasecmp(name, "Start-ScheduledTask") || !tl_strcasecmp(name, "Stop-ScheduledTask") ||
        !tl_strcasecmp(name, "Get-ScheduledTask") ||
        !tl_strcasecmp(name, "Get-ScheduledTaskInfo")) {
        static const char *const ok[] = {"TaskName",  "TaskPath",    "Action",     "Trigger",
                                         "Principal", "Settings",    "User",       "Password",
                                         "Confirm",   "InputObject", "CimSession", NULL};
        TL_TRY(check_params(x, name, a, ok));
        int is_get = tl_strcasecmp(name, "Get-ScheduledTask") == 0;
        /* the task: -TaskName [-TaskPath], or a task object (Get-ScheduledTask's output)
         * given as -InputObject or piped: Get-ScheduledTask X | Disable-ScheduledTask */
        const val *io = arg(a, "InputObject");
        if (!io && input && input->k == V_TASK && input->task_path)
            io = input;
        TL_TRY(task_path_of(x, a, name, !is_get && !(io && io->task_path), &path));
        if (!path && io && io->task_path)
            TL_TRY_ALLOC(path = tl_strdup(io->task_path));
        if (!path)
            goto cleanup;
        tl_task *t = tl_task_find(s, path);
        if (!t || t->unloaded) {
            x->rc = 1;
            goto cleanup;
        }
        if (is_get) { /* an MSFT_ScheduledTask: its definition and where it is */
            out->k = V_TASK;
            TL_TRY_ALLOC(out->s = tl_strdup(t->xml ? t->xml : ""));
            TL_TRY_ALLOC(out->task_path = tl_strdup(t->path));
            out->is_system = t->user_id && !strcmp(t->user_id, "S-1-5-18");
            goto cleanup;
        }
        if (tl_strcasecmp(name, "Get-ScheduledTaskInfo") == 0 ||
            tl_strcasecmp(name, "Stop-ScheduledTask") == 0)
            goto cleanup;
        if (x->c->integrity < 2 && t->owner != x->c->user &&
            !(t->user_id && (!tl_strcasecmp(t->user_id, s->users[x->c->user].sid) ||
                             tl_sim_user_find(s, t->user_id) == (long)x->c->user))) {
            x->rc = 1;
            goto cleanup;
        }
        if (!tl_strcasecmp(name, "Unregister-ScheduledTask"))
            st = tl_task_delete(s, t, x->c->user);
        else if (!tl_strcasecmp(name, "Enable-ScheduledTask"))
            st = tl_task_set_enabled(s, t, 1, x->c->user);
        else if (!tl_strcasecmp(name, "Disable-ScheduledTask"))
            st = tl_task_set_enabled(s, t, 0, x->c->user);
        else if (!tl_strcasecmp(name, "Start-ScheduledTask")) {
            if (t->enabled)
                st = tl_task_run(s, t);
            else
                x->rc = 1;
        } else {
            st = set_task(x, t, a, io);
        }
        goto cleanup;
    }
    if (!tl_strcasecmp(name, "Invoke-CimMethod")) {
        static const char *const ok[] = {"ClassName", "Namespace",  "NameSpace", "MethodName",
                                         "Arguments", "CimSession", NULL};
        TL_TRY(check_params(x, name, a, ok));
        const char *cls = sval(arg(a, "ClassName")), *m = sval(arg(a, "MethodName"));
        const val *h = arg(a, "Arguments");
        if (cls && m && !tl_strcasecmp(m, "Create") &&
            (!tl_strcasecmp(cls, "Win32_Process") || !tl_strcasecmp(cls, "Win32_ScheduledJob"))) {
            st = cim_win32_create(x, cls, h);
            goto cleanup;
        }
        if (!cls || tl_strcasecmp(cls, "PS_ScheduledTask") || !m)
            goto cleanup;
        if (tl_strcasecmp(m, "RegisterByXml") == 0) {
            const char *xmlt = NULL;
            int force = 0;
            const char *tn = NULL, *tp = NULL;
            for (size_t i = 0; h && h->k == V_HASH && i < h->n; i++) {
                if (!tl_strcasecmp(h->keys[i], "Xml"))
                    xmlt = sval(&h->items[i]);
                else if (!tl_strcasecmp(h->keys[i], "Force"))
                    force = h->items[i].k == V_BOOL && h->items[i].b;
                else if (!tl_strcasecmp(h->keys[i], "TaskName"))
                    tn = sval(&h->items[i]);
                else if (!tl_strcasecmp(h->keys[i], "TaskPath"))
                    tp = sval(&h->items[i]);
            }
            if (!xmlt) {
                st = err(x, "Invoke-CimMethod RegisterByXml: Arguments need Xml", NULL);
                goto cleanup;
            }
            char msg[300];
            char *u = NULL;
            if (tn) {
                /* The same joining as the cmdlets' -TaskPath (task_path_of): the
                 * ScheduledTasks cmdlets are wrappers over this CIM method, and
                 * Register-ScheduledTask -TaskPath '\Microsoft\Windows\' passes
                 * the trailing backslash through. */
                tl_buf b = TL_BUF_INIT;
                if (tp && strcmp(tp, "\\")) {
                    tl_buf_puts(&b, tp);
                    if (tp[0] && tp[strlen(tp) - 1] != '\\')
                        tl_buf_putc(&b, '\\');
                }
                tl_buf_puts(&b, tn);
                u = tl_buf_take(&b);
            } else {
                u = uri_of(xmlt);
            }
            if (!u) {
                st = err(x, "RegisterByXml: the XML has no URI and no TaskName is given", NULL);
                goto cleanup;
            }
            st = tl_task_path_canon(u, &path, msg, sizeof msg);
            tl_free(u);
            if (st == TL_E_PARSE) {
                st = err(x, "%s", msg);
                goto cleanup;
            }
            TL_TRY(st);
            st = do_register(x, path, xmlt, force, xml_is_system(xmlt) && x->c->user != 0);
        }
        goto cleanup;
    }
    if (!tl_strcasecmp(name, "Get-Date")) {
        /* the virtual clock's now (local time = UTC); -Date, then -Year … -Millisecond
         * replace parts, as the cmdlet does; -Format gives DateTime.ToString(format) */
        static const char *const ok[] = {"Date", "Year",   "Month",       "Day",    "Hour",
                                         "Minute", "Second", "Millisecond", "Format", NULL};
        TL_TRY(check_params(x, name, a, ok));
        out->k = V_DATE;
        out->tm = s->now;
        const val *dv = arg(a, "Date") ? arg(a, "Date") : pos(a, 0);
        if (dv)
            TL_TRY(to_date(x, dv, "Get-Date: Cannot bind parameter 'Date'", &out->tm));
        int y, mo, d, h, mi, se, us;
        tl_time_civil(out->tm, &y, &mo, &d, &h, &mi, &se, &us);
        int *part[] = {&y, &mo, &d, &h, &mi, &se, &us};
        static const char *const pn[] = {"Year", "Month", "Day", "Hour", "Minute", "Second",
                                         "Millisecond"};
        static const int lo[] = {1, 1, 1, 0, 0, 0, 0}, hi[] = {9999, 12, 31, 23, 59, 59, 999};
        for (int i = 0; i < 7; i++) {
            const val *pv = arg(a, pn[i]);
            if (!pv)
                continue;
            char *e = NULL;
            long n = sval(pv) ? strtol(sval(pv), &e, 10) : -1;
            if (!e || *e || n < lo[i] || n > hi[i])
                return err(x, "Get-Date: -%s is out of range", pn[i]);
            *part[i] = i == 6 ? (int)n * 1000 : (int)n;
        }
        if (d > month_days(y, mo))
            return err(x, "Get-Date: -Day is out of range for the month", NULL);
        out->tm = (tl_time)tl_time_from_civil(y, mo, d, h, mi, se) * TL_USEC_PER_SEC + us;
        if (sval(arg(a, "Format"))) {
            tl_buf b = TL_BUF_INIT;
            st = tl_dotnet_datetime_format(out->tm, sval(arg(a, "Format")), &b);
            if (st != TL_OK) {
                tl_buf_free(&b);
                return st;
            }
            return make_frag(out, V_STR, &b);
        }
        return TL_OK;
    }
    if (!tl_strcasecmp(name, "New-TimeSpan")) {
        /* as an ISO 8601 duration, the form task XML needs */
        static const char *const units[] = {"Days", "Hours", "Minutes", "Seconds"};
        long v[4] = {0, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            const char *u = sval(arg(a, units[i]));
            if (u)
                v[i] = strtol(u, NULL, 10);
            if (v[i] < 0 || v[i] > 100000)
                return err(x, "New-TimeSpan: value out of range", NULL);
        }
        tl_buf b = TL_BUF_INIT;
        tl_buf_putc(&b, 'P');
        if (v[0])
            tl_buf_printf(&b, "%ldD", v[0]);
        if (v[1] || v[2] || v[3] || !v[0])
            tl_buf_putc(&b, 'T');
        if (v[1])
            tl_buf_printf(&b, "%ldH", v[1]);
        if (v[2])
            tl_buf_printf(&b, "%ldM", v[2]);
        if (v[3] || (!v[0] && !v[1] && !v[2]))
            tl_buf_printf(&b, "%ldS", v[3]);
        return make_frag(out, V_STR, &b);
    }
    if (!tl_strcasecmp(name, "Get-Content") || !tl_strcasecmp(name, "gc") ||
        !tl_strcasecmp(name, "type") || !tl_strcasecmp(name, "cat")) {
        const char *p = sval(arg(a, "Path"));
        if (!p)
            p = sval(pos(a, 0));
        if (!p)
            return err(x, "Get-Content: -Path is required", NULL);
        const tl_vfile *f = tl_fs_find(s, p);
        if (!f) {
            char *rel = NULL;
            tl_buf b = TL_BUF_INIT;
            tl_buf_printf(&b, "%s%s", s->procs[x->proc].cwd, p);
            rel = tl_buf_take(&b);
            f = rel ? tl_fs_find(s, rel) : NULL;
            tl_free(rel);
        }
        if (!f)
            return err(x, "Get-Content: %s does not exist on the endpoint", p);
        out->k = V_STR;
        return tl_text_decode(f->data, f->len, &out->s);
    }
    if (!tl_strcasecmp(name, "Out-String") || !tl_strcasecmp(name, "Write-Output") ||
        !tl_strcasecmp(name, "echo")) {
        if (input)
            return val_copy(input, out);
        if (pos(a, 0))
            return val_copy(pos(a, 0), out);
        return TL_OK;
    }
    if (strchr(name, '-') && !strchr(name, '\\') && !strchr(name, '.'))
        return TL_OK; /* some other cmdlet: no effect on the endpoint */
    return TL_OK;
cleanup:
    tl_free(path);
    return st;
}

static int is_external(const char *name)
{
    static const char *const ext[] = {
        "schtasks", "reg",  "cmd", "at", "calc",       "notepad", "rundll32", "regsvr32", "mshta",
        "whoami",   "ping", "net", "sc", "powershell", "wscript", "cscript",  NULL};
    if (strchr(name, '\\') || strstr(name, ".exe") || strstr(name, ".EXE"))
        return 1;
    for (size_t i = 0; ext[i]; i++)
        if (!tl_strcasecmp(name, ext[i]))
            return 1;
    return 0;
}

/* One command of a pipeline. */
static tl_status parse_command(ps *x, const val *input, val *out, char end)
{
    tl_status st;
    memset(out, 0, sizeof *out);
    skip_ws(x);
    char ch = *x->p;
    if (ch == '"' || ch == '\'') {
        /* "C:\...\x.exe" args: run the program (PowerShell would need '&'; accepted so the
         * recorded command lines of threats.md can be replayed verbatim) */
        const char *q = strchr(x->p + 1, ch);
        if (q && q - x->p > 5 && !tl_strncasecmp(q - 4, ".exe", 4) && q[1] == ' ' && q[2] &&
            !strchr(";|\n", q[2]))
            goto command;
    }
    if (ch == '$' || ch == '(' || ch == '\'' || ch == '"' || ch == '@' || ch == '[')
        return parse_expr(x, out);
command:
    if (ch == '&' || ch == '.') { /* call operator */
        x->p++;
        skip_ws(x);
    }
    int quoted = *x->p == '"' || *x->p == '\'';
    char *name = NULL;
    if ((ch == '&' || ch == '.') && (*x->p == '(' || *x->p == '$')) {
        /* & ('Register-Sched'+'uledTask'), .("{1}{0}" -f 'uledTask','Register-Sched'),
         * & $name: the command is the expression's value (evasion.md §2.4, IOBF) */
        val v;
        TL_TRY(parse_primary(x, &v, 0));
        if (v.k != V_STR || !v.s || !v.s[0]) {
            val_free(&v);
            return err(x, "the call operator needs a command name", NULL);
        }
        name = v.s;
        v.s = NULL;
        val_free(&v);
    } else if (quoted) {
        val v;
        TL_TRY(parse_string(x, &v));
        name = v.s;
    } else {
        /* A backtick escapes the next character of a bare command name (evasion.md §2.4,
         * Invoke-Obfuscation's Out-ObfuscatedWithTicks: Reg`ister-ScheduledTask). Before
         * 0 a b f n r t v (PowerShell 6+: also e, u{...}) it is an escape sequence and gives
         * that control character, so the name names no command (CommandNotFoundException),
         * which is why the obfuscator upper-cases those letters. */
        tl_buf nb = TL_BUF_INIT;
        while (*x->p && !strchr(" \t\r\n;|()", *x->p) && *x->p != end) {
            if (*x->p == '`' && x->p[1] && x->p[1] != '\n') {
                x->p++;
                backtick(x, &x->p, &nb);
                continue;
            }
            tl_buf_putc(&nb, *x->p++);
        }
        if (tl_buf_status(&nb) != TL_OK) {
            tl_buf_free(&nb);
            return TL_E_NOMEM;
        }
        name = tl_buf_take(&nb);
        TL_TRY_ALLOC(name);
    }
    if (!name[0]) {
        tl_free(name);
        return err(x, "unexpected '%s'", x->p);
    }
    if (!tl_strcasecmp(name, "icim")) {
        /* the alias CimCmdlets exports for Invoke-CimMethod (evasion.md §2.4 [V]); the
         * ScheduledTasks functions have none [S] */
        tl_free(name);
        TL_TRY_ALLOC(name = tl_strdup("Invoke-CimMethod"));
    }
    if (impossible_name(name) || x->failed) {
        /* the arguments are read, nothing runs */
        args a;
        a.n = 0;
        st = parse_args(x, &a, end, NULL);
        args_free(&a);
        if (st == TL_OK && !x->failed)
            not_found(x, name);
        tl_free(name);
        return st;
    }
    if (is_external(name)) {
        /* the rest of the statement is the program's command line */
        const char *rs = x->p;
        while (*x->p && *x->p != ';' && *x->p != '\n' && *x->p != '|' && *x->p != end)
            x->p++;
        tl_buf cl = TL_BUF_INIT;
        /* PowerShell starts the program by its full path and re-quotes each argument
         * (evasion.md §3.2): "C:\Windows\system32\schtasks.exe" /create /tn x ... The file
         * name comes from disk (lower case for the system tools), the folder from
         * %SystemRoot% [A]. Arguments in syntax tasklab does not split keep the text. */
        char *native = NULL;
        {
            static const char *const sys32[] = {"schtasks", "reg", "at", "whoami", "net",
                                                "sc", "wmic", "cmd", NULL};
            tl_buf fp = TL_BUF_INIT;
            if (strchr(name, '\\')) {
                tl_buf_puts(&fp, name);
            } else {
                size_t nl = strlen(name);
                int exe = nl > 4 && !tl_strcasecmp(name + nl - 4, ".exe");
                for (size_t k = 0; sys32[k]; k++)
                    if (strlen(sys32[k]) == nl - (exe ? 4 : 0) &&
                        !tl_strncasecmp(name, sys32[k], strlen(sys32[k])))
                        tl_buf_printf(&fp, "%s\\system32\\%s.exe", tl_sim_windir(x->c->s),
                                      sys32[k]);
            }
            if (fp.len && tl_buf_status(&fp) == TL_OK) {
                char *argt = tl_strndup(rs, (size_t)(x->p - rs));
                const char *img = x->c->s->procs[x->proc].image;
                const char *bn = img ? strrchr(img, '\\') : NULL;
                int pwsh = bn && !tl_strcasecmp(bn + 1, "pwsh.exe");
                if (argt)
                    native = tl_ev_ps_native(tl_buf_cstr(&fp), argt, pwsh);
                tl_free(argt);
            }
            tl_buf_free(&fp);
        }
        if (native) {
            tl_buf_puts(&cl, native);
            tl_free(native);
        } else {
            if (quoted)
                tl_buf_printf(&cl, "\"%s\"", name);
            else
                tl_buf_puts(&cl, name);
            tl_buf_append(&cl, rs, (size_t)(x->p - rs));
        }
        while (cl.len && cl.data[cl.len - 1] == ' ')
            cl.data[--cl.len] = 0;
        tl_free(name);
        if (tl_buf_status(&cl) != TL_OK) {
            tl_buf_free(&cl);
            return TL_E_NOMEM;
        }
        tl_exec_ctx sub = *x->c;
        sub.parent = x->proc;
        int rc = 0;
        st = tl_sim_exec(&sub, tl_buf_cstr(&cl), &rc);
        tl_buf_free(&cl);
        x->rc = rc;
        return st;
    }
    args a;
    a.n = 0;
    st = parse_args(x, &a, end, name);
    if (st == TL_OK && !x->failed)
        st = run_cmdlet(x, name, &a, input, out);
    args_free(&a);
    tl_free(name);
    return st;
cleanup:
    return st;
}

static tl_status parse_pipeline(ps *x, val *out, char end)
{
    val cur;
    memset(&cur, 0, sizeof cur);
    tl_status st = parse_command(x, NULL, &cur, end);
    while (st == TL_OK) {
        skip_ws(x);
        if (*x->p != '|')
            break;
        x->p++;
        val next;
        st = parse_command(x, &cur, &next, end);
        val_free(&cur);
        cur = next;
    }
    if (st != TL_OK) {
        val_free(&cur);
        return st;
    }
    *out = cur;
    return TL_OK;
}

tl_status tl_interp_powershell_script(tl_exec_ctx *c, long psproc, const char *script, int *rc)
{
    tl_status st = TL_OK;
    ps x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.proc = psproc;
    {
        const char *img = c->s->procs[psproc].image;
        const char *bn = img ? strrchr(img, '\\') : NULL;
        x.pwsh = bn && !tl_strcasecmp(bn + 1, "pwsh.exe");
    }
    c->s->caller_proc = psproc;
    if (tl_com_ps_script_uses_com(script))
        return tl_com_run_script(c, psproc, TL_COM_POWERSHELL, 1, "script", script, rc);
    x.p = script;
    for (;;) {
        while (*x.p == ' ' || *x.p == '\t' || *x.p == '\r' || *x.p == '\n' || *x.p == ';')
            x.p++;
        skip_ws(&x);
        if (!*x.p)
            break;
        TL_TRY(tl_sim_work_command(c->s));
        x.failed = 0; /* each statement starts afresh after a PowerShell error */
        /* assignment? */
        char var[64] = "";
        if (*x.p == '$') {
            const char *save = x.p;
            TL_TRY(read_varname(&x, var, sizeof var));
            skip_ws(&x);
            if (*x.p == '=' && x.p[1] != '=') {
                x.p++;
            } else {
                x.p = save;
                var[0] = 0;
            }
        }
        val v;
        TL_TRY(parse_pipeline(&x, &v, 0));
        if (var[0]) {
            st = var_set(&x, var, &v);
            val_free(&v);
            TL_TRY(st);
        } else {
            val_free(&v);
        }
        skip_ws(&x);
        if (*x.p && *x.p != ';' && *x.p != '\n') {
            st = err(&x, "unexpected '%s'", x.p);
            goto cleanup;
        }
    }
    *rc = x.failed ? 1 : x.rc;
cleanup:
    for (size_t i = 0; i < x.nvars; i++) {
        tl_free(x.vars[i].name);
        val_free(&x.vars[i].v);
    }
    tl_free(x.vars);
    return st;
}

/* ---- powershell.exe's own command line (evasion.md §2.4) ------------------------------
 *
 * An option starts with '/', '-', U+2013, U+2014 or U+2015 [V AF, WCO] and names one of
 * the options below by any prefix at least as long as its shortest accepted one (the
 * "Prefixes" row: "-e" to "-encodedcomma", "-nop" but not "-no", "-noni", "-ex", "-f",
 * "-w"), or by an acronym ("-ec -ep -ea -if -wd", "-c"), in any case; quotes inside the
 * token are gone after the command-line split (/"e"ncodedcommand). Options are tried in
 * this order, so "-e" and "-encoded" are -EncodedCommand, as measured. The first token
 * that is not an option -- also one with an inserted or substituted character, which the
 * sheet measured as rejected -- starts the command text (Windows PowerShell 5.1): for
 * "-no<U+00AD>profile -c ..." PowerShell then reports that the term '-no<U+00AD>profile'
 * is not recognized, exit 1, and runs nothing [A: the sheet gives no message]. The
 * shortest prefixes of the options the sheet does not name (-nologo, -noexit, -sta, -mta,
 * -version, -outputformat, -configurationname) are [A]. */
enum { PO_COMMAND, PO_ENC, PO_ENCARGS, PO_FILE, PO_VALUE, PO_FLAG, PO_HELP };
static const struct ps_opt {
    const char *name, *min, *acro;
    int kind;
} ps_opts[] = {
    {"command", "c", NULL, PO_COMMAND},
    {"encodedcommand", "e", "ec", PO_ENC},
    {"encodedarguments", "encodeda", "ea", PO_ENCARGS},
    {"executionpolicy", "ex", "ep", PO_VALUE},
    {"file", "f", NULL, PO_FILE},
    {"inputformat", "in", "if", PO_VALUE},
    {"outputformat", "o", "of", PO_VALUE},
    {"windowstyle", "w", NULL, PO_VALUE},
    {"workingdirectory", "wo", "wd", PO_VALUE},
    {"noprofile", "nop", NULL, PO_FLAG},
    {"noninteractive", "noni", NULL, PO_FLAG},
    {"nologo", "nol", NULL, PO_FLAG},
    {"noexit", "noe", NULL, PO_FLAG},
    {"sta", "sta", NULL, PO_FLAG},
    {"mta", "mta", NULL, PO_FLAG},
    {"version", "v", NULL, PO_VALUE},
    {"configurationname", "config", NULL, PO_VALUE},
    {"help", "h", "?", PO_HELP},
};

/* The option a powershell.exe argument names, or NULL (not an option: the command starts). */
static const struct ps_opt *ps_option(const char *a)
{
    const unsigned char *u = (const unsigned char *)a;
    size_t skip = 0;
    if (u[0] == '-' || u[0] == '/')
        skip = 1;
    else if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x93 && u[2] <= 0x95)
        skip = 3; /* U+2013 en dash, U+2014 em dash, U+2015 horizontal bar */
    if (!skip || !a[skip])
        return NULL;
    const char *k = a + skip;
    size_t n = strlen(k);
    for (size_t i = 0; i < sizeof ps_opts / sizeof ps_opts[0]; i++) {
        const struct ps_opt *o = &ps_opts[i];
        if ((n >= strlen(o->min) && n <= strlen(o->name) && !tl_strncasecmp(k, o->name, n)) ||
            (o->acro && !tl_strcasecmp(k, o->acro)))
            return o;
    }
    return NULL;
}

static char *join_args(char **argv, size_t from, size_t argc)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "");
    for (size_t j = from; j < argc; j++) {
        if (j > from)
            tl_buf_putc(&b, ' ');
        tl_buf_puts(&b, argv[j]);
    }
    return tl_buf_take(&b);
}

/* The script powershell.exe runs: the -Command text, the decoded -EncodedCommand, the
 * -File script when the file is on the endpoint, or the text from the first token that is
 * not an option. NULL with *err 0: nothing to run; *err 1: a bad -EncodedCommand; *err 2:
 * out of memory. */
static char *ps_payload(tl_sim *s, char **argv, size_t argc, int *err)
{
    *err = 0;
    for (size_t i = 1; i < argc; i++) {
        const struct ps_opt *o = ps_option(argv[i]);
        if (!o || o->kind == PO_COMMAND) {
            /* the command text starts here, or after -Command */
            char *text = join_args(argv, o ? i + 1 : i, argc);
            if (!text)
                *err = 2;
            return text;
        }
        if (o->kind == PO_HELP)
            return NULL;
        if (o->kind == PO_FLAG)
            continue;
        if (i + 1 >= argc) {
            *err = o->kind == PO_ENC;
            return NULL;
        }
        i++;
        if (o->kind == PO_FILE) {
            /* a script on the endpoint runs; one tasklab does not have runs nothing */
            const tl_vfile *f = tl_fs_find(s, argv[i]);
            char *text = NULL;
            tl_status dst = f ? tl_text_decode(f->data, f->len, &text) : TL_OK;
            if (dst != TL_OK) {
                tl_free(text);
                text = NULL;
                *err = dst == TL_E_NOMEM ? 2 : 0; /* undecodable text runs nothing, as before */
            }
            return text;
        }
        if (o->kind != PO_ENC)
            continue; /* -EncodedArguments: $args, which the scripts tasklab runs do not use */
        /* base64 of UTF-16LE */
        const char *b64 = argv[i];
        size_t n = strlen(b64);
        unsigned char *bin = tl_malloc(n + 1);
        size_t k = 0;
        unsigned acc = 0;
        int bits = 0;
        if (!bin) {
            *err = 2;
            return NULL;
        }
        for (size_t j = 0; j < n; j++) {
            char ch = b64[j];
            int v = ch >= 'A' && ch <= 'Z'   ? ch - 'A'
                    : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
                    : ch >= '0' && ch <= '9' ? ch - '0' + 52
                    : ch == '+'              ? 62
                    : ch == '/'              ? 63
                                             : -1;
            if (ch == '=')
                break;
            if (v < 0) {
                tl_free(bin);
                *err = 1;
                return NULL;
            }
            acc = (acc << 6) | (unsigned)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                bin[k++] = (unsigned char)(acc >> bits);
            }
        }
        char *out = NULL;
        tl_status ust = tl_utf16le_to_utf8(bin, k, &out, NULL);
        tl_free(bin);
        if (ust != TL_OK) {
            tl_free(out);
            out = NULL;
            *err = ust == TL_E_NOMEM ? 2 : 0; /* not UTF-16: nothing to run, as before */
        }
        return out;
    }
    return NULL;
}

tl_status tl_interp_powershell(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                               size_t argc, int *rc)
{
    (void)cmdline;
    int err = 0;
    char *payload = ps_payload(c->s, argv, argc, &err);
    if (err == 2)
        return TL_E_NOMEM;
    if (err)
        return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "powershell: invalid -EncodedCommand");
    if (!payload)
        return TL_OK;
    tl_status st = tl_interp_powershell_script(c, proc, payload, rc);
    tl_free(payload);
    return st;
}
