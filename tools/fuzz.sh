#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (clang -fsanitize=fuzzer,address,undefined): every
# parser of pprof.h that reads outside input, and tools/pprof_read.h.
#
#   tools/fuzz.sh [TARGET...]          build, then fuzz each target for FUZZ_SECONDS (60),
#                                      FUZZ_JOBS at a time (the number of CPUs); `make fuzz`.
#                                      Exit 1 if any target crashed, leaked or hung.
#   tools/fuzz.sh --smoke [TARGET...]  build, replay the seed corpus, fuzz FUZZ_SMOKE_SECONDS
#                                      (8); one PASS/FAIL/SKIP line per target (tests/all.sh).
#   tools/fuzz.sh --build [TARGET...]  build only.
# TARGET is a name like fuzz_http; none means all of tests/fuzz/fuzz_*.c.
#
# tests/fuzz/corpus/<target>/ is the seed corpus and is never written: `make fuzz` adds what
# it finds to build/fuzz/<target>-corpus (kept between runs); crashes are saved as
# build/fuzz/<target>-crash-<sha1> (FUZZ_DIR moves build/fuzz; the smoke works in its smoke/
# subdirectory). To keep a crash as a regression test:
#   build/fuzz/<target> -minimize_crash=1 -runs=100000 -exact_artifact_path=min CRASH
#   cp min tests/fuzz/corpus/<target>/regress_<what>      (the smoke replays every seed)
set -u
cd "$(dirname "$0")/.." || exit 1
B=${FUZZ_DIR:-build/fuzz} # (tests/all.sh puts it under its own build directory)
CLANG=${CLANG:-clang}
mode=fuzz
case ${1:-} in --smoke) mode=smoke; shift ;; --build) mode=build; shift ;; esac
seconds=${FUZZ_SECONDS:-60}
[ $mode = smoke ] && seconds=${FUZZ_SMOKE_SECONDS:-8}
[ $mode = smoke ] && B=$B/smoke # its own binaries and logs: a `make fuzz` may be running
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
FLAGS="-std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -pthread -Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef
       -Wstrict-prototypes"
mkdir -p "$B"

if [ $# -gt 0 ]; then targets="$*"
else targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//'); fi

# What each target needs beyond the defaults: inputs long enough for the limits it checks
# (16 KiB request heads, 8 KiB lines), a dictionary, zlib for the reader when present.
opts() {
    case $1 in
        fuzz_http) echo "-max_len=20000 -dict=tests/fuzz/fuzz_http.dict" ;;
        fuzz_elf) echo "-max_len=20000" ;;
        fuzz_maps) echo "-max_len=8192" ;;
        fuzz_cfi) echo "-max_len=65536" ;;
        *) echo "-max_len=4096" ;;
    esac
}
libs() {
    if [ "$1" = fuzz_read ] && [ -e /usr/include/zlib.h ]; then echo "-DPRD_USE_ZLIB -lz"; fi
}

say() { # status target [detail]: the smoke's lines; fuzz mode's summary
    if [ $mode = smoke ]; then echo "$1  $2${3:+: $3}"; else echo "$2: $1${3:+  $3}"; fi
}

# No runtime, no fuzzing: loudly (CI turns a SKIP into a FAIL).
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$B/probe.c"
if ! out=$($CLANG -fsanitize=fuzzer,address,undefined "$B/probe.c" -o "$B/probe" 2>&1); then
    why="$CLANG -fsanitize=fuzzer does not link (install clang and libclang-rt-14-dev): $(echo "$out" | head -1)"
    for t in $targets; do say SKIP "$t" "$why"; done
    [ $mode = smoke ] && exit 0
    exit 1
fi

build_one() { # target: writes $B/<target>.build with the compiler's complaints
    # shellcheck disable=SC2046
    $CLANG $FLAGS "tests/fuzz/$1.c" -o "$B/$1" $(libs "$1") > "$B/$1.build" 2>&1
}

run_one() { # target: fuzzes it; its exit status in $B/<target>.rc, output in $B/<target>.log
    local t=$1 corpus
    if [ $mode = smoke ]; then
        corpus=$B/$t-corpus # new inputs of a smoke are thrown away
        rm -rf "$corpus"
    else
        corpus=$B/$t-corpus
    fi
    mkdir -p "$corpus"
    extra=""
    if [ $t = fuzz_cfi ] && [ $mode = fuzz ]; then # the .eh_frame of this machine's libraries
        extra=$B/fuzz_cfi-machine
        [ -d "$extra" ] || tests/fuzz/cfi_seeds.sh "$extra" /usr/lib/x86_64-linux-gnu/*.so* \
            /usr/lib/aarch64-linux-gnu/*.so* /usr/bin/* 2>/dev/null
    fi
    # shellcheck disable=SC2046
    "$B/$t" $(opts "$t") -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$B/$t-" "$corpus" "tests/fuzz/corpus/$t" $extra \
        > "$B/$t.log" 2>&1
    echo $? > "$B/$t.rc"
}

parallel() { # function targets...: at most $jobs at once
    local fn=$1
    shift
    for t; do
        "$fn" "$t" &
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    done
    wait
}

for t in $targets; do
    [ -f "tests/fuzz/$t.c" ] || { say FAIL "$t" "no tests/fuzz/$t.c"; exit 1; }
    rm -f "$B/$t" "$B/$t.rc"
done
parallel build_one $targets
built=""
rc=0
for t in $targets; do
    if [ -x "$B/$t" ]; then built="$built $t"
    else say FAIL "$t" "build failed: $(head -3 "$B/$t.build" | tr '\n' ' ')"; rc=1; fi
done
[ $mode = build ] && { [ -n "$built" ] && echo "built:$built in $B/"; exit $rc; }

[ $mode = fuzz ] && echo "fuzzing$built for $seconds s each, $jobs at a time (logs: $B/<target>.log)"
parallel run_one $built
for t in $built; do
    log=$B/$t.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -1 |
           sed -E 's/^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+//; s/ exec\/s.*//')
    stats="${runs:-?} runs in $seconds s, $last"
    if [ "$(cat "$B/$t.rc" 2>/dev/null)" = 0 ]; then
        say PASS "$t" "$([ $mode = fuzz ] && echo "$stats")"
    else
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        what=$(grep -a -m1 -E 'invariant broken|ERROR: |SUMMARY: |runtime error' "$log" | cut -c1-200)
        say FAIL "$t" "${what:-exit $(cat "$B/$t.rc" 2>/dev/null)}${art:+ (input: $art)}"
        rc=1
    fi
done
exit $rc
