/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the recording readers (pipeline/replay). The input is written
 * to a temporary file and opened as a recording of whatever kind it sniffs as
 * (EVTX through tasklab's own reader, an XML export, agent JSON lines);
 * every record is read. Then the input goes straight through the EvtRender
 * re-serialiser. Properties: never a crash, a leak or an unbounded loop; a
 * rendered Event renders again to the same bytes (the agent form is a fixed
 * point), and every record a reader returns is in that form, except a queue
 * capture's log lines (no Event), which come back verbatim, as the capture's
 * other messages do.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/replay.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fixed_point(const char *ev, size_t len)
{
    tl_buf again = TL_BUF_INIT;
    tl_status st = tl_replay_render(ev, len, &again, NULL, NULL, NULL);
    if (st == TL_E_NOMEM) {
        tl_buf_free(&again);
        return;
    }
    if (st != TL_OK || again.len != len || memcmp(again.data, ev, len))
        abort();
    tl_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/tl_fuzz_replay_%ld.rec", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);

    tl_replay *r = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_replay_open(path, TL_REPLAY_AUTO, &r, &d) == TL_OK) {
        tl_replay_record rec;
        int got = 0;
        tl_buf q = TL_BUF_INIT;
        while (tl_replay_next(r, &rec, &got) == TL_OK && got) {
            /* a record without an Event is a queue capture's log line ("1:..."),
             * which the reader keeps verbatim; every other record is an Event */
            if (rec.event_len || !rec.queue)
                check_fixed_point(rec.event, rec.event_len);
            else if (!rec.queue_len)
                abort();
            tl_buf_reset(&q);
            tl_replay_queue_line(&rec, "001", "fuzz", 1, &q);
            /* a capture's message is forwarded as it was read */
            if (rec.queue && tl_buf_status(&q) == TL_OK &&
                (q.len != rec.queue_len || memcmp(q.data, rec.queue, q.len)))
                abort();
        }
        (void)tl_replay_damage(r);
        tl_buf_free(&q);
        tl_replay_free(r);
    }
    unlink(path);

    tl_buf out = TL_BUF_INIT;
    tl_buf chan = TL_BUF_INIT;
    uint64_t id;
    tl_time t;
    if (tl_replay_render((const char *)data, size, &out, &chan, &id, &t) == TL_OK)
        check_fixed_point(out.data, out.len);
    tl_buf_free(&out);
    tl_buf_free(&chan);
    return 0;
}
