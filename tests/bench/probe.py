#!/usr/bin/env python3
"""Probes a server on both protocols every few milliseconds; reports gaps.

    probe.py [options] GEMINI_PORT GOPHER_PORT

One thread per protocol sends a request every --interval seconds (10 ms)
over a new connection to 127.0.0.1 (Gemini over TLS, no certificate
checks) and checks the answer: Gemini "20 ", Gopher at least one byte,
both ending with a clean close. Meanwhile --hup PID sends that process
SIGHUP --hups times, --hup-every seconds apart, from 0.3 s on. It runs
--seconds (or until SIGTERM/SIGINT), then prints one JSON line:

    {"gemini": {"ok": N, "fail": N, "max_gap_ms": X, "errors": [...]},
     "gopher": {...}, "hups": N}

max_gap_ms is the longest time without a successful answer: between two
answers in a row, or from the last to the end (from the start if none);
gap_at_s when it began, and hup_at_s when each SIGHUP went.
Used by tests/integration/test_supervise.sh and tests/bench/trees.py.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time


CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def read_all(s):
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d


def gemini(port, host, path, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout) as raw:
        # Else Nagle holds the request behind the Finished until its ACK.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with CTX.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(("gemini://%s:%d%s\r\n" % (host, port, path)).encode())
            data = read_all(s)
    if not data.startswith(b"20 "):
        raise ValueError("answer %r" % data[:40])
    return data


def gopher(port, host, path, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout) as s:
        s.sendall((path + "\r\n").encode())
        data = read_all(s)
    if not data:
        raise ValueError("empty answer")
    return data


class Prober(threading.Thread):
    def __init__(self, name, fn, port, args):
        super().__init__(daemon=True)
        self.name, self.fn, self.port, self.a = name, fn, port, args
        self.ok = self.fail = 0
        self.errors = []
        self.times = []
        self.stop = threading.Event()

    def run(self):
        t0 = time.monotonic()
        self.t0 = t0
        k = 0
        while not self.stop.is_set():
            try:
                self.fn(self.port, self.a.host, self.a.path, self.a.timeout)
                self.ok += 1
                self.times.append(time.monotonic())
            except Exception as e:  # every failure counts, whatever it is
                self.fail += 1
                if len(self.errors) < 5:
                    self.errors.append("%.3fs %s: %s" % (
                        time.monotonic() - t0, type(e).__name__, e))
            k += 1
            wait = t0 + k * self.a.interval - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
            elif self.a.interval > 0:
                k = int((time.monotonic() - t0) / self.a.interval)

    def result(self, end):
        marks = (self.times or [self.t0]) + [end]
        gap, at = max((b - a, a) for a, b in zip(marks, marks[1:]))
        return {"ok": self.ok, "fail": self.fail,
                "max_gap_ms": round(gap * 1000, 1),
                "gap_at_s": round(at - self.t0, 3), "errors": self.errors}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gemini_port", type=int)
    ap.add_argument("gopher_port", type=int)
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--path", default="/")
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--hup", type=int, default=0)
    ap.add_argument("--hups", type=int, default=1)
    ap.add_argument("--hup-every", type=float, default=0.5)
    a = ap.parse_args()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    probers = [Prober("gemini", gemini, a.gemini_port, a),
               Prober("gopher", gopher, a.gopher_port, a)]
    for p in probers:
        p.start()
    start, hups, hup_at = time.monotonic(), 0, []
    while not done.is_set():
        now = time.monotonic() - start
        if now >= a.seconds:
            break
        if a.hup and hups < a.hups and now >= 0.3 + hups * a.hup_every:
            os.kill(a.hup, signal.SIGHUP)
            hup_at.append(round(now, 3))
            hups += 1
        done.wait(0.01)
    end = time.monotonic()
    for p in probers:
        p.stop.set()
    for p in probers:
        p.join(a.timeout + 1)
    out = {p.name: p.result(end) for p in probers}
    out["hups"], out["hup_at_s"] = hups, hup_at
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
