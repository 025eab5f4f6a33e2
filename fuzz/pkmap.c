/* Fuzz target: kmap/kunmap (PKMAP). */
#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(VL_DT_PKMAP, data, size);
}
