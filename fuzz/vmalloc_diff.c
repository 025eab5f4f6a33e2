/*
 * Fuzz target: the four VMALLOC generations side by side.  Each input
 * runs through the vmalloc target's operations on vmlist, rbtree,
 * augtree and nodes in turn, each checked against the reference model
 * after every operation as fuzz_run() does (so rbtree against the
 * model's 5.0 cached walk, nodes against its pools).  Byte 0: bits 0-5
 * as the decoder reads them (CPUs, layout), bit 6 turns lazy purge off
 * for rbtree, augtree and nodes, bit 7 boots a 64 MiB window (vmalloc=)
 * in which the lazy pages can pass lazy_max_pages(); a fail-alloc
 * argument byte from 0xE0 on is a purge instead.  nodes runs with
 * one node per CPU, and once more with one node, where it must answer
 * every operation exactly as augtree did: to the end with lazy purge
 * off, else up to the first ioremap over a page once anything may have
 * been freed (wide_after_free()).  With lazy purge off, vmlist
 * and augtree are both lowest fit: they must give the same answer to
 * every operation up to the first one aligned above a page (an ioremap
 * of a page or more), after which their alignment rules differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include "driver.h"

#define DIFF_WINDOW (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void differ(const char *pair, uint32_t i, const struct fuzz_step *a,
			     const struct fuzz_step *b)
{
	fflush(stdout);
	fprintf(stderr, "\nFINDING in %s input%s%s, operation %u: %s differ: op %d (%u) -> "
		"0x%08x err %d, then op %d (%u) -> 0x%08x err %d\n",
		fuzz_input_name ? "" : "this", fuzz_input_name ? " " : "",
		fuzz_input_name ? fuzz_input_name : "", i + 1, pair, a->op.kind, a->op.num,
		a->res.addr, a->res.err, b->op.kind, b->op.num, b->res.addr, b->res.err);
	fputs("  the whole scenario: make fuzz-repro FILE=... (the vmalloc_diff target)\n",
	      stderr);
	abort();
}

static bool same(const struct fuzz_step *a, const struct fuzz_step *b)
{
	return a->op.kind == b->op.kind && a->op.obj == b->op.obj && a->op.num == b->op.num &&
	       a->op.flag == b->op.flag && a->res.addr == b->res.addr &&
	       a->res.err == b->res.err && a->res.bugged == b->res.bugged &&
	       a->res.has_pfn == b->res.has_pfn && a->res.pfn == b->res.pfn &&
	       a->res.read == b->res.read && a->res.num == b->res.num;
}

/* Where a comparison ends: the first step at which the pair may part. */
typedef bool (*parts_at)(const struct fuzz_step *s, bool *freed);

/* An alignment above a page in either generation: vmlist's fls(size) is
 * 13 bits or more from 4096 bytes on. */
static bool wide_align(const struct fuzz_step *s, bool *freed)
{
	(void)freed;
	return s->op.kind == OP_GET_VM_AREA && s->op.flag && s->op.num >= PAGE_SIZE;
}

/*
 * augtree returns a purge's areas to the free tree newest first (5.2),
 * nodes in address order (6.9): the same free space, yet trees of other
 * shapes, and a search aligned above a page (an ioremap over a page)
 * answers by the shape.  So with lazy freeing the pair may part at the
 * first such request after anything may have been freed lazily (a
 * vfree, a vunmap, a failed allocation).
 */
static bool wide_after_free(const struct fuzz_step *s, bool *freed)
{
	bool wide = s->op.kind == OP_GET_VM_AREA && s->op.flag && s->op.num > PAGE_SIZE;

	if (wide && *freed)
		return true;
	*freed |= s->op.kind == OP_VFREE || s->op.kind == OP_VUNMAP || s->res.err;
	return false;
}

/* @a and @b must agree on every operation up to where @parts (or NULL) says. */
static void compare_logs(const char *pair, const struct fuzz_log *a, const struct fuzz_log *b,
			 parts_at parts)
{
	bool freed = false;
	uint32_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (parts && parts(&a->steps[i], &freed))
			return;
		if (!same(&a->steps[i], &b->steps[i]))
			differ(pair, i, &a->steps[i], &b->steps[i]);
	}
	if (a->n != b->n)
		differ(pair, i, &a->steps[i < a->n ? i : a->n - 1],
		       &b->steps[i < b->n ? i : b->n - 1]);
}

/* One run of generation @gen (@nodes: 0 one per CPU), logged in @log. */
static void run_gen(const uint8_t *data, size_t size, enum vl_vmalloc_gen gen, uint32_t nodes,
		    struct fuzz_log *log)
{
	static const char *const gen_name[] = {
		[VL_VMLIST] = "vmlist", [VL_RBTREE] = "rbtree",
		[VL_AUGTREE] = "augtree", [VL_NODES] = "nodes",
	};
	uint8_t b = size ? data[0] : 0;
	struct vl_decode_vmalloc vc = { .gen = gen, .lazy_off = b & 0x40,
					.vmalloc_size = b & 0x80 ? DIFF_WINDOW : 0,
					.vmap_nodes = nodes, .purge_ops = true };

	if (fuzz_verbose)
		printf("# --- generation %s%s\n", gen_name[gen], nodes == 1 ? ", one node" : "");
	fuzz_run_with(VL_DT_VMALLOC, data, size, &vc, log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_log logs[VL_NODES + 2];  /* [VL_NODES + 1]: one node */
	uint8_t b = size ? data[0] : 0;

	for (int g = VL_VMLIST; g <= VL_NODES; g++)
		run_gen(data, size, (enum vl_vmalloc_gen)g, 0, &logs[g]);
	run_gen(data, size, VL_NODES, 1, &logs[VL_NODES + 1]);
	compare_logs("augtree and nodes with one node", &logs[VL_AUGTREE], &logs[VL_NODES + 1],
		     b & 0x40 ? NULL : wide_after_free);
	if (b & 0x40)
		compare_logs("vmlist and augtree (lazy purge off, alignments up to a page)",
			     &logs[VL_VMLIST], &logs[VL_AUGTREE], wide_align);
	return 0;
}
