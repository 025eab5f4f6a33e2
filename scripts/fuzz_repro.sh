#!/usr/bin/env bash
# make fuzz-repro FILE=... [FUZZ_TARGET=...]: one input, its decoded trace
# while it runs, and the first violated invariant.
set -u
. "$(dirname "$0")/fuzz_lib.sh"
file=${1:-}
[ -n "$file" ] || die "usage: make fuzz-repro FILE=path [FUZZ_TARGET=${ALL_TARGETS// /|}]"
[ -e "$file" ] || die "FILE=$file: no such file"
[ -f "$file" ] || die "FILE=$file: not a regular file (give one input, e.g. a crash-* file)"
[ -r "$file" ] || die "FILE=$file: not readable"
target=${FUZZ_TARGET:-$(target_of "$file")} ||
	die "FILE=$file: its path names no target; say which: FUZZ_TARGET=${ALL_TARGETS// /|}"
check_target "$target"
if [ "$target" = trace ]; then
	echo "--- input (trace text)"; head -c 4000 "$file"; echo
	exec ${RUN:-} "$FUZZ_DIR/plain/trace" "$file"
fi
# the whole vl_check_all() after every operation, not the incremental check
export FUZZ_FULL_CHECK=1
exec ${RUN:-} "$FUZZ_DIR/plain/$target" -v "$file"
