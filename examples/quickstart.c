/* Demonstrates a whole-process CPU profile written to a file: three threads burn CPU in
   named functions (about 50% / 30% / 20% of the work), pprof_write_cpu profiles them.

   Build:  make build/quickstart
           (or: cc -O2 -fno-omit-frame-pointer -pthread examples/quickstart.c -o quickstart)
   Run:    ./quickstart cpu.pb.gz 5             (SECONDS profiled; `make demo` does this)
   Look:   go tool pprof -top ./quickstart cpu.pb.gz     parse_request ~50%, compress_block
           ~30%, hash_keys ~20%; -http=:9090 for the graph and flame graph in a browser    */
#define PPROF_IMPLEMENTATION
#include "../pprof.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static volatile int stop;

/* Each function runs the same loop; the split comes from how many rounds each does. */
#define WORK(x, n) do { int i_; for (i_ = 0; i_ < (n); i_++) \
        x = x * 6364136223846793005ul + 1442695040888963407ul; } while (0)
__attribute__((noinline)) static unsigned long parse_request(unsigned long x) { WORK(x, 5000); return x; }
__attribute__((noinline)) static unsigned long compress_block(unsigned long x) { WORK(x, 3000); return x; }
__attribute__((noinline)) static unsigned long hash_keys(unsigned long x) { WORK(x, 2000); return x; }

static void *worker(void *arg) {
    unsigned long x = (unsigned long)(size_t)arg;
    (void)arg;
    while (!stop) x = hash_keys(compress_block(parse_request(x)));
    return (void *)(size_t)(x & 1);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "cpu.pb.gz";
    int seconds = argc > 2 ? atoi(argv[2]) : 5, i, rc;
    pthread_t t[3];
    FILE *fp = fopen(path, "wb");
    if (!fp) { perror(path); return 1; }
    for (i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
    rc = pprof_write_cpu(fp, seconds);
    stop = 1;
    for (i = 0; i < 3; i++) pthread_join(t[i], NULL);
    fclose(fp);
    if (rc != 0) { fprintf(stderr, "pprof_write_cpu: %s\n", pprof_strerror(rc)); return 1; }
    printf("wrote %s: a %d s CPU profile of 3 threads\n", path, seconds);
    return 0;
}
