#!/usr/bin/env python3
"""A small FastCGI responder for tests and the bench: it honours
FCGI_KEEP_CONN (so tulpar's connection reuse shows), counts the
connections it accepted, and answers by PATH_INFO:
  /env     20 text/plain and every parameter, one per line
  /slow    sleeps 30 s first
  /err     a line on STDERR, then a page
  /noend   closes the connection without END_REQUEST
  other    20 text/gemini and a short page
Usage: fcgi_responder.py HOST PORT COUNTFILE  (or unix:PATH COUNTFILE)"""
import os
import socket
import struct
import sys
import threading
import time

count = 0
lock = threading.Lock()


def record(t, content, rid=1):
    return struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content


def read_exact(f, n):
    b = b""
    while len(b) < n:
        d = f.recv(n - len(b))
        if not d:
            return None
        b += d
    return b


def pairs(data):
    out, i = {}, 0
    while i < len(data):
        lens = []
        for _ in range(2):
            n = data[i]
            if n & 0x80:
                n = struct.unpack("!I", data[i:i + 4])[0] & 0x7FFFFFFF
                i += 4
            else:
                i += 1
            lens.append(n)
        k = data[i:i + lens[0]].decode()
        i += lens[0]
        out[k] = data[i:i + lens[1]].decode("utf-8", "replace")
        i += lens[1]
    return out


def answer(s, params, rid):
    info = params.get("PATH_INFO", "")
    if info == "/slow":
        time.sleep(30)
    if info == "/noend":
        s.close()
        return False
    if info == "/env":
        body = "20 text/plain\r\n" + "".join(
            "%s=%s\n" % kv for kv in sorted(params.items()))
    else:
        body = "20 text/gemini\r\n# FastCGI page\n\nHello from the responder.\n"
    if info == "/err":
        s.sendall(record(7, b"a line on stderr\n", rid))
    data = body.encode()
    for i in range(0, len(data), 8000):
        s.sendall(record(6, data[i:i + 8000], rid))
    s.sendall(record(6, b"", rid) + record(3, struct.pack("!IB3x", 0, 0), rid))
    return True


def serve(s):
    global count
    with lock:
        count += 1
        with open(sys.argv[-1], "w") as f:
            f.write("%d\n" % count)
    params, keep = b"", False
    while True:
        h = read_exact(s, 8)
        if h is None:
            break
        _, t, rid, clen, plen = struct.unpack("!BBHHBx", h)
        body = read_exact(s, clen + plen)
        if body is None:
            break
        body = body[:clen]
        if t == 1:
            keep = bool(body[2] & 1)
            params = b""
        elif t == 4 and clen:
            params += body
        elif t == 5 and clen == 0:
            if not answer(s, pairs(params), rid):
                return
            if not keep:
                break
    s.close()


def main():
    if sys.argv[1].startswith("unix:"):
        path = sys.argv[1][5:]
        ls = socket.socket(socket.AF_UNIX)
        if os.path.exists(path):
            os.unlink(path)
        ls.bind(path)
        os.chmod(path, 0o666)
    else:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((sys.argv[1], int(sys.argv[2])))
    ls.listen(128)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
