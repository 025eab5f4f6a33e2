/*
 * The three VMALLOC generations behind one seam: 2.6.12 vmlist, 5.0
 * rbtree (free_vmap_cache), 5.2+ augtree (augmented free tree).  Most
 * tests run once per generation, each with that generation's own expected
 * addresses and counts, worked out by hand from the kernel's algorithm.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmaplab.h"
#include "vl_test.h"
#include "vmalloc_gen.h"   /* the two ioremap alignment rules */

#define P PAGE_SIZE
#define START (vl.layout->vmalloc_start)
#define END (vl.layout->vmalloc_end)
/* The running generation as an index: vmlist 0, rbtree 1, augtree 2. */
#define GEN ((unsigned int)vl.vmalloc - 1u)

static struct vl_config cfg_vmlist = { .layout = "biscuitos", .cpus = 1, .debug = true,
				       .vmalloc = VL_VMLIST };
static struct vl_config cfg_rbtree = { .layout = "biscuitos", .cpus = 1, .debug = true,
				       .vmalloc = VL_RBTREE };
static struct vl_config cfg_augtree = { .layout = "biscuitos", .cpus = 1, .debug = true,
					.vmalloc = VL_AUGTREE };

/* Nodes visited by @expr alone (list or tree nodes, whatever the generation). */
#define VISITS(expr) (vl_stats_reset(), (void)(expr), stats().vmalloc_nodes_visited)

static vaddr_t ioremap_area(uint32_t size)
{
	struct vm_struct *a = get_vm_area(size, VM_IOREMAP);

	return a ? a->addr : 0;
}

/*
 * A, B, C one page each; B freed (and purged); then a 2-page, two 1-page
 * areas, an 8 KiB ioremap and one more page.  Every generation answers
 * differently (see vmalloc_cache_skip_*.trace for the first part):
 * vmlist is first fit with 2.6.12's fls() ioremap alignment; rbtree keeps
 * its cache past B's exact-size hole until the smaller alignment of G
 * drops it; augtree is lowest fit with 5.x alignment.
 */
static void test_fixed_sequence(void **state)
{
	static const uint32_t want[3][4] = {
		/*  D (3p)      E (2p)      F (ioremap 8K) G (2p) */
		{ 0x94410000, 0x9440c000, 0x94414000, 0x94417000 },   /* vmlist */
		{ 0x94410000, 0x94413000, 0x94416000, 0x9440c000 },   /* rbtree */
		{ 0x94410000, 0x9440c000, 0x94414000, 0x94417000 },   /* augtree */
	};
	const uint32_t *w = want[GEN];
	vaddr_t b;

	(void)state;
	assert_int_equal(vmalloc(P), 0x9440a000);
	b = vmalloc(P);
	assert_int_equal(b, 0x9440c000);
	assert_int_equal(vmalloc(P), 0x9440e000);
	assert_int_equal(vfree(b), 0);
	assert_int_equal(purge_vmap_area_lazy(), vl.vmalloc == VL_VMLIST ? 0 : 1);
	assert_int_equal(vmalloc(2 * P), w[0]);
	assert_int_equal(vmalloc(P), w[1]);
	assert_int_equal(ioremap_area(2 * P), w[2]);
	assert_int_equal(vmalloc(P), w[3]);
	assert_invariants();
}

/*
 * Nodes visited per operation of the same sequence, by hand: vmlist
 * counts the list entries its walk reads; rbtree the cached walk plus the
 * descent of the insertion into vmap_area_root; augtree the descent of
 * find_vmap_lowest_match() plus that insertion, and at the purge the free
 * block looked up and the insertion into the free tree.
 */
static void test_nodes_visited(void **state)
{
	static const uint64_t want[3][8] = {
		/* A  B  C  vfree B  purge  D  E  F */
		{ 0, 1, 2, 2, 0, 2, 2, 4 },   /* vmlist */
		{ 0, 2, 3, 1, 0, 3, 3, 4 },   /* rbtree */
		{ 1, 2, 3, 1, 2, 2, 4, 3 },   /* augtree */
	};
	const uint64_t *w = want[GEN];
	vaddr_t b;

	(void)state;
	assert_int_equal(VISITS(vmalloc(P)), w[0]);
	assert_int_equal(VISITS(b = vmalloc(P)), w[1]);
	assert_int_equal(VISITS(vmalloc(P)), w[2]);
	assert_int_equal(VISITS(vfree(b)), w[3]);
	assert_int_equal(VISITS(purge_vmap_area_lazy()), w[4]);
	assert_int_equal(VISITS(vmalloc(2 * P)), w[5]);
	assert_int_equal(VISITS(vmalloc(P)), w[6]);
	assert_int_equal(VISITS(vmalloc(P)), w[7]);
	/* a look-up is one search: the third area of the list, or a tree descent */
	assert_int_equal(VISITS(vl_find_vm_area(0x9440e000)), vl.vmalloc == VL_VMLIST ? 3 : 1);
}

/*
 * 5.0 alloc_vmap_area(): free_vmap_cache goes only for a request smaller
 * than the largest hole walked past (size < cached_hole_size), for a lower
 * vstart or for a smaller alignment.  A 3-page hole (12 KiB with the
 * guard) is skipped by a 3-page request that walks past it, but a 2-page
 * request is smaller and finds it.
 */
static void test_rbtree_smaller_request_drops_cache(void **state)
{
	vaddr_t b;

	(void)state;
	assert_int_equal(vmalloc(P), START);
	b = vmalloc(2 * P);
	assert_int_equal(b, START + 2 * P);
	assert_int_equal(vmalloc(P), START + 5 * P);
	vfree(b);
	assert_int_equal(purge_vmap_area_lazy(), 1);
	/* 4 pages: past the 3-page hole (cached_hole_size 12 KiB), above C */
	assert_int_equal(vmalloc(3 * P), START + 7 * P);
	/* 4 pages again: 16 KiB is not < 12 KiB, the cache stays: above that */
	assert_int_equal(vmalloc(3 * P), START + 11 * P);
	/* 8 KiB < 12 KiB: the walk starts over from VMALLOC_START */
	assert_int_equal(vmalloc(P), START + 2 * P);
	assert_invariants();
}

/* ... and an exact-size hole stays skipped for every later equal request. */
static void test_rbtree_skips_exact_hole(void **state)
{
	vaddr_t b;

	(void)state;
	vmalloc(P);
	b = vmalloc(P);
	vmalloc(P);
	vfree(b);
	purge_vmap_area_lazy();
	assert_int_equal(vmalloc(2 * P), START + 6 * P);   /* cached_hole_size = 8 KiB */
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(vmalloc(P), START + (9 + 2 * i) * P);
	/* a lower vstart drops the cache: the hole is found at once */
	assert_int_equal(__get_vm_area(P, VM_ALLOC, START + 64 * P, END)->addr, START + 64 * P);
	assert_int_equal(vmalloc(P), START + 2 * P);
	assert_invariants();
}

/*
 * 5.0 __free_vmap_area(): a free at or below the cached area moves the
 * cache to the area before it, so the next search starts there.
 */
static void test_rbtree_free_moves_cache_back(void **state)
{
	vaddr_t a[4];

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		a[i] = vmalloc(P);
	vfree(a[1]);
	vfree(a[2]);
	purge_vmap_area_lazy();
	/* the cache is a[0] now: 3 pages fit the 4-page hole after it */
	assert_int_equal(vmalloc(2 * P), a[1]);
	assert_invariants();
}

/* With lazy freeing off and alignments of at most a page, both are lowest fit. */
static struct vl_config cfg_small_vmlist = { .layout = "small", .cpus = 1, .debug = true,
					     .vmalloc = VL_VMLIST };
static struct vl_config cfg_small_augtree = { .layout = "small", .cpus = 1, .debug = true,
					      .vmalloc = VL_AUGTREE, .lazy_off = true };

#define STEPS 600u
#define MAX_LIVE 64u

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct diff_run {
	vaddr_t result[STEPS];   /* address (0: failed) or vfree's return */
	uint32_t failures, frees;
};

/* One fixed pseudo-random sequence of vmalloc/get_vm_area/vfree, checked. */
static void run_sequence(struct diff_run *r)
{
	vaddr_t live[MAX_LIVE];
	uint32_t nlive = 0, seed = 0x5eed1234u;

	memset(r, 0, sizeof(*r));
	for (uint32_t i = 0; i < STEPS; i++) {
		uint32_t x = xorshift(&seed), op = x % 4, pages = 1 + (x >> 8) % 12;
		struct vm_struct *a;
		vaddr_t v;

		if ((op == 0 || nlive == MAX_LIVE) && nlive) {
			uint32_t k = (x >> 16) % nlive;

			r->result[i] = (vaddr_t)vfree(live[k]);
			live[k] = live[--nlive];
			r->frees++;
		} else {
			if (op == 1) {
				v = vmalloc(pages * P - (x >> 20) % P);
			} else {
				a = get_vm_area(pages * P, VM_ALLOC);
				v = a ? a->addr : 0;
			}
			r->result[i] = v;
			if (v)
				live[nlive++] = v;
			else
				r->failures++;
		}
		if (vl_check_all())
			fail_msg("step %u: %s", i, vl_check_all());
	}
}

static void test_vmlist_equals_augtree(void **state)
{
	static struct diff_run first, second;

	(void)state;
	assert_int_equal(vl_boot(&cfg_small_vmlist), 0);
	run_sequence(&first);
	assert_int_equal(vl_boot(&cfg_small_augtree), 0);
	run_sequence(&second);
	/* the sequence must reach a full window and free often to mean anything */
	assert_true(first.failures > 20 && first.frees > 100);
	for (uint32_t i = 0; i < STEPS; i++)
		if (first.result[i] != second.result[i])
			fail_msg("step %u: vmlist 0x%08x, augtree 0x%08x", i, first.result[i],
				 second.result[i]);
}

/*
 * Lazy freeing: vmap_lazy_nr counts pages with the guard; a purge returns
 * every waiting area at once, with one flush over [lowest start, highest
 * end).  vmlist has nothing to purge.
 */
static void test_purge_counts(void **state)
{
	vaddr_t a = vmalloc(P), b = vmalloc(3 * P), c = vmalloc(P);
	bool lazy = vl.vmalloc != VL_VMLIST;
	struct vl_stats s;

	(void)state;
	(void)b;
	vfree(a);
	vfree(c);
	assert_int_equal(vmap_lazy_nr, lazy ? 2 + 2 : 0);
	vl_stats_reset();
	assert_int_equal(purge_vmap_area_lazy(), lazy ? 2 : 0);
	s = stats();
	assert_int_equal(vmap_lazy_nr, 0);
	assert_null(vmap_purge_list);
	assert_int_equal(s.vmap_purges, lazy ? 1 : 0);
	assert_int_equal(s.vmap_purged_areas, lazy ? 2 : 0);
	assert_int_equal(s.tlb_flush_range, lazy ? 1 : 0);
	/* a..c+guard: 2 + 4 + 2 pages, b's included */
	assert_int_equal(s.tlb_flush_range_pages, lazy ? 8 : 0);
	assert_int_equal(purge_vmap_area_lazy(), 0);
	assert_int_equal(stats().vmap_purges, lazy ? 1 : 0);
	assert_invariants();
}

/* lazy_max_pages() = fls(CPUs) * 8192 pages. */
static void test_lazy_max_pages(void **state)
{
	static const uint32_t want[] = { 0, 8192, 16384, 16384, 24576 };

	(void)state;
	for (uint32_t cpus = 1; cpus <= 4; cpus++) {
		struct vl_config c = cfg_rbtree;

		c.cpus = cpus;
		assert_int_equal(vl_boot(&c), 0);
		assert_int_equal(lazy_max_pages(), want[cpus]);
	}
}

/* More than lazy_max_pages() waiting purges; exactly that many does not. */
static struct vl_config cfg_rbtree_64m = { .layout = "biscuitos", .cpus = 1, .debug = true,
					   .vmalloc = VL_RBTREE, .vmalloc_size = 64u << 20 };
static struct vl_config cfg_augtree_64m = { .layout = "biscuitos", .cpus = 1, .debug = true,
					    .vmalloc = VL_AUGTREE, .vmalloc_size = 64u << 20 };

static void test_purge_on_threshold(void **state)
{
	vaddr_t a = get_vm_area(4095 * P, VM_ALLOC)->addr;
	vaddr_t b = get_vm_area(4095 * P, VM_ALLOC)->addr;
	vaddr_t c = get_vm_area(P, VM_ALLOC)->addr;

	(void)state;
	vl_stats_reset();
	vfree(a);
	vfree(b);
	assert_int_equal(vmap_lazy_nr, lazy_max_pages());
	assert_int_equal(stats().vmap_purges, 0);
	assert_invariants();
	vfree(c);
	assert_int_equal(vmap_lazy_nr, 0);
	assert_int_equal(stats().vmap_purges, 1);
	assert_int_equal(stats().vmap_purged_areas, 3);
	assert_int_equal(stats().tlb_flush_range_pages, 8194);
	assert_invariants();
}

/* A window full of lazily freed space: the next allocation purges once. */
static struct vl_config cfg_small_rbtree = { .layout = "small", .cpus = 1, .debug = true,
					     .vmalloc = VL_RBTREE };
static struct vl_config cfg_small_augtree_lazy = { .layout = "small", .cpus = 1,
						   .debug = true, .vmalloc = VL_AUGTREE };

static void test_purge_on_failure(void **state)
{
	vaddr_t a = get_vm_area(END - START - P, VM_ALLOC)->addr;

	(void)state;
	assert_int_equal(a, START);
	vfree(a);
	assert_int_equal(vmap_lazy_nr, (END - START) >> PAGE_SHIFT);
	vl_stats_reset();
	assert_int_equal(vmalloc(P), START);
	assert_int_equal(stats().vmap_purges, 1);
	assert_int_equal(vmap_lazy_nr, 0);
	/* nothing waits now: a failure stays a failure, without a purge */
	assert_null(get_vm_area(END - START - P, VM_ALLOC));
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(stats().vmap_purges, 1);
	assert_invariants();
}

/* lazy-purge off: each free flushes and frees at once, like vmlist. */
static struct vl_config cfg_rbtree_eager = { .layout = "biscuitos", .cpus = 1, .debug = true,
					     .vmalloc = VL_RBTREE, .lazy_off = true };
static struct vl_config cfg_augtree_eager = { .layout = "biscuitos", .cpus = 1,
					      .debug = true, .vmalloc = VL_AUGTREE,
					      .lazy_off = true };

static void test_lazy_off_frees_at_once(void **state)
{
	vaddr_t a = vmalloc(P);

	(void)state;
	vmalloc(P);
	vl_stats_reset();
	vfree(a);
	assert_int_equal(vmap_lazy_nr, 0);
	assert_null(vmap_purge_list);
	assert_int_equal(stats().tlb_flush_range, 1);
	assert_int_equal(stats().tlb_flush_range_pages, 2);
	assert_int_equal(purge_vmap_area_lazy(), 0);
	assert_int_equal(vmalloc(P), a);
	assert_invariants();
}

/*
 * VM_IOREMAP alignment: 2.6.12 takes fls() of the size as passed, 5.0 and
 * later get_count_order() of the page-aligned size, both clamped to
 * [PAGE_SHIFT, IOREMAP_MAX_ORDER].  They differ on powers of two.
 */
static void test_ioremap_alignment(void **state)
{
	static const struct { uint32_t size, fls, order; } c[] = {
		{ 1, 4096, 4096 },
		{ 4096, 8192, 4096 },
		{ 4097, 8192, 8192 },
		{ 8192, 16384, 8192 },
		{ 12288, 16384, 16384 },
		{ 65536, 131072, 65536 },
		{ 1u << 20, 1u << 19, 1u << 19 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t want = vl.vmalloc == VL_VMLIST ? c[i].fls : c[i].order;
		vaddr_t first = vmalloc(P);   /* the window start is 8 KiB-aligned */
		vaddr_t va = ioremap_area(c[i].size);

		assert_int_equal(vl_ioremap_align_fls(c[i].size), c[i].fls);
		assert_int_equal(vl_ioremap_align_order(c[i].size), c[i].order);
		/* the lowest address past the page at START so aligned (all fits) */
		assert_int_equal(va, (START + 2 * P + want - 1) & ~(want - 1));
		assert_int_equal(vfree(va), 0);
		assert_int_equal(vfree(first), 0);
		purge_vmap_area_lazy();
	}
	assert_invariants();
}

/* Shutdown with lazily freed areas waiting: no BUG, no leak (ASan). */
static void test_shutdown_with_lazy_pending(void **state)
{
	vaddr_t a[6];

	for (uint32_t i = 0; i < 6; i++)
		a[i] = vmalloc((i + 1) * P);
	for (uint32_t i = 0; i < 6; i += 2)
		vfree(a[i]);
	assert_int_equal(vmap_lazy_nr, vl.vmalloc == VL_VMLIST ? 0 : 2 + 4 + 6);
	vl_shutdown();
	assert_int_equal(vl_boot(*state), 0);
	assert_int_equal(vmap_lazy_nr, 0);
	assert_null(vmap_purge_list);
	assert_int_equal(vmalloc(P), START);
}

/* @f once per generation, named f/vmlist, f/rbtree, f/augtree. */
#define EACH_GEN(f)                                                  \
	{ #f "/vmlist", f, setup, teardown, &cfg_vmlist },           \
	{ #f "/rbtree", f, setup, teardown, &cfg_rbtree },           \
	{ #f "/augtree", f, setup, teardown, &cfg_augtree }
#define ON(f, cfg) { #f "/" #cfg, f, setup, teardown, &cfg }

/*
 * The lab's claim takes a free range below the last allocation in every
 * generation, and refuses a busy one.  In rbtree the 2-page hole B leaves
 * is skipped by E (3 pages), which becomes the cache: a plain search
 * restricted to B's range would start after E and fail.
 */
static void test_claim_below_the_last_area(void **state)
{
	vaddr_t a = vmalloc(PAGE_SIZE), b = vmalloc(PAGE_SIZE), e;
	struct vm_struct *claimed;

	(void)state;
	assert_int_not_equal(vmalloc(PAGE_SIZE), 0);
	assert_int_equal(vfree(b), 0);
	purge_vmap_area_lazy();
	e = vmalloc(2 * PAGE_SIZE);
	assert_true(e > b);
	assert_null(vl_vm_area_claim(PAGE_SIZE, a));
	claimed = vl_vm_area_claim(PAGE_SIZE, b);
	assert_non_null(claimed);
	assert_int_equal(claimed->addr, b);
	assert_null(vl_check_all());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		EACH_GEN(test_fixed_sequence),
		EACH_GEN(test_nodes_visited),
		EACH_GEN(test_purge_counts),
		EACH_GEN(test_ioremap_alignment),
		EACH_GEN(test_shutdown_with_lazy_pending),
		EACH_GEN(test_claim_below_the_last_area),
		ON(test_rbtree_smaller_request_drops_cache, cfg_rbtree),
		ON(test_rbtree_skips_exact_hole, cfg_rbtree),
		ON(test_rbtree_free_moves_cache_back, cfg_rbtree),
		ON(test_vmlist_equals_augtree, cfg_small_vmlist),
		ON(test_lazy_max_pages, cfg_rbtree),
		ON(test_purge_on_threshold, cfg_rbtree_64m),
		ON(test_purge_on_threshold, cfg_augtree_64m),
		ON(test_purge_on_failure, cfg_small_rbtree),
		ON(test_purge_on_failure, cfg_small_augtree_lazy),
		ON(test_lazy_off_frees_at_once, cfg_rbtree_eager),
		ON(test_lazy_off_frees_at_once, cfg_augtree_eager),
	};
	return cmocka_run_group_tests_name("vmalloc_gens", tests, NULL, NULL);
}
