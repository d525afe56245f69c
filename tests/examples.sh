#!/usr/bin/env bash
# examples/: each program built by make (as `make` builds it: -std=c99, warnings are errors), run
# for a second or two, and what its header comment tells a user to look for checked in the
# profile it wrote, with build/pbdump, against what the program says it did. Also the
# examples under clang with the same warnings. One PASS/FAIL/SKIP line per test (tests/all.sh
# counts them), then "END". B names the build directory (default build).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
mkdir -p "$B/examples" && D=$(cd "$B/examples" && pwd) && rm -rf "${D:?}"/*
. tests/lib.sh
NAMES="quickstart server heap locks labels preloaded"
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow"

# -k: one example that does not build fails its own test only
targets=""
for n in $NAMES; do targets="$targets $B/$n"; done
make -s -k -j2 B="$B" $targets "$B/pbdump" "$B/libpprof.so" >"$D/make.log" 2>&1
if [ ! -x "$B/pbdump" ]; then
    fail examples_build "$B/pbdump does not build: $(head -5 "$D/make.log")"
    finish
fi
built() { # name: 0 when make built the example (not a stale binary), else its FAIL line
    [ -x "$B/$1" ] && ! grep -qF "/$1]" "$D/make.log" && return 0
    fail "example_$1" "make $B/$1 failed: $(grep -F -e "examples/$1.c" -e "/$1]" "$D/make.log" | head -5)"
    return 1
}
# "FN v0 v1 ...": FN's exact values summed over the samples whose stack holds it
cum() { "$B/pbdump" -cum="$2" "$1" 2>&1 | awk -v f="$2" -v c="$3" '$1 == f { print $(c + 1) }'; }

# --- every example under clang, the same warnings (make used $CC, normally gcc)
if ! command -v clang >/dev/null; then
    skip examples_clang_warnings "clang not found (Debian package clang)"
else
    bad=""
    for n in $NAMES; do
        clang -std=c99 $WARN -fno-omit-frame-pointer -pthread -fsyntax-only "examples/$n.c" \
            >"$D/clang_$n.log" 2>&1 || bad="$bad $n: $(head -3 "$D/clang_$n.log")"
    done
    if [ -z "$bad" ]; then pass examples_clang_warnings; else fail examples_clang_warnings "$bad"; fi
fi

# --- quickstart: a CPU profile file holding the three workers' functions; parse_request
# does half the work: its share within 4 standard deviations of the sample count, + 5 points
if built quickstart; then
    out=$(timeout 60 "$B/quickstart" "$D/cpu.pb.gz" 1 2>&1); rc=$?
    p=$(cum "$D/cpu.pb.gz" parse_request 1); c=$(cum "$D/cpu.pb.gz" compress_block 1)
    h=$(cum "$D/cpu.pb.gz" hash_keys 1)
    if [ $rc = 0 ] && "$B/pbdump" -top "$D/cpu.pb.gz" | grep -q '^Type: cpu' &&
       awk -v p="${p:-0}" -v c="${c:-0}" -v h="${h:-0}" 'BEGIN { t = p + c + h
           exit !(p > 0 && c > 0 && h > 0 && (p / t - 0.5) ^ 2 <= (4 * sqrt(0.25 / t) + 0.05) ^ 2) }'; then
        pass "example_quickstart_cpu_file (samples: parse_request $p, compress_block $c, hash_keys $h)"
    else
        fail example_quickstart_cpu_file "exit $rc: $out; samples: parse_request '$p' compress_block '$c' hash_keys '$h'; $("$B/pbdump" -top "$D/cpu.pb.gz" 2>&1 | head -14)"
    fi
fi

# --- server: the index, the heap profile and a 1 s CPU profile over HTTP; SIGTERM ends it
if built server; then
    "$B/server" 0 30 >"$D/server.out" 2>"$D/server.err" &
    spid=$!
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$D/server.out" 2>/dev/null)
        [ -n "$port" ] && break
        sleep 0.05
    done
    bad=""
    http_get "${port:-1}" "" "$D/index.html" && grep -q 'heap' "$D/index.html" || bad="$bad index"
    http_get "${port:-1}" heap "$D/srv_heap.pb.gz" &&
        "$B/pbdump" -top "$D/srv_heap.pb.gz" | grep -q '^Type: inuse_space' || bad="$bad heap"
    http_get "${port:-1}" "profile?seconds=1" "$D/srv_cpu.pb.gz" || bad="$bad profile"
    hr=$(cum "$D/srv_cpu.pb.gz" handle_request 1)
    [ "${hr:-0}" -gt 0 ] 2>/dev/null || bad="$bad handle_request:'$hr'"
    kill -TERM $spid 2>/dev/null
    wait $spid; rc=$?
    if [ -n "$port" ] && [ -z "$bad" ] && [ $rc = 0 ]; then
        pass "example_server_endpoints (port $port: /debug/pprof/, heap, profile with handle_request in $hr samples)"
    else
        fail example_server_endpoints "port '$port' exit $rc (want 0 after SIGTERM), failed:$bad; $(cat "$D/server.out" "$D/server.err")"
    fi
fi

# --- heap: load_cache's live blocks in use, parse_messages' freed ones allocated only; the
# estimates within 50% of what the program allocated (~125 and ~400 samples at 512 KiB)
if built heap; then
    out=$(timeout 60 "$B/heap" "$D/heap.pb.gz" 2>&1); rc=$?
    live=$(echo "$out" | sed -n 's/.*load_cache \([0-9]*\) bytes in use.*/\1/p')
    made=$(echo "$out" | sed -n 's/.*parse_messages \([0-9]*\) bytes allocated.*/\1/p')
    l_in=$(cum "$D/heap.pb.gz" load_cache 4); m_al=$(cum "$D/heap.pb.gz" parse_messages 2)
    m_in=$(cum "$D/heap.pb.gz" parse_messages 4)
    if [ $rc = 0 ] && "$B/pbdump" -top "$D/heap.pb.gz" | grep -q '^Type: inuse_space' &&
       awk -v l="${l_in:-0}" -v L="${live:-0}" -v m="${m_al:-0}" -v M="${made:-0}" -v mi="${m_in:-x}" \
           'BEGIN { exit !(L > 0 && M > 0 && l > 0.5 * L && l < 1.5 * L && m > 0.5 * M && m < 1.5 * M && mi == 0) }'; then
        pass "example_heap_inuse_and_alloc (load_cache ${l_in} of ${live} bytes in use, parse_messages ${m_al} of ${made} allocated, 0 in use)"
    else
        fail example_heap_inuse_and_alloc "exit $rc: $out; load_cache inuse_space '$l_in', parse_messages alloc_space '$m_al' inuse_space '$m_in'; $("$B/pbdump" -top "$D/heap.pb.gz" 2>&1 | head -12)"
    fi
fi

# --- locks: contention at transfer in both profiles; at most one contended unlock per
# transfer, and no more waiting than 4 threads could do while the program ran
if built locks; then
    t0=$(date +%s%N)
    out=$(timeout 60 "$B/locks" "$D/mutex.pb.gz" "$D/block.pb.gz" 1 2>&1); rc=$?
    wall=$(( $(date +%s%N) - t0 ))
    n=$(echo "$out" | sed -n 's/.*: \([0-9]*\) transfers.*/\1/p')
    mc=$(cum "$D/mutex.pb.gz" transfer 1); md=$(cum "$D/mutex.pb.gz" transfer 2)
    bc=$(cum "$D/block.pb.gz" transfer 1); bd=$(cum "$D/block.pb.gz" transfer 2)
    if [ $rc = 0 ] && "$B/pbdump" -top "$D/mutex.pb.gz" | grep -q '^Type: delay' &&
       awk -v n="${n:-0}" -v mc="${mc:-0}" -v md="${md:-0}" -v bc="${bc:-0}" -v bd="${bd:-0}" -v w="$wall" \
           'BEGIN { exit !(mc > 0 && mc <= n && md > 0 && md <= 4 * w && bc > 0 && bd > 0 && bd <= 4 * w) }'; then
        pass "example_locks_mutex_block (transfer: $mc contended unlocks of $n, ${md}ns delay caused; $bc waits, ${bd}ns waited)"
    else
        fail example_locks_mutex_block "exit $rc: $out; mutex at transfer '$mc' '$md'ns, block '$bc' '$bd'ns, wall ${wall}ns; $("$B/pbdump" -top "$D/mutex.pb.gz" 2>&1 | head -12)"
    fi
fi

# --- labels: every handle_request sample carries endpoint=/checkout or /search, split as the
# work (3 units to 1: 75%) within 4 standard deviations of the sample count, + 5 points
if built labels; then
    out=$(timeout 60 "$B/labels" "$D/labels.pb.gz" 2 2>&1); rc=$?
    "$B/pbdump" -traces "$D/labels.pb.gz" > "$D/labels.traces" 2>&1
    split=$(awk '/^sample [0-9]+:/ { n = 0; lab = "none"
                     for (i = 3; i <= NF; i++) { if ($i ~ /^samples=/) n = substr($i, 9)
                                                 if ($i ~ /^endpoint=/) lab = substr($i, 10) } next }
                 /^    handle_request$/ { s[lab] += n }
                 END { printf "%d %d %d", s["\"/checkout\""], s["\"/search\""], s["none"] }' "$D/labels.traces")
    read -r co se no <<< "$split"
    if [ $rc = 0 ] && awk -v c="$co" -v s="$se" -v z="$no" 'BEGIN { t = c + s
           exit !(c > 0 && s > 0 && z == 0 && (c / t - 0.75) ^ 2 <= (4 * sqrt(0.1875 / t) + 0.05) ^ 2) }'; then
        pass "example_labels_tags (handle_request: $co samples endpoint=/checkout, $se endpoint=/search, 0 unlabeled)"
    else
        fail example_labels_tags "exit $rc: $out; handle_request samples /checkout '$co' /search '$se' unlabeled '$no'; $(head -30 "$D/labels.traces")"
    fi
fi

# --- preloaded: a program without pprof.h (no pprof symbol in it), under LD_PRELOAD:
# the CPU profile at exit holds crunch_numbers for most of the CPU the program used, the
# heap profile build_table's 32 MiB in use (within 50%; at PPROF_HEAP_RATE=65536 about 320
# of its 512 blocks are sampled, a standard deviation of 3%)
if built preloaded && [ -f "$B/libpprof.so" ]; then
    L=$(cd "$B" && pwd)/libpprof.so
    syms=$(nm "$B/preloaded" 2>/dev/null | grep -c pprof)
    out=$(timeout 60 env LD_PRELOAD="$L" PPROF_CPU="$D/pre_cpu.pb.gz" PPROF_HEAP_PROFILE="$D/pre_heap.pb.gz" \
          PPROF_HEAP_RATE=65536 "$B/preloaded" 1 2>"$D/pre.err"); rc=$?
    cpu=$(cum "$D/pre_cpu.pb.gz" crunch_numbers 2); heap=$(cum "$D/pre_heap.pb.gz" build_table 4)
    if [ $rc = 0 ] && [ "$syms" = 0 ] && [ ! -s "$D/pre.err" ] &&
       awk -v c="${cpu:-0}" -v h="${heap:-0}" 'BEGIN { m = 32 * 1048576
           exit !(c > 0.6e9 && c < 1.3e9 && h > 0.5 * m && h < 1.5 * m) }'; then
        pass "example_preloaded_cpu_heap (crunch_numbers ${cpu}ns of the 1 s CPU it used, build_table ${heap} bytes in use)"
    else
        fail example_preloaded_cpu_heap "exit $rc: $out; $syms pprof symbols; crunch_numbers '$cpu'ns, build_table '$heap' bytes; $(cat "$D/pre.err"; "$B/pbdump" -top "$D/pre_cpu.pb.gz" 2>&1 | head -12)"
    fi
elif [ -x "$B/preloaded" ]; then
    fail example_preloaded_cpu_heap "build/libpprof.so does not build: $(head -5 "$D/make.log")"
fi
finish
