/*
 * Change tracking for incremental checks: while on, every PTE write,
 * every freed frame and every pkmap_count write is logged, so a checker
 * can look at what one operation changed instead of at the whole machine.  Off by default; meant for
 * single-threaded drivers (the fuzzers), which turn it on after boot.
 */
#ifndef VL_TRACK_H
#define VL_TRACK_H

#include "types.h"

#define VL_TRACK_MAX 4096u   /* entries per log; more sets the overflow flag */

/* One logged PTE write: the slot, its value before and after. */
struct vl_pte_write {
	pte_t *ptep;
	pte_t old, new;
};

struct vl_track {
	bool on;
	bool overflow;                 /* a log filled up: check everything */
	uint32_t nr_ptes, nr_frees, nr_counts;
	struct vl_pte_write ptes[VL_TRACK_MAX];
	uint32_t frees[VL_TRACK_MAX];  /* mem_map indices */
	uint16_t counts[VL_TRACK_MAX]; /* PKMAP slots whose pkmap_count was written */
};
extern struct vl_track vl_track;

/*
 * vl_track_start / vl_track_stop - turn logging on (logs emptied) or off.
 * Cannot fail; no kernel counterpart (the lab's own instrumentation).
 * vl_boot() stops it.
 */
void vl_track_start(void);
void vl_track_stop(void);
/* vl_track_clear - empty the logs (entries and overflow flag). */
void vl_track_clear(void);

/*
 * vl_track_log_pte / vl_track_log_free - append one PTE write (slot, old
 * and new value) or one freed frame (mem_map index) to its log; a full log
 * sets the overflow flag instead.  Called through the inline hooks below
 * by set_pte/pte_clear and __free_page, only while tracking is on.
 */
void vl_track_log_pte(pte_t *ptep, pte_t old, pte_t new);
void vl_track_log_free(uint32_t idx);
/* vl_track_log_count - the same for a pkmap_count write (slot number). */
void vl_track_log_count(uint32_t nr);

static inline void vl_track_pte(pte_t *ptep, pte_t new)
{
	if (__builtin_expect(vl_track.on, 0))
		vl_track_log_pte(ptep, *ptep, new);
}

static inline void vl_track_free(uint32_t idx)
{
	if (__builtin_expect(vl_track.on, 0))
		vl_track_log_free(idx);
}

static inline void vl_track_count(uint32_t nr)
{
	if (__builtin_expect(vl_track.on, 0))
		vl_track_log_count(nr);
}

#endif
