/* SPDX-License-Identifier: MIT */
/*
 * wmic.exe [global switches] <alias | path <class>> <verb> ... (evasion.md §2.6).
 *
 * What T1053 uses it for:
 *   wmic process call create "<command line>"[,"<directory>"]
 *       Win32_Process.Create (wmi.c): the command line starts verbatim under
 *       WmiPrvSE.exe, so `wmic process call create "schtasks /create ..."`
 *       gives schtasks a WmiPrvSE.exe parent (§2.6 [A], §3.3 [A]).
 *   wmic job call create "<command>",<DaysOfMonth>,<DaysOfWeek>,
 *                        <InteractWithDesktop>,<RunRepeatedly>,"<StartTime>"
 *       Win32_ScheduledJob.Create (wmi.c), subject to at.exe's EnableAt gate
 *       (§2.6, §4). wmic passes a method's in-parameters positionally in
 *       alphabetical order of their names (hence this order) [A].
 * `path win32_process` / `path win32_scheduledjob` name the classes directly.
 * Other aliases and verbs (os get, service list, ...) change nothing here.
 *
 * Spellings (§2.6, ArgFuscator's wmic model, 10.0.22621.2792): global switches
 * take `/` or `-` (`-node:localhost`); look-alike letters in aliases and verbs —
 * small capitals (ᴘʀᴏᴄᴇss), superscripts (ᵖʳᵒᶜᵉˢˢ), subscripts (ₚᵣₒcₑₛₛ),
 * fullwidth (ｐｒｏｃｅｓｓ). WCO (Windows 10 2004) found none of these, so the
 * sheet treats them as Windows 11 23H2 only: builds 22621 and 22631, which share
 * the measured binaries [A]; elsewhere a look-alike is an unknown alias or verb
 * and `-node:` an unknown global switch. ASCII case is free on every build
 * (wmic's names are case-insensitive). The model's exact map is not in the sheet
 * ("the full map is in the model"): tasklab folds the Unicode small capital,
 * modifier (superscript), subscript and fullwidth forms of the Latin letters [A].
 *
 * Availability (§2.6 [S]): WMIC is deprecated since 21H1 but installed on
 * Windows 10 and on by default on Windows 11 up to 23H2; new 24H2 installs
 * (build 26100 and later, Server 2025 too) do not have it: cmd says it is not
 * recognized (tl_sim_program_absent, launch.c).
 *
 * Output (the sheets are silent on it [A]): a method call prints
 *   Executing (Win32_Process)->Create()
 *   Method execution successful.
 *   Out Parameters:
 *   instance of __PARAMETERS
 *   {
 *           ProcessId = 1234;
 *           ReturnValue = 0;
 *   };
 * and exits 0 (a non-zero ReturnValue is the method's, wmic still succeeded).
 * An unknown alias prints "<alias> - Alias not found.", an unknown verb
 * "Invalid alias verb.", an unknown global switch "Invalid Global Switch.",
 * each exit 1 [A]. /node:<another host> is not simulated (a note, exit 0).
 */
#include <stdio.h>
#include <string.h>

#include "interpreters.h"

/* Windows 11 23H2, the build ArgFuscator measured (22H2 22621 ships the same binaries). */
static int win11_23h2(const tl_sim *s)
{
    const char *b = s->sc->os_build ? s->sc->os_build : "";
    unsigned maj = 0, min = 0, build = 0;
    if (sscanf(b, "%u.%u.%u", &maj, &min, &build) != 3)
        return 0;
    return maj == 10 && (build == 22621 || build == 22631);
}

/* The Latin letter (lower case) a look-alike code point stands for, or 0. */
static char lookalike(unsigned long cp)
{
    static const struct {
        unsigned short cp;
        char c;
    } map[] = {
        /* small capitals */
        {0x1D00, 'a'}, {0x0299, 'b'}, {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0xA730, 'f'},
        {0x0262, 'g'}, {0x029C, 'h'}, {0x026A, 'i'}, {0x1D0A, 'j'}, {0x1D0B, 'k'}, {0x029F, 'l'},
        {0x1D0D, 'm'}, {0x0274, 'n'}, {0x1D0F, 'o'}, {0x1D18, 'p'}, {0xA7AF, 'q'}, {0x0280, 'r'},
        {0xA731, 's'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'}, {0x1D21, 'w'}, {0x028F, 'y'},
        {0x1D22, 'z'},
        /* superscripts (modifier letters) */
        {0x1D43, 'a'}, {0x1D47, 'b'}, {0x1D9C, 'c'}, {0x1D48, 'd'}, {0x1D49, 'e'}, {0x1DA0, 'f'},
        {0x1D4D, 'g'}, {0x02B0, 'h'}, {0x2071, 'i'}, {0x02B2, 'j'}, {0x1D4F, 'k'}, {0x02E1, 'l'},
        {0x1D50, 'm'}, {0x207F, 'n'}, {0x1D52, 'o'}, {0x1D56, 'p'}, {0x02B3, 'r'}, {0x02E2, 's'},
        {0x1D57, 't'}, {0x1D58, 'u'}, {0x1D5B, 'v'}, {0x2C7D, 'v'}, {0x02B7, 'w'}, {0x02E3, 'x'},
        {0x02B8, 'y'}, {0x1DBB, 'z'},
        /* subscripts */
        {0x2090, 'a'}, {0x2091, 'e'}, {0x2095, 'h'}, {0x1D62, 'i'}, {0x2C7C, 'j'}, {0x2096, 'k'},
        {0x2097, 'l'}, {0x2098, 'm'}, {0x2099, 'n'}, {0x2092, 'o'}, {0x209A, 'p'}, {0x1D63, 'r'},
        {0x209B, 's'}, {0x209C, 't'}, {0x1D64, 'u'}, {0x1D65, 'v'}, {0x2093, 'x'},
    };
    if (cp >= 0xFF21 && cp <= 0xFF3A) /* fullwidth A-Z */
        return (char)('a' + (cp - 0xFF21));
    if (cp >= 0xFF41 && cp <= 0xFF5A) /* fullwidth a-z */
        return (char)('a' + (cp - 0xFF41));
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].cp == cp)
            return map[i].c;
    return 0;
}

/* 1 when word (UTF-8, as typed) names `name` (ASCII lower case): case-insensitively,
 * and with look-alike letters folded when `fold`. */
static int word_is(const char *word, const char *name, int fold)
{
    const char *p = word;
    const char *n = name;
    while (*p && *n) {
        unsigned char ch = (unsigned char)*p;
        char got;
        if (ch < 0x80) {
            got = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            p++;
        } else {
            unsigned long cp = 0;
            size_t k = tl_utf8_decode(p, strlen(p), &cp);
            if (!k || !fold)
                return 0;
            got = lookalike(cp);
            if (!got)
                return 0;
            p += k;
        }
        if (got != *n)
            return 0;
        n++;
    }
    return !*p && !*n;
}

/* The next token of wmic's command line at *pp: white space separates, "..."
 * groups (the quotes are kept). Owned; NULL at the end (or NOMEM: *oom). */
static char *next_token(const char **pp, int *oom)
{
    const char *p = *pp;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) {
        *pp = p;
        return NULL;
    }
    const char *b = p;
    int q = 0;
    while (*p && (q || (*p != ' ' && *p != '\t'))) {
        if (*p == '"')
            q = !q;
        p++;
    }
    *pp = p;
    char *t = tl_strndup(b, (size_t)(p - b));
    if (!t)
        *oom = 1;
    return t;
}

/* Remove the quotes of a token in place. */
static void unquote(char *t)
{
    char *w = t;
    for (const char *r = t; *r; r++)
        if (*r != '"')
            *w++ = *r;
    *w = 0;
}

/* A method's in-parameters: comma-separated values (quotes group, then go). */
#define MAX_PARAMS 8
static tl_status split_params(const char *p, char *out[MAX_PARAMS], size_t *n)
{
    *n = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p && *n < MAX_PARAMS) {
        const char *b = p;
        int q = 0;
        while (*p && (q || *p != ',')) {
            if (*p == '"')
                q = !q;
            p++;
        }
        const char *e = p;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        char *v = tl_strndup(b, (size_t)(e - b));
        if (!v)
            return TL_E_NOMEM;
        unquote(v);
        out[(*n)++] = v;
        if (*p == ',')
            p++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    return TL_OK;
}

static unsigned long num_param(const char *v)
{
    if (!v)
        return 0;
    if (!tl_strcasecmp(v, "true"))
        return 1;
    unsigned long x = 0;
    for (const char *p = v; *p >= '0' && *p <= '9'; p++)
        x = x * 10 + (unsigned long)(*p - '0');
    return x;
}

static const char *const global_switches[] = {
    "namespace", "role",     "node",      "implevel", "authlevel", "locale",
    "privileges", "trace",   "record",    "interactive", "failfast", "user",
    "password",  "output",   "append",    "aggregate", "authority", NULL};

/* Aliases that exist but do nothing for T1053 here. */
static const char *const other_aliases[] = {
    "os", "computersystem", "service", "startup", "qfe", "useraccount", "group", "share",
    "product", "nic", "nicconfig", "logicaldisk", "bios", "cpu", "environment", "sysaccount",
    "nteventlog", "volume", "diskdrive", "printer", "desktop", "baseboard", "memorychip", NULL};

tl_status tl_interp_wmic(tl_exec_ctx *c, long proc, const char *cmdline, char **argv, size_t argc,
                         int *rc)
{
    (void)proc;
    (void)argv;
    (void)argc;
    tl_sim *s = c->s;
    tl_status st = TL_OK;
    int oom = 0, fold = win11_23h2(s);
    char *tok = NULL, *params[MAX_PARAMS] = {0};
    size_t np = 0;
    const char *p = cmdline;
    const char *cls = NULL; /* "Win32_Process" | "Win32_ScheduledJob" */
    char *remote = NULL;
    *rc = 0;
    /* the program token */
    tl_free(next_token(&p, &oom));
    /* global switches */
    for (;;) {
        const char *save = p;
        tok = next_token(&p, &oom);
        if (oom)
            TL_FAIL(TL_E_NOMEM);
        if (!tok)
            goto cleanup; /* wmic alone: its interactive prompt, nothing here */
        if (tok[0] != '/' && tok[0] != '-') {
            p = save;
            tl_free(tok);
            tok = NULL;
            break;
        }
        char *name = tok + 1, *colon = strchr(name, ':');
        if (colon)
            *colon = 0;
        /* '-' as option character: measured on Win11 23H2 only (§2.6) */
        int known = 0;
        for (size_t i = 0; global_switches[i] && !known && (tok[0] == '/' || fold); i++)
            known = word_is(name, global_switches[i], 0);
        if (!known) {
            tl_sim_console_err(s, "Invalid Global Switch.\r\n");
            *rc = 1;
            goto cleanup;
        }
        if (word_is(name, "node", 0) && colon) {
            char *v = colon + 1;
            unquote(v);
            if (*v && tl_strcasecmp(v, "localhost") && strcmp(v, ".") &&
                strcmp(v, "127.0.0.1") && tl_strcasecmp(v, s->sc->hostname) && !remote)
                TL_TRY_ALLOC(remote = tl_strdup(v));
        }
        tl_free(tok);
        tok = NULL;
    }
    /* alias, or path <class> */
    tok = next_token(&p, &oom);
    if (oom)
        TL_FAIL(TL_E_NOMEM);
    if (word_is(tok, "process", fold))
        cls = "Win32_Process";
    else if (word_is(tok, "job", fold))
        cls = "Win32_ScheduledJob";
    else if (word_is(tok, "path", fold) || word_is(tok, "class", fold)) {
        tl_free(tok);
        tok = next_token(&p, &oom);
        if (oom)
            TL_FAIL(TL_E_NOMEM);
        if (tok)
            unquote(tok);
        if (tok && !tl_strcasecmp(tok, "win32_process"))
            cls = "Win32_Process";
        else if (tok && !tl_strcasecmp(tok, "win32_scheduledjob"))
            cls = "Win32_ScheduledJob";
        else
            goto cleanup; /* another class: nothing here */
    } else {
        for (size_t i = 0; other_aliases[i]; i++)
            if (word_is(tok, other_aliases[i], fold))
                goto cleanup;
        tl_sim_console_printf(s, "%s - Alias not found.\r\n", tok);
        *rc = 1;
        goto cleanup;
    }
    tl_free(tok);
    /* verb */
    tok = next_token(&p, &oom);
    if (oom)
        TL_FAIL(TL_E_NOMEM);
    if (!tok)
        goto cleanup; /* `wmic process`: lists them, changes nothing */
    if (!word_is(tok, "call", fold)) {
        static const char *const verbs[] = {"get", "list", "where", "delete", "set", "create",
                                            "assoc", NULL};
        for (size_t i = 0; verbs[i]; i++)
            if (word_is(tok, verbs[i], fold) || tok[0] == '(')
                goto cleanup;
        tl_sim_console_err(s, "Invalid alias verb.\r\n");
        *rc = 1;
        goto cleanup;
    }
    tl_free(tok);
    tok = next_token(&p, &oom); /* the method */
    if (oom)
        TL_FAIL(TL_E_NOMEM);
    if (!tok || tl_strcasecmp(tok, "create")) {
        tl_sim_console_printf(s, "Method %s does not exist on class %s.\r\n", tok ? tok : "",
                              cls);
        *rc = 1;
        goto cleanup;
    }
    TL_TRY(split_params(p, params, &np));
    tl_sim_console_printf(s, "Executing (%s)->Create()\r\n", cls);
    if (remote) {
        tl_sim_console_puts(s, "Method execution successful.\r\n");
        TL_TRY(tl_sim_note(s, "remote host %s not simulated: nothing created on it", remote));
        goto cleanup;
    }
    if (!strcmp(cls, "Win32_Process")) {
        unsigned pid = 0;
        int ret = 0;
        TL_TRY(tl_wmi_process_create(c, np > 0 ? params[0] : "", np > 1 ? params[1] : NULL,
                                     &pid, &ret));
        tl_sim_console_puts(s, "Method execution successful.\r\nOut Parameters:\r\n"
                               "instance of __PARAMETERS\r\n{\r\n");
        if (!ret)
            tl_sim_console_printf(s, "\tProcessId = %u;\r\n", pid);
        tl_sim_console_printf(s, "\tReturnValue = %d;\r\n};\r\n", ret);
    } else {
        /* Command, DaysOfMonth, DaysOfWeek, InteractWithDesktop, RunRepeatedly, StartTime */
        int job = 0, ret = 0;
        TL_TRY(tl_wmi_job_create(c, np > 0 ? params[0] : "", np > 5 ? params[5] : NULL,
                                 (unsigned)num_param(np > 2 ? params[2] : NULL),
                                 (unsigned)num_param(np > 1 ? params[1] : NULL), &job, &ret));
        tl_sim_console_puts(s, "Method execution successful.\r\nOut Parameters:\r\n"
                               "instance of __PARAMETERS\r\n{\r\n");
        if (!ret)
            tl_sim_console_printf(s, "\tJobId = %d;\r\n", job);
        tl_sim_console_printf(s, "\tReturnValue = %d;\r\n};\r\n", ret);
    }
cleanup:
    for (size_t i = 0; i < np; i++)
        tl_free(params[i]);
    tl_free(tok);
    tl_free(remote);
    return st;
}
