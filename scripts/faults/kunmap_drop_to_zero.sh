#!/usr/bin/env bash
# Fault: kunmap_high() accepts a count dropping to 0 instead of BUGging.
set -eu
sed -i '/dropped to 0/d; s/if (--pkmap_count\[nr\] == 0)/--pkmap_count[nr];/' "$1/pkmap.c"
grep -q -- '^	--pkmap_count\[nr\];' "$1/pkmap.c"
