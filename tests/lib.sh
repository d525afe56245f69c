# Sourced by the test scripts that tests/all.sh relays (host, preload, alloc, realheap,
# examples): their result lines and the helpers they share. Each script prints one
# "PASS  name", "FAIL  name: why" or "SKIP  name: why" line per test, then "END".
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1: $(echo "$2" | head -c 1500 | tr '\n' ' ')"; }
skip() { echo "SKIP  $1: $2"; }
finish() { echo END; exit 0; }

top() { "$B/pbdump" -top "$@" 2>&1; }
# the total of a -top listing in seconds or bytes: "... of 1.51s total", "... of 78.49MB total"
total() {
    sed -n 's/.* of \([0-9.]*\)\([a-zA-Z]*\) total.*/\1 \2/p' | awk '{
        m = 1; if ($2 == "ms") m = 0.001; if ($2 == "kB") m = 1024; if ($2 == "MB") m = 1048576;
        if ($2 == "GB") m = 1073741824; print $1 * m }'
}
samples() { sed -n 's/.*total (\([0-9]*\) samples).*/\1/p'; } # of a -top listing
# GET /debug/pprof/$2 from 127.0.0.1:$1 into $3 over a bash socket: 0 on a 200 (a server
# silent for 20 s fails it)
http_get() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET /debug/pprof/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS= read -r -t 20 line <&3
    case $line in *" 200 "*) ;; *) exec 3<&-; return 1 ;; esac
    while IFS= read -r -t 20 line <&3 && [ "$line" != $'\r' ] && [ -n "$line" ]; do :; done
    timeout 20 cat <&3 > "$3"
    exec 3<&-
}
