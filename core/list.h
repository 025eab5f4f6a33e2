/*
 * Circular doubly linked lists, the kernel's struct list_head
 * (include/linux/list.h): the address-ordered lists of vmap_areas.
 */
#ifndef VL_LIST_H
#define VL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* An empty list points at itself both ways. */
static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

/* Link @n between two neighbours that are next to each other. */
static inline void list_link(struct list_head *n, struct list_head *prev,
			     struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* list_add - @n right after @pos (at the head when @pos is the list). */
static inline void list_add(struct list_head *n, struct list_head *pos)
{
	list_link(n, pos, pos->next);
}

/* list_add_tail - @n right before @pos (at the tail when @pos is the list). */
static inline void list_add_tail(struct list_head *n, struct list_head *pos)
{
	list_link(n, pos->prev, pos);
}

/* list_del - unlink @n; it points at itself afterwards (list_empty). */
static inline void list_del(struct list_head *n)
{
	n->next->prev = n->prev;
	n->prev->next = n->next;
	INIT_LIST_HEAD(n);
}

#endif
