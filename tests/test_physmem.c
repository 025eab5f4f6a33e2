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

#define T(f) BOOTED(f, cfg_biscuitos)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_zones_and_order),
		T(test_highmem_falls_back_to_lowmem),
		T(test_fail_nth),
		T(test_double_free_bugs),
		T(test_boot_rejects_bad_config),
	};
	return cmocka_run_group_tests_name("physmem", tests, NULL, NULL);
}
