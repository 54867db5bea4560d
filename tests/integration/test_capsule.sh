#!/usr/bin/env bash
# The demo capsule (capsule/) as Gopher clients see it: one bullet line per
# list item on every page (a wrapped item goes on with a hanging indent),
# over curl and lynx -dump; every Home item is the root menu "/" and no
# item names an index.gmi (one address per page).
. "$(dirname "$0")/lib.sh"
need_tulpar

CAPSULE=$ROOT/capsule
start_tulpar -d "$CAPSULE" || bail "tulpar starts on the capsule"
TAB=$'\t'

# list_items file: the gemtext list lines ("* ") outside preformatted blocks.
list_items() {
	awk '/^```/ { pre = !pre; next } !pre && /^\* / { n++ } END { print n + 0 }' "$1"
}

# bullets menu: the menu's info lines that start a list item ("i* ").
bullets() {
	printf '%s' "$1" | grep -c "^i\\* "
}

# ---------------------------------------------------------------- curl, every page

pages=0
for f in $(cd "$CAPSULE" && find . -name '*.gmi' | sort); do
	sel=${f#.}
	[ "${sel##*/}" = index.gmi ] && sel=${sel%index.gmi}
	capture menu goph_curl "/1$sel"
	expect_match "$sel: a whole menu" $'\r\n\\.\r\n$' "$menu"
	expect_eq "$sel: one bullet line per list item" "$(list_items "$CAPSULE/$f")" \
	    "$(bullets "$menu")"
	expect_nomatch "$sel: no item's selector names an index.gmi" \
	    $'\t[^\t\r\n]*index\\.gmi\t' "$menu"
	if [ "$sel" != / ]; then
		expect_contains "$sel: Home is the root menu, selector /" \
		    $'\n1Home\t/\tlocalhost\t'"$PPORT"$'\r\n' "$menu"
	fi
	pages=$((pages + 1))
done
expect_ge "checked every capsule page (at least 20)" 20 "$pages"

# The page the bug was seen on: five priorities, two of them wrapped.
capture menu goph_curl /1/chairmanship/
expect_eq "/chairmanship/: five bullets for the five priorities" 5 "$(bullets "$menu")"
expect_contains "/chairmanship/: a wrapped item goes on with a hanging indent" \
    $'i* improving the SCO and transforming it into an even more effective\t\tnull.host\t1\r\ni  platform;\t' \
    "$menu"
expect_lacks "/chairmanship/: no bullet before a continuation" "i* platform;" "$menu"

# ---------------------------------------------------------------- lynx

capture dump timeout 10 lynx -dump -width=100 "gopher://127.0.0.1:$PPORT/1/chairmanship/"
expect_eq "lynx -dump /chairmanship/: five bullet lines" 5 \
    "$(printf '%s\n' "$dump" | grep -cE '^ +\* ')"
expect_match "lynx -dump /chairmanship/: the continuation is indented under the text" \
    $'\n( +)\\* improving the SCO and transforming it into an even more effective\n\\1  platform;\n' \
    "$dump"

summary
