#!/usr/bin/env bash
# kernel-replay gate: replay the committed captures of a real kernel
# (corpus/kernel/linux-6.18-x86_64, the reference one, and corpus/capture,
# made with scripts/capture_vmalloc_trace.sh) with generation 4 and compare
# each last line with bench/baseline/kernel_replay.json: nr_lazy, purges
# and the final state must agree exactly; the address shares (all, and
# after the first purge) must not fall below the committed ones.
# usage: kernel_replay_gate.sh VMAPLAB_BINARY            gate ($RUN: emulator prefix)
#        kernel_replay_gate.sh --update VMAPLAB_BINARY   rewrite the baseline
# Exit 1: a figure regressed; 2: a replay or the baseline is missing or bad.
set -u
cd "$(dirname "$0")/.." || exit 2
BASELINE=bench/baseline/kernel_replay.json
CAPTURES="corpus/kernel/linux-6.18-x86_64 corpus/capture"
GEN=nodes

mode=gate
[ "${1:-}" = --update ] && { mode=update; shift; }
[ $# = 1 ] || { echo "usage: kernel_replay_gate.sh [--update] VMAPLAB_BINARY" >&2; exit 2; }
bin=$1
lasts=()
for capture in $CAPTURES; do
	out=$(${RUN:-} "$bin" kernel-replay --gen $GEN "$capture") ||
		{ echo "kernel-replay gate: the replay of $capture failed" >&2; exit 2; }
	lasts+=("$capture" "$(printf '%s\n' "$out" | tail -n 1)")
done
python3 - "$mode" "$BASELINE" "$GEN" "${lasts[@]}" <<'PY'
import json, re, sys

mode, path, gen = sys.argv[1:4]
lasts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
got = {}
for capture, last in lasts.items():
    m = re.fullmatch(r"kernel-replay: nr_lazy (\d+)/(\d+), purges (\d+)/(\d+), final (\d+)/(\d+), "
                     r"addresses (\d+)/(\d+), after first purge (\d+)/(\d+)", last)
    if not m:
        sys.exit("kernel-replay gate: %s: unexpected last line: %s" % (capture, last))
    v = list(map(int, m.groups()))
    got[capture] = {"nr_lazy": v[0:2], "purges": v[2:4], "final": v[4:6],
                    "addresses": v[6:8], "after_first_purge": v[8:10]}
if mode == "update":
    with open(path, "w") as f:
        json.dump({"generation": gen, "captures": got}, f, indent=1)
        f.write("\n")
    for capture, last in lasts.items():
        print("kernel-replay gate: wrote", path, "-", capture + ":", last)
    sys.exit(0)
try:
    with open(path) as f:
        want = json.load(f)["captures"]
except (OSError, ValueError, KeyError, TypeError) as e:
    print("kernel-replay gate: no usable baseline %s (%r): run it with --update" % (path, e),
          file=sys.stderr)
    sys.exit(2)
bad = []
for capture, g in got.items():
    w = want.get(capture)
    if not isinstance(w, dict):
        bad.append("%s: not in the baseline (run it with --update)" % capture)
        continue
    try:
        for k in ("nr_lazy", "purges", "final"):
            if g[k] != w[k]:
                bad.append("%s: %s %d/%d, committed %d/%d" % (capture, k, *g[k], *w[k]))
        for k in ("addresses", "after_first_purge"):
            if g[k][1] != w[k][1] or g[k][0] < w[k][0]:
                bad.append("%s: %s %d/%d below the committed %d/%d" % (capture, k, *g[k], *w[k]))
    except (KeyError, TypeError, ValueError) as e:
        print("kernel-replay gate: bad baseline entry for %s in %s (%r): run it with --update"
              % (capture, path, e), file=sys.stderr)
        sys.exit(2)
for b in bad:
    print("kernel-replay gate: FAIL", b)
if bad:
    sys.exit(1)
for capture, last in lasts.items():
    print("kernel-replay gate: passed -", capture + ":", last)
PY
