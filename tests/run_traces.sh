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
echo "golden traces: $((n - fail))/$n passed"
[ "$fail" = 0 ]
