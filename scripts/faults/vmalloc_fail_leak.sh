#!/usr/bin/env bash
# Fault: when __vmalloc_area() fails, the last frame it took is not freed.
set -eu
sed -i 's/^fail:$/fail:\n\tarea->nr_pages -= area->nr_pages > 0;/' "$1/vmalloc.c"
grep -q 'area->nr_pages -= area->nr_pages > 0;' "$1/vmalloc.c"
