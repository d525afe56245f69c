// A C++ workload for tests/realstacks.py, built -O2 -fomit-frame-pointer: most of its time
// is in libstdc++ and glibc (string comparisons, tree rebalancing, allocation), called from
// functions without frame pointers, on the main thread and on a thread of its own.
#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <ctime>

static double cpu_s() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static std::vector<std::string> make_keys(unsigned seed, int n) {
    std::vector<std::string> v;
    v.reserve((size_t)n);
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v.push_back(std::string(24, 'k') + std::to_string(seed % 1000003u));
    }
    return v;
}

__attribute__((noinline)) static size_t sort_keys(double seconds) {
    size_t sum = 0;
    double t0 = cpu_s();
    unsigned seed = 1;
    while (cpu_s() - t0 < seconds) {
        std::vector<std::string> v = make_keys(seed++, 40000);
        std::sort(v.begin(), v.end());
        sum += v[v.size() / 2].size();
    }
    return sum;
}

__attribute__((noinline)) static size_t count_words(double seconds) {
    size_t sum = 0;
    double t0 = cpu_s();
    unsigned seed = 7;
    while (cpu_s() - t0 < seconds) {
        std::map<std::string, int> m;
        for (const std::string &k : make_keys(seed++, 20000)) m[k]++;
        sum += m.size();
    }
    return sum;
}

int main() {
    size_t a = 0, b = 0;
    std::thread t([&b] { b = count_words(0.8); });
    a = sort_keys(0.8);
    t.join();
    return (a + b) == 0;
}
