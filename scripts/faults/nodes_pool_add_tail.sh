#!/usr/bin/env bash
# Fault: generation 4's purge refills a pool at its tail (list_add_tail)
# instead of its head, so the next allocation takes the lowest purged
# area instead of the highest.
set -eu
sed -i '/^static bool node_pool_add_va(/,/^}/s/\tlist_add(&va->list, &vp->head);/\tlist_add_tail(\&va->list, \&vp->head);  \/* fault: refill at the tail *\//' \
	"$1/vmalloc_nodes.c"
grep -q 'fault: refill at the tail' "$1/vmalloc_nodes.c"
