/* sigreset.c - a program that resets every signal to its default at start, as some daemons
 * and supervisors do, for tests/host.sh (issue 14, case 6a). Then it burns ~0.5 s of CPU
 * and prints "reset N burned S" (N signals reset, S seconds of CPU). Exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

int main(void) {
    struct sigaction dfl;
    struct timespec t0, t;
    unsigned long x = 1;
    int sig, n = 0;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, &dfl, NULL) == 0) n++; /* glibc refuses its two internal ones */
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < 0.5);
    sink = x;
    printf("reset %d burned %.1f\n", n, (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
