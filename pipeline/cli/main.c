/* SPDX-License-Identifier: MIT */
/* tasklab's main(): dispatch to the command implementations in the tl_cli library. */
#include "cli.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

/* ---- not built yet ------------------------------------------------------ */

int main(int argc, char **argv)
{
    xmlInitParser();
    tl_cli_init_json();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(tl_cli_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    int rc;
    if (!strcmp(cmd, "run"))
        rc = tl_cli_run(argc - 1, argv + 1);
    else if (!strcmp(cmd, "test"))
        rc = tl_cli_cmd_test(argc - 1, argv + 1);
    else if (!strcmp(cmd, "sysmon"))
        rc = tl_cli_sysmon(argc - 1, argv + 1);
    else if (!strcmp(cmd, "explain"))
        rc = tl_cli_explain(argc - 1, argv + 1);
    else if (!strcmp(cmd, "logtest"))
        rc = tl_cli_cmd_logtest(argc - 1, argv + 1);
    else if (!strcmp(cmd, "ruleset-test"))
        rc = tl_cli_cmd_ruleset_test(argc - 1, argv + 1);
    else if (!strcmp(cmd, "bench"))
        rc = tl_cli_cmd_bench(argc - 1, argv + 1);
    else if (!strcmp(cmd, "coverage"))
        rc = tl_cli_cmd_coverage(argc - 1, argv + 1);
    else {
        fprintf(stderr, "tasklab: unknown command '%s' (see tasklab --help)\n", cmd);
        rc = 2;
    }
    xmlCleanupParser();
    return rc;
}
