/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: scenario JSON run with host mirroring on (tl_sim_opts.drive_c
 * set), the path every `tasklab run` takes: each endpoint file the scenario
 * writes or deletes is mirrored into a host folder laid out as C:. The drive
 * lives 8 folders deep in a private temporary folder,
 *   $TMPDIR/tl-fuzz-drive-XXXXXX/a/b/c/d/e/f/g/drive_c
 * and after each input every folder above drive_c must still hold exactly
 * its one child: a write that escaped the drive (`C:\..\x`, a symlink, a
 * drive letter) aborts, as a crash would. The drive is emptied between
 * inputs. Same skips as the scenario target (large noise).
 */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario_int.h"
#include "tasklab/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH 7
static char g_root[4096];
static char g_drive[4200];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    if (ftw->level > 0) /* keep drive_c itself */
        remove(p);
    return 0;
}

/* Each folder from the root down to drive_c's parent holds one entry. */
static void check_contained(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s", g_root);
    for (int i = 0; i <= DEPTH; i++) {
        DIR *d = opendir(p);
        if (!d)
            abort();
        int n = 0;
        struct dirent *e;
        const char *extra = NULL;
        char want[16] = "drive_c";
        if (i < DEPTH) {
            want[0] = (char)('a' + i);
            want[1] = '\0';
        }
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                n++;
                if (strcmp(e->d_name, want))
                    extra = e->d_name;
            }
        if (n != 1 || extra) {
            fprintf(stderr, "scenario_drive: a write escaped the drive: %s/%s\n", p,
                    extra ? extra : "(missing)");
            abort();
        }
        closedir(d);
        size_t l = strlen(p);
        snprintf(p + l, sizeof p - l, "/%s", want);
    }
}

static int setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_root, sizeof g_root, "%s/tl-fuzz-drive-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(g_root))
        return -1;
    snprintf(g_drive, sizeof g_drive, "%s", g_root);
    for (int i = 0; i < DEPTH; i++) {
        size_t l = strlen(g_drive);
        snprintf(g_drive + l, sizeof g_drive - l, "/%c", 'a' + i);
        if (mkdir(g_drive, 0700) != 0)
            return -1;
    }
    size_t l = strlen(g_drive);
    snprintf(g_drive + l, sizeof g_drive - l, "/drive_c");
    return mkdir(g_drive, 0700);
}

static int rm_all(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

/* The whole private folder, at exit (the replay driver and libFuzzer both exit). */
static void teardown(void) { nftw(g_root, rm_all, 16, FTW_DEPTH | FTW_PHYS); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (setup() != 0)
            abort();
        atexit(teardown);
        ready = 1;
    }
    tl_diag d;
    tl_scenario *sc = NULL;
    if (tl_scenario_load_mem("scenarios/f.json", (const char *)data, size, &sc, &d) != TL_OK)
        return 0;
    for (size_t i = 0; i < sc->nsteps; i++)
        if (sc->steps[i].kind == TL_STEP_NOISE && sc->steps[i].noise_events > 2000)
            goto done;
    tl_sim_opts o = {TL_SOURCE_DIR "/pipeline/etc", NULL, NULL, g_drive};
    tl_sim *s = NULL;
    if (tl_sim_new(sc, &o, &s, &d) == TL_OK) {
        for (size_t i = 0; i < tl_sim_step_count(s); i++) {
            if (tl_sim_run_step(s, i, &d) != TL_OK)
                break;
            tl_record r;
            while (tl_sim_next_record(s, &r))
                ;
        }
        tl_sim_free(s);
    }
done:
    tl_scenario_free(sc);
    check_contained();
    nftw(g_drive, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
