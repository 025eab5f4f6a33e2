/*
 * vl_check_all() must notice each kind of corruption it promises to, and
 * so must vl_check_step(), the incremental form the fuzzers run after each
 * operation: every test runs twice, once per checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"
#include "track.h"

static struct vl_config cfg_two_cpus = { .layout = "biscuitos", .cpus = 2, .debug = true };

static const char *(*check)(void);

static int setup_full(void **state)
{
	check = vl_check_all;
	return setup(state);
}

/* Tracking starts on the booted machine; the test's changes are logged. */
static int setup_step(void **state)
{
	check = vl_check_step;
	return setup(state) || vl_check_track_start() ? -1 : 0;
}

static int teardown_step(void **state)
{
	vl_track_stop();
	return teardown(state);
}

static void violated(const char *needle)
{
	const char *why = check();

	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("'%s' does not mention '%s'", why, needle);
}

static void test_clean_machine_passes(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);

	assert_null(check());
	kmap(p);
	assert_non_null(vmalloc(3 * PAGE_SIZE));
	assert_non_null(vmalloc(1025 * PAGE_SIZE));   /* its array has an area */
	assert_null(check());
}

static void test_pkmap_count_vs_pte(void **state)
{
	(void)state;
	vaddr_t va = kmap(alloc_page(GFP_HIGHUSER));

	/* a count write gone wrong in pkmap.c, logged as pkmap.c logs them */
	pkmap_count[PKMAP_NR(va)] = 0;
	vl_track_count(PKMAP_NR(va));
	violated("count 0 but PTE");
}

static void test_hash_vs_slot(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);
	vaddr_t va = kmap(p);

	set_page_address(p, 0);
	(void)va;
	violated("page_address");
}

static void test_area_pte(void **state)
{
	(void)state;
	vaddr_t va = vmalloc(2 * PAGE_SIZE);

	pte_clear(vl_pte_lookup(va + PAGE_SIZE));
	flush_tlb_kernel_range(va, va + 2 * PAGE_SIZE);
	violated("page 1 PTE");
}

/* A vmalloc of 1025 pages whose page array lost its area. */
static void test_array_area_missing(void **state)
{
	(void)state;
	struct vm_struct *a = vl_find_vm_area(vmalloc(1025 * PAGE_SIZE));

	assert_int_not_equal(a->pages_area, 0);
	a->pages_area = 0;
	violated("no area for its page array");
}

/* ... or names another area: a one-page vmalloc's. */
static void test_array_area_wrong(void **state)
{
	(void)state;
	struct vm_struct *a = vl_find_vm_area(vmalloc(1025 * PAGE_SIZE));

	a->pages_area = vmalloc(PAGE_SIZE);
	violated("not a listed 2-page VM_ALLOC area");
}

/* ... or is claimed by a 1024-page vmalloc, whose array fits a page. */
static void test_array_area_unneeded(void **state)
{
	(void)state;
	struct vm_struct *a = vl_find_vm_area(vmalloc(1024 * PAGE_SIZE));

	a->pages_area = vmalloc(PAGE_SIZE);
	violated("1024 pages with an array area");
}

static void test_guard_page_mapped(void **state)
{
	(void)state;
	vaddr_t va = vmalloc(PAGE_SIZE);

	set_pte(vl_pte_lookup(va + PAGE_SIZE), pfn_pte(page_to_pfn(alloc_page(GFP_KERNEL)), PAGE_KERNEL));
	violated("guard page");
}

static void test_stray_pte(void **state)
{
	(void)state;
	vaddr_t va = vl.layout->vmalloc_end - PAGE_SIZE;

	set_pte(pte_alloc_kernel(va), pfn_pte(page_to_pfn(alloc_page(GFP_KERNEL)), PAGE_KERNEL));
	violated("in no vmalloc area");
}

/* set_fixmap flushes only the local TLB: another CPU keeps the old page. */
static void test_stale_tlb(void **state)
{
	(void)state;
	uint32_t idx = (uint32_t)vl_fix_index("FIX_TEXT_POKE0");
	uint8_t v;

	set_fixmap(idx, page_to_phys(alloc_page(GFP_KERNEL)));
	vl_set_cpu(1);
	assert_int_equal(vl_read(fix_to_virt(idx), &v, 1), 0);
	vl_set_cpu(0);
	set_fixmap(idx, page_to_phys(alloc_page(GFP_KERNEL)));
	violated("cpu1 TLB");
}

static void test_pool_leak(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);

	kmap(p);
	set_page_address(alloc_page(GFP_HIGHUSER), 0x96100000u);
	violated("page_address");
}

static void test_free_frame_mapped(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);

	kmap(p);
	__free_page(p);
	violated("free frame");
}

/* 2.6.12 keeps the PTE of a count-1 slot until the next wrap: legal. */
static void test_freed_after_kunmap_is_legal(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);

	kmap(p);
	kunmap(p);
	__free_page(p);
	assert_null(check());
}

/* Without debug checks kunmap_atomic leaves the PTE: legal too. */
static void test_freed_after_kunmap_atomic_nodebug(void **state)
{
	(void)state;
	struct page *p = alloc_page(GFP_HIGHUSER);

	vl.debug = false;
	kunmap_atomic(kmap_atomic(p, KM_USER0), KM_USER0);
	__free_page(p);
	assert_null(check());
	vl.debug = true;
	kmap_atomic(p, KM_USER1);
	violated("free frame");
}

/* Each test under both checkers. */
#define T(f)                                                                          \
	cmocka_unit_test_prestate_setup_teardown(f, setup_full, teardown, &cfg_two_cpus), \
	{ #f "_step", f, setup_step, teardown_step, &cfg_two_cpus }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_clean_machine_passes),
		T(test_pkmap_count_vs_pte),
		T(test_hash_vs_slot),
		T(test_area_pte),
		T(test_array_area_missing),
		T(test_array_area_wrong),
		T(test_array_area_unneeded),
		T(test_guard_page_mapped),
		T(test_stray_pte),
		T(test_stale_tlb),
		T(test_free_frame_mapped),
		T(test_pool_leak),
		T(test_freed_after_kunmap_is_legal),
		T(test_freed_after_kunmap_atomic_nodebug),
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
