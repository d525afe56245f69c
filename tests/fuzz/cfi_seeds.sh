#!/usr/bin/env bash
# Writes fuzz_cfi inputs: the 8-byte header (object addresses of .eh_frame and of .text,
# u32 little-endian) and the .eh_frame of each ELF file given, into directory OUT.
#   tests/fuzz/cfi_seeds.sh OUT FILE...     (files whose sections sit below 4 GiB)
#   tests/fuzz/cfi_seeds.sh --seeds         regenerates tests/fuzz/corpus/fuzz_cfi from
#                                           small programs gcc and clang build here
# `make fuzz` (tools/fuzz.sh) runs it on this machine's libraries into build/fuzz.
set -eu
if [ "${1:-}" = --seeds ]; then
    cd "$(dirname "$0")"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cat > "$tmp/p.c" <<'C'
#include <string.h>
__attribute__((noinline)) int leaf(int x) { return x * 3; }
__attribute__((noinline)) int vla(int n) { volatile char b[n]; b[0] = 1; return leaf(b[0] + n); }
__attribute__((noinline)) int big(int x) { volatile char b[70000]; memset((char *)b, x, sizeof b); return b[5]; }
int main(int argc, char **argv) { (void)argv; return vla(argc) + big(argc); }
C
    cat > "$tmp/q.cpp" <<'C'
#include <stdexcept>
__attribute__((noinline)) int thrower(int x) { if (x > 2) throw std::runtime_error("x"); return x; }
int main(int argc, char **) { try { return thrower(argc); } catch (const std::exception &) { return 1; } }
C
    for cc in gcc clang; do
        for o in "-O2 -fomit-frame-pointer" "-O0"; do
            tag=$cc$(echo "$o" | tr -d ' -' | cut -c1-6)
            $cc $o -o "$tmp/c_$tag" "$tmp/p.c"
        done
    done
    g++ -O2 -o "$tmp/cxx_gcc" "$tmp/q.cpp"
    clang++ -O2 -o "$tmp/cxx_clang" "$tmp/q.cpp"
    rm -f corpus/fuzz_cfi/seed_*
    ./cfi_seeds.sh corpus/fuzz_cfi "$tmp"/c_* "$tmp"/cxx_*
    ls -l corpus/fuzz_cfi
    exit 0
fi
out=$1
shift
mkdir -p "$out"
for f; do
    python3 - "$f" "$out" <<'PY'
import struct, sys, os
path, out = sys.argv[1], sys.argv[2]
d = open(path, 'rb').read()
if d[:4] != b'\x7fELF' or d[4] != 2: sys.exit(0)
shoff, = struct.unpack_from('<Q', d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
if shoff == 0 or shstrndx >= shnum: sys.exit(0)
def sh(i): return struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * shentsize)
names = sh(shstrndx)
secs = {}
for i in range(shnum):
    s = sh(i)
    n = d[names[4] + s[0]:].split(b'\0', 1)[0].decode()
    secs[n] = s
if '.eh_frame' not in secs or '.text' not in secs: sys.exit(0)
eh, text = secs['.eh_frame'], secs['.text']
if eh[3] >= 1 << 32 or text[3] >= 1 << 32: sys.exit(0)
body = d[eh[4]:eh[4] + eh[5]]
name = 'seed_' + os.path.basename(path).replace('.', '_')
open(os.path.join(out, name), 'wb').write(struct.pack('<II', eh[3], text[3]) + body)
PY
done
