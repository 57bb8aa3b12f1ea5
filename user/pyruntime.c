// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyruntime.c - which CPython an ELF file holds and where to probe it.
 *
 * This is the one place that knows each CPython layout (layout_table[] and
 * debug_offsets_table[]) and the shape of the audit code: PySys_Audit calls the
 * static sys_audit_tstate(tstate, event, fmt, va_list *) in 3.9+, so a probe
 * on every direct call of that function sees each C-raised event with its
 * va_list, and the builtin sys.audit (found through the sys module's
 * PyMethodDef table) sees Python-level events.  See
 * docs/cpython-audit-internals.md sections 1, 4, 5 and 7.
 *
 * Nothing is executed: the version comes from Py_Version, the _PyRuntime debug
 * offsets or the PY_VERSION string Py_GetVersion() formats; code is read with
 * capstone.  A probe
 * address is only ever returned after a linear disassembly of its function,
 * from the function's start, lands exactly on it.
 */
#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "gates.h"
#include "pyruntime.h"
#include "vec.h"

#define MINOR(hex) (((hex) >> 16) & 0xff)
#define MAJOR(hex) ((hex) >> 24)

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

int pyruntime_layout(unsigned version_hex, int free_threaded, struct pa_layout *out)
{
	unsigned minor = MINOR(version_hex);

	memset(out, 0, sizeof(*out));
	/*
	 * Free-threaded builds have a 32-byte object header and moved str state
	 * bits (3.14t); their offsets were only computed from headers, never
	 * checked against a binary, so they are not claimed here.
	 */
	if (free_threaded || MAJOR(version_hex) != 3 || minor >= sizeof(layout_table) /
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

static void set_note(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Appends "; msg" (or msg if buf is empty), truncating at size. */
static void add_note(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len && len + 2 < size) {
		strcpy(buf + len, "; ");
		len += 2;
	}
	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
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
		if (debug_offsets_table[i].minor == MINOR(b->version_hex))
			row = &debug_offsets_table[i];
	if (!row)
		return;
	if (!d->found || !d->raw || d->raw_size < row->size) {
		set_note(b->layout_src, sizeof(b->layout_src), "table 3.%u (no debug offsets)",
			 row->minor);
		return;
	}
	if (MINOR(d->version) != row->minor) {
		set_note(b->layout_src, sizeof(b->layout_src),
			 "table 3.%u (debug offsets are for 0x%08llx)", row->minor,
			 (unsigned long long)d->version);
		return;
	}
	if (dbg_u64(d, row->pyobject_size) != 16 || dbg_u64(d, row->ob_type) != l->ob_type) {
		memset(l, 0, sizeof(*l));
		set_note(b->layout_src, sizeof(b->layout_src),
			 "object header differs (debug offsets: ob_type %llu)",
			 (unsigned long long)dbg_u64(d, row->ob_type));
		return;
	}

#define TAKE(field, off)                                                    \
	do {                                                                \
		uint64_t v_ = dbg_u64(d, (off));                            \
		if (v_ != l->field && v_ < 4096) {                          \
			add_note(diff, sizeof(diff), "%s", #field);         \
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
		set_note(b->layout_src, sizeof(b->layout_src), "debug offsets override: %s", diff);
	else
		set_note(b->layout_src, sizeof(b->layout_src), "table 3.%u = debug offsets",
			 row->minor);
}

/* ---- version ---- */

struct scan {
	struct elf_file *ef;
	struct pybin *b;
	csh cs;
	cs_insn *insn; /* NULL if capstone is unavailable */
};

/*
 * Work units (elf_file__charge, a unit being a few ns) of one decoded
 * instruction, of one pointer slot looked at, and of the bytes of a section
 * scanned for a pattern: a capstone decode with details costs about as much
 * as a few dozen table entries, a slot a binary search and a segment lookup.
 */
#define INSN_COST 32
#define SLOT_COST 8

/* Decodes the next instruction like cs_disasm_iter, charging it; 0 when out of budget. */
static bool next_insn(struct scan *s, const uint8_t **code, size_t *size, uint64_t *pc)
{
	if (elf_file__charge(s->ef, INSN_COST))
		return false;
	return cs_disasm_iter(s->cs, code, size, pc, s->insn);
}

static int charge_bytes(struct elf_file *ef, uint64_t bytes)
{
	return elf_file__charge(ef, bytes / 4 + 1);
}

int pyruntime_parse_version(const char *s, unsigned *hex)
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
		snprintf(buf, size, "%u.%u.%u%s%u", MAJOR(hex), MINOR(hex), (hex >> 8) & 0xff, lv,
			 serial);
	else
		snprintf(buf, size, "%u.%u.%u", MAJOR(hex), MINOR(hex), (hex >> 8) & 0xff);
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
		if (charge_bytes(ef, s.size))
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
			if (pyruntime_parse_version(buf, &hex) || MINOR(hex) < 8 ||
			    !strchr(strchr(buf, '.') + 1, '.'))
				continue;
			if (hint >= 0) {
				if ((int)MINOR(hex) == hint)
					return hex;
				continue;
			}
			if (!first)
				first = hex;
			else if (MINOR(hex) != MINOR(first))
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
static unsigned version_from_getversion(struct scan *s)
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
	while (next_insn(s, &code, &size, &pc)) {
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
		    pyruntime_parse_version(buf, &hex) == 0 && MINOR(hex) >= 8)
			return hex;
	}
	return 0;
}

static void detect_version(struct scan *s, const struct debug_offsets *d)
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
	    elf_file__read(ef, sym.value, &v, 4) == 0 && MAJOR(v) == 3) {
		b->version_hex = v;
	} else if (d->found && MAJOR(d->version) == 3) {
		b->version_hex = (unsigned)d->version;
	} else {
		b->version_hex = version_from_getversion(s);
		/* The soname or file name, when it names a minor, must agree. */
		if (b->version_hex && hint >= 0 && (int)MINOR(b->version_hex) != hint)
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
	unsigned minor = MINOR(b->version_hex);

	memset(&b->layout, 0, sizeof(b->layout));
	if (!b->version_hex) {
		set_note(b->layout_src, sizeof(b->layout_src), "version unknown");
		return;
	}
	if (b->free_threaded) {
		set_note(b->layout_src, sizeof(b->layout_src),
			 "free-threaded build: layout not verified");
		return;
	}
	/*
	 * Py_TRACE_REFS (3.8 - 3.12) prepends two pointers to every object;
	 * those builds export the reference-list dumpers.
	 */
	if (minor <= 12 &&
	    elf_file__find_symbol(ef, "_Py_PrintReferenceAddresses", ELF_SYM_DYNSYM, &sym) == 0) {
		set_note(b->layout_src, sizeof(b->layout_src), "Py_TRACE_REFS build: not supported");
		return;
	}
	if (pyruntime_layout(b->version_hex, 0, &b->layout)) {
		set_note(b->layout_src, sizeof(b->layout_src), "no layout known for 3.%u", minor);
		return;
	}
	set_note(b->layout_src, sizeof(b->layout_src), "table 3.%u", minor);
	if (minor >= 13)
		apply_debug_offsets(b, d);
	/* the call site starts from _PyRuntime (exported data in every version) */
	if (elf_file__find_symbol(ef, "_PyRuntime", ELF_SYM_DYNSYM, &sym) == 0 &&
	    sym.type == STT_OBJECT && sym.size >= 64 && site_fits(&b->layout))
		b->runtime_vaddr = sym.value;
	else
		b->layout.flags &= ~PA_LAYOUT_SITE;
}

/* ---- USDT ---- */

static const char *const reg_names[] = {
	[PA_REG_R15] = "r15", [PA_REG_R14] = "r14", [PA_REG_R13] = "r13", [PA_REG_R12] = "r12",
	[PA_REG_RBP] = "rbp", [PA_REG_RBX] = "rbx", [PA_REG_R11] = "r11", [PA_REG_R10] = "r10",
	[PA_REG_R9] = "r9",   [PA_REG_R8] = "r8",   [PA_REG_RAX] = "rax", [PA_REG_RCX] = "rcx",
	[PA_REG_RDX] = "rdx", [PA_REG_RSI] = "rsi", [PA_REG_RDI] = "rdi",
};

/* One "8@%reg" argument at *s; advances *s past it and its trailing blanks. */
static int parse_reg_arg(const char **s, unsigned *reg)
{
	const char *p = *s;
	size_t i, len;

	while (*p == ' ')
		p++;
	if (strncmp(p, "8@%", 3) != 0)
		return -EINVAL;
	p += 3;
	len = strcspn(p, " ");
	for (i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++) {
		if (reg_names[i] && strlen(reg_names[i]) == len && strncmp(p, reg_names[i], len) == 0) {
			*reg = (unsigned)i;
			*s = p + len;
			return 0;
		}
	}
	return -EINVAL;
}

int pyruntime_usdt_regs(const char *args, unsigned *reg0, unsigned *reg1)
{
	const char *p = args;

	if (parse_reg_arg(&p, reg0) || parse_reg_arg(&p, reg1))
		return -EINVAL;
	while (*p == ' ')
		p++;
	return *p ? -EINVAL : 0; /* python:audit has exactly two arguments */
}

static void collect_usdt(struct elf_file *ef, struct pybin *b)
{
	struct elf_usdt_note *notes;
	size_t i, cnt;

	if (elf_file__usdt_notes(ef, &notes, &cnt)) {
		set_note(b->usdt_gap, sizeof(b->usdt_gap), "reading stapsdt notes: out of memory");
		return;
	}
	for (i = 0; i < cnt; i++) {
		const struct elf_usdt_note *n = &notes[i];
		struct py_probe_point *pt;
		unsigned r0, r1, flags = 0;
		uint64_t off, sema_off = 0;

		if (strcmp(n->provider, "python") != 0 || strcmp(n->name, "audit") != 0)
			continue;
		b->usdt_total++;
		if (b->nusdt == PYBIN_MAX_USDT) {
			add_note(b->usdt_gap, sizeof(b->usdt_gap), "note at 0x%llx: more than %d notes",
				 (unsigned long long)n->pc, PYBIN_MAX_USDT);
			continue;
		}
		if (pyruntime_usdt_regs(n->args, &r0, &r1)) {
			add_note(b->usdt_gap, sizeof(b->usdt_gap),
				 "note at 0x%llx: args '%.40s' not plain registers",
				 (unsigned long long)n->pc, n->args);
			continue;
		}
		if (elf_file__vaddr_to_offset(ef, n->pc, 0, &off, &flags) || !(flags & PF_X)) {
			add_note(b->usdt_gap, sizeof(b->usdt_gap), "note at 0x%llx: not in code",
				 (unsigned long long)n->pc);
			continue;
		}
		if (n->sema && (elf_file__vaddr_to_offset(ef, n->sema, 1, &sema_off, &flags) ||
				(flags & PF_X))) {
			add_note(b->usdt_gap, sizeof(b->usdt_gap),
				 "note at 0x%llx: semaphore 0x%llx not in data",
				 (unsigned long long)n->pc, (unsigned long long)n->sema);
			continue;
		}
		pt = &b->usdt[b->nusdt++];
		pt->kind = PA_PROBE_USDT;
		pt->vaddr = n->pc;
		pt->offset = off;
		pt->ref_ctr_offset = sema_off;
		pt->reg0 = r0;
		pt->reg1 = r1;
		snprintf(pt->what, sizeof(pt->what), "usdt python:audit #%d", b->nusdt);
	}
	free(notes);
}

/* ---- disassembly ---- */

/*
 * va_start stores gp_offset (8 * named GP args) and fp_offset 0x30: GCC as two
 * "mov dword [mem], imm", clang as "movabs reg, 0x30_00000010" then
 * "mov qword [mem], reg".
 */
#define VA_GP_0x10 (1u << 0) /* PySys_Audit(event, fmt, ...) */
#define VA_GP_0x18 (1u << 1) /* _PySys_Audit(tstate, event, fmt, ...) */
#define VA_FP_0x30 (1u << 2)

struct va_track {
	unsigned seen;	 /* VA_* */
	unsigned reg;	 /* register last loaded with a 64-bit immediate */
	uint64_t imm;
};

static unsigned va_bits(uint64_t v)
{
	switch (v) {
	case 0x10: return VA_GP_0x10;
	case 0x18: return VA_GP_0x18;
	case 0x30: return VA_FP_0x30;
	}
	return 0;
}

static void va_store(const cs_insn *in, struct va_track *va)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *dst = &x->operands[0], *src = &x->operands[1];

	if (!va || (in->id != X86_INS_MOV && in->id != X86_INS_MOVABS) || x->op_count != 2)
		return;
	if (dst->type == X86_OP_MEM && dst->size == 4 && src->type == X86_OP_IMM) {
		va->seen |= va_bits((uint32_t)src->imm);
	} else if (dst->type == X86_OP_REG && dst->size == 8 && src->type == X86_OP_IMM) {
		va->reg = dst->reg;
		va->imm = (uint64_t)src->imm;
	} else if (dst->type == X86_OP_MEM && dst->size == 8 && src->type == X86_OP_REG &&
		   src->reg == va->reg && va->reg != X86_REG_INVALID) {
		unsigned gp = va_bits(va->imm & 0xffffffff), fp = va_bits(va->imm >> 32);

		if (gp && fp == VA_FP_0x30)
			va->seen |= gp | fp;
	}
}

/* Target of a direct call/jmp/jcc, or 0. */
static uint64_t branch_target(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return 0;
	if (in->id == X86_INS_CALL || in->id == X86_INS_JMP)
		return (uint64_t)x->operands[0].imm;
	for (uint8_t i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == X86_GRP_JUMP)
			return (uint64_t)x->operands[0].imm;
	return 0;
}

/*
 * Linear sweep of the function [start, end) up to the instruction that holds
 * addr; leaves it in s->insn.  *va collects the va_start stores seen on the
 * way (may be NULL).  Returns 0, or -ENOENT if the bytes are not in the file
 * or the sweep stops (undecodable byte) before reaching addr.
 */
static int sweep_to(struct scan *s, uint64_t start, uint64_t end, uint64_t addr,
		    struct va_track *va)
{
	const uint8_t *code;
	size_t size;
	uint64_t pc = start;

	if (addr < start || addr >= end)
		return -ENOENT;
	code = elf_file__ptr(s->ef, start, end - start);
	if (!code)
		return -ENOENT;
	size = end - start;
	while (next_insn(s, &code, &size, &pc)) {
		va_store(s->insn, va);
		if (s->insn->address + s->insn->size > addr)
			return 0;
	}
	return -ENOENT;
}

static int in_plt(struct elf_file *ef, uint64_t vaddr)
{
	struct elf_section sec;

	return elf_file__section_of(ef, vaddr, &sec) == 0 && strncmp(sec.name, ".plt", 4) == 0;
}

static int in_code(struct elf_file *ef, uint64_t vaddr)
{
	struct elf_section sec;

	return elf_file__section_of(ef, vaddr, &sec) == 0 && (sec.flags & SHF_EXECINSTR) &&
	       strncmp(sec.name, ".plt", 4) != 0;
}

/* Name of the function at fn_start holding vaddr, for `what`. */
static void func_name(struct scan *s, uint64_t vaddr, uint64_t fn_start, unsigned va, char *buf,
		      size_t size)
{
	struct elf_sym sym;

	if (elf_file__func_symbol_at(s->ef, vaddr, &sym) == 0 && sym.name[0])
		snprintf(buf, size, "%s", sym.name);
	else if (va & VA_GP_0x18)
		snprintf(buf, size, "_PySys_Audit@0x%llx", (unsigned long long)fn_start);
	else
		snprintf(buf, size, "fn@0x%llx", (unsigned long long)fn_start);
}

static struct py_probe_point *add_uprobe(struct pybin *b, unsigned kind, uint64_t vaddr,
					 uint64_t off)
{
	struct py_probe_point *pt;

	if (b->nuprobe == PYBIN_MAX_UPROBE)
		return NULL;
	pt = &b->uprobe[b->nuprobe++];
	memset(pt, 0, sizeof(*pt));
	pt->kind = kind;
	pt->vaddr = vaddr;
	pt->offset = off;
	pt->reg0 = pt->reg1 = PA_REG_NONE;
	return pt;
}

/* File offset of an instruction; it must sit in an executable PT_LOAD. */
static int code_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	unsigned flags = 0;

	if (elf_file__vaddr_to_offset(ef, vaddr, 0, off, &flags) || !(flags & PF_X))
		return -ENOENT;
	return 0;
}

/*
 * T = sys_audit_tstate: the first direct call in PySys_Audit whose target is
 * not a PLT stub (3.12+ libraries call __tls_get_addr first).  The call must
 * follow the va_start stores of a two-named-argument function (gp_offset
 * 0x10, fp_offset 0x30), i.e. it is the one that hands over the va_list.
 * Returns 0 with *t and *site, or -ENOENT.
 */
static int find_sys_audit_tstate(struct scan *s, const struct elf_sym *pysys, uint64_t *t,
				 uint64_t *site)
{
	const uint8_t *code = elf_file__ptr(s->ef, pysys->value, pysys->size);
	size_t size = pysys->size;
	uint64_t pc = pysys->value;
	struct va_track va = { 0 };

	if (!code)
		return -ENOENT;
	while (next_insn(s, &code, &size, &pc)) {
		uint64_t tgt;

		va_store(s->insn, &va);
		if (s->insn->id != X86_INS_CALL || !(tgt = branch_target(s->insn)))
			continue;
		if (in_plt(s->ef, tgt))
			continue;
		if ((va.seen & (VA_GP_0x10 | VA_FP_0x30)) != (VA_GP_0x10 | VA_FP_0x30) ||
		    !in_code(s->ef, tgt) || tgt == pysys->value)
			return -ENOENT;
		*t = tgt;
		*site = s->insn->address;
		return 0;
	}
	return -ENOENT;
}

/* A verified branch to T. */
struct site {
	uint64_t vaddr;
	uint64_t fn_start;
	unsigned va;
	int cond;  /* jcc: fires whether or not it is taken, so not probed */
	int is_call;
};

/*
 * Every direct call/jmp/jcc whose target is T: byte patterns first (e8/e9
 * rel32, 0f 8x rel32, eb/7x rel8), each kept only if a sweep of its function
 * from the start decodes an instruction that ends right after the pattern
 * and branches to T.  Prefixed forms (66 66 48 e8) are found through the
 * containing instruction.  Returns the number of sites, at most max;
 * *rejected counts rel32 patterns that could not be verified.
 */
static size_t find_callers(struct scan *s, uint64_t t, struct site *out, size_t max,
			   size_t *rejected)
{
	size_t i, n = 0, nsec = elf_file__section_count(s->ef);

	*rejected = 0;
	for (i = 1; i < nsec; i++) {
		struct elf_section sec;
		const uint8_t *d;
		uint64_t j;

		if (elf_file__section_at(s->ef, i, &sec) || !sec.data ||
		    !(sec.flags & SHF_EXECINSTR) || strncmp(sec.name, ".plt", 4) == 0)
			continue;
		/* A unit per byte: the loop below is a few times slower than memmem. */
		if (elf_file__charge(s->ef, sec.size + 1))
			break;
		d = sec.data;
		for (j = 0; j + 2 <= sec.size; j++) {
			uint64_t at = sec.addr + j, end, tgt;
			struct va_track va = { 0 };
			struct elf_func_range fn;
			int cond, rel32 = 1;
			int32_t rel;
			size_t k;

			if ((d[j] == 0xe8 || d[j] == 0xe9) && j + 5 <= sec.size) {
				memcpy(&rel, d + j + 1, 4);
				end = at + 5;
				cond = 0;
			} else if (d[j] == 0x0f && (d[j + 1] & 0xf0) == 0x80 && j + 6 <= sec.size) {
				memcpy(&rel, d + j + 2, 4);
				end = at + 6;
				cond = 1;
			} else if (d[j] == 0xeb || (d[j] & 0xf0) == 0x70) {
				rel = (int8_t)d[j + 1];
				end = at + 2;
				rel32 = 0;
				cond = d[j] != 0xeb;
			} else {
				continue;
			}
			tgt = end + (int64_t)rel;
			if (tgt != t)
				continue;
			if (elf_file__func_containing(s->ef, at, &fn) ||
			    sweep_to(s, fn.start, fn.end, at, &va) ||
			    s->insn->address + s->insn->size != end || branch_target(s->insn) != t) {
				/*
				 * A 2-byte pattern hits a given target by chance now
				 * and then; a 5- or 6-byte one that does not decode
				 * is most likely a real call we cannot vouch for.
				 */
				*rejected += rel32;
				continue;
			}
			for (k = 0; k < n && out[k].vaddr != s->insn->address; k++)
				;
			if (k < n || n == max)
				continue;
			out[n++] = (struct site){
				.vaddr = s->insn->address,
				.fn_start = fn.start,
				.va = va.seen,
				.cond = cond,
				.is_call = s->insn->id == X86_INS_CALL,
			};
		}
	}
	return n;
}

/* ---- builtin sys.audit through the sys module's PyMethodDef table ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define METH_FASTCALL 0x80

/*
 * sys_methods[] holds {"audit", sys_audit, METH_FASTCALL, doc} (32 bytes:
 * name, meth, flags, doc) with doc starting "audit(".  ml_name may point into
 * the tail of a longer string (merged strings), so every "audit\0" counts.
 * Returns 0 with *meth, -ENOENT if no entry, -EEXIST if several disagree.
 */
static int find_sys_audit_meth(struct elf_file *ef, uint64_t *meth)
{
	uint64_t *names = NULL, found = 0;
	size_t nnames = 0, cap = 0, i, nsec = elf_file__section_count(ef);
	int err = -ENOENT;

	for (i = 1; i < nsec; i++) {
		struct elf_section s;
		const char *d, *p;

		if (elf_file__section_at(ef, i, &s) || !s.data || s.type != SHT_PROGBITS ||
		    !(s.flags & SHF_ALLOC) || (s.flags & (SHF_WRITE | SHF_EXECINSTR)))
			continue;
		if (charge_bytes(ef, s.size))
			break;
		d = s.data;
		for (p = d; (p = memmem(p, s.size - (p - d), "audit", 6)); p += 6) {
			if (elf_file__charge(ef, 1))
				break;
			if (VEC_RESERVE(names, nnames, cap, 64)) {
				free(names);
				return -ENOMEM;
			}
			names[nnames++] = s.addr + (p - d);
		}
	}
	if (!nnames)
		return -ENOENT;
	qsort(names, nnames, sizeof(*names), cmp_u64);

	for (i = 1; i < nsec; i++) {
		struct elf_section s;
		uint64_t slot;

		/*
		 * Only a section that lies in the file (s.data) is walked: its
		 * size is then bounded by the file's, whatever sh_size claims,
		 * and each slot is charged.
		 */
		if (elf_file__section_at(ef, i, &s) || !s.data || s.type != SHT_PROGBITS ||
		    (s.flags & (SHF_ALLOC | SHF_WRITE)) != (SHF_ALLOC | SHF_WRITE) ||
		    s.size < 32 || s.addr > UINT64_MAX - s.size)
			continue;
		for (slot = (s.addr + 7) & ~7ull; slot >= s.addr && slot <= s.addr + s.size - 32;
		     slot += 8) {
			uint64_t name, m, doc;
			uint32_t flags;
			const char *text;

			if (elf_file__charge(ef, SLOT_COST))
				goto out;
			if (elf_file__read_ptr(ef, slot, &name) ||
			    !bsearch(&name, names, nnames, sizeof(*names), cmp_u64))
				continue;
			if (elf_file__read(ef, slot + 16, &flags, 4) || flags != METH_FASTCALL ||
			    elf_file__read_ptr(ef, slot + 8, &m) ||
			    elf_file__read_ptr(ef, slot + 24, &doc))
				continue;
			text = elf_file__ptr(ef, doc, 6);
			if (!text || memcmp(text, "audit(", 6) != 0)
				continue;
			if (found && found != m) {
				err = -EEXIST;
				goto out;
			}
			found = m;
		}
	}
	if (found) {
		*meth = found;
		err = 0;
	}
out:
	free(names);
	return err;
}

/*
 * Adds the sys.audit entry point.  The kernel emulates push reg instead of
 * single-stepping it; an endbr64 in front is skipped (it changes no register),
 * so the probe lands on the push when there is one.
 */
static int add_sys_audit(struct scan *s, uint64_t meth)
{
	const uint8_t *code;
	size_t size = 32;
	uint64_t pc = meth, at = meth, off;
	struct py_probe_point *pt;
	struct elf_sym sym;
	const char *name = "sys_audit", *first = NULL;
	char firstbuf[40] = "";
	int emulated = 0;

	if (!in_code(s->ef, meth) || code_offset(s->ef, meth, &off))
		return -ENOENT;
	code = elf_file__ptr(s->ef, meth, size);
	if (!code)
		return -ENOENT;
	if (next_insn(s, &code, &size, &pc)) {
		if (s->insn->id == X86_INS_ENDBR64 && next_insn(s, &code, &size, &pc))
			at = s->insn->address;
		if (s->insn->address == at) {
			const cs_x86 *x = &s->insn->detail->x86;

			emulated = s->insn->id == X86_INS_PUSH && x->op_count == 1 &&
				   x->operands[0].type == X86_OP_REG;
			snprintf(firstbuf, sizeof(firstbuf), "%.15s %.23s", s->insn->mnemonic,
				 s->insn->op_str);
			first = firstbuf;
		}
	}
	if (at != meth && (!emulated || code_offset(s->ef, at, &off))) {
		at = meth; /* nothing gained by skipping endbr64 */
		code_offset(s->ef, at, &off);
	}
	if (elf_file__func_symbol_at(s->ef, meth, &sym) == 0 && sym.value == meth && sym.name[0])
		name = sym.name;
	pt = add_uprobe(s->b, PA_PROBE_SYSAUDIT, at, off);
	if (!pt)
		return -E2BIG;
	if (emulated)
		snprintf(pt->what, sizeof(pt->what), "sys.audit builtin (%s)", name);
	else
		snprintf(pt->what, sizeof(pt->what), "sys.audit (%.20s) single-stepped %.14s", name,
			 first ? first : "?");
	return 0;
}

/* ---- the uprobe route ---- */

#define MAX_SITES 64

#define GAP_PYSYS_AUDIT "events raised via _PySys_Audit (import, exec, sys.excepthook...) not seen"

/*
 * 3.9+: a PA_PROBE_VALIST point at every verified call/jmp of
 * sys_audit_tstate.  Returns 1 if the call in PySys_Audit is among them, 0 if
 * not; *t gets sys_audit_tstate (0 if it was not found).
 */
static int add_valist_sites(struct scan *s, const struct elf_sym *pysys, uint64_t *t)
{
	struct pybin *b = s->b;
	struct site sites[MAX_SITES];
	char tname[48] = "sys_audit_tstate";
	size_t nsites, rejected, i;
	uint64_t site, off;
	struct elf_sym sym;
	int have_pysys = 0;

	*t = 0;
	if (find_sys_audit_tstate(s, pysys, t, &site)) {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "sys_audit_tstate not found in PySys_Audit: " GAP_PYSYS_AUDIT);
		return 0;
	}
	if (elf_file__func_symbol_at(s->ef, *t, &sym) == 0 && sym.value == *t && sym.name[0])
		snprintf(tname, sizeof(tname), "%s", sym.name);

	nsites = find_callers(s, *t, sites, MAX_SITES, &rejected);
	if (nsites == MAX_SITES)
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "more than %d calls of %s",
			 MAX_SITES, tname);
	if (rejected)
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%zu call(s) of %s not verified as instructions: not probed", rejected,
			 tname);
	for (i = 0; i < nsites; i++) {
		struct py_probe_point *pt;
		char fname[40];

		/* A probe on a jcc fires whether or not the branch is taken. */
		if (sites[i].cond) {
			add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
				 "conditional jump to %s at 0x%llx not probed", tname,
				 (unsigned long long)sites[i].vaddr);
			continue;
		}
		if (code_offset(s->ef, sites[i].vaddr, &off))
			continue;
		pt = add_uprobe(b, PA_PROBE_VALIST, sites[i].vaddr, off);
		if (!pt) {
			add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "more than %d probe points",
				 PYBIN_MAX_UPROBE);
			break;
		}
		func_name(s, sites[i].vaddr, sites[i].fn_start, sites[i].va, fname, sizeof(fname));
		snprintf(pt->what, sizeof(pt->what), "%s %.27s in %.27s",
			 sites[i].is_call ? "call" : "jmp", tname, fname);
		if (sites[i].vaddr == site)
			have_pysys = 1;
	}
	if (!have_pysys)
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "call of %s in PySys_Audit not verified: probing PySys_Audit entry", tname);
	return have_pysys;
}

/*
 * Every function holding the audit gate must be accounted for: the out-of-line
 * sys_audit_tstate (its calls are probed), the builtin sys.audit (its entry),
 * PySys_Audit when probed at its entry, and copies of _PySys_Audit (LTO clones
 * with sys_audit_tstate inlined: three named arguments, varargs) probed near
 * their entry.  Anything else is a gap that names the function.  Returns 1 if
 * every gate is accounted for.
 */
static int gate_route(struct scan *s, const struct elf_sym *pysys, uint64_t t, uint64_t meth)
{
	struct pybin *b = s->b;
	struct gate_fn fns[PYBIN_MAX_GATES];
	struct gate_offs o, tab;
	struct gate_scan st;
	int ok = 1, have_tab, err, i;

	have_tab = b->version_hex && gates_table(MINOR(b->version_hex), &tab) == 0;
	if (t && gates_learn(s->ef, s->cs, s->insn, t, &o) == 0) {
		snprintf(b->gate_src, sizeof(b->gate_src), "learnt");
	} else if (have_tab) {
		o = tab;
		snprintf(b->gate_src, sizeof(b->gate_src), "table");
	} else {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "audit gate offsets unknown: functions holding it not searched");
		return 0;
	}
	b->gate_x = o.x;
	b->gate_y = o.y;
	b->gate_z = o.z;
	err = gates_scan(s->ef, s->cs, s->insn, &o, fns, PYBIN_MAX_GATES, &st);
	b->gates_scanned = st.nfuncs;
	b->gates_walked = st.ncand;
	if (err) {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%s: functions holding the audit gate not searched",
			 err == -ENOENT ? "no function table (.eh_frame_hdr)" : strerror(-err));
		return 0;
	}
	b->gates_total = st.ngates;
	if (st.ngates > PYBIN_MAX_GATES) {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "%zu functions hold the audit gate",
			 st.ngates);
		ok = 0;
	}
	if (st.unresolved) {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%zu function(s) not fully walked for the audit gate (fn@0x%llx)",
			 st.unresolved, (unsigned long long)st.first_unresolved);
		ok = 0;
	}
	/* the scan must find the gate where it is known to be, or it proves nothing */
	for (i = 0; i < (int)st.ngates && i < PYBIN_MAX_GATES && fns[i].start != t; i++)
		;
	if (t ? i == (int)st.ngates || i == PYBIN_MAX_GATES : !st.ngates) {
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "audit gate scan did not find %s: functions holding it unknown",
			 t ? "sys_audit_tstate itself" : "any gate");
		ok = 0;
	}
	for (i = 0; i < (int)st.ngates && i < PYBIN_MAX_GATES; i++) {
		struct py_gate *g = &b->gates[b->ngates++];
		struct py_probe_point *pt;
		uint64_t at, off;
		uint32_t adj;
		int emulated, j, probed = 0;

		g->start = fns[i].start;
		g->gate = fns[i].at;
		if (fns[i].start == t) {
			snprintf(g->role, sizeof(g->role), "sys_audit_tstate (its calls)");
			continue;
		}
		if (fns[i].start == meth) {
			snprintf(g->role, sizeof(g->role), "sys.audit builtin (entry)");
			continue;
		}
		for (j = 0; j < b->nuprobe; j++)
			probed |= b->uprobe[j].kind == PA_PROBE_VARARGS &&
				  b->uprobe[j].vaddr == pysys->value;
		if (fns[i].start == pysys->value && probed) {
			snprintf(g->role, sizeof(g->role), "PySys_Audit (entry)");
			continue;
		}
		if ((fns[i].va & (GATE_VA_GP_0x18 | GATE_VA_FP_0x30)) ==
			    (GATE_VA_GP_0x18 | GATE_VA_FP_0x30) &&
		    gates_clone_entry(s->ef, s->cs, s->insn, fns[i].start, fns[i].end, &at, &adj,
				      &emulated) == 0) {
			if ((adj & 7) || adj > PA_SPADJ_MAX) {
				at = fns[i].start; /* the entry: nothing pushed yet */
				adj = 0;
				emulated = 0;
			}
			if (code_offset(s->ef, at, &off) == 0 &&
			    (pt = add_uprobe(b, PA_PROBE_CLONE, at, off))) {
				pt->reg0 = adj / 8;
				snprintf(pt->what, sizeof(pt->what),
					 "_PySys_Audit clone@0x%llx %s +0x%llx sp+0x%x",
					 (unsigned long long)fns[i].start,
					 emulated ? "emulated" : "single-stepped",
					 (unsigned long long)(at - fns[i].start), adj);
				snprintf(g->role, sizeof(g->role), "_PySys_Audit clone (probe +0x%llx)",
					 (unsigned long long)(at - fns[i].start));
				continue;
			}
		}
		snprintf(g->role, sizeof(g->role), "not probed");
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "audit gate in fn@0x%llx not probed: its events not seen",
			 (unsigned long long)fns[i].start);
		ok = 0;
	}
	return ok;
}

static void uprobe_route(struct scan *s, const struct elf_sym *pysys)
{
	struct pybin *b = s->b;
	unsigned minor = MINOR(b->version_hex);
	int have_pysys = 0, have_meth = 0, gates_ok = 0, err;
	struct py_probe_point *pt;
	uint64_t t = 0, meth = 0, off;

	if (!b->version_hex)
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "version unknown: %s", "events raised via _PySys_Audit (3.9+) not seen");
	else if (minor >= 9)
		have_pysys = add_valist_sites(s, pysys, &t);

	/*
	 * 3.8 (PySys_Audit is the whole implementation) and the fallback when
	 * the va_list call cannot be trusted: PySys_Audit(event, fmt, ...) has
	 * the same entry ABI in every version.
	 */
	if (!have_pysys && code_offset(s->ef, pysys->value, &off) == 0 &&
	    (pt = add_uprobe(b, PA_PROBE_VARARGS, pysys->value, off))) {
		snprintf(pt->what, sizeof(pt->what), "PySys_Audit entry (varargs)");
		have_pysys = 1;
	}

	err = find_sys_audit_meth(s->ef, &meth);
	if (err == 0)
		err = add_sys_audit(s, meth);
	if (err == 0)
		have_meth = 1;
	else if (err == -EEXIST)
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "several sys.audit method entries: Python-level sys.audit() events not seen");
	else
		add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "sys.audit method not found: Python-level sys.audit() events not seen");

	/* 3.9+: every function holding the audit gate, found in the code */
	if (minor >= 9 || !b->version_hex)
		gates_ok = gate_route(s, pysys, t, have_meth ? meth : 0);
	else
		gates_ok = 1; /* 3.8: PySys_Audit is the audit function, probed at entry */

	b->uprobe_complete = have_pysys && have_meth && gates_ok && b->version_hex &&
			     !b->uprobe_gap[0];
}

/* ---- pybin ---- */

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
	struct debug_offsets dbg;
	struct elf_file *ef = NULL;
	struct elf_sym pysys;
	struct pybin *b;
	struct scan s = { 0 };
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

	read_debug_offsets(ef, &dbg);
	detect_version(&s, &dbg);
	detect_layout(ef, b, &dbg);
	collect_usdt(ef, b);
	if (s.insn)
		uprobe_route(&s, &pysys);
	else
		set_note(b->uprobe_gap, sizeof(b->uprobe_gap), "capstone unavailable: no uprobe route");
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

static const char *reg_name(unsigned r)
{
	return r < sizeof(reg_names) / sizeof(reg_names[0]) && reg_names[r] ? reg_names[r] : "-";
}

static void dump_point(const struct py_probe_point *p, FILE *f)
{
	fprintf(f, "  %-8s vaddr 0x%llx offset 0x%llx", kind_name(p->kind),
		(unsigned long long)p->vaddr, (unsigned long long)p->offset);
	if (p->kind == PA_PROBE_USDT)
		fprintf(f, " sema 0x%llx args %s,%s", (unsigned long long)p->ref_ctr_offset,
			reg_name(p->reg0), reg_name(p->reg1));
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
