// The measuring harness: clock calibration, machines, counters, samples.
#include "harness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vlb {

Options opt;
double timer_overhead_ns;

void calibrate_timer()
{
	std::vector<double> d(10001);
	for (double &x : d) {
		Clock::time_point t0 = Clock::now();
		Clock::time_point t1 = Clock::now();
		x = std::chrono::duration<double, std::nano>(t1 - t0).count();
	}
	std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
	timer_overhead_ns = d[d.size() / 2];
}

double net_ns(Clock::time_point t0, Clock::time_point t1)
{
	double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
	return std::max(0.0, ns - timer_overhead_ns);
}

uint64_t Rng::next()
{
	uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

const Gen kGens[4] = {{VL_VMLIST, "vmlist"}, {VL_RBTREE, "rbtree"}, {VL_AUGTREE, "augtree"},
		      {VL_NODES, "nodes"}};

Machine::Machine(bool debug) : Machine(Boot{VL_VMLIST, opt.vmalloc_size}, debug) {}

Machine::Machine(const Boot &boot, bool debug)
{
	vl_config cfg{};
	cfg.layout = opt.layout.c_str();
	cfg.cpus = boot.gen == VL_NODES ? opt.cpus : 1;  // vmap_nodes 0: one per CPU
	cfg.debug = debug;
	cfg.vmalloc = boot.gen;
	cfg.vmalloc_size = boot.vmalloc_size;
	if (vl_boot(&cfg) != 0)
		error = "vl_boot failed";
}

Machine::~Machine()
{
	vl_shutdown();
}

void Machine::hold_one_page_areas(uint32_t n, const char *why)
{
	for (uint32_t i = 0; i < n && !error; i++)
		if (!vmalloc(PAGE_SIZE))
			fail(why);
}

void OpCounts::add(const vl_stats &b, const vl_stats &a, uint32_t n)
{
#define VLB_ADD(field, name, per_op) sum.field += a.field - b.field;
	VL_STATS(VLB_ADD)
#undef VLB_ADD
	ops += n;
}

void set_counters(benchmark::State &st, const OpCounts &c, uint32_t batch,
		  double n)
{
	double ops = c.ops ? (double)c.ops : 1.0;
	const vl_stats &s = c.sum;
	st.counters["batch"] = batch;
	st.counters["n"] = n;
	// the three TLB flush counters only in the two combined columns below
#define VLB_PER_OP(field, name, per_op) \
	if (per_op)                     \
		st.counters[name "_per_op"] = s.field / ops;
	VL_STATS(VLB_PER_OP)
#undef VLB_PER_OP
	st.counters["tlb_flushes_per_op"] = (s.tlb_flush_one + s.tlb_flush_range) / ops;
	st.counters["tlb_flush_pages_per_op"] =
		(s.tlb_flush_one + s.tlb_flush_range_pages) / ops;
}

// File name of a benchmark's samples: the name with / and : made safe.
// scripts/bench_report.py applies the same rule.
static std::string sample_file(const std::string &name)
{
	std::string f = name;
	for (char &ch : f)
		if (!isalnum((unsigned char)ch) && ch != '.' && ch != '=' && ch != '-')
			ch = '_';
	return opt.samples_dir + "/" + f + ".u32";
}

void save_latency(const std::string &name, const std::vector<uint32_t> &ns)
{
	if (opt.samples_dir.empty())
		return;
	std::string path = sample_file(name), tmp = path + ".tmp";
	FILE *f = fopen(tmp.c_str(), "wb");
	bool ok = f && fwrite(ns.data(), sizeof(uint32_t), ns.size(), f) == ns.size();
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
		perror(path.c_str());
		remove(tmp.c_str());
	}
}

struct page *alloc_highmem()
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	if (p && !PageHighMem(p)) {  // the zone fell back to lowmem
		__free_page(p);
		return nullptr;
	}
	return p;
}

uint32_t window_pages(const vl_layout &l)
{
	return (l.vmalloc_end - l.vmalloc_start) >> PAGE_SHIFT;
}

uint32_t ram_pages(const vl_layout &l)
{
	return l.lowmem_pages + l.highmem_pages;
}

// The pages kBusyAreas one-page areas and their guards take, plus the
// lazily freed pages of one CPU's purge threshold (lazy_max_pages(): 32
// MiB) and one long_busy_list iteration (101 + 2 pages).  Generation 4
// with two or three CPUs waits for 64 MiB: 192 MiB still holds it; with
// four, a full window purges first, as the kernel's alloc_vmap_area() does.
constexpr uint32_t kLargeNeed = 2 * kBusyAreas + (32u << 20) / PAGE_SIZE + 103;
constexpr uint32_t kLargeWindow = 192u << 20;  // bytes: kLargeNeed rounded up
static_assert(kLargeWindow / PAGE_SIZE >= kLargeNeed, "the large window is too small");

vl_layout resized(const vl_layout &l, uint32_t bytes)
{
	vl_layout out = l;
	if (bytes && vl_layout_resize_vmalloc(&l, bytes, &out) != 0)
		out = l;  // vl_boot refuses it, and says so per benchmark
	return out;
}

uint32_t large_window(const vl_layout &l)
{
	if (opt.vmalloc_size)
		return opt.vmalloc_size;
	if (window_pages(l) >= kLargeNeed || ram_pages(l) < kBusyAreas / 4 * 5)
		return 0;
	vl_layout out;
	return vl_layout_resize_vmalloc(&l, kLargeWindow, &out) == 0 ? kLargeWindow : 0;
}

std::vector<uint32_t> geometric(uint32_t lo, uint32_t hi, double ratio)
{
	std::vector<uint32_t> v;
	for (double x = lo; x * 1.25 <= hi; x *= ratio) {  // near `hi`: hi itself
		uint32_t r = (uint32_t)std::lround(x);
		if (v.empty() || r != v.back())
			v.push_back(r);
	}
	v.push_back(hi);
	return v;
}

}  // namespace vlb
