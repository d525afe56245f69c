/* HTTP as Go's net/http/pprof serves it (issue 17): CPU windows that overlap (a trace, a
   profile, a flame graph page, the API) each with exactly its own samples; index counts
   equal to what each profile holds; every method and form bodies; Go's path cleaning;
   persistent connections. Figures are checked against what the threads were given in the
   same run (their own CPU clocks), never against the wall clock. */

/* One response read from persistent connection fd into buf (cap bytes): to the end of its
   Content-Length (a HEAD's: its head). Its status, 0 when the peer closed or timed out
   first; *len what was read. */
static int t_ka_read(int fd, char *buf, size_t cap, size_t *len, int head) {
    int status = 0;
    *len = 0;
    for (;;) {
        struct pollfd p;
        ssize_t n;
        const char *end, *cl;
        buf[*len] = 0;
        if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
            cl = t_find_header(buf, end, "Content-Length:");
            if (cl && (head || *len >= (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10))) break;
        }
        p.fd = fd;
        p.events = POLLIN;
        if (*len + 1 >= cap || poll(&p, 1, 10000) <= 0) return 0;
        n = recv(fd, buf + *len, cap - 1 - *len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        *len += (size_t)n;
    }
    return sscanf(buf, "HTTP/1.%*[01] %d", &status) == 1 ? status : 0;
}

/* Sends req on fd and reads its answer (as t_ka_read). */
static int t_ka_ask(int fd, const char *req, char *buf, size_t cap, size_t *len) {
    size_t n = strlen(req);
    if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) return 0;
    return t_ka_read(fd, buf, cap, len, strncmp(req, "HEAD ", 5) == 0);
}

/* 1 when the server closes fd within ms (EOF or reset), 0 when it is still open. */
static int t_ka_closed(int fd, int ms) {
    struct pollfd p;
    char c;
    p.fd = fd;
    p.events = POLLIN;
    if (poll(&p, 1, ms) <= 0) return 0;
    return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* --- CPU windows that overlap -------------------------------------------------------- */

typedef struct {
    const char *target;
    int port;
    t_resp r;
    pthread_t spin;
    int64_t cpu0, cpu1, wall0, wall1; /* the spinner's CPU and the wall clock around it */
} t_win_req;
static void *t_win_client(void *arg) {
    t_win_req *q = (t_win_req *)arg;
    q->wall0 = pprof__os_mono_ns();
    q->cpu0 = t_thread_cpu_ns(q->spin);
    t_http_get(q->port, "GET", q->target, &q->r);
    q->cpu1 = t_thread_cpu_ns(q->spin);
    q->wall1 = pprof__os_mono_ns();
    return NULL;
}

/* Checks that profile body holds the spinner's CPU of its own window: the CPU the spinner
   got while the request was open, scaled to the profile's duration. "" or why not. */
static const char *t_win_cpu_right(const t_win_req *q, char *why, size_t n) {
    prd_profile p;
    double got, truth;
    memset(&p, 0, sizeof p);
    if (q->r.status != 200 || prd_parse_mem((const unsigned char *)q->r.body, q->r.body_len, &p) != 0) {
        snprintf(why, n, "%s: status %d, not a profile", q->target, q->r.status);
        return why;
    }
    got = (double)t_flat(&p, "hot_a", 1);
    truth = (double)(q->cpu1 - q->cpu0) * (double)p.duration_nanos / (double)(q->wall1 - q->wall0);
    why[0] = 0;
    if (truth < 2e8) /* too little CPU to judge a ratio by: the caller measures again */
        snprintf(why, n, "%s: the spinner got only %.3f s of CPU", q->target, truth / 1e9);
    else if (got < 0.8 * truth || got > 1.15 * truth)
        snprintf(why, n, "%s: the spinner ran %.3f s of CPU in the profile's %.3f s window "
                 "(%.0f samples at 100 Hz), the profile holds %.3f s", q->target, truth / 1e9,
                 (double)p.duration_nanos / 1e9, truth / 1e7, got / 1e9);
    prd_free(&p);
    return why;
}

/* The B/E events of a trace balance; the last begins no later than its window's end.
   Returns the latest "ts" (µs from the trace's start) of an event of hot_a, -1 if bad. */
static double t_trace_last_hot(const t_resp *r, char *why, size_t n) {
    const char *p;
    size_t b = 0, e = 0;
    double last = -1;
    why[0] = 0;
    if (r->status != 200 || strncmp(r->body, "{\"displayTimeUnit\"", 18) != 0 ||
        strcmp(r->body + r->body_len - 3, "]}\n") != 0) {
        snprintf(why, n, "trace: status %d, body %.80s", r->status, r->body);
        return -1;
    }
    for (p = r->body; (p = strstr(p, "\"ph\":\"B\"")) != NULL; p++) {
        const char *ts = strstr(p, "\"ts\":"), *nm = strstr(p, "\"name\":");
        b++;
        if (ts && nm && strncmp(nm, "\"name\":\"hot_a\"", 15) == 0 && atof(ts + 5) > last)
            last = atof(ts + 5);
    }
    for (p = r->body; (p = strstr(p, "\"ph\":\"E\"")) != NULL; p++) e++;
    if (b == 0 || b != e) snprintf(why, n, "trace: %zu B events, %zu E events", b, e);
    return why[0] ? -1 : last;
}

/* A trace of 5 s; inside it a CPU profile and a flame graph page of 2 s at once, then
   the API's profile of 1.5 s: every one 200 and each with its own window's samples; a second
   /profile (and the API during it) keep Go's 500 / busy. */
static const char *t_web_overlap_once(char *why, size_t n) {
    t_win_req tr, pr, fl;
    pthread_t th_tr, th_pr, th_fl;
    t_resp r;
    char path[64], why2[256];
    FILE *fp;
    prd_profile p;
    int64_t api0, api1, w0, w1, prof_end;
    double last;
    int port = t_http_start(), busy_profile = 0, busy_api = 0;
    memset(&tr, 0, sizeof tr);
    pr = fl = tr;
    why[0] = 0;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&tr.spin, NULL, t_spin_a, NULL);
    pr.spin = fl.spin = tr.spin;
    tr.port = pr.port = fl.port = port;
    tr.target = "/debug/pprof/trace?seconds=5";
    pr.target = "/debug/pprof/profile?seconds=2";
    fl.target = "/debug/pprof/flamegraph?seconds=2";
    pthread_create(&th_tr, NULL, t_win_client, &tr);
    pprof__os_sleep_ns(300000000);
    pthread_create(&th_pr, NULL, t_win_client, &pr);
    pthread_create(&th_fl, NULL, t_win_client, &fl);
    pprof__os_sleep_ns(300000000);
    /* while the profile runs: a second one is Go's 500, the API's start is busy */
    t_http_get(port, "GET", "/debug/pprof/profile?seconds=1", &r);
    busy_profile = pr.wall1 == 0 && r.status == 500 &&
                   strcmp(r.body, "Could not enable CPU profiling: cpu profiling already in use\n") == 0;
    if (pr.wall1 == 0 && !busy_profile)
        snprintf(why, n, "a second /profile during one: %d '%s'", r.status, r.body);
    free(r.raw);
    fp = t_tmpfile(path, sizeof path);
    if (pr.wall1 == 0) busy_api = pprof_cpu_start(fp) == PPROF_ERR_BUSY;
    pthread_join(th_pr, NULL);
    pthread_join(th_fl, NULL);
    prof_end = pr.wall1;
    /* the trace goes on: the API's profile joins it */
    w0 = pprof__os_mono_ns();
    api0 = t_thread_cpu_ns(tr.spin);
    if (!why[0] && pprof_cpu_start(fp) != PPROF_OK) snprintf(why, n, "pprof_cpu_start during a trace");
    pprof__os_sleep_ns(1500000000);
    if (!why[0]) {
        t_http_get(port, "GET", "/debug/pprof/profile?seconds=1", &r); /* API's is running */
        if (r.status != 500) snprintf(why, n, "/profile during the API's profile: %d", r.status);
        free(r.raw);
    }
    if (pprof_cpu_stop() != PPROF_OK && !why[0]) snprintf(why, n, "pprof_cpu_stop");
    api1 = t_thread_cpu_ns(tr.spin);
    w1 = pprof__os_mono_ns();
    fclose(fp);
    pthread_join(th_tr, NULL);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(tr.spin, NULL);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    if (!why[0] && !(busy_profile || pr.wall1 != 0)) snprintf(why, n, "no second /profile tried");
    if (!why[0] && pr.wall1 == 0 && !busy_api) snprintf(why, n, "the API started during /profile");
    if (!why[0]) t_win_cpu_right(&pr, why, n);
    if (!why[0] && (fl.r.status != 200 || !t_has_header(&fl.r, "Content-Type: text/html") ||
                    !strstr(fl.r.body, "hot_a")))
        snprintf(why, n, "flame graph page: %d, hot_a %s", fl.r.status,
                 fl.r.body && strstr(fl.r.body, "hot_a") ? "named" : "missing");
    if (!why[0]) { /* the API's profile: its own window's CPU */
        double got, truth = (double)(api1 - api0);
        memset(&p, 0, sizeof p);
        t_load(path, &p);
        got = (double)t_flat(&p, "hot_a", 1);
        truth *= (double)p.duration_nanos / (double)(w1 - w0);
        if (truth < 2e8)
            snprintf(why, n, "API profile: the spinner got only %.3f s of CPU", truth / 1e9);
        else if (got < 0.8 * truth || got > 1.15 * truth)
            snprintf(why, n, "API profile during a trace: spinner ran %.3f s, profile holds %.3f s",
                     truth / 1e9, got / 1e9);
        prd_free(&p);
    }
    if (!why[0]) { /* the trace: whole, and on after the profile ended */
        last = t_trace_last_hot(&tr.r, why2, sizeof why2);
        if (last < 0) snprintf(why, n, "%.200s", why2);
        else if (last > (double)(tr.wall1 - tr.wall0) / 1e3)
            snprintf(why, n, "a trace event at %.0f us, after its window of %.0f us", last,
                     (double)(tr.wall1 - tr.wall0) / 1e3);
        else if (tr.cpu1 - api1 > 100000000 && last < (double)(w1 - tr.wall0) / 1e3)
            snprintf(why, n, "the trace stops at %.0f us although the spinner ran %.3f s after "
                     "the API's profile ended at %.0f us", last, (double)(tr.cpu1 - api1) / 1e9,
                     (double)(w1 - tr.wall0) / 1e3);
        else if (api1 - api0 > 100000000 && last < (double)(prof_end - tr.wall0) / 1e3)
            snprintf(why, n, "the trace ends with the profile's window");
    }
    unlink(path);
    free(tr.r.raw);
    free(pr.r.raw);
    free(fl.r.raw);
    return why;
}
static void t_web_overlap(void) {
    char why[512];
    int i;
    for (i = 0; i < 4; i++) { /* a busy machine may starve the spinner: measure again */
        if (!t_web_overlap_once(why, sizeof why)[0]) return;
        if (!strstr(why, "got only")) break;
    }
    T_CHECK(0, "%s", why);
}

/* --- the index's counts ---------------------------------------------------------------- */

/* The count the index page shows for name, -1 when absent. */
static long t_index_count(const char *page, const char *name) {
    char link[64];
    const char *a, *row;
    long v = -1;
    snprintf(link, sizeof link, "<a href='%s?debug=1'>", name);
    if ((a = strstr(page, link)) == NULL) return -1;
    for (row = a; row > page && strncmp(row, "<tr><td>", 8) != 0; row--) {}
    return sscanf(row, "<tr><td>%ld</td>", &v) == 1 ? v : -1;
}
/* The records of a debug=1 text profile: lines "<numbers> @ <addresses>"; for goroutine and
   threadcreate the sum of their counts (Go's index counts goroutines and threads). */
static long t_text_records(const char *body, int sum) {
    long n = 0;
    const char *l;
    for (l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *at = strstr(l, " @ "), *nl = strchr(l, '\n');
        if (*l >= '0' && *l <= '9' && at && (!nl || at < nl)) n += sum ? atol(l) : 1;
    }
    return n;
}
static void *t_web_short_thread(void *arg) { return arg; }

/* Every count on the index equals what that profile holds: block, mutex and threadcreate
   with records, heap and allocs, goroutine (threads). Taken between two reads of the
   profile that agree (the runner's own allocations may add a heap record meanwhile). */
static void t_web_index_counts(void) {
    static const char *const names[] = {"allocs", "block", "goroutine", "heap", "mutex", "threadcreate"};
    int port, i, k, fd;
    static char idx[1 << 16], before[1 << 20], after[1 << 20];
    char target[80];
    size_t len;
    pthread_t th;
#if T_SYNC_WRAP
    pthread_t w;
    pprof_set_block_rate(1);
    pprof_set_mutex_fraction(1);
    for (i = 0; i < 2; i++) { /* two contentions: block and mutex records */
        pthread_mutex_lock(&t_mu);
        pthread_create(&w, NULL, t_waiter, (void *)(intptr_t)0);
        pprof__os_sleep_ns(30000000);
        t_release_site();
        pthread_join(w, NULL);
    }
#endif
    for (i = 0; i < 3; i++) { /* threadcreate records */
        pthread_create(&th, NULL, t_web_short_thread, NULL);
        pthread_join(th, NULL);
    }
    port = t_http_start();
    fd = t_http_connect(port); /* one kept connection: no request thread ends meanwhile */
    for (i = 0; i < 6; i++) {
        long want = -1, shown = -1;
        for (k = 0; k < 5; k++) {
            long b, a;
            int sb, si, sa;
            snprintf(target, sizeof target, "GET /debug/pprof/%s?debug=1 HTTP/1.1\r\n\r\n", names[i]);
            sb = t_ka_ask(fd, target, before, sizeof before, &len);
            si = t_ka_ask(fd, "GET /debug/pprof/ HTTP/1.1\r\n\r\n", idx, sizeof idx, &len);
            sa = t_ka_ask(fd, target, after, sizeof after, &len);
            T_CHECK(sb == 200 && si == 200 && sa == 200, "fetch %s: %d %d %d", names[i], sb, si, sa);
            b = t_text_records(strstr(before, "\r\n\r\n") + 4, i == 2 || i == 5);
            a = t_text_records(strstr(after, "\r\n\r\n") + 4, i == 2 || i == 5);
            shown = t_index_count(idx, names[i]);
            if (a == b) want = a;
            if (a == b && shown == want) break; /* else a thread or record came or went */
        }
        T_CHECK(want >= 0, "%s: the profile kept changing", names[i]);
        T_CHECK(shown == want, "index shows %ld for %s, the profile holds %ld", shown, names[i], want);
#if T_SYNC_WRAP /* (under a sanitizer pthreads are its own: no records to count) */
        if (i == 1 || i == 4) T_CHECK(want > 0, "%s: no records to count", names[i]);
        if (i == 5) T_CHECK(want >= 3, "threadcreate: %ld records", want);
#endif
    }
#if T_SYNC_WRAP
    pprof_set_block_rate(0);
    pprof_set_mutex_fraction(0);
#endif
    close(fd);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* --- methods, form bodies, path cleaning ---------------------------------------------------- */

/* Sends `method target` with a body of Content-Type ctype (NULL: none) into r. */
static void t_web_send(int port, const char *method, const char *target, const char *ctype,
                       const char *body, t_resp *r) {
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s"
                     "Content-Length: %zu\r\n\r\n%s", method, target, ctype ? "Content-Type: " : "",
                     ctype ? ctype : "", ctype ? "\r\n" : "", strlen(body), body);
    t_http_raw(port, req, (size_t)n, r);
}
#define T_FORM "application/x-www-form-urlencoded"

static void t_web_methods_and_forms(void) {
    static const char *const any[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO"};
    int port = t_http_start();
    size_t i;
    t_resp r;
    prd_profile p;
    for (i = 0; i < sizeof any / sizeof any[0]; i++) { /* every method, every path */
        t_web_send(port, any[i], "/debug/pprof/", NULL, "", &r);
        T_CHECK(r.status == 200 && strstr(r.body, "Types of profiles available"), "%s index: %d", any[i], r.status);
        free(r.raw);
        t_web_send(port, any[i], "/debug/pprof/heap", NULL, "", &r);
        T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"heap\""), "%s heap: %d", any[i], r.status);
        free(r.raw);
    }
    /* form parameters: POST, PUT and PATCH bodies first, then the query (Go's FormValue) */
    t_web_send(port, "POST", "/debug/pprof/heap", T_FORM, "debug=1", &r);
    T_CHECK(r.status == 200 && strncmp(r.body, "heap profile: ", 14) == 0, "POST debug=1: %d", r.status);
    free(r.raw);
    t_web_send(port, "PUT", "/debug/pprof/heap?debug=0", T_FORM, "x=%20y&debug=1", &r);
    T_CHECK(r.status == 200 && strncmp(r.body, "heap profile: ", 14) == 0, "PUT: the body before the query");
    free(r.raw);
    t_web_send(port, "PATCH", "/debug/pprof/heap?debug=1", T_FORM, "gc=1", &r);
    T_CHECK(r.status == 200 && strncmp(r.body, "heap profile: ", 14) == 0, "PATCH: the query when the body lacks it");
    free(r.raw);
    t_web_send(port, "DELETE", "/debug/pprof/heap", T_FORM, "debug=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "application/octet-stream"), "DELETE: Go reads no body");
    free(r.raw);
    t_web_send(port, "GET", "/debug/pprof/heap", T_FORM, "debug=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "application/octet-stream"), "GET: Go reads no body");
    free(r.raw);
    t_web_send(port, "POST", "/debug/pprof/heap", "text/plain", "debug=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "application/octet-stream"), "POST text/plain is no form");
    free(r.raw);
    t_web_send(port, "POST", "/debug/pprof/heap", "application/x-www-form-urlencoded; charset=utf-8",
               "seconds=x", &r);
    T_CHECK(r.status == 400 && strstr(r.body, "seconds"), "a bad form value: %d '%s'", r.status, r.body);
    free(r.raw);
    t_web_send(port, "POST", "/debug/pprof/profile", T_FORM, "seconds=1", &r); /* not Go's 30 s */
    memset(&p, 0, sizeof p);
    T_CHECK(r.status == 200 && prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0 &&
            p.duration_nanos >= 900000000 && p.duration_nanos < 15000000000LL,
            "POST seconds=1: %d, %lld ns", r.status, (long long)p.duration_nanos);
    prd_free(&p);
    free(r.raw);
    /* HEAD of a sampled endpoint: its disposition, no body, no wait */
    t_http_get(port, "HEAD", "/debug/pprof/profile?seconds=20", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Disposition: attachment; filename=\"profile\"") &&
            r.body_len == 0, "HEAD profile:\n%s", r.head);
    free(r.raw);
    t_http_get(port, "HEAD", "/debug/pprof/trace?seconds=20", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"trace.json\"") && r.body_len == 0,
            "HEAD trace:\n%s", r.head);
    free(r.raw);
    /* goroutine?seconds=N: a window with its duration */
    t_http_get(port, "GET", "/debug/pprof/goroutine?seconds=1", &r);
    memset(&p, 0, sizeof p);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"goroutine-delta\"") &&
            prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0 &&
            p.duration_nanos >= 900000000, "goroutine?seconds=1: %d, duration %lld ns", r.status,
            (long long)p.duration_nanos);
    prd_free(&p);
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

static void t_web_paths(void) {
    static const struct { const char *method, *target, *location; } moved[] = {
        {"GET", "//debug/pprof/heap", "/debug/pprof/heap"},
        {"GET", "/debug/pprof/./heap", "/debug/pprof/heap"},
        {"GET", "/debug/pprof/../pprof/heap", "/debug/pprof/heap"},
        {"GET", "/debug//pprof/heap?debug=1", "/debug/pprof/heap?debug=1"},
        {"GET", "/debug/pprof/x/../heap?debug=1&gc=1", "/debug/pprof/heap?debug=1&gc=1"},
        {"GET", "/debug/pprof/.", "/debug/pprof/"}, /* Go: the subtree's slash at once */
        {"GET", "/debug/pprof/heap/..", "/debug/pprof/"},
        {"GET", "http://x", "/"},
        {"GET", "/debug/pprof", "/debug/pprof/"},
        {"GET", "/debug/pprof/../../../../etc/passwd", "/etc/passwd"},
        {"GET", "/debug/pprof/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd"},
        {"GET", "/debug/pprof/a%20b/../heap", "/debug/pprof/heap"},
        {"HEAD", "//debug/pprof/heap", "/debug/pprof/heap"},
        {"POST", "//debug/pprof/heap", "/debug/pprof/heap"},
        {"DELETE", "/debug/pprof/./", "/debug/pprof/"},
    };
    int port = t_http_start();
    size_t i;
    t_resp r;
    char want[256], body[512];
    for (i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        const char *m = moved[i].method, *amp, *loc;
        t_http_get(port, m, moved[i].target, &r);
        snprintf(want, sizeof want, "\r\nLocation: %s", moved[i].location);
        loc = strstr(r.head, "\r\nLocation: ");
        T_CHECK(r.status == 301 && loc && strncmp(loc, want, strlen(want)) == 0 &&
                (loc[strlen(want)] == '\r' || loc[strlen(want)] == 0), "%s %s: %d\n%s", m,
                moved[i].target, r.status, r.head);
        T_CHECK(!t_has_header(&r, "X-Content-Type-Options"), "Go's redirects carry no nosniff");
        if (strcmp(m, "GET") == 0) { /* Go's short body, the URL HTML-escaped */
            amp = strchr(moved[i].location, '&');
            snprintf(body, sizeof body, "<a href=\"%.*s%s%s\">Moved Permanently</a>.\n\n",
                     amp ? (int)(amp - moved[i].location) : (int)strlen(moved[i].location),
                     moved[i].location, amp ? "&amp;" : "", amp ? amp + 1 : "");
            T_CHECK(t_has_header(&r, "Content-Type: text/html; charset=utf-8") &&
                    strcmp(r.body, body) == 0, "%s body '%s', want '%s'", moved[i].target, r.body, body);
        } else if (strcmp(m, "HEAD") == 0) {
            T_CHECK(t_has_header(&r, "Content-Type: text/html; charset=utf-8") && r.body_len == 0,
                    "HEAD 301:\n%s", r.head);
        } else {
            T_CHECK(!t_has_header(&r, "Content-Type:") && r.body_len == 0, "%s 301:\n%s", m, r.head);
        }
        free(r.raw);
    }
    /* what is clean is served, or Go's 404 */
    t_http_get(port, "GET", "/debug/pprof/heap/", &r);
    T_CHECK(r.status == 404 && strcmp(r.body, "Unknown profile\n") == 0, "heap/: %d", r.status);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200, "clean: %d", r.status);
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* --- persistent connections --------------------------------------------------------------- */

/* Threads of this process named name. */
static int t_threads_named(const char *name) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL) {
        char path[64], comm[32] = "";
        FILE *f;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%.32s/comm", e->d_name);
        if ((f = fopen(path, "r")) == NULL) continue;
        if (fgets(comm, sizeof comm, f) && strncmp(comm, name, strlen(name)) == 0) n++;
        fclose(f);
    }
    if (d) closedir(d);
    return n;
}

/* The time a Date header gives, -1 when there is none or it is not RFC 1123 GMT. */
static long long t_date_of(const char *head) {
    const char *d = strstr(head, "\r\nDate: ");
    struct tm tm;
    char mon[4], day[4];
    static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *m;
    memset(&tm, 0, sizeof tm);
    if (!d || sscanf(d + 8, "%3s, %d %3s %d %d:%d:%d GMT", day, &tm.tm_mday, mon, &tm.tm_year,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 7 || day[3] != 0 || d[11] != ',')
        return -1;
    if ((m = strstr(mons, mon)) == NULL || strlen(mon) != 3) return -1;
    tm.tm_mon = (int)(m - mons) / 3;
    tm.tm_year -= 1900;
    return (long long)timegm(&tm);
}

static void t_web_keepalive(void) {
    static char buf[1 << 20];
    int port = t_http_start(), fd, i;
    size_t len;
    long long now = (long long)time(NULL), date;
    /* sequential requests on one connection; then one that asks to close */
    fd = t_http_connect(port);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/ HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            !strstr(buf, "Connection:"), "first on the connection:\n%.300s", buf);
    date = t_date_of(buf);
    T_CHECK(date >= now - 120 && date <= (long long)time(NULL) + 120, "Date: %lld, the clock says %lld", date, now);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, &len) == 200,
            "second: %.300s", buf);
    T_CHECK(t_ka_ask(fd, "HEAD /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, &len) == 200,
            "HEAD: %.300s", buf);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            strstr(buf, "filename=\"profile\""), "a CPU profile on it: %.300s", buf);
    T_CHECK(t_ka_ask(fd, "POST /debug/pprof/symbol HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n0x1234",
                     buf, sizeof buf, &len) == 200 && strstr(buf, "num_symbols: 1"), "POST: %.300s", buf);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/nosuch HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof buf, &len) == 404 &&
            !t_ka_closed(fd, 200), "an error keeps the connection: %.300s", buf);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/cmdline HTTP/1.1\r\nConnection: close\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            strstr(buf, "\r\nConnection: close\r\n") && t_ka_closed(fd, 5000), "close asked:\n%.300s", buf);
    close(fd);
    /* HTTP/1.0 closes unless asked not to */
    fd = t_http_connect(port);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap HTTP/1.0\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0 && !strstr(buf, "Connection:") &&
            t_ka_closed(fd, 5000), "HTTP/1.0 (Go: a 1.0 answer, the close unsaid):\n%.300s", buf);
    close(fd);
    fd = t_http_connect(port);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0 && strstr(buf, "\r\nConnection: keep-alive\r\n") &&
            !t_ka_closed(fd, 200), "HTTP/1.0 keep-alive:\n%.300s", buf);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap HTTP/1.0\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            t_ka_closed(fd, 5000), "HTTP/1.0, second request");
    close(fd);
    /* idle kept connections hold no thread; more of them than the pending slots: the
       oldest are closed, a new client is still served */
    {
        int fds[PPROF_HTTP_MAX_PENDING + 4], closed = 0, threads = -1;
        for (i = 0; i < PPROF_HTTP_MAX_PENDING + 4; i++) {
            fds[i] = t_http_connect(port);
            T_CHECK(t_ka_ask(fds[i], "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200,
                    "kept connection %d", i);
        }
        for (i = 0; i < 100 && threads != 0; i++) {
            threads = t_threads_named("pprof-http-req");
            if (threads) pprof__os_sleep_ns(20000000);
        }
        T_CHECK(threads == 0, "%d request threads for idle connections", threads);
        fd = t_http_connect(port);
        T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200,
                "a new client with every slot kept");
        close(fd);
        for (i = 0; i < PPROF_HTTP_MAX_PENDING + 4; i++) closed += t_ka_closed(fds[i], 0);
        T_CHECK(closed >= 4, "%d of the oldest kept connections closed", closed);
        for (i = 0; i < PPROF_HTTP_MAX_PENDING + 4; i++) {
            if (!t_ka_closed(fds[i], 0)) /* the rest still serve */
                T_CHECK(t_ka_ask(fds[i], "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200,
                        "kept connection %d, again", i);
            close(fds[i]);
        }
    }
    /* an idle connection is closed after PPROF_HTTP_IDLE_S, not before */
    fd = t_http_connect(port);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200, "idle: first");
    T_CHECK(!t_ka_closed(fd, 500), "closed before the idle limit of %d s", PPROF_HTTP_IDLE_S);
    T_CHECK(t_ka_closed(fd, PPROF_HTTP_IDLE_S * 1000 + 10000), "still open after the idle limit");
    close(fd);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* Alloy's five jobs and Parca's five, each job on its own kept connection, three rounds
   on the same connections: every answer a valid profile, one CPU profile per round. */
typedef struct { int fd, status[3], valid[3]; const char *target, *agent; } t_ka_job;
static void *t_ka_job_run(void *arg) {
    t_ka_job *j = (t_ka_job *)arg;
    char req[512], *buf = (char *)malloc(1 << 20);
    int round;
    for (round = 0; round < 3; round++) {
        size_t len;
        const char *body;
        prd_profile p;
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: %s\r\n"
                 "Accept-Encoding: gzip\r\n\r\n", j->target, j->agent);
        j->status[round] = t_ka_ask(j->fd, req, buf, 1 << 20, &len);
        body = strstr(buf, "\r\n\r\n");
        memset(&p, 0, sizeof p);
        j->valid[round] = j->status[round] == 200 && body &&
                          prd_parse_mem((const unsigned char *)body + 4, len - (size_t)(body + 4 - buf), &p) == 0;
        if (j->valid[round]) {
            char err[128];
            j->valid[round] = prd_validate(&p, err, sizeof err) == 0;
            prd_free(&p);
        }
    }
    free(buf);
    return NULL;
}
static void t_web_scrapers_keepalive(void) {
    static const char *const jobs[] = {"/debug/pprof/profile?seconds=1", "/debug/pprof/allocs",
                                       "/debug/pprof/goroutine", "/debug/pprof/block",
                                       "/debug/pprof/mutex"};
    t_ka_job j[10];
    pthread_t th[10], spin;
    int port = t_http_start(), i, round;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    for (i = 0; i < 10; i++) {
        memset(&j[i], 0, sizeof j[i]);
        j[i].fd = t_http_connect(port);
        j[i].target = jobs[i % 5];
        j[i].agent = i < 5 ? "GrafanaAgent/v1.0 (pyroscope.scrape)" : "conprof/v0.20.0";
        pthread_create(&th[i], NULL, t_ka_job_run, &j[i]);
    }
    for (i = 0; i < 10; i++) pthread_join(th[i], NULL);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    for (round = 0; round < 3; round++) {
        int cpu_ok = 0;
        for (i = 0; i < 10; i++) {
            if (i % 5 == 0 && j[i].status[round] == 500) continue; /* the other's CPU profile ran */
            T_CHECK(j[i].status[round] == 200 && j[i].valid[round], "round %d, %s (%s): status %d, valid %d",
                    round, j[i].target, j[i].agent, j[i].status[round], j[i].valid[round]);
            cpu_ok += i % 5 == 0;
        }
        T_CHECK(cpu_ok >= 1, "round %d: no CPU profile", round);
    }
    for (i = 0; i < 10; i++) close(j[i].fd);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* What a hostile review found, each kept: a HEAD's error has no body (the next answer on
   the connection is whole); a body may hold any byte; slow small bodies hold no thread;
   Expect: 100-continue gets its go-ahead; encoded parameter names; open flame pages never
   block a profile or a trace. */
static t_resp t_page_resp[PPROF__CPU_WINS];
static int t_page_port;
static void *t_page_client(void *arg) {
    t_http_get(t_page_port, "GET", "/debug/pprof/flamegraph?seconds=3", &t_page_resp[(intptr_t)arg]);
    return NULL;
}
static void t_web_review(void) {
    static char buf[1 << 20];
    static const char nul_body[] = "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 5\r\n\r\n0x1\0+"
                                   "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n";
    int port = t_http_start(), fd, i, fds[PPROF_HTTP_MAX_CONN + 6];
    size_t len;
    t_resp r;
    pthread_t th[PPROF__CPU_WINS];
    fd = t_http_connect(port);
    T_CHECK(t_ka_ask(fd, "HEAD /debug/pprof/nosuch HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 404 &&
            t_ka_ask(fd, "HEAD /debug/pprof/heap?seconds=x HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 400 &&
            t_ka_ask(fd, "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200,
            "after a HEAD's error, on the same connection:\n%.200s", buf);
    /* a NUL in a body, the next request in the same packet */
    T_CHECK(send(fd, nul_body, sizeof nul_body - 1, MSG_NOSIGNAL) == (ssize_t)sizeof nul_body - 1, "send");
    T_CHECK(t_ka_read(fd, buf, sizeof buf, &len, 0) == 200 && strstr(buf, "num_symbols"), "NUL in a body:\n%.200s", buf);
    T_CHECK(t_ka_read(fd, buf, sizeof buf, &len, 0) == 200, "the request after it:\n%.200s", buf);
    T_CHECK(t_ka_ask(fd, "GET /debug/pprof/heap?%64ebu%67=1 HTTP/1.1\r\n\r\n", buf, sizeof buf, &len) == 200 &&
            strstr(buf, "heap profile: "), "an encoded parameter name (Go: debug=1):\n%.200s", buf);
    /* Expect: 100-continue: the go-ahead, then the answer */
    T_CHECK(send(fd, "POST /debug/pprof/symbol HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n",
                 78, MSG_NOSIGNAL) == 78, "send");
    len = t_read_all(fd, buf, 25, 5000);
    buf[len] = 0;
    T_CHECK(strcmp(buf, "HTTP/1.1 100 Continue\r\n\r\n") == 0, "no go-ahead: '%s'", buf);
    T_CHECK(send(fd, "0x1234", 6, MSG_NOSIGNAL) == 6 && t_ka_read(fd, buf, sizeof buf, &len, 0) == 200, "after the go-ahead");
    close(fd);
    /* more slow small bodies than request threads: none holds one, others are served */
    for (i = 0; i < PPROF_HTTP_MAX_CONN + 6; i++) {
        fds[i] = t_http_connect(port);
        T_CHECK(send(fds[i], "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 100\r\n\r\n0x", 60,
                     MSG_NOSIGNAL) == 60, "send");
    }
    pprof__os_sleep_ns(200000000);
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200, "with %d slow bodies: %d", PPROF_HTTP_MAX_CONN + 6, r.status);
    free(r.raw);
    for (i = 0; i < 100 && t_threads_named("pprof-http-req") > 0; i++) /* (the GET's ending) */
        pprof__os_sleep_ns(20000000);
    T_CHECK(t_threads_named("pprof-http-req") == 0, "%d request threads wait for bodies",
            t_threads_named("pprof-http-req"));
    for (i = 0; i < PPROF_HTTP_MAX_CONN + 6; i++) close(fds[i]);
    /* flame pages fill what they may; a profile and a trace still start */
    t_page_port = port;
    for (i = 0; i < PPROF__CPU_WINS - 1; i++) pthread_create(&th[i], NULL, t_page_client, (void *)(intptr_t)i);
    pprof__os_sleep_ns(1000000000);
    t_http_get(port, "GET", "/debug/pprof/profile?seconds=1", &r);
    T_CHECK(r.status == 200, "a profile beside open flame pages: %d '%s'", r.status, r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/trace?seconds=1", &r);
    T_CHECK(r.status == 200, "a trace beside open flame pages: %d '%s'", r.status, r.body);
    free(r.raw);
    for (i = 0; i < PPROF__CPU_WINS - 1; i++) pthread_join(th[i], NULL);
    {
        int ok = 0, busy = 0;
        for (i = 0; i < PPROF__CPU_WINS - 1; i++) {
            ok += t_page_resp[i].status == 200;
            busy += t_page_resp[i].status == 500 &&
                    strcmp(t_page_resp[i].body, "Could not enable CPU profiling: too many flame graph pages at once\n") == 0;
            free(t_page_resp[i].raw);
        }
        T_CHECK(ok == PPROF__CPU_WINS - 2 && busy == 1, "%d pages, %d refused", ok, busy);
    }
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

#define T_WEB_CASES \
    {"web_trace_profile_flame_api_windows_overlap", t_web_overlap, 90}, \
    {"web_index_counts_what_each_profile_holds", t_web_index_counts, 30}, \
    {"web_every_method_and_form_bodies_as_go", t_web_methods_and_forms, 40}, \
    {"web_unclean_paths_301_as_go", t_web_paths, 20}, \
    {"web_keepalive_sequential_close_idle", t_web_keepalive, 60}, \
    {"web_scrapers_over_kept_connections", t_web_scrapers_keepalive, 60}, \
    {"web_head_errors_bodies_expect_pages_as_reviewed", t_web_review, 60},
