/* Fuzz target: kmap_atomic, kmap_atomic_pfn, set/clear_fixmap on several CPUs. */
#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(VL_DT_FIXMAP, data, size);
}
