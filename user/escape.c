// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * escape.c - lossless escaping of untrusted bytes (event names, str, bytes,
 * comm) for the text renderer, and the UTF-8 decoder/encoder shared with the
 * JSON writer.  The conventions are listed in escape.h.
 *
 * Output goes through putc_unlocked()/fwrite_unlocked(): the stream belongs to one
 * thread (the tracer's poll loop), and runs of plain ASCII, the common case,
 * are written in one call.
 */
#include <stdbool.h>
#include "escape.h"

static const char hex[] = "0123456789abcdef";

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2) /* continuation byte, or C0/C1: overlong 2-byte form */
		return 0;
	if (c < 0xe0) {
		len = 2;
		v = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		v = c & 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* shortest form only; no surrogates; nothing above U+10FFFF */
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

size_t utf8_encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	if (cp < 0x110000) {
		out[0] = 0xf0 | cp >> 18;
		out[1] = 0x80 | (cp >> 12 & 0x3f);
		out[2] = 0x80 | (cp >> 6 & 0x3f);
		out[3] = 0x80 | (cp & 0x3f);
		return 4;
	}
	return 0;
}

static void put_hex(FILE *f, char kind, uint32_t v, int digits)
{
	putc_unlocked('\\', f);
	putc_unlocked(kind, f);
	while (digits-- > 0)
		putc_unlocked(hex[(v >> (4 * digits)) & 0xf], f);
}

/* True for an ASCII byte written as itself. */
static inline bool plain(unsigned char c, char q)
{
	return c >= 0x20 && c < 0x7f && c != '\\' && c != (unsigned char)q;
}

/* One ASCII byte (c < 0x80) under the text rules. */
static void put_ascii(FILE *f, unsigned char c, char q)
{
	switch (c) {
	case '\n':
		fputs_unlocked("\\n", f);
		return;
	case '\r':
		fputs_unlocked("\\r", f);
		return;
	case '\t':
		fputs_unlocked("\\t", f);
		return;
	case '\\':
		fputs_unlocked("\\\\", f);
		return;
	}
	if (q && c == (unsigned char)q) {
		putc_unlocked('\\', f);
		putc_unlocked(c, f);
	} else if (c < 0x20 || c == 0x7f) {
		put_hex(f, 'x', c, 2);
	} else {
		putc_unlocked(c, f);
	}
}

/* Ranges of general category Cf, Zl and Zp (Unicode 14, as Python 3.11's unicodedata). */
static const uint32_t format_ranges[][2] = {
	{ 0xad, 0xad },	      { 0x600, 0x605 },	    { 0x61c, 0x61c },	  { 0x6dd, 0x6dd },
	{ 0x70f, 0x70f },     { 0x890, 0x891 },	    { 0x8e2, 0x8e2 },	  { 0x180e, 0x180e },
	{ 0x200b, 0x200f },   { 0x2028, 0x202e },   { 0x2060, 0x2064 },	  { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x13438 }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

bool ucs_is_format(uint32_t cp)
{
	size_t i;

	if (cp < 0xad)
		return false;
	for (i = 0; i < sizeof(format_ranges) / sizeof(format_ranges[0]); i++) {
		if (cp < format_ranges[i][0])
			return false;
		if (cp <= format_ranges[i][1])
			return true;
	}
	return false;
}

size_t ucs_next(const unsigned char *s, size_t len, size_t i, unsigned width, uint32_t *cp,
		bool *bad)
{
	uint16_t c2;
	size_t n;

	*bad = false;
	if (width == 0) {
		n = utf8_decode(s + i, len - i, cp);
		if (n)
			return n;
		*cp = s[i];
		*bad = true;
		return 1;
	}
	if (width != 2 && width != 4)
		width = 1;
	if (len - i < width) { /* a trailing partial unit: its bytes, one by one */
		*cp = s[i];
		*bad = true;
		return 1;
	}
	if (width == 1) {
		*cp = s[i];
	} else if (width == 2) {
		__builtin_memcpy(&c2, s + i, 2);
		*cp = c2;
	} else {
		__builtin_memcpy(cp, s + i, 4);
	}
	*bad = (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff;
	return width;
}

/* Text form of the code unit at s[i], per the rules of escape.h; returns its size. */
static size_t put_unit(FILE *f, const unsigned char *s, size_t len, size_t i, unsigned width,
		       char q)
{
	unsigned char u[4];
	uint32_t cp;
	bool bad;
	size_t n = ucs_next(s, len, i, width, &cp, &bad);

	if (bad && (width == 0 || n == 1 || len - i < width))
		put_hex(f, 'x', cp, 2); /* a byte: invalid UTF-8 or a partial unit */
	else if (cp > 0x10ffff)
		put_hex(f, 'U', cp, 8);
	else if (bad) /* a surrogate */
		put_hex(f, 'u', cp, 4);
	else if (cp < 0x80)
		put_ascii(f, cp, q);
	else if (cp <= 0x9f || ucs_is_format(cp))
		put_hex(f, cp > 0xffff ? 'U' : 'u', cp, cp > 0xffff ? 8 : 4);
	else if (width == 0)
		fwrite_unlocked(s + i, 1, n, f);
	else
		fwrite_unlocked(u, 1, utf8_encode(cp, u), f);
	return n;
}

/* Both walks: runs of plain ASCII (UTF-8 and latin-1) go out in one call. */
static void escape_units(FILE *f, const unsigned char *s, size_t len, unsigned width, char q)
{
	size_t i = 0;

	while (i < len) {
		if (width <= 1) {
			size_t run = i;

			while (run < len && plain(s[run], q))
				run++;
			if (run > i) {
				fwrite_unlocked(s + i, 1, run - i, f);
				i = run;
				continue;
			}
		}
		i += put_unit(f, s, len, i, width, q);
	}
}

void escape_text(FILE *f, const void *data, size_t len, char q)
{
	escape_units(f, data, len, 0, q);
}

void escape_ucs(FILE *f, const void *data, size_t len, unsigned width, char q)
{
	if (width != 1 && width != 2 && width != 4) {
		escape_bytes(f, data, len, q);
		return;
	}
	escape_units(f, data, len, width, q);
}

void escape_bytes(FILE *f, const void *data, size_t len, char q)
{
	const unsigned char *s = data;
	size_t i = 0;

	while (i < len) {
		size_t run = i;

		while (run < len && plain(s[run], q))
			run++;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, f);
			i = run;
			continue;
		}
		if (s[i] < 0x80)
			put_ascii(f, s[i], q);
		else
			put_hex(f, 'x', s[i], 2);
		i++;
	}
}
