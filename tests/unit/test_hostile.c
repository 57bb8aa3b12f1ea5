// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_hostile.c - pybin__open_fd() and libpython_needed() on hostile
 * changes of real Pythons (/usr/bin/python3.11, a pyenv libpython, the
 * matrix's python3.14): huge or absurd sizes, offsets and counts in section
 * and program headers, sections
 * repeated thousands of times over the same bytes, misaligned tables, packed
 * relocations that would expand to billions of entries, files cut short, and
 * a few hundred random header changes.  Each analysis must come back within
 * a few seconds with either an error or a result (the sanitizer build, make
 * unit-san, also checks that nothing on the way is undefined), and a file
 * that still runs as a Python must still be analysed.
 *
 * Also the regressions the fuzzer (tests/fuzz/fuzz_elf.c) found.  Each test is
 * skipped when its base file is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "elf.h"
#include "elfimg.h"
#include "libpython.h"
#include "pybin.h"
#include "unit.h"

/* Room after a loaded file for what the tests append: headers, string tables. */
#define EXTRA (70000 * 64 + (9 << 20))

static double slowest;
static char slowest_name[128];

/*
 * Analyses the image from a memfd, and reads the libpython it links (as --list
 * and the exec hold do).  Returns pybin__open_fd's result, *b the pybin (or
 * NULL); fails the test named name if the two took longer than BOUND.
 */
static int analyse(const char *name, const struct img *im, struct pybin **b)
{
	int fd = img_memfd(im, "hostile"), err;
	struct libpython_needed nd;
	double t, wall;

	*b = NULL;
	t = cpu_now();
	wall = clock_s(CLOCK_MONOTONIC);
	err = pybin__open_fd(fd, "/hostile/python3.11", b);
	libpython_needed(fd, &nd);
	t = cpu_now() - t;
	wall = clock_s(CLOCK_MONOTONIC) - wall;
	close(fd);
	if (t > slowest) {
		slowest = t;
		snprintf(slowest_name, sizeof(slowest_name), "%s", name);
	}
	if (!ASSERT_TRUE(unit_name("%s_bounded (%.2fs)", name, t), t < BOUND))
		printf("test_hostile: %s took %.2fs CPU, %.2fs wall\n", name, t, wall);
	if (err == 0 && !*b)
		ASSERT_TRUE(unit_name("%s_result", name), false);
	return err;
}

/* The analysis gives either an error or a result, within BOUND; nothing more asked. */
static void bounded(const char *name, const struct img *im)
{
	struct pybin *b;

	analyse(name, im, &b);
	pybin__free(b);
}

/*
 * Issue 9's finding: .data claims sh_size 0x7fff...ff.  The kernel ignores
 * section headers, so the file still runs as Python; the system-wide tracer
 * spun in the sys.audit slot loop forever.  Now: analysed, USDT route intact.
 */
static void test_huge_data_size(const struct img *base, bool all)
{
	struct img im = img_copy(base, EXTRA);
	unsigned i = sec_named(&im, ".data");
	struct pybin *b, *orig;
	int err;

	if (!ASSERT_TRUE("huge_data_size_has_data", i != 0))
		goto out;
	ASSERT_INT("unchanged_open", analyse("unchanged", base, &orig), 0);
	wr(&im, SH(&im, i) + 0x20, 8, 0x7fffffffffffffffull);
	err = analyse("huge_data_size", &im, &b);
	ASSERT_INT("huge_data_size_open", err, 0);
	if (b && orig) {
		ASSERT_INT("huge_data_size_usdt_kept", b->nusdt, orig->nusdt);
		ASSERT_UINT("huge_data_size_version", b->version_hex, orig->version_hex);
	}
	pybin__free(b);
	pybin__free(orig);
	/* and every other section alike */
	for (i = 1; all && i < SHNUM(base); i++) {
		struct img m = img_copy(base, EXTRA);

		wr(&m, SH(&m, i) + 0x20, 8, 0x7fffffffffffffffull);
		bounded(unit_name("huge_size_sec%u", i), &m);
		wr(&m, SH(&m, i) + 0x20, 8, m.n + 1);
		wr(&m, SH(&m, i) + 0x18, 8, 1);
		bounded(unit_name("size_past_end_sec%u", i), &m);
		free(m.d);
	}
out:
	free(im.d);
}

/*
 * A new section header table at the end of the file: the original headers,
 * then copies of one section (count of them), so that every walk over
 * sections does its work count times over the same bytes.
 */
static void repeat_section(const char *name, const struct img *base, const char *secname,
			   unsigned count)
{
	struct img im = img_copy(base, EXTRA);
	unsigned i, n = SHNUM(base), s = sec_named(base, secname);
	uint64_t tab = (im.n + 7) & ~7ull;

	if (!s || n + count > 65000) {
		free(im.d);
		return;
	}
	memset(im.d + im.n, 0, tab - im.n);
	memcpy(im.d + tab, im.d + SH(base, 0), (uint64_t)n * 64);
	for (i = 0; i < count; i++)
		memcpy(im.d + tab + (uint64_t)(n + i) * 64, base->d + SH(base, s), 64);
	im.n = tab + (uint64_t)(n + count) * 64;
	wr(&im, 0x28, 8, tab);
	wr(&im, 0x3c, 2, n + count);
	bounded(name, &im);
	free(im.d);
}

/* Appends n bytes: c, then a NUL at the start (nul_first) or the end.  Returns the offset. */
static uint64_t append_blob(struct img *im, size_t n, int c, bool nul_first)
{
	uint64_t at = (im->n + 7) & ~7ull;

	memset(im->d + im->n, 0, at - im->n);
	memset(im->d + at, c, n);
	im->d[nul_first ? at : at + n - 1] = 0;
	im->n = at + n;
	return at;
}

/*
 * String tables of megabytes with one NUL: a name lookup that scans for the
 * NUL from each name would be quadratic (section names with 60000 headers,
 * symbol names of every symbol, DT_SONAME of every dynamic entry).
 */
static void test_long_strtabs(const struct img *base)
{
	static const char *const secs[] = { ".dynstr", ".strtab" };
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct img im = img_copy(base, EXTRA);
		unsigned s = sec_named(&im, secs[i]);
		uint64_t at;

		if (!s) {
			free(im.d);
			continue;
		}
		at = append_blob(&im, 8 << 20, 'P', false);
		wr(&im, SH(&im, s) + 0x18, 8, at);
		wr(&im, SH(&im, s) + 0x20, 8, 8 << 20);
		bounded(unit_name("long_%s", secs[i]), &im);
		free(im.d);
	}
	for (i = 0; i < 2; i++) {
		/*
		 * .dynstr: a NUL, then megabytes; 60000 more .dynsym (or .dynamic)
		 * headers that link to it, each table loaded on its own
		 */
		struct img im = img_copy(base, EXTRA);
		unsigned n = SHNUM(&im), str = sec_named(&im, ".dynstr");
		unsigned s = sec_named(&im, i ? ".dynamic" : ".dynsym"), k;
		uint64_t at, tab;

		if (!str || !s) {
			free(im.d);
			continue;
		}
		at = append_blob(&im, 8 << 20, 'A', true);
		wr(&im, SH(&im, str) + 0x18, 8, at);
		wr(&im, SH(&im, str) + 0x20, 8, 8 << 20);
		tab = (im.n + 7) & ~7ull;
		memset(im.d + im.n, 0, tab - im.n);
		memcpy(im.d + tab, im.d + SH(&im, 0), (uint64_t)n * 64);
		for (k = 0; k < 60000; k++)
			memcpy(im.d + tab + (uint64_t)(n + k) * 64, im.d + SH(&im, s), 64);
		im.n = tab + (uint64_t)(n + 60000) * 64;
		wr(&im, 0x28, 8, tab);
		wr(&im, 0x3c, 2, n + 60000);
		bounded(unit_name("long_dynstr_repeated_%s", i ? "dynamic" : "dynsym"), &im);
		free(im.d);
	}
	{
		/* .shstrtab: a NUL, then megabytes; 60000 more headers named from it */
		struct img im = img_copy(base, EXTRA);
		unsigned n = SHNUM(&im), s = (unsigned)rd(&im, 0x3e, 2), k;
		uint64_t str = append_blob(&im, 8 << 20, 'A', true), tab;

		wr(&im, SH(&im, s) + 0x18, 8, str);
		wr(&im, SH(&im, s) + 0x20, 8, 8 << 20);
		tab = (im.n + 7) & ~7ull;
		memset(im.d + im.n, 0, tab - im.n);
		memcpy(im.d + tab, im.d + SH(&im, 0), (uint64_t)n * 64);
		for (k = 0; k < 60000; k++) {
			memcpy(im.d + tab + (uint64_t)(n + k) * 64, im.d + SH(&im, 1), 64);
			wr(&im, tab + (uint64_t)(n + k) * 64, 4, 1 + k % 64);
		}
		im.n = tab + (uint64_t)(n + 60000) * 64;
		wr(&im, 0x28, 8, tab);
		wr(&im, 0x3c, 2, n + 60000);
		bounded("long_shstrtab", &im);
		free(im.d);
	}
}

static void test_repeated_sections(const struct img *base)
{
	static const char *const secs[] = { ".text", ".rodata", ".data", ".data.rel.ro",
					    ".rela.dyn", ".dynsym", ".symtab",
					    ".note.stapsdt", ".eh_frame_hdr", ".dynamic" };
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		repeat_section(unit_name("repeat_%s", secs[i]), base, secs[i], 60000);
}

/* Tables at an odd offset: every entry read is misaligned (UBSan in unit-san). */
static void test_misaligned(const struct img *base)
{
	static const char *const secs[] = { ".rela.dyn", ".dynsym", ".symtab", ".dynamic",
					    ".data", ".note.stapsdt", ".eh_frame_hdr",
					    ".relr.dyn", ".strtab" };
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct img im = img_copy(base, EXTRA);
		unsigned s = sec_named(&im, secs[i]);
		unsigned k;

		if (!s) {
			free(im.d);
			continue;
		}
		for (k = 1; k < 8; k += 2) {
			wr(&im, SH(&im, s) + 0x18, 8, rd(base, SH(base, s) + 0x18, 8) + k);
			bounded(unit_name("misaligned_%s_%u", secs[i], k), &im);
		}
		/* and the section's address (RELA slots, symbol values) odd too */
		wr(&im, SH(&im, s) + 0x10, 8, rd(base, SH(base, s) + 0x10, 8) + 3);
		bounded(unit_name("misaligned_addr_%s", secs[i]), &im);
		free(im.d);
	}
}

/*
 * Packed relocations over the whole file: a section of type SHT_RELR whose
 * words are all bitmaps, each worth 63 relocations.
 */
static void test_relr_bomb(const struct img *base)
{
	struct img im = img_copy(base, EXTRA);
	unsigned s = sec_named(&im, ".comment");

	if (!s)
		s = SHNUM(&im) - 1;
	wr(&im, SH(&im, s) + 4, 4, 19 /* SHT_RELR */);
	wr(&im, SH(&im, s) + 8, 8, SHF_ALLOC);
	wr(&im, SH(&im, s) + 0x18, 8, 0);
	wr(&im, SH(&im, s) + 0x20, 8, im.n & ~7ull);
	bounded("relr_whole_file", &im);
	free(im.d);
}

/* Counts and offsets in the ELF header itself. */
static void test_elf_header(const struct img *base)
{
	static const struct { unsigned at, w; } f[] = {
		{ 0x20, 8 }, { 0x28, 8 }, { 0x36, 2 }, { 0x38, 2 }, { 0x3a, 2 }, { 0x3c, 2 },
		{ 0x3e, 2 },
	};
	const uint64_t vals[] = { 0, 1, 0xffff, 0xffffffffffffffffull, base->n, base->n - 64,
				  0x7fffffffffffffffull };
	size_t i, j;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			struct img im = img_copy(base, EXTRA);

			wr(&im, f[i].at, f[i].w, vals[j]);
			bounded(unit_name("ehdr_0x%x_%zu", f[i].at, j), &im);
			free(im.d);
		}
}

/* Program headers: PT_LOAD sizes and offsets past the end, overlapping, absurd. */
static void test_program_headers(const struct img *base)
{
	uint64_t ph = rd(base, 0x20, 8);
	unsigned n = (unsigned)rd(base, 0x38, 2), i, f;
	static const unsigned fo[] = { 0x08, 0x10, 0x20, 0x28 };

	for (i = 0; i < n; i++)
		for (f = 0; f < 4; f++) {
			struct img im = img_copy(base, EXTRA);
			uint64_t at = ph + i * 56 + fo[f];

			wr(&im, at, 8, 0x7fffffffffffffffull);
			bounded(unit_name("phdr%u_0x%x_huge", i, fo[f]), &im);
			wr(&im, at, 8, rd(base, at, 8) + 1);
			bounded(unit_name("phdr%u_0x%x_odd", i, fo[f]), &im);
			free(im.d);
		}
}

/* Cut short anywhere: an error or a result, never a read past the end. */
static void test_truncated(const struct img *base)
{
	static const double at[] = { 0.001, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999 };
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct img im = img_copy(base, EXTRA);

		im.n = (size_t)(base->n * at[i]);
		bounded(unit_name("truncated_%zu", i), &im);
		free(im.d);
	}
}

/* Random changes of section header fields and of symbol/relocation words. */
static void test_random(const struct img *base, unsigned count)
{
	unsigned k;

	for (k = 0; k < count; k++) {
		struct img im = img_copy(base, EXTRA);
		unsigned nch = 1 + unit_rand() % 4, c;

		for (c = 0; c < nch; c++) {
			uint64_t x = unit_rand(), v;
			unsigned i = 1 + x % (SHNUM(base) - 1), field = (x >> 16) % 10;
			static const unsigned off[] = { 0, 4, 8, 0x10, 0x18, 0x20, 0x28, 0x2c, 0x30, 0x38 };
			unsigned w = (field == 0 || field == 1 || field == 6 || field == 7) ? 4 : 8;

			switch ((x >> 24) % 6) {
			case 0: v = 0; break;
			case 1: v = ~0ull; break;
			case 2: v = base->n; break;
			case 3: v = rd(base, SH(base, i) + off[field], w) + 1 + (x >> 40) % 9; break;
			case 4: v = unit_rand(); break;
			default: v = unit_rand() % base->n; break;
			}
			wr(&im, SH(&im, i) + off[field], w, v);
		}
		bounded(unit_name("random_%u", k), &im);
		free(im.d);
	}
}

/*
 * Inputs the fuzzer found (tests/fuzz/fuzz_elf.c), as the changes they make to
 * the base file they were found on: width 1/2/4/8 bytes of value at offset,
 * width 0 cuts the file at offset.
 */
struct change {
	uint64_t at;
	unsigned w;
	uint64_t v;
};

static const struct {
	const char *name, *base;
	struct change ch[16];
} findings[] = {
	/* .eh_frame cursor: end of a PT_LOAD with a huge p_filesz computed as a pointer */
	{ "fuzz_eh_cursor_end", "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
	  { { 0x620700, 8, ~0ull }, { 0x75fbd8, 8, 0x30000015f }, { 0x75f7b8, 8, 0x3afeb8 },
	    { 0x208, 8, 0x5f1351 }, { 0xf8, 8, 0x75fd41 }, { 0x75f978, 8, 0x75fd3f },
	    { 0x124, 4, 0x2000006 }, { 0x75f738, 8, ~0ull }, { 0x98, 8, ~0ull } } },
	/*
	 * a stapsdt note whose provider name has no NUL after it: NULL + 1 from
	 * memchr's answer (the note parser that replaced libelf's, at ~3 minutes)
	 */
	{ "fuzz_note_name_unterminated", "/var/cache/pyaudit-trace/matrix/roots/sid/usr/bin/python3.15",
	  { { 0x894f98, 4, ~0ull }, { 0x1d8, 8, 0x2735b9 }, { 0x894908, 8, 2 },
	    { 0x7e5f20, 8, 0x40006dd0bfull }, { 0x894fa8, 8, ~0ull }, { 0x894858, 4, 1 },
	    { 0x168, 8, 0x400000000be6d90ull }, { 0x894e20, 8, 6 }, { 0x894438, 8, 0x300000026ull } } },
	/* elf_file__ptr: img + p_offset + delta with a p_offset that wraps the sum around */
	{ "fuzz_ptr_offset_wrap",
	  "/var/cache/pyaudit-trace/matrix/pyenv-3.11.7-stripped/lib/libpython3.11.so.1.0",
	  { { 0x4526f8, 8, 0x3febab }, { 0x576411, 8, 0xff3affffffffffeaull }, { 0xff00, 2, 0x58 },
	    { 0x576498, 8, 0 }, { 0x576060, 8, 0x654428203a43434aull }, { 0x442b10, 8, ~0ull },
	    { 0x576600, 4, 0 }, { 0x442770, 8, 0x2b }, { 0x3c, 2, 0x1b }, { 0x5765a8, 4, 0 },
	    { 0x80, 8, ~0ull } } },
};

static void test_fuzz_findings(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(findings) / sizeof(findings[0]); i++) {
		struct img im;

		if (!img_load(findings[i].base, EXTRA, &im)) {
			printf("test:SKIP:%s (no %s)\n", findings[i].name, findings[i].base);
			continue;
		}
		for (k = 0; k < 16 && (findings[i].ch[k].w || findings[i].ch[k].at); k++) {
			const struct change *c = &findings[i].ch[k];
			uint64_t at = c->at % im.n;

			if (!c->w)
				im.n = at;
			else if (c->w <= im.n - at)
				wr(&im, at, c->w, c->v);
		}
		bounded(findings[i].name, &im);
		free(im.d);
	}
}

/* A Python followed by a hole of gigabytes (still runs): refused before it is read. */
static void test_sparse(const struct img *base)
{
	int fd = memfd_create("sparse", MFD_CLOEXEC);
	struct libpython_needed nd;
	struct pybin *b = NULL;
	double t;

	if (fd < 0 || write(fd, base->d, base->n) != (ssize_t)base->n ||
	    ftruncate(fd, ELF_MAX_FILE + 4096)) {
		ASSERT_TRUE("sparse_setup", false);
		if (fd >= 0)
			close(fd);
		return;
	}
	t = cpu_now();
	ASSERT_INT("sparse_efbig", pybin__open_fd(fd, "/hostile/sparse", &b), -EFBIG);
	ASSERT_INT("sparse_libpython", libpython_needed(fd, &nd), 0);
	ASSERT_TRUE("sparse_fast", cpu_now() - t < 0.1 * SLOW);
	close(fd);
}

/* all: every section and header field; else the costly constructions only. */
static void run_base(const char *path, bool all, unsigned nrandom)
{
	struct img base;
	double t = cpu_now();

	if (!img_load(path, EXTRA, &base)) {
		printf("test:SKIP:hostile %s (absent)\n", path);
		return;
	}
	test_huge_data_size(&base, all);
	test_repeated_sections(&base);
	test_long_strtabs(&base);
	test_misaligned(&base);
	test_relr_bomb(&base);
	if (all) {
		test_sparse(&base);
		test_elf_header(&base);
		test_program_headers(&base);
		test_truncated(&base);
	}
	test_random(&base, nrandom);
	printf("test_hostile: %s: %.1fs CPU\n", path, cpu_now() - t);
	free(base.d);
}

int main(int argc, char **argv)
{
	glob_t g;
	size_t i;

	if (argc > 1) {
		for (i = 1; i < (size_t)argc; i++)
			run_base(argv[i], true, 2000);
		test_fuzz_findings();
		printf("test_hostile: slowest %.2fs (%s)\n", slowest, slowest_name);
		return unit_summary("test_hostile");
	}
	run_base("/usr/bin/python3.11", true, 100 / SLOW);
	/* the matrix's pyenv libpython (symbols, RELA), else any */
	if (access("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", R_OK) == 0) {
		run_base("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", false, 40 / SLOW);
	} else if (glob("/root/.pyenv/versions/3.*/lib/libpython3.*.so.1.0", 0, NULL, &g) == 0) {
		run_base(g.gl_pathv[g.gl_pathc - 1], false, 40 / SLOW);
		globfree(&g);
	}
	run_base("/var/cache/pyaudit-trace/matrix/roots/sid/usr/bin/python3.14", false, 20 / SLOW);
	test_fuzz_findings();
	printf("test_hostile: slowest %.2fs (%s)\n", slowest, slowest_name);
	return unit_summary("test_hostile");
}
