// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_outfile.c - the output file without the tracer: --rotate's argument,
 * whole lines only (a line cut by stdio's buffer waits for its end), rotation
 * between lines with every file under SIZE and nothing lost, --append, reopen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "outfile.h"
#include "unit.h"

static void test_parse_rotate(void)
{
	uint64_t size = 0;
	unsigned count = 0;

	ASSERT_INT("rotate_plain", outfile_parse_rotate("10000", &size, &count), 0);
	ASSERT_UINT("rotate_plain_size", size, 10000);
	ASSERT_UINT("rotate_default_count", count, 5);
	ASSERT_INT("rotate_k", outfile_parse_rotate("64K,3", &size, &count), 0);
	ASSERT_UINT("rotate_k_size", size, 65536);
	ASSERT_UINT("rotate_k_count", count, 3);
	ASSERT_INT("rotate_g", outfile_parse_rotate("2G", &size, &count), 0);
	ASSERT_UINT("rotate_g_size", size, 2ull << 30);
	ASSERT_INT("rotate_small", outfile_parse_rotate("100", &size, &count), -EINVAL);
	ASSERT_INT("rotate_junk", outfile_parse_rotate("10MB", &size, &count), -EINVAL);
	ASSERT_INT("rotate_neg", outfile_parse_rotate("-1", &size, &count), -EINVAL);
	ASSERT_INT("rotate_count0", outfile_parse_rotate("1M,0", &size, &count), -EINVAL);
	ASSERT_INT("rotate_count_big", outfile_parse_rotate("1M,1001", &size, &count), -EINVAL);
	ASSERT_INT("rotate_count_junk", outfile_parse_rotate("1M,x", &size, &count), -EINVAL);
	ASSERT_INT("rotate_empty", outfile_parse_rotate("", &size, &count), -EINVAL);
	ASSERT_INT("rotate_overflow", outfile_parse_rotate("99999999999999999999G", &size, &count),
		   -EINVAL);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return NULL;
	for (;;) {
		buf = realloc(buf, cap + 65536);
		size_t r = fread(buf + cap, 1, 65536, f);

		cap += r;
		if (r < 65536)
			break;
	}
	fclose(f);
	*n = cap;
	return buf;
}

static void test_rotation(void)
{
	char dir[] = "/tmp/pa-outfile-XXXXXX", path[256], name[300];
	struct outfile_opts o = { .rotate_size = 8192, .rotate_count = 100 };
	struct outfile *f;
	unsigned i, next = 0, files = 0, bad = 0, k;

	ASSERT_TRUE("mkdtemp", mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ev", dir);
	o.path = path;
	f = outfile__open(&o);
	ASSERT_TRUE("open", f != NULL);
	if (!f)
		return;
	/* lines of varying length, some longer than stdio's buffer chunks, committed now and then */
	for (i = 0; i < 3000; i++) {
		fprintf(outfile__stream(f), "{\"seq\": %u, \"pad\": \"%*s\"}\n", i, (int)(i * 7 % 300), "");
		if (i % 97 == 0)
			ASSERT_INT("commit", outfile__commit(f), 0);
	}
	outfile__close(f);
	/* oldest first: ev.N .. ev.1, ev; every line whole, numbers in order, files <= 8192 */
	for (k = 101; k-- > 0;) {
		size_t n;
		char *data, *p, *nl;

		if (k)
			snprintf(name, sizeof(name), "%s.%u", path, k);
		else
			snprintf(name, sizeof(name), "%s", path);
		data = slurp(name, &n);
		if (data) {
			files++;
			if (n > 8192 || (n && data[n - 1] != '\n'))
				bad++;
			for (p = data; p < data + n; p = nl + 1) {
				unsigned seq;

				nl = memchr(p, '\n', data + n - p);
				if (!nl || sscanf(p, "{\"seq\": %u,", &seq) != 1 || seq != next ||
				    nl[-1] != '}')
					bad++;
				next++;
				if (!nl)
					break;
			}
			free(data);
			unlink(name);
		}
	}
	ASSERT_UINT("rotation_bad", bad, 0);
	ASSERT_UINT("rotation_all_lines", next, 3000);
	ASSERT_TRUE("rotation_many_files", files > 20);
	rmdir(dir);
}

static void test_append_reopen(void)
{
	char dir[] = "/tmp/pa-outfile-XXXXXX", path[256], moved[300];
	struct outfile_opts o = { 0 };
	struct outfile *f;
	size_t n;
	char *data;

	ASSERT_TRUE("mkdtemp", mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ev", dir);
	snprintf(moved, sizeof(moved), "%s/ev.old", dir);
	o.path = path;
	f = outfile__open(&o);
	fputs("one\ntw", outfile__stream(f));
	ASSERT_INT("partial_commit", outfile__commit(f), 0);
	data = slurp(path, &n);
	ASSERT_MEM("only_whole_lines", data, n, "one\n", 4);
	free(data);
	fputs("o\n", outfile__stream(f));
	rename(path, moved);
	ASSERT_INT("reopen", outfile__reopen(f), 0);
	fputs("three\n", outfile__stream(f));
	outfile__close(f);
	data = slurp(moved, &n);
	ASSERT_MEM("before_reopen", data, n, "one\ntwo\n", 8);
	free(data);
	o.append = true;
	f = outfile__open(&o);
	fputs("four\n", outfile__stream(f));
	outfile__close(f);
	data = slurp(path, &n);
	ASSERT_MEM("appended", data, n, "three\nfour\n", 11);
	free(data);
	o.append = false;
	f = outfile__open(&o);
	outfile__close(f);
	data = slurp(path, &n);
	ASSERT_UINT("truncated", n, 0);
	free(data);
	o.path = "/dev/full";
	f = outfile__open(&o);
	fputs("x\n", outfile__stream(f));
	ASSERT_INT("dev_full", outfile__commit(f), -ENOSPC);
	ASSERT_INT("dev_full_sticks", outfile__error(f), ENOSPC);
	outfile__close(f);
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

int main(void)
{
	test_parse_rotate();
	test_rotation();
	test_append_reopen();
	return unit_summary("test_outfile");
}
