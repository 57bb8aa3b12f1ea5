// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_dynview.c - the dynamic symbols found as ld.so finds them (PT_DYNAMIC),
 * on copies of /usr/bin/python3.11 and of the pyenv libpython whose section
 * headers lie or are gone (all of which still run: the kernel and ld.so never
 * read section headers):
 *
 *  - .dynsym's sh_size 0x7fffffffffffff00, its sh_offset past the end, or
 *    pointing at another table; the section headers removed (e_shoff,
 *    e_shnum, e_shstrndx 0), and removed with everything after the last
 *    PT_LOAD cut off (what sstrip does): PySys_Audit is found at the same
 *    address as in the sound file, and the analysis gives the same uprobe
 *    points and coverage (the USDT notes, not loaded, go with the headers);
 *  - a lying PT_DYNAMIC (DT_SYMTAB in no segment, DT_SYMENT not 24, a GNU
 *    hash with huge counts, buckets below symoffset, a chain with no end bit,
 *    DT_HASH's nchain of 2^32-1, DT_STRSZ of 2^63): refused or bounded, never
 *    a crash or a hang; with sound section headers the file is still a Python,
 *    with none it is "not analysable" (-ENODATA), never "not a Python".
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
#include "pybin.h"
#include "unit.h"

/* PySys_Audit's address through elf.c alone, or 0. */
static uint64_t pysys_addr(const struct img *im)
{
	struct elf_file *ef = NULL;
	struct elf_sym sym;
	uint64_t a = 0;
	int fd = img_memfd(im, "dynview");

	if (elf_file__open_fd(fd, &ef) == 0 &&
	    elf_file__find_symbol(ef, "PySys_Audit", ELF_SYM_DYNSYM, &sym) == 0)
		a = sym.value;
	elf_file__close(ef);
	close(fd);
	return a;
}

/* pybin__open_fd, timed against BOUND. */
static int analyse(const char *name, const struct img *im, struct pybin **b)
{
	int fd = img_memfd(im, "dynview"), err;
	double t = cpu_now();

	*b = NULL;
	err = pybin__open_fd(fd, "/dynview/python", b);
	t = cpu_now() - t;
	close(fd);
	ASSERT_TRUE(unit_name("%s_bounded (%.2fs)", name, t), t < BOUND);
	return err;
}

/* ---- the file's headers ---- */

/* Index of the first section of type t, or 0. */
static unsigned sec_type(const struct img *im, unsigned t)
{
	unsigned i;

	for (i = 1; i < SHNUM(im); i++)
		if (rd(im, SH(im, i) + 4, 4) == t)
			return i;
	return 0;
}

static void no_section_headers(struct img *im)
{
	wr(im, 0x28, 8, 0);
	wr(im, 0x3c, 2, 0);
	wr(im, 0x3e, 2, 0);
}

/* File offset of vaddr through the PT_LOADs, or 0. */
static uint64_t v2o(const struct img *im, uint64_t v)
{
	uint64_t ph = rd(im, 0x20, 8);
	unsigned i, n = (unsigned)rd(im, 0x38, 2);

	for (i = 0; i < n; i++) {
		uint64_t p = ph + i * 56, va = rd(im, p + 0x10, 8), fsz = rd(im, p + 0x20, 8);

		if (rd(im, p, 4) == PT_LOAD && v >= va && v - va < fsz)
			return v - va + rd(im, p + 8, 8);
	}
	return 0;
}

/* End of the last PT_LOAD's file bytes. */
static uint64_t loads_end(const struct img *im)
{
	uint64_t ph = rd(im, 0x20, 8), end = 0;
	unsigned i, n = (unsigned)rd(im, 0x38, 2);

	for (i = 0; i < n; i++) {
		uint64_t p = ph + i * 56;

		if (rd(im, p, 4) == PT_LOAD && rd(im, p + 8, 8) + rd(im, p + 0x20, 8) > end)
			end = rd(im, p + 8, 8) + rd(im, p + 0x20, 8);
	}
	return end;
}

/* File offset of the PT_DYNAMIC entry tagged tag, or 0. */
static uint64_t dyn_entry(const struct img *im, int64_t tag)
{
	uint64_t ph = rd(im, 0x20, 8);
	unsigned i, n = (unsigned)rd(im, 0x38, 2);

	for (i = 0; i < n; i++) {
		uint64_t p = ph + i * 56, off, k;

		if (rd(im, p, 4) != PT_DYNAMIC)
			continue;
		off = rd(im, p + 8, 8);
		for (k = 0; k < rd(im, p + 0x20, 8) / 16; k++) {
			if ((int64_t)rd(im, off + k * 16, 8) == tag)
				return off + k * 16;
			if (rd(im, off + k * 16, 8) == DT_NULL)
				break;
		}
	}
	return 0;
}

/* ---- the tests ---- */

struct sound {
	uint64_t pysys;
	struct pybin *b;
};

/* The same uprobe points and coverage as the sound file. */
static void same_route(const char *name, const struct sound *s, const struct pybin *b)
{
	int i, same = 1;

	if (!ASSERT_TRUE(unit_name("%s_analysed", name), b != NULL))
		return;
	ASSERT_INT(unit_name("%s_nuprobe", name), b->nuprobe, s->b->nuprobe);
	for (i = 0; i < b->nuprobe && i < s->b->nuprobe; i++)
		same &= b->uprobe[i].vaddr == s->b->uprobe[i].vaddr &&
			b->uprobe[i].kind == s->b->uprobe[i].kind;
	ASSERT_TRUE(unit_name("%s_uprobe_points", name), same);
	ASSERT_INT(unit_name("%s_complete", name), b->uprobe_complete, s->b->uprobe_complete);
	ASSERT_UINT(unit_name("%s_version", name), b->version_hex, s->b->version_hex);
}

/* A copy that must be analysed as the sound file is. */
static void still_python(const char *tag, const struct sound *s, const struct img *im,
			 bool usdt_kept)
{
	struct pybin *b;
	const char *name = unit_name("%s", tag);
	char nm[96];

	snprintf(nm, sizeof(nm), "%s", name);
	ASSERT_UINT(unit_name("%s_pysys_addr", nm), pysys_addr(im), s->pysys);
	ASSERT_INT(unit_name("%s_open", nm), analyse(nm, im, &b), 0);
	same_route(nm, s, b);
	if (b && usdt_kept)
		ASSERT_INT(unit_name("%s_nusdt", nm), b->nusdt, s->b->nusdt);
	pybin__free(b);
}

/* An error or a result, within BOUND; a result never with a wrong PySys_Audit. */
static int bounded(const char *tag, const struct sound *s, const struct img *im)
{
	struct pybin *b;
	char nm[96];
	uint64_t a;
	int err;

	snprintf(nm, sizeof(nm), "%s", tag);
	a = pysys_addr(im);
	if (s->b)
		ASSERT_TRUE(unit_name("%s_pysys_same_or_none", nm), a == 0 || a == s->pysys);
	err = analyse(nm, im, &b);
	if (err == 0)
		ASSERT_TRUE(unit_name("%s_result", nm), b != NULL);
	pybin__free(b);
	return err;
}

static void run_base(const char *path, const char *label)
{
	struct img base, im;
	struct sound s = { 0 };
	unsigned ds;
	uint64_t at, gh;

	if (!img_load(path, 0, &base)) {
		printf("test:SKIP:dynview %s (absent)\n", path);
		return;
	}
	s.pysys = pysys_addr(&base);
	if (!ASSERT_TRUE(unit_name("%s_sound_pysys", label), s.pysys != 0) ||
	    !ASSERT_INT(unit_name("%s_sound_open", label), analyse(label, &base, &s.b), 0))
		goto out;
	ds = sec_type(&base, SHT_DYNSYM);
	if (!ASSERT_TRUE(unit_name("%s_has_dynsym", label), ds != 0))
		goto out;

	/* .dynsym's header lies: its size, its offset, another table */
	im = img_copy(&base, 0);
	wr(&im, SH(&im, ds) + 0x20, 8, 0x7fffffffffffff00ull);
	still_python(unit_name("%s_dynsym_size", label), &s, &im, true);
	free(im.d);
	im = img_copy(&base, 0);
	wr(&im, SH(&im, ds) + 0x18, 8, im.n + 0x1000);
	still_python(unit_name("%s_dynsym_offset", label), &s, &im, true);
	free(im.d);
	im = img_copy(&base, 0);
	wr(&im, SH(&im, ds) + 0x18, 8, rd(&im, SH(&im, ds) + 0x18, 8) + 24 * 7);
	still_python(unit_name("%s_dynsym_shifted", label), &s, &im, true);
	free(im.d);

	/* no section headers; and sstrip's cut after the last PT_LOAD */
	im = img_copy(&base, 0);
	no_section_headers(&im);
	still_python(unit_name("%s_no_shdrs", label), &s, &im, false);
	im.n = loads_end(&base);
	still_python(unit_name("%s_sstripped", label), &s, &im, false);
	free(im.d);
	/*
	 * no section headers and no PT_GNU_EH_FRAME: the gate scan has no function
	 * table; still a Python, its uprobe route partial and saying why
	 */
	im = img_copy(&base, 0);
	no_section_headers(&im);
	{
		uint64_t ph = rd(&im, 0x20, 8);
		unsigned i, n = (unsigned)rd(&im, 0x38, 2);
		struct pybin *b;

		for (i = 0; i < n; i++)
			if (rd(&im, ph + i * 56, 4) == PT_GNU_EH_FRAME)
				wr(&im, ph + i * 56, 4, PT_NULL);
		ASSERT_UINT(unit_name("%s_no_eh_pysys_addr", label), pysys_addr(&im), s.pysys);
		if (ASSERT_INT(unit_name("%s_no_eh_open", label),
			       analyse(unit_name("%s_no_eh", label), &im, &b), 0)) {
			ASSERT_TRUE(unit_name("%s_no_eh_has_uprobes", label), b->nuprobe > 0);
			ASSERT_INT(unit_name("%s_no_eh_partial", label), b->uprobe_complete, 0);
			ASSERT_TRUE(unit_name("%s_no_eh_says_why", label),
				    strstr(b->uprobe_gap, ".eh_frame_hdr") != NULL);
		}
		pybin__free(b);
	}
	free(im.d);
	/*
	 * .text's header lies (the dynamic symbols are sound): a header that is
	 * not what is mapped (its bytes outside the file, at another offset or
	 * address) gives way to the PT_LOADs, and the route is the sound file's;
	 * one that is only too small leaves the route partial: never a complete
	 * route it does not have
	 */
	{
		static const struct {
			const char *what;
			unsigned field;
			int64_t delta;
			uint64_t set;
			bool same_route;
		} lies[] = {
			{ "size_huge", 0x20, 0, 0x7fffffffffffff00ull, true },
			{ "size_small", 0x20, 0, 0x100, false },
			{ "offset_moved", 0x18, 0x1000, 0, true },
			{ "addr_moved", 0x10, 0x1000, 0, true },
		};
		unsigned t = sec_named(&base, ".text");
		size_t i;

		for (i = 0; t && i < sizeof(lies) / sizeof(lies[0]); i++) {
			struct pybin *b;
			uint64_t at = SH(&base, t) + lies[i].field;
			const char *nm = unit_name("%s_text_%s", label, lies[i].what);
			char name[96];
			int same = 1, k;

			snprintf(name, sizeof(name), "%s", nm);
			im = img_copy(&base, 0);
			wr(&im, at, 8, lies[i].set ? lies[i].set : rd(&base, at, 8) + lies[i].delta);
			ASSERT_UINT(unit_name("%s_pysys_addr", name), pysys_addr(&im), s.pysys);
			if (ASSERT_INT(unit_name("%s_open", name), analyse(name, &im, &b), 0)) {
				same = b->nuprobe == s.b->nuprobe;
				for (k = 0; same && k < b->nuprobe; k++)
					same = b->uprobe[k].vaddr == s.b->uprobe[k].vaddr;
				ASSERT_TRUE(unit_name("%s_no_false_complete", name),
					    !b->uprobe_complete || same);
				if (lies[i].same_route) {
					same_route(name, &s, b);
					ASSERT_INT(unit_name("%s_nusdt", name), b->nusdt, s.b->nusdt);
				}
			}
			pybin__free(b);
			free(im.d);
		}
	}
	/* a section header table past the end of the file */
	im = img_copy(&base, 0);
	wr(&im, 0x28, 8, im.n + 4096);
	still_python(unit_name("%s_shoff_past_end", label), &s, &im, false);
	free(im.d);

	/* a lying PT_DYNAMIC: DT_SYMTAB in no segment */
	at = dyn_entry(&base, DT_SYMTAB);
	if (ASSERT_TRUE(unit_name("%s_has_dt_symtab", label), at != 0)) {
		im = img_copy(&base, 0);
		wr(&im, at + 8, 8, 0xdead00000000ull);
		/* the section headers still give the table */
		still_python(unit_name("%s_dt_symtab_nowhere", label), &s, &im, true);
		no_section_headers(&im);
		ASSERT_INT(unit_name("%s_dt_symtab_nowhere_no_shdrs", label),
			   bounded(unit_name("%s_dt_symtab_nowhere_no_shdrs", label), &s, &im),
			   -ENODATA);
		free(im.d);
	}
	at = dyn_entry(&base, DT_SYMENT);
	if (at) {
		im = img_copy(&base, 0);
		wr(&im, at + 8, 8, 16);
		still_python(unit_name("%s_dt_syment_16", label), &s, &im, true);
		no_section_headers(&im);
		ASSERT_INT(unit_name("%s_dt_syment_16_no_shdrs", label),
			   bounded(unit_name("%s_dt_syment_16_no_shdrs", label), &s, &im),
			   -ENODATA);
		free(im.d);
	}
	at = dyn_entry(&base, DT_STRSZ);
	if (at) {
		im = img_copy(&base, 0);
		wr(&im, at + 8, 8, 0x7fffffffffffffffull);
		no_section_headers(&im);
		still_python(unit_name("%s_dt_strsz_huge", label), &s, &im, false);
		free(im.d);
	}

	/* the GNU hash table: huge counts, buckets below symoffset, a chain with no end */
	at = dyn_entry(&base, DT_GNU_HASH);
	gh = at ? v2o(&base, rd(&base, at + 8, 8)) : 0;
	if (ASSERT_TRUE(unit_name("%s_has_gnu_hash", label), gh != 0)) {
		static const struct {
			const char *what;
			unsigned off;
			uint32_t v;
		} lies[] = {
			{ "nbuckets_huge", 0, 0xffffffffu },
			{ "symoffset_huge", 4, 0xffffffffu },
			{ "bloom_huge", 8, 0xffffffffu },
			{ "nbuckets_zero", 0, 0 },
			{ "bucket0_huge", 16, 0xfffffff0u }, /* the first bloom word's low half */
		};
		uint32_t nb = (uint32_t)rd(&base, gh, 4), so = (uint32_t)rd(&base, gh + 4, 4);
		uint32_t bloom = (uint32_t)rd(&base, gh + 8, 4), k;
		uint64_t nsyms;
		uint64_t buckets = gh + 16 + (uint64_t)bloom * 8, chains = buckets + 4ull * nb;
		size_t i;

		for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
			im = img_copy(&base, 0);
			wr(&im, gh + lies[i].off, 4, lies[i].v);
			bounded(unit_name("%s_gnu_%s", label, lies[i].what), &s, &im);
			no_section_headers(&im);
			ASSERT_TRUE(unit_name("%s_gnu_%s_no_shdrs_not_clean", label, lies[i].what),
				    bounded(unit_name("%s_gnu_%s_no_shdrs", label, lies[i].what),
					    &s, &im) != -ENOENT);
			free(im.d);
		}
		/* every bucket at index 1, below symoffset: no symbol ld.so could find */
		im = img_copy(&base, 0);
		for (k = 0; k < nb; k++)
			wr(&im, buckets + 4ull * k, 4, so > 1 ? 1 : 0);
		no_section_headers(&im);
		ASSERT_TRUE(unit_name("%s_gnu_below_symoffset_not_clean", label),
			    bounded(unit_name("%s_gnu_below_symoffset", label), &s, &im) != -ENOENT);
		free(im.d);
		/* no end bit anywhere in the chains: the walk stops at the end of the segment */
		im = img_copy(&base, 0);
		nsyms = rd(&base, SH(&base, ds) + 0x20, 8) / 24;
		for (at = chains; nsyms > so && at < chains + 4 * (nsyms - so); at += 4)
			wr(&im, at, 4, rd(&im, at, 4) & ~1ull);
		no_section_headers(&im);
		ASSERT_TRUE(unit_name("%s_gnu_endless_chain_not_clean", label),
			    bounded(unit_name("%s_gnu_endless_chain", label), &s, &im) != -ENOENT);
		free(im.d);
		/* GNU hash gone, DT_HASH in its place with nchain 2^32-1: cut to the segment */
		im = img_copy(&base, 0);
		wr(&im, at = dyn_entry(&im, DT_GNU_HASH), 8, DT_HASH);
		wr(&im, gh + 4, 4, 0xffffffffu);
		no_section_headers(&im);
		still_python(unit_name("%s_hash_nchain_huge", label), &s, &im, false);
		free(im.d);
	}
out:
	pybin__free(s.b);
	free(base.d);
}

/*
 * The small files of tests/fuzz/regressions/elf (dynview_inputs.py): no
 * section headers, PT_DYNAMIC lying in one field each.  The sound one has
 * PySys_Audit; none may be "not a Python" (each holds CPython's string).
 */
static void run_small(void)
{
	glob_t g;
	size_t i;

	if (glob("tests/fuzz/regressions/elf/dyn-*", 0, NULL, &g)) {
		printf("test:SKIP:dynview small files (run from the source tree)\n");
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		struct sound none = { 0 };
		struct img im;
		int err;

		if (!img_load(g.gl_pathv[i], 0, &im))
			continue;
		err = bounded(base, &none, &im);
		ASSERT_TRUE(unit_name("%s_not_clean_no", base), err != -ENOENT);
		if (strcmp(base, "dyn-sound") == 0)
			ASSERT_INT(unit_name("%s_analysed", base), err, 0);
		free(im.d);
	}
	globfree(&g);
}

int main(void)
{
	glob_t g;

	run_small();
	run_base("/usr/bin/python3.11", "python3.11");
	/* the pyenv libpython (symbols, RELA), else any */
	if (access("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", R_OK) == 0) {
		run_base("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", "libpython");
	} else if (glob("/root/.pyenv/versions/3.*/lib/libpython3.*.so.1.0", 0, NULL, &g) == 0) {
		run_base(g.gl_pathv[g.gl_pathc - 1], "libpython");
		globfree(&g);
	}
	return unit_summary("test_dynview");
}
