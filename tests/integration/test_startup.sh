#!/usr/bin/env bash
# Start-up: flags, -n, start-up failures (one "tulpar: " line, exit 1),
# certificate generation and reuse, listeners, SIGTERM.
. "$(dirname "$0")/lib.sh"
need_tulpar

make_tree

# run_tulpar args...: runs tulpar (bounded: 5 s), sets RC, OUT (stdout file), ERR (stderr file).
RUNS=0
run_tulpar() {
	RUNS=$((RUNS + 1))
	OUT=$TMP/run.$RUNS.out
	ERR=$TMP/run.$RUNS.err
	timeout 5 "$TULPAR" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}
# one_line name [substring]: the last run failed with exit 1 and exactly one
# stderr line starting "tulpar: " (containing substring).
one_line() {
	local e
	e=$(cat "$ERR")
	expect_eq "$1: exit status 1" 1 "$RC"
	if [ "$(wc -l <"$ERR")" -eq 1 ] && [ "$(grep -c . "$ERR")" -eq 1 ] &&
	    [[ $e == "tulpar: "* ]]; then
		ok "$1: one stderr line starting \"tulpar: \""
	else
		not_ok "$1: one stderr line starting \"tulpar: \""
		diag "stderr: $(_show "$(head -c 600 "$ERR")")"
	fi
	if [ $# -ge 2 ]; then
		expect_contains "$1: the line names $2" "$2" "$e"
	fi
}
not_listening() { ! port_listening "$1"; }
not_alive() { ! kill -0 "$1" 2>/dev/null; }
# ports for runs that must not actually listen anywhere else
p1=$(free_port) p2=$(free_port)
LOOP=(-G "127.0.0.1:$p1" -P "127.0.0.1:$p2")

# ---------------------------------------------------------------- -h and bad flags

run_tulpar -h
expect_eq "-h: exit 0" 0 "$RC"
expect_match "-h: usage on stdout" '^[Uu]sage: tulpar' "$(cat "$OUT")"
expect_contains "-h: usage mentions -P" "-P" "$(cat "$OUT")"

run_tulpar -d "$TREE" -T "$CERTDIR" "${LOOP[@]}" -x
one_line "bad flag -x"
run_tulpar -d "$TREE" -T "$CERTDIR" "${LOOP[@]}" -d
one_line "flag without its argument (-d)"
run_tulpar -d "$TREE" -T "$CERTDIR" "${LOOP[@]}" -t abc
one_line "bad -t abc"
run_tulpar -d "$TREE" -T "$CERTDIR" "${LOOP[@]}" -m abc
one_line "bad -m abc"
run_tulpar -d "$TREE" -T "$CERTDIR" -G 127.0.0.1:99999 -P "127.0.0.1:$p2"
one_line "bad -G port 99999" "99999"
run_tulpar -d "$TREE" -T "$CERTDIR" -G "$p1:127.0.0.1" -P "127.0.0.1:$p2"
one_line "bad -G address"
run_tulpar -d "$TREE" -T "$CERTDIR" -G "127.0.0.1:$p1" -P nonsense
one_line "bad -P value" "nonsense"

# ---------------------------------------------------------------- root

run_tulpar -d "$TMP/no-such-root" -T "$CERTDIR" "${LOOP[@]}"
one_line "missing root" "$TMP/no-such-root"
: >"$TMP/a-file"
run_tulpar -d "$TMP/a-file" -T "$CERTDIR" "${LOOP[@]}"
one_line "root is a file" "$TMP/a-file"

# ---------------------------------------------------------------- -n

mkdir -p "$TMP/empty-certs"
run_tulpar -n -d "$TREE" -T "$TMP/empty-certs" "${LOOP[@]}"
expect_eq "-n with a good set-up: exit 0" 0 "$RC"
expect_ne "-n prints what would be served" "" "$(cat "$OUT" "$ERR")"
expect_eq "-n creates no certificate in an empty cert dir" "" "$(ls -A "$TMP/empty-certs")"
expect_true "-n does not keep listening" not_listening "$p1"
run_tulpar -n -d "$TMP/no-such-root" -T "$TMP/empty-certs" "${LOOP[@]}"
one_line "-n with a missing root" "$TMP/no-such-root"
expect_eq "-n with a missing root creates nothing" "" "$(ls -A "$TMP/empty-certs")"

# Defaults for root, cert dir and host (ports given: never 1965 or 70 here).
RUNS=$((RUNS + 1))
OUT=$TMP/run.$RUNS.out
ERR=$TMP/run.$RUNS.err
before=$(ls -A "$ROOT/certs" 2>/dev/null)
(cd "$ROOT" && timeout 5 "$TULPAR" -n "${LOOP[@]}" </dev/null >"$OUT" 2>"$ERR")
RC=$?
expect_eq "-n with default -d/-T/-H in the project root: exit 0" 0 "$RC"
expect_contains "-n defaults: root is ./capsule" "capsule" "$(cat "$OUT" "$ERR")"
expect_contains "-n defaults: certificate for localhost" "localhost.crt" "$(cat "$OUT" "$ERR")"
expect_eq "-n defaults: ./certs left alone" "$before" "$(ls -A "$ROOT/certs" 2>/dev/null)"

# ---------------------------------------------------------------- certificate generation

C1=$TMP/certs1
mkdir -p "$C1"
if start_tulpar -T "$C1"; then
	ok "first start with an empty cert dir"
	expect_true "first start generated localhost.crt" test -s "$C1/localhost.crt"
	expect_true "first start generated localhost.key" test -s "$C1/localhost.key"
	expect_eq "key mode is 0600" 600 "$(stat -c %a "$C1/localhost.key" 2>/dev/null)"
	txt=$(openssl x509 -in "$C1/localhost.crt" -noout -text 2>&1)
	expect_match "certificate is ECDSA" 'Public Key Algorithm: id-ecPublicKey' "$txt"
	expect_match "certificate is P-256" '(ASN1 OID: prime256v1|NIST CURVE: P-256)' "$txt"
	expect_match "certificate subject CN=localhost" 'Subject: .*CN ?= ?localhost' "$txt"
	expect_match "certificate SAN DNS:localhost" 'DNS:localhost' "$txt"
	expect_eq "key matches the certificate" \
	    "$(openssl x509 -in "$C1/localhost.crt" -noout -pubkey 2>/dev/null)" \
	    "$(openssl pkey -in "$C1/localhost.key" -pubout 2>/dev/null)"
	fp1=$(openssl x509 -in "$C1/localhost.crt" -noout -fingerprint -sha256 2>/dev/null)
	served=$(timeout 5 openssl s_client -connect "127.0.0.1:$GPORT" -servername localhost \
	    </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null)
	expect_eq "the served certificate is the generated one" "$fp1" "$served"
	capture r gem_req "gemini://localhost:$GPORT/notes.txt"
	expect_eq "serves with the generated certificate" $'20 text/plain\r\nSome notes.\nA second line.\n' "$r"
	kids=$(ps -o pid= --ppid "$SRV_PID" 2>/dev/null)
	kill -TERM "$SRV_PID"
	for i in $(seq 1 50); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	expect_true "SIGTERM: tulpar exits within 5 s" not_alive "$SRV_PID"
	left=""
	for k in $kids; do
		kill -0 "$k" 2>/dev/null && left="$left $k"
	done
	expect_eq "SIGTERM: no child process of tulpar remains" "" "$left"
	stop_tulpar
	expect_eq "SIGTERM: exit status 0" 0 "$?"
	expect_true "SIGTERM: Gemini port closed" not_listening "$GPORT"
	if start_tulpar -T "$C1"; then
		fp2=$(openssl x509 -in "$C1/localhost.crt" -noout -fingerprint -sha256 2>/dev/null)
		expect_eq "second start reuses the certificate (same fingerprint)" "$fp1" "$fp2"
		served=$(timeout 5 openssl s_client -connect "127.0.0.1:$GPORT" -servername localhost \
		    </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null)
		expect_eq "second start serves the same certificate" "$fp1" "$served"
		stop_tulpar
		expect_eq "SIGTERM (second run): exit status 0" 0 "$?"
	else
		not_ok "second start with an existing certificate"
	fi
else
	not_ok "first start with an empty cert dir"
	diag "$(cat "$SRV_LOG")"
fi

# -n with the certificate present: exit 0, creates nothing new.
before=$(ls -l --time-style=+%s.%N "$C1")
run_tulpar -n -d "$TREE" -T "$C1" "${LOOP[@]}"
expect_eq "-n with an existing certificate: exit 0" 0 "$RC"
expect_eq "-n leaves the cert dir alone" "$before" "$(ls -l --time-style=+%s.%N "$C1")"

# -H example.test generates example.test.crt.
C2=$TMP/certs2
mkdir -p "$C2"
if start_tulpar -T "$C2" -H example.test; then
	expect_true "-H example.test generated example.test.crt" test -s "$C2/example.test.crt"
	expect_true "-H example.test generated example.test.key" test -s "$C2/example.test.key"
	expect_eq "-H example.test: key mode 0600" 600 "$(stat -c %a "$C2/example.test.key" 2>/dev/null)"
	txt=$(openssl x509 -in "$C2/example.test.crt" -noout -text 2>&1)
	expect_match "-H example.test: CN=example.test" 'Subject: .*CN ?= ?example\.test' "$txt"
	expect_match "-H example.test: SAN DNS:example.test" 'DNS:example\.test' "$txt"
	capture r gem_req "gemini://example.test:$GPORT/notes.txt" -servername example.test
	expect_eq "-H example.test: serves gemini://example.test:PORT/" $'20 text/plain\r\nSome notes.\nA second line.\n' "$r"
	capture r gem_req "gemini://localhost:$GPORT/notes.txt" -noservername
	expect_eq "-H example.test: localhost is another host" $'53 Host not served\r\n' "$r"
	capture r goph_sel /
	expect_match "-H example.test: Gopher items name example.test" $'\texample\\.test\t'"$PPORT"$'\r\n' "$r"
	stop_tulpar
else
	not_ok "start with -H example.test"
	diag "$(cat "$SRV_LOG")"
fi

# Only one of the two files; a key that does not match.
C3=$TMP/certs3
mkdir -p "$C3"
cp "$C1/localhost.crt" "$C3/"
run_tulpar -d "$TREE" -T "$C3" "${LOOP[@]}"
one_line "only the .crt present" "localhost.key"
expect_true "only the .crt present: no key generated" test ! -e "$C3/localhost.key"
run_tulpar -n -d "$TREE" -T "$C3" "${LOOP[@]}"
one_line "-n with only the .crt present"
C4=$TMP/certs4
mkdir -p "$C4"
cp -p "$C1/localhost.key" "$C4/"
run_tulpar -d "$TREE" -T "$C4" "${LOOP[@]}"
one_line "only the .key present" "localhost.crt"
C5=$TMP/certs5
mkdir -p "$C5"
cp "$C1/localhost.crt" "$C5/"
cp -p "$C2/example.test.key" "$C5/localhost.key"
run_tulpar -d "$TREE" -T "$C5" "${LOOP[@]}"
one_line "certificate and key do not match"

# ---------------------------------------------------------------- listeners

# A port in use: held by python, then by another tulpar.
hold=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("ready", flush=True); time.sleep(30)' "$hold" >"$TMP/hold.out" &
HOLD_PID=$!
SERVER_PIDS+=("$HOLD_PID")
for i in $(seq 1 50); do
	grep -q ready "$TMP/hold.out" 2>/dev/null && break
	sleep 0.1
done
run_tulpar -d "$TREE" -T "$C1" -G "127.0.0.1:$hold" -P "127.0.0.1:$p2"
one_line "Gemini port in use" "127.0.0.1:$hold"
run_tulpar -d "$TREE" -T "$C1" -G "127.0.0.1:$p1" -P "127.0.0.1:$hold"
one_line "Gopher port in use" "127.0.0.1:$hold"
run_tulpar -n -d "$TREE" -T "$C1" -G "127.0.0.1:$hold" -P "127.0.0.1:$p2"
expect_eq "-n with the Gemini port in use: a note, exit 0" 0 "$RC"
expect_match "-n with the Gemini port in use: the note names it" "note: gemini: .*127\\.0\\.0\\.1:$hold" "$(cat "$OUT")"
kill "$HOLD_PID" 2>/dev/null
if start_tulpar -T "$C1"; then
	run_tulpar -d "$TREE" -T "$C1" -G "127.0.0.1:$GPORT" -P "127.0.0.1:$p2"
	one_line "Gemini port in use by another tulpar" "127.0.0.1:$GPORT"
	capture r gem_req "gemini://localhost:$GPORT/notes.txt"
	expect_eq "the first tulpar still serves" $'20 text/plain\r\nSome notes.\nA second line.\n' "$r"
	stop_tulpar
fi

# A privileged port as a user who may not bind it.
unpriv=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
if ! command -v setpriv >/dev/null; then
	echo "# skip: setpriv is not installed (privileged port test)"
elif ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null; then
	echo "# skip: no user nobody or group nogroup (privileged port test)"
elif [ "$unpriv" -le 70 ]; then
	echo "# skip: unprivileged users may bind port 70 here (ip_unprivileged_port_start=$unpriv)"
elif port_listening 70; then
	echo "# skip: something listens on port 70 already"
else
	PUB=$TMP/pub
	mkdir -p "$PUB"
	chmod 755 "$TMP" "$PUB"
	make_tree "$PUB/tree"
	mkdir -p "$PUB/certs"
	cp -p "$C1/localhost.crt" "$C1/localhost.key" "$PUB/certs/"
	chown -R nobody:nogroup "$PUB"
	RUNS=$((RUNS + 1))
	ERR=$TMP/run.$RUNS.err
	timeout 5 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$TULPAR" -d "$PUB/tree" -T "$PUB/certs" -H localhost \
	    -G "127.0.0.1:$p1" -P 127.0.0.1:70 </dev/null >/dev/null 2>"$ERR"
	RC=$?
	one_line "privileged port 70 as nobody" "70"
fi

# The default worker count follows the CPU affinity mask, not the machine.
workers_line() {	# cpus [flags] -> the "serving ..." line of a run pinned to them
	local cpus=$1 g q
	shift
	g=$(free_port) q=$(free_port)
	timeout -s TERM 2 taskset -c "$cpus" "$TULPAR" -d "$TREE" -T "$CERTDIR" -H localhost \
	    -G "127.0.0.1:$g" -P "127.0.0.1:$q" "$@" </dev/null >/dev/null 2>"$TMP/affinity.err"
	grep 'serving' "$TMP/affinity.err"
}
expect_match "taskset -c 0: one worker" ', 1 worker$' "$(workers_line 0)"
expect_match "the start-up line names the Gopher port" 'on gemini port [0-9]+, gopher port [0-9]+, ' "$(workers_line 0)"
if [ "$(nproc --all)" -ge 2 ]; then
	expect_match "taskset -c 0,1: two workers" ', 2 workers$' "$(workers_line 0,1)"
fi
expect_match "taskset -c 0 with -w 3: -w wins" ', 3 workers$' "$(workers_line 0 -w 3)"

# -P off: no Gopher listener.
if start_tulpar -T "$C1" -P off; then
	capture r gem_req "gemini://localhost:$GPORT/notes.txt"
	expect_eq "-P off: Gemini serves" $'20 text/plain\r\nSome notes.\nA second line.\n' "$r"
	expect_match "-P off: the start-up line says gopher off" 'on gemini port [0-9]+, gopher off, ' "$(cat "$SRV_LOG")"
	expect_true "-P off: nothing listens on the would-be Gopher port" not_listening "$PPORT"
	# The parent holds one socket per worker, all on the Gemini address.
	expect_true "-P off: the process listens on no other address" \
	    test "$(ss -Hltnp 2>/dev/null | grep "pid=$SRV_PID," | awk '{ print $4 }' | sort -u | wc -l)" -le 1
	capture r goph_raw '/\r\n' 2>/dev/null
	expect_eq "-P off: a Gopher connection gets nothing" "" "$r"
	stop_tulpar
	expect_eq "-P off: SIGTERM exit 0" 0 "$?"
else
	not_ok "start with -P off"
	diag "$(cat "$SRV_LOG")"
fi

# IPv6 loopback, bracketed; a bare port listens on IPv6 and IPv4.
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	g6=$(free_port) q6=$(free_port)
	if start_tulpar -T "$C1" -G "[::1]:$g6" -P "[::1]:$q6"; then
		r=$(printf 'gemini://localhost:%s/notes.txt\r\n' "$g6" | timeout 5 openssl s_client -quiet \
		    -connect "[::1]:$g6" -servername localhost 2>/dev/null; printf x)
		expect_eq "-G [::1]:port serves Gemini over IPv6" $'20 text/plain\r\nSome notes.\nA second line.\nx' "$r"
		capture r timeout 5 curl -s --max-time 4 "gopher://[::1]:$q6/0/notes.txt"
		expect_eq "-P [::1]:port serves Gopher over IPv6" $'Some notes.\nA second line.\n' "$r"
		sleep 0.2
		expect_match "log names the IPv6 client ::1" ' ::1 gemini "' "$(cat "$SRV_LOG")"
		stop_tulpar
	else
		not_ok "start on [::1]"
		diag "$(cat "$SRV_LOG")"
	fi
	if start_tulpar -T "$C1" -G "$g6" -P off; then
		r=$(printf 'gemini://localhost:%s/notes.txt\r\n' "$g6" | timeout 5 openssl s_client -quiet \
		    -connect "[::1]:$g6" -servername localhost 2>/dev/null; printf x)
		expect_eq "bare -G port: reachable on ::1" $'20 text/plain\r\nSome notes.\nA second line.\nx' "$r"
		r=$(printf 'gemini://localhost:%s/notes.txt\r\n' "$g6" | timeout 5 openssl s_client -quiet \
		    -connect "127.0.0.1:$g6" -servername localhost 2>/dev/null; printf x)
		expect_eq "bare -G port: reachable on 127.0.0.1" $'20 text/plain\r\nSome notes.\nA second line.\nx' "$r"
		stop_tulpar
	else
		not_ok "start with a bare -G port"
		diag "$(cat "$SRV_LOG")"
	fi
else
	echo "# skip: no IPv6 loopback"
fi

summary
