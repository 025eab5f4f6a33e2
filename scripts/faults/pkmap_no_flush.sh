#!/usr/bin/env bash
# Fault: flush_all_zero_pkmaps() clears the PTEs but never flushes the TLBs.
# $1: a copy of core/ (never the real sources).
set -eu
sed -i '/^void flush_all_zero_pkmaps/,/^}/{/flush_tlb_kernel_range/d}' "$1/pkmap.c"
! grep -A25 '^void flush_all_zero_pkmaps' "$1/pkmap.c" | grep -q flush_tlb_kernel_range
