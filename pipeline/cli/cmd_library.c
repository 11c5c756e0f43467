/* SPDX-License-Identifier: MIT */
/*
 * The scenario library from the command line:
 *   tasklab list [--technique T] [--kind attack|benign] [SCENARIO|DIR...]
 *       each scenario (default: the library) with its kind, technique, title
 *       and sources (the "references" of the file), in name order;
 *   tasklab new NAME [--kind attack|benign] [--dir DIR]
 *       writes DIR/NAME.json (default: the current folder), a skeleton that
 *       loads as it is, with one expect item for the author to rewrite;
 *       NAME is [A-Za-z0-9][A-Za-z0-9._-]* and an existing file is never
 *       overwritten.
 * (test --draft-expect lives in cmd_test.c.)
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { O_LS_TECHNIQUE = 1, O_LS_KIND };
static const tl_cli_opt list_opts[] = {
    {"--technique", "T", O_LS_TECHNIQUE, "only scenarios of ATT&CK technique T (T1053.005; T1053 takes its sub-techniques)", 0},
    {"--kind", "attack|benign", O_LS_KIND, "only attack or only benign scenarios", 0},
    TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_list_def = {"list", "[SCENARIO|DIR...]",
                                        "the scenario library: kind, technique, title and sources",
                                        list_opts, tl_cli_cmd_list, NULL};

int tl_cli_cmd_list(int argc, char **argv)
{
    const char *technique = NULL, *kind = NULL;
    int rc = 0, nargs = 0, shown = 0;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *def = NULL;
    tl_cli_list files = {0};
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_list_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == O_LS_TECHNIQUE)
            technique = p.val;
        else if (o == O_LS_KIND) {
            if (strcmp(p.val, "attack") && strcmp(p.val, "benign")) {
                fprintf(stderr, "tasklab list: --kind %s: expected attack or benign\n", p.val);
                rc = 2;
                goto done;
            }
            kind = p.val;
        } else
            args[nargs++] = (char *)p.val;
    }
    if (!nargs) {
        def = tl_path_join(tl_cli_home(), "scenarios");
        args[nargs++] = def;
    }
    if (tl_cli_expand_scenarios(args, nargs, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    for (size_t i = 0; i < files.n; i++) {
        tl_scenario *sc = NULL;
        if (tl_scenario_load(files.v[i], &sc, &d) != TL_OK) {
            tl_cli_error(&d);
            rc = 2;
            continue;
        }
        const char *k = tl_scenario_kind(sc) ? tl_scenario_kind(sc) : "";
        const char *t = tl_scenario_technique(sc) ? tl_scenario_technique(sc) : "";
        size_t tl = technique ? strlen(technique) : 0;
        int keep = (!kind || !strcmp(kind, k)) &&
                   (!technique || (!strncmp(t, technique, tl) && (t[tl] == '\0' || t[tl] == '.')));
        if (keep) {
            printf("%-40s %-6s %-10s %s\n", tl_scenario_name(sc), k, t, tl_scenario_title(sc));
            /* the sources: the file's "references" (validated by the loader) */
            char *text = NULL;
            size_t len = 0;
            if (tl_file_read(files.v[i], &text, &len, &d) == TL_OK) {
                cJSON *j = cJSON_ParseWithLength(text, len);
                const cJSON *refs = cJSON_GetObjectItemCaseSensitive(j, "references"), *r;
                cJSON_ArrayForEach(r, refs) if (cJSON_IsString(r))
                    printf("    source: %s\n", r->valuestring);
                cJSON_Delete(j);
            }
            tl_free(text);
            shown++;
        }
        tl_scenario_free(sc);
    }
    printf("%d scenario%s\n", shown, tl_cli_plural((size_t)shown));
done:
    tl_cli_list_free(&files);
    tl_free(def);
    free(args);
    return rc;
}

enum { O_NEW_KIND = 1, O_NEW_DIR };
static const tl_cli_opt new_opts[] = {
    {"--kind", "attack|benign", O_NEW_KIND, "the skeleton's kind (default attack)", 0},
    {"--dir", "DIR", O_NEW_DIR, "write DIR/NAME.json (default: the current folder)", 0},
    TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_new_def = {
    "new", "NAME", "write a scenario skeleton NAME.json to fill in (never overwrites)", new_opts,
    tl_cli_cmd_new, "NAME: a letter or digit, then letters, digits, '.', '_' or '-'.\n"};

static int valid_name(const char *n)
{
    static const char an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (!*n || !strchr(an, n[0]) || strlen(n) > 200)
        return 0;
    for (const char *p = n; *p; p++)
        if (!strchr(an, *p) && *p != '.' && *p != '_' && *p != '-')
            return 0;
    return 1;
}

int tl_cli_cmd_new(int argc, char **argv)
{
    const char *name = NULL, *kind = "attack", *dir = ".";
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_new_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR)
            return o == TL_OPT_HELP ? 0 : 2;
        if (o == O_NEW_KIND) {
            if (strcmp(p.val, "attack") && strcmp(p.val, "benign")) {
                fprintf(stderr, "tasklab new: --kind %s: expected attack or benign\n", p.val);
                return 2;
            }
            kind = p.val;
        } else if (o == O_NEW_DIR) {
            dir = p.val;
        } else if (name) {
            fprintf(stderr, "tasklab new: one NAME at a time\n");
            return 2;
        } else {
            name = p.val;
        }
    }
    if (!name) {
        fprintf(stderr, "tasklab new: no NAME given (see tasklab new --help)\n");
        return 2;
    }
    if (!valid_name(name)) {
        fprintf(stderr,
                "tasklab new: '%s': a name is a letter or digit, then letters, digits, '.', '_' "
                "or '-'\n",
                name);
        return 2;
    }
    int attack = !strcmp(kind, "attack");
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "{\n  \"name\": ");
    tl_buf_json_str(&b, name);
    tl_buf_printf(
        &b,
        ",\n  \"title\": \"TODO: one line saying what happens\",\n"
        "  \"description\": \"TODO: the procedure, who uses it, and what the source shows.\",\n"
        "  \"technique\": \"T1053.005\",\n  \"actor\": \"TODO\",\n  \"kind\": \"%s\",\n"
        "  \"references\": [\"TODO: the URL of the source of the command lines\"],\n"
        "  \"endpoint\": {\n    \"hostname\": \"DESKTOP-4E0BQFT\",\n    \"sysmon_config\": "
        "\"default\",\n    \"users\": [{\"name\": \"alice\", \"admin\": true}]\n  },\n"
        "  \"start\": \"2024-01-01T09:00:00.000Z\",\n  \"seed\": 1,\n  \"steps\": [\n"
        "    {\"at\": 0, \"user\": \"alice\", \"elevated\": true, \"parent\": "
        "\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\n"
        "     \"command\": \"schtasks /create /tn %s /tr C:\\\\Windows\\\\System32\\\\calc.exe /sc "
        "onlogon /ru System /f\"}\n  ],\n"
        "  \"expect\": [\n"
        "    {\"count\": %d, \"match\": {\"rule.id\": \"115006\"}, \"why\": \"TODO: what the source "
        "says should %s\"}\n  ]\n}\n",
        kind, "new-task", attack ? 1 : 0, attack ? "alert" : "stay silent");
    char *path = tl_path_join(dir, name);
    tl_buf pb = TL_BUF_INIT;
    tl_buf_printf(&pb, "%s.json", path ? path : "");
    tl_free(path);
    int rc = 0;
    tl_scenario *sc = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_buf_status(&b) != TL_OK || tl_buf_status(&pb) != TL_OK) {
        rc = 2;
        goto out;
    }
    /* the skeleton must load as written */
    if (tl_scenario_load_mem(tl_buf_cstr(&pb), tl_buf_cstr(&b), b.len, &sc, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto out;
    }
    int fd = open(tl_buf_cstr(&pb), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        fprintf(stderr, "tasklab new: %s: %s\n", tl_buf_cstr(&pb),
                errno == EEXIST ? "exists already (not overwritten)" : strerror(errno));
        rc = 2;
        goto out;
    }
    ssize_t w = write(fd, tl_buf_cstr(&b), b.len);
    if (close(fd) != 0 || w != (ssize_t)b.len) {
        fprintf(stderr, "tasklab new: %s: cannot write\n", tl_buf_cstr(&pb));
        remove(tl_buf_cstr(&pb));
        rc = 2;
        goto out;
    }
    printf("wrote %s: fill in the TODOs, then `tasklab test --draft-expect %s`\n",
           tl_buf_cstr(&pb), tl_buf_cstr(&pb));
out:
    tl_scenario_free(sc);
    tl_buf_free(&b);
    tl_buf_free(&pb);
    return rc;
}
