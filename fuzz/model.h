/*
 * The reference model: a separate, plain statement of what each
 * allocator must answer, run alongside the core on every operation.
 * Frames: per zone a cursor over never-used frames plus a LIFO of freed
 * ones.  PKMAP: the four count states per slot.  FIXMAP: the slot formula
 * and one PTE per slot.  VMALLOC: a sorted array of the areas that hold
 * space, placed by each generation's rule (model_vmalloc.c) and freed at
 * once or lazily, and generation 4's pools.  It predicts results and the
 * event counts that matter.
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include "vmaplab.h"
#include <errno.h>
#include "decode.h"

struct model_area {
	vaddr_t addr;
	uint32_t size;       /* bytes, guard page included */
	uint32_t npages;     /* frames owned (vmalloc) */
	uint32_t *pfns;
	vaddr_t array;       /* vmalloc over 1024 pages: its page array's area */
	bool lazy;           /* freed, holding its space until the next purge */
	bool pooled;         /* nodes: free, in a pool, out of the free space */
	uint8_t node;        /* nodes: the node that allocated it + 1, 0 none */
};

/* nodes: busy (not waiting for a purge, not in a pool). */
static inline bool model_area_busy(const struct model_area *a)
{
	return !a->lazy && !a->pooled;
}

/* nodes: one pool, the starts of its areas, head first. */
struct model_pool {
	vaddr_t *start;
	uint32_t len, cap;
};

/*
 * Where the VMALLOC areas go (model_vmalloc.c): the generation's rule and
 * the state it keeps between requests.
 */
struct model_vmalloc {
	enum vl_vmalloc_gen gen;
	bool lazy;                   /* frees wait for a purge */
	vaddr_t *purge;              /* lazily freed starts, newest last */
	uint32_t npurge, purge_cap;
	uint32_t lazy_nr;            /* their pages, guard pages included */
	uint64_t purges, purged_areas;
	/* generation 2 (Linux 5.0): the start of the area the next search
	 * starts after, and the largest hole seen below it (bytes) */
	bool cache_set;
	vaddr_t cache;
	uint32_t cached_hole_size, cached_align;
	vaddr_t cached_vstart;
	/* generation 3 with an alignment above a page: the answer depends on
	 * the free tree's shape, so the model only knows the answers allowed;
	 * model_settle() checks the core's against them */
	bool pending, pending_purged;
	uint32_t pending_size, pending_align;
	/* generation 4 (6.9+): nodes, and with more than one a pool per node
	 * and size in pages (MODEL_POOLS of them), the allocating CPU */
	uint32_t nodes, cpu;
	struct model_pool *pool;     /* [node * MODEL_POOLS + pages - 1] */
};
#define MODEL_POOLS 256u

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
	struct model_vmalloc vm;
	uint64_t allocs, frees, range_flushes, pkmap_flushes, pt_pages;
	uint64_t boot_tables;        /* page tables vl_boot() took */
	/* last, so model_init() clears only the layout's LAST_PKMAP of them */
	int count[LAST_PKMAP_MAX];   /* 0 free, 1 stale, n>=2 n-1 users */
	uint32_t slot_pfn[LAST_PKMAP_MAX];
};

/*
 * model_init - the state right after vl_boot() of layout @l, @cpus CPUs,
 * VMALLOC generation @gen, lazy freeing @lazy, @nodes vmap nodes
 * (generation 4); -ENOMEM on no memory.
 */
int model_init(struct model *m, const struct vl_layout *l, uint32_t cpus,
	       enum vl_vmalloc_gen gen, bool lazy, uint32_t nodes);
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

/*
 * model_settle - after a get_vm_area the model could not predict
 * (m->vm.pending): NULL when @got (the core's answer) is one the 5.2+
 * search may give from the model's state, and @core_purges (the core's
 * purge count) says whether it purged when it may; the model then takes
 * that answer.  Else what is wrong, in @why.
 */
const char *model_settle(struct model *m, const struct vl_dres *got,
			 uint64_t core_purges, char *why, size_t len);

/* ---- model_vmalloc.c, for model.c ---- */

#define MODEL_PENDING (-EINPROGRESS)
/*
 * model_place - reserve @size bytes (guard included) aligned to @align
 * by the generation's rule, purging and retrying once on failure as
 * generations 2 and 3 do.  0 and *@i the new area's index, -ENOMEM, or
 * MODEL_PENDING (see model_settle): not known before the core answers.
 */
int model_place(struct model *m, uint32_t size, uint32_t align, uint32_t *i);
/* model_purge - the purge operation: decay, flush, refill; areas purged. */
uint32_t model_purge(struct model *m);
/* model_release - area @i leaves: freed now (one range flush) or lazily. */
void model_release(struct model *m, uint32_t i);
/* model_pools_init - generation 4's empty pools; false: no memory. */
bool model_pools_init(struct model *m);
/* model_ioremap_align - VM_IOREMAP's alignment of @size bytes (bytes). */
uint32_t model_ioremap_align(const struct model *m, uint32_t size);
void model_vmalloc_free(struct model *m);

#endif
