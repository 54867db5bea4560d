#!/usr/bin/env bash
# Content mistakes are reported, one line per file with its path, by
# `tulpar -n` and in the log after start-up, with a summary line of counts;
# what is fine is still served. A page's leading byte-order mark is dropped.
. "$(dirname "$0")/lib.sh"
need_tulpar

C=$TMP/content
mkdir -p "$C/sub" "$C/closed"
printf '# Home\n=> good.gmi Good\n=> sub/ Sub\n' >"$C/index.gmi"
printf '# Good\n=> index.gmi Home\n=> /sub/inner.gmi Inner\n=> gemini://localhost/good.gmi Self\n=> https://example.org/ Web\n' >"$C/good.gmi"
printf '# Inner\n' >"$C/sub/inner.gmi"
printf '# Bad bytes \xff\xfe here\n' >"$C/latin1.gmi"
printf '# Broken\n=> missing.gmi Nowhere\n=> /sub/gone/ Gone\n' >"$C/broken.gmi"
printf '# My page\n' >"$C/my page.gmi"
printf '# Spaces\n=> my page.gmi My page\n' >"$C/spaces.gmi"
printf '\xef\xbb\xbf# With a BOM\nText\n' >"$C/bom.gmi"
printf 'secret\n' >"$C/private.txt"
chmod 600 "$C/private.txt"
printf '# Closed\n' >"$C/closed/x.gmi"
chmod 700 "$C/closed"
touch "$C/$(printf 'bad\001name.gmi')" "$C/$(printf 'latin\xe9.gmi')"
AS_ROOT=0
[ "$(id -u)" = 0 ] && AS_ROOT=1

G=$(free_port) P=$(free_port)
OUT=$TMP/n.out ERR=$TMP/n.err
"$TULPAR" -n -d "$C" -T "$CERTDIR" -H localhost -G "127.0.0.1:$G" -P "127.0.0.1:$P" \
    >"$OUT" 2>"$ERR"
expect_eq "-n with content mistakes still passes (exit 0)" 0 $?
E=$(cat "$ERR")
# one_report name regex: exactly one stderr line matches.
one_report() {
	expect_eq "$1" 1 "$(grep -cE -- "$2" "$ERR")"
}
one_report "not UTF-8: one line naming the file" "^tulpar: warning: $C/latin1.gmi: not valid UTF-8\$"
one_report "a link to a missing page" "^tulpar: warning: $C/broken.gmi: link to a page that does not exist: missing.gmi\$"
one_report "a link to a missing directory" "^tulpar: warning: $C/broken.gmi: link to a page that does not exist: /sub/gone/\$"
one_report "a link with a raw space" "^tulpar: warning: $C/spaces.gmi: link \"my page.gmi\" has a raw space"
one_report "a skipped name with a control byte" \
    "^tulpar: warning: $C/: skipped \"bad.x01name.gmi\": the name is not UTF-8 or has control bytes\$"
one_report "a skipped name that is not UTF-8" "^tulpar: warning: $C/: skipped \"latin.xe9.gmi\""
expect_lacks "good links are not reported" "good.gmi:" "$E"
expect_lacks "the page linked with %20-less space exists and is not 'missing'" \
    "spaces.gmi: link to a page" "$E"
if [ $AS_ROOT = 1 ]; then
	one_report "a file the serving user cannot read" \
	    "^tulpar: warning: $C/private.txt: the serving user \\(uid [0-9]+\\) cannot read it\$"
	one_report "a directory the serving user cannot enter" \
	    "^tulpar: warning: $C/closed/: the serving user \\(uid [0-9]+\\) cannot read it\$"
else
	ok "a file the serving user cannot read (skipped: not root)"
	ok "a directory the serving user cannot enter (skipped: not root)"
fi
S=$(grep '^content of localhost:' "$OUT")
expect_match "-n prints a summary with the counts" \
    "problems? \\(1 not UTF-8, 2 broken links, 1 links with spaces, [0-9]+ unreadable, 2 bad names," "$S"

# An empty root.
mkdir -p "$TMP/empty"
"$TULPAR" -n -d "$TMP/empty" -T "$CERTDIR" -H localhost -G "127.0.0.1:$G" \
    -P "127.0.0.1:$P" >"$OUT" 2>"$ERR"
expect_eq "-n on an empty root: exit 0" 0 $?
one_report "an empty root is reported" "^tulpar: warning: $TMP/empty/: the content root is empty\$"
expect_contains "its summary counts it" "1 empty roots" "$(cat "$OUT")"

# At start-up: the same lines and the summary in the log; the rest is served.
start_tulpar -d "$C" || bail "tulpar starts on a tree with mistakes"
wait_for_line "$SRV_LOG" "^tulpar: content of localhost: " 10
expect_contains "the start-up summary is logged" "content of localhost:" "$(cat "$SRV_LOG")"
expect_contains "the start-up log names the page that is not UTF-8" \
    "$C/latin1.gmi: not valid UTF-8" "$(cat "$SRV_LOG")"
expect_contains "a good page is served" "# Good" "$(gem_req "$(gem_url /good.gmi)")"
expect_contains "the page with bad bytes is still served" "20 text/gemini" \
    "$(gem_req "$(gem_url /latin1.gmi)" | head -1)"

# The byte-order mark: gone over both protocols.
expect_eq "Gemini: no BOM before the heading" "# With a BOM" \
    "$(gem_req "$(gem_url /bom.gmi)" | sed -n 2p)"
menu=$(goph_sel /bom.gmi)
expect_match "Gopher: the heading is an info line" $'^iWith a BOM\t' "$menu"
expect_contains "Gopher: the heading is underlined" $'i==========\t' "$menu"

summary
