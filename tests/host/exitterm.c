/* exitterm.c - SIGTERM arriving while the program exits, for tests/host.sh (issue 14, case 4).
 *     exitterm MAX_DELAY_US
 * Allocates and frees 200,000 blocks (keeping 20,000), burns ~50 ms of CPU, prints "done
 * SUM" and returns from main, after starting a helper thread that sends SIGTERM to the
 * process after a random delay of 0..MAX_DELAY_US microseconds. The exit path then runs the
 * program's atexit handler (it frees the kept blocks), the destructors (a preloaded
 * profiler's final write among them) and stdio's cleanup. A stream of the program's own
 * (fopencookie) holds one buffered byte, so that cleanup calls its write function, the last
 * code of the program before _exit: it waits until the helper's kill() has returned. So,
 * without any profiler, the process always ends by SIGTERM (status 143) wherever the delay
 * falls: in main's last instructions, the atexit handler, the destructors or the cleanup.
 * Never exit status 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { NKEEP = 20000 };
static void *kept[NKEEP];
static long max_delay_us;
static int armed, sent; /* atomics: the helper runs; its kill() has returned */

static void *helper(void *arg) {
    struct timespec d;
    long us = (long)(size_t)arg;
    d.tv_sec = us / 1000000;
    d.tv_nsec = us % 1000000 * 1000;
    nanosleep(&d, NULL);
    kill(getpid(), SIGTERM);
    __atomic_store_n(&sent, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* the cookie stream's write, called by stdio's cleanup at the very end of exit() */
static ssize_t last_write(void *c, const char *buf, size_t n) {
    (void)c;
    (void)buf;
    for (int i = 0; i < 50000 && __atomic_load_n(&armed, __ATOMIC_SEQ_CST) &&
                    !__atomic_load_n(&sent, __ATOMIC_SEQ_CST); i++)
        usleep(100); /* at most 5 s */
    return (ssize_t)n;
}

static void free_kept(void) {
    for (int i = 0; i < NKEEP; i++) free(kept[i]);
}

static volatile unsigned long sink;
static void burn(double secs) {
    struct timespec t0, t;
    unsigned long x = 1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    sink = x;
}

int main(int argc, char **argv) {
    cookie_io_functions_t io = {NULL, last_write, NULL, NULL};
    FILE *last = fopencookie(NULL, "w", io);
    unsigned long sum = 0;
    pthread_t th;
    struct timespec now;
    if (argc != 2 || !last) return 1;
    max_delay_us = atol(argv[1]);
    fputc('x', last); /* buffered until the cleanup */
    atexit(free_kept);
    for (int i = 0; i < 200000; i++) {
        char *p = malloc(16 + i % 2000);
        memset(p, i, 16);
        sum += (unsigned char)p[i % 16];
        if (i % 10 == 0) kept[i / 10] = p;
        else free(p);
    }
    burn(0.05);
    printf("done %lu\n", sum);
    fflush(stdout);
    clock_gettime(CLOCK_REALTIME, &now);
    srand((unsigned)(now.tv_nsec ^ getpid()));
    __atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
    if (pthread_create(&th, NULL, helper, (void *)(size_t)(max_delay_us > 0 ? rand() % max_delay_us : 0)) != 0)
        return 1;
    return 0;
}
