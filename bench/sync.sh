#!/usr/bin/env bash
# make bench, pthread part: an uncontended mutex lock/unlock pair without the wrappers, with
# PPROF_WRAP_PTHREAD and profiling off, with mutex fraction 1, and with fraction 1 plus block
# rate 1 (9 alternating runs, medians); then thread-dump latency (best of 5) at 50 and 500
# threads.
set -eu
cd "$(dirname "$0")/.."
B=build
mkdir -p $B
CC=${CC:-cc}
$CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread bench/sync.c -o $B/bsync_plain
$CC -std=c11 -O2 -g -fno-omit-frame-pointer -pthread -DBENCH_WRAP bench/sync.c -o $B/bsync_wrap
N=${SYNC_PAIRS:-20000000}
ns() { "$@" | awk '/ns_per_pair/ {print $2}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
a="" b="" c="" d=""
for i in 1 2 3 4 5 6 7 8 9; do
    a="$a $(ns $B/bsync_plain pairs $N)"
    b="$b $(ns $B/bsync_wrap pairs $N)"
    c="$c $(ns $B/bsync_wrap pairs $N 1)"
    d="$d $(ns $B/bsync_wrap pairs $N 1 1)"
done
ma=$(echo $a | median) mb=$(echo $b | median) mc=$(echo $c | median) md=$(echo $d | median)
echo "uncontended pthread_mutex lock+unlock, $N pairs, medians of 9 alternating runs:"
printf "  %-46s %6.2f ns   1.00x\n" "glibc, no wrappers" "$ma"
printf "  %-46s %6.2f ns   %.2fx   (target <= 1.2x)\n" "PPROF_WRAP_PTHREAD, profiling off" "$mb" "$(echo "$mb $ma" | awk '{print $1/$2}')"
printf "  %-46s %6.2f ns   %.2fx   (target <= 1.3x)\n" "PPROF_WRAP_PTHREAD, mutex fraction 1" "$mc" "$(echo "$mc $ma" | awk '{print $1/$2}')"
printf "  %-46s %6.2f ns   %.2fx\n" "PPROF_WRAP_PTHREAD, fraction 1 + block rate 1" "$md" "$(echo "$md $ma" | awk '{print $1/$2}')"
for n in 50 500; do
    printf "  thread dump (goroutine?debug=2), %3d threads: %s ms (best of 5)\n" $n "$($B/bsync_wrap dump $n | awk '/dump_ms/ {print $2}')"
done
