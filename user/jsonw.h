/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jsonw.h - a small streaming JSON writer: always valid output, whatever bytes
 * it is given.
 *
 * Separators are ", " and ": " (one line per top-level value, as JSON Lines
 * wants).  Commas are placed by the writer: callers only open, close, name and
 * write values.  Nesting deeper than JSONW_MAX_DEPTH is a caller bug; the
 * writer then drops the too-deep container and everything in it, so the output
 * stays valid.
 *
 * Strings are valid I-JSON (RFC 7493): UTF-8 with no surrogate escape
 * unpaired and no noncharacter, which jq 1.6 and strict parsers accept.  Valid
 * UTF-8 is kept, except that bytes below 0x20, DEL, C1 controls
 * (U+0080..U+009F) and format characters (Cf, U+2028, U+2029: see escape.h)
 * are written as \uXXXX escapes (a surrogate pair above U+FFFF), and '"' and
 * '\\' are backslash-escaped.  Every code unit that is not a Unicode scalar
 * value I-JSON allows -- a byte of invalid UTF-8, a lone surrogate, a value
 * above U+10FFFF, a noncharacter, a trailing partial unit -- is written as
 * U+FFFD (as the escape \ufffd).  The exact units are not lost: a caller that
 * finds jsonw_unfit() non-zero writes jsonw_replaced() beside the string.
 */
#ifndef PA_JSONW_H
#define PA_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 32

/* Bytes enough for jsonw_format_double(): "-2.2250738585072014e-308" and NUL. */
#define JSONW_DOUBLE_MAX 32

struct jsonw;

struct jsonw *jsonw__new(FILE *f);	/* NULL with errno set */
void jsonw__free(struct jsonw *w);	/* NULL is fine */
void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* A key of len bytes; jsonw_key() of a literal has its length counted when compiled. */
void jsonw_keyn(struct jsonw *w, const char *key, size_t len);
#define jsonw_key(w, key) jsonw_keyn((w), (key), __builtin_strlen(key))
/* A string from arbitrary bytes, read as UTF-8. */
void jsonw_string(struct jsonw *w, const void *data, size_t len);
void jsonw_cstring(struct jsonw *w, const char *s);
/*
 * A string from len bytes of native-endian code units of width 1 (latin-1:
 * also how bytes are shown), 2 (UCS-2) or 4 (UCS-4).
 */
void jsonw_string_ucs(struct jsonw *w, const void *data, size_t len, unsigned width);
/*
 * How many units of a string (width 0: UTF-8 bytes as for jsonw_string(); 1,
 * 2, 4 as for jsonw_string_ucs()) are written as U+FFFD.
 */
size_t jsonw_unfit(const void *data, size_t len, unsigned width);
/*
 * The array that makes such a string lossless: [[INDEX, UNIT], ...], one pair
 * per replaced unit, INDEX counting the characters (code points) of the
 * written string from 0, UNIT the exact value there: the surrogate, the
 * noncharacter or the out-of-range unit, or the byte of invalid UTF-8.  The
 * original is the written string with character INDEX put back as UNIT.
 */
void jsonw_replaced(struct jsonw *w, const void *data, size_t len, unsigned width);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_double(struct jsonw *w, double v);	/* NaN/inf -> strings "nan", "inf", "-inf" */
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_raw(struct jsonw *w, const char *literal); /* a pre-formatted number */
/*
 * Newline after a top-level value.  A line reaches the FILE here (or at
 * jsonw__free()), whole: the writer builds it in a buffer of its own.
 */
void jsonw_end_line(struct jsonw *w);

/*
 * Formats a double as Python's repr() does: the shortest digits that read back
 * as the same double, "1.0" rather than "1", exponent form below 1e-4 and from
 * 1e16 on ("1e-05", "1e+16"), "inf", "-inf", "nan".  For a finite v this is
 * also a valid JSON number.  Returns the length (snprintf-like: >= size means
 * buf holds a cut prefix); JSONW_DOUBLE_MAX is always enough.
 */
size_t jsonw_format_double(double v, char *buf, size_t size);

#endif
