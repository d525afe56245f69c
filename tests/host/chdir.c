/* chdir.c - a program that changes directory at start, as daemons do, for tests/host.sh
 * (issue 14, case 11):  chdir DIR
 * chdir(DIR), then 5000 allocations (kept) and ~0.2 s of CPU; prints "cwd PATH" (getcwd)
 * and "blocks N". Exit 0, 1 if chdir or getcwd fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
void *keep[5000]; /* live at exit: the heap profile has them */

int main(int argc, char **argv) {
    char cwd[4096];
    struct timespec t0, t;
    unsigned long x = 1;
    int i;
    if (argc != 2 || chdir(argv[1]) != 0 || !getcwd(cwd, sizeof cwd)) return 1;
    for (i = 0; i < 5000; i++) keep[i] = strdup("a block the heap profile sees");
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int k = 0; k < 100000; k++) x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < 0.2);
    sink = x;
    printf("cwd %s\nblocks %d\n", cwd, i);
    return 0;
}
