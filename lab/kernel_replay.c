/*
 * `vmaplab kernel-replay`: a real kernel's vmalloc capture replayed
 * through a VMALLOC generation.  The "before" snapshot stands up the
 * initial state; then each allocation is first predicted by the model,
 * scored, and replaced by the kernel's own choice, so one miss does not
 * spoil the rest; each free is compared by nr_lazy, each purge by its
 * count and flushed range; the end state by the "after" snapshot.  The
 * capture script's markers bound the events that count and tell which
 * were read with a snapshot (docs/capture.md, "Markers").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "check.h"
#include "kernel_capture.h"
#include "kernel_replay.h"
#include "vmalloc.h"

#define KR_RANGES 8u            /* distinct vstart/vend pairs told apart */
#define KR_CHECK_EVERY 1000u    /* events between two --check runs */
#define KR_MAX_AREAS (1u << 20) /* snapshot lines kept, at most */
#define KR_ALIGN_MIN (4u << 20) /* the window starts this aligned at least */
#define KR_PURGE_AHEAD 256u     /* trace lines a purge may be recorded late by */

/* The allocations of one vstart/vend pair seen by the first pass. */
struct kr_range {
	uint64_t vstart, vend;
	uint64_t max_end;      /* highest end (exclusive) an event reaches */
	uint64_t max_align;
	uint32_t allocs;
};

/*
 * An area the model would have placed but the kernel passed over for a
 * higher one: free to the model, not to the kernel's search - most likely
 * sitting in one of its pools, which /proc/vmallocinfo does not list.  Held
 * busy until the kernel itself allocates over it.
 */
struct kr_phantom {
	struct vm_struct *vm;
};

/* A snapshot's areas inside the capture's range, as offsets. */
struct kr_areas {
	struct vl_kc_area *a;
	uint32_t n, outside;
};

/*
 * Where an event stands against the snapshot markers: the number of them
 * passed.  A capture without markers replays everything as KR_BETWEEN.
 */
enum kr_phase { KR_PRE, KR_IN_BEFORE, KR_BETWEEN, KR_IN_AFTER, KR_POST };

/* An event read with the "after" snapshot: offsets, end 0 for a free. */
struct kr_late {
	uint64_t start, end;
};

struct kr_state {
	const char *dir;
	struct vl_kr_result *res;
	FILE *csv;
	bool check;
	char *err;
	size_t errlen;
	struct kr_range range[KR_RANGES];
	uint32_t nranges;
	uint32_t max_cpu;
	uint64_t *lost;        /* kernel addresses the model could not claim */
	uint32_t nlost, lost_cap;
	struct kr_phantom *phantom; /* free space the kernel passed over */
	uint32_t nphantom, phantom_cap;
	bool purged;           /* the capture's first purge has gone by */
	uint32_t events;       /* replayed so far */
	uint32_t marks;        /* first pass: snapshot markers seen */
	enum kr_phase phase;
	struct kr_areas before; /* sorted by start, for the events read with it */
	struct kr_late *late;  /* the events read with the "after" snapshot */
	uint32_t nlate, late_cap;
	uint32_t *purge_line;  /* first pass: the trace lines of the purges */
	uint32_t npurge, purge_cap;
	uint32_t next_purge;   /* index of the next purge event, or below it */
	bool early;            /* that purge has already run (see purge_early()) */
	uint32_t early_n;
	struct vmap_purge_record early_rec;
};

/* Room in the array *@p of *@cap elements of @size for element @n. */
static bool grow(void **p, uint32_t n, uint32_t *cap, size_t size)
{
	uint32_t c = *cap ? 2u * *cap : 64u;
	void *q;

	if (n < *cap)
		return true;
	q = realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* ---- the first pass: the capture's range, CPUs, span ------------------ */

static struct kr_range *range_of(struct kr_state *s, uint64_t vstart, uint64_t vend)
{
	for (uint32_t i = 0; i < s->nranges; i++)
		if (s->range[i].vstart == vstart && s->range[i].vend == vend)
			return &s->range[i];
	if (s->nranges == KR_RANGES)
		return NULL;
	s->range[s->nranges] = (struct kr_range){ .vstart = vstart, .vend = vend };
	return &s->range[s->nranges++];
}

/* A free or purge reaching up to @end raises the ranges that hold @addr. */
static void reach(struct kr_state *s, uint64_t addr, uint64_t end)
{
	for (uint32_t i = 0; i < s->nranges; i++) {
		struct kr_range *r = &s->range[i];

		if (addr >= r->vstart && addr <= r->vend && end > r->max_end)
			r->max_end = end;
	}
}

static void scan_event(struct kr_state *s, const struct vl_kc_event *ev)
{
	struct kr_range *r;

	if (ev->type == KC_FREE) {
		reach(s, ev->addr, ev->addr + PAGE_SIZE);
	} else if (ev->type == KC_PURGE) {
		if (ev->nr)
			reach(s, ev->addr, ev->end);
	} else if (!ev->failed && (r = range_of(s, ev->vstart, ev->vend))) {
		r->allocs++;
		r->max_end = ev->addr + ev->size > r->max_end ? ev->addr + ev->size : r->max_end;
		r->max_align = ev->align > r->max_align ? ev->align : r->max_align;
	}
}

/* "# entries-in-buffer/entries-written: X/Y": X < Y when events were lost. */
static void scan_header(struct kr_state *s, const char *line)
{
	unsigned long long in, written;
	const char *p = strstr(line, "entries-in-buffer/entries-written:");

	if (p && sscanf(p + 34, "%llu/%llu", &in, &written) == 2 && in != written)
		s->res->events_lost = true;
}

static int note_purge(struct kr_state *s, uint32_t line)
{
	if (!grow((void **)&s->purge_line, s->npurge, &s->purge_cap, sizeof(*s->purge_line)))
		return -ENOMEM;
	s->purge_line[s->npurge++] = line;
	return 1;
}

/* First pass: the snapshot markers come once each, in their order. */
static int scan_mark(struct kr_state *s, const struct vl_kc_event *ev,
		     const struct vl_kc_file *kf)
{
	static const char *const what[] = { "before-begin", "before-end", "after-begin",
					     "after-end" };

	if (ev->mark == KC_MARK_OTHER || ev->mark == s->marks) {
		s->marks += ev->mark != KC_MARK_OTHER;
		return 1;
	}
	snprintf(s->err, s->errlen, "%s:%u:%u: marker 'vmaplab-capture: %s' out of order "
		 "(%s%s expected)", kf->name, kf->lineno, ev->addr_col, what[ev->mark],
		 s->marks < KC_MARK_OTHER ? what[s->marks] : "no marker",
		 s->marks < KC_MARK_OTHER ? "" : " after 'after-end'");
	return -EINVAL;
}

/* First pass, at the end: all four markers or none. */
static int scan_marks_end(struct kr_state *s, const struct vl_kc_file *kf)
{
	static const char *const what[] = { "", "before-end", "after-begin", "after-end" };

	s->res->markers = s->marks == KC_MARK_OTHER;
	if (!s->marks || s->res->markers)
		return 0;
	snprintf(s->err, s->errlen, "%s:%u:1: the trace ends without the marker "
		 "'vmaplab-capture: %s'", kf->name, kf->lineno + 1u, what[s->marks]);
	return -EINVAL;
}

/* Each trace line through @fn; any fault in the file ends it. */
static int each_event(struct kr_state *s, int (*fn)(struct kr_state *s,
			const struct vl_kc_event *ev, const struct vl_kc_file *kf))
{
	struct vl_kc_file kf;
	struct vl_kc_event ev;
	int r = vl_kc_open(&kf, s->dir, "trace.txt", true, s->err, s->errlen);

	if (r)
		return -EINVAL;
	while ((r = vl_kc_getline(&kf, s->err, s->errlen)) == 1) {
		r = vl_kc_parse_event(kf.buf, kf.name, kf.lineno, &ev, s->err, s->errlen);
		if (r == 0 && !fn)
			scan_header(s, kf.buf);
		if (r == 1 && ev.cpu >= (s->res->cpus ? s->res->cpus : VL_MAX_CPUS)) {
			snprintf(s->err, s->errlen, "%s:%u:%u: CPU %u: %s", kf.name, kf.lineno,
				 ev.cpu_col, ev.cpu, s->res->cpus ? "beyond machine.txt's count"
				 : "the lab simulates at most 8 CPUs");
			r = -EINVAL;
		}
		if (r == 1 && !fn && ev.type == KC_MARK) {
			r = scan_mark(s, &ev, &kf);
		} else if (r == 1 && !fn) {
			s->max_cpu = ev.cpu > s->max_cpu ? ev.cpu : s->max_cpu;
			scan_event(s, &ev);
			r = ev.type == KC_PURGE ? note_purge(s, kf.lineno) : 1;
		} else if (r == 1) {
			r = fn(s, &ev, &kf);
		}
		if (r < 0 || r > 1)
			break;
	}
	if (vl_kc_close(&kf, r < 0 || r > 1 ? NULL : s->err, s->errlen) && r == 0)
		return -EINVAL;
	if (r == 0 && !fn)
		r = scan_marks_end(s, &kf);
	return r < 0 || r > 1 ? r : 0;
}

/* machine.txt's second line: the number of CPUs (the file is optional). */
static int read_machine(struct kr_state *s)
{
	struct vl_kc_file kf;
	char *end;
	unsigned long n = 0;
	int r = vl_kc_open(&kf, s->dir, "machine.txt", false, s->err, s->errlen);

	if (r)
		return r < 0 ? r : 0;
	while ((r = vl_kc_getline(&kf, s->err, s->errlen)) == 1 && kf.lineno < 2)
		;
	if (r == 1) {
		n = strtoul(kf.buf, &end, 10);
		if (end == kf.buf || *end || !n || n > VL_MAX_CPUS) {
			snprintf(s->err, s->errlen, "%s:2:1: '%s' is not a CPU count from 1 to %u",
				 kf.name, kf.buf, VL_MAX_CPUS);
			r = -EINVAL;
		}
	}
	vl_kc_close(&kf, NULL, 0);
	s->res->cpus = (uint32_t)n;
	return r < 0 ? r : 0;
}

/* The range with the most allocations is the capture's VMALLOC range. */
static const struct kr_range *main_range(const struct kr_state *s)
{
	const struct kr_range *best = NULL;

	for (uint32_t i = 0; i < s->nranges; i++)
		if (!best || s->range[i].allocs > best->allocs)
			best = &s->range[i];
	return best;
}

/* ---- snapshots --------------------------------------------------------- */

static int read_snapshot(struct kr_state *s, const char *base, struct kr_areas *out)
{
	struct vl_kc_file kf;
	struct vl_kc_area a;
	int r = vl_kc_open(&kf, s->dir, base, true, s->err, s->errlen);

	memset(out, 0, sizeof(*out));
	if (r)
		return -EINVAL;
	out->a = malloc(KR_MAX_AREAS * sizeof(*out->a));
	r = out->a ? 0 : -ENOMEM;
	while (!r && (r = vl_kc_getline(&kf, s->err, s->errlen)) == 1) {
		r = vl_kc_parse_area(kf.buf, kf.name, kf.lineno, &a, s->err, s->errlen);
		if (r == 1 && (a.start < s->res->vstart || a.end - 1u > s->res->vend)) {
			out->outside++;
		} else if (r == 1 && out->n == KR_MAX_AREAS) {
			snprintf(s->err, s->errlen, "%s:%u:1: more than %u areas", kf.name,
				 kf.lineno, KR_MAX_AREAS);
			r = -EINVAL;
		} else if (r == 1) {
			a.start -= s->res->vstart;
			a.end -= s->res->vstart;
			out->a[out->n++] = a;
		}
		r = r == 1 ? 0 : r;
	}
	if (vl_kc_close(&kf, r ? NULL : s->err, s->errlen) && !r)
		r = -EINVAL;
	if (r) {
		free(out->a);
		out->a = NULL;
	}
	return r;
}

/*
 * The window: the span the events reach (and the "before" areas below
 * it), rounded up to 4 MiB, and as much again of room (a prediction that
 * finds no hole would purge where the kernel did not), ending at i386's
 * VMALLOC_END and starting as aligned as the capture's largest alignment.
 */
static int boot_window(struct kr_state *s, const struct kr_range *r,
		       const struct kr_areas *before, enum vl_vmalloc_gen gen)
{
	const struct vl_layout *i386 = vl_layout_find("i386");
	uint64_t span = r->max_end - r->vstart, align = KR_ALIGN_MIN, start;
	struct vl_config cfg = { .layout = "i386", .cpus = s->res->cpus, .vmalloc = gen,
				 .vmap_nodes = s->res->cpus, .purge_on_demand = true };

	for (uint32_t i = 0; i < before->n; i++)
		if (before->a[i].start < r->max_end - r->vstart && before->a[i].end > span)
			span = before->a[i].end;
	span = 2u * ((span + KR_ALIGN_MIN - 1u) / KR_ALIGN_MIN * KR_ALIGN_MIN);
	align = r->max_align > align ? r->max_align : align;
	start = span < i386->vmalloc_end ? (i386->vmalloc_end - span) / align * align : 0;
	cfg.vmalloc_size = (uint32_t)(i386->vmalloc_end - start);
	if (!start || vl_boot(&cfg)) {
		snprintf(s->err, s->errlen, "%s: its VMALLOC span of %llu bytes (aligned to %llu) "
			 "does not fit the 32-bit i386 window", s->dir, (unsigned long long)span,
			 (unsigned long long)align);
		return -EINVAL;
	}
	s->res->window_start = vl.layout->vmalloc_start;
	s->res->window_size = vl.layout->vmalloc_end - vl.layout->vmalloc_start;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct vl_kc_area *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The first of @a[0..@n), sorted by start, that starts at or above @start. */
static uint32_t lower_bound(const struct vl_kc_area *a, uint32_t n, uint64_t start)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2u;

		if (a[mid].start < start)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The area of sorted @a[0..@n) starting at @start, or NULL; an unpurged
 * one before a busy one (a snapshot read while the area was freed may list
 * both, the lazy lists being read last).
 */
static struct vl_kc_area *area_at(struct vl_kc_area *a, uint32_t n, uint64_t start)
{
	struct vl_kc_area *found = NULL;

	for (uint32_t i = lower_bound(a, n, start); i < n && a[i].start == start; i++)
		if (!found || a[i].unpurged)
			found = &a[i];
	return found;
}

/* Snapshot areas beyond the window are left out, like other ranges'. */
static bool in_window(const struct kr_state *s, const struct vl_kc_area *a)
{
	return a->end <= s->res->window_size;
}

/*
 * 6.9+ /proc/vmallocinfo lists the lazily freed areas last, node after
 * node, each node's in address order: a fall in address starts the next
 * node, which is the node that allocated them and whose pools they will
 * refill.  Busy areas do not say theirs: CPU 0's node.
 */
static uint32_t lazy_node(const struct vl_kc_area *a, uint64_t *prev, uint32_t *node,
			  uint32_t nodes)
{
	if (a->start < *prev && *node + 1u < nodes)
		(*node)++;
	*prev = a->start;
	return *node;
}

/* Busy areas claimed where they are, "unpurged" ones claimed and freed. */
static void place_before(struct kr_state *s, const struct kr_areas *before)
{
	struct vl_kr_result *res = s->res;
	uint64_t prev = 0;
	uint32_t node = 0;

	res->before_outside = before->outside;
	for (uint32_t i = 0; i < before->n; i++) {
		const struct vl_kc_area *a = &before->a[i];
		uint32_t size = (uint32_t)(a->end - a->start);
		struct vm_struct *vm;

		if (!in_window(s, a)) {
			res->before_outside++;
			continue;
		}
		vl_set_cpu(a->unpurged ? lazy_node(a, &prev, &node, res->cpus) : 0u);
		vm = vl_vm_area_claim(size - PAGE_SIZE, res->window_start + (uint32_t)a->start);
		if (!vm) {
			res->before_unplaced++;
		} else if (a->unpurged) {
			free(remove_vm_area(vm->addr));
			res->before_lazy++;
		} else {
			res->before_busy++;
		}
	}
}

/* ---- the events -------------------------------------------------------- */

static bool in_range(const struct kr_state *s, uint64_t addr)
{
	return addr >= s->res->vstart && addr - s->res->vstart < s->res->window_size;
}

static vaddr_t model_addr(const struct kr_state *s, uint64_t addr)
{
	return s->res->window_start + (uint32_t)(addr - s->res->vstart);
}

static void csv_row(const struct kr_state *s, const struct vl_kc_file *kf, const char *event,
		    const struct vl_kc_event *ev, const char *kernel, const char *model, bool match)
{
	if (s->csv)
		fprintf(s->csv, "%u,%s,%u,%s,%s,%d\n", kf->lineno, event, ev->cpu, kernel,
			model, match);
}


/* @addr, @size (bytes, guard included) held as a phantom; best effort. */
static void hold_phantom(struct kr_state *s, vaddr_t addr, uint32_t size)
{
	struct vm_struct *vm;

	if (!grow((void **)&s->phantom, s->nphantom, &s->phantom_cap, sizeof(*s->phantom)))
		return;
	vm = vl_vm_area_claim(size - PAGE_SIZE, addr);
	if (vm) {
		s->phantom[s->nphantom++].vm = vm;
		s->res->phantoms++;
	}
}

/* The phantoms over [@start, @end) given back: the kernel has used the space. */
static bool release_phantoms(struct kr_state *s, vaddr_t start, vaddr_t end)
{
	bool any = false;

	for (uint32_t i = 0; i < s->nphantom; i++) {
		struct vm_struct *vm = s->phantom[i].vm;

		if (vm->addr < end && vm->addr + vm->size > start) {
			vl_vm_area_undo(vm);
			s->phantom[i--] = s->phantom[--s->nphantom];
			any = true;
		}
	}
	return any;
}

static bool is_phantom(const struct kr_state *s, const struct vm_struct *vm)
{
	for (uint32_t i = 0; i < s->nphantom; i++)
		if (s->phantom[i].vm == vm)
			return true;
	return false;
}

static int remember_lost(struct kr_state *s, uint64_t addr)
{
	if (!grow((void **)&s->lost, s->nlost, &s->lost_cap, sizeof(*s->lost)))
		return -ENOMEM;
	s->lost[s->nlost++] = addr;
	return 1;
}

/* The kernel's choice claimed in the model, phantoms in its way given back. */
static bool claim(struct kr_state *s, const struct vl_kc_event *ev)
{
	uint32_t size = (uint32_t)ev->size;
	vaddr_t addr = model_addr(s, ev->addr);

	return size > PAGE_SIZE && (vl_vm_area_claim(size - PAGE_SIZE, addr) ||
				    (release_phantoms(s, addr, addr + size) &&
				     vl_vm_area_claim(size - PAGE_SIZE, addr)));
}

/*
 * The next purge, run now when its event is at most KR_PURGE_AHEAD lines
 * ahead of @line.  The kernel records a purge when it has finished: an
 * allocation from the space it gave back may come first in the trace.
 */
static bool purge_early(struct kr_state *s, uint32_t line)
{
	while (s->next_purge < s->npurge && s->purge_line[s->next_purge] <= line)
		s->next_purge++;
	if (s->early || s->next_purge == s->npurge ||
	    s->purge_line[s->next_purge] - line > KR_PURGE_AHEAD)
		return false;
	s->early_n = purge_vmap_area_lazy();
	s->early_rec = vmap_last_purge;
	s->early = true;
	s->res->early_purges++;
	return true;
}

/*
 * The kernel's choice applied, after the next purge if it is recorded
 * late; an area the model cannot place is lost.
 */
static int apply_choice(struct kr_state *s, const struct vl_kc_event *ev, uint32_t line)
{
	if (claim(s, ev) || (purge_early(s, line) && claim(s, ev)))
		return 1;
	s->res->diverged++;
	return remember_lost(s, ev->addr);
}

static int do_alloc(struct kr_state *s, const struct vl_kc_event *ev,
		    const struct vl_kc_file *kf)
{
	struct vl_kr_result *res = s->res;
	struct vm_struct *vm = NULL;
	char k[24], m[24];
	bool hit;

	if (ev->failed) {
		res->allocs_failed++;
		return 1;
	}
	if (ev->vstart != res->vstart || ev->vend != res->vend || !in_range(s, ev->addr) ||
	    ev->size > res->window_size) {
		res->foreign++;
		return 1;
	}
	vl_set_cpu(ev->cpu);
	if (ev->size > PAGE_SIZE)
		vm = __get_vm_area_node((uint32_t)ev->size - PAGE_SIZE, (uint32_t)ev->align,
					VM_ALLOC, vl.layout->vmalloc_start, vl.layout->vmalloc_end);
	hit = vm && vm->addr == model_addr(s, ev->addr);
	res->allocs++;
	res->hits += hit;
	res->allocs_after += s->purged;
	res->hits_after += hit && s->purged;
	snprintf(k, sizeof(k), "+0x%08x", (uint32_t)(ev->addr - res->vstart));
	snprintf(m, sizeof(m), vm ? "+0x%08x" : "none", vm ? vm->addr - res->window_start : 0u);
	csv_row(s, kf, "alloc", ev, k, m, hit);
	if (hit)
		return 1;
	if (vm) {
		vaddr_t addr = vm->addr;
		uint32_t size = vm->size;

		vl_vm_area_undo(vm);
		if (addr < model_addr(s, ev->addr))
			hold_phantom(s, addr, size);
	}
	return apply_choice(s, ev, kf->lineno);
}

/* A free of an area the model lost is counted; of one never seen, an error. */
static int free_unknown(struct kr_state *s, const struct vl_kc_event *ev,
			const struct vl_kc_file *kf)
{
	for (uint32_t i = 0; i < s->nlost; i++)
		if (s->lost[i] == ev->addr) {
			s->lost[i] = s->lost[--s->nlost];
			s->res->lost_frees++;
			return 1;
		}
	snprintf(s->err, s->errlen, "%s:%u:%u: free of 0x%llx, which is not allocated",
		 kf->name, kf->lineno, ev->addr_col, (unsigned long long)ev->addr);
	return -EINVAL;
}

static int do_free(struct kr_state *s, const struct vl_kc_event *ev,
		   const struct vl_kc_file *kf)
{
	struct vl_kr_result *res = s->res;
	struct vm_struct *vm;
	char k[24], m[24];
	bool match;

	if (!in_range(s, ev->addr)) {
		res->foreign++;
		return 1;
	}
	vl_set_cpu(ev->cpu);
	vm = remove_vm_area(model_addr(s, ev->addr));
	if (!vm)
		return free_unknown(s, ev, kf);
	free(vm);
	match = vmap_lazy_nr == ev->nr;
	res->frees++;
	res->nr_lazy_ok += match;
	if (!match && !res->first_lazy_miss) {
		res->first_lazy_miss = kf->lineno;
		res->first_lazy_kernel = ev->nr;
		res->first_lazy_model = vmap_lazy_nr;
	}
	snprintf(k, sizeof(k), "%llu", (unsigned long long)ev->nr);
	snprintf(m, sizeof(m), "%u", vmap_lazy_nr);
	csv_row(s, kf, "free", ev, k, m, match);
	return 1;
}

static int do_purge(struct kr_state *s, const struct vl_kc_event *ev,
		    const struct vl_kc_file *kf)
{
	uint32_t n = s->early ? s->early_n : purge_vmap_area_lazy();
	const struct vmap_purge_record *p = s->early ? &s->early_rec : &vmap_last_purge;
	uint32_t base = s->res->window_start;
	uint64_t ks = ev->addr - s->res->vstart, ke = ev->end - s->res->vstart;
	char k[48], m[48];
	bool match = n == ev->nr &&
		(!n || (ks == (uint64_t)(p->start - base) && ke == (uint64_t)(p->end - base)));

	s->res->purges++;
	s->res->purges_ok += match;
	s->purged = true;
	s->early = false;
	snprintf(k, sizeof(k), "%llu +0x%08llx-+0x%08llx", (unsigned long long)ev->nr,
		 (unsigned long long)(uint32_t)ks, (unsigned long long)(uint32_t)ke);
	snprintf(m, sizeof(m), n ? "%u +0x%08x-+0x%08x" : "%u", n, p->start - base,
		 p->end - base);
	csv_row(s, kf, "purge", ev, k, m, match);
	return 1;
}

static uint32_t check_line;

static int check_now(struct kr_state *s, const char *where, uint32_t line)
{
	const char *why = vl_check_all();

	if (!why)
		return 1;
	snprintf(s->err, s->errlen, "%s:%u: invariant violated: %s", where, line, why);
	return 3;
}

/*
 * An event read with the "before" snapshot that the snapshot already
 * shows: an allocation of an area it lists (busy, or unpurged when freed
 * too), a free of an area it lists as unpurged.
 */
static bool seen_before(struct kr_state *s, const struct vl_kc_event *ev)
{
	const struct vl_kc_area *a;

	if (ev->type == KC_PURGE || (ev->type == KC_ALLOC && ev->failed) ||
	    !in_range(s, ev->addr))
		return false;
	a = area_at(s->before.a, s->before.n, ev->addr - s->res->vstart);
	if (!a)
		return false;
	return ev->type == KC_ALLOC ? a->end - a->start == ev->size : a->unpurged;
}

/* An allocation or free read with the "after" snapshot, kept for the end. */
static int note_late(struct kr_state *s, const struct vl_kc_event *ev)
{
	uint64_t off = ev->addr - s->res->vstart;

	s->res->in_after++;
	if (ev->type == KC_PURGE || (ev->type == KC_ALLOC && ev->failed) ||
	    !in_range(s, ev->addr))
		return 1;
	if (!grow((void **)&s->late, s->nlate, &s->late_cap, sizeof(*s->late)))
		return -ENOMEM;
	s->late[s->nlate++] = (struct kr_late){ off, ev->type == KC_ALLOC ? off + ev->size : 0 };
	return 1;
}

/*
 * Where the event stands against the markers: 0 when it is left out
 * (outside them, or already in the before snapshot), 1 to replay it,
 * -ENOMEM.
 */
static int by_phase(struct kr_state *s, const struct vl_kc_event *ev)
{
	struct vl_kr_result *res = s->res;
	bool seen;

	switch (s->phase) {
	case KR_PRE:
		res->ignored_before++;
		return 0;
	case KR_POST:
		res->ignored_after++;
		return 0;
	case KR_IN_BEFORE:
		seen = seen_before(s, ev);
		res->in_before++;
		res->before_seen += seen;
		return !seen;
	case KR_IN_AFTER:
		return note_late(s, ev);
	default:
		return 1;
	}
}

static int replay_event(struct kr_state *s, const struct vl_kc_event *ev,
			const struct vl_kc_file *kf)
{
	static int (*const run[])(struct kr_state *, const struct vl_kc_event *,
				  const struct vl_kc_file *) = {
		[KC_ALLOC] = do_alloc, [KC_FREE] = do_free, [KC_PURGE] = do_purge,
	};
	int r;

	check_line = kf->lineno;
	if (ev->type == KC_MARK) {
		if (ev->mark != KC_MARK_OTHER)
			s->phase = (enum kr_phase)(ev->mark + 1u);
		return 1;
	}
	r = by_phase(s, ev);
	if (r != 1)
		return r < 0 ? r : 1;
	r = run[ev->type](s, ev, kf);
	if (r == 1 && s->check && ++s->events % KR_CHECK_EVERY == 0)
		r = check_now(s, kf->name, kf->lineno);
	return r;
}

/* ---- the final state --------------------------------------------------- */

/*
 * The model's busy and lazily freed areas, as offsets, sorted, with room
 * for @extra more.
 */
static struct vl_kc_area *model_areas(const struct kr_state *s, uint32_t extra, uint32_t *n)
{
	uint32_t count = 0, base = s->res->window_start;
	struct vl_kc_area *all;

	for (const struct vm_struct *vm = vl_vm_first(); vm; vm = vl_vm_next(vm))
		count++;
	for (const struct vmap_area *va = vmap_purge_list; va; va = va->purge_next)
		count++;
	all = malloc((count + extra + 1u) * sizeof(*all));
	if (!all)
		return NULL;
	*n = 0;
	for (const struct vm_struct *vm = vl_vm_first(); vm; vm = vl_vm_next(vm))
		if (!is_phantom(s, vm))
			all[(*n)++] = (struct vl_kc_area){ vm->addr - base, vm->addr + vm->size - base,
						   false, 0 };
	for (const struct vmap_area *va = vmap_purge_list; va; va = va->purge_next)
		all[(*n)++] = (struct vl_kc_area){ va->va_start - base, va->va_end - base, true, 0 };
	qsort(all, *n, sizeof(*all), by_start);
	return all;
}

static void note_diff(struct vl_kr_result *res, const struct vl_kc_area *a, bool in_model)
{
	if (res->ndiff < VL_KR_DIFF_MAX)
		res->diff[res->ndiff++] = (struct vl_kr_diff){ (uint32_t)a->start,
			(uint32_t)(a->end - a->start), a->unpurged, in_model, a->line };
	res->final_n++;
}

/*
 * The model's final state as the "after" snapshot saw it (@model sorted,
 * room for s->nlate more): an area allocated while it was read that it
 * does not list is dropped (left empty, then removed), an area freed
 * meanwhile that it still lists busy is busy again.
 */
static void as_seen_after(struct kr_state *s, struct kr_areas *after,
			  struct vl_kc_area *model, uint32_t *nm)
{
	uint32_t n = *nm, sorted = *nm;

	for (uint32_t i = 0; i < s->nlate; i++) {
		const struct kr_late *l = &s->late[i];
		const struct vl_kc_area *a = area_at(after->a, after->n, l->start);
		struct vl_kc_area *m;

		if (l->end && (!a || a->end != l->end)) {
			for (uint32_t j = lower_bound(model, sorted, l->start);
			     j < sorted && model[j].start == l->start; j++)
				model[j].end = model[j].end == l->end ? l->start : model[j].end;
			s->res->after_unseen++;
		} else if (!l->end && a && !a->unpurged) {
			m = area_at(model, sorted, l->start);
			if (m)
				m->unpurged = false;
			else
				model[n++] = (struct vl_kc_area){ a->start, a->end, false, 0 };
			s->res->after_unseen++;
		}
	}
	*nm = 0;
	for (uint32_t j = 0; j < n; j++)
		if (model[j].end != model[j].start)
			model[(*nm)++] = model[j];
	qsort(model, *nm, sizeof(*model), by_start);
}

/* Both sorted by start: one merge; an area matches on start, end and kind. */
static void compare_final(struct kr_state *s, struct kr_areas *after,
			  const struct vl_kc_area *model, uint32_t nm)
{
	struct vl_kr_result *res = s->res;
	uint32_t i = 0, j = 0;

	res->after_outside = after->outside;
	while (i < after->n || j < nm) {
		const struct vl_kc_area *a = i < after->n ? &after->a[i] : NULL;
		const struct vl_kc_area *m = j < nm ? &model[j] : NULL;

		if (a && !in_window(s, a)) {
			res->after_outside++;
			i++;
		} else if (a && m && a->start == m->start && a->end == m->end &&
			   a->unpurged == m->unpurged) {
			res->final_ok++;
			res->final_n++;
			i++;
			j++;
		} else if (a && (!m || a->start <= m->start)) {
			note_diff(res, a, false);
			i++;
		} else {
			note_diff(res, m, true);
			j++;
		}
	}
}

/* ---- the whole replay -------------------------------------------------- */

static jmp_buf *bug_jump;
static char bug_msg[256];

static void kr_bug_handler(const char *msg)
{
	snprintf(bug_msg, sizeof(bug_msg), "%s", msg);
	longjmp(*bug_jump, 1);
}

/* On the booted machine: the initial state, the events, the end. */
static int run_booted(struct kr_state *s, struct kr_areas *before)
{
	struct kr_areas after;
	struct vl_kc_area *model;
	uint32_t nm;
	int r;

	place_before(s, before);
	qsort(before->a, before->n, sizeof(*before->a), by_start);
	s->before = *before;
	s->phase = s->res->markers ? KR_PRE : KR_BETWEEN;
	r = each_event(s, replay_event);
	if (!r && s->check)
		r = check_now(s, "end of trace", check_line) == 1 ? 0 : 3;
	if (r)
		return r;
	s->res->phantoms_left = s->nphantom;
	r = read_snapshot(s, "vmallocinfo.after", &after);
	if (r)
		return r;
	qsort(after.a, after.n, sizeof(*after.a), by_start);
	model = model_areas(s, s->nlate, &nm);
	if (model) {
		as_seen_after(s, &after, model, &nm);
		compare_final(s, &after, model, nm);
	}
	free(model);
	free(after.a);
	return model ? 0 : -ENOMEM;
}

static int run_guarded(struct kr_state *s, struct kr_areas *before)
{
	jmp_buf here;
	vl_bug_handler_t old = vl_set_bug_handler(kr_bug_handler);
	volatile int r = 3;

	bug_jump = &here;
	if (setjmp(here) == 0)
		r = run_booted(s, before);
	else
		snprintf(s->err, s->errlen, "trace line %u: kernel BUG: %s", check_line, bug_msg);
	vl_set_bug_handler(old);
	bug_jump = NULL;
	return r;
}

/* The first pass, the initial state and the window: 0 or an error. */
static int prepare(struct kr_state *s, enum vl_vmalloc_gen gen, struct kr_areas *before)
{
	const struct kr_range *r;
	int rc;

	if ((rc = read_machine(s)) || (rc = each_event(s, NULL)))
		return rc;
	r = main_range(s);
	if (!r) {
		snprintf(s->err, s->errlen, "%s: no successful alloc_vmap_area event: the "
			 "VMALLOC range is unknown", s->dir);
		return -EINVAL;
	}
	s->res->cpus = s->res->cpus ? s->res->cpus : s->max_cpu + 1u;
	s->res->vstart = r->vstart;
	s->res->vend = r->vend;
	if ((rc = read_snapshot(s, "vmallocinfo.before", before)))
		return rc;
	return boot_window(s, r, before, gen);
}

int vl_kernel_replay(const char *dir, enum vl_vmalloc_gen gen, bool check,
		     FILE *csv, struct vl_kr_result *res, char *err, size_t errlen)
{
	struct kr_state s = { .dir = dir, .res = res, .csv = csv, .check = check,
			      .err = err, .errlen = errlen };
	struct kr_areas before = { 0 };
	int rc;

	memset(res, 0, sizeof(*res));
	check_line = 0;
	rc = prepare(&s, gen, &before);
	if (!rc) {
		if (csv)
			fprintf(csv, "line,event,cpu,kernel,model,match\n");
		rc = run_guarded(&s, &before);
		vl_shutdown();
	}
	free(before.a);
	free(s.lost);
	free(s.phantom);
	free(s.late);
	free(s.purge_line);
	return rc;
}

/* ---- the summary ------------------------------------------------------- */

static void print_diffs(const struct vl_kr_result *res, FILE *out)
{
	for (uint32_t i = 0; i < res->ndiff; i++) {
		const struct vl_kr_diff *d = &res->diff[i];

		fprintf(out, "  +0x%08x %9u %-8s only in the %s", d->off, d->size,
			d->unpurged ? "unpurged" : "busy", d->in_model ? "model" : "after snapshot");
		if (d->line)
			fprintf(out, " (line %u)", d->line);
		fputc('\n', out);
	}
	if (res->final_n - res->final_ok > res->ndiff)
		fprintf(out, "  ... and %u more\n", res->final_n - res->final_ok - res->ndiff);
}

void vl_kr_print(const struct vl_kr_result *res, const char *gen_name, FILE *out)
{
	fprintf(out, "capture: VMALLOC 0x%016llx-0x%016llx, %u CPUs; replayed at offset 0 = "
		"0x%08x, a %u KiB window; generation %s\n", (unsigned long long)res->vstart,
		(unsigned long long)res->vend, res->cpus, res->window_start,
		res->window_size >> 10, gen_name);
	if (res->events_lost)
		fprintf(out, "warning: the trace lost events (entries-in-buffer < entries-written)\n");
	fprintf(out, "before: %u busy and %u lazily freed areas placed, %u could not be, "
		"%u outside the range or window\n", res->before_busy, res->before_lazy,
		res->before_unplaced, res->before_outside);
	if (res->markers)
		fprintf(out, "markers: %u events before the before snapshot and %u after the after "
			"one left out; %u of the %u read with the before snapshot already in it, "
			"%u of the %u read with the after snapshot not yet in it\n",
			res->ignored_before, res->ignored_after, res->before_seen, res->in_before,
			res->after_unseen, res->in_after);
	fprintf(out, "nr_lazy: %u/%u frees agree", res->nr_lazy_ok, res->frees);
	if (res->first_lazy_miss)
		fprintf(out, "; the first that does not: trace line %u, kernel %llu, model %llu",
			res->first_lazy_miss, (unsigned long long)res->first_lazy_kernel,
			(unsigned long long)res->first_lazy_model);
	fprintf(out, "\npurges: %u/%u agree on num_purged, start and end", res->purges_ok,
		res->purges);
	if (res->early_purges)
		fprintf(out, "; %u run ahead of their event, for an allocation the kernel made "
			"from the purged space first", res->early_purges);
	fputc('\n', out);
	fprintf(out, "addresses: %u/%u predicted; before the first purge %u/%u, after it %u/%u\n",
		res->hits, res->allocs, res->hits - res->hits_after,
		res->allocs - res->allocs_after, res->hits_after, res->allocs_after);
	fprintf(out, "left out: %u failed allocations, %u events outside the range, %u kernel "
		"choices the model could not apply (%u of them freed later), %u \"after\" lines "
		"outside the range or window\n", res->allocs_failed, res->foreign, res->diverged,
		res->lost_frees, res->after_outside);
	fprintf(out, "phantoms: %u free areas the kernel passed over held busy (hidden in its "
		"pools), %u still held at the end\n", res->phantoms, res->phantoms_left);
	fprintf(out, "final: %u/%u areas agree with the after snapshot\n", res->final_ok,
		res->final_n);
	print_diffs(res, out);
	fprintf(out, "kernel-replay: nr_lazy %u/%u, purges %u/%u, final %u/%u, addresses %u/%u, "
		"after first purge %u/%u\n", res->nr_lazy_ok, res->frees, res->purges_ok,
		res->purges, res->final_ok, res->final_n, res->hits, res->allocs, res->hits_after,
		res->allocs_after);
}
