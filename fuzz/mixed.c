/* Fuzz target: every allocator at once, with page frees and data checks. */
#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(VL_DT_MIXED, data, size);
}
