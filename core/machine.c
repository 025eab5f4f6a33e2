/* Boot and shutdown, per-CPU counters, threads and the BUG handler. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixmap.h"
#include "highmem.h"
#include "machine.h"
#include "mmu.h"
#include "physmem.h"
#include "track.h"
#include "vmalloc.h"

struct vl_machine vl;

struct vl_stats vl_percpu_stats[VL_MAX_CPUS];
_Thread_local uint32_t vl_this_cpu;
static atomic_uint threads_alive;
static bool booted;

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

int vl_boot(const struct vl_config *cfg)
{
	const struct vl_layout *l = vl_layout_find(cfg->layout ? cfg->layout : "biscuitos");
	uint32_t cpus = cfg->cpus ? cfg->cpus : 1;

	if (!l || cpus > l->nr_cpus || cpus > VL_MAX_CPUS)
		return -EINVAL;
	if (cfg->vmalloc && cfg->vmalloc != VL_VMLIST)
		return -EINVAL;
	if (booted)
		vl_shutdown();
	vl_track_stop();
	vl = (struct vl_machine){ .layout = l, .cpus = cpus, .debug = cfg->debug,
				  .vmalloc = VL_VMLIST };
	vl_this_cpu = 0;
	atomic_store(&threads_alive, 1);
	vl_physmem_init();
	vl_mmu_init();
	vl_pkmap_init();
	vl_fixmap_init();
	vl_vmalloc_init();
	vl_stats_reset();
	booted = true;
	return 0;
}

void vl_shutdown(void)
{
	if (!booted)
		return;
	vl_vmalloc_exit();
	vl_fixmap_exit();
	vl_pkmap_exit();
	vl_mmu_exit();
	vl_physmem_exit();
	booted = false;
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

int vl_thread_enter(uint32_t cpu)
{
	if (vl_set_cpu(cpu))
		return -EINVAL;
	atomic_fetch_add(&threads_alive, 1);
	return 0;
}

void vl_thread_exit(void)
{
	atomic_fetch_sub(&threads_alive, 1);
	vl_pkmap_thread_exited();
}

uint32_t vl_threads_alive(void)
{
	return atomic_load(&threads_alive);
}
