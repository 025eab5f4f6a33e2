/* Boot and shutdown: the one place that knows every allocator. */
#ifndef VL_BOOT_H
#define VL_BOOT_H

#include "machine.h"

struct vl_config {
	const char *layout;     /* layout name; NULL = "biscuitos" */
	uint32_t cpus;          /* simulated CPUs, 1..layout's NR_CPUS; 0 = 1 */
	bool debug;             /* CONFIG_DEBUG_HIGHMEM-style checks */
	enum vl_vmalloc_gen vmalloc; /* 0 = VL_VMLIST */
	bool lazy_off;          /* generations 2 to 4: free at once (lazy-purge off) */
	/*
	 * Lazy purges only when asked (purge_vmap_area_lazy, or a failed
	 * allocation), never at lazy_max_pages: replaying a kernel's capture,
	 * whose purges ran from a workqueue at its own moments.
	 */
	bool purge_on_demand;
	uint32_t vmap_nodes;    /* generation 4: nodes, 1..128; 0 = one per CPU */
	/*
	 * The kernel's vmalloc=SIZE boot parameter (bytes, 0 = the layout's
	 * own window): VMALLOC_END stays, VMALLOC_START = VMALLOC_END - SIZE,
	 * and lowmem shrinks to end VMALLOC_OFFSET (8 MiB) below it, the pages
	 * it loses becoming highmem (ARM 2.6.28+ and i386 alike).
	 */
	uint32_t vmalloc_size;
};

/*
 * vl_boot - build a machine: page frames, page tables for the PKMAP and
 * FIXMAP windows, empty PKMAP, vmlist and TLBs, zeroed counters.
 * Returns 0, or -EINVAL (unknown layout or generation, cpus or
 * vmap_nodes out of range, a vmalloc_size not page-aligned or that leaves less than
 * VL_MIN_LOWMEM of lowmem).  BUGs when
 * the host has no memory for the frames, page tables or TLBs, as a kernel
 * panics when boot allocations fail.  A machine already booted is shut
 * down first.  Every lock of the machine is made anew, unlocked: a BUG
 * that longjmp'd out with one held (the lab's BUGs do not unwind) leaves
 * no trace in the next machine.
 */
int vl_boot(const struct vl_config *cfg);

/* vl_shutdown - release everything vl_boot() and the allocators took. */
void vl_shutdown(void);

#endif
