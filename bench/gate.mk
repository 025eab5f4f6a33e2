# Regression gates: included from the top-level Makefile after bench.mk
# (BENCH_BIN, BENCH_CXXFLAGS).  See README "Regression gates".
#   make gate                  x86-64 events + instructions (callgrind) and
#                              ARM32 events under qemu, against bench/baseline/;
#                              report in results/gate/<stamp>/
#   make gate-update           rewrite bench/baseline/ from this tree
#   make [ARCH=arm] gate-events   event counts only, of that architecture
#   make gate-selftest         plant regressions (scripts/gate_faults/) in
#                              copies of the tree: the gate must catch each
# Run-time variables: GATE_TOLERANCE (percent, default 2), GATE_LAYOUTS;
# gate-selftest: GATE_FAULTS (scripts to run), GATE_SELFTEST_JOBS (default 2).

GATE_ARM_BIN := build/arm/bench/vmaplab_bench
GATE_TOOLCHAIN = GATE_CC="$(CC)" GATE_CXX="$(CXX)" \
	GATE_FLAGS="$(ALL_CFLAGS) | $(BENCH_CXXFLAGS)" PYTHON=$(BENCH_PYTHON)
GATE_ARM_ENV = GATE_ARM_BIN=$(GATE_ARM_BIN) GATE_ARM_RUN="$(ARM_RUN)"

.PHONY: gate gate-update gate-events gate-arm-bin gate-selftest

gate-arm-bin:
	@$(MAKE) --no-print-directory ARCH=arm $(GATE_ARM_BIN)

ifeq ($(ARCH),arm)
gate-events: $(BENCH_BIN)
	@$(GATE_TOOLCHAIN) $(GATE_ARM_ENV) GATE_BIN= GATE_EVENTS_ONLY=1 bash scripts/gate.sh check
else
gate-events: $(BENCH_BIN)
	@$(GATE_TOOLCHAIN) GATE_BIN=$(BENCH_BIN) GATE_EVENTS_ONLY=1 bash scripts/gate.sh check
gate: $(BENCH_BIN) gate-arm-bin
	@$(GATE_TOOLCHAIN) $(GATE_ARM_ENV) GATE_BIN=$(BENCH_BIN) bash scripts/gate.sh check
gate-update: $(BENCH_BIN)
	@$(GATE_TOOLCHAIN) GATE_BIN=$(BENCH_BIN) bash scripts/gate.sh update
gate-selftest:
	@$(GATE_TOOLCHAIN) SELFTEST_BIN=$(BENCH_BIN) bash scripts/gate_selftest.sh
endif
