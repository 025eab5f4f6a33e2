/* The vmaplab command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "decode.h"
#include "kernel_replay.h"
#include "trace.h"

static const char usage[] =
	"usage: vmaplab replay [--check] FILE   run a trace, one result line per operation\n"
	"       vmaplab decode [TARGET] FILE     print the trace a fuzz input stands for\n"
	"       vmaplab layouts                  print the layouts' constants\n"
	"       vmaplab kernel-replay [--gen G] [-o CSV] [--check] CAPTURE_DIR\n"
	"                                        replay a real kernel's vmalloc capture\n"
	"       vmaplab --help\n"
	"\n"
	"--check runs every invariant check after every operation.\n"
	"TARGET is the fuzz target the input was made for: pkmap, fixmap, vmalloc\n"
	"or mixed (the default); every file decodes to a legal trace.\n"
	"Exit status: 0 done, 2 bad usage or malformed trace, 3 a kernel BUG,\n"
	"an invariant violation or a failed expect stopped the trace.\n"
	"kernel-replay: G is vmlist, rbtree, augtree or nodes (the default); -o\n"
	"writes one CSV row per event; --check runs the checks every 1000 events.\n"
	"It exits 0 whenever the replay ran, whatever its figures.\n"
	"The trace language and kernel-replay are described in README.md.\n";

/* @path ("-": stdin) opened for reading; NULL with errno set, EISDIR for
 * a directory (whose reads would only say EIO on some systems). */
static FILE *open_input(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct stat st;

	if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		errno = EISDIR;
		return NULL;
	}
	return f;
}

/*
 * The decoder runs at most VL_DECODE_MAX_OPS operations of a few bytes
 * each, so bytes past this bound are never used: reading stops there and
 * memory stays bounded whatever the file (/dev/zero included).
 */
#define DECODE_READ_MAX (1u << 20)

/* Reads at most DECODE_READ_MAX bytes; NULL with errno set on failure. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = open_input(path);
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(DECODE_READ_MAX);
	if (!buf)
		errno = ENOMEM;
	else
		*len = fread(buf, 1, DECODE_READ_MAX, f);
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Parsed as a stream: memory follows what the trace binds, not its size. */
static int replay(const char *path, bool check_each)
{
	struct vl_trace t;
	char err[512];
	FILE *f = open_input(path);
	int r;

	if (!f) {
		fprintf(stderr, "vmaplab: %s: %s\n", path, strerror(errno));
		return 2;
	}
	r = vl_trace_parse_file(path, f, &t, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (r) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	r = vl_trace_exec(&t, stdout, check_each);
	vl_trace_free(&t);
	if (r == -EIO)
		return 2;  /* main() names the write error */
	if (r < 0) {
		fprintf(stderr, "vmaplab: %s: out of memory\n", path);
		return 1;
	}
	return r;
}

static int decode(const char *target, const char *path)
{
	int t = vl_decode_target(target);
	size_t len;
	char *data;
	int r;

	if (t < 0) {
		fprintf(stderr, "vmaplab: unknown fuzz target '%s' (pkmap, fixmap, vmalloc, mixed)\n",
			target);
		return 2;
	}
	data = slurp(path, &len);
	if (!data) {
		fprintf(stderr, "vmaplab: %s: %s\n", path, strerror(errno));
		return 2;
	}
	r = vl_decode_file((enum vl_decode_target)t, (const uint8_t *)data, len, stdout);
	free(data);
	if (r) {
		fprintf(stderr, "vmaplab: %s: out of memory\n", path);
		return 1;
	}
	return 0;
}

static int layouts(void)
{
	printf("%-10s %-10s %-10s %-23s %-5s %-23s %-4s %s\n", "layout", "PAGE_OFFS",
	       "lowmem", "PKMAP", "LAST", "FIXMAP (permanent)", "CPUS", "VMALLOC");
	for (const struct vl_layout *const *p = vl_layouts; *p; p++) {
		const struct vl_layout *l = *p;

		uint64_t fix_end = (uint64_t)l->fixaddr_top + (l->fixmap_grows_down ? PAGE_SIZE : 0);

		printf("%-10s 0x%08x %4u MiB   0x%08x-0x%08x %-5u 0x%08x-%#-11llx %-4u 0x%08x-0x%08x\n",
		       l->name, l->page_offset, l->lowmem_pages >> 8, l->pkmap_base,
		       l->pkmap_base + l->last_pkmap * PAGE_SIZE, l->last_pkmap,
		       l->fixaddr_start, (unsigned long long)fix_end, l->nr_cpus, l->vmalloc_start, l->vmalloc_end);
	}
	return 0;
}

static const char *const gen_names[] = {
	[VL_VMLIST] = "vmlist", [VL_RBTREE] = "rbtree", [VL_AUGTREE] = "augtree",
	[VL_NODES] = "nodes",
};

static int gen_by_name(const char *name)
{
	for (int g = VL_VMLIST; g <= VL_NODES; g++)
		if (strcmp(name, gen_names[g]) == 0)
			return g;
	return -1;
}

/* The CSV goes to CSV.tmp, renamed over CSV only once all of it is written. */
static int kernel_replay_csv(const char *dir, int gen, bool check, const char *csv)
{
	char tmp[4096], err[1024];
	struct vl_kr_result res;
	FILE *f = NULL;
	int r;

	if (csv && (snprintf(tmp, sizeof(tmp), "%s.tmp", csv) >= (int)sizeof(tmp) ||
		    !(f = fopen(tmp, "w")))) {
		fprintf(stderr, "vmaplab: %s: %s\n", csv, strerror(errno ? errno : ENAMETOOLONG));
		return 2;
	}
	r = vl_kernel_replay(dir, (enum vl_vmalloc_gen)gen, check, f, &res, err, sizeof(err));
	if (f && (fclose(f) || r) && !r) {
		fprintf(stderr, "vmaplab: %s: %s\n", csv, strerror(errno));
		r = 2;
	}
	if (f && (r || rename(tmp, csv))) {
		if (!r)
			fprintf(stderr, "vmaplab: %s: %s\n", csv, strerror(errno));
		unlink(tmp);
		r = r ? r : 2;
	}
	if (r == -ENOMEM)
		fprintf(stderr, "vmaplab: %s: out of memory\n", dir);
	else if (r)
		fprintf(stderr, "%s\n", err);
	if (r)
		return r == -ENOMEM ? 1 : r == 3 ? 3 : 2;
	vl_kr_print(&res, gen_names[gen], stdout);
	return 0;
}

/* kernel-replay [--gen G] [-o CSV] [--check] CAPTURE_DIR, options in any order. */
static int kernel_replay(int argc, char **argv)
{
	const char *dir = NULL, *csv = NULL;
	bool check = false;
	int gen = VL_NODES;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check = true;
		} else if (strcmp(argv[i], "--gen") == 0 && i + 1 < argc) {
			gen = gen_by_name(argv[++i]);
			if (gen < 0) {
				fprintf(stderr, "vmaplab: unknown generation '%s' (vmlist, rbtree, "
					"augtree, nodes)\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			csv = argv[++i];
		} else if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
		} else {
			dir = NULL;
			break;
		}
	}
	if (!dir) {
		fputs(usage, stderr);
		return 2;
	}
	return kernel_replay_csv(dir, gen, check, csv);
}

/* Output that could not be written is a failure (exit 2), never lost. */
static int flushed(int status)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	fprintf(stderr, "vmaplab: standard output: %s\n",
		errno ? strerror(errno) : "write error");
	return 2;
}

static int run(int argc, char **argv)
{
	bool check_each = argc > 2 && strcmp(argv[2], "--check") == 0;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "layouts") == 0)
		return layouts();
	if (argc == 3 + check_each && strcmp(argv[1], "replay") == 0)
		return replay(argv[2 + check_each], check_each);
	if (argc >= 3 && strcmp(argv[1], "kernel-replay") == 0)
		return kernel_replay(argc, argv);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "decode") == 0)
		return decode(argc == 4 ? argv[2] : "mixed", argv[argc - 1]);
	fputs(usage, stderr);
	return 2;
}

int main(int argc, char **argv)
{
	return flushed(run(argc, argv));
}
