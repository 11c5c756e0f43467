/* SPDX-License-Identifier: MIT */
/*
 * tasklab --version (and `tasklab version`): tasklab's own version (git
 * describe at build time, version.cmake) and the Wazuh ruleset version the
 * `wazuh` profile would load, read from the provenance note of the reference
 * ruleset ("* Tag: `v4.14.7`"), or "not found" when ../shared is absent.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "tl_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const tl_cli_opt version_opts[] = {TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_version_def = {
    "version", "", "tasklab's version and the Wazuh ruleset version of the wazuh profile",
    version_opts, tl_cli_cmd_version, NULL};

/* The folder the wazuh profile reads (the complete ruleset when present). */
static char *wazuh_ref_dir(const char *shared)
{
    static const char *const cand[] = {"reference/wazuh-full", "reference/wazuh"};
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        char *p = tl_path_join(shared, cand[i]);
        struct stat sb;
        if (p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            return p;
        tl_free(p);
    }
    return NULL;
}

int tl_cli_cmd_version(int argc, char **argv)
{
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_version_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP)
            return 0;
        if (o == TL_OPT_OPERAND)
            fprintf(stderr, "tasklab version: unexpected argument '%s'\n", p.val);
        return 2;
    }
    printf("tasklab %s\n", TL_VERSION);
    char *shared = tl_cli_shared_dir();
    char *dir = shared ? wazuh_ref_dir(shared) : NULL;
    char *note = dir ? tl_path_join(dir, "LICENSE-NOTE.md") : NULL;
    char *text = NULL, tag[64] = "";
    size_t len = 0;
    tl_diag d;
    tl_diag_clear(&d);
    if (note && tl_file_read(note, &text, &len, &d) == TL_OK) {
        const char *t = strstr(text, "Tag: `");
        if (t) {
            t += 6;
            size_t n = strcspn(t, "`\n");
            if (n < sizeof tag) {
                memcpy(tag, t, n);
                tag[n] = '\0';
            }
        }
    }
    if (!dir)
        printf("wazuh profile: Wazuh ruleset not found (../shared/reference absent)\n");
    else
        printf("wazuh profile: Wazuh ruleset %s (%s)\n", tag[0] ? tag : "of unknown version", dir);
    tl_free(text);
    tl_free(note);
    tl_free(dir);
    tl_free(shared);
    return 0;
}
