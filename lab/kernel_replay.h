/*
 * Replaying a real kernel's vmalloc capture (lab/kernel_capture.h) through
 * a VMALLOC generation, decision by decision: `vmaplab kernel-replay`.
 */
#ifndef VL_KERNEL_REPLAY_H
#define VL_KERNEL_REPLAY_H

#include <stdio.h>
#include "machine.h"

#define VL_KR_DIFF_MAX 10u   /* final-state differences named */

/* One area where the model's final state and the "after" snapshot differ. */
struct vl_kr_diff {
	uint32_t off, size;      /* bytes from the capture's VMALLOC start */
	bool unpurged;           /* as listed where it was found */
	bool in_model;           /* found only in the model (else: only in the snapshot) */
	uint32_t line;           /* of the "after" snapshot, 0 for the model's */
};

struct vl_kr_result {
	/* the capture and its window */
	uint32_t cpus;
	uint64_t vstart, vend;   /* the capture's VMALLOC range (kernel addresses) */
	vaddr_t window_start;    /* the model's VMALLOC_START: offset 0 */
	uint32_t window_size;    /* bytes */
	bool events_lost;        /* the trace header says entries were dropped */
	/* the initial state */
	uint32_t before_busy, before_lazy;  /* areas placed */
	uint32_t before_outside;            /* lines outside the range or window */
	uint32_t before_unplaced;           /* lines whose space was taken */
	/* the snapshot markers (captures made since the script writes them) */
	bool markers;                       /* all four present, in order */
	uint32_t ignored_before;            /* events before "before-begin" */
	uint32_t ignored_after;             /* events after "after-end" */
	uint32_t in_before, before_seen;    /* events read with the before snapshot; already in it */
	uint32_t in_after, after_unseen;    /* events read with the after snapshot; not yet in it */
	/* the figures of the last line */
	uint32_t nr_lazy_ok, frees;         /* A/B */
	uint32_t purges_ok, purges;         /* C/D */
	uint32_t final_ok, final_n;         /* E/F */
	uint32_t hits, allocs;              /* G/H */
	uint32_t hits_after, allocs_after;  /* I/J: after the first purge */
	/* what the figures leave out */
	uint32_t allocs_failed;      /* failed=1: nothing to predict */
	uint32_t foreign;            /* events outside the capture's VMALLOC range */
	uint32_t early_purges;       /* purges run before their event (recorded late) */
	uint32_t diverged;           /* kernel choices the model could not apply */
	uint32_t lost_frees;         /* frees of such areas */
	uint32_t phantoms;           /* free areas held as hidden in the kernel's pools */
	uint32_t phantoms_left;      /* of them still held at the end */
	uint32_t after_outside;      /* "after" lines outside the range or window */
	uint32_t first_lazy_miss;    /* trace line of the first nr_lazy mismatch, 0 none */
	uint64_t first_lazy_kernel, first_lazy_model;
	struct vl_kr_diff diff[VL_KR_DIFF_MAX];
	uint32_t ndiff;              /* of them filled (min(F - E, VL_KR_DIFF_MAX)) */
};

/*
 * vl_kernel_replay - replay the capture in @dir (machine.txt,
 * vmallocinfo.before, trace.txt, vmallocinfo.after; each plain or .xz;
 * machine.txt optional) through generation @gen on a freshly booted
 * machine: layout i386, one CPU and one vmap node per CPU of the capture,
 * purges only where the kernel purged, the capture's VMALLOC range mapped
 * by offset onto a window of the same start alignment (see README
 * "kernel-replay").  With the snapshot markers, only the events from
 * "before-begin" to "after-end" count, and those read with a snapshot are
 * reconciled with it (docs/capture.md, "Markers"); without, all do.  With
 * @csv, one row per event replayed.  With @check,
 * vl_check_all() every 1000 events and at the end.  Returns 0 with @res
 * filled; -EINVAL with "FILE:LINE:COL: message" (or "FILE: message") in
 * @err for a malformed or unreadable capture, or one that does not fit the
 * lab (over VL_MAX_CPUS CPUs, too wide a span, markers missing or out of
 * order); 3 with the message in @err
 * when a check fails or the core BUGs; -ENOMEM.  The machine is shut down
 * before it returns.
 */
int vl_kernel_replay(const char *dir, enum vl_vmalloc_gen gen, bool check,
		     FILE *csv, struct vl_kr_result *res, char *err, size_t errlen);

/*
 * vl_kr_print - the summary of @res: a few lines, the last one exactly
 * "kernel-replay: nr_lazy A/B, purges C/D, final E/F, addresses G/H,
 * after first purge I/J".
 */
void vl_kr_print(const struct vl_kr_result *res, const char *gen_name, FILE *out);

#endif
