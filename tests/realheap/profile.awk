# tests/realheap.sh: the totals of a heap profile of pprof.h, from `pbdump -raw FILE`:
#   mapping[i]: id N 0xLO-0xHI offset 0x.. file "PATH" build_id ".."
#   sample[i]: values ALLOC_OBJECTS ALLOC_SPACE INUSE_OBJECTS INUSE_SPACE labels ...
#       loc ID 0xADDRESS [FUNCTION...]      (the allocating call first, outermost last)
# Input variable LDSO: a regex of the dynamic loader's path.
# Output, one line:
#   all_objects all_bytes  self_objects self_bytes  init_objects init_bytes  SELF
# self: samples with a frame of the profiler itself (a function named pprof_*): its own
# allocations, which are not the program's (SELF: "-", or each such sample as
# objects/bytes@first-pprof-function, comma-separated); init: the other samples whose
# outermost frame is in the loader (a library's initializer, run by ld.so before main).
function hex(h,  i, v) {
    h = tolower(h)
    sub(/^0x/, "", h)
    v = 0
    for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
    return v
}
function flush() { # (the mappings come after the samples: classified at the end)
    if (!insample) return
    ao += o; ab += b
    if (selfn != "") {
        so += o; sb += b
        selfs = selfs (selfs == "" ? "" : ",") o "/" b "@" selfn
    } else if (root != "") {
        nr++
        ro[nr] = o; rb[nr] = b; ra[nr] = hex(root)
    }
    insample = 0
}
/^mapping\[/ {
    if (match($0, /file "[^"]*"/) && substr($0, RSTART + 6, RLENGTH - 7) ~ LDSO) {
        split($4, r, "-")
        nld++
        ldlo[nld] = hex(r[1]); ldhi[nld] = hex(r[2])
    }
    next
}
/^sample\[/ {
    flush()
    insample = 1
    o = $3; b = $4
    selfn = ""; root = ""
    next
}
/^    loc / {
    if (!insample) next
    root = $3
    for (f = 4; f <= NF; f++)
        if (selfn == "" && $f ~ /^pprof_/) selfn = $f
    next
}
{ flush() }
END {
    flush()
    for (i = 1; i <= nr; i++)
        for (m = 1; m <= nld; m++)
            if (ra[i] >= ldlo[m] && ra[i] < ldhi[m]) { io += ro[i]; ib += rb[i]; break }
    printf "%.0f %.0f %.0f %.0f %.0f %.0f %s\n", ao, ab, so, sb, io, ib, selfs == "" ? "-" : selfs
}
