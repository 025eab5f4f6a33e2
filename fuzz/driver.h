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
 * a finding: a message on stderr and abort().  Returns 0.
 */
int fuzz_run(enum vl_decode_target target, const uint8_t *data, size_t size);

/* Print the decoded trace while running (the replay build's -v). */
extern bool fuzz_verbose;
/* Named in finding messages when set (the replay build's current file). */
extern const char *fuzz_input_name;

#endif
