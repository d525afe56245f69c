/* Demonstrates the LD_PRELOAD route: an ordinary program that knows nothing of pprof.h (no
   include, no call) is profiled by build/libpprof.so (tools/libpprof.c), which reads its
   settings from the environment before main and writes the profiles when the program exits.
   crunch_numbers() burns the CPU; build_table() allocates (and keeps) 32 MiB in 64 KiB rows.

   Build:  make build/preloaded build/libpprof.so   (any program works: no rebuild needed;
           cc -O2 -g examples/preloaded.c -o preloaded)
   Run:    LD_PRELOAD=build/libpprof.so PPROF_CPU=cpu.pb.gz ./build/preloaded 2
           LD_PRELOAD=build/libpprof.so PPROF_HEAP_PROFILE=heap.pb.gz ./build/preloaded 1
           (also PPROF_LISTEN=6060 to serve /debug/pprof/, PPROF_CPU_HZ, PPROF_HEAP_RATE;
           see tools/libpprof.c and README "Unmodified programs (LD_PRELOAD)")
   Look:   go tool pprof -top build/preloaded cpu.pb.gz     crunch_numbers on top
           go tool pprof -top build/preloaded heap.pb.gz    build_table's ~32MB in use     */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 512
#define ROW  (64 * 1024)

/* 512 rows of 64 KiB, kept until exit. (Not static: GCC would rename a static copy it
   specializes, e.g. build_table.isra.0, and the profile shows what the binary holds.) */
__attribute__((noinline)) char **build_table(void);
__attribute__((noinline)) char **build_table(void) {
    char **rows = malloc(ROWS * sizeof *rows);
    int i;
    for (i = 0; rows && i < ROWS; i++)
        if ((rows[i] = malloc(ROW))) memset(rows[i], i & 0xff, ROW);
    return rows;
}

/* A CPU loop; its result is printed, so the compiler keeps it. */
__attribute__((noinline)) unsigned long crunch_numbers(unsigned long x);
__attribute__((noinline)) unsigned long crunch_numbers(unsigned long x) {
    int i;
    for (i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
    return x;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2;
    char **table = build_table();
    unsigned long x = 1;
    clock_t end = clock() + (clock_t)(seconds * CLOCKS_PER_SEC); /* CPU time of the process */
    while (clock() < end) x = crunch_numbers(x);
    printf("used %.1f s of CPU in crunch_numbers, 32 MiB in build_table (checksum %lu)\n",
           seconds, x);
    (void)table; /* still allocated at exit: the heap profile shows it in use */
    return 0;
}
