/* reallocarray.c - a C program that grows arrays with reallocarray (and realloc, calloc,
 * free), for tests/host.sh (issue 14, case 12c: another allocator preloaded in front of
 * libpprof.so). Prints "sum N" and exits 0.
 */
#define _DEFAULT_SOURCE /* reallocarray */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    unsigned long sum = 0;
    for (int round = 0; round < 2000; round++) {
        long *a = NULL;
        size_t n = 0;
        for (int step = 0; step < 8; step++) {
            long *b = reallocarray(a, n + 64, sizeof *a);
            if (!b) return 1;
            a = b;
            for (size_t i = n; i < n + 64; i++) a[i] = (long)(i + (size_t)round);
            n += 64;
        }
        char *c = calloc(100, 1);
        c = realloc(c, 3000);
        c[2999] = 1;
        sum += (unsigned long)a[n - 1] + (unsigned long)c[0] + (unsigned long)c[2999];
        free(c);
        free(a);
    }
    printf("sum %lu\n", sum);
    return 0;
}
