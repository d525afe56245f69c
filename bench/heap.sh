#!/usr/bin/env bash
# make bench, heap part: bench/heap.c's malloc/free churn (2 threads, 256 live blocks each,
# 16..4096 B) over each allocator installed (glibc's; jemalloc, tcmalloc, mimalloc linked
# into the program): (a) alone, (b) under PPROF_WRAP_MALLOC, which forwards to it, (c) the
# same at rate 1, (d) with build/libpprof.so preloaded and no PPROF_* set. (a), (b), (d) of
# every allocator alternate in each of 7 rounds; medians and their ratios to (a). Then the
# anchors that are installed (tcmalloc and jemalloc sampling, heaptrack, gperftools'
# HEAPPROFILE) on the same workload, to their allocator alone. ns per pair is wall time per
# malloc+free pair on each thread, after an untimed warm-up (heap.c: one-time costs out).
set -eu
cd "$(dirname "$0")/.."
B=build
mkdir -p $B
${MAKE:-make} -s $B/libpprof.so # (d) measures this pprof.h
for v in $(compgen -e); do case $v in PPROF_*) unset "$v" ;; esac; done # (d): none set
CC=${CC:-cc}
T=2 N=${HEAP_PAIRS:-16000000}
LIB=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# name:library:Debian package. Linked --no-as-needed (heap.c names none of its symbols), so
# it comes before libc and the wrappers' RTLD_NEXT finds it.
ALLOCS="glibc:-:libc6 jemalloc:libjemalloc.so.2:libjemalloc-dev
        tcmalloc:libtcmalloc_minimal.so.4:libgoogle-perftools-dev mimalloc:libmimalloc.so.2:libmimalloc-dev"
have=" "
for e in $ALLOCS; do
    IFS=: read -r a so pkg <<<"$e"
    link=""
    if [ "$so" != - ]; then
        [ -e $LIB/$so ] || continue
        link="-Wl,--no-as-needed -l:$so -Wl,--as-needed"
    fi
    $CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread bench/heap.c -o $B/bheap_plain_$a $link
    $CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread -DBENCH_WRAP bench/heap.c -o $B/bheap_wrap_$a $link
    have="$have$a "
done

ns() { "$@" | awk '/ns_per_pair/ {print $2}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { echo "$1 $2" | awk '{print $1/$2}'; }
row() { # label ns base [decimals target]: a line of the table; "missed" past the target
    local x
    x=$(ratio "$2" "$3")
    if [ $# -lt 4 ]; then printf "    %-44s %7.1f ns   %.2fx\n" "$1" "$2" "$x"; return; fi
    printf "    %-44s %7.1f ns   %.*fx   (target <= %sx)%s\n" "$1" "$2" "$4" "$x" "$5" \
        "$(echo "$x $5" | awk '$1 > $2 {print "   missed"}')"
}

declare -A run # "<allocator> <a|b|d>": that configuration's times, one per round
for i in 1 2 3 4 5 6 7; do
    for a in $have; do
        run[$a a]+=" $(ns $B/bheap_plain_$a $T $N)"
        run[$a b]+=" $(ns $B/bheap_wrap_$a $T $N)"
        run[$a d]+=" $(ns env LD_PRELOAD=$PWD/$B/libpprof.so $B/bheap_plain_$a $T $N)"
    done
done
declare -A alone # (a)'s median per allocator, the anchors' base
echo "heap churn, $T threads x $N pairs, medians of 7 alternating runs (ns per malloc+free pair):"
for e in $ALLOCS; do
    IFS=: read -r a so pkg <<<"$e"
    case "$have" in *" $a "*) ;; *) echo "  $a: $LIB/$so not installed (apt-get install $pkg)"; continue ;; esac
    ma=$(echo ${run[$a a]} | median) mb=$(echo ${run[$a b]} | median) md=$(echo ${run[$a d]} | median)
    alone[$a]=$ma
    mc=$(ns $B/bheap_wrap_$a $T $((N / 10)) 1) # one run: it is the slow one
    [ "$so" = - ] && echo "  glibc malloc" || echo "  $a ($so, linked)"
    row "(a) alone" "$ma" "$ma"
    row "(b) PPROF_WRAP_MALLOC, rate 512 KiB" "$mb" "$ma" 3 1.10
    row "(c) PPROF_WRAP_MALLOC, rate 1 (all)" "$mc" "$ma"
    row "(d) LD_PRELOAD=libpprof.so, no PPROF_*" "$md" "$ma" 3 1.005
done

anchor() { # label base env... -- command: one run, to base (its allocator alone)
    local label=$1 base=$2; shift 2
    local v
    v=$(env "$@" 2>/dev/null | awk '/ns_per_pair/ {print $2}') || true
    if [ -n "$v" ]; then
        row "$label" "$v" "$base"
    else
        printf "    %-44s (failed)\n" "$label"
    fi
}
echo "  anchors, one run each, to their allocator alone (a):"
if [ -e $LIB/libtcmalloc.so.4 ] && [ -n "${alone[tcmalloc]:-}" ]; then
    anchor "tcmalloc + 512 KiB heap sampling" ${alone[tcmalloc]} LD_PRELOAD=$LIB/libtcmalloc.so.4 TCMALLOC_SAMPLE_PARAMETER=524288 $B/bheap_plain_glibc $T $N
    anchor "gperftools HEAPPROFILE (records all)" ${alone[tcmalloc]} LD_PRELOAD=$LIB/libtcmalloc.so.4 HEAPPROFILE=/tmp/pprof-bench-hp $B/bheap_plain_glibc $T $((N / 100))
    rm -f /tmp/pprof-bench-hp*
else
    echo "    (tcmalloc: not installed; apt-get install libgoogle-perftools-dev)"
fi
if [ -n "${alone[jemalloc]:-}" ]; then
    if MALLOC_CONF=prof:true $B/bheap_plain_jemalloc 1 1000 2>&1 | grep -q Invalid; then
        echo "    (jemalloc prof: this jemalloc is built without profiling)"
    else
        anchor "jemalloc + prof:true, 512 KiB" ${alone[jemalloc]} MALLOC_CONF=prof:true,lg_prof_sample:19 $B/bheap_plain_jemalloc $T $N
    fi
fi
if command -v heaptrack >/dev/null; then
    v=$(heaptrack -o /tmp/pprof-bench-ht $B/bheap_plain_glibc $T $((N / 10)) 2>/dev/null | awk '/ns_per_pair/ {print $2}') || true
    rm -f /tmp/pprof-bench-ht*
    [ -n "$v" ] && row "heaptrack over glibc (records all)" "$v" "${alone[glibc]}"
else
    echo "    (heaptrack: not installed; apt-get install heaptrack)"
fi
