#!/usr/bin/env bash
# Competing load for the tests (issue 17: the suite must hold on a busy machine).
#   Sourced by tests/all.sh when STRESS=N is set: stress_start N starts N CPU burners and
#   one allocation/IO churner; stress_stop kills them (all.sh calls it from its EXIT trap).
#   Standalone:  tests/stress.sh N COMMAND [ARGS...]   runs COMMAND under the same load,
#   e.g. tests/stress.sh 4 build/run cpu_
# Every burner also watches the shell that started it and exits when that shell is gone, so
# nothing keeps burning after a SIGKILL that no trap sees.
stress_pids=()

stress_start() { # N
    local n=$1 i owner=$$
    case $n in ''|*[!0-9]*) echo "STRESS=$n: not a number" >&2; return 1 ;; esac
    [ "$n" -gt 0 ] || return 0
    for i in $(seq "$n"); do
        # a CPU burner at nice 0: pure arithmetic, its owner checked every ~50000 turns
        sh -c 'o=$1; while :; do i=0; while [ $i -lt 50000 ]; do i=$((i + 1)); done;
               kill -0 "$o" 2>/dev/null || exit 0; done' stress-burner "$owner" &
        stress_pids+=($!)
    done
    # the churner: allocates and writes 8 MiB, reads it back, deletes it, over and over
    sh -c 'o=$1 f=$2; while kill -0 "$o" 2>/dev/null; do
               head -c 8388608 /dev/zero | tr "\0" x > "$f"; cat "$f" | wc -c >/dev/null; rm -f "$f"
           done' stress-churn "$owner" "${TMPDIR:-/tmp}/pprof-stress-$owner" &
    stress_pids+=($!)
    echo "STRESS=$n: $n CPU burners and 1 allocation/IO churner compete with the tests on $(nproc) CPUs"
}

stress_stop() {
    local p
    [ ${#stress_pids[@]} -gt 0 ] || return 0
    for p in "${stress_pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${stress_pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -f "${TMPDIR:-/tmp}/pprof-stress-$$"
    stress_pids=()
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run standalone
    [ $# -ge 2 ] || { echo "usage: $0 N COMMAND [ARGS...]" >&2; exit 2; }
    n=$1; shift
    cmd=
    trap stress_stop EXIT
    for sig in INT:130 TERM:143 HUP:129; do
        trap '[ -n "$cmd" ] && kill -TERM "$cmd" 2>/dev/null; exit '"${sig#*:}" "${sig%:*}"
    done
    stress_start "$n" || exit 2
    "$@" & cmd=$!  # waited for, not run in the foreground: a signal is handled at once
    wait "$cmd"
    exit $?
fi
