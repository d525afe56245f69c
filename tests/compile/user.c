/* A translation unit that only includes pprof.h (no implementation) and uses the API. */
#include "../../pprof.h"

int pprof_compile_user(FILE *fp);
int pprof_compile_user(FILE *fp) {
    int rc = pprof_set_cpu_rate(100);
    if (rc == PPROF_OK) rc = pprof_cpu_start(fp);
    if (rc == PPROF_OK) rc = pprof_cpu_stop();
    if (rc == PPROF_OK) rc = pprof_write_profile("heap", fp, PPROF_FORMAT_FOLDED);
    if (rc == PPROF_OK) rc = pprof_write_cpu_format(fp, 1, PPROF_FORMAT_FLAMEGRAPH);
    if (rc != PPROF_OK) fprintf(stderr, "%s (os error %d)\n", pprof_strerror(rc), pprof_last_os_error());
    return rc == PPROF_OK ? pprof_write_cpu(fp, 1) : rc;
}
