#!/usr/bin/env python3
"""The content store's figures for one binary and one tree (issue 11).

    storemeasure.py BINARY TREE [CACHE_SIZE [PAGE]]

Starts BINARY (-w 1, pinned to CPU 0) on TREE and prints one JSON line:
start_s (exec to the Gopher port answering), pss_start_MiB (summed over
the parent and its workers), bg_check_s (until the content checks' summary
line), gemini_us / gopher_us (server CPU per request from /proc/PID/stat
over 3 s of tests/bench/loadgen -c 8 on PAGE, pinned to CPU 1; with a
CACHE_SIZE of 1K every request reads and renders the page: uncached),
write_to_served_ms (a new page written, polled over Gopher until served),
pss_sighup_peak_MiB (sampled every 20 ms for 3 s after SIGHUP) and
pss_after_sighup_MiB. TREE comes from a generator such as gentree.py
(pages at /aNNN/bNN/pNNNNNN.gmi); build loadgen with `make bench-build`.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN, TREE = sys.argv[1], os.path.abspath(sys.argv[2])
CACHE = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
PAGE = sys.argv[4] if len(sys.argv) > 4 else "/a000/b00/p000000.gmi"
LOADGEN = os.path.join(HERE, "loadgen")
WORK = tempfile.mkdtemp(prefix="storemeasure.")
CERTS = os.path.join(WORK, "certs")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


GP, PP = free_port(), free_port()

def procs(pid):
    out = [pid]
    try:
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
        out += [int(k) for k in kids]
    except Exception:
        pass
    return out

def pss(pid):
    t = 0
    for p in procs(pid):
        try:
            for l in open("/proc/%d/smaps_rollup" % p):
                if l.startswith("Pss:"):
                    t += int(l.split()[1])
        except OSError:
            pass
    return t / 1024

def cpu(pid):
    t = 0
    for p in procs(pid):
        try:
            f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            t += int(f[11]) + int(f[12])
        except OSError:
            pass
    return t / os.sysconf("SC_CLK_TCK")

def listening(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"/nope\r\n")
        s.recv(10)
        return True
    except OSError:
        return False
    finally:
        s.close()

args = [BIN, "-d", TREE, "-T", CERTS, "-H", "localhost", "-G", "127.0.0.1:%d" % GP,
        "-P", "127.0.0.1:%d" % PP, "-w", "1"]
# The store alone, without the search index, where the build has -S.
if b"-S path" in subprocess.run([BIN, "-h"], stdout=subprocess.PIPE).stdout:
    args += ["-S", "off"]
if CACHE:
    conf = os.path.join(WORK, "m.conf")
    open(conf, "w").write("[server]\ncache_size = %s\n[host localhost]\nroot = %s\n" % (CACHE, TREE))
    args[1:1] = ["-c", conf]
log = open(os.path.join(WORK, "m.log"), "w")
t0 = time.monotonic()
p = subprocess.Popen(["taskset", "-c", "0"] + args, stdout=log, stderr=log)
while not listening(PP):
    if p.poll() is not None:
        sys.exit("died")
    time.sleep(0.005)
start = time.monotonic() - t0
time.sleep(0.5)
pss_start = pss(p.pid)
t1 = time.monotonic()
while "content of" not in open(os.path.join(WORK, "m.log")).read() and time.monotonic() - t1 < 60 :
    time.sleep(0.05)
check_s = time.monotonic() - t1

def gopher(path):
    s = socket.create_connection(("127.0.0.1", PP))
    s.sendall(path.encode() + b"\r\n")
    b = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        b += d
    return b

def run_load(url, secs=3):
    c0 = cpu(p.pid)
    r = subprocess.run(["taskset", "-c", "1", LOADGEN, "-q", "-a", "127.0.0.1", "-c", "8", "-d", str(secs), url],
                       capture_output=True, text=True)
    c1 = cpu(p.pid)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    n = j.get("ok", j.get("requests", 0))
    return (c1 - c0) / max(n, 1) * 1e6, n, j

res = {"start_s": round(start, 2), "pss_start_MiB": round(pss_start, 1), "bg_check_s": round(check_s + 0.5, 1)}
g_us, gn, gj = run_load("gemini://localhost:%d%s" % (GP, PAGE))
p_us, pn, pj = run_load("gopher://127.0.0.1:%d/1%s" % (PP, PAGE))
res.update({"gemini_us": round(g_us), "gemini_n": gn, "gopher_us": round(p_us), "gopher_n": pn})
res["pss_after_load_MiB"] = round(pss(p.pid), 1)
# write to served (gopher), 5 times
lat = []
for i in range(5):
    path = "/fresh%d.gmi" % i
    t = time.monotonic()
    open(TREE + path, "w").write("# Fresh %d\n" % i)
    while b"Fresh" not in gopher(path) and time.monotonic() - t < 5:
        time.sleep(0.005)
    ms = round((time.monotonic() - t) * 1000)
    lat.append(ms if ms < 5000 else "timeout")
    os.unlink(TREE + path)
res["write_to_served_ms"] = lat
# SIGHUP: peak and after
peak = 0
p.send_signal(signal.SIGHUP)
t = time.monotonic()
while time.monotonic() - t < 3:
    peak = max(peak, pss(p.pid))
    time.sleep(0.02)
res["pss_sighup_peak_MiB"] = round(peak, 1)
time.sleep(2)
res["pss_after_sighup_MiB"] = round(pss(p.pid), 1)
p.send_signal(signal.SIGTERM)
p.wait()
shutil.rmtree(WORK, ignore_errors=True)
print(json.dumps(res))
