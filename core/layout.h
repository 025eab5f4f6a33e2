/* Layouts: the constants that fix a 32-bit kernel address space. */
#ifndef VL_LAYOUT_H
#define VL_LAYOUT_H

#include "types.h"

#define KM_TYPE_NR 13u     /* 2.6.12 enum km_type */
#define LAST_PKMAP_MAX 1024u
#define VL_MAX_CPUS 8u

/* One named entry of a layout's enum fixed_addresses. */
struct vl_fixmap_name {
	const char *name;
	uint32_t idx;
};

struct vl_layout {
	const char *name;
	/* physical memory */
	phys_addr_t phys_offset;       /* bytes: physical address of pfn index 0 */
	uint32_t lowmem_pages;         /* pages direct-mapped at PAGE_OFFSET */
	uint32_t highmem_pages;        /* pages with no permanent address */
	vaddr_t page_offset;           /* PAGE_OFFSET */
	/* page tables */
	uint32_t pmd_shift;            /* 21 (ARM, 2 MiB) or 22 (i386, 4 MiB) */
	uint32_t ptrs_per_pte;         /* 512 or 1024 */
	/* PKMAP */
	vaddr_t pkmap_base;            /* PKMAP_BASE */
	uint32_t last_pkmap;           /* LAST_PKMAP, a power of two */
	/* FIXMAP */
	bool fixmap_grows_down;        /* i386: from FIXADDR_TOP downwards */
	vaddr_t fixaddr_start;         /* FIXADDR_START: lowest permanent slot */
	vaddr_t fixaddr_top;           /* i386 FIXADDR_TOP (slot 0 starts here,
					  boot-time slots lie below
					  FIXADDR_START); ARM: end of window */
	uint32_t nr_cpus;              /* NR_CPUS the enum was built for */
	uint32_t fix_kmap_begin;       /* FIX_KMAP_BEGIN */
	uint32_t end_of_permanent;     /* __end_of_permanent_fixed_addresses */
	uint32_t end_of_fixed;         /* __end_of_fixed_addresses */
	const struct vl_fixmap_name *fix_names; /* NULL-terminated */
	/* VMALLOC */
	vaddr_t vmalloc_start;         /* VMALLOC_START */
	vaddr_t vmalloc_end;           /* VMALLOC_END (exclusive) */
	/* where the simulated mem_map[] lives, for hash_ptr() of a page */
	vaddr_t mem_map_va;
};

/* FIX_KMAP_END of a layout: FIX_KMAP_BEGIN + KM_TYPE_NR * NR_CPUS - 1. */
#define FIX_KMAP_END(l) ((l)->fix_kmap_begin + KM_TYPE_NR * (l)->nr_cpus - 1u)

/*
 * vl_layout_find - look a layout up by name ("biscuitos", "arm", "i386",
 * "small").
 * Returns NULL for an unknown name.
 */
const struct vl_layout *vl_layout_find(const char *name);

/*
 * vl_layout_fix_index - the index of an enum fixed_addresses name in @l:
 * the layout's names plus FIX_KMAP_BEGIN, FIX_KMAP_END,
 * __end_of_permanent_fixed_addresses and __end_of_fixed_addresses.
 * Names match exactly (case, length).  Returns -1 for an unknown name.
 */
int vl_layout_fix_index(const struct vl_layout *l, const char *name);

#define VMALLOC_OFFSET (8u << 20)  /* bytes between lowmem and VMALLOC_START */
#define VL_MIN_LOWMEM (1u << 20)    /* bytes of lowmem vmalloc= must leave */

/*
 * vl_layout_resize_vmalloc - @l with the kernel's vmalloc=@size (bytes,
 * page-aligned, above 0) into @out: VMALLOC_END stays, VMALLOC_START =
 * VMALLOC_END - @size; when lowmem would then end less than
 * VMALLOC_OFFSET below it, lowmem shrinks to fit and its lost pages
 * become highmem (ARM 2.6.28+ sanity_check_meminfo() with vmalloc=, i386
 * __VMALLOC_RESERVE).  Returns 0, or -EINVAL when @size is 0, not
 * page-aligned, or leaves less than VL_MIN_LOWMEM of lowmem.
 */
int vl_layout_resize_vmalloc(const struct vl_layout *l, uint32_t size,
			     struct vl_layout *out);

/* NULL-terminated list of every layout, for --help and the tests. */
extern const struct vl_layout *const vl_layouts[];

#endif
