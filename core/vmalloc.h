/* VMALLOC generation 1: the 2.6.12 vmlist (mm/vmalloc.c). */
#ifndef VL_VMALLOC_H
#define VL_VMALLOC_H

#include "types.h"

#define VM_IOREMAP 0x00000001u
#define VM_ALLOC 0x00000002u
#define VM_MAP 0x00000004u
#define IOREMAP_MAX_ORDER (7u + PAGE_SHIFT)

struct vm_struct {
	vaddr_t addr;             /* start (bytes, page-aligned) */
	uint32_t size;            /* bytes, guard page included while listed */
	uint32_t flags;           /* VM_* */
	struct page **pages;      /* VM_ALLOC: the frames, nr_pages of them */
	uint32_t nr_pages;
	phys_addr_t phys_addr;    /* ioremap: the physical base */
	struct vm_struct *next;   /* vmlist, sorted by addr */
};
extern struct vm_struct *vmlist;   /* guarded by vmlist_lock */

/*
 * __get_vm_area - reserve [addr, addr + PAGE_ALIGN(size) + PAGE_SIZE) in
 * [start, end): first fit on the address-sorted vmlist, aligned to
 * 1 << clamp(fls(size), PAGE_SHIFT, IOREMAP_MAX_ORDER) for VM_IOREMAP, else
 * to a page.  Returns the area (not mapped), or NULL with errno = EINVAL
 * for size 0, ENOMEM when no hole fits.  Unlike 2.6.12 it also refuses a
 * hole that ends past @end after the last area.  Reproduces 2.6.12.
 */
struct vm_struct *__get_vm_area(uint32_t size, uint32_t flags, vaddr_t start,
				vaddr_t end);
/* get_vm_area - __get_vm_area over [VMALLOC_START, VMALLOC_END). */
struct vm_struct *get_vm_area(uint32_t size, uint32_t flags);
/*
 * remove_vm_area - unlink the area starting at @addr, unmap it (one range
 * flush) and return it with its guard page taken off size; the caller owns
 * it.  NULL if no area starts at @addr.
 */
struct vm_struct *remove_vm_area(vaddr_t addr);
/*
 * map_vm_area - one PTE per page for [addr, addr + size - PAGE_SIZE),
 * allocating page tables on demand.  *pages advances past the pages used.
 * Returns 0, or -ENOMEM (a page table or a page pointer missing).  2.6.12.
 */
int map_vm_area(struct vm_struct *area, pgprot_t prot, struct page ***pages);
/* unmap_vm_area - clear the area's PTEs (guard included), one range flush. */
void unmap_vm_area(struct vm_struct *area);

/*
 * __vmalloc - virtually contiguous memory of @size bytes (rounded up to
 * pages), frames from @gfp, mapped with @prot.  Returns the address, or 0
 * with errno = EINVAL (size 0 or more pages than RAM) or ENOMEM (no space,
 * no frames, no page table); a failure leaves nothing taken.  2.6.12.
 */
vaddr_t __vmalloc(uint32_t size, gfp_t gfp, pgprot_t prot);
vaddr_t vmalloc(uint32_t size);         /* highmem frames allowed */
vaddr_t vmalloc_32(uint32_t size);      /* lowmem frames only */
vaddr_t vmalloc_exec(uint32_t size);    /* PAGE_KERNEL_EXEC */
vaddr_t vmalloc_node(uint32_t size, int node); /* one node: node 0 only */

/*
 * vfree - unmap and free an area from __vmalloc, its pages and pointer
 * array.  vfree(0) does nothing.  Returns 0, or -EINVAL for an unaligned
 * or unknown address (the kernel WARNs and returns).  BUGs on a missing
 * page pointer.  2.6.12 __vunmap(addr, 1).
 */
int vfree(vaddr_t addr);
/*
 * vmap - map @count existing pages contiguously.  Returns the address, or
 * 0 with errno = EINVAL (count 0 or above RAM) or ENOMEM.  2.6.12.
 */
vaddr_t vmap(struct page **pages, uint32_t count, uint32_t flags, pgprot_t prot);
/* vunmap - undo vmap(); the pages stay allocated.  Errors as vfree(). */
int vunmap(vaddr_t addr);

/* The listed area containing @va (guard page included), or NULL. */
struct vm_struct *vl_find_vm_area(vaddr_t va);
/* Areas on vmlist (count). */
uint32_t vl_vmlist_count(void);

void vl_vmalloc_init(void);  /* from vl_boot */
void vl_vmalloc_exit(void);  /* frees every area and its pages */

#endif
