/* Built with -U__linux__, as on a platform pprof.h does not profile: every call compiles,
   links and answers (PPROF_ERR_UNSUPPORTED, or the same argument errors as on Linux); the
   allocator calls and labels still work. Exit status: how many answers were wrong. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"

static int bad;
static void expect(int got, int want, const char *what) {
    if (got != want) { fprintf(stderr, "%s: got %d (%s), want %d\n", what, got, pprof_strerror(got), want); bad++; }
}

int main(void) {
    char *p;
    expect(pprof_set_cpu_rate(100), PPROF_OK, "set_cpu_rate");
    expect(pprof_set_cpu_rate(0), PPROF_ERR_RATE, "set_cpu_rate(0)");
    expect(pprof_set_unwind(PPROF_UNWIND_FP), PPROF_ERR_UNSUPPORTED, "set_unwind");
    expect(pprof_set_unwind(7), PPROF_ERR_UNWIND, "set_unwind(7)");
    expect(pprof_cpu_start(stdout), PPROF_ERR_UNSUPPORTED, "cpu_start");
    expect(pprof_cpu_start(NULL), PPROF_ERR_NULL, "cpu_start(NULL)");
    expect(pprof_cpu_stop(), PPROF_ERR_NOT_RUNNING, "cpu_stop");
    expect(pprof_write_cpu(stdout, 1), PPROF_ERR_UNSUPPORTED, "write_cpu");
    expect(pprof_write_cpu(stdout, 0), PPROF_ERR_DURATION, "write_cpu(0 s)");
    expect(pprof_write_cpu_format(stdout, 1, PPROF_FORMAT_FOLDED), PPROF_ERR_UNSUPPORTED, "write_cpu_format");
    expect(pprof_write_cpu_format(stdout, 1, 9), PPROF_ERR_DEBUG, "write_cpu_format(9)");
    expect(pprof_write_profile("heap", stdout, 0), PPROF_ERR_UNSUPPORTED, "write_profile");
    expect(pprof_write_profile("heap", stdout, 9), PPROF_ERR_DEBUG, "write_profile(debug 9)");
    expect(pprof_write_profile(NULL, stdout, 0), PPROF_ERR_NULL, "write_profile(NULL)");
    expect(pprof_write_heap(stdout), PPROF_ERR_UNSUPPORTED, "write_heap");
    expect(pprof_set_heap_rate(1), PPROF_ERR_UNSUPPORTED, "set_heap_rate");
    expect(pprof_set_mutex_fraction(1), PPROF_ERR_UNSUPPORTED, "set_mutex_fraction");
    expect(pprof_set_mutex_fraction(-1), PPROF_ERR_FRACTION, "set_mutex_fraction(-1)");
    expect(pprof_set_block_rate(1), PPROF_ERR_UNSUPPORTED, "set_block_rate");
    expect(pprof_set_block_rate(-1), PPROF_ERR_FRACTION, "set_block_rate(-1)");
    expect(pprof_listen(0), PPROF_ERR_UNSUPPORTED, "listen");
    expect(pprof_listen(70000), PPROF_ERR_ADDRESS, "listen(70000)");
    expect(pprof_listen_port(), 0, "listen_port");
    expect(pprof_shutdown(), PPROF_ERR_NOT_LISTENING, "shutdown");
    expect(pprof_set_token("t"), PPROF_ERR_UNSUPPORTED, "set_token");
    expect(pprof_label_push("k", "v"), PPROF_OK, "label_push");
    pprof_label_pop();
    p = (char *)pprof_calloc(4, 4);
    expect(p && p[15] == 0, 1, "calloc");
    p = (char *)pprof_realloc(p, 100);
    expect(p != NULL, 1, "realloc");
    pprof_free(p);
    pprof_free(pprof_malloc(10));
    return bad;
}
