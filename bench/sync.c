/* The pthread benchmark's workloads (bench/sync.sh): an uncontended mutex lock/unlock pair
   in a loop ("pairs N [fraction]"), and the latency of a thread dump with N threads blocked
   in read() ("dump N"). Built plain and with -DBENCH_WRAP (PPROF_WRAP_PTHREAD).          */
#ifdef BENCH_WRAP
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_PTHREAD
#include "../pprof.h"
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static int fds[2];
static void *blocked(void *a) { char c; (void)a; while (read(fds[0], &c, 1) < 0) {} return NULL; }

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "pairs") == 0) {
        static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        long n = atol(argv[2]), i;
        double t0;
#ifdef BENCH_WRAP
        if (argc > 3) pprof_set_mutex_fraction(atoi(argv[3]));
        if (argc > 4) pprof_set_block_rate(atol(argv[4]));
#endif
        t0 = now_ns();
        for (i = 0; i < n; i++) { pthread_mutex_lock(&m); pthread_mutex_unlock(&m); }
        printf("ns_per_pair %.2f\n", (now_ns() - t0) / (double)n);
        return 0;
    }
#ifdef BENCH_WRAP
    if (argc >= 3 && strcmp(argv[1], "dump") == 0) {
        int n = atoi(argv[2]), i, k;
        pthread_t *th = (pthread_t *)malloc(sizeof *th * (size_t)n);
        FILE *null = fopen("/dev/null", "w");
        double best = 1e30;
        if (pipe(fds) != 0 || !null || !th) return 1;
        for (i = 0; i < n; i++) {
            pthread_attr_t at;
            pthread_attr_init(&at);
            pthread_attr_setstacksize(&at, 64 << 10);
            pthread_create(&th[i], &at, blocked, NULL);
        }
        usleep(200000);
        for (k = 0; k < 5; k++) {
            double t0 = now_ns();
            pprof_write_profile("goroutine", null, 2);
            if (now_ns() - t0 < best) best = now_ns() - t0;
        }
        printf("dump_ms %.2f\n", best / 1e6);
        close(fds[1]);
        for (i = 0; i < n; i++) pthread_join(th[i], NULL);
        return 0;
    }
#endif
    return 2;
}
