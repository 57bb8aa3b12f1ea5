/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tracer.h - one tracing session: BPF skeleton open/configure/load, targets,
 * the poll loop, signals, -d, drop counters, and the exit status.
 */
#ifndef PA_TRACER_H
#define PA_TRACER_H

#include "cli.h"

struct tracer;

/* Returns 0 and *out, or -errno after printing one line on stderr. */
int tracer__open(const struct config *cfg, struct tracer **out);
/*
 * Attaches and traces until the targets end, -d expires or a signal arrives.
 * Returns the process exit status: under `-- COMMAND` the command's (a command
 * killed by a signal makes tracer__close() re-raise it), else 0, or 1 on error.
 */
int tracer__run(struct tracer *t);
/* Detaches, prints totals, re-raises the command's fatal signal if any. */
void tracer__close(struct tracer *t);

#endif
