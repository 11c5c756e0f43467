/* SPDX-License-Identifier: MIT */
/*
 * What tasklab does differently on a terminal, and only there: colour (unless
 * NO_COLOR is set, https://no-color.org, or TERM=dumb) and a progress line on
 * stderr once a long job has run for about a second (TASKLAB_PROGRESS_AFTER=S
 * sets that delay in seconds, 0..3600; tests use 0 so they do not depend on
 * how fast the machine is). Neither ever reaches a file or a pipe, so outputs
 * stay byte-identical from run to run; the monotonic clock read here never
 * enters an output either.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tl_cli_color(int fd)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (nc && *nc)
        return 0;
    if (term && !strcmp(term, "dumb"))
        return 0;
    return tl_isatty(fd);
}

double tl_cli_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tl_cli_progress_start(tl_cli_progress *p, const char *what)
{
    const char *term = getenv("TERM");
    p->what = what;
    p->t0 = tl_cli_monotonic();
    p->shown = 0;
    p->tty = tl_isatty(2) && !(term && !strcmp(term, "dumb"));
    p->after = 1.0;
    const char *after = getenv("TASKLAB_PROGRESS_AFTER");
    if (after && *after) {
        char *end = NULL;
        double v = strtod(after, &end);
        if (end && *end == '\0' && v >= 0.0 && v <= 3600.0)
            p->after = v; /* anything else: the default, silently (it only paces stderr) */
    }
}

void tl_cli_progress_step(tl_cli_progress *p, size_t done, size_t total)
{
    if (!p->tty || tl_cli_monotonic() - p->t0 < p->after)
        return;
    fprintf(stderr, "\r%s: %zu/%zu", p->what, done, total);
    fflush(stderr);
    p->shown = 1;
}

void tl_cli_progress_end(tl_cli_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}
