/* SPDX-License-Identifier: MIT */
/*
 * cmd.exe.
 *
 * cmd.exe /c|/k <line> (tl_interp_cmd) and lines typed into a running cmd.exe
 * (tl_interp_cmd_line): %VAR% expansion, then splitting on & && || and |
 * outside quotes with ^ escapes removed, redirections (> >> 2>&1) stripped (a
 * > target becomes a file written by cmd.exe), builtins (echo, set, cd, rem,
 * start …) run without a process, batch files run line by line in the same
 * cmd.exe. cmd builds a child's command line as "<program token> <rest of the
 * line>", the rest keeping its leading space, hence the double space Sysmon
 * shows ("schtasks  /create …", windows.md §1.5). Programs are started through
 * the launcher (tl_sim_launch), never by calling their interpreter.
 */
#include <stdio.h>
#include <string.h>

#include "evasion_int.h"
#include "interpreters.h"

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '\\');
    return b ? b + 1 : p;
}

/* Command line of cmd.exe: the text after /c or /k, with cmd's quote rule. */
static char *cmd_payload(const char *cl)
{
    const char *p = cl;
    /* skip argv0 */
    while (*p == ' ')
        p++;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        p = q ? q + 1 : p + strlen(p);
    } else {
        while (*p && *p != ' ' && *p != '/')
            p++;
    }
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '/')
            return NULL;
        char sw = (char)(p[1] | 0x20);
        if (sw == 'c' || sw == 'k') {
            p += 2;
            break;
        }
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += p[i] == '"';
    if (n >= 2 && p[0] == '"') {
        const char *close = strchr(p + 1, '"');
        int keep = quotes == 2 && close && close[1] != 0 && memchr(p, ' ', (size_t)(close - p));
        if (!keep) {
            const char *last = strrchr(p, '"');
            tl_buf b = TL_BUF_INIT;
            if (last == p) { /* a lone opening quote: drop it */
                tl_buf_puts(&b, p + 1);
            } else {
                tl_buf_append(&b, p + 1, (size_t)(last - p - 1));
                tl_buf_puts(&b, last + 1);
            }
            return tl_buf_take(&b);
        }
    }
    return tl_strdup(p);
}

typedef struct seg {
    char *text;
    int op; /* operator BEFORE this segment: 0 first/&, 1 &&, 2 ||, 3 | */
} seg;

static const char *const builtins[] = {
    "echo", "set",   "cd",   "chdir", "rem",  "start",    "call",     "exit", "if",
    "for",  "pushd", "popd", "title", "cls",  "setlocal", "endlocal", "ver",  "type",
    "dir",  "copy",  "del",  "erase", "move", "mkdir",    "md",       "goto", NULL};

/* Strip redirections from a simple command; return output targets. */
static tl_status strip_redirs(const char *in, char **cmd, char **target)
{
    tl_buf b = TL_BUF_INIT, t = TL_BUF_INIT;
    int inq = 0;
    *target = NULL;
    for (const char *p = in; *p;) {
        if (*p == '"')
            inq = !inq;
        if (!inq && (*p == '>' || *p == '<' ||
                     ((*p == '1' || *p == '2') && p[1] == '>' && (p == in || p[-1] == ' ')))) {
            int out = *p != '<';
            if (*p == '1' || *p == '2')
                p++;
            p++;
            if (*p == '>')
                p++;
            if (*p == '&') { /* 2>&1 */
                p++;
                while (*p >= '0' && *p <= '9')
                    p++;
                continue;
            }
            while (*p == ' ')
                p++;
            tl_buf_reset(&t);
            int q = 0;
            while (*p && (q || *p != ' ')) {
                if (*p == '"')
                    q = !q;
                else
                    tl_buf_putc(&t, *p);
                p++;
            }
            if (out && t.len && tl_strcasecmp(tl_buf_cstr(&t), "nul") != 0) {
                tl_free(*target);
                *target = tl_strdup(tl_buf_cstr(&t));
            }
            continue;
        }
        tl_buf_putc(&b, *p++);
    }
    while (b.len && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\t'))
        b.data[--b.len] = 0;
    tl_buf_free(&t);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    *cmd = tl_buf_take(&b);
    return *cmd ? TL_OK : TL_E_NOMEM;
}

/* A batch file typed at cmd.exe (or named by a task action, through cmd /c): its
 * lines run in the same cmd.exe. A file the endpoint does not have is cmd's
 * "is not recognized" (exit 1). Nesting is bounded, as cmd's own stack is. */
static tl_status run_batch(tl_exec_ctx *c, long cmdproc, const char *path, int *rc)
{
    tl_status st = TL_OK;
    char *text = NULL;
    const tl_vfile *f = tl_fs_find(c->s, path);
    *rc = 1;
    if (!f)
        return TL_OK;
    if (c->s->batch_depth >= TL_LIMIT_BATCH_DEPTH)
        return tl_sim_step_error(c->s, c->d, TL_E_LIMIT,
                                 "batch files nested deeper than %d levels (%s runs itself or "
                                 "another batch file; tasklab's limit, TL_LIMIT_BATCH_DEPTH)",
                                 TL_LIMIT_BATCH_DEPTH, path);
    TL_TRY(tl_text_decode(f->data, f->len, &text));
    c->s->batch_depth++;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (line[0] && line[0] != ':') {
            st = tl_interp_cmd_line(c, cmdproc, line, rc);
            if (st != TL_OK)
                break;
        }
        line = nl ? nl + 1 : NULL;
    }
    c->s->batch_depth--;
cleanup:
    tl_free(text);
    return st;
}

/* Which of the command's streams end up away from the console, from its redirections
 * in order (> and 1> stdout, 2> stderr, 2>&1 / 1>&2 follow the other stream; >nul too). */
static void redir_streams(const char *in, int away[2])
{
    int inq = 0;
    away[0] = away[1] = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '"')
            inq = !inq;
        if (inq || *p != '>')
            continue;
        int fd = (p > in && (p[-1] == '1' || p[-1] == '2') && (p - 1 == in || p[-2] == ' '))
                     ? p[-1] - '1'
                     : 0;
        const char *q = p + 1;
        if (*q == '>')
            q++;
        if (*q == '&' && (q[1] == '1' || q[1] == '2')) {
            away[fd] = away[q[1] - '1'];
            p = q + 1;
            continue;
        }
        away[fd] = 1;
        p = q - 1;
    }
}

/* An endpoint path as cmd.exe resolves it against its working directory (owned). */
static char *cmd_abs_path(const tl_sim *s, long cmdproc, const char *p)
{
    const char *cwd = cmdproc >= 0 && s->procs[cmdproc].cwd ? s->procs[cmdproc].cwd
                                                            : "C:\\Windows\\system32\\";
    tl_buf b = TL_BUF_INIT;
    if (p[0] && p[1] == ':')
        tl_buf_puts(&b, p);
    else if (p[0] == '\\') {
        tl_buf_append(&b, cwd, 2); /* the working directory's drive */
        tl_buf_puts(&b, p);
    } else {
        tl_buf_puts(&b, cwd);
        if (b.len && b.data[b.len - 1] != '\\')
            tl_buf_putc(&b, '\\');
        tl_buf_puts(&b, p);
    }
    return tl_buf_take(&b);
}

/* copy [/y /-y /b /a /v /d /n /z /l] source [destination]: one file (no wildcards, no
 * '+'). A stock program (C:\Windows\System32\schtasks.exe) copied elsewhere stays that
 * program (tl_sim_file_copy: a renamed schtasks.exe, evasion.md 4). A destination that
 * ends in '\' or names an existing folder gets the source's file name. cmd prints
 * "        1 file(s) copied." (errorlevel 0) or, for a missing source, "The system
 * cannot find the file specified." and "        0 file(s) copied." (errorlevel 1) [A:
 * the fact sheets are silent on copy's output]. */
static tl_status cmd_copy(tl_exec_ctx *c, long cmdproc, const char *args, int *rc)
{
    tl_status st = TL_OK;
    char **argv = NULL;
    size_t argc = 0;
    char *src = NULL, *dst = NULL;
    const char *names[2] = {NULL, NULL};
    size_t nn = 0;
    TL_TRY(tl_argv_split(args, &argv, &argc));
    for (size_t i = 0; i < argc; i++) {
        if (argv[i][0] == '/' || argv[i][0] == '+' || !argv[i][0])
            continue;
        if (nn < 2)
            names[nn++] = argv[i];
    }
    *rc = 1;
    if (!nn) {
        tl_sim_console_err(c->s, "The syntax of the command is incorrect.\r\n");
        goto cleanup;
    }
    TL_TRY_ALLOC(src = cmd_abs_path(c->s, cmdproc, names[0]));
    {
        const char *sb = strrchr(src, '\\');
        sb = sb ? sb + 1 : src;
        tl_buf d = TL_BUF_INIT;
        char *dd = cmd_abs_path(c->s, cmdproc, nn > 1 ? names[1] : ".");
        TL_TRY_ALLOC(dd);
        tl_buf_puts(&d, dd);
        size_t dl = strlen(dd);
        int folder = nn < 2 || (dl && dd[dl - 1] == '\\') || tl_sim_dir_exists(c->s, dd);
        tl_free(dd);
        if (folder) {
            if (d.len && d.data[d.len - 1] != '\\')
                tl_buf_putc(&d, '\\');
            tl_buf_puts(&d, sb);
        }
        TL_TRY_ALLOC(dst = tl_buf_take(&d));
    }
    int denied = tl_sim_file_denied(c->s, cmdproc, dst);
    if (denied < 0)
        TL_FAIL(TL_E_NOMEM);
    if (denied) {
        tl_sim_console_err(c->s, "Access is denied.\r\n");
        tl_sim_console_puts(c->s, "        0 file(s) copied.\r\n");
        goto cleanup;
    }
    st = tl_sim_file_copy(c->s, cmdproc, src, dst);
    if (st == TL_E_NOTFOUND) {
        st = TL_OK;
        tl_sim_console_err(c->s, "The system cannot find the file specified.\r\n");
        tl_sim_console_puts(c->s, "        0 file(s) copied.\r\n");
        goto cleanup;
    }
    TL_TRY(st);
    tl_sim_console_puts(c->s, "        1 file(s) copied.\r\n");
    *rc = 0;
cleanup:
    tl_argv_free(argv, argc);
    tl_free(src);
    tl_free(dst);
    return st;
}

static tl_status run_simple_inner(tl_exec_ctx *c, long cmdproc, const char *text, int *rc);

/* A simple command: what it prints reaches the console unless redirected (console.c). */
static tl_status run_simple(tl_exec_ctx *c, long cmdproc, const char *text, int *rc)
{
    int away[2];
    redir_streams(text, away);
    for (int i = 0; i < 2; i++)
        if (away[i])
            tl_sim_console_mute(c->s, i, 1);
    tl_status st = run_simple_inner(c, cmdproc, text, rc);
    for (int i = 0; i < 2; i++)
        if (away[i])
            tl_sim_console_mute(c->s, i, -1);
    return st;
}

static tl_status run_simple_inner(tl_exec_ctx *c, long cmdproc, const char *text, int *rc)
{
    tl_status st;
    char *cmd = NULL, *target = NULL, *tok = NULL, *image = NULL;
    tl_buf cl = TL_BUF_INIT;
    TL_TRY(strip_redirs(text, &cmd, &target));
    const char *p = cmd;
    while (*p == ' ' || *p == '\t' || *p == '@' || *p == '(')
        p++;
    if (!*p)
        goto done;
    const char *ts = p;
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        p = q ? q + 1 : p + strlen(p);
        TL_TRY_ALLOC(tok = tl_strndup(ts + 1, (size_t)(p - ts - (q ? 2 : 1))));
    } else {
        while (*p && *p != ' ' && *p != '\t' && *p != '/' && *p != ',' && *p != ';' && *p != '=')
            p++;
        TL_TRY_ALLOC(tok = tl_strndup(ts, (size_t)(p - ts)));
    }
    for (size_t i = 0; builtins[i]; i++)
        if (tl_strcasecmp(tok, builtins[i]) == 0) {
            if (tl_strcasecmp(tok, "set") == 0) {
                /* set name=value: stored in this cmd.exe (evasion.md §2.5) */
                const char *q = p;
                while (*q == ' ' || *q == '\t')
                    q++;
                int quoted = *q == '"';
                if (quoted)
                    q++;
                const char *eq = strchr(q, '=');
                if (eq && eq > q && *q != '/') {
                    char *name = tl_strndup(q, (size_t)(eq - q));
                    const char *ve = eq + 1 + strlen(eq + 1);
                    if (quoted && ve > eq + 1 && ve[-1] == '"')
                        ve--;
                    char *value = tl_strndup(eq + 1, (size_t)(ve - eq - 1));
                    st = name && value ? tl_ev_cmd_set(c->s, cmdproc, name, value) : TL_E_NOMEM;
                    tl_free(name);
                    tl_free(value);
                    TL_TRY(st);
                }
                *rc = 0;
                goto done;
            }
            if (tl_strcasecmp(tok, "call") == 0) {
                /* call: the rest is expanded a second time, then run (evasion.md §2.5;
                 * the child's command line follows the §3.1 rule [A: §3.1 leaves call open]) */
                const char *q = p;
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q && *q != ':') {
                    char *again = tl_ev_cmd_expand(c->s, c->user, cmdproc, q, '%');
                    TL_TRY_ALLOC(again);
                    st = run_simple(c, cmdproc, again, rc);
                    tl_free(again);
                    goto cleanup;
                }
            }
            if (tl_strcasecmp(tok, "copy") == 0) {
                st = cmd_copy(c, cmdproc, p, rc);
                if (st != TL_OK)
                    goto cleanup;
                goto done;
            }
            if (tl_strcasecmp(tok, "start") == 0) {
                /* start [/min|/b|...] ["title"] program args */
                const char *q = p;
                for (;;) {
                    while (*q == ' ')
                        q++;
                    if (*q == '/') {
                        while (*q && *q != ' ')
                            q++;
                        continue;
                    }
                    if (*q == '"') { /* title */
                        const char *e = strchr(q + 1, '"');
                        if (e && (e[1] == ' ' || !e[1])) {
                            q = e + 1;
                            continue;
                        }
                    }
                    break;
                }
                if (*q) {
                    tl_exec_ctx sub = *c;
                    sub.parent = cmdproc;
                    st = tl_sim_exec(&sub, q, rc);
                    goto cleanup;
                }
            }
            *rc = 0;
            goto done;
        }
    TL_TRY_ALLOC(image = tl_sim_resolve_image(c, tok));
    {
        /* a document, not a program: cmd.exe hands it to ShellExecute */
        char *simg = NULL, *scl = NULL;
        const char *args = p;
        while (*args == ' ' || *args == '\t')
            args++;
        st = tl_sim_shell_open(c->s, c->user, image, args, 0, &simg, &scl);
        if (st == TL_OK) {
            tl_exec_ctx sub = *c;
            sub.parent = cmdproc;
            st = tl_sim_launch(&sub, simg, scl, rc);
            tl_free(simg);
            tl_free(scl);
            TL_TRY(st);
            goto done;
        }
        if (st != TL_E_NOTFOUND)
            goto cleanup;
        st = TL_OK;
    }
    {
        /* a batch file runs inside this cmd.exe, line by line; no process */
        const char *dot = strrchr(base_name(image), '.');
        if (dot && (!tl_strcasecmp(dot, ".bat") || !tl_strcasecmp(dot, ".cmd"))) {
            TL_TRY(run_batch(c, cmdproc, image, rc));
            goto done;
        }
    }
    if (tl_sim_program_absent(c->s, image)) {
        tl_sim_console_err(c->s, "'");
        tl_sim_console_err(c->s, tok);
        tl_sim_console_err(c->s, "' is not recognized as an internal or external command,\r\n"
                                 "operable program or batch file.\r\n");
        *rc = 9009;
        goto done;
    }
    tl_buf_append(&cl, ts, (size_t)(p - ts));
    if (*p) {
        tl_buf_putc(&cl, ' ');
        tl_buf_puts(&cl, p);
    }
    TL_TRY(tl_buf_status(&cl));
    {
        tl_exec_ctx sub = *c;
        sub.parent = cmdproc;
        TL_TRY(tl_sim_launch(&sub, image, tl_buf_cstr(&cl), rc));
    }
done:
    if (target) {
        char *exp = tl_sim_expand_env(c->s, c->user, target);
        TL_TRY_ALLOC(exp);
        int denied = exp[1] == ':' ? tl_sim_file_denied(c->s, cmdproc, exp) : 0;
        if (denied < 0)
            st = TL_E_NOMEM;
        else if (denied)
            *rc = 1; /* "Access is denied.": nothing is written, cmd goes on */
        else if (exp[1] == ':')
            st = tl_sim_file_write(c->s, cmdproc, exp, "", 0);
        tl_free(exp);
        TL_TRY(st);
    }
    st = TL_OK;
cleanup:
    tl_free(cmd);
    tl_free(target);
    tl_free(tok);
    tl_free(image);
    tl_buf_free(&cl);
    return st;
}

tl_status tl_interp_cmd_line(tl_exec_ctx *c, long cmdproc, const char *line, int *rc)
{
    tl_status st;
    seg *segs = NULL;
    size_t nseg = 0;
    tl_buf cur = TL_BUF_INIT;
    st = tl_sim_work_command(c->s);
    if (st != TL_OK)
        return st;
    /* phase 1: %var%, %var:~s,l%, %var:a=b% over the whole line (evasion.md §2.5) */
    char *exp = tl_ev_cmd_expand(c->s, c->user, cmdproc, line, '%');
    int delayed = cmdproc >= 0 && c->s->procs[cmdproc].cmdline &&
                  tl_ev_cmd_delayed(c->s->procs[cmdproc].cmdline);
    if (!exp)
        return TL_E_NOMEM;
    int inq = 0, op = 0;
    TL_TRY_ALLOC(segs = tl_calloc(strlen(exp) + 1, sizeof *segs));
    for (const char *p = exp;; p++) {
        int end = *p == 0;
        int nop = -1;
        size_t adv = 0;
        if (!end && *p == '"')
            inq = !inq;
        if (!end && !inq && *p == '^') {
            if (p[1]) {
                tl_buf_putc(&cur, p[1]);
                p++;
            }
            continue;
        }
        if (!end && !inq) {
            if (p[0] == '&' && p[1] == '&')
                nop = 1, adv = 1;
            else if (p[0] == '|' && p[1] == '|')
                nop = 2, adv = 1;
            else if (p[0] == '&' && !(p > exp && p[-1] == '>'))
                nop = 0;
            else if (p[0] == '|')
                nop = 3;
        }
        if (end || nop >= 0) {
            TL_TRY(tl_buf_status(&cur));
            segs[nseg].op = op;
            TL_TRY_ALLOC(segs[nseg].text = tl_strdup(tl_buf_cstr(&cur)));
            nseg++;
            tl_buf_reset(&cur);
            if (end)
                break;
            op = nop;
            p += adv;
            continue;
        }
        tl_buf_putc(&cur, *p);
    }
    if (inq) {
        /* cmd tolerates an unbalanced quote: the rest is one argument */
    }
    int last = 0;
    for (size_t i = 0; i < nseg; i++) {
        if (segs[i].op == 1 && last != 0)
            continue;
        if (segs[i].op == 2 && last == 0)
            continue;
        const char *t = segs[i].text;
        while (*t == ' ')
            t++;
        if (!*t) {
            if (segs[i].op != 0 || i + 1 < nseg)
                continue;
            continue;
        }
        if (delayed) {
            /* phase 5: !var! when the command runs, after the `set`s before it */
            char *dx = tl_ev_cmd_expand(c->s, c->user, cmdproc, segs[i].text, '!');
            TL_TRY_ALLOC(dx);
            st = run_simple(c, cmdproc, dx, &last);
            tl_free(dx);
            TL_TRY(st);
            continue;
        }
        TL_TRY(run_simple(c, cmdproc, segs[i].text, &last));
    }
    *rc = last;
    st = TL_OK;
cleanup:
    for (size_t i = 0; i < nseg; i++)
        tl_free(segs[i].text);
    tl_free(segs);
    tl_buf_free(&cur);
    tl_free(exp);
    return st;
}

tl_status tl_interp_cmd(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                        int *rc)
{
    (void)argv;
    (void)argc;
    char *payload = cmd_payload(cmdline);
    if (!payload)
        return TL_OK;
    tl_status st = tl_interp_cmd_line(c, proc, payload, rc);
    tl_free(payload);
    return st;
}
