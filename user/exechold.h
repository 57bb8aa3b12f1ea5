/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exechold.h - hold a program at exec until its Python is probed.
 *
 * A fanotify FAN_OPEN_EXEC_PERM mark on every mounted filesystem makes the
 * kernel wait, inside execve(), for our answer before the new program runs;
 * the kernel hands us the very file being executed, already open.  A thread of
 * its own answers: at once for a file already decided, and for every held exec
 * within a deadline whatever the rest of the tool is doing.  The answer is
 * always "allow" (this tool never denies anything), and if the tool dies the
 * kernel allows whatever was still held.
 */
#ifndef PA_EXECHOLD_H
#define PA_EXECHOLD_H

#include <stdint.h>
#include <sys/types.h>

struct exec_hold;

struct held_exec {
	int fd;			/* the file being executed (owned by the hold) */
	pid_t pid;		/* the process executing it */
	uint64_t dev, ino, ctime;	/* ctime_ns: an inode number is reused once freed */
	uint64_t t0_ns;		/* CLOCK_MONOTONIC when the kernel's request was read */
	int slot;
};

/*
 * Starts holding.  all: every process's execs (system-wide); else only those
 * of pids added with exec_hold__watch_pid().  deadline_ms: the longest any
 * exec is held.  Returns NULL with *err (-errno: -EPERM, -EINVAL when the
 * kernel lacks FAN_OPEN_EXEC_PERM, ...).
 */
struct exec_hold *exec_hold__new(int all, int deadline_ms, int *err);
/* Allows everything held, stops the thread, closes the group.  NULL is fine. */
void exec_hold__free(struct exec_hold *h);

/* An eventfd readable when held execs wait for a decision (for the session's epoll). */
int exec_hold__event_fd(struct exec_hold *h);

/* The next held exec to decide on: 1 and *e, or 0 if none. */
int exec_hold__next(struct exec_hold *h, struct held_exec *e);
/*
 * Lets it run (if the deadline has not already) and releases its fd.
 * Returns 1 if it was still held (its probes, if any, were in first).
 */
int exec_hold__done(struct exec_hold *h, const struct held_exec *e);

/* (dev, ino, ctime) needs no decision: its execs are allowed at once from now on. */
void exec_hold__decided(struct exec_hold *h, uint64_t dev, uint64_t ino, uint64_t ctime);
/* Holds (on) or stops holding (off) the execs of pid (when not all). */
void exec_hold__watch_pid(struct exec_hold *h, pid_t pid, int on);

/*
 * -f: the execs of every process in this BPF hash map (key: tgid, as a __u32)
 * are held too; the map is read at each exec, so a child added by the kernel
 * at its fork is held at its first exec.
 */
void exec_hold__follow_map(struct exec_hold *h, int map_fd);

struct exec_hold_stats {
	uint64_t held;		/* execs that waited for a decision */
	uint64_t late;		/* of them, allowed by the deadline, not by a decision */
	uint64_t max_ns;	/* longest hold */
	int filesystems;	/* marked */
};
void exec_hold__stats(struct exec_hold *h, struct exec_hold_stats *st);

#endif
