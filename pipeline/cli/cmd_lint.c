/* SPDX-License-Identifier: MIT */
/*
 * tasklab lint [--profile P] [--format text|json] [--coverage] FILE|DIR...
 *
 * Lints Wazuh rule and decoder XML files the way a compiler reports: one
 * finding a line, `file:line:col: severity: message [check]`, sorted by file,
 * line and column. The files are loaded on top of the profile's ruleset
 * (--profile, default wazuh when its reference ruleset is present, else
 * default) as --rules/--decoders would load them; a DIR holding rules/ and/or
 * decoders/ (a ruleset such as ../shared/reference/wazuh-full) replaces the
 * profile's rules and decoders as --ruleset does; any other DIR gives its
 * *.xml files. Only findings in the files given are reported.
 *
 * Checks (the loader's, by its message, then lint.c's across rules):
 *   unknown-option     an element or attribute Wazuh does not know (error or warning)
 *   missing-parent     if_sid / if_matched_sid naming a rule that does not exist (7617)
 *   duplicate-id       a rule id given twice without overwrite="yes" (7612)
 *   overwrite-missing  overwrite="yes" on a rule id that does not exist (7613)
 *   unknown-decoder    decoded_as naming a decoder that does not exist
 *   regex-compile      a PCRE2 pattern that does not compile (message and offset)
 *   osregex-syntax     an OS_Regex / OS_Match pattern with a syntax error
 *   description-field  $(field) in a description nothing can give a value
 *   shadowed-sibling   a rule an earlier sibling without conditions always beats
 *   no-scenario        (--coverage) an alerting rule no library scenario fires
 * A load error stops the load: it is reported and the cross-rule checks do
 * not run. Warnings that describe tasklab's own limits (its MITRE table, an
 * unimplemented decoder plugin, if_fts without a database) are not findings.
 * Exit status: 0 clean, 1 findings, 2 unreadable input (no such file, not
 * XML) or bad options.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct finding {
    char *file;
    int line, col;
    const char *severity;
    const char *check;
    char *msg;
} finding;

typedef struct lint_ctx {
    finding *v;
    size_t n, cap;
    const tl_cli_common *c;
    int nomem;
} lint_ctx;

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Column of the first non-blank character of `line` in `file` (1 if unknown);
 * with `tag` and offset >= 0: the column of that offset in the tag's text. */
static int column_of(const char *file, int line, const char *tag, long offset)
{
    FILE *f = fopen(file, "r");
    if (!f || line < 1) {
        if (f)
            fclose(f);
        return 1;
    }
    char buf[8192];
    int ln = 0, col = 1;
    while (fgets(buf, sizeof buf, f)) {
        if (++ln < line)
            continue;
        col = (int)strspn(buf, " \t") + 1;
        if (tag && offset >= 0) {
            char open[80];
            snprintf(open, sizeof open, "<%s", tag);
            const char *t = strstr(buf, open);
            const char *gt = t ? strchr(t, '>') : NULL;
            if (gt && (size_t)(gt + 1 - buf) + (size_t)offset < strlen(buf))
                col = (int)(gt + 1 - buf) + (int)offset + 1;
        }
        break;
    }
    fclose(f);
    return col;
}

static void add(lint_ctx *x, const char *file, int line, int col, const char *sev,
                const char *check, const char *msg)
{
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 32;
        finding *nv = tl_realloc(x->v, nc * sizeof *nv);
        if (!nv) {
            x->nomem = 1;
            return;
        }
        x->v = nv;
        x->cap = nc;
    }
    finding *f = &x->v[x->n];
    f->file = tl_strdup(file ? file : "");
    f->msg = tl_strdup(msg);
    if (!f->file || !f->msg) {
        tl_free(f->file);
        tl_free(f->msg);
        x->nomem = 1;
        return;
    }
    f->line = line;
    f->col = col;
    f->severity = sev;
    f->check = check;
    x->n++;
}

/* The check a loader message belongs to; NULL for tasklab's own limits. */
static const char *classify(const char *m, const char **sev)
{
    *sev = "warning";
    if (strstr(m, "Mitre Technique ID") || strstr(m, "mitre") || strstr(m, "if_fts") ||
        strstr(m, "is not implemented") || strstr(m, "first-time-seen"))
        return NULL;
    if (strstr(m, "(7617)") || strstr(m, "(7619)") || strstr(m, "was not found and will be ignored"))
        return "missing-parent";
    if (strstr(m, "(7612)"))
        return "duplicate-id";
    if (strstr(m, "(7613)"))
        return "overwrite-missing";
    if (strstr(m, "Invalid decoder name"))
        return "unknown-decoder";
    if (strstr(m, "Invalid option") || strstr(m, "not supported and was ignored") ||
        strstr(m, "(7600)") || strstr(m, "unknown element") || strstr(m, "Invalid element"))
        return "unknown-option";
    if (strstr(m, "OS_Regex") || strstr(m, "OS_Match") || strstr(m, "(1452)"))
        return "osregex-syntax";
    if (strstr(m, "Syntax error") || strstr(m, "pcre2") || strstr(m, "PCRE2"))
        return "regex-compile";
    return "ruleset-warning";
}

/* "file:line: [rule N: ]message" from the loader. */
static void on_warn(void *ctx, const char *msg)
{
    lint_ctx *x = ctx;
    if (!tl_cli_is_user_file(x->c, msg))
        return;
    const char *sev;
    const char *check = classify(msg, &sev);
    if (!check)
        return;
    size_t flen = strcspn(msg, ":");
    char file[4096];
    snprintf(file, sizeof file, "%.*s", (int)(flen < sizeof file ? flen : sizeof file - 1), msg);
    int line = 0;
    const char *rest = msg + flen;
    if (*rest == ':') {
        char *end;
        long l = strtol(rest + 1, &end, 10);
        if (end != rest + 1) {
            line = (int)l;
            rest = end;
        }
    }
    while (*rest == ':' || *rest == ' ')
        rest++;
    add(x, file, line, column_of(file, line, NULL, -1), sev, check, rest);
}

static void on_lint(void *ctx, const char *file, int line, const char *check, const char *msg)
{
    lint_ctx *x = ctx;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s:", file ? file : "");
    if (!tl_cli_is_user_file(x->c, probe))
        return;
    add(x, file, line, column_of(file, line, NULL, -1),
        !strcmp(check, "no-scenario") ? "note" : "warning", check, msg);
}

static int cmp_finding(const void *a, const void *b)
{
    const finding *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return strcmp(x->check, y->check);
}

static int looks_like_decoders(const char *path)
{
    if (strstr(path, "/decoders/") || !strncmp(path, "decoders/", 9))
        return 1;
    char *text = NULL;
    size_t len = 0;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_file_read(path, &text, &len, &d) != TL_OK)
        return 0;
    int dec = strstr(text, "<decoder") && !strstr(text, "<rule");
    tl_free(text);
    return dec;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.xml of a folder, sorted, into the rules or decoders list. */
static int add_dir_files(tl_cli_common *c, const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        fprintf(stderr, "tasklab lint: %s: cannot read folder: %s\n", dir, strerror(errno));
        return -1;
    }
    tl_cli_list tmp = {0};
    struct dirent *e;
    while ((e = readdir(dh))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".xml") && e->d_name[0] != '.') {
            char *p = tl_path_join(dir, e->d_name);
            if (!p || tl_cli_list_add(&tmp, p) != TL_OK) {
                tl_free(p);
                closedir(dh);
                tl_cli_list_free(&tmp);
                return -1;
            }
            tl_free(p);
        }
    }
    closedir(dh);
    qsort(tmp.v, tmp.n, sizeof *tmp.v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < tmp.n && !rc; i++)
        if (tl_cli_list_add(looks_like_decoders(tmp.v[i]) ? &c->decoders : &c->rules, tmp.v[i]) !=
            TL_OK)
            rc = -1;
    tl_cli_list_free(&tmp);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* The ids of rules that fired in the scenario library, sorted (NULL: none). */
static int *library_fired(tl_cli_common *c, const tl_ruleset *rs, size_t *n)
{
    tl_cli_list files = {0};
    char *dir = tl_path_join(tl_cli_home(), "scenarios");
    char *args[] = {dir};
    int *ids = NULL;
    size_t nids = 0, cap = 0;
    tl_diag d;
    tl_diag_clear(&d);
    if (dir && tl_cli_expand_scenarios(args, 1, &files, &d) == TL_OK) {
        for (size_t i = 0; i < files.n; i++) {
            tl_scenario *sc = NULL;
            if (tl_scenario_load(files.v[i], &sc, &d) != TL_OK)
                continue;
            tl_run_opts ro;
            tl_run_result res;
            memset(&res, 0, sizeof res);
            tl_cli_fill_run_opts(c, "tasklab", &ro);
            if (tl_pipeline_run(sc, rs, &ro, &res, &d) == TL_OK) {
                for (const char *p = res.alerts_json; p && (p = strstr(p, "\"rule\":{"));) {
                    const char *id = strstr(p, "\"id\":\"");
                    p += 8;
                    if (!id)
                        break;
                    if (nids == cap) {
                        size_t nc = cap ? cap * 2 : 256;
                        int *nv = tl_realloc(ids, nc * sizeof *nv);
                        if (!nv)
                            break;
                        ids = nv;
                        cap = nc;
                    }
                    ids[nids++] = atoi(id + 6);
                }
            }
            tl_run_result_clear(&res);
            tl_scenario_free(sc);
        }
    }
    tl_cli_list_free(&files);
    tl_free(dir);
    if (ids)
        qsort(ids, nids, sizeof *ids, cmp_int);
    *n = nids;
    return ids;
}

enum { O_L_FORMAT = 1, O_L_COVERAGE };
static const tl_cli_opt lint_opts[] = {
    {"--format", "text|json", O_L_FORMAT, "one finding a line (default), or a JSON array", 0},
    {"--coverage", NULL, O_L_COVERAGE, "also report alerting rules no library scenario fires", 0},
    TL_CLI_OPT_PROFILE, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_lint_def = {
    "lint", "FILE|DIR...",
    "check Wazuh rule and decoder files: file:line:col: severity: message [check]", lint_opts,
    tl_cli_cmd_lint,
    "checks: unknown-option, missing-parent, duplicate-id, overwrite-missing, unknown-decoder,\n"
    "regex-compile, osregex-syntax, description-field, shadowed-sibling, no-scenario (--coverage).\n"
    "The files load on top of the profile (default: wazuh when its reference ruleset is present);\n"
    "a DIR with rules/ or decoders/ replaces the profile's rules and decoders.\n"
    "exit status: 0 clean, 1 findings, 2 unreadable input.\n"};

int tl_cli_cmd_lint(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, json = 0, coverage = 0, profile_given = 0, nops = 0;
    lint_ctx x;
    memset(&x, 0, sizeof x);
    tl_ruleset *rs = NULL;
    int *fired = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_lint_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == O_L_FORMAT) {
            if (strcmp(p.val, "text") && strcmp(p.val, "json")) {
                fprintf(stderr, "tasklab lint: --format %s: expected text or json\n", p.val);
                rc = 2;
                goto done;
            }
            json = !strcmp(p.val, "json");
        } else if (o == O_L_COVERAGE) {
            coverage = 1;
        } else if (o == TL_OPT_OPERAND) {
            nops++;
            struct stat sb;
            if (stat(p.val, &sb) != 0) {
                fprintf(stderr, "tasklab lint: %s: %s\n", p.val, strerror(errno));
                rc = 2;
                goto done;
            }
            if (S_ISDIR(sb.st_mode)) {
                char *r = tl_path_join(p.val, "rules"), *dd = tl_path_join(p.val, "decoders");
                int ruleset = r && dd && (is_dir(r) || is_dir(dd));
                tl_free(r);
                tl_free(dd);
                if (ruleset) {
                    if (c.ruleset_dir) {
                        fprintf(stderr, "tasklab lint: one ruleset folder at a time (%s, %s)\n",
                                c.ruleset_dir, p.val);
                        rc = 2;
                        goto done;
                    }
                    c.ruleset_dir = p.val;
                } else if (add_dir_files(&c, p.val) != 0) {
                    rc = 2;
                    goto done;
                }
            } else if (tl_cli_list_add(looks_like_decoders(p.val) ? &c.decoders : &c.rules,
                                       p.val) != TL_OK) {
                rc = 2;
                goto done;
            }
        } else {
            if (o == TL_OC_PROFILE)
                profile_given = 1;
            if (tl_cli_common_set(&c, o, p.val) < 0) {
                rc = 2;
                goto done;
            }
        }
    }
    if (!nops) {
        fprintf(stderr, "tasklab lint: no file given (see tasklab lint --help)\n");
        rc = 2;
        goto done;
    }
    if (!profile_given) {
        char *ref = tl_path_join(c.shared_dir, "reference/wazuh-full");
        c.profile = ref && is_dir(ref) ? "wazuh" : "default";
        tl_free(ref);
    }
    x.c = &c;
    tl_profile_opts po;
    memset(&po, 0, sizeof po);
    po.profile = c.profile;
    po.ruleset_dir = c.ruleset_dir;
    po.extra_rules = (const char *const *)c.rules.v;
    po.n_extra_rules = c.rules.n;
    po.extra_decoders = (const char *const *)c.decoders.v;
    po.n_extra_decoders = c.decoders.n;
    po.etc_dir = c.etc_dir;
    po.shared_dir = c.shared_dir;
    po.warn = on_warn;
    po.warn_ctx = &x;
    tl_status st = tl_profile_load(&po, &rs, &d);
    if (st == TL_E_NOTFOUND) {
        tl_cli_error(&d);
        rc = 77;
        goto done;
    }
    if (st != TL_OK) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s:", d.file);
        if (st == TL_E_IO || st == TL_E_NOMEM || st == TL_E_INVAL || st == TL_E_PARSE ||
            !tl_cli_is_user_file(&c, probe)) {
            tl_cli_error(&d);
            rc = 2;
            goto done;
        }
        const char *sev;
        const char *check = classify(d.msg, &sev);
        long off = -1;
        const char *o = strstr(d.msg, "at offset ");
        if (o)
            off = strtol(o + 10, NULL, 10);
        const char *tag = NULL;
        char tagbuf[64] = "";
        const char *t = strstr(d.msg, "on tag '");
        if (t && sscanf(t + 8, "%63[^']", tagbuf) == 1)
            tag = tagbuf;
        add(&x, d.file, d.line, column_of(d.file, d.line, tag, off), "error",
            check ? check : "ruleset-error", d.msg);
    } else {
        size_t nfired = 0;
        if (coverage) {
            fired = library_fired(&c, rs, &nfired);
        }
        static const int none[1] = {0};
        tl_ruleset_lint(rs, coverage ? (fired ? fired : none) : NULL, nfired, on_lint, &x);
    }
    if (x.nomem) {
        fprintf(stderr, "tasklab lint: out of memory\n");
        rc = 2;
        goto done;
    }
    if (x.n)
        qsort(x.v, x.n, sizeof *x.v, cmp_finding);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; arr && i < x.n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "file", x.v[i].file);
            cJSON_AddNumberToObject(o, "line", x.v[i].line);
            cJSON_AddNumberToObject(o, "column", x.v[i].col);
            cJSON_AddStringToObject(o, "severity", x.v[i].severity);
            cJSON_AddStringToObject(o, "message", x.v[i].msg);
            cJSON_AddStringToObject(o, "check", x.v[i].check);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = arr ? cJSON_Print(arr) : NULL;
        if (s)
            printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(arr);
    } else {
        for (size_t i = 0; i < x.n; i++)
            printf("%s:%d:%d: %s: %s [%s]\n", x.v[i].file, x.v[i].line, x.v[i].col,
                   x.v[i].severity, x.v[i].msg, x.v[i].check);
    }
    rc = x.n ? 1 : 0;
done:
    for (size_t i = 0; i < x.n; i++) {
        tl_free(x.v[i].file);
        tl_free(x.v[i].msg);
    }
    tl_free(x.v);
    tl_free(fired);
    tl_ruleset_free(rs);
    tl_cli_common_free(&c);
    return rc;
}
