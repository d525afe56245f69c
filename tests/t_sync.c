/* Mutex, block, threadcreate and thread-dump profiles. run.c defines PPROF_WRAP_PTHREAD:
   the whole runner's pthread calls go through the wrappers (not under sanitizers, which
   intercept pthreads themselves: there only the setters' and the dump's tests run). */

static int64_t t_now_ns(void) { return pprof__os_mono_ns(); }

/* Sum of values[vi] over samples having fn among their first `depth` frames. */
static __attribute__((unused)) int64_t t_at(const prd_profile *p, const char *fn, int depth, int vi) {
    int64_t sum = 0;
    int i, f;
    for (i = 0; i < p->nsample; i++)
        for (f = 0; f < p->sample[i].nlocation && f < depth; f++)
            if (t_streq(t_frame(p, &p->sample[i], f), fn)) { sum += p->sample[i].value[vi]; break; }
    return sum;
}

static void t_sync_setters(void) {
    T_CHECK(pprof_set_mutex_fraction(-1) == PPROF_ERR_FRACTION, "negative fraction");
    T_CHECK(pprof_set_block_rate(-5) == PPROF_ERR_FRACTION, "negative rate");
    T_CHECK(pprof_set_mutex_fraction(0) == PPROF_OK && pprof_set_block_rate(0) == PPROF_OK, "off");
    T_CHECK(pprof_set_mutex_fraction(5) == PPROF_OK && pprof_set_block_rate(10000) == PPROF_OK, "on");
}

#if PPROF__WRAPSYNC
#define T_SYNC_WRAP 1
static pthread_mutex_t t_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t t_waited[8];

T_NOINLINE void t_release_site(void) { pthread_mutex_unlock(&t_mu); T_OPAQUE(t_mu.__size[0]); }
T_NOINLINE void t_wait_site(void) { pthread_mutex_lock(&t_mu); T_OPAQUE(t_mu.__size[0]); }
T_NOINLINE void t_waiter_unlock(void) { pthread_mutex_unlock(&t_mu); T_OPAQUE(t_mu.__size[0]); }
T_NOINLINE void t_uncontended_site(pthread_mutex_t *m) { pthread_mutex_lock(m); pthread_mutex_unlock(m); T_OPAQUE(m); }

static void *t_waiter(void *arg) {
    int i = (int)(intptr_t)arg;
    int64_t t0 = t_now_ns();
    t_wait_site();
    t_waited[i] = t_now_ns() - t0; /* what the program measures itself */
    t_waiter_unlock();
    return NULL;
}

static void t_sync_profile(const char *name, prd_profile *p) {
    char path[64];
    FILE *f = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_profile(name, f, 0) == PPROF_OK, "write %s", name);
    fclose(f);
    t_load(path, p);
    unlink(path);
}

/* One lock held 300 ms by one site, waited on by three threads: block charges the waiting
   site with their waits, mutex charges the holder's release; uncontended records nothing. */
static void t_sync_lock_block_and_mutex(void) {
    pthread_t th[3];
    pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
    prd_profile p;
    int i;
    int64_t sum = 0, got;
    pprof_set_block_rate(1);
    pprof_set_mutex_fraction(1);
    for (i = 0; i < 1000; i++) t_uncontended_site(&other);
    pthread_mutex_lock(&t_mu);
    for (i = 0; i < 3; i++) pthread_create(&th[i], NULL, t_waiter, (void *)(intptr_t)i);
    pprof__os_sleep_ns(300000000);
    t_release_site();
    for (i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (i = 0; i < 3; i++) sum += t_waited[i];
    t_sync_profile("block", &p);
    T_CHECK(prd_sample_type_index(&p, "delay") == 1 && t_streq(prd_str(&p, p.period_type.type), "contentions"),
            "block types");
    got = t_at(&p, "t_wait_site", 1, 1);
    T_CHECK(fabs((double)got / (double)sum - 1) < 0.2, "block delay at the waiting site %lld, measured %lld",
            (long long)got, (long long)sum);
    T_CHECK(t_at(&p, "t_wait_site", 1, 0) == 3, "3 contentions, got %lld", (long long)t_at(&p, "t_wait_site", 1, 0));
    T_CHECK(t_at(&p, "t_uncontended_site", 1, 0) == 0, "uncontended lock in block");
    prd_free(&p);
    t_sync_profile("mutex", &p);
    got = t_at(&p, "t_release_site", 1, 1);
    T_CHECK(got > 0.8 * (double)sum && got < 1.2 * (double)sum,
            "mutex delay at the release site %lld, waits %lld", (long long)got, (long long)sum);
    T_CHECK(t_at(&p, "t_uncontended_site", 1, 0) == 0 && t_at(&p, "t_wait_site", 1, 0) == 0,
            "mutex charges only unlockers");
    prd_free(&p);
    {   /* text as Go's */
        char path[64], buf[4096];
        FILE *f = t_tmpfile(path, sizeof path);
        size_t n;
        T_CHECK(pprof_write_profile("mutex", f, 1) == PPROF_OK, "text");
        rewind(f);
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        unlink(path);
        T_CHECK(strncmp(buf, "--- mutex:\ncycles/second=1000000000\nsampling period=1\n", 53) == 0 &&
                strstr(buf, "\tt_release_site+0x"), "mutex text:\n%s", buf);
    }
    /* fraction 0: nothing more is recorded */
    pprof_set_mutex_fraction(0);
    pprof_set_block_rate(0);
    pthread_mutex_lock(&t_mu);
    pthread_create(&th[0], NULL, t_waiter, (void *)(intptr_t)0);
    pprof__os_sleep_ns(50000000);
    t_release_site();
    pthread_join(th[0], NULL);
    t_sync_profile("block", &p);
    T_CHECK(t_at(&p, "t_wait_site", 1, 0) == 3, "recorded while off");
    prd_free(&p);
}

static pthread_cond_t t_cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t t_rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t t_sem;
static int t_cv_go;
T_NOINLINE void t_cond_site(void) {
    pthread_mutex_lock(&t_mu);
    while (!t_cv_go) pthread_cond_wait(&t_cv, &t_mu);
    pthread_mutex_unlock(&t_mu);
}
T_NOINLINE void t_rd_site(void) { pthread_rwlock_rdlock(&t_rw); pthread_rwlock_unlock(&t_rw); T_OPAQUE(t_rw.__size[0]); }
T_NOINLINE void t_sem_site(void) { sem_wait(&t_sem); T_OPAQUE(t_sem.__size[0]); }
static void *t_cond_thread(void *a) { (void)a; t_cond_site(); return NULL; }
static void *t_rd_thread(void *a) { (void)a; t_rd_site(); return NULL; }
static void *t_sem_thread(void *a) { (void)a; t_sem_site(); return NULL; }
static void *t_sleep_thread(void *a) { (void)a; pprof__os_sleep_ns(100000000); return NULL; }
T_NOINLINE void t_join_site(pthread_t th) { pthread_join(th, NULL); T_OPAQUE(th); }

/* Condition, rwlock, semaphore and join waits each at their waiting site. */
static void t_sync_other_waits(void) {
    pthread_t a, b, c, d;
    prd_profile p;
    pprof_set_block_rate(1000000); /* 1 ms: these 100 ms waits are always recorded */
    sem_init(&t_sem, 0, 0);
    pthread_create(&a, NULL, t_cond_thread, NULL);
    pthread_rwlock_wrlock(&t_rw);
    pthread_create(&b, NULL, t_rd_thread, NULL);
    pthread_create(&c, NULL, t_sem_thread, NULL);
    pprof__os_sleep_ns(100000000);
    pthread_mutex_lock(&t_mu);
    t_cv_go = 1;
    pthread_cond_broadcast(&t_cv);
    pthread_mutex_unlock(&t_mu);
    pthread_rwlock_unlock(&t_rw);
    sem_post(&t_sem);
    pthread_create(&d, NULL, t_sleep_thread, NULL); /* sleeps 100 ms: the join waits */
    t_join_site(d);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_join(c, NULL);
    t_sync_profile("block", &p);
    T_CHECK(t_at(&p, "t_cond_site", 1, 1) > 50000000, "cond wait %lld", (long long)t_at(&p, "t_cond_site", 1, 1));
    T_CHECK(t_at(&p, "t_rd_site", 1, 1) > 50000000, "rwlock wait %lld", (long long)t_at(&p, "t_rd_site", 1, 1));
    T_CHECK(t_at(&p, "t_sem_site", 1, 1) > 50000000, "sem wait %lld", (long long)t_at(&p, "t_sem_site", 1, 1));
    T_CHECK(t_at(&p, "t_join_site", 1, 1) > 50000000, "join wait %lld", (long long)t_at(&p, "t_join_site", 1, 1));
    prd_free(&p);
}

/* Failing trylock, errorcheck and robust mutexes behave as without the wrappers. */
static void t_sync_bad_input(void) {
    pthread_mutex_t m;
    pthread_mutexattr_t at;
    int k;
    for (k = 0; k < 2; k++) {
        pprof_set_mutex_fraction(k);
        pprof_set_block_rate(k);
        pthread_mutex_init(&m, NULL);
        pthread_mutex_lock(&m);
        T_CHECK(pthread_mutex_trylock(&m) == EBUSY, "trylock of a held lock");
        pthread_mutex_unlock(&m);
        pthread_mutexattr_init(&at);
        pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_init(&m, &at);
        T_CHECK(pthread_mutex_unlock(&m) == EPERM, "errorcheck: unlock unowned");
        T_CHECK(pthread_mutex_lock(&m) == 0 && pthread_mutex_lock(&m) == EDEADLK, "errorcheck: relock");
        T_CHECK(pthread_mutex_unlock(&m) == 0, "errorcheck unlock");
        pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&m, &at);
        T_CHECK(pthread_mutex_lock(&m) == 0 && pthread_mutex_lock(&m) == 0 && pthread_mutex_unlock(&m) == 0 &&
                pthread_mutex_unlock(&m) == 0, "recursive");
        pthread_mutexattr_destroy(&at);
        {   /* sem_timedwait checks its time even when the semaphore is free */
            sem_t sem;
            struct timespec bad = {0, 2000000000L};
            sem_init(&sem, 0, 1);
            errno = 0;
            T_CHECK(sem_timedwait(&sem, &bad) == -1 && errno == EINVAL, "sem_timedwait bad time");
            T_CHECK(sem_trywait(&sem) == 0, "the semaphore was not taken");
            sem_destroy(&sem);
        }
    }
}

static pthread_mutex_t t_robust;
static void *t_robust_owner(void *a) { (void)a; pthread_mutex_lock(&t_robust); return NULL; } /* exits holding it */
static void t_sync_robust(void) {
    pthread_mutexattr_t at;
    pthread_t th;
    int k;
    for (k = 0; k < 2; k++) {
        pprof_set_mutex_fraction(k);
        pprof_set_block_rate(k);
        pthread_mutexattr_init(&at);
        pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&t_robust, &at);
        pthread_create(&th, NULL, t_robust_owner, NULL);
        pthread_join(th, NULL);
        T_CHECK(pthread_mutex_lock(&t_robust) == EOWNERDEAD, "robust: owner died");
        T_CHECK(pthread_mutex_consistent(&t_robust) == 0 && pthread_mutex_unlock(&t_robust) == 0, "consistent");
        pthread_mutexattr_destroy(&at);
    }
}

T_NOINLINE void t_tc_site_a(pthread_t *th) { pthread_create(th, NULL, t_sleep_thread, NULL); T_OPAQUE(th); }
T_NOINLINE void t_tc_site_b(pthread_t *th) { pthread_create(th, NULL, t_sleep_thread, NULL); T_OPAQUE(th); }

/* threadcreate: exact per creating site, threads gone included. */
static void t_sync_threadcreate(void) {
    pthread_t th[7];
    prd_profile p;
    int i;
    for (i = 0; i < 5; i++) t_tc_site_a(&th[i]);
    for (i = 5; i < 7; i++) t_tc_site_b(&th[i]);
    for (i = 0; i < 7; i++) pthread_join(th[i], NULL);
    {   /* a creation that fails is not counted */
        pthread_attr_t at;
        pthread_t x;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, (size_t)1 << 46);
        if (pthread_create(&x, &at, t_sleep_thread, NULL) == 0) pthread_join(x, NULL);
        else t_tc_site_a(&th[0]), pthread_join(th[0], NULL), i = -1;
        pthread_attr_destroy(&at);
    }
    t_sync_profile("threadcreate", &p);
    T_CHECK(t_at(&p, "t_tc_site_a", 1, 0) == (i == -1 ? 6 : 5) && t_at(&p, "t_tc_site_b", 1, 0) == 2,
            "threadcreate a %lld b %lld", (long long)t_at(&p, "t_tc_site_a", 1, 0),
            (long long)t_at(&p, "t_tc_site_b", 1, 0));
    prd_free(&p);
}
static void *t_sync_contend_later(void *a) {
    pthread_t w;
    (void)a;
    pprof__os_sleep_ns(300000000);
    pthread_mutex_lock(&t_mu);
    pthread_create(&w, NULL, t_waiter, (void *)(intptr_t)0);
    pprof__os_sleep_ns(50000000);
    t_release_site();
    pthread_join(w, NULL);
    return NULL;
}

/* /debug/pprof/block?seconds=1: the window's contentions only; mutex and threadcreate too. */
static void t_sync_http_window(void) {
    pthread_t th, w;
    t_resp r;
    prd_profile p;
    int port;
    pprof_set_block_rate(1);
    pprof_set_mutex_fraction(1);
    pthread_mutex_lock(&t_mu); /* one contention before the window */
    pthread_create(&w, NULL, t_waiter, (void *)(intptr_t)0);
    pprof__os_sleep_ns(50000000);
    t_release_site();
    pthread_join(w, NULL);
    port = t_http_start();
    pthread_create(&th, NULL, t_sync_contend_later, NULL);
    t_http_get(port, "GET", "/debug/pprof/block?seconds=1", &r);
    pthread_join(th, NULL);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"block-delta\"") &&
            prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0, "block delta %d", r.status);
    T_CHECK(t_at(&p, "t_wait_site", 1, 0) == 1, "contentions in the window: %lld", (long long)t_at(&p, "t_wait_site", 1, 0));
    prd_free(&p);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/mutex?debug=1", &r);
    T_CHECK(r.status == 200 && strstr(r.body, "--- mutex:\n") && strstr(r.body, "t_release_site+0x"),
            "mutex text:\n%s", r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/threadcreate?debug=1", &r);
    T_CHECK(r.status == 200 && strncmp(r.body, "threadcreate profile: total ", 28) == 0, "threadcreate:\n%s", r.body);
    free(r.raw);
    pprof_shutdown();
}
#endif

/* The thread dump: 50 threads in different states, names and stacks right, answered while
   they run; a thread blocking every signal is listed without a stack, not waited for. */
static volatile int t_dump_stop;
static volatile unsigned long t_dump_spins[20];
T_NOINLINE void t_dump_spin(int i) {
    while (!__atomic_load_n(&t_dump_stop, __ATOMIC_RELAXED)) t_dump_spins[i]++;
}
static void *t_dump_spinner(void *a) {
    char name[16];
    snprintf(name, sizeof name, "spin-%d", (int)(intptr_t)a);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    t_dump_spin((int)(intptr_t)a);
    return NULL;
}
static int t_dump_pipe[2];
static void *t_dump_sleeper(void *a) { /* blocked in read() until the pipe closes */
    char name[16], c;
    snprintf(name, sizeof name, "nap-%d", (int)(intptr_t)a);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    while (read(t_dump_pipe[0], &c, 1) < 0 && errno == EINTR) {}
    return NULL;
}
static void *t_dump_deaf(void *a) {
    sigset_t all;
    (void)a;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    prctl(PR_SET_NAME, "deaf", 0, 0, 0);
    while (!__atomic_load_n(&t_dump_stop, __ATOMIC_RELAXED)) {} /* running: a sleeper is read */
    return NULL;
}
static void t_sync_thread_dump(void) {
    pthread_t th[50];
    static char buf[1 << 20];
    char path[64], line[64], *at;
    FILE *f;
    size_t n;
    int i, spinners = 2, found_spin = 0;
    unsigned long before[20];
    int64_t t0, took;
    T_CHECK(pipe(t_dump_pipe) == 0, "pipe");
    for (i = 0; i < spinners; i++) pthread_create(&th[i], NULL, t_dump_spinner, (void *)(intptr_t)i);
    for (i = spinners; i < 49; i++) pthread_create(&th[i], NULL, t_dump_sleeper, (void *)(intptr_t)i);
    pthread_create(&th[49], NULL, t_dump_deaf, NULL);
    pprof__os_sleep_ns(200000000);
    for (i = 0; i < spinners; i++) before[i] = t_dump_spins[i];
    f = t_tmpfile(path, sizeof path);
    t0 = t_now_ns();
    T_CHECK(pprof_write_profile("goroutine", f, 2) == PPROF_OK, "dump");
    took = t_now_ns() - t0;
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    T_CHECK(took < 1000000000, "the dump took %.3f s", took / 1e9);
    for (i = 0; i < spinners; i++) {
        snprintf(line, sizeof line, "[spin-%d, ", i);
        at = strstr(buf, line);
        T_CHECK(at != NULL, "spinner %d missing:\n%.2000s", i, buf);
        if (at && strstr(at, "t_dump_spin(") && (!strstr(at, "\n\n") || strstr(at, "t_dump_spin(") < strstr(at, "\n\n")))
            found_spin++;
    }
    T_CHECK(found_spin == spinners, "spinners' stacks: %d of %d show t_dump_spin:\n%.3000s", found_spin, spinners, buf);
    for (i = spinners; i < 49; i++) { /* read without a signal, with the caller of read() */
        snprintf(line, sizeof line, "[nap-%d, sleeping in a system call]:\n", i);
        at = strstr(buf, line);
        T_CHECK(at != NULL, "sleeper %d (%s) missing or not sleeping:\n%.3000s", i, line, buf);
        T_CHECK(strstr(at, "t_dump_sleeper(") && strstr(at, "t_dump_sleeper(") < strstr(at, "\n\n"),
                "sleeper %d without t_dump_sleeper:\n%.600s", i, at);
    }
    at = strstr(buf, "[deaf, ");
    T_CHECK(at && strstr(at, "(no stack: it blocks the profiling signal)"), "deaf thread:\n%.3000s", buf);
    pprof__os_sleep_ns(50000000);
    for (i = 0; i < spinners; i++) T_CHECK(t_dump_spins[i] > before[i], "spinner %d stopped", i);
    /* grouped text and the protobuf count every thread */
    {
        prd_profile p;
        int64_t total;
        f = t_tmpfile(path, sizeof path);
        T_CHECK(pprof_write_profile("threads", f, 0) == PPROF_OK, "dump proto");
        fclose(f);
        t_load(path, &p);
        unlink(path);
        total = t_flat(&p, NULL, 0);
        T_CHECK(total >= 51 && t_streq(prd_str(&p, p.sample_type[0].type), "goroutine"),
                "goroutine count %lld", (long long)total);
        T_CHECK(t_flat(&p, "pprof__thread_without_stack", 0) >= 1, "the deaf thread's pseudo frame");
        prd_free(&p);
    }
    __atomic_store_n(&t_dump_stop, 1, __ATOMIC_RELAXED);
    close(t_dump_pipe[1]);
    for (i = 0; i < 50; i++) pthread_join(th[i], NULL);
    close(t_dump_pipe[0]);
}

/* Sleeping threads are read, not signalled: 20 dumps never cut a nanosleep, poll or
   select short (a signal would end each with EINTR, whatever SA_RESTART says). */
static volatile int t_nap_eintr, t_nap_stop;
T_NOINLINE void t_nap_in_nanosleep(void) {
    struct timespec ts = {0, 300000000};
    while (!t_nap_stop)
        if (nanosleep(&ts, NULL) != 0 && errno == EINTR) __atomic_add_fetch(&t_nap_eintr, 1, __ATOMIC_RELAXED);
}
T_NOINLINE void t_nap_in_poll(void) {
    while (!t_nap_stop)
        if (poll(NULL, 0, 300) < 0 && errno == EINTR) __atomic_add_fetch(&t_nap_eintr, 1, __ATOMIC_RELAXED);
}
T_NOINLINE void t_nap_in_select(void) {
    while (!t_nap_stop) {
        struct timeval tv = {0, 300000};
        if (select(0, NULL, NULL, NULL, &tv) < 0 && errno == EINTR)
            __atomic_add_fetch(&t_nap_eintr, 1, __ATOMIC_RELAXED);
    }
}
static void *t_nap_thread(void *a) {
    int k = (int)(intptr_t)a;
    if (k == 0) t_nap_in_nanosleep();
    else if (k == 1) t_nap_in_poll();
    else t_nap_in_select();
    return NULL;
}
static void t_sync_dump_no_eintr(void) {
    pthread_t th[3];
    static char buf[1 << 18];
    int i, k;
    for (k = 0; k < 3; k++) pthread_create(&th[k], NULL, t_nap_thread, (void *)(intptr_t)k);
    pprof__os_sleep_ns(100000000);
    for (i = 0; i < 20; i++) {
        FILE *f = tmpfile();
        size_t n;
        T_CHECK(pprof_write_profile("goroutine", f, 2) == PPROF_OK, "dump");
        rewind(f);
        n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        if (i == 19) {
            T_CHECK(strstr(buf, "t_nap_in_nanosleep(") && strstr(buf, "t_nap_in_poll(") &&
                    strstr(buf, "t_nap_in_select("), "sleepers' callers missing:\n%.3000s", buf);
        }
        pprof__os_sleep_ns(37000000);
    }
    t_nap_stop = 1;
    for (k = 0; k < 3; k++) pthread_join(th[k], NULL);
    T_CHECK(t_nap_eintr == 0, "%d sleeps cut short by EINTR", t_nap_eintr);
}

#ifdef T_SYNC_WRAP
#define T_SYNC_WRAP_CASES \
    {"sync_lock_block_and_mutex_profiles", t_sync_lock_block_and_mutex, 30}, \
    {"sync_cond_rwlock_sem_join_waits", t_sync_other_waits, 30}, \
    {"sync_trylock_errorcheck_recursive_as_libc", t_sync_bad_input, 30}, \
    {"sync_robust_mutex_as_libc", t_sync_robust, 30}, \
    {"sync_threadcreate_exact_per_site", t_sync_threadcreate, 30}, \
    {"sync_http_windows_and_text", t_sync_http_window, 30},
#else
#define T_SYNC_WRAP_CASES
#endif

#define T_SYNC_CASES \
    {"sync_setters_reject_negative", t_sync_setters, 30}, \
    {"sync_thread_dump_50_threads", t_sync_thread_dump, 30}, \
    {"sync_thread_dump_never_interrupts_a_sleep", t_sync_dump_no_eintr, 30}, \
    T_SYNC_WRAP_CASES
