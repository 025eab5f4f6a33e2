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

#define BLOCK 0x94600000u  /* a biscuitos PMD boot leaves without a table */

/* What a walk saw: how many entries, the set ones, the last address. */
struct seen {
	uint32_t n;
	uint32_t set;
	vaddr_t last;
};

static int see(vaddr_t va, pte_t pte, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->set += pte != 0;
	s->last = va;
	return 0;
}

static struct seen walk(bool set_only, uint32_t from, uint32_t to)
{
	struct seen s = { 0, 0, 0 };

	if (set_only)
		vl_for_each_set_pte(BLOCK + from * PAGE_SIZE, BLOCK + to * PAGE_SIZE, see, &s);
	else
		vl_for_each_pte(BLOCK + from * PAGE_SIZE, BLOCK + to * PAGE_SIZE, see, &s);
	return s;
}

/*
 * One set PTE at each position that ends a block of the 8-wide zero scan
 * or the table, walked over ranges that end just before it, at it and
 * past it: found exactly when inside [start, end).
 */
static void test_walk_lone_pte_and_range_end(void **state)
{
	static const uint32_t pos[] = { 0, 1, 6, 7, 8, 9, 15, 16, 503, 504, 510, 511 };
	struct page *p = alloc_page(GFP_HIGHUSER);

	(void)state;
	assert_non_null(pte_alloc_kernel(BLOCK));
	for (uint32_t k = 0; k < sizeof(pos) / sizeof(pos[0]); k++) {
		uint32_t at = pos[k];
		const uint32_t ends[] = { at, at + 1, 512 };

		map(BLOCK + at * PAGE_SIZE, p);
		for (uint32_t e = 0; e < 3; e++) {
			for (uint32_t from = 0; from <= at; from += at ? at : 1) {
				struct seen all = walk(false, from, ends[e]);
				struct seen set = walk(true, from, ends[e]);
				bool inside = at < ends[e];

				assert_int_equal(all.n, ends[e] - from);
				if (all.n)
					assert_int_equal(all.last, BLOCK + (ends[e] - 1) * PAGE_SIZE);
				assert_int_equal(all.set, inside);
				assert_int_equal(set.n, inside);
				if (inside)
					assert_int_equal(set.last, BLOCK + at * PAGE_SIZE);
			}
		}
		/* the walk crosses into the next, table-less PMD without a step */
		assert_int_equal(walk(true, 0, 1024).n, 1);
		pte_clear(vl_pte_lookup(BLOCK + at * PAGE_SIZE));
	}
}

/* A range flush drops [start, end) on every CPU, not a page more. */
static void test_flush_range_stops_at_end(void **state)
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	uint8_t v;

	(void)state;
	for (uint32_t i = 0; i < 6; i++) {
		map(VA + i * PAGE_SIZE, p);
		assert_int_equal(vl_read(VA + i * PAGE_SIZE, &v, 1), 0);
	}
	flush_tlb_kernel_range(VA + PAGE_SIZE, VA + 5 * PAGE_SIZE);
	assert_int_not_equal(vl_tlb_peek(0, VA), 0);
	for (uint32_t i = 1; i < 5; i++)
		assert_int_equal(vl_tlb_peek(0, VA + i * PAGE_SIZE), 0);
	assert_int_not_equal(vl_tlb_peek(0, VA + 5 * PAGE_SIZE), 0);
	assert_int_equal(stats().tlb_flush_range_pages, 4);
}

/* A page table made from a frame freed dirty holds no stale entry. */
static void test_page_table_from_dirty_frame(void **state)
{
	struct page *dirty = alloc_page(GFP_KERNEL);
	const pte_t *table;

	(void)state;
	memset(vl_page_data(dirty), 0xA5, PAGE_SIZE);
	__free_page(dirty);
	assert_null(vl_pte_lookup(BLOCK));
	assert_non_null(pte_alloc_kernel(BLOCK + 3 * PAGE_SIZE));
	table = vl_pte_lookup(BLOCK);
	/* LIFO: the table is the frame just freed */
	assert_ptr_equal((const void *)table, vl_page_data(dirty));
	for (uint32_t i = 0; i < vl.layout->ptrs_per_pte; i++)
		assert_int_equal(table[i], 0);
	/* the whole frame, as the kernel clears it, past ARM's 512 entries */
	for (uint32_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(vl_page_data(dirty)[i], 0);
	assert_int_equal(walk(true, 0, 512).n, 0);
	assert_null(vl_check_all());
}

/*
 * The walk covers every page that overlaps [start, end), so an end of
 * 0xFFFFFFFF reaches the top page: on i386 that is FIX_HOLE, slot 0 of
 * the fixmap, whose PTE the checker must see like any other.
 */
static void test_walk_reaches_top_page(void **state)
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	const vaddr_t top = 0xFFFFF000u;
	struct seen s = { 0, 0, 0 };

	(void)state;
	assert_int_equal(fix_to_virt(0), top);
	set_fixmap(0, page_to_phys(p));
	vl_for_each_set_pte(0, 0xFFFFFFFFu, see, &s);
	assert_int_equal(s.last, top);
	s = (struct seen){ 0, 0, 0 };
	vl_for_each_set_pte(top + 0x10, top + 0x11, see, &s);
	assert_int_equal(s.n, 1);
	s = (struct seen){ 0, 0, 0 };
	vl_for_each_set_pte(top - PAGE_SIZE, top, see, &s);
	assert_int_equal(s.n, 0);
	__free_page(p);
	assert_non_null(strstr(vl_check_all() ? vl_check_all() : "", "0xfffff000"));
	clear_fixmap(0);
	assert_null(vl_check_all());
}

static struct vl_config cfg_i386 = { .layout = "i386", .debug = true };

#define T(f) BOOTED(f, cfg_two_cpus)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_table_on_demand),
		T(test_stale_tlb_until_flush),
		T(test_flush_scopes),
		T(test_access_crosses_pages),
		T(test_direct_map_skips_tables),
		T(test_walk_lone_pte_and_range_end),
		T(test_flush_range_stops_at_end),
		T(test_page_table_from_dirty_frame),
		BOOTED(test_walk_reaches_top_page, cfg_i386),
	};
	return cmocka_run_group_tests_name("mmu", tests, NULL, NULL);
}
