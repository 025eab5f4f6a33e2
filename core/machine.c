/* The running machine, per-CPU counters, the CPU of a thread, BUG(). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

struct vl_machine vl;

struct vl_stats vl_percpu_stats[VL_MAX_CPUS];
_Thread_local uint32_t vl_this_cpu;

static void default_bug_handler(const char *msg)
{
	fprintf(stderr, "kernel BUG: %s\n", msg);
	abort();
}
static vl_bug_handler_t bug_handler = default_bug_handler;

vl_bug_handler_t vl_set_bug_handler(vl_bug_handler_t h)
{
	vl_bug_handler_t old = bug_handler;

	bug_handler = h ? h : default_bug_handler;
	return old;
}

void vl_bug(const char *func, const char *fmt, ...)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s: ", func);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	bug_handler(msg);
	abort();  /* a handler must not return */
}

void vl_mutex_reset(pthread_mutex_t *m)
{
	/* held: destroy fails with EBUSY, and init overwrites it anyway */
	pthread_mutex_destroy(m);
	pthread_mutex_init(m, NULL);
}

void vl_stats_read(struct vl_stats *out)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	size_t n = sizeof(*out) / sizeof(uint64_t);

	memset(out, 0, sizeof(*out));
	/* CPUs past vl.cpus never run: their counters stay 0 */
	for (uint32_t cpu = 0; cpu < vl.cpus; cpu++) {
		src = (const uint64_t *)&vl_percpu_stats[cpu];
		for (size_t i = 0; i < n; i++)
			dst[i] += src[i];
	}
}

void vl_stats_reset(void)
{
	memset(vl_percpu_stats, 0, sizeof(vl_percpu_stats));
}

int vl_set_cpu(uint32_t cpu)
{
	if (cpu >= vl.cpus)
		return -EINVAL;
	vl_this_cpu = cpu;
	return 0;
}
