/* The implementation as a C file, linked into the C++ program tests/heap_cxx.cpp: operator new
   must then come from the C wrappers (its mangled names). */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "../pprof.h"
