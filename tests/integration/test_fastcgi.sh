#!/usr/bin/env bash
# FastCGI (fastcgi = ...): CGI scripts through Debian's fcgiwrap run by
# spawn-fcgi on a unix socket, the same variables and mappings as CGI on
# both protocols; the responder down (42, an error item) and restarted;
# connection reuse, STDERR, a timeout and a responder that hangs up, with
# a small responder of our own on TCP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/programs.sh"
need_tulpar
command -v spawn-fcgi >/dev/null && [ -x /usr/sbin/fcgiwrap ] ||
    bail "spawn-fcgi and fcgiwrap are installed (make deps)"

mkdir -p "$R/fcgi" "$R/app"
printf '# Home\n' >"$R/index.gmi"
printf '# Static\n' >"$R/static.gmi"
prog fcgi/env "printf '20 text/plain\\r\\n'; env | sort"
prog fcgi/page 'printf "20 text/gemini\r\n# Via fcgiwrap\n\n=> /static.gmi Static\n"'
prog fcgi/ask 'if [ -z "$QUERY_STRING" ]; then printf "10 Your name?\r\n"; else printf "20 text/gemini\r\n# Hi %s\n" "$QUERY_STRING"; fi'
prog fcgi/nohdr 'echo "not a status line"'
chmod -R a+rX "$R"
SOCK=$TMP/fcgiwrap.sock
PIDS=$TMP/fcgiwrap.pids
USER_ARGS=()
[ "$(id -u)" = 0 ] && USER_ARGS=(-u nobody)

start_fcgiwrap() {
	rm -f "$SOCK"
	env -i PATH=/usr/bin:/bin spawn-fcgi -s "$SOCK" -M 0666 -F 2 -P "$PIDS" \
	    "${USER_ARGS[@]}" -- /usr/sbin/fcgiwrap >/dev/null 2>&1
}
# Only the processes spawn-fcgi started for us, by the ids it wrote.
stop_fcgiwrap() {
	local p
	for p in $(cat "$PIDS" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	sleep 0.3
	rm -f "$SOCK"
}
start_fcgiwrap || bail "spawn-fcgi starts fcgiwrap"
RESP_PORT=$(free_port)
python3 "$(dirname "$0")/fcgi_responder.py" 127.0.0.1 "$RESP_PORT" "$TMP/resp.count" &
RESP_PID=$!
trap 'kill $RESP_PID 2>/dev/null; for p in $(cat "$PIDS" 2>/dev/null); do kill $p 2>/dev/null; done; _cleanup' EXIT

CONF=$TMP/tulpar.conf
program_conf "$CONF"
cat >>"$CONF" <<EOF
[path localhost /fcgi/]
fastcgi = unix:$SOCK
[path localhost /app/]
fastcgi = 127.0.0.1:$RESP_PORT
cgi_timeout = 2
EOF
start_conf "$CONF" "$G $P" || bail "tulpar starts with a FastCGI configuration"
for i in $(seq 1 50); do port_listening "$RESP_PORT" && break; sleep 0.1; done

client_cert || bail "openssl makes a client certificate"
T=$'\t'

# ---------------------------------------------------------------- fcgiwrap

capture g gem_req "$(gem_url /fcgi/env/a/b?x%20y)" -cert "$TMP/alice.crt" -key "$TMP/alice.key"
expect_match "fcgiwrap: the script's answer" $'^20 text/plain\r\n' "$g"
for kv in GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=GEMINI SERVER_NAME=localhost \
    SERVER_PORT=$G REMOTE_ADDR=127.0.0.1 REMOTE_HOST=127.0.0.1 REQUEST_METHOD=GET \
    SCRIPT_NAME=/fcgi/env "SCRIPT_FILENAME=$R/fcgi/env" "DOCUMENT_ROOT=$R" \
    PATH_INFO=/a/b "PATH_TRANSLATED=$R/a/b" QUERY_STRING=x%20y \
    "GEMINI_URL=gemini://localhost:$G/fcgi/env/a/b?x%20y" GEMINI_URL_PATH=/fcgi/env/a/b \
    AUTH_TYPE=Certificate REMOTE_USER=alice "TLS_CLIENT_HASH=SHA256:$ALICE_HASH" \
    TLS_CLIENT_SUBJECT=CN=alice TLS_CLIENT_ISSUER=CN=alice \
    PATH=/usr/local/bin:/usr/bin:/bin; do
	expect_eq "fcgiwrap, Gemini: ${kv%%=*}" "${kv#*=}" "$(val "${kv%%=*}" "$g")"
done
expect_match "fcgiwrap, Gemini: TLS_CLIENT_NOT_AFTER" '^20[0-9-]{8}T[0-9:]{8}Z$' "$(val TLS_CLIENT_NOT_AFTER "$g")"
expect_match "fcgiwrap, Gemini: TLS_VERSION" '^TLSv1' "$(val TLS_VERSION "$g")"
capture o goph_raw '/fcgi/env/p\tw o\r\n'
for kv in SERVER_PROTOCOL=GOPHER SERVER_PORT=$P SCRIPT_NAME=/fcgi/env PATH_INFO=/p \
    SELECTOR=/fcgi/env/p "SEARCHREQUEST=w o" QUERY_STRING=w%20o "SCRIPT_FILENAME=$R/fcgi/env"; do
	expect_eq "fcgiwrap, Gopher: ${kv%%=*}" "${kv#*=}" "$(val "${kv%%=*}" "$o")"
done
expect_eq "fcgiwrap, Gopher: no TLS variables" "" "$(val TLS_VERSION "$o")"
capture o goph_raw '/fcgi/page\r\n'
expect_contains "fcgiwrap, Gopher: text/gemini becomes a menu" "1Static${T}/static.gmi${T}localhost${T}$P" "$o"
capture o goph_raw '/fcgi/ask\r\n'
expect_eq "fcgiwrap, Gopher: 10 becomes a search item" "7Your name?${T}/fcgi/ask${T}localhost${T}$P"$'\r\n.\r\n' "$o"
capture o goph_raw '/fcgi/ask\tbob\r\n'
expect_contains "fcgiwrap, Gopher: the search words arrive" "iHi bob" "$o"
capture g gem_req "$(gem_url /fcgi/ask?bob)"
# fcgiwrap takes the lines up to the first empty one for HTTP headers and
# ends them with CRLF; gemtext does not mind.
expect_eq "fcgiwrap, Gemini: the query arrives" $'20 text/gemini\r\n# Hi bob\r\n' "$g"
capture g gem_req "$(gem_url /fcgi/nohdr)"
expect_eq "fcgiwrap: a script without a status line gets 42" $'42 Program error\r\n' "$g"
capture l timeout 10 lynx -dump "gopher://127.0.0.1:$P/1/fcgi/page"
expect_contains "lynx reads a FastCGI page over Gopher" "Via fcgiwrap" "$l"

# ---------------------------------------------------------------- responder down, restarted

stop_fcgiwrap
capture g gem_req "$(gem_url /fcgi/page)"
expect_eq "responder down: 42" $'42 Program error\r\n' "$g"
capture o goph_raw '/fcgi/page\r\n'
expect_match "responder down, Gopher: an error item" '^3Program error' "$o"
: >"$SOCK"	# a socket file nobody listens on: refused
capture g gem_req "$(gem_url /fcgi/page)"
expect_eq "responder's socket refuses: 42" $'42 Program error\r\n' "$g"
expect_true "the worker lives on" kill -0 "$SRV_PID"
start_fcgiwrap
capture g gem_req "$(gem_url /fcgi/page)"
expect_eq "responder restarted: served again" $'20 text/gemini\r\n# Via fcgiwrap\r\n\r\n=> /static.gmi Static\n' "$g"

# ---------------------------------------------------------------- our responder: reuse, stderr, timeout

for i in 1 2 3 4 5; do
	capture g gem_req "$(gem_url /app/page)"
done
expect_eq "a keep-alive responder answers" $'20 text/gemini\r\n# FastCGI page\n\nHello from the responder.\n' "$g"
expect_eq "five requests, one connection: reused (FCGI_KEEP_CONN)" 1 "$(cat "$TMP/resp.count")"
capture o goph_raw '/app/page\r\n'
expect_contains "Gopher through the same responder" "iHello from the responder." "$o"
capture g gem_req "$(gem_url /app/err)"
sleep 0.3
expect_true "STDERR records reach the log" grep -q 'program /app: a line on stderr' "$SRV_LOG"
capture g gem_req "$(gem_url /app/env)"
expect_eq "SCRIPT_NAME without a file is the prefix" /app "$(val SCRIPT_NAME "$g")"
expect_eq "PATH_INFO is the rest" /env "$(val PATH_INFO "$g")"
capture g gem_req "$(gem_url /app/noend)"
expect_eq "a responder that hangs up without END_REQUEST: 42" $'42 Program error\r\n' "$g"
t0=$(now)
capture g gem_req "$(gem_url /app/slow)"
expect_eq "a responder past cgi_timeout: 42" $'42 Program error\r\n' "$g"
expect_lt "... after cgi_timeout (2 s)" 4 "$(since "$t0")"
capture g gem_req "$(gem_url /app/page)"
expect_contains "and the next request is served" "Hello from the responder." "$g"
timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "/app/slow\r\n" >&3; sleep 5' _ "$P"
capture g gem_req "$(gem_url /app/page)"
expect_contains "a client gone mid-request: the next is served" "Hello from the responder." "$g"
expect_true "the worker lives on" kill -0 "$SRV_PID"

summary
