/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * probepoints.h - where to probe a CPython binary so that every audit event
 * is seen, hook or no hook: the python:audit USDT notes, and the uprobe route
 * (every verified call of sys_audit_tstate, PySys_Audit's entry on 3.8 or as
 * the fallback, the builtin sys.audit found through the sys module's method
 * table, and every other function holding the audit gate, user/gates.h,
 * classified: an LTO clone of _PySys_Audit is probed in its prologue, anything
 * else makes the route partial).
 */
#ifndef PA_PROBEPOINTS_H
#define PA_PROBEPOINTS_H

#include "elf.h"
#include "pybin.h"

struct pyscan;

/*
 * Parses the first two arguments of a USDT argument string such as
 * "8@%rbx 8@%r15" into enum pa_reg values.  Returns 0, or -EINVAL if either is
 * not a plain 8-byte general-purpose register (memory operands, constants,
 * other sizes, %rsp).
 */
int probepoints_usdt_regs(const char *args, unsigned *reg0, unsigned *reg1);

/* The usable python:audit notes into b->usdt (usdt_total, usdt_gap too). */
void probepoints_usdt(struct elf_file *ef, struct pybin *b);

/*
 * The uprobe route of s->b (needs s->insn and the version): uprobe[],
 * uprobe_complete and uprobe_gap, gates[] and the gate fields.  pysys is the
 * exported PySys_Audit.
 */
void probepoints_uprobe(struct pyscan *s, const struct elf_sym *pysys);

/* The name of an enum pa_reg ("rbx"), "-" for PA_REG_NONE or another value. */
const char *probepoints_reg_name(unsigned r);

#endif
