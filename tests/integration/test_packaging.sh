#!/usr/bin/env bash
# The Makefile as a self-hoster uses it (issue 12, items 10 and 11):
# `make run` installs only what the server needs and serves the demo on
# loopback; `make check` installs the rest; `make install PREFIX=...` installs
# a systemd unit whose ExecStart follows PREFIX.
. "$(dirname "$0")/lib.sh"
need_tulpar
unset MAKEFLAGS MFLAGS MAKELEVEL
cd "$ROOT" || bail "cd $ROOT"

TEST_ONLY="libcmocka-dev valgrind clang libclang-rt-14-dev haproxy faketime lynx"

# ---------------------------------------------------------------- make run

capture dry make -n run
deps_line=$(printf '%s\n' "$dry" | grep 'tests/deps.sh' | head -n 1)
run_line=$(printf '%s\n' "$dry" | grep '^\./tulpar ' | tail -n 1)
expect_ne "make -n run: installs packages through tests/deps.sh" "" "$deps_line"
for p in gcc make pkg-config libevent-dev libssl-dev libinih-dev openssl libidn2-dev; do
	expect_match "make run installs build package $p" " $p( |$)" "$deps_line"
done
for p in $TEST_ONLY; do
	expect_nomatch "make run does not install test-only package $p" " $p( |$)" "$deps_line"
done
capture dryc make -n check
for p in $TEST_ONLY; do
	expect_match "make check installs $p" " $p( |$)" "$(printf '%s\n' "$dryc" | grep 'tests/deps.sh')"
done
# As a normal user with every build package present, nothing stops `make run`
# (tests/deps.sh fails only when a package it is given is missing).
pkgs=${deps_line#*tests/deps.sh }
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	setpriv --reuid=nobody --regid=nogroup --clear-groups sh tests/deps.sh $pkgs >/dev/null 2>&1
	expect_eq "make run's package check passes as a normal user" 0 "$?"
else
	# shellcheck disable=SC2086
	sh tests/deps.sh $pkgs >/dev/null 2>&1
	expect_eq "make run's package check passes" 0 "$?"
fi

expect_match "make run: Gemini on 127.0.0.1" ' -G 127\.0\.0\.1:1965( |$)' "$run_line"
expect_match "make run: Gopher on 127.0.0.1" ' -P 127\.0\.0\.1:7070( |$)' "$run_line"

# The same flags on free ports: what the demo binds.
g=$(free_port) p=$(free_port)
args=${run_line#./tulpar }
args=${args//1965/$g}
args=${args//7070/$p}
args=${args//-T certs/-T $CERTDIR}
# shellcheck disable=SC2086
"$TULPAR" $args </dev/null >"$TMP/run.out" 2>"$TMP/tulpar.run.log" &
pid=$!
SERVER_PIDS+=("$pid")
if wait_listening "$pid" "$g" "$p"; then
	ok "make run's flags start tulpar"
	# ss: one local address:port a line, e.g. 127.0.0.1:1965, *:1965, [::]:1965
	socks=$(ss -Hltn 2>/dev/null | awk '{ print $4 }' | grep -E ":($g|$p)\$" | sort -u | tr '\n' ' ')
	expect_eq "the demo binds 127.0.0.1 and nothing else (ss -ltn)" \
	    "$(printf '127.0.0.1:%s\n' "$g" "$p" | sort | tr '\n' ' ')" "$socks"
	GPORT=$g capture r gem_req "gemini://localhost:$g/"
	expect_match "the demo serves the capsule" $'^20 text/gemini; lang=en\r\n' "$r"
	stop_tulpar "$pid"
else
	not_ok "make run's flags start tulpar"
	diag "$(cat "$TMP/tulpar.run.log")"
fi

# ---------------------------------------------------------------- make install

STAGE=$TMP/stage
make -s install PREFIX=/usr DESTDIR="$STAGE" >"$TMP/install.out" 2>&1
expect_eq "make install PREFIX=/usr DESTDIR=...: exit 0" 0 "$?"
UNIT=$STAGE/usr/share/doc/tulpar/examples/tulpar.service
expect_true "the binary is in DESTDIR/usr/sbin" test -x "$STAGE/usr/sbin/tulpar"
expect_eq "the unit's ExecStart follows PREFIX" "ExecStart=/usr/sbin/tulpar -c /etc/tulpar.conf" \
    "$(grep '^ExecStart=' "$UNIT" 2>/dev/null)"
expect_lacks "the unit names no /usr/local" "/usr/local" "$(cat "$UNIT" 2>/dev/null)"
expect_eq "the unit is mode 644" 644 "$(stat -c %a "$UNIT" 2>/dev/null)"
expect_true "the man pages are installed" test -s "$STAGE/usr/share/man/man8/tulpar.8" -a \
    -s "$STAGE/usr/share/man/man5/tulpar.conf.5"

# A PREFIX where the binary really is: systemd-analyze can check the unit.
PFX=$TMP/prefix
make -s install PREFIX="$PFX" >"$TMP/install2.out" 2>&1
if ! command -v systemd-analyze >/dev/null; then
	echo "# skip: systemd-analyze is not installed (unit verification)"
else
	v=$(systemd-analyze verify --man=no "$PFX/share/doc/tulpar/examples/tulpar.service" 2>&1)
	rc=$?
	expect_eq "systemd-analyze verify accepts the installed unit" 0 "$rc"
	[ "$rc" -eq 0 ] || diag "$v"
fi

summary
