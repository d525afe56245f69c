/* The stack-truth test: every CPU sample's stack, as pprof.h walked it, must hold the same
   return addresses as the program's own backtrace() (libgcc's unwinder) at that point, down
   to the same outermost frame, whatever the build: -O2 with or without frame pointers,
   -O0; gcc or clang; C or C++ (tests/all.sh builds all twelve). The cases: deep recursion,
   tail calls, an inlined caller, a VLA (the CFA from the frame pointer), a stack realigned
   for a 64-byte local, a noreturn callee, a signal handler on the thread's stack and on an
   alternate one, a thread, and in C++ a throw and its catch block.

   Each case runs under a 1000 Hz profile, its leaf's first call calling backtrace() (the
   expectation). With "fp" (pprof_set_unwind(PPROF_UNWIND_FP), -fno-omit-frame-pointer
   builds) only samples in this program's code count (in the C library's frameless code a
   frame pointer is any register), and a stack may skip the frames the C library hides, but
   each of its frames must be one of the expectation's, in order. A sample belongs to the case of its first frame in this
   program (samples inside the C library or the C++ runtime count for their caller there);
   its frames above that one must equal the expectation's, address for address.
   Prints PASS/FAIL lines for tests/all.sh, then END.                                    */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../../tools/pprof_read.h"
#include <execinfo.h>
#include <setjmp.h>
#include <alloca.h>
#include <stdarg.h>
#ifdef __cplusplus
#  include <new>
#endif

#ifdef __cplusplus
#  define EXTERN_C extern "C"
#  define ALIGN64 alignas(64)
#else
#  define EXTERN_C
#  define ALIGN64 _Alignas(64)
#endif
#define NOINLINE EXTERN_C __attribute__((noinline))
#define OPAQUE(x) __asm__ __volatile__("" : "+r"(x)) /* no folding, no tail call */

enum { C_DEEP, C_TAIL, C_INLINE, C_VLA, C_ALIGN, C_NORET, C_SIG, C_ALTSIG, C_THREAD, C_THROW,
       C_CATCH, C_N };
static const char *const case_name[C_N] = {"leaf_deep", "leaf_tail", "leaf_inline", "leaf_vla",
    "leaf_align", "leaf_noret", "leaf_sig", "leaf_altsig", "leaf_thread", "thrower", "leaf_catch"};

#define MAXF 128
static uintptr_t expect[C_N][MAXF]; /* backtrace() from within each case's leaf */
static int nexpect[C_N];
static volatile int want[C_N];      /* the case's next leaf call calls backtrace() */
static volatile unsigned long sink;
static int failures;

static void report(int ok, const char *name, const char *fmt, ...) {
    va_list ap;
    printf("%s  %s", ok ? "PASS" : "FAIL", name);
    if (!ok) {
        printf(": ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        failures++;
    }
    printf("\n");
    fflush(stdout);
}

/* The expectation of case c: the return addresses above the caller of this function. */
NOINLINE void capture(int c) {
    void *bt[MAXF + 2];
    int n = backtrace(bt, MAXF + 2), i;
    nexpect[c] = 0;
    for (i = 1; i < n; i++) expect[c][nexpect[c]++] = (uintptr_t)bt[i]; /* [0]: in here */
}

static int64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* A leaf: the CPU the samples land in. */
#define LEAF(name, c)                                                                      \
    NOINLINE unsigned long name(unsigned long x) {                                         \
        long i;                                                                            \
        if (want[c]) { want[c] = 0; capture(c); }                                          \
        for (i = 0; i < 20000; i++) { x = x * 6364136223846793005ul + 1; OPAQUE(x); }       \
        return x;                                                                          \
    }
LEAF(leaf_deep, C_DEEP)
LEAF(leaf_tail, C_TAIL)
LEAF(leaf_inline, C_INLINE)
LEAF(leaf_vla, C_VLA)
LEAF(leaf_align, C_ALIGN)
LEAF(leaf_noret, C_NORET)
LEAF(leaf_sig, C_SIG)
LEAF(leaf_altsig, C_ALTSIG)
LEAF(leaf_thread, C_THREAD)
LEAF(leaf_catch, C_CATCH)

/* Deep recursion. */
NOINLINE unsigned long deep(int depth, unsigned long x) {
    if (depth > 0) x = deep(depth - 1, x + 1);
    else x = leaf_deep(x);
    OPAQUE(x);
    return x;
}
/* A tail call: at -O2 tail_a jumps to tail_b and leaves no frame (backtrace agrees). */
NOINLINE unsigned long tail_b(unsigned long x) { return leaf_tail(x ^ 3) + 1; }
NOINLINE unsigned long tail_a(unsigned long x) { return tail_b(x + 7); }
NOINLINE unsigned long tail_caller(unsigned long x) {
    x = tail_a(x);
    OPAQUE(x);
    return x;
}
/* An inlined function: its call is the caller's. */
static inline __attribute__((always_inline)) unsigned long inlined(unsigned long x) {
    x = leaf_inline(x * 5);
    OPAQUE(x);
    return x;
}
NOINLINE unsigned long inline_caller(unsigned long x) {
    x = inlined(x) + 2;
    OPAQUE(x);
    return x;
}
/* A variable-length array (alloca in C++): sp moves by a runtime amount, the CFA follows
   the frame pointer. */
NOINLINE unsigned long vla_frame(int n, unsigned long x) {
#ifdef __cplusplus
    volatile unsigned char *buf = (volatile unsigned char *)alloca((size_t)n);
#else
    volatile unsigned char buf[n];
#endif
    buf[0] = (unsigned char)x;
    buf[n - 1] = (unsigned char)(x >> 8);
    x = leaf_vla(x + buf[0] + buf[n - 1]);
    OPAQUE(x);
    return x;
}
/* A local aligned beyond the ABI's 16 bytes: the compiler realigns sp. */
NOINLINE unsigned long align_frame(unsigned long x) {
    ALIGN64 volatile unsigned long local[8];
    local[0] = x;
    local[7] = (uintptr_t)&local[0] & 63;
    x = leaf_align(local[0] + local[7]);
    OPAQUE(x);
    return x;
}
/* A noreturn callee as the caller's last instruction: its return address lies past the
   caller's end. It leaves by longjmp. */
static jmp_buf noret_jb;
EXTERN_C __attribute__((noinline, noreturn)) void noret_spin(unsigned long x) {
    sink = leaf_noret(x);
    longjmp(noret_jb, 1);
}
NOINLINE void noret_caller(unsigned long x) {
    OPAQUE(x);
    noret_spin(x + 1);
}
/* Signal handlers on the sampled thread: one on the thread's stack, one on an alternate
   stack (the walk moves to the interrupted stack through the signal frame). */
EXTERN_C void on_sig(int sig) { (void)sig; sink = leaf_sig(sink); }
EXTERN_C void on_altsig(int sig) { (void)sig; sink = leaf_altsig(sink); }
NOINLINE void sig_raiser(int sig) {
    raise(sig);
    __asm__ __volatile__("");
}
/* The CPU each case runs for; doubled when a busy machine let too few samples land (the
   kernel then delivers about one signal per scheduling slice, each weighted by the periods
   it stands for: totals stay right, a short case may get none). */
static int64_t budget_ns = 120000000;
/* A thread of its own. */
NOINLINE void *thread_fn(void *arg) {
    int64_t t0 = thread_cpu_ns();
    unsigned long x = (unsigned long)(uintptr_t)arg;
    do x = leaf_thread(x); while (thread_cpu_ns() - t0 < budget_ns * 5 / 4);
    sink = x;
    return NULL;
}
#ifdef __cplusplus
/* A throw through frames and its catch block. */
NOINLINE void thrower(unsigned long x) {
    long i;
    if (want[C_THROW]) { want[C_THROW] = 0; capture(C_THROW); }
    for (i = 0; i < 20000; i++) { x = x * 6364136223846793005ul + 1; OPAQUE(x); }
    throw x;
}
NOINLINE unsigned long catcher(unsigned long x) {
    try {
        thrower(x);
    } catch (unsigned long v) {
        x = leaf_catch(v);
    }
    OPAQUE(x);
    return x;
}
#endif

NOINLINE void noret_case(unsigned long x) {
    if (setjmp(noret_jb) == 0) noret_caller(x);
}
/* Runs case c for about 120 ms of this thread's CPU, its first leaf call capturing. */
NOINLINE void run_case(int c) {
    int64_t t0 = thread_cpu_ns();
    unsigned long x = sink;
    unsigned calls = 0;
    want[c] = 1;
    if (c == C_THROW) want[C_CATCH] = 1;
    do {
        switch (c) {
        case C_DEEP: x = deep(20, x); break;
        case C_TAIL: x = tail_caller(x); break;
        case C_INLINE: x = inline_caller(x); break;
        case C_VLA: x = vla_frame(100 + (int)(x & 7), x); break;
        case C_ALIGN: x = align_frame(x); break;
        case C_NORET: noret_case(x); break;
        case C_SIG: sig_raiser(SIGUSR1); break;
        case C_ALTSIG: sig_raiser(SIGUSR2); break;
        case C_THREAD: {
            pthread_t t;
            pthread_create(&t, NULL, thread_fn, (void *)(uintptr_t)x);
            pthread_join(t, NULL);
            break;
        }
#ifdef __cplusplus
        case C_THROW: x = catcher(x); break;
#endif
        default: return;
        }
        OPAQUE(x);
    } while (c != C_THREAD && /* the clock read 1 call in 8: a system call on some machines,
                                  it would be CPU outside every case */
             (++calls % 8 != 0 || thread_cpu_ns() - t0 < budget_ns));
    sink = x;
}

/* The first frame of sample s in this program's code (its own mapping), or -1. */
static int first_own(const prd_profile *p, const prd_sample *s, const char *exe) {
    int i;
    for (i = 0; i < s->nlocation; i++) {
        const prd_location *l = prd_loc(p, s->location_id[i]);
        const prd_mapping *m = NULL;
        int k;
        for (k = 0; l && k < p->nmapping; k++)
            if (p->mapping[k].id == l->mapping_id) m = &p->mapping[k];
        if (m && strcmp(prd_str(p, m->filename), exe) == 0) return i;
    }
    return -1;
}
/* The case whose function holds frame i of s (a clone's ".part.0" suffix ignored). */
static int case_of(const prd_profile *p, const prd_sample *s, int i) {
    const prd_location *l = prd_loc(p, s->location_id[i]);
    const char *name = l ? prd_loc_name(p, l) : NULL;
    int c;
    size_t n;
    if (!name) return -1;
    n = strcspn(name, ".");
    for (c = 0; c < C_N; c++)
        if (strlen(case_name[c]) == n && strncmp(name, case_name[c], n) == 0) return c;
    return -1;
}

int main(int argc, char **argv) {
    const char *label = argc > 1 ? argv[1] : "stacks";
    int fp_walk = argc > 2 && strcmp(argv[2], "fp") == 0; /* frame records only */
    char path[] = "/tmp/pprof-stacks-XXXXXX", exe[4096], name[256];
    int64_t got[C_N], wrong[C_N], guess[C_N], other = 0, all = 0;
    struct sigaction sa;
    stack_t alt;
    prd_profile p;
    FILE *fp;
    ssize_t len;
    int c, i, fd, ncases = C_N, first_bad = 1;
#ifndef __cplusplus
    ncases = C_THROW; /* the C build has no throw and catch */
#endif
    (void)want;
    len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_altsig;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    alt.ss_sp = malloc(1 << 16);
    alt.ss_size = 1 << 16;
    alt.ss_flags = 0;
    sigaltstack(&alt, NULL);

again:
    strcpy(path, "/tmp/pprof-stacks-XXXXXX");
    fd = mkstemp(path);
    fp = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    if (!fp) { report(0, label, "mkstemp"); return 1; }
    pprof_set_cpu_rate(1000);
    if (fp_walk) pprof_set_unwind(PPROF_UNWIND_FP);
    if (pprof_cpu_start(fp) != PPROF_OK) { report(0, label, "pprof_cpu_start"); return 1; }
    for (c = 0; c < ncases; c++) run_case(c);
    pprof_cpu_stop();
    fclose(fp);
    for (c = 0; c < ncases; c++)
        if (nexpect[c] < 3) report(0, label, "no backtrace() for %s", case_name[c]);
    if (prd_parse_file(path, &p) != 0) { report(0, label, "parse: %s", p.err); return 1; }
    unlink(path);

    memset(got, 0, sizeof got);
    memset(wrong, 0, sizeof wrong);
    memset(guess, 0, sizeof guess);
    for (i = 0; i < p.nsample; i++) {
        const prd_sample *s = &p.sample[i];
        int k = first_own(&p, s, exe), j, ok;
        all += s->value[0];
        c = k < 0 ? -1 : case_of(&p, s, k);
        if (fp_walk && k > 0) c = -1; /* in frameless library code: frame records say nothing */
        if (c < 0) {
            other += s->value[0];
            if (getenv("STACKS_DEBUG")) {
                fprintf(stderr, "unclassified (%lld):", (long long)s->value[0]);
                for (j = 0; j < s->nlocation; j++) {
                    const prd_location *l = prd_loc(&p, s->location_id[j]);
                    const char *nm = l ? prd_loc_name(&p, l) : NULL;
                    fprintf(stderr, " %s", nm ? nm : "?");
                }
                fprintf(stderr, "\n");
            }
            continue;
        }
        got[c] += s->value[0];
        /* frames k+1.. are return addresses (the profile holds each minus 1); the
           expectation's [0] is the leaf's call of capture(), [1..] its callers' */
        if (!fp_walk) {
            ok = s->nlocation - k == nexpect[c];
            for (j = k + 1; ok && j < s->nlocation; j++) {
                const prd_location *l = prd_loc(&p, s->location_id[j]);
                ok = l && l->address + 1 == expect[c][j - k];
            }
        } else { /* frame records skip what the C library's frameless code hides, but every
                    frame they give is one of backtrace()'s, in its order; the leaf's caller
                    may be a guess from sp (a stale return address where the leaf keeps stack
                    but no frame): counted apart */
            const prd_location *l1 = k + 1 < s->nlocation ? prd_loc(&p, s->location_id[k + 1]) : NULL;
            int e = 0;
            ok = 1;
            for (j = k + 2; ok && j < s->nlocation; j++) {
                const prd_location *l = prd_loc(&p, s->location_id[j]);
                while (++e < nexpect[c] && l && l->address + 1 != expect[c][e]) {}
                ok = l && e < nexpect[c];
            }
            if (ok && l1 && l1->address + 1 != expect[c][1]) guess[c] += s->value[0];
        }
        if (!ok) {
            wrong[c] += s->value[0];
            if (first_bad && (!getenv("STACKS_SHOW") || strcmp(getenv("STACKS_SHOW"), case_name[c]) == 0)) { /* the first difference */
                first_bad = 0;
                fprintf(stderr, "%s: %s sample of %d frames, expected %d:\n", label, case_name[c],
                        s->nlocation - k, nexpect[c]);
                for (j = 0; j < s->nlocation - k || j < nexpect[c]; j++) {
                    const prd_location *l = j + k < s->nlocation ? prd_loc(&p, s->location_id[j + k]) : NULL;
                    const char *nm = l ? prd_loc_name(&p, l) : NULL;
                    fprintf(stderr, "  %2d  %#14lx %-24s  %#14lx\n", j,
                            l ? (unsigned long)l->address + (j ? 1 : 0) : 0ul, nm ? nm : "?",
                            j < nexpect[c] ? (unsigned long)expect[c][j] : 0ul);
                }
            }
        }
    }
    { /* too few samples by count for a verdict, none of them wrong: measure again, longer */
        int short_of = other * 10 > all, bad = 0;
        for (c = 0; c < ncases; c++) {
            short_of |= got[c] < 20 || guess[c] * 10 > got[c];
            bad |= wrong[c] != 0;
        }
        if (short_of && !bad && budget_ns < 4 * 120000000) {
            fprintf(stderr, "%s: %lld of %lld ms outside every case, a case short of samples: "
                    "again with %lld ms a case\n", label, (long long)other, (long long)all,
                    (long long)(2 * budget_ns / 1000000));
            budget_ns *= 2;
            other = all = 0;
            prd_free(&p);
            memset(&p, 0, sizeof p);
            goto again;
        }
    }
    for (c = 0; c < ncases; c++) {
        snprintf(name, sizeof name, "%s_%s", label, case_name[c]);
        report(got[c] >= 20 && wrong[c] == 0 && guess[c] * 10 <= got[c], name,
               "%lld ms sampled, %lld ms with a stack unlike backtrace()'s, %lld ms with a "
               "wrong guess of the leaf's caller", (long long)got[c], (long long)wrong[c],
               (long long)guess[c]);
    }
    /* samples with no case: in run_case and the loops around the cases */
    snprintf(name, sizeof name, "%s_samples_classified", label);
    report(all > 0 && other * 10 <= all, name, "%lld of %lld ms outside every case",
           (long long)other, (long long)all);
    prd_free(&p);
    printf("END\n");
    return failures != 0;
}
