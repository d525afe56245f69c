#!/usr/bin/env bash
# The whole test suite (`make test`): lint, the compile matrix, the PPROF_DISABLE link check,
# then the runner built plain, with zlib, with AddressSanitizer + UndefinedBehaviorSanitizer,
# and (the tests that do not count samples) with ThreadSanitizer.
# Ends with "N passed, N failed" (", N skipped" when any were skipped).
# STRESS=N runs it all under competing load (tests/stress.sh); its first line says so.
# PPROF_TEST_STRICT=1 (set by .ci/run) turns every SKIP into a FAIL.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
mkdir -p "$B"
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef"
HWARN="$WARN -Wconversion -Wsign-conversion" # the header's own code, in the compile matrix
CWARN="$WARN -Wstrict-prototypes"
CHWARN="$HWARN -Wstrict-prototypes"
passed=0 failed=0 skipped=0
strict=${PPROF_TEST_STRICT:-0}

# STRESS=N (`make test STRESS=4`): the whole suite runs while N CPU burners and an
# allocation/IO churner compete for the CPUs (tests/stress.sh); they die on every way out
if [ -n "${STRESS:-}" ] && [ "$STRESS" != 0 ]; then
    . tests/stress.sh
    trap stress_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    stress_start "$STRESS" || exit 2
fi

result() { # status name [detail]
    case $1 in
        PASS) passed=$((passed + 1)); echo "PASS  $2" ;;
        SKIP) if [ "$strict" = 1 ]; then failed=$((failed + 1)); echo "FAIL  $2: SKIP not allowed (PPROF_TEST_STRICT=1): ${3:-}";
              else skipped=$((skipped + 1)); echo "SKIP  $2: ${3:-}"; fi ;;
        *) failed=$((failed + 1)); echo "FAIL  $2: ${3:-}" ;;
    esac
}

# A script's time limit catches a hang; on a busy machine (issue 17) its work takes longer, so
# the limit grows with the load: x the 1-minute load average per CPU when above 1, at most x4
# (as the runner's per-test timeouts do).
limit() { # seconds
    awk -v s="$1" -v n="$(nproc)" '{ f = $1 / n; if (f < 1) f = 1; if (f > 4) f = 4; printf "%d\n", s * f + 0.5 }' /proc/loadavg
}

compile() { # name compiler-and-flags...
    local name=$1; shift
    if out=$("$@" 2>&1); then result PASS "$name"; else result FAIL "$name" "$(echo "$out" | head -5)"; fi
}

# Relays the "PASS  name", "FAIL  name: why" and "SKIP  name: why" lines a script prints as
# results; $relayed counts them, $relay_end says whether it printed its closing END line.
relay() {
    relayed=0 relay_end=0
    while IFS= read -r line; do
        case $line in
            "PASS  "*) result PASS "${line#PASS  }" ;;
            "FAIL  "*) n=${line#FAIL  }; result FAIL "${n%%:*}" "${n#*: }" ;;
            "SKIP  "*) n=${line#SKIP  }; result SKIP "${n%%:*}" "${n#*: }" ;;
            END) relay_end=1; continue ;;
            *) continue ;;
        esac
        relayed=$((relayed + 1))
    done
}

# --- lint: what the compiler does not check
relay < <(tools/lint.sh)

# --- the compile matrix: implementation TU + a user TU, as C and C++, gcc and clang
for cc in gcc clang; do
    command -v $cc >/dev/null || { result SKIP "compile_$cc" "$cc not found"; continue; }
    for std in c99 c11; do
        compile "compile_${cc}_$std" $cc -std=$std $CHWARN -fno-omit-frame-pointer -pthread \
            tests/compile/impl.c tests/compile/user.c -o "$B/compile_${cc}_$std"
    done
done
for cxx in g++ clang++; do
    command -v $cxx >/dev/null || { result SKIP "compile_$cxx" "$cxx not found"; continue; }
    for std in c++11 c++17; do
        compile "compile_${cxx}_$std" $cxx -x c++ -std=$std $HWARN -fno-exceptions -fno-rtti \
            -pthread tests/compile/impl.c tests/compile/user.c -o "$B/compile_${cxx}_$std"
    done
done
# PPROF_WRAP_MALLOC: the malloc family (and, in C++, operator new) defined in the impl TU
compile compile_wrap_malloc_gcc_c99 gcc -std=c99 $CHWARN -fno-omit-frame-pointer -pthread \
    -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrap_c99"
compile compile_wrap_malloc_clang_c11 clang -std=c11 $CHWARN -fno-omit-frame-pointer -pthread \
    -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrap_clang"
compile compile_wrap_malloc_g++_c++11_noexcept g++ -x c++ -std=c++11 $HWARN -fno-exceptions -fno-rtti \
    -pthread -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrap_cxx11"
compile compile_wrap_malloc_clang++_c++17 clang++ -x c++ -std=c++17 $HWARN -pthread \
    -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrap_cxx17"
compile compile_wrap_pthread_gcc_c99 gcc -std=c99 $CHWARN -fno-omit-frame-pointer -pthread \
    -DPPROF_WRAP_PTHREAD -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrapp_c99"
compile compile_wrap_pthread_clang++_c++17 clang++ -x c++ -std=c++17 $HWARN -pthread \
    -DPPROF_WRAP_PTHREAD tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrapp_cxx17"
compile compile_wrap_pthread_g++_c++11 g++ -x c++ -std=c++11 $HWARN -fno-exceptions -pthread \
    -DPPROF_WRAP_PTHREAD tests/compile/impl.c tests/compile/user.c -o "$B/compile_wrapp_cxx11"
compile compile_wrap_signal_clang_c99 clang -std=c99 $CHWARN -pthread \
    -DPPROF_WRAP_SIGNAL -DPPROF_WRAP_PTHREAD -DPPROF_WRAP_MALLOC tests/compile/impl.c tests/compile/user.c -o "$B/compile_wraps_c99"
compile compile_wrap_signal_g++_c++17 g++ -x c++ -std=c++17 $HWARN -pthread \
    -DPPROF_WRAP_SIGNAL tests/compile/impl.c tests/compile/user.c -o "$B/compile_wraps_cxx17"
compile compile_static_c99 gcc -std=c99 $CHWARN -DPPROF_STATIC -pthread -c tests/compile/impl.c -o "$B/static.o"
if [ -e /usr/include/zlib.h ]; then
    compile compile_zlib_c99 gcc -std=c99 $CHWARN -DPPROF_USE_ZLIB -pthread tests/compile/impl.c \
        tests/compile/user.c -o "$B/compile_zlib" -lz
else
    result SKIP compile_zlib_c99 "zlib.h not found (zlib1g-dev)"
fi
# a program whose impl TU includes another header first gets pprof.h's #error, not a mess
printf '#include <stdio.h>\n#define PPROF_IMPLEMENTATION\n#include "pprof.h"\n' > "$B/late.c"
if out=$(gcc -std=c99 -I. -c "$B/late.c" -o "$B/late.o" 2>&1); then
    result FAIL compile_late_include_has_clear_error "compiled without _DEFAULT_SOURCE"
elif echo "$out" | grep -q 'pprof.h: the implementation needs _DEFAULT_SOURCE'; then
    result PASS compile_late_include_has_clear_error
else
    result FAIL compile_late_include_has_clear_error "$(echo "$out" | head -3)"
fi

# --- PPROF_NO_HTTP: no socket code at all
if gcc -std=c99 $CWARN -O2 -DPPROF_NO_HTTP -pthread tests/compile/impl.c tests/compile/user.c \
        -o "$B/nohttp" 2>"$B/nohttp.err"; then
    leaked=$(nm -u "$B/nohttp" | grep -wE 'socket|bind|listen|accept' | awk '{print $2}' | tr '\n' ' ')
    if [ -n "$leaked" ]; then result FAIL no_http_links_no_sockets "links $leaked"
    else result PASS no_http_links_no_sockets; fi
else
    result FAIL no_http_links_no_sockets "$(head -3 "$B/nohttp.err")"
fi

# --- a platform pprof.h does not profile (here: __linux__ undefined): every call compiles,
# links and answers PPROF_ERR_UNSUPPORTED, or the argument errors it gives on Linux
for cc in "gcc -std=c99" "g++ -x c++ -std=c++11"; do
    name="unsupported_platform_answers_${cc%% *}"
    if out=$($cc $HWARN -U__linux__ -pthread tests/compile/unsupported.c -o "$B/unsupported" 2>&1) &&
            out=$("$B/unsupported" 2>&1); then
        result PASS "$name"
    else
        result FAIL "$name" "$(echo "$out" | head -5)"
    fi
done

# --- PPROF_DISABLE: every call compiles away, nothing of the profiler is linked
if gcc -std=c99 $CWARN -O2 -DPPROF_DISABLE -pthread tests/compile/impl.c tests/compile/user.c \
        -DPPROF_DISABLE -o "$B/disabled" 2>"$B/disabled.err"; then
    leaked=$(nm -u "$B/disabled" | grep -wE 'timer_create|setitimer|sigaction|socket|bind|listen|pthread_create|syscall' | awk '{print $2}' | tr '\n' ' ')
    defined=$(nm "$B/disabled" | grep -cE ' [tTdDbB] pprof__' || true)
    if [ -n "$leaked" ]; then result FAIL disable_links_nothing "links $leaked"
    elif [ "$defined" != 0 ]; then result FAIL disable_links_nothing "$defined pprof__ symbols linked"
    elif ! "$B/disabled" x; then result FAIL disable_links_nothing "a disabled call returned non-zero"
    else result PASS disable_links_nothing; fi
else
    result FAIL disable_links_nothing "$(head -3 "$B/disabled.err")"
fi

# --- Valgrind memcheck on the examples: no error, no definite leak after pprof_shutdown
vg="valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite"
if ! command -v valgrind >/dev/null; then
    result SKIP valgrind_examples "valgrind not found (Debian package valgrind)"
else
    make -s "$B/quickstart" "$B/pbdump" 2>/dev/null
    if out=$(cd "$B" && $vg ./quickstart vg_cpu.pb.gz 2 2>&1) && "$B/pbdump" -top "$B/vg_cpu.pb.gz" >/dev/null 2>&1; then
        result PASS valgrind_quickstart_write_cpu
    else
        result FAIL valgrind_quickstart_write_cpu "$(echo "$out" | grep -v '^==.*== *$' | head -8)"
    fi
    if gcc -std=c99 -O1 -g $CWARN -fno-omit-frame-pointer -pthread examples/server.c -o "$B/server" 2>"$B/server.err"; then
        # every endpoint over plain bash sockets while the server runs under memcheck, then
        # SIGTERM: it calls pprof_shutdown and returns from main (at most 120 s in all)
        timeout -s KILL 200 $vg "$B/server" 0 120 > "$B/vg_server.out" 2> "$B/vg_server.err" &
        vpid=$!
        port=""
        for _ in $(seq 100); do
            port=$(grep -o '127.0.0.1:[0-9]*' "$B/vg_server.out" 2>/dev/null | cut -d: -f2)
            [ -n "$port" ] && break
            sleep 0.1
        done
        bad=""
        for ep in "" heap allocs "goroutine?debug=2" goroutine threadcreate block mutex cmdline \
                  "profile?seconds=2" "trace?seconds=1" "heap?debug=1" symbol nope; do
            want=200; [ "$ep" = nope ] && want=404
            got=$(exec 3<>"/dev/tcp/127.0.0.1/${port:-1}" 2>/dev/null &&
                  printf 'GET /debug/pprof/%s HTTP/1.1\r\nHost: x\r\n\r\n' "$ep" >&3 &&
                  head -c 12 <&3 | cut -c10-12)
            [ "$got" = "$want" ] || bad="$bad $ep:$got"
        done
        kill -TERM $vpid 2>/dev/null
        wait $vpid; vrc=$?
        if [ -z "$port" ] || [ -n "$bad" ] || [ $vrc != 0 ] || [ -s "$B/vg_server.err" ]; then
            result FAIL valgrind_server_every_endpoint "port=$port exit=$vrc answers:$bad $(head -c 600 "$B/vg_server.err")"
        else
            result PASS valgrind_server_every_endpoint
        fi
    else
        result FAIL valgrind_server_every_endpoint "$(head -3 "$B/server.err")"
    fi
fi

# --- other readers of our profiles: pprof-format (npm) and speedscope's importer
relay < <(B="$B" tests/npm/readers.sh 2>&1)
[ "$relayed" -gt 0 ] || result FAIL npm_readers "tests/npm/readers.sh reported nothing"

# --- a C++ program's heap profile: operator new/delete at their call sites (PASS/FAIL lines)
# (g++, clang++: the implementation in C++; c-impl: in a C file, operator new by its mangled names)
for cxx in g++ clang++ c-impl; do
    if [ $cxx = c-impl ]; then
        build() { gcc -std=c99 -O2 -g $CWARN -fno-omit-frame-pointer -pthread -c tests/heap_cxx_impl.c \
                      -o "$B/heap_cxx_impl.o" && g++ -std=c++17 -O2 -g $WARN -fno-omit-frame-pointer \
                      -pthread -DHEAP_CXX_C_IMPL tests/heap_cxx.cpp "$B/heap_cxx_impl.o" -o "$B/heap_cxx_$cxx"; }
    else
        build() { $cxx -std=c++17 -O2 -g $WARN -fno-omit-frame-pointer -pthread tests/heap_cxx.cpp \
                      -o "$B/heap_cxx_$cxx"; }
    fi
    if out=$(build 2>&1); then
        while IFS= read -r line; do
            case $line in
                "PASS  "*) result PASS "[$cxx] ${line#PASS  }" ;;
                "FAIL  "*) n=${line#FAIL  }; result FAIL "[$cxx] ${n%%:*}" "${n#*: }" ;;
                "exit "*) [ "${line#exit }" = 0 ] || result FAIL "[$cxx] heap_cxx_exit_status" "$line" ;;
            esac
        done < <("$B/heap_cxx_$cxx" 2>&1; echo "exit $?")
    else
        result FAIL "heap_cxx_build_$cxx" "$(echo "$out" | head -5)"
    fi
done

# --- stacks against the program's own backtrace(), address for address (tests/stacks/):
# gcc and clang, C and C++, -O2 without and with frame pointers and -O0; the default walker
# (unwind tables) everywhere, the frame-record walker where frame pointers are kept
for cc in gcc clang g++ clang++; do
    case $cc in g++|clang++) lang="-x c++ -std=c++17" ;; *) lang="-std=c11" ;; esac
    for opt in "-O2 -fomit-frame-pointer" "-O2 -fno-omit-frame-pointer" "-O0"; do
        tag=${cc}_$(echo "$opt" | sed 's/-fomit-frame-pointer/nofp/; s/-fno-omit-frame-pointer/fp/; s/[- ]//g')
        if out=$($cc $lang $opt -g $WARN -pthread tests/stacks/stacks.c -o "$B/stacks_$tag" 2>&1); then
            relay < <(timeout "$(limit 60)" "$B/stacks_$tag" "stacks_$tag" 2>&1)
            [ $relay_end = 1 ] || result FAIL "stacks_$tag" "ended before its last check (crash or timeout)"
            case $opt in *-fomit-frame-pointer) continue ;; esac
            relay < <(timeout "$(limit 60)" "$B/stacks_$tag" "stacks_fpwalk_$tag" fp 2>&1)
            [ $relay_end = 1 ] || result FAIL "stacks_fpwalk_$tag" "ended before its last check (crash or timeout)"
        else
            result FAIL "stacks_build_$tag" "$(echo "$out" | head -5)"
        fi
    done
done

# the same linked by lld, whose layout shares the code segment's first page with the headers
# (the load bias must come from the executable segment)
for cc in clang clang++; do
    case $cc in clang++) lang="-x c++ -std=c++17" ;; *) lang="-std=c11" ;; esac
    tag=${cc}_lld_O2nofp
    if ! command -v ld.lld >/dev/null; then result SKIP "stacks_$tag" "ld.lld not found (Debian package lld)"; continue; fi
    if out=$($cc $lang -O2 -fomit-frame-pointer -fuse-ld=lld -g $WARN -pthread tests/stacks/stacks.c -o "$B/stacks_$tag" 2>&1); then
        relay < <(timeout "$(limit 60)" "$B/stacks_$tag" "stacks_$tag" 2>&1)
        [ $relay_end = 1 ] || result FAIL "stacks_$tag" "ended before its last check (crash or timeout)"
    else
        result FAIL "stacks_build_$tag" "$(echo "$out" | head -5)"
    fi
done

# --- libFuzzer smoke: each target of tests/fuzz/ replays its seed corpus (the regression
# inputs of past crashes too), then fuzzes a few seconds; `make fuzz` runs them for longer
relay < <(FUZZ_DIR="$B/fuzz" tools/fuzz.sh --smoke 2>&1)
[ "$relayed" -gt 0 ] || result FAIL fuzz_smoke "tools/fuzz.sh --smoke reported no target"

# --- libpprof.so under LD_PRELOAD on real programs (python3, sqlite3, gzip, cmake, bash); programs
# that do what hosts do (tests/host.sh, issue 14: daemons, sigwait servers, cgo, sort, jemalloc);
# their stacks against perf --call-graph dwarf on the same run; the packaging (make install +
# pkg-config, CMake add_subdirectory, FetchContent, find_package)
# the heap profile over glibc, jemalloc, tcmalloc and mimalloc (tests/alloc.sh, issue 15), and of
# perl, python3 and clang against heaptrack on the same workload (tests/realheap.sh); every
# program in examples/ built, run and its profile checked (tests/examples.sh)
for script in tests/preload.sh tests/host.sh tests/alloc.sh tests/realheap.sh tests/realstacks.sh tests/install.sh \
              tests/examples.sh; do
    relay < <(B="$B" timeout "$(limit 300)" "$script" 2>&1)
    [ $relay_end = 1 ] || result FAIL "$script" "ended before its last test (crash or timeout)"
done

# --- the flame graph page in headless Chromium (tests/browser.sh; SKIP without chromium)
relay < <(B="$B" PPROF_TEST_STRICT=0 timeout "$(limit 400)" tests/browser.sh 2>&1)
[ "$relayed" -gt 0 ] || result FAIL browser_flamegraph "tests/browser.sh reported nothing"
[ $relay_end = 1 ] || result FAIL tests/browser.sh "ended before its last test (crash or timeout)"

# --- Go's own net/http/pprof and pprof.h side by side, request for request (tests/goparity.sh:
# one test; SKIP without go, so a FAIL in CI)
relay < <(B="$B" timeout 180 tests/goparity.sh 2>&1)
[ $relay_end = 1 ] || result FAIL goparity_same_as_go_net_http_pprof "tests/goparity.sh ended before its last test (crash or timeout)"

# --- the runner, in three builds
run_phase() { # label binary [filters...]
    local label=$1 bin=$2; shift 2
    local log="$B/$label.log"
    echo "--- runner: $label"
    PBDUMP="$B/pbdump" "$bin" "$@" > "$log" 2>&1
    while IFS= read -r line; do
        case $line in
            "PASS  "*) passed=$((passed + 1)); echo "PASS  [$label] ${line#PASS  }" ;;
            "FAIL  "*) failed=$((failed + 1)); echo "FAIL  [$label] ${line#FAIL  }" ;;
            "SKIP  "*) skipped=$((skipped + 1)); echo "SKIP  [$label] ${line#SKIP  }" ;;
            *" passed, "*" failed"*) ;;
            *) echo "      $line" ;;
        esac
    done < "$log"
}
make -s "$B/run" "$B/pbdump" || { result FAIL build_runner "make $B/run failed"; }
[ -x "$B/run" ] && run_phase plain "$B/run"
if [ -e /usr/include/zlib.h ]; then
    make -s "$B/run_zlib" && run_phase zlib "$B/run_zlib" pb_ gz_ cpu_profile_structure tools_go
fi
# The ASan allocator of clang 14 (Debian 12) takes no lock at fork: a child
# forked while another thread is inside its malloc hangs in ASan itself. So the forks under
# busy writers run here, with the lock order checked at every acquisition, not under ASan.
if make -s "$B/run_locks" 2>"$B/locks_build.err"; then
    run_phase locks "$B/run_locks" host_ fork_ label_
else
    result FAIL build_locks "$(head -5 "$B/locks_build.err")"
fi
if make -s "$B/run_asan" 2>"$B/asan_build.err"; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_phase asan+ubsan "$B/run_asan" -xhost_fork_
else
    result FAIL build_asan "$(head -5 "$B/asan_build.err")"
fi

# ThreadSanitizer delays asynchronous signals to its own safe points, so profiles under it
# hold almost no samples, and it refuses threads in a child of a threaded process: it runs
# the tests whose assertions count no samples and whose children start no threads.
if make -s "$B/run_tsan" 2>"$B/tsan_build.err"; then
    TSAN_OPTIONS=halt_on_error=1 run_phase tsan "$B/run_tsan" pb_ sym_ err_ unw_follows \
        unw_stops unw_checked unw_depth unw_leaf unw_code unw_never unw_cfi unw_every fork_100 cpu_no_stray \
        http_listen_errors http_endpoints http_client_limits http_shutdown_ends heap_ \
        sync_setters fault_eintr fault_shutdown http_abuse http_token cfi_wild web_every_method \
        web_unclean web_keepalive -xhost_
else
    result FAIL build_tsan "$(head -5 "$B/tsan_build.err")"
fi

if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"
else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
