/* The /debug/pprof/ listener: endpoints, Go's statuses and headers, concurrency, limits,
   and go tool pprof against the live server. (run.c sets PPROF_HTTP_TIMEOUT_S to 2.) */
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

typedef struct t_resp { int status; char *head; char *body; size_t body_len; char *raw; } t_resp;

/* Sends `req` raw to 127.0.0.1:port and reads the whole answer. */
/* The value of header `name` (with its colon, any case) in head [h, end), else NULL. */
static const char *t_find_header(const char *h, const char *end, const char *name) {
    size_t n = strlen(name);
    for (h = strstr(h, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
        if (strncasecmp(h + 2, name, n) == 0) return h + 2 + n;
    return NULL;
}
static void t_http_raw(int port, const char *req, size_t req_len, t_resp *r) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t len = 0, cap = 1 << 16;
    ssize_t n;
    char *sep;
    memset(r, 0, sizeof *r);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    T_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    T_CHECK(send(fd, req, req_len, MSG_NOSIGNAL) == (ssize_t)req_len || 1, "send");
    r->raw = (char *)malloc(cap + 1);
    /* one answer: to the end of its Content-Length (a HEAD's: its head), else to the close */
    while ((n = recv(fd, r->raw + len, cap - len, 0)) > 0 || (n < 0 && errno == EINTR)) {
        const char *end, *cl;
        if (n > 0) len += (size_t)n;
        if (len == cap) { cap *= 2; r->raw = (char *)realloc(r->raw, cap + 1); }
        r->raw[len] = 0;
        if ((end = strstr(r->raw, "\r\n\r\n")) == NULL) continue;
        cl = t_find_header(r->raw, end, "Content-Length:");
        if (req_len >= 5 && memcmp(req, "HEAD ", 5) == 0) {
            if (cl) break;
        } else if (cl && len >= (size_t)(end + 4 - r->raw) + strtoul(cl, NULL, 10)) {
            break;
        }
    }
    close(fd);
    r->raw[len] = 0;
    r->head = r->raw; /* no answer at all (an aborted request): status 0, empty */
    r->body = r->raw + len;
    if (sscanf(r->raw, "HTTP/1.%*[01] %d", &r->status) != 1) return;
    sep = strstr(r->raw, "\r\n\r\n");
    T_CHECK(sep != NULL, "no end of headers");
    *sep = 0;
    r->body = sep + 4;
    r->body_len = len - (size_t)(r->body - r->raw);
}
static void t_http_get(int port, const char *method, const char *target, t_resp *r) {
    char req[4096];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     method, target);
    t_http_raw(port, req, (size_t)n, r);
}
static int t_has_header(const t_resp *r, const char *line) {
    return strstr(r->head, line) != NULL;
}

static int t_http_start(void) {
    int rc = pprof_listen(0);
    T_CHECK(rc == PPROF_OK, "listen: %s", pprof_strerror(rc));
    T_CHECK(pprof_listen_port() > 0, "port");
    return pprof_listen_port();
}

static void t_http_listen_errors(void) {
    int port, fd, rc;
    struct sockaddr_in a;
    T_CHECK(pprof_shutdown() == PPROF_ERR_NOT_LISTENING, "shutdown while not listening");
    T_CHECK(pprof_listen(-1) == PPROF_ERR_ADDRESS && pprof_listen(65536) == PPROF_ERR_ADDRESS, "port range");
    T_CHECK(pprof_listen_addr("nonsense") == PPROF_ERR_ADDRESS, "no port");
    T_CHECK(pprof_listen_addr("127.0.0.1:x") == PPROF_ERR_ADDRESS, "bad port");
    T_CHECK(pprof_listen_addr("300.1.1.1:0") == PPROF_ERR_ADDRESS, "bad host");
    T_CHECK(pprof_listen_addr("[::1:0") == PPROF_ERR_ADDRESS, "bad v6");
    T_CHECK(pprof_listen_addr(NULL) == PPROF_ERR_ADDRESS, "NULL");
    /* a port in use */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    T_CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0, "bind");
    {
        socklen_t l = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &l);
    }
    rc = pprof_listen(ntohs(a.sin_port));
    T_CHECK(rc == PPROF_ERR_ADDR_IN_USE, "port in use: %s", pprof_strerror(rc));
    T_CHECK(pprof_last_os_error() == EADDRINUSE, "errno kept");
    close(fd);
    port = t_http_start();
    T_CHECK(pprof_listen(0) == PPROF_ERR_LISTENING, "listening twice");
    T_CHECK(pprof_listen_port() == port, "port changed");
    T_CHECK(pprof_shutdown() == PPROF_OK && pprof_listen_port() == 0, "shutdown");
    if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) >= 0) {
        t_resp r;
        close(fd);
        rc = pprof_listen_addr("[::1]:0");
        if (rc == PPROF_OK) {
            T_CHECK(pprof_listen_port() > 0, "v6 port");
            T_CHECK(pprof_shutdown() == PPROF_OK, "v6 shutdown");
        } else {
            T_CHECK(rc == PPROF_ERR_ADDRESS, "v6: %s", pprof_strerror(rc)); /* no ::1 here */
        }
        (void)r;
    }
}

static void t_http_endpoints(void) {
    int port = t_http_start();
    t_resp r;
    prd_profile p;
    char target[128], want[128];
    static const char *const names[] = {"heap", "allocs", "block", "mutex", "goroutine", "threadcreate"};
    static const char *const first_type[] = {"alloc_objects", "alloc_objects", "contentions",
                                             "contentions", "goroutine", "threadcreate"};
    size_t i;
    t_http_get(port, "GET", "/debug/pprof/", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: text/html; charset=utf-8") &&
            t_has_header(&r, "X-Content-Type-Options: nosniff"), "index:\n%s", r.head);
    T_CHECK(strstr(r.body, "<a href='profile?debug=1'>profile</a>") &&
            strstr(r.body, "goroutine?debug=2"), "index links");
    T_CHECK(!strstr(r.body, "<td>0</td><td><a href='goroutine?debug=1'>"), "goroutine count is the thread count");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof", &r);
    T_CHECK(r.status == 301 && t_has_header(&r, "Location: /debug/pprof/"), "redirect");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/cmdline", &r);
    T_CHECK(r.status == 200 && r.body_len > 0 && strstr(r.body, "run") && r.body[r.body_len - 1] != 0,
            "cmdline '%s'", r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/nosuch", &r);
    T_CHECK(r.status == 404 && strcmp(r.body, "Unknown profile\n") == 0 &&
            t_has_header(&r, "X-Go-Pprof: 1") && t_has_header(&r, "text/plain"), "404:\n%s", r.head);
    free(r.raw);
    t_http_get(port, "GET", "/elsewhere", &r);
    T_CHECK(r.status == 404, "outside /debug/pprof/");
    free(r.raw);
    t_http_get(port, "DELETE", "/debug/pprof/heap", &r); /* Go serves every method */
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Disposition: attachment; filename=\"heap\""),
            "DELETE:\n%s", r.head);
    free(r.raw);
    t_http_get(port, "HEAD", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200 && r.body_len == 0, "HEAD");
    free(r.raw);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(target, sizeof target, "/debug/pprof/%s", names[i]);
        t_http_get(port, "GET", target, &r);
        snprintf(want, sizeof want, "Content-Disposition: attachment; filename=\"%s\"", names[i]);
        T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: application/octet-stream") &&
                t_has_header(&r, want), "%s:\n%s", names[i], r.head);
        memset(&p, 0, sizeof p);
        T_CHECK(prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0, "%s: %s", names[i], p.err);
        T_CHECK(p.was_gzip && p.nsample_type >= 1 &&
                t_streq(prd_str(&p, p.sample_type[0].type), first_type[i]), "%s sample types", names[i]);
        if (i == 1) T_CHECK(t_streq(prd_str(&p, p.default_sample_type), "alloc_space"), "allocs default");
        if (i == 0) T_CHECK(p.default_sample_type == 0 && p.period == 524288 &&
                            t_streq(prd_str(&p, p.period_type.type), "space"), "heap period");
        prd_free(&p);
        free(r.raw);
        snprintf(target, sizeof target, "/debug/pprof/%s?debug=1", names[i]);
        t_http_get(port, "GET", target, &r);
        T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: text/plain; charset=utf-8") &&
                !strstr(r.head, "Content-Disposition"), "%s debug=1", names[i]);
        free(r.raw);
    }
    t_http_get(port, "GET", "/debug/pprof/goroutine?debug=2", &r);
    snprintf(want, sizeof want, "thread %d [", (int)getpid());
    T_CHECK(r.status == 200 && strstr(r.body, want) && strstr(r.body, "pprof-http-req, running]"),
            "goroutine debug=2:\n%s", r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?gc=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"heap\""), "gc=1 is accepted");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/threads", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"goroutine\""), "threads alias");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?seconds=x", &r);
    T_CHECK(r.status == 400 && strcmp(r.body, "invalid value for \"seconds\" - must be a positive integer\n") == 0,
            "bad seconds: %s", r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?seconds=1&debug=1", &r);
    T_CHECK(r.status == 400 && strcmp(r.body, "seconds and debug params are incompatible\n") == 0, "seconds+debug");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/allocs?seconds=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "filename=\"allocs-delta\""), "delta:\n%s", r.head);
    memset(&p, 0, sizeof p);
    T_CHECK(prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0 &&
            p.duration_nanos >= 900000000, "delta duration");
    prd_free(&p);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/symbol", &r);
    T_CHECK(r.status == 200 && strcmp(r.body, "num_symbols: 1\n") == 0, "symbol GET '%s'", r.body);
    free(r.raw);
    {   /* POST addresses, the way go tool pprof sends them */
        char req[512], body[128];
        int bl = snprintf(body, sizeof body, "0x%lx+0x1+junk+0x%lx", (unsigned long)&hot_a + 2,
                          (unsigned long)&t_round);
        int n = snprintf(req, sizeof req, "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Type: "
                         "application/octet-stream\r\nContent-Length: %d\r\n\r\n%s", bl, body);
        t_http_raw(port, req, (size_t)n, &r);
        snprintf(want, sizeof want, "0x%lx hot_a\n", (unsigned long)&hot_a + 2);
        T_CHECK(r.status == 200 && strstr(r.body, want) && strstr(r.body, " t_round\n") &&
                strncmp(r.body, "num_symbols: 1\n", 15) == 0, "symbol POST:\n%s", r.body);
        free(r.raw);
    }
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* /trace: the samples as Chrome trace-event JSON, per thread, balanced B/E spans. */
static void t_http_trace(void) {
    int port = t_http_start();
    pthread_t spin;
    t_resp r;
    size_t b = 0, e = 0;
    const char *p;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    t_http_get(port, "GET", "/debug/pprof/trace?seconds=1", &r);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: application/json") &&
            t_has_header(&r, "filename=\"trace.json\""), "trace:\n%s", r.head);
    T_CHECK(strncmp(r.body, "{\"displayTimeUnit\"", 18) == 0 && strstr(r.body, "\"traceEvents\":[") &&
            strcmp(r.body + r.body_len - 3, "]}\n") == 0, "not the JSON expected: %.200s", r.body);
    T_CHECK(strstr(r.body, "\"name\":\"hot_a\"") && strstr(r.body, "\"name\":\"stage_a\"") &&
            strstr(r.body, "thread_name"), "spans of the spinning thread missing");
    for (p = r.body; (p = strstr(p, "\"ph\":\"B\"")) != NULL; p++) b++;
    for (p = r.body; (p = strstr(p, "\"ph\":\"E\"")) != NULL; p++) e++;
    T_CHECK(b > 0 && b == e, "%zu B events, %zu E events", b, e);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/trace?seconds=bad", &r); /* Go: bad means 1 s */
    T_CHECK(r.status == 200, "trace with bad seconds: %d", r.status);
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* A CPU profile does not hold up other requests; a second one gets Go's 500 at once. */
static int t_http_port;
static t_resp t_http_cpu_resp;
static const char *t_http_cpu_target = "/debug/pprof/profile?seconds=5";
static void *t_http_cpu_client(void *arg) {
    (void)arg;
    t_http_get(t_http_port, "GET", t_http_cpu_target, &t_http_cpu_resp);
    return NULL;
}
static void t_http_cpu_concurrency(void) {
    pthread_t c, spin;
    t_resp r;
    prd_profile p;
    int64_t t0, t1, spin0, spin1;
    t_http_port = t_http_start();
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    spin0 = t_thread_cpu_ns(spin); /* the spinning thread's CPU around the profile's request */
    pthread_create(&c, NULL, t_http_cpu_client, NULL);
    pprof__os_sleep_ns(500000000);
    t0 = pprof__os_mono_ns();
    t_http_get(t_http_port, "GET", "/debug/pprof/heap", &r);
    t1 = pprof__os_mono_ns();
    T_CHECK(r.status == 200 && t1 - t0 < 1000000000, "heap during a CPU profile: %d after %.3f s",
            r.status, (double)(t1 - t0) / 1e9);
    free(r.raw);
    t0 = pprof__os_mono_ns();
    t_http_get(t_http_port, "GET", "/debug/pprof/profile?seconds=1", &r);
    t1 = pprof__os_mono_ns();
    T_CHECK(r.status == 500 && strcmp(r.body, "Could not enable CPU profiling: cpu profiling already in use\n") == 0 &&
            t1 - t0 < 500000000, "second CPU profile: %d '%s'", r.status, r.body);
    free(r.raw);
    T_CHECK(pprof_cpu_start(stdout) == PPROF_ERR_BUSY, "the API sees the endpoint's profile");
    T_CHECK(pprof_cpu_stop() == PPROF_ERR_NOT_RUNNING, "the API cannot stop the endpoint's profile");
    pthread_join(c, NULL);
    spin1 = t_thread_cpu_ns(spin);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    T_CHECK(t_http_cpu_resp.status == 200 &&
            strstr(t_http_cpu_resp.head, "filename=\"profile\""), "CPU profile:\n%s", t_http_cpu_resp.head);
    memset(&p, 0, sizeof p);
    T_CHECK(prd_parse_mem((const unsigned char *)t_http_cpu_resp.body, t_http_cpu_resp.body_len, &p) == 0,
            "parse: %s", p.err);
    /* as many samples as the CPU the machine gave it while the request was out */
    T_CHECK_SAMPLES("hot_a, the spinning thread", t_flat(&p, "hot_a", 0), spin1 - spin0, 300000000,
                    (int)(1000000000 / p.period));
    T_CHECK(p.duration_nanos > 4900000000 && p.duration_nanos < 6000000000, "duration");
    prd_free(&p);
    free(t_http_cpu_resp.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* What a client controls is bounded, with the status that says so. */
static void t_http_limits(void) {
    int port = t_http_start(), fds[PPROF_HTTP_MAX_PENDING + PPROF_HTTP_MAX_CONN + 20], i;
    t_resp r;
    char *big = (char *)malloc(40000);
    struct sockaddr_in a;
    int64_t t0;
    memcpy(big, "GET /debug/pprof/", 17);
    memset(big + 17, 'a', 9000);
    memcpy(big + 9017, " HTTP/1.1\r\n\r\n", 13);
    t_http_raw(port, big, 9030, &r);
    T_CHECK(r.status == 414, "long request line: %d", r.status);
    free(r.raw);
    memcpy(big, "GET /debug/pprof/ HTTP/1.1\r\n", 28);
    for (i = 0; i < 1000; i++) memcpy(big + 28 + i * 20, "X-Filler: 123456789\n", 20);
    memcpy(big + 28 + 20000, "\r\n\r\n", 4);
    t_http_raw(port, big, 20032, &r);
    T_CHECK(r.status == 431, "huge headers: %d", r.status);
    free(r.raw);
    {
        const char *post = "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n";
        t_http_raw(port, post, strlen(post), &r);
    }
    T_CHECK(r.status == 413, "huge body: %d", r.status);
    free(r.raw);
    {
        const char *junk = "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 10abc\r\n\r\n";
        const char *chunked = "POST /debug/pprof/symbol HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        t_http_raw(port, junk, strlen(junk), &r);
        T_CHECK(r.status == 400, "Content-Length with junk: %d", r.status);
        free(r.raw);
        t_http_raw(port, chunked, strlen(chunked), &r);
        T_CHECK(r.status == 411, "chunked body: %d", r.status);
        free(r.raw);
    }
    {   /* bytes sent while a delta waits are read and dropped, not spun on */
        const char *req = "GET /debug/pprof/heap?seconds=2 HTTP/1.1\r\n\r\nextra bytes";
        clockid_t clk;
        struct timespec c0, c1;
        clock_getcpuclockid(0, &clk);
        clock_gettime(clk, &c0);
        t_http_raw(port, req, strlen(req), &r);
        clock_gettime(clk, &c1);
        T_CHECK(r.status == 200, "delta with extra bytes: %d", r.status);
        T_CHECK((c1.tv_sec - c0.tv_sec) * 1000000000L + (c1.tv_nsec - c0.tv_nsec) < 300000000L,
                "the waiting request burned CPU");
        free(r.raw);
    }
    t_http_raw(port, "garbage\r\n\r\n", 11, &r);
    T_CHECK(r.status == 400, "garbage: %d", r.status);
    free(r.raw);
    t0 = pprof__os_mono_ns(); /* a client that stops mid-request gets 408 after the timeout */
    t_http_raw(port, "GET /debug/pprof/heap HTTP/1.1\r\n", 32, &r);
    T_CHECK(r.status == 408 && pprof__os_mono_ns() - t0 < 5000000000, "slow client: %d", r.status);
    free(r.raw);
    {   /* a client trickling a byte a second still meets the deadline of the whole request */
        struct sockaddr_in sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0), k, got = 0;
        char ans[256];
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        T_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect");
        t0 = pprof__os_mono_ns();
        for (k = 0; k < 8 && got <= 0; k++) {
            send(fd, "G", 1, MSG_NOSIGNAL);
            pprof__os_sleep_ns(700000000);
            got = (int)recv(fd, ans, sizeof ans - 1, MSG_DONTWAIT);
        }
        T_CHECK(got > 0 && strncmp(ans, "HTTP/1.1 408", 12) == 0 &&
                pprof__os_mono_ns() - t0 < 4000000000, "trickling client not cut off");
        close(fd);
    }
    /* idle clients hold no worker: with PPROF_HTTP_MAX_PENDING + 20 of them connected,
       the oldest are closed as new ones come, and a real request is served */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < PPROF_HTTP_MAX_PENDING + 20; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        T_CHECK(connect(fds[i], (struct sockaddr *)&a, sizeof a) == 0, "connect %d", i);
        if (i % 2) send(fds[i], "GET /deb", 8, MSG_NOSIGNAL); /* and some half requests */
    }
    pprof__os_sleep_ns(200000000);
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200, "idle clients starved a request: %d", r.status);
    free(r.raw);
    for (i = 0; i < PPROF_HTTP_MAX_PENDING + 20; i++) close(fds[i]);
    /* every worker busy with a whole request (2 s heap windows): the next gets 503 at once */
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) {
        static const char wreq[] = "GET /debug/pprof/heap?seconds=2 HTTP/1.1\r\n\r\n";
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        T_CHECK(connect(fds[i], (struct sockaddr *)&a, sizeof a) == 0, "connect %d", i);
        T_CHECK(send(fds[i], wreq, sizeof wreq - 1, MSG_NOSIGNAL) == (ssize_t)sizeof wreq - 1, "send");
    }
    pprof__os_sleep_ns(300000000);
    t0 = pprof__os_mono_ns();
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 503 && pprof__os_mono_ns() - t0 < 1000000000,
            "over the request limit: %d", r.status);
    free(r.raw);
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) close(fds[i]);
    pprof__os_sleep_ns(300000000);
    t_http_get(port, "GET", "/debug/pprof/heap", &r);
    T_CHECK(r.status == 200, "serving again after the clients left: %d", r.status);
    free(r.raw);
    free(big);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}


/* listen and shutdown 100 times: no descriptor or thread left behind. */
static void t_http_listen_shutdown_loop(void) {
    int fds0, threads0, i;
    t_resp r;
    fds0 = t_count_dir("/proc/self/fd");
    threads0 = t_count_dir("/proc/self/task");
    for (i = 0; i < 100; i++) {
        int port = t_http_start();
        if (i % 10 == 0) {
            t_http_get(port, "GET", "/debug/pprof/cmdline", &r);
            T_CHECK(r.status == 200, "round %d", i);
            free(r.raw);
        }
        T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown %d", i);
    }
    T_CHECK(t_count_dir("/proc/self/fd") == fds0, "fds %d -> %d", fds0, t_count_dir("/proc/self/fd"));
    T_CHECK(t_count_dir("/proc/self/task") == threads0, "threads %d -> %d", threads0,
            t_count_dir("/proc/self/task"));
}

/* fork while listening: the child does not listen (its sockets closed) and may listen
   itself; the parent goes on serving. */
static void t_http_fork(void) {
    int port = t_http_start(), status;
    t_resp r;
    pid_t pid = fork();
    if (pid == 0) {
        int cport;
        if (pprof_listen_port() != 0) _exit(10);
        if (pprof_shutdown() != PPROF_ERR_NOT_LISTENING) _exit(11);
        if (pprof_listen(0) != PPROF_OK) _exit(12);
        cport = pprof_listen_port();
        t_http_get(cport, "GET", "/debug/pprof/cmdline", &r);
        if (r.status != 200) _exit(13);
        if (pprof_shutdown() != PPROF_OK) _exit(14);
        _exit(0);
    }
    T_CHECK(pid > 0, "fork");
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", WEXITSTATUS(status));
    t_http_get(port, "GET", "/debug/pprof/cmdline", &r);
    T_CHECK(r.status == 200, "the parent stopped serving: %d", r.status);
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* shutdown ends a CPU profile in flight quickly. */
static void t_http_shutdown_during_profile(void) {
    pthread_t c;
    int64_t t0;
    t_http_port = t_http_start();
    pthread_create(&c, NULL, t_http_cpu_client, NULL);
    pprof__os_sleep_ns(300000000);
    t0 = pprof__os_mono_ns();
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    T_CHECK(pprof__os_mono_ns() - t0 < 1000000000, "shutdown took %.3f s",
            (double)(pprof__os_mono_ns() - t0) / 1e9);
    pthread_join(c, NULL);
    free(t_http_cpu_resp.raw);
    {
        FILE *fp = tmpfile();
        T_CHECK(pprof_cpu_start(fp) == PPROF_OK && pprof_cpu_stop() == PPROF_OK, "profiler usable after");
        fclose(fp);
    }
}

/* What Grafana Alloy's pyroscope.scrape and Parca do each interval: one CPU profile and the
   other profiles of the same target at once (Alloy: one job per type), with their user
   agents, twice. Every answer is a valid profile; the short ones come back at once. */
typedef struct t_scrape { char target[128]; const char *agent; int status; double secs; int valid; } t_scrape;
static int t_scrape_port;
static void *t_scrape_one(void *arg) {
    t_scrape *s = (t_scrape *)arg;
    char req[512];
    t_resp r;
    prd_profile p;
    int64_t t0 = pprof__os_mono_ns();
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: %s\r\n"
                     "Accept-Encoding: gzip\r\n\r\n", s->target, s->agent);
    t_http_raw(t_scrape_port, req, (size_t)n, &r);
    s->secs = (double)(pprof__os_mono_ns() - t0) / 1e9;
    s->status = r.status;
    memset(&p, 0, sizeof p);
    s->valid = r.status == 200 && strstr(r.head, "Content-Type: application/octet-stream") &&
               !strstr(r.head, "Content-Encoding") &&
               prd_parse_mem((const unsigned char *)r.body, r.body_len, &p) == 0 && p.ntime_nanos == 1;
    if (s->valid) {
        char err[128];
        s->valid = prd_validate(&p, err, sizeof err) == 0;
        prd_free(&p);
    }
    free(r.raw);
    return NULL;
}
static void t_http_scraper_patterns(void) {
    static const char *const alloy[] = {"/debug/pprof/profile?seconds=2", "/debug/pprof/allocs",
                                        "/debug/pprof/goroutine", "/debug/pprof/block",
                                        "/debug/pprof/mutex"};
    t_scrape s[10];
    pthread_t th[10], spin;
    int round, i;
    t_scrape_port = t_http_start();
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < 10; i++) { /* Alloy's five jobs and Parca's five, all at once */
            snprintf(s[i].target, sizeof s[i].target, "%s", alloy[i % 5]);
            if (i == 5) snprintf(s[i].target, sizeof s[i].target, "/debug/pprof/profile?seconds=2");
            s[i].agent = i < 5 ? "GrafanaAgent/v1.0 (pyroscope.scrape)" : "conprof/v0.20.0";
            pthread_create(&th[i], NULL, t_scrape_one, &s[i]);
        }
        for (i = 0; i < 10; i++) pthread_join(th[i], NULL);
        for (i = 0; i < 10; i++) {
            int cpu = strstr(s[i].target, "profile?") != NULL;
            if (cpu && s[i].status == 500) continue; /* the other scraper's CPU profile won */
            T_CHECK(s[i].status == 200 && s[i].valid, "round %d %s: status %d valid %d", round,
                    s[i].target, s[i].status, s[i].valid);
            T_CHECK(cpu ? s[i].secs < 3.5 : s[i].secs < 1.0, "round %d %s took %.3f s", round,
                    s[i].target, s[i].secs);
        }
        T_CHECK((s[0].status == 200) + (s[5].status == 200) == 1, "exactly one CPU profile runs");
    }
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

static void t_http_go_pprof_live(void) {
    char cmd[512], *out = (char *)malloc(1 << 20);
    int port;
    pthread_t spin;
    if (!t_have("go")) T_SKIP("`go` not found: go tool pprof is not tested (CI installs golang-go)");
    port = t_http_start();
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -top 'http://127.0.0.1:%d/debug/pprof/profile?seconds=2' 2>&1", port);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0, "%s:\n%s", cmd, out);
    T_CHECK(strstr(out, "hot_a") && strstr(out, "Type: cpu"), "-top:\n%s", out);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -raw http://127.0.0.1:%d/debug/pprof/heap 2>&1", port);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0 && strstr(out, "alloc_objects/count"), "heap -raw:\n%s", out);
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -top http://127.0.0.1:%d/debug/pprof/goroutine 2>&1", port);
    T_CHECK(t_capture(cmd, out, 1 << 20) == 0 && strstr(out, "Type: goroutine"), "goroutine:\n%s", out);
    if (!t_have("dot")) T_SKIP("graphviz `dot` not found: -png and the web UI are not tested (CI installs graphviz)");
    {   /* -png: a picture of the live CPU profile */
        FILE *png;
        unsigned char magic[8];
        snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -png 'http://127.0.0.1:%d/debug/pprof/profile?seconds=1' "
                 "> /tmp/pprof-test-%d.png 2>/dev/null", port, (int)getpid());
        T_CHECK(system(cmd) == 0, "%s", cmd);
        snprintf(cmd, sizeof cmd, "/tmp/pprof-test-%d.png", (int)getpid());
        png = fopen(cmd, "rb");
        T_CHECK(png && fread(magic, 1, 8, png) == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
        fclose(png);
        unlink(cmd);
    }
    {   /* -http: go tool pprof's web UI over the live profile, its flame graph page fetched */
        int ui = 0, i;
        pid_t pid;
        t_resp r;
        struct sockaddr_in a;
        socklen_t l = sizeof a;
        int probe = socket(AF_INET, SOCK_STREAM, 0);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(probe, (struct sockaddr *)&a, sizeof a);
        getsockname(probe, (struct sockaddr *)&a, &l);
        ui = ntohs(a.sin_port);
        close(probe);
        pid = fork();
        if (pid == 0) {
            char addr[64], url[128];
            snprintf(addr, sizeof addr, "-http=127.0.0.1:%d", ui);
            snprintf(url, sizeof url, "http://127.0.0.1:%d/debug/pprof/profile?seconds=1", port);
            setenv("HOME", "/tmp", 1);
            if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(2);
            execlp("go", "go", "tool", "pprof", "-no_browser", addr, url, (char *)NULL);
            _exit(127);
        }
        r.status = 0;
        for (i = 0; i < 100 && r.status != 200; i++) { /* it fetches, then serves */
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            a.sin_port = htons((uint16_t)ui);
            if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
                close(fd);
                t_http_get(ui, "GET", "/ui/flamegraph", &r);
                if (r.status != 200) free(r.raw);
            } else {
                close(fd);
                pprof__os_sleep_ns(200000000);
            }
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        T_CHECK(r.status == 200 && (strstr(r.body, "hot_a") || strstr(r.body, "flame")),
                "web UI flame graph: %d", r.status);
        free(r.raw);
    }
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    free(out);
}

/* The request an abuser sends and the status that must come back, with the listener
   serving normally afterwards. */
static void t_http_expect(int port, const char *req, size_t len, int status, const char *what) {
    t_resp r;
    int64_t t0 = pprof__os_mono_ns();
    t_http_raw(port, req, len, &r);
    T_CHECK(r.status == status, "%s: got %d, want %d", what, r.status, status);
    T_CHECK(pprof__os_mono_ns() - t0 < 1000000000, "%s: took over 1 s", what);
    free(r.raw);
}
#define T_HTTP_EXPECT(port, lit, status) t_http_expect(port, lit, sizeof lit - 1, status, lit)

/* Reads fd into buf (cap bytes) until the peer closes, or ms pass without a byte. */
static size_t t_read_all(int fd, char *buf, size_t cap, int ms) {
    size_t len = 0;
    for (;;) {
        struct pollfd p;
        ssize_t n;
        p.fd = fd;
        p.events = POLLIN;
        if (len == cap || poll(&p, 1, ms) <= 0) break;
        n = recv(fd, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    return len;
}
static int t_http_connect(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    T_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    return fd;
}

static int t_trickle_stop;
static int t_trickle_port;
static void *t_trickler(void *arg) { /* 100 byte-at-a-time clients, reconnecting when cut */
    int fds[100], i, k = 0;
    (void)arg;
    for (i = 0; i < 100; i++) fds[i] = t_http_connect(t_trickle_port);
    while (!__atomic_load_n(&t_trickle_stop, __ATOMIC_RELAXED)) {
        for (i = 0; i < 100; i++) {
            if (send(fds[i], &"GET /debug/pprof/heap HTTP/1.1\r\n"[k % 32], 1, MSG_NOSIGNAL) != 1) {
                close(fds[i]);
                fds[i] = t_http_connect(t_trickle_port);
            }
        }
        k++;
        pprof__os_sleep_ns(50000000);
    }
    for (i = 0; i < 100; i++) close(fds[i]);
    return NULL;
}

/* Malformed, hostile and odd requests: each gets a clear status (or a clean close) at
   once, and the listener goes on serving; slow clients never starve a real one. */
static void t_http_abuse(void) {
    int fds0 = t_count_dir("/proc/self/fd"), port = t_http_start(), fd, i;
    t_resp r;
    pthread_t th;
    char buf[8192];
    /* methods and request lines */
    T_HTTP_EXPECT(port, "FOO /debug/pprof/ HTTP/1.1\r\n\r\n", 200); /* any token is a method */
    T_HTTP_EXPECT(port, "DELETE /debug/pprof/heap HTTP/1.1\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "get /debug/pprof/ HTTP/1.1\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "VERYLONGMETHOD /debug/pprof/ HTTP/1.1\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "A-METHOD-LONGER-THAN-THIRTY-TWO-BYTES /debug/pprof/ HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "G(ET /debug/pprof/ HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, " GET /debug/pprof/ HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/2.0\r\n\r\n", 505);
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1 extra\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/\r\n\r\n", 400);           /* HTTP/0.9 */
    T_HTTP_EXPECT(port, "GET /debug/pprof/\r\n", 400);               /* ... without headers */
    T_HTTP_EXPECT(port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);      /* h2 prior knowledge */
    T_HTTP_EXPECT(port, "GET debug/pprof/ HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/\x01heap HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "\r\n\r\n", 400);
    /* escapes: decoded as Go does, bad ones refused; traversal finds nothing */
    T_HTTP_EXPECT(port, "GET /debug/pprof/he%61p HTTP/1.1\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "GET /debug/pprof/%zzheap HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap% HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap%00 HTTP/1.1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/../../../../etc/passwd HTTP/1.1\r\n\r\n", 301); /* Go: to /etc/passwd */
    T_HTTP_EXPECT(port, "GET /debug/pprof/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n", 301); /* Go: to /etc/passwd */
    T_HTTP_EXPECT(port, "GET /debug/pprof/..%2f..%2fetc%2fpasswd HTTP/1.1\r\n\r\n", 301); /* Go: to /etc/passwd */
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap?debug=%zz HTTP/1.1\r\n\r\n", 200); /* Go: ignored */
    t_http_get(port, "GET", "/debug/pprof/heap?debug=%31", &r);
    T_CHECK(r.status == 200 && strstr(r.body, "heap profile:"), "escaped debug=1 not text");
    free(r.raw);
    /* NUL bytes: refused at once, not waited on */
    t_http_expect(port, "GET /debug/pprof/\0heap HTTP/1.1\r\n\r\n", 36, 400, "NUL in the path");
    t_http_expect(port, "GET /debug/pprof/ HTTP/1.1\r\nX-A: \0\r\n\r\n", 38, 400, "NUL in a header");
    /* headers */
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1\r\nno colon here\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1\r\nBad Name: 1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n12345", 400);
    T_HTTP_EXPECT(port, "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
    T_HTTP_EXPECT(port, "POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413);
    /* what a tolerant server accepts: LF-only lines, absolute-form URLs, HTTP/1.0, HEAD */
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\n\n", 200);
    T_HTTP_EXPECT(port, "GET http://127.0.0.1/debug/pprof/heap HTTP/1.1\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "GET /debug/pprof/cmdline HTTP/1.0\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "HEAD /debug/pprof/heap HTTP/1.1\r\n\r\n", 200);
    /* pipelined, the second asking to close: both answered in order, then the close */
    {
        static const char two[] = "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n"
                                  "GET /debug/pprof/nosuch HTTP/1.1\r\nConnection: close\r\n\r\n";
        const char *second;
        fd = t_http_connect(port);
        T_CHECK(send(fd, two, sizeof two - 1, MSG_NOSIGNAL) == (ssize_t)sizeof two - 1, "send");
        i = (int)t_read_all(fd, buf, sizeof buf - 1, 10000); /* to the server's close */
        close(fd);
        buf[i > 0 ? i : 0] = 0;
        while (i-- > 0) buf[i] = buf[i] ? buf[i] : ' '; /* the command line's NULs */
        second = strstr(buf + 1, "HTTP/1.1 404");
        T_CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0 && second &&
                strstr(buf, "Connection: close") > second &&
                strstr(second, "Unknown profile\n"), "pipelined:\n%s", buf);
    }
    /* clients that vanish mid-response (a thread dump, a heap profile), 50 times */
    for (i = 0; i < 50; i++) {
        static const char dump[] = "GET /debug/pprof/goroutine?debug=2 HTTP/1.1\r\n\r\n";
        struct linger lg;
        fd = t_http_connect(port);
        lg.l_onoff = 1;
        lg.l_linger = 0; /* close with a reset */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        T_CHECK(send(fd, dump, sizeof dump - 1, MSG_NOSIGNAL) > 0, "send");
        if (i % 2) (void)!recv(fd, buf, 16, 0); /* half read the first bytes */
        close(fd);
    }
    /* 100 byte-at-a-time clients: 20 requests in a row are all served, promptly */
    t_trickle_port = port;
    __atomic_store_n(&t_trickle_stop, 0, __ATOMIC_RELAXED);
    T_CHECK(pthread_create(&th, NULL, t_trickler, NULL) == 0, "thread");
    pprof__os_sleep_ns(500000000);
    for (i = 0; i < 20; i++) {
        int64_t t0 = pprof__os_mono_ns();
        t_http_get(port, "GET", "/debug/pprof/cmdline", &r);
        T_CHECK(r.status == 200 && pprof__os_mono_ns() - t0 < 500000000,
                "request %d beside slow clients: %d", i, r.status);
        free(r.raw);
        pprof__os_sleep_ns(50000000);
    }
    __atomic_store_n(&t_trickle_stop, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    pprof__os_sleep_ns(300000000);
    t_http_get(port, "GET", "/debug/pprof/", &r);
    T_CHECK(r.status == 200, "serving after the abuse: %d", r.status);
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    T_CHECK(t_count_dir("/proc/self/fd") == fds0, "fds %d -> %d", fds0, t_count_dir("/proc/self/fd"));
}

/* pprof_set_token: every endpoint wants "Authorization: Bearer <token>"; PPROF_TOKEN is
   the default; binding beyond loopback without one warns on stderr. */
static void t_http_token(void) {
    int port, saved, i;
    t_resp r;
    char path[64], *log;
    FILE *fp;
    static const char *const eps[] = {"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline",
                                      "/debug/pprof/symbol", "/debug/pprof/nothing", "/other"};
    T_CHECK(pprof_set_token("has space") == PPROF_ERR_TOKEN, "space");
    T_CHECK(pprof_set_token("tab\there") == PPROF_ERR_TOKEN, "tab");
    {
        char big[300];
        memset(big, 'x', 257);
        big[257] = 0;
        T_CHECK(pprof_set_token(big) == PPROF_ERR_TOKEN, "257 bytes");
        big[256] = 0;
        T_CHECK(pprof_set_token(big) == PPROF_OK, "256 bytes");
    }
    T_CHECK(pprof_set_token("s3cr3t-T0ken") == PPROF_OK, "set");
    port = t_http_start();
    for (i = 0; i < 6; i++) {
        t_http_get(port, "GET", eps[i], &r);
        T_CHECK(r.status == 401 && t_has_header(&r, "WWW-Authenticate: Bearer"), "%s without: %d", eps[i], r.status);
        free(r.raw);
    }
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Bearer s3cr3t-T0ken\r\n\r\n", 200);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nauthorization:   bearer s3cr3t-T0ken  \r\n\r\n", 200);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Bearer s3cr3t-T0ke\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Bearer s3cr3t-T0kenX\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Bearer S3CR3T-T0KEN\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Basic czNjcjN0LVQwa2Vu\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization: Bearer\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\nAuthorization:\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "POST /debug/pprof/symbol HTTP/1.1\r\nAuthorization: Bearer s3cr3t-T0ken\r\nContent-Length: 4\r\n\r\n0x10", 200);
    T_CHECK(pprof_set_token(NULL) == PPROF_OK, "clear"); /* takes effect at once */
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\n\r\n", 200);
    T_CHECK(pprof_set_token("again") == PPROF_OK, "set while listening");
    T_HTTP_EXPECT(port, "GET /debug/pprof/heap HTTP/1.1\r\n\r\n", 401);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    /* stderr: a warning beyond loopback without a token, none with one or on loopback */
    snprintf(path, sizeof path, "/tmp/pprof_token_%d.log", (int)getpid());
    fp = fopen(path, "w+");
    T_CHECK(fp != NULL, "log file");
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(fp), 2);
    pprof_set_token("");
    T_CHECK(pprof_listen_addr("127.0.0.1:0") == PPROF_OK && pprof_shutdown() == PPROF_OK, "loopback");
    T_CHECK(pprof_listen_addr("0.0.0.0:0") == PPROF_OK && pprof_shutdown() == PPROF_OK, "any");
    pprof_set_token("tok");
    T_CHECK(pprof_listen_addr("0.0.0.0:0") == PPROF_OK && pprof_shutdown() == PPROF_OK, "any+token");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    log = pprof__os_read_file(path, NULL);
    unlink(path);
    fclose(fp);
    T_CHECK(log && strstr(log, "beyond loopback without a token"), "no warning: [%s]", log ? log : "");
    {
        int warnings = 0;
        const char *p;
        for (p = log; (p = strstr(p, "beyond loopback")) != NULL; p++) warnings++;
        T_CHECK(warnings == 1, "%d warnings, want 1 (0.0.0.0 without a token only)", warnings);
    }
    PPROF_FREE(log);
}

/* PPROF_TOKEN: read by pprof_listen when pprof_set_token was never called. */
static void t_http_token_env(void) {
    int port;
    setenv("PPROF_TOKEN", "from-the-env", 1);
    port = t_http_start();
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1\r\n\r\n", 401);
    T_HTTP_EXPECT(port, "GET /debug/pprof/ HTTP/1.1\r\nAuthorization: Bearer from-the-env\r\n\r\n", 200);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    unsetenv("PPROF_TOKEN");
}


static int t_wrk_spin_stop;
static void *t_wrk_spinner(void *arg) {
    unsigned long x = 1;
    (void)arg;
    while (!__atomic_load_n(&t_wrk_spin_stop, __ATOMIC_RELAXED)) x = t_round(x);
    return (void *)x;
}

/* Runs wrk on two endpoints at once for `secs`; returns wrk's output (a malloc'd string). */
static char *t_wrk(int port, int secs) {
    char cmd[512], *out = (char *)calloc(1, 65536);
    size_t len = 0, n;
    FILE *p;
    snprintf(cmd, sizeof cmd,
             "wrk -t1 -c8 -d%ds --timeout 5s -s tests/wrk_status.lua http://127.0.0.1:%d/debug/pprof/heap 2>&1 & "
             "wrk -t1 -c8 -d%ds --timeout 5s -s tests/wrk_status.lua http://127.0.0.1:%d/debug/pprof/goroutine 2>&1; wait",
             secs, port, secs, port);
    p = popen(cmd, "r");
    T_CHECK(p != NULL, "popen wrk");
    while (len < 65535 && (n = fread(out + len, 1, 65535 - len, p)) > 0) len += n;
    pclose(p);
    return out;
}

/* wrk at full rate on heap and goroutine for 30 s while a CPU profile runs: every answer
   200, no socket error, and no growth of descriptors or memory past a warm-up. */
static void t_http_wrk(void) {
    int port, fds0, fds1, i;
    long rss0, rss1;
    char *out, *p;
    long requests = 0;
    pthread_t th;
    FILE *fp = tmpfile();
    if (!t_have("wrk")) T_SKIP("wrk not installed (Debian package wrk)");
    port = t_http_start();
    pprof_set_heap_rate(4096);
    T_CHECK(pthread_create(&th, NULL, t_wrk_spinner, NULL) == 0, "thread");
    T_CHECK(pprof_cpu_start(fp) == PPROF_OK, "cpu start");
    free(t_wrk(port, 3)); /* warm-up: record tables, thread stacks, the allocator's arenas */
    pprof__os_sleep_ns(300000000); /* the last connections close */
    fds0 = t_count_dir("/proc/self/fd");
    rss0 = t_rss_kib();
    out = t_wrk(port, 30);
    pprof__os_sleep_ns(300000000);
    fds1 = t_count_dir("/proc/self/fd");
    rss1 = t_rss_kib();
    T_CHECK(!strstr(out, "Non-2xx") && !strstr(out, "Socket errors"), "wrk saw errors:\n%s", out);
    for (p = out, i = 0; (p = strstr(p, " requests in ")) != NULL; p++, i++) {
        const char *q = p;
        while (q > out && q[-1] >= '0' && q[-1] <= '9') q--;
        requests += atol(q);
    }
    T_CHECK(i == 2 && requests > 1000, "%ld requests in %d runs:\n%s", requests, i, out);
    T_CHECK(fds1 == fds0, "descriptors %d -> %d", fds0, fds1);
#if !PPROF__SANITIZED /* a sanitizer's quarantine holds freed memory for a while */
    T_CHECK(rss1 - rss0 < 16 * 1024, "RSS grew %ld KiB (%ld -> %ld)", rss1 - rss0, rss0, rss1);
#endif
    T_CHECK(pprof_cpu_stop() == PPROF_OK, "cpu stop");
    __atomic_store_n(&t_wrk_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
    fprintf(stderr, "note: wrk: %ld requests in 30 s, fds %d -> %d, RSS %ld -> %ld KiB\n", requests,
            fds0, fds1, rss0, rss1);
    free(out);
    fclose(fp);
}

/* Out of descriptors: accept fails with EMFILE while the client waits in the backlog; the
   listener neither spins nor dies, and serves the client once descriptors free up. */
static void t_http_emfile(void) {
    int port = t_http_start(), fds[4096], n = 0, i, cfd;
    struct rlimit old, low;
    clockid_t clk;
    struct timespec c0, c1;
    static const char req[] = "GET /debug/pprof/cmdline HTTP/1.1\r\n\r\n";
    char ans[64];
    ssize_t got;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = 256;
    T_CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit");
    while (n < 4096 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0) n++;
    T_CHECK(errno == EMFILE && n > 2, "could not fill the table (%d)", n);
    close(fds[--n]); /* room for the client's socket only */
    cfd = t_http_connect(port);
    T_CHECK(send(cfd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)sizeof req - 1, "send");
    clock_getcpuclockid(0, &clk);
    clock_gettime(clk, &c0);
    pprof__os_sleep_ns(500000000);
    clock_gettime(clk, &c1);
    T_CHECK((c1.tv_sec - c0.tv_sec) * 1000000000L + (c1.tv_nsec - c0.tv_nsec) < 100000000L,
            "the listener spun while out of descriptors");
    for (i = 0; i < 16; i++) close(fds[--n]);
    {
        struct pollfd p;
        p.fd = cfd;
        p.events = POLLIN;
        T_CHECK(poll(&p, 1, 3000) == 1, "no answer once descriptors were free");
    }
    got = recv(cfd, ans, sizeof ans - 1, 0);
    T_CHECK(got >= 12 && strncmp(ans, "HTTP/1.1 200", 12) == 0, "answer: %.*s", (int)(got > 0 ? got : 0), ans);
    close(cfd);
    while (n > 0) close(fds[--n]);
    setrlimit(RLIMIT_NOFILE, &old);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* Folded stacks: every line "frames value", frames without spaces, sorted and unique. */
static void t_folded_parses(const char *what, const char *s) {
    const char *line = s, *prev = NULL;
    size_t prev_len = 0;
    while (*line) {
        const char *nl = strchr(line, '\n'), *sp;
        size_t stack_len;
        T_CHECK(nl != NULL, "%s: last line unterminated", what);
        sp = memchr(line, ' ', (size_t)(nl - line));
        T_CHECK(sp && sp > line && sp + 1 < nl && strspn(sp + 1, "0123456789") == (size_t)(nl - sp - 1),
                "%s: not 'frames value': %.*s", what, (int)(nl - line), line);
        stack_len = (size_t)(sp - line);
        if (prev) {
            int c = memcmp(prev, line, prev_len < stack_len ? prev_len : stack_len);
            T_CHECK(c < 0 || (c == 0 && prev_len < stack_len), "%s: unsorted or repeated: %.*s",
                    what, (int)stack_len, line);
        }
        prev = line;
        prev_len = stack_len;
        line = nl + 1;
    }
}
/* The value of the line whose stack ends in ";leaf" (or is "leaf"), -1 if none. */
static long long t_folded_value(const char *s, const char *leaf) {
    char pat[128];
    const char *p;
    size_t n = (size_t)snprintf(pat, sizeof pat, "%s ", leaf);
    for (p = s; (p = strstr(p, pat)) != NULL; p++)
        if (p == s || p[-1] == ';' || p[-1] == '\n') return atoll(p + n);
    return -1;
}
static char *t_folded_write(const char *name, int format, int *rc) {
    FILE *f = tmpfile();
    long n;
    char *s;
    T_CHECK(f != NULL, "tmpfile");
    *rc = name ? pprof_write_profile(name, f, format) : pprof_write_cpu_format(f, 1, format);
    n = ftell(f);
    rewind(f);
    s = (char *)calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    T_CHECK(n < 0 || fread(s, 1, (size_t)n, f) == (size_t)n, "read back");
    fclose(f);
    return s;
}
static char *t_fold_keep[8];
T_NOINLINE static void t_fold_site_a(int i) {
    t_fold_keep[i] = (char *)pprof_malloc(1000);
    T_OPAQUE(t_fold_keep[i]);
}
T_NOINLINE static void t_fold_site_b(int i) {
    t_fold_keep[i] = (char *)pprof_malloc(4096);
    T_OPAQUE(t_fold_keep[i]);
}

static void t_http_folded_heap(void) {
    static const char *const names[] = {"heap", "allocs", "block", "mutex", "goroutine", "threadcreate"};
    int port = t_http_start(), rc, i;
    t_resp r;
    char *s;
    pprof_set_heap_rate(1); /* every allocation recorded: exact values */
    for (i = 0; i < 3; i++) t_fold_site_a(i);
    for (i = 3; i < 5; i++) t_fold_site_b(i);
    pprof_free(t_fold_keep[4]);
    t_http_get(port, "GET", "/debug/pprof/heap?format=folded", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: text/plain"), "heap folded:\n%s", r.head);
    t_folded_parses("heap", r.body);
    T_CHECK(t_folded_value(r.body, "t_fold_site_a") == 3000 && t_folded_value(r.body, "t_fold_site_b") == 4096,
            "inuse_space per site: %lld %lld\n%.600s", t_folded_value(r.body, "t_fold_site_a"),
            t_folded_value(r.body, "t_fold_site_b"), r.body);
    T_CHECK(strstr(r.body, ";t_http_folded_heap;t_fold_site_a 3000\n"), "root first, leaf last");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/allocs?format=folded", &r);
    T_CHECK(r.status == 200 && t_folded_value(r.body, "t_fold_site_b") == 8192, "alloc_space of site b");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/allocs?seconds=1&format=folded", &r);
    T_CHECK(r.status == 200 && t_folded_value(r.body, "t_fold_site_b") == -1,
            "a window allocates nothing at site b");
    free(r.raw);
    for (i = 0; i < 5; i++) { /* the listener is back in poll soon after it handed us over */
        t_http_get(port, "GET", "/debug/pprof/goroutine?format=folded", &r);
        if (r.status == 200 && strstr(r.body, "pprof__http_named") && strstr(r.body, ";poll")) break;
        if (i < 4) free(r.raw);
        pprof__os_sleep_ns(50000000);
    }
    T_CHECK(r.status == 200 && strstr(r.body, "pprof__http_named") && strstr(r.body, ";poll"),
            "goroutine: the serving thread and the listener\n%.600s", r.body);
    t_folded_parses("goroutine", r.body);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/threads?format=folded", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "text/plain"), "threads");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?format=svg", &r);
    T_CHECK(r.status == 400 && t_has_header(&r, "X-Go-Pprof: 1"), "bad format: %d", r.status);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/profile?format=json", &r);
    T_CHECK(r.status == 400, "bad CPU format: %d", r.status);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/heap?format=folded&debug=1", &r);
    T_CHECK(r.status == 400, "format with debug: %d", r.status);
    free(r.raw);
    for (i = 0; i < 6; i++) {
        s = t_folded_write(names[i], PPROF_FORMAT_FOLDED, &rc);
        T_CHECK(rc == PPROF_OK, "%s: %s", names[i], pprof_strerror(rc));
        t_folded_parses(names[i], s);
        if (i == 0) T_CHECK(t_folded_value(s, "t_fold_site_a") == 3000, "pprof_write_profile heap");
        if (i == 4) T_CHECK(strstr(s, "t_http_folded_heap;t_folded_write;pprof_write_profile"),
                            "the calling thread in its own dump:\n%.800s", s);
        free(s);
        s = t_folded_write(names[i], PPROF_FORMAT_FLAMEGRAPH, &rc);
        T_CHECK(rc == PPROF_OK && strncmp(s, "<!DOCTYPE html>", 15) == 0 && strstr(s, "</html>"),
                "%s page", names[i]);
        free(s);
    }
    s = t_folded_write("heap", 5, &rc);
    T_CHECK(rc == PPROF_ERR_DEBUG, "format 5");
    free(s);
    s = t_folded_write(NULL, PPROF_FORMAT_TEXT, &rc);
    T_CHECK(rc == PPROF_ERR_DEBUG, "CPU text");
    free(s);
    for (i = 0; i < 4; i++) pprof_free(t_fold_keep[i]);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

static void t_http_folded_cpu(void) {
    int port = t_http_start(), rc;
    pthread_t spin;
    t_resp r;
    char *s;
    __atomic_store_n(&t_spin_stop, 0, __ATOMIC_RELAXED);
    pthread_create(&spin, NULL, t_spin_a, NULL);
    t_http_get(port, "GET", "/debug/pprof/profile?seconds=1&format=folded", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: text/plain"), "profile folded:\n%s", r.head);
    t_folded_parses("cpu", r.body);
    T_CHECK(t_folded_value(r.body, "hot_a") > 100000000, "hot_a, nanoseconds:\n%.600s", r.body);
    T_CHECK(strstr(r.body, "stage_a;hot_a "), "caller before callee");
    free(r.raw);
    s = t_folded_write(NULL, PPROF_FORMAT_FOLDED, &rc);
    T_CHECK(rc == PPROF_OK && t_folded_value(s, "hot_a") > 100000000, "pprof_write_cpu_format: %s\n%.300s",
            pprof_strerror(rc), s);
    free(s);
    t_http_get(port, "GET", "/debug/pprof/flamegraph?seconds=1", &r);
    T_CHECK(r.status == 200 && t_has_header(&r, "Content-Type: text/html"), "flamegraph:\n%s", r.head);
    T_CHECK(strstr(r.body, "stage_a;hot_a ") && strstr(r.body, "\"unit\":\"nanoseconds\""), "CPU page data");
    free(r.raw);
    __atomic_store_n(&t_spin_stop, 1, __ATOMIC_RELAXED);
    pthread_join(spin, NULL);
    t_http_get(port, "GET", "/debug/pprof/flamegraph?profile=heap", &r);
    T_CHECK(r.status == 200 && strstr(r.body, "inuse_space") && strstr(r.body, "\"unit\":\"bytes\""), "heap page");
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/flamegraph?profile=nosuch", &r);
    T_CHECK(r.status == 404, "unknown profile: %d", r.status);
    free(r.raw);
    t_http_get(port, "GET", "/debug/pprof/", &r);
    T_CHECK(strstr(r.body, "href=\"flamegraph?seconds=10\"") && strstr(r.body, "flamegraph?profile=heap"),
            "index links the flame graph");
    free(r.raw);
    T_CHECK(pprof_shutdown() == PPROF_OK, "shutdown");
}

/* Names are untrusted: ';', spaces and newlines never break a folded line, and nothing
   in the page's data can close its <script>. A profile built by hand with such names. */
static void t_http_folded_escaping(void) {
    static const char *const strs[] = {"", "cpu", "nanoseconds", "a;b c\nd", "</script><b>&x", "main"};
    pprof__buf pb, out, html;
    size_t i;
    uint64_t loc;
    const char *data, *end;
    memset(&pb, 0, sizeof pb);
    memset(&out, 0, sizeof out);
    memset(&html, 0, sizeof html);
    pprof__pb_open(&pb, 1);                      /* sample_type cpu/nanoseconds */
    pprof__pb_i64(&pb, 1, 1);
    pprof__pb_i64(&pb, 2, 2);
    pprof__pb_close(&pb);
    for (i = 0; i < 2; i++) {                    /* main -> a;b.. and main -> </script>.. */
        pprof__pb_open(&pb, 2);
        pprof__pb_open(&pb, 1);
        pprof__pb_varint(&pb, 1 + i);
        pprof__pb_varint(&pb, 3);
        pprof__pb_close(&pb);
        pprof__pb_open(&pb, 2);
        pprof__pb_varint(&pb, 10 * (i + 1));
        pprof__pb_close(&pb);
        pprof__pb_close(&pb);
    }
    for (loc = 1; loc <= 3; loc++) {
        pprof__pb_open(&pb, 4);
        pprof__pb_u64(&pb, 1, loc);
        pprof__pb_u64(&pb, 3, 0x1000 * loc);
        pprof__pb_open(&pb, 4);
        pprof__pb_u64(&pb, 1, loc);
        pprof__pb_close(&pb);
        pprof__pb_close(&pb);
        pprof__pb_open(&pb, 5);
        pprof__pb_u64(&pb, 1, loc);
        pprof__pb_u64(&pb, 2, loc == 3 ? 5 : loc + 2);
        pprof__pb_close(&pb);
    }
    for (i = 0; i < sizeof strs / sizeof strs[0]; i++) pprof__pb_bytes(&pb, 6, strs[i], strlen(strs[i]));
    pprof__flame_fold(&out, pb.p, pb.len, NULL, NULL);
    pprof__buf_put(&out, "", 1);
    T_CHECK(!out.oom && strcmp((char *)out.p, "main;</script><b>&x 20\nmain;a:b_c_d 10\n") == 0,
            "folded: '%s'", (char *)out.p);
    pprof__flame_html(&html, pb.p, pb.len, "t<i>");
    pprof__buf_put(&html, "", 1);
    data = strstr((char *)html.p, "id=\"data\">");
    T_CHECK(data != NULL, "data block");
    end = strstr(data, "</script>");
    T_CHECK(end && memchr(data + 10, '<', (size_t)(end - data - 10)) == NULL &&
            strstr(data, "\\u003c/script\\u003e\\u003cb\\u003e\\u0026x 20"), "escaped: %.300s", data);
    T_CHECK(strstr(data, "\"title\":\"t\\u003ci\\u003e, cpu\""), "title: %.100s", data);
    pprof__flame_fold(&out, pb.p, pb.len / 2, NULL, NULL); /* truncated input: no crash */
    PPROF_FREE(pb.p);
    PPROF_FREE(out.p);
    PPROF_FREE(html.p);
}

#define T_HTTP_CASES \
    {"http_listen_errors_and_addresses", t_http_listen_errors, 30}, \
    {"http_endpoints_statuses_headers_bodies", t_http_endpoints, 30}, \
    {"http_cpu_profile_does_not_block_others", t_http_cpu_concurrency, 30}, \
    {"http_trace_json_timeline", t_http_trace, 30}, \
    {"http_client_limits_414_431_413_408_503", t_http_limits, 40}, \
    {"http_listen_shutdown_100_times_no_leak", t_http_listen_shutdown_loop, 60}, \
    {"http_shutdown_ends_a_profile_in_flight", t_http_shutdown_during_profile, 30}, \
    {"http_fork_child_does_not_inherit_the_listener", t_http_fork, 30}, \
    {"http_scrapers_alloy_and_parca_replayed", t_http_scraper_patterns, 60}, \
    {"http_go_pprof_against_live_server", t_http_go_pprof_live, 120}, \
    {"http_abuse_answered_and_still_serving", t_http_abuse, 60}, \
    {"http_token_bearer_every_endpoint", t_http_token, 30}, \
    {"http_token_from_environment", t_http_token_env, 30}, \
    {"http_out_of_descriptors_no_spin_then_serves", t_http_emfile, 30}, \
    {"http_wrk_30s_two_endpoints_under_cpu_profile", t_http_wrk, 90}, \
    {"http_folded_heap_goroutine_exact_and_formats", t_http_folded_heap, 30}, \
    {"http_folded_cpu_and_flamegraph_page", t_http_folded_cpu, 30}, \
    {"http_folded_names_escaped_page_data_safe", t_http_folded_escaping, 10},
