# Fuzzing: included from the top-level Makefile, which provides ARCH,
# BUILD, CC, ALL_CFLAGS, CORE_SRC and CORE_HDR.
#   make fuzz            long campaign on every core (AFL++; ENGINE=libfuzzer)
#   make fuzz-smoke      every target for a bounded time (part of make test)
#   make fuzz-corpus     replay the committed corpus through the plain build
#   make fuzz-repro FILE=...   one input: decoded trace, first violation
#   make fuzz-cmin [CAMPAIGN=results/fuzz/STAMP]   merge a campaign into corpus/
#   make fuzz-selftest [FAULTS="a b"]   deliberate faults in copies of the core, each found?
# Variables: FUZZ_TARGET (default: all), FUZZ_SECONDS (default: until ^C),
# ENGINE=afl|libfuzzer, FUZZ_JOBS (default: nproc); a bad value stops with
# a message naming the valid ones, exit status 2.

FUZZ_TARGETS := pkmap fixmap vmalloc mixed trace vmalloc_diff
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_HDR := $(CORE_HDR) fuzz/driver.h fuzz/model.h fuzz/coverage_ignore.txt
FUZZ_COMMON := $(CORE_SRC) fuzz/driver.c fuzz/model.c fuzz/model_vmalloc.c
FUZZ_WARN := -std=c11 -g -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -Icore -Ilab -Ifuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# One build flavour: $(1) name, $(2) compiler (with its environment),
# $(3) compile flags, $(4) link flags, $(5) extra link objects.  The code
# that checks rather than drives the machine is left out of coverage by
# fuzz/coverage_ignore.txt.
define fuzz_flavour
$(FUZZ_DIR)/$(1)/obj/%.o: %.c $(FUZZ_HDR)
	@mkdir -p $$(dir $$@)
	$(2) $(FUZZ_WARN) $(3) -c $$< -o $$@
$(foreach t,$(FUZZ_TARGETS),
$(FUZZ_DIR)/$(1)/$(t): $(FUZZ_DIR)/$(1)/obj/fuzz/$(t).o $(FUZZ_COMMON:%.c=$(FUZZ_DIR)/$(1)/obj/%.o) $(5)
	$(2) $(FUZZ_WARN) $(3) $$^ -o $$@ $(4))
endef

FUZZ_IGNORE := $(abspath fuzz/coverage_ignore.txt)
$(eval $(call fuzz_flavour,libfuzzer,clang,$(FUZZ_SAN) -fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist=$(FUZZ_IGNORE),-fsanitize=fuzzer,))
$(eval $(call fuzz_flavour,afl,AFL_QUIET=1 AFL_LLVM_DENYLIST=$(FUZZ_IGNORE) afl-clang-fast,,-fsanitize=fuzzer,))
$(eval $(call fuzz_flavour,cmplog,AFL_QUIET=1 AFL_LLVM_DENYLIST=$(FUZZ_IGNORE) AFL_LLVM_CMPLOG=1 afl-clang-fast,,-fsanitize=fuzzer,))
$(eval $(call fuzz_flavour,plain,$(CC),,,$(FUZZ_DIR)/plain/obj/fuzz/replay.o))

FUZZ_BINS = $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/$(1)/$(t))
# RUN (qemu-arm under ARCH=arm) runs the plain builds; the engines are native only.
FUZZ_ENV = FUZZ_DIR=$(FUZZ_DIR) VMAPLAB=$(BUILD)/vmaplab RUN="$(RUN)" FUZZ_TARGET="$(FUZZ_TARGET)" \
	FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_JOBS="$(FUZZ_JOBS)" ENGINE="$(ENGINE)"

FUZZ_GOALS := fuzz fuzz-build fuzz-smoke fuzz-corpus fuzz-repro fuzz-cmin fuzz-selftest
.PHONY: $(FUZZ_GOALS)

# A wrong FUZZ_TARGET stops before the builds; scripts/fuzz_lib.sh checks
# it and every other variable again when the scripts start.
ifneq ($(filter $(FUZZ_GOALS),$(MAKECMDGOALS)),)
ifneq ($(filter-out $(FUZZ_TARGETS),$(FUZZ_TARGET)),)
$(error FUZZ_TARGET: unknown target '$(filter-out $(FUZZ_TARGETS),$(FUZZ_TARGET))'; valid: $(FUZZ_TARGETS))
endif
endif

fuzz-build: $(call FUZZ_BINS,libfuzzer) $(call FUZZ_BINS,afl) $(call FUZZ_BINS,cmplog) \
	$(call FUZZ_BINS,plain) $(BUILD)/vmaplab

fuzz: fuzz-build
	@$(FUZZ_ENV) bash scripts/fuzz.sh

fuzz-smoke: $(call FUZZ_BINS,libfuzzer) $(call FUZZ_BINS,plain) $(BUILD)/vmaplab
	@$(FUZZ_ENV) bash scripts/fuzz_smoke.sh

fuzz-corpus: $(call FUZZ_BINS,plain)
	@mkdir -p $(OUT)
	@$(FUZZ_ENV) bash scripts/fuzz_corpus.sh $(OUT)/corpus.txt

fuzz-repro: $(call FUZZ_BINS,plain) $(BUILD)/vmaplab
	@$(FUZZ_ENV) bash scripts/fuzz_repro.sh "$(FILE)"

fuzz-cmin: fuzz-build
	@$(FUZZ_ENV) CAMPAIGN="$(CAMPAIGN)" bash scripts/fuzz_cmin.sh

fuzz-selftest: $(call FUZZ_BINS,libfuzzer) $(BUILD)/vmaplab
	@$(FUZZ_ENV) FUZZ_WARN="$(FUZZ_WARN)" FUZZ_SAN="$(FUZZ_SAN)" FUZZ_IGNORE="$(FUZZ_IGNORE)" \
		CORE_SRC="$(CORE_SRC)" FAULTS="$(FAULTS)" \
		bash scripts/fuzz_selftest.sh
