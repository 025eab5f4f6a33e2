/*
 * Fixed mappings and kmap_atomic(): 2.6.12 include/asm-i386/fixmap.h and
 * arch/i386/mm/highmem.c.  Slots grow down from FIXADDR_TOP on i386 and
 * up from FIXADDR_START on ARM.  Each CPU owns KM_TYPE_NR slots from
 * FIX_KMAP_BEGIN on; a CPU the layout's enum has no slots for is a BUG,
 * never a write into the slots that follow FIX_KMAP_END.
 */
#include <string.h>
#include "fixmap.h"
#include "machine.h"
#include "mmu.h"
#include "physmem.h"

_Static_assert(KM_TYPE_NR_ENUM == KM_TYPE_NR, "enum km_type and KM_TYPE_NR differ");

static const char *const km_names[KM_TYPE_NR] = {
	"KM_BOUNCE_READ", "KM_SKB_SUNRPC_DATA", "KM_SKB_DATA_SOFTIRQ",
	"KM_USER0", "KM_USER1", "KM_BIO_SRC_IRQ", "KM_BIO_DST_IRQ",
	"KM_PTE0", "KM_PTE1", "KM_IRQ0", "KM_IRQ1", "KM_SOFTIRQ0",
	"KM_SOFTIRQ1",
};

int vl_km_type(const char *name)
{
	for (uint32_t t = 0; t < KM_TYPE_NR; t++)
		if (strcmp(km_names[t], name) == 0)
			return (int)t;
	return -1;
}

const char *vl_km_name(enum km_type type)
{
	return (uint32_t)type < KM_TYPE_NR ? km_names[type] : NULL;
}

vaddr_t __fix_to_virt(uint32_t idx)
{
	const struct vl_layout *l = vl.layout;

	if (l->fixmap_grows_down)
		return l->fixaddr_top - (idx << PAGE_SHIFT);
	return l->fixaddr_start + (idx << PAGE_SHIFT);
}

uint32_t __virt_to_fix(vaddr_t va)
{
	const struct vl_layout *l = vl.layout;

	if (l->fixmap_grows_down)
		return (l->fixaddr_top - (va & PAGE_MASK)) >> PAGE_SHIFT;
	return (va - l->fixaddr_start) >> PAGE_SHIFT;
}

vaddr_t fix_to_virt(uint32_t idx)
{
	if (idx >= vl.layout->end_of_fixed)
		vl_bug(__func__, "index %u past __end_of_fixed_addresses", idx);
	return __fix_to_virt(idx);
}

uint32_t virt_to_fix(vaddr_t va)
{
	if (va < vl.layout->fixaddr_start || va >= vl.layout->fixaddr_top)
		vl_bug(__func__, "0x%08x outside the fixmap", va);
	return __virt_to_fix(va);
}

int vl_fix_index(const char *name)
{
	return vl_layout_fix_index(vl.layout, name);
}

void __set_fixmap(uint32_t idx, phys_addr_t phys, pgprot_t prot)
{
	vaddr_t va = fix_to_virt(idx);
	pte_t *ptep = vl_pte_lookup(va);

	if (prot)
		set_pte(ptep, pfn_pte(phys >> PAGE_SHIFT, prot));
	else
		pte_clear(ptep);
	flush_tlb_one(va);
}

void set_fixmap(uint32_t idx, phys_addr_t phys)
{
	__set_fixmap(idx, phys, PAGE_KERNEL);
}

void set_fixmap_nocache(uint32_t idx, phys_addr_t phys)
{
	__set_fixmap(idx, phys, PAGE_KERNEL_NOCACHE);
}

void clear_fixmap(uint32_t idx)
{
	__set_fixmap(idx, 0, 0);
}

/*
 * The fixed index of the calling CPU's slot for @type.  @func names the
 * public caller in BUG messages.
 */
static uint32_t kmap_slot(enum km_type type, const char *func)
{
	const struct vl_layout *l = vl.layout;
	uint32_t idx;

	if ((uint32_t)type >= KM_TYPE_NR)
		vl_bug(func, "bad km_type %u", (uint32_t)type);
	idx = l->fix_kmap_begin + (uint32_t)type + KM_TYPE_NR * smp_processor_id();
	if (idx > FIX_KMAP_END(l))
		vl_bug(func, "index %u past FIX_KMAP_END %u", idx, FIX_KMAP_END(l));
	return idx;
}

/* Point the calling CPU's @type slot at @pfn; @check: BUG if still set. */
static vaddr_t kmap_atomic_slot(uint32_t pfn, enum km_type type, bool check,
				const char *func)
{
	uint32_t idx = kmap_slot(type, func);
	vaddr_t va = __fix_to_virt(idx);
	pte_t *ptep = vl_pte_lookup(va);

	if (check && !pte_none(*ptep))
		vl_bug(func, "fixmap slot %u still mapped", idx);
	set_pte(ptep, pfn_pte(pfn, PAGE_KERNEL));
	flush_tlb_one(va);
	return va;
}

vaddr_t kmap_atomic(struct page *page, enum km_type type)
{
	if (!PageHighMem(page))
		return lowmem_page_address(page);
	return kmap_atomic_slot(page_to_pfn(page), type, vl.debug, __func__);
}

vaddr_t kmap_atomic_pfn(uint32_t pfn, enum km_type type)
{
	return kmap_atomic_slot(pfn, type, false, __func__);
}

void kunmap_atomic(vaddr_t va, enum km_type type)
{
	vaddr_t slot;

	va &= PAGE_MASK;
	if (!vl.debug || va < vl.layout->fixaddr_start)
		return;
	slot = __fix_to_virt(kmap_slot(type, __func__));
	if (va != slot)
		vl_bug(__func__, "0x%08x is not the %s slot of cpu %u", va,
		       km_names[type], smp_processor_id());
	/* make a use after kunmap_atomic fault instead of reading on */
	pte_clear(vl_pte_lookup(va));
	flush_tlb_one(va);
}

struct page *kmap_atomic_to_page(vaddr_t va)
{
	vaddr_t slot;
	pte_t pte;

	if (va < vl.layout->fixaddr_start)
		return vl_virt_to_page(va);
	slot = __fix_to_virt(virt_to_fix(va));
	pte = *vl_pte_lookup(slot);
	return pte_present(pte) ? pte_page(pte, slot) : NULL;
}

void vl_fixmap_init(void)
{
	const struct vl_layout *l = vl.layout;
	uint32_t window = (l->fixaddr_top - l->fixaddr_start) >> PAGE_SHIFT;

	/* i386 puts FIX_HOLE and the boot-time slots outside the window */
	for (uint32_t idx = 0; idx < l->end_of_fixed; idx++)
		if (!pte_alloc_kernel(__fix_to_virt(idx)))
			vl_bug(__func__, "no page table for fixed slot %u", idx);
	for (uint32_t n = 0; n < window; n++)
		if (!pte_alloc_kernel(l->fixaddr_start + (n << PAGE_SHIFT)))
			vl_bug(__func__, "no page table for the fixmap window");
}

void vl_fixmap_exit(void)
{
	/* nothing to release: the page tables go with the MMU */
}
