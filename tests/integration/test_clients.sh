#!/usr/bin/env bash
# What a reader sees in real clients: amfora, bombadillo, sacc and lynx
# driven through tmux (keys in, screen out), kristall under Xvfb (xdotool
# keys in, window title, server log and a screenshot out), all on the
# repository's capsule. A client that is not installed is skipped with a
# "# skip:" line and counts nothing. Everything a client writes (certificate
# stores, settings, history) stays in $TMP; every wait is bounded.
. "$(dirname "$0")/lib.sh"
need_tulpar

CAPSULE=$TMP/capsule
cp -r "$ROOT/capsule" "$CAPSULE"
start_tulpar -d "$CAPSULE" || bail "tulpar starts on the capsule"

CHOME=$TMP/home			# the clients' HOME and XDG directories
mkdir -p "$CHOME/.config" "$CHOME/.local/share" "$CHOME/.cache" "$TMP/run"
chmod 700 "$TMP/run"
CENV=(env -u TMUX HOME="$CHOME" XDG_CONFIG_HOME="$CHOME/.config"
    XDG_DATA_HOME="$CHOME/.local/share" XDG_CACHE_HOME="$CHOME/.cache"
    XDG_RUNTIME_DIR="$TMP/run" LC_ALL=C.UTF-8 TERM=xterm-256color)

# A tmux server of our own (socket in $TMP); panes stay after their client
# exits so a crash still shows on the screen.
TSOCK=$TMP/tmux.sock
# exit-empty off: the server outlives a client's session, so the next
# session never races a server that is shutting down.
printf 'set -s exit-empty off\nset -g remain-on-exit on\nset -g history-limit 1000\n' \
    >"$TMP/tmux.conf"
tm() {
	env -u TMUX tmux -S "$TSOCK" -f "$TMP/tmux.conf" "$@"
}
XVFB_PID=""
KRISTALL_PID=""
_clients_cleanup() {
	[ -S "$TSOCK" ] && tm kill-server 2>/dev/null
	[ -n "$KRISTALL_PID" ] && kill -KILL "$KRISTALL_PID" 2>/dev/null
	[ -n "$XVFB_PID" ] && kill -TERM "$XVFB_PID" 2>/dev/null
}
trap '_clients_cleanup; _cleanup' EXIT

# tui name command...: starts a terminal client in a 100x40 tmux session.
tui() {
	local name=$1 cmd
	shift
	printf -v cmd '%q ' "${CENV[@]}" "$@"
	tm new-session -d -x 100 -y 40 -s "$name" "$cmd"
}
# screen name: what the terminal shows now, one line a row.
# amfora's scroll bar (the last column) is cut off.
screen() {
	tm capture-pane -p -t "$1" 2>/dev/null | sed -E 's/[[:space:]]*[▒░▓█]$//'
}
# see name extended-regex [seconds]: until the screen has a matching line
# (default 5 s); SCR holds the last screen. Returns 1 on timeout.
see() {
	local i n=$((${3:-5} * 10))
	for ((i = 0; i < n; i++)); do
		SCR=$(screen "$1")
		grep -qE -- "$2" <<<"$SCR" && return 0
		sleep 0.1
	done
	return 1
}
# keys name key...: types into the client; each argument is one tmux key
# (or literal text), with a pause so clients that read input in bursts
# see them one at a time.
keys() {
	local name=$1 k
	shift
	for k in "$@"; do
		tm send-keys -t "$name" -- "$k"
		sleep 0.15
	done
}
# expect_screen name client extended-regex [seconds]: a check that the
# client's screen shows a matching line; shows the screen if not.
expect_screen() {
	if see "$2" "$3" "${4:-5}"; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected a line matching: $3" "screen (blank lines left out):"
		grep -v '^[[:space:]]*$' <<<"$SCR" | sed 's/^/#   | /'
		diag "server log since the client started:"
		tail -n +$((LOGMARK + 1)) "$SRV_LOG" | tail -n 4 | sed 's/^/#   | /'
	fi
}
# lines regex: the lines of $SCR that match, leading and trailing blanks cut.
lines() {
	grep -E -- "$1" <<<"$SCR" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}
# quit name: ends the client (tmux sends it SIGHUP), bounded.
quit() {
	tm kill-session -t "$1" 2>/dev/null
}
have() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || return 1
	done
}
# mark: later `logged` checks look only at access-log lines after this point,
# so one client's request is never taken for another's.
LOGMARK=0
mark() {
	LOGMARK=$(wc -l <"$SRV_LOG")
}
# logged extended-regex: a matching access-log line after the mark (5 s).
logged() {
	local i
	for i in $(seq 1 50); do
		tail -n +$((LOGMARK + 1)) "$SRV_LOG" | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

G=gemini://localhost:$GPORT
O=gopher://127.0.0.1:$PPORT
PRIORITIES='I. Strengthening the potential of the SCO
II. Security and stability
III. Expansion of trade and economic ties
IV. Cultural and humanitarian cooperation
V. Expansion and international relations'
# The five bullets of /chairmanship/ (their first two words).
BULLETS='improving the
strengthening potential
deepening ties
deepening cooperation
expansion of'

# list_shape glyph: the first list on the screen ($SCR), from its first
# bullet to the next blank line, one line each: "* text" for a bullet,
# "  text" for a line indented deeper than the bullet (a continuation),
# "? text" for anything else. sacc's "|" margin is cut off first.
list_shape() {
	sed -E 's/^ +\| ?//' <<<"$SCR" | awk -v g="$1 " '
	{ match($0, /^ */); ind = RLENGTH; rest = substr($0, ind + 1) }
	!blk && index(rest, g) != 1 { next }
	!blk { blk = 1; bi = ind }
	rest == "" { exit }
	index(rest, g) == 1 { print "* " substr(rest, length(g) + 1); next }
	ind > bi { print "  " rest; next }
	{ print "? " rest }'
}
# check_list client glyph [continuations]: 5 bullets with the right words,
# wrapped items continue indented under their bullet with no bullet of
# their own; for Gopher (tulpar wraps) the continuation lines themselves.
check_list() {
	local shape
	shape=$(list_shape "$2")
	expect_eq "$1: the priorities list shows 5 bullets" "$BULLETS" \
	    "$(sed -n 's/^\* //p' <<<"$shape" | awk '{ print $1, $2 }')"
	expect_eq "$1: every other line of the list is a continuation" "" \
	    "$(grep '^?' <<<"$shape")"
	if [ $# -ge 3 ]; then
		expect_eq "$1: the wrapped items continue as" "$3" \
		    "$(sed -n 's/^  //p' <<<"$shape")"
	else
		expect_ge "$1: wrapped items have continuation lines" 1 \
		    "$(grep -c '^  ' <<<"$shape")"
	fi
}
# The pages that mention Almaty, as search results label them.
RESULTS='IV. Deepening cultural and humanitarian cooperation
Glossary
Kazakhstan chairs the SCO'
GOPHER_CONT='platform;
stability in the SCO region;'

# ---------------------------------------------------------------- amfora
if have tmux amfora; then
	mark
	tui am amfora "$G/"
	expect_screen "amfora: the capsule's title, with no certificate prompt" am \
	    '^ +# Kazakhstan and the SCO$' 10
	expect_eq "amfora: the five priorities are links [2]..[6]" "$PRIORITIES" \
	    "$(lines '^ +\[[2-6]\] ' | sed -E 's/^\[[0-9]\] +//')"
	expect_contains "amfora: the search page is a link" "Search this capsule" \
	    "$(lines '^ +\[[0-9]+\] +Search this capsule$')"
	expect_true "amfora: the certificate was pinned in TMP" \
	    grep -rqs localhost "$CHOME/.cache/amfora" "$CHOME/.local/share/amfora"
	keys am 2
	expect_screen "amfora: following link 2 opens the first priority" am \
	    '^ +# I\. Strengthening the potential of the SCO$'
	expect_lacks "amfora: the home page is gone from the screen" \
	    "# Kazakhstan and the SCO" "$SCR"
	expect_contains "amfora: the address bar shows the page" \
	    "$G/chairmanship/reform.gmi" "$(tail -n 1 <<<"$SCR")"

	keys am Space "$G/chairmanship/" Enter
	expect_screen "amfora: /chairmanship/ opens" am \
	    '^ +# Kazakhstan’s chairmanship of the SCO$'
	check_list amfora •

	keys am Space "$G/search" Enter
	expect_screen "amfora: /search asks for words in an input box" am \
	    '║ +Search this capsule +║'
	# Enter in amfora's input field moves to its "Send" button; a second
	# Enter sends, as a reader would press it.
	keys am Almaty Enter
	if ! see am '^ +# Search: Almaty$' 1 && grep -qE 'Send +Cancel' <<<"$SCR"; then
		keys am Enter
	fi
	expect_screen "amfora: the answer is the results page" am '^ +# Search: Almaty$'
	expect_eq "amfora: results list the three pages, the glossary among them" \
	    "$RESULTS" "$(lines '^ +\[[1-3]\] ' | sed -E 's/^\[[0-9]\] +//')"
	expect_true "amfora: the server answered the query with 20" \
	    logged 'gemini "gemini://localhost:[0-9]+/search\?Almaty" 20 '
	quit am
else
	echo "# skip: amfora or tmux is not installed"
fi

# ---------------------------------------------------------------- sacc
if have tmux sacc; then
	mark
	tui sa sacc "$O/"
	expect_screen "sacc: the root menu shows the capsule's title" sa \
	    '^ +\| Kazakhstan and the SCO$' 8
	expect_eq "sacc: the five priorities are menus (Dir)" "$PRIORITIES" \
	    "$(lines '^Dir\+ (I|II|III|IV|V)\. ' | sed 's/^Dir+ //')"
	expect_eq "sacc: the search is an index-search item (Ind)" \
	    "Ind+ Search this capsule" "$(lines 'Search this capsule')"
	keys sa J l	# select the first item ("Overview"), open it
	expect_screen "sacc: /chairmanship/ opens" sa \
	    '^ +\| Kazakhstan’s chairmanship of the SCO$'
	check_list sacc '*' "$GOPHER_CONT"
	expect_contains "sacc: the status line names the selector" \
	    "/1/chairmanship/" "$(tail -n 1 <<<"$SCR")"
	keys sa h G l	# back, select the last item (the search), open it
	expect_screen "sacc: the search item asks for a query" sa \
	    '^Enter search string'
	keys sa Almaty Enter
	expect_screen "sacc: the answer is a results menu" sa '^ +\| Search: Almaty$'
	expect_eq "sacc: results list the three pages as menus, the glossary among them" \
	    "Dir+ IV. Deepening cultural and humanitarian cooperation
Dir+ Glossary
Dir+ Kazakhstan chairs the SCO" "$(lines '^Dir\+ ' | grep -v '^Dir+ Home$')"
	expect_true "sacc: the server saw the query as selector TAB words" \
	    logged 'gopher "/search\\x09Almaty" 1 '
	quit sa
	# Two words: the excerpt is the line that has both, not the page's
	# first mention of either (the glossary opens with the SCO).
	tui sa2 sacc "$O/7/search"
	expect_screen "sacc: a search address asks for a query" sa2 '^Enter search string'
	keys sa2 "Astana SCO" Enter
	expect_screen "sacc: the results of two words" sa2 '^ +\| Search: Astana SCO$'
	expect_match "sacc: the glossary's excerpt names both words" \
	    'Astana.*SCO|SCO.*Astana' "$(awk '/^Dir\+ Glossary$/ { on = 1; next }
	    on && /^ +\| > / { sub(/^ +\| > /, ""); printf "%s ", $0; next }
	    { on = 0 }' <<<"$SCR")"
	quit sa2
else
	echo "# skip: sacc or tmux is not installed"
fi

# ---------------------------------------------------------------- bombadillo
if have tmux bombadillo; then
	mark
	tui bo bombadillo "$G/"
	expect_screen "bombadillo: the capsule's title over Gemini" bo \
	    '^ +# Kazakhstan and the SCO$' 10
	expect_eq "bombadillo: the five priorities are links [2]..[6]" "$PRIORITIES" \
	    "$(lines '^\[[2-6]\] ' | sed -E 's/^\[[0-9]\] +//')"
	expect_true "bombadillo: the certificate was pinned in TMP" \
	    grep -qs '^localhost=' "$CHOME/.config/.bombadillo.ini"
	keys bo : 2 Enter
	expect_screen "bombadillo: link 2 opens the first priority" bo \
	    '^ +# I\. Strengthening the potential of the SCO$'
	expect_contains "bombadillo: the address bar shows the page" \
	    "$G/chairmanship/reform.gmi" "$(head -n 1 <<<"$SCR")"
	keys bo : "$G/search" Enter
	expect_screen "bombadillo: /search asks for words" bo '^Search this capsule\?'
	keys bo Almaty Enter
	expect_screen "bombadillo: Gemini results" bo '^ +# Search: Almaty$'
	expect_eq "bombadillo: Gemini results link the three pages" "$RESULTS" \
	    "$(lines '^\[[1-3]\] ' | sed -E 's/^\[[0-9]\] +//')"

	# A result that is a directory's index page opens at the directory's
	# address, the one the capsule's own links use (one page in history).
	keys bo : "$G/search?chairmanship%20priorities" Enter
	expect_screen "bombadillo: results for two words" bo \
	    '^ +# Search: chairmanship priorities$'
	keys bo : 1 Enter
	expect_screen "bombadillo: the first result is the chairmanship overview" bo \
	    '^ +# Kazakhstan’s chairmanship of the SCO$'
	expect_match "bombadillo: ... at its directory's address" \
	    "▟ $G/chairmanship/\$" "$(head -n 1 <<<"$SCR" | sed 's/ *$//')"

	keys bo : "$O/1/chairmanship/" Enter
	expect_screen "bombadillo: /chairmanship/ over Gopher" bo \
	    '^ +Kazakhstan’s chairmanship of the SCO$'
	check_list bombadillo '*' "$GOPHER_CONT"
	expect_eq "bombadillo: the five priorities are menus (MAP)" 5 \
	    "$(lines '^MAP +\[[1-5]\] +(I|II|III|IV|V)\. ' | wc -l)"
	keys bo : "$O/" Enter
	expect_screen "bombadillo: the Gopher root menu" bo 'Search this capsule$'
	n=$(sed -nE 's/^FTS +\[([0-9]+)\] +Search this capsule$/\1/p' <<<"$SCR")
	expect_match "bombadillo: the search is a search item (FTS)" '^[0-9]+$' "$n"
	keys bo : "${n:-0}" Enter
	expect_screen "bombadillo: the search item asks for a query" bo '^\?\?'
	keys bo Almaty Enter
	expect_screen "bombadillo: Gopher results" bo '^ +Search: Almaty$'
	expect_contains "bombadillo: the glossary is among them" \
	    "MAP   [2]  Glossary" "$SCR"
	quit bo
else
	echo "# skip: bombadillo or tmux is not installed"
fi

# ---------------------------------------------------------------- lynx
if have tmux lynx; then
	mark
	tui ly lynx -nopause -number_links "$O/"
	expect_screen "lynx: the Gopher root menu" ly '^ +Kazakhstan and the SCO$' 8
	expect_eq "lynx: the five priorities are directories" "$PRIORITIES" \
	    "$(lines '^ \(DIR\) \[[2-6]\]' | sed -E 's/^\(DIR\) \[[0-9]\]//')"
	keys ly End Right	# the last link is the search item
	expect_screen "lynx: the search item asks for a query" ly \
	    '^Enter a database query:'
	expect_match "lynx: it is a search item (?)" '^\(\?\) +\[[0-9]+\]Search this capsule$' \
	    "$(lines 'Search this capsule$')"
	keys ly Almaty Enter
	expect_screen "lynx: the answer is a results menu" ly '^ +Search: Almaty$'
	expect_eq "lynx: results list the three pages, the glossary among them" \
	    "[1]IV. Deepening cultural and humanitarian cooperation
[2]Glossary
[3]Kazakhstan chairs the SCO" "$(lines '^ \(DIR\) \[[1-3]\]' | sed 's/^(DIR) //')"
	keys ly g "$O/1/chairmanship/" Enter
	expect_screen "lynx: /chairmanship/ opens" ly '^ +Kazakhstan’s chairmanship of the SCO$'
	check_list lynx '*' "$GOPHER_CONT"
	quit ly
else
	echo "# skip: lynx or tmux is not installed"
fi

# ---------------------------------------------------------------- search results' addresses
# What the clients above follow: no result links a directory's index.gmi
# (the capsule links "/", "chairmanship/"; two addresses for one page
# split a reader's history and bookmarks).
r=$(gem_req "$G/search?SCO")
expect_match "Gemini: the search for SCO lists 20 results" '^20 ' "$r"
expect_eq "Gemini: no result links an index.gmi" "" "$(grep -E '^=> [^ ]*index\.gmi' <<<"$r")"
expect_contains "Gemini: the home page is linked as /" "=> / Kazakhstan and the SCO" "$r"
r=$(goph_sel $'/search\tSCO')
expect_eq "Gopher: no result's selector is an index.gmi" "" \
    "$(grep -E $'^1[^\t]*\t[^\t]*index\\.gmi\t' <<<"$r")"
expect_contains "Gopher: the home page's selector is /" $'1Kazakhstan and the SCO\t/\t' "$r"

# ---------------------------------------------------------------- the README's commands
# The README's Gopher commands, with this server's port, show the capsule.
mapfile -t cmds < <(sed -n '/^- \*\*Gopher\*\*/,/^$/p' "$ROOT/README.md" |
    grep -o '`[a-z]* [^`]*`' | tr -d '`' | sed "s/7070/$PPORT/g")
expect_ge "the README names Gopher client commands" 3 "${#cmds[@]}"
for c in "${cmds[@]}"; do
	read -ra argv <<<"$c"
	if [ "${argv[0]}" = curl ]; then
		expect_contains "README: \`$c\` prints the menu" $'iKazakhstan and the SCO\t' \
		    "$(timeout 10 "${argv[@]}" -s --max-time 8)"
	elif have tmux "${argv[0]}"; then
		tui rd "${argv[@]}"
		expect_screen "README: \`$c\` shows the capsule" rd 'Kazakhstan and the SCO$' 8
		quit rd
	else
		echo "# skip: ${argv[0]} (from the README) is not installed"
	fi
done

# ---------------------------------------------------------------- kristall
# kristall 0.4 does not load a URL given on its command line (it opens
# about:blank), so the URL is typed into its address bar as a reader would.
# win_title: the title of kristall's main window ("<page title> - Kristall").
win_title() {
	local w t
	for w in $(DISPLAY=$XDISP xdotool search --class kristall 2>/dev/null); do
		t=$(DISPLAY=$XDISP xdotool getwindowname "$w" 2>/dev/null)
		case $t in *" - Kristall") printf '%s\n' "$t"; return 0 ;; esac
	done
	return 1
}
# title_is name title: a check that the window title becomes title (5 s).
title_is() {
	local i t=""
	for i in $(seq 1 50); do
		t=$(win_title)
		[ "$t" = "$2" ] && break
		sleep 0.1
	done
	expect_eq "$1" "$2" "$t"
}
# kgo url: types url into the address bar (Ctrl+L) and presses Return.
kgo() {
	DISPLAY=$XDISP xdotool windowfocus --sync "$KWIN" key ctrl+l
	DISPLAY=$XDISP xdotool type --delay 5 "$1"
	DISPLAY=$XDISP xdotool key Return
}
if ! have Xvfb kristall xdotool import; then
	echo "# skip: Xvfb, kristall, xdotool or imagemagick's import is not installed"
else
	Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$TMP/xdisplay" \
	    >"$TMP/xvfb.log" 2>&1 &
	XVFB_PID=$!
	disown "$XVFB_PID"
	for i in $(seq 1 50); do
		[ -s "$TMP/xdisplay" ] && break
		sleep 0.1
	done
	XDISP=:$(head -n 1 "$TMP/xdisplay")
fi
if [ -z "$XVFB_PID" ]; then
	:
elif [ "$XDISP" = ":" ]; then
	echo "# skip: Xvfb did not start"
	sed 's/^/#   /' "$TMP/xvfb.log" | tail -n 5
else
	mkdir -p "$CHOME/.config/kristall"
	printf '[Protocols]\ngopher=true\n' >"$CHOME/.config/kristall/config.ini"
	mark
	"${CENV[@]}" DISPLAY="$XDISP" kristall --isolated >"$TMP/kristall.log" 2>&1 &
	KRISTALL_PID=$!
	disown "$KRISTALL_PID"	# no "Killed" line from bash at the end
	KWIN=""
	for i in $(seq 1 200); do
		KWIN=$(DISPLAY=$XDISP xdotool search --onlyvisible --name 'Kristall$' \
		    2>/dev/null | head -n 1)
		[ -n "$KWIN" ] && break
		sleep 0.1
	done
	if [ -z "$KWIN" ]; then
		echo "# skip: kristall shows no window under Xvfb ($XDISP) in 20 s"
		sed 's/^/#   /' "$TMP/xvfb.log" "$TMP/kristall.log" | tail -n 5
	else
		kgo "$G/"
		title_is "kristall: the window shows the capsule's title" \
		    "Kazakhstan and the SCO - Kristall"
		expect_true "kristall: the server answered its request with 20" \
		    logged 'gemini "gemini://localhost:[0-9]+/" 20 '
		DISPLAY=$XDISP import -window root "$TMP/kristall-home.png"
		kgo "$G/chairmanship/"
		title_is "kristall: /chairmanship/ opens" \
		    "Kazakhstan’s chairmanship of the SCO - Kristall"
		kgo "$G/search"
		expect_true "kristall: /search answered 10" \
		    logged 'gemini "gemini://localhost:[0-9]+/search" 10 '
		# The input dialog: a second visible window; it has the focus.
		for i in $(seq 1 50); do
			DISPLAY=$XDISP xdotool search --onlyvisible --class kristall \
			    2>/dev/null | grep -qvx "$KWIN" && break
			sleep 0.1
		done
		sleep 0.2
		DISPLAY=$XDISP xdotool type --delay 5 Almaty
		DISPLAY=$XDISP xdotool key Return
		title_is "kristall: the answer to the prompt is the results page" \
		    "Search: Almaty - Kristall"
		kgo "$O/1/chairmanship/"
		expect_true "kristall: /chairmanship/ over Gopher answered" \
		    logged 'gopher "/chairmanship/" 1 '
		sleep 0.5
		DISPLAY=$XDISP import -window root "$TMP/kristall-gopher.png"
		expect_true "kristall: still running after four pages" \
		    kill -0 "$KRISTALL_PID"
		expect_match "kristall: the screenshots are PNG images" \
		    '^PNG PNG$' "$(identify -format '%m ' "$TMP/kristall-home.png" \
		    "$TMP/kristall-gopher.png" 2>/dev/null | sed 's/ $//')"
	fi
fi

summary
