#!/usr/bin/env bash
# Fault: map_vm_area() writes each PTE twice, so every vmap() (and
# vmalloc()) page costs an extra PTE write.
# expect: ^vmalloc/vmap_vunmap/ ^pte_writes
set -eu
sed -i '/^int map_vm_area/,/^}/s/^\t\tset_pte(ptep, pfn_pte(page_to_pfn(page), prot));$/&\n&/' "$1/core/vmalloc_vmlist.c"
[ "$(sed -n '/^int map_vm_area/,/^}/p' "$1/core/vmalloc_vmlist.c" | grep -c 'set_pte(ptep')" = 2 ]
