/*
 * Permanent kernel mappings: kmap()/kunmap() of 2.6.12 mm/highmem.c and
 * arch/i386/mm/highmem.c.  A PKMAP slot is reused only after a wrap of
 * last_pkmap_nr has flushed the whole window from every TLB, so one range
 * flush per LAST_PKMAP mappings replaces a flush per kunmap.
 *
 * The kernel's wait queue is a condition variable.  Unlike the kernel we
 * can tell when no thread is left to ever kunmap(): a kmap() that would
 * then sleep returns EDEADLK instead of hanging.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "highmem.h"
#include "track.h"
#include "mmu.h"
#include "physmem.h"

int pkmap_count[LAST_PKMAP_MAX];
uint32_t last_pkmap_nr;
pthread_mutex_t kmap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pkmap_map_wait = PTHREAD_COND_INITIALIZER;

/*
 * Threads asleep on pkmap_map_wait, and the number of wake-ups so far.  A
 * waker takes the sleepers off the count itself: a woken thread that has
 * not run yet must not look asleep to the deadlock check, and a spurious
 * return from pthread_cond_wait() is told apart by an unchanged count.
 */
static uint32_t pkmap_sleepers;
/* threads counted by vl_thread_enter(): the booting one plus the entered */
static atomic_uint threads_alive;
static uint64_t pkmap_wakeups;

static _Noreturn void pkmap_bug(const char *func, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* BUG with kmap_lock held: drop it first (see highmem.h). */
static void pkmap_bug(const char *func, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&kmap_lock);
	vl_bug(func, "%s", msg);
}

static pte_t *pkmap_pte(uint32_t nr)
{
	return vl_pte_lookup(PKMAP_ADDR(nr));
}

vaddr_t kmap(struct page *page)
{
	if (!PageHighMem(page))
		return page_address(page);
	return kmap_high(page);
}

void kunmap(struct page *page)
{
	if (PageHighMem(page))
		kunmap_high(page);
}

void flush_all_zero_pkmaps(void)
{
	vl_this_stats()->pkmap_flushes++;
	for (uint32_t nr = 0; nr < LAST_PKMAP; nr++) {
		pte_t *ptep;
		pte_t pte;

		/* 0: nothing to undo; > 1: still in use */
		if (pkmap_count[nr] != 1)
			continue;
		pkmap_count[nr] = 0;
		vl_track_count(nr);
		ptep = pkmap_pte(nr);
		pte = *ptep;
		if (!pte_present(pte))
			pkmap_bug(__func__, "pkmap PTE %u not present", nr);
		pte_clear(ptep);
		set_page_address(pte_page(pte, PKMAP_ADDR(nr)), 0);
	}
	flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP));
}

/*
 * One scan as in 2.6.12: true with last_pkmap_nr on a slot at count 0,
 * false after LAST_PKMAP slots in a row without one.  Each wrap to slot 0
 * first flushes the slots at count 1 and restarts the budget.
 */
static bool pkmap_scan(void)
{
	struct vl_stats *st = vl_this_stats();
	uint32_t count = LAST_PKMAP;

	for (;;) {
		last_pkmap_nr = (last_pkmap_nr + 1) & LAST_PKMAP_MASK;
		if (!last_pkmap_nr) {
			flush_all_zero_pkmaps();
			count = LAST_PKMAP;
		}
		st->pkmap_slots_scanned++;
		if (!pkmap_count[last_pkmap_nr])
			return true;
		if (!--count)
			return false;
	}
}

/* Under kmap_lock: take every sleeper off the count; true if there were any. */
static bool pkmap_wake_all(void)
{
	if (!pkmap_sleepers)
		return false;
	pkmap_sleepers = 0;
	pkmap_wakeups++;
	return true;
}

/*
 * Under kmap_lock: sleep until woken, or -EDEADLK when no other counted
 * thread is awake to ever kunmap() and wake us.
 */
static int pkmap_wait(void)
{
	uint64_t ticket = pkmap_wakeups;

	if (pkmap_sleepers + 1 >= vl_threads_alive())
		return -EDEADLK;
	pkmap_sleepers++;
	vl_this_stats()->kmap_sleeps++;
	while (ticket == pkmap_wakeups)
		pthread_cond_wait(&pkmap_map_wait, &kmap_lock);
	return 0;
}

vaddr_t map_new_virtual(struct page *page)
{
	vaddr_t vaddr;

	while (!pkmap_scan()) {
		if (pkmap_wait()) {
			errno = EDEADLK;
			return 0;
		}
		/* another thread may have mapped the page while we slept */
		vaddr = page_address(page);
		if (vaddr)
			return vaddr;
	}
	vaddr = PKMAP_ADDR(last_pkmap_nr);
	set_pte(pkmap_pte(last_pkmap_nr), pfn_pte(page_to_pfn(page), PAGE_KERNEL));
	pkmap_count[last_pkmap_nr] = 1;
	vl_track_count(last_pkmap_nr);
	set_page_address(page, vaddr);
	return vaddr;
}

vaddr_t kmap_high(struct page *page)
{
	vaddr_t vaddr;
	uint32_t nr;

	BUG_ON(!PageHighMem(page));
	pthread_mutex_lock(&kmap_lock);
	vaddr = page_address(page);
	if (!vaddr)
		vaddr = map_new_virtual(page);
	if (!vaddr) {
		pthread_mutex_unlock(&kmap_lock);
		errno = EDEADLK;  /* the unlock may have changed errno */
		return 0;
	}
	nr = PKMAP_NR(vaddr);
	if (++pkmap_count[nr] < 2)
		pkmap_bug(__func__, "pkmap_count[%u] below 2", nr);
	vl_track_count(nr);
	pthread_mutex_unlock(&kmap_lock);
	return vaddr;
}

void kunmap_high(struct page *page)
{
	bool need_wakeup;
	vaddr_t vaddr;
	uint32_t nr;

	pthread_mutex_lock(&kmap_lock);
	vaddr = page_address(page);
	nr = PKMAP_NR(vaddr);
	if (!vaddr || nr >= LAST_PKMAP)
		pkmap_bug(__func__, "page not kmapped");
	/* a count must never reach 0 without a TLB flush */
	if (--pkmap_count[nr] == 0)
		pkmap_bug(__func__, "pkmap_count[%u] dropped to 0", nr);
	vl_track_count(nr);
	need_wakeup = pkmap_count[nr] == 1 && pkmap_wake_all();
	pthread_mutex_unlock(&kmap_lock);
	if (need_wakeup)
		pthread_cond_broadcast(&pkmap_map_wait);
}

/* A thread left the count: if every counted thread now sleeps in kmap(),
 * wake them so that one returns EDEADLK instead of all sleeping for ever. */
static void wake_if_all_asleep(void)
{
	pthread_mutex_lock(&kmap_lock);
	if (pkmap_sleepers >= vl_threads_alive() && pkmap_wake_all())
		pthread_cond_broadcast(&pkmap_map_wait);
	pthread_mutex_unlock(&kmap_lock);
}

int vl_thread_enter(uint32_t cpu)
{
	if (vl_set_cpu(cpu))
		return -EINVAL;
	atomic_fetch_add(&threads_alive, 1);
	return 0;
}

void vl_thread_exit(void)
{
	atomic_fetch_sub(&threads_alive, 1);
	wake_if_all_asleep();
}

uint32_t vl_threads_alive(void)
{
	return atomic_load(&threads_alive);
}

void vl_pkmap_init(void)
{
	/* the last machine may have BUGged with kmap_lock held or a sleeper */
	vl_mutex_reset(&kmap_lock);
	pthread_cond_destroy(&pkmap_map_wait);
	pthread_cond_init(&pkmap_map_wait, NULL);
	memset(pkmap_count, 0, sizeof(pkmap_count));
	last_pkmap_nr = 0;
	pkmap_sleepers = 0;
	atomic_store(&threads_alive, 1);
	page_address_init();
	for (uint32_t nr = 0; nr < LAST_PKMAP; nr++)
		if (!pte_alloc_kernel(PKMAP_ADDR(nr)))
			vl_bug(__func__, "no page table for PKMAP slot %u", nr);
}

void vl_pkmap_exit(void)
{
	/* nothing to release: the page tables go with the MMU */
}
