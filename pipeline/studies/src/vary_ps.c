/* SPDX-License-Identifier: MIT */
/*
 * The PowerShell spellings of tasklab vary (evasion.md §2.4): powershell.exe's own
 * option characters and prefixes, -EncodedCommand, and, in the script, backticks in
 * command names, a command name built by concatenation, and the icim alias. Each rewrites
 * one step's command and leaves the task unchanged, so the variant must give the same
 * task state as the original (vary's equivalence check).
 *
 *   powershell.exe -NoProfile -Command "Register-ScheduledTask ..."
 *     ps-dash    powershell.exe –NoProfile /Command "..."       (U+2013 U+2014 U+2015 /)
 *     ps-prefix  powershell.exe -nopro -c "..."                 (a prefix or an acronym)
 *     ps-enc     powershell.exe -NoProfile -EncodedCommand UgBlAGcA...
 *   Register-ScheduledTask -TaskName x ...   (typed in PowerShell, or inside -Command)
 *     ps-tick    Reg`ist`er-ScheduledTask ...   (never before 0 a b e f n r t u v)
 *     ps-concat  & ('Register-Sche'+'duledTask') ...
 *     icim       icim ... for Invoke-CimMethod ...
 *
 * Only Windows PowerShell 5.1 (powershell.exe) lines: the sheet measured its options.
 * Statements are found by a small scanner that skips quoted strings and here-strings, so
 * a name inside a string (a task's XML) is never touched.
 */
#include "vary_int.h"

#include <ctype.h>
#include <string.h>

/* powershell.exe's options: full name, then the spellings ps-prefix may use (unique
 * prefixes from the shortest measured one, acronyms) [V AF, WCO, B21]. */
static const struct {
    const char *name;
    const char *const alt[6];
} ps_opts[] = {
    {"noprofile", {"nop", "nopr", "noprof", NULL}},
    {"noninteractive", {"noni", "nonint", "noninter", NULL}},
    {"command", {"c", "com", "comm", NULL}},
    {"encodedcommand", {"e", "en", "enc", "encodedc", "ec", NULL}},
    {"executionpolicy", {"ex", "exec", "ep", NULL}},
    {"windowstyle", {"w", "win", "window", NULL}},
    {"file", {"f", "fi", NULL}},
    {"nologo", {"nol", "nolog", NULL}},
    {"noexit", {"noe", "noex", NULL}},
    {"inputformat", {"if", NULL}},
    {"workingdirectory", {"wd", NULL}},
};

/* ---- powershell.exe's command line -------------------------------------------------- */

/* The option a token names (index into ps_opts), -1 otherwise; *skip = its option
 * character's byte length. */
static int opt_of(const char *t, size_t n, size_t *skip)
{
    *skip = 0;
    if (n >= 2 && (t[0] == '-' || t[0] == '/'))
        *skip = 1;
    if (!*skip)
        return -1;
    size_t k = n - *skip;
    for (size_t i = 0; i < sizeof ps_opts / sizeof ps_opts[0]; i++) {
        if (k == strlen(ps_opts[i].name) && !tl_strncasecmp(t + *skip, ps_opts[i].name, k))
            return (int)i;
        for (size_t a = 0; ps_opts[i].alt[a]; a++)
            if (k == strlen(ps_opts[i].alt[a]) && !tl_strncasecmp(t + *skip, ps_opts[i].alt[a], k))
                return (int)i;
    }
    return -1;
}

/* A line starting powershell[.exe] (a bare name or a quoted full path), then options. */
static int ps_program(const char *line, size_t *prog_end)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *s = p, *e;
    if (*p == '"') {
        e = strchr(p + 1, '"');
        if (!e)
            return 0;
        s = p + 1;
        *prog_end = (size_t)(e + 1 - line);
    } else {
        e = p + strcspn(p, " \t");
        *prog_end = (size_t)(e - line);
    }
    const char *b = s;
    for (const char *q = s; q < e; q++)
        if (*q == '\\')
            b = q + 1;
    size_t n = (size_t)(e - b);
    return (n == 10 && !tl_strncasecmp(b, "powershell", 10)) ||
           (n == 14 && !tl_strncasecmp(b, "powershell.exe", 14));
}

static void b64_utf16(const char *s, tl_buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /* UTF-8 to UTF-16LE, then base64 */
    tl_buf u = TL_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned long cp = *p;
        int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
        if (extra)
            cp &= 0x3fu >> extra;
        p++;
        for (int k = 0; k < extra && (*p & 0xc0) == 0x80; k++)
            cp = cp << 6 | (*p++ & 0x3fu);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unsigned hi = 0xd800 + (unsigned)(cp >> 10), lo = 0xdc00 + (unsigned)(cp & 0x3ff);
            tl_buf_putc(&u, (char)(hi & 0xff));
            tl_buf_putc(&u, (char)(hi >> 8));
            tl_buf_putc(&u, (char)(lo & 0xff));
            tl_buf_putc(&u, (char)(lo >> 8));
        } else {
            tl_buf_putc(&u, (char)(cp & 0xff));
            tl_buf_putc(&u, (char)(cp >> 8));
        }
    }
    const unsigned char *d = (const unsigned char *)u.data;
    for (size_t i = 0; i < u.len; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < u.len ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < u.len ? d[i + 2] : 0);
        tl_buf_putc(out, tab[v >> 18 & 63]);
        tl_buf_putc(out, tab[v >> 12 & 63]);
        tl_buf_putc(out, i + 1 < u.len ? tab[v >> 6 & 63] : '=');
        tl_buf_putc(out, i + 2 < u.len ? tab[v & 63] : '=');
    }
    tl_buf_free(&u);
}

/* ps-dash, ps-prefix, ps-enc on a powershell.exe line read by cmd.exe or CreateProcess. */
static char *ps_cmdline(const char *line, int vt, tl_rng *rng)
{
    size_t pe;
    if (!ps_program(line, &pe))
        return NULL;
    tl_buf b = TL_BUF_INIT;
    tl_buf_append(&b, line, pe);
    const char *p = line + pe;
    int changed = 0;
    for (;;) {
        const char *w = p;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *e = p + strcspn(p, " \t");
        size_t skip;
        int o = *p ? opt_of(p, (size_t)(e - p), &skip) : -1;
        if (o < 0) {
            tl_buf_puts(&b, w); /* the command text (or a value): unchanged */
            break;
        }
        tl_buf_append(&b, w, (size_t)(p - w));
        const char *name = ps_opts[o].name;
        if (vt == TL_VT_PS_ENC && (!strcmp(name, "command"))) {
            /* -Command "<script>" or -Command <script words>: the script as PowerShell
             * gets it (one quoted string, or no quotes at all) */
            const char *rest = e;
            while (*rest == ' ' || *rest == '\t')
                rest++;
            size_t rl = strlen(rest);
            tl_buf script = TL_BUF_INIT;
            if (rl >= 2 && rest[0] == '"' && rest[rl - 1] == '"' &&
                !memchr(rest + 1, '"', rl - 2))
                tl_buf_append(&script, rest + 1, rl - 2);
            else if (!strchr(rest, '"'))
                tl_buf_puts(&script, rest);
            if (!script.len || strpbrk(tl_buf_cstr(&script), "%^")) {
                tl_buf_free(&script);
                break;
            }
            tl_buf_append(&b, p, skip);
            tl_buf_puts(&b, "EncodedCommand ");
            b64_utf16(tl_buf_cstr(&script), &b);
            tl_buf_free(&script);
            changed = 1;
            p = rest + rl;
            break;
        }
        if (vt == TL_VT_PS_DASH) {
            static const char *const dashes[] = {"/", "\xE2\x80\x93", "\xE2\x80\x94",
                                                 "\xE2\x80\x95"};
            tl_buf_puts(&b, dashes[tl_rng_below(rng, 4)]);
            tl_buf_append(&b, p + skip, (size_t)(e - p - skip));
            changed = 1;
        } else if (vt == TL_VT_PS_PREFIX) {
            size_t na = 0;
            while (ps_opts[o].alt[na])
                na++;
            const char *alt = ps_opts[o].alt[tl_rng_below(rng, na)];
            tl_buf_append(&b, p, skip);
            tl_buf_puts(&b, alt);
            changed |= (size_t)(e - p - skip) != strlen(alt) ||
                       tl_strncasecmp(p + skip, alt, strlen(alt));
        } else {
            tl_buf_append(&b, p, (size_t)(e - p));
        }
        p = e;
        /* an option's value */
        if (strcmp(name, "noprofile") && strcmp(name, "noninteractive") &&
            strcmp(name, "nologo") && strcmp(name, "noexit") && strcmp(name, "command")) {
            const char *v = p;
            while (*v == ' ' || *v == '\t')
                v++;
            const char *ve = v + strcspn(v, " \t");
            tl_buf_append(&b, p, (size_t)(ve - p));
            p = ve;
            if (!strcmp(name, "file") || !strcmp(name, "encodedcommand")) {
                tl_buf_puts(&b, p);
                break;
            }
        }
    }
    if (!changed || tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}

/* ---- the script ----------------------------------------------------------------------- */

/* The commands ps-tick, ps-concat and icim rewrite where they stand as a command. */
static const char *const cmdlets[] = {
    "Register-ScheduledTask",  "New-ScheduledTaskAction",  "New-ScheduledTaskTrigger",
    "New-ScheduledTaskPrincipal", "New-ScheduledTaskSettingsSet", "New-ScheduledTask",
    "Set-ScheduledTask",       "Invoke-CimMethod",         NULL};

static int name_ch(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Rewrite each command-position cmdlet name of script (outside strings and here-strings).
 * end: the script's end (a -Command text inside quotes ends before the closing quote). */
static int ps_script(const char *s, size_t len, int vt, tl_rng *rng, tl_buf *out)
{
    int changed = 0, cmdpos = 1;
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        /* here-string @' ... '@ / @" ... "@: copied whole */
        if (c == '@' && i + 1 < len && (s[i + 1] == '\'' || s[i + 1] == '"') &&
            i + 2 < len && (s[i + 2] == '\n' || s[i + 2] == '\r')) {
            char q = s[i + 1];
            size_t j = i + 2;
            while (j + 1 < len && !(s[j] == '\n' && s[j + 1] == q && j + 2 < len && s[j + 2] == '@'))
                j++;
            j = j + 3 <= len ? j + 3 : len;
            tl_buf_append(out, s + i, j - i);
            i = j;
            cmdpos = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < len && s[j] != c)
                j += s[j] == '`' && c == '"' && j + 1 < len ? 2 : 1;
            j = j < len ? j + 1 : len;
            tl_buf_append(out, s + i, j - i);
            i = j;
            cmdpos = 0;
            continue;
        }
        if (c == '\n' || c == ';' || c == '(' || c == '|' || c == '{') {
            tl_buf_putc(out, c);
            i++;
            cmdpos = 1;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            tl_buf_putc(out, c);
            i++;
            continue;
        }
        if (c == '$') { /* $x = Cmdlet ...: the value after '=' is in command position */
            size_t j = i + 1;
            while (j < len && name_ch(s[j]))
                j++;
            size_t k = j;
            while (k < len && (s[k] == ' ' || s[k] == '\t'))
                k++;
            if (k < len && s[k] == '=' && (k + 1 >= len || s[k + 1] != '=')) {
                tl_buf_append(out, s + i, k + 1 - i);
                i = k + 1;
                cmdpos = 1;
                continue;
            }
        }
        size_t j = i;
        while (j < len && name_ch(s[j]))
            j++;
        if (j == i) {
            tl_buf_putc(out, c);
            i++;
            cmdpos = 0;
            continue;
        }
        size_t n = j - i;
        int hit = -1;
        for (int k = 0; cmdpos && cmdlets[k]; k++)
            if (strlen(cmdlets[k]) == n && !tl_strncasecmp(s + i, cmdlets[k], n))
                hit = k;
        if (hit < 0 || (vt == TL_VT_ICIM && strcmp(cmdlets[hit], "Invoke-CimMethod"))) {
            tl_buf_append(out, s + i, n);
        } else if (vt == TL_VT_ICIM) {
            tl_buf_puts(out, "icim");
            changed = 1;
        } else if (vt == TL_VT_PS_TICK) {
            /* a backtick before some letters, never before an escape letter
             * (0 a b f n r t v, PowerShell 6+: e u) nor the first one */
            int ticks = 0;
            for (size_t k = 0; k < n; k++) {
                char ch = s[i + k];
                if (k && isalpha((unsigned char)ch) && !strchr("abfnrtveuABFNRTVEU", ch) &&
                    tl_rng_below(rng, 3) == 0) {
                    tl_buf_putc(out, '`');
                    ticks++;
                }
                tl_buf_putc(out, ch);
            }
            changed |= ticks > 0;
        } else { /* ps-concat */
            size_t cut = 1 + (size_t)tl_rng_below(rng, n - 1);
            tl_buf_puts(out, "& ('");
            tl_buf_append(out, s + i, cut);
            tl_buf_puts(out, "'+'");
            tl_buf_append(out, s + i + cut, n - cut);
            tl_buf_puts(out, "')");
            changed = 1;
        }
        i = j;
        cmdpos = 0;
    }
    return changed;
}

char *tl_vary_ps_apply(int ps_shell, const char *line, int vt, tl_rng *rng)
{
    if (vt == TL_VT_PS_DASH || vt == TL_VT_PS_PREFIX || vt == TL_VT_PS_ENC)
        return ps_shell ? NULL : ps_cmdline(line, vt, rng);
    if (vt != TL_VT_PS_TICK && vt != TL_VT_PS_CONCAT && vt != TL_VT_ICIM)
        return NULL;
    tl_buf b = TL_BUF_INIT;
    int changed = 0;
    if (ps_shell) {
        changed = ps_script(line, strlen(line), vt, rng, &b);
    } else {
        /* powershell.exe [options] -Command "<script>": the script inside the quotes,
         * where cmd.exe passes it on unchanged (no quotes, carets or % inside) */
        size_t pe;
        if (!ps_program(line, &pe))
            return NULL;
        const char *p = line + pe;
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            const char *e = p + strcspn(p, " \t");
            size_t skip;
            int o = *p ? opt_of(p, (size_t)(e - p), &skip) : -1;
            if (o < 0 || !strcmp(ps_opts[o].name, "encodedcommand") ||
                !strcmp(ps_opts[o].name, "file"))
                return NULL;
            p = e;
            if (!strcmp(ps_opts[o].name, "command"))
                break;
            if (strcmp(ps_opts[o].name, "noprofile") && strcmp(ps_opts[o].name, "noninteractive") &&
                strcmp(ps_opts[o].name, "nologo") && strcmp(ps_opts[o].name, "noexit")) {
                while (*p == ' ' || *p == '\t')
                    p++;
                p += strcspn(p, " \t");
            }
        }
        while (*p == ' ' || *p == '\t')
            p++;
        size_t rl = strlen(p);
        if (rl < 2 || p[0] != '"' || p[rl - 1] != '"' || memchr(p + 1, '"', rl - 2) ||
            memchr(p, '%', rl) || memchr(p, '^', rl))
            return NULL;
        tl_buf_append(&b, line, (size_t)(p + 1 - line));
        tl_buf sc = TL_BUF_INIT;
        changed = ps_script(p + 1, rl - 2, vt, rng, &sc);
        /* inside cmd's quotes a new '&' or '|' is plain text; '(' ')' ' too */
        tl_buf_puts(&b, tl_buf_cstr(&sc));
        tl_buf_free(&sc);
        tl_buf_putc(&b, '"');
    }
    if (!changed || tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}
