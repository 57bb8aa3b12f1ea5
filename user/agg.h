/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * agg.h - count mode (-c): reads the BPF counts (and --hist histograms) maps,
 * names each key, and prints tables: sorted by count then name, proportional
 * bars, total, time span and rate; per interval or cumulative with -i.
 */
#ifndef PA_AGG_H
#define PA_AGG_H

#include <stdint.h>
#include <stdio.h>

struct event_filter;

struct agg_opts {
	FILE *f;		/* stdout or -o */
	int json;		/* -j: one {"event": ..., "count": ...} object per row */
	unsigned by;		/* enum by_field bits (user/cli.h) */
	unsigned top;		/* 0 = all rows */
	int cumulative;		/* with -i: since start instead of per interval */
	unsigned interval_s;	/* 0 = one table at the end */
	int hist;		/* --hist: print log2 histograms of inter-arrival time */
	int counts_fd;		/* BPF map: struct pa_count_key -> __u64 */
	int hists_fd;		/* BPF map: struct pa_hist_key -> __u64 (when hist) */
	/* Names whose filter verdict came late (PA_VERDICT_PENDING in BPF): agg
	 * drops their rows when filter says no.  NULL = no filter. */
	const struct event_filter *filter;
};

struct agg *agg__new(const struct agg_opts *opts);	/* NULL, errno set */
void agg__free(struct agg *a);				/* NULL is fine */

/* Learns the name of a hash (from the event table, or a PA_REC_NAME record). */
int agg__add_name(struct agg *a, uint64_t hash, const char *name);

/*
 * Reads the maps and prints one table.  now_ns/start_ns are CLOCK_MONOTONIC;
 * final = 1 for the table at exit.  lost = events not counted (map full), said
 * in the table's footer when non-zero.  Returns 0 or -errno.
 */
int agg__print(struct agg *a, uint64_t start_ns, uint64_t now_ns, int final, uint64_t lost);

#endif
