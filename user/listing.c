// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * listing.c - the --list table.  It reads ELF files only (through /proc/PID/
 * map_files or /proc/PID/root for processes), so it runs without BPF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "escape.h"
#include "listing.h"
#include "log.h"
#include "pyruntime.h"
#include "target.h"

#define MAX_FILES 512

static void route_of(const struct config *cfg, const struct pybin *b, const char **route,
		     const char **coverage)
{
	int usdt = cfg->probe == PROBE_USDT || (cfg->probe == PROBE_AUTO && b->nusdt);

	if (usdt && !b->nusdt) {
		*route = "-";
		*coverage = "no usdt marker";
	} else if (usdt) {
		*route = "usdt";
		*coverage = "complete";
	} else if (!b->nuprobe) {
		*route = "-";
		*coverage = "no probe point";
	} else {
		*route = "uprobe";
		*coverage = b->uprobe_complete ? "complete" : "partial";
	}
}

static void row(const struct config *cfg, const char *pid, const char *comm,
		const struct pybin *b, const char *name)
{
	const char *route, *coverage;

	route_of(cfg, b, &route, &coverage);
	printf("%-8s %-16s %-8s %-7s %-9s %-40s ", pid, comm,
	       b->version[0] ? b->version : "?", route, coverage, b->build);
	escape_text(stdout, name, strlen(name), 0);
	putchar('\n');
	if (!b->uprobe_complete && strcmp(route, "uprobe") == 0 && b->uprobe_gap[0])
		printf("%-8s %-16s   partial: %s\n", "", "", b->uprobe_gap);
}

static void header(void)
{
	printf("%-8s %-16s %-8s %-7s %-9s %-40s %s\n", "PID", "COMM", "PYTHON", "ROUTE",
	       "COVERAGE", "BUILD", "BINARY");
}

static int list_files(const struct config *cfg)
{
	int i, bad = 0;

	header();
	for (i = 0; cfg->command[i]; i++) {
		struct pybin *b;
		int err = pybin__open(cfg->command[i], &b);

		if (err) {
			pa_err("%s: %s", cfg->command[i],
			       err == -ENOENT ? "not a Python binary (no PySys_Audit)"
			       : err == -ENOEXEC
				       ? "not a usable x86-64 ELF file, or too costly to analyse: skipped"
				       : strerror(-err));
			bad = 1;
			continue;
		}
		row(cfg, "-", "-", b, cfg->command[i]);
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

		if (pybin__open(files[i].path, &b))
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
