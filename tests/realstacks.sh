#!/usr/bin/env bash
# Stacks on programs nobody here wrote, profiled with LD_PRELOAD=libpprof.so at 1000 Hz
# while perf --call-graph dwarf samples the same run (tests/realstacks.py): python3 (json
# in a C extension loaded by dlopen), sqlite3, gzip (stripped) and a C++ program of ours
# built -O2 -fomit-frame-pointer whose time is in libstdc++ and glibc. For each: >= 99% of
# stacks whole, no frame that is not code, the hottest functions' callers as perf has them.
# PASS/FAIL/SKIP lines, then END. About 40 s.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
make -s "$B/libpprof.so" || { echo "FAIL  realstacks_build: make $B/libpprof.so"; echo END; exit 0; }
export LIBPPROF=$B/libpprof.so
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rs() { python3 tests/realstacks.py --check "$@" 2>&1; }

if ! g++ -std=c++17 -O2 -fomit-frame-pointer -g -pthread tests/stacks/cxxwork.cpp -o "$B/cxxwork" 2>"$T/cxx.err"; then
    echo "FAIL  realstacks_cxx_build: $(head -3 "$T/cxx.err" | tr '\n' ' ')"
else
    rs --libs cxx_nofp -- "$B/cxxwork"
fi
cat > "$T/jsonwork.py" <<'PY'
import json, time
d = [{"id": i, "name": "item%d" % i, "tags": ["a", "b", str(i)], "v": i * 0.5} for i in range(20000)]
t = time.process_time()
while time.process_time() - t < 2.5:
    json.loads(json.dumps(d))
PY
if [ -x /usr/bin/python3 ]; then rs python3 -- /usr/bin/python3 "$T/jsonwork.py"
else echo "SKIP  python3_stacks: /usr/bin/python3 not found (Debian package python3)"; fi
if command -v sqlite3 >/dev/null; then
    rs sqlite3 -- sqlite3 :memory: "create table t(a, b); with recursive c(x) as (select 1
        union all select x + 1 from c where x < 800000) insert into t select x, hex(randomblob(16))
        from c; create index i on t(b); select count(*) from t where b like '%ab%';"
else
    echo "SKIP  sqlite3_stacks: sqlite3 not found (Debian package sqlite3)"
fi
python3 -c 'import random; random.seed(7); open("'"$T"'/words", "w").write(" ".join(
    random.choice(["alpha", "beta", "gamma", "delta", "%d" % random.randrange(10**6)])
    for _ in range(3000000)))'
rs gzip -- gzip -9 -c "$T/words"
echo END
