// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyversion.c - which CPython an ELF file holds: its version and the object
 * and frame layouts the BPF program reads (see pyversion.h).
 *
 * This is the one place that knows each CPython layout (layout_table[] and
 * debug_offsets_table[]); see docs/cpython-audit-internals.md sections 4, 5
 * and 6.  Nothing is executed: the version comes from Py_Version, the
 * _PyRuntime debug offsets or the PY_VERSION string Py_GetVersion() formats.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyscan.h"
#include "pyversion.h"

/* ---- object layouts ---- */

/* Fields shared by every default (GIL) build 3.8 - 3.15, section 4. */
#define LAYOUT_COMMON                                                                   \
	.ob_type = 8, .ob_size = 16, .tp_name = 24, .tp_flags = 168, .str_length = 16, \
	.str_state = 32, .str_kind_shift = 2, .str_compact_bit = 0x20,                 \
	.str_ascii_bit = 0x40, .bytes_data = 32, .bytearray_data = 40, .list_items = 24, \
	.long_size = 16, .long_digits = 24, .float_val = 16, .dict_used = 16

/*
 * The call site (docs/cpython-audit-internals.md section 6): where the thread
 * state, its current frame, the frame's code and instruction, and the code's
 * names and line table are.  3.8 - 3.10: PyFrameObject; 3.11, 3.12: through
 * the _PyCFrame; 3.13+: tstate->current_frame (and _Py_DebugOffsets).
 */
#define SITE_FRAMEOBJ(tstate_current, lasti, kind, trace)                                      \
	.rt_tstate = tstate_current, .rt_interp_head = 32, .is_threads_head = 8, .ts_next = 8,  \
	.ts_frame = 24, .ts_tid = 176, .fr_kind = kind, .fr_code = 32, .fr_back = 24,          \
	.fr_instr = lasti, .fr_lineno = lasti + 4, .fr_trace = trace, .co_firstlineno = 40,    \
	.co_filename = 104, .co_name = 112, .co_linetable = 120
#define SITE_IFRAME(firstlineno, firsttraceable, adaptive)                                     \
	.ts_next = 8, .fr_kind = PA_FK_INSTR_PTR, .fr_instr = 56, .co_firstlineno = firstlineno,  \
	.co_filename = 112, .co_name = 120, .co_linetable = 136,                               \
	.co_firsttraceable = firsttraceable, .co_code = adaptive
#define SITE_FLAGS (PA_LAYOUT_VALID | PA_LAYOUT_SITE)

/*
 * Default x86-64 builds, indexed by minor version.  3.12 dropped wstr from
 * str (ASCII data 48 -> 40, compact 72 -> 56) and moved int sign/size into
 * lv_tag; 3.14 added ob_hash to tuples (items 24 -> 32).
 */
static const struct pa_layout layout_table[] = {
	[8] = { SITE_FLAGS | PA_LAYOUT_TID_PTHREAD, LAYOUT_COMMON, .str_ascii_data = 48,
		.str_compact_data = 72, .str_any_data = 72, .tuple_items = 24,
		SITE_FRAMEOBJ(1368, 104, PA_FK_LASTI_BYTES, 80) },
	[9] = { SITE_FLAGS | PA_LAYOUT_TID_PTHREAD, LAYOUT_COMMON, .str_ascii_data = 48,
		.str_compact_data = 72, .str_any_data = 72, .tuple_items = 24,
		SITE_FRAMEOBJ(568, 104, PA_FK_LASTI_BYTES, 80) },
	[10] = { SITE_FLAGS | PA_LAYOUT_TID_PTHREAD, LAYOUT_COMMON, .str_ascii_data = 48,
		 .str_compact_data = 72, .str_any_data = 72, .tuple_items = 24,
		 SITE_FRAMEOBJ(568, 96, PA_FK_LASTI_UNITS, 0) },
	[11] = { SITE_FLAGS | PA_LAYOUT_CFRAME | PA_LAYOUT_IFRAME, LAYOUT_COMMON,
		 .str_ascii_data = 48, .str_compact_data = 72, .str_any_data = 72, .tuple_items = 24,
		 .rt_tstate = 576, .rt_interp_head = 40, .is_threads_head = 16, .ts_frame = 56,
		 .cf_current = 8, .ts_tid = 160, .fr_code = 32, .fr_back = 48, .fr_owner = 69,
		 SITE_IFRAME(72, 168, 184) },
	[12] = { SITE_FLAGS | PA_LAYOUT_LV_TAG | PA_LAYOUT_CFRAME | PA_LAYOUT_IFRAME, LAYOUT_COMMON,
		 .str_ascii_data = 40, .str_compact_data = 56, .str_any_data = 56, .tuple_items = 24,
		 .rt_interp_head = 40, .is_threads_head = 72, .ts_frame = 56, .cf_current = 0,
		 .ts_tid = 144, .fr_code = 0, .fr_back = 8, .fr_owner = 70, .fr_owner_shim = 3,
		 SITE_IFRAME(68, 176, 192) },
	[13] = { SITE_FLAGS | PA_LAYOUT_LV_TAG | PA_LAYOUT_IFRAME, LAYOUT_COMMON,
		 .str_ascii_data = 40, .str_compact_data = 56, .str_any_data = 56, .tuple_items = 24,
		 .rt_interp_head = 632, .is_threads_head = 7344, .ts_frame = 72, .ts_tid = 160,
		 .fr_code = 0, .fr_back = 8, .fr_owner = 70, .fr_owner_shim = 3,
		 SITE_IFRAME(68, 184, 200) },
	[14] = { SITE_FLAGS | PA_LAYOUT_LV_TAG | PA_LAYOUT_IFRAME, LAYOUT_COMMON,
		 .str_ascii_data = 40, .str_compact_data = 56, .str_any_data = 56, .tuple_items = 32,
		 .rt_interp_head = 808, .is_threads_head = 7344, .ts_frame = 72, .ts_tid = 160,
		 .fr_code = 0, .fr_back = 8, .fr_owner = 74, .fr_owner_shim = 3, .fr_exec_mask = 3,
		 SITE_IFRAME(68, 192, 208) },
	[15] = { SITE_FLAGS | PA_LAYOUT_LV_TAG | PA_LAYOUT_IFRAME, LAYOUT_COMMON,
		 .str_ascii_data = 40, .str_compact_data = 56, .str_any_data = 56, .tuple_items = 32,
		 .rt_interp_head = 936, .is_threads_head = 7336, .ts_frame = 72, .ts_tid = 184,
		 .fr_code = 0, .fr_back = 8, .fr_owner = 74, .fr_owner_shim = 3, .fr_exec_mask = 3,
		 SITE_IFRAME(68, 192, 208) },
};

int pyversion_layout(unsigned version_hex, int free_threaded, struct pa_layout *out)
{
	unsigned minor = PY_MINOR(version_hex);

	memset(out, 0, sizeof(*out));
	/*
	 * Free-threaded builds have a 32-byte object header and moved str state
	 * bits (3.14t); their offsets were only computed from headers, never
	 * checked against a binary, so they are not claimed here.
	 */
	if (free_threaded || PY_MAJOR(version_hex) != 3 || minor >= sizeof(layout_table) /
	    sizeof(layout_table[0]) || !layout_table[minor].flags)
		return -ENOTSUP;
	*out = layout_table[minor];
	return 0;
}

/*
 * Byte offsets of the fields we use inside struct _Py_DebugOffsets, per minor
 * version (section 5).  The struct itself changes with every minor version.
 */
struct debug_offsets_row {
	unsigned minor;
	unsigned size; /* sizeof(_Py_DebugOffsets) */
	unsigned pyobject_size, ob_type, tp_name, tp_flags, tuple_ob_item, list_ob_item;
	unsigned float_ob_fval, long_lv_tag, long_ob_digit, bytes_ob_sval;
	unsigned str_state, str_length, str_ascii_size, str_compact_size; /* 0: absent */
	/* the call site */
	unsigned interp_head, threads_head, ts_next, ts_current_frame, ts_native_tid;
	unsigned fr_previous, fr_executable, fr_instr_ptr, fr_owner;
	unsigned co_filename, co_name, co_linetable, co_firstlineno, co_code_adaptive;
};

static const struct debug_offsets_row debug_offsets_table[] = {
	{ 13, 584, 352, 360, 376, 392, 408, 432, 480, 496, 504, 528, 544, 552, 560, 0,
	  40, 72, 168, 184, 200, 232, 240, 248, 264, 280, 288, 304, 312, 344 },
	{ 14, 760, 400, 408, 424, 440, 456, 480, 560, 576, 584, 608, 624, 632, 640, 0,
	  40, 72, 192, 208, 224, 256, 264, 272, 288, 320, 328, 344, 352, 384 },
	{ 15, 888, 464, 472, 488, 504, 552, 576, 656, 672, 680, 704, 720, 728, 736, 744,
	  40, 72, 192, 208, 248, 320, 328, 336, 352, 384, 392, 408, 416, 448 },
};

#define DEBUG_COOKIE "xdebugpy"

/* What _PyRuntime's leading _Py_DebugOffsets says (3.13+). */
struct debug_offsets {
	int found;
	uint64_t version;
	uint64_t free_threaded;
	const unsigned char *raw; /* the struct, in the mapped file */
	size_t raw_size;
};

static void read_debug_offsets(struct elf_file *ef, struct debug_offsets *d)
{
	struct elf_sym sym;
	const unsigned char *p;

	memset(d, 0, sizeof(*d));
	if (elf_file__find_symbol(ef, "_PyRuntime", ELF_SYM_DYNSYM, &sym) || sym.size < 24)
		return;
	/* _PyRuntime is initialised data (.PyRuntime is PROGBITS): it is in the file. */
	p = elf_file__ptr(ef, sym.value, 24);
	if (!p || memcmp(p, DEBUG_COOKIE, 8) != 0)
		return;
	d->found = 1;
	memcpy(&d->version, p + 8, 8);
	memcpy(&d->free_threaded, p + 16, 8);
	d->raw_size = sym.size;
	d->raw = elf_file__ptr(ef, sym.value, sym.size);
	if (!d->raw)
		d->raw_size = 0;
}

static uint64_t dbg_u64(const struct debug_offsets *d, unsigned off)
{
	uint64_t v;

	memcpy(&v, d->raw + off, 8);
	return v;
}

/*
 * Do the call-site fields lie within what the BPF program reads: a thread
 * state from offset 8 (192 bytes), 112 bytes of a frame, 144 bytes of a code
 * object from co_firstlineno & ~7?
 */
static int site_fits(const struct pa_layout *l)
{
	unsigned cb = l->co_firstlineno & ~7u;

#define IN(off, size, lo, len) ((off) + 1 > (lo) && (off) + (size) <= (lo) + (len))
	return IN(l->ts_next, 8, 8, 192) && IN(l->ts_frame, 8, 8, 192) && IN(l->ts_tid, 8, 8, 192) &&
	       IN(l->fr_code, 8, 0, 112) && IN(l->fr_back, 8, 0, 112) &&
	       IN(l->fr_instr, 8, 0, 112) && IN(l->fr_owner, 1, 0, 112) &&
	       IN(l->fr_lineno, 4, 0, 112) && IN(l->fr_trace, 8, 0, 112) &&
	       IN(l->co_filename, 8, cb, 144) && IN(l->co_name, 8, cb, 144) &&
	       IN(l->co_linetable, 8, cb, 144) && IN(l->co_firstlineno, 4, cb, 144) &&
	       (!l->co_firsttraceable || IN(l->co_firsttraceable, 4, cb, 144));
#undef IN
}

/*
 * Cross-checks the table against _Py_DebugOffsets.  Where they disagree the
 * debug offsets win for the fields they describe; a different object header
 * (ob_type) means the table's other fields cannot be trusted at all.
 */
static void apply_debug_offsets(struct pybin *b, const struct debug_offsets *d)
{
	const struct debug_offsets_row *row = NULL;
	struct pa_layout *l = &b->layout;
	char diff[64] = "";
	size_t i;

	for (i = 0; i < sizeof(debug_offsets_table) / sizeof(debug_offsets_table[0]); i++)
		if (debug_offsets_table[i].minor == PY_MINOR(b->version_hex))
			row = &debug_offsets_table[i];
	if (!row)
		return;
	if (!d->found || !d->raw || d->raw_size < row->size) {
		pyscan_note(b->layout_src, sizeof(b->layout_src), "table 3.%u (no debug offsets)",
			 row->minor);
		return;
	}
	if (PY_MINOR(d->version) != row->minor) {
		pyscan_note(b->layout_src, sizeof(b->layout_src),
			 "table 3.%u (debug offsets are for 0x%08llx)", row->minor,
			 (unsigned long long)d->version);
		return;
	}
	if (dbg_u64(d, row->pyobject_size) != 16 || dbg_u64(d, row->ob_type) != l->ob_type) {
		memset(l, 0, sizeof(*l));
		pyscan_note(b->layout_src, sizeof(b->layout_src),
			 "object header differs (debug offsets: ob_type %llu)",
			 (unsigned long long)dbg_u64(d, row->ob_type));
		return;
	}

#define TAKE(field, off)                                                    \
	do {                                                                \
		uint64_t v_ = dbg_u64(d, (off));                            \
		if (v_ != l->field && v_ < 4096) {                          \
			pyscan_add_note(diff, sizeof(diff), "%s", #field);         \
			l->field = (__u32)v_;                               \
		}                                                           \
	} while (0)
	TAKE(tp_name, row->tp_name);
	TAKE(tp_flags, row->tp_flags);
	TAKE(tuple_items, row->tuple_ob_item);
	TAKE(list_items, row->list_ob_item);
	TAKE(float_val, row->float_ob_fval);
	TAKE(long_size, row->long_lv_tag);
	TAKE(long_digits, row->long_ob_digit);
	TAKE(bytes_data, row->bytes_ob_sval);
	TAKE(str_state, row->str_state);
	TAKE(str_length, row->str_length);
	TAKE(str_ascii_data, row->str_ascii_size);
	if (row->str_compact_size)
		TAKE(str_compact_data, row->str_compact_size);
	/* the call site: the frame and code fields it reads (the instruction/owner ones are
	 * within the 112 bytes read of a frame, the code ones within 144 from co_firstlineno) */
	TAKE(rt_interp_head, row->interp_head);
	TAKE(is_threads_head, row->threads_head);
	TAKE(ts_next, row->ts_next);
	TAKE(ts_frame, row->ts_current_frame);
	TAKE(ts_tid, row->ts_native_tid);
	TAKE(fr_back, row->fr_previous);
	TAKE(fr_code, row->fr_executable);
	TAKE(fr_instr, row->fr_instr_ptr);
	TAKE(fr_owner, row->fr_owner);
	TAKE(co_filename, row->co_filename);
	TAKE(co_name, row->co_name);
	TAKE(co_linetable, row->co_linetable);
	TAKE(co_firstlineno, row->co_firstlineno);
	TAKE(co_code, row->co_code_adaptive);
#undef TAKE
	if (!site_fits(l))
		l->flags &= ~PA_LAYOUT_SITE; /* fields moved beyond what the probe reads: no site */
	if (diff[0])
		pyscan_note(b->layout_src, sizeof(b->layout_src), "debug offsets override: %s", diff);
	else
		pyscan_note(b->layout_src, sizeof(b->layout_src), "table 3.%u = debug offsets",
			 row->minor);
}

/* ---- version ---- */

int pyversion_parse(const char *s, unsigned *hex)
{
	unsigned major, minor, micro = 0, level = 0xf, serial = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	major = strtoul(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]))
			return -EINVAL;
		micro = strtoul(end + 1, &end, 10);
	}
	if (*end == 'a' || *end == 'b' || (end[0] == 'r' && end[1] == 'c')) {
		level = *end == 'a' ? 0xa : *end == 'b' ? 0xb : 0xc;
		end += *end == 'r' ? 2 : 1;
		if (!isdigit((unsigned char)*end))
			return -EINVAL;
		serial = strtoul(end, &end, 10);
	}
	/* "3.12.6+" marks a build from the branch after 3.12.6. */
	if (*end == '+')
		end++;
	if (*end || major != 3 || minor > 255 || micro > 255 || serial > 15)
		return -EINVAL;
	*hex = major << 24 | minor << 16 | micro << 8 | level << 4 | serial;
	return 0;
}

static void format_version(unsigned hex, char *buf, size_t size)
{
	unsigned level = (hex >> 4) & 0xf, serial = hex & 0xf;
	const char *lv = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";

	if (*lv)
		snprintf(buf, size, "%u.%u.%u%s%u", PY_MAJOR(hex), PY_MINOR(hex), (hex >> 8) & 0xff, lv,
			 serial);
	else
		snprintf(buf, size, "%u.%u.%u", PY_MAJOR(hex), PY_MINOR(hex), (hex >> 8) & 0xff);
}

/*
 * Minor version (and free-threaded 't') from a name like libpython3.13t.so.1.0
 * or python3.11.  Returns the minor or -1.
 */
static int name_minor(const char *name, int *ft)
{
	const char *p;
	char *end;
	long minor;

	if (!name)
		return -1;
	p = strrchr(name, '/');
	p = p ? p + 1 : name;
	if (strncmp(p, "lib", 3) == 0)
		p += 3;
	if (strncmp(p, "python3.", 8) != 0 || !isdigit((unsigned char)p[8]))
		return -1;
	minor = strtol(p + 8, &end, 10);
	if (minor > 99)
		return -1;
	if (ft && *end == 't')
		*ft = 1;
	return (int)minor;
}

/*
 * PY_VERSION as its own NUL-delimited string in read-only data, "\0" "3.9.18"
 * "\0" (the same digits occur inside paths, hence the leading NUL).  With a
 * hint from the SONAME or file name the first string of that minor wins;
 * without one, only an unambiguous answer is taken.
 */
static unsigned version_from_rodata(struct elf_file *ef, int hint)
{
	unsigned found = 0, first = 0;
	int ambiguous = 0;
	size_t i, n = elf_file__section_count(ef);

	for (i = 1; i < n; i++) {
		struct elf_section s;
		const char *d;
		size_t j;

		if (elf_file__section_at(ef, i, &s) || !s.data || s.type != SHT_PROGBITS ||
		    !(s.flags & SHF_ALLOC) || (s.flags & (SHF_WRITE | SHF_EXECINSTR)))
			continue;
		if (pyscan_charge_bytes(ef, s.size))
			return 0;
		d = s.data;
		for (j = 1; j + 6 < s.size; j++) {
			char buf[24];
			const char *e;
			unsigned hex;

			if (d[j] != '3' || d[j + 1] != '.' || d[j - 1] != 0)
				continue;
			e = memchr(d + j, 0, s.size - j < sizeof(buf) ? s.size - j : sizeof(buf));
			if (!e)
				continue;
			memcpy(buf, d + j, e - (d + j) + 1);
			if (pyversion_parse(buf, &hex) || PY_MINOR(hex) < 8 ||
			    !strchr(strchr(buf, '.') + 1, '.'))
				continue;
			if (hint >= 0) {
				if ((int)PY_MINOR(hex) == hint)
					return hex;
				continue;
			}
			if (!first)
				first = hex;
			else if (PY_MINOR(hex) != PY_MINOR(first))
				ambiguous = 1;
		}
	}
	if (hint < 0 && first && !ambiguous)
		found = first;
	return found;
}

/* Copies the NUL-terminated string at vaddr.  Returns 0 or -ENOENT (too long, not in file). */
static int read_cstr(struct elf_file *ef, uint64_t vaddr, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		const char *p = elf_file__ptr(ef, vaddr + i, 1);

		if (!p)
			return -ENOENT;
		buf[i] = *p;
		if (!*p)
			return 0;
	}
	return -ENOENT;
}

/*
 * PY_VERSION as Py_GetVersion() passes it to PyOS_snprintf: the string that
 * one of its rip-relative lea instructions (or, in a non-PIE executable, a
 * mov of an absolute address) points at.  The literal may be the merged tail
 * of a longer string (pyenv: ".../versions/3.9.18"), which a scan for
 * NUL-delimited strings cannot see.  Returns PY_VERSION_HEX or 0.
 */
static unsigned version_from_getversion(struct pyscan *s)
{
	struct elf_sym sym;
	const uint8_t *code;
	size_t size;
	uint64_t pc;

	if (!s->insn || elf_file__find_symbol(s->ef, "Py_GetVersion", ELF_SYM_DYNSYM, &sym) ||
	    sym.size == 0 || sym.size > 4096)
		return 0;
	code = elf_file__ptr(s->ef, sym.value, sym.size);
	if (!code)
		return 0;
	size = sym.size;
	pc = sym.value;
	while (pyscan_next_insn(s, &code, &size, &pc)) {
		const cs_x86 *x = &s->insn->detail->x86;
		const cs_x86_op *src = &x->operands[1];
		uint64_t at;
		char buf[24];
		unsigned hex;

		if (x->op_count != 2 || x->operands[0].type != X86_OP_REG)
			continue;
		if (s->insn->id == X86_INS_LEA && src->type == X86_OP_MEM &&
		    src->mem.base == X86_REG_RIP && src->mem.index == X86_REG_INVALID)
			at = s->insn->address + s->insn->size + src->mem.disp;
		else if (s->insn->id == X86_INS_MOV && src->type == X86_OP_IMM &&
			 elf_file__type(s->ef) == ET_EXEC)
			at = (uint64_t)src->imm;
		else
			continue;
		if (read_cstr(s->ef, at, buf, sizeof(buf)) == 0 &&
		    pyversion_parse(buf, &hex) == 0 && PY_MINOR(hex) >= 8)
			return hex;
	}
	return 0;
}

static void detect_version(struct pyscan *s, const struct debug_offsets *d)
{
	struct elf_file *ef = s->ef;
	struct pybin *b = s->b;
	struct elf_sym sym;
	int ft = 0, hint;
	uint32_t v;

	hint = name_minor(elf_file__soname(ef), &ft);
	if (hint < 0)
		hint = name_minor(b->path, &ft);

	/* Py_Version: const unsigned long = PY_VERSION_HEX (3.11+), little endian. */
	if (elf_file__find_symbol(ef, "Py_Version", ELF_SYM_DYNSYM, &sym) == 0 && sym.size >= 4 &&
	    elf_file__read(ef, sym.value, &v, 4) == 0 && PY_MAJOR(v) == 3) {
		b->version_hex = v;
	} else if (d->found && PY_MAJOR(d->version) == 3) {
		b->version_hex = (unsigned)d->version;
	} else {
		b->version_hex = version_from_getversion(s);
		/* The soname or file name, when it names a minor, must agree. */
		if (b->version_hex && hint >= 0 && (int)PY_MINOR(b->version_hex) != hint)
			b->version_hex = 0;
		if (!b->version_hex)
			b->version_hex = version_from_rodata(ef, hint);
	}
	if (b->version_hex)
		format_version(b->version_hex, b->version, sizeof(b->version));
	b->free_threaded = (d->found && d->free_threaded) || ft;
}

/* ---- object layout of this binary ---- */

static void detect_layout(struct elf_file *ef, struct pybin *b, const struct debug_offsets *d)
{
	struct elf_sym sym;
	unsigned minor = PY_MINOR(b->version_hex);

	memset(&b->layout, 0, sizeof(b->layout));
	if (!b->version_hex) {
		pyscan_note(b->layout_src, sizeof(b->layout_src), "version unknown");
		return;
	}
	if (b->free_threaded) {
		pyscan_note(b->layout_src, sizeof(b->layout_src),
			 "free-threaded build: layout not verified");
		return;
	}
	/*
	 * Py_TRACE_REFS (3.8 - 3.12) prepends two pointers to every object;
	 * those builds export the reference-list dumpers.
	 */
	if (minor <= 12 &&
	    elf_file__find_symbol(ef, "_Py_PrintReferenceAddresses", ELF_SYM_DYNSYM, &sym) == 0) {
		pyscan_note(b->layout_src, sizeof(b->layout_src), "Py_TRACE_REFS build: not supported");
		return;
	}
	if (pyversion_layout(b->version_hex, 0, &b->layout)) {
		pyscan_note(b->layout_src, sizeof(b->layout_src), "no layout known for 3.%u", minor);
		return;
	}
	pyscan_note(b->layout_src, sizeof(b->layout_src), "table 3.%u", minor);
	if (minor >= 13)
		apply_debug_offsets(b, d);
	/* the call site starts from _PyRuntime (exported data in every version) */
	if (elf_file__find_symbol(ef, "_PyRuntime", ELF_SYM_DYNSYM, &sym) == 0 &&
	    sym.type == STT_OBJECT && sym.size >= 64 && site_fits(&b->layout))
		b->runtime_vaddr = sym.value;
	else
		b->layout.flags &= ~PA_LAYOUT_SITE;
}

void pyversion_detect(struct pyscan *s)
{
	struct debug_offsets dbg;

	read_debug_offsets(s->ef, &dbg);
	detect_version(s, &dbg);
	detect_layout(s->ef, s->b, &dbg);
}
