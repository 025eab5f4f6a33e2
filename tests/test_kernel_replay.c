/*
 * kernel-replay: a tiny hand-made capture (tests/kernel_replay/good: 2
 * CPUs, 9 events, one purge) with every figure known by hand, and each
 * kind of malformed capture named by file, line and column.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "vl_test.h"
#include "kernel_capture.h"
#include "kernel_replay.h"

#define GOOD "tests/kernel_replay/good"

static char err[1024];

/*
 * The good capture by hand, generation 4: 0xa000 and 0xc000 come from the
 * tree before the purge (hits); the frees bring nr_lazy from 2 (the
 * unpurged area) to 4 and 7; the purge returns 3 areas over
 * 0x8000-0xf000, filling node 0's 2-page pool (0xa000 first) and node 1's
 * 3-page pool; CPU 0 then gets 0xa000 from its pool (hit) while CPU 1's
 * 2-page pool is empty, so the model says 0xf000 where the kernel took
 * 0x20000 (miss); the last free's nr_lazy is deliberately off by one; the
 * after snapshot lists one area allocated after tracing.
 */
static void test_good_capture_every_figure(void **state)
{
	struct vl_kr_result r;
	FILE *csv = tmpfile();
	char row[128];
	int rows = 0;

	(void)state;
	assert_non_null(csv);
	assert_int_equal(vl_kernel_replay(GOOD, VL_NODES, true, csv, &r, err, sizeof(err)), 0);
	assert_int_equal(r.cpus, 2);
	assert_true(r.vstart == 0xffffc90000000000ull && r.vend == 0xffffe8ffffffffffull);
	assert_int_equal(r.window_start % (4u << 20), 0);
	assert_int_equal(r.before_busy, 2);
	assert_int_equal(r.before_lazy, 1);
	assert_int_equal(r.before_outside, 1);
	assert_int_equal(r.nr_lazy_ok, 3);
	assert_int_equal(r.frees, 4);
	assert_int_equal(r.first_lazy_miss, 15);
	assert_int_equal(r.first_lazy_kernel, 5);
	assert_int_equal(r.first_lazy_model, 4);
	assert_int_equal(r.purges_ok, 1);
	assert_int_equal(r.purges, 1);
	assert_int_equal(r.hits, 3);
	assert_int_equal(r.allocs, 4);
	assert_int_equal(r.hits_after, 1);
	assert_int_equal(r.allocs_after, 2);
	assert_int_equal(r.final_ok, 4);
	assert_int_equal(r.final_n, 5);
	assert_int_equal(r.after_outside, 1);
	assert_int_equal(r.ndiff, 1);
	assert_int_equal(r.diff[0].off, 0x30000);
	assert_false(r.diff[0].in_model);
	assert_int_equal(r.diff[0].line, 3);
	assert_int_equal(r.diverged + r.foreign + r.allocs_failed, 0);
	assert_int_equal(r.phantoms, 1);       /* 0xf000, passed over for 0x20000 */
	assert_int_equal(r.phantoms_left, 1);
	rewind(csv);
	while (fgets(row, sizeof(row), csv)) {
		rows++;
		if (rows == 8)
			assert_string_equal(row, "13,alloc,1,+0x00020000,+0x0000f000,0\n");
	}
	assert_int_equal(rows, 10);
	fclose(csv);
}

/*
 * The last line's format, and generation 3 on the same capture: the
 * same lazy freeing, but no pools, so after the purge the lowest fit
 * (0x7000, where the purged space merged) misses both allocations.
 */
static void test_summary_and_augtree(void **state)
{
	struct vl_kr_result r;
	char out[4096] = "";
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	(void)state;
	assert_int_equal(vl_kernel_replay(GOOD, VL_AUGTREE, false, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nr_lazy_ok, 3);
	assert_int_equal(r.purges_ok, 1);
	assert_int_equal(r.hits, 2);
	assert_int_equal(r.hits_after, 0);
	vl_kr_print(&r, "augtree", f);
	fclose(f);
	assert_non_null(strstr(out, "\nkernel-replay: nr_lazy 3/4, purges 1/1, final 4/5, "
			       "addresses 2/4, after first purge 0/2\n"));
}

static char dir[64];
static void make_capture(const char *file, const char *old, const char *new_text);
static void replace_in(const char *file, const char *old, const char *new_text);
static void remove_capture(void);

/*
 * The phantom 0xf000 (free to the model, passed over by the kernel) is
 * given back when the kernel allocates there after all: the model's
 * prediction (0x11000, above the phantom) misses, the kernel's choice
 * applies, nothing diverges, and the area joins the final state.
 */
static void test_phantom_given_back(void **state)
{
	struct vl_kr_result r;

	(void)state;
	make_capture("trace.txt", "nr_lazy=5 nr_lazy_max=16384\n", "nr_lazy=5 nr_lazy_max=16384\n"
		     "   seccomp_storm-4597    [001] .....  1053.346200: alloc_vmap_area: va_start: "
		     "18446683600570085376 size=8192 align=1 vstart=0xffffc90000000000 "
		     "vend=0xffffe8ffffffffff failed=0\n");
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, true, NULL, &r, err, sizeof(err)), 0);
	remove_capture();
	assert_int_equal(r.hits, 3);
	assert_int_equal(r.allocs, 5);
	assert_int_equal(r.phantoms, 1);
	assert_int_equal(r.phantoms_left, 0);
	assert_int_equal(r.diverged, 0);
	assert_int_equal(r.final_ok, 4);
	assert_int_equal(r.final_n, 6);
	assert_int_equal(r.diff[0].off, 0xf000);
	assert_true(r.diff[0].in_model);
}

/*
 * The before snapshot's lazily freed areas are listed node after node: a
 * fall in address starts node 1.  Here 0x10000 (listed first) is node
 * 0's and 0x8000 node 1's, so after the purge node 0's 2-page pool holds
 * 0x10000 then 0xa000 (highest first) and CPU 0's prediction, 0x10000,
 * misses the kernel's 0xa000.
 */
static void test_lazy_areas_refill_their_node(void **state)
{
	struct vl_kr_result r;

	(void)state;
	make_capture("vmallocinfo.before", "0xffffc90000008000-0xffffc9000000a000    8192 unpurged",
		     "0xffffc90000010000-0xffffc90000012000    8192 unpurged vm_area\n"
		     "0xffffc90000008000-0xffffc9000000a000    8192 unpurged");
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, true, NULL, &r, err, sizeof(err)), 0);
	remove_capture();
	assert_int_equal(r.before_lazy, 2);
	assert_int_equal(r.hits_after, 0);
	assert_int_equal(r.allocs_after, 2);
}

#define KR_EV "      capture.sh-4589    [000] .....  1053.34"
#define KR_MARK(what) KR_EV "0000: tracing_mark_write: vmaplab-capture: " what "\n"
#define KR_ALLOC(addr) KR_EV "9000: alloc_vmap_area: va_start: " addr " size=8192 align=1 " \
	"vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0\n"
#define KR_FREE(addr, nr) KR_EV "9000: free_vmap_area_noflush: va_start=" addr \
	" nr_lazy=" nr " nr_lazy_max=16384\n"
#define KR_FIRST_EVENT "      capture.sh-4589    [000] .....  1053.345366"
#define KR_LAST_EVENT "va_start=0xffffc90000005000 nr_lazy=5 nr_lazy_max=16384\n"

/*
 * The good capture with the snapshot markers: a free of an area never
 * allocated before "before-begin" and after "after-end" (left out, or
 * they would be errors); read with the before snapshot, an allocation of
 * 0x5000, which it lists busy, and a free of 0x8000, which it lists
 * unpurged (both already applied, or they would be errors); read with the
 * after snapshot, an allocation of 0x30000, which it lists (the area that
 * was "only in the after snapshot"), a free of 0xa000, which it still
 * lists busy (so it is compared busy), and an allocation of 0x40000, which
 * it does not list yet (left out of the comparison); someone's own
 * marker, ignored.
 */
static void test_markers(void **state)
{
	struct vl_kr_result r;

	(void)state;
	make_capture("trace.txt", KR_FIRST_EVENT, KR_FREE("0xffffc90000040000", "9")
		     KR_MARK("before-begin") KR_ALLOC("18446683600570044416")
		     KR_FREE("0xffffc90000008000", "2")
		     KR_EV "0000: tracing_mark_write: phase one\n" KR_MARK("before-end")
		     KR_FIRST_EVENT);
	replace_in("trace.txt", KR_LAST_EVENT, KR_LAST_EVENT KR_MARK("after-begin")
		   KR_ALLOC("18446683600570220544") KR_FREE("0xffffc9000000a000", "6")
		   KR_ALLOC("18446683600570286080")
		   KR_MARK("after-end") KR_FREE("0xffffc90000050000", "9"));
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, true, NULL, &r, err, sizeof(err)), 0);
	remove_capture();
	assert_true(r.markers);
	assert_int_equal(r.ignored_before, 1);
	assert_int_equal(r.ignored_after, 1);
	assert_int_equal(r.in_before, 2);
	assert_int_equal(r.before_seen, 2);
	assert_int_equal(r.in_after, 3);
	assert_int_equal(r.after_unseen, 2);
	assert_int_equal(r.allocs, 6);
	assert_int_equal(r.diverged, 0);
	assert_int_equal(r.frees, 5);
	assert_int_equal(r.nr_lazy_ok, 4);
	assert_int_equal(r.final_ok, 5);
	assert_int_equal(r.final_n, 5);
}

/* Without the after window's reconciliation 0xa000 is unpurged in the model. */
static void test_marked_free_the_snapshot_shows(void **state)
{
	struct vl_kr_result r;

	(void)state;
	make_capture("trace.txt", KR_FIRST_EVENT, KR_MARK("before-begin") KR_MARK("before-end")
		     KR_FIRST_EVENT);
	replace_in("trace.txt", KR_LAST_EVENT, KR_LAST_EVENT KR_FREE("0xffffc9000000a000", "6")
		   KR_MARK("after-begin") KR_MARK("after-end"));
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, true, NULL, &r, err, sizeof(err)), 0);
	remove_capture();
	assert_int_equal(r.after_unseen, 0);
	assert_int_equal(r.final_ok, 3);
	assert_int_equal(r.final_n, 6);
}

/*
 * The kernel records a purge when it has finished: here CPU 0's
 * allocation of 0xa000, purged space, comes before the purge's event.
 * The purge runs early, the choice applies, the purge still agrees; a
 * purge left out before the markers does not hide the one ahead.
 */
static void test_purge_recorded_late(void **state)
{
	struct vl_kr_result r;

	(void)state;
	make_capture("trace.txt", "     kworker/0:1-11      [000] .....  1053.345700: purge",
		     "   seccomp_storm-4595    [000] .....  1053.345690: alloc_vmap_area: va_start: "
		     "18446683600570064896 size=8192 align=1 vstart=0xffffc90000000000 "
		     "vend=0xffffe8ffffffffff failed=0\n"
		     "     kworker/0:1-11      [000] .....  1053.345700: purge");
	replace_in("trace.txt", "   seccomp_storm-4595    [000] .....  1053.345800: alloc_vmap_area: "
		   "va_start: 18446683600570064896 size=8192 align=1 vstart=0xffffc90000000000 "
		   "vend=0xffffe8ffffffffff failed=0\n", "");
	replace_in("trace.txt", KR_FIRST_EVENT, KR_EV "0000: purge_vmap_area_lazy: start=0x0 "
		   "end=0x0 num_purged=0\n" KR_MARK("before-begin") KR_MARK("before-end")
		   KR_FIRST_EVENT);
	replace_in("trace.txt", KR_LAST_EVENT, KR_LAST_EVENT KR_MARK("after-begin")
		   KR_MARK("after-end"));
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, true, NULL, &r, err, sizeof(err)), 0);
	remove_capture();
	assert_int_equal(r.ignored_before, 1);
	assert_int_equal(r.early_purges, 1);
	assert_int_equal(r.purges_ok, 1);
	assert_int_equal(r.diverged, 0);
	assert_int_equal(r.nr_lazy_ok, 3);
	assert_int_equal(r.final_ok, 4);
}

/* ---- malformed captures ------------------------------------------------ */

/* The good capture's files. */
static const char *const names[] = { "machine.txt", "vmallocinfo.before", "trace.txt",
				     "vmallocinfo.after.xz" };

static void put(const char *name, const char *text, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1u << 16);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1u << 16) - 1, f);
	fclose(f);
	return buf;
}

/* In the capture being made, @old (which must be there) replaced by @new_text in @file. */
static void replace_in(const char *file, const char *old, const char *new_text)
{
	char path[128];
	size_t len;
	char *text, *at;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = slurp(path, &len);
	at = strstr(text, old);
	assert_non_null(at);
	put(file, text, (size_t)(at - text));
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(new_text, f);
	fputs(at + strlen(old), f);
	fclose(f);
	free(text);
}

/* A copy of the good capture with @old replaced by @new_text in @file. */
static void make_capture(const char *file, const char *old, const char *new_text)
{
	char path[128];

	strcpy(dir, "/tmp/vl_kr_XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		char *text;

		snprintf(path, sizeof(path), GOOD "/%s", names[i]);
		text = slurp(path, &len);
		put(names[i], text, len);
		free(text);
	}
	replace_in(file, old, new_text);
}

static void remove_capture(void)
{
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* The replay of the altered capture fails with exactly "DIR/@msg". */
static void expect_error(const char *file, const char *old, const char *new_text,
			 const char *msg)
{
	struct vl_kr_result r;
	char want[1024];

	make_capture(file, old, new_text);
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, false, NULL, &r, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s/%s", dir, msg);
	assert_string_equal(err, want);
	remove_capture();
}

static void test_truncated_line(void **state)
{
	(void)state;
	expect_error("trace.txt", "size=8192 align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff "
		     "failed=0\n memfd", "size=8192 al\n memfd",
		     "trace.txt:7:109: expected ' align='");
	expect_error("trace.txt", "nr_lazy=7 nr_lazy_max=16384", "nr_lazy=7 nr_la",
		     "trace.txt:10:113: expected ' nr_lazy_max='");
	expect_error("trace.txt", "end=0xffffc9000000f000 num_purged=3", "end=0xffffc9000000f000",
		     "trace.txt:11:121: line ends where ' num_purged=' should follow");
}

static void test_unknown_event(void **state)
{
	(void)state;
	expect_error("trace.txt", "kworker/0:1-11      [000] .....  1053.345700: purge_vmap_area_lazy",
		     "kworker/0:1-11      [000] .....  1053.345700: purge_vmap_node",
		     "trace.txt:11:52: unknown event 'purge_vmap_node'");
	expect_error("trace.txt", "# tracer: nop", "tracer: nop",
		     "trace.txt:1:1: expected 'TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ...'");
}

static void test_address_outside_the_range(void **state)
{
	(void)state;
	expect_error("trace.txt", "18446683600570073088", "18446683600570073088000",
		     "trace.txt:8:79: va_start does not fit 64 bits");
	expect_error("trace.txt", "va_start: 18446683600570073088", "va_start: 18446683600570000000",
		     "trace.txt:8:79: va_start 0xffffc8ffffffa280 size 12288 outside vstart..vend "
		     "0xffffc90000000000..0xffffe8ffffffffff");
}

static void test_free_of_an_unknown_address(void **state)
{
	(void)state;
	expect_error("trace.txt", "va_start=0xffffc90000020000", "va_start=0xffffc90000040000",
		     "trace.txt:14:87: free of 0xffffc90000040000, which is not allocated");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_error("trace.txt", "nr_lazy=4 ", "nr_lazy=x4 ",
		     "trace.txt:9:112: bad digit 'x' in nr_lazy");
	expect_error("trace.txt", "size=12288 align=1", "size=12288 align=3",
		     "trace.txt:8:79: align=3 is not a power of two");
	expect_error("trace.txt", "size=12288 align=1", "size=12289 align=1",
		     "trace.txt:8:79: size=12289 is not a positive multiple of 4096");
	expect_error("trace.txt", "[001] .....  1053.345400", "[002] .....  1053.345400",
		     "trace.txt:8:27: CPU 2: beyond machine.txt's count");
	expect_error("machine.txt", "\n2\n", "\n9\n",
		     "machine.txt:2:1: '9' is not a CPU count from 1 to 8");
	expect_error("vmallocinfo.before", "    8192 unpurged", "    8193 unpurged",
		     "vmallocinfo.before:4:42: size 8193 is not end - start");
}

static void test_bad_markers(void **state)
{
	(void)state;
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("before-start") KR_FIRST_EVENT,
		     "trace.txt:7:89: unknown marker 'vmaplab-capture: before-start' "
		     "(before-begin, before-end, after-begin, after-end)");
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("after") KR_FIRST_EVENT,
		     "trace.txt:7:89: unknown marker 'vmaplab-capture: after' "
		     "(before-begin, before-end, after-begin, after-end)");
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("before-begin x") KR_FIRST_EVENT,
		     "trace.txt:7:102: unexpected 'x' after the last argument");
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("before-begin") KR_MARK("after-begin")
		     KR_FIRST_EVENT, "trace.txt:8:89: marker 'vmaplab-capture: after-begin' out of "
		     "order (before-end expected)");
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("before-begin") KR_MARK("before-end")
		     KR_FIRST_EVENT, "trace.txt:18:1: the trace ends without the marker "
		     "'vmaplab-capture: after-begin'");
	expect_error("trace.txt", KR_FIRST_EVENT, KR_MARK("before-begin") KR_MARK("before-end")
		     KR_MARK("after-begin") KR_MARK("after-end") KR_MARK("after-end") KR_FIRST_EVENT,
		     "trace.txt:11:89: marker 'vmaplab-capture: after-end' out of order "
		     "(no marker after 'after-end' expected)");
}

static void test_corrupt_or_missing_files(void **state)
{
	struct vl_kr_result r;
	char want[256];

	(void)state;
	make_capture("trace.txt", "", "");
	put("vmallocinfo.after.xz", "\xfd" "7zXZ garbage", 12);
	assert_int_equal(vl_kernel_replay(dir, VL_NODES, false, NULL, &r, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s/vmallocinfo.after.xz: xz cannot decompress it "
		 "(corrupt or truncated)", dir);
	assert_string_equal(err, want);
	remove_capture();
	assert_int_equal(vl_kernel_replay("/nonexistent", VL_NODES, false, NULL, &r, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "/nonexistent/trace.txt: missing (nor is there a .xz of it)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_capture_every_figure),
		cmocka_unit_test(test_summary_and_augtree),
		cmocka_unit_test(test_phantom_given_back),
		cmocka_unit_test(test_lazy_areas_refill_their_node),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_marked_free_the_snapshot_shows),
		cmocka_unit_test(test_purge_recorded_late),
		cmocka_unit_test(test_truncated_line),
		cmocka_unit_test(test_unknown_event),
		cmocka_unit_test(test_address_outside_the_range),
		cmocka_unit_test(test_free_of_an_unknown_address),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_bad_markers),
		cmocka_unit_test(test_corrupt_or_missing_files),
	};

	vl_set_bug_handler(catch_bug);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
