/*
 * Page frames: mem_map[] and two zones.  Lowmem frames come first in
 * mem_map (direct-mapped at PAGE_OFFSET), highmem frames after them.  Each
 * zone hands out its lowest free frame first and reuses freed frames LIFO,
 * so every run is reproducible.  Frame bytes live in one host mapping
 * reserved at boot and backed page by page on first touch, so a 1 GiB
 * layout costs nothing until used, also in a 32-bit process.
 *
 * A shutdown keeps that host memory for a later boot of the same layout,
 * which rewinds it instead of rebuilding it: a zone's free stack below its
 * low-water mark never moved, so only the frames above it (every frame
 * ever handed out) get their stack entry, flags and bytes back.  The
 * fuzzers boot once per input and rely on this to cost microseconds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "machine.h"
#include "physmem.h"
#include "track.h"

struct page *mem_map;
uint32_t vl_nr_pages;
uint32_t vl_pfn_offset;

struct zone {
	uint32_t *free;      /* stack of mem_map indices, top = next out */
	uint32_t nr_free;
	uint32_t first;      /* mem_map index of the zone's first frame */
	uint32_t size;       /* frames in the zone */
	uint32_t low_water;  /* least nr_free since boot */
};

/* The host memory behind one layout's frames (a copy: the running layout
 * is rewritten at every boot). */
struct host_mem {
	bool used;
	struct vl_layout layout;
	struct page *mem_map;
	uint8_t *frames;     /* frames * PAGE_SIZE bytes, MAP_NORESERVE */
	struct zone zones[2];  /* [0] lowmem, [1] highmem */
};
static struct host_mem hm;     /* the booted machine's */
/* Kept by shutdowns, most recent first: always the last machine's, and
 * the one before if both fit SPARE_BUDGET (the fuzzers alternate two). */
static struct host_mem spares[2];
#define SPARE_BUDGET (256ull << 20)  /* bytes of frames */
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t fail_countdown;

/* Boot order: the lowest frame on top of the stack. */
static uint32_t boot_entry(const struct zone *z, uint32_t i)
{
	return z->first + z->size - 1 - i;
}

static void zone_fill(struct zone *z, uint32_t first, uint32_t size)
{
	*z = (struct zone){ .first = first, .size = size, .nr_free = size, .low_water = size };
	z->free = malloc(sizeof(*z->free) * (size ? size : 1));
	if (!z->free)
		vl_bug("vl_physmem_init", "no host memory for a free list of %u frames", size);
	for (uint32_t i = 0; i < size; i++)
		z->free[i] = boot_entry(z, i);
}

static uint32_t boot_flags(uint32_t idx)
{
	return PG_free | (idx >= vl.layout->lowmem_pages ? PG_highmem : 0);
}

static void host_mem_alloc(void)
{
	const struct vl_layout *l = vl.layout;

	hm.used = true;
	hm.layout = *l;
	hm.mem_map = calloc(vl_nr_pages, sizeof(*hm.mem_map));
	hm.frames = mmap(NULL, (size_t)vl_nr_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!hm.mem_map || hm.frames == MAP_FAILED)
		vl_bug("vl_physmem_init", "no host memory for %u frames", vl_nr_pages);
	for (uint32_t i = 0; i < vl_nr_pages; i++)
		hm.mem_map[i].flags = boot_flags(i);
	zone_fill(&hm.zones[0], 0, l->lowmem_pages);
	zone_fill(&hm.zones[1], l->lowmem_pages, l->highmem_pages);
}

static uint64_t frame_bytes(const struct host_mem *h)
{
	return h->used ? (uint64_t)(h->layout.lowmem_pages + h->layout.highmem_pages) *
				 PAGE_SIZE : 0;
}

static void host_mem_free(struct host_mem *h)
{
	if (!h->used)
		return;
	munmap(h->frames, frame_bytes(h));
	free(h->mem_map);
	free(h->zones[0].free);
	free(h->zones[1].free);
	*h = (struct host_mem){ 0 };
}

/* Can @h serve a machine of layout @l: the same frames and zones? */
static bool same_frames(const struct host_mem *h, const struct vl_layout *l)
{
	return h->used && h->layout.lowmem_pages == l->lowmem_pages &&
	       h->layout.highmem_pages == l->highmem_pages;
}

/* Every frame handed out since boot sits above the low-water mark. */
static void zone_rewind(struct zone *z)
{
	for (uint32_t i = z->low_water; i < z->size; i++) {
		uint32_t idx = boot_entry(z, i);

		z->free[i] = idx;
		hm.mem_map[idx].flags = boot_flags(idx);
		memset(hm.frames + (size_t)idx * PAGE_SIZE, 0, PAGE_SIZE);
	}
	z->nr_free = z->low_water = z->size;
}

void vl_physmem_init(void)
{
	const struct vl_layout *l = vl.layout;
	uint32_t s = same_frames(&spares[0], l) ? 0 : same_frames(&spares[1], l) ? 1 : 2;

	vl_mutex_reset(&zone_lock);  /* a BUG may have left it held */
	vl_nr_pages = l->lowmem_pages + l->highmem_pages;
	vl_pfn_offset = l->phys_offset >> PAGE_SHIFT;
	if (s < 2) {
		hm = spares[s];
		spares[s] = spares[1];
		spares[1] = (struct host_mem){ 0 };
		zone_rewind(&hm.zones[0]);
		zone_rewind(&hm.zones[1]);
	} else {
		/* room first: a 32-bit host has address space for one big layout */
		host_mem_free(&spares[1]);
		if ((uint64_t)vl_nr_pages * PAGE_SIZE + frame_bytes(&spares[0]) > SPARE_BUDGET)
			host_mem_free(&spares[0]);
		host_mem_alloc();
	}
	mem_map = hm.mem_map;
	fail_countdown = 0;
}

void vl_physmem_exit(void)
{
	if (frame_bytes(&hm) + frame_bytes(&spares[0]) > SPARE_BUDGET)
		host_mem_free(&spares[0]);
	host_mem_free(&spares[1]);
	spares[1] = spares[0];
	spares[0] = hm;
	hm = (struct host_mem){ 0 };
	mem_map = NULL;
	vl_nr_pages = 0;
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
	if (--z->nr_free < z->low_water)
		z->low_water = z->nr_free;
	return &mem_map[z->free[z->nr_free]];
}

struct page *alloc_page(gfp_t gfp)
{
	struct page *page = NULL;

	pthread_mutex_lock(&zone_lock);
	if (!fault_fires()) {
		if (gfp & __GFP_HIGHMEM)
			page = zone_take(&hm.zones[1]);
		if (!page)
			page = zone_take(&hm.zones[0]);
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
	struct zone *z = &hm.zones[PageHighMem(page) ? 1 : 0];
	z->free[z->nr_free++] = (uint32_t)(page - mem_map);
	pthread_mutex_unlock(&zone_lock);
	vl_track_free((uint32_t)(page - mem_map));
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
	return hm.zones[highmem ? 1 : 0].nr_free;
}

uint32_t vl_pages_in_use(void)
{
	return vl_nr_pages - hm.zones[0].nr_free - hm.zones[1].nr_free;
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
	return hm.frames + (size_t)(page - mem_map) * PAGE_SIZE;
}

vaddr_t vl_page_kva(const struct page *page)
{
	/* 32 bytes: sizeof(struct page) of a 2.6.12 i386 kernel */
	return vl.layout->mem_map_va + (uint32_t)(page - mem_map) * 32u;
}
