// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * seed_records.c - writes seed inputs for fuzz_decode into DIR: one option
 * byte, then a valid record, for each value kind and a few nestings.
 *
 * Usage: seed_records DIR
 */
#include <stdio.h>

#include "unit.h"

static const char *dir;
static int nseeds;

static void save(struct rec *r, unsigned opt)
{
	size_t n = rec_end(r);
	char path[4096];
	unsigned char o = (unsigned char)opt;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02d", dir, nseeds++);
	f = fopen(path, "wb");
	if (!f || fwrite(&o, 1, 1, f) != 1 || fwrite(r->buf, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const uint32_t two70[] = { 0, 0, 1u << 10 };
	struct rec r;
	double one = 1.0;

	if (argc != 2) {
		fprintf(stderr, "usage: seed_records DIR\n");
		return 2;
	}
	dir = argv[1];

	rec_init(&r, 2, 2, 0);
	rec_cstr(&r, "open");
	rec_str(&r, "/etc/passwd");
	rec_str(&r, "r");
	save(&r, 0);

	rec_init(&r, 9, 11, PA_EV_ARGS_TRUNC);
	rec_cstr(&r, "socket.connect");
	rec_simple(&r, PA_V_TUPLE, 3, 3);
	rec_str(&r, "127.0.0.1");
	rec_int(&r, 80);
	rec_simple(&r, PA_V_LIST, 1, 2);
	rec_float(&r, 2.5);
	rec_val(&r, PA_V_STR, 0, 2, 4, "a\0\xe9\0\x00\xd8z\0", 8);
	rec_val(&r, PA_V_STR, 0, 4, 2, "\x00\xf6\x01\x00\xff\xff\x10\x00", 8);
	rec_val(&r, PA_V_BYTES, PA_VF_TRUNC, 4, 9, "\x1b[0m", 4);
	rec_pylong(&r, two70, 3, true);
	rec_cstr(&r, "caf\xc3\xa9\n");
	rec_val(&r, PA_V_OTHER, PA_VF_SUBCLASS, 0, 0x7f0012345678, "function", 8);
	rec_val(&r, PA_V_WSTR, 0, 4, 0, "a\0\0\0\x00\xd8\0\0", 8);
	rec_simple(&r, PA_V_DICT, 0, 2);
	save(&r, 1);

	rec_init(&r, 6, 6, PA_EV_PYLEVEL);
	rec_val(&r, PA_V_STR, 0, 1, 6, "my.evt", 6);
	rec_simple(&r, PA_V_NONE, 0, 0);
	rec_simple(&r, PA_V_BOOL, 1, 0);
	rec_uint(&r, ~0ull);
	rec_val(&r, PA_V_BYTEARRAY, 0, 0, 3, "\0\xff\n", 3);
	rec_simple(&r, PA_V_UNREADABLE, 0, 0x1000);
	rec_val(&r, PA_V_FLOAT, 0, 0, 0, &one, 8);
	save(&r, 2);

	rec_init(&r, 1, 1, PA_EV_LAYOUT_UNKNOWN | PA_EV_FMT_UNSUPPORTED);
	rec_cstr(&r, "exec");
	rec_simple(&r, PA_V_TUPLE, 2, 2);
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_str(&r, "x");
	rec_simple(&r, PA_V_LIST, 0, 0);
	save(&r, 5);
	printf("seed_records: %d seeds in %s\n", nseeds, dir);
	return 0;
}
