/* /proc/vmallocinfo snapshots: parse, then replay as a standing population. */
#ifndef VL_VMALLOCINFO_H
#define VL_VMALLOCINFO_H

#include <stdio.h>
#include "types.h"

/* Longest line accepted, end of line excluded (the kernel's are < 300). */
#define VL_VMI_LINE_MAX 4096u

enum vl_vmi_kind {
	VMI_VMALLOC,    /* "vmalloc" with pages=N: vmalloc() of size - PAGE_SIZE */
	VMI_VMAP,       /* "vmap": vmap() of size/PAGE_SIZE - 1 pages */
	VMI_IOREMAP,    /* "ioremap": get_vm_area(VM_IOREMAP), no pages */
	VMI_RESERVED,   /* any other live area (pcpu_get_vm_areas' "vmalloc"
			 * without pages=, "sparse", "vm_map_ram", no kind
			 * word): space only */
	VMI_UNPURGED,   /* "unpurged vm_area": lazily freed (a hole in gen 1) */
};

struct vl_vmi_entry {
	uint32_t size;      /* bytes as listed: the space the area holds,
			     * guard page included (vm_map_ram has none) */
	uint32_t pages;     /* pages=N, else 0 */
	enum vl_vmi_kind kind;
	uint32_t line;      /* 1-based line in the file */
};

struct vl_vmi {
	struct vl_vmi_entry *e;
	uint32_t n;
	uint64_t live_bytes;      /* sum of sizes of non-unpurged entries */
	uint64_t unpurged_bytes;  /* sum of sizes of unpurged entries */
};

/*
 * vl_vmi_parse - read a /proc/vmallocinfo text (any kernel 2.6.28+ format;
 * addresses may be hashed, and are not used).  A line is
 *   0x<hex>-0x<hex> <size> [caller [\[module ...\]]] word...
 * with words pages=N, phys=HEX (with or without 0x), ioremap, vmalloc,
 * vmap, sparse (at most one of these four), user, vpages, dma-coherent,
 * N<node>=<pages>; or the whole tail "unpurged vm_area" or "vm_map_ram".
 * Blank lines are skipped; a trailing CR is ignored.  Size (bytes) must be
 * a positive multiple of PAGE_SIZE that fits 32 bits; pages=N must fit in
 * it.  The file is read as a stream, one line of at most VL_VMI_LINE_MAX
 * bytes at a time: memory grows only with the entries kept, and a longer
 * line (or binary data) stops the parse at its first bad byte.  Returns 0,
 * or -EINVAL with "NAME:LINE:COL: message" in @err (COL: 1-based byte
 * where the line goes wrong) for a malformed line, -ENOMEM, or -errno of a
 * read error.  On failure @out is left empty.  @name is used in messages
 * only.
 */
int vl_vmi_parse(FILE *f, const char *name, struct vl_vmi *out, char *err,
		 size_t errlen);
/* vl_vmi_free - release what vl_vmi_parse() stored; @v is left empty. */
void vl_vmi_free(struct vl_vmi *v);

/* What a replay did: recorded in the results. */
struct vl_vmi_replay {
	double scale;          /* factor applied to every size (1.0 = none) */
	uint32_t stride;       /* every stride-th live entry kept (1 = all) */
	bool holes_kept;       /* unpurged areas allocated then freed as holes */
	uint32_t areas;        /* live areas placed */
	uint32_t dropped;      /* live entries left out by the sampling */
	uint32_t skipped;      /* unpurged entries left out */
	uint32_t lazy;         /* unpurged areas left lazily freed in place */
	uint64_t bytes;        /* bytes of the live areas placed (guard incl.) */
	uint32_t nr_handles;   /* what vl_vmi_depopulate() undoes */
	vaddr_t *handles;      /* area addresses */
	struct page ***vmap_pages; /* per handle: frames vmap()ed, or NULL */
	uint32_t *vmap_nr;     /* per handle: how many (0 without frames) */
};

/*
 * vl_vmi_populate - place @v's live areas in the running machine's VMALLOC
 * window, in file order, through vmalloc()/vmap()/get_vm_area() (vmap
 * frames from alloc_page(GFP_HIGHUSER)).  Every area holds its listed size
 * in bytes, at least 2 pages (a page and the guard).  An unpurged entry,
 * when replayed, is a get_vm_area() in its file position, vfree()d once
 * all are placed: with lazy freeing (generations 2 and 3) it then waits
 * in its place as a lazily freed area, as in the snapshot (unless their
 * pages pass lazy_max_pages() and a purge runs: rep->lazy counts those
 * left); else it leaves its hole.  The planned entries are the live ones,
 * and with lazy freeing the unpurged ones too.  With W = @fill times the
 * window (0 < @fill <= 1), rounded down to bytes:
 *  - without lazy freeing, unpurged entries are replayed when live and
 *    unpurged sizes together fit in W, else left out (counted in skipped);
 *  - when the planned sizes exceed W, only every k-th planned entry in
 *    file order is kept (planned entries 0, k, 2k...; the stride k is the
 *    smallest leaving kept * 2 pages <= W / 2; the others are counted in
 *    dropped if live, skipped if unpurged) and, if the kept sizes still
 *    exceed W, each is scaled by (W - kept * 2 pages) / kept bytes,
 *    rounded down to pages, at least 2 pages.
 * Integer arithmetic only, so every host agrees, and the planned areas'
 * sizes add up to W at most (VM_IOREMAP alignment gaps aside).  Returns 0,
 * or -EINVAL for @fill out of range, or -ENOMEM if an area or frame could
 * not be had (everything is undone and @rep left empty).  Never BUGs.
 */
int vl_vmi_populate(const struct vl_vmi *v, double fill,
		    struct vl_vmi_replay *rep);
/*
 * vl_vmi_depopulate - vfree() or vunmap() every area of @rep, free the
 * vmap()ed frames and @rep's arrays; @rep is left with no handles.
 */
void vl_vmi_depopulate(struct vl_vmi_replay *rep);

#endif
