#!/usr/bin/env python3
"""The regression gates' judge (run by scripts/gate.sh).

check:  compares the passes in RUN with bench/baseline/: event counts
        exactly, instructions per operation within GATE_TOLERANCE percent
        (default 2); writes OUT/gate.md and OUT/index.html, prints the
        short form; exit 1 on any regression.
update: rewrites the baselines from RUN.

Baselines: events-<layout>.json (every architecture: counts do not depend
on it) and instructions-<layout>-x86_64.json, each with a "meta" block
(commit, compilers, flags, valgrind, date) and one entry per benchmark.
"""
import argparse
import datetime
import html
import json
import os
import re
import subprocess
import sys

ARCHES = ("x86_64", "arm32")


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def first_line(cmd):
    out = sh(cmd)
    return out.splitlines()[0] if out else "absent"


def toolchain():
    """What the instruction counts depend on (the date and commit do not)."""
    return {
        "cc": first_line([os.environ.get("GATE_CC", "gcc"), "--version"]),
        "cxx": first_line([os.environ.get("GATE_CXX", "g++"), "--version"]),
        "flags": os.environ.get("GATE_FLAGS", ""),
        "valgrind": first_line(["valgrind", "--version"]),
    }


def meta(args):
    commit = sh(["git", "rev-parse", "HEAD"]) or "unknown"
    # only the code the passes run counts as a change to the commit
    if sh(["git", "status", "--porcelain", "--untracked-files=no", "--",
           "core", "bench/*.cc", "bench/*.h", "Makefile", "bench/*.mk"]):
        commit += " (with uncommitted changes)"
    m = {"commit": commit,
         "date": datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%dT%H:%M:%SZ"),
         "gate_ops": args.ops, "seed": 1, "vmallocinfo": args.vmallocinfo}
    m.update(toolchain())
    return m


def load_events(path):
    with open(path) as f:
        d = json.load(f)
    return {r["name"]: r for r in d["rows"]}


def load_callgrind(path):
    """Instructions of each benchmark: the dump named after it."""
    rows, name = {}, None
    with open(path) as f:
        for line in f:
            m = re.match(r"desc: Trigger: Client Request: (.*)", line)
            if m:
                name = m.group(1).strip()
            elif line.startswith("totals:") and name:
                rows[name] = int(line.split()[1])
                name = None
    return rows


def run_files(run, layout):
    events = {a: os.path.join(run, "events-%s-%s.json" % (layout, a))
              for a in ARCHES}
    events = {a: p for a, p in events.items() if os.path.exists(p)}
    cg = os.path.join(run, "callgrind-%s.out" % layout)
    return events, cg if os.path.exists(cg) else None


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def update(args):
    m = meta(args)
    for layout in args.layouts:
        events, cg = run_files(args.run, layout)
        if "x86_64" not in events:
            sys.exit("gate-update: no x86-64 pass for layout %s" % layout)
        rows = load_events(events["x86_64"])
        bad = [n for n, r in rows.items() if r.get("error")]
        if bad:
            sys.exit("gate-update: %s failed: %s" % (bad[0], rows[bad[0]]["error"]))
        write_json(os.path.join(args.baseline, "events-%s.json" % layout), {
            "meta": {k: v for k, v in m.items() if k != "valgrind"},
            "rows": {n: {"ops": r["ops"], "batch": r["batch"],
                         "events": r["events"]} for n, r in rows.items()}})
        ir = load_callgrind(cg)
        write_json(os.path.join(args.baseline,
                                "instructions-%s-x86_64.json" % layout), {
            "meta": m,
            "rows": {n: {"ops": rows[n]["ops"], "instructions": ir[n]}
                     for n in rows}})
        print("gate-update: bench/baseline/ events-%s.json, "
              "instructions-%s-x86_64.json (%d benchmarks)"
              % (layout, layout, len(rows)))
    return 0


def per_op(total, ops):
    return total / ops if ops else 0.0


def fmt(x):
    return "%.4f" % x if x != int(x) else "%d" % x


def change(base, now):
    d = now - base
    if base:
        return "%+.4g (%+.2f%%)" % (d, 100.0 * d / base)
    return "%+.4g" % d


class Gate:
    def __init__(self, args):
        self.args = args
        self.tol = float(os.environ.get("GATE_TOLERANCE", "2"))
        self.rows = []       # (layout, arch, bench, figure, base, now, change, verdict)
        self.notes = []      # lines for the short form and the report
        self.failed = False

    def add(self, layout, arch, bench, figure, base, now, verdict):
        ch = change(base, now) if base is not None and now is not None else ""
        self.rows.append((layout, arch, bench, figure,
                          "" if base is None else fmt(base),
                          "" if now is None else fmt(now), ch, verdict))
        if verdict.startswith("FAIL"):
            self.failed = True

    def load_baseline(self, name):
        path = os.path.join(self.args.baseline, name)
        if not os.path.exists(path):
            self.notes.append("FAIL: no baseline %s (run make gate-update)" % path)
            self.failed = True
            return None
        with open(path) as f:
            return json.load(f)

    def events(self, layout, arch, path):
        base = self.load_baseline("events-%s.json" % layout)
        if base is None:
            return
        now = load_events(path)
        before = len([r for r in self.rows if r[7].startswith("FAIL")])
        for name in sorted(set(base["rows"]) | set(now)):
            b, n = base["rows"].get(name), now.get(name)
            if n is None:
                self.add(layout, arch, name, "(benchmark)", None, None,
                         "FAIL: missing from this run")
                continue
            if n.get("error"):
                self.add(layout, arch, name, "(benchmark)", None, None,
                         "FAIL: " + n["error"])
                continue
            if b is None:
                self.add(layout, arch, name, "(benchmark)", None, None,
                         "FAIL: not in the baseline (make gate-update)")
                continue
            if b["ops"] != n["ops"]:
                self.add(layout, arch, name, "operations", b["ops"], n["ops"],
                         "FAIL: another number of operations")
                continue
            for fig in sorted(set(b["events"]) | set(n["events"])):
                bv, nv = b["events"].get(fig), n["events"].get(fig)
                if bv is None or nv is None:
                    self.add(layout, arch, name, fig + "/op", None, None,
                             "FAIL: figure %s" % ("new" if bv is None else "gone"))
                    continue
                bo, no = per_op(bv, b["ops"]), per_op(nv, n["ops"])
                self.add(layout, arch, name, fig + "/op", bo, no,
                         "ok" if bv == nv else "FAIL: changed")
        fails = len([r for r in self.rows if r[7].startswith("FAIL")]) - before
        self.notes.append("events %s (%s): %d benchmarks, %s"
                          % (layout, arch, len(now),
                             "all equal to the baseline" if not fails
                             else "%d figures differ: FAIL" % fails))

    def instructions(self, layout, cg, events_path):
        base = self.load_baseline("instructions-%s-x86_64.json" % layout)
        if base is None:
            return
        have, was = toolchain(), {k: base["meta"].get(k) for k in toolchain()}
        if have != was:
            diff = "; ".join("%s: baseline '%s', now '%s'" % (k, was[k], have[k])
                             for k in have if have[k] != was[k])
            note = ("instructions: SKIPPED, the toolchain differs from the "
                    "baseline's (%s); event counts are still gated. Run make "
                    "gate-update to gate instructions with this toolchain." % diff)
            if note not in self.notes:
                self.notes.append(note)
            return
        ir, ops = load_callgrind(cg), load_events(events_path)
        better = worse = 0
        for name in sorted(set(base["rows"]) | set(ir)):
            b, n = base["rows"].get(name), ir.get(name)
            if b is None or n is None or name not in ops:
                self.add(layout, "x86_64", name, "instructions/op", None, None,
                         "FAIL: %s" % ("not in the baseline (make gate-update)"
                                       if b is None else "missing from this run"))
                worse += 1
                continue
            bo, no = per_op(b["instructions"], b["ops"]), per_op(n, ops[name]["ops"])
            if no > bo * (1 + self.tol / 100):
                verdict, worse = "FAIL: more than +%g%%" % self.tol, worse + 1
            elif no < bo * (1 - self.tol / 100):
                verdict, better = "better — update the baseline", better + 1
            else:
                verdict = "ok"
            self.add(layout, "x86_64", name, "instructions/op", bo, no, verdict)
        self.notes.append("instructions %s (x86-64, callgrind): %d benchmarks, "
                          "%d above +%g%%, %d better by more than %g%%"
                          % (layout, len(ir), worse, self.tol, better, self.tol))

    @staticmethod
    def coverage_text(summary):
        """The coverage figures in one readable line."""
        if not summary:
            return "no summary"
        text = ("lines %.2f%% (%d/%d; baseline %.2f%%), branches %.2f%% (%d/%d; baseline %.2f%%)"
                % (summary["line_percent"], summary["line_covered"], summary["line_total"],
                   summary["baseline_line"], summary["branch_percent"],
                   summary["branch_covered"], summary["branch_total"],
                   summary["baseline_branch"]))
        moved = summary.get("changed") or []
        return text + ("".join("; %s %s %s -> %s" % (m["file"], m["figure"], m["baseline"], m["now"])
                               for m in moved))

    def coverage(self):
        state = self.args.coverage
        path = os.path.join(self.args.out, "coverage", "summary.json")
        summary = None
        if os.path.exists(path):
            with open(path) as f:
                summary = json.load(f)
        if state == "skipped":
            self.notes.append("coverage: not part of an event-count run (make gate)")
        elif state == "absent":
            self.notes.append("coverage: not measured (no scripts/gate_coverage.sh)")
        else:
            self.notes.append("coverage: %s: %s" % (
                "FAIL, below the baseline" if state == "fail" else "not below the baseline",
                self.coverage_text(summary)))
            if state == "fail":
                self.failed = True
        return summary

    def run(self):
        arm_only = True
        for layout in self.args.layouts:
            events, cg = run_files(self.args.run, layout)
            for arch, path in sorted(events.items()):
                self.events(layout, arch, path)
            if cg and "x86_64" in events:
                arm_only = False
                self.instructions(layout, cg, events["x86_64"])
        if arm_only:
            self.notes.append("instructions: not gated in this run "
                              "(instruction counts are x86-64 only)")
        else:
            self.notes.append("instruction counts are x86-64 only; ARM32 "
                              "gates event counts")
        summary = self.coverage()
        self.report(summary)
        self.short()
        return 1 if self.failed else 0

    def problems(self):
        return [r for r in self.rows if r[7] != "ok"]

    def short(self):
        for n in self.notes:
            print("gate: " + n)
        probs = self.problems()
        if probs:
            print(table(("layout", "arch", "benchmark", "figure", "baseline",
                         "now", "change", "verdict"), probs[:40]))
            if len(probs) > 40:
                print("... %d more rows in gate.md" % (len(probs) - 40))
        print("gate: %s" % ("FAILED" if self.failed else "passed"))

    def report(self, coverage):
        a = self.args
        head = ("layout", "arch", "benchmark", "figure", "baseline", "now",
                "change", "verdict")
        md = ["# Regression gate: %s" % ("FAILED" if self.failed else "passed"),
              "", "Run of %s: %d operations per benchmark, seed 1, layouts %s; "
              "instruction tolerance +%g%% (GATE_TOLERANCE). Instruction counts "
              "are x86-64 only (callgrind); event counts are gated on every "
              "architecture run, against the same baseline."
              % (meta(a)["date"], a.ops, ", ".join(a.layouts), self.tol), "",
              "## Summary", ""] + ["- " + n for n in self.notes]
        md += ["", "## Coverage", ""]
        if a.coverage in ("absent", "skipped"):
            md.append(self.notes[-1])
        else:
            md.append("Result: %s: %s. Report: [coverage/index.html]"
                      "(coverage/index.html)." % (a.coverage, self.coverage_text(coverage)))
        md += ["", "## Rows not equal to the baseline", ""]
        probs = self.problems()
        md.append(md_table(head, probs) if probs else "None.")
        md += ["", "## Every row", "", md_table(head, self.rows), ""]
        write_text(os.path.join(a.out, "gate.md"), "\n".join(md))
        write_text(os.path.join(a.out, "index.html"),
                   page(self, head, probs, coverage))


def table(head, rows):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "  ".join(str(x).ljust(n) for x, n in zip(r, w)).rstrip()
    return "\n".join([line(head)] + [line(r) for r in rows])


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


CSS = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
td.n{text-align:right;font-family:monospace}
tr.fail{background:#fdd}tr.better{background:#dfd}
h1.fail{color:#b00}h1.pass{color:#070}"""


def html_table(head, rows):
    out = ["<table><tr>" + "".join("<th>%s</th>" % h for h in head) + "</tr>"]
    for r in rows:
        cls = "fail" if r[7].startswith("FAIL") else \
            "better" if r[7].startswith("better") else ""
        cells = "".join('<td%s>%s</td>' % (' class="n"' if 4 <= i <= 6 else "",
                                          html.escape(str(x)))
                        for i, x in enumerate(r))
        out.append('<tr class="%s">%s</tr>' % (cls, cells))
    return "\n".join(out + ["</table>"])


def page(gate, head, probs, coverage):
    verdict = "FAILED" if gate.failed else "passed"
    cov = ("<p>%s</p>" % html.escape(gate.notes[-1])
           if gate.args.coverage in ("absent", "skipped") else
           "<p>Result: %s: %s &mdash; <a href=\"coverage/index.html\">"
           "coverage report</a></p>" % (html.escape(gate.args.coverage),
                                        html.escape(gate.coverage_text(coverage))))
    return """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vmaplab regression gate</title>
<style>%s</style></head><body>
<h1 class="%s">Regression gate: %s</h1>
<p>%d operations per benchmark, seed 1; instruction tolerance +%g%%.
Instruction counts are x86-64 only (callgrind); event counts are gated on
every architecture run against the same baseline. Time is not gated.</p>
<h2>Summary</h2><ul>%s</ul>
<h2>Coverage</h2>%s
<h2>Rows not equal to the baseline</h2>%s
<h2>Every row</h2>%s
</body></html>
""" % (CSS, "fail" if gate.failed else "pass", verdict, gate.args.ops, gate.tol,
       "".join("<li>%s</li>" % html.escape(n) for n in gate.notes), cov,
       html_table(head, probs) if probs else "<p>None.</p>",
       html_table(head, gate.rows))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("check", "update"))
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--baseline", required=True)
    p.add_argument("--layouts", required=True)
    p.add_argument("--ops", type=int, required=True)
    p.add_argument("--coverage", default="absent")
    p.add_argument("--vmallocinfo", default="")
    args = p.parse_args()
    args.layouts = args.layouts.split()
    if args.mode == "update":
        os.makedirs(args.baseline, exist_ok=True)
        return update(args)
    return Gate(args).run()


if __name__ == "__main__":
    sys.exit(main())
