// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elf.c - read-only view of one x86-64 ELF file (see elf.h).
 *
 * The file is read into memory once and its headers parsed here, with every
 * offset and size checked against the file size, so a truncated or hostile
 * file yields an error or -ENOENT, never a read past the end.  Everything is
 * computed lazily and cached in struct elf_file: the symbol tables are only
 * walked, the relocation and FDE tables are sorted on first use.
 *
 * Two views of one file.  Section headers are for linkers and debuggers: the
 * kernel and ld.so never read them, so a file whose section headers lie, or
 * has none, still runs.  What runs is described by the program headers, and
 * the dynamic symbols by PT_DYNAMIC (DT_SYMTAB, DT_STRTAB, the symbol count
 * from DT_GNU_HASH or DT_HASH), as ld.so finds them.  That view is preferred
 * for the dynamic symbols, the relocations (DT_RELA, DT_JMPREL, DT_RELR) and
 * .eh_frame_hdr (PT_GNU_EH_FRAME); the section view is a second source.  A
 * file whose section headers are absent or unusable (none of them gives code
 * bytes in the file, or a loaded one is not what a PT_LOAD maps) gets its
 * loaded sections made from its program headers, so the scans that walk
 * sections walk the loaded bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "vec.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif

/*
 * The tables are read where they lie in the file image, at whatever alignment
 * the file gives them: entries are copied out (sym_at(), memcpy) before any
 * field is read, never used through a cast pointer.
 */
struct elf_symtab {
	const unsigned char *raw;
	size_t cnt;
	const char *strs;
	size_t strs_size;
	size_t strs_end; /* just past the table's last NUL: a name starting below it ends in it */
};

/* A pointer-sized slot whose link-time value a relocation gives. */
struct elf_reloc {
	uint64_t offset;
	uint64_t value;
	int rela_relative; /* from an R_X86_64_RELATIVE RELA entry */
};

/* What PT_DYNAMIC says (vaddrs; 0: absent). */
struct dyn_view {
	uint64_t symtab, strtab, strsz, syment, hash, gnu_hash;
	uint64_t rela, relasz, relaent, jmprel, pltrelsz, pltrel, relr, relrsz, relrent;
	uint64_t soname; /* offset into the string table, or UINT64_MAX */
	int pie;
};

struct elf_file {
	int fd;
	unsigned char *buf;
	const unsigned char *img;
	size_t size;
	uint64_t dev, ino;
	unsigned type;
	int pie;
	const char *soname;

	struct elf_segment *segs;
	size_t nsegs;
	struct elf_section *secs;
	size_t nsecs;
	size_t *str_end; /* per section: strtab_end() of it as a string table, or SIZE_MAX */

	/*
	 * dynsym: PT_DYNAMIC's table if it has a usable one, else the SHT_DYNSYM
	 * section's; dynsym_sec: the section's, when it is another table.
	 */
	struct elf_symtab dynsym, dynsym_sec, symtab;
	int have_dynamic;	/* PT_DYNAMIC read */
	struct dyn_view dv;
	int synth;		/* the section table was made from the program headers */
	int sec_lie;		/* section headers absent, unusable, or at odds with PT_DYNAMIC */
	struct elf_segment dv_ph; /* PT_DYNAMIC, if have_dv_ph */
	struct elf_segment eh_ph; /* PT_GNU_EH_FRAME, if have_eh_ph */
	int have_dv_ph, have_eh_ph;
#define ELF_MAX_NOTE_PH 16
	struct elf_segment note_ph[ELF_MAX_NOTE_PH]; /* PT_NOTE */
	size_t nnote_ph;

	int relocs_done;
	struct elf_reloc *relocs;
	size_t nrelocs;

	int eh_done;
	int eh_err;
	struct elf_func_range *eh;
	size_t neh;

	/* Work done on this file so far, and the most it may take (elf_file__charge). */
	uint64_t work, work_max;
	int over;
};

/*
 * The work budget: a fixed base plus a multiple of the file's size, capped.
 * A real Python's whole analysis takes a tenth to a sixth of it (4 - 6.5 M
 * units for the 5 - 23 MB pythons and libpythons of the test matrix, in 10 -
 * 40 ms; the bulk is one pass over the code, which a file's size bounds, so
 * bigger Pythons keep the ratio); a hostile file whose counts or overlapping sections would make a
 * loop run for minutes hits it within a few tenths of a second (tests/unit/
 * test_hostile.c measures it), and its analysis fails.
 */
#define WORK_BASE	 (16ull << 20)
#define WORK_PER_BYTE	 4ull
#define WORK_MAX	 (1024ull << 20)

int elf_file__charge(const struct elf_file *cef, uint64_t units)
{
	/* Only the counter changes; every elf_file is allocated writable. */
	struct elf_file *ef = (struct elf_file *)cef;

	if (ef->over)
		return -E2BIG;
	if (units > ef->work_max - ef->work) {
		ef->work = ef->work_max;
		ef->over = 1;
		return -E2BIG;
	}
	ef->work += units;
	return 0;
}

int elf_file__over_budget(const struct elf_file *ef)
{
	return ef->over;
}

uint64_t elf_file__work(const struct elf_file *ef)
{
	return ef->work;
}

static void sym_at(const struct elf_symtab *st, size_t i, Elf64_Sym *out)
{
	memcpy(out, st->raw + i * sizeof(*out), sizeof(*out));
}

static int in_file(const struct elf_file *ef, uint64_t off, uint64_t len)
{
	return off <= ef->size && len <= ef->size - off;
}

/*
 * Just past the last NUL of a string table (0 if it has none).  A name at an
 * offset below it is NUL-terminated inside the table: one backward scan per
 * table, instead of a forward one per name, which a table of megabytes
 * without a NUL would make quadratic.
 */
static size_t strtab_end(const char *strs, size_t size)
{
	const char *z = size ? memrchr(strs, 0, size) : NULL;

	return z ? (size_t)(z - strs) + 1 : 0;
}

int elf_segments_vaddr_to_offset(const struct elf_segment *segs, size_t cnt, uint64_t vaddr,
				 int in_memory, uint64_t *off)
{
	size_t i;

	for (i = 0; i < cnt; i++) {
		uint64_t len = in_memory ? segs[i].memsz : segs[i].filesz;

		if (vaddr >= segs[i].vaddr && vaddr - segs[i].vaddr < len) {
			/* a p_offset that would wrap the file offset around is no mapping */
			if (vaddr - segs[i].vaddr > UINT64_MAX - segs[i].offset)
				return -ENOENT;
			*off = vaddr - segs[i].vaddr + segs[i].offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, int in_memory,
			      uint64_t *off, unsigned *flags)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *s = &ef->segs[i];
		uint64_t len = in_memory ? s->memsz : s->filesz;

		if (vaddr >= s->vaddr && vaddr - s->vaddr < len) {
			if (vaddr - s->vaddr > UINT64_MAX - s->offset)
				return -ENOENT;
			*off = vaddr - s->vaddr + s->offset;
			if (flags)
				*flags = s->flags;
			return 0;
		}
	}
	return -ENOENT;
}

const void *elf_file__ptr(const struct elf_file *ef, uint64_t vaddr, size_t len)
{
	size_t i;

	if (elf_file__charge(ef, 1 + ef->nsegs / 8))
		return NULL;
	/* The whole range must come from one segment's file-backed bytes. */
	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *s = &ef->segs[i];

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		if (len > s->filesz - (vaddr - s->vaddr))
			return NULL;
		/* offset + delta checked piecewise: p_offset may be anything */
		if (s->offset > ef->size || vaddr - s->vaddr > ef->size - s->offset ||
		    !in_file(ef, s->offset + (vaddr - s->vaddr), len))
			return NULL;
		return ef->img + (s->offset + (vaddr - s->vaddr));
	}
	return NULL;
}

int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	const void *p = elf_file__ptr(ef, vaddr, len);

	if (!p)
		return -ENOENT;
	memcpy(buf, p, len);
	return 0;
}

/*
 * strtab_end() of section idx, computed once per section however many tables
 * link to it (60000 headers linking to one table of megabytes must not scan
 * it 60000 times).
 */
static size_t sec_str_end(struct elf_file *ef, size_t idx)
{
	const struct elf_section *s = &ef->secs[idx];

	if (ef->str_end[idx] == SIZE_MAX)
		ef->str_end[idx] = s->data && !elf_file__charge(ef, s->size / 16 + 1)
					   ? strtab_end(s->data, s->size)
					   : 0;
	return ef->str_end[idx];
}

static int load_symtab(struct elf_file *ef, const struct elf_section *sec, struct elf_symtab *st,
		       size_t link)
{
	const struct elf_section *str;

	if (!sec->data || link >= ef->nsecs)
		return -ENOENT;
	str = &ef->secs[link];
	if (!str->data || str->type != SHT_STRTAB || str->size == 0)
		return -ENOENT;
	st->raw = sec->data;
	st->cnt = sec->size / sizeof(Elf64_Sym);
	st->strs = str->data;
	st->strs_size = str->size;
	st->strs_end = sec_str_end(ef, link);
	return 0;
}

static const char *sym_name(const struct elf_symtab *st, const Elf64_Sym *s)
{
	/* Require the NUL inside the table so strcmp() stays in bounds. */
	if (s->st_name >= st->strs_end)
		return "";
	return st->strs + s->st_name;
}

static void fill_sym(const struct elf_symtab *st, const Elf64_Sym *s, int dynamic,
		     struct elf_sym *out)
{
	out->name = sym_name(st, s);
	out->value = s->st_value;
	out->size = s->st_size;
	out->type = ELF64_ST_TYPE(s->st_info);
	out->bind = ELF64_ST_BIND(s->st_info);
	out->dynamic = dynamic;
}

static void load_dynamic(struct elf_file *ef, const struct elf_section *sec, size_t link)
{
	const unsigned char *raw = sec->data;
	size_t i, n = sec->size / sizeof(Elf64_Dyn);
	const struct elf_section *str = link < ef->nsecs ? &ef->secs[link] : NULL;
	size_t str_end = str ? sec_str_end(ef, link) : 0;
	Elf64_Dyn d;

	if (!raw)
		return;
	for (i = 0; i < n; i++) {
		memcpy(&d, raw + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL || elf_file__charge(ef, 1))
			break;
		if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE))
			ef->pie = 1;
		if (d.d_tag == DT_SONAME && d.d_un.d_val < str_end)
			ef->soname = (const char *)str->data + d.d_un.d_val;
	}
}

/*
 * The file bytes mapped at vaddr, up to the end of the file-backed part of
 * the PT_LOAD holding it (and of the file): *avail gets how many.  NULL if
 * vaddr is in no segment's file bytes.
 */
static const unsigned char *seg_span(const struct elf_file *ef, uint64_t vaddr, uint64_t *avail)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *s = &ef->segs[i];
		uint64_t delta = vaddr - s->vaddr, len;

		if (vaddr < s->vaddr || delta >= s->filesz)
			continue;
		if (s->offset > ef->size || delta >= ef->size - s->offset)
			return NULL;
		len = s->filesz - delta;
		if (len > ef->size - s->offset - delta)
			len = ef->size - s->offset - delta;
		*avail = len;
		return ef->img + s->offset + delta;
	}
	return NULL;
}

/* Most symbols a dynamic symbol table may have (a libpython has ~2000). */
#define DYN_MAX_SYMS (1u << 22)

/*
 * The number of symbols ld.so can see: from DT_GNU_HASH, the highest index
 * any bucket's chain reaches (+1), or DT_HASH's nchain.  Every read lies in
 * the segment the table starts in; every step is charged.  0 if neither
 * table is usable.
 */
static uint64_t dyn_symcount(struct elf_file *ef, uint64_t max)
{
	const unsigned char *p;
	uint64_t avail, cnt = 0;

	if (ef->dv.gnu_hash && (p = seg_span(ef, ef->dv.gnu_hash, &avail)) && avail >= 16) {
		uint32_t nbuckets, symoffset, bloom, b, maxb = 0, w;
		uint64_t chains, i;

		memcpy(&nbuckets, p, 4);
		memcpy(&symoffset, p + 4, 4);
		memcpy(&bloom, p + 8, 4);
		/* header, bloom words and buckets must lie in the span */
		if (nbuckets && (uint64_t)bloom * 8 <= avail - 16 &&
		    (uint64_t)nbuckets * 4 <= avail - 16 - (uint64_t)bloom * 8 &&
		    !elf_file__charge(ef, nbuckets / 4 + 1)) {
			const unsigned char *buckets = p + 16 + (uint64_t)bloom * 8;

			for (b = 0; b < nbuckets; b++) {
				memcpy(&w, buckets + (uint64_t)b * 4, 4);
				if (w > maxb)
					maxb = w;
			}
			chains = 16 + (uint64_t)bloom * 8 + (uint64_t)nbuckets * 4;
			if (maxb == 0) {
				cnt = symoffset; /* no symbol hashed */
			} else if (maxb >= symoffset) {
				/* walk the last chain to its end bit, within the span and max */
				for (i = maxb; i < max; i++) {
					uint64_t at = chains + (i - symoffset) * 4;

					if (at > avail - 4 || elf_file__charge(ef, 1))
						break;
					memcpy(&w, p + at, 4);
					if (w & 1) {
						cnt = i + 1;
						break;
					}
				}
			}
		}
	}
	if (!cnt && ef->dv.hash && (p = seg_span(ef, ef->dv.hash, &avail)) && avail >= 8) {
		uint32_t nchain;

		memcpy(&nchain, p + 4, 4);
		cnt = nchain;
	}
	return cnt > max ? max : cnt;
}

/*
 * PT_DYNAMIC as ld.so reads it (through its vaddr): the tags this file
 * needs.  Returns 0, or -ENOENT if the file has none in its loaded bytes.
 */
static int read_dynamic(struct elf_file *ef, uint64_t vaddr, uint64_t filesz)
{
	const unsigned char *p;
	uint64_t avail, i, n;
	Elf64_Dyn d;

	p = seg_span(ef, vaddr, &avail);
	if (!p)
		return -ENOENT;
	if (filesz < avail)
		avail = filesz;
	n = avail / sizeof(d);
	ef->dv.soname = UINT64_MAX;
	/* a real PT_DYNAMIC has a few dozen entries */
	for (i = 0; i < n && i < 4096; i++) {
		memcpy(&d, p + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL || elf_file__charge(ef, 1))
			break;
		switch (d.d_tag) {
		case DT_SYMTAB: ef->dv.symtab = d.d_un.d_ptr; break;
		case DT_STRTAB: ef->dv.strtab = d.d_un.d_ptr; break;
		case DT_STRSZ: ef->dv.strsz = d.d_un.d_val; break;
		case DT_SYMENT: ef->dv.syment = d.d_un.d_val; break;
		case DT_HASH: ef->dv.hash = d.d_un.d_ptr; break;
		case DT_GNU_HASH: ef->dv.gnu_hash = d.d_un.d_ptr; break;
		case DT_RELA: ef->dv.rela = d.d_un.d_ptr; break;
		case DT_RELASZ: ef->dv.relasz = d.d_un.d_val; break;
		case DT_RELAENT: ef->dv.relaent = d.d_un.d_val; break;
		case DT_JMPREL: ef->dv.jmprel = d.d_un.d_ptr; break;
		case DT_PLTRELSZ: ef->dv.pltrelsz = d.d_un.d_val; break;
		case DT_PLTREL: ef->dv.pltrel = d.d_un.d_val; break;
		case 36 /* DT_RELR */: ef->dv.relr = d.d_un.d_ptr; break;
		case 35 /* DT_RELRSZ */: ef->dv.relrsz = d.d_un.d_val; break;
		case 37 /* DT_RELRENT */: ef->dv.relrent = d.d_un.d_val; break;
		case DT_SONAME: ef->dv.soname = d.d_un.d_val; break;
		case DT_FLAGS_1:
			if (d.d_un.d_val & DF_1_PIE)
				ef->dv.pie = 1;
			break;
		}
	}
	ef->have_dynamic = 1;
	return 0;
}

/*
 * The dynamic symbol table of PT_DYNAMIC: DT_SYMTAB, DT_STRTAB (DT_STRSZ,
 * cut to its segment), the count from the hash tables, cut to what lies in
 * DT_SYMTAB's segment.  Returns 0, or -ENOENT if there is no usable one.
 */
static int dyn_symtab(struct elf_file *ef, struct elf_symtab *st)
{
	const unsigned char *syms, *strs;
	uint64_t sym_avail, str_avail, cnt;

	if (!ef->dv.symtab || !ef->dv.strtab || (ef->dv.syment && ef->dv.syment != sizeof(Elf64_Sym)))
		return -ENOENT;
	syms = seg_span(ef, ef->dv.symtab, &sym_avail);
	strs = seg_span(ef, ef->dv.strtab, &str_avail);
	if (!syms || !strs)
		return -ENOENT;
	if (ef->dv.strsz && ef->dv.strsz < str_avail)
		str_avail = ef->dv.strsz;
	cnt = dyn_symcount(ef, sym_avail / sizeof(Elf64_Sym) < DYN_MAX_SYMS
				       ? sym_avail / sizeof(Elf64_Sym)
				       : DYN_MAX_SYMS);
	if (cnt < 2 || !str_avail || elf_file__charge(ef, str_avail / 16 + 1))
		return -ENOENT;
	st->raw = syms;
	st->cnt = cnt;
	st->strs = (const char *)strs;
	st->strs_size = str_avail;
	st->strs_end = strtab_end(st->strs, str_avail);
	return st->strs_end ? 0 : -ENOENT;
}

/*
 * The section headers.  Returns 0, -ENOENT if the file has none, or
 * -EBADMSG if their table does not lie in the file or is not one of
 * Elf64_Shdr entries (the caller then goes on without).
 */
static int load_sections(struct elf_file *ef, const Elf64_Ehdr *eh)
{
	uint64_t n = eh->e_shnum, strndx = eh->e_shstrndx, i;
	size_t shstrs_end = 0;
	const char *shstrs = NULL;
	Elf64_Shdr sh;

	if (!eh->e_shoff && !eh->e_shnum)
		return -ENOENT;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !in_file(ef, eh->e_shoff, sizeof(sh)))
		return -EBADMSG;
	/* extended numbering: the count and the names' index in section 0 */
	memcpy(&sh, ef->img + eh->e_shoff, sizeof(sh));
	if (n == 0)
		n = sh.sh_size;
	if (strndx == SHN_XINDEX)
		strndx = sh.sh_link;
	if (n == 0)
		return -ENOENT;
	/* every header must lie in the file */
	if (n > ef->size / sizeof(sh) || !in_file(ef, eh->e_shoff, n * sizeof(sh)))
		return -EBADMSG;
	ef->secs = calloc(n, sizeof(*ef->secs));
	ef->str_end = malloc(n * sizeof(*ef->str_end));
	if (!ef->secs || !ef->str_end)
		return -ENOMEM;
	memset(ef->str_end, 0xff, n * sizeof(*ef->str_end));
	ef->nsecs = n;
	/* Section names, checked once for the table (not per name). */
	if (strndx < n) {
		memcpy(&sh, ef->img + eh->e_shoff + strndx * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_STRTAB && in_file(ef, sh.sh_offset, sh.sh_size)) {
			shstrs = (const char *)ef->img + sh.sh_offset;
			shstrs_end = strtab_end(shstrs, sh.sh_size);
		}
	}
	for (i = 0; i < n; i++) {
		struct elf_section *s = &ef->secs[i];

		memcpy(&sh, ef->img + eh->e_shoff + i * sizeof(sh), sizeof(sh));
		s->name = sh.sh_name < shstrs_end ? shstrs + sh.sh_name : "";
		s->addr = sh.sh_addr;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->link = sh.sh_link;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !(sh.sh_flags & SHF_COMPRESSED) && in_file(ef, sh.sh_offset, sh.sh_size))
			s->data = ef->img + sh.sh_offset;
	}
	return 0;
}

/*
 * The loaded sections made from the program headers, for a file whose own
 * are absent or unusable.  Sections that are not loaded (.symtab, notes) are
 * kept at their indices; loaded ones are blanked (what they claim is not
 * what is mapped), and the PT_LOADs, PT_DYNAMIC and PT_GNU_EH_FRAME follow.
 */
static int synth_sections(struct elf_file *ef)
{
	static const char *const load_names[8] = {
		".load", ".load.x", ".load.w", ".load.wx", ".load.r", ".load.rx", ".load.rw",
		".load.rwx",
	};
	size_t i, n = ef->nsecs ? ef->nsecs : 1, max = n + ef->nsegs + 5, dynstr = 0;
	struct elf_section *s, *secs = calloc(max, sizeof(*secs));
	size_t *str_end = malloc(max * sizeof(*str_end));

	if (!secs || !str_end) {
		free(secs);
		free(str_end);
		return -ENOMEM;
	}
	memset(str_end, 0xff, max * sizeof(*str_end));
	secs[0] = (struct elf_section){ .name = "" };
	for (i = 1; i < ef->nsecs; i++) {
		if (ef->secs[i].flags & SHF_ALLOC) {
			secs[i] = (struct elf_section){ .name = "" };
			continue;
		}
		secs[i] = ef->secs[i];
		str_end[i] = ef->str_end[i];
	}
	free(ef->secs);
	free(ef->str_end);
	ef->secs = secs;
	ef->str_end = str_end;
	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *g = &ef->segs[i];
		uint64_t size = g->filesz;

		if (g->offset > ef->size)
			continue;
		if (size > ef->size - g->offset)
			size = ef->size - g->offset; /* what the file has of it */
		s = &ef->secs[n++];
		*s = (struct elf_section){
			.name = load_names[g->flags & 7],
			.addr = g->vaddr,
			.offset = g->offset,
			.size = size,
			.type = SHT_PROGBITS,
			.flags = SHF_ALLOC | (g->flags & PF_X ? SHF_EXECINSTR : 0) |
				 (g->flags & PF_W ? SHF_WRITE : 0),
			.data = ef->img + g->offset,
		};
	}
	if (ef->dynsym.cnt) {
		/* for readers of .dynamic / .dynstr (DT_NEEDED) and .dynsym */
		s = &ef->secs[n];
		*s = (struct elf_section){
			.name = ".dynstr", .addr = ef->dv.strtab, .size = ef->dynsym.strs_size,
			.type = SHT_STRTAB, .flags = SHF_ALLOC, .data = ef->dynsym.strs,
			.offset = (const unsigned char *)ef->dynsym.strs - ef->img,
		};
		dynstr = n++;
		s = &ef->secs[n++];
		*s = (struct elf_section){
			.name = ".dynsym", .addr = ef->dv.symtab,
			.size = ef->dynsym.cnt * sizeof(Elf64_Sym), .type = SHT_DYNSYM,
			.flags = SHF_ALLOC, .data = ef->dynsym.raw, .link = dynstr,
			.offset = ef->dynsym.raw - ef->img,
		};
	}
	for (i = 0; i < 1 && ef->have_dv_ph; i++) {
		uint64_t avail;
		const unsigned char *p = seg_span(ef, ef->dv_ph.vaddr, &avail);

		if (!p)
			break;
		s = &ef->secs[n++];
		*s = (struct elf_section){
			.name = ".dynamic", .addr = ef->dv_ph.vaddr,
			.size = ef->dv_ph.filesz < avail ? ef->dv_ph.filesz : avail,
			.type = SHT_DYNAMIC, .flags = SHF_ALLOC | SHF_WRITE, .data = p,
			.offset = p - ef->img, .link = dynstr,
		};
	}
	if (ef->have_eh_ph) {
		uint64_t avail;
		const unsigned char *p = seg_span(ef, ef->eh_ph.vaddr, &avail);

		if (p) {
			s = &ef->secs[n++];
			*s = (struct elf_section){
				.name = ".eh_frame_hdr", .addr = ef->eh_ph.vaddr,
				.size = ef->eh_ph.filesz < avail ? ef->eh_ph.filesz : avail,
				.type = SHT_PROGBITS, .flags = SHF_ALLOC, .data = p,
				.offset = p - ef->img,
			};
		}
	}
	ef->nsecs = n;
	ef->synth = 1;
	return 0;
}

/*
 * Does every loaded section (SHF_ALLOC, not SHT_NOBITS) lie in the file
 * bytes of a PT_LOAD, at the file offset that PT_LOAD maps its address from?
 * A header that says otherwise describes something other than what runs.
 */
static int alloc_sections_mapped(struct elf_file *ef)
{
	size_t i, j;

	if (elf_file__charge(ef, ef->nsecs * (ef->nsegs + 1) / 4 + 1))
		return 1; /* the budget decides this file's fate */
	for (i = 1; i < ef->nsecs; i++) {
		const struct elf_section *s = &ef->secs[i];
		int ok = 0;

		if (!(s->flags & SHF_ALLOC) || s->type == SHT_NOBITS || !s->size)
			continue;
		if (!s->data)
			return 0;
		for (j = 0; j < ef->nsegs && !ok; j++) {
			const struct elf_segment *g = &ef->segs[j];

			ok = s->addr >= g->vaddr && s->addr - g->vaddr <= g->filesz &&
			     s->size <= g->filesz - (s->addr - g->vaddr) &&
			     s->offset == g->offset + (s->addr - g->vaddr);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* Does any section give code bytes in the file? */
static int has_code_section(const struct elf_file *ef)
{
	size_t i;

	for (i = 1; i < ef->nsecs; i++)
		if ((ef->secs[i].flags & SHF_EXECINSTR) && ef->secs[i].data && ef->secs[i].size)
			return 1;
	return 0;
}

/* Reads the whole file: read(2), never mmap (see below). */
static int read_all(struct elf_file *ef, uint64_t size)
{
	size_t got = 0;

	ef->buf = malloc(size ? size : 1);
	if (!ef->buf)
		return -ENOMEM;
	while (got < size) {
		ssize_t n = pread(ef->fd, ef->buf + got, size - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the file shrank: what was read is the file */
		got += n;
	}
	ef->img = ef->buf;
	ef->size = got;
	return 0;
}

int elf_file__open(const char *path, struct elf_file **out)
{
	int fd, err;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put where a binary was expected must not block us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	err = elf_file__open_fd(fd, out);
	close(fd);
	return err;
}

int elf_file__open_fd(int fd, struct elf_file **out)
{
	struct elf_file *ef;
	Elf64_Ehdr ehdr;
	struct stat st;
	size_t i, n;
	int err;

	*out = NULL;
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	/* Our own descriptor of the caller's open file: the same inode, whatever the path does. */
	ef->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (ef->fd < 0) {
		err = -errno;
		goto err;
	}
	if (fstat(ef->fd, &st)) {
		err = -errno;
		goto err;
	}
	ef->dev = st.st_dev;
	ef->ino = st.st_ino;
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
		goto err;
	}
	/* read whole into memory: not a sparse file of terabytes */
	if ((uint64_t)st.st_size > ELF_MAX_FILE) {
		err = -EFBIG;
		goto err;
	}
	/*
	 * Read, never mmap: a uprobe attached for every process (ours in
	 * system-wide mode, or another tracer's) puts its int3 into every mapping
	 * of the file, a private one of ours included, and the instructions this
	 * module decodes to place probes would be wrong.  read(2) sees the page
	 * cache, which breakpoints never touch.
	 */
	err = read_all(ef, st.st_size);
	if (err)
		goto err;
	err = -ENOEXEC;
	if (ef->size < sizeof(ehdr))
		goto err;
	memcpy(&ehdr, ef->img, sizeof(ehdr));
	if (memcmp(ehdr.e_ident, ELFMAG, SELFMAG) || ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    ehdr.e_ident[EI_DATA] != ELFDATA2LSB || ehdr.e_machine != EM_X86_64 ||
	    (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN))
		goto err;
	/* an x86-64 executable or library from here on: what is wrong with it is said */
	err = -EBADMSG;
	ef->type = ehdr.e_type;
	ef->work_max = WORK_BASE + WORK_PER_BYTE * (uint64_t)ef->size;
	if (ef->work_max > WORK_MAX)
		ef->work_max = WORK_MAX;
	/*
	 * Program headers as the kernel takes them (fs/binfmt_elf.c): entries of
	 * the one size, a table of at most 64 KiB, in the file.
	 */
	n = ehdr.e_phnum;
	if (ehdr.e_phentsize != sizeof(Elf64_Phdr) || n * sizeof(Elf64_Phdr) > 65536 ||
	    !in_file(ef, ehdr.e_phoff, n * sizeof(Elf64_Phdr)))
		goto err;
	ef->segs = calloc(n ? n : 1, sizeof(*ef->segs));
	if (!ef->segs) {
		err = -ENOMEM;
		goto err;
	}
	for (i = 0; i < n; i++) {
		Elf64_Phdr ph;
		struct elf_segment seg;

		memcpy(&ph, ef->img + ehdr.e_phoff + i * sizeof(ph), sizeof(ph));
		seg = (struct elf_segment){
			.vaddr = ph.p_vaddr,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.memsz = ph.p_memsz,
			.flags = ph.p_flags,
		};
		if (ph.p_type == PT_INTERP && ef->type == ET_DYN)
			ef->pie = 1;
		else if (ph.p_type == PT_LOAD)
			ef->segs[ef->nsegs++] = seg;
		else if (ph.p_type == PT_DYNAMIC && !ef->have_dv_ph)
			ef->dv_ph = seg, ef->have_dv_ph = 1; /* ld.so takes the first */
		else if (ph.p_type == PT_GNU_EH_FRAME)
			ef->eh_ph = seg, ef->have_eh_ph = 1;
		else if (ph.p_type == PT_NOTE && ef->nnote_ph < ELF_MAX_NOTE_PH)
			ef->note_ph[ef->nnote_ph++] = seg;
	}
	if (ef->have_dv_ph)
		read_dynamic(ef, ef->dv_ph.vaddr, ef->dv_ph.filesz);
	if (ef->dv.pie && ef->type == ET_DYN)
		ef->pie = 1;
	/* the dynamic symbols as ld.so sees them */
	dyn_symtab(ef, &ef->dynsym);
	if (ef->dynsym.cnt && ef->dv.soname < ef->dynsym.strs_end)
		ef->soname = ef->dynsym.strs + ef->dv.soname;

	err = load_sections(ef, &ehdr);
	if (err == -ENOMEM)
		goto err;
	if (err) {
		/* no section headers, or none usable: the program headers are what runs */
		free(ef->secs);
		free(ef->str_end);
		ef->secs = NULL;
		ef->str_end = NULL;
		ef->nsecs = 0;
		ef->sec_lie = 1;
	}
	for (i = 0; i < ef->nsecs; i++) {
		struct elf_section *s = &ef->secs[i];
		struct elf_symtab st = { 0 };

		if (s->type == SHT_DYNSYM) {
			if (load_symtab(ef, s, &st, s->link)) {
				ef->sec_lie = 1; /* a .dynsym header that gives no table */
				continue;
			}
			if (!ef->dynsym.cnt)
				ef->dynsym = st;
			else if (st.raw != ef->dynsym.raw || st.cnt != ef->dynsym.cnt ||
				 st.strs != ef->dynsym.strs)
				ef->dynsym_sec = st, ef->sec_lie = 1;
		} else if (s->type == SHT_SYMTAB) {
			load_symtab(ef, s, &ef->symtab, s->link);
		} else if (s->type == SHT_DYNAMIC && !ef->have_dynamic) {
			load_dynamic(ef, s, s->link);
		}
	}
	if (!has_code_section(ef) || !alloc_sections_mapped(ef)) {
		/* no section headers the scans can trust: made from the program headers */
		ef->sec_lie = 1;
		err = synth_sections(ef);
		if (err)
			goto err;
	}
	*out = ef;
	return 0;
err:
	elf_file__close(ef);
	return err;
}

void elf_file__close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->buf);
	free(ef->segs);
	free(ef->secs);
	free(ef->str_end);
	free(ef->relocs);
	free(ef->eh);
	free(ef);
}

void elf_file__stat(const struct elf_file *ef, uint64_t *dev, uint64_t *ino)
{
	*dev = ef->dev;
	*ino = ef->ino;
}

unsigned elf_file__type(const struct elf_file *ef)
{
	return ef->type;
}

int elf_file__is_pie(const struct elf_file *ef)
{
	return ef->type == ET_DYN && ef->pie;
}

int elf_file__has_symtab(const struct elf_file *ef)
{
	return ef->symtab.cnt > 0;
}

const char *elf_file__soname(const struct elf_file *ef)
{
	return ef->soname;
}

const struct elf_segment *elf_file__segments(const struct elf_file *ef, size_t *cnt)
{
	*cnt = ef->nsegs;
	return ef->segs;
}

int elf_file__section(const struct elf_file *ef, const char *name, struct elf_section *sec)
{
	size_t i;

	if (elf_file__charge(ef, ef->nsecs))
		return -ENOENT;
	for (i = 1; i < ef->nsecs; i++) {
		if (strcmp(ef->secs[i].name, name) == 0) {
			*sec = ef->secs[i];
			return 0;
		}
	}
	return -ENOENT;
}

size_t elf_file__section_count(const struct elf_file *ef)
{
	return ef->nsecs;
}

int elf_file__section_at(const struct elf_file *ef, size_t idx, struct elf_section *sec)
{
	if (idx >= ef->nsecs)
		return -ENOENT;
	*sec = ef->secs[idx];
	return 0;
}

int elf_file__section_of(const struct elf_file *ef, uint64_t vaddr, struct elf_section *sec)
{
	size_t i;

	if (elf_file__charge(ef, ef->nsecs))
		return -ENOENT;
	for (i = 1; i < ef->nsecs; i++) {
		const struct elf_section *s = &ef->secs[i];

		/* a header whose bytes are not in the file claims nothing (its size may lie) */
		if (!s->data && s->type != SHT_NOBITS)
			continue;
		if ((s->flags & SHF_ALLOC) && vaddr >= s->addr && vaddr - s->addr < s->size) {
			*sec = *s;
			return 0;
		}
	}
	return -ENOENT;
}

/* prefix: match the first len bytes of the name only (else the whole name) */
static int find_in(const struct elf_file *ef, const struct elf_symtab *st, int dynamic,
		   const char *name, struct elf_sym *sym, int prefix)
{
	size_t i, len = strlen(name);

	Elf64_Sym s;

	if (elf_file__charge(ef, st->cnt))
		return -ENOENT;
	for (i = 1; i < st->cnt; i++) {
		sym_at(st, i, &s);
		if (s.st_shndx == SHN_UNDEF ||
		    (prefix ? strncmp(sym_name(st, &s), name, len) : strcmp(sym_name(st, &s), name)))
			continue;
		fill_sym(st, &s, dynamic, sym);
		return 0;
	}
	return -ENOENT;
}

static int find_symbol(const struct elf_file *ef, const char *name, unsigned where,
		       struct elf_sym *sym, int prefix)
{
	if ((where & ELF_SYM_DYNSYM) && find_in(ef, &ef->dynsym, 1, name, sym, prefix) == 0)
		return 0;
	/* the section headers' table, when it is another one (they lie, or PT_DYNAMIC does) */
	if ((where & ELF_SYM_DYNSYM) && find_in(ef, &ef->dynsym_sec, 1, name, sym, prefix) == 0)
		return 0;
	if ((where & ELF_SYM_SYMTAB) && find_in(ef, &ef->symtab, 0, name, sym, prefix) == 0)
		return 0;
	return -ENOENT;
}

int elf_file__find_symbol(const struct elf_file *ef, const char *name, unsigned where,
			  struct elf_sym *sym)
{
	return find_symbol(ef, name, where, sym, 0);
}

int elf_file__find_symbol_prefix(const struct elf_file *ef, const char *prefix, unsigned where,
				 struct elf_sym *sym)
{
	return find_symbol(ef, prefix, where, sym, 1);
}

/*
 * The covering FUNC symbol that starts last (aliases and nested ranges pick
 * the innermost); a symbol whose range leaves its own section is ignored.
 */
static int func_at_in(const struct elf_file *ef, const struct elf_symtab *st, int dynamic,
		      uint64_t vaddr, struct elf_sym *sym)
{
	Elf64_Sym best = { 0 }, cur;
	const Elf64_Sym *s = &cur;
	int have = 0;
	size_t i;

	if (elf_file__charge(ef, st->cnt))
		return -ENOENT;
	for (i = 1; i < st->cnt; i++) {
		const struct elf_section *sec;

		sym_at(st, i, &cur);
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    (!ef->synth && s->st_shndx >= ef->nsecs) || s->st_size == 0)
			continue;
		if (vaddr < s->st_value || vaddr - s->st_value >= s->st_size)
			continue;
		if (ef->synth) {
			/* st_shndx named sections that are gone: the symbol's segment instead */
			if (!elf_file__ptr(ef, s->st_value, s->st_size))
				continue;
			if (!have || s->st_value > best.st_value)
				best = cur;
			have = 1;
			continue;
		}
		sec = &ef->secs[s->st_shndx];
		if (s->st_value < sec->addr || s->st_value - sec->addr > sec->size ||
		    s->st_size > sec->size - (s->st_value - sec->addr))
			continue;
		if (!have || s->st_value > best.st_value)
			best = cur;
		have = 1;
	}
	if (!have)
		return -ENOENT;
	fill_sym(st, &best, dynamic, sym);
	return 0;
}

int elf_file__func_symbol_at(const struct elf_file *ef, uint64_t vaddr, struct elf_sym *sym)
{
	if (func_at_in(ef, &ef->symtab, 0, vaddr, sym) == 0)
		return 0;
	if (func_at_in(ef, &ef->dynsym, 1, vaddr, sym) == 0)
		return 0;
	return func_at_in(ef, &ef->dynsym_sec, 1, vaddr, sym);
}

/* ---- DWARF pointer encodings, as used by .eh_frame_hdr and .eh_frame ---- */

#define DW_EH_PE_omit	 0xff
#define DW_EH_PE_absptr	 0x00
#define DW_EH_PE_uleb128 0x01
#define DW_EH_PE_udata2	 0x02
#define DW_EH_PE_udata4	 0x03
#define DW_EH_PE_udata8	 0x04
#define DW_EH_PE_sleb128 0x09
#define DW_EH_PE_sdata2	 0x0a
#define DW_EH_PE_sdata4	 0x0b
#define DW_EH_PE_sdata8	 0x0c
#define DW_EH_PE_pcrel	 0x10
#define DW_EH_PE_datarel 0x30

/* A cursor over mapped bytes that knows the vaddr of what it reads. */
struct cur {
	const unsigned char *p, *end;
	uint64_t vaddr; /* of *p */
	int bad;
};

static void cur_skip(struct cur *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		c->p = c->end;
		return;
	}
	c->p += n;
	c->vaddr += n;
}

static uint64_t cur_u(struct cur *c, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	cur_skip(c, n);
	return v;
}

/* The bits of a LEB128 number; *shift and *last let the signed form extend it. */
static uint64_t cur_leb(struct cur *c, unsigned *shift, unsigned char *last)
{
	uint64_t v = 0;
	unsigned char b;

	*shift = 0;
	do {
		b = (unsigned char)cur_u(c, 1);
		if (*shift < 64)
			v |= (uint64_t)(b & 0x7f) << *shift;
		*shift += 7;
	} while ((b & 0x80) && !c->bad);
	*last = b;
	return v;
}

static uint64_t cur_uleb(struct cur *c)
{
	unsigned shift;
	unsigned char b;

	return cur_leb(c, &shift, &b);
}

static int64_t cur_sleb(struct cur *c)
{
	unsigned shift;
	unsigned char b;
	uint64_t v = cur_leb(c, &shift, &b);

	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

/* Reads one encoded pointer; datarel is relative to data_base. */
static uint64_t cur_ptr(struct cur *c, unsigned enc, uint64_t data_base, int value_only)
{
	uint64_t at = c->vaddr, v;

	if (enc == DW_EH_PE_omit)
		return 0;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr: v = cur_u(c, 8); break;
	case DW_EH_PE_uleb128: v = cur_uleb(c); break;
	case DW_EH_PE_udata2: v = cur_u(c, 2); break;
	case DW_EH_PE_udata4: v = cur_u(c, 4); break;
	case DW_EH_PE_udata8: v = cur_u(c, 8); break;
	case DW_EH_PE_sleb128: v = (uint64_t)cur_sleb(c); break;
	case DW_EH_PE_sdata2: v = (uint64_t)(int64_t)(int16_t)cur_u(c, 2); break;
	case DW_EH_PE_sdata4: v = (uint64_t)(int64_t)(int32_t)cur_u(c, 4); break;
	case DW_EH_PE_sdata8: v = cur_u(c, 8); break;
	default: c->bad = 1; return 0;
	}
	if (value_only)
		return v;
	switch (enc & 0x70) {
	case 0: break;
	case DW_EH_PE_pcrel: v += at; break;
	case DW_EH_PE_datarel: v += data_base; break;
	default: c->bad = 1; return 0; /* textrel/funcrel: not used on x86-64 Linux */
	}
	if (enc & 0x80) /* indirect: never for FDE addresses */
		c->bad = 1;
	return v;
}

static int cur_at(const struct elf_file *ef, uint64_t vaddr, struct cur *c)
{
	const unsigned char *p = elf_file__ptr(ef, vaddr, 1);
	size_t i;

	if (!p)
		return -ENOENT;
	/* Bound the cursor by the end of the segment's file bytes. */
	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *s = &ef->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			/* offset + filesz in integers: a pointer past the image is already UB */
			uint64_t end = s->filesz > ef->size - s->offset ? ef->size
								      : s->offset + s->filesz;

			c->p = p;
			c->end = ef->img + end;
			c->vaddr = vaddr;
			c->bad = 0;
			return 0;
		}
	}
	return -ENOENT;
}

/* FDE pointer encoding from a CIE's "zR" augmentation; absptr if none. */
static int cie_fde_enc(const struct elf_file *ef, uint64_t cie, unsigned *enc)
{
	struct cur c;
	uint64_t len;
	const char *aug;
	unsigned version;
	size_t i;

	if (cur_at(ef, cie, &c))
		return -ENOENT;
	len = cur_u(&c, 4);
	if (len == 0xffffffff)
		cur_u(&c, 8);
	if (cur_u(&c, 4) != 0) /* CIE id is 0 in .eh_frame */
		return -EINVAL;
	version = (unsigned)cur_u(&c, 1);
	aug = (const char *)c.p;
	/* augmentation strings are a few letters ("zR", "zPLR"): look no further */
	if (c.bad || !memchr(aug, 0, c.end - c.p < 16 ? (size_t)(c.end - c.p) : 16))
		return -EINVAL;
	cur_skip(&c, strlen(aug) + 1);
	if (strstr(aug, "eh"))
		cur_u(&c, 8);
	cur_uleb(&c);	/* code alignment */
	cur_sleb(&c);	/* data alignment */
	if (version == 1)
		cur_u(&c, 1);
	else
		cur_uleb(&c); /* return address register */
	*enc = DW_EH_PE_absptr;
	if (aug[0] != 'z')
		return c.bad ? -EINVAL : 0;
	cur_uleb(&c); /* augmentation data length */
	for (i = 1; aug[i] && !c.bad; i++) {
		switch (aug[i]) {
		case 'R':
			*enc = (unsigned)cur_u(&c, 1);
			return c.bad ? -EINVAL : 0;
		case 'L':
			cur_u(&c, 1);
			break;
		case 'P': {
			unsigned penc = (unsigned)cur_u(&c, 1);

			cur_ptr(&c, penc & 0x7f, 0, 1);
			break;
		}
		case 'S':
		case 'B':
		case 'G':
			break;
		default:
			return -EINVAL;
		}
	}
	return c.bad ? -EINVAL : 0;
}

/* Most binaries have one or two CIEs: remember the last one parsed. */
struct cie_cache {
	uint64_t cie;
	unsigned enc;
	int valid;
};

/* pc_begin/pc_range of the FDE at fde.  Returns 0 or -EINVAL. */
static int fde_range(const struct elf_file *ef, uint64_t fde, struct cie_cache *cc,
		     struct elf_func_range *r)
{
	struct cur c;
	uint64_t len, id_at, id, cie, begin, range;
	unsigned enc;

	if (cur_at(ef, fde, &c))
		return -EINVAL;
	len = cur_u(&c, 4);
	if (len == 0xffffffff)
		cur_u(&c, 8);
	id_at = c.vaddr;
	id = cur_u(&c, 4);
	if (c.bad || id == 0)
		return -EINVAL;
	cie = id_at - id;
	if (cc->valid && cc->cie == cie) {
		enc = cc->enc;
	} else {
		if (cie_fde_enc(ef, cie, &enc))
			return -EINVAL;
		*cc = (struct cie_cache){ .cie = cie, .enc = enc, .valid = 1 };
	}
	begin = cur_ptr(&c, enc, 0, 0);
	range = cur_ptr(&c, enc & 0x0f, 0, 1);
	if (c.bad)
		return -EINVAL;
	r->start = begin;
	r->end = begin + range;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct elf_func_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int load_eh(struct elf_file *ef)
{
	struct cie_cache cc = { 0 };
	struct elf_section hdr;
	struct cur c;
	unsigned version, ptr_enc, cnt_enc, tab_enc;
	uint64_t cnt, i;

	/* PT_GNU_EH_FRAME, which the unwinder uses; else the section */
	if (ef->have_eh_ph && ef->eh_ph.vaddr && ef->eh_ph.filesz &&
	    (hdr.data = seg_span(ef, ef->eh_ph.vaddr, &hdr.size))) {
		hdr.addr = ef->eh_ph.vaddr;
		if (ef->eh_ph.filesz < hdr.size)
			hdr.size = ef->eh_ph.filesz;
	} else if (elf_file__section(ef, ".eh_frame_hdr", &hdr) || !hdr.data || !hdr.addr) {
		return -ENOENT;
	}
	if (cur_at(ef, hdr.addr, &c))
		return -ENOENT;
	version = (unsigned)cur_u(&c, 1);
	ptr_enc = (unsigned)cur_u(&c, 1);
	cnt_enc = (unsigned)cur_u(&c, 1);
	tab_enc = (unsigned)cur_u(&c, 1);
	if (version != 1 || tab_enc == DW_EH_PE_omit || cnt_enc == DW_EH_PE_omit)
		return -ENOENT;
	cur_ptr(&c, ptr_enc, hdr.addr, 0);
	cnt = cur_ptr(&c, cnt_enc, hdr.addr, 0);
	if (c.bad || cnt > hdr.size / 8)
		return -ENOENT;
	ef->eh = calloc(cnt ? cnt : 1, sizeof(*ef->eh));
	if (!ef->eh)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		uint64_t start = cur_ptr(&c, tab_enc, hdr.addr, 0);
		uint64_t fde = cur_ptr(&c, tab_enc, hdr.addr, 0);
		struct elf_func_range r;

		if (c.bad || elf_file__charge(ef, 4))
			break;
		/*
		 * The table gives the start; the FDE gives the length.  An FDE we
		 * cannot parse is dropped: a function without a known end is not
		 * one we may disassemble.
		 */
		if (fde_range(ef, fde, &cc, &r) || r.start != start || r.end <= r.start)
			continue;
		ef->eh[ef->neh++] = r;
	}
	qsort(ef->eh, ef->neh, sizeof(*ef->eh), cmp_range);
	return 0;
}

int elf_file__eh_funcs(struct elf_file *ef, const struct elf_func_range **funcs, size_t *cnt)
{
	if (!ef->eh_done) {
		ef->eh_err = load_eh(ef);
		ef->eh_done = 1;
	}
	if (ef->eh_err)
		return ef->eh_err;
	*funcs = ef->eh;
	*cnt = ef->neh;
	return 0;
}

int elf_file__func_containing(struct elf_file *ef, uint64_t vaddr, struct elf_func_range *fn)
{
	const struct elf_func_range *f;
	struct elf_sym sym;
	size_t cnt, lo, hi;

	if (elf_file__func_symbol_at(ef, vaddr, &sym) == 0) {
		fn->start = sym.value;
		fn->end = sym.value + sym.size;
		return 0;
	}
	if (elf_file__eh_funcs(ef, &f, &cnt))
		return -ENOENT;
	/* Last range starting at or below vaddr. */
	lo = 0;
	hi = cnt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || vaddr >= f[lo - 1].end)
		return -ENOENT;
	*fn = f[lo - 1];
	return 0;
}

/* ---- relocations ---- */

static int cmp_reloc(const void *a, const void *b)
{
	const struct elf_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * At most one relocation per 8 bytes of file (plus some slack): no binary has
 * more pointer slots than that, and overlapping or repeated relocation
 * sections cannot make the table grow past it.
 */
static int reloc_push(struct elf_file *ef, size_t *cap, struct elf_reloc r)
{
	if (ef->nrelocs >= ef->size / 8 + 4096 || elf_file__charge(ef, 1))
		return -E2BIG;
	if (VEC_RESERVE(ef->relocs, ef->nrelocs, *cap, 1024))
		return -ENOMEM;
	ef->relocs[ef->nrelocs++] = r;
	return 0;
}

static int rela_table(struct elf_file *ef, const unsigned char *raw, uint64_t size, size_t *cap)
{
	uint64_t j;
	int err;

	for (j = 0; j < size / sizeof(Elf64_Rela); j++) {
		Elf64_Rela r;
		Elf64_Sym sym;
		unsigned type;
		size_t symi;
		struct elf_reloc rel;

		if (elf_file__charge(ef, 1))
			return -E2BIG;
		memcpy(&r, raw + j * sizeof(r), sizeof(r));
		type = ELF64_R_TYPE(r.r_info);
		symi = ELF64_R_SYM(r.r_info);
		rel = (struct elf_reloc){ .offset = r.r_offset };
		if (type == R_X86_64_RELATIVE) {
			rel.value = (uint64_t)r.r_addend;
			rel.rela_relative = 1;
		} else if (type == R_X86_64_64 && symi && symi < ef->dynsym.cnt &&
			   (sym_at(&ef->dynsym, symi, &sym), sym.st_shndx != SHN_UNDEF)) {
			rel.value = sym.st_value + (uint64_t)r.r_addend;
		} else {
			continue;
		}
		err = reloc_push(ef, cap, rel);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Packed relative relocations: an even word is an address, an odd word a
 * bitmap of the 63 words after the last one.  The addend is implicit: the
 * bytes already in the file.
 */
static int relr_table(struct elf_file *ef, const unsigned char *raw, uint64_t size, size_t *cap)
{
	uint64_t where = 0, v, w, j;
	int err;

	for (j = 0; j < size / 8; j++) {
		unsigned b;

		if (elf_file__charge(ef, 1))
			return -E2BIG;
		memcpy(&w, raw + j * 8, 8);
		if (!(w & 1)) {
			where = w;
			if (elf_file__read(ef, where, &v, 8) == 0) {
				err = reloc_push(ef, cap, (struct elf_reloc){ where, v, 0 });
				if (err)
					return err;
			}
			where += 8;
			continue;
		}
		for (b = 1; b < 64; b++) {
			uint64_t at = where + (b - 1) * 8;

			if (!((w >> b) & 1) || elf_file__read(ef, at, &v, 8))
				continue;
			err = reloc_push(ef, cap, (struct elf_reloc){ at, v, 0 });
			if (err)
				return err;
		}
		where += 63 * 8;
	}
	return 0;
}

/* A table PT_DYNAMIC names (vaddr, size): its bytes, cut to its segment. */
static const unsigned char *dyn_table(const struct elf_file *ef, uint64_t vaddr, uint64_t size,
				      uint64_t *len)
{
	const unsigned char *p = vaddr && size ? seg_span(ef, vaddr, len) : NULL;

	if (p && size < *len)
		*len = size;
	return p;
}

static int load_relocs(struct elf_file *ef)
{
	const unsigned char *raw;
	size_t i, cap = 0;
	uint64_t len;
	int err = 0;

	if (ef->have_dynamic && (ef->dv.rela || ef->dv.jmprel || ef->dv.relr)) {
		/* the tables ld.so applies */
		if ((!ef->dv.relaent || ef->dv.relaent == sizeof(Elf64_Rela)) &&
		    (raw = dyn_table(ef, ef->dv.rela, ef->dv.relasz, &len)))
			err = rela_table(ef, raw, len, &cap);
		if (!err && ef->dv.pltrel == DT_RELA &&
		    (raw = dyn_table(ef, ef->dv.jmprel, ef->dv.pltrelsz, &len)))
			err = rela_table(ef, raw, len, &cap);
		if (!err && (!ef->dv.relrent || ef->dv.relrent == 8) &&
		    (raw = dyn_table(ef, ef->dv.relr, ef->dv.relrsz, &len)))
			err = relr_table(ef, raw, len, &cap);
	} else {
		for (i = 1; i < ef->nsecs && !err; i++) {
			const struct elf_section *s = &ef->secs[i];

			/* Dynamic relocations only: they live in SHF_ALLOC sections. */
			if (!s->data || !(s->flags & SHF_ALLOC))
				continue;
			if (s->type == SHT_RELA)
				err = rela_table(ef, s->data, s->size, &cap);
			else if (s->type == SHT_RELR)
				err = relr_table(ef, s->data, s->size, &cap);
		}
	}
	if (err)
		return err;
	if (ef->nrelocs)
		qsort(ef->relocs, ef->nrelocs, sizeof(*ef->relocs), cmp_reloc);
	return 0;
}

static const struct elf_reloc *reloc_find(struct elf_file *ef, uint64_t vaddr)
{
	size_t lo = 0, hi;

	if (!ef->relocs_done) {
		if (load_relocs(ef)) {
			free(ef->relocs);
			ef->relocs = NULL;
			ef->nrelocs = 0;
		}
		ef->relocs_done = 1;
	}
	hi = ef->nrelocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ef->relocs[mid].offset == vaddr)
			return &ef->relocs[mid];
		if (ef->relocs[mid].offset < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int elf_file__relative_addend(struct elf_file *ef, uint64_t vaddr, uint64_t *addend)
{
	const struct elf_reloc *r = reloc_find(ef, vaddr);

	if (!r || !r->rela_relative)
		return -ENOENT;
	*addend = r->value;
	return 0;
}

int elf_file__read_ptr(struct elf_file *ef, uint64_t vaddr, uint64_t *val)
{
	const struct elf_reloc *r = reloc_find(ef, vaddr);

	if (r) {
		*val = r->value;
		return 0;
	}
	if (ef->type == ET_DYN)
		return -ENOENT;
	return elf_file__read(ef, vaddr, val, 8);
}

/* ---- stapsdt notes ---- */

#define STAPSDT_NOTE_TYPE 3
/* A libpython has about twenty notes; more than this is not a real binary. */
#define USDT_MAX_NOTES 4096

/*
 * The stapsdt notes of one note area (a section's or a PT_NOTE's bytes),
 * appended to *arr.  Entries are 4-byte aligned, as the stapsdt notes are.
 */
static int notes_in(const struct elf_file *ef, const unsigned char *d, uint64_t size,
		    uint64_t base_addr, struct elf_usdt_note **arr, size_t *n, size_t *cap)
{
	uint64_t off = 0;

	/* read in place: charge its size */
	if (elf_file__charge(ef, size / 16 + 1))
		return 0;
	while (size - off >= 12 && *n < USDT_MAX_NOTES && !elf_file__charge(ef, 8)) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;
		const char *desc, *end, *prov, *name, *args;
		struct elf_usdt_note u;

		memcpy(&namesz, d + off, 4);
		memcpy(&descsz, d + off + 4, 4);
		memcpy(&type, d + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		if (desc_off > size || descsz > size - desc_off)
			break;
		next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		if (type != STAPSDT_NOTE_TYPE || namesz != sizeof("stapsdt") ||
		    memcmp(d + name_off, "stapsdt", 8) != 0 || descsz < 3 * 8 + 3)
			goto next;
		desc = (const char *)d + desc_off;
		end = desc + descsz;
		memcpy(&u.pc, desc, 8);
		memcpy(&u.base, desc + 8, 8);
		memcpy(&u.sema, desc + 16, 8);
		prov = desc + 24;
		/* (a NULL from memchr is tested before it is stepped past: NULL + 1 is undefined) */
		name = memchr(prov, 0, end - prov);
		if (!name || ++name >= end)
			goto next;
		args = memchr(name, 0, end - name);
		if (!args || ++args >= end || !memchr(args, 0, end - args))
			goto next;
		u.provider = prov;
		u.name = name;
		u.args = args;
		/*
		 * Prelink moves the loaded image but not the (non-alloc) notes;
		 * .stapsdt.base tells how far.  libbpf applies it to the pc only;
		 * it moves the semaphore by the same amount, so apply it to both
		 * (a no-op when not prelinked).
		 */
		if (base_addr && u.base) {
			u.pc += base_addr - u.base;
			if (u.sema)
				u.sema += base_addr - u.base;
		}
		if (VEC_RESERVE(*arr, *n, *cap, 16))
			return -ENOMEM;
		(*arr)[(*n)++] = u;
next:
		if (next >= size)
			break;
		off = next;
	}
	return 0;
}

int elf_file__usdt_notes(const struct elf_file *ef, struct elf_usdt_note **notes, size_t *cnt)
{
	struct elf_usdt_note *arr = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t base_addr = 0;
	struct elf_section base;
	int err = 0, sections = 0;

	*notes = NULL;
	*cnt = 0;
	if (elf_file__section(ef, ".stapsdt.base", &base) == 0)
		base_addr = base.addr;

	for (i = 1; i < ef->nsecs && !err; i++) {
		const struct elf_section *s = &ef->secs[i];

		if (s->type != SHT_NOTE || strcmp(s->name, ".note.stapsdt") != 0 || !s->data)
			continue;
		sections = 1;
		err = notes_in(ef, s->data, s->size, base_addr, &arr, &n, &cap);
	}
	/*
	 * No such section (none, or section headers gone): the PT_NOTE segments,
	 * where a linker script may have put them (stapsdt notes are usually not
	 * loaded, and then gone with the section headers).
	 */
	for (i = 0; !sections && i < ef->nnote_ph && !err; i++) {
		uint64_t len;
		const unsigned char *p = seg_span(ef, ef->note_ph[i].vaddr, &len);

		if (!p)
			continue;
		if (ef->note_ph[i].filesz < len)
			len = ef->note_ph[i].filesz;
		err = notes_in(ef, p, len, base_addr, &arr, &n, &cap);
	}
	if (err) {
		free(arr);
		return err;
	}
	*notes = arr;
	*cnt = n;
	return 0;
}

/*
 * 1 if what the section headers say cannot be taken as the whole truth:
 * there are none, or none usable, or their .dynsym gives no table or another
 * one than PT_DYNAMIC; or no dynamic symbol table was found at all.
 */
int elf_file__headers_doubtful(const struct elf_file *ef)
{
	return ef->sec_lie || !ef->dynsym.cnt;
}

int elf_file__loaded_bytes_hold(const struct elf_file *ef, const void *needle, size_t len)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct elf_segment *s = &ef->segs[i];
		uint64_t size = s->filesz;

		if (s->offset > ef->size)
			continue;
		if (size > ef->size - s->offset)
			size = ef->size - s->offset;
		if (elf_file__charge(ef, size / 16 + 1))
			return 0;
		if (memmem(ef->img + s->offset, size, needle, len))
			return 1;
	}
	return 0;
}
