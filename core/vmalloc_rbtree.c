/*
 * VMALLOC generation 2: where Linux 5.0 puts the areas (mm/vmalloc.c,
 * the 2.6.28 design with 2.6.39's free_vmap_cache).  Busy and lazily
 * freed areas are vmap_areas in vmap_area_root and vmap_area_list; a
 * search starts from the last area allocated unless the cache must be
 * dropped, then walks the list for the first hole.  Because the cache is
 * dropped only for a request smaller than the largest hole it skipped
 * (size < cached_hole_size), and frees do not record holes, this is not
 * always the lowest fit - reproduced here on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "machine.h"
#include "vmalloc_gen.h"
#include "vmap_area.h"

static struct rb_node *free_vmap_cache;  /* the area the next search starts after */
static uint32_t cached_hole_size;        /* largest hole below it (bytes) */
static vaddr_t cached_vstart;
static uint32_t cached_align;

#define va_of(node) rb_entry(node, struct vmap_area, rb_node)

/* Descend to the lowest area ending at or above @addr (counted). */
static struct vmap_area *first_at_or_above(vaddr_t addr)
{
	struct rb_node *n = vmap_area_root.rb_node;
	struct vmap_area *first = NULL;
	uint64_t visited = 0;

	while (n) {
		struct vmap_area *tmp = va_of(n);

		visited++;
		if (tmp->va_end >= addr) {
			first = tmp;
			if (tmp->va_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	vl_count_visits(visited);
	return first;
}

/* The cache goes when the new request is more permissive than it. */
static void drop_cache(void)
{
	cached_hole_size = 0;
	free_vmap_cache = NULL;
}

/*
 * From @first, step over areas until [addr, addr + size) fits before one
 * (recording the largest hole passed) or the list ends.  Returns the
 * address, or 0 when it wrapped.
 */
static vaddr_t walk_holes(struct vmap_area *first, vaddr_t addr, uint32_t size,
			  uint32_t align, vaddr_t vend)
{
	uint64_t visited = 0;

	while (first && addr + size > first->va_start && addr + size <= vend) {
		visited++;
		if (addr + cached_hole_size < first->va_start)
			cached_hole_size = first->va_start - addr;
		addr = ALIGN(first->va_end, align);
		if (addr + size < addr) {
			addr = 0;
			break;
		}
		first = vmap_area_next(first, &vmap_area_list);
	}
	vl_count_visits(visited);
	return addr;
}

/* The search of 5.0 alloc_vmap_area(): 0 when nothing fits. */
static vaddr_t find_hole(uint32_t size, uint32_t align, vaddr_t vstart,
			 vaddr_t vend)
{
	struct vmap_area *first;
	vaddr_t addr;

	if (!free_vmap_cache || size < cached_hole_size || vstart < cached_vstart ||
	    align < cached_align)
		drop_cache();
	cached_vstart = vstart;
	cached_align = align;
	if (free_vmap_cache) {
		first = va_of(free_vmap_cache);
		addr = ALIGN(first->va_end, align);
		if (addr < vstart) {
			drop_cache();
			return find_hole(size, align, vstart, vend);
		}
	} else {
		addr = ALIGN(vstart, align);
		first = addr + size < addr ? NULL : first_at_or_above(addr);
	}
	if (addr + size < addr)
		return 0;
	addr = walk_holes(first, addr, size, align, vend);
	/* ALIGN may have carried to 0, hence the vstart test */
	if (!addr || addr + size > vend || addr < vstart)
		return 0;
	return addr;
}

/* Each allocation becomes the cache the next search starts after. */
static int rbtree_alloc(struct vm_struct *vm, uint32_t align, vaddr_t vstart,
			vaddr_t vend)
{
	int err = alloc_vmap_area(vm, align, vstart, vend, find_hole);

	if (!err)
		free_vmap_cache = &vm->va->rb_node;
	return err;
}

/* @vstart itself when [@vstart, + @size) overlaps no area of the tree, else 0. */
static vaddr_t exactly_at(uint32_t size, uint32_t align, vaddr_t vstart, vaddr_t vend)
{
	struct vmap_area *first = first_at_or_above(vstart + 1u);

	(void)align;
	(void)vend;
	return !first || first->va_start >= vstart + size ? vstart : 0;
}

/*
 * The lab's claim: the area becomes the cache, as after any allocation;
 * the cache's search parameters stay those of the whole-window requests.
 */
static int rbtree_claim(struct vm_struct *vm, vaddr_t addr)
{
	int err = alloc_vmap_area(vm, 1u, addr, addr + vm->size, exactly_at);

	if (!err)
		free_vmap_cache = &vm->va->rb_node;
	return err;
}

static struct vmap_area *rbtree_unlink(struct vm_struct *vm)
{
	struct vmap_area *va = vm->va;

	va->vm = NULL;
	return va;
}

/* 5.0 __free_vmap_area(): move the cache back if it was at or above @va. */
static void rbtree_free_va(struct vmap_area *va)
{
	if (free_vmap_cache) {
		if (va->va_end < cached_vstart) {
			free_vmap_cache = NULL;
		} else if (va->va_start <= va_of(free_vmap_cache)->va_start) {
			free_vmap_cache = rb_prev(&va->rb_node);
		}
	}
	unlink_vmap_area(va, &vmap_area_root, NULL);
	free(va);
}

static bool rbtree_init(vaddr_t vstart, vaddr_t vend)
{
	(void)vstart;
	(void)vend;
	vmap_area_root = RB_ROOT;
	INIT_LIST_HEAD(&vmap_area_list);
	drop_cache();
	cached_vstart = 0;
	cached_align = 0;
	return true;
}

static void rbtree_exit(void)
{
	vmap_area_free_all(&vmap_area_root, &vmap_area_list);
	drop_cache();
}

/* The cache, if any, must be a node of the busy tree (not counted). */
static bool cache_in_tree(void)
{
	for (struct vmap_area *va = vmap_area_first(&vmap_area_list); va;
	     va = vmap_area_next(va, &vmap_area_list))
		if (&va->rb_node == free_vmap_cache)
			return true;
	return !free_vmap_cache;
}

/* Lazily freed areas stay in the busy tree: as many vm-less nodes as waiting areas. */
static bool lazy_in_tree(void)
{
	uint32_t in_tree = 0, waiting = 0;

	for (struct vmap_area *va = vmap_area_first(&vmap_area_list); va;
	     va = vmap_area_next(va, &vmap_area_list))
		in_tree += !va->vm;
	for (struct vmap_area *va = vmap_purge_list; va; va = va->purge_next)
		waiting++;
	return in_tree == waiting;
}

static const char *rbtree_check(char *why, size_t len)
{
	uint32_t n;

	if (vmap_area_check_tree(&vmap_area_root, &vmap_area_list, "vmap_area_root",
				 vl.layout->vmalloc_start, vl.layout->vmalloc_end, &n, why, len))
		return why;
	if (!cache_in_tree())
		return snprintf(why, len, "free_vmap_cache is not a node of vmap_area_root"), why;
	if (!lazy_in_tree())
		return snprintf(why, len, "vmap_area_root's freed nodes are not the purge list"), why;
	return NULL;
}

const struct vmalloc_gen vmalloc_rbtree_gen = {
	.name = "rbtree",
	.lazy = true,
	.ioremap_align = vl_ioremap_align_order,
	.alloc = rbtree_alloc,
	.find = find_busy_vm,
	.unlink = rbtree_unlink,
	.free_va = rbtree_free_va,
	.claim = rbtree_claim,
	.first = vmap_area_first_vm,
	.next = vmap_area_next_vm,
	.init = rbtree_init,
	.exit = rbtree_exit,
	.check = rbtree_check,
};
