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

int vl_boot(const struct vl_config *cfg)
{
	const struct vl_layout *l = vl_layout_find(cfg->layout ? cfg->layout : "biscuitos");
	uint32_t cpus = cfg->cpus ? cfg->cpus : 1;

	if (!l || cpus > l->nr_cpus || cpus > VL_MAX_CPUS)
		return -EINVAL;
	if (cfg->vmalloc && cfg->vmalloc != VL_VMLIST)
		return -EINVAL;
	if (booted)
		vl_shutdown();
	vl_track_stop();
	vl = (struct vl_machine){ .layout = l, .cpus = cpus, .debug = cfg->debug,
				  .vmalloc = VL_VMLIST };
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
