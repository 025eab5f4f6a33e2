/*
 * VMALLOC generation 4: Linux 6.9+'s vmap nodes (mm/vmalloc.c) over
 * generation 3's augmented free tree.  Each node - one per CPU unless
 * told otherwise - keeps pools of free areas by exact size in pages (up
 * to 256).  An allocation over the whole window first takes the head of
 * its CPU's node's pool for that size when the head is aligned enough
 * (else rotates it to the tail) and otherwise carves the global tree;
 * either way the area remembers its node.  A purge first decays every
 * pool by a quarter (all of it after a failed allocation) back to the
 * global tree, then puts each purged area of at most 256 pages into its
 * node's pool - in address order with list_add, so the highest comes
 * first - and the others back into the global tree.  Pooled areas are
 * free, yet in neither tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "machine.h"
#include "vmalloc_augtree.h"
#include "vmalloc_gen.h"
#include "vmap_area.h"

#define MAX_VA_SIZE_PAGES 256u

struct vmap_pool {
	struct list_head head;
	uint32_t len;
};

struct vmap_node {
	struct vmap_pool pool[MAX_VA_SIZE_PAGES];
};

static struct vmap_node *vmap_nodes;   /* vl.vmap_nodes of them */
static bool skip_populate;             /* this purge decays pools fully */
static struct vmap_area *last_pooled;  /* the last allocation, if from a pool */

/* The pool for areas of @size bytes (guard included), NULL above 256 pages. */
static struct vmap_pool *size_to_va_pool(struct vmap_node *vn, uint32_t size)
{
	uint32_t idx = (size - 1u) / PAGE_SIZE;

	return idx < MAX_VA_SIZE_PAGES ? &vn->pool[idx] : NULL;
}

/*
 * 6.9+ node_pool_del_va(): the pool's head if aligned to @align (and
 * sane), else the head moves to the tail and NULL.
 */
static struct vmap_area *node_pool_del_va(struct vmap_node *vn, uint32_t size,
					  uint32_t align, vaddr_t vstart, vaddr_t vend)
{
	struct vmap_pool *vp = size_to_va_pool(vn, size);
	struct vmap_area *va;

	if (!vp || list_empty(&vp->head))
		return NULL;
	vl_count_visits(1);
	va = list_entry(vp->head.next, struct vmap_area, list);
	list_del(&va->list);
	if (va->va_start & (align - 1u)) {
		list_add_tail(&va->list, &vp->head);
		return NULL;
	}
	if (va->va_end - va->va_start != size || va->va_start < vstart || va->va_end > vend)
		vl_bug(__func__, "pooled 0x%08x-0x%08x does not fit %u bytes in 0x%08x-0x%08x",
		       va->va_start, va->va_end, size, vstart, vend);
	vp->len--;
	return va;
}

/* 6.9+ node_alloc() then alloc_vmap_area()'s fallback to the global tree. */
static int nodes_alloc(struct vm_struct *vm, uint32_t align, vaddr_t vstart,
		       vaddr_t vend)
{
	const struct vl_layout *l = vl.layout;
	struct vmap_area *va = NULL;
	uint32_t vn_id = 0;
	int err = 0;

	if (vstart == l->vmalloc_start && vend == l->vmalloc_end && vl.vmap_nodes > 1) {
		uint32_t id = smp_processor_id() % vl.vmap_nodes;

		va = node_pool_del_va(&vmap_nodes[id], vm->size, align, vstart, vend);
		vn_id = id + 1u;
	}
	last_pooled = va;
	if (va) {
		va->vm = vm;
		insert_vmap_area(va, &vmap_area_root, &vmap_area_list, NULL);
		vm->addr = va->va_start;
		vm->va = va;
	} else {
		err = alloc_vmap_area(vm, align, vstart, vend, __alloc_vmap_area);
	}
	if (!err)
		vm->va->vn_id = vn_id;
	return err;
}

/* 6.9+ decay_va_pool_node(), every node: a pool's first len/4 (or all). */
static void nodes_decay(bool full)
{
	skip_populate = full;
	for (uint32_t n = 0; n < vl.vmap_nodes; n++) {
		for (uint32_t i = 0; i < MAX_VA_SIZE_PAGES; i++) {
			struct vmap_pool *vp = &vmap_nodes[n].pool[i];
			uint32_t n_decay = full ? vp->len : vp->len >> 2;

			vp->len -= n_decay;
			while (n_decay--) {
				struct vmap_area *va = list_entry(vp->head.next, struct vmap_area, list);

				list_del(&va->list);
				merge_or_add_vmap_area(va);
			}
		}
	}
}

/* Node order, then address order: how the kernel walks its purge lists. */
static int by_node_then_start(const void *a, const void *b)
{
	const struct vmap_area *x = *(struct vmap_area *const *)a;
	const struct vmap_area *y = *(struct vmap_area *const *)b;

	if (x->vn_id != y->vn_id)
		return x->vn_id < y->vn_id ? -1 : 1;
	return x->va_start < y->va_start ? -1 : x->va_start > y->va_start;
}

/* 6.9+ node_pool_add_va(): false when @va is over 256 pages. */
static bool node_pool_add_va(struct vmap_area *va)
{
	struct vmap_pool *vp = size_to_va_pool(&vmap_nodes[va->vn_id - 1u],
					       va->va_end - va->va_start);

	if (!vp)
		return false;
	list_add(&va->list, &vp->head);
	vp->len++;
	return true;
}

/* Each purged area of a node to that node's pool, the rest to the tree. */
static void reclaim_each(struct vmap_area **all, uint32_t n)
{
	qsort(all, n, sizeof(*all), by_node_then_start);
	for (uint32_t i = 0; i < n; i++)
		if (!all[i]->vn_id || skip_populate || !node_pool_add_va(all[i]))
			merge_or_add_vmap_area(all[i]);
}

/*
 * 6.9+ purge_vmap_node().  Sorting needs an array; without host memory
 * for it every area goes back to the global tree, which is still a
 * correct (if unpooled) state.
 */
static void nodes_reclaim(struct vmap_area *list)
{
	struct vmap_area **all, *va, *next;
	uint32_t n = 0;

	for (va = list; va; va = va->purge_next)
		n++;
	all = malloc(n * sizeof(*all));
	if (!all) {
		for (va = list; va; va = next) {
			next = va->purge_next;
			merge_or_add_vmap_area(va);
		}
		return;
	}
	n = 0;
	for (va = list; va; va = va->purge_next)
		all[n++] = va;
	reclaim_each(all, n);
	free(all);
}

/* Pooled areas overlapping [@start, @end) go back to the global tree. */
static void nodes_release_range(vaddr_t start, vaddr_t end)
{
	for (uint32_t n = 0; n < vl.vmap_nodes; n++)
		for (uint32_t i = 0; i < MAX_VA_SIZE_PAGES; i++) {
			struct vmap_pool *vp = &vmap_nodes[n].pool[i];
			struct list_head *p = vp->head.next, *next;

			for (; p != &vp->head; p = next) {
				struct vmap_area *va = list_entry(p, struct vmap_area, list);

				next = p->next;
				if (va->va_start < end && va->va_end > start) {
					list_del(&va->list);
					vp->len--;
					merge_or_add_vmap_area(va);
				}
			}
		}
}

/* The last allocation back to its pool's head, or to the tree. */
static void nodes_undo(struct vmap_area *va)
{
	if (va == last_pooled && va->vn_id) {
		node_pool_add_va(va);
		last_pooled = NULL;
		return;
	}
	merge_or_add_vmap_area(va);
}

static bool nodes_init(vaddr_t vstart, vaddr_t vend)
{
	vmap_nodes = malloc(vl.vmap_nodes * sizeof(*vmap_nodes));
	if (!vmap_nodes)
		return false;
	for (uint32_t n = 0; n < vl.vmap_nodes; n++)
		for (uint32_t i = 0; i < MAX_VA_SIZE_PAGES; i++) {
			INIT_LIST_HEAD(&vmap_nodes[n].pool[i].head);
			vmap_nodes[n].pool[i].len = 0;
		}
	skip_populate = false;
	last_pooled = NULL;
	return augtree_init(vstart, vend);
}

static void nodes_exit(void)
{
	nodes_decay(true);
	free(vmap_nodes);
	vmap_nodes = NULL;
	augtree_exit();
}

/* One pool: its length, each entry's size and place; appended to @all. */
static const char *check_pool(uint32_t n, uint32_t i, const struct vmap_area **all,
			      uint32_t *count, char *why, size_t len)
{
	const struct vmap_pool *vp = &vmap_nodes[n].pool[i];
	uint32_t seen = 0;

	for (const struct list_head *p = vp->head.next; p != &vp->head; p = p->next) {
		const struct vmap_area *va = list_entry(p, struct vmap_area, list);

		if (va->vm || va->va_end - va->va_start != (i + 1u) * PAGE_SIZE)
			return snprintf(why, len, "node %u pool %u: 0x%08x-0x%08x is busy or "
					"of another size", n, i + 1u, va->va_start, va->va_end), why;
		all[(*count)++] = va;
		seen++;
	}
	if (seen != vp->len)
		return snprintf(why, len, "node %u pool %u: len %u, %u areas listed", n, i + 1u,
				vp->len, seen), why;
	return NULL;
}

static uint32_t pooled_count(void)
{
	uint32_t total = 0;

	for (uint32_t n = 0; n < vl.vmap_nodes; n++)
		for (uint32_t i = 0; i < MAX_VA_SIZE_PAGES; i++)
			for (const struct list_head *p = vmap_nodes[n].pool[i].head.next;
			     p != &vmap_nodes[n].pool[i].head; p = p->next)
				total++;
	return total;
}

/* Sane pools, and generation 3's invariants with the pooled areas free. */
static const char *nodes_check(char *why, size_t len)
{
	uint32_t total = pooled_count(), count = 0;
	const struct vmap_area **all = malloc((total ? total : 1u) * sizeof(*all));
	const char *bad = NULL;

	if (!all)
		return snprintf(why, len, "no host memory to check the pools"), why;
	for (uint32_t n = 0; n < vl.vmap_nodes && !bad; n++)
		for (uint32_t i = 0; i < MAX_VA_SIZE_PAGES && !bad; i++)
			bad = check_pool(n, i, all, &count, why, len);
	if (!bad)
		bad = augtree_check_with(all, count, why, len);
	free(all);
	return bad;
}

const struct vmalloc_gen vmalloc_nodes_gen = {
	.name = "nodes",
	.lazy = true,
	.ioremap_align = vl_ioremap_align_order,
	.alloc = nodes_alloc,
	.find = find_busy_vm,
	.unlink = augtree_unlink,
	.free_va = merge_or_add_vmap_area,
	.decay = nodes_decay,
	.reclaim = nodes_reclaim,
	.release_range = nodes_release_range,
	.undo = nodes_undo,
	.first = vmap_area_first_vm,
	.next = vmap_area_next_vm,
	.init = nodes_init,
	.exit = nodes_exit,
	.check = nodes_check,
};
