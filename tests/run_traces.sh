#!/usr/bin/env bash
# Golden traces: tests/traces/NAME.trace must print exactly NAME.out
# (stdout, stderr, then "# exit N").  UPDATE=1 rewrites the .out files.
# usage: run_traces.sh VMAPLAB_BINARY ALL_OUTPUTS_FILE   ($RUN: emulator prefix)
set -u
bin=$(realpath "$1")
all=$(realpath "$2")
: > "$all"
cd "$(dirname "$0")/traces" || exit 1
fail=0 n=0
for t in *.trace; do
	want=${t%.trace}.out
	got=$(${RUN:-} "$bin" replay --check "$t" 2>&1; echo "# exit $?")
	printf '== %s\n%s\n' "$t" "$got" >> "$all"
	n=$((n + 1))
	if [ "${UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$got" > "$want"
	elif ! diff -u "$want" <(printf '%s\n' "$got") > /tmp/vmaplab-trace.diff 2>&1; then
		echo "FAIL $t"; cat /tmp/vmaplab-trace.diff; fail=$((fail + 1))
	fi
done

# Inputs that are not trace files: each must fail with exit 2 and a message
# (unbounded input at its first byte, a directory, output that is lost).
check_cmd() {  # NAME WANT COMMAND...
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1; echo "# exit $?")
	printf '== %s\n%s\n' "$name" "$got" >> "$all"
	n=$((n + 1))
	if [ "$got" != "$want" ]; then
		printf 'FAIL %s\n got: %s\nwant: %s\n' "$name" "$got" "$want"; fail=$((fail + 1))
	fi
}
check_cmd /dev/zero $'/dev/zero:1:1: unexpected byte 0x00\n# exit 2' \
	${RUN:-} "$bin" replay /dev/zero
check_cmd directory $'vmaplab: .: Is a directory\n# exit 2' ${RUN:-} "$bin" replay .
check_cmd /dev/full $'vmaplab: standard output: No space left on device\n# exit 2' \
	sh -c '${RUN:-} "$0" replay pkmap_first_slot.trace > /dev/full' "$bin"
# kernel-replay: the hand-made capture's summary, and captures or options
# that cannot be replayed (exit 2, one message naming the file).
kr_good=$(cat ../kernel_replay/good.out)
check_cmd kernel-replay-good "$kr_good" ${RUN:-} "$bin" kernel-replay --check ../kernel_replay/good
check_cmd kernel-replay-missing $'../kernel_replay/none/trace.txt: missing (nor is there a .xz of it)\n# exit 2' \
	${RUN:-} "$bin" kernel-replay ../kernel_replay/none
check_cmd kernel-replay-gen $'vmaplab: unknown generation \'buddy\' (vmlist, rbtree, augtree, nodes)\n# exit 2' \
	${RUN:-} "$bin" kernel-replay --gen buddy ../kernel_replay/good
check_cmd kernel-replay-csv $'vmaplab: /nonexistent/r.csv: No such file or directory\n# exit 2' \
	${RUN:-} "$bin" kernel-replay -o /nonexistent/r.csv ../kernel_replay/good
echo "golden traces: $((n - fail))/$n passed"
[ "$fail" = 0 ]
