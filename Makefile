# vmaplab - see README.md.  `make help` lists targets and variables.
ARCH ?= native
CC_native := gcc
CC ?= gcc
ifeq ($(origin CC),default)
CC := $(CC_native)
endif
CXX_native := g++
BUILD := build/$(ARCH)

CFLAGS_COMMON := -std=c11 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -Icore
CFLAGS ?= -O2
ALL_CFLAGS := $(CFLAGS_COMMON) $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c))
CORE_OBJ := $(CORE_SRC:core/%.c=$(BUILD)/core/%.o)
CORE_OBJ_SAN := $(CORE_SRC:core/%.c=$(BUILD)/san/core/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TESTS_SAN := $(TEST_SRC:tests/%.c=$(BUILD)/san/tests/%)

.PHONY: all deps lib test unit unit-san help clean
all: deps $(BUILD)/vmaplab

deps:
	@bash scripts/deps.sh

lib: $(BUILD)/libvmaplab.a

$(BUILD)/core/%.o: core/%.c core/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/san/core/%.o: core/%.c core/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libvmaplab.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/san/libvmaplab.a: $(CORE_OBJ_SAN)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vmaplab: core/main.c $(BUILD)/libvmaplab.a
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libvmaplab.a -o $@ -lm

$(BUILD)/tests/%: tests/%.c $(BUILD)/libvmaplab.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libvmaplab.a -o $@ -lcmocka -lm
$(BUILD)/san/tests/%: tests/%.c $(BUILD)/san/libvmaplab.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $< $(BUILD)/san/libvmaplab.a -o $@ -lcmocka -lm

unit: deps $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done
unit-san: deps $(TESTS_SAN)
	@set -e; for t in $(TESTS_SAN); do echo "== $$t"; $$t; done

clean:
	rm -rf build
