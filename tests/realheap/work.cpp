// tests/realheap.sh's C++ source for clang++ -O2 -c: maps of vectors of strings, sorted and
// printed, in 40 instantiations (a few seconds of the compiler, ~2 GB of mallocs).
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#define F(i)                                                                           \
    struct K##i {                                                                      \
        int v;                                                                         \
        bool operator<(const K##i &o) const { return v < o.v; }                        \
    };                                                                                 \
    int f##i(int n) {                                                                  \
        std::map<K##i, std::vector<std::string>> m;                                    \
        for (int j = 0; j < n; j++) m[K##i{j % 7}].push_back(std::to_string(j * i));   \
        std::ostringstream os;                                                         \
        for (auto &kv : m) {                                                           \
            std::sort(kv.second.begin(), kv.second.end());                             \
            os << kv.first.v << ' ' << kv.second.size() << ' ';                        \
        }                                                                              \
        std::cout << os.str() << '\n';                                                 \
        return (int)m.size();                                                          \
    }
F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10)
F(11) F(12) F(13) F(14) F(15) F(16) F(17) F(18) F(19) F(20)
F(21) F(22) F(23) F(24) F(25) F(26) F(27) F(28) F(29) F(30)
F(31) F(32) F(33) F(34) F(35) F(36) F(37) F(38) F(39) F(40)

int main(int argc, char **) {
    int (*const fs[])(int) = {f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14,
                              f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27,
                              f28, f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39, f40};
    int t = 0;
    for (int i = 0; i < 40; i++) t += fs[i](argc * (i + 1) * 10);
    return t == 0;
}
