#!/usr/bin/env bash
# Rate limits per client address (issue 16), on a two-worker tulpar: the
# N+1-th request of a window gets 44 / an error item with the seconds to
# wait, whichever worker serves it and whichever protocol it uses; after
# RL_ANSWERS (10) refusals the client's connections are closed at accept;
# another address (127.0.0.2) is served meanwhile; exempt addresses never
# are limited; a [host] with its own rate_limit counts apart, and its
# window ends; behind PROXY the header's address is the one counted (and
# LOCAL health checks are not); 100 000 distinct addresses leave the
# workers' memory flat; bad settings are refused with their reason.
. "$(dirname "$0")/lib.sh"
need_tulpar
T_START=$(now)
make_tree
NOTES=$'Some notes.\nA second line.\n'

G=$(free_port) P=$(free_port) P2=$(free_port) || bail "free ports"
cat >"$TMP/rl.conf" <<EOF
[server]
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR
workers = 2
rate_limit = 10/60
rate_limit_exempt = 127.0.0.3/32, ::1

[host localhost]
root = $TREE
gopher = 127.0.0.1:$P

[host other.test]
root = $TREE
gopher = 127.0.0.1:$P2
rate_limit = 2/3
EOF
start_conf "$TMP/rl.conf" "$G $P $P2" || bail "tulpar starts with rate_limit"
LOG=$SRV_LOG

gem() {		# gem source-address: one Gemini request for /notes.txt
	fetch -t -b "$1" -s localhost 127.0.0.1 "$G" "gemini://localhost:$G/notes.txt" 2>/dev/null
}
goph() {	# goph source-address [port]: one Gopher request for /notes.txt
	fetch -b "$1" 127.0.0.1 "${2:-$P}" "/notes.txt" 2>/dev/null
}

# ---------------------------------------------------------------- one address, both protocols, two workers

workers=$(ps -o pid= --ppid "$SRV_PID" | tr -d ' ')
expect_eq "two workers" 2 "$(printf '%s\n' $workers | grep -c .)"
syscr() { awk '/^syscr/ { print $2 }' "/proc/$1/io"; }
declare -A before
for w in $workers; do before[$w]=$(syscr "$w"); done

served=0
for i in 1 2 3 4 5; do
	[ "$(gem 127.0.0.1; printf x)" = $'20 text/plain\r\n'"${NOTES}x" ] && served=$((served + 1))
	[ "$(goph 127.0.0.1; printf x)" = "${NOTES}x" ] && served=$((served + 1))
done
expect_eq "10 requests in the window, Gemini and Gopher mixed: all served" 10 "$served"
for w in $workers; do
	expect_lt "worker $w served some of them" "$(syscr "$w")" "${before[$w]}"
done

capture r gem 127.0.0.1
expect_match "the 11th (Gemini): 44 and the seconds to wait" $'^44 [0-9]+\r\n$' "$r"
wait=${r#44 }
wait=${wait%$'\r\n'}
expect_true "the wait is within the window (1..60 s): $wait" test "$wait" -ge 1 -a "$wait" -le 60
expect_ge "the wait counts from the first request (more than 45 s left)" 45 "$wait"
capture r goph 127.0.0.1
expect_match "the 12th (Gopher): an error item saying how long to wait" \
    $'^3Too many requests: try again in [0-9]+ seconds\t\terror\\.host\t1\r\n\\.\r\n$' "$r"

# Another address is served meanwhile, on both protocols.
capture r gem 127.0.0.2
expect_eq "127.0.0.2 is served (Gemini) while 127.0.0.1 is limited" $'20 text/plain\r\n'"$NOTES" "$r"
capture r goph 127.0.0.2
expect_eq "127.0.0.2 is served (Gopher)" "$NOTES" "$r"

# Refusals 3..10 are answered; from the 11th on, closed at accept.
answered=0
for i in 3 4 5 6 7 8 9 10; do
	if [ $((i % 2)) = 0 ]; then
		[[ $(gem 127.0.0.1) == "44 "* ]] && answered=$((answered + 1))
	else
		[[ $(goph 127.0.0.1) == "3Too many requests"* ]] && answered=$((answered + 1))
	fi
done
expect_eq "the next 8 refusals are answered too" 8 "$answered"
capture r goph 127.0.0.1
expect_eq "then Gopher: closed at once, nothing sent" "" "$r"
capture r gem 127.0.0.1
expect_eq "then Gemini: closed before any TLS" "" "$r"
r=$(printf 'gemini://localhost:%s/\r\n' "$G" | timeout 5 openssl s_client -connect 127.0.0.1:$G \
    -servername localhost 2>&1)
expect_lacks "openssl s_client: no certificate came (no handshake)" "BEGIN CERTIFICATE" "$r"
capture r gem 127.0.0.2
expect_eq "127.0.0.2 is still served" $'20 text/plain\r\n'"$NOTES" "$r"

# Exempt: never limited.
served=0
for i in $(seq 1 8); do
	[ "$(gem 127.0.0.3; printf x)" = $'20 text/plain\r\n'"${NOTES}x" ] && served=$((served + 1))
	[ "$(goph 127.0.0.3; printf x)" = "${NOTES}x" ] && served=$((served + 1))
done
expect_eq "exempt 127.0.0.3: 16 of 16 served" 16 "$served"

# A [host] with its own rate_limit (2/3) counts apart from [server]'s, and
# its window ends.
capture r goph 127.0.0.2 "$P2"
expect_eq "other.test counts apart: 127.0.0.2 served (1 of 2)" "$NOTES" "$r"
capture r goph 127.0.0.2 "$P2"
expect_eq "other.test: 2 of 2" "$NOTES" "$r"
capture r goph 127.0.0.2 "$P2"
expect_match "other.test: the 3rd in 3 s is refused, 1..3 s to wait" \
    $'^3Too many requests: try again in [123] seconds?\t' "$r"
sleep 3.1
capture r goph 127.0.0.2 "$P2"
expect_eq "other.test: the window over, served again" "$NOTES" "$r"

sleep 0.3	# log lines are written within 100 ms
L=$(cat "$LOG")
expect_eq "log: 10 refusals answered, each a 'limited' line with the request" 10 \
    "$(grep -cE ' 127\.0\.0\.1 (gemini "gemini://localhost:'"$G"'/notes\.txt"|gopher "/notes\.txt") limited [1-9][0-9]* ' <<<"$L")"
expect_ge "log: connections closed at accept say 'limited', 0 bytes" 2 \
    "$(grep -cE ' 127\.0\.0\.1 (gemini|gopher) "-" limited 0 ' <<<"$L")"
expect_eq "log: the exempt address is never limited" "" "$(grep -E ' 127\.0\.0\.3 .* limited ' <<<"$L")"
expect_lacks "no worker exited" "exited" "$L"
stop_tulpar
expect_eq "clean exit" 0 $?

# ---------------------------------------------------------------- behind PROXY

GX=$(free_port) PX=$(free_port) || bail "free ports"
cat >"$TMP/px.conf" <<EOF
[server]
gemini = 127.0.0.1:$GX
gemini_proxy = yes
cert_dir = $CERTDIR
workers = 2
rate_limit = 3/60

[host localhost]
root = $TREE
gopher = 127.0.0.1:$PX
gopher_proxy = yes
EOF
start_conf "$TMP/px.conf" "$GX $PX" || bail "tulpar starts behind PROXY"
PLOG=$SRV_LOG

# proxied port tls source request: a PROXY v1 header naming source (LOCAL:
# an UNKNOWN one, as health checks send), then the request (over TLS when
# tls is 1); prints the answer.
proxied() {
	timeout 10 python3 -c '
import socket, ssl, sys
port, tls, src, req = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if src == "LOCAL":
    s.sendall(b"PROXY UNKNOWN\r\n")
else:
    s.sendall(b"PROXY TCP4 %s 127.0.0.1 40000 %d\r\n" % (src.encode(), port))
if tls:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    try:
        s = c.wrap_socket(s, server_hostname="localhost")
    except (ssl.SSLError, OSError):
        sys.exit(0)
d = b""
try:
    s.sendall(req.encode() + b"\r\n")
    while True:
        b = s.recv(65536)
        if not b:
            break
        d += b
except (ssl.SSLError, OSError):
    pass
sys.stdout.write(d.decode(errors="replace"))' "$@"
}
served=0
for i in 1 2 3; do
	[ "$(proxied "$PX" 0 192.0.2.1 /notes.txt; printf x)" = "${NOTES}x" ] && served=$((served + 1))
done
expect_eq "PROXY: 3 requests from 192.0.2.1 served" 3 "$served"
capture r proxied "$GX" 1 192.0.2.1 "gemini://localhost:$GX/notes.txt"
expect_match "PROXY: the 4th from 192.0.2.1 (Gemini) gets 44" $'^44 [0-9]+\r\n$' "$r"
capture r proxied "$PX" 0 192.0.2.1 /notes.txt
expect_match "PROXY: and over Gopher the error item" $'^3Too many requests' "$r"
capture r proxied "$PX" 0 192.0.2.2 /notes.txt
expect_eq "PROXY: 192.0.2.2, from the same balancer address, is served" "$NOTES" "$r"
capture r proxied "$GX" 1 192.0.2.2 "gemini://localhost:$GX/notes.txt"
expect_eq "PROXY: 192.0.2.2 over Gemini too" $'20 text/plain\r\n'"$NOTES" "$r"
served=0
for i in 1 2 3 4 5 6; do
	[ "$(proxied "$PX" 0 LOCAL /notes.txt; printf x)" = "${NOTES}x" ] && served=$((served + 1))
done
expect_eq "PROXY LOCAL (health checks): never counted, 6 of 6 served" 6 "$served"

# 100 000 distinct addresses, through PROXY headers: the table evicts the
# oldest; the workers' memory stays flat. 20 000 first, so the shared table
# is all touched, then 80 000 more.
flood() {	# flood first count: Gopher requests from 10.x.y.z, 64 at a time
	timeout 240 python3 -c '
import selectors, socket, sys
port, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
nxt, done, ok, live = first, 0, 0, 0
def start(i):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    a = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
    msg = b"PROXY TCP4 %s 127.0.0.1 40000 %d\r\n/notes.txt\r\n" % (a.encode(), port)
    sel.register(s, selectors.EVENT_WRITE, [msg, b""])
while done < count:
    while live < 64 and nxt < first + count:
        start(nxt); nxt += 1; live += 1
    for key, ev in sel.select(5):
        s, st = key.fileobj, key.data
        try:
            if ev & selectors.EVENT_WRITE:
                s.send(st[0])
                sel.modify(s, selectors.EVENT_READ, st)
                continue
            b = s.recv(4096)
        except OSError:
            b = b""
        if b:
            st[1] += b
            continue
        ok += st[1].endswith(b"line.\n")
        sel.unregister(s); s.close(); live -= 1; done += 1
print(ok)' "$PX" "$@"
}
mem() {		# mem RssAnon|RssShmem: the workers' resident memory of a kind, KiB
	local w t=0
	for w in $(ps -o pid= --ppid "$SRV_PID"); do
		t=$((t + $(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$w/status")))
	done
	echo "$t"
}
SANITIZED=0
grep -aq -e __asan_init -e __ubsan_handle "$TULPAR" 2>/dev/null && SANITIZED=1
ok1=$(flood 0 20000)
a1=$(mem RssAnon) s1=$(mem RssShmem)
ok2=$(flood 20000 80000)
a2=$(mem RssAnon) s2=$(mem RssShmem)
expect_eq "flood: 20 000 distinct addresses served (each under its limit)" 20000 "$ok1"
expect_eq "flood: 80 000 more served" 80000 "$ok2"
expect_lt "the shared table stays its size from 20 000 to 100 000 addresses ($s1 -> $s2 KiB)" \
    $((s1 + 64)) "$s2"
if [ "$SANITIZED" = 1 ]; then
	echo "# skip: anonymous memory under a sanitizer build (its quarantine holds freed memory): $a1 -> $a2 KiB"
else
	expect_lt "the workers' anonymous memory flat from 20 000 to 100 000 addresses ($a1 -> $a2 KiB)" \
	    $((a1 + 512)) "$a2"
fi
capture r proxied "$PX" 0 192.0.2.2 /notes.txt
expect_eq "after the flood, 192.0.2.2 is served" "$NOTES" "$r"
sleep 0.3
expect_lacks "no worker exited" "exited" "$(cat "$PLOG")"
stop_tulpar
expect_eq "clean exit" 0 $?

# ---------------------------------------------------------------- bad settings

bad_setting() {	# bad_setting "key = value" reason-substring
	printf '[server]\ncert_dir = %s\n%s\n[host localhost]\nroot = %s\n' "$CERTDIR" "$1" "$TREE" >"$TMP/bad.conf"
	r=$("$TULPAR" -n -c "$TMP/bad.conf" 2>&1)
	rc=$?
	expect_eq "refused: $1 (exit 1)" 1 "$rc"
	expect_contains "refused: $1: says why" "$2" "$r"
}
bad_setting "rate_limit = 60" "want REQUESTS/SECONDS"
bad_setting "rate_limit = 0/60" "want REQUESTS/SECONDS"
bad_setting "rate_limit = 60/0" "want REQUESTS/SECONDS"
bad_setting "rate_limit = 60/86401" "want REQUESTS/SECONDS"
bad_setting "rate_limit_exempt = 10.0.0.1/8" "bits set past its prefix length"
bad_setting "rate_limit_exempt = 10.0.0.0/33" "prefix length over 32"
bad_setting "rate_limit_exempt = example.org" "invalid address"
bad_setting "rate_limit_exempt = ," "no address"

echo "# ran in $(since "$T_START") s"
summary
