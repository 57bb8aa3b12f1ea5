/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pybin.h - what one ELF file is as a CPython and where to probe it: version
 * (without running it), static executable or libpython, object layouts for
 * the BPF decoder (user/pyversion.h), the python:audit USDT notes and the
 * uprobe route (user/probepoints.h: call sites of sys_audit_tstate,
 * PySys_Audit entry on 3.8, builtin sys.audit, and the prologues of LTO clones
 * of _PySys_Audit: every function holding the audit gate is accounted for,
 * user/gates.h).
 *
 * Every probe address handed out has been checked to be an instruction
 * boundary by disassembling its function from the start: a uprobe in the
 * middle of an instruction would corrupt the traced program.
 */
#ifndef PA_PYBIN_H
#define PA_PYBIN_H

#include <stdint.h>
#include <stdio.h>
#include "pyaudit.h"

#define PYBIN_MAX_USDT	 8
#define PYBIN_MAX_UPROBE 32
#define PYBIN_MAX_GATES	 16

struct py_probe_point {
	unsigned kind;		 /* enum pa_probe_kind */
	uint64_t vaddr;		 /* ELF virtual address of the probed instruction */
	uint64_t offset;	 /* file offset of it (what uprobes attach at) */
	uint64_t ref_ctr_offset; /* USDT semaphore as a FILE offset, 0 if none */
	unsigned reg0, reg1;	 /* USDT: registers of arg0/arg1 (enum pa_reg);
				  * PA_PROBE_CLONE: reg0 = stack adjustment / 8 */
	char what[64];		 /* "usdt python:audit #1", "call sys_audit_tstate in PySys_Audit" */
};

struct pybin {
	char path[4096];
	uint64_t dev, ino;	/* from fstat of the opened file */
	unsigned version_hex;	/* PY_VERSION_HEX, 0 if unknown */
	char version[24];	/* "3.11.2", "" if unknown */
	int shared;		/* ET_DYN library (libpython) vs executable */
	int pie;		/* ET_DYN executable */
	int stripped;		/* no .symtab */
	int free_threaded;
	struct pa_layout layout; /* layout.flags = PA_LAYOUT_VALID only if known for sure */
	char layout_src[64];	/* where the layout came from, or why it is not valid */
	struct py_probe_point usdt[PYBIN_MAX_USDT];
	int nusdt;		/* usable python:audit notes in usdt[] */
	int usdt_total;		/* python:audit notes in the file, usable or not */
	char usdt_gap[160];	/* notes that were skipped and why, "" if none */
	struct py_probe_point uprobe[PYBIN_MAX_UPROBE];
	int nuprobe;
	int uprobe_complete;	/* 1 if the uprobe route sees every event */
	char uprobe_gap[160];	/* if not complete: which events it cannot see and why */
	/*
	 * Functions holding the audit gate (user/gates.h), each with its role:
	 * "sys_audit_tstate", "sys.audit builtin", "PySys_Audit", "_PySys_Audit
	 * clone" (probed at its entry) or "not probed".
	 */
	struct py_gate {
		uint64_t start;	 /* function */
		uint64_t gate;	 /* instruction completing the gate */
		char role[48];
	} gates[PYBIN_MAX_GATES];
	int ngates;		/* entries in gates[] */
	int gates_total;	/* functions found holding the gate (may exceed ngates) */
	uint32_t gate_x, gate_y, gate_z; /* offsets used, 0 if the scan was not possible */
	char gate_src[24];	/* "learnt" (from sys_audit_tstate) or "table" */
	unsigned gates_scanned, gates_walked; /* functions looked at / walked */
	char build[48];		/* e.g. "static exe, stripped, usdt", "shared lib, symbols" */
	/*
	 * Fixed-address executable (ET_EXEC) only: the range of its read-only
	 * PT_LOAD segments.  A string there (a C event name) keeps its address and
	 * contents for the life of any process running this file; 0, 0 otherwise.
	 */
	uint64_t ro_lo, ro_hi;
	uint64_t runtime_vaddr;	/* _PyRuntime's ELF virtual address (the call site), 0: none */
	uint64_t work;		/* analysis work units spent (elf_file__charge) */
};

/*
 * Inspects the ELF file at path (never runs it); /proc/PID/root/... and
 * /proc/PID/map_files/... paths work.  Returns 0 and *out (free with
 * pybin__free), -ENOENT if the file defines no PySys_Audit among its dynamic
 * symbols (not a Python; open() failing with ENOENT gives the same value),
 * -ENOEXEC if it is not an x86-64 ELF executable or library (wrong magic,
 * class, machine or type), -EBADMSG if it is one whose program headers do not
 * fit in it, -ENODATA if no PySys_Audit was found but its headers are
 * doubtful (elf_file__headers_doubtful) and its loaded bytes hold CPython's
 * audit code, -E2BIG if its analysis ran out of the file's work budget (see
 * elf_file__charge: counts and overlaps that would make it run for long),
 * -EISDIR, -ENAMETOOLONG, -ENOMEM, or another -errno of open/fstat/read.
 * -ENOENT and -ENOEXEC are clean answers: the file is no Python we trace;
 * the others mean a file that could not be analysed.  A Python whose
 * probe points cannot all be found still returns 0: nuprobe may be short,
 * uprobe_complete is 0 and uprobe_gap says what is missing.
 */
int pybin__open(const char *path, struct pybin **out);
/* The same, analysing the open file fd (not consumed); path is only its name for messages. */
int pybin__open_fd(int fd, const char *path, struct pybin **out);
void pybin__free(struct pybin *b); /* NULL is fine */
/* What an error of pybin__open_fd() means, in words (its strerror() for the rest). */
const char *pybin_strerror(int err);

/* Prints every field of b, one item a line, for --list and debugging. */
void pybin__dump(const struct pybin *b, FILE *f);

#endif
