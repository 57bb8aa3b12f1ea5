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

struct proc_file {
	char path[4200];	/* /proc/PID/root/... or /proc/PID/map_files/START-END */
	char name[256];		/* the path as the process sees it, for messages */
	uint64_t dev, ino;	/* st_dev / st_ino encoding (makedev) */
};

/*
 * Lists the distinct files pid maps executable.  Returns how many (up to max),
 * or -ESRCH if the process is gone, other -errno.
 */
int target_exec_files(pid_t pid, struct proc_file *out, int max);

/* Every process on the machine (numeric /proc entries).  Returns count or -errno; *pids malloc'd. */
int target_all_pids(pid_t **pids);

/* Replaces bytes a terminal could act on (controls, non-ASCII) with '?', for messages. */
void target_sanitize(char *s);

/* The comm of pid into buf ("?" if gone), sanitized for messages. */
void target_comm(pid_t pid, char *buf, size_t size);

/* Does pid exist (and is not a zombie)? */
int target_alive(pid_t pid);

/*
 * Starts cmd with its stdio, holds it under ptrace and calls found(ctx, pid)
 * after its execs and after each executable mmap it makes, until found returns
 * 1 (its Python is probed: the child is let go) or the child ends.  found < 0
 * kills the child.  Returns 0 with *child set (still running, or ended with
 * *status filled and *ended = 1), or -errno (cmd could not be started: a message
 * was printed).
 */
int target_spawn(char *const *cmd, int (*found)(void *ctx, pid_t pid), void *ctx, pid_t *child,
		 int *ended, int *status);

#endif
