/*
 * The hashed page -> address table of 2.6.12 mm/highmem.c (a 32-bit
 * kernel without WANT_PAGE_VIRTUAL).  Highmem pages have no permanent
 * address, so the PKMAP address of each kmapped page lives in one of 128
 * buckets, each a list under its own lock.  List nodes come from a pool of
 * LAST_PKMAP, one per PKMAP slot, so recording an address never allocates.
 */
#include <pthread.h>
#include "highmem.h"
#include "physmem.h"

#define GOLDEN_RATIO_PRIME_32 0x9e370001u

struct page_address_map {
	const struct page *page;
	vaddr_t virtual;
	struct page_address_map *next;
};

static struct page_address_slot {
	struct page_address_map *head;
	pthread_mutex_t lock;
} page_address_htable[1u << PA_HASH_ORDER];

static struct page_address_map page_address_maps[LAST_PKMAP_MAX];
static struct page_address_map *page_address_pool;  /* free list */
static uint32_t pool_free;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t hash_ptr(vaddr_t ptr, uint32_t bits)
{
	return (uint32_t)(ptr * GOLDEN_RATIO_PRIME_32) >> (32u - bits);
}

static struct page_address_slot *page_slot(const struct page *page)
{
	return &page_address_htable[hash_ptr(vl_page_kva(page), PA_HASH_ORDER)];
}

vaddr_t page_address(const struct page *page)
{
	struct page_address_slot *pas;
	const struct page_address_map *pam;
	vaddr_t ret = 0;

	if (!PageHighMem(page))
		return lowmem_page_address(page);
	pas = page_slot(page);
	pthread_mutex_lock(&pas->lock);
	for (pam = pas->head; pam; pam = pam->next)
		if (pam->page == page) {
			ret = pam->virtual;
			break;
		}
	pthread_mutex_unlock(&pas->lock);
	return ret;
}

static struct page_address_map *pool_take(void)
{
	struct page_address_map *pam;

	pthread_mutex_lock(&pool_lock);
	pam = page_address_pool;
	if (!pam) {
		pthread_mutex_unlock(&pool_lock);
		vl_bug("set_page_address", "page_address pool empty");
	}
	page_address_pool = pam->next;
	pool_free--;
	pthread_mutex_unlock(&pool_lock);
	return pam;
}

static void pool_put(struct page_address_map *pam)
{
	pthread_mutex_lock(&pool_lock);
	pam->next = page_address_pool;
	page_address_pool = pam;
	pool_free++;
	pthread_mutex_unlock(&pool_lock);
}

/* Unlink @page's entry from its bucket; NULL if it has none. */
static struct page_address_map *slot_remove(struct page_address_slot *pas,
					    const struct page *page)
{
	struct page_address_map **link, *pam = NULL;

	pthread_mutex_lock(&pas->lock);
	for (link = &pas->head; *link; link = &(*link)->next)
		if ((*link)->page == page) {
			pam = *link;
			*link = pam->next;
			break;
		}
	pthread_mutex_unlock(&pas->lock);
	return pam;
}

void set_page_address(struct page *page, vaddr_t virt)
{
	struct page_address_slot *pas;
	struct page_address_map *pam;

	BUG_ON(!PageHighMem(page));
	pas = page_slot(page);
	if (!virt) {
		pam = slot_remove(pas, page);
		if (pam)
			pool_put(pam);
		return;
	}
	pam = pool_take();
	pam->page = page;
	pam->virtual = virt;
	pthread_mutex_lock(&pas->lock);
	pam->next = pas->head;
	pas->head = pam;
	pthread_mutex_unlock(&pas->lock);
}

uint32_t vl_page_address_pool_free(void)
{
	uint32_t n;

	pthread_mutex_lock(&pool_lock);
	n = pool_free;
	pthread_mutex_unlock(&pool_lock);
	return n;
}

int vl_page_address_for_each(int (*fn)(const struct page *page, vaddr_t virt,
					 uint32_t bucket, void *arg), void *arg)
{
	int r = 0;

	for (uint32_t b = 0; b < (1u << PA_HASH_ORDER) && !r; b++) {
		struct page_address_slot *pas = &page_address_htable[b];

		/* most buckets are empty: a peek spares their lock */
		if (!__atomic_load_n(&pas->head, __ATOMIC_ACQUIRE))
			continue;
		pthread_mutex_lock(&pas->lock);
		for (const struct page_address_map *pam = pas->head; pam && !r; pam = pam->next)
			r = fn(pam->page, pam->virtual, b, arg);
		pthread_mutex_unlock(&pas->lock);
	}
	return r;
}

void page_address_init(void)
{
	/* fresh locks: the last machine may have BUGged holding one */
	vl_mutex_reset(&pool_lock);
	for (uint32_t i = 0; i < (1u << PA_HASH_ORDER); i++) {
		vl_mutex_reset(&page_address_htable[i].lock);
		page_address_htable[i].head = NULL;
	}
	page_address_pool = NULL;
	for (uint32_t i = 0; i < LAST_PKMAP; i++) {
		page_address_maps[i].next = page_address_pool;
		page_address_pool = &page_address_maps[i];
	}
	pool_free = LAST_PKMAP;
}
