/* Shared by the tests: a workload with a known CPU split, and profile readers.
   The workload: each round runs hot_a 5 units (via stage_a), hot_b 3 units (via stage_b and
   ten frames of recursion) and hot_c 2 units (via stage_c, apply and a function-pointer
   callback), so a profile must show 50 / 30 / 20 and those call chains.               */
#define T_NOINLINE __attribute__((noinline))
#define T_OPAQUE(x) __asm__ __volatile__("" : "+r"(x)) /* no folding, no tail call */
#define T_UNIT 4000

T_NOINLINE unsigned long hot_a(unsigned long x, int n) {
    int i;
    for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1442695040888963407ul; T_OPAQUE(x); }
    return x;
}
T_NOINLINE unsigned long hot_b(unsigned long x, int n) {
    int i;
    for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1442695040888963407ul; T_OPAQUE(x); }
    return x;
}
T_NOINLINE unsigned long hot_c(unsigned long x, int n) {
    int i;
    for (i = 0; i < n; i++) { x = x * 6364136223846793005ul + 1442695040888963407ul; T_OPAQUE(x); }
    return x;
}
T_NOINLINE unsigned long stage_a(unsigned long x) {
    x = hot_a(x, 5 * T_UNIT);
    T_OPAQUE(x);
    return x;
}
T_NOINLINE unsigned long recurse(int depth, unsigned long x) {
    if (depth == 0) x = hot_b(x, 3 * T_UNIT);
    else x = recurse(depth - 1, x);
    T_OPAQUE(x);
    return x;
}
T_NOINLINE unsigned long stage_b(unsigned long x) {
    x = recurse(9, x);
    T_OPAQUE(x);
    return x;
}
typedef unsigned long (*t_callback)(unsigned long);
T_NOINLINE unsigned long callback_c(unsigned long x) {
    x = hot_c(x, 2 * T_UNIT);
    T_OPAQUE(x);
    return x;
}
static t_callback volatile t_cb = callback_c; /* volatile: a real indirect call */
T_NOINLINE unsigned long apply(t_callback f, unsigned long x) {
    x = f(x);
    T_OPAQUE(x);
    return x;
}
T_NOINLINE unsigned long stage_c(unsigned long x) {
    x = apply(t_cb, x);
    T_OPAQUE(x);
    return x;
}
T_NOINLINE unsigned long t_round(unsigned long x) {
    x = stage_a(x);
    x = stage_b(x);
    x = stage_c(x);
    T_OPAQUE(x);
    return x;
}

typedef struct t_work { long rounds; unsigned long x; } t_work;

static void *t_worker(void *arg) {
    t_work *w = (t_work *)arg;
    long i;
    for (i = 0; i < w->rounds; i++) w->x = t_round(w->x);
    return NULL;
}

/* Runs `rounds` rounds split over n threads created now. */
static void t_run_threads(int n, long rounds) {
    pthread_t th[64];
    t_work w[64];
    int i;
    T_CHECK(n >= 1 && n <= 64, "threads %d", n);
    for (i = 0; i < n; i++) {
        w[i].rounds = rounds / n + (i < rounds % n);
        w[i].x = (unsigned long)i + 1;
        T_CHECK(pthread_create(&th[i], NULL, t_worker, &w[i]) == 0, "pthread_create");
    }
    for (i = 0; i < n; i++) pthread_join(th[i], NULL);
}

static int64_t t_cpu_ns(void) { /* process CPU, as getrusage reports it */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Rounds that take about `seconds` of CPU on one thread here. */
static long t_calibrate(double seconds) {
    int64_t t0 = t_cpu_ns(), t1;
    long n = 0;
    unsigned long x = 1;
    do { x = t_round(x); n++; t1 = t_cpu_ns(); } while (t1 - t0 < 100000000);
    T_OPAQUE(x);
    return (long)((double)n * seconds * 1e9 / (double)(t1 - t0)) + 1;
}

/* --- The truth a profile is compared with: the CPU each thread was given (issue 17).
   On a busy machine (STRESS=N in tests/all.sh) a thread gets a fraction of a core, so a
   test's busy loop runs until the thread's own CPU clock says it has worked enough (bounded
   by the wall clock), and a profile's samples of a thread are compared with what that
   thread's CPU implies at the profiling rate, never with the time that passed. */
static int64_t t_self_cpu_ns(void) { /* the calling thread's CLOCK_THREAD_CPUTIME_ID */
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static int64_t t_thread_cpu_ns(pthread_t th) { /* another thread's CPU clock */
    clockid_t cid;
    struct timespec ts;
    T_CHECK(pthread_getcpuclockid(th, &cid) == 0 && clock_gettime(cid, &ts) == 0, "thread clock");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A busy loop that ends when its thread has used cpu_ns of CPU since t_busy_start, or after
   T_BUSY_WALL_NS of wall time on a machine that gives it almost nothing (the test then
   says how little it got): while (t_busy_more(&b)) work(); */
#define T_BUSY_WALL_NS 20000000000LL
typedef struct t_busy { int64_t cpu0, wall0, cpu_ns; } t_busy;
static t_busy t_busy_start(int64_t cpu_ns) {
    t_busy b;
    b.cpu0 = t_self_cpu_ns();
    b.wall0 = pprof__os_mono_ns();
    b.cpu_ns = cpu_ns;
    return b;
}
static int t_busy_more(const t_busy *b) {
    return t_self_cpu_ns() - b->cpu0 < b->cpu_ns && pprof__os_mono_ns() - b->wall0 < T_BUSY_WALL_NS;
}

/* The samples cpu_ns of one thread's CPU implies at hz. */
static double t_expected_samples(int64_t cpu_ns, int hz) { return (double)cpu_ns * hz / 1e9; }
/* Does a profile's count `got` match that truth? A correct profiler (a CPU-time timer per
   thread: one sample per period the thread ran, overruns included) is within 25% of it, or
   3 samples where it is small. */
static int t_samples_match(double got, int64_t cpu_ns, int hz) {
    double want = t_expected_samples(cpu_ns, hz), tol = 0.25 * want;
    return fabs(got - want) <= (tol > 3 ? tol : 3);
}
/* Fails unless `got` samples match the CPU a thread ran (what: which thread or frame),
   and unless that CPU is at least min_ns (too little to judge a ratio by). */
#define T_CHECK_SAMPLES(what, got, cpu_ns, min_ns, hz) do { \
        double t_got_ = (double)(got); int64_t t_cpu_ = (cpu_ns); int t_hz_ = (hz); \
        T_CHECK(t_cpu_ >= (min_ns), "%s: its CPU clock says only %.3f s = %.0f expected samples " \
                "at %d Hz, too few to judge (need %.3f s; the profile holds %.0f)", what, \
                (double)t_cpu_ / 1e9, t_expected_samples(t_cpu_, t_hz_), t_hz_, \
                (double)(min_ns) / 1e9, t_got_); \
        T_CHECK(t_samples_match(t_got_, t_cpu_, t_hz_), "%s: its CPU clock says %.3f s = %.0f " \
                "expected samples at %d Hz, the profile holds %.0f", what, (double)t_cpu_ / 1e9, \
                t_expected_samples(t_cpu_, t_hz_), t_hz_, t_got_); \
    } while (0)

static FILE *t_tmpfile(char *path, size_t len) {
    int fd;
    snprintf(path, len, "/tmp/pprof-test-XXXXXX");
    fd = mkstemp(path);
    T_CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    return fdopen(fd, "w+b");
}

/* Parses and validates a profile file, failing the test if either fails. */
static void t_load(const char *path, prd_profile *p) {
    char err[256];
    T_CHECK(prd_parse_file(path, p) == 0, "parse %s: %s", path, p->err);
    T_CHECK(prd_validate(p, err, sizeof err) == 0, "invalid profile %s: %s", path, err);
}

static const char *t_frame(const prd_profile *p, const prd_sample *s, int i) {
    const prd_location *l;
    if (i >= s->nlocation) return NULL;
    l = prd_loc(p, s->location_id[i]);
    return l ? prd_loc_name(p, l) : NULL;
}
static int t_streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Does one of the profile's comments hold text? */
static int t_has_comment(const prd_profile *p, const char *text) {
    int i;
    for (i = 0; i < p->ncomment; i++)
        if (strstr(prd_str(p, p->comment[i]), text)) return 1;
    return 0;
}

/* Sum of value[vi] over samples whose leaf is fn (NULL: all samples). */
static int64_t t_flat(const prd_profile *p, const char *fn, int vi) {
    int64_t sum = 0;
    int i;
    for (i = 0; i < p->nsample; i++)
        if (!fn || t_streq(t_frame(p, &p->sample[i], 0), fn)) sum += p->sample[i].value[vi];
    return sum;
}

/* Sum of value[vi] over samples with fn anywhere in their stack (each sample once). */
static int64_t t_cum(const prd_profile *p, const char *fn, int vi) {
    int64_t sum = 0;
    int i, k;
    for (i = 0; i < p->nsample; i++)
        for (k = 0; k < p->sample[i].nlocation; k++)
            if (t_streq(t_frame(p, &p->sample[i], k), fn)) {
                sum += p->sample[i].value[vi];
                break;
            }
    return sum;
}

/* Of the samples whose leaf is `leaf`, the share (by value[0]) whose frames 1..n are the
   given names in order (leaf's caller first). */
static double t_chain_share(const prd_profile *p, const char *leaf, const char **chain, int n) {
    int64_t all = 0, ok = 0;
    int i, k;
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        if (!t_streq(t_frame(p, s, 0), leaf)) continue;
        all += s->value[0];
        for (k = 0; k < n; k++)
            if (!t_streq(t_frame(p, s, k + 1), chain[k])) break;
        if (k == n) ok += s->value[0];
    }
    return all ? (double)ok / (double)all : 0.0;
}

static int t_have(const char *cmd) {
    char buf[256];
    snprintf(buf, sizeof buf, "command -v %s >/dev/null 2>&1", cmd);
    return system(buf) == 0;
}

/* Entries of a /proc directory (fd, task): descriptors or threads of this process. */
static int t_count_dir(const char *path) {
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Resident memory of this process. */
static long t_rss_kib(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0; fclose(f); }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The workers of threads created during a profile work until the thread has used `cpu` ns
   of CPU (or 20 s passed), then leave its CPU in `out`, so that the profile's samples of
   it can be compared with what the machine gave it (issue 17). */
typedef struct t_truth { int64_t cpu, out; } t_truth;
/* The samples of work a thread created during the profile did, against its CPU: what it
   used before the scan that armed its timer is the pseudo frame's (measured from the same
   clock), the rest must be samples at the profile's rate. */
static void t_check_new_thread(const char *what, const prd_profile *p, int64_t got, int64_t cpu) {
    int64_t pre = t_flat(p, "pprof__thread_before_timer", 1);
    T_CHECK(pre <= cpu, "%s: %.3f s before its timer, of %.3f s it ran", what, (double)pre / 1e9,
            (double)cpu / 1e9);
    T_CHECK_SAMPLES(what, got, cpu - pre, 200000000, (int)(1000000000 / p->period));
}

/* The summed CPU clocks of n threads, and a wait (10 ms naps) until they have used ns of CPU
   together since `from` (a sum taken before), at most T_BUSY_WALL_NS: returns the sum then. */
static int64_t t_threads_cpu(const pthread_t *th, int n) {
    int64_t sum = 0;
    int i;
    for (i = 0; i < n; i++) sum += t_thread_cpu_ns(th[i]);
    return sum;
}
static int64_t t_wait_threads_cpu(const pthread_t *th, int n, int64_t from, int64_t ns) {
    int64_t w0 = pprof__os_mono_ns(), now;
    while ((now = t_threads_cpu(th, n)) - from < ns && pprof__os_mono_ns() - w0 < T_BUSY_WALL_NS)
        pprof__os_sleep_ns(10000000);
    return now;
}
