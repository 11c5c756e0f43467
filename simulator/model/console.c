/* SPDX-License-Identifier: MIT */
/*
 * What the user's console shows: one record per command step, with the text
 * the programs it ran printed (schtasks' SUCCESS/ERROR lines, /query tables,
 * reg's messages…) and the step's exit code (cmd's errorlevel after the line,
 * PowerShell's last native exit code, a program's own). Interpreters print
 * with tl_sim_console_puts; text printed while a task's action runs (no
 * console: the Schedule service starts it) or while cmd.exe redirects the
 * stream it goes to (tl_sim_console_mute: standard output, where SUCCESS
 * lines go, or standard error, where ERROR/WARNING lines go) is not shown.
 *
 * tl_sim_console_json gives the records as data (`console` expectations),
 * tl_sim_console_text as the transcript written to OUT/<name>/console.txt:
 *
 *   $.steps[0] at +0.000 s, alice, cmd.exe
 *   > schtasks /create /tn test-task /tr "C:\Windows\System32\calc.exe" /sc onlogon /ru System /f
 *   SUCCESS: The scheduled task "test-task" has successfully been created.
 *   exit code 0
 *
 * tasklab's own notes on a step (tl_sim_note: what the step did that tasklab does
 * not simulate, such as a task sent to a remote host) are kept apart from the
 * programs' output: a "notes" array in the record (only when there is one) and
 * lines "[tasklab] ..." after the output in the transcript, so that `output` stays
 * what the program printed:
 *
 *   > schtasks /create /s SRV02 /tn x /tr calc.exe /sc onlogon
 *   SUCCESS: The scheduled task "x" has successfully been created.
 *   [tasklab] remote host SRV02 not simulated: no task created on it
 *   exit code 0
 *
 * Console lines end with CRLF on Windows; the records and the transcript keep
 * the programs' "\r\n" as "\n" so that a person's `output__contains` reads as typed.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <string.h>

#include "sim_int.h"

typedef struct crec {
    size_t step; /* $.steps index */
    char *who;   /* "alice, cmd.exe" */
    tl_time at;
    char *command;
    int exit_code;
    tl_buf out;
    tl_buf notes; /* tasklab's notes, one a line */
} crec;

struct tl_console {
    crec *v;
    size_t n, cap;
    int open;     /* a command step is running: v[n-1] takes the output */
    int mute[2];  /* stdout, stderr redirected away from the console (cmd's > and 2>) */
    tl_buf all_notes; /* every note of the run: "$.steps[N]: text\n" */
};

void tl_sim_console_free(tl_sim *s)
{
    tl_console *c = s->console;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        tl_free(c->v[i].who);
        tl_free(c->v[i].command);
        tl_buf_free(&c->v[i].out);
        tl_buf_free(&c->v[i].notes);
    }
    tl_buf_free(&c->all_notes);
    tl_free(c->v);
    tl_free(c);
    s->console = NULL;
}

tl_status tl_sim_console_begin(tl_sim *s, size_t file_index, const char *user, const char *parent,
                               const char *command)
{
    if (!s->console) {
        s->console = tl_calloc(1, sizeof *s->console);
        if (!s->console)
            return TL_E_NOMEM;
        tl_buf_init(&s->console->all_notes);
    }
    tl_console *c = s->console;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        crec *nv = tl_realloc(c->v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        c->v = nv;
        c->cap = nc;
    }
    crec *r = &c->v[c->n];
    memset(r, 0, sizeof *r);
    tl_buf_init(&r->out);
    tl_buf_init(&r->notes);
    r->step = file_index;
    r->at = s->now - s->sc->start;
    const char *pb = strrchr(parent, '\\');
    tl_buf w = TL_BUF_INIT;
    tl_buf_printf(&w, "%s, %s", user, pb ? pb + 1 : parent);
    r->who = tl_buf_take(&w);
    r->command = tl_strdup(command);
    if (!r->who || !r->command) {
        tl_free(r->who);
        tl_free(r->command);
        return TL_E_NOMEM;
    }
    c->n++;
    c->open = 1;
    c->mute[0] = c->mute[1] = 0;
    return TL_OK;
}

void tl_sim_console_end(tl_sim *s, int exit_code)
{
    tl_console *c = s->console;
    if (!c || !c->open)
        return;
    c->v[c->n - 1].exit_code = exit_code;
    c->open = 0;
}

void tl_sim_console_mute(tl_sim *s, int stream, int delta)
{
    tl_console *c = s->console;
    if (c && (stream == 0 || stream == 1))
        c->mute[stream] += delta;
}

static void put(tl_sim *s, int stream, const char *text)
{
    tl_console *c = s->console;
    if (!c || !c->open || c->mute[stream] > 0 || s->task_depth > 0)
        return;
    tl_buf *b = &c->v[c->n - 1].out;
    for (const char *p = text; *p; p++)
        if (!(p[0] == '\r' && p[1] == '\n'))
            tl_buf_putc(b, *p);
}

void tl_sim_console_puts(tl_sim *s, const char *text) { put(s, 0, text); }
void tl_sim_console_err(tl_sim *s, const char *text) { put(s, 1, text); }

void tl_sim_console_printf(tl_sim *s, const char *fmt, ...)
{
    tl_console *c = s->console;
    if (!c || !c->open || c->mute[0] > 0 || s->task_depth > 0)
        return;
    tl_buf b = TL_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    tl_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (tl_buf_status(&b) == TL_OK)
        tl_sim_console_puts(s, tl_buf_cstr(&b));
    tl_buf_free(&b);
}

tl_status tl_sim_note(tl_sim *s, const char *fmt, ...)
{
    if (s->quiet)
        return TL_OK;
    if (!s->console) {
        s->console = tl_calloc(1, sizeof *s->console);
        if (!s->console)
            return TL_E_NOMEM;
        tl_buf_init(&s->console->all_notes);
    }
    tl_console *c = s->console;
    tl_buf b = TL_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    tl_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    tl_buf_putc(&b, '\n');
    if (c->open)
        tl_buf_puts(&c->v[c->n - 1].notes, tl_buf_cstr(&b));
    tl_buf_printf(&c->all_notes, "$.steps[%zu]: %s", s->cur ? s->cur->file_index : (size_t)0,
                  tl_buf_cstr(&b));
    tl_status st = tl_buf_status(&b);
    tl_buf_free(&b);
    if (st == TL_OK && c->open)
        st = tl_buf_status(&c->v[c->n - 1].notes);
    if (st == TL_OK)
        st = tl_buf_status(&c->all_notes);
    return st;
}

const char *tl_sim_console_step_notes(const tl_sim *s, size_t file_index)
{
    const tl_console *c = s->console;
    if (!c || !c->n || c->open || c->v[c->n - 1].step != file_index)
        return NULL;
    return tl_buf_cstr(&c->v[c->n - 1].notes);
}

tl_status tl_sim_notes_text(const tl_sim *s, char **out)
{
    *out = tl_strdup(s->console ? tl_buf_cstr(&s->console->all_notes) : "");
    return *out ? TL_OK : TL_E_NOMEM;
}

const char *tl_sim_console_step(const tl_sim *s, size_t file_index, int *exit_code)
{
    const tl_console *c = s->console;
    if (!c || !c->n || c->open || c->v[c->n - 1].step != file_index)
        return NULL;
    *exit_code = c->v[c->n - 1].exit_code;
    return tl_buf_cstr(&c->v[c->n - 1].out);
}

tl_status tl_sim_console_json(const tl_sim *s, char **out)
{
    const tl_console *c = s->console;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return TL_E_NOMEM;
    for (size_t i = 0; c && i < c->n; i++) {
        const crec *r = &c->v[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || tl_buf_status(&r->out) != TL_OK) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return TL_E_NOMEM;
        }
        cJSON_AddItemToArray(arr, o);
        if (!cJSON_AddNumberToObject(o, "step", (double)r->step) ||
            !cJSON_AddStringToObject(o, "command", r->command) ||
            !cJSON_AddNumberToObject(o, "exit_code", r->exit_code) ||
            !cJSON_AddStringToObject(o, "output", tl_buf_cstr(&r->out))) {
            cJSON_Delete(arr);
            return TL_E_NOMEM;
        }
        if (r->notes.len) { /* tasklab's notes, one string each */
            cJSON *na = cJSON_AddArrayToObject(o, "notes");
            for (const char *p = tl_buf_cstr(&r->notes); na && *p;) {
                const char *nl = strchr(p, '\n');
                size_t l = nl ? (size_t)(nl - p) : strlen(p);
                char *one = tl_strndup(p, l);
                cJSON *str = one ? cJSON_CreateString(one) : NULL;
                tl_free(one);
                if (!str) {
                    na = NULL;
                    break;
                }
                cJSON_AddItemToArray(na, str);
                p = nl ? nl + 1 : p + l;
            }
            if (!na) {
                cJSON_Delete(arr);
                return TL_E_NOMEM;
            }
        }
    }
    char *txt = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!txt)
        return TL_E_NOMEM;
    *out = tl_strdup(txt);
    cJSON_free(txt);
    return *out ? TL_OK : TL_E_NOMEM;
}

tl_status tl_sim_console_text(const tl_sim *s, char **out)
{
    const tl_console *c = s->console;
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; c && i < c->n; i++) {
        const crec *r = &c->v[i];
        long long us = (long long)r->at;
        tl_buf_printf(&b, "%s$.steps[%zu] at +%lld.%03lld s, %s\n", i ? "\n" : "", r->step,
                      us / 1000000, (us / 1000) % 1000, r->who);
        /* a multi-line command (a PowerShell script) keeps its lines, each after "> " */
        for (const char *p = r->command; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n && p[n - 1] == '\r')
                n--;
            tl_buf_printf(&b, "> %.*s\n", (int)n, p);
            p = nl ? nl + 1 : NULL;
        }
        tl_buf_puts(&b, tl_buf_cstr(&r->out));
        if (r->out.len && r->out.data[r->out.len - 1] != '\n')
            tl_buf_putc(&b, '\n');
        for (const char *p = tl_buf_cstr(&r->notes); *p;) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            tl_buf_printf(&b, "[tasklab] %.*s\n", (int)l, p);
            p = nl ? nl + 1 : p + l;
        }
        tl_buf_printf(&b, "exit code %d\n", r->exit_code);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&b);
    if (!*out)
        *out = tl_strdup("");
    return *out ? TL_OK : TL_E_NOMEM;
}
