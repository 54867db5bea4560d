#!/usr/bin/env bash
# Two tulpar instances behind HAProxy (TCP mode, PROXY protocol v2 and v1,
# health checks with check-send-proxy, roundrobin), all on loopback: requests
# through the proxy succeed over Gemini and Gopher, both instances serve, the
# log shows the client's address from the PROXY header (the client binds
# 127.0.0.2; HAProxy connects from 127.0.0.1), the Gemini URL names the
# frontend's port, and health checks log no errors.
. "$(dirname "$0")/lib.sh"
need_tulpar
command -v haproxy >/dev/null || bail "haproxy is installed (apt-get install haproxy)"
T_START=$(now)
NL=$'\n'

make_tree
head -c 3145728 /dev/urandom >"$TREE/big.bin"	# 3 MiB: streamed from disk
NOTES=$'Some notes.\nA second line.\n'

# ---------------------------------------------------------------- two instances

G1=$(free_port) P1=$(free_port) G2=$(free_port) P2=$(free_port)
HG=$(free_port) HP=$(free_port) HG1=$(free_port) HP1=$(free_port)
# instance_conf gemini-port gopher-port: the same root and cert dir for both.
instance_conf() {
	cat <<EOF
# tulpar behind HAProxy: every connection starts with a PROXY header.
[server]
gemini = 127.0.0.1:$1
gemini_proxy = yes
cert_dir = $CERTDIR
workers = 1

[host localhost]
root = $TREE
gopher = 127.0.0.1:$2
gopher_proxy = yes
EOF
}
instance_conf "$G1" "$P1" >"$TMP/t1.conf"
instance_conf "$G2" "$P2" >"$TMP/t2.conf"
# The first start generates the certificate; the second reuses it.
start_conf "$TMP/t1.conf" "$G1 $P1" || bail "instance 1 starts (gemini_proxy, gopher_proxy)"
I1_PID=$SRV_PID I1_LOG=$SRV_LOG
start_conf "$TMP/t2.conf" "$G2 $P2" || bail "instance 2 starts (gemini_proxy, gopher_proxy)"
I2_PID=$SRV_PID I2_LOG=$SRV_LOG
expect_lacks "instance 2 reuses the certificate instance 1 generated" "generated" "$(cat "$I2_LOG")"
CERT_FP=$(openssl x509 -in "$CERTDIR/localhost.crt" -noout -fingerprint -sha256 2>/dev/null)

# Without a PROXY header, the listeners refuse.
PPORT=$P1
capture r goph_sel /notes.txt
expect_eq "gopher_proxy, no PROXY header: the bad-request item" \
    $'3Bad request\t\terror.host\t1\r\n.\r\n' "$r"
r=$(printf 'gemini://localhost:%s/\r\n' "$G1" | timeout 5 openssl s_client -quiet \
    -connect "127.0.0.1:$G1" -servername localhost 2>/dev/null)
expect_eq "gemini_proxy, no PROXY header: no TLS, nothing served" "" "$r"

# A PROXY v1 header by hand: the source address goes to the log, and the
# Gemini URL must name the header's destination port, not the listener's.
proxied() {	# proxied dst-port url: PROXY TCP4 127.0.0.9 -> 127.0.0.1:dst-port, then TLS
	timeout 10 python3 -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"PROXY TCP4 127.0.0.9 127.0.0.1 40000 %s\r\n" % sys.argv[2].encode())
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
t = c.wrap_socket(s, server_hostname="localhost")
t.sendall(sys.argv[3].encode() + b"\r\n")
d = b""
while True:
    b = t.recv(65536)
    if not b:
        break
    d += b
sys.stdout.write(d.decode())' "$G1" "$1" "$2"
}
capture r proxied 4242 "gemini://localhost:4242/notes.txt"
expect_eq "PROXY v1 by hand: the URL names the header's destination port" $'20 text/plain\r\n'"$NOTES" "$r"
capture r proxied 4242 "gemini://localhost:$G1/notes.txt"
expect_eq "PROXY v1 by hand: the listener's own port is not the one" $'53 Port not served\r\n' "$r"
capture r proxied 1965 "gemini://localhost/notes.txt"
expect_eq "PROXY v1 by hand: destination 1965, a URL without a port" $'20 text/plain\r\n'"$NOTES" "$r"
sleep 0.3
expect_match "PROXY v1 by hand: the log has the header's source address" \
    " 127\\.0\\.0\\.9 gemini \"gemini://localhost:4242/notes\\.txt\" 20 " "$(cat "$I1_LOG")"

# ---------------------------------------------------------------- HAProxy

HCFG=$TMP/haproxy.cfg
HSOCK=$TMP/haproxy.sock
cat >"$HCFG" <<EOF
global
    maxconn 256
    stats socket $HSOCK mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
    default-server inter 500ms fall 2 rise 1

# PROXY protocol v2; health checks send a v2 LOCAL header. (HAProxy sends the
# header on checks of send-proxy servers anyway unless the check has its own
# port or addr; check-send-proxy says so explicitly.)
frontend gemini
    bind 127.0.0.1:$HG
    default_backend gemini
backend gemini
    balance roundrobin
    server t1 127.0.0.1:$G1 send-proxy-v2 check check-send-proxy
    server t2 127.0.0.1:$G2 send-proxy-v2 check check-send-proxy

frontend gopher
    bind 127.0.0.1:$HP
    default_backend gopher
backend gopher
    balance roundrobin
    server t1 127.0.0.1:$P1 send-proxy-v2 check check-send-proxy
    server t2 127.0.0.1:$P2 send-proxy-v2 check check-send-proxy

# PROXY protocol v1 (text); health checks send a TCP4 line with HAProxy's addresses.
frontend gemini_v1
    bind 127.0.0.1:$HG1
    default_backend gemini_v1
backend gemini_v1
    balance roundrobin
    server t1 127.0.0.1:$G1 send-proxy check check-send-proxy
    server t2 127.0.0.1:$G2 send-proxy check check-send-proxy

frontend gopher_v1
    bind 127.0.0.1:$HP1
    default_backend gopher_v1
backend gopher_v1
    balance roundrobin
    server t1 127.0.0.1:$P1 send-proxy check check-send-proxy
    server t2 127.0.0.1:$P2 send-proxy check check-send-proxy
EOF
haproxy -c -f "$HCFG" >"$TMP/haproxy-check.out" 2>&1
expect_eq "haproxy -c accepts the configuration" 0 "$?"
# What the instances log from here on is HAProxy's doing.
sleep 0.3
SKIP1=$(wc -l <"$I1_LOG") SKIP2=$(wc -l <"$I2_LOG")
haproxy -f "$HCFG" -db </dev/null >"$TMP/haproxy.out" 2>&1 &
HAP_PID=$!
SERVER_PIDS+=("$HAP_PID")
wait_listening "$HAP_PID" "$HG" "$HP" "$HG1" "$HP1" ||
    bail "haproxy listens ($(head -c 300 "$TMP/haproxy.out"))"

# hap_servers: "backend/server status check" for each server, from the stats socket.
hap_servers() {
	timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
for l in d.decode().splitlines():
    f = l.split(",")
    if l.startswith("#") or len(f) < 37 or f[1] in ("FRONTEND", "BACKEND"):
        continue
    print(f[0] + "/" + f[1], f[17], f[36])' "$HSOCK"
}
for i in $(seq 1 50); do
	st=$(hap_servers)
	[ "$(grep -c ' UP L4OK$' <<<"$st")" -eq 8 ] && break
	sleep 0.1
done
expect_eq "health checks: all 8 servers UP with L4OK" 8 "$(grep -c ' UP L4OK$' <<<"$st")"
[ "$(grep -c ' UP L4OK$' <<<"$st")" -eq 8 ] || diag "$st"

# ---------------------------------------------------------------- through HAProxy, v2

# Six requests each way from 127.0.0.2 (HAProxy itself connects from 127.0.0.1).
gem_ok=0 gem_fp=0 goph_ok=0
for i in 1 2 3 4 5 6; do
	fetch -t -b 127.0.0.2 -s localhost 127.0.0.1 "$HG" "gemini://localhost:$HG/notes.txt" \
	    >"$TMP/g.$i" 2>/dev/null
	[ "$(cat "$TMP/g.$i"; printf x)" = $'20 text/plain\r\n'"${NOTES}x" ] && gem_ok=$((gem_ok + 1))
	r=$(timeout 10 curl -s --max-time 8 --interface 127.0.0.2 "gopher://127.0.0.1:$HP/0/notes.txt"; printf x)
	[ "$r" = "${NOTES}x" ] && goph_ok=$((goph_ok + 1))
done
expect_eq "Gemini through HAProxy (v2), URL with the frontend's port: 6 of 6 answered 20" 6 "$gem_ok"
expect_eq "Gopher through HAProxy (v2): 6 of 6 answered" 6 "$goph_ok"
for i in 1 2 3 4; do
	[ "$(timeout 5 openssl s_client -connect "127.0.0.1:$HG" -servername localhost </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null)" = "$CERT_FP" ] && gem_fp=$((gem_fp + 1))
done
expect_eq "through HAProxy both instances present the same certificate (4 of 4)" 4 "$gem_fp"
GPORT=$HG
capture r gem_req "gemini://localhost:$G1/notes.txt"
expect_eq "through HAProxy: a URL naming the backend's port is another port" \
    $'53 Port not served\r\n' "$r"
capture r gem_req "gemini://localhost:$HG/"
expect_match "through HAProxy: openssl s_client gets the root" $'^20 text/gemini\r\n# Fixture home' "$r"

# ---------------------------------------------------------------- through HAProxy, v1

capture r fetch -t -b 127.0.0.2 -s localhost 127.0.0.1 "$HG1" "gemini://localhost:$HG1/notes.txt" 2>/dev/null
expect_eq "Gemini through HAProxy (send-proxy, v1)" $'20 text/plain\r\n'"$NOTES" "$r"
capture r timeout 10 curl -s --max-time 8 --interface 127.0.0.2 "gopher://127.0.0.1:$HP1/0/notes.txt"
expect_eq "Gopher through HAProxy (send-proxy, v1)" "$NOTES" "$r"
# A large file, streamed from disk, through the proxy.
timeout 10 curl -s --max-time 8 --interface 127.0.0.2 -o "$TMP/big.goph" \
    "gopher://127.0.0.1:$HP/9/big.bin"
expect_file_eq "a large file through HAProxy (Gopher)" "$TREE/big.bin" "$TMP/big.goph"
fetch -t -b 127.0.0.2 -s localhost -H "$TMP/big.hdr" -o "$TMP/big.gem" 127.0.0.1 "$HG" \
    "gemini://localhost:$HG/big.bin" 2>/dev/null
expect_file_eq "a large file through HAProxy (Gemini)" "$TREE/big.bin" "$TMP/big.gem"

# ---------------------------------------------------------------- the logs

sleep 0.4	# log lines are written within 100 ms
tail -n +$((SKIP1 + 1)) "$I1_LOG" >"$TMP/i1.hap.log"
tail -n +$((SKIP2 + 1)) "$I2_LOG" >"$TMP/i2.hap.log"
L1=$(cat "$TMP/i1.hap.log") L2=$(cat "$TMP/i2.hap.log")
n1=$(grep -c " 127\\.0\\.0\\.2 gemini \"gemini://localhost:$HG/notes\\.txt\" 20 " <<<"$L1")
n2=$(grep -c " 127\\.0\\.0\\.2 gemini \"gemini://localhost:$HG/notes\\.txt\" 20 " <<<"$L2")
expect_eq "log: the 6 Gemini requests from 127.0.0.2 (instance 1: $n1, instance 2: $n2)" 6 $((n1 + n2))
expect_ge "roundrobin: instance 1 served Gemini requests" 1 "$n1"
expect_ge "roundrobin: instance 2 served Gemini requests" 1 "$n2"
n1=$(grep -c ' 127\.0\.0\.2 gopher "/notes\.txt" 0 ' <<<"$L1")
n2=$(grep -c ' 127\.0\.0\.2 gopher "/notes\.txt" 0 ' <<<"$L2")
expect_eq "log: the 7 Gopher requests from 127.0.0.2 (instance 1: $n1, instance 2: $n2)" 7 $((n1 + n2))
expect_ge "roundrobin: instance 1 served Gopher requests" 1 "$n1"
expect_ge "roundrobin: instance 2 served Gopher requests" 1 "$n2"
expect_match "log (v1): the client's address" \
    " 127\\.0\\.0\\.2 gemini \"gemini://localhost:$HG1/notes\\.txt\" 20 " "$L1$NL$L2"
expect_eq "log: no request line carries HAProxy's address for a proxied request" "" \
    "$(grep -hE " 127\\.0\\.0\\.1 (gemini \"gemini://localhost:($HG|$HG1)/notes|gopher \"/notes)" \
    "$TMP/i1.hap.log" "$TMP/i2.hap.log")"

# Health checks: they reach tulpar (LOCAL headers: the socket's address), and
# none of them is logged as an error or a refused PROXY header.
checks=$(cat "$TMP/i1.hap.log" "$TMP/i2.hap.log" | grep -cE ' 127\.0\.0\.1 (gemini|gopher) "-" ')
expect_ge "health checks reach both instances (lines with no request)" 4 "$checks"
expect_eq "health checks: no Gemini \"error\" or \"proxy\" lines" "" \
    "$(grep -hE ' gemini "-" (error|proxy) ' "$TMP/i1.hap.log" "$TMP/i2.hap.log" | head -n 3)"
expect_eq "health checks: no Gopher bad-request answers" "" \
    "$(grep -hE ' gopher "PROXY" ' "$TMP/i1.hap.log" "$TMP/i2.hap.log" | head -n 3)"
expect_eq "HAProxy: no alert, warning or server DOWN" "" \
    "$(grep -E 'ALERT|WARNING|DOWN' "$TMP/haproxy.out" | head -n 3)"
st=$(hap_servers)
expect_eq "health checks: all 8 servers still UP at the end" 8 "$(grep -c ' UP ' <<<"$st")"
expect_lacks "no worker exited (instance 1)" "exited" "$L1"
expect_lacks "no worker exited (instance 2)" "exited" "$L2"

# ---------------------------------------------------------------- stop

kill -TERM "$HAP_PID" 2>/dev/null
for i in $(seq 1 50); do
	kill -0 "$HAP_PID" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$HAP_PID" 2>/dev/null
wait "$HAP_PID" 2>/dev/null
expect_true "haproxy stopped" eval "! kill -0 $HAP_PID 2>/dev/null"
stop_tulpar "$I1_PID"
expect_eq "instance 1: SIGTERM exit 0" 0 "$?"
stop_tulpar "$I2_PID"
expect_eq "instance 2: SIGTERM exit 0" 0 "$?"

echo "# ran in $(since "$T_START") s"
summary
