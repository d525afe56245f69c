// The heap profile of a C++ program: operator new and delete (plain, array, nothrow, aligned)
// are counted at their call sites, exactly at rate 1. Built by tests/all.sh as C++17 with
// PPROF_WRAP_MALLOC; prints PASS/FAIL lines like the runner.
#ifndef HEAP_CXX_C_IMPL /* else the implementation is the C file tests/heap_cxx_impl.c */
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#endif
#include "../pprof.h"
#define PPROF_READ_IMPLEMENTATION
#include "../tools/pprof_read.h"
#include <new>
#include <vector>
#include <string>
#include <cstring>
#include <cstdio>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
static void *volatile sink;

struct Foo { char bytes[48]; };
struct alignas(64) Bar { char bytes[128]; };

NOINLINE int *cxx_site_array() { int *p = new int[100]; sink = p; return p; }
NOINLINE Foo *cxx_site_object() { Foo *p = new Foo(); sink = p; return p; }
NOINLINE char *cxx_site_nothrow() { char *p = new (std::nothrow) char[1000]; sink = p; return p; }
NOINLINE Bar *cxx_site_aligned() { Bar *p = new Bar(); sink = p; return p; }
NOINLINE std::vector<long> *cxx_site_vector() {
    std::vector<long> *v = new std::vector<long>(500);  // the object, then its buffer
    sink = v;
    return v;
}

// Allocations made inside the C and C++ libraries (built without frame pointers) for the
// function that called them: the unwind tables carry the stack through to it.
NOINLINE std::string *cxx_site_string() {
    std::string *s = new std::string(300, 'x');  // the object, then its characters
    sink = s;
    return s;
}
NOINLINE char *cxx_site_strdup() {
    static const char text[] = "a string to duplicate, 40 bytes long...";
    char *p = strdup(text);
    sink = p;
    return p;
}
NOINLINE FILE *cxx_site_fopen() {
    FILE *f = std::fopen("/proc/self/stat", "r");
    sink = f;
    return f;
}
NOINLINE std::vector<int> *cxx_site_push_back() {
    std::vector<int> *v = new std::vector<int>();
    for (int i = 0; i < 100; i++) v->push_back(i);  // grows through libstdc++'s length checks
    sink = v;
    return v;
}

static int failed = 0;
static void check(bool ok, const char *name, const char *what) {
    std::printf("%s  %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : what);
    if (!ok) failed++;
}

// Sums the four values of samples that have fn among their first `depth` frames.
static void site(const prd_profile *p, const char *fn, int depth, long long v[4]) {
    v[0] = v[1] = v[2] = v[3] = 0;
    for (int i = 0; i < p->nsample; i++) {
        const prd_sample *s = &p->sample[i];
        for (int f = 0; f < s->nlocation && f < depth; f++) {
            const prd_location *l = prd_loc(p, s->location_id[f]);
            const char *name = l ? prd_loc_name(p, l) : NULL;
            if (name && std::strstr(name, fn)) { // mangled: _Z14cxx_site_arrayv
                for (int k = 0; k < 4; k++) v[k] += s->value[k];
                break;
            }
        }
    }
}

int main() {
    pprof_set_heap_rate(1);
    int *arrays[10];
    for (int i = 0; i < 10; i++) arrays[i] = cxx_site_array();
    for (int i = 0; i < 5; i++) delete[] arrays[i];
    for (int i = 0; i < 20; i++) delete cxx_site_object();
    char *nt[3];
    for (int i = 0; i < 3; i++) nt[i] = cxx_site_nothrow();
    Bar *bars[4];
    for (int i = 0; i < 4; i++) {
        bars[i] = cxx_site_aligned();
        if ((uintptr_t)bars[i] % 64 != 0) check(false, "heap_cxx_aligned_new_alignment", "misaligned");
    }
    delete bars[0];
    std::vector<long> *vec = cxx_site_vector();
    std::string *strs[7];
    char *dups[5];
    FILE *files[3];
    std::vector<int> *pushed = cxx_site_push_back();
    for (int i = 0; i < 7; i++) strs[i] = cxx_site_string();
    for (int i = 0; i < 5; i++) dups[i] = cxx_site_strdup();
    for (int i = 0; i < 3; i++) files[i] = cxx_site_fopen();

    char path[] = "/tmp/pprof-cxx-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    check(f && pprof_write_heap(f) == PPROF_OK, "heap_cxx_write", "pprof_write_heap failed");
    if (f) fclose(f);
    prd_profile p;
    char err[256];
    bool ok = prd_parse_file(path, &p) == 0 && prd_validate(&p, err, sizeof err) == 0;
    unlink(path);
    check(ok, "heap_cxx_profile_valid", p.err);
    if (!ok) return 1;
    long long v[4];
    char msg[200];
#define EXPECT(name, fn, depth, a, b, c, d) \
    site(&p, fn, depth, v); \
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]); \
    check(v[0] == (a) && v[1] == (b) && v[2] == (c) && v[3] == (d), name, msg)
    EXPECT("heap_cxx_new_array_delete_array", "cxx_site_array", 1, 10, 4000, 5, 2000);
    EXPECT("heap_cxx_new_object_deleted", "cxx_site_object", 1, 20, 960, 0, 0);
    EXPECT("heap_cxx_nothrow_new", "cxx_site_nothrow", 1, 3, 3000, 3, 3000);
    EXPECT("heap_cxx_aligned_new", "cxx_site_aligned", 1, 4, 512, 3, 384);
    site(&p, "cxx_site_vector", 4, v);
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]);
    check(v[0] == 2 && v[1] == (long long)(sizeof(std::vector<long>) + 500 * sizeof(long)),
          "heap_cxx_vector_buffer_at_its_site", msg);
    // inside libstdc++ and glibc: the site within the first frames, every allocation there
    site(&p, "cxx_site_string", 4, v);
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]);
    check(v[0] == 14 && v[1] == 7 * (long long)(sizeof(std::string) + 301),
          "heap_cxx_std_string_at_its_site", msg);
    site(&p, "cxx_site_strdup", 3, v);
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]);
    check(v[0] == 5 && v[1] == 5 * 40, "heap_cxx_strdup_at_its_site", msg);
    site(&p, "cxx_site_fopen", 4, v);
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]);
    check(v[0] >= 3 && v[2] >= 3, "heap_cxx_fopen_at_its_site", msg);
    site(&p, "cxx_site_push_back", 6, v);
    std::snprintf(msg, sizeof msg, "got %lld %lld %lld %lld", v[0], v[1], v[2], v[3]);
    check(v[0] >= 8 && v[2] == 2, "heap_cxx_vector_growth_at_its_site", msg);
    prd_free(&p);
    for (int i = 0; i < 7; i++) delete strs[i];
    for (int i = 0; i < 5; i++) free(dups[i]);
    for (int i = 0; i < 3; i++) if (files[i]) std::fclose(files[i]);
    delete pushed;

    // failure: the new_handler loop runs, then std::bad_alloc; nothrow gives NULL
    static volatile std::size_t huge = SIZE_MAX / 4;
    static int handler_calls = 0;
    std::set_new_handler([] { if (++handler_calls == 2) std::set_new_handler(nullptr); });
    bool threw = false;
    try {
        char *x = new char[huge];
        sink = x;
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    std::snprintf(msg, sizeof msg, "threw %d, new_handler called %d times", threw, handler_calls);
    check(threw && handler_calls == 2, "heap_cxx_failure_new_handler_then_bad_alloc", msg);
    char *none = new (std::nothrow) char[huge];
    sink = none; // escapes: the compiler may not elide the call
    check(none == nullptr, "heap_cxx_failure_nothrow_null", "not NULL");
    delete vec;
    for (int i = 5; i < 10; i++) delete[] arrays[i];
    for (int i = 0; i < 3; i++) delete[] nt[i];
    for (int i = 1; i < 4; i++) delete bars[i];
    return failed ? 1 : 0;
}
