/* FIXMAP and kmap_atomic: 2.6.12 i386 semantics on every layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "vmaplab.h"
#include "vl_test.h"

static struct vl_config cfg_biscuitos = { .layout = "biscuitos", .cpus = 4, .debug = true };
static struct vl_config cfg_nodebug = { .layout = "biscuitos", .debug = false };
static struct vl_config cfg_i386 = { .layout = "i386", .debug = true };

static void boot_layout(const struct vl_layout *l, uint32_t cpus, bool debug)
{
	struct vl_config cfg = { .layout = l->name, .cpus = cpus, .debug = debug };

	assert_int_equal(vl_boot(&cfg), 0);
}

static void test_km_names(void **state)
{
	(void)state;
	assert_int_equal(vl_km_type("KM_BOUNCE_READ"), KM_BOUNCE_READ);
	assert_int_equal(vl_km_type("KM_USER0"), 3);
	assert_int_equal(vl_km_type("KM_SOFTIRQ1"), 12);
	assert_int_equal(vl_km_type("KM_NOPE"), -1);
	for (uint32_t t = 0; t < KM_TYPE_NR; t++)
		assert_int_equal(vl_km_type(vl_km_name((enum km_type)t)), t);
	assert_null(vl_km_name(KM_TYPE_NR_ENUM));
}

static void test_fix_index_names(void **state)
{
	(void)state;
	boot_layout(vl_layout_find("i386"), 1, true);
	assert_int_equal(vl_fix_index("FIX_HOLE"), 0);
	assert_int_equal(vl_fix_index("FIX_APIC_BASE"), 2);
	assert_int_equal(vl_fix_index("FIX_KMAP_BEGIN"), 67);
	assert_int_equal(vl_fix_index("FIX_KMAP_END"), 67 + 13 * 8 - 1);
	assert_int_equal(vl_fix_index("__end_of_permanent_fixed_addresses"), 175);
	assert_int_equal(vl_fix_index("__end_of_fixed_addresses"), 192);
	assert_int_equal(vl_fix_index("FIX_NOPE"), -1);
	boot_layout(vl_layout_find("arm"), 1, true);
	assert_int_equal(vl_fix_index("FIX_KMAP_BEGIN"), 0);
	assert_int_equal(vl_fix_index("FIX_KMAP_END"), 51);
	assert_int_equal(vl_fix_index("__end_of_fixed_addresses"), 224);
	boot_layout(vl_layout_find("biscuitos"), 1, true);
	assert_int_equal(vl_fix_index("FIX_TEXT_POKE0"), 53);
	assert_int_equal(vl_fix_index("__end_of_permanent_fixed_addresses"), 1);
	assert_int_equal(vl_fix_index("FIX_KMAP_END"), 52);
}

/* Every slot round-trips and has a page table; the window is covered. */
static void check_fix_layout(const struct vl_layout *l)
{
	uint32_t window = (l->fixaddr_top - l->fixaddr_start) >> PAGE_SHIFT;

	boot_layout(l, 1, true);
	for (uint32_t idx = 0; idx < l->end_of_fixed; idx++) {
		vaddr_t va = fix_to_virt(idx);

		assert_int_equal(va, l->fixmap_grows_down
				 ? l->fixaddr_top - idx * PAGE_SIZE
				 : l->fixaddr_start + idx * PAGE_SIZE);
		assert_int_equal(__virt_to_fix(va + 0x123), idx);
		assert_non_null(vl_pte_lookup(va));
	}
	for (uint32_t n = 0; n < window; n++) {
		vaddr_t va = l->fixaddr_start + n * PAGE_SIZE;

		assert_non_null(vl_pte_lookup(va));
		assert_int_equal(__fix_to_virt(virt_to_fix(va + 0x123)), va);
	}
	EXPECT_BUG(fix_to_virt(l->end_of_fixed), "past __end_of_fixed_addresses");
	EXPECT_BUG(virt_to_fix(l->fixaddr_start - 1), "outside the fixmap");
	EXPECT_BUG(virt_to_fix(l->fixaddr_top), "outside the fixmap");
}

static void test_fix_to_virt_every_layout(void **state)
{
	(void)state;
	for (const struct vl_layout *const *l = vl_layouts; *l; l++)
		check_fix_layout(*l);
}

static void test_i386_fixmap_grows_down(void **state)
{
	(void)state;
	assert_int_equal(fix_to_virt(0), 0xFFFFF000u);
	assert_int_equal(fix_to_virt(1), 0xFFFFE000u);
	assert_int_equal(vl.layout->fixaddr_start, 0xFFFFF000u - 175 * PAGE_SIZE);
	assert_int_equal(virt_to_fix(0xFFFFE000u), 1);
	/* FIX_HOLE sits at FIXADDR_TOP, outside the window */
	EXPECT_BUG(virt_to_fix(0xFFFFF000u), "virt_to_fix: 0xfffff000 outside the fixmap");
}

/* KM_USER0 on cpu 0, each layout, against the kernels' own arithmetic. */
static void test_kmap_atomic_known_addresses(void **state)
{
	static const struct { const char *layout; vaddr_t va; } known[] = {
		{ "i386", 0xFFFFF000u - (67 + 3) * PAGE_SIZE },   /* 0xFFFB9000 */
		{ "arm", 0xFFF00000u + 3 * PAGE_SIZE },
		{ "biscuitos", 0x96395000u + (1 + 3) * PAGE_SIZE },
	};

	(void)state;
	assert_int_equal(known[0].va, 0xFFFB9000u);
	for (uint32_t i = 0; i < 3; i++) {
		boot_layout(vl_layout_find(known[i].layout), 1, true);
		assert_int_equal(kmap_atomic(high_page(), KM_USER0), known[i].va);
	}
}

/* Every type on every CPU of every layout: its own slot, mapped, then cleared. */
static void test_kmap_atomic_every_slot(void **state)
{
	(void)state;
	for (const struct vl_layout *const *lp = vl_layouts; *lp; lp++) {
		const struct vl_layout *l = *lp;
		struct page *p;

		boot_layout(l, l->nr_cpus, true);
		p = high_page();
		for (uint32_t cpu = 0; cpu < l->nr_cpus; cpu++) {
			assert_int_equal(vl_set_cpu(cpu), 0);
			for (uint32_t t = 0; t < KM_TYPE_NR; t++) {
				uint32_t idx = l->fix_kmap_begin + t + KM_TYPE_NR * cpu;
				vaddr_t want = l->fixmap_grows_down
					? l->fixaddr_top - idx * PAGE_SIZE
					: l->fixaddr_start + idx * PAGE_SIZE;
				struct vl_stats s;
				vaddr_t va;

				vl_stats_reset();
				va = kmap_atomic(p, (enum km_type)t);
				assert_int_equal(va, want);
				assert_true(idx <= FIX_KMAP_END(l));
				assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL));
				assert_ptr_equal(kmap_atomic_to_page(va + 0x10), p);
				kunmap_atomic(va, (enum km_type)t);
				assert_int_equal(pte_of(va), 0);
				s = stats();
				assert_int_equal(s.pte_writes, 1);
				assert_int_equal(s.pte_clears, 1);
				assert_int_equal(s.tlb_flush_one, 2);
				assert_int_equal(s.tlb_flush_range, 0);
			}
		}
		assert_int_equal(vl_set_cpu(0), 0);
	}
}

static void test_kmap_atomic_data(void **state)
{
	struct page *p = high_page();
	char out[8];
	vaddr_t va;

	(void)state;
	va = kmap_atomic(p, KM_USER1);
	assert_int_equal(vl_write(va + 8, "atomic!", 8), 0);
	assert_int_equal(vl_read(va + 8, out, 8), 0);
	assert_string_equal(out, "atomic!");
	assert_string_equal((char *)vl_page_data(p) + 8, "atomic!");
	kunmap_atomic(va + 8, KM_USER1);
	/* debug on: the slot faults after kunmap_atomic */
	assert_int_equal(vl_read(va, out, 1), -EFAULT);
}

static void test_kmap_atomic_lowmem_direct(void **state)
{
	struct page *p = alloc_page(GFP_KERNEL);
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	vl_stats_reset();
	va = kmap_atomic(p, KM_USER0);
	assert_int_equal(va, lowmem_page_address(p));
	kunmap_atomic(va, KM_USER0);
	assert_ptr_equal(kmap_atomic_to_page(va + 5), p);
	s = stats();
	assert_int_equal(s.pte_writes, 0);
	assert_int_equal(s.pte_clears, 0);
	assert_int_equal(s.tlb_flush_one, 0);
}

/* Without debug checks kunmap_atomic leaves the PTE, as in 2.6.12. */
static void test_kunmap_atomic_nodebug_keeps_pte(void **state)
{
	struct page *a = high_page(), *b = high_page();
	uint8_t byte;
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	vl_page_data(a)[0] = 0xaa;
	vl_page_data(b)[0] = 0xbb;
	va = kmap_atomic(a, KM_USER0);
	assert_int_equal(vl_read(va, &byte, 1), 0);
	vl_stats_reset();
	kunmap_atomic(va, KM_USER0);
	kunmap_atomic(va, KM_USER1);  /* no check either */
	s = stats();
	assert_int_equal(s.pte_clears, 0);
	assert_int_equal(s.tlb_flush_one, 0);
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(a), PAGE_KERNEL));
	assert_ptr_equal(kmap_atomic_to_page(va), a);
	/* remapping the slot flushes its entry: no stale read */
	assert_int_equal(kmap_atomic(b, KM_USER0), va);
	assert_int_equal(vl_read(va, &byte, 1), 0);
	assert_int_equal(byte, 0xbb);
	assert_null(vl_check_all());
}

static void test_kmap_atomic_pfn(void **state)
{
	struct page *low = alloc_page(GFP_KERNEL), *high = high_page();
	vaddr_t va;

	(void)state;
	/* always through the slot, even for a lowmem frame */
	va = kmap_atomic_pfn(page_to_pfn(low), KM_PTE0);
	assert_int_equal(va, fix_to_virt(vl.layout->fix_kmap_begin + KM_PTE0));
	assert_ptr_equal(kmap_atomic_to_page(va), low);
	/* 2.6.12 kmap_atomic_pfn has no still-mapped check */
	assert_int_equal(kmap_atomic_pfn(page_to_pfn(high), KM_PTE0), va);
	assert_ptr_equal(kmap_atomic_to_page(va), high);
	kunmap_atomic(va, KM_PTE0);
	assert_null(kmap_atomic_to_page(va));
}

static void test_kmap_atomic_to_page_outside(void **state)
{
	(void)state;
	/* below FIXADDR_START and not direct-mapped: no page */
	assert_null(kmap_atomic_to_page(PKMAP_ADDR(1)));
	EXPECT_BUG(kmap_atomic_to_page(vl.layout->fixaddr_top), "outside the fixmap");
}

static void test_set_fixmap_and_clear(void **state)
{
	int apic = vl_fix_index("FIX_APIC_BASE");
	struct page *p = alloc_page(GFP_KERNEL);
	uint8_t byte = 0x42;
	vaddr_t va;
	struct vl_stats s;

	(void)state;
	assert_int_equal(apic, 2);
	va = fix_to_virt((uint32_t)apic);
	assert_int_equal(va, 0xFFFFD000u);
	vl_stats_reset();
	set_fixmap((uint32_t)apic, page_to_phys(p));
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL));
	assert_int_equal(vl_write(va + 1, &byte, 1), 0);
	assert_int_equal(vl_page_data(p)[1], 0x42);
	set_fixmap_nocache((uint32_t)apic, page_to_phys(p));
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL_NOCACHE));
	clear_fixmap((uint32_t)apic);
	assert_int_equal(pte_of(va), 0);
	assert_int_equal(vl_read(va, &byte, 1), -EFAULT);
	s = stats();
	assert_int_equal(s.pte_writes, 2);
	assert_int_equal(s.pte_clears, 1);
	assert_int_equal(s.tlb_flush_one, 3);
	EXPECT_BUG(set_fixmap(192, 0), "past __end_of_fixed_addresses");
}

/* i386 boot-time slots lie below FIXADDR_START but have page tables. */
static void test_set_fixmap_btmap(void **state)
{
	int btmap = vl_fix_index("FIX_BTMAP_BEGIN");
	struct page *p = alloc_page(GFP_KERNEL);
	vaddr_t va;

	(void)state;
	assert_int_equal(btmap, 190);
	va = fix_to_virt((uint32_t)btmap);
	assert_true(va < vl.layout->fixaddr_start);
	set_fixmap((uint32_t)btmap, page_to_phys(p));
	assert_int_equal(pte_of(va), pfn_pte(page_to_pfn(p), PAGE_KERNEL));
	EXPECT_BUG(virt_to_fix(va), "outside the fixmap");
}

static void test_bug_kmap_atomic_twice(void **state)
{
	struct page *p = high_page();

	(void)state;
	kmap_atomic(p, KM_USER0);
	EXPECT_BUG(kmap_atomic(p, KM_USER0), "kmap_atomic: fixmap slot 4 still mapped");
}

static void test_bug_kunmap_atomic_wrong_type(void **state)
{
	vaddr_t va = kmap_atomic(high_page(), KM_USER0);

	(void)state;
	EXPECT_BUG(kunmap_atomic(va, KM_USER1), "is not the KM_USER1 slot of cpu 0");
	assert_int_not_equal(pte_of(va), 0);
	/* another CPU's slot for the same type is wrong too */
	assert_int_equal(vl_set_cpu(1), 0);
	EXPECT_BUG(kunmap_atomic(va, KM_USER0), "is not the KM_USER0 slot of cpu 1");
	assert_int_equal(vl_set_cpu(0), 0);
}

static void test_bug_bad_type(void **state)
{
	struct page *p = high_page();

	(void)state;
	EXPECT_BUG(kmap_atomic(p, KM_TYPE_NR_ENUM), "kmap_atomic: bad km_type 13");
	EXPECT_BUG(kunmap_atomic(vl.layout->fixaddr_start, KM_TYPE_NR_ENUM),
		   "kunmap_atomic: bad km_type 13");
}

/*
 * A CPU beyond the NR_CPUS the enum was built for (the BiscuitOS fault):
 * its slot would overrun FIX_KMAP_END into FIX_TEXT_POKE0.  Such a CPU
 * cannot be booted, so the test widens the running machine by hand.
 */
static void test_bug_index_past_kmap_end(void **state)
{
	const struct vl_layout *l = vl.layout;
	struct page *p = high_page();

	(void)state;
	assert_int_equal(vl.cpus, l->nr_cpus);
	vl.cpus = l->nr_cpus + 1;
	assert_int_equal(vl_set_cpu(l->nr_cpus), 0);
	vl_stats_reset();
	EXPECT_BUG(kmap_atomic(p, KM_BOUNCE_READ), "kmap_atomic: index 53 past FIX_KMAP_END 52");
	EXPECT_BUG(kmap_atomic_pfn(page_to_pfn(p), KM_BOUNCE_READ), "past FIX_KMAP_END");
	assert_int_equal(stats().pte_writes, 0);
	assert_int_equal(pte_of(fix_to_virt((uint32_t)vl_fix_index("FIX_TEXT_POKE0"))), 0);
	assert_int_equal(vl_set_cpu(0), 0);
	vl.cpus = l->nr_cpus;
}

/*
 * Every layout: FIX_KMAP_BEGIN is cpu 0's first type, FIX_KMAP_END the
 * last CPU's last type, by name and by the enum's arithmetic; a CPU past
 * NR_CPUS (widened by hand where VL_MAX_CPUS leaves room) BUGs before any
 * PTE is written, also on arm, where the next slots are still in the window.
 */
static void check_kmap_end(const struct vl_layout *l)
{
	const uint32_t end = l->fix_kmap_begin + KM_TYPE_NR * l->nr_cpus - 1;
	struct page *p;

	boot_layout(l, l->nr_cpus, true);
	p = high_page();
	assert_int_equal(vl_fix_index("FIX_KMAP_BEGIN"), l->fix_kmap_begin);
	assert_int_equal(vl_fix_index("FIX_KMAP_END"), end);
	assert_int_equal(kmap_atomic(p, KM_BOUNCE_READ), fix_to_virt(l->fix_kmap_begin));
	assert_int_equal(vl_set_cpu(l->nr_cpus - 1), 0);
	assert_int_equal(kmap_atomic(p, KM_SOFTIRQ1), fix_to_virt(end));
	kunmap_atomic(fix_to_virt(end), KM_SOFTIRQ1);
	if (l->nr_cpus == VL_MAX_CPUS)
		return;
	vl.cpus = l->nr_cpus + 1;
	assert_int_equal(vl_set_cpu(l->nr_cpus), 0);
	vl_stats_reset();
	EXPECT_BUG(kmap_atomic(p, KM_BOUNCE_READ), "past FIX_KMAP_END");
	EXPECT_BUG(kmap_atomic_pfn(page_to_pfn(p), KM_BOUNCE_READ), "past FIX_KMAP_END");
	EXPECT_BUG(kunmap_atomic(fix_to_virt(end + 1), KM_BOUNCE_READ), "past FIX_KMAP_END");
	assert_int_equal(stats().pte_writes, 0);
	assert_int_equal(pte_of(fix_to_virt(end + 1)), 0);
	assert_int_equal(vl_set_cpu(0), 0);
	vl.cpus = l->nr_cpus;
}

static void test_kmap_end_every_layout(void **state)
{
	(void)state;
	for (const struct vl_layout *const *lp = vl_layouts; *lp; lp++)
		check_kmap_end(*lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOOTED(test_km_names, cfg_biscuitos),
		BOOTED(test_fix_index_names, cfg_biscuitos),
		BOOTED(test_fix_to_virt_every_layout, cfg_biscuitos),
		BOOTED(test_i386_fixmap_grows_down, cfg_i386),
		BOOTED(test_kmap_atomic_known_addresses, cfg_biscuitos),
		BOOTED(test_kmap_atomic_every_slot, cfg_biscuitos),
		BOOTED(test_kmap_atomic_data, cfg_biscuitos),
		BOOTED(test_kmap_atomic_lowmem_direct, cfg_biscuitos),
		BOOTED(test_kunmap_atomic_nodebug_keeps_pte, cfg_nodebug),
		BOOTED(test_kmap_atomic_pfn, cfg_biscuitos),
		BOOTED(test_kmap_atomic_to_page_outside, cfg_biscuitos),
		BOOTED(test_set_fixmap_and_clear, cfg_i386),
		BOOTED(test_set_fixmap_btmap, cfg_i386),
		BOOTED(test_bug_kmap_atomic_twice, cfg_biscuitos),
		BOOTED(test_bug_kunmap_atomic_wrong_type, cfg_biscuitos),
		BOOTED(test_bug_bad_type, cfg_biscuitos),
		BOOTED(test_bug_index_past_kmap_end, cfg_biscuitos),
		BOOTED(test_kmap_end_every_layout, cfg_biscuitos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
