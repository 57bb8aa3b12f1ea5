// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * values.c - value helpers beside the decoder, shared by the text and JSON
 * renderers (and the aggregator's times): big ints in decimal, wall-clock
 * times as RFC 3339 or epoch seconds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "values.h"

size_t pylong_to_decimal(const uint32_t *digits, unsigned ndigits, int neg, char *buf,
			 size_t size)
{
	uint32_t tmp[PYLONG_MAX_DIGITS];
	size_t n = 0, i, j;

	if (!size)
		return 0;
	if (ndigits > PYLONG_MAX_DIGITS)
		goto fail;
	while (ndigits && !digits[ndigits - 1])
		ndigits--;
	if (!ndigits) {
		if (size < 2)
			goto fail;
		memcpy(buf, "0", 2);
		return 1;
	}
	memcpy(tmp, digits, ndigits * sizeof(*tmp));
	/*
	 * Repeated division by 10^9, most significant digit first; the decimal
	 * digits come out least significant first and are reversed at the end.
	 * rem < 10^9 and a digit < 2^32 keep rem * 2^30 + digit below 2^64, so
	 * even unnormalised digits give the right value.
	 */
	while (ndigits) {
		uint64_t rem = 0;
		int k;

		for (i = ndigits; i-- > 0;) {
			uint64_t cur = (rem << 30) + tmp[i];

			tmp[i] = cur / 1000000000u;
			rem = cur % 1000000000u;
		}
		while (ndigits && !tmp[ndigits - 1])
			ndigits--;
		for (k = 0; k < 9 && (ndigits || rem); k++) {
			if (n + 1 >= size)
				goto fail;
			buf[n++] = '0' + rem % 10;
			rem /= 10;
		}
	}
	if (neg) {
		if (n + 1 >= size)
			goto fail;
		buf[n++] = '-';
	}
	for (i = 0, j = n - 1; i < j; i++, j--) {
		char c = buf[i];

		buf[i] = buf[j];
		buf[j] = c;
	}
	buf[n] = '\0';
	return n;
fail:
	buf[0] = '\0';
	return 0;
}

size_t format_rfc3339(int64_t ns, char *buf, size_t size)
{
	int64_t sub = ns % 1000000000, sec;
	struct tm tm;
	time_t t;
	long off;
	size_t n;

	if (sub < 0)
		sub += 1000000000;
	sec = (ns - sub) / 1000000000;
	t = sec;
	if (!size)
		return 0;
	buf[0] = '\0';
	if (!localtime_r(&t, &tm))
		return 0;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!n)
		return 0;
	off = tm.tm_gmtoff / 60;
	n += snprintf(buf + n, size - n, ".%06d%c%02ld:%02ld", (int)(sub / 1000), off < 0 ? '-' : '+',
		      labs(off) / 60, labs(off) % 60);
	return n < size ? n : 0;
}

const char *format_rfc3339_cached(struct rfc3339_cache *c, int64_t ns)
{
	int64_t sub = ns % 1000000000, sec, us;
	char *dot;
	int i;

	if (sub < 0)
		sub += 1000000000;
	sec = (ns - sub) / 1000000000;
	if (sec != c->sec || !c->dot) {
		c->sec = sec;
		c->dot = 0;
		if (!format_rfc3339(sec * 1000000000, c->buf, sizeof(c->buf)))
			return "?";
		dot = strchr(c->buf, '.');
		if (!dot)
			return "?";
		c->dot = dot - c->buf;
	}
	us = sub / 1000;
	for (i = 6; i > 0; i--, us /= 10)
		c->buf[c->dot + i] = '0' + us % 10;
	return c->buf;
}

size_t format_epoch(int64_t ns, char *buf, size_t size)
{
	uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns, us = u % 1000000000 / 1000;
	char tmp[32];
	int n = sizeof(tmp) - 1, i;

	tmp[n] = '\0';
	for (i = 0; i < 6; i++, us /= 10)
		tmp[--n] = '0' + us % 10;
	tmp[--n] = '.';
	u /= 1000000000;
	do {
		tmp[--n] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (ns < 0)
		tmp[--n] = '-';
	if ((size_t)(sizeof(tmp) - n) <= size) {
		memcpy(buf, tmp + n, sizeof(tmp) - n); /* with its NUL */
		return sizeof(tmp) - 1 - n;
	}
	return snprintf(buf, size, "%s", tmp + n);
}
