/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gates.h - finds every function of a CPython binary that holds the audit
 * gate, the "is anybody listening?" check that makes the audit function
 * return early when no hook is installed:
 *
 *	I = tstate->interp			[tstate + 0x10]
 *	R = I->runtime				[I + X]
 *	if (R->audit_hooks.head == NULL		[R + Y]
 *	    && I->audit_hooks == NULL)		[I + Z]
 *		return 0;
 *
 * X, Y and Z depend on the version; they are learnt from the out-of-line
 * sys_audit_tstate, which holds the gate by definition.  An event raised
 * through a function that holds the gate is seen only if that function (or
 * every call of it) is probed: LTO may inline sys_audit_tstate into clones of
 * _PySys_Audit, which then hold the gate themselves.  user/probepoints.c
 * classifies what is found; coverage is complete only when every gate is
 * accounted for.
 *
 * All work is bounded: functions scanned, bytes searched per function and
 * instructions walked per function are capped, and a function whose walk hits
 * a cap is reported as unresolved, never assumed clean.
 */
#ifndef PA_GATES_H
#define PA_GATES_H

#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "elf.h"

#define GATES_MAX_FUNCS	   (1u << 20) /* functions scanned */
#define GATES_MAX_FN_BYTES (4u << 20) /* bytes of one function searched */
#define GATES_MAX_WALK	   16384      /* instructions walked per function */
#define GATES_MAX_PATHS	   512	      /* pending branch targets per function */
#define GATES_MAX_PROLOGUE 24	      /* instructions of a clone's prologue examined */

struct gate_offs {
	uint32_t x; /* PyInterpreterState.runtime */
	uint32_t y; /* _PyRuntimeState.audit_hooks.head */
	uint32_t z; /* PyInterpreterState.audit_hooks */
};

/* va_start stores seen in a function's first instructions. */
#define GATE_VA_GP_0x10 (1u << 0) /* two named GP arguments: PySys_Audit(event, fmt, ...) */
#define GATE_VA_GP_0x18 (1u << 1) /* three: _PySys_Audit(tstate, event, fmt, ...) */
#define GATE_VA_FP_0x30 (1u << 2)

struct gate_fn {
	uint64_t start, end; /* the function ([start, end) of its FDE or symbol) */
	uint64_t at;	     /* instruction where the gate was completed */
	unsigned va;	     /* GATE_VA_* */
};

struct gate_scan {
	size_t nfuncs;	   /* functions looked at */
	size_t ncand;	   /* functions whose bytes hold both displacements (walked) */
	size_t ngates;	   /* functions holding the gate (may exceed the room given) */
	size_t unresolved; /* candidates whose walk hit a cap: not proven free of the gate */
	uint64_t first_unresolved;
};

/*
 * The gate offsets of a default (GIL) x86-64 build of the given minor version,
 * as learnt from builds (Debian 3.9, 3.11, 3.13-3.15; pyenv 3.9, 3.10, 3.12, 3.13).
 * Returns 0 or -ENOENT.
 */
int gates_table(unsigned minor, struct gate_offs *o);

/*
 * Learns X, Y, Z from sys_audit_tstate at t (tstate in rdi): the first load
 * [[rdi+0x10]+X] that is dereferenced at +Y, then the first other access of
 * [I+Z].  Returns 0 or -ENOENT.
 */
int gates_learn(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t t, struct gate_offs *o);

/*
 * Every function (from .eh_frame_hdr) that holds the gate, into out (at most
 * max; st->ngates counts them all).  Returns 0, -ENOENT if the file has no
 * function table, or -ENOMEM.
 */
int gates_scan(struct elf_file *ef, csh cs, cs_insn *insn, const struct gate_offs *o,
	       struct gate_fn *out, size_t max, struct gate_scan *st);

/* Does the function [start, end) hold the gate?  1 yes (*at set), 0 no, -E2BIG unresolved. */
int gates_holds(struct elf_file *ef, csh cs, cs_insn *insn, const struct gate_offs *o,
		uint64_t start, uint64_t end, uint64_t *at);

/*
 * The probe point of a varargs clone (tstate rdi, event rsi, format rdx, then
 * rcx, r8, r9, stack): the first instruction the kernel emulates (push reg,
 * jcc, jmp, call, nop) of its straight-line prologue, reached with the six
 * argument registers untouched; *sp_adj gets what the prologue subtracted
 * from rsp before it (pushes and sub rsp, imm).  Falls back to the entry
 * (single-stepped, sp_adj 0) when the prologue does anything else first.
 * *emulated says which.  Returns 0, or -ENOENT if the entry does not decode.
 */
int gates_clone_entry(struct elf_file *ef, csh cs, cs_insn *insn, uint64_t start, uint64_t end,
		      uint64_t *at, uint32_t *sp_adj, int *emulated);

#endif
