/*
 * VMALLOC generation 1: where 2.6.12 puts the areas (mm/vmalloc.c) - the
 * address-sorted singly linked vmlist and its first-fit walk.  The rest of
 * vmalloc is shared (core/vmalloc.c).
 */
#include <errno.h>
#include <stdio.h>

#include "machine.h"
#include "vmalloc_gen.h"

struct vm_struct *vmlist;

/*
 * Our one deviation from 2.6.12: the area must lie inside [start, end).
 * 2.6.12 checks @end only after stepping over an area, so a walk that
 * meets none at or above the aligned start (empty vmlist, or every area
 * below it) or an ALIGN that wrapped past 4 GiB is all this can catch.
 */
static bool inside_range(vaddr_t addr, uint32_t size, vaddr_t start,
			 vaddr_t end)
{
	return addr >= start && addr <= end && end - addr >= size;
}

/*
 * The 2.6.12 first-fit walk.  Returns the link to insert at, or NULL when
 * no hole fits.
 */
static struct vm_struct **find_hole(vaddr_t *addrp, uint32_t size,
				    uint32_t align, vaddr_t end)
{
	struct vm_struct **p, *tmp;
	vaddr_t addr = *addrp;
	uint64_t visited = 0;

	for (p = &vmlist; (tmp = *p) != NULL; p = &tmp->next) {
		visited++;
		if (tmp->addr < addr) {
			if (tmp->addr + tmp->size >= addr)
				addr = ALIGN(tmp->addr + tmp->size, align);
			continue;
		}
		if (addr + size < addr) {
			p = NULL;
			break;
		}
		if (addr + size <= tmp->addr)
			break;
		addr = ALIGN(tmp->addr + tmp->size, align);
		if (addr > end - size) {
			p = NULL;
			break;
		}
	}
	vl_count_visits(visited);
	*addrp = addr;
	return p;
}

static int vmlist_alloc(struct vm_struct *area, uint32_t align, vaddr_t start,
			vaddr_t end)
{
	vaddr_t addr = ALIGN(start, align);
	struct vm_struct **p = find_hole(&addr, area->size, align, end);

	if (!p || !inside_range(addr, area->size, start, end))
		return -ENOMEM;
	area->addr = addr;
	area->next = *p;
	*p = area;
	return 0;
}

/*
 * Where remove_vm_area()'s walk found its area: the link that unlink
 * rewrites, so the list is walked once, as 2.6.12 does.  Set only under
 * the write lock, used and cleared by the unlink that follows at once.
 */
static struct vm_struct **found_link;

/*
 * 2.6.12 remove_vm_area() walks to the exact start or the end of the
 * list; the lab's containing look-up stops at the first area above.
 */
static struct vm_struct *vmlist_find(vaddr_t addr, bool containing)
{
	struct vm_struct **p, *tmp;
	uint64_t visited = 0;

	for (p = &vmlist; (tmp = *p) != NULL; p = &tmp->next) {
		visited++;
		if (!containing) {
			if (tmp->addr == addr) {
				found_link = p;
				break;
			}
		} else if (tmp->addr > addr) {
			tmp = NULL;
			break;
		} else if (addr - tmp->addr < tmp->size) {
			break;
		}
	}
	vl_count_visits(visited);
	return tmp;
}

static struct vmap_area *vmlist_unlink(struct vm_struct *area)
{
	struct vm_struct **p = found_link && *found_link == area ? found_link : &vmlist;

	while (*p != area)
		p = &(*p)->next;
	*p = area->next;
	found_link = NULL;
	return NULL;
}

/* Generation 1 frees no vmap_area: its areas are gone once unlinked. */
static void vmlist_free_va(struct vmap_area *va)
{
	(void)va;
}

static struct vm_struct *vmlist_first(void)
{
	return vmlist;
}

static struct vm_struct *vmlist_next(const struct vm_struct *vm)
{
	return vm->next;
}

static bool vmlist_init(vaddr_t vstart, vaddr_t vend)
{
	(void)vstart;
	(void)vend;
	vmlist = NULL;
	found_link = NULL;
	return true;
}

static void vmlist_exit(void)
{
	vmlist = NULL;
	found_link = NULL;
}

/* Sorted, disjoint, inside the window (the checker looks at the rest). */
static const char *vmlist_check(char *why, size_t len)
{
	uint64_t prev_end = vl.layout->vmalloc_start;

	for (const struct vm_struct *a = vmlist; a; a = a->next) {
		if (a->addr < prev_end || (uint64_t)a->addr + a->size > vl.layout->vmalloc_end) {
			snprintf(why, len, "vmlist: area 0x%08x+0x%x overlaps, is out of order "
				 "or leaves the window", a->addr, a->size);
			return why;
		}
		prev_end = (uint64_t)a->addr + a->size;
	}
	return NULL;
}

const struct vmalloc_gen vmalloc_vmlist_gen = {
	.name = "vmlist",
	.lazy = false,
	.ioremap_align = vl_ioremap_align_fls,
	.alloc = vmlist_alloc,
	.find = vmlist_find,
	.unlink = vmlist_unlink,
	.free_va = vmlist_free_va,
	.first = vmlist_first,
	.next = vmlist_next,
	.init = vmlist_init,
	.exit = vmlist_exit,
	.check = vmlist_check,
};
