/*
 * The bottom of the simulated machine: the running machine's parameters,
 * CPUs, event counters and BUG handling.  Boot (core/boot.h) sits above
 * every allocator; this sits below them all.
 */
#ifndef VL_MACHINE_H
#define VL_MACHINE_H

#include <pthread.h>
#include "layout.h"

/* The VMALLOC generations (core/vmalloc_gen.h). */
enum vl_vmalloc_gen {
	VL_VMLIST = 1,   /* 2.6.12 vmlist */
	VL_RBTREE,       /* Linux 5.0: busy rbtree + free_vmap_cache */
	VL_AUGTREE,      /* Linux 5.2+: augmented free tree */
	VL_NODES,        /* Linux 6.9+: vmap nodes' pools over the augmented tree */
};
#define VL_MAX_VMAP_NODES 128u  /* the kernel's cap on nr_vmap_nodes */

/* The running machine; valid between vl_boot() and vl_shutdown(). */
struct vl_machine {
	const struct vl_layout *layout;  /* after the vmalloc= adjustment */
	uint32_t cpus;
	bool debug;
	enum vl_vmalloc_gen vmalloc;
	bool lazy;                       /* lazy freeing (generations 2 to 4) */
	bool purge_on_demand;            /* no purge at lazy_max_pages */
	uint32_t vmap_nodes;             /* generation 4: nr_vmap_nodes */
};
extern struct vl_machine vl;

/*
 * vl_mutex_reset - make @m a fresh unlocked mutex, for the boot-time inits.
 * @m may be held by a thread that BUGged out of a critical section; no
 * other thread may use it meanwhile.  Cannot fail.
 */
void vl_mutex_reset(pthread_mutex_t *m);


/*
 * Exact event counters, one list: X(field, name, per_op) gives the field
 * of struct vl_stats, its name in a trace's stats line (also the stem of
 * its bench.csv column "<name>_per_op" when per_op is 1; 0: only in a
 * combined column) and, by the comment, its meaning.  The trace printer,
 * the benchmarks and the gates all expand this list, so none can drop one.
 */
#define VL_STATS(X)                                                       \
	X(pte_writes, "pte_writes", 1)         /* PTEs set */               \
	X(pte_clears, "pte_clears", 1)         /* PTEs cleared (none or not) */ \
	X(tlb_flush_one, "tlb_flush_one", 0)   /* single-page flushes */    \
	X(tlb_flush_range, "tlb_flush_range", 0) /* range flushes */        \
	X(tlb_flush_range_pages, "tlb_flush_range_pages", 0) /* their pages */ \
	X(table_walks, "table_walks", 1)       /* TLB misses resolved by a walk */ \
	X(pkmap_slots_scanned, "slots_scanned", 1) /* map_new_virtual slots */ \
	X(pkmap_flushes, "pkmap_flushes", 1)   /* flush_all_zero_pkmaps() runs */ \
	X(kmap_sleeps, "kmap_sleeps", 1)       /* waits on pkmap_map_wait */ \
	X(vmalloc_nodes_visited, "nodes_visited", 1) /* list or tree nodes a \
		vmalloc search or look-up looked at, whatever the generation */ \
	X(vmap_purges, "purges", 1)            /* lazy purges that ran */    \
	X(vmap_purged_areas, "purged_areas", 1) /* areas they returned */   \
	X(page_allocs, "page_allocs", 1)       /* page frames handed out */ \
	X(page_frees, "page_frees", 1)         /* page frames returned */   \
	X(pt_pages, "pt_pages", 1)             /* page-table pages allocated */

#define VL_STATS_FIELD(field, name, per_op) uint64_t field;
/* Each simulated CPU has its own, bumped by the thread that currently
 * drives that CPU; vl_stats_read() sums them. */
struct vl_stats {
	VL_STATS(VL_STATS_FIELD)
};
#undef VL_STATS_FIELD
void vl_stats_read(struct vl_stats *out);
void vl_stats_reset(void);

#ifdef __cplusplus
#define VL_THREAD_LOCAL thread_local   /* the C++ bench includes this header */
#else
#define VL_THREAD_LOCAL _Thread_local
#endif
/* Inline below: the allocators bump counters on every benchmarked path. */
extern struct vl_stats vl_percpu_stats[VL_MAX_CPUS];
extern VL_THREAD_LOCAL uint32_t vl_this_cpu;

/* The calling thread's CPU's counters (for the allocators to bump). */
static inline struct vl_stats *vl_this_stats(void)
{
	return &vl_percpu_stats[vl_this_cpu];
}

/* smp_processor_id(): the simulated CPU the calling thread drives. */
static inline uint32_t smp_processor_id(void)
{
	return vl_this_cpu;
}
/*
 * vl_set_cpu - make the calling thread drive CPU @cpu (0..vl.cpus-1).
 * Returns 0 or -EINVAL.  One thread per CPU at a time.
 */
int vl_set_cpu(uint32_t cpu);


/*
 * BUG handling.  The handler receives "func: what" and must not return
 * (longjmp or exit).  The default prints to stderr and aborts.  Returns
 * the previous handler.
 */
typedef void (*vl_bug_handler_t)(const char *msg);
vl_bug_handler_t vl_set_bug_handler(vl_bug_handler_t h);

#endif
