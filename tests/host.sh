#!/usr/bin/env bash
# Issue 14 ("Never hurt the host"): programs built separately (tests/host/) under
# LD_PRELOAD=build/libpprof.so, and a few built with pprof.h itself, doing what ordinary
# programs do to their process: daemons closing descriptors, sigwait servers, SIGTERM during
# exit, a Go program with cgo, resetting signals, GNU sort, pthread_exit in main, chdir, other
# allocators. Every program is also checked for its own behaviour (output, exit status, the
# files it writes) against a run without the profiler or the truth it prints itself.
# One PASS/FAIL/SKIP line per test (tests/all.sh counts them), then "END".
# B names the build directory (default build).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
mkdir -p "$B/host" && D=$(cd "$B/host" && pwd) || exit 1
find "$D" -mindepth 1 -maxdepth 1 ! -name gocache -exec rm -rf {} + # Go's cache is kept
. tests/lib.sh
BG=""  # background runs ({ timeout ...; } &) not yet waited for: killed at exit
cleanup_one() { # timeout leads a process group of its own: the program and its children
    local c
    for c in $(grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3); do
        kill -KILL -- "-$c" 2>/dev/null
    done
    kill -KILL "$1" 2>/dev/null
}
cleanup() { local p; for p in $BG; do cleanup_one "$p"; done; BG=""; }
reap() { wait "$1"; local rc=$? b=" $BG "; BG=${b/ $1 / }; return $rc; } # wait for a background run
trap cleanup EXIT
trap 'exit 1' TERM INT
finish() { cleanup; echo END; exit 0; }

if ! make -s "$B/libpprof.so" "$B/pbdump" B="$B" >"$D/make.log" 2>&1; then
    fail host_build "$(head -5 "$D/make.log")"
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
# wait (at most $3 s, and only while process $4 lives) until file $1 has a line matching
# the regex $2; 1 if it never does
wait_line() {
    local i
    for i in $(seq $(($3 * 100))); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || break
        sleep 0.01
    done
    grep -qE "$2" "$1" 2>/dev/null
}
# run a command with its stderr in file $1; the shell's own "Segmentation fault" or
# "Terminated" report about it is dropped (the exit status says it)
run() { local e=$1; shift; { "$@" 2>"$e"; } 2>/dev/null; }
# stderr $1 holds nothing, or only "pprof.h: " lines and at most $2 of them
quiet_stderr() {
    [ "$(grep -vc '^pprof\.h: ' "$1")" = 0 ] && [ "$(wc -l < "$1")" -le "$2" ]
}
# the profile file $1 is a valid profile of type $2 (pbdump reads it whole)
valid() { top "$1" | grep -q "^Type: $2\$"; }
# what a profile file held, for a FAIL line
what() { echo "$(wc -c 2>/dev/null < "$1" || echo no) bytes, pbdump: $(top "$1" | head -3 | tr '\n' ' ')"; }

# --- the programs, built in parallel. A build that fails is its tests' FAIL line.
CC="cc -O2 -g -Wall -Wextra -pthread"
CXX="c++ -std=c++17 -O2 -g -Wall -Wextra -pthread"
JEMALLOC=1 # libjemalloc-dev: the library to link and the one to preload
[ "$(cc -print-file-name=libjemalloc.so)" != libjemalloc.so ] &&
    ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2 ' || JEMALLOC=0
MIMALLOC=1 # libmimalloc-dev (it defines __libc_malloc too: told from glibc's all the same)
[ "$(cc -print-file-name=libmimalloc.so)" != libmimalloc.so ] || MIMALLOC=0
MDEBUG=1 # glibc's libc_malloc_debug.so.0 (libc6, glibc 2.34 and later)
ldconfig -p 2>/dev/null | grep -q 'libc_malloc_debug\.so\.0 ' || MDEBUG=0
build() { # name command... (output $D/name; log $D/name.build)
    local name=$1; shift
    "$@" -o "$D/$name" >"$D/$name.build" 2>&1 || { rm -f "$D/$name"; echo "exit $?" >> "$D/$name.build"; }
}
built() { [ -x "$D/$1" ]; } # otherwise: fail TEST "$(buildlog NAME)"
buildlog() { echo "build of $1 failed: $(head -c 600 "$D/$1.build")"; }
build daemon $CC tests/host/daemon.c &
build sigwait $CC tests/host/sigwait.c &
build sigwait_h $CC -I. -DUSE_HEADER tests/host/sigwait.c &
build exitterm $CC tests/host/exitterm.c &
build sigreset $CC tests/host/sigreset.c &
build sigprof_own $CC tests/host/sigprof_own.c &
build sigprof_own_h $CC -I. -DUSE_HEADER tests/host/sigprof_own.c &
build sigours $CC tests/host/sigours.c &
build sigmask $CC tests/host/sigmask.c &
build sigmask_h $CC -I. -DUSE_HEADER tests/host/sigmask.c -ldl &
build sigours_h $CC -I. -DUSE_HEADER tests/host/sigours.c -ldl &
wait
build leader $CC tests/host/leader.c &
build leader_h $CC -I. -DUSE_HEADER tests/host/leader.c &
build chdir $CC tests/host/chdir.c &
build allocs $CXX tests/host/allocs.cpp &
build reallocarray $CC tests/host/reallocarray.c &
if [ $JEMALLOC = 1 ]; then
    build allocs_je $CXX tests/host/allocs.cpp -ljemalloc &
    build allocs_je_h $CXX -I. -DUSE_HEADER tests/host/allocs.cpp -ljemalloc &
fi
[ $MIMALLOC = 1 ] && build allocs_mi $CXX tests/host/allocs.cpp -lmimalloc &
wait

# ---------------------------------------------------------------------------------------
# case 2: a daemon closes descriptors 3..1023 at start and opens its log (fd 3 as a rule: the
# number is reported, not asserted, as a profiler thread may hold one for a moment). The log
# holds exactly its 40 lines, every write of the program succeeded, and the CPU profile is
# in its own file with the CPU the program says it used (0.7..1.15x + 0.05 s; up to 3 runs).
T=host_daemon_closes_fds
if ! built daemon; then
    fail $T "$(buildlog daemon)"
else
    for i in $(seq 0 19); do echo "daemon log line $i: starting"; done > "$D/daemon.want"
    for i in $(seq 20 39); do echo "daemon log line $i: done"; done >> "$D/daemon.want"
    for attempt in 1 2 3; do
        rm -f "$D/daemon.log" "$D/daemon_cpu.pb.gz"
        out=$(run "$D/daemon.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU="$D/daemon_cpu.pb.gz" "$D/daemon" log "$D/daemon.log")
        rc=$?
        used=$(echo "$out" | sed -n 's/^cpu //p')
        got=$(top "$D/daemon_cpu.pb.gz" | total)
        bad=""
        [ $rc = 0 ] || bad="$bad exit $rc (2: a write to its log failed);"
        cmp -s "$D/daemon.log" "$D/daemon.want" ||
            bad="$bad the log holds $(wc -c < "$D/daemon.log") bytes, not its $(wc -c < "$D/daemon.want") (after the lines: $(cmp "$D/daemon.log" "$D/daemon.want" 2>&1 | head -1); tail: $(tail -c +"$(($(wc -c < "$D/daemon.want") + 1))" "$D/daemon.log" | head -c 24 | od -An -c | tr -s ' ' | head -2));"
        quiet_stderr "$D/daemon.err" 2 || bad="$bad stderr: $(head -c 300 "$D/daemon.err");"
        valid "$D/daemon_cpu.pb.gz" cpu || bad="$bad profile: $(what "$D/daemon_cpu.pb.gz");"
        [ -n "$bad" ] && break
        awk -v g="${got:-0}" -v u="${used:-0}" 'BEGIN { exit !(u >= 0.4 && g >= 0.7 * u && g <= 1.15 * u + 0.05) }' &&
            break
        bad="${got}s sampled, ${used}s used (want 0.7..1.15x + 0.05 s; $attempt runs)" # run again
    done
    if [ -z "$bad" ]; then pass "$T (log at $(echo "$out" | grep '^fd '), ${got}s sampled, ${used}s used)"
    else fail $T "$bad log at $(echo "$out" | grep '^fd ');"; fi
fi

# The same daemon with the listener: it sleeps 1 s with nothing open (a listener spinning on
# its lost descriptors burns that second), then opens /dev/null and 4 pipes, which take the
# listener's old numbers, writes a message into each, sleeps 1 s, and reads them back. Every
# message intact, < 0.3 s of CPU in each sleep; the listener was there (its port on stderr);
# at most a few "pprof.h:" lines on stderr (a warning that it lost its socket), no flood.
T=host_daemon_closes_fds_listen
if ! built daemon; then
    fail $T "$(buildlog daemon)"
else
    out=$(run "$D/daemon_pipe.err" timeout 30 env LD_PRELOAD="$L" PPROF_LISTEN=127.0.0.1:0 "$D/daemon" pipe)
    rc=$?
    if [ $rc = 0 ] && echo "$out" | grep -qx 'pipes ok' && grep -q 'serves /debug/pprof/ on port' "$D/daemon_pipe.err" &&
       quiet_stderr "$D/daemon_pipe.err" 4; then
        pass "$T ($(echo "$out" | grep idle_cpu | tr '\n' ' '))"
    else
        fail $T "exit $rc (3: a pipe's message lost, 4: CPU burned while asleep); out: $(echo $out); stderr ($(wc -l < "$D/daemon_pipe.err") lines): $(head -c 400 "$D/daemon_pipe.err")"
    fi
fi

# ---------------------------------------------------------------------------------------
# case 3: a server that blocks SIGTERM/SIGINT/SIGUSR1 in main and takes them with sigwait.
# 20 SIGUSR1 (each answered before the next), a SIGINT and, where it listens, a thread dump
# over HTTP midway, then SIGTERM: every signal reached sigwait ("usr1 1".."usr1 20",
# "int 1"), the shutdown was graceful, exit 0, and the CPU profile (where asked) is valid.
sigwait_case() { # name port-from(stderr|stdout|none) cpu-profile-or-"" command...
    local name=$1 from=$2 cpu=$3 o="$D/$1.out" e="$D/$1.err" tp pid="" port="" bad="" n rc
    shift 3
    { timeout 60 "$@" >"$o" 2>"$e"; } 2>/dev/null &
    tp=$!
    BG="$BG $tp"
    wait_line "$o" '^ready$' 10 $tp && pid=$(sed -n 's/^pid //p' "$o")
    case $from in
        stderr) port=$(wait_port "$e") ;;
        stdout) port=$(sed -n 's/^port //p' "$o") ;;
    esac
    if [ -z "$pid" ]; then
        bad="never ready;"
        cleanup_one $tp
    elif [ $from != none ] && [ -z "$port" ]; then
        bad="no port announced;"
        kill -TERM "$pid" 2>/dev/null
    else
        for n in $(seq 20); do
            kill -USR1 "$pid" 2>/dev/null || { bad="$bad gone before SIGUSR1 $n;"; break; }
            wait_line "$o" "^usr1 $n\$" 5 "$pid" || { bad="$bad SIGUSR1 $n never reached sigwait;"; break; }
            if [ $n = 10 ]; then
                kill -INT "$pid" 2>/dev/null
                wait_line "$o" '^int 1$' 5 "$pid" || { bad="$bad SIGINT never reached sigwait;"; break; }
                if [ -n "$port" ]; then
                    http_get "$port" "goroutine?debug=1" "$D/$name.goroutine" &&
                        grep -q '^goroutine profile: total' "$D/$name.goroutine" ||
                        bad="$bad goroutine?debug=1 failed: $(head -c 200 "$D/$name.goroutine" 2>/dev/null);"
                fi
            fi
            sleep 0.02
        done
        kill -TERM "$pid" 2>/dev/null
    fi
    reap $tp
    rc=$?
    [ $rc = 0 ] || bad="$bad exit $rc (138: killed by SIGUSR1, 143: by SIGTERM, 130: SIGINT, 124: hung);"
    grep -qx 'graceful usr1=20 int=1' "$o" || bad="$bad no 'graceful usr1=20 int=1';"
    if [ -n "$cpu" ] && ! valid "$cpu" cpu; then bad="$bad profile: $(what "$cpu");"; fi
    quiet_stderr "$e" 2 || bad="$bad stderr: $(head -c 300 "$e");"
    if [ -z "$bad" ]; then pass "$name"; else fail "$name" "$bad out: $(tail -3 "$o" | tr '\n' ' ')"; fi
}
if ! built sigwait; then
    fail host_sigwait_server "$(buildlog sigwait)"
else
    sigwait_case host_sigwait_server_preload_listen stderr "" \
        env LD_PRELOAD="$L" PPROF_LISTEN=127.0.0.1:0 "$D/sigwait"
    sigwait_case host_sigwait_server_preload_cpu none "$D/sigwait_cpu.pb.gz" \
        env LD_PRELOAD="$L" PPROF_CPU="$D/sigwait_cpu.pb.gz" "$D/sigwait"
    sigwait_case host_sigwait_server_preload_listen_cpu stderr "$D/sigwait_both.pb.gz" \
        env LD_PRELOAD="$L" PPROF_LISTEN=127.0.0.1:0 PPROF_CPU="$D/sigwait_both.pb.gz" "$D/sigwait"
fi
if ! built sigwait_h; then
    fail host_sigwait_server_header "$(buildlog sigwait_h)"
else
    # pprof_listen_addr and pprof_cpu_start before main blocks the signals (as a library's
    # initialiser would), and after
    sigwait_case host_sigwait_server_header_early stdout "$D/sigwait_early.pb.gz" \
        "$D/sigwait_h" early "$D/sigwait_early.pb.gz"
    sigwait_case host_sigwait_server_header_late stdout "$D/sigwait_late.pb.gz" \
        "$D/sigwait_h" late "$D/sigwait_late.pb.gz"
fi

# ---------------------------------------------------------------------------------------
# case 4: SIGTERM sent by the program itself at a random moment of its last milliseconds
# (main's end, its atexit handler, the destructors with the library's final write, stdio's
# cleanup; see tests/host/exitterm.c), with PPROF_CPU and PPROF_HEAP_PROFILE. Without the
# profiler the program always dies by SIGTERM (checked first, 3 runs). 100 runs: every one
# ends by SIGTERM (143, never 139/134/0), prints its own output, writes nothing on stderr,
# and leaves both profiles whole.
T=host_sigterm_at_exit
if ! built exitterm; then
    fail $T "$(buildlog exitterm)"
else
    mkdir -p "$D/exit"
    want="" base="" ok=1
    for i in 1 2 3; do
        out=$(run /dev/null timeout 20 "$D/exitterm" 2000)
        rc=$?
        base="$base exit $rc '$out';"
        [ -z "$want" ] && want=$out
        [ $rc = 143 ] && [ "$out" = "$want" ] && case $out in "done "*) ;; *) false ;; esac || ok=0
    done
    if [ $ok = 0 ]; then
        fail $T "the program without the profiler did not die by SIGTERM with its output 3 times:$base"
    else
        declare -A st=()
        bad=0 ev="" t0=$SECONDS
        for i in $(seq 100); do
            case $((i % 3)) in 0) max=1000 ;; 1) max=4000 ;; *) max=16000 ;; esac
            c="$D/exit/cpu.$i.pb.gz" h="$D/exit/heap.$i.pb.gz"
            run "$D/exit/err.$i" timeout 20 env LD_PRELOAD="$L" PPROF_CPU="$c" PPROF_HEAP_PROFILE="$h" \
                "$D/exitterm" $max >"$D/exit/out.$i"
            rc=$?
            st[$rc]=$((${st[$rc]:-0} + 1))
            why=""
            [ $rc = 143 ] || why="$why exit $rc;"
            [ "$(cat "$D/exit/out.$i")" = "$want" ] || why="$why out '$(head -c 60 "$D/exit/out.$i")';"
            [ -s "$D/exit/err.$i" ] && why="$why stderr '$(head -c 120 "$D/exit/err.$i")';"
            valid "$c" cpu || why="$why cpu profile $(what "$c");"
            valid "$h" inuse_space || why="$why heap profile $(what "$h");"
            if [ -n "$why" ]; then
                bad=$((bad + 1))
                [ $bad -le 3 ] && ev="$ev run $i (delay < ${max}us):$why"
            fi
        done
        tally=$(for k in "${!st[@]}"; do echo "${st[$k]}x$k"; done | sort -t x -k2n | tr '\n' ' ')
        if [ $bad = 0 ]; then
            pass "$T (100 runs, exit statuses: ${tally}in $((SECONDS - t0)) s)"
        else
            fail $T "$bad of 100 runs bad; exit statuses: ${tally}(143 wanted); first:$ev"
        fi
    fi
fi

# After the final write's catcher: a program that asks sees SIG_DFL (CPython installs its
# KeyboardInterrupt handler only over SIG_DFL, and saves and restores handlers), and a
# fatal signal stops the program where it is (bash after kill -TERM $$ runs no further
# line), both with PPROF_CPU; output and status as without the library.
T=host_python_keyboardinterrupt_and_handlers
if [ ! -x /usr/bin/python3 ]; then
    skip $T "python3 not found (Debian package python3)"
else
    cat > "$D/pyki.py" <<'PY'
import os, signal, sys, time
print(signal.getsignal(signal.SIGINT).__name__, signal.getsignal(signal.SIGTERM))
old = signal.getsignal(signal.SIGTERM)
signal.signal(signal.SIGTERM, lambda s, f: None)
signal.signal(signal.SIGTERM, old)
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    print("no KeyboardInterrupt")
except KeyboardInterrupt:
    print("KeyboardInterrupt caught")
sys.exit(0)
PY
    want=$(timeout 20 /usr/bin/python3 "$D/pyki.py" 2>&1); rc0=$?
    out=$(run "$D/pyki.err" timeout 20 env LD_PRELOAD="$L" PPROF_CPU="$D/pyki.pb.gz" /usr/bin/python3 "$D/pyki.py"); rc=$?
    if [ $rc = 0 ] && [ $rc0 = 0 ] && [ "$out" = "$want" ] && valid "$D/pyki.pb.gz" cpu && quiet_stderr "$D/pyki.err" 2; then
        pass "$T ($(echo $out))"
    else
        fail $T "exit $rc (alone $rc0), out '$(echo $out)' (alone '$(echo $want)'), profile $(what "$D/pyki.pb.gz"), stderr: $(head -c 300 "$D/pyki.err")"
    fi
fi
T=host_fatal_signal_stops_the_program
bad=""
for sig in TERM INT HUP; do
    want=$(timeout 20 bash -c "echo a; kill -$sig \$\$; echo survived" 2>/dev/null); rc0=$?
    out=$(run "$D/fatal_$sig.err" timeout 20 env LD_PRELOAD="$L" PPROF_CPU="$D/fatal_$sig.pb.gz" bash -c "echo a; kill -$sig \$\$; echo survived"); rc=$?
    [ $rc = $rc0 ] && [ "$out" = "$want" ] && [ "$out" = a ] && valid "$D/fatal_$sig.pb.gz" cpu ||
        bad="$bad SIG$sig: exit $rc (alone $rc0), out '$(echo $out)' (alone '$(echo $want)'), profile $(what "$D/fatal_$sig.pb.gz");"
done
if [ -z "$bad" ]; then pass "$T (SIGTERM, SIGINT, SIGHUP: no line after the kill)"; else fail $T "$bad"; fi

# ---------------------------------------------------------------------------------------
# case 5: a Go program with cgo (the Go runtime reads the auxiliary vector after envp's NULL)
# with 1..4 PPROF_* variables: its own output exactly (the page size it found equals
# getconf PAGESIZE, no PPROF_ variable in its os.Environ()), exit 0.
if ! command -v go >/dev/null; then
    for n in 1 2 3 4; do skip host_cgo_auxv_${n}_vars "go not found (Debian package golang-go)"; done
else
    GOENV_="GO111MODULE=off GOFLAGS= GOCACHE=$D/gocache GOPATH=$D/gopath HOME=$D CGO_ENABLED=1"
    if ! (cd tests/host/cgo && env $GOENV_ timeout 240 go build -o "$D/cgoprog" main.go) >"$D/cgoprog.build" 2>&1; then
        for n in 1 2 3 4; do fail host_cgo_auxv_${n}_vars "go build failed: $(head -c 600 "$D/cgoprog.build")"; done
    else
        # (no PPROF_ variable of the caller's, as CI's PPROF_TEST_STRICT, in its environment)
        want=$(timeout 30 env -u PPROF_TEST_STRICT "$D/cgoprog" 2>&1)
        rc=$?
        page=$(getconf PAGESIZE)
        if [ $rc != 0 ] || ! echo "$want" | grep -qx "pagesize $page" || ! echo "$want" | grep -qx 'pprof_vars 0'; then
            for n in 1 2 3 4; do fail host_cgo_auxv_${n}_vars "the program alone: exit $rc, out '$(echo $want)' (page size $page)"; done
        else
            for n in 1 2 3 4; do
                g="$D/cgo_$n.pb.gz"
                case $n in
                    1) vars="PPROF_CPU=$g" ;;
                    2) vars="PPROF_CPU=$g PPROF_CPU_HZ=250" ;;
                    3) vars="PPROF_CPU=$g PPROF_CPU_HZ=250 PPROF_UNWIND=cfi" ;;
                    4) vars="PPROF_CPU=$g PPROF_CPU_HZ=250 PPROF_HEAP=1 PPROF_HEAP_RATE=4096" ;;
                esac
                out=$(run "$D/cgo_$n.err" timeout 30 env -u PPROF_TEST_STRICT LD_PRELOAD="$L" $vars "$D/cgoprog")
                rc=$?
                if [ $rc = 0 ] && [ "$out" = "$want" ] && quiet_stderr "$D/cgo_$n.err" 2; then
                    pass "host_cgo_auxv_${n}_vars"
                else
                    fail host_cgo_auxv_${n}_vars "$vars: exit $rc, out '$(echo $out)' (want '$(echo $want)'), stderr: $(head -c 300 "$D/cgo_$n.err")"
                fi
            done
        fi
    fi
fi

# ---------------------------------------------------------------------------------------
# case 6a: a program that resets every signal to SIG_DFL at start, then burns 0.5 s of CPU,
# under PPROF_CPU: exit 0 (not 155, "Profiling timer expired"), its output, and a valid
# profile (its number of samples is reported, not asserted).
T=host_sigprof_reset_all_signals
if ! built sigreset; then
    fail $T "$(buildlog sigreset)"
else
    want=$(timeout 30 "$D/sigreset")
    out=$(run "$D/sigreset.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU="$D/sigreset.pb.gz" "$D/sigreset")
    rc=$?
    if [ $rc = 0 ] && [ "$out" = "$want" ] && valid "$D/sigreset.pb.gz" cpu && quiet_stderr "$D/sigreset.err" 2; then
        pass "$T ($(top "$D/sigreset.pb.gz" | samples) samples)"
    else
        fail $T "exit $rc (155: SIGPROF killed it), out '$out' (want '$want'), profile $(what "$D/sigreset.pb.gz"), stderr: $(head -c 300 "$D/sigreset.err")"
    fi
fi

# case 6b: GNU sort (its cleanup handler covers SIGPROF and re-raises it) with a 1 MiB
# buffer, temporary files and 2 threads on 9 MB: exit 0, output identical to sort's alone,
# its temporary files removed, a valid profile (samples reported, not asserted).
T=host_sigprof_reset_gnu_sort
if [ ! -x /usr/bin/sort ] || ! /usr/bin/sort --version 2>/dev/null | grep -q GNU; then
    skip $T "GNU sort not found (Debian package coreutils)"
else
    seq 1 400000 | awk '{ print ($1 * 7919) % 1000003, "line", $1 % 977, $1 }' > "$D/sort.in"
    mkdir -p "$D/sort.tmp"
    LC_ALL=C timeout 60 /usr/bin/sort -S 1M --parallel=2 -T "$D/sort.tmp" -k1,1n -k3,3 "$D/sort.in" > "$D/sort.want"
    rc0=$?
    run "$D/sort.err" timeout 60 env LC_ALL=C LD_PRELOAD="$L" PPROF_CPU="$D/sort.pb.gz" \
        /usr/bin/sort -S 1M --parallel=2 -T "$D/sort.tmp" -k1,1n -k3,3 "$D/sort.in" > "$D/sort.out"
    rc=$?
    if [ $rc0 = 0 ] && [ $rc = 0 ] && cmp -s "$D/sort.out" "$D/sort.want" && [ -z "$(ls "$D/sort.tmp")" ] &&
       valid "$D/sort.pb.gz" cpu && quiet_stderr "$D/sort.err" 2; then
        pass "$T ($(top "$D/sort.pb.gz" | samples) samples)"
    else
        fail $T "exit $rc (155: SIGPROF killed it; alone $rc0), output $(wc -c < "$D/sort.out") of $(wc -c < "$D/sort.want") bytes $(cmp -s "$D/sort.out" "$D/sort.want" && echo identical || echo differ), temporary files left: $(ls "$D/sort.tmp" | wc -l), profile $(what "$D/sort.pb.gz"), stderr: $(head -c 300 "$D/sort.err")"
    fi
fi

# case 6c: the program takes SIGPROF for itself during a CPU profile (a counting handler by
# sigaction or signal(), or SIG_DFL, or SIG_IGN) and arms no timer: its handler runs 0
# times, it is not killed, SIGPROF's disposition stays what it set, exit 0, and the profile
# is valid. Built with the header (pprof_cpu_start before, pprof_cpu_stop must succeed
# after), and the same program without it under LD_PRELOAD PPROF_CPU.
for kind in header preload; do
    if [ $kind = header ]; then bin=sigprof_own_h; else bin=sigprof_own; fi
    for mode in sigaction signal dfl ign; do
        T=host_sigprof_own_${kind}_$mode
        p="$D/sigprof_${kind}_$mode.pb.gz"
        if ! built $bin; then fail $T "$(buildlog $bin)"; continue; fi
        if [ $kind = header ]; then
            out=$(run "$D/$T.err" timeout 30 "$D/$bin" $mode "$p")
        else
            out=$(run "$D/$T.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU="$p" "$D/$bin" $mode)
        fi
        rc=$?
        if [ $rc = 0 ] && [ "$out" = "$mode calls=0 disposition=ok" ] && valid "$p" cpu && quiet_stderr "$D/$T.err" 2; then
            pass "$T ($(top "$p" | samples) samples)"
        else
            fail $T "exit $rc (155: SIGPROF killed it, 4: its handler ran, 6: its disposition changed, 7: pprof_cpu_stop failed), out '$out', profile $(what "$p"), stderr: $(head -c 300 "$D/$T.err")"
        fi
    done
done

# case 6d: the program uses the profiling signal itself (SIGRTMAX-8: a handler, SIG_IGN, a
# one-shot handler; tests/host/sigours.c) during a CPU profile, under LD_PRELOAD and with the
# header's PPROF_WRAP_SIGNAL: it gets exactly the 8 signals it sent itself, never a timer's,
# its queries report what it set, and sampling never stopped (>= 0.4 s of its 0.65 s of CPU
# in the profile).
for kind in header preload; do
    T=host_profiling_signal_used_by_program_$kind
    p="$D/sigours_$kind.pb.gz"
    if [ $kind = header ]; then bin=sigours_h; else bin=sigours; fi
    if ! built $bin; then fail $T "$(buildlog $bin)"; continue; fi
    if [ $kind = header ]; then out=$(run "$D/$T.err" timeout 30 "$D/$bin" "$p")
    else out=$(run "$D/$T.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU="$p" "$D/$bin"); fi
    rc=$?
    n=$(top "$p" | total)
    if [ $rc = 0 ] && [ "$out" = "ok calls=8" ] && valid "$p" cpu &&
       awk -v n="${n:-0}" 'BEGIN { exit !(n >= 0.4) }' && quiet_stderr "$D/$T.err" 2; then
        pass "$T (${n}s sampled)"
    else
        fail $T "exit $rc, out '$out', ${n:-no} s sampled, profile $(what "$p"), stderr: $(head -c 300 "$D/$T.err")"
    fi
done

# case 6e: every signal blocked in all threads, taken with sigtimedwait or a signalfd on a
# full set (tests/host/sigmask.c): the program gets only the SIGUSR1 it sent, never the
# profiling signal, and its threads are sampled all the same (>= 70% of the CPU it used),
# under LD_PRELOAD and with the header's PPROF_WRAP_SIGNAL.
for kind in preload header; do
    for mode in wait fd; do
        T=host_all_signals_blocked_${kind}_$mode
        p="$D/sigmask_${kind}_$mode.pb.gz"
        if [ $kind = header ]; then bin=sigmask_h; else bin=sigmask; fi
        if ! built $bin; then fail $T "$(buildlog $bin)"; continue; fi
        if [ $kind = header ]; then out=$(run "$D/$T.err" timeout 30 "$D/$bin" $mode "$p")
        else out=$(run "$D/$T.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU="$p" "$D/$bin" $mode); fi
        rc=$?
        used=$(echo "$out" | sed -n 's/^cpu //p')
        n=$(top "$p" | total)
        if [ $rc = 0 ] && [ "$(echo "$out" | grep '^got')" = "got 10 x1" ] && valid "$p" cpu &&
           awk -v n="${n:-0}" -v u="${used:-1}" 'BEGIN { exit !(n >= 0.7 * u) }' && quiet_stderr "$D/$T.err" 2; then
            pass "$T (${n}s sampled of ${used}s)"
        else
            fail $T "exit $rc, out '$(echo $out)' (want only 'got 10 x1'), ${n:-no} s sampled of ${used} s, profile $(what "$p"), stderr: $(head -c 300 "$D/$T.err")"
        fi
    done
done

# ---------------------------------------------------------------------------------------
# case 7: main ends with pthread_exit; then workers burn CPU in burn_in_worker, make exactly
# 2000 allocations in alloc_in_worker and sleep in sleep_in_worker. The CPU profile names
# burn_in_worker (>= half the samples) and has no [unmapped]; the heap profile (every
# allocation) has exactly 2000 objects at alloc_in_worker; the thread dump (debug=2) shows
# burner and sleeper with their functions by name and no frame of an unknown file.
leader_check() { # name cpu heap threads out rc stderr
    local T=$1 c=$2 h=$3 th=$4 out=$5 rc=$6 err=$7 bad="" burnt all objs f
    [ $rc = 0 ] || bad="$bad exit $rc;"
    echo "$out" | grep -qx done || bad="$bad out '$(echo $out)';"
    quiet_stderr "$err" 2 || bad="$bad stderr: $(head -c 200 "$err");"
    top "$c" > "$D/$T.cpu.top"
    all=$(total < "$D/$T.cpu.top")
    burnt=$(awk '$NF == "burn_in_worker" { print $1 + 0 }' "$D/$T.cpu.top")
    if ! grep -q '^Type: cpu$' "$D/$T.cpu.top"; then bad="$bad cpu profile $(what "$c");"
    elif grep -q '\[unmapped\]' "$D/$T.cpu.top" ||
         ! awk -v b="${burnt:-0}" -v a="${all:-0}" 'BEGIN { exit !(a > 0 && b >= a / 2) }'; then
        bad="$bad cpu profile: burn_in_worker ${burnt:-0}s of ${all}s: $(sed -n '1p;8,11p' "$D/$T.cpu.top" | tr -s ' ' | tr '\n' '|');"
    fi
    top -sample_index=alloc_objects "$h" > "$D/$T.heap.top"
    objs=$(awk '$NF == "alloc_in_worker" { print $1 }' "$D/$T.heap.top")
    [ "$objs" = 2000 ] ||
        bad="$bad heap profile: alloc_in_worker '${objs}' objects, want 2000: $(sed -n '1,2p;8,10p' "$D/$T.heap.top" | tr -s ' ' | tr '\n' '|');"
    for f in burner:burn_in_worker sleeper:sleep_in_worker; do
        awk -v t="${f%%:*}" '/^thread / { on = index($0, "[" t ",") > 0 } on' "$th" > "$D/$T.${f%%:*}"
        if ! grep -q "^${f#*:}(" "$D/$T.${f%%:*}" || grep -q $'^\t? +0x' "$D/$T.${f%%:*}" ||
           grep -A1 '^?(' "$D/$T.${f%%:*}" | grep -qF "$D/"; then
            bad="$bad thread ${f%%:*} in the dump: $(head -6 "$D/$T.${f%%:*}" | tr '\n\t' '| ');"
        fi
    done
    if [ -z "$bad" ]; then pass "$T (burn_in_worker ${burnt}s of ${all}s, 2000 objects at alloc_in_worker)"
    else fail "$T" "$bad"; fi
}
T=host_main_pthread_exit_header
if ! built leader_h; then
    fail $T "$(buildlog leader_h)"
else
    mkdir -p "$D/leader_h.d"
    out=$(run "$D/leader_h.err" timeout 60 "$D/leader_h" "$D/leader_h.d")
    leader_check $T "$D/leader_h.d/cpu.pb.gz" "$D/leader_h.d/heap.pb.gz" "$D/leader_h.d/threads.txt" "$out" $? "$D/leader_h.err"
fi
T=host_main_pthread_exit_preload
if ! built leader; then
    fail $T "$(buildlog leader)"
else
    { timeout 60 env LD_PRELOAD="$L" PPROF_CPU="$D/leader_cpu.pb.gz" PPROF_HEAP=1 PPROF_HEAP_RATE=1 \
        PPROF_HEAP_PROFILE="$D/leader_heap.pb.gz" PPROF_LISTEN=127.0.0.1:0 "$D/leader" "$D/leader.stop" \
        > "$D/leader.out" 2>"$D/leader.err"; } 2>/dev/null &
    tp=$!
    BG="$BG $tp"
    port=$(wait_port "$D/leader.err")
    : > "$D/leader.threads"
    if wait_line "$D/leader.out" '^leader gone$' 10 $tp && [ -n "$port" ]; then
        sleep 0.2 # the burner in burn_in_worker, the sleeper asleep
        http_get "$port" "goroutine?debug=2" "$D/leader.threads"
    fi
    touch "$D/leader.stop"
    reap $tp
    rc=$?
    grep -v 'serves /debug/pprof/' "$D/leader.err" > "$D/leader.err2"
    leader_check $T "$D/leader_cpu.pb.gz" "$D/leader_heap.pb.gz" "$D/leader.threads" "$(cat "$D/leader.out")" $rc "$D/leader.err2"
fi

# ---------------------------------------------------------------------------------------
# case 11: relative PPROF_CPU and PPROF_HEAP_PROFILE, and a program that chdirs at start:
# both profiles in the start directory's rel/, valid; nothing written in the new directory.
T=host_chdir_relative_path
if ! built chdir; then
    fail $T "$(buildlog chdir)"
else
    mkdir -p "$D/c11/start/rel" "$D/c11/new/rel"
    out=$(cd "$D/c11/start" && run "$D/c11.err" timeout 30 env LD_PRELOAD="$L" PPROF_CPU=rel/cpu.pb.gz \
          PPROF_HEAP=1 PPROF_HEAP_PROFILE=rel/heap.pb.gz "$D/chdir" "$D/c11/new")
    rc=$?
    if [ $rc = 0 ] && [ "$(echo $out)" = "cwd $D/c11/new blocks 5000" ] && valid "$D/c11/start/rel/cpu.pb.gz" cpu &&
       valid "$D/c11/start/rel/heap.pb.gz" inuse_space && [ -z "$(find "$D/c11/new" -type f)" ] && quiet_stderr "$D/c11.err" 2; then
        pass $T
    else
        fail $T "exit $rc, out '$(echo $out)', start dir: $(cd "$D/c11/start" && find . -type f | tr '\n' ' '), new dir: $(cd "$D/c11/new" && find . -type f | tr '\n' ' '), cpu $(what "$D/c11/start/rel/cpu.pb.gz"), heap $(what "$D/c11/start/rel/heap.pb.gz"), stderr: $(head -c 300 "$D/c11.err")"
    fi
fi

# ---------------------------------------------------------------------------------------
# case 12: another allocator in the process; every allocation freed by the allocator that
# made it. Each program's output must equal its output alone, exit 0, no allocator error on
# stderr. With PPROF_HEAP=1 PPROF_HEAP_RATE=1 PPROF_HEAP_PROFILE the heap profile must be
# valid and hold main's allocations (tests/alloc.sh checks them call site by call site).
alloc_case() { # name binary reference-binary heap(0|1) env-assignments...
    local T=$1 bin=$2 ref=$3 heap=$4 want out rc bad="" h="$D/$1.heap.pb.gz"
    shift 4
    if ! built $bin; then fail $T "$(buildlog $bin)"; return; fi
    if ! built $ref; then fail $T "$(buildlog $ref)"; return; fi
    want=$(timeout 60 "$D/$ref" 2>&1) # the output the program has without any profiler
    if [ $heap = 1 ]; then
        out=$(run "$D/$T.err" timeout 60 env "$@" PPROF_HEAP=1 PPROF_HEAP_RATE=1 PPROF_HEAP_PROFILE="$h" "$D/$bin")
    else
        out=$(run "$D/$T.err" timeout 60 env "$@" "$D/$bin")
    fi
    rc=$?
    [ $rc = 0 ] || bad="$bad exit $rc (139: SIGSEGV, 134: abort);"
    [ "$out" = "$want" ] || bad="$bad out '$out' (alone: '$want');"
    quiet_stderr "$D/$T.err" 2 || bad="$bad stderr: $(head -c 300 "$D/$T.err");"
    [ $heap = 1 ] && ! valid "$h" inuse_space && bad="$bad heap profile $(what "$h");"
    # every allocation sampled (rate 1), whichever allocator is beneath: main's are there
    # (another allocator preloaded before libpprof.so: nothing reaches it, and the profile says so)
    if [ $heap = 1 ] && [ "$bin" = reallocarray ]; then
        "$B/pbdump" -raw "$h" 2>&1 | grep -q 'heap sampling off: .*put libpprof.so first' ||
            bad="$bad the heap profile does not say why it is empty;"
    elif [ $heap = 1 ] && ! "$B/pbdump" -cum=main "$h" 2>&1 | awk '$2 < 2000 {exit 1}'; then
        bad="$bad the heap profile has fewer than 2000 allocations under main: $("$B/pbdump" -cum=main "$h" 2>&1);"
    fi
    if [ -z "$bad" ]; then pass "$T"; else fail "$T" "$bad"; fi
}
if [ $JEMALLOC = 0 ]; then
    for t in jemalloc_linked jemalloc_linked_heap jemalloc_header jemalloc_preloaded_reallocarray \
             jemalloc_preloaded_reallocarray_heap; do
        skip host_other_allocators_$t "libjemalloc.so / libjemalloc.so.2 not found (Debian package libjemalloc-dev)"
    done
else
    alloc_case host_other_allocators_jemalloc_linked allocs_je allocs_je 0 LD_PRELOAD="$L"
    alloc_case host_other_allocators_jemalloc_linked_heap allocs_je allocs_je 1 LD_PRELOAD="$L"
    alloc_case host_other_allocators_jemalloc_header allocs_je_h allocs_je 0
    alloc_case host_other_allocators_jemalloc_preloaded_reallocarray reallocarray reallocarray 0 \
        LD_PRELOAD="libjemalloc.so.2 $L"
    alloc_case host_other_allocators_jemalloc_preloaded_reallocarray_heap reallocarray reallocarray 1 \
        LD_PRELOAD="libjemalloc.so.2 $L"
fi
if [ $MIMALLOC = 0 ]; then
    skip host_other_allocators_mimalloc_linked_heap "libmimalloc.so not found (Debian package libmimalloc-dev)"
else
    alloc_case host_other_allocators_mimalloc_linked_heap allocs_mi allocs_mi 1 LD_PRELOAD="$L"
fi
if [ $MDEBUG = 0 ]; then
    for t in malloc_debug malloc_debug_heap; do
        skip host_other_allocators_$t "libc_malloc_debug.so.0 not found (Debian package libc6, glibc 2.34 or later)"
    done
else
    alloc_case host_other_allocators_malloc_debug allocs allocs 0 LD_PRELOAD="libc_malloc_debug.so.0 $L" MALLOC_CHECK_=3
    alloc_case host_other_allocators_malloc_debug_heap allocs allocs 1 LD_PRELOAD="libc_malloc_debug.so.0 $L" MALLOC_CHECK_=3
fi
finish
