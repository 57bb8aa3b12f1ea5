// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elf.c - read-only view of one x86-64 ELF file (see elf.h).
 *
 * libelf parses the headers; the file image it maps (elf_rawfile) is then read
 * directly, with every offset and size checked against the file size, so a
 * truncated or hostile file yields -ENOEXEC/-ENOENT, never a read past the end.
 * Everything is computed lazily and cached in struct elf_file: the symbol
 * tables are only walked, the relocation and FDE tables are sorted on first use.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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

struct elf_file {
	int fd;
	Elf *elf;
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

	struct elf_symtab dynsym, symtab;

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
	GElf_Ehdr ehdr;
	struct stat st;
	size_t i, n, shstrndx, shstrs_end = 0;
	const char *shstrs = NULL;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
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
	/* libelf reads the whole file into memory: not a sparse file of terabytes */
	if ((uint64_t)st.st_size > ELF_MAX_FILE) {
		err = -EFBIG;
		goto err;
	}

	err = -ENOEXEC;
	/*
	 * Read, never mmap: a uprobe attached for every process (ours in
	 * system-wide mode, or another tracer's) puts its int3 into every mapping
	 * of the file, a private one of ours included, and the instructions this
	 * module decodes to place probes would be wrong.  read(2) sees the page
	 * cache, which breakpoints never touch.
	 */
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF)
		goto err;
	ef->img = (const unsigned char *)elf_rawfile(ef->elf, &ef->size);
	if (!ef->img || !gelf_getehdr(ef->elf, &ehdr))
		goto err;
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB ||
	    ehdr.e_machine != EM_X86_64 || (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN))
		goto err;
	ef->type = ehdr.e_type;
	ef->work_max = WORK_BASE + WORK_PER_BYTE * (uint64_t)ef->size;
	if (ef->work_max > WORK_MAX)
		ef->work_max = WORK_MAX;
	/*
	 * Program headers as the kernel takes them (fs/binfmt_elf.c): entries of
	 * the one size, a table of at most 64 KiB.
	 */
	if (ehdr.e_phentsize != sizeof(Elf64_Phdr) ||
	    (uint64_t)ehdr.e_phnum * sizeof(Elf64_Phdr) > 65536)
		goto err;
	if (ehdr.e_shnum && ehdr.e_shentsize != sizeof(Elf64_Shdr))
		goto err;
	/*
	 * libelf quietly hides section headers that lie past the end of a
	 * truncated file; a file cut short is not one to probe.
	 */
	if (!in_file(ef, ehdr.e_phoff, (uint64_t)ehdr.e_phnum * ehdr.e_phentsize) ||
	    !in_file(ef, ehdr.e_shoff, (uint64_t)ehdr.e_shnum * ehdr.e_shentsize))
		goto err;

	if (elf_getphdrnum(ef->elf, &n) || n > 65536 / sizeof(Elf64_Phdr))
		goto err;
	ef->segs = calloc(n ? n : 1, sizeof(*ef->segs));
	if (!ef->segs) {
		err = -ENOMEM;
		goto err;
	}
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph))
			goto err;
		if (ph.p_type == PT_INTERP && ef->type == ET_DYN)
			ef->pie = 1;
		if (ph.p_type != PT_LOAD)
			continue;
		ef->segs[ef->nsegs++] = (struct elf_segment){
			.vaddr = ph.p_vaddr,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.memsz = ph.p_memsz,
			.flags = ph.p_flags,
		};
	}

	/* Every header must lie in the file (also with e_shnum 0 and the count in section 0). */
	if (elf_getshdrnum(ef->elf, &n) || elf_getshdrstrndx(ef->elf, &shstrndx) ||
	    n > ef->size / sizeof(Elf64_Shdr))
		goto err;
	ef->secs = calloc(n ? n : 1, sizeof(*ef->secs));
	if (!ef->secs) {
		err = -ENOMEM;
		goto err;
	}
	ef->nsecs = n;
	ef->str_end = malloc((n ? n : 1) * sizeof(*ef->str_end));
	if (!ef->str_end) {
		err = -ENOMEM;
		goto err;
	}
	memset(ef->str_end, 0xff, (n ? n : 1) * sizeof(*ef->str_end));
	{
		/* Section names, checked once for the table (not with elf_strptr per name). */
		Elf_Scn *scn = shstrndx < n ? elf_getscn(ef->elf, shstrndx) : NULL;
		GElf_Shdr sh;

		if (scn && gelf_getshdr(scn, &sh) && sh.sh_type == SHT_STRTAB &&
		    in_file(ef, sh.sh_offset, sh.sh_size)) {
			shstrs = (const char *)ef->img + sh.sh_offset;
			shstrs_end = strtab_end(shstrs, sh.sh_size);
		}
	}
	for (i = 0; i < n; i++) {
		Elf_Scn *scn = elf_getscn(ef->elf, i);
		struct elf_section *s = &ef->secs[i];
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			goto err;
		s->name = sh.sh_name < shstrs_end ? shstrs + sh.sh_name : "";
		s->addr = sh.sh_addr;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !(sh.sh_flags & SHF_COMPRESSED) && in_file(ef, sh.sh_offset, sh.sh_size))
			s->data = ef->img + sh.sh_offset;
	}
	for (i = 0; i < n; i++) {
		Elf_Scn *scn = elf_getscn(ef->elf, i);
		GElf_Shdr sh;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_DYNSYM)
			load_symtab(ef, &ef->secs[i], &ef->dynsym, sh.sh_link);
		else if (sh.sh_type == SHT_SYMTAB)
			load_symtab(ef, &ef->secs[i], &ef->symtab, sh.sh_link);
		else if (sh.sh_type == SHT_DYNAMIC)
			load_dynamic(ef, &ef->secs[i], sh.sh_link);
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
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
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

		if ((s->flags & SHF_ALLOC) && vaddr >= s->addr && vaddr - s->addr < s->size) {
			*sec = *s;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_in(const struct elf_file *ef, const struct elf_symtab *st, int dynamic,
		   const char *name, struct elf_sym *sym)
{
	size_t i;

	Elf64_Sym s;

	if (elf_file__charge(ef, st->cnt))
		return -ENOENT;
	for (i = 1; i < st->cnt; i++) {
		sym_at(st, i, &s);
		if (s.st_shndx == SHN_UNDEF || strcmp(sym_name(st, &s), name) != 0)
			continue;
		fill_sym(st, &s, dynamic, sym);
		return 0;
	}
	return -ENOENT;
}

int elf_file__find_symbol(const struct elf_file *ef, const char *name, unsigned where,
			  struct elf_sym *sym)
{
	if ((where & ELF_SYM_DYNSYM) && find_in(ef, &ef->dynsym, 1, name, sym) == 0)
		return 0;
	if ((where & ELF_SYM_SYMTAB) && find_in(ef, &ef->symtab, 0, name, sym) == 0)
		return 0;
	return -ENOENT;
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
		    s->st_shndx >= ef->nsecs || s->st_size == 0)
			continue;
		if (vaddr < s->st_value || vaddr - s->st_value >= s->st_size)
			continue;
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
	return func_at_in(ef, &ef->dynsym, 1, vaddr, sym);
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

	if (elf_file__section(ef, ".eh_frame_hdr", &hdr) || !hdr.data || !hdr.addr)
		return -ENOENT;
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

static int load_relocs(struct elf_file *ef)
{
	size_t i, j, cap = 0;
	int err;

	for (i = 1; i < ef->nsecs; i++) {
		const struct elf_section *s = &ef->secs[i];

		/* Dynamic relocations only: they live in SHF_ALLOC sections. */
		if (!s->data || !(s->flags & SHF_ALLOC))
			continue;
		if (s->type == SHT_RELA) {
			const unsigned char *raw = s->data;

			for (j = 0; j < s->size / sizeof(Elf64_Rela); j++) {
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
				err = reloc_push(ef, &cap, rel);
				if (err)
					return err;
			}
		} else if (s->type == SHT_RELR) {
			/*
			 * Packed relative relocations: an even word is an address,
			 * an odd word a bitmap of the 63 words after the last one.
			 * The addend is implicit: the bytes already in the file.
			 */
			const unsigned char *raw = s->data;
			uint64_t where = 0, v, w;

			for (j = 0; j < s->size / 8; j++) {
				unsigned b;

				if (elf_file__charge(ef, 1))
					return -E2BIG;
				memcpy(&w, raw + j * 8, 8);
				if (!(w & 1)) {
					where = w;
					if (elf_file__read(ef, where, &v, 8) == 0) {
						err = reloc_push(ef, &cap, (struct elf_reloc){ where, v, 0 });
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
					err = reloc_push(ef, &cap, (struct elf_reloc){ at, v, 0 });
					if (err)
						return err;
				}
				where += 63 * 8;
			}
		}
	}
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

int elf_file__usdt_notes(const struct elf_file *ef, struct elf_usdt_note **notes, size_t *cnt)
{
	struct elf_usdt_note *arr = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t base_addr = 0;
	struct elf_section base;

	*notes = NULL;
	*cnt = 0;
	if (elf_file__section(ef, ".stapsdt.base", &base) == 0)
		base_addr = base.addr;

	for (i = 1; i < ef->nsecs; i++) {
		const struct elf_section *s = &ef->secs[i];
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (s->type != SHT_NOTE || strcmp(s->name, ".note.stapsdt") != 0 || !s->data)
			continue;
		/* libelf may copy the section to align it: charge its size. */
		if (elf_file__charge(ef, s->size))
			break;
		data = elf_getdata(elf_getscn(ef->elf, i), NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *d = (const char *)data->d_buf + desc_off;
			const char *end = d + nh.n_descsz, *prov, *name, *args;
			struct elf_usdt_note u;

			if (n == USDT_MAX_NOTES || elf_file__charge(ef, 8))
				break;
			if (nh.n_type != STAPSDT_NOTE_TYPE || nh.n_namesz != sizeof("stapsdt") ||
			    memcmp((const char *)data->d_buf + name_off, "stapsdt", 8) != 0 ||
			    nh.n_descsz < 3 * 8 + 3)
				continue;
			memcpy(&u.pc, d, 8);
			memcpy(&u.base, d + 8, 8);
			memcpy(&u.sema, d + 16, 8);
			prov = d + 24;
			name = memchr(prov, 0, end - prov);
			if (!name++ || name >= end)
				continue;
			args = memchr(name, 0, end - name);
			if (!args++ || args >= end || !memchr(args, 0, end - args))
				continue;
			u.provider = prov;
			u.name = name;
			u.args = args;
			/*
			 * Prelink moves the loaded image but not the (non-alloc)
			 * notes; .stapsdt.base tells how far.  libbpf applies it
			 * to the pc only; it moves the semaphore by the same
			 * amount, so apply it to both (a no-op when not prelinked).
			 */
			if (base_addr && u.base) {
				u.pc += base_addr - u.base;
				if (u.sema)
					u.sema += base_addr - u.base;
			}
			if (VEC_RESERVE(arr, n, cap, 16)) {
				free(arr);
				return -ENOMEM;
			}
			arr[n++] = u;
		}
	}
	*notes = arr;
	*cnt = n;
	return 0;
}
