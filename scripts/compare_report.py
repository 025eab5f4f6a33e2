#!/usr/bin/env python3
"""vmaplab make compare: merge each side's turns, write the comparison table.

  compare_report.py merge OUT.json TURN.json...
      one Google Benchmark JSON from the turns of one side: the first
      turn's context, every turn's repetitions (aggregates dropped: each
      turn ran one repetition), numbered in turn order.
  compare_report.py report DIR --base S --new S --rounds N --quick 0|1
                    --layout L --stamp S
      read DIR/base.json, DIR/new.json and DIR/compare.json (compare.py's
      dump), write DIR/compare.md and print the table.

The statistics are compare.py's: its Mann-Whitney U p-value on the real
(manual) times decides the verdict at alpha 0.05; this script only adds
the medians and the change between them, and lists the benchmarks that
only one side has.  Exit status: 0; 1 for an unreadable input; 2 for bad
arguments.
"""
import argparse
import json
import os
import statistics
import sys

ALPHA = 0.05  # compare.py's default, which make compare does not change
TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("compare_report.py: %s: %s" % (path, e))


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def merge(out, turns):
    merged = {"context": None, "benchmarks": []}
    for i, path in enumerate(sorted(turns, key=turn_number)):
        d = load(path)
        merged["context"] = merged["context"] or d["context"]
        for b in d.get("benchmarks", []):
            if b.get("run_type", "iteration") == "iteration":
                merged["benchmarks"].append(dict(b, repetition_index=i,
                                                 repetitions=len(turns)))
    write_atomic(out, json.dumps(merged, indent=1))
    return 0


def turn_number(path):
    """raw/base-12.json -> 12, so turn 10 sorts after turn 9."""
    return int(os.path.basename(path).rsplit("-", 1)[1].split(".")[0])


def ns_per_op(runs):
    """Median over the repetitions, per operation (a run times a batch)."""
    return statistics.median(r["real_time"] * TIME_SCALE[r.get("time_unit", "ns")]
                             / r.get("batch", 1.0) for r in runs)


def runs_by_name(doc):
    out = {}
    for b in doc["benchmarks"]:
        if not b.get("error_occurred"):
            out.setdefault(b["name"], []).append(b)
    return out


def verdict(pvalue, change):
    if pvalue is None:
        return "no U test (too few repetitions)"
    if pvalue >= ALPHA:
        return "no significant change"
    return "faster" if change < 0 else "slower"


def table_rows(base, new, diff):
    rows = []
    for d in diff:
        name = d["name"]
        if name not in base or name not in new:
            continue  # OVERALL_GEOMEAN, or a time unit compare.py left out
        b, n = ns_per_op(base[name]), ns_per_op(new[name])
        change = (n - b) / b if b else 0.0
        p = d.get("utest", {}).get("time_pvalue")
        rows.append([name, "%.4g" % b, "%.4g" % n, "%+.1f%%" % (100 * change),
                     "n/a" if p is None else "%.4f" % p, verdict(p, change)])
    return rows


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def text_table(header, rows):
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in [header] + rows]


HEADER = ["benchmark", "base ns/op", "new ns/op", "change", "p-value", "verdict"]


def report(args):
    base = runs_by_name(load(os.path.join(args.dir, "base.json")))
    new = runs_by_name(load(os.path.join(args.dir, "new.json")))
    diff = load(os.path.join(args.dir, "compare.json"))
    rows = table_rows(base, new, diff)
    only = [("base", sorted(set(base) - set(new))), ("new", sorted(set(new) - set(base)))]
    counts = {v: sum(1 for r in rows if r[5] == v)
              for v in ("faster", "slower", "no significant change")}
    tally = ", ".join("%d %s" % (c, v) for v, c in counts.items())
    md = ["# vmaplab compare %s" % args.stamp, "",
          "Base `%s` against this tree `%s`: layout `%s`, %d turns per side run in "
          "alternation (one repetition each)%s." % (
              args.base, args.new, args.layout, args.rounds,
              ", **quick run** (`--vl_quick`, 0.01 s per repetition: a check, not a measure)"
              if args.quick == "1" else ""), "",
          "ns/op: median of the repetitions, per operation. change: new against base. "
          "p-value: Google Benchmark compare.py's Mann-Whitney U test (two-sided) on the "
          "repetitions' times; a verdict other than \"no significant change\" needs "
          "p < %.2f. Times are reported, not gated. compare.py's own output is in "
          "`compare.txt`." % ALPHA, "",
          "Verdicts: %s." % tally, ""] + md_table(HEADER, rows) + [""]
    for side, names in only:
        if names:
            md += ["Only in %s (not compared):" % side, ""] + ["- `%s`" % n for n in names] + [""]
    write_atomic(os.path.join(args.dir, "compare.md"), "\n".join(md))
    print("\n".join(text_table(HEADER, rows)))
    print("== verdicts: " + tally)
    for side, names in only:
        if names:
            print("== only in %s, not compared: %s" % (side, ", ".join(names)))
    return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge")
    m.add_argument("out")
    m.add_argument("turns", nargs="+")
    r = sub.add_parser("report")
    r.add_argument("dir")
    for opt in ("--base", "--new", "--layout", "--stamp"):
        r.add_argument(opt, required=True)
    r.add_argument("--rounds", type=int, required=True)
    r.add_argument("--quick", choices=["0", "1"], default="0")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    return merge(args.out, args.turns) if args.cmd == "merge" else report(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
