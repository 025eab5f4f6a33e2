// The scenarios of the kernel's lib/test_vmalloc.c at the kernel's own
// parameters (8192 junk pairs, 15,000 busy areas) on each generation, in a
// window that holds them (harness.h, large_window), cut only where the
// layout is too small even so.  One operation is one loop iteration of the
// kernel test.  Two more split long_busy_list's time: the same iteration
// through get_vm_area()/remove_vm_area() alone (the search for a hole and
// the look-up, no frames, no PTEs), and one allocation of it alone (the
// nodes visited per search).  long_busy_list_hole* repeat the three with
// one free hole above the busy areas, as a shared window has (see
// LongBusyList).
//
// The align variants reserve with __get_vm_area_node(size, align,
// VM_ALLOC, VMALLOC_START, VMALLOC_END) - what the kernel test's
// __vmalloc_node(size, align, ...) reserves with - map preallocated frames
// with map_vm_area() and release with vunmap(), lazily on generations 2 to
// 4 as in the kernel; every address's alignment is checked.  An alignment
// no address of the window has fails like the kernel's allocation does,
// which is what align_shift expects.
#include <algorithm>

#include "harness.h"

namespace vlb {
namespace {

// Write one byte through the new mapping, as the kernel test does.
static bool touch(vaddr_t a)
{
	uint8_t one = 1;
	return vl_write(a, &one, 1) == 0;
}

static bool alloc_touch_free(uint32_t pages)
{
	vaddr_t a = vmalloc(pages * PAGE_SIZE);
	if (!a)
		return false;
	bool touched = touch(a);
	return vfree(a) == 0 && touched;
}

// fix_size_alloc_test: vmalloc(1 page), touch, vfree.
struct FixSize : Machine {
	struct Param { Boot boot; };
	explicit FixSize(const Param &p) : Machine(p.boot) { batch = 64; }
	void op(uint32_t)
	{
		if (!alloc_touch_free(1))
			fail("fix_size iteration failed");
	}
};

// full_fit_alloc_test: `junk` one-page areas interleaved with `junk` kept
// ones, the junk freed, so each iteration's page fits a hole exactly.
struct FullFit : FixSize {
	struct Param { Boot boot; uint32_t junk; };
	explicit FullFit(const Param &p) : FixSize(FixSize::Param{p.boot})
	{
		std::vector<vaddr_t> junk;
		for (uint32_t i = 0; i < p.junk && !error; i++) {
			vaddr_t kept = vmalloc(PAGE_SIZE);
			junk.push_back(vmalloc(PAGE_SIZE));
			if (!kept || !junk.back())
				fail("cannot build the interleaved list");
		}
		for (vaddr_t a : junk)
			vfree(a);
	}
};

// long_busy_list_alloc_test: `busy` one-page areas held, then each
// iteration vmalloc(100 pages) + vmalloc(1 page), touch both, free both.
//
// hole > 0: then a free hole of that many pages (guard included) above
// them, below a one-page area, as a window other users share has: 5.0
// records it in cached_hole_size when a 100-page search walks past it, so
// the next one-page request drops free_vmap_cache and walks the busy list
// from VMALLOC_START (the kernel's 5.0 long_busy_list time is such a walk
// per iteration).
struct LongBusyList : Machine {
	struct Param { Boot boot; uint32_t busy; uint32_t hole; };
	explicit LongBusyList(const Param &p) : Machine(p.boot)
	{
		batch = 8;
		sample_ops = kWalkSampleOps;
		hold_one_page_areas(p.busy, "cannot build the busy list");
		if (p.hole && !error) {
			vaddr_t hole = vmalloc((p.hole - 1) * PAGE_SIZE);
			if (!hole || !vmalloc(PAGE_SIZE) || vfree(hole))
				fail("cannot make the hole");
			purge_vmap_area_lazy();
		}
	}
	void op(uint32_t)
	{
		vaddr_t big = vmalloc(100 * PAGE_SIZE), small = vmalloc(PAGE_SIZE);
		bool ok = big && small && touch(big) && touch(small);
		if (vfree(big) || vfree(small) || !ok)
			fail("long_busy_list iteration failed");
	}
};

// A busy area of @pages pages (no frames, no PTEs), or 0.
static vaddr_t reserve(uint32_t pages)
{
	struct vm_struct *area = get_vm_area(pages * PAGE_SIZE, VM_ALLOC);
	return area ? area->addr : 0;
}

// Undo reserve(): look the area up, take it out (lazily for the trees).
static bool release(vaddr_t addr)
{
	struct vm_struct *area = remove_vm_area(addr);
	free(area);
	return area != nullptr;
}

// long_busy_list's iteration through get_vm_area()/remove_vm_area() only:
// the search for both holes, both look-ups and the lazy purges they cause.
struct LongBusySearch : LongBusyList {
	explicit LongBusySearch(const Param &p) : LongBusyList(p) {}
	void op(uint32_t)
	{
		vaddr_t big = reserve(100), small = reserve(1);
		bool ok = big && small;
		if (!release(big) || !release(small) || !ok)
			fail("long_busy_list search failed");
	}
};

// One allocation of the iteration alone, 100 pages then 1 page: the nodes
// a search for a hole visits.  A batch is the iteration's two (what the
// window has room for beside the busy areas), released untimed.
struct LongBusyAlloc : LongBusyList {
	explicit LongBusyAlloc(const Param &p) : LongBusyList(p)
	{
		batch = 2;
		addr.assign(batch, 0);
	}
	void op(uint32_t i)
	{
		if (!(addr[i] = reserve(i % 2 ? 1 : 100)))
			fail("long_busy_list allocation failed");
	}
	void restore()
	{
		for (vaddr_t a : addr)
			release(a);
	}
	std::vector<vaddr_t> addr;
};

// random_size_alloc_test: vmalloc(1..100 pages), touch, vfree.
struct RandomSize : Machine {
	struct Param { Boot boot; };
	explicit RandomSize(const Param &p) : Machine(p.boot) { batch = 16; }
	void op(uint32_t)
	{
		if (!alloc_touch_free(1 + rng.below(100)))
			fail("random_size iteration failed");
	}
	Rng rng{1};
};

// Aligned area of `pages` preallocated frames (see the top of the file).
// Returns the address, or 0 when no aligned area fits.
static vaddr_t aligned_vmap(struct page **frames, uint32_t pages, uint32_t align)
{
	struct vm_struct *area = __get_vm_area_node(pages * PAGE_SIZE, align, VM_ALLOC,
						    vl.layout->vmalloc_start,
						    vl.layout->vmalloc_end);
	if (!area)
		return 0;
	if (map_vm_area(area, PAGE_KERNEL, &frames)) {
		vunmap(area->addr);
		return 0;
	}
	return area->addr;
}

// Base of the align variants: `frames` highmem pages allocated once.
struct Aligned : Machine {
	Aligned(const Boot &boot, uint32_t nframes) : Machine(boot)
	{
		for (uint32_t i = 0; i < nframes && !error; i++) {
			frames.push_back(alloc_highmem());
			if (!frames.back())
				fail("no highmem pages");
		}
	}
	// One aligned map + unmap; false if no area was given.
	bool cycle(uint32_t pages, uint32_t align)
	{
		vaddr_t a = aligned_vmap(frames.data(), pages, align);
		if (a && a % align)
			fail("aligned area is not aligned");
		return a && vunmap(a) == 0;
	}
	std::vector<struct page *> frames;
};

// fix_align_alloc_test: 5 pages aligned to THREAD_ALIGN << 1 (32 KiB on x86-64).
struct FixAlign : Aligned {
	struct Param { Boot boot; };
	explicit FixAlign(const Param &p) : Aligned(p.boot, 5) { batch = 64; }
	void op(uint32_t)
	{
		if (!cycle(5, 32768))
			fail("fix_align iteration failed");
	}
};

// random_size_align_alloc_test: align 1 << (rnd % 23), 1..10 pages.
// The alignment is capped where the window is too small for it (the small
// layout's 1 MiB), as the kernel test assumes a window that holds it.
struct RandomSizeAlign : Aligned {
	struct Param { Boot boot; };
	explicit RandomSizeAlign(const Param &p) : Aligned(p.boot, 10)
	{
		batch = 16;
		while (cap > PAGE_SIZE && !fits(cap))
			cap >>= 1;
	}
	void op(uint32_t)
	{
		uint32_t rnd = rng.below(256);
		if (!cycle(rnd % 10 + 1, std::min(cap, 1u << (rnd % 23))))
			fail("random_size_align iteration failed");
	}
	void annotate(benchmark::State &st) { st.counters["align_cap"] = (double)cap; }
	// 10 pages and a guard at @align fit.
	static bool fits(uint32_t align)
	{
		uint64_t start = ((uint64_t)vl.layout->vmalloc_start + align - 1) & ~(uint64_t)(align - 1);
		return start + 11 * PAGE_SIZE <= vl.layout->vmalloc_end;
	}
	uint32_t cap = 1u << 22;
	Rng rng{2};
};

// align_shift_alloc_test: one page aligned to 1 << i for i = 0..31 must
// fail at some i.  One operation is the whole sequence up to the failure.
struct AlignShift : Aligned {
	struct Param { Boot boot; };
	explicit AlignShift(const Param &p) : Aligned(p.boot, 1) { batch = 8; }
	void op(uint32_t)
	{
		uint32_t i = 0;
		while (i < 32 && cycle(1, 1u << i))
			i++;
		if (i == 32)
			fail("align_shift did not fail, unlike the kernel");
		fail_shift = i;
	}
	void annotate(benchmark::State &st) { st.counters["fail_shift"] = fail_shift; }
	uint32_t fail_shift = 0;
};

}  // namespace

// The hole of the long_busy_list_hole variants (pages, guard included):
// more than one page and its guard, less than the 100-page request.
constexpr uint32_t kHolePages = 50;

void register_test_vmalloc(const vl_layout &layout)
{
	// The kernel's 8192 junk pairs and 15000 busy areas, cut to 90% of
	// the window (a pair takes 4 pages with guards, a busy area 2) and
	// of 3/4 of the frames, leaving room for the iteration's 101 + 2
	// pages; --vl_quick cuts both to kQuickAreas.
	uint32_t large = large_window(layout);
	vl_layout l = resized(layout, large);
	uint32_t win = window_pages(l), frames = ram_pages(l) / 4 * 3;
	uint32_t cut = opt.quick ? kQuickAreas : kBusyAreas;
	uint32_t junk = std::min({8192u, cut, win * 9 / 10 / 4, frames / 2});
	uint32_t busy = std::min({cut, win * 9 / 10 / 2, (win - 103 - kHolePages - 2) / 2, frames});
	std::string j = "/junk=" + std::to_string(junk), b = "/busy=" + std::to_string(busy);
	for (const Gen &g : kGens) {
		std::string tv = std::string("test_vmalloc/"), impl = std::string("/") + g.name;
		Boot boot{g.id, large};
		add<FixSize>(tv + "fix_size" + impl, {boot}, 1);
		add<FullFit>(tv + "full_fit" + impl + j, {boot, junk}, junk);
		for (uint32_t hole : {0u, kHolePages}) {
			std::string lb = tv + "long_busy_list" + (hole ? "_hole" : "");
			LongBusyList::Param p{boot, busy, hole};
			add<LongBusyList>(lb + impl + b, p, busy);
			add<LongBusySearch>(lb + "_search" + impl + b, p, busy);
			add<LongBusyAlloc>(lb + "_alloc" + impl + b, p, busy);
		}
		add<RandomSize>(tv + "random_size" + impl, {boot}, 100);
		add<FixAlign>(tv + "fix_align" + impl, {boot}, 5);
		add<RandomSizeAlign>(tv + "random_size_align" + impl, {boot}, 10);
		add<AlignShift>(tv + "align_shift" + impl, {boot}, 32);
	}
}

}  // namespace vlb
