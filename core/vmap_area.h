/*
 * The vmap_area trees and lists of VMALLOC generations 2 and 3
 * (mm/vmalloc.c, Linux 5.0 and 5.2+): the busy tree vmap_area_root with
 * its address-ordered vmap_area_list, and the helpers both generations'
 * free-space code and checks use on any such tree + list pair.  Callers
 * hold vmap_area_lock (core/vmalloc.c).
 */
#ifndef VL_VMAP_AREA_H
#define VL_VMAP_AREA_H

#include <stddef.h>
#include "vmalloc.h"

extern struct rb_root vmap_area_root;     /* busy areas, by va_start */
extern struct list_head vmap_area_list;   /* the same, in address order */

/*
 * insert_vmap_area - link @va into @root and @head at its address: walk
 * down by va_start (the nodes are counted as visited), link a leaf,
 * rebalance (through @augment when not NULL, after setting @va's
 * subtree_max_size to its own size) and add it to @head right after its
 * in-order predecessor.  BUGs when @va overlaps a node it meets on the
 * way.  5.0 __insert_vmap_area(); 5.2+ insert_vmap_area() and
 * insert_vmap_area_augment().
 */
void insert_vmap_area(struct vmap_area *va, struct rb_root *root,
		      struct list_head *head,
		      const struct rb_augment_callbacks *augment);
/*
 * unlink_vmap_area - take @va out of @root (through @augment when not
 * NULL) and of its list.  Never fails.  5.2+ unlink_va().
 */
void unlink_vmap_area(struct vmap_area *va, struct rb_root *root,
		      const struct rb_augment_callbacks *augment);
/*
 * find_vmap_area - the node of @root starting at @addr, or (@containing)
 * whose [va_start, va_end) holds @addr; NULL if none.  Counts the nodes
 * visited.  5.0 __find_vmap_area().
 */
struct vmap_area *find_vmap_area(const struct rb_root *root, vaddr_t addr,
				 bool containing);

/*
 * alloc_vmap_area - a vmap_area for @vm at the address @search gives for
 * @vm->size bytes (guard included) aligned to @align in [@vstart, @vend)
 * (0: none), linked into the busy tree and list; sets @vm->addr and
 * @vm->va.  Returns 0 or -ENOMEM (no hole, no host memory).  The part
 * of 5.0 and 5.2+ alloc_vmap_area() that both generations share.
 */
int alloc_vmap_area(struct vm_struct *vm, uint32_t align, vaddr_t vstart, vaddr_t vend,
		    vaddr_t (*search)(uint32_t size, uint32_t align, vaddr_t vstart,
				      vaddr_t vend));
/*
 * find_busy_vm - the vm_struct of the busy area starting at (or, with
 * @containing, holding) @addr; NULL if none or lazily freed.  Counted.
 */
struct vm_struct *find_busy_vm(vaddr_t addr, bool containing);

/* The vmap_area after @va on @head, NULL at the end. */
struct vmap_area *vmap_area_next(const struct vmap_area *va,
				 const struct list_head *head);
/* The first vmap_area of @head, NULL if it is empty. */
struct vmap_area *vmap_area_first(const struct list_head *head);

/* Busy areas of vmap_area_list that still have their vm_struct. */
struct vm_struct *vmap_area_first_vm(void);
struct vm_struct *vmap_area_next_vm(const struct vm_struct *vm);

/*
 * vmap_area_check_tree - @root obeys the red-black rules (black root, no
 * red child of a red node, the same black height on every path, parent
 * links right), its in-order walk is @head's order, its nodes are
 * page-aligned, non-empty, disjoint and inside [@vstart, @vend).  NULL,
 * or a message in @why naming @what.  Sets *@count to the nodes.
 */
const char *vmap_area_check_tree(const struct rb_root *root,
				 const struct list_head *head, const char *what,
				 vaddr_t vstart, vaddr_t vend, uint32_t *count,
				 char *why, size_t len);

/* Free every vmap_area of @head (and empty @root): shutdown only. */
void vmap_area_free_all(struct rb_root *root, struct list_head *head);

#endif
