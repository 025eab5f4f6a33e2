/* Page frames: zones, order, fault injection, direct map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

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
	};
	return cmocka_run_group_tests_name("physmem", tests, NULL, NULL);
}
