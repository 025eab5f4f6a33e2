/*
 * Red-black trees as Linux 5.x has them (lib/rbtree.c,
 * include/linux/rbtree.h, include/linux/rbtree_augmented.h), for the
 * VMALLOC generations 2 and 3.  Same names, same calling convention: the
 * caller walks down its own comparison, links a red leaf with
 * rb_link_node() and calls rb_insert_color(); the tree only rebalances.
 *
 * One difference in layout, none in behaviour: the kernel packs the
 * parent pointer and the colour into one word (__rb_parent_color); here
 * they are two fields, so the code needs no pointer tagging and reads the
 * same on 32- and 64-bit hosts.
 *
 * No locking: the caller serialises (the kernel holds vmap_area_lock).
 */
#ifndef VL_RBTREE_H
#define VL_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

struct rb_node {
	struct rb_node *rb_parent;   /* NULL at the root; itself when cleared */
	struct rb_node *rb_left, *rb_right;
	bool rb_red;
};

struct rb_root {
	struct rb_node *rb_node;     /* NULL when empty */
};

#define RB_ROOT ((struct rb_root){ NULL })

/* The structure embedding @ptr as its @member (the kernel's container_of). */
#define rb_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* A node not in any tree points to itself, so it can be told from a root. */
#define RB_EMPTY_NODE(node) ((node)->rb_parent == (node))
#define RB_CLEAR_NODE(node) ((node)->rb_parent = (node))

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return n->rb_parent;
}

/* NULL stands for the leaves, which are black. */
static inline bool rb_is_red(const struct rb_node *n)
{
	return n && n->rb_red;
}

/*
 * rb_link_node - make @node a red leaf hanging from @parent at *@link
 * (&parent->rb_left, &parent->rb_right, or &root->rb_node with @parent
 * NULL).  The tree is unbalanced until rb_insert_color() follows.
 * Cannot fail.  Reproduces rb_link_node() of include/linux/rbtree.h.
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent = parent;
	node->rb_red = true;
	node->rb_left = node->rb_right = NULL;
	*link = node;
}

/*
 * rb_insert_color - rebalance @root after rb_link_node() put @node in
 * (recolourings up the path, at most two rotations).  Never fails;
 * assumes @node was just linked into @root and nothing else changed.
 * Reproduces rb_insert_color() of lib/rbtree.c, Linux 5.0.
 */
void rb_insert_color(struct rb_node *node, struct rb_root *root);

/*
 * rb_erase - unlink @node from @root and rebalance (at most three
 * rotations).  Never fails; assumes @node is in @root.  @node's fields
 * are left stale: RB_CLEAR_NODE() it if RB_EMPTY_NODE() is to be asked.
 * Reproduces rb_erase() of lib/rbtree.c, Linux 5.0.
 */
void rb_erase(struct rb_node *node, struct rb_root *root);

/*
 * rb_first / rb_last - the leftmost (smallest) or rightmost (largest)
 * node of @root, NULL if it is empty.  Reproduce rb_first() and rb_last()
 * of lib/rbtree.c, Linux 5.0.
 */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);

/*
 * rb_next / rb_prev - the in-order successor or predecessor of @node,
 * NULL past either end or if @node is RB_EMPTY_NODE().  O(log n) at
 * worst, O(1) amortised over a whole walk.  Reproduce rb_next() and
 * rb_prev() of lib/rbtree.c, Linux 5.0.
 */
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Augmented trees (include/linux/rbtree_augmented.h): each node keeps a
 * value computed from its subtree (VMALLOC generation 3: the largest free
 * size below it).  The tree tells the caller which nodes to recompute:
 *  - propagate(node, stop): recompute from @node up the parent chain,
 *    stopping before @stop (NULL: up to the root).  It may be called with
 *    @node == @stop, even both NULL, and must then do nothing; it may
 *    stop early once a value comes out unchanged.
 *  - copy(old, new_node): @new_node takes @old's place, so takes its value as is.
 *  - rotate(old, new_node): @new_node was rotated up to @old's place: it takes
 *    @old's value (same subtree) and @old is recomputed from its children.
 */
struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	void (*copy)(struct rb_node *old, struct rb_node *new_node);
	void (*rotate)(struct rb_node *old, struct rb_node *new_node);
};

/*
 * rb_insert_augmented - rb_insert_color() for an augmented tree: calls
 * @augment->rotate on each rotation, nothing else.  Assumes the caller
 * already raised the values along the insertion path and set @node's own
 * before linking it, as the kernel's users do.  Never fails.  Reproduces
 * rb_insert_augmented() of include/linux/rbtree_augmented.h, Linux 5.0.
 */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment);

/*
 * rb_erase_augmented - rb_erase() for an augmented tree: when @node has
 * two children its successor takes its place (copy), the successor's old
 * parent is recomputed up to the successor (propagate), then the place
 * where the shape changed up to the root (propagate with stop NULL), and
 * each rotation of the rebalancing calls rotate.  Never fails; assumes
 * @node is in @root.  Reproduces rb_erase_augmented() of
 * include/linux/rbtree_augmented.h, Linux 5.0.
 */
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment);

#endif
