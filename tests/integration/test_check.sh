#!/usr/bin/env bash
# Certificates and host names as a self-hoster meets them (issue 12, items
# 6-8): every name the host answers to is in the generated certificate; one
# key pair per host whatever the spelling, internationalised names as their
# A-label; `-n` finds what the real start would fail on (cert directory,
# another host's certificate, an expired one, a key that does not match),
# each in the same one line as the start, and works beside a running tulpar.
. "$(dirname "$0")/lib.sh"
need_tulpar

make_tree

RUNS=0
run_tulpar() {	# args...: sets RC, OUT, ERR (files)
	RUNS=$((RUNS + 1))
	OUT=$TMP/run.$RUNS.out
	ERR=$TMP/run.$RUNS.err
	timeout 10 "$TULPAR" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}
# fails_alike name substring args...: `tulpar -n args` and `tulpar args` both
# exit 1 with the same single "tulpar: " line, which contains substring and
# no raw OpenSSL error code.
fails_alike() {
	local name=$1 sub=$2 nline
	shift 2
	run_tulpar -n "$@"
	expect_eq "$name: -n exits 1" 1 "$RC"
	nline=$(cat "$ERR")
	expect_eq "$name: -n says it in one line" 1 "$(grep -c . "$ERR")"
	expect_contains "$name: -n names the problem" "$sub" "$nline"
	expect_nomatch "$name: no raw OpenSSL error" 'error:[0-9A-F]{8}' "$nline"
	run_tulpar "$@"
	expect_eq "$name: the real start exits 1" 1 "$RC"
	expect_eq "$name: the real start says the same line" "$nline" "$(cat "$ERR")"
}
p1=$(free_port) p2=$(free_port)
LOOP=(-d "$TREE" -G "127.0.0.1:$p1" -P "127.0.0.1:$p2")
NOTES=$'20 text/plain\r\nSome notes.\nA second line.\n'

# ---------------------------------------------------------------- 7: one spelling, one key pair

C=$TMP/spell
mkdir -p "$C"
fps=""
for h in EXAMPLE.ORG example.org example.org. Example.Org.; do
	if start_tulpar -T "$C" -H "$h"; then
		capture r gem_req "gemini://example.org:$GPORT/notes.txt" -servername example.org
		expect_eq "-H $h: serves gemini://example.org/" "$NOTES" "$r"
		capture r gem_req "gemini://EXAMPLE.ORG.:$GPORT/notes.txt" -servername example.org
		expect_eq "-H $h: serves gemini://EXAMPLE.ORG./" "$NOTES" "$r"
		capture r goph_sel /
		expect_match "-H $h: Gopher items name example.org" $'\texample\\.org\t'"$PPORT"$'\r\n' "$r"
		stop_tulpar
	else
		not_ok "start with -H $h"
	fi
	fps="$fps$(openssl x509 -in "$C/example.org.crt" -noout -fingerprint -sha256 2>/dev/null)"$'\n'
done
expect_eq "four spellings made one key pair" "example.org.crt example.org.key" "$(ls "$C" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "four spellings kept one certificate" 1 "$(printf '%s' "$fps" | grep . | sort -u | wc -l)"
run_tulpar -n -H 'a..example' -T "$C" "${LOOP[@]}"
expect_eq "-H a..example: refused" 1 "$RC"
expect_contains "-H a..example: says invalid hostname" "invalid hostname" "$(cat "$ERR")"

# Internationalised: қазақ.kz is xn--80aau21bd.kz on the wire, in the
# certificate and in file names; a request may use either form.
C=$TMP/idn
mkdir -p "$C"
AL=xn--80aau21bd.kz
if start_tulpar -T "$C" -H 'ҚАЗАҚ.kz'; then
	expect_true "-H ҚАЗАҚ.kz: the files are $AL.crt and .key" test -s "$C/$AL.crt" -a -s "$C/$AL.key"
	expect_eq "-H ҚАЗАҚ.kz: nothing else in the cert dir" 2 "$(ls "$C" | wc -l)"
	san=$(openssl x509 -in "$C/$AL.crt" -noout -ext subjectAltName 2>/dev/null)
	expect_contains "-H ҚАЗАҚ.kz: SAN DNS:$AL" "DNS:$AL" "$san"
	capture r gem_req "gemini://$AL:$GPORT/notes.txt" -servername "$AL"
	expect_eq "IDN: a request naming the A-label is served" "$NOTES" "$r"
	capture r gem_req "gemini://қазақ.kz:$GPORT/notes.txt" -servername "$AL"
	expect_eq "IDN: a request naming the U-label is served" "$NOTES" "$r"
	capture r gem_req "gemini://қаз.kz:$GPORT/notes.txt" -noservername
	expect_eq "IDN: another U-label is another host" $'53 Host not served\r\n' "$r"
	capture r goph_sel /
	expect_match "IDN: Gopher items carry the A-label" $'\t'"$AL"$'\t'"$PPORT"$'\r\n' "$r"
	stop_tulpar
else
	not_ok "start with -H ҚАЗАҚ.kz"
fi
run_tulpar -n -H '😀.kz' -T "$C" "${LOOP[@]}"
expect_eq "-H with a disallowed code point: refused" 1 "$RC"
expect_contains "-H with a disallowed code point: says why" "invalid hostname" "$(cat "$ERR")"

# ---------------------------------------------------------------- 6: aliases in the SAN

C=$TMP/alias
mkdir -p "$C"
G=$(free_port)
cat >"$TMP/alias.conf" <<EOF
[server]
gemini = 127.0.0.1:$G
cert_dir = $C
[host EXAMPLE.org.]
aliases = www.Example.org gemini.example.org. қазақ.kz
root = $TREE
EOF
if start_conf "$TMP/alias.conf" "$G"; then
	expect_eq "config spellings: one pair, named by the normal form" \
	    "example.org.crt example.org.key" "$(ls "$C" | tr '\n' ' ' | sed 's/ $//')"
	san=$(openssl x509 -in "$C/example.org.crt" -noout -ext subjectAltName 2>/dev/null | tail -n 1 | tr -d ' ')
	expect_eq "the SAN names the host and every alias" \
	    "DNS:example.org,DNS:www.example.org,DNS:gemini.example.org,DNS:$AL" "$san"
	for n in example.org www.example.org gemini.example.org "$AL"; do
		r=$(timeout 10 python3 - "$G" "$n" "$C/example.org.crt" 2>&1 <<'EOF'
import socket, ssl, sys
port, name, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)	# check_hostname is on
try:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            t.sendall(b"gemini://%s:%d/notes.txt\r\n" % (name.encode(), port))
            print(t.recv(64).split(b"\r\n")[0].decode())
except ssl.SSLError as e:
    print("refused:", e.reason)
EOF
		)
		expect_eq "python ssl, check_hostname on, as $n: verified and served" "20 text/plain" "$r"
	done
	r=$(echo | timeout 5 openssl s_client -connect "127.0.0.1:$G" -servername www.example.org \
	    -verify_hostname www.example.org -CAfile "$C/example.org.crt" -verify_return_error 2>&1)
	expect_contains "openssl s_client -verify_hostname www.example.org: verified" "Verify return code: 0 (ok)" "$r"
	r=$(echo | timeout 5 openssl s_client -connect "127.0.0.1:$G" -servername other.example.org \
	    -verify_hostname other.example.org -CAfile "$C/example.org.crt" 2>&1)
	expect_contains "a name that is no alias still fails the check" "hostname mismatch" "$r"
	stop_tulpar
else
	not_ok "start with aliases"
fi

# An existing certificate that leaves out an alias: served, with a warning.
cp -p "$TMP/spell/example.org.crt" "$TMP/spell/example.org.key" "$C/"
G=$(free_port)
sed -i "s/^gemini = .*/gemini = 127.0.0.1:$G/" "$TMP/alias.conf"
run_tulpar -n -c "$TMP/alias.conf"
expect_eq "-n: a certificate without the aliases still passes" 0 "$RC"
expect_contains "-n: ... with a warning naming the alias" "does not name alias www.example.org" "$(cat "$ERR")"

# ---------------------------------------------------------------- 8: what -n must find

# A certificate directory that does not exist, in one that does not either.
fails_alike "cert dir missing" "mkdir -p $TMP/no/such/certs" -T "$TMP/no/such/certs" "${LOOP[@]}"
expect_true "cert dir missing: nothing created" test ! -e "$TMP/no"
# One that does not exist yet but can be made: fine, and made on start.
run_tulpar -n -T "$TMP/made-on-start" "${LOOP[@]}"
expect_eq "-n: a cert dir that can be created is fine" 0 "$RC"
expect_true "-n: ... and is not created" test ! -e "$TMP/made-on-start"

# A certificate directory that is not writable (as nobody when we are root).
RO=$TMP/ro-certs
mkdir -p "$RO"
if [ "$(id -u)" -ne 0 ]; then
	chmod 555 "$RO"
	fails_alike "cert dir not writable" "is not writable" -T "$RO" "${LOOP[@]}"
elif id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
	chmod 755 "$TMP" "$TREE"
	chmod -R a+rX "$TREE"
	chmod 755 "$RO"
	PRIV=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	TULPAR_REAL=$TULPAR
	if [ -x "$(dirname "$TULPAR")" ] && "${PRIV[@]}" test -x "$TULPAR"; then
		TULPAR_WRAP=$TMP/as-nobody
		printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups %s "$@"\n' \
		    "$TULPAR_REAL" >"$TULPAR_WRAP"
		chmod 755 "$TULPAR_WRAP"
		TULPAR=$TULPAR_WRAP
		fails_alike "cert dir not writable (as nobody)" "is not writable" -T "$RO" "${LOOP[@]}"
		TULPAR=$TULPAR_REAL
	else
		echo "# skip: nobody cannot run $TULPAR (unwritable cert dir test)"
	fi
else
	echo "# skip: no user nobody (unwritable cert dir test)"
fi
echo x >"$TMP/a-file"
fails_alike "cert dir is a file" "is not a directory" -T "$TMP/a-file" "${LOOP[@]}"

# Another host's certificate.
O=$TMP/other
mkdir -p "$O"
cp -p "$TMP/spell/example.org.crt" "$O/localhost.crt"
cp -p "$TMP/spell/example.org.key" "$O/localhost.key"
fails_alike "a certificate for another host" "is for example.org, not localhost" -T "$O" "${LOOP[@]}"

# An expired certificate (made as of 2020 with faketime).
X=$TMP/expired
mkdir -p "$X"
if command -v faketime >/dev/null; then
	faketime '2020-01-01 00:00:00' openssl req -x509 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$X/localhost.key" \
	    -out "$X/localhost.crt" -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost -days 2 >/dev/null 2>&1
	fails_alike "an expired certificate" "expired on 2020-01-03" -T "$X" "${LOOP[@]}"
else
	echo "# skip: faketime is not installed (expired certificate test)"
fi

# A key that does not match (was: error:05800074:x509 certificate routines::key values mismatch).
M=$TMP/mismatch
mkdir -p "$M"
cp -p "$TMP/idn/$AL.key" "$M/example.org.key"
cp -p "$TMP/spell/example.org.crt" "$M/example.org.crt"
fails_alike "a key that does not match" "key $M/example.org.key does not match certificate" \
    -H example.org -T "$M" "${LOOP[@]}"
echo garbage >"$M/example.org.key"
fails_alike "a key that is no key" "is not a PEM private key" -H example.org -T "$M" "${LOOP[@]}"

# ---------------------------------------------------------------- 8: -n beside a running tulpar

if start_tulpar -T "$TMP/spell" -H example.org; then
	run_tulpar -n -d "$TREE" -T "$TMP/spell" -H example.org -G "127.0.0.1:$GPORT" -P "127.0.0.1:$PPORT"
	expect_eq "-n on the ports of a running tulpar: exit 0" 0 "$RC"
	expect_match "-n notes the busy Gemini port" "note: gemini: .*127\\.0\\.0\\.1:$GPORT.*in use" "$(cat "$OUT")"
	expect_match "-n notes the busy Gopher port" "note: gopher: .*127\\.0\\.0\\.1:$PPORT.*in use" "$(cat "$OUT")"
	expect_contains "-n still describes the host" "host example.org: root $TREE" "$(cat "$OUT")"
	run_tulpar -n -d "$TMP/no-root" -T "$TMP/spell" -H example.org -G "127.0.0.1:$GPORT" -P "127.0.0.1:$PPORT"
	expect_eq "-n beside a running tulpar still finds a missing root" 1 "$RC"
	capture r gem_req "gemini://example.org:$GPORT/notes.txt" -servername example.org
	expect_eq "the running tulpar is untouched" "$NOTES" "$r"
	run_tulpar -d "$TREE" -T "$TMP/spell" -H example.org -G "127.0.0.1:$GPORT" -P "127.0.0.1:$PPORT"
	expect_eq "the real start on a busy port still fails" 1 "$RC"
	stop_tulpar
else
	not_ok "start for the busy-port check"
fi

summary
