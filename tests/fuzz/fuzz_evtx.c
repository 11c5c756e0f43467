/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: tasklab's own EVTX reader (pipeline/replay/src/evtx_file.c,
 * evtx_binxml.c). An input that starts with "ElfFile" is read as a whole
 * .evtx file; any other input becomes the body of one chunk (after its
 * "ElfChnk\0" signature) behind a valid file header, so the fuzzer works on
 * chunk headers, records and BinXml directly (checksums then fail, and the
 * reader must try every record anyway). Every record is read.
 * Properties: never a crash, a leak, an out-of-bounds read or an unbounded
 * loop; every record returned is in the agent's EvtRender form (rendering
 * it again gives the same bytes) and forms a queue line.
 * Seeds (tests/fuzz/corpus/evtx) are synthetic files written by
 * test_evtx (TL_EVTX_CORPUS_DIR=dir build/tests/test_evtx), no recording.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/replay.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t crc = ~0u;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/tl_fuzz_evtx_%ld.evtx", (long)getpid());
    if (size > 4096 + 4 * 65536)
        return 0; /* a few chunks are enough */
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = 1;
    if (size >= 7 && !memcmp(data, "ElfFile", 7)) {
        ok = fwrite(data, 1, size, f) == size;
    } else {
        uint8_t h[4096];
        memset(h, 0, sizeof h);
        memcpy(h, "ElfFile", 8);
        h[32] = 128;
        h[38] = 3;
        h[41] = 0x10;
        h[42] = 1;
        uint32_t crc = crc32_ieee(h, 120);
        for (int i = 0; i < 4; i++)
            h[124 + i] = (uint8_t)(crc >> (8 * i));
        ok = fwrite(h, 1, sizeof h, f) == sizeof h && fwrite("ElfChnk", 1, 8, f) == 8 &&
             (!size || fwrite(data, 1, size > 65528 ? 65528 : size, f) > 0);
    }
    if (fclose(f) != 0 || !ok)
        return 0;

    tl_replay *r = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_replay_open(path, TL_REPLAY_EVTX, &r, &d) == TL_OK) {
        tl_replay_record rec;
        int got = 0;
        tl_buf q = TL_BUF_INIT, again = TL_BUF_INIT;
        while (tl_replay_next(r, &rec, &got) == TL_OK && got) {
            tl_buf_reset(&again);
            tl_status st = tl_replay_render(rec.event, rec.event_len, &again, NULL, NULL, NULL);
            if (st != TL_E_NOMEM &&
                (st != TL_OK || again.len != rec.event_len || memcmp(again.data, rec.event, rec.event_len)))
                abort();
            tl_buf_reset(&q);
            tl_replay_queue_line(&rec, "001", "fuzz", 0, &q);
        }
        (void)tl_replay_damage(r);
        tl_buf_free(&q);
        tl_buf_free(&again);
        tl_replay_free(r);
    }
    unlink(path);
    return 0;
}
