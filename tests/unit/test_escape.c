// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_escape.c - escape_text(), escape_ucs(), escape_bytes() and the UTF-8
 * helpers: fixed cases for each rule (newlines, ANSI, NUL, C1, invalid UTF-8,
 * surrogates), every code point through the encoder and decoder, and a
 * round-trip property: unescaping the output of escape_text() over random
 * bytes gives the bytes back, on one line, with no control byte left.
 */
#include "escape.h"
#include "unit.h"

enum which { TEXT, UCS1, UCS2, UCS4, BYTES };

/* Escapes into a malloc'd NUL-terminated string (*n bytes). */
static char *esc(enum which w, const void *data, size_t len, char q, size_t *n)
{
	char *out = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&out, &sz);

	switch (w) {
	case TEXT:
		escape_text(f, data, len, q);
		break;
	case UCS1:
		escape_ucs(f, data, len, 1, q);
		break;
	case UCS2:
		escape_ucs(f, data, len, 2, q);
		break;
	case UCS4:
		escape_ucs(f, data, len, 4, q);
		break;
	case BYTES:
		escape_bytes(f, data, len, q);
		break;
	}
	fclose(f);
	if (n)
		*n = sz;
	return out;
}

static bool check(const char *name, enum which w, const void *data, size_t len, char q,
		  const char *expected)
{
	char *out = esc(w, data, len, q, NULL);
	bool ok = ASSERT_STR(name, out, expected);

	free(out);
	return ok;
}

#define TXT(name, lit, q, expected) check(name, TEXT, lit, sizeof(lit) - 1, q, expected)

static void test_text_rules(void)
{
	TXT("text_plain", "/etc/passwd", '\'', "/etc/passwd");
	TXT("text_empty", "", '\'', "");
	TXT("text_newline", "a\nb", 0, "a\\nb");
	TXT("text_crtab", "\r\t", 0, "\\r\\t");
	TXT("text_backslash", "a\\b", 0, "a\\\\b");
	TXT("text_quote", "it's", '\'', "it\\'s");
	TXT("text_quote_other", "say \"hi\"", '\'', "say \"hi\"");
	TXT("text_no_quote", "it's", 0, "it's");
	TXT("text_nul", "a\0b", 0, "a\\x00b");
	TXT("text_ansi", "\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m");
	TXT("text_bell_del", "\a\x7f", 0, "\\x07\\x7f");
	TXT("text_utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	TXT("text_c1", "\xc2\x85\xc2\x9b[0m", 0, "\\u0085\\u009b[0m");
	TXT("text_nbsp_kept", "\xc2\xa0", 0, "\xc2\xa0");
	TXT("text_invalid_lone", "a\x80z\xff", 0, "a\\x80z\\xff");
	TXT("text_invalid_cut", "x\xe2\x82", 0, "x\\xe2\\x82");
	TXT("text_invalid_cut_mid", "\xe2\x82x", 0, "\\xe2\\x82x");
	TXT("text_overlong", "\xc0\xaf\xe0\x80\xaf", 0, "\\xc0\\xaf\\xe0\\x80\\xaf");
	TXT("text_surrogate", "\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	TXT("text_above_max", "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");
	TXT("text_max_ok", "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf");
	TXT("text_f5", "\xf5\x80\x80\x80", 0, "\\xf5\\x80\\x80\\x80");
}

static void test_ucs(void)
{
	static const uint8_t l1[] = { 'c', 'a', 'f', 0xe9, '\n', 0x85, 0x00, '\'' };
	static const uint16_t u2[] = { 0x20ac, 0xd800, 'a', 0xdfff, 0x1b, 0xfffe };
	static const uint32_t u4[] = { 0x1f600, 0x110000, 0xdc00, 0x7f, 'q', 0xffffffff };
	static const uint8_t odd[] = { 'a', 0, 'b' };

	check("ucs1", UCS1, l1, sizeof(l1), '\'', "caf\xc3\xa9\\n\\u0085\\x00\\'");
	check("ucs2", UCS2, u2, sizeof(u2), 0,
	      "\xe2\x82\xac\\ud800a\\udfff\\x1b\xef\xbf\xbe");
	check("ucs4", UCS4, u4, sizeof(u4), 0,
	      "\xf0\x9f\x98\x80\\U00110000\\udc00\\x7fq\\Uffffffff");
	check("ucs2_partial_unit", UCS2, odd, sizeof(odd), 0, "a\\x62");
	{
		char *out = NULL;
		size_t sz = 0;
		FILE *f = open_memstream(&out, &sz);

		escape_ucs(f, "o\xff", 2, 3, 0); /* no such width: shown as bytes */
		fclose(f);
		ASSERT_STR("ucs_bad_width", out, "o\\xff");
		free(out);
	}
}

/* Format characters reorder or hide what a terminal shows: escaped like controls. */
static void test_format_chars(void)
{
	static const uint16_t u2[] = { 'a', 0x202e, 'b', 0x2066, 0x2069, 0x200b, 0xfeff, 0xad, 0xe9 };
	static const uint32_t u4[] = { 0xe0041, 0x1f600, 0x2028 };
	uint32_t cp, nfmt = 0;

	TXT("text_rlo", "x\xe2\x80\xae" "cod.exe", '\'', "x\\u202ecod.exe");
	TXT("text_isolates", "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0,
	    "\\u2066\\u2067\\u2068\\u2069");
	TXT("text_zero_width", "\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f", 0,
	    "\\u200b\\u200c\\u200d\\u200e\\u200f");
	TXT("text_line_sep", "\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf", 0, "\\u2028\\u2029\\ufeff");
	TXT("text_tag", "\xf3\xa0\x81\x81", 0, "\\U000e0041");
	TXT("text_not_format", "\xe2\x80\x90\xc3\xa9", 0, "\xe2\x80\x90\xc3\xa9");
	check("ucs2_format", UCS2, u2, sizeof(u2), 0,
	      "a\\u202eb\\u2066\\u2069\\u200b\\ufeff\\u00ad\xc3\xa9");
	check("ucs4_format", UCS4, u4, sizeof(u4), 0, "\\U000e0041\xf0\x9f\x98\x80\\u2028");
	/* the table against the categories it was generated from (Cf 163, Zl 1, Zp 1 in Unicode 14) */
	for (cp = 0; cp < 0x110000; cp++)
		nfmt += ucs_is_format(cp);
	ASSERT_UINT("format_count", nfmt, 165);
}

static void test_bytes(void)
{
	static const uint8_t b[] = { 'a', 0, 0xff, '\'', '\n', '\\', 0x7f, 0xc3, 0xa9, ' ' };

	check("bytes_repr", BYTES, b, sizeof(b), '\'', "a\\x00\\xff\\'\\n\\\\\\x7f\\xc3\\xa9 ");
}

static void test_utf8_all_code_points(void)
{
	unsigned bad = 0;
	uint32_t cp;

	for (cp = 0; cp < 0x110000; cp++) {
		unsigned char u[4];
		uint32_t back = ~0u;
		size_t n = utf8_encode(cp, u), m;

		m = utf8_decode(u, n, &back);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			if (n != 3 || m != 0)
				bad++;
		} else if (!n || m != n || back != cp) {
			bad++;
		}
	}
	ASSERT_UINT("utf8_roundtrip_all", bad, 0);
	{
		unsigned char u[4];

		ASSERT_UINT("utf8_encode_too_big", utf8_encode(0x110000, u), 0);
	}
}

/* Inverse of escape_text() (the forms it produces only); returns the length. */
static size_t unescape(const char *s, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'n':
			out[o++] = '\n';
			i++;
			break;
		case 'r':
			out[o++] = '\r';
			i++;
			break;
		case 't':
			out[o++] = '\t';
			i++;
			break;
		case 'x':
			out[o++] = strtoul((char[]){ s[i + 1], s[i + 2], 0 }, NULL, 16);
			i += 3;
			break;
		case 'u': {
			char h[5] = { s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0 };

			o += utf8_encode(strtoul(h, NULL, 16), out + o);
			i += 5;
			break;
		}
		default:
			out[o++] = s[i++];
			break;
		}
	}
	return o;
}

static void test_text_roundtrip_random(void)
{
	unsigned iter, bad_trip = 0, bad_line = 0;
	static const char special[] = "\n\x1b\\'\x80\xc2\xe2\xf0\xed\xff\x7f";
	unsigned char in[64], back[64 * 4];

	for (iter = 0; iter < 20000; iter++) {
		size_t len = unit_rand() % sizeof(in), i, n, m;
		char *out;

		for (i = 0; i < len; i++) {
			uint64_t r = unit_rand();

			/* bias towards the interesting bytes */
			in[i] = (r & 3) == 0 ? special[(r >> 8) % (sizeof(special) - 1)]
					     : (uint8_t)(r >> 16);
		}
		out = esc(TEXT, in, len, '\'', &n);
		for (i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				bad_line++;
		m = unescape(out, n, back);
		if (m != len || memcmp(back, in, len)) {
			if (!bad_trip)
				ASSERT_MEM("text_roundtrip_first", back, m, in, len);
			bad_trip++;
		}
		free(out);
	}
	ASSERT_UINT("text_roundtrip_random", bad_trip, 0);
	ASSERT_UINT("text_one_line_no_controls", bad_line, 0);
}

int main(void)
{
	test_text_rules();
	test_ucs();
	test_format_chars();
	test_bytes();
	test_utf8_all_code_points();
	test_text_roundtrip_random();
	return unit_summary("test_escape");
}
