// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pybin.c - the analysis of one ELF file as a CPython (see pybin.h): opened
 * once, through user/elf.c's bounded reader, then asked which CPython it
 * holds (user/pyversion.c) and where to probe it (user/probepoints.c), all
 * on one work budget; a file that spends it is given up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probepoints.h"
#include "pyscan.h"
#include "pyversion.h"

static void describe_build(struct pybin *b)
{
	snprintf(b->build, sizeof(b->build), "%s, %s%s%s",
		 b->shared ? "shared lib" : b->pie ? "static pie" : "static exe",
		 b->stripped ? "stripped" : "symbols", b->usdt_total ? ", usdt" : "",
		 b->free_threaded ? ", free-threaded" : "");
}

int pybin__open(const char *path, struct pybin **out)
{
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	err = pybin__open_fd(fd, path, out);
	close(fd);
	return err;
}

/*
 * No PySys_Audit symbol, on a file whose headers say little (see
 * elf_file__headers_doubtful): does it hold CPython's code all the same?  The
 * literal "sys.addaudithook" (the event PySys_AddAuditHook raises, 3.8+) is in
 * the loaded bytes of every CPython, and of no program that merely links one.
 */
static int looks_like_cpython(struct elf_file *ef)
{
	static const char lit[] = "sys.addaudithook";

	return elf_file__headers_doubtful(ef) && elf_file__loaded_bytes_hold(ef, lit, sizeof(lit));
}

const char *pybin_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "not a Python binary (no PySys_Audit)";
	case -ENOEXEC:
		return "not an x86-64 ELF executable or library";
	case -EBADMSG:
		return "a malformed x86-64 ELF file (its program headers do not fit in it)";
	case -ENODATA:
		return "it holds CPython's audit code, but no PySys_Audit symbol could be found "
		       "(section headers and dynamic segment lie or are missing)";
	case -E2BIG:
		return "too costly to analyse (its work budget ran out)";
	case -EFBIG:
		return "larger than 1 GiB: not read";
	default:
		return strerror(-err);
	}
}

int pybin__open_fd(int fd, const char *path, struct pybin **out)
{
	struct elf_file *ef = NULL;
	struct elf_sym pysys;
	struct pybin *b;
	struct pyscan s = { 0 };
	int err;

	*out = NULL;
	if (strlen(path) >= sizeof(b->path))
		return -ENAMETOOLONG;
	err = elf_file__open_fd(fd, &ef);
	if (err)
		return err;
	if (elf_file__find_symbol(ef, "PySys_Audit", ELF_SYM_DYNSYM, &pysys) ||
	    pysys.type != STT_FUNC) {
		err = looks_like_cpython(ef) ? -ENODATA : -ENOENT;
		if (elf_file__over_budget(ef))
			err = -E2BIG;
		elf_file__close(ef);
		return err;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		elf_file__close(ef);
		return -ENOMEM;
	}
	strcpy(b->path, path);
	elf_file__stat(ef, &b->dev, &b->ino);
	b->pie = elf_file__is_pie(ef);
	b->shared = elf_file__type(ef) == ET_DYN && !b->pie;
	{
		/*
		 * The read-only segments, as one range of virtual addresses that
		 * holds no writable one: where the binary's constant strings (the C
		 * event names) are.  The loader maps all segments at one offset.
		 */
		const struct elf_segment *segs;
		uint64_t w_lo = UINT64_MAX;
		size_t i, nsegs;

		segs = elf_file__segments(ef, &nsegs);
		b->ro_lo = UINT64_MAX;
		for (i = 0; segs && i < nsegs; i++) {
			if (!(segs[i].flags & PF_W) && segs[i].vaddr < b->ro_lo)
				b->ro_lo = segs[i].vaddr;
		}
		for (i = 0; segs && i < nsegs; i++) {
			if ((segs[i].flags & PF_W) && segs[i].vaddr >= b->ro_lo && segs[i].vaddr < w_lo)
				w_lo = segs[i].vaddr;
		}
		for (i = 0; segs && i < nsegs; i++) {
			uint64_t end = segs[i].vaddr + segs[i].memsz;

			if (!(segs[i].flags & PF_W) && end <= w_lo && end > b->ro_hi)
				b->ro_hi = end;
		}
		b->ro_lo &= ~0xfffull;
		if (b->ro_lo >= b->ro_hi)
			b->ro_lo = b->ro_hi = 0;
	}
	b->stripped = !elf_file__has_symtab(ef);

	s.ef = ef;
	s.b = b;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s.cs) == CS_ERR_OK) {
		cs_option(s.cs, CS_OPT_DETAIL, CS_OPT_ON);
		s.insn = cs_malloc(s.cs);
	}

	pyversion_detect(&s);
	probepoints_usdt(ef, b);
	if (s.insn)
		probepoints_uprobe(&s, &pysys);
	else
		pyscan_note(b->uprobe_gap, sizeof(b->uprobe_gap), "capstone unavailable: no uprobe route");
	describe_build(b);
	b->work = elf_file__work(ef);

	if (s.insn)
		cs_free(s.insn, 1);
	if (s.cs)
		cs_close(&s.cs);
	/*
	 * A file whose analysis ran out of its work budget gave partial answers
	 * at best (lookups failed part way): it is not used at all.
	 */
	if (elf_file__over_budget(ef)) {
		elf_file__close(ef);
		free(b);
		return -E2BIG;
	}
	elf_file__close(ef);
	*out = b;
	return 0;
}

void pybin__free(struct pybin *b)
{
	free(b);
}

static const char *kind_name(unsigned kind)
{
	switch (kind) {
	case PA_PROBE_USDT: return "usdt";
	case PA_PROBE_VALIST: return "valist";
	case PA_PROBE_VARARGS: return "varargs";
	case PA_PROBE_SYSAUDIT: return "sysaudit";
	case PA_PROBE_CLONE: return "clone";
	}
	return "?";
}

static void dump_point(const struct py_probe_point *p, FILE *f)
{
	fprintf(f, "  %-8s vaddr 0x%llx offset 0x%llx", kind_name(p->kind),
		(unsigned long long)p->vaddr, (unsigned long long)p->offset);
	if (p->kind == PA_PROBE_USDT)
		fprintf(f, " sema 0x%llx args %s,%s", (unsigned long long)p->ref_ctr_offset,
			probepoints_reg_name(p->reg0), probepoints_reg_name(p->reg1));
	fprintf(f, "  %s\n", p->what);
}

void pybin__dump(const struct pybin *b, FILE *f)
{
	const struct pa_layout *l = &b->layout;
	int i;

	fprintf(f, "%s\n", b->path);
	fprintf(f, "  file     dev 0x%llx ino %llu\n", (unsigned long long)b->dev,
		(unsigned long long)b->ino);
	fprintf(f, "  version  %s (0x%08x)\n", b->version[0] ? b->version : "unknown",
		b->version_hex);
	fprintf(f, "  build    %s\n", b->build);
	fprintf(f, "  layout   %s (%s)\n", l->flags & PA_LAYOUT_VALID ? "valid" : "unknown",
		b->layout_src);
	if (l->flags & PA_LAYOUT_VALID)
		fprintf(f,
			"           ob_type %u ob_size %u tp_name %u tp_flags %u str len/state %u/%u "
			"data ascii/compact/any %u/%u/%u bits kind>>%u compact 0x%x ascii 0x%x\n"
			"           bytes %u bytearray %u tuple %u list %u long %s %u digits %u "
			"float %u dict_used %u\n",
			l->ob_type, l->ob_size, l->tp_name, l->tp_flags, l->str_length,
			l->str_state, l->str_ascii_data, l->str_compact_data, l->str_any_data,
			l->str_kind_shift, l->str_compact_bit, l->str_ascii_bit, l->bytes_data,
			l->bytearray_data, l->tuple_items, l->list_items,
			l->flags & PA_LAYOUT_LV_TAG ? "lv_tag" : "ob_size", l->long_size,
			l->long_digits, l->float_val, l->dict_used);
	fprintf(f, "  usdt     %d of %d python:audit notes%s%s\n", b->nusdt, b->usdt_total,
		b->usdt_gap[0] ? ": " : "", b->usdt_gap);
	for (i = 0; i < b->nusdt; i++)
		dump_point(&b->usdt[i], f);
	fprintf(f, "  work     %llu units\n", (unsigned long long)b->work);
	fprintf(f, "  uprobe   %s%s%s\n", b->uprobe_complete ? "complete" : "incomplete",
		b->uprobe_gap[0] ? ": " : "", b->uprobe_gap);
	for (i = 0; i < b->nuprobe; i++)
		dump_point(&b->uprobe[i], f);
	if (b->gate_y)
		fprintf(f, "  gates    %d function(s) hold the audit gate (I+0x%x, R+0x%x, I+0x%x, %s; "
			   "%u functions, %u walked)\n",
			b->gates_total, b->gate_x, b->gate_y, b->gate_z, b->gate_src,
			b->gates_scanned, b->gates_walked);
	for (i = 0; i < b->ngates; i++)
		fprintf(f, "  gate     fn 0x%llx (gate at 0x%llx)  %s\n",
			(unsigned long long)b->gates[i].start, (unsigned long long)b->gates[i].gate,
			b->gates[i].role);
}
