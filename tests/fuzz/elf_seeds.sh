#!/usr/bin/env bash
# Regenerates the ELF seeds of fuzz_elf (tests/fuzz/corpus/fuzz_elf/elf_*): small programs
# and shared objects from gcc, stripped and not, and cut short. Run from anywhere; needs
# gcc and binutils. Each file stays well under 20 KB.
set -eu
cd "$(dirname "$0")"
out=corpus/fuzz_elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/prog.c" <<'C'
static int twice(int x) { return 2 * x; }
int helper(int x) { return twice(x) + 1; }
int main(int argc, char **argv) { (void)argv; return helper(argc); }
C
cat > "$tmp/lib.c" <<'C'
static int hidden(int x) { return x * 3; }
int exported(int x) { return hidden(x) + 1; }
int aliased(int x) __attribute__((alias("exported")));
__attribute__((weak)) int weakone(int x) { return x - 1; }
C
cat > "$tmp/start.c" <<'C'
void _start(void) { for (;;) __asm__ volatile("mov $60, %eax\n xor %edi, %edi\n syscall"); }
C
small="-Os -g0 -Wl,-z,noseparate-code -Wl,--build-id"
gcc $small -o "$tmp/elf_exe_pie" "$tmp/prog.c"
gcc $small -no-pie -o "$tmp/elf_exe_nopie" "$tmp/prog.c"
gcc $small -shared -fPIC -o "$tmp/elf_lib_so" "$tmp/lib.c"
gcc $small -nostdlib -static -no-pie -o "$tmp/elf_static_tiny" "$tmp/start.c"
strip -o "$tmp/elf_exe_pie_stripped" "$tmp/elf_exe_pie"
strip -o "$tmp/elf_lib_so_stripped" "$tmp/elf_lib_so"
for f in elf_exe_pie elf_exe_nopie elf_lib_so elf_static_tiny elf_exe_pie_stripped elf_lib_so_stripped; do
    cp "$tmp/$f" "$out/$f"
done
# cut short: the header alone, half a file, a file without its section headers
head -c 64 "$tmp/elf_lib_so" > "$out/elf_trunc_header"
head -c $(( $(stat -c %s "$tmp/elf_lib_so") / 2 )) "$tmp/elf_lib_so" > "$out/elf_trunc_half"
head -c $(( $(stat -c %s "$tmp/elf_exe_pie") - 512 )) "$tmp/elf_exe_pie" > "$out/elf_trunc_no_shdrs"
# a 32-bit class byte: refused at once
{ head -c 4 "$tmp/elf_static_tiny"; printf '\001'; tail -c +6 "$tmp/elf_static_tiny"; } > "$out/elf_class32"
# the vDSO, which pprof.h reads from memory: this machine's copy
python3 -c 'import re
m = re.search(r"([0-9a-f]+)-([0-9a-f]+) .*\[vdso\]", open("/proc/self/maps").read())
lo, hi = int(m.group(1), 16), int(m.group(2), 16)
f = open("/proc/self/mem", "rb"); f.seek(lo); open("'"$out"'/elf_vdso", "wb").write(f.read(hi - lo))'
chmod 644 "$out"/elf_*
ls -l "$out"
