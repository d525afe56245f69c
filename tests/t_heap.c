/* Heap and allocs profiles: exact counts at rate 1 per call site for the whole malloc
   family, unbiased estimates at 16 KiB, glibc's behaviour on bad input, threads, fork,
   constructors, the HTTP endpoints and go tool pprof. run.c defines PPROF_WRAP_MALLOC, so
   the whole runner allocates through the wrappers (except under sanitizers, which own the
   allocator: there only pprof_malloc & co. are sampled and the T_HEAP_WRAP tests are out). */
#include <malloc.h>

/* Writes the named profile and loads it. */
static void t_heap_load(const char *name, prd_profile *p) {
    char path[64];
    FILE *f = t_tmpfile(path, sizeof path);
    int rc = pprof_write_profile(name, f, 0);
    T_CHECK(rc == PPROF_OK, "write %s: %s", name, pprof_strerror(rc));
    fclose(f);
    t_load(path, p);
    unlink(path);
}

/* The four values summed over samples whose leaf frame is fn: alloc objects, alloc bytes,
   inuse objects, inuse bytes. */
static void t_heap_site(const prd_profile *p, const char *fn, int64_t v[4]) {
    int i, k;
    v[0] = v[1] = v[2] = v[3] = 0;
    for (i = 0; i < p->nsample; i++)
        if (t_streq(t_frame(p, &p->sample[i], 0), fn))
            for (k = 0; k < 4; k++) v[k] += p->sample[i].value[k];
}

#define T_SITE_IS(p, fn, a0, a1, a2, a3) do { \
    int64_t v_[4]; \
    t_heap_site(p, fn, v_); \
    T_CHECK(v_[0] == (a0) && v_[1] == (a1) && v_[2] == (a2) && v_[3] == (a3), \
            "%s: got %lld %lld %lld %lld, want %lld %lld %lld %lld", fn, (long long)v_[0], \
            (long long)v_[1], (long long)v_[2], (long long)v_[3], (long long)(a0), (long long)(a1), \
            (long long)(a2), (long long)(a3)); \
} while (0)

static void *volatile t_sink;
static volatile size_t t_huge = SIZE_MAX - 100, t_half = SIZE_MAX / 2; /* opaque to the compiler */
#define T_KEEP(p) do { void *k_ = (p); T_OPAQUE(k_); t_sink = k_; } while (0)

T_NOINLINE void *t_site_pm(size_t n) { void *p = pprof_malloc(n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_pc(size_t a, size_t b) { void *p = pprof_calloc(a, b); T_KEEP(p); return p; }
T_NOINLINE void *t_site_pr(void *q, size_t n) { void *p = pprof_realloc(q, n); T_KEEP(p); return p; }

/* The explicit wrappers, exact at rate 1 (these run under the sanitizers too). */
static void t_heap_explicit_exact(void) {
    void *keep[300];
    prd_profile p;
    int i;
    pprof_set_heap_rate(1);
    for (i = 0; i < 300; i++) keep[i] = t_site_pm(100 + (size_t)(i % 3));
    for (i = 0; i < 100; i++) pprof_free(keep[i]);                  /* 100 of each size */
    for (i = 100; i < 200; i++) keep[i] = t_site_pr(keep[i], 1000);  /* moved: freed at pm */
    for (i = 200; i < 300; i++) { pprof_free(keep[i]); keep[i] = t_site_pc(10, 30); }
    for (i = 100; i < 300; i++) memset(keep[i], 0xab, 300);
    t_heap_load("heap", &p);
    T_SITE_IS(&p, "t_site_pm", 300, 30300, 0, 0);
    T_SITE_IS(&p, "t_site_pr", 100, 100000, 100, 100000);
    T_SITE_IS(&p, "t_site_pc", 100, 30000, 100, 30000);
    T_CHECK(prd_sample_type_index(&p, "inuse_space") == 3 && p.period == 1, "types, period");
    prd_free(&p);
    for (i = 100; i < 300; i++) pprof_free(keep[i]);
    t_heap_load("allocs", &p);
    T_SITE_IS(&p, "t_site_pr", 100, 100000, 0, 0);
    T_SITE_IS(&p, "t_site_pc", 100, 30000, 0, 0);
    T_CHECK(t_streq(prd_str(&p, p.default_sample_type), "alloc_space"), "allocs default type");
    prd_free(&p);
    /* calloc zeroes a sampled block; realloc keeps the contents either way */
    {
        unsigned char *z = (unsigned char *)t_site_pc(1000, 1), *r;
        for (i = 0; i < 1000; i++) T_CHECK(z[i] == 0, "calloc byte %d", i);
        for (i = 0; i < 1000; i++) z[i] = (unsigned char)i;
        r = (unsigned char *)pprof_realloc(z, 5000);
        for (i = 0; i < 1000; i++) T_CHECK(r[i] == (unsigned char)i, "realloc byte %d", i);
        r = (unsigned char *)pprof_realloc(r, 10);
        for (i = 0; i < 10; i++) T_CHECK(r[i] == (unsigned char)i, "shrunk byte %d", i);
        T_CHECK(pprof_realloc(r, 0) == NULL, "realloc(p, 0) frees, returns NULL");
        pprof_free(NULL);
        errno = 0;
        T_CHECK(pprof_calloc(t_half, 3) == NULL && errno == ENOMEM,
                "calloc overflow: NULL, ENOMEM");
        errno = 4321; /* success leaves errno alone, sampled or not */
        pprof_free(t_site_pm(10));
        T_CHECK(errno == 4321, "errno after a sampled pprof_malloc: %d", errno);
        T_CHECK(pprof_write_profile("heap", NULL, 0) == PPROF_ERR_NULL, "NULL file");
        T_CHECK(pprof_write_profile("nope", stderr, 0) == PPROF_ERR_NAME, "unknown name");
        T_CHECK(pprof_write_profile("heap", stderr, 5) == PPROF_ERR_DEBUG &&
                pprof_write_profile("heap", stderr, -1) == PPROF_ERR_DEBUG, "format 5, -1");
#if !PPROF__SANITIZED /* pprof_free takes glibc's malloc'd memory too (not a sanitizer's) */
        pprof_free(malloc(10));
#endif
    }
}

/* Go's unsampling, checked against Go's own output for 11 sampled 4096-byte objects (each
   sample's weight is fixed when it is taken, as the sum of 11 such samples). */
static void t_heap_go_scaling(void) {
    uint64_t o = 0, b = 0, wo, wb;
    int i;
    pprof__hrec r;
    memset(&r, 0, sizeof r);
    for (i = 0; i < 11; i++) pprof__heap_count(&r, 4096, pprof__heap_weight(4096, 524288), 0);
    o = r.allocs * 256 + r.wallocs;
    b = r.alloc_bytes + r.walloc_bytes;
    T_CHECK(o / 256 == 1413 && b >= 5789725 - 11 && b <= 5789725 + 11,
            "got %llu objects %llu bytes, Go says 1413 5789725", (unsigned long long)(o / 256),
            (unsigned long long)b);
    memset(&r, 0, sizeof r);
    pprof__heap_count(&r, 700, pprof__heap_weight(700, 1), 0);
    wo = r.allocs * 256 + r.wallocs;
    wb = r.alloc_bytes + r.walloc_bytes;
    T_CHECK(wo == 256 && wb == 700, "rate 1: one block of 700 bytes, got %llu/256 %llu",
            (unsigned long long)wo, (unsigned long long)wb);
    {   /* the exponential draw has mean rate */
        pprof__htls t;
        double sum = 0;
        memset(&t, 0, sizeof t);
        for (i = 0; i < 200000; i++) sum += (double)pprof__heap_draw(&t, 65536);
        sum /= 200000 * 65536.0;
        T_CHECK(sum > 0.99 && sum < 1.01, "mean draw / rate = %.4f", sum);
    }
}

#if PPROF__INTERPOSE
#define T_HEAP_WRAP 1
T_NOINLINE void *t_site_m(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_c(size_t a, size_t b) { void *p = calloc(a, b); T_KEEP(p); return p; }
T_NOINLINE void *t_site_r(void *q, size_t n) { void *p = realloc(q, n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_ra(void *q, size_t a, size_t b) { void *p = reallocarray(q, a, b); T_KEEP(p); return p; }
T_NOINLINE void *t_site_pma(size_t al, size_t n) {
    void *p = NULL;
    T_CHECK(posix_memalign(&p, al, n) == 0, "posix_memalign");
    T_KEEP(p);
    return p;
}
T_NOINLINE void *t_site_aa(size_t al, size_t n) { void *p = aligned_alloc(al, n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_ma(size_t al, size_t n) { void *p = memalign(al, n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_va(size_t n) { void *p = valloc(n); T_KEEP(p); return p; }
T_NOINLINE char *t_site_sd(const char *s) { char *p = strdup(s); T_KEEP(p); return p; }

/* Rate 1: every member of the malloc family exact per call site, partly and fully freed. */
static void t_heap_wrap_exact(void) {
    void *a[400], *b[50], *c[50], *d[20], *e[5];
    prd_profile p;
    int i;
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    pprof_set_heap_rate(1);
    for (i = 0; i < 400; i++) a[i] = t_site_m(1000);
    for (i = 0; i < 150; i++) free(a[i]);                              /* partly freed */
    for (i = 150; i < 250; i++) a[i] = t_site_r(a[i], 3000);           /* moved to t_site_r */
    for (i = 250; i < 300; i++) a[i] = t_site_ra(a[i], 10, 20);        /* and t_site_ra */
    for (i = 300; i < 400; i++) { free(a[i]); a[i] = t_site_c(7, 9); } /* t_site_m: all gone */
    for (i = 0; i < 50; i++) b[i] = t_site_pma(64, 500);
    for (i = 0; i < 50; i++) c[i] = t_site_aa(128, 256);
    for (i = 0; i < 20; i++) d[i] = t_site_ma(4096, 100);
    for (i = 0; i < 5; i++) e[i] = t_site_va(10);
    for (i = 0; i < 50; i++) T_CHECK((uintptr_t)b[i] % 64 == 0 && (uintptr_t)c[i] % 128 == 0, "aligned");
    for (i = 0; i < 20; i++) T_CHECK((uintptr_t)d[i] % 4096 == 0, "memalign 4096");
    for (i = 0; i < 5; i++) T_CHECK((uintptr_t)e[i] % ps == 0, "valloc page");
    for (i = 0; i < 25; i++) free(b[i]);
    for (i = 0; i < 50; i++) free(c[i]);
    for (i = 0; i < 100; i++) free(t_site_sd("0123456789"));
    t_heap_load("heap", &p);
    T_SITE_IS(&p, "t_site_m", 400, 400000, 0, 0);
    T_SITE_IS(&p, "t_site_r", 100, 300000, 100, 300000);
    T_SITE_IS(&p, "t_site_ra", 50, 10000, 50, 10000);
    T_SITE_IS(&p, "t_site_c", 100, 6300, 100, 6300);
    T_SITE_IS(&p, "t_site_pma", 50, 25000, 25, 12500);
    T_SITE_IS(&p, "t_site_aa", 50, 12800, 0, 0);
    T_SITE_IS(&p, "t_site_ma", 20, 2000, 20, 2000);
    T_SITE_IS(&p, "t_site_va", 5, 50, 5, 50);
    {   /* strdup allocates inside libc: counted, the libc frame first */
        int64_t v[4];
        t_heap_site(&p, "strdup", v);
        T_CHECK(v[0] >= 100 && v[1] >= 1100, "strdup: %lld objects %lld bytes", (long long)v[0],
                (long long)v[1]);
    }
    {   /* the stack starts at the allocating call: site, then this test */
        static const char *chain[] = {"t_heap_wrap_exact"};
        T_CHECK(t_chain_share(&p, "t_site_m", chain, 1) == 1.0, "t_site_m's caller");
    }
    prd_free(&p);
    for (i = 150; i < 400; i++) free(a[i]);
    for (i = 25; i < 50; i++) free(b[i]);
    for (i = 0; i < 20; i++) free(d[i]);
    for (i = 0; i < 5; i++) free(e[i]);
    t_heap_load("heap", &p);
    T_SITE_IS(&p, "t_site_r", 100, 300000, 0, 0);
    T_SITE_IS(&p, "t_site_pma", 50, 25000, 0, 0);
    T_SITE_IS(&p, "t_site_va", 5, 50, 0, 0);
    prd_free(&p);
}

/* Bad input behaves as glibc: compared with glibc's own memalign in the same process. */
static void t_heap_wrap_bad_input(void) {
    static const size_t al[] = {0, 1, 3, 8, 24, 48, 100, 4096, (size_t)1 << 40,
                                SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, SIZE_MAX};
    static const size_t sz[] = {0, 10, 1000, SIZE_MAX - 100, SIZE_MAX / 2 - 7};
    size_t rates[] = {1, 0}, i, j, k;
    void *p;
    for (k = 0; k < 2; k++) {
        pprof_set_heap_rate(rates[k]); /* 1: the sampled path; 0: straight through */
        for (i = 0; i < sizeof al / sizeof al[0]; i++)
            for (j = 0; j < sizeof sz / sizeof sz[0]; j++) {
                void *mine, *theirs;
                int e1, e2;
                errno = 0;
                theirs = __libc_memalign(al[i], sz[j]);
                e2 = errno;
                errno = 0;
                mine = memalign(al[i], sz[j]);
                e1 = errno;
                T_CHECK(!mine == !theirs && (mine || e1 == e2),
                        "memalign(%zu, %zu): %p errno %d, glibc %p errno %d", al[i], sz[j], mine,
                        e1, theirs, e2);
                if (mine && al[i] > 1 && (al[i] & (al[i] - 1)) == 0)
                    T_CHECK((uintptr_t)mine % al[i] == 0, "alignment %zu", al[i]);
                free(mine);
                __libc_free(theirs);
                errno = 0;
                mine = aligned_alloc(al[i], sz[j]);
                T_CHECK(!mine == !theirs || (al[i] & (al[i] - 1)) != 0, "aligned_alloc(%zu, %zu)",
                        al[i], sz[j]);
                free(mine);
            }
        p = (void *)1;
        T_CHECK(posix_memalign(&p, 3, 10) == EINVAL && p == (void *)1, "posix_memalign 3");
        T_CHECK(posix_memalign(&p, 0, 10) == EINVAL, "posix_memalign 0");
        T_CHECK(posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign 4 (< sizeof(void *))");
        T_CHECK(posix_memalign(&p, 64, t_huge) == ENOMEM, "posix_memalign huge");
        errno = 0;
        T_CHECK(calloc(t_half, 3) == NULL && errno == ENOMEM, "calloc overflow");
        errno = 0;
        T_CHECK(malloc(t_huge) == NULL && errno == ENOMEM, "malloc huge");
        errno = 0;
        T_CHECK(reallocarray(NULL, t_half, 3) == NULL && errno == ENOMEM, "reallocarray");
        p = malloc(100);
        T_CHECK(malloc_usable_size(p) >= 100, "usable %zu", malloc_usable_size(p));
        memset(p, 1, malloc_usable_size(p));
        T_CHECK(realloc(p, t_huge) == NULL, "realloc huge fails, p kept");
        T_CHECK(realloc(p, 0) == NULL, "realloc(p, 0) frees");
        free(NULL);
        p = realloc(NULL, 10);
        T_CHECK(p != NULL, "realloc(NULL, n) allocates");
        free(p);
        T_CHECK(malloc_usable_size(NULL) == 0, "usable NULL");
    }
}

/* A double free still reaches glibc's checks, sampled block or not. */
static void t_heap_wrap_double_free(void) {
    size_t rates[] = {1, 0};
    int k;
    for (k = 0; k < 2; k++) {
        int status;
        pid_t pid = fork();
        T_CHECK(pid >= 0, "fork");
        if (pid == 0) {
            void *p;
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 2); /* glibc's message */
            pprof_set_heap_rate(rates[k]);
            p = t_site_m(64); /* kept opaque: the compiler must not elide the calls */
            free(p);
            free(t_sink);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                "rate %zu: double free not caught by glibc (status %d)", rates[k], status);
    }
}

T_NOINLINE void *t_site_big(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_small(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
T_NOINLINE void *t_site_gone(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }

/* Rate 16 KiB: each site's in-use bytes within 12% of the truth, the freed site exactly 0,
   and the estimate of everything allocated unbiased over four runs. */
static void t_heap_wrap_accuracy(void) {
    enum { NBIG = 16384, NSMALL = 65536, NGONE = 8192 }; /* 16 MiB, 16 MiB, 32 MiB */
    static void *big[NBIG], *small[NSMALL];
    prd_profile p;
    int rep, i;
    double truth_alloc = 0;
    pprof_set_heap_rate(16384);
    for (rep = 0; rep < 4; rep++) {
        int64_t v[4];
        for (i = 0; i < NBIG; i++) big[i] = t_site_big(1024);
        for (i = 0; i < NSMALL; i++) small[i] = t_site_small(32 + (size_t)(i % 8) * 64); /* mean 256 */
        for (i = 0; i < NGONE; i++) free(t_site_gone(4096));
        truth_alloc += 16777216.0 * 4; /* big 16 MiB + small 16 MiB (mean 256 B) + gone 32 MiB */
        t_heap_load("heap", &p);
        t_heap_site(&p, "t_site_big", v);
        T_CHECK(fabs((double)v[3] / 16777216.0 - 1) < 0.12, "run %d: big in-use %lld of 16 MiB", rep, (long long)v[3]);
        T_CHECK(fabs((double)v[2] / NBIG - 1) < 0.12, "run %d: big in-use objects %lld of %d", rep, (long long)v[2], NBIG);
        t_heap_site(&p, "t_site_small", v);
        T_CHECK(fabs((double)v[3] / 16777216.0 - 1) < 0.12, "run %d: small in-use %lld of 16 MiB", rep, (long long)v[3]);
        t_heap_site(&p, "t_site_gone", v);
        T_CHECK(v[2] == 0 && v[3] == 0 && v[1] > 0, "run %d: freed site in use %lld (alloc %lld)", rep,
                (long long)v[3], (long long)v[1]);
        if (rep == 3) {
            double est = 0;
            t_heap_site(&p, "t_site_big", v);
            est += (double)v[1];
            t_heap_site(&p, "t_site_small", v);
            est += (double)v[1];
            t_heap_site(&p, "t_site_gone", v);
            est += (double)v[1];
            T_CHECK(fabs(est / truth_alloc - 1) < 0.04, "allocated over 4 runs: %.0f of %.0f (%.2f%%)",
                    est, truth_alloc, 100 * (est / truth_alloc - 1));
        }
        prd_free(&p);
        for (i = 0; i < NBIG; i++) free(big[i]);
        for (i = 0; i < NSMALL; i++) free(small[i]);
    }
}

T_NOINLINE void *t_site_thr(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
static void *t_heap_thread(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 1000; i++) free(t_site_thr(48));
    for (i = 0; i < 10; i++) (void)t_site_thr(16); /* kept: in use at the end */
    return NULL;
}

/* malloc is no cancellation point, even where the profiler reads /proc for a new thread */
static volatile int t_cancel_survived;
static pthread_barrier_t t_cancel_bar;
static void *t_heap_cancel_thread(void *arg) {
    int i;
    (void)arg;
    pthread_barrier_wait(&t_cancel_bar); /* a cancel is pending from here on */
    pthread_barrier_wait(&t_cancel_bar);
    for (i = 0; i < 100; i++) free(t_site_thr(64)); /* first sample: the stack lookup */
    __atomic_store_n(&t_cancel_survived, 1, __ATOMIC_RELEASE);
    pthread_testcancel();
    return NULL;
}
static void t_heap_wrap_not_cancellation_point(void) {
    pthread_t th;
    void *res = NULL;
    pprof_set_heap_rate(1);
    pthread_barrier_init(&t_cancel_bar, NULL, 2);
    T_CHECK(pthread_create(&th, NULL, t_heap_cancel_thread, NULL) == 0, "thread");
    pthread_barrier_wait(&t_cancel_bar);
    pthread_cancel(th);
    pthread_barrier_wait(&t_cancel_bar);
    pthread_join(th, &res);
    T_CHECK(__atomic_load_n(&t_cancel_survived, __ATOMIC_ACQUIRE) == 1 && res == PTHREAD_CANCELED,
            "cancelled inside malloc");
}

T_NOINLINE void *t_site_child(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
static void *t_ctor_block;
T_NOINLINE void *t_site_ctor(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
__attribute__((constructor)) static void t_heap_ctor(void) {
    t_ctor_block = t_site_ctor((size_t)32 << 20); /* at the default rate: always sampled */
}

/* Threads exact at rate 1; a fork child samples on; an allocation before main is there. */
static void t_heap_wrap_threads_fork_ctor(void) {
    pthread_t th[4];
    prd_profile p;
    int i, status;
    pid_t pid;
    int64_t v[4];
    t_heap_load("heap", &p);
    t_heap_site(&p, "t_site_ctor", v);
    T_CHECK(v[2] == 1 && v[3] == (int64_t)32 << 20, "constructor's block: %lld objects %lld bytes",
            (long long)v[2], (long long)v[3]);
    prd_free(&p);
    pprof_set_heap_rate(1);
    for (i = 0; i < 4; i++) T_CHECK(pthread_create(&th[i], NULL, t_heap_thread, NULL) == 0, "thread");
    for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
    t_heap_load("heap", &p);
    T_SITE_IS(&p, "t_site_thr", 4040, 4 * (1000 * 48 + 160), 40, 640);
    prd_free(&p);
    pid = fork();
    T_CHECK(pid >= 0, "fork");
    if (pid == 0) {
        for (i = 0; i < 10; i++) (void)t_site_child(100);
        t_heap_load("heap", &p);
        t_heap_site(&p, "t_site_child", v);
        _exit(v[0] == 10 && v[3] == 1000 ? 0 : 3);
    }
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork child's heap profile (status %d)", status);
}

/* The profiler's own work never shows in the heap profile, even at rate 1. */
static void t_heap_wrap_no_self(void) {
    prd_profile p;
    int i, f, port;
    t_resp r;
    FILE *tf;
    char path[64];
    pprof_set_heap_rate(1);
    port = t_http_start();
    t_http_get(port, "GET", "/debug/pprof/heap?debug=1", &r);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/profile?seconds=1", &r);
    free(r.raw);
    pprof_shutdown();
    tf = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_cpu(tf, 1) == PPROF_OK, "cpu");
    fclose(tf);
    unlink(path);
    t_heap_load("heap", &p);
    for (i = 0; i < p.nsample; i++)
        for (f = 0; f < p.sample[i].nlocation; f++) {
            const char *fn = t_frame(&p, &p.sample[i], f);
            T_CHECK(!fn || strncmp(fn, "pprof_", 6) != 0, "the profiler's own allocation in %s", fn);
        }
    prd_free(&p);
}

T_NOINLINE void *t_site_http(size_t n) { void *p = malloc(n); T_KEEP(p); return p; }
static void *t_heap_alloc_later(void *arg) {
    int i;
    (void)arg;
    pprof__os_sleep_ns(300000000);
    for (i = 0; i < 100; i++) (void)t_site_http(1000);
    return NULL;
}

/* The endpoints serve the data: proto, Go's text, and a window with seconds=N. */
static void t_heap_wrap_http(void) {
    int port, i;
    t_resp r;
    prd_profile p;
    pthread_t th;
    char err[256];
    int64_t v[4];
    pprof_set_heap_rate(1);
    for (i = 0; i < 50; i++) (void)t_site_http(1000);
    port = t_http_start();
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200 && prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0 &&
            prd_validate(&p, err, sizeof err) == 0, "heap: %d", r.status);
    T_SITE_IS(&p, "t_site_http", 50, 50000, 50, 50000);
    prd_free(&p);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?debug=1", &r);
    T_CHECK(r.status == 200 && strncmp(r.body, "heap profile: ", 14) == 0 &&
            strstr(r.body, "@ heap/2\n") && strstr(r.body, "50: 50000 [50: 50000] @ 0x") &&
            strstr(r.body, "\tt_site_http+0x") && strstr(r.body, "\n# pprof.h heap sampling\n"),
            "text:\n%.600s", r.body);
    free(r.raw);
    /* a 1 s window: the 100 allocations made during it; in-use stays absolute */
    T_CHECK(pthread_create(&th, NULL, t_heap_alloc_later, NULL) == 0, "thread");
    t_http_get(port, "GET", "/debug/pprof/allocs?seconds=1", &r);
    pthread_join(th, NULL);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"allocs-delta\"") &&
            prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0, "delta %d", r.status);
    t_heap_site(&p, "t_site_http", v);
    T_CHECK(v[0] == 100 && v[1] == 100000 && v[2] == 150 && v[3] == 150000,
            "window: %lld %lld %lld %lld", (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
    T_CHECK(p.duration_nanos >= 900000000, "duration %lld", (long long)p.duration_nanos);
    prd_free(&p);
    free(r.raw);
    pprof_shutdown();
}

/* go tool pprof reads the heap profile and names the site. */
static void t_heap_wrap_go_pprof(void) {
    char path[64], cmd[512];
    static char out[1 << 16];
    FILE *f;
    int i;
    if (!t_have("go")) T_SKIP("go not installed (apt-get install golang-go)");
    pprof_set_heap_rate(1);
    for (i = 0; i < 10; i++) (void)t_site_http(4096);
    f = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_heap(f) == PPROF_OK, "write");
    fclose(f);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -sample_index=inuse_space -nodefraction=0 -top %s 2>&1", path);
    T_CHECK(t_capture(cmd, out, sizeof out) == 0 && strstr(out, "t_site_http") &&
            strstr(out, "Type: inuse_space"), "go tool pprof -top:\n%s", out);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -symbolize=none -traces %s 2>&1", path);
    T_CHECK(t_capture(cmd, out, sizeof out) == 0 && strstr(out, "bytes:  4kB") && strstr(out, "t_heap_wrap_go_pprof"), "go tool pprof -traces:\n%s", out);
    unlink(path);
}
#endif

#ifdef T_HEAP_WRAP
#define T_HEAP_WRAP_CASES \
    {"heap_wrap_exact_at_rate_1_every_member", t_heap_wrap_exact, 30}, \
    {"heap_wrap_bad_input_as_glibc", t_heap_wrap_bad_input, 30}, \
    {"heap_wrap_double_free_reaches_glibc", t_heap_wrap_double_free, 30}, \
    {"heap_wrap_accuracy_at_16k", t_heap_wrap_accuracy, 60}, \
    {"heap_wrap_threads_fork_constructor", t_heap_wrap_threads_fork_ctor, 30}, \
    {"heap_wrap_malloc_is_no_cancellation_point", t_heap_wrap_not_cancellation_point, 30}, \
    {"heap_wrap_profiler_not_in_profile", t_heap_wrap_no_self, 30}, \
    {"heap_wrap_http_proto_text_window", t_heap_wrap_http, 30}, \
    {"heap_wrap_go_tool_pprof", t_heap_wrap_go_pprof, 60},
#else
#define T_HEAP_WRAP_CASES
#endif

#define T_HEAP_CASES \
    {"heap_explicit_wrappers_exact", t_heap_explicit_exact, 30}, \
    {"heap_go_unsampling_and_draw", t_heap_go_scaling, 30}, \
    T_HEAP_WRAP_CASES
