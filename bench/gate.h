// Gate mode of vmaplab_bench (--vl_gate=N): the rows it recorded, written
// as JSON for scripts/gate.py, and a reporter that prints nothing.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

namespace vlb {

// Writes every row gate_record() kept (harness.h) to `f`.
void gate_write_json(FILE *f);

// Google Benchmark's own lines say nothing in gate mode: the JSON does.
class GateReporter : public benchmark::BenchmarkReporter {
public:
	bool ReportContext(const Context &) override { return true; }
	void ReportRuns(const std::vector<Run> &) override {}
};

}  // namespace vlb
