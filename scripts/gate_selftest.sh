#!/usr/bin/env bash
# make gate-selftest: proves the regression gates bite.  For each script in
# scripts/gate_faults/, copy this tree (its git-tracked files, as they are
# in the working tree) into build/gate-selftest/NAME/, break the copy, and
# run the gate there: x86-64 only (events, instructions, coverage), layout
# GATE_LAYOUTS (default biscuitos), against the copy's bench/baseline/.
# A fault script's header states what the gate must say:
#   # expect: BENCH_RE FIGURE_RE   the gate fails, and a failing row of the
#                                  report matches both (FIGURE_RE ^coverage:
#                                  coverage fell, in a file matching BENCH_RE)
#   # expect-not: BENCH_RE FIGURE_RE   and no failing row matches these
#   # expect: pass                 the gate passes
#   # run: events                  the event-count gate only (no callgrind,
#                                  no coverage): for a change too slow there
# Prints one line per fault and a summary; writes results/gate/selftest/
# <stamp>.txt; exits 1 when a fault is missed or misattributed, or the
# harmless change fails.  GATE_FAULTS="a.sh b.sh" runs those scripts only.
# Needs from bench/gate.mk: GATE_CC, GATE_CXX,
# GATE_FLAGS, PYTHON, SELFTEST_BIN (the bench binary, relative to a tree).
set -u
cd "$(dirname "$0")/.." || exit 2
DIR=build/gate-selftest
BASE=$DIR/.base
export GATE_LAYOUTS=${GATE_LAYOUTS:-biscuitos}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
REPORT=results/gate/selftest/$STAMP.txt
START=$SECONDS
FAULTS=${GATE_FAULTS:-$(echo scripts/gate_faults/*.sh)}
die() { echo "gate-selftest: $*" >&2; exit 2; }

mkdir -p "$DIR" results/gate/selftest || die "cannot create $DIR"
# One pristine copy with the bench binary built; each change starts from it,
# so only the files a change touches are rebuilt.  Not the coverage build:
# gcov writes its counts next to the objects' first path, the pristine copy.
{ rm -rf "$BASE" && mkdir -p "$BASE"; } || die "cannot create $BASE"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$BASE" || die "cannot copy the tree"
echo "== gate-selftest: building the pristine copy ($BASE)"
(cd "$BASE" && nice make -s --no-print-directory ARCH=native "$SELFTEST_BIN") \
	> "$DIR/base.log" 2>&1 ||
	{ tail -n 30 "$DIR/base.log"; die "the pristine copy does not build (log: $DIR/base.log)"; }

# Does the gate's report in $1 (a copy) say what $2 (a fault script) expects?
# Prints the matching row, or why not.
attributed() {
	"$PYTHON" - "$1" "$2" <<'PY'
import glob, json, os, re, sys
tree, script = sys.argv[1:]
expect, expect_not = [], []
for line in open(script):
    m = re.match(r"# expect(-not)?: (.*)", line)
    if m:
        (expect_not if m.group(1) else expect).append(m.group(2).split())
report = os.path.join(tree, "results/gate/latest")
rows = set()
for line in open(os.path.join(report, "gate.md")):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if line.startswith("|") and len(cells) == 8 and cells[7].startswith("FAIL"):
        rows.add(tuple(cells))  # gate.md lists each twice
cov = os.path.join(report, "coverage/summary.json")
cov = json.load(open(cov)) if os.path.exists(cov) else {}
def matches(bench, fig):
    if re.match(fig, "coverage"):
        if cov.get("verdict") != "fail":
            return None
        hit = [r for r in cov["changed"] if re.search(bench, r["file"])]
        return hit and "coverage %s %s: %s -> %s" % (
            hit[0]["file"], hit[0]["figure"], hit[0]["baseline"], hit[0]["now"])
    hit = [r for r in sorted(rows) if re.search(bench, r[2]) and re.search(fig, r[3])]
    return hit and "%s %s %s: %s -> %s (%s)" % (hit[0][0], hit[0][2], hit[0][3],
                                               hit[0][4], hit[0][5], hit[0][6])
said = []
for bench, fig in expect:
    m = matches(bench, fig)
    if not m:
        print("no failing row matches %s %s" % (bench, fig))
        sys.exit(1)
    said.append(m)
for bench, fig in expect_not:
    m = matches(bench, fig)
    if m:
        print("unexpected failing row: " + m)
        sys.exit(1)
print("; ".join(said) + ("; %d failing rows in all" % len(rows)))
PY
}

# One change: copy, break, gate, judge; the verdict line goes to $dir/result.
selftest() {
	local script=$1 name dir t0 want events rc verdict why
	name=$(basename "$script" .sh)
	dir=$DIR/$name
	t0=$SECONDS
	want=$(sed -n 's/^# expect: //p' "$script" | head -n1)
	events=$(sed -n 's/^# run: events.*/1/p' "$script")
	{ rm -rf "$dir" && cp -a "$BASE" "$dir"; } || return 2
	if [ -z "$want" ]; then
		verdict=BROKEN why="no '# expect:' line"
	elif ! bash "$script" "$dir"; then
		verdict=BROKEN why="the fault script did not apply"
	else
		(cd "$dir" && nice make -s --no-print-directory ARCH=native "$SELFTEST_BIN" &&
			GATE_BIN=$SELFTEST_BIN GATE_ARM_BIN='' GATE_EVENTS_ONLY=$events \
				nice bash scripts/gate.sh check) > "$dir/gate.log" 2>&1
		rc=$?
		if [ "$want" = pass ]; then
			if [ $rc = 0 ]; then verdict=passed why="the gate passed, as it must"
			else verdict=FAILED why="the gate failed (status $rc) on a harmless change (see $dir/gate.log)"
			fi
		elif [ $rc != 1 ]; then
			verdict=MISSED why="the gate exited $rc, not 1 (see $dir/gate.log)"
		elif why=$(attributed "$dir" "$script"); then
			verdict=caught
		else
			verdict=MISATTRIBUTED why="$why (see $dir/gate.log)"
		fi
	fi
	printf '%-22s %-13s %4ss  %s\n' "$name" "$verdict" "$((SECONDS - t0))" "$why" |
		tee "$dir/result"
}

# GATE_SELFTEST_JOBS changes at a time (default 2: this machine's cores).
jobs=${GATE_SELFTEST_JOBS:-2}
for script in $FAULTS; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	selftest "$script" &
done
wait
fail=0
: > "$REPORT"
for script in $FAULTS; do
	result=$DIR/$(basename "$script" .sh)/result
	if [ -f "$result" ]; then cat "$result"; else echo "$(basename "$script" .sh): did not run"; fi >> "$REPORT"
	grep -qE '^[^ ]+ +(caught|passed) ' "$result" 2>/dev/null || fail=1
done
echo "== gate self-test: one line per change (also in $REPORT)"
cat "$REPORT"
total=$((SECONDS - START))
{
	echo "== gate self-test: $(echo "$FAULTS" | wc -w) changes, layouts $GATE_LAYOUTS, ${total}s in all"
	[ $fail = 0 ] && echo "gate self-test: every regression caught and attributed, the harmless change passed" ||
		echo "gate self-test: FAILED (see above)"
} | tee -a "$REPORT"
echo "gate-selftest: report $REPORT"
exit $fail
