#!/usr/bin/env bash
# Atom feeds (issue 14): a gemfeed page's atom.xml on Gemini and Gopher,
# parsed by a real XML parser, kept live with its pages; atom = no.
. "$(dirname "$0")/lib.sh"
need_tulpar

CAPSULE=$TMP/capsule
cp -r "$ROOT/capsule" "$CAPSULE"
start_tulpar -d "$CAPSULE" || bail "tulpar starts on the capsule"

# feed_check XML-file: one line per fact, from Python's XML parser.
_FEED_PY='
import sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    print("not XML: %s" % e); sys.exit(0)
print("root %s" % root.tag)
print("title %s" % root.findtext(A + "title"))
print("updated %s" % root.findtext(A + "updated"))
print("self %s" % [l.get("href") for l in root.findall(A + "link") if l.get("rel") == "self"])
es = root.findall(A + "entry")
print("entries %d" % len(es))
for e in es:
    print("entry %s | %s | %s | %s" % (e.findtext(A + "title"),
          e.find(A + "link").get("href"), e.findtext(A + "updated"),
          "summary" if (e.findtext(A + "summary") or "").strip() else "no summary"))
'
feed_facts() {
	python3 -c "$_FEED_PY" "$1"
}

gem_req "$(gem_url /news/atom.xml)" >"$TMP/g.out"
expect_eq "Gemini: 20 application/atom+xml" $'20 application/atom+xml\r' "$(head -n 1 "$TMP/g.out")"
tail -n +2 "$TMP/g.out" >"$TMP/g.xml"
capture facts feed_facts "$TMP/g.xml"
expect_contains "an Atom 1.0 feed" "root {http://www.w3.org/2005/Atom}feed" "$facts"
expect_contains "titled by the page's first heading" "title Kazakhstan and the SCO: news" "$facts"
expect_contains "updated: the newest date" "updated 2024-06-01T00:00:00Z" "$facts"
expect_contains "it names itself" "self ['gemini://localhost:$GPORT/news/atom.xml']" "$facts"
expect_contains "one entry per dated link" "entries 7" "$facts"
expect_contains "the newest entry, absolute link, its date" \
    "entry SCO Summit in Kazakhstan | gemini://localhost:$GPORT/news/2024-06-01-summit-in-kazakhstan.gmi | 2024-06-01T00:00:00Z | summary" "$facts"
expect_contains "the oldest entry" \
    "entry The SCO is established | gemini://localhost:$GPORT/news/2001-01-01-sco-established.gmi | 2001-01-01T00:00:00Z | summary" "$facts"
expect_lacks "no entry for the undated links" "entry Timeline" "$facts"

capture r goph_sel /news/
expect_contains "Gopher: the news menu offers the feed as a text item" \
    $'0Atom feed of this page\t/news/atom.xml\tlocalhost' "$r"
goph_sel /news/atom.xml >"$TMP/p.xml"
capture facts feed_facts "$TMP/p.xml"
expect_contains "Gopher: the same feed, raw" "entries 7" "$facts"
expect_contains "its links lead to the Gemini pages" \
    "| gemini://localhost:$GPORT/news/2024-06-01-summit-in-kazakhstan.gmi |" "$facts"

r=$(gem_req "$(gem_url /atom.xml)")
expect_match "a directory without a gemfeed page has no feed" '^51 ' "$r"
r=$(gem_req "$(gem_url /chairmanship/atom.xml)")
expect_match "nor has a directory of undated links" '^51 ' "$r"

# Live: a new post, and one whose title needs escaping.
printf '# A & B <now>\n\nDate: 2025-01-02.\n\nThe "newest" post.\n' >"$CAPSULE/news/2025-01-02-new.gmi"
sed -i 's|^## Dated events from the text, newest first$|&\n\n=> 2025-01-02-new.gmi 2025-01-02 A \& B <now> "quoted"|' "$CAPSULE/news/index.gmi"
T0=$(now)
for i in $(seq 1 40); do
	gem_req "$(gem_url /news/atom.xml)" | tail -n +2 >"$TMP/g2.xml"
	capture facts feed_facts "$TMP/g2.xml"
	[[ $facts == *"entries 8"* && $facts == *"2025-01-02T00:00:00Z | summary"* ]] && break
	sleep 0.05
done
expect_contains "a new dated link is a new entry without a reload" "entries 8" "$facts"
expect_lt "within a second" 1 "$(since "$T0")"
expect_contains "its title, escaped and read back whole" \
    "entry A & B <now> \"quoted\" | gemini://localhost:$GPORT/news/2025-01-02-new.gmi | 2025-01-02T00:00:00Z | summary" "$facts"
expect_contains "the feed's updated follows" "updated 2025-01-02T00:00:00Z" "$facts"

# A real atom.xml file wins over the made one.
printf '<feed>mine</feed>\n' >"$CAPSULE/news/atom.xml"
poll r mine gem_req "$(gem_url /news/atom.xml)"
r=${r%$'\n'}
expect_eq "a file named atom.xml is served as it is" $'20 text/xml\r\n<feed>mine</feed>' "$r"
rm "$CAPSULE/news/atom.xml"
stop_tulpar

# atom = no on a [path].
G1=$(free_port); P1=$(free_port)
cat >"$TMP/a.conf" <<CONF
[server]
gemini = 127.0.0.1:$G1
cert_dir = $CERTDIR
[host localhost]
root = $CAPSULE
gopher = 127.0.0.1:$P1
[path localhost /news/]
atom = no
CONF
start_conf "$TMP/a.conf" "$G1 $P1" || bail "tulpar -c starts"
GPORT=$G1
r=$(gem_req "$(gem_url /news/atom.xml)")
expect_match "atom = no: no feed" '^51 ' "$r"
r=$(gem_req "$(gem_url /news/)")
expect_match "the gemfeed page itself is still served" '^20 text/gemini' "$r"
stop_tulpar

summary
