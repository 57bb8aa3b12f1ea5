/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elf.h - a read-only view of one x86-64 ELF file on disk: program headers and
 * vaddr -> file offset, sections, symbols (.symtab, and the dynamic symbols of
 * PT_DYNAMIC and .dynsym, with sizes),
 * pointers stored in data (R_X86_64_RELATIVE / RELR addends), stapsdt notes
 * and function ranges from .eh_frame_hdr for stripped binaries.
 *
 * Nothing here knows about Python; user/pybin.c asks the questions.  The
 * file is read once; every pointer and string handed out points into that
 * mapping and stays valid until elf_file__close().
 */
/*
 * The Makefile puts user/ on the include path, so this file shadows the
 * system <elf.h> that <libelf.h> and <gelf.h> include: pull the real one in
 * first, so that either spelling gives both.  It sits outside the guard on
 * purpose: when this file was found next to its includer, #include_next
 * restarts the search and finds this file again through -Iuser; that nested
 * copy's #include_next then reaches the system header.
 */
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winclude-next-absolute-path"
#endif
#include_next <elf.h>
#ifdef __clang__
#pragma clang diagnostic pop
#endif

#ifndef PA_ELF_H
#define PA_ELF_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* One PT_LOAD program header. */
struct elf_segment {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
	unsigned flags; /* PF_X | PF_W | PF_R */
};

struct elf_section {
	const char *name;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;
	unsigned type;	    /* SHT_* */
	uint64_t flags;	    /* SHF_* */
	const void *data;   /* file bytes, NULL for SHT_NOBITS or if outside the file */
	unsigned link;	    /* sh_link */
};

struct elf_sym {
	const char *name;
	uint64_t value; /* st_value: a vaddr for defined symbols */
	uint64_t size;
	unsigned type;	/* STT_* */
	unsigned bind;	/* STB_* */
	int dynamic;	/* 1: from .dynsym, 0: from .symtab */
};

/* One stapsdt (USDT) note, addresses adjusted for .stapsdt.base. */
struct elf_usdt_note {
	const char *provider;
	const char *name;
	const char *args; /* e.g. "8@%rbx 8@%r15" */
	uint64_t pc;	  /* vaddr of the probe nop */
	uint64_t base;	  /* .stapsdt.base address recorded in the note */
	uint64_t sema;	  /* vaddr of the semaphore, 0 if none */
};

/* [start, end) of one function. */
struct elf_func_range {
	uint64_t start;
	uint64_t end;
};

/* Where elf_file__find_symbol() looks. */
#define ELF_SYM_DYNSYM (1u << 0)
#define ELF_SYM_SYMTAB (1u << 1)

/* Largest file read (a libpython with its debug info is a few hundred MB at most). */
#define ELF_MAX_FILE (1ull << 30)

/*
 * Opens and reads path.  Returns 0 and *out, -ENOEXEC if the file is not a
 * 64-bit little-endian x86-64 ET_EXEC/ET_DYN ELF file, -EBADMSG if it is one
 * whose program headers do not fit in it, -EFBIG if it is larger than
 * ELF_MAX_FILE, -ENOMEM, or the -errno of open/fstat/read.
 *
 * Section headers are a second source: the kernel and ld.so never read them.
 * The dynamic symbols, relocations and .eh_frame_hdr are taken from
 * PT_DYNAMIC and PT_GNU_EH_FRAME as ld.so and the unwinder find them (the
 * section headers' .dynsym is searched too when it is another table); a file
 * with no usable section headers (none, a table outside the file, none giving
 * code bytes, or a loaded section that is not what a PT_LOAD maps: its bytes
 * outside the file, at another offset or address) gets its loaded sections
 * replaced by sections made from its PT_LOADs (".load.rx", ".load.r",
 * ".load.rw", ...), PT_DYNAMIC (".dynamic", ".dynstr", ".dynsym") and
 * PT_GNU_EH_FRAME (".eh_frame_hdr"); sections that are not loaded (.symtab,
 * the stapsdt notes) are kept.
 */
int elf_file__open(const char *path, struct elf_file **out);
/* The same, from an open descriptor (not consumed; the file is read through a dup of it). */
int elf_file__open_fd(int fd, struct elf_file **out);
void elf_file__close(struct elf_file *ef); /* NULL is fine */

/*
 * Every lookup and table walk here, and every loop of the analysis built on
 * it, charges its work (units of roughly one table entry visited, or a few
 * bytes scanned) to the file; the budget is a fixed amount plus a multiple of
 * the file's size.  elf_file__charge() returns 0, or -E2BIG once the budget
 * is spent: from then on every charge fails, lookups say -ENOENT, and the
 * caller is expected to give the file up (elf_file__over_budget() is 1).
 */
int elf_file__charge(const struct elf_file *ef, uint64_t units);
int elf_file__over_budget(const struct elf_file *ef);
uint64_t elf_file__work(const struct elf_file *ef); /* units charged so far */

/* st_dev and st_ino of the opened file (fstat, so they match what was read). */
void elf_file__stat(const struct elf_file *ef, uint64_t *dev, uint64_t *ino);
unsigned elf_file__type(const struct elf_file *ef); /* ET_EXEC or ET_DYN */
/* 1 if ET_DYN and an executable (PT_INTERP or DF_1_PIE), else 0. */
int elf_file__is_pie(const struct elf_file *ef);
/* 1 if the file has a .symtab (i.e. is not stripped). */
int elf_file__has_symtab(const struct elf_file *ef);
/*
 * 1 if the section headers are absent or unusable, or their .dynsym gives
 * no table or another one than PT_DYNAMIC's, or the file has no dynamic
 * symbol table at all: a file on which "no such symbol" proves little.
 */
int elf_file__headers_doubtful(const struct elf_file *ef);
/* 1 if the file bytes of a PT_LOAD (what of them is in the file) hold needle. */
int elf_file__loaded_bytes_hold(const struct elf_file *ef, const void *needle, size_t len);
/* DT_SONAME, or NULL. */
const char *elf_file__soname(const struct elf_file *ef);

/* The PT_LOAD headers, in file order; *cnt gets their number. */
const struct elf_segment *elf_file__segments(const struct elf_file *ef, size_t *cnt);

/*
 * Translates vaddr to a file offset through the PT_LOAD that covers it.  With
 * in_memory 0 the address must lie in the file-backed part (p_filesz), as a
 * probed instruction must; with 1 the zero-filled tail (p_memsz) counts too,
 * which is how libbpf places USDT semaphores.  Returns 0 or -ENOENT.
 */
int elf_segments_vaddr_to_offset(const struct elf_segment *segs, size_t cnt, uint64_t vaddr,
				 int in_memory, uint64_t *off);
/* Same on the file's own PT_LOADs; *flags (if not NULL) gets the segment's PF_*. */
int elf_file__vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, int in_memory,
			      uint64_t *off, unsigned *flags);

/*
 * Returns a pointer to len file bytes that are mapped at vaddr, or NULL if any
 * of them is not file-backed.
 */
const void *elf_file__ptr(const struct elf_file *ef, uint64_t vaddr, size_t len);
/* Copies len bytes at vaddr.  Returns 0 or -ENOENT (not file-backed). */
int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/* Section by name or by index (0 .. count-1).  Returns 0 or -ENOENT. */
int elf_file__section(const struct elf_file *ef, const char *name, struct elf_section *sec);
size_t elf_file__section_count(const struct elf_file *ef);
int elf_file__section_at(const struct elf_file *ef, size_t idx, struct elf_section *sec);
/* The SHF_ALLOC section whose [addr, addr+size) holds vaddr.  Returns 0 or -ENOENT. */
int elf_file__section_of(const struct elf_file *ef, uint64_t vaddr, struct elf_section *sec);

/*
 * Finds a defined symbol (st_shndx != SHN_UNDEF) by exact name in the tables
 * selected by where (ELF_SYM_*; .dynsym is searched first).  Returns 0 or -ENOENT.
 */
int elf_file__find_symbol(const struct elf_file *ef, const char *name, unsigned where,
			  struct elf_sym *sym);
/* The same, for the first defined symbol whose name starts with prefix (a GCC copy: "f."). */
int elf_file__find_symbol_prefix(const struct elf_file *ef, const char *prefix, unsigned where,
				 struct elf_sym *sym);
/*
 * The STT_FUNC symbol with a non-zero size that covers vaddr, .symtab first
 * (it has the local functions), then .dynsym.  Returns 0 or -ENOENT.
 */
int elf_file__func_symbol_at(const struct elf_file *ef, uint64_t vaddr, struct elf_sym *sym);

/*
 * Function ranges from the .eh_frame_hdr binary search table (one per FDE),
 * sorted by start; end comes from the FDE's pc_range.  Computed once and
 * cached.  Returns 0, -ENOENT if there is no usable .eh_frame_hdr, or -ENOMEM.
 */
int elf_file__eh_funcs(struct elf_file *ef, const struct elf_func_range **funcs, size_t *cnt);
/*
 * The function that holds vaddr: a .symtab/.dynsym FUNC symbol if one covers
 * it, else the .eh_frame FDE range.  Returns 0 or -ENOENT.
 */
int elf_file__func_containing(struct elf_file *ef, uint64_t vaddr, struct elf_func_range *fn);

/*
 * Addend of the R_X86_64_RELATIVE relocation (.rela.dyn) whose r_offset is
 * vaddr.  Returns 0 or -ENOENT.
 */
int elf_file__relative_addend(struct elf_file *ef, uint64_t vaddr, uint64_t *addend);
/*
 * Link-time value of the pointer stored at vaddr: for ET_DYN the RELATIVE
 * addend (RELA, or the implicit addend of a DT_RELR entry) or S+A of an
 * R_X86_64_64 against a defined symbol; for ET_EXEC the 8 file bytes unless a
 * relocation says otherwise.  Returns 0, or -ENOENT if an ET_DYN slot has no
 * such relocation (the bytes in the file are then not a pointer).
 */
int elf_file__read_ptr(struct elf_file *ef, uint64_t vaddr, uint64_t *val);

/*
 * All stapsdt notes of .note.stapsdt (else of the PT_NOTE segments).  pc and sema are adjusted by
 * (.stapsdt.base address - note base), as libbpf and bcc do for prelinked
 * files.  Returns 0 with *notes (free() it; strings point into the file) and
 * *cnt (0 and NULL if the file has none), or -ENOMEM.
 */
int elf_file__usdt_notes(const struct elf_file *ef, struct elf_usdt_note **notes, size_t *cnt);

#endif
