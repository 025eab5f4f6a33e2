/*
 * Trace executor: boots the trace's machine and runs it operation by
 * operation, one "LINE: RESULT" per operation.  A kernel BUG longjmps back
 * here; the machine is then rebooted on the next run, never reused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fixmap.h"
#include "highmem.h"
#include "mmu.h"
#include "physmem.h"
#include "trace.h"
#include "vmalloc.h"

struct binding {
	struct page *page;   /* NAME_PAGE */
	vaddr_t addr;        /* NAME_AREA: the area; NAME_PAGE: last mapping */
	uint32_t cpu;        /* the CPU that made the mapping */
	uint64_t span;       /* bytes an OFFSET may reach: vl_trace_span() */
};

struct run {
	const struct vl_trace *t;
	struct binding *b;
	uint32_t *page_name; /* per frame (pfn - vl_pfn_offset): bound name + 1 */
	FILE *out;
	const struct vl_trace_op *op;
};

static _Thread_local jmp_buf *bug_jump;
static _Thread_local char bug_msg[256];
static _Thread_local uint32_t bug_line;  /* survives the longjmp */

static void trace_bug_handler(const char *msg)
{
	snprintf(bug_msg, sizeof(bug_msg), "%s", msg);
	longjmp(*bug_jump, 1);
}

static void put_addr(struct run *r, vaddr_t va)
{
	fprintf(r->out, "%u: 0x%08x\n", r->op->line, va);
}

static void put(struct run *r, const char *s)
{
	fprintf(r->out, "%u: %s\n", r->op->line, s);
}

const char *vl_trace_errno_name(int err)
{
	return err == ENOMEM ? "ENOMEM" : err == EDEADLK ? "EDEADLK" :
	       err == EFAULT ? "EFAULT" : "EINVAL";
}

uint64_t vl_trace_span(const struct vl_trace_op *op)
{
	switch (op->kind) {
	case OP_PAGE: return PAGE_SIZE;
	case OP_VMALLOC: case OP_GET_VM_AREA:
		return (((uint64_t)op->num + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1)) + PAGE_SIZE;
	case OP_VMAP: return ((uint64_t)op->nlist + 1) * PAGE_SIZE;
	default: return 0;
	}
}

static void put_err(struct run *r, int err)
{
	fprintf(r->out, "%u: err %s\n", r->op->line, vl_trace_errno_name(err));
}

/* An address, or the failure that came instead. */
static void put_result(struct run *r, const struct vl_trace_res *res)
{
	if (res->err)
		put_err(r, res->err);
	else
		put_addr(r, res->addr);
}

static void put_ok(struct run *r, int err)
{
	if (err)
		put_err(r, err);
	else
		put(r, "ok");
}

static struct binding *bnd(struct run *r)
{
	return &r->b[r->op->name];
}

/*
 * BUG an access from @cpu to another CPU's kmap_atomic slot: the kernel
 * computes the slot from smp_processor_id(), so the address means nothing
 * on any other CPU (a later kmap_atomic there may reuse it).
 */
static void check_atomic_cpu(const struct vl_trace_op *op, vaddr_t va)
{
	const struct vl_layout *l = vl.layout;
	uint32_t idx = __virt_to_fix(va), owner;

	if (idx < l->fix_kmap_begin || idx > FIX_KMAP_END(l) ||
	    __fix_to_virt(idx) != (va & PAGE_MASK))
		return;
	owner = (idx - l->fix_kmap_begin) / KM_TYPE_NR;
	if (owner != op->cpu)
		vl_bug(op->kind == OP_WRITE ? "write" : "expect",
		       "0x%08x is CPU %u's kmap_atomic slot %s, used on CPU %u: "
		       "kmap_atomic addresses are per-CPU", va, owner,
		       vl_km_name((idx - l->fix_kmap_begin) % KM_TYPE_NR), op->cpu);
}

void vl_trace_apply(const struct vl_trace_op *op, struct page *page, vaddr_t addr,
		    struct page **pages, struct vl_trace_res *res)
{
	struct vm_struct *area;
	uint8_t byte = (uint8_t)op->byte;

	*res = (struct vl_trace_res){ 0 };
	vl_set_cpu(op->cpu);
	errno = 0;
	switch (op->kind) {
	case OP_PAGE:
		res->page = alloc_page(op->flag ? GFP_HIGHUSER : GFP_KERNEL);
		res->err = res->page ? 0 : ENOMEM;
		return;
	case OP_FREE_PAGE: __free_page(page); return;
	case OP_KMAP: res->addr = kmap(page); break;
	case OP_KUNMAP: kunmap(page); return;
	case OP_KMAP_ATOMIC: res->addr = kmap_atomic(page, op->km); return;
	case OP_KMAP_ATOMIC_PFN: res->addr = kmap_atomic_pfn(page_to_pfn(page), op->km); return;
	case OP_KUNMAP_ATOMIC: kunmap_atomic(addr, op->km); return;
	case OP_KMAP_ATOMIC_TO_PAGE: res->page = kmap_atomic_to_page(op->num); return;
	case OP_FIX_TO_VIRT: res->addr = fix_to_virt(op->num); return;
	case OP_VIRT_TO_FIX: res->num = virt_to_fix(op->num); return;
	case OP_SET_FIXMAP: set_fixmap(op->num, page_to_phys(page)); return;
	case OP_CLEAR_FIXMAP: clear_fixmap(op->num); return;
	case OP_VMALLOC: res->addr = vmalloc(op->num); break;
	case OP_GET_VM_AREA:
		area = get_vm_area(op->num, op->flag ? VM_IOREMAP : VM_ALLOC);
		res->addr = area ? area->addr : 0;
		break;
	case OP_VFREE: res->err = -vfree(addr); return;
	case OP_VMAP: res->addr = vmap(pages, op->nlist, VM_MAP, PAGE_KERNEL); break;
	case OP_VUNMAP: res->err = -vunmap(addr); return;
	case OP_WRITE:
		check_atomic_cpu(op, addr + op->num);
		res->err = -vl_write(addr + op->num, &byte, 1);
		return;
	case OP_EXPECT:
		check_atomic_cpu(op, addr + op->num);
		res->err = -vl_read(addr + op->num, &res->read, 1);
		return;
	case OP_FAIL_ALLOC: vl_fail_nth_alloc(op->num); return;
	case OP_PURGE: res->num = purge_vmap_area_lazy(); return;
	case OP_CHECK: case OP_STATS: return;
	}
	if (!res->addr)
		res->err = errno;
}

static uint32_t *page_name(struct run *r, const struct page *page)
{
	return &r->page_name[page - mem_map];
}

static void report_page(struct run *r, const struct vl_trace_res *res)
{
	uint32_t name = res->page ? *page_name(r, res->page) : 0;

	if (name)
		fprintf(r->out, "%u: %s\n", r->op->line, r->t->names[name - 1]);
	else if (res->page)
		fprintf(r->out, "%u: pfn 0x%x\n", r->op->line, page_to_pfn(res->page));
	else
		put(r, "none");
}

/* A byte read back: ok, or a failure that stops the trace. */
static int report_expect(struct run *r, const struct vl_trace_res *res)
{
	if (res->err) {
		put_err(r, res->err);
		return 0;
	}
	if (res->read == r->op->byte) {
		put(r, "ok");
		return 0;
	}
	fprintf(r->out, "%u: fail expect: read 0x%02x at 0x%08x, wanted 0x%02x\n",
		r->op->line, res->read, bnd(r)->addr + r->op->num, r->op->byte);
	return 3;
}

/* Record what @res means for the op's name and print it; 3 stops. */
static int report(struct run *r, const struct vl_trace_res *res)
{
	const struct vl_trace_op *op = r->op;
	struct binding *b = bnd(r);

	switch (op->kind) {
	case OP_PAGE:
		*b = (struct binding){ .page = res->page, .span = vl_trace_span(op),
				       .addr = res->page ? lowmem_page_address(res->page) : 0 };
		if (res->page)
			*page_name(r, res->page) = op->name + 1;
		put_ok(r, res->err);
		break;
	case OP_FREE_PAGE:
		*page_name(r, b->page) = 0;
		b->page = NULL;
		put(r, "ok");
		break;
	case OP_KMAP: case OP_KMAP_ATOMIC: case OP_KMAP_ATOMIC_PFN:
		if (res->addr) {
			b->addr = res->addr;
			b->cpu = op->cpu;
		}
		put_result(r, res);
		break;
	case OP_KMAP_ATOMIC_TO_PAGE: report_page(r, res); break;
	case OP_FIX_TO_VIRT: put_addr(r, res->addr); break;
	case OP_VIRT_TO_FIX: fprintf(r->out, "%u: %u\n", op->line, res->num); break;
	case OP_PURGE: fprintf(r->out, "%u: purged %u\n", op->line, res->num); break;
	case OP_VMALLOC: case OP_GET_VM_AREA: case OP_VMAP:
		b->addr = res->addr;
		b->cpu = op->cpu;
		b->span = vl_trace_span(op);
		put_result(r, res);
		break;
	case OP_VFREE: case OP_VUNMAP: b->addr = 0; put_ok(r, res->err); break;
	case OP_EXPECT: return report_expect(r, res);
	default: put_ok(r, res->err); break;
	}
	return 0;
}

/* Every counter of VL_STATS, then the lazily freed pages now waiting. */
static void do_stats(struct run *r)
{
	struct vl_stats s;
	const char *sep = "";

	vl_stats_read(&s);
	fprintf(r->out, "%u: ", r->op->line);
#define PUT_STAT(field, name, per_op) \
	fprintf(r->out, "%s" name "=%llu", sep, (unsigned long long)s.field); \
	sep = " ";
	VL_STATS(PUT_STAT)
#undef PUT_STAT
	fprintf(r->out, " lazy_pages=%u\n", vmap_lazy_nr);
}

static int do_check(struct run *r, bool quiet)
{
	const char *why = vl_check_all();

	if (why) {
		fprintf(r->out, "%u: fail invariant: %s\n", r->op->line, why);
		return 3;
	}
	if (!quiet)
		put(r, "ok");
	return 0;
}

/* write/expect go through the name's mapping on the CPU that made it
 * unless cpu= says otherwise, so stale TLB entries show. */
static bool is_access(const struct vl_trace_op *op)
{
	return op->kind == OP_WRITE || op->kind == OP_EXPECT;
}

/* Runs one operation; returns 3 when the trace must stop. */
static int step(struct run *r)
{
	const struct vl_trace_op *op = r->op;
	struct binding *b = bnd(r);
	struct vl_trace_op eff = *op;
	struct vl_trace_res res;
	struct page **pages = NULL;

	if (op->kind == OP_CHECK)
		return do_check(r, false);
	if (op->kind == OP_STATS) {
		do_stats(r);
		return 0;
	}
	/* the parser keeps OFFSET inside the span; a trace built by hand may not */
	if (is_access(op) && (!b->addr || op->num >= b->span)) {
		put_err(r, EFAULT);
		return 0;
	}
	if (is_access(op) && !op->cpu_given)
		eff.cpu = b->cpu;
	if (op->kind == OP_VMAP) {
		pages = calloc(op->nlist, sizeof(*pages));
		if (!pages) {
			put_err(r, ENOMEM);
			return 0;
		}
		for (uint32_t i = 0; i < op->nlist; i++)
			pages[i] = r->b[op->list[i]].page;
	}
	vl_trace_apply(&eff, b->page, b->addr, pages, &res);
	free(pages);
	return report(r, &res);
}

/* A NULL page (its allocation failed) cannot be mapped or freed. */
static bool needs_page(const struct run *r)
{
	switch (r->op->kind) {
	case OP_FREE_PAGE: case OP_KMAP: case OP_KUNMAP: case OP_KMAP_ATOMIC:
	case OP_KMAP_ATOMIC_PFN: case OP_KUNMAP_ATOMIC: case OP_SET_FIXMAP:
		return !r->b[r->op->name].page;
	case OP_VMAP:
		for (uint32_t i = 0; i < r->op->nlist; i++)
			if (!r->b[r->op->list[i]].page)
				return true;
		return false;
	default:
		return false;
	}
}

static int run_all(struct run *r, bool check_each)
{
	int status = 0;

	for (uint32_t i = 0; i < r->t->nops && !status; i++) {
		r->op = &r->t->ops[i];
		bug_line = r->op->line;
		if (needs_page(r)) {
			put_err(r, EINVAL);
			continue;
		}
		status = step(r);
		if (!status && check_each)
			status = do_check(r, true);
		if (ferror(r->out))
			return -EIO;
	}
	return status;
}

int vl_trace_exec(const struct vl_trace *t, FILE *out, bool check_each)
{
	struct run r = { .t = t, .out = out };
	jmp_buf here;
	jmp_buf *outer = bug_jump;
	vl_bug_handler_t old;
	volatile int status = 0;

	r.b = calloc(t->nnames ? t->nnames : 1, sizeof(*r.b));
	if (!r.b || vl_boot(&t->cfg) ||
	    !(r.page_name = calloc(vl_nr_pages, sizeof(*r.page_name)))) {
		vl_shutdown();
		free(r.b);
		return -ENOMEM;
	}
	old = vl_set_bug_handler(trace_bug_handler);
	bug_jump = &here;
	if (setjmp(here) == 0) {
		status = run_all(&r, check_each);
	} else {
		fprintf(out, "%u: bug %s\n", bug_line, bug_msg);
		status = ferror(out) ? -EIO : 3;
	}
	bug_jump = outer;
	vl_set_bug_handler(old);
	vl_shutdown();
	free(r.page_name);
	free(r.b);
	return status;
}
