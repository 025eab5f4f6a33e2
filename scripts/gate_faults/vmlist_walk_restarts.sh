#!/usr/bin/env bash
# Fault: __get_vm_area()'s first-fit walk goes back to the head of vmlist
# for every candidate hole it rejects: the same hole is found, quadratically.
# expect: ^(vmalloc|test_vmalloc|real)/ ^vmalloc_nodes_visited
# run: events (quadratic under callgrind takes minutes)
set -eu
sed -i '/^static struct vm_struct \*\*find_hole/,/^}/s/^\t\taddr = ALIGN(tmp->addr + tmp->size, align);$/&\n\t\tfor (struct vm_struct *h = vmlist; h != tmp; h = h->next)\n\t\t\tvisited++;/' "$1/core/vmalloc_vmlist.c"
grep -q 'for (struct vm_struct \*h = vmlist; h != tmp; h = h->next)' "$1/core/vmalloc_vmlist.c"
