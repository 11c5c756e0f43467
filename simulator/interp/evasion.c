/* SPDX-License-Identifier: MIT */
/*
 * The spellings real Windows accepts beyond the plain one, and those it
 * rejects, per ../shared/facts/evasion.md (issue 15). The interpreters call
 * these helpers at the points where Windows reads the text:
 *
 *   schtasks  tl_ev_schtasks_arg   a switch in switch position: option character
 *                                  "/", "-" or (Windows 10 2004) U+FE63; U+02E2 for
 *                                  "s" (Windows 10 2004); quotes are gone already
 *                                  (argv splitting); case is ignored by the lookup.
 *                                  Measured rejections (another dash, a shorthand,
 *                                  an inserted character) fail as schtasks does:
 *                                  "ERROR: Invalid argument/option - '<arg>'." and
 *                                  exit 1, no task (§2.1);
 *   reg       tl_ev_reg_arg        the verb and switches: "-" and U+FE63 as option
 *                                  character, superscript letters, the inserted code
 *                                  points §2.2 names; never key paths, /v or /d;
 *   cmd.exe   tl_ev_cmd_expand     %var%, %var:~s,l%, %var:a=b% (phase 1) and, with
 *                                  /v:on, !var! (phase 5, per command), over the
 *                                  environment plus what `set` stored (§2.5);
 *   PowerShell tl_ev_ps_native     the child's command line of a native command:
 *                                  "<full path>" and each argument, quoted only when it
 *                                  has white space outside quotes (5.1, legacy) or with
 *                                  \" escaping (7.3+, pwsh.exe) (§3.2).
 *
 * Builds: "Windows 10 2004" is the measured build 10.0.19041; 19042-19045 (20H2 to
 * 22H2) are enablement packages of the same binaries, so they accept the same
 * spellings [A: evasion.md is silent on them]. Windows 11 23H2 (22631) is the
 * ArgFuscator build: U+FE63 and U+02E2 are not in its model (§5.1), so they are
 * refused there [A].
 */
#include "evasion_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tl_ev_win10_2004(const tl_sim *s)
{
    const char *b = s->sc->os_build ? s->sc->os_build : "10.0.19044";
    unsigned maj = 0, min = 0, build = 0;
    if (sscanf(b, "%u.%u.%u", &maj, &min, &build) != 3)
        return 0;
    return maj == 10 && build >= 19041 && build <= 19045;
}

/* UTF-8 code point at p (n bytes left); *len its length (1 for a bad byte). */
static unsigned cp_at(const char *p, size_t n, size_t *len)
{
    unsigned long cp = 0;
    size_t k = tl_utf8_decode(p, n, &cp);
    *len = k ? k : 1;
    return k ? (unsigned)cp : (unsigned char)*p;
}

/* Dash-like code points (rejected as schtasks option characters, §2.1). */
static int dashlike(unsigned cp)
{
    return cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 ||
           cp == 0x2015 || cp == 0x2212 || cp == 0xFF0D || cp == 0xFE58 || cp == 0xFE63 ||
           cp == 0x00AD || cp == 0x207B || cp == 0x208B || cp == 0xFF0F || cp == 0x2044 ||
           cp == 0x2215;
}

/* schtasks' switch names (every verb's): a shorthand or a name with one
 * inserted character is a measured rejection only if it is near one. */
static const char *const sch_names[] = {
    "create", "delete", "change", "run",   "end",   "query", "showsid", "s",      "u",
    "p",      "ru",     "rp",     "sc",    "mo",    "d",     "m",       "i",      "tn",
    "tr",     "st",     "ri",     "et",    "du",    "k",     "sd",      "ed",     "it",
    "np",     "z",      "xml",    "v1",    "f",     "rl",    "delay",   "hresult", "ec",
    "enable", "disable", "fo",    "nh",    "v",     NULL};

static int is_sch_name(const char *n)
{
    for (size_t i = 0; sch_names[i]; i++)
        if (!tl_strcasecmp(n, sch_names[i]))
            return 1;
    return 0;
}

int tl_ev_schtasks_arg(const tl_sim *s, char *a)
{
    size_t n = strlen(a), l = 0;
    if (!n)
        return 0;
    unsigned first = cp_at(a, n, &l);
    int w10 = tl_ev_win10_2004(s);
    if (first == '/' || first == '-' || (first == 0xFE63 && w10)) {
        /* normalise in place: "/" + name, U+02E2 -> s on Windows 10 2004 */
        char out[256];
        size_t k = 0;
        out[k++] = '/';
        for (size_t i = l; i < n && k + 1 < sizeof out;) {
            size_t cl = 0;
            unsigned cp = cp_at(a + i, n - i, &cl);
            if (cp == 0x02E2 && w10)
                out[k++] = 's';
            else {
                if (k + cl >= sizeof out)
                    break;
                memcpy(out + k, a + i, cl);
                k += cl;
            }
            i += cl;
        }
        out[k] = 0;
        if (k <= n) {
            memcpy(a, out, k + 1);
        }
        if (is_sch_name(a + 1))
            return 1;
        /* a shorthand (/cr) or a name with an inserted character: measured rejections */
        size_t nl = strlen(a + 1);
        for (size_t i = 0; sch_names[i]; i++) {
            size_t m = strlen(sch_names[i]);
            if (nl >= 2 && nl < m && !tl_strncasecmp(a + 1, sch_names[i], nl))
                return -1;
        }
        /* one inserted non-ASCII code point: removing it gives a name (an ASCII typo
         * such as /zz stays a scenario error: the scenario is wrong, not evasive) */
        for (size_t i = 1; i < nl + 1;) {
            size_t cl = 0;
            unsigned icp = cp_at(a + i, nl + 1 - i, &cl);
            if (icp < 0x80) {
                i += cl;
                continue;
            }
            char tmp[256];
            if (nl + 1 < sizeof tmp) {
                memcpy(tmp, a + 1, i - 1);
                memcpy(tmp + i - 1, a + i + cl, nl + 1 - i - cl);
                tmp[nl - cl] = 0;
                if (tmp[0] && is_sch_name(tmp))
                    return -1;
            }
            i += cl;
        }
        return 1; /* a switch schtasks does not know: the caller's message */
    }
    /* another option character in front of a known switch name */
    if (first >= 0x80 && (dashlike(first) || is_sch_name(a + l)))
        return is_sch_name(a + l) ? -1 : 0;
    return 0;
}

/* ---- reg.exe ---------------------------------------------------------------- */

static int sup_letter(unsigned cp)
{
    static const struct {
        unsigned cp;
        char c;
    } m[] = {{0x1D43, 'a'}, {0x1D47, 'b'}, {0x1D9C, 'c'}, {0x1D48, 'd'}, {0x1D49, 'e'},
             {0x1DA0, 'f'}, {0x1D4D, 'g'}, {0x02B0, 'h'}, {0x02B2, 'j'}, {0x1D4F, 'k'},
             {0x02E1, 'l'}, {0x1D50, 'm'}, {0x207F, 'n'}, {0x1D52, 'o'}, {0x1D56, 'p'},
             {0x02B3, 'r'}, {0x02E2, 's'}, {0x1D57, 't'}, {0x1D58, 'u'}, {0x2C7D, 'v'},
             {0x1D5B, 'v'}, {0x02B7, 'w'}, {0x02E3, 'x'}, {0x02B8, 'y'}, {0x1DBB, 'z'}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i].cp == cp)
            return m[i].c;
    return 0;
}

/* The code points §2.2 names as insertable (the rest of the model's 2,361 are
 * unassigned or recent code points the sheet does not list one by one). */
static int reg_ignorable(unsigned cp)
{
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x0640 ||
           (cp >= 0x180B && cp <= 0x180D) || cp == 0x180F || (cp >= 0x200C && cp <= 0x200F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F);
}

int tl_ev_reg_arg(char *a, int verb)
{
    size_t n = strlen(a);
    char out[512];
    size_t k = 0, i = 0;
    int changed = 0;
    if (!n || n >= sizeof out)
        return 0;
    size_t l = 0;
    unsigned first = cp_at(a, n, &l);
    if (!verb) {
        if (first == 0xFE63) {
            out[k++] = '/';
            i = l;
            changed = 1;
        } else if (first == '/' || first == '-') {
            out[k++] = a[0];
            i = 1;
        } else {
            return 0; /* not a switch: key paths and data are never touched */
        }
    }
    while (i < n) {
        size_t cl = 0;
        unsigned cp = cp_at(a + i, n - i, &cl);
        int c = sup_letter(cp);
        if (c) {
            out[k++] = (char)c;
            changed = 1;
        } else if (reg_ignorable(cp)) {
            changed = 1;
        } else {
            memcpy(out + k, a + i, cl);
            k += cl;
        }
        i += cl;
    }
    out[k] = 0;
    if (changed)
        memcpy(a, out, k + 1);
    return changed;
}

/* ---- cmd.exe variables and expansion ------------------------------------------ */

struct tl_cmdvars {
    long *proc;
    char **name, **val;
    size_t n, cap;
};

void tl_ev_free(tl_sim *s)
{
    tl_cmdvars *v = s->cmdvars;
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        tl_free(v->name[i]);
        tl_free(v->val[i]);
    }
    tl_free(v->proc);
    tl_free(v->name);
    tl_free(v->val);
    tl_free(v);
    s->cmdvars = NULL;
}

tl_status tl_ev_cmd_set(tl_sim *s, long proc, const char *name, const char *value)
{
    if (!s->cmdvars) {
        s->cmdvars = tl_calloc(1, sizeof *s->cmdvars);
        if (!s->cmdvars)
            return TL_E_NOMEM;
    }
    tl_cmdvars *v = s->cmdvars;
    for (size_t i = 0; i < v->n; i++)
        if (v->proc[i] == proc && !tl_strcasecmp(v->name[i], name)) {
            char *nv = tl_strdup(value);
            if (!nv)
                return TL_E_NOMEM;
            tl_free(v->val[i]);
            v->val[i] = nv;
            return TL_OK;
        }
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        long *np = tl_realloc(v->proc, nc * sizeof *np);
        if (!np)
            return TL_E_NOMEM;
        v->proc = np;
        char **nn = tl_realloc(v->name, nc * sizeof *nn);
        if (!nn)
            return TL_E_NOMEM;
        v->name = nn;
        char **nvv = tl_realloc(v->val, nc * sizeof *nvv);
        if (!nvv)
            return TL_E_NOMEM;
        v->val = nvv;
        v->cap = nc;
    }
    v->proc[v->n] = proc;
    v->name[v->n] = tl_strdup(name);
    v->val[v->n] = tl_strdup(value);
    if (!v->name[v->n] || !v->val[v->n]) {
        tl_free(v->name[v->n]);
        tl_free(v->val[v->n]);
        return TL_E_NOMEM;
    }
    v->n++;
    return TL_OK;
}

/* A variable's value (owned) as process proc sees it: what `set` stored in it
 * or an ancestor (a child inherits its parent's environment), else the
 * endpoint's environment; NULL when undefined. */
static char *lookup(tl_sim *s, size_t user, long proc, const char *name)
{
    tl_cmdvars *v = s->cmdvars;
    for (long p = proc; v && p >= 0; p = s->procs[p].parent) {
        for (size_t i = v->n; i-- > 0;)
            if (v->proc[i] == p && !tl_strcasecmp(v->name[i], name))
                return tl_strdup(v->val[i]);
        if (p == s->procs[p].parent)
            break;
    }
    if (!tl_strcasecmp(name, "ComSpec"))
        return tl_strdup("C:\\Windows\\system32\\cmd.exe");
    tl_buf q = TL_BUF_INIT;
    tl_buf_printf(&q, "%%%s%%", name);
    char *e = tl_sim_expand_env(s, user, tl_buf_cstr(&q));
    int same = e && !strcmp(e, tl_buf_cstr(&q));
    tl_buf_free(&q);
    if (same) {
        tl_free(e);
        return NULL;
    }
    return e;
}

/* Apply ":~s,l" or ":a=b" to value (owned result). */
static char *modify(const char *val, const char *mod)
{
    size_t len = strlen(val);
    if (mod[0] == '~') {
        char *end = NULL;
        long st = strtol(mod + 1, &end, 10);
        long start = st < 0 ? (long)len + st : st;
        if (start < 0)
            start = 0;
        if (start > (long)len)
            start = (long)len;
        long stop = (long)len;
        if (end && *end == ',') {
            long l = strtol(end + 1, NULL, 10);
            stop = l < 0 ? (long)len + l : start + l;
        }
        if (stop > (long)len)
            stop = (long)len;
        if (stop < start)
            stop = start;
        return tl_strndup(val + start, (size_t)(stop - start));
    }
    const char *eq = strchr(mod, '=');
    if (!eq || eq == mod)
        return tl_strdup(val);
    size_t fl = (size_t)(eq - mod);
    tl_buf b = TL_BUF_INIT;
    for (const char *p = val; *p;) {
        if (!tl_strncasecmp(p, mod, fl)) {
            tl_buf_puts(&b, eq + 1);
            p += fl;
        } else {
            tl_buf_putc(&b, *p++);
        }
    }
    return tl_buf_take(&b);
}

char *tl_ev_cmd_expand(tl_sim *s, size_t user, long proc, const char *line, char mark)
{
    tl_buf b = TL_BUF_INIT;
    for (const char *p = line; *p;) {
        const char *e = *p == mark ? strchr(p + 1, mark) : NULL;
        if (!e || e == p + 1 || (size_t)(e - p) > 300) {
            tl_buf_putc(&b, *p++);
            continue;
        }
        char spec[304];
        memcpy(spec, p + 1, (size_t)(e - p - 1));
        spec[e - p - 1] = 0;
        char *colon = strchr(spec, ':');
        if (colon)
            *colon = 0;
        char *val = spec[0] ? lookup(s, user, proc, spec) : NULL;
        if (!val) {
            /* undefined: kept as typed at the prompt (evasion.md §2.5) */
            tl_buf_putc(&b, *p++);
            continue;
        }
        if (colon) {
            char *m = modify(val, colon + 1);
            tl_free(val);
            val = m;
        }
        if (val)
            tl_buf_puts(&b, val);
        tl_free(val);
        p = e + 1;
    }
    return tl_buf_take(&b);
}

int tl_ev_cmd_delayed(const char *cmdline)
{
    /* cmd.exe's switches before /c or /k: /v:on turns on delayed expansion */
    const char *p = cmdline;
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
            return 0;
        if ((p[1] | 0x20) == 'c' || (p[1] | 0x20) == 'k')
            return 0;
        if (!tl_strncasecmp(p, "/v:on", 5))
            return 1;
        while (*p && *p != ' ')
            p++;
    }
}

/* ---- PowerShell native commands --------------------------------------------------- */

/* Split a native command's argument text as PowerShell's parser does for the
 * forms tasklab knows: barewords, '...' and "..." parts glued together, `x
 * escapes. 0 when the text has anything else ($variables, subexpressions,
 * splatting, --%): the caller keeps the old verbatim behaviour. */
static int ps_split(const char *text, char ***out, size_t *nout)
{
    char **v = NULL;
    size_t n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (!strncmp(p, "--%", 3))
            goto bad;
        tl_buf a = TL_BUF_INIT;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (!e)
                    goto bad_a;
                tl_buf_append(&a, p + 1, (size_t)(e - p - 1));
                p = e + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '$' || *p == '`')
                        goto bad_a;
                    tl_buf_putc(&a, *p++);
                }
                if (*p != '"')
                    goto bad_a;
                p++;
            } else if (strchr("$@(){},;`", *p)) {
                goto bad_a;
            } else {
                tl_buf_putc(&a, *p++);
            }
        }
        char **nv = tl_realloc(v, (n + 1) * sizeof *nv);
        if (!nv || tl_buf_status(&a) != TL_OK) {
            tl_free(nv ? nv : v);
            v = NULL;
            n = 0;
            tl_buf_free(&a);
            goto bad;
        }
        v = nv;
        v[n] = tl_buf_take(&a);
        if (!v[n])
            v[n] = tl_strdup("");
        n++;
        continue;
    bad_a:
        tl_buf_free(&a);
        goto bad;
    }
    *out = v;
    *nout = n;
    return 1;
bad:
    for (size_t i = 0; i < n; i++)
        tl_free(v[i]);
    tl_free(v);
    return 0;
}

char *tl_ev_ps_native(const char *fullpath, const char *args, int pwsh)
{
    char **v = NULL;
    size_t n = 0;
    if (!ps_split(args, &v, &n))
        return NULL;
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "\"%s\"", fullpath);
    for (size_t i = 0; i < n; i++) {
        const char *a = v[i];
        tl_buf_putc(&b, ' ');
        if (pwsh) {
            /* 7.3+ Windows mode, schtasks/reg not in the legacy list: Standard quoting */
            int need = !a[0] || strpbrk(a, " \t\"");
            if (!need) {
                tl_buf_puts(&b, a);
            } else {
                tl_buf_putc(&b, '"');
                size_t bs = 0;
                for (const char *q = a; *q; q++) {
                    if (*q == '\\') {
                        bs++;
                        continue;
                    }
                    for (size_t k = 0; k < (*q == '"' ? 2 * bs + 1 : bs); k++)
                        tl_buf_putc(&b, '\\');
                    bs = 0;
                    tl_buf_putc(&b, *q);
                }
                for (size_t k = 0; k < 2 * bs; k++)
                    tl_buf_putc(&b, '\\');
                tl_buf_putc(&b, '"');
            }
        } else {
            /* 5.1 legacy (NeedQuotes): quotes only when white space lies outside quotes */
            int inq = 0, need = 0;
            for (const char *q = a; *q; q++) {
                if (*q == '"')
                    inq = !inq;
                else if ((*q == ' ' || *q == '\t') && !inq)
                    need = 1;
            }
            if (need)
                tl_buf_putc(&b, '"');
            tl_buf_puts(&b, a);
            if (need)
                tl_buf_putc(&b, '"');
        }
        tl_free(v[i]);
    }
    tl_free(v);
    return tl_buf_take(&b);
}
