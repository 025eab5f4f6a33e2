/*
 * VMALLOC generation 4 (Linux 6.9+ vmap nodes): node choice by CPU, pools
 * by size, decay and refill at the purge, and the lab's claim/undo used to
 * replay a kernel's own choices.
 */
#include <errno.h>
#include <stdlib.h>
#include "vl_test.h"

static struct vl_config two_nodes = { .layout = "biscuitos", .cpus = 2, .vmalloc = VL_NODES };
static struct vl_config small_two_nodes = { .layout = "small", .cpus = 2, .vmalloc = VL_NODES };
static struct vl_config four_cpus_two_nodes = { .layout = "biscuitos", .cpus = 4,
						.vmalloc = VL_NODES, .vmap_nodes = 2 };
/* 160 MiB: room for more lazily freed pages than lazy_max_pages() (16384) */
static struct vl_config big = { .layout = "biscuitos", .cpus = 2, .vmalloc = VL_NODES,
				.vmalloc_size = 160u << 20 };
static struct vl_config on_demand = { .layout = "biscuitos", .cpus = 2, .vmalloc = VL_NODES,
				      .vmalloc_size = 160u << 20, .purge_on_demand = true };

#define START 0x9440A000u
#define P PAGE_SIZE

static vaddr_t alloc_on(uint32_t cpu, uint32_t bytes)
{
	vl_set_cpu(cpu);
	return vmalloc(bytes);
}

static uint64_t visits(void)
{
	struct vl_stats s;

	vl_stats_read(&s);
	return s.vmalloc_nodes_visited;
}

/* Freed areas come back, after the purge, to the CPU whose node made them. */
static void test_pool_per_node(void **state)
{
	vaddr_t a = alloc_on(0, P), b = alloc_on(1, P), c = alloc_on(0, P);
	uint64_t before;

	(void)state;
	assert_int_equal(a, START);
	assert_int_equal(c, START + 4 * P);
	assert_int_equal(vfree(a) | vfree(b) | vfree(c), 0);
	assert_int_equal(purge_vmap_area_lazy(), 3);
	assert_null(vl_check_all());
	/* node 0's pool: c then a (highest first); node 1's: b */
	before = visits();
	assert_int_equal(alloc_on(1, P), START + 2 * P);
	assert_int_equal(visits() - before, 1);  /* the pool head; the busy tree is empty */
	assert_int_equal(alloc_on(0, P), START + 4 * P);
	assert_int_equal(alloc_on(0, P), START);
	/* both pools empty now: the tree's lowest block */
	assert_int_equal(alloc_on(1, P), START + 6 * P);
	assert_null(vl_check_all());
}

/* The node is the CPU modulo the node count. */
static void test_node_is_cpu_modulo_nodes(void **state)
{
	vaddr_t a = alloc_on(2, P);

	(void)state;
	assert_int_equal(vfree(a), 0);
	assert_int_equal(purge_vmap_area_lazy(), 1);
	assert_int_equal(alloc_on(1, P), START + 2 * P);  /* node 1: nothing pooled */
	assert_int_equal(alloc_on(0, P), START);          /* CPU 2's node 0 has it */
}

/* A purge decays each pool by len >> 2 from its head, even with nothing to purge. */
static void test_decay_quarter(void **state)
{
	vaddr_t v[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		v[i] = alloc_on(0, P);
	for (int i = 0; i < 8; i++)
		assert_int_equal(vfree(v[i]), 0);
	assert_int_equal(purge_vmap_area_lazy(), 8);
	assert_int_equal(purge_vmap_area_lazy(), 0);
	/* v[7] and v[6] went back to the tree: the pool's head is v[5] */
	assert_int_equal(alloc_on(0, P), v[5]);
	assert_int_equal(alloc_on(1, 3 * P), v[6]);
	assert_null(vl_check_all());
}

/*
 * Free one-page areas (two pages with the guard) until the lazy pages pass
 * lazy_max_pages(): 16384 with two CPUs, so the 8193rd free crosses it.
 * Returns the purges counted.
 */
static uint64_t free_past_the_threshold(void)
{
	uint32_t n = lazy_max_pages() / 2 + 1;
	vaddr_t *v = calloc(n, sizeof(*v));
	struct vl_stats s;

	assert_non_null(v);
	assert_int_equal(lazy_max_pages(), 16384);
	for (uint32_t i = 0; i < n; i++)
		assert_int_not_equal(v[i] = alloc_on(0, P), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(vfree(v[i]), 0);
	free(v);
	vl_stats_read(&s);
	return s.vmap_purges;
}

static void test_purge_at_threshold(void **state)
{
	(void)state;
	assert_int_equal(free_past_the_threshold(), 1);
	assert_int_equal(vmap_lazy_nr, 0);
	assert_int_equal(vmap_last_purge.areas, 8193);
}

/* Purges on demand: the lazy pages wait for an explicit purge. */
static void test_purge_on_demand(void **state)
{
	(void)state;
	assert_int_equal(free_past_the_threshold(), 0);
	assert_int_equal(vmap_lazy_nr, 16386);
	assert_null(vl_check_all());
	assert_int_equal(purge_vmap_area_lazy(), 8193);
	assert_int_equal(vmap_lazy_nr, 0);
}

/*
 * The purge after a failed allocation decays every pool fully and puts
 * nothing back in them: the areas it purges go to the tree, where the
 * retry finds them (6.9+ skip_populate).
 */
static void test_failure_purge_skips_pools(void **state)
{
	vaddr_t a = alloc_on(0, 127 * P), b = alloc_on(1, 127 * P);

	(void)state;
	assert_int_equal(a, START);
	assert_int_equal(b, START + 128 * P);   /* the 1 MiB window is full */
	assert_int_equal(vfree(a), 0);          /* waits, lazily */
	assert_int_equal(alloc_on(1, P), START);
	assert_int_equal(vmap_last_purge.areas, 1);
	assert_null(vl_check_all());
}

/* Claim takes exactly the asked range; undo gives it back where it was. */
static void test_claim_and_undo(void **state)
{
	struct vm_struct *a, *b;

	(void)state;
	a = vl_vm_area_claim(2 * P, START + 16 * P);
	assert_non_null(a);
	assert_int_equal(a->addr, START + 16 * P);
	assert_null(vl_vm_area_claim(P, START + 17 * P));   /* taken */
	b = __get_vm_area_node(P, 4 * P, VM_ALLOC, vl.layout->vmalloc_start,
			       vl.layout->vmalloc_end);
	assert_non_null(b);
	assert_int_equal(b->addr, ALIGN(START, 4 * P));
	vl_vm_area_undo(b);
	assert_null(vl_check_all());
	b = __get_vm_area_node(P, 4 * P, VM_ALLOC, vl.layout->vmalloc_start,
			       vl.layout->vmalloc_end);
	assert_int_equal(b->addr, ALIGN(START, 4 * P));
	assert_null(__get_vm_area_node(P, 3 * P, VM_ALLOC, START, START + 64 * P));
	assert_int_equal(errno, EINVAL);
	free(remove_vm_area(a->addr));
	free(remove_vm_area(b->addr));
	assert_int_equal(purge_vmap_area_lazy(), 2);
	assert_int_equal(vmap_last_purge.start, ALIGN(START, 4 * P));
	assert_int_equal(vmap_last_purge.end, START + 19 * P);
	assert_null(vl_check_all());
}

/* A claim over a pooled area takes it out of its pool first. */
static void test_claim_over_a_pooled_area(void **state)
{
	vaddr_t a = alloc_on(0, P);
	struct vm_struct *c;

	(void)state;
	assert_int_equal(vfree(a), 0);
	assert_int_equal(purge_vmap_area_lazy(), 1);
	c = vl_vm_area_claim(P, a);
	assert_non_null(c);
	assert_null(vl_check_all());
	/* the pool is empty: node 0 carves the tree */
	assert_int_equal(alloc_on(0, P), START + 2 * P);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOOTED(test_pool_per_node, two_nodes),
		BOOTED(test_node_is_cpu_modulo_nodes, four_cpus_two_nodes),
		BOOTED(test_decay_quarter, two_nodes),
		BOOTED(test_failure_purge_skips_pools, small_two_nodes),
		BOOTED(test_purge_at_threshold, big),
		BOOTED(test_purge_on_demand, on_demand),
		BOOTED(test_claim_and_undo, two_nodes),
		BOOTED(test_claim_over_a_pooled_area, two_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
