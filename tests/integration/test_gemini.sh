#!/usr/bin/env bash
# Gemini over real `openssl s_client`: every Gemini row of docs/behaviour.md,
# TLS versions and SNI, close_notify, timeouts, the connection cap, a large
# streamed file, and the request log.
. "$(dirname "$0")/lib.sh"
need_tulpar

# ---------------------------------------------------------------- set-up

make_tree
head -c 3145728 /dev/urandom >"$TREE/big.bin"	# 3 MiB: streamed, above SNAPSHOT_LARGE
printf '# dot\n' >"$TREE/plain/.dot.gmi"	# must not show in the generated listing

start_tulpar || bail "tulpar starts (main server)"
A_G=$GPORT A_P=$PPORT A_PID=$SRV_PID A_LOG=$SRV_LOG
start_tulpar -t 2 || bail "tulpar starts with -t 2"
T_G=$GPORT T_P=$PPORT T_PID=$SRV_PID T_LOG=$SRV_LOG
start_tulpar -L en || bail "tulpar starts with -L en"
L_G=$GPORT L_P=$PPORT L_PID=$SRV_PID L_LOG=$SRV_LOG
start_tulpar -m 5 || bail "tulpar starts with -m 5"
M_G=$GPORT M_P=$PPORT M_PID=$SRV_PID M_LOG=$SRV_LOG
GPORT=$A_G PPORT=$A_P SRV_PID=$A_PID SRV_LOG=$A_LOG

# ---------------------------------------------------------------- timeouts (background)
# With -t 2 each of these must be closed by the server in about 2 s. They run
# in the background while the rest of the script goes on; checked at the end.

# to_job name command...: runs command, records elapsed seconds and its output.
to_job() {
	local name=$1
	shift
	(
		t0=$(now)
		"$@" >"$TMP/to.$name.out" 2>/dev/null
		since "$t0" >"$TMP/to.$name"
	) &
	TO_JOBS+=($!)
}
tls_idle() {	# TLS handshake done, then nothing
	timeout 8 openssl s_client -quiet -connect "127.0.0.1:$T_G" \
	    -servername localhost < <(exec sleep 5)
}
tls_half() {	# TLS handshake done, half a request, no line end
	timeout 8 openssl s_client -quiet -connect "127.0.0.1:$T_G" \
	    -servername localhost < <(printf 'gemini://localhost'; exec sleep 5)
}
tcp_idle() {	# TCP only: never a ClientHello (or a Gopher selector)
	timeout 8 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; cat <&3' _ "$1"
}
tcp_half() {	# a partial Gopher selector, no line end
	timeout 8 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf /page.gmi >&3; cat <&3' _ "$1"
}
TO_JOBS=()
to_job tls_idle tls_idle
to_job tls_half tls_half
to_job tcp_idle tcp_idle "$T_G"
to_job goph_idle tcp_idle "$T_P"
to_job goph_half tcp_half "$T_P"

# ---------------------------------------------------------------- helpers

N=0
# gem_expect name url expected-response [s_client options]
gem_expect() {
	local name=$1 url=$2 exp=$3 r
	shift 3
	capture r gem_req "$url" "$@"
	expect_eq "$name" "$exp" "$r"
}
# gem_expect_raw name printf-format expected-response [s_client options]
gem_expect_raw() {
	local name=$1 fmt=$2 exp=$3 r
	shift 3
	capture r gem_raw "$fmt" "$@"
	expect_eq "$name" "$exp" "$r"
}
# gem_expect_file name url header file [s_client options]: header CRLF + file, byte-exact.
gem_expect_file() {
	local name=$1 url=$2 hdr=$3 file=$4
	shift 4
	N=$((N + 1))
	printf '%s\r\n' "$hdr" >"$TMP/exp.$N"
	cat "$file" >>"$TMP/exp.$N"
	gem_req "$url" "$@" >"$TMP/got.$N"
	expect_file_eq "$name" "$TMP/exp.$N" "$TMP/got.$N"
}
# alive what: the server process lives and answers a normal request.
alive() {
	local r
	if ! kill -0 "$SRV_PID" 2>/dev/null; then
		not_ok "still serving after $1"
		diag "the tulpar process is gone; log tail:"
		tail -n 3 "$SRV_LOG" | sed 's/^/#     /'
		return
	fi
	capture r gem_req "$(gem_url /notes.txt)"
	expect_eq "still serving after $1" $'20 text/plain\r\nSome notes.\nA second line.\n' "$r"
}
# bad name printf-format: a malformed request gets "59 Bad request: <reason>", then alive.
bad() {
	local r
	capture r gem_raw "$2"
	expect_match "59 bad request: $1" $'^59 Bad request: [^\r\n]+\r\n$' "$r"
	alive "$1"
}

U="gemini://localhost:$GPORT"
F=$TREE

# ---------------------------------------------------------------- 20

gem_expect_file "20 gemtext page /page.gmi" "$U/page.gmi" "20 text/gemini" "$F/page.gmi"
gem_expect_file "20 directory with index.gmi: /" "$U/" "20 text/gemini" "$F/index.gmi"
gem_expect_file "20 directory with index.gmi: /docs/" "$U/docs/" "20 text/gemini" "$F/docs/index.gmi"
gem_expect_file "20 page in a directory /docs/guide.gmi" "$U/docs/guide.gmi" "20 text/gemini" "$F/docs/guide.gmi"
gem_expect_file "20 page in a directory without index /plain/a.gmi" "$U/plain/a.gmi" "20 text/gemini" "$F/plain/a.gmi"
gem_expect_file "20 text/plain for .txt" "$U/notes.txt" "20 text/plain" "$F/notes.txt"
gem_expect_file "20 text/plain for /plain/b.txt" "$U/plain/b.txt" "20 text/plain" "$F/plain/b.txt"
gem_expect_file "20 image/png for .png" "$U/image.png" "20 image/png" "$F/image.png"
gem_expect_file "20 image/gif for .gif" "$U/anim.gif" "20 image/gif" "$F/anim.gif"
gem_expect_file "20 application/octet-stream for .bin (unknown)" "$U/data.bin" "20 application/octet-stream" "$F/data.bin"

# Generated listing for a directory without index.gmi.
capture r gem_req "$U/plain/"
hdr=${r%%$'\n'*}
body=${r#*$'\n'}
expect_eq "20 generated listing /plain/: header" $'20 text/gemini\r' "$hdr"
expect_match "generated listing links a.gmi" $'(^|\n)=>[ \t]*[^ \t\n]*a\\.gmi' "$body"
expect_match "generated listing links b.txt" $'(^|\n)=>[ \t]*[^ \t\n]*b\\.txt' "$body"
expect_lacks "generated listing hides dotfiles" ".dot.gmi" "$body"

# Empty path: same as "/", no redirect.
capture root gem_req "$U/"
gem_expect "empty path gemini://HOST:PORT is served as / (no redirect)" "$U" "$root"

# Dot segments inside the root are resolved.
gem_expect_file "20 /docs/../page.gmi (dot-dot inside the root)" "$U/docs/../page.gmi" "20 text/gemini" "$F/page.gmi"
gem_expect_file "20 /./page.gmi" "$U/./page.gmi" "20 text/gemini" "$F/page.gmi"
gem_expect_file "20 /docs/./guide.gmi" "$U/docs/./guide.gmi" "20 text/gemini" "$F/docs/guide.gmi"
gem_expect_file "20 /docs/%2e%2e/page.gmi (encoded dot-dot inside the root)" "$U/docs/%2e%2e/page.gmi" "20 text/gemini" "$F/page.gmi"

# Raw spaces and raw UTF-8 are taken as percent-encoded.
gem_expect_file "20 raw space: /with space.gmi" "$U/with space.gmi" "20 text/gemini" "$F/with space.gmi"
gem_expect_file "20 encoded space: /with%20space.gmi" "$U/with%20space.gmi" "20 text/gemini" "$F/with space.gmi"
gem_expect_file "20 raw UTF-8: /ünï.gmi" "$U/ünï.gmi" "20 text/gemini" "$F/ünï.gmi"
gem_expect_file "20 percent-encoded UTF-8: /%C3%BCn%C3%AF.gmi" "$U/%C3%BCn%C3%AF.gmi" "20 text/gemini" "$F/ünï.gmi"
gem_expect_file "20 lower-case percent-encoded UTF-8: /%c3%bcn%c3%af.gmi" "$U/%c3%bcn%c3%af.gmi" "20 text/gemini" "$F/ünï.gmi"

# Case-insensitive scheme and host; one trailing dot.
gem_expect "20 upper-case scheme GEMINI://" "GEMINI://localhost:$GPORT/" "$root"
gem_expect "20 upper-case host LOCALHOST" "gemini://LOCALHOST:$GPORT/" "$root"
gem_expect "20 mixed-case scheme and host Gemini://LocalHost" "Gemini://LocalHost:$GPORT/" "$root"
gem_expect "20 trailing dot on the host localhost." "gemini://localhost.:$GPORT/" "$root"

# ---------------------------------------------------------------- 31

gem_expect "31 /docs -> /docs/" "$U/docs" "31 $U/docs/"$'\r\n'
gem_expect "31 /plain -> /plain/ (directory without index)" "$U/plain" "31 $U/plain/"$'\r\n'

# ---------------------------------------------------------------- 51

NF=$'51 Not found\r\n'
gem_expect "51 absent path" "$U/missing.gmi" "$NF"
gem_expect "51 absent directory" "$U/nope/" "$NF"
gem_expect "51 dotfile /.hidden.gmi" "$U/.hidden.gmi" "$NF"
alive "dotfile request"
gem_expect "51 file in dot-directory /.secret/key.txt" "$U/.secret/key.txt" "$NF"
gem_expect "51 dot-directory /.secret/" "$U/.secret/" "$NF"
gem_expect "51 dot-directory without slash /.secret (no 31)" "$U/.secret" "$NF"
gem_expect "51 encoded dotfile /%2ehidden.gmi" "$U/%2ehidden.gmi" "$NF"
gem_expect "51 dotfile in a directory without index /plain/.dot.gmi" "$U/plain/.dot.gmi" "$NF"
alive "dot-directory requests"

# ---------------------------------------------------------------- 53

gem_expect "53 scheme https://" "https://localhost:$GPORT/" $'53 Scheme not served\r\n'
gem_expect "53 scheme gopher://" "gopher://localhost:$GPORT/" $'53 Scheme not served\r\n'
gem_expect "53 scheme titan://" "titan://localhost:$GPORT/page.gmi;size=3" $'53 Scheme not served\r\n'
gem_expect "53 other host (no SNI)" "gemini://example.org:$GPORT/" $'53 Host not served\r\n' -noservername
gem_expect "53 other host (SNI and URL both example.org)" "gemini://example.org:$GPORT/" $'53 Host not served\r\n' -servername example.org
gem_expect "53 other port" "gemini://localhost:$((GPORT + 1))/" $'53 Port not served\r\n'
gem_expect "53 no port means 1965 (server is not on 1965)" "gemini://localhost/" $'53 Port not served\r\n'
gem_expect "53 explicit port 1965" "gemini://localhost:1965/" $'53 Port not served\r\n'
gem_expect "53 SNI example.org, URL host localhost" "$U/" $'53 SNI and URL host disagree\r\n' -servername example.org
alive "53 answers"

# ---------------------------------------------------------------- 59

gem_expect_raw "59 bare LF" "$U/\n" $'59 Request must end with CRLF\r\n'
alive "bare LF"
long=$(printf '%*s' 1100 '' | tr ' ' a)
pre="$U/"
u1025="$pre${long:0:$((1025 - ${#pre}))}"
u1024="$pre${long:0:$((1024 - ${#pre}))}"
expect_eq "test URLs are 1025 and 1024 bytes" "1025 1024" "${#u1025} ${#u1024}"
gem_expect "59 URL of 1025 bytes" "$u1025" $'59 Request too long\r\n'
alive "1025-byte URL"
gem_expect "1024-byte URL is not too long (51)" "$u1024" "$NF"
long=$(printf '%*s' 4096 '' | tr ' ' a)
gem_expect "59 URL of 4096+ bytes" "$U/$long" $'59 Request too long\r\n'
alive "4096-byte URL"
gem_expect_raw "59 3000 bytes without any line end" "$U/${long:0:3000}" $'59 Request too long\r\n'
alive "3000 bytes without line end"

bad "empty request line" '\r\n'
bad "relative URL /page.gmi" '/page.gmi\r\n'
bad "relative URL page.gmi" 'page.gmi\r\n'
bad "no scheme //localhost:PORT/" "//localhost:$GPORT/\r\n"
bad "userinfo user@" "gemini://user@localhost:$GPORT/\r\n"
bad "userinfo user:pass@" "gemini://user:pass@localhost:$GPORT/\r\n"
bad "fragment #top" "$U/page.gmi#top\r\n"
bad "percent-encoding %zz" "$U/%%zz\r\n"
bad "truncated percent-encoding %2" "$U/a%%2\r\n"
bad "percent-encoded NUL %00" "$U/a%%00b.gmi\r\n"
bad "invalid UTF-8, raw 0xff" "$U/\xff.gmi\r\n"
bad "invalid UTF-8, decoded %ff" "$U/%%ff.gmi\r\n"
bad "invalid UTF-8, overlong %c0%af" "$U/%%c0%%af..%%c0%%afetc/passwd\r\n"
bad "control byte 0x01" "$U/a\x01b.gmi\r\n"
bad "control byte ESC" "$U/a\x1b[31mb\r\n"
bad "control byte TAB" "$U/a\tb\r\n"
bad "raw NUL" "$U/a\x00b.gmi\r\n"
bad "NUL right after the scheme" "gemini:\x00//localhost:$GPORT/\r\n"
bad "leading byte-order mark" "\xef\xbb\xbf$U/\r\n"
bad "bad port :99999" "gemini://localhost:99999/\r\n"
bad "bad port :abc" "gemini://localhost:abc/\r\n"
bad "/../../etc/passwd climbs above the root" "$U/../../etc/passwd\r\n"
bad "/docs/../../etc/passwd climbs above the root" "$U/docs/../../etc/passwd\r\n"
bad "%2e%2e climbs above the root" "$U/%%2e%%2e/%%2e%%2e/etc/passwd\r\n"
bad "%2E%2E%2F climbs above the root" "$U/%%2E%%2E%%2Fetc%%2Fpasswd\r\n"

# ---------------------------------------------------------------- TLS

gem_expect "20 over TLS 1.2" "$U/" "$root" -tls1_2
gem_expect "20 over TLS 1.3" "$U/" "$root" -tls1_3
gem_expect "20 without SNI (-noservername)" "$U/" "$root" -noservername
gem_expect "20 with upper-case SNI LOCALHOST" "$U/" "$root" -servername LOCALHOST

# TLS 1.1: the client really offers it (SECLEVEL=0), the server must refuse.
out=$(gem_msg "$U/\r\n" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
expect_match "TLS 1.1 client sent a TLS 1.1 ClientHello" '>>> TLS 1\.1, Handshake \[length [0-9a-f]+\], ClientHello' "$out"
expect_match "TLS 1.1 refused: no session established" 'Cipher is \(NONE\)' "$out"
expect_nomatch "TLS 1.1 refused: no Gemini answer" $'(^|\n)20 ' "$out"
alive "a TLS 1.1 ClientHello"

# A client certificate is offered (and ignored).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/client.key" -out "$TMP/client.crt" -subj /CN=client -days 2 \
    >/dev/null 2>&1
gem_expect "20 with a client certificate" "$U/" "$root" -cert "$TMP/client.crt" -key "$TMP/client.key"
gem_expect "20 with a client certificate over TLS 1.2" "$U/" "$root" -cert "$TMP/client.crt" -key "$TMP/client.key" -tls1_2

# Garbage instead of a ClientHello, then a normal request.
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' _ "$GPORT" >/dev/null 2>&1
alive "plain-text HTTP on the TLS port"

# ---------------------------------------------------------------- close_notify

CN_RE='<<< TLS 1\.[23], Alert \[length 0002\], warning close_notify'
out=$(gem_msg "$U/\r\n")
expect_match "close_notify received after a 20 (TLS 1.3)" "$CN_RE" "$out"
expect_match "close_notify comes after the 20 body" "Welcome to the fixture tree\\..*$CN_RE" "$out"
expect_lacks "no unexpected EOF after a 20" "unexpected eof" "$out"
out=$(gem_msg "$U/%%zz\r\n")
expect_match "close_notify received after a 59 (TLS 1.3)" "59 Bad request.*$CN_RE" "$out"
expect_lacks "no unexpected EOF after a 59" "unexpected eof" "$out"
out=$(gem_msg "$U/\r\n" -tls1_2)
expect_match "close_notify received after a 20 (TLS 1.2)" "$CN_RE" "$out"
out=$(gem_msg "$U/nope\r\n" -tls1_2)
expect_match "close_notify received after a 51 (TLS 1.2)" "51 Not found.*$CN_RE" "$out"
out=$(gem_msg "$U/\n")
expect_match "close_notify received after a 59 for bare LF" "59 Request must end with CRLF.*$CN_RE" "$out"

# The server closes the socket after its close_notify without waiting for
# the client's: a client that never answers still sees EOF.
r=$(timeout 5 python3 - "$GPORT" <<'EOF' 2>&1
import os, select, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                    server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(b"gemini://localhost:%d/\r\n" % port)
data = b""
while True:
    d = s.recv(65536)      # b"" only on close_notify; a bare EOF raises
    if not d:
        break
    data += d
raw = socket.socket(fileno=os.dup(s.fileno()))
ready, _, _ = select.select([raw], [], [], 2)
eof = bool(ready) and raw.recv(1) == b""
print(data.split(b"\r\n")[0].decode(), "close_notify", "eof" if eof else "still-open")
EOF
)
expect_eq "close_notify, then the socket closes without the client's close_notify" \
    "20 text/gemini close_notify eof" "$r"

# Twenty requests at once.
par=()
for i in $(seq 1 20); do
	gem_req "$U/page.gmi" >"$TMP/par.$i" &
	par+=($!)
done
wait "${par[@]}"
same=0
printf '20 text/gemini\r\n' >"$TMP/par.exp"
cat "$F/page.gmi" >>"$TMP/par.exp"
for i in $(seq 1 20); do
	cmp -s "$TMP/par.exp" "$TMP/par.$i" && same=$((same + 1))
done
expect_eq "twenty concurrent requests all answered" 20 "$same"

# ---------------------------------------------------------------- large file

gem_req "$U/big.bin" >"$TMP/big.gem"
expect_eq "large file: header" "$(printf '20 application/octet-stream\r\n' | od -An -c)" \
    "$(head -c 29 "$TMP/big.gem" | od -An -c)"
expect_eq "large file over Gemini: body byte-exact (sha256)" \
    "$(sha256sum <"$TREE/big.bin" | cut -d' ' -f1)" \
    "$(tail -c +30 "$TMP/big.gem" | sha256sum | cut -d' ' -f1)"
out=$(gem_msg "$U/big.bin\r\n" | grep -a -E 'Alert|unexpected eof')
expect_match "close_notify received after a large file" "$CN_RE" "$out"
goph_curl /9/big.bin >"$TMP/big.goph"
expect_eq "large file over Gopher (curl): byte-exact (sha256)" \
    "$(sha256sum <"$TREE/big.bin" | cut -d' ' -f1)" \
    "$(sha256sum <"$TMP/big.goph" | cut -d' ' -f1)"

# Several large downloads at once.
par=()
for i in 1 2 3; do
	gem_req "$U/big.bin" >"$TMP/big.par.$i" &
	par+=($!)
done
wait "${par[@]}"
same=0
for i in 1 2 3; do
	[ "$(tail -c +30 "$TMP/big.par.$i" | sha256sum | cut -d' ' -f1)" = \
	    "$(sha256sum <"$TREE/big.bin" | cut -d' ' -f1)" ] && same=$((same + 1))
done
expect_eq "three concurrent large downloads are byte-exact" 3 "$same"
alive "large downloads"

# ---------------------------------------------------------------- -L en

GPORT=$L_G PPORT=$L_P SRV_PID=$L_PID SRV_LOG=$L_LOG
U="gemini://localhost:$GPORT"
gem_expect_file "-L en: 20 page header has lang" "$U/" "20 text/gemini; lang=en" "$F/index.gmi"
gem_expect_file "-L en: 20 page /docs/guide.gmi has lang" "$U/docs/guide.gmi" "20 text/gemini; lang=en" "$F/docs/guide.gmi"
capture r gem_req "$U/plain/"
expect_eq "-L en: generated listing header has lang" $'20 text/gemini; lang=en\r' "${r%%$'\n'*}"
gem_expect_file "-L en: text/plain has no lang" "$U/notes.txt" "20 text/plain" "$F/notes.txt"

# ---------------------------------------------------------------- log (on the -L en server)
# Connections so far to this server: 4. Then 7 more, each a known line.
gem_raw "$U/a\x01b\r\n" >/dev/null
gem_raw "$U/q\"b\\\\c\r\n" >/dev/null
gem_req "$U/ünï.gmi" >/dev/null
goph_sel /notes.txt >/dev/null
goph_sel /nope >/dev/null
timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$GPORT"
timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$PPORT"
sleep 0.5
LINE_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z 127\.0\.0\.1 (gemini|gopher) "([^"\\[:cntrl:]]|\\x[0-9a-fA-F]{2})*" [^ ]+ [0-9]+ [0-9]+(\.[0-9]+)?ms$'
reqlines=$(grep -a -E ' (gemini|gopher) "' "$L_LOG")
expect_eq "log: one line per connection (11)" 11 "$(printf '%s\n' "$reqlines" | grep -c .)"
badfmt=$(printf '%s\n' "$reqlines" | grep -a -v -E "$LINE_RE")
expect_eq "log: every request line matches the documented format" "" "$badfmt"
lg=$(cat "$L_LOG")
expect_match "log: 20 line with request and bytes" \
    " 127\\.0\\.0\\.1 gemini \"gemini://localhost:$GPORT/\" 20 $((25 + $(wc -c <"$F/index.gmi"))) " "$lg"
expect_match "log: control byte escaped as \\x01" \
    " gemini \"gemini://localhost:$GPORT/a\\\\x01b\" 59 " "$lg"
expect_eq "log: no raw control byte in the log" 0 "$(tr -d '\n' <"$L_LOG" | tr -cd '\000-\037\177' | wc -c)"
expect_match "log: quote and backslash escaped" \
    " gemini \"gemini://localhost:$GPORT/q\\\\x22b\\\\x5cc\" [0-9]{2} " "$lg"
expect_match "log: raw UTF-8 escaped" \
    " gemini \"gemini://localhost:$GPORT/\\\\x[cC]3\\\\x[bB][cC]n\\\\x[cC]3\\\\x[aA][fF]\\.gmi\" 20 " "$lg"
expect_match "log: gopher text file with item type and bytes" ' gopher "/notes\.txt" 0 27 ' "$lg"
expect_match "log: gopher not found" ' gopher "/nope" 3 29 ' "$lg"
norequest=$(grep -a -E ' (gemini|gopher) "-" ' "$L_LOG")
expect_match "log: gemini connection without a request logs \"-\" and why" ' gemini "-" (eof|error|timeout) [0-9]+ ' "$norequest"
expect_match "log: gopher connection without a request logs \"-\" and why" ' gopher "-" (eof|error|timeout) [0-9]+ ' "$norequest"
first=$(printf '%s\n' "$reqlines" | head -n 1 | cut -d' ' -f1)
skew=$(python3 -c 'import sys, datetime as d
t = d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc)
print(int(abs((d.datetime.now(d.timezone.utc) - t).total_seconds())))' "$first" 2>/dev/null || echo 99999)
expect_lt "log: time is UTC and current (skew in s)" 120 "$skew"

# ---------------------------------------------------------------- connection cap (-m 5)

GPORT=$M_G PPORT=$M_P SRV_PID=$M_PID SRV_LOG=$M_LOG
U="gemini://localhost:$GPORT"
held=()
for i in 1 2 3 4 5; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PPORT"
	held+=("$fd")
done
sleep 0.5
t0=$(now)
out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0; cat <&3' _ "$PPORT" 2>/dev/null)
el=$(since "$t0")
expect_lt "-m 5: a 6th connection is closed at once (s)" 1.5 "$el"
capture r gem_req "$U/"
expect_nomatch "-m 5: a Gemini request over the cap gets no 20" '^20 ' "$r"
for fd in "${held[@]}"; do
	exec {fd}>&-
done
sleep 0.5
gem_expect_file "-m 5: after the idle ones leave, a request succeeds" "$U/" "20 text/gemini" "$F/index.gmi"
capture r goph_sel /notes.txt
expect_eq "-m 5: after the idle ones leave, Gopher succeeds" "$(cat "$F/notes.txt"; printf x)" "${r}x"

# ---------------------------------------------------------------- timeouts (collect)

wait "${TO_JOBS[@]}" 2>/dev/null
for j in tls_idle tls_half tcp_idle goph_idle goph_half; do
	el=$(cat "$TMP/to.$j" 2>/dev/null || echo 99)
	expect_lt "-t 2: $j closed by the server within 3.5 s" 3.5 "$el"
	expect_ge "-t 2: $j not closed before 1.5 s" 1.5 "$el"
done
expect_nomatch "-t 2: half request gets no 20" '^20 ' "$(cat "$TMP/to.tls_half.out")"
GPORT=$T_G PPORT=$T_P SRV_PID=$T_PID SRV_LOG=$T_LOG
alive "read timeouts"

# ---------------------------------------------------------------- symlinks (their own server)
# docs/architecture.md: a symbolic link leading outside the root (or looping)
# is skipped, one that stays inside is followed. Also a FIFO in the tree must
# not hang the start.

make_tree "$TMP/tree-links"
ln -s /etc/passwd "$TMP/tree-links/passwd.txt"
ln -s /etc "$TMP/tree-links/etc"
ln -s page.gmi "$TMP/tree-links/alias.gmi"
ln -s ../docs "$TMP/tree-links/plain/docs-link"
ln -s .. "$TMP/tree-links/docs/up"
ln -s loop.gmi "$TMP/tree-links/loop.gmi"
mkfifo "$TMP/tree-links/fifo.gmi"
if start_tulpar -d "$TMP/tree-links"; then
	ok "tulpar starts with symlinks (out, in, up, looping) and a FIFO in the tree"
	gem_expect_file "symlink inside the root is followed: /alias.gmi" \
	    "gemini://localhost:$GPORT/alias.gmi" "20 text/gemini" "$F/page.gmi"
	gem_expect_file "directory symlink inside the root is followed" \
	    "gemini://localhost:$GPORT/plain/docs-link/guide.gmi" "20 text/gemini" "$F/docs/guide.gmi"
	gem_expect "looping symlink is not served" "gemini://localhost:$GPORT/loop.gmi" "$NF"
	gem_expect "FIFO is not served" "gemini://localhost:$GPORT/fifo.gmi" "$NF"
	gem_expect "symlink to /etc/passwd: 51 over Gemini" "gemini://localhost:$GPORT/passwd.txt" "$NF"
	gem_expect "symlink to /etc: /etc/passwd 51 over Gemini" "gemini://localhost:$GPORT/etc/passwd" "$NF"
	capture r goph_sel /passwd.txt
	expect_eq "symlink to /etc/passwd: not found over Gopher" $'3Not found\t\terror.host\t1\r\n.\r\n' "$r"
	capture r goph_sel /etc/passwd
	expect_eq "symlink to /etc: not found over Gopher" $'3Not found\t\terror.host\t1\r\n.\r\n' "$r"
	alive "symlink requests"
else
	not_ok "tulpar starts with symlinks (out, in, up, looping) and a FIFO in the tree"
	diag "$(tail -n 2 "$SRV_LOG")"
fi

summary
