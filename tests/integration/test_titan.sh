#!/usr/bin/env bash
# Titan uploads on the Gemini port: good uploads through openssl s_client and
# a small Python client (new page, overwrite, missing directories, size=0
# deletes, a token), every bad upload refused with its status and nothing
# written (no size, negative, overflowing, short body, long body, escapes,
# dotfile, control byte, symbolic links, no / unlisted / expired certificate,
# wrong token, over titan_max_size, disconnect mid-body, a full disk through
# RLIMIT_FSIZE), concurrent uploads of one page (the last rename wins, a
# reader never sees a mix), the page served within a second without a reload,
# and after one.
. "$(dirname "$0")/lib.sh"
need_tulpar

# ---------------------------------------------------------------- certificates

mkcert alice || bail "openssl req makes a certificate"
mkcert bob
mkcert old "2020-01-01 00:00:00" || bail "faketime openssl req makes an expired certificate"

# ---------------------------------------------------------------- set-up

make_tree
mkdir -p "$TREE/notes/sub" "$TREE/tok" "$TREE/closed" "$TMP/outside"
printf '# old page\n' >"$TREE/notes/page.gmi"
printf '# index\n' >"$TREE/index.gmi"
printf 'outside\n' >"$TMP/outside/x.gmi"
ln -s ../../index.gmi "$TREE/notes/evil.gmi"	# a link as the target
ln -s "$TMP/outside" "$TREE/notes/out"		# a link on the way, leaving the root
ln -s sub "$TREE/notes/inside"			# a link on the way, staying inside
# Workers run as nobody when the tests run as root: the upload paths must be
# writable by them.
chmod -R a+rwX "$TREE/notes" "$TREE/tok"

G=$(free_port) P=$(free_port)
CONF=$TMP/titan.conf
cat >"$CONF" <<CONFEOF
[server]
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR
workers = 1
read_timeout = 2
[host localhost]
root = $TREE
gopher = 127.0.0.1:$P
[path localhost /notes/]
titan = yes
allow_certificates = $(cert_fp alice) $(cert_fp old)
titan_max_size = 2K
[path localhost /tok/]
titan = yes
titan_token = s3cret
[path localhost /later/]
titan = yes
titan_token = s3cret
CONFEOF
start_conf "$CONF" "$G $P" || bail "tulpar starts with Titan paths"
GPORT=$G PPORT=$P

# state: every file under the tree with its checksum, and no temporary file.
state() {
	(cd "$TREE" && find . \( -type f -o -type l \) -print0 | sort -z |
	    xargs -0 sha256sum 2>/dev/null; find . -type d | sort)
}

# titan_sc url body-file [s_client options]: the upload through openssl s_client.
titan_sc() {
	local url=$1 body=$2
	shift 2
	{ printf '%s\r\n' "$url"; cat "$body"; } | timeout 10 openssl s_client -quiet \
	    -connect "127.0.0.1:$G" -servername localhost "$@" 2>/dev/null
}

_TITAN_PY='
import socket, ssl, struct, sys, time
port, url, body, cert, cut = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
data = open(body, "rb").read()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if cert != "-":
    ctx.load_cert_chain(cert + ".crt", cert + ".key")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s = ctx.wrap_socket(s, server_hostname="localhost")
s.sendall(url.encode() + b"\r\n")
if cut >= 0:
    # half the body, then a reset: the client is gone mid-body
    s.sendall(data[:cut])
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    sys.exit(0)
s.sendall(data)
out = b""
while True:
    try:
        d = s.recv(4096)
    except (ssl.SSLError, OSError):
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
'
# titan_py url body-file cert|- [cut]: the upload through Python's ssl.
titan_py() {
	timeout 20 python3 -c "$_TITAN_PY" "$G" "$1" "$2" "$3" "${4:--1}"
}
turl() {
	printf 'titan://localhost:%s%s' "$G" "$1"
}
ALICE=(-cert "$TMP/alice.crt" -key "$TMP/alice.key")

# ---------------------------------------------------------------- good uploads

printf '# new page\n\nwritten with s_client\n' >"$TMP/b1"
capture r titan_sc "$(turl /notes/new.gmi);size=$(wc -c <"$TMP/b1");mime=text/gemini" "$TMP/b1" "${ALICE[@]}"
expect_eq "s_client upload: 30 to the page" "30 gemini://localhost:$G/notes/new.gmi"$'\r\n' "$r"
expect_file_eq "s_client upload: the file holds the body" "$TMP/b1" "$TREE/notes/new.gmi"

head -c 1500 /dev/urandom >"$TMP/b2"
capture r titan_py "$(turl /notes/page.gmi);mime=application/octet-stream;size=1500" "$TMP/b2" "$TMP/alice"
expect_eq "Python upload over an existing page: 30" "30 gemini://localhost:$G/notes/page.gmi"$'\r\n' "$r"
expect_file_eq "Python upload: byte for byte" "$TMP/b2" "$TREE/notes/page.gmi"

printf '# deep\n' >"$TMP/b3"
capture r titan_sc "$(turl /notes/a/b%20c/deep.gmi);size=7" "$TMP/b3" "${ALICE[@]}"
expect_eq "missing directories: 30" "30 gemini://localhost:$G/notes/a/b%20c/deep.gmi"$'\r\n' "$r"
expect_file_eq "missing directories are made" "$TMP/b3" "$TREE/notes/a/b c/deep.gmi"

printf '# by token\n' >"$TMP/b4"
capture r titan_sc "$(turl /tok/t.gmi);size=11;token=s3cret" "$TMP/b4"
expect_eq "titan_token alone suffices: 30" "30 gemini://localhost:$G/tok/t.gmi"$'\r\n' "$r"
expect_file_eq "titan_token: written" "$TMP/b4" "$TREE/tok/t.gmi"
capture r titan_sc "$(turl /tok/t2.gmi);size=11;token=s3cr%65t" "$TMP/b4"
expect_eq "the token is percent-decoded" "30 gemini://localhost:$G/tok/t2.gmi"$'\r\n' "$r"

: >"$TMP/empty"
capture r titan_sc "$(turl /tok/t2.gmi);size=0;token=s3cret" "$TMP/empty"
expect_eq "size=0: 30 to the directory" "30 gemini://localhost:$G/tok/"$'\r\n' "$r"
expect_true "size=0 deletes the page" test ! -e "$TREE/tok/t2.gmi"
capture r titan_sc "$(turl /tok/never.gmi);size=0;token=s3cret" "$TMP/empty"
expect_eq "size=0 of a missing page: 30 all the same" "30 gemini://localhost:$G/tok/"$'\r\n' "$r"
printf 'x' >"$TMP/one"
capture r titan_sc "$(turl /tok/t3.gmi);size=1;token=s3cr;token=twice" "$TMP/one"
expect_eq "a refused parameter list: 59" $'59 Bad request: parameter given twice\r\n' "$r"
expect_true "a refused parameter list: logged up to its ';'" \
    wait_for_line "$SRV_LOG" "\"titan://localhost:$G/tok/t3.gmi\" 59 "
expect_true "the log never holds the token" bash -c "! grep -q s3cr '$SRV_LOG'"
expect_true "the log names the upload and its size" \
    wait_for_line "$SRV_LOG" "\"titan://localhost:$G/notes/new.gmi;size=[0-9]+\" 30 "

# ---------------------------------------------------------------- bad uploads: status, nothing written

printf 'XXXXXXXXXX' >"$TMP/ten"
head -c 3000 /dev/zero | tr '\0' x >"$TMP/big"
BEFORE=$(state)
# bad name expected-status url body [s_client options]
bad() {
	local name=$1 exp=$2 url=$3 body=$4 r
	shift 4
	capture r titan_sc "$url" "$body" "$@"
	expect_match "$name: $exp" "^$exp" "$r"
	expect_eq "$name: nothing written" "$BEFORE" "$(state)"
}
bad "no size" "59 Bad request: no size parameter" "$(turl /notes/x.gmi);mime=text/gemini" "$TMP/ten" "${ALICE[@]}"
bad "no parameters at all" "59 " "$(turl /notes/x.gmi)" "$TMP/ten" "${ALICE[@]}"
bad "negative size" "59 Bad request: size is not a non-negative integer" "$(turl /notes/x.gmi);size=-10" "$TMP/ten" "${ALICE[@]}"
bad "overflowing size" "59 Bad request: size too large" "$(turl /notes/x.gmi);size=184467440737095516160" "$TMP/ten" "${ALICE[@]}"
bad "size twice" "59 Bad request: parameter given twice" "$(turl /notes/x.gmi);size=10;size=10" "$TMP/ten" "${ALICE[@]}"
bad "over titan_max_size" "59 Bad request: size above titan_max_size" "$(turl /notes/x.gmi);size=3000" "$TMP/big" "${ALICE[@]}"
bad "long body" "59 Bad request: body longer than size" "$(turl /notes/page.gmi);size=5" "$TMP/ten" "${ALICE[@]}"
t0=$(now)
bad "short body (the request deadline passes)" "59 Bad request: body shorter than size" "$(turl /notes/page.gmi);size=100" "$TMP/ten" "${ALICE[@]}"
expect_lt "short body: answered at read_timeout (2 s)" 4 "$(since "$t0")"
bad "escape above the root" "59 Bad request" "$(turl /notes/../../x.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "escape, percent-encoded" "59 Bad request" "$(turl /notes/%2e%2e/%2e%2e/x.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "out of the Titan path" "59 Bad request: uploads not enabled here" "$(turl /notes/../index.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "dotfile" "59 Bad request: dotfile in path" "$(turl /notes/.hidden.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "dot directory" "59 Bad request: dotfile in path" "$(turl /notes/.git/config);size=10" "$TMP/ten" "${ALICE[@]}"
bad "control byte" "59 Bad request" "$(turl /notes/a%01b.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "a directory" "59 Bad request: not a file name" "$(turl /notes/sub/);size=10" "$TMP/ten" "${ALICE[@]}"
bad "a symbolic link as the target" "59 Bad request: symbolic link in path" "$(turl /notes/evil.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "a symbolic link on the way, out of the root" "59 Bad request: symbolic link in path" "$(turl /notes/out/x.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "a symbolic link on the way, inside" "59 Bad request: symbolic link in path" "$(turl /notes/inside/x.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "no certificate" "60 Client certificate required" "$(turl /notes/x.gmi);size=10" "$TMP/ten"
bad "unlisted certificate" "61 Certificate not authorised" "$(turl /notes/x.gmi);size=10" "$TMP/ten" -cert "$TMP/bob.crt" -key "$TMP/bob.key"
bad "expired certificate" "62 Certificate not valid" "$(turl /notes/x.gmi);size=10" "$TMP/ten" -cert "$TMP/old.crt" -key "$TMP/old.key"
bad "wrong token" "61 Certificate not authorised" "$(turl /tok/x.gmi);size=10;token=guess" "$TMP/ten"
bad "no token" "61 Certificate not authorised" "$(turl /tok/x.gmi);size=10" "$TMP/ten"
bad "a path without titan" "59 Bad request: uploads not enabled here" "$(turl /x.gmi);size=10" "$TMP/ten" "${ALICE[@]}"
bad "size=0 on a symbolic link" "59 Bad request: symbolic link in path" "$(turl /notes/evil.gmi);size=0" "$TMP/empty" "${ALICE[@]}"
bad "another host" "53 " "titan://elsewhere.test:$G/notes/x.gmi;size=10" "$TMP/ten" "${ALICE[@]}"
bad "another port" "53 Port not served" "titan://localhost:1/notes/x.gmi;size=10" "$TMP/ten" "${ALICE[@]}"

head -c 2000 /dev/urandom >"$TMP/b5"
titan_py "$(turl /notes/page.gmi);size=2000" "$TMP/b5" "$TMP/alice" 1000
sleep 0.3
expect_eq "disconnect mid-body: nothing written" "$BEFORE" "$(state)"
titan_py "$(turl /notes/fresh/dir/p.gmi);size=2000" "$TMP/b5" "$TMP/alice" 1000
sleep 0.3
expect_eq "disconnect mid-body: the directories it made are gone again" "$BEFORE" "$(state)"
expect_true "disconnect mid-body: the server lives" kill -0 "$SRV_PID"
capture r gem_req "gemini://localhost:$G/index.gmi"
expect_eq "disconnect mid-body: still serving" $'20 text/gemini\r\n# index\n' "$r"

# ---------------------------------------------------------------- Landlock: only Titan directories are writable

# /later/ did not exist at start-up, so no Landlock rule lets workers write
# there: made afterwards (writable by anyone), it still refuses uploads.
if grep -q 'no Landlock' "$SRV_LOG"; then
	echo "# skip: this kernel has no Landlock"
else
	mkdir -m 777 "$TREE/later"
	capture r titan_sc "$(turl /later/x.gmi);size=10;token=s3cret" "$TMP/ten"
	expect_eq "Landlock: a Titan directory made after start-up is not writable" \
	    $'50 Cannot store the page: Permission denied\r\n' "$r"
	expect_eq "Landlock: nothing written there" "" "$(ls -A "$TREE/later")"
	rmdir "$TREE/later"
fi

# ---------------------------------------------------------------- concurrent uploads of one page

_RACE_PY='
import os, socket, ssl, sys, threading, time
port, target, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3]
versions = [(b"# version %d\n" % i) + bytes([65 + i]) * 1500 for i in range(8)]
versions.append(b"# before the race\n")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert + ".crt", cert + ".key")
answers, bad, stop = [], [], False
def up(i):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="localhost")
    s.sendall(b"titan://localhost:%d/notes/race.gmi;size=%d\r\n" % (port, len(versions[i])) + versions[i])
    out = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
    answers.append(out)
def read():
    while not stop:
        try:
            d = open(target, "rb").read()
        except FileNotFoundError:
            continue
        if d not in versions:
            bad.append(len(d))
open(target, "wb").write(versions[8])
r = threading.Thread(target=read)
r.start()
for rnd in range(3):
    ts = [threading.Thread(target=up, args=(i,)) for i in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
stop = True
r.join()
final = open(target, "rb").read()
ok = sum(1 for a in answers if a.startswith(b"30 "))
print("answers %d/%d mixed %d final %s" % (ok, len(answers), len(bad),
      "one" if final in versions[:8] else "other"))
'
capture r timeout 60 python3 -c "$_RACE_PY" "$G" "$TREE/notes/race.gmi" "$TMP/alice"
expect_eq "24 concurrent uploads: all 30, a reader never saw a mix, one whole version last" \
    $'answers 24/24 mixed 0 final one\n' "$r"
expect_eq "concurrent uploads: no temporary file left" "" \
    "$(find "$TREE" -name '.titan-*')"

# ---------------------------------------------------------------- live: no reload needed

printf '# live page\n\nserved without a reload\n' >"$TMP/live"
capture r titan_py "$(turl /notes/live.gmi);size=$(wc -c <"$TMP/live")" "$TMP/live" "$TMP/alice"
expect_eq "an upload to watch go live: 30" "30 gemini://localhost:$G/notes/live.gmi"$'\r\n' "$r"
T0=$(now)
for i in $(seq 1 40); do
	capture r gem_req "gemini://localhost:$G/notes/live.gmi"
	[ "$r" = $'20 text/gemini\r\n# live page\n\nserved without a reload\n' ] && break
	sleep 0.05
done
expect_eq "the upload is served on Gemini without a reload" \
    $'20 text/gemini\r\n# live page\n\nserved without a reload\n' "$r"
expect_lt "within a second of the 30" 1 "$(since "$T0")"
for i in $(seq 1 40); do
	capture r goph_sel /notes/
	[[ $r == *$'\t/notes/live.gmi\t'* ]] && break
	sleep 0.05
done
expect_contains "and in its parent's Gopher menu" $'\t/notes/live.gmi\t' "$r"
expect_lt "within a second too" 1 "$(since "$T0")"

# ---------------------------------------------------------------- served after a reload

kill -HUP "$SRV_PID"
expect_true "SIGHUP: reloaded" wait_for_line "$SRV_LOG" '^tulpar: reloaded: 1 hosts, generation 1$'
sleep 0.3
capture r gem_req "gemini://localhost:$G/notes/new.gmi"
expect_eq "the uploaded page is served on Gemini" $'20 text/gemini\r\n# new page\n\nwritten with s_client\n' "$r"
capture r goph_sel /notes/
expect_contains "the uploaded page is in the Gopher listing" $'\t/notes/new.gmi\t' "$r"

# ---------------------------------------------------------------- a full disk (RLIMIT_FSIZE)

G2=$(free_port)
sed -e "s/^gemini = .*/gemini = 127.0.0.1:$G2/" -e '/^gopher = /d' \
    -e 's/^titan_max_size = 2K/titan_max_size = 1M/' "$CONF" >"$TMP/full.conf"
SRV_N=$((SRV_N + 1))
FLOG=$TMP/tulpar.$SRV_N.log
prlimit --fsize=65536 "$TULPAR" -c "$TMP/full.conf" </dev/null >/dev/null 2>"$FLOG" &
FPID=$!
SERVER_PIDS+=("$FPID")
if wait_listening "$FPID" "$G2"; then
	head -c 200000 /dev/urandom >"$TMP/b6"
	BEFORE=$(state)
	capture r timeout 20 python3 -c "$_TITAN_PY" "$G2" \
	    "titan://localhost:$G2/notes/page.gmi;size=200000" "$TMP/b6" "$TMP/alice" -1
	expect_eq "a full disk: 40" $'40 Cannot store the page: no space left\r\n' "$r"
	expect_eq "a full disk: nothing written" "$BEFORE" "$(state)"
	capture r timeout 20 python3 -c "$_TITAN_PY" "$G2" \
	    "titan://localhost:$G2/notes/small.gmi;size=10" "$TMP/ten" "$TMP/alice" -1
	expect_eq "a full disk: a small upload still fits" "30 gemini://localhost:$G2/notes/small.gmi"$'\r\n' "$r"
	expect_true "a full disk: the worker lives" wait_for_line "$FLOG" "small.gmi;size=10\" 30 "
	stop_tulpar "$FPID"
else
	not_ok "tulpar starts under prlimit --fsize"
fi

summary
