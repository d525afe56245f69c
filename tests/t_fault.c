/* Faults and hostile programs while a CPU profile runs: exec, thread churn, broken frame
   chains, very deep stacks, start/stop churn, threads that block the signal, blocking calls,
   a handler of the program's own, and a shutdown with requests in flight. Each test asserts
   what a program relies on: no crash or hang, its own behaviour intact, a valid profile. */
#include <spawn.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <semaphore.h>

/* ThreadSanitizer delays signals to its own safe points: under it the tests it runs
   (tests/all.sh) check everything but how many samples a profile holds. */
#if defined(__SANITIZE_THREAD__)
#  define TF_TSAN 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define TF_TSAN 1
#  endif
#endif
#ifndef TF_TSAN
#  define TF_TSAN 0
#endif

static int64_t tf_thread_cpu(void) { /* this thread's CPU time */
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* POSIX timers of the process (/proc/self/timers, one "ID:" line each); -1 if unreadable. */
static int tf_timers(void) {
    FILE *f = fopen("/proc/self/timers", "r");
    char line[256];
    int n = 0;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) n += strncmp(line, "ID:", 3) == 0;
    fclose(f);
    return n;
}

/* Polls until the thread count is `want`, for up to 2 s (an exiting thread lingers a moment). */
static int tf_tasks_settle(int want) {
    int i, n = t_count_dir("/proc/self/task");
    for (i = 0; i < 200 && n != want; i++) {
        pprof__os_sleep_ns(10000000);
        n = t_count_dir("/proc/self/task");
    }
    return n;
}

/* Is `name` the function fn, or a compiler clone of it (fn.constprop.0, fn.isra.0)? */
static int tf_is(const char *name, const char *fn) {
    size_t n = strlen(fn);
    return name && strncmp(name, fn, n) == 0 && (name[n] == 0 || name[n] == '.');
}

/* Sum of value[vi] over samples whose leaf is fn (or a clone of it). */
static int64_t tf_leaf(const prd_profile *p, const char *fn, int vi) {
    int64_t sum = 0;
    int i;
    for (i = 0; i < p->nsample; i++)
        if (tf_is(t_frame(p, &p->sample[i], 0), fn)) sum += p->sample[i].value[vi];
    return sum;
}

/* Steps of the burners' loop per ns of CPU, measured by tf_calibrate. */
static double tf_steps_per_ns = 1;
#define TF_STEP(x) \
    do { x = x * 6364136223846793005ul + 1442695040888963407ul; T_OPAQUE(x); } while (0)
T_NOINLINE unsigned long tf_steps(unsigned long x, long n) {
    long i;
    for (i = 0; i < n; i++) TF_STEP(x);
    return x;
}
static void tf_calibrate(void) {
    double best = 0;
    int k;
    for (k = 0; k < 3; k++) { /* the fastest of three: the least disturbed */
        int64_t c0 = tf_thread_cpu(), c1;
        unsigned long x = tf_steps(1, 2000000);
        T_OPAQUE(x);
        c1 = tf_thread_cpu();
        if (c1 > c0 && 2e6 / (double)(c1 - c0) > best) best = 2e6 / (double)(c1 - c0);
    }
    if (best > 0) tf_steps_per_ns = best;
}
/* A loop of its own burning about `ns` of CPU, so the profile can name the leaf. It counts
   steps instead of reading the thread's CPU clock: a thread that keeps reading its own clock
   gets its timer's signals late, in fewer and heavier samples (seen on Linux 6.18 under
   load), which blurs what the leaf is. */
#define TF_BURNER(name)                                                                    \
    T_NOINLINE unsigned long name(unsigned long x, int64_t ns) {                           \
        long i, n = (long)((double)ns * tf_steps_per_ns);                                  \
        for (i = 0; i < n; i++) TF_STEP(x);                                                \
        return x;                                                                          \
    }

/* ---------------------------------------------------------------------------------------- */
/* 1. fork + execve (and posix_spawn) while a 1000 Hz profile runs with busy threads.        */
/* ---------------------------------------------------------------------------------------- */
static int tf_phase;     /* what the phase spinners run: 0 stage_a, 1 stage_b, 2 stage_c */
static int tf_ack[4];    /* the phase each spinner last started a round in */
static int tf_phase_stop;
static void *tf_phase_spinner(void *arg) {
    int k = (int)(intptr_t)arg;
    unsigned long x = 1;
    while (!__atomic_load_n(&tf_phase_stop, __ATOMIC_ACQUIRE)) {
        int ph = __atomic_load_n(&tf_phase, __ATOMIC_ACQUIRE);
        __atomic_store_n(&tf_ack[k], ph, __ATOMIC_RELEASE);
        x = ph == 0 ? stage_a(x) : ph == 1 ? stage_b(x) : stage_c(x);
    }
    T_OPAQUE(x);
    return NULL;
}
/* Moves the spinners to phase ph and waits until each has started a round in it. */
static void tf_phase_set(int ph, int n) {
    int k, i;
    __atomic_store_n(&tf_phase, ph, __ATOMIC_RELEASE);
    for (k = 0; k < n; k++) {
        for (i = 0; i < 2000 && __atomic_load_n(&tf_ack[k], __ATOMIC_ACQUIRE) != ph; i++)
            pprof__os_sleep_ns(1000000);
        T_CHECK(__atomic_load_n(&tf_ack[k], __ATOMIC_ACQUIRE) == ph, "spinner %d stuck", k);
    }
}

/* The exec'd shell burns a little CPU (a stray CPU timer would fire in it), then reports
   its own signal state and exits 7. */
static char tf_sh[] = "/bin/sh", tf_sh_c[] = "-c", tf_path_env[] = "PATH=/usr/bin:/bin";
static char tf_script[] =
    "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; "
    "while read k v; do case $k in SigBlk:|SigIgn:|SigPnd:|ShdPnd:) echo \"$k $v\";; esac; "
    "done </proc/self/status; exit 7";

/* Checks the "Key: hexmask" lines the shell printed: the profiling signal is neither
   blocked, ignored nor pending in the new program. */
static void tf_check_sigstate(const char *out, int run) {
    static const char *const keys[] = {"SigBlk:", "SigIgn:", "SigPnd:", "ShdPnd:"};
    size_t k;
    for (k = 0; k < 4; k++) {
        const char *at = strstr(out, keys[k]);
        unsigned long long mask;
        T_CHECK(at != NULL, "run %d: the exec'd shell did not report %s:\n%s", run, keys[k], out);
        mask = strtoull(at + strlen(keys[k]), NULL, 16);
        T_CHECK(!(mask & (1ull << (PPROF_SIGNAL - 1))),
                "run %d: the exec'd program starts with the profiling signal in %s %llx", run,
                keys[k], mask);
    }
}

static void tf_exec_during_profile(void) {
    pthread_t spin[2];
    char path[64], out[512];
    char *argv[4], *envp[2];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int i, k, rc;
    int64_t s0, s1, s2;
    argv[0] = tf_sh;
    argv[1] = tf_sh_c;
    argv[2] = tf_script;
    argv[3] = NULL;
    envp[0] = tf_path_env;
    envp[1] = NULL;
    T_CHECK(access(tf_sh, X_OK) == 0, "%s: %s", tf_sh, strerror(errno));
    __atomic_store_n(&tf_phase, 0, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_create(&spin[k], NULL, tf_phase_spinner, (void *)(intptr_t)k);
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    s0 = t_threads_cpu(spin, 2);
    pprof__os_sleep_ns(100000000);
    for (i = 0; i < 50; i++) {
        int fds[2], status = 0;
        size_t len = 0;
        ssize_t r;
        pid_t pid;
        T_CHECK(pipe(fds) == 0, "pipe");
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        if (i % 5 == 4) { /* posix_spawn (what system() and popen() use): no fork handlers */
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
            rc = posix_spawn(&pid, tf_sh, &fa, NULL, argv, envp);
            posix_spawn_file_actions_destroy(&fa);
            T_CHECK(rc == 0, "posix_spawn %d: %s", i, strerror(rc));
        } else {
            pid = fork();
            if (pid == 0) { /* async-signal-safe calls only until execve */
                dup2(fds[1], 1);
                execve(tf_sh, argv, envp);
                _exit(127);
            }
            T_CHECK(pid > 0, "fork %d: %s", i, strerror(errno));
        }
        close(fds[1]);
        while ((r = read(fds[0], out + len, sizeof out - 1 - len)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0) len += (size_t)r;
        close(fds[0]);
        out[len] = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        T_CHECK(!WIFSIGNALED(status), "run %d: the exec'd program was killed by signal %d%s", i,
                WTERMSIG(status),
                WTERMSIG(status) == PPROF_SIGNAL ? " (the profiling signal)" : "");
        T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "run %d: status %#x, want exit 7",
                i, status);
        tf_check_sigstate(out, i);
    }
    /* the parent's profile goes on after all that: the spinners switch to stage_c */
    s1 = t_threads_cpu(spin, 2);
    tf_phase_set(2, 2);
    s2 = t_wait_threads_cpu(spin, 2, s1, 400000000); /* 0.4 s of their CPU, however long it takes */
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    __atomic_store_n(&tf_phase_stop, 1, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_join(spin[k], NULL);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    /* the spinners' samples, during the execs and after them, are the CPU they had */
    T_CHECK_SAMPLES("hot_a, the spinners during the execs", t_flat(&p, "hot_a", 0), s1 - s0,
                    100000000, 1000);
    T_CHECK_SAMPLES("hot_c, the spinners after the execs", t_flat(&p, "hot_c", 0), s2 - s1,
                    300000000, 1000);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 2. 1000 threads created and exiting in waves during a 1000 Hz profile.                   */
/* ---------------------------------------------------------------------------------------- */
TF_BURNER(tf_brief_work)
static int tf_detached_live;
static void *tf_brief_thread(void *arg) {
    unsigned long x = (unsigned long)(uintptr_t)arg;
    /* live across a scan first (one every 20 ms), so most get a timer before they burn */
    pprof__os_sleep_ns(25000000);
    x = tf_brief_work(x, 2000000);
    T_OPAQUE(x);
    if ((uintptr_t)arg % 2 == 0) __atomic_sub_fetch(&tf_detached_live, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void tf_thread_churn(void) {
    enum { WAVES = 10, WAVE = 100 };
    pthread_t th[WAVE];
    pthread_attr_t det;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int tasks0 = t_count_dir("/proc/self/task"), timers0 = tf_timers(), w, i, rc, n;
    long long timed = -1;
    int64_t used;
    T_CHECK(tasks0 > 0, "/proc/self/task unreadable");
    tf_calibrate();
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    used = -t_cpu_ns();
    for (w = 0; w < WAVES; w++) {
        __atomic_store_n(&tf_detached_live, WAVE / 2, __ATOMIC_SEQ_CST);
        for (i = 0; i < WAVE; i++) { /* even: detached, odd: joined */
            rc = pthread_create(&th[i], i % 2 == 0 ? &det : NULL, tf_brief_thread,
                                (void *)(uintptr_t)(w * WAVE + i));
            T_CHECK(rc == 0, "thread %d of wave %d: %s", i, w, strerror(rc));
        }
        for (i = 1; i < WAVE; i += 2) pthread_join(th[i], NULL);
        for (i = 0; i < 5000 && __atomic_load_n(&tf_detached_live, __ATOMIC_SEQ_CST) > 0; i++)
            pprof__os_sleep_ns(1000000);
        T_CHECK(tf_detached_live == 0, "wave %d: %d detached threads never finished", w,
                tf_detached_live);
    }
    used += t_cpu_ns();
    /* all gone: within a few scans their timers are deleted, while the profile still runs
       (the drain thread, the one extra thread, has none) */
    n = tf_tasks_settle(tasks0 + 1);
    T_CHECK(n == tasks0 + 1, "threads while profiling: %d, want %d + the drain thread", n, tasks0);
    if (timers0 >= 0) {
        int t = tf_timers();
        for (i = 0; i < 100 && t > timers0 + tasks0; i++) {
            pprof__os_sleep_ns(10000000);
            t = tf_timers();
        }
        T_CHECK(t <= timers0 + tasks0, "%d POSIX timers for %d threads after 1000 exited", t,
                tasks0);
    }
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    pthread_attr_destroy(&det);
    n = tf_tasks_settle(tasks0);
    T_CHECK(n == tasks0, "threads %d -> %d", tasks0, n);
    if (timers0 >= 0) T_CHECK(tf_timers() == timers0, "POSIX timers %d -> %d after stop", timers0,
                              tf_timers());
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    for (i = 0; i < p.ncomment; i++) {
        const char *c = strstr(prd_str(&p, p.comment[i]), "threads timed ");
        if (c) timed = strtoll(c + 14, NULL, 10);
    }
    /* each thread lives at least 25 ms, across one scan or more */
    T_CHECK(timed >= 500, "the profile timed %lld of 1000 short threads", timed);
    /* 1000 threads x 2 ms: 2 s of CPU, all of it after their timer was armed. The profile
       holds about a quarter of it: the kernel checks CPU timers at its tick (4 ms here), and
       what a thread used after the last check is lost when it exits. A limit of per-thread
       CPU timers, not of this profile's validity: the test asks for the function, and notes
       the share. */
    T_CHECK(tf_leaf(&p, "tf_brief_work", 1) > 50000000, "the thread function has %lld ns",
            (long long)tf_leaf(&p, "tf_brief_work", 1));
    fprintf(stderr, "note: %lld threads timed; profile %.3f s (thread function %.3f s) of "
            "%.3f s used\n", timed, (double)t_flat(&p, NULL, 1) / 1e9,
            (double)tf_leaf(&p, "tf_brief_work", 1) / 1e9, (double)used / 1e9);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 3. Code without frame pointers, and a frame-pointer register holding garbage.            */
/* ---------------------------------------------------------------------------------------- */
#if defined(PPROF__X86_64) || defined(PPROF__AARCH64)
/* A multiply loop run with the frame-pointer register set to fpv (restored after; the asm
   touches no memory through it, so the function itself keeps working). */
#  if defined(PPROF__X86_64)
#    define TF_GARBAGE_FP_LOOP(fpv, x, n)                                                   \
        __asm__ __volatile__("mov %%rbp, %%r11\n\t"                                         \
                             "mov %[fp], %%rbp\n\t"                                         \
                             "1:\n\t"                                                       \
                             "imul %[m], %[x]\n\t"                                          \
                             "add $1, %[x]\n\t"                                             \
                             "dec %[n]\n\t"                                                 \
                             "jnz 1b\n\t"                                                   \
                             "mov %%r11, %%rbp\n\t"                                         \
                             : [x] "+r"(x), [n] "+r"(n)                                     \
                             : [fp] "r"(fpv), [m] "r"(6364136223846793005ul)                \
                             : "r11", "cc", "memory")
#    define TF_SP_FP_LOOP(x, n)                                                             \
        __asm__ __volatile__("mov %%rbp, %%r11\n\t"                                         \
                             "mov %%rsp, %%rbp\n\t"                                         \
                             "1:\n\t"                                                       \
                             "imul %[m], %[x]\n\t"                                          \
                             "add $1, %[x]\n\t"                                             \
                             "dec %[n]\n\t"                                                 \
                             "jnz 1b\n\t"                                                   \
                             "mov %%r11, %%rbp\n\t"                                         \
                             : [x] "+r"(x), [n] "+r"(n)                                     \
                             : [m] "r"(6364136223846793005ul)                               \
                             : "r11", "cc", "memory")
#  else
#    define TF_GARBAGE_FP_LOOP(fpv, x, n)                                                   \
        __asm__ __volatile__("mov x9, x29\n\t"                                              \
                             "mov x29, %[fp]\n\t"                                           \
                             "1:\n\t"                                                       \
                             "mul %[x], %[x], %[m]\n\t"                                     \
                             "add %[x], %[x], #1\n\t"                                       \
                             "subs %[n], %[n], #1\n\t"                                      \
                             "b.ne 1b\n\t"                                                  \
                             "mov x29, x9\n\t"                                              \
                             : [x] "+r"(x), [n] "+r"(n)                                     \
                             : [fp] "r"(fpv), [m] "r"(6364136223846793005ul)                \
                             : "x9", "cc", "memory")
#    define TF_SP_FP_LOOP(x, n)                                                             \
        __asm__ __volatile__("mov x9, x29\n\t"                                              \
                             "mov x29, sp\n\t"                                              \
                             "1:\n\t"                                                       \
                             "mul %[x], %[x], %[m]\n\t"                                     \
                             "add %[x], %[x], #1\n\t"                                       \
                             "subs %[n], %[n], #1\n\t"                                      \
                             "b.ne 1b\n\t"                                                  \
                             "mov x29, x9\n\t"                                              \
                             : [x] "+r"(x), [n] "+r"(n)                                     \
                             : [m] "r"(6364136223846793005ul)                               \
                             : "x9", "cc", "memory")
#  endif

/* One function per kind of garbage, so the profile tells them apart by leaf. */
T_NOINLINE unsigned long tf_fp_one(uintptr_t fpv, unsigned long x, unsigned long n) {
    TF_GARBAGE_FP_LOOP(fpv, x, n); /* 0x1 */
    return x;
}
T_NOINLINE unsigned long tf_fp_heap(uintptr_t fpv, unsigned long x, unsigned long n) {
    TF_GARBAGE_FP_LOOP(fpv, x, n); /* the middle of a heap buffer of random words */
    return x;
}
T_NOINLINE unsigned long tf_fp_kernel(uintptr_t fpv, unsigned long x, unsigned long n) {
    TF_GARBAGE_FP_LOOP(fpv, x, n); /* 0xffff800000000000 */
    return x;
}
T_NOINLINE unsigned long tf_fp_top(uintptr_t fpv, unsigned long x, unsigned long n) {
    TF_GARBAGE_FP_LOOP(fpv, x, n); /* a word below the top of the thread's stack */
    return x;
}
T_NOINLINE unsigned long tf_fp_sp(unsigned long x, unsigned long n) {
    TF_SP_FP_LOOP(x, n); /* the stack pointer itself */
    return x;
}
/* Frame records on the stack made of random words: chains that climb to random slots with
   random "return addresses", a misaligned link, a record pointing at itself. */
T_NOINLINE unsigned long tf_fp_stack_junk(uint64_t seed, unsigned long x, unsigned long n) {
    uintptr_t junk[64];
    int k;
    for (k = 0; k < 64; k += 2) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        if (seed % 4 == 0 || k + 2 >= 64) junk[k] = (uintptr_t)seed;      /* random word */
        else if (seed % 4 == 1) junk[k] = (uintptr_t)&junk[k];            /* itself: a loop */
        else if (seed % 8 == 2) junk[k] = (uintptr_t)&junk[k + 1] + 3;    /* misaligned */
        else junk[k] = (uintptr_t)&junk[k + 2 + 2 * (int)((seed >> 8) % (uint64_t)((62 - k) / 2))];
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        junk[k + 1] = (uintptr_t)seed >> (seed % 40); /* garbage, small and large */
    }
    TF_GARBAGE_FP_LOOP((uintptr_t)&junk[2 * (int)(seed % 16)], x, n);
    return x;
}
#  define TF_FP_KINDS 6
static const char *const tf_fp_names[TF_FP_KINDS] = {"tf_fp_one", "tf_fp_heap", "tf_fp_kernel",
                                                     "tf_fp_top", "tf_fp_sp", "tf_fp_stack_junk"};

#  if defined(__GNUC__) && !defined(__clang__) && defined(PPROF__X86_64)
/* A caller built without a frame pointer that uses the register for data, as optimized
   code does: hot_a saves that data as its caller's "frame". (gcc only: clang has no
   per-function switch, and keeps the register reserved.) */
#    define TF_HAVE_NOFP 1
__attribute__((noinline, optimize("omit-frame-pointer")))
unsigned long tf_nofp_caller(unsigned long x, long rounds) {
    long r;
    for (r = 0; r < rounds; r++) {
        unsigned long data = x * 0x9E3779B97F4A7C15ul;
        __asm__ __volatile__("mov %0, %%rbp" : : "r"(data) : "rbp");
        x = hot_a(x, T_UNIT / 4);
    }
    return x;
}
#  else
#    define TF_HAVE_NOFP 0
#  endif

static int64_t tf_fp_cpu; /* the worker's CPU time */
static void *tf_fp_worker(void *arg) {
    uintptr_t *heap = (uintptr_t *)malloc(512 * sizeof(uintptr_t));
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    uintptr_t v_one = 1, v_kernel = (uintptr_t)0xffff800000000000ull;
    uintptr_t v_top = (uintptr_t)pthread_self() - sizeof(uintptr_t);
    unsigned long x = 1, n = 150000;
    int64_t c0 = tf_thread_cpu();
    /* rounds of 7 loops of about 150000 steps: 0.9 s of CPU however busy the machine is */
    long rounds = (long)(0.9e9 * tf_steps_per_ns / (7.0 * (double)n)) + 1, r;
    int k;
    (void)arg;
    T_CHECK(heap != NULL, "malloc");
    for (k = 0; k < 512; k++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        heap[k] = (uintptr_t)seed;
    }
    T_OPAQUE(v_one); /* runtime values: no clone of a function for a constant argument */
    T_OPAQUE(v_kernel);
    for (r = 0; r < rounds; r++) {
        x = tf_fp_one(v_one, x, n);
        x = tf_fp_heap((uintptr_t)&heap[256], x, n);
        x = tf_fp_kernel(v_kernel, x, n);
        x = tf_fp_top(v_top, x, n);
        x = tf_fp_sp(x, n);
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        x = tf_fp_stack_junk(seed, x, n);
#  if TF_HAVE_NOFP
        x = tf_nofp_caller(x, 150); /* as long as one of the loops above */
#  endif
    }
    T_OPAQUE(x);
    tf_fp_cpu = tf_thread_cpu() - c0;
    free(heap);
    return NULL;
}
#endif

static void tf_broken_frame_chains(void) {
#if defined(PPROF__X86_64) || defined(PPROF__AARCH64)
    pthread_t t;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int64_t all, got[TF_FP_KINDS];
    int i, k, rc;
    tf_calibrate();
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    pthread_create(&t, NULL, tf_fp_worker, NULL);
    pthread_join(t, NULL);
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    for (k = 0; k < TF_FP_KINDS; k++) {
        got[k] = tf_leaf(&p, tf_fp_names[k], 0);
        /* about 130 ms of CPU each, at 1000 Hz */
        T_CHECK(got[k] >= 20, "%s: only %lld samples", tf_fp_names[k], (long long)got[k]);
    }
    for (i = 0; i < p.nsample; i++) {
        const prd_sample *s = &p.sample[i];
        const char *leaf = t_frame(&p, s, 0);
        /* a frame pointer outside the thread's stack ends the walk at once: the leaf, and at
           most its caller (found from the stack pointer, not the frame pointer) */
        if (tf_is(leaf, "tf_fp_one") || tf_is(leaf, "tf_fp_heap") || tf_is(leaf, "tf_fp_kernel") ||
            tf_is(leaf, "tf_fp_top"))
            T_CHECK(s->nlocation <= 2, "%s: %d frames from a frame pointer off the stack", leaf,
                    s->nlocation);
        T_CHECK(s->nlocation <= PPROF_MAX_FRAMES, "%d frames", s->nlocation);
    }
    /* no sample is dropped for a bad chain: the worker's CPU is all there (it is the only
       thread that runs) */
    all = t_flat(&p, NULL, 1);
    T_CHECK(all > 0.7 * (double)tf_fp_cpu && all < 1.1 * (double)tf_fp_cpu,
            "the profile holds %lld ns of the worker's %lld ns", (long long)all,
            (long long)tf_fp_cpu);
#  if TF_HAVE_NOFP
    {   /* hot_a under a caller without a frame pointer that keeps data in the register:
           the unwind tables restore the register and go on to the thread's start */
        static const char *chain[] = {"tf_nofp_caller", "tf_fp_worker"};
        double share = t_chain_share(&p, "hot_a", chain, 2);
        T_CHECK(t_flat(&p, "hot_a", 0) >= 20, "hot_a under tf_nofp_caller: %lld samples",
                (long long)t_flat(&p, "hot_a", 0));
        T_CHECK(share >= 0.9, "hot_a's callers named in %.2f of its samples", share);
    }
#  endif
    fprintf(stderr, "note: samples: 0x1 %lld, heap %lld, kernel address %lld, stack top %lld, "
            "stack pointer %lld, random stack words %lld; frameless caller %lld\n",
            (long long)got[0], (long long)got[1], (long long)got[2], (long long)got[3],
            (long long)got[4], (long long)got[5], (long long)t_flat(&p, "hot_a", 0));
    prd_free(&p);
    unlink(path);
#else
    T_SKIP("the garbage frame-pointer loops are x86-64 and aarch64 assembly");
#endif
}

/* ---------------------------------------------------------------------------------------- */
/* 4. A 10,000-deep recursion on several threads, burning CPU at the bottom.                */
/* ---------------------------------------------------------------------------------------- */
/* The bottom calls nothing (no clock read): every sample taken there has it as the leaf. */
T_NOINLINE unsigned long tf_deep_bottom(unsigned long x, long iters) {
    long i;
    for (i = 0; i < iters; i++) TF_STEP(x);
    return x;
}
T_NOINLINE unsigned long tf_deep_recurse(int depth, unsigned long x, long iters) {
    if (depth == 0) x = tf_deep_bottom(x, iters);
    else x = tf_deep_recurse(depth - 1, x, iters);
    T_OPAQUE(x); /* no tail call: each level keeps its frame */
    return x;
}
static long tf_deep_iters;   /* bottom steps for about 0.4 s of CPU */
static int64_t tf_deep_cpu[3];
static void *tf_deep_thread(void *arg) {
    int k = (int)(intptr_t)arg;
    int64_t c0 = tf_thread_cpu();
    unsigned long x = tf_deep_recurse(9999, (unsigned long)k + 1, tf_deep_iters); /* 10,000 */
    T_OPAQUE(x);
    tf_deep_cpu[k] = tf_thread_cpu() - c0;
    return NULL;
}

static void tf_deep_recursion(void) {
    pthread_t th[3];
    pthread_attr_t at;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int64_t bottom = 0, deep = 0, cpu = 0, bottom_ns = 0;
    int i, f, k, rc;
    tf_calibrate();
    tf_deep_iters = (long)(0.4e9 * tf_steps_per_ns);
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 16u << 20); /* 10,000 frames fit even as ASan builds them */
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    for (k = 0; k < 3; k++)
        T_CHECK(pthread_create(&th[k], &at, tf_deep_thread, (void *)(intptr_t)k) == 0, "create");
    for (k = 0; k < 3; k++) pthread_join(th[k], NULL);
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    pthread_attr_destroy(&at);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    for (i = 0; i < p.nsample; i++) {
        const prd_sample *s = &p.sample[i];
        const char *leaf = t_frame(&p, s, 0);
        int in_recursion = 0;
        for (f = 0; f < s->nlocation; f++)
            in_recursion |= tf_is(t_frame(&p, s, f), "tf_deep_recurse");
        if (!in_recursion && !tf_is(leaf, "tf_deep_bottom")) continue;
        if (tf_is(leaf, "tf_deep_recurse")) continue; /* the descent or the return: rare */
        /* everything else is the bottom, 10,000 frames down: kept as its leaf and the
           PPROF_MAX_FRAMES - 1 calls above it, cut at the root end (pprof.h marks no cut:
           the stack simply stops, as Go's does at its own limit) */
        T_CHECK(tf_is(leaf, "tf_deep_bottom"), "frame 0 of a deep sample is %s, not the leaf",
                leaf ? leaf : "(unnamed)");
        T_CHECK(s->nlocation == PPROF_MAX_FRAMES, "a 10,000-deep stack kept %d frames, want %d",
                s->nlocation, PPROF_MAX_FRAMES);
        for (f = 1; f < s->nlocation; f++)
            T_CHECK(tf_is(t_frame(&p, s, f), "tf_deep_recurse"), "frame %d is %s", f,
                    t_frame(&p, s, f) ? t_frame(&p, s, f) : "(unnamed)");
        bottom += s->value[0];
        bottom_ns += s->value[1];
    }
    for (i = 0; i < p.nsample; i++)
        if (tf_is(t_frame(&p, &p.sample[i], 0), "tf_deep_recurse")) deep += p.sample[i].value[0];
    for (k = 0; k < 3; k++) cpu += tf_deep_cpu[k];
    T_CHECK(bottom > 100, "only %lld samples at the bottom", (long long)bottom);
    T_CHECK(deep <= bottom / 10 + 5, "%lld samples in the recursion itself, %lld at the bottom",
            (long long)deep, (long long)bottom);
    /* deep stacks are cut, not dropped: the three threads' CPU is all there */
    T_CHECK(bottom_ns > 0.7 * (double)cpu, "the bottom holds %lld ns of the threads' %lld ns",
            (long long)bottom_ns, (long long)cpu);
    fprintf(stderr, "note: %lld samples at the bottom, each of %d frames with the leaf first, "
            "%.3f s of the threads' %.3f s; %lld in the recursion itself\n", (long long)bottom,
            PPROF_MAX_FRAMES, (double)bottom_ns / 1e9, (double)cpu / 1e9, (long long)deep);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 5. Start and stop 1000 times: nothing grows.                                            */
/* ---------------------------------------------------------------------------------------- */
static void tf_start_stop_churn(void) {
    pthread_t spin;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int fds0 = 0, tasks0 = 0, timers0 = 0, i, rc, n;
    long rss0 = 0, rss;
    int64_t t0 = pprof__os_mono_ns();
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    pprof_set_cpu_rate(1000);
    for (i = 0; i < 1000; i++) {
        rewind(fp);
        T_CHECK(ftruncate(fileno(fp), 0) == 0, "ftruncate: %s", strerror(errno));
        rc = pprof_cpu_start(fp);
        T_CHECK(rc == PPROF_OK, "start %d: %s", i, pprof_strerror(rc));
        if (i % 8 == 0) pprof__os_sleep_ns(1000000); /* a few samples, now and then */
        if (i == 999) pprof__os_sleep_ns(200000000);  /* the last profile: a real one */
        rc = pprof_cpu_stop();
        T_CHECK(rc == PPROF_OK, "stop %d: %s", i, pprof_strerror(rc));
        if (i == 9) { /* the baseline: the first profiles have mapped and cached what stays */
            fds0 = t_count_dir("/proc/self/fd");
            tasks0 = t_count_dir("/proc/self/task");
            timers0 = tf_timers();
            rss0 = (t_rss_kib() * 1024);
        }
    }
    n = t_count_dir("/proc/self/fd");
    T_CHECK(n == fds0, "open descriptors %d -> %d over 990 profiles", fds0, n);
    n = t_count_dir("/proc/self/task");
    T_CHECK(n == tasks0, "threads %d -> %d over 990 profiles", tasks0, n);
    n = tf_timers();
    T_CHECK(n == timers0, "POSIX timers %d -> %d over 990 profiles", timers0, n);
    rss = (t_rss_kib() * 1024);
#if !PPROF__SANITIZED /* a sanitizer's allocator keeps freed memory in quarantine */
    T_CHECK(rss0 > 0 && rss < rss0 + (4l << 20), "RSS %ld KiB -> %ld KiB over 990 profiles",
            rss0 >> 10, rss >> 10);
#endif
    fprintf(stderr, "note: 1000 starts and stops in %.2f s; from the 10th: %d descriptors, "
            "%d threads, %d timers, RSS %ld -> %ld KiB\n", (double)(pprof__os_mono_ns() - t0) / 1e9,
            fds0, tasks0, timers0, rss0 >> 10, rss >> 10);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK(TF_TSAN || t_flat(&p, "hot_a", 1) > 50000000, "the 1000th profile: %lld ns of "
            "the spinner", (long long)t_flat(&p, "hot_a", 1));
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 6. Threads that block the profiling signal.                                              */
/* ---------------------------------------------------------------------------------------- */
TF_BURNER(tf_masked_work)
TF_BURNER(tf_open_work)
static int tf_mask_step;        /* 1: look at your pending signals; 2: unblock (after stop) */
static int tf_mask_ready, tf_mask_looked, tf_open_stop;
static int tf_mask_pending[2], tf_mask_after[2];
static void *tf_masked_thread(void *arg) {
    int k = (int)(intptr_t)arg;
    sigset_t s, pend;
    unsigned long x = 1;
    sigemptyset(&s);
    sigaddset(&s, PPROF_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    __atomic_add_fetch(&tf_mask_ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&tf_mask_step, __ATOMIC_ACQUIRE) < 1) x = tf_masked_work(x, 1000000);
    sigpending(&pend); /* it gets no timer: nothing waits (a sigwaitinfo on a full set would
                          take a pending one) */
    tf_mask_pending[k] = sigismember(&pend, PPROF_SIGNAL);
    __atomic_add_fetch(&tf_mask_looked, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&tf_mask_step, __ATOMIC_ACQUIRE) < 2) x = tf_masked_work(x, 1000000);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* after stop: nothing comes, nothing is fatal */
    x = tf_masked_work(x, 20000000);
    sigpending(&pend);
    tf_mask_after[k] = sigismember(&pend, PPROF_SIGNAL);
    T_OPAQUE(x);
    return NULL;
}
static void *tf_open_thread(void *arg) {
    unsigned long x = 1;
    (void)arg;
    while (!__atomic_load_n(&tf_open_stop, __ATOMIC_ACQUIRE)) x = tf_open_work(x, 1000000);
    T_OPAQUE(x);
    return NULL;
}

static void tf_blocked_signal(void) {
    pthread_t masked[2], open[2];
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int64_t open_cpu = 0, t0;
    int k, i, rc;
    tf_calibrate();
    for (k = 0; k < 2; k++) {
        pthread_create(&masked[k], NULL, tf_masked_thread, (void *)(intptr_t)k);
        pthread_create(&open[k], NULL, tf_open_thread, NULL);
    }
    for (i = 0; i < 2000 && __atomic_load_n(&tf_mask_ready, __ATOMIC_SEQ_CST) < 2; i++)
        pprof__os_sleep_ns(1000000);
    for (k = 0; k < 2; k++) open_cpu -= t_thread_cpu_ns(open[k]);
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    pprof__os_sleep_ns(800000000);
    __atomic_store_n(&tf_mask_step, 1, __ATOMIC_RELEASE);
    for (i = 0; i < 3000 && __atomic_load_n(&tf_mask_looked, __ATOMIC_SEQ_CST) < 2; i++)
        pprof__os_sleep_ns(1000000);
    t0 = pprof__os_mono_ns();
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    T_CHECK(pprof__os_mono_ns() - t0 < 2000000000, "stop took %.3f s",
            (double)(pprof__os_mono_ns() - t0) / 1e9);
    for (k = 0; k < 2; k++) open_cpu += t_thread_cpu_ns(open[k]);
    __atomic_store_n(&tf_mask_step, 2, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_join(masked[k], NULL);
    __atomic_store_n(&tf_open_stop, 1, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_join(open[k], NULL);
    /* a thread that blocks the signal is sent none: nothing pending for it to take */
    for (k = 0; k < 2; k++)
        T_CHECK(tf_mask_pending[k] == 0, "blocking thread %d had the signal pending", k);
    for (k = 0; k < 2; k++)
        T_CHECK(tf_mask_after[k] == 0, "blocking thread %d still has the signal pending", k);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK(t_has_comment(&p, "threads found blocking the signal (untimed while they do) 2"),
            "the profile does not count the 2 threads that block the signal");
    T_CHECK(tf_leaf(&p, "tf_masked_work", 0) == 0, "%lld samples of threads that block the signal",
            (long long)tf_leaf(&p, "tf_masked_work", 0));
    T_CHECK((double)tf_leaf(&p, "tf_open_work", 1) > 0.6 * (double)open_cpu,
            "the other spinners: %lld ns in the profile of %lld ns used",
            (long long)tf_leaf(&p, "tf_open_work", 1), (long long)open_cpu);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 7. The program's blocking calls while it is profiled.                                    */
/* ---------------------------------------------------------------------------------------- */
/* What the manual promises: the handler has SA_RESTART, so read, write, accept and
   sem_wait (a futex wait, restarted since Linux 2.6.22) are restarted and never fail with
   EINTR; pthread_cond_wait never returns EINTR at all (POSIX). nanosleep is never restarted
   (signal(7)): it may fail with EINTR and the time left, which the program sleeps again,
   and the total is then at least what it asked.
   CPU timers fire in running threads, so they seldom find one inside a blocking call. The
   signal also comes from elsewhere (kill -PROF, a dump's signal that finds its thread just
   entering a call), which the handler ignores: the test sends it to each thread every
   2 ms, so every kind of call is interrupted many times. Thread dumps run meanwhile. */
TF_BURNER(tf_io_burn)
#define TF_IO_BURN_NS 500000
#define TF_NAP_NS 3000000
static struct tf_io {
    int stop;                       /* the workers finish their current call and leave */
    int done_acc, done_cond, done_sem;
    int in[2], out[2], lsock, port;
    long reads, read_eintr, read_bad;
    long writes, write_eintr, write_short;
    long long bytes_written, bytes_drained, drain_bad;
    long naps, nap_eintr;
    int64_t nap_min;                /* the shortest total a nap took */
    long accepts, accept_eintr;
    long conds, cond_err;
    long sems, sem_eintr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long gen;
    sem_t sem;
    int tids[6];                    /* the threads making the calls, to be signalled */
    int ntids;
} tf_io;
static void tf_io_register(void) {
    int k = __atomic_fetch_add(&tf_io.ntids, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&tf_io.tids[k], pprof__os_gettid(), __ATOMIC_RELEASE);
}
#define TF_IO_STOP() __atomic_load_n(&tf_io.stop, __ATOMIC_ACQUIRE)

static void tf_io_nap(int64_t ns) { /* a helper's sleep, resumed after signals */
    pprof__os_sleep_ns(ns);
}
static void *tf_io_reader(void *arg) {
    unsigned long x = 1;
    unsigned char want = 0, b;
    (void)arg;
    tf_io_register();
    for (;;) {
        ssize_t r;
        x = tf_io_burn(x, TF_IO_BURN_NS);
        r = read(tf_io.in[0], &b, 1);
        if (r < 0 && errno == EINTR) { tf_io.read_eintr++; continue; }
        if (r == 0) break; /* the feeder closed: the end */
        if (r != 1 || b != want) tf_io.read_bad++;
        want = (unsigned char)(b + 1);
        tf_io.reads++;
    }
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_feeder(void *arg) {
    unsigned char b = 0;
    (void)arg;
    while (!TF_IO_STOP()) {
        tf_io_nap(2000000);
        T_CHECK(write(tf_io.in[1], &b, 1) == 1, "feeder write: %s", strerror(errno));
        b++;
    }
    close(tf_io.in[1]);
    return NULL;
}
static void *tf_io_writer(void *arg) {
    size_t n = 256 * 1024, k;
    unsigned char *buf = (unsigned char *)malloc(n);
    unsigned long x = 1;
    long long pos = 0;
    (void)arg;
    tf_io_register();
    T_CHECK(buf != NULL, "malloc");
    while (!TF_IO_STOP()) {
        size_t off = 0;
        x = tf_io_burn(x, TF_IO_BURN_NS);
        for (k = 0; k < n; k++) buf[k] = (unsigned char)((pos + (long long)k) * 7);
        while (off < n) { /* a signal after part of the data: a short count, not EINTR */
            ssize_t w = write(tf_io.out[1], buf + off, n - off);
            if (w < 0 && errno == EINTR) { tf_io.write_eintr++; continue; }
            T_CHECK(w > 0, "write: %s", strerror(errno));
            if ((size_t)w < n - off) tf_io.write_short++;
            off += (size_t)w;
        }
        pos += (long long)n;
        tf_io.writes++;
    }
    tf_io.bytes_written = pos;
    close(tf_io.out[1]);
    free(buf);
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_drainer(void *arg) {
    unsigned char buf[4096];
    long long pos = 0;
    (void)arg;
    for (;;) {
        ssize_t r = read(tf_io.out[0], buf, sizeof buf), k;
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        for (k = 0; k < r; k++)
            if (buf[k] != (unsigned char)((pos + k) * 7)) tf_io.drain_bad++;
        pos += r;
        if (!TF_IO_STOP()) tf_io_nap(1000000); /* slowly: the writer blocks */
    }
    tf_io.bytes_drained = pos;
    return NULL;
}
static void *tf_io_sleeper(void *arg) {
    unsigned long x = 1;
    (void)arg;
    tf_io_register();
    while (!TF_IO_STOP()) {
        struct timespec ts, rem;
        int64_t t0;
        x = tf_io_burn(x, TF_IO_BURN_NS);
        ts.tv_sec = 0;
        ts.tv_nsec = TF_NAP_NS;
        t0 = pprof__os_mono_ns();
        while (nanosleep(&ts, &rem) != 0) {
            T_CHECK(errno == EINTR, "nanosleep: %s", strerror(errno));
            tf_io.nap_eintr++;
            ts = rem;
        }
        t0 = pprof__os_mono_ns() - t0;
        if (tf_io.naps == 0 || t0 < tf_io.nap_min) tf_io.nap_min = t0;
        tf_io.naps++;
    }
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_acceptor(void *arg) {
    unsigned long x = 1;
    (void)arg;
    tf_io_register();
    while (!TF_IO_STOP()) {
        int fd;
        x = tf_io_burn(x, TF_IO_BURN_NS);
        fd = accept(tf_io.lsock, NULL, NULL);
        if (fd < 0 && errno == EINTR) { tf_io.accept_eintr++; continue; }
        T_CHECK(fd >= 0, "accept: %s", strerror(errno));
        close(fd);
        __atomic_add_fetch(&tf_io.accepts, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&tf_io.done_acc, 1, __ATOMIC_RELEASE);
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_connector(void *arg) {
    struct sockaddr_in a;
    long made = 0;
    (void)arg;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)tf_io.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (!__atomic_load_n(&tf_io.done_acc, __ATOMIC_ACQUIRE)) {
        int fd;
        /* one connection at a time: the backlog never fills (a full one delays a connect
           by a SYN retry, a second) */
        if (__atomic_load_n(&tf_io.accepts, __ATOMIC_ACQUIRE) < made) {
            tf_io_nap(200000);
            continue;
        }
        tf_io_nap(2000000); /* the acceptor waits in accept() meanwhile */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        T_CHECK(fd >= 0, "socket");
        T_CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
        close(fd);
        made++;
    }
    return NULL;
}
static void *tf_io_cond_waiter(void *arg) {
    unsigned long x = 1;
    (void)arg;
    tf_io_register();
    while (!TF_IO_STOP()) {
        long target;
        x = tf_io_burn(x, TF_IO_BURN_NS);
        pthread_mutex_lock(&tf_io.mu);
        target = tf_io.gen + 1;
        while (tf_io.gen < target) {
            int rc = pthread_cond_wait(&tf_io.cv, &tf_io.mu);
            if (rc != 0) tf_io.cond_err++;
        }
        pthread_mutex_unlock(&tf_io.mu);
        tf_io.conds++;
    }
    __atomic_store_n(&tf_io.done_cond, 1, __ATOMIC_RELEASE);
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_cond_signaler(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&tf_io.done_cond, __ATOMIC_ACQUIRE)) {
        tf_io_nap(2000000);
        pthread_mutex_lock(&tf_io.mu);
        tf_io.gen++;
        pthread_cond_signal(&tf_io.cv);
        pthread_mutex_unlock(&tf_io.mu);
    }
    return NULL;
}
static void *tf_io_sem_waiter(void *arg) {
    unsigned long x = 1;
    (void)arg;
    tf_io_register();
    while (!TF_IO_STOP()) {
        x = tf_io_burn(x, TF_IO_BURN_NS);
        while (sem_wait(&tf_io.sem) != 0) {
            T_CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
            tf_io.sem_eintr++;
        }
        tf_io.sems++;
    }
    __atomic_store_n(&tf_io.done_sem, 1, __ATOMIC_RELEASE);
    T_OPAQUE(x);
    return NULL;
}
static void *tf_io_sem_poster(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&tf_io.done_sem, __ATOMIC_ACQUIRE)) {
        tf_io_nap(2000000);
        sem_post(&tf_io.sem);
    }
    return NULL;
}

static void tf_blocking_calls(void) {
    static void *(*const fns[])(void *) = {
        tf_io_reader, tf_io_feeder, tf_io_writer, tf_io_drainer, tf_io_sleeper,
        tf_io_acceptor, tf_io_connector, tf_io_cond_waiter, tf_io_cond_signaler,
        tf_io_sem_waiter, tf_io_sem_poster};
    enum { NT = sizeof fns / sizeof fns[0] };
    pthread_t th[NT];
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path), *dump = fopen("/dev/null", "w");
    prd_profile p;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int64_t t0;
    int i, rc, dumps = 0, rounds = 0;
    long kicks = 0;
    tf_calibrate();
    memset(&tf_io, 0, sizeof tf_io);
    T_CHECK(dump != NULL, "/dev/null");
    T_CHECK(pipe(tf_io.in) == 0 && pipe(tf_io.out) == 0, "pipe");
    pthread_mutex_init(&tf_io.mu, NULL);
    pthread_cond_init(&tf_io.cv, NULL);
    sem_init(&tf_io.sem, 0, 0);
    tf_io.lsock = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    T_CHECK(tf_io.lsock >= 0 && bind(tf_io.lsock, (struct sockaddr *)&a, sizeof a) == 0 &&
            listen(tf_io.lsock, 16) == 0 &&
            getsockname(tf_io.lsock, (struct sockaddr *)&a, &alen) == 0,
            "listen: %s", strerror(errno));
    tf_io.port = ntohs(a.sin_port);
    pprof_set_cpu_rate(1000);
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    for (i = 0; i < NT; i++) T_CHECK(pthread_create(&th[i], NULL, fns[i], NULL) == 0, "create");
    /* the kicks below stand for timer signals: taken as samples, as a timer's would be
       (else the signal is foreign, and its disposition, SIG_DFL, ends the process) */
    __atomic_store_n(&pprof__sig.accept_user, 1, __ATOMIC_SEQ_CST);
    t0 = pprof__os_mono_ns();
    while (pprof__os_mono_ns() - t0 < 1500000000) {
        int nt = __atomic_load_n(&tf_io.ntids, __ATOMIC_ACQUIRE);
        pprof__os_sleep_ns(2000000);
        for (i = 0; i < nt; i++) {
            int tid = __atomic_load_n(&tf_io.tids[i], __ATOMIC_ACQUIRE);
            if (tid > 0 && syscall(SYS_tgkill, (long)getpid(), (long)tid, (long)PPROF_SIGNAL) == 0)
                kicks++;
        }
        if (++rounds % 25 == 0) {
            rc = pprof_write_profile("goroutine", dump, 0);
            T_CHECK(rc == PPROF_OK, "thread dump: %s", pprof_strerror(rc));
            dumps++;
        }
    }
    __atomic_store_n(&tf_io.stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < NT; i++) pthread_join(th[i], NULL);
    __atomic_store_n(&pprof__sig.accept_user, 0, __ATOMIC_SEQ_CST);
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    fclose(dump);
    close(tf_io.in[0]);
    close(tf_io.out[0]);
    close(tf_io.lsock);
    sem_destroy(&tf_io.sem);
    /* each kind of call kept working (each ran hundreds of times in 1.5 s) */
    T_CHECK(tf_io.reads >= 50 && tf_io.read_bad == 0, "%ld reads, %ld wrong", tf_io.reads,
            tf_io.read_bad);
    T_CHECK(tf_io.writes >= 5 && tf_io.drain_bad == 0 && tf_io.bytes_drained == tf_io.bytes_written,
            "%ld writes: %lld bytes written, %lld drained, %lld wrong", tf_io.writes,
            tf_io.bytes_written, tf_io.bytes_drained, tf_io.drain_bad);
    T_CHECK(tf_io.naps >= 50, "%ld naps", tf_io.naps);
    T_CHECK(tf_io.accepts >= 50, "%ld accepts", tf_io.accepts);
    T_CHECK(tf_io.conds >= 50 && tf_io.sems >= 50, "%ld condition waits, %ld semaphore waits",
            tf_io.conds, tf_io.sems);
    /* the promise: SA_RESTART covers these */
    T_CHECK(tf_io.read_eintr + tf_io.write_eintr + tf_io.accept_eintr + tf_io.cond_err +
            tf_io.sem_eintr == 0, "EINTR from read %ld, write %ld, accept %ld, sem_wait %ld "
            "times; pthread_cond_wait failed %ld times", tf_io.read_eintr, tf_io.write_eintr,
            tf_io.accept_eintr, tf_io.sem_eintr, tf_io.cond_err);
    /* nanosleep: EINTR is allowed, the sleep resumed with the remaining time is not short */
    T_CHECK(tf_io.nap_min >= TF_NAP_NS, "a %d ns nap took %lld ns in total", TF_NAP_NS,
            (long long)tf_io.nap_min);
    /* and the signals did reach threads inside blocking calls: else this proved nothing */
    T_CHECK(tf_io.nap_eintr > 0, "%ld signals never interrupted a nanosleep", kicks);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK(TF_TSAN || tf_leaf(&p, "tf_io_burn", 1) > 100000000, "the threads' own work: %lld ns",
            (long long)tf_leaf(&p, "tf_io_burn", 1));
    fprintf(stderr, "note: %ld signals, %d dumps; %ld reads, %ld writes (%ld short), %ld accepts, "
            "%ld condition and %ld semaphore waits, no EINTR; %ld naps, %ld EINTR from them\n",
            kicks, dumps, tf_io.reads, tf_io.writes, tf_io.write_short, tf_io.accepts, tf_io.conds,
            tf_io.sems, tf_io.naps, tf_io.nap_eintr);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 8. The program installs its own handler for the profiling signal during a profile.       */
/* ---------------------------------------------------------------------------------------- */
static int tf_own_calls, tf_own_timer_calls;
static void tf_own_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    __atomic_add_fetch(&tf_own_calls, 1, __ATOMIC_RELAXED);
    if (si->si_code == SI_TIMER) __atomic_add_fetch(&tf_own_timer_calls, 1, __ATOMIC_RELAXED);
}

static void tf_foreign_handler_mid_profile(void) {
    pthread_t spin[2];
    struct sigaction own, saved, now;
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    prd_profile p;
    int k, rc, c1, c2;
    int64_t s0, sa, sb, sc;
    memset(&own, 0, sizeof own);
    own.sa_sigaction = tf_own_handler;
    own.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&own.sa_mask);
    __atomic_store_n(&tf_phase, 0, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_create(&spin[k], NULL, tf_phase_spinner, (void *)(intptr_t)k);
    pprof_set_cpu_rate(1000);
    /* A: the program takes the signal for a while, then puts back what it found */
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start: %s", pprof_strerror(rc));
    s0 = t_threads_cpu(spin, 2); /* the spinners' CPU: 0.2 s of it before, 0.2 s after */
    sa = t_wait_threads_cpu(spin, 2, s0, 200000000);
    T_CHECK(sigaction(PPROF_SIGNAL, &own, &saved) == 0, "sigaction");
    tf_phase_set(1, 2); /* stage_b runs only while the program's handler is in place */
    pprof__os_sleep_ns(300000000);
    tf_phase_set(2, 2);
    T_CHECK(sigaction(PPROF_SIGNAL, &saved, NULL) == 0, "sigaction restore");
    sb = t_threads_cpu(spin, 2);
    sc = t_wait_threads_cpu(spin, 2, sb, 200000000);
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop: %s", pprof_strerror(rc));
    /* the drain notices within 20 ms and disarms the timers: the handler sees at most the
       signals of those 20 ms (2 threads at 1000 Hz), never the 600 of its 300 ms */
    T_CHECK(tf_own_timer_calls <= 100, "the program's handler ran %d times for the timers",
            tf_own_timer_calls);
    fprintf(stderr, "note: the program's handler got %d timer signals before sampling paused\n",
            tf_own_timer_calls);
    sigaction(PPROF_SIGNAL, NULL, &now);
    T_CHECK((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == pprof__sig_handler,
            "after stop the handler is not the one the program restored");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK_SAMPLES("hot_a, before the program's handler", t_flat(&p, "hot_a", 0), sa - s0,
                    100000000, 1000);
    /* after it, sampling resumes when the drain notices (20 ms, later on a busy machine) */
    T_CHECK(t_flat(&p, "hot_c", 0) >= 0.5 * t_expected_samples(sc - sb, 1000) &&
            t_samples_match(fmin((double)t_flat(&p, "hot_c", 0), t_expected_samples(sc - sb, 1000)),
                            sc - sb, 1000),
            "hot_c, after the program's handler: the spinners ran %.3f s CPU = %.0f expected "
            "samples at 1000 Hz (half at least), the profile holds %lld", (double)(sc - sb) / 1e9,
            t_expected_samples(sc - sb, 1000), (long long)t_flat(&p, "hot_c", 0));
    /* while the program owned the signal the profiler saw nothing (and took nothing back) */
    T_CHECK(t_flat(&p, "hot_b", 0) == 0, "%lld samples while the program's handler was in place",
            (long long)t_flat(&p, "hot_b", 0));
    T_CHECK(t_has_comment(&p, "sampling paused 1 time,"), "no comment says sampling paused");
    prd_free(&p);

    /* B: the program's handler is still in place at the stop: the stop leaves it there */
    fp = fopen(path, "w+b");
    T_CHECK(fp != NULL, "reopen");
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start B: %s", pprof_strerror(rc));
    pprof__os_sleep_ns(100000000);
    T_CHECK(sigaction(PPROF_SIGNAL, &own, NULL) == 0, "sigaction");
    pprof__os_sleep_ns(100000000);
    rc = pprof_cpu_stop();
    T_CHECK(rc == PPROF_OK, "stop B: %s", pprof_strerror(rc));
    sigaction(PPROF_SIGNAL, NULL, &now);
    T_CHECK((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == tf_own_handler,
            "the stop replaced the program's handler");
    pprof__os_sleep_ns(50000000); /* a signal pending at the stop arrives meanwhile */
    c1 = __atomic_load_n(&tf_own_timer_calls, __ATOMIC_RELAXED);
    pprof__os_sleep_ns(200000000);
    c2 = __atomic_load_n(&tf_own_timer_calls, __ATOMIC_RELAXED);
    T_CHECK(c1 == c2, "timers still fire after the stop: %d more signals", c2 - c1);
    /* the program's handler is never replaced by a start either (documented) */
    T_CHECK(pprof_cpu_start(fp) == PPROF_ERR_SIGNAL_BUSY,
            "a start took over the program's handler");
    sigaction(PPROF_SIGNAL, NULL, &now);
    T_CHECK(now.sa_sigaction == tf_own_handler, "the refused start changed the handler");
    own.sa_handler = SIG_DFL; /* the program gives the signal back: profiling works again */
    own.sa_flags = 0;
    sigaction(PPROF_SIGNAL, &own, NULL);
    fp = freopen(path, "w+b", fp);
    T_CHECK(fp != NULL, "reopen");
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start after SIG_DFL: %s", pprof_strerror(rc));
    s0 = t_threads_cpu(spin, 2);
    sa = t_wait_threads_cpu(spin, 2, s0, 100000000);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop C");
    __atomic_store_n(&tf_phase_stop, 1, __ATOMIC_RELEASE);
    for (k = 0; k < 2; k++) pthread_join(spin[k], NULL);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK_SAMPLES("hot_c, after the program let go", t_flat(&p, "hot_c", 0), sa - s0, 50000000, 1000);
    prd_free(&p);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------- */
/* 9. pprof_shutdown with a mixed set of requests in flight.                                 */
/* ---------------------------------------------------------------------------------------- */
typedef struct tf_client {
    const char *req;     /* sent as is: may stop mid-line, or be empty */
    int fd;
    char *buf;
    size_t len, cap;
    int eof, reset, timeout;
    int64_t end_ns;
} tf_client;
static int tf_http_port;
static int tf_http_sent;
static int tf_cpu_running(void) { /* a CPU profile is running (the endpoint's) */
    int r;
    pthread_mutex_lock(&pprof__cpu_mu);
    r = pprof__cpu.running;
    pthread_mutex_unlock(&pprof__cpu_mu);
    return r;
}
static void *tf_client_main(void *arg) {
    tf_client *c = (tf_client *)arg;
    int64_t deadline;
    c->fd = t_http_connect(tf_http_port);
    if (c->req[0])
        T_CHECK(send(c->fd, c->req, strlen(c->req), MSG_NOSIGNAL) == (ssize_t)strlen(c->req),
                "send");
    __atomic_add_fetch(&tf_http_sent, 1, __ATOMIC_SEQ_CST);
    deadline = pprof__os_mono_ns() + 8000000000ll; /* never hang the test: poll, bounded */
    for (;;) {
        struct pollfd pf;
        ssize_t r;
        if (pprof__os_mono_ns() > deadline) { c->timeout = 1; break; }
        pf.fd = c->fd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 100) <= 0) continue;
        if (c->len == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 65536;
            c->buf = (char *)realloc(c->buf, c->cap + 1);
            T_CHECK(c->buf != NULL, "realloc");
        }
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r > 0) { c->len += (size_t)r; continue; }
        if (r == 0) c->eof = 1;
        else if (errno == EINTR) continue;
        else c->reset = 1;
        break;
    }
    c->end_ns = pprof__os_mono_ns();
    close(c->fd);
    return NULL;
}

/* A whole response (status line, headers, Content-Length bytes of body), or nothing. */
static void tf_client_check(const tf_client *c, const char *what) {
    char *head_end, *cl;
    size_t body;
    T_CHECK(!c->timeout, "%s: no answer and no close in 8 s", what);
    if (c->len == 0) return; /* a clean close (FIN or reset) before any byte */
    c->buf[c->len] = 0;
    T_CHECK(strncmp(c->buf, "HTTP/1.1 ", 9) == 0, "%s: %zu bytes, not a response", what, c->len);
    head_end = strstr(c->buf, "\r\n\r\n");
    T_CHECK(head_end != NULL, "%s: the headers were cut off (%zu bytes)", what, c->len);
    cl = strstr(c->buf, "Content-Length: ");
    T_CHECK(cl != NULL && cl < head_end, "%s: no Content-Length", what);
    body = c->len - (size_t)(head_end + 4 - c->buf);
    T_CHECK(strtoul(cl + 16, NULL, 10) == body, "%s: body of %zu bytes, Content-Length %lu", what,
            body, strtoul(cl + 16, NULL, 10));
}

static void tf_shutdown_in_flight(void) {
    static const char *const what[] = {"CPU profile of 5 s", "goroutine?debug=2",
                                       "half a request line", "heap", "heap delta of 5 s",
                                       "an idle connection"};
    static const char *const reqs[] = {
        "GET /debug/pprof/profile?seconds=5 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /debug/pprof/goroutine?debug=2 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /debug/pp",
        "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /debug/pprof/heap?seconds=5 HTTP/1.1\r\nHost: x\r\n\r\n",
        ""};
    enum { NC = sizeof reqs / sizeof reqs[0] };
    tf_client c[NC];
    pthread_t th[NC], spin;
    int fds0 = t_count_dir("/proc/self/fd"), tasks0, i, rc, n;
    int64_t t0, t1;
    FILE *fp;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    tasks0 = t_count_dir("/proc/self/task");
    pprof_set_cpu_rate(1000);
    rc = pprof_listen(0);
    T_CHECK(rc == PPROF_OK, "listen: %s", pprof_strerror(rc));
    tf_http_port = pprof_listen_port();
    T_CHECK(tf_http_port > 0, "port");
    memset(c, 0, sizeof c);
    for (i = 0; i < NC; i++) {
        c[i].req = reqs[i];
        pthread_create(&th[i], NULL, tf_client_main, &c[i]);
    }
    for (i = 0; i < 2000 && __atomic_load_n(&tf_http_sent, __ATOMIC_SEQ_CST) < NC; i++)
        pprof__os_sleep_ns(1000000);
    /* the short ones may be answering now; the CPU profile is surely running */
    pprof__os_sleep_ns(30000000);
    for (i = 0; i < 2000 && tf_cpu_running() != 1; i++) pprof__os_sleep_ns(1000000);
    T_CHECK(tf_cpu_running() == 1, "the CPU profile request never started");
    t0 = pprof__os_mono_ns();
    rc = pprof_shutdown();
    t1 = pprof__os_mono_ns();
    T_CHECK(rc == PPROF_OK, "shutdown: %s", pprof_strerror(rc));
    T_CHECK(t1 - t0 < 3000000000ll, "shutdown took %.3f s", (double)(t1 - t0) / 1e9);
    for (i = 0; i < NC; i++) pthread_join(th[i], NULL);
    fprintf(stderr, "note: shutdown in %.0f ms;", (double)(t1 - t0) / 1e6);
    for (i = 0; i < NC; i++) {
        int status = 0;
        if (c[i].len && sscanf(c[i].buf, "HTTP/1.1 %d", &status) != 1) status = -1;
        fprintf(stderr, " %s: %s%.0d%s", what[i], c[i].len ? "answered " : c[i].eof ? "closed" :
                c[i].reset ? "reset" : "?", status, i + 1 < NC ? "," : "\n");
    }
    for (i = 0; i < NC; i++) {
        tf_client_check(&c[i], what[i]);
        /* every client learns of the end promptly: its connection is closed, not left open */
        T_CHECK(c[i].end_ns - t1 < 2000000000ll, "%s: ended %.3f s after the shutdown", what[i],
                (double)(c[i].end_ns - t1) / 1e9);
        free(c[i].buf);
    }
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    n = t_count_dir("/proc/self/fd");
    T_CHECK(n == fds0, "descriptors %d -> %d", fds0, n);
    n = tf_tasks_settle(tasks0 - 1); /* the spinner is gone too */
    T_CHECK(n == tasks0 - 1, "threads %d -> %d", tasks0 - 1, n);
    /* the CPU profile in flight ended with the shutdown: the profiler is free */
    fp = tmpfile();
    rc = pprof_cpu_start(fp);
    T_CHECK(rc == PPROF_OK, "start after the shutdown: %s", pprof_strerror(rc));
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    fclose(fp);
}

#define T_FAULT_CASES \
    {"fault_exec_during_profile", tf_exec_during_profile, 30}, \
    {"fault_1000_threads_come_and_go", tf_thread_churn, 30}, \
    {"fault_no_frame_pointers_and_corrupt_chain", tf_broken_frame_chains, 20}, \
    {"fault_recursion_10000_deep", tf_deep_recursion, 20}, \
    {"fault_start_stop_1000_times_no_growth", tf_start_stop_churn, 60}, \
    {"fault_threads_blocking_the_signal", tf_blocked_signal, 20}, \
    {"fault_eintr_program_loops_keep_working", tf_blocking_calls, 30}, \
    {"fault_program_installs_sigprof_handler_mid_profile", tf_foreign_handler_mid_profile, 20}, \
    {"fault_shutdown_with_requests_in_flight", tf_shutdown_in_flight, 30},
