/*
 * What VMALLOC generation 4 (vmalloc_nodes.c, Linux 6.9+) takes from
 * generation 3 (vmalloc_augtree.c): the global augmented free tree under
 * its vmap nodes.  Callers hold vmap_area_lock.
 */
#ifndef VL_VMALLOC_AUGTREE_H
#define VL_VMALLOC_AUGTREE_H

#include <stddef.h>
#include "vmalloc.h"

/*
 * __alloc_vmap_area - carve the lowest block of @size bytes aligned to
 * @align inside [@vstart, @vend) out of the free tree: the address, or 0
 * when nothing fits (or no host memory for an NE split).  Counts nodes
 * visited.  5.18+ __alloc_vmap_area().
 */
vaddr_t __alloc_vmap_area(uint32_t size, uint32_t align, vaddr_t vstart, vaddr_t vend);
/*
 * merge_or_add_vmap_area - give @va's range back to the free tree, merged
 * with the free blocks it touches; @va is freed or becomes a block.
 * BUGs when it overlaps a free block.  5.2+ merge_or_add_vmap_area().
 */
void merge_or_add_vmap_area(struct vmap_area *va);
/* The busy area @vm leaves the busy tree (5.2+ free_vmap_area_noflush). */
struct vmap_area *augtree_unlink(struct vm_struct *vm);
/* One free block [vstart, vend), empty busy tree; false: no host memory. */
bool augtree_init(vaddr_t vstart, vaddr_t vend);
void augtree_exit(void);
/*
 * augtree_check_with - generation 3's invariants, the window tiled by
 * busy, free, lazily freed and the @nextra areas of @extra (areas held
 * elsewhere, e.g. generation 4's pools).  NULL, or a message in @why.
 */
const char *augtree_check_with(const struct vmap_area *const *extra, uint32_t nextra,
			       char *why, size_t len);

#endif
