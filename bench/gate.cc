// Gate mode: exact event counts of a fixed number of operations per
// benchmark and, under callgrind, the instructions of those operations
// only.  Run by scripts/gate.sh; compared with bench/baseline/ by
// scripts/gate.py.
#include "gate.h"

#include <string>

#include "harness.h"

// The client requests are no-ops outside valgrind; the ARM32 cross build
// has no valgrind headers and gates event counts only.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

namespace vlb {
namespace {

struct GateRow {
	std::string name;
	SampleResult result;
	uint32_t batch;
};
std::vector<GateRow> rows;

// Benchmark names are plain ASCII without quotes; escape anyway.
std::string json_string(const std::string &s)
{
	std::string out = "\"";
	for (char ch : s) {
		if (ch == '"' || ch == '\\')
			out += '\\';
		out += ch;
	}
	return out + "\"";
}

}  // namespace

// Instrumentation is on only around a benchmark's counted batches, so the
// setup runs at near native speed; the dump that ends it carries the
// benchmark's name (callgrind zeroes its counters after each dump).
void gate_instrument(bool on)
{
	if (on) {
		CALLGRIND_START_INSTRUMENTATION;
	} else {
		CALLGRIND_STOP_INSTRUMENTATION;
	}
}

void gate_collect(bool)
{
	CALLGRIND_TOGGLE_COLLECT;
}

void gate_record(const std::string &name, const SampleResult &r, uint32_t batch)
{
	CALLGRIND_DUMP_STATS_AT(name.c_str());
	rows.push_back({name, r, batch});
}

void gate_write_json(FILE *f)
{
	fprintf(f, "{\n \"layout\": %s,\n \"seed\": %llu,\n \"quick\": %s,\n"
		   " \"gate_ops\": %u,\n \"rows\": [",
		json_string(opt.layout).c_str(), (unsigned long long)opt.seed,
		opt.quick ? "true" : "false", opt.gate_ops);
	const char *sep = "\n";
	for (const GateRow &row : rows) {
		const OpCounts &c = row.result.counts;
		fprintf(f, "%s  {\"name\": %s, \"batch\": %u, \"ops\": %llu", sep,
			json_string(row.name).c_str(), row.batch,
			(unsigned long long)c.ops);
		if (row.result.error)
			fprintf(f, ", \"error\": %s", json_string(row.result.error).c_str());
		fprintf(f, ", \"events\": {");
		const char *fsep = "";
#define VLB_JSON(field, name, per_op)                                            \
	fprintf(f, "%s\"" #field "\": %llu", fsep, (unsigned long long)c.sum.field); \
	fsep = ", ";
		VL_STATS(VLB_JSON)
#undef VLB_JSON
		fprintf(f, "}}");
		sep = ",\n";
	}
	fprintf(f, "\n ]\n}\n");
}

}  // namespace vlb
