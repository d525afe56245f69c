/* Demonstrates labels: one handler serves two kinds of request, and pprof_label_push/pop tag
   the CPU it spends on each with endpoint=/checkout or endpoint=/search. A /checkout costs
   three times the work of a /search, so the profile should split about 75% / 25% by label
   though both run the same function. Labels tag heap, block and mutex events the same way.

   Build:  make build/labels  (or: cc -O2 -fno-omit-frame-pointer -pthread examples/labels.c -o labels)
   Run:    ./labels cpu.pb.gz 2             (SECONDS of serving, profiled)
   Look:   go tool pprof -tags cpu.pb.gz                             endpoint: ~75% /checkout
           go tool pprof -top -tagfocus=endpoint=/search ./labels cpu.pb.gz   one kind only  */
#define PPROF_IMPLEMENTATION
#include "../pprof.h"

#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink; /* the result goes somewhere: the work is not optimized out */

/* The work both endpoints share: `units` rounds of a CPU loop. */
__attribute__((noinline)) static unsigned long handle_request(unsigned long x, int units) {
    int i;
    for (i = 0; i < units * 20000; i++) { x = x * 6364136223846793005ul + 1; __asm__ __volatile__("" : "+r"(x)); }
    return x;
}

/* What a server does around each request: label the thread, serve, take the label off. */
static unsigned long serve(const char *endpoint, int units, unsigned long x) {
    pprof_label_push("endpoint", endpoint); /* the strings are copied */
    x = handle_request(x, units);
    pprof_label_pop();
    return x;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "cpu.pb.gz";
    int seconds = argc > 2 ? atoi(argv[2]) : 2, rc;
    long checkouts = 0, searches = 0;
    unsigned long x = 1;
    struct timespec now, end;
    FILE *fp = fopen(path, "wb");
    if (!fp) { perror(path); return 1; }
    if ((rc = pprof_cpu_start(fp)) != 0) { fprintf(stderr, "pprof_cpu_start: %s\n", pprof_strerror(rc)); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += seconds > 0 ? seconds : 1;
    do {
        x = serve("/checkout", 3, x);
        checkouts++;
        x = serve("/search", 1, x);
        searches++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
    rc = pprof_cpu_stop(); /* writes the profile; fp stays open */
    fclose(fp);
    if (rc != 0) { fprintf(stderr, "pprof_cpu_stop: %s\n", pprof_strerror(rc)); return 1; }
    sink = x;
    printf("wrote %s: %ld /checkout (3 units each), %ld /search (1 unit each)\n",
           path, checkouts, searches);
    return 0;
}
