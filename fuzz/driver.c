/*
 * The fuzz driver: decoder -> model -> core, then the checks.  After each
 * operation: the core's result must equal the model's, the core's state
 * must equal the model's where both are plain data (PKMAP counts, fixmap
 * PTEs, the busy VMALLOC areas, the lazily freed ones and the purges,
 * free frames, event counts), and the invariants must
 * hold: vl_check_step() over what the operation changed, or the whole
 * vl_check_all() with FUZZ_FULL_CHECK set and at the end of every input.
 * Data patterns are checked by the decoder's write/expect steps.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"
#include "model.h"
#include "track.h"

bool fuzz_verbose;
const char *fuzz_input_name;

static struct vl_decoder dec;
static struct model model;
static struct fuzz_log *log_to;                  /* fuzz_run_with()'s, or NULL */
static uint32_t seen_fix[VL_DECODE_FIX_MAX];   /* the model's fixed slots last time */
static uint64_t seen_flushes;                    /* the model's, last time */
static bool full_check;                          /* FUZZ_FULL_CHECK set */
static uint32_t step_no;
static char why_buf[256];

static _Noreturn void finding(const struct vl_dop *op, const struct vl_dres *got,
			      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finding(const struct vl_dop *op, const struct vl_dres *got, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "\nFINDING in %s input%s%s, operation %u: ",
		fuzz_input_name ? "" : "this", fuzz_input_name ? " " : "",
		fuzz_input_name ? fuzz_input_name : "", step_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (op) {
		fputs("  at: ", stderr);
		vl_decode_print(&dec, op, got, stderr);
	}
	fputs("  the whole scenario, decoded: make fuzz-repro FILE=...\n",
	      stderr);
	abort();
}

static const char *why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return why_buf;
}

/* The answer the model could not know beforehand, against the ones it allows. */
static void settle(const struct vl_dop *op, const struct vl_dres *got)
{
	struct vl_stats s;
	const char *w;

	vl_stats_read(&s);
	if ((w = model_settle(&model, got, s.vmap_purges, why_buf, sizeof(why_buf))))
		finding(op, got, "%s", w);
}

/* The core's answer against the model's. */
static void compare(const struct vl_dop *op, const struct vl_dres *want, const struct vl_dres *got)
{
	if (got->bugged && !want->bugged)
		finding(op, got, "kernel BUG on a legal operation: %s", dec.bug);
	if (want->bugged && !got->bugged)
		finding(op, got, "the kernel must BUG here and did not");
	if (got->bugged)
		return;
	if (model.vm.pending) {
		settle(op, got);
		return;
	}
	if (got->err != want->err)
		finding(op, got, "error %d, the model says %d", got->err, want->err);
	if (got->addr != want->addr)
		finding(op, got, "address 0x%08x, the model says 0x%08x", got->addr, want->addr);
	if (got->num != want->num)
		finding(op, got, "index %u, the model says %u", got->num, want->num);
	if (got->has_pfn != want->has_pfn || got->pfn != want->pfn)
		finding(op, got, "frame %s0x%x, the model says %s0x%x", got->has_pfn ? "" : "none ",
			got->pfn, want->has_pfn ? "" : "none ", want->pfn);
	if (got->read != want->read)
		finding(op, got, "read 0x%02x through the mapping, wanted 0x%02x (wrong frame "
			"or stale TLB entry)", got->read, want->read);
}

static const char *check_count(uint32_t nr)
{
	if (pkmap_count[nr] != model.count[nr])
		return why("pkmap_count[%u] is %d, the model says %d", nr, pkmap_count[nr],
			   model.count[nr]);
	return NULL;
}

/*
 * pkmap_count against the model: every slot when @whole or after a flush
 * in the model; else the slots either side wrote this operation (the
 * core's count log, the model's touched slot), the others being equal
 * since the last operation.
 */
static const char *check_pkmap(bool whole)
{
	const char *w = NULL;

	if (last_pkmap_nr != model.last)
		return why("last_pkmap_nr is %u, the model says %u", last_pkmap_nr, model.last);
	if (whole || model.pkmap_flushes != seen_flushes) {
		seen_flushes = model.pkmap_flushes;
		for (uint32_t nr = 0; nr < LAST_PKMAP && !w; nr++)
			w = check_count(nr);
		return w;
	}
	for (uint32_t i = 0; i < vl_track.nr_counts && !w; i++)
		w = check_count(vl_track.counts[i]);
	if (!w && model.touched >= 0)
		w = check_count((uint32_t)model.touched);
	model.touched = -1;
	return w;
}

static uint32_t nr_fixed(void)
{
	return vl.layout->end_of_fixed < VL_DECODE_FIX_MAX ? vl.layout->end_of_fixed
							   : VL_DECODE_FIX_MAX;
}

static const char *check_fix_slot(uint32_t idx)
{
	pte_t *ptep = vl_pte_lookup(model_fix_addr(&model, idx));
	uint32_t got = ptep && pte_present(*ptep) ? pte_pfn(*ptep) + 1 : 0;

	if (got != model.fix_pfn[idx])
		return why("fixed slot %u maps pfn+1 0x%x, the model says 0x%x", idx, got,
			   model.fix_pfn[idx]);
	return NULL;
}

static const char *check_fixmap(void)
{
	const char *w;

	for (uint32_t idx = 0; idx < nr_fixed(); idx++)
		if ((w = check_fix_slot(idx)))
			return w;
	return NULL;
}

/* The model's slot for a written PTE, if the address is a fixed slot. */
static bool fix_slot_of(vaddr_t va, uint32_t *idx)
{
	vaddr_t base = model_fix_addr(&model, 0);
	int32_t step = (int32_t)(model_fix_addr(&model, 1) - base);
	int64_t i = ((int64_t)va - (int64_t)base) / step;

	*idx = (uint32_t)i;
	return i >= 0 && i < nr_fixed() && model_fix_addr(&model, *idx) == va;
}

/* The slots this operation changed: in the model, or in the page tables. */
static const char *check_fixmap_step(void)
{
	const uint32_t n = nr_fixed();
	const char *w;
	uint32_t idx;

	for (idx = 0; idx < n; idx++)
		if (model.fix_pfn[idx] != seen_fix[idx]) {
			seen_fix[idx] = model.fix_pfn[idx];
			if ((w = check_fix_slot(idx)))
				return w;
		}
	for (uint32_t i = 0; i < vl_track.nr_ptes; i++)
		if (fix_slot_of(vl_pte_vaddr(vl_track.ptes[i].ptep), &idx) &&
		    (w = check_fix_slot(idx)))
			return w;
	return NULL;
}

/* The busy areas in address order, whatever the generation. */
static const char *check_areas(void)
{
	const struct vm_struct *a = vl_vm_first();
	uint32_t i = 0, n = 0;

	for (; a; a = vl_vm_next(a), i++, n++) {
		while (i < model.nareas && !model_area_busy(&model.areas[i]))
			i++;
		if (i >= model.nareas || a->addr != model.areas[i].addr ||
		    a->size != model.areas[i].size)
			return why("busy area %u is 0x%08x+0x%x, the model has %s0x%08x+0x%x", n,
				   a->addr, a->size, i < model.nareas ? "" : "none: ",
				   i < model.nareas ? model.areas[i].addr : 0,
				   i < model.nareas ? model.areas[i].size : 0);
	}
	while (i < model.nareas && !model_area_busy(&model.areas[i]))
		i++;
	return i == model.nareas ? NULL : why("%u busy areas, the model has more", n);
}

/* The lazily freed areas, newest first, their pages and the purges. */
static const char *check_lazy(void)
{
	const struct model_vmalloc *v = &model.vm;
	const struct vmap_area *va = vmap_purge_list;
	struct vl_stats s;
	uint32_t k = v->npurge;

	for (; va && k; va = va->purge_next)
		if (va->va_start != v->purge[--k])
			return why("lazily freed area 0x%08x, the model says 0x%08x next",
				   va->va_start, v->purge[k]);
	if (va || k)
		return why("%s lazily freed areas than the model", va ? "more" : "fewer");
	if (vmap_lazy_nr != v->lazy_nr)
		return why("vmap_lazy_nr is %u, the model says %u", vmap_lazy_nr, v->lazy_nr);
	vl_stats_read(&s);
	if (s.vmap_purges != v->purges || s.vmap_purged_areas != v->purged_areas)
		return why("%llu purges of %llu areas, the model says %llu of %llu",
			   (unsigned long long)s.vmap_purges,
			   (unsigned long long)s.vmap_purged_areas,
			   (unsigned long long)v->purges, (unsigned long long)v->purged_areas);
	return NULL;
}

static const char *check_counts(void)
{
	struct vl_stats s;

	vl_stats_read(&s);
	if (s.page_allocs != model.allocs || s.page_frees != model.frees)
		return why("%llu frames allocated and %llu freed, the model says %llu and %llu",
			   (unsigned long long)s.page_allocs, (unsigned long long)s.page_frees,
			   (unsigned long long)model.allocs, (unsigned long long)model.frees);
	if (s.pt_pages != model.pt_pages - model.boot_tables)
		return why("%llu page tables allocated, the model says %llu",
			   (unsigned long long)s.pt_pages,
			   (unsigned long long)(model.pt_pages - model.boot_tables));
	if (s.tlb_flush_range != model.range_flushes || s.pkmap_flushes != model.pkmap_flushes)
		return why("%llu range TLB flushes (%llu PKMAP flushes), the model says %llu (%llu)",
			   (unsigned long long)s.tlb_flush_range, (unsigned long long)s.pkmap_flushes,
			   (unsigned long long)model.range_flushes,
			   (unsigned long long)model.pkmap_flushes);
	if (vl_pages_in_use() - (uint32_t)model.pt_pages != model_pages_in_use(&model))
		return why("%u frames in use besides page tables, the model says %u",
			   vl_pages_in_use() - (uint32_t)model.pt_pages, model_pages_in_use(&model));
	return NULL;
}

/*
 * Every check after an operation; the first violation.  Incremental
 * (vl_check_step() and the fixed slots that changed) unless FUZZ_FULL_CHECK
 * is set; always whole at the end of an input.
 */
static const char *check_state(bool whole)
{
	const char *w;

	if ((w = check_pkmap(whole)) || (w = check_areas()) ||
	    (w = check_lazy()) || (w = check_counts()))
		return w;
	if (whole)
		return (w = check_fixmap()) ? w : vl_check_all();
	/* the fixed slots read the change log, which vl_check_step() empties */
	return (w = check_fixmap_step()) ? w : vl_check_step();
}

/* The end of an input: pages a count-1 PKMAP slot kept go after a flush;
 * then nothing may be left. */
static void drain(void)
{
	uint32_t left[VL_DECODE_MAX_OBJS];
	uint32_t n = vl_decode_leftover(&dec, left, VL_DECODE_MAX_OBJS);
	const char *w;

	if (n) {
		pthread_mutex_lock(&kmap_lock);
		flush_all_zero_pkmaps();
		pthread_mutex_unlock(&kmap_lock);
		model_flush_pkmaps(&model);
	}
	for (uint32_t i = 0; i < n; i++) {
		__free_page(dec.obj[left[i]].page);
		model_free_page(&model, page_to_pfn(dec.obj[left[i]].page));
	}
	if ((w = check_state(true)))
		finding(NULL, NULL, "after the final drain: %s", w);
	if (vl_pages_in_use() != model.pt_pages || vl_vmlist_count())
		finding(NULL, NULL, "after teardown %u frames besides page tables and %u areas "
			"are left", vl_pages_in_use() - (uint32_t)model.pt_pages, vl_vmlist_count());
}

static void log_step(const struct vl_dop *op, const struct vl_dres *got)
{
	struct fuzz_log *l = log_to;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->steps = realloc(l->steps, l->cap * sizeof(*l->steps));
		if (!l->steps)
			abort();
	}
	l->steps[l->n++] = (struct fuzz_step){ .op = *op, .res = *got };
}

void fuzz_run_with(enum vl_decode_target target, const uint8_t *data, size_t size,
		   const struct vl_decode_vmalloc *vc, struct fuzz_log *log)
{
	struct vl_dop op;
	struct vl_dres want, got;
	const char *w;

	if (vl_decode_begin(&dec, target, data, size, vc))
		abort();
	if (model_init(&model, vl.layout, vl.cpus, vl.vmalloc, vl.lazy, vl.vmap_nodes))
		abort();
	log_to = log;
	if (log)
		log->n = 0;
	step_no = 0;
	full_check = getenv("FUZZ_FULL_CHECK") != NULL;
	memcpy(seen_fix, model.fix_pfn, sizeof(seen_fix));
	seen_flushes = 0;
	if (!full_check && (w = vl_check_track_start()))
		finding(NULL, NULL, "after boot: %s", w);
	if (fuzz_verbose)
		vl_decode_print_header(&dec, stdout);
	while (vl_decode_next(&dec, &op)) {
		step_no++;
		model_step(&model, &dec, &op, &want);
		vl_decode_exec(&dec, &op, &got);
		if (fuzz_verbose)
			vl_decode_print(&dec, &op, &got, stdout);
		compare(&op, &want, &got);
		if (log)
			log_step(&op, &got);
		if (got.bugged)
			break;  /* a probe BUGged as it must: the machine is gone */
		if ((w = check_state(full_check)))
			finding(&op, &got, "invariant violated: %s", w);
	}
	vl_track_stop();  /* the drain is checked whole */
	if (!dec.dead)
		drain();
	vl_decode_end(&dec);
	model_free(&model);
}

int fuzz_run(enum vl_decode_target target, const uint8_t *data, size_t size)
{
	fuzz_run_with(target, data, size, NULL, NULL);
	return 0;
}
