#!/usr/bin/env bash
# Fault: every kunmap() flushes the PKMAP window from the TLBs instead of
# flush_all_zero_pkmaps() doing it once per wrap.
# expect: ^pkmap/kunmap/ ^tlb_flush_range
set -eu
sed -i '/^void kunmap_high/,/^}/s/^\tvl_track_count(nr);$/&\n\tflush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP));/' "$1/core/pkmap.c"
sed -n '/^void kunmap_high/,/^}/p' "$1/core/pkmap.c" | grep -q flush_tlb_kernel_range
