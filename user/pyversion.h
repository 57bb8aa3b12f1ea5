/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyversion.h - which CPython a binary holds: PY_VERSION_HEX (read without
 * running it: Py_Version, _Py_DebugOffsets, the string Py_GetVersion()
 * formats, or PY_VERSION in read-only data) and the object and frame layouts
 * of each version (struct pa_layout, what the BPF program reads objects and
 * the call site with; 3.13+ checked against _Py_DebugOffsets in the binary).
 */
#ifndef PA_PYVERSION_H
#define PA_PYVERSION_H

#include "pyaudit.h"

#define PY_MAJOR(hex) ((hex) >> 24)
#define PY_MINOR(hex) (((hex) >> 16) & 0xff)

struct pyscan;

/*
 * Fills *out with the object layout of a default (GIL) build of the given
 * PY_VERSION_HEX (3.8 - 3.15).  Returns 0, or -ENOTSUP (and out->flags = 0)
 * for other versions and for free-threaded builds.
 */
int pyversion_layout(unsigned version_hex, int free_threaded, struct pa_layout *out);

/*
 * Parses a version string ("3.9.18", "3.13.0rc2", "3.12.6+") into
 * PY_VERSION_HEX.  Returns 0 or -EINVAL.
 */
int pyversion_parse(const char *s, unsigned *hex);

/*
 * The binary's version, build (free-threaded) and layout: fills version_hex,
 * version, free_threaded, layout, layout_src and runtime_vaddr of s->b
 * (user/pyscan.h; s->insn may be NULL: no disassembly then).
 */
void pyversion_detect(struct pyscan *s);

#endif
