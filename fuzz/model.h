/*
 * The reference model: a separate, plain statement of what each
 * allocator must answer, run alongside the core on every operation.
 * Frames: per zone a cursor over never-used frames plus a LIFO of freed
 * ones.  PKMAP: the four count states per slot.  FIXMAP: the slot formula
 * and one PTE per slot.  VMALLOC: a sorted array searched for the lowest
 * aligned hole.  It predicts results and the event counts that matter.
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include "vmaplab.h"
#include "decode.h"

struct model_area {
	vaddr_t addr;
	uint32_t size;       /* bytes, guard page included */
	uint32_t npages;     /* frames owned (vmalloc) */
	uint32_t *pfns;
	vaddr_t array;       /* vmalloc over 1024 pages: its page array's area */
};

struct model_zone {
	uint32_t end;          /* one past the zone's last frame index */
	uint32_t fresh;        /* next never-used frame */
	uint32_t *freed;       /* freed frames, last freed on top */
	uint32_t nfreed, cap;
};

struct model {
	const struct vl_layout *l;
	uint32_t cpus;
	struct model_zone zone[2];   /* [0] lowmem, [1] highmem */
	uint32_t countdown;          /* fail-alloc knob */
	uint8_t has_table[4096];     /* per PMD: a page table exists */
	uint16_t *pfn_slot;          /* per highmem frame: its last slot + 1 */
	uint32_t last;               /* last_pkmap_nr */
	int32_t touched;             /* slot the last kmap/kunmap changed, -1 none */
	uint32_t fix_pfn[VL_DECODE_FIX_MAX]; /* pfn + 1, 0 = no PTE */
	struct model_area *areas;    /* sorted by addr */
	uint32_t nareas, cap;
	uint64_t allocs, frees, range_flushes, pkmap_flushes, pt_pages;
	uint64_t boot_tables;        /* page tables vl_boot() took */
	/* last, so model_init() clears only the layout's LAST_PKMAP of them */
	int count[LAST_PKMAP_MAX];   /* 0 free, 1 stale, n>=2 n-1 users */
	uint32_t slot_pfn[LAST_PKMAP_MAX];
};

/* model_init - the state right after vl_boot(); -ENOMEM on no memory. */
int model_init(struct model *m, const struct vl_layout *l, uint32_t cpus);
void model_free(struct model *m);
/*
 * model_step - predict @op (about to run on @d's machine) into @want and
 * update the model.  @want->bugged: the kernel must BUG.
 */
void model_step(struct model *m, const struct vl_decoder *d,
		const struct vl_dop *op, struct vl_dres *want);
/* model_flush_pkmaps / model_free_page - the harness's final drain. */
void model_flush_pkmaps(struct model *m);
void model_free_page(struct model *m, uint32_t pfn);
/* Frames in use, page tables excluded. */
uint32_t model_pages_in_use(const struct model *m);
/* __fix_to_virt(@idx) by the formula. */
vaddr_t model_fix_addr(const struct model *m, uint32_t idx);

#endif
