/*
 * VMALLOC generation 1: the 2.6.12 vmlist allocator (mm/vmalloc.c),
 * written from the kernel's behaviour over our software MMU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "machine.h"
#include "mmu.h"
#include "physmem.h"
#include "vmalloc.h"

struct vm_struct *vmlist;
static pthread_rwlock_t vmlist_lock = PTHREAD_RWLOCK_INITIALIZER;
/*
 * The kernel maps under init_mm.page_table_lock: pte_alloc_kernel() on a
 * PMD shared by two areas must not race.
 */
static pthread_mutex_t init_mm_ptl = PTHREAD_MUTEX_INITIALIZER;

/*
 * A page-pointer array larger than this many entries (4-byte pointers on
 * the 32-bit kernel) is __vmalloc'ed into an area of its own.
 */
#define PAGES_PER_ARRAY_PAGE (PAGE_SIZE / (uint32_t)sizeof(uint32_t))

#define VMALLOC_START (vl.layout->vmalloc_start)
#define VMALLOC_END (vl.layout->vmalloc_end)

/* Largest request whose page-aligned size plus guard page fits 32 bits. */
#define VM_MAX_REQUEST (0u - 2u * PAGE_SIZE)

static void count_visits(uint64_t n)
{
	vl_this_stats()->vmlist_nodes_visited += n;
}

/* fls(): 1-based index of the highest set bit, 0 for 0. */
static unsigned int fls32(uint32_t x)
{
	return x ? 32u - (unsigned int)__builtin_clz(x) : 0u;
}

static uint32_t ioremap_align(uint32_t size)
{
	unsigned int bit = fls32(size);

	if (bit > IOREMAP_MAX_ORDER)
		bit = IOREMAP_MAX_ORDER;
	else if (bit < PAGE_SHIFT)
		bit = PAGE_SHIFT;
	return 1u << bit;
}

/*
 * Our one deviation from 2.6.12: the area must lie inside [start, end).
 * 2.6.12 checks @end only after stepping over an area, so a walk that
 * meets none at or above the aligned start (empty vmlist, or every area
 * below it) or an ALIGN that wrapped past 4 GiB is all this can catch.
 */
static bool inside_range(vaddr_t addr, uint32_t size, vaddr_t start,
			 vaddr_t end)
{
	return addr >= start && addr <= end && end - addr >= size;
}

/*
 * The 2.6.12 first-fit walk.  Called with vmlist_lock held for writing;
 * returns the link to insert at, or NULL when no hole fits.
 */
static struct vm_struct **find_hole(vaddr_t *addrp, uint32_t size,
				    uint32_t align, vaddr_t end)
{
	struct vm_struct **p, *tmp;
	vaddr_t addr = *addrp;
	uint64_t visited = 0;

	for (p = &vmlist; (tmp = *p) != NULL; p = &tmp->next) {
		visited++;
		if (tmp->addr < addr) {
			if (tmp->addr + tmp->size >= addr)
				addr = ALIGN(tmp->addr + tmp->size, align);
			continue;
		}
		if (addr + size < addr) {
			p = NULL;
			break;
		}
		if (addr + size <= tmp->addr)
			break;
		addr = ALIGN(tmp->addr + tmp->size, align);
		if (addr > end - size) {
			p = NULL;
			break;
		}
	}
	count_visits(visited);
	*addrp = addr;
	return p;
}

struct vm_struct *__get_vm_area(uint32_t size, uint32_t flags, vaddr_t start,
				vaddr_t end)
{
	uint32_t align = (flags & VM_IOREMAP) ? ioremap_align(size) : 1u;
	vaddr_t addr = ALIGN(start, align);
	struct vm_struct **p, *area;

	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (size > VM_MAX_REQUEST)
		goto nomem;
	size = PAGE_ALIGN(size) + PAGE_SIZE;
	area = malloc(sizeof(*area));
	if (!area)
		goto nomem;

	pthread_rwlock_wrlock(&vmlist_lock);
	p = find_hole(&addr, size, align, end);
	if (!p || !inside_range(addr, size, start, end)) {
		pthread_rwlock_unlock(&vmlist_lock);
		free(area);
		goto nomem;
	}
	*area = (struct vm_struct){ .addr = addr, .size = size,
				    .flags = flags, .next = *p };
	*p = area;
	pthread_rwlock_unlock(&vmlist_lock);
	return area;

nomem:
	errno = ENOMEM;
	return NULL;
}

struct vm_struct *get_vm_area(uint32_t size, uint32_t flags)
{
	return __get_vm_area(size, flags, VMALLOC_START, VMALLOC_END);
}

struct vm_struct *remove_vm_area(vaddr_t addr)
{
	struct vm_struct **p, *tmp;
	uint64_t visited = 0;

	pthread_rwlock_wrlock(&vmlist_lock);
	for (p = &vmlist; (tmp = *p) != NULL; p = &tmp->next) {
		visited++;
		if (tmp->addr == addr)
			break;
	}
	if (tmp) {
		unmap_vm_area(tmp);
		*p = tmp->next;
	}
	pthread_rwlock_unlock(&vmlist_lock);
	count_visits(visited);
	if (!tmp)
		return NULL;
	tmp->next = NULL;
	tmp->size -= PAGE_SIZE;
	return tmp;
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
	vaddr_t va, end = area->addr + area->size;

	pthread_mutex_lock(&init_mm_ptl);
	for (va = area->addr; va != end; va += PAGE_SIZE) {
		pte_t *ptep = vl_pte_lookup(va);

		if (ptep)
			pte_clear(ptep);
	}
	pthread_mutex_unlock(&init_mm_ptl);
	flush_tlb_kernel_range(area->addr, end);
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
	struct vm_struct *tmp;
	uint64_t visited = 0;

	pthread_rwlock_rdlock(&vmlist_lock);
	for (tmp = vmlist; tmp; tmp = tmp->next) {
		visited++;
		if (tmp->addr > va) {
			tmp = NULL;
			break;
		}
		if (va - tmp->addr < tmp->size)
			break;
	}
	pthread_rwlock_unlock(&vmlist_lock);
	count_visits(visited);
	return tmp;
}

uint32_t vl_vmlist_count(void)
{
	uint32_t n = 0;

	pthread_rwlock_rdlock(&vmlist_lock);
	for (struct vm_struct *tmp = vmlist; tmp; tmp = tmp->next)
		n++;
	pthread_rwlock_unlock(&vmlist_lock);
	return n;
}

/*
 * A BUG longjmps out of the allocators and the machine is rebuilt before
 * the next input.  No BUG is raised today with vmlist_lock or init_mm_ptl
 * held, but a future one (or one from the MMU under map_vm_area) must not
 * leave the next boot deadlocked, so both locks start over on every
 * shutdown and boot.  Nothing else runs then.
 */
static void reset_locks(void)
{
	/* held: destroy fails with EBUSY, and init overwrites it anyway */
	pthread_rwlock_destroy(&vmlist_lock);
	pthread_rwlock_init(&vmlist_lock, NULL);
	vl_mutex_reset(&init_mm_ptl);
}

void vl_vmalloc_init(void)
{
	reset_locks();
	vmlist = NULL;
}

void vl_vmalloc_exit(void)
{
	reset_locks();
	while (vmlist) {
		struct vm_struct *area = vmlist;

		unmap_vm_area(area);
		vmlist = area->next;
		free_area_pages(area);
		free(area->pages);
		free(area);
	}
}
