/* The heap benchmark's workload: malloc/free churn over 256 live blocks per thread, sizes
   16..4096 bytes (mean ~900), the same sequence every run. Built twice per allocator by
   bench/heap.sh: plain (glibc, the allocator linked, or whatever LD_PRELOAD brings) and with
   -DBENCH_WRAP (pprof.h's PPROF_WRAP_MALLOC at the rate given, over that allocator). Prints
   "ns_per_pair <x>" (wall time per pair on each thread; threads <= cores).
   usage: heap THREADS PAIRS_PER_THREAD [RATE]                                           */
#ifdef BENCH_WRAP
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "../pprof.h"
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

static long pairs;
static volatile uintptr_t sink;

static void *churn(void *arg) {
    void *slot[256] = {0};
    uintptr_t sum = 0; /* to sink once, at the end (written every pair, its line went back
                          and forth between the threads: half of each pair's time) */
    uint64_t x = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)arg;
    long i;
    for (i = 0; i < pairs; i++) {
        unsigned r;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        r = (unsigned)(x >> 32);
        free(slot[r & 255]);
        slot[r & 255] = malloc((size_t)(16u << ((r >> 8) % 9)) + ((r >> 12) & 15));
        sum += (uintptr_t)slot[r & 255];
    }
    for (i = 0; i < 256; i++) free(slot[i]);
    sink += sum;
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2, i;
    pthread_t th[64];
    struct timespec t0, t1;
    pairs = argc > 2 ? atol(argv[2]) : 5000000;
#ifdef BENCH_WRAP
    if (argc > 3) pprof_set_heap_rate((size_t)atol(argv[3]));
#endif
    if (n < 1 || n > 64) return 2;
    {   /* a warm-up, untimed: what a server pays once (the allocator's arenas; pprof.h's
           first samples build the unwind tables of every object, ~10 ms) stays out of the
           steady-state figure */
        long timed = pairs;
        pairs = timed / 8;
        churn((void *)(uintptr_t)99);
        pairs = timed;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < n; i++) pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
    for (i = 0; i < n; i++) pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("ns_per_pair %.2f\n", ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)pairs);
    return 0;
}
