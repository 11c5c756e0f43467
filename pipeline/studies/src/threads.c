/* SPDX-License-Identifier: MIT */
/*
 * The studies' worker pool: `jobs` workers (1 to 64) run fn(arg), the calling
 * thread being one of them, and all are joined before it returns. The workers
 * share their work through arg (an atomic next-item counter in each study),
 * so a study's output never depends on how many workers there were or which
 * took what. A thread that cannot be started leaves its share to the others.
 */
#include "studies_int.h"

#include <pthread.h>

void tl_studies_run_threads(int jobs, void *(*fn)(void *), void *arg)
{
    if (jobs < 1)
        jobs = 1;
    if (jobs > 64)
        jobs = 64;
    pthread_t th[64];
    int started = 0;
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&th[started], NULL, fn, arg) != 0)
            break;
        started++;
    }
    fn(arg);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}
