/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c, built by tools/fuzz.sh). Included
   after pprof.h, whose implementation each target compiles to reach the pprof__ parsers. */
#ifndef FUZZ_H
#define FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_FN static __attribute__((unused)) /* each target uses some of these */

/* A broken invariant aborts, so libFuzzer keeps the input as a crash artifact. */
#define FZ_CHECK(c) do { if (!(c)) fz_fail(__FILE__, __LINE__, #c); } while (0)

FZ_FN void fz_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

/* A NUL-terminated copy of the input (the parsers read C strings), from PPROF_MALLOC so a
   parser that takes ownership can free it. */
FZ_FN char *fz_cstr(const uint8_t *data, size_t size) {
    char *s = (char *)PPROF_MALLOC(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* The first occurrence of the string lit in d[0, n), or NULL (memmem is a GNU extension). */
FZ_FN const char *fz_find(const char *d, size_t n, const char *lit) {
    size_t l = strlen(lit), i;
    for (i = 0; l && i + l <= n; i++)
        if (memcmp(d + i, lit, l) == 0) return d + i;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
#endif
