/* sigprof_own.c - a program that takes SIGPROF for itself while a CPU profile runs, for
 * tests/host.sh (issue 14, case 6c). It arms no timer of its own, so without a profiler
 * SIGPROF never comes:
 *     sigprof_own MODE [CPU.pb.gz]
 * MODE sigaction: installs a counting handler with sigaction; signal: the same with
 * signal(); dfl: sets SIGPROF to SIG_DFL; ign: sets SIG_IGN. Then it burns ~0.5 s of CPU
 * and checks that its handler ran 0 times and that SIGPROF's disposition is still the one
 * it set. Prints "MODE calls=N disposition=ok|changed". Exit 0, or 4 when the handler ran,
 * 6 when the disposition changed.
 * Built with -DUSE_HEADER it first starts a CPU profile to the file (pprof_cpu_start; exit 5
 * if that fails), burns 0.2 s, does the above, then pprof_cpu_stop() must return PPROF_OK
 * (exit 7 otherwise, with pprof_strerror on stderr); the disposition is checked after it.
 * Without the header it is the same program for LD_PRELOAD=libpprof.so PPROF_CPU=...
 */
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#include "pprof.h"
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t calls;
static void count(int sig) {
    (void)sig;
    calls++;
}

static volatile unsigned long sink;
static void burn(double secs) {
    struct timespec t0, t;
    unsigned long x = 1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    sink = x;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    void (*want)(int);
    struct sigaction sa, now;
    int rc = 0;
#ifdef USE_HEADER
    FILE *fp;
    int prc;
    if (argc != 3 || !(fp = fopen(argv[2], "wb"))) {
        fprintf(stderr, "usage: sigprof_own sigaction|signal|dfl|ign CPU.pb.gz\n");
        return 1;
    }
    if ((prc = pprof_cpu_start(fp)) != PPROF_OK) {
        fprintf(stderr, "sigprof_own: pprof_cpu_start: %s\n", pprof_strerror(prc));
        return 5;
    }
    burn(0.2);
#endif
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (strcmp(mode, "sigaction") == 0) {
        sa.sa_handler = want = count;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGPROF, &sa, NULL);
    } else if (strcmp(mode, "signal") == 0) {
        signal(SIGPROF, want = count);
    } else if (strcmp(mode, "dfl") == 0) {
        signal(SIGPROF, want = SIG_DFL);
    } else if (strcmp(mode, "ign") == 0) {
        signal(SIGPROF, want = SIG_IGN);
    } else {
        fprintf(stderr, "sigprof_own: unknown mode '%s'\n", mode);
        return 1;
    }
    burn(0.5);
#ifdef USE_HEADER
    if ((prc = pprof_cpu_stop()) != PPROF_OK) {
        fprintf(stderr, "sigprof_own: pprof_cpu_stop: %s\n", pprof_strerror(prc));
        rc = 7;
    }
    fclose(fp);
#endif
    sigaction(SIGPROF, NULL, &now);
    printf("%s calls=%d disposition=%s\n", mode, (int)calls, now.sa_handler == want ? "ok" : "changed");
    if (now.sa_handler != want) rc = 6;
    if (calls != 0) rc = 4;
    return rc;
}
