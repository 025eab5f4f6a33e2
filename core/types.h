/* Basic types of the simulated 32-bit kernel: addresses, pages, BUG(). */
#ifndef VL_TYPES_H
#define VL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel virtual and physical addresses are 32-bit on every host. */
typedef uint32_t vaddr_t;
typedef uint32_t phys_addr_t;
typedef uint32_t pte_t;     /* (pfn << PAGE_SHIFT) | _PAGE_* bits, 0 = none */
typedef uint32_t pgprot_t;
typedef unsigned int gfp_t;

#define PAGE_SHIFT 12u
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1u))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1u) & PAGE_MASK)
#define ALIGN(x, a) (((x) + (a) - 1u) & ~((a) - 1u))

/* PTE bits: our own encoding, the same for every layout. */
#define _PAGE_PRESENT 0x001u
#define _PAGE_RW 0x002u
#define _PAGE_PCD 0x010u  /* uncached: set_fixmap_nocache, ioremap */
#define _PAGE_EXEC 0x100u /* vmalloc_exec */
#define PAGE_KERNEL (_PAGE_PRESENT | _PAGE_RW)
#define PAGE_KERNEL_NOCACHE (PAGE_KERNEL | _PAGE_PCD)
#define PAGE_KERNEL_EXEC (PAGE_KERNEL | _PAGE_EXEC)
#define pte_none(p) ((p) == 0)
#define pte_present(p) (((p) & _PAGE_PRESENT) != 0)
#define pte_pfn(p) ((p) >> PAGE_SHIFT)
#define pfn_pte(pfn, prot) (((pte_t)(pfn) << PAGE_SHIFT) | (prot))

/* gfp flags: only the zone choice matters here. */
#define GFP_KERNEL 0x01u
#define __GFP_HIGHMEM 0x02u
#define GFP_HIGHUSER (GFP_KERNEL | __GFP_HIGHMEM)

/* struct page: one per simulated page frame (mem_map[]); its bytes are
 * at vl_page_data(). */
struct page {
	uint32_t flags;   /* PG_highmem, PG_free */
};
#define PG_highmem 0x1u
#define PG_free 0x2u
#define PageHighMem(p) (((p)->flags & PG_highmem) != 0)

#ifdef __cplusplus
#define VL_NORETURN [[noreturn]]   /* the C++ bench includes this header */
#else
#define VL_NORETURN _Noreturn
#endif

/* BUG(): the kernel would stop here.  The installed handler never returns. */
VL_NORETURN void vl_bug(const char *func, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define BUG_ON(cond)                                                   \
	do {                                                           \
		if (cond)                                              \
			vl_bug(__func__, "BUG_ON(%s)", #cond);         \
	} while (0)

#endif
