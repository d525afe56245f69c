/* The implementation translation unit, built as C and as C++ by the compile matrix. */
#define PPROF_IMPLEMENTATION
#include "../../pprof.h"
#include "../../pprof.h" /* a second include is harmless */

int pprof_compile_user(FILE *fp);
int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) return pprof_compile_user(stdout);
    return pprof_version()[0] == '0' ? 0 : 1;
}
