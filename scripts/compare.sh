#!/usr/bin/env bash
# `make compare BASE=<rev>`: the benchmark times of this tree against those
# of another revision, on this machine, judged by Google Benchmark's own
# compare.py (Mann-Whitney U test).  Times are reported, never gated: see
# README.md.
#
# The base revision is checked out in build/compare/base, a git worktree of
# this repository (detached; made, or moved to the revision, by this script
# alone; the user's tree is never touched) and its benchmark binary built
# there.  The two binaries then run in turns, base, new, base, new, ...,
# one repetition each per turn, so that a slow spell of a shared machine
# falls on both sides alike.  Each side's turns are merged into one Google
# Benchmark JSON and compare.py compares the two.
#
# Writes results/compare/<UTC stamp>/ (built as .<stamp>.tmp, renamed when
# complete, then results/compare/latest points at it):
#   compare.md     the table: per benchmark the medians, the time change,
#                  compare.py's p-value and the verdict; one-sided benchmarks
#   base.json, new.json    each side's merged runs (compare.py's input)
#   compare.txt, compare.json    compare.py's output and its JSON dump
#   raw/           every turn's JSON;  base-build.log  the base's build
#
# Environment:
#   BASE=REV            the revision to compare against (required)
#   COMPARE_QUICK=0|1   1: --vl_quick and short runs (a check, not a measure)
#   COMPARE_ROUNDS=N    turns per side, each one repetition (default 9, >= 9)
#   COMPARE_FILTER=RE   only the benchmarks matching RE (--benchmark_filter)
#   LAYOUT, SEED        as for make bench (default biscuitos, 1)
#   BENCH_BIN           this tree's benchmark binary (from bench.mk)
#   CC, BENCH_CXX       compilers for the base's build (from bench.mk)
#   RESULTS_ROOT=DIR    where compare/ goes (default results)
#   PYTHON              interpreter with scipy, for compare.py
# `compare.sh --validate` only checks the settings and BASE.
# Exit status: 0; 1 when a run or the comparison failed; 2 for a bad
# setting, a BASE that is not a revision, or a base that does not build.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "compare.sh: $*" >&2; exit 2; }

BASE=${BASE:-}
QUICK=${COMPARE_QUICK:-0}
ROUNDS=${COMPARE_ROUNDS:-9}
FILTER=${COMPARE_FILTER:-}
LAYOUT=${LAYOUT:-biscuitos}
SEED=${SEED:-1}
NEW_BIN=${BENCH_BIN:-build/native/bench/vmaplab_bench}
ROOT=${RESULTS_ROOT:-results}/compare
PYTHON=${PYTHON:-/usr/bin/python3}
COMPARE_PY=/usr/share/benchmark/compare.py
WT=build/compare/base
# the path bench.mk gives the binary, in the base's tree
BASE_BIN=$WT/build/native/bench/vmaplab_bench
# both sides replay this tree's snapshot: the same input
VMI=$(realpath corpus/real/vmallocinfo-x86_64-linux-6.18.txt)

check_settings() {
	[ -n "$BASE" ] || die "BASE is missing: make compare BASE=<git revision> (e.g. BASE=HEAD~1)"
	SHA=$(git rev-parse --verify --quiet "$BASE^{commit}") ||
		die "BASE=$BASE is not a revision of this repository"
	case $QUICK in 0 | 1) ;; *) die "COMPARE_QUICK must be 0 or 1, not '$QUICK'" ;; esac
	[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 9 ] ||
		die "COMPARE_ROUNDS must be an integer >= 9 (the U test needs them), not '$ROUNDS'"
	[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, not '$SEED'"
	[ -f "$COMPARE_PY" ] ||
		die "$COMPARE_PY missing: Debian's libbenchmark-tools (scripts/deps.sh installs it)"
}

# One make compare at a time: the base worktree is shared.
take_lock() {
	mkdir -p build/compare
	exec 9>build/compare/lock
	flock -n 9 || die "another make compare is running in this tree (build/compare/lock)"
}

# The base worktree at $SHA: reused when it is one, made anew (--force
# also takes over a registration whose folder `make clean` removed).
checkout_base() {
	local top
	top=$(pwd -P)
	if git worktree list --porcelain | grep -qxF "worktree $top/$WT"; then
		git -C "$WT" checkout -q --detach --force "$SHA"
		git -C "$WT" clean -q -fd
	else
		rm -rf "$WT"
		git worktree add -q --force --detach "$WT" "$SHA"
	fi
}

# The base's binary, built by its own Makefile with this tree's compilers;
# make's command-line variables of this run are not handed down.  The
# previous revision's binary goes first: a revision with no rule for it
# would otherwise find it "up to date".
build_base() {
	local log=build/compare/base-build.log
	rm -f "$BASE_BIN"
	echo "== building the base $(git rev-parse --short=12 "$SHA") ($BASE) in $WT"
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$WT" --no-print-directory \
		ARCH=native CC="${CC:-gcc}" CXX="${BENCH_CXX:-g++}" build/native/bench/vmaplab_bench \
		>"$log" 2>&1 || [ ! -x "$BASE_BIN" ]; then
		tail -n 15 "$log" >&2
		die "BASE=$BASE: its benchmark binary cannot be built (log: $log)"
	fi
}

set_run_flags() {
	local min_time=0.1 quick=()
	if [ "$QUICK" = 1 ]; then
		min_time=0.01 quick=(--vl_quick)
	fi
	# the sample pass is not what compare measures: keep it short
	RUN_FLAGS=(--vl_layout="$LAYOUT" --vl_seed="$SEED" --vl_vmallocinfo="$VMI"
		--vl_latency_ops=200 "${quick[@]}" --benchmark_min_time="$min_time"
		--benchmark_repetitions=1 ${FILTER:+--benchmark_filter="$FILTER"})
}

# A stamp of its own: runs are serialised by the lock, so a taken stamp is
# an earlier run of the same second.
make_run_dir() {
	local base n=1
	base=$(date -u +%Y%m%dT%H%M%SZ)
	STAMP=$base
	while [ -e "$ROOT/$STAMP" ] || [ -e "$ROOT/.$STAMP.tmp" ]; do
		n=$((n + 1))
		STAMP=$base-$n
	done
	OUT=$ROOT/.$STAMP.tmp
	mkdir -p "$OUT/raw"
}

# Turn $2 of side $1 (base or new), with binary $3.
run_turn() {
	if ! "$3" "${RUN_FLAGS[@]}" --benchmark_out="$OUT/raw/$1-$2.json" \
		--benchmark_out_format=json >"$OUT/raw/$1-$2.log" 2>&1; then
		tail -n 5 "$OUT/raw/$1-$2.log" >&2
		echo "compare.sh: the $1 binary failed in turn $2 (log: raw/$1-$2.log)" >&2
		return 1
	fi
}

run_turns() {
	local i
	for i in $(seq 1 "$ROUNDS"); do
		echo "== turn $i/$ROUNDS: base, new (at $((SECONDS - START)) s)"
		run_turn base "$i" "$BASE_BIN" || return 1
		run_turn new "$i" "$NEW_BIN" || return 1
	done
}

revision_of_tree() {
	local c
	c=$(git rev-parse --short=12 HEAD)
	[ -z "$(git status --porcelain)" ] || c="$c+dirty"
	echo "$c"
}

compare() {
	local side
	for side in base new; do
		"$PYTHON" scripts/compare_report.py merge "$OUT/$side.json" "$OUT"/raw/"$side"-*.json
	done
	# compare.py: relative paths, so its text names base.json and new.json
	(cd "$OUT" && "$PYTHON" "$COMPARE_PY" --no-color -d compare.json \
		benchmarks base.json new.json >compare.txt 2>&1) ||
		{ cat "$OUT/compare.txt" >&2; echo "compare.sh: compare.py failed" >&2; return 1; }
	"$PYTHON" scripts/compare_report.py report "$OUT" \
		--base "$BASE ($(git rev-parse --short=12 "$SHA"))" --new "$(revision_of_tree)" \
		--rounds "$ROUNDS" --quick "$QUICK" --layout "$LAYOUT" --stamp "$STAMP"
}

publish() {
	cp build/compare/base-build.log "$OUT/"
	mv -T "$OUT" "$ROOT/$STAMP"
	OUT=
	ln -sfn "$STAMP" "$ROOT/.latest.tmp"
	mv -Tf "$ROOT/.latest.tmp" "$ROOT/latest"
	echo "== compare done in $((SECONDS - START)) s: $ROOT/$STAMP/compare.md (latest)"
}

# INT or TERM, or a failure: drop the unfinished run folder.
drop_run() {
	[ -z "${OUT:-}" ] || rm -rf "$OUT"
}

main() {
	START=$SECONDS
	check_settings
	[ "${1:-}" != --validate ] || return 0
	[ -x "$NEW_BIN" ] || die "no benchmark binary at $NEW_BIN (make compare builds it)"
	take_lock
	checkout_base
	build_base
	set_run_flags
	OUT=
	trap 'drop_run; exit 130' INT TERM
	trap drop_run EXIT
	make_run_dir
	echo "== compare: base $BASE vs this tree, $ROUNDS turns each, quick=$QUICK -> $ROOT/$STAMP"
	run_turns || exit 1
	compare || exit 1
	publish
}

main "$@"
