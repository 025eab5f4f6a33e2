/* The trace language: every malformed input names its line and column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "highmem.h"
#include "mmu.h"
#include "physmem.h"
#include "trace.h"

static char err[512];

static int parse(const char *text, struct vl_trace *t)
{
	return vl_trace_parse("t.trace", text, strlen(text), t, err, sizeof(err));
}

static void rejects(const char *text, const char *message)
{
	struct vl_trace t;

	assert_int_not_equal(parse(text, &t), 0);
	assert_string_equal(err, message);
}

static void test_malformed(void **state)
{
	(void)state;
	rejects("frobnicate X\n", "t.trace:1:1: unknown operation 'frobnicate'");
	rejects("page A high\nkmap B\n", "t.trace:2:6: 'B' is not bound");
	rejects("page A middle\n", "t.trace:1:8: expected high or low, got 'middle'");
	rejects("page A high\npage A low\n", "t.trace:2:6: 'A' is still bound");
	rejects("vmalloc V 12Q\n", "t.trace:1:11: expected a number, got '12Q'");
	rejects("vmalloc V 99999999999\n", "t.trace:1:11: number '99999999999' does not fit 32 bits");
	rejects("page A high\nkmap_atomic A KM_USER9\n", "t.trace:2:15: unknown km_type 'KM_USER9'");
	rejects("page A high\nkmap_atomic A KM_USER0 cpu=1\n", "t.trace:2:24: cpu 1: the trace has 1 cpus");
	rejects("page A high\nlayout arm\n", "t.trace:2:1: 'layout' must come before the first operation");
	rejects("layout sparc\n", "t.trace:1:8: unknown layout 'sparc' (biscuitos, arm, i386, small)");
	rejects("layout arm\ncpus 6\npage A low\n",
		"t.trace:2:6: cpus must be 1..4: layout arm has NR_CPUS 4");
	rejects("vmap-nodes 129\n", "t.trace:1:12: vmap-nodes must be 1..128, got '129'");
	rejects("vmalloc V 4096 ioremap\n", "t.trace:1:16: unexpected 'ioremap'");
	rejects("get_vm_area V 4096 cpu=0 ioremap\n", "t.trace:1:26: unexpected 'ioremap'");
	rejects("page A high\nvfree A\n", "t.trace:2:7: 'A' is not an area");
	rejects("page A high\nwrite A 0 256\n", "t.trace:2:11: byte 256 is above 255");
	rejects("check extra\n", "t.trace:1:7: unexpected 'extra' (usage: check)");
	/* a line stops being read at its sixth word (vmap excepted) */
	rejects("check a b c d e \x01\n", "t.trace:1:7: unexpected 'a' (usage: check)");
	rejects("vmap a b c d e f \x01\n", "t.trace:1:18: unexpected byte 0x01");
	rejects("page A \x01high\n", "t.trace:1:8: unexpected byte 0x01");
	rejects("set_fixmap FIX_APIC_BASE A\n", "t.trace:1:12: no fixmap slot 'FIX_APIC_BASE' in layout biscuitos");
}

/* Messages name the fault: K and M suffix a number, never stand for one;
 * a missing argument is named; the cpu range is the layout's. */
static void test_messages(void **state)
{
	(void)state;
	struct vl_trace t;

	rejects("vmalloc V 0xK\n", "t.trace:1:11: expected a number, got '0xK'");
	rejects("vmalloc V K\n", "t.trace:1:11: expected a number, got 'K'");
	rejects("page A low\nwrite A 0xM 1\n", "t.trace:2:9: expected a number, got '0xM'");
	rejects("vmalloc V\n", "t.trace:1:10: missing BYTES (usage: vmalloc NAME BYTES [cpu=N])");
	rejects("page A low\nvmalloc V\n", "t.trace:2:10: missing BYTES (usage: vmalloc NAME BYTES [cpu=N])");
	rejects("page A low\nvmalloc vmlist\n",
		"t.trace:2:1: 'vmalloc' must come before the first operation");
	rejects("lazy-purge on\nvmalloc vmlist\nvmalloc A 1\n",
		"t.trace:1:12: lazy-purge on needs vmalloc rbtree, augtree or nodes (vmlist frees at once)");
	rejects("lazy-purge maybe\n", "t.trace:1:12: expected on or off, got 'maybe'");
	rejects("vmalloc-size 1000\n", "t.trace:1:14: vmalloc-size must be a positive multiple of 4K, got '1000'");
	rejects("layout i386\nvmalloc-size 1020M\ncheck\n",
		"t.trace:2:14: vmalloc-size leaves layout i386 less than 1M of lowmem below the window");
	rejects("page\n", "t.trace:1:5: missing NAME (usage: page NAME high|low)");
	rejects("page A high\nvmap V\n", "t.trace:2:7: missing PAGE (usage: vmap NAME PAGE PAGE ...)");
	rejects("cpus\n", "t.trace:1:5: missing N (usage: cpus N)");
	rejects("debug on off\n", "t.trace:1:10: unexpected 'off' (usage: debug on|off)");
	rejects("cpus 6\nlayout arm\n", "t.trace:1:6: cpus must be 1..4: layout arm has NR_CPUS 4");
	rejects("cpus 0\n", "t.trace:1:6: cpus must be 1..4: layout biscuitos has NR_CPUS 4");
	rejects("layout i386\ncpus 9\n", "t.trace:2:6: cpus must be 1..8: layout i386 has NR_CPUS 8");
	rejects("virt_to_fix 0x96395000 cpu=0\n",
		"t.trace:1:24: unexpected 'cpu=0' (usage: virt_to_fix ADDR)");
	rejects("kmap_atomic_to_page 0x96395000 cpu=0\n",
		"t.trace:1:32: unexpected 'cpu=0' (usage: kmap_atomic_to_page ADDR)");
	assert_int_equal(vl_trace_parse("t.trace", "\0\0", 2, &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.trace:1:1: unexpected byte 0x00");
	assert_int_equal(vl_trace_parse("t.trace", "check\n \xff", 8, &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.trace:2:2: unexpected byte 0xff");
}

/* Every operation, given one word more than it takes, names that word. */
static void test_no_extra_arguments(void **state)
{
	(void)state;
	static const char *const ops[] = {
		"page B low", "free-page P", "kmap H", "kunmap H",
		"kmap_atomic H KM_USER0 cpu=0", "kunmap_atomic H KM_USER0 cpu=0",
		"kmap_atomic_pfn H KM_USER0 cpu=0", "kmap_atomic_to_page 0",
		"fix_to_virt 0", "virt_to_fix 0", "set_fixmap 0 P", "clear_fixmap 0",
		"vmalloc W 4K", "get_vm_area W 4K ioremap", "vfree V", "vunmap M",
		"write P 0 1 cpu=0", "expect P 0 1 cpu=0", "purge", "check", "stats",
		"fail-alloc 1", "layout arm", "cpus 1", "debug on", "lazy-purge off",
	};
	char text[256], want[256];
	struct vl_trace t;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		bool hdr = strchr("lcd", ops[i][0]) && !strchr(ops[i], '_') &&
			   strncmp(ops[i], "check", 5) && strncmp(ops[i], "clear", 5);

		snprintf(text, sizeof(text), "%s%s %s\n", hdr ? "" :
			 "page P low\npage H high\nvmalloc V 4K\nvmap M H\n", ops[i],
			 strchr(ops[i], ' ') ? "zz" : "zz");
		snprintf(want, sizeof(want), "t.trace:%d:%zu: unexpected 'zz'",
			 hdr ? 1 : 5, strlen(ops[i]) + 2);
		assert_int_equal(parse(text, &t), -EINVAL);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s...\"", ops[i], err, want);
	}
}

/* An OFFSET must stay inside the mapping: a page, or an area with its
 * guard page; past it the address would wrap into page tables. */
static void test_offset_inside_mapping(void **state)
{
	(void)state;
	struct vl_trace t;

	rejects("page L low\nwrite L 0xffffe007 0xff\n",
		"t.trace:2:9: offset 0xffffe007 is outside page L (offsets 0..4095)");
	rejects("page L high\nkmap L\nexpect L 4096 0\n",
		"t.trace:3:10: offset 4096 is outside page L (offsets 0..4095)");
	rejects("vmalloc V 5000\nwrite V 12K 1\n",
		"t.trace:2:9: offset 12K is outside area V (offsets 0..12287, guard page included)");
	rejects("page A high\npage B high\nvmap M A B\nwrite M 12288 1\n",
		"t.trace:4:9: offset 12288 is outside area M (offsets 0..12287, guard page included)");
	/* rebinding takes the new size */
	rejects("vmalloc V 8K\nvfree V\nvmalloc V 4K\nwrite V 8K 1\n",
		"t.trace:4:9: offset 8K is outside area V (offsets 0..8191, guard page included)");
	assert_int_equal(parse("page L low\nwrite L 4095 1\nvmalloc V 5000\nwrite V 12287 1\n"
			       "get_vm_area G 0xffffffff\nexpect G 0xfffffffe 0\n", &t), 0);
	vl_trace_free(&t);
}

/* Lines and comments have no length limit; a vmap may name many pages. */
static void test_long_lines(void **state)
{
	(void)state;
	size_t n = 200 * 8 + 10000;
	char *text = malloc(n), *o = text;
	struct vl_trace t;

	for (int i = 0; i < 200; i++)
		o += sprintf(o, "page P%d high\n", i);
	o += sprintf(o, "vmap V");
	for (int i = 0; i < 200; i++)
		o += sprintf(o, " P%d", i);
	o += sprintf(o, "\n#");
	memset(o, 'c', 5000);
	strcpy(o + 5000, "\ncheck\n");
	assert_int_equal(parse(text, &t), 0);
	assert_int_equal(t.nops, 202);
	assert_int_equal(t.ops[200].nlist, 200);
	assert_int_equal(t.ops[200].list[199], 199);
	assert_int_equal(t.ops[201].line, 203);
	vl_trace_free(&t);
	memset(text, 'a', VL_TRACE_MAX_WORD + 1);
	strcpy(text + VL_TRACE_MAX_WORD + 1, " x\n");
	assert_int_equal(parse(text, &t), -EINVAL);
	assert_string_equal(err, "t.trace:1:1: word longer than 4096 bytes");
	memcpy(text, "page ", 5);
	memset(text + 5, 'a', VL_TRACE_MAX_WORD);
	strcpy(text + 5 + VL_TRACE_MAX_WORD, " low\n");
	assert_int_equal(parse(text, &t), 0);
	assert_int_equal(strlen(t.names[0]), VL_TRACE_MAX_WORD);
	vl_trace_free(&t);
	free(text);
}

/* Many distinct names: every use finds its own (the table grows often). */
static void test_many_names(void **state)
{
	(void)state;
	enum { N = 50000 };
	char *text = malloc((size_t)N * 40), *o = text;
	struct vl_trace t;

	for (int i = 0; i < N; i++)
		o += sprintf(o, "page n%d low\n", i);
	for (int i = N - 1; i >= 0; i -= 7)
		o += sprintf(o, "free-page n%d\n", i);
	o += sprintf(o, "page n%d high\n", N - 1);
	assert_int_equal(parse(text, &t), 0);
	assert_int_equal(t.nnames, N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(t.ops[i].name, i);
	for (uint32_t k = 0; N + k < t.nops - 1; k++)
		assert_int_equal(t.ops[N + k].name, N - 1 - 7 * k);
	assert_int_equal(t.ops[t.nops - 1].name, N - 1);
	vl_trace_free(&t);
	free(text);
}

/* A stream is read as it comes; a read error is named, never a parse. */
static void test_parse_stream(void **state)
{
	(void)state;
	static const char text[] = "page A low\nexpect A 0 0\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct vl_trace t;

	assert_non_null(f);
	assert_int_equal(vl_trace_parse_file("s", f, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nops, 2);
	vl_trace_free(&t);
	fclose(f);
	f = fopen(".", "r");
	assert_non_null(f);
	assert_int_equal(vl_trace_parse_file(".", f, &t, err, sizeof(err)), -EIO);
	assert_string_equal(err, ".: Is a directory");
	fclose(f);
}

static void test_rebind_after_free(void **state)
{
	(void)state;
	struct vl_trace t;

	assert_int_equal(parse("vmalloc V 4K\nvfree V\nvmalloc V 1M # again\n", &t), 0);
	assert_int_equal(t.nops, 3);
	assert_int_equal(t.ops[2].num, 1u << 20);
	assert_int_equal(t.ops[2].line, 3);
	vl_trace_free(&t);
}

static void test_headers(void **state)
{
	(void)state;
	struct vl_trace t;

	assert_int_equal(parse("# c\nlayout i386\ncpus 4\ndebug off\nset_fixmap FIX_APIC_BASE P\n", &t) != 0, 1);
	assert_int_equal(parse("layout i386\ncpus 4\ndebug off\npage P low\nset_fixmap FIX_APIC_BASE P\n", &t), 0);
	assert_string_equal(t.cfg.layout, "i386");
	assert_int_equal(t.cfg.cpus, 4);
	assert_false(t.cfg.debug);
	assert_int_equal(t.ops[1].num, 2);
	vl_trace_free(&t);
}

/* Arbitrary bytes: accepted, or rejected with -EINVAL and a message that
 * points into the input; never a crash or another error. */
static void test_random_bytes(void **state)
{
	(void)state;
	char buf[256];
	struct vl_trace t;
	int accepted = 0;

	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf)), lines = 1;
		unsigned line = 0, col = 0;
		int r;

		for (size_t j = 0; j < n; j++) {
			buf[j] = (char)(rand() % 4 ? " \nA0xpagekmvf#"[rand() % 13] : rand());
			lines += buf[j] == '\n';
		}
		r = vl_trace_parse("r", buf, n, &t, err, sizeof(err));
		if (r == 0) {
			accepted++;
			vl_trace_free(&t);
			continue;
		}
		assert_int_equal(r, -EINVAL);
		if (sscanf(err, "r:%u:%u: ", &line, &col) != 2 || line < 1 || line > lines ||
		    col < 1 || col > n + 1)
			fail_msg("input %d: message \"%s\"", i, err);
	}
	assert_true(accepted > 0);
}

/* Runs @t; its output into @out (freed by the caller), status returned. */
static int exec_trace(const struct vl_trace *t, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int r;

	assert_non_null(f);
	r = vl_trace_exec(t, f, true);
	fclose(f);
	return r;
}

static int exec_text(const char *text, char **out)
{
	struct vl_trace t;
	int r;

	assert_int_equal(parse(text, &t), 0);
	r = exec_trace(&t, out);
	vl_trace_free(&t);
	return r;
}

static void exec_prints(const char *text, int status, const char *want)
{
	char *out = NULL;

	assert_int_equal(exec_text(text, &out), status);
	assert_string_equal(out, want);
	free(out);
	/* no machine left booted: vl_shutdown() released mem_map */
	assert_null(mem_map);
	assert_int_equal(vl_nr_pages, 0);
}

static void test_exec_output(void **state)
{
	(void)state;
	exec_prints("page A high\nkmap A\nwrite A 5 0x5a\nexpect A 5 90\nkunmap A\nkunmap A\n", 3,
		    "1: ok\n2: 0x96001000\n3: ok\n4: ok\n5: ok\n"
		    "6: bug kunmap_high: pkmap_count[1] dropped to 0\n");
}

static void test_exec_cases(void **state)
{
	(void)state;
	/* the second of two atomic slots names the second page */
	exec_prints("page A high\npage B high\nkmap_atomic A KM_USER0\nkmap_atomic B KM_USER1\n"
		    "kmap_atomic_to_page 0x9639a000\nkmap_atomic_to_page 0x96399000\n", 0,
		    "1: ok\n2: ok\n3: 0x96399000\n4: 0x9639a000\n5: B\n6: A\n");
	/* an EFAULT is a result: the trace goes on */
	exec_prints("vmalloc V 4K\nwrite V 4096 1\nwrite V 0 2\nexpect V 0 2\n", 0,
		    "1: 0x9440a000\n2: err EFAULT\n3: ok\n4: ok\n");
	/* no names at all */
	exec_prints("check\nfix_to_virt 0\n", 0, "1: ok\n2: 0x96395000\n");
	exec_prints("", 0, "");
	/* a freed page is no longer named */
	exec_prints("debug off\npage A high\nkmap_atomic A KM_USER0\nkunmap_atomic A KM_USER0\n"
		    "free-page A\nkmap_atomic_to_page 0x96399000\n", 0,
		    "2: ok\n3: 0x96399000\n4: ok\n5: ok\n6: pfn 0x64400\n");
}

/* kmap_atomic addresses are per-CPU: another CPU's slot is a bug. */
static void test_atomic_other_cpu(void **state)
{
	(void)state;
	exec_prints("cpus 2\npage A high\nkmap_atomic A KM_USER0\nwrite A 0 1\nexpect A 0 1 cpu=1\n", 3,
		    "2: ok\n3: 0x96399000\n4: ok\n5: bug expect: 0x96399000 is CPU 0's "
		    "kmap_atomic slot KM_USER0, used on CPU 1: kmap_atomic addresses are per-CPU\n");
	exec_prints("cpus 2\npage A high\nkmap_atomic A KM_USER1 cpu=1\nwrite A 7 1 cpu=0\n", 3,
		    "2: ok\n3: 0x963a7000\n4: bug write: 0x963a7007 is CPU 1's "
		    "kmap_atomic slot KM_USER1, used on CPU 0: kmap_atomic addresses are per-CPU\n");
	/* a lowmem page's kmap_atomic is its direct address: any CPU may use it */
	exec_prints("cpus 2\npage L low\nkmap_atomic L KM_USER0\nwrite L 0 1 cpu=1\n", 0,
		    "2: ok\n3: 0x80002000\n4: ok\n");
}

/* An offset the parser never lets through is refused at run time too. */
static void test_exec_offset_checked(void **state)
{
	(void)state;
	struct vl_trace t;
	char *out = NULL;

	assert_int_equal(parse("page L low\nwrite L 7 0xff\ncheck\n", &t), 0);
	t.ops[1].num = 0xffffe007u;
	assert_int_equal(exec_trace(&t, &out), 0);
	assert_string_equal(out, "1: ok\n2: err EFAULT\n3: ok\n");
	free(out);
	vl_trace_free(&t);
}

/* Output that cannot be written stops the run with -EIO. */
static void test_exec_write_error(void **state)
{
	(void)state;
	struct vl_trace t;
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(parse("page A high\nkmap A\n", &t), 0);
	assert_int_equal(vl_trace_exec(&t, f, false), -EIO);
	assert_null(mem_map);
	fclose(f);
	vl_trace_free(&t);
}

static jmp_buf flush_bug_jmp;
static char flush_bug[256];

static void catch_flush_bug(const char *msg)
{
	snprintf(flush_bug, sizeof(flush_bug), "%s", msg);
	longjmp(flush_bug_jmp, 1);
}

/*
 * A BUG inside flush_all_zero_pkmaps() (set_page_address() of a lowmem
 * page a corrupted PKMAP PTE names, with kmap_lock held), then two traces
 * that BUG and need kmap_lock: each must run to its bug line, not
 * deadlock.  alarm() turns a deadlock into a failure.
 * Needs the locks re-initialised at boot (pkmap.c, page_address.c).
 */
static void test_two_bugs_one_process(void **state)
{
	(void)state;
	static const struct vl_config cfg = { .layout = "small", .cpus = 1, .debug = true };
	vl_bug_handler_t old;
	struct page *low, *high[LAST_PKMAP_MAX];
	char *out = NULL;

	alarm(20);
	assert_int_equal(vl_boot(&cfg), 0);
	old = vl_set_bug_handler(catch_flush_bug);
	low = alloc_page(GFP_KERNEL);
	high[0] = alloc_page(GFP_HIGHUSER);
	kmap(high[0]);
	kunmap(high[0]);
	/* the count-1 slot's PTE now names a lowmem frame */
	set_pte(vl_pte_lookup(vl.layout->pkmap_base + PAGE_SIZE), pfn_pte(page_to_pfn(low), PAGE_KERNEL));
	if (!setjmp(flush_bug_jmp)) {
		for (uint32_t i = 1; i < LAST_PKMAP + 1; i++)
			kmap(high[i] = alloc_page(GFP_HIGHUSER));
		fail_msg("no BUG from flush_all_zero_pkmaps");
	}
	assert_non_null(strstr(flush_bug, "set_page_address"));
	vl_set_bug_handler(old);
	vl_shutdown();
	for (int k = 0; k < 2; k++) {
		assert_int_equal(exec_text("page A high\nkmap A\nkunmap A\nkunmap A\n", &out), 3);
		assert_string_equal(out, "1: ok\n2: 0x96001000\n3: ok\n"
				    "4: bug kunmap_high: pkmap_count[1] dropped to 0\n");
		free(out);
	}
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_no_extra_arguments),
		cmocka_unit_test(test_offset_inside_mapping),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_parse_stream),
		cmocka_unit_test(test_exec_cases),
		cmocka_unit_test(test_atomic_other_cpu),
		cmocka_unit_test(test_exec_offset_checked),
		cmocka_unit_test(test_exec_write_error),
		cmocka_unit_test(test_rebind_after_free),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_exec_output),
		/* last: it hangs (until alarm) where a BUG leaves a lock held */
		cmocka_unit_test(test_two_bugs_one_process),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
