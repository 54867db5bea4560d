#!/usr/bin/env bash
# Latency as clients that keep Nagle's algorithm on see it (Python's ssl,
# Lagrange): sequential requests, each on a new connection with the default
# socket options. A request written after the client's Finished waits for the
# server to acknowledge that Finished; if the server has nothing to send then
# and acknowledges late (Linux's delayed ACK, 40 ms), every page waits on a
# timer. The bound is loose (a median under 20 ms on loopback, where an
# answer takes 1-5 ms), so a busy machine does not fail it but the stall
# does; on a machine so slow (a sanitizer build under load) that the same
# requests take more than 10 ms with TCP_NODELAY, the bound is 10 ms above
# theirs, still well below the 40 ms stall. Full and resumed handshakes, TLS 1.3 and 1.2, the request in one
# write and in two (URL, then CRLF).
. "$(dirname "$0")/lib.sh"
need_tulpar

N=${LATENCY_REQUESTS:-10}
LIMIT_MS=20

make_tree
start_tulpar || bail "tulpar starts"

# The requests go in pairs, one client with Nagle on (the default socket
# options) and one with TCP_NODELAY, so that both series meet the same load.
# Python arguments: port N version resume split, where resume is "no" (full
# handshakes) or "keep" (each connection offers the session the one before
# in its series ended with) and split "no" or "yes". Prints one line per
# series: "nagle|nodelay median MS max MS reused R of N ok K nodelay D", ok
# counting "20 " answers, nodelay as the socket had it (0: Nagle on).
_LAT_PY='
import socket, ssl, statistics, sys, time
port, n, ver, resume, split = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ctx.maximum_version = \
    ssl.TLSVersion.TLSv1_3 if ver == "1.3" else ssl.TLSVersion.TLSv1_2
url = b"gemini://localhost:%d/page.gmi" % port
series = {nd: dict(times=[], reused=0, ok=0, nodelay=0, sess=None) for nd in (0, 1)}

def request(r, nd):
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if nd:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r["nodelay"] |= s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    t = ctx.wrap_socket(s, server_hostname="localhost",
                        session=r["sess"] if resume == "keep" else None)
    if split == "yes":
        t.sendall(url)
        t.sendall(b"\r\n")
    else:
        t.sendall(url + b"\r\n")
    got = b"".join(iter(lambda: t.recv(65536), b""))  # until the server closes
    r["times"].append((time.monotonic() - t0) * 1000)
    r["ok"] += got.startswith(b"20 ")
    r["reused"] += t.session_reused
    r["sess"] = t.session
    t.close()

for i in range(n):
    for nd in ((0, 1) if i % 2 else (1, 0)):
        request(series[nd], nd)
for nd, name in ((0, "nagle"), (1, "nodelay")):
    r = series[nd]
    print("%s median %.1f max %.1f reused %d of %d ok %d nodelay %d" %
          (name, statistics.median(r["times"]), max(r["times"]), r["reused"], n,
           r["ok"], r["nodelay"]))
'

# median_of series output: the median of one series, or 999 if it is missing.
median_of() {
	printf '%s\n' "$2" | sed -n "s/^$1 median \\([0-9.]*\\) .*/\\1/p" | grep . || echo 999
}

# check name version resume split
check() {
	local name=$1 out nagle limit
	out=$(timeout 60 python3 -c "$_LAT_PY" "$GPORT" "$N" "$2" "$3" "$4" 2>&1)
	printf '%s\n' "$out" | sed "s/^/#   $name: /"
	nagle=$(printf '%s\n' "$out" | grep '^nagle ')
	expect_match "$name: every answer 20, Nagle on" "ok $N nodelay 0\$" "$nagle"
	if [ "$3" = keep ]; then
		expect_match "$name: resumed after the first" "reused $((N - 1)) of $N " "$nagle"
	fi
	limit=$(awk -v b="$(median_of nodelay "$out")" -v l="$LIMIT_MS" \
	    'BEGIN { print (b + 10 > l ? b + 10 : l) }')
	expect_lt "$name: median under $limit ms" "$limit" "$(median_of nagle "$out")"
}

check "TLS 1.3, full handshakes" 1.3 no no
check "TLS 1.3, resumed" 1.3 keep no
check "TLS 1.3, request in two writes" 1.3 no yes
check "TLS 1.2, full handshakes" 1.2 no no
check "TLS 1.2, resumed" 1.2 keep no
check "TLS 1.2, request in two writes" 1.2 no yes

stop_tulpar
expect_eq "clean exit" 0 $?
summary
