/*
 * VMALLOC, the part every generation shares (mm/vmalloc.c): the API,
 * the page tables and frames of an area, and lazy freeing.  Where the
 * areas go is the running generation's business (core/vmalloc_gen.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "machine.h"
#include "mmu.h"
#include "physmem.h"
#include "vmalloc_gen.h"

/*
 * One lock over the areas: 2.6.12's vmlist_lock (a rwlock), 5.0's
 * vmap_area_lock.  Look-ups read, everything else writes.
 */
static pthread_rwlock_t vmap_area_lock = PTHREAD_RWLOCK_INITIALIZER;
/*
 * The kernel maps under init_mm.page_table_lock: pte_alloc_kernel() on a
 * PMD shared by two areas must not race.
 */
static pthread_mutex_t init_mm_ptl = PTHREAD_MUTEX_INITIALIZER;

/* Lazily freed areas, newest first (5.0 vmap_purge_list), and their pages. */
struct vmap_area *vmap_purge_list;
uint32_t vmap_lazy_nr;
struct vmap_purge_record vmap_last_purge;

/*
 * A page-pointer array larger than this many entries (4-byte pointers on
 * the 32-bit kernel) is __vmalloc'ed into an area of its own.
 */
#define PAGES_PER_ARRAY_PAGE (PAGE_SIZE / (uint32_t)sizeof(uint32_t))

#define VMALLOC_START (vl.layout->vmalloc_start)
#define VMALLOC_END (vl.layout->vmalloc_end)

/* Largest request whose page-aligned size plus guard page fits 32 bits. */
#define VM_MAX_REQUEST (0u - 2u * PAGE_SIZE)

static const struct vmalloc_gen *gen(void)
{
	switch (vl.vmalloc) {
	case VL_RBTREE: return &vmalloc_rbtree_gen;
	case VL_AUGTREE: return &vmalloc_augtree_gen;
	case VL_NODES: return &vmalloc_nodes_gen;
	default: return &vmalloc_vmlist_gen;
	}
}

void vl_count_visits(uint64_t n)
{
	vl_this_stats()->vmalloc_nodes_visited += n;
}

uint32_t lazy_max_pages(void)
{
	unsigned int log = 32u - (unsigned int)__builtin_clz(vl.cpus);

	return log * ((32u << 20) / PAGE_SIZE);
}

/*
 * Under vmap_area_lock (written): decay the pools (generation 4; all of
 * them when @full_decay), flush once over every waiting area and give
 * them all back.
 */
static uint32_t __purge_vmap_area_lazy(bool full_decay)
{
	struct vmap_area *va, *next;
	vaddr_t start = 0xFFFFFFFFu, end = 0;
	uint32_t n = 0;

	if (gen()->decay)
		gen()->decay(full_decay);
	if (!vmap_purge_list)
		return 0;
	for (va = vmap_purge_list; va; va = va->purge_next, n++) {
		start = va->va_start < start ? va->va_start : start;
		end = va->va_end > end ? va->va_end : end;
		vmap_lazy_nr -= (va->va_end - va->va_start) >> PAGE_SHIFT;
	}
	flush_tlb_kernel_range(start, end);
	if (gen()->reclaim) {
		gen()->reclaim(vmap_purge_list);
	} else {
		for (va = vmap_purge_list; va; va = next) {
			next = va->purge_next;
			gen()->free_va(va);
		}
	}
	vmap_purge_list = NULL;
	vmap_last_purge = (struct vmap_purge_record){ n, start, end };
	vl_this_stats()->vmap_purges++;
	vl_this_stats()->vmap_purged_areas += n;
	return n;
}

uint32_t purge_vmap_area_lazy(void)
{
	uint32_t n;

	pthread_rwlock_wrlock(&vmap_area_lock);
	n = __purge_vmap_area_lazy(false);
	pthread_rwlock_unlock(&vmap_area_lock);
	return n;
}

bool vl_vmap_lazy_covers(vaddr_t va)
{
	for (const struct vmap_area *p = vmap_purge_list; p; p = p->purge_next)
		if (va >= p->va_start && va < p->va_end)
			return true;
	return false;
}

/*
 * Under vmap_area_lock (written): @va's PTEs are clear.  Lazily: onto the
 * purge list, purging when too many pages wait (5.0
 * free_vmap_area_noflush()); otherwise flush and free it now.
 */
static void free_unmapped_va(struct vmap_area *va)
{
	if (!vl.lazy) {
		flush_tlb_kernel_range(va->va_start, va->va_end);
		gen()->free_va(va);
		return;
	}
	va->purge_next = vmap_purge_list;
	vmap_purge_list = va;
	vmap_lazy_nr += (va->va_end - va->va_start) >> PAGE_SHIFT;
	if (vmap_lazy_nr > lazy_max_pages() && !vl.purge_on_demand)
		__purge_vmap_area_lazy(false);
}

/* fls(): 1-based index of the highest set bit, 0 for 0. */
static unsigned int fls32(uint32_t x)
{
	return x ? 32u - (unsigned int)__builtin_clz(x) : 0u;
}

/* 1 << @order clamped to [PAGE_SHIFT, IOREMAP_MAX_ORDER] (bytes) */
static uint32_t ioremap_align(unsigned int order)
{
	if (order > IOREMAP_MAX_ORDER)
		order = IOREMAP_MAX_ORDER;
	else if (order < PAGE_SHIFT)
		order = PAGE_SHIFT;
	return 1u << order;
}

/* 2.6.12: fls() of the size as passed. */
uint32_t vl_ioremap_align_fls(uint32_t size)
{
	return ioremap_align(fls32(size));
}

/* 5.0: get_count_order() of the page-aligned size. */
uint32_t vl_ioremap_align_order(uint32_t size)
{
	uint32_t s = PAGE_ALIGN(size);

	return ioremap_align(s & (s - 1u) ? fls32(s) : fls32(s) - 1u);
}

/*
 * Under vmap_area_lock: place @area.  A lazy generation that finds no
 * hole purges, decaying every pool (6.9+ reclaim_and_purge_vmap_areas),
 * and searches once more.
 */
static int place(struct vm_struct *area, uint32_t align, vaddr_t start,
		 vaddr_t end)
{
	int err = gen()->alloc(area, align, start, end);

	if (err == -ENOMEM && gen()->lazy) {
		__purge_vmap_area_lazy(true);
		err = gen()->alloc(area, align, start, end);
	}
	return err;
}

struct vm_struct *__get_vm_area_node(uint32_t size, uint32_t align, uint32_t flags,
				     vaddr_t start, vaddr_t end)
{
	struct vm_struct *area;
	int err;

	if (size == 0 || !align || (align & (align - 1u))) {
		errno = EINVAL;
		return NULL;
	}
	if (size > VM_MAX_REQUEST)
		goto nomem;
	area = malloc(sizeof(*area));
	if (!area)
		goto nomem;
	*area = (struct vm_struct){ .size = PAGE_ALIGN(size) + PAGE_SIZE, .flags = flags };
	pthread_rwlock_wrlock(&vmap_area_lock);
	err = place(area, align, start, end);
	pthread_rwlock_unlock(&vmap_area_lock);
	if (!err)
		return area;
	free(area);
nomem:
	errno = ENOMEM;
	return NULL;
}

struct vm_struct *__get_vm_area(uint32_t size, uint32_t flags, vaddr_t start,
				vaddr_t end)
{
	uint32_t align = (flags & VM_IOREMAP) ? gen()->ioremap_align(size) : 1u;

	return __get_vm_area_node(size, align, flags, start, end);
}

struct vm_struct *vl_vm_area_claim(uint32_t size, vaddr_t addr)
{
	uint32_t bytes = PAGE_ALIGN(size) + PAGE_SIZE;
	struct vm_struct *area;

	if (!size || size > VM_MAX_REQUEST || addr & ~PAGE_MASK || addr + bytes < addr) {
		errno = EINVAL;
		return NULL;
	}
	area = malloc(sizeof(*area));
	if (!area) {
		errno = ENOMEM;
		return NULL;
	}
	*area = (struct vm_struct){ .size = bytes, .flags = VM_ALLOC };
	pthread_rwlock_wrlock(&vmap_area_lock);
	if (gen()->release_range)
		gen()->release_range(addr, addr + bytes);
	if ((gen()->claim ? gen()->claim(area, addr)
			  : gen()->alloc(area, 1u, addr, addr + bytes)) || area->addr != addr) {
		pthread_rwlock_unlock(&vmap_area_lock);
		free(area);
		errno = ENOMEM;
		return NULL;
	}
	if (area->va && vl.vmap_nodes > 1)
		area->va->vn_id = smp_processor_id() % vl.vmap_nodes + 1u;
	pthread_rwlock_unlock(&vmap_area_lock);
	return area;
}

void vl_vm_area_undo(struct vm_struct *vm)
{
	struct vmap_area *va;

	pthread_rwlock_wrlock(&vmap_area_lock);
	va = gen()->unlink(vm);
	if (va)
		(gen()->undo ? gen()->undo : gen()->free_va)(va);
	pthread_rwlock_unlock(&vmap_area_lock);
	free(vm);
}

struct vm_struct *get_vm_area(uint32_t size, uint32_t flags)
{
	return __get_vm_area(size, flags, VMALLOC_START, VMALLOC_END);
}

/* Clear the PTEs of [addr, end) that have a page table; no flush. */
static void vunmap_page_range(vaddr_t addr, vaddr_t end)
{
	pthread_mutex_lock(&init_mm_ptl);
	for (vaddr_t va = addr; va != end; va += PAGE_SIZE) {
		pte_t *ptep = vl_pte_lookup(va);

		if (ptep)
			pte_clear(ptep);
	}
	pthread_mutex_unlock(&init_mm_ptl);
}

struct vm_struct *remove_vm_area(vaddr_t addr)
{
	struct vm_struct *area;
	struct vmap_area *va;

	pthread_rwlock_wrlock(&vmap_area_lock);
	area = gen()->find(addr, false);
	if (!area) {
		pthread_rwlock_unlock(&vmap_area_lock);
		return NULL;
	}
	va = gen()->unlink(area);
	if (va) {
		vunmap_page_range(area->addr, area->addr + area->size);
		free_unmapped_va(va);
	} else {
		unmap_vm_area(area);
	}
	pthread_rwlock_unlock(&vmap_area_lock);
	area->next = NULL;
	area->va = NULL;
	area->size -= PAGE_SIZE;
	return area;
}

int map_vm_area(struct vm_struct *area, pgprot_t prot, struct page ***pages)
{
	vaddr_t va, end = area->addr + area->size - PAGE_SIZE;
	int err = 0;

	pthread_mutex_lock(&init_mm_ptl);
	for (va = area->addr; va != end; va += PAGE_SIZE) {
		pte_t *ptep = pte_alloc_kernel(va);
		struct page *page = **pages;

		if (!ptep || !page) {
			err = -ENOMEM;
			break;
		}
		set_pte(ptep, pfn_pte(page_to_pfn(page), prot));
		(*pages)++;
	}
	pthread_mutex_unlock(&init_mm_ptl);
	return err;
}

void unmap_vm_area(struct vm_struct *area)
{
	vunmap_page_range(area->addr, area->addr + area->size);
	flush_tlb_kernel_range(area->addr, area->addr + area->size);
}
/* Frees the frames of an area that owns them; BUGs on a hole in pages[]. */
static void free_area_pages(struct vm_struct *area)
{
	for (uint32_t i = 0; i < area->nr_pages; i++) {
		BUG_ON(!area->pages[i]);
		__free_page(area->pages[i]);
	}
}

static int __vunmap(vaddr_t addr, bool deallocate_pages)
{
	struct vm_struct *area;

	if (!addr)
		return 0;
	if (addr & (PAGE_SIZE - 1u))
		return -EINVAL;
	area = remove_vm_area(addr);
	if (!area)
		return -EINVAL;
	if (deallocate_pages) {
		free_area_pages(area);
		/* the array's frames go back after the data frames */
		if (area->pages_area)
			__vunmap(area->pages_area, true);
	}
	free(area->pages);
	free(area);
	return 0;
}

int vfree(vaddr_t addr)
{
	return __vunmap(addr, true);
}

int vunmap(vaddr_t addr)
{
	return __vunmap(addr, false);
}

/*
 * The page-pointer array of a fresh area: host memory always (the lab's
 * pointers), and, when the kernel's 4-byte-pointer array would not fit
 * one page, an area of its own, __vmalloc'ed (frames, PTEs, guard page)
 * before any data frame is taken.  False when either cannot be had.
 */
static bool alloc_pages_array(struct vm_struct *area, uint32_t nr_pages,
			      gfp_t gfp)
{
	area->pages = calloc(nr_pages, sizeof(*area->pages));
	if (!area->pages)
		return false;
	if (nr_pages > PAGES_PER_ARRAY_PAGE) {
		area->pages_area = __vmalloc(nr_pages * (uint32_t)sizeof(uint32_t),
					     gfp, PAGE_KERNEL);
		if (!area->pages_area) {
			free(area->pages);
			return false;
		}
	}
	return true;
}

/*
 * Fill a fresh VM_ALLOC area with frames and map it.  nr_pages counts the
 * frames taken so far, so a failure hands vfree() exactly those.
 */
static vaddr_t __vmalloc_area(struct vm_struct *area, gfp_t gfp,
			      pgprot_t prot)
{
	uint32_t nr_pages = (area->size - PAGE_SIZE) >> PAGE_SHIFT;
	struct page **pages;

	if (!alloc_pages_array(area, nr_pages, gfp)) {
		free(remove_vm_area(area->addr));
		errno = ENOMEM;
		return 0;
	}
	for (; area->nr_pages < nr_pages; area->nr_pages++) {
		area->pages[area->nr_pages] = alloc_page(gfp);
		if (!area->pages[area->nr_pages])
			goto fail;
	}
	pages = area->pages;
	if (map_vm_area(area, prot, &pages))
		goto fail;
	return area->addr;

fail:
	vfree(area->addr);
	errno = ENOMEM;
	return 0;
}

vaddr_t __vmalloc(uint32_t size, gfp_t gfp, pgprot_t prot)
{
	struct vm_struct *area;

	size = PAGE_ALIGN(size);
	if (!size || (size >> PAGE_SHIFT) > vl_nr_pages) {
		errno = EINVAL;
		return 0;
	}
	area = get_vm_area(size, VM_ALLOC);
	if (!area)
		return 0;
	return __vmalloc_area(area, gfp, prot);
}

vaddr_t vmalloc(uint32_t size)
{
	return __vmalloc(size, GFP_KERNEL | __GFP_HIGHMEM, PAGE_KERNEL);
}

vaddr_t vmalloc_32(uint32_t size)
{
	return __vmalloc(size, GFP_KERNEL, PAGE_KERNEL);
}

vaddr_t vmalloc_exec(uint32_t size)
{
	return __vmalloc(size, GFP_KERNEL | __GFP_HIGHMEM, PAGE_KERNEL_EXEC);
}

vaddr_t vmalloc_node(uint32_t size, int node)
{
	if (node != 0) {
		errno = EINVAL;
		return 0;
	}
	return vmalloc(size);
}

vaddr_t vmap(struct page **pages, uint32_t count, uint32_t flags, pgprot_t prot)
{
	struct vm_struct *area;

	if (!count || count > vl_nr_pages) {
		errno = EINVAL;
		return 0;
	}
	area = get_vm_area(count << PAGE_SHIFT, flags);
	if (!area)
		return 0;
	if (map_vm_area(area, prot, &pages)) {
		vunmap(area->addr);
		errno = ENOMEM;
		return 0;
	}
	return area->addr;
}

struct vm_struct *vl_find_vm_area(vaddr_t va)
{
	struct vm_struct *area;

	pthread_rwlock_rdlock(&vmap_area_lock);
	area = gen()->find(va, true);
	pthread_rwlock_unlock(&vmap_area_lock);
	return area;
}

struct vm_struct *vl_vm_first(void)
{
	return gen()->first();
}

struct vm_struct *vl_vm_next(const struct vm_struct *vm)
{
	return gen()->next(vm);
}

uint32_t vl_vmlist_count(void)
{
	uint32_t n = 0;

	pthread_rwlock_rdlock(&vmap_area_lock);
	for (struct vm_struct *a = gen()->first(); a; a = gen()->next(a))
		n++;
	pthread_rwlock_unlock(&vmap_area_lock);
	return n;
}

const char *vl_vmalloc_check(char *why, size_t len)
{
	return gen()->check(why, len);
}

/*
 * A BUG longjmps out of the allocators and the machine is rebuilt before
 * the next input.  No BUG is raised today with vmap_area_lock or
 * init_mm_ptl held, but a future one (or one from the MMU under
 * map_vm_area) must not leave the next boot deadlocked, so both locks
 * start over at boot.  Nothing else runs then.
 */
static void reset_locks(void)
{
	/* held: destroy fails with EBUSY, and init overwrites it anyway */
	pthread_rwlock_destroy(&vmap_area_lock);
	pthread_rwlock_init(&vmap_area_lock, NULL);
	vl_mutex_reset(&init_mm_ptl);
}

void vl_vmalloc_init(void)
{
	reset_locks();
	vmap_purge_list = NULL;
	vmap_lazy_nr = 0;
	vmap_last_purge = (struct vmap_purge_record){ 0, 0, 0 };
	if (!gen()->init(VMALLOC_START, VMALLOC_END))
		vl_bug(__func__, "no host memory for the %s free space", gen()->name);
}

void vl_vmalloc_exit(void)
{
	struct vm_struct *area;

	reset_locks();
	while ((area = gen()->first()) != NULL) {
		struct vmap_area *va = gen()->unlink(area);

		unmap_vm_area(area);
		if (va)
			gen()->free_va(va);
		free_area_pages(area);
		free(area->pages);
		free(area);
	}
	while (vmap_purge_list) {
		struct vmap_area *va = vmap_purge_list;

		vmap_purge_list = va->purge_next;
		gen()->free_va(va);
	}
	vmap_lazy_nr = 0;
	gen()->exit();
}
