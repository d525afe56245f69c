/* sigwait.c - a server in the common style for tests/host.sh (issue 14, case 3): SIGTERM,
 * SIGINT and SIGUSR1 are blocked in main and taken by one thread with sigwait; the main
 * thread does the "work" (short CPU bursts and sleeps). Prints "pid N" and "ready", then one
 * line per signal ("usr1 K", "int K"); on SIGTERM it prints "graceful usr1=K int=J" and
 * exits 0. A signal that reaches any other thread would kill it (138 for SIGUSR1, 143 for
 * SIGTERM): every thread the program starts blocks them.
 * Built with -DUSE_HEADER it profiles itself through pprof.h:
 *     sigwait early|late CPU.pb.gz
 * starts pprof_listen_addr("127.0.0.1:0") (printing "port P") and pprof_cpu_start to the
 * file, before (early: as a library's initialiser or the first lines of main would) or after
 * (late) main blocks the signals; at SIGTERM it stops the profile and pprof_shutdown()s.
 */
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#include "pprof.h"
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sigset_t handled;

#ifdef USE_HEADER
static FILE *cpu;
static void start_pprof(const char *path) {
    int rc = pprof_listen_addr("127.0.0.1:0");
    if (rc != PPROF_OK) {
        fprintf(stderr, "sigwait: pprof_listen_addr: %s\n", pprof_strerror(rc));
        exit(5);
    }
    printf("port %d\n", pprof_listen_port());
    if (!(cpu = fopen(path, "wb")) || (rc = pprof_cpu_start(cpu)) != PPROF_OK) {
        fprintf(stderr, "sigwait: %s: %s\n", path, cpu ? pprof_strerror(rc) : strerror(errno));
        exit(5);
    }
}
static void stop_pprof(void) {
    int rc = pprof_cpu_stop();
    if (rc != PPROF_OK) fprintf(stderr, "sigwait: pprof_cpu_stop: %s\n", pprof_strerror(rc));
    fclose(cpu);
    pprof_shutdown();
}
#endif

static void *waiter(void *arg) {
    int sig, usr1 = 0, ints = 0;
    (void)arg;
    for (;;) {
        if (sigwait(&handled, &sig) != 0) continue;
        if (sig == SIGUSR1) {
            printf("usr1 %d\n", ++usr1);
        } else if (sig == SIGINT) {
            printf("int %d\n", ++ints);
        } else if (sig == SIGTERM) {
#ifdef USE_HEADER
            stop_pprof();
#endif
            printf("graceful usr1=%d int=%d\n", usr1, ints);
            fflush(stdout);
            exit(0);
        }
        fflush(stdout);
    }
    return NULL;
}

static volatile unsigned long sink;
static void burn_ms(int ms) {
    struct timespec t0, t;
    unsigned long x = 1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
    sink = x;
}

int main(int argc, char **argv) {
    pthread_t th;
    int early = argc == 3 && strcmp(argv[1], "early") == 0;
    (void)early;
#ifdef USE_HEADER
    if (argc != 3 || (!early && strcmp(argv[1], "late") != 0)) {
        fprintf(stderr, "usage: sigwait early|late CPU.pb.gz\n");
        return 1;
    }
    if (early) start_pprof(argv[2]);
#endif
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &handled, NULL); /* inherited by every thread started below */
#ifdef USE_HEADER
    if (!early) start_pprof(argv[2]);
#endif
    if (pthread_create(&th, NULL, waiter, NULL) != 0) return 1;
    printf("pid %ld\nready\n", (long)getpid());
    fflush(stdout);
    for (int i = 0; i < 6000; i++) { /* ~60 s at most; SIGTERM ends it long before */
        struct timespec ms5 = {0, 5000000};
        burn_ms(5);
        while (nanosleep(&ms5, &ms5) != 0 && errno == EINTR) {}
    }
    fprintf(stderr, "sigwait: never got SIGTERM\n");
    return 1;
}
