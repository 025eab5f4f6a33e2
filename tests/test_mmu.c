/* Software MMU: tables on demand, TLB staleness, flush scopes, counters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

#define VA 0x9440A000u   /* biscuitos VMALLOC_START */

static struct vl_config cfg_two_cpus = { .layout = "biscuitos", .cpus = 2, .debug = true };

static void map(vaddr_t va, struct page *p)
{
	pte_t *ptep = pte_alloc_kernel(va);

	assert_non_null(ptep);
	set_pte(ptep, pfn_pte(page_to_pfn(p), PAGE_KERNEL));
}

static void test_table_on_demand(void **state)
{
	(void)state;
	uint32_t used = vl_pages_in_use();

	assert_null(vl_pte_lookup(VA));
	map(VA, alloc_page(GFP_HIGHUSER));
	map(VA + PAGE_SIZE, alloc_page(GFP_HIGHUSER));
	assert_non_null(vl_pte_lookup(VA));
	/* one table page for both (same 2 MiB PMD) plus two frames */
	assert_int_equal(vl_pages_in_use() - used, 3);
	assert_int_equal(stats().pt_pages, 1);
	assert_int_equal(stats().pte_writes, 2);
}

static void test_stale_tlb_until_flush(void **state)
{
	(void)state;
	struct page *a = alloc_page(GFP_HIGHUSER), *b = alloc_page(GFP_HIGHUSER);
	uint8_t v;

	vl_page_data(a)[0] = 0xaa;
	vl_page_data(b)[0] = 0xbb;
	map(VA, a);
	assert_int_equal(vl_read(VA, &v, 1), 0);
	assert_int_equal(v, 0xaa);
	assert_int_equal(stats().table_walks, 1);
	/* remap without a flush: the TLB still answers with page a */
	map(VA, b);
	assert_int_equal(vl_read(VA, &v, 1), 0);
	assert_int_equal(v, 0xaa);
	assert_int_equal(stats().table_walks, 1);
	flush_tlb_one(VA);
	assert_int_equal(vl_read(VA, &v, 1), 0);
	assert_int_equal(v, 0xbb);
	assert_int_equal(stats().table_walks, 2);
}

static void test_flush_scopes(void **state)
{
	(void)state;
	struct page *a = alloc_page(GFP_HIGHUSER);
	uint8_t v;

	map(VA, a);
	vl_set_cpu(1);
	assert_int_equal(vl_read(VA, &v, 1), 0);
	vl_set_cpu(0);
	assert_int_equal(vl_read(VA, &v, 1), 0);
	pte_clear(vl_pte_lookup(VA));
	flush_tlb_one(VA);   /* local: cpu1 keeps its entry */
	assert_int_equal(vl_read(VA, &v, 1), -EFAULT);
	assert_int_not_equal(vl_tlb_peek(1, VA), 0);
	flush_tlb_kernel_range(VA, VA + 4 * PAGE_SIZE);  /* every CPU */
	assert_int_equal(vl_tlb_peek(1, VA), 0);
	assert_int_equal(stats().tlb_flush_range_pages, 4);
	assert_int_equal(stats().pte_clears, 1);
}

static void test_access_crosses_pages(void **state)
{
	(void)state;
	struct page *a = alloc_page(GFP_HIGHUSER), *b = alloc_page(GFP_HIGHUSER);
	uint8_t out[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, in[8];

	map(VA, a);
	map(VA + PAGE_SIZE, b);
	assert_int_equal(vl_write(VA + PAGE_SIZE - 4, out, 8), 0);
	assert_int_equal(vl_read(VA + PAGE_SIZE - 4, in, 8), 0);
	assert_memory_equal(in, out, 8);
	assert_int_equal(vl_page_data(b)[3], 8);
	assert_int_equal(vl_read(VA + 2 * PAGE_SIZE - 1, in, 2), -EFAULT);
}

static void test_direct_map_skips_tables(void **state)
{
	(void)state;
	struct page *lo = alloc_page(GFP_KERNEL);
	uint8_t v = 7, w = 0;

	assert_int_equal(vl_write(lowmem_page_address(lo) + 9, &v, 1), 0);
	assert_int_equal(vl_read(lowmem_page_address(lo) + 9, &w, 1), 0);
	assert_int_equal(w, 7);
	assert_int_equal(stats().table_walks, 0);
}

#define T(f) BOOTED(f, cfg_two_cpus)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_table_on_demand),
		T(test_stale_tlb_until_flush),
		T(test_flush_scopes),
		T(test_access_crosses_pages),
		T(test_direct_map_skips_tables),
	};
	return cmocka_run_group_tests_name("mmu", tests, NULL, NULL);
}
