// The C core seen from C++: every header of libvmaplab.a with C linkage.
#pragma once

extern "C" {
#include "vmaplab.h"
}
