/* truth.h - what tests/alloc/sites.c and sites.cpp share: the truth a program counts of its
 * own allocations, Go's sampling error of each estimate, and which allocator holds its
 * memory. Include after defining TRUTH_LIVE (how many blocks it may hold at exit). */
#include <dlfcn.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double rate; /* SITES_RATE: the heap rate the test set (libpprof.so takes PPROF_* out of the environment) */
typedef struct truth { double ao, ab, io, ib, vao, vab, vio, vib; } truth;

/* one allocation of n bytes, live at exit or not, into t (and its sampling variance) */
static void count(truth *t, size_t n, int live) {
    double s = (double)n, p = rate <= 1 ? 1 : 1 - exp(-s / rate), v = (1 - p) / p;
    t->ao += 1; t->ab += s; t->vao += v; t->vab += s * s * v;
    if (live) { t->io += 1; t->ib += s; t->vio += v; t->vib += s * s * v; }
}
static void report(const char *name, const truth *t) {
    printf("site %s %.0f %.0f %.0f %.0f %.1f %.1f %.1f %.1f\n", name, t->ao, t->ab, t->io, t->ib,
           sqrt(t->vao), sqrt(t->vab), sqrt(t->vio), sqrt(t->vib));
}
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")
typedef int (*truth_ctl)(const char *, void *, size_t *, void *, size_t);
typedef int (*truth_prop)(const char *, size_t *);
typedef int (*truth_in)(const void *);

/* the allocator's own functions, if it has them */
static void *fn(const char *name) { return dlsym(RTLD_DEFAULT, name); }
static const char *allocator;
static double owned_before;
/* bytes the allocator says are in use (jemalloc: what this thread allocated less what it freed; tcmalloc:
   current allocated bytes; glibc: mallinfo2), -1 for mimalloc (asked block by block) */
static double allocator_bytes(void) {
    if (strcmp(allocator, "jemalloc") == 0) {
        truth_ctl ctl = (truth_ctl)fn("mallctl");
        uint64_t a = 0, d = 0;
        size_t len = sizeof a;
        if (ctl("thread.allocated", &a, &len, NULL, 0) != 0 || ctl("thread.deallocated", &d, &len, NULL, 0) != 0)
            return -2;
        return (double)a - (double)d; /* what this thread holds */
    }
    if (strcmp(allocator, "tcmalloc") == 0) {
        truth_prop get = (truth_prop)fn("MallocExtension_GetNumericProperty");
        size_t v = 0;
        if (!get("generic.current_allocated_bytes", &v)) return -2;
        return (double)v;
    }
    if (strcmp(allocator, "mimalloc") == 0) return -1;
    {
        struct mallinfo2 m = mallinfo2();
        return (double)(m.uordblks + m.hblkhd);
    }
}

static void *live[TRUTH_LIVE];
static size_t nlive;
static double live_bytes;
static void hold(void *p, size_t n) { live[nlive++] = p; live_bytes += (double)n; }

/* before the first site: the rate, the allocator, what it holds now */
static void truth_start(void) {
    const char *r = getenv("SITES_RATE");
    rate = r ? atof(r) : 524288;
    allocator = fn("mallctl") ? "jemalloc" : fn("MallocExtension_GetNumericProperty") ? "tcmalloc"
              : fn("mi_is_in_heap_region") ? "mimalloc" : "glibc";
#ifdef USE_HEADER
    pprof_set_heap_rate((size_t)rate);
#endif
    owned_before = allocator_bytes();
}
/* after the last: "allocator NAME owns the memory" if its statistics account for what the
   program holds (mimalloc: every block held is in its heap) */
static void truth_owned(void) {
    double after = allocator_bytes();
    size_t i, bad = 0;
    if (after == -1) {
        truth_in in = (truth_in)fn("mi_is_in_heap_region");
        for (i = 0; i < nlive; i++) bad += !in(live[i]);
        if (bad) printf("allocator mimalloc does not own %zu of %zu blocks\n", bad, nlive);
        else printf("allocator mimalloc owns the memory\n");
    } else if (after - owned_before >= live_bytes) {
        printf("allocator %s owns the memory\n", allocator);
    } else {
        printf("allocator %s counts %.0f bytes more, the program holds %.0f\n", allocator,
               after - owned_before, live_bytes);
    }
}
/* the exit status; under the header, the heap profile written to PPROF_HEAP_PROFILE first */
static int truth_end(void) {
#ifdef USE_HEADER
    const char *path = getenv("PPROF_HEAP_PROFILE");
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (!f || pprof_write_heap(f) != PPROF_OK) { printf("heap profile not written\n"); return 1; }
    fclose(f);
#endif
    return 0;
}
