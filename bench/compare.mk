# make compare BASE=<rev>: this tree's benchmark times against another
# revision's, interleaved runs judged by Google Benchmark's compare.py
# (Mann-Whitney U).  Reported, not gated.  Included from the top-level
# Makefile after bench/bench.mk (BENCH_BIN, BENCH_ENV).  See
# scripts/compare.sh for the variables (BASE, COMPARE_QUICK,
# COMPARE_ROUNDS, COMPARE_FILTER, LAYOUT, SEED) and the files it writes.

COMPARE_ENV = $(BENCH_ENV) BASE="$(BASE)"

.PHONY: compare

# BASE is checked before anything is built; times under qemu say nothing.
compare:
ifneq ($(ARCH),native)
	@echo "make compare: native only (times under qemu-user are emulated)" >&2; exit 2
endif
	@$(COMPARE_ENV) bash scripts/compare.sh --validate
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	@$(COMPARE_ENV) bash scripts/compare.sh
