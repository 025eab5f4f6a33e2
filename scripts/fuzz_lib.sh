# Shared by the fuzz scripts (sourced).  The make fragment fuzz/fuzz.mk
# passes FUZZ_DIR (build/<arch>/fuzz), VMAPLAB, RUN (an emulator for the
# plain builds, or nothing), FUZZ_TARGET, FUZZ_SECONDS, FUZZ_JOBS and ENGINE.
ALL_TARGETS="pkmap fixmap vmalloc mixed trace vmalloc_diff"
FUZZ_DIR=${FUZZ_DIR:-build/native/fuzz}
VMAPLAB=${VMAPLAB:-build/native/vmaplab}
TARGETS=${FUZZ_TARGET:-$ALL_TARGETS}
JOBS=${FUZZ_JOBS:-$(nproc)}
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

die() { echo "fuzz: $*" >&2; exit 2; }

# One fuzz target name, else exit 2 naming the valid ones.
check_target() {
	case " $ALL_TARGETS " in
	*" $1 "*) ;;
	*) die "FUZZ_TARGET: unknown target '$1'; valid: ${ALL_TARGETS// /, } (or several, space-separated; default all)" ;;
	esac
}

check_targets() {
	local t
	for t in $TARGETS; do check_target "$t"; done
}

# $1 (a variable's name) holds a whole number >= 1 of $2, or is unset/empty.
check_count() {
	local v=${!1:-}
	[ -z "$v" ] || [[ $v =~ ^[1-9][0-9]{0,8}$ ]] ||
		die "$1 must be a whole number of $2 from 1 to 999999999, not '$v'"
}

# Every variable the fuzz targets take, checked before anything runs.
check_settings() {
	check_targets
	check_count FUZZ_SECONDS seconds
	check_count FUZZ_JOBS "parallel jobs"
	check_count FUZZ_PROGRESS seconds
	case ${ENGINE:-afl} in
	afl | libfuzzer) ;;
	*) die "ENGINE must be afl or libfuzzer, not '$ENGINE'" ;;
	esac
}
check_settings

dict_of() { echo "corpus/$1.dict"; }

# The target an input belongs to, from a path like .../<target>/...
target_of() {
	local t
	for t in $ALL_TARGETS; do
		case "/$1" in */"$t"/*) echo "$t"; return 0;; esac
	done
	return 1
}

# What an input stands for: the decoded trace (the trace target's inputs
# are traces already), then the first violated invariant as the binary $3
# (default: the plain replay build) reports it.  The trace comes from the
# plain build's -v, which knows the vmalloc_diff target's five runs (one
# per generation, and nodes once more with one node).
explain() {
	local target=$1 file=$2 bin=${3:-${RUN:-} $FUZZ_DIR/plain/$1}
	echo "--- decoded trace ($target): $file"
	if [ "$target" = trace ]; then
		head -c 4000 "$file"; echo
	else
		${RUN:-} "$FUZZ_DIR/plain/$target" -v "$file" 2> /dev/null || true
	fi
	echo "--- first violation ($bin)"
	$bin "$file" 2>&1 | grep -E -A3 'FINDING|ERROR|runtime error' | head -8 || true
}
