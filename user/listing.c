// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * listing.c - the --list table.  It reads ELF files only (through /proc/PID/
 * map_files or /proc/PID/root for processes), so it runs without BPF.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "escape.h"
#include "libpython.h"
#include "listing.h"
#include "log.h"
#include "oldpy.h"
#include "pybin.h"
#include "route.h"
#include "target.h"

#define MAX_FILES 512

/* The functions holding the audit gate other than the two every build has. */
static void gate_line_fn(const struct pybin *b, const char *role, const char *label)
{
	int i, n = 0;

	for (i = 0; i < b->ngates; i++) {
		if (strncmp(b->gates[i].role, role, strlen(role)) != 0)
			continue;
		printf("%s0x%llx", n++ ? ", " : label, (unsigned long long)b->gates[i].start);
	}
	if (n)
		putchar('\n');
}

static void gates_line(const struct pybin *b)
{
	char label[64];

	snprintf(label, sizeof(label), "%-8s %-16s   clones: ", "", "");
	gate_line_fn(b, "_PySys_Audit clone", label);
	snprintf(label, sizeof(label), "%-8s %-16s   unprobed gates: ", "", "");
	gate_line_fn(b, "not probed", label);
}

static void row(const struct config *cfg, const char *pid, const char *comm,
		const struct pybin *b, const char *name)
{
	struct route_decision rd;
	const char *route, *coverage;

	pybin_route(b, cfg->probe, name, &rd);
	route = rd.route;
	coverage = rd.coverage;
	printf("%-8s %-16s %-8s %-7s %-9s %-40s ", pid, comm,
	       b->version[0] ? b->version : "?", route, coverage, b->build);
	escape_text(stdout, name, strlen(name), 0);
	putchar('\n');
	if (!b->uprobe_complete && strcmp(route, "uprobe") == 0 && b->uprobe_gap[0])
		printf("%-8s %-16s   partial: %s\n", "", "", b->uprobe_gap);
	gates_line(b);
	if (log_verbose())
		pybin__dump(b, stdout);
}

static void header(void)
{
	printf("%-8s %-16s %-8s %-7s %-9s %-40s %s\n", "PID", "COMM", "PYTHON", "ROUTE",
	       "COVERAGE", "BUILD", "BINARY");
}

/*
 * An executable linked against libpython (pyenv's, python.org's bin/python3)
 * has no PySys_Audit itself: the libpython of its DT_NEEDED, read from the
 * file open at fd and found the way ld.so does (user/libpython.h), as we see
 * the file system.  Returns a descriptor of it and its path in out, or -1.
 */
static int open_libpython(int fd, char *out, size_t outsz)
{
	char link[64], real[PATH_MAX], *slash;
	struct libpython_needed nd;
	int rootfd, lib = -1, k;
	ssize_t len;

	if (libpython_needed(fd, &nd) <= 0)
		return -1;
	/* $ORIGIN: the directory of the file we opened, symbolic links resolved */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, real, sizeof(real) - 1);
	if (len <= 0 || real[0] != '/')
		return -1;
	real[len] = 0;
	slash = strrchr(real, '/');
	*slash = 0;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	for (k = 0; k < nd.n && lib < 0; k++)
		lib = libpython_open(&nd, k, rootfd, real, out, outsz);
	close(rootfd);
	return lib;
}

static int list_files(const struct config *cfg)
{
	int i, bad = 0, shown = 0;

	for (i = 0; cfg->command[i]; i++) {
		const char *path = cfg->command[i];
		char lib[PATH_MAX], name[PATH_MAX + 8], ver[32];
		struct pybin *b;
		int fd, libfd, err, old = 0;

		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			pa_err("%s: %s", path, strerror(errno));
			bad = 1;
			continue;
		}
		err = pybin__open_fd(fd, path, &b);
		libfd = -1;
		if (err == -ENOENT && (libfd = open_libpython(fd, lib, sizeof(lib))) >= 0) {
			/* the executable's own libpython, listed under both names */
			snprintf(name, sizeof(name), "%s -> %s", path, lib);
			path = name;
			err = pybin__open_fd(libfd, lib, &b);
		}
		if (err == -ENOENT && !oldpy_version(libfd >= 0 ? libfd : fd, ver, sizeof(ver))) {
			pa_err("%s: CPython %s, which has no audit events (they came in 3.8, PEP 578)",
			       path, ver);
			bad = old = 1;
		}
		if (libfd >= 0)
			close(libfd);
		close(fd);
		if (old)
			continue;
		if (err) {
			pa_err("%s: %s%s", path,
			       err == -ENOENT ? "not a Python binary (no PySys_Audit, no libpython)"
					      : pybin_strerror(err),
			       err == -ENOEXEC || err == -EBADMSG || err == -ENODATA || err == -E2BIG
				       ? ": skipped" : "");
			bad = 1;
			continue;
		}
		if (!shown++)
			header(); /* not before an error: stdout stays empty on failure */
		row(cfg, "-", "-", b, path);
		pybin__free(b);
	}
	return bad;
}

static int list_pid(const struct config *cfg, pid_t pid, struct proc_file *files, int strict)
{
	int i, n = target_exec_files(pid, files, MAX_FILES), found = 0;
	char comm[32], pidbuf[16];

	if (n < 0) {
		if (strict)
			pa_err("-p %d: no such process", pid);
		return strict ? -1 : 0;
	}
	target_comm(pid, comm, sizeof(comm));
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	for (i = 0; i < n; i++) {
		struct pybin *b;
		int fd = target_open_file(pid, &files[i]), err;

		if (fd < 0)
			continue;
		err = pybin__open_fd(fd, files[i].name, &b);
		close(fd);
		if (err)
			continue;
		row(cfg, pidbuf, comm, b, files[i].name);
		pybin__free(b);
		found++;
	}
	if (!found && strict) {
		pa_err("-p %d: not a Python process", pid);
		return -1;
	}
	return found;
}

int listing_run(const struct config *cfg)
{
	struct proc_file *files = calloc(MAX_FILES, sizeof(*files));
	int i, n, status = 0;
	pid_t *pids = NULL;

	if (!files) {
		pa_err("out of memory");
		return 1;
	}
	if (cfg->command) {
		status = list_files(cfg);
		goto out;
	}
	if (cfg->npids) {
		header();
		for (i = 0; i < cfg->npids; i++)
			if (list_pid(cfg, cfg->pids[i], files, 1) < 0)
				status = 1;
		goto out;
	}
	n = target_all_pids(&pids);
	if (n < 0) {
		pa_err("reading /proc: %s", strerror(-n));
		status = 1;
		goto out;
	}
	header();
	for (i = 0; i < n; i++)
		if (pids[i] != getpid())
			list_pid(cfg, pids[i], files, 0);
out:
	free(pids);
	free(files);
	return status;
}
