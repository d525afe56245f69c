/* libpprof.c - pprof.h as a shared library, for programs built without it; part of pprof.h
 * Build: make build/libpprof.so, or
 *        cc -shared -fPIC -O2 -g -fno-omit-frame-pointer -pthread tools/libpprof.c -o libpprof.so
 * Use:   LD_PRELOAD=/path/to/libpprof.so PPROF_CPU=cpu.pb.gz prog args...
 *
 * Read once, when the library loads (before the program's main and its constructors):
 *   PPROF_LISTEN=host:port    serve /debug/pprof/ ("6060" and ":6060" mean 127.0.0.1:6060;
 *                             port 0 picks a free port and prints it on stderr)
 *   PPROF_CPU=path            profile the CPU from load to exit; write the profile at exit
 *   PPROF_CPU_HZ=n            samples per CPU-second, 1..10000 (default 100)
 *   PPROF_HEAP=1              sample malloc & co. (otherwise the rate is 0: the interposed
 *                             malloc costs a thread-local compare and records nothing)
 *   PPROF_HEAP_RATE=bytes     mean bytes between heap samples (default 524288; 1: every one)
 *   PPROF_HEAP_PROFILE=path   write the heap profile at exit (implies PPROF_HEAP=1)
 *   PPROF_MUTEX_FRACTION=n    pprof_set_mutex_fraction(n)     PPROF_BLOCK_RATE=ns  likewise
 *   PPROF_TOKEN               the listener's bearer token, as for pprof_listen
 *   PPROF_UNWIND=cfi|fp       the stack walker (pprof_set_unwind): unwind tables from each
 *                             object's .eh_frame (the default), or frame pointers only
 *   PPROF_CHILDREN=1          child processes profile too (below)
 * "At exit" is a return from main or exit() from any thread, or SIGINT, SIGTERM or SIGHUP
 * while the program leaves them at their default (the profiles are written, then the signal
 * is raised again, so the process ends by it as it would have). _exit (dash's way to end),
 * quick_exit, abort, other killing signals, or exec write nothing and leave the file empty.
 * Bad values and failures are reported on stderr ("pprof.h: ...") and the program runs on
 * without that part.
 * Children: LD_PRELOAD passes to child processes. So that only the process started with
 * the variables profiles, the library takes them out of the environment (in place, before
 * main, so the program and its children never see them). A forked child never profiles or
 * listens (pprof.h's fork rules). With PPROF_CHILDREN=1 the variables stay: every process
 * exec'd below profiles as well, and each writes path.<pid> (the first one too); they all
 * try the same PPROF_LISTEN address, so give port 0 (each prints its port).
 */
#include <stddef.h>
static size_t pprof__pre_heap_rate(void);
#define PPROF__HEAP_RATE_AT_START pprof__pre_heap_rate /* the allocations before main's */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#define PPROF_WRAP_PTHREAD
#define PPROF_WRAP_SIGNAL
#include "../pprof.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

static struct {
    pid_t pid;                 /* the profiling process; 0: this library does nothing */
    int cpu_gen;               /* the CPU profile this library runs (0: none) */
    char cpu_path[PATH_MAX], heap_path[PATH_MAX]; /* absolute: the program may chdir */
    int final;                 /* atomic: 0 profiles not written, 1 being written, 2 written */
    int sig;                   /* atomic: the terminating signal caught, to raise again */
    int wake;                  /* atomic futex word: the writer thread has a signal to act on */
    int writer_tid;            /* atomic: the thread writing the profiles */
    int inited;                /* atomic: pprof__pre_init has begun (the rate is its) */
} pprof__pre;
static void pprof__pre_catch(void);

static void pprof__pre_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pprof__pre_warn(const char *fmt, ...) {
    va_list ap;
    char msg[600];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pprof.h: %s\n", msg);
}

extern char **environ;

/* The variables this file reads: taken out of the environment unless PPROF_CHILDREN=1. */
enum { PPROF__PRE_LISTEN, PPROF__PRE_CPU, PPROF__PRE_CPU_HZ, PPROF__PRE_HEAP,
       PPROF__PRE_HEAP_RATE, PPROF__PRE_HEAP_PROFILE, PPROF__PRE_MUTEX, PPROF__PRE_BLOCK,
       PPROF__PRE_TOKEN, PPROF__PRE_UNWIND, PPROF__PRE_NVARS };
static const char *const pprof__pre_vars[PPROF__PRE_NVARS] = {
    "PPROF_LISTEN", "PPROF_CPU", "PPROF_CPU_HZ", "PPROF_HEAP", "PPROF_HEAP_RATE",
    "PPROF_HEAP_PROFILE", "PPROF_MUTEX_FRACTION", "PPROF_BLOCK_RATE", "PPROF_TOKEN",
    "PPROF_UNWIND"};

/* A non-empty variable, or NULL. Read from environ itself: some programs (bash) define a
   getenv and setenv of their own that do not work before their main. */
static const char *pprof__pre_env(const char *name) {
    size_t n = strlen(name);
    char **e;
    for (e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return (*e)[n + 1] ? *e + n + 1 : NULL;
    return NULL;
}

/* Takes pprof__pre_vars out of environ by moving the pointers after them, in the array
   itself, which is also main's envp: a program that hands envp to its children (bash)
   passes them on no more than one that uses environ. The strings stay where they are.
   The k slots freed at the end, up to and with the old terminating NULL, are filled so
   that a program that finds the auxiliary vector by walking past envp's first NULL (the Go
   runtime, so every cgo binary) still finds it: with k even, k/2 pairs (AT_IGNORE, 0) and
   then the real vector; with k odd no pairing can line up, so an empty vector (AT_NULL
   first), which sends Go to /proc/self/auxv, as it does wherever a loader passed none. */
static void pprof__pre_unset(void) {
    char **r, **w, **end;
    size_t i, k;
    for (r = w = environ; r && *r; r++) {
        for (i = 0; i < PPROF__PRE_NVARS; i++) {
            size_t n = strlen(pprof__pre_vars[i]);
            if (strncmp(*r, pprof__pre_vars[i], n) == 0 && (*r)[n] == '=') break;
        }
        if (i == PPROF__PRE_NVARS) *w++ = *r;
    }
    if (!w) return;
    end = r; /* the old NULL */
    *w = NULL;
    k = (size_t)(end - w);
    for (i = 1; i <= k; i++) /* w[1] .. w[k] == end */
        w[i] = (k % 2 == 0 && i % 2 == 1) ? (char *)(uintptr_t)AT_IGNORE : NULL;
}

/* A decimal integer in [lo, hi]: 1 and *out, or 0 after a warning. */
static int pprof__pre_num(const char *name, const char *v, long long lo, long long hi,
                          long long *out) {
    char *end;
    long long n;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi) {
        pprof__pre_warn("%s=%s: want an integer from %lld to %lld; ignored", name, v, lo, hi);
        return 0;
    }
    *out = n;
    return 1;
}

/* path, or path.<pid> for a descendant under PPROF_CHILDREN=1, made absolute against the
   directory the program starts in (it may chdir before the profiles are written). 0 if it
   does not fit. */
static int pprof__pre_path(char *out, const char *name, const char *path, int child) {
    char cwd[PATH_MAX];
    int n;
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) {
        pprof__pre_warn("%s=%s: the current directory is unknown (%s); ignored", name, path,
                        strerror(errno));
        return 0;
    }
    n = snprintf(out, PATH_MAX, "%s%s%s", path[0] == '/' ? "" : cwd,
                 path[0] == '/' || strcmp(cwd, "/") == 0 ? "" : "/", path);
    if (n >= 0 && n < PATH_MAX && child)
        n += snprintf(out + n, (size_t)(PATH_MAX - n), ".%ld", (long)getpid());
    if (n < 0 || n >= PATH_MAX) {
        pprof__pre_warn("%s: path too long; ignored", name);
        return 0;
    }
    return 1;
}

/* Creates or empties path now, as Go's -cpuprofile does, so a bad path is reported at
   start. Nothing stays open: the program may close every descriptor and reuse the
   numbers (daemons do); the profile is opened again by name when it is written. */
static int pprof__pre_touch(const char *name, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        pprof__pre_warn("%s=%s: %s; no profile", name, path, strerror(errno));
        return 0;
    }
    close(fd);
    return 1;
}

static void pprof__pre_listen(const char *v, const char *token) {
    char addr[160];
    size_t i;
    int rc;
    if (token && pprof_set_token(token) != PPROF_OK) { /* never serve unguarded instead */
        pprof__pre_warn("PPROF_TOKEN: %s; not listening", pprof_strerror(PPROF_ERR_TOKEN));
        return;
    }
    for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {}
    if ((v[i] ? snprintf(addr, sizeof addr, "%s", v)
              : snprintf(addr, sizeof addr, ":%s", v)) >= (int)sizeof addr) { /* bare port */
        pprof__pre_warn("PPROF_LISTEN=%.40s...: too long; not listening", v);
        return;
    }
    rc = pprof_listen_addr(addr);
    if (rc == PPROF_ERR_OS)
        pprof__pre_warn("PPROF_LISTEN=%s: %s (%s); not listening", v, pprof_strerror(rc),
                        strerror(pprof_last_os_error()));
    else if (rc != PPROF_OK)
        pprof__pre_warn("PPROF_LISTEN=%s: %s; not listening", v, pprof_strerror(rc));
    else if (strlen(addr) >= 2 && strcmp(addr + strlen(addr) - 2, ":0") == 0)
        pprof__pre_warn("pid %ld serves /debug/pprof/ on port %d", (long)getpid(),
                        pprof_listen_port());
}

/* The heap rate from the process's first allocation (pprof.h asks before any constructor
   runs; libraries' constructors allocate before this file's): what pprof__pre_init will
   set, read from environ without allocating or warning; once that began, its rate. */
static size_t pprof__pre_heap_rate(void) {
    const char *heap = pprof__pre_env("PPROF_HEAP"), *r = pprof__pre_env("PPROF_HEAP_RATE");
    char *end;
    long long n;
    if (__atomic_load_n(&pprof__pre.inited, __ATOMIC_ACQUIRE)) /* (environ cleaned since) */
        return __atomic_load_n(&pprof__heap_rate, __ATOMIC_RELAXED);
    if (!(heap && strcmp(heap, "1") == 0) && !pprof__pre_env("PPROF_HEAP_PROFILE")) return 0;
    if (!r) return 524288;
    n = strtoll(r, &end, 10);
    return end != r && !*end && n >= 1 ? (size_t)n : 524288;
}

/* After pprof.h's own constructors (101, and the default ones that register fork handlers
   need nothing of this). */
__attribute__((constructor(102))) static void pprof__pre_init(void) {
    const char *val[PPROF__PRE_NVARS], *v;
    long long n;
    int child, heap = 0;
    size_t i, any = 0;
    __atomic_store_n(&pprof__pre.inited, 1, __ATOMIC_RELEASE);
    pprof_set_heap_rate(0); /* no sampling unless asked: malloc stays a compare */
    for (i = 0; i < PPROF__PRE_NVARS; i++) {
        val[i] = pprof__pre_env(pprof__pre_vars[i]);
        any |= val[i] != NULL && i != PPROF__PRE_TOKEN && i != PPROF__PRE_UNWIND; /* alone,
                                                                     these ask nothing */
    }
    if (!any) return; /* nothing asked: leave even environ alone */
    child = (v = pprof__pre_env("PPROF_CHILDREN")) != NULL && strcmp(v, "1") == 0;
    if (!child) pprof__pre_unset(); /* before any thread exists; val[] still points at them */
    pprof__pre.pid = getpid();
    if ((v = val[PPROF__PRE_UNWIND]) != NULL) { /* first: the CPU profile below walks so */
        if (strcmp(v, "cfi") == 0) pprof_set_unwind(PPROF_UNWIND_CFI);
        else if (strcmp(v, "fp") == 0) pprof_set_unwind(PPROF_UNWIND_FP);
        else pprof__pre_warn("PPROF_UNWIND=%s: want cfi or fp; ignored", v);
    }
    if ((v = val[PPROF__PRE_HEAP]) != NULL) {
        if (strcmp(v, "1") == 0) heap = 1;
        else if (strcmp(v, "0") != 0) pprof__pre_warn("PPROF_HEAP=%s: want 1 or 0; ignored", v);
    }
    if ((v = val[PPROF__PRE_HEAP_PROFILE]) != NULL &&
        pprof__pre_path(pprof__pre.heap_path, "PPROF_HEAP_PROFILE", v, child)) {
        if (pprof__pre_touch("PPROF_HEAP_PROFILE", pprof__pre.heap_path)) heap = 1;
        else pprof__pre.heap_path[0] = 0;
    }
    if (heap) {
        size_t rate = 524288;
        if ((v = val[PPROF__PRE_HEAP_RATE]) != NULL &&
            pprof__pre_num("PPROF_HEAP_RATE", v, 1, LLONG_MAX, &n))
            rate = (size_t)n;
        pprof_set_heap_rate(rate);
    } else if (val[PPROF__PRE_HEAP_RATE]) {
        pprof__pre_warn("PPROF_HEAP_RATE without PPROF_HEAP=1: heap profiling stays off");
    }
    if ((v = val[PPROF__PRE_MUTEX]) != NULL &&
        pprof__pre_num("PPROF_MUTEX_FRACTION", v, 0, INT_MAX, &n))
        pprof_set_mutex_fraction((int)n);
    if ((v = val[PPROF__PRE_BLOCK]) != NULL &&
        pprof__pre_num("PPROF_BLOCK_RATE", v, 0, LONG_MAX, &n))
        pprof_set_block_rate((long)n);

    if ((v = val[PPROF__PRE_CPU]) != NULL &&
        pprof__pre_path(pprof__pre.cpu_path, "PPROF_CPU", v, child)) {
        const char *hz = val[PPROF__PRE_CPU_HZ];
        int rc;
        if (hz && pprof__pre_num("PPROF_CPU_HZ", hz, 1, 10000, &n)) pprof_set_cpu_rate((int)n);
        if (pprof__pre_touch("PPROF_CPU", pprof__pre.cpu_path)) {
            PPROF__INSIDE_ENTER();
            rc = pprof__cpu_start(NULL, &pprof__pre.cpu_gen, PPROF__CPU_TRACE_NONE, PPROF__CPU_PROFILE); /* kept in memory */
            PPROF__INSIDE_LEAVE();
            if (rc != PPROF_OK) {
                pprof__pre_warn("PPROF_CPU: %s; no CPU profile", pprof_strerror(rc));
                pprof__pre.cpu_gen = 0;
            }
        }
    }
    if ((v = val[PPROF__PRE_LISTEN]) != NULL) pprof__pre_listen(v, val[PPROF__PRE_TOKEN]);
    if (pprof__pre.cpu_gen || pprof__pre.heap_path[0]) {
        PPROF__INSIDE_ENTER(); /* the catcher thread's memory is not the program's */
        pprof__pre_catch();
        PPROF__INSIDE_LEAVE();
    }
}

static void pprof__pre_fini(void);

/* dlclose: the unwinder's snapshot forgets the object's code as soon as it is gone, so code
   a later dlopen puts at the same address is never walked by the old object's unwind table
   (the drain thread would notice within 20 ms; this leaves no window). glibc's dlclose does
   not depend on its caller, so it can be wrapped (dlopen, which searches its caller's
   RPATH, cannot). */
__attribute__((visibility("default"))) int dlclose(void *handle) {
    static int (*real)(void *);
    int rc, saved;
    if (!real) {
        void *f = dlsym((void *)-1l /* RTLD_NEXT */, "dlclose");
        memcpy(&real, &f, sizeof f);
        if (!real) return -1;
    }
    __atomic_add_fetch(&pprof__unw.unmaps, 1, __ATOMIC_SEQ_CST); /* a refresh reading maps */
    rc = real(handle);                                          /* now publishes nothing */
    __atomic_add_fetch(&pprof__unw.unmaps, 1, __ATOMIC_SEQ_CST);
    saved = errno;
    if (pprof__pre.pid == getpid() && __atomic_load_n(&pprof__sig.snap, __ATOMIC_ACQUIRE))
        pprof__cfi_refresh(NULL);
    errno = saved;
    return rc;
}

/* The profiles are written once, by whichever comes first: the exit path (main returned,
   exit() in any thread) or the writer thread (a terminating signal). The other waits until
   they are written; then, if a signal was caught, the process ends by it. */
static void pprof__pre_write(void);
static void pprof__pre_default(int sig);
static void pprof__pre_final(void) {
    int idle = 0, sig;
    if (__atomic_compare_exchange_n(&pprof__pre.final, &idle, 1, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&pprof__pre.writer_tid, pprof__os_gettid(), __ATOMIC_SEQ_CST);
        pprof__pre_write();
        __atomic_store_n(&pprof__pre.final, 2, __ATOMIC_SEQ_CST);
    }
    while (__atomic_load_n(&pprof__pre.final, __ATOMIC_SEQ_CST) != 2) pprof__os_sleep_ns(1000000);
    if ((sig = __atomic_load_n(&pprof__pre.sig, __ATOMIC_SEQ_CST)) != 0) {
        sigset_t s;
        pprof__pre_default(sig);
        sigemptyset(&s);
        sigaddset(&s, sig);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* (the writer thread blocks everything:
                                                   another thread takes it there) */
        kill(getpid(), sig); /* at its default, fatal at once: the whole process ends here */
    }
}

/* sigsafe: puts sig's real disposition back to SIG_DFL (not the program's view). */
static void pprof__pre_default(int sig) {
    struct sigaction d;
    memset(&d, 0, sizeof d);
    d.sa_handler = SIG_DFL;
    sigemptyset(&d.sa_mask);
    pprof__os_sigaction(sig, &d, NULL);
}
/* sigsafe: SIGINT, SIGTERM or SIGHUP at their default: the writer thread writes the profiles
   and raises the signal again. The thread that took the signal waits here meanwhile (at
   most 2 s: a lock it holds may be one the writer needs; then it goes on, as it would
   have after a handler), so the program does not run on as if the signal had not come.
   In a forked child (no writer there), or once the profiles are written, the signal acts
   at once, as it would have. No descriptor: the program may close them all. */
static void pprof__pre_on_signal(int sig) {
    int saved = errno, none = 0, i;
    if (getpid() != pprof__pre.pid || __atomic_load_n(&pprof__pre.final, __ATOMIC_SEQ_CST) == 2) {
        pprof__pre_default(sig);
        kill(getpid(), sig);
    } else {
        if (__atomic_compare_exchange_n(&pprof__pre.sig, &none, sig, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            pprof__os_wake(&pprof__pre.wake);
        for (i = 0; i < 2000 && __atomic_load_n(&pprof__pre.final, __ATOMIC_SEQ_CST) != 2 &&
                    __atomic_load_n(&pprof__pre.writer_tid, __ATOMIC_SEQ_CST) != pprof__os_gettid();
             i++)
            pprof__os_sleep_ns(1000000); /* (the writer's kill ends the process meanwhile) */
    }
    errno = saved;
}
static void *pprof__pre_writer(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&pprof__pre.wake, __ATOMIC_ACQUIRE))
        pprof__os_wait_ns(&pprof__pre.wake, 1000000000);
    pprof__pre_final(); /* ends the process as the signal would have */
    return NULL;
}
/* For the signals the program leaves at their default (checked now; a handler the program
   installs later replaces ours, and then the program decides how it ends; SIG_DFL set
   again puts ours back). */
static void pprof__pre_catch(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    pthread_t th;
    size_t i;
    if (pprof__os_thread(&th, pprof__pre_writer) != 0) return; /* it takes no signal */
    pthread_detach(th);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) /* the program still sees SIG_DFL */
        pprof__sig_catch(sigs[i], pprof__pre_on_signal);
}

/* Writes data to path (made or emptied at start), opened now by name. */
static void pprof__pre_put(const char *name, const char *path, const pprof__buf *data) {
    size_t off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        pprof__pre_warn("%s=%s: %s", name, path, strerror(errno));
        return;
    }
    while (off < data->len) {
        ssize_t n = write(fd, data->p + off, data->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            pprof__pre_warn("%s=%s: %s", name, path, n < 0 ? strerror(errno) : "short write");
            break;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0 && off == data->len)
        pprof__pre_warn("%s=%s: %s", name, path, strerror(errno));
}

static void pprof__pre_write(void) {
    pprof__buf b;
    int rc;
    PPROF__INSIDE_ENTER();
    if (pprof__pre.cpu_gen) {
        memset(&b, 0, sizeof b);
        if ((rc = pprof__cpu_stop(pprof__pre.cpu_gen, &b)) != PPROF_OK)
            pprof__pre_warn("PPROF_CPU=%s: %s", pprof__pre.cpu_path, pprof_strerror(rc));
        else
            pprof__pre_put("PPROF_CPU", pprof__pre.cpu_path, &b);
        PPROF_FREE(b.p);
        pprof__pre.cpu_gen = 0;
    }
    if (pprof__pre.heap_path[0]) {
        memset(&b, 0, sizeof b);
        if ((rc = pprof__named("heap", 0, NULL, 0, 0, &b)) != PPROF_OK)
            pprof__pre_warn("PPROF_HEAP_PROFILE=%s: %s", pprof__pre.heap_path, pprof_strerror(rc));
        else
            pprof__pre_put("PPROF_HEAP_PROFILE", pprof__pre.heap_path, &b);
        PPROF_FREE(b.p);
        pprof__pre.heap_path[0] = 0;
    }
    PPROF__INSIDE_LEAVE();
}

/* At exit (main returned, or exit() in any thread), in the profiling process only: a forked
   child has the same memory but no profile of its own. */
__attribute__((destructor)) static void pprof__pre_fini(void) {
    if (pprof__pre.pid == 0 || pprof__pre.pid != getpid()) return;
    pprof__pre_final();
}
