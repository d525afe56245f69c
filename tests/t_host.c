/* Never hurt the host (issue 14): the process model. fork while every kind of profile is
   being written (the single fork handler takes every lock in the one order), and the lock
   order checker of PPROF_DEBUG_LOCKS itself. */

static volatile int t_host_stop;
static FILE *t_host_null(void) {
    FILE *f = fopen("/dev/null", "wb");
    T_CHECK(f != NULL, "/dev/null: %s", strerror(errno));
    return f;
}

/* Waits for child pid at most 20 s (a child stuck on a lock held at the fork never ends):
   its exit status, or -1 after killing it. */
static int t_host_wait(pid_t pid) {
    int status, i;
    for (i = 0; i < 20000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0 && errno != EINTR) return -2;
        pprof__os_sleep_ns(1000000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* What a child does to prove it inherited every lock free and the state whole. */
static int t_host_child_work(int deep) {
    FILE *f = fopen("/dev/null", "wb");
    if (!f) return 20;
    if (pprof_label_push("child", "yes") != PPROF_OK) return 21;
    if (pprof_write_heap(f) != PPROF_OK) return 22;
    if (pprof_write_profile("mutex", f, 1) != PPROF_OK) return 23;
    pprof_label_pop();
    if (deep) {
        if (pprof_write_profile("goroutine", f, 2) != PPROF_OK) return 24;
        if (pprof_cpu_start(f) != PPROF_OK) return 25;
        if (pprof_cpu_stop() != PPROF_OK) return 26;
#ifndef PPROF_NO_HTTP
        if (pprof_listen(0) != PPROF_OK) return 27;
        if (pprof_shutdown() != PPROF_OK) return 28;
#endif
    }
    fclose(f);
    return 0;
}

static void *t_host_heap_writer(void *arg) {
    FILE *f = t_host_null();
    char val[16];
    long i = 0;
    while (!t_host_stop) {
        snprintf(val, sizeof val, "%ld", (long)(intptr_t)arg * 1000 + i++ % 7);
        pprof_label_push("writer", val);
        free(malloc(1000 + (size_t)(i % 300)));
        T_CHECK(pprof_write_heap(f) == PPROF_OK, "heap write");
        pprof_label_pop();
    }
    fclose(f);
    return NULL;
}

/* Case 1 of the issue, as it was found: the first label push comes after the first CPU
   profile and thread dump; two threads write labelled heap profiles; the main thread
   forks. (Lazily registered fork handlers took the label lock before the symbol lock, the
   writers the other way round: a deadlock within a second.) */
static void t_host_fork_labelled_heap(void) {
    pthread_t w[2];
    FILE *f = t_host_null();
    int i, rc;
    pprof_set_heap_rate(4096);
    T_CHECK(pprof_cpu_start(f) == PPROF_OK, "cpu start");
    t_run_threads(1, t_calibrate(0.05));
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "cpu stop");
    T_CHECK(pprof_write_profile("goroutine", f, 2) == PPROF_OK, "dump");
    t_host_stop = 0;
    for (i = 0; i < 2; i++) pthread_create(&w[i], NULL, t_host_heap_writer, (void *)(intptr_t)(i + 1));
    for (i = 0; i < 400; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(t_host_child_work(i % 50 == 0));
        T_CHECK(pid > 0, "fork %d: %s", i, strerror(errno));
        rc = t_host_wait(pid);
        T_CHECK(rc == 0, "fork %d: child %s (%d)", i, rc == -1 ? "hung: killed after 20 s" : "failed", rc);
    }
    t_host_stop = 1;
    for (i = 0; i < 2; i++) pthread_join(w[i], NULL);
    fclose(f);
}

/* The writers of every profile, each looping in a thread of its own. */
static void *t_host_w_cpu(void *arg) {
    FILE *f = t_host_null();
    (void)arg;
    while (!t_host_stop) { /* start/stop; BUSY while an HTTP profile runs */
        if (pprof_cpu_start(f) == PPROF_OK) {
            t_run_threads(1, t_calibrate(0.002) + 1);
            pprof_cpu_stop();
        } else {
            pprof__os_sleep_ns(2000000);
        }
    }
    fclose(f);
    return NULL;
}
static void *t_host_w_profile(void *arg) {
    static const char *const names[] = {"heap", "allocs", "block", "mutex", "goroutine", "threadcreate"};
    FILE *f = t_host_null();
    long i = 0;
    (void)arg;
    while (!t_host_stop) {
        const char *nm = names[i % 6];
        pprof_label_push("profile", nm);
        T_CHECK(pprof_write_profile(nm, f, (int)(i / 6 % 3)) == PPROF_OK, "write %s", nm);
        pprof_label_pop();
        i++;
    }
    fclose(f);
    return NULL;
}
static pthread_mutex_t t_host_mu = PTHREAD_MUTEX_INITIALIZER;
static void *t_host_w_contend(void *arg) { /* block and mutex events, labelled allocations */
    long i = 0;
    (void)arg;
    while (!t_host_stop) {
        pthread_mutex_lock(&t_host_mu);
        free(malloc(64 + (size_t)(i++ % 512)));
        pthread_mutex_unlock(&t_host_mu);
    }
    return NULL;
}
#ifndef PPROF_NO_HTTP
static int t_host_port;
static void *t_host_w_http(void *arg) {
    static const char *const paths[] = {
        "/debug/pprof/heap", "/debug/pprof/goroutine?debug=2", "/debug/pprof/trace?seconds=1",
        "/debug/pprof/profile?seconds=1", "/debug/pprof/mutex?debug=1", "/debug/pprof/",
        "/debug/pprof/allocs?debug=3", "/debug/pprof/cmdline"};
    long i = 0;
    (void)arg;
    while (!t_host_stop) {
        t_resp r;
        t_http_get(t_host_port, "GET", paths[i++ % 8], &r);
        free(r.raw);
    }
    return NULL;
}
#endif

/* Forks under every writer at once (CPU stop, heap/allocs/block/mutex/goroutine/
   threadcreate, the trace and profile endpoints), with sampling, labels, block and mutex
   profiles on: thousands of forks, no hang, and every child can use every lock. On a busy
   machine (issue 17) as many as 150 s allow, and at least 300 (a fork and its child's work
   take well under 0.5 s each, however busy the machine). */
static void t_host_fork_every_writer(void) {
    pthread_t th[6];
    int nth = 0, i, rc, forks = 2000, min_forks = 300;
    int64_t t0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    forks = 400; /* a sanitizer's fork copies its shadow's page tables */
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
    forks = 400;
#  endif
#endif
    pprof_set_heap_rate(512);
    pprof_set_block_rate(1000);
    pprof_set_mutex_fraction(1);
    t_host_stop = 0;
#ifndef PPROF_NO_HTTP
    t_host_port = t_http_start();
    pthread_create(&th[nth++], NULL, t_host_w_http, NULL);
#endif
    pthread_create(&th[nth++], NULL, t_host_w_cpu, NULL);
    pthread_create(&th[nth++], NULL, t_host_w_profile, NULL);
    pthread_create(&th[nth++], NULL, t_host_w_contend, NULL);
    pthread_create(&th[nth++], NULL, t_host_w_contend, NULL);
    t0 = pprof__os_mono_ns();
    for (i = 0; i < forks && pprof__os_mono_ns() - t0 < 150000000000LL; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(t_host_child_work(i % 100 == 0));
        T_CHECK(pid > 0, "fork %d: %s", i, strerror(errno));
        rc = t_host_wait(pid);
        T_CHECK(rc == 0, "fork %d: child %s (%d)", i, rc == -1 ? "hung: killed after 20 s" : "failed", rc);
    }
    T_CHECK(i >= min_forks || i == forks, "only %d forks in %.0f s (%.2f s each)", i,
            (double)(pprof__os_mono_ns() - t0) / 1e9, (double)(pprof__os_mono_ns() - t0) / 1e9 / i);
    forks = i;
    t_host_stop = 1;
    for (i = 0; i < nth; i++) pthread_join(th[i], NULL);
#ifndef PPROF_NO_HTTP
    {   /* the listener still serves */
        t_resp r;
        t_http_get(t_host_port, "GET", "/debug/pprof/goroutine?debug=1", &r);
        T_CHECK(r.status == 200, "after the forks: status %d", r.status);
        free(r.raw);
        T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    }
#endif
    fprintf(stderr, "note: %d forks in %.1f s\n", forks, (double)(pprof__os_mono_ns() - t0) / 1e9);
}

#ifndef PPROF_NO_HTTP
/* Case 2, with the header: a daemon closes every descriptor after pprof_listen and opens
   a pipe that gets the listening socket's number. The listener must neither read the
   pipe, nor spin on it, nor close it; it stops and pprof_shutdown touches nothing. */
static void t_host_listener_fd_reused(void) {
    int port = t_http_start(), fd, p[2], i;
    const char msg[] = "the program's own bytes";
    char got[64];
    int64_t c0, c1;
    fd = pprof__http.lsn.fd;
    for (i = 3; i < 1024; i++) close(i); /* as a daemon does */
    T_CHECK(pipe(p) == 0 && (p[0] == fd || p[1] == fd), "pipe %d %d, listener had %d", p[0], p[1], fd);
    T_CHECK(write(p[1], msg, sizeof msg) == (ssize_t)sizeof msg, "write");
    c0 = t_cpu_ns();
    for (i = 0; i < 40 && !__atomic_load_n(&pprof__http.lost, __ATOMIC_ACQUIRE); i++)
        pprof__os_sleep_ns(50000000);
    pprof__os_sleep_ns(300000000);
    c1 = t_cpu_ns();
    T_CHECK(__atomic_load_n(&pprof__http.lost, __ATOMIC_ACQUIRE), "the listener never noticed");
    T_CHECK(c1 - c0 < 150000000, "%.2f s of CPU while idle: the listener spins", (double)(c1 - c0) / 1e9);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    T_CHECK(read(p[0], got, sizeof got) == (ssize_t)sizeof msg && memcmp(got, msg, sizeof msg) == 0,
            "the pipe lost its bytes");
    T_CHECK(fcntl(p[0], F_GETFD) >= 0 && fcntl(p[1], F_GETFD) >= 0, "the pipe was closed");
    (void)port;
}

/* The program closes a request's connection (its number then its pipe) during a 2-second
   CPU profile: the answer must not go into the pipe, nor the pipe be closed. */
static int t_host_conn_port;
static void *t_host_slow_get(void *arg) {
    t_resp r;
    (void)arg;
    t_http_get(t_host_conn_port, "GET", "/debug/pprof/profile?seconds=2", &r);
    free(r.raw);
    return NULL;
}
static void t_host_conn_fd_reused(void) {
    pthread_t th;
    int fd = -1, i, p[2];
    char got[256];
    ssize_t n;
    t_host_conn_port = t_http_start();
    pthread_create(&th, NULL, t_host_slow_get, NULL);
    for (i = 0; i < 200 && fd < 0; i++) {
        int k;
        pprof__os_sleep_ns(10000000);
        pprof__lock(&pprof__http_conn_mu);
        for (k = 0; k < PPROF_HTTP_MAX_CONN; k++)
            if (pprof__http.conn[k].state == 1) fd = pprof__http.conn[k].id.fd;
        pprof__unlock(&pprof__http_conn_mu);
    }
    T_CHECK(fd >= 0, "no request thread");
    close(fd);
    T_CHECK(pipe(p) == 0 && (p[0] == fd || p[1] == fd), "pipe %d %d, the connection had %d", p[0], p[1], fd);
    T_CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "fcntl");
    pthread_join(th, NULL); /* the client sees the request end: its socket closed with the fd */
    pprof__os_sleep_ns(2500000000LL); /* the profile's 2 s are over: its answer is written */
    n = read(p[0], got, sizeof got);
    T_CHECK(n < 0 && errno == EAGAIN, "the pipe holds %zd bytes: %.40s", n, n > 0 ? got : "");
    T_CHECK(fcntl(p[0], F_GETFD) >= 0 && fcntl(p[1], F_GETFD) >= 0, "the pipe was closed");
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    T_CHECK(fcntl(p[0], F_GETFD) >= 0 && fcntl(p[1], F_GETFD) >= 0, "shutdown closed the pipe");
}
#  define T_HOST_HTTP_CASES \
    {"host_listener_socket_reused_by_program", t_host_listener_fd_reused, 30}, \
    {"host_request_socket_reused_by_program", t_host_conn_fd_reused, 30},
#else
#  define T_HOST_HTTP_CASES
#endif

/* Case 7: the main thread ends with pthread_exit while others run (procfs's /proc/self
   then reads empty maps, exe and cmdline). CPU, heap and goroutine profiles taken after
   must still name the workers' functions. */
static volatile int t_host_burn_stop;
static void *t_host_burner(void *arg) {
    unsigned long x = 1;
    (void)arg;
    while (!t_host_burn_stop) { x = hot_a(x, 1000); T_OPAQUE(x); }
    return NULL;
}
static void *t_host_after_leader(void *arg) {
    pthread_t leader = *(pthread_t *)arg, burner;
    char path[64], hpath[64] = "", *text;
    FILE *fp, *hp, *dp;
    prd_profile p;
    void *keep[64];
    size_t len = 0, i;
    int64_t b0, b1, w0;
    int attempt;
    pthread_create(&burner, NULL, t_host_burner, NULL);
    for (i = 0; i < 500; i++) { /* the leader is gone once /proc/self/maps reads empty */
        free(pprof__os_read_file("/proc/self/maps", &len));
        if (len == 0) break;
        pprof__os_sleep_ns(10000000);
    }
    T_CHECK(len == 0, "the main thread never ended (/proc/self/maps still reads)");
    (void)leader;
    fp = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "cpu start");
    b0 = t_thread_cpu_ns(burner); /* until the burner has had 0.2 s of CPU (issue 17) */
    w0 = pprof__os_mono_ns();
    do pprof__os_sleep_ns(10000000);
    while ((b1 = t_thread_cpu_ns(burner)) - b0 < 200000000 && pprof__os_mono_ns() - w0 < T_BUSY_WALL_NS);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "cpu stop");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    T_CHECK(t_flat(&p, "hot_a", 1) > 0, "CPU profile: hot_a not named after the main thread ended "
            "(the burner ran %.3f s CPU in the profile)", (double)(b1 - b0) / 1e9);
    T_CHECK(t_flat(&p, "[unmapped]", 1) == 0, "CPU profile: [unmapped] frames");
    prd_free(&p);
#ifdef T_HEAP_WRAP /* the malloc wrappers exist (not in sanitizer builds) */
    pprof_set_heap_rate(1);
    for (i = 0; i < 64; i++) keep[i] = t_site_m(1000);
    hp = t_tmpfile(hpath, sizeof hpath);
    T_CHECK(pprof_write_heap(hp) == PPROF_OK, "heap write");
    fclose(hp);
    memset(&p, 0, sizeof p);
    t_load(hpath, &p);
    T_CHECK(t_flat(&p, "t_site_m", 1) >= 64000, "heap profile: t_site_m has %lld bytes",
            (long long)t_flat(&p, "t_site_m", 1));
    prd_free(&p);
    for (i = 0; i < 64; i++) free(keep[i]);
#else
    (void)keep; (void)hp;
#endif
    /* A thread answers a dump's signal within 100 ms when it runs; a busy machine may not
       run the burner in that time (its dump then says "no answer within 100 ms"), so such a
       dump is taken again, at most 5 times; the message says what CPU the burner had. */
    for (attempt = 1;; attempt++) {
        dp = tmpfile();
        b0 = t_thread_cpu_ns(burner);
        T_CHECK(pprof_write_profile("goroutine", dp, 2) == PPROF_OK, "dump");
        b1 = t_thread_cpu_ns(burner);
        len = (size_t)ftell(dp);
        rewind(dp);
        text = (char *)calloc(1, len + 1);
        T_CHECK(fread(text, 1, len, dp) == len, "read dump");
        fclose(dp);
        if ((strstr(text, "hot_a") != NULL && strstr(text, "t_host_after_leader") != NULL) ||
            attempt == 5 || !strstr(text, "no answer within"))
            break;
        free(text);
    }
    T_CHECK(strstr(text, "hot_a") != NULL && strstr(text, "t_host_after_leader") != NULL,
            "dump %d lacks the workers' functions (the burner ran %.3f ms CPU while it was "
            "taken):\n%.1500s", attempt, (double)(b1 - b0) / 1e6, text);
    T_CHECK(strstr(text, "\t?") == NULL && strstr(text, "[unmapped]") == NULL,
            "dump has unnamed frames:\n%.1500s", text);
    free(text);
    t_host_burn_stop = 1;
    pthread_join(burner, NULL);
    unlink(path);
    if (hpath[0]) unlink(hpath);
    fflush(stdout);
    _exit(0); /* the test's end: the runner reads the status */
    return NULL;
}
static void t_host_leader_exits(void) {
    pthread_t self = pthread_self(), th;
    pthread_create(&th, NULL, t_host_after_leader, &self);
    pthread_exit(NULL);
}

/* Case 9: threads start while the process is out of descriptors (EMFILE), during a CPU
   profile. They must be timed (the drain thread holds /proc/self/task for the profile):
   their CPU, measured by their own clocks, appears in the profile. */
static void *t_host_burn_c(void *arg) {
    int64_t *used = (int64_t *)arg;
    struct timespec ts;
    unsigned long x = 1;
    do {
        x = hot_c(x, 2000);
        T_OPAQUE(x);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    } while ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec < 400000000);
    *used = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return NULL;
}
static void t_host_emfile_threads(void) {
    char path[64];
    FILE *fp = t_tmpfile(path, sizeof path);
    struct rlimit rl;
    pthread_t th[2];
    int64_t used[2], truth, got;
    int fds[512], nfd = 0, i;
    prd_profile p;
    pprof_set_cpu_rate(1000);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 256;
    T_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
    while (nfd < 512 && (fds[nfd] = open("/dev/null", O_RDONLY)) >= 0) nfd++;
    T_CHECK(nfd < 512 && errno == EMFILE, "descriptors not exhausted (%d)", nfd);
    for (i = 0; i < 2; i++) T_CHECK(pthread_create(&th[i], NULL, t_host_burn_c, &used[i]) == 0, "create");
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pprof__os_sleep_ns(50000000);
    while (nfd > 0) close(fds[--nfd]);
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    truth = used[0] + used[1];
    /* the threads' whole CPU: hot_c and their clock reads (a system call on some machines) */
    got = t_cum(&p, "t_host_burn_c", 1) + t_flat(&p, "pprof__thread_before_timer", 1);
    T_CHECK(got >= truth * 85 / 100 && got <= truth * 115 / 100,
            "threads started out of descriptors: %.3f s in the profile, %.3f s used",
            (double)got / 1e9, (double)truth / 1e9);
    fprintf(stderr, "note: %.3f s profiled of %.3f s used\n", (double)got / 1e9, (double)truth / 1e9);
    prd_free(&p);
    unlink(path);
}

#ifdef PPROF_DEBUG_LOCKS
/* The checker: a lock taken while one later in the order is held aborts the process. */
static void t_host_lock_order_checked(void) {
    pid_t pid = fork();
    int status;
    if (pid == 0) {
        close(2); /* its message is expected */
        pprof__lock(&pprof__sym_mu);
        pprof__lock(&pprof__cpu_mu); /* 4 after 6: against the order */
        _exit(0);
    }
    T_CHECK(pid > 0, "fork");
    waitpid(pid, &status, 0);
    T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %d: not aborted", status);
    pid = fork();
    if (pid == 0) { /* in order: fine */
        pprof__lock(&pprof__cpu_mu);
        pprof__lock(&pprof__sym_mu);
        pprof__unlock(&pprof__sym_mu);
        pprof__unlock(&pprof__cpu_mu);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}
#  define T_HOST_DEBUG_CASES {"host_lock_order_checker_aborts", t_host_lock_order_checked, 20},
#else
#  define T_HOST_DEBUG_CASES
#endif

/* Case 10: thread dumps and sleeping threads. 4 threads each make 10,000 calls of 100 us
   (2 nanosleep, 2 select with a timeout) while dumps run back to back, then again with one
   dump every 100 ms. A sleeping thread is read, not signalled; a running one is signalled
   once per dump, and if it enters a sleep between the read of its state and the signal,
   that sleep ends with EINTR (no design avoids this for a thread that runs). The counts
   are reported; what holds every time: at most one EINTR per thread per dump, and every
   EINTR'd nanosleep resumed for its remaining time slept its whole 100 us. */
static long t_host_eintr[4], t_host_calls[4], t_host_short;
static void *t_host_sleeper(void *arg) {
    int k = (int)(intptr_t)arg, i;
    for (i = 0; i < 10000; i++) {
        int rc;
        if (k < 2) {
            struct timespec ts = {0, 100000}, rem;
            int64_t t0 = pprof__os_mono_ns();
            rc = nanosleep(&ts, &rem);
            if (rc != 0 && errno == EINTR) {
                t_host_eintr[k]++;
                while (nanosleep(&rem, &rem) != 0 && errno == EINTR) {}
                if (pprof__os_mono_ns() - t0 < 100000) __atomic_add_fetch(&t_host_short, 1, __ATOMIC_RELAXED);
            }
        } else {
            struct timeval tv = {0, 100};
            rc = select(0, NULL, NULL, NULL, &tv);
            if (rc < 0 && errno == EINTR) t_host_eintr[k]++;
        }
        __atomic_store_n(&t_host_calls[k], i + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}
static void t_host_dumps_eintr(void) {
    FILE *f = t_host_null();
    int mode;
    for (mode = 0; mode < 2; mode++) {
        pthread_t th[4];
        long dumps = 0, total = 0;
        int i, done = 0;
        memset(t_host_eintr, 0, sizeof t_host_eintr);
        memset(t_host_calls, 0, sizeof t_host_calls);
        for (i = 0; i < 4; i++) pthread_create(&th[i], NULL, t_host_sleeper, (void *)(intptr_t)i);
        while (!done) {
            T_CHECK(pprof_write_profile("goroutine", f, 2) == PPROF_OK, "dump");
            dumps++;
            if (mode == 1) pprof__os_sleep_ns(100000000);
            for (i = 0, done = 1; i < 4; i++)
                if (__atomic_load_n(&t_host_calls[i], __ATOMIC_ACQUIRE) < 10000) done = 0;
        }
        for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
        for (i = 0; i < 4; i++) {
            T_CHECK(t_host_eintr[i] <= dumps, "thread %d: %ld EINTR in %ld dumps", i, t_host_eintr[i], dumps);
            total += t_host_eintr[i];
        }
        fprintf(stderr, "note: %s: %ld dumps, EINTR in %ld of 40000 calls (nanosleep %ld, select %ld)\n",
                mode ? "a dump every 100 ms" : "dumps back to back", dumps, total,
                t_host_eintr[0] + t_host_eintr[1], t_host_eintr[2] + t_host_eintr[3]);
    }
    T_CHECK(t_host_short == 0, "%ld nanosleeps resumed after EINTR slept short", t_host_short);
    fclose(f);
}

#ifdef T_HEAP_WRAP
/* inuse_space and inuse_objects of fn in a heap profile written now */
static void t_host_heap_now(const char *fn, int64_t *bytes, int64_t *objs) {
    char path[64];
    FILE *f = t_tmpfile(path, sizeof path);
    prd_profile p;
    T_CHECK(pprof_write_heap(f) == PPROF_OK, "heap write");
    fclose(f);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    *objs = t_flat(&p, fn, 2);
    *bytes = t_flat(&p, fn, 3);
    prd_free(&p);
    unlink(path);
}

/* the in-use objects and bytes of the heap debug=1 text's record whose frames name fn */
static void t_host_heap_text(const char *fn, int64_t *bytes, int64_t *objs) {
    char *buf = NULL, *hit, *rec, *p;
    size_t len = 0;
    long long o = -1, b = -1;
    FILE *f = open_memstream(&buf, &len);
    T_CHECK(f != NULL && pprof_write_profile("heap", f, 1) == PPROF_OK, "heap debug=1 write");
    if (f) fclose(f);
    T_CHECK(buf && strstr(buf, " @ heap/2\n"), "debug=1 header: %.100s", buf ? buf : "");
    if (buf && (hit = strstr(buf, fn)) != NULL) {
        rec = strchr(buf, '\n') + 1; /* records: after the header line, then after blank lines */
        for (p = rec; (p = strstr(p, "\n\n")) != NULL && p < hit; p += 2) rec = p + 2;
        if (sscanf(rec, "%lld: %lld [", &o, &b) != 2) o = b = -1;
    }
    free(buf);
    *objs = o;
    *bytes = b;
}

/* Case 8: pprof_set_heap_rate changed while sampled blocks live (default, 0, 1, default).
   64 MiB live at t_site_m from the default rate (about 128 samples: 30% is 3.4 standard
   deviations), 1000 blocks of 1000 bytes at t_site_c at rate 1 (exact). After every change
   both sites report their live set: each sample keeps the weight of the rate it was taken
   at, in the protobuf and in the debug=1 text alike. (Scaled by the rate at write time, t_site_m read 100x too small at 0 and t_site_c
   500x too big back at the default.) */
static void t_host_heap_rate_changes(void) {
    enum { NA = 16384, NB = 1000 };
    static void *a[NA], *b[NB];
    const double want_a = (double)NA * 4096;
    int64_t ab, ao, bb, bo, tb, to;
    int i, step;
    pprof_set_heap_rate(524288);
    for (i = 0; i < NA; i++) a[i] = t_site_m(4096);
    for (step = 0; step < 3; step++) {
        if (step == 0) pprof_set_heap_rate(0);
        if (step == 1) {
            pprof_set_heap_rate(1);
            for (i = 0; i < NB; i++) b[i] = t_site_c(1, 1000);
        }
        if (step == 2) pprof_set_heap_rate(524288);
        t_host_heap_now("t_site_m", &ab, &ao);
        T_CHECK(ab > 0.7 * want_a && ab < 1.3 * want_a,
                "after change %d: t_site_m in use %lld bytes, %.0f live", step, (long long)ab, want_a);
        T_CHECK(ao > 0.7 * NA && ao < 1.3 * NA, "after change %d: t_site_m %lld objects, %d live",
                step, (long long)ao, NA);
        t_host_heap_text("t_site_m", &tb, &to); /* the legacy text: the same estimates */
        T_CHECK(tb == ab && to == ao, "after change %d: debug=1 text t_site_m %lld bytes %lld objects, "
                "protobuf %lld %lld", step, (long long)tb, (long long)to, (long long)ab, (long long)ao);
        t_host_heap_now("t_site_c", &bb, &bo);
        T_CHECK(step == 0 ? bb == 0 : bb == (int64_t)NB * 1000 && bo == NB,
                "after change %d: t_site_c in use %lld bytes %lld objects", step, (long long)bb,
                (long long)bo);
    }
    fprintf(stderr, "note: t_site_m %lld bytes of %.0f at the end\n", (long long)ab, want_a);
    for (i = 0; i < NA; i++) free(a[i]);
    for (i = 0; i < NB; i++) free(b[i]);
    t_host_heap_now("t_site_m", &ab, &ao);
    T_CHECK(ab == 0 && ao == 0, "all freed: t_site_m %lld bytes %lld objects", (long long)ab, (long long)ao);
}
#  define T_HOST_HEAP_CASES {"host_heap_rate_changes_keep_each_samples_weight", t_host_heap_rate_changes, 60},
#else
#  define T_HOST_HEAP_CASES
#endif

#define T_HOST_CASES \
    {"host_fork_while_labelled_heap_writers", t_host_fork_labelled_heap, 120}, \
    {"host_fork_under_every_writer", t_host_fork_every_writer, 240}, \
    T_HOST_HTTP_CASES \
    {"host_main_thread_pthread_exit", t_host_leader_exits, 60}, \
    {"host_threads_start_out_of_descriptors", t_host_emfile_threads, 60}, \
    {"host_thread_dumps_and_sleeping_threads_eintr", t_host_dumps_eintr, 180}, \
    T_HOST_HEAP_CASES \
    T_HOST_DEBUG_CASES
