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
static struct vl_config cfg_small = { .layout = "small", .debug = true };

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

/* Thread B kmaps w->page on CPU 1 and is asleep in kmap() on return. */
static void start_sleeper(pthread_t *b, struct waiter *w)
{
	assert_int_equal(pthread_create(b, NULL, kmap_on_cpu1, w), 0);
	wait_for_sleeps(1);
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
	watchdog(60);
	kmap_many(pages, n);
	vl_stats_reset();
	start_sleeper(&b, &w);
	/* B sleeps and A is the only thread awake: A may not sleep too */
	errno = 0;
	assert_int_equal(kmap(high_page()), 0);
	assert_int_equal(errno, EDEADLK);

	kunmap(pages[9]);  /* slot 10 */
	assert_int_equal(pthread_join(b, NULL), 0);
	watchdog(0);
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
	watchdog(60);
	kmap_many(pages, LAST_PKMAP);
	start_sleeper(&b, &w);
	vl_thread_exit();  /* the booting thread leaves the count */
	assert_int_equal(pthread_join(b, NULL), 0);
	watchdog(0);
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

/*
 * Fill PKMAP but slot 1, which is left at count 1 mapping @pte: the next
 * kmap wraps and flush_all_zero_pkmaps() meets that PTE with kmap_lock held.
 */
static void plant_pkmap_pte(pte_t pte)
{
	static struct page *pages[LAST_PKMAP_MAX];

	kmap_many(pages, LAST_PKMAP - 1);
	kunmap(pages[0]);
	set_pte(vl_pte_lookup(PKMAP_ADDR(1)), pte);
}

/* A pfn below mem_map[0]: pfn_to_page() of it points gigabytes away. */
static pte_t bogus_pte(void)
{
	return pfn_pte(vl_pfn_offset - 1u, PAGE_KERNEL);
}

/*
 * A BUG deep in flush_all_zero_pkmaps() (set_page_address() of a lowmem
 * frame a stray write put in a PKMAP PTE) longjmps out with kmap_lock
 * held.  Twice in one process, as the fuzzers replay inputs: each reboot
 * must give a machine whose kmap() does not deadlock.
 */
static void bug_in_flush_then_reboot(const struct vl_config *cfg)
{
	plant_pkmap_pte(pfn_pte(page_to_pfn(alloc_page(GFP_KERNEL)), PAGE_KERNEL));
	EXPECT_BUG(kmap(high_page()), "set_page_address: BUG_ON(!PageHighMem(page))");
	assert_int_equal(pthread_mutex_trylock(&kmap_lock), EBUSY);
	assert_int_equal(vl_boot(cfg), 0);
}

static void test_bug_in_flush_then_reboot(void **state)
{
	struct page *p;

	watchdog(60);
	bug_in_flush_then_reboot(*state);
	bug_in_flush_then_reboot(*state);
	p = high_page();
	assert_int_equal(kmap(p), PKMAP_ADDR(1));
	kunmap(p);
	assert_null(vl_check_all());
	watchdog(0);
}

/* A PKMAP PTE whose pfn is outside mem_map: a BUG at the wrap, no SIGSEGV. */
static void test_bug_bogus_pkmap_pte(void **state)
{
	(void)state;
	plant_pkmap_pte(bogus_pte());
	EXPECT_BUG(kmap(high_page()), "flush_all_zero_pkmaps: PTE 0x5ffff003 for 0x96001000: "
		   "pfn 0x5ffff outside mem_map");
}

/* The same pfn in a kmap_atomic slot, read back or read through. */
static void test_bug_bogus_fixmap_pte(void **state)
{
	vaddr_t va = kmap_atomic(high_page(), KM_USER0);
	uint8_t byte;

	(void)state;
	set_pte(vl_pte_lookup(va), bogus_pte());
	EXPECT_BUG(kmap_atomic_to_page(va + 8), "kmap_atomic_to_page: PTE 0x5ffff003");
	flush_tlb_one(va);
	EXPECT_BUG(vl_read(va, &byte, 1), "vl_translate: PTE 0x5ffff003");
}

static void test_bug_kmap_high_lowmem(void **state)
{
	struct page *p = alloc_page(GFP_KERNEL);

	(void)state;
	EXPECT_BUG(kmap_high(p), "kmap_high: BUG_ON(!PageHighMem(page))");
}

/* A lowmem page has no PKMAP address: kunmap_high() of it, on every layout. */
static void bug_kunmap_high_lowmem(const char *layout)
{
	struct vl_config cfg = { .layout = layout, .debug = true };

	assert_int_equal(vl_boot(&cfg), 0);
	EXPECT_BUG(kunmap_high(alloc_page(GFP_KERNEL)), "kunmap_high: page not kmapped");
}

static void test_bug_kunmap_high_lowmem(void **state)
{
	(void)state;
	for (const struct vl_layout *const *l = vl_layouts; *l; l++)
		bug_kunmap_high_lowmem((*l)->name);
}

/* Nor has a highmem page whose slot the last wrap flushed. */
static void test_bug_kunmap_after_flush(void **state)
{
	struct page *p = high_page();

	(void)state;
	kmap(p);
	kunmap(p);
	pthread_mutex_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	pthread_mutex_unlock(&kmap_lock);
	EXPECT_BUG(kunmap(p), "kunmap_high: page not kmapped");
}

/*
 * Only a count reaching 1 frees a slot (at the next wrap), so only then is
 * a sleeper woken.  A kunmap leaving 2 must not wake it: it still counts
 * as asleep, so the one awake thread gets EDEADLK rather than sleeping.
 */
static void test_kunmap_wakes_only_at_count_1(void **state)
{
	static struct page *pages[LAST_PKMAP_MAX];
	struct waiter w = { .page = high_page() };
	pthread_t b;

	(void)state;
	watchdog(60);
	kmap_many(pages, LAST_PKMAP);
	assert_int_equal(kmap(pages[9]), PKMAP_ADDR(10));  /* count 3 */
	vl_stats_reset();
	start_sleeper(&b, &w);
	kunmap(pages[9]);  /* count 2 */
	errno = 0;
	assert_int_equal(kmap(high_page()), 0);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(sleeps(), 1);
	kunmap(pages[9]);  /* count 1: B wakes, the wrap frees slot 10 for it */
	assert_int_equal(pthread_join(b, NULL), 0);
	watchdog(0);
	assert_int_equal(w.va, PKMAP_ADDR(10));
	assert_int_equal(w.byte, 0x77);
	assert_int_equal(sleeps(), 1);
	assert_null(vl_check_all());
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
		BOOTED(test_bug_in_flush_then_reboot, cfg_small),
		BOOTED(test_bug_bogus_pkmap_pte, cfg_small),
		T(test_bug_bogus_fixmap_pte),
		T(test_bug_kunmap_high_lowmem),
		T(test_bug_kunmap_after_flush),
		T2(test_kunmap_wakes_only_at_count_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
