#!/usr/bin/env python3
"""Programs (issue 13): server CPU per request for a trivial CGI program
and for a FastCGI responder, beside a static page on the same tulpar, and
beside Molly Brown running the same CGI program, in the same rounds.

bench.py calls measure() (its hook) and adds the rows to its table; run
alone, this prints those rows only:

    python3 tests/bench/cgibench.py        (BENCH_ROUNDS, BENCH_SECONDS)

"Own" CPU is the servers' utime+stime (fields 14 and 15 of /proc/PID/stat,
summed over the process tree): what the server itself spends. The
programs' CPU (fields 16 and 17, the reaped children) is shown beside it,
for information: the same shell script costs the same under any server.
The FastCGI responder (tests/bench/fcgiresp.c, keep-alive) runs on the
load generator's CPU and is not counted.
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

CGI_CONC = bench.env_num("BENCH_CGI_CONCURRENCY", 8)
PROGRAM = "#!/bin/sh\nprintf '20 text/gemini\\r\\n# Hello\\n\\nFrom a program.\\n'\n"
STATIC = "# Hello\n\nFrom a program.\n"


def cpu_split(root):
    """(own, children) CPU seconds of a process tree."""
    own = kids = 0
    for p in bench.proc_tree(root):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own += int(fields[11]) + int(fields[12])
        kids += int(fields[13]) + int(fields[14])
    return own / bench.TICK, kids / bench.TICK


def run(srv, url, seconds):
    o0, k0 = cpu_split(srv.pid)
    r = bench.loadgen(url, "-c", CGI_CONC, "-d", seconds, limit=seconds + 60)
    o1, k1 = cpu_split(srv.pid)
    n = max(r["requests"], 1)
    r["own_us"] = (o1 - o0) * 1e6 / n
    r["prog_us"] = (k1 - k0) * 1e6 / n
    if not srv.alive():
        raise RuntimeError("%s died: %s" % (srv.name, srv.log_tail()))
    return r


def setup(b):
    root = os.path.join(b.tmp, "cgiroot")
    os.makedirs(os.path.join(root, "cgi"), exist_ok=True)
    os.makedirs(os.path.join(root, "fcgi"), exist_ok=True)
    with open(os.path.join(root, "static.gmi"), "w") as f:
        f.write(STATIC)
    prog = os.path.join(root, "cgi", "hello")
    with open(prog, "w") as f:
        f.write(PROGRAM)
    # The workers run as nobody: they must reach the root and read it.
    os.chmod(b.tmp, 0o755)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o755 if x == "hello" else 0o644)
    return root


@bench.retried
def start_responder(b):
    """fcgiresp.c on the load generator's CPU: a C responder that costs
    next to nothing, so the rows measure tulpar."""
    port = bench.free_port()
    argv = bench.pin("BENCH_CLIENT_CPU", 1) + [os.path.join(HERE, "fcgiresp"),
                                               str(port)]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.time() + 10
    while not bench.listening(port):
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            raise RuntimeError("the FastCGI responder did not start")
        time.sleep(0.05)
    return p, port


@bench.retried
def start_tulpar(b, root, fport):
    gp, pp = bench.free_port(), bench.free_port()
    conf = os.path.join(b.tmp, "cgi.conf")
    with open(conf, "w") as f:
        f.write("[server]\ngemini = 127.0.0.1:%d\ncert_dir = %s\nworkers = 1\n"
                "[host localhost]\nroot = %s\ngopher = 127.0.0.1:%d\n"
                "[path localhost /cgi/]\ncgi = yes\n"
                "[path localhost /fcgi/]\nfastcgi = 127.0.0.1:%d\n" %
                (gp, b.certdir, root, pp, fport))
    s = bench.Server("tulpar", [bench.TULPAR, "-c", conf], [gp, pp],
                     os.path.join(b.tmp, "tulpar-cgi.log"))
    base = "gemini://localhost:%d" % gp
    s.urls = {"static": base + "/static.gmi", "cgi": base + "/cgi/hello",
              "fcgi": base + "/fcgi/page"}
    return s


@bench.retried
def start_molly(b, root):
    port = bench.free_port()
    conf = os.path.join(b.tmp, "molly.conf")
    with open(conf, "w") as f:
        f.write('Port = %d\nHostname = "localhost"\nCertPath = "%s"\n'
                'KeyPath = "%s"\nDocBase = "%s/"\nAccessLog = "%s"\n'
                'ErrorLog = "%s"\nCGIPaths = [ "%s/cgi/" ]\n' %
                (port, b.crt, b.key, root, os.path.join(b.tmp, "molly.access"),
                 os.path.join(b.tmp, "molly.error"), root))
    # Molly Brown listens on every address (tcp6): wait for a connect.
    s = bench.Server("molly-brown", ["molly-brown", "-c", conf], [],
                     os.path.join(b.tmp, "molly.log"))
    deadline = time.time() + 10
    while True:
        try:
            bench.socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            if not s.alive() or time.time() > deadline:
                s.stop()
                raise RuntimeError("molly-brown did not start: " + s.log_tail())
            time.sleep(0.05)
    s.urls = {"cgi": "gemini://localhost:%d/cgi/hello" % port}
    return s


def measure(b, rounds, seconds):
    """The hook: measures, and returns a function adding rows to a Table."""
    root = setup(b)
    resp, fport = start_responder(b)
    t = start_tulpar(b, root, fport)
    molly = start_molly(b, root) if bench.shutil.which("molly-brown") else None
    runs = [("static", t), ("cgi", t), ("fcgi", t)]
    if molly is not None:
        runs.append(("molly", molly))
    for _, srv in runs:  # warm-up, and the FastCGI connection made
        url = srv.urls["cgi" if srv is molly else _]
        bench.loadgen(url, "-c", 2, "-d", min(seconds, 0.5))
    res = {}
    try:
        for rnd in range(rounds):
            order = runs if rnd % 2 == 0 else list(reversed(runs))
            for key, srv in order:
                r = run(srv, srv.urls["cgi" if key == "molly" else key], seconds)
                res.setdefault(key, []).append(r)
                bench.log("round %d %-7s %-11s own %7.1f us/req  programs "
                          "%7.1f us/req  %6.0f req/s  errors %d" %
                          (rnd + 1, key, srv.name, r["own_us"], r["prog_us"],
                           r["rps"], r["errors"]))
    finally:
        for s in (t, molly):
            if s is not None:
                s.stop()
        resp.kill()
        resp.wait()
    return lambda table: report(table, res)


def report(t, res):
    def cells(rs):
        return dict(rps="%.0f" % statistics.median(r["rps"] for r in rs),
                    p99="%.1f" % (statistics.median(r["p99_us"] for r in rs) / 1e3),
                    errors=sum(r["errors"] for r in rs))

    def us(rs):
        return bench.med_range([r["own_us"] for r in rs], "%.0f") + " us/req"

    def prog(rs):
        return "programs %s us/req; concurrency %d" % (
            bench.med_range([r["prog_us"] for r in rs], "%.0f"), CGI_CONC)

    st = res["static"]
    t.add("static (for CGI)", "tulpar", us(st), notes="own CPU; concurrency %d"
          % CGI_CONC, **cells(st))
    fc = res["fcgi"]
    rt = bench.per_round(fc, st, "own_us")
    t.add("FastCGI", "tulpar", us(fc), bench.med_range(rt, "%.2f") + " x static",
          "<= 1.3x static", bool(rt) and statistics.median(rt) <= 1.3 and
          all(r["errors"] == 0 for r in fc), notes="own CPU; responder not "
          "counted (keep-alive)", **cells(fc))
    cg = res["cgi"]
    if "molly" not in res:
        t.add("CGI", "tulpar", us(cg), notes=prog(cg), **cells(cg))
        t.add("CGI", "molly-brown", "-", "", "tulpar < molly", False,
              notes="molly-brown not installed")
        return
    mo = res["molly"]
    t.add("CGI", "molly-brown", us(mo), notes=prog(mo), **cells(mo))
    rt = bench.per_round(cg, mo, "own_us")
    t.add("CGI", "tulpar", us(cg), bench.med_range(rt, "%.2f") + " x molly",
          "< 1x molly-brown", bool(rt) and statistics.median(rt) < 1 and
          all(r["errors"] == 0 for r in cg), notes=prog(cg) + "; " +
          bench.med_range(bench.per_round(cg, st, "own_us"), "%.2f") +
          " x static", **cells(cg))


def main():
    import tempfile
    import shutil
    tmp = tempfile.mkdtemp(prefix="tulpar-cgibench.")
    try:
        b = bench.Bench(tmp, False)
        t0 = b.start_tulpar()  # makes the certificate Molly Brown uses too
        t0.stop()
        add = measure(b, bench.ROUNDS, bench.SECONDS)
        table = bench.Table()
        add(table)
        table.report("tulpar programs: %d rounds x %gs" % (bench.ROUNDS,
                                                            bench.SECONDS))
    finally:
        bench.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
