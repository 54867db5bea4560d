#!/usr/bin/env bash
# A memcheck pass: tulpar under valgrind (two workers) serves normal and
# hostile requests over both protocols, then stops; valgrind must report no
# errors (invalid reads or writes, uses of uninitialised values) and no
# definite or indirect leaks in any process.
. "$(dirname "$0")/lib.sh"
case $TULPAR in
*/sanitize/*)	# valgrind and ASan do not mix; the plain build has its pass
	echo "0 passed, 0 failed"
	exit 0 ;;
esac
need_tulpar

if ! command -v valgrind >/dev/null; then
	bail "valgrind is installed (make deps installs it)"
fi
make_tree
head -c $((3 * 1024 * 1024)) /dev/urandom >"$TREE/big.bin"
VG=$TMP/vg
mkdir -p "$VG"
cat >"$TMP/vg-tulpar" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --track-fds=no \
    --log-file=$VG/vg.%p.log "$TULPAR" "\$@"
WRAP
chmod +x "$TMP/vg-tulpar"
TULPAR=$TMP/vg-tulpar start_tulpar -w 2 -t 3 || bail "tulpar starts under valgrind"

U=$(gem_url /)
for i in 1 2 3; do
	r=$(gem_req "$U" | head -n 1)
	expect_eq "gemini page $i under valgrind" $'20 text/gemini\r' "$r"
	r=$(goph_curl / | tail -n 1)
	expect_eq "gopher menu $i under valgrind" $'.\r' "$r"
done
r=$(gem_req "$(gem_url /docs)" | head -n 1)
expect_eq "redirect under valgrind" $'31 '"$(gem_url /docs/)"$'\r' "$r"
r=$(gem_raw 'gemini://localhost/\n' | head -n 1)
expect_match "bare LF under valgrind" '^59 ' "$r"
r=$(gem_req "$(gem_url /../../etc/passwd)" | head -n 1)
expect_match "escape under valgrind" '^59 ' "$r"
r=$(goph_raw 'URL:https://example.org/?<x>\r\n')
expect_contains "URL: page under valgrind" '&lt;x&gt;' "$r"
r=$(goph_raw 'a\000b\r\n')
expect_match "NUL selector under valgrind" '^3Bad request' "$r"
n=$(printf '%s\r\n' "$(gem_url /big.bin)" | timeout 60 openssl s_client -quiet \
    -connect "127.0.0.1:$GPORT" -servername localhost 2>/dev/null | wc -c)
expect_ge "large file streamed over TLS under valgrind" $((3 * 1024 * 1024 + 29)) "$n"
n=$(goph_curl /9/big.bin | wc -c)
expect_eq "large file streamed over Gopher under valgrind" $((3 * 1024 * 1024)) "$n"
# A client that leaves mid-response, and one that never sends a request.
timeout 5 openssl s_client -quiet -connect "127.0.0.1:$GPORT" -servername localhost \
    < <(printf '%s\r\n' "$(gem_url /big.bin)") 2>/dev/null | head -c 1000 >/dev/null
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; sleep 4' _ "$PPORT"
r=$(goph_curl /1/docs/ | tail -n 1)
expect_eq "still serving after a walk-away and a timeout" $'.\r' "$r"

stop_tulpar
n=$(ls "$VG"/vg.*.log 2>/dev/null | wc -l)
expect_ge "valgrind logs for the parent and both workers" 3 "$n"
for f in "$VG"/vg.*.log; do
	[ -f "$f" ] || continue
	# "==PID==" lines are reports; "--PID--" lines are valgrind's own
	# warnings (it does not know openat2, and tulpar falls back to openat).
	if grep -q '^==[0-9]*==' "$f"; then
		not_ok "valgrind reports nothing for $(basename "$f")"
		grep '^==[0-9]*==' "$f" | head -n 30 | sed 's/^/#   /'
	else
		ok "valgrind reports nothing for $(basename "$f")"
	fi
done
summary
