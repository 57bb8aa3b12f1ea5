/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * values.h - value helpers shared by the renderers (values.c).
 */
#ifndef PA_VALUES_H
#define PA_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* Bytes enough for format_rfc3339(): "-292277026596-12-04T15:30:07.000000+00:00". */
#define RFC3339_MAX 48
/*
 * Wall-clock ns since the epoch as RFC 3339 in local time, with microseconds
 * and the numeric UTC offset ("2026-12-06T10:45:11.123456+01:00").  Returns
 * the length, 0 (buf = "") if the time cannot be shown.
 */
size_t format_rfc3339(int64_t ns, char *buf, size_t size);
/* format_rfc3339() with the local-time conversion done once per second. */
struct rfc3339_cache {
	int64_t sec;		/* the second buf was made for; INT64_MIN: none */
	char buf[RFC3339_MAX];
	size_t dot;		/* offset of the '.' before the microseconds; 0: unusable */
};
const char *format_rfc3339_cached(struct rfc3339_cache *c, int64_t ns);
/* Epoch seconds with 6 decimals ("1764000000.123456"); returns the length. */
size_t format_epoch(int64_t ns, char *buf, size_t size);

/* Bytes enough for pylong_to_decimal() of n digits: 30 bits < 10 decimal digits. */
#define PYLONG_DECIMAL_SIZE(n) ((size_t)(n) * 10 + 2)
/* Most digits pylong_to_decimal() converts. */
#define PYLONG_MAX_DIGITS 1024

/*
 * Renders a Python-like big int from 30-bit digits (least significant first;
 * leading zero digits are fine) as decimal into buf, with a '-' if neg and
 * the value is not 0.  Returns the length written (without the NUL), or 0
 * with buf = "" if it does not fit in size or ndigits > PYLONG_MAX_DIGITS.
 */
size_t pylong_to_decimal(const uint32_t *digits, unsigned ndigits, int neg, char *buf,
			 size_t size);

#endif
