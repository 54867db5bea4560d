#!/bin/sh
# Drives the harnesses for tests/fuzz/fuzz.mk, from the top of the tree:
#   run.sh fuzz NAME...    each harness for FUZZ_SECONDS, one after another
#   run.sh merge NAME...   adds FUZZ_SCRATCH inputs with new coverage to the corpora
#   run.sh replay NAME...  replays each corpus; the last line is "N passed, M failed"
# New inputs go to $FUZZ_SCRATCH/<name>, crashes to $FUZZ_CRASHES/<name>-*.
set -u
dir=tests/fuzz
secs=${FUZZ_SECONDS:-60}
scratch=${FUZZ_SCRATCH:-/tmp/tulpar-fuzz}
crashes=${FUZZ_CRASHES:-/tmp/tulpar-fuzz-crashes}
extra=${FUZZ_FLAGS:-}

# libFuzzer options per harness: the longest useful input, and its dictionary.
opts() {
	case $1 in
	url|selector|titan) printf -- '-max_len=1100' ;;	# URL_MAX and a little more
	path)		printf -- '-max_len=2200' ;;	# past path_resolve's 2050
	listen)		printf -- '-max_len=128' ;;
	config)		printf -- '-max_len=2048' ;;
	*)		printf -- '-max_len=4096' ;;
	esac
	[ -f "$dir/dict/$1.dict" ] && printf -- ' -dict=%s' "$dir/dict/$1.dict"
	echo
}

# Prints what a failing log says: the property or sanitizer line, the artifact.
crash_summary() {
	grep -aE 'property violated|^SUMMARY:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|Test unit written to' "$1" |
	    head -n 6 | cut -c 1-200 | sed 's/^/    /'
}

do_fuzz() {
	mkdir -p "$scratch" "$crashes" || exit 2
	total=0 elapsed=0 bad=""
	for h; do
		mkdir -p "$scratch/$h"
		log=$scratch/$h.log
		start=$(date +%s)
		# shellcheck disable=SC2046,SC2086 # opts and extra are word lists
		"./$dir/$h-fuzz" $(opts "$h") $extra -max_total_time="$secs" \
		    -print_final_stats=1 -artifact_prefix="$crashes/$h-" \
		    "$scratch/$h" "$dir/corpus/$h" >"$log" 2>&1
		rc=$?
		took=$(($(date +%s) - start))
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		# -fork=N prints no final stats: take its last "#N: cov:" line.
		[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\):*[[:space:]].*/\1/p' "$log" |
		    tail -n 1)
		execs=${execs:-0}
		total=$((total + execs))
		elapsed=$((elapsed + took))
		if [ "$rc" -eq 0 ]; then
			printf '%-10s %10s executions in %4ss\n' "$h:" "$execs" "$took"
		else
			printf '%-10s %10s executions in %4ss  FAILED (exit %s, log %s)\n' \
			    "$h:" "$execs" "$took" "$rc" "$log"
			crash_summary "$log"
			bad="$bad $h"
		fi
	done
	printf '%-10s %10s executions in %4ss\n' "total:" "$total" "$elapsed"
	if [ -n "$bad" ]; then
		echo "crashed:$bad (inputs in $crashes)"
		exit 1
	fi
}

do_merge() {
	for h; do
		[ -d "$scratch/$h" ] || continue
		log=$scratch/$h-merge.log
		# Edges only, not hit counts: keeps each corpus to a few dozen files.
		# shellcheck disable=SC2046
		if ! "./$dir/$h-fuzz" $(opts "$h") -merge=1 -use_counters=0 \
		    "$dir/corpus/$h" "$scratch/$h" >"$log" 2>&1; then
			echo "$h: merge failed, see $log"
			exit 1
		fi
		echo "$h: $(find "$dir/corpus/$h" -type f | wc -l) corpus files"
	done
}

do_replay() {
	pass=0 fail=0
	err=$(mktemp) || exit 2
	trap 'rm -f "$err"' EXIT
	for h; do
		out=$("./$dir/$h-replay" "$dir/corpus/$h" 2>"$err" | tail -n 1)
		case $out in
		*" passed, "*" failed") ;;
		*) out="0 passed, 1 failed" ;;	# the driver itself broke
		esac
		p=${out%% passed*}
		f=${out#*passed, }
		f=${f%% failed}
		pass=$((pass + p))
		fail=$((fail + f))
		echo "$h: $out"
		if [ "$f" -ne 0 ]; then
			grep -aE '^FAIL |property violated|^SUMMARY:' "$err" |
			    cut -c 1-200 | sed 's/^/    /'
		fi
	done
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

mode=${1:-}
[ $# -gt 0 ] && shift
case $mode in
fuzz)	do_fuzz "$@" ;;
merge)	do_merge "$@" ;;
replay)	do_replay "$@" ;;
*)	echo "usage: run.sh fuzz|merge|replay harness..." >&2; exit 2 ;;
esac
