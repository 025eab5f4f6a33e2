/*
 * VMALLOC generation 3: where Linux 5.2+ puts the areas (mm/vmalloc.c,
 * with 5.16's search by size that climbs past inspected subtrees, and
 * 5.18's adjust_search_size for alignments above a page).  Busy areas are vmap_areas in vmap_area_root; the free
 * space is vmap_areas too, in free_vmap_area_root sorted by address and
 * in free_vmap_area_list, each tree node augmented with subtree_max_size,
 * the largest free block in its subtree, so the lowest block that fits is
 * found in one descent.  A lazily freed area leaves the busy tree at once
 * and joins the free space at the purge, merging with its neighbours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "machine.h"
#include "vmalloc_gen.h"
#include "vmalloc_augtree.h"
#include "vmap_area.h"

static struct rb_root free_vmap_area_root;
static struct list_head free_vmap_area_list;

#define va_of(node) rb_entry(node, struct vmap_area, rb_node)

static uint32_t va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static uint32_t get_subtree_max_size(const struct rb_node *node)
{
	return node ? va_of(node)->subtree_max_size : 0;
}

/* A node's value from its own size and its children's values. */
static uint32_t compute_subtree_max_size(const struct vmap_area *va)
{
	uint32_t max = va_size(va), l = get_subtree_max_size(va->rb_node.rb_left),
		 r = get_subtree_max_size(va->rb_node.rb_right);

	max = l > max ? l : max;
	return r > max ? r : max;
}

/* Recompute up the parents until @stop or a value that does not change. */
static void augment_propagate(struct rb_node *node, struct rb_node *stop)
{
	while (node != stop) {
		struct vmap_area *va = va_of(node);
		uint32_t max = compute_subtree_max_size(va);

		if (va->subtree_max_size == max)
			break;
		va->subtree_max_size = max;
		node = rb_parent(node);
	}
}

static void augment_copy(struct rb_node *old, struct rb_node *new)
{
	va_of(new)->subtree_max_size = va_of(old)->subtree_max_size;
}

static void augment_rotate(struct rb_node *old, struct rb_node *new)
{
	va_of(new)->subtree_max_size = va_of(old)->subtree_max_size;
	va_of(old)->subtree_max_size = compute_subtree_max_size(va_of(old));
}

static const struct rb_augment_callbacks free_vmap_area_rb_augment_cb = {
	augment_propagate, augment_copy, augment_rotate,
};

/* 5.2 augment_tree_propagate_from(): @va's size changed, fix the path up. */
static void augment_tree_propagate_from(struct vmap_area *va)
{
	augment_propagate(&va->rb_node, NULL);
}

/* Could [ALIGN(max(start, @vstart)), + @size) lie inside @va? */
static bool is_within_this_va(const struct vmap_area *va, uint32_t size,
			      uint32_t align, vaddr_t vstart)
{
	vaddr_t nva_start = ALIGN(va->va_start > vstart ? va->va_start : vstart, align);

	if (nva_start + size < nva_start || nva_start < vstart)
		return false;
	return nva_start + size <= va->va_end;
}

/*
 * The lowest free block holding @size bytes aligned to @align at or above
 * @vstart: go left while the left subtree is big enough and starts above
 * vstart, take the node if the request fits, else go right if big enough,
 * else climb to the first parent whose right subtree is - moving vstart
 * past that parent so the subtree just left is not entered again.  With
 * an alignment above a page the descent looks for @size + @align - 1.
 */
static struct vmap_area *find_vmap_lowest_match(uint32_t size, uint32_t align,
						vaddr_t vstart, bool adjust_search_size)
{
	struct rb_node *node = free_vmap_area_root.rb_node;
	uint32_t length = adjust_search_size ? size + align - 1u : size;
	uint64_t visited = 0;
	struct vmap_area *va;

	while (node) {
		va = va_of(node);
		visited++;
		if (get_subtree_max_size(node->rb_left) >= length && vstart < va->va_start) {
			node = node->rb_left;
			continue;
		}
		if (is_within_this_va(va, size, align, vstart))
			goto found;
		if (get_subtree_max_size(node->rb_right) >= length) {
			node = node->rb_right;
			continue;
		}
		while ((node = rb_parent(node))) {
			va = va_of(node);
			visited++;
			if (is_within_this_va(va, size, align, vstart))
				goto found;
			if (get_subtree_max_size(node->rb_right) >= length && vstart <= va->va_start) {
				vstart = va->va_start + 1u;
				node = node->rb_right;
				break;
			}
		}
	}
	va = NULL;
found:
	vl_count_visits(visited);
	return va;
}

enum fit_type { NOTHING_FIT, FL_FIT_TYPE, LE_FIT_TYPE, RE_FIT_TYPE, NE_FIT_TYPE };

/* Which edges of free block @va the new area [@nva_start, + @size) touches. */
static enum fit_type classify_va_fit_type(const struct vmap_area *va,
					  vaddr_t nva_start, uint32_t size)
{
	if (nva_start < va->va_start || nva_start + size > va->va_end)
		return NOTHING_FIT;
	if (va->va_start == nva_start)
		return va->va_end == nva_start + size ? FL_FIT_TYPE : LE_FIT_TYPE;
	return va->va_end == nva_start + size ? RE_FIT_TYPE : NE_FIT_TYPE;
}

/*
 * Cut [@nva_start, + @size) out of free block @va: the whole block (FL),
 * its left (LE) or right (RE) edge, or its middle (NE), which needs a
 * second vmap_area for the left part.  -ENOMEM when that cannot be had.
 */
static int adjust_va_to_fit_type(struct vmap_area *va, vaddr_t nva_start,
				 uint32_t size, enum fit_type type)
{
	struct vmap_area *lva = NULL;

	switch (type) {
	case FL_FIT_TYPE:
		unlink_vmap_area(va, &free_vmap_area_root, &free_vmap_area_rb_augment_cb);
		free(va);
		return 0;
	case LE_FIT_TYPE:
		va->va_start += size;
		break;
	case RE_FIT_TYPE:
		va->va_end = nva_start;
		break;
	case NE_FIT_TYPE:
		lva = malloc(sizeof(*lva));
		if (!lva)
			return -ENOMEM;
		*lva = (struct vmap_area){ .va_start = va->va_start, .va_end = nva_start };
		va->va_start = nva_start + size;
		break;
	default:
		return -ENOMEM;
	}
	augment_tree_propagate_from(va);
	if (lva)
		insert_vmap_area(lva, &free_vmap_area_root, &free_vmap_area_list,
				 &free_vmap_area_rb_augment_cb);
	return 0;
}

/* 5.18+ __alloc_vmap_area(): the address, or 0 when nothing fits. */
vaddr_t __alloc_vmap_area(uint32_t size, uint32_t align, vaddr_t vstart,
				 vaddr_t vend)
{
	bool adjust = !(align <= PAGE_SIZE || vend - vstart == size);
	struct vmap_area *va = find_vmap_lowest_match(size, align, vstart, adjust);
	vaddr_t nva_start;

	if (!va)
		return 0;
	nva_start = ALIGN(va->va_start > vstart ? va->va_start : vstart, align);
	if (nva_start + size < nva_start || nva_start + size > vend)
		return 0;
	if (adjust_va_to_fit_type(va, nva_start, size,
				  classify_va_fit_type(va, nva_start, size)))
		return 0;
	return nva_start;
}

static int augtree_alloc(struct vm_struct *vm, uint32_t align, vaddr_t vstart,
			 vaddr_t vend)
{
	return alloc_vmap_area(vm, align, vstart, vend, __alloc_vmap_area);
}

/* 5.2+ free_vmap_area_noflush(): out of the busy tree before the purge. */
struct vmap_area *augtree_unlink(struct vm_struct *vm)
{
	struct vmap_area *va = vm->va;

	unlink_vmap_area(va, &vmap_area_root, NULL);
	va->vm = NULL;
	return va;
}

/* The free block right after where [va_start, va_end) goes (counted). */
static struct vmap_area *free_block_after(const struct vmap_area *va)
{
	struct rb_node *n = free_vmap_area_root.rb_node;
	struct vmap_area *next = NULL;
	uint64_t visited = 0;

	while (n) {
		struct vmap_area *tmp = va_of(n);

		visited++;
		if (va->va_end <= tmp->va_start) {
			next = tmp;
			n = n->rb_left;
		} else if (va->va_start >= tmp->va_end) {
			n = n->rb_right;
		} else {
			vl_bug(__func__, "0x%08x-0x%08x overlaps free 0x%08x-0x%08x",
			       va->va_start, va->va_end, tmp->va_start, tmp->va_end);
		}
	}
	vl_count_visits(visited);
	return next;
}

/*
 * 5.2+ merge_or_add_vmap_area(): @va's space joins the free block that
 * starts where it ends and/or the one that ends where it starts; only
 * when it touches neither does it become a block of its own.
 */
void merge_or_add_vmap_area(struct vmap_area *va)
{
	struct vmap_area *next = free_block_after(va), *prev;
	struct list_head *prev_link = next ? next->list.prev : free_vmap_area_list.prev;
	bool merged = false;

	prev = prev_link == &free_vmap_area_list ? NULL
		: list_entry(prev_link, struct vmap_area, list);
	if (next && next->va_start == va->va_end) {
		next->va_start = va->va_start;
		augment_tree_propagate_from(next);
		free(va);
		va = next;
		merged = true;
	}
	if (prev && prev->va_end == va->va_start) {
		/* both sides: next leaves the tree, every value right, before prev grows */
		if (merged)
			unlink_vmap_area(va, &free_vmap_area_root, &free_vmap_area_rb_augment_cb);
		prev->va_end = va->va_end;
		augment_tree_propagate_from(prev);
		free(va);
		merged = true;
	}
	if (!merged)
		insert_vmap_area(va, &free_vmap_area_root, &free_vmap_area_list,
				 &free_vmap_area_rb_augment_cb);
}

/* 5.2 vmap_init_free_space(): the whole window is one free block. */
bool augtree_init(vaddr_t vstart, vaddr_t vend)
{
	struct vmap_area *va = malloc(sizeof(*va));

	vmap_area_root = RB_ROOT;
	INIT_LIST_HEAD(&vmap_area_list);
	free_vmap_area_root = RB_ROOT;
	INIT_LIST_HEAD(&free_vmap_area_list);
	if (!va)
		return false;
	*va = (struct vmap_area){ .va_start = vstart, .va_end = vend };
	insert_vmap_area(va, &free_vmap_area_root, &free_vmap_area_list,
			 &free_vmap_area_rb_augment_cb);
	return true;
}

void augtree_exit(void)
{
	vmap_area_free_all(&vmap_area_root, &vmap_area_list);
	vmap_area_free_all(&free_vmap_area_root, &free_vmap_area_list);
}

/* Every free node's subtree_max_size is right (not counted). */
static const char *check_augment(const struct rb_node *n, char *why, size_t len)
{
	const struct vmap_area *va;

	if (!n)
		return NULL;
	va = va_of(n);
	if (va->subtree_max_size != compute_subtree_max_size(va))
		return snprintf(why, len, "free 0x%08x-0x%08x: subtree_max_size 0x%x, should be 0x%x",
				va->va_start, va->va_end, va->subtree_max_size,
				compute_subtree_max_size(va)), why;
	if (check_augment(n->rb_left, why, len) || check_augment(n->rb_right, why, len))
		return why;
	return NULL;
}

static int by_start(const void *a, const void *b)
{
	vaddr_t x = (*(const struct vmap_area *const *)a)->va_start;
	vaddr_t y = (*(const struct vmap_area *const *)b)->va_start;

	return x < y ? -1 : x > y;
}

/* Collect @head's areas into @all from @n on; returns the new count. */
static uint32_t collect(const struct list_head *head, const struct vmap_area **all,
			uint32_t n)
{
	for (const struct vmap_area *va = vmap_area_first(head); va;
	     va = vmap_area_next(va, head))
		all[n++] = va;
	return n;
}

/* Busy, free, lazily freed and @extra (pooled) areas tile the window exactly. */
static const char *check_partition(uint32_t nbusy, uint32_t nfree,
				   const struct vmap_area *const *extra, uint32_t nextra,
				   char *why, size_t len)
{
	uint32_t nlazy = 0, n;
	const struct vmap_area **all;
	vaddr_t at = vl.layout->vmalloc_start;

	for (const struct vmap_area *va = vmap_purge_list; va; va = va->purge_next)
		nlazy++;
	all = malloc(((size_t)nbusy + nfree + nlazy + nextra) * sizeof(*all));
	if (!all)
		return snprintf(why, len, "no host memory to check the partition"), why;
	n = collect(&free_vmap_area_list, all, collect(&vmap_area_list, all, 0));
	for (const struct vmap_area *va = vmap_purge_list; va; va = va->purge_next)
		all[n++] = va;
	for (uint32_t i = 0; i < nextra; i++)
		all[n++] = extra[i];
	qsort(all, n, sizeof(*all), by_start);
	*why = '\0';
	for (uint32_t i = 0; i < n && !*why; i++) {
		if (all[i]->va_start != at)
			snprintf(why, len, "the window is not partitioned at 0x%08x: the next "
				 "area starts at 0x%08x", at, all[i]->va_start);
		at = all[i]->va_end;
	}
	free(all);
	if (!*why && at != vl.layout->vmalloc_end)
		snprintf(why, len, "the window is not partitioned: the areas end at 0x%08x", at);
	return *why ? why : NULL;
}

/* Merging on free leaves no two free blocks touching. */
static const char *check_merged(char *why, size_t len)
{
	for (const struct vmap_area *va = vmap_area_first(&free_vmap_area_list), *next; va;
	     va = next) {
		next = vmap_area_next(va, &free_vmap_area_list);
		if (next && next->va_start == va->va_end)
			return snprintf(why, len, "free blocks 0x%08x-0x%08x and 0x%08x-0x%08x "
					"touch: not merged", va->va_start, va->va_end,
					next->va_start, next->va_end), why;
	}
	return NULL;
}

const char *augtree_check_with(const struct vmap_area *const *extra, uint32_t nextra,
			       char *why, size_t len)
{
	const struct vl_layout *l = vl.layout;
	uint32_t nbusy, nfree;

	if (vmap_area_check_tree(&vmap_area_root, &vmap_area_list, "vmap_area_root",
				 l->vmalloc_start, l->vmalloc_end, &nbusy, why, len) ||
	    vmap_area_check_tree(&free_vmap_area_root, &free_vmap_area_list,
				 "free_vmap_area_root", l->vmalloc_start, l->vmalloc_end,
				 &nfree, why, len) ||
	    check_augment(free_vmap_area_root.rb_node, why, len) || check_merged(why, len))
		return why;
	return check_partition(nbusy, nfree, extra, nextra, why, len);
}

static const char *augtree_check(char *why, size_t len)
{
	return augtree_check_with(NULL, 0, why, len);
}

const struct vmalloc_gen vmalloc_augtree_gen = {
	.name = "augtree",
	.lazy = true,
	.ioremap_align = vl_ioremap_align_order,
	.alloc = augtree_alloc,
	.find = find_busy_vm,
	.unlink = augtree_unlink,
	.free_va = merge_or_add_vmap_area,
	.first = vmap_area_first_vm,
	.next = vmap_area_next_vm,
	.init = augtree_init,
	.exit = augtree_exit,
	.check = augtree_check,
};
