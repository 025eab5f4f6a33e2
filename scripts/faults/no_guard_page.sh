#!/usr/bin/env bash
# Fault: __get_vm_area() does not add the guard page.
set -eu
sed -i 's/\.size = PAGE_ALIGN(size) + PAGE_SIZE, \.flags = flags/.size = PAGE_ALIGN(size), .flags = flags/' "$1/vmalloc.c"
grep -q '\.size = PAGE_ALIGN(size), \.flags = flags' "$1/vmalloc.c"
