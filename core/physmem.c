/*
 * Page frames: mem_map[] and two zones.  Lowmem frames come first in
 * mem_map (direct-mapped at PAGE_OFFSET), highmem frames after them.  Each
 * zone hands out its lowest free frame first and reuses freed frames LIFO,
 * so every run is reproducible.  Frame bytes live in one host mapping
 * reserved at boot and backed page by page on first touch, so a 1 GiB
 * layout costs nothing until used, also in a 32-bit process.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "machine.h"
#include "physmem.h"

struct page *mem_map;
uint32_t vl_nr_pages;
uint32_t vl_pfn_offset;

struct zone {
	uint32_t *free;      /* stack of mem_map indices, top = next out */
	uint32_t nr_free;
};
static struct zone zones[2];  /* [0] lowmem, [1] highmem */
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t fail_countdown;
static uint8_t *frames;  /* vl_nr_pages * PAGE_SIZE bytes, MAP_NORESERVE */

static void zone_fill(struct zone *z, uint32_t first, uint32_t count)
{
	z->free = malloc(sizeof(*z->free) * (count ? count : 1));
	z->nr_free = count;
	for (uint32_t i = 0; i < count; i++)
		z->free[i] = first + count - 1 - i;
}

void vl_physmem_init(void)
{
	const struct vl_layout *l = vl.layout;

	vl_nr_pages = l->lowmem_pages + l->highmem_pages;
	vl_pfn_offset = l->phys_offset >> PAGE_SHIFT;
	mem_map = calloc(vl_nr_pages, sizeof(*mem_map));
	frames = mmap(NULL, (size_t)vl_nr_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!mem_map || frames == MAP_FAILED)
		vl_bug(__func__, "no host memory for %u frames", vl_nr_pages);
	for (uint32_t i = 0; i < vl_nr_pages; i++)
		mem_map[i].flags = PG_free |
				   (i >= l->lowmem_pages ? PG_highmem : 0);
	zone_fill(&zones[0], 0, l->lowmem_pages);
	zone_fill(&zones[1], l->lowmem_pages, l->highmem_pages);
	fail_countdown = 0;
}

void vl_physmem_exit(void)
{
	munmap(frames, (size_t)vl_nr_pages * PAGE_SIZE);
	free(mem_map);
	free(zones[0].free);
	free(zones[1].free);
	mem_map = NULL;
	vl_nr_pages = 0;
	zones[0] = zones[1] = (struct zone){ 0 };
}

/* The fault knob counts every request, failed or not. */
static bool fault_fires(void)
{
	return fail_countdown && --fail_countdown == 0;
}

static struct page *zone_take(struct zone *z)
{
	if (!z->nr_free)
		return NULL;
	return &mem_map[z->free[--z->nr_free]];
}

struct page *alloc_page(gfp_t gfp)
{
	struct page *page = NULL;

	pthread_mutex_lock(&zone_lock);
	if (!fault_fires()) {
		if (gfp & __GFP_HIGHMEM)
			page = zone_take(&zones[1]);
		if (!page)
			page = zone_take(&zones[0]);
	}
	pthread_mutex_unlock(&zone_lock);
	if (page) {
		page->flags &= ~PG_free;
		vl_this_stats()->page_allocs++;
	}
	return page;
}

void __free_page(struct page *page)
{
	BUG_ON(page->flags & PG_free);
	page->flags |= PG_free;
	pthread_mutex_lock(&zone_lock);
	struct zone *z = &zones[PageHighMem(page) ? 1 : 0];
	z->free[z->nr_free++] = (uint32_t)(page - mem_map);
	pthread_mutex_unlock(&zone_lock);
	vl_this_stats()->page_frees++;
}

void vl_fail_nth_alloc(uint32_t n)
{
	pthread_mutex_lock(&zone_lock);
	fail_countdown = n;
	pthread_mutex_unlock(&zone_lock);
}

uint32_t vl_free_pages(bool highmem)
{
	return zones[highmem ? 1 : 0].nr_free;
}

uint32_t vl_pages_in_use(void)
{
	return vl_nr_pages - zones[0].nr_free - zones[1].nr_free;
}

vaddr_t lowmem_page_address(const struct page *page)
{
	if (PageHighMem(page))
		return 0;
	return vl.layout->page_offset + ((uint32_t)(page - mem_map) << PAGE_SHIFT);
}

struct page *vl_virt_to_page(vaddr_t va)
{
	uint32_t off = va - vl.layout->page_offset;

	if (va < vl.layout->page_offset || (off >> PAGE_SHIFT) >= vl.layout->lowmem_pages)
		return NULL;
	return &mem_map[off >> PAGE_SHIFT];
}

uint8_t *vl_page_data(const struct page *page)
{
	return frames + (size_t)(page - mem_map) * PAGE_SIZE;
}

vaddr_t vl_page_kva(const struct page *page)
{
	/* 32 bytes: sizeof(struct page) of a 2.6.12 i386 kernel */
	return vl.layout->mem_map_va + (uint32_t)(page - mem_map) * 32u;
}
