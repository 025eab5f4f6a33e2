# vmaplab - see README.md.  `make help` lists targets and variables.
ARCH ?= native
BUILD ?= build/$(ARCH)
OUT := $(BUILD)/out
# ARCH=arm: cross-build for ARM32 and run every binary under qemu-user
# (binfmt is not there to do it implicitly).  The loader of the cross
# toolchain must get the cross libc: left to its search path it finds the
# multiarch libc6:armhf that libcmocka-dev:armhf brings, a different glibc
# build, and threads crash in pthread_create.
ARM_RUN := qemu-arm -L /usr/arm-linux-gnueabihf -E LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib
ifeq ($(ARCH),arm)
CC := arm-linux-gnueabihf-gcc
CXX := arm-linux-gnueabihf-g++
RUN := $(ARM_RUN)
else ifeq ($(ARCH),native)
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := g++
endif
RUN :=
else
$(error ARCH must be native or arm)
endif

CFLAGS_COMMON := -std=c11 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -Icore -Ilab
CFLAGS ?= -O2
ALL_CFLAGS := $(CFLAGS_COMMON) $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# Every compile writes the headers it read to a .d file next to its output,
# so a header change rebuilds exactly what includes it.
DEPFLAGS := -MMD -MP

# core/ is the kernel (allocators, MMU, frames); lab/ the laboratory around
# it (trace language, fuzz decoder, checker, vmallocinfo replay, the command).
KERNEL_SRC := $(wildcard core/*.c)
LAB_SRC := $(filter-out lab/main.c,$(wildcard lab/*.c))
CORE_SRC := $(KERNEL_SRC) $(LAB_SRC)
CORE_HDR := $(wildcard core/*.h lab/*.h)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TESTS_SAN := $(TEST_SRC:tests/%.c=$(BUILD)/san/tests/%)
# The multi-threaded stress test, under ThreadSanitizer (x86-64 only).
TEST_TSAN := $(BUILD)/tsan/tests/test_threads

.PHONY: all deps lib test test-arch unit unit-san unit-tsan traces traces-san clang-build fault-corpus help clean
all: deps $(BUILD)/vmaplab

deps:
	@bash scripts/deps.sh

lib: $(BUILD)/libvmaplab.a

# One flavour of the library, the tests and the command: $(1) its folder
# under $(BUILD) ("" for plain), $(2) its extra compile flags.
define flavour
$(BUILD)/$(1)core/%.o: core/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) $$(DEPFLAGS) -c $$< -o $$@
$(BUILD)/$(1)lab/%.o: lab/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) $$(DEPFLAGS) -c $$< -o $$@
$(BUILD)/$(1)libvmaplab.a: $$(CORE_SRC:%.c=$(BUILD)/$(1)%.o)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)tests/%: tests/%.c $(BUILD)/$(1)libvmaplab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(2) $$(DEPFLAGS) -MF $$@.d $$< $(BUILD)/$(1)libvmaplab.a -o $$@ -lcmocka
$(BUILD)/$(1)vmaplab: lab/main.c $(BUILD)/$(1)libvmaplab.a
	$$(CC) $$(ALL_CFLAGS) $(2) $$(DEPFLAGS) -MF $$@.d $$< $(BUILD)/$(1)libvmaplab.a -o $$@
endef
$(eval $(call flavour,,))
$(eval $(call flavour,san/,$(SAN_FLAGS)))
$(eval $(call flavour,tsan/,$(TSAN_FLAGS)))

# Each run keeps its output in $(OUT)/ so the two architectures can be
# compared byte for byte.
unit: $(TESTS)
	@mkdir -p $(OUT)
	@for t in $^; do $(RUN) $$t 2>&1 || exit 1; done > $(OUT)/unit.txt \
		|| { cat $(OUT)/unit.txt; exit 1; }
	@grep -h 'PASSED' $(OUT)/unit.txt
unit-san: $(TESTS_SAN)
	@for t in $^; do $$t || exit 1; done
# Any race report fails the run at once.
unit-tsan: $(TEST_TSAN)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $<
traces: $(BUILD)/vmaplab
	@mkdir -p $(OUT)
	@RUN="$(RUN)" bash tests/run_traces.sh $< $(OUT)/traces.txt
traces-san: $(BUILD)/san/vmaplab
	@bash tests/run_traces.sh $< /dev/null

# Each deliberate fault of the VMALLOC generations, planted in a copy of
# the tree, must fail the corpus replay or the golden traces.
fault-corpus:
	@ARCH=$(ARCH) bash scripts/fault_corpus.sh

# The core and the command must also build warning-free with clang.
clang-build:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang build/clang/vmaplab

include bench/bench.mk
include bench/compare.mk
include fuzz/fuzz.mk
include tests/coverage.mk
include bench/gate.mk
include tests/kernel_replay.mk

# What one architecture runs; `make test` runs it natively and on ARM32.
test-arch:
	@echo "== unit tests ($(ARCH))"
	@$(MAKE) --no-print-directory unit
	@echo "== golden traces ($(ARCH))"
	@$(MAKE) --no-print-directory traces
	@echo "== fuzz corpus replay ($(ARCH))"
	@$(MAKE) --no-print-directory fuzz-corpus
	@echo "== quick bench run ($(ARCH))"
	@$(MAKE) --no-print-directory bench-check
	@echo "== the VMALLOC generations' deliberate faults, each caught ($(ARCH))"
	@$(MAKE) --no-print-directory fault-corpus

test: deps
	@$(MAKE) --no-print-directory clang-build
	@$(MAKE) --no-print-directory ARCH=native test-arch
	@echo "== unit tests under ASan+UBSan"
	@$(MAKE) --no-print-directory ARCH=native unit-san
	@echo "== golden traces under ASan+UBSan"
	@$(MAKE) --no-print-directory ARCH=native traces-san
	@echo "== threads under ThreadSanitizer"
	@$(MAKE) --no-print-directory ARCH=native unit-tsan
	@echo "== fuzz smoke: every target, libFuzzer"
	@$(MAKE) --no-print-directory ARCH=native fuzz-smoke
	@$(MAKE) --no-print-directory ARCH=arm test-arch
	@echo "== regression gates: event counts (x86-64, ARM32), instructions, coverage"
	@$(MAKE) --no-print-directory ARCH=native gate
	@echo "== kernel-replay gate: the two committed captures, generation 4"
	@$(MAKE) --no-print-directory ARCH=native kernel-replay-gate
	@echo "== x86-64 and ARM32 outputs"
	@bash scripts/compare_arch.sh build/native build/arm
	@echo "== make test: all passed"

help:
	@echo "make bench      run every benchmark suite, write results/<stamp>/ (see README)"
	@echo "make test       everything CI gates on: clang build; unit tests, golden traces,"
	@echo "                fuzz corpus replay and a quick bench run on x86-64 and on ARM32"
	@echo "                (outputs compared byte for byte); ASan+UBSan runs; the thread"
	@echo "                stress test under ThreadSanitizer; fuzz smoke; the regression gates;"
	@echo "                the kernel-replay gate"
	@echo "make unit | traces | unit-san | traces-san | unit-tsan | bench-check   the parts of make test"
	@echo "make ARCH=arm <target>   the same for ARM32: cross-built, run under qemu-arm"
	@echo "make fuzz       long campaigns, every target on every core (AFL++, or ENGINE=libfuzzer)"
	@echo "                FUZZ_TARGET=pkmap|fixmap|vmalloc|mixed|trace, FUZZ_SECONDS=N (default: until ^C),"
	@echo "                FUZZ_JOBS=N; results/fuzz/<stamp>/ holds the campaign and its summary"
	@echo "make fuzz-smoke | fuzz-corpus   bounded runs of every target | replay corpus/ (both in make test)"
	@echo "make fuzz-repro FILE=input      decode and replay one input, name the first violation"
	@echo "make fuzz-cmin CAMPAIGN=results/fuzz/<stamp>   merge a campaign's finds into corpus/"
	@echo "make fuzz-selftest              deliberate faults in copies of the core: each must be found"
	@echo "make [ARCH=arm] fault-corpus    the generations' faults: the corpus or traces must catch each (in make test)"
	@echo "make gate       regression gates (in make test): exact event counts on x86-64 and"
	@echo "                ARM32, instructions per op (callgrind, x86-64), coverage, against"
	@echo "                bench/baseline/; report in results/gate/<stamp>/ (see README)"
	@echo "make gate-update   rewrite bench/baseline/ from this tree (commit the diff)"
	@echo "make [ARCH=arm] gate-events   the event-count gate alone, of one architecture"
	@echo "make gate-selftest   planted regressions in copies of the tree: the gate must catch each (~2 min)"
	@echo "make gate-coverage | gate-coverage-update   the coverage gate alone | rewrite its baseline"
	@echo "make kernel-replay-gate [-update]   replay corpus/kernel/linux-6.18-x86_64 and corpus/capture with generation 4"
	@echo "                against bench/baseline/kernel_replay.json (in make test) | rewrite it"
	@echo "make compare BASE=<rev>   this tree's benchmark times against <rev>'s: interleaved runs, Google Benchmark"
	@echo "                compare.py (Mann-Whitney U); COMPARE_QUICK=1 for a check; results/compare/<stamp>/"
	@echo "make clean"
	@echo "variables: LAYOUT=biscuitos|arm|i386|small (bench), BENCH_QUICK=1 (bench under a minute),"
	@echo "           GATE_TOLERANCE=2 (gate: instructions, percent), GATE_LAYOUTS=\"biscuitos small\","
	@echo "           VMALLOCINFO=FILE (bench: real snapshot to replay), ARCH=native|arm, CC=gcc|clang"

clean:
	rm -rf build

# What each object, test and command read, from its last compile.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
