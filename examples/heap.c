/* Demonstrates a heap profile with PPROF_WRAP_MALLOC: every malloc and free of the process
   (its libraries' too) goes through pprof.h, which records about one allocation per 512 KiB
   allocated (Go's rate, pprof_set_heap_rate) with its stack. Two call sites: load_cache()
   keeps 64 MiB live, parse_messages() allocates 200 MiB of small messages and frees each.

   Build:  make build/heap   (or: cc -O2 -fno-omit-frame-pointer -pthread examples/heap.c -o heap)
   Run:    ./heap heap.pb.gz
   Look:   go tool pprof -top ./heap heap.pb.gz          in use when written: load_cache, ~64MB
           go tool pprof -sample_index=alloc_space -top ./heap heap.pb.gz
                                                         all allocated: parse_messages ~200MB
           A server serves the same at /debug/pprof/heap (see server.c).                    */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC /* in the file that has PPROF_IMPLEMENTATION, before the include */
#include "../pprof.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_BLOCKS 4096
#define CACHE_BLOCK  (16 * 1024)
#define MESSAGES     (200 * 1024)
static char *cache[CACHE_BLOCKS];

/* 4096 blocks of 16 KiB that stay allocated: the in-use view (inuse_space) shows them. */
__attribute__((noinline)) static void load_cache(void) {
    int i;
    for (i = 0; i < CACHE_BLOCKS; i++)
        if ((cache[i] = malloc(CACHE_BLOCK))) memset(cache[i], i & 0xff, CACHE_BLOCK);
}

/* Messages of 1 KiB, each freed once used: only alloc_space and alloc_objects show them. */
__attribute__((noinline)) static void parse_messages(void) {
    int i;
    for (i = 0; i < MESSAGES; i++) {
        char *msg = malloc(1024);
        if (!msg) continue;
        memset(msg, 'a' + i % 26, 1024);
        __asm__ __volatile__("" : : "r"(msg) : "memory"); /* the compiler keeps the malloc */
        free(msg);
    }
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "heap.pb.gz";
    int i, rc;
    FILE *fp;
    load_cache();
    parse_messages();
    if (!(fp = fopen(path, "wb"))) { perror(path); return 1; }
    rc = pprof_write_heap(fp); /* the same as pprof_write_profile("heap", fp, 0) */
    fclose(fp);
    if (rc != 0) { fprintf(stderr, "pprof_write_heap: %s\n", pprof_strerror(rc)); return 1; }
    printf("wrote %s: load_cache %d bytes in use, parse_messages %d bytes allocated\n",
           path, CACHE_BLOCKS * CACHE_BLOCK, MESSAGES * 1024);
    for (i = 0; i < CACHE_BLOCKS; i++) free(cache[i]);
    return 0;
}
