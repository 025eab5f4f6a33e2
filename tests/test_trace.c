/* The trace language: every malformed input names its line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
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
	rejects("layout sparc\n", "t.trace:1:8: unknown layout 'sparc' (biscuitos, arm, i386)");
	rejects("layout arm\ncpus 6\npage A low\n", "t.trace:2:6: layout arm has NR_CPUS 4");
	rejects("vmalloc augtree\n", "t.trace:1:9: vmalloc augtree (generation 3) is not in this build; use vmlist");
	rejects("page A high\nvfree A\n", "t.trace:2:7: 'A' is not an area");
	rejects("page A high\nwrite A 0 256\n", "t.trace:2:11: byte 256 is above 255");
	rejects("check extra\n", "t.trace:1:7: usage: check");
	rejects("page A \x01high\n", "t.trace:1:8: unexpected byte 0x01");
	rejects("set_fixmap FIX_APIC_BASE A\n", "t.trace:1:12: no fixmap slot 'FIX_APIC_BASE' in layout biscuitos");
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

/* Arbitrary bytes: rejected or accepted, never a crash. */
static void test_random_bytes(void **state)
{
	(void)state;
	char buf[256];
	struct vl_trace t;

	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));

		for (size_t j = 0; j < n; j++)
			buf[j] = (char)(rand() % 4 ? " \nA0xpagekmvf#"[rand() % 13] : rand());
		if (vl_trace_parse("r", buf, n, &t, err, sizeof(err)) == 0)
			vl_trace_free(&t);
	}
}

static void test_exec_output(void **state)
{
	(void)state;
	struct vl_trace t;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(parse("page A high\nkmap A\nwrite A 5 0x5a\nexpect A 5 90\nkunmap A\n"
			       "kunmap A\n", &t), 0);
	assert_int_equal(vl_trace_exec(&t, f, true), 3);
	fclose(f);
	assert_string_equal(out, "1: ok\n2: 0x96001000\n3: ok\n4: ok\n5: ok\n"
			    "6: bug kunmap_high: pkmap_count[1] dropped to 0\n");
	free(out);
	vl_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_rebind_after_free),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_exec_output),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
