/*
 * The reference model's VMALLOC placement (see model.h), one plain rule
 * per generation over the sorted array of areas that hold space (busy,
 * and lazily freed until the purge).  Written from docs/allocators.md
 * and the kernels' mm/vmalloc.c, never from the core's code:
 *  - vmlist (2.6.12): the lowest aligned hole;
 *  - rbtree (5.0): a walk from the area last allocated (the cache) over
 *    the areas in address order, the cache dropped only for a request
 *    smaller than the largest hole it passed, a lower start or a smaller
 *    alignment, and moved back when an area at or below it is freed;
 *  - augtree (5.2+): the lowest free block that fits, for alignments up
 *    to a page; above, a block of size + align - 1 is searched for, so a
 *    smaller block that happens to fit may be taken or not by the tree's
 *    shape: the model then checks the answer against the allowed ones.
 *  - nodes (6.9+): augtree's search, but with more than one node a
 *    request first looks at the head of its CPU's node's pool for its
 *    size (pages, guard included, up to 256): taken if aligned, else moved
 *    to the pool's tail.  Pooled areas are free yet outside the free
 *    space, so here they hold space like busy ones.
 * Lazy freeing: a freed area keeps its space until a purge, which runs
 * when the waiting pages exceed fls(CPUs) * 8192 and once when a search
 * fails (then the search is retried).  With nodes a purge first gives the
 * first quarter (len >> 2) of every pool back to the free space, every
 * pool whole after a failed search; then each purged area that has a node
 * and at most 256 pages goes, lowest address first, to the head of its
 * node's pool (unless the search failed), the others to the free space.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define PAGE 4096u

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static unsigned int fls64_(uint64_t x)
{
	unsigned int bit = 0;

	while (x >> bit)
		bit++;
	return bit;
}

static uint32_t clamp_order(unsigned int order)
{
	order = order < 12 ? 12 : order > 19 ? 19 : order;
	return 1u << order;
}

/* 2.6.12: fls() of the size as asked; 5.0+: the order of the page-aligned
 * size rounded up to a power of two. */
uint32_t model_ioremap_align(const struct model *m, uint32_t size)
{
	uint64_t s = align_up(size, PAGE);

	if (m->vm.gen == VL_VMLIST)
		return clamp_order(fls64_(size));
	return clamp_order(fls64_(s - 1));
}

static uint32_t model_lazy_max(const struct model *m)
{
	return fls64_(m->cpus) * 8192u;
}

static vaddr_t area_end(const struct model_area *a)
{
	return a->addr + a->size;
}

static int32_t index_of(const struct model *m, vaddr_t addr)
{
	for (uint32_t i = 0; i < m->nareas; i++)
		if (m->areas[i].addr == addr)
			return (int32_t)i;
	return -1;
}

/* ---- vmlist: the lowest aligned hole ---- */

static bool lowest_hole(const struct model *m, uint64_t size, uint32_t align, vaddr_t *out)
{
	uint64_t addr = align_up(m->l->vmalloc_start, align);

	for (uint32_t i = 0; i < m->nareas; i++) {
		const struct model_area *a = &m->areas[i];

		if (addr + size <= a->addr)
			break;
		if (addr < area_end(a))
			addr = align_up(area_end(a), align);
	}
	if (addr + size > m->l->vmalloc_end)
		return false;
	*out = (vaddr_t)addr;
	return true;
}

/* ---- rbtree: the 5.0 cached walk ---- */

static void drop_cache(struct model_vmalloc *v)
{
	v->cache_set = false;
	v->cached_hole_size = 0;
}

static bool cached_search(struct model *m, uint64_t size, uint32_t align, vaddr_t *out)
{
	struct model_vmalloc *v = &m->vm;
	const uint64_t vstart = m->l->vmalloc_start, vend = m->l->vmalloc_end;
	uint64_t addr;
	uint32_t j = 0;

	if (!v->cache_set || size < v->cached_hole_size || vstart < v->cached_vstart ||
	    align < v->cached_align)
		drop_cache(v);
	v->cached_vstart = (vaddr_t)vstart;
	v->cached_align = align;
	if (v->cache_set) {
		j = (uint32_t)index_of(m, v->cache);
		addr = align_up(area_end(&m->areas[j]), align);
		if (addr < vstart)
			drop_cache(v);
	}
	if (!v->cache_set) {
		addr = align_up(vstart, align);
		for (j = 0; j < m->nareas && area_end(&m->areas[j]) < addr; j++)
			;
	}
	/* step over the areas in the way, noting the largest hole passed */
	for (; j < m->nareas && addr + size > m->areas[j].addr && addr + size <= vend; j++) {
		if (addr + v->cached_hole_size < m->areas[j].addr)
			v->cached_hole_size = (uint32_t)(m->areas[j].addr - addr);
		addr = align_up(area_end(&m->areas[j]), align);
	}
	if (addr + size > vend || addr < vstart)
		return false;
	*out = (vaddr_t)addr;
	return true;
}

/* 5.0 __free_vmap_area(): a freed area at or below the cache moves it to
 * the area before the freed one (none: dropped); holes are not noted. */
static void cache_on_free(struct model *m, uint32_t i)
{
	struct model_vmalloc *v = &m->vm;

	if (!v->cache_set)
		return;
	if (area_end(&m->areas[i]) < v->cached_vstart) {
		v->cache_set = false;
	} else if (m->areas[i].addr <= v->cache) {
		v->cache_set = i > 0;
		v->cache = i > 0 ? m->areas[i - 1].addr : 0;
	}
}

/* ---- augtree: lowest match ---- */

/* What the 5.2+ search may answer: the lowest block that fits, and the
 * lowest "big" block (size + align - 1, so it surely fits), which it
 * always finds unless a fitting block on its way down comes first. */
struct aug_answer {
	bool fit, big;
	vaddr_t lowest, big_addr;
};

static bool gap_after(const struct model *m, uint32_t k, uint64_t *s, uint64_t *e)
{
	*s = k ? area_end(&m->areas[k - 1]) : m->l->vmalloc_start;
	*e = k < m->nareas ? m->areas[k].addr : m->l->vmalloc_end;
	return *e > *s;
}

static uint64_t search_length(const struct model *m, uint64_t size, uint32_t align)
{
	bool whole = m->l->vmalloc_end - m->l->vmalloc_start == size;

	return align > PAGE && !whole ? size + align - 1 : size;
}

static struct aug_answer aug_search(const struct model *m, uint64_t size, uint32_t align)
{
	const uint64_t length = search_length(m, size, align);
	struct aug_answer r = { 0 };
	uint64_t s, e;

	for (uint32_t k = 0; k <= m->nareas && !r.big; k++) {
		uint64_t nva;

		if (!gap_after(m, k, &s, &e) || (nva = align_up(s, align)) + size > e)
			continue;
		if (!r.fit)
			r.lowest = (vaddr_t)nva;
		r.fit = true;
		if (e - s >= length) {
			r.big = true;
			r.big_addr = (vaddr_t)nva;
		}
	}
	return r;
}

/* Is @addr (0: a failure) an answer the 5.2+ search may give? */
static bool aug_allowed(const struct model *m, uint64_t size, uint32_t align, vaddr_t addr)
{
	struct aug_answer r = aug_search(m, size, align);
	uint64_t s, e;

	if (!addr)
		return !r.big;
	for (uint32_t k = 0; k <= m->nareas; k++)
		if (gap_after(m, k, &s, &e) && align_up(s, align) == addr && addr + size <= e)
			return !r.big || addr <= r.big_addr;
	return false;
}

/* ---- one search, purge, the areas ---- */

enum outcome { FOUND, NONE, UNKNOWN };

static enum outcome search(struct model *m, uint64_t size, uint32_t align, vaddr_t *addr)
{
	struct aug_answer r;

	switch (m->vm.gen) {
	case VL_RBTREE:
		return cached_search(m, size, align, addr) ? FOUND : NONE;
	case VL_AUGTREE: case VL_NODES:
		r = aug_search(m, size, align);
		if (!r.fit)
			return NONE;
		if (!r.big || r.lowest != r.big_addr)
			return UNKNOWN;
		*addr = r.lowest;
		return FOUND;
	default:
		return lowest_hole(m, size, align, addr) ? FOUND : NONE;
	}
}

static void drop_entry(struct model *m, uint32_t i)
{
	if (m->vm.gen == VL_RBTREE)
		cache_on_free(m, i);
	free(m->areas[i].pfns);
	memmove(&m->areas[i], &m->areas[i + 1], (m->nareas - i - 1) * sizeof(*m->areas));
	m->nareas--;
}

/* ---- nodes: the pools ---- */

static struct model_pool *pool_of(const struct model *m, uint32_t node, uint32_t size)
{
	uint32_t pages = size / PAGE;

	if (!m->vm.pool || pages > MODEL_POOLS)
		return NULL;
	return &m->vm.pool[node * MODEL_POOLS + pages - 1];
}

bool model_pools_init(struct model *m)
{
	if (m->vm.nodes < 2)
		return true;  /* one node never pools */
	m->vm.pool = calloc((size_t)m->vm.nodes * MODEL_POOLS, sizeof(*m->vm.pool));
	return m->vm.pool != NULL;
}

static void pool_push(struct model_pool *p, vaddr_t start, bool at_head)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->start = realloc(p->start, p->cap * sizeof(*p->start));
		if (!p->start)
			abort();
	}
	if (at_head) {
		memmove(&p->start[1], &p->start[0], p->len * sizeof(*p->start));
		p->start[0] = start;
	} else {
		p->start[p->len] = start;
	}
	p->len++;
}

static vaddr_t pool_pop_head(struct model_pool *p)
{
	vaddr_t head = p->start[0];

	memmove(&p->start[0], &p->start[1], --p->len * sizeof(*p->start));
	return head;
}

/* The node a request of this CPU allocates for (+1), 0 with one node. */
static uint8_t node_of_cpu(const struct model *m)
{
	return m->vm.nodes > 1 ? (uint8_t)(m->vm.cpu % m->vm.nodes + 1u) : 0;
}

/* The head of the request's pool if aligned (its index), else rotated; -1. */
static int32_t pool_take(struct model *m, uint32_t size, uint32_t align)
{
	uint8_t node = node_of_cpu(m);
	struct model_pool *p = node ? pool_of(m, node - 1u, size) : NULL;
	vaddr_t head;
	int32_t i;

	if (!p || !p->len)
		return -1;
	head = pool_pop_head(p);
	if (head % align) {
		pool_push(p, head, false);
		return -1;
	}
	i = index_of(m, head);
	m->areas[i] = (struct model_area){ .addr = head, .size = size, .node = node };
	return i;
}

/* Every pool's first len >> 2 areas (all when @full) back to free space. */
static void decay_pools(struct model *m, bool full)
{
	for (uint32_t k = 0; m->vm.pool && k < m->vm.nodes * MODEL_POOLS; k++) {
		struct model_pool *p = &m->vm.pool[k];
		uint32_t n = full ? p->len : p->len >> 2;

		while (n--)
			drop_entry(m, (uint32_t)index_of(m, pool_pop_head(p)));
	}
}

static bool pools_empty(const struct model *m)
{
	for (uint32_t k = 0; m->vm.pool && k < m->vm.nodes * MODEL_POOLS; k++)
		if (m->vm.pool[k].len)
			return false;
	return true;
}

/*
 * One flush over the waiting areas, then their space back, newest first;
 * with nodes, the pools decay first (whole after a failed search: @full)
 * and take the purged areas in address order, unless @full.
 */
static void purge(struct model *m, bool full)
{
	struct model_vmalloc *v = &m->vm;
	uint32_t n = v->npurge;

	decay_pools(m, full);
	if (!n)
		return;
	m->range_flushes++;
	/* lowest first, so each pool ends with the highest at its head */
	for (uint32_t i = 0; v->pool && !full && i < m->nareas; i++) {
		struct model_area *a = &m->areas[i];
		struct model_pool *p = a->lazy && a->node ? pool_of(m, a->node - 1u, a->size)
							  : NULL;

		if (p) {
			v->lazy_nr -= a->size / PAGE;
			a->lazy = false;
			a->pooled = true;
			pool_push(p, a->addr, true);
		}
	}
	while (v->npurge) {
		uint32_t i = (uint32_t)index_of(m, v->purge[--v->npurge]);

		if (m->areas[i].lazy) {
			v->lazy_nr -= m->areas[i].size / PAGE;
			drop_entry(m, i);
		}
	}
	v->purges++;
	v->purged_areas += n;
}

static uint32_t insert_area(struct model *m, vaddr_t addr, uint32_t size)
{
	uint32_t i;

	if (m->nareas == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->areas = realloc(m->areas, m->cap * sizeof(*m->areas));
		if (!m->areas)
			abort();
	}
	for (i = m->nareas; i > 0 && m->areas[i - 1].addr > addr; i--)
		m->areas[i] = m->areas[i - 1];
	m->areas[i] = (struct model_area){ .addr = addr, .size = size, .node = node_of_cpu(m) };
	m->nareas++;
	if (m->vm.gen == VL_RBTREE) {
		m->vm.cache_set = true;
		m->vm.cache = addr;
	}
	return i;
}

static int pend(struct model *m, uint32_t size, uint32_t align, bool purged)
{
	m->vm.pending = true;
	m->vm.pending_purged = purged;
	m->vm.pending_size = size;
	m->vm.pending_align = align;
	return MODEL_PENDING;
}

int model_place(struct model *m, uint32_t size, uint32_t align, uint32_t *i)
{
	int32_t pooled = pool_take(m, size, align);
	vaddr_t addr;
	enum outcome o;

	if (pooled >= 0) {
		*i = (uint32_t)pooled;
		return 0;
	}
	o = search(m, size, align, &addr);
	if (o == NONE && m->vm.gen != VL_VMLIST) {
		purge(m, true);
		o = search(m, size, align, &addr);
		if (o == UNKNOWN)
			return pend(m, size, align, true);
	}
	if (o == UNKNOWN)
		return pend(m, size, align, false);
	if (o == NONE)
		return -ENOMEM;
	*i = insert_area(m, addr, size);
	return 0;
}

uint32_t model_purge(struct model *m)
{
	uint32_t n = m->vm.npurge;

	purge(m, false);
	return n;
}

void model_release(struct model *m, uint32_t i)
{
	struct model_vmalloc *v = &m->vm;

	if (!v->lazy) {
		m->range_flushes++;
		drop_entry(m, i);
		return;
	}
	if (v->npurge == v->purge_cap) {
		v->purge_cap = v->purge_cap ? v->purge_cap * 2 : 16;
		v->purge = realloc(v->purge, v->purge_cap * sizeof(*v->purge));
		if (!v->purge)
			abort();
	}
	m->areas[i].lazy = true;
	v->purge[v->npurge++] = m->areas[i].addr;
	v->lazy_nr += m->areas[i].size / PAGE;
	if (v->lazy_nr > model_lazy_max(m))
		purge(m, false);
}

/*
 * nodes: did the core's first search fail when nothing waited for a purge,
 * which decays every pool without counting a purge?  Yes when it failed,
 * or when @addr (0: failed) is no answer of the first search.  If it is
 * an answer of both, the model takes the first search's (the 5.2+ search
 * then looks at one block only, the tree's root; a retry landing on the
 * aligned start of another fitting block is rare).
 */
static bool decayed_unseen(const struct model *m, uint32_t size, uint32_t align, vaddr_t addr)
{
	return m->vm.pool && !m->vm.npurge && !pools_empty(m) && aug_allowed(m, size, align, 0) &&
	       (!addr || !aug_allowed(m, size, align, addr));
}

const char *model_settle(struct model *m, const struct vl_dres *got,
			 uint64_t core_purges, char *why, size_t len)
{
	struct model_vmalloc *v = &m->vm;
	uint32_t size = v->pending_size, align = v->pending_align;
	vaddr_t addr = got->err ? 0 : got->addr;

	v->pending = false;
	if (got->err && got->err != ENOMEM)
		return snprintf(why, len, "error %d, the model says ENOMEM or an address",
				got->err), why;
	/* the core purged: its first search must have found nothing */
	if (!v->pending_purged && core_purges == v->purges + 1) {
		if (!aug_allowed(m, size, align, 0))
			return snprintf(why, len, "purged although a free block of size + align "
					"- 1 was there"), why;
		purge(m, true);
	} else if (!v->pending_purged && decayed_unseen(m, size, align, addr)) {
		purge(m, true);  /* nothing waited: the pools decay, no purge counted */
	}
	if (core_purges != v->purges)
		return snprintf(why, len, "%llu purges, the model says %llu",
				(unsigned long long)core_purges, (unsigned long long)v->purges), why;
	if (!addr && v->npurge)
		return snprintf(why, len, "failed without purging the lazily freed areas"), why;
	if (!aug_allowed(m, size, align, addr))
		return snprintf(why, len, "0x%08x is not an answer of the 5.2+ search for "
				"0x%x bytes aligned to 0x%x", addr, size, align), why;
	if (addr)
		insert_area(m, addr, size);
	return NULL;
}

void model_vmalloc_free(struct model *m)
{
	for (uint32_t k = 0; m->vm.pool && k < m->vm.nodes * MODEL_POOLS; k++)
		free(m->vm.pool[k].start);
	free(m->vm.pool);
	m->vm.pool = NULL;
	free(m->vm.purge);
	m->vm.purge = NULL;
	m->vm.npurge = m->vm.purge_cap = 0;
}
