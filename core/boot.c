/*
 * Boot and shutdown.  The only file that calls every allocator's init and
 * exit: the allocators sit on machine.c, and this sits on them.
 */
#include <errno.h>
#include "boot.h"
#include "fixmap.h"
#include "highmem.h"
#include "mmu.h"
#include "physmem.h"
#include "track.h"
#include "vmalloc.h"

static bool booted;
/* The running layout: a copy, VMALLOC_START moved by any vmalloc=. */
static struct vl_layout running;

/* The layout @cfg asks for into @out; false: unknown name, bad vmalloc_size. */
static bool boot_layout(const struct vl_config *cfg, struct vl_layout *out)
{
	const struct vl_layout *l = vl_layout_find(cfg->layout ? cfg->layout : "biscuitos");

	if (!l)
		return false;
	if (!cfg->vmalloc_size) {
		*out = *l;
		return true;
	}
	return vl_layout_resize_vmalloc(l, cfg->vmalloc_size, out) == 0;
}

int vl_boot(const struct vl_config *cfg)
{
	struct vl_layout l;
	uint32_t cpus = cfg->cpus ? cfg->cpus : 1;
	enum vl_vmalloc_gen gen = cfg->vmalloc ? cfg->vmalloc : VL_VMLIST;
	uint32_t nodes = cfg->vmap_nodes ? cfg->vmap_nodes : cpus;

	if (!boot_layout(cfg, &l) || cpus > l.nr_cpus || cpus > VL_MAX_CPUS ||
	    gen > VL_NODES || nodes > VL_MAX_VMAP_NODES)
		return -EINVAL;
	if (booted)
		vl_shutdown();
	vl_track_stop();
	running = l;
	vl = (struct vl_machine){ .layout = &running, .cpus = cpus, .debug = cfg->debug,
				  .vmalloc = gen, .lazy = gen != VL_VMLIST && !cfg->lazy_off,
				  .purge_on_demand = cfg->purge_on_demand, .vmap_nodes = nodes };
	vl_this_cpu = 0;
	vl_physmem_init();
	vl_mmu_init();
	vl_pkmap_init();
	vl_fixmap_init();
	vl_vmalloc_init();
	vl_stats_reset();
	booted = true;
	return 0;
}

void vl_shutdown(void)
{
	if (!booted)
		return;
	vl_vmalloc_exit();
	vl_fixmap_exit();
	vl_pkmap_exit();
	vl_mmu_exit();
	vl_physmem_exit();
	booted = false;
}
