/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: one run of analyze-scheduled-task on an arbitrary stdin line
 * (message validation, targetObject resolution, check_keys reply handling).
 * The input is split at the first newline: the message, then execd's reply.
 * A private temporary C: drive holds one task file; logs are reset each run.
 * Invariant checked: scheduled-tasks.log holds nothing or exactly one line.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/ar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], drive[96], install[160], tasklog[200], arlog[220];

static void remove_drive(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root); /* the fuzzer's own temporary folder */
    if (system(cmd) != 0)
        fprintf(stderr, "ar_message: cannot remove %s\n", root);
}

static void init(void)
{
    snprintf(root, sizeof root, "/tmp/tl-fuzz-ar-XXXXXX");
    if (!mkdtemp(root))
        abort();
    snprintf(drive, sizeof drive, "%s/c", root);
    snprintf(install, sizeof install, "%s/Program Files (x86)/ossec-agent", drive);
    char p[300];
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/Folder", drive);
    if (tl_mkdirs(p, NULL) != TL_OK)
        abort();
    snprintf(p, sizeof p, "%s/logs", install);
    tl_mkdirs(p, NULL);
    snprintf(p, sizeof p, "%s/active-response", install);
    tl_mkdirs(p, NULL);
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/Folder/T", drive);
    const char *xml = "<Task><Actions><Exec><Command>calc.exe</Command></Exec></Actions></Task>";
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    fputs(xml, f);
    fclose(f);
    snprintf(tasklog, sizeof tasklog, "%s/logs/scheduled-tasks.log", install);
    snprintf(arlog, sizeof arlog, "%s/active-response/active-responses.log", install);
    atexit(remove_drive);
}

typedef struct feed {
    const char *p;
    size_t n;
} feed;

static tl_status rd(void *ctx, size_t limit, char **line)
{
    feed *f = ctx;
    if (!f->n)
        return TL_E_NOTFOUND;
    const char *nl = memchr(f->p, '\n', f->n);
    size_t k = nl ? (size_t)(nl - f->p) : f->n;
    const char *s = f->p;
    f->p += nl ? k + 1 : k;
    f->n -= nl ? k + 1 : k;
    if (k > limit)
        return TL_E_LIMIT;
    *line = tl_strndup(s, k);
    return *line ? TL_OK : TL_E_NOMEM;
}

static tl_status wr(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
    return TL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0])
        init();
    unlink(tasklog);
    unlink(arlog);
    feed fd = {(const char *)data, size};
    tl_ar_env env = {drive, install, "active-response/bin/analyze-scheduled-task", 0, 0,
                     size > 0 && (data[0] & 1), NULL};
    tl_ar_io io = {&fd, rd, wr};
    int rc = tl_ar_run(&env, &io);
    if (rc < 0 || rc > 2)
        __builtin_trap();
    char *out = NULL;
    size_t len = 0;
    if (tl_file_read(tasklog, &out, &len, NULL) == TL_OK) {
        char *nl = memchr(out, '\n', len);
        if (len && (!nl || (size_t)(nl - out) != len - 1))
            __builtin_trap(); /* exactly one complete line */
        tl_free(out);
    }
    return 0;
}
