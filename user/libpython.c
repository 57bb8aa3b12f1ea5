// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libpython.c - the libpython a dynamic executable links, found as ld.so
 * would find it (see libpython.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elf.h"
#include "libpython.h"

#define MAX_CONF_FILES 64  /* files of /etc/ld.so.conf.d read */
#define MAX_CONF_LINES 256 /* lines read of one of them */

int libpython_needed(int fd, struct libpython_needed *nd)
{
	struct elf_file *ef = NULL;
	struct elf_section dyn, str;
	size_t i, n;

	memset(nd, 0, sizeof(*nd));
	if (elf_file__open_fd(fd, &ef))
		return 0;
	if (elf_file__section(ef, ".dynamic", &dyn) || elf_file__section(ef, ".dynstr", &str) ||
	    !dyn.data || !str.data || !str.size) {
		elf_file__close(ef);
		return 0;
	}
	n = dyn.size / sizeof(Elf64_Dyn);
	for (i = 0; i < n && i < LIBPYTHON_MAX_DYN; i++) {
		Elf64_Dyn dd;
		const char *sp;
		size_t len;

		if (elf_file__charge(ef, 1))
			break;
		memcpy(&dd, (const char *)dyn.data + i * sizeof(dd), sizeof(dd));
		if (dd.d_tag == DT_NULL)
			break;
		if (dd.d_tag != DT_NEEDED && dd.d_tag != DT_RUNPATH && dd.d_tag != DT_RPATH)
			continue;
		if (dd.d_un.d_val >= str.size)
			continue;
		sp = (const char *)str.data + dd.d_un.d_val;
		len = strnlen(sp, str.size - dd.d_un.d_val);
		if (len == str.size - dd.d_un.d_val)
			continue; /* not terminated inside .dynstr */
		if (dd.d_tag == DT_NEEDED) {
			if (!strncmp(sp, "libpython", 9) && !strchr(sp, '/') &&
			    len < LIBPYTHON_NAME_MAX && nd->n < LIBPYTHON_MAX_NEEDED)
				memcpy(nd->name[nd->n++], sp, len + 1);
		} else if (len < sizeof(nd->runpath) && (dd.d_tag == DT_RUNPATH || !nd->runpath[0])) {
			/* DT_RUNPATH wins: ld.so ignores DT_RPATH when there is one */
			memcpy(nd->runpath, sp, len + 1);
		}
	}
	/* a file that ran out of its budget gave a partial answer at best */
	if (elf_file__over_budget(ef))
		memset(nd, 0, sizeof(*nd));
	elf_file__close(ef);
	return nd->n;
}

#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif

/* A regular file only (a FIFO or a device is never read). */
static int regular_or_close(int fd)
{
	struct stat st;

	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* path as the process sees its files (symbolic links resolved inside its root) */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct { uint64_t flags, mode, resolve; } how = {
		.flags = (uint64_t)flags | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Where a library was looked for: the path, the buffer it goes to. */
struct found {
	char *path;
	size_t size;
};

/* name in the len bytes of dir, inside rootfd */
static int try_dir(int rootfd, const char *dir, size_t len, const char *name, struct found *fo)
{
	int n = snprintf(fo->path, fo->size, "%.*s/%s", (int)len, dir, name);

	if (n < 0 || (size_t)n >= fo->size)
		return -1;
	return regular_or_close(open_in_root(rootfd, fo->path, O_RDONLY | O_NONBLOCK));
}

/*
 * A ':' list of directories: $ORIGIN and ${ORIGIN} (alone or followed by '/')
 * become origin, opened as we reach it; other absolute directories are looked
 * in inside rootfd; other $TOKENs ($LIB, $PLATFORM) and relative ones are
 * skipped.
 */
static int search_list(const char *list, int rootfd, const char *origin, const char *name,
		       struct found *fo)
{
	const char *p = list;
	int ndirs = 0, fd = -1;

	while (*p && fd < 0 && ndirs++ < LIBPYTHON_MAX_DIRS) {
		size_t len = strcspn(p, ":");
		const char *rest = NULL;

		if (len >= 7 && !strncmp(p, "$ORIGIN", 7) && (len == 7 || p[7] == '/'))
			rest = p + 7;
		else if (len >= 9 && !strncmp(p, "${ORIGIN}", 9) && (len == 9 || p[9] == '/'))
			rest = p + 9;
		if (rest) {
			int n = snprintf(fo->path, fo->size, "%s%.*s/%s", origin,
					 (int)(len - (rest - p)), rest, name);

			if (n > 0 && (size_t)n < fo->size)
				fd = regular_or_close(open(fo->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
							   O_NOCTTY));
		} else if (len && *p == '/' && !memchr(p, '$', len)) {
			fd = try_dir(rootfd, p, len, name, fo);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return fd;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories of /etc/ld.so.conf.d/ *.conf inside rootfd, files in name order. */
static int search_conf(int rootfd, const char *name, struct found *fo)
{
	char *files[MAX_CONF_FILES];
	size_t nfiles = 0, i;
	struct dirent *de;
	int dfd, fd = -1;
	DIR *dir;

	dfd = open_in_root(rootfd, "/etc/ld.so.conf.d", O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while (nfiles < MAX_CONF_FILES && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (len > 5 && !strcmp(de->d_name + len - 5, ".conf") && de->d_name[0] != '.' &&
		    (files[nfiles] = strdup(de->d_name)))
			nfiles++;
	}
	closedir(dir);
	qsort(files, nfiles, sizeof(files[0]), cmp_str);
	for (i = 0; i < nfiles; i++) {
		char path[PATH_MAX], line[PATH_MAX];
		int cfd, nlines = 0;
		FILE *f;

		if (fd < 0 &&
		    snprintf(path, sizeof(path), "/etc/ld.so.conf.d/%s", files[i]) < (int)sizeof(path) &&
		    (cfd = regular_or_close(open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK))) >= 0) {
			f = fdopen(cfd, "r");
			if (!f)
				close(cfd);
			while (f && fd < 0 && nlines++ < MAX_CONF_LINES && fgets(line, sizeof(line), f)) {
				size_t len = strcspn(line, " \t\r\n#");

				if (line[0] == '/' && len)
					fd = try_dir(rootfd, line, len, name, fo);
			}
			if (f)
				fclose(f);
		}
		free(files[i]);
	}
	return fd;
}

int libpython_open(const struct libpython_needed *nd, int k, int rootfd, const char *origin,
		   char *path, size_t size)
{
	char buf[PATH_MAX];
	struct found fo = { path ? path : buf, path ? size : sizeof(buf) };
	static const char *const std_dirs[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
		"/lib", "/usr/lib", "/usr/local/lib",
	};
	const char *name;
	size_t i;
	int fd;

	if (k < 0 || k >= nd->n || !fo.size)
		return -1;
	name = nd->name[k];
	fd = search_list(nd->runpath, rootfd, origin, name, &fo);
	if (fd < 0)
		fd = search_conf(rootfd, name, &fo);
	for (i = 0; fd < 0 && i < sizeof(std_dirs) / sizeof(std_dirs[0]); i++)
		fd = try_dir(rootfd, std_dirs[i], strlen(std_dirs[i]), name, &fo);
	if (fd < 0)
		fo.path[0] = 0;
	return fd;
}
