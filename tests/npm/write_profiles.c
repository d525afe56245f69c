/* Writes the profiles the npm readers are checked on (tests/npm/readers.sh): a CPU profile
   of a known workload, a heap profile at rate 1 with labels, and a thread dump. DIR/cpu_truth
   gets the CPU (ns) the spinning thread's clock says it had in the CPU profile: the truth the
   profile is checked against (on a busy machine it may be a fraction of the wall time).
   Usage: write_profiles DIR                                                            */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "../../pprof.h"
#include <pthread.h>

__attribute__((noinline)) static unsigned long npm_hot_loop(unsigned long x, long n) {
    long i;
    for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1; __asm__ __volatile__("" : "+r"(x)); }
    return x;
}
__attribute__((noinline)) static void *npm_allocate(size_t n) {
    void *p = malloc(n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
    return p;
}
static volatile int stop;
static void *spin(void *arg) {
    unsigned long x = (unsigned long)(size_t)arg;
    while (!stop) x = npm_hot_loop(x, 100000);
    return (void *)x;
}

static long long thread_cpu_ns(pthread_t t) {
    clockid_t c;
    struct timespec ts;
    if (pthread_getcpuclockid(t, &c) != 0 || clock_gettime(c, &ts) != 0) return -1;
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int report(const char *name, int rc) {
    if (rc != 0) fprintf(stderr, "%s: %s\n", name, pprof_strerror(rc));
    return rc;
}

int main(int argc, char **argv) {
    char path[512];
    FILE *f;
    void *keep[100];
    pthread_t t;
    int i, rc = 0, secs;
    long long c0 = 0, c1 = 0;
    if (argc < 2) return 2;
    pprof_set_heap_rate(1);
    pprof_label_push("phase", "setup");
    for (i = 0; i < 100; i++) keep[i] = npm_allocate(1000);
    pprof_label_pop();
    pthread_create(&t, NULL, spin, (void *)1);
    /* 1 s, again over 2 then 4 s while the spinning thread had less than 0.3 s of CPU */
    for (secs = 1; secs <= 4; secs *= 2) {
        snprintf(path, sizeof path, "%s/cpu.pb.gz", argv[1]);
        if ((f = fopen(path, "wb")) == NULL) return 1;
        c0 = thread_cpu_ns(t);
        rc |= report("cpu", pprof_write_cpu(f, secs));
        c1 = thread_cpu_ns(t);
        fclose(f);
        if (rc || c1 - c0 >= 300000000) break;
    }
    snprintf(path, sizeof path, "%s/cpu_truth", argv[1]);
    if ((f = fopen(path, "w")) == NULL) return 1;
    fprintf(f, "%lld\n", c1 - c0);
    fclose(f);
    snprintf(path, sizeof path, "%s/heap.pb.gz", argv[1]);
    if ((f = fopen(path, "wb")) == NULL) return 1;
    rc |= report("heap", pprof_write_heap(f));
    fclose(f);
    snprintf(path, sizeof path, "%s/goroutine.pb.gz", argv[1]);
    if ((f = fopen(path, "wb")) == NULL) return 1;
    rc |= report("goroutine", pprof_write_profile("goroutine", f, 0));
    fclose(f);
    stop = 1;
    pthread_join(t, NULL);
    for (i = 0; i < 100; i++) free(keep[i]);
    return rc ? 1 : 0;
}
