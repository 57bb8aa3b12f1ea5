// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_elf.c - libFuzzer target: the ELF reader and the whole analysis of a
 * Python binary (pybin__open_fd on a memfd: version, layout, USDT notes, debug
 * offsets, probe finding, the sys.audit method table), then pybin__dump of
 * the result; then the libpython names and RUNPATH it links
 * (libpython_needed).  Any sanitizer report, or an analysis that takes longer
 * than libFuzzer's -timeout, is a finding.
 *
 * The analysed files are real Pythons with changes.  A multi-MB file as the
 * fuzz input would make every corpus entry the size of a libpython, so an
 * input is a recipe instead:
 *
 *   byte 0        which base file (index into FUZZ_ELF_BASES, modulo its length)
 *   then records  of 13 bytes: u32 offset (modulo the file size), u8 op, u64 value
 *                 op & 3: write 1, 2, 4 or 8 bytes of value at offset;
 *                 op & 0x80: instead, cut the file at offset
 *
 * An input that starts with "\177ELF" is analysed as it is (small regression
 * files).  FUZZ_ELF_BASES is a colon-separated list of files, set by
 * tests/fuzz/run.sh from this machine's Pythons and the CPython matrix.
 *
 * Random changes in a multi-MB file mostly land in code and data, so a custom
 * mutator adds records that aim at what the reader trusts: a field of a
 * section or program header, of the ELF header, of a .dynsym/.symtab entry,
 * a relocation, a dynamic entry or a note, set to a boundary value (0, ~0,
 * the file size, an odd offset, another entry's value), and at what ld.so
 * reads whatever the section headers say: a PT_DYNAMIC entry, a word of the
 * GNU hash table it names.
 *
 * FUZZ_ELF_WRITE=FILE writes the patched file of each input run to FILE (to
 * turn a finding into a regression test).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "libpython.h"
#include "oldpy.h"
#include "pybin.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define MAX_BASES 32
#define REC	  13

struct base {
	uint8_t *data;
	size_t size;
};

static struct base bases[MAX_BASES];
static unsigned nbases;
static int memfd = -1;
static FILE *devnull;
static uint8_t *work; /* a copy of the largest base, patched per input */
static size_t work_cap;

static void load_bases(void)
{
	const char *env = getenv("FUZZ_ELF_BASES");
	char *list, *tok, *save = NULL;

	memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	devnull = fopen("/dev/null", "w");
	if (memfd < 0 || !devnull)
		abort();
	if (!env)
		env = "/usr/bin/python3.11";
	list = strdup(env);
	for (tok = strtok_r(list, ":", &save); tok && nbases < MAX_BASES;
	     tok = strtok_r(NULL, ":", &save)) {
		int fd = open(tok, O_RDONLY | O_CLOEXEC);
		struct stat st;
		uint8_t *p;

		if (fd < 0 || fstat(fd, &st) || st.st_size < 64) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		p = malloc(st.st_size);
		if (!p || pread(fd, p, st.st_size, 0) != st.st_size) {
			free(p);
			close(fd);
			continue;
		}
		close(fd);
		bases[nbases++] = (struct base){ p, (size_t)st.st_size };
		if ((size_t)st.st_size > work_cap)
			work_cap = st.st_size;
	}
	free(list);
	work = malloc(work_cap ? work_cap : 1);
	if (!work)
		abort();
}

static void analyse(const uint8_t *data, size_t size)
{
	struct pybin *b = NULL;
	const char *dump = getenv("FUZZ_ELF_WRITE");
	size_t off = 0;

	if (ftruncate(memfd, 0) || lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	while (off < size) {
		ssize_t n = write(memfd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (dump) {
		FILE *f = fopen(dump, "wb");

		if (f) {
			fwrite(data, 1, size, f);
			fclose(f);
		}
	}
	if (pybin__open_fd(memfd, "/fuzz/libpython3.11.so.1.0", &b) == 0) {
		pybin__dump(b, devnull);
		pybin__free(b);
	} else {
		char ver[32];

		oldpy_version(memfd, ver, sizeof(ver)); /* is it a CPython before 3.8? */
	}
	{
		/* the libpython it links (DT_NEEDED, RUNPATH): what --list and the exec hold read */
		struct libpython_needed nd;

		libpython_needed(memfd, &nd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct base *bs;
	size_t n, i;

	if (memfd < 0)
		load_bases();
	if (size >= 4 && memcmp(data, "\177ELF", 4) == 0) {
		analyse(data, size);
		return 0;
	}
	if (size < 1 || !nbases)
		return 0;
	bs = &bases[data[0] % nbases];
	memcpy(work, bs->data, bs->size);
	n = bs->size;
	for (i = 1; i + REC <= size; i += REC) {
		uint32_t at;
		uint64_t v;
		uint8_t op = data[i + 4];
		static const unsigned width[] = { 1, 2, 4, 8 };
		unsigned w = width[op & 3];

		memcpy(&at, data + i, 4);
		memcpy(&v, data + i + 5, 8);
		if (!n)
			break;
		at %= n;
		if (op & 0x80) {
			n = at;
			continue;
		}
		if (w > n - at)
			continue;
		memcpy(work + at, &v, w);
	}
	analyse(work, n);
	return 0;
}

/* ---- structure-aware mutation ---- */

static uint64_t rnd(unsigned *seed)
{
	uint64_t hi = (uint64_t)rand_r(seed), lo = (uint64_t)rand_r(seed);

	return hi << 31 ^ lo;
}

static uint64_t rd(const uint8_t *base, size_t size, uint64_t at, unsigned n)
{
	uint64_t v = 0;

	if (at <= size && n <= size - at)
		memcpy(&v, base + at, n);
	return v;
}

/* A value an attacker would try for a field that held old. */
static uint64_t boundary(unsigned *seed, uint64_t old, size_t size, uint64_t other)
{
	switch (rnd(seed) % 15) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return 0x7fffffffffffffffull;
	case 3: return size;
	case 4: return size - 1;
	case 5: return size + 1;
	case 6: return old + 1;
	case 7: return old - 1;
	case 8: return old * 2 + 3;
	case 9: return old + (rnd(seed) % 64) - 32;
	case 10: return other;
	case 11: return old ^ (1ull << (rnd(seed) % 64));
	case 12: return 0x100000000ull - (rnd(seed) % 4);
	case 13: return old + size / 2;
	default: return rnd(seed) % (size + 1);
	}
}

/* Sizes of the fields of Elf64_Shdr and Elf64_Phdr, in order. */
static const unsigned shdr_fields[] = { 4, 4, 8, 8, 8, 8, 4, 4, 8, 8 };
static const unsigned phdr_fields[] = { 4, 4, 8, 8, 8, 8, 8, 8 };

struct target {
	uint64_t at, other;
	unsigned w;
};

static int pick_table(const struct base *b, unsigned *seed, uint64_t tab, uint64_t num,
		      uint64_t ent, const unsigned *fields, unsigned nfields, struct target *t)
{
	uint64_t i, j;
	unsigned f, k, foff = 0;

	if (!num || ent < 8 || tab > b->size || num > (b->size - tab) / ent)
		return 0;
	i = rnd(seed) % num;
	j = rnd(seed) % num;
	f = (unsigned)(rnd(seed) % nfields);
	for (k = 0; k < f; k++)
		foff += fields[k];
	if (foff + fields[f] > ent)
		return 0;
	t->at = tab + i * ent + foff;
	t->other = rd(b->data, b->size, tab + j * ent + foff, fields[f]);
	t->w = fields[f];
	return 1;
}

/* An 8-byte word of a random entry of a section of type want (SHT_SYMTAB, SHT_RELA...). */
static int pick_entry(const struct base *b, unsigned *seed, unsigned want, struct target *t)
{
	uint64_t shoff = rd(b->data, b->size, 0x28, 8), shnum = rd(b->data, b->size, 0x3c, 2);
	unsigned tries;

	if (shoff > b->size || shnum > (b->size - shoff) / 64)
		return 0;
	for (tries = 0; tries < 64 && shnum; tries++) {
		uint64_t sh = shoff + (rnd(seed) % shnum) * 64;
		uint64_t off = rd(b->data, b->size, sh + 0x18, 8), sz = rd(b->data, b->size, sh + 0x20, 8);
		uint64_t es = rd(b->data, b->size, sh + 0x38, 8);

		if (rd(b->data, b->size, sh + 4, 4) != want || off > b->size || sz > b->size - off)
			continue;
		if (es < 8)
			es = 8;
		if (sz < es)
			continue;
		t->at = off + (rnd(seed) % (sz / es)) * es + (rnd(seed) % (es / 8)) * 8;
		t->other = rd(b->data, b->size, off, 8);
		t->w = 8;
		return 1;
	}
	return 0;
}

/* File offset of vaddr through the base's PT_LOADs, or UINT64_MAX. */
static uint64_t base_v2o(const struct base *b, uint64_t v)
{
	uint64_t ph = rd(b->data, b->size, 0x20, 8), n = rd(b->data, b->size, 0x38, 2), i;

	for (i = 0; i < n && i < 64; i++) {
		uint64_t p = ph + i * 56, va = rd(b->data, b->size, p + 0x10, 8);

		if (rd(b->data, b->size, p, 4) == PT_LOAD && v >= va &&
		    v - va < rd(b->data, b->size, p + 0x20, 8))
			return v - va + rd(b->data, b->size, p + 8, 8);
	}
	return UINT64_MAX;
}

/*
 * A word ld.so reads: a PT_DYNAMIC entry (tag or value), or one of the first
 * words of the GNU hash table it names (header, bloom, buckets, chains).
 */
static int pick_dynamic(const struct base *b, unsigned *seed, struct target *t)
{
	uint64_t ph = rd(b->data, b->size, 0x20, 8), n = rd(b->data, b->size, 0x38, 2), i, k;

	for (i = 0; i < n && i < 64; i++) {
		uint64_t p = ph + i * 56, off = rd(b->data, b->size, p + 8, 8);
		uint64_t cnt = rd(b->data, b->size, p + 0x20, 8) / 16;

		if (rd(b->data, b->size, p, 4) != PT_DYNAMIC || !cnt || off > b->size ||
		    cnt > (b->size - off) / 16)
			continue;
		if (rnd(seed) % 3 == 0) {
			for (k = 0; k < cnt; k++) {
				uint64_t gh;

				if (rd(b->data, b->size, off + k * 16, 8) != DT_GNU_HASH)
					continue;
				gh = base_v2o(b, rd(b->data, b->size, off + k * 16 + 8, 8));
				if (gh >= b->size || b->size - gh < 4096)
					return 0;
				t->at = gh + (rnd(seed) % 1024) * 4;
				t->other = rd(b->data, b->size, gh + (rnd(seed) % 1024) * 4, 4);
				t->w = 4;
				return 1;
			}
			return 0;
		}
		k = rnd(seed) % cnt;
		t->at = off + k * 16 + (rnd(seed) % 4 == 0 ? 0 : 8);
		t->other = rd(b->data, b->size, off + (rnd(seed) % cnt) * 16 + 8, 8);
		t->w = 8;
		return 1;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	const struct base *b;
	struct target t;
	unsigned s = seed;
	uint8_t rec[REC];
	uint32_t at;
	int ok = 0;

	if (memfd < 0)
		load_bases();
	if (!nbases || size < 1 || data[0] == 0x7f || rnd(&s) % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	b = &bases[data[0] % nbases];
	switch (rnd(&s) % 11) {
	case 0:
	case 1:
	case 2:
		ok = pick_table(b, &s, rd(b->data, b->size, 0x28, 8), rd(b->data, b->size, 0x3c, 2),
				64, shdr_fields, 10, &t);
		break;
	case 3:
		ok = pick_table(b, &s, rd(b->data, b->size, 0x20, 8), rd(b->data, b->size, 0x38, 2),
				56, phdr_fields, 8, &t);
		break;
	case 4:
		ok = pick_entry(b, &s, rnd(&s) & 1 ? SHT_DYNSYM : SHT_SYMTAB, &t);
		break;
	case 5:
		ok = pick_entry(b, &s, rnd(&s) & 1 ? SHT_RELA : SHT_DYNAMIC, &t);
		break;
	case 6:
		ok = pick_entry(b, &s, rnd(&s) & 1 ? SHT_NOTE : SHT_PROGBITS, &t);
		break;
	case 7: {
		static const unsigned hdr[] = { 0x20, 0x28, 0x36, 0x38, 0x3a, 0x3c, 0x3e };

		t.at = hdr[rnd(&s) % 7];
		t.w = t.at < 0x30 ? 8 : 2;
		t.other = 0;
		ok = 1;
		break;
	}
	case 10:
		ok = pick_dynamic(b, &s, &t);
		break;
	case 8:
		/* change the value of an existing record */
		if (size >= 1 + REC) {
			size_t i = 1 + (rnd(&s) % ((size - 1) / REC)) * REC;
			uint64_t v;

			memcpy(&v, data + i + 5, 8);
			v = boundary(&s, v, b->size, 0);
			memcpy(data + i + 5, &v, 8);
			return size;
		}
		break;
	default:
		/* cut the file short */
		t.at = rnd(&s) % b->size;
		t.w = 0;
		ok = 1;
		break;
	}
	if (!ok || size + REC > max_size)
		return LLVMFuzzerMutate(data, size, max_size);
	at = (uint32_t)t.at;
	memcpy(rec, &at, 4);
	if (t.w == 0) {
		rec[4] = 0x80;
		memset(rec + 5, 0, 8);
	} else {
		uint64_t v = boundary(&s, rd(b->data, b->size, t.at, t.w), b->size, t.other);

		rec[4] = t.w == 1 ? 0 : t.w == 2 ? 1 : t.w == 4 ? 2 : 3;
		memcpy(rec + 5, &v, 8);
	}
	memcpy(data + size, rec, REC);
	return size + REC;
}
