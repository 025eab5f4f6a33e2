/*
 * VMALLOC (mm/vmalloc.c): the API every generation shares.  Which
 * generation places the areas - 2.6.12 vmlist, 5.0 rbtree, 5.2+ augtree -
 * is chosen at boot (vl_config.vmalloc); see core/vmalloc_gen.h.
 */
#ifndef VL_VMALLOC_H
#define VL_VMALLOC_H

#include "list.h"
#include "rbtree.h"
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
	struct vm_struct *next;   /* generation 1: vmlist, sorted by addr */
	struct vmap_area *va;     /* generations 2, 3: its vmap_area */
};
extern struct vm_struct *vmlist;   /* generation 1's list */

/*
 * Generations 2 and 3 (Linux 5.0, 5.2+): one vmap_area per busy area, per
 * lazily freed area, and (generation 3) per block of free space.
 */
struct vmap_area {
	vaddr_t va_start;            /* bytes, page-aligned */
	vaddr_t va_end;              /* exclusive; the guard page is inside */
	struct rb_node rb_node;      /* vmap_area_root or free_vmap_area_root */
	struct list_head list;       /* vmap_area_list or free_vmap_area_list */
	struct vmap_area *purge_next;/* vmap_purge_list, while lazily freed */
	uint32_t subtree_max_size;   /* free tree: largest block below (bytes) */
	struct vm_struct *vm;        /* busy: its area; NULL once freed */
	uint32_t vn_id;              /* generation 4: allocating node + 1, 0 none */
};

/*
 * Every function below that searches the areas adds the list or tree
 * nodes it looked at to vl_this_stats()->vmalloc_nodes_visited.
 */

/*
 * __get_vm_area - reserve PAGE_ALIGN(@size) + PAGE_SIZE bytes (the last
 * page is the unmapped guard) inside [@start, @end) (bytes), placed by the
 * running generation (generation 1: first fit on the address-sorted
 * vmlist; 2: the 5.0 cached walk; 3: the lowest fit in the free tree).
 * Alignment for VM_IOREMAP: generation 1 1 << clamp(fls(@size),
 * PAGE_SHIFT, IOREMAP_MAX_ORDER) (fls of the size as passed), generations
 * 2 and 3 the same clamp of get_count_order(PAGE_ALIGN(@size)); otherwise
 * none beyond @start's own.  When no hole fits and areas wait lazily, one
 * purge and one retry (5.0 alloc_vmap_area).  Returns the busy area, not
 * mapped, or NULL with errno = EINVAL for @size 0 or ENOMEM (no hole fits,
 * no host memory, or a size that cannot fit 32 bits).  Never BUGs.
 * 2.6.12 __get_vm_area(), 5.0 __get_vm_area_node(); one deviation for
 * generation 1: 2.6.12 checks @end only after stepping over a listed
 * area, so with an empty vmlist or only areas below the aligned start it
 * could hand out space beyond @end; here an area must end at or below
 * @end.
 */
struct vm_struct *__get_vm_area(uint32_t size, uint32_t flags, vaddr_t start,
				vaddr_t end);
/*
 * __get_vm_area_node - __get_vm_area() with the alignment given: @align
 * bytes, a power of two (1: none beyond @start's own).  Returns the busy
 * area or NULL with errno = EINVAL (@size 0, @align not a power of two)
 * or ENOMEM.  Never BUGs.  5.x __get_vm_area_node() (its align).
 */
struct vm_struct *__get_vm_area_node(uint32_t size, uint32_t align, uint32_t flags,
				     vaddr_t start, vaddr_t end);
/*
 * get_vm_area - __get_vm_area(@size, @flags, VMALLOC_START, VMALLOC_END):
 * same units, errors and deviation.  2.6.12.
 */
struct vm_struct *get_vm_area(uint32_t size, uint32_t flags);
/*
 * remove_vm_area - find the busy area that starts exactly at @addr, take
 * it out of the busy set, clear its PTEs and return it with the guard
 * page taken off size (bytes); the caller owns it (free()).  Generation 1
 * (and lazy freeing off) flushes the range at once and frees the space;
 * generations 2 and 3 free it lazily (see purge_vmap_area_lazy).
 * Returns NULL (no errno) when no area starts at @addr.  Never BUGs.
 * 2.6.12 remove_vm_area(); 5.0 remove_vm_area() + free_unmap_vmap_area().
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
/* vl_vmlist_count - busy areas (count; a diagnostic, not counted). */
uint32_t vl_vmlist_count(void);
/*
 * vl_vm_first, vl_vm_next - the busy areas in address order, whatever the
 * generation (not counted; lazily freed areas are not busy).  NULL at the
 * end.  For the checker and the reports, between operations.
 */
struct vm_struct *vl_vm_first(void);
struct vm_struct *vl_vm_next(const struct vm_struct *vm);

/*
 * Lazy freeing (generations 2 and 3, Linux 2.6.28+): vfree() unmaps the
 * area at once, but its space - and any TLB entry for it - is only
 * reclaimed by the next purge.  vmap_lazy_nr counts the pages (guard page
 * included) waiting for it.  With lazy freeing off (trace header
 * lazy-purge off, vl_config.lazy_off) the range is flushed and the space
 * freed at once, as generation 1 always does.
 */
extern uint32_t vmap_lazy_nr;
/* The lazily freed areas, newest first, linked by purge_next. */
extern struct vmap_area *vmap_purge_list;
/*
 * lazy_max_pages - fls(CPUs) * 32 MiB / PAGE_SIZE (pages): more lazily
 * freed pages than this start a purge.  5.0 lazy_max_pages().
 */
uint32_t lazy_max_pages(void);
/*
 * purge_vmap_area_lazy - flush the TLBs once over [lowest start, highest
 * end) of every lazily freed area and return them all to the free space.
 * Generation 4 first decays its pools by a quarter and refills them with
 * the purged areas.  Returns the number of areas purged (0: nothing
 * waited, no flush).  Never fails or BUGs; a no-op for generation 1.
 * 5.0 purge_vmap_area_lazy() / __purge_vmap_area_lazy(); 6.9+ the same
 * with full_pool_decay false.
 */
uint32_t purge_vmap_area_lazy(void);
/* The last purge that purged anything: its areas and flushed range. */
struct vmap_purge_record {
	uint32_t areas;
	vaddr_t start, end;    /* bytes: [start, end) */
};
extern struct vmap_purge_record vmap_last_purge;

/*
 * Two operations no kernel has, for replaying a real kernel's decisions
 * (lab/kernel_replay.c).
 * vl_vm_area_claim - a busy VM_ALLOC area at exactly [@addr, @addr +
 * PAGE_ALIGN(@size) + PAGE_SIZE), the guard page last, taken from
 * wherever that space is free (generation 4: pooled areas overlapping it
 * go back to the tree first), as allocated by the calling CPU (its node).
 * Returns it, or NULL with errno = EINVAL (@size 0, @addr not
 * page-aligned, wrap) or ENOMEM (the space is not all free).  Never BUGs.
 * vl_vm_area_undo - take back an area __get_vm_area_node() just returned,
 * as if never allocated: its space goes back where it came from
 * (generation 4: to its pool's head), with no flush and no lazy freeing;
 * @vm is freed.  Its PTEs must be clear (it was never mapped).
 */
struct vm_struct *vl_vm_area_claim(uint32_t size, vaddr_t addr);
void vl_vm_area_undo(struct vm_struct *vm);

/*
 * vl_vmap_lazy_covers - true when @va lies in a lazily freed area, where a
 * TLB may legally still hold a translation (for the checker).
 */
bool vl_vmap_lazy_covers(vaddr_t va);

/*
 * vl_vmalloc_check - the running generation's own invariants (see
 * core/vmalloc_gen.h): NULL, or what is wrong, written into @why.
 */
const char *vl_vmalloc_check(char *why, size_t len);

/*
 * vl_vmalloc_init - empty areas of the generation vl.vmalloc, every lock
 * unlocked (a BUG may have longjmped out with one held); from vl_boot().
 * BUGs when the host has no memory for generation 3's first free block.
 */
void vl_vmalloc_init(void);
/*
 * vl_vmalloc_exit - from vl_shutdown(): unlock every lock as
 * vl_vmalloc_init() does, then unmap and free every busy area (array
 * areas included), the frames of VM_ALLOC areas and their page arrays,
 * and every vmap_area.  vmap()ed frames stay with their owner.
 */
void vl_vmalloc_exit(void);

#endif
