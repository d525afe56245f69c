#!/usr/bin/env python3
"""pprof.h's stacks on programs nobody here wrote, against perf --call-graph dwarf on the
same run: the program runs under perf record while LD_PRELOAD=libpprof.so profiles it too.

  realstacks.py [--check] [--hz N] [--perf-hz N] LABEL -- COMMAND...

Prints one line of figures per run (samples, share of stacks whole to the outermost frame,
frames that are not code, median depth of each tool, and for the hottest functions of
shared libraries whether their callers agree), and with --check PASS/FAIL lines:
  <label>_stacks_whole            >= 99% of samples reach the outermost frame (pprof.h's
                                  own count, and its outermost frames are perf's too)
  <label>_no_frame_is_not_code    no frame outside the program's executable mappings
  <label>_library_callers_match_perf  for each of the 5 hottest library functions (by
                                  perf's samples) with >= 40 samples in both, the callers'
                                  shares differ by at most 0.15 in total variation, and the
                                  top caller is the same
Functions are named from each file's symbols and its separate debug file (by build id)
where one is installed, the same way for both tools, so the comparison is by function.
Needs perf, nm, readelf; SKIPs loudly without them or when perf cannot record here.
"""
import bisect, collections, gzip, os, re, shutil, statistics, subprocess, sys, tempfile

LIBPPROF = os.environ.get("LIBPPROF", "build/libpprof.so")


def pb_fields(buf):
    """Yields (field, wire type, value) of one protobuf message."""
    i, n = 0, len(buf)
    while i < n:
        key, i = varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            ln, i = varint(buf, i)
            v = buf[i:i + ln]
            i += ln
        elif wt == 1:
            v = int.from_bytes(buf[i:i + 8], "little"); i += 8
        elif wt == 5:
            v = int.from_bytes(buf[i:i + 4], "little"); i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield f, wt, v


def varint(buf, i):
    v = s = 0
    while True:
        b = buf[i]; i += 1
        v |= (b & 0x7f) << s
        s += 7
        if b < 0x80:
            return v, i


def packed(wt, v):
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def read_pprof(path):
    """Samples as lists of (mapping, address), leaf first; mappings; comments."""
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings, samples, mappings, locs, comments = [], [], {}, {}, []
    for f, wt, v in pb_fields(data):
        if f == 6:
            strings.append(v.decode("utf-8", "replace"))
        elif f == 2:
            ids, vals = [], []
            for g, gwt, gv in pb_fields(v):
                if g == 1: ids += packed(gwt, gv)
                if g == 2: vals += packed(gwt, gv)
            samples.append((ids, vals))
        elif f == 3:
            m = {}
            for g, gwt, gv in pb_fields(v):
                m[g] = gv
            mappings[m.get(1, 0)] = m
        elif f == 4:
            l = {}
            for g, gwt, gv in pb_fields(v):
                if g in (1, 2, 3): l[g] = gv
            locs[l.get(1, 0)] = (l.get(2, 0), l.get(3, 0))
        elif f == 13:
            comments.append(v)
    for m in mappings.values():
        m["file"] = strings[m.get(5, 0)] if m.get(5, 0) < len(strings) else ""
    out = []
    for ids, vals in samples:
        frames = [locs.get(i, (0, 0)) for i in ids]
        out.append(([(mappings.get(mid), a) for mid, a in frames], vals[0] if vals else 1))
    return out, [strings[c] for c in comments if c < len(strings)]


class Symbols:
    """Function of an object address, from nm of the file and of its debug file."""
    def __init__(self):
        self.cache, self.loads = {}, {}

    def _table(self, path):
        if path in self.cache:
            return self.cache[path]
        syms = {}
        files = [path]
        try:
            bid = re.search(r"Build ID: ([0-9a-f]+)", subprocess.run(
                ["readelf", "-n", path], capture_output=True, text=True).stdout)
            if bid:
                dbg = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid.group(1)[:2], bid.group(1)[2:])
                if os.path.exists(dbg):
                    files.append(dbg)
        except OSError:
            pass
        for f in files:
            for opt in (["-n", "-S", "--defined-only"], ["-D", "-n", "-S", "--defined-only"]):
                r = subprocess.run(["nm"] + opt + [f], capture_output=True, text=True)
                for line in r.stdout.splitlines():
                    p = line.split()
                    if len(p) == 4 and p[2] in "tTwWiI":
                        a, sz = int(p[0], 16), int(p[1], 16)
                        if sz and a not in syms:
                            syms[a] = (a + sz, p[3])
        keys = sorted(syms)
        self.cache[path] = (keys, [syms[k] for k in keys])
        return self.cache[path]

    def vaddr(self, path, off):
        """Object address of file offset off."""
        if path not in self.loads:
            segs = []
            r = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True)
            for line in r.stdout.splitlines():
                p = line.split()
                if p and p[0] == "LOAD":
                    segs.append((int(p[1], 16), int(p[2], 16), int(p[4], 16)))
            self.loads[path] = segs
        for o, v, sz in self.loads[path]:
            if o <= off < o + sz:
                return v + off - o
        return off

    def name(self, path, addr):
        keys, vals = self._table(path)
        i = bisect.bisect_right(keys, addr) - 1
        if i >= 0 and addr < vals[i][0]:
            return vals[i][1]
        return "?%s+%x" % (os.path.basename(path), addr)


def run(label, cmd, hz, perf_hz, check):
    for tool in ("perf", "nm", "readelf"):
        if not shutil.which(tool):
            say(check, "SKIP", label + "_stacks", "%s not found (CI installs linux-perf, binutils)" % tool)
            return
    tmp = tempfile.mkdtemp(prefix="pprof-real-")
    prof, pdata = os.path.join(tmp, "cpu.pb.gz"), os.path.join(tmp, "perf.data")
    # the variables go to the program alone (perf would profile itself with them)
    r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(perf_hz),
                        "--call-graph", "dwarf,32768", "-o", pdata, "--", "env",
                        "LD_PRELOAD=" + os.path.abspath(LIBPPROF), "PPROF_CPU=" + prof,
                        "PPROF_CPU_HZ=%d" % hz] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not os.path.exists(pdata) or not os.path.exists(prof):
        say(check, "SKIP", label + "_stacks", "perf record failed here: %s" % r.stderr.strip()[-200:])
        shutil.rmtree(tmp, True)
        return
    S = Symbols()
    # perf: user-space frames of the program's own threads, as (file, object address)
    ps = subprocess.run(["perf", "script", "-i", pdata, "-F", "comm,ip,dso"],
                        capture_output=True, text=True).stdout
    perf_samples, cur = [], None
    for line in ps.splitlines():
        if not line.strip():
            if cur: perf_samples.append(cur)
            cur = None
            continue
        if not line.startswith((" ", "\t")):
            cur = []
            continue
        m = re.match(r"\s*([0-9a-f]+)\s+\((.*)\)\s*$", line)
        if m and cur is not None and not m.group(2).startswith("[") and "libpprof" not in m.group(2):
            cur.append((m.group(2), int(m.group(1), 16)))
    if cur: perf_samples.append(cur)
    perf_samples = [(s, 1) for s in perf_samples if s]

    pp, comments = read_pprof(prof)
    whole = None
    for c in comments:
        m = re.search(r"stacks \(walker \w+\): (\d+), (\d+) whole", c)
        if m:
            whole = (int(m.group(1)), int(m.group(2)))
    pp_samples, notcode = [], 0
    for frames, w in pp:
        w = max(1, w)
        fr = []
        for i, (m, a) in enumerate(frames):
            f = m["file"] if m else ""
            if not f.startswith("/"):
                if f not in ("[vdso]",) and not (i == 0 and "pprof__" in f):
                    notcode += 1
                fr.append(("?", a))
                continue
            off = a - m.get(2, 0) + m.get(4, 0)
            fr.append((f, S.vaddr(f, off) + (1 if i else 0))) # callers: return addresses
        pp_samples.append((fr, w))

    def fn(f, a, leaf):
        return "?" if f == "?" else S.name(f, a if leaf else a - 1)

    def callers(samples, leafname):
        hot = collections.Counter()
        for s, w in samples:
            if len(s) < 2: continue
            lf = s[0]
            if lf[0] == "?" or not lf[0].endswith(tuple(".so.%d" % d for d in range(10))) and ".so" not in lf[0]:
                continue
            if fn(lf[0], lf[1], True) == leafname:
                hot[fn(s[1][0], s[1][1], False)] += w
        return hot

    lib_leaves = collections.Counter()
    for s, _ in perf_samples:
        f, a = s[0]
        if ".so" in os.path.basename(f):
            lib_leaves[fn(f, a, True)] += 1
    verdicts = []
    for leaf, _ in lib_leaves.most_common(5):
        P, Q = callers(perf_samples, leaf), callers(pp_samples, leaf)
        np_, nq = sum(P.values()), sum(Q.values())
        if np_ < 40 or nq < 40:
            continue
        tv = 0.5 * sum(abs(P[k] / np_ - Q[k] / nq) for k in set(P) | set(Q))
        same_top = P.most_common(1)[0][0] == Q.most_common(1)[0][0]
        verdicts.append((leaf, np_, nq, tv, same_top, P.most_common(1)[0][0], Q.most_common(1)[0][0]))
    dp = statistics.median(len(s) for s, _ in perf_samples) if perf_samples else 0
    dq = statistics.median(len(s) for s, w in pp_samples for _ in range(w)) if pp_samples else 0
    wshare = whole[1] / whole[0] if whole and whole[0] else 0.0
    print("%s: pprof.h %d samples, %.1f%% whole, %d frames not code, median depth %g; perf %d "
          "samples, median depth %g" % (label, whole[0] if whole else 0, 100 * wshare, notcode,
                                        dq, len(perf_samples), dp))
    for leaf, np_, nq, tv, same, tp, tq in verdicts:
        print("  %-40s callers: perf %4d, pprof.h %4d samples, difference %.2f, top %s%s" %
              (leaf[:40], np_, nq, tv, tp[:40], "" if same else " (pprof.h: %s)" % tq[:40]))
    if check:
        say(check, "PASS" if wshare >= 0.99 else "FAIL", label + "_stacks_whole",
            "%.2f%% of %d samples whole" % (100 * wshare, whole[0] if whole else 0))
        say(check, "PASS" if notcode == 0 else "FAIL", label + "_no_frame_is_not_code",
            "%d frames outside every executable mapping" % notcode)
        bad = [v for v in verdicts if v[3] > 0.15 or not v[4]]
        if not verdicts:
            say(check, "FAIL", label + "_library_callers_match_perf",
                "no library function with 40 samples in both profiles")
        else:
            say(check, "PASS" if not bad else "FAIL", label + "_library_callers_match_perf",
                "; ".join("%s differs by %.2f, top caller perf %s, pprof.h %s" %
                          (v[0], v[3], v[5], v[6]) for v in bad))
    shutil.rmtree(tmp, True)


def say(check, status, name, why=""):
    if check or status != "PASS":
        print("%s  %s%s" % (status, name, (": " + why) if why and status != "PASS" else ""))


def main():
    a = sys.argv[1:]
    check, hz, perf_hz = False, 1000, 999
    while a and a[0].startswith("--") and a[0] != "--":
        if a[0] == "--check": check = True; a = a[1:]
        elif a[0] == "--hz": hz = int(a[1]); a = a[2:]
        elif a[0] == "--perf-hz": perf_hz = int(a[1]); a = a[2:]
        else: sys.exit("unknown option " + a[0])
    label = a[0]
    cmd = a[a.index("--") + 1:]
    run(label, cmd, hz, perf_hz, check)


if __name__ == "__main__":
    main()
