#!/usr/bin/env bash
# Fault: the lazy purge flushes and counts every waiting area but gives
# back all but the newest, which drops off the purge list still holding
# its space.
set -eu
sed -i '/^static uint32_t __purge_vmap_area_lazy/,/^}$/s/^\tif (gen()->reclaim) {$/\tvmap_purge_list = vmap_purge_list->purge_next;  \/* fault: forgets one *\/\n&/' \
	"$1/vmalloc.c"
grep -q 'fault: forgets one' "$1/vmalloc.c"
