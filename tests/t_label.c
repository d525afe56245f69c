/* Labels (pprof_label_push/pop): two request types served by the same code in one program
   must come apart in the CPU, heap, block and mutex profiles by their labels, and
   go tool pprof must filter on them. */

/* The label value of `key` on sample s, or NULL. */
static const char *t_label_of(const prd_profile *p, const prd_sample *s, const char *key) {
    int j;
    for (j = 0; j < s->nlabel; j++)
        if (t_streq(prd_str(p, s->label[j].key), key) && s->label[j].str)
            return prd_str(p, s->label[j].str);
    return NULL;
}

/* Sum of value[vi] over samples whose stack holds fn and whose label key is val (val NULL:
   no such label). */
static int64_t t_label_sum(const prd_profile *p, const char *fn, const char *key,
                           const char *val, int vi) {
    int64_t sum = 0;
    int i, k;
    for (i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        const char *v = t_label_of(p, s, key);
        int has = 0;
        for (k = 0; fn && k < 64 && t_frame(p, s, k); k++)
            if (t_streq(t_frame(p, s, k), fn)) has = 1;
        if ((fn && !has) || (val ? !t_streq(v, val) : v != NULL)) continue;
        sum += s->value[vi];
    }
    return sum;
}

/* The request handler both request types share: CPU in proportion to `units`, one
   allocation of `bytes` kept until the next request of the thread. */
T_NOINLINE unsigned long t_handle_request(int units, size_t bytes, void **keep) {
    unsigned long x = (unsigned long)units;
    int i;
    for (i = 0; i < units; i++) x = hot_a(x, T_UNIT);
    free(*keep);
    *keep = malloc(bytes);
    T_OPAQUE(x);
    return x;
}

static int t_label_stop;
static void *t_label_server(void *arg) {
    void *keep = NULL;
    unsigned long x = (unsigned long)(uintptr_t)arg;
    while (!__atomic_load_n(&t_label_stop, __ATOMIC_RELAXED)) {
        T_CHECK(pprof_label_push("request", "checkout") == PPROF_OK, "push checkout");
        T_CHECK(pprof_label_push("user", "vip") == PPROF_OK, "nested push");
        x = t_handle_request(3, 3000, &keep); /* 3 units per checkout */
        pprof_label_pop();
        pprof_label_pop();
        T_CHECK(pprof_label_push("request", "search") == PPROF_OK, "push search");
        x = t_handle_request(1, 1000, &keep); /* 1 unit per search */
        pprof_label_pop();
    }
    free(keep);
    return (void *)x;
}

static void t_label_cpu_heap(void) {
    pthread_t th[2];
    char path[64];
    FILE *f;
    prd_profile p;
    int64_t co, se, none;
    int i;
    pprof_set_cpu_rate(1000);
    pprof_set_heap_rate(0); /* the heap part below counts from its own start */
    T_CHECK(pprof_label_push(NULL, "x") == PPROF_ERR_NULL && pprof_label_push("x", NULL) == PPROF_ERR_NULL,
            "NULL key or value");
    for (i = 0; i < 16; i++) T_CHECK(pprof_label_push("depth", "d") == PPROF_OK, "push %d", i);
    T_CHECK(pprof_label_push("depth", "d") == PPROF_ERR_LABELS, "17 deep");
    for (i = 0; i < 17; i++) pprof_label_pop(); /* one more than pushed: harmless */
    f = t_tmpfile(path, sizeof path);
    for (i = 0; i < 2; i++) pthread_create(&th[i], NULL, t_label_server, (void *)(uintptr_t)(i + 1));
    T_CHECK(pprof_write_cpu(f, 2) == PPROF_OK, "cpu profile");
    fclose(f);
    t_load(path, &p);
    co = t_label_sum(&p, "t_handle_request", "request", "checkout", 1);
    se = t_label_sum(&p, "t_handle_request", "request", "search", 1);
    none = t_label_sum(&p, "t_handle_request", "request", NULL, 1);
    T_CHECK(co > 0 && se > 0, "checkout %lld ns, search %lld ns", (long long)co, (long long)se);
    T_CHECK(co > 2.2 * (double)se && co < 4.0 * (double)se,
            "checkout/search CPU %.2f, want about 3", (double)co / (double)se);
    T_CHECK(none == 0, "%lld ns of the handler without a request label", (long long)none);
    T_CHECK(t_label_sum(&p, "t_handle_request", "user", "vip", 1) == co, "the nested label on every checkout sample");
    T_CHECK(t_label_sum(&p, NULL, "depth", "d", 1) == 0, "a popped label stayed");
    prd_free(&p);
    /* go tool pprof: -tags lists both values, -tagfocus keeps one */
    if (t_have("go")) {
        char cmd[512], out[8192];
        FILE *pp;
        size_t n;
        snprintf(cmd, sizeof cmd, "HOME=${HOME:-/tmp} go tool pprof -tags %s 2>&1", path);
        pp = popen(cmd, "r");
        n = fread(out, 1, sizeof out - 1, pp);
        out[n] = 0;
        pclose(pp);
        T_CHECK(strstr(out, "request: Total") && strstr(out, "checkout") && strstr(out, "search") &&
                strstr(out, "vip"), "go tool pprof -tags:\n%s", out);
        snprintf(cmd, sizeof cmd, "HOME=${HOME:-/tmp} go tool pprof -top -tagfocus=request=search %s 2>&1", path);
        pp = popen(cmd, "r");
        n = fread(out, 1, sizeof out - 1, pp);
        out[n] = 0;
        pclose(pp);
        T_CHECK(strstr(out, "t_handle_request") != NULL, "-tagfocus search lost the handler:\n%s", out);
    } else if (getenv("PPROF_TEST_STRICT")) {
        T_CHECK(0, "go not installed (golang-go)");
    } else {
        fprintf(stderr, "note: SKIP go tool pprof checks: go not installed\n");
    }
    unlink(path);
#if PPROF__HEAP && PPROF__INTERPOSE
    /* the heap at rate 1: every live block under its request's label, exactly */
    __atomic_store_n(&t_label_stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
    __atomic_store_n(&t_label_stop, 0, __ATOMIC_RELAXED);
    pprof_set_heap_rate(1);
    for (i = 0; i < 2; i++) pthread_create(&th[i], NULL, t_label_server, (void *)(uintptr_t)(i + 1));
    pprof__os_sleep_ns(300000000);
    __atomic_store_n(&t_label_stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
    f = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_heap(f) == PPROF_OK, "heap");
    fclose(f);
    t_load(path, &p);
    unlink(path);
    { /* alloc_space (index 1): checkouts allocate 3000 B, searches 1000 B, equally often */
        int64_t ca = t_label_sum(&p, "t_handle_request", "request", "checkout", 0);
        int64_t sa = t_label_sum(&p, "t_handle_request", "request", "search", 0);
        int64_t cb = t_label_sum(&p, "t_handle_request", "request", "checkout", 1);
        int64_t sb = t_label_sum(&p, "t_handle_request", "request", "search", 1);
        T_CHECK(ca > 100 && ca - sa <= 2 && sa - ca <= 2, "allocations: checkout %lld, search %lld",
                (long long)ca, (long long)sa);
        T_CHECK(cb == ca * 3000 && sb == sa * 1000, "bytes: checkout %lld (%lld x 3000), search %lld (%lld x 1000)",
                (long long)cb, (long long)ca, (long long)sb, (long long)sa);
    }
    prd_free(&p);
    pprof_set_heap_rate(0);
#else
    __atomic_store_n(&t_label_stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
#endif
}

#if defined(PPROF__WRAPSYNC) && PPROF__WRAPSYNC
/* block: the waits of one lock under two labels, in proportion to how long each waited. */
static pthread_mutex_t t_label_mu = PTHREAD_MUTEX_INITIALIZER;
static void *t_label_waiter(void *arg) {
    const char *kind = (const char *)arg;
    T_CHECK(pprof_label_push("request", kind) == PPROF_OK, "push");
    pthread_mutex_lock(&t_label_mu);
    pthread_mutex_unlock(&t_label_mu);
    pprof_label_pop();
    return NULL;
}
static void t_label_block(void) {
    pthread_t a, b;
    char path[64];
    FILE *f;
    prd_profile p;
    int64_t ca, sa;
    T_CHECK(pprof_set_block_rate(1) == PPROF_OK && pprof_set_mutex_fraction(1) == PPROF_OK, "rates");
    pthread_mutex_lock(&t_label_mu);
    pthread_create(&a, NULL, t_label_waiter, (void *)"checkout");
    pprof__os_sleep_ns(200000000);
    pthread_create(&b, NULL, t_label_waiter, (void *)"search");
    pprof__os_sleep_ns(100000000);
    T_CHECK(pprof_label_push("request", "admin") == PPROF_OK, "push admin");
    pthread_mutex_unlock(&t_label_mu); /* checkout waited ~300 ms, search ~100 ms */
    pprof_label_pop();
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    f = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_profile("block", f, 0) == PPROF_OK, "block");
    fclose(f);
    t_load(path, &p);
    unlink(path);
    ca = t_label_sum(&p, "t_label_waiter", "request", "checkout", 1);
    sa = t_label_sum(&p, "t_label_waiter", "request", "search", 1);
    T_CHECK(ca > 250000000 && ca < 450000000 && sa > 60000000 && sa < 200000000,
            "block delay: checkout %.3f s, search %.3f s", ca / 1e9, sa / 1e9);
    prd_free(&p);
    /* mutex: the delay the unlock caused, under the unlocker's label */
    f = t_tmpfile(path, sizeof path);
    T_CHECK(pprof_write_profile("mutex", f, 0) == PPROF_OK, "mutex");
    fclose(f);
    t_load(path, &p);
    unlink(path);
    ca = t_label_sum(&p, "t_label_block", "request", "admin", 1);
    T_CHECK(ca > 300000000 && ca < 550000000, "mutex delay under request=admin: %.3f s", ca / 1e9);
    prd_free(&p);
}
#define T_LABEL_SYNC_CASES {"label_block_and_mutex_by_request", t_label_block, 30},
#else
#define T_LABEL_SYNC_CASES
#endif

#define T_LABEL_CASES \
    {"label_two_request_types_cpu_heap_go_tags", t_label_cpu_heap, 60}, \
    T_LABEL_SYNC_CASES
