#!/usr/bin/env bash
# Fault: after a free merges with the free block before it, the grown
# block's subtree_max_size is not propagated up the free tree (stale).
# Written for both forms of merge_or_add_vmap_area: one propagation after
# the merges, or one after each merge as the kernel does.
set -eu
sed -i -e '/^\tif (merged)$/{n;s/augment_tree_propagate_from(va);/(void)va;  \/* fault: no propagation *\//}' \
	-e 's/^\t\taugment_tree_propagate_from(prev);$/\t\t(void)prev;  \/* fault: no propagation *\//' \
	"$1/vmalloc_augtree.c"
grep -q 'fault: no propagation' "$1/vmalloc_augtree.c"
