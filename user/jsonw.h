/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jsonw.h - a small streaming JSON writer: always valid output, whatever bytes
 * it is given.
 */
#ifndef PA_JSONW_H
#define PA_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

struct jsonw *jsonw__new(FILE *f);	/* NULL with errno set */
void jsonw__free(struct jsonw *w);	/* NULL is fine */
void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
/* A string from arbitrary bytes: control bytes -> \u00XX, invalid UTF-8 bytes
 * -> U+FFFD is NOT used; they are escaped as \u00XX of the byte's latin-1 value
 * so nothing is dropped (documented in README). */
void jsonw_string(struct jsonw *w, const void *data, size_t len);
void jsonw_cstring(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_double(struct jsonw *w, double v);	/* NaN/inf -> strings "nan", "inf", "-inf" */
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_raw(struct jsonw *w, const char *literal); /* a pre-formatted number */
void jsonw_end_line(struct jsonw *w);	/* newline after a top-level value */

#endif
