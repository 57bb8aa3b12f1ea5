/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * discovery.h - which processes are traced, and finding their Python binaries:
 * the -p targets, the `-- COMMAND` child, system-wide scanning and the install
 * places probed ahead, executable files reported by the kernel (the pending
 * mmap queue), and the processes that could not be traced fully (reported on
 * stderr and counted).  It is handed the attacher, which turns a binary into
 * probes; the session (user/tracer.c) owns the ring buffer, the poll loop and
 * the output, and hands discovery its epoll set and the records it is for.
 */
#ifndef PA_DISCOVERY_H
#define PA_DISCOVERY_H

#include <stdint.h>
#include <sys/types.h>
#include "cli.h"

struct attacher;
struct pyaudit_bpf;
struct pa_exec_rec;
struct discovery;

enum disc_mode { DISC_PIDS, DISC_COMMAND, DISC_SYSTEM };

/* The mode a configuration runs in (the session configures BPF by it). */
enum disc_mode discovery_mode(const struct config *cfg);

struct discovery_opts {
	const struct config *cfg;
	struct pyaudit_bpf *skel;	/* loaded; its discovery programs attached (not COMMAND) */
	struct attacher *att;
	int epfd;			/* the session's epoll set: discovery adds its fds there */
};

/* Returns NULL (errno set) on failure. */
struct discovery *discovery__new(const struct discovery_opts *opts);
/* Closes its fds; the command, if still running, goes on.  NULL is fine. */
void discovery__free(struct discovery *d);

/*
 * Attaches the -p targets, starts the command, or scans the machine; prints
 * the "tracing ...; Ctrl-C to end." line.  Returns 0, or -errno after a
 * message (the command may have ended: see discovery__child()).
 */
int discovery__start(struct discovery *d);

/*
 * Adds pid to the traced set (as -p does): probes its Python binaries for it,
 * watches its later executable mappings and its exit.  strict: a process that
 * is not Python, or whose route is missing, is an error (-p); else it is
 * watched for a Python to appear.  Returns the number of Python binaries it
 * maps (0 if none yet), or -errno (-ESRCH: gone) after a message if strict.
 */
int discovery__add_pid(struct discovery *d, pid_t pid, int strict);

/* A PA_REC_EXEC/PA_REC_MMAP record of the ring buffer. */
void discovery__on_record(struct discovery *d, const struct pa_exec_rec *r);

/* An epoll event whose data.u64 is not 0 (0 is the session's ring buffer). */
void discovery__on_epoll(struct discovery *d, uint64_t data);

/* Work between polls (pending mmaps, held execs).  Returns the poll timeout it needs, in ms. */
int discovery__poll(struct discovery *d);

/* Has every target ended (never in system-wide mode)? */
int discovery__all_gone(struct discovery *d);

/* The command: its pid (0 if none), whether it ended and its wait status. */
pid_t discovery__child(struct discovery *d, int *ended, int *status);

/* Binaries (system-wide) or processes probed so far. */
int discovery__nattached(struct discovery *d);

/* At exit: the count of processes not fully traced, said on stderr if any. */
void discovery__report(struct discovery *d);

#endif
