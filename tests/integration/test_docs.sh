#!/usr/bin/env bash
# What the documentation says, checked against the binary and the source
# where a machine can (issue 12, item 13 and "the docs say things that are
# not so"): -h/--help list every flag with the default tulpar(8) gives;
# the synopses list every flag; the example configuration's values are the
# defaults of tulpar.conf(5) unless marked as examples; the limits
# tulpar.conf(5) states are config.h's; every log status is documented;
# gemtext pages are never streamed, whatever the docs of 1 MiB say.
. "$(dirname "$0")/lib.sh"
need_tulpar
cd "$ROOT" || bail "cd $ROOT"

# ---------------------------------------------------------------- -h and --help

timeout 5 "$TULPAR" -h >"$TMP/h.out" 2>"$TMP/h.err"
expect_eq "-h: exit 0" 0 "$?"
timeout 5 "$TULPAR" --help >"$TMP/help.out" 2>&1
expect_eq "--help: exit 0" 0 "$?"
expect_eq "--help prints what -h does" "$(cat "$TMP/h.out")" "$(cat "$TMP/help.out")"
expect_eq "-h: nothing on stderr" "" "$(cat "$TMP/h.err")"
timeout 5 "$TULPAR" -d "$ROOT/capsule" --version >/dev/null 2>"$TMP/unk.err"
expect_eq "an unknown long option still fails" 1 "$?"
expect_match "... pointing at the help" 'unknown option.*tulpar -h' "$(cat "$TMP/unk.err")"

# Every flag of getopt's string has a line in the help, with its default.
flags=$(grep -o 'getopt(argc, argv, "[^"]*")' src/main.c | sed 's/.*"\(.*\)".*/\1/' | tr -d ':')
expect_ne "main.c's getopt string found" "" "$flags"
for ((i = 0; i < ${#flags}; i++)); do
	f=${flags:i:1}
	expect_true "-h describes -$f" grep -qE "^  -$f[ ,]" "$TMP/h.out"
done

# The defaults in -h, tulpar(8) and behaviour.md agree.
r=$(python3 - "$TMP/h.out" docs/tulpar.8 docs/behaviour.md <<'EOF'
import re, sys
help_text, man, beh = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
out = []
helpdef = {}
for line in help_text.splitlines():
    m = re.match(r"  -(\w)\b.*\(default: ([^)]*)\)", line)
    if m:
        helpdef[m.group(1)] = m.group(2).split(",")[0].strip()
# tulpar(8): the block of ".It Fl X", its "Default:" and the word after it
blocks = re.split(r"\n\.It ", man)
mandef = {}
for b in blocks:
    m = re.match(r"Fl (\w)\b", b)
    if not m or "Default:" not in b:
        continue
    rest = b.split("Default:", 1)[1]
    rest = re.sub(r"(?m)^\.(Pa|Li|Cm|Ar) ", "", rest)
    word = rest.split()[0].rstrip(".,;")
    mandef[m.group(1)] = word
for f in "dHGPTtm":
    h, m = helpdef.get(f), mandef.get(f)
    out.append("%s %s" % ("ok" if h is not None and h == m else "bad",
        "-%s: -h says %r, tulpar(8) says %r" % (f, h, m)))
# behaviour.md's "Defaults:" line: -d ./capsule -H localhost ... -t 10, -m 16384
dl = re.search(r"Defaults: (.*?)\n- ", beh, re.S)
dl = dl.group(1).replace("\n", " ") if dl else ""
for f in "dHGPTtm":
    m = re.search(r"-%s ([^\s`,]+)" % f, dl)
    b = m.group(1) if m else None
    out.append("%s %s" % ("ok" if b == helpdef.get(f) else "bad",
        "-%s: -h says %r, behaviour.md says %r" % (f, helpdef.get(f), b)))
print("\n".join(out))
EOF
)
while IFS= read -r line; do
	case $line in
	"ok "*) ok "defaults agree: ${line#ok }" ;;
	*) not_ok "defaults agree: ${line#bad }" ;;
	esac
done <<<"$r"

# The synopses of -h, tulpar(8) and behaviour.md have every flag.
usage=$(head -n 1 "$TMP/h.out")
man_syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' docs/tulpar.8)
beh_syn=$(sed -n '/^## Command line/,/^- Defaults/p' docs/behaviour.md)
for ((i = 0; i < ${#flags}; i++)); do
	f=${flags:i:1}
	expect_match "-h's usage line has -$f" "\\[-[a-zA-Z]*$f" "$usage"
	expect_match "tulpar(8) SYNOPSIS has -$f" "Fl [a-zA-Z]*$f" "$man_syn"
	expect_match "behaviour.md's synopsis has -$f" "\\[-[a-zA-Z]*$f" "$beh_syn"
done

# ---------------------------------------------------------------- tulpar.conf

# The example's values are tulpar.conf(5)'s defaults, unless marked "(Example.".
r=$(python3 - docs/examples/tulpar.conf docs/tulpar.conf.5 <<'EOF'
import re, sys
ex, man = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
mandef = {}
for b in re.split(r"\n\.It ", man):
    m = re.match(r"Ic (\w+) No =", b)
    if m and "Default:" in b:
        rest = re.sub(r"(?m)^\.(Pa|Li|Cm|Ar) ", "", b.split("Default:", 1)[1])
        mandef.setdefault(m.group(1), rest.split()[0].rstrip(".,;"))
sec, comment = None, []
for line in ex.splitlines():
    s = line.strip()
    if s.startswith("["):
        sec, comment = s, []
        continue
    if s.startswith(";") or s.startswith("#"):
        comment.append(s)
        continue
    if not s:
        continue
    if sec == "[server]" and "=" in s:
        key, val = (x.strip() for x in s.split("=", 1))
        marked = any("(Example." in c for c in comment)
        want = mandef.get(key)
        if marked:
            print("%s %s = %s is marked as an example (default %s)" %
                ("ok" if val != want else "bad", key, val, want))
        else:
            print("%s %s = %s is the default (%s)" %
                ("ok" if val == want else "bad", key, val, want))
    comment = []
EOF
)
expect_ne "the example's [server] keys were read" "" "$r"
while IFS= read -r line; do
	case $line in
	"ok "*) ok "example tulpar.conf: ${line#ok }" ;;
	*) not_ok "example tulpar.conf: ${line#bad }" ;;
	esac
done <<<"$r"
ex=$(cat docs/examples/tulpar.conf)
expect_lacks "the example no longer says user defaults to staying as started" "Default: none, stay as started" "$ex"
expect_match "the example says workers run as nobody by default" "workers then run as[[:space:];]*nobody" "$ex"

# The limits tulpar.conf(5) states are config.h's.
lim() { sed -n "s/^#define $1[[:space:]]*\([0-9]*\).*/\1/p" src/config.h; }
man5=$(cat docs/tulpar.conf.5)
expect_contains "tulpar.conf(5): at most $(lim CONFIG_MAX_HOSTS) hosts" "and at most $(lim CONFIG_MAX_HOSTS)." "$man5"
expect_contains "tulpar.conf(5): at most $(lim CONFIG_MAX_PATHS) [path] a host" "may have at most $(lim CONFIG_MAX_PATHS)." "$man5"
expect_contains "tulpar.conf(5): at most $(lim CONFIG_MAX_MIME) MIME overrides" "at most $(lim CONFIG_MAX_MIME) overrides" "$man5"
expect_contains "tulpar.conf(5): at most $(lim CONFIG_MAX_ALIASES) aliases" "at most $(lim CONFIG_MAX_ALIASES)." "$man5"

# A redirect carries the rest of the path (asserted on the wire by
# test_config.sh "redirect /blog/ -> /posts/"): both references say so.
expect_match "tulpar.conf(5): the rest of the path is appended" "rest of the requested path" "$man5"
expect_match "behaviour.md: the rest of the path is appended" "the rest of the path is appended" "$(cat docs/behaviour.md)"

# ---------------------------------------------------------------- log statuses

beh=$(cat docs/behaviour.md)
for s in $(grep -o 'conn_close(c, [^)]*)' src/*.c | grep -o '"[a-z]*"' | tr -d '"' | sort -u); do
	[ "$s" = ok ] && continue
	expect_contains "behaviour.md lists the log status $s" "\`$s\`" "$beh"
done
expect_match "tulpar(8) says why log lines of workers can be out of order" \
    "not merged by time" "$(tr '\n' ' ' <docs/tulpar.8)"

# ---------------------------------------------------------------- 1 MiB: pages are read whole

mkdir -p "$TMP/big"
python3 -c 'import sys; sys.stdout.write("# Big\n" + "A line of gemtext.\n" * 150000)' >"$TMP/big/big.gmi"
head -c 2000000 /dev/zero >"$TMP/big/big.bin"
echo '# Home' >"$TMP/big/index.gmi"
p1=$(free_port) p2=$(free_port)
o=$(timeout 10 "$TULPAR" -n -d "$TMP/big" -T "$CERTDIR" -G "127.0.0.1:$p1" -P "127.0.0.1:$p2" 2>&1)
expect_match "a 2.7 MB page is a page and a 2 MB file is streamed" ": 2 pages, .* 1 streamed" "$o"
for f in README.md docs/deploying.md; do
	expect_match "$f: gemtext pages are read whole" "[Gg]emtext pages are read whole" "$(tr '\n' ' ' <"$f")"
done

summary
