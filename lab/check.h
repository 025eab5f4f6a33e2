/* Invariant checks over the whole machine. */
#ifndef VL_CHECK_H
#define VL_CHECK_H

/*
 * vl_check_all - check every invariant: pkmap_count <-> PTE <-> hash; the
 * page_address pool; vmlist sorted, disjoint, inside the window, guard
 * pages unmapped, each area's PTEs mapping exactly its pages, nothing else
 * mapped in the window; every TLB entry equal to its PTE; no PTE pointing
 * at a free frame.  Returns NULL when all hold, else a description of the
 * first violation (static storage, overwritten by the next call).
 */
const char *vl_check_all(void);

/*
 * vl_check_track_start - vl_check_all(), then turn change tracking on
 * (track.h) and take shadows of the state, for vl_check_step().  Returns
 * vl_check_all()'s verdict, or a message when the shadows find no host
 * memory; tracking stays off then.  vl_track_stop() ends it; the shadows'
 * memory stays for the next start.
 */
const char *vl_check_track_start(void);

/*
 * vl_check_step - the invariants of vl_check_all() over what changed since
 * the last call (or since vl_check_track_start()): the PTEs written, the
 * frames freed, the pkmap_count entries written (all three logged, see
 * track.h), the areas added.  Given that the state was whole then, it finds
 * what vl_check_all() would, at the cost of the change.  Empties the change
 * logs.  Without tracking, or after a log overflowed, it is vl_check_all().
 * Single-threaded use only.
 */
const char *vl_check_step(void);

#endif
