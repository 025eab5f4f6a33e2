#!/usr/bin/env bash
# make fuzz-selftest: for each script in scripts/faults/, copy core/ into
# $FUZZ_DIR/faults/NAME/, break the copy, build the libFuzzer harnesses on
# it and run the smoke campaign until the first finding.  Every fault must
# be found within FUZZ_SECONDS (default 60); prints the seconds each took.
# SEEDS=none fuzzes from a single zero byte instead of corpus/; FAULTS="a b"
# runs only those faults (names of scripts/faults/*.sh, without .sh).
# Needs from fuzz/fuzz.mk: FUZZ_WARN, FUZZ_SAN, FUZZ_IGNORE, CORE_SRC.
set -u
. "$(dirname "$0")/fuzz_lib.sh"
limit=${FUZZ_SECONDS:-60}
targets="pkmap fixmap vmalloc mixed vmalloc_diff"
report=$FUZZ_DIR/faults/report.txt
FUZZ_SRC="fuzz/driver.c fuzz/model.c fuzz/model_vmalloc.c"
scripts=()
if [ -n "${FAULTS:-}" ]; then
	for name in $FAULTS; do
		[ -f "scripts/faults/$name.sh" ] || die "FAULTS: no fault '$name' in scripts/faults/"
		scripts+=("scripts/faults/$name.sh")
	done
else
	scripts=(scripts/faults/*.sh)
fi

# Build the allocator harnesses against the core copy in $1.
build_faulty() {
	local dir=$1 src obj objs=() t
	mkdir -p "$dir/obj"
	for src in $CORE_SRC $FUZZ_SRC; do
		objs+=("$dir/obj/$(basename "$src" .c).o")
	done
	for src in $CORE_SRC $FUZZ_SRC; do
		obj=$dir/obj/$(basename "$src" .c).o
		case $src in core/*) src=$dir/$src ;; esac
		echo "clang $FUZZ_WARN -I$dir/core $FUZZ_SAN -fsanitize=fuzzer-no-link" \
			"-fsanitize-coverage-ignorelist=$FUZZ_IGNORE -c $src -o $obj"
	done | xargs -P "$JOBS" -I{} sh -c '{}' || return 1
	for t in $targets; do
		clang $FUZZ_WARN -I"$dir/core" $FUZZ_SAN -fsanitize=fuzzer fuzz/"$t".c "${objs[@]}" \
			-o "$dir/$t" || return 1
	done
}

mkdir -p "$FUZZ_DIR/faults"
: > "$report"
fail=0
for script in "${scripts[@]}"; do
	name=$(basename "$script" .sh)
	dir=$FUZZ_DIR/faults/$name
	rm -rf "$dir" && mkdir -p "$dir"
	cp -r core "$dir/core"
	if ! bash "$script" "$dir/core"; then
		echo "selftest: $name: the fault script did not apply" | tee -a "$report"
		fail=1
		continue
	fi
	echo "== $name: building"
	if ! build_faulty "$dir" > "$dir/build.log" 2>&1; then
		echo "selftest: $name: build failed (see $dir/build.log)" | tee -a "$report"
		fail=1
		continue
	fi
	echo "== $name: fuzzing (up to ${limit}s)"
	rm -rf "$dir/run"
	if WORK=$dir/run BIN_DIR=$dir FUZZ_TARGET="$targets" FUZZ_SECONDS=$limit \
		STOP_ON_FIRST=1 bash scripts/fuzz_smoke.sh > "$dir/smoke.log" 2>&1; then
		echo "$name: NOT FOUND within ${limit}s" | tee -a "$report"
		fail=1
		continue
	fi
	read -r secs < "$dir/run/first"
	by=$(sed -n 2p "$dir/run/first")
	what=$(grep -h -m1 -E 'FINDING|ERROR: |runtime error' "$dir/run/$by/log" | cut -c1-150)
	printf '%-24s found in %3ss by %-8s %s\n' "$name" "$secs" "$by" "$what" | tee -a "$report"
	for f in "$dir/run/$by"/crash-*; do
		[ -f "$f" ] && cp "$f" "$dir/finding-$by" && break
	done
done
echo "== fuzz self-test (${#scripts[@]} faults, limit ${limit}s each):"
cat "$report"
[ "$fail" = 0 ] && echo "fuzz self-test: every fault was found"
exit $fail
