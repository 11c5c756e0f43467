/* SPDX-License-Identifier: MIT */
/*
 * Process launching and cmd.exe.
 *
 * tl_sim_exec() is CreateProcess: the first token of the command line names the
 * image (bare names of system tools resolve to System32, PowerShell to
 * System32\WindowsPowerShell\v1.0; a 32-bit parent sees SysWOW64 images
 * while CommandLine keeps what was typed), Event 1 is produced, and the
 * image's interpreter runs (schtasks, reg, at, cmd, powershell, GhostTask);
 * any other image only produces its process.
 *
 * cmd.exe lines (tl_cmd_run_line): %VAR% expansion, then splitting on & && ||
 * and | outside quotes with ^ escapes removed, redirections (> >> 2>&1)
 * stripped (a > target becomes a file written by cmd.exe), builtins (echo,
 * set, cd, rem, start …) run without a process. cmd builds a child's command
 * line as "<program token> <rest of the line>", the rest keeping its leading
 * space, hence the double space Sysmon shows ("schtasks  /create …",
 * windows.md §1.5).
 */
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '\\');
    return b ? b + 1 : p;
}

static const char *const sys32_tools[] = {
    "schtasks",  "reg",     "cmd",      "at",         "calc",     "notepad",  "rundll32",
    "regsvr32",  "mshta",   "wscript",  "cscript",    "whoami",   "ping",     "net",
    "net1",      "sc",      "tasklist", "taskkill",   "conhost",  "certutil", "bitsadmin",
    "wmic",      "msiexec", "ipconfig", "systeminfo", "hostname", "cleanmgr", "eventvwr",
    "compmgmt",  "mmc",     "timeout",  "find",       "findstr",  "svchost",  "taskhostw",
    "usoclient", "sppsvc",  "forfiles", "netsh",      NULL};

/* Resolve the program token to an image path (owned). */
static char *resolve_image(tl_exec_ctx *c, const char *tok)
{
    char *exp = tl_sim_expand_env(c->s, c->user, tok);
    if (!exp)
        return NULL;
    tl_buf b = TL_BUF_INIT;
    const char *bn = base_name(exp);
    int has_ext = strchr(bn, '.') != NULL;
    if (strchr(exp, '\\') || strchr(exp, ':')) {
        tl_buf_puts(&b, exp);
    } else {
        char name[64];
        size_t n = strcspn(exp, ".");
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, exp, n);
        name[n] = 0;
        int known = 0;
        for (size_t i = 0; sys32_tools[i]; i++)
            if (tl_strcasecmp(sys32_tools[i], name) == 0)
                known = 1;
        if (tl_strcasecmp(name, "powershell") == 0)
            tl_buf_puts(&b, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\");
        else if (known || !c->s->procs[c->parent].cwd)
            tl_buf_puts(&b, "C:\\Windows\\System32\\");
        else {
            const char *cwd = c->s->procs[c->parent].cwd;
            tl_buf_puts(&b, cwd);
            if (cwd[0] && cwd[strlen(cwd) - 1] != '\\')
                tl_buf_putc(&b, '\\');
        }
        tl_buf_puts(&b, exp);
    }
    if (!has_ext)
        tl_buf_puts(&b, ".exe");
    tl_free(exp);
    return tl_buf_take(&b);
}

/* File types whose "open" verb tasklab knows, with Windows 10's stock command
 * (HKLM\SOFTWARE\Classes\<ProgID>\shell\open\command). Not in the facts sheets:
 * from Windows' default associations [A]. */
static const struct {
    const char *ext, *progid, *command;
} file_types[] = {
    {".msc", "mscfile", "\"%SystemRoot%\\system32\\mmc.exe\" \"%1\" %*"},
    {".vbs", "VBSFile", "\"%SystemRoot%\\System32\\WScript.exe\" \"%1\" %*"},
    {".vbe", "VBEFile", "\"%SystemRoot%\\System32\\WScript.exe\" \"%1\" %*"},
    {".js", "JSFile", "\"%SystemRoot%\\System32\\WScript.exe\" \"%1\" %*"},
    {".jse", "JSEFile", "\"%SystemRoot%\\System32\\WScript.exe\" \"%1\" %*"},
    {".wsf", "WSFFile", "\"%SystemRoot%\\System32\\WScript.exe\" \"%1\" %*"},
    {".ps1", "Microsoft.PowerShellScript.1", "\"C:\\Windows\\System32\\notepad.exe\" \"%1\""},
    {".txt", "txtfile", "%SystemRoot%\\system32\\NOTEPAD.EXE %1"},
};

/* The (Default) string of a key's value, or NULL. */
static const char *reg_default(tl_sim *s, const char *npath)
{
    tl_regkey *k = tl_reg_find(s, npath);
    tl_regval *v = k ? tl_reg_val_find(k, "") : NULL;
    if (!v || (v->type != TL_REG_SZ && v->type != TL_REG_EXPAND_SZ) || !v->data)
        return NULL;
    return (const char *)v->data;
}

tl_status tl_sim_shell_open(tl_sim *s, size_t user, const char *path, const char *args,
                            int for_task, char **image, char **cmdline)
{
    tl_status st = TL_OK;
    tl_buf cl = TL_BUF_INIT, key = TL_BUF_INIT;
    char *exp = NULL;
    char **argv = NULL;
    size_t argc = 0;
    *image = *cmdline = NULL;
    const char *bn = base_name(path);
    const char *dot = strrchr(bn, '.');
    if (!dot)
        return TL_E_NOTFOUND;
    if (!tl_strcasecmp(dot, ".bat") || !tl_strcasecmp(dot, ".cmd")) {
        if (!for_task)
            return TL_E_NOTFOUND;
        /* CreateProcess on a batch file starts the command interpreter; the quoting
         * is what Sysmon shows for scheduled batch files [A] */
        tl_buf_printf(&cl, "C:\\Windows\\system32\\cmd.exe /c \"\"%s\" %s\"", path,
                      args ? args : "");
        TL_TRY(tl_buf_status(&cl));
        TL_TRY_ALLOC(*image = tl_strdup("C:\\Windows\\System32\\cmd.exe"));
        *cmdline = tl_buf_take(&cl);
        goto cleanup;
    }
    size_t t;
    for (t = 0; t < sizeof file_types / sizeof file_types[0]; t++)
        if (!tl_strcasecmp(dot, file_types[t].ext))
            break;
    if (t == sizeof file_types / sizeof file_types[0])
        return TL_E_NOTFOUND;
    /* HKCR as the user sees it: HKU\<SID>_Classes over HKLM\SOFTWARE\Classes */
    const char *tmpl = NULL;
    if (user != 0) {
        tl_buf_printf(&key, "HKU\\%s_Classes\\%s\\shell\\open\\command", s->users[user].sid,
                      file_types[t].progid);
        TL_TRY(tl_buf_status(&key));
        tmpl = reg_default(s, tl_buf_cstr(&key));
    }
    if (!tmpl) {
        tl_buf_reset(&key);
        tl_buf_printf(&key, "HKCR\\%s\\shell\\open\\command", file_types[t].progid);
        TL_TRY(tl_buf_status(&key));
        tmpl = reg_default(s, tl_buf_cstr(&key));
    }
    if (!tmpl)
        tmpl = file_types[t].command;
    TL_TRY_ALLOC(exp = tl_sim_expand_env(s, user, tmpl));
    /* %1 / %L: the document; %*: its arguments */
    for (const char *p = exp; *p; p++) {
        if (p[0] == '%' && (p[1] == '1' || p[1] == 'L' || p[1] == 'l')) {
            tl_buf_puts(&cl, path);
            p++;
        } else if (p[0] == '%' && p[1] == '*') {
            tl_buf_puts(&cl, args ? args : "");
            p++;
        } else {
            tl_buf_putc(&cl, *p);
        }
    }
    TL_TRY(tl_buf_status(&cl));
    {
        /* no trailing blanks left by an empty %* */
        size_t n = cl.len;
        while (n && cl.data[n - 1] == ' ')
            n--;
        TL_TRY_ALLOC(*cmdline = tl_strndup(tl_buf_cstr(&cl), n));
    }
    TL_TRY(tl_argv_split(*cmdline, &argv, &argc));
    if (argc == 0) {
        st = TL_E_NOTFOUND;
        goto cleanup;
    }
    TL_TRY_ALLOC(*image = tl_strdup(argv[0]));
    /* the kernel's path names the volume by its DOS letter, upper case [A] */
    if ((*image)[0] && (*image)[1] == ':' && (*image)[0] >= 'a' && (*image)[0] <= 'z')
        (*image)[0] = (char)((*image)[0] - 'a' + 'A');
cleanup:
    if (st != TL_OK) {
        tl_free(*image);
        tl_free(*cmdline);
        *image = *cmdline = NULL;
    }
    tl_argv_free(argv, argc);
    tl_free(exp);
    tl_buf_free(&cl);
    tl_buf_free(&key);
    return st;
}

static int is_name(const char *image, const char *n)
{
    return tl_strcasecmp(base_name(image), n) == 0;
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

/* Script of powershell.exe -Command / -c / -EncodedCommand, or NULL. */
static char *ps_payload(char **argv, size_t argc, int *err)
{
    *err = 0;
    for (size_t i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' && a[0] != '/') {
            /* a bare script text */
            tl_buf b = TL_BUF_INIT;
            for (size_t j = i; j < argc; j++) {
                if (j > i)
                    tl_buf_putc(&b, ' ');
                tl_buf_puts(&b, argv[j]);
            }
            return tl_buf_take(&b);
        }
        const char *sw = a + 1;
        if (!tl_strcasecmp(sw, "Command") || !tl_strcasecmp(sw, "c") || !tl_strcasecmp(sw, "com")) {
            tl_buf b = TL_BUF_INIT;
            for (size_t j = i + 1; j < argc; j++) {
                if (j > i + 1)
                    tl_buf_putc(&b, ' ');
                tl_buf_puts(&b, argv[j]);
            }
            return tl_buf_take(&b);
        }
        if (!tl_strcasecmp(sw, "EncodedCommand") || !tl_strcasecmp(sw, "enc") ||
            !tl_strcasecmp(sw, "e") || !tl_strcasecmp(sw, "ec")) {
            if (i + 1 >= argc) {
                *err = 1;
                return NULL;
            }
            /* base64 of UTF-16LE */
            const char *s = argv[i + 1];
            size_t n = strlen(s);
            unsigned char *bin = tl_malloc(n + 1);
            size_t k = 0;
            unsigned acc = 0;
            int bits = 0;
            if (!bin)
                return NULL;
            for (size_t j = 0; j < n; j++) {
                int v = s[j] >= 'A' && s[j] <= 'Z'   ? s[j] - 'A'
                        : s[j] >= 'a' && s[j] <= 'z' ? s[j] - 'a' + 26
                        : s[j] >= '0' && s[j] <= '9' ? s[j] - '0' + 52
                        : s[j] == '+'                ? 62
                        : s[j] == '/'                ? 63
                                                     : -1;
                if (s[j] == '=')
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
            if (tl_utf16le_to_utf8(bin, k, &out, NULL) != TL_OK)
                out = NULL;
            tl_free(bin);
            return out;
        }
        /* switches with a value */
        if (!tl_strcasecmp(sw, "ExecutionPolicy") || !tl_strcasecmp(sw, "ep") ||
            !tl_strcasecmp(sw, "WindowStyle") || !tl_strcasecmp(sw, "w") ||
            !tl_strcasecmp(sw, "File") || !tl_strcasecmp(sw, "Version"))
            i++;
    }
    return NULL;
}

/* Launch image with cmdline from ctx->parent; run its interpreter. */
static tl_status launch(tl_exec_ctx *c, const char *image, const char *cmdline, int *rc)
{
    tl_status st;
    tl_sim *s = c->s;
    char **argv = NULL;
    size_t argc = 0;
    char *payload = NULL;
    int entered = 0;
    long proc;
    if (tl_utf16_units(cmdline) > TL_LIMIT_CMDLINE_CHARS - 1) {
        /* CreateProcess refuses it (ERROR_FILENAME_EXCED_RANGE): no process, no event;
         * the caller sees a failure (cmd: "The filename or extension is too long.",
         * errorlevel 1) */
        *rc = 1;
        return TL_OK;
    }
    TL_TRY(tl_sim_work_command(s));
    if (s->exec_depth >= TL_LIMIT_EXEC_DEPTH)
        return tl_sim_step_error(s, c->d, TL_E_LIMIT,
                                 "processes nested deeper than %d levels (cmd /c, powershell -c "
                                 "... inside one another; tasklab's limit, TL_LIMIT_EXEC_DEPTH)",
                                 TL_LIMIT_EXEC_DEPTH);
    tl_sim_tick(s, 15000, 60000);
    int save_wow = 0;
    if (c->wow64 && c->parent >= 0) {
        save_wow = s->procs[c->parent].wow64;
        s->procs[c->parent].wow64 = 1;
    }
    st = tl_sim_proc_create(s, c->parent, c->user, c->integrity, image, cmdline, c->cwd, &proc);
    if (c->wow64 && c->parent >= 0)
        s->procs[c->parent].wow64 = save_wow;
    if (st != TL_OK)
        return st;
    TL_TRY(tl_argv_split(cmdline, &argv, &argc));
    *rc = 0;
    tl_exec_ctx sub = *c;
    sub.parent = proc;
    sub.wow64 = 0;
    sub.cwd = NULL;
    s->exec_depth++;
    entered = 1;
    if (is_name(image, "schtasks.exe")) {
        TL_TRY(tl_sim_image_load(s, proc, "C:\\Windows\\System32\\taskschd.dll"));
        TL_TRY(tl_cmd_schtasks(&sub, proc, argv, argc, rc));
    } else if (is_name(image, "reg.exe")) {
        TL_TRY(tl_cmd_reg(&sub, proc, argv, argc, rc));
    } else if (is_name(image, "at.exe")) {
        TL_TRY(tl_cmd_at(&sub, proc, argv, argc, rc));
    } else if (is_name(image, "GhostTask.exe")) {
        TL_TRY(tl_cmd_ghosttask(&sub, proc, argv, argc, rc));
    } else if (is_name(image, "cmd.exe")) {
        payload = cmd_payload(cmdline);
        if (payload)
            TL_TRY(tl_cmd_run_line(&sub, proc, payload, rc));
    } else if (is_name(image, "powershell.exe") || is_name(image, "pwsh.exe")) {
        int err = 0;
        payload = ps_payload(argv, argc, &err);
        if (err) {
            st = tl_sim_step_error(s, c->d, TL_E_PARSE, "powershell: invalid -EncodedCommand");
            goto cleanup;
        }
        if (payload)
            TL_TRY(tl_ps_run_script(&sub, proc, payload, rc));
    }
    st = TL_OK;
cleanup:
    if (entered)
        s->exec_depth--;
    tl_argv_free(argv, argc);
    tl_free(payload);
    return st;
}

tl_status tl_sim_launch(tl_exec_ctx *c, const char *image, const char *cmdline, int *rc)
{
    return launch(c, image, cmdline, rc);
}

tl_status tl_sim_exec(tl_exec_ctx *c, const char *cmdline, int *rc)
{
    char **argv = NULL;
    size_t argc = 0;
    tl_status st = tl_argv_split(cmdline, &argv, &argc);
    if (st != TL_OK)
        return st;
    if (argc == 0) {
        tl_argv_free(argv, argc);
        return tl_sim_step_error(c->s, c->d, TL_E_PARSE, "empty command line");
    }
    char *image = resolve_image(c, argv[0]);
    tl_argv_free(argv, argc);
    if (!image)
        return TL_E_NOMEM;
    st = launch(c, image, cmdline, rc);
    tl_free(image);
    return st;
}

/* ---- cmd.exe ------------------------------------------------------------------ */

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
            st = tl_cmd_run_line(c, cmdproc, line, rc);
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

static tl_status run_simple(tl_exec_ctx *c, long cmdproc, const char *text, int *rc)
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
    TL_TRY_ALLOC(image = resolve_image(c, tok));
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
            st = launch(&sub, simg, scl, rc);
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
    tl_buf_append(&cl, ts, (size_t)(p - ts));
    if (*p) {
        tl_buf_putc(&cl, ' ');
        tl_buf_puts(&cl, p);
    }
    TL_TRY(tl_buf_status(&cl));
    {
        tl_exec_ctx sub = *c;
        sub.parent = cmdproc;
        TL_TRY(launch(&sub, image, tl_buf_cstr(&cl), rc));
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

tl_status tl_cmd_run_line(tl_exec_ctx *c, long cmdproc, const char *line, int *rc)
{
    tl_status st;
    seg *segs = NULL;
    size_t nseg = 0;
    tl_buf cur = TL_BUF_INIT;
    st = tl_sim_work_command(c->s);
    if (st != TL_OK)
        return st;
    char *exp = tl_sim_expand_env(c->s, c->user, line);
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
