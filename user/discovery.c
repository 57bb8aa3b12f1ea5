// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * discovery.c - the traced processes and their Python binaries.
 *
 * -p targets are probed per process and watched through pidfds; the command
 * is started held under ptrace (user/target.c) until its Python is probed;
 * system-wide, every running process is scanned and the common install places
 * are probed ahead for every process.  Executable files the kernel reports
 * later (PA_REC_EXEC / PA_REC_MMAP) wait in the pending queue until the
 * mapping shows in /proc; a process gone before it could be examined is a
 * lost process, said on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "discovery.h"
#include "log.h"
#include "pyaudit.h"
#include "pyaudit.skel.h"
#include "pyruntime.h"
#include "target.h"

#define MAX_FILES 512
#define MMAP_RETRIES 200 /* x 5 ms: how long a new mapping may take to show in /proc */

struct watch {
	pid_t pid;
	int fd;
	int gone;
};

struct mmap_pending {
	pid_t pid;
	char comm[16];
	char path[256];	/* exec'd file as execve named it, "" for an mmap */
	uint64_t ts_ns;	/* when the kernel saw the mapping */
	uint64_t dev, ino;
	int tries;
};

struct discovery {
	const struct config *cfg;
	enum disc_mode mode;
	struct pyaudit_bpf *skel;
	struct attacher *att;
	int epfd;
	struct watch watch[CLI_MAX_PIDS + 1];
	int nwatch;
	pid_t child;
	int child_ended, child_status;
	struct mmap_pending *pend;
	int npend, cap_pend;
	int nattached;	/* processes (or binaries, system-wide) probed */
	int nuntraced;	/* processes said not to be (fully) traced */
	struct proc_file files[MAX_FILES];
};

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

enum disc_mode discovery_mode(const struct config *cfg)
{
	return cfg->command ? DISC_COMMAND : cfg->npids ? DISC_PIDS : DISC_SYSTEM;
}

/* ---- attaching ------------------------------------------------------------- */

/*
 * A process that is not (or not fully) traced: said on stderr, -v or not,
 * and counted for the summary at exit.
 */
static void untraced(struct discovery *d, pid_t pid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void untraced(struct discovery *d, pid_t pid, const char *fmt, ...)
{
	char msg[512], comm[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	target_comm(pid, comm, sizeof(comm));
	pa_warn("PID %d (%s): %s", pid, comm, msg);
	d->nuntraced++;
}

#define ATTACH_TRIES 3

/*
 * Probes every Python binary pid maps, for attach_pid (-1: every process).
 * Each file is opened once, as the very inode the process maps (user/target.c),
 * analysed and probed through that descriptor, and the process is checked to
 * map it still once the probes are in; a file that changed under us is tried
 * again (ATTACH_TRIES), then reported, never claimed.
 * Returns how many Python binaries pid has (probed now or before), or -errno.
 * For -p and the command, a binary whose requested route is missing is fatal.
 */
static int attach_process(struct discovery *d, pid_t pid, pid_t attach_pid, int strict,
			  uint64_t late_since_ns)
{
	int i, n, found, err, stale, try;
	char comm[32];

	for (try = 0;; try++) {
		n = target_exec_files(pid, d->files, MAX_FILES);
		if (n < 0)
			return n;
		found = stale = 0;
		for (i = 0; i < n; i++) {
			struct proc_file *f = &d->files[i];
			struct attach_result res;
			const char *why;
			int fd;

			if (attacher__known_other(d->att, f->dev, f->ino))
				continue;
			fd = target_open_file(pid, f);
			if (fd == -ESTALE) {
				stale = 1;
				continue;
			}
			if (fd < 0) {
				if (!target_alive(pid))
					return -ESRCH;
				if (strict) {
					pa_err("PID %d: opening %s: %s", pid, f->name, strerror(-fd));
					return fd;
				}
				untraced(d, pid, "opening %s: %s: not traced", f->name, strerror(-fd));
				continue;
			}
			err = attacher__add_fd(d->att, fd, f->name, attach_pid, &res, &why);
			close(fd);
			if (err == -ENOENT || err == -ENOEXEC) {
				attacher__mark_other(d->att, f->dev, f->ino);
				continue;
			}
			if (err == -ENOTSUP) {
				if (strict) {
					pa_err("PID %d: %s", pid, why);
					return err;
				}
				untraced(d, pid, "%s", why);
				attacher__mark_other(d->att, f->dev, f->ino);
				continue;
			}
			if (err == -ESTALE) {
				stale = 1;
				continue;
			}
			if (err) {
				if (!target_alive(pid))
					return -ESRCH;
				if (strict) {
					pa_err("PID %d: attaching to %s: %s", pid, f->name,
					       strerror(-err));
					return err;
				}
				untraced(d, pid, "attaching to %s: %s: not traced", f->name,
					 strerror(-err));
				continue;
			}
			/* the probes are in: is that still the file the process runs? */
			err = target_maps_file(pid, f->dev, f->ino);
			if (err == -ESRCH || (err <= 0 && !target_alive(pid)))
				return -ESRCH;
			if (err <= 0) {
				stale = 1;
				continue;
			}
			found++;
			if (res.already)
				continue;
			d->nattached++;
			target_comm(pid, comm, sizeof(comm));
			pa_info("PID %d (%s): CPython %s, route %s, coverage %s%s%s", pid, comm,
				res.bin->version[0] ? res.bin->version : "(version unknown)",
				res.route, res.complete ? "complete" : "partial: ",
				res.complete ? "" : res.gap,
				attach_pid == -1 ? " [every process]" : "");
			if (late_since_ns)
				untraced(d, pid, "%s was first mapped %.1f ms before it could be "
					 "probed: events of that process in between may be missing",
					 f->name, (now_mono() - late_since_ns) / 1e6);
			if (log_verbose())
				pa_dbg("  %s: %s, %d probes", f->name, res.bin->build, res.nlinks);
		}
		if (!stale)
			return found;
		if (!target_alive(pid))
			return -ESRCH;
		if (try + 1 < ATTACH_TRIES) {
			pa_dbg("PID %d: a file it maps changed while it was looked at; again", pid);
			continue;
		}
		if (strict) {
			pa_err("PID %d: a file it maps was replaced or renamed while attaching, "
			       "%d times: not traced", pid, ATTACH_TRIES);
			return -ESTALE;
		}
		untraced(d, pid, "a file it maps was replaced or renamed while attaching, %d "
			 "times: not fully traced", ATTACH_TRIES);
		return found;
	}
}

static int spawn_found(void *ctx, pid_t pid)
{
	struct discovery *d = ctx;
	int n = attach_process(d, pid, pid, 1, 0);

	if (n == -ESRCH)
		return 0;
	return n < 0 ? n : n > 0;
}

static int watch_pid(struct discovery *d, pid_t pid)
{
	struct epoll_event ee = { .events = EPOLLIN };
	int fd = pidfd_open(pid, 0);

	if (fd < 0)
		return -errno;
	d->watch[d->nwatch].pid = pid;
	d->watch[d->nwatch].fd = fd;
	d->watch[d->nwatch].gone = 0;
	ee.data.u64 = 1 + d->nwatch;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ee)) {
		close(fd);
		return -errno;
	}
	d->nwatch++;
	return 0;
}

static int attach_pids(struct discovery *d)
{
	const struct config *cfg = d->cfg;
	char exe[4096];
	int i, n;

	for (i = 0; i < cfg->npids; i++) {
		pid_t pid = cfg->pids[i];

		if (!target_alive(pid)) {
			pa_err("-p %d: no such process", pid);
			return -ESRCH;
		}
		{
			__u8 one = 1;
			__u32 key = pid;

			/* its later executable mappings (a dlopen'd libpython) are reported */
			bpf_map_update_elem(bpf_map__fd(d->skel->maps.watched), &key, &one, BPF_ANY);
		}
		n = attach_process(d, pid, pid, 1, 0);
		if (n == -ESRCH || (n >= 0 && !target_alive(pid))) {
			pa_err("-p %d: the process exited while attaching", pid);
			return -ESRCH;
		}
		if (n == -EACCES || n == -EPERM) {
			pa_err("-p %d: reading its memory maps: %s", pid, strerror(-n));
			return n;
		}
		if (n < 0)
			return n; /* attach_process said why */
		if (n == 0 && cfg->wait) {
			char comm[32];

			target_comm(pid, comm, sizeof(comm));
			pa_info("PID %d (%s): no Python interpreter yet; waiting for one to be loaded",
				pid, comm);
		} else if (n == 0) {
			char path[64];
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/%d/exe", pid);
			len = readlink(path, exe, sizeof(exe) - 1);
			exe[len > 0 ? len : 0] = 0;
			pa_err("-p %d: not a Python process (no audit hook in %s)", pid,
			       len > 0 ? exe : "its executable files");
			return -ENOENT;
		}
		if (watch_pid(d, pid)) {
			pa_err("-p %d: the process exited while attaching", pid);
			return -ESRCH;
		}
	}
	return 0;
}

/* Common install places, so that a Python started later is probed from its first event. */
static const char *const known_pythons[] = {
	"/usr/bin/python3*",
	"/usr/local/bin/python3*",
	"/usr/lib/x86_64-linux-gnu/libpython3*.so*",
	"/usr/local/lib/libpython3*.so*",
	"/opt/*/bin/python3*",
	"/opt/*/lib/libpython3*.so*",
	"/root/.pyenv/versions/*/bin/python3*",
	"/root/.pyenv/versions/*/lib/libpython3*.so*",
	"/home/*/.pyenv/versions/*/bin/python3*",
	"/home/*/.pyenv/versions/*/lib/libpython3*.so*",
	NULL,
};

static void attach_known_files(struct discovery *d)
{
	int i;
	size_t j;

	for (i = 0; known_pythons[i]; i++) {
		glob_t g;

		if (glob(known_pythons[i], 0, NULL, &g))
			continue;
		for (j = 0; j < g.gl_pathc; j++) {
			struct attach_result res;
			const char *why;
			struct stat st;
			int err;

			if (stat(g.gl_pathv[j], &st) || !S_ISREG(st.st_mode) ||
			    attacher__known_other(d->att, st.st_dev, st.st_ino))
				continue;
			err = attacher__add(d->att, g.gl_pathv[j], -1, &res, &why);
			if (err) {
				attacher__mark_other(d->att, st.st_dev, st.st_ino);
				continue;
			}
			if (!res.already) {
				d->nattached++;
				pa_dbg("%s: CPython %s, route %s, coverage %s", g.gl_pathv[j],
				       res.bin->version, res.route,
				       res.complete ? "complete" : "partial");
			}
		}
		globfree(&g);
	}
}

static int attach_system(struct discovery *d)
{
	pid_t *pids = NULL, self = getpid();
	int i, n = target_all_pids(&pids);

	if (n < 0) {
		pa_err("reading /proc: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++)
		if (pids[i] != self)
			attach_process(d, pids[i], -1, 0, 0);
	free(pids);
	attach_known_files(d);
	return 0;
}

/* A new executable mapping somewhere (system-wide): is it a Python we lack? */
static void queue_mmap(struct discovery *d, const struct pa_exec_rec *r)
{
	uint64_t dev = makedev(r->dev >> 20, r->dev & 0xfffff);

	if (attacher__known_other(d->att, dev, r->ino))
		return;
	if (d->npend == d->cap_pend) {
		int cap = d->cap_pend ? d->cap_pend * 2 : 64;
		void *p = realloc(d->pend, cap * sizeof(*d->pend));

		if (!p)
			return;
		d->pend = p;
		d->cap_pend = cap;
	}
	d->pend[d->npend].pid = r->pid;
	d->pend[d->npend].dev = dev;
	d->pend[d->npend].ino = r->ino;
	d->pend[d->npend].tries = 0;
	d->pend[d->npend].ts_ns = r->hdr.ts_ns;
	memcpy(d->pend[d->npend].comm, r->comm, sizeof(r->comm));
	memcpy(d->pend[d->npend].path, r->path, sizeof(r->path));
	d->pend[d->npend].path[sizeof(r->path) - 1] = 0;
	d->pend[d->npend].comm[15] = 0;
	target_sanitize(d->pend[d->npend].comm);
	d->npend++;
}

static void lost_process(struct discovery *d, const struct mmap_pending *p)
{
	struct attach_result res;
	const char *why;
	struct stat st;
	uint64_t dev;

	if (!p->path[0] || p->path[0] != '/' || stat(p->path, &st) || st.st_ino != p->ino) {
		pa_dbg("PID %d (%s) ended before its new executable file could be examined",
		       p->pid, p->comm);
		return;
	}
	dev = st.st_dev;
	if (attacher__known_other(d->att, dev, st.st_ino))
		return;
	if (attacher__add(d->att, p->path, -1, &res, &why)) {
		attacher__mark_other(d->att, dev, st.st_ino);
		return;
	}
	if (!res.already)
		d->nattached++;
	pa_warn("PID %d (%s) ran %s (CPython %s) and ended before it could be probed: its events "
		"were not seen; later processes of it are probed",
		p->pid, p->comm, p->path, res.bin->version);
}

static void handle_pending_mmaps(struct discovery *d)
{
	int i, j, n;

	for (i = 0; i < d->npend; i++) {
		struct mmap_pending *p = &d->pend[i];
		int done = 0;

		n = target_exec_files(p->pid, d->files, MAX_FILES);
		if (n < 0) {
			/*
			 * Gone before it could be looked at.  An exec'd file can still
			 * be found by the name execve gave it: if it is a Python, it is
			 * probed for the processes to come and the loss is said.
			 */
			lost_process(d, p);
			done = 1;
		} else {
			for (j = 0; j < n; j++) {
				if (d->files[j].ino != p->ino)
					continue;
				attach_process(d, p->pid, d->mode == DISC_SYSTEM ? -1 : p->pid, 0,
					       p->ts_ns);
				done = 1;
				break;
			}
		}
		if (!done && ++p->tries < MMAP_RETRIES)
			continue;
		d->pend[i--] = d->pend[--d->npend];
	}
}

/* ---- the session's interface ---------------------------------------------- */

struct discovery *discovery__new(const struct discovery_opts *opts)
{
	struct discovery *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = opts->cfg;
	d->mode = discovery_mode(opts->cfg);
	d->skel = opts->skel;
	d->att = opts->att;
	d->epfd = opts->epfd;
	return d;
}

void discovery__free(struct discovery *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nwatch; i++)
		close(d->watch[i].fd);
	free(d->pend);
	free(d);
}

int discovery__start(struct discovery *d)
{
	const struct config *cfg = d->cfg;
	int err;

	switch (d->mode) {
	case DISC_PIDS:
		err = attach_pids(d);
		if (err)
			return err;
		pa_info("tracing %d process%s; Ctrl-C to end.", cfg->npids,
			cfg->npids == 1 ? "" : "es");
		return 0;
	case DISC_SYSTEM:
		err = attach_system(d);
		if (err)
			return err;
		pa_info("tracing every Python process (%d binar%s probed so far); Ctrl-C to end.",
			d->nattached, d->nattached == 1 ? "y" : "ies");
		return 0;
	case DISC_COMMAND:
		err = target_spawn(cfg->command, spawn_found, d, &d->child, &d->child_ended,
				   &d->child_status);
		if (err)
			return err;
		if (!d->child_ended) {
			if (!d->nattached)
				pa_warn("%s: no Python interpreter was found in it; nothing to trace",
					cfg->command[0]);
			if (watch_pid(d, d->child) == 0)
				return 0;
			/* already gone: reaped by the session's loop */
		}
		return 0;
	}
	return 0;
}

int discovery__add_pid(struct discovery *d, pid_t pid, int strict)
{
	__u8 one = 1;
	__u32 key = pid;
	int n;

	if (d->nwatch >= CLI_MAX_PIDS + 1)
		return -E2BIG;
	/* its later executable mappings (a dlopen'd libpython) are reported */
	bpf_map_update_elem(bpf_map__fd(d->skel->maps.watched), &key, &one, BPF_ANY);
	n = attach_process(d, pid, pid, strict, 0);
	if (n < 0)
		return n;
	if (watch_pid(d, pid))
		return -ESRCH;
	return n;
}

void discovery__on_record(struct discovery *d, const struct pa_exec_rec *r)
{
	queue_mmap(d, r);
}

void discovery__on_epoll(struct discovery *d, uint64_t data)
{
	unsigned w = data - 1;

	if (w < (unsigned)d->nwatch && !d->watch[w].gone) {
		d->watch[w].gone = 1;
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->watch[w].fd, NULL);
		if (d->mode == DISC_COMMAND && d->watch[w].pid == d->child &&
		    waitpid(d->child, &d->child_status, 0) == d->child)
			d->child_ended = 1;
	}
}

int discovery__poll(struct discovery *d)
{
	if (d->npend)
		handle_pending_mmaps(d);
	return d->npend ? 5 : 50;
}

int discovery__all_gone(struct discovery *d)
{
	int i;

	if (d->mode == DISC_SYSTEM)
		return 0;
	if (d->mode == DISC_COMMAND)
		return d->child_ended;
	for (i = 0; i < d->nwatch; i++)
		if (!d->watch[i].gone)
			return 0;
	return 1;
}

pid_t discovery__child(struct discovery *d, int *ended, int *status)
{
	if (ended)
		*ended = d ? d->child_ended : 0;
	if (status)
		*status = d ? d->child_status : 0;
	return d ? d->child : 0;
}

int discovery__nattached(struct discovery *d)
{
	return d->nattached;
}

void discovery__report(struct discovery *d)
{
	if (d && d->nuntraced)
		pa_warn("%d process%s not fully traced (said above)", d->nuntraced,
			d->nuntraced == 1 ? " was" : "es were");
}
