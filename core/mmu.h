/* Software MMU: kernel page tables, per-CPU TLBs, access through them. */
#ifndef VL_MMU_H
#define VL_MMU_H

#include "types.h"

/*
 * vl_pte_lookup - the PTE slot for @va in the kernel page tables, or NULL
 * when no page table covers @va (pmd_none).  Like pte_offset_kernel().
 */
pte_t *vl_pte_lookup(vaddr_t va);

/*
 * pte_alloc_kernel - the PTE slot for @va, allocating the page table from
 * lowmem on demand (counted in pt_pages).  Returns NULL (ENOMEM) when no
 * frame is left.  Page tables are never freed while the machine runs, as
 * in the kernel's vmalloc space.
 */
pte_t *pte_alloc_kernel(vaddr_t va);

/* set_pte / pte_clear: write one PTE (counted). */
void set_pte(pte_t *ptep, pte_t pte);
void pte_clear(pte_t *ptep);

/*
 * flush_tlb_one - drop @va from the calling CPU's TLB only (i386
 * __flush_tlb_one, ARM local_flush_tlb_kernel_page).
 */
void flush_tlb_one(vaddr_t va);
/*
 * flush_tlb_kernel_range - drop [start, end) (bytes, page-aligned) from
 * every CPU's TLB; counts one range flush of (end-start)/PAGE_SIZE pages.
 */
void flush_tlb_kernel_range(vaddr_t start, vaddr_t end);

/*
 * vl_translate - resolve @va on the calling CPU: direct map, else TLB,
 * else a table walk that fills the TLB.  Stale TLB entries are honoured,
 * which is what makes a missing flush visible.  Returns 0 and the frame's
 * page, or -EFAULT when @va is not mapped.  BUGs (pte_page) when the PTE
 * maps a pfn outside mem_map.
 */
int vl_translate(vaddr_t va, struct page **page);

/*
 * vl_read / vl_write - copy @len bytes through kernel virtual addresses on
 * the calling CPU, page by page.  Return 0 or -EFAULT (nothing beyond the
 * faulting page is touched).
 */
int vl_read(vaddr_t va, void *buf, uint32_t len);
int vl_write(vaddr_t va, const void *buf, uint32_t len);

/* The TLB entry the calling CPU holds for @va (0 if none). For checks. */
pte_t vl_tlb_peek(uint32_t cpu, vaddr_t va);

/*
 * vl_for_each_pte - call @fn for every PTE slot of every allocated page
 * table whose page overlaps [start, end) (bytes; end 0xFFFFFFFF reaches
 * the top page), in address order.  Stops and returns the first non-zero
 * value @fn returns, else 0.  No kernel counterpart (the checker's walk).
 */
int vl_for_each_pte(vaddr_t start, vaddr_t end,
		    int (*fn)(vaddr_t va, pte_t pte, void *arg), void *arg);
/*
 * vl_pte_vaddr - the address a PTE slot of the kernel page tables maps
 * (the inverse of vl_pte_lookup), or 0 if @ptep is in no page table.
 */
vaddr_t vl_pte_vaddr(const pte_t *ptep);
/* vl_for_each_set_pte - the same, skipping pte_none() slots. */
int vl_for_each_set_pte(vaddr_t start, vaddr_t end,
			int (*fn)(vaddr_t va, pte_t pte, void *arg), void *arg);
/* vl_for_each_tlb - same over every valid TLB entry of every CPU. */
int vl_for_each_tlb(int (*fn)(uint32_t cpu, vaddr_t va, pte_t pte, void *arg),
		    void *arg);

void vl_mmu_init(void);  /* called by vl_boot: empty tables and TLBs */
void vl_mmu_exit(void);

#endif
