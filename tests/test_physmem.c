/* Page frames: zones, order, fault injection, direct map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"
#include "track.h"

static struct vl_config cfg_biscuitos = { .layout = "biscuitos", .debug = true };

static void test_zones_and_order(void **state)
{
	(void)state;
	/* boot took two lowmem frames: the PKMAP and FIXMAP page tables */
	assert_int_equal(vl_pages_in_use(), 2);
	struct page *lo = alloc_page(GFP_KERNEL);
	struct page *hi = alloc_page(GFP_HIGHUSER);

	/* biscuitos: PHYS_OFFSET 0x60000000, 68 MiB lowmem first */
	assert_false(PageHighMem(lo));
	assert_true(PageHighMem(hi));
	assert_int_equal(page_to_pfn(lo), 0x60002);
	assert_int_equal(page_to_pfn(hi), 0x60000 + 17408);
	assert_int_equal(lowmem_page_address(lo), 0x80002000u);
	assert_int_equal(lowmem_page_address(hi), 0);
	assert_ptr_equal(vl_virt_to_page(0x80002000u + 5), lo);
	assert_int_equal(vl_pages_in_use(), 4);
	__free_page(hi);
	/* freed frames are reused first (LIFO) */
	assert_ptr_equal(alloc_page(GFP_HIGHUSER), hi);
}

static void test_highmem_falls_back_to_lowmem(void **state)
{
	(void)state;
	uint32_t n = vl_free_pages(true);

	for (uint32_t i = 0; i < n; i++)
		assert_non_null(alloc_page(GFP_HIGHUSER));
	assert_int_equal(vl_free_pages(true), 0);
	assert_false(PageHighMem(alloc_page(GFP_HIGHUSER)));
}

static void test_fail_nth(void **state)
{
	(void)state;
	vl_fail_nth_alloc(3);
	assert_non_null(alloc_page(GFP_KERNEL));
	assert_non_null(alloc_page(GFP_KERNEL));
	assert_null(alloc_page(GFP_KERNEL));
	assert_non_null(alloc_page(GFP_KERNEL));  /* fires once */
}

static void test_double_free_bugs(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_KERNEL);

	__free_page(p);
	EXPECT_BUG(__free_page(p), "__free_page");
}

static void test_boot_rejects_bad_config(void **state)
{
	(void)state;
	assert_int_equal(vl_boot(&(struct vl_config){ .layout = "sparc" }), -EINVAL);
	assert_int_equal(vl_boot(&(struct vl_config){ .layout = "arm", .cpus = 5 }), -EINVAL);
	assert_int_equal(vl_boot(&(struct vl_config){ .layout = "i386", .cpus = 8 }), 0);
	assert_int_equal(vl_nr_pages, 262144);
}

/* The pfns a fixed alloc/free pattern hands out, and whether each frame
 * came zeroed; every frame gets dirtied, every fourth step frees one. */
static void alloc_pattern(uint32_t *pfns, bool *zero, uint32_t n)
{
	struct page *held[64];

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *d;

		held[i] = alloc_page(i % 3 ? GFP_HIGHUSER : GFP_KERNEL);
		pfns[i] = page_to_pfn(held[i]);
		d = vl_page_data(held[i]);
		zero[i] = d[0] == 0 && !memcmp(d, d + 1, PAGE_SIZE - 1);
		memset(vl_page_data(held[i]), 0xA5, PAGE_SIZE);
		if (i % 4 == 3)
			__free_page(held[i - 1]);
	}
}

/* A reboot of the same layout rewinds the host memory: it must look
 * exactly like the first boot, frames zeroed, free lists in boot order. */
static void test_reboot_is_a_fresh_machine(void **state)
{
	uint32_t first[48], again[48];
	bool zero_first[48], zero_again[48];

	(void)state;
	alloc_pattern(first, zero_first, 48);
	vmalloc(5 * PAGE_SIZE);
	assert_int_equal(vl_boot(&cfg_biscuitos), 0);
	assert_int_equal(vl_pages_in_use(), 2);
	assert_int_equal(vl_free_pages(true), vl.layout->highmem_pages);
	alloc_pattern(again, zero_again, 48);
	assert_memory_equal(first, again, sizeof(first));
	/* fresh frames read zero, reused ones keep the bytes written to them */
	assert_memory_equal(zero_first, zero_again, sizeof(zero_first));
	assert_true(zero_again[0] && zero_again[1] && !zero_again[4]);
}

static struct vl_config cfg_small = { .layout = "small", .debug = true };
static struct vl_config cfg_i386 = { .layout = "i386", .debug = true };

/*
 * alloc 2 / free 2 / alloc 1 in each zone: the free stacks change below
 * their boot top, and the zone's low-water mark is two below it.  Frees
 * of lowmem are counted by vl_free_pages(false) as highmem ones are.
 */
static void alloc2_free2_alloc1(void)
{
	for (uint32_t z = 0; z < 2; z++) {
		gfp_t gfp = z ? GFP_HIGHUSER : GFP_KERNEL;
		uint32_t n = vl_free_pages(z);
		struct page *a = alloc_page(gfp), *b = alloc_page(gfp);

		assert_true(a && b && a != b);
		assert_int_equal(PageHighMem(a), z);
		assert_int_equal(vl_free_pages(z), n - 2);
		memset(vl_page_data(a), 0x5A, PAGE_SIZE);
		memset(vl_page_data(b), 0x5B, PAGE_SIZE);
		__free_page(a);
		assert_int_equal(vl_free_pages(z), n - 1);
		__free_page(b);
		assert_int_equal(vl_free_pages(z), n);
		assert_ptr_equal(alloc_page(gfp), b);
		assert_int_equal(vl_free_pages(z), n - 1);
	}
}

/*
 * Take every free frame of the booted machine: as many as each zone had at
 * boot, each one once, each zeroed, and none sharing bytes with another
 * (each keeps the stamp written into it).
 */
static void assert_frames_fresh(uint32_t boot_low, uint32_t boot_high)
{
	uint32_t n = 0, want = boot_low + boot_high;
	struct page **taken = calloc(vl_nr_pages, sizeof(*taken));
	struct page *p;

	assert_non_null(taken);
	assert_int_equal(vl_free_pages(false), boot_low);
	assert_int_equal(vl_free_pages(true), boot_high);
	for (uint32_t i = 0; i < vl_nr_pages; i++)
		n += (mem_map[i].flags & PG_free) != 0;
	assert_int_equal(n, want);
	n = 0;
	while ((p = alloc_page(n < boot_high ? GFP_HIGHUSER : GFP_KERNEL))) {
		uint8_t *d = vl_page_data(p);

		assert_true(n < want);
		assert_int_equal(PageHighMem(p), n < boot_high);
		assert_null(taken[p - mem_map]);
		taken[p - mem_map] = p;
		assert_int_equal(d[0], 0);
		assert_memory_equal(d, d + 1, PAGE_SIZE - 1);
		memcpy(d, &n, sizeof(n));
		n++;
	}
	assert_int_equal(n, want);
	n = 0;
	for (uint32_t i = 0; i < vl_nr_pages; i++)
		if (taken[i])
			n++;
	assert_int_equal(n, want);
	free(taken);
}

/* The rewinds a reboot takes: same layout, back from another, after a
 * shutdown, and with change tracking on as the fuzzers run. */
static void test_frames_across_rewinds(void **state)
{
	static struct vl_config *const other[] = { NULL, &cfg_biscuitos, NULL, NULL };
	uint32_t boot_low = vl_free_pages(false), boot_high = vl_free_pages(true);

	(void)state;
	assert_int_equal(boot_low, vl.layout->lowmem_pages - 2);
	assert_int_equal(boot_high, vl.layout->highmem_pages);
	for (uint32_t k = 0; k < 4; k++) {
		if (k == 3)
			vl_track_start();
		alloc2_free2_alloc1();
		if (k == 2)
			vl_shutdown();
		if (other[k])
			assert_int_equal(vl_boot(other[k]), 0);
		assert_int_equal(vl_boot(&cfg_small), 0);
		assert_false(vl_track.on);
		assert_frames_fresh(boot_low, boot_high);
		assert_int_equal(vl_boot(&cfg_small), 0);
	}
	/* a lone allocation moves the low-water mark by one */
	memset(vl_page_data(alloc_page(GFP_HIGHUSER)), 0x5C, PAGE_SIZE);
	assert_int_equal(vl_boot(&cfg_small), 0);
	assert_frames_fresh(boot_low, boot_high);
}

/* i386: the same on a layout with 1 GiB of frames, without taking them all. */
static void test_frames_across_rewind_i386(void **state)
{
	uint32_t low = vl_free_pages(false), high = vl_free_pages(true);
	struct page *p[4];

	(void)state;
	alloc2_free2_alloc1();
	assert_int_equal(vl_boot(&cfg_i386), 0);
	assert_int_equal(vl_free_pages(false), low);
	assert_int_equal(vl_free_pages(true), high);
	for (uint32_t i = 0; i < 4; i++) {
		p[i] = alloc_page(i < 2 ? GFP_KERNEL : GFP_HIGHUSER);
		assert_int_equal(vl_page_data(p[i])[7], 0);
		vl_page_data(p[i])[7] = (uint8_t)(i + 1);
	}
	/* boot order again: the lowest free frame of each zone, one by one */
	assert_int_equal(p[1] - p[0], 1);
	assert_int_equal(p[3] - p[2], 1);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(vl_page_data(p[i])[7], i + 1);
	assert_int_equal(vl_free_pages(false), low - 2);
	assert_int_equal(vl_free_pages(true), high - 2);
}

#define T(f) BOOTED(f, cfg_biscuitos)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_zones_and_order),
		T(test_reboot_is_a_fresh_machine),
		T(test_highmem_falls_back_to_lowmem),
		T(test_fail_nth),
		T(test_double_free_bugs),
		T(test_boot_rejects_bad_config),
		BOOTED(test_frames_across_rewinds, cfg_small),
		BOOTED(test_frames_across_rewind_i386, cfg_i386),
	};
	return cmocka_run_group_tests_name("physmem", tests, NULL, NULL);
}
