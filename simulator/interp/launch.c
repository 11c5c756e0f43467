/* SPDX-License-Identifier: MIT */
/*
 * Process launching.
 *
 * tl_sim_exec() is CreateProcess: the first token of the command line names the
 * image (bare names of system tools resolve to System32, PowerShell to
 * System32\WindowsPowerShell\v1.0; a 32-bit parent sees SysWOW64 images
 * while CommandLine keeps what was typed), Event 1 is produced, and the
 * image's interpreter, found in the dispatch table (dispatch.c), runs
 * (schtasks, reg, at, cmd, powershell, GhostTask); any other image only
 * produces its process.
 *
 * tl_sim_shell_open() is ShellExecute's "open" of a document: the command
 * of its file type.
 */
#include <stdio.h>
#include <string.h>

#include "interp.h"

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
char *tl_sim_resolve_image(tl_exec_ctx *c, const char *tok)
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
        else if (tl_strcasecmp(name, "wmic") == 0) /* found through PATH's System32\Wbem */
            tl_buf_puts(&b, "C:\\Windows\\System32\\wbem\\");
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

/* Launch image with cmdline from ctx->parent; run its interpreter. */
static tl_status launch(tl_exec_ctx *c, const char *image, const char *cmdline, int *rc)
{
    tl_status st;
    tl_sim *s = c->s;
    char **argv = NULL;
    size_t argc = 0;
    int entered = 0;
    long proc;
    if (tl_utf16_units(cmdline) > TL_LIMIT_CMDLINE_CHARS - 1) {
        /* CreateProcess refuses it (ERROR_FILENAME_EXCED_RANGE): no process, no event;
         * the caller sees a failure (cmd: "The filename or extension is too long.",
         * errorlevel 1) */
        *rc = 1;
        return TL_OK;
    }
    if (tl_sim_program_absent(s, image)) {
        /* not installed on this build (WMIC on 24H2): CreateProcess finds no file, no
         * process; cmd says it is not recognized (errorlevel 9009) */
        *rc = 9009;
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
    /* a renamed copy of schtasks.exe runs as schtasks (evasion.md 4: whether a copy runs
     * outside System32 is not established, 5.4; tasklab chooses that it does) */
    const tl_interp *in = tl_interp_find(tl_sim_image_origin(s, image));
    if (in && in->run)
        TL_TRY(in->run(&sub, proc, cmdline, argv, argc, rc));
    st = TL_OK;
cleanup:
    if (entered)
        s->exec_depth--;
    tl_argv_free(argv, argc);
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
    char *image = tl_sim_resolve_image(c, argv[0]);
    tl_argv_free(argv, argc);
    if (!image)
        return TL_E_NOMEM;
    st = launch(c, image, cmdline, rc);
    tl_free(image);
    return st;
}
