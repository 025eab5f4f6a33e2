/* FIXMAP and kmap_atomic: 2.6.12 i386 fixmap.h / highmem.c, ARM 2.6.28+. */
#ifndef VL_FIXMAP_H
#define VL_FIXMAP_H

#include "types.h"

enum km_type {
	KM_BOUNCE_READ, KM_SKB_SUNRPC_DATA, KM_SKB_DATA_SOFTIRQ, KM_USER0,
	KM_USER1, KM_BIO_SRC_IRQ, KM_BIO_DST_IRQ, KM_PTE0, KM_PTE1, KM_IRQ0,
	KM_IRQ1, KM_SOFTIRQ0, KM_SOFTIRQ1, KM_TYPE_NR_ENUM
};
/* "KM_USER0" -> KM_USER0; -1 if unknown.  vl_km_name(): the reverse, NULL
 * for a type >= KM_TYPE_NR. */
int vl_km_type(const char *name);
const char *vl_km_name(enum km_type type);

/*
 * __fix_to_virt / __virt_to_fix - slot index (pages from the fixmap's
 * base) <-> kernel address (bytes; __virt_to_fix ignores the offset in the
 * page), in the layout's direction: i386 FIXADDR_TOP - idx * PAGE_SIZE,
 * ARM FIXADDR_START + idx * PAGE_SIZE.  No range check and no failure,
 * like the 2.6.12 i386 / ARM macros.
 */
vaddr_t __fix_to_virt(uint32_t idx);
uint32_t __virt_to_fix(vaddr_t va);
/* fix_to_virt - __fix_to_virt(); BUGs on idx >= __end_of_fixed_addresses. */
vaddr_t fix_to_virt(uint32_t idx);
/*
 * virt_to_fix - __virt_to_fix(); BUGs on an address outside
 * [FIXADDR_START, FIXADDR_TOP) (so on i386 also FIX_HOLE and the boot-time
 * slots below FIXADDR_START, as in 2.6.12).
 */
uint32_t virt_to_fix(vaddr_t va);
/*
 * vl_fix_index - the index of an enum fixed_addresses name of the running
 * layout ("FIX_APIC_BASE"), or of the generic FIX_KMAP_BEGIN, FIX_KMAP_END,
 * __end_of_permanent_fixed_addresses, __end_of_fixed_addresses; -1 if none.
 */
int vl_fix_index(const char *name);

/*
 * __set_fixmap - point slot @idx at physical address @phys with @prot
 * (prot 0 clears it) and flush that page on the calling CPU.  BUGs on
 * idx >= __end_of_fixed_addresses.  2.6.12 i386 __set_fixmap().
 */
void __set_fixmap(uint32_t idx, phys_addr_t phys, pgprot_t prot);
/* set_fixmap / set_fixmap_nocache / clear_fixmap: __set_fixmap() with
 * PAGE_KERNEL, PAGE_KERNEL_NOCACHE, 0.  Same BUGs.  2.6.12 i386. */
void set_fixmap(uint32_t idx, phys_addr_t phys);
void set_fixmap_nocache(uint32_t idx, phys_addr_t phys);
void clear_fixmap(uint32_t idx);

/*
 * kmap_atomic - map @page in the calling CPU's slot for @type:
 * idx = type + KM_TYPE_NR * cpu, va = __fix_to_virt(FIX_KMAP_BEGIN + idx);
 * write the PTE, flush that one TLB entry (calling CPU only).  Lowmem: the
 * direct address, nothing else.  Returns the address; never fails.
 * BUGs (debug on) when the slot's PTE is still set, and always on a type
 * >= KM_TYPE_NR or an index past FIX_KMAP_END (a CPU beyond the layout's
 * NR_CPUS).  2.6.12 i386 kmap_atomic().
 */
vaddr_t kmap_atomic(struct page *page, enum km_type type);
/*
 * kunmap_atomic - debug on: BUGs on a bad type or unless @va (any byte of
 * the page) is the slot of (type, calling cpu), then clears the PTE and
 * flushes that entry.  Debug off: nothing (the PTE stays).  Addresses
 * below FIXADDR_START (lowmem) are ignored.  2.6.12 i386 kunmap_atomic().
 */
void kunmap_atomic(vaddr_t va, enum km_type type);
/*
 * kmap_atomic_pfn - as kmap_atomic for a raw frame number, always through
 * the slot (no lowmem shortcut) and, as in 2.6.12, without the debug check
 * of a still-set PTE.  BUGs on a bad type or an index past FIX_KMAP_END.
 */
vaddr_t kmap_atomic_pfn(uint32_t pfn, enum km_type type);
/*
 * kmap_atomic_to_page - the page behind @va: direct map arithmetic below
 * FIXADDR_START, else read back from the slot's PTE.  NULL if the slot is
 * not mapped.  BUGs (virt_to_fix) at or above FIXADDR_TOP, and (pte_page)
 * when the slot's PTE maps a pfn outside mem_map.  2.6.12 i386.
 */
struct page *kmap_atomic_to_page(vaddr_t va);

/*
 * vl_fixmap_init - from vl_boot: page tables for every fixed slot and the
 * whole [FIXADDR_START, FIXADDR_TOP) window (2.6.12 i386 fixrange_init).
 * BUGs when no page table can be had, as the kernel panics at boot.
 */
void vl_fixmap_init(void);
/* vl_fixmap_exit - from vl_shutdown; the page tables go with the MMU. */
void vl_fixmap_exit(void);

#endif
