#!/usr/bin/env bash
# make fuzz-smoke: every target (libFuzzer, ASan+UBSan) for FUZZ_SECONDS
# (default 25) at once, seeded from a copy of corpus/.  Fails on any
# finding, printing it minimized-free but decoded.
# BIN_DIR (default $FUZZ_DIR/libfuzzer) and STOP_ON_FIRST=1 serve the
# self-test: other binaries, and stop everything at the first finding
# (its elapsed seconds go to $WORK/first).  SEEDS=none starts from one
# zero byte instead of corpus/ (how fast the fuzzer finds things alone).
set -u
. "$(dirname "$0")/fuzz_lib.sh"
secs=${FUZZ_SECONDS:-25}
BIN_DIR=${BIN_DIR:-$FUZZ_DIR/libfuzzer}
own_work=0
[ -n "${WORK:-}" ] || { WORK=$(mktemp -d); own_work=1; }
start=$(date +%s)

run_one() {
	local t=$1 dict
	mkdir -p "$WORK/$t/corpus"
	if [ "${SEEDS:-corpus}" = none ]; then
		printf '\0' > "$WORK/$t/corpus/zero"
	else
		cp corpus/"$t"/* "$WORK/$t/corpus/" 2>/dev/null
	fi
	dict=$(dict_of "$t")
	"$BIN_DIR/$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$WORK/$t/" \
		${dict:+$( [ -f "$dict" ] && echo "-dict=$dict")} \
		"$WORK/$t/corpus" > "$WORK/$t/log" 2>&1
	echo $? > "$WORK/$t/rc"
	echo $(( $(date +%s) - start )) > "$WORK/$t/elapsed"
}

pids=()
for t in $TARGETS; do
	run_one "$t" &
	pids+=($!)
done

finished() {
	local t
	for t in $TARGETS; do [ -f "$WORK/$t/rc" ] || return 1; done
}
crashed() {
	local t
	for t in $TARGETS; do
		[ -f "$WORK/$t/rc" ] && [ "$(cat "$WORK/$t/rc")" != 0 ] && { echo "$t"; return 0; }
	done
	return 1
}
while ! finished; do
	sleep 0.2
	if [ "${STOP_ON_FIRST:-0}" = 1 ] && t=$(crashed); then
		cat "$WORK/$t/elapsed" > "$WORK/first"
		echo "$t" >> "$WORK/first"
		for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null; done
		wait
		exit 1
	fi
done
wait

status=0
printf '%-12s %10s %8s %s\n' target execs/s edges result
for t in $TARGETS; do
	rc=$(cat "$WORK/$t/rc")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/$t/log")
	cov=$(grep -o 'cov: [0-9]*' "$WORK/$t/log" | tail -1 | cut -d' ' -f2)
	printf '%-12s %10s %8s %s\n' "$t" "${eps:-?}" "${cov:-?}" "$([ "$rc" = 0 ] && echo ok || echo FINDING)"
	if [ "$rc" != 0 ]; then
		status=1
		grep -E 'FINDING|ERROR|runtime error|SUMMARY' "$WORK/$t/log" | head -5
		for f in "$WORK/$t"/crash-* "$WORK/$t"/leak-* "$WORK/$t"/timeout-*; do
			[ -f "$f" ] && explain "$t" "$f"
		done
	fi
done
if [ "$status" = 0 ]; then
	echo "fuzz smoke: every target ran ${secs}s without a finding"
	[ "$own_work" = 1 ] && rm -rf "$WORK"
fi
exit $status
