#!/usr/bin/env bash
# TLS session resumption over real `openssl s_client`, with the server's clock
# set by libfaketime: a ticket resumes on every worker; a resumed session gets
# a new ticket when its ticket is used for the first time (so a client that
# uses each ticket once resumes every time, RFC 8446 C.4) or when the key
# that sealed it has rotated, and none when a client offers the same ticket
# again (it keeps its first, as Lagrange does); a rotated-out key still opens
# its tickets for one more epoch (an hour), then no more; forged, altered
# and expired tickets get a full handshake, never an error; tickets and
# what was seen of them survive a reload (SIGHUP).
. "$(dirname "$0")/lib.sh"
need_tulpar

FAKETIME_LIB=$(find /usr/lib -name libfaketime.so.1 -path '*faketime*' 2>/dev/null | head -n 1)
[ -n "$FAKETIME_LIB" ] || bail "libfaketime is installed (Debian package faketime)"

make_tree
# The workers run as an unprivileged user: they must be able to reach the clock.
chmod o+x "$TMP"
CLOCK=$TMP/clock
set_clock() {	# set_clock "YYYY-MM-DD hh:mm:ss": the server's wall clock, frozen
	printf '%s\n' "$1" >"$CLOCK"
}
set_clock "2030-01-01 10:10:00"

G=$(free_port) && P=$(free_port) || bail "free ports"
cat >"$TMP/resume.conf" <<EOF
[server]
# the workers read the clock file: Landlock would hide it from them
confine = no
workers = 2
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR

[host localhost]
root = $TREE
gopher = 127.0.0.1:$P
EOF

# Only tulpar runs on the fake clock: a wrapper starts it under libfaketime
# (ASan wants to be first in the library list; with the preload it cannot be).
faked() {
	FAKETIME_TIMESTAMP_FILE=$CLOCK FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    LD_PRELOAD=$FAKETIME_LIB \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    exec "$REAL_TULPAR" "$@"
}
export -f faked
export CLOCK FAKETIME_LIB REAL_TULPAR=$TULPAR
printf '#!/bin/bash\nfaked "$@"\n' >"$TMP/faked"
chmod +x "$TMP/faked"
TULPAR=$TMP/faked start_conf "$TMP/resume.conf" "$G $P" || bail "tulpar starts under libfaketime"

# The server's clock must be the fake one, or nothing below means anything.
r=$(printf 'gemini://localhost:%s/page.gmi\r\n' "$G" | timeout 5 openssl s_client -quiet \
    -connect "127.0.0.1:$G" -servername localhost 2>/dev/null | head -n 1)
expect_eq "serves under libfaketime" $'20 text/gemini\r' "$r"
expect_true "the log shows the fake clock" wait_for_line "$SRV_LOG" '^2030-01-01T10:10:00'

# ticket_of file: the ticket in a client's PEM session, from its key name on, in hex.
ticket_of() {
	python3 -c 'import base64, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1]).read().split("\n")
                               if l and not l.startswith("-----")))
at = der.find(b"tulp\0\0\0\0")
print(der[at:at + 64].hex() if at >= 0 else "")' "$1"
}

# conn [s_client options]: one request; prints "New" or "Reused" and the
# number of NewSessionTicket messages the server sent, e.g. "Reused 0".
conn() {
	local out kind tickets
	out=$(printf 'gemini://localhost:%s/page.gmi\r\n' "$G" | timeout 5 openssl s_client -ign_eof \
	    -connect "127.0.0.1:$G" -servername localhost -msg "$@" 2>&1)
	kind=$(printf '%s\n' "$out" | sed -n 's/^\(New\|Reused\), TLSv1\.[23].*/\1/p' | head -n 1)
	tickets=$(printf '%s\n' "$out" | grep -c '^<<< .*NewSessionTicket')
	[[ $out == *$'\n20 text/gemini'* ]] || kind="$kind,no-answer"
	echo "${kind:-none} $tickets"
}

# ---------------------------------------------------------------- one epoch

expect_eq "full handshake: one ticket" "New 1" "$(conn -sess_out "$TMP/t1")"
expect_true "the client kept the ticket" test -s "$TMP/t1"
# Until this change a resumed session got no new ticket while its key was
# current; a client using each ticket once then alternated full and resumed
# handshakes. Now a ticket's first resumption brings a new one, and only that.
expect_eq "resumed with it, first use: a new ticket" "Reused 1" "$(conn -sess_in "$TMP/t1")"
expect_eq "resumed with it again: no new ticket (key current)" "Reused 0" \
    "$(conn -sess_in "$TMP/t1")"
set_clock "2030-01-01 10:59:59"
expect_eq "resumed at the end of the epoch" "Reused 0" "$(conn -sess_in "$TMP/t1")"
set_clock "2030-01-01 10:10:00"

# A client that uses each ticket once: every connection offers the ticket the
# one before received. Ten in a row: a full handshake, then nine resumptions,
# each with a new ticket unlike the one it used.
chain=""
for i in $(seq 0 9); do
	if [ "$i" = 0 ]; then
		chain="$chain $(conn -sess_out "$TMP/c0")"
	else
		chain="$chain $(conn -sess_in "$TMP/c$((i - 1))" -sess_out "$TMP/c$i")"
	fi
done
expect_eq "chain of single-use tickets: resumed every time after the first" \
    " New 1$(printf ' Reused 1%.0s' $(seq 1 9))" "$chain"
distinct=$(for i in $(seq 0 9); do ticket_of "$TMP/c$i"; done | sort -u | grep -c .)
expect_eq "chain: ten different tickets" 10 "$distinct"

# A client that keeps offering its first ticket resumes every time and is
# sent one new ticket (its ticket's first use), then none.
expect_eq "reuse client: its first ticket" "New 1" "$(conn -sess_out "$TMP/r0")"
reuse=""
for i in $(seq 1 10); do
	reuse="$reuse $(conn -sess_in "$TMP/r0")"
done
expect_eq "reuse client: resumed ten times, one new ticket" \
    " Reused 1$(printf ' Reused 0%.0s' $(seq 1 9))" "$reuse"

# A TLS 1.3 ticket goes out with the answer: a client that completes the
# handshake and sends nothing in the second it waits gets none.
out=$( (sleep 1) | timeout 5 openssl s_client -connect "127.0.0.1:$G" -servername localhost \
    -msg 2>&1)
expect_contains "handshake without a request completes" "New, TLSv1.3" "$out"
expect_eq "handshake without a request: no ticket" 0 \
    "$(printf '%s\n' "$out" | grep -c '^<<< .*NewSessionTicket')"

# TLS 1.2 sends its ticket inside the handshake, and resumes with it; the
# same rule renews it (inside the resumed handshake) on its first use only.
expect_eq "TLS 1.2 full handshake: one ticket" "New 1" "$(conn -tls1_2 -sess_out "$TMP/t12")"
expect_eq "TLS 1.2 resumed with it, first use: renewed" "Reused 1" \
    "$(conn -tls1_2 -sess_in "$TMP/t12")"
expect_eq "TLS 1.2 resumed with it again: not renewed" "Reused 0" \
    "$(conn -tls1_2 -sess_in "$TMP/t12")"

# ---------------------------------------------------------------- every worker
# Each worker reads for the connections it serves; /proc/PID/io says which
# worker served. 20 connections all landing on one of two workers by chance:
# about 2 in a million.

workers=$(ps -o pid= --ppid "$SRV_PID" | tr -d ' ')
expect_eq "two workers" 2 "$(printf '%s\n' $workers | grep -c .)"
syscr() { awk '/^syscr/ { print $2 }' "/proc/$1/io"; }
declare -A before
for w in $workers; do before[$w]=$(syscr "$w"); done
reused=0
for i in $(seq 1 20); do
	[ "$(conn -sess_in "$TMP/t1")" = "Reused 0" ] && reused=$((reused + 1))
done
expect_eq "20 resumptions across the workers" 20 "$reused"
for w in $workers; do
	expect_lt "worker $w served some of them" "$(syscr "$w")" "${before[$w]}"
done

# ---------------------------------------------------------------- rotation

set_clock "2030-01-01 11:05:00"
expect_eq "after rotation: resumed, renewed (old key still opens)" "Reused 1" \
    "$(conn -sess_in "$TMP/t1" -sess_out "$TMP/t2")"
expect_true "the client kept the renewed ticket" test -s "$TMP/t2"
expect_eq "renewed ticket resumes: first use, a new ticket" "Reused 1" "$(conn -sess_in "$TMP/t2")"
expect_eq "renewed ticket again: no new ticket (key current)" "Reused 0" "$(conn -sess_in "$TMP/t2")"

set_clock "2030-01-01 12:04:00"
expect_eq "two rotations on: the first key opens nothing" "New 1" "$(conn -sess_in "$TMP/t1")"
expect_eq "renewed ticket, key rotated out: resumed, renewed" "Reused 1" \
    "$(conn -sess_in "$TMP/t2" -sess_out "$TMP/t3")"

set_clock "2030-01-01 13:04:01"
expect_eq "a ticket past its hour: full handshake" "New 1" "$(conn -sess_in "$TMP/t3")"

# ---------------------------------------------------------------- forged tickets
# The ticket is an opaque blob inside the client's PEM session: key name
# "tulp" + 4 zero bytes + 8-byte epoch, IV, ciphertext, HMAC. alter_ticket
# in out what: rewrites one part of it.

alter_ticket() {
	python3 - "$1" "$2" "$3" <<'EOF'
import base64, sys
src, dst, what = sys.argv[1:]
pem = open(src).read().split("\n")
der = bytearray(base64.b64decode("".join(l for l in pem if l and not l.startswith("-----"))))
at = der.find(b"tulp\0\0\0\0")
if at < 0:
    sys.exit("no tulpar ticket in " + src)
if what == "name":        # a key tulpar never had
    der[at + 15] ^= 0x55
elif what == "body":      # one bit of the ciphertext
    der[at + 16 + 16 + 4] ^= 0x01
elif what == "mac":       # one bit of the HMAC at the end of the ticket
    n = der[at - 1]       # the ticket's OCTET STRING length (short or 2-byte form)
    ln = int.from_bytes(der[at - 2:at], "big") if der[at - 3] == 0x82 else n
    der[at + ln - 1] ^= 0x80
b64 = base64.b64encode(bytes(der)).decode()
with open(dst, "w") as f:
    f.write("-----BEGIN SSL SESSION PARAMETERS-----\n")
    f.write("\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n")
    f.write("-----END SSL SESSION PARAMETERS-----\n")
EOF
}
expect_eq "a fresh ticket for the forgeries" "New 1" "$(conn -sess_out "$TMP/t4")"
expect_eq "it resumes unaltered" "Reused 1" "$(conn -sess_in "$TMP/t4")"
for what in name body mac; do
	if alter_ticket "$TMP/t4" "$TMP/t4.$what" "$what"; then
		expect_eq "ticket with an altered $what: full handshake, answered" "New 1" \
		    "$(conn -sess_in "$TMP/t4.$what")"
	else
		not_ok "alter the ticket's $what"
	fi
done
expect_eq "the server still answers after the forgeries" "Reused 0" "$(conn -sess_in "$TMP/t4")"

# ---------------------------------------------------------------- reload
# SIGHUP forks new workers from the same parent: the ticket secret stays.

old_workers=$(ps -o pid= --ppid "$SRV_PID" | tr -d ' ' | sort)
kill -HUP "$SRV_PID"
expect_true "SIGHUP: \"reloaded\" in the log" wait_for_line "$SRV_LOG" 'reloaded: '
for i in $(seq 1 50); do	# the old workers finish and exit
	[ -z "$(comm -12 <(printf '%s\n' $old_workers) \
	    <(ps -o pid= --ppid "$SRV_PID" | tr -d ' ' | sort))" ] && break
	sleep 0.1
done
expect_eq "SIGHUP: none of the old workers left" "" \
    "$(comm -12 <(printf '%s\n' $old_workers) <(ps -o pid= --ppid "$SRV_PID" | tr -d ' ' | sort))"
# Reused 0: the new workers know t4 was used before, as the old ones did.
expect_eq "SIGHUP: a ticket from before resumes on the new workers" "Reused 0" \
    "$(conn -sess_in "$TMP/t4")"

stop_tulpar
expect_eq "clean exit" 0 $?
summary
