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
 * a finding: a message on stderr and abort().  Returns 0.  The VMALLOC
 * booted is the decoder's (vl_decode_vmalloc_of(): byte 0's bits 6-7 for
 * the vmalloc and mixed targets).
 */
int fuzz_run(enum vl_decode_target target, const uint8_t *data, size_t size);

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
 * fuzz_run_with - fuzz_run() with VMALLOC booted as @vc says (NULL: as
 * byte 0 says), every operation and its result appended to @log (emptied
 * first) unless it is NULL.
 */
void fuzz_run_with(enum vl_decode_target target, const uint8_t *data, size_t size,
		   const struct vl_decode_vmalloc *vc, struct fuzz_log *log);

/* Print the decoded trace while running (the replay build's -v). */
extern bool fuzz_verbose;
/* Named in finding messages when set (the replay build's current file). */
extern const char *fuzz_input_name;

#endif
