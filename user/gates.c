// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gates.c - the audit-gate scan (see gates.h).  A function is a candidate when
 * its bytes hold both displacements Y and Z; a candidate is walked along its
 * paths from the entry (bounded), following which registers hold the
 * interpreter (I) and the runtime (R), until it reads both [R+Y] and [I+Z].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gates.h"

/* ---- registers ---- */

enum { G_RAX, G_RCX, G_RDX, G_RBX, G_RSP, G_RBP, G_RSI, G_RDI, G_R8, G_R9, G_R10, G_R11, G_R12,
       G_R13, G_R14, G_R15, G_NREG };

/* The 64-bit general-purpose register a capstone register is part of, or -1. */
static int gpr(unsigned r)
{
	switch (r) {
	case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH:
		return G_RAX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return G_RCX;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return G_RDX;
	case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH:
		return G_RBX;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
		return G_RSP;
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return G_RBP;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return G_RSI;
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return G_RDI;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return G_R8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return G_R9;
	case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
		return G_R10;
	case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
		return G_R11;
	case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
		return G_R12;
	case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
		return G_R13;
	case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
		return G_R14;
	case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
		return G_R15;
	}
	return -1;
}

/* Bit set of the general-purpose registers insn writes (capstone's own view, implicit ones too). */
static unsigned regs_written(csh cs, const cs_insn *insn)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0, i;
	unsigned set = 0;
	int g;

	if (cs_regs_access(cs, insn, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return ~0u; /* unknown: assume everything */
	for (i = 0; i < nwr; i++)
		if ((g = gpr(wr[i])) >= 0)
			set |= 1u << g;
	return set;
}

#define ARG_REGS                                                                         \
	((1u << G_RDI) | (1u << G_RSI) | (1u << G_RDX) | (1u << G_RCX) | (1u << G_R8) |    \
	 (1u << G_R9))
#define CALLER_SAVED                                                                      \
	((1u << G_RAX) | (1u << G_RCX) | (1u << G_RDX) | (1u << G_RSI) | (1u << G_RDI) |   \
	 (1u << G_R8) | (1u << G_R9) | (1u << G_R10) | (1u << G_R11))

static int is_group(const cs_insn *insn, unsigned grp)
{
	for (uint8_t i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == grp)
			return 1;
	return 0;
}

/* Target of a direct branch, or 0. */
static uint64_t direct_target(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return 0;
	return (uint64_t)x->operands[0].imm;
}

/* Decodes one instruction at pc inside [pc, end).  Returns 1, or 0 if it does not. */
static int decode_at(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t pc, uint64_t end)
{
	size_t size = end - pc > 16 ? 16 : end - pc;
	const uint8_t *code;

	if (pc >= end)
		return 0;
	code = elf_file__ptr(ef, pc, size);
	if (!code)
		return 0;
	return cs_disasm_iter(cs, &code, &size, &pc, insn);
}

/* ---- table ---- */

int gates_table(unsigned minor, struct gate_offs *o)
{
	static const struct gate_offs t[] = {
		[9] = { 0x10, 0x288, 0xdd0 },	  [10] = { 0x10, 0x288, 0xdb0 },
		[11] = { 0x28, 0x290, 0xde0 },
		[12] = { 0x60, 0xbf8, 0x413c8 },  [13] = { 0x1cd0, 0x28b8, 0x2a38 },
		[14] = { 0x1cd8, 0x2990, 0x2aa0 }, [15] = { 0x1cd0, 0x2a08, 0x2a88 },
	};

	if (minor >= sizeof(t) / sizeof(t[0]) || !t[minor].y)
		return -ENOENT;
	*o = t[minor];
	return 0;
}

/* ---- the path walk ---- */

enum { TAG_NONE, TAG_T, TAG_I, TAG_R };

struct wstate {
	uint8_t tag[G_NREG];
	uint32_t aux[G_NREG]; /* learning: the offset an R candidate was loaded from */
};

struct walk {
	struct elf_file *ef;
	csh cs;
	cs_insn *insn;
	uint64_t start, end;
	int learn;
	struct gate_offs o; /* scan: given; learn: being filled */
	int have_y, have_z;
	uint64_t at;
};

/* Reads and writes of one instruction.  Returns 1 when the gate is complete. */
static int step(struct walk *w, struct wstate *st)
{
	const cs_insn *in = w->insn;
	const cs_x86 *x = &in->detail->x86;
	int dst = -1, newtag = TAG_NONE;
	uint32_t newaux = 0;
	unsigned wr;

	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		int b;

		if (op->type != X86_OP_MEM || op->mem.index != X86_REG_INVALID ||
		    op->mem.segment != X86_REG_INVALID || (b = gpr(op->mem.base)) < 0)
			continue;
		if (w->learn) {
			if (st->tag[b] == TAG_R && !w->have_y) {
				w->o.x = st->aux[b];
				w->o.y = (uint32_t)op->mem.disp;
				w->have_y = 1;
			} else if (st->tag[b] == TAG_I && w->have_y && !w->have_z &&
				   (uint32_t)op->mem.disp != w->o.x && op->mem.disp > 0x10) {
				w->o.z = (uint32_t)op->mem.disp;
				w->have_z = 1;
			}
		} else {
			if (st->tag[b] == TAG_R && op->mem.disp == (int64_t)w->o.y)
				w->have_y = 1;
			if (st->tag[b] == TAG_I && op->mem.disp == (int64_t)w->o.z)
				w->have_z = 1;
		}
	}
	if (w->have_y && w->have_z) {
		w->at = in->address;
		return 1;
	}

	/* mov reg64, [base + disp] and mov reg64, reg64 carry tags */
	if (in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].size == 8 && (dst = gpr(x->operands[0].reg)) >= 0) {
		const cs_x86_op *src = &x->operands[1];
		int b;

		if (src->type == X86_OP_REG && (b = gpr(src->reg)) >= 0) {
			newtag = st->tag[b];
			newaux = st->aux[b];
		} else if (src->type == X86_OP_MEM && src->mem.index == X86_REG_INVALID &&
			   src->mem.segment == X86_REG_INVALID && (b = gpr(src->mem.base)) >= 0) {
			int64_t d = src->mem.disp;

			if (w->learn) {
				if (st->tag[b] == TAG_T && d == 0x10) {
					newtag = TAG_I;
				} else if (st->tag[b] == TAG_I && !w->have_y && d > 0) {
					newtag = TAG_R;
					newaux = (uint32_t)d;
				}
			} else if (st->tag[b] == TAG_I && d == (int64_t)w->o.x) {
				newtag = TAG_R;
			} else if (d == 0x10) {
				newtag = TAG_I;
			}
		}
	}
	wr = in->id == X86_INS_CALL ? CALLER_SAVED : regs_written(w->cs, in);
	for (int r = 0; r < G_NREG; r++) {
		if (wr & (1u << r)) {
			st->tag[r] = TAG_NONE;
			st->aux[r] = 0;
		}
	}
	if (dst >= 0) {
		st->tag[dst] = newtag;
		st->aux[dst] = newaux;
	}
	return 0;
}

struct pending {
	uint64_t pc;
	struct wstate st;
};

/*
 * Walks [start, end) from start.  Returns 1 (gate complete, w->at), 0 (every
 * path ended without it), -E2BIG (a cap was hit: not proven either way).
 */
static int walk_fn(struct walk *w, const struct wstate *init)
{
	struct pending *stack;
	uint8_t *seen; /* one bit per byte of the function: an instruction walked */
	size_t nstack = 0, nseen = 0;
	int ret = 0;

	stack = malloc(GATES_MAX_PATHS * sizeof(*stack));
	seen = calloc((w->end - w->start + 7) / 8, 1);
	if (!stack || !seen) {
		free(stack);
		free(seen);
		return -ENOMEM;
	}
	stack[nstack].pc = w->start;
	stack[nstack++].st = *init;
	while (nstack && ret == 0) {
		struct pending p = stack[--nstack];

		for (;;) {
			uint64_t tgt, bit = p.pc - w->start;

			if (p.pc < w->start || p.pc >= w->end)
				break;
			if (seen[bit / 8] & (1u << (bit % 8)))
				break; /* joined a path already walked */
			if (nseen++ == GATES_MAX_WALK) {
				ret = -E2BIG;
				break;
			}
			seen[bit / 8] |= 1u << (bit % 8);
			if (!decode_at(w->ef, w->cs, w->insn, p.pc, w->end)) {
				/* bytes that do not decode (or run past the end): not proven */
				if (p.pc != w->end)
					ret = -E2BIG;
				break;
			}
			if (step(w, &p.st)) {
				ret = 1;
				break;
			}
			if (w->insn->id == X86_INS_RET || w->insn->id == X86_INS_UD2 ||
			    w->insn->id == X86_INS_HLT || w->insn->id == X86_INS_INT3)
				break;
			tgt = direct_target(w->insn);
			if (w->insn->id == X86_INS_JMP) {
				if (!tgt || tgt < w->start || tgt >= w->end)
					break; /* tail call, jump table or another part */
				p.pc = tgt;
				continue;
			}
			if (w->insn->id != X86_INS_CALL && is_group(w->insn, X86_GRP_JUMP)) {
				if (tgt >= w->start && tgt < w->end) {
					if (nstack == GATES_MAX_PATHS) {
						ret = -E2BIG;
						break;
					}
					stack[nstack].pc = tgt;
					stack[nstack++].st = p.st;
				}
			}
			p.pc = w->insn->address + w->insn->size;
		}
	}
	free(stack);
	free(seen);
	return ret;
}

int gates_learn(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t t, struct gate_offs *o)
{
	struct elf_func_range fn;
	struct wstate st = { 0 };
	struct walk w = { .ef = ef, .cs = cs, .insn = insn, .learn = 1 };

	if (elf_file__func_containing(ef, t, &fn) || fn.start != t)
		return -ENOENT;
	w.start = fn.start;
	w.end = fn.end - fn.start > GATES_MAX_FN_BYTES ? fn.start + GATES_MAX_FN_BYTES : fn.end;
	st.tag[G_RDI] = TAG_T;
	if (walk_fn(&w, &st) != 1 || !w.o.y || !w.o.z)
		return -ENOENT;
	*o = w.o;
	return 0;
}

int gates_holds(struct elf_file *ef, csh cs, cs_insn *insn, const struct gate_offs *o,
		uint64_t start, uint64_t end, uint64_t *at)
{
	struct wstate st = { 0 };
	struct walk w = { .ef = ef, .cs = cs, .insn = insn, .o = *o, .start = start, .end = end };
	int r;

	r = walk_fn(&w, &st);
	if (r == 1)
		*at = w.at;
	return r;
}

/* ---- va_start stores (which varargs function this is) ---- */

static unsigned va_bit(uint64_t v)
{
	switch (v) {
	case 0x10: return GATE_VA_GP_0x10;
	case 0x18: return GATE_VA_GP_0x18;
	case 0x30: return GATE_VA_FP_0x30;
	}
	return 0;
}

/*
 * va_start stores gp_offset (8 * named GP args) and fp_offset 0x30 into the
 * frame: GCC as two "mov dword [mem], imm", clang as "movabs reg,
 * 0x30_000000NN" then "mov qword [mem], reg".  Looked for in the first
 * instructions of the function only (va_start comes first).
 */
static unsigned va_of(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t start, uint64_t end)
{
	unsigned seen = 0, imm_reg = X86_REG_INVALID, n;
	uint64_t pc = start, imm = 0;

	for (n = 0; n < 48 && decode_at(ef, cs, insn, pc, end); n++) {
		const cs_x86 *x = &insn->detail->x86;
		const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];

		pc = insn->address + insn->size;
		if ((insn->id != X86_INS_MOV && insn->id != X86_INS_MOVABS) || x->op_count != 2)
			continue;
		if (d->type == X86_OP_MEM && d->size == 4 && s->type == X86_OP_IMM) {
			seen |= va_bit((uint32_t)s->imm);
		} else if (d->type == X86_OP_REG && d->size == 8 && s->type == X86_OP_IMM) {
			imm_reg = d->reg;
			imm = (uint64_t)s->imm;
		} else if (d->type == X86_OP_MEM && d->size == 8 && s->type == X86_OP_REG &&
			   s->reg == imm_reg && imm_reg != X86_REG_INVALID &&
			   va_bit(imm >> 32) == GATE_VA_FP_0x30 && va_bit(imm & 0xffffffff)) {
			seen |= va_bit(imm & 0xffffffff) | GATE_VA_FP_0x30;
		}
	}
	/* both offsets, or it is not va_start */
	return (seen & GATE_VA_FP_0x30) ? seen : 0;
}

/* ---- the scan ---- */

/* Is the little-endian disp32 (or disp8) of v among the bytes? */
static int has_disp(const uint8_t *p, size_t n, uint32_t v)
{
	uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	if (v < 0x80)
		return memchr(p, (int)v, n) != NULL;
	return memmem(p, n, le, 4) != NULL;
}

int gates_scan(struct elf_file *ef, csh cs, cs_insn *insn, const struct gate_offs *o,
	       struct gate_fn *out, size_t max, struct gate_scan *st)
{
	const struct elf_func_range *fns;
	size_t nfns, i;
	int err;

	memset(st, 0, sizeof(*st));
	err = elf_file__eh_funcs(ef, &fns, &nfns);
	if (err)
		return err;
	if (nfns > GATES_MAX_FUNCS) {
		/* the rest is not looked at: not proven free of the gate */
		st->unresolved = nfns - GATES_MAX_FUNCS;
		st->first_unresolved = fns[GATES_MAX_FUNCS].start;
		nfns = GATES_MAX_FUNCS;
	}
	for (i = 0; i < nfns; i++) {
		uint64_t start = fns[i].start, end = fns[i].end, at = 0;
		const uint8_t *p;
		size_t n;
		int r;

		if (end <= start)
			continue;
		st->nfuncs++;
		n = end - start;
		p = n > GATES_MAX_FN_BYTES ? NULL : elf_file__ptr(ef, start, n);
		if (!p) {
			/* too big, or bytes that are not in the file: not searched */
			if (!st->unresolved++)
				st->first_unresolved = start;
			continue;
		}
		if (!has_disp(p, n, o->y) || !has_disp(p, n, o->z))
			continue;
		st->ncand++;
		r = gates_holds(ef, cs, insn, o, start, end, &at);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			if (!st->unresolved++)
				st->first_unresolved = start;
			continue;
		}
		if (r == 0)
			continue;
		if (st->ngates < max)
			out[st->ngates] = (struct gate_fn){ .start = start, .end = end, .at = at,
							    .va = va_of(ef, cs, insn, start, end) };
		st->ngates++;
	}
	return 0;
}

/* ---- a clone's entry ---- */

int gates_clone_entry(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t start, uint64_t end,
		      uint64_t *at, uint32_t *sp_adj, int *emulated)
{
	uint64_t pc = start;
	uint32_t adj = 0;
	unsigned n;

	*at = start;
	*sp_adj = 0;
	*emulated = 0;
	if (!decode_at(ef, cs, insn, start, end))
		return -ENOENT;
	for (n = 0; n < GATES_MAX_PROLOGUE && decode_at(ef, cs, insn, pc, end); n++) {
		const cs_x86 *x = &insn->detail->x86;
		unsigned id = insn->id;

		/* what the kernel emulates instead of single-stepping */
		if ((id == X86_INS_PUSH && x->op_count == 1 && x->operands[0].type == X86_OP_REG) ||
		    ((id == X86_INS_CALL || id == X86_INS_JMP || is_group(insn, X86_GRP_JUMP)) &&
		     direct_target(insn))) {
			*at = insn->address;
			*sp_adj = adj;
			*emulated = 1;
			return 0;
		}
		if (id == X86_INS_SUB && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP && x->operands[1].type == X86_OP_IMM &&
		    x->operands[1].imm > 0 && x->operands[1].imm < 0x10000) {
			adj += (uint32_t)x->operands[1].imm;
		} else if (id != X86_INS_ENDBR64 &&
			   (is_group(insn, X86_GRP_JUMP) || is_group(insn, X86_GRP_CALL) ||
			    is_group(insn, X86_GRP_RET) || is_group(insn, X86_GRP_INT) ||
			    (regs_written(cs, insn) & (ARG_REGS | (1u << G_RSP))))) {
			break; /* not straight-line, or an argument may have moved */
		}
		pc = insn->address + insn->size;
	}
	return 0; /* the entry itself */
}
