#!/usr/bin/env python3
"""tests/goparity.sh's comparer: the same requests to Go's net/http/pprof (server.go) and to
pprof.h (server.c), side by side; one line per case:
    same  <case>
    known <case>: <the recorded deviation>
    DIFF  <case>: go=<...> pprof.h=<...>
Usage: compare.py GO_PORT C_PORT WORKDIR. Exit 1 if any DIFF.
Requests go over raw sockets (no client cleans paths or adds headers)."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

GO_PORT, C_PORT, WORK = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HEADERS = ["Content-Type", "Content-Disposition", "X-Content-Type-Options", "X-Go-Pprof",
           "Location", "Connection"]

# The deviations pprof.h records on purpose (spec ../shared/spec/go-pprof-protocol.md §9 and
# the places it names, §3.7, §4.1, §4.6): a difference that is one of them prints `known`.
KNOWN = {
    "chunked": "Content-Length instead of chunking: pprof.h builds each answer whole and "
               "sends its length; Go streams bodies over 2 KiB chunked (same bytes to a client)",
    "trace": "/trace is Chrome trace-event JSON of the CPU samples per thread (spec §9, §4.1): "
             "a C program cannot write Go's execution trace; status and Content-Disposition compared",
    "threads": "goroutines are threads: goroutine debug=2 is a thread dump, "
               "`thread <tid> [...]` per thread (spec §4.9, §3.6)",
    "head": "HEAD of a sampled endpoint is answered at once, with its Content-Disposition "
            "and no Content-Length (README: the length is not known without sampling N s); "
            "Go samples the whole window first",
    "delta": "cumulative-only deltas: seconds=N keeps in-use columns and thread counts absolute "
             "and subtracts only cumulative ones (spec §9, §3.7, golang/go#67942)",
}

# body modes whose size varies (profiles, text, the index): Go's framing follows the size
SIZED = ("profile", "delta", "text", "dump", "index", "head")

results = []  # kinds, one per case
by_diff = {}  # a difference -> the cases that show it


def report(kind, case, detail="", parts=None):
    results.append(kind)
    if kind == "DIFF":
        for d in parts or [detail]:
            by_diff.setdefault(d, []).append(case)
    if kind == "same":
        print(f"same  {case}", flush=True)
    elif kind == "known":
        print(f"known {case}: {detail}", flush=True)
    else:
        print(f"DIFF  {case}: {detail}", flush=True)


class Resp:
    def __init__(self):
        self.proto = self.status = self.reason = None
        self.headers = []  # (name, value) as sent
        self.body = b""
        self.framing = "none"
        self.error = None

    def h(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vals) if vals else None


class Conn:
    """One connection, requests written and answers read one at a time."""

    def __init__(self, port, timeout=20):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def _line(self):
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def _n(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, raw):
        self.s.sendall(raw)

    def read(self, head=False):
        r = Resp()
        try:
            line = self._line()
            parts = line.split(" ", 2)
            r.proto, r.status, r.reason = parts[0], int(parts[1]), (parts[2] if len(parts) > 2 else "")
            while True:
                line = self._line()
                if line == "":
                    break
                k, _, v = line.partition(":")
                r.headers.append((k.strip(), v.strip()))
            te, cl = r.h("Transfer-Encoding"), r.h("Content-Length")
            if te and "chunked" in te.lower():
                r.framing = "chunked"
            elif cl is not None:
                r.framing = "length"
            if head or r.status in (204, 304) or 100 <= r.status < 200:
                return r
            if r.framing == "chunked":
                while True:
                    n = int(self._line().split(";")[0], 16)
                    if n == 0:
                        while self._line() != "":
                            pass
                        break
                    r.body += self._n(n)
                    self._line()
            elif r.framing == "length":
                r.body = self._n(int(cl))
            else:
                try:
                    while True:
                        self._fill()
                except EOFError:
                    pass
                r.body, self.buf = self.buf, b""
        except (EOFError, OSError, ValueError, IndexError) as e:
            r.error = f"{type(e).__name__} {e}".strip()
        return r

    def closed(self, wait=1.0):
        """Whether the server closed the connection (EOF within `wait` seconds)."""
        if self.buf:
            return False
        self.s.settimeout(wait)
        try:
            return self.s.recv(1) == b""
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        self.s.close()


def request(method, path, headers=(), body=None, proto="HTTP/1.1"):
    lines = [f"{method} {path} {proto}"]
    if proto == "HTTP/1.1":
        lines.append("Host: 127.0.0.1")
    lines += list(headers)
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body.encode() if body else b"")


def both(fn):
    """fn(port, side) run for Go and pprof.h at once; returns (go, c)."""
    out = {}

    def run(side, port):
        try:
            out[side] = fn(port, side)
        except Exception as e:  # noqa: BLE001 -- a refused connection is an answer too
            out[side] = e
    ts = [threading.Thread(target=run, args=a) for a in (("go", GO_PORT), ("c", C_PORT))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out["go"], out["c"]


def fetch(port, raw, head=False):
    c = Conn(port)
    try:
        c.send(raw)
        return c.read(head)
    finally:
        c.close()


# --- body shapes -------------------------------------------------------------------------
def raw_types(data, side, case):
    """go tool pprof -raw of a profile: its period type and sample types and the sum of its
    last value, or why not."""
    path = os.path.join(WORK, re.sub(r"[^A-Za-z0-9]+", "_", case) + "." + side + ".pb")
    with open(path, "wb") as f:
        f.write(data)
    p = subprocess.run(["go", "tool", "pprof", "-raw", path], capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or "Samples:" not in p.stdout:
        return "go tool pprof -raw failed: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]
    lines = p.stdout.splitlines()
    ptype = next((l for l in lines if l.startswith("PeriodType:")), "PeriodType: none")
    i = lines.index("Samples:")
    types = lines[i + 1].strip()
    total = 0
    for l in lines[i + 2:]:
        m = re.match(r"((?:\s+-?\d+)+):", l)
        if m:
            total += int(m.group(1).split()[-1])  # the last value: inuse_space, goroutine count
        elif not l.startswith(" "):
            break
    return f"{ptype}; {types}", total


def first_line_shape(body):
    line = body.decode("utf-8", "replace").split("\n", 1)[0]
    return re.sub(r"\d+", "N", re.sub(r"0x[0-9a-f]+", "N", line))


def text_shape(case, body):
    """debug>=1 text: the header lines with numbers as N."""
    t = body.decode("utf-8", "replace")
    lines = t.split("\n")
    if case.startswith("block") or case.startswith("mutex"):
        head = lines[:3] if case.startswith("mutex") else lines[:2]
        return " | ".join(re.sub(r"\d+", "N", l) for l in head)
    return first_line_shape(body)


def index_rows(body):
    t = body.decode("utf-8", "replace")
    rows = re.findall(r"<tr><td>(\d+)</td><td><a href='([^']*)'>([^<]*)</a></td></tr>", t)
    dump = 'href="goroutine?debug=2"' in t
    title = "<title>/debug/pprof/</title>" in t
    return [(href, name) for _, href, name in rows], dump, title, {n: int(c) for c, _, n in rows}


def cmdline_shape(body):
    args = body.split(b"\0")
    return [os.path.basename(args[0].decode(errors="replace"))] + [a.decode(errors="replace") for a in args[1:]] \
        + (["<trailing NUL>"] if body.endswith(b"\0") else [])


def body_shape(mode, case, r, side):
    if mode == "exact":
        return repr(r.body)
    if mode in ("empty", "head"):
        return f"{len(r.body)} bytes"
    if mode in ("profile", "delta"):
        if r.status != 200:
            return repr(r.body[:200])
        t = raw_types(r.body, side, case)
        return t if isinstance(t, str) else t[0]
    if mode in ("text", "dump"):
        return text_shape(case, r.body) if r.status == 200 else repr(r.body[:200])
    if mode == "index":
        rows, dump, title, _ = index_rows(r.body)
        return f"rows={rows} full-dump-link={dump} title={title}"
    if mode == "cmdline":
        return repr(cmdline_shape(r.body))
    return None  # not compared


def fields(r, mode, case, side, closed=None):
    """What is compared of an answer, as (field, value) in order."""
    if isinstance(r, Exception):
        return [("error", f"{type(r).__name__}: {r}")]
    out = []
    if r.error:
        out.append(("error", r.error))
    out += [("status", f"{r.proto} {r.status}")]
    out += [(h, r.h(h)) for h in HEADERS]
    out += [("Date", "present" if r.h("Date") else "absent"), ("framing", r.framing)]
    if closed is not None:
        out.append(("closed", closed))
    b = body_shape(mode, case, r, side)
    if b is not None:
        out.append(("body", b))
    if mode == "delta" and r.status == 200 and getattr(r, "now", None) is not None:
        # in-use bytes (heap), goroutines (threads): Go subtracts the values at the window's
        # start (a steady workload: about zero), pprof.h keeps them absolute (as in the
        # profile fetched right after)
        t = raw_types(r.body, side, case)
        out.append(("in-use values", t if isinstance(t, str) else
                    "absolute" if t[1] == r.now != 0 else "subtracted"))
    return out


def compare(case, g, c, mode, gclosed=None, cclosed=None, extra_known=None):
    """Compares two answers (Resp or exception); prints the case's line."""
    fg = fields(g, mode, case, "go", gclosed)
    fc = dict(fields(c, mode, case, "c", cclosed))
    diffs, known = [], []
    for k, gv in fg:
        cv = fc.get(k)
        if gv == cv:
            continue
        reason = None
        if k == "framing" and cv == "length" and gv in ("chunked", "none") and (
                mode in SIZED or int(c.h("Content-Length") or 0) >= 2048):
            # Go sends a length only for an answer that fits its 2 KiB buffer; a larger one
            # goes chunked, or (HEAD, HTTP/1.0) with no length, the connection's end closing it
            reason = KNOWN["chunked"]
        elif extra_known:
            reason = extra_known(k, gv, cv)
        if reason:
            if reason not in known:
                known.append(reason)
        else:
            diffs.append(f"{k}: go={gv!r} pprof.h={cv!r}")
    for k in fc:
        if k not in dict(fg):
            diffs.append(f"{k}: go=<none> pprof.h={fc[k]!r}")
    if diffs:
        report("DIFF", case, "; ".join(diffs), diffs)
    elif known:
        report("known", case, " / ".join(known))
    else:
        report("same", case)


def simple(case, method, path, mode, headers=(), body=None, extra_known=None):
    raw = request(method, path, headers, body)
    g, c = both(lambda port, side: fetch(port, raw, head=(method == "HEAD")))
    compare(case, g, c, mode, extra_known=extra_known)
    return g, c


def known_trace(k, gv, cv):
    if k in ("Content-Type", "framing", "X-Content-Type-Options"):
        return KNOWN["trace"]
    if k == "Content-Disposition" and gv == 'attachment; filename="trace"' and \
            cv == 'attachment; filename="trace.json"':
        return KNOWN["trace"] + " (so its file is named .json)"
    return None


def known_head(k, gv, cv):
    if k == "framing" and cv == "none":
        return KNOWN["head"]
    return None


def known_threads(k, gv, cv):
    if k == "body" and gv.startswith("goroutine N [") and cv.startswith("thread N ["):
        return KNOWN["threads"]
    return None


# --- the cases ---------------------------------------------------------------------------
def endpoints():
    simple("GET /debug/pprof/ (index)", "GET", "/debug/pprof/", "index")
    simple("GET cmdline", "GET", "/debug/pprof/cmdline", "cmdline")
    simple("GET symbol", "GET", "/debug/pprof/symbol", "exact")
    simple("GET symbol?0x1234+0x5678", "GET", "/debug/pprof/symbol?0x1234+0x5678", "exact")
    simple("POST symbol body 0x1234+0x5678", "POST", "/debug/pprof/symbol", "exact", body="0x1234+0x5678")
    for name in ("heap", "allocs", "block", "mutex", "goroutine", "threadcreate"):
        simple(f"GET {name}", "GET", f"/debug/pprof/{name}", "profile")
        simple(f"GET {name}?debug=1", "GET", f"/debug/pprof/{name}?debug=1", "text")
    simple("GET goroutine?debug=2", "GET", "/debug/pprof/goroutine?debug=2", "dump", extra_known=known_threads)
    simple("GET nosuch", "GET", "/debug/pprof/nosuch", "exact")
    simple("GET symbol/x", "GET", "/debug/pprof/symbol/x", "exact")
    simple("GET heap?seconds=x", "GET", "/debug/pprof/heap?seconds=x", "exact")
    simple("GET heap?seconds=0", "GET", "/debug/pprof/heap?seconds=0", "exact")
    simple("GET heap?debug=x", "GET", "/debug/pprof/heap?debug=x", "profile")
    simple("GET heap?seconds=1&debug=1", "GET", "/debug/pprof/heap?seconds=1&debug=1", "exact")
    simple("GET cmdline?seconds=1", "GET", "/debug/pprof/cmdline?seconds=1", "cmdline")


def timed():
    """The 1-second windows: each case on both servers at once, cases one after another
    (the CPU ones must not overlap: a second CPU profile gets 500, as in Go)."""
    def cpu_twice(port, side):
        first = {}
        t = threading.Thread(target=lambda: first.update(
            r=fetch(port, request("GET", "/debug/pprof/profile?seconds=1"))))
        t.start()
        time.sleep(0.3)
        second = fetch(port, request("GET", "/debug/pprof/profile?seconds=1"))
        t.join()
        return first.get("r", Exception("no answer")), second
    g, c = both(cpu_twice)
    compare("GET profile?seconds=1", g[0], c[0], "profile")
    compare("GET profile?seconds=1 while one runs (500)", g[1], c[1], "exact")
    simple("GET trace?seconds=1", "GET", "/debug/pprof/trace?seconds=1", None, extra_known=known_trace)
    for name in ("heap", "goroutine"):
        def delta(port, side):
            r = fetch(port, request("GET", f"/debug/pprof/{name}?seconds=1"))
            now = fetch(port, request("GET", f"/debug/pprof/{name}"))
            t = raw_types(now.body, side, name + "_now") if now.status == 200 else "?"
            r.now = None if isinstance(t, str) else t[1]
            return r
        g, c = both(delta)
        compare(f"GET {name}?seconds=1 (delta)", g, c, "delta",
                extra_known=lambda k, gv, cv: KNOWN["delta"] if k == "in-use values" else None)
    simple("HEAD profile?seconds=1", "HEAD", "/debug/pprof/profile?seconds=1", "head",
           extra_known=known_head)
    simple("POST profile form seconds=1", "POST", "/debug/pprof/profile", "profile",
           headers=["Content-Type: application/x-www-form-urlencoded"], body="seconds=1")


def methods():
    for path, mode in (("/debug/pprof/", "index"), ("/debug/pprof/heap", "profile")):
        for m in ("HEAD", "POST", "PUT", "DELETE", "OPTIONS", "FOO"):
            simple(f"{m} {path}", m, path, "head" if m == "HEAD" else mode)
    form = ["Content-Type: application/x-www-form-urlencoded"]
    simple("POST heap form debug=1", "POST", "/debug/pprof/heap", "text", headers=form, body="debug=1")
    simple("POST heap?debug=0 form debug=1 (body first)", "POST", "/debug/pprof/heap?debug=0", "text",
           headers=form, body="debug=1")
    simple("POST heap?debug=1 form debug=0 (body first)", "POST", "/debug/pprof/heap?debug=1", "profile",
           headers=form, body="debug=0")
    simple("POST heap form seconds=x", "POST", "/debug/pprof/heap", "exact", headers=form, body="seconds=x")


def cleaning():
    for path in ("//debug/pprof/heap", "/debug/pprof/./heap", "/debug/pprof/../pprof/heap",
                 "/debug/pprof", "/debug//pprof/heap?debug=1", "/debug/pprof/heap/", "/debug/pprof/x/../heap"):
        for m in ("GET", "HEAD", "POST"):
            simple(f"{m} {path}", m, path, "empty" if m == "HEAD" else "exact")


def connections():
    # two requests on one kept connection, then a third with Connection: close
    def keep(port, side):
        c = Conn(port)
        out = []
        for raw, head in ((request("GET", "/debug/pprof/cmdline"), False),
                          (request("HEAD", "/debug/pprof/heap"), True),
                          (request("GET", "/debug/pprof/symbol"), False),
                          (request("GET", "/debug/pprof/nosuch", ["Connection: close"]), False)):
            c.send(raw)
            out.append(c.read(head))
        out.append(c.closed(3))
        c.close()
        return out
    g, c = both(keep)
    if isinstance(g, Exception) or isinstance(c, Exception):
        report("DIFF", "keep-alive", f"go={g!r} pprof.h={c!r}")
    else:
        compare("keep-alive: 1st GET cmdline", g[0], c[0], "cmdline")
        compare("keep-alive: 2nd HEAD heap", g[1], c[1], "head")
        compare("keep-alive: 3rd GET symbol", g[2], c[2], "exact")
        compare("keep-alive: 4th Connection: close, then closed", g[3], c[3], "exact", g[4], c[4])

    def pipelined(port, side):
        c = Conn(port)
        c.send(request("GET", "/debug/pprof/symbol") + request("GET", "/debug/pprof/nosuch"))
        out = [c.read(), c.read(), c.closed(0.5)]
        c.close()
        return out
    g, c = both(pipelined)
    if isinstance(g, Exception) or isinstance(c, Exception):
        report("DIFF", "pipelined", f"go={g!r} pprof.h={c!r}")
    else:
        compare("pipelined: 1st GET symbol", g[0], c[0], "exact")
        compare("pipelined: 2nd GET nosuch, kept open", g[1], c[1], "exact", g[2], c[2])

    def one(raw, head=False, wait=3):
        def f(port, side):
            c = Conn(port)
            c.send(raw)
            r = c.read(head)
            cl = c.closed(wait)
            c.close()
            return r, cl
        return f
    for case, raw, mode in (
            ("GET heap?debug=1 Connection: close", request("GET", "/debug/pprof/heap?debug=1", ["Connection: close"]), "text"),
            ("HTTP/1.0 GET symbol", request("GET", "/debug/pprof/symbol", proto="HTTP/1.0"), "exact"),
            ("HTTP/1.0 GET heap?debug=1", request("GET", "/debug/pprof/heap?debug=1", proto="HTTP/1.0"), "text"),
            ("HTTP/1.0 keep-alive GET symbol", request("GET", "/debug/pprof/symbol", ["Connection: keep-alive"],
                                                       proto="HTTP/1.0"), "exact"),
            ("HTTP/1.1 GET symbol, kept open", request("GET", "/debug/pprof/symbol"), "exact")):
        g, c = both(one(raw, wait=3 if "open" not in case and "keep-alive" not in case else 0.5))
        if isinstance(g, Exception) or isinstance(c, Exception):
            report("DIFF", case, f"go={g!r} pprof.h={c!r}")
        else:
            compare(case, g[0], c[0], mode, g[1], c[1])


def index_counts():
    """The index's counts: nonzero where the workload makes records (both); pprof.h's equal to
    the records of the profile fetched right after."""
    names = ("block", "mutex", "threadcreate", "goroutine", "heap", "allocs")

    def records(name, body):
        t = body.decode("utf-8", "replace")
        m = re.match(r"(goroutine|threadcreate) profile: total (\d+)", t)
        if m:
            return int(m.group(2))
        if name in ("heap", "allocs"):
            return len(re.findall(r"(?m)^\d+: \d+ \[\d+: \d+\] @", t))
        return len(re.findall(r"(?m)^\d+ \d+ @", t))

    def counts(port, side):
        for attempt in range(3):
            _, _, _, idx = index_rows(fetch(port, request("GET", "/debug/pprof/")).body)
            got = {n: records(n, fetch(port, request("GET", f"/debug/pprof/{n}?debug=1")).body) for n in names}
            if all(idx.get(n) == got[n] for n in names):
                break
        return idx, got
    (gi, gr), (ci, cr) = both(counts)
    for n in names:
        case = f"index count {n}"
        bad = []
        if n in ("block", "mutex", "threadcreate", "goroutine"):
            if not gi.get(n):
                bad.append(f"go index count {gi.get(n)} (want > 0)")
            if not ci.get(n):
                bad.append(f"pprof.h index count {ci.get(n)} (want > 0)")
        if ci.get(n) != cr[n]:
            bad.append(f"pprof.h index {ci.get(n)} != {cr[n]} records in {n}?debug=1")
        if bad:
            report("DIFF", case, f"go={gi.get(n)} (profile {gr[n]}) pprof.h={ci.get(n)} (profile {cr[n]}): "
                   + "; ".join(bad))
        else:
            report("same", case)


t0 = time.time()
endpoints()
methods()
cleaning()
connections()
index_counts()
timed()
n = {k: results.count(k) for k in ("same", "known", "DIFF")}
for d, cases in by_diff.items():  # each difference once, with its cases (tests/all.sh's detail)
    print(f"diff: {d} [{len(cases)}: {', '.join(cases[:3])}{', ...' if len(cases) > 3 else ''}]")
print(f"{n['same']} same, {n['known']} known, {n['DIFF']} DIFF in {time.time() - t0:.1f} s", flush=True)
sys.exit(1 if n["DIFF"] else 0)
