#!/usr/bin/env bash
# The supervisor and its workers (issue 11): a worker whose supervisor dies
# exits, and says so; a worker never blocks on its log pipe while the parent
# is not reading it; SIGHUP under load fails no request and leaves no long
# gap in serving (tests/bench/probe.py probes both protocols every 10 ms).
. "$(dirname "$0")/lib.sh"
need_tulpar

PROBE=$ROOT/tests/bench/probe.py
# A sanitizer build's new workers fault in their shadow memory first: a
# few hundred ms of warm-up after a reload on a busy machine.
GAP=500
if grep -aq -e __asan_init -e __ubsan_handle "$TULPAR" 2>/dev/null; then
	GAP=2000
fi
make_tree

# workers_of pid: the worker processes of a running tulpar.
workers_of() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '
}

# gone pid: the process has exited (a zombie waiting for its reaper counts).
gone() {
	local s
	s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$s" ] || [ "$s" = Z ]
}

# ---------------------------------------------------------------- the supervisor dies

start_tulpar -w 2 || bail "tulpar starts with two workers"
KIDS=$(workers_of "$SRV_PID")
expect_eq "two workers running" 2 "$(echo "$KIDS" | grep -c .)"
{ kill -KILL "$SRV_PID"; wait "$SRV_PID"; } 2>/dev/null
t0=$(now)
left=$KIDS
while [ -n "$left" ] && awk -v t="$(since "$t0")" 'BEGIN { exit !(t < 2) }'; do
	left=$(for k in $KIDS; do gone "$k" || echo "$k"; done)
	[ -n "$left" ] && sleep 0.05
done
if [ -z "$left" ]; then
	ok "kill -9 of the supervisor: every worker gone within 2 s ($(since "$t0") s)"
else
	not_ok "kill -9 of the supervisor: every worker gone within 2 s"
	diag "still running after 2 s: $left"
	for k in $left; do kill -KILL "$k" 2>/dev/null; done
fi
wait_for_line "$SRV_LOG" "worker [0-9]+: the supervisor \\(pid $SRV_PID\\) is gone" 2
expect_eq "each worker says on stderr that its supervisor is gone" 2 \
    "$(grep -c "the supervisor (pid $SRV_PID) is gone; stopping" "$SRV_LOG")"
expect_true "the ports are free again" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null"

# With log = FILE the worker's last word goes to the parent's file.
G=$(free_port) P=$(free_port)
LOGF=$TMP/tulpar.file.log
printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\nworkers = 1\nlog = %s\n[host localhost]\nroot = %s\ngopher = 127.0.0.1:%s\n' \
    "$G" "$CERTDIR" "$LOGF" "$TREE" "$P" >"$TMP/file.conf"
if start_conf "$TMP/file.conf" "$G $P"; then
	KIDS=$(workers_of "$SRV_PID")
	{ kill -KILL "$SRV_PID"; wait "$SRV_PID"; } 2>/dev/null
	expect_true "log = FILE: the worker's last word reaches the file" \
	    wait_for_line "$LOGF" "worker $KIDS: the supervisor \\(pid $SRV_PID\\) is gone" 3
	for k in $KIDS; do kill -KILL "$k" 2>/dev/null; done
else
	not_ok "tulpar starts with log = FILE"
fi

# ---------------------------------------------------------------- the parent does not read the log

# A stopped parent reads no log line (as while a reload loads a big tree):
# the worker must go on serving, keep what fits, and count what it drops.
start_tulpar -w 1 || bail "tulpar starts with one worker"
kill -STOP "$SRV_PID"
out=$(timeout 120 python3 - "$PPORT" <<'EOF'
import socket, sys, time
port, fails, t0, worst = int(sys.argv[1]), 0, time.monotonic(), 0.0
for i in range(3000):
    t = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as s:
            s.sendall(b"/%05d-%s\r\n" % (i, b"x" * 1000))
            while s.recv(65536):
                pass
    except OSError:
        fails += 1
        if fails == 5:	# blocked: no use waiting 2 s for each of the rest
            break
    worst = max(worst, time.monotonic() - t)
print(fails, "%.3f" % worst, "%.1f" % (time.monotonic() - t0))
EOF
)
kill -CONT "$SRV_PID"
read -r fails worst secs <<<"$out"
expect_eq "parent stopped: 3000 Gopher requests with long log lines all answered" 0 "${fails:-x}"
expect_lt "parent stopped: no request waited on the log (slowest answer, s)" 1.5 "${worst:-99}"
wait_for_line "$SRV_LOG" 'tulpar: warning: dropped [0-9]+ log lines' 5
line=$(grep -m1 'dropped [0-9]* log lines' "$SRV_LOG")
expect_match "parent resumed: the log says how many lines were dropped" \
    'dropped [0-9]+ log lines: the log pipe was full' "$line"
kept=$(grep -c '"/[0-9]\{5\}-x' "$SRV_LOG")
n=$(sed -n 's/.*dropped \([0-9]*\) log lines.*/\1/p' "$SRV_LOG" | awk '{ s += $1 } END { print s + 0 }')
expect_eq "lines kept + lines dropped = requests" 3000 "$((kept + n))"
expect_true "the first request's line was kept" grep -q '"/00000-x' "$SRV_LOG"
goph_sel /after-the-stop >/dev/null
expect_true "lines are logged again after the parent resumes" \
    wait_for_line "$SRV_LOG" '"/after-the-stop"' 3
stop_tulpar
expect_eq "stops cleanly after" 0 "$?"

# ---------------------------------------------------------------- SIGHUP under load

# A generated tree, so each reload has some loading to do.
BIG=$TMP/big
python3 "$ROOT/tests/bench/gentree.py" 2000 4096 "$BIG" || bail "gentree makes a tree"
start_tulpar -d "$BIG" -w 2 || bail "tulpar starts on a 2000-page tree"
# Load beside the probes: two more clients, each at up to 500 requests/s.
python3 "$PROBE" --interval 0.002 --seconds 120 --path /a000/b07/p000712.gmi \
    "$GPORT" "$PPORT" >"$TMP/load.json" &
LOAD=$!
python3 "$PROBE" --seconds 120 "$GPORT" "$PPORT" >"$TMP/probe.json" &
PROBE_PID=$!
sleep 0.5
# One SIGHUP at a time: signals sent while a reload loads would merge.
for g in 1 2 3 4 5; do
	kill -HUP "$SRV_PID"
	wait_for_line "$SRV_LOG" "reloaded: .* generation $g\$" 30 || break
	sleep 0.3	# the old generation retires while probed
done
kill -TERM "$PROBE_PID" "$LOAD" 2>/dev/null
wait "$PROBE_PID" "$LOAD"
field() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d[sys.argv[2]][sys.argv[3]])' "$@"
}
expect_eq "five SIGHUPs, five reloads" 5 "$(grep -c 'reloaded: ' "$SRV_LOG")"
for p in gemini gopher; do
	expect_eq "SIGHUP x5 under load: no failed $p probe" 0 "$(field "$TMP/probe.json" $p fail)"
	expect_ge "SIGHUP x5 under load: $p probes answered" 100 "$(field "$TMP/probe.json" $p ok)"
	expect_lt "SIGHUP x5 under load: longest $p gap < $GAP ms" "$GAP" \
	    "$(field "$TMP/probe.json" $p max_gap_ms)"
	expect_eq "SIGHUP x5 under load: no failed $p request of the load" 0 \
	    "$(field "$TMP/load.json" $p fail)"
done
diag "probes: $(cat "$TMP/probe.json")"
diag "load: $(cat "$TMP/load.json")"
expect_eq "the new generation serves" "20 text/gemini" \
    "$(gem_req "$(gem_url /)" | head -n 1 | cut -c1-14)"
stop_tulpar
expect_eq "stops cleanly after the reloads" 0 "$?"

summary
