/* sigours.c - a program that uses the profiling signal itself (SIGRTMAX-8) while a CPU
 * profile runs, for tests/host.sh (issue 14, case 6): under LD_PRELOAD=libpprof.so
 * PPROF_CPU=..., or built with -DUSE_HEADER (pprof.h with PPROF_WRAP_SIGNAL, profiling to
 * argv[1]). Without a profiler:
 *  1. sigaction(SIGRTMAX-8, NULL, &old) says SIG_DFL;
 *  2. it installs a counting SA_SIGINFO handler, sends itself 5 signals with kill and 3 with
 *     sigqueue while burning 0.6 s of CPU: its handler runs exactly 8 times, with SI_USER
 *     or SI_QUEUE and the values it queued, never SI_TIMER;
 *  3. sigaction(..., NULL, &now) reports its handler; a POSIX timer of its own on the
 *     signal (value 77, every 10 ms for 100 ms) reaches its handler (at least 3 times);
 *  4. SIG_IGN, then 3 more kills: nothing happens, it lives;
 *  5. a one-shot handler (SA_RESETHAND): one kill runs it, then the query says SIG_DFL.
 * Prints "ok calls=8" and exits 0; else a line saying what differed and exit 1.
 */
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_SIGNAL
#include "pprof.h"
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t calls, timer_calls, own_timer, bad_value, oneshot;
static void count(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    if (si->si_code == SI_TIMER) {
        if (si->si_value.sival_int == 77) own_timer++;
        else timer_calls++;
        return;
    }
    calls++;
    if (si->si_code == SI_QUEUE && (si->si_value.sival_int < 100 || si->si_value.sival_int > 102))
        bad_value++;
}
static void once(int sig) { (void)sig; oneshot++; }

static volatile unsigned long sink;
static void burn(double secs) {
    struct timespec t0, t;
    unsigned long x = 1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    sink = x;
}

int main(int argc, char **argv) {
    int sig = SIGRTMAX - 8, i;
    struct sigaction sa, now;
#ifdef USE_HEADER
    FILE *f = argc > 1 ? fopen(argv[1], "wb") : NULL;
    if (!f || pprof_cpu_start(f) != PPROF_OK) { printf("pprof_cpu_start failed\n"); return 1; }
#else
    (void)argc;
    (void)argv;
#endif
    if (sigaction(sig, NULL, &now) != 0 || (now.sa_flags & SA_SIGINFO) || now.sa_handler != SIG_DFL) {
        printf("the signal's disposition was not SIG_DFL at start\n");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = count;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    for (i = 0; i < 8; i++) {
        burn(0.075);
        if (i < 5) {
            kill(getpid(), sig);
        } else {
            union sigval v;
            v.sival_int = 100 + i - 5;
            sigqueue(getpid(), sig, v);
        }
    }
    for (i = 0; i < 100 && calls < 8; i++) usleep(1000);
    if (calls != 8 || timer_calls || bad_value) {
        printf("handler ran %d times (%d for a timer, %d wrong values), want 8\n", (int)calls,
               (int)timer_calls, (int)bad_value);
        return 1;
    }
    sigaction(sig, NULL, &now);
    if (!(now.sa_flags & SA_SIGINFO) || now.sa_sigaction != count) {
        printf("the query does not report the program's handler\n");
        return 1;
    }
    {   /* its own timer on the signal */
        struct sigevent ev;
        struct itimerspec its;
        timer_t t;
        struct timespec nap = {0, 10000000};
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = sig;
        ev.sigev_value.sival_int = 77;
        memset(&its, 0, sizeof its);
        its.it_value.tv_nsec = its.it_interval.tv_nsec = 10000000;
        if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0 || timer_settime(t, 0, &its, NULL) != 0) {
            printf("timer_create failed\n");
            return 1;
        }
        for (i = 0; i < 10; i++) nanosleep(&nap, NULL);
        timer_delete(t);
        if (own_timer < 3 || timer_calls) {
            printf("its own timer reached its handler %d times, want >= 3 (%d other timer signals)\n",
                   (int)own_timer, (int)timer_calls);
            return 1;
        }
    }
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(sig, &sa, NULL);
    for (i = 0; i < 3; i++) kill(getpid(), sig);
    burn(0.05);
    sa.sa_handler = once;
    sa.sa_flags = SA_RESETHAND;
    sigaction(sig, &sa, NULL);
    kill(getpid(), sig);
    for (i = 0; i < 100 && !oneshot; i++) usleep(1000);
    sigaction(sig, NULL, &now);
    if (oneshot != 1 || (now.sa_flags & SA_SIGINFO) || now.sa_handler != SIG_DFL) {
        printf("one-shot handler ran %d times; after it the query says %s\n", (int)oneshot,
               now.sa_handler == SIG_DFL ? "SIG_DFL" : "something else");
        return 1;
    }
#ifdef USE_HEADER
    if (pprof_cpu_stop() != PPROF_OK) { printf("pprof_cpu_stop failed\n"); return 1; }
    fclose(f);
#endif
    printf("ok calls=%d\n", (int)calls);
    return 0;
}
