/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * escape.h - lossless escaping of untrusted bytes for text output, and the
 * small UTF-8 helpers the other writers (decode.c, jsonw.c) share.
 *
 * The text conventions, chosen so that a line stays one line, a terminal stays
 * sane (an ANSI sequence arrives as an inert "\x1b[31m"), and every escaped
 * form is told apart from every other one:
 *
 *   \n \r \t \\, and the quote character when there is one   backslash escapes
 *   other C0 controls (NUL, ESC ...) and DEL                   \xNN
 *   each byte that is not part of valid UTF-8                  \xNN
 *   C1 controls U+0080..U+009F (valid UTF-8 C2 80..C2 9F)      \u0080 .. \u009f
 *   format characters (general category Cf: bidi embeddings,   \uXXXX, or
 *   overrides and isolates U+202A..U+202E, U+2066..U+2069,     \UXXXXXXXX above
 *   zero-width U+200B..U+200F, U+FEFF, tags ...) and the line   U+FFFF
 *   and paragraph separators U+2028, U+2029 (Zl, Zp)
 *   everything else that is valid UTF-8, non-ASCII included    kept as is
 *
 * so "\x80" is always a raw byte and "\u0080" always a code point.  Str payloads
 * (code units of width 1, 2 or 4) add two forms UTF-8 cannot carry: a lone
 * surrogate is written \udXXX and a value above U+10FFFF \UXXXXXXXX, as Python's
 * repr() writes them.  Hex digits are lowercase, as in Python.
 */
#ifndef PA_ESCAPE_H
#define PA_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Writes bytes to f so that the line stays one line and the terminal is safe:
 * \n \r \t \\ and the quote character q (if not 0) are backslash-escaped, other
 * control bytes, DEL and bytes of invalid UTF-8 become \xNN; valid UTF-8 is
 * kept (except C1 controls U+0080..U+009F, written \u00NN, and format
 * characters, written \uXXXX or \UXXXXXXXX).
 */
void escape_text(FILE *f, const void *data, size_t len, char q);

/*
 * Like escape_text() for len bytes of native-endian code units of width 1
 * (latin-1), 2 (UCS-2) or 4 (UCS-4): CPython's str storage and wchar_t strings.
 * Each code unit is one code point, written as UTF-8 under the rules above;
 * surrogates become \udXXX, values above U+10FFFF \UXXXXXXXX.  A trailing
 * partial code unit (len not a multiple of width) is written \xNN per byte.
 * Format characters are escaped as in escape_text().
 */
void escape_ucs(FILE *f, const void *data, size_t len, unsigned width, char q);

/*
 * The body of a Python bytes literal, as repr() writes it: printable ASCII
 * kept, \n \r \t \\ and q backslash-escaped, every other byte \xNN.
 */
void escape_bytes(FILE *f, const void *data, size_t len, char q);

/*
 * Decodes one UTF-8 sequence at s (n bytes available).  Returns its length
 * (1..4) with *cp set, or 0 if s[0] does not start a valid sequence: a stray
 * continuation byte, an overlong form, a surrogate, a value above U+10FFFF or
 * a sequence cut by n.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Encodes cp (any value below 0x110000, surrogates included, as WTF-8 does)
 * into out.  Returns the length, or 0 if cp is above U+10FFFF.
 */
size_t utf8_encode(uint32_t cp, unsigned char out[4]);

/*
 * The one code-unit walker behind the text and JSON writers.  data is UTF-8
 * (width 0) or native-endian code units of width 1 (latin-1), 2 (UCS-2) or 4
 * (UCS-4).  Reads the unit at s[i] (i < len) and returns the bytes it takes
 * (>= 1).  *cp is its code point; *bad is set when it is not a Unicode scalar
 * value: a byte of invalid UTF-8 (*cp = the byte), a surrogate, a value above
 * U+10FFFF, or a trailing partial unit (one byte at a time, *cp = the byte).
 * Any other width is read as bytes (width 1).
 */
size_t ucs_next(const unsigned char *s, size_t len, size_t i, unsigned width, uint32_t *cp,
		bool *bad);

/* Unicode format characters (Cf) and U+2028/U+2029 (Zl, Zp), as of Unicode 14. */
bool ucs_is_format(uint32_t cp);

/* Noncharacters: U+FDD0..U+FDEF and the last two code points of every plane. */
static inline bool ucs_is_nonchar(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || ((cp & 0xfffe) == 0xfffe && cp <= 0x10ffff);
}

#endif
