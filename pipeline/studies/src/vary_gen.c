/* SPDX-License-Identifier: MIT */
/*
 * tasklab vary, the generator: equivalent spellings of a scenario's command
 * lines, taken from ../shared/facts/evasion.md (sections and sources named in
 * tl_vt_defs). Only rows the sheet marks accepted are emitted, each only for the
 * Windows builds where it was measured; what a transformation may touch follows
 * §1 "only switch-syntax changes give the same task": switches, the program
 * token and the shell around it, never the /tn or /tr text, a reg key path, /v
 * name or /d data.
 *
 * Worked example, seed-test-task's step at an interactive cmd.exe prompt:
 *   schtasks /create /tn test-task /tr "C:\Windows\System32\calc.exe" /sc onlogon /ru System /f
 *   dash     schtasks -create -tn test-task -tr "C:\…\calc.exe" -sc onlogon -ru System -f
 *   quote    schtasks /c"rea"te /tn test-task /tr "C:\…\calc.exe" "/sc" onlogon /ru System /f
 *   caret    s^ch^tas^ks /cr^eate /tn …             (cmd removes the carets: the child is clean)
 *   delayed  cmd /v:on /c "set a=scht&&set b=asks&&!a!!b! /create /tn …"
 *   powershell (parent powershell.exe) schtasks /create /tn … (PowerShell re-quotes for the child)
 *   xml      a file step writing the task's own XML, then schtasks /create /xml FILE /tn test-task /f
 * Every random choice (which switch gets quotes, where, which letters change
 * case) comes from the variant's seed, so the same seed gives the same
 * variants.
 *
 * Parsing is deliberately narrow: a step is varied only when its command is one
 * statement starting with schtasks or reg (bare, .exe, or a full path; for
 * PowerShell also "& path"), optionally followed by redirections. Anything
 * else (a PowerShell script, a multi-command cmd line) is left as written, and
 * only the alternative creation paths can replace it.
 */
#include "vary_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const tl_vt_def tl_vt_defs[TL_VT_COUNT] = {
    [TL_VT_DASH] = {"dash", TL_VG_OPTCHAR, TL_VB_BOTH,
                    "option character '-' for '/' (schtasks, reg)", "evasion.md §2.1, §2.2 [V AF, WCO]"},
    [TL_VT_FE63] = {"fe63", TL_VG_OPTCHAR, TL_VB_W10,
                    "option character U+FE63 (small hyphen-minus)", "evasion.md §2.1 (schtasks, Win10 2004 only), §2.2 (reg) [V WCO]"},
    [TL_VT_QUOTE] = {"quote", TL_VG_TOKEN, TL_VB_BOTH,
                     "a quote pair inside a switch (/\"cr\"eate, \"/sc\")", "evasion.md §2.1, §2.2 [V AF, WCO]"},
    [TL_VT_CASE] = {"case", TL_VG_TOKEN, TL_VB_BOTH,
                    "random case of the program name, the switches and the /sc value", "evasion.md §2.1 [V AF]"},
    [TL_VT_SUPS] = {"sup-s", TL_VG_TOKEN, TL_VB_W10,
                    "U+02E2 (modifier small s) for s in a schtasks switch", "evasion.md §2.1, §0 row 4 [V WCO; other switches A]"},
    [TL_VT_REGSUP] = {"reg-sup", TL_VG_TOKEN, TL_VB_BOTH,
                      "superscript letters in reg's verb and switches (reg aᵈd /ᵛ)", "evasion.md §2.2 [V AF, B21]"},
    [TL_VT_REGINSERT] = {"reg-insert", TL_VG_TOKEN, TL_VB_BOTH,
                         "an ignorable code point inserted in reg's verb or a switch", "evasion.md §2.2 (the named code points) [V AF, B25]"},
    [TL_VT_ROOTKEY] = {"rootkey", TL_VG_TOKEN, TL_VB_BOTH,
                       "reg's long root key names (HKEY_LOCAL_MACHINE for HKLM)", "evasion.md §2.2 [S threats.md §3]"},
    [TL_VT_CARET] = {"caret", TL_VG_SHELL, TL_VB_BOTH,
                     "cmd.exe carets in the program name and switches", "evasion.md §2.5, §3.1 [S SO]"},
    [TL_VT_ENVSUB] = {"env-substring", TL_VG_SHELL, TL_VB_BOTH,
                      "a letter of the program name as %windir:~N,1% / %ComSpec:~N,1%", "evasion.md §2.5, §3.1 [S SO]"},
    [TL_VT_DELAYED] = {"delayed", TL_VG_SHELL, TL_VB_BOTH,
                       "cmd /v:on /c \"set a=..&&set b=..&&!a!!b! ...\"", "evasion.md §2.5, §3.1 [S SO]"},
    [TL_VT_CALL] = {"call", TL_VG_SHELL, TL_VB_BOTH,
                    "set a=schtasks&&call %a% ... (a second expansion)", "evasion.md §2.5 [S SO]; the child line is [A] (§3.1)"},
    [TL_VT_POWERSHELL] = {"powershell", TL_VG_LAUNCH, TL_VB_BOTH,
                          "started by Windows PowerShell 5.1 (re-quoted child line)", "evasion.md §3.2 [V PSB, S]"},
    [TL_VT_PWSH] = {"pwsh", TL_VG_LAUNCH, TL_VB_BOTH,
                    "started by PowerShell 7.3+ (pwsh.exe)", "evasion.md §3.2 [V PSP]"},
    [TL_VT_DOTNET] = {"dotnet", TL_VG_LAUNCH, TL_VB_BOTH,
                      "started by a .NET program (Process.Start: \"full path\" args)", "evasion.md §3.3 [V NFX]"},
    [TL_VT_WOW64] = {"wow64", TL_VG_WOW, TL_VB_BOTH,
                     "started by a 32-bit process (Image under SysWOW64)", "evasion.md §0 row 11, §3.3; windows.md §1.4"},
    [TL_VT_XML] = {"xml", TL_VG_ALT, TL_VB_BOTH,
                   "the same task imported with schtasks /create /xml", "evasion.md §0 row 13, §4 [V threats.md §1]"},
    [TL_VT_CMDLET] = {"cmdlet", TL_VG_ALT, TL_VB_BOTH,
                      "the same task by Register-ScheduledTask -Xml (no schtasks process)", "evasion.md §4 [V Atomic #4, windows.md §8]"},
    [TL_VT_CIM] = {"cim", TL_VG_ALT, TL_VB_BOTH,
                   "the same task by Invoke-CimMethod PS_ScheduledTask RegisterByXml", "evasion.md §4 [V Atomic #6/#8]"},
    [TL_VT_PS_DASH] = {"ps-dash", TL_VG_PSH, TL_VB_BOTH,
                       "powershell.exe options with / or U+2013/2014/2015 for -", "evasion.md §2.4 [V AF, WCO]"},
    [TL_VT_PS_PREFIX] = {"ps-prefix", TL_VG_PSH, TL_VB_BOTH,
                         "powershell.exe options as prefixes or acronyms (-nop, -c, -ec, -ep, -w)", "evasion.md §2.4 [V WCO, AF, B21]"},
    [TL_VT_PS_ENC] = {"ps-enc", TL_VG_PSH, TL_VB_BOTH,
                      "powershell.exe -Command \"...\" as -EncodedCommand <base64>", "evasion.md §2.4, §0 row 9 [S]"},
    [TL_VT_PS_TICK] = {"ps-tick", TL_VG_PSH, TL_VB_BOTH,
                       "backticks in the ScheduledTasks/CIM cmdlet names (Reg`ister-ScheduledTask)", "evasion.md §2.4 [V IOBF]"},
    [TL_VT_PS_CONCAT] = {"ps-concat", TL_VG_PSH, TL_VB_BOTH,
                         "a cmdlet name built by concatenation: & ('Register-Sched'+'uledTask')", "evasion.md §2.4 [V IOBF]"},
    [TL_VT_ICIM] = {"icim", TL_VG_PSH, TL_VB_BOTH,
                    "the alias icim for Invoke-CimMethod", "evasion.md §2.4 [V CimCmdlets.psd1]"},
};

int tl_vt_find(const char *name)
{
    for (int i = 0; i < TL_VT_COUNT; i++)
        if (tl_vt_defs[i].name && !strcmp(tl_vt_defs[i].name, name))
            return i;
    return -1;
}

/* ---- a parsed command ---------------------------------------------------------- */

enum { SH_CMD, SH_PS, SH_DIRECT };
enum { PR_SCHTASKS, PR_REG };

typedef struct vtok {
    tl_buf ws;   /* white space before the token */
    tl_buf text; /* as typed */
    int sw;      /* a switch of the program (index into its list), -1 otherwise */
    int val;     /* the value of the switch at this index (-1: none) */
} vtok;

typedef struct vcmd {
    int shell, prog;
    tl_buf lead; /* before the program token: white space, "& " for PowerShell */
    tl_buf progtok;
    vtok *t;
    size_t nt;
    tl_buf tail;
    int create; /* schtasks /create (not /xml) */
    int has_f;  /* /f given */
} vcmd;

/* schtasks switches (windows.md §7); those taking a value first. */
static const char *const sch_sw[] = {"s",  "u",  "p",  "ru", "rp", "sc", "mo",  "d",   "m",
                                     "i",  "st", "ri", "et", "du", "sd", "ed",  "tn",  "tr",
                                     "xml", "rl", "fo", "delay",
                                     /* flags */
                                     "create", "delete", "change", "run", "end", "query",
                                     "showsid", "k", "z", "f", "it", "np", "v1", "hresult", "nh",
                                     "v", "enable", "disable", NULL};
#define SCH_NVAL 22
static const char *const reg_sw[] = {"v", "t", "d", "s", "se", "ve", "f", "va", "reg:32", "reg:64",
                                     NULL};
#define REG_NVAL 4

static void vcmd_free(vcmd *c)
{
    tl_buf_free(&c->lead);
    tl_buf_free(&c->progtok);
    for (size_t i = 0; i < c->nt; i++) {
        tl_buf_free(&c->t[i].ws);
        tl_buf_free(&c->t[i].text);
    }
    tl_free(c->t);
    tl_buf_free(&c->tail);
    memset(c, 0, sizeof *c);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* The program's base name without quotes, folder and ".exe", lower case. */
static int prog_kind(const char *tok, size_t n)
{
    char b[64];
    size_t k = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (tok[i] == '\\' || tok[i] == '/')
            start = i + 1;
    for (size_t i = start; i < n && k + 1 < sizeof b; i++)
        if (tok[i] != '"')
            b[k++] = (char)tolower((unsigned char)tok[i]);
    b[k] = 0;
    if (k > 4 && !strcmp(b + k - 4, ".exe"))
        b[k - 4] = 0;
    if (!strcmp(b, "schtasks"))
        return PR_SCHTASKS;
    if (!strcmp(b, "reg"))
        return PR_REG;
    return -1;
}

static int switch_index(int prog, const char *t, size_t n)
{
    if (n < 2 || (t[0] != '/' && t[0] != '-'))
        return -1;
    const char *const *list = prog == PR_SCHTASKS ? sch_sw : reg_sw;
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n - 1 && !tl_strncasecmp(list[i], t + 1, n - 1))
            return i;
    return -1;
}

static int takes_value(int prog, int sw)
{
    return sw >= 0 && sw < (prog == PR_SCHTASKS ? SCH_NVAL : REG_NVAL);
}

static int op_char(int shell, char c)
{
    if (shell == SH_CMD)
        return c == '&' || c == '|' || c == '<' || c == '>';
    if (shell == SH_PS)
        return c == ';' || c == '|' || c == '<' || c == '>';
    return 0;
}

/* Parse one command line; 0 when it is not a form the generator varies. */
static int vcmd_parse(int shell, const char *line, vcmd *c)
{
    memset(c, 0, sizeof *c);
    c->shell = shell;
    if (strchr(line, '\n') || strchr(line, '\r'))
        return 0;
    const char *p = line;
    while (is_ws(*p))
        p++;
    if (shell == SH_PS && *p == '&') {
        p++;
        while (is_ws(*p))
            p++;
    }
    tl_buf_append(&c->lead, line, (size_t)(p - line));
    const char *q = p;
    if (*q == '"') {
        q = strchr(q + 1, '"');
        if (!q)
            return 0;
        q++;
    } else {
        while (*q && !is_ws(*q) && !op_char(shell, *q) && *q != '"')
            q++;
    }
    if (q == p || (*q && !is_ws(*q)))
        return 0;
    c->prog = prog_kind(p, (size_t)(q - p));
    if (c->prog < 0)
        return 0;
    /* a PowerShell command starting with a quoted path needs '&' */
    if (shell == SH_PS && *p == '"' && !strchr(tl_buf_cstr(&c->lead), '&'))
        return 0;
    tl_buf_append(&c->progtok, p, (size_t)(q - p));
    p = q;
    int prev_sw = -1;
    while (*p) {
        const char *w = p;
        while (is_ws(*p))
            p++;
        if (!*p) {
            tl_buf_puts(&c->tail, w);
            break;
        }
        /* a token; the tail starts at one holding an unquoted operator */
        const char *e = p;
        int inq = 0, op = 0;
        while (*e && (inq || !is_ws(*e))) {
            if (*e == '"')
                inq = !inq;
            else if (!inq && op_char(shell, *e))
                op = 1;
            e++;
        }
        if (inq)
            return 0;
        if (op) {
            tl_buf_puts(&c->tail, w);
            break;
        }
        vtok *nv = tl_realloc(c->t, (c->nt + 1) * sizeof *nv);
        if (!nv)
            return 0;
        c->t = nv;
        vtok *t = &c->t[c->nt++];
        memset(t, 0, sizeof *t);
        tl_buf_append(&t->ws, w, (size_t)(p - w));
        tl_buf_append(&t->text, p, (size_t)(e - p));
        t->sw = switch_index(c->prog, p, (size_t)(e - p));
        t->val = -1;
        if (t->sw < 0 && prev_sw >= 0)
            t->val = prev_sw;
        prev_sw = takes_value(c->prog, t->sw) ? t->sw : -1;
        if (c->prog == PR_SCHTASKS && t->sw >= 0) {
            if (!strcmp(sch_sw[t->sw], "create"))
                c->create = 1;
            if (!strcmp(sch_sw[t->sw], "f"))
                c->has_f = 1;
        }
        p = e;
    }
    if (c->prog == PR_SCHTASKS) {
        for (size_t i = 0; i < c->nt; i++)
            if (c->t[i].sw >= 0 && !strcmp(sch_sw[c->t[i].sw], "xml"))
                c->create = 0;
    }
    return tl_buf_status(&c->lead) == TL_OK && tl_buf_status(&c->progtok) == TL_OK &&
           tl_buf_status(&c->tail) == TL_OK;
}

static char *vcmd_render(const vcmd *c, int with_lead)
{
    tl_buf b = TL_BUF_INIT;
    if (with_lead)
        tl_buf_puts(&b, tl_buf_cstr(&c->lead));
    tl_buf_puts(&b, tl_buf_cstr(&c->progtok));
    for (size_t i = 0; i < c->nt; i++) {
        tl_buf_puts(&b, tl_buf_cstr(&c->t[i].ws));
        tl_buf_puts(&b, tl_buf_cstr(&c->t[i].text));
    }
    tl_buf_puts(&b, tl_buf_cstr(&c->tail));
    return tl_buf_take(&b);
}

/* Only the arguments (white space before each kept), no tail. */
static char *vcmd_args(const vcmd *c)
{
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; i < c->nt; i++) {
        tl_buf_puts(&b, tl_buf_cstr(&c->t[i].ws));
        tl_buf_puts(&b, tl_buf_cstr(&c->t[i].text));
    }
    return tl_buf_take(&b);
}

static void buf_set(tl_buf *b, const char *s)
{
    char *copy = tl_strdup(s);
    tl_buf_reset(b);
    if (copy)
        tl_buf_puts(b, copy);
    tl_free(copy);
}

/* ---- token transformations ------------------------------------------------------ */

static int qchar(unsigned char c)
{
    return isalnum(c) || c == '/' || c == '-';
}

/* The tokens a switch transformation may touch (the verb for reg counts). */
static int touchable(const vcmd *c, size_t i)
{
    if (c->t[i].sw >= 0)
        return 1;
    /* reg's verb: the first argument */
    if (c->prog == PR_REG && i == 0) {
        const char *s = tl_buf_cstr(&c->t[i].text);
        static const char *const verbs[] = {"add", "delete", "query", "import", "export", "save",
                                            "load", "unload", "restore", "copy", "compare", NULL};
        for (int k = 0; verbs[k]; k++)
            if (!tl_strcasecmp(s, verbs[k]))
                return 1;
    }
    return 0;
}

static int t_optchar(vcmd *c, const char *to)
{
    int n = 0;
    for (size_t i = 0; i < c->nt; i++) {
        if (c->t[i].sw < 0)
            continue;
        const char *s = tl_buf_cstr(&c->t[i].text);
        const char *ch = to;
        if (!to)
            ch = s[0] == '/' ? "-" : "/";
        tl_buf b = TL_BUF_INIT;
        tl_buf_puts(&b, ch);
        tl_buf_puts(&b, s + 1);
        buf_set(&c->t[i].text, tl_buf_cstr(&b));
        tl_buf_free(&b);
        n++;
    }
    return n;
}

static int t_quote(vcmd *c, tl_rng *rng)
{
    size_t cand[64], nc = 0;
    for (size_t i = 0; i < c->nt && nc < 64; i++)
        if (c->t[i].sw >= 0)
            cand[nc++] = i;
    if (!nc)
        return 0;
    int n = 0;
    for (size_t k = 0; k < nc; k++) {
        int pick = (k == nc - 1 && !n) || tl_rng_below(rng, 2);
        if (!pick)
            continue;
        const char *s = tl_buf_cstr(&c->t[cand[k]].text);
        size_t len = strlen(s);
        if (strchr(s, '"'))
            continue;
        size_t pos[64], np = 0;
        for (size_t p = 1; p < len && np < 64; p++)
            if (qchar((unsigned char)s[p - 1]) && qchar((unsigned char)s[p]))
                pos[np++] = p;
        tl_buf b = TL_BUF_INIT;
        if (np < 2 || tl_rng_below(rng, 4) == 0) {
            tl_buf_putc(&b, '"');
            tl_buf_puts(&b, s);
            tl_buf_putc(&b, '"');
        } else {
            size_t a = pos[tl_rng_below(rng, np)], z;
            do
                z = pos[tl_rng_below(rng, np)];
            while (z == a);
            if (z < a) {
                size_t t = a;
                a = z;
                z = t;
            }
            tl_buf_append(&b, s, a);
            tl_buf_putc(&b, '"');
            tl_buf_append(&b, s + a, z - a);
            tl_buf_putc(&b, '"');
            tl_buf_puts(&b, s + z);
        }
        buf_set(&c->t[cand[k]].text, tl_buf_cstr(&b));
        tl_buf_free(&b);
        n++;
    }
    return n;
}

static int flip_case(tl_buf *t, tl_rng *rng)
{
    char *s = tl_strdup(tl_buf_cstr(t));
    int n = 0;
    if (!s)
        return 0;
    for (char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalpha(ch) && ch < 128 && tl_rng_below(rng, 2)) {
            *p = (char)(islower(ch) ? toupper(ch) : tolower(ch));
            n++;
        }
    }
    buf_set(t, s);
    tl_free(s);
    return n;
}

static int t_case(vcmd *c, tl_rng *rng)
{
    int n = flip_case(&c->progtok, rng);
    for (size_t i = 0; i < c->nt; i++) {
        int sc_val = c->prog == PR_SCHTASKS && c->t[i].val >= 0 &&
                     !strcmp(sch_sw[c->t[i].val], "sc");
        if (c->t[i].sw >= 0 || sc_val || (c->prog == PR_REG && touchable(c, i)))
            n += flip_case(&c->t[i].text, rng);
    }
    if (!n && c->nt) {
        /* at least one letter changes: the first switch's first letter */
        for (size_t i = 0; i < c->nt; i++)
            if (c->t[i].sw >= 0) {
                char *s = tl_strdup(tl_buf_cstr(&c->t[i].text));
                if (s && isalpha((unsigned char)s[1])) {
                    s[1] = (char)(islower((unsigned char)s[1]) ? toupper((unsigned char)s[1])
                                                               : tolower((unsigned char)s[1]));
                    buf_set(&c->t[i].text, s);
                    n = 1;
                }
                tl_free(s);
                break;
            }
    }
    return n;
}

static int t_sups(vcmd *c, tl_rng *rng)
{
    int n = 0;
    if (c->prog != PR_SCHTASKS)
        return 0;
    for (size_t i = 0; i < c->nt; i++) {
        if (c->t[i].sw < 0)
            continue;
        const char *s = tl_buf_cstr(&c->t[i].text);
        const char *hit = NULL;
        for (const char *p = s + 1; *p; p++)
            if (*p == 's' || *p == 'S') {
                hit = p;
                break;
            }
        if (!hit || (n && tl_rng_below(rng, 2)))
            continue;
        tl_buf b = TL_BUF_INIT;
        tl_buf_append(&b, s, (size_t)(hit - s));
        tl_buf_puts(&b, "\xCB\xA2"); /* U+02E2 */
        tl_buf_puts(&b, hit + 1);
        buf_set(&c->t[i].text, tl_buf_cstr(&b));
        tl_buf_free(&b);
        n++;
    }
    return n;
}

/* evasion.md §2.2: a→ᵃ … (none for i, q) */
static const char *const sup_map[26] = {
    "\xE1\xB5\x83", "\xE1\xB5\x87", "\xE1\xB6\x9C", "\xE1\xB5\x88", "\xE1\xB5\x89", "\xE1\xB6\xA0",
    "\xE1\xB5\x8D", "\xCA\xB0",     NULL,           "\xCA\xB2",     "\xE1\xB5\x8F", "\xCB\xA1",
    "\xE1\xB5\x90", "\xE2\x81\xBF", "\xE1\xB5\x92", "\xE1\xB5\x96", NULL,           "\xCA\xB3",
    "\xCB\xA2",     "\xE1\xB5\x97", "\xE1\xB5\x98", "\xE1\xB5\x9B", "\xCA\xB7",     "\xCB\xA3",
    "\xCA\xB8",     "\xE1\xB6\xBB"};

static int t_regsup(vcmd *c, tl_rng *rng)
{
    if (c->prog != PR_REG)
        return 0;
    int n = 0;
    for (size_t i = 0; i < c->nt; i++) {
        if (!touchable(c, i))
            continue;
        const char *s = tl_buf_cstr(&c->t[i].text);
        tl_buf b = TL_BUF_INIT;
        int here = 0;
        for (const char *p = s; *p; p++) {
            unsigned char ch = (unsigned char)tolower((unsigned char)*p);
            int first = p == s;
            if (!first && ch >= 'a' && ch <= 'z' && sup_map[ch - 'a'] &&
                (tl_rng_below(rng, 2) || (!n && !here && !p[1]))) {
                tl_buf_puts(&b, sup_map[ch - 'a']);
                here++;
            } else if (first && i == 0 && ch >= 'a' && ch <= 'z' && sup_map[ch - 'a'] &&
                       tl_rng_below(rng, 2)) {
                tl_buf_puts(&b, sup_map[ch - 'a']);
                here++;
            } else {
                tl_buf_putc(&b, *p);
            }
        }
        if (here) {
            buf_set(&c->t[i].text, tl_buf_cstr(&b));
            n += here;
        }
        tl_buf_free(&b);
    }
    return n;
}

/* evasion.md §2.2, the code points it names (the unassigned ones are only in the model) */
static const unsigned reg_ins[] = {0x00AD, 0x034F, 0x061C, 0x0640, 0x180B, 0x180C, 0x180D,
                                   0x180F, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B,
                                   0x202C, 0x202D, 0x202E, 0x2060, 0x2061, 0x2062, 0x2063,
                                   0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0x206A, 0x206B,
                                   0x206C, 0x206D, 0x206E, 0x206F};

static int t_reginsert(vcmd *c, tl_rng *rng)
{
    if (c->prog != PR_REG)
        return 0;
    size_t cand[64], nc = 0;
    for (size_t i = 0; i < c->nt && nc < 64; i++)
        if (touchable(c, i) && !strchr(tl_buf_cstr(&c->t[i].text), ':'))
            cand[nc++] = i;
    if (!nc)
        return 0;
    size_t i = cand[tl_rng_below(rng, nc)];
    const char *s = tl_buf_cstr(&c->t[i].text);
    size_t len = strlen(s);
    /* after the first character, up to the end, never inside a UTF-8 sequence (an
     * earlier reg-sup may have put superscripts there) */
    size_t pos[512], np = 0;
    for (size_t p = 1; p <= len && np < 512; p++)
        if (p == len || ((unsigned char)s[p] & 0xC0) != 0x80)
            pos[np++] = p;
    if (!np)
        return 0;
    size_t at = pos[tl_rng_below(rng, np)];
    tl_buf b = TL_BUF_INIT;
    tl_buf_append(&b, s, at);
    tl_buf_put_utf8(&b, reg_ins[tl_rng_below(rng, sizeof reg_ins / sizeof reg_ins[0])]);
    tl_buf_puts(&b, s + at);
    buf_set(&c->t[i].text, tl_buf_cstr(&b));
    tl_buf_free(&b);
    return 1;
}

static int t_rootkey(vcmd *c)
{
    static const char *const roots[][2] = {{"HKLM", "HKEY_LOCAL_MACHINE"},
                                           {"HKCU", "HKEY_CURRENT_USER"},
                                           {"HKCR", "HKEY_CLASSES_ROOT"},
                                           {"HKU", "HKEY_USERS"},
                                           {"HKCC", "HKEY_CURRENT_CONFIG"}};
    if (c->prog != PR_REG || c->nt < 2)
        return 0;
    const char *s = tl_buf_cstr(&c->t[1].text);
    int q = s[0] == '"';
    for (size_t k = 0; k < 5; k++) {
        size_t n = strlen(roots[k][0]);
        if (!tl_strncasecmp(s + q, roots[k][0], n) && (s[q + n] == '\\' || s[q + n] == '"' || !s[q + n])) {
            tl_buf b = TL_BUF_INIT;
            if (q)
                tl_buf_putc(&b, '"');
            tl_buf_puts(&b, roots[k][1]);
            tl_buf_puts(&b, s + q + n);
            buf_set(&c->t[1].text, tl_buf_cstr(&b));
            tl_buf_free(&b);
            return 1;
        }
    }
    return 0;
}

/* carets outside quotes before letters (never first, never last: a caret before
 * the separating space would change the tokens) */
static int caret_tok(tl_buf *t, tl_rng *rng, int must)
{
    const char *s = tl_buf_cstr(t);
    tl_buf b = TL_BUF_INIT;
    int n = 0, inq = 0;
    size_t len = strlen(s);
    for (size_t p = 0; p < len; p++) {
        if (s[p] == '"')
            inq = !inq;
        if (p > 0 && !inq && s[p] != '"' && isalnum((unsigned char)s[p]) &&
            (tl_rng_below(rng, 2) || (must && !n && p == len - 1))) {
            tl_buf_putc(&b, '^');
            n++;
        }
        tl_buf_putc(&b, s[p]);
    }
    if (n)
        buf_set(t, tl_buf_cstr(&b));
    tl_buf_free(&b);
    return n;
}

static int t_caret(vcmd *c, tl_rng *rng)
{
    if (c->shell != SH_CMD || strchr(tl_buf_cstr(&c->progtok), '"'))
        return 0;
    int n = caret_tok(&c->progtok, rng, 1);
    for (size_t i = 0; i < c->nt; i++)
        if (c->t[i].sw >= 0)
            n += caret_tok(&c->t[i].text, rng, 0);
    return n;
}

/* The simulator's environment (sysmon_config.c's table) for the two variables used. */
static const char *const env_vars[][2] = {{"windir", "C:\\Windows"},
                                          {"ComSpec", "C:\\Windows\\system32\\cmd.exe"}};

static int t_envsub(vcmd *c, tl_rng *rng)
{
    const char *s = tl_buf_cstr(&c->progtok);
    if (c->shell != SH_CMD || strpbrk(s, "\"\\%^"))
        return 0;
    size_t len = strlen(s);
    /* candidate (position, variable, offset) with the same letter ignoring case */
    struct {
        size_t pos;
        int var;
        size_t off;
    } cand[128];
    size_t nc = 0;
    for (size_t p = 0; p < len; p++)
        for (int v = 0; v < 2; v++) {
            const char *val = env_vars[v][1];
            for (size_t o = 0; val[o] && nc < 128; o++)
                if (isalpha((unsigned char)s[p]) &&
                    tolower((unsigned char)val[o]) == tolower((unsigned char)s[p])) {
                    cand[nc].pos = p;
                    cand[nc].var = v;
                    cand[nc].off = o;
                    nc++;
                }
        }
    if (!nc)
        return 0;
    size_t k = tl_rng_below(rng, nc);
    tl_buf b = TL_BUF_INIT;
    tl_buf_append(&b, s, cand[k].pos);
    tl_buf_printf(&b, "%%%s:~%zu,1%%", env_vars[cand[k].var][0], cand[k].off);
    tl_buf_puts(&b, s + cand[k].pos + 1);
    buf_set(&c->progtok, tl_buf_cstr(&b));
    tl_buf_free(&b);
    return 1;
}

/* Arguments another shell may carry unchanged. */
static int plain_args(const vcmd *c, const char *extra_bad)
{
    for (size_t i = 0; i < c->nt; i++) {
        const char *s = tl_buf_cstr(&c->t[i].text);
        if (strpbrk(s, "^%!") || strstr(s, "\\\"") || (extra_bad && strpbrk(s, extra_bad)))
            return 0;
    }
    return 1;
}

/* Only redirection in the tail (output discarded). */
static int tail_is_redirect(const vcmd *c)
{
    const char *s = tl_buf_cstr(&c->tail);
    while (is_ws(*s))
        s++;
    return !*s || !strcmp(s, ">nul 2>&1") || !strcmp(s, ">$null 2>&1") || !strcmp(s, ">nul") ||
           !strcmp(s, "2>&1 >nul");
}

/* ---- step-level transformations ---------------------------------------------------- */

static const char *PS51 = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
static const char *PWSH = "C:\\Program Files\\PowerShell\\7\\pwsh.exe";
static const char *DOTNET = "C:\\Users\\Public\\Libraries\\updater.exe";

static int shell_of(const char *parent)
{
    if (!parent)
        return SH_CMD;
    const char *b = parent;
    for (const char *p = parent; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    if (!tl_strcasecmp(b, "cmd.exe"))
        return SH_CMD;
    if (!tl_strcasecmp(b, "powershell.exe") || !tl_strcasecmp(b, "pwsh.exe"))
        return SH_PS;
    return SH_DIRECT;
}

static const char *json_str(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static tl_status set_str(cJSON *o, const char *k, const char *v)
{
    cJSON *n = cJSON_CreateString(v);
    if (!n)
        return TL_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(o, k)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(o, k, n)) {
            cJSON_Delete(n);
            return TL_E_NOMEM;
        }
    } else if (!cJSON_AddItemToObject(o, k, n)) {
        cJSON_Delete(n);
        return TL_E_NOMEM;
    }
    return TL_OK;
}

static tl_status set_bool(cJSON *o, const char *k)
{
    cJSON *n = cJSON_CreateTrue();
    if (!n)
        return TL_E_NOMEM;
    if (cJSON_GetObjectItemCaseSensitive(o, k))
        cJSON_ReplaceItemInObjectCaseSensitive(o, k, n);
    else
        cJSON_AddItemToObject(o, k, n);
    return TL_OK;
}

static int is_x86(const cJSON *doc)
{
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(doc, "endpoint");
    const char *a = ep ? json_str(ep, "arch") : NULL;
    return a && !strcmp(a, "x86");
}

/* The task name's leaf and folder ("\\Updates\\x" -> "x", "\\Updates\\"). */
static void split_task(const char *name, tl_buf *leaf, tl_buf *folder)
{
    const char *last = strrchr(name, '\\');
    if (!last) {
        tl_buf_puts(leaf, name);
        tl_buf_puts(folder, "\\");
        return;
    }
    tl_buf_puts(leaf, last + 1);
    if (name[0] != '\\')
        tl_buf_putc(folder, '\\');
    tl_buf_append(folder, name, (size_t)(last - name) + 1);
}

static int psq_ok(const char *s)
{
    return !strchr(s, '\'');
}

/* The here-string and the registration statement of cmdlet / cim. */
static char *ps_register(int vt, const tl_vstep_task *tk, int force)
{
    tl_buf b = TL_BUF_INIT, leaf = TL_BUF_INIT, folder = TL_BUF_INIT;
    split_task(tk->name, &leaf, &folder);
    tl_buf_puts(&b, "$x = @'\n");
    tl_buf_puts(&b, tk->xml);
    if (b.len && tl_buf_cstr(&b)[b.len - 1] != '\n')
        tl_buf_putc(&b, '\n');
    tl_buf_puts(&b, "'@\n");
    if (vt == TL_VT_CMDLET)
        tl_buf_printf(&b, "Register-ScheduledTask -Xml $x -TaskName '%s' -TaskPath '%s'%s",
                      tl_buf_cstr(&leaf), tl_buf_cstr(&folder), force ? " -Force" : "");
    else
        tl_buf_printf(&b,
                      "Invoke-CimMethod -ClassName PS_ScheduledTask -Namespace "
                      "Root\\Microsoft\\Windows\\TaskScheduler -MethodName RegisterByXml "
                      "-Arguments @{Xml=$x; Force=$%s; TaskName='%s'; TaskPath='%s'}",
                      force ? "true" : "false", tl_buf_cstr(&leaf), tl_buf_cstr(&folder));
    tl_buf_free(&leaf);
    tl_buf_free(&folder);
    return tl_buf_take(&b);
}

typedef struct stepvar {
    char *command;  /* new command (owned) */
    const char *parent; /* new parent (static or borrowed), NULL: unchanged */
    int wow64;
    char *xml_file; /* TL_VT_XML: write this text first (owned) */
    char *xml_path;
} stepvar;

/* Apply `set` to one step; returns the transformations that changed it. */
static uint32_t vary_step(const cJSON *doc, const cJSON *step, int step_index, uint32_t set,
                          tl_rng *rng, const tl_vstep_task *tk, stepvar *sv)
{
    memset(sv, 0, sizeof *sv);
    const char *cmd = json_str(step, "command");
    if (!cmd)
        return 0;
    const char *parent = json_str(step, "parent");
    int shell = shell_of(parent);
    uint32_t done = 0;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(step, "wow64");
    int wow = cJSON_IsTrue(w);

    /* alternative creation paths replace a registering step whole */
    for (int vt = TL_VT_XML; vt <= TL_VT_CIM; vt++) {
        if (!(set & (1u << vt)))
            continue;
        if (!tk || !tk->name || !tk->xml || !psq_ok(tk->name) || strstr(tk->xml, "\n'@"))
            return 0;
        vcmd c;
        int parsed = vcmd_parse(shell, cmd, &c);
        int force = parsed && c.has_f, create = parsed && c.prog == PR_SCHTASKS && c.create;
        vcmd_free(&c);
        /* a schtasks /create, or (cmdlet, cim) a script that registered the task */
        if (parsed ? !create : vt == TL_VT_XML)
            return 0;
        if (vt == TL_VT_XML) {
            tl_buf b = TL_BUF_INIT;
            sv->xml_path = tl_strdup("C:\\Users\\Public\\Documents\\task.xml");
            sv->xml_file = tl_strdup(tk->xml);
            tl_buf_printf(&b, "schtasks /create /xml \"%s\" /tn \"%s\"%s", sv->xml_path, tk->name,
                          force ? " /f" : "");
            sv->command = tl_buf_take(&b);
        } else {
            sv->command = ps_register(vt, tk, force || !parsed);
            sv->parent = PS51;
        }
        return 1u << vt;
    }

    /* PowerShell spellings (vary_ps.c): a powershell.exe line, or a script PowerShell reads */
    for (int vt = TL_VT_PS_DASH; vt <= TL_VT_ICIM; vt++) {
        if (!(set & (1u << vt)))
            continue;
        char *r = tl_vary_ps_apply(shell == SH_PS, sv->command ? sv->command : cmd, vt, rng);
        if (r) {
            tl_free(sv->command);
            sv->command = r;
            done |= 1u << vt;
        }
    }
    if (done)
        return done;

    vcmd c;
    if (!vcmd_parse(shell, cmd, &c)) {
        vcmd_free(&c);
        return 0;
    }
    /* switch syntax */
    if ((set & (1u << TL_VT_DASH)) && t_optchar(&c, NULL))
        done |= 1u << TL_VT_DASH;
    if ((set & (1u << TL_VT_FE63)) && t_optchar(&c, "\xEF\xB9\xA3"))
        done |= 1u << TL_VT_FE63;
    if ((set & (1u << TL_VT_SUPS)) && t_sups(&c, rng))
        done |= 1u << TL_VT_SUPS;
    if ((set & (1u << TL_VT_REGSUP)) && t_regsup(&c, rng))
        done |= 1u << TL_VT_REGSUP;
    if ((set & (1u << TL_VT_REGINSERT)) && t_reginsert(&c, rng))
        done |= 1u << TL_VT_REGINSERT;
    if ((set & (1u << TL_VT_ROOTKEY)) && t_rootkey(&c))
        done |= 1u << TL_VT_ROOTKEY;
    if ((set & (1u << TL_VT_QUOTE)) && t_quote(&c, rng))
        done |= 1u << TL_VT_QUOTE;
    if ((set & (1u << TL_VT_CASE)) && t_case(&c, rng))
        done |= 1u << TL_VT_CASE;

    /* the shell: cmd.exe obfuscation (the child sees none of it) */
    if ((set & (1u << TL_VT_CARET)) && t_caret(&c, rng))
        done |= 1u << TL_VT_CARET;
    if ((set & (1u << TL_VT_ENVSUB)) && t_envsub(&c, rng))
        done |= 1u << TL_VT_ENVSUB;
    /* inside cmd /c "...", quoted parts of the arguments become unquoted for the outer
     * cmd.exe: an operator in them would split the line there */
    if ((set & (1u << TL_VT_DELAYED)) && shell == SH_CMD && plain_args(&c, "&|<>()") &&
        !strpbrk(tl_buf_cstr(&c.progtok), "\"\\%^") && strlen(tl_buf_cstr(&c.progtok)) >= 2) {
        const char *pt = tl_buf_cstr(&c.progtok);
        size_t len = strlen(pt);
        size_t cut = 1 + (size_t)tl_rng_below(rng, len - 1);
        char *args = vcmd_args(&c);
        tl_buf b = TL_BUF_INIT;
        tl_buf_puts(&b, tl_buf_cstr(&c.lead));
        tl_buf_puts(&b, "cmd /v:on /c \"set a=");
        tl_buf_append(&b, pt, cut);
        tl_buf_puts(&b, "&&set b=");
        tl_buf_puts(&b, pt + cut);
        tl_buf_puts(&b, "&&!a!!b!");
        tl_buf_puts(&b, args ? args : "");
        tl_buf_puts(&b, "\"");
        tl_buf_puts(&b, tl_buf_cstr(&c.tail));
        tl_free(args);
        sv->command = tl_buf_take(&b);
        done |= 1u << TL_VT_DELAYED;
    } else if ((set & (1u << TL_VT_CALL)) && shell == SH_CMD && plain_args(&c, NULL) &&
               !strpbrk(tl_buf_cstr(&c.progtok), "\"%^")) {
        char *args = vcmd_args(&c);
        tl_buf b = TL_BUF_INIT;
        tl_buf_puts(&b, tl_buf_cstr(&c.lead));
        /* a variable of its own per step: the prompt keeps what an earlier `set` stored,
         * and phase 1 would expand a known name before this line's `set` runs */
        tl_buf_printf(&b, "set tlv%d=%s&&call %%tlv%d%%%s%s", step_index, tl_buf_cstr(&c.progtok),
                      step_index, args ? args : "", tl_buf_cstr(&c.tail));
        tl_free(args);
        sv->command = tl_buf_take(&b);
        done |= 1u << TL_VT_CALL;
    }

    /* launchers: another parent reads the same program and arguments */
    if (!sv->command && (set & ((1u << TL_VT_POWERSHELL) | (1u << TL_VT_PWSH))) &&
        shell != SH_PS && plain_args(&c, "$`@(){};,|&<>#'") && tail_is_redirect(&c) &&
        !strpbrk(tl_buf_cstr(&c.progtok), "^%")) {
        char *args = vcmd_args(&c);
        tl_buf b = TL_BUF_INIT;
        if (tl_buf_cstr(&c.progtok)[0] == '"')
            tl_buf_puts(&b, "& ");
        tl_buf_puts(&b, tl_buf_cstr(&c.progtok));
        tl_buf_puts(&b, args ? args : ""); /* the redirection only hid the output */
        tl_free(args);
        sv->command = tl_buf_take(&b);
        int vt = (set & (1u << TL_VT_POWERSHELL)) ? TL_VT_POWERSHELL : TL_VT_PWSH;
        sv->parent = vt == TL_VT_POWERSHELL ? PS51 : PWSH;
        done |= 1u << vt;
    } else if (!sv->command && (set & (1u << TL_VT_DOTNET)) && shell != SH_DIRECT &&
               plain_args(&c, shell == SH_PS ? "$`@(){};,|&<>#'" : NULL) && tail_is_redirect(&c) &&
               !strpbrk(tl_buf_cstr(&c.progtok), "^%")) {
        char *args = vcmd_args(&c);
        tl_buf b = TL_BUF_INIT;
        tl_buf_printf(&b, "\"C:\\Windows\\System32\\%s.exe\"",
                      c.prog == PR_SCHTASKS ? "schtasks" : "reg");
        tl_buf_puts(&b, args ? args : "");
        tl_free(args);
        sv->command = tl_buf_take(&b);
        sv->parent = DOTNET;
        done |= 1u << TL_VT_DOTNET;
    }
    if ((set & (1u << TL_VT_WOW64)) && !wow && !is_x86(doc) &&
        !(parent && tl_strcasestr(parent, "\\SysWOW64\\"))) {
        sv->wow64 = 1;
        done |= 1u << TL_VT_WOW64;
    }
    if (!sv->command && done)
        sv->command = vcmd_render(&c, 1);
    vcmd_free(&c);
    return done;
}

static void stepvar_free(stepvar *sv)
{
    tl_free(sv->command);
    tl_free(sv->xml_file);
    tl_free(sv->xml_path);
    memset(sv, 0, sizeof *sv);
}

tl_status tl_vary_make(const cJSON *doc, uint32_t set, uint64_t seed, const tl_vstep_task *tasks,
                       size_t ntasks, cJSON **out, uint32_t *applied, tl_buf *desc)
{
    tl_status st = TL_OK;
    *out = NULL;
    *applied = 0;
    cJSON *nd = cJSON_Duplicate(doc, 1);
    if (!nd)
        return TL_E_NOMEM;
    cJSON *steps = cJSON_GetObjectItemCaseSensitive(nd, "steps");
    const cJSON *osteps = cJSON_GetObjectItemCaseSensitive(doc, "steps");
    tl_rng rng;
    tl_rng_seed(&rng, seed);
    uint32_t all = 0;
    int n = cJSON_GetArraySize(osteps);
    int inserted = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *os = cJSON_GetArrayItem(osteps, i);
        stepvar sv;
        const tl_vstep_task *tk = (size_t)i < ntasks ? &tasks[i] : NULL;
        uint32_t d = vary_step(doc, os, i, set, &rng, tk, &sv);
        if (!d) {
            stepvar_free(&sv);
            continue;
        }
        cJSON *ns = cJSON_GetArrayItem(steps, i + inserted);
        st = set_str(ns, "command", sv.command);
        if (st == TL_OK && sv.parent)
            st = set_str(ns, "parent", sv.parent);
        if (st == TL_OK && sv.wow64)
            st = set_bool(ns, "wow64");
        if (st == TL_OK && sv.parent && (d & ((1u << TL_VT_CMDLET) | (1u << TL_VT_CIM))))
            cJSON_DeleteItemFromObjectCaseSensitive(ns, "wow64");
        if (st == TL_OK && sv.xml_file) {
            /* a file step at the same time, before it (ties run in file order) */
            cJSON *fs = cJSON_CreateObject(), *f = cJSON_CreateObject();
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(os, "at");
            const char *user = json_str(os, "user");
            if (!fs || !f || !cJSON_AddNumberToObject(fs, "at", cJSON_IsNumber(at) ? at->valuedouble : 0) ||
                (user && !cJSON_AddStringToObject(fs, "user", user)) ||
                !cJSON_AddStringToObject(f, "op", "write") ||
                !cJSON_AddStringToObject(f, "path", sv.xml_path) ||
                !cJSON_AddStringToObject(f, "encoding", "utf-16le-bom") ||
                !cJSON_AddStringToObject(f, "content", sv.xml_file)) {
                cJSON_Delete(fs);
                cJSON_Delete(f);
                st = TL_E_NOMEM;
            } else {
                cJSON_AddItemToObject(fs, "file", f);
                if (!cJSON_InsertItemInArray(steps, i + inserted, fs)) {
                    cJSON_Delete(fs);
                    st = TL_E_NOMEM;
                } else {
                    inserted++;
                }
            }
        }
        if (st == TL_OK && desc) {
            tl_buf_printf(desc, "steps[%d]", i);
            if (sv.parent)
                tl_buf_printf(desc, " (parent %s)", sv.parent);
            if (sv.wow64)
                tl_buf_puts(desc, " (32-bit parent)");
            tl_buf_puts(desc, ": ");
            const char *hs = strstr(sv.command, "\n'@\n");
            if (hs && !strncmp(sv.command, "$x = @'\n", 8))
                tl_buf_printf(desc, "$x = @'<the task's XML, %zu bytes>'@; %s",
                              (size_t)(hs - sv.command) - 7, hs + 4);
            else
                tl_buf_puts(desc, sv.command);
            tl_buf_putc(desc, '\n');
        }
        stepvar_free(&sv);
        all |= d;
        if (st != TL_OK)
            break;
    }
    if (st != TL_OK || !all) {
        cJSON_Delete(nd);
        return st;
    }
    *out = nd;
    *applied = all;
    return TL_OK;
}

uint32_t tl_vary_applicable(const cJSON *doc, const tl_vstep_task *tasks, size_t ntasks)
{
    uint32_t m = 0;
    for (int vt = 0; vt < TL_VT_COUNT; vt++) {
        cJSON *v = NULL;
        uint32_t ap = 0;
        if (tl_vary_make(doc, 1u << vt, 1, tasks, ntasks, &v, &ap, NULL) == TL_OK && v)
            m |= ap;
        cJSON_Delete(v);
    }
    return m;
}

char *tl_vary_apply_line(const char *shell, const char *line, int vt, uint64_t seed)
{
    int sh = !strcmp(shell, "cmd") ? SH_CMD : !strcmp(shell, "powershell") ? SH_PS : SH_DIRECT;
    const char *parent = sh == SH_CMD ? "C:\\Windows\\System32\\cmd.exe"
                         : sh == SH_PS ? PS51
                                       : "C:\\Users\\Public\\x.exe";
    cJSON *step = cJSON_CreateObject();
    cJSON *doc = cJSON_CreateObject();
    if (!step || !doc || !cJSON_AddStringToObject(step, "command", line) ||
        !cJSON_AddStringToObject(step, "parent", parent)) {
        cJSON_Delete(step);
        cJSON_Delete(doc);
        return NULL;
    }
    stepvar sv;
    tl_rng rng;
    tl_rng_seed(&rng, seed);
    uint32_t d = vary_step(doc, step, 0, 1u << vt, &rng, NULL, &sv);
    char *r = d ? sv.command : NULL;
    if (d)
        sv.command = NULL;
    stepvar_free(&sv);
    cJSON_Delete(step);
    cJSON_Delete(doc);
    return r;
}
