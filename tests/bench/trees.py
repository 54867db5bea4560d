#!/usr/bin/env python3
"""Tree scenarios (issue 11): tulpar on big generated trees, beside Molly Brown.

bench.py calls rows(b, rounds, seconds) for its table and smoke(b, check)
for `make bench-smoke` (a tiny tree); on its own, python3
tests/bench/trees.py [--smoke] prints a table of these rows only. For every tree
(tests/bench/gentree.py makes it) it measures, server pinned to one CPU and
the clients to another, as bench.py does:

- start-up: from exec until both ports answer a request;
- PSS (smaps_rollup, summed over the server's processes) after start, after
  a SIGHUP, and its peak during one (sampled every 15 ms until the new
  generation serves and the old one is gone);
- server CPU (/proc/PID/stat, summed) per request on both protocols, once
  the server idles after the SIGHUP (a store checks the tree then), for a
  cached page (one page over and over) and uncached pages (loadgen -f: every
  page of the tree in a shuffled order, each asked once per run);
- the longest gap in serving during a SIGHUP under load (loadgen on both
  protocols, and tests/bench/probe.py probing both every 10 ms);
- the time from a file written into the tree to its being served on both
  protocols (n/a when it is not within 5 s: the snapshot needs a SIGHUP);
- Molly Brown (Debian's molly-brown, Gemini only) on the same tree: start-up,
  PSS, Gemini CPU per request, cached and uncached.

Environment: BENCH_TREES (all: 100,10k,100k,1500x600k; "none" skips them),
BENCH_TREES_SECONDS (2: each loadgen run), BENCH_TREES_CONC (16),
BENCH_TREES_DIR (keep generated trees there and reuse them), BENCH_TREES_BASE
(a tulpar binary to compare cached CPU with, e.g. main's: "costs what it
costs today"), BENCH_TREES_MOLLY (1; 0 skips Molly Brown); and bench.py's
TULPAR, BENCH_TULPAR_FLAGS, BENCH_SERVER_CPU, BENCH_CLIENT_CPU, BENCH_KEEP.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402  (bench.py, or the run it is imported by)
import gentree  # noqa: E402
import probe  # noqa: E402

# name: (pages, bytes each, plain text)
TREES = {"100": (100, 4096, False), "10k": (10000, 4096, False),
         "100k": (100000, 2048, False), "1500x600k": (1500, 600 * 1024, True)}
SMOKE_TREE = ("smoke", (40, 2048, False))
SECONDS = float(os.environ.get("BENCH_TREES_SECONDS") or 2)
CONC = int(os.environ.get("BENCH_TREES_CONC") or 16)
MIB = 1024.0


def log(msg):
    print("# trees: " + msg, flush=True)


def tree_dir(tmp, name, spec):
    """The tree, generated unless BENCH_TREES_DIR holds it already."""
    keep = os.environ.get("BENCH_TREES_DIR")
    base = keep or os.path.join(tmp, "trees")
    d = os.path.join(base, "%s-%d-%d%s" % (name, spec[0], spec[1],
                                           "-text" if spec[2] else ""))
    done = d + ".done"
    if os.path.exists(done):
        return d
    shutil.rmtree(d, ignore_errors=True)
    t0 = time.time()
    gentree.Tree(spec[0], spec[1], spec[2], 11).write(d)
    open(done, "w").close()
    log("generated %s in %.1f s" % (d, time.time() - t0))
    return d


def warm(tree):
    """Reads every file of the tree once, so that it is in the kernel's page
    cache for every server measured: "uncached" then means tulpar's own
    cache, not whether an earlier tree pushed this one's files out of
    memory (the first server to read them paid the disk, 2.1x a cached
    page at 1 500 x 600 KiB, where a warm run measured 1.1-1.3x)."""
    t0, total = time.time(), 0
    for d, _, files in os.walk(tree):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                while True:
                    chunk = fh.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
    log("read %d MiB of %s in %.1f s (page cache warm)" % (
        total >> 20, os.path.basename(tree), time.time() - t0))


class Srv:
    """A server started on a tree; registered with bench.py's cleanup."""

    def __init__(self, B, name, argv, gport, pport, logpath, limit=300):
        self.B, self.name, self.logpath = B, name, logpath
        self.gport, self.pport = gport, pport
        self.logf = open(logpath, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(B.pin("BENCH_SERVER_CPU", 0) + argv,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)
        self.pid = self.proc.pid
        B.Server.live.append(self)
        while not self.answers():
            if self.proc.poll() is not None or \
                    time.monotonic() - t0 > limit:
                self.stop()
                raise RuntimeError("%s did not start: %s" %
                                   (name, self.log_tail()))
            time.sleep(0.01)
        self.startup = time.monotonic() - t0

    def answers(self):
        for port, fn in ((self.gport, probe.gemini), (self.pport, probe.gopher)):
            if port is None:
                continue
            try:  # Molly Brown listens on [::] too: not in /proc/net/tcp
                fn(port, "localhost", "/", 5)
            except Exception:
                return False
        return True

    # The rest as bench.py's servers have it (same attributes).
    def log_tail(self):
        return self.B.Server.log_tail(self)

    def alive(self):
        return self.B.Server.alive(self)

    def stop(self):
        self.B.Server.stop(self)


class Trees:
    def __init__(self, B, b, smoke):
        self.B, self.b, self.smoke = B, b, smoke
        self.tmp = os.path.join(b.tmp, "trees-run")
        os.makedirs(self.tmp, exist_ok=True)
        self.seconds = 0.3 if smoke else SECONDS
        self.failures = []

    # --- servers -------------------------------------------------------

    def start_tulpar(self, tree, binary=None):
        B = self.B
        gp, pp = B.free_port(), B.free_port()
        # The store alone: the search index (searchbench.py's rows) is off.
        # A baseline build given as binary may predate -S.
        argv = [binary or B.TULPAR, "-d", tree, "-T", self.b.certdir, "-H",
                "localhost", "-G", "127.0.0.1:%d" % gp, "-P",
                "127.0.0.1:%d" % pp] + ([] if binary else ["-S", "off"]) + \
            B.TULPAR_FLAGS
        return Srv(B, "tulpar", argv, gp, pp,
                   os.path.join(self.tmp, "tulpar-%d.log" % gp))

    def molly_cert(self):
        d = os.path.join(self.tmp, "molly-certs")
        if not os.path.isdir(d):
            os.mkdir(d)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-subj", "/CN=localhost", "-days", "30",
                            "-keyout", os.path.join(d, "key.pem"),
                            "-out", os.path.join(d, "cert.pem")],
                           check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return d

    def start_molly(self, tree):
        B = self.B
        d = self.molly_cert()
        port = B.free_port()
        conf = os.path.join(self.tmp, "molly-%d.conf" % port)
        with open(conf, "w") as f:
            f.write('Port = %d\nHostname = "localhost"\nCertPath = "%s"\n'
                    'KeyPath = "%s"\nDocBase = "%s"\nAccessLog = "%s"\n'
                    'ErrorLog = "%s"\n' % (
                        port, os.path.join(d, "cert.pem"),
                        os.path.join(d, "key.pem"), tree,
                        os.path.join(self.tmp, "molly-%d.access" % port),
                        os.path.join(self.tmp, "molly-%d.error" % port)))
        return Srv(B, "molly-brown", ["molly-brown", "-c", conf], port, None,
                   os.path.join(self.tmp, "molly-%d.log" % port), limit=30)

    # --- measurements ---------------------------------------------------

    def url(self, srv, proto, path):
        if proto == "gemini":
            return "gemini://localhost:%d%s" % (srv.gport, path)
        return "gopher://localhost:%d/1%s" % (srv.pport, path)

    def url_file(self, srv, proto, paths):
        f = os.path.join(self.tmp, "urls-%s-%d" % (proto, srv.gport))
        with open(f, "w") as out:
            out.writelines(self.url(srv, proto, p) + "\n" for p in paths)
        return f

    def cpu_per_req(self, srv, proto, path=None, listfile=None):
        """us of server CPU per request, and loadgen's result."""
        B = self.B
        args = ["-c", CONC, "-d", self.seconds]
        if listfile:
            args += ["-F", listfile]
        url = self.url(srv, proto, path or "/")
        c0 = B.cpu_seconds(srv.pid)
        r = B.loadgen(url, *args, limit=self.seconds + 60)
        r["us_per_req"] = (B.cpu_seconds(srv.pid) - c0) * 1e6 / \
            max(r["requests"], 1)
        return r

    def wait_reload(self, srv, reloads_before, limit=60):
        """Samples PSS every 15 ms until the reload is done and the old
        generation gone; returns (peak KiB, seconds, ok)."""
        B = self.B
        t0, peak, nprocs = time.monotonic(), 0, len(B.proc_tree(srv.pid))
        done_at = None
        while time.monotonic() - t0 < limit:
            if done_at is None and self.reloads(srv) > reloads_before:
                done_at = time.monotonic()
            gone = len(B.proc_tree(srv.pid)) <= nprocs
            peak = max(peak, B.pss_kib(srv.pid))
            if done_at is not None and gone:
                return peak, done_at - t0, True
            time.sleep(0.015)
        states = []
        for p in B.proc_tree(srv.pid):
            try:
                with open("/proc/%d/stat" % p) as f:
                    states.append("%d %s" % (p, f.read().rsplit(")", 1)[1]
                                             .split()[0]))
            except OSError:
                pass
        log("reload not done in %d s: reloaded lines %d (before %d), "
            "processes %s (before %d); log: %s" % (
                limit, self.reloads(srv), reloads_before, states, nprocs,
                srv.log_tail()[-200:]))
        return peak, time.monotonic() - t0, False

    def reloads(self, srv):
        with open(srv.logpath, "rb") as f:
            data = f.read()
        return data.count(b"tulpar: reloaded") + data.count(b"reload: ")

    def sighup_memory(self, srv):
        B = self.B
        n = self.reloads(srv)
        os.kill(srv.pid, signal.SIGHUP)
        peak, secs, ok = self.wait_reload(srv, n)
        time.sleep(0.5)
        after = B.pss_kib(srv.pid)
        return {"peak": max(peak, after), "reload_s": secs, "done": ok,
                "after": after}

    def settle(self, srv, limit=120):
        """Waits until the server idles (under 20 ms of CPU in 0.5 s): a
        store checks the tree after start-up and SIGHUP. Returns the
        seconds waited and the server CPU seconds spent meanwhile."""
        B = self.B
        t0, c0 = time.monotonic(), B.cpu_seconds(srv.pid)
        while time.monotonic() - t0 < limit:
            c = B.cpu_seconds(srv.pid)
            time.sleep(0.5)
            if B.cpu_seconds(srv.pid) - c < 0.02:
                break
        return time.monotonic() - t0, B.cpu_seconds(srv.pid) - c0

    def sighup_gap(self, srv, page):
        """The longest gap in serving while a SIGHUP is loaded under load."""
        B = self.B
        loads = [subprocess.Popen(B.loadgen_argv(self.url(srv, p, page),
                                                 ["-c", 4, "-d", 600]),
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for p in ("gemini", "gopher")]
        pr = subprocess.Popen([sys.executable, os.path.join(HERE, "probe.py"),
                               "--seconds", "900", "--timeout", "30",
                               str(srv.gport), str(srv.pport)],
                              stdout=subprocess.PIPE)
        time.sleep(1)
        n = self.reloads(srv)
        os.kill(srv.pid, signal.SIGHUP)
        _, secs, ok = self.wait_reload(srv, n)
        time.sleep(0.5)
        pr.send_signal(signal.SIGTERM)
        res = json.loads(pr.communicate(timeout=60)[0].decode())
        errors = 0
        for lg in loads:
            lg.send_signal(signal.SIGTERM)
            out = lg.communicate(timeout=60)[0].decode().strip().splitlines()
            errors += json.loads(out[-1])["errors"] if out else 1
        res["load_errors"], res["reload_s"], res["done"] = errors, secs, ok
        return res

    def change(self, srv, tree, cost):
        """Seconds from a new page written until both protocols serve it,
        and (server CPU meanwhile, the probes' share of it estimated from
        the cached figures, in ms; probes); None: not in 5 s. CPU time
        comes in clock ticks (10 ms)."""
        B = self.B
        token = "fresh%d" % random.Random(srv.gport).randrange(1 << 30)
        rel = "/a000/b00/%s.gmi" % token
        t0 = time.monotonic()
        c0 = B.cpu_seconds(srv.pid)
        with open(os.path.join(tree, rel[1:]), "w") as f:
            f.write("# %s\n\nA page written while the server runs.\n" % token)
        seen, probes = {}, {"gemini": 0, "gopher": 0}
        try:
            while time.monotonic() - t0 < (1 if self.smoke else 5) and \
                    len(seen) < 2:
                for proto, fn, port in (("gemini", probe.gemini, srv.gport),
                                        ("gopher", probe.gopher, srv.pport)):
                    if proto in seen:
                        continue
                    probes[proto] += 1
                    try:
                        if token.encode() in fn(port, "localhost", rel, 5):
                            seen[proto] = time.monotonic() - t0
                    except Exception:
                        pass
                time.sleep(0.01)
            cpu = (B.cpu_seconds(srv.pid) - c0) * 1e3
            theirs = sum(probes[p] * cost.get(p, 0) / 1e3 for p in probes)
        finally:
            os.unlink(os.path.join(tree, rel[1:]))
        if len(seen) < 2:
            return None, None
        return max(seen.values()), (cpu, theirs, sum(probes.values()))

    # --- one tree ---------------------------------------------------------

    def measure(self, name, spec):
        B = self.B
        tree = tree_dir(self.b.tmp, name, spec)
        count, text = spec[0], spec[2]
        paths = gentree.page_paths(count, text)
        page = paths[min(7, count - 1)]
        shuffled = paths[:]
        random.Random(count).shuffle(shuffled)
        m = {"name": name, "spec": spec, "pages": len(shuffled)}
        warm(tree)
        t = self.start_tulpar(tree)
        m["startup"] = t.startup
        log("%s: tulpar started in %.2f s" % (name, t.startup))
        for proto in ("gemini", "gopher"):
            self.B.loadgen(self.url(t, proto, page), "-c", 2, "-n", 20)
        time.sleep(0.5)
        m["pss_start"] = B.pss_kib(t.pid)
        m["hup"] = self.sighup_memory(t)
        log("%s: PSS %.1f MiB after start, %.1f after SIGHUP, peak %.1f "
            "(reload %.2f s)" % (name, m["pss_start"] / MIB,
                                 m["hup"]["after"] / MIB,
                                 m["hup"]["peak"] / MIB,
                                 m["hup"]["reload_s"]))
        m["settle"] = self.settle(t)
        lists = {"gemini": self.url_file(t, "gemini", shuffled),
                 "gopher": self.url_file(t, "gopher", shuffled[::-1])}
        for proto in ("gemini", "gopher"):
            B.loadgen(self.url(t, proto, page), "-c", 4, "-d", 0.3)
            m[proto + "_cached"] = self.cpu_per_req(t, proto, page)
            m[proto + "_uncached"] = self.cpu_per_req(
                t, proto, listfile=lists[proto])
            log("%s: %s %.0f us/req cached, %.0f uncached" % (
                name, proto, m[proto + "_cached"]["us_per_req"],
                m[proto + "_uncached"]["us_per_req"]))
        # The cache filled by the uncached runs: memory as it stays.
        m["pss_served"] = B.pss_kib(t.pid)
        m["served"] = sum(m[p + "_uncached"]["ok"] for p in ("gemini", "gopher"))
        log("%s: PSS %.1f MiB after serving %d requests" % (
            name, m["pss_served"] / MIB, m["served"]))
        m["gap"] = self.sighup_gap(t, page)
        log("%s: SIGHUP under load: %s" % (name, json.dumps(m["gap"])))
        cost = {p: m[p + "_cached"]["us_per_req"] for p in ("gemini", "gopher")}
        self.settle(t)
        m["change_s"], m["change_cpu_ms"] = self.change(t, tree, cost)
        m["alive"] = t.alive()
        t.stop()
        base = os.environ.get("BENCH_TREES_BASE")
        if base and not self.smoke:
            bt = self.start_tulpar(tree, os.path.abspath(base))
            self.settle(bt)
            for proto in ("gemini", "gopher"):
                B.loadgen(self.url(bt, proto, page), "-c", 4, "-d", 0.3)
                m[proto + "_base"] = self.cpu_per_req(bt, proto, page)
            bt.stop()
        if os.environ.get("BENCH_TREES_MOLLY", "1") != "0":
            m["molly"] = self.measure_molly(tree, page, shuffled)
        return m

    def measure_molly(self, tree, page, shuffled):
        if shutil.which("molly-brown") is None:
            log("molly-brown is not installed (make bench installs it)")
            return None
        B = self.B
        warm(tree)
        mb = self.start_molly(tree)
        B.loadgen(self.url(mb, "gemini", page), "-c", 2, "-n", 20)
        self.settle(mb)
        r = {"startup": mb.startup, "pss": B.pss_kib(mb.pid)}
        B.loadgen(self.url(mb, "gemini", page), "-c", 4, "-d", 0.3)
        r["cached"] = self.cpu_per_req(mb, "gemini", page)
        r["uncached"] = self.cpu_per_req(
            mb, "gemini", listfile=self.url_file(mb, "gemini", shuffled))
        mb.stop()
        log("molly-brown: PSS %.1f MiB, Gemini %.0f us/req cached, %.0f "
            "uncached" % (r["pss"] / MIB, r["cached"]["us_per_req"],
                          r["uncached"]["us_per_req"]))
        return r


# --- the report ---------------------------------------------------------

def errs(*rs):
    return sum(r["errors"] for r in rs if r)


def report_tree(t, m):
    big = m["spec"][0] >= 100000
    n = "%s %s" % (m["name"], "text" if m["spec"][2] else "gmi")
    mo = m.get("molly")
    t.add(n + " start-up", "tulpar", "%.2f s" % m["startup"], "",
          "<= 3 s" if big else "(information)",
          m["startup"] <= 3 if big else None,
          notes="%d pages of %d bytes" % m["spec"][:2])
    if mo:
        t.add(n + " start-up", "molly-brown", "%.2f s" % mo["startup"])
    ratio = "%.1fx molly" % (m["pss_start"] / mo["pss"]) if mo else ""
    t.add(n + " PSS after start", "tulpar", "%.1f MiB" % (m["pss_start"] / MIB),
          ratio, "<= 100 MiB" if big else "(information)",
          m["pss_start"] <= 100 * 1024 if big else None)
    if mo:
        t.add(n + " PSS after start", "molly-brown", "%.1f MiB" %
              (mo["pss"] / MIB))
    t.add(n + " PSS after serving", "tulpar", "%.1f MiB" %
          (m["pss_served"] / MIB), "", "<= 100 MiB" if big else
          "(information)", m["pss_served"] <= 100 * 1024 if big else None,
          notes="after the uncached runs (%d requests over the %d pages in "
          "turn), default cache_size" % (m["served"], m["pages"]))
    h = m["hup"]
    grow = h["after"] / max(m["pss_start"], 1)
    t.add(n + " PSS after SIGHUP", "tulpar", "%.1f MiB" % (h["after"] / MIB),
          "%.2fx start" % grow, "<= 1.1x start (no growth)",
          grow <= 1.1 and h["done"],
          notes="reload %.2f s%s; then %.1f s of server CPU before it idled "
          "(%.1f s)" % (h["reload_s"], "" if h["done"] else ", NOT DONE",
                        m["settle"][1], m["settle"][0]))
    peak = h["peak"] / max(m["pss_start"], 1)
    t.add(n + " PSS peak in SIGHUP", "tulpar", "%.1f MiB" % (h["peak"] / MIB),
          "%.2fx start" % peak, "<= 1.2x steady", peak <= 1.2,
          notes="sampled every 15 ms")
    for proto in ("gemini", "gopher"):
        c, u = m[proto + "_cached"], m[proto + "_uncached"]
        base = m.get(proto + "_base")
        if base:
            r = c["us_per_req"] / max(base["us_per_req"], 1e-9)
            t.add(n + " %s cached" % proto, "tulpar",
                  "%.0f us/req" % c["us_per_req"], "%.2fx base" % r,
                  "<= 1.1x today's", r <= 1.1 and errs(c, base) == 0,
                  "%.0f" % c["rps"], "%.1f" % (c["p99_us"] / 1e3), errs(c),
                  "base %.0f us/req" % base["us_per_req"])
        else:
            t.add(n + " %s cached" % proto, "tulpar",
                  "%.0f us/req" % c["us_per_req"], "",
                  "(today's: BENCH_TREES_BASE)", None, "%.0f" % c["rps"],
                  "%.1f" % (c["p99_us"] / 1e3), errs(c))
        r = u["us_per_req"] / max(c["us_per_req"], 1e-9)
        gem = proto == "gemini"
        t.add(n + " %s uncached" % proto, "tulpar",
              "%.0f us/req" % u["us_per_req"], "%.2fx cached" % r,
              "<= 1.3x cached" if gem else "(information)",
              r <= 1.3 and errs(u) == 0 if gem else None, "%.0f" % u["rps"],
              "%.1f" % (u["p99_us"] / 1e3), errs(u),
              "%d distinct pages in turn, %d requests" % (m["pages"],
                                                          u["requests"]))
    if mo:
        for kind in ("cached", "uncached"):
            r = mo[kind]
            mine = m["gemini_" + kind]["us_per_req"]
            t.add(n + " gemini %s" % kind, "molly-brown",
                  "%.0f us/req" % r["us_per_req"],
                  "tulpar %.2fx" % (mine / max(r["us_per_req"], 1e-9)), "",
                  None, "%.0f" % r["rps"], "%.1f" % (r["p99_us"] / 1e3),
                  errs(r))
    g = m["gap"]
    gap = max(g["gemini"]["max_gap_ms"], g["gopher"]["max_gap_ms"])
    fails = g["gemini"]["fail"] + g["gopher"]["fail"] + g["load_errors"]
    t.add(n + " SIGHUP gap under load", "tulpar", "%.0f ms" % gap, "",
          "<= 100 ms, none failed", gap <= 100 and fails == 0 and g["done"],
          errors=fails, notes="probe every 10 ms: Gemini %.0f ms, Gopher "
          "%.0f ms; reload %.2f s; loadgen -c 4 on each" % (
              g["gemini"]["max_gap_ms"], g["gopher"]["max_gap_ms"],
              g["reload_s"]))
    if m["change_s"] is None:
        t.add(n + " change served", "tulpar", "n/a", "", "<= 1 s, 50 ms CPU",
              False, notes="a new page not served on both within 5 s")
    else:
        cpu, theirs, probes = m["change_cpu_ms"]
        t.add(n + " change served", "tulpar", "%.0f ms" % (m["change_s"] * 1e3),
              "", "<= 1 s, 50 ms CPU",
              m["change_s"] <= 1 and cpu - theirs <= 50,
              notes="server CPU %.0f ms meanwhile, ~%.0f ms of it for the "
              "%d probes (10 ms ticks)" % (cpu, theirs, probes))


def selected():
    sel = os.environ.get("BENCH_TREES", "").strip()
    if sel == "none":
        return []
    names = [s.strip() for s in sel.split(",") if s.strip()] or list(TREES)
    bad = [s for s in names if s not in TREES]
    if bad:
        raise RuntimeError("BENCH_TREES: unknown %s (known: %s)" %
                           (",".join(bad), ",".join(TREES)))
    return [(s, TREES[s]) for s in names]


class Rows:
    """Rows for bench.py's table, as dicts of Table.add's arguments."""

    def __init__(self):
        self.rows = []

    def add(self, scenario, server, measured, ratio="", target="", ok=None,
            rps="", p99="", errors="", notes=""):
        self.rows.append(dict(scenario=scenario, server=server,
                              measured=measured, ratio=ratio, target=target,
                              ok=ok, rps=rps, p99=p99, errors=errors,
                              notes=notes))


def rows(b, rounds=None, seconds=None):
    """bench.py's full run: the rows of every tree BENCH_TREES selects
    (BENCH_TREES_SECONDS, not bench.py's rounds and seconds, sets the runs)."""
    out, tr = Rows(), Trees(B, b, False)
    for name, spec in selected():
        report_tree(out, tr.measure(name, spec))
    return out.rows


def smoke(b, check):
    """bench.py's smoke run: a tiny tree through every scenario; check()
    takes loadgen results (ok > 0 and no errors pass)."""
    m = Trees(B, b, True).measure(*SMOKE_TREE)
    t = B.Table()
    report_tree(t, m)
    t.print()
    mo = m.get("molly") or {}
    for k in ("gemini_cached", "gemini_uncached", "gopher_cached",
              "gopher_uncached"):
        check("tree tulpar " + k, m[k])
    for k in ("cached", "uncached"):
        if k in mo:
            check("tree molly-brown " + k, mo[k])
    g = m["gap"]
    for what, ok in (
            ("tree: PSS measured", m["pss_start"] > 0 and
             m["hup"]["after"] > 0 and m["hup"]["done"]),
            ("tree: SIGHUP under load, nothing failed",
             g["gemini"]["fail"] + g["gopher"]["fail"] + g["load_errors"] == 0
             and g["done"]),
            ("tree: tulpar alive", m["alive"])):
        check(what, {"ok": int(ok), "errors": int(not ok), "what": what})


def main():
    """On its own: python3 tests/bench/trees.py [--smoke]; one table."""
    smoke_mode = sys.argv[1:] == ["--smoke"]
    tmp = tempfile.mkdtemp(prefix="tulpar-trees.")
    passed, failed = [0], [0]

    def check(what, r):
        ok = r["ok"] > 0 and r["errors"] == 0
        passed[0] += ok
        failed[0] += not ok
        if not ok:
            print("FAIL %s: %s" % (what, json.dumps(r)))
    try:
        copy = os.path.join(tmp, "tulpar")
        shutil.copy2(B.TULPAR, copy)
        B.TULPAR = copy
        b = B.Bench(tmp, smoke_mode)
        if smoke_mode:
            smoke(b, check)
            print("%d passed, %d failed" % (passed[0], failed[0]))
            return 1 if failed[0] else 0
        t = B.Table()
        for row in rows(b):
            t.add(**row)
        return t.report("tulpar on generated trees (issue 11): %s, loadgen "
                        "-c %d, %gs runs" % (B.TULPAR, CONC, SECONDS))
    finally:
        B.stop_all()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
