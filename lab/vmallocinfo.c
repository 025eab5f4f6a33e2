/*
 * /proc/vmallocinfo snapshots: a parser for every format from 2.6.28 to
 * 6.x, and a replay that stands the snapshot up in the VMALLOC window.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "physmem.h"
#include "vmalloc.h"
#include "vmallocinfo.h"

/* ---- parsing ---------------------------------------------------------- */

/* One line being parsed; columns are 1-based bytes. */
struct vmi_line {
	const char *s;          /* the line without its end of line */
	size_t len;
	size_t pos;             /* next byte, 0-based */
	const char *name;
	uint32_t lineno;
	char *err;
	size_t errlen;
};

struct vmi_token {
	const char *s;
	size_t len;
	size_t col;
};

/* The word that says what made an area; a line holds at most one. */
enum vmi_maker { MADE_BY_NONE, MADE_BY_IOREMAP, MADE_BY_VMALLOC, MADE_BY_VMAP,
		 MADE_BY_SPARSE, MADE_BY_NR };
static const char *const maker_words[MADE_BY_NR] = {
	[MADE_BY_IOREMAP] = "ioremap", [MADE_BY_VMALLOC] = "vmalloc",
	[MADE_BY_VMAP] = "vmap", [MADE_BY_SPARSE] = "sparse",
};

/* What the words after the size said. */
struct vmi_words {
	enum vmi_maker maker;
	uint32_t pages;
	bool has_phys, has_user, has_vpages, has_dma;
};

static int vmi_error(const struct vmi_line *l, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vmi_error(const struct vmi_line *l, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!l->err || !l->errlen)
		return -EINVAL;
	n = snprintf(l->err, l->errlen, "%s:%u:%zu: ", l->name, l->lineno, col);
	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Only the form of a hex number counts: its value is never used. */
static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static bool token_is(const struct vmi_token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

static bool token_starts(const struct vmi_token *t, const char *prefix)
{
	size_t n = strlen(prefix);

	return t->len >= n && memcmp(t->s, prefix, n) == 0;
}

/* Next blank-separated token; false at the end of the line. */
static bool next_token(struct vmi_line *l, struct vmi_token *t)
{
	while (l->pos < l->len && is_blank(l->s[l->pos]))
		l->pos++;
	t->s = l->s + l->pos;
	t->col = l->pos + 1;
	while (l->pos < l->len && !is_blank(l->s[l->pos]))
		l->pos++;
	t->len = (size_t)(l->s + l->pos - t->s);
	return t->len != 0;
}

/* Kernel text never holds control characters; a binary file would. */
static int check_chars(const struct vmi_line *l)
{
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return vmi_error(l, i + 1, "control character 0x%02x", c);
	}
	return 0;
}

/* 1 to 16 hex digits from t->s[*i], stopping at the first non-digit. */
static int parse_hex(const struct vmi_line *l, const struct vmi_token *t,
		     size_t *i, const char *what)
{
	size_t start = *i;

	while (*i < t->len && is_hex_digit(t->s[*i])) {
		if (*i - start == 16)
			return vmi_error(l, t->col + *i, "%s wider than 64 bits", what);
		(*i)++;
	}
	if (*i == start)
		return vmi_error(l, t->col + *i, "expected hex digits of %s", what);
	return 0;
}

/* A decimal that fits 32 bits filling t->s[i..]; *val gets it. */
static int parse_dec(const struct vmi_line *l, const struct vmi_token *t,
		     size_t i, const char *what, uint32_t *val)
{
	uint64_t v = 0;
	size_t start = i;

	if (i == t->len)
		return vmi_error(l, t->col + i, "expected decimal %s", what);
	for (; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return vmi_error(l, t->col + i, "bad digit '%c' in %s",
					 t->s[i], what);
		v = v * 10u + (uint64_t)(t->s[i] - '0');
		if (v > UINT32_MAX)
			return vmi_error(l, t->col + start,
					 "%s does not fit 32 bits", what);
	}
	*val = (uint32_t)v;
	return 0;
}

static int parse_address(const struct vmi_line *l, const struct vmi_token *t,
			 size_t *i, const char *what)
{
	if (t->len - *i < 2 || t->s[*i] != '0' || t->s[*i + 1] != 'x')
		return vmi_error(l, t->col + *i, "expected '0x' before %s", what);
	*i += 2;
	return parse_hex(l, t, i, what);
}

/* "0x<hex>-0x<hex>": addresses are hashed (%pK), so only the form counts. */
static int parse_range(struct vmi_line *l)
{
	struct vmi_token t;
	size_t i = 0;
	int err;

	next_token(l, &t);
	err = parse_address(l, &t, &i, "start address");
	if (err)
		return err;
	if (i == t.len || t.s[i] != '-')
		return vmi_error(l, t.col + i, "expected '-' after start address");
	i++;
	err = parse_address(l, &t, &i, "end address");
	if (err)
		return err;
	if (i != t.len)
		return vmi_error(l, t.col + i, "unexpected '%c' after end address",
				 t.s[i]);
	return 0;
}

static int parse_size(struct vmi_line *l, uint32_t *size)
{
	struct vmi_token t;
	int err;

	if (!next_token(l, &t))
		return vmi_error(l, t.col, "expected size in bytes");
	err = parse_dec(l, &t, 0, "size", size);
	if (err)
		return err;
	if (*size == 0 || *size % PAGE_SIZE)
		return vmi_error(l, t.col, "size %u is not a positive multiple of %u",
				 *size, PAGE_SIZE);
	return 0;
}

static enum vmi_maker maker_of(const struct vmi_token *t)
{
	for (int m = MADE_BY_IOREMAP; m < MADE_BY_NR; m++)
		if (token_is(t, maker_words[m]))
			return (enum vmi_maker)m;
	return MADE_BY_NONE;
}

/* N<node>=<pages> from show_numa_info(). */
static bool is_numa_word(const struct vmi_token *t)
{
	size_t i = 1;

	if (t->len < 4 || t->s[0] != 'N')
		return false;
	while (i < t->len && t->s[i] >= '0' && t->s[i] <= '9')
		i++;
	return i > 1 && i < t->len && t->s[i] == '=';
}

static bool is_flag_word(const struct vmi_token *t)
{
	return maker_of(t) != MADE_BY_NONE || token_is(t, "user") ||
	       token_is(t, "vpages") || token_is(t, "dma-coherent") ||
	       token_starts(t, "pages=") || token_starts(t, "phys=") ||
	       is_numa_word(t);
}

static int set_once(const struct vmi_line *l, const struct vmi_token *t,
		    bool *seen)
{
	if (*seen)
		return vmi_error(l, t->col, "repeated '%.*s'", (int)t->len, t->s);
	*seen = true;
	return 0;
}

static int parse_pages(const struct vmi_line *l, const struct vmi_token *t,
		       uint32_t size, struct vmi_words *w)
{
	uint32_t pages;
	int err;

	if (w->pages)
		return vmi_error(l, t->col, "repeated 'pages='");
	err = parse_dec(l, t, 6, "page count", &pages);
	if (err)
		return err;
	if (pages == 0 || pages > size / PAGE_SIZE)
		return vmi_error(l, t->col + 6, "pages=%u does not fit a %u-byte area",
				 pages, size);
	w->pages = pages;
	return 0;
}

/* phys=: "%lx" before 3.x, "0x..." (%pa) since. */
static int parse_phys(const struct vmi_line *l, const struct vmi_token *t,
		      struct vmi_words *w)
{
	size_t i = 5;
	int err = set_once(l, t, &w->has_phys);

	if (err)
		return err;
	if (t->len - i >= 2 && t->s[i] == '0' && t->s[i + 1] == 'x')
		i += 2;
	err = parse_hex(l, t, &i, "physical address");
	if (!err && i != t->len)
		err = vmi_error(l, t->col + i, "bad hex digit '%c' in physical address",
				t->s[i]);
	return err;
}

static int parse_numa(const struct vmi_line *l, const struct vmi_token *t)
{
	uint32_t unused;
	size_t eq = (size_t)((const char *)memchr(t->s, '=', t->len) - t->s);

	return parse_dec(l, t, eq + 1, "node page count", &unused);
}

static int parse_word(const struct vmi_line *l, const struct vmi_token *t,
		      uint32_t size, struct vmi_words *w)
{
	enum vmi_maker maker = maker_of(t);

	if (maker != MADE_BY_NONE) {
		if (w->maker == maker)
			return vmi_error(l, t->col, "repeated '%s'", maker_words[maker]);
		if (w->maker != MADE_BY_NONE)
			return vmi_error(l, t->col, "'%s' conflicts with '%s'",
					 maker_words[maker], maker_words[w->maker]);
		w->maker = maker;
		return 0;
	}
	if (token_is(t, "user"))
		return set_once(l, t, &w->has_user);
	if (token_is(t, "vpages"))
		return set_once(l, t, &w->has_vpages);
	if (token_is(t, "dma-coherent"))
		return set_once(l, t, &w->has_dma);
	if (token_starts(t, "pages="))
		return parse_pages(l, t, size, w);
	if (token_starts(t, "phys="))
		return parse_phys(l, t, w);
	if (is_numa_word(t))
		return parse_numa(l, t);
	return vmi_error(l, t->col, "unknown word '%.*s'", (int)t->len, t->s);
}

/* %pS of a module symbol ends in "[module]" or "[module build-id]". */
static int skip_module(struct vmi_line *l, struct vmi_token *t, bool *more)
{
	size_t open_col = t->col;

	while (t->s[t->len - 1] != ']') {
		if (!next_token(l, t))
			return vmi_error(l, open_col, "unterminated '['");
	}
	*more = next_token(l, t);
	return 0;
}

/* The tails that stand alone: "unpurged vm_area" and "vm_map_ram". */
static int parse_bare(struct vmi_line *l, const struct vmi_token *t,
		      enum vl_vmi_kind *kind)
{
	struct vmi_token u;

	if (token_is(t, "unpurged")) {
		if (!next_token(l, &u) || !token_is(&u, "vm_area"))
			return vmi_error(l, u.col, "expected 'vm_area' after 'unpurged'");
		*kind = VMI_UNPURGED;
	} else {
		*kind = VMI_RESERVED;
	}
	if (next_token(l, &u))
		return vmi_error(l, u.col, "unexpected '%.*s' at end of line",
				 (int)u.len, u.s);
	return 0;
}

static enum vl_vmi_kind kind_of(const struct vmi_words *w)
{
	switch (w->maker) {
	case MADE_BY_IOREMAP:
		return VMI_IOREMAP;
	case MADE_BY_VMAP:
		return VMI_VMAP;
	case MADE_BY_VMALLOC:
		return w->pages ? VMI_VMALLOC : VMI_RESERVED;
	default:
		return VMI_RESERVED;
	}
}

/* Everything after the size: [caller [\[module\]]] words... */
static int parse_words(struct vmi_line *l, struct vl_vmi_entry *e)
{
	struct vmi_words w = { 0 };
	struct vmi_token t;
	bool more = next_token(l, &t);
	int err = 0;

	if (more && (token_is(&t, "unpurged") || token_is(&t, "vm_map_ram")))
		return parse_bare(l, &t, &e->kind);
	if (more && !is_flag_word(&t)) {
		more = next_token(l, &t);
		if (more && t.s[0] == '[')
			err = skip_module(l, &t, &more);
	}
	for (; more && !err; more = next_token(l, &t))
		err = parse_word(l, &t, e->size, &w);
	e->pages = w.pages;
	e->kind = kind_of(&w);
	return err;
}

/* The fields of a line; returns 1 for an entry, 0 if blank, or -EINVAL. */
static int parse_line(struct vmi_line *l, struct vl_vmi_entry *e)
{
	int err;

	while (l->pos < l->len && is_blank(l->s[l->pos]))
		l->pos++;
	if (l->pos == l->len)
		return 0;
	err = parse_range(l);
	if (!err)
		err = parse_size(l, &e->size);
	if (!err)
		err = parse_words(l, e);
	e->line = l->lineno;
	return err ? err : 1;
}

static int add_entry(struct vl_vmi *v, size_t *cap, const struct vl_vmi_entry *e)
{
	if (v->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 256;
		struct vl_vmi_entry *ne = realloc(v->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		v->e = ne;
		*cap = ncap;
	}
	v->e[v->n++] = *e;
	if (e->kind == VMI_UNPURGED)
		v->unpurged_bytes += e->size;
	else
		v->live_bytes += e->size;
	return 0;
}

/*
 * One line into @buf (VL_VMI_LINE_MAX bytes and one more, to see a line
 * that is too long), without its '\n'.  Returns 1 for a line, 0 at the
 * end of the file, -errno on a read error.  A longer line is cut: the
 * parse stops there, so the rest is never read.
 */
static int read_line(FILE *f, char *buf, size_t *len)
{
	int c = EOF;

	*len = 0;
	errno = 0;
	while (*len <= VL_VMI_LINE_MAX && (c = getc(f)) != EOF && c != '\n')
		buf[(*len)++] = (char)c;
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	return *len || c == '\n';
}

/*
 * A line as read_line() gave it: the first bad byte is reported, even in a
 * line cut for its length.  Returns 1 for an entry, 0 for a blank line, or
 * -EINVAL.
 */
static int parse_read_line(struct vmi_line *l, struct vl_vmi_entry *e)
{
	bool cut = l->len > VL_VMI_LINE_MAX;
	int err;

	if (!cut && l->len && l->s[l->len - 1] == '\r')
		l->len--;
	err = check_chars(l);
	if (err)
		return err;
	if (cut)
		return vmi_error(l, VL_VMI_LINE_MAX + 1,
				 "line longer than %u bytes", VL_VMI_LINE_MAX);
	return parse_line(l, e);
}

int vl_vmi_parse(FILE *f, const char *name, struct vl_vmi *out, char *err,
		 size_t errlen)
{
	struct vmi_line l = { .name = name, .err = err, .errlen = errlen };
	char *buf = malloc(VL_VMI_LINE_MAX + 1);
	size_t cap = 0;
	int ret = buf ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	while (!ret) {
		struct vl_vmi_entry e = { 0 };

		ret = read_line(f, buf, &l.len);
		if (ret <= 0)
			break;
		l.s = buf;
		l.pos = 0;
		l.lineno++;
		ret = parse_read_line(&l, &e);
		if (ret == 1)
			ret = add_entry(out, &cap, &e);
	}
	free(buf);
	if (ret)
		vl_vmi_free(out);
	return ret;
}

void vl_vmi_free(struct vl_vmi *v)
{
	free(v->e);
	memset(v, 0, sizeof(*v));
}

/* ---- replay ----------------------------------------------------------- */

/* Gen 1 adds a guard page to everything: the smallest area is 2 pages. */
#define VMI_MIN_BYTES (2u * PAGE_SIZE)

static uint64_t occupancy(const struct vl_vmi_entry *e)
{
	return e->size < VMI_MIN_BYTES ? VMI_MIN_BYTES : e->size;
}

/* The entry's bytes scaled by num/den (integers: the same on every host). */
static uint32_t scaled_bytes(const struct vl_vmi_entry *e, uint64_t num,
			     uint64_t den)
{
	uint64_t bytes = (occupancy(e) * num / den) & ~(uint64_t)(PAGE_SIZE - 1u);

	return bytes < VMI_MIN_BYTES ? VMI_MIN_BYTES : (uint32_t)bytes;
}

/* The frames vmap_fresh() took, and their array. */
static void free_page_list(struct page **pages, uint32_t nr)
{
	for (uint32_t i = 0; i < nr; i++)
		__free_page(pages[i]);
	free(pages);
}

/* vmap() of @count new highmem-first frames; *vpages records them. */
static int vmap_fresh(uint32_t count, vaddr_t *addr, struct page ***vpages)
{
	struct page **pages = calloc(count, sizeof(*pages));
	uint32_t got = 0;

	if (!pages)
		return -ENOMEM;
	while (got < count && (pages[got] = alloc_page(GFP_HIGHUSER)))
		got++;
	*addr = got == count ? vmap(pages, count, VM_MAP, PAGE_KERNEL) : 0;
	if (*addr) {
		*vpages = pages;
		return 0;
	}
	free_page_list(pages, got);
	return -ENOMEM;
}

/* Place one area of @bytes (guard included) the way its kind was made. */
static int place(enum vl_vmi_kind kind, uint32_t bytes, vaddr_t *addr,
		 struct page ***vpages, uint32_t *nr)
{
	struct vm_struct *area;

	*vpages = NULL;
	*nr = 0;
	switch (kind) {
	case VMI_VMALLOC:
		*addr = vmalloc(bytes - PAGE_SIZE);
		return *addr ? 0 : -ENOMEM;
	case VMI_VMAP:
		*nr = bytes / PAGE_SIZE - 1u;
		return vmap_fresh(*nr, addr, vpages);
	case VMI_IOREMAP:
		area = get_vm_area(bytes - PAGE_SIZE, VM_IOREMAP);
		break;
	default:
		area = get_vm_area(bytes - PAGE_SIZE, VM_ALLOC);
		break;
	}
	if (!area)
		return -ENOMEM;
	*addr = area->addr;
	return 0;
}

/*
 * How a replay sizes things: holes or not, the sampling, the scale.  The
 * planned entries are sampled and scaled together: the live ones, and with
 * lazy freeing the unpurged ones too (they hold their space until a purge).
 */
struct vmi_plan {
	bool holes, lazy;
	uint32_t n_planned;
	uint32_t stride, kept;     /* planned entries 0, stride, 2 * stride... */
	uint64_t num, den;
};

static bool is_planned(const struct vmi_plan *p, const struct vl_vmi_entry *e)
{
	return e->kind != VMI_UNPURGED || p->lazy;
}

static bool is_kept(const struct vmi_plan *p, uint32_t planned_index)
{
	return planned_index % p->stride == 0;
}

/* The smallest stride leaving at most budget / 2 in 2-page minimums. */
static uint32_t stride_for(uint32_t n_planned, uint64_t budget)
{
	uint64_t most = budget / 2 / VMI_MIN_BYTES;

	if (most == 0)
		most = 1;
	return n_planned > most ? (uint32_t)((n_planned + most - 1) / most) : 1u;
}

/* Occupancy of the kept planned entries. */
static uint64_t kept_bytes(const struct vl_vmi *v, const struct vmi_plan *p)
{
	uint64_t bytes = 0;
	uint32_t j = 0;

	for (uint32_t i = 0; i < v->n; i++)
		if (is_planned(p, &v->e[i]) && is_kept(p, j++))
			bytes += occupancy(&v->e[i]);
	return bytes;
}

static struct vmi_plan plan_replay(const struct vl_vmi *v, uint64_t budget)
{
	struct vmi_plan p = { .num = 1, .den = 1, .stride = 1, .lazy = vl.lazy };
	uint64_t planned = 0, all = 0, kept_min;

	for (uint32_t i = 0; i < v->n; i++) {
		all += occupancy(&v->e[i]);
		if (is_planned(&p, &v->e[i])) {
			p.n_planned++;
			planned += occupancy(&v->e[i]);
		}
	}
	p.holes = p.lazy || all <= budget;
	p.kept = p.n_planned;
	if (planned <= budget)
		return p;
	p.stride = stride_for(p.n_planned, budget);
	p.kept = (p.n_planned - 1) / p.stride + 1;
	planned = kept_bytes(v, &p);
	kept_min = (uint64_t)p.kept * VMI_MIN_BYTES;
	if (planned > budget) {
		/* each area gets at most a page-rounded share plus 2 pages */
		p.num = budget > kept_min ? budget - kept_min : 0;
		p.den = planned;
	}
	return p;
}

/* vfree() the unpurged areas: holes, or lazily freed areas (counted). */
static void free_holes(vaddr_t *holes, uint32_t n, struct vl_vmi_replay *rep)
{
	for (uint32_t i = 0; i < n; i++)
		vfree(holes[i]);
	for (uint32_t i = 0; i < n; i++)   /* a purge may have taken some */
		rep->lazy += vl_vmap_lazy_covers(holes[i]);
	free(holes);
}

/* Is entry @e, the @index-th planned one if planned, placed? */
static bool is_placed(const struct vmi_plan *p, const struct vl_vmi_entry *e,
		      uint32_t index)
{
	if (e->kind == VMI_UNPURGED && !p->holes)
		return false;
	return !is_planned(p, e) || is_kept(p, index);
}

/*
 * Places the planned entries in file order; holes[] collects the unpurged,
 * dropped and skipped count the entries left out.
 */
static int place_all(const struct vl_vmi *v, const struct vmi_plan *p,
		     struct vl_vmi_replay *rep, vaddr_t *holes, uint32_t *nholes)
{
	uint32_t index = 0;

	for (uint32_t i = 0; i < v->n; i++) {
		const struct vl_vmi_entry *e = &v->e[i];
		uint32_t bytes = scaled_bytes(e, p->num, p->den);
		bool placed = is_placed(p, e, index);
		struct page **unused;
		uint32_t h = rep->nr_handles, none;

		index += is_planned(p, e);
		if (!placed) {
			*(e->kind == VMI_UNPURGED ? &rep->skipped : &rep->dropped) += 1;
			continue;
		}
		if (e->kind == VMI_UNPURGED) {
			if (place(VMI_RESERVED, bytes, &holes[*nholes], &unused, &none))
				return -ENOMEM;
			(*nholes)++;
			continue;
		}
		if (place(e->kind, bytes, &rep->handles[h], &rep->vmap_pages[h],
			  &rep->vmap_nr[h]))
			return -ENOMEM;
		rep->nr_handles++;
		rep->bytes += bytes;
	}
	return 0;
}

int vl_vmi_populate(const struct vl_vmi *v, double fill,
		    struct vl_vmi_replay *rep)
{
	uint32_t window = vl.layout->vmalloc_end - vl.layout->vmalloc_start;
	struct vmi_plan p;
	vaddr_t *holes;
	uint32_t nholes = 0;
	int err;

	memset(rep, 0, sizeof(*rep));
	rep->scale = 1.0;
	rep->stride = 1;
	if (!(fill > 0.0 && fill <= 1.0))
		return -EINVAL;
	p = plan_replay(v, (uint64_t)(fill * (double)window));
	rep->scale = (double)p.num / (double)p.den;
	rep->stride = p.stride;
	rep->holes_kept = p.holes;
	rep->handles = calloc((size_t)p.kept + 1, sizeof(*rep->handles));
	rep->vmap_pages = calloc((size_t)p.kept + 1, sizeof(*rep->vmap_pages));
	rep->vmap_nr = calloc((size_t)p.kept + 1, sizeof(*rep->vmap_nr));
	holes = calloc((size_t)v->n + 1, sizeof(*holes));
	err = rep->handles && rep->vmap_pages && rep->vmap_nr && holes ? 0 : -ENOMEM;
	if (!err)
		err = place_all(v, &p, rep, holes, &nholes);
	free_holes(holes, nholes, rep);
	if (err) {
		vl_vmi_depopulate(rep);
		memset(rep, 0, sizeof(*rep));
		return err;
	}
	rep->areas = rep->nr_handles;
	return 0;
}

void vl_vmi_depopulate(struct vl_vmi_replay *rep)
{
	for (uint32_t i = 0; i < rep->nr_handles; i++) {
		if (rep->vmap_pages[i]) {
			vunmap(rep->handles[i]);
			free_page_list(rep->vmap_pages[i], rep->vmap_nr[i]);
		} else {
			vfree(rep->handles[i]);
		}
	}
	free(rep->handles);
	free(rep->vmap_pages);
	free(rep->vmap_nr);
	rep->handles = NULL;
	rep->vmap_pages = NULL;
	rep->vmap_nr = NULL;
	rep->nr_handles = 0;
	rep->areas = 0;
	rep->bytes = 0;
}
