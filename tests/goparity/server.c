/* The C side of tests/goparity.sh: pprof_listen on 127.0.0.1:PORT (0: a free port; the first
   line printed names it), with the workload of server.go done with pthreads through pprof.h's
   wrappers: a spinning thread, a thread blocked on a condition variable another one signals,
   threads contending a mutex, allocations kept live.
   cc -O2 -g -fno-omit-frame-pointer -pthread server.c -o server                            */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_PTHREAD
#define PPROF_WRAP_MALLOC
#include "../../pprof.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t chmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t chcond = PTHREAD_COND_INITIALIZER;
static int chval;
static void *sink[200];

static void sleep_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void *spin(void *arg) {
    volatile unsigned long x = (unsigned long)(size_t)arg;
    for (;;) x = x * 6364136223846793005ul + 1;
    return NULL;
}
__attribute__((noinline)) static void *wait_channel(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&chmu);
        while (chval == 0) pthread_cond_wait(&chcond, &chmu);
        chval = 0;
        pthread_mutex_unlock(&chmu);
    }
    return NULL;
}
__attribute__((noinline)) static void *feed_channel(void *arg) {
    (void)arg;
    for (;;) {
        sleep_ms(2);
        pthread_mutex_lock(&chmu);
        chval = 1;
        pthread_cond_signal(&chcond);
        pthread_mutex_unlock(&chmu);
    }
    return NULL;
}
__attribute__((noinline)) static void *contend(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        sleep_ms(1);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}
__attribute__((noinline)) static void allocate(void) {
    int i;
    for (i = 0; i < 200; i++) {
        sink[i] = malloc(64 << 10);
        memset(sink[i], 1, 64 << 10);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0, rc, i;
    pthread_t t;
    pprof_set_block_rate(1);
    pprof_set_mutex_fraction(1);
    rc = pprof_listen(port);
    if (rc != 0) { fprintf(stderr, "pprof_listen: %s\n", pprof_strerror(rc)); return 1; }
    allocate();
    pthread_create(&t, NULL, spin, (void *)1);
    pthread_create(&t, NULL, wait_channel, NULL);
    pthread_create(&t, NULL, feed_channel, NULL);
    for (i = 0; i < 3; i++) pthread_create(&t, NULL, contend, NULL);
    printf("listening %d\n", pprof_listen_port());
    fflush(stdout);
    for (;;) pause();
}
