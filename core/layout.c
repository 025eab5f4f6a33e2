/*
 * The four shipped layouts (small is biscuitos scaled down).  Numbers follow the kernels named in
 * docs/allocators.md; the choices the seeds leave open are
 * explained next to each value.
 */
#include <errno.h>
#include <string.h>
#include "layout.h"

#define MiB(x) ((uint32_t)(x) << 20)
#define PAGES(bytes) ((bytes) >> PAGE_SHIFT)

/* Linux 5.0 ARM enum fixed_addresses with NR_CPUS 4 (no BTMAP slots: the
 * BiscuitOS window of 106 pages only holds the permanent part). */
static const struct vl_fixmap_name biscuitos_fix[] = {
	{ "FIX_EARLYCON_MEM_BASE", 0 },
	{ "FIX_KMAP_BEGIN", 1 },
	{ "FIX_KMAP_END", 1 + KM_TYPE_NR * 4 - 1 },
	{ "FIX_TEXT_POKE0", 1 + KM_TYPE_NR * 4 },
	{ "FIX_TEXT_POKE1", 1 + KM_TYPE_NR * 4 + 1 },
	{ NULL, 0 },
};

/* ARM 2.6.28: the whole window belongs to kmap_atomic, starting at 0. */
static const struct vl_fixmap_name arm_fix[] = {
	{ "FIX_KMAP_BEGIN", 0 },
	{ "FIX_KMAP_END", KM_TYPE_NR * 4 - 1 },
	{ NULL, 0 },
};

/* i386 2.6.12 with LOCAL_APIC, IO_APIC (MAX_IO_APICS 64), HIGHMEM,
 * ACPI_BOOT (FIX_ACPI_PAGES 4), NR_CPUS 8. */
#define I386_KMAP_BEGIN 67u
#define I386_KMAP_END (I386_KMAP_BEGIN + KM_TYPE_NR * 8 - 1)  /* 170 */
#define I386_END_PERMANENT (I386_KMAP_END + 4 + 1)            /* 175 */
#define I386_END_FIXED (I386_END_PERMANENT + 16 + 1)          /* 192 */
static const struct vl_fixmap_name i386_fix[] = {
	{ "FIX_HOLE", 0 },
	{ "FIX_VSYSCALL", 1 },
	{ "FIX_APIC_BASE", 2 },
	{ "FIX_IO_APIC_BASE_0", 3 },
	{ "FIX_IO_APIC_BASE_END", 3 + 64 - 1 },
	{ "FIX_KMAP_BEGIN", I386_KMAP_BEGIN },
	{ "FIX_KMAP_END", I386_KMAP_END },
	{ "FIX_ACPI_BEGIN", I386_KMAP_END + 1 },
	{ "FIX_ACPI_END", I386_KMAP_END + 4 },
	{ "FIX_BTMAP_END", I386_END_PERMANENT },
	{ "FIX_BTMAP_BEGIN", I386_END_PERMANENT + 16 - 1 },
	{ "FIX_WP_TEST", I386_END_PERMANENT + 16 },
	{ NULL, 0 },
};

/*
 * biscuitos: the windows of the BiscuitOS Linux 5.0 vexpress seeds.  The
 * seeds fix no PAGE_OFFSET; we take 0x80000000 (a 2G/2G split, below every
 * window) and PHYS_OFFSET 0x60000000 (vexpress RAM), 68 MiB lowmem + 32 MiB
 * highmem = the 100 MiB the seeds reserve.
 */
static const struct vl_layout biscuitos = {
	.name = "biscuitos",
	.phys_offset = 0x60000000u,
	.lowmem_pages = PAGES(MiB(68)),
	.highmem_pages = PAGES(MiB(32)),
	.page_offset = 0x80000000u,
	.pmd_shift = 21, .ptrs_per_pte = 512,
	.pkmap_base = 0x96000000u, .last_pkmap = 512,
	.fixmap_grows_down = false,
	.fixaddr_start = 0x96395000u, .fixaddr_top = 0x963FF000u,
	.nr_cpus = 4, .fix_kmap_begin = 1,
	.end_of_permanent = 1, .end_of_fixed = 1 + KM_TYPE_NR * 4 + 2,
	.fix_names = biscuitos_fix,
	.vmalloc_start = 0x9440A000u, .vmalloc_end = 0x95E0A000u,
	.mem_map_va = 0x81000000u,
};

/*
 * small: biscuitos scaled down so that every limit is a few operations
 * away, for the fuzzers.  Same windows and fixmap, but LAST_PKMAP 16 (a
 * PKMAP wrap in 16 kmaps), a 1 MiB vmalloc window (full after 128
 * one-page areas) and 2 MiB lowmem + 512 KiB highmem (highmem runs out
 * before lowmem does).  The algorithms read these numbers, never assume
 * them, so nothing else changes.
 */
static const struct vl_layout small = {
	.name = "small",
	.phys_offset = 0x60000000u,
	.lowmem_pages = PAGES(MiB(2)),
	.highmem_pages = PAGES(MiB(1) / 2),
	.page_offset = 0x80000000u,
	.pmd_shift = 21, .ptrs_per_pte = 512,
	.pkmap_base = 0x96000000u, .last_pkmap = 16,
	.fixmap_grows_down = false,
	.fixaddr_start = 0x96395000u, .fixaddr_top = 0x963FF000u,
	.nr_cpus = 4, .fix_kmap_begin = 1,
	.end_of_permanent = 1, .end_of_fixed = 1 + KM_TYPE_NR * 4 + 2,
	.fix_names = biscuitos_fix,
	.vmalloc_start = 0x9440A000u, .vmalloc_end = 0x9440A000u + MiB(1),
	.mem_map_va = 0x80100000u,
};

/*
 * arm: 2.6.28+ with 1 GiB RAM.  The default 240 MiB vmalloc reserve below
 * VMALLOC_END 0xFF000000 limits lowmem to 760 MiB: high_memory 0xEF800000,
 * VMALLOC_START = ALIGN(high_memory + 8 MiB, 8 MiB) = 0xF0000000.
 */
static const struct vl_layout arm = {
	.name = "arm",
	.phys_offset = 0,
	.lowmem_pages = PAGES(MiB(760)),
	.highmem_pages = PAGES(MiB(264)),
	.page_offset = 0xC0000000u,
	.pmd_shift = 21, .ptrs_per_pte = 512,
	.pkmap_base = 0xC0000000u - MiB(2), .last_pkmap = 512,
	.fixmap_grows_down = false,
	.fixaddr_start = 0xFFF00000u, .fixaddr_top = 0xFFFE0000u,
	.nr_cpus = 4, .fix_kmap_begin = 0,
	.end_of_permanent = PAGES(0xFFFE0000u - 0xFFF00000u),
	.end_of_fixed = PAGES(0xFFFE0000u - 0xFFF00000u),
	.fix_names = arm_fix,
	.vmalloc_start = 0xF0000000u, .vmalloc_end = 0xFF000000u,
	.mem_map_va = 0xC1000000u,
};

/*
 * i386: 2.6.12 without PAE, 1 GiB RAM, 896 MiB lowmem.
 * FIXADDR_BOOT_START = 0xFFFFF000 - 192 pages = 0xFFF3F000;
 * PKMAP_BASE = (FIXADDR_BOOT_START - 1025 pages) & PMD_MASK = 0xFF800000;
 * VMALLOC_START = ALIGN(high_memory 0xF8000000 + 8 MiB, 8 MiB) = 0xF8800000;
 * VMALLOC_END = PKMAP_BASE - 2 pages.
 */
static const struct vl_layout i386 = {
	.name = "i386",
	.phys_offset = 0,
	.lowmem_pages = PAGES(MiB(896)),
	.highmem_pages = PAGES(MiB(128)),
	.page_offset = 0xC0000000u,
	.pmd_shift = 22, .ptrs_per_pte = 1024,
	.pkmap_base = 0xFF800000u, .last_pkmap = 1024,
	.fixmap_grows_down = true,
	.fixaddr_start = 0xFFFFF000u - (I386_END_PERMANENT << PAGE_SHIFT),
	.fixaddr_top = 0xFFFFF000u,
	.nr_cpus = 8, .fix_kmap_begin = I386_KMAP_BEGIN,
	.end_of_permanent = I386_END_PERMANENT,
	.end_of_fixed = I386_END_FIXED,
	.fix_names = i386_fix,
	.vmalloc_start = 0xF8800000u, .vmalloc_end = 0xFF800000u - 2 * PAGE_SIZE,
	.mem_map_va = 0xC1000000u,
};

const struct vl_layout *const vl_layouts[] = { &biscuitos, &arm, &i386, &small, NULL };

int vl_layout_fix_index(const struct vl_layout *l, const char *name)
{
	if (strcmp(name, "FIX_KMAP_BEGIN") == 0)
		return (int)l->fix_kmap_begin;
	if (strcmp(name, "FIX_KMAP_END") == 0)
		return (int)FIX_KMAP_END(l);
	if (strcmp(name, "__end_of_permanent_fixed_addresses") == 0)
		return (int)l->end_of_permanent;
	if (strcmp(name, "__end_of_fixed_addresses") == 0)
		return (int)l->end_of_fixed;
	for (const struct vl_fixmap_name *f = l->fix_names; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return (int)f->idx;
	return -1;
}

const struct vl_layout *vl_layout_find(const char *name)
{
	for (const struct vl_layout *const *l = vl_layouts; *l; l++)
		if (strcmp((*l)->name, name) == 0)
			return *l;
	return NULL;
}

int vl_layout_resize_vmalloc(const struct vl_layout *l, uint32_t size,
			     struct vl_layout *out)
{
	vaddr_t start = l->vmalloc_end - size;
	uint32_t room;

	if (!size || size & ~PAGE_MASK || size > l->vmalloc_end - l->page_offset)
		return -EINVAL;
	room = start - l->page_offset;   /* bytes below the new window */
	if (room < VL_MIN_LOWMEM + VMALLOC_OFFSET)
		return -EINVAL;
	*out = *l;
	out->vmalloc_start = start;
	if (l->lowmem_pages > PAGES(room - VMALLOC_OFFSET)) {
		out->lowmem_pages = PAGES(room - VMALLOC_OFFSET);
		out->highmem_pages += l->lowmem_pages - out->lowmem_pages;
	}
	return 0;
}
