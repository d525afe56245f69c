/* leader.c - the main thread ends with pthread_exit while its workers run, for tests/host.sh
 * (issue 14, case 7). Once the leader is gone (its /proc/self/task/<pid>/stat says Z or X)
 * the workers run: "burner" burns CPU in burn_in_worker, "allocator" makes 2000 blocks of
 * 1000 bytes in alloc_in_worker (exactly 2000 malloc calls, kept), "sleeper" sleeps in
 * sleep_in_worker. Prints "leader gone" when the workers see it.
 *     leader out_dir          (built with -DUSE_HEADER): heap rate 1 from the start; after
 *                             the leader is gone: a CPU profile while the burner burns
 *                             0.6 s (out_dir/cpu.pb.gz), then the heap profile
 *                             (heap.pb.gz) and a thread dump with debug=2 (threads.txt)
 *                             while burner and sleeper still run; exit 0.
 *     leader STOPFILE         (for LD_PRELOAD=libpprof.so PPROF_CPU ... PPROF_LISTEN=0):
 *                             the burner burns 0.6 s, then all three keep running (burning
 *                             and sleeping) until STOPFILE exists (at most 60 s); exit 0
 *                             from a worker, so the library writes its profiles at exit.
 * Prints "burned S" (the burner's CPU seconds) and "done"; exit 1 on any failure.
 */
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "pprof.h"
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static const char *arg;
static int stop;                  /* atomic: workers return */
static int allocated;             /* atomic: the allocator finished */
static double burned;             /* the burner's CPU while measured */
static void *keep[2000];
static pid_t leader;

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int leader_gone(void) {
    char path[64], buf[256], *p;
    FILE *f;
    int gone = 0;
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)leader);
    if (!(f = fopen(path, "r"))) return 1;
    if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && (p[2] == 'Z' || p[2] == 'X')) gone = 1;
    fclose(f);
    return gone;
}

static void wait_leader_gone(void) {
    for (int i = 0; i < 5000 && !leader_gone(); i++) usleep(1000);
}

static volatile unsigned long sink;
__attribute__((noinline)) void burn_in_worker(double secs) {
    double t0 = thread_cpu();
    unsigned long x = 1;
    while (thread_cpu() - t0 < secs)
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1;
    sink = x;
}

__attribute__((noinline)) void alloc_in_worker(void) {
    for (int i = 0; i < 2000; i++) {
        keep[i] = malloc(1000);
        memset(keep[i], i, 1000);
    }
    __asm__ volatile("" ::: "memory"); /* a call, not a tail call */
}

__attribute__((noinline)) void sleep_in_worker(void) {
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
        struct timespec ms = {0, 2000000};
        nanosleep(&ms, NULL);
    }
    __asm__ volatile("" ::: "memory");
}

static void *burner(void *a) {
    double t0;
    (void)a;
    prctl(PR_SET_NAME, "burner", 0, 0, 0);
    wait_leader_gone();
    t0 = thread_cpu();
    burn_in_worker(0.6);
    burned = thread_cpu() - t0;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) burn_in_worker(0.01); /* still running */
    return NULL;
}

static void *allocator(void *a) {
    (void)a;
    prctl(PR_SET_NAME, "allocator", 0, 0, 0);
    wait_leader_gone();
    alloc_in_worker();
    __atomic_store_n(&allocated, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *sleeper(void *a) {
    (void)a;
    prctl(PR_SET_NAME, "sleeper", 0, 0, 0);
    wait_leader_gone();
    sleep_in_worker();
    return NULL;
}

#ifdef USE_HEADER
static int write_to(const char *name, int (*write)(FILE *)) {
    char path[4096];
    FILE *f;
    int rc;
    snprintf(path, sizeof path, "%s/%s", arg, name);
    if (!(f = fopen(path, "wb"))) return -1;
    rc = write(f);
    if (fclose(f) != 0 && rc == 0) rc = -1;
    if (rc != 0) fprintf(stderr, "leader: %s: %s\n", name, pprof_strerror(rc));
    return rc;
}
static int write_heap(FILE *f) { return pprof_write_heap(f); }
static int write_threads(FILE *f) { return pprof_write_profile("goroutine", f, 2); }
#endif

/* the last worker: waits for the others' work, profiles (header) or waits for STOPFILE */
static void *controller(void *a) {
    pthread_t *th = a;
    int rc = 0;
    wait_leader_gone();
    printf("leader gone\n");
    fflush(stdout);
#ifdef USE_HEADER
    {
        char path[4096];
        FILE *cpu_fp;
        snprintf(path, sizeof path, "%s/cpu.pb.gz", arg);
        if (!(cpu_fp = fopen(path, "wb")) || pprof_cpu_start(cpu_fp) != 0) rc = 1;
        while (burned == 0) usleep(1000); /* the burner's 0.6 s */
        if (cpu_fp && pprof_cpu_stop() != 0) rc = 1;
        if (cpu_fp) fclose(cpu_fp);
        while (!__atomic_load_n(&allocated, __ATOMIC_SEQ_CST)) usleep(1000);
        if (write_to("heap.pb.gz", write_heap) != 0) rc = 1;
        if (write_to("threads.txt", write_threads) != 0) rc = 1;
    }
#else
    for (int i = 0; i < 60000 && access(arg, F_OK) != 0; i++) usleep(1000);
#endif
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    printf("burned %.3f\ndone\n", burned);
    exit(rc);
}

int main(int argc, char **argv) {
    static pthread_t th[4];
    if (argc != 2) {
        fprintf(stderr, "usage: leader OUT_DIR|STOPFILE\n");
        return 1;
    }
    arg = argv[1];
    leader = getpid();
#ifdef USE_HEADER
    pprof_set_heap_rate(1);
#endif
    if (pthread_create(&th[0], NULL, burner, NULL) || pthread_create(&th[1], NULL, allocator, NULL) ||
        pthread_create(&th[2], NULL, sleeper, NULL) || pthread_create(&th[3], NULL, controller, th))
        return 1;
    pthread_exit(NULL);
}
