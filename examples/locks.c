/* Demonstrates the mutex and block profiles with PPROF_WRAP_PTHREAD: four threads move money
   between accounts under one pthread mutex and do part of the work while holding it, so they
   wait for each other. The mutex profile charges the delay to the holder that unlocks
   (transfer); the block profile charges each wait to the waiter (transfer, and main joining).

   Build:  make build/locks  (or: cc -O2 -fno-omit-frame-pointer -pthread examples/locks.c -o locks)
   Run:    ./locks mutex.pb.gz block.pb.gz 2        (SECONDS of contention)
   Look:   go tool pprof -top ./locks mutex.pb.gz      delay caused, by the unlocking stack
           go tool pprof -top ./locks block.pb.gz      time spent waiting, by the waiting stack
           -sample_index=contentions counts the events instead of their nanoseconds.         */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_PTHREAD /* in the file that has PPROF_IMPLEMENTATION, before the include */
#include "../pprof.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t bank = PTHREAD_MUTEX_INITIALIZER;
static long accounts[16];
static volatile int stop;
static long transfers;

/* Holds the lock while it "validates" (a short CPU loop): the other threads queue up.
   It returns a value read under the lock, so the unlock is a call, not a tail jump that
   would leave transfer's frame (and name) out of the mutex profile's stack. */
__attribute__((noinline)) static long transfer(int from, int to, long amount) {
    unsigned long x = (unsigned long)amount;
    long balance;
    int i;
    pthread_mutex_lock(&bank);
    for (i = 0; i < 2000; i++) { x = x * 6364136223846793005ul + 1; __asm__ __volatile__("" : "+r"(x)); }
    accounts[from] -= amount;
    accounts[to] += amount;
    balance = accounts[to];
    transfers++;
    pthread_mutex_unlock(&bank);
    return balance;
}

static void *teller(void *arg) {
    int n = (int)(size_t)arg;
    long sum = 0;
    while (!stop) sum += transfer(n % 16, (n * 7 + 3) % 16, 1 + n % 5);
    return (void *)(size_t)(sum & 1);
}

int main(int argc, char **argv) {
    const char *mpath = argc > 1 ? argv[1] : "mutex.pb.gz", *bpath = argc > 2 ? argv[2] : "block.pb.gz";
    int seconds = argc > 3 ? atoi(argv[3]) : 2, i, rc = 0;
    struct timespec ts = {seconds > 0 ? seconds : 1, 0};
    pthread_t t[4];
    FILE *fp;
    pprof_set_mutex_fraction(1); /* every contended unlock (Go's SetMutexProfileFraction) */
    pprof_set_block_rate(1);     /* every wait of 1 ns or more (Go's SetBlockProfileRate) */
    for (i = 0; i < 4; i++) pthread_create(&t[i], NULL, teller, (void *)(size_t)i);
    nanosleep(&ts, NULL);
    stop = 1;
    for (i = 0; i < 4; i++) pthread_join(t[i], NULL);
    if ((fp = fopen(mpath, "wb"))) { rc = pprof_write_profile("mutex", fp, 0); fclose(fp); }
    else { perror(mpath); return 1; }
    if (rc == 0 && (fp = fopen(bpath, "wb"))) { rc = pprof_write_profile("block", fp, 0); fclose(fp); }
    else if (rc == 0) { perror(bpath); return 1; }
    if (rc != 0) { fprintf(stderr, "pprof_write_profile: %s\n", pprof_strerror(rc)); return 1; }
    printf("wrote %s and %s: %ld transfers by 4 threads in %d s\n", mpath, bpath, transfers, seconds);
    return 0;
}
