#!/usr/bin/env bash
# The regression gates (make gate, make gate-update, make ARCH=arm
# gate-events; see README "Regression gates").
#
#   gate.sh check     run the passes, compare with bench/baseline/, write
#                     results/gate/<stamp>/{gate.md,index.html}, exit 1 on
#                     a regression
#   gate.sh update    run the passes and rewrite bench/baseline/
#
# Environment (set by bench/gate.mk):
#   GATE_BIN          x86-64 bench binary: events and, under callgrind,
#                     instructions ("" for none)
#   GATE_EVENTS_ONLY  set: no callgrind pass
#   GATE_ARM_BIN      ARM32 bench binary, run under GATE_ARM_RUN: events
#                     ("" for none)
#   GATE_LAYOUTS      layouts gated (default: all four)
#   GATE_OPS          operations per benchmark (default 200)
#   GATE_TOLERANCE    instructions: allowed rise in percent (default 2)
#   GATE_CC, GATE_CXX, GATE_FLAGS   the toolchain, recorded in baselines
#   GATE_ROOT         where reports go (default results/gate)
set -euo pipefail

MODE=${1:-check}
case $MODE in check | update) ;; *) echo "usage: gate.sh check|update" >&2; exit 2 ;; esac
LAYOUTS=${GATE_LAYOUTS:-biscuitos arm i386 small}
OPS=${GATE_OPS:-200}
ROOT=${GATE_ROOT:-results/gate}
VMI=corpus/real/vmallocinfo-x86_64-linux-6.18.txt
PYTHON=${PYTHON:-/usr/bin/python3}
START=$SECONDS

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
n=1
while [ -e "$ROOT/$STAMP" ] || [ -e "$ROOT/.$STAMP.tmp" ]; do
	n=$((n + 1))
	STAMP=$(date -u +%Y%m%dT%H%M%SZ)-$n
done
OUT=$ROOT/.$STAMP.tmp
mkdir -p "$OUT/run"
trap 'rm -rf "$OUT"; echo "gate: interrupted, $OUT removed" >&2; exit 130' INT TERM
trap 'echo "gate: a pass failed (see above); its output is kept in $OUT" >&2' ERR

# One layout's pass: the same fixed sequence, seed 1, every suite.
pass_args() {
	# two CPUs for generation 4 on every host: its rows must not depend on the host
	echo --vl_layout="$1" --vl_seed=1 --vl_gate="$OPS" --vl_vmallocinfo="$VMI" --vl_cpus=2
}

for layout in $LAYOUTS; do
	if [ -n "${GATE_BIN:-}" ]; then
		# shellcheck disable=SC2046
		"$GATE_BIN" $(pass_args "$layout") >"$OUT/run/events-$layout-x86_64.json"
	fi
	if [ -n "${GATE_BIN:-}" ] && [ -z "${GATE_EVENTS_ONLY:-}" ]; then
		# Instructions of the counted batches only: instrumentation is
		# switched on around them, collection around the operations.
		# shellcheck disable=SC2046
		valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
			--combine-dumps=yes --callgrind-out-file="$OUT/run/callgrind-$layout.out" \
			"$GATE_BIN" $(pass_args "$layout") >/dev/null 2>"$OUT/run/valgrind-$layout.log" ||
			{ cat "$OUT/run/valgrind-$layout.log" >&2; exit 1; }
	fi
	if [ -n "${GATE_ARM_BIN:-}" ]; then
		# shellcheck disable=SC2046,SC2086
		${GATE_ARM_RUN:-} "$GATE_ARM_BIN" $(pass_args "$layout") \
			>"$OUT/run/events-$layout-arm32.json"
	fi
done

trap - ERR
# Coverage (scripts/gate_coverage.sh, when present) writes $OUT/coverage/.
# Only the full gate measures it: an event-count run says so.
COVERAGE=absent
if [ -n "${GATE_EVENTS_ONLY:-}" ] || [ -z "${GATE_BIN:-}" ]; then
	COVERAGE=skipped
elif [ "$MODE" = check ] && [ -x scripts/gate_coverage.sh ]; then
	if scripts/gate_coverage.sh "$OUT"; then COVERAGE=pass; else COVERAGE=fail; fi
elif [ "$MODE" = update ] && [ -x scripts/gate_coverage.sh ]; then
	# one command rewrites every baseline, coverage's too
	scripts/gate_coverage.sh --update
fi

set +e
"$PYTHON" scripts/gate.py "$MODE" --run "$OUT/run" --out "$OUT" \
	--baseline bench/baseline --layouts "$LAYOUTS" --ops "$OPS" \
	--coverage "$COVERAGE" --vmallocinfo "$VMI"
rc=$?
set -e
if [ "$MODE" = update ]; then
	rm -rf "$OUT"
	exit $rc
fi
[ $rc -le 1 ] || { echo "gate: gate.py failed (status $rc), report left in $OUT" >&2; exit $rc; }
# The report is complete: into place, then latest.
mv "$OUT" "$ROOT/$STAMP"
ln -sfn "$STAMP" "$ROOT/.latest.tmp"
mv -Tf "$ROOT/.latest.tmp" "$ROOT/latest"
echo "gate: report $ROOT/$STAMP/gate.md (and index.html), $((SECONDS - START)) s"
exit $rc
