#!/usr/bin/env bash
# make bench: builds bench/bench.c at -O2 and prints ratios measured side by side.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build
${CC:-cc} -std=c11 -O2 -g -fno-omit-frame-pointer -pthread bench/bench.c -o build/bench -ldl -lm
echo "pprof.h bench on $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)"
case "${1:-}" in heap|sync) ;; *) build/bench "$@" ;; esac
if [ $# -eq 0 ] || [ "$1" = heap ]; then bench/heap.sh; fi
if [ $# -eq 0 ] || [ "$1" = sync ]; then bench/sync.sh; fi
