// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * listing.c - the --list table.  It reads ELF files only (through /proc/PID/
 * map_files or /proc/PID/root for processes), so it runs without BPF.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "escape.h"
#include "listing.h"
#include "log.h"
#include "pyruntime.h"
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

#define MAX_DYN	    4096 /* .dynamic entries read */
#define MAX_RUNPATH 32	 /* directories of one DT_RUNPATH / DT_RPATH */

/* Is dir/name a regular file?  Then its path goes to out. */
static int try_dir(const char *dir, size_t dlen, const char *name, char *out, size_t outsz)
{
	struct stat st;
	int n = snprintf(out, outsz, "%.*s/%s", (int)dlen, dir, name);

	return n > 0 && (size_t)n < outsz && stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

/* Search a ':' list of directories ($ORIGIN replaced by origin). */
static int search_path(const char *list, const char *origin, const char *name, char *out,
		       size_t outsz)
{
	const char *p = list;
	int ndirs = 0;

	while (*p && ndirs++ < MAX_RUNPATH) {
		size_t len = strcspn(p, ":");
		char dir[PATH_MAX];
		const char *o = NULL;

		if (len >= 7 && !strncmp(p, "$ORIGIN", 7) && (len == 7 || p[7] == '/'))
			o = p + 7;
		else if (len >= 9 && !strncmp(p, "${ORIGIN}", 9) && (len == 9 || p[9] == '/'))
			o = p + 9;
		if (o) {
			int n = snprintf(dir, sizeof(dir), "%s%.*s", origin, (int)(len - (o - p)), o);

			if (n > 0 && (size_t)n < sizeof(dir) && try_dir(dir, n, name, out, outsz))
				return 1;
		} else if (len && *p == '/' && !memchr(p, '$', len) && try_dir(p, len, name, out, outsz)) {
			return 1; /* other $TOKENs ($LIB, $PLATFORM) are not expanded: skipped */
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The directories of ld.so.conf (one level of /etc/ld.so.conf.d/ *.conf) and the defaults. */
static int search_system(const char *name, char *out, size_t outsz)
{
	static const char *const defaults[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
		"/lib", "/usr/lib",
	};
	glob_t g = {};
	size_t i;
	int found = 0;

	if (glob("/etc/ld.so.conf.d/*.conf", 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc && i < 64 && !found; i++) {
			FILE *f = fopen(g.gl_pathv[i], "re");
			char line[PATH_MAX];
			int n = 0;

			while (f && !found && n++ < 256 && fgets(line, sizeof(line), f)) {
				size_t len = strcspn(line, " \t\r\n#");

				if (line[0] == '/' && len)
					found = try_dir(line, len, name, out, outsz);
			}
			if (f)
				fclose(f);
		}
		globfree(&g);
	}
	for (i = 0; !found && i < sizeof(defaults) / sizeof(defaults[0]); i++)
		found = try_dir(defaults[i], strlen(defaults[i]), name, out, outsz);
	return found;
}

/*
 * An executable linked against libpython (pyenv's, python.org's bin/python3)
 * has no PySys_Audit itself: find the libpython of its DT_NEEDED the way ld.so
 * does (DT_RPATH when there is no DT_RUNPATH, then DT_RUNPATH, with $ORIGIN;
 * then ld.so.conf and the default directories; LD_LIBRARY_PATH is the traced
 * program's, not ours).  Returns 1 and the path in out, 0 if none.
 */
static int find_libpython(const char *path, char *out, size_t outsz)
{
	char real[PATH_MAX], origin[PATH_MAX], needed[256] = "";
	const char *runpath = NULL, *rpath = NULL;
	int fd, found = 0, n = 0;
	Elf_Scn *scn = NULL;
	struct stat st;
	Elf *e;

	if (!realpath(path, real))
		return 0;
	snprintf(origin, sizeof(origin), "%s", real);
	*strrchr(origin, '/') = '\0'; /* realpath() gives an absolute path */
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || elf_version(EV_CURRENT) == EV_NONE ||
	    !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return 0;
	}
	while ((scn = elf_nextscn(e, scn)) && n < MAX_DYN) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; n < MAX_DYN; i++, n++) {
			GElf_Dyn dyn;
			const char *str;

			if (!gelf_getdyn(d, i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
				continue;
			str = elf_strptr(e, sh.sh_link, dyn.d_un.d_val); /* bounds checked by libelf */
			if (!str || strlen(str) >= PATH_MAX)
				continue;
			if (dyn.d_tag == DT_RUNPATH)
				runpath = str;
			else if (dyn.d_tag == DT_RPATH)
				rpath = str;
			else if (!needed[0] && !strncmp(str, "libpython", 9) && !strchr(str, '/') &&
				 strlen(str) < sizeof(needed))
				strcpy(needed, str);
		}
		break;
	}
	if (needed[0])
		found = (!runpath && rpath && search_path(rpath, origin, needed, out, outsz)) ||
			(runpath && search_path(runpath, origin, needed, out, outsz)) ||
			search_system(needed, out, outsz);
	elf_end(e);
	close(fd);
	return found;
}

static int list_files(const struct config *cfg)
{
	int i, bad = 0, shown = 0;

	for (i = 0; cfg->command[i]; i++) {
		const char *path = cfg->command[i];
		char lib[PATH_MAX], name[PATH_MAX + 8];
		struct pybin *b;
		struct stat st;
		int err;

		if (stat(path, &st)) {
			pa_err("%s: %s", path, strerror(errno));
			bad = 1;
			continue;
		}
		err = pybin__open(path, &b);
		if (err == -ENOENT && find_libpython(path, lib, sizeof(lib))) {
			/* the executable's own libpython, listed under both names */
			err = pybin__open(lib, &b);
			snprintf(name, sizeof(name), "%s -> %s", path, lib);
			path = name;
		}
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
