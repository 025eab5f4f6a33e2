# Coverage gate: included from the top-level Makefile after fuzz/fuzz.mk
# (it reuses the `flavour` and `fuzz_flavour` rules those define).
#   make gate-coverage [GATE_OUT=DIR]   measure, report, compare with the baseline
#   make gate-coverage-update           rewrite bench/baseline/coverage.json
# scripts/gate_coverage.sh also reads this file itself (make -f Makefile -f
# tests/coverage.mk), so it works whether or not the Makefile includes it:
# the guard keeps a second reading from defining the rules twice.
ifndef VL_COVERAGE_MK
VL_COVERAGE_MK := 1

# gcov flavour of the library, the unit tests, the command and the plain
# fuzz replay drivers, in $(BUILD)/cov/ and $(BUILD)/fuzz/cov/plain/.  -O0
# (it comes after CFLAGS' -O2, so it wins) keeps one line one statement and
# every branch the source has; the same flags everywhere let gcovr merge
# the counts of a source file compiled into two programs.
COV_FLAGS := -O0 --coverage
$(eval $(call flavour,cov/,$(COV_FLAGS)))
$(eval $(call fuzz_flavour,cov/plain,$(CC),$(COV_FLAGS),--coverage,$(FUZZ_DIR)/cov/plain/obj/fuzz/replay.o))

GATE_OUT ?= $(BUILD)/gate
.PHONY: coverage-build gate-coverage gate-coverage-update
# What the script builds before it runs the deterministic tests.
coverage-build: $(TEST_SRC:tests/%.c=$(BUILD)/cov/tests/%) $(BUILD)/cov/vmaplab \
	$(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/cov/plain/$(t))

gate-coverage:
	@bash scripts/gate_coverage.sh $(GATE_OUT)
gate-coverage-update:
	@bash scripts/gate_coverage.sh --update

endif
