/* libFuzzer target: the address list of POST /debug/pprof/symbol ("0x4a1b+0x4a2c"), read
   by pprof__http_symbol_next in the loop pprof__http_symbol runs over the request body. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static const struct { const char *in; unsigned long long a[4]; int n; } k[] = {
        {"0x4a1b+0x4a2c", {0x4a1b, 0x4a2c}, 2},
        {"12+junk+0x10", {12, 0, 0x10}, 3},
        {"0x12q+077", {0, 077}, 2},
        {"+5", {5}, 1},
        {"1++5", {1, 5}, 2},
        {"0x10\n", {0}, 1},
    };
    size_t i;
    (void)argc;
    (void)argv;
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        const char *p = k[i].in;
        int n = 0;
        while (*p) {
            unsigned long long a = pprof__http_symbol_next(&p);
            FZ_CHECK(n < k[i].n && a == k[i].a[n]);
            n++;
        }
        FZ_CHECK(n == k[i].n);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = fz_cstr(data, size), word[80];
    const char *p = buf, *end = buf + strlen(buf);
    size_t words = 0;
    while (*p) {
        const char *at = p;
        size_t wl, i;
        unsigned long long a = pprof__http_symbol_next(&p);
        FZ_CHECK(p > at && p <= end); /* always moves on: the loop ends */
        FZ_CHECK(++words <= size);
        /* it read one word: up to its '+' (taken too), or to the end */
        FZ_CHECK(!p[0] || p[-1] == '+');
        wl = (size_t)(p - at) - (p[-1] == '+');
        for (i = 0; i < wl && strchr(" \t\n\v\f\r", at[i]); i++) {}
        if (i < wl && (at[i] == '+' || at[i] == '-')) i++;
        FZ_CHECK(!memchr(at + i, '+', wl - i)); /* but for strtoull's leading sign */
        /* a number is the whole word, and the same word alone reads the same */
        if (a && wl < sizeof word) {
            char *e;
            memcpy(word, at, wl);
            word[wl] = 0;
            FZ_CHECK(strtoull(word, &e, 0) == a && *e == 0);
        }
    }
    PPROF_FREE(buf);
    return 0;
}
