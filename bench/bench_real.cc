// Real-input suite: a /proc/vmallocinfo snapshot replayed as the standing
// population of the VMALLOC window, then vmalloc() + vfree() on top of it.
#include "harness.h"

namespace vlb {
namespace {

constexpr double kFill = 0.9;  // share of the window the replay may take

struct OnSnapshot : Machine {
	struct Param { const vl_vmi *vmi; uint32_t pages; };
	explicit OnSnapshot(const Param &p) : bytes(p.pages * PAGE_SIZE)
	{
		batch = 16;
		if (!error && vl_vmi_populate(p.vmi, kFill, &rep) != 0)
			fail("the snapshot does not fit the window");
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
		st.counters["replay_scale"] = rep.scale;
		st.counters["replay_holes"] = rep.holes_kept;
		st.counters["replay_areas"] = rep.areas;
		st.counters["replay_skipped"] = rep.skipped;
		st.counters["replay_bytes"] = (double)rep.bytes;
	}
	uint32_t bytes;
	vl_vmi_replay rep{};
};

}  // namespace

void register_real(const vl_layout &, const vl_vmi &vmi)
{
	for (uint32_t pages : {1u, 4u, 16u, 64u})
		add<OnSnapshot>("real/vmalloc_vfree/vmlist/pages=" + std::to_string(pages),
				{&vmi, pages}, pages);
}

}  // namespace vlb
