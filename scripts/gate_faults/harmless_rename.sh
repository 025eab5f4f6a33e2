#!/usr/bin/env bash
# Not a fault: a comment added and a local variable renamed in
# core/vmalloc_vmlist.c.  The gate must pass.
# expect: pass
set -eu
f=$1/core/vmalloc_vmlist.c
sed -i '/^static struct vm_struct \*\*find_hole/,/^}/{s/\bvisited\b/nr_visited/g; s/^\t\tif (addr + size <= tmp->addr)$/\t\t\/* the hole before tmp is big enough *\/\n&/}' "$f"
grep -q 'count_visits(nr_visited);' "$f"
grep -q 'the hole before tmp is big enough' "$f"
