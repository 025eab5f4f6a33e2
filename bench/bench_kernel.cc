// Real-input suite `kernel`: a real kernel's vmalloc capture (by default
// the committed Linux 6.18 one, corpus/kernel/linux-6.18-x86_64) replayed
// decision by decision through each generation by vl_kernel_replay()
// (lab/kernel_replay.h), as `vmaplab kernel-replay --gen G` does: its own
// machine, the capture's CPUs (one vmap node each), every event on the CPU
// that recorded it.  One iteration is the whole replay, reading and
// parsing the capture included; its batch is the replay's events, so
// ns_per_op is ns per event and nodes_visited_per_op nodes per event (the
// initial state's placement included).  The figures of the replay's last
// line go out as counters kr_* (scripts/bench_report.py reads them from
// the CSV's extra column).
#include "harness.h"

extern "C" {
#include "kernel_replay.h"
}

namespace vlb {
namespace {

// The replay's events: allocations (failed ones too), lazy frees, purges
// and the events outside the capture's VMALLOC range.
static double events_of(const vl_kr_result &r)
{
	return (double)r.allocs + r.allocs_failed + r.frees + r.purges + r.foreign;
}

// The figures of `vmaplab kernel-replay`'s last line, A/B ... I/J, and
// the capture's CPUs: the counters that carry them.
struct Figure {
	const char *counter;
	uint32_t vl_kr_result::*field;
};
const Figure kFigures[] = {
	{"kr_nr_lazy_ok", &vl_kr_result::nr_lazy_ok}, {"kr_frees", &vl_kr_result::frees},
	{"kr_purges_ok", &vl_kr_result::purges_ok}, {"kr_purges", &vl_kr_result::purges},
	{"kr_final_ok", &vl_kr_result::final_ok}, {"kr_final_n", &vl_kr_result::final_n},
	{"kr_hits", &vl_kr_result::hits}, {"kr_allocs", &vl_kr_result::allocs},
	{"kr_hits_after", &vl_kr_result::hits_after},
	{"kr_allocs_after", &vl_kr_result::allocs_after}, {"kr_cpus", &vl_kr_result::cpus},
};

void replay(benchmark::State &st, vl_vmalloc_gen gen)
{
	vl_kr_result res{};
	vl_stats stats{};
	char err[512] = "";
	for (auto _ : st) {
		Clock::time_point t0 = Clock::now();
		int rc = vl_kernel_replay(opt.kernel_capture.c_str(), gen, false, nullptr,
					  &res, err, sizeof(err));
		Clock::time_point t1 = Clock::now();
		if (rc) {
			st.SkipWithError(err);
			return;
		}
		vl_stats_read(&stats);  // the replay's own: its boot zeroed them
		st.SetIterationTime(net_ns(t0, t1) * 1e-9);
	}
	OpCounts c;
	c.sum = stats;
	c.ops = (uint64_t)events_of(res);
	set_counters(st, c, (uint32_t)c.ops, events_of(res));
	for (const Figure &f : kFigures)
		st.counters[f.counter] = res.*f.field;
}

}  // namespace

void register_kernel()
{
	for (const Gen &g : kGens) {
		vl_vmalloc_gen id = g.id;
		auto *b = benchmark::RegisterBenchmark(
			(std::string("kernel/replay/") + g.name).c_str(),
			[id](benchmark::State &st) { replay(st, id); });
		b->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(1);
		if (opt.quick)  // one replay per generation
			b->Repetitions(1);
	}
}

}  // namespace vlb
