// FIXMAP suite: a kmap_atomic + kunmap_atomic pair on a highmem page, with
// the kernel's CONFIG_DEBUG_HIGHMEM-style checks on and off.
#include "harness.h"

namespace vlb {
namespace {

// Debug on: kunmap_atomic checks the slot, clears the PTE and flushes it.
// Debug off: the PTE stays and the next kmap_atomic overwrites it.
struct AtomicPair : Machine {
	struct Param { bool debug; };
	explicit AtomicPair(const Param &p) : Machine(p.debug)
	{
		batch = 256;
		if (!error && !(page = alloc_highmem()))
			fail("no highmem page");
	}
	void op(uint32_t)
	{
		vaddr_t va = kmap_atomic(page, KM_USER0);
		benchmark::DoNotOptimize(va);
		kunmap_atomic(va, KM_USER0);
	}
	struct page *page = nullptr;
};

}  // namespace

void register_fixmap(const vl_layout &)
{
	add<AtomicPair>("fixmap/kmap_atomic_pair/fixmap/debug=on", {true}, 1);
	add<AtomicPair>("fixmap/kmap_atomic_pair/fixmap/debug=off", {false}, 0);
}

}  // namespace vlb
