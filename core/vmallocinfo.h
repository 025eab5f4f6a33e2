/* /proc/vmallocinfo snapshots: parse, then replay as a standing population. */
#ifndef VL_VMALLOCINFO_H
#define VL_VMALLOCINFO_H

#include <stdio.h>
#include "types.h"

enum vl_vmi_kind {
	VMI_VMALLOC,    /* "vmalloc" with pages=N: vmalloc() of N pages */
	VMI_VMAP,       /* "vmap": vmap() of size/PAGE_SIZE - 1 pages */
	VMI_IOREMAP,    /* "ioremap": get_vm_area(VM_IOREMAP), no pages */
	VMI_RESERVED,   /* any other live area (e.g. pcpu_get_vm_areas): space only */
	VMI_UNPURGED,   /* "unpurged vm_area": lazily freed, a hole in gen 1 */
};

struct vl_vmi_entry {
	uint32_t size;      /* bytes as listed: guard page included */
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
 * addresses may be hashed).  Returns 0, or -EINVAL with "NAME:LINE:COL:
 * message" in @err for a malformed line, or -ENOMEM/-errno for I/O.
 * @name is used in messages only.
 */
int vl_vmi_parse(FILE *f, const char *name, struct vl_vmi *out, char *err,
		 size_t errlen);
void vl_vmi_free(struct vl_vmi *v);

/* What a replay did: recorded in the results. */
struct vl_vmi_replay {
	double scale;          /* factor applied to every size (1.0 = none) */
	bool holes_kept;       /* unpurged areas allocated then freed as holes */
	uint32_t areas;        /* live areas placed */
	uint32_t skipped;      /* unpurged entries dropped */
	uint64_t bytes;        /* bytes of the live areas placed (guard incl.) */
	uint32_t nr_handles;   /* what vl_vmi_depopulate() undoes */
	vaddr_t *handles;      /* area addresses */
	struct page ***vmap_pages; /* per handle: frames vmap()ed, or NULL */
};

/*
 * vl_vmi_populate - place @v's live areas in the running machine's VMALLOC
 * window, in file order, through vmalloc()/vmap()/get_vm_area().  Unpurged
 * areas become holes when everything fits in @fill of the window (0 < fill
 * <= 1); else they are dropped, and if the live areas still exceed @fill of
 * the window every size is scaled down (at least one page each).  Returns
 * 0, or -ENOMEM if an area could not be placed (everything is undone).
 */
int vl_vmi_populate(const struct vl_vmi *v, double fill,
		    struct vl_vmi_replay *rep);
/* vl_vmi_depopulate - free every area and page the replay took. */
void vl_vmi_depopulate(struct vl_vmi_replay *rep);

#endif
