/* SPDX-License-Identifier: MIT */
/*
 * Commands whose engines are not part of this build yet. They say so and exit
 * with status 2 instead of pretending to work.
 */
#include "cli.h"

#include <stdio.h>

int tl_cli_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tasklab bench: not built yet in this version of tasklab\n");
    return 2;
}
