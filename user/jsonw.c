// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jsonw.c - the streaming JSON writer behind -j, and the Python-repr float
 * formatting both renderers use.
 *
 * The writer keeps one "first value here" flag per open container and places
 * ", " itself, so a caller cannot produce a stray or missing comma.  Whatever
 * bytes a string holds, the output is valid JSON (see jsonw.h for how control
 * bytes and invalid UTF-8 are written).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "jsonw.h"

/*
 * A line is built in buf and handed to stdio whole at its end (one fwrite
 * instead of one call per key, comma and string run: most of the reader's
 * time went there).  A line longer than buf goes out in pieces.
 */
#define JSONW_BUF 65536

struct jsonw {
	FILE *f;
	size_t len;	  /* bytes in buf */
	unsigned depth;	  /* containers open and written */
	unsigned dropped; /* containers open beyond JSONW_MAX_DEPTH (not written) */
	bool after_key;	  /* the next value follows "key": */
	bool first[JSONW_MAX_DEPTH + 1];
	char buf[JSONW_BUF];
};

static void spill(struct jsonw *w)
{
	if (w->len)
		fwrite_unlocked(w->buf, 1, w->len, w->f);
	w->len = 0;
}

static inline void emit(struct jsonw *w, const void *p, size_t n)
{
	if (n > JSONW_BUF - w->len) {
		spill(w);
		if (n > JSONW_BUF) {
			fwrite_unlocked(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void emit_c(struct jsonw *w, char c)
{
	if (w->len == JSONW_BUF)
		spill(w);
	w->buf[w->len++] = c;
}

/* A string literal: its length is known where it is written. */
#define EMIT_LIT(w, lit) emit(w, lit, sizeof(lit) - 1)

static const char hex[] = "0123456789abcdef";

struct jsonw *jsonw__new(FILE *f)
{
	struct jsonw *w;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	return w;
}

void jsonw__free(struct jsonw *w)
{
	if (w)
		spill(w);
	free(w);
}

/* Writes the separator a value needs here; false if the value is to be dropped. */
static bool begin_value(struct jsonw *w)
{
	if (w->dropped)
		return false;
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth > 0) {
		if (!w->first[w->depth])
			EMIT_LIT(w, ", ");
		w->first[w->depth] = false;
	}
	return true;
}

static void start(struct jsonw *w, char open)
{
	if (w->dropped) {
		w->dropped++;
		return;
	}
	begin_value(w);
	if (w->depth >= JSONW_MAX_DEPTH) {
		/* too deep: keep the slot filled so the output stays valid */
		EMIT_LIT(w, "null");
		w->dropped = 1;
		return;
	}
	emit_c(w, open);
	w->depth++;
	w->first[w->depth] = true;
}

static void end(struct jsonw *w, char close)
{
	if (w->dropped) {
		w->dropped--;
		return;
	}
	if (!w->depth)
		return; /* unbalanced: writing it would make invalid JSON */
	w->after_key = false;
	emit_c(w, close);
	w->depth--;
}

void jsonw_start_object(struct jsonw *w)
{
	start(w, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	end(w, '}');
}

void jsonw_start_array(struct jsonw *w)
{
	start(w, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	end(w, ']');
}

static void put_u4(struct jsonw *w, uint32_t v)
{
	char u[6] = { '\\', 'u', hex[v >> 12 & 0xf], hex[v >> 8 & 0xf], hex[v >> 4 & 0xf],
		      hex[v & 0xf] };

	emit(w, u, sizeof(u));
}

static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_ascii(struct jsonw *w, unsigned char c)
{
	if (c == '"' || c == '\\') {
		emit_c(w, '\\');
		emit_c(w, c);
	} else if (c < 0x20 || c == 0x7f) {
		put_u4(w, c);
	} else {
		emit_c(w, c);
	}
}

/* Can the unit go into an I-JSON string as it is?  Not a surrogate, a value
 * above U+10FFFF, a byte of invalid UTF-8 or a partial unit, nor a noncharacter. */
static inline bool unfit(uint32_t cp, bool bad)
{
	return bad || ucs_is_nonchar(cp);
}

/* A code point >= 0x80 that is a Unicode scalar value and not a noncharacter. */
static void put_cp(struct jsonw *w, uint32_t cp)
{
	unsigned char u[4];

	if (cp <= 0x9f || ucs_is_format(cp)) {
		if (cp > 0xffff) { /* a valid surrogate pair, as JSON writes it */
			put_u4(w, 0xd800 + ((cp - 0x10000) >> 10));
			put_u4(w, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			put_u4(w, cp);
		}
	} else {
		emit(w, u, utf8_encode(cp, u));
	}
}

/* The quoted string: width 0 is UTF-8, 1/2/4 code units (ucs_next()). */
static void put_units(struct jsonw *w, const unsigned char *s, size_t len, unsigned width)
{
	size_t i = 0;

	emit_c(w, '"');
	while (i < len) {
		uint32_t cp;
		bool bad;

		if (width <= 1) {
			size_t run = i;

			while (run < len && plain(s[run]))
				run++;
			if (run > i) {
				emit(w, s + i, run - i);
				i = run;
				continue;
			}
		}
		i += ucs_next(s, len, i, width, &cp, &bad);
		if (unfit(cp, bad))
			put_u4(w, 0xfffd); /* U+FFFD, as an escape: ASCII stays ASCII */
		else if (cp < 0x80)
			put_ascii(w, cp);
		else
			put_cp(w, cp);
	}
	emit_c(w, '"');
}

static void put_bytes(struct jsonw *w, const unsigned char *s, size_t len)
{
	put_units(w, s, len, 0);
}

void jsonw_keyn(struct jsonw *w, const char *key, size_t len)
{
	if (!begin_value(w))
		return;
	put_bytes(w, (const unsigned char *)key, len);
	EMIT_LIT(w, ": ");
	w->after_key = true;
}

void jsonw_string(struct jsonw *w, const void *data, size_t len)
{
	if (begin_value(w))
		put_bytes(w, data, len);
}

void jsonw_cstring(struct jsonw *w, const char *s)
{
	jsonw_string(w, s, strlen(s));
}

void jsonw_string_ucs(struct jsonw *w, const void *data, size_t len, unsigned width)
{
	if (width != 2 && width != 4)
		width = 1;
	if (begin_value(w))
		put_units(w, data, len, width);
}

size_t jsonw_unfit(const void *data, size_t len, unsigned width)
{
	const unsigned char *s = data;
	size_t i = 0, n = 0;

	if (width == 1)
		return 0; /* latin-1 holds none */
	while (i < len) {
		uint32_t cp;
		bool bad;

		if (width == 0 && s[i] < 0x80) {
			i++;
			continue;
		}
		i += ucs_next(s, len, i, width, &cp, &bad);
		n += unfit(cp, bad);
	}
	return n;
}

void jsonw_replaced(struct jsonw *w, const void *data, size_t len, unsigned width)
{
	const unsigned char *s = data;
	size_t i = 0, at = 0;

	if (width != 0 && width != 2 && width != 4)
		width = 1;
	jsonw_start_array(w);
	while (i < len) {
		uint32_t cp;
		bool bad;

		i += ucs_next(s, len, i, width, &cp, &bad);
		if (unfit(cp, bad)) {
			jsonw_start_array(w);
			jsonw_uint(w, at);
			jsonw_uint(w, cp);
			jsonw_end_array(w);
		}
		at++;
	}
	jsonw_end_array(w);
}

/* Decimal digits of v, without printf's format parsing (numbers are most of a line). */
static void put_u64(struct jsonw *w, uint64_t v, bool neg)
{
	char buf[24];
	int n = sizeof(buf);

	do {
		buf[--n] = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		buf[--n] = '-';
	emit(w, buf + n, sizeof(buf) - n);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	if (begin_value(w))
		put_u64(w, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	if (begin_value(w))
		put_u64(w, v, false);
}

void jsonw_double(struct jsonw *w, double v)
{
	char buf[JSONW_DOUBLE_MAX];
	size_t n = jsonw_format_double(v, buf, sizeof(buf));

	if (!isfinite(v)) {
		jsonw_string(w, buf, n);
		return;
	}
	if (begin_value(w))
		emit(w, buf, n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	if (begin_value(w))
		emit(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
	if (begin_value(w))
		EMIT_LIT(w, "null");
}

void jsonw_raw(struct jsonw *w, const char *literal)
{
	if (begin_value(w))
		emit(w, literal, strlen(literal));
}

void jsonw_end_line(struct jsonw *w)
{
	emit_c(w, '\n');
	spill(w);
	w->depth = 0;
	w->dropped = 0;
	w->after_key = false;
}

size_t jsonw_format_double(double v, char *buf, size_t size)
{
	char tmp[40], dig[24], out[48];
	int prec, exp, decpt, ndig = 0, n = 0, i;
	const char *p;
	bool neg;

	if (isnan(v))
		return snprintf(buf, size, "nan");
	if (isinf(v))
		return snprintf(buf, size, v < 0 ? "-inf" : "inf");
	if (v == 0)
		return snprintf(buf, size, signbit(v) ? "-0.0" : "0.0");

	/*
	 * Shortest round trip: the first precision whose correctly rounded digits
	 * read back as v (17 significant digits always do).  strtod() and "%e"
	 * share the locale's decimal point, so the round trip holds under any
	 * LC_NUMERIC; the digits are taken out by hand below.
	 */
	for (prec = 0; prec < 16; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (prec == 16)
		snprintf(tmp, sizeof(tmp), "%.16e", v);

	p = tmp;
	neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e' && *p != 'E'; p++)
		if (*p >= '0' && *p <= '9' && ndig < (int)sizeof(dig) - 1)
			dig[ndig++] = *p;
	exp = *p ? atoi(p + 1) : 0;
	while (ndig > 1 && dig[ndig - 1] == '0')
		ndig--;
	dig[ndig] = '\0';
	decpt = exp + 1; /* value = 0.DIGITS * 10^decpt */

	if (neg)
		out[n++] = '-';
	if (decpt <= -4 || decpt > 16) {
		/* as Python: d[.ddd]e+XX, at least two exponent digits */
		out[n++] = dig[0];
		if (ndig > 1) {
			out[n++] = '.';
			for (i = 1; i < ndig; i++)
				out[n++] = dig[i];
		}
		n += snprintf(out + n, sizeof(out) - n, "e%c%02d", exp < 0 ? '-' : '+',
			      exp < 0 ? -exp : exp);
	} else if (decpt <= 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (i = 0; i < -decpt; i++)
			out[n++] = '0';
		for (i = 0; i < ndig; i++)
			out[n++] = dig[i];
	} else {
		for (i = 0; i < ndig || i < decpt; i++) {
			if (i == decpt)
				out[n++] = '.';
			out[n++] = i < ndig ? dig[i] : '0';
		}
		if (decpt >= ndig) {
			out[n++] = '.';
			out[n++] = '0';
		}
	}
	out[n] = '\0';
	return snprintf(buf, size, "%s", out);
}
