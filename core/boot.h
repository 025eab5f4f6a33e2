/* Boot and shutdown: the one place that knows every allocator. */
#ifndef VL_BOOT_H
#define VL_BOOT_H

#include "machine.h"

struct vl_config {
	const char *layout;     /* layout name; NULL = "biscuitos" */
	uint32_t cpus;          /* simulated CPUs, 1..layout's NR_CPUS; 0 = 1 */
	bool debug;             /* CONFIG_DEBUG_HIGHMEM-style checks */
	enum vl_vmalloc_gen vmalloc; /* 0 = VL_VMLIST */
};

/*
 * vl_boot - build a machine: page frames, page tables for the PKMAP and
 * FIXMAP windows, empty PKMAP, vmlist and TLBs, zeroed counters.
 * Returns 0, or -EINVAL (unknown layout, cpus out of range).  BUGs when
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
