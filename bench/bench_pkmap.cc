// PKMAP suite: kmap hit, kmap miss at an occupancy, the wrap-and-flush
// path, kunmap, and the floor (an uncontended mutex around an increment).
#include <pthread.h>

#include <algorithm>

#include "harness.h"

namespace vlb {
namespace {

// Highmem pages handed out round-robin, skipping any that still has a
// PKMAP address (in use, or at count 1 until the next wrap).
class PagePool {
public:
	bool fill(uint32_t n)
	{
		for (uint32_t i = 0; i < n; i++) {
			struct page *p = alloc_highmem();
			if (!p)
				return false;
			pages_.push_back(p);
		}
		return true;
	}
	struct page *fresh()
	{
		for (size_t tries = 0; tries < pages_.size(); tries++) {
			struct page *p = pages_[next_++ % pages_.size()];
			if (!page_address(p))
				return p;
		}
		return nullptr;
	}

private:
	std::vector<struct page *> pages_;
	size_t next_ = 0;
};

// Slots held at an occupancy of `occ_pct` percent of LAST_PKMAP.
static uint32_t held_slots(uint32_t occ_pct)
{
	return std::min(LAST_PKMAP - 1, (LAST_PKMAP * occ_pct + 50) / 100);
}

// Slots held for the whole run (count 2) at `occ_pct` percent, spread over
// slots 1..LAST_PKMAP-1 by a seeded shuffle: every one of those slots is
// mapped once, and the pages not kept are kunmapped (count 1 until the next
// wrap frees them).
static const char *hold_occupancy(PagePool &pool, uint32_t occ_pct)
{
	std::vector<struct page *> mapped;
	for (uint32_t i = 1; i < LAST_PKMAP; i++) {
		struct page *p = pool.fresh();
		if (!p || !kmap(p))
			return "cannot fill the PKMAP window";
		mapped.push_back(p);
	}
	Rng rng(occ_pct);
	for (size_t i = mapped.size() - 1; i > 0; i--)
		std::swap(mapped[i], mapped[rng.below((uint32_t)i + 1)]);
	for (size_t i = held_slots(occ_pct); i < mapped.size(); i++)
		kunmap(mapped[i]);
	return nullptr;
}

// The floor: what any lock-protected lookup costs at least.
struct Floor : Machine {
	struct Param {};
	explicit Floor(const Param &) { batch = 256; }
	void op(uint32_t)
	{
		pthread_mutex_lock(&mutex);
		counter++;
		pthread_mutex_unlock(&mutex);
	}
	pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
	uint64_t counter = 0;
};

// kmap of a page that is already mapped: lock, hash lookup, count++.
// The batch's extra references are dropped untimed.
struct KmapHit : Machine {
	struct Param { uint32_t occ_pct; };
	explicit KmapHit(const Param &p)
	{
		batch = 256;
		if (!error)
			fail(setup(p));
	}
	const char *setup(const Param &p)
	{
		if (!pool.fill(2 * LAST_PKMAP))
			return "no highmem pages";
		if (const char *why = hold_occupancy(pool, p.occ_pct))
			return why;
		page = pool.fresh();
		return page && kmap(page) ? nullptr : "kmap of the hit page failed";
	}
	void op(uint32_t)
	{
		if (!kmap(page))
			fail("kmap hit failed");
	}
	void restore()
	{
		for (uint32_t i = 0; i < batch; i++)
			kunmap(page);
	}
	PagePool pool;
	struct page *page = nullptr;
};

// kunmap of a page mapped several times: count--, no wake-up.
struct Kunmap : KmapHit {
	explicit Kunmap(const Param &p) : KmapHit(p) {}
	void prepare()
	{
		for (uint32_t i = 0; i < batch && !error; i++)
			KmapHit::op(i);
	}
	void op(uint32_t) { kunmap(page); }
	void restore() {}
};

// kmap of an unmapped page through map_new_virtual(), steady state: the
// batch's pages are kunmapped untimed and their slots come back at the next
// wrap, whose flush_all_zero_pkmaps() falls in the timed part at its
// natural rate (see tlb_flushes_per_op).
struct KmapMiss : Machine {
	struct Param { uint32_t occ_pct; };
	explicit KmapMiss(const Param &p)
	{
		if (!error)
			fail(setup(p));
	}
	const char *setup(const Param &p)
	{
		// a batch keeps its pages mapped: at most the slots not held
		batch = std::min(64u, LAST_PKMAP - held_slots(p.occ_pct));
		cur.resize(batch);
		if (!pool.fill(2 * LAST_PKMAP + batch))
			return "no highmem pages";
		return hold_occupancy(pool, p.occ_pct);
	}
	void prepare()
	{
		for (struct page *&p : cur)
			if (!(p = pool.fresh()))
				fail("no unmapped highmem page left");
	}
	void op(uint32_t i)
	{
		if (!kmap(cur[i]))
			fail("kmap miss failed");
	}
	void restore()
	{
		for (struct page *p : cur)
			if (page_address(p))
				kunmap(p);
	}
	PagePool pool;
	std::vector<struct page *> cur;
};

// The wrap: one kmap finds last_pkmap_nr at LAST_PKMAP-1 with k slots at
// count 1, so it runs flush_all_zero_pkmaps() (k PTE clears, k hash
// removals, one range flush) and then takes slot 0.  Layout kept between
// operations: slots 1..L-k held for good, slots L-k+1..L-1 mapped and
// kunmapped untimed before each op, slot 0 released after it: k slots.
struct FlushWrap : Machine {
	struct Param { uint32_t k; };
	explicit FlushWrap(const Param &p) : k(p.k)
	{
		if (!error)
			fail(setup());
		if (!error)
			prepare();  // one untimed round puts slot 0 at count 1 as well
		if (!error)
			op(0);
		if (!error)
			restore();
	}
	const char *setup()
	{
		if (!pool.fill(2 * LAST_PKMAP + 2))
			return "no highmem pages";
		for (uint32_t i = 0; i < LAST_PKMAP - k; i++) {
			struct page *p = pool.fresh();
			if (!p || !kmap(p))
				return "cannot hold the PKMAP slots";
		}
		return nullptr;
	}
	void prepare()
	{
		std::vector<struct page *> cycled;
		for (uint32_t i = 1; i < k && !error; i++) {
			struct page *p = pool.fresh();
			if (!p || !kmap(p))
				fail("cannot cycle the PKMAP slots");
			else
				cycled.push_back(p);
		}
		for (struct page *p : cycled)
			kunmap(p);
		park_cursor();
		if (!(wrapped = pool.fresh()))
			fail("no unmapped highmem page left");
	}
	// A wrap is due: last_pkmap_nr on the last slot.  For k >= 2 the cycled
	// pages already left it there; k = 1 has none to cycle.
	static void park_cursor()
	{
		pthread_mutex_lock(&kmap_lock);
		last_pkmap_nr = LAST_PKMAP - 1;
		pthread_mutex_unlock(&kmap_lock);
	}
	void op(uint32_t)
	{
		if (!kmap(wrapped))
			fail("kmap across the wrap failed");
	}
	void restore()
	{
		if (last_pkmap_nr != 0)
			fail("the kmap did not wrap");
		else
			kunmap(wrapped);
	}
	uint32_t k;
	PagePool pool;
	struct page *wrapped = nullptr;
};

}  // namespace

void register_pkmap(const vl_layout &l)
{
	add<Floor>("pkmap/floor_mutex_inc/pthread", {}, 0);
	for (uint32_t occ : {0u, 90u})
		add<KmapHit>("pkmap/kmap_hit/pkmap/occ=" + std::to_string(occ), {occ}, occ);
	add<Kunmap>("pkmap/kunmap/pkmap/occ=0", {0}, 0);
	for (uint32_t occ : {0u, 50u, 90u, 99u})
		add<KmapMiss>("pkmap/kmap_miss/pkmap/occ=" + std::to_string(occ), {occ}, occ);
	for (uint32_t k : geometric(1, l.last_pkmap, opt.quick ? 8 : 2))
		add<FlushWrap>("pkmap/flush_wrap/pkmap/k=" + std::to_string(k), {k}, k);
}

}  // namespace vlb
