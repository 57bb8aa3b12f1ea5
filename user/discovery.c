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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "discovery.h"
#include "elf.h"
#include "exechold.h"
#include "libpython.h"
#include "log.h"
#include "oldpy.h"
#include "pyaudit.h"
#include "pyaudit.skel.h"
#include "pybin.h"
#include "target.h"
#include "vec.h"

#define MAX_FILES 512
#define MMAP_RETRIES 200 /* x 5 ms: how long a new mapping may take to show in /proc */
#define HOLD_DEADLINE_MS 300 /* the longest a new program waits at exec for its probes */
#define HOLD_TOKEN (1ull << 39) /* epoll data of the exec hold's eventfd (below METRICS_EPOLL_TAG) */

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
	uint64_t kdev;	/* the kernel's encoding of dev (seen_files keys) */
	int tries;
};

struct discovery {
	const struct config *cfg;
	enum disc_mode mode;
	int every;	/* binaries probed for every process: system-wide, or -f */
	struct pyaudit_bpf *skel;
	struct attacher *att;
	int epfd;
	struct watch watch[CLI_MAX_PIDS + 1];
	int nwatch;
	pid_t child;
	int child_ended, child_status;
	uint64_t child_let_go_ns; /* -f: until then the command was held under ptrace */
	struct mmap_pending *pend;
	int npend, cap_pend;
	int nattached;	/* processes (or binaries, system-wide) probed */
	int nuntraced;	/* processes said not to be (fully) traced */
	struct exec_hold *hold;	/* new programs held at exec (NULL: --no-hold, or unavailable) */
	int nheld_probed;	/* binaries probed while their first process was held */
	int said_not_python;	/* the command's program was said not to be Python */
	char old_python[32];	/* ... to be a CPython before 3.8: its version */
	pid_t last_untraced_pid; /* the last untraced() message, not said twice in a row */
	const char *last_untraced_fmt;
	struct proc_file files[MAX_FILES];
};

static void process_held(struct discovery *d);
static void settle_file(struct discovery *d, uint64_t dev, uint64_t ino);

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * A CPython before 3.8 among the executable files pid maps (PEP 578's audit events came
 * in 3.8): 1 with its version and file, else 0.  For a message only: nothing is probed.
 */
static int old_python_in(struct discovery *d, pid_t pid, char *ver, size_t vlen, char *file,
			 size_t flen)
{
	int i, n = target_exec_files(pid, d->files, MAX_FILES);

	for (i = 0; i < n; i++) {
		int fd = target_open_file(pid, &d->files[i]), r;

		if (fd < 0)
			continue;
		r = oldpy_version(fd, ver, vlen);
		close(fd);
		if (r == 0) {
			snprintf(file, flen, "%s", d->files[i].name);
			target_sanitize(file);
			return 1;
		}
	}
	return 0;
}

/*
 * A file that is no Python we probe, as attach_process() meets it (once per binary: it
 * is then known not to be one): a CPython before 3.8 is said, for the command's own
 * process; system-wide (they are common and harmless) only with -v.  Only files named
 * python* or libpython* are looked at (a second analysis of every library costs).
 */
/* A file's name as it may be said: cut, and with no terminal control left in it. */
static void said_name(char out[512], const char *name)
{
	snprintf(out, 512, "%.511s", name);
	target_sanitize(out);
}

static void said_old_python(struct discovery *d, pid_t pid, const char *comm, int fd,
			    const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	int cmd = d->mode == DISC_COMMAND && pid == d->child && !d->said_not_python;
	char ver[32], shown[512];

	if (strncmp(base, "python", 6) && strncmp(base, "libpython", 9))
		return;
	if (!cmd && !(d->mode == DISC_SYSTEM && log_verbose()))
		return;
	if (oldpy_version(fd, ver, sizeof(ver)))
		return;
	said_name(shown, name);
	if (!cmd) {
		pa_dbg("PID %d (%s): %s is CPython %s, which has no audit events (they came in "
		       "3.8): not traced", pid, comm, shown, ver);
		return;
	}
	snprintf(d->old_python, sizeof(d->old_python), "%s", ver);
	pa_warn("%s: %s is CPython %s, which has no audit events (they came in 3.8, PEP 578): "
		"nothing to trace%s", d->cfg->command[0], shown, ver,
		d->cfg->follow ? "; the processes it starts are followed" : "");
	d->said_not_python = 1;
}

enum disc_mode discovery_mode(const struct config *cfg)
{
	return cfg->command ? DISC_COMMAND : cfg->npids ? DISC_PIDS : DISC_SYSTEM;
}

/*
 * -f: pid is followed from now on.  The kernel adds its children at their
 * fork (on_fork in BPF), before they run; its events and its children's are
 * the only ones kept (rec_begin).
 */
static void follow_pid(struct discovery *d, pid_t pid)
{
	__u8 one = 1;
	__u32 key = pid;

	if (d->cfg->follow)
		bpf_map_update_elem(bpf_map__fd(d->skel->maps.followed), &key, &one, BPF_ANY);
}

/*
 * -f: is a followed process still running?  The kernel removes a process at
 * its exit; an entry whose process is gone all the same (a -p target that
 * exited before it was added) is removed here.  Bounded by the map's size.
 */
static int any_followed(struct discovery *d)
{
	int fd = bpf_map__fd(d->skel->maps.followed), n = 0, alive = 0;
	__u32 key, next, *prev = NULL;

	while (n++ < PA_MAX_FOLLOWED && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (kill((pid_t)key, 0) && errno == ESRCH) {
			bpf_map_delete_elem(fd, &key);
			prev = NULL; /* deleting may reorder: start again */
			continue;
		}
		alive = 1;
		break;
	}
	return alive;
}

/* ---- attaching ------------------------------------------------------------- */

/*
 * A process that is not (or not fully) traced: said on stderr, -v or not,
 * and counted for the summary at exit.
 */
/* The status line of a process whose Python was just probed: version, route, coverage. */
static void say_probed(pid_t pid, const char *comm, const struct attach_result *res,
		       pid_t attach_pid)
{
	pa_info("PID %d (%s): CPython %s, route %s, coverage %s%s%s", pid, comm,
		res->bin->version[0] ? res->bin->version : "(version unknown)", res->route,
		res->complete ? "complete" : "partial: ", res->complete ? "" : res->gap,
		attach_pid == -1 ? " [every process]" : "");
}

static void untraced(struct discovery *d, pid_t pid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void untraced(struct discovery *d, pid_t pid, const char *fmt, ...)
{
	char msg[512], comm[32];
	va_list ap;

	/* once per process and kind of miss (several records may tell of one process) */
	if (pid == d->last_untraced_pid && fmt == d->last_untraced_fmt)
		return;
	d->last_untraced_pid = pid;
	d->last_untraced_fmt = fmt;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	target_comm(pid, comm, sizeof(comm));
	pa_warn("PID %d (%s): %s", pid, comm, msg);
	d->nuntraced++;
}

/*
 * Could the file not be analysed (the attacher's answer err)?  -ENOENT (no
 * PySys_Audit in sound headers) and -ENOEXEC (not an x86-64 ELF file: a
 * script, another architecture) are clean answers, said by nobody: every exec
 * on the machine is looked at.  A malformed x86-64 ELF file, a CPython whose
 * symbols cannot be found, one too costly to analyse or too large to read
 * may be a Python that runs unseen.
 */
static int unanalysable(int err)
{
	return err == -EBADMSG || err == -ENODATA || err == -E2BIG || err == -EFBIG;
}

/*
 * The file open as fd, which pid executes or maps, could not be analysed
 * (err): said on stderr once per file (device, inode, change time, kept by
 * the attacher, which the metrics count) and counted among what was not
 * traced; the caller marks it as no Python, so it is not analysed again.
 */
static void not_analysed(struct discovery *d, pid_t pid, const char *comm, int fd,
			 const char *name, int err)
{
	char shown[512];

	if (!attacher__note_unanalysed_fd(d->att, fd))
		return;
	said_name(shown, name);
	pa_warn("PID %d (%s) runs %s, which could not be analysed: %s: not traced (said once "
		"for this file)", pid, comm, shown, pybin_strerror(err));
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
	char comm[32], comm0[32];

	target_comm(pid, comm0, sizeof(comm0)); /* for a message after it is gone */

	for (try = 0;; try++) {
		n = target_exec_files(pid, d->files, MAX_FILES);
		if (n < 0)
			return n;
		found = stale = 0;
		for (i = 0; i < n; i++) {
			struct proc_file *f = &d->files[i];
			struct attach_result res;
			const char *why;
			char shown[512];
			int fd;

			process_held(d); /* a new program waits no longer than one file's look */
			said_name(shown, f->name);
			fd = target_open_file(pid, f);
			if (fd == -ESTALE) {
				stale = 1;
				continue;
			}
			if (fd < 0) {
				if (!target_alive(pid))
					return -ESRCH;
				if (strict) {
					pa_err("PID %d: opening %s: %s", pid, shown, strerror(-fd));
					return fd;
				}
				untraced(d, pid, "opening %s: %s: not traced", shown, strerror(-fd));
				continue;
			}
			if (attacher__known_other_fd(d->att, fd)) {
				close(fd);
				continue;
			}
			err = attacher__add_fd(d->att, fd, shown, attach_pid, &res, &why);
			if (err == -ENOENT)
				said_old_python(d, pid, comm0, fd, shown);
			if (unanalysable(err)) {
				target_comm(pid, comm, sizeof(comm));
				not_analysed(d, pid, comm[0] ? comm : comm0, fd, shown, err);
			}
			if (err == -ENOENT || err == -ENOEXEC || err == -ENOTSUP || unanalysable(err))
				attacher__mark_other_fd(d->att, fd);
			close(fd);
			if (err == -ENOENT || err == -ENOEXEC || unanalysable(err))
				continue;
			if (err == -ENOTSUP) {
				if (strict) {
					pa_err("PID %d: %s", pid, why);
					return err;
				}
				untraced(d, pid, "%s", why);
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
					pa_err("PID %d: attaching to %s: %s", pid, shown,
					       strerror(-err));
					return err;
				}
				untraced(d, pid, "attaching to %s: %s: not traced", shown,
					 strerror(-err));
				continue;
			}
			if (!res.already)
				d->nattached++;
			/* the probes are in: is that still the file the process runs? */
			err = target_maps_file(pid, f->dev, f->ino);
			if (err == -ESRCH || (err <= 0 && !target_alive(pid))) {
				/* (a process found at start owes us nothing from before) */
				if (late_since_ns && (!res.already || res.since_ns > late_since_ns)) {
					/* the binary is probed for what comes, not this process */
					pa_warn("PID %d (%s) ran %s (CPython %s) and ended while it was "
						"being probed: its events were not seen%s",
						pid, comm0, shown, res.bin->version,
						attach_pid == -1 ? "; later processes of it are probed" : "");
					d->nuntraced++;
				}
				return -ESRCH;
			}
			if (err <= 0) {
				stale = 1;
				continue;
			}
			found++;
			if (res.already) {
				/* probed already, but after this process mapped it */
				if (late_since_ns && res.since_ns > late_since_ns)
					untraced(d, pid, "%s was mapped %.1f ms before it was probed: "
						 "events of that process in between may be missing",
						 shown, (res.since_ns - late_since_ns) / 1e6);
				continue;
			}
			target_comm(pid, comm, sizeof(comm));
			say_probed(pid, comm, &res, attach_pid);
			if (late_since_ns)
				untraced(d, pid, "%s was first mapped %.1f ms before it could be "
					 "probed: events of that process in between may be missing",
					 shown, (now_mono() - late_since_ns) / 1e6);
			if (log_verbose())
				pa_dbg("  %s: %s, %d probes", shown, res.bin->build, res.nlinks);
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

/*
 * The command's own program has run a second holding no Python and linking no
 * libpython: said (it may still exec one, or dlopen one: those are traced), so
 * that "not traced" never looks like "no events".
 */
static void say_not_python(struct discovery *d, pid_t pid)
{
	char path[64], exe[4096];
	struct libpython_needed nd;
	ssize_t len;
	int fd;

	if (old_python_in(d, pid, d->old_python, sizeof(d->old_python), exe, sizeof(exe))) {
		pa_warn("%s: %s is CPython %s, which has no audit events (they came in 3.8, "
			"PEP 578): nothing to trace%s", d->cfg->command[0], exe, d->old_python,
			d->cfg->follow ? "; the processes it starts are followed" : "");
		d->said_not_python = 1;
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		int n = libpython_needed(fd, &nd);

		close(fd);
		if (n > 0)
			return; /* ld.so maps it next: found then */
	}
	len = readlink(path, exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	target_sanitize(exe);
	if (d->cfg->follow)
		pa_info("%s: %s is not a Python program: the processes it starts are followed",
			d->cfg->command[0], exe[0] ? exe : "its program");
	else
		pa_warn("%s: %s is not a Python program: its own audit events are traced only if "
			"it execs or loads a Python, and the processes it starts are not followed "
			"(trace them with -f)", d->cfg->command[0], exe[0] ? exe : "its program");
	d->said_not_python = 1;
}

static int probe_needed_libpython(struct discovery *d, const struct held_exec *e,
				  const char *exe_name, pid_t attach_pid, const char *comm);

/*
 * -f, the command at an exec stop, no Python mapped yet: the libpython its
 * executable links is probed now, before ld.so maps it (as for a held exec).
 * Returns 1 if one was probed, 0 if it links none, -1 if it links one not
 * found here (then it stays held under ptrace until ld.so has mapped it).
 */
static int spawn_needed(struct discovery *d, pid_t pid)
{
	struct held_exec e = { .pid = pid };
	char path[64], name[PATH_MAX], comm[32];
	ssize_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	e.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (e.fd < 0)
		return -1;
	len = readlink(path, name, sizeof(name) - 1);
	name[len > 0 ? len : 0] = 0;
	target_comm(pid, comm, sizeof(comm));
	r = probe_needed_libpython(d, &e, name, -1, comm);
	close(e.fd);
	return r;
}

static int spawn_found(void *ctx, pid_t pid, int at_exec)
{
	struct discovery *d = ctx;
	int n, let_go = 0;

	if (at_exec == 2) {
		/* its program has run a second with no Python: said (at exit too) */
		if (!d->said_not_python)
			say_not_python(d, pid);
		return 0;
	}
	/* its first stop, at its first exec: it has started nothing yet */
	follow_pid(d, pid);
	n = attach_process(d, pid, d->every ? -1 : pid, 1, 0);
	if (n == -ESRCH)
		return 0;
	/*
	 * -f: not kept under ptrace when nothing more is to be waited for here
	 * (a program linking no libpython: sh, env, a shell shim): the session's
	 * loop must run, to decide its children's held execs and read the ring.
	 * Its own later execs are held like theirs, a Python it dlopens reported.
	 */
	if (d->cfg->follow && at_exec == 1 && n == 0) {
		int r = spawn_needed(d, pid);

		if (r >= 0)
			let_go = 1;
	}
	if (n > 0 || let_go) {
		/*
		 * Let go next, still stopped now: from here on its execs are held
		 * (another Python is probed before it runs) and its executable
		 * mappings reported.
		 */
		__u8 one = 1;
		__u32 key = pid;

		bpf_map_update_elem(bpf_map__fd(d->skel->maps.watched), &key, &one, BPF_ANY);
		if (d->hold)
			exec_hold__watch_pid(d->hold, pid, 1);
		d->child_let_go_ns = now_mono();
	}
	return n < 0 ? n : n > 0 || let_go;
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
	char exe[4096], ver[32], oldfile[256];
	int i, n;

	for (i = 0; i < cfg->npids; i++) {
		pid_t pid = cfg->pids[i], tgid;

		if (!target_alive(pid)) {
			pa_err("-p %d: no such process", pid);
			return -ESRCH;
		}
		/* a thread's id: its process is traced (probes and exit are per process) */
		tgid = target_tgid(pid);
		if (tgid > 0 && tgid != pid) {
			char comm[32];

			target_comm(tgid, comm, sizeof(comm));
			pa_info("-p %d is a thread of process %d (%s): tracing the process, all its "
				"threads", pid, tgid, comm);
			pid = tgid;
		}
		{
			__u8 one = 1;
			__u32 key = pid;

			/* its later executable mappings (a dlopen'd libpython) are reported */
			bpf_map_update_elem(bpf_map__fd(d->skel->maps.watched), &key, &one, BPF_ANY);
			/* and a Python it execs is probed before it runs */
			if (d->hold)
				exec_hold__watch_pid(d->hold, pid, 1);
			follow_pid(d, pid);
		}
		n = attach_process(d, pid, d->every ? -1 : pid, 1, 0);
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
		if (n == 0 && !old_python_in(d, pid, ver, sizeof(ver), oldfile, sizeof(oldfile)))
			ver[0] = 0;
		if (n == 0 && cfg->follow) {
			char comm[32];

			target_comm(pid, comm, sizeof(comm));
			if (ver[0])
				pa_info("PID %d (%s): CPython %s has no audit events (they came in "
					"3.8); the processes it starts are followed", pid, comm, ver);
			else
				pa_info("PID %d (%s): no Python interpreter in it; the processes it "
					"starts are followed", pid, comm);
		} else if (n == 0 && ver[0]) {
			pa_err("-p %d: CPython %s has no audit events (they came in 3.8, PEP 578): "
			       "nothing to trace in %s", pid, ver, oldfile);
			return -ENOENT;
		} else if (n == 0 && cfg->wait) {
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
	for (i = 0; i < n; i++) {
		if (pids[i] != self)
			attach_process(d, pids[i], -1, 0, 0);
		process_held(d); /* programs started meanwhile wait as little as possible */
	}
	free(pids);
	attach_known_files(d);
	return 0;
}

/* A new executable mapping somewhere (system-wide): is it a Python we lack? */
static void queue_mmap(struct discovery *d, const struct pa_exec_rec *r)
{
	uint64_t dev = makedev(r->dev >> 20, r->dev & 0xfffff);

	uint64_t since;

	/* -f: a mapping of the command while it was held (and probed) under ptrace */
	if (d->cfg->follow && r->pid == (__u32)d->child && r->hdr.ts_ns <= d->child_let_go_ns)
		return;
	if (attacher__known_other(d->att, dev, r->ino)) {
		settle_file(d, dev, r->ino);
		return;
	}
	/* probed for everyone before this mapping: nothing to do (after: said, see attach_process) */
	if (d->every && attacher__probed_all(d->att, dev, r->ino, &since) &&
	    since <= r->hdr.ts_ns) {
		settle_file(d, dev, r->ino);
		return;
	}
	if (VEC_RESERVE(d->pend, d->npend, d->cap_pend, 64))
		return;
	d->pend[d->npend].pid = r->pid;
	d->pend[d->npend].dev = dev;
	d->pend[d->npend].kdev = r->dev;
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

/*
 * The kernel reports a file once (system-wide: seen_files); one that could not
 * be looked at is forgotten there, so that the next process mapping it reports
 * it again: a binary is never lost because its first process was short-lived.
 */
static void forget_file(struct discovery *d, const struct mmap_pending *p)
{
	uint64_t key = PA_SEEN_KEY(p->kdev, p->ino);

	if (d->every)
		bpf_map_delete_elem(bpf_map__fd(d->skel->maps.seen_files), &key);
}

/* The kernel's key of a file in seen_files, from a st_dev of ours. */
static uint64_t seen_key(uint64_t dev, uint64_t ino)
{
	uint64_t kdev = ((uint64_t)major(dev) << 20) | minor(dev);

	return PA_SEEN_KEY(kdev, ino);
}

/*
 * System-wide: a file decided for good (probed for every process, or not a
 * Python) is no longer reported by the kernel; until then every mapping of it is.
 */
static void settle_file(struct discovery *d, uint64_t dev, uint64_t ino)
{
	uint64_t key = seen_key(dev, ino);
	__u8 settled = PA_SEEN_SETTLED;

	if (d->every)
		bpf_map_update_elem(bpf_map__fd(d->skel->maps.seen_files), &key, &settled, BPF_ANY);
}

/* Does the name suggest a Python?  Only to decide how loudly an unseen file is mentioned. */
static int pythonish(const struct mmap_pending *p)
{
	/* an exec'd file only: a Python process maps many libraries (extension modules) */
	return p->path[0] && (strstr(p->path, "python") || !strncmp(p->comm, "python", 6));
}

/*
 * The process is gone before its new file could be looked at in /proc.  An
 * exec'd file may still be reached by the name execve gave it: opened, and
 * used only if it is the very inode the kernel reported.  If it holds a
 * Python it is probed for the processes to come, and the loss is said.
 */
static void lost_process(struct discovery *d, const struct mmap_pending *p)
{
	struct attach_result res;
	const char *why;
	char shown[512];
	struct stat st;
	int fd = -1, err;

	said_name(shown, p->path);
	if (!d->every) {
		/* -p / the command: its process is the one that mattered */
		pa_warn("PID %d (%s) ended before its new executable file could be examined: "
			"events it raised after that may be missing", p->pid, p->comm);
		d->nuntraced++;
		return;
	}
	if (p->path[0] == '/')
		fd = open(p->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && (fstat(fd, &st) || st.st_ino != p->ino ||
			major(st.st_dev) != major(p->dev) || minor(st.st_dev) != minor(p->dev))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		forget_file(d, p);
		if (pythonish(p)) {
			pa_warn("PID %d (%s) ended before its new executable file%s%s could be "
				"examined: if it holds a Python, that process's events were not "
				"seen; the file is examined when it runs next",
				p->pid, p->comm, shown[0] ? " " : "", shown);
			d->nuntraced++;
		} else {
			pa_dbg("PID %d (%s) ended before its new executable file could be examined; "
			       "it is examined when it is mapped next", p->pid, p->comm);
		}
		return;
	}
	err = attacher__add_fd(d->att, fd, shown, -1, &res, &why);
	if (unanalysable(err))
		not_analysed(d, p->pid, p->comm, fd, shown, err);
	if (err == -ENOENT || err == -ENOEXEC || err == -ENOTSUP || unanalysable(err))
		attacher__mark_other_fd(d->att, fd);
	close(fd);
	if (err == -ENOENT || err == -ENOEXEC || err == -ENOTSUP || unanalysable(err)) {
		settle_file(d, p->dev, p->ino);
		return;
	}
	if (err) {
		forget_file(d, p);
		pa_warn("PID %d (%s) ran %s and ended before it could be examined (%s): the file is "
			"examined when it runs next", p->pid, p->comm, shown, strerror(-err));
		d->nuntraced++;
		return;
	}
	if (!res.already)
		d->nattached++;
	settle_file(d, p->dev, p->ino);
	pa_warn("PID %d (%s) ran %s (CPython %s) and ended before it could be probed: its events "
		"were not seen; later processes of it are probed",
		p->pid, p->comm, shown, res.bin->version);
	d->nuntraced++;
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
				if (attach_process(d, p->pid, d->every ? -1 : p->pid, 0,
						   p->ts_ns) == -ESRCH &&
				    !attacher__known_other(d->att, p->dev, p->ino) &&
				    !attacher__probed_all(d->att, p->dev, p->ino, NULL))
					lost_process(d, p); /* gone while we looked */
				/* neither probed nor known not to be Python: ask again next time */
				if (!attacher__known_other(d->att, p->dev, p->ino) &&
				    !attacher__probed_all(d->att, p->dev, p->ino, NULL))
					forget_file(d, p);
				else
					settle_file(d, p->dev, p->ino);
				done = 1;
				break;
			}
		}
		if (!done && ++p->tries < MMAP_RETRIES)
			continue;
		if (!done) {
			/* alive, but the mapping never showed: looked at again next time */
			forget_file(d, p);
			pa_dbg("PID %d (%s): a new executable mapping never showed in its maps",
			       p->pid, p->comm);
		}
		d->pend[i--] = d->pend[--d->npend];
	}
}

/* ---- new programs held at exec ---------------------------------------------- */

/*
 * A dynamic executable held at exec that links a libpython: that library is
 * found the way ld.so would (user/libpython.h: RUNPATH with $ORIGIN, then
 * ld.so.conf.d's and the standard directories, inside the process's root; not
 * LD_LIBRARY_PATH nor ld.so.cache, for which the mmap tracepoint stays) and
 * probed now, before the program runs.  Returns 1 if a libpython was probed, 0 if none is linked, -1 if one
 * is linked and could not be probed here.
 */
static int probe_needed_libpython(struct discovery *d, const struct held_exec *e,
				  const char *exe_name, pid_t attach_pid, const char *comm)
{
	char path[64], origin[PATH_MAX];
	struct libpython_needed nd;
	int n, k, rootfd, ret = -1;

	n = libpython_needed(e->fd, &nd);
	if (!n)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/root", e->pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	/* $ORIGIN: the executable's directory, by the name the kernel has for it */
	snprintf(origin, sizeof(origin), "%s", exe_name);
	if (strrchr(origin, '/'))
		*strrchr(origin, '/') = 0;
	for (k = 0; k < n && ret < 1; k++) {
		int fd = libpython_open(&nd, k, rootfd, origin, NULL, 0);

		if (fd < 0)
			continue;
		{
			struct attach_result res;
			const char *why;
			char name[PATH_MAX];
			struct stat st;
			int err;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			err = readlink(path, name, sizeof(name) - 1);
			name[err > 0 ? err : 0] = 0;
			if (!fstat(fd, &st) && attacher__known_other_fd(d->att, fd)) {
				close(fd);
				continue;
			}
			err = attacher__add_fd(d->att, fd, name[0] ? name : nd.name[k], attach_pid, &res,
					       &why);
			if (err == -ENOENT)
				said_old_python(d, e->pid, comm, fd, name[0] ? name : nd.name[k]);
			if (unanalysable(err))
				not_analysed(d, e->pid, comm, fd, name[0] ? name : nd.name[k], err);
			if (err == -ENOENT || err == -ENOEXEC || unanalysable(err))
				attacher__mark_other_fd(d->att, fd);
			close(fd);
			/* found, and no Python to probe (one before 3.8): nothing to wait for */
			if ((err == -ENOENT || err == -ENOEXEC || unanalysable(err)) && ret < 0)
				ret = 0;
			if (err == -ENOTSUP) {
				untraced(d, e->pid, "%s", why);
				ret = 1;
				continue;
			}
			if (err)
				continue;
			ret = 1;
			if (!res.already) {
				d->nattached++;
				d->nheld_probed++;
				say_probed(e->pid, comm, &res, attach_pid);
			}
		}
	}
	close(rootfd);
	return ret;
}

/*
 * A program held at exec: if its file is a Python (or links a libpython), it
 * is probed now — for every process system-wide, for that process with -p and
 * the command — and only then let run.  Whatever happens it is let run: by us
 * here, or by the hold's own deadline.
 */
static void decide_held(struct discovery *d, const struct held_exec *e)
{
	pid_t attach_pid = d->every ? -1 : e->pid;
	char name[PATH_MAX], shown[512], path[48], comm[16];
	const char *base;
	int python = 0, other = 0, err;
	uint64_t t_start = now_mono();
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->fd);
	len = readlink(path, name, sizeof(name) - 1);
	name[len > 0 ? len : 0] = 0;
	if (!name[0])
		snprintf(name, sizeof(name), "(file %llu:%llu)", (unsigned long long)e->dev,
			 (unsigned long long)e->ino);
	said_name(shown, name);
	/* what its comm is about to be */
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	snprintf(comm, sizeof(comm), "%.15s", base);
	target_sanitize(comm);

	if (attacher__known_other_fd(d->att, e->fd)) {
		other = 1;
	} else {
		struct attach_result res;
		const char *why;

		err = attacher__add_fd(d->att, e->fd, shown, attach_pid, &res, &why);
		if (!err) {
			python = 1;
			if (!res.already) {
				d->nattached++;
				d->nheld_probed++;
				say_probed(e->pid, comm, &res, attach_pid);
			}
		} else if (err == -ENOENT || err == -ENOEXEC || unanalysable(err)) {
			if (unanalysable(err))
				not_analysed(d, e->pid, comm, e->fd, shown, err);
			attacher__mark_other_fd(d->att, e->fd);
			other = 1;
		} else if (err == -ENOTSUP) {
			untraced(d, e->pid, "%s", why);
			attacher__mark_other_fd(d->att, e->fd);
		} else {
			untraced(d, e->pid, "examining %s, which it executes: %s: not traced", shown,
				 strerror(-err));
		}
	}
	if (other) {
		/* a dynamic executable may link a libpython */
		int r = probe_needed_libpython(d, e, name, attach_pid, comm);

		python = r != 0;
		if (!r && !d->every)
			pa_info("PID %d execs %s, which holds no Python: its events are traced again "
				"only if it loads or execs one", e->pid, shown);
		/* decided for good unless a libpython it links could not be probed here */
		if (r >= 0 && d->every)
			exec_hold__decided(d->hold, e->dev, e->ino, e->ctime);
		if (d->mode == DISC_SYSTEM)
			settle_file(d, e->dev, e->ino);
	} else if (python && d->every &&
		   attacher__probed_all(d->att, e->dev, e->ino, NULL)) {
		exec_hold__decided(d->hold, e->dev, e->ino, e->ctime);
		settle_file(d, e->dev, e->ino);
	}
	if (!exec_hold__done(d->hold, e) && python)
		untraced(d, e->pid, "%s was let run after %d ms, before its probes were in: its "
			 "first events may be missing", shown, HOLD_DEADLINE_MS);
	else if (python)
		pa_dbg("PID %d: %s probed %.1f ms after its exec was held (%.1f ms deciding)",
		       e->pid, shown, (now_mono() - e->t0_ns) / 1e6, (now_mono() - t_start) / 1e6);
}

static void process_held(struct discovery *d)
{
	struct held_exec e;
	int n = 0;

	while (d->hold && n++ < 64 && exec_hold__next(d->hold, &e))
		decide_held(d, &e);
}

/* ---- the session's interface ---------------------------------------------- */

struct discovery *discovery__new(const struct discovery_opts *opts)
{
	struct discovery *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = opts->cfg;
	d->mode = discovery_mode(opts->cfg);
	d->every = d->mode == DISC_SYSTEM || opts->cfg->follow;
	d->skel = opts->skel;
	d->att = opts->att;
	d->epfd = opts->epfd;
	if (!d->cfg->no_hold) {
		int err;

		d->hold = exec_hold__new(d->mode == DISC_SYSTEM, HOLD_DEADLINE_MS, &err);
		if (!d->hold && d->mode == DISC_SYSTEM)
			pa_warn("new programs cannot be held at exec while their Python is probed "
				"(fanotify: %s): the first events of a Python binary not seen "
				"before may be missed", strerror(-err));
		else if (!d->hold)
			pa_dbg("exec hold: %s", strerror(-err));
		if (d->hold) {
			struct epoll_event ee = { .events = EPOLLIN, .data.u64 = HOLD_TOKEN };

			if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, exec_hold__event_fd(d->hold), &ee))
				pa_dbg("exec hold: epoll: %s", strerror(errno));
			/* -f: the children's execs are held too, known from the kernel's map */
			if (d->mode != DISC_SYSTEM && d->cfg->follow)
				exec_hold__follow_map(d->hold,
						      bpf_map__fd(d->skel->maps.followed));
		}
	}
	return d;
}

void discovery__free(struct discovery *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nwatch; i++)
		close(d->watch[i].fd);
	exec_hold__free(d->hold); /* everything still held runs */
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
		pa_info("tracing %d process%s%s", cfg->npids, cfg->npids == 1 ? "" : "es",
			cfg->duration_ns ? "." : "; Ctrl-C to end.");
		return 0;
	case DISC_SYSTEM:
		err = attach_system(d);
		if (err)
			return err;
		pa_info("tracing every Python process (%d binar%s probed so far)%s", d->nattached,
			d->nattached == 1 ? "y" : "ies", cfg->duration_ns ? "." : "; Ctrl-C to end.");
		return 0;
	case DISC_COMMAND:
		err = target_spawn(cfg->command, spawn_found, d, &d->child, &d->child_ended,
				   &d->child_status);
		if (err)
			return err;
		if (!d->child_ended) {
			if (!d->nattached && !d->said_not_python && !cfg->follow)
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
	/* and a Python it execs is probed before it runs */
	if (d->hold)
		exec_hold__watch_pid(d->hold, pid, 1);
	follow_pid(d, pid);
	n = attach_process(d, pid, d->every ? -1 : pid, strict, 0);
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

	if (data == HOLD_TOKEN) {
		process_held(d);
		return;
	}
	if (w < (unsigned)d->nwatch && !d->watch[w].gone) {
		d->watch[w].gone = 1;
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->watch[w].fd, NULL);
		if (d->hold) /* its pid may be reused by a process that is none of ours */
			exec_hold__watch_pid(d->hold, d->watch[w].pid, 0);
		if (d->mode == DISC_COMMAND && d->watch[w].pid == d->child &&
		    waitpid(d->child, &d->child_status, 0) == d->child)
			d->child_ended = 1;
	}
}

int discovery__poll(struct discovery *d)
{
	process_held(d);
	if (d->npend)
		handle_pending_mmaps(d);
	return d->npend ? 5 : 50;
}

int discovery__all_gone(struct discovery *d)
{
	int i;

	if (d->mode == DISC_SYSTEM)
		return 0;
	if (d->mode == DISC_COMMAND && !d->child_ended)
		return 0;
	for (i = 0; d->mode == DISC_PIDS && i < d->nwatch; i++)
		if (!d->watch[i].gone)
			return 0;
	/* -f: and every process they started (as strace -f) */
	return !d->cfg->follow || !any_followed(d);
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
	int i;

	/* -p, the command: a target gone with a new file not looked at yet */
	for (i = 0; d && d->mode != DISC_SYSTEM && i < d->npend; i++)
		if (!target_alive(d->pend[i].pid))
			lost_process(d, &d->pend[i]);
	if (d && d->hold && log_verbose()) {
		struct exec_hold_stats st;

		exec_hold__stats(d->hold, &st);
		pa_dbg("exec hold: %d filesystems, %llu execs held, %llu let run by the deadline, "
		       "longest %.1f ms, %d binaries probed while held", st.filesystems,
		       (unsigned long long)st.held, (unsigned long long)st.late, st.max_ns / 1e6,
		       d->nheld_probed);
	}
	if (d && d->mode == DISC_COMMAND && !d->nattached && d->child_ended && d->cfg->follow)
		pa_warn("%s and the processes it started ran no Python: no audit event was traced",
			d->cfg->command[0]);
	else if (d && d->mode == DISC_COMMAND && !d->nattached && d->child_ended &&
		 d->old_python[0])
		pa_warn("%s ran CPython %s, which has no audit events: no audit event was traced",
			d->cfg->command[0], d->old_python);
	else if (d && d->mode == DISC_COMMAND && !d->nattached && d->child_ended)
		pa_warn("%s ran no Python in its own process%s: no audit event was traced",
			d->cfg->command[0], d->said_not_python ? "" :
			" (the processes it starts are not followed: -f follows them)");
	if (d && d->nuntraced)
		pa_warn("%d process%s not fully traced (said above)", d->nuntraced,
			d->nuntraced == 1 ? " was" : "es were");
}
