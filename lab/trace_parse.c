/*
 * Trace parser.  The whole trace is checked before anything runs, so a
 * malformed trace prints only its first fault, as FILE:LINE:COL: message.
 * Input is read as a stream, a byte at a time: a bad byte is reported
 * where it stands, however long the input (docs/trace-language.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixmap.h"
#include "trace.h"
#include "types.h"

/* The most words any line but vmap has: write NAME OFFSET BYTE cpu=N. */
#define MAX_FIXED_WORDS 5u

struct token {
	const char *s;      /* NUL-terminated, in parser.buf */
	uint32_t col;       /* 1-based */
};

/* Name -> index into vl_trace.names: open addressing, linear probing. */
struct name_table {
	uint32_t *slot;     /* index + 1; 0 empty */
	uint32_t mask;      /* slots - 1, a power of two minus one */
};

struct parser {
	const char *file;
	FILE *f;                           /* the stream, or NULL: */
	const unsigned char *mem, *mem_end; /* bytes in memory */
	uint32_t line;
	struct token *tok;
	uint32_t ntok, cap_tok;
	char *buf;          /* the current line's words, NUL-separated */
	size_t buf_len, buf_cap;
	struct vl_trace *t;
	struct name_table names;
	uint8_t *bound;     /* per name: currently bound */
	uint64_t *span;     /* per name: bytes its mapping reaches */
	uint32_t cap_ops, cap_names;
	bool in_ops;        /* headers are over */
	uint32_t cpus_line, cpus_col;
	uint32_t size_line, size_col;       /* vmalloc-size */
	uint32_t lazy_line, lazy_on_col;    /* lazy-purge on (col 0: not on) */
	char *err;
	size_t errlen;
};

static int perr(struct parser *p, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, uint32_t col, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->file, p->line, col);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int next_byte(struct parser *p)
{
	if (p->f)
		return getc_unlocked(p->f);
	return p->mem < p->mem_end ? *p->mem++ : EOF;
}

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	void *n;

	if (need <= *cap)
		return 0;
	n = realloc(*arr, elem * (*cap ? *cap * 2 : 16));
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

static int put_char(struct parser *p, char c)
{
	if (p->buf_len == p->buf_cap) {
		size_t cap = p->buf_cap ? p->buf_cap * 2 : 256;
		char *n = realloc(p->buf, cap);

		if (!n)
			return -ENOMEM;
		p->buf = n;
		p->buf_cap = cap;
	}
	p->buf[p->buf_len++] = c;
	return 0;
}

/* Word starts are kept as offsets while the buffer may move. */
static int start_word(struct parser *p, uint32_t col)
{
	if (grow((void **)&p->tok, &p->cap_tok, p->ntok + 1, sizeof(*p->tok)))
		return -ENOMEM;
	p->tok[p->ntok].s = (const char *)(uintptr_t)p->buf_len;
	p->tok[p->ntok++].col = col;
	return 0;
}

/* A line that is not vmap cannot use more words: stop reading it there. */
static bool line_full(const struct parser *p)
{
	return p->ntok > MAX_FIXED_WORDS && strcmp(p->buf, "vmap") != 0;
}

/*
 * Read one line into words (comments dropped, never stored).  Returns 1,
 * 0 at the end of input, or an error.  Columns count bytes from 1 and
 * stop at UINT32_MAX.
 */
static int read_line(struct parser *p)
{
	uint32_t col = 0, wlen = 0;
	bool comment = false, in_word = false, full = false;
	int c;

	p->ntok = 0;
	p->buf_len = 0;
	p->line++;
	while ((c = next_byte(p)) != EOF && c != '\n') {
		col += col < UINT32_MAX;
		if (comment || full)
			continue;
		if (c == '#' || c == ' ' || c == '\t' || c == '\r') {
			comment = c == '#';
			if (in_word && put_char(p, '\0'))
				return -ENOMEM;
			in_word = false;
			full = line_full(p);
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return perr(p, col, "unexpected byte 0x%02x", c);
		if (!in_word && start_word(p, col))
			return -ENOMEM;
		wlen = in_word ? wlen + 1 : 1;
		in_word = true;
		if (wlen > VL_TRACE_MAX_WORD)
			return perr(p, p->tok[p->ntok - 1].col, "word longer than %u bytes",
				    VL_TRACE_MAX_WORD);
		if (put_char(p, (char)c))
			return -ENOMEM;
	}
	if (p->f && ferror(p->f))
		return -EIO;
	if (in_word && put_char(p, '\0'))
		return -ENOMEM;
	for (uint32_t i = 0; i < p->ntok; i++)
		p->tok[i].s = p->buf + (uintptr_t)p->tok[i].s;
	return c != EOF || col > 0;
}

/* Decimal or 0x-hex, optional K/M suffix (KiB, MiB), must fit 32 bits. */
static int parse_u32(struct parser *p, uint32_t ti, bool suffix, uint32_t *out)
{
	const char *s = p->tok[ti].s;
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	const char *digits = base == 16 ? s + 2 : s, *d = digits;
	uint64_t v = 0, mul = 1;

	if (!*d)
		return perr(p, p->tok[ti].col, "expected a number, got '%s'", s);
	for (; *d; d++) {
		int dig = *d >= '0' && *d <= '9' ? *d - '0'
			: base == 16 && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
			: base == 16 && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;

		/* K or M ends a number, never stands for one: "0xK" is no 0 */
		if (dig < 0 && suffix && d[1] == '\0' && d != digits && (*d == 'K' || *d == 'M')) {
			mul = *d == 'K' ? 1024 : 1024 * 1024;
			break;
		}
		if (dig < 0)
			return perr(p, p->tok[ti].col, "expected a number, got '%s'", s);
		v = v * (uint64_t)base + (uint64_t)dig;
		if (v > UINT32_MAX)
			return perr(p, p->tok[ti].col, "number '%s' does not fit 32 bits", s);
	}
	if (v * mul > UINT32_MAX)
		return perr(p, p->tok[ti].col, "number '%s' does not fit 32 bits", s);
	*out = (uint32_t)(v * mul);
	return 0;
}

/* Word @k of @usage ("vmalloc NAME BYTES", k = 2: "BYTES") into @w. */
static const char *usage_word(const char *usage, uint32_t k, char *w, size_t n)
{
	size_t len;

	while (k-- && (usage = strchr(usage, ' ')))
		usage++;
	len = usage ? strcspn(usage, " ") : 0;
	snprintf(w, n, "%.*s", (int)(len < n ? len : n - 1), usage ? usage : "");
	return w;
}

/* Between @min and @max arguments: else name the one missing or extra. */
static int want_args(struct parser *p, uint32_t min, uint32_t max, const char *usage)
{
	const struct token *last = &p->tok[p->ntok - 1];
	char w[32];

	if (p->ntok - 1 > max)
		return perr(p, p->tok[max + 1].col, "unexpected '%s' (usage: %s)",
			    p->tok[max + 1].s, usage);
	if (p->ntok - 1 < min)
		return perr(p, last->col + (uint32_t)strlen(last->s), "missing %s (usage: %s)",
			    usage_word(usage, p->ntok, w, sizeof(w)), usage);
	return 0;
}

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The table slot holding @s, or the empty one where it would go. */
static uint32_t *name_slot(const struct parser *p, const char *s)
{
	uint32_t i = hash_name(s) & p->names.mask;

	while (p->names.slot[i] && strcmp(p->t->names[p->names.slot[i] - 1], s) != 0)
		i = (i + 1) & p->names.mask;
	return &p->names.slot[i];
}

static int find_name(const struct parser *p, const char *s)
{
	return p->names.slot ? (int)*name_slot(p, s) - 1 : -1;
}

/* Room for one more name: the table stays at most half full. */
static int names_grow(struct parser *p)
{
	uint32_t size = p->names.slot ? 2 * (p->names.mask + 1) : 64;
	struct name_table old = p->names;

	if (p->names.slot && 2 * (p->t->nnames + 1) <= p->names.mask + 1)
		return 0;
	if (size < 64 || !(p->names.slot = calloc(size, sizeof(uint32_t)))) {
		p->names = old;
		return -ENOMEM;
	}
	p->names.mask = size - 1;
	for (uint32_t i = 0; old.slot && i <= old.mask; i++)
		if (old.slot[i])
			*name_slot(p, p->t->names[old.slot[i] - 1]) = old.slot[i];
	free(old.slot);
	return 0;
}

static bool valid_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Bind token @ti as a fresh name of @kind, for @op. */
static int bind_name(struct parser *p, uint32_t ti, const struct vl_trace_op *op,
		     enum vl_name_kind kind, uint32_t *out)
{
	const char *s = p->tok[ti].s;
	int i = find_name(p, s);
	struct vl_trace *t = p->t;

	if (!valid_name(s))
		return perr(p, p->tok[ti].col, "'%s' is not a name", s);
	if (i >= 0) {
		if (t->name_kind[i] != kind)
			return perr(p, p->tok[ti].col, "'%s' names a%s", s,
				    t->name_kind[i] == NAME_PAGE ? " page" : "n area");
		if (p->bound[i])
			return perr(p, p->tok[ti].col, "'%s' is still bound", s);
		p->bound[i] = 1;
		p->span[i] = vl_trace_span(op);
		*out = (uint32_t)i;
		return 0;
	}
	if (grow((void **)&t->names, &p->cap_names, t->nnames + 1, sizeof(char *)) ||
	    !(t->name_kind = realloc(t->name_kind, p->cap_names)) ||
	    !(p->bound = realloc(p->bound, p->cap_names)) ||
	    !(p->span = realloc(p->span, p->cap_names * sizeof(*p->span))) ||
	    names_grow(p) || !(t->names[t->nnames] = strdup(s)))
		return -ENOMEM;
	t->name_kind[t->nnames] = (uint8_t)kind;
	p->bound[t->nnames] = 1;
	p->span[t->nnames] = vl_trace_span(op);
	*name_slot(p, s) = t->nnames + 1;
	*out = t->nnames++;
	return 0;
}

/* Token @ti must name a bound @kind (0: page or area). */
static int use_name(struct parser *p, uint32_t ti, enum vl_name_kind kind, uint32_t *out)
{
	int i = find_name(p, p->tok[ti].s);

	if (i < 0 || !p->bound[i])
		return perr(p, p->tok[ti].col, "'%s' is not bound", p->tok[ti].s);
	if (kind && p->t->name_kind[i] != kind)
		return perr(p, p->tok[ti].col, "'%s' is not a%s", p->tok[ti].s,
			    kind == NAME_PAGE ? " page" : "n area");
	*out = (uint32_t)i;
	return 0;
}

static int parse_cpu_opt(struct parser *p, uint32_t ti, struct vl_trace_op *op)
{
	uint32_t save;

	if (strncmp(p->tok[ti].s, "cpu=", 4) != 0)
		return perr(p, p->tok[ti].col, "expected cpu=N, got '%s'", p->tok[ti].s);
	p->tok[ti].s += 4;
	save = p->tok[ti].col;
	p->tok[ti].col += 4;
	if (parse_u32(p, ti, false, &op->cpu))
		return -EINVAL;
	if (op->cpu >= (p->t->cfg.cpus ? p->t->cfg.cpus : 1))
		return perr(p, save, "cpu %u: the trace has %u cpus", op->cpu,
			    p->t->cfg.cpus ? p->t->cfg.cpus : 1);
	op->cpu_given = true;
	return 0;
}

static int parse_km(struct parser *p, uint32_t ti, struct vl_trace_op *op)
{
	op->km = vl_km_type(p->tok[ti].s);
	return op->km < 0 ? perr(p, p->tok[ti].col, "unknown km_type '%s'", p->tok[ti].s) : 0;
}

static int parse_fix_idx(struct parser *p, uint32_t ti, struct vl_trace_op *op)
{
	const char *s = p->tok[ti].s;
	int idx;

	if (*s >= '0' && *s <= '9')
		return parse_u32(p, ti, false, &op->num);
	idx = vl_layout_fix_index(vl_layout_find(p->t->cfg.layout), s);
	if (idx < 0)
		return perr(p, p->tok[ti].col, "no fixmap slot '%s' in layout %s", s,
			    p->t->cfg.layout);
	op->num = (uint32_t)idx;
	return 0;
}

/* "biscuitos, arm, i386, small": every layout of the table. */
static const char *layout_names(char *s, size_t n)
{
	size_t o = 0;

	s[0] = '\0';
	for (const struct vl_layout *const *l = vl_layouts; *l && o < n; l++)
		o += (size_t)snprintf(s + o, n - o, "%s%s", o ? ", " : "", (*l)->name);
	return s;
}

/* The words of the vmalloc GENERATION header (generation 1 to 4). */
static bool is_generation(const char *w)
{
	return strcmp(w, "vmlist") == 0 || strcmp(w, "rbtree") == 0 ||
	       strcmp(w, "augtree") == 0 || strcmp(w, "nodes") == 0;
}

static int header(struct parser *p, const char *key)
{
	const char *v = p->tok[1].s;
	struct vl_config *c = &p->t->cfg;
	char names[128];

	if (p->in_ops)
		return perr(p, p->tok[0].col, "'%s' must come before the first operation", key);
	if (p->ntok != 2)
		return want_args(p, 1, 1, strcmp(key, "layout") == 0 ? "layout NAME"
				 : strcmp(key, "cpus") == 0 ? "cpus N"
				 : strcmp(key, "debug") == 0 ? "debug on|off"
				 : strcmp(key, "vmalloc-size") == 0 ? "vmalloc-size BYTES"
				 : strcmp(key, "vmap-nodes") == 0 ? "vmap-nodes N"
				 : "lazy-purge on|off");
	if (strcmp(key, "layout") == 0) {
		const struct vl_layout *l = vl_layout_find(v);

		if (!l)
			return perr(p, p->tok[1].col, "unknown layout '%s' (%s)", v,
				    layout_names(names, sizeof(names)));
		c->layout = l->name;
	} else if (strcmp(key, "vmalloc") == 0) {
		c->vmalloc = strcmp(v, "vmlist") == 0 ? VL_VMLIST
			: strcmp(v, "rbtree") == 0 ? VL_RBTREE
			: strcmp(v, "augtree") == 0 ? VL_AUGTREE : VL_NODES;
	} else if (strcmp(key, "lazy-purge") == 0) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return perr(p, p->tok[1].col, "expected on or off, got '%s'", v);
		c->lazy_off = strcmp(v, "off") == 0;
		p->lazy_on_col = c->lazy_off ? 0 : p->tok[1].col;
		p->lazy_line = p->line;
	} else if (strcmp(key, "vmap-nodes") == 0) {
		if (parse_u32(p, 1, false, &c->vmap_nodes))
			return -EINVAL;
		if (!c->vmap_nodes || c->vmap_nodes > VL_MAX_VMAP_NODES)
			return perr(p, p->tok[1].col, "vmap-nodes must be 1..%u, got '%s'",
				    VL_MAX_VMAP_NODES, v);
	} else if (strcmp(key, "vmalloc-size") == 0) {
		if (parse_u32(p, 1, true, &c->vmalloc_size))
			return -EINVAL;
		if (!c->vmalloc_size || c->vmalloc_size & ~PAGE_MASK)
			return perr(p, p->tok[1].col, "vmalloc-size must be a positive multiple "
				    "of 4K, got '%s'", v);
		p->size_line = p->line;
		p->size_col = p->tok[1].col;
	} else if (strcmp(key, "debug") == 0) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return perr(p, p->tok[1].col, "expected on or off, got '%s'", v);
		c->debug = strcmp(v, "on") == 0;
	} else {
		/* the range is the layout's, which may come later: see end_headers */
		if (parse_u32(p, 1, false, &c->cpus))
			return -EINVAL;
		p->cpus_line = p->line;
		p->cpus_col = p->tok[1].col;
	}
	return 0;
}

/* A header's error found later, at its own @line. */
static int header_err(struct parser *p, uint32_t line, uint32_t col, const char *msg)
{
	uint32_t now = p->line;

	p->line = line;
	perr(p, col, "%s", msg);
	p->line = now;
	return -EINVAL;
}

/*
 * Once the headers are over, the ones that depend on each other: the cpu
 * count must suit the layout, vmalloc-size the layout's address space,
 * lazy-purge on a generation that frees lazily.
 */
static int end_headers(struct parser *p)
{
	const struct vl_config *c = &p->t->cfg;
	const struct vl_layout *l = vl_layout_find(c->layout);
	struct vl_layout resized;
	char msg[160];

	p->in_ops = true;
	if (c->cpus == 0 || c->cpus > l->nr_cpus) {
		snprintf(msg, sizeof(msg), "cpus must be 1..%u: layout %s has NR_CPUS %u",
			 l->nr_cpus, l->name, l->nr_cpus);
		return header_err(p, p->cpus_line, p->cpus_col, msg);
	}
	if (c->vmalloc_size && vl_layout_resize_vmalloc(l, c->vmalloc_size, &resized)) {
		snprintf(msg, sizeof(msg), "vmalloc-size leaves layout %s less than 1M of "
			 "lowmem below the window", l->name);
		return header_err(p, p->size_line, p->size_col, msg);
	}
	if (p->lazy_on_col && (c->vmalloc == 0 || c->vmalloc == VL_VMLIST))
		return header_err(p, p->lazy_line, p->lazy_on_col, "lazy-purge on needs vmalloc "
				  "rbtree, augtree or nodes (vmlist frees at once)");
	return 0;
}

/* Operation table: name, kind, usage, and the argument shape. */
enum shape {
	S_NONE,          /* no argument */
	S_PAGE_NEW,      /* NAME high|low */
	S_PAGE,          /* NAME [cpu=N] */
	S_PAGE_KM,       /* NAME KM_TYPE [cpu=N] */
	S_ADDR,          /* ADDR (no cpu=: the answer is the same on every CPU) */
	S_IDX,           /* IDX */
	S_IDX_PAGE,      /* IDX NAME */
	S_AREA_NEW,      /* NAME BYTES [ioremap] */
	S_AREA,          /* NAME */
	S_VMAP,          /* NAME PAGE... */
	S_ACCESS,        /* NAME OFFSET BYTE [cpu=N] */
	S_NUM,           /* N */
};

static const struct op_def {
	const char *word;
	enum vl_op_kind kind;
	enum shape shape;
	const char *usage;
} op_defs[] = {
	{ "page", OP_PAGE, S_PAGE_NEW, "page NAME high|low" },
	{ "free-page", OP_FREE_PAGE, S_PAGE, "free-page NAME" },
	{ "kmap", OP_KMAP, S_PAGE, "kmap NAME" },
	{ "kunmap", OP_KUNMAP, S_PAGE, "kunmap NAME" },
	{ "kmap_atomic", OP_KMAP_ATOMIC, S_PAGE_KM, "kmap_atomic NAME KM_TYPE [cpu=N]" },
	{ "kunmap_atomic", OP_KUNMAP_ATOMIC, S_PAGE_KM, "kunmap_atomic NAME KM_TYPE [cpu=N]" },
	{ "kmap_atomic_pfn", OP_KMAP_ATOMIC_PFN, S_PAGE_KM, "kmap_atomic_pfn NAME KM_TYPE [cpu=N]" },
	{ "kmap_atomic_to_page", OP_KMAP_ATOMIC_TO_PAGE, S_ADDR, "kmap_atomic_to_page ADDR" },
	{ "fix_to_virt", OP_FIX_TO_VIRT, S_IDX, "fix_to_virt IDX" },
	{ "virt_to_fix", OP_VIRT_TO_FIX, S_ADDR, "virt_to_fix ADDR" },
	{ "set_fixmap", OP_SET_FIXMAP, S_IDX_PAGE, "set_fixmap IDX NAME" },
	{ "clear_fixmap", OP_CLEAR_FIXMAP, S_IDX, "clear_fixmap IDX" },
	{ "vmalloc", OP_VMALLOC, S_AREA_NEW, "vmalloc NAME BYTES [cpu=N]" },
	{ "get_vm_area", OP_GET_VM_AREA, S_AREA_NEW, "get_vm_area NAME BYTES [ioremap] [cpu=N]" },
	{ "vfree", OP_VFREE, S_AREA, "vfree NAME" },
	{ "vmap", OP_VMAP, S_VMAP, "vmap NAME PAGE PAGE ..." },
	{ "vunmap", OP_VUNMAP, S_AREA, "vunmap NAME" },
	{ "write", OP_WRITE, S_ACCESS, "write NAME OFFSET BYTE [cpu=N]" },
	{ "expect", OP_EXPECT, S_ACCESS, "expect NAME OFFSET BYTE [cpu=N]" },
	{ "purge", OP_PURGE, S_NONE, "purge" },
	{ "check", OP_CHECK, S_NONE, "check" },
	{ "stats", OP_STATS, S_NONE, "stats" },
	{ "fail-alloc", OP_FAIL_ALLOC, S_NUM, "fail-alloc N" },
};

/* An optional trailing cpu=N after @fixed arguments. */
static int trailing_cpu(struct parser *p, uint32_t fixed, const char *usage,
			struct vl_trace_op *op)
{
	if (want_args(p, fixed, fixed + 1, usage))
		return -EINVAL;
	return p->ntok == fixed + 2 ? parse_cpu_opt(p, fixed + 1, op) : 0;
}

static int parse_page_new(struct parser *p, struct vl_trace_op *op)
{
	const char *z = p->tok[2].s;

	if (strcmp(z, "high") && strcmp(z, "low"))
		return perr(p, p->tok[2].col, "expected high or low, got '%s'", z);
	op->flag = strcmp(z, "high") == 0;
	return bind_name(p, 1, op, NAME_PAGE, &op->name);
}

/* After NAME BYTES: get_vm_area's ioremap, then cpu=N, each optional. */
static int parse_area_new(struct parser *p, struct vl_trace_op *op)
{
	uint32_t t = 3;

	if (t < p->ntok && op->kind == OP_GET_VM_AREA && strcmp(p->tok[t].s, "ioremap") == 0) {
		op->flag = true;
		t++;
	}
	if (t < p->ntok && strncmp(p->tok[t].s, "cpu=", 4) == 0 && parse_cpu_opt(p, t++, op))
		return -EINVAL;
	if (t < p->ntok)
		return perr(p, p->tok[t].col, "unexpected '%s'", p->tok[t].s);
	if (parse_u32(p, 2, true, &op->num))
		return -EINVAL;
	return bind_name(p, 1, op, NAME_AREA, &op->name);
}

static int parse_vmap(struct parser *p, struct vl_trace_op *op)
{
	op->nlist = p->ntok - 2;
	op->list = calloc(op->nlist, sizeof(*op->list));
	if (!op->list)
		return -ENOMEM;
	for (uint32_t i = 0; i < op->nlist; i++)
		if (use_name(p, i + 2, NAME_PAGE, &op->list[i]))
			return -EINVAL;
	return bind_name(p, 1, op, NAME_AREA, &op->name);
}

/*
 * An OFFSET must lie inside the mapping the name binds (vl_trace_span):
 * else the address would reach, or wrap past 4 GiB into, whatever lies
 * beyond it, which no trace means to do.
 */
static int parse_access(struct parser *p, struct vl_trace_op *op)
{
	uint64_t span;

	if (use_name(p, 1, 0, &op->name) || parse_u32(p, 2, true, &op->num) ||
	    parse_u32(p, 3, false, &op->byte))
		return -EINVAL;
	span = p->span[op->name];
	if (op->num >= span)
		return perr(p, p->tok[2].col, "offset %s is outside %s %s (offsets 0..%llu%s)",
			    p->tok[2].s, p->t->name_kind[op->name] == NAME_PAGE ? "page" : "area",
			    p->tok[1].s, (unsigned long long)span - 1,
			    p->t->name_kind[op->name] == NAME_PAGE ? "" : ", guard page included");
	if (op->byte > 0xff)
		return perr(p, p->tok[3].col, "byte %u is above 255", op->byte);
	return 0;
}

/* Frees unbind their name, so it may be bound again later. */
static int unbind(struct parser *p, struct vl_trace_op *op)
{
	p->bound[op->name] = 0;
	return 0;
}

static int parse_args(struct parser *p, const struct op_def *d, struct vl_trace_op *op)
{
	switch (d->shape) {
	case S_NONE:
		return want_args(p, 0, 0, d->usage);
	case S_NUM:
		return want_args(p, 1, 1, d->usage) ?: parse_u32(p, 1, false, &op->num);
	case S_PAGE_NEW:
		return want_args(p, 2, 2, d->usage) ?: parse_page_new(p, op);
	case S_PAGE:
		if (want_args(p, 1, 1, d->usage) || use_name(p, 1, NAME_PAGE, &op->name))
			return -EINVAL;
		return op->kind == OP_FREE_PAGE ? unbind(p, op) : 0;
	case S_PAGE_KM:
		return trailing_cpu(p, 2, d->usage, op) ?:
		       use_name(p, 1, NAME_PAGE, &op->name) ?: parse_km(p, 2, op);
	case S_ADDR:
		return want_args(p, 1, 1, d->usage) ?: parse_u32(p, 1, false, &op->num);
	case S_IDX:
		return want_args(p, 1, 1, d->usage) ?: parse_fix_idx(p, 1, op);
	case S_IDX_PAGE:
		return want_args(p, 2, 2, d->usage) ?: parse_fix_idx(p, 1, op) ?:
		       use_name(p, 2, NAME_PAGE, &op->name);
	case S_AREA_NEW:
		return want_args(p, 2, op->kind == OP_GET_VM_AREA ? 4 : 3, d->usage) ?:
		       parse_area_new(p, op);
	case S_AREA:
		return want_args(p, 1, 1, d->usage) ?: use_name(p, 1, NAME_AREA, &op->name) ?:
		       unbind(p, op);
	case S_VMAP:
		return want_args(p, 2, UINT32_MAX - 1, d->usage) ?: parse_vmap(p, op);
	case S_ACCESS:
		return trailing_cpu(p, 3, d->usage, op) ?: parse_access(p, op);
	}
	return -EINVAL;
}

static int parse_op(struct parser *p)
{
	struct vl_trace *t = p->t;
	struct vl_trace_op *op;

	for (size_t i = 0; i < sizeof(op_defs) / sizeof(op_defs[0]); i++) {
		if (strcmp(p->tok[0].s, op_defs[i].word))
			continue;
		if (grow((void **)&t->ops, &p->cap_ops, t->nops + 1, sizeof(*t->ops)))
			return -ENOMEM;
		op = &t->ops[t->nops++];
		*op = (struct vl_trace_op){ .kind = op_defs[i].kind, .line = p->line };
		return parse_args(p, &op_defs[i], op);
	}
	if (strcmp(p->tok[0].s, "kmap_local") == 0 || strcmp(p->tok[0].s, "kunmap_local") == 0)
		return perr(p, p->tok[0].col, "%s (5.11+) is not in this build", p->tok[0].s);
	return perr(p, p->tok[0].col, "unknown operation '%s'", p->tok[0].s);
}

static int parse_line(struct parser *p)
{
	const char *w = p->tok[0].s;
	/* "vmalloc V" is the operation short of BYTES, not a header */
	bool is_header = strcmp(w, "layout") == 0 || strcmp(w, "lazy-purge") == 0 ||
			 strcmp(w, "vmalloc-size") == 0 || strcmp(w, "vmap-nodes") == 0 ||
			 strcmp(w, "cpus") == 0 || strcmp(w, "debug") == 0 ||
			 (strcmp(w, "vmalloc") == 0 && p->ntok == 2 && is_generation(p->tok[1].s));

	if (is_header)
		return header(p, w);
	if (!p->in_ops && end_headers(p))
		return -EINVAL;
	return parse_op(p);
}

void vl_trace_free(struct vl_trace *t)
{
	for (uint32_t i = 0; i < t->nops; i++)
		free(t->ops[i].list);
	for (uint32_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->ops);
	free(t->names);
	free(t->name_kind);
	memset(t, 0, sizeof(*t));
}

static int parse_all(struct parser *p)
{
	int r;

	memset(p->t, 0, sizeof(*p->t));
	p->t->cfg = (struct vl_config){ .layout = "biscuitos", .cpus = 1, .debug = true };
	while ((r = read_line(p)) > 0)
		if (p->ntok && (r = parse_line(p)))
			break;
	if (r == 0 && !p->in_ops)
		r = end_headers(p);
	if (r == -EIO)
		snprintf(p->err, p->errlen, "%s: %s", p->file, strerror(errno));
	if (r == -ENOMEM)
		snprintf(p->err, p->errlen, "%s: out of memory", p->file);
	free(p->bound);
	free(p->span);
	free(p->names.slot);
	free(p->tok);
	free(p->buf);
	if (r)
		vl_trace_free(p->t);
	return r;
}

int vl_trace_parse_file(const char *file, FILE *f, struct vl_trace *t,
			char *err, size_t errlen)
{
	struct parser p = { .file = file, .f = f, .t = t, .err = err, .errlen = errlen };

	return parse_all(&p);
}

int vl_trace_parse(const char *file, const char *text, size_t len,
		   struct vl_trace *t, char *err, size_t errlen)
{
	struct parser p = { .file = file, .t = t, .err = err, .errlen = errlen,
			    .mem = (const unsigned char *)text,
			    .mem_end = (const unsigned char *)text + len };

	return parse_all(&p);
}
