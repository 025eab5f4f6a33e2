#!/usr/bin/env bash
# Fault: kmap_high() looks the page up in the page_address hash twice.
# The work doubles, what the allocator does does not.
# expect: ^pkmap/kmap_(hit|miss)/ ^instructions
# expect-not: . ^(?!instructions)
# $1: a copy of the tree (never the real sources).
set -eu
sed -i '/^vaddr_t kmap_high/,/^}/s/^\tvaddr = page_address(page);$/&\n\tvaddr = page_address(page);/' "$1/core/pkmap.c"
[ "$(sed -n '/^vaddr_t kmap_high/,/^}/p' "$1/core/pkmap.c" | grep -c 'vaddr = page_address(page);')" = 2 ]
