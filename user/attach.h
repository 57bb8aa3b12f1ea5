/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * attach.h - the attach plan: which probe route each Python binary gets, one
 * set of links per (binary, process) — or per binary for every process in
 * system-wide mode — deduplicated by (device, inode), and the probe table that
 * names the route of every event.
 */
#ifndef PA_ATTACH_H
#define PA_ATTACH_H

#include <stdint.h>
#include <sys/types.h>
#include "cli.h"

/* What the tracer knows about the probe that produced an event. */
struct probe_info {
	const char *route;	/* "usdt" or "uprobe" */
	const char *python;	/* "3.11.2" */
	unsigned minor;		/* 11 (0 if unknown) */
	const char *binary;	/* path of the probed ELF as the tracer opened it */
	int complete;		/* 1 if the route sees every event of that process */
	uint64_t ino;		/* the binary's inode (an event's executable, if the same file) */
};

struct pyaudit_bpf;
struct attacher;
struct pybin;

struct attach_opts {
	struct pyaudit_bpf *skel;
	enum probe_choice probe;
	int empty;		/* attach the empty program instead (benchmark floor) */
};

/* What attacher__add() did, for the caller's message. */
struct attach_result {
	int already;		/* this binary was already attached for that pid (or all) */
	const struct pybin *bin;
	const char *route;	/* "usdt" / "uprobe" */
	int complete;
	const char *gap;	/* if not complete: what is not seen */
	int nlinks;
	uint64_t since_ns;	/* CLOCK_MONOTONIC when these probes went in (now, or before) */
	char why[256];		/* the -ENOTSUP message (*why points here) */
};

struct attacher *attacher__new(const struct attach_opts *opts);
void attacher__free(struct attacher *a); /* NULL is fine; detaches everything */

/*
 * Looks at the ELF file at path (as this process can open it: through
 * /proc/PID/root or /proc/PID/map_files) and attaches the chosen route for pid
 * (-1: every process that maps it).  Returns 0; -ENOENT if the file holds no
 * CPython; -ENOTSUP if the requested route is not available in it (message in
 * *why, which points into res); other -errno from ELF reading or attaching.
 */
int attacher__add(struct attacher *a, const char *path, pid_t pid, struct attach_result *res,
		  const char **why);
/*
 * The same for the open file fd (not consumed), named name in messages: the
 * file analysed is the file probed (through /proc/self/fd/N), checked before
 * and after attaching.  -ESTALE if that check fails (nothing is attached).
 */
int attacher__add_fd(struct attacher *a, int fd, const char *name, pid_t pid,
		     struct attach_result *res, const char **why);

/* Is (dev, ino) known not to be a Python binary?  Saves re-reading ELF files. */
int attacher__known_other(struct attacher *a, uint64_t dev, uint64_t ino);
void attacher__mark_other(struct attacher *a, uint64_t dev, uint64_t ino);
/*
 * The same for an open file, and marking one: an inode number is reused once
 * its file is deleted, so an open file is known only if its change time is
 * the one seen too.
 */
int attacher__known_other_fd(struct attacher *a, int fd);
void attacher__mark_other_fd(struct attacher *a, int fd);
/*
 * A file that could not be analysed (pybin__open_fd: -EBADMSG, -ENODATA,
 * -E2BIG, -EFBIG), kept by (device, inode, change time).  Returns 1 the first
 * time the file is noted, 0 after.
 */
int attacher__note_unanalysed_fd(struct attacher *a, int fd);
/* How many such files were noted. */
int attacher__unanalysed(const struct attacher *a);
/* Is (dev, ino) a Python binary probed for every process?  Since when (CLOCK_MONOTONIC). */
int attacher__probed_all(struct attacher *a, uint64_t dev, uint64_t ino, uint64_t *since_ns);

/*
 * Each set of probes attached: pid (-1: every process of the binary), the
 * route and coverage of its binary, and its number of probes.
 */
void attacher__each_set(struct attacher *a,
			void (*fn)(void *ctx, pid_t pid, const struct probe_info *info, int nprobes),
			void *ctx);

const struct probe_info *attacher__probe_info(struct attacher *a, unsigned probe_id);
/* Adapter for struct output_opts.probe_lookup. */
const struct probe_info *attacher_probe_lookup(void *a, unsigned probe_id);

#endif
