/* SPDX-License-Identifier: MIT */
/*
 * tasklab's main(): stdout line-buffered (a CI log shows each line as it is
 * written, even through a pipe) and, on Windows, binary standard streams
 * (tl_platform_init), then dispatch through tl_cli_commands[]
 * (commands.c) to the command implementations in the tl_cli library.
 */
#include "cli.h"
#include "tasklab/platform.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    tl_platform_init();
    xmlInitParser();
    tl_cli_init_json();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        (!strcmp(argv[1], "help") && argc == 2)) {
        tl_cli_print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
        cmd = "version";
    if (!strcmp(cmd, "help")) { /* tasklab help CMD */
        const tl_cli_cmd *c = tl_cli_find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "tasklab: unknown command '%s' (see tasklab --help)\n", argv[2]);
            return 2;
        }
        tl_cli_print_help(c, stdout);
        return 0;
    }
    const tl_cli_cmd *c = tl_cli_find_command(cmd);
    int rc;
    if (!c) {
        fprintf(stderr, "tasklab: unknown command '%s' (see tasklab --help)\n", cmd);
        rc = 2;
    } else {
        rc = c->main(argc - 1, argv + 1);
    }
    xmlCleanupParser();
    return rc;
}
