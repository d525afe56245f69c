#!/usr/bin/env bash
# Other readers of our protobuf profiles (run by tests/all.sh; prints PASS/FAIL/SKIP lines):
# pprof-format, an independent profile.proto decoder from npm, checks the contents of a CPU,
# a heap (with labels) and a goroutine profile; speedscope (npm) imports each in headless
# Chromium (its page title names the file only once the import succeeded; a corrupt file is
# the control). Packages are pinned and installed into $B/npm.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
D="$B/npm"
mkdir -p "$D/www"
for tool in node npm chromium; do
    if ! command -v $tool >/dev/null; then
        echo "SKIP  npm_readers: $tool not found (Debian packages nodejs npm chromium)"
        exit 0
    fi
done
if ! gcc -std=c99 -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Wpedantic -Werror -pthread \
        tests/npm/write_profiles.c -o "$D/write_profiles" 2> "$D/build.err"; then
    echo "FAIL  npm_write_profiles: $(head -3 "$D/build.err")"
    exit 0
fi
if ! "$D/write_profiles" "$D/www" 2> "$D/write.err"; then
    echo "FAIL  npm_write_profiles: $(head -3 "$D/write.err")"
    exit 0
fi
if [ ! -d "$D/node_modules/pprof-format" ] || [ ! -d "$D/node_modules/speedscope" ]; then
    if ! (cd "$D" && timeout 300 npm install --no-audit --no-fund --loglevel=error \
              pprof-format@2.3.2 speedscope@1.25.0 > npm.log 2>&1); then
        echo "FAIL  npm_install: $(tail -3 "$D/npm.log")"
        exit 0
    fi
fi
if out=$(NODE_PATH="$D/node_modules" node tests/npm/check.js "$D/www" 2>&1); then
    echo "PASS  npm_pprof_format_decodes_cpu_heap_goroutine"
else
    echo "FAIL  npm_pprof_format_decodes_cpu_heap_goroutine: $(echo "$out" | head -5 | tr '\n' ' ')"
fi
# speedscope: its release files and the profiles from one local origin
cp -r "$D/node_modules/speedscope/dist/release/." "$D/www/"
head -c 600 /dev/urandom | gzip > "$D/www/corrupt.pb.gz"
rm -f "$D/port"
node tests/npm/serve.js "$D/www" "$D/port" & spid=$!
for _ in $(seq 50); do [ -s "$D/port" ] && break; sleep 0.1; done
port=$(cat "$D/port" 2>/dev/null)
title() { # (the corrupt file's import error is an alert headless never closes: the timeout)
    timeout 15 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 \
        --dump-dom "http://127.0.0.1:$port/index.html#profileURL=/$1" 2>/dev/null |
        grep -o '<title>[^<]*</title>'
}
bad=""
for p in cpu heap goroutine; do
    t=$(title "$p.pb.gz")
    [ "$t" = "<title>$p.pb.gz - speedscope</title>" ] || bad="$bad $p:[$t]"
done
t=$(title corrupt.pb.gz)
case $t in *"corrupt.pb.gz - speedscope"*) bad="$bad control:[$t]" ;; esac
kill $spid 2>/dev/null
if [ -z "$port" ]; then echo "FAIL  npm_speedscope_imports_cpu_heap_goroutine: no server"
elif [ -n "$bad" ]; then echo "FAIL  npm_speedscope_imports_cpu_heap_goroutine:$bad"
else echo "PASS  npm_speedscope_imports_cpu_heap_goroutine"; fi
