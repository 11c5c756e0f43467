/* SPDX-License-Identifier: MIT */
/*
 * Differential test of tasklab's EVTX reader against libevtx: every .evtx
 * under the folder given (sorted walk) is read by both, and the records must
 * agree one for one, in replay order: the forwarded Event XML byte for byte,
 * the Channel, EventRecordID, TimeCreated and the record's number, and
 * neither reader may report damage on these intact recordings.
 *
 * usage: evtx_diff DIR [-v]     exit 0 all equal, 1 a difference (the first
 * few printed), 77 when DIR is absent or tasklab was built without libevtx.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/replay.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct list {
    char **v;
    size_t n, cap;
} list;

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir, list *out, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    list here = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(l);
        snprintf(p, l, "%s/%s", dir, e->d_name);
        if (here.n == here.cap) {
            here.cap = here.cap ? here.cap * 2 : 64;
            here.v = realloc(here.v, here.cap * sizeof *here.v);
        }
        here.v[here.n++] = p;
    }
    closedir(d);
    qsort(here.v, here.n, sizeof *here.v, cmp);
    for (size_t i = 0; i < here.n; i++) {
        struct stat sb;
        size_t l = strlen(here.v[i]);
        if (stat(here.v[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            walk(here.v[i], out, depth + 1);
            free(here.v[i]);
        } else if (l > 5 && !strcmp(here.v[i] + l - 5, ".evtx")) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 256;
                out->v = realloc(out->v, out->cap * sizeof *out->v);
            }
            out->v[out->n++] = here.v[i];
        } else {
            free(here.v[i]);
        }
    }
    free(here.v);
}

/* First differing byte, for the report. */
static size_t first_diff(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i = 0;
    while (i < al && i < bl && a[i] == b[i])
        i++;
    return i;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int verbose = argc > 2 && !strcmp(argv[2], "-v");
    if (!tl_replay_have_libevtx()) {
        printf("SKIP: tasklab was built without libevtx\n");
        return 77;
    }
    struct stat sb;
    if (stat(argv[1], &sb) != 0) {
        printf("SKIP: %s absent\n", argv[1]);
        return 77;
    }
    list files = {0};
    walk(argv[1], &files, 0);
    size_t records = 0, bad = 0, badfiles = 0;
    for (size_t f = 0; f < files.n; f++) {
        tl_replay *a = NULL, *b = NULL;
        tl_diag da, db;
        tl_status sa = tl_replay_open(files.v[f], TL_REPLAY_EVTX, &a, &da);
        tl_status sb2 = tl_replay_open(files.v[f], TL_REPLAY_EVTX_LIBEVTX, &b, &db);
        size_t fbad = 0;
        if (sa != TL_OK || sb2 != TL_OK) {
            printf("%s: open: own %s (%s), libevtx %s (%s)\n", files.v[f], tl_strerror(sa),
                   sa ? da.msg : "", tl_strerror(sb2), sb2 ? db.msg : "");
            fbad++;
        }
        for (;;) {
            if (fbad)
                break;
            tl_replay_record ra, rb;
            int ga = 0, gb = 0;
            if (tl_replay_next(a, &ra, &ga) != TL_OK || tl_replay_next(b, &rb, &gb) != TL_OK) {
                printf("%s: out of memory\n", files.v[f]);
                fbad++;
                break;
            }
            if (!ga || !gb) {
                if (ga != gb) {
                    printf("%s: own reader gives %s records than libevtx\n", files.v[f],
                           ga ? "more" : "fewer");
                    fbad++;
                }
                break;
            }
            records++;
            const char *what = NULL;
            if (ra.event_len != rb.event_len || memcmp(ra.event, rb.event, ra.event_len))
                what = "Event";
            else if (strcmp(ra.channel, rb.channel))
                what = "Channel";
            else if (ra.record_id != rb.record_id)
                what = "EventRecordID";
            else if (ra.time != rb.time)
                what = "TimeCreated";
            else if (ra.number != rb.number)
                what = "record number";
            if (what) {
                fbad++;
                if (fbad <= 2 || verbose) {
                    size_t at = first_diff(ra.event, ra.event_len, rb.event, rb.event_len);
                    size_t from = at > 60 ? at - 60 : 0;
                    printf("%s: record %zu (EventRecordID %llu): %s differs at byte %zu\n"
                           "  own:     %.160s\n  libevtx: %.160s\n",
                           files.v[f], rb.number, (unsigned long long)rb.record_id, what, at,
                           ra.event + (from < ra.event_len ? from : ra.event_len),
                           rb.event + (from < rb.event_len ? from : rb.event_len));
                }
            }
        }
        if (!fbad && (tl_replay_damaged(a) || tl_replay_damaged(b))) {
            printf("%s: damage reported: own \"%s\", libevtx \"%s\"\n", files.v[f],
                   tl_replay_damage(a), tl_replay_damage(b));
            fbad++;
        }
        if (fbad) {
            badfiles++;
            bad += fbad;
        }
        tl_replay_free(a);
        tl_replay_free(b);
        free(files.v[f]);
    }
    free(files.v);
    printf("%zu files, %zu records compared; %zu differences in %zu files\n", files.n, records, bad,
           badfiles);
    return bad ? 1 : 0;
}
