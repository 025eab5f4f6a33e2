// The C core seen from C++: every header of libvmaplab.a with C linkage.
#pragma once

// core/rbtree.h names a parameter `new`, a C++ keyword: the C headers the
// core uses come first, untouched, then the word is renamed for the core's
// own headers only.
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern "C" {
#define new new_
#include "vmaplab.h"
#undef new
}
