#!/usr/bin/env bash
# Replay every committed corpus input through the plain (no fuzzer) build,
# one process per input, keeping each decoded trace with its results in ALL_OUTPUTS_FILE (compared
# across architectures by `make test`).  Exits non-zero on the first failure.
# usage: fuzz_corpus.sh ALL_OUTPUTS_FILE
set -u
. "$(dirname "$0")/fuzz_lib.sh"
all=$1
: > "$all"
n=0
for t in $ALL_TARGETS; do
	for f in corpus/$t/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		echo "== $f" >> "$all"
		if ! ${RUN:-} "$FUZZ_DIR/plain/$t" -v "$f" >> "$all" 2> /tmp/vmaplab-fuzz-corpus.$$; then
			echo "FAIL $f"; cat /tmp/vmaplab-fuzz-corpus.$$; rm -f /tmp/vmaplab-fuzz-corpus.$$
			exit 1
		fi
	done
done
rm -f /tmp/vmaplab-fuzz-corpus.$$
# Once more per target in one process, so each machine after the first is
# a rewound one, and with vl_check_all() after every operation in place of
# the incremental check: both must pass too.
for t in $ALL_TARGETS; do
	set -- corpus/$t/*
	[ -f "$1" ] || continue
	FUZZ_FULL_CHECK=1 ${RUN:-} "$FUZZ_DIR/plain/$t" "$@" || { echo "FAIL $t (full checks)"; exit 1; }
done
echo "fuzz corpus: $n inputs replayed, all passed (also in one process, with full checks)"
