/*
 * Trace parser.  The whole trace is checked before anything runs, so a
 * malformed trace prints only its first fault, as FILE:LINE:COL: message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixmap.h"
#include "trace.h"

#define MAX_TOKENS 64

struct token {
	const char *s;      /* NUL-terminated copy */
	uint32_t col;       /* 1-based */
};

struct parser {
	const char *file;
	uint32_t line;
	struct token tok[MAX_TOKENS];
	uint32_t ntok;
	char buf[4096];     /* the current line, split into tokens */
	struct vl_trace *t;
	uint8_t *bound;     /* per name: currently bound */
	uint32_t cap_ops, cap_names;
	bool in_ops;        /* headers are over */
	uint32_t cpus_line, cpus_col;
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

/* Split one line (comments stripped) into tokens. */
static int tokenize(struct parser *p, const char *s, size_t len)
{
	size_t i = 0, o = 0;

	p->ntok = 0;
	if (len >= sizeof(p->buf))
		return perr(p, 1, "line longer than %zu bytes", sizeof(p->buf) - 1);
	while (i < len && s[i] != '#') {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return perr(p, (uint32_t)i + 1, "unexpected byte 0x%02x", c);
		if (p->ntok == MAX_TOKENS)
			return perr(p, (uint32_t)i + 1, "more than %d words", MAX_TOKENS);
		p->tok[p->ntok].s = &p->buf[o];
		p->tok[p->ntok++].col = (uint32_t)i + 1;
		while (i < len && s[i] > ' ' && s[i] <= '~' && s[i] != '#')
			p->buf[o++] = s[i++];
		p->buf[o++] = '\0';
	}
	return 0;
}

/* Decimal or 0x-hex, optional K/M suffix (KiB, MiB), must fit 32 bits. */
static int parse_u32(struct parser *p, uint32_t ti, bool suffix, uint32_t *out)
{
	const char *s = p->tok[ti].s;
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	const char *d = base == 16 ? s + 2 : s;
	uint64_t v = 0, mul = 1;

	if (!*d)
		return perr(p, p->tok[ti].col, "expected a number, got '%s'", s);
	for (; *d; d++) {
		int dig = *d >= '0' && *d <= '9' ? *d - '0'
			: base == 16 && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
			: base == 16 && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;

		if (dig < 0 && suffix && d[1] == '\0' && d != s && (*d == 'K' || *d == 'M')) {
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

static int want_args(struct parser *p, uint32_t min, uint32_t max, const char *usage)
{
	uint32_t extra = max + 1 < p->ntok ? max + 1 : 0;  /* first word too many */

	if (p->ntok - 1 < min || p->ntok - 1 > max)
		return perr(p, p->tok[extra].col, "usage: %s", usage);
	return 0;
}

static int find_name(const struct parser *p, const char *s)
{
	for (uint32_t i = 0; i < p->t->nnames; i++)
		if (strcmp(p->t->names[i], s) == 0)
			return (int)i;
	return -1;
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

/* Bind token @ti as a fresh name of @kind. */
static int bind_name(struct parser *p, uint32_t ti, enum vl_name_kind kind, uint32_t *out)
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
		*out = (uint32_t)i;
		return 0;
	}
	if (grow((void **)&t->names, &p->cap_names, t->nnames + 1, sizeof(char *)) ||
	    !(t->name_kind = realloc(t->name_kind, p->cap_names)) ||
	    !(p->bound = realloc(p->bound, p->cap_names)) ||
	    !(t->names[t->nnames] = strdup(s)))
		return -ENOMEM;
	t->name_kind[t->nnames] = (uint8_t)kind;
	p->bound[t->nnames] = 1;
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

static int header(struct parser *p, const char *key)
{
	const char *v = p->tok[1].s;
	struct vl_config *c = &p->t->cfg;

	if (p->in_ops)
		return perr(p, p->tok[0].col, "'%s' must come before the first operation", key);
	if (p->ntok != 2)
		return perr(p, p->tok[0].col, "usage: %s VALUE", key);
	if (strcmp(key, "layout") == 0) {
		const struct vl_layout *l = vl_layout_find(v);

		if (!l)
			return perr(p, p->tok[1].col, "unknown layout '%s' (biscuitos, arm, i386)", v);
		c->layout = l->name;
	} else if (strcmp(key, "vmalloc") == 0) {
		if (strcmp(v, "vmlist") != 0)
			return perr(p, p->tok[1].col, strcmp(v, "augtree") == 0
				    ? "vmalloc augtree (generation 3) is not in this build; use vmlist"
				    : "unknown vmalloc generation '%s'", v);
	} else if (strcmp(key, "lazy-purge") == 0) {
		if (strcmp(v, "off") != 0)
			return perr(p, p->tok[1].col, strcmp(v, "on") == 0
				    ? "lazy-purge on needs vmalloc augtree"
				    : "expected on or off, got '%s'", v);
	} else if (strcmp(key, "debug") == 0) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return perr(p, p->tok[1].col, "expected on or off, got '%s'", v);
		c->debug = strcmp(v, "on") == 0;
	} else {
		if (parse_u32(p, 1, false, &c->cpus))
			return -EINVAL;
		if (c->cpus == 0 || c->cpus > VL_MAX_CPUS)
			return perr(p, p->tok[1].col, "cpus must be 1..%u", VL_MAX_CPUS);
		p->cpus_line = p->line;
		p->cpus_col = p->tok[1].col;
	}
	return 0;
}

/* Once the headers are over, the cpu count must suit the layout. */
static int end_headers(struct parser *p)
{
	const struct vl_layout *l = vl_layout_find(p->t->cfg.layout);
	uint32_t line = p->line;

	p->in_ops = true;
	if (p->t->cfg.cpus > l->nr_cpus) {
		p->line = p->cpus_line;
		perr(p, p->cpus_col, "layout %s has NR_CPUS %u", l->name, l->nr_cpus);
		p->line = line;
		return -EINVAL;
	}
	return 0;
}


/* Operation table: name, kind, usage, and the argument shape. */
enum shape {
	S_NONE,          /* no argument */
	S_PAGE_NEW,      /* NAME high|low */
	S_PAGE,          /* NAME [cpu=N] */
	S_PAGE_KM,       /* NAME KM_TYPE [cpu=N] */
	S_ADDR,          /* ADDR */
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
	{ "kmap_atomic_to_page", OP_KMAP_ATOMIC_TO_PAGE, S_ADDR, "kmap_atomic_to_page ADDR [cpu=N]" },
	{ "fix_to_virt", OP_FIX_TO_VIRT, S_IDX, "fix_to_virt IDX" },
	{ "virt_to_fix", OP_VIRT_TO_FIX, S_ADDR, "virt_to_fix ADDR" },
	{ "set_fixmap", OP_SET_FIXMAP, S_IDX_PAGE, "set_fixmap IDX NAME" },
	{ "clear_fixmap", OP_CLEAR_FIXMAP, S_IDX, "clear_fixmap IDX" },
	{ "vmalloc", OP_VMALLOC, S_AREA_NEW, "vmalloc NAME BYTES" },
	{ "get_vm_area", OP_GET_VM_AREA, S_AREA_NEW, "get_vm_area NAME BYTES [ioremap]" },
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
	return bind_name(p, 1, NAME_PAGE, &op->name);
}

static int parse_area_new(struct parser *p, struct vl_trace_op *op)
{
	if (p->ntok == 4) {
		if (op->kind != OP_GET_VM_AREA || strcmp(p->tok[3].s, "ioremap"))
			return perr(p, p->tok[3].col, "unexpected '%s'", p->tok[3].s);
		op->flag = true;
	}
	if (parse_u32(p, 2, true, &op->num))
		return -EINVAL;
	return bind_name(p, 1, NAME_AREA, &op->name);
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
	return bind_name(p, 1, NAME_AREA, &op->name);
}

static int parse_access(struct parser *p, struct vl_trace_op *op)
{
	if (use_name(p, 1, 0, &op->name) || parse_u32(p, 2, true, &op->num) ||
	    parse_u32(p, 3, false, &op->byte))
		return -EINVAL;
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
		return trailing_cpu(p, 1, d->usage, op) ?: parse_u32(p, 1, false, &op->num);
	case S_IDX:
		return want_args(p, 1, 1, d->usage) ?: parse_fix_idx(p, 1, op);
	case S_IDX_PAGE:
		return want_args(p, 2, 2, d->usage) ?: parse_fix_idx(p, 1, op) ?:
		       use_name(p, 2, NAME_PAGE, &op->name);
	case S_AREA_NEW:
		return want_args(p, 2, op->kind == OP_GET_VM_AREA ? 3 : 2, d->usage) ?:
		       parse_area_new(p, op);
	case S_AREA:
		return want_args(p, 1, 1, d->usage) ?: use_name(p, 1, NAME_AREA, &op->name) ?:
		       unbind(p, op);
	case S_VMAP:
		return want_args(p, 2, MAX_TOKENS - 1, d->usage) ?: parse_vmap(p, op);
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
	bool is_header = strcmp(w, "layout") == 0 || strcmp(w, "lazy-purge") == 0 ||
			 strcmp(w, "cpus") == 0 || strcmp(w, "debug") == 0 ||
			 (strcmp(w, "vmalloc") == 0 && p->ntok == 2);

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

int vl_trace_parse(const char *file, const char *text, size_t len,
		   struct vl_trace *t, char *err, size_t errlen)
{
	struct parser p = { .file = file, .t = t, .err = err, .errlen = errlen };
	size_t pos = 0;
	int r = 0;

	memset(t, 0, sizeof(*t));
	t->cfg = (struct vl_config){ .layout = "biscuitos", .cpus = 1, .debug = true };
	while (pos < len && r == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		p.line++;
		r = tokenize(&p, text + pos, end - pos);
		if (r == 0 && p.ntok)
			r = parse_line(&p);
		pos = end + 1;
	}
	if (r == 0 && !p.in_ops)
		r = end_headers(&p);
	free(p.bound);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	if (r)
		vl_trace_free(t);
	return r;
}
