# Helpers for tulpar's integration tests; sourced by tests/integration/test_*.sh (bash).
#
# Servers run on free loopback ports with a temporary copy of the fixture tree
# and a temporary certificate directory; everything is removed (and every
# server started here killed) on exit. Clients are real ones: openssl s_client
# for Gemini, curl, lynx and bash's /dev/tcp for Gopher. Every network call is
# bounded by `timeout`.
#
# Environment: TULPAR (binary, default ./tulpar at the project root),
# KEEP_TMP=1 keeps the temporary directory for a post-mortem.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TULPAR=${TULPAR:-$ROOT/tulpar}
FIXTURE=$ROOT/tests/fixtures/tree
export LC_ALL=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tulpar-it.XXXXXX") || exit 1
TREE=$TMP/tree			# the tree start_tulpar serves (make_tree fills it)
CERTDIR=$TMP/certs		# shared by the servers of one script
mkdir -p "$CERTDIR"

PASS=0
FAIL=0
SERVER_PIDS=()
USED_PORTS=" "
SRV_N=0

_cleanup() {
	local p kids=""
	for p in "${SERVER_PIDS[@]}"; do
		# tulpar's worker processes, by id, in case the parent dies first
		kids="$kids $(ps -o pid= --ppid "$p" 2>/dev/null)"
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${SERVER_PIDS[@]}"; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	for p in $kids; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- assertions

# Shows a value with escapes, shortened.
_show() {
	local s
	s=$(printf '%q' "$1")
	if [ ${#s} -gt 400 ]; then
		s="${s:0:400}... (${#1} bytes)"
	fi
	printf '%s' "$s"
}

ok() {
	PASS=$((PASS + 1))
	echo "ok - $1"
}

not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $1"
}

# diag text: a comment line under the last result.
diag() {
	printf '#   %s\n' "$@"
}

# expect_eq name expected actual
expect_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $(_show "$2")" "actual:   $(_show "$3")"
	fi
}

# expect_ne name unexpected actual
expect_ne() {
	if [ "$2" != "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected anything but: $(_show "$2")"
	fi
}

# expect_match name extended-regex actual
expect_match() {
	if [[ $3 =~ $2 ]]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected to match: $(_show "$2")" "actual:   $(_show "$3")"
	fi
}

# expect_nomatch name extended-regex actual
expect_nomatch() {
	if [[ $3 =~ $2 ]]; then
		not_ok "$1"
		diag "expected not to match: $(_show "$2")" "actual:   $(_show "$3")"
	else
		ok "$1"
	fi
}

# expect_contains name needle haystack (fixed string)
expect_contains() {
	if [[ $3 == *"$2"* ]]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected to contain: $(_show "$2")" "actual:   $(_show "$3")"
	fi
}

# expect_lacks name needle haystack (fixed string)
expect_lacks() {
	if [[ $3 == *"$2"* ]]; then
		not_ok "$1"
		diag "expected not to contain: $(_show "$2")" "actual:   $(_show "$3")"
	else
		ok "$1"
	fi
}

# expect_file_eq name expected-file actual-file (byte-exact)
expect_file_eq() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected $(wc -c <"$2") bytes, got $(wc -c <"$3" 2>/dev/null || echo 0)" \
		    "$(cmp "$2" "$3" 2>&1 | head -n 1)"
		diag "expected starts: $(_show "$(head -c 200 "$2" | tr '\0' '@')")"
		diag "actual starts:   $(_show "$(head -c 200 "$3" 2>/dev/null | tr '\0' '@')")"
	fi
}

# expect_true name command...: passes when the command exits 0.
expect_true() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
		diag "command failed: $*"
	fi
}

# expect_lt name limit value (numbers, decimals allowed)
expect_lt() {
	if awk -v a="$3" -v b="$2" 'BEGIN { exit !(a < b) }'; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected < $2, got $3"
	fi
}

# expect_ge name limit value
expect_ge() {
	if awk -v a="$3" -v b="$2" 'BEGIN { exit !(a >= b) }'; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected >= $2, got $3"
	fi
}

# summary: the last line of every suite; fails if anything failed.
summary() {
	local f
	# A sanitizer report or a dead worker in any server's log is a failure.
	for f in "$TMP"/tulpar.*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|worker [0-9]+ exited' "$f"; then
			not_ok "no sanitizer report or dead worker in $(basename "$f")"
			grep -m5 -E 'Sanitizer|runtime error|exited' "$f" | sed 's/^/#   /'
		fi
	done
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# bail reason: a fatal problem; counts as a failure and ends the script.
bail() {
	not_ok "$1"
	summary
	exit 1
}

need_tulpar() {
	[ -x "$TULPAR" ] || bail "tulpar binary exists at $TULPAR (run make tulpar)"
}

# ---------------------------------------------------------------- utilities

# now: seconds since the epoch with microseconds.
now() {
	printf '%s' "$EPOCHREALTIME"
}

# since t0: seconds elapsed since t0, two decimals.
since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# capture var command...: stdout of command into var, trailing newlines kept.
capture() {
	local __out
	__out=$("${@:2}"; printf x)
	printf -v "$1" '%s' "${__out%x}"
}

# port_listening port: 1 if something listens on the TCP port (any address).
port_listening() {
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port: a TCP port in 20000-31999 that nothing listens on and that binds.
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		case $USED_PORTS in *" $p "*) continue ;; esac
		port_listening "$p" && continue
		python3 -c 'import socket,sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$p" 2>/dev/null || continue
		USED_PORTS="$USED_PORTS$p "
		echo "$p"
		return 0
	done
	return 1
}

# make_tree [dir]: a fresh copy of the fixture tree (default $TREE).
make_tree() {
	local d=${1:-$TREE}
	rm -rf "$d"
	mkdir -p "$(dirname "$d")"
	cp -a "$FIXTURE" "$d"
}

# ---------------------------------------------------------------- servers

# wait_listening pid port...: until every port listens (10 s), or pid dies.
wait_listening() {
	local pid=$1 i p all
	shift
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		all=1
		for p in "$@"; do
			port_listening "$p" || all=0
		done
		[ $all = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# start_tulpar [extra args]: starts ./tulpar on fresh loopback ports.
# Defaults: -d $TREE -T $CERTDIR -H localhost -G 127.0.0.1:<free> -P 127.0.0.1:<free>;
# an extra -d/-T/-H/-G/-P replaces the default. Sets GPORT, PPORT (the default
# ports even if overridden), SRV_PID, SRV_LOG (stderr), SRV_OUT (stdout).
# Waits until the ports accept; returns 1 (with the log shown) if tulpar died.
start_tulpar() {
	local a d=1 t=1 h=1 g=1 p=1 try args waitp
	for a in "$@"; do
		case $a in
		-d) d=0 ;; -T) t=0 ;; -H) h=0 ;; -G) g=0 ;; -P) p=0 ;;
		esac
	done
	for try in 1 2 3; do
		GPORT=$(free_port) && PPORT=$(free_port) || return 1
		SRV_N=$((SRV_N + 1))
		SRV_LOG=$TMP/tulpar.$SRV_N.log
		SRV_OUT=$TMP/tulpar.$SRV_N.out
		args=()
		[ $d = 1 ] && args+=(-d "$TREE")
		[ $t = 1 ] && args+=(-T "$CERTDIR")
		[ $h = 1 ] && args+=(-H localhost)
		[ $g = 1 ] && args+=(-G "127.0.0.1:$GPORT")
		[ $p = 1 ] && args+=(-P "127.0.0.1:$PPORT")
		"$TULPAR" "${args[@]}" "$@" </dev/null >"$SRV_OUT" 2>"$SRV_LOG" &
		SRV_PID=$!
		SERVER_PIDS+=("$SRV_PID")
		waitp=()
		[ $g = 1 ] && waitp+=("$GPORT")
		[ $p = 1 ] && waitp+=("$PPORT")
		if wait_listening "$SRV_PID" "${waitp[@]}"; then
			return 0
		fi
		kill -KILL "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		# A port taken between the check and the bind: try other ports.
		grep -qi 'in use' "$SRV_LOG" || break
	done
	echo "# tulpar did not start: ${args[*]} $*" >&2
	sed 's/^/#   log: /' "$SRV_LOG" >&2
	return 1
}

# stop_tulpar [pid]: SIGTERM, waits up to 5 s (then SIGKILL); returns the exit status.
stop_tulpar() {
	local pid=${1:-$SRV_PID} i=0 rc kids
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	for i in $kids; do
		kill -KILL "$i" 2>/dev/null
	done
	return $rc
}

# ---------------------------------------------------------------- clients

# gem_raw format [s_client options]: sends exactly printf(format) over TLS to
# 127.0.0.1:$GPORT and prints the response. SNI is "localhost" unless the
# options say -servername NAME or -noservername. s_client -quiet implies
# -ign_eof: it sends stdin, then reads until the server closes.
gem_raw() {
	local fmt=$1 a sni=(-servername localhost)
	shift
	for a in "$@"; do
		case $a in -servername | -noservername) sni=() ;; esac
	done
	printf -- "$fmt" | timeout 5 openssl s_client -quiet \
	    -connect "127.0.0.1:$GPORT" "${sni[@]}" "$@" 2>/dev/null
}

# gem_req string [s_client options]: sends the string literally plus CRLF.
gem_req() {
	local s=$1 a sni=(-servername localhost)
	shift
	for a in "$@"; do
		case $a in -servername | -noservername) sni=() ;; esac
	done
	printf '%s\r\n' "$s" | timeout 5 openssl s_client -quiet \
	    -connect "127.0.0.1:$GPORT" "${sni[@]}" "$@" 2>/dev/null
}

# gem_url path: the URL of a path on this server ("gemini://localhost:PORT/x").
gem_url() {
	printf 'gemini://localhost:%s%s' "$GPORT" "$1"
}

# gem_msg format [s_client options]: like gem_raw without -quiet but with
# -msg, so the TLS records (alerts) show; prints stdout and stderr.
gem_msg() {
	local fmt=$1 a sni=(-servername localhost)
	shift
	for a in "$@"; do
		case $a in -servername | -noservername) sni=() ;; esac
	done
	printf -- "$fmt" | timeout 5 openssl s_client -msg -ign_eof \
	    -connect "127.0.0.1:$GPORT" "${sni[@]}" "$@" 2>&1
}

# goph_raw format: sends exactly printf(format) to 127.0.0.1:$PPORT with
# bash's /dev/tcp and prints everything the server sends until it closes.
goph_raw() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf -- "$2" >&3
		cat <&3' _ "$PPORT" "$1"
}

# goph_sel selector: sends the selector literally plus CRLF.
goph_sel() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s\r\n" "$2" >&3
		cat <&3' _ "$PPORT" "$1"
}

# goph_curl path: curl -s gopher://127.0.0.1:$PPORT<path>.
goph_curl() {
	timeout 10 curl -s --max-time 8 "gopher://127.0.0.1:$PPORT$1"
}

# ---------------------------------------------------------------- config-file servers and a scriptable client
# (added for test_config.sh and test_haproxy.sh)

# start_conf file "port..." [args...]: starts `tulpar -c file args` with no
# default flags and waits (10 s) until every port in the space-separated list
# listens. Sets SRV_PID, SRV_LOG (stderr), SRV_OUT (stdout); returns 1 (with
# the log shown) if tulpar died or did not listen.
start_conf() {
	local file=$1 ports=$2
	shift 2
	SRV_N=$((SRV_N + 1))
	SRV_LOG=$TMP/tulpar.$SRV_N.log
	SRV_OUT=$TMP/tulpar.$SRV_N.out
	"$TULPAR" -c "$file" "$@" </dev/null >"$SRV_OUT" 2>"$SRV_LOG" &
	SRV_PID=$!
	SERVER_PIDS+=("$SRV_PID")
	# shellcheck disable=SC2086
	wait_listening "$SRV_PID" $ports && return 0
	kill -KILL "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	echo "# tulpar did not start: -c $file $*" >&2
	sed 's/^/#   log: /' "$SRV_LOG" >&2
	return 1
}

# poll var needle command...: runs command into var every 50 ms, for at most
# 3 s, until its output contains needle (a change on disk going live); 1 if it
# never did. var keeps the last output.
poll() {
	local __var=$1 __needle=$2 __i
	shift 2
	for __i in $(seq 1 60); do
		capture "$__var" "$@"
		[[ ${!__var} == *"$__needle"* ]] && return 0
		sleep 0.05
	done
	return 1
}

# wait_for_line file extended-regex [seconds]: until a line of file matches
# (default 5 s); returns 1 on timeout.
wait_for_line() {
	local i n=$((${3:-5} * 20))
	for i in $(seq 1 "$n"); do
		grep -aqE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

_FETCH_PY='
import socket, ssl, sys, time
a = sys.argv[1:]
tls, rate, bind, sni, out, hdr = False, 0.0, None, None, None, None
while a and a[0].startswith("-") and len(a[0]) == 2:
    o = a.pop(0)
    if o == "-t": tls = True
    elif o == "-r": rate = float(a.pop(0))
    elif o == "-b": bind = a.pop(0)
    elif o == "-s": sni = a.pop(0)
    elif o == "-o": out = a.pop(0)
    elif o == "-H": hdr = a.pop(0)
host, port, req = a[0], int(a[1]), a[2]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
if rate:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
if bind:
    s.bind((bind, 0))
s.settimeout(10)
s.connect((host, port))
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname=sni, suppress_ragged_eofs=False)
s.sendall(req.encode() + b"\r\n")
f = open(out, "wb") if out else sys.stdout.buffer
h = open(hdr, "wb") if hdr else None
t0, n, end, head = time.monotonic(), 0, "timeout", b""
try:
    while True:
        d = s.recv(16384)
        if not d:
            end = "eof"
            break
        n += len(d)
        if h is not None and h is not f:
            head += d
            i = head.find(b"\n")
            if i == -1:
                continue
            h.write(head[:i + 1]); h.close(); f.write(head[i + 1:]); h = f
        else:
            f.write(d)
        if rate:
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
except ssl.SSLError as e:
    end = "tls:" + type(e).__name__
except OSError as e:
    end = "err:" + type(e).__name__
if h is not None and h is not f:
    h.write(head); h.close()
f.flush()
sys.stderr.write("received %d end %s seconds %.2f\n" % (n, end, time.monotonic() - t0))
sys.exit(0 if end == "eof" else 1)
'

# fetch [-t] [-s sni] [-b source-addr] [-r bytes-per-second] [-o file] [-H file]
#     host port request: sends request + CRLF over TCP (TLS with -t, SNI from
#     -s, no certificate checks), reads until the server closes, throttled to
#     -r bytes/s with a small receive buffer. The answer goes to stdout, or
#     to -o file; with -H the first line (Gemini's header) goes to that file
#     and the rest to -o. Prints "received N end E seconds S" on stderr; exits
#     0 only on a clean end (FIN; TLS close_notify). Bounded: 60 s.
fetch() {
	timeout 60 python3 -c "$_FETCH_PY" "$@"
}

# ---------------------------------------------------------------- client certificates
# (added for test_certs.sh and test_titan.sh)

# mkcert name [faketime-date]: a self-signed client certificate valid 30
# days, $TMP/name.crt and $TMP/name.key; with a date, made under faketime as
# if then (an expired or not yet valid certificate).
mkcert() {
	local pre=()
	[ $# -gt 1 ] && pre=(faketime "$2")
	"${pre[@]}" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.crt" -subj "/CN=$1" \
	    -days 30 2>/dev/null
}

# cert_fp name: the SHA-256 of $TMP/name.crt's DER, lower-case hex.
cert_fp() {
	openssl x509 -in "$TMP/$1.crt" -outform DER | sha256sum | cut -d' ' -f1
}
