/* The fuzz driver shared by the allocator targets (see driver.c). */
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include "decode.h"

/*
 * fuzz_run - decode @data for @target, run every operation on the core
 * and the reference model, compare, check every invariant after every
 * operation, tear down and check that nothing is left.  Any difference is
 * a finding: a message on stderr and abort().  Returns 0.  The vmalloc
 * and mixed targets boot the VMALLOC generation fuzz_vmalloc_cfg_of()
 * reads from byte 0.
 */
int fuzz_run(enum vl_decode_target target, const uint8_t *data, size_t size);

/* How a run boots VMALLOC (the rest is the decoder's, from byte 0). */
struct fuzz_vmalloc_cfg {
	enum vl_vmalloc_gen gen;
	bool lazy_off;           /* generations 2, 3: free at once */
	uint32_t vmalloc_size;   /* bytes; 0 = the layout's window */
};

/*
 * fuzz_vmalloc_cfg_of - for the vmalloc and mixed targets, bits 6-7 of
 * byte 0 (the decoder reads bits 0-5: CPUs and layout): 0 vmlist, 1
 * rbtree, 2 augtree, 3 lazy purge off with augtree if bit 2 is set, else
 * rbtree.  Every other target: vmlist.  So inputs from before the
 * generations (bits 6-7 clear) still run on vmlist.
 */
struct fuzz_vmalloc_cfg fuzz_vmalloc_cfg_of(enum vl_decode_target target,
					    const uint8_t *data, size_t size);

/* One operation and what the core answered. */
struct fuzz_step {
	struct vl_dop op;
	struct vl_dres res;
};
struct fuzz_log {
	struct fuzz_step *steps;
	uint32_t n, cap;
};

/*
 * fuzz_run_with - fuzz_run() booted as @vc says, every operation and its
 * result appended to @log (emptied first) unless it is NULL.
 */
void fuzz_run_with(enum vl_decode_target target, const uint8_t *data, size_t size,
		   const struct fuzz_vmalloc_cfg *vc, struct fuzz_log *log);

/* Print the decoded trace while running (the replay build's -v). */
extern bool fuzz_verbose;
/* Named in finding messages when set (the replay build's current file). */
extern const char *fuzz_input_name;

#endif
