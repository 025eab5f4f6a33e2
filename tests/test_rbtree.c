/*
 * The red-black tree (core/rbtree.c): after every insert and erase a
 * verifier written here checks the rules (black root, no red node with a
 * red child, one black height, parent pointers, keys in order) and, for
 * augmented trees, that every node's subtree_max_size is the largest size
 * in its subtree, with callbacks made the way the kernel's
 * RB_DECLARE_CALLBACKS_MAX makes them.
 */
#include <stdint.h>
#include <stdlib.h>
#include "vl_test.h"
#include "rbtree.h"

#define NR_KEYS 3000u

struct item {
	struct rb_node rb;
	uint32_t key;
	uint32_t size;
	uint32_t subtree_max_size;   /* max size in the subtree rooted here */
};

/* A fixed LCG (Numerical Recipes constants): the same keys on every host. */
static uint32_t lcg_state;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lcg_state >> 8;
}

static struct item *item_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct item, rb) : NULL;
}

/* What the augmented value must be, from the node and its children. */
static uint32_t compute_max(const struct item *it)
{
	uint32_t max = it->size;
	const struct item *l = item_of(it->rb.rb_left), *r = item_of(it->rb.rb_right);

	if (l && l->subtree_max_size > max)
		max = l->subtree_max_size;
	if (r && r->subtree_max_size > max)
		max = r->subtree_max_size;
	return max;
}

/* Callback calls, so a test can assert which ones an operation made. */
static uint32_t nr_propagate, nr_copy, nr_rotate;

static void aug_propagate(struct rb_node *rb, struct rb_node *stop)
{
	nr_propagate++;
	while (rb != stop) {
		struct item *it = item_of(rb);
		uint32_t max = compute_max(it);

		if (it->subtree_max_size == max)
			break;
		it->subtree_max_size = max;
		rb = rb_parent(rb);
	}
}

static void aug_copy(struct rb_node *old, struct rb_node *new)
{
	nr_copy++;
	item_of(new)->subtree_max_size = item_of(old)->subtree_max_size;
}

static void aug_rotate(struct rb_node *old, struct rb_node *new)
{
	nr_rotate++;
	item_of(new)->subtree_max_size = item_of(old)->subtree_max_size;
	item_of(old)->subtree_max_size = compute_max(item_of(old));
}

static const struct rb_augment_callbacks aug_cb = {
	.propagate = aug_propagate,
	.copy = aug_copy,
	.rotate = aug_rotate,
};

/* What one walk of the verifier carries along. */
struct verify {
	bool aug;                 /* check subtree_max_size too */
	uint32_t count;
	const struct item *prev;  /* last node seen in order */
};

/* Check the subtree at @n under @parent; returns its black height. */
static uint32_t verify_subtree(const struct rb_node *n, const struct rb_node *parent,
			       struct verify *v)
{
	const struct item *it = item_of(n);
	uint32_t left, right;

	if (!n)
		return 1;
	if (rb_parent(n) != parent)
		fail_msg("key %u: parent pointer wrong", it->key);
	if (rb_is_red(n) && (rb_is_red(n->rb_left) || rb_is_red(n->rb_right)))
		fail_msg("key %u: red node with a red child", it->key);
	left = verify_subtree(n->rb_left, n, v);
	if (v->prev && v->prev->key >= it->key)
		fail_msg("keys out of order: %u before %u", v->prev->key, it->key);
	v->prev = it;
	v->count++;
	right = verify_subtree(n->rb_right, n, v);
	if (left != right)
		fail_msg("key %u: black heights %u and %u", it->key, left, right);
	if (v->aug && it->subtree_max_size != compute_max(it))
		fail_msg("key %u: subtree_max_size %u, want %u", it->key,
			 it->subtree_max_size, compute_max(it));
	return left + !rb_is_red(n);
}

/* Fail unless @root is a valid red-black tree of @count nodes. */
static void verify(const struct rb_root *root, uint32_t count, bool aug)
{
	struct verify v = { .aug = aug };

	if (rb_is_red(root->rb_node))
		fail_msg("red root");
	verify_subtree(root->rb_node, NULL, &v);
	if (v.count != count)
		fail_msg("%u nodes, want %u", v.count, count);
}

/*
 * Insert @it by key.  For an augmented tree, raise subtree_max_size on the
 * way down before linking, as the kernel's users do.
 */
static void insert(struct rb_root *root, struct item *it, bool aug)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct item *cur = item_of(*link);

		assert_true(cur->key != it->key);
		parent = *link;
		if (aug && cur->subtree_max_size < it->size)
			cur->subtree_max_size = it->size;
		link = it->key < cur->key ? &parent->rb_left : &parent->rb_right;
	}
	it->subtree_max_size = it->size;
	rb_link_node(&it->rb, parent, link);
	if (aug)
		rb_insert_augmented(&it->rb, root, &aug_cb);
	else
		rb_insert_color(&it->rb, root);
}

static void erase(struct rb_root *root, struct item *it, bool aug)
{
	if (aug)
		rb_erase_augmented(&it->rb, root, &aug_cb);
	else
		rb_erase(&it->rb, root);
}

/* @n items with keys 0..n-1 and LCG sizes; the caller frees them. */
static struct item *make_items(uint32_t n)
{
	struct item *items = calloc(n, sizeof(*items));

	assert_non_null(items);
	lcg_state = 12345u;
	for (uint32_t i = 0; i < n; i++) {
		items[i].key = i;
		items[i].size = lcg() % 100000u;
	}
	return items;
}

/* A permutation of 0..n-1 from the LCG (Fisher-Yates). */
static uint32_t *shuffled(uint32_t n, uint32_t seed)
{
	uint32_t *order = malloc(n * sizeof(*order));

	assert_non_null(order);
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	lcg_state = seed;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = lcg() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	return order;
}

/* Insert items[order[i]] (order NULL: ascending), verifying after each. */
static void build(struct rb_root *root, struct item *items, const uint32_t *order,
		  uint32_t n, bool aug)
{
	for (uint32_t i = 0; i < n; i++) {
		insert(root, &items[order ? order[i] : i], aug);
		verify(root, i + 1, aug);
	}
}

/* @n fresh items inserted in LCG order @seed, verified after each; the caller frees them. */
static struct item *build_random(struct rb_root *root, uint32_t n, uint32_t seed, bool aug)
{
	struct item *items = make_items(n);
	uint32_t *order = shuffled(n, seed);

	build(root, items, order, n, aug);
	free(order);
	return items;
}

static void test_empty(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 7, .size = 3 };

	(void)state;
	assert_null(rb_first(&root));
	assert_null(rb_last(&root));
	verify(&root, 0, true);
	RB_CLEAR_NODE(&it.rb);
	assert_true(RB_EMPTY_NODE(&it.rb));
	assert_null(rb_next(&it.rb));
	assert_null(rb_prev(&it.rb));

	/* One node: black root, its own first and last; erasing it empties. */
	insert(&root, &it, true);
	verify(&root, 1, true);
	assert_false(RB_EMPTY_NODE(&it.rb));
	assert_ptr_equal(rb_first(&root), &it.rb);
	assert_ptr_equal(rb_last(&root), &it.rb);
	assert_null(rb_next(&it.rb));
	assert_null(rb_prev(&it.rb));
	erase(&root, &it, true);
	assert_null(root.rb_node);
	verify(&root, 0, true);
}

static void test_insert_ascending(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(NR_KEYS);

	(void)state;
	build(&root, items, NULL, NR_KEYS, false);
	free(items);
}

static void test_insert_descending(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(NR_KEYS);

	(void)state;
	for (uint32_t i = 0; i < NR_KEYS; i++) {
		insert(&root, &items[NR_KEYS - 1 - i], false);
		verify(&root, i + 1, false);
	}
	free(items);
}

static void test_insert_random(void **state)
{
	struct rb_root root = RB_ROOT;

	(void)state;
	free(build_random(&root, NR_KEYS, 1u, false));
}

/* A node to erase next, or NULL when the tree is empty. */
typedef struct item *(*pick_fn)(struct rb_root *root, struct item *items, uint32_t step);

static struct item *pick_root(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)items;
	(void)step;
	return item_of(root->rb_node);
}

/* The first leaf in key order, else (no leaf) the root. */
static struct item *pick_leaf(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)items;
	(void)step;
	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		if (!n->rb_left && !n->rb_right)
			return item_of(n);
	return item_of(root->rb_node);
}

/* The first node with two children in key order, else the root. */
static struct item *pick_two_children(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)items;
	(void)step;
	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		if (n->rb_left && n->rb_right)
			return item_of(n);
	return item_of(root->rb_node);
}

static struct item *pick_first(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)items;
	(void)step;
	return item_of(rb_first(root));
}

static struct item *pick_last(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)items;
	(void)step;
	return item_of(rb_last(root));
}

/* The erase order pick_order() follows: indices into the items. */
static const uint32_t *erase_order;

static struct item *pick_order(struct rb_root *root, struct item *items, uint32_t step)
{
	(void)root;
	return &items[erase_order[step]];
}

/* How many erased nodes had 0, 1 and 2 children. */
struct erase_kinds {
	uint32_t children[3];
};

/*
 * Build a random tree of @n, then erase what @pick chooses until it is
 * empty, verifying after every erase.
 */
static struct erase_kinds erase_all(uint32_t n, pick_fn pick, bool aug)
{
	struct rb_root root = RB_ROOT;
	struct item *items = build_random(&root, n, 2u, aug);
	struct erase_kinds kinds = { { 0 } };

	for (uint32_t i = 0; i < n; i++) {
		struct item *it = pick(&root, items, i);

		kinds.children[!!it->rb.rb_left + !!it->rb.rb_right]++;
		erase(&root, it, aug);
		verify(&root, n - 1 - i, aug);
	}
	assert_null(root.rb_node);
	free(items);
	return kinds;
}

static void test_erase_root(void **state)
{
	(void)state;
	assert_true(erase_all(1000, pick_root, false).children[2] > 0);
}

static void test_erase_leaves(void **state)
{
	(void)state;
	assert_true(erase_all(1000, pick_leaf, false).children[0] > 900);
}

static void test_erase_two_children(void **state)
{
	(void)state;
	assert_true(erase_all(1000, pick_two_children, false).children[2] > 300);
}

/* Erase everything in ascending, descending and random key order. */
static void test_erase_orders(void **state)
{
	const uint32_t n = 1000;
	uint32_t *order = shuffled(n, 3u);
	struct erase_kinds k;

	(void)state;
	erase_all(n, pick_first, false);
	erase_all(n, pick_last, false);
	erase_order = order;
	k = erase_all(n, pick_order, false);
	assert_true(k.children[0] > 0 && k.children[1] > 0 && k.children[2] > 0);
	free(order);
}

/* rb_first/rb_next and rb_last/rb_prev walk the keys in order. */
static void test_walks(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item *items = build_random(&root, NR_KEYS, 4u, false);
	uint32_t i = 0;
	struct rb_node *n;

	(void)state;
	/* Every other key out, so the walk crosses gaps in the keys. */
	for (uint32_t k = 0; k < NR_KEYS; k += 2)
		erase(&root, &items[k], false);
	verify(&root, NR_KEYS / 2, false);
	for (n = rb_first(&root); n; n = rb_next(n), i++)
		assert_int_equal(item_of(n)->key, 2 * i + 1);
	assert_int_equal(i, NR_KEYS / 2);
	for (n = rb_last(&root); n; n = rb_prev(n), i--)
		assert_int_equal(item_of(n)->key, 2 * i - 1);
	assert_int_equal(i, 0);
	free(items);
}

/* Augmented insert: every max right after each; it only ever calls rotate. */
static void test_augmented_insert(void **state)
{
	struct rb_root root = RB_ROOT;

	(void)state;
	nr_propagate = nr_copy = nr_rotate = 0;
	free(build_random(&root, NR_KEYS, 5u, true));
	assert_int_equal(nr_propagate, 0);
	assert_int_equal(nr_copy, 0);
	assert_true(nr_rotate > 0);
}

/*
 * Augmented erase in random order, always the root, nodes with two
 * children first, leaves first: every max right after each, and exactly
 * one copy per node with two children.
 */
static void test_augmented_erase(void **state)
{
	const uint32_t n = 1000;
	uint32_t *order = shuffled(n, 6u);
	struct erase_kinds k;

	(void)state;
	erase_order = order;
	nr_copy = 0;
	k = erase_all(n, pick_order, true);
	assert_true(k.children[2] > 0);
	assert_int_equal(nr_copy, k.children[2]);
	assert_true(erase_all(n, pick_root, true).children[2] > 0);
	assert_true(erase_all(n, pick_two_children, true).children[2] > 300);
	assert_true(erase_all(n, pick_leaf, true).children[0] > 900);
	free(order);
}

/* The item with the largest size (the first of equals), NULL if empty. */
static struct item *largest(const struct rb_root *root)
{
	struct item *max = NULL;

	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		if (!max || item_of(n)->size > max->size)
			max = item_of(n);
	return max;
}

/*
 * Erase the largest size each time, so the root's max must come down:
 * through both successor cases of a node with two children (successor is
 * the right child, or deeper).
 */
static void test_augmented_erase_max(void **state)
{
	const uint32_t n = 1000;
	struct rb_root root = RB_ROOT;
	struct item *items = build_random(&root, n, 7u, true);
	uint32_t deep = 0, right = 0;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		struct item *max = largest(&root);

		assert_int_equal(item_of(root.rb_node)->subtree_max_size, max->size);
		if (max->rb.rb_left && max->rb.rb_right) {
			if (max->rb.rb_right->rb_left)
				deep++;
			else
				right++;
		}
		erase(&root, max, true);
		verify(&root, n - 1 - i, true);
	}
	assert_true(deep > 0 && right > 0);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_ascending),
		cmocka_unit_test(test_insert_descending),
		cmocka_unit_test(test_insert_random),
		cmocka_unit_test(test_erase_root),
		cmocka_unit_test(test_erase_leaves),
		cmocka_unit_test(test_erase_two_children),
		cmocka_unit_test(test_erase_orders),
		cmocka_unit_test(test_walks),
		cmocka_unit_test(test_augmented_insert),
		cmocka_unit_test(test_augmented_erase),
		cmocka_unit_test(test_augmented_erase_max),
	};
	/* A broken rotation can make a cycle: fail instead of hanging. */
	watchdog(120);
	return cmocka_run_group_tests_name("rbtree", tests, NULL, NULL);
}
