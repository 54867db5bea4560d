#!/usr/bin/env bash
# The configuration file: docs/examples/tulpar.conf adapted to loopback, free
# ports and temporary roots; two virtual hosts with their own certificates and
# Gopher ports, aliases, [path] rules; -n and every kind of configuration
# error; flags over the file; SIGHUP (reload, with downloads in flight and a
# bad file), SIGTERM with a download in flight, SIGUSR1 with a log file;
# log_client_ip; privilege drop and confinement; `make install`.
. "$(dirname "$0")/lib.sh"
need_tulpar

EXAMPLE=$ROOT/docs/examples/tulpar.conf
[ -f "$EXAMPLE" ] || bail "docs/examples/tulpar.conf exists"
AS_ROOT=0
NL=$'\n'
[ "$(id -u)" = 0 ] && AS_ROOT=1
T_START=$(now)

# ---------------------------------------------------------------- set-up

R1=$TMP/org		# example.org
R2=$TMP/net		# example.net
R3=$TMP/override	# for -d
C1=$TMP/certs-server	# [server] cert_dir: example.org's certificate
C2=$TMP/certs-net	# example.net's own cert_dir
mkdir -p "$R1/posts" "$R1/kk/empty" "$R1/sub" "$R2/plain" "$R2/old-project" \
    "$R3" "$C1" "$C2"
printf '# example.org home\n\n=> posts/ Posts\n' >"$R1/index.gmi"
printf '# Posts\n' >"$R1/posts/index.gmi"
printf '# A post\n' >"$R1/posts/x.gmi"
printf '# Kazakh\n' >"$R1/kk/index.gmi"
printf 'Salem\n' >"$R1/kk/notes.txt"
printf 'plain notes\n' >"$R1/notes.txt"
printf 'x\n' >"$R1/sub/a.txt"
printf '# example.net home\n' >"$R2/index.gmi"
printf 'f\n' >"$R2/plain/f.txt"
printf '# old\n' >"$R2/old-project/index.gmi"
printf '# override root\n' >"$R3/index.gmi"
BIG=20971520
head -c 2097152 /dev/urandom >"$R1/mid.bin"	# 2 MiB: streamed from disk
head -c "$BIG" /dev/urandom >"$R1/big.bin"	# 20 MiB: the slow downloads
chmod -R a+rX "$R1" "$R2" "$R3"
BIG_SUM=$(sha256sum <"$R1/big.bin")

# mkconf gemini-port gopher-port-1 gopher-port-2: the example file on
# loopback, with these roots and cert dirs, two workers, logging to stderr,
# no `user` (as root: the default, nobody), and example.net's own cert_dir.
mkconf() {
	sed -e "s|^gemini = 1965\$|gemini = 127.0.0.1:$1|" \
	    -e "s|^cert_dir = /var/lib/tulpar/certs\$|cert_dir = $C1|" \
	    -e '/^user = tulpar$/d' \
	    -e 's|^workers = 0$|workers = 2|' \
	    -e 's|^log = syslog$|log = stderr|' \
	    -e "s|^root = /srv/gemini/example.org\$|root = $R1|" \
	    -e "s|^root = /srv/gemini/example.net\$|root = $R2|" \
	    -e "s|^gopher = 70\$|gopher = 127.0.0.1:$2|" \
	    -e "s|^gopher = 7070\$|gopher = 127.0.0.1:$3|" \
	    -e "/^\\[host example.net\\]\$/a cert_dir = $C2" "$EXAMPLE"
}

G=$(free_port) P1=$(free_port) P2=$(free_port)
CONF=$TMP/tulpar.conf
mkconf "$G" "$P1" "$P2" >"$CONF"
cp "$CONF" "$TMP/tulpar.conf.orig"
left=$(grep -nE '^(gemini|cert_dir|root|gopher|log|workers|user) = ' "$CONF" |
    grep -vE "= (127\\.0\\.0\\.1:[0-9]+|$TMP/[a-z-]+|stderr|2)\$")
expect_eq "the example file is adapted completely (no /srv, syslog, port 70...)" "" "$left"

# run_tulpar args...: runs tulpar (bounded: 10 s); sets RC, OUT, ERR (files).
RUNS=0
run_tulpar() {
	RUNS=$((RUNS + 1))
	OUT=$TMP/run.$RUNS.out
	ERR=$TMP/run.$RUNS.err
	timeout 10 "$TULPAR" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}
# one_line name: the last run failed with exit 1 and exactly one stderr line
# starting "tulpar: ".
one_line() {
	expect_eq "$1: exit status 1" 1 "$RC"
	if [ "$(wc -l <"$ERR")" -eq 1 ] && [ "$(grep -c '^tulpar: ' "$ERR")" -eq 1 ]; then
		ok "$1: one stderr line starting \"tulpar: \""
	else
		not_ok "$1: one stderr line starting \"tulpar: \""
		diag "stderr: $(_show "$(head -c 600 "$ERR")")"
	fi
}
not_listening() { ! port_listening "$1"; }
# uid_of pid, nnp_of pid, seccomp_of pid: from /proc/PID/status
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
nnp_of() { awk '/^NoNewPrivs:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
seccomp_of() { awk '/^Seccomp:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
workers_of() { echo $(pgrep -P "$1"); }
# subject_of port [s_client options]: the subject of the certificate served.
subject_of() {
	local port=$1
	shift
	timeout 5 openssl s_client -connect "127.0.0.1:$port" "$@" </dev/null 2>/dev/null |
	    openssl x509 -noout -subject 2>/dev/null
}
fp_of() {
	local port=$1
	shift
	timeout 5 openssl s_client -connect "127.0.0.1:$port" "$@" </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
# gem host path [port]: a Gemini request for gemini://host:port/path with SNI host.
gem() {
	local port=${3:-$G}
	GPORT=$port gem_req "gemini://$1:$port$2" -servername "$1"
}
# goph port selector
goph() { PPORT=$1 goph_sel "$2"; }

# ---------------------------------------------------------------- -n with the example

mkdir -p "$TMP/empty-certs"
run_tulpar -n -c "$CONF"
o=$(cat "$OUT" "$ERR")
expect_eq "-n -c FILE: exit 0" 0 "$RC"
expect_contains "-n -c FILE: describes example.org's root" "host example.org: root $R1:" "$o"
expect_contains "-n -c FILE: describes example.net's root" "host example.net: root $R2:" "$o"
expect_contains "-n -c FILE: example.org's certificate in [server] cert_dir" \
    "certificate $C1/example.org.crt (to be generated)" "$o"
expect_contains "-n -c FILE: example.net's certificate in its own cert_dir" \
    "certificate $C2/example.net.crt (to be generated)" "$o"
expect_contains "-n -c FILE: the Gemini listener" "gemini://example.org:$G/ on 127.0.0.1:$G" "$o"
expect_contains "-n -c FILE: example.org's Gopher listener" "gopher://example.org:$P1/ on 127.0.0.1:$P1" "$o"
expect_contains "-n -c FILE: example.net's Gopher listener" "gopher://example.net:$P2/ on 127.0.0.1:$P2" "$o"
expect_eq "-n -c FILE: creates no certificate" "" "$(ls -A "$C1" "$C2" | grep -v ':$' | grep .)"
expect_true "-n -c FILE: does not keep listening" not_listening "$G"

# ---------------------------------------------------------------- -n and configuration errors

E1=$(free_port) E2=$(free_port)
# A valid file of 6 lines; each case adds or changes one line.
errbase() {
	cat <<EOF
[server]
gemini = 127.0.0.1:$E1
cert_dir = ${1:-$TMP/empty-certs}
[host one.test]
root = $R3
gopher = 127.0.0.1:$E2
EOF
}
E=$TMP/err.conf
errbase >"$E"
run_tulpar -n -c "$E"
expect_eq "the base of the error cases is valid (-n exit 0)" 0 "$RC"

# conf_err name line substring: -n -c $E fails with one line "tulpar: $E:LINE: ..."
# naming substring; LINE is a number or a regex.
conf_err() {
	run_tulpar -n -c "$E"
	one_line "$1"
	expect_match "$1: the line names $E:$2:" "^tulpar: $(printf '%s' "$E" |
	    sed 's/[][\.*^$(){}+?|]/\\&/g'):$2: " "$(cat "$ERR")"
	expect_contains "$1: the line says $3" "$3" "$(cat "$ERR")"
}
{ errbase; echo 'rooot = /srv'; } >"$E"
conf_err "unknown key" 7 "unknown key 'rooot'"
{ errbase; echo '[vhost two.test]'; } >"$E"
conf_err "bad section" 7 "unknown section"
errbase | sed "2s/.*/gemini = 127.0.0.1:99999/" >"$E"
conf_err "bad port (99999)" 2 "99999"
errbase | sed "6s/.*/gopher = 127.0.0.1:0/" >"$E"
conf_err "bad gopher port (0)" 6 "127.0.0.1:0"
errbase | sed "2s/.*/gemini = $E1 # a comment/" >"$E"
conf_err "'#' after a value is part of it" 2 "gemini"
{ errbase; printf '[host two.test]\nroot = %s\n[host one.test]\nroot = %s\n' "$R2" "$R3"; } >"$E"
conf_err "duplicate host" 9 "duplicate host name 'one.test'"
{ errbase; printf '[host two.test]\naliases = www.one.test one.test\nroot = %s\n' "$R2"; } >"$E"
conf_err "alias that names another host" "(7|8)" "one.test"
{ errbase; printf '[path two.test /x/]\ngone = yes\n'; } >"$E"
conf_err "path for an unknown host" 7 "two.test"
{ errbase; printf '[host two.test]\nlisting = no\n'; } >"$E"
conf_err "host without root" 7 "no root"
{ errbase; printf '[path one.test /x/]\ngone = yes\nredirect = /y/\n'; } >"$E"
conf_err "redirect and gone in one [path]" 9 "redirect"
errbase | sed "6s/.*/gopher = 127.0.0.1:$E1/" >"$E"
conf_err "two listeners on one address (gopher = gemini)" 6 "127.0.0.1:$E1"
{ errbase; printf '[host two.test]\nroot = %s\ngopher = %s\n' "$R2" "$E2"; } >"$E"
conf_err "two listeners on one address (two hosts, one Gopher port)" 9 "$E2"
{ errbase; printf '[host two.test]\nroot = %s\n' "$R2"; } | sed '1a chroot = yes' >"$E"
conf_err "chroot with two hosts" 2 "chroot"

# Not syntax, but still the file's fault: the line that names the root or
# the host whose certificate is wrong.
errbase | sed "5s|.*|root = $TMP/no-such-root|" >"$E"
conf_err "missing root directory" 5 "$TMP/no-such-root"
KG=$TMP/certs-garbage KM=$TMP/certs-mismatch
mkdir -p "$KG" "$KM"
openssl ecparam -genkey -name prime256v1 -noout -out "$KG/one.test.key" 2>/dev/null
openssl req -x509 -new -key "$KG/one.test.key" -subj /CN=one.test -days 2 \
    -out "$KM/one.test.crt" 2>/dev/null
openssl ecparam -genkey -name prime256v1 -noout -out "$KM/one.test.key" 2>/dev/null
echo 'this is not a certificate' >"$KG/one.test.crt"
errbase "$KG" >"$E"
conf_err "garbage certificate file" '[0-9]+' "$KG/one.test.crt"
errbase "$KM" >"$E"
conf_err "certificate and key do not match" '[0-9]+' "$KM/one.test.key"
errbase | sed "6s/.*/gopher = 127.0.0.1:$E1/" >"$E"
run_tulpar -c "$E"
one_line "two listeners on one address: refused at start too, not only with -n"

# ---------------------------------------------------------------- flags override the file

G3=$(free_port) P3a=$(free_port) P3b=$(free_port) X=$(free_port) Y=$(free_port)
CONF_C=$TMP/flags.conf
mkconf "$G3" "$P3a" "$P3b" >"$CONF_C"
run_tulpar -n -c "$CONF_C" -G "127.0.0.1:$X" -P "127.0.0.1:$Y" -d "$R3"
o=$(cat "$OUT")
expect_eq "-n -c FILE -G -P -d: exit 0" 0 "$RC"
expect_contains "-n: -d replaces the first host's root" "host example.org: root $R3:" "$o"
expect_contains "-n: -d leaves the second host's root" "host example.net: root $R2:" "$o"
expect_contains "-n: -G replaces [server] gemini" "gemini://example.org:$X/ on 127.0.0.1:$X" "$o"
expect_contains "-n: -P replaces the first host's gopher" "gopher://example.org:$Y/ on 127.0.0.1:$Y" "$o"
expect_contains "-n: -P leaves the second host's gopher" "gopher://example.net:$P3b/ on 127.0.0.1:$P3b" "$o"
run_tulpar -n -c "$CONF_C" -P off
expect_lacks "-n -P off: the first host has no Gopher listener" "gopher://example.org" "$(cat "$OUT")"
expect_contains "-n -P off: the second host keeps its own" "gopher://example.net:$P3b/" "$(cat "$OUT")"
if start_conf "$CONF_C" "$X $Y $P3b" -G "127.0.0.1:$X" -P "127.0.0.1:$Y" -d "$R3"; then
	C_PID=$SRV_PID
	expect_true "-G: the file's Gemini port is not listening" not_listening "$G3"
	expect_true "-P: the file's first Gopher port is not listening" not_listening "$P3a"
	capture r gem example.org / "$X"
	expect_eq "-G/-d: Gemini on the flag's port serves the flag's root" \
	    $'20 text/gemini; lang=en\r\n# override root\n' "$r"
	capture r gem example.net / "$X"
	expect_eq "-G: the second host is on the flag's port, with its own root" \
	    $'20 text/gemini; lang=en-GB\r\n# example.net home\n' "$r"
	capture r goph "$Y" /
	expect_match "-P/-d: Gopher on the flag's port serves the flag's root" \
	    "^ioverride root"$'\t' "$r"
	capture r goph "$P3b" /
	expect_match "the second host's Gopher port from the file serves its root" \
	    "^iexample\\.net home"$'\t' "$r"
	stop_tulpar "$C_PID"
	expect_eq "flags over the file: SIGTERM exit 0" 0 "$?"
else
	not_ok "tulpar -c FILE -G -P -d starts"
fi

# ---------------------------------------------------------------- the example, served

start_conf "$CONF" "$G $P1 $P2" || bail "tulpar -c (the adapted example) starts"
A_PID=$SRV_PID A_LOG=$SRV_LOG
GPORT=$G PPORT=$P1

expect_true "example.org's certificate is generated in [server] cert_dir" test -s "$C1/example.org.crt"
expect_true "example.net's certificate is generated in its own cert_dir" test -s "$C2/example.net.crt"
expect_true "example.net's certificate is not in [server] cert_dir" test ! -e "$C1/example.net.crt"
expect_eq "generated keys have mode 0600" "600 600" \
    "$(stat -c %a "$C1/example.org.key" "$C2/example.net.key" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

s_org=$(subject_of "$G" -servername example.org)
s_net=$(subject_of "$G" -servername example.net)
expect_match "SNI example.org: certificate CN=example.org" 'CN ?= ?example\.org$' "$s_org"
expect_match "SNI example.net: certificate CN=example.net" 'CN ?= ?example\.net$' "$s_net"
expect_ne "the two hosts' certificates differ" "$s_org" "$s_net"
expect_match "SNI www.example.org (alias): example.org's certificate" 'CN ?= ?example\.org$' \
    "$(subject_of "$G" -servername www.example.org)"
expect_match "SNI EXAMPLE.NET (case): example.net's certificate" 'CN ?= ?example\.net$' \
    "$(subject_of "$G" -servername EXAMPLE.NET)"
expect_match "unknown SNI: the first host's certificate" 'CN ?= ?example\.org$' \
    "$(subject_of "$G" -servername unknown.test)"
expect_match "no SNI: the first host's certificate" 'CN ?= ?example\.org$' \
    "$(subject_of "$G" -noservername)"
expect_eq "the served certificate is the file in example.net's cert_dir" \
    "$(openssl x509 -in "$C2/example.net.crt" -noout -fingerprint -sha256 2>/dev/null)" \
    "$(fp_of "$G" -servername example.net)"

# Virtual hosts over Gemini.
ORG_HOME=$'# example.org home\n\n=> posts/ Posts\n'
capture r gem example.org /
expect_eq "example.org /: its root, lang=en" $'20 text/gemini; lang=en\r\n'"$ORG_HOME" "$r"
capture r gem example.net /
expect_eq "example.net /: its root, lang=en-GB" $'20 text/gemini; lang=en-GB\r\n# example.net home\n' "$r"
capture r gem www.example.org /
expect_eq "alias www.example.org serves example.org" $'20 text/gemini; lang=en\r\n'"$ORG_HOME" "$r"
capture r gem gemini.example.org /notes.txt
expect_eq "alias gemini.example.org serves example.org" $'20 text/plain\r\nplain notes\n' "$r"
capture r gem example.net /notes.txt
expect_eq "example.net does not serve example.org's files" $'51 Not found\r\n' "$r"
capture r gem nope.test /
expect_eq "URL host not served (SNI the same): 53" $'53 Host not served\r\n' "$r"
capture r gem_req "gemini://nope.test:$G/" -noservername
expect_eq "URL host not served (no SNI): 53" $'53 Host not served\r\n' "$r"
capture r gem_req "gemini://example.net:$G/" -servername example.org
expect_eq "SNI example.org, URL example.net: 53" $'53 SNI and URL host disagree\r\n' "$r"

# [path] rules over Gemini.
capture r gem example.org /blog/x.gmi
expect_eq "redirect /blog/ -> /posts/: 30, the rest carried, absolute URL" \
    "30 gemini://example.org:$G/posts/x.gmi"$'\r\n' "$r"
capture r gem example.org /blog/
expect_eq "redirect: the prefix itself" "30 gemini://example.org:$G/posts/"$'\r\n' "$r"
capture r gem www.example.org /blog/a/b.gmi
expect_eq "redirect via an alias: the host as the client wrote it" \
    "30 gemini://www.example.org:$G/posts/a/b.gmi"$'\r\n' "$r"
capture r gem example.org /posts/x.gmi
expect_eq "the redirect's target serves" $'20 text/gemini; lang=en\r\n# A post\n' "$r"
capture r gem example.net /recipes/
expect_eq "permanent_redirect to a full URL: 31 with the URL as it is" \
    $'31 gemini://example.org/recipes/\r\n' "$r"
capture r gem example.org /recipes/
expect_eq "[path] rules are per host: example.org has no /recipes/ rule" $'51 Not found\r\n' "$r"
capture r gem example.net /old-project/
expect_eq "gone: 52 Gone" $'52 Gone\r\n' "$r"
capture r gem example.net /old-project/index.gmi
expect_eq "gone: everything below the prefix" $'52 Gone\r\n' "$r"
capture r gem example.org /kk/
expect_eq "[path] lang = kk overrides the host's lang" $'20 text/gemini; lang=kk\r\n# Kazakh\n' "$r"
capture r gem example.org /kk/notes.txt
expect_eq "[path] mime.txt override" $'20 text/plain; charset=utf-8\r\nSalem\n' "$r"
capture r gem example.org /notes.txt
expect_eq "outside the [path], .txt keeps its type" $'20 text/plain\r\nplain notes\n' "$r"
capture r gem example.org /kk/empty/
expect_eq "[path] listing = no: directory without index.gmi is 51" $'51 Not found\r\n' "$r"
capture r gem example.net /plain/
expect_eq "[host] listing = no: directory without index.gmi is 51" $'51 Not found\r\n' "$r"
capture r gem example.org /sub/
expect_match "listing = yes (default): a generated listing" \
    $'^20 text/gemini; lang=en\r\n.*a\\.txt' "$r"

# Gopher: each host on its own port, its own root.
capture r goph "$P1" /
expect_match "Gopher on example.org's port: its root" "^iexample\\.org home"$'\t' "$r"
expect_contains "Gopher menu items name example.org and its port" $'\texample.org\t'"$P1"$'\r\n' "$r"
capture r goph "$P2" /
expect_match "Gopher on example.net's port: its root" "^iexample\\.net home"$'\t' "$r"
expect_lacks "example.net's Gopher port does not serve example.org" "example.org home" "$r"
capture r goph "$P1" /notes.txt
expect_eq "Gopher: a file of example.org" $'plain notes\n' "$r"
capture r goph "$P2" /notes.txt
expect_eq "Gopher: example.net does not have it" $'3Not found\t\terror.host\t1\r\n.\r\n' "$r"
capture r goph "$P2" /old-project/
expect_eq "Gopher: gone is 3Gone" $'3Gone\t\terror.host\t1\r\n.\r\n' "$r"
capture r goph "$P1" /blog/x.gmi
capture r2 goph "$P1" /posts/x.gmi
expect_eq "Gopher: a local redirect is served from its target" "$r2" "$r"
expect_match "Gopher: ... which is the post's menu" "^iA post"$'\t' "$r"
capture r goph "$P1" /kk/notes.txt
expect_eq "Gopher: a file under a [path] with a mime override" $'Salem\n' "$r"

# Large files, streamed from disk by confined workers.
fetch -t -s example.org -H "$TMP/mid.hdr" -o "$TMP/mid.gem" 127.0.0.1 "$G" \
    "gemini://example.org:$G/mid.bin" 2>"$TMP/mid.err"
expect_eq "confined: large file over Gemini: header" "20 application/octet-stream" \
    "$(tr -d '\r\n' <"$TMP/mid.hdr")"
expect_file_eq "confined: large file over Gemini: byte-exact" "$R1/mid.bin" "$TMP/mid.gem"
timeout 10 curl -s --max-time 8 -o "$TMP/mid.goph" "gopher://127.0.0.1:$P1/9/mid.bin"
expect_file_eq "confined: large file over Gopher: byte-exact" "$R1/mid.bin" "$TMP/mid.goph"

# The request log.
sleep 0.3
expect_match "log: Gemini lines carry the client address" \
    "Z 127\\.0\\.0\\.1 gemini \"gemini://example\\.org:$G/\" 20 " "$(cat "$A_LOG")"
expect_match "log: Gopher lines carry the client address" \
    "Z 127\\.0\\.0\\.1 gopher \"/old-project/\" 3 " "$(cat "$A_LOG")"
expect_match "log: the start-up line" "(^|$NL)tulpar: serving 2 hosts on gemini port $G, gopher ports $P1, $P2, 2 workers" "$(cat "$A_LOG")"
expect_lacks "log: no worker exited" "exited" "$(cat "$A_LOG")"
expect_lacks "log: no warning" "warning" "$(cat "$A_LOG")"

# Processes: a parent and two workers; as root, workers are nobody.
kids=$(workers_of "$A_PID")
expect_eq "workers = 2: two worker processes" 2 "$(echo $kids | wc -w)"
if [ $AS_ROOT = 1 ]; then
	expect_eq "started as root: the parent stays root" 0 "$(uid_of "$A_PID")"
	u=""
	for k in $kids; do u="$u$(uid_of "$k") "; done
	nob=$(id -u nobody)
	expect_eq "started as root without user: workers run as nobody" "$nob $nob " "$u"
else
	echo "# skip: not root (privilege drop to nobody)"
fi
if [ "$(nnp_of $$)" = 1 ]; then
	echo "# skip: this shell already has no_new_privs (Landlock probe)"
else
	n=""
	for k in $kids; do n="$n$(nnp_of "$k") "; done
	expect_eq "confine = yes: workers have no_new_privs (set for Landlock)" "1 1 " "$n"
fi
# tulpar.conf(5) promises Landlock only, not seccomp: workers carry no filter.
n=""
for k in $kids; do n="$n$(seccomp_of "$k") "; done
expect_eq "confine = yes: Landlock, no seccomp filter, as tulpar.conf(5) says" "0 0 " "$n"

# ---------------------------------------------------------------- SIGHUP

# Two slow downloads of the 20 MiB file, over Gopher (2 MiB/s) and Gemini
# (2.5 MiB/s), each with a small receive buffer so the server is writing
# all along: both must finish byte-exact across the reloads below.
fetch -r 2097152 -o "$TMP/dl1.bin" 127.0.0.1 "$P1" /big.bin 2>"$TMP/dl1.err" &
DL1=$!
fetch -t -s example.org -r 2621440 -H "$TMP/dl2.hdr" -o "$TMP/dl2.bin" 127.0.0.1 "$G" \
    "gemini://example.org:$G/big.bin" 2>"$TMP/dl2.err" &
DL2=$!
for i in $(seq 1 60); do
	[ -s "$TMP/dl1.bin" ] && [ -s "$TMP/dl2.bin" ] && break
	sleep 0.05
done
sleep 0.3
fp_before=$(fp_of "$G" -servername example.org)

# A new page text and a new [path] rule.
printf '# example.org home, second edition\n' >"$R1/index.gmi"
printf '\n[path example.org /drafts/]\ngone = yes\n' >>"$CONF"
kill -HUP "$A_PID"
expect_true "SIGHUP: the downloads are in flight" kill -0 "$DL1" "$DL2"
expect_true "SIGHUP: \"reloaded\" in the log" \
    wait_for_line "$A_LOG" '^tulpar: reloaded: 2 hosts, generation 1$'
for i in $(seq 1 30); do
	capture r gem example.org /
	[[ $r == *"second edition"* ]] && break
	sleep 0.1
done
expect_eq "SIGHUP: the new page text is served" \
    $'20 text/gemini; lang=en\r\n# example.org home, second edition\n' "$r"
same=0
for i in 1 2 3 4; do
	capture r gem example.org /
	[[ $r == *"second edition"* ]] && same=$((same + 1))
done
expect_eq "SIGHUP: every later request sees it (4 of 4)" 4 "$same"
capture r goph "$P1" /
expect_match "SIGHUP: the new text over Gopher" "^iexample\\.org home, second edition"$'\t' "$r"
capture r gem example.org /drafts/x.gmi
expect_eq "SIGHUP: the new [path ... gone] applies" $'52 Gone\r\n' "$r"
capture r goph "$P1" /drafts/
expect_eq "SIGHUP: the new [path ... gone] over Gopher" $'3Gone\t\terror.host\t1\r\n.\r\n' "$r"
capture r gem example.net /old-project/
expect_eq "SIGHUP: the old rules still apply" $'52 Gone\r\n' "$r"
expect_eq "SIGHUP: the same certificate" "$fp_before" "$(fp_of "$G" -servername example.org)"

# A bad file: a warning, and the running configuration keeps serving (the
# content, which needs no reload, still follows the disk).
printf '# example.org home, third edition\n' >"$R1/index.gmi"
cp "$CONF" "$TMP/tulpar.conf.good"
echo 'bogus_key = 1' >>"$CONF"
badline=$(wc -l <"$CONF")
kill -HUP "$A_PID"
expect_true "bad file on SIGHUP: a warning in the log" \
    wait_for_line "$A_LOG" "^tulpar: warning: reload: .*unknown key 'bogus_key'.*keeping the running configuration"
expect_contains "bad file on SIGHUP: the warning names FILE:LINE" \
    "tulpar: warning: reload: $CONF:$badline: unknown key 'bogus_key'" "$(cat "$A_LOG")"
for i in $(seq 1 20); do
	capture r gem example.org /
	[[ $r == *"third edition"* ]] && break
	sleep 0.1
done
same=0
for i in 1 2 3 4; do
	capture r gem example.org /
	[[ $r == *"third edition"* ]] && same=$((same + 1))
done
expect_eq "bad file on SIGHUP: the content edited on disk is served all the same (4 of 4)" 4 "$same"
capture r gem example.org /drafts/
expect_eq "bad file on SIGHUP: the running rules keep serving" $'52 Gone\r\n' "$r"
# Ten more refused reloads must not cost the parent memory (a leaked
# configuration is some 750 kB).
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
rss0=$(rss_of "$A_PID")
for i in $(seq 2 11); do
	kill -HUP "$A_PID"
	for j in $(seq 1 60); do
		[ "$(grep -c "unknown key 'bogus_key'" "$A_LOG")" -ge "$i" ] && break
		sleep 0.05
	done
done
expect_eq "ten more bad files on SIGHUP: ten more warnings" 11 "$(grep -c "unknown key 'bogus_key'" "$A_LOG")"
rss1=$(rss_of "$A_PID")
case $TULPAR in
*/sanitize/*)	# ASan's quarantine keeps freed memory; LeakSanitizer checks this build
	echo "# skip: VmRSS growth under ASan (LeakSanitizer covers the leak)" ;;
*)
	expect_lt "ten refused reloads: the parent's VmRSS grew < 2 MiB (kB: $rss0 -> $rss1)" \
	    2048 $((rss1 - rss0)) ;;
esac

# Changed listen addresses: refused the same way.
P2new=$(free_port)
sed "s|^gopher = 127.0.0.1:$P2\$|gopher = 127.0.0.1:$P2new|" "$TMP/tulpar.conf.good" >"$CONF"
kill -HUP "$A_PID"
expect_true "new listen address on SIGHUP: a warning in the log" \
    wait_for_line "$A_LOG" '^tulpar: warning: reload: listen addresses changed'
capture r goph "$P2" /
expect_match "new listen address on SIGHUP: the old Gopher port still serves" "^iexample\\.net home" "$r"
expect_true "new listen address on SIGHUP: the new one does not listen" not_listening "$P2new"
capture r gem example.org /
expect_eq "new listen address on SIGHUP: the running host keeps serving" \
    $'20 text/gemini; lang=en\r\n# example.org home, third edition\n' "$r"

# The good file again: the third edition.
cp "$TMP/tulpar.conf.good" "$CONF"
kill -HUP "$A_PID"
expect_true "SIGHUP after the failures: reloaded (generation 2)" \
    wait_for_line "$A_LOG" '^tulpar: reloaded: 2 hosts, generation 2$'
for i in $(seq 1 30); do
	capture r gem example.org /
	[[ $r == *"third edition"* ]] && break
	sleep 0.1
done
expect_eq "SIGHUP after the failures: the newest text is served" \
    $'20 text/gemini; lang=en\r\n# example.org home, third edition\n' "$r"

# The downloads that started before the first reload.
wait "$DL1"
rc1=$?
wait "$DL2"
rc2=$?
expect_eq "download across the reloads (Gopher): clean end ($(cat "$TMP/dl1.err"))" 0 "$rc1"
expect_eq "download across the reloads (Gopher): byte-exact (sha256)" "$BIG_SUM" \
    "$(sha256sum <"$TMP/dl1.bin")"
expect_eq "download across the reloads (Gemini): clean end ($(cat "$TMP/dl2.err"))" 0 "$rc2"
expect_eq "download across the reloads (Gemini): header" "20 application/octet-stream" \
    "$(tr -d '\r\n' <"$TMP/dl2.hdr" 2>/dev/null)"
expect_eq "download across the reloads (Gemini): byte-exact (sha256)" "$BIG_SUM" \
    "$(sha256sum <"$TMP/dl2.bin")"
for i in $(seq 1 60); do
	[ "$(workers_of "$A_PID" | wc -w)" -eq 2 ] && break
	sleep 0.1
done
expect_eq "after the reloads: the old workers are gone, two remain" 2 "$(workers_of "$A_PID" | wc -w)"
expect_lacks "after the reloads: no worker exited unexpectedly" "exited" "$(cat "$A_LOG")"

# ---------------------------------------------------------------- SIGTERM with a download in flight

# 20 MiB at 8 MiB/s: about 2.5 s, under the 5 s bound.
fetch -t -s example.org -r 8388608 -H "$TMP/dl3.hdr" -o "$TMP/dl3.bin" 127.0.0.1 "$G" \
    "gemini://example.org:$G/big.bin" 2>"$TMP/dl3.err" &
DL3=$!
for i in $(seq 1 60); do
	[ -s "$TMP/dl3.bin" ] && break
	sleep 0.05
done
sleep 0.3
kids=$(workers_of "$A_PID")
t0=$(now)
kill -TERM "$A_PID"
expect_true "SIGTERM: the download is in flight" kill -0 "$DL3"
wait "$DL3"
rc3=$?
expect_eq "SIGTERM: the download in flight ends cleanly ($(cat "$TMP/dl3.err"))" 0 "$rc3"
expect_eq "SIGTERM: the download in flight is byte-exact (sha256)" "$BIG_SUM" \
    "$(sha256sum <"$TMP/dl3.bin")"
for i in $(seq 1 70); do
	kill -0 "$A_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$A_PID" 2>/dev/null; then
	not_ok "SIGTERM: tulpar exits within 7 s"
	kill -KILL "$A_PID"
fi
wait "$A_PID"
expect_eq "SIGTERM: exit status 0" 0 "$?"
expect_lt "SIGTERM: stopped within 5.5 s" 5.5 "$(since "$t0")"
left=""
for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
expect_eq "SIGTERM: no worker remains" "" "$left"
expect_match "SIGTERM: the download's log line (20, every byte)" \
    " gemini \"gemini://example\\.org:$G/big\\.bin\" 20 $((BIG + 29)) " "$(cat "$A_LOG")"
expect_match "SIGTERM: \"stopping\" in the log" "(^|$NL)tulpar: signal 15: stopping" "$(cat "$A_LOG")"

# ---------------------------------------------------------------- user, confine = no, log file, SIGUSR1

GB=$(free_port) PB=$(free_port)
LOGB=$TMP/tulpar.b-file.log
CONF_B=$TMP/b.conf
{
	printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\n' "$GB" "$C1"
	[ $AS_ROOT = 1 ] && printf 'user = daemon\n'
	printf 'confine = no\nworkers = 1\nlog = %s\nlog_client_ip = no\n' "$LOGB"
	printf '[host example.org]\nroot = %s\ngopher = 127.0.0.1:%s\n' "$R1" "$PB"
} >"$CONF_B"
if start_conf "$CONF_B" "$GB $PB"; then
	B_PID=$SRV_PID B_LOG=$SRV_LOG
	kids=$(workers_of "$B_PID")
	if [ $AS_ROOT = 1 ] && id daemon >/dev/null 2>&1; then
		expect_eq "user = daemon: the parent stays root" 0 "$(uid_of "$B_PID")"
		expect_eq "user = daemon: the worker runs as daemon" "$(id -u daemon)" "$(uid_of "$kids")"
	else
		echo "# skip: not root or no user daemon (user = daemon)"
	fi
	[ "$(nnp_of $$)" = 1 ] ||
	    expect_eq "confine = no: the worker has no no_new_privs" 0 "$(nnp_of "$kids")"
	fetch -t -s example.org -H "$TMP/b.hdr" -o "$TMP/b.gem" 127.0.0.1 "$GB" \
	    "gemini://example.org:$GB/mid.bin" 2>/dev/null
	expect_file_eq "confine = no: large file over Gemini" "$R1/mid.bin" "$TMP/b.gem"
	timeout 10 curl -s --max-time 8 -o "$TMP/b.goph" "gopher://127.0.0.1:$PB/9/mid.bin"
	expect_file_eq "confine = no: large file over Gopher" "$R1/mid.bin" "$TMP/b.goph"
	capture r gem example.org /kk/ "$GB"
	expect_eq "a second server from another file (no [path]: no lang)" $'20 text/gemini\r\n# Kazakh\n' "$r"
	expect_true "log = FILE: the request lines reach the file" \
	    wait_for_line "$LOGB" " gemini \"gemini://example\\.org:$GB/kk/\" 20 "
	expect_match "log_client_ip = no: Gemini lines carry \"-\"" \
	    "Z - gemini \"gemini://example\\.org:$GB/mid\\.bin\" 20 " "$(cat "$LOGB")"
	expect_match "log_client_ip = no: Gopher lines carry \"-\"" \
	    "Z - gopher \"/mid\\.bin\" 9 " "$(cat "$LOGB")"
	expect_lacks "log_client_ip = no: no client address anywhere" "127.0.0.1 g" "$(cat "$LOGB")"
	expect_match "log = FILE: the start-up line goes to the file" "(^|$NL)tulpar: serving 1 host" "$(cat "$LOGB")"
	expect_lacks "log = FILE: nothing on stderr" " gemini " "$(cat "$B_LOG")"
	# Rotation: move the file away, SIGUSR1, new lines go to a new file.
	mv "$LOGB" "$TMP/tulpar.b-old.log"
	kill -USR1 "$B_PID"
	for i in $(seq 1 40); do
		[ -e "$LOGB" ] && break
		sleep 0.05
	done
	expect_true "SIGUSR1: a new file at the log path" test -f "$LOGB"
	capture r gem example.org /posts/x.gmi "$GB"
	expect_true "SIGUSR1: new lines go to the new file" \
	    wait_for_line "$LOGB" " gemini \"gemini://example\\.org:$GB/posts/x\\.gmi\" 20 "
	expect_lacks "SIGUSR1: the moved file gets no new lines" "/posts/x.gmi" \
	    "$(cat "$TMP/tulpar.b-old.log")"
	expect_contains "SIGUSR1: the moved file keeps the old ones" "/kk/" "$(cat "$TMP/tulpar.b-old.log")"
	capture r goph "$PB" /notes.txt
	expect_true "SIGUSR1: Gopher lines too" wait_for_line "$LOGB" ' gopher "/notes\.txt" 0 '
	stop_tulpar "$B_PID"
	expect_eq "user/confine = no/log file: SIGTERM exit 0" 0 "$?"
	expect_lacks "log file: no worker exited" "exited" "$(cat "$LOGB" "$TMP/tulpar.b-old.log")"
else
	not_ok "tulpar starts with user = daemon, confine = no, log = FILE"
fi

# ---------------------------------------------------------------- the unit's capabilities; `user` problems

# Root with only the capabilities docs/examples/tulpar.service leaves it
# (CapabilityBoundingSet=): workers start as another user, a reload replaces
# them and SIGTERM stops them (the parent needs CAP_KILL to signal them).
UNIT=$ROOT/docs/examples/tulpar.service
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" 2>/dev/null | tr 'A-Z' 'a-z' |
    sed 's/cap_//g; s/ \+/,+/g; s/^/-all,+/')
if [ $AS_ROOT = 0 ] || ! command -v setpriv >/dev/null || ! id daemon >/dev/null 2>&1; then
	echo "# skip: not root, or no setpriv or user daemon (the unit's capabilities)"
elif [ "$caps" = "-all,+" ]; then
	not_ok "docs/examples/tulpar.service has a CapabilityBoundingSet= line"
else
	GD=$(free_port) PD=$(free_port)
	RD=$TMP/unit-root
	mkdir -p "$RD" "$TMP/unit-certs"
	printf '# unit, first\n' >"$RD/index.gmi"
	chmod -R a+rX "$RD"
	printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\nuser = daemon\nworkers = 1\n[host localhost]\nroot = %s\ngopher = 127.0.0.1:%s\n' \
	    "$GD" "$TMP/unit-certs" "$RD" "$PD" >"$TMP/unit.conf"
	SRV_N=$((SRV_N + 1))
	D_LOG=$TMP/tulpar.$SRV_N.log
	setpriv --bounding-set="$caps" "$TULPAR" -c "$TMP/unit.conf" </dev/null >/dev/null 2>"$D_LOG" &
	D_PID=$!
	SERVER_PIDS+=("$D_PID")
	if wait_listening "$D_PID" "$GD" "$PD"; then
		ok "the unit's capability set ($caps): tulpar starts"
		k1=$(workers_of "$D_PID")
		expect_eq "the unit's capability set: the worker runs as daemon" "$(id -u daemon)" "$(uid_of "$k1")"
		printf '# unit, second\n' >"$RD/index.gmi"
		kill -HUP "$D_PID"
		wait_for_line "$D_LOG" 'reloaded: 1 hosts, generation 1'
		for i in $(seq 1 40); do
			[ -n "$k1" ] && ! kill -0 "$k1" 2>/dev/null && break
			sleep 0.05
		done
		expect_true "the unit's capability set: SIGHUP stops the old worker" \
		    eval "! kill -0 $k1 2>/dev/null"
		capture r goph "$PD" /
		expect_match "the unit's capability set: SIGHUP serves the new content" "^iunit, second" "$r"
		t0=$(now)
		stop_tulpar "$D_PID"
		expect_eq "the unit's capability set: SIGTERM exit 0" 0 "$?"
		expect_lt "the unit's capability set: SIGTERM within 3 s" 3 "$(since "$t0")"
	else
		not_ok "the unit's capability set ($caps): tulpar starts"
		diag "$(head -n 3 "$D_LOG")"
	fi
fi

# `user =` names no user: -n and the start must say so (not a worker that
# dies every second while the parent goes on).
if [ $AS_ROOT = 1 ]; then
	UP=$(free_port) UQ=$(free_port)
	printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\nuser = no-such-user-x\nworkers = 1\n[host one.test]\nroot = %s\ngopher = 127.0.0.1:%s\n' \
	    "$UP" "$TMP/empty-certs" "$R3" "$UQ" >"$E"
	run_tulpar -n -c "$E"
	one_line "-n: user = an unknown user"
	expect_contains "-n: user = an unknown user: the line names it" "no-such-user-x" "$(cat "$ERR")"
	RUNS=$((RUNS + 1))
	ERR=$TMP/run.$RUNS.err
	timeout 3 "$TULPAR" -c "$E" </dev/null >/dev/null 2>"$ERR"
	RC=$?
	one_line "start: user = an unknown user"
fi

# `user =` when not started as root: tulpar.conf(5) says the switch happens
# "when started as root", so a server started as that user must serve.
if [ $AS_ROOT = 1 ] && command -v setpriv >/dev/null && getent group nogroup >/dev/null; then
	PUB=$TMP/pub
	mkdir -p "$PUB/root" "$PUB/certs"
	chmod 755 "$TMP" "$PUB"
	printf '# not root\n' >"$PUB/root/index.gmi"
	GN=$(free_port) PN=$(free_port)
	printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\nuser = nobody\nworkers = 1\n[host localhost]\nroot = %s\ngopher = 127.0.0.1:%s\n' \
	    "$GN" "$PUB/certs" "$PUB/root" "$PN" >"$PUB/tulpar.conf"
	chown -R nobody:nogroup "$PUB"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TULPAR" -c "$PUB/tulpar.conf" \
	    </dev/null >/dev/null 2>"$TMP/nonroot.log" &
	N_PID=$!
	SERVER_PIDS+=("$N_PID")
	if wait_listening "$N_PID" "$GN" "$PN"; then
		sleep 0.5
		capture r goph "$PN" /
		expect_match "user = nobody, started as nobody: serves" "^inot root" "$r"
		expect_lacks "user = nobody, started as nobody: no worker dies" "exited" "$(cat "$TMP/nonroot.log")"
		stop_tulpar "$N_PID"
	else
		not_ok "user = nobody, started as nobody: starts"
		diag "$(head -n 3 "$TMP/nonroot.log")"
	fi
fi

# ---------------------------------------------------------------- make install

INST=$TMP/inst
if make -s -C "$ROOT" install DESTDIR="$INST" PREFIX=/usr >"$TMP/install.out" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
	for f in sbin/tulpar:755 share/man/man8/tulpar.8:644 share/man/man5/tulpar.conf.5:644 \
	    share/doc/tulpar/examples/tulpar.conf:644 share/doc/tulpar/examples/tulpar.service:644; do
		p=$INST/usr/${f%%:*}
		expect_eq "make install: /usr/${f%%:*} with mode ${f##*:}" "${f##*:}" \
		    "$(stat -c %a "$p" 2>/dev/null || echo missing)"
	done
	expect_true "make install: the binary is ./tulpar" cmp -s "$ROOT/tulpar" "$INST/usr/sbin/tulpar"
	expect_true "make install: the example is docs/examples/tulpar.conf" \
	    cmp -s "$EXAMPLE" "$INST/usr/share/doc/tulpar/examples/tulpar.conf"
	expect_eq "make install: nothing outside DESTDIR/usr" "usr" "$(ls -A "$INST")"
else
	not_ok "make install DESTDIR=... PREFIX=/usr"
	diag "$(tail -n 5 "$TMP/install.out")"
fi

# ---------------------------------------------------------------- chroot

# One host, chroot = yes: the worker's root is the content root, and a
# large file is still streamed from disk through the root's descriptor.
CR=$TMP/chroot-root
mkdir -p "$CR"
printf '# In the chroot\n' >"$CR/index.gmi"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$CR/big.bin"
chmod -R a+rX "$CR"
GC=$(free_port) PC=$(free_port)
cat >"$TMP/chroot.conf" <<EOF
[server]
gemini = 127.0.0.1:$GC
cert_dir = $TMP/certs-chroot
chroot = yes
workers = 1
[host localhost]
root = $CR
gopher = 127.0.0.1:$PC
EOF
if start_conf "$TMP/chroot.conf" "$GC $PC"; then
	r=$(timeout 10 curl -s "gopher://127.0.0.1:$PC/1/" | head -n 1)
	expect_eq "chroot = yes: the menu is served" $'iIn the chroot\t\tnull.host\t1\r' "$r"
	expect_eq "chroot = yes: a large file streams byte-exact from inside the chroot" \
	    "$(sha256sum <"$CR/big.bin")" \
	    "$(timeout 10 curl -s "gopher://127.0.0.1:$PC/9/big.bin" | sha256sum)"
	kid=$(pgrep -P "$SRV_PID" | head -n 1)
	if [ "$(id -u)" = 0 ]; then
		expect_eq "chroot = yes: the worker's root is the content root" "$CR" \
		    "$(readlink "/proc/$kid/root")"
	else
		echo "# skip: not root (chroot)"
	fi
	stop_tulpar
	expect_lacks "chroot = yes: no worker died" "exited" "$(cat "$SRV_LOG")"
else
	not_ok "chroot = yes: starts"
	diag "$(head -n 3 "$SRV_LOG")"
fi

# ---------------------------------------------------------------- syslog

# log = syslog: the request lines reach /dev/log. Only where no syslog
# daemon owns /dev/log, so the test listens there itself.
if [ -e /dev/log ] || [ "$(id -u)" != 0 ]; then
	echo "# skip: /dev/log exists or not root (syslog)"
else
	SYSLOG_OUT=$TMP/syslog.out
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(0.2)
end = time.time() + 15
with open(sys.argv[1], "ab", buffering=0) as f:
	while time.time() < end:
		try:
			f.write(s.recv(65536) + b"\n")
		except socket.timeout:
			pass
' "$SYSLOG_OUT" &
	SL_PID=$!
	for i in $(seq 1 40); do [ -S /dev/log ] && break; sleep 0.05; done
	GS=$(free_port) PS=$(free_port)
	cat >"$TMP/syslog.conf" <<EOF
[server]
gemini = 127.0.0.1:$GS
cert_dir = $TMP/certs-chroot
log = syslog
workers = 1
[host localhost]
root = $CR
gopher = 127.0.0.1:$PS
EOF
	if start_conf "$TMP/syslog.conf" "$GS $PS"; then
		timeout 10 curl -s "gopher://127.0.0.1:$PS/1/" >/dev/null
		wait_for_line "$SYSLOG_OUT" 'gopher "/" 1 ' 5
		expect_match "log = syslog: the request line reaches syslog" \
		    'tulpar\[[0-9]+\]: .* gopher "/" 1 [0-9]+ ' "$(cat "$SYSLOG_OUT")"
		expect_lacks "log = syslog: no request line on stderr" 'gopher "/"' "$(cat "$SRV_LOG")"
		stop_tulpar
	else
		not_ok "log = syslog: starts"
		diag "$(head -n 3 "$SRV_LOG")"
	fi
	kill "$SL_PID" 2>/dev/null
	wait "$SL_PID" 2>/dev/null
	rm -f /dev/log
fi

echo "# ran in $(since "$T_START") s"
summary
