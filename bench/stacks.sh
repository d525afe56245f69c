#!/usr/bin/env bash
# make bench (or bench/stacks.sh alone): pprof.h's stacks and overhead on Debian's own
# programs under LD_PRELOAD=build/libpprof.so. For each program, in one run with perf
# --call-graph dwarf sampling it too (tests/realstacks.py): the share of stacks whole to
# the outermost frame, frames that are not code, median depth against perf's, and whether
# the hottest functions' callers agree. Then the CPU time of the program unprofiled and
# under pprof.h at 100 and 1000 Hz, 5 alternating rounds, medians. Programs not installed
# are listed and skipped. About 10 minutes; "bench/stacks.sh overhead" runs the second part.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
make -s "$B/libpprof.so" || exit 1
export LIBPPROF=$B/libpprof.so
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 -c 'import random; random.seed(7); open("'"$T"'/words", "w").write(" ".join(
    random.choice(["alpha", "beta", "gamma", "delta", "%d" % random.randrange(10**6)])
    for _ in range(4000000)))'
cat > "$T/work.pl" <<'PL'
my %h; my $s = "";
for my $i (1 .. 6000000) { my $k = "k" . ($i % 50000); $h{$k} .= "x"; $s .= $k if $i % 3 == 0; }
my $n = () = $s =~ /k1\d+/g; print STDERR "$n\n";
PL
cat > "$T/work.lua" <<'LUA'
local t = {}
for i = 1, 12000000 do t[i % 100000 + 1] = (t[i % 100000 + 1] or 0) + i * 0.5 end
local s = {} for i = 1, 200000 do s[#s + 1] = tostring(i) end
table.sort(s) print(#s)
LUA
cat > "$T/work.js" <<'JS'
let m = new Map(); let s = 0;
for (let i = 0; i < 3e6; i++) { const k = 'k' + (i % 100000); m.set(k, (m.get(k) || 0) + 1); s += k.length; }
const a = Array.from(m.keys()).sort(); console.log(s, a.length);
JS
head -c 6000000 "$T/words" > "$T/words1"
cat > "$T/work.sql" <<'SQL'
create table t(a, b);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 800000)
  insert into t select x, hex(randomblob(16)) from c;
create index i on t(b);
select count(*) from t where b like '%ab%';
SQL
cat > "$T/work.py" <<'PY'
import json, time
d = [{"id": i, "name": "item%d" % i, "tags": ["a", "b", str(i)], "v": i * 0.5} for i in range(20000)]
t = time.process_time()
while time.process_time() - t < 2.5:
    json.loads(json.dumps(d))
PY
progs=(
    "xz|xz -6 -T1 -c $T/words1"
    "bzip2|bzip2 -9 -c $T/words"
    "zstd|zstd -19 -T1 -c $T/words"
    "perl|perl $T/work.pl"
    "openssl|openssl dgst -sha256 $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words $T/words"
    "lua5.4|lua5.4 $T/work.lua"
    "clang++|clang++ -std=c++17 -O2 -c tests/heap_cxx.cpp -o $T/x.o"
    "node|node $T/work.js"
    "pigz|pigz -9 -p 2 -c $T/words"
    "python3|/usr/bin/python3 $T/work.py"
    "sqlite3|sqlite3 -init $T/work.sql :memory: .quit"
    "gzip|gzip -9 -c $T/words"
)
missing=""
[ "${1:-}" = overhead ] || echo "== stacks: Debian's programs under LD_PRELOAD=$B/libpprof.so at 1000 Hz, perf --call-graph dwarf on the same run"
[ "${1:-}" = overhead ] || for p in "${progs[@]}"; do
    name=${p%%|*}
    cmd=${p#*|}
    bin=${cmd%% *}
    command -v "$bin" >/dev/null || { missing="$missing $name"; continue; }
    # shellcheck disable=SC2086
    python3 tests/realstacks.py "$name" -- $cmd 2>&1 | grep -v ': perf unwound too little'
done
[ -n "$missing" ] && echo "   not installed:$missing"

echo "== overhead: CPU time (user + system) under pprof.h vs unprofiled, 5 alternating rounds, medians"
for p in "${progs[@]}"; do
    name=${p%%|*}
    cmd=${p#*|}
    bin=${cmd%% *}
    command -v "$bin" >/dev/null || continue
    # shellcheck disable=SC2086
    python3 - "$name" "$PWD/$B/libpprof.so" "$T/p.pb.gz" $cmd <<'PY'
import os, resource, statistics, subprocess, sys
name, lib, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def run(hz):
    env = dict(os.environ)
    if hz:
        env.update(LD_PRELOAD=lib, PPROF_CPU=out, PPROF_CPU_HZ=str(hz))
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
t = {0: [], 100: [], 1000: []}
for _ in range(5):
    for hz in (0, 100, 1000):
        t[hz].append(run(hz))
b = statistics.median(t[0])
print("   %-9s unprofiled %6.2f CPU-s   100 Hz %+5.1f%%   1000 Hz %+5.1f%%" % (name, b,
      100 * (statistics.median(t[100]) / b - 1), 100 * (statistics.median(t[1000]) / b - 1)))
PY
done
