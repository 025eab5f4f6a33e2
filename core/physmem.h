/* Physical memory: mem_map[], lowmem and highmem zones, frame allocator. */
#ifndef VL_PHYSMEM_H
#define VL_PHYSMEM_H

#include "types.h"

extern struct page *mem_map;
extern uint32_t vl_nr_pages;     /* frames in mem_map (num_physpages) */
extern uint32_t vl_pfn_offset;   /* ARCH_PFN_OFFSET: pfn of mem_map[0] */

#define page_to_pfn(p) ((uint32_t)((p) - mem_map) + vl_pfn_offset)
#define pfn_to_page(pfn) (&mem_map[(pfn) - vl_pfn_offset])
#define pfn_valid(pfn) ((pfn) >= vl_pfn_offset && (pfn) - vl_pfn_offset < vl_nr_pages)
#define page_to_phys(p) ((phys_addr_t)page_to_pfn(p) << PAGE_SHIFT)

/*
 * pte_page - the page a present PTE (or page-directory entry) maps, the
 * kernel's pte_page(); @va is the address it maps, for the message.
 * Page tables are frames a write through the direct map can reach, so
 * every pfn read from one goes through here: a pfn outside mem_map BUGs,
 * naming the caller, the entry and @va, instead of reading past mem_map.
 */
#define pte_page(pte, va) vl_pte_page((pte), (va), __func__)
static inline struct page *vl_pte_page(pte_t pte, vaddr_t va, const char *func)
{
	if (!pfn_valid(pte_pfn(pte)))
		vl_bug(func, "PTE 0x%08x for 0x%08x: pfn 0x%x outside mem_map", pte, va,
		       pte_pfn(pte));
	return pfn_to_page(pte_pfn(pte));
}

/*
 * alloc_page - take one frame.  __GFP_HIGHMEM prefers the highmem zone and
 * falls back to lowmem, like 2.6.12's zonelists; otherwise lowmem only.
 * Frames come back in a fixed order, so runs are reproducible.
 * Returns NULL when the zones are empty or the fault knob fires.
 */
struct page *alloc_page(gfp_t gfp);

/* __free_page - return a frame.  BUGs on a frame that is already free. */
void __free_page(struct page *page);

/*
 * vl_fail_nth_alloc - fault injection: the @n-th alloc_page() from now
 * (1 = the next one) returns NULL; 0 disarms.  Fires once.
 */
void vl_fail_nth_alloc(uint32_t n);

/* Free frames left in a zone (pages). */
uint32_t vl_free_pages(bool highmem);
/* Frames allocated and not freed, page tables included (pages). */
uint32_t vl_pages_in_use(void);

/*
 * lowmem_page_address - the direct-mapped address of a lowmem page,
 * PAGE_OFFSET + (phys - PHYS_OFFSET).  Returns 0 for a highmem page.
 */
vaddr_t lowmem_page_address(const struct page *page);
/* The page behind a direct-mapped address; NULL if not direct-mapped. */
struct page *vl_virt_to_page(vaddr_t va);

/* Host bytes of a frame: zero until first written. */
uint8_t *vl_page_data(const struct page *page);

/* The simulated kernel address of a struct page, for hash_ptr(). */
vaddr_t vl_page_kva(const struct page *page);

void vl_physmem_init(void);   /* called by vl_boot */
void vl_physmem_exit(void);

#endif
