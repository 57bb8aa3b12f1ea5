/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef PYAUDIT_OLDPY_H
#define PYAUDIT_OLDPY_H

#include <stddef.h>

/*
 * Is the ELF file open on fd a CPython older than 3.8, which raises no audit
 * events (PEP 578 came in 3.8)?  CPython: Py_GetVersion and Py_Initialize
 * among its dynamic symbols; older than 3.8: no PySys_Audit.  Returns 0 with
 * its version in ver (the PY_VERSION Py_GetVersion formats, "3.7.16"; "before
 * 3.8" when that is not found), or -ENOENT (not such a Python) or the error of
 * opening the file.  fd is not consumed; the file is analysed under the
 * per-file work budget.
 */
int oldpy_version(int fd, char *ver, size_t len);
/* The same for the file at path (opened read-only, non-blocking). */
int oldpy_path(const char *path, char *ver, size_t len);

#endif
