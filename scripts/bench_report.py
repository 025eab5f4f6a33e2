#!/usr/bin/env python3
"""vmaplab bench results: build a run's files, or check them.

  bench_report.py DIR --raw SUITE.json... [--arch A] [--compiler S]
                  [--commit S] [--flamegraph STATUS] [--repetitions N]
                  [--min-time S] [--quick 0|1] [--vmallocinfo-source F]
                  [--stamp NAME]
      merge the Google Benchmark JSON of every suite into DIR/bench.json and
      write DIR/bench.csv, meta.json, summary.md, index.html (the page that
      gathers them, offline) and the SVG plots, reading
      latency samples from DIR/samples/; print the key figures.
  bench_report.py --check DIR
      verify that DIR holds every file of a run and that each one parses.

Exit status: 0; 1 when a benchmark reported an error or a check failed;
2 for bad arguments.  See results/README.md for what each file holds.
"""
import argparse
import csv
import hashlib
import html
import io
import json
import math
import os
import platform
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np

REQUIRED = ("suite,benchmark,impl,layout,arch,threads,param,n,iterations,"
            "ns_per_op,ops_per_s,p50_ns,p99_ns,p999_ns,max_ns,"
            "pte_writes_per_op,tlb_flushes_per_op,slots_scanned_per_op,"
            "nodes_visited_per_op").split(",")
EXTRA_COUNTS = ["pte_clears_per_op", "tlb_flush_pages_per_op",
                "table_walks_per_op", "pkmap_flushes_per_op",
                "page_allocs_per_op", "pt_pages_per_op",
                "page_frees_per_op", "kmap_sleeps_per_op",
                "purges_per_op", "purged_areas_per_op"]
EXTRA = ["batch", "repetitions", "ns_per_op_min", "ns_per_op_max",
         "samples"] + EXTRA_COUNTS + ["extra", "error"]
COLUMNS = REQUIRED + EXTRA
SUITES = ["pkmap", "fixmap", "vmalloc", "test_vmalloc", "real", "kernel"]
# The VMALLOC generations (the impl column) every VMALLOC suite runs on.
GENS = ["vmlist", "rbtree", "augtree", "nodes"]
GEN_SUITES = ["vmalloc", "test_vmalloc", "real", "kernel"]
GEN_STYLE = {"vmlist": "C0", "rbtree": "C1", "augtree": "C2", "nodes": "C3"}
PLOTS = ["pkmap_paths.svg", "vmalloc_live_areas.svg", "vmalloc_size.svg",
         "latency_percentiles.svg"]
FILES = ["bench.csv", "bench.json", "meta.json", "summary.md", "index.html"] + PLOTS
# Google Benchmark appends these to a registered name.
GB_SUFFIX = re.compile(r"^(manual_time|real_time|repeats:\d+|min_time:[\d.]+|"
                       r"iterations:\d+|threads:\d+)$")
SUB_BUCKETS = 16  # linear sub-buckets per power of two (HdrHistogram-like)
TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


# ---- writing whole files -------------------------------------------------

def write_atomic(path, data):
    """Write `data` (str or bytes) to `path` through a temp file + rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


# ---- latency histogram ---------------------------------------------------

def bucket_index(v):
    """Log-linear bucket of each value: exact below 2*SUB_BUCKETS, then
    SUB_BUCKETS linear buckets per power of two."""
    v = np.asarray(v, dtype=np.int64)
    exp = np.frexp(np.maximum(v, 1).astype(np.float64))[1] - 1  # floor(log2)
    shift = np.maximum(exp - 4, 0)
    return np.where(v < 2 * SUB_BUCKETS, v, shift * SUB_BUCKETS + (v >> shift))


def bucket_top(idx):
    """Highest value that falls in bucket `idx`."""
    if idx < 2 * SUB_BUCKETS:
        return int(idx)
    shift = idx // SUB_BUCKETS - 1
    mantissa = idx - shift * SUB_BUCKETS
    return ((mantissa + 1) << shift) - 1


def percentiles(samples):
    """p50, p99, p99.9 and max (ns) read from the log-linear histogram."""
    counts = np.bincount(bucket_index(samples))
    cum = np.cumsum(counts)
    top = int(np.max(samples))
    out = []
    for q in (0.50, 0.99, 0.999, 1.0):
        rank = max(1, math.ceil(q * cum[-1]))
        idx = int(np.searchsorted(cum, rank))
        out.append(min(bucket_top(idx), top))
    return out


def sample_file(samples_dir, name):
    """Same rule as bench/harness.cc: unsafe characters become '_'."""
    return os.path.join(samples_dir, re.sub(r"[^A-Za-z0-9.=-]", "_", name) + ".u32")


def load_samples(samples_dir, name):
    path = sample_file(samples_dir, name)
    if not os.path.exists(path):
        return None
    s = np.fromfile(path, dtype="<u4")
    return s if s.size else None


# ---- Google Benchmark JSON -> rows ---------------------------------------

def merge_raw(paths):
    """One bench.json from the per-suite outputs: first context, all runs."""
    merged = {"context": None, "benchmarks": []}
    for p in paths:
        try:
            with open(p) as f:
                d = json.load(f)
        except ValueError as e:  # a suite that crashed leaves it unfinished
            print("bench_report.py: skipping %s: %s" % (p, e), file=sys.stderr)
            continue
        merged["context"] = merged["context"] or d["context"]
        merged["benchmarks"] += d.get("benchmarks", [])
    if merged["context"] is None:
        sys.exit("bench_report.py: no benchmark output to report")
    return merged


def base_name(run_name):
    parts = run_name.split("/")
    while parts and GB_SUFFIX.match(parts[-1]):
        parts.pop()
    return "/".join(parts)


def group_runs(benchmarks):
    """Per-repetition runs grouped by registered name, in run order."""
    groups = {}
    for b in benchmarks:
        if b.get("run_type", "iteration") == "iteration":
            groups.setdefault(base_name(b["run_name"]), []).append(b)
    return groups


def fmt(x):
    if x is None:
        return ""
    if isinstance(x, float):
        return "%.6g" % x if abs(x) < 1e6 else "%.1f" % x
    return str(x)


# The replay record of the real suite: (counter, CSV key, format).
REPLAY = [("replay_scale", "scale", "%.6g"), ("replay_holes", "holes", "%d"),
          ("replay_areas", "areas", "%d"), ("replay_skipped", "skipped", "%d"),
          ("replay_lazy", "lazy", "%d"),
          ("replay_stride", "stride", "%d"), ("replay_dropped", "dropped", "%d"),
          ("replay_fill", "fill", "%.6g")]


def param_of(name_param, first):
    """The CSV param: the name's key=value, plus the replay record."""
    if all(k in first for k, _, _ in REPLAY):
        rec = ";".join(("%s=" + f) % (key, first[k]) for k, key, f in REPLAY)
        return name_param + ";" + rec if name_param else rec
    return name_param


def extra_of(first):
    known = set(REQUIRED + EXTRA_COUNTS + ["batch", "n"])
    std = {"name", "run_name", "family_index", "per_family_instance_index",
           "run_type", "repetitions", "repetition_index", "threads",
           "iterations", "real_time", "cpu_time", "time_unit",
           "error_occurred", "error_message", "aggregate_name",
           "aggregate_unit", "label"}
    return ";".join("%s=%s" % (k, fmt(v)) for k, v in sorted(first.items())
                    if k not in known and k not in std
                    and not k.startswith("replay_"))


def make_row(name, runs, ctx, arch, samples_dir):
    parts = name.split("/")
    first = runs[0]
    row = dict.fromkeys(COLUMNS, "")
    row.update(suite=parts[0], benchmark=parts[1], impl=parts[2], arch=arch,
               layout=ctx.get("vl_layout", ""), threads=first.get("threads", 1),
               param=param_of("/".join(parts[3:]), first), repetitions=len(runs))
    errors = [r["error_message"] for r in runs if r.get("error_occurred")]
    if errors:
        row["error"] = errors[0]
        return row
    batch = first.get("batch", 1.0)
    ns = np.array([r["real_time"] * TIME_SCALE[r.get("time_unit", "ns")]
                   for r in runs]) / batch
    med = float(np.median(ns))
    row.update(n=fmt(first.get("n")), batch=int(batch),
               iterations=int(np.median([r["iterations"] for r in runs]) * batch),
               ns_per_op=fmt(med), ops_per_s=fmt(1e9 / med if med > 0 else math.inf),
               ns_per_op_min=fmt(float(ns.min())), ns_per_op_max=fmt(float(ns.max())),
               extra=extra_of(first))
    for k in REQUIRED[15:] + EXTRA_COUNTS:
        row[k] = fmt(first.get(k))
    samples = load_samples(samples_dir, name)
    if samples is not None:
        row["samples"] = int(samples.size)
        row["p50_ns"], row["p99_ns"], row["p999_ns"], row["max_ns"] = percentiles(samples)
    return row


def build_rows(merged, arch, samples_dir):
    ctx = merged["context"]
    return [make_row(name, runs, ctx, arch, samples_dir)
            for name, runs in group_runs(merged["benchmarks"]).items()]


def csv_text(rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


# ---- lookups over rows ---------------------------------------------------

def num(row, key):
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return None


def find(rows, suite, bench, param=None, impl=None):
    for r in rows:
        if r["suite"] == suite and r["benchmark"] == bench and \
                (param is None or r["param"].split(";")[0] == param) and \
                (impl is None or r["impl"] == impl) and not r["error"]:
            return r
    return None


def series(rows, suite, bench, impl=None):
    """(n, row) of a parameter sweep, sorted by n."""
    pts = [(num(r, "n"), r) for r in rows
           if r["suite"] == suite and r["benchmark"] == bench and not r["error"]
           and (impl is None or r["impl"] == impl)]
    return sorted(pts, key=lambda p: p[0])


# ---- plots ---------------------------------------------------------------

def plt_module():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "vmaplab"
    return plt


def save_svg(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt_module().close(fig)
    write_atomic(path, buf.getvalue())


def linear_fit(x, y):
    """Least squares y = a + b x through scipy; None with < 3 points."""
    from scipy import stats
    if len(x) < 3:
        return None
    return stats.linregress(np.asarray(x, float), np.asarray(y, float))


def plot_pkmap(rows, path, title):
    plt = plt_module()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    bars = [(r["benchmark"] + (" " + r["param"] if r["param"] else ""), num(r, "ns_per_op"))
            for r in rows if r["suite"] in ("pkmap", "fixmap") and not r["error"]
            and r["benchmark"] != "flush_wrap"]
    ax1.barh([b[0] for b in bars], [b[1] for b in bars], color="#4a78b0")
    ax1.set_xscale("log")
    ax1.set_xlabel("ns per operation (median of repetitions)")
    ax1.invert_yaxis()
    ax1.set_title("PKMAP and FIXMAP paths")
    pts = series(rows, "pkmap", "flush_wrap")
    if pts:
        k = [p[0] for p in pts]
        ns = [num(p[1], "ns_per_op") for p in pts]
        ax2.plot(k, ns, "o-", label="kmap across the wrap")
        fit = linear_fit(k, ns)
        if fit:
            kk = np.array(k)
            ax2.plot(kk, fit.intercept + fit.slope * kk, "--", color="grey",
                     label="fit: %.0f ns + %.1f ns per slot" % (fit.intercept, fit.slope))
        ax2.set_xscale("log", base=2)
        ax2.set_yscale("log")
        ax2.legend()
    ax2.set_xlabel("k slots at count 1 at the wrap")
    ax2.set_ylabel("ns per operation")
    ax2.set_title("flush_all_zero_pkmaps() path")
    fig.suptitle(title)
    save_svg(fig, path)


def growth_fit(gen, n, y):
    """The growth each generation should show: linear in n for the list,
    in log2 n for the trees.  (fit, label, x transform) or None."""
    log = gen != "vmlist"
    x = np.log2(n) if log else np.asarray(n, float)
    fit = linear_fit(x, y)
    if fit is None:
        return None
    term = "log2 n" if log else "n"
    return fit, "%.3g + %.3g %s (r^2 %.3f)" % (fit.intercept, fit.slope, term,
                                                fit.rvalue ** 2), \
        (np.log2 if log else (lambda v: v))


def plot_live_areas(rows, path, title):
    """The scan-cost curve: ns/op and nodes visited/op of every generation,
    measured (markers) and fitted (dashes)."""
    plt = plt_module()
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, key, what in ((axes[0], "ns_per_op", "ns per vmalloc+vfree"),
                          (axes[1], "nodes_visited_per_op", "nodes visited per vmalloc+vfree")):
        for gen in GENS:
            pts = series(rows, "vmalloc", "vmalloc_vfree_1page", gen)
            pts = [(n, num(r, key)) for n, r in pts if num(r, key) is not None]
            if not pts:
                continue
            n = np.array([p[0] for p in pts])
            y = np.array([p[1] for p in pts])
            ax.plot(n, y, "o", color=GEN_STYLE[gen], label=gen)
            fit = growth_fit(gen, n, y)
            if fit:
                line, label, tx = fit
                nn = np.geomspace(n.min(), n.max(), 50)
                ax.plot(nn, line.intercept + line.slope * tx(nn), "--",
                        color=GEN_STYLE[gen], label="fit: " + label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("live one-page areas")
        ax.set_ylabel(what)
        ax.legend(fontsize=7)
    for gen in GENS:
        real = find(rows, "real", "vmalloc_vfree", "pages=1", gen)
        if real:
            areas = re.search(r"areas=(\d+)", real["param"])
            axes[0].plot([int(areas.group(1))], [num(real, "ns_per_op")], "s",
                         color=GEN_STYLE[gen], mfc="none",
                         label=gen + " over the real snapshot")
    axes[0].legend(fontsize=7)
    fig.suptitle(title + ": scan cost by generation")
    save_svg(fig, path)


def plot_sizes(rows, path, title):
    plt = plt_module()
    fig, ax = plt.subplots(figsize=(7, 5))
    for gen in GENS:
        for bench, mark in (("vmalloc", "o-"), ("vfree", "s:")):
            pts = series(rows, "vmalloc", bench, gen)
            if pts:
                ax.plot([p[0] for p in pts], [num(p[1], "ns_per_op") for p in pts],
                        mark, color=GEN_STYLE[gen], label="%s() %s" % (bench, gen))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("pages per area")
    ax.set_ylabel("ns per call")
    ax.legend(fontsize=7)
    ax.set_title(title)
    save_svg(fig, path)


def plot_latency(rows, path, title):
    plt = plt_module()
    lat = [r for r in rows if r["p50_ns"] != ""]
    fig, ax = plt.subplots(figsize=(9, 0.25 * len(lat) + 1.5))
    y = np.arange(len(lat))
    for key, mark, label in (("p50_ns", "o", "p50"), ("p99_ns", "s", "p99"),
                             ("p999_ns", "^", "p99.9"), ("max_ns", "x", "max")):
        ax.plot([max(float(r[key]), 1) for r in lat], y, mark, label=label, linestyle="")
    ax.set_yticks(y)
    ax.set_yticklabels(["/".join(x for x in (r["suite"], r["benchmark"], r["param"].split(";")[0]) if x)
                        for r in lat], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ns per single operation (log-linear histogram)")
    ax.legend(loc="lower right")
    ax.set_title(title)
    save_svg(fig, path)


# ---- summary -------------------------------------------------------------

def ratio(a, b):
    return a / b if a is not None and b else None


def human(x):
    """A figure for reading: about three significant digits."""
    if x is None:
        return "n/a"
    return "%.0f" % x if abs(x) >= 100 else "%.1f" % x if abs(x) >= 10 else "%.2f" % x


def key_figures(rows):
    """(label, value text) pairs: the headline costs and their ratios."""
    def ns(r):
        return num(r, "ns_per_op") if r else None

    floor = ns(find(rows, "pkmap", "floor_mutex_inc"))
    hit = ns(find(rows, "pkmap", "kmap_hit", "occ=0"))
    miss = ns(find(rows, "pkmap", "kmap_miss", "occ=0"))
    miss99 = find(rows, "pkmap", "kmap_miss", "occ=99")
    flush = series(rows, "pkmap", "flush_wrap")
    out = [("floor: mutex lock + increment + unlock", "%s ns" % human(floor)),
           ("kmap hit (occupancy 0%)", "%s ns = %sx floor" % (human(hit), human(ratio(hit, floor)))),
           ("kmap miss (occupancy 0%)", "%s ns = %sx hit" % (human(miss), human(ratio(miss, hit))))]
    if miss99:
        out.append(("kmap miss (occupancy 99%)", "%s ns, %s slots scanned/op" % (
            human(ns(miss99)), human(num(miss99, "slots_scanned_per_op")))))
    for k, r in (flush[:1] + flush[-1:]) if flush else []:
        out.append(("kmap across a wrap, %d slot(s) at count 1" % k, "%s ns = %sx miss" % (
            human(ns(r)), human(ratio(ns(r), miss)))))
    for p in ("debug=on", "debug=off"):
        r = find(rows, "fixmap", "kmap_atomic_pair", p)
        if r:
            out.append(("kmap_atomic + kunmap_atomic, " + p, human(ns(r)) + " ns"))
    for gen in GENS:
        out += curve_figures(rows, gen, ns)
    for gen in GENS:
        real = find(rows, "real", "vmalloc_vfree", "pages=1", gen)
        if real:
            out.append(("vmalloc+vfree 1 page over the real snapshot, " + gen,
                        "%s ns, %s nodes visited/op" % (
                            human(ns(real)), human(num(real, "nodes_visited_per_op")))))
    return out


def curve_figures(rows, gen, ns):
    """The ends of one generation's scan-cost curve and its fitted growth."""
    live = series(rows, "vmalloc", "vmalloc_vfree_1page", gen)
    if not live:
        return []
    (n_lo, lo), (n_hi, hi) = live[0], live[-1]
    out = [("vmalloc+vfree 1 page, %s, %d live areas" % (gen, n_lo), human(ns(lo)) + " ns"),
           ("vmalloc+vfree 1 page, %s, %d live areas" % (gen, n_hi), "%s ns = %sx n=%d, "
            "%s nodes visited/op" % (human(ns(hi)), human(ratio(ns(hi), ns(lo))), n_lo,
                                     human(num(hi, "nodes_visited_per_op"))))]
    n = np.array([p[0] for p in live])
    fit = growth_fit(gen, n, [num(r, "nodes_visited_per_op") for _, r in live])
    if fit:
        out.append(("%s nodes visited/op, fitted" % gen, fit[1]))
    if gen == "vmlist":
        walk = linear_fit([num(r, "nodes_visited_per_op") for _, r in live],
                          [ns(r) for _, r in live])
        if walk:
            out.append(("vmlist walk (fit over the curve)", "%.2f ns per node visited "
                        "(r^2 %.4f)" % (walk.slope, walk.rvalue ** 2)))
    return out


# ---- the generations against the kernel's published figures ---------------

# The 5.2 cover letter (test_vmalloc.sh performance, 5.0 -> 5.2) and the RFC
# (long_busy_list_alloc_test): (what, machine, 5.0, 5.2+, augtree/rbtree).
KERNEL_FIGURES = [
    ("test_vmalloc.sh performance", "i5-3320M", "646.9 G cycles", "193.3 G cycles", 0.30),
    ("test_vmalloc.sh performance", "HiKey960", "3.48 G cycles", "0.46 G cycles", 0.13),
    ("long_busy_list", "i5-3320M", "55.9 s", "15.0 s", 0.27),
]
# The kernel test's scenarios that loop test_loop_count times (align_shift
# runs its 32 steps once; pcpu_alloc and vm_map_ram are not modelled).
LOOPED = ["fix_size", "full_fit", "long_busy_list", "random_size", "fix_align",
          "random_size_align"]


def tv(rows, bench, gen, key="ns_per_op"):
    r = find(rows, "test_vmalloc", bench, impl=gen)
    return num(r, key) if r else None


def busy_of(rows):
    r = find(rows, "test_vmalloc", "long_busy_list")
    return int(num(r, "n")) if r else None


# long_busy_list in an otherwise empty window, and with one hole above the
# busy areas (bench/bench_test_vmalloc.cc, LongBusyList).
VARIANTS = [("long_busy_list", "empty window"), ("long_busy_list_hole", "one hole")]
HOLE_PAGES = 50  # kHolePages


def split_rows(rows):
    """long_busy_list per variant and generation: the whole iteration, the
    search alone (get_vm_area/remove_vm_area), the page work (the
    difference), and the nodes one allocation visits."""
    out = []
    for bench, what in VARIANTS:
        for gen in GENS:
            full, search = tv(rows, bench, gen), tv(rows, bench + "_search", gen)
            page = full - search if full is not None and search is not None else None
            share = "%.0f%%" % (100 * search / full) if full and search is not None else "n/a"
            # two timings of a busy host: the search may come out dearer
            page_text = "~0 (in the noise)" if page is not None and page < 0 else human(page)
            out.append([what, gen, human(full), human(search), page_text, share,
                        human(tv(rows, bench + "_alloc", gen, "nodes_visited_per_op")),
                        human(tv(rows, bench, gen, "purges_per_op"))])
    return out


def perf_sum(rows, gen, busy_bench):
    vals = [tv(rows, busy_bench if b == "long_busy_list" else b, gen) for b in LOOPED]
    return sum(vals) if all(v is not None for v in vals) else None


def aug_rb(rows, bench):
    return ratio(tv(rows, bench, "augtree"), tv(rows, bench, "rbtree"))


def ratio_rows(rows):
    """Our augtree/rbtree ratios beside the kernel's, per variant."""
    ours = {"test_vmalloc.sh performance": [ratio(perf_sum(rows, "augtree", b),
                                                  perf_sum(rows, "rbtree", b))
                                            for b, _ in VARIANTS],
            "long_busy_list": [aug_rb(rows, b) for b, _ in VARIANTS]}
    out = [[what, machine, k50, k52, "%.2f" % k] + [human(x) for x in ours[what]]
           for what, machine, k50, k52, k in KERNEL_FIGURES]
    out.append(["long_busy_list, search alone", "-", "-", "-", "-"] +
               [human(aug_rb(rows, b + "_search")) for b, _ in VARIANTS])
    return out


def why_text(rows, n):
    """What the split says about each variant's ratio."""
    if not n or tv(rows, "long_busy_list_alloc", "augtree", "nodes_visited_per_op") is None:
        return []
    bound = 2 * math.log2(n)
    out = []
    for bench, what in VARIANTS:
        nodes = {g: tv(rows, bench + "_alloc", g, "nodes_visited_per_op") for g in GENS}
        full = {g: tv(rows, bench, g) for g in GENS}
        search = {g: tv(rows, bench + "_search", g) for g in GENS}
        if None in list(nodes.values()) + list(full.values()) + list(search.values()):
            continue
        end = ratio(full["augtree"], full["rbtree"])
        out.append(
            "- %s: nodes visited per allocation at %d busy areas: augtree %s (goal at most "
            "2 log2 n = %.1f: %s), rbtree %s, vmlist %s. End to end augtree/rbtree %s "
            "(goal at most 0.13: %s); the search is %.0f%% of rbtree's iteration and %.0f%% "
            "of augtree's, and a free search would leave augtree at %s of rbtree." % (
                what.capitalize(), n, human(nodes["augtree"]), bound,
                "met" if nodes["augtree"] <= bound else "missed", human(nodes["rbtree"]),
                human(nodes["vmlist"]), human(end), "met" if end <= 0.13 else "missed",
                100 * search["rbtree"] / full["rbtree"],
                100 * search["augtree"] / full["augtree"],
                human(ratio(full["augtree"] - search["augtree"], full["rbtree"]))))
    out.append(
        "- Why: 5.0's free_vmap_cache resumes each search where the last allocation "
        "ended and is dropped (a walk of the busy list from VMALLOC_START) only for a "
        "request smaller than the largest hole a walk passed (cached_hole_size), a lower "
        "start or a smaller alignment. In an empty window nothing drops it, so 5.0 is as "
        "cheap as 5.2 and the page work (frames, PTEs, flushes, the same code for both) "
        "sets the ratio. One hole of 2 to 100 pages above the busy areas, as any window "
        "other users share has, is enough: the 100-page search walks past it, the next "
        "one-page request drops the cache and walks all the busy areas, every iteration. "
        "The kernel's 55.9 s for 1,000,000 iterations is such a walk per iteration; "
        "5.2's augmented free tree descends to the lowest fit whatever the window holds.")
    return out


def generations_section(rows):
    """summary.md: the generations side by side, and against the kernel."""
    if not find(rows, "test_vmalloc", "long_busy_list"):
        return []
    n = busy_of(rows)
    scen = [b for b in LOOPED + ["long_busy_list_hole", "align_shift"]
            if tv(rows, b, "vmlist") is not None]
    per = [[b] + [human(tv(rows, b, g)) for g in GENS] +
           [human(ratio(tv(rows, b, "augtree"), tv(rows, b, "rbtree"))),
            human(ratio(tv(rows, b, "nodes"), tv(rows, b, "augtree")))] for b in scen]
    return ["## VMALLOC generations against the kernel's figures", "",
            "lib/test_vmalloc.c's scenarios at the kernel's parameters (long_busy_list: "
            "%s busy one-page areas), ns per loop iteration, lazy freeing on for rbtree, "
            "augtree and nodes." % n, "",
            md_table(["scenario"] + ["%s ns" % g for g in GENS] +
                     ["augtree/rbtree", "nodes/augtree"], per), "",
            "long_busy_list split: the search is the same iteration through "
            "get_vm_area()/remove_vm_area() alone (the hole, the look-up, the lazy "
            "purges); the page work is the rest (frames, PTEs, flushes, the touch).", "",
            md_table(["window", "generation", "iteration ns", "search ns", "page work ns",
                      "search share", "nodes visited per allocation", "purges per iteration"],
                     split_rows(rows)), "",
            "augtree/rbtree ratios (lower is better for augtree); the kernel's from the "
            "5.2 cover letter and the RFC's long_busy_list figure; ours with "
            "long_busy_list in an empty window and with one %s-page hole above the busy "
            "areas (performance: the sum of the looped scenarios, equal loop counts)."
            % HOLE_PAGES, "",
            md_table(["figure", "kernel machine", "kernel 5.0", "kernel 5.2", "kernel ratio",
                      "vmaplab, empty window", "vmaplab, one hole"], ratio_rows(rows)), ""] + \
        why_text(rows, n) + [""]


# ---- the kernel suite: a real kernel's capture replayed ------------------

# The figures of `vmaplab kernel-replay`'s last line: (label, counters).
KR_FIGURES = [("nr_lazy", "kr_nr_lazy_ok", "kr_frees"), ("purges", "kr_purges_ok", "kr_purges"),
              ("final", "kr_final_ok", "kr_final_n"), ("addresses", "kr_hits", "kr_allocs"),
              ("after first purge", "kr_hits_after", "kr_allocs_after")]

KR_HEADER = ["generation", "ns/event", "nodes visited/event", "nr_lazy", "purges", "final",
             "addresses", "after first purge", "address share", "share after first purge",
             "last line"]


def nodes_note(meta):
    return ("Generation `nodes` (Linux 6.9+ vmap nodes) boots %d CPU(s), one vmap node each "
            "(CPUS=N sets it); every VMALLOC, test_vmalloc and real benchmark allocates on "
            "CPU 0, so only CPU 0's node pools fill. The other generations boot one CPU; "
            "the kernel suite boots the capture's CPUs." % meta["nodes_cpus"])


def extras(row):
    """The CSV's extra column (k=v;...) as numbers."""
    out = {}
    for kv in row["extra"].split(";"):
        k, _, v = kv.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def kernel_line(x):
    """The replay's last line, as `vmaplab kernel-replay` prints it."""
    return "kernel-replay: " + ", ".join("%s %d/%d" % (label, x[a], x[b])
                                         for label, a, b in KR_FIGURES)


def share(x, a, b):
    return "%.1f%%" % (100.0 * x[a] / x[b]) if x.get(b) else "n/a"


def kernel_rows(rows):
    out = []
    for gen in GENS:
        r = find(rows, "kernel", "replay", impl=gen)
        if not r:
            continue
        x = extras(r)
        if not all(k in x for _, a, b in KR_FIGURES for k in (a, b)):
            continue
        out.append([gen, human(num(r, "ns_per_op")), human(num(r, "nodes_visited_per_op"))] +
                   ["%d/%d" % (x[a], x[b]) for _, a, b in KR_FIGURES] +
                   [share(x, "kr_hits", "kr_allocs"),
                    share(x, "kr_hits_after", "kr_allocs_after"), "`%s`" % kernel_line(x)])
    return out


def kernel_section(rows, meta):
    """summary.md: the capture replayed on every generation."""
    table = kernel_rows(rows)
    if not table:
        return []
    r = find(rows, "kernel", "replay")
    return ["## Kernel capture replayed", "",
            "`%s` replayed decision by decision through each generation "
            "(`vmaplab kernel-replay --gen G`): the capture's %d CPUs, one vmap node each, "
            "every event on the CPU that recorded it. ns and nodes visited per event over "
            "the whole replay (reading the capture and placing its initial state included), "
            "%d events. The figures of the replay's last line: nr_lazy after each free, "
            "purges (areas and range), the final state against the after snapshot, and the "
            "addresses chosen as the kernel did (all, and after the capture's first purge); "
            "goal for nodes after the first purge: 90%%." % (
                meta.get("kernel_capture") or "?", extras(r).get("kr_cpus", 0),
                num(r, "n") or 0), "",
            md_table(KR_HEADER, table), ""]


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def summary_text(rows, meta, figures):
    parts = ["# vmaplab bench %s" % meta["stamp"], ""]
    if meta["arch"].endswith("-qemu"):
        parts += ["> **Emulated run (%s):** times are qemu-user times, not hardware "
                  "times; only the event counts compare with a native run." % meta["arch"], ""]
    parts += ["layout `%s`, arch `%s`, commit `%s`, seed %s, %s repetition(s) of min %s s%s." % (
        meta["layout"], meta["arch"], meta["commit"], meta["seed"], meta["repetitions"],
        meta["min_time"], ", **quick run**" if meta["quick"] else ""),
        "Host: %s, %s CPU(s). Compiler: %s." % (meta["host"]["cpu"], meta["host"]["num_cpus"],
                                               meta["compiler"]),
        nodes_note(meta), "", "## Key figures", "", md_table(["figure", "value"], figures), ""]
    parts += generations_section(rows)
    rep = meta.get("real_input")
    if rep:
        parts += ["## Real input", "",
                  "`%s` (%s entries). Each replay keeps every `stride`-th area in "
                  "file order (the others dropped or skipped), scales sizes by `scale` "
                  "into `fill` of the window, and keeps unpurged areas as holes (vmlist) "
                  "or as lazily freed areas in their places (rbtree, augtree, nodes: sampled "
                  "and scaled with the live ones), or skips them." % (
                      rep["source"], rep["entries"]), "",
                  md_table(["benchmark", "fill", "scale", "stride", "areas placed",
                            "live dropped", "unpurged skipped", "holes kept",
                            "lazily freed"],
                           [[r["benchmark"], "%.6g" % r["fill"], "%.6g" % r["scale"],
                             r["stride"], r["areas"], r["dropped"], r["skipped"],
                             "yes" if r["holes_kept"] else "no", r["lazy"]]
                            for r in rep["replays"]]),
                  ""]
    parts += kernel_section(rows, meta)
    parts += ["## All benchmarks", "", ALL_NOTE, "", md_table(*all_benchmarks(rows)), ""]
    errs = errors(rows)
    if errs:
        parts += ["## Errors", ""] + ["- " + e for e in errs] + [""]
    parts += ["Flame graph: %s." % meta["flamegraph"], ""]
    return "\n".join(parts)


ALL_NOTE = ("ns per operation: median over repetitions; percentiles from one sample "
            "pass; event counts exact per operation.")


def all_benchmarks(rows):
    """(header, rows) of the table of every benchmark that ran."""
    cols = ["suite", "benchmark", "impl", "param", "ns_per_op", "p50_ns", "p99_ns", "p999_ns",
            "max_ns", "pte_writes_per_op", "tlb_flushes_per_op", "slots_scanned_per_op",
            "nodes_visited_per_op"]
    return cols, [[human(num(r, c)) if c == "ns_per_op" else r[c] for c in cols]
                  for r in rows if not r["error"]]


def errors(rows):
    return ["%s/%s %s: %s" % (r["suite"], r["benchmark"], r["param"], r["error"])
            for r in rows if r["error"]]


# ---- index.html ----------------------------------------------------------
# One page to open: the summary's tables, every plot and the flame graph,
# all by relative reference to files of the run, so it works offline
# (no scripts, no fonts, nothing fetched).

PAGE_STYLE = """body { font-family: sans-serif; margin: 1.5em; max-width: 1300px; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 1em; }
td, th { border: 1px solid #bbb; padding: 2px 6px; text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin-bottom: 1em; }
iframe { width: 100%; height: 700px; border: 1px solid #bbb; }
.banner { background: #fff3cd; padding: 0.5em; border: 1px solid #e0c060; }"""


def html_table(header, rows):
    e = html.escape
    out = ["<table>", "<tr>" + "".join("<th>%s</th>" % e(str(h)) for h in header) + "</tr>"]
    out += ["<tr>" + "".join("<td>%s</td>" % e(str(c)) for c in r) + "</tr>" for r in rows]
    return out + ["</table>"]


def index_html(rows, meta, figures):
    e = html.escape
    title = "vmaplab bench %s" % meta["stamp"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>%s</title>" % e(title), "<style>", PAGE_STYLE, "</style></head><body>",
           "<h1>%s</h1>" % e(title)]
    if meta["arch"].endswith("-qemu"):
        out.append('<p class="banner"><b>Emulated run (%s):</b> times are qemu-user times; '
                   "only the event counts compare with a native run.</p>" % e(meta["arch"]))
    out.append("<p>layout <code>%s</code>, arch <code>%s</code>, commit <code>%s</code>, "
               "seed %s, %s repetition(s) of min %s s%s. Host: %s, %s CPU(s). "
               "Compiler: %s.</p>" % tuple(e(str(x)) for x in (
                   meta["layout"], meta["arch"], meta["commit"], meta["seed"],
                   meta["repetitions"], meta["min_time"], ", quick run" if meta["quick"] else "",
                   meta["host"]["cpu"], meta["host"]["num_cpus"], meta["compiler"])))
    out.append("<p>Files: " + ", ".join('<a href="%s">%s</a>' % (f, f) for f in
                                         ("summary.md", "bench.csv", "bench.json", "meta.json",
                                          "vmallocinfo.txt")) + ".</p>")
    out.append("<p>%s</p>" % e(nodes_note(meta)))
    out += ["<h2>Key figures</h2>"] + html_table(["figure", "value"], figures)
    kr = kernel_rows(rows)
    if kr:
        out += ["<h2>Kernel capture replayed</h2>"] + html_table(KR_HEADER, kr)
    out.append("<h2>Plots</h2>")
    out += ['<p><img src="%s" alt="%s"></p>' % (p, p) for p in PLOTS]
    out.append("<h2>Flame graph</h2>")
    if meta["flamegraph"] == "recorded":
        out += ['<p><a href="flamegraph.html">flamegraph.html</a> (full window)</p>',
                '<iframe src="flamegraph.html" title="flame graph"></iframe>']
    else:
        out.append("<p>%s.</p>" % e(meta["flamegraph"]))
    out += ["<h2>All benchmarks</h2>", "<p>%s</p>" % e(ALL_NOTE)]
    out += html_table(*all_benchmarks(rows))
    errs = errors(rows)
    if errs:
        out += ["<h2>Errors</h2>", "<ul>"] + ["<li>%s</li>" % e(x) for x in errs] + ["</ul>"]
    return "\n".join(out + ["</body></html>", ""])


# ---- meta ----------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def replay_record(row):
    """What the replay under one real benchmark did, from its param."""
    rec = dict(kv.split("=") for kv in row["param"].split(";") if "=" in kv)
    return {"benchmark": "%s %s %s" % (row["benchmark"], row["impl"],
                                        row["param"].split(";")[0]),
            "fill": float(rec["fill"]), "scale": float(rec["scale"]),
            "stride": int(rec["stride"]), "holes_kept": rec["holes"] == "1",
            "areas": int(rec["areas"]), "dropped": int(rec["dropped"]),
            "skipped": int(rec["skipped"]), "lazy": int(rec["lazy"])}


def real_input(ctx, rows, source):
    """The snapshot and every replay of it; the first one's record on top."""
    path = ctx.get("vl_vmallocinfo")
    replays = [replay_record(r) for r in rows if r["suite"] == "real" and not r["error"]]
    if not path or not replays:
        return None
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    top = {k: v for k, v in replays[0].items() if k != "benchmark"}
    # the frozen copy; bench.json's context names where it was during the run
    return dict({"file": "vmallocinfo.txt", "source": source, "sha256": sha,
                 "entries": int(ctx["vl_vmi_entries"]),
                 "live_bytes": int(ctx["vl_vmi_live_bytes"]),
                 "unpurged_bytes": int(ctx["vl_vmi_unpurged_bytes"])},
                **top, replays=replays)


def make_meta(args, ctx, rows):
    return {
        "stamp": args.stamp or os.path.basename(os.path.normpath(args.dir)),
        "host": {"name": ctx.get("host_name"), "uname": " ".join(platform.uname()),
                 "cpu": cpu_model(), "num_cpus": ctx.get("num_cpus"),
                 "mhz_per_cpu": ctx.get("mhz_per_cpu"), "caches": ctx.get("caches")},
        "compiler": args.compiler, "commit": args.commit, "arch": args.arch,
        "layout": ctx.get("vl_layout"), "seed": int(ctx.get("vl_seed", 0)),
        "quick": args.quick == "1", "repetitions": args.repetitions,
        "min_time": args.min_time, "latency_ops": int(ctx.get("vl_latency_ops", 0)),
        "timer_overhead_ns": float(ctx.get("vl_timer_overhead_ns", "nan")),
        "benchmark_library": {"name": "Google Benchmark", "version": "1.7.1",
                              "build_type": ctx.get("library_build_type")},
        "date": ctx.get("date"), "real_input": real_input(ctx, rows, args.vmallocinfo_source),
        "nodes_cpus": int(ctx.get("vl_cpus", 0)), "kernel_capture": ctx.get("vl_kernel_capture"),
        "flamegraph": args.flamegraph, "benchmarks": len(rows),
        "errors": sum(1 for r in rows if r["error"]),
    }


# ---- build and check -----------------------------------------------------

def print_figures(figures, meta):
    width = max(len(f[0]) for f in figures)
    print("== key figures (%s, %s%s)" % (meta["layout"], meta["arch"],
                                         ", quick" if meta["quick"] else ""))
    for label, value in figures:
        print("  %-*s  %s" % (width, label, value))


def build(args):
    merged = merge_raw(args.raw)
    rows = build_rows(merged, args.arch, os.path.join(args.dir, "samples"))
    ctx = merged["context"]
    meta = make_meta(args, ctx, rows)
    title = "vmaplab %s, layout %s, %s" % (meta["stamp"], meta["layout"], meta["arch"])
    write_atomic(os.path.join(args.dir, "bench.json"), json.dumps(merged, indent=1))
    write_atomic(os.path.join(args.dir, "bench.csv"), csv_text(rows))
    write_atomic(os.path.join(args.dir, "meta.json"), json.dumps(meta, indent=1))
    plot_pkmap(rows, os.path.join(args.dir, "pkmap_paths.svg"), title)
    plot_live_areas(rows, os.path.join(args.dir, "vmalloc_live_areas.svg"), title)
    plot_sizes(rows, os.path.join(args.dir, "vmalloc_size.svg"), title)
    plot_latency(rows, os.path.join(args.dir, "latency_percentiles.svg"), title)
    figures = key_figures(rows)
    write_atomic(os.path.join(args.dir, "summary.md"), summary_text(rows, meta, figures))
    write_atomic(os.path.join(args.dir, "index.html"), index_html(rows, meta, figures))
    print_figures(figures, meta)
    for r in rows:
        if r["error"]:
            print("bench_report.py: %s/%s %s failed: %s" % (
                r["suite"], r["benchmark"], r["param"], r["error"]), file=sys.stderr)
    return 1 if meta["errors"] else 0


def check_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        f.seek(0)
        header = next(csv.reader(f))
    if header[:len(REQUIRED)] != REQUIRED:
        return "columns differ from the contract"
    if not rows:
        return "no rows"
    missing = set(SUITES) - {r["suite"] for r in rows}
    if missing:
        return "suites missing: " + ", ".join(sorted(missing))
    for suite in GEN_SUITES:
        gens = set(GENS) - {r["impl"] for r in rows if r["suite"] == suite}
        if gens:
            return "%s: generations missing: %s" % (suite, ", ".join(sorted(gens)))
    for r in rows:
        if r["error"]:
            return "%s/%s failed: %s" % (r["suite"], r["benchmark"], r["error"])
        if not float(r["ns_per_op"]) >= 0 or float(r["iterations"]) < 1:
            return "bad figures in %s/%s" % (r["suite"], r["benchmark"])
        for k in REQUIRED[11:]:
            if r[k] != "":
                float(r[k])
    return None


def check_file(d, name):
    """None if DIR/name exists and parses, else what is wrong."""
    path = os.path.join(d, name)
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return "missing or empty"
    try:
        if name.endswith(".csv"):
            return check_csv(path)
        if name.endswith(".json"):
            with open(path) as f:
                json.load(f)
        elif name.endswith(".svg"):
            if not ET.parse(path).getroot().tag.endswith("svg"):
                return "not an SVG document"
        elif name == "summary.md":
            with open(path) as f:
                text = f.read()
            for head in ("## Key figures", "## VMALLOC generations", "## Kernel capture"):
                if head not in text:
                    return "no section " + head
        elif name == "index.html":
            return check_index(d, path)
        elif name.endswith(".html"):
            with open(path) as f:
                if "flamegraph" not in f.read():
                    return "not a flame graph"
    except (ValueError, KeyError, ET.ParseError, OSError) as e:
        return "does not parse: %s" % e
    return None


def check_index(d, path):
    """The page must be offline: every reference a file of the run."""
    with open(path) as f:
        page = f.read()
    if "http" in page:
        return "refers to the network"
    for ref in re.findall(r'(?:src|href)="([^"]*)"', page):
        if "/" in ref or not os.path.isfile(os.path.join(d, ref)):
            return "refers to %s, not a file of the run" % ref
    return None


def check(d):
    files = list(FILES)
    try:
        with open(os.path.join(d, "meta.json")) as f:
            if json.load(f).get("flamegraph") == "recorded":
                files.append("flamegraph.html")
    except (OSError, ValueError):
        pass
    failed = 0
    for name in files:
        why = check_file(d, name)
        if why:
            failed += 1
            print("bench-check: %s: %s" % (os.path.join(d, name), why))
    print("bench-check: %d passed, %d failed" % (len(files) - failed, failed))
    return 1 if failed else 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="the run's directory, results/<stamp>")
    ap.add_argument("--check", action="store_true", help="only check the files")
    ap.add_argument("--raw", nargs="+", default=[], help="Google Benchmark JSON per suite")
    ap.add_argument("--arch", default=platform.machine())
    ap.add_argument("--compiler", default="unknown")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--flamegraph", default="not recorded")
    ap.add_argument("--repetitions", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.0)
    ap.add_argument("--quick", choices=["0", "1"], default="0")
    ap.add_argument("--vmallocinfo-source", default=None,
                    help="where the replayed snapshot was copied from")
    ap.add_argument("--stamp", default=None,
                    help="the run's name (default: DIR's), when DIR is a temporary folder")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.dir):
        ap.error("no such directory: " + args.dir)
    if not args.check and not args.raw:
        ap.error("--raw is required to build a run's files")
    return args


def main(argv):
    args = parse_args(argv)
    return check(args.dir) if args.check else build(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
