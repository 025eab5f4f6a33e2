/*
 * vl_test.h - what the cmocka tests share: catching BUG(), the boot and
 * shutdown fixture, and small helpers.
 *
 * Header-only on purpose: the Makefile builds each tests/test_X.c on its
 * own against libvmaplab.a, so there is no test library to link.  All is
 * static, one private copy per test program; an unused static inline
 * function draws no warning.
 */
#ifndef VL_TEST_H
#define VL_TEST_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmaplab.h"

/*
 * vl_bug() aborts if the handler returns, so the handler jumps back into
 * the test instead.  A BUG nobody expected fails the test with its message
 * rather than aborting the whole program.
 */
static jmp_buf bug_jmp;
static bool bug_expected;
static char bug_msg[256];

static inline void catch_bug(const char *msg)
{
	if (!bug_expected)
		fail_msg("unexpected BUG: %s", msg);
	bug_expected = false;
	snprintf(bug_msg, sizeof(bug_msg), "%s", msg);
	longjmp(bug_jmp, 1);
}

/*
 * Run @stmt, which must BUG with a message containing @text.  A macro, not
 * a function: setjmp() must be called in the frame that stays live while
 * @stmt runs, and #stmt names the statement in the failure.
 */
#define EXPECT_BUG(stmt, text)                                              \
	do {                                                                \
		bug_msg[0] = '\0';                                          \
		bug_expected = true;                                        \
		if (!setjmp(bug_jmp)) {                                     \
			stmt;                                               \
			fail_msg("no BUG from %s", #stmt);                  \
		}                                                           \
		if (!strstr(bug_msg, text))                                 \
			fail_msg("BUG \"%s\" lacks \"%s\"", bug_msg, text); \
	} while (0)

/*
 * Fixture: boot the struct vl_config given as the test's initial state,
 * BUGs caught.  Each file keeps its own configs, since they differ.
 */
static inline int setup(void **state)
{
	vl_set_bug_handler(catch_bug);
	return vl_boot(*state) ? -1 : 0;
}

/* Free the machine so the next test starts clean and ASan sees no leak. */
static inline int teardown(void **state)
{
	(void)state;
	vl_shutdown();
	vl_set_bug_handler(NULL);
	return 0;
}

/* Test @f on a machine booted with @cfg (a struct vl_config variable). */
#define BOOTED(f, cfg) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, &(cfg))

static inline void watchdog_fire(int sig)
{
	static const char msg[] = "watchdog: the test hung (a lock or a sleeper left behind?)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/*
 * watchdog - unless watchdog(0) comes within @seconds, end the program
 * with a message and status 1: a regression that deadlocks fails the
 * suite instead of hanging it.  Generous bounds, not a timing assertion.
 */
static inline void watchdog(unsigned int seconds)
{
	signal(SIGALRM, watchdog_fire);
	alarm(seconds);
}

/* The counters summed over CPUs, by value so a test can compare snapshots. */
static inline struct vl_stats stats(void)
{
	struct vl_stats s;

	vl_stats_read(&s);
	return s;
}

/* A fresh highmem frame: kmap and kmap_atomic map only these. */
static inline struct page *high_page(void)
{
	struct page *p = alloc_page(GFP_HIGHUSER);

	assert_non_null(p);
	assert_true(PageHighMem(p));
	return p;
}

/* The PTE mapping @va, whose page table must exist. */
static inline pte_t pte_of(vaddr_t va)
{
	return *vl_pte_lookup(va);
}

/* Fail with vl_check_all()'s reason if any invariant is broken. */
static inline void assert_invariants(void)
{
	const char *why = vl_check_all();

	if (why)
		fail_msg("invariant: %s", why);
}

#endif
