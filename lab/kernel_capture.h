/*
 * A real kernel's vmalloc capture (scripts/capture_vmalloc_trace.sh):
 * its files, plain or xz-compressed, read line by line, and the two kinds
 * of line it holds - tracefs events of include/trace/events/vmalloc.h
 * and /proc/vmallocinfo areas with real addresses.
 */
#ifndef VL_KERNEL_CAPTURE_H
#define VL_KERNEL_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Longest line accepted, end of line excluded (tracefs lines are < 300). */
#define VL_KC_LINE_MAX 4096u

/* One capture file being read, at most one line of it in memory. */
struct vl_kc_file {
	FILE *f;
	pid_t xz;              /* the decompressing child, 0 for a plain file */
	char name[4096];       /* the path, for messages */
	uint32_t lineno;       /* of the line in buf (1-based) */
	bool eof;
	char buf[VL_KC_LINE_MAX + 2];
	size_t len;            /* of the line in buf, end of line excluded */
};

/*
 * vl_kc_open - open @dir/@base, or else @dir/@base.xz through an `xz -dc`
 * child (fork, exec, a pipe; no shell).  Returns 0, 1 when neither exists
 * and !@required, or -EINVAL with "PATH: message" in @err.
 */
int vl_kc_open(struct vl_kc_file *kf, const char *dir, const char *base,
	       bool required, char *err, size_t errlen);
/*
 * vl_kc_getline - the next line into kf->buf (NUL-terminated, without its
 * "\n" or "\r\n").  Returns 1, 0 at the end, or -EINVAL with
 * "PATH:LINE:COL: message" in @err for a line longer than VL_KC_LINE_MAX,
 * a NUL byte or a read error.
 */
int vl_kc_getline(struct vl_kc_file *kf, char *err, size_t errlen);
/*
 * vl_kc_close - close @kf and reap its xz child.  When the whole file was
 * read, an xz that failed (corrupt or truncated data) is an error: returns
 * -EINVAL with "PATH: message" in @err; otherwise 0.
 */
int vl_kc_close(struct vl_kc_file *kf, char *err, size_t errlen);

enum vl_kc_type { KC_ALLOC, KC_FREE, KC_PURGE, KC_MARK };

/*
 * The trace markers scripts/capture_vmalloc_trace.sh writes around its
 * two snapshot reads ("vmaplab-capture: before-begin" ...), in the order
 * they must appear; KC_MARK_OTHER is any text not starting with
 * "vmaplab-capture:" (someone's annotation, ignored).
 */
enum vl_kc_mark {
	KC_BEFORE_BEGIN, KC_BEFORE_END, KC_AFTER_BEGIN, KC_AFTER_END, KC_MARK_OTHER
};

/* One event; addresses are the kernel's (64-bit), sizes in bytes. */
struct vl_kc_event {
	enum vl_kc_type type;
	uint32_t cpu;          /* the CPU column */
	uint64_t addr;         /* alloc and free: va_start; purge: start */
	uint64_t end;          /* purge: end (exclusive) */
	uint64_t size;         /* alloc: bytes, guard page included */
	uint64_t align;        /* alloc: bytes, a power of two */
	uint64_t vstart, vend; /* alloc: the range searched */
	uint64_t nr;           /* free: nr_lazy (pages); purge: num_purged */
	bool failed;           /* alloc */
	enum vl_kc_mark mark;  /* mark */
	uint32_t cpu_col, addr_col; /* 1-based columns, for later messages (a mark: its text) */
};

/*
 * vl_kc_parse_event - one line of tracefs output:
 *   TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ARGUMENTS
 * (TASK may hold blanks, brackets and colons) with EVENT one of
 * alloc_vmap_area, free_vmap_area_noflush, purge_vmap_area_lazy and their
 * arguments exactly as Linux 6.x prints them, or tracing_mark_write and a
 * marker's text (see enum vl_kc_mark).  Returns 1 with @ev filled, 0 for
 * a comment ('#') or blank line, or -EINVAL with "@name:@lineno:COL:
 * message" in @err (no event header, unknown event, missing or bad
 * argument, a number that does not fit 64 bits, an alignment not a power
 * of two, a size not a positive multiple of the page, an allocated address
 * outside its own vstart..vend, a "vmaplab-capture:" marker of unknown
 * text).
 */
int vl_kc_parse_event(const char *line, const char *name, uint32_t lineno,
		      struct vl_kc_event *ev, char *err, size_t errlen);

/* One /proc/vmallocinfo area: [start, end), lazily freed or busy. */
struct vl_kc_area {
	uint64_t start, end;
	bool unpurged;         /* "unpurged vm_area" */
	uint32_t line;
};

/*
 * vl_kc_parse_area - one /proc/vmallocinfo line with real addresses:
 * "0xSTART-0xEND SIZE ..." where SIZE is END - START in bytes, both ends
 * page-aligned.  Returns 1 with @a filled, 0 for a blank line, or -EINVAL
 * with "@name:@lineno:COL: message" in @err.
 */
int vl_kc_parse_area(const char *line, const char *name, uint32_t lineno,
		     struct vl_kc_area *a, char *err, size_t errlen);

#endif
