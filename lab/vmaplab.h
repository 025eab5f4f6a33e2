/* vmaplab: everything a user of libvmaplab.a needs. */
#ifndef VMAPLAB_H
#define VMAPLAB_H

#include "types.h"
#include "layout.h"
#include "machine.h"
#include "boot.h"
#include "physmem.h"
#include "mmu.h"
#include "highmem.h"
#include "fixmap.h"
#include "vmalloc.h"
#include "check.h"
#include "vmallocinfo.h"

#endif
