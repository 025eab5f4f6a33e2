// VMALLOC suite, on each generation (2.6.12 vmlist, 5.0 rbtree, 5.2+
// augtree; lazy freeing on for the trees, as in the kernel): the scan-cost
// curve, vmap/vunmap, and the page-table population cost of vmalloc() and
// vfree() by size.
#include <algorithm>

#include "harness.h"

namespace vlb {
namespace {

// vmalloc(1 page) + vfree with `live` one-page areas packed from
// VMALLOC_START: the vmlist first fit walks past all of them, and so does
// the look-up of remove_vm_area(); the trees descend.
struct LiveAreas : Machine {
	struct Param { Boot boot; uint32_t live; };
	explicit LiveAreas(const Param &p) : Machine(p.boot)
	{
		batch = 16;
		sample_ops = kWalkSampleOps;
		hold_one_page_areas(p.live, "cannot place the live areas");
	}
	void op(uint32_t)
	{
		vaddr_t a = vmalloc(PAGE_SIZE);
		if (!a || vfree(a))
			fail("vmalloc/vfree on the live list failed");
	}
};

// vmap + vunmap of `pages` frames allocated once.
struct VmapPair : Machine {
	struct Param { Boot boot; uint32_t pages; };
	explicit VmapPair(const Param &p) : Machine(p.boot)
	{
		batch = 64;
		for (uint32_t i = 0; i < p.pages && !error; i++) {
			frames.push_back(alloc_highmem());
			if (!frames.back())
				fail("no highmem pages");
		}
	}
	void op(uint32_t)
	{
		vaddr_t a = vmap(frames.data(), (uint32_t)frames.size(), VM_MAP, PAGE_KERNEL);
		if (!a || vunmap(a))
			fail("vmap/vunmap failed");
	}
	std::vector<struct page *> frames;
};

// Areas of `pages` pages a batch may hold: half the window at most.
static uint32_t sized_batch(uint32_t pages)
{
	uint32_t fit = window_pages(*vl.layout) / 2 / (pages + 1);
	return std::max(1u, std::min(16u, fit));
}

// vmalloc() of `pages` pages (frames, pointer array, one PTE each); the
// batch's areas are vfree()d untimed.
struct VmallocSize : Machine {
	struct Param { Boot boot; uint32_t pages; };
	explicit VmallocSize(const Param &p) : Machine(p.boot), bytes(p.pages * PAGE_SIZE)
	{
		if (!error)
			batch = sized_batch(p.pages);
		addr.assign(batch, 0);
	}
	void op(uint32_t i)
	{
		if (!(addr[i] = vmalloc(bytes)))
			fail("vmalloc failed");
	}
	void restore()
	{
		for (vaddr_t a : addr)
			vfree(a);
	}
	uint32_t bytes;
	std::vector<vaddr_t> addr;
};

// vfree() of `pages`-page areas made untimed: PTE clears, one range flush,
// frames returned.
struct VfreeSize : VmallocSize {
	explicit VfreeSize(const Param &p) : VmallocSize(p) {}
	void prepare()
	{
		for (uint32_t i = 0; i < batch && !error; i++)
			VmallocSize::op(i);
	}
	void op(uint32_t i)
	{
		if (vfree(addr[i]))
			fail("vfree failed");
	}
	void restore() {}
};

}  // namespace

// The curve's largest population: what the window holds beside the pages
// a lazy purge waits for (lazy_max_pages(), 32 MiB with one CPU) and what
// 3/4 of the frames allow; at most kBusyAreas unless the window was given.
static uint32_t curve_top(const vl_layout &l)
{
	uint32_t win = window_pages(l), lazy = std::min(win / 2, (32u << 20) / PAGE_SIZE + 2);
	uint32_t top = std::min((win - lazy) / 2, ram_pages(l) / 4 * 3);
	if (!opt.vmalloc_size)
		top = std::min(top, kBusyAreas);
	return opt.quick ? std::min(top, kQuickAreas) : top;
}

void register_vmalloc(const vl_layout &l)
{
	uint32_t large = large_window(l);
	std::vector<uint32_t> curve = geometric(10, curve_top(resized(l, large)),
						opt.quick ? 10 : 3.1623);
	// up to 1024 pages, or what a batch of one leaves in half the window
	vl_layout own = resized(l, opt.vmalloc_size);
	uint32_t largest = std::min(1024u, window_pages(own) / 2 - 1);
	for (const Gen &g : kGens) {
		std::string impl = std::string("/") + g.name;
		Boot big{g.id, large}, boot{g.id, opt.vmalloc_size};
		for (uint32_t n : curve)
			add<LiveAreas>("vmalloc/vmalloc_vfree_1page" + impl + "/live=" +
				       std::to_string(n), {big, n}, n);
		for (uint32_t pages : {1u, 16u})
			add<VmapPair>("vmalloc/vmap_vunmap" + impl + "/pages=" +
				      std::to_string(pages), {boot, pages}, pages);
		for (uint32_t pages : geometric(1, largest, opt.quick ? 32 : 4)) {
			std::string p = impl + "/pages=" + std::to_string(pages);
			add<VmallocSize>("vmalloc/vmalloc" + p, {boot, pages}, pages);
			add<VfreeSize>("vmalloc/vfree" + p, {boot, pages}, pages);
		}
	}
}

}  // namespace vlb
