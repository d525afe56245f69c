#!/usr/bin/env bash
# Issue 15: the heap profile over every allocator. tests/alloc/sites.c (C) and sites.cpp (C++)
# allocate from call sites whose truth they count themselves, over glibc, jemalloc, tcmalloc
# and mimalloc, each in three ways: the program built with pprof.h and PPROF_WRAP_MALLOC and
# linked with the allocator ("header"); built without pprof.h and run under
# LD_PRELOAD="libpprof.so <allocator>" ("preload"); linked with the allocator and run under
# LD_PRELOAD=libpprof.so ("linked"). Each way, per call site and per value (alloc and inuse,
# objects and bytes): exact at rate 1; at 512 KiB (and 16 KiB over glibc) within 4 standard
# deviations of Go's sampling estimate (the program prints them; a miss is measured again,
# up to 3 runs, never a wider bound); the program exits 0, prints what it prints without
# the profiler, its memory comes from that allocator (the allocator's own statistics), and
# go tool pprof reads the profile. One PASS/FAIL/SKIP line per test, then "END".
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
mkdir -p "$B/alloc" && D=$(cd "$B/alloc" && pwd) || exit 1
rm -rf "${D:?}"/*
. tests/lib.sh
if ! make -s "$B/libpprof.so" "$B/pbdump" B="$B" >"$D/make.log" 2>&1; then
    fail alloc_build "$(head -5 "$D/make.log")"
    finish
fi
L=$(cd "$B" && pwd)/libpprof.so
GO=$(command -v go || true)
LIBDIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# allocator: link flag, library to preload, Debian package
declare -A LINK=([glibc]="" [jemalloc]=-ljemalloc [tcmalloc]=-ltcmalloc_minimal [mimalloc]=-lmimalloc)
declare -A SO=([jemalloc]=libjemalloc.so.2 [tcmalloc]=libtcmalloc_minimal.so.4 [mimalloc]=libmimalloc.so.2)
declare -A PKG=([jemalloc]=libjemalloc-dev [tcmalloc]=libgoogle-perftools-dev [mimalloc]=libmimalloc-dev)

# --- builds, in parallel: NAME = LANG_ALLOC_KIND (kind: plain, linked, header)
build() { # name source flags...
    local name=$1 src=$2; shift 2
    case $src in *.cpp) set -- c++ -std=c++17 "$src" "$@" ;; *) set -- cc -std=c11 "$src" "$@" ;; esac
    "$@" -O2 -g -Wall -Wextra -fno-omit-frame-pointer -pthread -o "$D/$name" -ldl -lm \
        >"$D/$name.build" 2>&1 || rm -f "$D/$name"
}
for lang in c cpp; do
    src=tests/alloc/sites.c; [ $lang = cpp ] && src=tests/alloc/sites.cpp
    build ${lang}_plain $src &
    for a in glibc jemalloc tcmalloc mimalloc; do
        l="-Wl,--no-as-needed ${LINK[$a]} -Wl,--as-needed"
        [ $a = glibc ] && l=""
        [ $a != glibc ] && build ${lang}_${a}_linked $src $l &
        build ${lang}_${a}_header $src -I. -DUSE_HEADER $l &
    done
done
wait

# the four values of every site in profile $2 against the truth in output $1: exact when
# the program says its deviation is 0 (rate 1), else within 4 of them. Prints the misses.
compare() {
    local sites
    sites=$(awk '$1 == "site" {print $2}' "$1" | paste -sd, -)
    [ -n "$sites" ] || { echo "the program printed no site"; return 1; }
    "$B/pbdump" -cum="$sites" "$2" > "$2.cum" 2>&1 || { echo "pbdump: $(head -c 300 "$2.cum")"; return 1; }
    awk 'NR == FNR { if ($1 == "site") for (i = 0; i < 4; i++) { t[$2, i] = $(3 + i); sd[$2, i] = $(7 + i) } next }
         { split("alloc_objects alloc_space inuse_objects inuse_space", col, " ")
           for (i = 0; i < 4; i++) {
               v = $(2 + i); d = v - t[$1, i]; if (d < 0) d = -d
               lim = sd[$1, i] == 0 ? 0 : 4 * sd[$1, i] + 1
               if (d > lim) { printf "%s %s %d, truth %d (%.1f sd);", $1, col[i + 1], v, t[$1, i],
                                     sd[$1, i] ? (v - t[$1, i]) / sd[$1, i] : 0; bad = 1 }
           } }
         END { exit bad }' "$1" "$2.cum"
}

# one run: NAME BINARY RATE PRELOAD -> $D/NAME.{out,err,pb.gz}; prints what is wrong
one() {
    local n=$1 bin=$2 rate=$3 pre=$4 rc bad=""
    rm -f "$D/$n.pb.gz"
    if [ -n "$pre" ]; then
        timeout 120 env LD_PRELOAD="$pre" SITES_RATE=$rate PPROF_HEAP=1 PPROF_HEAP_RATE=$rate \
            PPROF_HEAP_PROFILE="$D/$n.pb.gz" "$D/$bin" >"$D/$n.out" 2>"$D/$n.err"
    else
        timeout 120 env SITES_RATE=$rate PPROF_HEAP_PROFILE="$D/$n.pb.gz" "$D/$bin" >"$D/$n.out" 2>"$D/$n.err"
    fi
    rc=$?
    [ $rc = 0 ] || bad="$bad exit $rc (139: SIGSEGV, 134: abort), stderr: $(head -c 300 "$D/$n.err");"
    [ -s "$D/$n.err" ] && [ $rc = 0 ] && bad="$bad stderr: $(head -c 300 "$D/$n.err");"
    grep -q "^allocator $want_alloc owns the memory\$" "$D/$n.out" ||
        bad="$bad $(grep '^allocator' "$D/$n.out" || echo 'no allocator line') (want $want_alloc);"
    [ "$(grep -v '^site ' "$D/$n.out")" = "$(grep -v '^site ' "$D/$T.alone")" ] ||
        bad="$bad output differs from the run without the profiler;"
    [ -z "$bad" ] && ! why=$(compare "$D/$n.out" "$D/$n.pb.gz") && bad="$bad $why"
    echo "$bad"
}
# a test: NAME BINARY RATE PRELOAD [tries]
check() {
    local n=$1 bin=$2 rate=$3 pre=$4 tries=${5:-1} k bad
    for k in $(seq "$tries"); do
        bad=$(one "$n" "$bin" "$rate" "$pre")
        [ -z "$bad" ] && break
    done
    if [ -n "$bad" ]; then fail "$n" "$bad"; return 1; fi
    pass "$n"
}
# go tool pprof reads profile $2 of binary $1
go_reads() {
    [ -n "$GO" ] || { skip "$3" "go not found (Debian package golang-go)"; return; }
    if HOME=${HOME:-/tmp} timeout 120 go tool pprof -top "$1" "$2" >"$2.go" 2>&1 && grep -q 'site_' "$2.go"; then
        pass "$3"
    else
        fail "$3" "$(head -c 400 "$2.go")"
    fi
}

for a in glibc jemalloc tcmalloc mimalloc; do
    want_alloc=$a
    if [ $a != glibc ] && { [ "$(cc -print-file-name=${SO[$a]%%.so*}.so)" = "${SO[$a]%%.so*}.so" ] ||
                            [ ! -e "$LIBDIR/${SO[$a]}" ]; }; then
        for lang in c cpp; do for kind in header preload linked; do
            skip alloc_${a}_${kind}_${lang} "${SO[$a]} not found (Debian package ${PKG[$a]})"
        done; done
        continue
    fi
    for lang in c cpp; do
        for kind in header preload linked; do
            [ $a = glibc ] && [ $kind = preload ] && continue # (glibc: "linked" is libpprof.so alone)
            case $kind in
                header) bin=${lang}_${a}_header pre="" ;;
                preload) bin=${lang}_plain pre="$L $LIBDIR/${SO[$a]}" ;;
                linked) bin=${lang}_${a}_linked pre="$L"; [ $a = glibc ] && bin=${lang}_plain ;;
            esac
            T=alloc_${a}_${kind}_${lang}
            if [ ! -x "$D/$bin" ]; then fail ${T}_build "$(head -c 600 "$D/$bin.build")"; continue; fi
            # the output alone: no profiler (the allocator still preloaded), or the header
            # build with sampling off
            case $kind in
                header) SITES_RATE=0 PPROF_HEAP_PROFILE=/dev/null "$D/$bin" > "$D/$T.alone" 2>&1 ;;
                preload) LD_PRELOAD="$LIBDIR/${SO[$a]}" SITES_RATE=1 "$D/$bin" > "$D/$T.alone" 2>&1 ;;
                linked) SITES_RATE=1 "$D/$bin" > "$D/$T.alone" 2>&1 ;;
            esac
            check ${T}_exact_at_rate_1 "$bin" 1 "$pre"
            check ${T}_within_sampling_error_at_512k "$bin" 524288 "$pre" 3 &&
                [ $kind != preload ] && go_reads "$D/$bin" "$D/${T}_within_sampling_error_at_512k.pb.gz" ${T}_go_tool_pprof_reads
            [ $a = glibc ] && check ${T}_within_sampling_error_at_16k "$bin" 16384 "$pre" 3
        done
    done
done
finish
