#!/usr/bin/env bash
# Runs every benchmark suite and writes results/<UTC stamp>/ (see
# results/README.md), then points results/latest at it.  Called by
# `make bench` and `make bench-check`.
#
# The run is built in results/.<stamp>.tmp/ and renamed into place when
# complete; an interrupt (INT, TERM) removes it.  results/latest moves only
# after a run with no failure.  Two runs started in the same second get
# <stamp> and <stamp>-2.
#
# Environment:
#   ARCH=native|arm      arm: the binary runs under $BENCH_RUN, no perf
#   LAYOUT=NAME          layout to boot (default biscuitos)
#   SEED=N               seed of every PRNG (default 1)
#   VMALLOCINFO=FILE     snapshot for the real suite (default: the 6.18 one)
#   KERNEL_CAPTURE=DIR   vmalloc capture for the kernel suite (default: the
#                        committed corpus/kernel/linux-6.18-x86_64)
#   CPUS=N               CPUs (one vmap node each) of the nodes generation's
#                        machines; default: the host's, at most NR_CPUS
#   VMALLOC_SIZE=SIZE    the kernel's vmalloc=SIZE (bytes, or with K, M, G)
#                        for every machine; default: the layout's window,
#                        and for the scan-cost curve and test_vmalloc one
#                        that holds 15,000 one-page areas (192M on biscuitos)
#   BENCH_QUICK=0|1      1: the same files in under a minute
#   BENCH_BIN, BENCH_RUN the binary and its launcher prefix (from bench.mk)
#   BENCH_CXX, CC        compilers, recorded in meta.json
#   RESULTS_ROOT=DIR     where run directories go (default results)
#   PYTHON               interpreter with numpy/scipy/matplotlib
# Exit status: 0; 1 when a suite, a benchmark or the report failed; 2 for a
# bad setting or a malformed snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench.sh: $*" >&2; exit 2; }

ARCH=${ARCH:-native}
LAYOUT=${LAYOUT:-biscuitos}
SEED=${SEED:-1}
VMALLOC_SIZE=${VMALLOC_SIZE:-}
QUICK=${BENCH_QUICK:-0}
BIN=${BENCH_BIN:-build/$ARCH/bench/vmaplab_bench}
RUN=${BENCH_RUN:-}
ROOT=${RESULTS_ROOT:-results}
PYTHON=${PYTHON:-/usr/bin/python3}
SUITES=(pkmap fixmap vmalloc test_vmalloc real kernel)
SHIPPED_VMI=corpus/real/vmallocinfo-x86_64-linux-6.18.txt
SHIPPED_CAPTURE=corpus/kernel/linux-6.18-x86_64
CPUS=${CPUS:-}
TEMPLATE=scripts/node_modules/d3-flame-graph/dist/templates/d3-flamegraph-base.html

check_settings() {
	case $ARCH in native | arm) ;; *) die "ARCH must be native or arm, not '$ARCH'" ;; esac
	case $QUICK in 0 | 1) ;; *) die "BENCH_QUICK must be 0 or 1, not '$QUICK'" ;; esac
	[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, not '$SEED'"
	[[ $CPUS =~ ^([1-9][0-9]*)?$ ]] || die "CPUS must be a positive integer, not '$CPUS'"
	[[ $VMALLOC_SIZE =~ ^([0-9]+[KMG]?)?$ ]] ||
		die "VMALLOC_SIZE must be a size in bytes, or with K, M or G, not '$VMALLOC_SIZE'"
	[ -x "$BIN" ] || die "no benchmark binary at $BIN (make bench builds it)"
}

# The inputs to replay: the snapshot, $VMALLOCINFO or the committed one (its
# contents judged by validate()), and the kernel capture folder.
pick_snapshot() {
	VMI=${VMALLOCINFO:-$SHIPPED_VMI}
	[ -r "$VMI" ] || die "$VMI: no such file, or not readable${VMALLOCINFO:+ (VMALLOCINFO)}"
	[ ! -d "$VMI" ] || die "$VMI: a directory, not a /proc/vmallocinfo snapshot"
	CAPTURE=${KERNEL_CAPTURE:-$SHIPPED_CAPTURE}
	[ -d "$CAPTURE" ] || die "$CAPTURE: not a capture folder${KERNEL_CAPTURE:+ (KERNEL_CAPTURE)}"
}

set_run_flags() {
	OWN_FLAGS=(--vl_layout="$LAYOUT" --vl_seed="$SEED"
		--vl_kernel_capture="$CAPTURE")
	[ -z "$CPUS" ] || OWN_FLAGS+=(--vl_cpus="$CPUS")
	[ -z "$VMALLOC_SIZE" ] || OWN_FLAGS+=(--vl_vmalloc_size="$VMALLOC_SIZE")
	if [ "$QUICK" = 1 ]; then
		MIN_TIME=0.01 REPS=3
		OWN_FLAGS+=(--vl_quick)
	else
		MIN_TIME=0.12 REPS=3  # four generations: the full run stays near 5 min
	fi
}

# A bad layout, VMALLOC_SIZE or snapshot stops here with the binary's message.
validate() {
	$RUN "$BIN" "${OWN_FLAGS[@]}" --vl_vmallocinfo="$VMI" \
		--benchmark_list_tests=true >/dev/null || exit 2
}

# A stamp no other run holds: the temporary folder is taken with mkdir
# (atomic), and it is renamed into place, so a taken .S.tmp or S means
# another run has S: try S-2, S-3...
reserve_stamp() {
	local base n=1
	base=$(date -u +%Y%m%dT%H%M%SZ)
	STAMP=$base
	mkdir -p "$ROOT"
	while ! mkdir "$ROOT/.$STAMP.tmp" 2>/dev/null || [ -e "$ROOT/$STAMP" ]; do
		[ ! -e "$ROOT/$STAMP" ] || rmdir "$ROOT/.$STAMP.tmp" 2>/dev/null || true
		n=$((n + 1))
		[ $n -le 100 ] || die "cannot create a run folder in $ROOT"
		STAMP=$base-$n
	done
	OUT=$ROOT/.$STAMP.tmp
}

# The run directory, with the replayed input frozen in it (a live
# /proc/vmallocinfo changes between reads).
make_run_dir() {
	reserve_stamp
	mkdir "$OUT/samples"
	cat "$VMI" >"$OUT/vmallocinfo.txt.tmp"
	mv "$OUT/vmallocinfo.txt.tmp" "$OUT/vmallocinfo.txt"
	OWN_FLAGS+=(--vl_vmallocinfo="$(realpath "$OUT/vmallocinfo.txt")")
}

# The suites, one process each, as a script: it runs as is or, natively,
# under one perf record, so the flame graph shows the whole run.
write_suites_script() {
	local i=0 suite
	for suite in "${SUITES[@]}"; do
		i=$((i + 1))
		printf 'echo "== [%d/%d] %s (at $((SECONDS + %d)) s)"\n' \
			"$i" "${#SUITES[@]}" "$suite" "$((SECONDS - START))"
		printf '%q ' $RUN "$BIN" "${OWN_FLAGS[@]}" --vl_samples="$OUT/samples" \
			--benchmark_filter="^$suite/" --benchmark_min_time="$MIN_TIME" \
			--benchmark_repetitions="$REPS" \
			--benchmark_out="$WORK/$suite.json" --benchmark_out_format=json
		printf '|| echo %q >>%q\n' "$suite" "$WORK/failed"
	done >"$WORK/suites.sh"
}

# Empty when perf can record here, else why not.
why_no_profile() {
	if [ "$ARCH" != native ]; then
		echo "not recorded: no perf under qemu-user"
	elif ! command -v perf >/dev/null; then
		echo "not recorded: perf is not installed"
	elif [ ! -f "$TEMPLATE" ]; then
		echo "not recorded: $TEMPLATE missing (scripts/deps.sh installs it)"
	elif ! perf record -q -e cpu-clock -o "$WORK/probe.data" -- true >"$WORK/perf.log" 2>&1; then
		echo "not recorded: perf cannot record: $(tail -n 1 "$WORK/perf.log")"
	fi
}

# Waits for the job just started with `setsid ... &` (a process group of its
# own): `wait` returns at an interrupt, and the trap stops the whole group.
wait_child() {
	CHILD=$!
	wait "$CHILD" || true
	CHILD=
}

# 99 Hz keeps the sampling cost under 1% of the run and its data small.
run_suites() {
	write_suites_script
	FLAME=$(why_no_profile)
	if [ -n "$FLAME" ]; then
		echo "bench.sh: flame graph $FLAME; running without it"
		setsid bash "$WORK/suites.sh" &
		wait_child
	else
		echo "== recording the whole run with perf record -e cpu-clock -F 99 --call-graph dwarf"
		setsid perf record -q -e cpu-clock -F 99 --call-graph dwarf \
			-o "$WORK/perf.data" -- bash "$WORK/suites.sh" 2>>"$WORK/perf.log" &
		wait_child
	fi
	FAILED=0
	if [ -f "$WORK/failed" ]; then
		echo "bench.sh: suites failed: $(tr '\n' ' ' <"$WORK/failed")" >&2
		FAILED=1
	fi
}

flame_graph() {
	[ -z "$FLAME" ] || return 0
	echo "== flame graph (at $((SECONDS - START)) s)"
	if draw_profile; then
		FLAME=recorded
	else
		FLAME="not drawn: perf script failed: $(tail -n 1 "$WORK/perf.log")"
		echo "bench.sh: flame graph $FLAME; continuing without it"
	fi
}

draw_profile() {
	local out template
	out=$(realpath "$OUT")
	template=$(realpath "$TEMPLATE")
	# the script reads the header of ./perf.data: run it where the data is
	(cd "$WORK" && perf script report flamegraph --template "$template" \
		-o "$out/flamegraph.html.tmp") >>"$WORK/perf.log" 2>&1 &&
		mv "$OUT/flamegraph.html.tmp" "$OUT/flamegraph.html"
}

compilers() {
	echo "$(${BENCH_CXX:-g++} --version | head -n 1); core: $(${CC:-gcc} --version | head -n 1)"
}

commit() {
	local c
	c=$(git rev-parse --short=12 HEAD 2>/dev/null) || c=none
	[ -z "$(git status --porcelain 2>/dev/null)" ] || c="$c+dirty"
	echo "$c"
}

report() {
	local arch=x86_64
	[ "$ARCH" = arm ] && arch=armv7-qemu
	[ "$ARCH" = native ] && arch=$(uname -m)
	local raw=() suite
	for suite in "${SUITES[@]}"; do
		[ ! -f "$WORK/$suite.json" ] || raw+=("$WORK/$suite.json")
	done
	[ ${#raw[@]} -gt 0 ] || { echo "bench.sh: no suite produced results" >&2; return 1; }
	"$PYTHON" scripts/bench_report.py "$OUT" --raw "${raw[@]}" --arch "$arch" \
		--compiler "$(compilers)" --commit "$(commit)" --flamegraph "$FLAME" \
		--repetitions "$REPS" --min-time "$MIN_TIME" --quick "$QUICK" --vmallocinfo-source "$VMI" \
		--stamp "$STAMP"
}

# The finished run into place; results/latest only after a run that passed.
publish() {
	local rc=$1
	mv -T "$OUT" "$ROOT/$STAMP"
	OUT=
	if [ "$rc" -ne 0 ]; then
		echo "== bench failed after $((SECONDS - START)) s: $ROOT/$STAMP" \
			"(results/latest not moved)" >&2
		return
	fi
	ln -sfn "$STAMP" "$ROOT/.latest.tmp"
	mv -Tf "$ROOT/.latest.tmp" "$ROOT/latest"
	echo "== bench done in $((SECONDS - START)) s: $ROOT/$STAMP (latest)"
}

# INT or TERM: stop the suites, drop the half-built run.
interrupted() {
	trap - INT TERM
	[ -z "${CHILD:-}" ] || kill -TERM -- "-$CHILD" 2>/dev/null || true
	wait 2>/dev/null || true
	if [ -n "${OUT:-}" ]; then
		rm -rf "$OUT"
		echo "bench.sh: interrupted; removed the unfinished $OUT" \
			"(results/latest unchanged)" >&2
	fi
	exit 130
}

main() {
	local rc=0
	START=$SECONDS
	check_settings
	pick_snapshot
	set_run_flags
	validate
	OUT= CHILD=
	trap interrupted INT TERM
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
	make_run_dir
	echo "== vmaplab bench: layout $LAYOUT${VMALLOC_SIZE:+, vmalloc=$VMALLOC_SIZE}, ARCH=$ARCH, quick=$QUICK -> $ROOT/$STAMP"
	run_suites
	flame_graph
	report || rc=1
	[ $FAILED -eq 0 ] || rc=1
	publish $rc
	return $rc
}

main "$@"
