# Benchmarks: included from the top-level Makefile, which provides ARCH,
# BUILD, CC, CXX and ALL_CFLAGS.
#   make bench                 full run into results/<UTC stamp>/ (~5 min);
#                              see results/README.md (layouts, Ctrl-C, latest)
#   BENCH_QUICK=1 make bench   same files in under a minute
#   make bench-check           quick run into $(BUILD)/bench-results, then
#                              verify its files (used by `make test`)
# Run-time variables (environment): LAYOUT, SEED, VMALLOCINFO, KERNEL_CAPTURE,
# CPUS (generation 4's CPUs), BENCH_QUICK,
# VMALLOC_SIZE (the kernel's vmalloc=, e.g. VMALLOC_SIZE=256M make bench).

BENCH_BIN := $(BUILD)/bench/vmaplab_bench
BENCH_SRC := $(wildcard bench/*.cc)
BENCH_OBJ := $(BENCH_SRC:bench/%.cc=$(BUILD)/bench/%.o)
BENCH_CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -Werror -pthread -Icore -Ilab -Ibench
ifeq ($(ARCH),arm)
# the GCC 7.1 ARM ABI note on std::map internals is not about our code
BENCH_CXXFLAGS += -Wno-psabi
endif
BENCH_PYTHON := /usr/bin/python3

BENCH_ENV = ARCH=$(ARCH) BENCH_BIN=$(BENCH_BIN) BENCH_RUN="$(RUN)" \
	BENCH_CXX="$(CXX)" CC="$(CC)" \
	PYTHON=$(BENCH_PYTHON)

.PHONY: bench bench-check

$(BUILD)/bench/%.o: bench/%.cc bench/*.h core/*.h lab/*.h
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(BUILD)/libvmaplab.a
	$(CXX) $(BENCH_CXXFLAGS) $(BENCH_OBJ) $(BUILD)/libvmaplab.a -o $@ \
		-lbenchmark -lpthread

bench: deps $(BENCH_BIN)
	@$(BENCH_ENV) bash scripts/bench.sh

bench-check: deps $(BENCH_BIN)
	@$(BENCH_ENV) BENCH_QUICK=1 RESULTS_ROOT=$(BUILD)/bench-results bash scripts/bench.sh
	@$(BENCH_PYTHON) scripts/bench_report.py --check $(BUILD)/bench-results/latest
