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

void escape_text(FILE *f, const void *data, size_t len, char q)
{
	const unsigned char *s = data;
	size_t i = 0;

	while (i < len) {
		size_t run = i, n;
		uint32_t cp;

		while (run < len && plain(s[run], q))
			run++;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, f);
			i = run;
			continue;
		}
		if (s[i] < 0x80) {
			put_ascii(f, s[i++], q);
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			put_hex(f, 'x', s[i++], 2);
		} else if (cp <= 0x9f) {
			put_hex(f, 'u', cp, 4);
			i += n;
		} else {
			fwrite_unlocked(s + i, 1, n, f);
			i += n;
		}
	}
}

void escape_ucs(FILE *f, const void *data, size_t len, unsigned width, char q)
{
	const unsigned char *s = data;
	size_t i;

	if (width != 1 && width != 2 && width != 4) {
		escape_bytes(f, data, len, q);
		return;
	}
	for (i = 0; i + width <= len; i += width) {
		unsigned char u[4];
		uint32_t cp;
		uint16_t c2;

		if (width == 1) {
			size_t run = i;

			/* latin-1 below 0x80 is ASCII: runs go out as they are */
			while (run < len && plain(s[run], q))
				run++;
			if (run > i) {
				fwrite_unlocked(s + i, 1, run - i, f);
				i = run - 1;
				continue;
			}
			cp = s[i];
		} else if (width == 2) {
			__builtin_memcpy(&c2, s + i, 2);
			cp = c2;
		} else {
			__builtin_memcpy(&cp, s + i, 4);
		}
		if (cp < 0x80)
			put_ascii(f, cp, q);
		else if (cp <= 0x9f)
			put_hex(f, 'u', cp, 4);
		else if (cp >= 0xd800 && cp <= 0xdfff)
			put_hex(f, 'u', cp, 4);
		else if (cp > 0x10ffff)
			put_hex(f, 'U', cp, 8);
		else
			fwrite_unlocked(u, 1, utf8_encode(cp, u), f);
	}
	for (; i < len; i++)
		put_hex(f, 'x', s[i], 2);
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
