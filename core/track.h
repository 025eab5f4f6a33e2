/*
 * Change tracking for incremental checks: while on, every PTE write and
 * every freed frame is logged, so a checker can look at what one operation
 * changed instead of at the whole machine.  Off by default; meant for
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
	uint32_t nr_ptes, nr_frees;
	struct vl_pte_write ptes[VL_TRACK_MAX];
	uint32_t frees[VL_TRACK_MAX];  /* mem_map indices */
};
extern struct vl_track vl_track;

/* vl_track_start / vl_track_stop - turn logging on (logs emptied) or off. */
void vl_track_start(void);
void vl_track_stop(void);
/* vl_track_clear - empty the logs: the next operation starts afresh. */
void vl_track_clear(void);

/* Hooks of set_pte/pte_clear and __free_page; nothing when off. */
void vl_track_log_pte(pte_t *ptep, pte_t old, pte_t new);
void vl_track_log_free(uint32_t idx);

static inline void vl_track_pte(pte_t *ptep, pte_t new)
{
	if (__builtin_expect(vl_track.on, 0))
		vl_track_log_pte(ptep, *ptep, new);
}

#endif
