/* Benchmarks for pprof.h, measured side by side in one run and printed as ratios.
     bench overhead   CPU-bound threads unprofiled / pprof.h / gperftools, alternating
     bench handler    cost of one sample: our handler (each walker) and gperftools' vs an
                      empty one, 64 and 120 frames deep
     bench tables     unwind-table build time and memory for libc, libstdc++, libLLVM
     bench encode     time to encode and write a 10 s, 4-thread profile
     bench http       latency of /debug/pprof/ under 50 clients; the idle listener's CPU
   Build: cc -O2 -fno-omit-frame-pointer -pthread bench/bench.c -o bench -ldl -lm      */
#define PPROF_IMPLEMENTATION
#include "../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../tools/pprof_read.h"

#include <dlfcn.h>
#include <math.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define NOINLINE __attribute__((noinline))
#define OPAQUE(x) __asm__ __volatile__("" : "+r"(x))

static int64_t now_ns(void) { return pprof__os_mono_ns(); }
static int64_t cpu_ns(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the workload: leaves reached through varied stacks ---- */
NOINLINE static unsigned long leaf0(unsigned long x, int n) { int i; for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1; OPAQUE(x); } return x; }
NOINLINE static unsigned long leaf1(unsigned long x, int n) { int i; for (i = 0; i < n; i++) { x = x * 2862933555777941757ul + 3; OPAQUE(x); } return x; }
NOINLINE static unsigned long leaf2(unsigned long x, int n) { int i; for (i = 0; i < n; i++) { x = (x ^ (x >> 7)) * 3202034522624059733ul; OPAQUE(x); } return x; }
NOINLINE static unsigned long leaf3(unsigned long x, int n) { int i; for (i = 0; i < n; i++) { x = x * 3935559000370003845ul + 5; OPAQUE(x); } return x; }
NOINLINE static unsigned long descend(int depth, int which, unsigned long x) {
    if (depth > 0) x = descend(depth - 1, which, x);
    else switch (which & 3) {
        case 0: x = leaf0(x, 3000); break;
        case 1: x = leaf1(x, 3000); break;
        case 2: x = leaf2(x, 3000); break;
        default: x = leaf3(x, 3000); break;
    }
    OPAQUE(x);
    return x;
}
typedef struct work { long rounds; unsigned long x; } work;
static void *worker(void *arg) {
    work *w = (work *)arg;
    long i;
    for (i = 0; i < w->rounds; i++) w->x = descend((int)(w->x % 24), (int)(w->x >> 20), w->x);
    return NULL;
}
static void run_threads(int n, long rounds) {
    pthread_t t[16];
    work w[16];
    int i;
    for (i = 0; i < n; i++) {
        w[i].rounds = rounds / n;
        w[i].x = (unsigned long)i * 7919 + 1;
        pthread_create(&t[i], NULL, worker, &w[i]);
    }
    for (i = 0; i < n; i++) pthread_join(t[i], NULL);
}
static long calibrate(double seconds) {
    int64_t t0 = cpu_ns();
    long n = 0;
    work w;
    w.rounds = 200;
    w.x = 1;
    while (cpu_ns() - t0 < 200000000) { worker(&w); n += 200; }
    return (long)((double)n * seconds * 1e9 / (double)(cpu_ns() - t0));
}

/* ---- overhead: one child process per measurement, modes alternating ---- */
#define THREADS 4
/* The child: runs the work under one profiler, prints "wall_ns cpu_ns accounted_ns". */
static int child(const char *mode, int hz, long rounds, const char *out) {
    int64_t w0, w1, c0, c1, acc = -1;
    FILE *fp = NULL;
    int (*gstart)(const char *) = NULL;
    void (*gstop)(void) = NULL;
    if (strcmp(mode, "pprof") == 0) {
        pprof_set_cpu_rate(hz);
        fp = fopen(out, "wb");
        if (!fp || pprof_cpu_start(fp) != 0) return 2;
    } else if (strcmp(mode, "gperf") == 0) {
        void *h = dlopen("libprofiler.so.0", RTLD_NOW);
        if (!h) return 3;
        *(void **)&gstart = dlsym(h, "ProfilerStart");
        *(void **)&gstop = dlsym(h, "ProfilerStop");
        if (!gstart || !gstop || !gstart(out)) return 3;
    }
    w0 = now_ns();
    c0 = cpu_ns();
    run_threads(THREADS, rounds);
    c1 = cpu_ns();
    w1 = now_ns();
    if (fp) {
        prd_profile p;
        int i;
        pprof_cpu_stop();
        fclose(fp);
        memset(&p, 0, sizeof p);
        if (prd_parse_file(out, &p) == 0) {
            acc = 0;
            for (i = 0; i < p.nsample; i++) acc += p.sample[i].value[1];
            prd_free(&p);
        }
    } else if (gstop) {
        /* gperftools' legacy format: words [0,3,0,period_us,0], then [count, depth, pcs] */
        FILE *g;
        uintptr_t hdr[5], rec[2], pcs[256];
        gstop();
        g = fopen(out, "rb");
        if (g && fread(hdr, sizeof hdr[0], 5, g) == 5) {
            acc = 0;
            while (fread(rec, sizeof rec[0], 2, g) == 2 && rec[1] <= 256 &&
                   fread(pcs, sizeof pcs[0], rec[1], g) == rec[1]) {
                if (rec[0] == 0 && rec[1] == 1) break;
                acc += (int64_t)rec[0] * (int64_t)hdr[3] * 1000;
            }
        }
        if (g) fclose(g);
    }
    printf("%lld %lld %lld\n", (long long)(w1 - w0), (long long)(c1 - c0), (long long)acc);
    return 0;
}

static int spawn(const char *self, const char *mode, int hz, long rounds, double *wall,
                 double *cpu, double *acc) {
    char cmd[1024], out[128];
    FILE *p;
    long long w, c, a = -1;
    int ok;
    snprintf(out, sizeof out, "/tmp/pprof-bench-%d.prof", (int)getpid());
    if (strncmp(mode, "go", 2) == 0) /* the same work in Go under runtime/pprof (build/gocpu) */
        snprintf(cmd, sizeof cmd, "%.*sgocpu %d %ld %s 2>/dev/null",
                 (int)(strrchr(self, '/') ? strrchr(self, '/') - self + 1 : 0), self,
                 strcmp(mode, "go") == 0 ? hz : 0, rounds, out);
    else
        snprintf(cmd, sizeof cmd, "CPUPROFILE_FREQUENCY=%d %s child %s %d %ld %s 2>/dev/null",
                 hz, self, mode, hz, rounds, out);
    p = popen(cmd, "r");
    if (!p) return -1;
    ok = strncmp(mode, "go", 2) == 0 ? fscanf(p, "%lld %lld", &w, &c) == 2
                                     : fscanf(p, "%lld %lld %lld", &w, &c, &a) == 3;
    if (pclose(p) != 0 || !ok) return -1;
    if (strcmp(mode, "go") == 0) { /* Go's own profile: its cpu/nanoseconds column */
        prd_profile pr;
        memset(&pr, 0, sizeof pr);
        if (prd_parse_file(out, &pr) == 0) {
            int i;
            a = 0;
            for (i = 0; i < pr.nsample; i++) a += pr.sample[i].value[1];
            prd_free(&pr);
        }
    }
    *wall = (double)w;
    *cpu = (double)c;
    *acc = (double)a;
    return 0;
}

static void overhead(const char *self) {
    const char *modes[] = {"none", "pprof", "gperf", "pprof", "gperf", "gonone", "go", "go"};
    const int hzs[] = {0, 100, 100, 1000, 1000, 0, 100, 1000};
    enum { ROUNDS = 7, MODES = 8 };
    double ratio[MODES][ROUNDS], accp[MODES][ROUNDS];
    long rounds = calibrate(1.0) * THREADS;
    int r, m, have_gperf, have_go;
    pid_t pid = fork();
    if (pid == 0) { /* never load it here: its SIGPROF handler would stay behind */
        if (!freopen("/dev/null", "w", stderr)) _exit(1);
        _exit(dlopen("libprofiler.so.0", RTLD_NOW) ? 0 : 1);
    }
    waitpid(pid, &r, 0);
    have_gperf = WIFEXITED(r) && WEXITSTATUS(r) == 0;
    have_go = access("build/gocpu", X_OK) == 0;
    printf("== overhead: %d threads, ~%.1f CPU-s of work per run, %d alternating rounds\n",
           THREADS, (double)THREADS, ROUNDS);
    if (!have_gperf) printf("   (gperftools' libprofiler.so.0 not installed: its columns are skipped)\n");
    if (!have_go) printf("   (Go not installed: its columns are skipped)\n");
    for (r = 0; r < ROUNDS; r++) {
        double base_w = 0, base_go = 0, w, c, a;
        for (m = 0; m < MODES; m++) {
            if ((strcmp(modes[m], "gperf") == 0 && !have_gperf) ||
                (strncmp(modes[m], "go", 2) == 0 && !have_go)) {
                ratio[m][r] = accp[m][r] = NAN;
                continue;
            }
            if (spawn(self, modes[m], hzs[m] ? hzs[m] : 100, rounds, &w, &c, &a) != 0) {
                printf("   run failed: %s %d Hz\n", modes[m], hzs[m]);
                ratio[m][r] = accp[m][r] = NAN;
                continue;
            }
            if (m == 0) base_w = w;
            if (strcmp(modes[m], "gonone") == 0) base_go = w; /* Go against Go unprofiled */
            ratio[m][r] = m == 0 || strcmp(modes[m], "gonone") == 0 ? 1.0
                        : w / (strcmp(modes[m], "go") == 0 ? base_go : base_w);
            accp[m][r] = a >= 0 ? 100.0 * a / c : NAN;
        }
    }
    printf("   %-22s %-28s %s\n", "profiler", "wall time vs unprofiled", "accounted CPU (profile / getrusage)");
    for (m = 1; m < MODES; m++) {
        double rv[ROUNDS], av[ROUNDS];
        int n = 0;
        if (strcmp(modes[m], "gonone") == 0) continue;
        for (r = 0; r < ROUNDS; r++)
            if (!isnan(ratio[m][r])) { rv[n] = ratio[m][r]; av[n] = accp[m][r]; n++; }
        if (n == 0) { printf("   %-9s %5d Hz       (not run)\n", modes[m], hzs[m]); continue; }
        printf("   %-10s %5d Hz      %.3fx (%+.1f%%)              %.1f%%\n",
               strcmp(modes[m], "pprof") == 0 ? "pprof.h" : strcmp(modes[m], "go") == 0
                   ? "Go" : "gperftools", hzs[m], median(rv, n),
               100 * (median(rv, n) - 1), median(av, n));
    }
    printf("   (medians of %d pairs; targets: pprof.h <= 1%% at 100 Hz, <= 3%% at 1000 Hz)\n", ROUNDS);
}

/* ---- handler: one signal to ourselves at a known depth: an empty handler against pprof.h's
   with each walker, and gperftools' (libunwind) in a child process ---- */
static void empty_handler(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; (void)uc; }
static double signal_loop(int sig, int n) {
    int tid = pprof__os_gettid(), pid = getpid(), i;
    int64_t t0 = now_ns();
    for (i = 0; i < n; i++) syscall(SYS_tgkill, pid, tid, sig);
    return (double)(now_ns() - t0) / n;
}
NOINLINE static double at_depth(int depth, int sig, int n) {
    double r;
    if (depth > 0) r = at_depth(depth - 1, sig, n);
    else r = signal_loop(sig, n);
    OPAQUE(depth);
    return r;
}
/* gperftools' SIGPROF handler, signalled as ours is: "empty_ns gperf_ns" on stdout. */
static int handler_gperf_child(int depth) {
    enum { ROUNDS = 15, N = 1500 };
    int (*gstart)(const char *) = NULL;
    struct sigaction sa;
    double e[ROUNDS], g[ROUNDS];
    void *h = dlopen("libprofiler.so.0", RTLD_NOW);
    int r;
    if (!h || !(*(void **)&gstart = dlsym(h, "ProfilerStart")) || !gstart("/dev/null")) return 3;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = empty_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    for (r = 0; r < ROUNDS; r++) {
        e[r] = at_depth(depth - 2, SIGUSR1, N);
        g[r] = at_depth(depth - 2, SIGPROF, N);
    }
    printf("%.0f %.0f\n", median(e, ROUNDS), median(g, ROUNDS));
    return 0;
}
static void handler_cost(const char *self) {
    static const int depths[] = {64, 120};
    struct sigaction sa;
    FILE *fp = tmpfile();
    enum { ROUNDS = 15, N = 1500 }; /* N below the ring size; a pause lets the drain run */
    double e[ROUNDS], f[ROUNDS], c[ROUNDS], df[ROUNDS], dc[ROUNDS];
    int r, d;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = empty_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (pprof_cpu_start(fp) != PPROF_OK) { printf("== handler: pprof_cpu_start failed\n"); return; }
    __atomic_store_n(&pprof__sig.accept_user, 1, __ATOMIC_SEQ_CST);
    printf("== handler: tgkill to self, %d signals x %d alternating rounds (PPROF_MAX_FRAMES %d)\n",
           N, ROUNDS, PPROF_MAX_FRAMES);
    for (d = 0; d < 2; d++) {
        char cmd[512], line[128];
        FILE *p;
        double ge = 0, gg = 0;
        if (depths[d] > PPROF_MAX_FRAMES) continue;
        for (r = 0; r < ROUNDS; r++) {
            e[r] = at_depth(depths[d] - 2, SIGUSR1, N);
            pprof_set_unwind(PPROF_UNWIND_FP);
            f[r] = at_depth(depths[d] - 2, PPROF_SIGNAL, N);
            pprof__os_sleep_ns(50000000); /* the drain empties the ring: no sample is lost */
            pprof_set_unwind(PPROF_UNWIND_CFI);
            c[r] = at_depth(depths[d] - 2, PPROF_SIGNAL, N);
            pprof__os_sleep_ns(50000000);
            df[r] = f[r] - e[r];
            dc[r] = c[r] - e[r];
        }
        snprintf(cmd, sizeof cmd, "%s handler-gperf %d 2>/dev/null", self, depths[d]);
        if ((p = popen(cmd, "r")) != NULL) {
            if (!fgets(line, sizeof line, p) || sscanf(line, "%lf %lf", &ge, &gg) != 2) ge = gg = 0;
            pclose(p);
        }
        printf("   %d frames: empty handler round trip %.0f ns; above it: frame pointers %.0f ns, "
               "unwind tables %.0f ns (target <= 1500 ns)", depths[d], median(e, ROUNDS),
               median(df, ROUNDS), median(dc, ROUNDS));
        if (gg > 0) printf(", gperftools+libunwind %.0f ns\n", gg - ge);
        else printf(", gperftools not installed\n");
    }
    __atomic_store_n(&pprof__sig.accept_user, 0, __ATOMIC_SEQ_CST);
    printf("   (%llu samples, %llu lost)\n", (unsigned long long)pprof__sig.taken,
           (unsigned long long)pprof__sig.lost_n);
    pprof_cpu_stop();
    fclose(fp);
}

/* ---- tables: unwind tables of large objects, built as at a profile's start ---- */
static void tables_of(const char *path) {
    pprof__mapent e;
    pprof__exe exe;
    pprof__img im;
    pprof__cfitab *t;
    struct stat sb;
    Elf64_Ehdr eh;
    Elf64_Phdr ph[64];
    FILE *f = fopen(path, "rb");
    int i, best = -1, rep;
    double ms[5];
    if (!f || fread(&eh, sizeof eh, 1, f) != 1 || eh.e_phnum > 64 || fseek(f, (long)eh.e_phoff, SEEK_SET) ||
        fread(ph, sizeof ph[0], eh.e_phnum, f) != eh.e_phnum || stat(path, &sb) != 0) {
        printf("   %-44s not readable here\n", path);
        if (f) fclose(f);
        return;
    }
    fclose(f);
    for (i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) best = i;
    if (best < 0) return;
    memset(&e, 0, sizeof e);
    memset(&exe, 0, sizeof exe);
    e.lo = ((uintptr_t)0x100000000000ull + ph[best].p_vaddr) & ~(uintptr_t)0xfff;
    e.hi = ((uintptr_t)0x100000000000ull + ph[best].p_vaddr + ph[best].p_memsz + 0xfff) & ~(uintptr_t)0xfff;
    e.off = ph[best].p_offset & ~(uint64_t)0xfff;
    e.inode = (unsigned long long)sb.st_ino;
    e.path = path;
    e.r = e.x = 1;
    t = NULL;
    for (rep = 0; rep < 5; rep++) {
        int64_t t0;
        if (t) pprof__cfi_free(t);
        if (pprof__img_open(&e, &exe, &im) != 0) return;
        t0 = now_ns();
        t = pprof__cfi_build(&im, e.lo, e.hi, e.off);
        ms[rep] = (double)(now_ns() - t0) / 1e6;
        pprof__img_close(&im);
        if (!t) { printf("   %-44s no table\n", path); return; }
    }
    printf("   %-44s %6.1f ms  %7.0f KiB from %7.0f KiB of .eh_frame (%.2f bytes per byte), "
           "%u rows, %u rules\n", path, median(ms, 5), (double)t->mem_size / 1024,
           (double)t->eh_size / 1024, (double)t->mem_size / (double)t->eh_size, t->nrow, t->nrule);
    pprof__cfi_free(t);
}
static void tables(void) {
    static const char *const objs[] = {"/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1",
        "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"};
    size_t i;
    printf("== tables: unwind tables from .eh_frame (median of 5 builds; targets <= 100 ms for "
           "libLLVM, <= 2 bytes per byte)\n");
    for (i = 0; i < sizeof objs / sizeof objs[0]; i++) tables_of(objs[i]);
}

/* ---- encode: a real 10 s profile of 4 threads, then symbolize + encode + gzip + write ---- */
static volatile int enc_stop;
static void *enc_worker(void *arg) {
    work w;
    w.rounds = 50;
    w.x = (unsigned long)(size_t)arg;
    while (!enc_stop) worker(&w);
    return NULL;
}
static double encode_once(int seconds, size_t *bytes, size_t *stacks) {
    pthread_t t[4];
    FILE *fp = tmpfile();
    pprof__buf pb;
    int64_t t0, t1;
    int i;
    enc_stop = 0;
    if (pprof_cpu_start(fp) != PPROF_OK) { printf("pprof_cpu_start failed\n"); exit(1); }
    for (i = 0; i < 4; i++) pthread_create(&t[i], NULL, enc_worker, (void *)(size_t)(i + 1));
    pprof__os_sleep_ns((int64_t)seconds * 1000000000);
    enc_stop = 1;
    for (i = 0; i < 4; i++) pthread_join(t[i], NULL);
    /* what pprof_cpu_stop does, with the write timed alone */
    pthread_mutex_lock(&pprof__cpu_mu);
    pprof__cpu_halt();
    pthread_mutex_unlock(&pprof__cpu_mu);
    *stacks = pprof__cpu.agg.len;
    t0 = now_ns();
    memset(&pb, 0, sizeof pb);
    pprof__cpu_encode(&pb);
    pprof__write_gz(fp, &pb);
    t1 = now_ns();
    *bytes = (size_t)ftell(fp);
    PPROF_FREE(pb.p);
    pprof__agg_free(&pprof__cpu.agg);
    pprof__cpu.running = PPROF__CPU_IDLE;
    fclose(fp);
    return (double)(t1 - t0) / 1e6;
}
static void encode(void) {
    size_t bytes, stacks;
    double cold, warm;
    cold = encode_once(10, &bytes, &stacks);
    printf("== encode: 10 s profile of 4 threads (%zu distinct stacks, %zu bytes written)\n", stacks, bytes);
    printf("   first write (symbol tables loaded)   %.1f ms\n", cold);
    warm = encode_once(10, &bytes, &stacks);
    printf("   second write (symbols cached)        %.1f ms (target <= 20 ms)\n", warm);
}

/* ---- http: latency of heap/goroutine under 50 concurrent clients; the idle listener ---- */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
static int http_port;
static volatile int http_cpu_done;
typedef struct hclient { double *lat; int n; int errors; } hclient;
static double http_once(const char *target) {
    struct sockaddr_in a;
    char req[256], buf[65536];
    int fd = socket(AF_INET, SOCK_STREAM, 0), n;
    int64_t t0 = now_ns();
    ssize_t r;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)http_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) { close(fd); return -1; }
    char first[16] = {0};
    size_t got = 0;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
        for (; got < 12 && r > 0; r--) first[got] = buf[got], got++; /* the status line */
    close(fd);
    return strncmp(first, "HTTP/1.1 200", 12) == 0 ? (double)(now_ns() - t0) / 1e6 : -1;
}
static void *http_client(void *arg) {
    hclient *c = (hclient *)arg;
    int i;
    for (i = 0; i < c->n; i++) {
        double ms = http_once(i % 2 ? "/debug/pprof/goroutine" : "/debug/pprof/heap");
        if (ms < 0) { c->errors++; ms = 0; }
        c->lat[i] = ms;
    }
    return NULL;
}
static void *http_cpu_client(void *arg) {
    (void)arg;
    http_once("/debug/pprof/profile?seconds=30");
    return NULL;
}
static void http_round(int with_cpu) {
    enum { CLIENTS = 50, EACH = 40 };
    pthread_t t[CLIENTS], cpu;
    hclient c[CLIENTS];
    static double all[CLIENTS * EACH];
    int i, k = 0, errors = 0;
    if (with_cpu) { pthread_create(&cpu, NULL, http_cpu_client, NULL); pprof__os_sleep_ns(200000000); }
    for (i = 0; i < CLIENTS; i++) {
        c[i].lat = (double *)malloc(EACH * sizeof(double));
        c[i].n = EACH;
        c[i].errors = 0;
        pthread_create(&t[i], NULL, http_client, &c[i]);
    }
    for (i = 0; i < CLIENTS; i++) {
        int j;
        pthread_join(t[i], NULL);
        for (j = 0; j < EACH; j++) all[k++] = c[i].lat[j];
        errors += c[i].errors;
        free(c[i].lat);
    }
    qsort(all, (size_t)k, sizeof all[0], cmp_double);
    printf("   %-28s p50 %6.2f ms   p99 %6.2f ms   (%d requests, %d not 200: 503 when all %d workers are busy)\n",
           with_cpu ? "with a CPU profile running" : "no CPU profile", all[k / 2], all[k * 99 / 100], k,
           errors, PPROF_HTTP_MAX_CONN);
    if (with_cpu) { pprof_shutdown(); pthread_join(cpu, NULL); pprof_listen(http_port); }
}
static void http_bench(void) {
    clockid_t clk;
    struct timespec a, b;
    if (pprof_listen(0) != PPROF_OK) { printf("== http: pprof_listen failed\n"); return; }
    http_port = pprof_listen_port();
    printf("== http: /debug/pprof/heap and goroutine, 50 concurrent clients x 40 requests each\n");
    http_round(0);
    http_round(1);
    pthread_getcpuclockid(pprof__http.th, &clk);
    clock_gettime(clk, &a);
    pprof__os_sleep_ns(5000000000LL);
    clock_gettime(clk, &b);
    printf("   idle listener thread: %.3f ms of CPU in 5 s (blocking accept, no polling)\n",
           ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6));
    pprof_shutdown();
}

int main(int argc, char **argv) {
    if (argc >= 6 && strcmp(argv[1], "child") == 0)
        return child(argv[2], atoi(argv[3]), atol(argv[4]), argv[5]);
    if (argc >= 3 && strcmp(argv[1], "handler-gperf") == 0) return handler_gperf_child(atoi(argv[2]));
    /* encode first: its first write is the one that loads symbol tables */
    if (argc < 2 || strcmp(argv[1], "encode") == 0) encode();
    if (argc < 2 || strcmp(argv[1], "overhead") == 0) overhead(argv[0]);
    if (argc < 2 || strcmp(argv[1], "handler") == 0) handler_cost(argv[0]);
    if (argc < 2 || strcmp(argv[1], "tables") == 0) tables();
    if (argc < 2 || strcmp(argv[1], "http") == 0) http_bench();
    return 0;
}
