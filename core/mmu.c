/*
 * The software MMU.  The kernel page directory (swapper_pg_dir) is a host
 * array whose entries hold the physical address of a page-table frame;
 * page tables are real frames from lowmem, so they cost RAM like in the
 * kernel.  Lowmem is section-mapped at PAGE_OFFSET and never goes through
 * tables or TLBs.  Each CPU has a TLB that keeps every translation it made
 * until a flush drops it: fully associative and unbounded, so no eviction
 * can hide a missing flush.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"
#include "mmu.h"
#include "physmem.h"
#include "track.h"

#define TLB_CHUNK_SHIFT 6u                  /* 64 pages per chunk */
#define TLB_CHUNK (1u << TLB_CHUNK_SHIFT)
#define TLB_DIRS (1u << (32 - PAGE_SHIFT - TLB_CHUNK_SHIFT))

static uint32_t *swapper_pg_dir;             /* phys of table | present */
static uint32_t *pgd_used;                   /* indices of present entries, ascending */
static uint32_t nr_pgd_used;

/*
 * A remote range flush may run while the owner translates: atomics.  Only
 * the owner creates chunks, and it lists them, so walks and teardown visit
 * the few chunks in use rather than every directory entry.
 */
struct tlb {
	_Atomic(_Atomic pte_t *) dir[TLB_DIRS];
	uint32_t used[TLB_DIRS];   /* dir indices with a chunk, ascending */
	uint32_t nr_used;
};
/* On the heap, allocated at a CPU's first boot and kept: 192 KiB each
 * would otherwise sit in .bss between the hot globals of the allocators. */
static struct tlb *tlbs[VL_MAX_CPUS];

static uint32_t pgd_index(vaddr_t va)
{
	return va >> vl.layout->pmd_shift;
}

static uint32_t pte_index(vaddr_t va)
{
	return (va >> PAGE_SHIFT) & (vl.layout->ptrs_per_pte - 1u);
}

/* The page table of page-directory entry @i, which must be present. */
static pte_t *table_of(uint32_t i)
{
	return (pte_t *)(void *)vl_page_data(pte_page(swapper_pg_dir[i],
						      i << vl.layout->pmd_shift));
}

pte_t *vl_pte_lookup(vaddr_t va)
{
	uint32_t i = pgd_index(va);

	return swapper_pg_dir[i] ? table_of(i) + pte_index(va) : NULL;
}

/* Add @v to the ascending list @list of *@n entries: walks of the page
 * tables and TLBs go through such lists, in address order. */
static void list_insert(uint32_t *list, uint32_t *n, uint32_t v)
{
	uint32_t i = (*n)++;

	for (; i && list[i - 1] > v; i--)
		list[i] = list[i - 1];
	list[i] = v;
}

pte_t *pte_alloc_kernel(vaddr_t va)
{
	uint32_t *e = &swapper_pg_dir[pgd_index(va)];

	if (!*e) {
		struct page *pt = alloc_page(GFP_KERNEL);

		if (!pt)
			return NULL;
		memset(vl_page_data(pt), 0, PAGE_SIZE);
		*e = page_to_phys(pt) | _PAGE_PRESENT;
		list_insert(pgd_used, &nr_pgd_used, pgd_index(va));
		vl_this_stats()->pt_pages++;
	}
	return table_of(pgd_index(va)) + pte_index(va);
}

void set_pte(pte_t *ptep, pte_t pte)
{
	vl_track_pte(ptep, pte);
	__atomic_store_n(ptep, pte, __ATOMIC_RELEASE);
	vl_this_stats()->pte_writes++;
}

void pte_clear(pte_t *ptep)
{
	vl_track_pte(ptep, 0);
	__atomic_store_n(ptep, 0, __ATOMIC_RELEASE);
	vl_this_stats()->pte_clears++;
}

static _Atomic pte_t *tlb_slot(uint32_t cpu, vaddr_t va, bool create)
{
	uint32_t vpn = va >> PAGE_SHIFT;
	_Atomic(_Atomic pte_t *) *d = &tlbs[cpu]->dir[vpn >> TLB_CHUNK_SHIFT];
	_Atomic pte_t *chunk = atomic_load_explicit(d, memory_order_acquire);

	if (!chunk && create) {
		chunk = calloc(TLB_CHUNK, sizeof(*chunk));
		if (!chunk)
			return NULL;
		list_insert(tlbs[cpu]->used, &tlbs[cpu]->nr_used, vpn >> TLB_CHUNK_SHIFT);
		atomic_store_explicit(d, chunk, memory_order_release);
	}
	return chunk ? &chunk[vpn & (TLB_CHUNK - 1u)] : NULL;
}

static void tlb_drop(uint32_t cpu, vaddr_t va)
{
	_Atomic pte_t *slot = tlb_slot(cpu, va, false);

	if (slot)
		atomic_store_explicit(slot, 0, memory_order_relaxed);
}

void flush_tlb_one(vaddr_t va)
{
	tlb_drop(smp_processor_id(), va & PAGE_MASK);
	vl_this_stats()->tlb_flush_one++;
}

void flush_tlb_kernel_range(vaddr_t start, vaddr_t end)
{
	uint32_t pages = (end - start) >> PAGE_SHIFT;
	struct vl_stats *st = vl_this_stats();

	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++)
		for (uint32_t i = 0; i < pages; i++)
			tlb_drop(cpu, start + (i << PAGE_SHIFT));
	st->tlb_flush_range++;
	st->tlb_flush_range_pages += pages;
}

int vl_translate(vaddr_t va, struct page **page)
{
	uint32_t cpu = smp_processor_id();
	_Atomic pte_t *slot;
	pte_t *ptep;
	pte_t pte;

	*page = vl_virt_to_page(va);
	if (*page)
		return 0;
	slot = tlb_slot(cpu, va, true);
	pte = slot ? atomic_load_explicit(slot, memory_order_relaxed) : 0;
	if (!pte) {
		vl_this_stats()->table_walks++;
		ptep = vl_pte_lookup(va);
		pte = ptep ? __atomic_load_n(ptep, __ATOMIC_ACQUIRE) : 0;
		if (!pte_present(pte))
			return -EFAULT;
		if (slot)
			atomic_store_explicit(slot, pte, memory_order_relaxed);
	}
	*page = pte_page(pte, va & PAGE_MASK);
	return 0;
}

/* Copy between @buf and [va, va+len) one page at a time. */
static int access_range(vaddr_t va, uint8_t *buf, uint32_t len, bool write)
{
	while (len) {
		uint32_t off = va & ~PAGE_MASK;
		uint32_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		struct page *page;
		uint8_t *data;

		if (vl_translate(va, &page))
			return -EFAULT;
		data = vl_page_data(page);
		if (write)
			memcpy(data + off, buf, n);
		else
			memcpy(buf, data + off, n);
		va += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int vl_read(vaddr_t va, void *buf, uint32_t len)
{
	return access_range(va, buf, len, false);
}

int vl_write(vaddr_t va, const void *buf, uint32_t len)
{
	return access_range(va, (uint8_t *)(uintptr_t)buf, len, true);
}

pte_t vl_tlb_peek(uint32_t cpu, vaddr_t va)
{
	_Atomic pte_t *slot = tlb_slot(cpu, va, false);

	return slot ? atomic_load_explicit(slot, memory_order_relaxed) : 0;
}

/* The first non-zero entry of w[i..n), or n; eight at a time first, as
 * the walks of the checker mostly cross empty space. */
static uint32_t skip_zero(const uint32_t *w, uint32_t i, uint32_t n)
{
	for (; i + 8 <= n; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			break;
	while (i < n && !w[i])
		i++;
	return i;
}

static int walk_ptes(vaddr_t start, vaddr_t end, bool skip_none,
		     int (*fn)(vaddr_t va, pte_t pte, void *arg), void *arg)
{
	const uint32_t shift = vl.layout->pmd_shift;
	const uint64_t lo = start & PAGE_MASK;
	/* every page [start, end) touches: end 0xFFFFFFFF takes the top one */
	const uint64_t hi = ((uint64_t)end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);

	for (uint32_t u = 0; u < nr_pgd_used; u++) {
		uint64_t base = (uint64_t)pgd_used[u] << shift;
		uint64_t from = lo > base ? lo : base;
		uint64_t to = base + (1ull << shift) < hi ? base + (1ull << shift) : hi;
		const pte_t *table = table_of(pgd_used[u]);
		uint32_t n = from < to ? (uint32_t)((to - base) >> PAGE_SHIFT) : 0;

		for (uint32_t i = (uint32_t)((from - base) >> PAGE_SHIFT); i < n; i++) {
			int r;

			if (skip_none && (i = skip_zero(table, i, n)) == n)
				break;
			if ((r = fn((vaddr_t)(base + ((uint64_t)i << PAGE_SHIFT)), table[i], arg)))
				return r;
		}
	}
	return 0;
}

vaddr_t vl_pte_vaddr(const pte_t *ptep)
{
	const uint32_t shift = vl.layout->pmd_shift;

	for (uint32_t u = 0; u < nr_pgd_used; u++) {
		const pte_t *table = table_of(pgd_used[u]);

		if (ptep >= table && ptep < table + vl.layout->ptrs_per_pte)
			return (pgd_used[u] << shift) | ((uint32_t)(ptep - table) << PAGE_SHIFT);
	}
	return 0;
}

int vl_for_each_pte(vaddr_t start, vaddr_t end,
		    int (*fn)(vaddr_t va, pte_t pte, void *arg), void *arg)
{
	return walk_ptes(start, end, false, fn, arg);
}

int vl_for_each_set_pte(vaddr_t start, vaddr_t end,
			int (*fn)(vaddr_t va, pte_t pte, void *arg), void *arg)
{
	return walk_ptes(start, end, true, fn, arg);
}

int vl_for_each_tlb(int (*fn)(uint32_t cpu, vaddr_t va, pte_t pte, void *arg),
		    void *arg)
{
	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++)
		for (uint32_t u = 0; u < tlbs[cpu]->nr_used; u++) {
			uint32_t d = tlbs[cpu]->used[u];
			_Atomic pte_t *chunk = atomic_load(&tlbs[cpu]->dir[d]);

			for (uint32_t i = 0; i < TLB_CHUNK; i++) {
				pte_t pte = atomic_load_explicit(&chunk[i], memory_order_relaxed);
				int r = pte ? fn(cpu, (d * TLB_CHUNK + i) << PAGE_SHIFT, pte, arg) : 0;

				if (r)
					return r;
			}
		}
	return 0;
}

void vl_mmu_init(void)
{
	swapper_pg_dir = calloc(1u << (32 - vl.layout->pmd_shift), sizeof(uint32_t));
	pgd_used = malloc(sizeof(uint32_t) << (32 - vl.layout->pmd_shift));
	nr_pgd_used = 0;
	if (!swapper_pg_dir || !pgd_used)
		vl_bug(__func__, "no host memory for swapper_pg_dir");
	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++)
		if (!tlbs[cpu] && !(tlbs[cpu] = calloc(1, sizeof(*tlbs[cpu]))))
			vl_bug(__func__, "no host memory for cpu%u's TLB", cpu);
}

void vl_mmu_exit(void)
{
	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++) {
		struct tlb *t = tlbs[cpu];

		for (uint32_t u = 0; u < t->nr_used; u++) {
			free((void *)atomic_load_explicit(&t->dir[t->used[u]], memory_order_relaxed));
			atomic_store_explicit(&t->dir[t->used[u]], NULL, memory_order_relaxed);
		}
		t->nr_used = 0;
	}
	free(swapper_pg_dir);
	free(pgd_used);
	swapper_pg_dir = NULL;
	pgd_used = NULL;
}
