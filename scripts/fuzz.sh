#!/usr/bin/env bash
# make fuzz: a campaign on every core into results/fuzz/<stamp>/, until
# FUZZ_SECONDS or Ctrl-C.  ENGINE=afl (default): per target one AFL++ main
# and secondaries (one with the cmplog build) sharing a sync folder.
# ENGINE=libfuzzer: -jobs/-workers per target.  The cores are shared out
# among the targets run together (FUZZ_TARGET, default all).  Progress every
# FUZZ_PROGRESS seconds (default 30); at the end a summary with execs/s,
# edges and every crash minimized and decoded (summary.md); exits 1 if any.
set -u
. "$(dirname "$0")/fuzz_lib.sh"
ENGINE=${ENGINE:-afl}
secs=${FUZZ_SECONDS:-}
every=${FUZZ_PROGRESS:-30}
OUT=$PWD/results/fuzz/$(date -u +%Y%m%dT%H%M%SZ)
ntargets=$(echo $TARGETS | wc -w)
per=$((JOBS / ntargets)); [ "$per" -ge 1 ] || per=1
mkdir -p "$OUT"
ln -sfn "$(basename "$OUT")" results/fuzz/latest
start=$(date +%s)
pids=()

seed_dir() {
	mkdir -p "$OUT/$1/seeds"
	cp corpus/"$1"/* "$OUT/$1/seeds/"
}

start_afl() {
	local t=$1 i role dict
	dict=$(dict_of "$t")
	for ((i = 0; i < per; i++)); do
		role=(-S "s$i")
		[ "$i" = 0 ] && role=(-M main)
		# one instance with comparison logging: the second, or the only one
		if [ "$i" = $((per > 1 ? 1 : 0)) ]; then role+=(-c "$FUZZ_DIR/cmplog/$t"); fi
		AFL_NO_AFFINITY=1 ASAN_OPTIONS=abort_on_error=1:symbolize=0 setsid afl-fuzz -i "$OUT/$t/seeds" -o "$OUT/$t/sync" "${role[@]}" \
			-m none -t 20000 -x "$dict" ${secs:+-V "$secs"} -- "$FUZZ_DIR/afl/$t" \
			> "$OUT/$t/afl-$i.log" 2>&1 &
		pids+=($!)
	done
}

start_libfuzzer() {
	local t=$1 dict bin
	dict=$(realpath "$(dict_of "$t")")
	bin=$(realpath "$FUZZ_DIR/libfuzzer/$t")
	# a new job replaces any that ends on a crash, until the script stops
	# the process group (setsid); -jobs logs to fuzz-N.log in the working
	# directory
	(cd "$OUT/$t" && exec setsid "$bin" -jobs=1000000 -workers="$per" \
		-timeout=30 -rss_limit_mb=4096 -dict="$dict" \
		-artifact_prefix="$OUT/$t/" seeds > libfuzzer.log 2>&1) &
	pids+=($!)
}

# Per target: "execs/s edges crashes" (AFL++: execs/s averaged over the run).
afl_stat() {
	local t=$1 eps edges crashes
	eps=$(cat "$OUT/$t"/sync/*/fuzzer_stats 2>/dev/null | awk '
		/^run_time/ {r = $3} /^execs_done/ {s += r ? $3 / r : 0} END {printf "%d", s}')
	edges=$(awk '/^edges_found/ {print $3}' "$OUT/$t/sync/main/fuzzer_stats" 2>/dev/null)
	crashes=$(ls "$OUT/$t"/sync/*/crashes/id* 2>/dev/null | wc -l)
	echo "${eps:-0} ${edges:-0} $crashes"
}

libfuzzer_stat() {
	local t=$1 eps edges crashes f
	eps=0 edges=0
	for f in "$OUT/$t"/fuzz-*.log; do
		[ -f "$f" ] || continue
		e=$(grep -o 'exec/s: [0-9]*' "$f" | tail -1 | awk '{print $2 + 0}')
		eps=$((eps + ${e:-0}))
		e=$(grep -o 'cov: [0-9]*' "$f" | tail -1 | awk '{print $2 + 0}')
		[ "${e:-0}" -gt "$edges" ] && edges=$e
	done
	crashes=$(ls "$OUT/$t"/crash-* "$OUT/$t"/leak-* "$OUT/$t"/timeout-* 2>/dev/null | wc -l)
	echo "$eps $edges $crashes"
}

stat() { if [ "$ENGINE" = afl ]; then afl_stat "$1"; else libfuzzer_stat "$1"; fi; }

progress() {
	local t line=""
	for t in $TARGETS; do
		read -r eps edges crashes <<< "$(stat "$t")"
		line+=" | $t: $eps execs/s, $edges edges, $crashes crashes"
	done
	echo "[fuzz +$(($(date +%s) - start))s]${line}"
}

# Minimize each crash, decode it and name the first violation.
crash_report() {
	local t=$1 n=0 c min
	mkdir -p "$OUT/crashes"
	for c in "$OUT/$t"/sync/*/crashes/id* "$OUT/$t"/crash-* "$OUT/$t"/leak-* "$OUT/$t"/timeout-*; do
		[ -f "$c" ] || continue
		n=$((n + 1))
		min=$OUT/crashes/$t-$n.min
		if [ "$ENGINE" = afl ]; then
			ASAN_OPTIONS=abort_on_error=1:symbolize=0 afl-tmin -i "$c" -o "$min" -m none -t 20000 -- "$FUZZ_DIR/afl/$t" @@ > /dev/null 2>&1
		else
			"$FUZZ_DIR/libfuzzer/$t" -minimize_crash=1 -runs=5000 -exact_artifact_path="$min" \
				"$c" > /dev/null 2>&1
		fi
		[ -s "$min" ] || cp "$c" "$min"
		explain "$t" "$min" "$FUZZ_DIR/$ENGINE/$t" > "$OUT/crashes/$t-$n.txt" 2>&1
		echo "- $t crash $n: $(grep -m1 -E 'FINDING|ERROR|runtime error' "$OUT/crashes/$t-$n.txt" \
			| cut -c1-160) — crashes/$t-$n.txt"
	done
}

summary() {
	local t elapsed eps edges crashes
	elapsed=$(($(date +%s) - start))
	{
		echo "# fuzz campaign $(basename "$OUT") ($ENGINE, ${elapsed}s, $JOBS cores, $per per target)"
		echo
		echo "| target | execs/s | edges | crashes |"
		echo "|---|---|---|---|"
		for t in $TARGETS; do
			read -r eps edges crashes <<< "$(stat "$t")"
			echo "| $t | $eps | $edges | $crashes |"
		done
		echo
		for t in $TARGETS; do crash_report "$t"; done
	} > "$OUT/summary.md"
	cat "$OUT/summary.md"
	found=$(ls "$OUT"/crashes/*.min 2>/dev/null | wc -l)
}

# Every engine runs in its own process group (setsid): afl-fuzz can leave
# stopped forkserver children behind, which only the group kill reaches.
reap() {
	wait
	for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
}

stop() {
	trap - INT TERM
	echo "fuzz: stopping"
	for p in "${pids[@]}"; do
		if [ "$ENGINE" = afl ]; then kill -INT "$p"; else kill -TERM -- "-$p"; fi
	done 2>/dev/null
	reap
	summary
	exit $((found > 0))
}
trap stop INT TERM

for t in $TARGETS; do
	seed_dir "$t"
	"start_$ENGINE" "$t"
done
echo "fuzz: $ENGINE on $TARGETS, $per instance(s) each, into $OUT${secs:+ for ${secs}s} (Ctrl-C ends)"
while :; do
	for ((i = 0; i < every; i++)); do
		sleep 1
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break 2
		[ -z "$secs" ] || [ $(($(date +%s) - start)) -lt "$secs" ] || { stop; }
	done
	progress
done
trap - INT TERM
reap
summary
exit $((found > 0))
