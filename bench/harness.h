// The measuring harness shared by every suite.
//
// A scenario is a class S with:
//   S(const S::Param &)      boots a fresh machine and builds the state;
//   const char *error;       set when the setup or an operation failed;
//   uint32_t batch;          operations per timed batch;
//   void prepare();          untimed, before each batch;
//   void op(uint32_t i);     the measured operation, i-th of the batch;
//   void restore();          untimed, after each batch that did not fail;
//   void annotate(State &);  extra counters, once after the throughput loop.
// measure<S>() times whole batches (manual time, one clock pair per batch,
// calibrated clock overhead taken off).  Then, once per benchmark, a sample
// pass on another fresh machine times each operation on its own, saves the
// samples and counts the events of its fixed number of operations.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core_api.h"

namespace vlb {

// Run-wide settings from the command line (main.cc).
struct Options {
	std::string layout;        // vl_boot layout name
	std::string samples_dir;   // latency samples go here; empty: not kept
	std::string vmallocinfo;   // /proc/vmallocinfo snapshot for the real suite
	uint64_t seed = 1;         // every PRNG of the run derives from it
	bool quick = false;        // fewer parameters
	uint32_t latency_ops = 20000;   // operations of a sample pass
	uint32_t gate_ops = 0;     // >0: gate mode, operations per benchmark
	uint32_t vmalloc_size = 0; // bytes, the kernel's vmalloc=; 0: see large_window()
	uint32_t cpus = 0;         // CPUs of the nodes impl's machines; 0 until main.cc picks
	std::string kernel_capture; // capture folder for the kernel suite
};
extern Options opt;

using Clock = std::chrono::steady_clock;

// Median cost of one Clock::now() pair, subtracted from every interval.
extern double timer_overhead_ns;
void calibrate_timer();

// Nanoseconds between two clock reads, overhead removed, never negative.
double net_ns(Clock::time_point t0, Clock::time_point t1);

// splitmix64: a tiny seeded generator so random scenarios replay exactly.
class Rng {
public:
	explicit Rng(uint64_t salt) : state_(opt.seed ^ (salt * 0x9E3779B97F4A7C15ull)) {}
	uint64_t next();
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }

private:
	uint64_t state_;
};

// What a VMALLOC scenario boots: the generation (lazy freeing on for 2
// to 4, as in the kernel) and the window (bytes; 0: the layout's own).
// Generation 4 boots opt.cpus CPUs, one vmap node each; the others one
// CPU.  Every operation runs on CPU 0, so only CPU 0's node pools fill.
struct Boot {
	vl_vmalloc_gen gen;
	uint32_t vmalloc_size;
};

// The generations every VMALLOC benchmark runs on; `name` is its impl.
struct Gen {
	vl_vmalloc_gen id;
	const char *name;
};
extern const Gen kGens[4];

// Owns one freshly booted machine for the lifetime of a scenario.
class Machine {
public:
	// generation 1 in the window of --vl_vmalloc_size (PKMAP, FIXMAP)
	explicit Machine(bool debug = true);
	explicit Machine(const Boot &boot, bool debug = true);
	~Machine();
	Machine(const Machine &) = delete;
	Machine &operator=(const Machine &) = delete;

	const char *error = nullptr;
	uint32_t batch = 1;
	// the sample pass's operations, at most: lowered by the scenarios
	// whose operation walks thousands of areas, so the pass stays short
	uint32_t sample_ops = UINT32_MAX;
	void prepare() {}
	void restore() {}
	void annotate(benchmark::State &) {}
	void fail(const char *why) { if (!error) error = why; }  // first wins
	// @n one-page vmalloc areas packed from VMALLOC_START, held to the end.
	void hold_one_page_areas(uint32_t n, const char *why);
};

// Event counts of the timed operations, summed over batches.
struct OpCounts {
	vl_stats sum{};
	uint64_t ops = 0;
	void add(const vl_stats &before, const vl_stats &after, uint32_t n);
};
void set_counters(benchmark::State &st, const OpCounts &c, uint32_t batch,
		  double n);
void save_latency(const std::string &name, const std::vector<uint32_t> &ns);

// One batch through the throughput path: the batch's wall time, net.
template <class S>
double timed_batch(S &s)
{
	s.prepare();
	if (s.error)
		return 0;
	Clock::time_point t0 = Clock::now();
	for (uint32_t i = 0; i < s.batch; i++)
		s.op(i);
	Clock::time_point t1 = Clock::now();
	if (!s.error)  // a failed machine is only shut down
		s.restore();
	return net_ns(t0, t1);
}

// What the sample pass found: exact counts, or why it could not run.
struct SampleResult {
	OpCounts counts;
	const char *error = nullptr;
};

// Whole batches of `s` up to `ops` operations, each run by run_batch(s)
// between prepare() and restore(), with the event counts of the batches.
template <class S, class RunBatch>
SampleResult counted_pass(S &s, uint32_t ops, RunBatch run_batch)
{
	SampleResult res;
	while (!s.error && res.counts.ops < ops) {
		s.prepare();
		vl_stats before, after;
		vl_stats_read(&before);
		run_batch(s);
		vl_stats_read(&after);
		if (!s.error)
			s.restore();
		res.counts.add(before, after, s.batch);
	}
	res.error = s.error;
	return res;
}

// The sample pass, on a fresh machine: one untimed warm-up batch, then
// whole batches up to opt.latency_ops (or the scenario's sample_ops)
// operations, each timed on its own.
// Its event counts are those of a fixed sequence of operations, so they
// are exact and the same on every host.
template <class S>
SampleResult sample_pass(const std::string &name, const typename S::Param &p)
{
	S s(p);
	timed_batch(s);
	std::vector<uint32_t> ns;
	ns.reserve(opt.latency_ops + s.batch);
	SampleResult res = counted_pass(s, std::min(opt.latency_ops, s.sample_ops), [&ns](S &s) {
		for (uint32_t i = 0; i < s.batch; i++) {
			Clock::time_point t0 = Clock::now();
			s.op(i);
			Clock::time_point t1 = Clock::now();
			ns.push_back((uint32_t)(net_ns(t0, t1) + 0.5));
		}
	});
	if (!res.error)
		save_latency(name, ns);
	return res;
}

// Gate mode (bench/gate.cc): the sample pass's fixed sequence without a
// clock, opt.gate_ops operations, under callgrind counting only the
// operations themselves.  The counts and instructions are recorded.
void gate_instrument(bool on);
void gate_collect(bool on);
void gate_record(const std::string &name, const SampleResult &r, uint32_t batch);

template <class S>
void gate_pass(const std::string &name, const typename S::Param &p)
{
	S s(p);
	timed_batch(s);
	gate_instrument(true);
	SampleResult res = counted_pass(s, opt.gate_ops, [](S &s) {
		gate_collect(true);
		for (uint32_t i = 0; i < s.batch; i++)
			s.op(i);
		gate_collect(false);
	});
	gate_instrument(false);
	gate_record(name, res, s.batch);
}

// The throughput loop: whole batches, manual time.  Then, once per
// benchmark, the sample pass; its exact counts go with every repetition.
template <class S>
void measure(benchmark::State &st, const std::string &name,
	     const typename S::Param &p, double n)
{
	uint32_t batch;
	{
		S s(p);
		if (s.error) {
			st.SkipWithError(s.error);
			return;
		}
		for (auto _ : st) {
			double ns = timed_batch(s);
			if (s.error) {
				st.SkipWithError(s.error);
				return;
			}
			st.SetIterationTime(ns * 1e-9);
		}
		s.annotate(st);
		batch = s.batch;
	}
	static std::map<std::string, SampleResult> passes;
	auto it = passes.find(name);
	if (it == passes.end())
		it = passes.emplace(name, sample_pass<S>(name, p)).first;
	if (it->second.error)
		st.SkipWithError(it->second.error);
	else
		set_counters(st, it->second.counts, batch, n);
}

// Register scenario S as benchmark `name` ("suite/benchmark/impl[/param]");
// `n` is the numeric parameter reported in the CSV.
template <class S>
benchmark::internal::Benchmark *add(const std::string &name,
				    const typename S::Param &p, double n)
{
	if (opt.gate_ops)  // one empty iteration, then the gate pass
		return benchmark::RegisterBenchmark(
			       name.c_str(), [name, p](benchmark::State &st) {
				       for (auto _ : st) {
				       }
				       gate_pass<S>(name, p);
			       })
			->Iterations(1)
			->Repetitions(1);
	auto *b = benchmark::RegisterBenchmark(
		name.c_str(), [name, p, n](benchmark::State &st) {
			measure<S>(st, name, p, n);
		});
	return b->UseManualTime()->Unit(benchmark::kNanosecond);
}

// Suites (one file each); they register their benchmarks for layout `l`.
void register_pkmap(const vl_layout &l);
void register_fixmap(const vl_layout &l);
void register_vmalloc(const vl_layout &l);
void register_test_vmalloc(const vl_layout &l);
void register_real(const vl_layout &l, const vl_vmi &vmi);
void register_kernel();

// A highmem page frame, or nullptr when the zone is empty.
struct page *alloc_highmem();
// Pages of the layout's VMALLOC window.
uint32_t window_pages(const vl_layout &l);
// Page frames of the layout (lowmem + highmem).
uint32_t ram_pages(const vl_layout &l);
// The kernel's test_vmalloc.c holds this many one-page areas.
constexpr uint32_t kBusyAreas = 15000;
// The sample pass of the scenarios that hold up to kBusyAreas areas (a
// vmlist operation walks them all): 2000 operations.
constexpr uint32_t kWalkSampleOps = 2000;
// --vl_quick: populations cut to this many areas (the vmlist's O(n^2)
// set-up stays well under a second under qemu).
constexpr uint32_t kQuickAreas = 2000;
// The window (bytes, 0: the layout's own) of the scan-cost curve and the
// test_vmalloc suite: --vl_vmalloc_size when given; else the layout's own
// when it holds kBusyAreas one-page areas with their guards, the lazily
// freed pages a purge waits for and one long_busy_list iteration, or when
// the layout has too few frames for them anyway (under 5/4 of
// kBusyAreas); else a window that does (kLargeWindow, 192 MiB), the
// kernel's vmalloc= answer.
uint32_t large_window(const vl_layout &l);
// The layout as booted with vmalloc_size @bytes (0: @l itself).
vl_layout resized(const vl_layout &l, uint32_t bytes);
// Geometric series lo, lo*ratio, ... ending exactly at hi (both included).
std::vector<uint32_t> geometric(uint32_t lo, uint32_t hi, double ratio);

}  // namespace vlb
