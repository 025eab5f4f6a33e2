/* /proc/vmallocinfo: parsing every kernel's format, replay into every generation. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmaplab.h"
#include "vl_test.h"
#include "vmallocinfo.h"
#include "mmu.h"
#include "physmem.h"

#define P PAGE_SIZE
#define START (vl.layout->vmalloc_start)
#define END (vl.layout->vmalloc_end)
#define SNAPSHOT "corpus/real/vmallocinfo-x86_64-linux-6.18.txt"

static int boot(const char *layout)
{
	struct vl_config cfg = { .layout = layout, .debug = true };

	return vl_boot(&cfg);
}

static struct vl_config cfg_biscuitos = { .layout = "biscuitos", .debug = true };
static struct vl_config cfg_rbtree = { .layout = "biscuitos", .debug = true,
				       .vmalloc = VL_RBTREE };
static struct vl_config cfg_augtree = { .layout = "biscuitos", .debug = true,
					.vmalloc = VL_AUGTREE };

static int parse_text(const char *text, struct vl_vmi *v, char *err,
		      size_t errlen)
{
	FILE *f = tmpfile();
	int ret;

	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	ret = vl_vmi_parse(f, "t.txt", v, err, errlen);
	fclose(f);
	return ret;
}

static void parse_ok(const char *text, struct vl_vmi *v)
{
	char err[256] = "";

	if (parse_text(text, v, err, sizeof(err)))
		fail_msg("rejected: %s", err);
}

static void rejects(const char *text, const char *msg)
{
	char err[256] = "";
	struct vl_vmi v;

	assert_int_equal(parse_text(text, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_null(v.e);
	assert_int_equal(v.n, 0);
}

/* The real snapshot, run from the repository root or tests/. */
static void load_snapshot(struct vl_vmi *v)
{
	char err[256] = "";
	FILE *f = fopen(SNAPSHOT, "r");

	if (!f)
		f = fopen("../" SNAPSHOT, "r");
	if (!f)
		fail_msg("cannot open %s", SNAPSHOT);
	if (vl_vmi_parse(f, SNAPSHOT, v, err, sizeof(err)))
		fail_msg("%s", err);
	fclose(f);
}

static uint32_t count_kind(const struct vl_vmi *v, enum vl_vmi_kind kind)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < v->n; i++)
		n += v->e[i].kind == kind;
	return n;
}

static void test_real_snapshot(void **state)
{
	struct vl_vmi v;
	uint32_t pages = 0;

	(void)state;
	load_snapshot(&v);
	assert_int_equal(v.n, 2538);
	assert_int_equal(count_kind(&v, VMI_UNPURGED), 2317);
	assert_int_equal(v.n - count_kind(&v, VMI_UNPURGED), 221);
	assert_int_equal(v.live_bytes, 18579456);
	assert_int_equal(v.unpurged_bytes, 47443968);
	assert_int_equal(count_kind(&v, VMI_VMALLOC), 189);
	assert_int_equal(count_kind(&v, VMI_IOREMAP), 29);
	assert_int_equal(count_kind(&v, VMI_VMAP), 2);
	assert_int_equal(count_kind(&v, VMI_RESERVED), 1);
	for (uint32_t i = 0; i < v.n; i++)
		pages += v.e[i].pages;
	assert_int_equal(pages, 3511);

	assert_int_equal(v.e[0].line, 1);
	assert_int_equal(v.e[0].kind, VMI_VMAP);
	assert_int_equal(v.e[0].size, 20480);
	assert_int_equal(v.e[3].kind, VMI_VMALLOC);
	assert_int_equal(v.e[3].pages, 4);
	assert_int_equal(v.e[61].pages, 577);              /* line 62: vpages */
	assert_int_equal(v.e[112].kind, VMI_RESERVED);     /* pcpu_get_vm_areas */
	assert_int_equal(v.e[112].size, 2097152);
	assert_int_equal(v.e[2537].kind, VMI_UNPURGED);
	assert_int_equal(v.e[2537].line, 2538);
	vl_vmi_free(&v);
	assert_null(v.e);
}

static void test_formats_of_every_kernel(void **state)
{
	static const struct {
		const char *line;
		enum vl_vmi_kind kind;
		uint32_t size, pages;
	} ok[] = {
		/* 2.6.28: %p addresses, sprint_symbol, module, phys=%lx */
		{ "0xf8000000-0xf8002000    8192 foo+0x1/0x2 [mod] pages=1 vmalloc user vpages N0=1 N1=0",
		  VMI_VMALLOC, 8192, 1 },
		{ "0xf8000000-0xf8003000   12288 foo+0x1/0x2 [mod 0123abcd] phys=fe000000 ioremap",
		  VMI_IOREMAP, 12288, 0 },
		/* no symbol: %pS prints the raw address */
		{ "0xc0000000-0xc0004000   16384 0xc0123456 pages=3 vmalloc", VMI_VMALLOC, 16384, 3 },
		/* before callers were shown */
		{ "0x1-0x2 12288 pages=2 vmalloc", VMI_VMALLOC, 12288, 2 },
		/* kptr_restrict: zeros; 4.x+ vm_map_ram has no caller */
		{ "0x0000000000000000-0x0000000000000000 8192 vm_map_ram", VMI_RESERVED, 8192, 0 },
		{ "0x1-0x2 4096 vm_map_ram", VMI_RESERVED, 4096, 0 },
		{ "0x1-0x2 8192 bpf_x+0x1/0x2 sparse", VMI_RESERVED, 8192, 0 },
		{ "0x1-0x2 8192 dma_remap+0x1/0x2 vmap dma-coherent", VMI_VMAP, 8192, 0 },
		{ "0x1-0x2 20480 vm_map_pages+0x1/0x2 pages=4 vmap", VMI_VMAP, 20480, 4 },
		{ "0x1-0x2 8192 f+0x1/0x2 phys=0x00000000fee00000 ioremap\r",
		  VMI_IOREMAP, 8192, 0 },
		{ "0x1-0x2 8192 f+0x1/0x2", VMI_RESERVED, 8192, 0 },
		{ "0x1-0x2 8192", VMI_RESERVED, 8192, 0 },
		{ "0x1-0x2\t8192\tunpurged   vm_area  ", VMI_UNPURGED, 8192, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];
		struct vl_vmi v;

		/* a blank line before, no newline at the end */
		snprintf(text, sizeof(text), "\n%s", ok[i].line);
		parse_ok(text, &v);
		assert_int_equal(v.n, 1);
		assert_int_equal(v.e[0].line, 2);
		assert_int_equal(v.e[0].kind, ok[i].kind);
		assert_int_equal(v.e[0].size, ok[i].size);
		assert_int_equal(v.e[0].pages, ok[i].pages);
		vl_vmi_free(&v);
	}
}

static void test_malformed_lines(void **state)
{
	(void)state;
	rejects("1x1-0x2 4096\n", "t.txt:1:1: expected '0x' before start address");
	rejects("0x-0x2 4096\n", "t.txt:1:3: expected hex digits of start address");
	rejects("0x1g-0x2 4096\n", "t.txt:1:4: expected '-' after start address");
	rejects("0x1 0x2 4096\n", "t.txt:1:4: expected '-' after start address");
	rejects("0x1-1x2 4096\n", "t.txt:1:5: expected '0x' before end address");
	rejects("0x1-0x2z 4096\n", "t.txt:1:8: unexpected 'z' after end address");
	rejects("0x11112222333344445-0x2 4096\n",
		"t.txt:1:19: start address wider than 64 bits");
	rejects("0x1-0x2\n", "t.txt:1:8: expected size in bytes");
	rejects("0x1-0x2 4097 f\n", "t.txt:1:9: size 4097 is not a positive multiple of 4096");
	rejects("0x1-0x2 0\n", "t.txt:1:9: size 0 is not a positive multiple of 4096");
	rejects("0x1-0x2 12a4 f\n", "t.txt:1:11: bad digit 'a' in size");
	rejects("0x1-0x2 8589934592 f\n", "t.txt:1:9: size does not fit 32 bits");
	rejects("0x1-0x2 4096 foo+0x1/0x2 bar\n", "t.txt:1:26: unknown word 'bar'");
	rejects("0x1-0x2 8192 f pages=x vmalloc\n", "t.txt:1:22: bad digit 'x' in page count");
	rejects("0x1-0x2 8192 f pages= vmalloc\n", "t.txt:1:22: expected decimal page count");
	rejects("0x1-0x2 8192 f pages=3 vmalloc\n",
		"t.txt:1:22: pages=3 does not fit a 8192-byte area");
	rejects("0x1-0x2 8192 f pages=1 pages=1 vmalloc\n", "t.txt:1:24: repeated 'pages='");
	rejects("0x1-0x2 8192 f ioremap vmap\n", "t.txt:1:24: 'vmap' conflicts with 'ioremap'");
	rejects("0x1-0x2 8192 f vmalloc vmalloc\n", "t.txt:1:24: repeated 'vmalloc'");
	rejects("0x1-0x2 8192 f user user\n", "t.txt:1:21: repeated 'user'");
	rejects("0x1-0x2 8192 f phys=0xzz ioremap\n",
		"t.txt:1:23: expected hex digits of physical address");
	rejects("0x1-0x2 8192 f phys=12g ioremap\n",
		"t.txt:1:23: bad hex digit 'g' in physical address");
	rejects("0x1-0x2 8192 f N0=x\n", "t.txt:1:19: bad digit 'x' in node page count");
	rejects("0x1-0x2 8192 unpurged\n", "t.txt:1:22: expected 'vm_area' after 'unpurged'");
	rejects("0x1-0x2 8192 unpurged vm_area x\n", "t.txt:1:31: unexpected 'x' at end of line");
	rejects("0x1-0x2 8192 vm_map_ram x\n", "t.txt:1:25: unexpected 'x' at end of line");
	rejects("0x1-0x2 4096 f\x01 vmalloc\n", "t.txt:1:15: control character 0x01");
	/* the line number counts blank and good lines */
	rejects("0x1-0x2 4096 vmalloc\n\n0x1-0x2 4096 f [mod\n",
		"t.txt:3:16: unterminated '['");
}

/* Every hex digit in either case, in addresses and in phys=. */
static void test_hex_digits_of_both_cases(void **state)
{
	static const char digits[] = "0123456789abcdefABCDEF";

	(void)state;
	for (const char *d = digits; *d; d++) {
		char text[128];
		struct vl_vmi v;

		snprintf(text, sizeof(text),
			 "0x%c0-0xf%c 8192 f+0x1/0x2 phys=0x%c000 ioremap\n"
			 "0x%c-0x%c 8192 g+0x1/0x2 phys=%c ioremap\n",
			 *d, *d, *d, *d, *d, *d);
		parse_ok(text, &v);
		assert_int_equal(v.n, 2);
		vl_vmi_free(&v);
	}
	rejects("0x1-0x2 8192 f phys=1x1000 ioremap\n",
		"t.txt:1:22: bad hex digit 'x' in physical address");
	rejects("0x1-0x2 8192 f phys=0X1000 ioremap\n",
		"t.txt:1:22: bad hex digit 'X' in physical address");
	rejects("0xG-0x2 4096\n", "t.txt:1:3: expected hex digits of start address");
	rejects("0x1-0xg 4096\n", "t.txt:1:7: expected hex digits of end address");
}

/* A stream of @byte, @limit bytes long; counts what was read. */
struct endless {
	char byte;
	size_t limit, read;
};

static ssize_t endless_read(void *cookie, char *buf, size_t size)
{
	struct endless *s = cookie;
	size_t n = s->limit - s->read < size ? s->limit - s->read : size;

	memset(buf, s->byte, n);
	s->read += n;
	return (ssize_t)n;
}

/* Parses 64 MiB of @byte (or less: the parse must stop early). */
static size_t parse_endless(char byte, const char *msg)
{
	struct endless s = { .byte = byte, .limit = 64u << 20 };
	cookie_io_functions_t io = { .read = endless_read };
	FILE *f = fopencookie(&s, "r", io);
	char err[256] = "";
	struct vl_vmi v;

	assert_non_null(f);
	assert_int_equal(vl_vmi_parse(f, "z", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_null(v.e);
	fclose(f);
	return s.read;
}

/* A huge line or binary data: a message at once, not gigabytes read. */
static void test_unbounded_input_stops_early(void **state)
{
	char text[VL_VMI_LINE_MAX + 64];
	size_t len;

	(void)state;
	assert_true(parse_endless('\0', "z:1:1: control character 0x00") <= 64u << 10);
	assert_true(parse_endless('0', "z:1:4097: line longer than 4096 bytes") <= 64u << 10);
	/* the longest line passes, one byte more does not */
	len = (size_t)snprintf(text, sizeof(text), "0x1-0x2 8192 f+0x1/0x2 user");
	memset(text + len, ' ', VL_VMI_LINE_MAX - len);
	strcpy(text + VL_VMI_LINE_MAX, "\n0x1-0x2 4096\n");
	{
		struct vl_vmi v;

		parse_ok(text, &v);
		assert_int_equal(v.n, 2);
		vl_vmi_free(&v);
	}
	text[VL_VMI_LINE_MAX] = ' ';
	rejects(text, "t.txt:1:4097: line longer than 4096 bytes");
	text[5] = '\x7f';           /* a bad byte before the cut comes first */
	rejects(text, "t.txt:1:6: control character 0x7f");
}

static void test_empty_input_and_read_errors(void **state)
{
	char err[64] = "";
	struct vl_vmi v;
	FILE *dir = fopen(".", "r");

	(void)state;
	parse_ok("", &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.live_bytes, 0);
	vl_vmi_free(&v);
	assert_non_null(dir);                  /* reading a directory fails */
	assert_int_equal(vl_vmi_parse(dir, ".", &v, err, sizeof(err)), -EISDIR);
	assert_null(v.e);
	fclose(dir);
}

/*
 * The placed area of each kept live entry (every rep->stride-th) has its
 * kind and, unless scaled, its size; vmap()s hold their frames.
 */
static void assert_replayed(const struct vl_vmi *v,
			    const struct vl_vmi_replay *rep)
{
	uint32_t h = 0, live = 0;

	for (uint32_t i = 0; i < v->n; i++) {
		const struct vl_vmi_entry *e = &v->e[i];
		struct vm_struct *area;

		if (e->kind == VMI_UNPURGED || live++ % rep->stride)
			continue;
		assert_true(h < rep->nr_handles);
		area = vl_find_vm_area(rep->handles[h]);
		assert_non_null(area);
		assert_int_equal(area->addr, rep->handles[h]);
		if (rep->scale == 1.0)
			assert_int_equal(area->size, e->size < 2 * P ? 2 * P : e->size);
		assert_int_equal(rep->vmap_nr[h], e->kind == VMI_VMAP ? area->size / P - 1 : 0);
		switch (e->kind) {
		case VMI_VMALLOC:
			assert_int_equal(area->flags, VM_ALLOC);
			assert_int_equal(area->nr_pages, area->size / P - 1);
			break;
		case VMI_VMAP:
			assert_int_equal(area->flags, VM_MAP);
			assert_non_null(rep->vmap_pages[h]);
			for (uint32_t f = 0; f < rep->vmap_nr[h]; f++)
				assert_int_equal(pte_pfn(*vl_pte_lookup(area->addr + f * P)),
						 page_to_pfn(rep->vmap_pages[h][f]));
			break;
		case VMI_IOREMAP:
			assert_int_equal(area->flags, VM_IOREMAP);
			break;
		default:
			assert_int_equal(area->flags, VM_ALLOC);
			assert_int_equal(area->nr_pages, 0);
			break;
		}
		if (e->kind != VMI_VMAP)
			assert_null(rep->vmap_pages[h]);
		h++;
	}
	assert_int_equal(h, rep->nr_handles);
	assert_int_equal(h, rep->areas);
	assert_int_equal(rep->areas + rep->dropped, live);
}

static void test_populate_biscuitos_and_back(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint32_t in_use = vl_pages_in_use(), tables;
	struct vl_stats s;

	(void)state;
	load_snapshot(&v);
	/* live 18579456 fits the 26 MiB window, live + unpurged does not */
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), 0);
	assert_false(rep.holes_kept);
	assert_int_equal(rep.skipped, 2317);
	assert_true(rep.scale == 1.0);
	assert_int_equal(rep.areas, 221);
	assert_int_equal(rep.nr_handles, 221);
	assert_int_equal(rep.bytes, 18579456);
	assert_int_equal(vl_vmlist_count(), 221);
	assert_replayed(&v, &rep);
	assert_int_equal(rep.handles[0], START);          /* line 1, the vmap */
	tables = (uint32_t)stats().pt_pages;
	assert_int_equal(vl_pages_in_use(), in_use + 3511 + 2 * 4 + tables);
	assert_invariants();

	vl_stats_reset();
	vl_vmi_depopulate(&rep);
	s = stats();
	assert_int_equal(s.page_frees, 3511 + 8);
	assert_int_equal(s.tlb_flush_range, 221);
	assert_int_equal(rep.nr_handles, 0);
	assert_null(rep.handles);
	assert_int_equal(vl_vmlist_count(), 0);
	assert_int_equal(vl_pages_in_use(), in_use + tables);
	assert_invariants();
	vl_vmi_free(&v);
}

static void test_holes_policy_on_arm(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	struct vl_stats s;

	(void)state;
	assert_int_equal(boot("arm"), 0);
	assert_int_equal(END - START, 240u << 20);
	load_snapshot(&v);

	/* 66 MB in 240 MiB: every unpurged area placed, then freed */
	vl_stats_reset();
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), 0);
	s = stats();
	assert_true(rep.holes_kept);
	assert_int_equal(rep.skipped, 0);
	assert_true(rep.scale == 1.0);
	assert_int_equal(rep.areas, 221);
	assert_int_equal(vl_vmlist_count(), 221);
	assert_int_equal(s.tlb_flush_range, 2317);
	assert_int_equal(s.tlb_flush_range_pages, 47443968 / P);
	assert_replayed(&v, &rep);
	assert_invariants();
	vl_vmi_depopulate(&rep);

	/* a fifth of the window (50 MB): live fits, the holes do not */
	vl_stats_reset();
	assert_int_equal(vl_vmi_populate(&v, 0.2, &rep), 0);
	assert_false(rep.holes_kept);
	assert_int_equal(rep.skipped, 2317);
	assert_true(rep.scale == 1.0);
	assert_int_equal(stats().tlb_flush_range, 0);
	assert_int_equal(rep.bytes, 18579456);
	vl_vmi_depopulate(&rep);
	assert_int_equal(vl_vmlist_count(), 0);
	vl_vmi_free(&v);
}

/*
 * Replay of live a (2 pages + guard), an unpurged area of @bytes, live b
 * (1 page + guard), in all of the window.
 */
static void populate_around(uint32_t bytes, struct vl_vmi *v, struct vl_vmi_replay *rep)
{
	char buf[256];

	snprintf(buf, sizeof(buf),
		 "0x1-0x2 12288 a+0x1/0x2 pages=2 vmalloc\n"
		 "0x1-0x2 %u unpurged vm_area\n"
		 "0x1-0x2 8192 b+0x1/0x2 pages=1 vmalloc\n", bytes);
	parse_ok(buf, v);
	assert_int_equal(vl_vmi_populate(v, 1.0, rep), 0);
}

/* An unpurged area between two live ones leaves its hole between them. */
static void test_holes_shape_the_layout(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;

	(void)state;
	populate_around(8192u, &v, &rep);
	assert_true(rep.holes_kept);
	assert_int_equal(rep.handles[0], START);
	assert_int_equal(rep.handles[1], START + 5 * P);   /* after the hole */
	assert_int_equal(vl_vmlist_count(), 2);
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);

	/* a window-sized hole cannot be kept: dropped, b moves down */
	populate_around(END - START, &v, &rep);
	assert_false(rep.holes_kept);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.handles[1], START + 3 * P);
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

/*
 * With lazy freeing an unpurged area waits in its place, lazily freed as in
 * the snapshot, and is sampled and scaled with the live ones rather than
 * left out (gen 1 drops the window-sized one above).
 */
static void test_unpurged_stay_lazily_freed(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;

	(void)state;
	assert_true(vl.lazy);
	populate_around(8192u, &v, &rep);
	assert_int_equal(rep.handles[1], START + 5 * P);   /* after it */
	assert_int_equal(rep.lazy, 1);
	assert_int_equal(vmap_lazy_nr, 2);
	assert_true(vl_vmap_lazy_covers(START + 3 * P));
	assert_false(vl_vmap_lazy_covers(START));
	assert_invariants();
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
	purge_vmap_area_lazy();

	/* window-sized: 6661 pages into 6656, 6 of them the minimums */
	populate_around(END - START, &v, &rep);
	assert_true(rep.holes_kept);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(rep.lazy, 1);
	assert_int_equal(rep.handles[0], START);         /* 3 pages -> 2 */
	assert_int_equal(rep.handles[1], START + 6647 * P);
	assert_int_equal(vmap_lazy_nr, 6645);
	assert_true(vl_vmap_lazy_covers(START + 6646 * P));
	assert_invariants();
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

/* The 6.18 snapshot: its 2317 unpurged areas sampled with the live ones. */
static void test_real_unpurged_on_the_trees(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;

	(void)state;
	load_snapshot(&v);
	assert_int_equal(vl_vmi_populate(&v, 0.9, &rep), 0);
	assert_int_equal(rep.stride, 2);                 /* 2538 planned */
	assert_int_equal(rep.lazy + rep.skipped, 2317);
	assert_int_equal(rep.lazy, 1158);
	assert_int_equal(rep.areas + rep.dropped, 221);
	assert_true(vmap_lazy_nr <= lazy_max_pages());
	assert_invariants();
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

static void test_scaling_to_the_window(void **state)
{
	char text[1024] = "";
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint32_t window = END - START, budget = window / 2, big;

	(void)state;
	/* 64 MiB of vmalloc and two small ioremaps in a 26 MiB window */
	for (int i = 0; i < 4; i++)
		strcat(text, "0x1-0x2 16777216 f+0x1/0x2 pages=4095 vmalloc\n");
	strcat(text, "0x1-0x2 8192 g+0x1/0x2 phys=0x1000 ioremap\n"
		     "0x1-0x2 8192 g+0x1/0x2 phys=0x3000 ioremap\n"
		     "0x1-0x2 4096 unpurged vm_area\n");
	parse_ok(text, &v);
	assert_int_equal(vl_vmi_populate(&v, 0.5, &rep), 0);
	assert_false(rep.holes_kept);
	assert_int_equal(rep.skipped, 1);
	/* the six areas' 2-page minimums come off the budget first */
	assert_int_equal(rep.stride, 1);
	assert_true(rep.scale == (double)(budget - 12 * P) / (double)v.live_bytes);
	big = (uint32_t)((uint64_t)16777216 * (budget - 12 * P) / v.live_bytes) & PAGE_MASK;
	assert_int_equal(big, 828 * P);
	for (int i = 0; i < 4; i++) {
		struct vm_struct *area = vl_find_vm_area(rep.handles[i]);

		assert_int_equal(area->size, big);
		assert_int_equal(area->nr_pages, big / P - 1);
	}
	/* 8192 scaled is under a page: the 2-page minimum */
	assert_int_equal(vl_find_vm_area(rep.handles[4])->size, 2 * P);
	assert_int_equal(vl_find_vm_area(rep.handles[5])->size, 2 * P);
	assert_int_equal(rep.bytes, 4ull * big + 4 * P);
	assert_true(rep.bytes <= budget);
	assert_invariants();
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

/* Areas held up at 2 pages by the minimum still leave the total in budget. */
static void test_scaling_counts_the_minimum(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint32_t budget = (END - START) / 2;
	FILE *f = tmpfile();
	char err[256] = "";

	(void)state;
	assert_non_null(f);
	fputs("0x1-0x2 16777216 f+0x1/0x2 pages=4095 vmalloc\n", f);
	for (int i = 0; i < 600; i++)
		fputs("0x1-0x2 8192 g+0x1/0x2 pages=1 vmalloc\n", f);
	rewind(f);
	assert_int_equal(vl_vmi_parse(f, "t", &v, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(vl_vmi_populate(&v, 0.5, &rep), 0);
	assert_int_equal(rep.stride, 1);
	assert_int_equal(rep.areas, 601);
	assert_true(rep.scale < 1.0);
	assert_true(rep.bytes <= budget);
	assert_int_equal(vl_find_vm_area(rep.handles[1])->size, 2 * P);
	assert_invariants();
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

/*
 * A busy 64-bit machine's file: 30,000 live areas of 2 to 5 pages and
 * 3,000 unpurged ones (at 2 pages each, twice the biscuitos window).
 */
static void busy_snapshot(struct vl_vmi *v)
{
	static const char *const tails[] = {
		"f+0x1/0x2 pages=%u vmalloc", "g+0x1/0x2 phys=0xFEE00000 ioremap",
		"h+0x1/0x2 pages=%u vmap", "vm_map_ram", "unpurged vm_area",
	};
	FILE *f = tmpfile();
	char err[256] = "";

	assert_non_null(f);
	for (uint32_t i = 0; i < 33000; i++) {
		uint32_t pages = 1 + i % 4;
		const char *tail = tails[i % 11 == 10 ? 4 : i % 4];

		fprintf(f, "0x%x-0x%x %u ", i, i + 1, (pages + 1) * P);
		fprintf(f, tail, pages);
		fputc('\n', f);
	}
	rewind(f);
	if (vl_vmi_parse(f, "busy", v, err, sizeof(err)))
		fail_msg("%s", err);
	fclose(f);
	assert_int_equal(v->n, 33000);
	assert_int_equal(count_kind(v, VMI_UNPURGED), 3000);
}

/* Live areas that cannot all fit are sampled: every k-th, in file order. */
static void test_busy_snapshot_is_sampled(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint64_t budget = (uint64_t)(0.9 * (double)(END - START));
	uint32_t most = (uint32_t)(budget / 2 / (2 * P)), stride;
	uint32_t in_use = vl_pages_in_use(), tables;

	(void)state;
	busy_snapshot(&v);
	stride = (30000 + most - 1) / most;
	assert_int_equal(most, 1497);
	assert_int_equal(stride, 21);
	assert_int_equal(vl_vmi_populate(&v, 0.9, &rep), 0);
	assert_int_equal(rep.stride, stride);
	assert_int_equal(rep.areas, (30000 + stride - 1) / stride);
	assert_int_equal(rep.dropped, 30000 - rep.areas);
	assert_false(rep.holes_kept);
	assert_int_equal(rep.skipped, 3000);
	assert_true(rep.scale == 1.0);             /* 1429 areas of <= 5 pages fit */
	assert_true(rep.bytes <= budget);
	assert_int_equal(vl_vmlist_count(), rep.areas);
	assert_replayed(&v, &rep);
	assert_invariants();
	tables = (uint32_t)stats().pt_pages;
	vl_vmi_depopulate(&rep);
	assert_int_equal(vl_vmlist_count(), 0);
	assert_int_equal(vl_pages_in_use(), in_use + tables);
	vl_vmi_free(&v);
}

/* On the 1 MiB small window the real snapshot is sampled and scaled. */
static void test_real_snapshot_on_small(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint64_t budget;

	(void)state;
	assert_int_equal(boot("small"), 0);
	budget = (uint64_t)(0.9 * (double)(END - START));
	load_snapshot(&v);
	assert_int_equal(vl_vmi_populate(&v, 0.9, &rep), 0);
	/* 57 two-page areas fill half of 943718 bytes: 221 live -> every 4th */
	assert_int_equal(rep.stride, 4);
	assert_int_equal(rep.areas, 56);
	assert_int_equal(rep.dropped, 221 - 56);
	assert_int_equal(rep.skipped, 2317);
	assert_true(rep.scale < 1.0);
	assert_true(rep.bytes <= budget);
	assert_int_equal(vl_vmlist_count(), 56);
	assert_replayed(&v, &rep);
	assert_invariants();
	vl_vmi_depopulate(&rep);
	assert_int_equal(vl_vmlist_count(), 0);
	vl_vmi_free(&v);
}

/* Exactly the share: placed whole.  A share under 2 pages: one area. */
static void test_share_edges(void **state)
{
	char *text = malloc(128 * 64);
	struct vl_vmi v;
	struct vl_vmi_replay rep;

	(void)state;
	assert_int_equal(boot("small"), 0);
	assert_int_equal(END - START, 256 * P);
	text[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(text, "0x1-0x2 8192 f+0x1/0x2 pages=1 vmalloc\n");
	parse_ok(text, &v);
	free(text);
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), 0);
	assert_int_equal(rep.stride, 1);
	assert_int_equal(rep.areas, 128);
	assert_int_equal(vl_vmlist_count(), 128);
	vl_vmi_depopulate(&rep);
	assert_int_equal(vl_vmi_populate(&v, 1e-6, &rep), 0);
	assert_int_equal(rep.stride, 128);
	assert_int_equal(rep.areas, 1);
	assert_int_equal(rep.dropped, 127);
	assert_int_equal(vl_find_vm_area(rep.handles[0])->size, 2 * P);
	vl_vmi_depopulate(&rep);
	vl_vmi_free(&v);
}

static void test_failed_populate_is_undone(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;
	uint32_t in_use;

	(void)state;
	load_snapshot(&v);
	/* leave 1 MiB of window: the snapshot's live 18 MB cannot fit */
	assert_non_null(get_vm_area(END - START - (1u << 20) - P, VM_ALLOC));
	in_use = vl_pages_in_use();
	vl_stats_reset();
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), -ENOMEM);
	assert_int_equal(rep.nr_handles, 0);
	assert_null(rep.handles);
	assert_int_equal(vl_vmlist_count(), 1);
	assert_int_equal(vl_pages_in_use(), in_use + stats().pt_pages);
	assert_invariants();
	assert_int_equal(vfree(START), 0);

	/* a frame that fails midway, inside a vmap */
	in_use = vl_pages_in_use();
	vl_stats_reset();
	vl_fail_nth_alloc(2);
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), -ENOMEM);
	assert_int_equal(vl_vmlist_count(), 0);
	assert_int_equal(vl_pages_in_use(), in_use + stats().pt_pages);
	assert_int_equal(stats().page_allocs, stats().page_frees + stats().pt_pages);
	/* and one deep in the run */
	in_use = vl_pages_in_use();
	vl_stats_reset();
	vl_fail_nth_alloc(2000);
	assert_int_equal(vl_vmi_populate(&v, 1.0, &rep), -ENOMEM);
	assert_int_equal(vl_vmlist_count(), 0);
	assert_int_equal(vl_pages_in_use(), in_use + stats().pt_pages);
	assert_invariants();
	vl_vmi_free(&v);
}

static void test_fill_out_of_range(void **state)
{
	struct vl_vmi v;
	struct vl_vmi_replay rep;

	(void)state;
	parse_ok("0x1-0x2 8192 f+0x1/0x2 pages=1 vmalloc\n", &v);
	assert_int_equal(vl_vmi_populate(&v, 0.0, &rep), -EINVAL);
	assert_int_equal(vl_vmi_populate(&v, 1.5, &rep), -EINVAL);
	assert_int_equal(vl_vmi_populate(&v, NAN, &rep), -EINVAL);
	assert_int_equal(rep.nr_handles, 0);
	assert_int_equal(vl_vmlist_count(), 0);
	vl_vmi_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_snapshot),
		cmocka_unit_test(test_formats_of_every_kernel),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_hex_digits_of_both_cases),
		cmocka_unit_test(test_unbounded_input_stops_early),
		cmocka_unit_test(test_empty_input_and_read_errors),
		BOOTED(test_populate_biscuitos_and_back, cfg_biscuitos),
		BOOTED(test_holes_policy_on_arm, cfg_biscuitos),
		BOOTED(test_holes_shape_the_layout, cfg_biscuitos),
		BOOTED(test_unpurged_stay_lazily_freed, cfg_rbtree),
		BOOTED(test_unpurged_stay_lazily_freed, cfg_augtree),
		BOOTED(test_real_unpurged_on_the_trees, cfg_rbtree),
		BOOTED(test_real_unpurged_on_the_trees, cfg_augtree),
		BOOTED(test_scaling_to_the_window, cfg_biscuitos),
		BOOTED(test_scaling_counts_the_minimum, cfg_biscuitos),
		BOOTED(test_busy_snapshot_is_sampled, cfg_biscuitos),
		BOOTED(test_real_snapshot_on_small, cfg_biscuitos),
		BOOTED(test_share_edges, cfg_biscuitos),
		BOOTED(test_failed_populate_is_undone, cfg_biscuitos),
		BOOTED(test_fill_out_of_range, cfg_biscuitos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
