/* The trace language of shared/design/interfaces.md: parse, then run. */
#ifndef VL_TRACE_H
#define VL_TRACE_H

#include <stdio.h>
#include "machine.h"

enum vl_op_kind {
	OP_PAGE, OP_FREE_PAGE, OP_KMAP, OP_KUNMAP, OP_KMAP_ATOMIC,
	OP_KUNMAP_ATOMIC, OP_KMAP_ATOMIC_PFN, OP_KMAP_ATOMIC_TO_PAGE,
	OP_FIX_TO_VIRT, OP_VIRT_TO_FIX, OP_SET_FIXMAP, OP_CLEAR_FIXMAP,
	OP_VMALLOC, OP_GET_VM_AREA, OP_VFREE, OP_VMAP, OP_VUNMAP, OP_WRITE,
	OP_EXPECT, OP_PURGE, OP_CHECK, OP_STATS, OP_FAIL_ALLOC,
};

enum vl_name_kind { NAME_PAGE = 1, NAME_AREA = 2 };

struct vl_trace_op {
	enum vl_op_kind kind;
	uint32_t line;
	uint32_t name;       /* index into vl_trace.names */
	uint32_t num;        /* bytes, index, address, offset or count */
	uint32_t byte;       /* write/expect value */
	uint32_t cpu;        /* cpu=N, default 0 */
	bool cpu_given;
	int km;              /* enum km_type */
	bool flag;           /* page: highmem; get_vm_area: ioremap */
	uint32_t *list;      /* vmap: page names */
	uint32_t nlist;
};

struct vl_trace {
	struct vl_config cfg;
	struct vl_trace_op *ops;
	uint32_t nops;
	char **names;
	uint8_t *name_kind;  /* enum vl_name_kind */
	uint32_t nnames;
};

/*
 * vl_trace_parse - parse @len bytes of trace text (any bytes: NULs and
 * invalid input are rejected, never trusted).  Names are checked
 * statically: a name must be bound before use and unbound (freed) before
 * it is bound again.  Returns 0, or -EINVAL with "FILE:LINE:COL: message"
 * in @err, or -ENOMEM.  On failure @t holds nothing.
 */
int vl_trace_parse(const char *file, const char *text, size_t len,
		   struct vl_trace *t, char *err, size_t errlen);
void vl_trace_free(struct vl_trace *t);

/* What one operation returned. */
struct vl_trace_res {
	vaddr_t addr;        /* an address result, 0 if none */
	uint32_t num;        /* virt_to_fix: the index */
	struct page *page;   /* page, kmap_atomic_to_page: the frame, or NULL */
	uint8_t read;        /* expect: the byte read */
	int err;             /* 0 or the errno of a failure */
};

/* The name a result line gives an errno: ENOMEM, EDEADLK, EFAULT or EINVAL. */
const char *vl_trace_errno_name(int err);

/*
 * vl_trace_apply - make the one allocator call @op stands for, on CPU
 * op->cpu, with @page and @addr the page and address its name is bound to
 * and @pages the frames of a vmap.  Touches no binding: the caller records
 * what it needs from @res.  check, stats and purge make no call.  BUGs as
 * the call it makes.  Shared by the trace executor and the fuzz decoder.
 */
void vl_trace_apply(const struct vl_trace_op *op, struct page *page, vaddr_t addr,
		    struct page **pages, struct vl_trace_res *res);

/*
 * vl_trace_exec - boot the trace's machine and run every operation,
 * printing "LINE: RESULT" to @out.  With @check_each, vl_check_all() runs
 * after every operation.  Returns 0 when the trace ran to the end, 3 when a
 * kernel BUG, an invariant violation or a failed expect stopped it, or -ENOMEM.
 * The machine is shut down on return.
 */
int vl_trace_exec(const struct vl_trace *t, FILE *out, bool check_each);

#endif
