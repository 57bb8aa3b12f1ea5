// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_jsonw.c - the JSON writer: separators and nesting, string escaping of
 * control bytes, ANSI, invalid UTF-8 and lone surrogates, numbers, the Python
 * repr() float formatting (fixed cases, a round-trip property over random
 * doubles, and when python3 is there a digit-for-digit comparison with it), and
 * validity of the output for random bytes, checked by a strict JSON parser and
 * by Python's json module.
 */
#include <math.h>
#include <unistd.h>
#include "escape.h"
#include "jsonw.h"
#include "unit.h"

struct buf {
	char *s;
	size_t n;
	FILE *f;
	struct jsonw *w;
};

static void buf_open(struct buf *b)
{
	b->s = NULL;
	b->n = 0;
	b->f = open_memstream(&b->s, &b->n);
	b->w = jsonw__new(b->f);
}

/* Closes the stream; b->s stays for the caller to check and free. */
static void buf_close(struct buf *b)
{
	jsonw__free(b->w);
	fclose(b->f);
}

static void test_structure(void)
{
	struct buf b;

	buf_open(&b);
	jsonw_start_object(b.w);
	jsonw_key(b.w, "a");
	jsonw_int(b.w, -1);
	jsonw_key(b.w, "b");
	jsonw_start_array(b.w);
	jsonw_uint(b.w, 18446744073709551615ull);
	jsonw_null(b.w);
	jsonw_bool(b.w, true);
	jsonw_start_object(b.w);
	jsonw_end_object(b.w);
	jsonw_start_array(b.w);
	jsonw_end_array(b.w);
	jsonw_raw(b.w, "1.5");
	jsonw_end_array(b.w);
	jsonw_key(b.w, "c");
	jsonw_bool(b.w, false);
	jsonw_end_object(b.w);
	jsonw_end_line(b.w);
	jsonw_start_array(b.w);
	jsonw_end_array(b.w);
	jsonw_end_line(b.w);
	buf_close(&b);
	ASSERT_STR("structure", b.s,
		   "{\"a\": -1, \"b\": [18446744073709551615, null, true, {}, [], 1.5], "
		   "\"c\": false}\n[]\n");
	free(b.s);
}

static void test_too_deep(void)
{
	struct buf b;
	int i;

	buf_open(&b);
	jsonw_start_object(b.w);
	jsonw_key(b.w, "deep");
	for (i = 0; i < JSONW_MAX_DEPTH + 5; i++)
		jsonw_start_array(b.w);
	jsonw_int(b.w, 1);
	for (i = 0; i < JSONW_MAX_DEPTH + 5; i++)
		jsonw_end_array(b.w);
	jsonw_key(b.w, "after");
	jsonw_int(b.w, 2);
	jsonw_end_object(b.w);
	jsonw_end_array(b.w); /* unbalanced: ignored */
	jsonw_end_line(b.w);
	buf_close(&b);
	ASSERT_TRUE("too_deep_valid", unit_json_valid(b.s, b.n));
	ASSERT_TRUE("too_deep_after", strstr(b.s, "\"after\": 2}\n") != NULL);
	free(b.s);
}

static bool check_string(const char *name, const void *data, size_t len, const char *expected)
{
	struct buf b;
	bool ok;

	buf_open(&b);
	jsonw_string(b.w, data, len);
	buf_close(&b);
	ok = ASSERT_STR(name, b.s, expected);
	free(b.s);
	return ok;
}

#define STR(name, lit, expected) check_string(name, lit, sizeof(lit) - 1, expected)

static void test_strings(void)
{
	STR("str_plain", "/etc/passwd", "\"/etc/passwd\"");
	STR("str_quote_backslash", "a\"b\\c", "\"a\\\"b\\\\c\"");
	STR("str_controls", "\n\t\0\x1f", "\"\\u000a\\u0009\\u0000\\u001f\"");
	STR("str_ansi", "\x1b[31m", "\"\\u001b[31m\"");
	STR("str_del", "\x7f", "\"\\u007f\"");
	STR("str_utf8_kept", "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	STR("str_c1", "\xc2\x9b", "\"\\u009b\"");
	STR("str_line_sep", "\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
	STR("str_invalid", "a\xff\x80z", "\"a\\ufffd\\ufffdz\"");
	STR("str_invalid_cut", "\xe2\x82", "\"\\ufffd\\ufffd\"");
	STR("str_surrogate_bytes", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	STR("str_nonchar", "\xef\xbf\xbe\xef\xb7\x90\xf4\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	STR("str_bidi", "a\xe2\x80\xae" "b\xe2\x81\xa6\xe2\x80\x8b\xef\xbb\xbf",
	    "\"a\\u202eb\\u2066\\u200b\\ufeff\"");
	STR("str_tag_pair", "\xf3\xa0\x80\x81", "\"\\udb40\\udc01\"");
	STR("str_fffd_kept", "\xef\xbf\xbd", "\"\xef\xbf\xbd\"");
	STR("str_slash_kept", "a/b", "\"a/b\"");
}

static void test_ucs_strings(void)
{
	static const uint8_t l1[] = { 'a', 0xe9, 0x00, 0x85, 0xff, '"' };
	static const uint16_t u2[] = { 0xd83d, 0xde00, 0x20ac, 0xdc00 };
	static const uint32_t u4[] = { 0x1f600, 0x110000, 0xd800, 0x2028, '\\' };
	struct buf b;

	buf_open(&b);
	jsonw_start_array(b.w);
	jsonw_string_ucs(b.w, l1, sizeof(l1), 1);
	jsonw_string_ucs(b.w, u2, sizeof(u2), 2);
	jsonw_string_ucs(b.w, u4, sizeof(u4), 4);
	jsonw_end_array(b.w);
	buf_close(&b);
	ASSERT_STR("ucs_strings", b.s,
		   "[\"a\xc3\xa9\\u0000\\u0085\xc3\xbf\\\"\", "
		   "\"\\ufffd\\ufffd\xe2\x82\xac\\ufffd\", "
		   "\"\xf0\x9f\x98\x80\\ufffd\\ufffd\\u2028\\\\\"]");
	free(b.s);
}

/* The lossless side: which units were replaced, and where. */
static void test_replaced(void)
{
	static const uint16_t u2[] = { 'x', 0xd800, 'y', 0xfffe, 0xdc00 };
	static const uint32_t u4[] = { 0x1f600, 0x110000, 0xd800, 0x10ffff, 'a' };
	static const char u8[] = "a\xc3\xa9\xff\xed\xa0\x80z";
	static const uint8_t part[] = { 'a', 0, 0x41 }; /* UCS-2 with a partial last unit */
	struct buf b;

	ASSERT_UINT("unfit_u2", jsonw_unfit(u2, sizeof(u2), 2), 3);
	ASSERT_UINT("unfit_u4", jsonw_unfit(u4, sizeof(u4), 4), 3);
	ASSERT_UINT("unfit_u8", jsonw_unfit(u8, sizeof(u8) - 1, 0), 4);
	ASSERT_UINT("unfit_latin1", jsonw_unfit("\xff\xfe", 2, 1), 0);
	ASSERT_UINT("unfit_clean", jsonw_unfit("caf\xc3\xa9", 5, 0), 0);
	ASSERT_UINT("unfit_partial", jsonw_unfit(part, sizeof(part), 2), 1);
	buf_open(&b);
	jsonw_start_array(b.w);
	jsonw_replaced(b.w, u2, sizeof(u2), 2);
	jsonw_replaced(b.w, u4, sizeof(u4), 4);
	jsonw_replaced(b.w, u8, sizeof(u8) - 1, 0);
	jsonw_replaced(b.w, part, sizeof(part), 2);
	jsonw_end_array(b.w);
	buf_close(&b);
	ASSERT_STR("replaced", b.s,
		   "[[[1, 55296], [3, 65534], [4, 56320]], "
		   "[[1, 1114112], [2, 55296], [3, 1114111]], "
		   "[[2, 255], [3, 237], [4, 160], [5, 128]], "
		   "[[1, 65]]]");
	free(b.s);
}

/*
 * Strictness over random units: whatever the input, the output is ASCII
 * escapes or valid UTF-8 with no surrogate, noncharacter or control byte, and
 * every \\u escape is either not a surrogate or one half of a proper pair.
 */
static bool strict_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;

		if (c == '\\' && i + 1 < n && s[i + 1] == 'u') {
			unsigned v = 0, v2 = 0;

			if (i + 6 > n || sscanf(s + i + 2, "%4x", &v) != 1)
				return false;
			i += 6;
			if (v >= 0xdc00 && v <= 0xdfff)
				return false;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
				    sscanf(s + i + 2, "%4x", &v2) != 1 || v2 < 0xdc00 || v2 > 0xdfff)
					return false;
				i += 6;
			}
			continue;
		}
		if (c == '\\') {
			i += 2;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return false;
		k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (!k || ucs_is_nonchar(cp))
			return false;
		i += k;
	}
	return true;
}

static void test_strict_random(void)
{
	unsigned seed = 12345, round, bad = 0;

	for (round = 0; round < 20000; round++) {
		unsigned char in[64];
		unsigned width = (unsigned[]){ 0, 1, 2, 4 }[round % 4], i, len;
		struct buf b;

		len = (seed = seed * 1103515245 + 12345) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			/* mostly high bytes and surrogate-ish halves */
			in[i] = (seed >> 16) & 1 ? (seed >> 8) & 0xff : (unsigned char[]){ 0xd8, 0xdc, 0xff, 0xfe, 0xed, 0xef, 0x00, 0x11 }[(seed >> 20) & 7];
		}
		buf_open(&b);
		if (width)
			jsonw_string_ucs(b.w, in, len, width);
		else
			jsonw_string(b.w, in, len);
		buf_close(&b);
		if (!strict_ok(b.s, strlen(b.s)))
			bad++;
		free(b.s);
	}
	ASSERT_UINT("strict_random_bad", bad, 0);
}

static void test_double_fixed(void)
{
	static const struct {
		double v;
		const char *repr;
	} cases[] = {
		{ 1.0, "1.0" },
		{ -1.0, "-1.0" },
		{ 0.0, "0.0" },
		{ -0.0, "-0.0" },
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 2.5, "2.5" },
		{ 100.0, "100.0" },
		{ 123.456, "123.456" },
		{ 1e100, "1e+100" },
		{ 1e16, "1e+16" },
		{ 1e22, "1e+22" },
		{ 1234567890123456.0, "1234567890123456.0" },
		{ 9999999999999998.0, "9999999999999998.0" },
		{ 0.0001, "0.0001" },
		{ 0.00001, "1e-05" },
		{ 1.5e-7, "1.5e-07" },
		{ 5e-324, "5e-324" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ -1.25e-300, "-1.25e-300" },
		{ 3.141592653589793, "3.141592653589793" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ INFINITY, "inf" },
		{ -INFINITY, "-inf" },
		{ NAN, "nan" },
	};
	char buf[JSONW_DOUBLE_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = jsonw_format_double(cases[i].v, buf, sizeof(buf));

		ASSERT_STR(unit_name("double_repr[%s]", cases[i].repr), buf, cases[i].repr);
		ASSERT_UINT(unit_name("double_repr_len[%s]", cases[i].repr), n,
			    strlen(cases[i].repr));
	}
	ASSERT_UINT("double_repr_short_buf", jsonw_format_double(0.5, buf, 2), 3);
	ASSERT_STR("double_repr_short_buf_cut", buf, "0");
}

/* 10^e without libm (the Makefile links no -lm). */
static double p10(int e)
{
	double r = 1;

	for (; e > 0; e--)
		r *= 10;
	for (; e < 0; e++)
		r /= 10;
	return r;
}

static double random_double(void)
{
	uint64_t bits = unit_rand();
	double d;

	switch (bits & 3) {
	case 0: /* any bit pattern */
		break;
	case 1: /* small integers and halves */
		return (double)(int64_t)(unit_rand() % 2000001 - 1000000) / 2;
	case 2: /* around the fixed/exponent boundaries */
		return (double)(unit_rand() % 100000) * p10((int)(unit_rand() % 40) - 20);
	default:
		bits >>= 2;
	}
	memcpy(&d, &bits, 8);
	return d;
}

static void test_double_random(void)
{
	char buf[JSONW_DOUBLE_MAX], path[] = "/tmp/test_jsonw.XXXXXX", cmd[600];
	unsigned i, bad_trip = 0, bad_json = 0;
	int fd = mkstemp(path);
	FILE *vals = fd >= 0 ? fdopen(fd, "w") : NULL;

	for (i = 0; i < 20000; i++) {
		double v = random_double();
		uint64_t bits;

		jsonw_format_double(v, buf, sizeof(buf));
		if (isfinite(v)) {
			if (strtod(buf, NULL) != v)
				bad_trip++;
			if (!unit_json_valid(buf, strlen(buf)))
				bad_json++;
		}
		memcpy(&bits, &v, 8);
		if (vals)
			fprintf(vals, "%016llx %s\n", (unsigned long long)bits, buf);
	}
	ASSERT_UINT("double_roundtrip", bad_trip, 0);
	ASSERT_UINT("double_valid_json_number", bad_json, 0);
	if (!vals)
		return;
	fclose(vals);
	if (system("python3 -c pass >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import sys,struct\n"
			 "bad=0\n"
			 "for l in open(sys.argv[1]):\n"
			 " h,r=l.split()\n"
			 " v=struct.unpack(\"<d\",bytes.fromhex(h)[::-1])[0]\n"
			 " if repr(v)!=r:\n"
			 "  bad+=1\n"
			 "  if bad<5:\n"
			 "   print(\"test:FAIL:double_vs_python actual\",r,\"!= expected\",\n"
			 "         repr(v))\n"
			 "sys.exit(1 if bad else 0)' %s",
			 path);
		ASSERT_INT("double_same_as_python_repr", system(cmd), 0);
	} else {
		printf("test_jsonw: python3 not found, skipping the repr() comparison\n");
	}
	unlink(path);
}

static void test_double_writer(void)
{
	struct buf b;

	buf_open(&b);
	jsonw_start_array(b.w);
	jsonw_double(b.w, 1.0);
	jsonw_double(b.w, 1e100);
	jsonw_double(b.w, NAN);
	jsonw_double(b.w, -INFINITY);
	jsonw_end_array(b.w);
	buf_close(&b);
	ASSERT_STR("double_writer", b.s, "[1.0, 1e+100, \"nan\", \"-inf\"]");
	free(b.s);
}

/* Random bytes and code units in every kind of string: always valid JSON Lines. */
static void test_random_validity(void)
{
	char path[] = "/tmp/test_jsonw.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct jsonw *w = jsonw__new(f);
	unsigned i, j, bad = 0;
	bool ran;

	for (i = 0; i < 5000; i++) {
		uint8_t data[48];
		size_t len = unit_rand() % sizeof(data);
		char *s = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&s, &n);
		struct jsonw *mw = jsonw__new(m);

		for (j = 0; j < len; j++)
			data[j] = (j & 1) && (unit_rand() & 1) ? 0xd8 | (unit_rand() & 7)
							     : (uint8_t)unit_rand();
		jsonw_start_object(mw);
		jsonw_key(mw, "k\n\xff");
		jsonw_string(mw, data, len);
		jsonw_key(mw, "u1");
		jsonw_string_ucs(mw, data, len, 1);
		jsonw_key(mw, "u2");
		jsonw_string_ucs(mw, data, len, 2);
		jsonw_key(mw, "u4");
		jsonw_string_ucs(mw, data, len, 4);
		jsonw_end_object(mw);
		jsonw_end_line(mw);
		jsonw__free(mw);
		fclose(m);
		if (!unit_json_valid(s, n) || memchr(s, '\n', n - 1) || s[n - 1] != '\n')
			bad++;
		fwrite(s, 1, n, f);
		free(s);

		/* the same through the file writer, for Python */
		jsonw_start_array(w);
		jsonw_string(w, data, len);
		jsonw_string_ucs(w, data, len, 2);
		jsonw_end_array(w);
		jsonw_end_line(w);
	}
	jsonw__free(w);
	fclose(f);
	ASSERT_UINT("random_strings_valid_json", bad, 0);
	ASSERT_TRUE("random_strings_python_json", unit_python_json_lines(path, &ran));
	if (!ran)
		printf("test_jsonw: python3 not found, skipping the json module check\n");
	unlink(path);
}

/*
 * A line longer than the writer's own buffer goes out in pieces, in order;
 * a line is in the stream once it is ended.
 */
static void test_long_line(void)
{
	static char plain[200000], esc[100000];
	struct buf b;
	size_t i, n, at, bad = 0;
	char num[24];

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = 'a' + i % 26;
	for (i = 0; i < sizeof(esc); i++)
		esc[i] = i % 3 ? '"' : '\n';
	buf_open(&b);
	jsonw_start_array(b.w);
	jsonw_string(b.w, plain, sizeof(plain));
	for (i = 0; i < 3000; i++)
		jsonw_uint(b.w, i);
	jsonw_string(b.w, esc, sizeof(esc));
	jsonw_end_array(b.w);
	jsonw_end_line(b.w);
	fflush(b.f);
	ASSERT_TRUE("long line: in the stream once ended", b.n > 0 && b.s[b.n - 1] == '\n');
	jsonw_start_array(b.w);
	jsonw_end_array(b.w);
	jsonw_end_line(b.w);
	buf_close(&b);

	/* [ "plain" , 0 , 1 ... , "esc" ] \n [] \n, checked piece by piece */
	at = 0;
#define EXPECT(p, len)                                                                         \
	do {                                                                                   \
		if (at + (len) > b.n || memcmp(b.s + at, (p), (len)))                          \
			bad++;                                                                 \
		at += (len);                                                                   \
	} while (0)
	EXPECT("[\"", 2);
	EXPECT(plain, sizeof(plain));
	EXPECT("\"", 1);
	for (i = 0; i < 3000; i++) {
		n = snprintf(num, sizeof(num), ", %zu", i);
		EXPECT(num, n);
	}
	EXPECT(", \"", 3);
	for (i = 0; i < sizeof(esc); i++) {
		if (i % 3)
			EXPECT("\\\"", 2);
		else
			EXPECT("\\u000a", 6);
	}
	EXPECT("\"]\n[]\n", 6);
#undef EXPECT
	ASSERT_UINT("long line: every piece exact and in order", bad, 0);
	ASSERT_UINT("long line: nothing more", b.n, at);
	free(b.s);
}

int main(void)
{
	test_structure();
	test_too_deep();
	test_strings();
	test_ucs_strings();
	test_replaced();
	test_strict_random();
	test_double_fixed();
	test_double_random();
	test_double_writer();
	test_random_validity();
	test_long_line();
	return unit_summary("test_jsonw");
}
