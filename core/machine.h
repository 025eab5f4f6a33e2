/*
 * The bottom of the simulated machine: the running machine's parameters,
 * CPUs, event counters and BUG handling.  Boot (core/boot.h) sits above
 * every allocator; this sits below them all.
 */
#ifndef VL_MACHINE_H
#define VL_MACHINE_H

#include <pthread.h>
#include "layout.h"

enum vl_vmalloc_gen { VL_VMLIST = 1 };

/* The running machine; valid between vl_boot() and vl_shutdown(). */
struct vl_machine {
	const struct vl_layout *layout;
	uint32_t cpus;
	bool debug;
	enum vl_vmalloc_gen vmalloc;
};
extern struct vl_machine vl;

/*
 * vl_mutex_reset - make @m a fresh unlocked mutex, for the boot-time inits.
 * @m may be held by a thread that BUGged out of a critical section; no
 * other thread may use it meanwhile.  Cannot fail.
 */
void vl_mutex_reset(pthread_mutex_t *m);


/*
 * Exact event counters.  Each simulated CPU has its own, bumped by the
 * thread that currently drives that CPU; vl_stats_read() sums them.
 */
struct vl_stats {
	uint64_t pte_writes;          /* PTEs set */
	uint64_t pte_clears;          /* PTEs cleared (none or not) */
	uint64_t tlb_flush_one;       /* single-page flushes */
	uint64_t tlb_flush_range;     /* range flushes */
	uint64_t tlb_flush_range_pages; /* pages covered by range flushes */
	uint64_t table_walks;         /* TLB misses resolved by a walk */
	uint64_t pkmap_slots_scanned; /* slots looked at by map_new_virtual */
	uint64_t pkmap_flushes;       /* flush_all_zero_pkmaps() runs */
	uint64_t kmap_sleeps;         /* waits on pkmap_map_wait */
	uint64_t vmlist_nodes_visited;/* vm_structs looked at on vmlist */
	uint64_t page_allocs;         /* page frames handed out */
	uint64_t page_frees;          /* page frames returned */
	uint64_t pt_pages;            /* page-table pages allocated */
};
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
