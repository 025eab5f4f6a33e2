#!/usr/bin/env bash
# Fault: after a free merges with a neighbouring free block, the grown
# block's subtree_max_size is not propagated up the free tree (stale).
set -eu
sed -i '/^\tif (merged)$/{n;s/augment_tree_propagate_from(va);/(void)va;  \/* fault: no propagation *\//}' \
	"$1/vmalloc_augtree.c"
grep -q 'fault: no propagation' "$1/vmalloc_augtree.c"
