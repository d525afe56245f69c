/* daemon.c - a daemon-style program for tests/host.sh (issue 14, case 2): at start it closes
 * descriptors 3..1023 as daemons do, then reuses the lowest numbers for its own objects.
 *   daemon log PATH   opens its log (fd 3), burns ~0.5 s of CPU, writes 40 lines around
 *                     the burn, checks every write(); prints "fd N" and "cpu S" (seconds of
 *                     CPU it used, getrusage). Exit 0, or 2 when a write failed.
 *   daemon pipe       sleeps 1 s with no descriptor above 2 open, then opens /dev/null
 *                     (fd 3) and 4 pipes (fds 4..11), writes a known message into each
 *                     pipe, sleeps 1 s, reads every message back and checks it is intact.
 *                     Prints "idle_cpu_closed S" and "idle_cpu_reused S" (CPU the whole
 *                     process used during each sleep), "fds A..B" and "pipes ok". Exit 0,
 *                     3 when a message was lost or changed, 4 when the process burned 0.3 s
 *                     or more of CPU during a sleep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpu_used(void) { /* the process's user + system CPU, seconds */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;
static void burn(double secs) {
    double t0 = thread_cpu();
    unsigned long x = 1;
    while (thread_cpu() - t0 < secs)
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
    sink = x;
}

/* every byte written, or a message and exit 2 */
static void write_all(int fd, const char *s) {
    size_t n = strlen(s);
    ssize_t w = write(fd, s, n);
    if (w != (ssize_t)n) {
        fprintf(stderr, "daemon: write to fd %d returned %zd (%s)\n", fd, w, w < 0 ? strerror(errno) : "short");
        exit(2);
    }
}

static int log_mode(const char *path) {
    char line[100];
    int fd, i;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    printf("fd %d\n", fd);
    for (i = 0; i < 20; i++) {
        snprintf(line, sizeof line, "daemon log line %d: starting\n", i);
        write_all(fd, line);
    }
    burn(0.5);
    for (i = 20; i < 40; i++) {
        snprintf(line, sizeof line, "daemon log line %d: done\n", i);
        write_all(fd, line);
    }
    printf("cpu %.3f\n", cpu_used());
    return 0; /* the log stays open until exit, as daemons leave it */
}

/* the CPU the process used during a 1 s sleep */
static double idle_second(void) {
    double c0 = cpu_used();
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 1;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {}
    return cpu_used() - c0;
}

static int pipe_mode(void) {
    enum { NPIPES = 4 };
    int p[NPIPES][2], i, null;
    char msg[NPIPES][64], back[64];
    double closed, reused;
    fflush(stdout);
    closed = idle_second();                /* nothing open: numbers 3.. are free */
    printf("idle_cpu_closed %.3f\n", closed);
    null = open("/dev/null", O_RDONLY);    /* 3 */
    for (i = 0; i < NPIPES; i++) {         /* 4..11 */
        if (pipe(p[i]) != 0) {
            perror("pipe");
            return 1;
        }
        snprintf(msg[i], sizeof msg[i], "message %d through pipe %d->%d", i, p[i][1], p[i][0]);
        write_all(p[i][1], msg[i]);
    }
    printf("fds %d..%d\n", null, p[NPIPES - 1][1]);
    fflush(stdout);
    reused = idle_second();
    printf("idle_cpu_reused %.3f\n", reused);
    for (i = 0; i < NPIPES; i++) {
        size_t want = strlen(msg[i]);
        ssize_t r;
        int fl = fcntl(p[i][0], F_GETFL);
        fcntl(p[i][0], F_SETFL, fl | O_NONBLOCK); /* a drained pipe must not hang the test */
        memset(back, 0, sizeof back);
        r = read(p[i][0], back, sizeof back);
        if (r != (ssize_t)want || memcmp(back, msg[i], want) != 0) {
            printf("pipe %d: read %zd bytes '%.*s' (%s), wrote '%s'\n", i, r, r > 0 ? (int)r : 0,
                   back, r < 0 ? strerror(errno) : "", msg[i]);
            return 3;
        }
    }
    printf("pipes ok\n");
    return closed < 0.3 && reused < 0.3 ? 0 : 4;
}

int main(int argc, char **argv) {
    int fd;
    for (fd = 3; fd < 1024; fd++) close(fd); /* the daemon's ritual */
    if (argc == 3 && strcmp(argv[1], "log") == 0) return log_mode(argv[2]);
    if (argc == 2 && strcmp(argv[1], "pipe") == 0) return pipe_mode();
    fprintf(stderr, "usage: daemon log PATH | daemon pipe\n");
    return 1;
}
