/*
 * Fuzz target: the three VMALLOC generations side by side.  Each input
 * runs through the vmalloc target's operations on vmlist, rbtree and
 * augtree in turn, each checked against the reference model after every
 * operation as fuzz_run() does (so rbtree against the model's 5.0 cached
 * walk).  Byte 0: bits 0-5 as the decoder reads them (CPUs, layout), bit
 * 6 turns lazy purge off for rbtree and augtree, bit 7 boots a 64 MiB
 * window (vmalloc=) in which the lazy pages can pass lazy_max_pages().
 * With lazy purge off, vmlist and augtree are both lowest fit: they must
 * give the same answer to every operation up to the first one aligned
 * above a page (an ioremap of a page or more), after which their
 * alignment rules differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include "driver.h"

#define DIFF_WINDOW (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const gen_name[] = { "", "vmlist", "rbtree", "augtree" };

static _Noreturn void differ(uint32_t i, const struct fuzz_step *a, const struct fuzz_step *b)
{
	fflush(stdout);
	fprintf(stderr, "\nFINDING in %s input%s%s, operation %u: vmlist and augtree differ "
		"(lazy purge off, alignments up to a page): vmlist did op %d (%u) -> 0x%08x "
		"err %d, augtree op %d (%u) -> 0x%08x err %d\n",
		fuzz_input_name ? "" : "this", fuzz_input_name ? " " : "",
		fuzz_input_name ? fuzz_input_name : "", i + 1, a->op.kind, a->op.num,
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

/* An alignment above a page in either generation: vmlist's fls(size) is
 * 13 bits or more from 4096 bytes on. */
static bool wide_align(const struct vl_dop *op)
{
	return op->kind == OP_GET_VM_AREA && op->flag && op->num >= PAGE_SIZE;
}

static void compare_lowest_fit(const struct fuzz_log *a, const struct fuzz_log *b)
{
	uint32_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (wide_align(&a->steps[i].op))
			return;
		if (!same(&a->steps[i], &b->steps[i]))
			differ(i, &a->steps[i], &b->steps[i]);
	}
	if (a->n != b->n)
		differ(i, &a->steps[i < a->n ? i : a->n - 1], &b->steps[i < b->n ? i : b->n - 1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_log logs[VL_AUGTREE + 1];
	uint8_t b = size ? data[0] : 0;

	for (int g = VL_VMLIST; g <= VL_AUGTREE; g++) {
		struct vl_decode_vmalloc vc = { .gen = (enum vl_vmalloc_gen)g,
					       .lazy_off = b & 0x40,
					       .vmalloc_size = b & 0x80 ? DIFF_WINDOW : 0 };

		if (fuzz_verbose)
			printf("# --- generation %s\n", gen_name[g]);
		fuzz_run_with(VL_DT_VMALLOC, data, size, &vc, &logs[g]);
	}
	if (b & 0x40)
		compare_lowest_fit(&logs[VL_VMLIST], &logs[VL_AUGTREE]);
	return 0;
}
