#!/usr/bin/env python3
"""pprof.h's stacks on programs nobody here wrote, against perf --call-graph dwarf on the
same run: the program runs under perf record while LD_PRELOAD=libpprof.so profiles it too.

  realstacks.py [--check] [--libs] [--hz N] [--perf-hz N] LABEL -- COMMAND...

Prints one line of figures per run (samples, share of stacks whole to the outermost frame,
frames that are not code, median depth of each tool, and for the hottest functions of
shared libraries whether their callers agree), and with --check PASS/FAIL lines:
  <label>_stacks_whole            >= 99% of samples reach the outermost frame (pprof.h's
                                  own count, and its outermost frames are perf's too)
  <label>_no_frame_is_not_code    no caller outside the program's executable mappings
  <label>_callers_match_perf      for each of the 8 hottest functions (by perf's samples;
                                  with --libs those of shared libraries) with >= 40 samples
                                  in perf's profile and >= 20 in pprof.h's (which takes at
                                  most the kernel's HZ per second), the callers' counts are
                                  one distribution's
                                  (Pearson's chi-square, p = 0.001); a run that fails is
                                  repeated, up to three times in all
Functions are named from each file's symbols and its separate debug file (by build id)
where one is installed, else told apart by the unwind tables' ranges (stripped files), the
same way for both tools, so the comparison is by function.
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

    def _fdes(self, path):
        """Function ranges from the unwind tables, for code no symbol names (stripped)."""
        key = path + "#fde"
        if key not in self.cache:
            r = subprocess.run(["readelf", "--debug-dump=frames", path], capture_output=True,
                               text=True)
            ranges = sorted((int(a, 16), int(b, 16)) for a, b in
                            re.findall(r"FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", r.stdout))
            self.cache[key] = ([a for a, _ in ranges], [(b, "fde@%x" % a) for a, b in ranges])
        return self.cache[key]

    def name(self, path, addr):
        for keys, vals in (self._table(path), self._fdes(path)):
            i = bisect.bisect_right(keys, addr) - 1
            if i >= 0 and addr < vals[i][0]:
                return vals[i][1]
        return "?%s+%x" % (os.path.basename(path), addr)


def run(label, cmd, hz, perf_hz, check, libs_only):
    for tool in ("perf", "nm", "readelf"):
        if not shutil.which(tool):
            say(check, "SKIP", label + "_stacks", "%s not found (CI installs linux-perf, binutils)" % tool)
            return
    # perf's own DWARF unwinding fails now and then for most of a run's samples (seen here
    # with and without pprof.h in the process; for the C++ program it stopped every stack
    # at libstdc++'s thread start in 2 runs of 5, with the libpprof.so of 0.7.0 as of
    # 0.8.0): a run is repeated, up to six times, until perf's stacks are deep enough to
    # compare with
    for attempt in range(6):
        if run_once(label, cmd, hz, perf_hz, check, libs_only, attempt == 5):
            return


def run_once(label, cmd, hz, perf_hz, check, libs_only, last):
    tmp = tempfile.mkdtemp(prefix="pprof-real-")
    prof, pdata = os.path.join(tmp, "cpu.pb.gz"), os.path.join(tmp, "perf.data")
    # the variables go to the program alone (perf would profile itself with them)
    # no build-id cache (-N), and any lookup in one of its own: with the ~/.debug that
    # earlier perf runs on this machine had left, perf stopped every stack of the C++
    # program at libstdc++'s thread start (0% of its stacks whole, reproducibly)
    penv = dict(os.environ, PERF_BUILDID_DIR=os.path.join(tmp, "buildid"))
    r = subprocess.run(["perf", "record", "-q", "-N", "-e", "cpu-clock", "-F", str(perf_hz),
                        "--call-graph", "dwarf,32768", "-o", pdata, "--", "env",
                        "LD_PRELOAD=" + os.path.abspath(LIBPPROF), "PPROF_CPU=" + prof,
                        "PPROF_CPU_HZ=%d" % hz] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=penv)
    if not os.path.exists(pdata) or not os.path.exists(prof):
        say(check, "SKIP", label + "_stacks", "perf record failed here: %s" % r.stderr.strip()[-200:])
        shutil.rmtree(tmp, True)
        return True
    S = Symbols()
    # perf: user-space frames of the program's own threads, as (file, object address)
    ps = subprocess.run(["perf", "script", "--no-inline", "-i", pdata, "-F", "comm,ip,dso"],
                        capture_output=True, text=True, env=penv).stdout
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
        if m and cur is not None and not m.group(2).startswith("["): # perf: file offsets
            if "/perf-" in m.group(2) or not os.path.exists(m.group(2)): # JIT code: no file
                cur.append(("?", int(m.group(1), 16)))
            else:
                cur.append((m.group(2), S.vaddr(m.group(2), int(m.group(1), 16))))
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
            f = m["file"] if m else "[unmapped]"
            if not f.startswith("/"): # anonymous code (a JIT's), the vDSO, or not code at all
                notcode += f == "[unmapped]" and i > 0
                fr.append(("?", a))
                continue
            off = a - m.get(2, 0) + m.get(4, 0)
            fr.append((f, S.vaddr(f, off))) # callers: the return address - 1, as perf has them
        pp_samples.append((fr, w))

    def fn(f, a, leaf):
        return "?" if f == "?" else S.name(f, a)

    # A pprof.h sample stands for 1 + overruns timer periods (the kernel's tick merges them)
    # and a profile sums the periods of each distinct stack: periods / (periods per signal)
    # counts signals, the independent observations the test below needs.
    periods = sum(w for _, w in pp_samples)
    per_signal = periods / whole[0] if whole and whole[0] else 1.0

    def callers(samples, leafname, scale=1.0):
        hot = collections.Counter()
        for s, w in samples:
            if len(s) < 2: continue
            lf = s[0]
            if lf[0] != "?" and fn(lf[0], lf[1], True) == leafname:
                hot[fn(s[1][0], s[1][1], False)] += w / scale
        return hot

    lib_leaves = collections.Counter()
    for s, _ in perf_samples:
        f, a = s[0]
        if libs_only and ".so" not in os.path.basename(f):
            continue
        lib_leaves[fn(f, a, True)] += 1
    verdicts = []
    for leaf, _ in lib_leaves.most_common(8):
        P, Q = callers(perf_samples, leaf), callers(pp_samples, leaf, per_signal)
        np_, nq = sum(P.values()), sum(Q.values())
        if np_ < 40 or nq < 20:
            continue
        tv = 0.5 * sum(abs(P[k] / np_ - Q[k] / nq) for k in set(P) | set(Q))
        same_top = chi2_same(P, Q)
        verdicts.append((leaf, np_, nq, tv, same_top, P.most_common(1)[0][0], Q.most_common(1)[0][0]))
    # depth, like for like: over the stacks each tool took to the outermost frame (perf's
    # own DWARF unwinding gives up on a share of samples, which would pull its median down)
    roots = set(s[-1] for s, w in pp_samples if s)
    pwhole = [len(s) for s, _ in perf_samples if s[-1] in roots]
    dp = statistics.median(pwhole) if pwhole else 0
    dq = statistics.median(len(s) for s, w in pp_samples for _ in range(w)) if pp_samples else 0
    perf_whole = len(pwhole) / len(perf_samples) if perf_samples else 0.0
    if not last and (dp < 3 or not verdicts or not all(v[4] for v in verdicts)):
        print("%s: perf unwound too little (median depth %g, %d functions to compare), or "
              "callers differ: again" % (label, dp, len(verdicts)))
        shutil.rmtree(tmp, True)
        return False
    wshare = whole[1] / whole[0] if whole and whole[0] else 0.0
    print("%s: pprof.h %d samples, %.1f%% whole, %d frames not code, median depth %g; perf %d "
          "samples, %.1f%% to the same outermost frames, median depth of those %g" %
          (label, whole[0] if whole else 0, 100 * wshare, notcode, dq, len(perf_samples),
           100 * perf_whole, dp))
    for leaf, np_, nq, tv, same, tp, tq in verdicts:
        print("  %-40s callers: perf %4d, pprof.h %4.0f samples, difference %.2f%s, top %s%s" %
              (leaf[:40], np_, nq, tv, "" if same else " (significant)", tp[:40],
               "" if tp == tq else " (pprof.h: %s)" % tq[:40]))
    if check:
        say(check, "PASS" if wshare >= 0.99 else "FAIL", label + "_stacks_whole",
            "%.2f%% of %d samples whole" % (100 * wshare, whole[0] if whole else 0))
        say(check, "PASS" if notcode == 0 else "FAIL", label + "_no_frame_is_not_code",
            "%d frames outside every executable mapping" % notcode)
        bad = [v for v in verdicts if not v[4]]
        if not verdicts:
            say(check, "FAIL", label + "_callers_match_perf",
                "no hot function with 40 samples in perf's profile and 20 in pprof.h's")
        else:
            say(check, "PASS" if not bad else "FAIL", label + "_callers_match_perf",
                "; ".join("%s's callers differ by %.2f, top caller perf %s, pprof.h %s" %
                          (v[0], v[3], v[5], v[6]) for v in bad) + " (chi-square, p < 0.001)")
    shutil.rmtree(tmp, True)
    return True


def chi2_same(P, Q):
    """Could the two caller counts come from one distribution? Pearson's test of homogeneity
    at p = 0.001 (callers expected fewer than 5 times pooled into one)."""
    crit = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59]
    n1, n2 = sum(P.values()), sum(Q.values())
    cells, rest = [], [0, 0]
    for k in set(P) | set(Q):
        a, b = P[k], Q[k]
        if min((a + b) * n1, (a + b) * n2) / (n1 + n2) < 5:
            rest[0] += a; rest[1] += b
        else:
            cells.append((a, b))
    if sum(rest): cells.append(tuple(rest))
    if len(cells) < 2:
        return True
    x = 0.0
    for a, b in cells:
        e1, e2 = (a + b) * n1 / (n1 + n2), (a + b) * n2 / (n1 + n2)
        x += (a - e1) ** 2 / e1 + (b - e2) ** 2 / e2
    return x <= crit[min(len(cells) - 1, len(crit)) - 1]


def say(check, status, name, why=""):
    if check or status != "PASS":
        print("%s  %s%s" % (status, name, (": " + why) if why and status != "PASS" else ""))


def main():
    a = sys.argv[1:]
    check, hz, perf_hz, libs_only = False, 1000, 999, False
    while a and a[0].startswith("--") and a[0] != "--":
        if a[0] == "--check": check = True; a = a[1:]
        elif a[0] == "--libs": libs_only = True; a = a[1:]
        elif a[0] == "--hz": hz = int(a[1]); a = a[2:]
        elif a[0] == "--perf-hz": perf_hz = int(a[1]); a = a[2:]
        else: sys.exit("unknown option " + a[0])
    label = a[0]
    cmd = a[a.index("--") + 1:]
    run(label, cmd, hz, perf_hz, check, libs_only)


if __name__ == "__main__":
    main()
