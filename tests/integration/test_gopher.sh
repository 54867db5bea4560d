#!/usr/bin/env bash
# Gopher over real clients (curl, lynx -dump) and raw bytes (bash /dev/tcp):
# the Gopher section of docs/behaviour.md.
. "$(dirname "$0")/lib.sh"
need_tulpar

make_tree
printf '# dot\n' >"$TREE/plain/.dot.gmi"	# must not show in the generated listing
start_tulpar || bail "tulpar starts"
F=$TREE
P=$PPORT

NOTFOUND=$'3Not found\t\terror.host\t1\r\n.\r\n'
BAD=$'3Bad request\t\terror.host\t1\r\n.\r\n'
TAB=$'\t'
CR=$'\r'

# goph_expect name printf-format expected-bytes
goph_expect() {
	local r
	capture r goph_raw "$2"
	expect_eq "$1" "$3" "$r"
}
# alive what: the server lives and serves a normal selector.
alive() {
	local r
	if ! kill -0 "$SRV_PID" 2>/dev/null; then
		not_ok "still serving after $1"
		diag "the tulpar process is gone; log tail:"
		tail -n 3 "$SRV_LOG" | sed 's/^/#     /'
		return
	fi
	capture r goph_sel /notes.txt
	expect_eq "still serving after $1" $'Some notes.\nA second line.\n' "$r"
}
# hostile name printf-format expected: the answer, then a normal selector works.
hostile() {
	goph_expect "$1" "$2" "$3"
	alive "$1"
}
# has_line name line menu: the menu holds exactly this line (CRLF added).
has_line() {
	local m=$3
	if [[ $'\n'"$m" == *$'\n'"$2"$'\r\n'* ]]; then
		ok "$1"
	else
		not_ok "$1"
		diag "line not found: $(_show "$2"$'\r\n')" "menu: $(_show "$m")"
	fi
}

# ---------------------------------------------------------------- curl

capture root goph_raw '\r\n'
capture r goph_curl /
expect_eq "curl gopher://HOST:PORT/ gets the root menu (same as the empty selector)" "$root" "$r"
expect_match "root menu ends with .CRLF" $'\r\n\\.\r\n$' "$root"
has_line "root menu: info line for the paragraph" "iWelcome to the fixture tree.${TAB}${TAB}null.host${TAB}1" "$root"
expect_match "root menu: the heading text is an info line" $'(^|\n)i[^\t\n]*Fixture home[^\t\n]*\t\tnull\\.host\t1\r\n' "$root"
has_line "root menu: empty line is an empty info line" "i${TAB}${TAB}null.host${TAB}1" "$root"
has_line "root menu: gemtext page is type 1" "1A page${TAB}/page.gmi${TAB}localhost${TAB}$P" "$root"
has_line "root menu: directory is type 1 with a slash" "1Documents${TAB}/docs/${TAB}localhost${TAB}$P" "$root"
has_line "root menu: directory without index is type 1" "1A directory without index${TAB}/plain/${TAB}localhost${TAB}$P" "$root"
has_line "root menu: .txt is type 0" "0Notes${TAB}/notes.txt${TAB}localhost${TAB}$P" "$root"
has_line "root menu: .png is type I" "IA picture${TAB}/image.png${TAB}localhost${TAB}$P" "$root"
has_line "root menu: .gif is type g" "gAn animation${TAB}/anim.gif${TAB}localhost${TAB}$P" "$root"
has_line "root menu: unknown extension is type 9" "9Some data${TAB}/data.bin${TAB}localhost${TAB}$P" "$root"
has_line "root menu: gopher:// link points at its own host and port" "0About over Gopher${TAB}/about.txt${TAB}example.org${TAB}70" "$root"
has_line "root menu: https:// link is an h item with URL: selector" "hA web site${TAB}URL:https://example.org/${TAB}localhost${TAB}$P" "$root"
has_line "root menu: gemini:// link elsewhere is an h item with URL: selector" "hAnother capsule${TAB}URL:gemini://example.org/${TAB}localhost${TAB}$P" "$root"

capture docs goph_curl /1/docs/
expect_eq "curl /1/docs/ sends selector /docs/ (same as raw)" "$(goph_raw '/docs/\r\n'; printf x)" "${docs}x"
has_line "/docs/ menu: relative link to a page" "1The guide${TAB}/docs/guide.gmi${TAB}localhost${TAB}$P" "$docs"
has_line "/docs/ menu: ../ link is the root" "1Home${TAB}/${TAB}localhost${TAB}$P" "$docs"

capture plain goph_curl /1/plain/
has_line "/plain/ generated menu: a.gmi" "1a.gmi${TAB}/plain/a.gmi${TAB}localhost${TAB}$P" "$plain"
has_line "/plain/ generated menu: b.txt" "0b.txt${TAB}/plain/b.txt${TAB}localhost${TAB}$P" "$plain"
expect_lacks "/plain/ generated menu hides dotfiles" ".dot.gmi" "$plain"

capture page goph_curl /1/page.gmi
has_line "/page.gmi menu: link with label" "1Documents${TAB}/docs/${TAB}localhost${TAB}$P" "$page"
expect_match "/page.gmi menu: link without label" $'(^|\n)0[^\t]*\t/notes\\.txt\tlocalhost\t'"$P"$'\r\n' "$page"
has_line "/page.gmi menu: preformatted line verbatim (not wrapped)" \
    "i   and leading spaces that must survive exactly as they are, however long the line is${TAB}${TAB}null.host${TAB}1" "$page"

capture r goph_curl /0/notes.txt
expect_eq "curl /0/notes.txt: the file, raw" "$(cat "$F/notes.txt"; printf x)" "${r}x"
goph_curl /9/data.bin >"$TMP/data.bin"
expect_file_eq "curl /9/data.bin: binary file byte-exact" "$F/data.bin" "$TMP/data.bin"
goph_curl /I/image.png >"$TMP/image.png"
expect_file_eq "curl /I/image.png: byte-exact" "$F/image.png" "$TMP/image.png"

# ---------------------------------------------------------------- lynx

out=$(timeout 15 lynx -dump "gopher://127.0.0.1:$P/1/" 2>&1)
expect_contains "lynx -dump shows the heading" "Fixture home" "$out"
expect_contains "lynx -dump shows the paragraph" "Welcome to the fixture tree." "$out"
for label in "A page" "Documents" "A directory without index" "Notes" "A web site"; do
	expect_contains "lynx -dump shows link label '$label'" "$label" "$out"
done
expect_contains "lynx -dump lists the local link /1/page.gmi" "gopher://localhost:$P/1/page.gmi" "$out"
out=$(timeout 15 lynx -dump "gopher://127.0.0.1:$P/1/page.gmi" 2>&1)
expect_contains "lynx -dump /1/page.gmi shows wrapped paragraph start" "This is a paragraph long enough" "$out"

# ---------------------------------------------------------------- raw selectors

goph_expect "empty selector CRLF is the root menu" '\r\n' "$root"
goph_expect "selector / is the root menu" '/\r\n' "$root"
goph_expect "bare LF accepted (empty selector)" '\n' "$root"
goph_expect "bare LF accepted (/)" '/\n' "$root"
goph_expect "Gopher+ probe TAB \$ gets the plain root menu" '\t$\r\n' "$root"
goph_expect "Gopher+ probe /<TAB>\$ gets the plain root menu" '/\t$\r\n' "$root"
goph_expect "selector with TAB and search terms: terms dropped" '/docs/\tsearch terms\r\n' "$docs"
goph_expect "selector without leading slash: docs/" 'docs/\r\n' "$docs"
goph_expect "directory without its slash gets the directory's menu (no redirects in Gopher)" '/docs\r\n' "$docs"
goph_expect "text file served raw, no trailing . line" '/notes.txt\r\n' $'Some notes.\nA second line.\n'
goph_expect "text file without leading slash" 'notes.txt\r\n' $'Some notes.\nA second line.\n'
goph_expect "text file with bare LF" '/notes.txt\n' $'Some notes.\nA second line.\n'
goph_expect "dot segment inside the root resolved" '/docs/../notes.txt\r\n' $'Some notes.\nA second line.\n'
capture guide goph_curl /1/docs/guide.gmi
goph_expect "page in a subdirectory (raw = curl)" '/docs/guide.gmi\r\n' "$guide"
has_line "/docs/guide.gmi menu: ../index.gmi link" "1Home${TAB}/index.gmi${TAB}localhost${TAB}$P" "$guide"
capture r goph_raw '/plain/b.txt\r\n'
expect_eq "text file in a directory without index" "$(cat "$F/plain/b.txt"; printf x)" "${r}x"
capture r goph_curl "/1/%C3%BCn%C3%AF.gmi"
goph_expect "raw UTF-8 selector /ünï.gmi (raw = curl)" '/ünï.gmi\r\n' "$r"
expect_match "/ünï.gmi is a menu with its heading" $'^iUnicode name\t' "$(goph_raw '/ünï.gmi\r\n')"
expect_match "selector with a space /with space.gmi is a menu" $'(^|\n)i[^\n]*\t\tnull\\.host\t1\r\n' "$(goph_raw '/with space.gmi\r\n')"

goph_expect "missing selector: the not-found item, exactly" '/missing.gmi\r\n' "$NOTFOUND"
goph_expect "missing directory" '/nope/\r\n' "$NOTFOUND"
goph_expect "dotfile /.hidden.gmi not found" '/.hidden.gmi\r\n' "$NOTFOUND"
goph_expect "dotfile without slash .hidden.gmi not found" '.hidden.gmi\r\n' "$NOTFOUND"
goph_expect "dot-directory file /.secret/key.txt not found" '/.secret/key.txt\r\n' "$NOTFOUND"
goph_expect "dot-directory /.secret/ not found" '/.secret/\r\n' "$NOTFOUND"
goph_expect "dotfile in a directory without index not found" '/plain/.dot.gmi\r\n' "$NOTFOUND"
alive "dotfile selectors"

long=$(printf '%*s' 5000 '' | tr ' ' a)
s1025="/${long:0:1024}"
s1024="/${long:0:1023}"
expect_eq "test selectors are 1025 and 1024 bytes" "1025 1024" "${#s1025} ${#s1024}"
hostile "NUL in the selector: bad request" '/no\x00tes.txt\r\n' "$BAD"
hostile "NUL alone: bad request" '\x00\r\n' "$BAD"
hostile "control byte 0x01: bad request" '/a\x01b\r\n' "$BAD"
hostile "control byte ESC: bad request" '/a\x1b[2Jb\r\n' "$BAD"
hostile "1025-byte selector: bad request" "$s1025\r\n" "$BAD"
hostile "1024-byte selector is fine: not found" "$s1024\r\n" "$NOTFOUND"
hostile "5000 bytes without a line end: bad request" "/$long" "$BAD"
hostile "/../etc/passwd: bad request" '/../etc/passwd\r\n' "$BAD"
hostile "../etc/passwd (no leading slash): bad request" '../etc/passwd\r\n' "$BAD"
hostile "/docs/../../etc/passwd: bad request" '/docs/../../etc/passwd\r\n' "$BAD"
hostile ".. alone: bad request" '..\r\n' "$BAD"

# ---------------------------------------------------------------- URL: selectors

capture r goph_sel 'URL:https://example.org/?a=<script>alert(1)</script>'
expect_match "URL: answers an HTML page" '<html' "$r"
expect_contains "URL: page links the URL, HTML-escaped" 'href="https://example.org/?a=&lt;script&gt;alert(1)&lt;/script&gt;"' "$r"
expect_lacks "URL: page has no raw <script>" "<script>" "$r"
capture r goph_sel 'URL:https://example.org/"onmouseover="alert(1)'
expect_lacks "URL: page escapes quotes (no attribute break-out)" '"onmouseover="' "$r"
expect_contains "URL: page escapes quotes as &quot;" '&quot;onmouseover=&quot;' "$r"
hostile "URL:javascript: is refused" 'URL:javascript:alert(1)\r\n' "$BAD"
hostile "URL:JavaScript: (any case) is refused" 'URL:JavaScript:alert(1)\r\n' "$BAD"
hostile "URL:data: is refused" 'URL:data:text/html,<script>alert(1)</script>\r\n' "$BAD"
hostile "URL:vbscript: is refused" 'URL:vbscript:msgbox(1)\r\n' "$BAD"

# ---------------------------------------------------------------- TLS on the Gopher port

timeout 5 openssl s_client -connect "127.0.0.1:$P" -servername localhost </dev/null >/dev/null 2>&1
alive "a TLS ClientHello on the Gopher port"
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	head -c 2000 /dev/urandom >&3; cat <&3' _ "$P" >/dev/null 2>&1
alive "2000 random bytes"

# ---------------------------------------------------------------- every menu line

for sel in / /page.gmi /docs/ /docs/guide.gmi /plain/ /plain/a.gmi "/with space.gmi" /ünï.gmi; do
	n=$((${n:-0} + 1))
	goph_sel "$sel" >"$TMP/menu.$n"
	printf '%s\n' "$sel" >"$TMP/menu.$n.sel"
done
check=$(python3 - "$TMP" "$n" "$F" <<'EOF'
import sys, os
tmp, n, tree = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# Preformatted source lines (tabs expanded) may be longer than 70 characters.
pre = set()
for d, _, files in os.walk(tree):
    for f in files:
        if f.endswith('.gmi'):
            inside = False
            for line in open(os.path.join(d, f), encoding='utf-8').read().split('\n'):
                if line.startswith('```'):
                    inside = not inside
                elif inside:
                    pre.add(line.expandtabs(8))
problems = []
for i in range(1, n + 1):
    sel = open(f'{tmp}/menu.{i}.sel').read().rstrip('\n')
    data = open(f'{tmp}/menu.{i}', 'rb').read()
    if not data.endswith(b'\r\n.\r\n'):
        problems.append(f'{sel}: does not end with CRLF.CRLF')
    body = data[:-3] if data.endswith(b'.\r\n') else data
    if not body.endswith(b'\r\n'):
        problems.append(f'{sel}: last line lacks CRLF')
    lines = body.split(b'\r\n')[:-1]
    if not lines:
        problems.append(f'{sel}: empty menu')
    for raw in lines:
        if b'\n' in raw or b'\r' in raw:
            problems.append(f'{sel}: bare CR or LF in {raw!r}')
        fields = raw.split(b'\t')
        if len(fields) != 4:
            problems.append(f'{sel}: {len(fields)} fields in {raw!r}')
            continue
        try:
            text = fields[0].decode('utf-8')
        except UnicodeDecodeError:
            problems.append(f'{sel}: not UTF-8: {raw!r}')
            continue
        if text[:1] == 'i' and len(text) - 1 > 70 and text[1:] not in pre:
            problems.append(f'{sel}: {len(text) - 1} characters: {text!r}')
print('\n'.join(problems))
EOF
)
expect_eq "every menu line of $n pages: 4 TAB fields, CRLF, wrapped text <= 70 characters" "" "$check"

# The wrapped paragraph keeps every word, in order.
words=$(goph_sel /page.gmi | python3 -c 'import sys
t = []
for l in sys.stdin.buffer.read().decode().split("\r\n"):
    if l.startswith("i"):
        t.append(l[1:].split("\t")[0])
print(" ".join(" ".join(t).split()))')
expect_contains "wrapped paragraph keeps its words in order" \
    "This is a paragraph long enough that the Gopher renderer has to wrap it at seventy columns, because it goes on and on." "$words"
wide=$(goph_sel /page.gmi | python3 -c 'import sys
for l in sys.stdin.buffer.read().decode().split("\r\n"):
    if l.startswith("iThis is a paragraph"):
        print(len(l.split("\t")[0]) - 1)')
expect_true "the long paragraph is wrapped (first line 60..70 characters)" \
    test "${wide:-0}" -ge 60 -a "${wide:-0}" -le 70

# A UTF-8 page: width counts characters, not bytes.
make_tree "$TMP/tree-utf8"
python3 -c 'print("é" * 50 + " " + "ü" * 15 + " " + "ö" * 10)' >"$TMP/tree-utf8/wide.gmi"
if start_tulpar -d "$TMP/tree-utf8"; then
	goph_sel /wide.gmi >"$TMP/wide.menu"
	lens=$(python3 -c 'import sys
print(" ".join(str(len(l.split("\t")[0]) - 1) for l in open(sys.argv[1], encoding="utf-8", newline="").read().split("\r\n") if l.startswith("i")))' "$TMP/wide.menu")
	expect_eq "UTF-8 text wraps by characters (66 then 10)" "66 10" "$lens"
else
	not_ok "tulpar starts with a UTF-8 page"
fi

summary
