// allocs.cpp - a C++ program that allocates every way a C++ program does, for tests/host.sh
// (issue 14, case 12): new/delete (plain, array, aligned, nothrow), malloc/free, calloc,
// realloc, posix_memalign, aligned_alloc, strdup, std::string and std::vector growth, a map.
// Linked with -ljemalloc, jemalloc is the program's allocator; under LD_PRELOAD every pair of
// allocate/free must still reach the same allocator. Prints "sum N" (the same in every run:
// it depends only on the data) and exits 0.
// Built with -DUSE_HEADER it is also pprof.h's implementation file with PPROF_WRAP_MALLOC:
// its malloc and operator new are pprof.h's, in front of whatever allocator follows.
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "pprof.h"
#endif
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

struct alignas(64) Line { unsigned char b[64]; };

int main() {
    unsigned long sum = 0;
    std::map<int, std::string> names;
    for (int round = 0; round < 2000; round++) {
        int *a = new int[100 + round % 50];
        a[0] = round;
        sum += (unsigned)a[0];
        delete[] a;

        std::string *s = new std::string("a string long enough to be on the heap, round ");
        *s += std::to_string(round);
        sum += s->size();
        delete s;

        Line *l = new Line;                     // aligned new (C++17)
        l->b[0] = (unsigned char)round;
        sum += l->b[0];
        delete l;

        double *d = new (std::nothrow) double[16];
        if (d) { d[3] = round; sum += (unsigned long)d[3]; delete[] d; }

        char *m = static_cast<char *>(malloc(32 + round % 100));
        m[0] = 1;
        m = static_cast<char *>(realloc(m, 5000 + round));
        m[4999] = 2;
        sum += (unsigned)(m[0] + m[4999]);
        free(m);

        int *c = static_cast<int *>(calloc(64, sizeof(int)));
        sum += (unsigned)c[63];
        free(c);

        void *pm = nullptr;
        if (posix_memalign(&pm, 256, 1000) == 0) {
            sum += ((unsigned long)pm & 255) == 0;
            free(pm);
        }
        void *aa = aligned_alloc(128, 1024);
        sum += ((unsigned long)aa & 127) == 0;
        free(aa);

        char *dup = strdup("duplicated");
        sum += strlen(dup);
        free(dup);

        std::string grow;
        std::vector<int> v;
        for (int i = 0; i < 300; i++) {
            grow += "xyz";
            v.push_back(i);
        }
        sum += grow.size() + v.size();
        names[round % 300] = grow.substr(0, (size_t)(round % 40));
    }
    for (auto &kv : names) sum += kv.second.size();
    std::printf("sum %lu\n", sum);
    return 0;
}
