#!/usr/bin/env bash
# The content store: changes on disk are served without SIGHUP (both
# protocols, every worker, within 1 s), a file written slowly is never
# served half-done, a request in flight finishes on what it started with,
# the cache keeps to its budget, and an allocation limit fails the start
# loudly instead of serving a partial tree.
. "$(dirname "$0")/lib.sh"
need_tulpar

make_tree
# Memory figures and address-space limits mean nothing under ASan.
SANITIZED=0
grep -aq -e __asan_init -e __ubsan_handle "$TULPAR" 2>/dev/null && SANITIZED=1

# The client: "poll proto port path pattern seconds" asks until the answer
# contains pattern and prints the milliseconds it took (or "timeout");
# "sweep gport pport count" fetches p000.gmi.. over both protocols.
CLIENT=$TMP/live_client.py
cat >"$CLIENT" <<'PY'
import socket, ssl, sys, time
CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
def ask(proto, port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if proto == "gemini":
        s = CTX.wrap_socket(s, server_hostname="localhost")
        s.sendall(("gemini://localhost:%d%s\r\n" % (port, path)).encode())
    else:
        s.sendall((path + "\r\n").encode())
    b = b""
    while True:
        try:
            d = s.recv(65536)
        except (ssl.SSLError, OSError):
            break
        if not d:
            break
        b += d
    s.close()
    return b
if sys.argv[1] == "sweep":
    for i in range(int(sys.argv[4])):
        ask("gemini", int(sys.argv[2]), "/p%03d.gmi" % i)
        ask("gopher", int(sys.argv[3]), "/p%03d.gmi" % i)
    sys.exit(0)
proto, port, path, pat, limit = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].encode(), float(sys.argv[6])
t0 = time.monotonic()
while True:
    if pat in ask(proto, port, path):
        print(int((time.monotonic() - t0) * 1000))
        break
    if time.monotonic() - t0 > limit:
        print("timeout")
        break
    time.sleep(0.02)
PY
poll() {
	python3 "$CLIENT" poll "$1" "$2" "$3" "$4" "${5:-3}"
}
gport() { poll gemini "$GPORT" "$@"; }
pport() { poll gopher "$PPORT" "$@"; }

# within name ms: the change was served within 1 s.
within() {
	if [ "$2" != timeout ] && [ "$2" -le 1000 ]; then
		ok "$1 (in ${2} ms)"
	else
		not_ok "$1 (got: $2 ms)"
	fi
}

start_tulpar -w 2 || bail "tulpar starts with two workers"

# every_worker path pattern: 12 answers in a row (new connections land on
# either worker) all contain pattern.
every_worker() {
	local i n=0
	for i in $(seq 1 12); do
		gem_req "$(gem_url "$1")" | grep -qF -- "$2" && n=$((n + 1))
	done
	expect_eq "$3" 12 "$n"
}

# ---- a new page
printf '# A new page\n' >"$TREE/new.gmi"
within "new page served over Gemini" "$(gport /new.gmi 'A new page')"
within "new page served over Gopher" "$(pport /new.gmi 'iA new page')"
every_worker /new.gmi "A new page" "both workers serve the new page"

# ---- an edited page (cached first)
gem_req "$(gem_url /page.gmi)" >/dev/null
goph_sel /page.gmi >/dev/null
printf '# Edited heading\n' >"$TREE/page.gmi.tmp" && mv "$TREE/page.gmi.tmp" "$TREE/page.gmi"
within "edited page over Gemini" "$(gport /page.gmi 'Edited heading')"
within "edited page over Gopher" "$(pport /page.gmi 'iEdited heading')"
printf '# Edited in place\n' >"$TREE/page.gmi"
within "page edited in place over Gemini" "$(gport /page.gmi 'Edited in place')"
every_worker /page.gmi "Edited in place" "both workers serve the edit"

# ---- a link's item type changes: a file becomes a directory
printf 'x\n' >"$TREE/thing"
printf '# Linker\n=> thing The thing\n=> later/ Later\n' >"$TREE/linker.gmi"
within "a file's link is item type 9" "$(pport /linker.gmi $'9The thing\t/thing\t')"
rm "$TREE/thing" && mkdir "$TREE/thing" && printf '# Inside\n' >"$TREE/thing/index.gmi"
within "the same link becomes a menu (1) when it is a directory" \
    "$(pport /linker.gmi $'1The thing\t/thing/\t')"
# a target created after the menu was cached
mkdir "$TREE/later" && printf '# Later\n' >"$TREE/later/index.gmi"
within "a link to a directory created later becomes a menu item" \
    "$(pport /linker.gmi $'1Later\t/later/\t')"
printf '# Extra\n' >"$TREE/plain/extra.gmi"
within "a generated listing follows" "$(pport /plain/ $'1extra.gmi\t/plain/extra.gmi\t')"

# ---- a deleted page
rm "$TREE/new.gmi"
within "deleted page: 51 over Gemini" "$(gport /new.gmi '51 ')"
within "deleted page: error item over Gopher" "$(pport /new.gmi '3Not found')"

# ---- a renamed directory
mkdir "$TREE/d1" && printf '# In d1\n' >"$TREE/d1/x.gmi"
within "a new directory's page" "$(gport /d1/x.gmi 'In d1')"
mv "$TREE/d1" "$TREE/d2"
within "renamed directory: new path served" "$(gport /d2/x.gmi 'In d1')"
within "renamed directory: old path 51" "$(gport /d1/x.gmi '51 ')"
within "renamed directory over Gopher" "$(pport /d2/x.gmi 'iIn d1')"
printf '# Deeper\n' >"$TREE/d2/y.gmi"
within "the renamed directory is still watched" "$(gport /d2/y.gmi 'Deeper')"

# ---- a file written slowly in three chunks is never served half-done
OLD="# Old complete version"
printf '%s\n' "$OLD" >"$TREE/slow.gmi"
gport /slow.gmi "$OLD" >/dev/null
python3 - "$TREE/slow.gmi" <<'PY' &
import sys, time
with open(sys.argv[1], "w") as f:
    for part in ("# New version, part one\n", "part two\n", "part three END\n"):
        f.write(part)
        f.flush()
        time.sleep(0.3)
PY
WRITER=$!
half=0 seen_new=0 asked=0
while kill -0 "$WRITER" 2>/dev/null || [ $seen_new = 0 ] && [ $asked -lt 60 ]; do
	asked=$((asked + 1))
	body=$(gem_req "$(gem_url /slow.gmi)")
	case $body in
	*"$OLD"*) ;;
	*"part three END"*) seen_new=1 ;;
	"40 "*) ;;
	*) half=$((half + 1)); diag "half-done: $(_show "$body")" ;;
	esac
	kill -0 "$WRITER" 2>/dev/null || [ $seen_new = 1 ] && ! kill -0 "$WRITER" 2>/dev/null && break
done
wait "$WRITER"
expect_eq "a file written in 3 chunks is never served half-done ($asked asks)" 0 "$half"
within "then the whole new version is served" "$(gport /slow.gmi 'part three END')"

# ---- a page never asked for (so not cached) that is being rewritten: 40
printf '# Cold, first version\n' >"$TREE/cold.gmi"
sleep 0.5
python3 - "$TREE/cold.gmi" <<'PY' &
import sys, time
with open(sys.argv[1], "w") as f:
    f.write("# Cold, second")
    f.flush()
    time.sleep(1)
    f.write(" version\n")
PY
WRITER=$!
sleep 0.4
expect_match "an uncached page caught mid-write: 40, not half of it" '^40 ' \
    "$(gem_req "$(gem_url /cold.gmi)" | head -1)"
wait "$WRITER"
within "then the new version" "$(gport /cold.gmi 'Cold, second version')"

# ---- a request in flight finishes on what it started with
python3 -c 'import sys; sys.stdout.write("".join("line %06d of the first version\n" % i for i in range(20000)))' >"$TREE/big.txt"
pport /big.txt 'line 019999 of the first version' 5 >/dev/null
goph_sel /big.txt | cmp -s - "$TREE/big.txt"
expect_eq "a 640 KB file over Gopher" 0 $?
cp "$TREE/big.txt" "$TMP/big.old"
fetch -r 200000 -o "$TMP/big.got" 127.0.0.1 "$PPORT" /big.txt 2>/dev/null &
FETCH=$!
sleep 0.5
python3 -c 'import sys; sys.stdout.write("".join("LINE %06d OF THE SECOND VERSION\n" % i for i in range(20000)))' >"$TREE/big.txt.new"
mv "$TREE/big.txt.new" "$TREE/big.txt"
wait "$FETCH"
expect_eq "the slow reader got a clean end" 0 $?
cmp -s "$TMP/big.got" "$TMP/big.old"
expect_eq "the slow reader got the first version whole" 0 $?
within "a new request gets the second version" "$(pport /big.txt 'SECOND VERSION')"

# ---- a change no watch reports: a symlink's target appears in another
# directory. Only that directory is rescanned, so the symlink stays unserved
# until a SIGHUP re-checks the tree (its directory, holding an entry that
# did not resolve, is read again however old its ctime).
mkdir "$TREE/links" && ln -s ../later2/target.gmi "$TREE/links/soon.gmi"
sleep 0.5
mkdir "$TREE/later2" && printf '# Target appeared\n' >"$TREE/later2/target.gmi"
within "a symlink's target appears: served at its own path" \
    "$(gport /later2/target.gmi 'Target appeared')"
sleep 0.5
expect_match "no watch saw the symlink's directory change: still 51" '^51 ' \
    "$(gem_req "$(gem_url /links/soon.gmi)" | head -1)"

# ---- after SIGHUP the store still updates (it was taken over, not reloaded)
kill -HUP "$SRV_PID"
wait_for_line "$SRV_LOG" "reloaded" 5
within "SIGHUP catches what no watch reported: the symlink is served" \
    "$(gport /links/soon.gmi 'Target appeared')"
every_worker /links/soon.gmi "Target appeared" "every new worker serves it"
printf '# After the reload\n' >"$TREE/after.gmi"
within "after SIGHUP a new page is served" "$(gport /after.gmi 'After the reload')"
within "after SIGHUP over Gopher" "$(pport /after.gmi 'iAfter the reload')"
every_worker /after.gmi "After the reload" "both new workers serve it"
expect_contains "still serving the edit made before the reload" "Edited in place" \
    "$(gem_req "$(gem_url /page.gmi)")"

# ---- a SIGHUP that finds nothing changed: every answer as it was
answers() {
	local p
	for p in / /page.gmi /linker.gmi /plain/ /thing/ /d2/ /d2/x.gmi \
	    /links/soon.gmi /after.gmi; do
		gem_req "$(gem_url "$p")"
		goph_sel "$p"
	done
}
sleep 1
answers >"$TMP/answers.before"
kill -HUP "$SRV_PID"
wait_for_line "$SRV_LOG" "generation 2" 5
sleep 1
answers >"$TMP/answers.after"
cmp -s "$TMP/answers.before" "$TMP/answers.after"
expect_eq "a SIGHUP with nothing changed: both protocols answer byte for byte as before" 0 $?
expect_contains "(and those answers are pages, not errors)" "Target appeared" \
    "$(cat "$TMP/answers.after")"
kill -0 "$SRV_PID" 2>/dev/null
expect_eq "the server is still alive" 0 $?
stop_tulpar "$SRV_PID" >/dev/null

# ---- chrooted workers (the root is "/" to them) still see changes
if [ "$(id -u)" = 0 ]; then
	CH=$TMP/chrooted
	mkdir -p "$CH" && chmod 755 "$CH" && printf '# Chrooted\n' >"$CH/index.gmi"
	G=$(free_port) P=$(free_port)
	printf '[server]\ngemini = 127.0.0.1:%s\ncert_dir = %s\nuser = nobody\nchroot = yes\n[host localhost]\nroot = %s\ngopher = 127.0.0.1:%s\n' \
	    "$G" "$CERTDIR" "$CH" "$P" >"$TMP/chroot.conf"
	if start_conf "$TMP/chroot.conf" "$G $P"; then
		mkdir "$CH/sub" && printf '# Inside the chroot\n' >"$CH/sub/new.gmi"
		within "chroot = yes: a new page in a new directory is served" \
		    "$(poll gopher "$P" /sub/new.gmi 'iInside the chroot')"
		stop_tulpar "$SRV_PID" >/dev/null
	else
		not_ok "tulpar starts chrooted"
	fi
else
	ok "chroot = yes: skipped (not root)"
fi

# ---- the cache keeps to its budget
BIG=$TMP/bigtree
mkdir -p "$BIG"
python3 - "$BIG" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(600):
    with open(os.path.join(root, "p%03d.gmi" % i), "w") as f:
        f.write("# Page %d\n" % i)
        f.write(("word %d " % i) * 4000 + "\n")
PY
TREE_KB=$(du -sk "$BIG" | cut -f1)
G=$(free_port) P=$(free_port)
cat >"$TMP/cache.conf" <<CONF
[server]
gemini = 127.0.0.1:$G
cert_dir = $CERTDIR
workers = 1
cache_size = 1M
[host localhost]
root = $BIG
gopher = 127.0.0.1:$P
CONF
if start_conf "$TMP/cache.conf" "$G $P"; then
	GPORT=$G PPORT=$P
	W=$(ps -o pid= --ppid "$SRV_PID" | head -1 | tr -d ' ')
	rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$W/status")
	python3 "$CLIENT" sweep "$G" "$P" 600
	rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$W/status")
	diag "tree ${TREE_KB} KB, cache_size 1M, worker RSS ${rss0} -> ${rss1} KB"
	if [ $SANITIZED = 1 ]; then
		echo "# skip: memory growth under a sanitizer build (its quarantine holds freed memory)"
		ok "worker RSS bound (skipped: sanitizer build)"
	else
		expect_lt "worker RSS grew by less than a quarter of the tree" \
		    $((TREE_KB / 4)) $((rss1 - rss0))
	fi
	expect_contains "pages beyond the cache are still served" "Page 7" \
	    "$(gem_req "$(gem_url /p007.gmi)")"
	# A file too big for the cache to hold many of (1M / 256 here) is
	# streamed from disk, whole, on both protocols; a small one is cached.
	head -c 300000 /dev/urandom | base64 -w 76 >"$BIG/big.txt"
	printf 'small\n' >"$BIG/small.txt"
	want=$(sha256sum <"$BIG/big.txt")
	for i in $(seq 1 40); do
		gem_req "$(gem_url /big.txt)" >"$TMP/big.out"
		[ "$(head -c 15 "$TMP/big.out")" = $'20 text/plain\r\n' ] && break
		sleep 0.05
	done
	expect_eq "a file past a 256th of the cache: Gemini sends it whole" "$want" \
	    "$(tail -c +16 "$TMP/big.out" | sha256sum)"
	goph_sel /big.txt >"$TMP/big.out"
	expect_eq "and Gopher too" "$want" "$(sha256sum <"$TMP/big.out")"
	expect_eq "a small file is served from the cache" $'20 text/plain\r\nsmall' \
	    "$(gem_req "$(gem_url /small.txt)")"
	stop_tulpar "$SRV_PID" >/dev/null
else
	not_ok "tulpar starts with cache_size = 1M"
fi

# ---- an allocation limit: a clear start-up error, never a partial tree
if [ $SANITIZED = 1 ]; then
	echo "# skip: address-space limits under a sanitizer build (its shadow memory)"
	summary
	exit $?
fi
SMALL=$TMP/small
mkdir -p "$SMALL" && printf '# Small\n' >"$SMALL/index.gmi"
HUGE=$TMP/huge
python3 - "$HUGE" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "a" * 200, "b" * 200, "c" * 200)
os.makedirs(d)
for i in range(6000):
    open(os.path.join(d, "%05d-" % i + "x" * 180 + ".txt"), "w").close()
PY
G=$(free_port) P=$(free_port)
"$TULPAR" -d "$SMALL" -T "$CERTDIR" -H localhost -G "127.0.0.1:$G" -P "127.0.0.1:$P" \
    </dev/null >/dev/null 2>"$TMP/small.log" &
SPID=$!
SERVER_PIDS+=("$SPID")
wait_listening "$SPID" "$G" "$P"
PEAK=$(awk '/^VmPeak/ {print $2}' "/proc/$SPID/status")
stop_tulpar "$SPID" >/dev/null
LIMIT=$(((PEAK + 2048) * 1024))
timeout 10 prlimit --as="$LIMIT" "$TULPAR" -n -d "$SMALL" -T "$CERTDIR" -H localhost \
    -G "127.0.0.1:$G" -P "127.0.0.1:$P" >/dev/null 2>"$TMP/as-small.log"
expect_eq "under the limit, the small tree loads (-n exit 0)" 0 $?
timeout 10 prlimit --as="$LIMIT" "$TULPAR" -d "$HUGE" -T "$CERTDIR" -H localhost \
    -G "127.0.0.1:$G" -P "127.0.0.1:$P" >/dev/null 2>"$TMP/as-huge.log"
RC=$?
expect_eq "a tree that does not fit: exit 1" 1 "$RC"
expect_match "the error names the path and the size wanted" \
    'tulpar: content root .*: out of memory: cannot allocate [0-9]+ bytes for /' \
    "$(cat "$TMP/as-huge.log")"
expect_eq "nothing is served" 1 "$(port_listening "$G" && echo 0 || echo 1)"

summary
