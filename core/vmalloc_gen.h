/*
 * The seam between the shared VMALLOC code (core/vmalloc.c: the API, the
 * page tables, the frames, lazy freeing) and one generation's way of
 * keeping the areas: 2.6.12 vmlist (vmalloc_vmlist.c), 5.0 busy rbtree
 * with free_vmap_cache (vmalloc_rbtree.c), 5.2+ augmented free tree
 * (vmalloc_augtree.c), 6.9+ vmap nodes over it (vmalloc_nodes.c).  vmalloc.c calls the running generation's table,
 * always under vmap_area_lock (written: alloc, unlink, free_va, init,
 * exit; read: the rest).
 */
#ifndef VL_VMALLOC_GEN_H
#define VL_VMALLOC_GEN_H

#include <stddef.h>
#include "vmalloc.h"

struct vmalloc_gen {
	const char *name;            /* the trace header's word */
	bool lazy;                   /* frees lazily unless lazy-purge off */
	/* VM_IOREMAP alignment (bytes) of a request of @size bytes */
	uint32_t (*ioremap_align)(uint32_t size);
	/*
	 * Place @vm->size bytes (guard included) at an @align-aligned address
	 * inside [@vstart, @vend), set @vm->addr and make @vm busy.  Returns
	 * 0, or -ENOMEM (no hole; no host memory).  Counts nodes visited.
	 */
	int (*alloc)(struct vm_struct *vm, uint32_t align, vaddr_t vstart,
		     vaddr_t vend);
	/* The busy area starting at @addr (@containing: containing @addr,
	 * guard page included), or NULL.  Counts nodes visited. */
	struct vm_struct *(*find)(vaddr_t addr, bool containing);
	/* Take @vm out of the busy set; returns the vmap_area whose space
	 * free_va() must release later (generation 1: NULL, nothing left) */
	struct vmap_area *(*unlink)(struct vm_struct *vm);
	/* Give @va's space back to the free space and free @va (a purge, or
	 * at once with lazy freeing off) */
	void (*free_va)(struct vmap_area *va);
	/*
	 * Optional (generation 4), at every purge: before anything else,
	 * decay(@full) returns pooled areas to the free space (all of them
	 * when @full); after the flush, reclaim(@list) takes every purged
	 * area (linked by purge_next) instead of free_va one by one.
	 */
	void (*decay)(bool full);
	void (*reclaim)(struct vmap_area *list);
	/*
	 * Optional (generation 4), for the lab's claim and undo: free space
	 * held outside the free tree that overlaps [@start, @end) goes back
	 * to it; undo(@va) puts a just-allocated area back where it came
	 * from (default: free_va).
	 */
	void (*release_range)(vaddr_t start, vaddr_t end);
	void (*undo)(struct vmap_area *va);
	/*
	 * Optional (generation 2), for the lab's claim: make @vm busy at
	 * exactly @addr (0, or -ENOMEM when that space is not free) as if
	 * the running generation had chosen it over the whole window; the
	 * default, alloc() over [@addr, @addr + size), would reset or trip
	 * over 5.0's cache, whose test is for a whole-window search.
	 */
	int (*claim)(struct vm_struct *vm, vaddr_t addr);
	/* Busy areas in address order (not counted) */
	struct vm_struct *(*first)(void);
	struct vm_struct *(*next)(const struct vm_struct *vm);
	/* Empty state for the window [vstart, vend); false: no host memory */
	bool (*init)(vaddr_t vstart, vaddr_t vend);
	/* Free every structure (the areas' frames are vmalloc.c's) */
	void (*exit)(void);
	/*
	 * This generation's own invariants (order, tree rules, augmented
	 * sizes, the window partitioned exactly, list order = tree order), as
	 * the kernel's DEBUG_AUGMENT_* checks do.  NULL when they hold, else
	 * a message in @why.
	 */
	const char *(*check)(char *why, size_t len);
};

extern const struct vmalloc_gen vmalloc_vmlist_gen;
extern const struct vmalloc_gen vmalloc_rbtree_gen;
extern const struct vmalloc_gen vmalloc_augtree_gen;
extern const struct vmalloc_gen vmalloc_nodes_gen;

/* vmalloc.c: add @n to the running CPU's nodes-visited counter. */
void vl_count_visits(uint64_t n);
/* VM_IOREMAP alignment: 1 << clamp(order, PAGE_SHIFT, IOREMAP_MAX_ORDER) */
uint32_t vl_ioremap_align_fls(uint32_t size);    /* 2.6.12: fls(size) */
uint32_t vl_ioremap_align_order(uint32_t size);  /* 5.0: get_count_order */


#endif
