/*
 * The vmap_area trees and lists shared by VMALLOC generations 2 and 3
 * (mm/vmalloc.c of Linux 5.0 and 5.2+).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmalloc_gen.h"
#include "vmap_area.h"

struct rb_root vmap_area_root;
struct list_head vmap_area_list = { &vmap_area_list, &vmap_area_list };

#define va_of(node) rb_entry(node, struct vmap_area, rb_node)

void insert_vmap_area(struct vmap_area *va, struct rb_root *root,
		      struct list_head *head,
		      const struct rb_augment_callbacks *augment)
{
	struct rb_node **link = &root->rb_node, *parent = NULL, *prev;
	uint64_t visited = 0;

	while (*link) {
		struct vmap_area *tmp = va_of(*link);

		visited++;
		parent = *link;
		if (va->va_end <= tmp->va_start)
			link = &parent->rb_left;
		else if (va->va_start >= tmp->va_end)
			link = &parent->rb_right;
		else
			vl_bug(__func__, "0x%08x-0x%08x overlaps 0x%08x-0x%08x", va->va_start,
			       va->va_end, tmp->va_start, tmp->va_end);
	}
	vl_count_visits(visited);
	rb_link_node(&va->rb_node, parent, link);
	if (augment) {
		/* a leaf: its own size, raised up the path by propagate */
		va->subtree_max_size = va->va_end - va->va_start;
		augment->propagate(parent, NULL);
		rb_insert_augmented(&va->rb_node, root, augment);
	} else {
		rb_insert_color(&va->rb_node, root);
	}
	prev = rb_prev(&va->rb_node);
	list_add(&va->list, prev ? &va_of(prev)->list : head);
}

void unlink_vmap_area(struct vmap_area *va, struct rb_root *root,
		      const struct rb_augment_callbacks *augment)
{
	if (augment)
		rb_erase_augmented(&va->rb_node, root, augment);
	else
		rb_erase(&va->rb_node, root);
	RB_CLEAR_NODE(&va->rb_node);
	list_del(&va->list);
}

struct vmap_area *find_vmap_area(const struct rb_root *root, vaddr_t addr,
				 bool containing)
{
	struct rb_node *n = root->rb_node;
	uint64_t visited = 0;

	while (n) {
		struct vmap_area *va = va_of(n);

		visited++;
		if (addr < va->va_start) {
			n = n->rb_left;
		} else if (addr >= va->va_end) {
			n = n->rb_right;
		} else {
			vl_count_visits(visited);
			return containing || addr == va->va_start ? va : NULL;
		}
	}
	vl_count_visits(visited);
	return NULL;
}

int alloc_vmap_area(struct vm_struct *vm, uint32_t align, vaddr_t vstart, vaddr_t vend,
		    vaddr_t (*search)(uint32_t size, uint32_t align, vaddr_t vstart,
				      vaddr_t vend))
{
	struct vmap_area *va = malloc(sizeof(*va));
	vaddr_t addr;

	if (!va)
		return -ENOMEM;
	addr = search(vm->size, align, vstart, vend);
	if (!addr) {
		free(va);
		return -ENOMEM;
	}
	*va = (struct vmap_area){ .va_start = addr, .va_end = addr + vm->size, .vm = vm };
	insert_vmap_area(va, &vmap_area_root, &vmap_area_list, NULL);
	vm->addr = addr;
	vm->va = va;
	return 0;
}

struct vm_struct *find_busy_vm(vaddr_t addr, bool containing)
{
	struct vmap_area *va = find_vmap_area(&vmap_area_root, addr, containing);

	return va ? va->vm : NULL;
}

struct vmap_area *vmap_area_first(const struct list_head *head)
{
	return list_empty(head) ? NULL : list_entry(head->next, struct vmap_area, list);
}

struct vmap_area *vmap_area_next(const struct vmap_area *va,
				 const struct list_head *head)
{
	return va->list.next == head ? NULL
		: list_entry(va->list.next, struct vmap_area, list);
}

/* From @va on, the first busy area that still has its vm_struct. */
static struct vm_struct *first_vm_from(const struct vmap_area *va)
{
	while (va && !va->vm)
		va = vmap_area_next(va, &vmap_area_list);
	return va ? va->vm : NULL;
}

struct vm_struct *vmap_area_first_vm(void)
{
	return first_vm_from(vmap_area_first(&vmap_area_list));
}

struct vm_struct *vmap_area_next_vm(const struct vm_struct *vm)
{
	return first_vm_from(vmap_area_next(vm->va, &vmap_area_list));
}

struct tree_walk {
	const struct list_head *head;
	const struct vmap_area *expect;   /* the list's next entry */
	vaddr_t vstart, vend;
	uint32_t count;
	char *why;
	size_t len;
	const char *what;
};

/* Black height of @n's subtree, or -1 after writing what is wrong. */
static int check_node(const struct rb_node *n, const struct rb_node *parent,
		      struct tree_walk *w)
{
	const struct vmap_area *va;
	int lh, rh;

	if (!n)
		return 0;
	va = va_of(n);
	if (n->rb_parent != parent)
		return snprintf(w->why, w->len, "%s: 0x%08x has a wrong parent link",
				w->what, va->va_start), -1;
	if (rb_is_red(n) && (rb_is_red(n->rb_left) || rb_is_red(n->rb_right)))
		return snprintf(w->why, w->len, "%s: red 0x%08x has a red child",
				w->what, va->va_start), -1;
	if ((lh = check_node(n->rb_left, n, w)) < 0)
		return -1;
	if (va != w->expect)
		return snprintf(w->why, w->len, "%s: tree order and list order differ at 0x%08x",
				w->what, va->va_start), -1;
	if ((va->va_start | va->va_end) & ~PAGE_MASK || va->va_start >= va->va_end ||
	    va->va_start < w->vstart || va->va_end > w->vend)
		return snprintf(w->why, w->len, "%s: 0x%08x-0x%08x is not pages inside the window",
				w->what, va->va_start, va->va_end), -1;
	w->expect = vmap_area_next(va, w->head);
	if (w->expect && w->expect->va_start < va->va_end)
		return snprintf(w->why, w->len, "%s: 0x%08x-0x%08x overlaps or precedes the next",
				w->what, va->va_start, va->va_end), -1;
	w->count++;
	if ((rh = check_node(n->rb_right, n, w)) < 0)
		return -1;
	if (lh != rh)
		return snprintf(w->why, w->len, "%s: black heights %d and %d below 0x%08x",
				w->what, lh, rh, va->va_start), -1;
	return lh + !rb_is_red(n);
}

const char *vmap_area_check_tree(const struct rb_root *root,
				 const struct list_head *head, const char *what,
				 vaddr_t vstart, vaddr_t vend, uint32_t *count,
				 char *why, size_t len)
{
	struct tree_walk w = { head, vmap_area_first(head), vstart, vend, 0, why, len, what };

	if (rb_is_red(root->rb_node))
		return snprintf(why, len, "%s: the root is red", what), why;
	if (check_node(root->rb_node, NULL, &w) < 0)
		return why;
	if (w.expect)
		return snprintf(why, len, "%s: 0x%08x is listed but not in the tree", what,
				w.expect->va_start), why;
	*count = w.count;
	return NULL;
}

void vmap_area_free_all(struct rb_root *root, struct list_head *head)
{
	while (!list_empty(head)) {
		struct vmap_area *va = list_entry(head->next, struct vmap_area, list);

		list_del(&va->list);
		free(va);
	}
	root->rb_node = NULL;
}
