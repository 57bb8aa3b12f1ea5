/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * unit.h - what the root-free unit tests (tests/unit/test_*.c) share: the
 * assertions, a builder for raw event records, and a strict JSON checker.
 *
 * Every ASSERT_* counts a pass or a failure, prints one line
 *   test:FAIL:<name> actual <X> != expected <Y>
 * on failure (strings escaped, so a failure is one line), and evaluates to
 * true on success so that a test can `if (!ASSERT_INT(...)) goto out;`.
 * unit_summary() prints "<unit-test-name>: N passed, M failed" and returns the
 * exit status for main().
 *
 * Everything is static in this header: each test binary is one .c file.
 */
#ifndef PA_UNIT_H
#define PA_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyaudit.h"

#define UNIT_UNUSED __attribute__((unused))

static unsigned unit_passed, unit_failed;

static UNIT_UNUSED bool unit_count(bool ok)
{
	if (ok)
		unit_passed++;
	else
		unit_failed++;
	return ok;
}

/* A name built with printf formatting; a few rotating buffers. */
static UNIT_UNUSED const char *unit_name(const char *fmt, ...)
{
	static char bufs[4][160];
	static unsigned next;
	char *b = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* Prints n bytes C-escaped, quoted, on stdout. */
static UNIT_UNUSED void unit_print_bytes(const void *data, size_t n)
{
	const unsigned char *s = data;
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	}
	putchar('"');
}

#define ASSERT_TRUE(name, cond)                                                            \
	({                                                                                 \
		bool ok_ = (cond);                                                         \
		if (!ok_)                                                                  \
			printf("test:FAIL:%s actual false != expected true (%s)\n", (name), \
			       #cond);                                                     \
		unit_count(ok_);                                                           \
	})

#define ASSERT_INT(name, actual, expected)                                                     \
	({                                                                                     \
		long long a_ = (long long)(actual), e_ = (long long)(expected);                \
		bool ok_ = a_ == e_;                                                           \
		if (!ok_)                                                                      \
			printf("test:FAIL:%s actual %lld != expected %lld\n", (name), a_, e_); \
		unit_count(ok_);                                                               \
	})

#define ASSERT_UINT(name, actual, expected)                                                    \
	({                                                                                     \
		unsigned long long a_ = (actual), e_ = (expected);                             \
		bool ok_ = a_ == e_;                                                           \
		if (!ok_)                                                                      \
			printf("test:FAIL:%s actual %llu != expected %llu\n", (name), a_, e_); \
		unit_count(ok_);                                                               \
	})

static UNIT_UNUSED bool unit_mem(const char *name, const void *a, size_t alen, const void *e,
				 size_t elen)
{
	bool ok = alen == elen && (!alen || !memcmp(a, e, alen));

	if (!ok) {
		printf("test:FAIL:%s actual ", name);
		unit_print_bytes(a, alen);
		printf(" != expected ");
		unit_print_bytes(e, elen);
		putchar('\n');
	}
	return unit_count(ok);
}

static UNIT_UNUSED bool unit_str(const char *name, const char *a, const char *e)
{
	if (!a || !e) {
		bool ok = a == e;

		if (!ok)
			printf("test:FAIL:%s actual %s != expected %s\n", name,
			       a ? "(string)" : "NULL", e ? "(string)" : "NULL");
		return unit_count(ok);
	}
	return unit_mem(name, a, strlen(a), e, strlen(e));
}

#define ASSERT_STR(name, actual, expected) unit_str((name), (actual), (expected))
#define ASSERT_MEM(name, actual, alen, expected, elen)                                       \
	unit_mem((name), (actual), (alen), (expected), (elen))

static UNIT_UNUSED int unit_summary(const char *test)
{
	printf("%s: %u passed, %u failed\n", test, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

/* xorshift64*: reproducible pseudo-random numbers for the fuzz loops. */
static UNIT_UNUSED uint64_t unit_rng_state = 0x9e3779b97f4a7c15ull;

static UNIT_UNUSED uint64_t unit_rand(void)
{
	uint64_t x = unit_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	unit_rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ---- raw event records ------------------------------------------------------ */

struct rec {
	uint8_t buf[PA_REC_MAX + 64] __attribute__((aligned(8)));
	size_t len;
};

/* Starts a PA_REC_EVENT record: pid 4242, tid 4243, uid 0, comm "python3". */
static UNIT_UNUSED void rec_init(struct rec *r, unsigned nargs, unsigned nargs_total,
				 unsigned flags)
{
	struct pa_event *e = (struct pa_event *)r->buf;

	memset(r->buf, 0, sizeof(r->buf));
	e->hdr.kind = PA_REC_EVENT;
	e->hdr.ts_ns = 1000;
	e->pid = 4242;
	e->tid = 4243;
	e->uid = 0;
	e->probe_id = 7;
	e->name_hash = 0x1234;
	memcpy(e->comm, "python3", 7);
	e->nargs = nargs;
	e->nargs_total = nargs_total;
	e->flags = flags;
	r->len = sizeof(*e);
}

/* Appends a value; the payload is padded to 8 with zeros. */
static UNIT_UNUSED void rec_val(struct rec *r, unsigned kind, unsigned flags, unsigned aux,
				uint64_t full, const void *data, uint32_t len)
{
	struct pa_val v = { .kind = kind, .flags = flags, .aux = aux, .len = len, .full = full };

	if (r->len + sizeof(v) + PA_ALIGN8(len) > sizeof(r->buf)) {
		fprintf(stderr, "rec_val: record too large\n");
		abort();
	}
	memcpy(r->buf + r->len, &v, sizeof(v));
	r->len += sizeof(v);
	if (len)
		memcpy(r->buf + r->len, data, len);
	r->len += PA_ALIGN8(len);
}

static UNIT_UNUSED void rec_cstr(struct rec *r, const char *s)
{
	rec_val(r, PA_V_CSTR, 0, 1, 0, s, strlen(s));
}

/* A str of width 1 from a C string (latin-1 bytes). */
static UNIT_UNUSED void rec_str(struct rec *r, const char *s)
{
	rec_val(r, PA_V_STR, 0, 1, strlen(s), s, strlen(s));
}

static UNIT_UNUSED void rec_int(struct rec *r, int64_t x)
{
	rec_val(r, PA_V_INT, 0, 0, 0, &x, 8);
}

static UNIT_UNUSED void rec_uint(struct rec *r, uint64_t x)
{
	rec_val(r, PA_V_UINT, 0, 0, 0, &x, 8);
}

static UNIT_UNUSED void rec_float(struct rec *r, double x)
{
	rec_val(r, PA_V_FLOAT, 0, 0, 0, &x, 8);
}

static UNIT_UNUSED void rec_pylong(struct rec *r, const uint32_t *digits, unsigned n, bool neg)
{
	rec_val(r, PA_V_PYLONG, neg ? PA_VF_NEG : 0, n, n, digits, 4 * n);
}

static UNIT_UNUSED void rec_simple(struct rec *r, unsigned kind, unsigned aux, uint64_t full)
{
	rec_val(r, kind, 0, aux, full, NULL, 0);
}

/* Sets hdr.len; returns the record size. */
static UNIT_UNUSED size_t rec_end(struct rec *r)
{
	((struct pa_event *)r->buf)->hdr.len = r->len;
	return r->len;
}

/* ---- strict JSON checking (RFC 8259, strings valid UTF-8) ------------------- */

struct unit_json {
	const unsigned char *s;
	size_t n, i;
	int depth;
};

static bool unit_json_value(struct unit_json *j);

static UNIT_UNUSED void unit_json_ws(struct unit_json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
			       j->s[j->i] == '\r'))
		j->i++;
}

static UNIT_UNUSED bool unit_json_lit(struct unit_json *j, const char *lit)
{
	size_t l = strlen(lit);

	if (j->n - j->i < l || memcmp(j->s + j->i, lit, l))
		return false;
	j->i += l;
	return true;
}

static UNIT_UNUSED bool unit_json_string(struct unit_json *j)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = j->s[j->i];

		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			int k;

			if (++j->i >= j->n)
				return false;
			c = j->s[j->i++];
			if (c == 'u') {
				for (k = 0; k < 4; k++, j->i++)
					if (j->i >= j->n || !j->s[j->i] ||
					    !strchr("0123456789abcdefABCDEF", j->s[j->i]))
						return false;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return false;
			}
			continue;
		}
		if (c < 0x80) {
			j->i++;
			continue;
		}
		{
			/* strict UTF-8: shortest form, no surrogates, <= U+10FFFF */
			unsigned len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0, k;
			uint32_t cp = c & (0x7f >> len);

			if (!len || c > 0xf4 || j->n - j->i < len)
				return false;
			for (k = 1; k < len; k++) {
				if ((j->s[j->i + k] & 0xc0) != 0x80)
					return false;
				cp = cp << 6 | (j->s[j->i + k] & 0x3f);
			}
			if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
			    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				return false;
			j->i += len;
		}
	}
	return false;
}

static UNIT_UNUSED bool unit_json_number(struct unit_json *j)
{
	size_t st;

	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i >= j->n)
		return false;
	if (j->s[j->i] == '0') {
		j->i++;
	} else if (j->s[j->i] >= '1' && j->s[j->i] <= '9') {
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	} else {
		return false;
	}
	if (j->i < j->n && j->s[j->i] == '.') {
		st = ++j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == st)
			return false;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		st = j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == st)
			return false;
	}
	return true;
}

static UNIT_UNUSED bool unit_json_value(struct unit_json *j)
{
	unit_json_ws(j);
	if (j->i >= j->n || j->depth > 64)
		return false;
	switch (j->s[j->i]) {
	case '{':
	case '[': {
		unsigned char close = j->s[j->i] == '{' ? '}' : ']';
		bool obj = close == '}';

		j->i++;
		j->depth++;
		unit_json_ws(j);
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
			j->depth--;
			return true;
		}
		for (;;) {
			if (obj) {
				unit_json_ws(j);
				if (!unit_json_string(j))
					return false;
				unit_json_ws(j);
				if (j->i >= j->n || j->s[j->i++] != ':')
					return false;
			}
			if (!unit_json_value(j))
				return false;
			unit_json_ws(j);
			if (j->i >= j->n)
				return false;
			if (j->s[j->i] == ',') {
				j->i++;
				continue;
			}
			if (j->s[j->i] != close)
				return false;
			j->i++;
			j->depth--;
			return true;
		}
	}
	case '"':
		return unit_json_string(j);
	case 't':
		return unit_json_lit(j, "true");
	case 'f':
		return unit_json_lit(j, "false");
	case 'n':
		return unit_json_lit(j, "null");
	default:
		return unit_json_number(j);
	}
}

/* True if s[0..n) is exactly one JSON value (surrounding whitespace allowed). */
static UNIT_UNUSED bool unit_json_valid(const void *s, size_t n)
{
	struct unit_json j = { .s = s, .n = n };

	if (!unit_json_value(&j))
		return false;
	unit_json_ws(&j);
	return j.i == n;
}

/*
 * True if every line of path parses with Python's json module (strict UTF-8
 * decoding of the file).  *ran is false when python3 is not available.
 */
static UNIT_UNUSED bool unit_python_json_lines(const char *path, bool *ran)
{
	char cmd[512];
	int st;

	*ran = false;
	if (system("python3 -c pass >/dev/null 2>&1") != 0)
		return true;
	*ran = true;
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; [json.loads(l) for l in "
		 "open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\", newline=\"\\n\")]' %s",
		 path);
	st = system(cmd);
	return st == 0;
}

#endif
