/* The reference model (see model.h).  Written from the specification in
 * docs/allocators.md, never from the core's code. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define PAGE 4096u

/* ---- frames ---- */

static uint32_t pfn_of(const struct model *m, uint32_t idx)
{
	return idx + (m->l->phys_offset >> 12);
}

static uint32_t idx_of(const struct model *m, uint32_t pfn)
{
	return pfn - (m->l->phys_offset >> 12);
}

static bool is_high_pfn(const struct model *m, uint32_t pfn)
{
	return idx_of(m, pfn) >= m->l->lowmem_pages;
}

/* One frame from a zone: the last freed, else the lowest never used. */
static bool zone_take(struct model_zone *z, uint32_t *idx)
{
	if (z->nfreed) {
		*idx = z->freed[--z->nfreed];
		return true;
	}
	if (z->fresh == z->end)
		return false;
	*idx = z->fresh++;
	return true;
}

/* alloc_page: every request counts toward the fail-alloc knob. */
static bool alloc(struct model *m, bool high, uint32_t *pfn)
{
	uint32_t idx;
	bool fail = m->countdown && --m->countdown == 0;

	if (fail || !((high && zone_take(&m->zone[1], &idx)) || zone_take(&m->zone[0], &idx)))
		return false;
	m->allocs++;
	*pfn = pfn_of(m, idx);
	return true;
}

void model_free_page(struct model *m, uint32_t pfn)
{
	struct model_zone *z = &m->zone[is_high_pfn(m, pfn)];

	if (z->nfreed == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->freed = realloc(z->freed, z->cap * sizeof(*z->freed));
		if (!z->freed)
			abort();
	}
	z->freed[z->nfreed++] = idx_of(m, pfn);
	m->frees++;
}

static uint32_t zone_free(const struct model_zone *z)
{
	return z->end - z->fresh + z->nfreed;
}

uint32_t model_pages_in_use(const struct model *m)
{
	uint32_t total = m->l->lowmem_pages + m->l->highmem_pages;

	return total - zone_free(&m->zone[0]) - zone_free(&m->zone[1]) - (uint32_t)m->pt_pages;
}

/* A page table for @va, from lowmem, unless its PMD has one. */
static bool table_for(struct model *m, vaddr_t va)
{
	uint32_t pmd = va >> m->l->pmd_shift, pfn;

	if (m->has_table[pmd])
		return true;
	if (!alloc(m, false, &pfn))
		return false;
	m->has_table[pmd] = 1;
	m->pt_pages++;
	return true;
}

/* ---- fixmap ---- */

vaddr_t model_fix_addr(const struct model *m, uint32_t idx)
{
	return m->l->fixmap_grows_down ? m->l->fixaddr_top - idx * PAGE
				       : m->l->fixaddr_start + idx * PAGE;
}

static uint32_t fix_index(const struct model *m, vaddr_t va)
{
	va &= ~(PAGE - 1);
	return m->l->fixmap_grows_down ? (m->l->fixaddr_top - va) / PAGE
				       : (va - m->l->fixaddr_start) / PAGE;
}

static vaddr_t direct_addr(const struct model *m, uint32_t pfn)
{
	return m->l->page_offset + idx_of(m, pfn) * PAGE;
}

static uint32_t km_index(const struct model *m, const struct vl_dop *op)
{
	return m->l->fix_kmap_begin + (uint32_t)op->km + KM_TYPE_NR * op->cpu;
}

/* ---- pkmap ---- */

/* The slot mapping a highmem pfn, -1 if none.  A page holds at most one
 * slot, the last one handed to it: pfn_slot remembers which. */
static int slot_of(const struct model *m, uint32_t pfn)
{
	int nr = m->pfn_slot[idx_of(m, pfn) - m->l->lowmem_pages] - 1;

	return nr >= 0 && m->count[nr] >= 1 && m->slot_pfn[nr] == pfn ? nr : -1;
}

void model_flush_pkmaps(struct model *m)
{
	for (uint32_t i = 0; i < m->l->last_pkmap; i++)
		if (m->count[i] == 1)
			m->count[i] = 0;
	m->pkmap_flushes++;
	m->range_flushes++;
}

static int first_free(const struct model *m, uint32_t from)
{
	for (uint32_t i = from; i < m->l->last_pkmap; i++)
		if (m->count[i] == 0)
			return (int)i;
	return -1;
}

/* A free slot after last_pkmap_nr; else wrap: flush, then any free slot. */
static int new_slot(struct model *m)
{
	int nr = first_free(m, m->last + 1);

	if (nr < 0) {
		model_flush_pkmaps(m);
		nr = first_free(m, 0);
	}
	m->last = nr < 0 ? m->l->last_pkmap - 1 : (uint32_t)nr;
	return nr;
}

static void m_kmap(struct model *m, uint32_t pfn, struct vl_dres *w)
{
	int nr;

	if (!is_high_pfn(m, pfn)) {
		w->addr = direct_addr(m, pfn);
		return;
	}
	nr = slot_of(m, pfn);
	if (nr < 0 && (nr = new_slot(m)) >= 0) {
		m->count[nr] = 1;
		m->slot_pfn[nr] = pfn;
		m->pfn_slot[idx_of(m, pfn) - m->l->lowmem_pages] = (uint16_t)(nr + 1);
	}
	if (nr < 0) {
		w->err = EDEADLK;
		return;
	}
	m->count[nr]++;
	m->touched = nr;
	w->addr = m->l->pkmap_base + (uint32_t)nr * PAGE;
}

static void m_kunmap(struct model *m, uint32_t pfn, struct vl_dres *w)
{
	int nr = is_high_pfn(m, pfn) ? slot_of(m, pfn) : -2;

	if (nr == -2)
		return;
	if (nr < 0 || m->count[nr] < 2) {
		w->bugged = true;  /* not kmapped, or the count would reach 0 */
		return;
	}
	m->count[nr]--;
	m->touched = nr;
}

/* ---- vmalloc ---- */

/* get_vm_area: an index into areas[], -errno, or MODEL_PENDING. */
static int get_area(struct model *m, uint32_t size, bool ioremap)
{
	uint64_t full;
	uint32_t i;
	int r;

	if (!size)
		return -EINVAL;
	full = (((uint64_t)size + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + PAGE;
	if (full > 0xFFFFFFFFu)
		return -ENOMEM;
	r = model_place(m, (uint32_t)full, ioremap ? model_ioremap_align(m, size) : 1, &i);
	return r ? r : (int)i;
}

static int find_area(const struct model *m, vaddr_t addr)
{
	for (uint32_t i = 0; i < m->nareas; i++)
		if (m->areas[i].addr == addr && model_area_busy(&m->areas[i]))
			return (int)i;
	return -1;
}

/* remove_vm_area (freed at once or lazily), freeing the frames if
 * @frames, then the area holding its page array, if it has one, the same
 * way. */
static int remove_area(struct model *m, int i, bool frames)
{
	struct model_area a;

	if (i < 0)
		return -EINVAL;
	a = m->areas[i];
	m->areas[i].pfns = NULL;
	model_release(m, (uint32_t)i);
	for (uint32_t p = 0; frames && p < a.npages; p++)
		model_free_page(m, a.pfns[p]);
	free(a.pfns);
	if (frames && a.array)
		remove_area(m, find_area(m, a.array), true);
	return 0;
}

/* Page tables for every page of area @i but the guard. */
static bool map_area(struct model *m, int i, uint32_t npages)
{
	for (uint32_t p = 0; p < npages; p++)
		if (!table_for(m, m->areas[i].addr + p * PAGE))
			return false;
	return true;
}

/* The kernel's page array holds one 4-byte pointer per page; beyond one
 * page of them it is vmalloc'ed itself. */
#define POINTERS_PER_PAGE (PAGE / 4u)

/* vmalloc(@bytes) with highmem frames: 0 and *@addr, or the errno.  The
 * page array's own area (over POINTERS_PER_PAGE pages) comes right after
 * the data area is reserved and before any data frame. */
static int vmalloc_pages(struct model *m, uint32_t bytes, vaddr_t *addr)
{
	uint32_t size = (bytes + PAGE - 1) & ~(PAGE - 1);  /* 32-bit PAGE_ALIGN */
	uint32_t npages = size / PAGE;
	vaddr_t va, array = 0;
	struct model_area *a;
	int i;

	if (!size || npages > m->l->lowmem_pages + m->l->highmem_pages)
		return EINVAL;
	i = get_area(m, size, false);
	if (i < 0)
		return -i;
	va = m->areas[i].addr;
	if (npages > POINTERS_PER_PAGE) {
		int err = vmalloc_pages(m, npages * 4u, &array);

		i = find_area(m, va);  /* the array's area may sit below */
		if (err) {
			remove_area(m, i, false);
			return ENOMEM;
		}
	}
	a = &m->areas[i];
	a->array = array;
	a->pfns = malloc(npages * sizeof(*a->pfns));
	if (!a->pfns)
		abort();
	while (a->npages < npages && alloc(m, true, &a->pfns[a->npages]))
		a->npages++;
	if (a->npages < npages || !map_area(m, i, npages)) {
		remove_area(m, i, true);
		return ENOMEM;
	}
	*addr = va;
	return 0;
}

static void m_vmalloc(struct model *m, uint32_t bytes, struct vl_dres *w)
{
	w->err = vmalloc_pages(m, bytes, &w->addr);
}

static void m_vmap(struct model *m, uint32_t count, struct vl_dres *w)
{
	int i = get_area(m, count * PAGE, false);

	if (i < 0) {
		w->err = -i;
		return;
	}
	if (!map_area(m, i, count)) {
		remove_area(m, i, false);
		w->err = ENOMEM;
		return;
	}
	w->addr = m->areas[i].addr;
}

static void m_get_vm_area(struct model *m, uint32_t size, bool ioremap, struct vl_dres *w)
{
	int i = get_area(m, size, ioremap);

	if (i == MODEL_PENDING)
		return;  /* model_settle() checks the core's answer */
	if (i < 0)
		w->err = -i;
	else
		w->addr = m->areas[i].addr;
}

/* ---- fixmap operations ---- */

static void m_kmap_atomic(struct model *m, const struct vl_dop *op, uint32_t pfn,
			bool by_pfn, struct vl_dres *w)
{
	uint32_t idx = km_index(m, op);

	if (!by_pfn && !is_high_pfn(m, pfn)) {
		w->addr = direct_addr(m, pfn);
		return;
	}
	if (!by_pfn && m->fix_pfn[idx]) {
		w->bugged = true;  /* debug: the slot is still mapped */
		return;
	}
	m->fix_pfn[idx] = pfn + 1;
	w->addr = model_fix_addr(m, idx);
}

static void m_kunmap_atomic(struct model *m, const struct vl_dop *op, vaddr_t va,
			  struct vl_dres *w)
{
	uint32_t idx = km_index(m, op);

	if (va < m->l->fixaddr_start)
		return;
	if ((va & ~(PAGE - 1)) != model_fix_addr(m, idx)) {
		w->bugged = true;
		return;
	}
	m->fix_pfn[idx] = 0;
}

static void atomic_to_page(const struct model *m, vaddr_t va, struct vl_dres *w)
{
	const struct vl_layout *l = m->l;
	uint32_t idx;

	if (va < l->fixaddr_start) {
		w->has_pfn = va >= l->page_offset && (va - l->page_offset) / PAGE < l->lowmem_pages;
		w->pfn = w->has_pfn ? pfn_of(m, (va - l->page_offset) / PAGE) : 0;
		return;
	}
	if (va >= l->fixaddr_top) {
		w->bugged = true;
		return;
	}
	idx = fix_index(m, va);
	w->has_pfn = idx < VL_DECODE_FIX_MAX && m->fix_pfn[idx];
	w->pfn = w->has_pfn ? m->fix_pfn[idx] - 1 : 0;
}

static void fixmap_op(struct model *m, const struct vl_dop *op, uint32_t pfn, struct vl_dres *w)
{
	const struct vl_layout *l = m->l;

	switch (op->kind) {
	case OP_FIX_TO_VIRT:
		w->bugged = op->num >= l->end_of_fixed;
		w->addr = w->bugged ? 0 : model_fix_addr(m, op->num);
		return;
	case OP_VIRT_TO_FIX:
		w->bugged = op->num < l->fixaddr_start || op->num >= l->fixaddr_top;
		w->num = w->bugged ? 0 : fix_index(m, op->num);
		return;
	case OP_SET_FIXMAP:
		m->fix_pfn[op->num] = pfn + 1;
		return;
	default:
		m->fix_pfn[op->num] = 0;
		return;
	}
}

/* Operations whose object is a live page (the others may have none). */
static bool uses_page(enum vl_op_kind kind)
{
	return kind == OP_FREE_PAGE || kind == OP_KMAP || kind == OP_KUNMAP ||
	       kind == OP_KMAP_ATOMIC || kind == OP_KMAP_ATOMIC_PFN || kind == OP_SET_FIXMAP;
}

void model_step(struct model *m, const struct vl_decoder *d,
		const struct vl_dop *op, struct vl_dres *w)
{
	const struct vl_dobj *o = &d->obj[op->obj];
	uint32_t pfn = uses_page(op->kind) ? page_to_pfn(o->page) : 0;

	*w = (struct vl_dres){ 0 };
	m->vm.cpu = op->cpu;  /* an allocation's: its node in generation 4 */
	switch (op->kind) {
	case OP_PAGE:
		w->has_pfn = alloc(m, op->flag, &w->pfn);
		w->err = w->has_pfn ? 0 : ENOMEM;
		return;
	case OP_FREE_PAGE: model_free_page(m, pfn); return;
	case OP_KMAP: m_kmap(m, pfn, w); return;
	case OP_KUNMAP: m_kunmap(m, pfn, w); return;
	case OP_KMAP_ATOMIC: m_kmap_atomic(m, op, pfn, false, w); return;
	case OP_KMAP_ATOMIC_PFN: m_kmap_atomic(m, op, pfn, true, w); return;
	case OP_KUNMAP_ATOMIC: m_kunmap_atomic(m, op, o->addr, w); return;
	case OP_KMAP_ATOMIC_TO_PAGE: atomic_to_page(m, op->num, w); return;
	case OP_FIX_TO_VIRT: case OP_VIRT_TO_FIX: case OP_SET_FIXMAP: case OP_CLEAR_FIXMAP:
		fixmap_op(m, op, pfn, w);
		return;
	case OP_VMALLOC: m_vmalloc(m, op->num, w); return;
	case OP_GET_VM_AREA: m_get_vm_area(m, op->num, op->flag, w); return;
	case OP_VMAP: m_vmap(m, op->nlist, w); return;
	case OP_VFREE: case OP_VUNMAP:
		w->err = -remove_area(m, find_area(m, o->addr), op->kind == OP_VFREE);
		return;
	case OP_EXPECT: w->read = (uint8_t)op->byte; return;
	case OP_FAIL_ALLOC: m->countdown = op->num; return;
	case OP_PURGE: w->num = model_purge(m); return;
	default: return;
	}
}

int model_init(struct model *m, const struct vl_layout *l, uint32_t cpus,
	       enum vl_vmalloc_gen gen, bool lazy, uint32_t nodes)
{
	memset(m, 0, offsetof(struct model, count));
	memset(m->count, 0, l->last_pkmap * sizeof(*m->count));
	memset(m->slot_pfn, 0, l->last_pkmap * sizeof(*m->slot_pfn));
	m->touched = -1;
	m->l = l;
	m->cpus = cpus;
	m->vm.gen = gen;
	m->vm.lazy = lazy;
	m->vm.nodes = gen == VL_NODES ? nodes : 0;
	m->zone[0] = (struct model_zone){ .end = l->lowmem_pages };
	m->zone[1] = (struct model_zone){ .fresh = l->lowmem_pages,
					  .end = l->lowmem_pages + l->highmem_pages };
	/* boot: page tables for every PKMAP slot, then every fixed slot and
	 * the whole fixmap window */
	for (uint32_t nr = 0; nr < l->last_pkmap; nr++)
		table_for(m, l->pkmap_base + nr * PAGE);
	for (uint32_t idx = 0; idx < l->end_of_fixed; idx++)
		table_for(m, model_fix_addr(m, idx));
	for (vaddr_t va = l->fixaddr_start; va < l->fixaddr_top; va += PAGE)
		table_for(m, va);
	m->allocs = 0;  /* vl_boot() zeroes the counters after that */
	m->boot_tables = m->pt_pages;
	m->pfn_slot = calloc(l->highmem_pages ? l->highmem_pages : 1, sizeof(*m->pfn_slot));
	return m->pfn_slot && model_pools_init(m) ? 0 : -ENOMEM;
}

void model_free(struct model *m)
{
	free(m->pfn_slot);
	for (uint32_t i = 0; i < m->nareas; i++)
		free(m->areas[i].pfns);
	free(m->areas);
	model_vmalloc_free(m);
	free(m->zone[0].freed);
	free(m->zone[1].freed);
	m->pfn_slot = NULL;
	m->areas = NULL;
	m->zone[0].freed = m->zone[1].freed = NULL;
	m->nareas = 0;
}
