/* sites.c - a C program that allocates every way a C program does, from call sites whose
 * truth it counts itself, for tests/alloc.sh (issue 15). Each site_* function prints
 *     site NAME alloc_objects alloc_space inuse_objects inuse_space  sd_ao sd_ab sd_io sd_ib
 * where the four values are what it allocated (and still holds at exit) and the sd_* are
 * the standard deviations of Go's sampling estimate of each at SITES_RATE, the profiler's rate (0 at rate
 * 1: exact). It also names the allocator beneath it and checks that the memory it holds
 * came from that allocator (its own statistics), printing "allocator NAME owns the memory".
 * Built with -DUSE_HEADER it is pprof.h's implementation file with PPROF_WRAP_MALLOC and
 * writes PPROF_HEAP_PROFILE itself; otherwise it runs under LD_PRELOAD=libpprof.so.
 */
#define _GNU_SOURCE
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "../../pprof.h"
#endif

enum { NSMALL = 1500000, NMIX = 1500000, NCALLOC = 100000, NREALLOC = 20000, NALIGN = 20000,
       NPAGE = 2000, NDUP = 50000, NSIZED = 100000, NOWN = 20000 };
#define TRUTH_LIVE (NSMALL / 8 + NMIX / 8 + NCALLOC / 2 + NREALLOC / 2 + NALIGN + NPAGE / 2 + NDUP / 2)
#include "truth.h"

__attribute__((noinline)) static void site_small(truth *tp) {
    truth t = {0};
    int i;
    for (i = 0; i < NSMALL; i++) {
        void *p = malloc(33);
        KEEP(p);
        count(&t, 33, i % 8 == 0);
        if (i % 8 == 0) hold(p, 33); else free(p);
    }
    *tp = t;
}
/* 33-byte and 4 MiB blocks from one call site, in proportions that change as it goes */
__attribute__((noinline)) static void *site_mixed_alloc(size_t n) { void *p = malloc(n); KEEP(p); return p; }
__attribute__((noinline)) static void site_mixed(truth *tp) {
    truth t = {0};
    int i, big = 0;
    for (i = 0; i < NMIX; i++) {
        int is_big = i % (i < NMIX / 2 ? 10000 : 50000) == 0;
        size_t n = is_big ? 4u << 20 : 33;
        void *p = site_mixed_alloc(n);
        if (is_big) { memset(p, 1, 64); big++; }
        count(&t, n, !is_big && i % 8 == 1);
        if (!is_big && i % 8 == 1) hold(p, n); else free(p);
    }
    *tp = t;
}
__attribute__((noinline)) static void site_calloc(truth *tp) {
    truth t = {0};
    int i;
    for (i = 0; i < NCALLOC; i++) {
        unsigned char *p = (unsigned char *)calloc(10, 100);
        if (p[999] != 0) abort();
        count(&t, 1000, i % 2 == 0);
        if (i % 2 == 0) hold(p, 1000); else free(p);
    }
    *tp = t;
}
__attribute__((noinline)) static void site_realloc(truth *tp) {
    truth t = {0};
    int i;
    for (i = 0; i < NREALLOC; i++) {
        size_t n = 16;
        char *p = (char *)malloc(n);
        p[0] = 7;
        count(&t, n, 0);
        for (n = 32; n <= 4096; n *= 2) {
            p = (char *)realloc(p, n);
            if (p[0] != 7) abort();
            count(&t, n, n == 4096 && i % 2 == 0);
        }
        if (i % 2 == 0) hold(p, 4096); else free(p);
    }
    *tp = t;
}
__attribute__((noinline)) static void site_aligned(truth *tp) {
    truth t = {0};
    int i;
    for (i = 0; i < NALIGN; i++) {
        void *p = NULL, *q;
        size_t a = (size_t)64 << (i % 4);
        if (posix_memalign(&p, a, 1000) != 0 || ((uintptr_t)p & (a - 1))) abort();
        count(&t, 1000, i % 2 == 0);
        if (i % 2 == 0) hold(p, 1000); else free(p);
        {   /* alignment 16 for a tiny block (other allocators give such blocks 8) */
            void *r = NULL;
            if (posix_memalign(&r, 16, 8) != 0 || ((uintptr_t)r & 15)) {
                printf("posix_memalign(16, 8) = %p\n", r);
                exit(1);
            }
            free(r);
            count(&t, 8, 0);
        }
        q = memalign(256, 300);
        if ((uintptr_t)q & 255) abort();
        count(&t, 300, i % 2 == 1);
        if (i % 2 == 1) hold(q, 300); else free(q);
    }
    *tp = t;
}
/* page-aligned blocks: the word before one may be in another mapping */
__attribute__((noinline)) static void site_page(truth *tp) {
    truth pg = {0};
    int i;
    for (i = 0; i < NPAGE; i++) {
        void *p = aligned_alloc(4096, 8192);
        if ((uintptr_t)p & 4095) abort();
        memset(p, 3, 8192);
        count(&pg, 8192, i % 2 == 0);
        if (i % 2 == 0) hold(p, 8192); else free(p);
    }
    *tp = pg;
}
__attribute__((noinline)) static void site_strdup(truth *tp) {
    truth t = {0};
    const char *s = "a string of forty characters, exactly..";
    int i;
    for (i = 0; i < NDUP; i++) {
        char *d = strdup(s);
        if (strcmp(d, s) != 0) abort();
        count(&t, strlen(s) + 1, i % 2 == 0);
        if (i % 2 == 0) hold(d, strlen(s) + 1); else free(d);
    }
    *tp = t;
}
/* the allocator's own sized frees and size queries (looked up before any site: dlsym allocates) */
static void (*f_sdallocx)(void *, size_t, int);
static void (*f_mi_free_size)(void *, size_t);
static void (*f_tc_free_sized)(void *, size_t);
static size_t (*f_sallocx)(const void *, int);
static size_t (*f_mi_usable)(const void *);
static size_t (*f_tc_size)(void *);
/* freed by the allocator's own sized free where it has one; sizes asked of it too */
__attribute__((noinline)) static void site_sized(truth *tp, const char **howp) {
    truth t = {0};
    const char *how = "free";
    int i;
    for (i = 0; i < NSIZED; i++) {
        size_t n = 200;
        char *p = (char *)malloc(n);
        memset(p, 5, n);
        if (malloc_usable_size(p) < n) { printf("malloc_usable_size %zu < %zu\n", malloc_usable_size(p), n); exit(1); }
        if (strcmp(allocator, "jemalloc") == 0 && f_sallocx(p, 0) < n) { printf("f_sallocx short\n"); exit(1); }
        if (strcmp(allocator, "mimalloc") == 0 && f_mi_usable(p) < n) { printf("mi_usable_size short\n"); exit(1); }
        if (strcmp(allocator, "tcmalloc") == 0 && f_tc_size(p) < n) { printf("tc_malloc_size short\n"); exit(1); }
        count(&t, n, 0);
        if (strcmp(allocator, "jemalloc") == 0) { f_sdallocx(p, n, 0); how = "sdallocx"; }
        else if (strcmp(allocator, "mimalloc") == 0) { f_mi_free_size(p, n); how = "mi_free_size"; }
        else if (strcmp(allocator, "tcmalloc") == 0) { f_tc_free_sized(p, n); how = "tc_free_sized"; }
        else free(p);
    }
    *tp = t;
    *howp = how;
}

/* blocks from malloc passed to the allocator's own reallocs (jemalloc's rallocx, mimalloc's
   mi_reallocf, mi_recalloc and mi_expand, tcmalloc's tc_realloc), then freed by its own frees:
   their contents kept (a recalloc zeroes the tail only of a calloc's block); in the profile, each is the malloc that made
   it, and tc_realloc's (realloc's meaning) also its new block; jemalloc's and mimalloc's own
   calls are not sampled */
static void *(*f_rallocx)(void *, size_t, int);
static void *(*f_mi_reallocf)(void *, size_t);
static void *(*f_mi_recalloc)(void *, size_t, size_t);
static void *(*f_mi_expand)(void *, size_t);
static void *(*f_tc_realloc)(void *, size_t);
static void (*f_tc_delete_sized_aligned)(void *, size_t, size_t);
__attribute__((noinline)) static void site_own(truth *tp) {
    truth t = {0};
    int i;
    size_t k;
    for (i = 0; i < NOWN; i++) {
        size_t n = 100 + (size_t)(i % 50), m = 2 * n;
        unsigned char *p = (unsigned char *)malloc(n), *q = p;
        memset(p, i & 255, n);
        count(&t, n, 0);
        if (strcmp(allocator, "jemalloc") == 0) q = (unsigned char *)f_rallocx(p, m, 0);
        else if (strcmp(allocator, "tcmalloc") == 0) q = (unsigned char *)f_tc_realloc(p, m), count(&t, m, 0);
        else if (strcmp(allocator, "mimalloc") == 0) {
            if (f_mi_expand(p, n / 2) != p) { printf("mi_expand to a smaller size moved the block\n"); exit(1); }
            q = (unsigned char *)(i % 2 ? f_mi_reallocf(p, m) : f_mi_recalloc(p, m, 1));
        } else q = (unsigned char *)realloc(p, m), count(&t, m, 0);
        for (k = 0; k < n; k++)
            if (q[k] != (i & 255)) { printf("%s realloc lost byte %zu\n", allocator, k); exit(1); }
        memset(q, 1, m);
        if (strcmp(allocator, "tcmalloc") == 0 && i % 2) f_tc_delete_sized_aligned(q, m, 16);
        else free(q);
    }
    *tp = t;
}

int main(void) {
    static const char *const names[9] = {"site_small", "site_mixed", "site_calloc", "site_realloc",
                                          "site_aligned", "site_page", "site_strdup", "site_sized",
                                          "site_own"};
    truth t[9];
    const char *how;
    int i;
    truth_start();
    f_sdallocx = (void (*)(void *, size_t, int))fn("sdallocx");
    f_mi_free_size = (void (*)(void *, size_t))fn("mi_free_size");
    f_tc_free_sized = (void (*)(void *, size_t))fn("tc_free_sized");
    f_sallocx = (size_t (*)(const void *, int))fn("sallocx");
    f_mi_usable = (size_t (*)(const void *))fn("mi_usable_size");
    f_tc_size = (size_t (*)(void *))fn("tc_malloc_size");
    f_rallocx = (void *(*)(void *, size_t, int))fn("rallocx");
    f_mi_reallocf = (void *(*)(void *, size_t))fn("mi_reallocf");
    f_mi_recalloc = (void *(*)(void *, size_t, size_t))fn("mi_recalloc");
    f_mi_expand = (void *(*)(void *, size_t))fn("mi_expand");
    f_tc_realloc = (void *(*)(void *, size_t))fn("tc_realloc");
    f_tc_delete_sized_aligned = (void (*)(void *, size_t, size_t))fn("tc_delete_sized_aligned");
    site_small(&t[0]);
    site_mixed(&t[1]);
    site_calloc(&t[2]);
    site_realloc(&t[3]);
    site_aligned(&t[4]);
    site_page(&t[5]);
    site_strdup(&t[6]);
    site_sized(&t[7], &how);
    site_own(&t[8]);
    for (i = 0; i < 9; i++) report(names[i], &t[i]);
    printf("sized free: %s\n", how);
    truth_owned();
    return truth_end();
}
