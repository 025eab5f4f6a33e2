/* Fuzz target: vmalloc, get_vm_area (ioremap), vfree, vmap, vunmap, failure injection. */
#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(VL_DT_VMALLOC, data, size);
}
