// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_site.c - line numbers from real line tables: site_addr2line() against
 * what each CPython says of the same function (3.9: dis.findlinestarts over
 * co_lnotab; 3.11+: code.co_lines() over the location table), for every
 * instruction.  The tables were made by compiling one function (below) with
 * Debian's 3.9, 3.11, 3.13, 3.14 and 3.15; then cut and hostile tables.
 *
 *   def f(a, b):
 *       x = a + b
 *       if x > 10:
 *           y = [i * 2
 *                for i in range(x)]
 *       else:
 *           y = None
 *
 *       try:
 *           z = 1 / a
 *       except ZeroDivisionError:
 *           z = 0
 *       return (x,
 *               y,
 *               z)
 */
#include <stdlib.h>
#include <string.h>
#include "site.h"
#include "unit.h"

static const uint8_t tab_3_9[] = { 0, 1, 8, 1, 8, 1, 6, 1, 6, 255, 8, 3, 4, 2, 2, 1, 12, 1, 12, 1, 10, 1, 2, 1, 2, 1, 2, 254 };
static const int exp_3_9[] = { 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 5, 5, 5, 5, 8, 8, 10, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 14, 15, 16, 14, 14 };
static const uint8_t tab_3_13[] = { 128, 0, 216, 8, 9, 137, 5, 128, 65, 216, 7, 8, 136, 50, 131, 118, 228, 22, 27, 152, 65, 148, 104, 243, 3, 1, 13, 32, 218, 22, 30, 144, 17, 240, 3, 0, 14, 15, 144, 17, 140, 85, 217, 22, 30, 240, 3, 0, 9, 10, 240, 0, 1, 13, 32, 136, 1, 240, 6, 0, 13, 17, 136, 1, 240, 4, 3, 5, 14, 216, 12, 13, 144, 1, 137, 69, 136, 1, 240, 6, 0, 13, 14, 216, 12, 13, 216, 12, 13, 240, 5, 2, 12, 15, 240, 0, 2, 5, 15, 249, 242, 19, 1, 13, 32, 248, 244, 14, 0, 12, 29, 243, 0, 1, 5, 14, 216, 12, 13, 138, 1, 240, 3, 1, 5, 14, 250 };
static const int exp_3_13[] = { 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 5, 5, 8, 8, 10, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1, 5, 5, 5, -1, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1 };
static const uint8_t tab_3_14[] = { 128, 0, 216, 8, 9, 141, 5, 128, 65, 216, 7, 8, 136, 50, 132, 118, 228, 22, 27, 152, 65, 148, 104, 243, 3, 1, 13, 32, 217, 22, 30, 144, 17, 240, 3, 0, 14, 15, 144, 17, 143, 85, 136, 85, 217, 22, 30, 240, 3, 0, 9, 10, 240, 0, 1, 13, 32, 136, 1, 240, 6, 0, 13, 17, 136, 1, 240, 4, 3, 5, 14, 216, 12, 13, 144, 1, 141, 69, 136, 1, 240, 6, 0, 13, 14, 216, 12, 13, 216, 12, 13, 240, 5, 2, 12, 15, 240, 0, 2, 5, 15, 249, 242, 19, 1, 13, 32, 248, 244, 14, 0, 12, 29, 244, 0, 1, 5, 14, 216, 12, 13, 138, 1, 240, 3, 1, 5, 14, 250 };
static const int exp_3_14[] = { 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 5, 5, 8, 8, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1, 5, 5, 5, -1, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1 };
static const uint8_t tab_3_15[] = { 129, 0, 216, 8, 9, 141, 5, 128, 65, 216, 7, 8, 136, 50, 132, 118, 228, 22, 27, 152, 65, 147, 104, 243, 3, 1, 13, 32, 219, 22, 30, 144, 17, 240, 3, 0, 14, 15, 144, 17, 143, 85, 136, 85, 217, 22, 30, 240, 3, 0, 9, 10, 240, 0, 1, 13, 32, 136, 1, 240, 6, 0, 13, 17, 136, 1, 240, 4, 3, 5, 14, 216, 12, 13, 144, 1, 141, 69, 136, 1, 240, 6, 0, 13, 14, 216, 12, 13, 216, 12, 13, 240, 5, 2, 12, 15, 240, 0, 2, 5, 15, 249, 242, 19, 1, 13, 32, 248, 244, 14, 0, 12, 29, 244, 0, 1, 5, 14, 216, 12, 13, 138, 1, 240, 3, 1, 5, 14, 250 };
static const int exp_3_15[] = { 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 5, 5, 8, 8, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1, 5, 5, 5, -1, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1 };
static const uint8_t tab_3_11[] = { 128, 0, 216, 8, 9, 136, 65, 137, 5, 128, 65, 216, 7, 8, 136, 50, 130, 118, 128, 118, 240, 2, 1, 13, 32, 240, 0, 1, 13, 32, 221, 22, 27, 152, 65, 145, 104, 148, 104, 240, 3, 1, 13, 32, 241, 0, 1, 13, 32, 244, 0, 1, 13, 32, 136, 1, 136, 1, 240, 6, 0, 13, 17, 136, 1, 240, 4, 3, 5, 14, 216, 12, 13, 144, 1, 137, 69, 136, 1, 136, 1, 248, 221, 11, 28, 240, 0, 1, 5, 14, 240, 0, 1, 5, 14, 240, 0, 1, 5, 14, 216, 12, 13, 136, 1, 136, 1, 136, 1, 240, 3, 1, 5, 14, 248, 248, 248, 224, 12, 13, 216, 12, 13, 216, 12, 13, 240, 5, 2, 12, 15, 240, 0, 2, 5, 15 };
static const int exp_3_11[] = { 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 8, 8, 10, 11, 11, 11, 11, 11, 11, -1, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1, 14, 15, 16, 14, 14 };

static void check(const char *name, unsigned minor, const uint8_t *tab, size_t len,
		  const int *exp, size_t n)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++)
		if (site_addr2line(minor, tab, len, false, 2, 2 * i) != exp[i]) {
			if (!bad)
				ASSERT_INT(name, site_addr2line(minor, tab, len, false, 2, 2 * i), exp[i]);
			bad = 1;
		}
	if (!bad)
		ASSERT_INT(name, 0, 0);
	ASSERT_INT(name, site_addr2line(minor, tab, len, false, 2, -1), 2); /* before the start */
}

#define CHECK(m) check("3." #m, m, tab_3_##m, sizeof(tab_3_##m), exp_3_##m, \
		       sizeof(exp_3_##m) / sizeof(int))

int main(void)
{
	static uint8_t junk[4096];
	size_t i;

	CHECK(9);
	CHECK(11);
	CHECK(13);
	CHECK(14);
	CHECK(15);
	/*
	 * 3.10 (no such binary here): a table made by hand per Objects/lnotab_notes.txt of
	 * 3.10, (bytecode length, line delta) pairs, -128 for no line, from co_firstlineno.
	 */
	{
		static const uint8_t t10[] = { 6, 1, 4, 0x80, 8, 2, 254, 0, 2, 0xfb };
		static const struct { int off, line; } v[] = {
			{ 0, 11 }, { 4, 11 }, { 6, -1 }, { 8, -1 }, { 10, 13 }, { 16, 13 },
			{ 18, 13 }, { 270, 13 }, { 272, 8 }, { 274, -1 },
		};
		size_t k;

		for (k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			ASSERT_INT("3.10 hand-made", site_addr2line(10, t10, sizeof(t10), false, 10,
								     v[k].off), v[k].line);
	}
	/* a cut table: an instruction past it has no line, never a wrong one */
	ASSERT_INT("3.9 cut", site_addr2line(9, tab_3_9, 4, true, 2, 80), -1);
	ASSERT_INT("3.11 cut", site_addr2line(11, tab_3_11, 4, true, 2, 120), -1);
	ASSERT_INT("3.11 past the end", site_addr2line(11, tab_3_11, sizeof(tab_3_11), false, 2,
						       100000), -1);
	/* hostile bytes: bounded, no crash (the answer does not matter) */
	srand(1);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	for (i = 0; i < 2000; i++) {
		unsigned minor = 8 + i % 8;

		site_addr2line(minor, junk, rand() % sizeof(junk), i & 1, rand(), rand());
	}
	memset(junk, 0xff, sizeof(junk)); /* endless varints */
	site_addr2line(11, junk, sizeof(junk), false, 1, 1 << 30);
	ASSERT_INT("hostile done", 0, 0);
	return unit_summary("test_site");
}
