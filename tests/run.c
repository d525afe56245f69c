/* The test runner: one translation unit that defines PPROF_IMPLEMENTATION and includes
   every t_<tag>.c, so tests reach the internals. Each test runs in a forked child with an
   alarm (timers, handlers and threads are process-wide), so a crash or hang is one FAIL.

   Usage:  run [-l] [NAME-SUBSTRING ...]      -l lists the tests
           run --workload OUT.pb.gz SECONDS   (used by t_tools.c: profile a known workload)
   Environment: PPROF_TEST_STRICT=1 turns SKIP into FAIL (CI sets it).
   Prints PASS/FAIL/SKIP lines and ends with "N passed, N failed, N skipped".          */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC      /* every test runs with the process's malloc wrapped */
#define PPROF_WRAP_PTHREAD     /* and its pthread locks, waits and thread starts */
#define PPROF_HTTP_TIMEOUT_S 2 /* so the slow-client test takes 2 s, not 10 */
#define PPROF_HTTP_IDLE_S 3    /* and the idle kept connection 3 s, not 60 */
#include "../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../tools/pprof_read.h"

#include <math.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <poll.h>

typedef struct t_case {
    const char *name;
    void (*fn)(void);
    int timeout_s;
} t_case;

static const char *t_self_path; /* argv[0] as given */

/* A failed check ends the child with a message; the parent prints it. */
#define T_CHECK(cond, ...) do { if (!(cond)) t_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)
#define T_SKIP(...) t_skip(__VA_ARGS__)

static void t_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s:%d: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    _exit(1);
}
static void t_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    _exit(77);
}

#include "t_util.c"
#include "t_pb.c"
#include "t_unw.c"
#include "t_sym.c"
#include "t_err.c"
#include "t_cpu.c"
#include "t_fork.c"
#include "t_tools.c"
#include "t_http.c"
#include "t_heap.c"
#include "t_sync.c"
#include "t_fault.c"
#include "t_label.c"
#include "t_web.c"
#include "t_cfi.c"
#include "t_host.c"

static const t_case t_cases[] = {
    T_PB_CASES
    T_UNW_CASES
    T_SYM_CASES
    T_ERR_CASES
    T_CPU_CASES
    T_FORK_CASES
    T_TOOLS_CASES
    T_HTTP_CASES
    T_HEAP_CASES
    T_SYNC_CASES
    T_FAULT_CASES
    T_LABEL_CASES
    T_WEB_CASES
    T_CFI_CASES
    T_HOST_CASES
};

/* A test's timeout catches a hang; on a busy machine (issue 17) the work of a test that does
   not hang takes longer, so the timeout grows with the load: x the 1-minute load average per
   CPU when it is above 1, at most x4. */
static int t_timeout_s(const t_case *c) {
    double load;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double f = getloadavg(&load, 1) == 1 ? load / (double)(ncpu > 0 ? ncpu : 1) : 1;
    return (int)((double)c->timeout_s * (f < 1 ? 1 : f > 4 ? 4 : f) + 0.5);
}

static int t_run_one(const t_case *c, int strict) {
    int pipefd[2], status = 0, rc, timeout_s = t_timeout_s(c);
    char out[4096];
    size_t len = 0;
    pid_t pid;
    ssize_t r;
    if (pipe(pipefd) != 0) { perror("pipe"); return 1; }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: whatever it started dies with it */
        close(pipefd[0]);
        dup2(pipefd[1], 2);
        alarm((unsigned)timeout_s);
        c->fn();
        fflush(stdout);
        _exit(0);
    }
    close(pipefd[1]);
    /* read its messages until it exits (not until EOF: a tool it started may hold the pipe),
       then kill whatever it left running (go tool pprof -http) and take the rest */
    for (;;) {
        struct pollfd p;
        p.fd = pipefd[0];
        p.events = POLLIN;
        if (poll(&p, 1, 100) > 0 && (r = read(pipefd[0], out + len, sizeof out - 1 - len)) > 0)
            len += (size_t)r;
        if (len == sizeof out - 1) len = 0; /* keep the tail of a flood */
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) break;
    }
    kill(-pid, SIGKILL);
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    while (len < sizeof out - 1 && (r = read(pipefd[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)r;
    if (len >= sizeof out) len = sizeof out - 1;
    out[len] = 0;
    close(pipefd[0]);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ')) out[--len] = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        char *note = strstr(out, "note: ");
        printf("PASS  %s\n", c->name);
        if (note) printf("      %s\n", note); /* figures a test reports on success */
        rc = 0;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        if (strict) {
            printf("FAIL  %s: SKIP not allowed (PPROF_TEST_STRICT=1): %s\n", c->name, out);
            rc = 1;
        } else {
            printf("SKIP  %s: %s\n", c->name, out);
            rc = 2;
        }
    } else {
        char why[64] = "";
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
            snprintf(why, sizeof why, " (timeout: %d s)", timeout_s);
        if (WIFSIGNALED(status))
            printf("FAIL  %s: killed by signal %d%s %s\n", c->name, WTERMSIG(status), why, out);
        else
            printf("FAIL  %s: %s\n", c->name, out[0] ? out : "exit status non-zero");
        rc = 1;
    }
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv) {
    size_t i, n = sizeof t_cases / sizeof t_cases[0];
    int passed = 0, failed = 0, skipped = 0, list = 0, a;
    const char *strict_env = getenv("PPROF_TEST_STRICT");
    int strict = strict_env && strcmp(strict_env, "1") == 0;
    t_self_path = argv[0];
    if (argc >= 4 && strcmp(argv[1], "--workload") == 0) return t_workload_main(argv[2], atoi(argv[3]));
    for (a = 1; a < argc; a++)
        if (strcmp(argv[a], "-l") == 0) list = 1;
    for (i = 0; i < n; i++) {
        int match = 1, rc;
        for (a = 1; a < argc; a++) {
            if (argv[a][0] == '-') continue;
            match = 0;
            if (strstr(t_cases[i].name, argv[a])) { match = 1; break; }
        }
        for (a = 1; a < argc; a++) /* -xNAME: leave out the cases whose name holds NAME */
            if (strncmp(argv[a], "-x", 2) == 0 && argv[a][2] && strstr(t_cases[i].name, argv[a] + 2))
                match = 0;
        if (!match) continue;
        if (list) { printf("%s\n", t_cases[i].name); continue; }
        rc = t_run_one(&t_cases[i], strict);
        if (rc == 0) passed++;
        else if (rc == 1) failed++;
        else skipped++;
    }
    if (!list) {
        if (skipped) printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
        else printf("%d passed, %d failed\n", passed, failed);
    }
    return failed ? 1 : 0;
}
