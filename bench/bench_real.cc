// Real-input suite: a /proc/vmallocinfo snapshot replayed as the standing
// population of the VMALLOC window, then vmalloc() + vfree() on top of it,
// on each generation (the trees with the snapshot's lazily freed areas).
#include <algorithm>

#include "harness.h"

namespace vlb {
namespace {

constexpr double kFill = 0.9;  // share of the window the replay may take

struct OnSnapshot : Machine {
	struct Param { Boot boot; const vl_vmi *vmi; uint32_t pages; };
	explicit OnSnapshot(const Param &p) : Machine(p.boot), bytes(p.pages * PAGE_SIZE)
	{
		batch = 16;
		// The share leaves room for twice the area measured (the small
		// layout's window is 1 MiB).  vl_vmi_populate() fits the sizes to
		// it, but VM_IOREMAP alignment gaps are not counted: halve the
		// share until it fits, so a real file always replays (the fill
		// is recorded).
		double win = window_pages(*vl.layout);
		fill = std::min(kFill, 1.0 - 2.0 * (p.pages + 1) / win);
		for (; !error && fill >= 1.0 / 64; fill /= 2)
			if (vl_vmi_populate(p.vmi, fill, &rep) == 0)
				return;
		fail("the snapshot does not fit the window even sampled");
	}
	~OnSnapshot()
	{
		if (rep.handles)
			vl_vmi_depopulate(&rep);
	}
	void op(uint32_t)
	{
		vaddr_t a = vmalloc(bytes);
		if (!a || vfree(a))
			fail("vmalloc/vfree over the snapshot failed");
	}
	void annotate(benchmark::State &st)
	{
		st.counters["replay_fill"] = fill;
		st.counters["replay_scale"] = rep.scale;
		st.counters["replay_stride"] = rep.stride;
		st.counters["replay_dropped"] = rep.dropped;
		st.counters["replay_holes"] = rep.holes_kept;
		st.counters["replay_areas"] = rep.areas;
		st.counters["replay_skipped"] = rep.skipped;
		st.counters["replay_lazy"] = rep.lazy;
		st.counters["replay_bytes"] = (double)rep.bytes;
	}
	uint32_t bytes;
	double fill;
	vl_vmi_replay rep{};
};

}  // namespace

void register_real(const vl_layout &, const vl_vmi &vmi)
{
	for (const Gen &g : kGens)
		for (uint32_t pages : {1u, 4u, 16u, 64u})
			add<OnSnapshot>(std::string("real/vmalloc_vfree/") + g.name + "/pages=" +
					std::to_string(pages),
					{{g.id, opt.vmalloc_size}, &vmi, pages}, pages);
}

}  // namespace vlb
