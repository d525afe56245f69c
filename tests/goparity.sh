#!/usr/bin/env bash
# Issue 17: pprof.h's HTTP answers against Go's own net/http/pprof, request for request.
# tests/goparity/server.go (Go 1.x standard library, net/http/pprof) and tests/goparity/server.c
# (pprof.h, pprof_listen) run side by side with the same workload (a spinning thread, waits on
# a channel/condition variable, a contended mutex, live allocations; block and mutex profiles
# at rate 1); tests/goparity/compare.py sends each request to both over raw sockets and compares
# the status line; Content-Type, Content-Disposition, X-Content-Type-Options, X-Go-Pprof,
# Location, Connection; that Date is there; the framing (length, chunked, none); whether the
# connection stays open; and the body: exact for errors, redirects and symbol, the profile's
# period and sample types as `go tool pprof -raw` reads them, the header lines of debug=1/2
# text, the index's table. Cases: every endpoint and its bad parameters, every method, form
# bodies and their precedence over the query, path cleaning, kept and closed connections,
# HTTP/1.0, the index's counts against the profiles, the 1-second windows.
# One line per case: `same  <case>`, `known <case>: <deviation>` (pprof.h's recorded
# deviations, listed in compare.py's KNOWN with their reasons) or `DIFF  <case>: go=… pprof.h=…`;
# then each difference once (`diff: … [cases]`), a count line, tests/all.sh's result line `PASS|FAIL|SKIP  goparity_same_as_go_net_http_pprof` and END.
# Exits 1 if any DIFF. Without go: SKIP (a FAIL under PPROF_TEST_STRICT=1, as in CI).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
T=goparity_same_as_go_net_http_pprof
mkdir -p "$B/goparity" && D=$(cd "$B/goparity" && pwd) || exit 1
rm -rf "${D:?}"/*
. tests/lib.sh

if ! command -v go >/dev/null; then
    echo "*** goparity: SKIPPED, \`go\` not found: pprof.h is not compared with Go's net/http/pprof ***" >&2
    skip $T "go not found (Debian package golang-go): pprof.h's HTTP answers are not compared with Go's"
    finish
fi
if ! command -v python3 >/dev/null; then
    echo "*** goparity: SKIPPED, python3 not found ***" >&2
    skip $T "python3 not found (Debian package python3)"
    finish
fi

start=$(date +%s)
mkdir -p "$D/go" "$D/c" "$D/work"
# the two builds at once; Go's from the standard library only, its caches in $D
(cd tests/goparity && env GO111MODULE=off GOFLAGS= GOCACHE="$D/gocache" GOPATH="$D/gopath" HOME="$D" \
    timeout 240 go build -o "$D/go/server" server.go) >"$D/go.build" 2>&1 &
gb=$!
cc -std=c11 -O2 -g -Wall -Wextra -Werror -fno-omit-frame-pointer -pthread tests/goparity/server.c \
    -o "$D/c/server" >"$D/c.build" 2>&1
cb=$?
wait $gb; gb=$?
if [ $gb != 0 ] || [ $cb != 0 ]; then
    fail $T "build failed: go: $(head -c 600 "$D/go.build") cc: $(head -c 600 "$D/c.build")"
    finish
fi

# both servers on free ports, killed on exit; each prints "listening PORT" first
pids=""
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done' EXIT
(cd "$D/go" && exec ./server 0 >"$D/go.out" 2>"$D/go.err") &
pids="$pids $!"
(cd "$D/c" && exec ./server 0 >"$D/c.out" 2>"$D/c.err") &
pids="$pids $!"
gport="" cport=""
for _ in $(seq 100); do
    gport=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$D/go.out" 2>/dev/null)
    cport=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$D/c.out" 2>/dev/null)
    [ -n "$gport" ] && [ -n "$cport" ] && break
    sleep 0.1
done
if [ -z "$gport" ] || [ -z "$cport" ]; then
    fail $T "a server did not start: go '$(cat "$D/go.out" "$D/go.err")' pprof.h '$(cat "$D/c.out" "$D/c.err")'"
    finish
fi
sleep 0.5 # the workloads make their first records

HOME="$D" timeout 150 python3 tests/goparity/compare.py "$gport" "$cport" "$D/work" | tee "$D/compare.out"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))
diffs=$(grep -c '^DIFF  ' "$D/compare.out")
if [ "$rc" = 0 ] && [ "$diffs" = 0 ] && grep -q ' same, .* known, 0 DIFF' "$D/compare.out"; then
    pass "$T ($(tail -1 "$D/compare.out"); ${secs} s in all)"
    echo END
    exit 0
fi
if [ "$diffs" = 0 ]; then
    fail $T "compare.py exited $rc before its summary (${secs} s): $(tail -5 "$D/compare.out")"
else
    fail $T "$diffs DIFF (${secs} s; all in $D/compare.out): $(sed -n 's/^diff: //p' "$D/compare.out" | tr '\n' ' ' | head -c 1300)"
fi
echo END
exit 1
