#!/bin/sh
# Runs every test suite and adds up the results; `make check` calls it from
# the project root. Suites:
#   tests/unit/test_*              cmocka binaries ("[  PASSED  ] N test(s)." /
#                                  "[  FAILED  ] N test(s)")
#   tests/integration/test_*.sh    bash scripts ending "N passed, M failed"
#   tests/capsule/completeness.py, tests/capsule/links.py (when present), same.
# Each suite's result is printed; failing checks are shown under it. A suite
# that crashes, times out or prints no summary counts as one failure. The last
# line is "N passed, M failed"; the exit status is non-zero if M > 0.
# VERBOSE=1 shows every suite's whole output.

cd "$(dirname "$0")/.." || exit 1

PASSED=0
FAILED=0
OUTDIR=$(mktemp -d "${TMPDIR:-/tmp}/tulpar-run.XXXXXX") || exit 1
trap 'rm -rf "$OUTDIR"' EXIT
trap 'exit 130' INT TERM HUP
N=0

if command -v timeout >/dev/null 2>&1; then
	bounded() { limit=$1; shift; timeout -k 10 "$limit" "$@"; }
else
	bounded() { shift; "$@"; }
fi

# report name status passed failed note
report() {
	printf '%-4s %s: %s passed, %s failed%s\n' "$2" "$1" "$3" "$4" "$5"
	PASSED=$((PASSED + $3))
	FAILED=$((FAILED + $4))
}

# show_output file: what a suite printed, per VERBOSE or only the failures.
show_output() {
	if [ "${VERBOSE:-0}" = 1 ]; then
		sed 's/^/    /' "$1"
	else
		awk '/^not ok/ { show = 1; print "    " $0; next }
		    show && /^#/ { print "    " $0; next }
		    { show = 0 }
		    /^\[  FAILED  \]|^\[  ERROR   \]/ { print "    " $0 }' "$1"
	fi
}

# run_cmocka binary
run_cmocka() {
	N=$((N + 1))
	out=$OUTDIR/$N.out
	bounded 120 "$1" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" |
	    awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" |
	    awk '{ s += $1 } END { print s + 0 }')
	found=$(grep -c -E '^\[  (PASSED|FAILED)  \] [0-9]+ test' "$out")
	show_output "$out"
	if [ "$found" -eq 0 ]; then
		p=$(grep -c '^\[       OK \]' "$out")
		report "$1" FAIL "$p" $((f + 1)) " (no cmocka summary; exit status $rc)"
		tail -n 5 "$out" | sed 's/^/    | /'
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		report "$1" FAIL "$p" 1 " (crashed: exit status $rc)"
		tail -n 5 "$out" | sed 's/^/    | /'
	elif [ "$f" -gt 0 ]; then
		report "$1" FAIL "$p" "$f" ""
	else
		report "$1" ok "$p" 0 ""
	fi
}

# run_counted name command...: a suite that ends with "N passed, M failed".
run_counted() {
	name=$1
	shift
	N=$((N + 1))
	out=$OUTDIR/$N.out
	start=$(date +%s)
	bounded 300 "$@" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	show_output "$out"
	if [ -z "$line" ]; then
		report "$name" FAIL 0 1 " (no summary line; exit status $rc, ${secs}s)"
		tail -n 5 "$out" | sed 's/^/    | /'
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		report "$name" FAIL "$p" 1 " (exit status $rc with no failed check, ${secs}s)"
		tail -n 5 "$out" | sed 's/^/    | /'
	elif [ "$f" -gt 0 ]; then
		report "$name" FAIL "$p" "$f" " (${secs}s)"
	else
		report "$name" ok "$p" 0 " (${secs}s)"
	fi
}

# run_units dir: every cmocka binary test_* in dir.
run_units() {
	for t in "$1"/test_*; do
		[ -f "$t" ] || continue
		case $t in
		*.c | *.h | *.o | *.d) continue ;;
		esac
		if [ -x "$t" ]; then
			run_cmocka "$t"
		else
			report "$t" FAIL 0 1 " (not executable)"
		fi
	done
}

# run_integration binary: every integration script against that build.
run_integration() {
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		TULPAR=$1 run_counted "$t${2:+ ($2)}" bash "$t"
	done
}

run_units tests/unit
run_integration "$PWD/tulpar"

# The same suites against the ASan/UBSan build, when it is there.
if [ -x tests/sanitize/tulpar ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_units tests/sanitize
	run_integration "$PWD/tests/sanitize/tulpar" asan+ubsan
fi

# Fuzz corpora, replayed under ASan/UBSan; the load generator's smoke run.
for t in fuzz-replay bench-smoke; do
	if make -s -n "$t" >/dev/null 2>&1; then
		run_counted "make $t" make -s --no-print-directory "$t"
	fi
done

for t in tests/capsule/completeness.py tests/capsule/links.py; do
	[ -f "$t" ] || continue
	run_counted "$t" python3 "$t"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
