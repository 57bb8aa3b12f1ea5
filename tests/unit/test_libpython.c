// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_libpython.c - root-free tests of user/libpython.c: the DT_NEEDED and
 * RUNPATH of pyenv's bin/python3.11 (skipped when absent), files that are no
 * dynamic executable, and the search order inside a made-up root directory
 * (RUNPATH with $ORIGIN, ld.so.conf.d, the standard directories; symbolic
 * links resolved inside the root, FIFOs and directories never taken).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpython.h"
#include "unit.h"

#define PYENV_EXE "/root/.pyenv/versions/3.11.7/bin/python3.11"
#define LIB	  "libpython3.11.so.1.0"

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void dir(const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

/* libpython_open of name with runpath, in root; the path it gives ("" for none). */
static const char *find(const char *runpath, const char *origin, char *out, size_t size)
{
	struct libpython_needed nd = { .n = 1 };
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	snprintf(nd.name[0], sizeof(nd.name[0]), "%s", LIB);
	snprintf(nd.runpath, sizeof(nd.runpath), "%s", runpath);
	fd = libpython_open(&nd, 0, rootfd, origin, out, size);
	if (fd >= 0)
		close(fd);
	else
		out[0] = 0;
	close(rootfd);
	return out;
}

static void test_needed(void)
{
	struct libpython_needed nd;
	char path[PATH_MAX * 2];
	int fd;

	fd = open(PYENV_EXE, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* read from its start whatever the offset */
		lseek(fd, 100, SEEK_SET);
		ASSERT_INT("pyenv:n", libpython_needed(fd, &nd), 1);
		ASSERT_STR("pyenv:name", nd.name[0], LIB);
		ASSERT_STR("pyenv:runpath", nd.runpath, "/root/.pyenv/versions/3.11.7/lib");
		close(fd);
	} else {
		printf("skip: %s absent\n", PYENV_EXE);
	}
	fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);
	ASSERT_INT("sh:none", fd >= 0 ? libpython_needed(fd, &nd) : 0, 0);
	if (fd >= 0)
		close(fd);
	/* not an ELF file at all, an empty one, a FIFO */
	put("text", "#!/bin/sh\n");
	put("empty", "");
	snprintf(path, sizeof(path), "%s/text", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_INT("text:none", libpython_needed(fd, &nd), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/empty", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_INT("empty:none", libpython_needed(fd, &nd), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/fifo", root);
	mkfifo(path, 0600);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_INT("fifo:none", libpython_needed(fd, &nd), 0);
	close(fd);
}

static void test_search(void)
{
	char out[PATH_MAX], origin[PATH_MAX * 2], want[PATH_MAX * 3];

	dir("bin");
	dir("lib");
	dir("opt");
	dir("opt/py");
	dir("etc");
	dir("etc/ld.so.conf.d");
	dir("usr");
	dir("usr/local");
	dir("usr/local/lib");
	snprintf(origin, sizeof(origin), "%s/bin", root);

	ASSERT_STR("none", find("", origin, out, sizeof(out)), "");
	/* a standard directory, inside the root */
	put("usr/local/lib/" LIB, "x");
	ASSERT_STR("std", find("", origin, out, sizeof(out)), "/usr/local/lib/" LIB);
	/* ld.so.conf.d comes before it; comments and blanks skipped, files in name order */
	put("etc/ld.so.conf.d/b.conf", "# none\n\n/opt/py # here\n");
	put("etc/ld.so.conf.d/a.conf", "/nonexistent\n");
	put("opt/py/" LIB, "x");
	ASSERT_STR("conf", find("", origin, out, sizeof(out)), "/opt/py/" LIB);
	/* RUNPATH before both; $ORIGIN is the executable's directory as we reach it */
	put("lib/" LIB, "x");
	snprintf(want, sizeof(want), "%s/bin/../lib/" LIB, root);
	ASSERT_STR("origin", find("/nowhere:$ORIGIN/../lib", origin, out, sizeof(out)), want);
	ASSERT_STR("origin braces", find("${ORIGIN}/../lib", origin, out, sizeof(out)), want);
	/* other tokens and relative directories are skipped, absolute ones are in the root */
	ASSERT_STR("tokens", find("$ORIGINAL/../lib:$LIB:lib:/lib", origin, out, sizeof(out)),
		   "/lib/" LIB);
	/* a symbolic link is resolved inside the root: /lib -> / of the root, not ours */
	symlink("/lib", (snprintf(want, sizeof(want), "%s/link", root), want));
	ASSERT_STR("link in root", find("/link", origin, out, sizeof(out)), "/link/" LIB);
	/* a directory or a FIFO of that name is never taken */
	dir("opt/dir");
	dir("opt/dir/" LIB);
	snprintf(want, sizeof(want), "%s/opt/fifo", root);
	mkdir(want, 0755);
	snprintf(want, sizeof(want), "%s/opt/fifo/" LIB, root);
	mkfifo(want, 0600);
	ASSERT_STR("not regular", find("/opt/dir:/opt/fifo", origin, out, sizeof(out)),
		   "/opt/py/" LIB);
	/* more directories than LIBPYTHON_MAX_DIRS: the rest is not looked at */
	{
		char many[LIBPYTHON_RUNPATH_MAX] = "";
		int i;

		for (i = 0; i < LIBPYTHON_MAX_DIRS; i++)
			strcat(many, "/x:");
		strcat(many, "/lib");
		ASSERT_STR("max dirs", find(many, origin, out, sizeof(out)), "/opt/py/" LIB);
	}
}

int main(void)
{
	char cmd[PATH_MAX + 16];
	int rc;

	snprintf(root, sizeof(root), "%s/pa-libpython-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_needed();
	test_search();
	rc = unit_summary("test_libpython");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		rc = 1;
	return rc;
}
