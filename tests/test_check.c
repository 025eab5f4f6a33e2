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
#include "vmap_area.h"

static struct vl_config cfg_two_cpus = { .layout = "biscuitos", .cpus = 2, .debug = true };
/* Generations 2 and 3, lazy freeing on as in the kernel. */
static struct vl_config cfg_rbtree = { .layout = "biscuitos", .cpus = 2, .debug = true,
				       .vmalloc = VL_RBTREE };
static struct vl_config cfg_augtree = { .layout = "biscuitos", .cpus = 2, .debug = true,
					.vmalloc = VL_AUGTREE };

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

/*
 * A one-page area that CPU 1 has read through (its TLB holds the
 * translation), then vfree'd: lazily, so nothing flushed it yet.
 * Returns the area's address; *@old gets the PTE it had.
 */
static void read_on_cpu1(vaddr_t va)
{
	uint8_t v;

	vl_set_cpu(1);
	assert_int_equal(vl_read(va, &v, 1), 0);
	vl_set_cpu(0);
}

/* CPU 1 caches @pte for @va, which is then cleared without a flush. */
static void stale_on_cpu1(vaddr_t va, pte_t pte)
{
	set_pte(pte_alloc_kernel(va), pte);
	read_on_cpu1(va);
	pte_clear(vl_pte_lookup(va));
}

static vaddr_t lazily_freed_seen_by_cpu1(pte_t *old)
{
	vaddr_t va = vmalloc(PAGE_SIZE);

	*old = pte_of(va);
	read_on_cpu1(va);
	assert_int_equal(vfree(va), 0);
	assert_ptr_equal(vmap_purge_list->va_start, va);
	assert_int_equal(vl_tlb_peek(1, va), *old);
	return va;
}

/* Lazy freeing: CPU 1's stale entry is legal until the purge flushes it. */
static void test_lazy_stale_tlb_until_purge(void **state)
{
	pte_t old;
	vaddr_t va = lazily_freed_seen_by_cpu1(&old);

	(void)state;
	assert_null(check());
	assert_int_equal(purge_vmap_area_lazy(), 1);
	assert_int_equal(vl_tlb_peek(1, va), 0);
	assert_null(check());
}

/*
 * After the purge the area is free space: a TLB entry for it is a missing
 * flush.  Forged here as a purge that skipped its flush would leave it:
 * CPU 1 caches the old translation again, the PTE goes without a flush.
 */
static void test_stale_tlb_after_purge(void **state)
{
	pte_t old;
	vaddr_t va = lazily_freed_seen_by_cpu1(&old);

	(void)state;
	purge_vmap_area_lazy();
	stale_on_cpu1(va, old);
	violated("cpu1 TLB");
}

/*
 * ... and a lazily freed area excuses only itself, not the area right
 * after its guard page: b, from get_vm_area (no pages, so no PTE is
 * legal), mapped by hand, read by CPU 1, unmapped without a flush.
 */
static void test_stale_tlb_beside_lazy_area(void **state)
{
	vaddr_t a = vmalloc(PAGE_SIZE), b = get_vm_area(PAGE_SIZE, VM_ALLOC)->addr;

	(void)state;
	assert_int_equal(b, a + 2 * PAGE_SIZE);
	vfree(a);
	stale_on_cpu1(b, pfn_pte(page_to_pfn(alloc_page(GFP_KERNEL)), PAGE_KERNEL));
	violated("cpu1 TLB");
}

static void test_lazy_nr_miscounted(void **state)
{
	pte_t old;

	(void)state;
	lazily_freed_seen_by_cpu1(&old);
	vmap_lazy_nr++;
	violated("vmap_lazy_nr is 3, the purge list holds 2 pages");
	vmap_lazy_nr--;
}

/*
 * A lazily freed area must have let go of its vm_struct.  The one given
 * back here is its own old shape, so that walks over the areas still end.
 */
static void test_lazy_area_keeps_vm(void **state)
{
	pte_t old;
	vaddr_t va = lazily_freed_seen_by_cpu1(&old);
	struct vm_struct ghost = { .addr = va, .size = 2 * PAGE_SIZE, .flags = VM_ALLOC,
				   .va = vmap_purge_list };

	(void)state;
	vmap_purge_list->vm = &ghost;
	/* rbtree's own check sees it first: one vm-less node short in the tree */
	violated(vl.vmalloc == VL_RBTREE ? "freed nodes are not the purge list"
		 : "still has its vm_struct");
	vmap_purge_list->vm = NULL;
}

/* The red-black rules of vmap_area_root, in either generation. */
static void test_busy_tree_root_red(void **state)
{
	(void)state;
	vmalloc(PAGE_SIZE);
	vmalloc(PAGE_SIZE);
	assert_null(check());
	vmap_area_root.rb_node->rb_red = true;
	violated("vmap_area_root: the root is red");
	vmap_area_root.rb_node->rb_red = false;
}

static void test_busy_tree_overlap(void **state)
{
	struct vm_struct *a = vl_find_vm_area(vmalloc(PAGE_SIZE));

	(void)state;
	vmalloc(PAGE_SIZE);
	a->va->va_end += PAGE_SIZE;
	violated("overlaps or precedes the next");
	a->va->va_end -= PAGE_SIZE;   /* shutdown frees by va_start, va_end */
}

/* augtree: busy, free and lazily freed areas must tile the window. */
static void test_augtree_partition(void **state)
{
	struct vm_struct *a = vl_find_vm_area(vmalloc(2 * PAGE_SIZE));

	(void)state;
	vmalloc(PAGE_SIZE);
	a->va->va_end -= PAGE_SIZE;
	violated("not partitioned at 0x9440c000");
	a->va->va_end += PAGE_SIZE;
}

/* Each test under both checkers. */
#define T(f)                                                                          \
	cmocka_unit_test_prestate_setup_teardown(f, setup_full, teardown, &cfg_two_cpus), \
	{ #f "_step", f, setup_step, teardown_step, &cfg_two_cpus }
/* ... on generation @cfg (rbtree or augtree). */
#define T_ON(f, cfg)                                                             \
	{ #f "/" #cfg, f, setup_full, teardown, &cfg },                          \
	{ #f "_step/" #cfg, f, setup_step, teardown_step, &cfg }
#define T_LAZY(f) T_ON(f, cfg_rbtree), T_ON(f, cfg_augtree)

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
		T_LAZY(test_clean_machine_passes),
		T_LAZY(test_area_pte),
		T_LAZY(test_stray_pte),
		T_LAZY(test_lazy_stale_tlb_until_purge),
		T_LAZY(test_stale_tlb_after_purge),
		T_LAZY(test_stale_tlb_beside_lazy_area),
		T_LAZY(test_lazy_nr_miscounted),
		T_LAZY(test_lazy_area_keeps_vm),
		T_LAZY(test_busy_tree_root_red),
		T_LAZY(test_busy_tree_overlap),
		T_ON(test_augtree_partition, cfg_augtree),
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
