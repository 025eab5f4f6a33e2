/*
 * Plain replay driver (no fuzzer engine): runs each FILE through the
 * target's LLVMFuzzerTestOneInput once.  -v prints the decoded trace as
 * it runs.  A finding aborts, naming the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return 2;
	}
	do {
		if (len == cap && !(buf = realloc(buf, cap = cap ? cap * 2 : 4096))) {
			fclose(f);
			return 2;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	fuzz_input_name = path;
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int first = argc > 1 && strcmp(argv[1], "-v") == 0 ? 2 : 1, r = 0;

	fuzz_verbose = first == 2;
	if (argc <= first) {
		fprintf(stderr, "usage: %s [-v] FILE...\n", argv[0]);
		return 2;
	}
	for (int i = first; i < argc && !r; i++)
		r = run_file(argv[i]);
	return r;
}
