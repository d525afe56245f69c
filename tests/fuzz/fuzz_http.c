/* libFuzzer target: the HTTP request-head parser (pprof__http_parse), then the query
   parameters, integer values and the access-token check a parsed request goes through.
   Everything a client sends reaches these before anything else of the listener. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "fuzz.h"
#include <limits.h>

#define TOKEN "s3cret-token"

/* Go's url.ParseQuery for one key, written apart from pprof.h's: the first pair named key
   (compared raw) whose value decodes ('+' is a space; "%XX"; a bad escape or a NUL drops
   the pair). 1 and its value in out (big enough for any query), else 0. */
static int ref_param(const char *q, const char *key, char *out) {
    static const char hex[] = "0123456789abcdef0123456789ABCDEF";
    size_t kl = strlen(key), i = 0;
    while (q[i]) {
        size_t s = i, e = i, o = 0, j;
        int bad = 0;
        while (q[e] && q[e] != '&') e++;
        i = q[e] ? e + 1 : e;
        if (e - s < kl || memcmp(q + s, key, kl) != 0 || (e - s > kl && q[s + kl] != '='))
            continue;
        for (j = s + kl + (e - s > kl); j < e && !bad; j++) {
            int c = (unsigned char)q[j];
            if (c == '%') {
                const char *h1 = j + 1 < e && q[j + 1] ? strchr(hex, q[j + 1]) : NULL;
                const char *h2 = h1 && j + 2 < e && q[j + 2] ? strchr(hex, q[j + 2]) : NULL;
                if (!h2) { bad = 1; break; }
                c = (int)((h1 - hex) % 16 * 16 + (h2 - hex) % 16);
                j += 2;
            } else if (c == '+') {
                c = ' ';
            }
            if (c == 0) bad = 1;
            out[o++] = (char)c;
        }
        if (bad) continue;
        out[o] = 0;
        return 1;
    }
    out[0] = 0;
    return 0;
}

/* Go's strconv.Atoi: an optional sign, then decimal digits only, within range. */
static int ref_atoi(const char *s, long *v) {
    unsigned long long acc = 0, lim;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    if (!*s) return 0;
    lim = neg ? (unsigned long long)LONG_MAX + 1 : (unsigned long long)LONG_MAX;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*s < '0' || *s > '9' || acc > (lim - d) / 10) return 0;
        acc = acc * 10 + d;
    }
    *v = !neg ? (long)acc : acc == lim ? LONG_MIN : -(long)acc;
    return 1;
}

/* Whether the Authorization value is "Bearer <TOKEN>" (scheme in any case, spaces between). */
static int ref_authorized(const pprof__req *r) {
    static const char scheme[] = "bearer ";
    size_t i, tl = strlen(TOKEN);
    if (!r->auth || r->auth_len < 7) return 0;
    for (i = 0; i < 7; i++)
        if ((r->auth[i] | 0x20) != scheme[i] || (r->auth[i] == ' ') != (scheme[i] == ' '))
            return 0;
    while (i < r->auth_len && r->auth[i] == ' ') i++;
    return r->auth_len - i == tl && memcmp(r->auth + i, TOKEN, tl) == 0;
}

static int parse_str(const char *s, pprof__req *r, size_t *used, const char **why) {
    r->fd = -1;
    return pprof__http_parse(s, strlen(s), r, used, why);
}

/* Known answers, once: they pin down the references above as much as the parser. */
static void known_answers(void) {
    static const struct { const char *req; int rc, auth; } k[] = {
        {"GET /debug/pprof/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 0, 1},
        {"GET / HTTP/1.0\nauthorization: bEARER   " TOKEN "  \n\n", 0, 1},
        {"GET / HTTP/1.1\r\nAuthorization:Bearer " TOKEN "\r\n\r\n", 0, 1},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer s3cret-toke\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "n\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nAuthorization: Basic " TOKEN "\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer" TOKEN "\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nX-Token: Bearer " TOKEN "\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n", -1, 0},
        {"GET /x HTTP/2.0\r\n\r\n", 505, 0},
        {"get / HTTP/1.1\r\n\r\n", 0, 0}, /* any token is a method, as Go */
        {"G(T / HTTP/1.1\r\n\r\n", 400, 0},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n\r\n", 400, 0},
        {"POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413, 0},
        {"POST /debug/pprof/symbol HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, 0},
        {"GET /a%zz HTTP/1.1\r\n\r\n", 400, 0},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", 400, 0},
    };
    pprof__req r;
    size_t used, i;
    const char *why;
    char v[64];
    long n = 0;
    FZ_CHECK(pprof_set_token(TOKEN) == 0);
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        int rc = parse_str(k[i].req, &r, &used, &why);
        if (rc != k[i].rc) fprintf(stderr, "known answer %u: got %d\n", (unsigned)i, rc);
        FZ_CHECK(rc == k[i].rc);
        if (rc == 0) {
            FZ_CHECK(pprof__http_authorized(&r) == k[i].auth);
            FZ_CHECK(ref_authorized(&r) == k[i].auth);
        }
    }
    /* without a token every request is served */
    FZ_CHECK(pprof_set_token("") == 0);
    FZ_CHECK(parse_str("GET / HTTP/1.1\r\n\r\n", &r, &used, &why) == 0 && pprof__http_authorized(&r));
    FZ_CHECK(pprof_set_token(TOKEN) == 0);
    FZ_CHECK(parse_str("GET http://h:1/debug/pprof/profile?seconds=5&gc=%31&debug=a+b HTTP/1.1\r\n\r\n",
                       &r, &used, &why) == 0);
    FZ_CHECK(strcmp(r.path, "/debug/pprof/profile") == 0);
    FZ_CHECK(pprof__http_param(r.query, "seconds", v, sizeof v) && strcmp(v, "5") == 0);
    FZ_CHECK(ref_param(r.query, "gc", v) && strcmp(v, "1") == 0);
    FZ_CHECK(ref_param(r.query, "debug", v) && strcmp(v, "a b") == 0);
    FZ_CHECK(ref_atoi("-12", &n) && n == -12 && !ref_atoi(" 1", &n) && !ref_atoi("+", &n));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    known_answers();
    return 0;
}

/* The parameters of a parsed request, as the endpoints read them. */
static void check_params(const pprof__req *r) {
    static const char *const keys[] = {"seconds", "debug", "gc"};
    static const size_t sizes[] = {1, 2, 8, 32};
    char ref[sizeof r->query + 1], big[sizeof r->query + 1], small[32];
    size_t k, s, i;
    long a = 0, b = 0;
    for (k = 0; k < 3; k++) {
        int want = ref_param(r->query, keys[k], ref);
        int got = pprof__http_param(r->query, keys[k], big, sizeof big);
        if (got != want || strcmp(big, ref) != 0)
            fprintf(stderr, "param %s: got %d '%s', want %d '%s'\n", keys[k], got, big, want, ref);
        FZ_CHECK(got == want && strcmp(big, ref) == 0);
        for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            memset(small, 'x', sizeof small);
            got = pprof__http_param(r->query, keys[k], small, sizes[s]);
            FZ_CHECK(memchr(small, 0, sizes[s]) != NULL);
            for (i = sizes[s]; i < sizeof small; i++) FZ_CHECK(small[i] == 'x'); /* no more */
            if (!got) FZ_CHECK(!want && !small[0]);    /* absent whatever the room */
            if (small[0]) FZ_CHECK(strcmp(small, ref) == 0); /* a value is the value */
        }
        a = b = 12345;
        got = pprof__http_int(big, &a);
        want = ref_atoi(big, &b);
        if (got != want || a != b) fprintf(stderr, "int '%s': got %d %ld, want %d %ld\n", big, got, a, want, b);
        FZ_CHECK(got == want && a == b);
    }
}

/* Invariants of a request parse accepted from buf[0, len). */
static void check_req(const char *buf, size_t len, const pprof__req *r, size_t used) {
    size_t i, ml;
    FZ_CHECK(used > 0 && used <= len && buf[used - 1] == '\n');
    FZ_CHECK(!memchr(buf, 0, used)); /* the head (a body may hold any byte) */
    FZ_CHECK(memchr(r->method, 0, sizeof r->method) != NULL);
    ml = strlen(r->method);
    FZ_CHECK(ml > 0 && memcmp(buf, r->method, ml) == 0 && buf[ml] == ' ');
    for (i = 0; i < ml; i++) FZ_CHECK(r->method[i] > ' ' && r->method[i] < 127 && !strchr("()<>@,;:\\\"/[]?={}", r->method[i]));
    FZ_CHECK(memchr(r->path, 0, sizeof r->path) != NULL && (r->path[0] == '/' || r->path[0] == 0));
    FZ_CHECK(memchr(r->query, 0, sizeof r->query) != NULL);
    FZ_CHECK(r->content_length >= -1 && r->content_length <= PPROF_HTTP_MAX_BODY);
    FZ_CHECK(r->fd == -7 && r->body == NULL && r->body_len == 0);
    if (r->auth) FZ_CHECK(r->auth >= buf && r->auth <= buf + used && r->auth_len <= (size_t)(buf + used - r->auth));
    else FZ_CHECK(r->auth_len == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = fz_cstr(data, size);
    pprof__req r, r2;
    size_t used = 99, used2 = 99;
    const char *why = NULL;
    int rc, rc2, ok;
    r.fd = -7;
    rc = pprof__http_parse(buf, size, &r, &used, &why);
    FZ_CHECK(why != NULL && r.fd == -7);
    if (rc == -1) {
        FZ_CHECK(size < PPROF_HTTP_MAX_HEADER && !memchr(buf, 0, size) && used == 0);
    } else if (rc != 0) {
        FZ_CHECK(rc >= 400 && rc <= 599 && why[0]);
    } else {
        char *head;
        check_req(buf, size, &r, used);
        /* the head alone parses the same: nothing after the blank line is read */
        head = fz_cstr(data, used);
        r2.fd = -7;
        rc2 = pprof__http_parse(head, used, &r2, &used2, &why);
        FZ_CHECK(rc2 == 0 && used2 == used && strcmp(r.method, r2.method) == 0 &&
                 strcmp(r.path, r2.path) == 0 && strcmp(r.query, r2.query) == 0 &&
                 r.content_length == r2.content_length && r.auth_len == r2.auth_len &&
                 (r.auth ? r.auth - buf == r2.auth - head : !r2.auth));
        /* and one byte less of it is not yet a request */
        head[used - 1] = 0;
        rc2 = pprof__http_parse(head, used - 1, &r2, &used2, &why);
        FZ_CHECK(rc2 == -1 || (rc2 == 431 && used - 1 >= PPROF_HTTP_MAX_HEADER));
        PPROF_FREE(head);
        check_params(&r);
        ok = pprof__http_authorized(&r);
        FZ_CHECK(ok == ref_authorized(&r));
        if (ok) FZ_CHECK(fz_find(buf, size, TOKEN) != NULL);
    }
    PPROF_FREE(buf);
    return 0;
}
