#!/usr/bin/env bash
# make bench: builds bench/bench.c at -O2 and prints ratios measured side by side.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build
if [ -e /usr/include/zlib.h ]; then z="-DPRD_USE_ZLIB -lz"; else z=""; fi # Go's profiles are deflated
${CC:-cc} -std=c11 -O2 -g -fno-omit-frame-pointer -pthread bench/bench.c -o build/bench -ldl -lm $z
# the same CPU work in Go under runtime/pprof, for the Go column
if command -v go >/dev/null; then
    HOME=${HOME:-/tmp} go build -o build/gocpu bench/gocpu/main.go && echo "Go column: $(go version)" || rm -f build/gocpu
fi
echo "pprof.h bench on $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)"
case "${1:-}" in heap|sync|stacks) ;; *) build/bench "$@" ;; esac
if [ $# -eq 0 ] || [ "$1" = heap ]; then bench/heap.sh; fi
if [ $# -eq 0 ] || [ "$1" = sync ]; then bench/sync.sh; fi
if [ $# -eq 0 ] || [ "$1" = stacks ]; then bench/stacks.sh; fi
