#!/usr/bin/env python3
"""tulpar's benchmark driver: tulpar against minimal reference servers.

Runs tests/bench/loadgen against ./tulpar and the references (refserver for
Gemini, reftcp for Gopher) on loopback, server pinned to one CPU and load
generator to another, reference and tulpar interleaved in every round, and
prints one table with the targets of issue 4 and PASS/FAIL.

    bench.py            the full run (about two minutes)
    bench.py --smoke    every scenario very briefly; ends "N passed, M failed"

What it measures, in this order:
- idle memory: fresh servers, 20 warm-up requests, then the PSS of their
  anonymous memory (Pss_Anon in smaps_rollup, summed over the server's
  processes; see pss_anon_kib) before and after BENCH_IDLE idle
  connections (TLS: handshake done; Gopher: connected, nothing sent),
  divided by their number; tulpar's idle VmRSS (summed) and PSS;
- hold: BENCH_HOLD idle TLS connections on one tulpar while two more
  loadgen runs (Gemini, Gopher) must be served without error;
- throughput: every round runs each scenario (Gemini full handshake, Gemini
  with resumption, Gopher) against the reference and tulpar, alternating
  which goes first, at BENCH_CONCURRENCY; server CPU time (utime+stime of
  /proc/PID/stat, summed over the process tree) per request, ratio to the
  reference of the same round, req/s, p99. Resumption is compared with the
  reference's full handshake (the target), and with its resumption. Each
  Gemini scenario also measures tlsfloor (tlsfloor.c), the least a request
  can cost through OpenSSL here, for information: it shows how low a target
  can be met at all.
- clients: in the same rounds, against the reference and tulpar, latency
  as one reader sees it (sequential requests, -c 1: median and p99 per
  request, full and resumed TLS 1.3 handshakes, with Nagle's algorithm off
  and on; on is how Python's ssl and Lagrange keep their sockets), and
  resumption at BENCH_CONCURRENCY for two kinds of client: one that uses
  each ticket once (RFC 8446 C.4) and one that keeps offering its first
  (Lagrange): how many handshakes resumed, and CPU per request.
CPU time per request does not depend on how busy the machine is; req/s
and p99 do, and a multi-process server gets a larger share of a contended
CPU than the single-process references.

Environment: BENCH_ROUNDS (5), BENCH_SECONDS (3), BENCH_CONCURRENCY (64),
BENCH_IDLE (1000 idle connections), BENCH_HOLD (10000 held connections),
BENCH_HOLD_FLAGS (tulpar flags for the hold test, "-m 12000 -t 60"),
BENCH_TULPAR_FLAGS (extra tulpar flags everywhere, e.g. "-w 2"),
BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_GEMINI_PATH (/timeline.gmi),
BENCH_GOPHER_SELECTOR (/), TULPAR (./tulpar), BENCH_ONLY=rate (only the
rate-limit rows, tests/bench/ratebench.py), BENCH_ONLY=search (only the
search rows, tests/bench/searchbench.py), BENCH_KEEP=1 (keep the
temporary directory with the servers' logs), BENCH_STRICT=1 (exit 1 when a
target fails).
"""

import atexit
import json
import os
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import ratebench  # issue 16: rate limits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOADGEN = os.path.join(HERE, "loadgen")
REFSERVER = os.path.join(HERE, "refserver")
REFTCP = os.path.join(HERE, "reftcp")
TLSFLOOR = os.path.join(HERE, "tlsfloor")
TICK = os.sysconf("SC_CLK_TCK")


def env_num(name, default, kind=int):
    v = os.environ.get(name, "")
    return kind(v) if v.strip() else default


# The suites in other files (searchbench.py…) import this module as bench.
sys.modules.setdefault("bench", sys.modules[__name__])

ROUNDS = env_num("BENCH_ROUNDS", 5)
SECONDS = env_num("BENCH_SECONDS", 3.0, float)
CONC = env_num("BENCH_CONCURRENCY", 64)
IDLE = env_num("BENCH_IDLE", 1000)
HOLD = env_num("BENCH_HOLD", 10000)
HOLD_FLAGS = shlex.split(os.environ.get("BENCH_HOLD_FLAGS", "-m 12000 -t 60"))
TULPAR_FLAGS = shlex.split(os.environ.get("BENCH_TULPAR_FLAGS", ""))
GEMINI_PATH = os.environ.get("BENCH_GEMINI_PATH", "/timeline.gmi")
GOPHER_SEL = os.environ.get("BENCH_GOPHER_SELECTOR", "/")
TULPAR = os.path.abspath(os.environ.get("TULPAR", os.path.join(ROOT, "tulpar")))


def log(msg):
    print("# " + msg, flush=True)


# --- processes -------------------------------------------------------------

def pin(cpu_var, default):
    """taskset prefix for one side, or nothing on a one-CPU machine."""
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", os.environ.get(cpu_var, str(default))]


def proc_tree(root):
    """The root PID and all its descendants (workers are child processes)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    tree, todo = [], [root]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_seconds(root):
    """utime+stime (fields 14, 15) of the tree, plus reaped children (16, 17)."""
    ticks = 0
    for p in proc_tree(root):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is field 3 (state): field n is fields[n - 3]
        ticks += sum(int(fields[n - 3]) for n in (14, 15, 16, 17))
    return ticks / TICK


def mem_kib(root, path, key):
    total = 0
    for p in proc_tree(root):
        try:
            with open("/proc/%d/%s" % (p, path)) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pss_kib(root):
    return mem_kib(root, "smaps_rollup", "Pss")


def pss_anon_kib(root):
    """PSS of anonymous memory: what connections cost. The file-backed part
    of PSS shrinks when another process (the load generator holding the
    connections) maps the same libraries, which made whole-PSS deltas read
    about 1.4 KiB per connection low."""
    return mem_kib(root, "smaps_rollup", "Pss_Anon")


def rss_kib(root):
    return mem_kib(root, "status", "VmRSS")


def fd_count(root):
    n = 0
    for p in proc_tree(root):
        try:
            n += len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            pass
    return n


def free_port(taken=set()):
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def listening(port):
    """Whether 127.0.0.1:port is in LISTEN state (no connection made)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return any(l.split()[1] == want and l.split()[3] == "0A"
                   for l in f.readlines()[1:])


class Server:
    """One server process pinned to the server CPU; stderr to a log file."""
    live = []

    def __init__(self, name, argv, ports, logpath):
        self.name, self.logpath = name, logpath
        self.logf = open(logpath, "ab")  # O_APPEND, so truncating is safe
        self.proc = subprocess.Popen(pin("BENCH_SERVER_CPU", 0) + argv,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)
        Server.live.append(self)
        deadline = time.time() + 10
        while not all(listening(p) for p in ports):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("%s did not start: %s" %
                                   (name, self.log_tail()))
            time.sleep(0.05)
        self.pid = self.proc.pid

    def log_tail(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read()[-300:].decode(errors="replace").strip()
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def truncate_log(self):
        os.truncate(self.logpath, 0)

    def stop(self):
        if self in Server.live:
            Server.live.remove(self)
        tree = proc_tree(self.proc.pid) if self.alive() else []
        for p in tree:
            try:
                os.kill(p, signal.SIGTERM)
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            for p in tree:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.wait(5)
        self.logf.close()


def stop_all():
    for s in list(Server.live):
        s.stop()


# --- load generator ----------------------------------------------------------

def loadgen_argv(url, args):
    return pin("BENCH_CLIENT_CPU", 1) + [LOADGEN, "-q", "-a", "127.0.0.1"] + \
        [str(a) for a in args] + [url]


def loadgen(url, *args, limit=120):
    """Runs loadgen to its end; returns its JSON line as a dict."""
    p = subprocess.run(loadgen_argv(url, args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=limit, check=False)
    lines = p.stdout.decode().strip().splitlines()
    if p.returncode != 0 or not lines:
        raise RuntimeError("loadgen %s failed: %s" %
                           (url, p.stderr.decode().strip()))
    return json.loads(lines[-1])


class Holder:
    """A loadgen in idle mode: open n connections, hold them until stopped."""

    def __init__(self, url, n, conc=64, hold=120, limit=180):
        self.proc = subprocess.Popen(
            loadgen_argv(url, ["-i", n, "-c", conc, "-d", hold]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.limit = limit

    def wait_holding(self):
        """Blocks until loadgen says "holding N"; returns N, or -1."""
        deadline = time.time() + self.limit
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 1)
            if r:
                line = self.proc.stdout.readline().decode()
                if not line:
                    return -1
                if line.startswith("holding "):
                    return int(line.split()[1])
        return -1

    def finish(self):
        """Ends the hold (SIGTERM); returns loadgen's JSON line as a dict."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        lines = out.decode().strip().splitlines()
        if not lines or not lines[-1].startswith("{"):
            raise RuntimeError("loadgen hold failed: " + err.decode())
        return json.loads(lines[-1])


# --- the suite ---------------------------------------------------------------

def retried(start):
    """A server start, tried again when its free port was taken meanwhile."""
    def wrapper(*args, **kw):
        for attempt in range(3):
            try:
                return start(*args, **kw)
            except RuntimeError:
                if attempt == 2:
                    raise
    return wrapper


class Bench:
    def __init__(self, tmp, smoke):
        self.tmp, self.smoke = tmp, smoke
        self.certdir = os.path.join(tmp, "certs")
        os.mkdir(self.certdir)
        self.crt = os.path.join(self.certdir, "localhost.crt")
        self.key = os.path.join(self.certdir, "localhost.key")
        self.notes = []
        self.sizes = (2048, 2048)

    @retried
    def start_tulpar(self, extra=(), logname="tulpar.log"):
        gp, pp = free_port(), free_port()
        argv = [TULPAR, "-d", os.path.join(ROOT, "capsule"), "-T",
                self.certdir, "-H", "localhost", "-G", "127.0.0.1:%d" % gp,
                "-P", "127.0.0.1:%d" % pp] + TULPAR_FLAGS + list(extra)
        s = Server("tulpar", argv, [gp, pp], os.path.join(self.tmp, logname))
        s.urls = {"gemini": "gemini://localhost:%d%s" % (gp, GEMINI_PATH),
                  "gopher": "gopher://localhost:%d/1%s" % (pp, GOPHER_SEL)}
        return s

    def start_tulpar_certreq(self):
        """tulpar whose host asks for client certificates (it has a
        certificate area): the other kind of host, measured beside."""
        conf = os.path.join(self.tmp, "certreq.conf")
        with open(conf, "w") as f:
            f.write("[host localhost]\nroot = %s\n[path localhost /members/]\n"
                    "require_certificate = yes\n" % os.path.join(ROOT, "capsule"))
        return self.start_tulpar(["-c", conf], "tulpar-certreq.log")

    @retried
    def start_refserver(self):
        port = free_port()
        s = Server("refserver", [REFSERVER, str(port), self.crt, self.key,
                                 str(self.sizes[0])], [port],
                   os.path.join(self.tmp, "refserver.log"))
        s.urls = {"gemini": "gemini://localhost:%d/" % port}
        return s

    @retried
    def start_tlsfloor(self, tickets):
        port = free_port()
        s = Server("tlsfloor", [TLSFLOOR, str(port), self.crt, self.key,
                                str(tickets), str(self.sizes[0])], [port],
                   os.path.join(self.tmp, "tlsfloor%d.log" % tickets))
        s.urls = {"gemini": "gemini://localhost:%d/" % port}
        return s

    @retried
    def start_reftcp(self):
        port = free_port()
        s = Server("reftcp", [REFTCP, str(port), str(self.sizes[1])], [port],
                   os.path.join(self.tmp, "reftcp.log"))
        s.urls = {"gopher": "gopher://localhost:%d/1/" % port}
        return s

    def probe_sizes(self, t):
        """The references answer as many bytes as tulpar's chosen pages."""
        g = loadgen(t.urls["gemini"], "-n", 1)
        p = loadgen(t.urls["gopher"], "-n", 1)
        if g["ok"] != 1 or p["ok"] != 1:
            raise RuntimeError("tulpar does not serve %s / %s" %
                               (t.urls["gemini"], t.urls["gopher"]))
        self.sizes = (int(g["bytes"]), int(p["bytes"]))
        log("page sizes: Gemini %s %d bytes, Gopher %s %d bytes" %
            (t.urls["gemini"], self.sizes[0], t.urls["gopher"], self.sizes[1]))

    def tulpar_log_problems(self, t):
        """Log lines of a throughput run whose status is not a success."""
        bad = {}
        with open(t.logpath, "rb") as f:
            for line in f:
                line = line.decode(errors="replace")
                words, parts = line.split(" ", 3), line.rsplit(" ", 3)
                if len(words) < 4 or not words[0].endswith("Z") or \
                        words[2] not in ("gemini", "gopher"):
                    continue  # not a request line
                if parts[1] not in ("20", "1"):
                    key = "%s %s" % (words[2], parts[1])
                    bad[key] = bad.get(key, 0) + 1
        t.truncate_log()
        return bad

    def measured(self, srv, url, args, seconds, conc=CONC):
        """One loadgen run with the server's CPU time around it."""
        c0 = cpu_seconds(srv.pid)
        r = loadgen(url, "-c", conc, "-d", seconds, *args,
                    limit=seconds + 60)
        r["cpu_s"] = cpu_seconds(srv.pid) - c0
        r["us_per_req"] = r["cpu_s"] * 1e6 / max(r["requests"], 1)
        if srv.name == "tulpar":
            bad = self.tulpar_log_problems(srv)
            if bad:
                self.notes.append("tulpar log, %s run: statuses %s" %
                                  (url, bad))
        if not srv.alive():
            raise RuntimeError("%s died: %s" % (srv.name, srv.log_tail()))
        return r

    # Throughput: (scenario, reference server key, loadgen args, protocol,
    # floor server key or None). The floors are measured for information.
    SCENARIOS = [("gemini-full", "ref", [], "gemini", "floor0"),
                 ("gemini-resume", "ref", ["-r"], "gemini", "floor1"),
                 ("gopher", "tcp", [], "gopher", None)]

    # Clients as readers run them: (scenario, loadgen args, concurrency).
    CLIENTS = [("latency full nodelay", [], 1),
               ("latency full nagle", ["--nagle"], 1),
               ("latency resumed nodelay", ["-r"], 1),
               ("latency resumed nagle", ["-r", "--nagle"], 1),
               ("resume once", ["-u"], CONC),
               ("resume first", ["-f"], CONC)]

    def clients_round(self, rnd, ref, t, seconds, results):
        """One round of CLIENTS, reference and tulpar alternating first."""
        for name, args, conc in self.CLIENTS:
            pair = [("ref", ref), ("tulpar", t)]
            if rnd % 2:
                pair.reverse()
            for who, srv in pair:
                r = self.measured(srv, srv.urls["gemini"], args, seconds, conc)
                results.setdefault((name, who), []).append(r)
                log("round %d %-21s %-9s %7.1f us/req p50 %6.2f ms p99 %6.2f"
                    " ms  ok %d  errors %d  resumed %d of %d" %
                    (rnd + 1, name, srv.name, r["us_per_req"],
                     r["p50_us"] / 1000, r["p99_us"] / 1000, r["ok"],
                     r["errors"], r["resumed"], r["handshakes"]))

    def throughput(self, rounds, seconds):
        t = self.start_tulpar()
        ref, tcp = self.start_refserver(), self.start_reftcp()
        floors = [self.start_tlsfloor(0), self.start_tlsfloor(1)]
        certreq = self.start_tulpar_certreq()
        floors.append(certreq)  # started, warmed and stopped with the floors
        servers = {"ref": ref, "tcp": tcp, "floor0": floors[0],
                   "floor1": floors[1]}
        results = {}  # (scenario, "ref"|"tulpar"|"floor") -> [json per round]
        for s in [ref, tcp, t] + floors:  # warm-up, not measured
            for proto, url in s.urls.items():
                loadgen(url, "-c", 8, "-d", min(seconds, 1))
        t.truncate_log()
        for rnd in range(rounds):
            for name, refkey, args, proto, floorkey in self.SCENARIOS:
                pair = [("ref", servers[refkey]), ("tulpar", t)]
                if floorkey is not None:
                    pair.append(("floor", servers[floorkey]))
                if name == "gemini-full":
                    pair.append(("certreq", certreq))
                if rnd % 2:
                    pair.reverse()
                for who, srv in pair:
                    r = self.measured(srv, srv.urls[proto], args, seconds)
                    results.setdefault((name, who), []).append(r)
                    log("round %d %-13s %-9s %7.1f us/req %8.0f req/s "
                        "p99 %6.1f ms  ok %d  errors %d  resumed %d" %
                        (rnd + 1, name, srv.name, r["us_per_req"], r["rps"],
                         r["p99_us"] / 1000, r["ok"], r["errors"],
                         r["resumed"]))
            self.clients_round(rnd, ref, t, seconds, results)
        for s in [t, ref, tcp] + floors:
            s.stop()
        return results

    def idle_memory(self, start, proto, n):
        """PSS per idle connection (bytes), and the loadgen result."""
        srv = start()
        url = srv.urls[proto]
        loadgen(url, "-c", 4, "-n", 20)
        time.sleep(0.3)
        rss, procs = rss_kib(srv.pid), len(proc_tree(srv.pid))
        pss = pss_kib(srv.pid)
        fds, before = fd_count(srv.pid), pss_anon_kib(srv.pid)
        h = Holder(url, n, hold=60)
        held = h.wait_holding()
        deadline = time.time() + 10
        while fd_count(srv.pid) < fds + held and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        after, fds_after = pss_anon_kib(srv.pid), fd_count(srv.pid)
        r = h.finish()
        alive = srv.alive()
        srv.stop()
        r.update(anon_before=before, anon_after=after, rss=rss, pss=pss,
                 procs=procs, fds=fds_after - fds, alive=alive,
                 per_conn=(after - before) * 1024.0 / max(held, 1))
        log("idle %-6s %-9s held %d (server fds +%d), anon PSS %d -> %d KiB: "
            "%.0f bytes/conn, dropped %d, errors %d" %
            (proto, srv.name, held, fds_after - fds, before, after,
             r["per_conn"], r["dropped"], r["errors"]))
        return r

    def hold_test(self, n, seconds):
        """n idle TLS connections held while other clients are served."""
        t = self.start_tulpar(HOLD_FLAGS)
        h = Holder(t.urls["gemini"], n, conc=128, hold=300, limit=240)
        held = h.wait_holding()
        pss = pss_kib(t.pid)
        others = [loadgen(t.urls[p], "-c", 8, "-d", seconds, "-t", 5)
                  for p in ("gemini", "gopher")]
        r = h.finish()
        alive = t.alive()
        t.stop()
        log("hold: %d held, dropped %d, open errors %d, PSS %d KiB; others: "
            "Gemini ok %d errors %d p99 %.1f ms, Gopher ok %d errors %d "
            "p99 %.1f ms" % (held, r["dropped"], r["errors"], pss,
                             others[0]["ok"], others[0]["errors"],
                             others[0]["p99_us"] / 1000, others[1]["ok"],
                             others[1]["errors"], others[1]["p99_us"] / 1000))
        return {"held": held, "hold": r, "others": others, "alive": alive,
                "pss": pss}


# --- the report --------------------------------------------------------------

def med_range(xs, fmt):
    if not xs:
        return "-"
    if len(xs) == 1:
        return fmt % xs[0]
    return (fmt + " [" + fmt + "-" + fmt + "]") % (statistics.median(xs),
                                                   min(xs), max(xs))


def per_round(a, b, key):
    """Ratios a/b of one key, round by round (same-round pairs)."""
    return [x[key] / y[key] for x, y in zip(a, b) if y[key] > 0]


class Table:
    HEAD = ["scenario", "server", "measured: median [min-max]",
            "vs ref: median [min-max]", "target", "", "req/s", "p99 ms",
            "errors", "notes"]

    def __init__(self):
        self.rows, self.passed, self.failed = [], 0, 0

    def add(self, scenario, server, measured, ratio="", target="", ok=None,
            rps="", p99="", errors="", notes=""):
        if ok is not None:
            self.passed += ok
            self.failed += not ok
        self.rows.append([scenario, server, measured, ratio, target,
                          "" if ok is None else ("PASS" if ok else "FAIL"),
                          rps, p99, str(errors), notes])

    def print(self):
        w = [max(len(r[i]) for r in self.rows + [self.HEAD])
             for i in range(len(self.HEAD))]
        line = lambda r: "  ".join(c.ljust(n) for c, n in zip(r, w)).rstrip()
        print(line(self.HEAD))
        print(line(["-" * n for n in w]))
        for r in self.rows:
            print(line(r))

    def report(self, title, notes=()):
        """The table under its title, then the count of targets met; 1 when
        one is missed and BENCH_STRICT=1 (what the BENCH_ONLY suites exit
        with)."""
        print()
        print(title + ", server on CPU %s, loadgen on CPU %s" % (
            os.environ.get("BENCH_SERVER_CPU", "0"),
            os.environ.get("BENCH_CLIENT_CPU", "1")))
        self.print()
        for n in notes:
            print("note: " + n)
        print("%d targets met, %d missed" % (self.passed, self.failed))
        return 1 if self.failed and os.environ.get("BENCH_STRICT") == "1" else 0


THROUGHPUT_TARGETS = {"gemini-full": (0.75, "<= 0.75x ref"),
                      "gemini-resume": (0.6, "<= 0.6x ref full"),
                      "gopher": (1.2, "<= 1.2x reftcp")}


FLOOR_NOTES = {"gemini-full": "no ticket",
               "gemini-resume": "one ticket, none on resumption"}
CERTREQ_NOTE = "host asks for a client certificate (the other rows: it does not)"


def report_throughput(t, res):
    ref_full = res[("gemini-full", "ref")]
    for name, refkey, _, _, floorkey in Bench.SCENARIOS:
        ref = res[(name, "ref")]
        whos = [("ref", ref), ("tulpar", res[(name, "tulpar")])]
        if floorkey is not None:
            whos.append(("floor", res[(name, "floor")]))
        if (name, "certreq") in res:
            whos.append(("certreq", res[(name, "certreq")]))
        for who, rs in whos:
            srv = {"tulpar": "tulpar", "floor": "tlsfloor",
                   "certreq": "tulpar"}.get(who) or \
                {"ref": "refserver", "tcp": "reftcp"}[refkey]
            errs = sum(r["errors"] for r in rs)
            notes = ""
            if name == "gemini-resume":
                notes = "resumed %d of %d" % (sum(r["resumed"] for r in rs),
                                              sum(r["handshakes"] for r in rs))
            cells = dict(rps="%.0f" % statistics.median(r["rps"] for r in rs),
                         p99="%.1f" % (statistics.median(
                             r["p99_us"] for r in rs) / 1e3), errors=errs)
            us = med_range([r["us_per_req"] for r in rs], "%.0f") + " us/req"
            if who == "ref":
                t.add(name, srv, us, notes=notes, **cells)
                continue
            base = ref_full if name == "gemini-resume" else ref
            rt = per_round(rs, base, "us_per_req")
            if who == "certreq":
                t.add(name, srv, us, med_range(rt, "%.2f"), "(information)",
                      notes=CERTREQ_NOTE, **cells)
                continue
            if who == "floor":
                # The least OpenSSL allows here: no target, the bound on one.
                t.add(name, srv, us, med_range(rt, "%.2f"), "(information)",
                      notes="%s; %s" % (FLOOR_NOTES[name], notes) if notes
                      else FLOOR_NOTES[name], **cells)
                continue
            limit, label = THROUGHPUT_TARGETS[name]
            ok = bool(rt) and statistics.median(rt) <= limit and errs == 0
            if name == "gemini-resume":
                ok = ok and sum(r["resumed"] for r in rs) > 0
                notes += "; %s x ref resumed" % med_range(
                    per_round(rs, ref, "us_per_req"), "%.2f")
            t.add(name, srv, us, med_range(rt, "%.2f"), label, ok,
                  notes=notes, **cells)
    tul = res[("gemini-full", "tulpar")]
    p99 = per_round(tul, ref_full, "p99_us")
    t.add("p99 @%d Gemini" % CONC, "tulpar",
          med_range([r["p99_us"] / 1e3 for r in tul], "%.1f") + " ms",
          med_range(p99, "%.2f"), "<= 1.1x ref",
          bool(p99) and statistics.median(p99) <= 1.1)


def report_clients(t, res):
    """Latency rows (ms) and the two ticket-keeping kinds of client."""
    for name, args, conc in Bench.CLIENTS:
        ref, tul = res[(name, "ref")], res[(name, "tulpar")]
        for who, rs in (("ref", ref), ("tulpar", tul)):
            errs = sum(r["errors"] for r in rs)
            resumed = sum(r["resumed"] for r in rs)
            hs = sum(r["handshakes"] for r in rs)
            notes = "resumed %d of %d" % (resumed, hs) \
                if set(args) & {"-r", "-u", "-f"} else ""
            cells = dict(rps="%.0f" % statistics.median(r["rps"] for r in rs),
                         p99="%.2f" % (statistics.median(
                             r["p99_us"] for r in rs) / 1e3), errors=errs)
            srv = "refserver" if who == "ref" else "tulpar"
            if name.startswith("latency"):
                measured = med_range([r["p50_us"] / 1e3 for r in rs],
                                     "%.2f") + " ms p50"
                if who == "ref":
                    t.add(name, srv, measured, notes=notes, **cells)
                    continue
                # A timer (a delayed ACK: 40 ms) shows as a difference, one
                # that the noise of a busy machine in a median does not reach.
                more = [(x["p50_us"] - y["p50_us"]) / 1e3
                        for x, y in zip(rs, ref)]
                ok = bool(more) and statistics.median(more) <= 10 and \
                    errs == 0
                t.add(name, srv, measured,
                      med_range(per_round(rs, ref, "p50_us"), "%.2f"),
                      "p50 <= ref + 10 ms", ok, notes=notes, **cells)
                continue
            us = med_range([r["us_per_req"] for r in rs], "%.0f") + " us/req"
            if who == "ref":
                t.add(name, srv, us, notes=notes, **cells)
                continue
            # the first connection of each of conc has no ticket to offer
            ok = resumed >= 0.95 * (hs - conc * len(rs)) and errs == 0
            t.add(name, srv, us, med_range(per_round(rs, ref, "us_per_req"),
                                           "%.2f"),
                  ">= 95% resumed", ok, notes=notes + " (%d cold)" %
                  (conc * len(rs)), **cells)


def report_memory(t, mem):
    for proto, limit in (("gemini", 12), ("gopher", 1)):
        ref = mem[(proto, "ref")]
        for who in ("ref", "tulpar"):
            m = mem[(proto, who)]
            measured = "%.1f KiB/conn" % (m["per_conn"] / 1024)
            notes = "held %d, anon PSS %d -> %d KiB" % (
                m["held"], m["anon_before"], m["anon_after"])
            errors = "%d%s" % (m["errors"], " dropped %d" % m["dropped"]
                               if m["dropped"] else "")
            label = "idle %s x%d" % ("TLS" if proto == "gemini" else "Gopher",
                                     IDLE)
            if who == "ref":
                t.add(label, m["server"], measured, errors=errors, notes=notes)
                continue
            ok = m["per_conn"] <= limit * 1024 and m["held"] == IDLE and \
                m["dropped"] == 0 and m["alive"]
            ratio = "%.2f" % (m["per_conn"] / ref["per_conn"]) \
                if ref["per_conn"] > 0 else "-"
            t.add(label, "tulpar", measured, ratio,
                  "<= %d KiB/conn" % limit, ok, errors=errors, notes=notes)
    m = mem[("gemini", "tulpar")]
    t.add("idle RSS", "tulpar", "%.1f MiB" % (m["rss"] / 1024), "",
          "< 8 MiB", m["rss"] < 8 * 1024,
          notes="VmRSS summed over %d processes; PSS %.1f MiB" %
          (m["procs"], m["pss"] / 1024))


def report_hold(t, hold):
    o, r = hold["others"], hold["hold"]
    ok = hold["held"] == HOLD and r["dropped"] == 0 and hold["alive"] and \
        all(x["ok"] > 0 and x["errors"] == 0 for x in o)
    t.add("hold %d TLS" % HOLD, "tulpar",
          "held %d, dropped %d" % (hold["held"], r["dropped"]), "",
          "all held, others served", ok, errors=r["errors"],
          notes="meanwhile Gemini %d ok/%d err (p99 %.1f ms), Gopher %d ok/"
          "%d err (p99 %.1f ms); PSS %.1f MiB; flags %s" %
          (o[0]["ok"], o[0]["errors"], o[0]["p99_us"] / 1e3, o[1]["ok"],
           o[1]["errors"], o[1]["p99_us"] / 1e3, hold["pss"] / 1024,
           " ".join(HOLD_FLAGS)))


def report(b, res, mem, hold, extra=(), rate=None, adders=()):
    t = Table()
    report_throughput(t, res)
    report_clients(t, res)
    report_memory(t, mem)
    if hold is not None:
        report_hold(t, hold)
    for row in extra:  # rows of the suites in other files (extras())
        t.add(**row)
    for add_rows in adders:  # cgibench.py adds its own
        add_rows(t)
    if rate is not None:
        ratebench.report(t, sys.modules[__name__], rate)
    t.report("tulpar benchmark: %d rounds x %gs, concurrency %d" %
             (ROUNDS, SECONDS, CONC), b.notes)
    return t.failed


def extras():
    """The suites kept in files of their own, each with rows() and smoke()."""
    import searchbench
    import trees
    return [searchbench, trees]


def full(b):
    t = b.start_tulpar()
    b.probe_sizes(t)
    t.stop()
    mem = {}
    # tulpar's default connection cap (-m 1024) must not cut the idle test
    cap = ["-m", str(IDLE + 64)] if IDLE + 64 > 1024 else []
    idle_tulpar = lambda: b.start_tulpar(cap)
    for proto, starts in (("gemini", (b.start_refserver, idle_tulpar)),
                          ("gopher", (b.start_reftcp, idle_tulpar))):
        for who, start in zip(("ref", "tulpar"), starts):
            m = b.idle_memory(start, proto, IDLE)
            m["server"] = "tulpar" if who == "tulpar" else \
                ("refserver" if proto == "gemini" else "reftcp")
            mem[(proto, who)] = m
    hold = b.hold_test(HOLD, 2) if HOLD > 0 else None
    res = b.throughput(ROUNDS, SECONDS)
    extra = []
    for mod in extras():
        extra += mod.rows(b, ROUNDS, SECONDS)
    # Hook: programs (CGI, FastCGI, Molly Brown), in tests/bench/cgibench.py.
    import cgibench
    adders = [cgibench.measure(b, ROUNDS, SECONDS)]
    rate = ratebench.measure(b, sys.modules[__name__], ROUNDS, SECONDS)
    fails = report(b, res, mem, hold, extra, rate, adders)
    return 1 if fails and os.environ.get("BENCH_STRICT") == "1" else 0


def smoke(b):
    """Every scenario very briefly: loadgen must get answers and no errors."""
    passed = failed = 0

    def check(what, r, need_resumed=False):
        nonlocal passed, failed
        ok = r["ok"] > 0 and r["errors"] == 0 and \
            (not need_resumed or r["resumed"] > 0)
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL %s: %s" % (what, json.dumps(r)))

    def attempt(what, fn):
        nonlocal failed
        try:
            fn()
        except Exception as e:  # a broken step is a failure, not a crash
            failed += 1
            print("FAIL %s: %s" % (what, e))

    t = b.start_tulpar()
    attempt("sizes", lambda: b.probe_sizes(t))
    ref, tcp = b.start_refserver(), b.start_reftcp()
    for srv in (ref, tcp, t):
        for proto, url in srv.urls.items():
            attempt("%s %s" % (srv.name, proto), lambda: check(
                "%s %s" % (srv.name, proto),
                b.measured(srv, url, [], 0.15, 4)))
            if proto == "gemini":
                attempt("%s resume" % srv.name, lambda: check(
                    "%s resume" % srv.name,
                    b.measured(srv, url, ["-r"], 0.15, 4), True))
                for name, args, _ in Bench.CLIENTS:
                    what = "%s %s" % (srv.name, name)
                    attempt(what, lambda: check(
                        what, b.measured(srv, url, args, 0.3, 1 if
                                         name.startswith("latency") else 4),
                        set(args) & {"-r", "-u", "-f"} != set()))

            def idle():
                h = Holder(url, 20, conc=8, hold=5, limit=10)
                h.wait_holding()
                r = h.finish()
                r["errors"] += r["dropped"]
                check("%s idle %s" % (srv.name, proto), r)
            attempt("%s idle %s" % (srv.name, proto), idle)

    # The floors serve one connection at a time: requests only, no idle hold.
    floors = []
    for tickets in (0, 1):
        try:
            floors.append(b.start_tlsfloor(tickets))
        except Exception as e:
            failed += 1
            print("FAIL tlsfloor %d: %s" % (tickets, e))
    for f in floors:
        url = f.urls["gemini"]
        attempt("tlsfloor gemini", lambda: check(
            "tlsfloor gemini", b.measured(f, url, [], 0.15, 4)))
    if len(floors) == 2:
        attempt("tlsfloor resume", lambda: check(
            "tlsfloor resume",
            b.measured(floors[1], floors[1].urls["gemini"], ["-r"], 0.15, 4),
            True))

    def certreq_served():
        c = b.start_tulpar_certreq()
        floors.append(c)  # stopped with the others
        check("tulpar certreq gemini", b.measured(c, c.urls["gemini"], [], 0.15, 4))
    attempt("tulpar certreq", certreq_served)

    def held_while_served():
        h = Holder(t.urls["gemini"], 50, conc=16, hold=5, limit=10)
        h.wait_holding()
        check("tulpar served while holding",
              loadgen(t.urls["gopher"], "-c", 4, "-d", 0.2))
        r = h.finish()
        r["errors"] += r["dropped"]
        check("tulpar held", r)
    attempt("hold", held_while_served)
    attempt("ratelimit", lambda: ratebench.smoke(b, sys.modules[__name__],
                                                  check))
    for s in [t, ref, tcp] + floors:
        s.stop()
    for mod in extras():
        attempt(mod.__name__, lambda: mod.smoke(b, check))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main():
    global TULPAR
    smoke_mode = sys.argv[1:] == ["--smoke"]
    if sys.argv[1:] and not smoke_mode:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for exe in (TULPAR, LOADGEN, REFSERVER, REFTCP, TLSFLOOR):
        if not os.access(exe, os.X_OK):
            print("bench: %s is missing (make bench-build tulpar)" % exe,
                  file=sys.stderr)
            if smoke_mode:
                print("0 passed, 1 failed")
            return 1
    tmp = tempfile.mkdtemp(prefix="tulpar-bench.")
    atexit.register(lambda: os.environ.get("BENCH_KEEP") == "1" or
                    shutil.rmtree(tmp, ignore_errors=True))
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # One binary for the whole run, even if ./tulpar is rebuilt meanwhile.
    copy = os.path.join(tmp, "tulpar")
    shutil.copy2(TULPAR, copy)
    log("tulpar: %s, %d bytes, built %s" % (
        TULPAR, os.path.getsize(copy),
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(copy)))))
    TULPAR = copy
    b = Bench(tmp, smoke_mode)
    if os.environ.get("BENCH_KEEP") == "1":
        log("keeping " + tmp)
    try:
        if os.environ.get("BENCH_ONLY") == "rate" and not smoke_mode:
            return ratebench.only(b, sys.modules[__name__])
        if os.environ.get("BENCH_ONLY") == "search" and not smoke_mode:
            import searchbench
            return searchbench.only(b)
        return smoke(b) if smoke_mode else full(b)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print("bench: %s" % e, file=sys.stderr)
        if smoke_mode:
            print("0 passed, 1 failed")
        return 1


if __name__ == "__main__":
    sys.exit(main())
