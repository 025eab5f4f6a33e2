/* kmap/kunmap (PKMAP), 2.6.12 semantics, with exact event counts. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

static struct vl_config cfg_biscuitos = { .layout = "biscuitos", .debug = true };
static struct vl_config cfg_two_cpus = { .layout = "biscuitos", .cpus = 2, .debug = true };

/* kmap @n fresh highmem pages into @pages, each held once. */
static void kmap_many(struct page **pages, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		pages[i] = high_page();
		assert_int_not_equal(kmap(pages[i]), 0);
	}
}

static void test_lowmem_kmap_is_direct(void **state)
{
	struct page *p = alloc_page(GFP_KERNEL);
	struct vl_stats s;

	(void)state;
	assert_false(PageHighMem(p));
	vl_stats_reset();
	assert_int_equal(kmap(p), vl.layout->page_offset +
			 ((uint32_t)(p - mem_map) << PAGE_SHIFT));
	kunmap(p);
	s = stats();
	assert_int_equal(s.pte_writes, 0);
	assert_int_equal(s.pkmap_slots_scanned, 0);
	assert_int_equal(s.tlb_flush_range, 0);
	assert_int_equal(last_pkmap_nr, 0);
	for (uint32_t nr = 0; nr < LAST_PKMAP; nr++)
		assert_int_equal(pkmap_count[nr], 0);
}

static void test_first_kmap_gets_slot_1(void **state)
{
	struct page *p = high_page();
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	vl_stats_reset();
	va = kmap(p);
	assert_int_equal(va, vl.layout->pkmap_base + PAGE_SIZE);
	assert_int_equal(va, PKMAP_ADDR(1));
	assert_int_equal(pkmap_count[1], 2);
	assert_int_equal(pkmap_count[0], 0);
	assert_int_equal(last_pkmap_nr, 1);
	assert_int_equal(page_address(p), va);
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL));
	s = stats();
	assert_int_equal(s.pte_writes, 1);
	assert_int_equal(s.pkmap_slots_scanned, 1);
	assert_int_equal(s.pkmap_flushes, 0);
	assert_int_equal(s.tlb_flush_range, 0);
	assert_null(vl_check_all());
}

static void test_kmap_twice_same_address(void **state)
{
	struct page *p = high_page();
	vaddr_t va;

	(void)state;
	va = kmap(p);
	vl_stats_reset();
	assert_int_equal(kmap(p), va);
	assert_int_equal(pkmap_count[PKMAP_NR(va)], 3);
	assert_int_equal(stats().pte_writes, 0);
	assert_int_equal(stats().pkmap_slots_scanned, 0);
	kunmap(p);
	kunmap(p);
	assert_int_equal(pkmap_count[PKMAP_NR(va)], 1);
	assert_null(vl_check_all());
}

static void test_kunmap_keeps_pte_until_flush(void **state)
{
	struct page *p = high_page();
	uint8_t byte = 0x5a;
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	va = kmap(p);
	assert_int_equal(vl_write(va, &byte, 1), 0);
	kunmap(p);
	/* count 1: no user, but the PTE and the hash entry stay */
	assert_int_equal(pkmap_count[1], 1);
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL));
	assert_int_equal(page_address(p), va);
	assert_int_equal(vl_tlb_peek(0, va), pte_of(va));
	assert_null(vl_check_all());
	/* a kmap before the flush reuses the slot without a PTE write */
	vl_stats_reset();
	assert_int_equal(kmap(p), va);
	assert_int_equal(stats().pte_writes, 0);
	kunmap(p);

	vl_stats_reset();
	pthread_mutex_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	pthread_mutex_unlock(&kmap_lock);
	s = stats();
	assert_int_equal(s.pkmap_flushes, 1);
	assert_int_equal(s.pte_clears, 1);
	assert_int_equal(s.tlb_flush_range, 1);
	assert_int_equal(s.tlb_flush_range_pages, LAST_PKMAP);
	assert_int_equal(pkmap_count[1], 0);
	assert_int_equal(pte_of(va), 0);
	assert_int_equal(page_address(p), 0);
	assert_int_equal(vl_tlb_peek(0, va), 0);
	assert_int_equal(vl_read(va, &byte, 1), -EFAULT);
	assert_null(vl_check_all());
}

/* Slot 0 stays unused until the wrap, which flushes exactly once. */
static void test_wrap_flushes_once_then_slot_0(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];
	const uint32_t n = LAST_PKMAP;
	struct page *last;
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	kmap_many(pages, n - 1);
	assert_int_equal(PKMAP_NR(page_address(pages[n - 2])), n - 1);
	kunmap(pages[0]);  /* slot 1 -> count 1 */
	assert_int_equal(pkmap_count[0], 0);
	assert_int_equal(pte_of(PKMAP_ADDR(0)), 0);
	s = stats();
	assert_int_equal(s.tlb_flush_range, 0);
	assert_int_equal(s.pkmap_flushes, 0);

	last = high_page();
	vl_stats_reset();
	va = kmap(last);
	assert_int_equal(va, PKMAP_ADDR(0));
	assert_int_equal(va, vl.layout->pkmap_base);
	s = stats();
	assert_int_equal(s.pkmap_flushes, 1);
	assert_int_equal(s.tlb_flush_range, 1);
	assert_int_equal(s.tlb_flush_range_pages, n);
	assert_int_equal(s.pte_clears, 1);
	assert_int_equal(s.pte_writes, 1);
	assert_int_equal(s.pkmap_slots_scanned, 1);
	/* the wrap freed slot 1 for good */
	assert_int_equal(pkmap_count[1], 0);
	assert_int_equal(page_address(pages[0]), 0);
	assert_int_equal(pte_of(PKMAP_ADDR(1)), 0);
	/* the next kmap takes it */
	assert_int_equal(kmap(pages[0]), PKMAP_ADDR(1));
	assert_null(vl_check_all());
}

static void test_wrap_on_every_layout(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];

	(void)state;
	for (const struct vl_layout *const *l = vl_layouts; *l; l++) {
		struct vl_config cfg = { .layout = (*l)->name, .debug = true };
		struct vl_stats s;
		uint32_t n;

		assert_int_equal(vl_boot(&cfg), 0);
		n = LAST_PKMAP;
		kmap_many(pages, n - 1);
		assert_int_equal(page_address(pages[0]), (*l)->pkmap_base + PAGE_SIZE);
		for (uint32_t i = 0; i < n - 1; i++)
			kunmap(pages[i]);
		vl_stats_reset();
		assert_int_equal(kmap(high_page()), (*l)->pkmap_base);
		s = stats();
		assert_int_equal(s.tlb_flush_range, 1);
		assert_int_equal(s.tlb_flush_range_pages, (*l)->last_pkmap);
		assert_int_equal(s.pte_clears, n - 1);
		assert_null(vl_check_all());
	}
}

static void test_data_round_trip(void **state)
{
	struct page *a = high_page(), *b = high_page();
	char in[64], out[64];
	vaddr_t va, vb;

	(void)state;
	va = kmap(a);
	vb = kmap(b);
	for (uint32_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 1);
	assert_int_equal(vl_write(va + 100, in, sizeof(in)), 0);
	assert_int_equal(vl_write(vb, "other", 6), 0);
	assert_int_equal(vl_read(va + 100, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* the bytes are in the frame itself */
	assert_memory_equal(vl_page_data(a) + 100, in, sizeof(in));
	assert_string_equal((char *)vl_page_data(b), "other");
	kunmap(a);
	kunmap(b);
}

/*
 * Why a slot at count 1 waits for the wrap: remapping it without the
 * flush leaves the old translation in the TLB, and reads hit the old page.
 */
static void test_stale_tlb_without_flush(void **state)
{
	struct page *a = high_page(), *b = high_page();
	uint8_t byte;
	vaddr_t va;

	(void)state;
	va = kmap(a);
	byte = 0xaa;
	assert_int_equal(vl_write(va, &byte, 1), 0);  /* fills the TLB */
	vl_page_data(b)[0] = 0xbb;
	kunmap(a);
	/* reuse the slot for b as if the wrap flush were skipped */
	set_pte(vl_pte_lookup(va), pfn_pte(page_to_pfn(b), PAGE_KERNEL));
	assert_int_equal(vl_read(va, &byte, 1), 0);
	assert_int_equal(byte, 0xaa);
	flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP));
	assert_int_equal(vl_read(va, &byte, 1), 0);
	assert_int_equal(byte, 0xbb);
}

/* One thread holding every slot: a further kmap reports EDEADLK. */
static void test_full_pkmap_single_thread_edeadlk(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];
	const uint32_t n = LAST_PKMAP;
	struct page *extra = high_page();
	struct vl_stats s;

	(void)state;
	kmap_many(pages, n);
	assert_int_equal(page_address(pages[n - 1]), PKMAP_ADDR(0));
	vl_stats_reset();
	errno = 0;
	assert_int_equal(kmap(extra), 0);
	assert_int_equal(errno, EDEADLK);
	s = stats();
	assert_int_equal(s.kmap_sleeps, 0);
	/* slots 1..n-1, the wrap, then slots 0..n-1 once more */
	assert_int_equal(s.pkmap_slots_scanned, 2 * n - 1);
	assert_int_equal(s.pkmap_flushes, 1);
	assert_int_equal(page_address(extra), 0);
	assert_int_equal(last_pkmap_nr, n - 1);
	assert_null(vl_check_all());

	/* a freed slot becomes usable after the next wrap */
	kunmap(pages[5]);  /* slot 6 */
	assert_int_equal(kmap(extra), PKMAP_ADDR(6));
	assert_null(vl_check_all());
}

struct waiter {
	struct page *page;
	vaddr_t va;
	int err;
	uint8_t byte;
};

static void *kmap_on_cpu1(void *arg)
{
	struct waiter *w = arg;

	vl_thread_enter(1);
	errno = 0;
	w->va = kmap(w->page);
	w->err = errno;
	if (w->va) {
		w->byte = 0x77;
		vl_write(w->va, &w->byte, 1);
		vl_read(w->va, &w->byte, 1);
		kunmap(w->page);
	}
	vl_thread_exit();
	return NULL;
}

/* kmap_sleeps is bumped under kmap_lock, so read it under the lock. */
static uint64_t sleeps(void)
{
	uint64_t n;

	pthread_mutex_lock(&kmap_lock);
	n = stats().kmap_sleeps;
	pthread_mutex_unlock(&kmap_lock);
	return n;
}

static void wait_for_sleeps(uint64_t n)
{
	const struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 10000 && sleeps() < n; i++)
		nanosleep(&ms, NULL);
	assert_int_equal(sleeps(), n);
}

/* Thread B blocks on a full PKMAP until thread A's kunmap. */
static void test_kmap_sleeps_until_kunmap(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];
	const uint32_t n = LAST_PKMAP;
	struct waiter w = { .page = high_page() };
	pthread_t b;
	struct vl_stats s;

	(void)state;
	kmap_many(pages, n);
	vl_stats_reset();
	assert_int_equal(pthread_create(&b, NULL, kmap_on_cpu1, &w), 0);
	wait_for_sleeps(1);
	/* B sleeps and A is the only thread awake: A may not sleep too */
	errno = 0;
	assert_int_equal(kmap(high_page()), 0);
	assert_int_equal(errno, EDEADLK);

	kunmap(pages[9]);  /* slot 10 */
	assert_int_equal(pthread_join(b, NULL), 0);
	assert_int_equal(w.va, PKMAP_ADDR(10));
	assert_int_equal(w.byte, 0x77);
	assert_int_equal(vl_page_data(w.page)[0], 0x77);
	s = stats();
	assert_int_equal(s.kmap_sleeps, 1);
	assert_int_equal(vl_threads_alive(), 1);
	assert_null(vl_check_all());
}

/* A sleeper left alone by the last other thread gets EDEADLK. */
static void test_sleeper_woken_by_thread_exit(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];
	struct waiter w = { .page = high_page() };
	pthread_t b;

	(void)state;
	kmap_many(pages, LAST_PKMAP);
	assert_int_equal(pthread_create(&b, NULL, kmap_on_cpu1, &w), 0);
	wait_for_sleeps(1);
	vl_thread_exit();  /* the booting thread leaves the count */
	assert_int_equal(pthread_join(b, NULL), 0);
	assert_int_equal(vl_thread_enter(0), 0);
	assert_int_equal(w.va, 0);
	assert_int_equal(w.err, EDEADLK);
	assert_int_equal(sleeps(), 1);
}

static void test_bug_kunmap_unmapped(void **state)
{
	struct page *p = high_page();

	(void)state;
	EXPECT_BUG(kunmap(p), "kunmap_high: page not kmapped");
}

static void test_bug_count_to_zero(void **state)
{
	struct page *p = high_page();

	(void)state;
	kmap(p);
	kunmap(p);
	EXPECT_BUG(kunmap(p), "kunmap_high: pkmap_count[1] dropped to 0");
}

static void test_bug_flush_without_pte(void **state)
{
	struct page *p = high_page();

	(void)state;
	kmap(p);
	kunmap(p);
	pte_clear(vl_pte_lookup(PKMAP_ADDR(1)));
	pthread_mutex_lock(&kmap_lock);
	EXPECT_BUG(flush_all_zero_pkmaps(), "flush_all_zero_pkmaps: pkmap PTE 1 not present");
	/* the BUG released kmap_lock */
	assert_int_equal(pthread_mutex_trylock(&kmap_lock), 0);
	pthread_mutex_unlock(&kmap_lock);
}

static void test_bug_kmap_high_lowmem(void **state)
{
	struct page *p = alloc_page(GFP_KERNEL);

	(void)state;
	EXPECT_BUG(kmap_high(p), "kmap_high: BUG_ON(!PageHighMem(page))");
}

#define T(f) BOOTED(f, cfg_biscuitos)
#define T2(f) BOOTED(f, cfg_two_cpus)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lowmem_kmap_is_direct),
		T(test_first_kmap_gets_slot_1),
		T(test_kmap_twice_same_address),
		T(test_kunmap_keeps_pte_until_flush),
		T(test_wrap_flushes_once_then_slot_0),
		T(test_wrap_on_every_layout),
		T(test_data_round_trip),
		T(test_stale_tlb_without_flush),
		T(test_full_pkmap_single_thread_edeadlk),
		T2(test_kmap_sleeps_until_kunmap),
		T2(test_sleeper_woken_by_thread_exit),
		T(test_bug_kunmap_unmapped),
		T(test_bug_count_to_zero),
		T(test_bug_flush_without_pte),
		T(test_bug_kmap_high_lowmem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
