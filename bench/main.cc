// vmaplab_bench: Google Benchmark driver of the vmaplab suites.
//
// Own options (the rest goes to Google Benchmark):
//   --vl_layout=NAME        layout to boot (default $LAYOUT, else biscuitos)
//   --vl_samples=DIR        write per-operation latency samples into DIR
//   --vl_vmallocinfo=FILE   /proc/vmallocinfo snapshot for the real suite
//   --vl_seed=N             seed of every PRNG (default 1)
//   --vl_latency_ops=N      operations of each sample pass (default 20000,
//                           2000 with --vl_quick)
//   --vl_quick              fewer parameters
//   --vl_vmalloc_size=SIZE  the kernel's vmalloc=SIZE for every machine
//                           (bytes, or with K, M or G; page-aligned): the
//                           window ends where the layout's does.  Default:
//                           the layout's own window, and for the scan-cost
//                           curve and test_vmalloc one that holds 15,000
//                           one-page areas (harness.h, large_window)
//   --vl_cpus=N             CPUs of the nodes generation's machines, one
//                           vmap node each (default: the host's online
//                           CPUs, at most the layout's NR_CPUS); the other
//                           generations boot one CPU
//   --vl_kernel_capture=DIR a kernel vmalloc capture: the kernel suite
//                           replays it on each generation (not in gate mode)
//   --vl_gate=N             gate mode (bench/gate.cc): no timing; N operations
//                           of each benchmark, their exact event counts as
//                           JSON on stdout (under callgrind: instructions)
// Exit status 2 on a bad option, an unknown layout or a malformed snapshot.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "gate.h"
#include "harness.h"

namespace {

[[noreturn]] void usage_error(const std::string &msg)
{
	std::cerr << "vmaplab_bench: " << msg << "\n";
	exit(2);
}

// "--name=value" -> value if `arg` starts with "--name=".
bool take(const char *arg, const char *name, std::string *value)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return false;
	*value = arg + n + 1;
	return true;
}

uint64_t parse_count(const char *opt, const std::string &s, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s.c_str(), &end, 10);
	if (s.empty() || *end || errno || s[0] == '-' || v > max)
		usage_error(std::string(opt) + " wants an integer in 0.." +
			    std::to_string(max) + ", not '" + s + "'");
	return v;
}

// SIZE[K|M|G] in bytes, as the kernel's memparse() reads vmalloc=.
uint32_t parse_size(const char *opt, const std::string &s)
{
	std::string digits = s;
	unsigned shift = 0;
	const char *units = "KMG";
	if (!s.empty() && strchr(units, s.back())) {
		shift = 10 * (unsigned)(strchr(units, s.back()) - units + 1);
		digits.pop_back();
	}
	uint64_t v = parse_count(opt, digits, UINT32_MAX);
	if (v << shift > UINT32_MAX || (v << shift) % PAGE_SIZE || !v)
		usage_error(std::string(opt) + " wants a page-aligned size below 4G, not '" +
			    s + "'");
	return (uint32_t)(v << shift);
}

// Takes the --vl_* options out of argv; the rest is left for the library.
void parse_own_options(int *argc, char **argv)
{
	const char *env = getenv("LAYOUT");
	vlb::opt.layout = env && *env ? env : "biscuitos";
	std::string latency_ops, gate_ops, cpus;
	int kept = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		std::string v;
		if (take(a, "--vl_layout", &v))
			vlb::opt.layout = v;
		else if (take(a, "--vl_samples", &v))
			vlb::opt.samples_dir = v;
		else if (take(a, "--vl_vmallocinfo", &v))
			vlb::opt.vmallocinfo = v;
		else if (take(a, "--vl_seed", &v))
			vlb::opt.seed = parse_count("--vl_seed", v, UINT64_MAX);
		else if (take(a, "--vl_latency_ops", &v))
			latency_ops = v;
		else if (take(a, "--vl_gate", &v))
			gate_ops = v;
		else if (take(a, "--vl_cpus", &v))
			cpus = v;
		else if (take(a, "--vl_kernel_capture", &v))
			vlb::opt.kernel_capture = v;
		else if (take(a, "--vl_vmalloc_size", &v))
			vlb::opt.vmalloc_size = parse_size("--vl_vmalloc_size", v);
		else if (!strcmp(a, "--vl_quick"))
			vlb::opt.quick = true;
		else if (!strncmp(a, "--vl_", 5))
			usage_error(std::string("unknown option ") + a);
		else
			argv[kept++] = argv[i];
	}
	*argc = kept;
	vlb::opt.latency_ops = vlb::opt.quick ? 2000 : 20000;
	if (!latency_ops.empty())
		vlb::opt.latency_ops = (uint32_t)parse_count("--vl_latency_ops", latency_ops,
							     10000000);
	if (!gate_ops.empty() &&
	    !(vlb::opt.gate_ops = (uint32_t)parse_count("--vl_gate", gate_ops, 10000000)))
		usage_error("--vl_gate wants at least one operation");
	if (!cpus.empty() && !(vlb::opt.cpus = (uint32_t)parse_count("--vl_cpus", cpus,
								     VL_MAX_CPUS)))
		usage_error("--vl_cpus wants at least one CPU");
}

// --vl_cpus, or the host's online CPUs capped at the layout's NR_CPUS.
void pick_cpus(const vl_layout &l)
{
	if (vlb::opt.cpus > l.nr_cpus)
		usage_error("--vl_cpus=" + std::to_string(vlb::opt.cpus) + ": layout '" +
			    vlb::opt.layout + "' has NR_CPUS " + std::to_string(l.nr_cpus));
	if (vlb::opt.cpus)
		return;
	long host = sysconf(_SC_NPROCESSORS_ONLN);
	vlb::opt.cpus = (uint32_t)std::max(1L, std::min<long>(host, l.nr_cpus));
}

// Parse the snapshot now, so a malformed file stops the run before any
// benchmark: message "FILE:LINE:COL: what", exit 2.
void load_snapshot(vl_vmi *vmi)
{
	const std::string &path = vlb::opt.vmallocinfo;
	FILE *f = fopen(path.c_str(), "r");
	if (!f)
		usage_error(path + ": " + strerror(errno));
	char err[256] = "";
	int rc = vl_vmi_parse(f, path.c_str(), vmi, err, sizeof(err));
	fclose(f);
	if (rc == -EINVAL)
		usage_error(err);
	if (rc)
		usage_error(path + ": " + strerror(-rc));
}

// One line per finished benchmark: the median repetition, per operation.
class Progress : public benchmark::BenchmarkReporter {
public:
	bool ReportContext(const Context &) override { return true; }
	void ReportRuns(const std::vector<Run> &runs) override
	{
		for (const Run &r : runs)
			if (shown(r))
				line(r);
	}

private:
	static bool shown(const Run &r)
	{
		if (r.error_occurred)
			return true;
		if (r.run_type == Run::RT_Aggregate)
			return r.aggregate_name == "median";
		return r.repetitions <= 1;
	}
	static void line(const Run &r)
	{
		std::string name = r.run_name.function_name;
		if (r.error_occurred) {
			printf("  %-58s ERROR %s\n", name.c_str(), r.error_message.c_str());
		} else {
			auto b = r.counters.find("batch");
			double batch = b == r.counters.end() ? 1 : b->second.value;
			printf("  %-58s %12.1f ns/op\n", name.c_str(),
			       r.GetAdjustedRealTime() / batch);
		}
		fflush(stdout);
	}
};

void add_context(const vl_vmi &vmi)
{
	benchmark::AddCustomContext("vl_layout", vlb::opt.layout);
	benchmark::AddCustomContext("vl_seed", std::to_string(vlb::opt.seed));
	benchmark::AddCustomContext("vl_quick", vlb::opt.quick ? "1" : "0");
	benchmark::AddCustomContext("vl_vmalloc_size", std::to_string(vlb::opt.vmalloc_size));
	benchmark::AddCustomContext("vl_cpus", std::to_string(vlb::opt.cpus));
	if (!vlb::opt.kernel_capture.empty())
		benchmark::AddCustomContext("vl_kernel_capture", vlb::opt.kernel_capture);
	benchmark::AddCustomContext("vl_timer_overhead_ns",
				    std::to_string(vlb::timer_overhead_ns));
	benchmark::AddCustomContext("vl_latency_ops",
				    std::to_string(vlb::opt.latency_ops));
	if (vlb::opt.vmallocinfo.empty())
		return;
	benchmark::AddCustomContext("vl_vmallocinfo", vlb::opt.vmallocinfo);
	benchmark::AddCustomContext("vl_vmi_entries", std::to_string(vmi.n));
	benchmark::AddCustomContext("vl_vmi_live_bytes", std::to_string(vmi.live_bytes));
	benchmark::AddCustomContext("vl_vmi_unpurged_bytes",
				    std::to_string(vmi.unpurged_bytes));
}

}  // namespace

int main(int argc, char **argv)
{
	parse_own_options(&argc, argv);
	const vl_layout *l = vl_layout_find(vlb::opt.layout.c_str());
	if (!l)
		usage_error("unknown layout '" + vlb::opt.layout + "'");
	pick_cpus(*l);
	vl_layout sized;
	if (vlb::opt.vmalloc_size &&
	    vl_layout_resize_vmalloc(l, vlb::opt.vmalloc_size, &sized) != 0)
		usage_error("--vl_vmalloc_size=" + std::to_string(vlb::opt.vmalloc_size) +
			    " leaves layout '" + vlb::opt.layout + "' too little lowmem");
	vl_vmi vmi{};
	if (!vlb::opt.vmallocinfo.empty())
		load_snapshot(&vmi);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	if (!vlb::opt.gate_ops)
		vlb::calibrate_timer();
	add_context(vmi);
	vlb::register_pkmap(*l);
	vlb::register_fixmap(*l);
	vlb::register_vmalloc(*l);
	vlb::register_test_vmalloc(*l);
	if (!vlb::opt.vmallocinfo.empty())
		vlb::register_real(*l, vmi);
	if (!vlb::opt.kernel_capture.empty() && !vlb::opt.gate_ops)
		vlb::register_kernel();
	Progress progress;
	vlb::GateReporter silent;
	if (vlb::opt.gate_ops)
		benchmark::RunSpecifiedBenchmarks(&silent);
	else
		benchmark::RunSpecifiedBenchmarks(&progress);
	benchmark::Shutdown();
	if (vlb::opt.gate_ops)
		vlb::gate_write_json(stdout);
	vl_vmi_free(&vmi);
	return 0;
}
