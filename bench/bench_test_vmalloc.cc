// The scenarios of the kernel's lib/test_vmalloc.c, on the 2.6.12 vmlist,
// scaled to the layout's VMALLOC window.  One operation is one loop
// iteration of the kernel test.
//
// 2.6.12 vmalloc() has no alignment argument.  The align variants reserve
// with __get_vm_area(VM_IOREMAP) - the one aligned path of 2.6.12, whose
// own alignment follows the size - starting the first-fit walk at
// ALIGN(VMALLOC_START, align), map preallocated frames with map_vm_area()
// and release with vunmap().  The window is empty between iterations, as in
// the kernel test, so the area starts exactly there; every address is
// checked.  An aligned start past 32 bits or past the window fails like the
// kernel's allocation does, which is what align_shift expects.
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
	struct Param {};
	explicit FixSize(const Param &) { batch = 64; }
	void op(uint32_t)
	{
		if (!alloc_touch_free(1))
			fail("fix_size iteration failed");
	}
};

// full_fit_alloc_test: `junk` one-page areas interleaved with `junk` kept
// ones, the junk freed, so each iteration's page fits a hole exactly.
struct FullFit : FixSize {
	struct Param { uint32_t junk; };
	explicit FullFit(const Param &p) : FixSize(FixSize::Param{})
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
struct LongBusyList : Machine {
	struct Param { uint32_t busy; };
	explicit LongBusyList(const Param &p)
	{
		batch = 8;
		hold_one_page_areas(p.busy, "cannot build the busy list");
	}
	void op(uint32_t)
	{
		vaddr_t big = vmalloc(100 * PAGE_SIZE), small = vmalloc(PAGE_SIZE);
		bool ok = big && small && touch(big) && touch(small);
		if (vfree(big) || vfree(small) || !ok)
			fail("long_busy_list iteration failed");
	}
};

// random_size_alloc_test: vmalloc(1..100 pages), touch, vfree.
struct RandomSize : Machine {
	struct Param {};
	explicit RandomSize(const Param &) { batch = 16; }
	void op(uint32_t)
	{
		if (!alloc_touch_free(1 + rng.below(100)))
			fail("random_size iteration failed");
	}
	Rng rng{1};
};

// Aligned area of `pages` preallocated frames (see the top of the file).
// Returns the address, or 0 when no aligned area fits.
static vaddr_t aligned_vmap(struct page **frames, uint32_t pages, uint64_t align)
{
	uint64_t start = (vl.layout->vmalloc_start + align - 1) & ~(align - 1);
	if (start > UINT32_MAX)
		return 0;
	struct vm_struct *area = __get_vm_area(pages * PAGE_SIZE, VM_IOREMAP,
					       (vaddr_t)start, vl.layout->vmalloc_end);
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
	explicit Aligned(uint32_t nframes)
	{
		for (uint32_t i = 0; i < nframes && !error; i++) {
			frames.push_back(alloc_highmem());
			if (!frames.back())
				fail("no highmem pages");
		}
	}
	// One aligned map + unmap; false if no area was given.
	bool cycle(uint32_t pages, uint64_t align)
	{
		vaddr_t a = aligned_vmap(frames.data(), pages, align);
		if (a && a % align)
			fail("aligned area is not aligned");
		return a && vunmap(a) == 0;
	}
	std::vector<struct page *> frames;
};

// fix_align_alloc_test: 5 pages aligned to THREAD_ALIGN << 1 (32 KiB on
// x86-64, also what VM_IOREMAP gives 5 pages).
struct FixAlign : Aligned {
	struct Param {};
	explicit FixAlign(const Param &) : Aligned(5) { batch = 64; }
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
	struct Param {};
	explicit RandomSizeAlign(const Param &) : Aligned(10)
	{
		batch = 16;
		while (cap > PAGE_SIZE && !fits(cap))
			cap >>= 1;
	}
	void op(uint32_t)
	{
		uint32_t rnd = rng.below(256);
		uint64_t align = std::min<uint64_t>(cap, 1ull << (rnd % 23));
		if (!cycle(rnd % 10 + 1, std::max<uint64_t>(PAGE_SIZE, align)))
			fail("random_size_align iteration failed");
	}
	void annotate(benchmark::State &st) { st.counters["align_cap"] = (double)cap; }
	// 10 pages and a guard at @align (and VM_IOREMAP's own 64 KiB) fit.
	static bool fits(uint64_t align)
	{
		uint64_t a = std::max<uint64_t>(align, 65536);
		uint64_t start = (vl.layout->vmalloc_start + a - 1) & ~(a - 1);
		return start + 11 * PAGE_SIZE <= vl.layout->vmalloc_end;
	}
	uint64_t cap = 1ull << 22;
	Rng rng{2};
};

// align_shift_alloc_test: one page aligned to 1 << i for i = 0..31 must
// fail at some i.  One operation is the whole sequence up to the failure.
struct AlignShift : Aligned {
	struct Param {};
	explicit AlignShift(const Param &) : Aligned(1) { batch = 8; }
	void op(uint32_t)
	{
		uint32_t i = 0;
		while (i < 32 && cycle(1, std::max<uint64_t>(PAGE_SIZE, 1ull << i)))
			i++;
		if (i == 32)
			fail("align_shift did not fail, unlike the kernel");
		fail_shift = i;
	}
	void annotate(benchmark::State &st) { st.counters["fail_shift"] = fail_shift; }
	uint32_t fail_shift = 0;
};

}  // namespace

void register_test_vmalloc(const vl_layout &l)
{
	// The kernel's 8192 junk pairs and 15000 busy areas, cut to 90% of
	// the window (a pair takes 4 pages with guards, a busy area 2) and
	// leaving room for the iteration's 101 + 2 pages.
	uint32_t win = window_pages(l);
	uint32_t junk = std::min(8192u, win * 9 / 10 / 4);
	uint32_t busy = std::min({15000u, win * 9 / 10 / 2, (win - 103) / 2});
	add<FixSize>("test_vmalloc/fix_size/vmlist", {}, 1);
	add<FullFit>("test_vmalloc/full_fit/vmlist/junk=" + std::to_string(junk), {junk}, junk);
	add<LongBusyList>("test_vmalloc/long_busy_list/vmlist/busy=" + std::to_string(busy),
			  {busy}, busy);
	add<RandomSize>("test_vmalloc/random_size/vmlist", {}, 100);
	add<FixAlign>("test_vmalloc/fix_align/vmlist", {}, 5);
	add<RandomSizeAlign>("test_vmalloc/random_size_align/vmlist", {}, 10);
	add<AlignShift>("test_vmalloc/align_shift/vmlist", {}, 32);
}

}  // namespace vlb
