/* The trace language (docs/trace-language.md): parse, then run. */
#ifndef VL_TRACE_H
#define VL_TRACE_H

#include <stdio.h>
#include "boot.h"

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
 * vl_trace_parse_file - parse trace text read from @f as a stream, line by
 * line: memory grows only with what the trace binds (operations, names),
 * never with the input (comments and blanks are not kept, a word is at most
 * VL_TRACE_MAX_WORD bytes, a line other than vmap stops at its first word
 * too many).  Lines have no length limit.  Any byte may come: NULs and other
 * invalid input are rejected at the first bad byte, never trusted.  Names
 * are checked statically: bound before use, unbound (freed) before bound
 * again; a write/expect OFFSET must lie inside the mapping (see
 * vl_trace_span).  Returns 0; -EINVAL with "FILE:LINE:COL: message" in
 * @err; -EIO when reading @f fails ("FILE: <strerror>", e.g. "Is a
 * directory"); or -ENOMEM.  On failure @t holds nothing.
 */
int vl_trace_parse_file(const char *file, FILE *f, struct vl_trace *t,
			char *err, size_t errlen);
/* vl_trace_parse - the same over @len bytes in memory. */
int vl_trace_parse(const char *file, const char *text, size_t len,
		   struct vl_trace *t, char *err, size_t errlen);
#define VL_TRACE_MAX_WORD 4096u  /* bytes in one word (name, number, keyword) */
void vl_trace_free(struct vl_trace *t);

/* What one operation returned. */
struct vl_trace_res {
	vaddr_t addr;        /* an address result, 0 if none */
	uint32_t num;        /* virt_to_fix: the index; purge: areas purged */
	struct page *page;   /* page, kmap_atomic_to_page: the frame, or NULL */
	uint8_t read;        /* expect: the byte read */
	int err;             /* 0 or the errno of a failure */
};

/* The name a result line gives an errno: ENOMEM, EDEADLK, EFAULT or EINVAL. */
const char *vl_trace_errno_name(int err);

/*
 * vl_trace_span - the bytes a write/expect OFFSET may reach through the
 * mapping @op binds: PAGE_SIZE for a page; an area's whole size with its
 * guard page (PAGE_ALIGN(BYTES) + PAGE_SIZE; vmap: pages + 1, in bytes), so
 * an access to the guard page is legal and faults (EFAULT) as in the kernel.
 * In 64 bits: an area may span more than 4 GiB of request.  0 for an
 * operation that binds nothing.
 */
uint64_t vl_trace_span(const struct vl_trace_op *op);

/*
 * vl_trace_apply - make the one allocator call @op stands for, on CPU
 * op->cpu, with @page and @addr the page and address its name is bound to
 * and @pages the frames of a vmap.  Touches no binding: the caller records
 * what it needs from @res.  check, stats and purge make no call.  BUGs as
 * the call it makes.  Shared by the trace executor and the fuzz decoder.
 * A write/expect through another CPU's kmap_atomic slot BUGs ("write" or
 * "expect"): kmap_atomic addresses are per-CPU, only the CPU that made the
 * mapping may use it (2.6.12 i386 highmem.c: the slot index includes
 * smp_processor_id()).
 */
void vl_trace_apply(const struct vl_trace_op *op, struct page *page, vaddr_t addr,
		    struct page **pages, struct vl_trace_res *res);

/*
 * vl_trace_exec - boot the trace's machine and run every operation,
 * printing "LINE: RESULT" to @out.  With @check_each, vl_check_all() runs
 * after every operation.  Returns 0 when the trace ran to the end, 3 when a
 * kernel BUG, an invariant violation or a failed expect stopped it, -EIO
 * when writing to @out failed (the run stops there), or -ENOMEM.  The
 * machine is shut down on return, whatever happened.
 */
int vl_trace_exec(const struct vl_trace *t, FILE *out, bool check_each);

#endif
