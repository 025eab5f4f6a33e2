/*
 * vl_check_all(): the invariants of shared/design/allocators.md, checked
 * from the outside through the state the allocators export under their
 * kernel names.  Meant to run between operations (no lock is taken
 * except page_address()'s bucket locks).  It bumps no event counter.
 */
#include <stdarg.h>
#include <stdio.h>
#include "check.h"
#include "fixmap.h"
#include "highmem.h"
#include "mmu.h"
#include "physmem.h"
#include "vmalloc.h"

static char verdict[256];

static const char *fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(verdict, sizeof(verdict), fmt, ap);
	va_end(ap);
	return verdict;
}

static pte_t pte_at(vaddr_t va)
{
	pte_t *p = vl_pte_lookup(va);

	return p ? *p : 0;
}

/* pkmap_count <-> PTE <-> page_address() hash, slot by slot; the slots
 * come from one walk of the PKMAP page table. */
static int check_pkmap_slot(vaddr_t va, pte_t pte, void *arg)
{
	uint32_t nr = PKMAP_NR(va), *used = arg;
	int count = pkmap_count[nr];
	struct page *page;

	if (count < 0)
		return !!fail("pkmap slot %u: pkmap_count %d < 0", nr, count);
	if (count == 0)
		return pte_none(pte) ? 0
			: !!fail("pkmap slot %u: count 0 but PTE 0x%08x set", nr, pte);
	(*used)++;
	if (!pte_present(pte) || !pfn_valid(pte_pfn(pte)))
		return !!fail("pkmap slot %u: count %d but PTE 0x%08x not a page", nr, count, pte);
	page = pfn_to_page(pte_pfn(pte));
	if (!PageHighMem(page))
		return !!fail("pkmap slot %u maps lowmem pfn 0x%x", nr, pte_pfn(pte));
	if (page_address(page) != va)
		return !!fail("pkmap slot %u maps pfn 0x%x whose page_address is 0x%08x",
			      nr, pte_pfn(pte), page_address(page));
	return 0;
}

/* Each hash entry: in its page's bucket, naming a live PKMAP slot that
 * maps that page.  Walks the entries, not every highmem page. */
static int check_hash_entry(const struct page *page, vaddr_t va, uint32_t bucket,
			    void *arg)
{
	uint32_t pfn = page_to_pfn(page), nr = PKMAP_NR(va);

	(void)arg;
	if (hash_ptr(vl_page_kva(page), PA_HASH_ORDER) != bucket) {
		fail("pfn 0x%x: hashed in bucket %u, belongs in %u", pfn, bucket,
		     hash_ptr(vl_page_kva(page), PA_HASH_ORDER));
		return 1;
	}
	if (va < vl.layout->pkmap_base || nr >= LAST_PKMAP) {
		fail("pfn 0x%x: page_address 0x%08x outside PKMAP", pfn, va);
		return 1;
	}
	if (pkmap_count[nr] < 1 || pte_pfn(pte_at(va)) != pfn) {
		fail("pfn 0x%x: hashed at 0x%08x but slot %u does not map it", pfn, va, nr);
		return 1;
	}
	return 0;
}

static const char *check_hash(void)
{
	return vl_page_address_for_each(check_hash_entry, NULL) ? verdict : NULL;
}

static const char *check_pkmap(void)
{
	uint32_t used = 0;

	if (vl_for_each_pte(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP), check_pkmap_slot, &used))
		return verdict;
	if (last_pkmap_nr >= LAST_PKMAP)
		return fail("last_pkmap_nr %u >= LAST_PKMAP", last_pkmap_nr);
	/* one pool entry per mapped slot, no more, no fewer */
	if (vl_page_address_pool_free() != LAST_PKMAP - used)
		return fail("page_address pool has %u free entries, %u slots mapped",
			    vl_page_address_pool_free(), used);
	return check_hash();
}

/* An area's pages in order: pages[i] if it has them, else all mapped or
 * none; then the guard page, never mapped. */
struct area_walk {
	const struct vm_struct *a;
	uint32_t owned_seen;   /* pages[] entries whose PTE the walk met */
};

static int check_area_pte(vaddr_t va, pte_t pte, void *arg)
{
	struct area_walk *w = arg;
	const struct vm_struct *a = w->a;
	uint32_t i = (va - a->addr) >> PAGE_SHIFT;

	if (va == a->addr + a->size - PAGE_SIZE)
		return pte_none(pte) ? 0 : !!fail("area 0x%08x: guard page 0x%08x mapped",
						   a->addr, va);
	if (a->pages && i < a->nr_pages) {
		w->owned_seen++;
		if (!pte_present(pte) || pte_pfn(pte) != page_to_pfn(a->pages[i]))
			return !!fail("area 0x%08x: page %u PTE 0x%08x is not pfn 0x%x",
				      a->addr, i, pte, page_to_pfn(a->pages[i]));
	} else if (pte_present(pte) != pte_present(pte_at(a->addr))) {
		return !!fail("area 0x%08x: partly mapped at 0x%08x", a->addr, va);
	}
	return 0;
}

static const char *check_area_ptes(const struct vm_struct *a)
{
	struct area_walk w = { .a = a };

	if (vl_for_each_pte(a->addr, a->addr + a->size, check_area_pte, &w))
		return verdict;
	/* the walk skips pages without a table: those map nothing */
	if (a->pages && w.owned_seen != a->nr_pages)
		return fail("area 0x%08x: %u of its %u pages have no page table",
			    a->addr, a->nr_pages - w.owned_seen, a->nr_pages);
	return NULL;
}

static const char *check_vmlist(void)
{
	const struct vl_layout *l = vl.layout;
	const char *why;
	uint64_t prev_end = l->vmalloc_start;

	for (const struct vm_struct *a = vmlist; a; a = a->next) {
		uint64_t end = (uint64_t)a->addr + a->size;

		if ((a->addr | a->size) & ~PAGE_MASK || a->size < 2 * PAGE_SIZE)
			return fail("area 0x%08x: size %u not pages plus a guard",
				    a->addr, a->size);
		if (a->addr < prev_end)
			return fail("area 0x%08x overlaps or is out of order (previous end 0x%08llx)",
				    a->addr, (unsigned long long)prev_end);
		if (end > l->vmalloc_end)
			return fail("area 0x%08x ends at 0x%08llx past VMALLOC_END 0x%08x",
				    a->addr, (unsigned long long)end, l->vmalloc_end);
		if (a->nr_pages > (a->size >> PAGE_SHIFT) - 1)
			return fail("area 0x%08x: %u pages in %u bytes", a->addr,
				    a->nr_pages, a->size);
		if ((why = check_area_ptes(a)))
			return why;
		prev_end = end;
	}
	return NULL;
}

/* Nothing mapped in the window outside an area: PTEs come in address
 * order, so one cursor walks the sorted vmlist alongside. */
static int stray_pte(vaddr_t va, pte_t pte, void *arg)
{
	const struct vm_struct **cur = arg;

	while (*cur && (*cur)->addr + (*cur)->size <= va)
		*cur = (*cur)->next;
	if (!pte_none(pte) &&
	    (!*cur || va < (*cur)->addr || va >= (*cur)->addr + (*cur)->size - PAGE_SIZE)) {
		fail("PTE 0x%08x at 0x%08x is in no vmalloc area", pte, va);
		return 1;
	}
	return 0;
}

/*
 * A PTE may outlive its page where the kernel leaves it on purpose: a
 * PKMAP slot at count 1 (no user, cleared at the next wrap) and, without
 * debug checks, a kmap_atomic slot after kunmap_atomic.
 */
static bool pte_may_be_stale(vaddr_t va)
{
	const struct vl_layout *l = vl.layout;
	uint32_t nr = PKMAP_NR(va), idx;

	if (va >= l->pkmap_base && nr < LAST_PKMAP)
		return pkmap_count[nr] == 1;
	/* every layout keeps its kmap_atomic slots above FIXADDR_START */
	if (vl.debug || va < l->fixaddr_start)
		return false;
	idx = __virt_to_fix(va);
	return idx >= l->fix_kmap_begin && idx <= FIX_KMAP_END(l);
}

static int pte_to_free_frame(vaddr_t va, pte_t pte, void *arg)
{
	(void)arg;
	if (pte_present(pte) && pfn_valid(pte_pfn(pte)) && !pte_may_be_stale(va) &&
	    (pfn_to_page(pte_pfn(pte))->flags & PG_free)) {
		fail("PTE at 0x%08x maps free frame pfn 0x%x", va, pte_pfn(pte));
		return 1;
	}
	return 0;
}

static int stale_tlb(uint32_t cpu, vaddr_t va, pte_t pte, void *arg)
{
	pte_t now = pte_at(va);

	(void)arg;
	if (now != pte) {
		fail("cpu%u TLB holds 0x%08x for 0x%08x, PTE is 0x%08x", cpu, pte, va, now);
		return 1;
	}
	return 0;
}

const char *vl_check_all(void)
{
	const struct vl_layout *l = vl.layout;
	const struct vm_struct *cursor = vmlist;
	const char *why;

	if ((why = check_pkmap()) || (why = check_vmlist()))
		return why;
	if (vl_for_each_pte(l->vmalloc_start, l->vmalloc_end, stray_pte, &cursor) ||
	    vl_for_each_pte(0, 0xFFFFFFFFu, pte_to_free_frame, NULL) ||
	    vl_for_each_tlb(stale_tlb, NULL))
		return verdict;
	return NULL;
}
