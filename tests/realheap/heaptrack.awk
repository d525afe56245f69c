# tests/realheap.sh: the totals of a heaptrack recording, from heaptrack_interpret's text
# (what `zstd -dc file.zst` or `gzip -dc file.gz` prints; format version 3):
#   s LEN STRING          a string: module paths and function names (1-based, hex)
#   i IP MODULE [FN FILE LINE]...   an instruction pointer (1-based, hex), MODULE a string
#   t IP PARENT           a backtrace node: ip index and its caller's node (1-based; 0 none)
#   a SIZE TRACE          an allocation's size and backtrace (0-based, hex)
#   + A                   one allocation of allocation-info A; "-" a free, not counted here
# Input variables: EXCL, module paths (as heaptrack names them, space-separated) that only
# heaptrack's process holds: its own dependencies; LDSO, a regex of the dynamic loader's
# path; R, the sampling rate whose variance to compute.
# Output, one line of numbers:
#   all_objects all_bytes  excl_objects excl_bytes  init_objects init_bytes
#   var_objects var_bytes
# all: every allocation; excl: those with a frame in an EXCL module (not counted below);
# init: those whose outermost frame is in the loader (a library's initializer run by
# ld.so before main, heaptrack keeps up to 62 frames: shorter stacks only);
# var_*: the variances of pprof.h's estimates, at rate R, of the objects and bytes of
# every allocation not excluded. pprof.h samples like Go: a block of n bytes is sampled
# with p = 1 - e^(-n/R) and then stands for 1/p blocks and n/p bytes, so each block adds
# (1-p)/p to the variance of the object count and n^2 (1-p)/p to that of the bytes.
BEGIN {
    ns = ni = nt = na = 0
    n = split(EXCL, e, " ")
    for (k = 1; k <= n; k++) ex[e[k]] = 1
}
$1 == "s" {
    ns++
    s = $0
    sub(/^s [0-9a-f]+ /, "", s)
    if (s in ex) xs[sprintf("%x", ns)] = 1
    if (s ~ LDSO) ld[sprintf("%x", ns)] = 1
    next
}
$1 == "i" {
    ni++
    k = sprintf("%x", ni)
    if ($3 in xs) xi[k] = 1
    if ($3 in ld) li[k] = 1
    next
}
$1 == "t" {
    nt++
    k = sprintf("%x", nt)
    if (($2 in xi) || ($3 in xt)) xt[k] = 1
    if ($3 == "0") { depth[k] = 1; if ($2 in li) lt[k] = 1 }
    else { depth[k] = depth[$3] + 1; if ($3 in lt) lt[k] = 1 }
    next
}
$1 == "a" {
    k = sprintf("%x", na++)
    size[k] = hex($2)
    if ($3 in xt) xa[k] = 1
    else if (($3 in lt) && depth[$3] < 60) ia[k] = 1
    next
}
$1 == "+" { c[$2]++ }
function hex(h,  i, v) {
    v = 0
    for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
    return v
}
END {
    for (k in c) {
        n = size[k]
        ao += c[k]; ab += c[k] * n
        if (k in xa) { xo += c[k]; xb += c[k] * n; continue }
        if (k in ia) { io += c[k]; ib += c[k] * n }
        if (n > 0) {
            p = 1 - exp(-n / R)
            vo += c[k] * (1 - p) / p
            vb += c[k] * n * n * (1 - p) / p
        }
    }
    printf "%.0f %.0f %.0f %.0f %.0f %.0f %.6e %.6e\n", ao, ab, xo, xb, io, ib, vo, vb
}
