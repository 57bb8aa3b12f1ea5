// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * target.c - processes, their mapped executables, and the held child of
 * `-- COMMAND`.
 *
 * The child is started under ptrace so that not one of its audit events runs
 * before the probes are in: it stops after every exec (the interpreter may be
 * the executable itself, as in Debian's static python3.X), and once a dynamic
 * executable runs, after every executable mmap (libpython is mapped by ld.so,
 * or later by dlopen).  As soon as a Python binary is probed it is detached and
 * runs at full speed; the probes on a file apply to mappings made later too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "log.h"
#include "target.h"
#include "vec.h"

int target_exec_files(pid_t pid, struct proc_file *out, int max)
{
	char path[64], line[4608];
	FILE *f;
	int n = 0, i, lines = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	/* bounded: a process may map a great many things; the first 2^20 are looked at */
	while (fgets(line, sizeof(line), f) && lines++ < (1 << 20)) {
		unsigned long start, end, maj, min, ino;
		char perms[8], file[4096];
		struct proc_file pf;
		int pos = 0;

		file[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %lx:%lx %lu %n", &start, &end, perms, &maj, &min,
			   &ino, &pos) < 6)
			continue;
		if (perms[2] != 'x' || !ino)
			continue;
		snprintf(file, sizeof(file), "%s", line + pos);
		file[strcspn(file, "\n")] = 0;
		if (file[0] != '/')
			continue; /* [vdso] and the like */
		memset(&pf, 0, sizeof(pf));
		pf.dev = makedev(maj, min);
		pf.ino = ino;
		for (i = 0; i < n; i++)
			if (out[i].dev == pf.dev && out[i].ino == pf.ino)
				break;
		if (i < n)
			continue;
		snprintf(pf.name, sizeof(pf.name), "%s", file);
		pf.start = start;
		pf.end = end;
		snprintf(pf.path, sizeof(pf.path), "/proc/%d/map_files/%lx-%lx", pid, start, end);
		if (n < max)
			out[n++] = pf;
	}
	fclose(f);
	return n;
}

#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif

struct pa_open_how {
	uint64_t flags, mode, resolve;
};

/* Is the open file fd the inode pf says the process maps?  0, or -ESTALE. */
static int same_file(int fd, const struct proc_file *pf)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ESTALE;
	return st.st_ino == pf->ino && major(st.st_dev) == major(pf->dev) &&
	       minor(st.st_dev) == minor(pf->dev) ? 0 : -ESTALE;
}

int target_open_file(pid_t pid, const struct proc_file *pf)
{
	const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	char path[96];
	int fd, err, rootfd;

	/*
	 * map_files/START-END is the kernel's own link to the file of that
	 * mapping: no path is walked, nothing can be swapped in.  It is gone once
	 * the range is unmapped or remapped (ld.so, a program's own mmap).
	 */
	if (pf->end > pf->start) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid, pf->start, pf->end);
		fd = open(path, flags);
		if (fd >= 0) {
			if (!same_file(fd, pf))
				return fd;
			close(fd);
		}
	}
	/*
	 * Else the name the process sees, inside its root, and no symbolic
	 * link followed on the way: a name in /proc/PID/maps is the kernel's
	 * path of the file, which holds none, so one found there was put by
	 * someone else (or the file was renamed since).
	 */
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	{
		struct pa_open_how how = {
			.flags = flags,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};

		fd = syscall(SYS_openat2, rootfd, pf->name, &how, sizeof(how));
	}
	err = fd < 0 ? -errno : 0;
	close(rootfd);
	if (fd < 0)
		return err == -ELOOP || err == -ENOENT || err == -EXDEV ? -ESTALE : err;
	err = same_file(fd, pf);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int target_maps_file(pid_t pid, uint64_t dev, uint64_t ino)
{
	struct proc_file *files = calloc(TARGET_MAX_FILES, sizeof(*files));
	int i, n, found = 0;

	if (!files)
		return -ENOMEM;
	n = target_exec_files(pid, files, TARGET_MAX_FILES);
	for (i = 0; i < n; i++)
		if (files[i].dev == dev && files[i].ino == ino)
			found = 1;
	free(files);
	return n < 0 ? n : found;
}

int target_all_pids(pid_t **pids)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0, cap = 0;
	pid_t *v = NULL;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (VEC_RESERVE(v, n, cap, 256)) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v[n++] = pid;
	}
	closedir(d);
	*pids = v;
	return n;
}

void target_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void target_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, size - 1)) <= 0) {
		snprintf(buf, size, "?");
	} else {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		target_sanitize(buf);
	}
	if (fd >= 0)
		close(fd);
}

pid_t target_tgid(pid_t tid)
{
	char path[64], line[256];
	pid_t tgid = -ESRCH;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f) && n++ < 64) {
		long v;

		if (sscanf(line, "Tgid: %ld", &v) == 1 && v > 0) {
			tgid = (pid_t)v;
			break;
		}
	}
	fclose(f);
	return tgid;
}

int target_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* ---- the held child ---------------------------------------------------------- */

static int is_exec_mmap(pid_t pid)
{
	struct __ptrace_syscall_info si;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) <= 0)
		return 0;
	/* at exit we only know the result; the entry told us the call */
	return si.op == PTRACE_SYSCALL_INFO_EXIT && !si.exit.is_error;
}

static volatile sig_atomic_t spawn_alarm;

static void on_spawn_alarm(int sig)
{
	(void)sig;
	spawn_alarm = 1;
}

/* One second after an exec that brought no Python: found(..., 2) is called once. */
static void arm_alarm(int on)
{
	struct itimerval it = { .it_value = { .tv_sec = on ? 1 : 0 } };

	spawn_alarm = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

int target_spawn(char *const *cmd, int (*found)(void *ctx, pid_t pid, int at_exec), void *ctx, pid_t *child,
		 int *ended, int *status)
{
	int st, pipefd[2], err = 0, after_exec = 0, in_mmap = 0;
	struct sigaction sa = { .sa_handler = on_spawn_alarm }, old_sa;
	pid_t pid;

	*ended = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
			raise(SIGSTOP);
		execvp(cmd[0], cmd);
		err = errno;
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	*child = pid;

	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		close(pipefd[0]);
		return -ECHILD;
	}
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	/* no SA_RESTART: the alarm interrupts waitpid() while the child runs on */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);

	for (;;) {
		int sig = 0, r;

		if (waitpid(pid, &st, 0) < 0) {
			if (errno == EINTR) {
				if (spawn_alarm) {
					spawn_alarm = 0;
					if (found(ctx, pid, 2) < 0) {
						kill(pid, SIGKILL);
						err = -ECANCELED;
						/* reaped below as it ends */
					}
				}
				continue;
			}
			err = -errno;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			int cerr = 0;

			/* an exec that failed reports its errno through the pipe */
			if (read(pipefd[0], &cerr, sizeof(cerr)) == sizeof(cerr) && cerr) {
				pa_err("%s: %s", cmd[0], strerror(cerr));
				close(pipefd[0]);
				*ended = 1;
				*status = st;
				return -cerr;
			}
			*ended = 1;
			*status = st;
			break;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			after_exec = 1;
			r = found(ctx, pid, 1);
			arm_alarm(r == 0);
		} else if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;

			r = 0;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) > 0) {
				if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
					in_mmap = (si.entry.nr == SYS_mmap || si.entry.nr == SYS_mprotect) &&
						  (si.entry.args[2] & 4 /* PROT_EXEC */);
				else if (in_mmap && is_exec_mmap(pid))
					r = found(ctx, pid, 0);
			}
		} else {
			sig = WSTOPSIG(st);
			r = 0;
		}
		if (r < 0) {
			kill(pid, SIGKILL);
			err = r;
			break;
		}
		if (r > 0) {
			ptrace(PTRACE_DETACH, pid, 0, sig);
			break;
		}
		ptrace(after_exec ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, sig);
	}
	arm_alarm(0);
	sigaction(SIGALRM, &old_sa, NULL);
	close(pipefd[0]);
	return err;
}
