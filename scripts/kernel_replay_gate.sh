#!/usr/bin/env bash
# kernel-replay gate: replay the committed capture of a real kernel
# (corpus/kernel/linux-6.18-x86_64) with generation 4 and compare the last
# line with bench/baseline/kernel_replay.json: nr_lazy, purges and the final
# state must agree exactly; the address shares (all, and after the first
# purge) must not fall below the committed ones.
# usage: kernel_replay_gate.sh VMAPLAB_BINARY            gate ($RUN: emulator prefix)
#        kernel_replay_gate.sh --update VMAPLAB_BINARY   rewrite the baseline
# Exit 1: a figure regressed; 2: the replay or the baseline is missing or bad.
set -u
cd "$(dirname "$0")/.." || exit 2
BASELINE=bench/baseline/kernel_replay.json
CAPTURE=corpus/kernel/linux-6.18-x86_64
GEN=nodes

mode=gate
[ "${1:-}" = --update ] && { mode=update; shift; }
[ $# = 1 ] || { echo "usage: kernel_replay_gate.sh [--update] VMAPLAB_BINARY" >&2; exit 2; }
bin=$1
out=$(${RUN:-} "$bin" kernel-replay --gen $GEN $CAPTURE) ||
	{ echo "kernel-replay gate: the replay failed" >&2; exit 2; }
last=$(printf '%s\n' "$out" | tail -n 1)
python3 - "$mode" "$BASELINE" "$CAPTURE" "$GEN" "$last" <<'PY'
import json, re, sys

mode, path, capture, gen, last = sys.argv[1:]
m = re.fullmatch(r"kernel-replay: nr_lazy (\d+)/(\d+), purges (\d+)/(\d+), final (\d+)/(\d+), "
                 r"addresses (\d+)/(\d+), after first purge (\d+)/(\d+)", last)
if not m:
    sys.exit("kernel-replay gate: unexpected last line: " + last)
v = list(map(int, m.groups()))
got = {"nr_lazy": v[0:2], "purges": v[2:4], "final": v[4:6],
       "addresses": v[6:8], "after_first_purge": v[8:10]}
if mode == "update":
    with open(path, "w") as f:
        json.dump({"capture": capture, "generation": gen, **got}, f, indent=1)
        f.write("\n")
    print("kernel-replay gate: wrote", path, "-", last)
    sys.exit(0)
try:
    with open(path) as f:
        want = json.load(f)
except (OSError, ValueError) as e:
    print("kernel-replay gate: no usable baseline %s (%s): run it with --update" % (path, e),
          file=sys.stderr)
    sys.exit(2)
bad = []
for k in ("nr_lazy", "purges", "final"):
    if got[k] != want[k]:
        bad.append("%s %d/%d, committed %d/%d" % (k, *got[k], *want[k]))
for k in ("addresses", "after_first_purge"):
    if got[k][1] != want[k][1] or got[k][0] < want[k][0]:
        bad.append("%s %d/%d below the committed %d/%d" % (k, *got[k], *want[k]))
for b in bad:
    print("kernel-replay gate: FAIL", b)
if bad:
    sys.exit(1)
print("kernel-replay gate: passed -", last)
PY
