// sites.cpp - a C++ program that allocates the ways C++ programs do (containers, strings,
// aligned new, sized delete, new[], nothrow new), from call sites whose truth it counts
// itself, for tests/alloc.sh (issue 15); the output and the builds as tests/alloc/sites.c.
// Sites are extern "C": their names in the profile are plain. The containers use an allocator that only counts what std::allocator is asked for, so
// the truth is exact whatever the library's growth policy.
#ifdef USE_HEADER
#define PPROF_IMPLEMENTATION
#define PPROF_WRAP_MALLOC
#include "../../pprof.h"
#endif
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

enum { NVEC = 3000, NSTR = 100000, NMAP = 100000, NALNEW = 50000, NSIZED = 200000, NARR = 50000 };
#define TRUTH_LIVE (NALNEW / 2 + NARR / 2 + 16)
#include "truth.h"

static truth *counting; // the site whose allocations the containers count now
static int counting_live;
template <class T> struct Counted {
    typedef T value_type;
    Counted() {}
    template <class U> Counted(const Counted<U> &) {}
    T *allocate(std::size_t n) {
        count(counting, n * sizeof(T), counting_live);
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T *p, std::size_t n) {
        // a freed block is not in use: undo its "live" count if it was counted live
        std::allocator<T>().deallocate(p, n);
    }
    template <class U> bool operator==(const Counted<U> &) const { return true; }
    template <class U> bool operator!=(const Counted<U> &) const { return false; }
};
typedef std::basic_string<char, std::char_traits<char>, Counted<char> > cstring;

// vectors grown by push_back, all freed (their buffers' in-use count is 0)
extern "C" __attribute__((noinline)) void site_vector(truth *t) {
    counting = t;
    counting_live = 0;
    for (int k = 0; k < NVEC; k++) {
        std::vector<int, Counted<int> > v;
        for (int i = 0; i < 1000; i++) v.push_back(i);
        KEEP(v.data());
    }
}
// strings too long for the small-string buffer, all freed
extern "C" __attribute__((noinline)) void site_string(truth *t) {
    counting = t;
    counting_live = 0;
    for (int k = 0; k < NSTR; k++) {
        cstring s(100 + k % 50, 'x');
        s += "tail";
        KEEP(s.data());
    }
}
// a map's nodes, freed with the map
extern "C" __attribute__((noinline)) void site_map(truth *t) {
    counting = t;
    counting_live = 0;
    std::map<int, long, std::less<int>, Counted<std::pair<const int, long> > > m;
    for (int i = 0; i < NMAP; i++) m[i * 7] = i;
    KEEP(&m);
}
struct alignas(64) Line { unsigned char b[192]; };
// aligned new (C++17), half kept
extern "C" __attribute__((noinline)) void site_aligned_new(truth *t) {
    for (int i = 0; i < NALNEW; i++) {
        Line *l = new Line;
        if (reinterpret_cast<uintptr_t>(l) & 63) abort();
        l->b[0] = 1;
        count(t, sizeof(Line), i % 2 == 0);
        if (i % 2 == 0) hold(l, sizeof(Line)); else delete l;
    }
}
struct Obj { long a[6]; virtual ~Obj() {} };
// deleted with sized delete (the compiler passes the size)
extern "C" __attribute__((noinline)) void site_sized_delete(truth *t) {
    for (int i = 0; i < NSIZED; i++) {
        Obj *o = new Obj;
        o->a[0] = i;
        KEEP(o);
        count(t, sizeof(Obj), 0);
        delete o;
    }
}
// new[] and nothrow new, half kept
extern "C" __attribute__((noinline)) void site_new_array(truth *t) {
    for (int i = 0; i < NARR; i++) {
        double *d = i % 2 ? new double[100] : new (std::nothrow) double[100];
        d[99] = i;
        count(t, 100 * sizeof(double), i % 4 < 2);
        if (i % 4 < 2) hold(d, 100 * sizeof(double)); else delete[] d;
    }
}

int main() {
    static const char *const names[6] = {"site_vector", "site_string", "site_map", "site_aligned_new",
                                          "site_sized_delete", "site_new_array"};
    truth t[6];
    memset(t, 0, sizeof t);
    truth_start();
    site_vector(&t[0]);
    site_string(&t[1]);
    site_map(&t[2]);
    site_aligned_new(&t[3]);
    site_sized_delete(&t[4]);
    site_new_array(&t[5]);
    for (int i = 0; i < 6; i++) report(names[i], &t[i]);
    truth_owned();
    return truth_end();
}
