#!/usr/bin/env bash
# Fails unless two builds (x86-64 and ARM32) printed the same bytes: unit
# tests, golden traces, fuzz corpus replay, and the exact event counts of
# the quick bench run (times are not compared: emulation).
set -u
a=$1 b=$2 fail=0
for f in "$a"/out/*.txt; do
	name=$(basename "$f")
	if cmp -s "$f" "$b/out/$name"; then
		echo "identical: $name ($(wc -l < "$f") lines)"
	else
		echo "DIFFERENT: $name"; diff "$f" "$b/out/$name" | head -20; fail=1
	fi
done
events() {
	/usr/bin/python3 - "$1/bench-results/latest/bench.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = ["suite", "benchmark", "impl", "param", "n"]
cols = keys + sorted(c for c in rows[0] if c.endswith("_per_op") and not c.startswith("ns_"))
print(",".join(cols))
for r in rows:
    print(",".join(r[c] for c in cols))
PY
}
if diff <(events "$a") <(events "$b") > /tmp/vmaplab-events.diff; then
	echo "identical: bench event counts ($(events "$a" | wc -l) rows)"
else
	echo "DIFFERENT: bench event counts"; head -20 /tmp/vmaplab-events.diff; fail=1
fi
exit $fail
