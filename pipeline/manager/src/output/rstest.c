/* SPDX-License-Identifier: MIT */
/*
 * Wazuh's ruleset test framework (ruleset/testing/runtests.py, wazuh.md §12)
 * on the tasklab engine.
 *
 * INI files are read as Python's RawConfigParser(dict_type=MultiOrderedDict,
 * strict=False) reads them: `[section]` headers (text between the first `[`
 * and the last `]`), `key = value` or `key: value` split at the first `=` or
 * `:`, keys lower-cased, values stripped, whole-line `#`/`;` comments,
 * indented lines continue the previous value, and a key repeated in a
 * section accumulates: its values are joined with newlines.
 *
 * Each `log <N> pass|fail` key of a section is one case: its lines go, in
 * order, through one fresh logtest session (one token, so frequency and
 * firedtimes carry over between them) and the LAST event's rule id, level
 * and decoder name are compared with the section's `rule`, `alert` and
 * `decoder` (wazuh-logtest -U rule:alert:decoder), scored as runtests.py
 * does: `wazuh-logtest -U` exits with expected.count('') when the result
 * equals the expectation and 1 otherwise; a `pass` case needs exit 0, a
 * `fail` case any other exit (an empty expected part makes it pass). A `pass` case that cannot pass with the ruleset at hand
 * (unknown decoder, rule missing or outside the tree because its parents are
 * missing, a CDB list that is not loaded) is reported as skipped, with why,
 * unless TL_RSTEST_STRICT.
 *
 * tl_ruleset_winevt_as_json is runtests.py's temporary rewrite of rule
 * 60000, done on the loaded ruleset instead of the file.
 */
#include "rules/rules_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rule 60000 ------------------------------------------------------------ */

static void remove_from(tl_rule ***v, size_t *n, const tl_rule *r)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i] != r)
            (*v)[k++] = (*v)[i];
    *n = k;
}

/* Insert r where loading it would have put it: levels descending, ties in
 * load order. */
static tl_status insert_in_order(tl_rule ***v, size_t *n, size_t *cap, tl_rule *r)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        tl_rule **nv = tl_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return TL_E_NOMEM;
        *v = nv;
        *cap = nc;
    }
    size_t pos = *n;
    for (size_t i = 0; i < *n; i++) {
        const tl_rule *s = (*v)[i];
        if (s->ilevel < r->ilevel || (s->ilevel == r->ilevel && s->idx > r->idx)) {
            pos = i;
            break;
        }
    }
    memmove(&(*v)[pos + 1], &(*v)[pos], (*n - pos) * sizeof **v);
    (*v)[pos] = r;
    (*n)++;
    return TL_OK;
}

tl_status tl_ruleset_winevt_as_json(tl_ruleset *rs, tl_diag *d)
{
    tl_rule *r = tl_ruleset_find(rs, 60000);
    if (!r || !r->in_tree) {
        tl_diag_set(d, "", 0, "no rule 60000 in the ruleset: nothing to rewrite");
        return TL_E_NOTFOUND;
    }
    if (!rs->ds || !tl_decoder_set_has(rs->ds, "json")) {
        tl_diag_set(d, "", 0, "no json decoder in the ruleset: rule 60000 left as it is");
        return TL_E_NOTFOUND;
    }
    if (r->decoded_as && !strcmp(r->decoded_as, "json") && !r->has_category)
        return TL_OK; /* already done */
    tl_rule *root = NULL;
    for (size_t i = 0; i < rs->ntop; i++)
        if (rs->top[i]->category == TL_CAT_SYSLOG) {
            root = rs->top[i];
            break;
        }
    char *dec = tl_strdup("json");
    if (!dec)
        return TL_E_NOMEM;
    /* make room first so that nothing can fail after the rule is detached */
    if (root) {
        tl_status st = insert_in_order(&root->children, &root->nchildren, &root->capchildren, r);
        if (st != TL_OK) {
            tl_free(dec);
            return st;
        }
        remove_from(&root->children, &root->nchildren, r);
    } else {
        tl_status st = insert_in_order(&rs->top, &rs->ntop, &rs->captop, r);
        if (st != TL_OK) {
            tl_free(dec);
            return st;
        }
        remove_from(&rs->top, &rs->ntop, r);
    }
    for (size_t i = 0; i < rs->nrules; i++)
        remove_from(&rs->rules[i]->children, &rs->rules[i]->nchildren, r);
    remove_from(&rs->top, &rs->ntop, r);
    tl_free(r->decoded_as);
    r->decoded_as = dec;
    r->has_category = 0;
    r->category = TL_CAT_SYSLOG;
    tl_status st;
    if (root)
        st = insert_in_order(&root->children, &root->nchildren, &root->capchildren, r);
    else
        st = insert_in_order(&rs->top, &rs->ntop, &rs->captop, r);
    if (st == TL_OK)
        st = tl_rules_tree_index(rs); /* the tree changed */
    return st;
}

/* ---- INI reader (RawConfigParser) ---------------------------------------- */

typedef struct ini_key {
    char *name;
    tl_buf value; /* values joined with '\n' */
    int line;     /* first line */
} ini_key;

typedef struct ini_section {
    char *name;
    int line;
    ini_key *keys;
    size_t nkeys, cap;
} ini_section;

typedef struct ini_file {
    ini_section *s;
    size_t n, cap;
} ini_file;

static void ini_free(ini_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        for (size_t k = 0; k < f->s[i].nkeys; k++) {
            tl_free(f->s[i].keys[k].name);
            tl_buf_free(&f->s[i].keys[k].value);
        }
        tl_free(f->s[i].keys);
        tl_free(f->s[i].name);
    }
    tl_free(f->s);
    memset(f, 0, sizeof *f);
}

static const ini_key *ini_get(const ini_section *s, const char *name)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (!strcmp(s->keys[i].name, name))
            return &s->keys[i];
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static char *strip_dup(const char *s, size_t n)
{
    while (n && (is_space(*s) || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n && (is_space(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return tl_strndup(s, n);
}

static tl_status ini_parse(const char *path, const char *data, size_t len, ini_file *f, tl_diag *d)
{
    tl_status st = TL_OK;
    ini_section *cur = NULL;
    ini_key *curkey = NULL;
    size_t cur_indent = 0;
    int lineno = 0;
    char *line = NULL;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        if (memchr(p, '\0', n)) {
            /* tl_strndup would stop at the NUL, and the '\r' test below
             * would read and write past the copy (issue 10) */
            tl_diag_set(d, path, lineno, "line contains a NUL byte");
            TL_FAIL(TL_E_PARSE);
        }
        tl_free(line);
        line = tl_strndup(p, n);
        TL_TRY_ALLOC(line);
        p = nl ? nl + 1 : end;
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        size_t indent = 0;
        while (indent < n && is_space(line[indent]))
            indent++;
        const char *body = line + indent;
        if (!*body) { /* blank line: ends nothing that matters here */
            continue;
        }
        if (*body == '#' || *body == ';')
            continue;
        if (cur && curkey && indent > cur_indent) { /* continuation line */
            char *v = strip_dup(body, strlen(body));
            TL_TRY_ALLOC(v);
            tl_buf_putc(&curkey->value, '\n');
            tl_buf_puts(&curkey->value, v);
            tl_free(v);
            TL_TRY(tl_buf_status(&curkey->value));
            continue;
        }
        cur_indent = indent;
        if (*body == '[') {
            const char *close = strrchr(body, ']');
            if (close && close > body + 1) {
                char *name = tl_strndup(body + 1, (size_t)(close - body - 1));
                TL_TRY_ALLOC(name);
                cur = NULL;
                for (size_t i = 0; i < f->n; i++)
                    if (!strcmp(f->s[i].name, name))
                        cur = &f->s[i]; /* strict=False: a repeated section merges */
                if (cur) {
                    tl_free(name);
                } else {
                    if (f->n == f->cap) {
                        size_t nc = f->cap ? f->cap * 2 : 16;
                        ini_section *nv = tl_realloc(f->s, nc * sizeof *nv);
                        if (!nv) {
                            tl_free(name);
                            TL_FAIL(TL_E_NOMEM);
                        }
                        f->s = nv;
                        f->cap = nc;
                    }
                    cur = &f->s[f->n++];
                    memset(cur, 0, sizeof *cur);
                    cur->name = name;
                    cur->line = lineno;
                }
                curkey = NULL;
                continue;
            }
        }
        if (!cur) {
            tl_diag_set(d, path, lineno, "File contains no section headers (line: '%.60s')", body);
            TL_FAIL(TL_E_PARSE);
        }
        /* option: (.*?)\s*([=:])\s*(.*)$ */
        const char *delim = body;
        while (*delim && *delim != '=' && *delim != ':')
            delim++;
        if (!*delim) {
            tl_diag_set(d, path, lineno, "Source contains parsing errors: '%.60s' is neither a "
                        "[section] nor a key = value line", body);
            TL_FAIL(TL_E_PARSE);
        }
        char *key = strip_dup(body, (size_t)(delim - body));
        TL_TRY_ALLOC(key);
        if (!*key) {
            tl_free(key);
            tl_diag_set(d, path, lineno, "Source contains parsing errors: empty key");
            TL_FAIL(TL_E_PARSE);
        }
        for (char *k = key; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        char *val = strip_dup(delim + 1, strlen(delim + 1));
        if (!val) {
            tl_free(key);
            TL_FAIL(TL_E_NOMEM);
        }
        curkey = NULL;
        for (size_t i = 0; i < cur->nkeys; i++)
            if (!strcmp(cur->keys[i].name, key))
                curkey = &cur->keys[i];
        if (curkey) { /* MultiOrderedDict: repeated keys accumulate */
            tl_free(key);
            tl_buf_putc(&curkey->value, '\n');
        } else {
            if (cur->nkeys == cur->cap) {
                size_t nc = cur->cap ? cur->cap * 2 : 8;
                ini_key *nv = tl_realloc(cur->keys, nc * sizeof *nv);
                if (!nv) {
                    tl_free(key);
                    tl_free(val);
                    TL_FAIL(TL_E_NOMEM);
                }
                cur->keys = nv;
                cur->cap = nc;
            }
            curkey = &cur->keys[cur->nkeys++];
            memset(curkey, 0, sizeof *curkey);
            curkey->name = key;
            curkey->line = lineno;
        }
        tl_buf_puts(&curkey->value, val);
        tl_free(val);
        TL_TRY(tl_buf_status(&curkey->value));
    }
cleanup:
    tl_free(line);
    if (st == TL_E_NOMEM)
        tl_diag_set(d, path, lineno, "out of memory");
    return st;
}

/* ---- runner ---------------------------------------------------------------- */

/* "log <N> pass" -> 1, "log <N> fail" -> 0, anything else -> -1. */
static int log_key_kind(const char *k)
{
    size_t n = strlen(k);
    if (n < 9 || strncmp(k, "log ", 4) != 0)
        return -1;
    if (!strcmp(k + n - 5, " pass"))
        return 1;
    if (!strcmp(k + n - 5, " fail"))
        return 0;
    return -1;
}

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

typedef struct case_out {
    int have;  /* some event produced a result */
    int matched;
    char rule_id[16];
    char level[16];
    char decoder[256];
    tl_buf text;   /* logtest text of the last event (verbose) */
    tl_buf errors; /* per-event errors */
} case_out;

static tl_status run_case(const tl_ruleset *rs, const char *events, int verbose, tl_time start,
                          case_out *co)
{
    tl_status st = TL_OK;
    tl_logtest *lt = NULL;
    tl_logtest_opts o;
    memset(&o, 0, sizeof o);
    o.rules_debug = verbose;
    o.start = start;
    TL_TRY(tl_logtest_new(rs, &o, &lt));
    const char *p = events;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            tl_logtest_result r;
            tl_diag d;
            tl_diag_clear(&d);
            tl_status s2 = tl_logtest_process(lt, p, n, &r, &d);
            if (s2 == TL_E_NOMEM)
                TL_FAIL(s2);
            if (s2 != TL_OK) {
                tl_buf_printf(&co->errors, "%s%s", co->errors.len ? "; " : "", d.msg);
            } else {
                co->have = 1;
                co->matched = r.matched;
                snprintf(co->rule_id, sizeof co->rule_id, "%s", r.rule_id);
                if (r.matched)
                    snprintf(co->level, sizeof co->level, "%d", r.level);
                else
                    co->level[0] = '\0';
                snprintf(co->decoder, sizeof co->decoder, "%s", r.decoder);
                if (verbose) {
                    tl_buf_reset(&co->text);
                    tl_buf_puts(&co->text, r.text);
                }
            }
        }
        if (!nl)
            break;
        p = nl + 1;
    }
cleanup:
    tl_logtest_free(lt);
    return st;
}

static void put_indented(tl_buf *b, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        tl_buf_puts(b, "    ");
        tl_buf_append(b, p, n);
        tl_buf_putc(b, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
}

/* Why a `pass` case cannot pass with rs, or NULL. */
static const char *cannot_pass(const tl_ruleset *rs, const char *er, const char *ed, char *buf,
                               size_t bufsz)
{
    if (*ed && rs->ds && !tl_decoder_set_has(rs->ds, ed)) {
        snprintf(buf, bufsz, "decoder %s is not in this ruleset", ed);
        return buf;
    }
    if (!*er)
        return NULL;
    char *endp = NULL;
    long id = strtol(er, &endp, 10);
    if (!endp || *endp || id <= 0)
        return NULL;
    const tl_rule *r = tl_ruleset_find(rs, (int)id);
    if (!r) {
        snprintf(buf, bufsz, "rule %s is not in this ruleset", er);
        return buf;
    }
    if (!r->in_tree) {
        snprintf(buf, bufsz, "rule %s is not in the rule tree (its parent rules are missing)", er);
        return buf;
    }
    for (size_t i = 0; i < r->nlists; i++)
        if (!r->lists[i].list) {
            snprintf(buf, bufsz, "rule %s needs the CDB list %s, not loaded", er,
                     r->lists[i].path ? r->lists[i].path : "?");
            return buf;
        }
    return NULL;
}

tl_status tl_rstest_run_file(const tl_ruleset *rs, const char *ini_path, int flags,
                             tl_buf *report, tl_rstest_stats *stats, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    tl_status st = tl_file_read(ini_path, &data, &len, d);
    if (st == TL_OK)
        st = tl_rstest_run_mem(rs, ini_path, data, len, flags, report, stats, d);
    tl_free(data);
    return st;
}

tl_status tl_rstest_run_mem(const tl_ruleset *rs, const char *ini_path, const char *data,
                            size_t len, int flags, tl_buf *report, tl_rstest_stats *stats,
                            tl_diag *d)
{
    tl_status st = TL_OK;
    const int verbose = (flags & TL_RSTEST_VERBOSE) != 0;
    ini_file f;
    memset(&f, 0, sizeof f);
    TL_TRY(ini_parse(ini_path, data, len, &f, d));
    const char *fname = basename_of(ini_path);
    for (size_t i = 0; i < f.n; i++) {
        const ini_section *s = &f.s[i];
        const ini_key *kr = ini_get(s, "rule"), *ka = ini_get(s, "alert"),
                      *kd = ini_get(s, "decoder");
        const char *er = kr ? tl_buf_cstr(&kr->value) : "";
        const char *ea = ka ? tl_buf_cstr(&ka->value) : "";
        const char *ed = kd ? tl_buf_cstr(&kd->value) : "";
        for (size_t k = 0; k < s->nkeys; k++) {
            int kind = log_key_kind(s->keys[k].name);
            if (kind < 0)
                continue;
            char why[300];
            const char *skip = NULL;
            if (kind && !(flags & TL_RSTEST_STRICT))
                skip = cannot_pass(rs, er, ed, why, sizeof why);
            if (skip) {
                stats->skipped++;
                tl_buf_printf(report, "%s:%d: [%s] %s: skipped: %s\n", fname, s->keys[k].line,
                              s->name, s->keys[k].name, skip);
                continue;
            }
            case_out co;
            memset(&co, 0, sizeof co);
            st = run_case(rs, tl_buf_cstr(&s->keys[k].value), verbose, stats->start, &co);
            if (st != TL_OK) {
                tl_buf_free(&co.text);
                tl_buf_free(&co.errors);
                tl_diag_set(d, ini_path, s->keys[k].line, "[%s] %s: %s", s->name,
                            s->keys[k].name, tl_strerror(st));
                goto cleanup;
            }
            /* wazuh-logtest -U: the last result ['rule', 'level', 'decoder']
             * ('' where absent) against the expectation; equal -> exit
             * expected.count(''), else exit 1. runtests.py: `pass` needs exit
             * 0, `fail` any other exit (so a `fail` case with an empty
             * expected part always passes, wazuh.md §12.1). */
            const char *rr = co.have && co.matched ? co.rule_id : "";
            const char *rl = co.have && co.matched ? co.level : "";
            const char *rd = co.have ? co.decoder : "";
            int same = !strcmp(rr, er) && !strcmp(rl, ea) && !strcmp(rd, ed);
            int ut_exit = same ? (!*er) + (!*ea) + (!*ed) : 1;
            int ok = kind ? ut_exit == 0 : ut_exit != 0;
            char where[300];
            snprintf(where, sizeof where, "%s:%d", fname, s->keys[k].line);
            int known = 0;
            for (size_t q = 0; q < stats->nknown && !known; q++)
                known = !strcmp(stats->known[q], where);
            if (ok && known) {
                stats->failed++;
                tl_buf_printf(report,
                              "%s: [%s] %s: passes but is listed as a known failure (remove it "
                              "from the list)\n",
                              where, s->name, s->keys[k].name);
            } else if (ok) {
                stats->passed++;
            } else {
                if (known)
                    stats->known_failed++;
                else
                    stats->failed++;
                if (known)
                    tl_buf_puts(report, "known failure: ");
                tl_buf_printf(report, "%s:%d: [%s] %s: ", fname, s->keys[k].line, s->name,
                              s->keys[k].name);
                if (kind)
                    tl_buf_printf(report, "expected rule %s level %s decoder %s; ",
                                  *er ? er : "''", *ea ? ea : "''", *ed ? ed : "''");
                else
                    tl_buf_printf(report, "expected anything but rule %s level %s decoder %s; ",
                                  *er ? er : "''", *ea ? ea : "''", *ed ? ed : "''");
                if (!co.have)
                    tl_buf_puts(report, "got no result");
                else if (!co.matched)
                    tl_buf_printf(report, "got no rule match (decoder %s)",
                                  co.decoder[0] ? co.decoder : "none");
                else
                    tl_buf_printf(report, "got rule %s level %s decoder %s", co.rule_id,
                                  co.level, co.decoder[0] ? co.decoder : "none");
                if (co.errors.len)
                    tl_buf_printf(report, " (errors: %s)", tl_buf_cstr(&co.errors));
                tl_buf_putc(report, '\n');
                if (verbose && co.text.len)
                    put_indented(report, tl_buf_cstr(&co.text));
            }
            tl_buf_free(&co.text);
            tl_buf_free(&co.errors);
        }
    }
    if (tl_buf_status(report) != TL_OK)
        st = TL_E_NOMEM;
cleanup:
    ini_free(&f);
    return st;
}
