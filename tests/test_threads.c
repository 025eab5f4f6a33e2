/*
 * Threads: several simulated CPUs, one thread each, kmap and kunmap shared
 * and private highmem pages, kmap_atomic on their own CPU, and vmalloc,
 * vfree, vmap and vunmap at the same time, checking the data they write
 * through every mapping.  vl_check_all() runs at quiescent points (all
 * threads at a barrier) and after each round.  Built a second time under
 * ThreadSanitizer (make unit-tsan), where a lock the allocators leave out
 * shows as a data race even when the data checks happen to pass.
 *
 * Rounds alternate the small layout (16 PKMAP slots: wraps, sleeps and
 * EDEADLK all the time) and biscuitos (a 26 MiB vmalloc window whose page
 * tables are allocated while areas are mapped).  Iteration counts are
 * fixed; nothing is timed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

#define NR_THREADS 4u
#define ROUNDS 10u
#define ITERS 4000u         /* per thread and round */
#define CHECK_EVERY 500u    /* iterations between quiescent checks */
#define NR_SHARED 6u
#define NR_PRIVATE 8u
#define MAX_HOLD 6u         /* kmaps one thread holds: 4 x 6 > 16 slots */
#define MAX_AREAS 2u
#define REGION 64u          /* bytes of a shared page each thread owns */

static struct page *shared[NR_SHARED];
static pthread_barrier_t quiescent;

struct worker {
	uint32_t cpu;
	uint32_t rnd;
	bool big_areas;                  /* biscuitos: areas that cross PMDs */
	uint32_t nr_big;                 /* big areas so far (the first come at once) */
	struct page *priv[NR_PRIVATE];
	uint8_t priv_val[NR_PRIVATE];    /* the byte each private page holds */
	struct page *held[MAX_HOLD];
	uint32_t nr_held;
	vaddr_t area[MAX_AREAS];
	uint32_t area_pages[MAX_AREAS];
	uint8_t area_val[MAX_AREAS];
	uint32_t nr_areas;
	uint32_t edeadlk;
	char failed[160];
};

static bool worker_fail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Keep the first failure; the main thread reports it after the join. */
static bool worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed[0]) {
		int n = snprintf(w->failed, sizeof(w->failed), "cpu%u: ", w->cpu);

		va_start(ap, fmt);
		vsnprintf(w->failed + n, sizeof(w->failed) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static uint32_t next_rnd(struct worker *w)
{
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 17;
	w->rnd ^= w->rnd << 5;
	return w->rnd;
}

/* [va, va+len) must read @val through the mapping. */
static bool expect_bytes(struct worker *w, vaddr_t va, uint32_t len, uint8_t val)
{
	uint8_t buf[REGION];

	if (vl_read(va, buf, len))
		return worker_fail(w, "read at 0x%08x faulted", va);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != val)
			return worker_fail(w, "0x%08x holds 0x%02x, wrote 0x%02x", va + i, buf[i], val);
	return true;
}

/* Fill [va, va+len) with @val through the mapping, then read it back. */
static bool fill_and_check(struct worker *w, vaddr_t va, uint32_t len, uint8_t val)
{
	uint8_t buf[REGION];

	memset(buf, val, len);
	if (vl_write(va, buf, len))
		return worker_fail(w, "write at 0x%08x faulted", va);
	return expect_bytes(w, va, len, val);
}

static void release_all(struct worker *w)
{
	while (w->nr_held)
		kunmap(w->held[--w->nr_held]);
}

/* kmap @p and hold it; EDEADLK (every slot held, the others asleep):
 * let go of everything, as a kernel path would back off. */
static vaddr_t hold(struct worker *w, struct page *p)
{
	vaddr_t va;

	if (w->nr_held == MAX_HOLD)
		kunmap(w->held[--w->nr_held]);
	errno = 0;
	va = kmap(p);
	if (!va) {
		if (errno != EDEADLK)
			worker_fail(w, "kmap: errno %d", errno);
		w->edeadlk++;
		release_all(w);
		return 0;
	}
	w->held[w->nr_held++] = p;
	if (page_address(p) != va)
		worker_fail(w, "page_address 0x%08x, kmap gave 0x%08x", page_address(p), va);
	return va;
}

static bool kmap_shared(struct worker *w)
{
	vaddr_t va = hold(w, shared[next_rnd(w) % NR_SHARED]);

	return !va || fill_and_check(w, va + w->cpu * REGION, REGION, (uint8_t)next_rnd(w));
}

/* A private page keeps its byte from one mapping to the next. */
static bool private_through(struct worker *w, uint32_t j, vaddr_t va)
{
	if (!expect_bytes(w, va, REGION, w->priv_val[j]))
		return false;
	w->priv_val[j] = (uint8_t)next_rnd(w);
	return fill_and_check(w, va, REGION, w->priv_val[j]);
}

static bool kmap_private(struct worker *w)
{
	uint32_t j = next_rnd(w) % NR_PRIVATE;
	vaddr_t va = hold(w, w->priv[j]);

	return !va || private_through(w, j, va);
}

static bool kunmap_one(struct worker *w)
{
	if (w->nr_held)
		kunmap(w->held[--w->nr_held]);
	return true;
}

static bool atomic_private(struct worker *w)
{
	uint32_t j = next_rnd(w) % NR_PRIVATE;
	vaddr_t va = kmap_atomic(w->priv[j], KM_USER0);
	bool ok = private_through(w, j, va);

	kunmap_atomic(va, KM_USER0);
	return ok;
}

/* One byte run per page of an area: its own PTE, its own frame. */
static bool area_bytes(struct worker *w, uint32_t k, bool fill)
{
	for (uint32_t i = 0; i < w->area_pages[k]; i++) {
		vaddr_t va = w->area[k] + (i << PAGE_SHIFT) + (i * 8u) % PAGE_SIZE;
		bool ok = fill ? fill_and_check(w, va, 8, w->area_val[k])
			       : expect_bytes(w, va, 8, w->area_val[k]);

		if (!ok)
			return false;
	}
	return true;
}

static bool vfree_oldest(struct worker *w)
{
	bool ok = area_bytes(w, 0, false);

	if (vfree(w->area[0]))
		return worker_fail(w, "vfree 0x%08x failed", w->area[0]);
	w->nr_areas--;
	memmove(w->area, w->area + 1, w->nr_areas * sizeof(w->area[0]));
	memmove(w->area_pages, w->area_pages + 1, w->nr_areas * sizeof(w->area_pages[0]));
	memmove(w->area_val, w->area_val + 1, w->nr_areas);
	return ok;
}

static bool vmalloc_one(struct worker *w)
{
	uint32_t k = w->nr_areas, r = next_rnd(w);
	uint32_t pages = 1 + r % 8u;

	if (k == MAX_AREAS)
		return vfree_oldest(w);
	/* more than a PMD's 2 MiB: page tables allocated while others map */
	if (w->big_areas && (w->nr_big < MAX_AREAS || r % 8u == 0)) {
		pages = 512 + r % 256u;
		w->nr_big++;
	}
	w->area[k] = vmalloc(pages << PAGE_SHIFT);
	if (!w->area[k])
		return worker_fail(w, "vmalloc of %u pages: errno %d", pages, errno);
	w->area_pages[k] = pages;
	w->area_val[k] = (uint8_t)next_rnd(w);
	w->nr_areas++;
	return area_bytes(w, k, true);
}

/* vmap the private pages: what they hold shows through, writes land. */
static bool vmap_private(struct worker *w)
{
	vaddr_t va = vmap(w->priv, NR_PRIVATE, VM_MAP, PAGE_KERNEL);
	bool ok = true;

	if (!va)
		return worker_fail(w, "vmap: errno %d", errno);
	for (uint32_t j = 0; j < NR_PRIVATE && ok; j++)
		ok = private_through(w, j, va + (j << PAGE_SHIFT));
	if (vunmap(va))
		return worker_fail(w, "vunmap 0x%08x failed", va);
	return ok;
}

/* Readers that take no kmap_lock: the pool count and the hash. */
static bool peek(struct worker *w)
{
	vaddr_t va = page_address(shared[next_rnd(w) % NR_SHARED]);

	if (vl_page_address_pool_free() > LAST_PKMAP)
		return worker_fail(w, "page_address pool holds %u > LAST_PKMAP", vl_page_address_pool_free());
	if (va && (va < PKMAP_ADDR(0) || va >= PKMAP_ADDR(LAST_PKMAP)))
		return worker_fail(w, "shared page hashed at 0x%08x, outside PKMAP", va);
	return true;
}

static bool (*const ops[])(struct worker *) = {
	kmap_shared, kmap_shared, kmap_private, kmap_private, kunmap_one, atomic_private,
	vmalloc_one, vmap_private, peek,
};

/* All threads let go of their kmaps and stop; one checks the machine. */
static void quiesce(struct worker *w)
{
	const char *why;

	release_all(w);
	if (pthread_barrier_wait(&quiescent) == PTHREAD_BARRIER_SERIAL_THREAD &&
	    (why = vl_check_all()))
		worker_fail(w, "at a quiescent point: %s", why);
	pthread_barrier_wait(&quiescent);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	vl_thread_enter(w->cpu);
	/* a frame another thread vfree'd keeps its bytes: clear_highpage() */
	for (uint32_t j = 0; j < NR_PRIVATE; j++) {
		w->priv[j] = alloc_page(GFP_HIGHUSER);
		memset(vl_page_data(w->priv[j]), 0, PAGE_SIZE);
	}
	pthread_barrier_wait(&quiescent);  /* all start together */
	if (w->big_areas)
		vmalloc_one(w);
	for (uint32_t i = 1; i <= ITERS; i++) {
		if (!w->failed[0])
			ops[next_rnd(w) % (sizeof(ops) / sizeof(ops[0]))](w);
		if (i % CHECK_EVERY == 0)
			quiesce(w);
	}
	while (w->nr_areas)
		vfree_oldest(w);
	vl_thread_exit();
	return NULL;
}

/* Frames back, PKMAP flushed: only page tables may remain in use. */
static void round_end(uint32_t boot_in_use)
{
	pthread_mutex_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	pthread_mutex_unlock(&kmap_lock);
	for (uint32_t j = 0; j < NR_SHARED; j++)
		__free_page(shared[j]);
	assert_invariants();
	assert_int_equal(vl_vmlist_count(), 0);
	assert_int_equal(vl_page_address_pool_free(), LAST_PKMAP);
	assert_int_equal(vl_pages_in_use(), boot_in_use + stats().pt_pages);
}

static void run_round(uint32_t round)
{
	/* every VMALLOC generation in turn: lazy purge and the pools too */
	struct vl_config cfg = { .layout = round % 2 ? "biscuitos" : "small",
				 .cpus = NR_THREADS, .debug = true,
				 .vmalloc = VL_VMLIST + round % 4 };
	static struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	uint32_t boot_in_use;

	assert_int_equal(vl_boot(&cfg), 0);
	boot_in_use = vl_pages_in_use();
	for (uint32_t j = 0; j < NR_SHARED; j++)
		shared[j] = high_page();
	/* the booting thread only waits: it must not count as awake */
	vl_thread_exit();
	for (uint32_t c = 0; c < NR_THREADS; c++) {
		w[c] = (struct worker){ .cpu = c, .rnd = 0x9e3779b9u * (c + 1) + round,
					.big_areas = round % 2 };
		assert_int_equal(pthread_create(&t[c], NULL, worker_main, &w[c]), 0);
	}
	for (uint32_t c = 0; c < NR_THREADS; c++)
		assert_int_equal(pthread_join(t[c], NULL), 0);
	assert_int_equal(vl_thread_enter(0), 0);
	for (uint32_t c = 0; c < NR_THREADS; c++) {
		if (w[c].failed[0])
			fail_msg("round %u (%s, generation %d): %s", round, cfg.layout,
				 (int)cfg.vmalloc, w[c].failed);
		for (uint32_t j = 0; j < NR_PRIVATE; j++)
			__free_page(w[c].priv[j]);
	}
	round_end(boot_in_use);
}

static void test_stress(void **state)
{
	(void)state;
	watchdog(300);
	assert_int_equal(pthread_barrier_init(&quiescent, NULL, NR_THREADS), 0);
	for (uint32_t round = 0; round < ROUNDS; round++)
		run_round(round);
	pthread_barrier_destroy(&quiescent);
	vl_shutdown();
	watchdog(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	/* a BUG in a worker must not longjmp into cmocka: abort with it */
	vl_set_bug_handler(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
