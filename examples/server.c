/* Demonstrates the /debug/pprof/ endpoints: a process that listens on 127.0.0.1:PORT and
   keeps two threads busy, so `go tool pprof` can be pointed at it.

   Build:  make build/server
           (or: cc -O2 -fno-omit-frame-pointer -pthread examples/server.c -o server)
   Run:    ./server 6060 &   go tool pprof -top http://127.0.0.1:6060/debug/pprof/profile?seconds=5
           ./server PORT SECONDS stops after SECONDS; SIGINT or SIGTERM stops it sooner.
           PORT 0 takes a free port; the first line printed names it.
   Look:   handle_request ~80% of the CPU, flush_log ~20%; http://127.0.0.1:6060/debug/pprof/
           in a browser lists every profile, /debug/pprof/flamegraph draws one.            */
#define PPROF_IMPLEMENTATION
#include "../pprof.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static unsigned long handle_request(unsigned long x) {
    int i;
    for (i = 0; i < 4000; i++) { x = x * 6364136223846793005ul + 1; __asm__ __volatile__("" : "+r"(x)); }
    return x;
}
__attribute__((noinline)) static unsigned long flush_log(unsigned long x) {
    int i;
    for (i = 0; i < 1000; i++) { x = x * 2862933555777941757ul + 3; __asm__ __volatile__("" : "+r"(x)); }
    return x;
}
static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

static void *worker(void *arg) {
    unsigned long x = (unsigned long)(size_t)arg;
    for (;;) x = flush_log(handle_request(x));
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 6060, seconds = argc > 2 ? atoi(argv[2]) : 0, rc, i;
    pthread_t t[2];
    rc = pprof_listen(port);
    if (rc != 0) { fprintf(stderr, "pprof_listen: %s\n", pprof_strerror(rc)); return 1; }
    printf("serving http://127.0.0.1:%d/debug/pprof/\n", pprof_listen_port());
    fflush(stdout);
    {   /* the workers never take the stop signals: they reach main, asleep in pause() */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGINT);
        sigaddset(&s, SIGTERM);
        sigaddset(&s, SIGALRM);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
        for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
        signal(SIGINT, on_stop);
        signal(SIGTERM, on_stop);
        if (seconds > 0) {
            signal(SIGALRM, on_stop);
            alarm((unsigned)seconds);
        }
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    while (!stop) pause();
    pprof_shutdown(); /* the listener's threads joined, its sockets closed */
    return 0;
}
