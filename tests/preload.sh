#!/usr/bin/env bash
# build/libpprof.so (tools/libpprof.c) under LD_PRELOAD on programs nobody here wrote:
# Debian's python3, sqlite3 and gzip, sh, echo, sleep. One PASS/FAIL/SKIP line per test
# (tests/all.sh counts them), then "END". B names the build directory (default build).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
mkdir -p "$B/preload" && D=$(cd "$B/preload" && pwd) && rm -rf "${D:?}"/*
. tests/lib.sh

if ! make -s "$B/libpprof.so" "$B/pbdump" B="$B" >"$D/make.log" 2>&1; then
    fail preload_build "$(head -5 "$D/make.log")"
    finish
fi
L=$(cd "$B" && pwd)/libpprof.so
# the port a process announced on stderr ("pprof.h: pid N serves /debug/pprof/ on port P")
wait_port() {
    local p="" i
    for i in $(seq 100); do
        p=$(sed -n 's/.*serves \/debug\/pprof\/ on port \([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1)
        [ -n "$p" ] && break
        sleep 0.05
    done
    echo "$p"
}

# Debian's python3, not a wrapper script (a pyenv shim would be the profiled process)
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3 || true)

# --- no variable: no thread, no file, no output, the environment untouched (a token alone
# asks for nothing)
mkdir -p "$D/noenv"
out=$(cd "$D/noenv" && env -u PPROF_LISTEN -u PPROF_CPU -u PPROF_HEAP -u PPROF_HEAP_PROFILE \
      -u PPROF_MUTEX_FRACTION -u PPROF_BLOCK_RATE PPROF_TOKEN=t LD_PRELOAD="$L" \
      bash -c 'ls /proc/$$/task | wc -l; env | grep -c "^PPROF_TOKEN=t$"' 2>"$D/noenv.err")
rc=$?
if [ $rc = 0 ] && [ "$(echo $out)" = "1 1" ] && [ ! -s "$D/noenv.err" ] && [ -z "$(ls "$D/noenv")" ]; then
    pass preload_no_variables_does_nothing
else
    fail preload_no_variables_does_nothing "exit $rc, out '$out' (want 1 thread, token kept), err $(cat "$D/noenv.err"), files $(ls "$D/noenv")"
fi

# --- bad values: warnings with the pprof.h: prefix, the program runs and exits 0
out=$(LD_PRELOAD="$L" PPROF_LISTEN=nonsense PPROF_CPU=$D/no/such/dir/cpu.pb.gz PPROF_CPU_HZ=abc \
      PPROF_HEAP=maybe PPROF_HEAP_RATE=-5 PPROF_BLOCK_RATE=x /bin/echo ran 2>"$D/bad.err")
rc=$?
nwarn=$(grep -c '^pprof\.h: ' "$D/bad.err")
if [ $rc = 0 ] && [ "$out" = ran ] && grep -q '^pprof.h: PPROF_LISTEN=nonsense: bad listen address' "$D/bad.err" &&
   grep -q '^pprof.h: PPROF_CPU=.*No such file' "$D/bad.err" && grep -q 'PPROF_HEAP=maybe' "$D/bad.err" &&
   grep -q 'PPROF_BLOCK_RATE=x' "$D/bad.err" && [ "$nwarn" = "$(wc -l < "$D/bad.err")" ]; then
    pass preload_bad_values_warn_and_run
else
    fail preload_bad_values_warn_and_run "exit $rc, out '$out', stderr: $(cat "$D/bad.err")"
fi

# --- a listen address in use (held by `sleep` under the library): a warning, the program runs
LD_PRELOAD="$L" PPROF_LISTEN=0 sleep 20 2>"$D/sleep.err" &
spid=$!
port=$(wait_port "$D/sleep.err")
out=$(LD_PRELOAD="$L" PPROF_LISTEN="127.0.0.1:${port:-1}" /bin/echo ran 2>"$D/inuse.err")
rc=$?
http_get "${port:-1}" cmdline "$D/sleep.cmdline"
cmdline=$(tr '\0' ' ' < "$D/sleep.cmdline" 2>/dev/null)
kill $spid 2>/dev/null; wait $spid 2>/dev/null
if [ -n "$port" ] && [ $rc = 0 ] && [ "$out" = ran ] && [ "$cmdline" = "sleep 20" ] &&
   grep -q "^pprof.h: PPROF_LISTEN=127.0.0.1:$port: the listen address is already in use" "$D/inuse.err"; then
    pass preload_listen_in_use_warns
else
    fail preload_listen_in_use_warns "port '$port' exit $rc out '$out' cmdline '$cmdline' stderr: $(cat "$D/sleep.err" "$D/inuse.err")"
fi

# --- children: only the process started with the variables profiles (they leave its
# environment), unless PPROF_CHILDREN=1: then every process writes path.<pid>. (bash, not
# dash: dash ends with _exit, which writes nothing.)
kids='env | grep -c "^PPROF_CPU="; /bin/echo b >/dev/null; exit 0'
out1=$(LD_PRELOAD="$L" PPROF_CPU=$D/sh.pb.gz bash -c "$kids" 2>"$D/sh.err")
rc1=$?
out2=$(LD_PRELOAD="$L" PPROF_CHILDREN=1 PPROF_CPU=$D/shc.pb.gz bash -c "$kids" 2>"$D/shc.err")
rc2=$?
n1=$(ls "$D" | grep -c '^sh\.pb\.gz')
n2=$(ls "$D" | grep -c '^shc\.pb\.gz\.[0-9]*$')
bad=""
for f in "$D/sh.pb.gz" "$D"/shc.pb.gz.*; do
    top "$f" | grep -q 'Type: cpu' || bad="$bad $f"
done
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$out1" = 0 ] && [ "$out2" = 1 ] && [ "$n1" = 1 ] &&
   [ "$n2" = 4 ] && [ ! -e "$D/shc.pb.gz" ] && [ -z "$bad" ] && [ ! -s "$D/sh.err" ] && [ ! -s "$D/shc.err" ]; then
    pass preload_children_only_with_PPROF_CHILDREN
else
    fail preload_children_only_with_PPROF_CHILDREN "exits $rc1 $rc2, children saw PPROF_CPU $out1 and $out2 times (want 0, 1), files $n1 (want 1) and $n2 (want 4: bash, env, grep, echo), unreadable:$bad; $(cat "$D/sh.err" "$D/shc.err")"
fi

# --- gzip on generated data: the CPU total matches the CPU the shell measured
if ! command -v gzip >/dev/null; then
    skip preload_gzip_cpu_total "gzip not found (Debian package gzip)"
else
    seq 1 600000 | awk '{ print $1, $1 * 7919 % 100003, "line" $1 % 97 }' > "$D/data.txt"
    TIMEFORMAT='%U %S'
    t=$( { time LD_PRELOAD="$L" PPROF_CPU=$D/gzip.pb.gz gzip -9 -c "$D/data.txt" > "$D/data.gz" 2>"$D/gzip.err"; } 2>&1 )
    used=$(echo "$t" | awk '{ print $1 + $2 }')
    got=$(top "$D/gzip.pb.gz" | total)
    if [ -s "$D/data.gz" ] && [ ! -s "$D/gzip.err" ] && top "$D/gzip.pb.gz" | grep -q 'File: .*gzip' &&
       awk -v g="${got:-0}" -v u="$used" 'BEGIN { exit !(u > 0.3 && g > 0.8 * u && g < 1.15 * u + 0.05) }'; then
        pass "preload_gzip_cpu_total (${got}s sampled, ${used}s used)"
    else
        fail preload_gzip_cpu_total "${got}s sampled, ${used}s used; $(cat "$D/gzip.err"; top "$D/gzip.pb.gz" | head -12)"
    fi
fi

# --- a C++ program (cmake), every allocation: operator new and malloc both sampled
if ! command -v cmake >/dev/null; then
    skip preload_cxx_heap "cmake not found (Debian package cmake)"
else
    out=$(LD_PRELOAD="$L" PPROF_HEAP=1 PPROF_HEAP_RATE=1 PPROF_HEAP_PROFILE=$D/cxx_heap.pb.gz \
          cmake -E echo ran 2>"$D/cxx_heap.err")
    rc=$?
    n=$(top -sample_index=alloc_objects "$D/cxx_heap.pb.gz" | total)
    if [ $rc = 0 ] && [ "$out" = ran ] && [ ! -s "$D/cxx_heap.err" ] && [ "${n:-0}" -gt 300 ] 2>/dev/null; then
        pass "preload_cxx_heap ($n allocations)"
    else
        fail preload_cxx_heap "exit $rc, out '$out', $n allocations; $(cat "$D/cxx_heap.err")"
    fi
fi

# --- sqlite3 on 200,000 generated rows at 1000 Hz: sqlite's functions by name
if ! command -v sqlite3 >/dev/null; then
    skip preload_sqlite3_cpu_names "sqlite3 not found (Debian package sqlite3)"
else
    cat > "$D/q.sql" <<'EOF'
CREATE TABLE t(a INTEGER, b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT (x * 7919) % 100003, hex(randomblob(16)) FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(a) FROM (SELECT a, b FROM t ORDER BY b DESC);
SELECT a % 100, count(*) FROM t GROUP BY a % 100 ORDER BY 2 DESC LIMIT 1;
SELECT count(*) FROM t x JOIN t y ON x.b = y.b;
EOF
    out=$(LD_PRELOAD="$L" PPROF_CPU=$D/sqlite.pb.gz PPROF_CPU_HZ=1000 sqlite3 :memory: < "$D/q.sql" 2>"$D/sqlite.err")
    rc=$?
    top "$D/sqlite.pb.gz" > "$D/sqlite.top"
    names=$(grep -oE 'sqlite3[A-Za-z_]+' "$D/sqlite.top" | sort -u | head -6 | tr '\n' ' ')
    if [ $rc = 0 ] && [ "$(echo "$out" | head -1)" = "200000|10000118776" ] && [ ! -s "$D/sqlite.err" ] &&
       grep -q 'Period: 1000000 ' "$D/sqlite.top" && grep -qE 'sqlite3VdbeExec|sqlite3_step' "$D/sqlite.top" &&
       [ "$(echo $names | wc -w)" -ge 3 ]; then
        pass "preload_sqlite3_cpu_names ($names)"
    else
        fail preload_sqlite3_cpu_names "exit $rc, out '$out', $(cat "$D/sqlite.err"; head -20 "$D/sqlite.top")"
    fi
    # every allocation (rate 1): the counts of a run that makes hundreds of thousands
    out=$(LD_PRELOAD="$L" PPROF_HEAP=1 PPROF_HEAP_RATE=1 PPROF_HEAP_PROFILE=$D/sqlite_heap.pb.gz \
          sqlite3 :memory: < "$D/q.sql" 2>"$D/sqlite_heap.err")
    rc=$?
    n=$(top -sample_index=alloc_objects "$D/sqlite_heap.pb.gz" | total)
    if [ $rc = 0 ] && [ ! -s "$D/sqlite_heap.err" ] && [ "${n:-0}" -gt 200000 ] 2>/dev/null; then
        pass "preload_sqlite3_heap_every_allocation ($n allocations)"
    else
        fail preload_sqlite3_heap_every_allocation "exit $rc, $n allocations; $(cat "$D/sqlite_heap.err"; top -sample_index=alloc_objects "$D/sqlite_heap.pb.gz" | head -12)"
    fi
fi

if [ -z "$PY" ]; then
    for t in preload_python_cpu preload_python_listen preload_python_heap preload_python_fork \
             preload_python_exit_in_thread preload_python_sigterm_writes_then_dies; do
        skip $t "python3 not found (Debian package python3)"
    done
    finish
fi

# --- python3 running a pure-Python loop: the interpreter's functions, the CPU it used
cat > "$D/spin.py" <<'EOF'
import time
def spin(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s
t0 = time.process_time()
while time.process_time() - t0 < 1.5:
    spin(100000)
print("%.3f" % time.process_time())
EOF
used=$(LD_PRELOAD="$L" PPROF_CPU=$D/py.pb.gz $PY "$D/spin.py" 2>"$D/py.err")
rc=$?
top "$D/py.pb.gz" > "$D/py.top"
got=$(total < "$D/py.top")
gook=1
if command -v go >/dev/null; then
    HOME=${HOME:-/tmp} go tool pprof -top "$D/py.pb.gz" > "$D/py.gotop" 2>&1 &&
        grep -q '_PyEval_EvalFrameDefault' "$D/py.gotop" || gook=0
fi
if [ $rc = 0 ] && [ ! -s "$D/py.err" ] && grep -q '_PyEval_EvalFrameDefault' "$D/py.top" && [ $gook = 1 ] &&
   awk -v g="${got:-0}" -v u="${used:-0}" 'BEGIN { exit !(u >= 1.5 && g > 0.85 * u && g < 1.15 * u + 0.1) }'; then
    pass "preload_python_cpu (${got}s sampled, ${used}s used; $(grep -oE '_?Py[A-Za-z_]+' "$D/py.top" | head -3 | tr '\n' ' '))"
else
    fail preload_python_cpu "exit $rc, ${got}s sampled, ${used}s used, go $gook; $(cat "$D/py.err"; head -16 "$D/py.top")"
fi

# --- a live python3: the endpoints, its threads, its heap by name, its command line
cat > "$D/hold.py" <<'EOF'
import os, sys, time
keep = []
def grow():
    for i in range(1000):
        keep.append(b"x" * (40000 + i))
grow()
print("ready", flush=True)
for _ in range(600):
    if os.path.exists(sys.argv[1]):
        break
    time.sleep(0.05)
EOF
rm -f "$D/stop"
LD_PRELOAD="$L" PPROF_LISTEN=127.0.0.1:0 PPROF_HEAP=1 $PY "$D/hold.py" "$D/stop" > "$D/hold.out" 2>"$D/hold.err" &
hpid=$!
port=$(wait_port "$D/hold.err")
for _ in $(seq 100); do grep -q ready "$D/hold.out" && break; sleep 0.05; done
bad=""
http_get "${port:-1}" "" "$D/index.html" && grep -q heap "$D/index.html" || bad="$bad index"
http_get "${port:-1}" cmdline "$D/hold.cmdline" && [ "$(tr '\0' ' ' < "$D/hold.cmdline")" = "$PY $D/hold.py $D/stop" ] ||
    bad="$bad cmdline:$(tr '\0' ' ' < "$D/hold.cmdline")"
http_get "${port:-1}" "goroutine?debug=2" "$D/threads.txt" && grep -q "^thread $hpid \[python" "$D/threads.txt" &&
    grep -q 'Py_RunMain' "$D/threads.txt" || bad="$bad goroutine:$(head -c 300 "$D/threads.txt")"
http_get "${port:-1}" heap "$D/hold_heap.pb.gz" || bad="$bad heap"
top -sample_index=inuse_space "$D/hold_heap.pb.gz" > "$D/hold_heap.top"
inuse=$(total < "$D/hold_heap.top")
grep -q PyObject_Malloc "$D/hold_heap.top" || bad="$bad heap-names"
awk -v b="${inuse:-0}" 'BEGIN { exit !(b > 20e6 && b < 80e6) }' || bad="$bad inuse:$inuse"
touch "$D/stop"
wait $hpid
rc=$?
if [ -n "$port" ] && [ $rc = 0 ] && [ -z "$bad" ] && [ "$(wc -l < "$D/hold.err")" = 1 ]; then
    pass "preload_python_listen (threads, cmdline, heap: $(awk -v b="$inuse" 'BEGIN { printf "%.0f", b / 1e6 }') MB in use at PyObject_Malloc)"
else
    fail preload_python_listen "port '$port' exit $rc:$bad; $(cat "$D/hold.err"; head -12 "$D/hold_heap.top")"
fi

# --- every allocation of python3 (rate 1), written at exit: named allocation sites
LD_PRELOAD="$L" PPROF_HEAP=1 PPROF_HEAP_RATE=1 PPROF_HEAP_PROFILE=$D/py_heap.pb.gz \
    $PY -c 'import ctypes, decimal; keep = [b"x" * (40000 + i) for i in range(500)]' 2>"$D/py_heap.err"
rc=$?
top -sample_index=alloc_space "$D/py_heap.pb.gz" > "$D/py_heap.top"
bytes=$(total < "$D/py_heap.top")
names=$(grep -oE '(_?Py|_Py)[A-Za-z_]+' "$D/py_heap.top" | sort -u | head -5 | tr '\n' ' ')
if [ $rc = 0 ] && [ ! -s "$D/py_heap.err" ] && grep -q 'Period: 1 ' "$D/py_heap.top" &&
   grep -q PyObject_Malloc "$D/py_heap.top" && awk -v b="${bytes:-0}" 'BEGIN { exit !(b > 20e6) }'; then
    pass "preload_python_heap ($names)"
else
    fail preload_python_heap "exit $rc, $bytes bytes; $(cat "$D/py_heap.err"; head -14 "$D/py_heap.top")"
fi

# --- a forked child that exits normally writes nothing and leaves the parent's profile whole
LD_PRELOAD="$L" PPROF_CPU=$D/fork.pb.gz PPROF_HEAP_PROFILE=$D/fork_heap.pb.gz $PY -c '
import os, sys
pid = os.fork()
if pid == 0:
    sum(i * i for i in range(200000))
    sys.exit(0)
_, st = os.waitpid(pid, 0)
sum(i * i for i in range(300000))
sys.exit(0 if st == 0 else 1)' 2>"$D/fork.err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$D/fork.err" ] && top "$D/fork.pb.gz" | grep -q 'Type: cpu' &&
   top "$D/fork_heap.pb.gz" | grep -q 'Type: inuse_space' && [ -z "$(ls "$D" | grep -E '^fork.*\.[0-9]+$')" ]; then
    pass preload_python_fork
else
    fail preload_python_fork "exit $rc; $(cat "$D/fork.err"; ls "$D" | grep fork)"
fi

# --- exit() called by a thread other than main: the profile is still written
LD_PRELOAD="$L" PPROF_CPU=$D/thr.pb.gz $PY -c '
import ctypes, threading, time
def work():
    t0 = time.process_time()
    while time.process_time() - t0 < 0.5:
        sum(i * i for i in range(10000))
    ctypes.CDLL(None).exit(0)
threading.Thread(target=work).start()
time.sleep(30)' 2>"$D/thr.err"
rc=$?
got=$(top "$D/thr.pb.gz" | total)
if [ $rc = 0 ] && [ ! -s "$D/thr.err" ] && awk -v g="${got:-0}" 'BEGIN { exit !(g >= 0.4) }'; then
    pass "preload_python_exit_in_thread (${got}s)"
else
    fail preload_python_exit_in_thread "exit $rc, ${got}s; $(cat "$D/thr.err"; top "$D/thr.pb.gz" | head -10)"
fi

# --- SIGTERM (python leaves it at its default): the profiles are written, then the process
# ends by the signal (status 128 + 15); a forked child with the inherited handler still dies
# by SIGTERM at once (it has no profile to write)
LD_PRELOAD="$L" PPROF_CPU=$D/term.pb.gz PPROF_HEAP_PROFILE=$D/term_heap.pb.gz $PY -c '
import os, signal, sys, time
pid = os.fork()
if pid == 0:
    while True:
        pass
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
if not (os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGTERM):
    sys.exit(3)
t0 = time.process_time()
while time.process_time() - t0 < 0.6:
    sum(i * i for i in range(10000))
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(10)
sys.exit(4)' 2>"$D/term.err"
rc=$?
got=$(top "$D/term.pb.gz" | total)
if [ $rc = 143 ] && [ ! -s "$D/term.err" ] && awk -v g="${got:-0}" 'BEGIN { exit !(g >= 0.5) }' &&
   top "$D/term_heap.pb.gz" | grep -q 'Type: inuse_space'; then
    pass "preload_python_sigterm_writes_then_dies (${got}s, status $rc)"
else
    fail preload_python_sigterm_writes_then_dies "exit $rc (want 143), ${got}s; $(cat "$D/term.err"; top "$D/term.pb.gz" | head -8)"
fi
finish
