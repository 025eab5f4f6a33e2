#!/usr/bin/env bash
# Fault: generation 4's purge decays every pool by half its length
# (len >> 1) instead of a quarter (len >> 2).
set -eu
sed -i 's/uint32_t n_decay = full ? vp->len : vp->len >> 2;/uint32_t n_decay = full ? vp->len : vp->len >> 1;  \/* fault: decay by half *\//' \
	"$1/vmalloc_nodes.c"
grep -q 'fault: decay by half' "$1/vmalloc_nodes.c"
