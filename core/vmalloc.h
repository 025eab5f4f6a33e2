/* VMALLOC generation 1: the 2.6.12 vmlist (mm/vmalloc.c). */
#ifndef VL_VMALLOC_H
#define VL_VMALLOC_H

#include "types.h"

#define VM_IOREMAP 0x00000001u
#define VM_ALLOC 0x00000002u
#define VM_MAP 0x00000004u
#define IOREMAP_MAX_ORDER (7u + PAGE_SHIFT)

/*
 * One area of the VMALLOC window.  The struct and its pages[] array live
 * on the host heap (malloc/free stand in for kmalloc/kfree), so a caller
 * that owns an area returned by remove_vm_area() releases it with free().
 * A vmalloc of more than 1024 pages (the kernel's array of 4-byte page
 * pointers over PAGE_SIZE) also holds an area of its own for that array,
 * at pages_area: an ordinary listed VM_ALLOC area with its own frames.
 * The lab keeps the pointers in pages[]; the array area's frames are
 * mapped but hold nothing the lab reads (see docs/allocators.md).
 */
struct vm_struct {
	vaddr_t addr;             /* start (bytes, page-aligned) */
	uint32_t size;            /* bytes, guard page included while listed */
	uint32_t flags;           /* VM_* */
	struct page **pages;      /* VM_ALLOC: the frames, nr_pages of them */
	uint32_t nr_pages;
	vaddr_t pages_area;       /* the array's own area (> 1024 pages), else 0 */
	phys_addr_t phys_addr;    /* ioremap: the physical base */
	struct vm_struct *next;   /* vmlist, sorted by addr */
};
extern struct vm_struct *vmlist;   /* guarded by vmlist_lock (a rwlock) */

/*
 * Every function below that walks vmlist adds the number of vm_structs it
 * looked at to vl_this_stats()->vmlist_nodes_visited.
 */

/*
 * __get_vm_area - reserve PAGE_ALIGN(@size) + PAGE_SIZE bytes (the last
 * page is the unmapped guard) inside [@start, @end) (bytes): first fit on
 * the address-sorted vmlist.  Alignment is 1 << clamp(fls(@size),
 * PAGE_SHIFT, IOREMAP_MAX_ORDER) for VM_IOREMAP (fls of the size as
 * passed, before rounding), else none beyond @start's own.  Returns the
 * listed area, not mapped, or NULL with errno = EINVAL for @size 0 or
 * ENOMEM (no hole fits, or a size that cannot fit 32 bits).  Never BUGs.
 * Reproduces 2.6.12 __get_vm_area(), with one deviation: 2.6.12 checks
 * @end only after stepping over a listed area, so with an empty vmlist or
 * only areas below the aligned start it could hand out space beyond @end;
 * here an area must end at or below @end.
 */
struct vm_struct *__get_vm_area(uint32_t size, uint32_t flags, vaddr_t start,
				vaddr_t end);
/*
 * get_vm_area - __get_vm_area(@size, @flags, VMALLOC_START, VMALLOC_END):
 * same units, errors and deviation.  2.6.12.
 */
struct vm_struct *get_vm_area(uint32_t size, uint32_t flags);
/*
 * remove_vm_area - find the listed area that starts exactly at @addr,
 * unmap it (unmap_vm_area: one range flush), unlink it and return it with
 * the guard page taken off size (bytes); the caller owns it (free()).
 * Returns NULL (no errno) when no area starts at @addr.  Never BUGs.
 * 2.6.12 remove_vm_area().
 */
struct vm_struct *remove_vm_area(vaddr_t addr);
/*
 * map_vm_area - map [addr, addr + size - PAGE_SIZE) of @area one page at a
 * time: allocate the page table on demand, then set one PTE to the next
 * page of **@pages with @prot.  *@pages advances past every page mapped.
 * Returns 0, or -ENOMEM when a page table cannot be allocated or a page
 * pointer is NULL; the PTEs set so far stay (the caller unmaps).  Never
 * BUGs.  2.6.12 map_vm_area().
 */
int map_vm_area(struct vm_struct *area, pgprot_t prot, struct page ***pages);
/*
 * unmap_vm_area - clear every PTE of the area's size (guard page
 * included) that has a page table, then one flush_tlb_kernel_range() over
 * [addr, addr + size).  Never fails or BUGs.  2.6.12 unmap_vm_area().
 */
void unmap_vm_area(struct vm_struct *area);

/*
 * __vmalloc - virtually contiguous memory of @size bytes (rounded up to
 * pages): an area from get_vm_area(VM_ALLOC); then, for more than 1024
 * pages, the page array's own area, __vmalloc(4 * pages, @gfp,
 * PAGE_KERNEL) (the kernel's bounded recursion: frames, PTEs and guard
 * page, all before any data frame); then one frame per page from
 * alloc_page(@gfp), mapped with @prot.  Returns the address, or 0 with
 * errno = EINVAL (size 0, or more pages than RAM: num_physpages) or ENOMEM
 * (no space, no frame, no page table, no host memory); a failure frees
 * every frame and area it took, the array's area included (one range
 * flush for each area removed).  Never BUGs.  2.6.12 __vmalloc() and
 * 2.6.13's split-out __vmalloc_area(); deviation: 2.6.12 would kfree()
 * a vmalloc'ed array when the frames ran out within the first 1024 (its
 * __vunmap tests the lowered nr_pages); here the array area is vfree'd.
 */
vaddr_t __vmalloc(uint32_t size, gfp_t gfp, pgprot_t prot);
/* vmalloc - __vmalloc(@size, GFP_KERNEL | __GFP_HIGHMEM, PAGE_KERNEL). */
vaddr_t vmalloc(uint32_t size);
/* vmalloc_32 - __vmalloc(@size, GFP_KERNEL, PAGE_KERNEL): lowmem frames. */
vaddr_t vmalloc_32(uint32_t size);
/* vmalloc_exec - __vmalloc(@size, GFP_KERNEL | __GFP_HIGHMEM, PAGE_KERNEL_EXEC). */
vaddr_t vmalloc_exec(uint32_t size);
/*
 * vmalloc_node - vmalloc() on NUMA node @node.  The machine has one node:
 * any @node but 0 gives 0 with errno = EINVAL.  2.6.13 vmalloc_node().
 */
vaddr_t vmalloc_node(uint32_t size, int node);

/*
 * vfree - release an area from __vmalloc(): remove_vm_area(), free its
 * nr_pages frames, then its pages array (vfree of the array's own area
 * if it has one: a second range flush, its frames freed after the data
 * frames), free the struct.  vfree(0) does nothing.  Returns 0, or -EINVAL for an address not page-aligned or not
 * the start of a listed area (the kernel WARNs and returns).  BUGs on a
 * NULL entry among the area's pages.  2.6.12 __vunmap(addr, 1).
 */
int vfree(vaddr_t addr);
/*
 * vmap - map the @count pages of @pages contiguously: get_vm_area(@count
 * pages, @flags) then map_vm_area(@prot).  The pages stay the caller's.
 * Returns the address, or 0 with errno = EINVAL (@count 0 or above RAM)
 * or ENOMEM (no space; a NULL page or no page table: the area is undone).
 * Never BUGs.  2.6.12 vmap().
 */
vaddr_t vmap(struct page **pages, uint32_t count, uint32_t flags, pgprot_t prot);
/*
 * vunmap - undo vmap(): unmap and free the area, never its frames.
 * Returns as vfree().  2.6.12 __vunmap(addr, 0); its page pointer array,
 * if any, is host memory and freed (the kernel would leak it); an array
 * area (a vmalloc'ed area given to vunmap) stays listed, as in 2.6.12.
 */
int vunmap(vaddr_t addr);

/*
 * vl_find_vm_area - the listed area containing @va (guard page included),
 * or NULL.  Walks vmlist up to the first area above @va (counted).
 */
struct vm_struct *vl_find_vm_area(vaddr_t va);
/* vl_vmlist_count - areas on vmlist (count; a diagnostic, not counted). */
uint32_t vl_vmlist_count(void);

/*
 * vl_vmalloc_init - empty vmlist, vmlist_lock and init_mm_ptl unlocked
 * (a BUG may have longjmped out with one held); from vl_boot().
 */
void vl_vmalloc_init(void);
/*
 * vl_vmalloc_exit - from vl_shutdown(): unlock both locks as
 * vl_vmalloc_init() does, then unmap and free every listed area (array
 * areas included), the frames of VM_ALLOC areas and their page arrays.
 * vmap()ed frames stay with their owner.
 */
void vl_vmalloc_exit(void);

#endif
