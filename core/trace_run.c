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
};

struct run {
	const struct vl_trace *t;
	struct binding *b;
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

static void put_err(struct run *r, int err)
{
	fprintf(r->out, "%u: err %s\n", r->op->line,
		err == ENOMEM ? "ENOMEM" : err == EDEADLK ? "EDEADLK" :
		err == EFAULT ? "EFAULT" : "EINVAL");
}

/* An allocator result: an address, or 0 with errno. */
static void put_result(struct run *r, vaddr_t va)
{
	if (va)
		put_addr(r, va);
	else
		put_err(r, errno);
}

static void put_ret(struct run *r, int ret)
{
	if (ret)
		put_err(r, -ret);
	else
		put(r, "ok");
}

static struct binding *bnd(struct run *r)
{
	return &r->b[r->op->name];
}

static void do_page(struct run *r)
{
	struct binding *b = bnd(r);

	b->page = alloc_page(r->op->flag ? GFP_HIGHUSER : GFP_KERNEL);
	b->addr = b->page ? lowmem_page_address(b->page) : 0;
	b->cpu = 0;
	if (b->page)
		put(r, "ok");
	else
		put_err(r, ENOMEM);
}

static void do_kmap(struct run *r)
{
	struct binding *b = bnd(r);
	vaddr_t va;

	errno = 0;
	va = kmap(b->page);
	if (va) {
		b->addr = va;
		b->cpu = r->op->cpu;
	}
	put_result(r, va);
}

static void do_kmap_atomic(struct run *r, bool by_pfn)
{
	struct binding *b = bnd(r);
	vaddr_t va = by_pfn ? kmap_atomic_pfn(page_to_pfn(b->page), r->op->km)
			    : kmap_atomic(b->page, r->op->km);

	b->addr = va;
	b->cpu = r->op->cpu;
	put_addr(r, va);
}

static void do_kmap_atomic_to_page(struct run *r)
{
	struct page *page = kmap_atomic_to_page(r->op->num);

	for (uint32_t i = 0; page && i < r->t->nnames; i++)
		if (r->t->name_kind[i] == NAME_PAGE && r->b[i].page == page) {
			fprintf(r->out, "%u: %s\n", r->op->line, r->t->names[i]);
			return;
		}
	if (page)
		fprintf(r->out, "%u: pfn 0x%x\n", r->op->line, page_to_pfn(page));
	else
		put(r, "none");
}

static void do_area(struct run *r)
{
	struct binding *b = bnd(r);
	struct vm_struct *a;

	errno = 0;
	if (r->op->kind == OP_VMALLOC) {
		b->addr = vmalloc(r->op->num);
	} else {
		a = get_vm_area(r->op->num, r->op->flag ? VM_IOREMAP : VM_ALLOC);
		b->addr = a ? a->addr : 0;
	}
	put_result(r, b->addr);
}

static void do_vmap(struct run *r)
{
	const struct vl_trace_op *op = r->op;
	struct page **pages = calloc(op->nlist, sizeof(*pages));

	errno = ENOMEM;
	for (uint32_t i = 0; pages && i < op->nlist; i++)
		pages[i] = r->b[op->list[i]].page;
	bnd(r)->addr = pages ? vmap(pages, op->nlist, VM_MAP, PAGE_KERNEL) : 0;
	free(pages);
	put_result(r, bnd(r)->addr);
}

/* write/expect go through the name's mapping on the op's CPU (or the
 * CPU that made the mapping), so stale TLB entries show. */
static int do_access(struct run *r)
{
	struct binding *b = bnd(r);
	uint8_t v = (uint8_t)r->op->byte, got;
	int ret;

	if (!r->op->cpu_given)
		vl_set_cpu(b->cpu);
	if (!b->addr) {
		put_err(r, EFAULT);
		return 0;
	}
	if (r->op->kind == OP_WRITE) {
		put_ret(r, vl_write(b->addr + r->op->num, &v, 1));
		return 0;
	}
	ret = vl_read(b->addr + r->op->num, &got, 1);
	if (ret) {
		put_err(r, -ret);
		return 0;
	}
	if (got == v) {
		put(r, "ok");
		return 0;
	}
	fprintf(r->out, "%u: fail expect: read 0x%02x at 0x%08x, wanted 0x%02x\n",
		r->op->line, got, b->addr + r->op->num, v);
	return 3;
}

static void do_stats(struct run *r)
{
	struct vl_stats s;

	vl_stats_read(&s);
	fprintf(r->out, "%u: pte_writes=%llu pte_clears=%llu tlb_flush_one=%llu "
		"tlb_flush_range=%llu tlb_flush_range_pages=%llu table_walks=%llu "
		"slots_scanned=%llu pkmap_flushes=%llu nodes_visited=%llu "
		"page_allocs=%llu page_frees=%llu pt_pages=%llu\n", r->op->line,
		(unsigned long long)s.pte_writes, (unsigned long long)s.pte_clears,
		(unsigned long long)s.tlb_flush_one, (unsigned long long)s.tlb_flush_range,
		(unsigned long long)s.tlb_flush_range_pages, (unsigned long long)s.table_walks,
		(unsigned long long)s.pkmap_slots_scanned, (unsigned long long)s.pkmap_flushes,
		(unsigned long long)s.vmlist_nodes_visited, (unsigned long long)s.page_allocs,
		(unsigned long long)s.page_frees, (unsigned long long)s.pt_pages);
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

static void do_fixmap(struct run *r)
{
	const struct vl_trace_op *op = r->op;

	switch (op->kind) {
	case OP_FIX_TO_VIRT:
		put_addr(r, fix_to_virt(op->num));
		return;
	case OP_VIRT_TO_FIX:
		fprintf(r->out, "%u: %u\n", op->line, virt_to_fix(op->num));
		return;
	case OP_SET_FIXMAP:
		set_fixmap(op->num, page_to_phys(bnd(r)->page));
		break;
	default:
		clear_fixmap(op->num);
		break;
	}
	put(r, "ok");
}

/* Runs one operation; returns 3 when the trace must stop. */
static int step(struct run *r)
{
	const struct vl_trace_op *op = r->op;
	struct binding *b = bnd(r);

	vl_set_cpu(op->cpu);
	switch (op->kind) {
	case OP_PAGE: do_page(r); break;
	case OP_FREE_PAGE: __free_page(b->page); b->page = NULL; put(r, "ok"); break;
	case OP_KMAP: do_kmap(r); break;
	case OP_KUNMAP: kunmap(b->page); put(r, "ok"); break;
	case OP_KMAP_ATOMIC: do_kmap_atomic(r, false); break;
	case OP_KMAP_ATOMIC_PFN: do_kmap_atomic(r, true); break;
	case OP_KUNMAP_ATOMIC: kunmap_atomic(b->addr, op->km); put(r, "ok"); break;
	case OP_KMAP_ATOMIC_TO_PAGE: do_kmap_atomic_to_page(r); break;
	case OP_FIX_TO_VIRT: case OP_VIRT_TO_FIX: case OP_SET_FIXMAP:
	case OP_CLEAR_FIXMAP: do_fixmap(r); break;
	case OP_VMALLOC: case OP_GET_VM_AREA: do_area(r); break;
	case OP_VFREE: put_ret(r, vfree(b->addr)); b->addr = 0; break;
	case OP_VMAP: do_vmap(r); break;
	case OP_VUNMAP: put_ret(r, vunmap(b->addr)); b->addr = 0; break;
	case OP_WRITE: case OP_EXPECT: return do_access(r);
	case OP_PURGE: put(r, "ok"); break;
	case OP_CHECK: return do_check(r, false);
	case OP_STATS: do_stats(r); break;
	case OP_FAIL_ALLOC: vl_fail_nth_alloc(op->num); put(r, "ok"); break;
	}
	return 0;
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
	if (!r.b || vl_boot(&t->cfg)) {
		free(r.b);
		return -ENOMEM;
	}
	old = vl_set_bug_handler(trace_bug_handler);
	bug_jump = &here;
	if (setjmp(here) == 0) {
		status = run_all(&r, check_each);
	} else {
		fprintf(out, "%u: bug %s\n", bug_line, bug_msg);
		status = 3;
	}
	bug_jump = outer;
	vl_set_bug_handler(old);
	vl_shutdown();
	free(r.b);
	return status;
}
