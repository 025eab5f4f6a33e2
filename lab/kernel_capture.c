/*
 * A real kernel's vmalloc capture: its files (plain or .xz) and the
 * lines they hold.  See lab/kernel_capture.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_capture.h"
#include "types.h"

/* ---- files ------------------------------------------------------------- */

static int file_error(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -EINVAL;
}

/* Child side: xz's output into the pipe, its messages nowhere. */
static void exec_xz(int fd, const char *path)
{
	int null = open("/dev/null", O_WRONLY);

	if (dup2(fd, STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0)
		_exit(127);
	execlp("xz", "xz", "-dc", "--", path, (char *)NULL);
	_exit(127);
}

static int open_xz(struct vl_kc_file *kf, char *err, size_t errlen)
{
	int fds[2];

	if (pipe(fds))
		return file_error(err, errlen, kf->name, strerror(errno));
	fflush(NULL);
	kf->xz = fork();
	if (kf->xz < 0) {
		close(fds[0]);
		close(fds[1]);
		kf->xz = 0;
		return file_error(err, errlen, kf->name, strerror(errno));
	}
	if (kf->xz == 0) {
		close(fds[0]);
		exec_xz(fds[1], kf->name);
	}
	close(fds[1]);
	kf->f = fdopen(fds[0], "r");
	if (!kf->f) {
		close(fds[0]);
		vl_kc_close(kf, NULL, 0);
		return file_error(err, errlen, kf->name, "out of memory");
	}
	return 0;
}

/* A regular file at @path: 1; absent: 0; anything else: an error. */
static int regular(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : file_error(err, errlen, path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return file_error(err, errlen, path, strerror(EISDIR));
	return 1;
}

int vl_kc_open(struct vl_kc_file *kf, const char *dir, const char *base,
	       bool required, char *err, size_t errlen)
{
	int r;

	memset(kf, 0, sizeof(*kf));
	for (int xz = 0; xz < 2; xz++) {
		snprintf(kf->name, sizeof(kf->name), "%s/%s%s", dir, base, xz ? ".xz" : "");
		r = regular(kf->name, err, errlen);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (xz)
			return open_xz(kf, err, errlen);
		kf->f = fopen(kf->name, "r");
		return kf->f ? 0 : file_error(err, errlen, kf->name, strerror(errno));
	}
	if (!required)
		return 1;
	snprintf(kf->name, sizeof(kf->name), "%s/%s", dir, base);
	return file_error(err, errlen, kf->name, "missing (nor is there a .xz of it)");
}

int vl_kc_getline(struct vl_kc_file *kf, char *err, size_t errlen)
{
	size_t n = 0;
	int ch = EOF;

	while (!kf->eof && (ch = getc(kf->f)) != EOF && ch != '\n') {
		if (n == VL_KC_LINE_MAX || ch == '\0') {
			snprintf(err, errlen, "%s:%u:%zu: %s", kf->name, kf->lineno + 1u, n + 1u,
				 ch ? "line longer than 4096 bytes" : "NUL byte");
			return -EINVAL;
		}
		kf->buf[n++] = (char)ch;
	}
	if (ch == EOF) {
		kf->eof = true;
		if (ferror(kf->f)) {
			snprintf(err, errlen, "%s:%u:1: read error", kf->name, kf->lineno + 1u);
			return -EINVAL;
		}
		if (!n)
			return 0;
	}
	kf->lineno++;
	if (n && kf->buf[n - 1] == '\r')
		n--;
	kf->buf[n] = '\0';
	kf->len = n;
	return 1;
}

int vl_kc_close(struct vl_kc_file *kf, char *err, size_t errlen)
{
	bool whole = kf->eof;
	int status = 0;

	if (kf->f)
		fclose(kf->f);  /* an xz still writing gets SIGPIPE */
	kf->f = NULL;
	if (!kf->xz)
		return 0;
	while (waitpid(kf->xz, &status, 0) < 0 && errno == EINTR)
		;
	kf->xz = 0;
	if (!whole || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return file_error(err, errlen, kf->name, "cannot run xz to decompress it");
	return file_error(err, errlen, kf->name, "xz cannot decompress it (corrupt or truncated)");
}

/* ---- lines ------------------------------------------------------------- */

/* One line being parsed; columns are 1-based bytes. */
struct kc_cursor {
	const char *s;
	size_t pos;
	const char *name;
	uint32_t lineno;
	char *err;
	size_t errlen;
};

static int kc_error(const struct kc_cursor *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kc_error(const struct kc_cursor *c, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%u:%zu: ", c->name, c->lineno, pos + 1u);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int expect(struct kc_cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(c->s + c->pos, lit, n))
		return c->s[c->pos] ? kc_error(c, c->pos, "expected '%s'", lit)
				    : kc_error(c, c->pos, "line ends where '%s' should follow", lit);
	c->pos += n;
	return 0;
}

static int digit(char ch, unsigned int base)
{
	int d = ch >= '0' && ch <= '9' ? ch - '0'
		: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : 99;

	return d < (int)base ? d : -1;
}

/* A number in @base (10 or 16) that fits 64 bits. */
static int number(struct kc_cursor *c, unsigned int base, const char *what, uint64_t *v)
{
	size_t start = c->pos;
	int d;

	*v = 0;
	while ((d = digit(c->s[c->pos], base)) >= 0) {
		if (*v > (UINT64_MAX - (uint64_t)d) / base)
			return kc_error(c, start, "%s does not fit 64 bits", what);
		*v = *v * base + (uint64_t)d;
		c->pos++;
	}
	if (c->pos == start)
		return c->s[c->pos] ? kc_error(c, c->pos, "bad digit '%c' in %s", c->s[c->pos], what)
				    : kc_error(c, c->pos, "line ends where %s should follow", what);
	return 0;
}

/* " KEY=VALUE" style: the literal, then the number. */
static int field(struct kc_cursor *c, const char *lit, unsigned int base,
		 const char *what, uint64_t *v)
{
	int r = expect(c, lit);

	return r ? r : number(c, base, what, v);
}

/* Only blanks may follow the last argument. */
static int line_end(struct kc_cursor *c)
{
	while (c->s[c->pos] == ' ' || c->s[c->pos] == '\t')
		c->pos++;
	return c->s[c->pos] ? kc_error(c, c->pos, "unexpected '%c' after the last argument",
				       c->s[c->pos]) : 0;
}

/*
 * "[CPU] FLAGS TIMESTAMP: " from @c->pos (a '['), leaving @c->pos at the
 * event name; false when this bracket is not the header's.
 */
static bool header_at(struct kc_cursor *c, struct vl_kc_event *ev)
{
	const char *s = c->s;
	size_t p = c->pos + 1, start = p;
	uint64_t cpu = 0;

	while (s[p] >= '0' && s[p] <= '9' && cpu < 100000)
		cpu = cpu * 10u + (uint64_t)(s[p++] - '0');
	if (p == start || s[p] != ']' || s[p + 1] != ' ')
		return false;
	for (p += 2; s[p] == ' '; p++)
		;
	while (s[p] && s[p] != ' ')   /* the flags */
		p++;
	while (s[p] == ' ')
		p++;
	start = p;
	while ((s[p] >= '0' && s[p] <= '9') || s[p] == '.')
		p++;
	if (p == start || s[p] != ':' || s[p + 1] != ' ')
		return false;
	ev->cpu = (uint32_t)cpu;
	ev->cpu_col = (uint32_t)c->pos + 2u;
	c->pos = p + 2;
	return true;
}

static int parse_alloc(struct kc_cursor *c, struct vl_kc_event *ev)
{
	uint64_t failed;
	int r;

	ev->type = KC_ALLOC;
	ev->addr_col = (uint32_t)c->pos + 11u;
	if ((r = field(c, "va_start: ", 10, "va_start", &ev->addr)) ||
	    (r = field(c, " size=", 10, "size", &ev->size)) ||
	    (r = field(c, " align=", 10, "align", &ev->align)) ||
	    (r = field(c, " vstart=0x", 16, "vstart", &ev->vstart)) ||
	    (r = field(c, " vend=0x", 16, "vend", &ev->vend)) ||
	    (r = field(c, " failed=", 10, "failed", &failed)) || (r = line_end(c)))
		return r;
	if (failed > 1)
		return kc_error(c, c->pos - 1, "failed=%llu is neither 0 nor 1",
				(unsigned long long)failed);
	ev->failed = failed;
	if (!ev->size || ev->size % PAGE_SIZE)
		return kc_error(c, ev->addr_col - 1, "size=%llu is not a positive multiple of %u",
				(unsigned long long)ev->size, PAGE_SIZE);
	if (!ev->align || (ev->align & (ev->align - 1u)))
		return kc_error(c, ev->addr_col - 1, "align=%llu is not a power of two",
				(unsigned long long)ev->align);
	if (!failed && (ev->addr < ev->vstart || ev->addr > ev->vend ||
			ev->size > ev->vend - ev->addr + 1u))
		return kc_error(c, ev->addr_col - 1, "va_start 0x%llx size %llu outside "
				"vstart..vend 0x%llx..0x%llx", (unsigned long long)ev->addr,
				(unsigned long long)ev->size, (unsigned long long)ev->vstart,
				(unsigned long long)ev->vend);
	return 1;
}

static int parse_free(struct kc_cursor *c, struct vl_kc_event *ev)
{
	uint64_t max;
	int r;

	ev->type = KC_FREE;
	ev->addr_col = (uint32_t)c->pos + 12u;
	if ((r = field(c, "va_start=0x", 16, "va_start", &ev->addr)) ||
	    (r = field(c, " nr_lazy=", 10, "nr_lazy", &ev->nr)) ||
	    (r = field(c, " nr_lazy_max=", 10, "nr_lazy_max", &max)) || (r = line_end(c)))
		return r;
	if (ev->addr % PAGE_SIZE)
		return kc_error(c, ev->addr_col - 1, "va_start 0x%llx is not page-aligned",
				(unsigned long long)ev->addr);
	return 1;
}

static int parse_purge(struct kc_cursor *c, struct vl_kc_event *ev)
{
	int r;

	ev->type = KC_PURGE;
	ev->addr_col = (uint32_t)c->pos + 9u;
	if ((r = field(c, "start=0x", 16, "start", &ev->addr)) ||
	    (r = field(c, " end=0x", 16, "end", &ev->end)) ||
	    (r = field(c, " num_purged=", 10, "num_purged", &ev->nr)) || (r = line_end(c)))
		return r;
	return 1;
}

/* "vmaplab-capture: WHAT" (blanks after it allowed); other texts are KC_MARK_OTHER. */
static int parse_mark(struct kc_cursor *c, struct vl_kc_event *ev)
{
	static const char prefix[] = "vmaplab-capture:";
	static const char *const what[] = {
		[KC_BEFORE_BEGIN] = "before-begin", [KC_BEFORE_END] = "before-end",
		[KC_AFTER_BEGIN] = "after-begin", [KC_AFTER_END] = "after-end",
	};
	size_t start, len;

	ev->type = KC_MARK;
	ev->mark = KC_MARK_OTHER;
	if (strncmp(c->s + c->pos, prefix, sizeof(prefix) - 1))
		return 1;
	c->pos += sizeof(prefix) - 1;
	while (c->s[c->pos] == ' ')
		c->pos++;
	start = c->pos;
	ev->addr_col = (uint32_t)start + 1u;
	len = strcspn(c->s + start, " \t");
	for (uint32_t m = 0; m < KC_MARK_OTHER; m++)
		if (strlen(what[m]) == len && !strncmp(c->s + start, what[m], len)) {
			ev->mark = (enum vl_kc_mark)m;
			c->pos += len;
			return line_end(c) ? -EINVAL : 1;
		}
	return kc_error(c, start, "unknown marker '%s %.*s' (before-begin, before-end, "
			"after-begin, after-end)", prefix, (int)len, c->s + start);
}

static const struct {
	const char *name;
	int (*parse)(struct kc_cursor *c, struct vl_kc_event *ev);
} kc_events[] = {
	{ "alloc_vmap_area: ", parse_alloc },
	{ "free_vmap_area_noflush: ", parse_free },
	{ "purge_vmap_area_lazy: ", parse_purge },
	{ "tracing_mark_write: ", parse_mark },
};

int vl_kc_parse_event(const char *line, const char *name, uint32_t lineno,
		      struct vl_kc_event *ev, char *err, size_t errlen)
{
	struct kc_cursor c = { line, 0, name, lineno, err, errlen };
	const char *p = line;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	memset(ev, 0, sizeof(*ev));
	for (p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		c.pos = (size_t)(p - line);
		if (header_at(&c, ev))
			break;
	}
	if (!p)
		return kc_error(&c, 0, "expected 'TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ...'");
	for (size_t i = 0; i < sizeof(kc_events) / sizeof(kc_events[0]); i++) {
		len = strlen(kc_events[i].name);
		if (!strncmp(line + c.pos, kc_events[i].name, len)) {
			c.pos += len;
			return kc_events[i].parse(&c, ev);
		}
	}
	len = strcspn(line + c.pos, ": ");
	return kc_error(&c, c.pos, "unknown event '%.*s'", (int)len, line + c.pos);
}

int vl_kc_parse_area(const char *line, const char *name, uint32_t lineno,
		     struct vl_kc_area *a, char *err, size_t errlen)
{
	struct kc_cursor c = { line, 0, name, lineno, err, errlen };
	static const char tail[] = " unpurged vm_area";
	size_t len = strlen(line), size_col;
	uint64_t size;
	int r;

	if (strspn(line, " \t") == len)
		return 0;
	if ((r = field(&c, "0x", 16, "start address", &a->start)) ||
	    (r = field(&c, "-0x", 16, "end address", &a->end)))
		return r;
	if (a->end <= a->start || (a->start | a->end) % PAGE_SIZE)
		return kc_error(&c, 0, "0x%llx-0x%llx is not a page-aligned range",
				(unsigned long long)a->start, (unsigned long long)a->end);
	while (line[c.pos] == ' ')
		c.pos++;
	size_col = c.pos;
	if ((r = number(&c, 10, "size", &size)))
		return r;
	if (size != a->end - a->start)
		return kc_error(&c, size_col, "size %llu is not end - start",
				(unsigned long long)size);
	if (line[c.pos] && line[c.pos] != ' ' && line[c.pos] != '\t')
		return kc_error(&c, c.pos, "unexpected '%c' after the size", line[c.pos]);
	a->unpurged = len >= sizeof(tail) - 1 && !strcmp(line + len - (sizeof(tail) - 1), tail);
	a->line = lineno;
	return 1;
}
