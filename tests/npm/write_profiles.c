/* Writes the profiles the npm readers are checked on (tests/npm/readers.sh): a CPU profile
   of a known workload, a heap profile at rate 1 with labels, and a thread dump.
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

static int report(const char *name, int rc) {
    if (rc != 0) fprintf(stderr, "%s: %s\n", name, pprof_strerror(rc));
    return rc;
}

int main(int argc, char **argv) {
    char path[512];
    FILE *f;
    void *keep[100];
    pthread_t t;
    int i, rc = 0;
    if (argc < 2) return 2;
    pprof_set_heap_rate(1);
    pprof_label_push("phase", "setup");
    for (i = 0; i < 100; i++) keep[i] = npm_allocate(1000);
    pprof_label_pop();
    pthread_create(&t, NULL, spin, (void *)1);
    snprintf(path, sizeof path, "%s/cpu.pb.gz", argv[1]);
    if ((f = fopen(path, "wb")) == NULL) return 1;
    rc |= report("cpu", pprof_write_cpu(f, 1));
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
