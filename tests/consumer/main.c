/* A program built against pprof.h as a package (tests/all.sh builds it through pkg-config,
   CMake add_subdirectory, FetchContent and find_package): prints the version and writes a
   1-second CPU profile to argv[1]. */
#define PPROF_IMPLEMENTATION
#include <pprof.h>

#include <string.h>
#include <time.h>

static volatile unsigned long consumer_sink;

static __attribute__((noinline)) void consumer_spin(double seconds) {
    clock_t end = clock() + (clock_t)(seconds * CLOCKS_PER_SEC);
    unsigned long x = 1;
    while (clock() < end) {
        int i;
        for (i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
        consumer_sink = x;
    }
}

int main(int argc, char **argv) {
    FILE *fp;
    int rc;
    if (argc != 2) {
        fprintf(stderr, "usage: consumer OUT.pb.gz\n");
        return 2;
    }
    if (!(fp = fopen(argv[1], "wb"))) return 1;
    if ((rc = pprof_cpu_start(fp)) == PPROF_OK) {
        consumer_spin(1.0);
        rc = pprof_cpu_stop();
    }
    fclose(fp);
    if (rc != PPROF_OK) {
        fprintf(stderr, "consumer: %s\n", pprof_strerror(rc));
        return 1;
    }
    printf("pprof %s\n", pprof_version());
    return strcmp(pprof_version(), PPROF_VERSION_STRING) == 0 ? 0 : 1;
}
