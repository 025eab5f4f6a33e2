#!/usr/bin/env bash
# Fault: the vmlist first-fit test rejects a hole that fits exactly.
set -eu
sed -i 's/if (addr + size <= tmp->addr)/if (addr + size < tmp->addr)/' "$1/vmalloc_vmlist.c"
grep -q 'if (addr + size < tmp->addr)' "$1/vmalloc_vmlist.c"
