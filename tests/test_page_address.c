/* The hashed page_address() table of 2.6.12 mm/highmem.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

static struct vl_config cfg_biscuitos = { .layout = "biscuitos", .debug = true };

/* The @i-th highmem frame of mem_map. */
static struct page *highmem(uint32_t i)
{
	struct page *p = &mem_map[vl.layout->lowmem_pages + i];

	assert_true(PageHighMem(p));
	return p;
}

static uint32_t bucket_of(const struct page *p)
{
	return hash_ptr(vl_page_kva(p), PA_HASH_ORDER);
}

static void test_hash_ptr_known_values(void **state)
{
	(void)state;
	assert_int_equal(hash_ptr(0, 7), 0);
	assert_int_equal(hash_ptr(1, 7), 0x9e370001u >> 25);
	assert_int_equal(hash_ptr(1, 32), 0x9e370001u);
	/* the product wraps at 32 bits as on a 32-bit kernel */
	assert_int_equal(hash_ptr(0x81000000u, 32), (uint32_t)(0x81000000ull * 0x9e370001ull));
	assert_int_equal(hash_ptr(0x81000000u, 7), (uint32_t)(0x81000000ull * 0x9e370001ull) >> 25);
}

static void test_lowmem_is_arithmetic(void **state)
{
	struct page *p = &mem_map[10];

	(void)state;
	assert_int_equal(page_address(p), vl.layout->page_offset + 10 * PAGE_SIZE);
	assert_int_equal(page_address(p), lowmem_page_address(p));
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP);
}

static void test_set_and_clear(void **state)
{
	struct page *p = highmem(0);

	(void)state;
	assert_int_equal(page_address(p), 0);
	set_page_address(p, PKMAP_ADDR(7));
	assert_int_equal(page_address(p), PKMAP_ADDR(7));
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP - 1);
	set_page_address(p, 0);
	assert_int_equal(page_address(p), 0);
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP);
	/* forgetting a page without an entry changes nothing */
	set_page_address(p, 0);
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP);
}

/* Pages sharing a bucket keep their own addresses. */
static void test_same_bucket(void **state)
{
	struct page *a = highmem(0), *pages[3] = { a };
	uint32_t found = 1;

	(void)state;
	for (uint32_t i = 1; found < 3 && i < vl.layout->highmem_pages; i++)
		if (bucket_of(highmem(i)) == bucket_of(a))
			pages[found++] = highmem(i);
	assert_int_equal(found, 3);
	for (uint32_t i = 0; i < 3; i++)
		set_page_address(pages[i], PKMAP_ADDR(i + 1));
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(page_address(pages[i]), PKMAP_ADDR(i + 1));
	set_page_address(pages[1], 0);
	assert_int_equal(page_address(pages[0]), PKMAP_ADDR(1));
	assert_int_equal(page_address(pages[1]), 0);
	assert_int_equal(page_address(pages[2]), PKMAP_ADDR(3));
	/* a neighbour in another bucket is not found by accident */
	assert_int_not_equal(bucket_of(highmem(1)), bucket_of(a));
	assert_int_equal(page_address(highmem(1)), 0);
}

/* kmap and the flush at the wrap drive the table. */
static void test_follows_kmap(void **state)
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	vaddr_t va;

	(void)state;
	va = kmap(p);
	assert_int_equal(page_address(p), va);
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP - 1);
	kunmap(p);
	assert_int_equal(page_address(p), va);
	pthread_mutex_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	pthread_mutex_unlock(&kmap_lock);
	assert_int_equal(page_address(p), 0);
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP);
}

static void test_bug_pool_empty(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < LAST_PKMAP; i++)
		set_page_address(highmem(i), PKMAP_ADDR(i));
	assert_int_equal(vl_page_address_pool_free(), 0);
	EXPECT_BUG(set_page_address(highmem(LAST_PKMAP), PKMAP_ADDR(0)),
		   "set_page_address: page_address pool empty");
	assert_int_equal(page_address(highmem(LAST_PKMAP)), 0);
	/* the pool refills as entries are forgotten */
	set_page_address(highmem(3), 0);
	set_page_address(highmem(LAST_PKMAP), PKMAP_ADDR(3));
	assert_int_equal(page_address(highmem(LAST_PKMAP)), PKMAP_ADDR(3));
}

static void test_bug_lowmem(void **state)
{
	(void)state;
	EXPECT_BUG(set_page_address(&mem_map[0], PKMAP_ADDR(1)),
		   "set_page_address: BUG_ON(!PageHighMem(page))");
}

/* A reboot starts from an empty table and a full pool. */
static void test_reboot_resets(void **state)
{
	static const struct vl_config cfg = { .layout = "i386" };

	(void)state;
	set_page_address(highmem(0), PKMAP_ADDR(1));
	assert_int_equal(vl_boot(&cfg), 0);
	assert_int_equal(vl_page_address_pool_free(), 1024);
	assert_int_equal(page_address(highmem(0)), 0);
}

#define T(f) BOOTED(f, cfg_biscuitos)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hash_ptr_known_values),
		T(test_lowmem_is_arithmetic),
		T(test_set_and_clear),
		T(test_same_bucket),
		T(test_follows_kmap),
		T(test_bug_pool_empty),
		T(test_bug_lowmem),
		T(test_reboot_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
