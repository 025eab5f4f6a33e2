#!/usr/bin/env bash
# Fault: flush_all_zero_pkmaps() scans the whole PKMAP window twice (the
# second scan finds nothing left to free).
# expect: ^pkmap/flush_wrap/ ^instructions
set -eu
sed -i '/^void flush_all_zero_pkmaps/,/^}/s/^\tfor (uint32_t nr = 0; nr < LAST_PKMAP; nr++) {$/\tfor (uint32_t twice = 0; twice < 2 * LAST_PKMAP; twice++) {\n\t\tuint32_t nr = twice % LAST_PKMAP;/' "$1/core/pkmap.c"
grep -q 'for (uint32_t twice = 0; twice < 2 \* LAST_PKMAP; twice++)' "$1/core/pkmap.c"
