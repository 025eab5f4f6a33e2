#!/usr/bin/env bash
# make fault-corpus (in make test, on x86-64 and ARM32): each deliberate
# fault of the VMALLOC generations (scripts/faults/) is planted in a copy
# of the tree, and the committed fuzz corpus replayed through the plain
# build, or the golden traces, must then fail.  The fuzzers find these
# faults within a minute (make fuzz-selftest, x86-64 only); this proves
# that what the tree keeps catches them on both architectures.
# usage: fault_corpus.sh   (ARCH, FAULTS from the environment)
set -u
faults=${FAULTS:-"augtree_stale_subtree_max purge_no_flush purge_forgets_area rbtree_cache_never_reset nodes_pool_add_tail nodes_decay_half"}
arch=${ARCH:-native}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for f in $faults; do
	d=$tmp/$f
	mkdir -p "$d"
	cp -r Makefile core lab fuzz corpus scripts tests bench "$d"/
	if ! bash "scripts/faults/$f.sh" "$d/core"; then
		echo "fault $f: the script no longer applies"; fail=1; continue
	fi
	if make -s -C "$d" ARCH="$arch" fuzz-corpus > "$d/log" 2>&1 &&
	   make -s -C "$d" ARCH="$arch" traces >> "$d/log" 2>&1; then
		echo "fault $f: NOT caught by the corpus or the traces ($arch)"; fail=1
	else
		echo "fault $f: caught ($arch): $(grep -m1 -o 'FAIL [^ ]*' "$d/log")"
	fi
done
exit $fail
