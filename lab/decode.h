/*
 * Fuzz input decoding: any byte string stands for a legal operation
 * sequence on a booted machine, which `vmaplab decode` prints as a trace
 * and the fuzz harnesses (fuzz/) run against a reference model.
 *
 * Input: byte 0 picks the CPU count (1 + b % 4) and the layout (bits 2-5
 * all set: "biscuitos", else "small", whose limits are a few operations
 * away, so most inputs reach them), and for the vmalloc and mixed
 * targets the VMALLOC generation (bits 6-7, vl_decode_vmalloc_of());
 * then each operation is an opcode byte and its argument bytes (0 once
 * the input is used up).  Object arguments are indices taken modulo the objects an operation may
 * legally use, so nothing is ever rejected.  Opcodes 0xF8..0xFF end the
 * input with a probe: one operation the kernel must BUG on.  When the
 * input is used up, or VL_DECODE_MAX_OPS operations have run, teardown
 * operations unmap and free everything.
 *
 * Which operation an argument picks depends on earlier results (a failed
 * kmap leaves nothing to kunmap), so the decoder runs each operation on
 * the machine itself: vl_decode_next() proposes, vl_decode_exec() runs it
 * and records the result.
 */
#ifndef VL_DECODE_H
#define VL_DECODE_H

#include <stdio.h>
#include "trace.h"

enum vl_decode_target { VL_DT_PKMAP, VL_DT_FIXMAP, VL_DT_VMALLOC, VL_DT_MIXED };
/* "pkmap", "fixmap", "vmalloc", "mixed" -> target; -1 if unknown. */
int vl_decode_target(const char *name);

#define VL_DECODE_MAX_VMAP 8u      /* pages per vmap */
#define VL_DECODE_MAX_OBJS 2048u   /* pages and areas per input */
#define VL_DECODE_QUEUE 16u
/* Operations an input may run before teardown: bounds an execution (bulk
 * opcodes expand) while a biscuitos PKMAP wrap, 3 x 512, still fits. */
#define VL_DECODE_MAX_OPS 2048u
#define VL_DECODE_FIX_MAX 256u     /* fixed slots tracked */

/* One decoded operation: a trace operation on objects P<n> / A<n>. */
struct vl_dop {
	enum vl_op_kind kind;
	uint32_t obj;        /* the page or area it binds or uses */
	uint32_t num;        /* bytes, index, address, offset or count */
	uint32_t byte;       /* write/expect value */
	uint32_t cpu;        /* the CPU it runs on: kmap_atomic and accesses
				their slot's or a byte's, vmalloc and
				get_vm_area a byte's (dec_area), others 0 */
	int km;              /* enum km_type */
	bool flag;           /* page: highmem; get_vm_area: ioremap */
	bool must_bug;       /* a probe: the kernel must BUG here */
	uint32_t list[VL_DECODE_MAX_VMAP]; /* vmap: page objects */
	uint32_t nlist;
};

/* What an operation did. */
struct vl_dres {
	vaddr_t addr;        /* an address result, 0 if none */
	uint32_t num;        /* virt_to_fix: the index */
	int err;             /* 0 or the errno of a failure */
	bool has_pfn;        /* page, kmap_atomic_to_page: a frame came back */
	uint32_t pfn;
	uint8_t read;        /* expect: the byte read */
	bool bugged;         /* the kernel BUGged (message in vl_decoder.bug) */
};

enum vl_area_kind { VL_AREA_VMALLOC = 1, VL_AREA_GET, VL_AREA_VMAP };

/* A page (P<name>) or an area (A<name>), as the trace executor binds it. */
struct vl_dobj {
	uint32_t name;
	bool is_area;
	bool live;           /* bound and backed: page allocated, area listed */
	struct page *page;
	vaddr_t addr;        /* page: its last mapping; area: its start */
	uint32_t cpu;        /* the CPU that made the last mapping */
	uint32_t kmaps;      /* page: kmap() references held */
	uint32_t pins;       /* page: vmap areas, fixed and atomic slots on it */
	uint32_t slot;       /* page: PKMAP slot + 1 of its last kmap, 0 none */
	uint32_t pat;        /* page: pattern id, 0 = none written; area: first */
	uint8_t area_kind;   /* enum vl_area_kind */
	uint32_t npages;     /* area: mapped pages */
	uint32_t pages[VL_DECODE_MAX_VMAP]; /* vmap: page objects */
};

struct vl_decoder {
	enum vl_decode_target target;
	struct vl_config cfg;
	const uint8_t *data;
	size_t len, pos;
	struct vl_dobj *obj;         /* cap of them, at most VL_DECODE_MAX_OBJS */
	uint32_t nobj, cap;
	uint32_t nops;               /* operations handed out so far */
	uint32_t td_from;            /* teardown: first object still to look at */
	uint32_t *live;              /* indices of the live objects, ascending */
	uint32_t nlive;
	uint32_t next_pat;           /* pattern ids handed out so far */
	uint32_t bulk_left;          /* pages still to map in a bulk run */
	bool bulk_hold;              /* bulk: keep the kmap (else kunmap) */
	struct vl_dop queue[VL_DECODE_QUEUE];
	uint32_t qhead, qlen;
	uint32_t atomic_owner[VL_MAX_CPUS][KM_TYPE_NR]; /* obj + 1 */
	uint32_t fix_owner[VL_DECODE_FIX_MAX];               /* obj + 1 */
	uint32_t slot_owner[LAST_PKMAP_MAX];  /* obj + 1 of each slot's last kmap */
	int32_t bulk_obj;            /* bulk: the page in progress, -1 none */
	uint8_t bulk_stage;          /* bulk: 0 new page, 1 kmap, 2 done */
	bool purge_ops;              /* see struct vl_decode_vmalloc */
	bool ended;                  /* a probe ran: no teardown */
	bool dead;                   /* a BUG stopped the machine */
	char bug[256];
};

/* How an input boots VMALLOC. */
struct vl_decode_vmalloc {
	enum vl_vmalloc_gen gen;
	bool lazy_off;           /* generations 2 to 4: free at once */
	uint32_t vmalloc_size;   /* bytes; 0 = the layout's window */
	uint32_t vmap_nodes;     /* generation 4: nodes; 0 = one per CPU */
	bool purge_ops;          /* fail-alloc arguments from 0xE0 purge instead */
};

/*
 * vl_decode_vmalloc_of - the VMALLOC an input of @target boots.  vmalloc
 * and mixed: byte 0's bits 6-7 say 0 vmlist, 1 rbtree, 2 augtree, 3 with
 * bit 3 clear lazy purge off (augtree if bit 2 is set, else rbtree), 3
 * with bit 3 set nodes (lazy) with bits 4-5 nodes (0: one per CPU), and
 * a fail-alloc argument byte from 0xE0 on is a purge instead (small
 * windows never reach lazy_max_pages(), and only a purge fills the
 * pools).  Inputs from before generation 4 keep their meaning unless
 * bits 6, 7 and 3 are all set (none in corpus/).  Other targets: vmlist.
 */
struct vl_decode_vmalloc vl_decode_vmalloc_of(enum vl_decode_target target,
					      const uint8_t *data, size_t len);

/*
 * vl_decode_begin - boot the machine byte 0 asks for (small or biscuitos,
 * 1-4 CPUs, debug on) with the VMALLOC @vc says (NULL: the one
 * vl_decode_vmalloc_of() reads) and install a BUG handler that
 * vl_decode_exec() turns into vl_dres.bugged.  Returns 0, or -ENOMEM
 * (no host memory, or a boot @vc makes fail: -EINVAL from vl_boot()).
 */
int vl_decode_begin(struct vl_decoder *d, enum vl_decode_target target,
		    const uint8_t *data, size_t len, const struct vl_decode_vmalloc *vc);
/* vl_decode_end - shut the machine down, restore the BUG handler. */
void vl_decode_end(struct vl_decoder *d);

/*
 * vl_decode_next - the next legal operation into @op: from the input,
 * then teardown.  False when nothing is left (or after a BUG).
 */
bool vl_decode_next(struct vl_decoder *d, struct vl_dop *op);
/* vl_decode_exec - run @op on the machine, record the result in @res. */
void vl_decode_exec(struct vl_decoder *d, const struct vl_dop *op, struct vl_dres *res);

/*
 * vl_decode_leftover - after teardown: the live pages teardown could not
 * free because a count-1 PKMAP slot still maps them (they stay until the
 * next wrap flushes the window).  Fills up to @max objects, returns how many.
 */
uint32_t vl_decode_leftover(const struct vl_decoder *d, uint32_t *objs, uint32_t max);

/* vl_decode_print - @op as one trace line; with @res, its result as a comment. */
void vl_decode_print(const struct vl_decoder *d, const struct vl_dop *op,
		     const struct vl_dres *res, FILE *out);
/* The trace header lines of the decoded machine, VMALLOC's included. */
void vl_decode_print_header(const struct vl_decoder *d, FILE *out);

/*
 * vl_decode_file - decode and run @len bytes, printing the trace they
 * stand for to @out.  Returns 0, or -ENOMEM.
 */
int vl_decode_file(enum vl_decode_target target, const uint8_t *data,
		   size_t len, FILE *out);

#endif
