/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target.h - which processes: the executable files a process maps (seen through
 * /proc/PID/root or /proc/PID/map_files, so a process in a chroot or container,
 * or one whose binary was replaced on disk, is read right), every process on
 * the machine, and `-- COMMAND`, held under ptrace until its Python is probed.
 */
#ifndef PA_TARGET_H
#define PA_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TARGET_MAX_FILES 512

struct proc_file {
	char path[4200];	/* /proc/PID/map_files/START-END, for messages */
	char name[256];		/* the path as the process sees it (in its root) */
	uint64_t dev, ino;	/* of the mapping, as /proc/PID/maps says (makedev) */
	unsigned long start, end; /* its first executable mapping */
};

/*
 * Lists the distinct files pid maps executable.  Returns how many (up to max),
 * or -ESRCH if the process is gone, other -errno.
 */
int target_exec_files(pid_t pid, struct proc_file *out, int max);

/*
 * Opens the very file of pf (O_RDONLY | O_NONBLOCK | O_CLOEXEC): through
 * /proc/PID/map_files, else its name resolved inside /proc/PID/root without
 * following any symbolic link; either way checked by fstat to be pf's (dev,
 * ino).  Returns the fd, -ESTALE if what is there now is another file, -ESRCH
 * if the process is gone, other -errno.
 */
int target_open_file(pid_t pid, const struct proc_file *pf);

/* Does pid still map (dev, ino) executable?  1, 0, or -errno (-ESRCH: gone). */
int target_maps_file(pid_t pid, uint64_t dev, uint64_t ino);

/* Every process on the machine (numeric /proc entries).  Returns count or -errno; *pids malloc'd. */
int target_all_pids(pid_t **pids);

/* Replaces bytes a terminal could act on (controls, non-ASCII) with '?', for messages. */
void target_sanitize(char *s);

/* The comm of pid into buf ("?" if gone), sanitized for messages. */
void target_comm(pid_t pid, char *buf, size_t size);

/* The process (thread group) a thread id belongs to, or -ESRCH. */
pid_t target_tgid(pid_t tid);

/* Does pid exist (and is not a zombie)? */
int target_alive(pid_t pid);

/*
 * Starts cmd with its stdio, holds it under ptrace and calls found(ctx, pid,
 * at_exec) after its execs (at_exec 1), after each executable mmap it makes
 * (0), and once a second after an exec that brought no Python (2: the child
 * is running, not stopped; the return value other than < 0 is ignored), until found returns
 * 1 (its Python is probed: the child is let go) or the child ends.  found < 0
 * kills the child.  Returns 0 with *child set (still running, or ended with
 * *status filled and *ended = 1), or -errno (cmd could not be started: a message
 * was printed).
 */
int target_spawn(char *const *cmd, int (*found)(void *ctx, pid_t pid, int at_exec), void *ctx, pid_t *child,
		 int *ended, int *status);

#endif
