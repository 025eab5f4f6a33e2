/*
 * Layouts: every constant recomputed here the way the kernel headers
 * compute it (2.6.12 include/asm-i386/fixmap.h, highmem.h, pgtable.h;
 * 2.6.28 arch/arm/include/asm/{memory,highmem,fixmap}.h; Linux 5.0 ARM
 * fixmap.h for biscuitos), so a changed number in core/layout.c fails here
 * and not only as a shifted address in some golden trace.
 */
#include <errno.h>
#include "vl_test.h"

#define MiB(x) ((uint32_t)(x) << 20)
#define PMD_MASK(l) (~((1u << (l)->pmd_shift) - 1u))

static const struct vl_layout *layout(const char *name)
{
	const struct vl_layout *l = vl_layout_find(name);

	assert_non_null(l);
	return l;
}

static void assert_fix(const struct vl_layout *l, const char *name, uint32_t idx)
{
	int got = vl_layout_fix_index(l, name);

	if (got != (int)idx)
		fail_msg("%s %s: %d, want %u", l->name, name, got, idx);
}

/*
 * i386 2.6.12 with LOCAL_APIC, IO_APIC (MAX_IO_APICS 64), HIGHMEM,
 * ACPI_BOOT (FIX_ACPI_PAGES 4), NR_CPUS 8, no PAE: the enum counted entry
 * by entry, then FIXADDR_*, PKMAP_BASE and the vmalloc window from it.
 */
static void test_i386(void **state)
{
	const struct vl_layout *l = layout("i386");
	const uint32_t nr_cpus = 8, max_io_apics = 64, acpi_pages = 4, btmaps = 16;
	uint32_t e = 0;
	const uint32_t hole = e++, vsyscall = e++, apic = e++;
	const uint32_t io_apic0 = e;
	const uint32_t io_apic_end = (e += max_io_apics) - 1;
	const uint32_t kmap_begin = e;
	const uint32_t kmap_end = (e += KM_TYPE_NR * nr_cpus) - 1;
	const uint32_t acpi_begin = e;
	const uint32_t acpi_end = (e += acpi_pages) - 1;
	const uint32_t end_permanent = e;
	const uint32_t btmap_end = e, btmap_begin = (e += btmaps) - 1;
	const uint32_t wp_test = e++, end_fixed = e;
	const vaddr_t fixaddr_top = 0xfffff000u;
	const vaddr_t fixaddr_start = fixaddr_top - (end_permanent << PAGE_SHIFT);
	const vaddr_t fixaddr_boot_start = fixaddr_top - (end_fixed << PAGE_SHIFT);
	const uint32_t last_pkmap = 1024;
	const vaddr_t pkmap_base = (fixaddr_boot_start - PAGE_SIZE * (last_pkmap + 1)) &
				   PMD_MASK(l);
	const vaddr_t page_offset = 0xC0000000u;
	/* MAXMEM = -PAGE_OFFSET - __VMALLOC_RESERVE (128 MiB) */
	const uint32_t lowmem = 0u - page_offset - MiB(128);
	const vaddr_t high_memory = page_offset + lowmem, vmalloc_offset = MiB(8);

	(void)state;
	assert_int_equal(l->pmd_shift, 22);
	assert_int_equal(l->ptrs_per_pte, 1024);
	assert_int_equal(l->page_offset, page_offset);
	assert_int_equal(l->lowmem_pages, lowmem >> PAGE_SHIFT);
	assert_int_equal(l->lowmem_pages + l->highmem_pages, MiB(1024) >> PAGE_SHIFT);
	assert_int_equal(l->nr_cpus, nr_cpus);
	assert_true(l->fixmap_grows_down);
	assert_int_equal(l->fixaddr_top, fixaddr_top);
	assert_int_equal(l->fixaddr_start, fixaddr_start);
	assert_int_equal(l->fix_kmap_begin, kmap_begin);
	assert_int_equal(FIX_KMAP_END(l), kmap_end);
	assert_int_equal(l->end_of_permanent, end_permanent);
	assert_int_equal(l->end_of_fixed, end_fixed);
	assert_int_equal(l->last_pkmap, last_pkmap);
	assert_int_equal(l->pkmap_base, pkmap_base);
	assert_int_equal(l->vmalloc_start,
			 (high_memory + 2 * vmalloc_offset - 1) & ~(vmalloc_offset - 1));
	assert_int_equal(l->vmalloc_end, pkmap_base - 2 * PAGE_SIZE);
	assert_fix(l, "FIX_HOLE", hole);
	assert_fix(l, "FIX_VSYSCALL", vsyscall);
	assert_fix(l, "FIX_APIC_BASE", apic);
	assert_fix(l, "FIX_IO_APIC_BASE_0", io_apic0);
	assert_fix(l, "FIX_IO_APIC_BASE_END", io_apic_end);
	assert_fix(l, "FIX_KMAP_BEGIN", kmap_begin);
	assert_fix(l, "FIX_KMAP_END", kmap_end);
	assert_fix(l, "FIX_ACPI_BEGIN", acpi_begin);
	assert_fix(l, "FIX_ACPI_END", acpi_end);
	assert_fix(l, "__end_of_permanent_fixed_addresses", end_permanent);
	assert_fix(l, "FIX_BTMAP_END", btmap_end);
	assert_fix(l, "FIX_BTMAP_BEGIN", btmap_begin);
	assert_fix(l, "FIX_WP_TEST", wp_test);
	assert_fix(l, "__end_of_fixed_addresses", end_fixed);
	/* the figures the comments in core/layout.c quote */
	assert_int_equal(fixaddr_boot_start, 0xFFF3F000u);
	assert_int_equal(pkmap_base, 0xFF800000u);
}

/*
 * ARM 2.6.28+, 1 GiB RAM: the fixmap window 0xfff00000-0xfffe0000 is all
 * kmap_atomic slots from 0; PKMAP_BASE = PAGE_OFFSET - PMD_SIZE, LAST_PKMAP
 * = PTRS_PER_PTE; lowmem ends where the 240 MiB vmalloc reserve below
 * VMALLOC_END (0xff000000) and its 8 MiB gap begin.
 */
static void test_arm(void **state)
{
	const struct vl_layout *l = layout("arm");
	const vaddr_t page_offset = 0xC0000000u, vmalloc_end = 0xFF000000u;
	const uint32_t vmalloc_offset = MiB(8), pmd_size = MiB(2);
	const vaddr_t high_memory = vmalloc_end - MiB(240) - vmalloc_offset;
	const uint32_t window = (0xFFFE0000u - 0xFFF00000u) >> PAGE_SHIFT;

	(void)state;
	assert_int_equal(l->pmd_shift, 21);
	assert_int_equal(l->ptrs_per_pte, 512);
	assert_int_equal(l->phys_offset, 0);
	assert_int_equal(l->page_offset, page_offset);
	assert_int_equal(l->lowmem_pages, (high_memory - page_offset) >> PAGE_SHIFT);
	assert_int_equal(l->lowmem_pages + l->highmem_pages, MiB(1024) >> PAGE_SHIFT);
	assert_int_equal(l->pkmap_base, page_offset - pmd_size);
	assert_int_equal(l->last_pkmap, l->ptrs_per_pte);
	assert_false(l->fixmap_grows_down);
	assert_int_equal(l->fixaddr_start, 0xFFF00000u);
	assert_int_equal(l->fixaddr_top, 0xFFFE0000u);
	assert_int_equal(l->nr_cpus, 4);
	assert_int_equal(l->end_of_permanent, window);
	assert_int_equal(l->end_of_fixed, window);
	assert_fix(l, "FIX_KMAP_BEGIN", 0);
	assert_fix(l, "FIX_KMAP_END", KM_TYPE_NR * 4 - 1);
	assert_int_equal(l->vmalloc_start,
			 (high_memory + vmalloc_offset) & ~(vmalloc_offset - 1));
	assert_int_equal(l->vmalloc_end, vmalloc_end);
	assert_int_equal(high_memory, 0xEF800000u);
}

/*
 * Linux 5.0 ARM enum fixed_addresses, NR_CPUS 4: FIX_EARLYCON_MEM_BASE is
 * the only permanent slot, FIX_KMAP_BEGIN follows it, the two text-poke
 * slots follow FIX_KMAP_END.  @l: biscuitos or small, which share it.
 */
static void check_biscuitos_fixmap(const struct vl_layout *l)
{
	uint32_t e = 0;
	const uint32_t earlycon = e++, end_permanent = e, kmap_begin = e;
	const uint32_t kmap_end = (e += KM_TYPE_NR * 4) - 1;
	const uint32_t poke0 = e++, poke1 = e++, end_fixed = e;

	assert_false(l->fixmap_grows_down);
	assert_int_equal(l->fixaddr_start, 0x96395000u);
	assert_int_equal(l->fixaddr_top, 0x963FF000u);
	/* the 106-page window holds every slot, text-poke ones included */
	assert_true(end_fixed <= (l->fixaddr_top - l->fixaddr_start) >> PAGE_SHIFT);
	assert_int_equal(l->nr_cpus, 4);
	assert_int_equal(l->fix_kmap_begin, kmap_begin);
	assert_int_equal(FIX_KMAP_END(l), kmap_end);
	assert_int_equal(l->end_of_permanent, end_permanent);
	assert_int_equal(l->end_of_fixed, end_fixed);
	assert_fix(l, "FIX_EARLYCON_MEM_BASE", earlycon);
	assert_fix(l, "FIX_KMAP_BEGIN", kmap_begin);
	assert_fix(l, "FIX_KMAP_END", kmap_end);
	assert_fix(l, "FIX_TEXT_POKE0", poke0);
	assert_fix(l, "FIX_TEXT_POKE1", poke1);
	assert_fix(l, "__end_of_permanent_fixed_addresses", end_permanent);
	assert_fix(l, "__end_of_fixed_addresses", end_fixed);
	assert_int_equal(l->phys_offset, 0x60000000u);
	assert_int_equal(l->page_offset, 0x80000000u);
	assert_int_equal(l->pmd_shift, 21);
	assert_int_equal(l->ptrs_per_pte, 512);
	assert_int_equal(l->pkmap_base, 0x96000000u);
	assert_int_equal(l->vmalloc_start, 0x9440A000u);
}

/* The BiscuitOS seeds' windows and the 100 MiB they reserve. */
static void test_biscuitos(void **state)
{
	const struct vl_layout *l = layout("biscuitos");

	(void)state;
	check_biscuitos_fixmap(l);
	assert_int_equal(l->last_pkmap, (0x96200000u - 0x96000000u) >> PAGE_SHIFT);
	assert_int_equal(l->vmalloc_end, 0x95E0A000u);
	assert_int_equal(l->lowmem_pages, MiB(68) >> PAGE_SHIFT);
	assert_int_equal(l->highmem_pages, MiB(32) >> PAGE_SHIFT);
	assert_true(l->highmem_pages >= 8192);
}

/* small: biscuitos with every limit a few operations away. */
static void test_small(void **state)
{
	const struct vl_layout *l = layout("small");

	(void)state;
	check_biscuitos_fixmap(l);
	assert_int_equal(l->last_pkmap, 16);
	assert_int_equal(l->vmalloc_end - l->vmalloc_start, MiB(1));
	assert_int_equal(l->lowmem_pages, MiB(2) >> PAGE_SHIFT);
	assert_int_equal(l->highmem_pages, (MiB(1) / 2) >> PAGE_SHIFT);
	assert_true(l->highmem_pages < l->lowmem_pages);
}

/* What the algorithms assume of any layout. */
static void test_every_layout_consistent(void **state)
{
	uint32_t n = 0;

	(void)state;
	for (const struct vl_layout *const *lp = vl_layouts; *lp; lp++, n++) {
		const struct vl_layout *l = *lp;
		uint64_t direct_end = l->page_offset + (uint64_t)l->lowmem_pages * PAGE_SIZE;

		assert_ptr_equal(vl_layout_find(l->name), l);
		assert_int_equal(l->ptrs_per_pte, 1u << (l->pmd_shift - PAGE_SHIFT));
		/* PKMAP lives in one page table, LAST_PKMAP a power of two */
		assert_int_equal(l->pkmap_base & ~PMD_MASK(l), 0);
		assert_true(l->last_pkmap <= l->ptrs_per_pte && l->last_pkmap <= LAST_PKMAP_MAX);
		assert_int_equal(l->last_pkmap & (l->last_pkmap - 1), 0);
		assert_true(l->nr_cpus <= VL_MAX_CPUS);
		assert_true(l->end_of_permanent <= l->end_of_fixed);
		assert_true(FIX_KMAP_END(l) < l->end_of_fixed);
		assert_true(direct_end <= l->vmalloc_start);
		assert_true(l->vmalloc_start < l->vmalloc_end);
		assert_int_equal(l->vmalloc_start & ~PAGE_MASK, 0);
		assert_int_equal(l->vmalloc_end & ~PAGE_MASK, 0);
	}
	assert_int_equal(n, 4);
}

/* The names every layout answers besides its own. */
static const char *const generic[] = {
	"FIX_KMAP_BEGIN", "FIX_KMAP_END", "__end_of_permanent_fixed_addresses",
	"__end_of_fixed_addresses",
};

/* Every name a lookup must answer: the layout's and the generic four. */
static bool known_name(const struct vl_layout *l, const char *s)
{

	for (uint32_t i = 0; i < 4; i++)
		if (strcmp(generic[i], s) == 0)
			return true;
	for (const struct vl_fixmap_name *f = l->fix_names; f->name; f++)
		if (strcmp(f->name, s) == 0)
			return true;
	return false;
}

/* @s is no name of @l, or the lookup must give @s's own index. */
static void assert_unknown(const struct vl_layout *l, const char *s)
{
	if (!known_name(l, s) && vl_layout_fix_index(l, s) != -1)
		fail_msg("%s: unknown name '%s' resolves to %d", l->name, s,
			 vl_layout_fix_index(l, s));
}

/*
 * Near misses of @name: a prefix, longer names, and names sorting just
 * before and just after it (the last character one lower or higher).
 */
static void check_near_misses(const struct vl_layout *l, const char *name)
{
	char s[64];
	size_t n = strlen(name);

	assert_true(n + 2 < sizeof(s));
	snprintf(s, sizeof(s), "%.*s", (int)(n - 1), name);
	assert_unknown(l, s);
	snprintf(s, sizeof(s), "%s0", name);
	assert_unknown(l, s);
	snprintf(s, sizeof(s), "%s_", name);
	assert_unknown(l, s);
	snprintf(s, sizeof(s), "%s", name);
	s[n - 1]--;
	assert_unknown(l, s);
	s[n - 1] += 2;
	assert_unknown(l, s);
	s[0] ^= 0x20;   /* case matters */
	assert_unknown(l, s);
}

static void test_fix_names_exact(void **state)
{
	(void)state;
	for (const struct vl_layout *const *lp = vl_layouts; *lp; lp++) {
		const struct vl_layout *l = *lp;

		for (const struct vl_fixmap_name *f = l->fix_names; f->name; f++) {
			assert_fix(l, f->name, f->idx);
			check_near_misses(l, f->name);
		}
		for (uint32_t i = 0; i < 4; i++)
			check_near_misses(l, generic[i]);
		/* before the first name, after the last, between any two */
		assert_unknown(l, "");
		assert_unknown(l, "A");
		assert_unknown(l, "FIX_");
		assert_unknown(l, "FIX_KMAP");
		assert_unknown(l, "FIX_KMAP_C");
		assert_unknown(l, "FIX_KMAP_BEGIN ");
		assert_unknown(l, "FIX_KMAP_BEGIN\x7f");
		assert_unknown(l, "ZZZ");
		assert_unknown(l, "~");
		assert_unknown(l, "__end");
		assert_unknown(l, "\xff");
	}
}

static void test_layout_names_exact(void **state)
{
	static const char *const bad[] = {
		"", "a", "ar", "armm", "ARM", "biscuito", "biscuitoz", "i38", "i3866",
		"i385", "i387", "small ", "smalk", "smalm", "zzz",
	};

	(void)state;
	for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vl_layout_find(bad[i]))
			fail_msg("layout '%s' found", bad[i]);
	assert_string_equal(vl_layout_find("small")->name, "small");
}

/*
 * vmalloc=SIZE (vl_layout_resize_vmalloc): only VMALLOC_START and, when it
 * must, the lowmem/highmem split change; everything else is the layout's.
 */
static void assert_resized(const struct vl_layout *l, uint32_t size, vaddr_t start,
			   uint32_t lowmem_pages)
{
	struct vl_layout out;

	assert_int_equal(vl_layout_resize_vmalloc(l, size, &out), 0);
	assert_int_equal(out.vmalloc_start, start);
	assert_int_equal(out.vmalloc_end, l->vmalloc_end);
	assert_int_equal(out.lowmem_pages, lowmem_pages);
	/* the pages lowmem loses become highmem: RAM stays what it was */
	assert_int_equal(out.lowmem_pages + out.highmem_pages,
			 l->lowmem_pages + l->highmem_pages);
	assert_true(out.page_offset + (uint64_t)out.lowmem_pages * PAGE_SIZE +
		    VMALLOC_OFFSET <= out.vmalloc_start);
	assert_string_equal(out.name, l->name);
	assert_int_equal(out.page_offset, l->page_offset);
	assert_int_equal(out.phys_offset, l->phys_offset);
	assert_int_equal(out.pkmap_base, l->pkmap_base);
	assert_int_equal(out.fixaddr_start, l->fixaddr_start);
	assert_int_equal(out.fixaddr_top, l->fixaddr_top);
	assert_int_equal(out.mem_map_va, l->mem_map_va);
	assert_ptr_equal(out.fix_names, l->fix_names);
}

static void test_vmalloc_size_moves_start(void **state)
{
	const struct vl_layout *b = layout("biscuitos");

	(void)state;
	/* lowmem ends at 0x84400000, far below: it keeps its 68 MiB */
	assert_resized(b, MiB(64), 0x91E0A000u, MiB(68) >> PAGE_SHIFT);
	assert_resized(b, MiB(8), 0x9560A000u, MiB(68) >> PAGE_SHIFT);
	assert_resized(b, PAGE_SIZE, b->vmalloc_end - PAGE_SIZE, MiB(68) >> PAGE_SHIFT);
	/* the layout's own window gives the layout back */
	assert_resized(b, b->vmalloc_end - b->vmalloc_start, b->vmalloc_start,
		       b->lowmem_pages);
}

/*
 * Lowmem shrinks only when the window comes within VMALLOC_OFFSET of it.
 * ARM 2.6.28: vmalloc=240M is the default reserve, nothing moves; 480M
 * leaves 0xe1000000 - 8 MiB - PAGE_OFFSET = 520 MiB of lowmem.  i386:
 * vmalloc=256M from 0xff7fe000 leaves 0x2effe000 bytes.
 */
static void test_vmalloc_size_shrinks_lowmem(void **state)
{
	const struct vl_layout *arm = layout("arm"), *i386 = layout("i386");

	(void)state;
	assert_resized(arm, MiB(240), 0xF0000000u, MiB(760) >> PAGE_SHIFT);
	assert_resized(arm, MiB(240) + PAGE_SIZE, 0xF0000000u - PAGE_SIZE,
		       (MiB(760) >> PAGE_SHIFT) - 1);
	assert_resized(arm, MiB(480), 0xE1000000u, MiB(520) >> PAGE_SHIFT);
	assert_resized(i386, MiB(256), 0xEF7FE000u, 0x2EFFE000u >> PAGE_SHIFT);
	/* the largest i386 window: exactly VL_MIN_LOWMEM of lowmem left */
	assert_resized(i386, 0x3EEFE000u, 0xC0900000u, VL_MIN_LOWMEM >> PAGE_SHIFT);
}

static void assert_rejected(const struct vl_layout *l, uint32_t size)
{
	struct vl_layout out, untouched;

	memset(&out, 0xA5, sizeof(out));
	untouched = out;
	if (vl_layout_resize_vmalloc(l, size, &out) != -EINVAL)
		fail_msg("%s: vmalloc=0x%x accepted", l->name, size);
	assert_memory_equal(&out, &untouched, sizeof(out));
}

static void test_vmalloc_size_rejects(void **state)
{
	const struct vl_layout *i386 = layout("i386");
	struct vl_config cfg = { .layout = "i386", .cpus = 1, .vmalloc_size = PAGE_SIZE + 1 };

	(void)state;
	for (const struct vl_layout *const *lp = vl_layouts; *lp; lp++) {
		assert_rejected(*lp, 0);
		assert_rejected(*lp, 1);
		assert_rejected(*lp, PAGE_SIZE + 1);
		assert_rejected(*lp, MiB(64) - 1);
		/* below PAGE_OFFSET, and a start that would wrap past 0 */
		assert_rejected(*lp, (*lp)->vmalloc_end - (*lp)->page_offset + PAGE_SIZE);
		assert_rejected(*lp, (*lp)->vmalloc_end + PAGE_SIZE);
		assert_rejected(*lp, 0xFFFFF000u);
	}
	/* one page more than the largest i386 window leaves under 1 MiB */
	assert_rejected(i386, 0x3EEFF000u);
	/* vl_boot takes the same verdict */
	assert_int_equal(vl_boot(&cfg), -EINVAL);
	cfg.vmalloc_size = 0x3EEFF000u;
	assert_int_equal(vl_boot(&cfg), -EINVAL);
}

/* A machine booted with vmalloc= runs on the resized layout. */
static void test_vmalloc_size_boots(void **state)
{
	struct vl_config cfg = { .layout = "i386", .cpus = 1, .debug = true,
				 .vmalloc = VL_AUGTREE, .vmalloc_size = MiB(256) };

	(void)state;
	assert_int_equal(vl_boot(&cfg), 0);
	assert_int_equal(vl.layout->vmalloc_start, 0xEF7FE000u);
	assert_int_equal(vl.layout->lowmem_pages, 0x2EFFE000u >> PAGE_SHIFT);
	assert_int_equal(layout("i386")->vmalloc_start, 0xF8800000u);  /* the table stays */
	assert_int_equal(vmalloc(PAGE_SIZE), 0xEF7FE000u);
	assert_non_null(get_vm_area(MiB(200), VM_ALLOC));
	assert_null(vl_check_all());
	vl_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i386),
		cmocka_unit_test(test_arm),
		cmocka_unit_test(test_biscuitos),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_every_layout_consistent),
		cmocka_unit_test(test_fix_names_exact),
		cmocka_unit_test(test_layout_names_exact),
		cmocka_unit_test(test_vmalloc_size_moves_start),
		cmocka_unit_test(test_vmalloc_size_shrinks_lowmem),
		cmocka_unit_test(test_vmalloc_size_rejects),
		cmocka_unit_test(test_vmalloc_size_boots),
	};
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
