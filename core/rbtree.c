/*
 * Red-black trees: the algorithm of lib/rbtree.c, Linux 5.0 (see
 * rbtree.h).  The rules kept after every call: the root is black, a red
 * node has only black children, and every path from a node down to a
 * leaf (NULL, black) crosses the same number of black nodes.  So no path
 * is more than twice as long as another: height <= 2 log2(n + 1).
 *
 * The kernel writes each fix-up twice, once per side.  Here each is
 * written once for a side @dir (false: left, true: right) and reached
 * through rb_link_of(), so the two mirrors cannot drift apart.  The case
 * numbers are the kernel's, so the two can be read side by side.
 */
#include "rbtree.h"

/* The slot holding @n's child on side @dir. */
static struct rb_node **rb_link_of(struct rb_node *n, bool dir)
{
	return dir ? &n->rb_right : &n->rb_left;
}

static void rb_set_parent_color(struct rb_node *n, struct rb_node *parent, bool red)
{
	n->rb_parent = parent;
	n->rb_red = red;
}

/* Point whatever pointed to @old (its parent's slot or the root) at @new. */
static void __rb_change_child(struct rb_node *old, struct rb_node *new,
			      struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/*
 * The end of a rotation that lifts @new above @old, their child slots
 * already rewired: @new takes @old's parent and colour, @old hangs under
 * @new with colour @red.
 */
static void __rb_rotate_set_parents(struct rb_node *old, struct rb_node *new,
				    struct rb_root *root, bool red)
{
	struct rb_node *parent = old->rb_parent;

	rb_set_parent_color(new, parent, old->rb_red);
	rb_set_parent_color(old, new, red);
	__rb_change_child(old, new, parent, root);
}

/*
 * Restore the rules after red @node was linked.  The only possible fault
 * is a red node under a red parent; each pass either ends it or moves it
 * two levels up.
 */
static void __rb_insert(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	struct rb_node *parent = node->rb_parent, *gparent, *tmp;
	bool dir;

	for (;;) {
		if (!parent) {
			rb_set_parent_color(node, NULL, false);
			return;
		}
		if (!parent->rb_red)
			return;
		/* A red parent is never the root, so gparent exists. */
		gparent = parent->rb_parent;
		dir = parent == gparent->rb_right;
		tmp = *rb_link_of(gparent, !dir);
		if (rb_is_red(tmp)) {
			/* Case 1: red uncle.  Push the blackness down, recurse at gparent. */
			rb_set_parent_color(tmp, gparent, false);
			rb_set_parent_color(parent, gparent, false);
			node = gparent;
			parent = node->rb_parent;
			node->rb_red = true;
			continue;
		}
		tmp = *rb_link_of(parent, !dir);
		if (node == tmp) {
			/* Case 2: node is an inner grandchild: rotate it above parent. */
			tmp = *rb_link_of(node, dir);
			*rb_link_of(parent, !dir) = tmp;
			*rb_link_of(node, dir) = parent;
			if (tmp)
				rb_set_parent_color(tmp, parent, false);
			rb_set_parent_color(parent, node, true);
			augment->rotate(parent, node);
			parent = node;
			tmp = *rb_link_of(node, !dir);
		}
		/* Case 3: outer grandchild: rotate parent above gparent, swap colours. */
		*rb_link_of(gparent, dir) = tmp;
		*rb_link_of(parent, !dir) = gparent;
		if (tmp)
			rb_set_parent_color(tmp, gparent, false);
		__rb_rotate_set_parents(gparent, parent, root, true);
		augment->rotate(gparent, parent);
		return;
	}
}

/*
 * Restore the rules after a black leaf went from under @parent: the
 * paths through the emptied side (where @node is) are one black short.
 * Each pass either pays the debt with a red node or moves it one level up.
 */
static void __rb_erase_color(struct rb_node *parent, struct rb_root *root,
			     const struct rb_augment_callbacks *augment)
{
	struct rb_node *node = NULL, *sibling, *tmp1, *tmp2;
	bool dir;

	for (;;) {
		/* The short side has fewer black nodes, so the sibling exists. */
		dir = node == parent->rb_right;
		sibling = *rb_link_of(parent, !dir);
		if (sibling->rb_red) {
			/* Case 1: red sibling: rotate it above parent, so the sibling is black. */
			tmp1 = *rb_link_of(sibling, dir);
			*rb_link_of(parent, !dir) = tmp1;
			*rb_link_of(sibling, dir) = parent;
			rb_set_parent_color(tmp1, parent, false);
			__rb_rotate_set_parents(parent, sibling, root, true);
			augment->rotate(parent, sibling);
			sibling = tmp1;
		}
		tmp1 = *rb_link_of(sibling, !dir);
		if (!rb_is_red(tmp1)) {
			tmp2 = *rb_link_of(sibling, dir);
			if (!rb_is_red(tmp2)) {
				/*
				 * Case 2: black sibling with black children: make it
				 * red so both sides are short, then a red parent
				 * pays by turning black, a black one passes it up.
				 */
				rb_set_parent_color(sibling, parent, true);
				if (parent->rb_red) {
					parent->rb_red = false;
					return;
				}
				node = parent;
				parent = node->rb_parent;
				if (!parent)
					return;
				continue;
			}
			/*
			 * Case 3: only the inner nephew is red: rotate it above
			 * the sibling.  Case 4 right below settles the parent
			 * pointers and colours, and rewrites parent's slot (the
			 * kernel also stores it here, for lockless readers the
			 * lab does not have).
			 */
			tmp1 = *rb_link_of(tmp2, !dir);
			*rb_link_of(sibling, dir) = tmp1;
			*rb_link_of(tmp2, !dir) = sibling;
			if (tmp1)
				rb_set_parent_color(tmp1, sibling, false);
			augment->rotate(sibling, tmp2);
			tmp1 = sibling;
			sibling = tmp2;
		}
		/*
		 * Case 4: the outer nephew is red: rotate the sibling above
		 * parent; it takes parent's colour, parent and the nephew turn
		 * black, which adds the missing black to the short side.
		 */
		tmp2 = *rb_link_of(sibling, dir);
		*rb_link_of(parent, !dir) = tmp2;
		*rb_link_of(sibling, dir) = parent;
		rb_set_parent_color(tmp1, sibling, false);
		if (tmp2)
			tmp2->rb_parent = parent;
		__rb_rotate_set_parents(parent, sibling, root, false);
		augment->rotate(parent, sibling);
		return;
	}
}

/*
 * Unlink a node with two children: its successor (leftmost of the right
 * subtree) takes its place and colour.  Returns where rebalancing must
 * start (NULL if none) and sets *@changed to the lowest node whose
 * subtree changed, for the final propagate.
 */
static struct rb_node *__rb_erase_inner(struct rb_node *node, struct rb_root *root,
					const struct rb_augment_callbacks *augment,
					struct rb_node **changed)
{
	struct rb_node *child = node->rb_right, *successor = child, *parent, *child2;
	struct rb_node *tmp = child->rb_left;
	bool successor_red;

	if (!tmp) {
		/* Case 2: the successor is the right child; it keeps its right subtree. */
		parent = successor;
		child2 = successor->rb_right;
		augment->copy(node, successor);
	} else {
		/* Case 3: the successor is deeper; its right child takes its slot. */
		do {
			parent = successor;
			successor = tmp;
			tmp = tmp->rb_left;
		} while (tmp);
		child2 = successor->rb_right;
		parent->rb_left = child2;
		successor->rb_right = child;
		child->rb_parent = successor;
		augment->copy(node, successor);
		augment->propagate(parent, successor);
	}
	tmp = node->rb_left;
	successor->rb_left = tmp;
	tmp->rb_parent = successor;
	__rb_change_child(node, successor, node->rb_parent, root);
	successor_red = successor->rb_red;
	rb_set_parent_color(successor, node->rb_parent, node->rb_red);
	*changed = successor;
	if (child2) {
		/* A lone child is red under a black node: blacken it, done. */
		rb_set_parent_color(child2, parent, false);
		return NULL;
	}
	return successor_red ? NULL : parent;
}

static void __rb_erase(struct rb_node *node, struct rb_root *root,
		       const struct rb_augment_callbacks *augment)
{
	struct rb_node *child = node->rb_left ? node->rb_left : node->rb_right;
	struct rb_node *parent, *rebalance, *changed;

	if (node->rb_left && node->rb_right) {
		rebalance = __rb_erase_inner(node, root, augment, &changed);
	} else {
		/*
		 * Case 1: at most one child, which is then red under a black
		 * node: it takes the node's place and colour.  Removing a
		 * childless black node leaves its parent's side short.
		 */
		parent = node->rb_parent;
		__rb_change_child(node, child, parent, root);
		if (child) {
			rb_set_parent_color(child, parent, node->rb_red);
			rebalance = NULL;
		} else {
			rebalance = node->rb_red ? NULL : parent;
		}
		changed = parent;
	}
	augment->propagate(changed, NULL);
	if (rebalance)
		__rb_erase_color(rebalance, root, augment);
}

/* The plain tree is the augmented one with callbacks that do nothing. */
static void dummy_propagate(struct rb_node *node, struct rb_node *stop)
{
	(void)node;
	(void)stop;
}

static void dummy_copy_rotate(struct rb_node *old, struct rb_node *new)
{
	(void)old;
	(void)new;
}

static const struct rb_augment_callbacks dummy_callbacks = {
	.propagate = dummy_propagate,
	.copy = dummy_copy_rotate,
	.rotate = dummy_copy_rotate,
};

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	__rb_insert(node, root, &dummy_callbacks);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	__rb_erase(node, root, &dummy_callbacks);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment)
{
	__rb_insert(node, root, augment);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	__rb_erase(node, root, augment);
}

/* The last node going down side @dir from @n (NULL for an empty tree). */
static struct rb_node *rb_extreme(struct rb_node *n, bool dir)
{
	if (n)
		while (*rb_link_of(n, dir))
			n = *rb_link_of(n, dir);
	return n;
}

/*
 * The neighbour of @node on side @dir in key order: the extreme of the
 * subtree on that side, or else the first ancestor reached from the
 * other side.  The const is dropped as the kernel does: walking hands
 * back nodes the caller owns.
 */
static struct rb_node *rb_step(const struct rb_node *cnode, bool dir)
{
	struct rb_node *node = (struct rb_node *)cnode, *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (*rb_link_of(node, dir))
		return rb_extreme(*rb_link_of(node, dir), !dir);
	while ((parent = node->rb_parent) && node == *rb_link_of(parent, dir))
		node = parent;
	return parent;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return rb_extreme(root->rb_node, false);
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return rb_extreme(root->rb_node, true);
}

struct rb_node *rb_next(const struct rb_node *node)
{
	return rb_step(node, true);
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	return rb_step(node, false);
}
