/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * escape.h - lossless escaping of untrusted bytes for text output.
 */
#ifndef PA_ESCAPE_H
#define PA_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes bytes to f so that the line stays one line and the terminal is safe:
 * \n \r \t \\ and the quote character q (if not 0) are backslash-escaped, other
 * control bytes, DEL and bytes of invalid UTF-8 become \xNN; valid UTF-8 is
 * kept (except C1 controls U+0080..U+009F, written \u00NN).
 */
void escape_text(FILE *f, const void *data, size_t len, char q);

#endif
