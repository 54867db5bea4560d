#!/usr/bin/env bash
# Search (issue 15): the capsule's search page over Gemini (status 10, then
# results) and Gopher (a type 7 item, results as a menu), with curl and
# lynx as the Gopher clients; bad queries; paging; configuration.
. "$(dirname "$0")/lib.sh"
need_tulpar

CAPSULE=$TMP/capsule
cp -r "$ROOT/capsule" "$CAPSULE"
start_tulpar -d "$CAPSULE" || bail "tulpar starts on the capsule"

# search words...: the Gemini answer to /search?<words, percent-encoded>.
gsearch() {
	gem_req "$(gem_url /search)?$1"
}
# links answer: the link targets of a gemtext answer, in order, one a line.
links() {
	printf '%s\n' "$1" | sed -n 's/^=> \([^ ]*\) .*/\1/p' | grep -v '^/search' | grep -vx /
}

r=$(gem_req "$(gem_url /search)")
expect_eq "/search prompts for words" $'10 Search this capsule\r' "$r"
r=$(gem_req "$(gem_url /search)?")
expect_eq "an empty query prompts again" $'10 Search this capsule\r' "$r"

# A glossary term: the glossary, whose heading it is, comes first.
r=$(gsearch Almaty)
expect_match "a term answers 20 text/gemini" '^20 text/gemini' "$r"
# Both pages with an Almaty heading rank above the one that only mentions it.
expect_eq "Almaty: pages with the heading, then the one that mentions it" \
    "/chairmanship/culture.gmi
/glossary.gmi
/news/2023-07-05-chairmanship-begins.gmi" "$(links "$r")"
expect_contains "the heading repeats the query" "# Search: Almaty" "$r"
expect_contains "an excerpt quotes the matching line" \
    "> For the entire period of its chairmanship" "$r"
expect_contains "results are labelled with the page's first heading" \
    "=> /chairmanship/culture.gmi IV. Deepening cultural and humanitarian cooperation" "$r"

# A phrase from one priority page, and the same words out of order.
r=$(gsearch '%22in%20terms%20of%20strengthening%20investment%20synergy%22')
expect_eq "a quoted phrase finds its page, then the glossary that quotes it" \
    "/chairmanship/economy.gmi
/glossary.gmi" "$(links "$r")"
r=$(gsearch '%22SCO%20Investment%20Fund%22')
expect_eq "a phrase the glossary explains: the glossary entry first" \
    "/glossary.gmi
/chairmanship/economy.gmi" "$(links "$r")"
r=$(gsearch '%22Fund%20Investment%20SCO%22')
expect_contains "the phrase out of order matches nothing" "No page matches." "$r"
r=$(gsearch 'investment%20fund%20SCO')
expect_contains "the same words unquoted match (AND)" "=> /chairmanship/economy.gmi" "$r"
r=$(gsearch 'investment%20nonexistentword')
expect_contains "words are ANDed" "No page matches." "$r"

# A Cyrillic name in three cases, percent-encoded as clients send it.
for q in '%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0' '%D0%B0%D1%81%D1%82%D0%B0%D0%BD%D0%B0' \
    '%D0%90%D0%A1%D0%A2%D0%90%D0%9D%D0%90'; do
	r=$(gsearch "$q")
	expect_eq "Cyrillic $q finds the glossary" "/glossary.gmi" "$(links "$r")"
done
r=$(gsearch 'ALMATY')
expect_eq "Latin case folds too" 3 "$(links "$r" | wc -l)"

# Limits and bad input.
q256=$(printf 'a%.0s' $(seq 1 256))
r=$(gsearch "$q256")
expect_match "a 256-byte query is answered" '^20 text/gemini' "$r"
r=$(gsearch "${q256}a")
expect_match "a 257-byte query is a 59" '^59 ' "$r"
r=$(gsearch '%D0%90%D1%81%D1')
expect_match "a query cut inside a UTF-8 character is a 59" '^59 .*UTF-8' "$r"
r=$(gsearch '%FF%FE')
expect_match "invalid UTF-8 is a 59" '^59 ' "$r"
r=$(gsearch 'a%00b')
expect_match "an encoded NUL is a 59" '^59 ' "$r"
r=$(gsearch 'Almaty%09SCO%0D%0A=>%20/evil')
expect_match "encoded TAB, CR and LF are answered" '^20 text/gemini' "$r"
expect_lacks "and never reach the page as line breaks" $'\n=> /evil' "$r"
expect_contains "the heading keeps them as spaces" "# Search: Almaty SCO  => /evil" "$r"
r=$(gsearch '%21%21%21%20...%20%22%22')
expect_contains "a query of only punctuation says so" "No words to search for" "$r"
r=$(gem_req "$(gem_url /search/0)?x")
expect_match "page 0 does not exist" '^51 ' "$r"
r=$(gem_req "$(gem_url /search/abc)?x")
expect_match "a page that is not a number does not exist" '^51 ' "$r"

# Gopher: the root menu offers the search as a type 7 item.
r=$(goph_curl /1/)
expect_contains "the root menu has the type 7 item" \
    $'7Search this capsule\t/search\tlocalhost\t'"$PPORT" "$r"
capture r goph_sel $'/search\tAlmaty'
expect_contains "a type 7 round trip answers a menu with the page" \
    $'1Glossary\t/glossary.gmi\tlocalhost\t'"$PPORT" "$r"
expect_contains "with the excerpt as info lines" \
    $'i> For the entire period of its chairmanship' "$r"
expect_eq "the menu ends with a lone dot" $'\r\n.\r\n' "${r: -5}"
r=$(goph_curl '/7/search%09%D0%B0%D1%81%D1%82%D0%B0%D0%BD%D0%B0')
expect_contains "curl: a Cyrillic search over Gopher" $'1Glossary\t/glossary.gmi' "$r"
r=$(goph_sel /search)
expect_contains "the search selector without words offers the item" \
    $'7Search this capsule\t/search\tlocalhost' "$r"
r=$(goph_sel $'/search\t'"${q256}a")
expect_match "overlong words: an error item" $'^3Bad request: query too long' "$r"
r=$(goph_sel $'/search\t\xff\xfe')
expect_match "invalid UTF-8 words: an error item" $'^3Bad request: query is not valid UTF-8' "$r"
if command -v lynx >/dev/null; then
	r=$(timeout 10 lynx -dump -nolist "gopher://127.0.0.1:$PPORT/7/search?Almaty" 2>&1)
	expect_contains "lynx -dump: the search finds the glossary" "Glossary" "$r"
	expect_contains "lynx -dump: with the excerpt" "For the entire period" "$r"
else
	not_ok "lynx is installed (make check installs it)"
fi

# The index follows the pages on disk, without a reload.
printf '# Fresh news\n\nA wombat arrived.\n' >"$CAPSULE/wombat.gmi"
poll r "=> /wombat.gmi Fresh news" gsearch wombat
expect_contains "a new page is found within 3 s" "=> /wombat.gmi Fresh news" "$r"
printf '# Fresh news\n\nThe wombat left; a numbat came.\n' >"$CAPSULE/wombat.tmp"
mv "$CAPSULE/wombat.tmp" "$CAPSULE/wombat.gmi"
poll r "=> /wombat.gmi" gsearch numbat
expect_contains "an edited page is found by its new words" "=> /wombat.gmi Fresh news" "$r"
rm "$CAPSULE/wombat.gmi"
poll r "No page matches." gsearch numbat
expect_contains "a deleted page is found no more" "No page matches." "$r"
stop_tulpar

# Paging on a tree of 25 matching pages.
mkdir -p "$TMP/many"
for i in $(seq -w 1 25); do
	printf '# Zebra page %s\n\nA zebra lives here.\n' "$i" >"$TMP/many/z$i.gmi"
done
start_tulpar -d "$TMP/many" || bail "tulpar starts on 25 pages"
r=$(gsearch zebra)
expect_eq "page 1 holds 20 results" 20 "$(links "$r" | wc -l)"
expect_contains "page 1 says how many" "25 pages match; 1 to 20:" "$r"
expect_contains "page 1 links the next page" "=> /search/2?zebra Next results (21 to 25)" "$r"
r=$(gem_req "$(gem_url /search/2)?zebra")
expect_eq "page 2 holds the other 5" 5 "$(links "$r" | wc -l)"
expect_contains "page 2 links back" "=> /search/1?zebra Previous results" "$r"
# A phrase is checked against the pages only as far as the page asked for.
r=$(gsearch '%22zebra%20lives%22')
expect_contains "a phrase on page 1: a lower bound" "At least 21 pages match; 1 to 20:" "$r"
expect_contains "and the next page" "Next results (from 21)" "$r"
r=$(gem_req "$(gem_url /search/2)?%22zebra%20lives%22")
expect_contains "a phrase on the last page: the whole count" "25 pages match; 21 to 25:" "$r"
r=$(goph_sel $'/search\tzebra')
expect_contains "Gopher: the next page is a menu selector with the words" \
    $'1Next results (21 to 25)\t/search/2/zebra\tlocalhost' "$r"
r=$(goph_sel /search/2/zebra)
expect_eq "Gopher: that selector serves page 2" 5 "$(printf '%s' "$r" | grep -c $'^1Zebra page')"
stop_tulpar

# The flag: -S path, -S off, and a bad path refused.
start_tulpar -d "$TMP/many" -S /find || bail "tulpar -S /find starts"
r=$(gem_req "$(gem_url /find)?zebra")
expect_contains "-S /find moves the search" "25 pages match" "$r"
stop_tulpar
start_tulpar -d "$TMP/many" -S off || bail "tulpar -S off starts"
r=$(gem_req "$(gem_url /search)")
expect_match "-S off: no search" '^51 ' "$r"
capture r goph_sel /
expect_lacks "-S off: no search item in the root menu" $'\t/search\t' "$r"
stop_tulpar
r=$("$TULPAR" -n -d "$TMP/many" -S nope 2>&1)
expect_eq "-S with a bad path is refused" "tulpar: invalid search path nope (want off, or an absolute path such as /search)" "$r"

# Configuration: off, another path, a page at the path wins and -n warns.
mkdir -p "$TMP/conf"
printf '# Home\n' >"$TMP/conf/index.gmi"
printf '# Mine\nMy own find page.\n' >"$TMP/conf/find.gmi"
mkdir -p "$TMP/conf/private"
printf '# Private\nThe word quokka stays private.\n' >"$TMP/conf/private/p.gmi"
G1=$(free_port); P1=$(free_port)
cat >"$TMP/a.conf" <<CONF
[server]
gemini = 127.0.0.1:$G1
cert_dir = $CERTDIR
[host localhost]
root = $TMP/conf
gopher = 127.0.0.1:$P1
search = /find.gmi
[path localhost /private/]
require_certificate = yes
CONF
r=$("$TULPAR" -n -c "$TMP/a.conf" 2>&1)
expect_contains "-n warns when a page stands at the search path" \
    "warning: /find.gmi is a page of localhost" "$r"
sed -i 's|^search = .*|search = /find|' "$TMP/a.conf"
start_conf "$TMP/a.conf" "$G1 $P1" || bail "tulpar -c starts"
GPORT=$G1
r=$(gem_req "$(gem_url /find)")
expect_eq "search = /find serves the prompt there" $'10 Search this capsule\r' "$r"
r=$(gem_req "$(gem_url /search)")
expect_match "and not at /search" '^51 ' "$r"
r=$(gem_req "$(gem_url /find)?own")
expect_contains "the configured search finds a page" "=> /find.gmi Mine" "$r"
r=$(gem_req "$(gem_url /find)?quokka")
expect_contains "a page in a certificate area is not searched" "No page matches." "$r"
r=$(gem_req "$(gem_url /private/p.gmi)")
expect_match "(the page is there, behind its certificate)" '^60 ' "$r"
stop_tulpar
sed -i 's|^search = .*|search = off|' "$TMP/a.conf"
start_conf "$TMP/a.conf" "$G1 $P1" || bail "tulpar -c starts with search off"
r=$(gem_req "$(gem_url /search)")
expect_match "search = off: no search page" '^51 ' "$r"
stop_tulpar
r=$("$TULPAR" -n -c "$TMP/a.conf" 2>&1)
expect_contains "-n says search is off" "search off" "$r"
for bad in 'search' '/' '/a/' '/a b' '/a?b' '/.hidden' '/a/../b'; do
	sed -i "s|^search = .*|search = $bad|" "$TMP/a.conf"
	r=$("$TULPAR" -n -c "$TMP/a.conf" 2>&1)
	expect_match "search = '$bad' is refused" "invalid search path" "$r"
done

summary
