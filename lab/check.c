/*
 * vl_check_all(): the invariants of docs/allocators.md, checked
 * from the outside through the state the allocators export under their
 * kernel names.  Meant to run between operations (no lock is taken
 * except page_address()'s bucket locks).  It bumps no event counter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fixmap.h"
#include "highmem.h"
#include "mmu.h"
#include "physmem.h"
#include "track.h"
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

/*
 * 2.6.12 __vmalloc: an area of more than 1024 pages keeps its array of
 * 4-byte page pointers in a listed VM_ALLOC area of its own, sized to
 * the array plus a guard page and filled with its frames; a smaller one
 * (kmalloc'ed array) and an array area itself have none.
 */
static const char *check_pages_area(const struct vm_struct *a)
{
	uint32_t bytes = PAGE_ALIGN(a->nr_pages * 4u);
	const struct vm_struct *t = vl_vm_first();

	if (!a->pages_area)
		return a->pages && a->nr_pages > PAGE_SIZE / 4u
		       ? fail("area 0x%08x: %u pages but no area for its page array",
			      a->addr, a->nr_pages)
		       : NULL;
	if (a->nr_pages <= PAGE_SIZE / 4u)
		return fail("area 0x%08x: %u pages with an array area 0x%08x",
			    a->addr, a->nr_pages, a->pages_area);
	while (t && t->addr != a->pages_area)
		t = vl_vm_next(t);
	if (!t || !(t->flags & VM_ALLOC) || t->size != bytes + PAGE_SIZE ||
	    t->nr_pages != bytes >> PAGE_SHIFT || t->pages_area)
		return fail("area 0x%08x: its page array's area 0x%08x is not a "
			    "listed %u-page VM_ALLOC area", a->addr, a->pages_area,
			    bytes >> PAGE_SHIFT);
	return NULL;
}

/*
 * The running generation's own invariants (vl_vmalloc_check: where the
 * lazily freed areas sit, that nothing overlaps), then the lazily freed
 * areas: exactly the pages vmap_lazy_nr counts, no vm_struct left; then
 * every busy area in address order.
 */
static const char *check_lazy(void)
{
	uint64_t pages = 0;

	for (const struct vmap_area *va = vmap_purge_list; va; va = va->purge_next) {
		if (va->vm)
			return fail("lazily freed 0x%08x-0x%08x still has its vm_struct",
				    va->va_start, va->va_end);
		pages += (va->va_end - va->va_start) >> PAGE_SHIFT;
	}
	if (pages != vmap_lazy_nr)
		return fail("vmap_lazy_nr is %u, the purge list holds %llu pages",
			    vmap_lazy_nr, (unsigned long long)pages);
	return NULL;
}

static const char *check_vmlist(void)
{
	const struct vl_layout *l = vl.layout;
	const char *why;
	uint64_t prev_end = l->vmalloc_start;

	if (vl_vmalloc_check(verdict, sizeof(verdict)) || (why = check_lazy()))
		return verdict;
	for (const struct vm_struct *a = vl_vm_first(); a; a = vl_vm_next(a)) {
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
		if ((why = check_area_ptes(a)) || (why = check_pages_area(a)))
			return why;
		prev_end = end;
	}
	return NULL;
}

/* Nothing mapped in the window outside an area: PTEs come in address
 * order, so one cursor walks the sorted busy areas alongside. */
static int stray_pte(vaddr_t va, pte_t pte, void *arg)
{
	const struct vm_struct **cur = arg;

	while (*cur && (*cur)->addr + (*cur)->size <= va)
		*cur = vl_vm_next(*cur);
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

/*
 * A TLB entry must match its PTE, except in a lazily freed area: until
 * the purge flushes it, a CPU may still hold the translation (the point
 * of lazy freeing); after the purge the area is free and it may not.
 */
static int stale_tlb(uint32_t cpu, vaddr_t va, pte_t pte, void *arg)
{
	pte_t now = pte_at(va);

	(void)arg;
	if (now != pte && !(pte_none(now) && vl_vmap_lazy_covers(va))) {
		fail("cpu%u TLB holds 0x%08x for 0x%08x, PTE is 0x%08x", cpu, pte, va, now);
		return 1;
	}
	return 0;
}

const char *vl_check_all(void)
{
	const struct vl_layout *l = vl.layout;
	const struct vm_struct *cursor = vl_vm_first();
	const char *why;

	if ((why = check_pkmap()) || (why = check_vmlist()))
		return why;
	if (vl_for_each_set_pte(l->vmalloc_start, l->vmalloc_end, stray_pte, &cursor) ||
	    vl_for_each_set_pte(0, 0xFFFFFFFFu, pte_to_free_frame, NULL) ||
	    vl_for_each_tlb(stale_tlb, NULL))
		return verdict;
	return NULL;
}

/*
 * Incremental checking.  Between two calls, an operation can break an
 * invariant only where it changed something: a PTE it wrote (logged by
 * set_pte/pte_clear), a frame it freed (logged by __free_page), a
 * pkmap_count entry (logged by kmap, kunmap and the flush), the vmlist.
 * vl_check_step() looks exactly there, against shadows of the state it
 * last saw whole.
 */
static struct {
	int count[LAST_PKMAP_MAX];    /* pkmap_count at the last check */
	uint32_t used;                /* slots with a count above 0 */
	uint32_t *refs;               /* per mem_map index: PTEs mapping it */
	uint32_t nr_refs;             /* entries allocated */
	struct area_shadow {
		const struct vm_struct *a;
		vaddr_t addr;
		uint32_t size, nr_pages;
	} *areas;
	uint32_t nr_areas, cap_areas;
} sh;

static bool maps_frame(pte_t pte)
{
	return pte_present(pte) && pfn_valid(pte_pfn(pte));
}

static uint32_t frame_of(pte_t pte)
{
	return (uint32_t)(pfn_to_page(pte_pfn(pte)) - mem_map);
}

static int count_ref(vaddr_t va, pte_t pte, void *arg)
{
	(void)va;
	(void)arg;
	if (maps_frame(pte))
		sh.refs[frame_of(pte)]++;
	return 0;
}

/* refs[] all zero, for every frame of this machine. */
static bool clear_refs(void)
{
	/* sized for the largest machine yet: layouts alternate in the fuzzers */
	if (sh.nr_refs < vl_nr_pages) {
		free(sh.refs);
		sh.refs = malloc(vl_nr_pages * sizeof(*sh.refs));
		sh.nr_refs = sh.refs ? vl_nr_pages : 0;
	}
	if (sh.refs)
		memset(sh.refs, 0, vl_nr_pages * sizeof(*sh.refs));
	return sh.refs != NULL;
}

static bool shadow_areas(void)
{
	uint32_t n = 0;

	for (const struct vm_struct *a = vl_vm_first(); a; a = vl_vm_next(a), n++) {
		if (n == sh.cap_areas) {
			uint32_t cap = sh.cap_areas ? 2 * sh.cap_areas : 64;
			struct area_shadow *p = realloc(sh.areas, cap * sizeof(*p));

			if (!p)
				return false;
			sh.areas = p;
			sh.cap_areas = cap;
		}
		sh.areas[n] = (struct area_shadow){ a, a->addr, a->size, a->nr_pages };
	}
	sh.nr_areas = n;
	return true;
}

/* Shadows from the whole machine, after a full check. */
static const char *resync(void)
{
	if (!clear_refs() || !shadow_areas())
		return fail("no host memory for the incremental checker's shadows");
	vl_for_each_set_pte(0, 0xFFFFFFFFu, count_ref, NULL);
	memcpy(sh.count, pkmap_count, sizeof(sh.count));
	sh.used = 0;
	for (uint32_t nr = 0; nr < LAST_PKMAP; nr++)
		sh.used += pkmap_count[nr] > 0;
	return NULL;
}

const char *vl_check_track_start(void)
{
	const char *why = vl_check_all();

	if (why || (why = resync()))
		return why;
	vl_track_start();
	return NULL;
}

static bool in_pkmap(vaddr_t va)
{
	return va >= vl.layout->pkmap_base && PKMAP_NR(va) < LAST_PKMAP;
}

/* The page a rewritten PKMAP slot used to map must have left the hash or
 * moved to a slot that maps it. */
static const char *check_unhashed(pte_t old, vaddr_t va)
{
	struct page *page = pfn_to_page(pte_pfn(old));
	vaddr_t now = page_address(page);

	if (now == va && pte_pfn(pte_at(va)) != pte_pfn(old))
		return fail("pfn 0x%x still hashed at 0x%08x after its slot was rewritten",
			    pte_pfn(old), va);
	if (now && now != va && (!in_pkmap(now) || pte_pfn(pte_at(now)) != pte_pfn(old)))
		return fail("pfn 0x%x hashed at 0x%08x, which does not map it", pte_pfn(old), now);
	return NULL;
}

/* One PTE of the vmalloc window against the area that holds it. */
static const char *check_window_pte(vaddr_t va, pte_t pte)
{
	for (const struct vm_struct *a = vl_vm_first(); a; a = vl_vm_next(a))
		if (va >= a->addr && va < a->addr + a->size) {
			struct area_walk w = { .a = a };

			return check_area_pte(va, pte, &w) ? verdict : NULL;
		}
	return pte_none(pte) ? NULL : fail("PTE 0x%08x at 0x%08x is in no vmalloc area", pte, va);
}

static const char *check_stale_tlbs(vaddr_t va)
{
	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++) {
		pte_t tlb = vl_tlb_peek(cpu, va);

		if (tlb && stale_tlb(cpu, va, tlb, NULL))
			return verdict;
	}
	return NULL;
}

/* A logged PTE write: references, TLBs, the window it lies in. */
static const char *check_pte_write(const struct vl_pte_write *w)
{
	const struct vl_layout *l = vl.layout;
	vaddr_t va = vl_pte_vaddr(w->ptep);
	const char *why;

	if (maps_frame(w->old))
		sh.refs[frame_of(w->old)]--;
	if (maps_frame(w->new))
		sh.refs[frame_of(w->new)]++;
	if ((why = check_stale_tlbs(va)))
		return why;
	if (in_pkmap(va)) {
		uint32_t dummy = 0;

		if (check_pkmap_slot(va, pte_at(va), &dummy))
			return verdict;
		return maps_frame(w->old) && PageHighMem(pfn_to_page(pte_pfn(w->old)))
			? check_unhashed(w->old, va) : NULL;
	}
	if (va >= l->vmalloc_start && va < l->vmalloc_end)
		return check_window_pte(va, pte_at(va));
	return NULL;
}

/* A free frame some PTE maps: allowed only where pte_may_be_stale(). */
static const char *check_free_frame(uint32_t idx)
{
	const struct page *page = &mem_map[idx];
	uint32_t allowed = 0;
	vaddr_t va;

	if (!(page->flags & PG_free) || !sh.refs[idx])
		return NULL;
	if (PageHighMem(page) && (va = page_address(page)) && in_pkmap(va) &&
	    pkmap_count[PKMAP_NR(va)] == 1 && pte_pfn(pte_at(va)) == page_to_pfn(page))
		allowed = 1;
	if (sh.refs[idx] == allowed && vl.debug)
		return NULL;
	/* rare: let the full walk name the PTE */
	if (vl_for_each_set_pte(0, 0xFFFFFFFFu, pte_to_free_frame, NULL))
		return verdict;
	return NULL;
}

/* The slots whose count was written since the last check (the count log
 * of kmap, kunmap and the flush), against the shadow. */
static const char *check_moved_counts(void)
{
	uint32_t dummy = 0;

	for (uint32_t i = 0; i < vl_track.nr_counts; i++) {
		uint32_t nr = vl_track.counts[i];

		if (pkmap_count[nr] == sh.count[nr])
			continue;
		sh.used += (pkmap_count[nr] > 0) - (sh.count[nr] > 0);
		sh.count[nr] = pkmap_count[nr];
		if (check_pkmap_slot(PKMAP_ADDR(nr), pte_at(PKMAP_ADDR(nr)), &dummy))
			return verdict;
	}
	return NULL;
}

static const char *check_changed_slots(void)
{
	const char *why = check_moved_counts();

	if (why)
		return why;
	if (last_pkmap_nr >= LAST_PKMAP)
		return fail("last_pkmap_nr %u >= LAST_PKMAP", last_pkmap_nr);
	if (vl_page_address_pool_free() != LAST_PKMAP - sh.used)
		return fail("page_address pool has %u free entries, %u slots mapped",
			    vl_page_address_pool_free(), sh.used);
	return NULL;
}

/* The busy areas' order and bounds, the generation's and the lazy
 * invariants; the PTEs of areas new since last time. */
static const char *check_vmlist_step(void)
{
	const struct vl_layout *l = vl.layout;
	uint64_t prev_end = l->vmalloc_start;
	uint32_t s = 0;
	const char *why;

	if (vl_vmalloc_check(verdict, sizeof(verdict)) || (why = check_lazy()))
		return verdict;
	for (const struct vm_struct *a = vl_vm_first(); a; a = vl_vm_next(a)) {
		uint64_t end = (uint64_t)a->addr + a->size;
		bool known;

		if ((a->addr | a->size) & ~PAGE_MASK || a->size < 2 * PAGE_SIZE)
			return fail("area 0x%08x: size %u not pages plus a guard", a->addr, a->size);
		if (a->addr < prev_end || end > l->vmalloc_end)
			return fail("area 0x%08x+0x%x overlaps, is out of order or leaves the window",
				    a->addr, a->size);
		if (a->nr_pages > (a->size >> PAGE_SHIFT) - 1)
			return fail("area 0x%08x: %u pages in %u bytes", a->addr, a->nr_pages, a->size);
		while (s < sh.nr_areas && sh.areas[s].addr < a->addr)
			s++;
		known = s < sh.nr_areas && sh.areas[s].a == a && sh.areas[s].addr == a->addr &&
			sh.areas[s].size == a->size && sh.areas[s].nr_pages == a->nr_pages;
		if (!known && ((why = check_area_ptes(a)) || (why = check_pages_area(a))))
			return why;
		prev_end = end;
	}
	return shadow_areas() ? NULL : fail("no host memory for the area shadow");
}

static const char *check_logged(void)
{
	const char *why;

	if (vl_track.overflow)
		return (why = vl_check_all()) ? why : resync();
	for (uint32_t i = 0; i < vl_track.nr_ptes; i++)
		if ((why = check_pte_write(&vl_track.ptes[i])))
			return why;
	for (uint32_t i = 0; i < vl_track.nr_ptes; i++)
		if (maps_frame(vl_track.ptes[i].new) &&
		    (why = check_free_frame(frame_of(vl_track.ptes[i].new))))
			return why;
	for (uint32_t i = 0; i < vl_track.nr_frees; i++)
		if ((why = check_free_frame(vl_track.frees[i])))
			return why;
	if ((why = check_changed_slots()))
		return why;
	return check_vmlist_step();
}

const char *vl_check_step(void)
{
	const char *why;

	if (!vl_track.on)
		return vl_check_all();
	why = check_logged();
	vl_track_clear();
	return why;
}
