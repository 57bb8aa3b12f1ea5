/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyscan.h - what the analysis of one Python binary (user/pybin.c) hands to
 * its two halves, user/pyversion.c (version, object layouts) and
 * user/probepoints.c (USDT notes, the uprobe route): the file, the result
 * being filled, capstone, and the work charged for decoding and scanning
 * (elf_file__charge), so that both halves spend one budget.  Not for other
 * modules.
 */
#ifndef PA_PYSCAN_H
#define PA_PYSCAN_H

#include <capstone/capstone.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "elf.h"
#include "pybin.h"

struct pyscan {
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
#define PYSCAN_INSN_COST 32
#define PYSCAN_SLOT_COST 8

/* Decodes the next instruction like cs_disasm_iter, charging it; 0 when out of budget. */
static inline bool pyscan_next_insn(struct pyscan *s, const uint8_t **code, size_t *size,
				    uint64_t *pc)
{
	if (elf_file__charge(s->ef, PYSCAN_INSN_COST))
		return false;
	return cs_disasm_iter(s->cs, code, size, pc, s->insn);
}

static inline int pyscan_charge_bytes(struct elf_file *ef, uint64_t bytes)
{
	return elf_file__charge(ef, bytes / 4 + 1);
}

/* Sets buf to the formatted note. */
static inline void pyscan_note(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Appends "; msg" (or msg if buf is empty), truncating at size. */
static inline void pyscan_add_note(char *buf, size_t size, const char *fmt, ...)
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

#endif
