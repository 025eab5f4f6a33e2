/*
 * Fuzz input decoder and its executor (see decode.h).  Every operation it
 * proposes is legal for the machine's current state, so a BUG, a wrong
 * read or an invariant violation while running one is a real finding.
 * The executor binds names exactly as the trace executor does, so the
 * printed trace replays the same way.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "fixmap.h"
#include "highmem.h"
#include "physmem.h"

/* Opcodes; each target uses a subset. */
enum dcode {
	D_PAGE, D_FREE_PAGE, D_KMAP, D_KUNMAP, D_ACCESS, D_BULK,
	D_KMAP_ATOMIC, D_KUNMAP_ATOMIC, D_KMAP_ATOMIC_PFN, D_ATOMIC_TO_PAGE,
	D_FIX_TO_VIRT, D_VIRT_TO_FIX, D_SET_FIXMAP, D_CLEAR_FIXMAP,
	D_VMALLOC, D_GET_VM_AREA, D_VFREE, D_VMAP, D_VUNMAP, D_FAIL_ALLOC,
};
#define D_PROBE_FIRST 0xF8u

static const uint8_t pkmap_ops[] = {
	D_PAGE, D_FREE_PAGE, D_KMAP, D_KUNMAP, D_ACCESS, D_BULK, D_FAIL_ALLOC,
};
static const uint8_t fixmap_ops[] = {
	D_PAGE, D_FREE_PAGE, D_ACCESS, D_KMAP_ATOMIC, D_KUNMAP_ATOMIC,
	D_KMAP_ATOMIC_PFN, D_ATOMIC_TO_PAGE, D_FIX_TO_VIRT, D_VIRT_TO_FIX,
	D_SET_FIXMAP, D_CLEAR_FIXMAP,
};
static const uint8_t vmalloc_ops[] = {
	D_PAGE, D_FREE_PAGE, D_ACCESS, D_VMALLOC, D_GET_VM_AREA, D_VFREE,
	D_VMAP, D_VUNMAP, D_FAIL_ALLOC,
};
static const uint8_t mixed_ops[] = {
	D_PAGE, D_FREE_PAGE, D_KMAP, D_KUNMAP, D_ACCESS, D_BULK,
	D_KMAP_ATOMIC, D_KUNMAP_ATOMIC, D_KMAP_ATOMIC_PFN, D_ATOMIC_TO_PAGE,
	D_FIX_TO_VIRT, D_VIRT_TO_FIX, D_SET_FIXMAP, D_CLEAR_FIXMAP,
	D_VMALLOC, D_GET_VM_AREA, D_VFREE, D_VMAP, D_VUNMAP, D_FAIL_ALLOC,
};

static const struct profile {
	const char *name;
	const uint8_t *ops;
	uint32_t n;
} profiles[] = {
	[VL_DT_PKMAP] = { "pkmap", pkmap_ops, sizeof(pkmap_ops) },
	[VL_DT_FIXMAP] = { "fixmap", fixmap_ops, sizeof(fixmap_ops) },
	[VL_DT_VMALLOC] = { "vmalloc", vmalloc_ops, sizeof(vmalloc_ops) },
	[VL_DT_MIXED] = { "mixed", mixed_ops, sizeof(mixed_ops) },
};

int vl_decode_target(const char *name)
{
	for (int t = 0; t <= VL_DT_MIXED; t++)
		if (strcmp(profiles[t].name, name) == 0)
			return t;
	return -1;
}

/*
 * Pattern k (k >= 1) is byte pat_val(k) at offset pat_off(k): the pair is
 * unique for k < 509 * 255, so a frame read through a wrong mapping
 * cannot show the pattern it should.
 */
static uint32_t pat_off(uint32_t k) { return (k % 509u) * 8u; }
static uint32_t pat_val(uint32_t k) { return 1u + (k / 509u) % 255u; }

/* ---- BUG capture ---- */

static _Thread_local jmp_buf *bug_jump;
static _Thread_local struct vl_decoder *bug_dec;
static vl_bug_handler_t saved_handler;

static void decode_bug_handler(const char *msg)
{
	snprintf(bug_dec->bug, sizeof(bug_dec->bug), "%s", msg);
	longjmp(*bug_jump, 1);
}

/* ---- state queries ---- */

static uint8_t take(struct vl_decoder *d)
{
	return d->pos < d->len ? d->data[d->pos++] : 0;
}

static vaddr_t atomic_va(uint32_t cpu, uint32_t km)
{
	return __fix_to_virt(vl.layout->fix_kmap_begin + km + KM_TYPE_NR * cpu);
}

static bool in_pkmap(vaddr_t va)
{
	return va >= vl.layout->pkmap_base && PKMAP_NR(va) < LAST_PKMAP;
}

static bool is_page(const struct vl_dobj *o)
{
	return o->live && !o->is_area;
}

static bool is_high(const struct vl_dobj *o)
{
	return PageHighMem(o->page);
}

/* The page's last mapping still maps it, as the trace executor sees it. */
static bool mapping_valid(const struct vl_decoder *d, const struct vl_dobj *o)
{
	uint32_t self = (uint32_t)(o - d->obj) + 1;

	if (!is_page(o) || !o->addr || !o->pat)
		return false;
	if (!is_high(o) && o->addr == lowmem_page_address(o->page))
		return true;
	if (in_pkmap(o->addr))
		return o->kmaps > 0;
	for (uint32_t km = 0; km < KM_TYPE_NR; km++)
		if (atomic_va(o->cpu, km) == o->addr)
			return d->atomic_owner[o->cpu][km] == self;
	return false;
}

/* A PKMAP slot still holds the page: the slot of its last kmap, as long
 * as no later kmap took the slot over and no flush emptied it. */
static bool pkmap_holds(const struct vl_decoder *d, const struct vl_dobj *o)
{
	return o->slot && d->slot_owner[o->slot - 1] == (uint32_t)(o - d->obj) + 1 &&
	       pkmap_count[o->slot - 1] >= 1;
}

/* Free-able: nothing maps it, not even a count-1 PKMAP slot. */
static bool freeable(const struct vl_decoder *d, const struct vl_dobj *o)
{
	return is_page(o) && !o->kmaps && !o->pins && !pkmap_holds(d, o);
}

static bool kmapped(const struct vl_decoder *d, const struct vl_dobj *o)
{
	(void)d;
	return is_page(o) && o->kmaps;
}

static bool live_page(const struct vl_decoder *d, const struct vl_dobj *o)
{
	(void)d;
	return is_page(o);
}

static bool high_unkmapped(const struct vl_decoder *d, const struct vl_dobj *o)
{
	(void)d;
	return is_page(o) && is_high(o) && !o->kmaps;
}

static bool vfreeable(const struct vl_decoder *d, const struct vl_dobj *o)
{
	(void)d;
	return o->live && o->is_area && o->area_kind != VL_AREA_VMAP;
}

static bool vmapped(const struct vl_decoder *d, const struct vl_dobj *o)
{
	(void)d;
	return o->live && o->is_area && o->area_kind == VL_AREA_VMAP;
}

static bool accessible(const struct vl_decoder *d, const struct vl_dobj *o)
{
	if (o->live && o->is_area)
		return o->npages > 0;
	return mapping_valid(d, o);
}

/* Bind or unbind object @oi; the live list stays in object order. */
static void set_live(struct vl_decoder *d, uint32_t oi, bool live)
{
	uint32_t i = d->nlive;

	if (d->obj[oi].live == live)
		return;
	d->obj[oi].live = live;
	/* from the end: new objects, the usual case, go last */
	while (i && d->live[i - 1] > oi)
		i--;
	if (live) {
		memmove(&d->live[i + 1], &d->live[i], (d->nlive - i) * sizeof(*d->live));
		d->live[i] = oi;
		d->nlive++;
	} else {  /* d->live[i - 1] is @oi */
		memmove(&d->live[i - 1], &d->live[i], (d->nlive - i) * sizeof(*d->live));
		d->nlive--;
	}
}

/* The @arg-th (modulo) object that @ok accepts; -1 if none.  Every
 * predicate wants a live object, so only those are asked. */
static int pick(const struct vl_decoder *d,
		bool (*ok)(const struct vl_decoder *, const struct vl_dobj *),
		uint32_t arg)
{
	uint32_t cand[VL_DECODE_MAX_OBJS], n = 0;

	for (uint32_t i = 0; i < d->nlive; i++)
		if (ok(d, &d->obj[d->live[i]]))
			cand[n++] = d->live[i];
	return n ? (int)cand[arg % n] : -1;
}

/* Room for one more object: the arrays double up to VL_DECODE_MAX_OBJS,
 * so a short input allocates little. */
static bool grow_objs(struct vl_decoder *d)
{
	uint32_t cap = 2 * d->cap;
	struct vl_dobj *obj;
	uint32_t *live;

	if (d->cap == VL_DECODE_MAX_OBJS)
		return false;
	if ((obj = realloc(d->obj, cap * sizeof(*obj))))
		d->obj = obj;
	if ((live = realloc(d->live, cap * sizeof(*live))))
		d->live = live;
	if (!obj || !live)
		return false;
	d->cap = cap;
	return true;
}

static int new_obj(struct vl_decoder *d, bool is_area)
{
	if (d->nobj == d->cap && !grow_objs(d))
		return -1;
	d->obj[d->nobj] = (struct vl_dobj){ .name = d->nobj, .is_area = is_area };
	return (int)d->nobj++;
}

/* Fixed slots outside FIX_KMAP_BEGIN..FIX_KMAP_END: set_fixmap's to use. */
static uint32_t plain_fix(uint32_t nth)
{
	const struct vl_layout *l = vl.layout;
	uint32_t n = 0, end = l->end_of_fixed < VL_DECODE_FIX_MAX ? l->end_of_fixed
								    : VL_DECODE_FIX_MAX;

	for (uint32_t idx = 0; idx < end; idx++)
		n += idx < l->fix_kmap_begin || idx > FIX_KMAP_END(l);
	nth %= n;
	for (uint32_t idx = 0;; idx++)
		if ((idx < l->fix_kmap_begin || idx > FIX_KMAP_END(l)) && nth-- == 0)
			return idx;
}

/*
 * The operation queue: follow-ups go first.  It never holds more than one
 * planned operation and its follow-ups (at most VL_DECODE_MAX_VMAP), so a
 * full queue is a decoder bug, and dropping an operation would make the
 * trace lie: abort.
 */
static void push_back(struct vl_decoder *d, const struct vl_dop *op)
{
	if (d->qlen == VL_DECODE_QUEUE)
		abort();
	d->queue[(d->qhead + d->qlen++) % VL_DECODE_QUEUE] = *op;
}

static void push_front(struct vl_decoder *d, const struct vl_dop *op)
{
	if (d->qlen == VL_DECODE_QUEUE)
		abort();
	d->qhead = (d->qhead + VL_DECODE_QUEUE - 1) % VL_DECODE_QUEUE;
	d->queue[d->qhead] = *op;
	d->qlen++;
}

static void push(struct vl_decoder *d, enum vl_op_kind kind, uint32_t obj)
{
	push_back(d, &(struct vl_dop){ .kind = kind, .obj = obj });
}

/* @kind on the object an argument byte picks among those @ok accepts. */
static void push_pick(struct vl_decoder *d, enum vl_op_kind kind,
		      bool (*ok)(const struct vl_decoder *, const struct vl_dobj *))
{
	int oi = pick(d, ok, take(d));

	if (oi >= 0)
		push(d, kind, (uint32_t)oi);
}

/* Write the page's pattern through its new mapping, or check it. */
static struct vl_dop pattern_op(struct vl_decoder *d, uint32_t oi, uint32_t base,
				uint32_t *pat, uint32_t cpu)
{
	bool fresh = !*pat;

	if (fresh)
		*pat = ++d->next_pat;
	return (struct vl_dop){ .kind = fresh ? OP_WRITE : OP_EXPECT, .obj = oi,
				.num = base + pat_off(*pat), .byte = pat_val(*pat),
				.cpu = cpu };
}

static void follow_page(struct vl_decoder *d, uint32_t oi, uint32_t cpu)
{
	struct vl_dop op = pattern_op(d, oi, 0, &d->obj[oi].pat, cpu);

	push_front(d, &op);
}

/* vmalloc areas keep patterns in pages 0, 1, 2 and the last one. */
static uint32_t area_patterned(const struct vl_dobj *a)
{
	return a->npages < 4 ? a->npages : 4;
}

static uint32_t area_page(const struct vl_dobj *a, uint32_t rank)
{
	return rank < 3 ? rank : a->npages - 1;
}

/* ---- decoding one opcode into queued operations ---- */

static void dec_page(struct vl_decoder *d, bool high)
{
	int oi = new_obj(d, false);

	if (oi >= 0)
		push_back(d, &(struct vl_dop){ .kind = OP_PAGE, .obj = (uint32_t)oi,
					       .flag = high });
}

/* Release the busy atomic slot (cpu, km): repoint its owner's binding
 * first when the owner was mapped elsewhere since. */
static void release_slot(struct vl_decoder *d, uint32_t cpu, uint32_t km)
{
	uint32_t oi = d->atomic_owner[cpu][km] - 1;
	const struct vl_dobj *o = &d->obj[oi];
	bool here = o->addr == atomic_va(cpu, km) && o->cpu == cpu;

	push_back(d, &(struct vl_dop){ .kind = here ? OP_KUNMAP_ATOMIC : OP_KMAP_ATOMIC_PFN,
				       .obj = oi, .km = (int)km, .cpu = cpu, .num = o->addr });
}

static void dec_atomic(struct vl_decoder *d, bool by_pfn)
{
	int oi = pick(d, live_page, take(d));
	uint32_t km = take(d) % KM_TYPE_NR, cpu = take(d) % vl.cpus;
	uint32_t owner;

	if (oi < 0)
		return;
	owner = d->atomic_owner[cpu][km];
	/* kmap_atomic over a busy slot BUGs (debug on): free the slot instead */
	if (!by_pfn && owner && is_high(&d->obj[oi])) {
		release_slot(d, cpu, km);
		return;
	}
	push_back(d, &(struct vl_dop){ .kind = by_pfn ? OP_KMAP_ATOMIC_PFN : OP_KMAP_ATOMIC,
				       .obj = (uint32_t)oi, .km = (int)km, .cpu = cpu });
}

static void dec_kunmap_atomic(struct vl_decoder *d)
{
	uint32_t arg = take(d), n = 0;

	for (uint32_t c = 0; c < vl.cpus; c++)
		for (uint32_t km = 0; km < KM_TYPE_NR; km++)
			n += d->atomic_owner[c][km] != 0;
	if (!n)
		return;
	arg %= n;
	for (uint32_t c = 0; c < vl.cpus; c++)
		for (uint32_t km = 0; km < KM_TYPE_NR; km++)
			if (d->atomic_owner[c][km] && arg-- == 0) {
				release_slot(d, c, km);
				return;
			}
}

/* An address inside the fixmap window. */
static vaddr_t fix_address(struct vl_decoder *d)
{
	const struct vl_layout *l = vl.layout;
	uint32_t window = (l->fixaddr_top - l->fixaddr_start) >> PAGE_SHIFT;
	uint32_t page = take(d) % window;

	return l->fixaddr_start + page * PAGE_SIZE + take(d) * 16u;
}

static vaddr_t probe_address(struct vl_decoder *d)
{
	const struct vl_layout *l = vl.layout;
	uint32_t kind = take(d) % 4, b, c;

	if (kind == 1)
		return fix_address(d);
	b = take(d);
	c = take(d);
	switch (kind) {
	case 0:
		return atomic_va(b % vl.cpus, b % KM_TYPE_NR) + c * 16u;
	case 2:
		return l->page_offset + (((b << 8) | c) % l->lowmem_pages) * PAGE_SIZE;
	default:
		return (uint32_t)(((uint64_t)b << 24 | (uint64_t)c << 12) % l->fixaddr_top);
	}
}

/* Sizes: mostly a few pages, sometimes odd, huge, zero or absurd. */
static uint32_t area_size(uint32_t a, uint32_t b)
{
	switch (a % 8) {
	case 5:
		return (1u + b * 4u) * PAGE_SIZE;
	case 6:
		return b > 250 ? 0xFFFFF000u + b : b * 64u * PAGE_SIZE;
	case 7:
		return b & 1 ? 0 : 1u + b * 97u;
	default:
		return (1u + b % 8u) * PAGE_SIZE - (a >> 3) * 127u;
	}
}

/*
 * A vmalloc or get_vm_area: its size, then (get_vm_area) a byte whose bit
 * 0 asks for VM_IOREMAP.  The CPU it runs on (generation 4's node) comes
 * from bits those bytes leave to spare, so inputs from before keep their
 * sizes: size bytes a, b give (a ^ b) >> 3, the ioremap byte its bits
 * 1-7.  Any CPU goes with any size: area_size() reads at most one of a's
 * and b's bits 3-7.
 */
static void dec_area(struct vl_decoder *d, bool get)
{
	uint32_t a = take(d), b = take(d), size = area_size(a, b), c = get ? take(d) : 0;
	uint32_t cpu = (((a ^ b) >> 3) + (c >> 1)) % vl.cpus;
	int oi = new_obj(d, true);

	if (oi >= 0)
		push_back(d, &(struct vl_dop){ .kind = get ? OP_GET_VM_AREA : OP_VMALLOC,
					       .obj = (uint32_t)oi, .num = size,
					       .flag = c & 1, .cpu = cpu });
}

static void dec_vmap(struct vl_decoder *d)
{
	struct vl_dop op = { .kind = OP_VMAP, .nlist = 1u + take(d) % VL_DECODE_MAX_VMAP };
	int oi;

	for (uint32_t i = 0; i < op.nlist; i++) {
		int p = pick(d, live_page, take(d));

		if (p < 0)
			return;
		op.list[i] = (uint32_t)p;
	}
	oi = new_obj(d, true);
	if (oi < 0)
		return;
	op.obj = (uint32_t)oi;
	push_back(d, &op);
}

static void dec_access(struct vl_decoder *d)
{
	int oi = pick(d, accessible, take(d));
	uint32_t rank = take(d), cpu = take(d) % vl.cpus;
	struct vl_dobj *o;
	struct vl_dop op;

	if (oi < 0)
		return;
	o = &d->obj[oi];
	if (!o->is_area) {
		if (!in_pkmap(o->addr) && o->addr != lowmem_page_address(o->page))
			cpu = o->cpu;  /* an atomic slot: only its CPU may use it */
		op = pattern_op(d, (uint32_t)oi, 0, &o->pat, cpu);
	} else if (o->area_kind == VL_AREA_VMAP) {
		rank %= o->npages;
		op = pattern_op(d, (uint32_t)oi, rank * PAGE_SIZE,
				&d->obj[o->pages[rank]].pat, cpu);
	} else {
		uint32_t pat = o->pat + rank % area_patterned(o);

		op = pattern_op(d, (uint32_t)oi,
				area_page(o, rank % area_patterned(o)) * PAGE_SIZE, &pat, cpu);
	}
	push_back(d, &op);
}

/* A busy atomic slot holding a highmem page, as a kmap_atomic over it. */
static bool busy_high_slot(const struct vl_decoder *d, struct vl_dop *op)
{
	for (uint32_t c = 0; c < vl.cpus; c++)
		for (uint32_t km = 0; km < KM_TYPE_NR; km++) {
			uint32_t owner = d->atomic_owner[c][km];

			if (owner && is_high(&d->obj[owner - 1])) {
				*op = (struct vl_dop){ .kind = OP_KMAP_ATOMIC, .obj = owner - 1,
						       .km = (int)km, .cpu = c };
				return true;
			}
		}
	return false;
}

/* A probe: one operation the kernel must BUG on; the input ends there. */
static void dec_probe(struct vl_decoder *d, uint8_t code)
{
	struct vl_dop op = { 0 };
	int oi = -1;

	d->ended = true;
	if (code % 4 == 0)  /* kunmap with no kmap held */
		oi = pick(d, high_unkmapped, take(d));
	if (oi >= 0)
		op = (struct vl_dop){ .kind = OP_KUNMAP, .obj = (uint32_t)oi };
	else if (code % 4 > 1 || !busy_high_slot(d, &op))  /* kmap_atomic over a busy slot */
		op = code & 1 ? (struct vl_dop){ .kind = OP_VIRT_TO_FIX,
						 .num = vl.layout->fixaddr_top + take(d) }
			      : (struct vl_dop){ .kind = OP_FIX_TO_VIRT,
						 .num = vl.layout->end_of_fixed + take(d) };
	op.must_bug = true;
	push_back(d, &op);
}

static void decode_one(struct vl_decoder *d)
{
	const struct profile *p = &profiles[d->target];
	uint8_t code = take(d), a;

	if (code >= D_PROBE_FIRST) {
		dec_probe(d, code);
		return;
	}
	switch (p->ops[code % p->n]) {
	case D_PAGE: dec_page(d, (take(d) & 3) != 0); break;
	case D_FREE_PAGE: push_pick(d, OP_FREE_PAGE, freeable); break;
	case D_KMAP: push_pick(d, OP_KMAP, live_page); break;
	case D_KUNMAP: push_pick(d, OP_KUNMAP, kmapped); break;
	case D_ACCESS: dec_access(d); break;
	case D_BULK:
		a = take(d);
		d->bulk_hold = a & 1;
		/* up to two trips round the PKMAP window, 508 kmaps at most */
		d->bulk_left = 1u + (a >> 1) * 4u % (2u * LAST_PKMAP);
		d->bulk_stage = 0;
		break;
	case D_KMAP_ATOMIC: dec_atomic(d, false); break;
	case D_KMAP_ATOMIC_PFN: dec_atomic(d, true); break;
	case D_KUNMAP_ATOMIC: dec_kunmap_atomic(d); break;
	case D_ATOMIC_TO_PAGE:
		push_back(d, &(struct vl_dop){ .kind = OP_KMAP_ATOMIC_TO_PAGE,
					       .num = probe_address(d) });
		break;
	case D_FIX_TO_VIRT:
		push_back(d, &(struct vl_dop){ .kind = OP_FIX_TO_VIRT,
					       .num = take(d) % vl.layout->end_of_fixed });
		break;
	case D_VIRT_TO_FIX:
		push_back(d, &(struct vl_dop){ .kind = OP_VIRT_TO_FIX, .num = fix_address(d) });
		break;
	case D_SET_FIXMAP: {
		uint32_t idx = plain_fix(take(d));
		int oi = pick(d, live_page, take(d));

		if (oi >= 0)
			push_back(d, &(struct vl_dop){ .kind = OP_SET_FIXMAP,
						       .num = idx, .obj = (uint32_t)oi });
		break;
	}
	case D_CLEAR_FIXMAP:
		push_back(d, &(struct vl_dop){ .kind = OP_CLEAR_FIXMAP, .num = plain_fix(take(d)) });
		break;
	case D_VMALLOC: dec_area(d, false); break;
	case D_GET_VM_AREA: dec_area(d, true); break;
	case D_VFREE: push_pick(d, OP_VFREE, vfreeable); break;
	case D_VMAP: dec_vmap(d); break;
	case D_VUNMAP: push_pick(d, OP_VUNMAP, vmapped); break;
	case D_FAIL_ALLOC:
		a = take(d);
		if (d->purge_ops && a >= 0xE0u)
			push_back(d, &(struct vl_dop){ .kind = OP_PURGE });
		else
			push_back(d, &(struct vl_dop){ .kind = OP_FAIL_ALLOC, .num = 1u + a % 32u });
		break;
	}
}

/* One step of a bulk run: new high page, kmap it, maybe kunmap it.  A
 * failed page or kmap (EDEADLK) ends the run. */
static void bulk_step(struct vl_decoder *d)
{
	struct vl_dobj *o = d->bulk_obj >= 0 ? &d->obj[d->bulk_obj] : NULL;
	int oi;

	switch (d->bulk_stage) {
	case 0:
		if ((oi = new_obj(d, false)) < 0) {
			d->bulk_left = 0;
			return;
		}
		d->bulk_obj = oi;
		d->bulk_stage = 1;
		push_back(d, &(struct vl_dop){ .kind = OP_PAGE, .obj = (uint32_t)oi, .flag = true });
		return;
	case 1:
		d->bulk_stage = 2;
		if (o->live)
			push(d, OP_KMAP, (uint32_t)d->bulk_obj);
		else
			d->bulk_left = 0;
		return;
	default:
		d->bulk_stage = 0;
		d->bulk_left = o->kmaps ? d->bulk_left - 1 : 0;
		if (o->kmaps && !d->bulk_hold)
			push(d, OP_KUNMAP, (uint32_t)d->bulk_obj);
		return;
	}
}

/* Teardown: the first thing still held, released. */
static bool teardown_one(struct vl_decoder *d)
{
	for (uint32_t c = 0; c < vl.cpus; c++)
		for (uint32_t km = 0; km < KM_TYPE_NR; km++)
			if (d->atomic_owner[c][km]) {
				release_slot(d, c, km);
				return true;
			}
	for (uint32_t idx = 0; idx < VL_DECODE_FIX_MAX; idx++)
		if (d->fix_owner[idx]) {
			push_back(d, &(struct vl_dop){ .kind = OP_CLEAR_FIXMAP, .num = idx });
			return true;
		}
	/* objects below td_from needed nothing; a vunmap may unpin pages */
	for (uint32_t l = 0; l < d->nlive; l++) {
		uint32_t i = d->live[l];
		const struct vl_dobj *o = &d->obj[i];

		if (i < d->td_from)
			continue;
		d->td_from = i;
		if (kmapped(d, o))
			push(d, OP_KUNMAP, i);
		else if (o->live && o->is_area)
			push(d, o->area_kind == VL_AREA_VMAP ? OP_VUNMAP : OP_VFREE, i);
		else if (freeable(d, o))
			push(d, OP_FREE_PAGE, i);
		if (d->qlen) {
			if (d->queue[d->qhead].kind == OP_VUNMAP)
				d->td_from = 0;
			return true;
		}
	}
	return false;
}

bool vl_decode_next(struct vl_decoder *d, struct vl_dop *op)
{
	/* the budget spent: the input counts as used up, teardown follows */
	if (d->nops >= VL_DECODE_MAX_OPS && !d->qlen) {
		d->bulk_left = 0;
		d->pos = d->len;
	}
	while (!d->qlen && !d->dead) {
		if (d->bulk_left)
			bulk_step(d);
		else if (d->ended)
			return false;
		else if (d->pos < d->len)
			decode_one(d);
		else if (!teardown_one(d))
			return false;
	}
	if (d->dead)
		return false;
	*op = d->queue[d->qhead];
	d->qhead = (d->qhead + 1) % VL_DECODE_QUEUE;
	d->qlen--;
	d->nops++;
	return true;
}

/* ---- the executor ---- */

static void set_slot(struct vl_decoder *d, uint32_t *slot, uint32_t oi_plus1)
{
	if (*slot)
		d->obj[*slot - 1].pins--;
	*slot = oi_plus1;
	if (oi_plus1)
		d->obj[oi_plus1 - 1].pins++;
}

/* The decoded operation through the trace executor's single step. */
static void run_op(struct vl_decoder *d, const struct vl_dop *op, struct vl_dres *res)
{
	struct vl_dobj *o = &d->obj[op->obj];
	const struct vl_trace_op top = {
		.kind = op->kind, .num = op->num, .byte = op->byte, .cpu = op->cpu,
		.cpu_given = true, .km = op->km, .flag = op->flag, .nlist = op->nlist,
	};
	struct page *pages[VL_DECODE_MAX_VMAP];
	struct vl_trace_res r;

	for (uint32_t i = 0; i < op->nlist; i++)
		pages[i] = d->obj[op->list[i]].page;
	vl_trace_apply(&top, o->page, o->addr, pages, &r);
	if (op->kind == OP_PAGE)
		o->page = r.page;
	*res = (struct vl_dres){ .addr = r.addr, .num = r.num, .err = r.err,
				 .read = r.read, .has_pfn = r.page != NULL,
				 .pfn = r.page ? page_to_pfn(r.page) : 0 };
}

/* Queue the pattern writes/checks of a new area's pages, in page order. */
static void follow_area(struct vl_decoder *d, uint32_t oi, uint32_t cpu)
{
	struct vl_dobj *a = &d->obj[oi];
	struct vl_dop ops[VL_DECODE_MAX_VMAP];
	uint32_t n = a->area_kind == VL_AREA_VMAP ? a->npages : area_patterned(a);

	for (uint32_t i = 0; i < n; i++) {
		if (a->area_kind == VL_AREA_VMAP) {
			ops[i] = pattern_op(d, oi, i * PAGE_SIZE, &d->obj[a->pages[i]].pat, cpu);
		} else {
			uint32_t pat = 0;  /* fresh frames: write; ids come out consecutive */

			ops[i] = pattern_op(d, oi, area_page(a, i) * PAGE_SIZE, &pat, cpu);
			a->pat = i ? a->pat : pat;
		}
	}
	while (n--)
		push_front(d, &ops[n]);
}

static void record_area(struct vl_decoder *d, const struct vl_dop *op,
			const struct vl_dres *res)
{
	struct vl_dobj *a = &d->obj[op->obj];

	a->addr = res->addr;
	if (!res->addr)
		return;
	set_live(d, op->obj, true);
	a->area_kind = op->kind == OP_VMAP ? VL_AREA_VMAP
		       : op->kind == OP_VMALLOC ? VL_AREA_VMALLOC : VL_AREA_GET;
	if (op->kind == OP_VMAP) {
		a->npages = op->nlist;
		memcpy(a->pages, op->list, sizeof(a->pages));
		for (uint32_t i = 0; i < op->nlist; i++)
			d->obj[op->list[i]].pins++;
	} else if (op->kind == OP_VMALLOC) {
		a->npages = PAGE_ALIGN(op->num) >> PAGE_SHIFT;
	}
	follow_area(d, op->obj, op->cpu);
}

static void record_unarea(struct vl_decoder *d, struct vl_dobj *a)
{
	set_live(d, (uint32_t)(a - d->obj), false);
	a->addr = 0;
	if (a->area_kind == VL_AREA_VMAP)
		for (uint32_t i = 0; i < a->npages; i++)
			d->obj[a->pages[i]].pins--;
}

/* Keep the decoder's view in step with what the operation did. */
static void record(struct vl_decoder *d, const struct vl_dop *op, const struct vl_dres *res)
{
	struct vl_dobj *o = &d->obj[op->obj];
	uint32_t self = op->obj + 1;

	switch (op->kind) {
	case OP_PAGE:
		set_live(d, op->obj, o->page != NULL);
		o->addr = o->page ? lowmem_page_address(o->page) : 0;
		if (o->live && !is_high(o))
			follow_page(d, op->obj, 0);
		return;
	case OP_FREE_PAGE: set_live(d, op->obj, false); return;
	case OP_KMAP:
		if (!res->addr)
			return;
		o->kmaps++;
		o->addr = res->addr;
		o->cpu = op->cpu;
		if (in_pkmap(res->addr)) {
			o->slot = PKMAP_NR(res->addr) + 1;
			d->slot_owner[o->slot - 1] = self;
		}
		follow_page(d, op->obj, op->cpu);
		return;
	case OP_KUNMAP: o->kmaps--; return;
	case OP_KMAP_ATOMIC: case OP_KMAP_ATOMIC_PFN:
		if (op->kind == OP_KMAP_ATOMIC_PFN || is_high(o))
			set_slot(d, &d->atomic_owner[op->cpu][op->km], self);
		o->addr = res->addr;
		o->cpu = op->cpu;
		follow_page(d, op->obj, op->cpu);
		return;
	case OP_KUNMAP_ATOMIC: set_slot(d, &d->atomic_owner[op->cpu][op->km], 0); return;
	case OP_SET_FIXMAP: set_slot(d, &d->fix_owner[op->num], self); return;
	case OP_CLEAR_FIXMAP: set_slot(d, &d->fix_owner[op->num], 0); return;
	case OP_VMALLOC: case OP_GET_VM_AREA: case OP_VMAP: record_area(d, op, res); return;
	case OP_VFREE: case OP_VUNMAP: record_unarea(d, o); return;
	default: return;
	}
}

void vl_decode_exec(struct vl_decoder *d, const struct vl_dop *op, struct vl_dres *res)
{
	jmp_buf here;

	*res = (struct vl_dres){ 0 };
	bug_jump = &here;
	bug_dec = d;
	if (setjmp(here)) {
		res->bugged = true;
		d->dead = true;
		return;
	}
	run_op(d, op, res);
	record(d, op, res);
}

struct vl_decode_vmalloc vl_decode_vmalloc_of(enum vl_decode_target target,
					      const uint8_t *data, size_t len)
{
	uint8_t b = len ? data[0] : 0;

	if (target != VL_DT_VMALLOC && target != VL_DT_MIXED)
		return (struct vl_decode_vmalloc){ .gen = VL_VMLIST };
	switch (b >> 6) {
	case 0: return (struct vl_decode_vmalloc){ .gen = VL_VMLIST };
	case 1: return (struct vl_decode_vmalloc){ .gen = VL_RBTREE };
	case 2: return (struct vl_decode_vmalloc){ .gen = VL_AUGTREE };
	default:
		if (b & 8)
			return (struct vl_decode_vmalloc){ .gen = VL_NODES, .purge_ops = true,
							   .vmap_nodes = (b >> 4) & 3u };
		return (struct vl_decode_vmalloc){ .gen = b & 4 ? VL_AUGTREE : VL_RBTREE,
						   .lazy_off = true };
	}
}

int vl_decode_begin(struct vl_decoder *d, enum vl_decode_target target,
		    const uint8_t *data, size_t len, const struct vl_decode_vmalloc *vc)
{
	struct vl_decode_vmalloc v = vc ? *vc : vl_decode_vmalloc_of(target, data, len);
	uint8_t b;

	*d = (struct vl_decoder){ .target = target, .bulk_obj = -1, .purge_ops = v.purge_ops };
	d->data = data;
	d->len = len;
	b = take(d);
	d->cfg = (struct vl_config){ .layout = (b & 0x3Cu) == 0x3Cu ? "biscuitos" : "small",
				     .debug = true,
				     .cpus = 1u + b % 4u,
				     .vmalloc = v.gen,
				     .lazy_off = v.lazy_off,
				     .vmalloc_size = v.vmalloc_size,
				     .vmap_nodes = v.vmap_nodes };
	d->cap = 64;
	d->obj = malloc(d->cap * sizeof(*d->obj));
	d->live = malloc(d->cap * sizeof(*d->live));
	if (!d->obj || !d->live || vl_boot(&d->cfg)) {
		free(d->obj);
		free(d->live);
		d->obj = NULL;
		d->live = NULL;
		return -ENOMEM;
	}
	saved_handler = vl_set_bug_handler(decode_bug_handler);
	return 0;
}

void vl_decode_end(struct vl_decoder *d)
{
	vl_set_bug_handler(saved_handler);
	vl_shutdown();
	free(d->obj);
	free(d->live);
	d->obj = NULL;
	d->live = NULL;
}

uint32_t vl_decode_leftover(const struct vl_decoder *d, uint32_t *objs, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->nlive && n < max; i++)
		if (is_page(&d->obj[d->live[i]]))
			objs[n++] = d->live[i];
	return n;
}

/* ---- printing ---- */

static int op_text(const struct vl_decoder *d, const struct vl_dop *op, char *s, size_t n)
{
	const struct vl_dobj *o = &d->obj[op->obj];
	char name[16] = "", cpu[16] = "", area_cpu[16] = "";
	int k;

	/* operations without an object leave op->obj 0, maybe never bound */
	if (op->obj < d->nobj)
		snprintf(name, sizeof(name), "%c%u", o->is_area ? 'A' : 'P', o->name);
	if (op->cpu)
		snprintf(cpu, sizeof(cpu), " cpu=%u", op->cpu);
	/* with several CPUs an allocation names its own, even CPU 0 */
	if (d->cfg.cpus > 1)
		snprintf(area_cpu, sizeof(area_cpu), " cpu=%u", op->cpu);
	switch (op->kind) {
	case OP_PAGE: return snprintf(s, n, "page %s %s", name, op->flag ? "high" : "low");
	case OP_FREE_PAGE: return snprintf(s, n, "free-page %s", name);
	case OP_KMAP: return snprintf(s, n, "kmap %s", name);
	case OP_KUNMAP: return snprintf(s, n, "kunmap %s", name);
	case OP_KMAP_ATOMIC: case OP_KUNMAP_ATOMIC: case OP_KMAP_ATOMIC_PFN:
		return snprintf(s, n, "%s %s %s%s", op->kind == OP_KMAP_ATOMIC ? "kmap_atomic"
				: op->kind == OP_KUNMAP_ATOMIC ? "kunmap_atomic" : "kmap_atomic_pfn",
				name, vl_km_name(op->km), cpu);
	case OP_KMAP_ATOMIC_TO_PAGE: return snprintf(s, n, "kmap_atomic_to_page 0x%08x", op->num);
	case OP_FIX_TO_VIRT: return snprintf(s, n, "fix_to_virt %u", op->num);
	case OP_VIRT_TO_FIX: return snprintf(s, n, "virt_to_fix 0x%08x", op->num);
	case OP_SET_FIXMAP: return snprintf(s, n, "set_fixmap %u %s", op->num, name);
	case OP_CLEAR_FIXMAP: return snprintf(s, n, "clear_fixmap %u", op->num);
	case OP_VMALLOC: return snprintf(s, n, "vmalloc %s %u%s", name, op->num, area_cpu);
	case OP_GET_VM_AREA:
		return snprintf(s, n, "get_vm_area %s %u%s%s", name, op->num,
				op->flag ? " ioremap" : "", area_cpu);
	case OP_VFREE: return snprintf(s, n, "vfree %s", name);
	case OP_VUNMAP: return snprintf(s, n, "vunmap %s", name);
	case OP_VMAP:
		k = snprintf(s, n, "vmap %s", name);
		for (uint32_t i = 0; i < op->nlist && k > 0 && (size_t)k < n; i++)
			k += snprintf(s + k, n - (size_t)k, " P%u", d->obj[op->list[i]].name);
		return k;
	case OP_WRITE: case OP_EXPECT:
		return snprintf(s, n, "%s %s %u %u cpu=%u", op->kind == OP_WRITE ? "write" : "expect",
				name, op->num, op->byte, op->cpu);
	case OP_FAIL_ALLOC: return snprintf(s, n, "fail-alloc %u", op->num);
	case OP_PURGE: return snprintf(s, n, "purge");
	default: return snprintf(s, n, "check");
	}
}

static void result_text(const struct vl_decoder *d, const struct vl_dop *op,
			const struct vl_dres *res, char *s, size_t n)
{
	if (res->bugged)
		snprintf(s, n, "BUG: %s", d->bug);
	else if (res->err)
		snprintf(s, n, "err %s", vl_trace_errno_name(res->err));
	else if (op->kind == OP_EXPECT && res->read != op->byte)
		snprintf(s, n, "read 0x%02x, wanted 0x%02x", res->read, op->byte);
	else if (op->kind == OP_PAGE || op->kind == OP_KMAP_ATOMIC_TO_PAGE)
		snprintf(s, n, res->has_pfn ? "pfn 0x%x" : "none", res->pfn);
	else if (op->kind == OP_PURGE)
		snprintf(s, n, "purged %u", res->num);
	else if (op->kind == OP_VIRT_TO_FIX)
		snprintf(s, n, "%u", res->num);
	else if (res->addr)
		snprintf(s, n, "0x%08x", res->addr);
	else
		snprintf(s, n, "ok");
}

void vl_decode_print(const struct vl_decoder *d, const struct vl_dop *op,
		     const struct vl_dres *res, FILE *out)
{
	char line[256], r[300];

	op_text(d, op, line, sizeof(line));
	if (!res) {
		fprintf(out, "%s%s\n", line, op->must_bug ? "  # must BUG" : "");
		return;
	}
	result_text(d, op, res, r, sizeof(r));
	fprintf(out, "%-40s # %s%s\n", line, op->must_bug ? "must BUG -> " : "-> ", r);
}

void vl_decode_print_header(const struct vl_decoder *d, FILE *out)
{
	static const char *const gen_name[] = {
		[VL_VMLIST] = "vmlist", [VL_RBTREE] = "rbtree",
		[VL_AUGTREE] = "augtree", [VL_NODES] = "nodes",
	};
	const struct vl_config *c = &d->cfg;

	fprintf(out, "# %s fuzz input (vmaplab decode)\nlayout %s\ncpus %u\ndebug on\n",
		profiles[d->target].name, c->layout, c->cpus);
	if (c->vmalloc > VL_VMLIST)
		fprintf(out, "vmalloc %s\n", gen_name[c->vmalloc]);
	if (c->vmalloc > VL_VMLIST && c->lazy_off)
		fputs("lazy-purge off\n", out);
	if (c->vmalloc_size)
		fprintf(out, "vmalloc-size %u\n", c->vmalloc_size);
	if (c->vmap_nodes)
		fprintf(out, "vmap-nodes %u\n", c->vmap_nodes);
}

int vl_decode_file(enum vl_decode_target target, const uint8_t *data, size_t len, FILE *out)
{
	struct vl_decoder *d = calloc(1, sizeof(*d));
	struct vl_dop op;
	struct vl_dres res;
	uint32_t left[8], n;

	if (!d || vl_decode_begin(d, target, data, len, NULL)) {
		free(d);
		return -ENOMEM;
	}
	vl_decode_print_header(d, out);
	while (vl_decode_next(d, &op)) {
		vl_decode_exec(d, &op, &res);
		vl_decode_print(d, &op, &res, out);
	}
	n = d->dead ? 0 : vl_decode_leftover(d, left, 8);
	if (n)
		fprintf(out, "# still allocated: %u page(s) a count-1 PKMAP slot maps until the next wrap\n", n);
	vl_decode_end(d);
	free(d);
	return 0;
}
