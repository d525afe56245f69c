/* fork while profiling: the child starts clean and can profile itself; the parent's
   profile goes on; many forks at 1000 Hz neither fail nor hang. */

static void t_fork_child_profiles(void) {
    pthread_t a;
    char path[64], cpath[64];
    FILE *fp = t_tmpfile(path, sizeof path), *cfp;
    prd_profile p;
    pid_t pid;
    int status;
    int64_t a0, a1;
    cfp = t_tmpfile(cpath, sizeof cpath);
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&a, NULL, t_spin_a, NULL);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    a0 = t_thread_cpu_ns(a);
    t_wait_threads_cpu(&a, 1, a0, 150000000);
    pid = fork();
    if (pid == 0) { /* child: no profile runs here; its own works */
        int rc = pprof_cpu_stop();
        if (rc != PPROF_ERR_NOT_RUNNING) _exit(10);
        rc = pprof_cpu_start(cfp);
        if (rc != PPROF_OK) _exit(11);
        t_run_threads(1, t_calibrate(0.3));
        if (pprof_cpu_stop() != PPROF_OK) _exit(12);
        fclose(cfp);
        _exit(0);
    }
    T_CHECK(pid > 0, "fork");
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    a1 = t_wait_threads_cpu(&a, 1, a0, 400000000); /* >= 0.4 s of CPU in the window in all */
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "parent stop");
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(a, NULL);
    fclose(fp);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    /* the parent's profile went on through the fork: its spinning thread's CPU, all of it */
    T_CHECK_SAMPLES("hot_a, the parent's spinning thread", t_flat(&p, "hot_a", 0), a1 - a0, 300000000, 100);
    prd_free(&p);
    memset(&p, 0, sizeof p);
    t_load(cpath, &p);
    T_CHECK(t_flat(&p, "hot_a", 1) + t_flat(&p, "hot_b", 1) + t_flat(&p, "hot_c", 1) > 0,
            "child profile lacks its workload");
    T_CHECK(t_flat(&p, NULL, 1) < 1000000000, "child profile holds the parent's samples");
    prd_free(&p);
    unlink(path);
    unlink(cpath);
}

static void t_fork_many(void) {
    pthread_t a;
    FILE *fp = tmpfile();
    int i, status;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&a, NULL, t_spin_a, NULL);
    pprof_set_cpu_rate(1000);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start");
    for (i = 0; i < 100; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            unsigned long x = hot_b(1, 100000);
            T_OPAQUE(x);
            _exit(0);
        }
        T_CHECK(pid > 0, "fork %d: %s", i, strerror(errno));
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status %d", i, status);
    }
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(a, NULL);
    fclose(fp);
}

#define T_FORK_CASES \
    {"fork_child_starts_clean_and_profiles", t_fork_child_profiles, 60}, \
    {"fork_100_children_while_profiling_1000hz", t_fork_many, 60},
