/*
 * Fuzz target: the trace language parser (and the executor behind it) on
 * arbitrary bytes.  It may only accept or reject: a crash, hang or leak
 * is a finding.  A trace that parses is run too; its own BUGs and failed
 * expects are legitimate trace results, not findings.
 */
#include <stdio.h>
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct vl_trace t;
	char err[512];

	if (!sink && !(sink = fopen("/dev/null", "w")))
		return 0;
	if (vl_trace_parse("input", (const char *)data, size, &t, err, sizeof(err)))
		return 0;
	vl_trace_exec(&t, sink, false);
	vl_trace_free(&t);
	return 0;
}
