#!/usr/bin/env bash
# Fault: __get_vm_area() does not add the guard page.
set -eu
sed -i 's/size = PAGE_ALIGN(size) + PAGE_SIZE;/size = PAGE_ALIGN(size);/' "$1/vmalloc_vmlist.c"
grep -q 'size = PAGE_ALIGN(size);' "$1/vmalloc_vmlist.c"
