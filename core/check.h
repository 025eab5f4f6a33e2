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

#endif
