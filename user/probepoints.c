// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probepoints.c - where to probe a CPython binary (see probepoints.h).
 *
 * The shape of the audit code: PySys_Audit calls the static
 * sys_audit_tstate(tstate, event, fmt, va_list *) in 3.9+, so a probe on
 * every direct call of that function sees each C-raised event with its
 * va_list, and the builtin sys.audit (found through the sys module's
 * PyMethodDef table) sees Python-level events.  See
 * docs/cpython-audit-internals.md sections 1 and 7.
 *
 * Code is read with capstone, never executed.  A probe address is only ever
 * returned after a linear disassembly of its function, from the function's
 * start, lands exactly on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gates.h"
#include "probepoints.h"
#include "pyscan.h"
#include "pyversion.h"
#include "vec.h"

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

int probepoints_usdt_regs(const char *args, unsigned *reg0, unsigned *reg1)
{
	const char *p = args;

	if (parse_reg_arg(&p, reg0) || parse_reg_arg(&p, reg1))
		return -EINVAL;
	while (*p == ' ')
		p++;
	return *p ? -EINVAL : 0; /* python:audit has exactly two arguments */
}

void probepoints_usdt(struct elf_file *ef, struct pybin *b)
{
	struct elf_usdt_note *notes;
	size_t i, cnt;

	if (elf_file__usdt_notes(ef, &notes, &cnt)) {
		pyscan_note(b->usdt_gap, sizeof(b->usdt_gap), "reading stapsdt notes: out of memory");
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
			pyscan_add_note(b->usdt_gap, sizeof(b->usdt_gap), "note at 0x%llx: more than %d notes",
				 (unsigned long long)n->pc, PYBIN_MAX_USDT);
			continue;
		}
		if (probepoints_usdt_regs(n->args, &r0, &r1)) {
			pyscan_add_note(b->usdt_gap, sizeof(b->usdt_gap),
				 "note at 0x%llx: args '%.40s' not plain registers",
				 (unsigned long long)n->pc, n->args);
			continue;
		}
		if (elf_file__vaddr_to_offset(ef, n->pc, 0, &off, &flags) || !(flags & PF_X)) {
			pyscan_add_note(b->usdt_gap, sizeof(b->usdt_gap), "note at 0x%llx: not in code",
				 (unsigned long long)n->pc);
			continue;
		}
		if (n->sema && (elf_file__vaddr_to_offset(ef, n->sema, 1, &sema_off, &flags) ||
				(flags & PF_X))) {
			pyscan_add_note(b->usdt_gap, sizeof(b->usdt_gap),
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
static int sweep_to(struct pyscan *s, uint64_t start, uint64_t end, uint64_t addr,
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
	while (pyscan_next_insn(s, &code, &size, &pc)) {
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
static void func_name(struct pyscan *s, uint64_t vaddr, uint64_t fn_start, unsigned va, char *buf,
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
static int find_sys_audit_tstate(struct pyscan *s, const struct elf_sym *pysys, uint64_t *t,
				 uint64_t *site)
{
	const uint8_t *code = elf_file__ptr(s->ef, pysys->value, pysys->size);
	size_t size = pysys->size;
	uint64_t pc = pysys->value;
	struct va_track va = { 0 };

	if (!code)
		return -ENOENT;
	while (pyscan_next_insn(s, &code, &size, &pc)) {
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
static size_t find_callers(struct pyscan *s, uint64_t t, struct site *out, size_t max,
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
		if (pyscan_charge_bytes(ef, s.size))
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

			if (elf_file__charge(ef, PYSCAN_SLOT_COST))
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
static int add_sys_audit(struct pyscan *s, uint64_t meth)
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
	if (pyscan_next_insn(s, &code, &size, &pc)) {
		if (s->insn->id == X86_INS_ENDBR64 && pyscan_next_insn(s, &code, &size, &pc))
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
static int add_valist_sites(struct pyscan *s, const struct elf_sym *pysys, uint64_t *t)
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
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "sys_audit_tstate not found in PySys_Audit: " GAP_PYSYS_AUDIT);
		return 0;
	}
	if (elf_file__func_symbol_at(s->ef, *t, &sym) == 0 && sym.value == *t && sym.name[0])
		snprintf(tname, sizeof(tname), "%s", sym.name);

	nsites = find_callers(s, *t, sites, MAX_SITES, &rejected);
	if (nsites == MAX_SITES)
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "more than %d calls of %s",
			 MAX_SITES, tname);
	if (rejected)
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%zu call(s) of %s not verified as instructions: not probed", rejected,
			 tname);
	for (i = 0; i < nsites; i++) {
		struct py_probe_point *pt;
		char fname[40];

		/* A probe on a jcc fires whether or not the branch is taken. */
		if (sites[i].cond) {
			pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
				 "conditional jump to %s at 0x%llx not probed", tname,
				 (unsigned long long)sites[i].vaddr);
			continue;
		}
		if (code_offset(s->ef, sites[i].vaddr, &off))
			continue;
		pt = add_uprobe(b, PA_PROBE_VALIST, sites[i].vaddr, off);
		if (!pt) {
			pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "more than %d probe points",
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
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
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
static int gate_route(struct pyscan *s, const struct elf_sym *pysys, uint64_t t, uint64_t meth)
{
	struct pybin *b = s->b;
	struct gate_fn fns[PYBIN_MAX_GATES];
	struct gate_offs o, tab;
	struct gate_scan st;
	int ok = 1, have_tab, err, i;

	have_tab = b->version_hex && gates_table(PY_MINOR(b->version_hex), &tab) == 0;
	if (t && gates_learn(s->ef, s->cs, s->insn, t, &o) == 0) {
		snprintf(b->gate_src, sizeof(b->gate_src), "learnt");
	} else if (have_tab) {
		o = tab;
		snprintf(b->gate_src, sizeof(b->gate_src), "table");
	} else {
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
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
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%s: functions holding the audit gate not searched",
			 err == -ENOENT ? "no function table (.eh_frame_hdr)" : strerror(-err));
		return 0;
	}
	b->gates_total = st.ngates;
	if (st.ngates > PYBIN_MAX_GATES) {
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap), "%zu functions hold the audit gate",
			 st.ngates);
		ok = 0;
	}
	if (st.unresolved) {
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "%zu function(s) not fully walked for the audit gate (fn@0x%llx)",
			 st.unresolved, (unsigned long long)st.first_unresolved);
		ok = 0;
	}
	/* the scan must find the gate where it is known to be, or it proves nothing */
	for (i = 0; i < (int)st.ngates && i < PYBIN_MAX_GATES && fns[i].start != t; i++)
		;
	if (t ? i == (int)st.ngates || i == PYBIN_MAX_GATES : !st.ngates) {
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
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
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "audit gate in fn@0x%llx not probed: its events not seen",
			 (unsigned long long)fns[i].start);
		ok = 0;
	}
	return ok;
}

/*
 * 3.8: PySys_Audit is the whole audit function, probed at its entry; events
 * miss that entry only through a copy GCC made of it (a PySys_Audit.part.N
 * reached from callers with the early return inlined, a .constprop or
 * .lto_priv copy).  Such copies are named in .symtab: without one, that they
 * do not exist cannot be shown, and the route is not complete.
 */
static int pysys_uncopied(struct pyscan *s)
{
	struct elf_sym sym;

	if (!elf_file__has_symtab(s->ef)) {
		pyscan_add_note(s->b->uprobe_gap, sizeof(s->b->uprobe_gap), "%s",
				"3.8 without .symtab: copies of PySys_Audit cannot be ruled out");
		return 0;
	}
	if (elf_file__find_symbol_prefix(s->ef, "PySys_Audit.", ELF_SYM_SYMTAB, &sym) == 0) {
		char name[48];
		size_t i;

		/* the file's bytes: printable ASCII only, cut */
		for (i = 0; i < sizeof(name) - 1 && sym.name[i]; i++)
			name[i] = sym.name[i] > ' ' && sym.name[i] < 0x7f ? sym.name[i] : '?';
		name[i] = 0;
		pyscan_add_note(s->b->uprobe_gap, sizeof(s->b->uprobe_gap),
				"a copy of PySys_Audit, %s at 0x%llx, is not probed", name,
				(unsigned long long)sym.value);
		return 0;
	}
	return 1;
}

void probepoints_uprobe(struct pyscan *s, const struct elf_sym *pysys)
{
	struct pybin *b = s->b;
	unsigned minor = PY_MINOR(b->version_hex);
	int have_pysys = 0, have_meth = 0, gates_ok = 0, err;
	struct py_probe_point *pt;
	uint64_t t = 0, meth = 0, off;

	if (!b->version_hex)
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
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
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "several sys.audit method entries: Python-level sys.audit() events not seen");
	else
		pyscan_add_note(b->uprobe_gap, sizeof(b->uprobe_gap),
			 "sys.audit method not found: Python-level sys.audit() events not seen");

	/* 3.9+: every function holding the audit gate, found in the code */
	if (minor >= 9 || !b->version_hex)
		gates_ok = gate_route(s, pysys, t, have_meth ? meth : 0);
	else
		gates_ok = pysys_uncopied(s);

	b->uprobe_complete = have_pysys && have_meth && gates_ok && b->version_hex &&
			     !b->uprobe_gap[0];
}

const char *probepoints_reg_name(unsigned r)
{
	return r < sizeof(reg_names) / sizeof(reg_names[0]) && reg_names[r] ? reg_names[r] : "-";
}
