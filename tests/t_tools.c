/* The profile as the standard tools read it: go tool pprof (with the binary deleted) and
   our own reader, tools/pbdump. */

/* The --workload mode: a profile of the known workload, for tests that need a binary of
   their own to delete. */
static int t_workload_main(const char *out, int seconds) {
    FILE *fp = fopen(out, "wb");
    pthread_t th[2];
    int i, rc;
    if (!fp) return 2;
    t_spin_stop = 0;
    for (i = 0; i < 2; i++) pthread_create(&th[i], NULL, i ? t_spin_c : t_spin_a, NULL);
    rc = pprof_write_cpu(fp, seconds);
    t_spin_stop = 1;
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
    fclose(fp);
    return rc == PPROF_OK ? 0 : 3;
}

/* Runs cmd, returning its output (stdout and stderr) in buf. */
static int t_capture(const char *cmd, char *buf, size_t len) {
    FILE *p = popen(cmd, "r");
    size_t n = 0, r;
    T_CHECK(p != NULL, "popen %s", cmd);
    while (n + 1 < len && (r = fread(buf + n, 1, len - 1 - n, p)) > 0) n += r;
    buf[n] = 0;
    return pclose(p);
}

/* Copies this executable, profiles the workload with the copy, deletes the copy. */
static void t_profile_from_deleted_binary(char *prof, size_t len) {
    char bin[64], cmd[512];
    int fd;
    snprintf(bin, sizeof bin, "/tmp/pprof-wl-XXXXXX");
    fd = mkstemp(bin);
    T_CHECK(fd >= 0, "mkstemp");
    close(fd);
    snprintf(prof, len, "%s.pb.gz", bin);
    snprintf(cmd, sizeof cmd, "cp /proc/%d/exe %s && chmod +x %s && %s --workload %s 2",
             (int)getpid(), bin, bin, bin, prof);
    T_CHECK(system(cmd) == 0, "%s", cmd);
    T_CHECK(unlink(bin) == 0, "delete the binary");
}

static void t_tools_go_pprof(void) {
    char prof[128], cmd[512], *out = (char *)malloc(1 << 20);
    const char *names[] = {"hot_a", "stage_a", "hot_c", "callback_c", "apply", "stage_c",
                           "t_spin_a", "t_spin_c"};
    size_t i;
    if (!t_have("go")) T_SKIP("`go` not found: go tool pprof is not tested (CI installs golang-go)");
    t_profile_from_deleted_binary(prof, sizeof prof);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -top %s 2>&1", prof);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0, "go tool pprof -top failed:\n%s", out);
    T_CHECK(strstr(out, "Type: cpu") != NULL, "no cpu type:\n%s", out);
    for (i = 0; i < 2; i++) T_CHECK(strstr(out, names[i * 2]), "-top lacks %s:\n%s", names[i * 2], out);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -raw %s 2>&1", prof);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0, "go tool pprof -raw failed:\n%s", out);
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        T_CHECK(strstr(out, names[i]), "-raw lacks %s", names[i]);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -traces %s 2>&1", prof);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0, "go tool pprof -traces failed:\n%s", out);
    T_CHECK(strstr(out, "callback_c\n") && strstr(out, "apply\n"), "-traces lacks the callback chain");
    unlink(prof);
    free(out);
}

static void t_tools_pbdump(void) {
    char prof[128], cmd[512], *out = (char *)malloc(1 << 20);
    const char *pbdump = getenv("PBDUMP");
    if (!pbdump || access(pbdump, X_OK) != 0)
        T_SKIP("PBDUMP does not name the built tools/pbdump (make test sets it)");
    t_profile_from_deleted_binary(prof, sizeof prof);
    snprintf(cmd, sizeof cmd, "%s -top %s 2>&1", pbdump, prof);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0, "pbdump -top failed:\n%s", out);
    T_CHECK(strstr(out, "hot_a") && strstr(out, "hot_c") && strstr(out, "flat"), "pbdump -top:\n%s", out);
    unlink(prof);
    free(out);
}

#define T_TOOLS_CASES \
    {"tools_go_pprof_reads_profile_binary_deleted", t_tools_go_pprof, 120}, \
    {"tools_pbdump_top", t_tools_pbdump, 60},
