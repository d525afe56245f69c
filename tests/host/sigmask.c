/* sigmask.c - a program that blocks every signal in all its threads and takes them with
 * sigtimedwait or a signalfd on a full set (as servers that leave signals to one thread
 * do), for tests/host.sh (issue 14): a worker thread (created with every signal blocked)
 * and main each burn 0.5 s of CPU, main drains its signals every 50 ms and sends itself
 * one SIGUSR1 midway.
 *     sigmask wait|fd [CPU.pb.gz]
 * Prints each signal it got ("got N xK"), then "cpu S" (the process's CPU seconds). The
 * truth without a profiler: only "got 10 x1". Built with -DUSE_HEADER (PPROF_WRAP_SIGNAL)
 * it profiles itself to the file; else it is the program for LD_PRELOAD=libpprof.so.
 */
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_SIGNAL
#include "pprof.h"
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
static double thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static void burn(double s) {
    double end = thread_cpu() + s;
    unsigned long x = 1;
    while (thread_cpu() < end)
        for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ul + 1;
    sink = x;
}
static void *worker(void *arg) {
    (void)arg;
    burn(0.5);
    return NULL;
}

int main(int argc, char **argv) {
    sigset_t all;
    int use_fd = argc > 1 && strcmp(argv[1], "fd") == 0, fd = -1, got[65] = {0}, k;
    struct timespec zero = {0, 0}, t;
    pthread_t th;
#ifdef USE_HEADER
    FILE *f = argc > 2 ? fopen(argv[2], "wb") : NULL;
    if (!f || pprof_cpu_start(f) != PPROF_OK) { printf("pprof_cpu_start failed\n"); return 1; }
#endif
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    pthread_create(&th, NULL, worker, NULL); /* every signal blocked in it too */
    if (use_fd) fd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    for (k = 0; k < 10; k++) {
        burn(0.05);
        if (k == 5) kill(getpid(), SIGUSR1);
        for (;;) {
            int s = -1;
            if (use_fd) {
                struct signalfd_siginfo si;
                if (read(fd, &si, sizeof si) == (ssize_t)sizeof si) s = (int)si.ssi_signo;
            } else {
                siginfo_t si;
                s = sigtimedwait(&all, &si, &zero);
            }
            if (s <= 0 || s > 64) break;
            got[s]++;
        }
    }
    pthread_join(th, NULL);
#ifdef USE_HEADER
    if (pprof_cpu_stop() != PPROF_OK) { printf("pprof_cpu_stop failed\n"); return 1; }
    fclose(f);
#endif
    for (k = 1; k < 65; k++)
        if (got[k]) printf("got %d x%d\n", k, got[k]);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    printf("cpu %.3f\n", (double)t.tv_sec + (double)t.tv_nsec / 1e9);
    return 0;
}
