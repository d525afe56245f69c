/* Bad input and failures: distinct codes, clear messages, no crash, still usable after. */

static void t_err_codes(void) {
    static const int codes[] = {PPROF_ERR_NULL, PPROF_ERR_NOMEM, PPROF_ERR_OS,
                                PPROF_ERR_UNSUPPORTED, PPROF_ERR_DISABLED, PPROF_ERR_DURATION,
                                PPROF_ERR_RATE, PPROF_ERR_BUSY, PPROF_ERR_NOT_RUNNING,
                                PPROF_ERR_SIGNAL_BUSY, PPROF_ERR_IO};
    size_t i, j, n = sizeof codes / sizeof codes[0];
    FILE *fp = tmpfile();
    T_CHECK(pprof_write_cpu(NULL, 1) == PPROF_ERR_NULL, "NULL file");
    T_CHECK(pprof_cpu_start(NULL) == PPROF_ERR_NULL, "NULL file on start");
    T_CHECK(pprof_write_cpu(fp, 0) == PPROF_ERR_DURATION, "0 seconds");
    T_CHECK(pprof_write_cpu(fp, -5) == PPROF_ERR_DURATION, "negative seconds");
    T_CHECK(pprof_set_cpu_rate(0) == PPROF_ERR_RATE, "0 Hz");
    T_CHECK(pprof_set_cpu_rate(-1) == PPROF_ERR_RATE, "-1 Hz");
    T_CHECK(pprof_set_cpu_rate(10001) == PPROF_ERR_RATE, "10001 Hz");
    T_CHECK(pprof_set_cpu_rate(1) == PPROF_OK && pprof_set_cpu_rate(10000) == PPROF_OK, "bounds");
    T_CHECK(pprof_cpu_stop() == PPROF_ERR_NOT_RUNNING, "stop without start");
    T_CHECK(pprof_cpu_stop() == PPROF_ERR_NOT_RUNNING, "stop without start, twice");
    for (i = 0; i < n; i++) {
        T_CHECK(codes[i] < 0, "code %d not negative", codes[i]);
        T_CHECK(strlen(pprof_strerror(codes[i])) > 5, "no message for %d", codes[i]);
        for (j = 0; j < i; j++) {
            T_CHECK(codes[i] != codes[j], "codes %zu and %zu equal", i, j);
            T_CHECK(strcmp(pprof_strerror(codes[i]), pprof_strerror(codes[j])) != 0, "messages equal");
        }
    }
    T_CHECK(strcmp(pprof_strerror(PPROF_OK), "ok") == 0, "ok");
    T_CHECK(strcmp(pprof_strerror(-999), "unknown pprof.h result code") == 0, "unknown");
    T_CHECK(strcmp(pprof_version(), PPROF_VERSION_STRING) == 0, "version");
    T_CHECK(PPROF_VERSION_NUMBER == PPROF_VERSION_MAJOR * 10000 + PPROF_VERSION_MINOR * 100 +
            PPROF_VERSION_PATCH, "version number");
    /* the failed calls left nothing running: a real profile works */
    pprof_set_cpu_rate(100);
    T_CHECK(pprof_write_cpu(fp, 1) == PPROF_OK, "usable after errors");
    fclose(fp);
}

static void t_err_busy(void) {
    FILE *a = tmpfile(), *b = tmpfile();
    T_CHECK(pprof_cpu_start(a) == PPROF_OK, "start");
    T_CHECK(pprof_cpu_start(b) == PPROF_ERR_BUSY, "second start");
    T_CHECK(pprof_write_cpu(b, 1) == PPROF_ERR_BUSY, "write_cpu while running");
    T_CHECK(strcmp(pprof_strerror(PPROF_ERR_BUSY), "cpu profiling already in use") == 0,
            "Go's message");
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    T_CHECK(ftell(b) == 0, "the refused profile wrote to its file");
    T_CHECK(ftell(a) > 0, "the profile was not written");
    fclose(a);
    fclose(b);
}

/* A write error is reported, the profile still stops, and the next one works. */
static void t_err_dev_full(void) {
    FILE *full = fopen("/dev/full", "wb"), *ok;
    prd_profile p;
    char path[64];
    T_CHECK(full != NULL, "/dev/full: %s", strerror(errno));
    T_CHECK(pprof_cpu_start(full) == PPROF_OK, "start");
    t_run_threads(1, t_calibrate(0.1));
    T_CHECK(pprof_cpu_stop() == PPROF_ERR_IO, "stop to /dev/full");
    T_CHECK(pprof_last_os_error() == ENOSPC, "errno %d", pprof_last_os_error());
    T_CHECK(pprof_cpu_stop() == PPROF_ERR_NOT_RUNNING, "stopped anyway");
    fclose(full);
    T_CHECK(pprof_write_cpu(full = fopen("/dev/full", "wb"), 1) == PPROF_ERR_IO, "write_cpu");
    fclose(full);
    ok = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_cpu(ok, 1) == PPROF_OK, "usable after a write error");
    fclose(ok);
    memset(&p, 0, sizeof p);
    t_load(path, &p);
    prd_free(&p);
    unlink(path);
}

static volatile int t_err_sigprof_calls;
static void t_err_foreign_handler_fn(int sig) { (void)sig; t_err_sigprof_calls++; }

/* A handler of the program's own for the profiling signal is never replaced; the program's
   SIGPROF (GNU sort's cleanup, a profiler of its own) is not the profiling signal and gets
   no signal from a profile. */
static void t_err_foreign_handler(void) {
    struct sigaction sa, now;
    FILE *fp = tmpfile();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = t_err_foreign_handler_fn;
    sigaction(PPROF_SIGNAL, &sa, NULL);
    T_CHECK(pprof_cpu_start(fp) == PPROF_ERR_SIGNAL_BUSY, "foreign handler replaced");
    T_CHECK(pprof_write_cpu(fp, 1) == PPROF_ERR_SIGNAL_BUSY, "write_cpu");
    sigaction(PPROF_SIGNAL, NULL, &now);
    T_CHECK(now.sa_handler == t_err_foreign_handler_fn, "the program's handler is gone");
    T_CHECK(t_err_sigprof_calls == 0, "its handler ran");
    /* SIG_IGN is taken over, like SIG_DFL */
    sa.sa_handler = SIG_IGN;
    sigaction(PPROF_SIGNAL, &sa, NULL);
    T_CHECK(pprof_write_cpu(fp, 1) == PPROF_OK, "SIG_IGN");
    /* the program's SIGPROF handler, while a profile of a busy thread runs */
    sa.sa_handler = t_err_foreign_handler_fn;
    sigaction(SIGPROF, &sa, NULL);
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "start beside a SIGPROF handler");
    t_run_threads(1, t_calibrate(0.3));
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "stop");
    T_CHECK(t_err_sigprof_calls == 0, "the program's SIGPROF handler ran %d times", t_err_sigprof_calls);
    sigaction(SIGPROF, NULL, &now);
    T_CHECK(now.sa_handler == t_err_foreign_handler_fn, "the program's SIGPROF handler is gone");
    fclose(fp);
}

#define T_ERR_CASES \
    {"err_bad_arguments_distinct_codes", t_err_codes, 30}, \
    {"err_second_profile_is_busy", t_err_busy, 30}, \
    {"err_write_error_dev_full", t_err_dev_full, 30}, \
    {"err_foreign_signal_handler_kept", t_err_foreign_handler, 30},
