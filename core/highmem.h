/* PKMAP (kmap/kunmap) and the hashed page_address(), Linux 2.6.12 mm/highmem.c. */
#ifndef VL_HIGHMEM_H
#define VL_HIGHMEM_H

#include <pthread.h>
#include "machine.h"

#define PKMAP_ADDR(nr) (vl.layout->pkmap_base + ((uint32_t)(nr) << PAGE_SHIFT))
#define PKMAP_NR(va) (((va) - vl.layout->pkmap_base) >> PAGE_SHIFT)
#define LAST_PKMAP (vl.layout->last_pkmap)
#define LAST_PKMAP_MASK (LAST_PKMAP - 1u)
#define PA_HASH_ORDER 7u

/*
 * State, with the kernel's names.  Guarded by kmap_lock, which callers of
 * map_new_virtual()/flush_all_zero_pkmaps() take themselves.  A BUG that
 * pkmap.c raises with kmap_lock held releases it first; one raised deeper
 * (set_page_address(), pte_page() inside flush_all_zero_pkmaps()) leaves it
 * held, and the next vl_boot() makes it anew.
 */
extern int pkmap_count[LAST_PKMAP_MAX];
extern uint32_t last_pkmap_nr;
extern pthread_mutex_t kmap_lock;

/*
 * kmap - map @page for a while.  Lowmem: its direct address, nothing else.
 * Highmem: kmap_high().  May sleep until a kunmap() frees a slot.
 * Returns the address, or 0 with errno = EDEADLK when every counted thread
 * would sleep (see vl_thread_enter).  BUGs as kmap_high().  Reproduces
 * 2.6.12 kmap() (i386).
 */
vaddr_t kmap(struct page *page);
/* kunmap - undo kmap(); lowmem pages: nothing.  BUGs as kunmap_high().
 * 2.6.12 kunmap() (i386). */
void kunmap(struct page *page);

/*
 * kmap_high - under kmap_lock: reuse the page's PKMAP address or take a new
 * one with map_new_virtual(), then pkmap_count[nr]++.  BUGs on a lowmem
 * page and if the count is then below 2.  Returns the address, or 0 with
 * errno = EDEADLK as kmap().  2.6.12.
 */
vaddr_t kmap_high(struct page *page);
/*
 * kunmap_high - --pkmap_count[nr]; wakes sleepers when it reaches 1 (the
 * slot can come free at the next wrap), never while it stays above.  BUGs
 * when @page has no PKMAP address (a lowmem page, or a highmem page not
 * kmapped since the last wrap) or the count would reach 0.  2.6.12.
 */
void kunmap_high(struct page *page);

/*
 * map_new_virtual - find a slot with count 0 scanning from last_pkmap_nr+1,
 * running flush_all_zero_pkmaps() at each wrap; sleep when none, and after
 * a wake-up return the page's address if another thread mapped it.  Called
 * with kmap_lock held.  Returns the new address (count 1, PTE written,
 * address hashed), or 0 with errno = EDEADLK.  BUGs as
 * flush_all_zero_pkmaps().  2.6.12.
 */
vaddr_t map_new_virtual(struct page *page);

/*
 * flush_all_zero_pkmaps - every slot at count 1 goes to 0: PTE cleared
 * (BUG if it was not present or maps no frame of mem_map), hash entry
 * removed (BUG if the frame is lowmem); then one flush_tlb_kernel_range()
 * over the whole PKMAP window (LAST_PKMAP pages).  Called with kmap_lock.
 * Never fails.  2.6.12.
 */
void flush_all_zero_pkmaps(void);

/*
 * page_address - the kernel address of @page: lowmem arithmetic, or the
 * PKMAP address recorded in the 128-bucket hash; 0 if a highmem page is
 * not mapped.  Never BUGs.  2.6.12 mm/highmem.c (WANT_PAGE_VIRTUAL unset).
 */
vaddr_t page_address(const struct page *page);
/*
 * set_page_address - record (@virt != 0) or forget (@virt == 0) the PKMAP
 * address of a highmem page.  Entries come from a pool of LAST_PKMAP;
 * BUGs when the pool is empty or @page is lowmem.  Forgetting a page that
 * has no entry does nothing.  2.6.12 mm/highmem.c.
 */
void set_page_address(struct page *page, vaddr_t virt);
/* Unused entries left in the set_page_address() pool (0..LAST_PKMAP). */
uint32_t vl_page_address_pool_free(void);
/*
 * vl_page_address_for_each - call @fn for every entry of the hash, bucket
 * by bucket (each under its lock), with the bucket it sits in.  Stops at
 * and returns the first non-zero value @fn returns.  For checks.
 */
int vl_page_address_for_each(int (*fn)(const struct page *page, vaddr_t virt,
					 uint32_t bucket, void *arg), void *arg);
/*
 * hash_ptr - 32-bit linux/hash.h: the top @bits (1..32) bits of
 * @ptr * 0x9e370001.
 * page_address() hashes vl_page_kva(page), the simulated address of the
 * struct page, so buckets never depend on host pointers.
 */
uint32_t hash_ptr(vaddr_t ptr, uint32_t bits);
/* page_address_init - empty buckets, full pool; from vl_pkmap_init(). */
void page_address_init(void);

/*
 * Threads that may call kmap()/kunmap(): the booting thread counts as one;
 * others call vl_thread_enter() first and vl_thread_exit() when done.  A
 * kmap() that would sleep while every counted thread sleeps in kmap() gets
 * EDEADLK instead of hanging.  vl_thread_enter returns -EINVAL for a bad cpu.
 */
int vl_thread_enter(uint32_t cpu);
void vl_thread_exit(void);
uint32_t vl_threads_alive(void);

/*
 * vl_pkmap_init - from vl_boot: empty PKMAP state and hash, and the page
 * tables of the PKMAP window (2.6.12 i386 permanent_kmaps_init).  BUGs
 * when no page table can be had, as the kernel panics at boot.
 */
void vl_pkmap_init(void);
/* vl_pkmap_exit - from vl_shutdown; the page tables go with the MMU. */
void vl_pkmap_exit(void);

#endif
