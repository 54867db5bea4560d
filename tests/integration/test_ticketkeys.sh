#!/usr/bin/env bash
# ticket_keys (issue 16): session-ticket keys from a file in nginx's
# ssl_session_ticket_key format. Every bad file is refused, at start-up and
# by -n, with its reason, and on SIGHUP (the running keys stay); two tulpar
# instances behind HAProxy (balance roundrobin) sharing one key file resume
# each other's tickets; after a rotation (a new key prepended, SIGHUP) an
# old ticket still resumes, and after a second one it gets a full handshake.
. "$(dirname "$0")/lib.sh"
need_tulpar
command -v haproxy >/dev/null || bail "haproxy is installed (apt-get install haproxy)"
T_START=$(now)
make_tree
KEYS=$TMP/ticket.keys

# conf file gemini-port keyfile [proxy]: one host, one worker.
conf() {
	cat <<EOF
[server]
gemini = 127.0.0.1:$1
gemini_proxy = ${3:-no}
cert_dir = $CERTDIR
workers = 1
ticket_keys = $2

[host localhost]
root = $TREE
gopher = off
EOF
}

# ---------------------------------------------------------------- bad files

# refused what file reason: neither -n nor a start accepts it.
refused() {
	local what=$1 file=$2 why=$3 port r rc
	port=$(free_port)
	conf "$port" "$file" >"$TMP/bad.conf"
	chmod 644 "$TMP/bad.conf"
	r=$(timeout 10 "${AS[@]}" "$TULPAR" -n -c "$TMP/bad.conf" 2>&1)
	rc=$?
	expect_eq "-n refuses $what (exit 1)" 1 "$rc"
	expect_contains "-n: $what: one line with the reason" "$why" "$r"
	expect_eq "-n: $what: one line" 1 "$(printf '%s\n' "$r" | grep -c .)"
	r=$(timeout 10 "${AS[@]}" "$TULPAR" -c "$TMP/bad.conf" 2>&1 </dev/null)
	rc=$?
	expect_eq "start-up refuses $what (exit 1)" 1 "$rc"
	expect_contains "start-up: $what: the reason" "ticket_keys $file: $why" "$r"
}
AS=()
head -c 80 /dev/urandom >"$TMP/k1"
chmod 600 "$TMP/k1"
refused "a missing file" "$TMP/none" "No such file or directory"
mkdir "$TMP/dir"
refused "a directory" "$TMP/dir" "not a regular file"
: >"$TMP/empty"; chmod 600 "$TMP/empty"
refused "an empty file" "$TMP/empty" "is empty"
head -c 81 /dev/urandom >"$TMP/k81"; chmod 600 "$TMP/k81"
refused "81 bytes" "$TMP/k81" "is not a whole number of 80-byte keys"
head -c 48 /dev/urandom >"$TMP/k48"; chmod 600 "$TMP/k48"
refused "a 48-byte (AES-128) key" "$TMP/k48" "is not a whole number of 80-byte keys"
head -c $((17 * 80)) /dev/urandom >"$TMP/k17"; chmod 600 "$TMP/k17"
refused "17 keys" "$TMP/k17" "holds more than 16 keys"
cat "$TMP/k1" "$TMP/k1" >"$TMP/kdup"; chmod 600 "$TMP/kdup"
refused "one key twice" "$TMP/kdup" "has two keys with one name"
cp "$TMP/k1" "$TMP/k640"; chmod 640 "$TMP/k640"
refused "a group-readable file" "$TMP/k640" "open to group or others (mode 0640; chmod 600 it)"
cp "$TMP/k1" "$TMP/k604"; chmod 604 "$TMP/k604"
refused "a world-readable file" "$TMP/k604" "open to group or others (mode 0604"
cp "$TMP/k1" "$TMP/k000"; chmod 000 "$TMP/k000"
if [ "$(id -u)" = 0 ]; then	# root reads anything: as nobody, it cannot
	chmod o+x "$TMP"
	AS=(runuser -u nobody --)
fi
refused "an unreadable file" "$TMP/k000" "Permission denied"
AS=()

# ---------------------------------------------------------------- two instances behind HAProxy

head -c 80 /dev/urandom >"$TMP/kA"
head -c 80 /dev/urandom >"$TMP/kB"
head -c 80 /dev/urandom >"$TMP/kC"
install -m 600 "$TMP/kA" "$KEYS"
G1=$(free_port) G2=$(free_port) HG=$(free_port) || bail "free ports"
conf "$G1" "$KEYS" yes >"$TMP/t1.conf"
conf "$G2" "$KEYS" yes >"$TMP/t2.conf"
start_conf "$TMP/t1.conf" "$G1" || bail "instance 1 starts with ticket_keys"
I1_PID=$SRV_PID I1_LOG=$SRV_LOG
start_conf "$TMP/t2.conf" "$G2" || bail "instance 2 starts with ticket_keys"
I2_PID=$SRV_PID I2_LOG=$SRV_LOG
r=$("$TULPAR" -n -c "$TMP/t1.conf" -G 127.0.0.1:$(free_port) 2>&1)
expect_eq "-n accepts a good key file" 0 $?

cat >"$TMP/haproxy.cfg" <<EOF
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend gemini
    bind 127.0.0.1:$HG
    default_backend gemini
backend gemini
    balance roundrobin
    server t1 127.0.0.1:$G1 send-proxy-v2
    server t2 127.0.0.1:$G2 send-proxy-v2
EOF
haproxy -f "$TMP/haproxy.cfg" -db </dev/null >"$TMP/haproxy.out" 2>&1 &
HAP_PID=$!
SERVER_PIDS+=("$HAP_PID")
wait_listening "$HAP_PID" "$HG" || bail "haproxy listens ($(head -c 300 "$TMP/haproxy.out"))"

# conn [s_client options]: one request through HAProxy; "New" or "Reused".
conn() {
	local out kind
	out=$(printf 'gemini://localhost:%s/page.gmi\r\n' "$HG" | timeout 5 openssl s_client -ign_eof \
	    -connect "127.0.0.1:$HG" -servername localhost "$@" 2>&1)
	kind=$(printf '%s\n' "$out" | sed -n 's/^\(New\|Reused\), TLSv1\.[23].*/\1/p' | head -n 1)
	[[ $out == *$'\n20 text/gemini'* ]] || kind="$kind,no-answer"
	echo "${kind:-none}"
}
served() {	# served log: how many requests an instance answered
	grep -c ' gemini "gemini://localhost:'"$HG"'/page\.gmi" 20 ' "$1"
}
# resumes ticket count [s_client options]: how many of count connections resumed with it
resumes() {
	local i n=0
	for i in $(seq 1 "$2"); do
		[ "$(conn -sess_in "$1" "${@:3}")" = Reused ] && n=$((n + 1))
	done
	echo "$n"
}

expect_eq "a full handshake through HAProxy" New "$(conn -sess_out "$TMP/t1")"
expect_true "the client kept the ticket" test -s "$TMP/t1"
expect_eq "TLS 1.2 too" New "$(conn -tls1_2 -sess_out "$TMP/t12")"
sleep 0.3
a1=$(served "$I1_LOG") a2=$(served "$I2_LOG")
expect_eq "6 resumptions, alternating instances: all resumed" 6 "$(resumes "$TMP/t1" 6)"
expect_eq "TLS 1.2: 4 of 4 resumed" 4 "$(resumes "$TMP/t12" 4 -tls1_2)"
sleep 0.3
expect_ge "instance 1 resumed some" 2 $(($(served "$I1_LOG") - a1))
expect_ge "instance 2 resumed some" 2 $(($(served "$I2_LOG") - a2))

# reload_both: SIGHUP to both; waits for each to log one more "reloaded".
reload_both() {
	local n1 n2
	n1=$(grep -c 'reloaded: ' "$I1_LOG")
	n2=$(grep -c 'reloaded: ' "$I2_LOG")
	kill -HUP "$I1_PID" "$I2_PID"
	for i in $(seq 1 100); do
		[ "$(grep -c 'reloaded: ' "$I1_LOG")" -gt "$n1" ] &&
		    [ "$(grep -c 'reloaded: ' "$I2_LOG")" -gt "$n2" ] && break
		sleep 0.05
	done
	sleep 0.5	# the old workers stop accepting
	[ "$(grep -c 'reloaded: ' "$I1_LOG")" -gt "$n1" ] &&
	    [ "$(grep -c 'reloaded: ' "$I2_LOG")" -gt "$n2" ]
}

# A bad key file on SIGHUP: refused, the running keys stay.
chmod 644 "$KEYS"
kill -HUP "$I1_PID"
expect_true "SIGHUP with a world-readable key file: refused" \
    wait_for_line "$I1_LOG" "reload: ticket_keys $KEYS: open to group or others.*keeping the running configuration"
chmod 600 "$KEYS"
expect_eq "and the tickets still resume on both (4 of 4)" 4 "$(resumes "$TMP/t1" 4)"

# Rotation 1: B prepended, A kept.
cat "$TMP/kB" "$TMP/kA" >"$KEYS.new" && chmod 600 "$KEYS.new" && mv "$KEYS.new" "$KEYS"
expect_true "rotation 1 (B A): both instances reload" reload_both
expect_eq "rotation 1: the ticket sealed with A still resumes (4 of 4)" 4 "$(resumes "$TMP/t1" 4)"
expect_eq "rotation 1: TLS 1.2 ticket sealed with A resumes (2 of 2)" 2 "$(resumes "$TMP/t12" 2 -tls1_2)"
expect_eq "rotation 1: a new full handshake (sealed with B)" New "$(conn -sess_out "$TMP/t2")"
expect_eq "the B ticket resumes on both (4 of 4)" 4 "$(resumes "$TMP/t2" 4)"

# Rotation 2: C prepended, A dropped.
cat "$TMP/kC" "$TMP/kB" >"$KEYS.new" && chmod 600 "$KEYS.new" && mv "$KEYS.new" "$KEYS"
expect_true "rotation 2 (C B): both instances reload" reload_both
expect_eq "rotation 2: the A ticket gets a full handshake, and an answer" New "$(conn -sess_in "$TMP/t1")"
expect_eq "rotation 2: on the other instance too" New "$(conn -sess_in "$TMP/t1")"
expect_eq "rotation 2: the B ticket still resumes (4 of 4)" 4 "$(resumes "$TMP/t2" 4)"

# Different keys, no resumption across: what the shared file is for.
install -m 600 "$TMP/kA" "$KEYS.1"
conf "$G1" "$KEYS.1" yes >"$TMP/t1.conf"
expect_true "instance 1 alone on key A: reloads" reload_both
expect_eq "instance 1 on key A, instance 2 on C: a new ticket" New "$(conn -sess_out "$TMP/t3")"
expect_eq "it resumes only on the instance that sealed it (2 of 4)" 2 "$(resumes "$TMP/t3" 4)"

sleep 0.3
expect_lacks "no worker exited (instance 1)" "exited" "$(cat "$I1_LOG")"
expect_lacks "no worker exited (instance 2)" "exited" "$(cat "$I2_LOG")"
kill -TERM "$HAP_PID" 2>/dev/null
wait "$HAP_PID" 2>/dev/null
stop_tulpar "$I1_PID"
expect_eq "instance 1: clean exit" 0 $?
stop_tulpar "$I2_PID"
expect_eq "instance 2: clean exit" 0 $?

echo "# ran in $(since "$T_START") s"
summary
