#!/usr/bin/env bash
# make bench, heap part: bench/heap.c's malloc/free churn (2 threads, 256 live blocks each,
# 16..4096 B) run alternately on glibc unprofiled and under PPROF_WRAP_MALLOC in one go,
# 7 pairs, medians and their ratio; then rate 1, and the anchors that are installed
# (tcmalloc, jemalloc with prof:true, heaptrack, gperftools' HEAPPROFILE) on the same
# workload. ns per pair is wall time per malloc+free pair on each thread.
set -eu
cd "$(dirname "$0")/.."
B=build
mkdir -p $B
CC=${CC:-cc}
$CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread bench/heap.c -o $B/bheap_plain
$CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread -DBENCH_WRAP bench/heap.c -o $B/bheap_wrap
T=2 N=${HEAP_PAIRS:-4000000}
LIB=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

ns() { "$@" | awk '/ns_per_pair/ {print $2}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

plain="" wrap=""
for i in 1 2 3 4 5 6 7; do
    plain="$plain $(ns $B/bheap_plain $T $N)"
    wrap="$wrap $(ns $B/bheap_wrap $T $N)"
done
mp=$(echo $plain | median) mw=$(echo $wrap | median)
echo "heap churn, $T threads x $N pairs, medians of 7 alternating runs (ns per malloc+free pair):"
printf "  %-44s %7.1f ns   1.00x\n" "glibc malloc, unprofiled" "$mp"
printf "  %-44s %7.1f ns   %.2fx   (target <= 1.10x)\n" "pprof.h PPROF_WRAP_MALLOC, rate 512 KiB" "$mw" "$(echo "$mw $mp" | awk '{print $1/$2}')"
r1=$(ns $B/bheap_wrap $T $((N / 10)) 1)
printf "  %-44s %7.1f ns   %.2fx\n" "pprof.h PPROF_WRAP_MALLOC, rate 1 (all)" "$r1" "$(echo "$r1 $mp" | awk '{print $1/$2}')"

anchor() { # label ratio-base env... -- command
    local label=$1; shift
    local v
    v=$(env "$@" 2>/dev/null | awk '/ns_per_pair/ {print $2}') || true
    if [ -n "$v" ]; then
        printf "  %-44s %7.1f ns   %.2fx\n" "$label" "$v" "$(echo "$v $mp" | awk '{print $1/$2}')"
    else
        printf "  %-44s (failed)\n" "$label"
    fi
}
if [ -e $LIB/libtcmalloc_minimal.so.4 ]; then
    anchor "tcmalloc (gperftools)" LD_PRELOAD=$LIB/libtcmalloc_minimal.so.4 $B/bheap_plain $T $N
    anchor "tcmalloc + 512 KiB heap sampling" LD_PRELOAD=$LIB/libtcmalloc.so.4 TCMALLOC_SAMPLE_PARAMETER=524288 $B/bheap_plain $T $N
    anchor "gperftools HEAPPROFILE (records all)" LD_PRELOAD=$LIB/libtcmalloc.so.4 HEAPPROFILE=/tmp/pprof-bench-hp $B/bheap_plain $T $((N / 100))
    rm -f /tmp/pprof-bench-hp*
else
    echo "  (tcmalloc: not installed; apt-get install libgoogle-perftools-dev)"
fi
if [ -e $LIB/libjemalloc.so.2 ]; then
    anchor "jemalloc" LD_PRELOAD=$LIB/libjemalloc.so.2 $B/bheap_plain $T $N
    if MALLOC_CONF=prof:true LD_PRELOAD=$LIB/libjemalloc.so.2 $B/bheap_plain 1 1000 2>&1 | grep -q Invalid; then
        echo "  (jemalloc prof: this jemalloc is built without profiling)"
    else
        anchor "jemalloc + prof:true, 512 KiB" LD_PRELOAD=$LIB/libjemalloc.so.2 MALLOC_CONF=prof:true,lg_prof_sample:19 $B/bheap_plain $T $N
    fi
else
    echo "  (jemalloc: not installed; apt-get install libjemalloc-dev)"
fi
if command -v heaptrack >/dev/null; then
    v=$(heaptrack -o /tmp/pprof-bench-ht $B/bheap_plain $T $((N / 10)) 2>/dev/null | awk '/ns_per_pair/ {print $2}') || true
    rm -f /tmp/pprof-bench-ht*
    [ -n "$v" ] && printf "  %-44s %7.1f ns   %.2fx\n" "heaptrack (records all)" "$v" "$(echo "$v $mp" | awk '{print $1/$2}')"
else
    echo "  (heaptrack: not installed; apt-get install heaptrack)"
fi
