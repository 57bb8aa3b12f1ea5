/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * metrics.h - --metrics ADDR:PORT: the kernel's counts and the tool's own
 * state as Prometheus metrics, on a small HTTP server that lives in the
 * tracer's epoll loop.
 *
 * GET /metrics answers the Prometheus text format 0.0.4, or OpenMetrics 1.0.0
 * when the Accept header asks for application/openmetrics-text.  Every socket
 * is non-blocking; a request is read into a fixed 8 KiB buffer (a longer one
 * gets 431), must arrive whole within 5 s of the connection (slow clients are
 * cut off) and its answer written within 10 s; at most 16 connections at a
 * time (a new one then replaces the one silent the longest).  Nothing in here waits: the loop is never
 * stalled by a client.
 *
 * Metrics (labels escaped as the formats want, UTF-8 made valid with U+FFFD):
 *   pyaudit_events_total{event=...[,comm=...][,pid=...][,uid=...]}  counter
 *       events counted in the kernel since start: by event and comm, and
 *       pid, uid when -c --by names them
 *   pyaudit_dropped_events_total{cause=...}                          counter
 *       ring_buffer_full, preempted, undecodable (lost: not written), and
 *       counts_map_full (not counted), names_map_full (name left to userspace)
 *   pyaudit_lost_events_total                                         counter
 *       ring_buffer_full + preempted + undecodable
 *   pyaudit_read_errors_total                                         counter
 *       reads of the traced process's memory that failed (value unreadable)
 *   pyaudit_traced_processes{route=...,coverage=...}                 gauge
 *       processes probed one by one (-p, -- COMMAND), exited ones included
 *   pyaudit_probed_binaries{route=...,coverage=...}                  gauge
 *       binaries probed for every process that runs them (system-wide)
 *   pyaudit_unanalysed_binaries                                       gauge
 *       executable files run or mapped that could not be analysed (not traced)
 *   pyaudit_probes_attached{route=...}                               gauge
 *   pyaudit_start_time_seconds                                        gauge
 */
#ifndef PA_METRICS_H
#define PA_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct agg;
struct attacher;

/* Tag of the metrics sockets in the tracer's epoll set (data.u64 >= this). */
#define METRICS_EPOLL_TAG (1ull << 40)

struct metrics_opts {
	const char *addr;	/* "ADDR:PORT": IPv4, [IPv6] or a host name; PORT 0 = any */
	int epfd;		/* the loop's epoll set: the sockets are added to it */
	/* sources, read at each scrape */
	struct agg *agg;	/* event counts; NULL: none */
	unsigned by;		/* their key fields (enum by_field of cli.h) */
	const volatile uint64_t *drops; /* the BPF drop counters (enum pa_drop_reason) */
	const uint64_t *bad_records;	/* records that could not be decoded */
	struct attacher *att;
	double start_time;	/* epoch seconds */
};

struct metrics;

/*
 * Parses and binds; NULL with errno set and *why saying which step failed
 * ("bad address", "bind", ...).
 */
struct metrics *metrics__open(const struct metrics_opts *opts, const char **why);
/* "127.0.0.1:9464" as bound (the port chosen when 0 was asked). */
const char *metrics__address(const struct metrics *m);
/* An epoll event for a tag >= METRICS_EPOLL_TAG. */
void metrics__on_epoll(struct metrics *m, uint64_t tag, uint32_t events);
/* Closes connections past their deadline; call at every loop turn. */
void metrics__tick(struct metrics *m);
void metrics__close(struct metrics *m);	/* NULL is fine */

/*
 * Checks the syntax of "ADDR:PORT" (for the command line): 0 or -EINVAL.
 */
int metrics_check_addr(const char *arg);

/* ---- between metrics.c and its tests ---- */

/* The exposition of the current values into f; openmetrics selects the format. */
int metrics__write(struct metrics *m, FILE *f, bool openmetrics);
/* A label value as both formats want it: \\ \" \n escaped, invalid UTF-8 -> U+FFFD. */
void metrics_label_value(FILE *f, const char *s, size_t len);

#endif
