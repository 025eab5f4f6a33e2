#!/usr/bin/env bash
# Fault: the lazy purge frees every waiting area but the oldest, which
# drops off the purge list still holding its space and its pages.
set -eu
sed -i 's/for (va = vmap_purge_list; va; va = next, n++) {/for (va = vmap_purge_list; va \&\& va->purge_next; va = next, n++) {/' \
	"$1/vmalloc.c"
grep -q 'va && va->purge_next; va = next, n++' "$1/vmalloc.c"
